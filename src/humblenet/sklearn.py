"""scikit-learn estimators over humblenet: ``MLPClassifier`` / ``MLPRegressor`` with
scikit-learn's parameter names, and ``NeuralNetClassifier`` / ``NeuralNetRegressor`` around any
humblenet model, so a network joins a ``Pipeline``, ``GridSearchCV`` or ``cross_val_score``.

What humblenet adds to scikit-learn's MLP: ``dropout``, ``class_weight``, ``sample_weight``,
the optimizer by name, ``float32`` by default, and ``save(path)`` / ``load(path)`` to one
safetensors file (plain data, no pickle; pickling works too, for joblib).

scikit-learn is an optional dependency (``pip install "humblenet[sklearn]"``): this module
imports it, ``import humblenet`` does not import this module.

>>> import numpy as np
>>> from humblenet.sklearn import MLPClassifier
>>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 10, dtype=np.float32)
>>> y = np.array(["no", "yes", "yes", "no"] * 10)
>>> clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.05, max_iter=300,
...                     random_state=0).fit(x, y)
>>> clf.classes_.tolist(), clf.predict(x[:4]).tolist()
(['no', 'yes'], ['no', 'yes', 'yes', 'no'])
>>> clf.predict_proba(x[:1]).shape
(1, 2)
"""

from __future__ import annotations

import copy
import inspect
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from humblenet import nn, optim
from humblenet.functional import logits_of
from humblenet.io import safetensors as model_file
from humblenet.nn.containers import seed_layer
from humblenet.tensor import Tensor, no_grad
from humblenet.training.callbacks import Callback
from humblenet.training.model import Model, Sequential
from humblenet.validation import fraction, non_negative, one_of, positive, whole

__all__ = ["MLPClassifier", "MLPRegressor", "NeuralNetClassifier", "NeuralNetRegressor", "load"]

# scikit-learn's activation names, and humblenet's own, as Dense(activation=...) takes them.
_ACTIVATIONS = {
    "identity": None,
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "linear": None,
    "sigmoid": "sigmoid",
    "leaky_relu": "leaky_relu",
    "gelu": "gelu",
}
_FORMAT = "humblenet.sklearn/1"  # the metadata entry that marks an estimator's file


# -- shared pieces -------------------------------------------------------------------------------


def _seeds(random_state: Any, count: int) -> list[int]:
    """``count`` layer seeds drawn from ``random_state`` (None, an int or a RandomState)."""
    rng = check_random_state(random_state)
    return [int(seed) for seed in rng.randint(0, 2**31 - 1, size=count)]


def _eval_forward(model: Model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's outputs for ``x`` in evaluation mode, and the scores before its final softmax
    or sigmoid (None when it ends in neither), as float64 arrays."""
    previous = model.training
    model.train(False)
    outputs, scores = [], []
    try:
        with no_grad():
            for start in range(0, len(x), 4096):
                out = model(Tensor(x[start : start + 4096]))
                logits = logits_of(out) if out._op in ("softmax", "sigmoid") else None
                outputs.append(out.data.astype(np.float64))
                scores.append(None if logits is None else logits.data.astype(np.float64))
    finally:
        model.train(previous)
    output = np.concatenate(outputs)
    score: np.ndarray | None = None
    if scores[0] is not None:
        score = np.concatenate(scores)  # type: ignore[arg-type]
    return output, score


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _sigmoid(scores: np.ndarray) -> np.ndarray:
    # Split by sign so that neither branch overflows.
    positive_part = np.exp(-np.abs(scores))
    return np.where(scores >= 0, 1 / (1 + positive_part), positive_part / (1 + positive_part))


def _weight_penalty(model: Model) -> float:
    """``sum(w ** 2)`` over the weights (not the biases): scikit-learn's L2 term."""
    return float(
        sum(
            np.dot(p.data.ravel().astype(np.float64), p.data.ravel().astype(np.float64))
            for name, p in model.named_parameters()
            if name.endswith("weight")
        )
    )


class _Convergence(Callback):
    """scikit-learn's stopping rule, one epoch at a time: training stops when the loss (or, with
    early stopping, the validation score) has not improved by ``tol`` for more than
    ``n_iter_no_change`` epochs in a row. It keeps the estimator's curves up to date."""

    def __init__(self, estimator: Any, loss_scale: float, n_samples: int, validation: Any) -> None:
        self.estimator = estimator
        self.loss_scale = loss_scale
        self.n_samples = n_samples
        self.validation = validation  # (x_val, y_val) with early stopping, else None
        self.converged = False
        self.best_state: dict[str, np.ndarray] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        est = self.estimator
        penalty = 0.5 * est.alpha * _weight_penalty(self.model) / self.n_samples
        loss = logs["loss"] * self.loss_scale + penalty
        est.loss_curve_.append(loss)
        est.n_iter_ += 1
        est.t_ += self.n_samples
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}", flush=True)
        if self.validation is None:
            improved_enough = loss <= est.best_loss_ - est.tol
            est.best_loss_ = min(est.best_loss_, loss)
        else:
            x_val, y_val = self.validation
            score = est._validation_score(x_val, y_val)
            est.validation_scores_.append(score)
            improved_enough = score >= est.best_validation_score_ + est.tol
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                self.best_state = copy.deepcopy(self.model.state_dict())
            if est.verbose:
                print(f"Validation score: {score:.6f}", flush=True)
        est._no_improvement_count = 0 if improved_enough else est._no_improvement_count + 1
        if est._no_improvement_count > est.n_iter_no_change:
            self.converged = True
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, float]) -> None:
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)


