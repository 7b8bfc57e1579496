"""``humblenet.distributed``: data-parallel training over MPI.

The multi-rank tests launch ``mpiexec -n 2`` (the one beside this Python, from the ``mpich``
wheel) in a subprocess with a bounded wait, so a hang fails the test instead of the run. One
2-rank and one 1-rank run of the same script serve several tests (launching costs ~0.5 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from humblenet import distributed, optim
from humblenet.tensor import Tensor

SRC = Path(distributed.__file__).parent.parent
MPIEXEC = Path(sys.executable).parent / "mpiexec"
WAIT = 120  # seconds: a bounded wait for a subprocess, far above the ~1 s it takes

needs_mpi = pytest.mark.skipif(
    not MPIEXEC.exists() or __import__("importlib").util.find_spec("mpi4py") is None,
    reason='needs mpi4py and mpich: pip install "humblenet[mpi]"',
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")}
    env["PYTHONPATH"] = str(SRC)
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = "1"  # two ranks on two cores
    return env


def _launch(ranks: int, script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    path = cwd / "script.py"
    path.write_text(textwrap.dedent(script))
    command = [str(MPIEXEC), "-n", str(ranks), sys.executable, str(path), *args]
    return subprocess.run(
        command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=WAIT
    )


# -- one process: everything is a no-op ------------------------------------------------------------


def test_importing_humblenet_does_not_import_mpi4py():
    code = (
        "import sys, humblenet, humblenet.training, humblenet.distributed as d\n"
        "from humblenet import Sequential\n"
        "assert d.size() == 1 and d.rank() == 0 and not d.is_initialized()\n"
        "print('mpi4py' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=_env(), capture_output=True, text=True, timeout=WAIT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_one_process_is_a_no_op():
    w = Tensor(np.ones(3), requires_grad=True)
    optimizer = distributed.DistributedOptimizer(optim.SGD([w], learning_rate=0.5))
    distributed.broadcast_parameters([w])
    distributed.broadcast_optimizer_state(optimizer)
    w.grad = np.array([1.0, 2.0, 4.0])
    optimizer.step()
    assert w.data.tolist() == [0.5, 0.0, -1.0]
    optimizer.learning_rate = 0.25  # reaches the wrapped optimizer (a schedule does this)
    assert optimizer.optimizer.learning_rate == 0.25
    assert distributed.data_parallel(None, None, 32, 100) is None  # type: ignore[arg-type]


def test_distributed_optimizer_refuses_what_is_not_an_optimizer():
    with pytest.raises(TypeError, match="wraps a humblenet.optim optimizer"):
        distributed.DistributedOptimizer([1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize("n, size", [(10, 1), (10, 2), (11, 2), (7, 3), (3, 4)])
def test_shard_gives_disjoint_equal_parts_covering_the_data(n, size):
    parts = [distributed.shard(n, r, size, seed=5, epoch=2) for r in range(size)]
    assert len({len(part) for part in parts}) == 1  # the same number of steps on every rank
    assert len(parts[0]) == -(-n // size)
    joined = np.concatenate(parts)
    assert set(joined.tolist()) == set(range(n))
    if n % size == 0:
        assert len(joined) == n  # no padding: disjoint


def test_shard_order_comes_from_seed_and_epoch():
    again = distributed.shard(100, 1, 2, seed=3, epoch=4)
    assert np.array_equal(distributed.shard(100, 1, 2, seed=3, epoch=4), again)
    assert not np.array_equal(distributed.shard(100, 1, 2, seed=3, epoch=5), again)
    assert not np.array_equal(distributed.shard(100, 1, 2, seed=4, epoch=4), again)
    with pytest.raises(ValueError, match="rank must be in 0..size-1"):
        distributed.shard(10, 2, 2, seed=0, epoch=0)


def test_gradients_are_fused_into_buckets_of_one_dtype_and_bounded_size(monkeypatch):
    monkeypatch.setattr(distributed, "BUCKET_BYTES", 100 * 8)
    shapes = [((10, 5), "float64"), ((40,), "float64"), ((30,), "float64"), ((4,), "float32")]
    params = [Tensor(np.zeros(s, dtype=d), requires_grad=True) for s, d in shapes]
    buckets = distributed.GradientAverager(params)._plan()
    assert [(b.dtype.name, b.size, len(m)) for b, m in buckets] == [
        ("float64", 90, 2),  # 50 + 40 fit in 100; + 30 would not
        ("float64", 30, 1),
        ("float32", 4, 1),
    ]
    assert all(b.flags.c_contiguous for b, _ in buckets)


# -- two ranks -------------------------------------------------------------------------------------

FIT_SCRIPT = """
import json, sys
import numpy as np
from humblenet import distributed
from humblenet.nn import Dense
from humblenet.training.model import Sequential

