"""Data-parallel training over MPI: every rank holds the whole model, trains on its share of each
batch, and the ranks average their gradients before every update (Horovod's design).

Launch a training script (or ``humblenet train``) with several processes::

    mpiexec -n 4 python train.py        # Model.fit splits each batch over the 4 ranks
    mpiexec -n 4 humblenet train fashion-mnist

``Model.fit`` notices the launch by itself (through :func:`data_parallel`): the global batch
(``batch_size``) is split across the ranks, rank 0's weights and optimizer state are broadcast
first, gradients are averaged by an allreduce before each step, the epoch's metrics are summed
over the ranks, and only rank 0 prints. The result is the single-process run's, to rounding.

For a loop of one's own (PyTorch-like), the same parts are public::

    distributed.init()
    distributed.broadcast_parameters(model)
    optimizer = distributed.DistributedOptimizer(optim.SGD(model.parameters(), 0.1))
    distributed.broadcast_optimizer_state(optimizer)
    for epoch in range(epochs):
        for batch in np.array_split(distributed.shard(n, distributed.rank(), distributed.size(),
                                                       seed=0, epoch=epoch), steps):
            loss = loss_fn(model(Tensor(x[batch])), y[batch])
            loss.backward()
            optimizer.step()        # averages the gradients over the ranks, then updates
            optimizer.zero_grad()

On one process (no ``mpiexec``, or ``-n 1``) everything here is a no-op: ``rank()`` is 0,
``size()`` is 1, and mpi4py is never imported. Importing humblenet never imports mpi4py; it is
an optional dependency (``pip install "humblenet[mpi]"``).

Checkpoints: ``BackupAndRestore`` and ``ModelCheckpoint`` write on rank 0 only, and every rank
reads the backup when a run resumes. A backup holds the whole model and the epoch's running
sums over all ranks, and the global batches depend on the seed and the epoch alone, so a run can
resume on another number of ranks (the numbers then differ by rounding only).

Not done here: layers that draw random numbers while training (dropout) draw the
same stream on every rank, so such a run is not the single-process run's.

Overlap of communication with backward (starting each bucket's ``Iallreduce`` as soon as
backward has produced its gradients) needs a hook in ``Tensor.backward`` when a leaf's gradient
is complete, which humblenet does not have. The part that can overlap without one, starting each
bucket's ``Iallreduce`` as soon as it is packed and waiting before the step, was measured on the
2-core development machine (``benchmarks/bench_distributed.py --overlap``, 2 ranks, machine
loaded by other jobs) and did not pay: 4.4 and 6.5 ms per MLP step against 5.7 and 5.9 ms with
``Allreduce`` in two runs, noise either way. These networks' gradients fit one 64 MB bucket, so
there is nothing to overlap the one collective with; MPICH also progresses a non-blocking
collective only inside MPI calls, and two ranks on two cores leave no idle core. The blocking
``Allreduce`` is kept; ``GradientAverager.average_overlapped`` stays for the benchmark.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Iterable
from typing import Any

import numpy as np

from humblenet.nn.module import Module
from humblenet.optim.optimizer import Optimizer
from humblenet.random import default_generator
from humblenet.tensor import Tensor

__all__ = [
    "BUCKET_BYTES",
    "DistributedOptimizer",
    "broadcast",
    "GradientAverager",
    "broadcast_optimizer_state",
    "broadcast_parameters",
    "data_parallel",
    "init",
    "is_initialized",
    "launched_size",
    "rank",
    "shard",
    "size",
]

BUCKET_BYTES = 64 * 2**20
"""The most bytes of gradients fused into one allreduce buffer (a larger array has its own)."""

_LAUNCH_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")

_comm: Any = None  # mpi4py's COMM_WORLD once init() has run
_MPI: Any = None  # the mpi4py.MPI module once init() has run


def launched_size() -> int:
    """How many ranks the launcher (``mpiexec``) started, read from its environment variables
    without importing MPI; 1 when not launched by one."""
    for name in _LAUNCH_SIZE_VARIABLES:
        value = os.environ.get(name)
        if value and value.isdigit():
            return int(value)
    return 1


def init() -> None:
    """Start MPI (import mpi4py) once; later calls do nothing.

    When there is more than one rank, an uncaught exception on any rank prints its traceback and
    calls ``MPI_Abort``, so every rank stops instead of waiting forever in the next collective.

    Raises:
        ImportError: mpi4py is not installed (``pip install "humblenet[mpi]"``).
    """
    global _comm, _MPI
    if _comm is not None:
        return
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(
            "humblenet.distributed needs mpi4py and an MPI library: "
            'pip install "humblenet[mpi]" (mpi4py and mpich), then launch with mpiexec -n N'
        ) from error
    _MPI, _comm = MPI, MPI.COMM_WORLD
    if _comm.Get_size() > 1:
        sys.excepthook = _abort_on_error


def _abort_on_error(kind: type[BaseException], error: BaseException, trace: Any) -> None:
    """An uncaught exception on one rank: say so once, then stop every rank (no hang)."""
    text = "".join(traceback.format_exception(kind, error, trace))
    sys.stderr.write(f"humblenet.distributed: rank {_comm.Get_rank()} failed:\n{text}")
    sys.stderr.write("humblenet.distributed: aborting all ranks\n")
    sys.stderr.flush()
    # The launcher forwards a rank's output through a pipe, and an abort tears the pipes down:
    # without a pause the message above was lost in 2 runs of 25 on the (loaded) 2-core machine.
    time.sleep(1.0)
    _comm.Abort(1)


def _world() -> Any:
    """The communicator, starting MPI when launched with more than one rank; None on one process
    that did not call init()."""
    if _comm is None and launched_size() > 1:
        init()
    return _comm


def is_initialized() -> bool:
    """True once MPI was started (by :func:`init`, or by asking under ``mpiexec -n N>1``)."""
    return _comm is not None


def rank() -> int:
    """This process's number, 0 to ``size() - 1`` (0 on one process)."""
    comm = _world()
    return 0 if comm is None else int(comm.Get_rank())