# -- the MLP estimators --------------------------------------------------------------------------


class _BaseMLP(BaseEstimator):
    """What MLPClassifier and MLPRegressor share: the network, the loop and the files."""

    _is_classifier = False

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] | int = (100,),
        activation: str = "relu",
        *,
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        dropout: float = 0.0,
        optimizer: str = "adam",
        dtype: str = "float32",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.optimizer = optimizer
        self.dtype = dtype

    # -- checks ----------------------------------------------------------------------------------

    def _check_params(self) -> tuple[int, ...]:
        """Check the hyperparameters (at fit, as scikit-learn does, never in ``__init__``)."""
        owner = type(self).__name__
        sizes = self.hidden_layer_sizes
        sizes = (sizes,) if isinstance(sizes, int | np.integer) else tuple(sizes)
        for size in sizes:
            whole(owner, "hidden_layer_sizes entry", size, minimum=1)
        one_of(owner, "activation", self.activation, _ACTIVATIONS)
        non_negative(owner, "alpha", self.alpha)
        if self.batch_size != "auto":
            whole(owner, "batch_size", self.batch_size, minimum=1)
        positive(owner, "learning_rate_init", self.learning_rate_init)
        whole(owner, "max_iter", self.max_iter, minimum=1)
        non_negative(owner, "tol", self.tol)
        whole(owner, "n_iter_no_change", self.n_iter_no_change, minimum=1)
        fraction(owner, "validation_fraction", self.validation_fraction)
        if self.early_stopping and self.validation_fraction == 0:
            raise ValueError(
                f"{owner}: early_stopping=True needs validation_fraction > 0, got 0; set "
                "validation_fraction=0.1 (for example) or early_stopping=False"
            )
        fraction(owner, "dropout", self.dropout)
        optim.get(self.optimizer)  # refuses an unknown name, listing the known ones
        one_of(owner, "dtype", self.dtype, ("float32", "float64"))
        return tuple(int(size) for size in sizes)

    def _check_x(self, x: Any, reset: bool) -> np.ndarray:
        array = validate_data(self, x, reset=reset, dtype=[np.float64, np.float32])
        return np.ascontiguousarray(array, dtype=self.dtype)

    # -- the network -----------------------------------------------------------------------------

    def _build(self, n_features: int, n_outputs: int, output_activation: str | None) -> Model:
        sizes = self._check_params()
        seeds = _seeds(self._random, 2 * len(sizes) + 1)
        layers: list[Any] = []
        for position, units in enumerate(sizes):
            shape = (n_features,) if position == 0 else None
            layers.append(
                nn.Dense(
                    units,
                    activation=_ACTIVATIONS[self.activation],
                    seed=seeds[2 * position],
                    dtype=self.dtype,
                    input_shape=shape,
                )
            )
            if self.dropout > 0:
                layers.append(nn.Dropout(self.dropout, seed=seeds[2 * position + 1]))
        layers.append(
            nn.Dense(
                n_outputs,
                activation=output_activation,
                seed=seeds[-1],
                dtype=self.dtype,
                input_shape=None if sizes else (n_features,),
            )
        )
        return Sequential(layers)

    def _compile(self, loss: str, n_samples: int) -> None:
        """Compile ``model_`` with the optimizer; ``alpha`` becomes the optimizer's L2 weight
        decay, scaled as scikit-learn's: each step adds ``alpha * w / batch_size`` to the
        gradient of scikit-learn's loss (biases included, unlike scikit-learn)."""
        batch_size = self._batch_size(n_samples)
        decay = self.alpha / (batch_size * self._loss_scale)
        cls: Any = optim.get(self.optimizer)
        try:
            optimizer = cls(self.model_.parameters(), self.learning_rate_init, weight_decay=decay)
        except TypeError:  # an optimizer without weight decay
            optimizer = cls(self.model_.parameters(), self.learning_rate_init)
        self.model_.compile(optimizer=optimizer, loss=loss)

    def _batch_size(self, n_samples: int) -> int:
        if self.batch_size == "auto":
            return min(200, n_samples)
        return int(min(max(int(self.batch_size), 1), n_samples))

    def _start(self) -> None:
        """Reset what one fit learns (the random stream is drawn once per fit)."""
        self._random = check_random_state(self.random_state)
        self.loss_curve_: list[float] = []
        self.n_iter_ = 0
        self.t_ = 0
        self._no_improvement_count = 0
        self.best_loss_: float | None = np.inf
        self.validation_scores_: list[float] | None = None
        self.best_validation_score_: float | None = None

    def _train(
        self,
        x: np.ndarray,
        y: np.ndarray,
        sample_weight: np.ndarray | None,
        epochs: int,
        incremental: bool,
    ) -> None:
        """Run humblenet's ``fit`` for up to ``epochs`` epochs with scikit-learn's stopping rule."""
        validation = None
        if self.early_stopping and not incremental:
            stratify = y if self._is_classifier and y.ndim == 1 else None
            split = train_test_split(
                x,
                y,
                *([] if sample_weight is None else [sample_weight]),
                test_size=self.validation_fraction,
                random_state=self._random.randint(0, 2**31 - 1),
                stratify=stratify,
            )
            x, x_val, y, y_val = split[:4]
            sample_weight = None if sample_weight is None else split[4]
            validation = (x_val, y_val)
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        convergence = _Convergence(self, self._loss_scale, len(x), validation)
        convergence.set_model(self.model_)
        history = self.model_.fit(
            x,
            self._fit_targets(y),
            batch_size=self._batch_size(len(x)),
            epochs=epochs,
            verbose=0,
            callbacks=None if incremental else [convergence],
            shuffle=bool(self.shuffle),
            seed=int(self._random.randint(0, 2**31 - 1)),
            sample_weight=sample_weight,
        )
        if incremental:
            # One pass, no stopping rule (scikit-learn's partial_fit): record the loss alone.
            convergence.on_epoch_end(0, {"loss": history.history["loss"][-1]})
            return
        if not convergence.converged and self.n_iter_ == self.max_iter:
            warnings.warn(
                f"{type(self).__name__}: stochastic optimizer: maximum iterations "
                f"({self.max_iter}) reached and the optimization hasn't converged yet; raise "
                "max_iter or learning_rate_init, or scale the inputs",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _check_weights(self, sample_weight: Any, n: int) -> np.ndarray | None:
        if sample_weight is None:
            return None
        weights = np.asarray(sample_weight, dtype=np.float64)
        if weights.ndim == 0:
            weights = np.full(n, float(weights))
        if weights.shape != (n,):
            raise ValueError(
                f"{type(self).__name__}: sample_weight must hold one number per sample, shape "
                f"({n},), got shape {weights.shape}"
            )
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not np.any(weights > 0):
            raise ValueError(
                f"{type(self).__name__}: sample_weight must be finite and >= 0, and not all "
                "zero (an all-zero weight leaves nothing to learn from)"
            )
        return weights

    # -- files -----------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted estimator to one safetensors file: the network's weights and
        architecture, with the estimator's parameters and learned attributes (``classes_``,
        ``n_features_in_``, ...) as metadata. Load it with :func:`load`; no pickle involved.
        """
        check_is_fitted(self)
        state = {
            "format": _FORMAT,
            "estimator": type(self).__name__,
            "params": _plain_params(self.get_params()),
            "attributes": self._saved_attributes(),
        }
        classes = getattr(self, "classes_", None)
        names = getattr(self, "feature_names_in_", None)
        class_names = None
        if classes is not None and np.ndim(classes) == 1 and len(classes) > 1:
            class_names = [str(c) for c in classes]
            if (
                getattr(self.model_.layers[-1], "units", 0) != len(class_names)
                and len(class_names) != 2
            ):
                class_names = None
        self.model_.save(
            path,
            class_names=class_names,
            feature_names=None if names is None else [str(n) for n in names],
            task="classification" if self._is_classifier else "regression",
            preprocessing=state,
        )


def _plain_params(params: dict[str, Any]) -> dict[str, Any]:
    """The estimator's parameters as JSON data (a RandomState becomes None)."""
    plain: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, np.integer | np.floating):
            value = value.item()
        if value is None or isinstance(value, bool | int | float | str | list):
            plain[key] = value
        elif isinstance(value, dict):
            plain[key] = {"__dict__": [[_plain_value(k), v] for k, v in value.items()]}
    return plain


