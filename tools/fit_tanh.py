"""Fit the rational approximation of tanh that ``humblenet._recurrent_kernels._tanh32`` uses.

    python tools/fit_tanh.py            # prints the coefficients and the errors

tanh is odd, so it is written ``tanh(x) = x P(s) / Q(s)`` with ``s = x * x``, ``P`` and ``Q``
of degree 4 with ``P(0) = Q(0) = 1`` (so that a tiny ``x`` comes back as itself), on ``0 <= x
<= 9.1`` (from 9.02 on, float32's tanh is 1). The fit minimizes the largest relative error:
each round solves the linear least-squares problem ``P(s) - f(s) Q(s) ~ 0`` (``f = tanh(x) /
x``), divided by ``f Q_prev`` so that it measures the relative error of the previous round's
denominator, with weights that grow where the error stays large (Lawson's iteration toward the
minimax fit). It works in ``u = s / 9.1**2`` to keep the powers near one and scales the
coefficients back at the end.

The kernel evaluates the fit in float32, whose rounding (a few units in the last place) is far
larger than the fit's own error (2.4e-8 relative); this script checks a float32 evaluation
against float64's tanh on random float32 inputs, and the test suite repeats that check on the
kernel itself.
"""

from __future__ import annotations

import numpy as np

DEGREE, LIMIT = 4, 9.1


def fit() -> tuple[np.ndarray, np.ndarray, float]:
    scale = LIMIT * LIMIT
    u = (1 - np.cos(np.linspace(0, np.pi, 40001))) / 2  # more points near both ends
    x = np.sqrt(u * scale)
    f = np.ones_like(x)
    f[1:] = np.tanh(x[1:]) / x[1:]
    powers = u[:, None] ** np.arange(1, DEGREE + 1)
    # 1 + P1(u) - f (1 + Q1(u)) ~ 0, so P1(u) - f Q1(u) ~ f - 1
    system = np.hstack([powers, -f[:, None] * powers])
    weights = np.ones_like(u)
    q_prev = np.ones_like(u)
    for round_ in range(80):
        rows = np.sqrt(weights) / (f * q_prev)
        coef = np.linalg.lstsq(system * rows[:, None], (f - 1) * rows, rcond=None)[0]
        p = 1 + powers @ coef[:DEGREE]
        q = 1 + powers @ coef[DEGREE:]
        error = (p / q - f) / f
        q_prev = q
        if round_ >= 10:
            weights = weights * np.abs(error)
            weights /= weights.sum()
    down = scale ** np.arange(DEGREE + 1)
    p_coef = np.concatenate([[1.0], coef[:DEGREE]]) / down
    q_coef = np.concatenate([[1.0], coef[DEGREE:]]) / down
    return p_coef, q_coef, float(np.abs(error).max())


def main() -> None:
    p_coef, q_coef, worst = fit()
    print(f"largest relative error on [0, {LIMIT}]: {worst:.3g}")
    print("P:", ", ".join(repr(float(np.float32(c))) for c in p_coef))
    print("Q:", ", ".join(repr(float(np.float32(c))) for c in q_coef))
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(0, LIMIT + 1, 2_000_000), 10 ** rng.uniform(-30, 0, 500_000)])
    x = x.astype(np.float32)
    v = np.minimum(x, np.float32(LIMIT))
    s = v * v
    p = np.zeros_like(s)
    q = np.zeros_like(s)
    for cp, cq in zip(p_coef[::-1].astype(np.float32), q_coef[::-1].astype(np.float32)):
        p = p * s + cp
        q = q * s + cq
    approx = np.minimum(v * p / q, np.float32(1))
    exact = np.tanh(x.astype(np.float64))
    ulp = np.spacing(exact.astype(np.float32)).astype(np.float64)
    print(f"float32 evaluation, largest error: {(np.abs(approx - exact) / ulp).max():.2f} units "
          "in the last place")  # fmt: skip


if __name__ == "__main__":
    main()