def size() -> int:
    """How many processes train together (1 on one process)."""
    comm = _world()
    return 1 if comm is None else int(comm.Get_size())


# -- broadcasting the start ------------------------------------------------------------------------


def broadcast(value: Any) -> Any:
    """Rank 0's ``value`` on every rank (a small object, sent pickled: mpi4py's ``bcast``);
    ``value`` itself on one process. Every rank must call it."""
    comm = _world()
    if comm is None or comm.Get_size() == 1:
        return value
    return comm.bcast(value if comm.Get_rank() == 0 else None, root=0)


def broadcast_parameters(model: Module | Iterable[Tensor]) -> None:
    """Copy rank 0's parameters and buffers into every rank's, in place, so all ranks start from
    the same weights whatever their seeds.

    Args:
        model: a Module (its parameters and buffers), or Tensors in the same order on each rank.
    """
    comm = _world()
    if comm is None or comm.Get_size() == 1:
        return
    tensors = [*model.parameters(), *model.buffers()] if isinstance(model, Module) else model
    for tensor in tensors:
        array = tensor.data
        if not array.flags.c_contiguous:
            tensor.data = array = np.ascontiguousarray(array)
        comm.Bcast(array, root=0)


def broadcast_optimizer_state(optimizer: Any) -> None:
    """Give every rank rank 0's optimizer state (step counts, running averages, learning rate):
    for a run that starts from a restored optimizer. A small, one-time message: it is sent
    pickled (mpi4py's lowercase ``bcast``)."""
    comm = _world()
    if comm is None or comm.Get_size() == 1:
        return
    state = comm.bcast(optimizer.state_dict() if comm.Get_rank() == 0 else None, root=0)
    if comm.Get_rank() != 0:
        optimizer.load_state_dict(state)


# -- sharding the data -----------------------------------------------------------------------------


