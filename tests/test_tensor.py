"""Tensor semantics as PyTorch users expect them, errors, numerical extremes, deep graphs and
properties of broadcasting and shape operations (the op-by-op PyTorch comparison is in oracle/)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import humblenet as hn
from humblenet import Tensor, no_grad
from humblenet import functional as F
from humblenet.tensor import unbroadcast

X = np.array([[0.5, -1.25, 2.0], [1.5, 0.25, -0.75]])


def leaf(values=X, dtype="float64"):
    return Tensor(np.array(values), requires_grad=True, dtype=dtype)


# -- gradient semantics --------------------------------------------------------------------------


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    x = leaf()
    ref = torch.tensor(X, requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()
        (ref * ref).sum().backward()
    np.testing.assert_allclose(x.grad, ref.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(x.grad, 3 * 2 * X, rtol=1e-15)
    x.zero_grad()
    assert x.grad is None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * X, rtol=1e-15)


def test_a_leaf_used_twice_receives_both_shares():
    x = leaf()
    (x * 3 + x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 3 + 2 * X, rtol=1e-15)


def test_intermediate_results_keep_no_gradient_unless_retained():
    x = leaf()
    y = x * 2
    kept = (x + 1).retain_grad()
    ((y * y).sum() + (kept * kept).sum()).backward()
    assert not y.is_leaf and x.is_leaf
    assert y.grad is None
    ref = torch.tensor(X, requires_grad=True)
    ref_kept = ref + 1
    ref_kept.retain_grad()
    ((ref * 2) ** 2).sum().add((ref_kept * ref_kept).sum()).backward()
    np.testing.assert_allclose(kept.grad, ref_kept.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(x.grad, ref.grad.numpy(), rtol=1e-15)


def test_second_backward_through_a_used_graph_raises_a_clear_error():
    x = leaf()
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        loss.backward()
    np.testing.assert_allclose(x.grad, 2 * X)  # the failed call added nothing


def test_a_graph_shared_by_two_losses_is_freed_by_the_first_backward():
    x = leaf()
    y = x.exp()
    first, second = y.sum(), (y * 3).sum()
    first.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        second.backward()


def test_retain_graph_allows_a_second_backward_that_accumulates_like_torch():
    x = leaf()
    loss = (x * x.exp()).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    ref = torch.tensor(X, requires_grad=True)
    ref_loss = (ref * ref.exp()).sum()
    ref_loss.backward(retain_graph=True)
    ref_loss.backward()
    np.testing.assert_allclose(x.grad, ref.grad.numpy(), rtol=1e-14)


def test_backward_of_a_non_scalar_needs_an_explicit_gradient():
    x = leaf()
    y = x * x
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*pass gradient="):
        y.backward()
    upstream = np.arange(6.0).reshape(2, 3)
    y.backward(gradient=upstream)  # torch's keyword
    ref = torch.tensor(X, requires_grad=True)
    (ref * ref).backward(torch.from_numpy(upstream))
    np.testing.assert_allclose(x.grad, ref.grad.numpy(), rtol=1e-15)


def test_backward_with_a_gradient_of_the_wrong_shape_names_both_shapes():
    y = leaf() * 2
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\), expected .*\(2, 3\)"):
        y.backward(np.ones(3))


def test_backward_on_a_tensor_that_does_not_require_grad_says_so():
    with pytest.raises(RuntimeError, match="does not require grad.*requires_grad=True"):
        (Tensor([1.0, 2.0]) * 2).sum().backward()


def test_backward_of_a_leaf_itself_gives_one():
    x = Tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad == 1.0


def test_no_grad_records_nothing_and_restores_the_state_after_an_error():
    x = leaf()
    with no_grad():
        assert not hn.is_grad_enabled()
        y = x * 2 + 1
    assert not y.requires_grad and y.is_leaf
    with pytest.raises(ZeroDivisionError), no_grad():
        raise ZeroDivisionError
    assert hn.is_grad_enabled()
    assert (x * 2).requires_grad


def test_detach_shares_data_and_stops_the_gradient():
    x = leaf()
    d = x.detach()
    assert not d.requires_grad
    assert np.shares_memory(d.data, x.data)
    (d * x).sum().backward()  # d counts as a constant
    ref = torch.tensor(X, requires_grad=True)
    (ref.detach() * ref).sum().backward()
    np.testing.assert_array_equal(x.grad, ref.grad.numpy())


def test_only_floating_point_tensors_can_require_grad():
    with pytest.raises(TypeError, match="floating-point.*int64"):
        Tensor([1, 2], requires_grad=True)


# -- dtypes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data,expected",
    [
        ([1.0, 2.0], np.float32),  # Python floats: float32 by default, as PyTorch
        (2.5, np.float32),
        ([1, 2], np.int64),
        ([True, False], np.bool_),
        (np.array([1.0]), np.float64),  # NumPy arrays keep their dtype
        (np.array([1.0], dtype=np.float32), np.float32),
    ],
)
def test_default_dtypes(data, expected):
    assert Tensor(data).dtype == expected
    assert torch.tensor(data).numpy().dtype == expected  # the same policy as PyTorch's


def test_float64_on_request():
    x = Tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    (x * 0.1).sum().backward()
    assert x.dtype == np.float64 and x.grad.dtype == np.float64
    assert x.grad[0] == 0.1  # no trip through float32 (0.1 in float32 is 0.10000000149...)


SCALAR_EXPRESSIONS = [
    lambda t: t + 2.5,
    lambda t: 2.5 + t,
    lambda t: t - 2.5,
    lambda t: 2.5 - t,
    lambda t: t * 2.5,
    lambda t: 2.5 * t,
    lambda t: t / 2.5,
    lambda t: 2.5 / t,
    lambda t: t**2.5,
    lambda t: t**2,
    lambda t: 2.5**t,
    lambda t: -t,
    lambda t: t * np.float64(2.5),
    lambda t: np.float64(2.5) - t,
    lambda t: t.clip(0.1, 1.5),
    lambda t: hn.maximum(t, 1.0),
    lambda t: hn.where(t.data > 1, t, 0.5),
    lambda t: t.mean() + t.var(),
]


@pytest.mark.parametrize("expression", SCALAR_EXPRESSIONS)
def test_float32_with_python_numbers_stays_float32_in_results_and_gradients(expression):
    x = Tensor([0.5, 1.0, 2.0], requires_grad=True)
    y = expression(x)
    assert y.dtype == np.float32
    spy_dtypes = []

    def spy(g):
        spy_dtypes.append(g.dtype)
        return (g,)

    y = expression(Tensor._make(x.data, (x,), spy, "spy"))
    y.sum().backward()
    assert x.grad.dtype == np.float32
    assert spy_dtypes == [np.float32]  # no float64 on the way back either


def test_mixing_float32_and_float64_tensors_promotes_like_torch():
    a = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(2, dtype=np.float64), requires_grad=True)
    out = a * b
    assert out.dtype == (torch.ones(2) * torch.ones(2, dtype=torch.float64)).numpy().dtype
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_astype_sends_the_gradient_back_in_the_source_dtype():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.astype("float64")
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


# -- bad input -----------------------------------------------------------------------------------


def test_matmul_shape_mismatch_message_is_exact():
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((3, 4))) @ Tensor(np.ones((5, 2)))
    assert str(info.value) == "matmul: (3, 4) @ (5, 2): inner sizes 4 and 5 differ"


@pytest.mark.parametrize(
    "make,words",
    [
        (lambda a, b: a + b, ["add", "(3, 4)", "(5,)"]),
        (lambda a, b: a - b, ["sub", "(3, 4)", "(5,)"]),
        (lambda a, b: a * b, ["mul", "(3, 4)", "(5,)"]),
        (lambda a, b: a / b, ["div", "(3, 4)", "(5,)"]),
        (lambda a, b: a**b, ["pow", "(3, 4)", "(5,)"]),
        (lambda a, b: hn.where(np.ones((3, 4), bool), a, b), ["where", "(3, 4)", "(5,)"]),
        (lambda a, b: hn.concatenate([a, b], axis=1), ["concatenate", "(3, 4)", "(5,)"]),
        (lambda a, b: hn.stack([a, b]), ["stack", "(3, 4)", "(5,)"]),
        (lambda a, b: F.mse(a, b), ["mse", "(3, 4)", "(5,)"]),
        (lambda a, b: F.linear(a, b.reshape(1, 5)), ["linear", "(3, 4)", "(1, 5)"]),
        (lambda a, b: a.reshape(5, 5), ["reshape", "(3, 4)", "(5, 5)"]),
        (lambda a, b: a.expand(5, 5), ["broadcast_to", "(3, 4)", "(5, 5)"]),
        (lambda a, b: a @ b, ["matmul", "(3, 4)", "(5,)", "inner sizes 4 and 5"]),
    ],
)
def test_shape_errors_name_the_operation_and_the_shapes(make, words):
    a, b = Tensor(np.ones((3, 4))), Tensor(np.ones(5))
    with pytest.raises(ValueError) as info:
        make(a, b)
    for word in words:
        assert word in str(info.value), f"{word!r} missing from: {info.value}"


def test_batched_matmul_with_unbroadcastable_batches_says_so():
    with pytest.raises(ValueError, match=r"matmul: \(2, 3, 4\) @ \(3, 4, 5\).*batch"):
        Tensor(np.ones((2, 3, 4))) @ Tensor(np.ones((3, 4, 5)))


@pytest.mark.parametrize(
    "data,kwargs,dtype_named",
    [
        (np.array([object(), object()], dtype=object), {}, "object"),
        ([1.0, 2.0], {"dtype": object}, "object"),
        (["a", "b"], {}, "<U1"),
        (np.array(["spam"]), {}, "<U4"),
        (np.array([b"x"]), {}, "|S1"),
        (np.array([1 + 2j]), {}, "complex128"),
        ([1.0], {"dtype": "complex64"}, "complex64"),
    ],
)
def test_unsupported_dtypes_are_refused_at_construction_with_the_dtype_named(
    data, kwargs, dtype_named
):
    with pytest.raises(TypeError, match=re.escape(dtype_named)):
        Tensor(data, **kwargs)


def test_ragged_lists_are_refused_with_a_hint():
    with pytest.raises(TypeError, match="nested lists of equal lengths"):
        Tensor([[1.0, 2.0], [3.0]])


def test_bad_class_labels_are_named():
    with pytest.raises(ValueError, match="class label 3 is outside 0..2"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 3]))


def test_index_out_of_range_names_the_shape():
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        leaf()[5]


# -- numerical extremes (warnings are errors in this test suite) ---------------------------------

BIG = np.array([[1000.0, 999.0, -1000.0], [-1000.0, -1000.0, -999.0], [0.0, 1000.0, -1000.0]])


def _exact_log_softmax(row):
    """log softmax of one row, from differences to the row's maximum (all small numbers here)."""
    top = max(row)
    return [x - top - math.log(sum(math.exp(y - top) for y in row)) for x in row]


