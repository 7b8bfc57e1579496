"""``jogging``: a synthetic table of runs (minutes, speed, mass → kcal), the series' example.

Part 2 of the series predicts the calories a run burns from three inputs: the minutes run, the
speed in m/s and the runner's mass in kg, with invented weights (6.2 kcal per minute, 8.1 per
m/s, 0.31 per kg). This data set gives that network something real to learn from. It is
SYNTHETIC: every row is computed from a published formula plus noise, not measured on anyone.

The formula is the ACSM running equation (American College of Sports Medicine, *ACSM's
Guidelines for Exercise Testing and Prescription*, metabolic equations chapter), for running
on level ground (grade 0):

    VO2 (mL of oxygen per kg per minute) = 0.2 × speed (m/min) + 0.9 × speed (m/min) × grade + 3.5

and about 5 kcal burned per litre of oxygen, so

    kcal = minutes × mass (kg) × VO2 / 1000 × 5,   with speed (m/min) = 60 × speed (m/s).

For 30 minutes at 3 m/s for an 80 kg runner: VO2 = 0.2 × 180 + 3.5 = 39.5, and
kcal = 30 × 80 × 39.5 × 5 / 1000 = 474.0.

``generate_jogging(n, seed)`` draws, with ``numpy.random.default_rng(seed)`` and in this order,
``n`` values each of minutes uniform in [10, 60), speed uniform in [2, 4.5) m/s, mass uniform in
[50, 100) kg, and a standard normal noise; it rounds the inputs (minutes and mass to 0.1, speed
to 0.01), multiplies the formula's kcal by ``1 + 0.03 × noise`` (3% multiplicative noise) and
rounds it to 0.1. The package ships the result for the defaults as ``files/jogging.csv``
(columns ``minutes,speed_m_per_s,mass_kg,kcal``); a test regenerates it and compares.

The true relation is multiplicative (minutes × mass × speed), so a linear model is only an
approximation, and its weights are averages of the formula's slopes over the table. Ordinary
least squares on the shipped file's raw features (computed with ``numpy.linalg.lstsq``, values
approximate):

- without an intercept, like part 2's network (``prediction = inputs · weights``): about
  12.1 kcal per minute, 42 kcal per m/s and 0.16 kcal per kg, against part 2's invented
  6.2, 8.1 and 0.31: the same signs, the per-minute and per-kg weights of the same order;
- with an intercept (about -1080 kcal): about 15.6 kcal per minute, 163 per m/s and 7.5 per
  kg, R² ≈ 0.94. The per-minute weight is close to the formula's slope at the average run:
  VO2 at 3.25 m/s is 0.2 × 195 + 3.5 = 42.5, and 42.5 × 75 kg × 5 / 1000 ≈ 15.9 kcal/min.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "JOGGING_CSV",
    "JOGGING_COLUMNS",
    "jogging_kcal",
    "generate_jogging",
    "write_jogging",
]

JOGGING_CSV = Path(__file__).parent / "files" / "jogging.csv"
JOGGING_COLUMNS = ("minutes", "speed_m_per_s", "mass_kg", "kcal")
DEFAULT_ROWS = 1000
DEFAULT_SEED = 0
NOISE = 0.03


def jogging_kcal(minutes: Any, speed: Any, mass: Any) -> Any:
    """The kcal a run burns by the ACSM running equation (level ground), without noise.

    Args:
        minutes: the run's duration in minutes.
        speed: the speed in metres per second.
        mass: the runner's mass in kg.

    Returns:
        ``minutes × mass × (0.2 × 60 × speed + 3.5) × 5 / 1000`` (floats or arrays).

    Example:
        >>> jogging_kcal(30, 3, 80)
        474.0
    """
    vo2 = 0.2 * (speed * 60) + 3.5  # mL of O2 per kg per minute (ACSM, grade 0)
    litres_of_oxygen = vo2 * mass * minutes / 1000
    return litres_of_oxygen * 5  # about 5 kcal per litre of oxygen


def generate_jogging(n: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> str:
    """Generate the synthetic jogging table as CSV text (see the module docstring).

    Args:
        n: the number of rows (>= 1).
        seed: the seed of ``numpy.random.default_rng``.

    Returns:
        CSV text: the header ``minutes,speed_m_per_s,mass_kg,kcal`` and ``n`` rows.

    Example:
        >>> text = generate_jogging(n=5, seed=0)
        >>> text.splitlines()[0], len(text.splitlines())
        ('minutes,speed_m_per_s,mass_kg,kcal', 6)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    rng = np.random.default_rng(seed)
    minutes = np.round(rng.uniform(10, 60, n), 1)
    speed = np.round(rng.uniform(2, 4.5, n), 2)
    mass = np.round(rng.uniform(50, 100, n), 1)
    noise = rng.standard_normal(n)
    kcal = np.round(jogging_kcal(minutes, speed, mass) * (1 + NOISE * noise), 1)
    lines = [",".join(JOGGING_COLUMNS)]
    lines += [
        f"{m:.1f},{s:.2f},{w:.1f},{k:.1f}"
        for m, s, w, k in zip(minutes, speed, mass, kcal, strict=True)
    ]
    return "\n".join(lines) + "\n"


def write_jogging(
    path: str | os.PathLike[str] = JOGGING_CSV, n: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED
) -> Path:
    """Write ``generate_jogging(n, seed)`` to ``path`` (by default the packaged file)."""
    path = Path(path)
    path.write_text(generate_jogging(n, seed), encoding="utf-8", newline="\n")
    return path


if __name__ == "__main__":  # python -m humblenet.data.jogging [PATH]: regenerate the file
    print(write_jogging(sys.argv[1] if len(sys.argv) > 1 else JOGGING_CSV))
