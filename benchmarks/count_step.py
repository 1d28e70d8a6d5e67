"""The moons step's cost in counted events, this engine against another commit's.

Run: ``.venv/bin/python benchmarks/count_step.py --baseline REV`` (needs ``valgrind``).
Wall time on a shared machine drifts by several percent between runs; counts do
not. For each engine the script runs the step 2 and 6 times under
``valgrind --tool=cachegrind`` (one thread for the maths libraries, a fixed hash
seed) and prints the difference divided by 4: the instructions, data reads and
writes, and first-level data cache misses of one step, start-up excluded. The
default collector and ``gc_paused()`` are counted separately.
"""

from __future__ import annotations

import argparse
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run inside valgrind: import the engine from argv[1], load the data, run argv[2] steps.
STEPS = """
import gc, pickle, sys
sys.path.insert(0, sys.argv[1])
import autograd.nn as nn
X, Y, W = pickle.load(open(sys.argv[3], "rb"))
m = nn.MLP(2, [16, 16, 1], seed=0)
for layer, (rows, biases) in zip(m.layers, W):
    for neuron, row, b in zip(layer.neurons, rows, biases):
        for w, v in zip(neuron.w, row):
            w.data = v
        neuron.b.data = b
if sys.argv[4] == "paused":
    gc.disable()
for _ in range(int(sys.argv[2])):
    scores = [m(x) for x in X]
    losses = [(1 + -yi * si).relu() for yi, si in zip(Y, scores)]
    total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in m.parameters())
    m.zero_grad()
    total.backward()
    for p in m.parameters():
        p.data -= 0.05 * p.grad
"""

EVENTS = ("Ir", "Dr", "Dw", "D1mr", "D1mw")


def count(tree: Path, steps: int, gc_mode: str, data: Path, work: Path) -> dict[str, int]:
    """Cachegrind's totals for ``steps`` moons steps of the engine in ``tree``."""
    out = work / f"cg.{os.getpid()}.{steps}.{gc_mode}"
    script = work / "steps.py"
    script.write_text(STEPS)
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=yes", f"--cachegrind-out-file={out}",
         sys.executable, str(script), str(tree), str(steps), str(data), gc_mode],
        check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    names: list[str] = []
    totals: list[int] = []
    for line in out.read_text().splitlines():
        if line.startswith("events:"):
            names = line.split()[1:]
        elif line.startswith("summary:"):
            totals = [int(x) for x in line.split()[1:]]
    return dict(zip(names, totals))


def per_step(tree: Path, gc_mode: str, data: Path, work: Path) -> dict[str, float]:
    """One step's events: (6 steps - 2 steps) / 4."""
    a, b = count(tree, 2, gc_mode, data, work), count(tree, 6, gc_mode, data, work)
    return {e: (b[e] - a[e]) / 4 for e in EVENTS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="git revision to compare against")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("count_step.py needs valgrind (apt install valgrind)")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench import initial_weights, moons_data

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = work / "base"
        base.mkdir()
        archive = work / "baseline.tar"
        with archive.open("wb") as f:
            subprocess.run(
                ["git", "archive", args.baseline, "autograd"], cwd=ROOT, stdout=f, check=True
            )
        subprocess.run(["tar", "-xf", str(archive), "-C", str(base)], check=True)
        data = work / "data.pkl"
        X, Y = moons_data()
        data.write_bytes(pickle.dumps((X, Y, initial_weights([2, 16, 16, 1], seed=0))))
        print("moons step (MLP(2, [16, 16, 1]), 100 points), cachegrind counts per step")
        for gc_mode in ("default", "paused"):
            old = per_step(base, gc_mode, data, work)
            new = per_step(ROOT, gc_mode, data, work)
            label = "as run" if gc_mode == "default" else "gc_paused (collector off)"
            print(f"  {label}")
            for name, events in (("instructions", ("Ir",)), ("data reads+writes", ("Dr", "Dw")),
                                 ("L1 data misses", ("D1mr", "D1mw"))):  # fmt: skip
                o = sum(old[e] for e in events)
                n = sum(new[e] for e in events)
                print(f"    {name:18s} baseline {o / 1e6:8.2f} M  this tree {n / 1e6:8.2f} M"
                      f"  ratio {n / o:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
