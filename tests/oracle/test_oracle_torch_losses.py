"""The losses with PyTorch's names (``nn.CrossEntropyLoss``, ``nn.NLLLoss``, ``nn.MSELoss``,
``nn.L1Loss``, ``nn.BCEWithLogitsLoss``, ``nn.BCELoss``) against ``torch.nn``'s, forward and
backward, every reduction, in float64 and float32."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from oracle_helper import Case, params, run_case, run_gradcheck

from humblenet import Tensor, nn

REDUCTIONS = ("mean", "sum", "none")


def _labels(shape, classes, seed=5, ignore=None):
    labels = np.random.default_rng(seed).integers(0, classes, size=shape)
    if ignore is not None:
        labels.flat[::3] = ignore
    return labels


def _probabilities(shape, seed=6):
    """Soft targets whose rows do not sum to 1 (as torch allows)."""
    return np.random.default_rng(seed).uniform(0.0, 0.6, size=shape)


def _class_case(name, loss, shape, target, **options):
    """A case for a class loss: ``target`` is an array (labels, or probabilities that are cast
    to the input's dtype)."""

    def as_target(library_tensor, like):
        if target.dtype.kind == "f":
            return library_tensor(target.astype(like))
        return library_tensor(target)

    ours_loss = getattr(nn, loss)(**options)
    torch_loss = getattr(torch.nn, loss)(**options)
    return Case(
        name,
        [shape],
        lambda a: ours_loss(a, as_target(Tensor, a.dtype)),
        lambda a: torch_loss(a, as_target(torch.from_numpy, a.detach().numpy().dtype)),
    )


def _cases() -> list[Case]:
    cases = []
    for reduction in REDUCTIONS:
        r = {"reduction": reduction}
        cases += [
            _class_case(f"CE labels {reduction}", "CrossEntropyLoss", (4, 5), _labels(4, 5), **r),
            _class_case(
                f"CE soft targets {reduction}",
                "CrossEntropyLoss",
                (4, 5),
                _probabilities((4, 5)),
                **r,
            ),
            _class_case(
                f"CE ignore_index {reduction}",
                "CrossEntropyLoss",
                (6, 5),
                _labels(6, 5, ignore=-100),
                **r,
            ),
            _class_case(
                f"CE ignore_index=2 {reduction}",
                "CrossEntropyLoss",
                (6, 5),
                _labels(6, 5),
                ignore_index=2,
                **r,
            ),
            _class_case(
                f"CE label_smoothing {reduction}",
                "CrossEntropyLoss",
                (4, 5),
                _labels(4, 5),
                label_smoothing=0.2,
                **r,
            ),
            _class_case(
                f"CE smoothing and ignore {reduction}",
                "CrossEntropyLoss",
                (6, 5),
                _labels(6, 5, ignore=-100),
                label_smoothing=0.1,
                **r,
            ),
            _class_case(
                f"CE soft smoothing {reduction}",
                "CrossEntropyLoss",
                (4, 5),
                _probabilities((4, 5)),
                label_smoothing=0.3,
                **r,
            ),
            _class_case(
                f"CE (N, C, d) {reduction}",
                "CrossEntropyLoss",
                (2, 4, 3),
                _labels((2, 3), 4),
                **r,
            ),
            _class_case(
                f"CE (N, C, d) soft {reduction}",
                "CrossEntropyLoss",
                (2, 4, 3),
                _probabilities((2, 4, 3)),
                **r,
            ),
            _class_case(f"CE (C,) {reduction}", "CrossEntropyLoss", (5,), np.array(3), **r),
            _class_case(f"NLL {reduction}", "NLLLoss", (4, 5), _labels(4, 5), **r),
            _class_case(
                f"NLL ignore_index {reduction}",
                "NLLLoss",
                (6, 5),
                _labels(6, 5, ignore=-100),
                **r,
            ),
            _class_case(
                f"NLL (N, C, d) {reduction}", "NLLLoss", (2, 4, 3), _labels((2, 3), 4), **r
            ),
            Case(
                f"MSE {reduction}",
                [(3, 4), (3, 4)],
                lambda a, b, r=r: nn.MSELoss(**r)(a, b),
                lambda a, b, r=r: torch.nn.MSELoss(**r)(a, b),
            ),
            Case(
                f"L1 {reduction}",
                [(3, 4), (3, 4)],
                lambda a, b, r=r: nn.L1Loss(**r)(a, b),
                lambda a, b, r=r: torch.nn.L1Loss(**r)(a, b),
            ),
            Case(
                f"BCEWithLogits {reduction}",
                [(3, 4), (3, 4)],
                lambda a, b, r=r: nn.BCEWithLogitsLoss(**r)(a, b),
                lambda a, b, r=r: torch.nn.BCEWithLogitsLoss(**r)(a, b),
                grad=[True, False],
                low=0.0,
                high=1.0,
            ),
            Case(
                f"BCE {reduction}",
                [(3, 4), (3, 4)],
                lambda a, b, r=r: nn.BCELoss(**r)(a, b),
                lambda a, b, r=r: torch.nn.BCELoss(**r)(a, b),
                grad=[True, False],
                low=0.05,
                high=0.95,
            ),
        ]
    weight = np.array([0.5, 2.0, 1.0, 3.0])
    pos_weight = np.array([1.0, 3.0, 0.5, 2.0])
    cases += [
        Case(
            "BCEWithLogits weight, pos_weight",
            [(3, 4), (3, 4)],
            lambda a, b: nn.BCEWithLogitsLoss(weight=weight, pos_weight=pos_weight)(a * 4 - 2, b),
            lambda a, b: torch.nn.BCEWithLogitsLoss(
                weight=torch.from_numpy(weight).to(a.dtype),
                pos_weight=torch.from_numpy(pos_weight).to(a.dtype),
            )(a * 4 - 2, b),
            grad=[True, False],
            low=0.0,
            high=1.0,
        ),
        Case(
            "BCE weight",
            [(3, 4), (3, 4)],
            lambda a, b: nn.BCELoss(weight=weight)(a, b),
            lambda a, b: torch.nn.BCELoss(weight=torch.from_numpy(weight).to(a.dtype))(a, b),
            grad=[True, False],
            low=0.05,
            high=0.95,
        ),
        Case(
            "MSE target requires grad",
            [(3, 4), (3, 4)],
            lambda a, b: nn.MSELoss()(a, b),
            lambda a, b: torch.nn.MSELoss()(a, b),
        ),
    ]
    return cases


CASES = _cases()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", params(CASES))
def test_matches_torch(case, dtype):
    run_case(case, dtype)


@pytest.mark.parametrize("case", params([c for c in CASES if c.name.startswith("CE")]))
def test_gradcheck(case):
    run_gradcheck(case)


def test_every_sample_ignored_gives_nan_like_torch():
    logits = np.zeros((2, 3))
    labels = np.array([-100, -100])
    ours = nn.CrossEntropyLoss()(Tensor(logits), labels).item()
    ref = torch.nn.CrossEntropyLoss()(torch.from_numpy(logits), torch.from_numpy(labels)).item()
    assert np.isnan(ours) and np.isnan(ref)


def test_losses_refuse_what_they_do_not_support_and_say_so():
    with pytest.raises(NotImplementedError, match="CrossEntropyLoss: per-class weight="):
        nn.CrossEntropyLoss(weight=np.ones(3))
    with pytest.raises(ValueError, match="CrossEntropyLoss: reduction must be one of"):
        nn.CrossEntropyLoss(reduction="average")
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: label_smoothing must be in \[0, 1\]"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="class label 7 is outside 0..2"):
        nn.CrossEntropyLoss()(Tensor(np.zeros((2, 3))), np.array([0, 7]))
    with pytest.raises(ValueError, match="MSELoss|mse: prediction has shape"):
        nn.MSELoss()(Tensor(np.zeros((2, 1))), Tensor(np.zeros(2)))


def test_losses_are_modules_with_torchs_repr():
    assert repr(nn.CrossEntropyLoss()) == repr(torch.nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert isinstance(nn.MSELoss(), nn.Module)
    assert repr(nn.L1Loss(reduction="sum")) == "L1Loss(reduction='sum')"
