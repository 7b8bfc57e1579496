"""PyTorch's names around the tensor: constructors, dtypes, devices, ``manual_seed``,
``Module.to``, ``nn.Flatten(start_dim, end_dim)`` and ``utils.data``, each against PyTorch where
PyTorch has an answer."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import humblenet as hn
from humblenet import Tensor, nn
from humblenet.utils.data import DataLoader, Dataset, TensorDataset

# -- constructors and dtypes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.zeros(2, 3),
        lambda lib: lib.zeros((2, 3)),
        lambda lib: lib.ones([4]),
        lambda lib: lib.ones(2, 2, dtype=lib.float64),
        lambda lib: lib.zeros(3, dtype=lib.long),
        lambda lib: lib.full((2, 2), 1.5),
        lambda lib: lib.full((2,), 7),
        lambda lib: lib.full((2,), True),
        lambda lib: lib.zeros_like(lib.ones(2, 3, dtype=lib.float64)),
        lambda lib: lib.ones_like(lib.zeros(2, dtype=lib.int32)),
        lambda lib: lib.arange(5),
        lambda lib: lib.arange(1, 4, 0.5),
        lambda lib: lib.arange(0.0, 1.0, 0.25),
        lambda lib: lib.arange(6, dtype=lib.float32),
        lambda lib: lib.eye(3),
        lambda lib: lib.eye(2, 3, dtype=lib.double),
        lambda lib: lib.tensor([[1, 2], [3, 4]]),
        lambda lib: lib.tensor([0.5, 1.5]),
        lambda lib: lib.tensor([True, False]),
        lambda lib: lib.tensor(3.0),
        lambda lib: lib.tensor([1, 2], dtype=lib.float),
        lambda lib: lib.tensor(np.arange(3.0)),
        lambda lib: lib.from_numpy(np.arange(4, dtype=np.int32)),
        lambda lib: lib.cat([lib.ones(1, 2), lib.zeros(2, 2)]),
        lambda lib: lib.stack([lib.ones(2), lib.zeros(2)], dim=1),
        lambda lib: lib.where(lib.arange(4) > 1, lib.ones(4), lib.zeros(4)),
    ],
)
def test_constructors_give_torchs_values_shapes_and_dtypes(make):
    ours, ref = make(hn), make(torch)
    assert isinstance(ours, Tensor)
    assert ours.shape == tuple(ref.shape)
    assert ours.dtype == ref.numpy().dtype, (ours.dtype, ref.dtype)
    np.testing.assert_array_equal(ours.data, ref.numpy())


def test_the_dtypes_are_numpy_dtypes_under_torchs_names():
    pairs = {
        "float32": np.float32,
        "float": np.float32,
        "float64": np.float64,
        "double": np.float64,
        "float16": np.float16,
        "half": np.float16,
        "int64": np.int64,
        "long": np.int64,
        "int32": np.int32,
        "int": np.int32,
        "int16": np.int16,
        "short": np.int16,
        "int8": np.int8,
        "uint8": np.uint8,
        "bool": np.bool_,
    }
    for name, expected in pairs.items():
        assert getattr(hn, name) == np.dtype(expected), name
        assert torch.empty(0, dtype=getattr(torch, name)).numpy().dtype == expected, name
    x = hn.tensor([1, 2], dtype=hn.float64)
    assert x.dtype == hn.float64 and x.to(hn.int64).dtype == hn.long
    assert x.type(hn.float).dtype == hn.float32
    assert hn.tensor([1.0]).dtype == hn.float32  # the default, as torch's
    with pytest.raises(TypeError, match="tensor: 'complex64'|tensor: dtype complex64"):
        hn.tensor([1.0], dtype="complex64")


def test_tensor_copies_its_data_and_from_numpy_shares_it_like_torch():
    data = np.zeros(3)
    copied, shared = hn.tensor(data), hn.from_numpy(data)
    data[0] = 5.0
    assert copied.data[0] == 0.0 and shared.data[0] == 5.0
    with pytest.raises(TypeError, match="from_numpy: expected a NumPy array, got list"):
        hn.from_numpy([1, 2])


def test_star_import_keeps_pythons_builtins():
    names: dict = {}
    exec("from humblenet import *", names)
    for builtin in ("float", "int", "bool", "sum", "max", "min", "abs", "pow"):
        assert builtin not in names, builtin
    assert "tensor" in names and "zeros" in names and "float32" in names


def test_tensor_stays_the_function_after_the_module_humblenet_tensor_is_imported():
    # Importing the submodule humblenet.tensor would bind it to humblenet.tensor, so a torch
    # program's torch.tensor([...]) would call a module. Checked in a fresh interpreter.
    script = textwrap.dedent("""
        import humblenet as torch
        import humblenet.tensor
        from humblenet import nn
        from humblenet.tensor import Tensor
        print(torch.tensor([1, 2]).tolist(), callable(torch.tensor), Tensor.__name__)
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[1,", "2]", "True", "Tensor"]


