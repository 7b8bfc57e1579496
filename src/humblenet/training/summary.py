"""``summary()``: a table of a model's layers, output shapes and parameter counts (as Keras').

The counts equal Keras' for the same network: a Dense layer has ``inputs * units + units``.
Numbers a model keeps but does not learn (buffers such as running statistics, and frozen
parameters) are counted in the layer's ``Param #`` and as "Non-trainable params", as Keras
counts a batch normalization's moving mean and variance.
"""

from __future__ import annotations

import re

from humblenet.nn.containers import output_shape
from humblenet.nn.module import Module

__all__ = ["summary_text"]


def _values(layer: Module) -> int:
    return layer.count_params() + sum(b.size for b in layer.buffers())


def _child_rows(model: Module) -> list[tuple[str, str, str]]:
    """For a model of the user's own class: one row per attribute that is a layer (its output
    shape is known only from running it, so it shows "?")."""
    rows = [
        (f"{name} ({type(child).__name__})", "?", f"{_values(child):,}")
        for name, child in model.named_children()
    ]
    if not model.parameters():
        raise RuntimeError(
            "summary: the model has no weights yet; call it on a batch (model(x[:1])) or fit it "
            "first"
        )
    return rows


def _rows(model: Module) -> list[tuple[str, str, str]]:
    """One row per layer: ``name (Class)``, output shape, number of values it holds."""
    shape = getattr(model, "input_shape", None)
    layers = getattr(model, "layers", None)
    if layers is None:
        return _child_rows(model)
    if not getattr(model, "built", True) or shape is None:
        raise RuntimeError(
            "summary: the model is not built yet; give the first layer input_shape=..., call "
            "model.build(input_shape), or fit it first"
        )
    rows = []
    counts: dict[str, int] = {}
    for layer in layers:
        shape = output_shape(layer, shape)
        kind = type(layer).__name__
        base = _snake_case(kind)
        index = counts.get(base, 0)
        counts[base] = index + 1
        name = getattr(layer, "name", None) or (base if index == 0 else f"{base}_{index}")
        rows.append((f"{name} ({kind})", str((None, *shape)), f"{_values(layer):,}"))
    return rows


def _snake_case(kind: str) -> str:
    """A layer's default name from its class, as Keras makes it: ``BatchNormalization`` ->
    ``batch_normalization``, ``MaxPooling2D`` -> ``max_pooling2d``, ``ReLU`` -> ``re_lu``."""
    words = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", kind)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()


def summary_text(model: Module) -> str:
    """The summary table of a built model with a ``layers`` list and an ``input_shape``."""
    rows = _rows(model)
    header = ("Layer (type)", "Output Shape", "Param #")
    widths = [max(len(r[i]) for r in [*rows, header]) + 2 for i in range(3)]
    width = sum(widths)

    def line(cells: tuple[str, str, str]) -> str:
        return cells[0].ljust(widths[0]) + cells[1].ljust(widths[1]) + cells[2].rjust(widths[2])

    trainable = sum(p.size for p in model.parameters() if p.requires_grad)
    non_trainable = model.count_non_trainable()
    return "\n".join(
        [
            f'Model: "{getattr(model, "name", type(model).__name__.lower())}"',
            "_" * width,
            line(header),
            "=" * width,
            *[line(r) for r in rows],
            "=" * width,
            f"Total params: {trainable + non_trainable:,}",
            f"Trainable params: {trainable:,}",
            f"Non-trainable params: {non_trainable:,}",
            "_" * width,
        ]
    )
