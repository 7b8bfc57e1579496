"""humblenet.sklearn: scikit-learn's estimator checks, pipelines and grid search, accuracy
against scikit-learn's own MLP, files, pickling, and that ``import humblenet`` stays free of
scikit-learn."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_breast_cancer, load_iris  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    cross_val_score,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier as SkMLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from humblenet import Sequential, nn  # noqa: E402
from humblenet.sklearn import (  # noqa: E402
    MLPClassifier,
    MLPRegressor,
    NeuralNetClassifier,
    NeuralNetRegressor,
    load,
)


def small_network(n_features_in: int, n_classes: int) -> Sequential:
    return Sequential([nn.Dense(8, activation="relu"), nn.Dense(n_classes, activation="softmax")])


def small_regression_network(n_outputs: int) -> Sequential:
    return Sequential([nn.Dense(8, activation="relu"), nn.Dense(n_outputs)])


_WEIGHTS = "mini-batches: a sample given weight 2 is not the same as the sample twice"
_FLOAT32 = "float32 matrix products differ in the last bits between batch sizes (1e-7 asked)"
# Not strict: the float32 one depends on the BLAS (it fails for MLPClassifier here).
_EXPECTED = {"check_methods_subset_invariance": _FLOAT32}
_EXPECTED_MLP = {**_EXPECTED, "check_sample_weight_equivalence_on_dense_data": _WEIGHTS}

ESTIMATORS = [
    MLPClassifier((8,), max_iter=5, learning_rate_init=0.05),
    MLPRegressor((8,), max_iter=5, learning_rate_init=0.05),
    NeuralNetClassifier(small_network, epochs=5, learning_rate=0.05),
    NeuralNetRegressor(small_regression_network, epochs=5, learning_rate=0.05),
]


def _expected_failures(estimator: object) -> dict[str, str]:
    return _EXPECTED_MLP if isinstance(estimator, MLPClassifier | MLPRegressor) else _EXPECTED


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_pipeline_under_grid_search_and_cross_validation():
    x, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(
        StandardScaler(), MLPClassifier((8,), learning_rate_init=0.05, max_iter=30, random_state=0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(pipeline, x, y, cv=3)
        grid = GridSearchCV(pipeline, {"mlpclassifier__alpha": [1e-4, 1e-2]}, cv=2).fit(x, y)
    assert scores.mean() > 0.8
    assert grid.best_params_["mlpclassifier__alpha"] in (1e-4, 1e-2)
    assert grid.score(x, y) > 0.8


@pytest.mark.parametrize("loader", [load_iris, load_breast_cancer])
def test_accuracy_matches_scikit_learns_mlp(loader):
    """Defaults, both on the same standardized split: within two points or better."""
    x, y = loader(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.3, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier(random_state=0).fit(x_train, y_train)
        theirs = SkMLPClassifier(random_state=0).fit(x_train, y_train)
    assert ours.score(x_test, y_test) >= theirs.score(x_test, y_test) - 0.02


def test_convergence_rule_and_warning():
    x, y = load_iris(return_X_y=True)
    with pytest.warns(ConvergenceWarning, match="maximum iterations"):
        clf = MLPClassifier((8,), max_iter=3, random_state=0).fit(x, y)
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3
    clf = MLPClassifier((8,), max_iter=500, tol=0.5, n_iter_no_change=2, random_state=0).fit(x, y)
    assert clf.n_iter_ == 4  # epoch 1 sets the best; 3 more without a 0.5 gain (> 2) stop it
    stopped = MLPClassifier((8,), early_stopping=True, max_iter=500, tol=0.5, random_state=0)
    stopped.fit(x, y)
    assert stopped.best_loss_ is None and len(stopped.validation_scores_) == stopped.n_iter_


def test_random_state_makes_fits_equal_and_dropout_class_weight_train():
    x, y = load_iris(return_X_y=True)
    settings = dict(max_iter=5, dropout=0.2, class_weight="balanced", random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = MLPClassifier((8,), **settings).fit(x, y)
        second = MLPClassifier((8,), **settings).fit(x, y)
    assert first.loss_curve_ == second.loss_curve_
    np.testing.assert_array_equal(first.predict_proba(x), second.predict_proba(x))


def test_multilabel_and_multioutput_and_partial_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    labels = np.column_stack([x[:, 0] > 0, x[:, 1] > 0]).astype(int)
    clf = MLPClassifier((8,), max_iter=200, learning_rate_init=0.05, random_state=0)
    clf.fit(x, labels)
    assert clf.predict(x).shape == (60, 2) and clf.score(x, labels) > 0.8
    targets = np.column_stack([x.sum(axis=1), x[:, 0] - x[:, 2]])
    reg = MLPRegressor((16,), max_iter=300, learning_rate_init=0.05, random_state=0)
    assert reg.fit(x, targets).predict(x).shape == (60, 2)
    online = MLPClassifier((8,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        online.partial_fit(x, labels[:, 0])
    online.partial_fit(x, labels[:, 0], classes=[0, 1]).partial_fit(x, labels[:, 0])
    assert online.n_iter_ == 2 and len(online.loss_curve_) == 2


def test_save_load_and_pickle(tmp_path):
    x, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier((8,), max_iter=20, random_state=0).fit(x, names)
        reg = MLPRegressor((8,), max_iter=20, random_state=0).fit(x[:, :3], x[:, 3])
    for estimator, inputs in ((clf, x), (reg, x[:, :3])):
        path = tmp_path / f"{type(estimator).__name__}.safetensors"
        estimator.save(path)
        loaded = load(path)
        np.testing.assert_array_equal(loaded.predict(inputs), estimator.predict(inputs))
        assert loaded.get_params() == estimator.get_params()
        unpickled = pickle.loads(pickle.dumps(estimator))
        np.testing.assert_array_equal(unpickled.predict(inputs), estimator.predict(inputs))
    assert load(tmp_path / "MLPClassifier.safetensors").classes_.tolist() == clf.classes_.tolist()


def test_wrapper_clones_a_given_model_and_leaves_it_untouched():
    x, y = load_iris(return_X_y=True)
    given = Sequential([nn.Dense(8, activation="relu"), nn.Dense(3, activation="softmax")])
    clf = NeuralNetClassifier(given, epochs=30, learning_rate=0.05, random_state=0).fit(x, y)
    assert clf.model_ is not given and not given.parameters()
    assert clf.score(x, y) > 0.8
    again = NeuralNetClassifier(given, epochs=30, learning_rate=0.05, random_state=0).fit(x, y)
    np.testing.assert_array_equal(again.predict_proba(x), clf.predict_proba(x))
    pickle.loads(pickle.dumps(clf)).predict(x)


def test_importing_humblenet_does_not_import_sklearn():
    code = "import sys, humblenet; humblenet.Sequential; assert 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
