"""What an all-or-nothing optimizer step costs: this tree's ``SGD``/``Adam`` step against
another commit's, interleaved in one run, and the step's share of a digits iteration.

Run: ``.venv/bin/python benchmarks/optim_step.py --baseline REV`` (a git revision whose
``autograd`` updates parameters in place, e.g. the commit before the change).

Both optimizers step the same 85,002 Values (the size of a big digits network) with the
same gradients; steps alternate between the two engines (A B, B A, ...), so a machine
whose speed drifts slows both alike. Then one digits training iteration (MLP 64-32-10,
a batch of 32, forward + backward + Adam step) is timed with this tree, to show what
share of it the step is. Prints medians in ms and the ratios.
"""

from __future__ import annotations

import argparse
import importlib
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import interleaved_ms
from compare import import_baseline

from autograd import gc_paused
from autograd.nn import MLP, Adam, cross_entropy
from autograd.optim import SGD

N = 85_002


def _params(engine: object, seed: int) -> list:
    rng = random.Random(seed)
    ps = [engine.Value(rng.uniform(-1, 1)) for _ in range(N)]  # type: ignore[attr-defined]
    for p in ps:
        p.grad = rng.uniform(-1, 1)
    return ps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="git revision to compare with")
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as where:
        import_baseline(args.baseline, Path(where))  # imports it as autograd_baseline
        base = importlib.import_module("autograd_baseline")
        base_optim = importlib.import_module("autograd_baseline.optim")
        this = sys.modules["autograd"]
        for name, kwargs in (("Adam", {"lr": 1e-3}), ("SGD", {"lr": 1e-3, "momentum": 0.9})):
            mine = {"Adam": Adam, "SGD": SGD}[name](_params(this, 1), **kwargs)
            theirs = getattr(base_optim, name)(_params(base, 1), **kwargs)
            ms = interleaved_ms(
                {"baseline": theirs.step, "this tree": mine.step}, repeats=args.repeats
            )
            print(
                f"{name} step, {N:,} parameters: baseline {ms['baseline']:.1f} ms, "
                f"this tree {ms['this tree']:.1f} ms, ratio {ms['this tree'] / ms['baseline']:.2f}"
            )
    rng = random.Random(0)
    model = MLP(64, [32, 10], seed=0)
    opt = Adam(model.parameters(), lr=0.01)
    batch = [[rng.random() for _ in range(64)] for _ in range(32)]
    labels = [rng.randrange(10) for _ in range(32)]

    def iteration() -> None:
        with gc_paused():
            loss = cross_entropy([model(x) for x in batch], labels)
            opt.zero_grad()
            loss.backward()
            opt.step()

    def step_only() -> None:
        opt.step()

    ms = interleaved_ms({"iteration": iteration, "step": step_only}, repeats=args.repeats)
    print(
        f"digits iteration (MLP 64-32-10, batch 32, {len(opt.params):,} parameters): "
        f"{ms['iteration']:.1f} ms, of which the Adam step {ms['step']:.2f} ms "
        f"({100 * ms['step'] / ms['iteration']:.1f}%)"
    )


if __name__ == "__main__":
    main()