def test_functions_that_are_methods_refuse_what_is_not_a_tensor():
    with pytest.raises(TypeError, match=r"humblenet.argmax: expected a Tensor, got list"):
        hn.argmax([1, 2, 3])
    assert hn.argmax(hn.tensor([1, 3, 2])).item() == 1
    assert hn.numel(hn.zeros(2, 3)) == 6
    assert hn.is_tensor(hn.zeros(1)) and not hn.is_tensor(np.zeros(1))


# -- devices -------------------------------------------------------------------------------------


def test_no_gpu_is_offered_and_cpu_is_accepted_everywhere():
    assert hn.cuda.is_available() is False and hn.cuda.device_count() == 0
    assert hn.accelerator.is_available() is False
    assert hn.accelerator.current_accelerator() is None
    device = hn.accelerator.current_accelerator().type if hn.accelerator.is_available() else "cpu"
    assert device == "cpu"
    assert hn.device("cpu") == "cpu" and str(hn.device("cuda", 1)) == "cuda:1"
    assert repr(hn.device("cpu")) == repr(torch.device("cpu"))
    assert hn.zeros(2, device="cpu").device == hn.device("cpu")
    for make in (
        lambda: hn.zeros(2, device="cuda"),
        lambda: hn.tensor([1.0], device="cuda:0"),
        lambda: hn.randn(2, device=hn.device("cuda")),
        lambda: nn.Linear(2, 2).to("cuda"),
    ):
        with pytest.raises(ValueError, match="device 'cuda(:0)?' is not available.*use 'cpu'"):
            make()


# -- manual_seed and the default generator --------------------------------------------------------


def _draws() -> list[np.ndarray]:
    """Everything that draws from the default generator, in one go."""
    layer = nn.Linear(3, 2)
    dropout = nn.Dropout(0.5)
    mask = dropout(np.ones((2, 6), dtype=np.float32)).data
    loader = DataLoader(TensorDataset(hn.arange(8)), batch_size=8, shuffle=True)
    (order,) = next(iter(loader))
    return [hn.randn(2, 3).data, hn.rand(3).data, layer.weight.data.copy(), mask, order.data]


def test_manual_seed_makes_every_unseeded_draw_repeat():
    hn.manual_seed(123)
    first = _draws()
    hn.manual_seed(123)
    again = _draws()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    hn.manual_seed(124)
    assert not np.array_equal(_draws()[0], first[0])


def test_explicit_seeds_and_generators_ignore_manual_seed_and_numpys_global_state_is_untouched():
    numpy_state = np.random.get_state()[1].copy()
    hn.manual_seed(0)
    a = nn.Linear(3, 2, seed=7).weight.data.copy()
    x = hn.randn(4, generator=np.random.default_rng(1)).data
    hn.manual_seed(99)
    hn.randn(10)  # moves the default generator
    np.testing.assert_array_equal(nn.Linear(3, 2, seed=7).weight.data, a)
    np.testing.assert_array_equal(hn.randn(4, generator=np.random.default_rng(1)).data, x)
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)


def test_random_tensors_have_torchs_shapes_dtypes_and_ranges():
    hn.manual_seed(0)
    assert hn.randn(2, 3).dtype == np.float32 and hn.randn((4,)).shape == (4,)
    assert hn.randn(2, dtype=hn.float64).dtype == np.float64
    u = hn.rand(1000).data
    assert u.min() >= 0 and u.max() < 1
    ints = hn.randint(3, 7, (100,))
    assert ints.dtype == np.int64 and set(ints.tolist()) == {3, 4, 5, 6}
    assert hn.randint(2, (5,)).data.max() <= 1
    assert sorted(hn.randperm(6).tolist()) == list(range(6))
    assert hn.randn(3, requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="manual_seed: seed must be a whole number >= 0"):
        hn.manual_seed(-1)