out = sys.argv[1]
rank = distributed.rank()
rng = np.random.default_rng(0)
x = rng.normal(size=(205, 12))
y = rng.integers(0, 3, 205)
results = {}
for dtype in ("float64", "float32"):
    # Each rank seeds its first layer differently: the broadcast must make them start equal.
    model = Sequential([Dense(16, activation="relu", input_shape=(12,), seed=10 + rank),
                        Dense(3, activation="softmax", seed=7)])
    for p in model.parameters():
        p.data = p.data.astype(dtype)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    # 205 samples in batches of 41: a last batch of 41, and 41 splits 20 / 21 over two ranks
    history = model.fit(x.astype(dtype), y, batch_size=41, epochs=3, seed=1, verbose=2,
                        class_weight={0: 2.0})
    np.savez(f"{out}/{dtype}-rank{rank}.npz", *[p.data for p in model.parameters()])
    results[dtype] = history.history

# DistributedOptimizer on a loop of one's own: gradients rank + 1 average to (size + 1) / 2.
from humblenet import optim
from humblenet.tensor import Tensor
distributed.BUCKET_BYTES = 16  # force several buckets
w = [Tensor(np.zeros(3), requires_grad=True), Tensor(np.zeros(2, np.float32), requires_grad=True),
     Tensor(np.zeros(4), requires_grad=True)]
opt = distributed.DistributedOptimizer(optim.SGD(w, learning_rate=1.0))
for i, p in enumerate(w):
    p.grad = None if (i == 2 and rank == 1) else np.full(p.shape, rank + 1.0, p.data.dtype)
opt.step()
results["averaged"] = [p.data.tolist() for p in w]
results["size"] = distributed.size()
with open(f"{out}/results-rank{rank}.json", "w") as f:
    json.dump(results, f)
"""


@pytest.fixture(scope="module")
def fit_runs(tmp_path_factory):
    """The fit script run on 2 ranks and on 1 rank: their folders and outputs."""
    runs = {}
    for ranks in (2, 1):
        folder = tmp_path_factory.mktemp(f"ranks{ranks}")
        result = _launch(ranks, FIT_SCRIPT, str(folder), cwd=folder)
        assert result.returncode == 0, result.stdout + result.stderr
        runs[ranks] = (folder, result.stdout)
    return runs


def _weights(folder: Path, dtype: str, rank: int) -> list[np.ndarray]:
    arrays = np.load(folder / f"{dtype}-rank{rank}.npz")
    return [arrays[f"arr_{i}"] for i in range(len(arrays.files))]


@needs_mpi
@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-10), ("float32", 1e-5)])
def test_two_ranks_train_the_same_weights_as_one(fit_runs, dtype, tolerance):
    one = _weights(fit_runs[1][0], dtype, 0)
    two = _weights(fit_runs[2][0], dtype, 0)
    for a, b in zip(one, two):
        assert a.dtype == b.dtype == np.dtype(dtype)
        np.testing.assert_allclose(b, a, rtol=tolerance, atol=tolerance)


@needs_mpi
def test_ranks_started_from_different_seeds_end_identical(fit_runs):
    folder = fit_runs[2][0]
    for dtype in ("float64", "float32"):
        for a, b in zip(_weights(folder, dtype, 0), _weights(folder, dtype, 1)):
            assert np.array_equal(a, b)


@needs_mpi
def test_metrics_are_the_whole_data_and_only_rank_0_prints(fit_runs):
    folder2, stdout2 = fit_runs[2]
    folder1, stdout1 = fit_runs[1]
    rank0 = json.loads((folder2 / "results-rank0.json").read_text())
    rank1 = json.loads((folder2 / "results-rank1.json").read_text())
    single = json.loads((folder1 / "results-rank0.json").read_text())
    assert rank0["size"] == 2 and single["size"] == 1
    for dtype in ("float64", "float32"):
        assert rank0[dtype] == rank1[dtype]
        assert rank0[dtype]["accuracy"] == single[dtype]["accuracy"]
        np.testing.assert_allclose(rank0[dtype]["loss"], single[dtype]["loss"], rtol=1e-5)
    assert stdout2.count("Epoch 3/3") == 2  # two fits, printed by rank 0 alone
    assert stdout1.count("Epoch 3/3") == 2


@needs_mpi
def test_distributed_optimizer_averages_fused_buckets(fit_runs):
    rank0 = json.loads((fit_runs[2][0] / "results-rank0.json").read_text())
    assert rank0["averaged"] == [[-1.5] * 3, [-1.5] * 2, [-0.5] * 4]  # rank 1 had no grad: 0


@needs_mpi
def test_a_rank_that_raises_stops_every_rank_with_one_message(tmp_path):
    script = """
        import time
        from humblenet import distributed
        distributed.init()
        if distributed.rank() == 1:
            raise ValueError("rank one broke")
        time.sleep(60)  # rank 0 would wait here for ever without the abort
    """
    result = _launch(2, script, cwd=tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert output.count("ValueError: rank one broke") == 1
    assert "rank 1 failed" in output


@needs_mpi
def test_command_line_under_mpiexec_prints_and_saves_on_rank_0(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    label = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
    lines = ["a,b,c,label"] + [f"{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},{t}" for r, t in zip(x, label)]
    (tmp_path / "points.csv").write_text("\n".join(lines) + "\n")
    script = """
        import sys
        from humblenet.cli import main
        sys.exit(main(["train", "points.csv", "--target", "label", "--epochs", "2",
                       "--batch-size", "16", "--seed", "0"]))
    """
    result = _launch(2, script, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # Once each, from rank 0 alone: the run, then the refit on every row (a small table).
    assert result.stdout.count("training 3 -> 200") == 2
    assert result.stdout.count("refit: training a fresh network on all 120 rows") == 1
    assert result.stdout.count("Epoch 1/") == 2  # each run's first epoch
    assert result.stdout.count("saved the model to") == 1
    assert (tmp_path / "model.safetensors").exists()


# -- resuming a backup on another number of ranks -----------------------------------------

RESUME_SCRIPT = """
import json, os, sys
import numpy as np
from humblenet import distributed
from humblenet.io import atomic
from humblenet.nn import Dense
from humblenet.training.callbacks import BackupAndRestore, Callback, ModelCheckpoint
from humblenet.training.model import Sequential

