"""The traced training step (``autograd.trace``) against the float floor and the eager engine.

Run: ``.venv/bin/python benchmarks/trace_bench.py [--quick]`` (``make bench`` runs it too).

Prints, from one run:
* moons: micrograd's demo step (MLP(2, [16, 16, 1]), 100 make_moons points,
  max-margin loss + 1e-4 L2, SGD), timed interleaved: the plain-float step,
  the eager engine (as run and in ``gc_paused()``) and the traced step, with
  the traced step's ratio to the float floor (target <= 0.5), and whether one
  traced step leaves every weight bit-identical to one eager step;
* the time to trace and compile that model's step (target <= 0.3 s);
* digits: ``gradwalk.digits.train()`` with its defaults, eager
  (``compiled=False``) against traced, with both accuracies;
* with ``--baseline REV``: the command ``gradwalk train digits`` end to end
  (start-up, data, training, evaluation), another revision's tree against
  this one, run in turn three times each (target: this tree >= 3x faster
  than the tree before the trace).
"""

from __future__ import annotations

import argparse
import os
import re
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from bench import (
    ALPHA,
    initial_weights,
    interleaved_ms,
    load_into,
    moons_data,
    moons_step_floats,
    moons_step_value,
    paused,
)

from autograd import Trace, trace
from autograd.nn import MLP

ROOT = Path(__file__).resolve().parents[1]


def trace_moons(model: MLP, X: list, Y: list) -> Trace:
    """The per-sample hinge term of micrograd's demo, traced (and its batch code compiled)."""
    t = trace(lambda x1, x2, y: (1 + -y * model([x1, x2])).relu(), *X[0], Y[0])
    t.batch([])  # compiles the batch function
    return t


def traced_moons_step(t: Trace, model: MLP, rows: list, lr: float) -> float:
    """The demo step on the trace: the same numbers as ``moons_step_value`` on the engine.

    The eager graph's L2 nodes are made after the samples', so backward
    reaches them first: each parameter's pass starts with ``ALPHA * p`` twice
    (``p * p`` has two edges), then the samples, last one first.
    """
    params = t.parameters
    model.zero_grad()
    start = [(-0.0 + ALPHA * p.data) + ALPHA * p.data for p in params]
    n = len(rows)
    losses = t.batch(rows, grad=1.0 / n, start=start)
    data_loss = 0
    for v in losses:
        data_loss = data_loss + v
    reg = 0
    for p in model.parameters():
        reg = reg + p.data * p.data
    total = data_loss * (1.0 / n) + ALPHA * reg
    for p in model.parameters():
        p.data -= lr * p.grad
    return total


def bits(xs: list[float]) -> list[bytes]:
    return [struct.pack("<d", x) for x in xs]


def bench_moons(quick: bool) -> None:
    X, Y = moons_data()
    weights = initial_weights([2, 16, 16, 1], seed=0)
    lr = 0.05
    rows = [(x[0], x[1], y) for x, y in zip(X, Y)]

    eager = MLP(2, [16, 16, 1], seed=0)
    load_into(eager, weights)
    traced_model = MLP(2, [16, 16, 1], seed=0)
    load_into(traced_model, weights)

    start = time.perf_counter()
    t = trace_moons(traced_model, X, Y)
    setup = time.perf_counter() - start

    # One step of each from the same weights: every weight must have the same bits.
    moons_step_value(eager, X, Y, lr)
    traced_moons_step(t, traced_model, rows, lr)
    same = bits([p.data for p in eager.parameters()]) == bits(
        [p.data for p in traced_model.parameters()]
    )
    grads_same = bits([p.grad for p in eager.parameters()]) == bits(
        [p.grad for p in traced_model.parameters()]
    )

    paused_model = MLP(2, [16, 16, 1], seed=0)
    load_into(paused_model, weights)
    floats = [([list(r) for r in rows_], list(bs)) for rows_, bs in weights]
    reps = 9 if quick else 41
    res = interleaved_ms(
        {
            "floats": lambda: moons_step_floats(floats, X, Y, lr),
            "engine": lambda: moons_step_value(eager, X, Y, lr),
            "engine in gc_paused()": paused(lambda: moons_step_value(paused_model, X, Y, lr)),
            "traced": lambda: traced_moons_step(t, traced_model, rows, lr),
        },
        reps,
    )
    floor = res["floats"]
    print("moons step: MLP(2,[16,16,1]), 100 points, max-margin + L2, SGD (medians, interleaved)")
    for name, ms in res.items():
        print(f"  {name:24s} {ms:8.2f} ms   {ms / floor:5.2f}x the float floor")
    print(
        f"  traced: {res['traced'] / floor:.2f}x the float floor (target <= 0.5), "
        f"{res['engine'] / res['traced']:.1f}x faster than the engine as run, "
        f"{res['engine in gc_paused()'] / res['traced']:.1f}x in gc_paused()"
    )
    print(
        "  one step from the same weights: gradients bit-identical: "
        f"{'yes' if grads_same else 'NO'}, weights bit-identical: {'yes' if same else 'NO'}"
    )
    lines = t.source.count("\n")
    print(
        f"  trace + compile of the step: {setup:.3f} s (target <= 0.3), "
        f"{len(t.parameters)} parameters, {lines} lines of code"
    )


def bench_digits() -> None:
    from gradwalk import digits

    data = digits.load()
    print("\ndigits: gradwalk.digits.train() with its defaults, end to end (target >= 3x)")
    times = {}
    for name, compiled in (("eager", False), ("traced", True)):
        start = time.perf_counter()
        result = digits.train(data=data, compiled=compiled)
        times[name] = time.perf_counter() - start
        print(
            f"  {name:7s} {times[name]:6.2f} s   test accuracy "
            f"{100 * result.test_accuracy:.2f}% ({result.n_parameters} parameters, "
            f"ran {'traced' if result.history.traced else 'eagerly'})"
        )
    print(f"  traced is {times['eager'] / times['traced']:.1f}x faster end to end")


def bench_command(rev: str) -> None:
    """``gradwalk train digits`` as a user runs it: ``rev``'s tree against this one, in turn."""
    print(f"\ngradwalk train digits, end to end: {rev} against this tree (3 runs each, in turn)")
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "baseline"
        old.mkdir()
        archive = Path(tmp) / "baseline.tar"
        with archive.open("wb") as f:
            subprocess.run(["git", "archive", rev], cwd=ROOT, stdout=f, check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(old, filter="data")
        times: dict[str, list[float]] = {rev: [], "this tree": []}
        for _ in range(3):
            for name, tree in ((rev, old), ("this tree", ROOT)):
                env = {**os.environ, "PYTHONPATH": str(tree)}
                start = time.perf_counter()
                out = subprocess.run(
                    [sys.executable, "-m", "gradwalk", "train", "digits"],
                    cwd=tmp,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                times[name].append(time.perf_counter() - start)
                acc = re.findall(r"test accuracy ([0-9.]+%)", out.stdout)[-1]
                print(f"  {name:12s} {times[name][-1]:6.2f} s   test accuracy {acc}")
    best = {k: min(v) for k, v in times.items()}
    print(
        f"  this tree is {best[rev] / best['this tree']:.1f}x faster end to end "
        f"(fastest runs: {best[rev]:.2f} s against {best['this tree']:.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--no-digits", action="store_true", help="skip the digits comparison")
    parser.add_argument("--baseline", metavar="REV", help="also time the command against REV")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; every figure is from this run.\n")
    bench_moons(args.quick)
    if not args.no_digits:
        bench_digits()
    if args.baseline:
        bench_command(args.baseline)


if __name__ == "__main__":
    main()
