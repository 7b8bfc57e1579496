"""The Tensor methods with PyTorch's names, written the same way in both libraries, against
PyTorch: forward and backward in float64 (relative 1e-10) and float32 (1e-5).

Most cases are one expression, ``x.softmax(dim=1)``, run on a humblenet Tensor and on a torch
tensor holding the same numbers. After them come the cases ported from tinygrad's test_ops that
found bugs (tensors with no axes, squeezing an axis that is not 1, swapping axes, exponents at
0, stacking along an axis that does not exist): each fails on the code before the fix.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from oracle_helper import Case, check_op, params, run_case, run_gradcheck, separated

import humblenet as hn
from humblenet import Tensor


def same(fn):  # one expression, the same text for both libraries
    return fn, fn


def nonzero(rng, dtype, shapes):
    """Values with |x| in [0.5, 2): safe denominators, away from kinks."""
    return [
        (rng.uniform(0.5, 2.0, size=s) * rng.choice([-1.0, 1.0], size=s)).astype(dtype)
        for s in shapes
    ]


def with_zeros(rng, dtype, shapes):
    """Rows of a (3, 4) matrix holding no zero, one zero and two zeros (for ``prod``)."""
    (shape,) = shapes
    values = rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    values[1, 2] = 0.0
    values[2, 0] = values[2, 3] = 0.0
    return [values.astype(dtype)]


INDEX = np.array([[0, 2, 2], [1, 1, 0], [3, 0, 1]])  # repeats: gradients must accumulate


METHOD_CASES = [
    # activations and the softmax family
    Case("relu", [(3, 4)], *same(lambda a: a.relu()), make=separated),
    Case("sigmoid", [(3, 4)], *same(lambda a: a.sigmoid())),
    Case("tanh", [(3, 4)], *same(lambda a: a.tanh())),
    Case("softmax dim=1", [(3, 4)], *same(lambda a: a.softmax(dim=1))),
    Case("softmax dim=0", [(3, 4)], *same(lambda a: a.softmax(0))),
    Case("softmax dim=-2 of 3-d", [(2, 3, 4)], *same(lambda a: a.softmax(-2))),
    Case("log_softmax dim=1", [(3, 4)], *same(lambda a: a.log_softmax(dim=1))),
    Case("log_softmax dim=0", [(2, 3, 4)], *same(lambda a: a.log_softmax(0))),
    Case("logsumexp dim=1", [(3, 4)], *same(lambda a: a.logsumexp(dim=1))),
    Case("logsumexp keepdim", [(3, 4)], *same(lambda a: a.logsumexp(0, keepdim=True))),
    # arithmetic by name
    Case("neg", [(3, 4)], *same(lambda a: a.neg())),
    Case("add", [(3, 4), (4,)], *same(lambda a, b: a.add(b))),
    Case("add alpha", [(3, 4), (3, 4)], *same(lambda a, b: a.add(b, alpha=2.5))),
    Case("add number", [(3, 4)], *same(lambda a: a.add(1.5))),
    Case("sub", [(3, 4), (3, 1)], *same(lambda a, b: a.sub(b))),
    Case("sub alpha", [(3, 4), (3, 4)], *same(lambda a, b: a.sub(b, alpha=0.5))),
    Case("mul", [(3, 4), (4,)], *same(lambda a, b: a.mul(b))),
    Case("div", [(3, 4), (3, 4)], *same(lambda a, b: a.div(b)), make=nonzero),
    Case("pow tensor", [(3, 4), (3, 4)], *same(lambda a, b: a.pow(b)), low=0.5, high=2.0),
    Case("pow number", [(3, 4)], *same(lambda a: a.pow(3))),
    Case("matmul", [(3, 4), (4, 2)], *same(lambda a, b: a.matmul(b))),
    Case("matmul square", [(3, 3), (3, 3)], *same(lambda a, b: a.matmul(b))),
    Case("matmul square same tensor", [(4, 4)], *same(lambda a: a.matmul(a))),
    Case("matmul square batched", [(2, 3, 3), (3, 3)], *same(lambda a, b: a @ b)),
    Case("square", [(3, 4)], *same(lambda a: a.square())),
    Case("exp", [(3, 4)], *same(lambda a: a.exp())),
    Case("log", [(3, 4)], *same(lambda a: a.log()), low=0.1, high=3.0),
    Case("log1p", [(3, 4)], *same(lambda a: a.log1p()), low=-0.5, high=3.0),
    Case("sqrt", [(3, 4)], *same(lambda a: a.sqrt()), low=0.1, high=3.0),
    Case("sin", [(3, 4)], *same(lambda a: a.sin()), low=-4.0, high=4.0),
    Case("cos", [(3, 4)], *same(lambda a: a.cos()), low=-4.0, high=4.0),
    Case("abs", [(3, 4)], *same(lambda a: a.abs()), make=separated),
    Case("clamp", [(4, 5)], *same(lambda a: a.clamp(-0.555, 0.755)), make=separated),
    Case("clamp min=", [(4, 5)], *same(lambda a: a.clamp(min=-0.555)), make=separated),
    Case("clamp max=", [(4, 5)], *same(lambda a: a.clamp(max=0.755)), make=separated),
    # reductions with dim= / keepdim=
    Case("sum", [(2, 3, 4)], *same(lambda a: a.sum())),
    Case("sum dim", [(2, 3, 4)], *same(lambda a: a.sum(dim=1))),
    Case("sum dims keepdim", [(2, 3, 4)], *same(lambda a: a.sum(dim=(0, 2), keepdim=True))),
    Case("sum dim list", [(2, 3, 4)], *same(lambda a: a.sum([0, -1]))),
    Case("mean", [(2, 3, 4)], *same(lambda a: a.mean())),
    Case("mean dim keepdim", [(2, 3, 4)], *same(lambda a: a.mean(dim=-1, keepdim=True))),
    Case("max", [(3, 4)], *same(lambda a: a.max()), make=separated),
    Case("max dim values", [(3, 4)], *same(lambda a: a.max(dim=1).values), make=separated),
    Case("max dim [0]", [(3, 4)], *same(lambda a: a.max(1)[0]), make=separated),
    Case("max dim keepdim", [(3, 4)], *same(lambda a: a.max(0, keepdim=True)[0]), make=separated),
    Case("max other", [(3, 4), (4,)], *same(lambda a, b: a.max(b)), make=separated),
    Case("min", [(3, 4)], *same(lambda a: a.min()), make=separated),
    Case("min dim values", [(3, 4)], *same(lambda a: a.min(dim=0).values), make=separated),
    Case("min other", [(3, 4), (3, 4)], *same(lambda a, b: a.min(b)), make=separated),
    Case("argmax", [(3, 4)], *same(lambda a: a.argmax()), make=separated),
    Case("argmax dim", [(3, 4)], *same(lambda a: a.argmax(1)), make=separated),
    Case(
        "argmax keepdim",
        [(3, 4)],
        *same(lambda a: a.argmax(dim=0, keepdim=True)),
        make=separated,
    ),
    Case(
        "argmax keepdim no dim",
        [(3, 4)],
        *same(lambda a: a.argmax(keepdim=True)),
        make=separated,
    ),
    Case("argmin", [(3, 4)], *same(lambda a: a.argmin()), make=separated),
    Case("argmin dim", [(3, 4)], *same(lambda a: a.argmin(dim=-1)), make=separated),
    Case("std", [(3, 4)], *same(lambda a: a.std())),
    Case("std dim", [(3, 4)], *same(lambda a: a.std(dim=1))),
    Case("std dim keepdim", [(3, 4)], *same(lambda a: a.std(0, keepdim=True))),
    Case("std correction=0", [(3, 4)], *same(lambda a: a.std(dim=1, correction=0))),
    Case("std unbiased=False", [(3, 4)], *same(lambda a: a.std(1, False))),
    Case("var dim", [(3, 4)], *same(lambda a: a.var(dim=0))),
    Case("cumsum dim 0", [(3, 4)], *same(lambda a: a.cumsum(0))),
    Case("cumsum dim=-1", [(2, 3, 4)], *same(lambda a: a.cumsum(dim=-1))),
    Case("prod", [(3, 4)], *same(lambda a: a.prod()), make=nonzero),
    Case("prod dim", [(3, 4)], *same(lambda a: a.prod(1)), make=nonzero),
    Case("prod dim keepdim", [(3, 4)], *same(lambda a: a.prod(dim=0, keepdim=True))),
    Case("prod with zeros", [(3, 4)], *same(lambda a: a.prod(1)), make=with_zeros),
    Case("prod all with zeros", [(3, 4)], *same(lambda a: a.prod(0)), make=with_zeros),
    # dtypes
    Case("float", [(3, 4)], *same(lambda a: a.float() * 2), gradcheck=False),
    Case("double", [(3, 4)], *same(lambda a: a.double() * 2), gradcheck=False),
    Case(
        "to float64",
        [(3, 4)],
        lambda a: a.to(hn.float64),
        lambda a: a.to(torch.float64),
        gradcheck=False,
    ),
    Case(
        "to float32",
        [(3, 4)],
        lambda a: a.to(hn.float32),
        lambda a: a.to(torch.float32),
        gradcheck=False,
    ),
    Case(
        "to cpu, dtype",
        [(3, 4)],
        lambda a: a.to("cpu", hn.double),
        lambda a: a.to("cpu", torch.double),
        gradcheck=False,
    ),
    Case(
        "type",
        [(3, 4)],
        lambda a: a.type(hn.float64),
        lambda a: a.type(torch.float64),
        gradcheck=False,
    ),
    Case(
        "type float",
        [(3, 4)],
        lambda a: a.type(hn.float),
        lambda a: a.type(torch.float),
        gradcheck=False,
    ),
    Case("long", [(3, 4)], *same(lambda a: (a * 3).long()), gradcheck=False),
    # copies, shapes, picking
    Case("clone", [(3, 4)], *same(lambda a: a.clone() * a)),
    Case("detach", [(3, 4)], *same(lambda a: a.detach() * a), gradcheck=False),
    Case("view", [(3, 4)], *same(lambda a: a.view(2, 6))),
    Case("view -1", [(2, 3, 4)], *same(lambda a: a.view(-1, 4))),
    Case("view tuple", [(2, 3, 4)], *same(lambda a: a.view((6, 4)))),
    Case("reshape", [(2, 3, 4)], *same(lambda a: a.reshape(4, -1))),
    Case("unsqueeze", [(3, 4)], *same(lambda a: a.unsqueeze(1))),
    Case("unsqueeze -1", [(3, 4)], *same(lambda a: a.unsqueeze(-1))),
    Case("squeeze", [(3, 1, 4)], *same(lambda a: a.squeeze(1))),
    Case("squeeze all", [(1, 3, 1)], *same(lambda a: a.squeeze())),
    Case("squeeze dims", [(1, 3, 1)], *same(lambda a: a.squeeze((0, 2)))),
    Case("flatten", [(2, 3, 4)], *same(lambda a: a.flatten())),
    Case("flatten start", [(2, 3, 4)], *same(lambda a: a.flatten(1))),
    Case("flatten middle", [(2, 3, 4, 5)], *same(lambda a: a.flatten(1, 2))),
    Case("flatten end=-2", [(2, 3, 4)], *same(lambda a: a.flatten(start_dim=0, end_dim=-2))),
    Case("flatten one axis", [(2, 3, 4)], *same(lambda a: a.flatten(1, 1))),
    Case("t", [(3, 4)], *same(lambda a: a.t())),
    Case("t vector", [(4,)], *same(lambda a: a.t())),
    Case("T", [(3, 4)], *same(lambda a: a.T)),
    Case("permute", [(2, 3, 4)], *same(lambda a: a.permute(2, 0, 1))),
    Case("permute tuple", [(2, 3, 4)], *same(lambda a: a.permute((1, 2, 0)))),
    Case("repeat", [(2, 3)], *same(lambda a: a.repeat(2, 3))),
    Case("repeat more axes", [(2, 3)], *same(lambda a: a.repeat(2, 1, 2))),
    Case("repeat vector", [(3,)], *same(lambda a: a.repeat(4))),
    Case("masked_fill", [(3, 4)], *same(lambda a: a.masked_fill(a > 0.5, -1.0))),
    Case(
        "masked_fill tensor value",
        [(3, 4), ()],
        *same(lambda a, v: a.masked_fill(a < 0, v)),
    ),
    Case(
        "masked_fill broadcast mask",
        [(3, 4), (4,)],
        *same(lambda a, m: a.masked_fill(m > 0, 2.0)),
        grad=[True, False],
    ),
    Case(
        "gather dim 1",
        [(3, 4)],
        lambda a: a.gather(1, hn.tensor(INDEX)),
        lambda a: a.gather(1, torch.from_numpy(INDEX)),
    ),
    Case(
        "gather dim 0",
        [(4, 3)],
        lambda a: a.gather(0, hn.tensor(INDEX)),
        lambda a: a.gather(0, torch.from_numpy(INDEX)),
    ),
    Case(
        "gather smaller index",
        [(3, 5)],
        lambda a: a.gather(1, hn.tensor(INDEX[:2, :2])),
        lambda a: a.gather(1, torch.from_numpy(INDEX[:2, :2])),
    ),
    Case("transpose 0 1", [(3, 4)], *same(lambda a: a.transpose(0, 1))),
    Case("transpose 1 2", [(2, 3, 4)], *same(lambda a: a.transpose(1, 2))),
    Case("transpose -1 0", [(2, 3, 4)], *same(lambda a: a.transpose(-1, 0))),
    Case("transpose same axis", [(2, 3)], *same(lambda a: a.transpose(1, 1))),
    Case("transpose square", [(3, 3)], *same(lambda a: a.transpose(0, 1) @ a)),
]

# The functions at the top level, written as torch writes them (torch.argmax(x, 1)).
FUNCTION_CASES = [
    Case(
        f"humblenet.{name}",
        [shape],
        lambda a, name=name, args=args: getattr(hn, name)(a, *args),
        lambda a, name=name, args=args: getattr(torch, name)(a, *args),
        make=separated,
    )
    for name, shape, args in [
        ("sum", (3, 4), (1,)),
        ("mean", (3, 4), (0,)),
        ("exp", (3, 4), ()),
        ("log_softmax", (3, 4), (1,)),
        ("softmax", (3, 4), (0,)),
        ("sigmoid", (3, 4), ()),
        ("relu", (3, 4), ()),
        ("tanh", (3, 4), ()),
        ("argmax", (3, 4), (1,)),
        ("flatten", (2, 3, 4), (1,)),
        ("transpose", (2, 3, 4), (0, 2)),
        ("permute", (2, 3, 4), ((2, 0, 1),)),
        ("unsqueeze", (3, 4), (0,)),
        ("squeeze", (3, 1), (1,)),
        ("cumsum", (3, 4), (1,)),
        ("std", (3, 4), (1,)),
        ("square", (3, 4), ()),
        ("clamp", (3, 4), (-0.555, 0.755)),
        ("abs", (3, 4), ()),
    ]
] + [
    Case("humblenet.max dim", [(3, 4)], lambda a: hn.max(a, 1)[0], lambda a: torch.max(a, 1)[0]),
    Case(
        "humblenet.cat",
        [(2, 3), (1, 3)],
        lambda a, b: hn.cat([a, b]),
        lambda a, b: torch.cat([a, b]),
    ),
    Case(
        "humblenet.cat dim",
        [(2, 3), (2, 1)],
        lambda a, b: hn.cat([a, b], dim=1),
        lambda a, b: torch.cat([a, b], dim=1),
    ),
    Case(
        "humblenet.stack dim",
        [(2, 3), (2, 3)],
        lambda a, b: hn.stack([a, b], dim=2),
        lambda a, b: torch.stack([a, b], dim=2),
    ),
    Case(
        "humblenet.gather",
        [(3, 4)],
        lambda a: hn.gather(a, 1, hn.tensor(INDEX)),
        lambda a: torch.gather(a, 1, torch.from_numpy(INDEX)),
    ),
]

CASES = METHOD_CASES + FUNCTION_CASES


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", params(CASES))
def test_matches_torch(case, dtype):
    run_case(case, dtype)


@pytest.mark.parametrize(
    "case",
    params([c for c in METHOD_CASES if c.gradcheck and c.make is not separated]),
)
def test_gradcheck(case):
    run_gradcheck(case)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_check_op_runs_the_torch_named_methods(dtype):
    # The helper itself, on a chain of torch-named methods.
    check_op(
        [(3, 4), (4, 5)],
        lambda a, b: a.matmul(b).relu().log_softmax(dim=1).mean(dim=0).square().sum(),
        lambda a, b: a.matmul(b).relu().log_softmax(dim=1).mean(dim=0).square().sum(),
        dtype=dtype,
    )


def test_max_and_min_along_a_dim_return_named_values_and_indices_like_torch():
    data = np.array([[1.0, 5.0, 3.0], [7.0, 2.0, 0.0]], dtype=np.float32)
    for name in ("max", "min"):
        ours = getattr(Tensor(data), name)(dim=1)
        ref = getattr(torch.from_numpy(data), name)(dim=1)
        values, indices = ours  # unpacks as a pair
        np.testing.assert_array_equal(values.data, ref.values.numpy())
        np.testing.assert_array_equal(ours.indices.data, ref.indices.numpy())
        assert indices.dtype == np.int64
        # NumPy's keyword still gives the values alone
        np.testing.assert_array_equal(getattr(Tensor(data), name)(axis=1).data, ref.values)


def test_the_gradient_of_max_along_a_dim_goes_to_the_index_even_among_ties():
    data = np.array([[2.0, 2.0, 1.0]])
    x, ref = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    x.max(dim=1).values.sum().backward()
    ref.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(x.grad, ref.grad.numpy())  # [1, 0, 0]
    y = Tensor(data, requires_grad=True)
    y.max().backward()  # amax: ties share, as torch.amax
    np.testing.assert_array_equal(y.grad, [[0.5, 0.5, 0.0]])


def test_comparisons_by_name_and_eq_give_bool_tensors_like_torch():
    a = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    b = np.array([1.0, 4.0], dtype=np.float32)
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        ours = getattr(Tensor(a), name)(Tensor(b))
        ref = getattr(torch.from_numpy(a), name)(torch.from_numpy(b))
        assert ours.dtype == np.bool_
        np.testing.assert_array_equal(ours.data, ref.numpy())
    labels = np.array([2, 0, 1])
    predicted = Tensor(np.eye(3)[[2, 1, 1]]).argmax(1)
    matches = predicted == Tensor(labels)
    assert matches.dtype == np.bool_
    assert matches.type(hn.float).sum().item() == 2.0


def test_sizes_counts_and_conversions_like_torch():
    data = np.arange(24.0).reshape(2, 3, 4)
    x, ref = Tensor(data), torch.from_numpy(data)
    assert x.size() == tuple(ref.size())
    assert [x.size(d) for d in (0, 1, -1)] == [ref.size(d) for d in (0, 1, -1)]
    assert x.numel() == ref.numel() == 24 and x.dim() == ref.dim() == 3
    assert x.size == 24  # NumPy's meaning of size, kept
    assert Tensor(np.float32(2.5)).item() == ref.new_tensor(2.5).item()
    assert x[0, 1].tolist() == ref[0, 1].tolist()
    assert x.numpy() is data and x.detach().numpy() is data
    assert x.type() == "humblenet.DoubleTensor" and ref.type() == "torch.DoubleTensor"
    assert x.type("torch.FloatTensor").dtype == np.float32
    assert x.float().float().dtype == np.float32
    converted = x.float()
    assert converted.to(hn.float32) is converted  # no copy when nothing changes, as torch


def test_requires_grad_underscore_turns_a_leaf_on_like_torch():
    x = Tensor(np.array([1.0, 2.0]))
    assert x.requires_grad_() is x and x.requires_grad
    (x * x).sum().backward(gradient=Tensor(np.array(1.0)))
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    with pytest.raises(TypeError, match="requires_grad_: only floating-point"):
        Tensor(np.array([1, 2])).requires_grad_()
    with pytest.raises(RuntimeError, match="cannot stop requiring grad"):
        (x * 2).requires_grad_(False)


def test_tensor_to_refuses_a_gpu_with_a_clear_message():
    x = Tensor(np.ones(2))
    assert x.to("cpu") is x and x.to(hn.device("cpu")) is x and x.cpu() is x
    for gpu in ("cuda", "cuda:0", hn.device("cuda", 0), "mps"):
        with pytest.raises(ValueError, match="Tensor.to: device .* is not available"):
            x.to(gpu)
    with pytest.raises(ValueError, match="Tensor.cuda: device 'cuda' is not available"):
        x.cuda()


def test_transpose_keeps_the_numpy_forms_without_ambiguity():
    x = Tensor(np.zeros((2, 3, 4)))
    assert x.transpose().shape == (4, 3, 2)  # reversed, as .T
    assert x.transpose((2, 0, 1)).shape == (4, 2, 3)  # one tuple: NumPy's permutation
    with pytest.raises(TypeError, match="expected two axes to swap"):
        x.transpose(2, 0, 1)
    with pytest.raises(ValueError, match="not an order of all 3 axes"):
        x.permute(0, 1)


def test_dim_and_axis_together_are_refused():
    with pytest.raises(TypeError, match="sum: got both dim=0 and axis=1"):
        Tensor(np.ones((2, 2))).sum(dim=0, axis=1)


# -- the cases ported from tinygrad's test_ops that found bugs ----------------------------------

ZERO_D_CASES = [
    Case("0-d sum(axis=0)", [()], lambda a: a.sum(axis=0), lambda a: a.sum(dim=0)),
    Case("0-d sum(0)", [()], *same(lambda a: a.sum(0))),
    Case("0-d sum(dim=-1, keepdim)", [()], *same(lambda a: a.sum(dim=-1, keepdim=True))),
    Case("0-d mean(0)", [()], *same(lambda a: a.mean(0))),
    Case("0-d max(0)", [()], *same(lambda a: a.max(0)[0])),
    Case("0-d argmax(0)", [()], *same(lambda a: a.argmax(0))),
    Case("0-d squeeze(0)", [()], *same(lambda a: a.squeeze(0))),
    Case("0-d squeeze(-1)", [()], *same(lambda a: a.squeeze(-1))),
    Case("0-d unsqueeze(0)", [()], *same(lambda a: a.unsqueeze(0))),
    Case("0-d softmax(0)", [()], *same(lambda a: a.softmax(0))),
    Case("0-d softmax(-1)", [()], *same(lambda a: a.softmax(dim=-1))),
    Case("0-d log_softmax(0)", [()], *same(lambda a: a.log_softmax(0))),
    Case("0-d logsumexp(0)", [()], *same(lambda a: a.logsumexp(0))),
    Case("0-d cumsum(0)", [()], *same(lambda a: a.cumsum(0))),
    Case("0-d prod(0)", [()], *same(lambda a: a.prod(0))),
    Case("0-d flatten", [()], *same(lambda a: a.flatten())),
    Case("0-d transpose(0, -1)", [()], *same(lambda a: a.transpose(0, -1))),
    Case("0-d sum(0) of a product", [()], *same(lambda a: (a * a).sum(0))),
]


def test_zero_d_reductions_use_the_functional_forms_too():
    x = Tensor(np.array(1.5), requires_grad=True)
    assert hn.functional.softmax(x, 0).item() == 1.0
    assert hn.functional.logsumexp(x, 0).item() == 1.5
    assert hn.functional.log_softmax(x, axis=-1).item() == 0.0


def zero_base(rng, dtype, shapes):
    """A base with zeros (and other values) for ``x ** 0``."""
    return [np.array([0.0, 0.0, 1.5, -2.0], dtype=dtype)]


def negative_exponents(rng, dtype, shapes):
    """Exponents below, at and above 0, for ``0 ** x``: the first gives inf and -inf."""
    return [np.array([-1.5, 0.0, 0.5, 2.0], dtype=dtype)]


def zero_bases_and_exponents(rng, dtype, shapes):
    """Bases 0 with exponents of every kind (a single infinite result, so sums stay finite)."""
    return [
        np.array([0.0, 0.0, 0.0, 0.0, 1.5], dtype=dtype),
        np.array([-1.0, 0.0, 1.0, 2.5, 0.0], dtype=dtype),
    ]


EXPONENT_CASES = [
    Case("x ** 0 at 0", [(4,)], *same(lambda a: a**0), make=zero_base),
    Case("x ** 0.0 at 0", [(4,)], *same(lambda a: a**0.0), make=zero_base),
    Case("x.pow(0) at 0", [(4,)], *same(lambda a: a.pow(0)), make=zero_base),
    Case("0 ** x for x < 0", [(4,)], *same(lambda a: 0.0**a), make=negative_exponents),
    Case(
        "0 ** x, x tensors",
        [(5,), (5,)],
        *same(lambda a, b: a**b),
        make=zero_bases_and_exponents,
    ),
]

BUG_CASES = [
    *ZERO_D_CASES,
    *EXPONENT_CASES,
    Case("squeeze(3) of size 6 is a no-op", [(2, 3, 4, 6)], *same(lambda a: a.squeeze(3))),
    Case("squeeze(1) of size 3 is a no-op", [(2, 3)], *same(lambda a: a.squeeze(1))),
    Case("squeeze mixed dims", [(1, 3, 1)], *same(lambda a: a.squeeze((0, 1)))),
    Case(
        "flatten(start_dim=0, end_dim=-1)",
        [(2, 3, 4)],
        *same(lambda a: a.flatten(start_dim=0, end_dim=-1)),
    ),
    Case(
        "flatten(start_dim=1, end_dim=2)",
        [(2, 3, 4, 2)],
        *same(lambda a: a.flatten(start_dim=1, end_dim=2)),
    ),
    Case("transpose(0, 1) of 2-d", [(3, 4)], *same(lambda a: a.transpose(0, 1))),
    Case("transpose(0, 1) of square", [(3, 3)], *same(lambda a: a.transpose(0, 1))),
    Case("transpose(1, 2) of 3-d", [(2, 3, 4)], *same(lambda a: a.transpose(1, 2))),
    Case("transpose(1, 0) of 3-d", [(2, 3, 4)], *same(lambda a: a.transpose(1, 0))),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", params(BUG_CASES))
def test_tinygrad_cases_match_torch(case, dtype):
    run_case(case, dtype)


def test_stack_along_an_axis_that_does_not_exist_says_so():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((2, 3)))
    for axis in (77, -4, 3):
        with pytest.raises(ValueError) as info:
            hn.stack([a, b], axis=axis)
        assert type(info.value) is ValueError  # not NumPy's AxisError
        assert f"stack: axis {axis} is out of range" in str(info.value)
        assert "(2, 3)" in str(info.value) and "-3 to 2" in str(info.value)
    assert (
        hn.stack([a, b], axis=2).shape
        == torch.stack([torch.ones(2, 3), torch.ones(2, 3)], dim=2).shape
    )


def test_cross_entropy_with_soft_targets_that_do_not_sum_to_one_matches_torch():
    rng = np.random.default_rng(3)
    for dtype in (np.float64, np.float32):
        logits = rng.standard_normal((4, 5)).astype(dtype)
        targets = rng.uniform(0.0, 0.7, size=(4, 5)).astype(dtype)  # rows sum to 1.1 .. 2.2
        x, ref = Tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
        loss = hn.nn.CrossEntropyLoss()(x, Tensor(targets))
        ref_loss = torch.nn.CrossEntropyLoss()(ref, torch.from_numpy(targets))
        loss.backward()
        ref_loss.backward()
        rtol = 1e-10 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(loss.item(), ref_loss.item(), rtol=rtol)
        np.testing.assert_allclose(x.grad, ref.grad.numpy(), rtol=rtol, atol=rtol / 10)
