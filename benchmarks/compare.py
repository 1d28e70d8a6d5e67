"""The moons step on this engine against another commit's, interleaved in one run.

Run: ``.venv/bin/python benchmarks/compare.py --baseline REV`` (a git revision,
e.g. ``HEAD~3`` or a commit hash). The script extracts that revision's
``autograd`` package into a temporary folder under another name, imports both
engines into this one process, loads the same weights into both models, checks
that both compute the same loss, then times their steps in turn (A B, B A, ...)
so that a machine whose speed drifts slows both alike, as run and in
``gc_paused()`` separately. It prints each median and the ratio; with
``--runs N`` it compares N times in a row and prints the median ratio too.
Comparing against ``HEAD`` (the same code) shows how far the ratio strays
from 1 on this machine.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from statistics import median

# "This tree" is the tree this script is in, whatever the environment has installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import (
    initial_weights,
    interleaved_ms,
    load_into,
    moons_data,
    moons_step_value,
    paused,
)

ROOT = Path(__file__).resolve().parent.parent


def import_baseline(rev: str, where: Path) -> object:
    """``rev``'s autograd package, imported as ``autograd_baseline`` (its imports are relative)."""
    archive = where / "baseline.tar"
    with archive.open("wb") as f:
        subprocess.run(["git", "archive", rev, "autograd"], cwd=ROOT, stdout=f, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(where, filter="data")
    (where / "autograd").rename(where / "autograd_baseline")
    sys.path.insert(0, str(where))
    importlib.import_module("autograd_baseline")
    return importlib.import_module("autograd_baseline.nn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="git revision to compare against")
    parser.add_argument("--repeats", type=int, default=41, help="timed steps per engine and run")
    parser.add_argument("--runs", type=int, default=1, help="comparisons in a row (median too)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    from autograd.nn import MLP

    ratios: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        old_nn = import_baseline(args.baseline, Path(tmp))
        X, Y = moons_data()
        weights = initial_weights([2, 16, 16, 1], seed=0)
        new = MLP(2, [16, 16, 1], seed=0)
        old = old_nn.MLP(2, [16, 16, 1], seed=0)  # type: ignore[attr-defined]
        load_into(new, weights)
        load_into(old, weights)
        a, b = moons_step_value(new, X, Y, 0.0), moons_step_value(old, X, Y, 0.0)
        if a != b:
            sys.exit(f"the engines disagree on the first loss: {a!r} vs {b!r}")
        lr = 0.05
        print(f"moons step (MLP(2, [16, 16, 1]), 100 points), median of {args.repeats} steps")
        for run in range(1, args.runs + 1):
            # Each mode on its own, so that a paused step's garbage is not
            # collected in the next step of the other mode.
            res = interleaved_ms(
                {
                    "baseline": lambda: moons_step_value(old, X, Y, lr),
                    "this tree": lambda: moons_step_value(new, X, Y, lr),
                },
                args.repeats,
            )
            res |= interleaved_ms(
                {
                    "baseline in gc_paused()": paused(lambda: moons_step_value(old, X, Y, lr)),
                    "this tree in gc_paused()": paused(lambda: moons_step_value(new, X, Y, lr)),
                },
                args.repeats,
            )
            if args.runs > 1:
                print(f" run {run} of {args.runs}")
            for name, ms in res.items():
                print(f"  {name:26s} {ms:8.2f} ms")
            ratios.append((
                res["this tree"] / res["baseline"],
                res["this tree in gc_paused()"] / res["baseline in gc_paused()"],
            ))  # fmt: skip
            print(f"  this tree / baseline: {ratios[-1][0]:.3f} (gc_paused: {ratios[-1][1]:.3f})")
    if args.runs > 1:
        print(f"this tree / baseline over {args.runs} runs, sorted")
        modes = (("as run", [r for r, _ in ratios]), ("gc_paused()", [p for _, p in ratios]))
        for mode, values in modes:
            listed = ", ".join(f"{v:.3f}" for v in sorted(values))
            print(f"  {mode + ':':12s} {listed}; median {median(values):.3f}")


if __name__ == "__main__":
    main()
