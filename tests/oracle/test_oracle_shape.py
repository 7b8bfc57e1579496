"""Shape operations and indexing against PyTorch: gradients routed, scattered and accumulated."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from oracle_helper import Case, params, run_case, run_gradcheck

import humblenet as hn


def same(fn):  # an expression written with methods both libraries share
    return fn, fn


RESHAPE_CASES = [
    Case("reshape (2,3,4)->(4,6)", [(2, 3, 4)], *same(lambda a: a.reshape(4, 6))),
    Case("reshape tuple -1", [(2, 3, 4)], *same(lambda a: a.reshape((2, -1)))),
    Case("reshape flat", [(2, 3, 4)], *same(lambda a: a.reshape(-1))),
    Case("reshape to 0-d", [(1, 1)], *same(lambda a: a.reshape(()))),
    Case("reshape size-0", [(0, 3)], *same(lambda a: a.reshape(3, 0, 1))),
    Case("flatten", [(2, 3, 4)], lambda a: a.flatten(1), lambda a: a.flatten(1)),
    Case("transpose 2-d", [(3, 4)], *same(lambda a: a.T)),
    Case("transpose reversed", [(2, 3, 4)], lambda a: a.transpose(), lambda a: a.permute(2, 1, 0)),
    Case("permute", [(2, 3, 4)], *same(lambda a: a.permute(2, 0, 1))),
    Case("permute negative", [(2, 3, 4)], *same(lambda a: a.permute(-1, -3, -2))),
    Case("permute tuple", [(2, 3, 4, 1)], *same(lambda a: a.permute((1, 3, 0, 2)))),
    Case("permute size-0", [(2, 0, 4)], *same(lambda a: a.permute(1, 2, 0))),
    Case("expand", [(3, 1)], *same(lambda a: a.expand(2, 3, 4))),
    Case("expand -1", [(3, 1)], *same(lambda a: a.expand(-1, 5))),
    Case("expand tuple", [(1, 4)], *same(lambda a: a.expand((3, 2, 4)))),
    Case("expand 0-d", [()], *same(lambda a: a.expand(2, 2))),
    Case(
        "broadcast_to", [(4,)], lambda a: a.broadcast_to((3, 4)), lambda a: a.broadcast_to((3, 4))
    ),
    Case(
        "broadcast_to size-0",
        [(1, 3)],
        lambda a: a.broadcast_to((0, 3)),
        lambda a: a.broadcast_to((0, 3)),
    ),
    Case("expand then mul", [(3, 1), (2, 3, 4)], *same(lambda a, b: a.expand(2, 3, 4) * b)),
    Case("squeeze all", [(1, 3, 1, 2)], *same(lambda a: a.squeeze())),
    Case("squeeze axis", [(1, 3, 1, 2)], lambda a: a.squeeze(2), lambda a: a.squeeze(2)),
    Case("squeeze negative", [(1, 3, 1, 2)], lambda a: a.squeeze(-2), lambda a: a.squeeze(-2)),
    Case("squeeze tuple", [(1, 3, 1, 2)], lambda a: a.squeeze((0, 2)), lambda a: a.squeeze((0, 2))),
    Case("unsqueeze 0", [(3, 2)], *same(lambda a: a.unsqueeze(0))),
    Case("unsqueeze end", [(3, 2)], *same(lambda a: a.unsqueeze(2))),
    Case("unsqueeze -1", [(3, 2)], *same(lambda a: a.unsqueeze(-1))),
    Case("unsqueeze -3", [(3, 2)], *same(lambda a: a.unsqueeze(-3))),
]

JOIN_CASES = [
    Case(
        "concatenate axis 0",
        [(2, 3), (4, 3), (1, 3)],
        lambda a, b, c: hn.concatenate([a, b, c], axis=0),
        lambda a, b, c: torch.cat([a, b, c], dim=0),
    ),
    Case(
        "concatenate axis -1",
        [(2, 3, 1), (2, 3, 4)],
        lambda a, b: hn.concatenate([a, b], axis=-1),
        lambda a, b: torch.cat([a, b], dim=-1),
    ),
    Case(
        "concatenate with empty",
        [(2, 3), (0, 3), (1, 3)],
        lambda a, b, c: hn.concatenate([a, b, c]),
        lambda a, b, c: torch.cat([a, b, c]),
    ),
    Case(
        "concatenate same tensor twice",
        [(2, 3)],
        lambda a: hn.concatenate([a, a * 2], axis=1),
        lambda a: torch.cat([a, a * 2], dim=1),
    ),
    Case(
        "concatenate constant part",
        [(2, 3), (2, 2)],
        lambda a, b: hn.concatenate([a, b], axis=1),
        lambda a, b: torch.cat([a, b], dim=1),
        grad=[True, False],
    ),
    Case(
        "stack axis 0",
        [(2, 3), (2, 3), (2, 3)],
        lambda a, b, c: hn.stack([a, b, c]),
        lambda a, b, c: torch.stack([a, b, c]),
    ),
    Case(
        "stack axis 1",
        [(2, 3), (2, 3)],
        lambda a, b: hn.stack([a, b], axis=1),
        lambda a, b: torch.stack([a, b], dim=1),
    ),
    Case(
        "stack axis -1",
        [(2, 3), (2, 3)],
        lambda a, b: hn.stack([a, b], axis=-1),
        lambda a, b: torch.stack([a, b], dim=-1),
    ),
    Case(
        "stack 0-d",
        [(), ()],
        lambda a, b: hn.stack([a, b]),
        lambda a, b: torch.stack([a, b]),
    ),
]


def _index_case(name, shape, index, torch_index=None):
    """``a[index]`` in both libraries (torch receives arrays as tensors)."""

    def to_torch(i):
        return torch.from_numpy(i) if isinstance(i, np.ndarray) else i

    if torch_index is None:
        torch_index = tuple(map(to_torch, index)) if isinstance(index, tuple) else to_torch(index)
    return Case(f"index {name}", [shape], lambda a: a[index], lambda a: a[torch_index])


_MASK = np.array(
    [[True, False, True, True], [False, False, True, False], [True, True, False, False]]
)

INDEX_CASES = [
    _index_case("int", (3, 4), 1),
    _index_case("negative int", (3, 4), -1),
    _index_case("int pair", (3, 4), (2, -3)),
    _index_case("slice", (5, 4), slice(1, None)),
    _index_case("step slice", (5, 4), (slice(None), slice(None, None, 2))),
    _index_case("negative slice", (5, 4), (slice(-3, -1), 1)),
    _index_case("empty slice", (5, 4), slice(3, 3)),
    _index_case("ellipsis", (2, 3, 4), (Ellipsis, 1)),
    _index_case("new axis", (3, 4), (slice(None), None, 2)),
    _index_case("int array", (5, 3), np.array([4, 0, 2])),
    _index_case("repeated ints", (5, 3), np.array([1, 1, 3, 1])),
    _index_case("2-d int array", (5, 3), np.array([[0, 1], [1, 4]])),
    _index_case("int arrays pair", (4, 3), (np.array([0, 0, 3, 0]), np.array([2, 2, 1, 2]))),
    _index_case("slice and array", (4, 5), (slice(1, 3), np.array([4, 4, 0]))),
    _index_case("list", (5, 3), [0, 0, 2]),
    _index_case("negative array", (5, 3), np.array([-1, -1, 0])),
    _index_case("bool mask", (3, 4), _MASK),
    _index_case("bool rows", (3, 4), np.array([True, False, True])),
    _index_case("bool none", (3, 4), np.zeros((3, 4), dtype=bool)),
    _index_case("bool cols", (3, 4), (slice(None), np.array([False, True, True, False]))),
    Case(
        "index by Tensor",
        [(5, 3)],
        lambda a: a[hn.Tensor(np.array([3, 3, 1]))],
        lambda a: a[torch.tensor([3, 3, 1])],
    ),
    Case(
        "index by comparison",
        [(3, 4)],
        lambda a: a[a > 0.5],
        lambda a: a[a > 0.5],
    ),
]

CASES = RESHAPE_CASES + JOIN_CASES + INDEX_CASES


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", params(CASES))
def test_matches_torch(case, dtype):
    run_case(case, dtype)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck(case):
    run_gradcheck(case)