# -- Module.to, float, double ---------------------------------------------------------------------


def test_module_to_converts_parameters_in_place_and_returns_the_module():
    model = nn.Sequential(nn.Linear(4, 3, seed=0), nn.ReLU(), nn.Linear(3, 2, seed=1))
    params_before = model.parameters()
    model.train()
    assert model.to("cpu") is model and model.to(hn.device("cpu")) is model
    assert model.double() is model
    assert all(p is q for p, q in zip(model.parameters(), params_before))
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.training and all(m.training for m in model.modules())  # mode untouched
    out = model(np.ones((1, 4)))
    assert out.dtype == np.float64
    model.eval().float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert not model.training
    assert model.to("cpu", hn.float64) is model and model[0].weight.dtype == np.float64
    assert model[0].get_config()["dtype"] == "float64"  # the layer records its new dtype
    with pytest.raises(TypeError, match="Sequential.to: a module's dtype must be floating"):
        model.to(hn.int64)


def test_module_to_converts_gradients_and_buffers_too():
    layer = nn.Linear(2, 1, seed=0)
    layer.register_buffer("steps", np.zeros(1, dtype=np.float32))
    layer.register_buffer("count", np.zeros(1, dtype=np.int64))
    layer(np.ones((1, 2), dtype=np.float32)).sum().backward()
    layer.double()
    assert layer.weight.grad.dtype == np.float64 and layer.steps.dtype == np.float64
    assert layer.count.dtype == np.int64  # integer buffers keep their dtype, as torch's


# -- nn.Flatten ----------------------------------------------------------------------------------


@pytest.mark.parametrize("start,end", [(1, -1), (0, -1), (1, 2), (2, 3), (-2, -1), (0, 0)])
def test_flatten_layer_matches_torchs(start, end):
    data = np.arange(120.0, dtype=np.float32).reshape(2, 3, 4, 5)
    ours = nn.Flatten(start, end)(data)
    ref = torch.nn.Flatten(start, end)(torch.from_numpy(data))
    np.testing.assert_array_equal(ours.data, ref.numpy())
    assert nn.Flatten(start_dim=start, end_dim=end)(data).shape == tuple(ref.shape)


def test_flatten_layer_keeps_its_keras_form_and_writes_down_its_axes():
    layer = nn.Flatten(input_shape=(28, 28))
    assert layer.compute_output_shape((28, 28)) == (784,)
    assert layer.get_config() == {"input_shape": [28, 28]}
    middle = nn.Flatten(start_dim=2)
    assert middle.compute_output_shape((3, 4, 5)) == (3, 20)
    again = nn.from_config(nn.layer_config(middle))
    assert (again.start_dim, again.end_dim) == (2, -1)
    assert repr(middle) == "Flatten(start_dim=2, end_dim=-1)"
    with pytest.raises(ValueError, match="Flatten: start_dim=0 merges the batch axis"):
        nn.Flatten(0).compute_output_shape((3, 4))
    with pytest.raises(TypeError, match="Flatten: start_dim must be a whole number"):
        nn.Flatten(1.5)


# -- utils.data ----------------------------------------------------------------------------------


def test_dataloader_batches_like_torchs():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    for batch_size, drop_last in [(1, False), (4, False), (4, True), (10, False), (12, False)]:
        ours = DataLoader(
            TensorDataset(hn.tensor(x), hn.tensor(y)), batch_size, drop_last=drop_last
        )
        ref = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)),
            batch_size,
            drop_last=drop_last,
        )
        assert len(ours) == len(ref) and len(ours.dataset) == len(ref.dataset) == 10
        batches, ref_batches = list(ours), list(ref)
        assert len(batches) == len(ref_batches)
        for (xb, yb), (rx, ry) in zip(batches, ref_batches):
            assert isinstance(xb, Tensor) and isinstance(yb, Tensor)
            np.testing.assert_array_equal(xb.data, rx.numpy())
            np.testing.assert_array_equal(yb.data, ry.numpy())
            assert yb.dtype == ry.numpy().dtype


