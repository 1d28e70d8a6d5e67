"""How often the engine's numbers equal torch float64's, bit for bit, op by op.

Run: ``.venv/bin/python benchmarks/exactness.py [--n N]``. For each op, N random
inputs (seeded) go through the engine and through torch (float64, CPU); the
script prints the share of forward values that are identical, one ulp apart,
and further apart, and the same for the gradient (seed gradient random too)
among the inputs whose forward values are identical. The README's exactness
figures come from this script.
"""

from __future__ import annotations

import argparse
import math
import random
import sys

import torch

from autograd import Value

OPS = {
    "tanh": (lambda v: v.tanh(), torch.tanh, (-20.0, 20.0)),
    "sigmoid": (lambda v: v.sigmoid(), torch.sigmoid, (-40.0, 40.0)),
    "exp": (lambda v: v.exp(), torch.exp, (-700.0, 700.0)),
    "log": (lambda v: v.log(), torch.log, (1e-300, 1e300)),
    "sqrt": (lambda v: v.sqrt(), torch.sqrt, (0.0, 1e300)),
    "x**3.7": (lambda v: v**3.7, lambda t: t**3.7, (0.0, 100.0)),
    "1/x": (lambda v: 1.0 / v, lambda t: 1.0 / t, (-1e10, 1e10)),
}


def ulps(a: float, b: float) -> float:
    """Distance between two floats in units in the last place (0 when equal)."""
    if a == b or (a != a and b != b):
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / math.ulp(max(abs(a), abs(b)))


def draw(rng: random.Random, lo: float, hi: float) -> float:
    if lo > 0 and hi / lo > 1e6:  # spread over the exponents, not just the top decade
        return math.exp(rng.uniform(math.log(lo), math.log(hi)))
    if hi - lo > 1e6:
        return rng.choice([-1.0, 1.0]) * 10 ** rng.uniform(-6, math.log10(hi))
    return rng.uniform(lo, hi)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="random inputs per op")
    args = parser.parse_args()
    if args.n < 1:
        sys.exit("--n must be at least 1")
    rng = random.Random(2026)
    print(f"{args.n:,} random inputs per op; torch {torch.__version__} float64 on the CPU")
    print(f"{'op':9s} {'forward =':>10s} {'1 ulp':>7s} {'more':>6s}   {'grad =':>8s} {'more':>6s}")
    for name, (ours, theirs, (lo, hi)) in OPS.items():
        same = one = more = g_same = g_more = 0
        for _ in range(args.n):
            x = draw(rng, lo, hi)
            g = rng.uniform(-5.0, 5.0)
            t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            y = theirs(t)
            y.backward(torch.tensor(g, dtype=torch.float64))
            v = Value(x)
            out = ours(v)
            d = ulps(out.data, y.item())
            if d == 0.0:
                same += 1
                out.backward(g)
                if ulps(v.grad, t.grad.item()) == 0.0:
                    g_same += 1
                else:
                    g_more += 1
            elif d <= 1.0:
                one += 1
            else:
                more += 1
        n = args.n
        print(
            f"{name:9s} {100 * same / n:9.2f}% {100 * one / n:6.2f}% {100 * more / n:5.2f}%   "
            f"{100 * g_same / max(1, same):7.2f}% {g_more:6d}"
        )


if __name__ == "__main__":
    main()
