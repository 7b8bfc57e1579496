"""Tests for checkpoints (humblenet.training.checkpoint) and BackupAndRestore: a run killed
anywhere (SIGKILL between batches, in the middle of writing a backup) and resumed ends with the
same bytes as a run never interrupted; a failed write leaves the previous checkpoint whole."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy as safetensors_numpy

import humblenet
from humblenet import nn, optim
from humblenet.io import atomic
from humblenet.io.safetensors import ModelFileError, read_state_dict
from humblenet.training import BackupAndRestore, Callback, EarlyStopping
from humblenet.training.checkpoint import load_checkpoint, read_metadata, save_checkpoint

_SOURCE = str(Path(humblenet.__file__).resolve().parents[1])
_TEXT = {"capture_output": True, "text": True, "check": True}

# A tiny run with everything a resume must restore: Adam (flat path, scaled averages),
# Dropout's own generator, shuffling, validation, EarlyStopping and History. Arguments: the
# backup folder, the output file, the global batch to be killed after (0: never) and the
# backup write to be killed in the middle of (0: never).
_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    import numpy as np
    import humblenet
    from humblenet import nn
    from humblenet.io import atomic
    from humblenet.training import BackupAndRestore, Callback, EarlyStopping

    backup_dir, out, kill_after, kill_in_write = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
    writes = 0
    write_all = atomic._write_all

    def killed_half_way(handle, data):
        global writes
        writes += 1
        if writes == kill_in_write:
            handle.write(data[: len(data) // 2])
            handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        write_all(handle, data)

    atomic._write_all = killed_half_way

    class Killer(Callback):
        def on_batch_end(self, epoch, batch):
            if backup.steps == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)

    humblenet.manual_seed(0)  # the default generator is in the final file too
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1)
    model = humblenet.Sequential([
        nn.Dense(16, activation="relu", input_shape=(4,), seed=0),
        nn.Dropout(0.25, seed=1),
        nn.Dense(3, activation="softmax", seed=2),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], learning_rate=0.02)
    backup = BackupAndRestore(backup_dir, save_freq=3)
    history = model.fit(
        x, y, epochs=6, batch_size=8, seed=0, verbose=0, validation_split=0.2,
        callbacks=[backup, EarlyStopping(monitor="val_loss", patience=3), Killer()],
    )
    humblenet.save_checkpoint(out, model=model, optimizer=model.optimizer,
                              history=history.history, epochs=history.epoch)
    """
)


def _run(script: Path, backup: Path, out: Path, kill_after: int = 0, kill_in_write: int = 0):
    environment = {**os.environ, "PYTHONPATH": _SOURCE}
    arguments = [str(backup), str(out), str(kill_after), str(kill_in_write)]
    return subprocess.run(
        [sys.executable, str(script), *arguments], env=environment, capture_output=True, text=True
    )