def _plain_value(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _unplain_params(params: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, dict) and "__dict__" in value:
            value = {k: v for k, v in value["__dict__"]}
        if key == "hidden_layer_sizes" and isinstance(value, list):
            value = tuple(value)
        result[key] = value
    return result


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multi-layer perceptron classifier with scikit-learn's ``MLPClassifier`` parameters,
    trained by humblenet.

    The network: ``Dense(units, activation)`` for each entry of ``hidden_layer_sizes`` (each
    followed by ``Dropout(dropout)`` when ``dropout > 0``), then a softmax output (one sigmoid
    output for two classes, one sigmoid per label for a multi-label ``y``), trained on the
    cross-entropy with ``optimizer`` (Adam by default).

    Args (scikit-learn's, same meaning):
        hidden_layer_sizes: units of each hidden layer, ``(100,)``.
        activation: ``"relu"``, ``"tanh"``, ``"logistic"``, ``"identity"`` (or humblenet's
            ``"sigmoid"``, ``"leaky_relu"``, ``"gelu"``).
        alpha: L2 penalty on the weights: ``alpha * w / batch_size`` is added to each step's
            gradient (humblenet applies it to the biases too, through the optimizer's
            ``weight_decay``).
        batch_size: samples per step; ``"auto"`` is ``min(200, n_samples)``.
        learning_rate_init: the optimizer's learning rate.
        max_iter: the most epochs; ConvergenceWarning when reached before the stopping rule.
        shuffle, random_state, tol, verbose, early_stopping, validation_fraction,
        n_iter_no_change: as scikit-learn's. Training stops when the loss (with early stopping,
            the accuracy on the held-out ``validation_fraction``) has not improved by ``tol``
            for more than ``n_iter_no_change`` epochs; with early stopping the best epoch's
            weights are kept.

    Args (humblenet's):
        dropout: the dropout rate after each hidden layer (0 for none).
        optimizer: ``"adam"``, ``"sgd"``, ``"rmsprop"``, ``"adagrad"``, ``"adamw"``.
        class_weight: ``{class: weight}`` or ``"balanced"`` (weights ``n / (k * count)``).
        dtype: ``"float32"`` (fast, the default) or ``"float64"``.

    Attributes: ``classes_``, ``n_features_in_``, ``feature_names_in_`` (DataFrame inputs),
    ``n_outputs_``, ``n_iter_``, ``t_``, ``loss_curve_``, ``best_loss_``,
    ``validation_scores_``, ``best_validation_score_``, ``out_activation_`` and ``model_``
    (the trained :class:`humblenet.Sequential`).

    >>> from sklearn.datasets import load_iris
    >>> x, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier((16,), learning_rate_init=0.01, max_iter=300, random_state=0)
    >>> clf.fit(x, y).score(x, y) > 0.9
    True
    """

    _is_classifier = True

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] | int = (100,),
        activation: str = "relu",
        *,
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        dropout: float = 0.0,
        optimizer: str = "adam",
        class_weight: dict[Any, float] | str | None = None,
        dtype: str = "float32",
    ) -> None:
        super().__init__(
            hidden_layer_sizes,
            activation,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            dropout=dropout,
            optimizer=optimizer,
            dtype=dtype,
        )
        self.class_weight = class_weight

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # -- targets ---------------------------------------------------------------------------------

    def _check_y(self, y: Any) -> np.ndarray:
        y = np.asarray(y) if not hasattr(y, "shape") else y
        if getattr(y, "ndim", 1) == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return np.asarray(y)

    def _set_classes(self, y: np.ndarray, classes: Any = None) -> None:
        self._multilabel = type_of_target(y) == "multilabel-indicator"
        if self._multilabel:
            self.classes_ = np.arange(y.shape[1])
            self.n_outputs_ = y.shape[1]
            self.out_activation_ = "logistic"
            self._loss_scale = float(y.shape[1])  # humblenet averages over labels; sklearn sums
            return
        self.classes_ = np.unique(y) if classes is None else np.unique(np.asarray(classes))
        self.n_outputs_ = 1 if len(self.classes_) <= 2 else len(self.classes_)
        self.out_activation_ = "logistic" if self.n_outputs_ == 1 else "softmax"
        self._loss_scale = 1.0

    def _encode(self, y: np.ndarray) -> np.ndarray:
        """Targets as the network learns them: class indices, or 0/1 label columns."""
        if self._multilabel:
            return y.astype(self.dtype)
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            raise ValueError(
                f"{type(self).__name__}: y holds classes {unknown.tolist()[:5]} that are not in "
                f"classes_ {self.classes_.tolist()}; pass every class in partial_fit's classes="
            )
        return np.searchsorted(self.classes_, y)

    def _fit_targets(self, y: np.ndarray) -> np.ndarray:
        if self._multilabel or self.n_outputs_ == 1:
            return y.astype(self.dtype)
        return y

    def _weights(self, y: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray | None:
        """Sample weights times class weights (over the encoded targets)."""
        if self.class_weight is None or self._multilabel:
            return sample_weight
        if isinstance(self.class_weight, str):
            one_of(type(self).__name__, "class_weight", self.class_weight, ("balanced",))
            present = np.unique(y)
            factors = np.ones(len(self.classes_))
            factors[present] = compute_class_weight("balanced", classes=present, y=y)
        elif isinstance(self.class_weight, dict):
            factors = np.ones(len(self.classes_))
            for label, weight in self.class_weight.items():
                position = np.searchsorted(self.classes_, label)
                if position < len(self.classes_) and self.classes_[position] == label:
                    factors[position] = non_negative(
                        type(self).__name__, f"class_weight[{label!r}]", weight
                    )
        else:
            raise TypeError(
                f"{type(self).__name__}: class_weight must be a dict {{class: weight}}, "
                f"'balanced' or None, got {type(self.class_weight).__name__}"
            )
        weights = factors[y]
        return weights if sample_weight is None else weights * sample_weight

    def _validation_score(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(accuracy_score(y, self._predict_encoded(x)))

    # -- fit -------------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPClassifier:
        """Train a new network on ``(X, y)`` for up to ``max_iter`` epochs; returns self."""
        self._check_params()
        x, y = validate_data(
            self, X, y, multi_output=True, dtype=[np.float64, np.float32], y_numeric=False
        )
        x = np.ascontiguousarray(x, dtype=self.dtype)
        y = self._check_y(y)
        self._start()
        self._set_classes(y)
        weights = self._check_weights(sample_weight, len(x))
        encoded = self._encode(y)
        activation = "sigmoid" if self.out_activation_ == "logistic" else "softmax"
        self.model_ = self._build(x.shape[1], self.n_outputs_, activation)
        self._compile(self._loss_name(), len(x))
        self._train(x, encoded, self._weights(encoded, weights), self.max_iter, False)
        return self

    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> MLPClassifier:
        """One epoch over ``(X, y)``, continuing from the current weights (a new network on the
        first call, which needs ``classes=``, every class that will ever be seen)."""
        first = not hasattr(self, "model_")
        if first:
            self._check_params()
        x, y = validate_data(
            self, X, y, multi_output=True, dtype=[np.float64, np.float32], reset=first
        )
        x = np.ascontiguousarray(x, dtype=self.dtype)
        y = self._check_y(y)
        if first:
            if classes is None and type_of_target(y) != "multilabel-indicator":
                raise ValueError(
                    f"{type(self).__name__}: classes must be passed on the first call to "
                    "partial_fit, e.g. partial_fit(X, y, classes=np.unique(y_all))"
                )
            self._start()
            self._set_classes(y, classes)
            activation = "sigmoid" if self.out_activation_ == "logistic" else "softmax"
            self.model_ = self._build(x.shape[1], self.n_outputs_, activation)
            self._compile(self._loss_name(), len(x))
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"{type(self).__name__}: classes={np.unique(classes).tolist()} differs from "
                f"the first call's {self.classes_.tolist()}"
            )
        encoded = self._encode(y)
        weights = self._weights(encoded, self._check_weights(sample_weight, len(x)))
        self._train(x, encoded, weights, 1, True)
        return self

    def _loss_name(self) -> str:
        if self.out_activation_ == "logistic":
            return "binary_crossentropy"
        return "sparse_categorical_crossentropy"

    # -- predictions -----------------------------------------------------------------------------

    def decision_function(self, X: Any) -> np.ndarray:
        """The scores before the output's softmax or sigmoid: ``(n,)`` for two classes,
        ``(n, classes)`` otherwise (``(n, labels)`` for multi-label)."""
        check_is_fitted(self)
        _, scores = _eval_forward(self.model_, self._check_x(X, reset=False))
        assert scores is not None
        return scores.ravel() if scores.shape[1] == 1 and not self._multilabel else scores

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, ``(n, classes)`` (``(n, labels)`` for multi-label), computed in
        float64 from the scores."""
        scores = self.decision_function(X)
        if self._multilabel:
            return _sigmoid(scores)
        if scores.ndim == 1:
            positive_class = _sigmoid(scores)
            if len(self.classes_) == 1:
                return np.ones((len(scores), 1))
            return np.column_stack([1 - positive_class, positive_class])
        return _softmax(scores)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def _predict_encoded(self, x: np.ndarray) -> np.ndarray:
        _, scores = _eval_forward(self.model_, x)
        assert scores is not None
        if self._multilabel:
            return (scores > 0).astype(np.int64)
        if scores.shape[1] == 1:
            if len(self.classes_) == 1:
                return np.zeros(len(x), dtype=np.int64)
            return (scores[:, 0] > 0).astype(np.int64)
        return scores.argmax(axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """The predicted class of each sample (a 0/1 row per sample for multi-label)."""
        check_is_fitted(self)
        encoded = self._predict_encoded(self._check_x(X, reset=False))
        return encoded if self._multilabel else self.classes_[encoded]

    def _saved_attributes(self) -> dict[str, Any]:
        return {
            "classes": self.classes_.tolist(),
            "multilabel": bool(self._multilabel),
            "n_iter": self.n_iter_,
            "loss_curve": self.loss_curve_,
            "n_features_in": self.n_features_in_,
        }


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multi-layer perceptron regressor with scikit-learn's ``MLPRegressor`` parameters,
    trained by humblenet: hidden ``Dense`` layers (with optional dropout), a linear output per
    target, and scikit-learn's squared error ``mean((y - p) ** 2) / 2`` (reported in
    ``loss_curve_``). A 2-D ``y`` trains one output per column. The parameters and attributes
    are :class:`MLPClassifier`'s, less the classes.

    >>> from sklearn.datasets import make_regression
    >>> x, y = make_regression(n_samples=200, n_features=4, noise=1, random_state=0)
    >>> reg = MLPRegressor((32,), learning_rate_init=0.05, max_iter=300, random_state=0)
    >>> reg.fit(x, y / 100).score(x, y / 100) > 0.9
    True
    """

    _loss_scale = 0.5  # humblenet's mse is twice scikit-learn's squared error

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _check_y(self, y: Any) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        return y

    def _fit_targets(self, y: np.ndarray) -> np.ndarray:
        return y.astype(self.dtype)

    def _validation_score(self, x: np.ndarray, y: np.ndarray) -> float:
        output, _ = _eval_forward(self.model_, x)
        return float(r2_score(y, output.ravel() if y.ndim == 1 else output))

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Train a new network on ``(X, y)`` for up to ``max_iter`` epochs; returns self."""
        self._check_params()
        x, y = validate_data(
            self, X, y, multi_output=True, y_numeric=True, dtype=[np.float64, np.float32]
        )
        x = np.ascontiguousarray(x, dtype=self.dtype)
        y = self._check_y(y)
        self._start()
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self.out_activation_ = "identity"
        self.model_ = self._build(x.shape[1], self.n_outputs_, None)
        self._compile("mse", len(x))
        self._train(x, y, self._check_weights(sample_weight, len(x)), self.max_iter, False)
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over ``(X, y)``, continuing from the current weights."""
        first = not hasattr(self, "model_")
        if first:
            self._check_params()
        x, y = validate_data(
            self,
            X,
            y,
            multi_output=True,
            y_numeric=True,
            dtype=[np.float64, np.float32],
            reset=first,
        )
        x = np.ascontiguousarray(x, dtype=self.dtype)
        y = self._check_y(y)
        if first:
            self._start()
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
            self.out_activation_ = "identity"
            self.model_ = self._build(x.shape[1], self.n_outputs_, None)
            self._compile("mse", len(x))
        self._train(x, y, self._check_weights(sample_weight, len(x)), 1, True)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The predicted targets: ``(n,)`` for one target, ``(n, targets)`` for several."""
        check_is_fitted(self)
        output, _ = _eval_forward(self.model_, self._check_x(X, reset=False))
        return output.ravel() if self.n_outputs_ == 1 else output

    def _saved_attributes(self) -> dict[str, Any]:
        return {
            "n_outputs": self.n_outputs_,
            "n_iter": self.n_iter_,
            "loss_curve": self.loss_curve_,
            "n_features_in": self.n_features_in_,
        }


# -- any humblenet model -------------------------------------------------------------------------


def _call_builder(build: Callable[..., Any], **meta: Any) -> Any:
    """Call the user's builder with those of ``meta`` (n_features_in, n_outputs, n_classes) that
    its signature names (all of them when it takes ``**kwargs``)."""
    try:
        parameters = inspect.signature(build).parameters
    except (TypeError, ValueError):
        return build()
    if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return build(**meta)
    return build(**{key: value for key, value in meta.items() if key in parameters})


def _seeded_config(config: dict[str, Any], seeds: list[int]) -> dict[str, Any]:
    """A copy of a Sequential's config whose unseeded layers get the seeds given."""
    config = copy.deepcopy(config)
    for position, layer in enumerate(config.get("layers", [])):
        inner = layer.get("config", {})
        if "seed" in inner and inner["seed"] is None:
            inner["seed"] = seeds[position % len(seeds)]
    return config


class _BaseNeuralNet(BaseEstimator):
    """What NeuralNetClassifier and NeuralNetRegressor share."""

    _default_loss = "mse"

    def __init__(
        self,
        model: Any = None,
        loss: Any = None,
        optimizer: Any = "adam",
        learning_rate: float = 0.001,
        epochs: int = 10,
        batch_size: int = 32,
        shuffle: bool = True,
        random_state: Any = None,
        verbose: int = 0,
    ) -> None:
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose

    def _new_model(self, n_features: int, **meta: Any) -> Model:
        """A fresh humblenet model: the builder's, or a clone of the model given (its config
        rebuilt, unseeded layers seeded from ``random_state``), never the user's object."""
        owner = type(self).__name__
        if self.model is None:
            raise ValueError(
                f"{owner}: no model; pass model=a function returning a humblenet model (it may "
                "take n_features_in and n_outputs), or a humblenet model to clone"
            )
        rng = check_random_state(self.random_state)
        seeds = [int(s) for s in rng.randint(0, 2**31 - 1, size=64)]
        source = self.model
        if callable(source) and not isinstance(source, nn.Module):
            source = _call_builder(source, n_features_in=n_features, **meta)
        if not isinstance(source, nn.Module) or not hasattr(source, "get_config"):
            raise TypeError(
                f"{owner}: model must be a humblenet Sequential (or a function returning one), "
                f"got {type(source).__name__}"
            )
        if source is self.model or not getattr(source, "built", False):
            # Rebuilt from its config: the user's model stays untouched, and seeds apply.
            source = Sequential.from_config(_seeded_config(source.get_config(), seeds))
        network: Any = source
        if not network.built:
            for position, layer in enumerate(network.children()):
                seed_layer(layer, seeds[0], position)
            network.build((n_features,))
        self._fit_seed = seeds[1]
        return network

    def _compile_and_fit(self, x: np.ndarray, y: np.ndarray, loss: Any) -> None:
        owner = type(self).__name__
        positive(owner, "learning_rate", self.learning_rate)
        epochs = whole(owner, "epochs", self.epochs, minimum=1)
        batch_size = whole(owner, "batch_size", self.batch_size, minimum=1)
        self.model_.compile(optimizer=self.optimizer, loss=loss, learning_rate=self.learning_rate)
        history = self.model_.fit(
            x,
            y,
            batch_size=batch_size,
            epochs=epochs,
            verbose=int(self.verbose),
            shuffle=bool(self.shuffle),
            seed=self._fit_seed,
        )
        self.history_ = history.history
        self.n_iter_ = len(history.history.get("loss", []))
        self.loss_curve_ = list(history.history.get("loss", []))

    def _check_x(self, x: Any, reset: bool) -> np.ndarray:
        array = validate_data(self, x, reset=reset, dtype=[np.float32, np.float64])
        return np.ascontiguousarray(array, dtype=np.float32)


class NeuralNetClassifier(ClassifierMixin, _BaseNeuralNet):
    """Any humblenet model as a scikit-learn classifier.

    Args:
        model: a function returning a humblenet ``Sequential`` (called with those of
            ``n_features_in`` and ``n_classes`` that it names), or a model, which is cloned
            through ``get_config()`` / ``from_config()`` at each fit (the given one is never
            trained). Its output: ``n_classes`` units (softmax or raw scores), or one unit
            (sigmoid or a raw score) for two classes.
        loss: None picks the cross-entropy that matches the output (``from_logits`` when the
            model does not end in softmax/sigmoid); or any loss ``compile`` accepts.
        optimizer, learning_rate, epochs, batch_size, shuffle, verbose: as ``Model.fit``.
        random_state: seeds unseeded layers and the shuffling.

    >>> from humblenet import Sequential, nn
    >>> def network(n_features_in, n_classes):
    ...     return Sequential([nn.Dense(16, activation="relu"),
    ...                        nn.Dense(n_classes, activation="softmax")])
    >>> from sklearn.datasets import load_iris
    >>> x, y = load_iris(return_X_y=True)
    >>> clf = NeuralNetClassifier(network, learning_rate=0.01, epochs=50, random_state=0)
    >>> clf.fit(x, y).score(x, y) > 0.9
    True
    """

    def fit(self, X: Any, y: Any) -> NeuralNetClassifier:
        """Train a fresh copy of the model on ``(X, y)``; returns self."""
        x, y = validate_data(self, X, y, dtype=[np.float32, np.float64])
        x = np.ascontiguousarray(x, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        self.model_ = self._new_model(x.shape[1], n_classes=len(self.classes_))
        output, scores = _eval_forward(self.model_, x[:1])
        units = output.shape[1]
        if units not in (1, len(self.classes_)) or (units == 1 and len(self.classes_) > 2):
            raise ValueError(
                f"{type(self).__name__}: the model gives {units} outputs for "
                f"{len(self.classes_)} classes; end it with Dense({len(self.classes_)}) (or "
                "Dense(1) for two classes)"
            )
        self._binary = units == 1
        self._from_logits = scores is None
        loss = self.loss
        if loss is None:
            name = "binary_crossentropy" if self._binary else "sparse_categorical_crossentropy"
            loss = nn.losses.get(name, from_logits=self._from_logits)
        targets = encoded.astype(np.float32) if self._binary else encoded
        self._compile_and_fit(x, targets, loss)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The model's scores before softmax/sigmoid: ``(n, classes)``, or ``(n,)`` for two
        classes (the second class's score minus the first's), as scikit-learn's."""
        check_is_fitted(self)
        output, scores = _eval_forward(self.model_, self._check_x(X, reset=False))
        scores = output if scores is None else scores
        if self._binary or len(self.classes_) == 1:
            return scores[:, 0]
        if len(self.classes_) == 2:
            return scores[:, 1] - scores[:, 0]
        return scores

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, ``(n, classes)``, computed in float64 from the scores."""
        scores = self.decision_function(X)
        if len(self.classes_) == 1:
            return np.ones((len(scores), 1))
        if scores.ndim == 1:
            p = _sigmoid(scores)
            return np.column_stack([1 - p, p])
        return _softmax(scores)

    def predict(self, X: Any) -> np.ndarray:
        """The predicted class of each sample."""
        scores = self.decision_function(X)
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, len(scores))
        encoded = (scores > 0).astype(np.int64) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[encoded]


class NeuralNetRegressor(RegressorMixin, _BaseNeuralNet):
    """Any humblenet model as a scikit-learn regressor, trained on ``loss`` (``"mse"`` by
    default); ``model`` is called with those of ``n_features_in`` and ``n_outputs`` that it
    names. The other parameters are :class:`NeuralNetClassifier`'s.

    >>> from humblenet import Sequential, nn
    >>> from sklearn.datasets import make_regression
    >>> x, y = make_regression(n_samples=200, n_features=4, noise=1, random_state=0)
    >>> reg = NeuralNetRegressor(lambda n_outputs: Sequential([nn.Dense(32, activation="relu"),
    ...                                                        nn.Dense(n_outputs)]),
    ...                          learning_rate=0.01, epochs=100, random_state=0)
    >>> reg.fit(x, y / 100).score(x, y / 100) > 0.9
    True
    """

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X: Any, y: Any) -> NeuralNetRegressor:
        """Train a fresh copy of the model on ``(X, y)``; returns self."""
        x, y = validate_data(
            self, X, y, multi_output=True, y_numeric=True, dtype=[np.float32, np.float64]
        )
        x = np.ascontiguousarray(x, dtype=np.float32)
        y = np.asarray(y, dtype=np.float32)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        self.model_ = self._new_model(x.shape[1], n_outputs=self.n_outputs_)
        self._compile_and_fit(x, y, "mse" if self.loss is None else self.loss)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The model's outputs: ``(n,)`` for one target."""
        check_is_fitted(self)
        output, _ = _eval_forward(self.model_, self._check_x(X, reset=False))
        return output.ravel() if self.n_outputs_ == 1 else output


# -- files ---------------------------------------------------------------------------------------


def load(path: str | os.PathLike[str]) -> Any:
    """Load an estimator written by ``MLPClassifier.save`` / ``MLPRegressor.save``, ready to
    predict (and to ``partial_fit``, with a fresh optimizer).

    >>> import tempfile, pathlib
    >>> from sklearn.datasets import load_iris
    >>> x, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier((8,), max_iter=20, random_state=0).fit(x, y)  # doctest: +SKIP
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "iris.safetensors"
    >>> clf.save(path)  # doctest: +SKIP
    >>> (load(path).predict(x) == clf.predict(x)).all()  # doctest: +SKIP
    True
    """
    network: Any = model_file.load(path, model_class=Sequential)
    state = network.metadata.get("preprocessing")
    if not isinstance(state, dict) or state.get("format") != _FORMAT:
        raise ValueError(
            f"{os.fspath(path)}: not a scikit-learn estimator written by humblenet's "
            "MLPClassifier/MLPRegressor.save; load a plain model with humblenet.load(path)"
        )
    classes = {"MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}
    estimator: Any = classes[state["estimator"]](**_unplain_params(state["params"]))
    attributes = state["attributes"]
    estimator._start()
    estimator.model_ = network
    estimator.n_features_in_ = attributes["n_features_in"]
    estimator.n_iter_ = attributes["n_iter"]
    estimator.loss_curve_ = list(attributes["loss_curve"])
    names = network.metadata.get("feature_names")
    if names is not None:
        estimator.feature_names_in_ = np.asarray(names, dtype=object)
    if isinstance(estimator, MLPClassifier):
        estimator._multilabel = attributes["multilabel"]
        estimator.classes_ = np.asarray(attributes["classes"])
        estimator.n_outputs_ = network.layers[-1].units
        estimator.out_activation_ = "logistic" if estimator.n_outputs_ == 1 else "softmax"
        if estimator._multilabel:
            estimator.out_activation_ = "logistic"
        estimator._loss_scale = float(estimator.n_outputs_) if estimator._multilabel else 1.0
        loss = estimator._loss_name()
    else:
        estimator.n_outputs_ = attributes["n_outputs"]
        estimator.out_activation_ = "identity"
        loss = "mse"
    estimator._compile(loss, 200)
    return estimator
