"""Fit the rational approximation of tanh that ``humblenet._recurrent_kernels._tanh32`` uses.

    python tools/fit_tanh.py            # prints the coefficients and the errors

tanh is odd, so it is written ``tanh(x) = x P(s) / Q(s)`` with ``s = x * x``, ``P`` of degree
6 and ``Q`` of degree 4 with ``Q(0) = 1``, on ``0 <= x <= 10`` (from 10 on, float32's tanh is
1). The fit minimizes the largest relative error: each round solves the linear least-squares
problem ``P(s) - f(s) Q(s) ~ 0`` (``f = tanh(x) / x``), divided by ``f Q_prev`` so that it
measures the relative error of the previous round's denominator, with weights that grow where
the error stays large (Lawson's iteration toward the minimax fit). It works in ``u = s / 100``
to keep the powers near one and scales the coefficients back at the end.

It then checks the float64 evaluation rounded to float32, as the kernel computes it, against
float64's tanh on random float32 inputs (the test suite repeats that check on the kernel).
"""

from __future__ import annotations

import numpy as np

NUM, DEN, LIMIT = 6, 4, 10.0


def fit() -> tuple[np.ndarray, np.ndarray, float]:
    scale = LIMIT * LIMIT
    u = (1 - np.cos(np.linspace(0, np.pi, 20001))) / 2  # more points near both ends
    x = np.sqrt(u * scale)
    f = np.ones_like(x)
    f[1:] = np.tanh(x[1:]) / x[1:]
    powers_p = u[:, None] ** np.arange(NUM + 1)
    powers_q = u[:, None] ** np.arange(1, DEN + 1)
    system = np.hstack([powers_p, -f[:, None] * powers_q])
    weights = np.ones_like(u)
    q_prev = np.ones_like(u)
    for round_ in range(60):
        rows = np.sqrt(weights) / (f * q_prev)
        coef = np.linalg.lstsq(system * rows[:, None], f * rows, rcond=None)[0]
        p = powers_p @ coef[: NUM + 1]
        q = 1 + powers_q @ coef[NUM + 1 :]
        error = (p / q - f) / f
        q_prev = q
        if round_ >= 10:
            weights = weights * np.abs(error)
            weights /= weights.sum()
    p_coef = coef[: NUM + 1] / scale ** np.arange(NUM + 1)
    q_coef = np.concatenate([[1.0], coef[NUM + 1 :]]) / scale ** np.arange(DEN + 1)
    return p_coef, q_coef, float(np.abs(error).max())


def main() -> None:
    p_coef, q_coef, worst = fit()
    print(f"largest relative error on [0, {LIMIT}]: {worst:.3g}")
    print("P:", ", ".join(repr(float(c)) for c in p_coef))
    print("Q:", ", ".join(repr(float(c)) for c in q_coef))
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(0, LIMIT + 1, 2_000_000), 10 ** rng.uniform(-30, 0, 500_000)])
    x = x.astype(np.float32).astype(np.float64)
    v = np.minimum(x, LIMIT)
    s = v * v
    approx = (v * np.polyval(p_coef[::-1], s) / np.polyval(q_coef[::-1], s)).astype(np.float32)
    exact = np.tanh(x)
    ulp = np.spacing(exact.astype(np.float32)).astype(np.float64)
    print(f"float32 result, largest error: {(np.abs(approx - exact) / ulp).max():.3f} units "
          "in the last place")  # fmt: skip


if __name__ == "__main__":
    main()