def test_a_run_killed_anywhere_resumes_to_the_same_bytes(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(_SCRIPT)
    reference = _run(script, tmp_path / "reference", tmp_path / "reference.safetensors")
    assert reference.returncode == 0, reference.stderr
    # Kill points drawn at random (36 batches in all): after some batch, or half way through
    # some backup write of the resumed process. A resumed process restarts at most 3 batches
    # (save_freq) per write before its kill point, hence the gaps.
    rng = np.random.default_rng()
    first = int(rng.integers(2, 10))
    second = first + int(rng.integers(4, 11))
    third = second + int(rng.integers(7, 35 - second))
    kills = [(first, 0), (0, 1), (second, 0), (0, 2), (third, 0)]
    backup, out = tmp_path / "backup", tmp_path / "resumed.safetensors"
    for kill_after, kill_in_write in kills:
        killed = _run(script, backup, out, kill_after, kill_in_write)
        assert killed.returncode == -signal.SIGKILL, (kills, kill_after, killed.stderr)
    finished = _run(script, backup, out)
    assert finished.returncode == 0, finished.stderr
    assert out.read_bytes() == (tmp_path / "reference.safetensors").read_bytes()
    assert not backup.exists()  # delete_checkpoint: nothing left, no temporary, no folder


# -- in one process -------------------------------------------------------------------------------


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    return x, (x.sum(axis=1) > 0).astype(np.int64)


def _model() -> humblenet.Sequential:
    model = humblenet.Sequential(
        [
            nn.Dense(8, activation="tanh", input_shape=(3,), seed=0),
            nn.Dropout(0.2, seed=5),
            nn.Dense(2, activation="softmax", seed=1),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", learning_rate=0.05)
    return model


class _Crash(Callback):
    """Raise after a given number of batches of this fit call."""

    def __init__(self, after: int) -> None:
        self.after, self.seen = after, 0

    def on_batch_end(self, epoch: int, batch: int) -> None:
        self.seen += 1
        if self.seen == self.after:
            raise RuntimeError("crash")


def _fit(
    model: humblenet.Sequential, folder: Path | None, *extra: Callback, **options
) -> humblenet.training.History:
    """Four epochs of 5 batches, backed up to ``folder`` (None: no backup)."""
    x, y = _data()
    backup = [] if folder is None else [BackupAndRestore(folder, **options)]
    return model.fit(x, y, epochs=4, batch_size=8, seed=3, verbose=0, callbacks=[*backup, *extra])


@pytest.mark.parametrize("save_freq", ["epoch", 2])
def test_backup_and_restore_in_process(tmp_path: Path, save_freq: str | int) -> None:
    reference_model = _model()
    reference = _fit(reference_model, None)  # backing up does not move the numbers either
    model = _model()
    with pytest.raises(RuntimeError, match="crash"):
        _fit(model, tmp_path / "b", _Crash(7), save_freq=save_freq)
    assert BackupAndRestore(tmp_path / "b").backups()  # kept: the run did not finish
    resumed_model = _model()
    resumed = _fit(resumed_model, tmp_path / "b", save_freq=save_freq)
    assert resumed.history == reference.history and resumed.epoch == reference.epoch
    for a, b in zip(reference_model.state_dict().values(), resumed_model.state_dict().values()):
        assert a.tobytes() == b.tobytes()
    assert not BackupAndRestore(tmp_path / "b").backups()


def _batch_norm_cnn() -> humblenet.Sequential:
    model = humblenet.Sequential(
        [
            nn.Conv2d(1, 3, 3, padding=1, seed=0),
            nn.BatchNorm2d(3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(3 * 3 * 3, 2, seed=1),
        ]
    )
    model.build((1, 6, 6))
    model.compile(optimizer="adam", loss=nn.CrossEntropyLoss(), learning_rate=0.05)
    return model


def test_a_batch_norm_cnn_resumes_with_its_running_statistics(tmp_path: Path) -> None:
    """A CNN with BatchNorm2d crashed after 7 batches and resumed from its backup ends with the
    bytes of a run never interrupted: the weights, and the running mean, variance and
    num_batches_tracked (20 batches) that the backup carried across the crash."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 1, 6, 6)).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0).astype(np.int64)

    def fit(model: humblenet.Sequential, *callbacks: Callback) -> None:
        model.fit(x, y, epochs=4, batch_size=8, seed=3, verbose=0, callbacks=list(callbacks))

    reference = _batch_norm_cnn()
    fit(reference)
    with pytest.raises(RuntimeError, match="crash"):
        fit(_batch_norm_cnn(), BackupAndRestore(tmp_path / "b", save_freq=2), _Crash(7))
    resumed = _batch_norm_cnn()
    fit(resumed, BackupAndRestore(tmp_path / "b", save_freq=2))
    assert int(resumed.layers[1].num_batches_tracked.data) == 20
    assert not np.array_equal(resumed.layers[1].running_var.data, np.ones(3))  # they moved
    want, got = reference.state_dict(), resumed.state_dict()
    assert list(got) == list(want)
    for name in want:
        assert got[name].tobytes() == want[name].tobytes(), name


def test_a_finished_backup_is_kept_without_delete_checkpoint(tmp_path: Path) -> None:
    first = _fit(_model(), tmp_path, save_freq="epoch", delete_checkpoint=False)
    model = _model()
    again = _fit(model, tmp_path, save_freq="epoch", delete_checkpoint=False)
    assert again.history == first.history  # nothing left to train: the History comes back


def test_backup_and_restore_refuses_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a number"):
        BackupAndRestore(tmp_path, save_freq="batch")
    with pytest.raises(ValueError, match="save_freq"):
        BackupAndRestore(tmp_path, save_freq=0)


def test_checkpoint_round_trip_restores_everything(tmp_path: Path) -> None:
    model = _model()
    model.fit(*_data(), epochs=1, batch_size=8, seed=0, verbose=0)
    optimizer = model.optimizer
    schedule = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    schedule.step()
    humblenet.manual_seed(11)
    dropout_generator = model.layers[1]._rng
    dropout_generator.random(3)
    path = tmp_path / "run.safetensors"
    save_checkpoint(path, model=model, optimizer=optimizer, scheduler=schedule, note="hi")
    expected = (humblenet.random.default_generator().random(4), dropout_generator.random(4))

    other = _model()
    other.build((3,)) if not other.built else None
    other_optimizer = optim.Adam(other.parameters())
    other_schedule = optim.lr_scheduler.StepLR(other_optimizer, step_size=1, gamma=0.5)
    humblenet.manual_seed(99)
    extra = load_checkpoint(path, model=other, optimizer=other_optimizer, scheduler=other_schedule)
    assert extra == {"note": "hi"}
    assert other_schedule.epoch == 1 and other_optimizer.learning_rate == optimizer.learning_rate
    assert other_optimizer.step_count == optimizer.step_count
    for a, b in zip(optimizer.state, other_optimizer.state):
        assert a.keys() == b.keys()
        for key in a:
            assert np.array_equal(a[key], b[key])
    got = (humblenet.random.default_generator().random(4), other.layers[1]._rng.random(4))
    assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])


def test_a_different_version_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _model()
    path = tmp_path / "run.safetensors"
    save_checkpoint(path, model=model)
    monkeypatch.setattr(np, "__version__", "0.0.1")
    with pytest.warns(UserWarning, match=r"numpy .* then, 0\.0\.1 now"):
        load_checkpoint(path, model=model)


def test_a_model_file_is_not_a_checkpoint(tmp_path: Path) -> None:
    model = _model()
    path = tmp_path / "model.safetensors"
    model.save_weights(path)
    with pytest.raises(ModelFileError, match="not a humblenet checkpoint"):
        load_checkpoint(path, model=model)


def test_extra_state_must_be_json(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must be JSON data"):
        save_checkpoint(tmp_path / "x.safetensors", model=_model(), extra=object())


# -- fault injection on the write path ------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "code"),
    [("replace", errno.ENOSPC), ("fsync", errno.EIO), ("replace", errno.EIO)],
)
def test_a_failed_write_keeps_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, function: str, code: int
) -> None:
    model = _model()
    path = tmp_path / "run.safetensors"
    save_checkpoint(path, model=model, step=1)
    before = path.read_bytes()
    model.fit(*_data(), epochs=1, batch_size=8, seed=0, verbose=0)  # new weights to save

    def fail(*arguments: object) -> None:
        raise OSError(code, os.strerror(code))

    with monkeypatch.context() as patch:
        patch.setattr(os, function, fail)
        with pytest.raises(OSError) as raised:
            save_checkpoint(path, model=model, step=2)
    assert raised.value.errno == code
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.safetensors"]  # no temporary
    save_checkpoint(path, model=model, step=2)
    assert load_checkpoint(path, model=_model()) == {"step": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.safetensors"]


def test_backups_keep_the_last_ones_and_clear_stale_temporaries(tmp_path: Path) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], **_TEXT)
    dead = int(ended.stdout)  # the number of a process that has ended: its write was killed
    stale = tmp_path / f".backup-000000000001.safetensors.hn-{atomic._HOST}-{dead}-0badcafe.tmp"
    stale.write_bytes(b"half")
    assert atomic.is_temporary(stale.name)
    _fit(_model(), tmp_path, save_freq=1, delete_checkpoint=False, keep=3)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 3 and all(name.startswith("backup-") for name in names)


def test_early_stopping_state_survives_a_resume(tmp_path: Path) -> None:
    stopper = EarlyStopping(monitor="loss", patience=1)
    stopper.best, stopper.wait, stopper.best_epoch = 0.5, 1, 2
    fresh = EarlyStopping(monitor="loss", patience=1)
    fresh.load_state_dict(stopper.state_dict())
    assert (fresh.best, fresh.wait, fresh.best_epoch) == (0.5, 1, 2)


class _CtrlC(Callback):
    """Send this process SIGINT (Ctrl-C) after a given number of batches of this fit call."""

    def __init__(self, after: int) -> None:
        self.after, self.seen = after, 0

    def on_batch_end(self, epoch: int, batch: int) -> None:
        self.seen += 1
        if self.seen == self.after:
            signal.raise_signal(signal.SIGINT)


# The signal comes after batch `after` has ended (in a callback): fit stops after the next one,
# inside the first epoch (5 batches) or at its last batch.
@pytest.mark.parametrize("after", [2, 4])
def test_ctrl_c_stops_after_the_batch_and_backs_up(tmp_path: Path, after: int) -> None:
    reference_model = _model()
    reference = _fit(reference_model, None)
    model = _model()
    with pytest.raises(KeyboardInterrupt, match=f"after batch {after + 1} of epoch 1"):
        _fit(model, tmp_path / "b", _CtrlC(after))
    assert model.interrupted and len(BackupAndRestore(tmp_path / "b").backups()) == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    resumed_model = _model()
    resumed = _fit(resumed_model, tmp_path / "b")
    assert resumed.history == reference.history
    for a, b in zip(reference_model.state_dict().values(), resumed_model.state_dict().values()):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("damage", ["truncated", "text"])
def test_a_damaged_newest_backup_falls_back_to_the_one_before(tmp_path: Path, damage) -> None:
    reference_model = _model()
    reference = _fit(reference_model, None)
    with pytest.raises(RuntimeError, match="crash"):
        _fit(_model(), tmp_path, _Crash(9), save_freq=2)
    newest = BackupAndRestore(tmp_path).backups()[-1]
    if damage == "truncated":
        newest.write_bytes(newest.read_bytes()[:-5])  # a bad disk: its last bytes are gone
    else:  # its first 8 bytes, read as a length, announce a header of 7.5e17 bytes
        newest.write_text("garbage\n")
    resumed_model = _model()
    with pytest.warns(UserWarning, match=f"cannot resume from {newest.name}"):
        resumed = _fit(resumed_model, tmp_path, save_freq=2)
    assert resumed.history == reference.history
    for a, b in zip(reference_model.state_dict().values(), resumed_model.state_dict().values()):
        assert a.tobytes() == b.tobytes()


def test_a_checkpoint_keeps_the_shape_of_a_zero_d_buffer(tmp_path) -> None:
    """A batch norm's ``num_batches_tracked`` is 0-d: it must come back 0-d, with its count."""
    from humblenet import nn
    from humblenet.training.checkpoint import load_checkpoint, save_checkpoint

    model = nn.Sequential(nn.BatchNorm1d(3))
    model(np.ones((4, 3), dtype=np.float32))
    save_checkpoint(tmp_path / "bn.safetensors", model=model)
    again = nn.Sequential(nn.BatchNorm1d(3))
    load_checkpoint(tmp_path / "bn.safetensors", model=again)
    assert again[0].num_batches_tracked.shape == () and int(again[0].num_batches_tracked.data) == 1


# -- the shuffle order, EarlyStopping's best weights, old backups ---------------------------------


def test_an_unseeded_run_resumes_with_the_seed_it_drew(tmp_path: Path) -> None:
    """Without a seed the loader draws one; the backup keeps it, so the resumed run is the run
    seeded with that number (the model is built already: the seed only shuffles)."""
    x, y = _data()
    model = _model()
    with pytest.raises(RuntimeError, match="crash"):
        model.fit(x, y, epochs=4, batch_size=8, verbose=0,
                  callbacks=[BackupAndRestore(tmp_path, save_freq=2), _Crash(7)])  # fmt: skip
    drawn = read_metadata(BackupAndRestore(tmp_path).backups()[-1])["extra"]["shuffle_seed"]
    resumed_model = _model()
    resumed = resumed_model.fit(
        x, y, epochs=4, batch_size=8, verbose=0, callbacks=[BackupAndRestore(tmp_path, 2)]
    )
    reference_model = _model()
    reference = reference_model.fit(x, y, epochs=4, batch_size=8, seed=drawn, verbose=0)
    assert resumed.history == reference.history
    for a, b in zip(reference_model.state_dict().values(), resumed_model.state_dict().values()):
        assert a.tobytes() == b.tobytes()


def test_fit_shuffles_epoch_e_by_seed_and_e(tmp_path: Path) -> None:
    """The batches fit trains on: epoch e's order is default_rng([seed, e]).permutation."""
    seen: list[np.ndarray] = []

    class Record(Callback):
        def on_batch_end(self, epoch: int, batch: int) -> None:
            seen.append(self.model.loop.loader.epoch)

    x = np.arange(12, dtype=np.float32).reshape(12, 1)
    model = humblenet.Sequential([nn.Dense(1, input_shape=(1,), seed=0)])
    model.compile(optimizer="sgd", loss="mse")
    order: list[np.ndarray] = []
    original = model.forward

    def forward(batch):  # the samples' values are their indices
        order.append(batch.data[:, 0].astype(np.int64).copy())
        return original(batch)

    model.forward = forward  # type: ignore[method-assign]
    model.fit(x, x, epochs=3, batch_size=12, seed=9, verbose=0, callbacks=[Record()])
    for epoch_number, got in enumerate(order):
        np.testing.assert_array_equal(got, np.random.default_rng([9, epoch_number]).permutation(12))


def test_early_stoppings_best_weights_survive_a_resume(tmp_path: Path) -> None:
    """mode="max" on the loss: the best epoch is an early one, before the crash; the resumed
    run must put back that epoch's weights at the end, as the uninterrupted run does."""

    def stopper() -> EarlyStopping:
        return EarlyStopping(monitor="loss", mode="max", patience=10, restore_best_weights=True)

    reference_model = _model()
    _fit(reference_model, None, stopper())
    with pytest.raises(RuntimeError, match="crash"):
        _fit(_model(), tmp_path, stopper(), _Crash(12), save_freq=2)
    resumed_model = _model()
    _fit(resumed_model, tmp_path, stopper(), save_freq=2)
    for a, b in zip(reference_model.state_dict().values(), resumed_model.state_dict().values()):
        assert a.tobytes() == b.tobytes()


def test_extra_arrays_come_back_as_arrays(tmp_path: Path) -> None:
    path = tmp_path / "run.safetensors"
    weights = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.array(3)}
    save_checkpoint(path, model=_model(), best=[1.5, weights], none=None)
    extra = load_checkpoint(path, model=_model())
    assert extra["none"] is None and extra["best"][0] == 1.5
    for name, value in weights.items():
        got = extra["best"][1][name]
        assert got.dtype == value.dtype and got.shape == value.shape
        assert np.array_equal(got, value)


def test_a_backup_of_the_old_shuffle_order_is_refused(tmp_path: Path) -> None:
    save_checkpoint(
        tmp_path / "backup-000000000004.safetensors", model=_model(), epoch=0, batch=4,
        steps=4, epoch_generator_state={}, meter={}, callbacks=[],
    )  # fmt: skip
    with pytest.raises(ModelFileError, match=r"cannot resume it to the same numbers.*remove"):
        _fit(_model(), tmp_path)


# -- loading is all or nothing --------------------------------------------------------------------


def _snapshot(model: humblenet.Sequential, optimizer: optim.Optimizer) -> list[bytes]:
    kernel = optimizer.kernel_state()
    arrays = [a.tobytes() for a in model.state_dict().values()]
    for index in sorted(kernel["state"]):
        arrays += [repr(sorted(kernel["state"][index])).encode()]
        arrays += [v.tobytes() for v in kernel["state"][index].values() if hasattr(v, "tobytes")]
    arrays.append(repr((optimizer.step_count, optimizer.hyperparameters)).encode())
    arrays.append(repr(humblenet.random.default_generator().bit_generator.state).encode())
    return arrays


def _trained(seed: int) -> humblenet.Sequential:
    model = _model()
    model.fit(*_data(), epochs=1, batch_size=8, seed=seed, verbose=0)
    return model


@pytest.mark.parametrize("fault", ["optimizer class", "learning rate", "generator", "model"])
def test_a_refused_checkpoint_changes_nothing(tmp_path: Path, fault: str) -> None:
    source = _trained(0)
    path = tmp_path / "run.safetensors"
    save_checkpoint(path, model=source, optimizer=source.optimizer)
    if fault != "optimizer class":  # edit the file's JSON: a value the loader must refuse
        arrays = read_state_dict(path)
        document = read_metadata(path)
        if fault == "learning rate":
            document["optimizer"]["hyperparameters"]["learning_rate"] = -1.0
        elif fault == "generator":
            document["random"]["default"] = {"bit_generator": "PCG64", "state": "nonsense"}
        else:
            arrays["model.0.weight"] = arrays["model.0.weight"][:, :2].copy()
        text = json.dumps(document)
        path.write_bytes(safetensors_numpy.save(arrays, metadata={"humblenet_checkpoint": text}))
    target = _trained(1)
    optimizer = (
        target.optimizer
        if fault != "optimizer class"
        else optim.SGD(target.parameters(), 0.1, momentum=0.9)
    )
    if fault == "optimizer class":
        target.fit(*_data(), epochs=1, batch_size=8, seed=1, verbose=0)  # SGD gets a state
        target.optimizer = optimizer
        optimizer.step_count = 1
    before = _snapshot(target, optimizer)
    with pytest.raises(ValueError):
        load_checkpoint(path, model=target, optimizer=optimizer)
    assert _snapshot(target, optimizer) == before


# -- the optimizer's kernel state -----------------------------------------------------------------


def test_kernel_state_round_trip_takes_the_same_steps() -> None:
    """Adam on the flat path keeps its averages divided; kernel_state hands them over as they
    are, so the copy's next steps equal the original's bit for bit."""
    rng = np.random.default_rng(0)
    params = [humblenet.Tensor(rng.normal(size=s).astype(np.float32), requires_grad=True)
              for s in [(4, 3), (3,)]]  # fmt: skip
    copies = [humblenet.Tensor(p.data.copy(), requires_grad=True) for p in params]
    first, second = optim.Adam(params, 0.01), optim.Adam(copies, 0.01)
    grads = [[rng.normal(size=p.shape).astype(np.float32) for p in params] for _ in range(8)]

    def step(optimizer: optim.Adam, tensors: list, g: list) -> None:
        for tensor, gradient in zip(tensors, g):
            tensor.grad = gradient.copy()
        optimizer.step()

    for g in grads[:3]:
        step(first, params, g)
    kernel = first.kernel_state()
    assert set(kernel["divisors"]) == {"exp_average", "exp_average_square"}
    for parameter, copy in zip(params, copies):
        copy.data[...] = parameter.data
    second.load_kernel_state(kernel)
    for g in grads[3:]:
        step(first, params, g)
        step(second, copies, g)
    for a, b in zip(params, copies):
        assert a.data.tobytes() == b.data.tobytes()
    one = optim.Adam([humblenet.Tensor(np.ones(3), requires_grad=True)])  # reference path
    assert one.kernel_state()["divisors"] == {}
