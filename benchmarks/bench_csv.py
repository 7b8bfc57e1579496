"""Reading a large numeric CSV: humblenet's ``read_table`` beside ``numpy.loadtxt`` (and pandas'
``read_csv`` for information), on the same file.

The file is the issue's case: 1,100,000 rows × 21 columns of numbers (a header row, values such
as ``-1.23456``), about 189 MB of text and 88 MB as float32, written into a temporary folder.
Times are taken in this process, the readers alternating (best of ``--repeats``); peak memory is
taken in a fresh child process per reader (``--child``), as the rise of the peak resident size
(VmHWM, Linux) above the resident size just before reading, divided by the float32 table's size.

    python benchmarks/bench_csv.py [--rows 1100000] [--repeats 2] [--no-pandas]

The machine this project runs on is shared by other jobs: the times move between runs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

COLUMNS = 21


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """``rows`` rows of 21 numbers: 20 features with 5 decimals, a whole-number label."""
    rng = np.random.default_rng(seed)
    header = ",".join([*(f"x{i}" for i in range(COLUMNS - 1)), "label"])
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        file.write(header + "\n")
        for start in range(0, rows, 100_000):
            count = min(100_000, rows - start)
            block = rng.normal(0, 2, size=(count, COLUMNS)).astype(np.float64)
            block[:, -1] = rng.integers(0, 10, count)
            np.savetxt(file, block, fmt=["%.5f"] * (COLUMNS - 1) + ["%d"], delimiter=",")


def read_humblenet(path: Path) -> np.ndarray:
    from humblenet.data.table import read_table

    return read_table(path).values


def read_numpy(path: Path) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)


def read_pandas(path: Path) -> np.ndarray:
    import pandas as pd

    return pd.read_csv(path, dtype=np.float32).to_numpy()


READERS: dict[str, Callable[[Path], np.ndarray]] = {
    "humblenet": read_humblenet,
    "numpy.loadtxt": read_numpy,
    "pandas": read_pandas,
}


def resident_mib(field: str) -> float:
    """A field of /proc/self/status (VmRSS now, VmHWM the peak), in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def child(reader: str, path: Path) -> None:
    """Read once in this fresh process; print the rise of the peak resident size in MiB."""
    if reader == "pandas":
        import pandas  # noqa: F401  (imported before the baseline, as humblenet's reader is)
    import humblenet.data.table  # noqa: F401

    start = resident_mib("VmRSS")
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # the peak starts afresh from the resident size now
    values = READERS[reader](path)
    print(f"{resident_mib('VmHWM') - start:.1f} {values.nbytes / 2**20:.1f}")


def peak_ratio(reader: str, path: Path) -> tuple[float, float]:
    """(peak rise MiB, float32 MiB) of one read in a child process."""
    result = subprocess.run(
        [sys.executable, __file__, "--child", reader, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    rise, size = result.stdout.split()
    return float(rise), float(size)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_100_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--no-pandas", action="store_true", help="leave pandas out")
    parser.add_argument("--child", nargs=2, metavar=("READER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    names = [name for name in READERS if not (args.no_pandas and name == "pandas")]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        start = time.perf_counter()
        write_csv(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        written = time.perf_counter() - start
        print(f"{args.rows} rows x {COLUMNS} columns, {size_mb:.0f} MB of text, "
              f"{args.rows * COLUMNS * 4 / 1e6:.0f} MB as float32 (written in {written:.0f} s); "
              "2 cores shared with other jobs")  # fmt: skip
        reference = read_numpy(path)
        best = {name: float("inf") for name in names}
        for _ in range(args.repeats):
            for name in names:
                start = time.perf_counter()
                values = READERS[name](path)
                best[name] = min(best[name], time.perf_counter() - start)
                if not np.array_equal(values, reference):
                    raise SystemExit(f"{name} read other numbers than numpy.loadtxt")
                del values
        del reference
        print(f"{'reader':<15}{'seconds':>9}{'vs loadtxt':>12}{'MB/s':>8}"
              f"{'peak MiB':>10}{'peak / float32':>16}")  # fmt: skip
        for name in names:
            rise, table = peak_ratio(name, path)
            speed = best["numpy.loadtxt"] / best[name]
            print(f"{name:<15}{best[name]:>9.2f}{speed:>11.2f}x{size_mb / best[name]:>8.0f}"
                  f"{rise:>10.0f}{rise / table:>16.2f}")  # fmt: skip
    print("vs loadtxt: loadtxt's time / the reader's (above 1: faster than numpy.loadtxt)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
