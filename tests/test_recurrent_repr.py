"""The recurrent layers print as torch's do: the sizes, then each option that differs from its
default (a new-user trial found ``dropout`` left out)."""

from __future__ import annotations

import pytest
import torch

from humblenet import nn


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"num_layers": 2, "dropout": 0.5},
        {"bias": False, "batch_first": True, "bidirectional": True},
        {"num_layers": 3, "batch_first": True, "dropout": 0.25, "bidirectional": True},
    ],
)
def test_the_repr_is_torchs(name: str, options: dict) -> None:
    ours = getattr(nn, name)(8, 16, **options)
    theirs = getattr(torch.nn, name)(8, 16, **options)
    assert repr(ours) == repr(theirs)
