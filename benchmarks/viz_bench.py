"""How fast viz lays graphs out and builds players, and how big the pages get.

    PYTHONPATH=. python benchmarks/viz_bench.py [--quick]

Prints, for each case, the wall time (best of ``--repeat`` runs) and, for
players, the page size. The targets it checks are printed next to the figures:

* ``draw_dot`` of ``tanh(x*1) + ... + tanh(x*n)`` with ``collapse=None``:
  100 terms <= 2 s, 300 terms <= 6 s;
* ``draw_dot`` with the default collapse, graphs up to 100,000 values <= 3 s;
* ``backward_player`` of a balanced expression of 250 additions <= 10 s and
  <= 5 MB, of 500 additions <= 20 s and <= 10 MB.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograd import Value, topological_order
from autograd.nn import MLP
from viz import VizWarning, backward_player, draw_dot


def tanh_sum(n: int) -> Value:
    """``tanh(x*1) + ... + tanh(x*n)``: one leaf fanning out to n nodes, a long sum."""
    x = Value(0.3, label="x")
    total = (x * 1).tanh()
    for k in range(2, n + 1):
        total = total + (x * k).tanh()
    total.backward()
    return total


def balanced_sum(additions: int) -> Value:
    """A balanced tree of ``additions`` additions over ``additions + 1`` leaves."""
    level = [Value(0.01 * (i + 1), label=f"x{i}") for i in range(additions + 1)]
    while len(level) > 1:
        nxt = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def chain(n: int) -> Value:
    """``x * 1.0001 * 1.0001 ...``: a chain of ``n`` multiplications."""
    v = Value(1.0, label="x")
    for _ in range(n):
        v = v * 1.0001
    v.backward()
    return v


def mlp_loss(samples: int, sizes: list[int]) -> tuple[MLP, Value]:
    """A tanh MLP's squared-error loss over ``samples`` inputs (fused neurons)."""
    model = MLP(2, sizes, activation="tanh", seed=0)
    loss = Value(0.0)
    for s in range(samples):
        out = model([0.01 * s, -0.02 * s])
        loss = loss + (out - 1.0) ** 2
    loss.backward()
    return model, loss


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def report(name: str, seconds: float, limit: float | None, extra: str = "") -> bool:
    ok = limit is None or seconds <= limit
    target = f"(target <= {limit:g} s: {'ok' if ok else 'MISSED'})" if limit else ""
    print(f"{name:58s} {seconds:7.2f} s {extra:16s} {target}", flush=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the largest cases")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (best is shown)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", VizWarning)
    ok = True
    print("draw_dot, collapse=None (layout included: .svg() renders)")
    for n, limit in ((100, 2.0), (300, 6.0)):
        root = tanh_sum(n)
        seconds, _ = timed(lambda r=root: draw_dot(r, collapse=None).svg(), args.repeat)
        values = len(topological_order(root))
        ok &= report(f"  tanh sum, {n} terms ({values:,} values)", seconds, limit)

    print("draw_dot, default collapse")
    cases: list[tuple[str, Callable[[], tuple[object, Value]]]] = [
        ("tanh sum, 300 terms", lambda: (None, tanh_sum(300))),
        ("tanh sum, 428 terms", lambda: (None, tanh_sum(428))),
        ("balanced sum, 1,499 additions", lambda: (None, balanced_sum(1499))),
        ("chain of 2,999 multiplications", lambda: (None, chain(2999))),
        ("MLP(2, [16, 16, 1]) loss over 10 samples", lambda: mlp_loss(10, [16, 16, 1])),
    ]
    if not args.quick:
        cases += [
            ("MLP(2, [16, 16, 1]) loss over 200 samples", lambda: mlp_loss(200, [16, 16, 1])),
            ("MLP(2, [64, 64, 1]) loss over 370 samples", lambda: mlp_loss(370, [64, 64, 1])),
            ("chain of 100,000 multiplications (refused)", lambda: (None, chain(100_000))),
        ]
    for name, build in cases:
        model, root = build()

        def draw(model: object = model, root: Value = root) -> str:
            try:
                return draw_dot(root, model=model).svg()
            except ValueError as exc:  # too big to draw in full, nothing to collapse by
                return str(exc)

        seconds, out = timed(draw, args.repeat)
        values = len(topological_order(root))
        note = "refused" if not str(out).startswith("<?xml") else ""
        ok &= report(f"  {name} ({values:,} values)", seconds, 3.0, note)

    print("backward_player (build: layout, steps, page; the page's size)")
    for additions, limit, mb in ((250, 10.0, 5.0), (500, 20.0, 10.0)):
        root = balanced_sum(additions)

        def build(root: Value = root) -> str:
            return backward_player(root).html()

        seconds, page = timed(build, args.repeat)
        size = len(str(page).encode("utf-8")) / 1e6
        ok &= report(f"  balanced sum, {additions} additions", seconds, limit, f"{size:.2f} MB")
        if size > mb:
            print(f"    page size target <= {mb:g} MB: MISSED")
            ok = False
        else:
            print(f"    page size target <= {mb:g} MB: ok")
    print("all targets met" if ok else "some targets MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
