"""What watching a run costs: ``fit(..., live=...)`` against the same run unwatched.

Run: ``.venv/bin/python benchmarks/live_bench.py [--quick]``.

Cases (micrograd's moons: MLP(2, [16, 16, 1]), 100 points, full batch, max-margin
loss + L2, SGD with the decaying step; and a digits-sized run):

* ``plain``: ``fit`` with no live view;
* ``live``: the Jupyter view at its default rate (``LiveView``, budget 0.1), drawing
  every picture it would show in a notebook into a sink instead of the output
  (the IPython message itself is not timed);
* ``record``: a :class:`viz.LiveRecorder` for a replay page (every step up to 100
  snapshots, with the decision boundary on a 25x25 grid), plus writing the page.

Runs are interleaved (plain, live, record, plain, ...); times are medians and
the live ratio is the median of each live run over the plain run just before it,
so a busy machine slows both alike. The share of the live run spent drawing is
measured inside that run. The target: ``live`` at most 1.5x
``plain``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograd.nn import MLP, SGD, fit
from gradwalk.moons import load_moons, train_moons
from viz.live import LiveRecorder, LiveView


def moons_case(epochs: int) -> dict[str, Callable[[], float]]:
    data = load_moons()

    def plain() -> float:
        return train_moons(epochs=epochs, data=data).seconds

    def live() -> float:
        sink: list[bytes] = []
        view = LiveView(sink=sink.append, total_steps=epochs)
        seconds = train_moons(epochs=epochs, data=data, live=view).seconds
        live.draws = view.draws  # type: ignore[attr-defined]
        live.share = view.seconds / seconds  # type: ignore[attr-defined]
        return seconds

    def record() -> float:
        start = time.perf_counter()
        rec = LiveRecorder()
        train_moons(epochs=epochs, data=data, live=rec)
        with tempfile.TemporaryDirectory() as d:
            size = rec.save(Path(d) / "moons.html").stat().st_size
        record.size = size  # type: ignore[attr-defined]
        return time.perf_counter() - start

    return {"plain": plain, "live": live, "record": record}


def digits_like_case(epochs: int) -> dict[str, Callable[[], float]]:
    """64 inputs, 10 classes, minibatches of 32: the shape of ``train digits``."""
    rng = random.Random(0)
    X = [[rng.random() * 16 for _ in range(64)] for _ in range(320)]
    y = [rng.randrange(10) for _ in X]

    def run(live: object) -> float:
        model = MLP(64, [32, 10], seed=0)
        start = time.perf_counter()
        fit(model, X, y, optimizer=SGD(model, lr=0.01), epochs=epochs, batch_size=32, live=live)
        return time.perf_counter() - start

    def live() -> float:
        view = LiveView(sink=lambda png: None, total_steps=epochs * 10)
        seconds = run(view)
        live.draws = view.draws  # type: ignore[attr-defined]
        live.share = view.seconds / seconds  # type: ignore[attr-defined]
        return seconds

    def record() -> float:
        start = time.perf_counter()
        rec = LiveRecorder()
        run(rec)
        with tempfile.TemporaryDirectory() as d:
            record.size = rec.save(Path(d) / "digits.html").stat().st_size  # type: ignore[attr-defined]
        return time.perf_counter() - start

    return {"plain": lambda: run(False), "live": live, "record": record}


def measure(name: str, case: dict[str, Callable[[], float]], repeats: int) -> None:
    times: dict[str, list[float]] = {k: [] for k in case}
    shares: list[float] = []
    case["live"]()  # warm-up: imports matplotlib and builds the figure once
    for _ in range(repeats):
        for k, fn in case.items():
            times[k].append(fn())
            if k == "live":
                shares.append(case["live"].share)  # type: ignore[attr-defined]
    med = {k: statistics.median(v) for k, v in times.items()}
    # each live run against the plain run just before it: less exposed to a busy machine
    ratio = statistics.median(b / a for a, b in zip(times["plain"], times["live"]))
    draws = getattr(case["live"], "draws", "?")
    size = getattr(case["record"], "size", 0)
    print(f"{name}: plain {med['plain']:.2f} s (median of {repeats})")
    print(
        f"{name}: live=True view {med['live']:.2f} s, {draws} pictures, drawing "
        f"{statistics.median(shares):.0%} of its run: {ratio:.2f}x plain (target <= 1.5x)"
    )
    print(
        f"{name}: recorder + page {med['record']:.2f} s: {med['record'] / med['plain']:.2f}x "
        f"plain, page {size / 1024:.0f} KiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and steps")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    measure("moons 100 steps", moons_case(100), repeats)
    if not args.quick:
        measure("moons 300 steps", moons_case(300), repeats)
    measure(
        "digits-like 64-32-10, 10 epochs", digits_like_case(10 if not args.quick else 4), repeats
    )


if __name__ == "__main__":
    main()