def shard(n: int, rank: int, size: int, seed: int, epoch: int) -> np.ndarray:
    """This rank's sample indices for one epoch (PyTorch's ``DistributedSampler``).

    The order is a permutation drawn from ``(seed, epoch)``, the same on every rank; rank ``r``
    takes every ``size``-th index from position ``r``. When ``n`` is not a multiple of ``size``
    the permutation is padded with its own first indices, so every rank takes the same number of
    steps (``ceil(n / size)`` samples each).

    >>> shard(5, 0, 2, seed=0, epoch=0).size, shard(5, 1, 2, seed=0, epoch=0).size
    (3, 3)
    >>> both = np.concatenate([shard(6, r, 2, seed=1, epoch=3) for r in range(2)])
    >>> sorted(both.tolist())
    [0, 1, 2, 3, 4, 5]
    """
    if size < 1 or not 0 <= rank < size:
        raise ValueError(f"shard: rank must be in 0..size-1 and size >= 1, got {rank=} {size=}")
    if n < 1:
        raise ValueError(f"shard: n must be >= 1 samples, got {n}")
    order = np.random.default_rng([seed, epoch]).permutation(n)
    padded = -(-n // size) * size
    if padded > n:
        order = np.concatenate([order, np.resize(order, padded - n)])
    return order[rank::size]


# -- averaging gradients ---------------------------------------------------------------------------


class GradientAverager:
    """Averages the gradients of a parameter list over the ranks, in fused buffers.

    Gradients are packed, in parameter order, into contiguous buffers of one dtype of at most
    :data:`BUCKET_BYTES` each (one allreduce per buffer instead of one per array: a
    collective's fixed cost is paid per call), summed in place with ``Allreduce(IN_PLACE, ...,
    SUM)`` and divided by the number of ranks. A parameter without a gradient on this rank counts
    as zeros (it gets a gradient if any rank had one).

    Args:
        params: the Tensors whose ``.grad`` to average (the same list, in the same order, on
            every rank).

    Attributes:
        scale: multiplies this rank's gradients before the sum (1 by default): a rank whose
            share of a batch is smaller than the others' weighs its mean gradient less.
    """

    def __init__(self, params: Iterable[Tensor]) -> None:
        self.params = [p for p in params if p.requires_grad]
        self.scale = 1.0
        self._layout: tuple[Any, ...] | None = None
        self._buckets: list[tuple[np.ndarray, list[tuple[Tensor, int, int]]]] = []

    def _plan(self) -> list[tuple[np.ndarray, list[tuple[Tensor, int, int]]]]:
        layout = tuple((p.data.shape, p.data.dtype) for p in self.params)
        if layout == self._layout:
            return self._buckets
        buckets: list[tuple[np.ndarray, list[tuple[Tensor, int, int]]]] = []
        members: list[tuple[Tensor, int, int]] = []
        dtype: Any = None
        used = 0

        def close() -> None:
            if members:
                buckets.append((np.empty(used, dtype=dtype), list(members)))

        for parameter in self.params:
            count, kind = parameter.data.size, parameter.data.dtype
            if members and (kind != dtype or (used + count) * kind.itemsize > BUCKET_BYTES):
                close()
                members, used = [], 0
            dtype = kind
            members.append((parameter, used, count))
            used += count
        close()
        self._layout, self._buckets = layout, buckets
        return buckets

    def _pack(self, buffer: np.ndarray, members: list[tuple[Tensor, int, int]]) -> None:
        for parameter, start, count in members:
            target = buffer[start : start + count]
            if parameter.grad is None:
                target.fill(0)
            elif self.scale == 1.0:
                target[...] = parameter.grad.reshape(-1)
            else:
                np.multiply(parameter.grad.reshape(-1), self.scale, out=target)

    @staticmethod
    def _unpack(buffer: np.ndarray, members: list[tuple[Tensor, int, int]], ranks: int) -> None:
        buffer /= ranks
        for parameter, start, count in members:
            average = buffer[start : start + count].reshape(parameter.data.shape)
            if parameter.grad is None or parameter.grad.dtype != buffer.dtype:
                parameter.grad = average.copy()
            else:
                parameter.grad[...] = average

    def average(self) -> None:
        """Replace every ``.grad`` by its average over the ranks (a no-op on one process)."""
        comm = _world()
        if comm is None or comm.Get_size() == 1:
            return
        ranks = comm.Get_size()
        for buffer, members in self._plan():
            self._pack(buffer, members)
            comm.Allreduce(_MPI.IN_PLACE, buffer, op=_MPI.SUM)
            self._unpack(buffer, members, ranks)

    def average_overlapped(self) -> None:
        """The same result as :meth:`average`, with each bucket's ``Iallreduce`` started as soon
        as it is packed and all waited for at the end (measured; see the module docstring)."""
        comm = _world()
        if comm is None or comm.Get_size() == 1:
            return
        plan = self._plan()
        requests = []
        for buffer, members in plan:
            self._pack(buffer, members)
            requests.append(comm.Iallreduce(_MPI.IN_PLACE, buffer, op=_MPI.SUM))
        _MPI.Request.Waitall(requests)
        for buffer, members in plan:
            self._unpack(buffer, members, comm.Get_size())


class DistributedOptimizer:
    """Wraps an optimizer so that ``step()`` first averages the gradients over the ranks.

    Everything else (``zero_grad``, ``state_dict``, ``learning_rate``, ...) is the wrapped
    optimizer's. On one process it is the wrapped optimizer.

    Args:
        optimizer: a :class:`humblenet.optim.Optimizer` (the same kind on every rank).

    >>> from humblenet import optim
    >>> w = Tensor(np.ones(2), requires_grad=True)
    >>> optimizer = DistributedOptimizer(optim.SGD([w], learning_rate=0.5))
    >>> w.grad = np.array([1.0, 2.0])
    >>> optimizer.step()          # one process: the gradient is its own average
    >>> w.data.tolist()
    [0.5, 0.0]
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                "DistributedOptimizer wraps a humblenet.optim optimizer, got "
                f"{type(optimizer).__name__}; e.g. DistributedOptimizer(optim.SGD(params, 0.1))"
            )
        object.__setattr__(self, "optimizer", optimizer)
        object.__setattr__(self, "averager", GradientAverager(optimizer.params))

    def step(self) -> None:
        """Average the gradients over the ranks, then take the wrapped optimizer's step."""
        self.averager.average()
        self.optimizer.step()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.optimizer, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.optimizer, name, value)  # e.g. a schedule setting learning_rate

    def __repr__(self) -> str:
        return f"DistributedOptimizer({self.optimizer!r})"


