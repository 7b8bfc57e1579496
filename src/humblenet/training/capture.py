"""The captured training step: one eager step recorded, then replayed into kept buffers.

Each eager step of ``fit`` builds its graph again: a Tensor and a closure per operation, new
arrays for every output and gradient, a walk of the graph in ``backward``. For a model whose
graph cannot change from one batch to the next, all of that is the same every time; only the
numbers differ. So, as tinygrad's TinyJit does for its kernels, ``fit`` runs the first batch of
each shape eagerly, checks on the way that its graph is the one this module knows how to
replay, and from then on runs the same operations, in the same order, on the next batch's
numbers, into arrays allocated once.

What is replayed is the chain that the multi-layer perceptrons of the series and of
``benchmarks/bench_train.py`` make: a ``Sequential`` of layers that say they are a product and a
bias, with ReLU or no activation (the layer protocol's ``captured_linear``: ``Dense`` and
``Linear``), then ``SparseCategoricalCrossentropy`` with the compiled kernels
(``_linear_kernels``; numba). The loss may be from logits, or from the last layer's softmax (it
then starts from the scores under the softmax, as in the eager path). The graph of such a
model is fixed by its layers' types, whatever the data: their ``forward`` has no branch on the
numbers. Anything else (another layer, a subclass that overrides ``forward``, a frozen or
shared parameter, parameters of another dtype than the batch, sample weights, MPI, a batch of
another shape or dtype, a gradient left in ``.grad``, a loss replaced during ``fit``) takes the
eager path.

The replay calls the eager path's own functions with the same arguments
(``functional._product``, the kernels, ``np.matmul``, ``np.add.reduce``), with ``out=`` added,
so the numbers are the eager path's bit for bit (``tests/training/test_capture.py`` compares
whole runs). The update itself is the optimizer's own ``step``, which reads the gradients
from the kept arrays as it would from new ones.

Measured on a 2-core AMD EPYC (OpenBLAS's Haswell kernels), captured against eager epochs
alternated in one process, medians of 5: 0.85-0.90 of the time at batch 128 (784-256-128-10),
0.85 at batch 15, 0.92 for part 9's seven layers at batch 15. Of part 9's step
(``benchmarks/profile_train.py --part9``), linear's elementwise work fell from 188 to 19 µs and
the loss from 38 to 7 µs: what remained of them in the eager path was allocation and Python.
``HUMBLENET_CAPTURE=0`` turns the captured step off.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from humblenet import _linear_kernels
from humblenet import functional as F
from humblenet.nn import losses
from humblenet.nn.containers import Sequential as _Layers  # its forward: the layers in turn
from humblenet.nn.module import Module
from humblenet.tensor import Tensor


def enabled() -> bool:
    """False when ``HUMBLENET_CAPTURE=0`` is set (the eager path always runs)."""
    return os.environ.get("HUMBLENET_CAPTURE", "1") != "0"


def _kind(layer: Any) -> str | None:
    """What the layer says it is to the captured step (its ``captured_linear``: "linear",
    "relu" or "softmax"), or None for a layer that does not say (the eager path runs)."""
    ask = getattr(layer, "captured_linear", None)
    return None if ask is None else ask()


class _Buffers:
    """The arrays of one batch size: each layer's output, each layer's output gradient (after
    ReLU's mask) and input gradient, the loss's probabilities and per-row losses. (The
    parameters' gradients are new arrays at each step, as in the eager path: what the user's
    code or optimizer keeps of ``.grad`` is never written over.)"""

    def __init__(self, rows: int, widths: list[int], dtype: np.dtype) -> None:
        self.outputs = [np.empty((rows, n), dtype=dtype) for n in widths[1:]]
        self.grads = [np.empty((rows, n), dtype=dtype) for n in widths[1:]]
        self.inputs_grad = [np.empty((rows, n), dtype=dtype) for n in widths[1:-1]]
        self.probs = np.empty((rows, widths[-1]), dtype=dtype)
        self.per_row = np.empty(rows, dtype=dtype)
        self.total = np.empty(1)


class CapturedStep:
    """Forward, loss and backward of one model, replayed batch after batch (see above).

    Use: ``step = CapturedStep.for_model(model, loss)`` (None when the model cannot be replayed);
    then for each batch, when ``step.ready(x, y)``, ``value, scores = step.forward(x, y)`` and
    ``step.backward()`` (which sets each parameter's ``.grad``); otherwise run the eager step
    and pass its graph to ``step.record(loss_tensor, x, y)`` before its backward, which makes
    that batch's shape ready when the graph is the expected one.
    """

    def __init__(self, model: Any, loss: Any, kernels: Any) -> None:
        self.model, self.kernels = model, kernels
        self.loss, self.from_logits = loss, loss.from_logits
        self.layers: tuple[Any, ...] = tuple(model.layers)
        self._ready: dict[tuple[Any, ...], _Buffers] = {}
        self._buffers: _Buffers | None = None  # those of the batch that ready() accepted
        self._pending: tuple[_Buffers, np.ndarray, np.ndarray] | None = None  # for backward

    @classmethod
    def for_model(cls, model: Any, loss: Any) -> CapturedStep | None:
        """A captured step for ``model`` trained with ``loss``, or None where it does not apply."""
        kernels = _linear_kernels.linear_kernels()
        if kernels is None or not enabled():
            return None
        if type(loss) is not losses.SparseCategoricalCrossentropy:
            return None
        layers = getattr(model, "layers", None)
        if (
            not layers
            or type(model).forward is not _Layers.forward
            or type(model).__call__ is not Module.__call__
        ):
            return None
        kinds = [_kind(layer) for layer in layers]
        if any(kind not in ("linear", "relu") for kind in kinds[:-1]):
            return None
        # The last layer: logits (or ReLU's) for a loss from logits; softmax for one from
        # probabilities, whose loss starts from the scores under the softmax (losses._scores).
        if kinds[-1] not in (("linear", "relu") if loss.from_logits else ("softmax",)):
            return None
        return cls(model, loss, kernels)

    # -- which batches are replayed ------------------------------------------------------------

    def _key(self, x: np.ndarray, y: Any) -> tuple[Any, ...] | None:
        """What must be the same as in the recorded step: the batch's shapes and dtypes, each
        layer's parameters (shape, dtype, whether they need a gradient, none held yet) and
        activation. None when something rules the batch out."""
        if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray) or x.ndim != 2:
            return None
        if tuple(self.model.layers) != self.layers:  # a layer added or replaced meanwhile
            return None
        loss = self.model.loss
        if loss is not self.loss or loss.from_logits != self.from_logits:  # a callback's change
            return None
        key: list[Any] = [x.shape, x.dtype, y.shape, y.dtype, x.flags.c_contiguous]
        seen = set()
        for layer in self.layers:
            weight, bias = layer.weight, layer.bias
            if weight is None or bias is None:
                return None
            for p in (weight, bias):
                # a gradient held, a frozen or a shared parameter (the eager path adds its two
                # gradients), or one of another dtype than the batch (eager casts): not replayed
                if not p.requires_grad or p.grad is not None or p.data.dtype != x.dtype:
                    return None
                seen.add(id(p))
            key += [weight.data.shape, weight.data.dtype, bias.data.dtype, _kind(layer)]
        if len(seen) != 2 * len(self.layers):
            return None
        return tuple(key)

    def ready(self, x: np.ndarray, y: Any) -> bool:
        """True when a step with this batch was recorded and can be replayed now."""
        key = self._key(x, y)
        buffers = None if key is None else self._ready.get(key)
        self._buffers = buffers
        return buffers is not None

    def record(self, loss_value: Tensor, x: np.ndarray, y: Any) -> None:
        """Look at an eager step's graph (before its backward): when it is the chain of the
        layers' fused linear nodes and the fused cross-entropy on this batch, later batches of
        its shape are replayed."""
        key = self._key(x, y)
        if key is None or key in self._ready or y.ndim != 1 or y.dtype.kind not in "iu":
            return
        node = loss_value
        if node._op != "cross_entropy" or getattr(node._backward, "__name__", "") != (
            "backward_fused"
        ):
            return
        (node,) = node._parents
        dtype = x.dtype
        for layer in reversed(self.layers):
            op = "linear_relu" if _kind(layer) == "relu" else "linear"  # softmax: its logits
            if node._op != op or len(node._parents) != 3:
                return
            source, weight, bias = node._parents
            if weight is not layer.weight or bias is not layer.bias or node.data.dtype != dtype:
                return
            if op == "linear_relu" and not _linear_kernels.fits(node.data, bias.data):
                return
            node = source
        if node._backward is not None or node.data is not x and node.data.base is not x:
            return  # the chain must start at this batch
        widths = [x.shape[1]] + [layer.weight.data.shape[0] for layer in self.layers]
        self._ready[key] = _Buffers(x.shape[0], widths, dtype)

    # -- the replay ----------------------------------------------------------------------------

    def forward(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """The loss's value and the scores for the batch that ``ready`` accepted."""
        buffers = self._buffers
        assert buffers is not None, "forward() follows a ready() that said True"
        kernels, outputs = self.kernels, buffers.outputs
        source = x
        for layer, out in zip(self.layers, outputs):
            F._product(source, layer.weight.data, out=out)  # as functional.linear
            if _kind(layer) == "relu":
                kernels.bias_relu(out, layer.bias.data)
            else:  # no activation, or the last layer's softmax (applied below, for the meter)
                out += layer.bias.data
            source = out
        scores = outputs[-1]
        labels = y.astype(np.intp, copy=False)  # as functional._class_targets
        bad = kernels.cross_entropy_labels(
            scores, labels, buffers.probs, buffers.per_row, buffers.total
        )
        if bad >= 0:
            F._bad_label("cross_entropy", scores, labels[bad])
        n = scores.shape[0]
        value = np.asarray(buffers.total[0] * (1.0 / max(n, 1)), dtype=scores.dtype)
        self._buffers, self._pending = None, (buffers, x, labels)
        last = self.layers[-1]
        if _kind(last) == "softmax":  # what the model outputs: the probabilities
            scores = last._activation_fn(Tensor(scores)).data
        return float(value), scores

    def backward(self) -> None:
        """The gradients of the batch's loss, into each parameter's ``.grad``."""
        assert self._pending is not None, "backward() follows forward()"
        buffers, x, labels = self._pending
        self._pending = None
        kernels, outputs, dtype = self.kernels, buffers.outputs, x.dtype
        n = outputs[-1].shape[0]
        # The loss's backward with the seed 1 (Tensor.backward's ones_like), as backward_fused.
        seed = np.ones((), dtype=dtype)
        g = buffers.grads[-1]
        kernels.cross_entropy_labels_grad(
            buffers.probs, labels, dtype.type(seed * (1.0 / max(n, 1))), g
        )
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            source = x if i == 0 else outputs[i - 1]
            gw = np.empty(layer.weight.data.shape, dtype=dtype)
            gb = np.empty(layer.bias.data.shape, dtype=dtype)
            if _kind(layer) == "relu":  # g is the gradient of the layer's output here
                masked = buffers.grads[i]
                kernels.relu_backward(g, outputs[i], masked, gb)
                g = masked
            else:
                np.add.reduce(g, axis=0, out=gb)
            np.matmul(g.T, source, out=gw)
            layer.weight.grad, layer.bias.grad = gw, gb
            if i > 0:
                upstream = buffers.inputs_grad[i - 1]
                np.matmul(g, layer.weight.data, out=upstream)
                g = upstream
