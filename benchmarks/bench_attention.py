"""Attention, forward + backward: humblenet against PyTorch (CPU), side by side in one process,
float32, the same threads for both.

    python benchmarks/bench_attention.py [--repeats 7] [--threads 2]

Rows: ``scaled_dot_product_attention`` alone, ``MultiheadAttention`` self-attention with a
causal mask (batch 32, sequence 64, width 128, 4 heads), and one training step's forward and
backward of a ``TransformerEncoderLayer`` (feed-forward 512, dropout off). Each figure is the
median of ``--repeats`` timed calls after one warm-up, the two libraries alternating; the ratio
is humblenet's time over PyTorch's (above 1: slower). ``--threads`` sets both libraries' thread
count (NumPy's BLAS through threadpoolctl when it is installed). The machine may be shared with
other work: run it twice and trust only what both runs agree on. On a loaded machine, use
``--threads 1``: OpenBLAS threads that wait for a busy core made a 64x1024 by 1024x64 product
600x slower here (58 ms instead of 0.09 ms, measured with six other jobs on two cores).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as TF

from humblenet import Tensor, nn
from humblenet.attention import scaled_dot_product_attention


def _alternate(
    ours: Callable[[], None], ref: Callable[[], None], repeats: int
) -> tuple[float, float]:
    ours()
    ref()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for step, sink in ((ours, times[0]), (ref, times[1])):
            started = time.perf_counter()
            step()
            sink.append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def _row(name: str, ours: Callable[[], None], ref: Callable[[], None], repeats: int) -> None:
    ours_s, ref_s = _alternate(ours, ref, repeats)
    print(f"{name:52s} {ours_s * 1e3:9.2f} ms {ref_s * 1e3:9.2f} ms {ours_s / ref_s:7.2f}x")


def _blas_threads(threads: int) -> Any:
    """Limit NumPy's BLAS to ``threads`` (a no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


def _copy(ours: nn.Module, ref: torch.nn.Module) -> None:
    ref.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--length", type=int, default=64)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with _blas_threads(args.threads):
        _run(args)


def _run(args: Any) -> None:
    n, length, e, h = args.batch, args.length, args.width, args.heads
    rng = np.random.default_rng(0)
    print(f"threads: {args.threads} (both libraries)")
    print(f"{'forward + backward, float32':52s} {'humblenet':>12s} {'PyTorch':>12s} {'ratio':>8s}")

    # The functional on (N, heads, L, head_dim).
    qkv = [rng.standard_normal((n, h, length, e // h), dtype=np.float32) for _ in range(3)]
    ours_in = [Tensor(a, requires_grad=True) for a in qkv]
    ref_in = [torch.from_numpy(a.copy()).requires_grad_(True) for a in qkv]

    def sdpa_ours() -> None:
        scaled_dot_product_attention(*ours_in, is_causal=True).sum().backward()

    def sdpa_ref() -> None:
        TF.scaled_dot_product_attention(*ref_in, is_causal=True).sum().backward()

    _row(f"sdpa causal {n}x{h}x{length}x{e // h}", sdpa_ours, sdpa_ref, args.repeats)

    # MultiheadAttention, self-attention, causal mask, weights not needed (torch's fast path).
    x = rng.standard_normal((n, length, e), dtype=np.float32)
    mask = nn.generate_square_subsequent_mask(length)
    mha = nn.MultiheadAttention(e, h, batch_first=True, seed=0)
    mha_ref = torch.nn.MultiheadAttention(e, h, batch_first=True)
    _copy(mha, mha_ref)
    xs, xt = Tensor(x, requires_grad=True), torch.from_numpy(x.copy()).requires_grad_(True)
    mask_t = torch.from_numpy(mask)

    def mha_ours(need: bool) -> Callable[[], None]:
        def run() -> None:
            mha.zero_grad()
            out, _ = mha(xs, xs, xs, attn_mask=mask, need_weights=need)
            out.sum().backward()

        return run

    def mha_torch(need: bool) -> Callable[[], None]:
        def run() -> None:
            mha_ref.zero_grad()
            out, _ = mha_ref(xt, xt, xt, attn_mask=mask_t, need_weights=need, is_causal=True)
            out.sum().backward()

        return run

    tag = f"{n}x{length}x{e}, {h} heads"
    _row(f"MultiheadAttention {tag}", mha_ours(False), mha_torch(False), args.repeats)
    _row(f"MultiheadAttention {tag}, need_weights", mha_ours(True), mha_torch(True), args.repeats)

    # One encoder layer (post-norm, ReLU, feed-forward 4x), dropout off.
    layer = nn.TransformerEncoderLayer(e, h, 4 * e, dropout=0.0, batch_first=True, seed=0)
    layer_ref = torch.nn.TransformerEncoderLayer(e, h, 4 * e, dropout=0.0, batch_first=True)
    _copy(layer, layer_ref)

    def layer_ours() -> None:
        layer.zero_grad()
        layer(xs, src_mask=mask, is_causal=True).sum().backward()

    def layer_torch() -> None:
        layer_ref.zero_grad()
        layer_ref(xt, src_mask=mask_t, is_causal=True).sum().backward()

    _row(f"TransformerEncoderLayer {tag}, ff {4 * e}", layer_ours, layer_torch, args.repeats)


if __name__ == "__main__":
    main()