EXACT_LOG_SOFTMAX = np.array([_exact_log_softmax(list(r)) for r in BIG])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_softmax_family_on_logits_of_plus_minus_1000_is_finite_and_exact(dtype):
    x = Tensor(BIG, dtype=dtype, requires_grad=True)
    tolerance = 1e-15 if dtype == "float64" else 1e-6
    softmax = F.softmax(x)
    log_softmax = F.log_softmax(x)
    np.testing.assert_allclose(softmax.data, np.exp(EXACT_LOG_SOFTMAX), rtol=tolerance, atol=0)
    np.testing.assert_allclose(log_softmax.data, EXACT_LOG_SOFTMAX, rtol=tolerance, atol=0)
    labels = np.array([0, 2, 1])
    loss = F.cross_entropy(x, labels, reduction="none")
    expected = -EXACT_LOG_SOFTMAX[np.arange(3), labels]
    np.testing.assert_allclose(loss.data, expected, rtol=tolerance, atol=tolerance)
    worst = F.cross_entropy(x, np.array([2, 0, 2]), reduction="none")  # the -1000 logits
    np.testing.assert_allclose(
        worst.data,
        [2000.0 + math.log1p(math.exp(-1)), 1.0 + math.log(1 + 2 * math.exp(-1)) - 0.0, 2000.0],
        rtol=tolerance,
    )
    (softmax.sum() + log_softmax.sum() + loss.sum() + worst.sum()).backward()
    assert np.all(np.isfinite(x.grad))
    ref = torch.tensor(BIG, requires_grad=True)
    (
        ref.softmax(-1).sum()
        + ref.log_softmax(-1).sum()
        + TF.cross_entropy(ref, torch.tensor(labels), reduction="sum")
        + TF.cross_entropy(ref, torch.tensor([2, 0, 2]), reduction="sum")
    ).backward()
    np.testing.assert_allclose(x.grad, ref.grad.numpy(), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sigmoid_and_logsumexp_at_plus_minus_1000_raise_no_overflow(dtype):
    x = Tensor([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=dtype, requires_grad=True)
    s = F.sigmoid(x)
    ref = torch.sigmoid(torch.tensor(x.data))
    np.testing.assert_allclose(s.data, ref.numpy(), rtol=1e-6)
    assert s.data[0] == 0.0 and s.data[-1] == 1.0  # e**-1000 rounds to 0 in both precisions
    s.sum().backward()
    assert np.all(np.isfinite(x.grad)) and x.grad[0] == 0.0 and x.grad[2] == 0.25
    lse = F.logsumexp(x * 1.0)
    assert lse.item() == 1000.0
    logits = Tensor([-1000.0, 1000.0], dtype=dtype, requires_grad=True)
    bce = F.binary_cross_entropy_with_logits(logits, np.array([1.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(bce.data, [1000.0, 1000.0])


def test_binary_cross_entropy_at_probabilities_0_and_1_is_finite_like_torch():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.5, 0.5])
    probabilities = Tensor(p, requires_grad=True)
    loss = F.binary_cross_entropy(probabilities, y, reduction="none")
    (loss * Tensor(np.arange(1.0, 7.0))).sum().backward()
    ref = torch.tensor(p, requires_grad=True)
    ref_loss = TF.binary_cross_entropy(ref, torch.tensor(y), reduction="none")
    (ref_loss * torch.arange(1.0, 7.0, dtype=torch.float64)).sum().backward()
    assert np.all(np.isfinite(loss.data)) and np.all(np.isfinite(probabilities.grad))
    np.testing.assert_allclose(loss.data, ref_loss.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(loss.data, [0, 0, 100, 100, 50, 50])  # log clamped at -100
    # PyTorch floors the denominator (1 - p) * p at float32's 1e-12 (9.9999999600e-13), humblenet
    # at float64's: the clamped gradients differ in the 9th digit.
    np.testing.assert_allclose(probabilities.grad, ref.grad.numpy(), rtol=1e-8)
    np.testing.assert_allclose(probabilities.grad, [0, 0, -3e12, 4e12, -2.5e12, 3e12], rtol=1e-15)


def test_variance_with_no_degrees_of_freedom_is_nan_without_a_warning():
    x = leaf([[1.0], [2.0]])
    assert np.all(np.isnan(x.var(axis=1).data))  # one element per row, correction 1
    np.testing.assert_allclose(x.var(axis=1, correction=0).data, [0.0, 0.0])


# -- deep graphs ---------------------------------------------------------------------------------


def test_a_chain_of_100000_operations_backpropagates_without_recursion_error():
    x = Tensor(1.0, dtype="float64", requires_grad=True)
    y = x
    for _ in range(50_000):
        y = y * 1.0001
        y = y - 0.5
    y.backward(retain_graph=True)
    assert x.grad == pytest.approx(1.0001**50_000, rel=1e-12)
    # The graph was kept: freeing it, 100,000 tensors deep, must not exhaust the C stack either.
    del y


# -- properties of broadcasting and shape operations -------------------------------------------

FLOATS = st.floats(-3, 3, allow_nan=False, width=64)


@settings(max_examples=40, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_broadcast_gradients_have_the_inputs_shapes_and_equal_torch(shapes, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a_np, b_np = rng.standard_normal(sa), rng.standard_normal(sb)
    v = rng.standard_normal(shapes.result_shape)
    a, b = Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True)
    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    out = a * b + a - b / (b * b + 1)
    ref = ta * tb + ta - tb / (tb * tb + 1)
    assert out.shape == shapes.result_shape == tuple(ref.shape)
    (out * Tensor(v)).sum().backward()
    (ref * torch.tensor(v)).sum().backward()
    assert a.grad.shape == sa and b.grad.shape == sb
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=1, min_dims=0, max_dims=4, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_unbroadcast_sums_like_torch_sum_to_size(shapes, seed):
    (shape,) = shapes.input_shapes
    g = np.random.default_rng(seed).standard_normal(shapes.result_shape)
    ours = unbroadcast(g, shape)
    assert ours.shape == shape
    np.testing.assert_allclose(ours, torch.tensor(g).sum_to_size(shape).numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.sum(), g.sum(), rtol=1e-12, atol=1e-12)  # nothing lost


@settings(max_examples=40, deadline=None)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4), data=st.data())
def test_reshape_and_transpose_round_trips_give_back_the_input_and_the_gradient(shape, data):
    rng = np.random.default_rng(0)
    x_np, v = rng.standard_normal(shape), rng.standard_normal(shape)
    perm = data.draw(st.permutations(range(len(shape))))
    x = Tensor(x_np, requires_grad=True)
    flat = x.reshape(-1)
    assert flat.shape == (x_np.size,)
    back = flat.reshape(shape).permute(*perm) if perm else flat.reshape(shape)
    inverse = tuple(np.argsort(perm))
    again = back.permute(*inverse) if perm else back
    np.testing.assert_array_equal(again.data, x_np)
    np.testing.assert_array_equal(back.data, np.transpose(x_np, perm))
    (again * Tensor(v)).sum().backward()
    np.testing.assert_array_equal(x.grad, v)


@settings(max_examples=40, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=1, min_dims=0, max_dims=4, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_expand_gradient_equals_torch(shapes, seed):
    (shape,) = shapes.input_shapes
    rng = np.random.default_rng(seed)
    x_np, v = rng.standard_normal(shape), rng.standard_normal(shapes.result_shape)
    x, ref = Tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    (x.expand(shapes.result_shape) * Tensor(v)).sum().backward()
    (ref.expand(shapes.result_shape) * torch.tensor(v)).sum().backward()
    assert x.grad.shape == shape
    np.testing.assert_allclose(x.grad, ref.grad.numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), data=st.data())
def test_integer_array_indexing_accumulates_repeated_indices_like_torch(shape, data):
    index = np.array(
        data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=0, max_size=8)), dtype=np.int64
    )
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal(shape)
    v = rng.standard_normal((len(index),) + shape[1:])
    x, ref = Tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    (x[index] * Tensor(v)).sum().backward()
    (ref[torch.from_numpy(index)] * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(x.grad, ref.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_to_dot_draws_every_node_with_its_value_and_gradient():
    w = Tensor([2.0, -1.0], requires_grad=True)
    x = Tensor([3.0, 4.0])
    y = (w * x).sum()
    dot = y.to_dot()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    nodes = [line for line in dot.splitlines() if "[label=" in line]
    edges = [line for line in dot.splitlines() if "->" in line]
    assert len(nodes) == 4 and len(edges) == 3  # w, x, w*x, sum; three arrows
    assert "sum" in dot and "mul" in dot and "data 2." in dot
    y.backward(retain_graph=True)
    assert "grad [3. 4.]" in y.to_dot()  # w's gradient is x