# -- the seam Model.fit calls ----------------------------------------------------------------------


class _DataParallelFit:
    """What ``Model.fit`` does differently on several ranks (see :func:`data_parallel`)."""

    def __init__(self, comm: Any, model: Module, optimizer: Any) -> None:
        self.comm = comm
        self.rank, self.size = int(comm.Get_rank()), int(comm.Get_size())
        self.averager = GradientAverager(model.parameters())
        self._global = 0
        self._sums = np.zeros(2)

    def common_seed(self, seed: int | None) -> int:
        """The shuffling seed, rank 0's (drawn there when None, from humblenet's default
        generator, as a DataLoader draws it): all ranks must cut the same global batches."""
        if seed is None and self.rank == 0:
            seed = int(default_generator().integers(2**63))
        return int(self.comm.bcast(seed, root=0))

    def share(self, x_batch: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """This rank's contiguous part of a global batch (views, nothing copied); its mean
        gradient is weighed by its part of the batch."""
        n = len(x_batch)
        start, stop = n * self.rank // self.size, n * (self.rank + 1) // self.size
        self._global = n
        self.averager.scale = (stop - start) * self.size / n
        return x_batch[start:stop], second[start:stop]

    def batch_loss(self, loss: float, count: int) -> float:
        """The global batch's mean loss (every rank gets the same, so a non-finite loss stops
        every rank at the same step)."""
        self._sums[0], self._sums[1] = loss * count, count
        self.comm.Allreduce(_MPI.IN_PLACE, self._sums, op=_MPI.SUM)
        return float(self._sums[0] / self._sums[1])

    def average_gradients(self) -> None:
        self.averager.average()

    def reduce_meter(self, meter: Any) -> None:
        """Sum the epoch's running sums over the ranks (loss × count, correct counts, errors)."""
        names = ("count", "loss", "correct", "elements", "abs_error", "sq_error")
        sums = np.array([float(getattr(meter, name)) for name in names])
        self.comm.Allreduce(_MPI.IN_PLACE, sums, op=_MPI.SUM)
        for name, value in zip(names, sums):
            setattr(meter, name, type(getattr(meter, name))(value))


def data_parallel(model: Module, optimizer: Any, batch_size: int, samples: int) -> Any:
    """``Model.fit``'s seam: None on one process; under ``mpiexec -n N`` (N > 1), broadcast
    rank 0's weights and optimizer state and return the helper that splits each global batch
    of ``batch_size`` over the ranks, averages the gradients and sums the metrics.

    Raises:
        ValueError: a batch (the last one included) would leave some rank without samples.
    """
    comm = _world()
    if comm is None or comm.Get_size() == 1:
        return None
    ranks = int(comm.Get_size())
    last = samples % batch_size
    if batch_size < ranks or 0 < last < ranks:
        raise ValueError(
            f"fit over {ranks} ranks: every batch must hold at least one sample per rank, but "
            f"batch_size={batch_size} on {samples} samples leaves "
            f"{min(batch_size, last or batch_size)} in a batch; choose a batch_size >= {ranks} "
            f"whose remainder on {samples} samples is 0 or >= {ranks}"
        )
    broadcast_parameters(model)
    if optimizer is not None:
        broadcast_optimizer_state(optimizer)
    return _DataParallelFit(comm, model, optimizer)
