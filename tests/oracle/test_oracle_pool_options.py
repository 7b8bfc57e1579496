"""Pooling's ``ceil_mode``, ``count_include_pad`` and ``divisor_override`` against PyTorch,
forward and backward.

Float64 within 1e-10 and float32 within 1e-5 (``oracle_helper``), on odd sizes where the last
window is partial, with padding, strides that do not divide, dilation, a window larger than a
side of one pixel (allowed in ceil mode), and batch 1.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from oracle_helper import Case, params, run_case, run_gradcheck, separated

from humblenet import conv as C

# (N, C, H, W), kernel, stride, padding, dilation (max only)
SETTINGS = [
    ((2, 3, 5, 7), 2, 2, 0, 1),
    ((1, 2, 7, 5), 3, 2, 1, 1),
    ((2, 1, 6, 5), (2, 3), (2, 2), (1, 1), 1),
    ((1, 2, 5, 5), 3, 3, 1, 1),
    ((2, 2, 1, 5), 2, 2, 0, 1),  # height 1 < kernel 2: one partial window in ceil mode
    ((1, 1, 8, 7), 3, 2, 1, 2),
    ((1, 1, 4, 4), 2, 1, 1, 1),  # stride 1: ceil_mode changes nothing
]


def _cases() -> list[Case]:
    cases = []
    for shape, k, s, p, d in SETTINGS:
        tag = f"{shape}k{k}s{s}p{p}d{d}".replace(" ", "")
        cases.append(
            Case(
                f"max_pool2d ceil{tag}",
                [shape],
                lambda x, k=k, s=s, p=p, d=d: C.max_pool2d(x, k, s, p, d, ceil_mode=True),
                lambda x, k=k, s=s, p=p, d=d: TF.max_pool2d(x, k, s, p, d, ceil_mode=True),
                make=separated,
            )
        )
        if d != 1:
            continue
        for ceil in (False, True):
            for include in (False, True):
                if not ceil and (include or shape[2] == 1):
                    continue  # the default is in test_oracle_conv; height 1 needs ceil_mode
                name = f"avg_pool2d ceil{int(ceil)} include_pad{int(include)}{tag}"

                def ours(x, k=k, s=s, p=p, ceil=ceil, include=include):
                    return C.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=include)

                def ref(x, k=k, s=s, p=p, ceil=ceil, include=include):
                    return TF.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=include)

                cases.append(Case(name, [shape], ours, ref))
        for ceil, include, divisor in [(False, True, 3), (True, False, 2), (True, True, -5)]:
            if not ceil and shape[2] == 1:
                continue  # height 1 needs ceil_mode
            name = f"avg_pool2d divisor{divisor} ceil{int(ceil)} include_pad{int(include)}{tag}"

            def ours(x, k=k, s=s, p=p, ceil=ceil, include=include, divisor=divisor):
                return C.avg_pool2d(x, k, s, p, ceil, include, divisor_override=divisor)

            def ref(x, k=k, s=s, p=p, ceil=ceil, include=include, divisor=divisor):
                return TF.avg_pool2d(x, k, s, p, ceil, include, divisor_override=divisor)

            cases.append(Case(name, [shape], ours, ref))
    return cases


CASES = _cases()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", params(CASES))
def test_matches_torch(case, dtype):
    run_case(case, dtype)


@pytest.mark.parametrize("case", params(CASES))
def test_gradcheck(case):
    run_gradcheck(case)


@pytest.mark.parametrize("ceil", [False, True])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 6, 7, 8, 9])
@pytest.mark.parametrize(("k", "s", "p", "d"), [(2, 2, 0, 1), (3, 2, 1, 1), (3, 3, 1, 2)])
def test_output_size_is_torchs(size, k, s, p, d, ceil):
    x = torch.zeros(1, 1, size, size)
    try:
        expected = TF.max_pool2d(x, k, s, p, d, ceil_mode=ceil).shape[-1]
    except RuntimeError:
        expected = 0  # torch: "Output size is too small"
    assert max(0, C.pool_output_size(size, k, s, p, d, ceil)) == expected
    if expected == 0:
        with pytest.raises(ValueError, match="larger than the padded input"):
            C.max_pool2d(C.Tensor(np.zeros((1, 1, size, size))), k, s, p, d, ceil_mode=ceil)


def test_divisor_override_errors_name_the_value():
    x = C.Tensor(np.ones((1, 1, 4, 4)))
    with pytest.raises(ValueError, match="divisor_override must not be zero"):
        C.avg_pool2d(x, 2, divisor_override=0)
    for wrong in (2.5, True, "3"):
        with pytest.raises(TypeError, match="divisor_override must be an int or None"):
            C.avg_pool2d(x, 2, divisor_override=wrong)