def test_dataloader_shuffles_every_sample_once_per_epoch_from_its_generator():
    dataset = TensorDataset(hn.arange(10), hn.arange(10) * 2)
    loader = DataLoader(dataset, batch_size=3, shuffle=True, generator=np.random.default_rng(0))
    epochs = [np.concatenate([xb.data for xb, _ in loader]) for _ in range(2)]
    assert sorted(epochs[0].tolist()) == list(range(10))
    assert epochs[0].tolist() != epochs[1].tolist()
    again = DataLoader(dataset, batch_size=3, shuffle=True, generator=np.random.default_rng(0))
    assert np.concatenate([xb.data for xb, _ in again]).tolist() == epochs[0].tolist()
    for xb, yb in loader:
        np.testing.assert_array_equal(yb.data, xb.data * 2)  # rows stay together


def test_dataloader_batches_are_copies_safe_to_change():
    x = np.zeros((4, 2), dtype=np.float32)
    (xb,) = next(iter(DataLoader(TensorDataset(hn.from_numpy(x)), batch_size=4)))
    xb.data += 1
    assert x.sum() == 0


def test_dataloader_over_a_dataset_of_our_own_collates_like_torch():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return hn.tensor([float(i), float(i * i)]), i, {"name": float(i) / 2}

    class TorchSquares(torch.utils.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return torch.tensor([float(i), float(i * i)]), i, {"name": float(i) / 2}

    ours = list(DataLoader(Squares(), batch_size=2))
    ref = list(torch.utils.data.DataLoader(TorchSquares(), batch_size=2))
    assert len(ours) == len(ref) == 3
    for (x, i, d), (rx, ri, rd) in zip(ours, ref):
        np.testing.assert_array_equal(x.data, rx.numpy())
        assert x.dtype == rx.numpy().dtype and i.dtype == ri.numpy().dtype
        np.testing.assert_array_equal(i.data, ri.numpy())
        assert d["name"].dtype == rd["name"].numpy().dtype
        np.testing.assert_array_equal(d["name"].data, rd["name"].numpy())


def test_data_sets_and_loaders_refuse_bad_input_and_say_why():
    with pytest.raises(ValueError, match="TensorDataset: the tensors hold different numbers"):
        TensorDataset(hn.zeros(3, 2), hn.zeros(4))
    with pytest.raises(ValueError, match="TensorDataset: expected at least one tensor"):
        TensorDataset()
    with pytest.raises(ValueError, match="DataLoader: batch_size must be a whole number >= 1"):
        DataLoader(TensorDataset(hn.zeros(3)), batch_size=0)
    with pytest.raises(ValueError, match="DataLoader: the data set is empty"):
        DataLoader(TensorDataset(hn.zeros(0)))
    with pytest.raises(TypeError, match="DataLoader: the data set must have a length"):
        DataLoader(object())
    dataset = TensorDataset(hn.arange(3))
    assert dataset[1][0].item() == 1 and len(dataset) == 3
    assert DataLoader(dataset, num_workers=2, pin_memory=True).batch_size == 1


def test_a_hand_written_loop_resumes_its_loader_at_the_saved_epoch(tmp_path) -> None:
    """A PyTorch-style loop saves its epoch with save_checkpoint; a new loader set to that epoch
    (``loader.set_epoch``) visits the same batches as the loader that never stopped."""
    x = hn.arange(40).float().reshape(20, 2)
    data = TensorDataset(x, hn.arange(20))

    def loader():
        return DataLoader(data, batch_size=6, shuffle=True, generator=hn.manual_seed(3))

    straight = loader()
    epochs = [[y.numpy().tolist() for _, y in straight] for _ in range(3)]
    model = nn.Linear(2, 1)
    hn.save_checkpoint(tmp_path / "c.safetensors", model=model, epoch=2)
    resumed = loader()
    resumed.set_epoch(hn.load_checkpoint(tmp_path / "c.safetensors", model=model)["epoch"])
    assert resumed.epoch == 2
    assert [y.numpy().tolist() for _, y in resumed] == epochs[2]
    assert epochs[0] != epochs[2]  # the orders differ from epoch to epoch