out, backup_dir, stop_after, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rank = distributed.rank()
writes = []
stage = atomic.stage

def counted(path, data):
    writes.append(str(path))
    return stage(path, data)

atomic.stage = counted  # every file humblenet writes goes through it

def report():
    with open(f"{out}/{name}-rank{rank}.json", "w") as f:
        json.dump({"writes": writes, "size": distributed.size()}, f)

class Stop(Callback):
    # After `stop_after` batches of this fit (0: never), every rank quits at once, as a killed
    # job does (rank 0 has written its backup: BackupAndRestore comes first in the list).
    seen = 0
    def on_batch_end(self, epoch, batch):
        self.seen += 1
        if self.seen == stop_after:
            distributed._world().Barrier() if distributed.size() > 1 else None
            report()
            os._exit(0)

rng = np.random.default_rng(0)
x = rng.normal(size=(205, 12))
y = rng.integers(0, 3, 205)
model = Sequential([Dense(16, activation="relu", input_shape=(12,), seed=10, dtype="float64"),
                    Dense(3, activation="softmax", seed=7, dtype="float64")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
callbacks = [BackupAndRestore(backup_dir, save_freq=2), Stop(),
             ModelCheckpoint(f"{out}/last-{name}.safetensors", monitor="loss")]
history = model.fit(x.astype("float64"), y, batch_size=41, epochs=4, seed=1, verbose=0,
                    callbacks=callbacks)
np.savez(f"{out}/{name}-rank{rank}.npz", *[p.data for p in model.parameters()])
with open(f"{out}/{name}-history-rank{rank}.json", "w") as f:
    json.dump(history.history, f)
report()
"""


@needs_mpi
def test_a_run_resumes_on_another_number_of_ranks(tmp_path):
    """4 epochs of 5 global batches: stopped on 2 ranks after 6 batches (inside epoch 2),
    resumed on 1 rank and stopped 6 batches later, finished on 2 ranks; the end is the
    uninterrupted single-process run's to 1e-10 (float64). Only rank 0 writes."""
    backup = tmp_path / "backup"
    runs = [(1, "reference", 0, tmp_path / "no-backup"), (2, "first", 6, backup),
            (1, "second", 6, backup), (2, "third", 0, backup)]  # fmt: skip
    for ranks, name, stop_after, folder in runs:
        result = _launch(ranks, RESUME_SCRIPT, str(tmp_path), str(folder), str(stop_after),
                         name, cwd=tmp_path)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
    reference = np.load(tmp_path / "reference-rank0.npz")
    for rank in (0, 1):
        resumed = np.load(tmp_path / f"third-rank{rank}.npz")
        for key in reference.files:
            np.testing.assert_allclose(resumed[key], reference[key], rtol=1e-10, atol=1e-10)
    history = json.loads((tmp_path / "third-history-rank0.json").read_text())
    expected = json.loads((tmp_path / "reference-history-rank0.json").read_text())
    assert history["accuracy"] == expected["accuracy"]
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-10)
    for name in ("first", "third"):
        rank0 = json.loads((tmp_path / f"{name}-rank0.json").read_text())
        rank1 = json.loads((tmp_path / f"{name}-rank1.json").read_text())
        assert rank0["size"] == 2 and rank0["writes"] and rank1["writes"] == []
    assert not backup.exists()  # the finished run removed its backups and folder (on rank 0)
