"""Speed and memory of the engine against micrograd, torch and plain floats, in one run.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench.py [--quick]``).

Every implementation does the same computation from the same initial
weights, and the script checks that they agree on the loss before timing.
Figures are medians over repeated steps; ratios compare implementations
measured in this same run, so a busy machine slows all of them alike.

Cases:
* moons: micrograd's demo step: MLP(2, [16, 16, 1]) on 100 make_moons points,
  max-margin loss + 1e-4 L2, forward + backward + SGD update.
* mlp64: one sample through MLP(64, [32, 10]), forward + backward of the sum
  of the outputs.
* memory: bytes per graph node (tracemalloc) for elementary chains.
* chain: time to build and backprop a 100k- and a 1M-node chain.
* digits: wall time and test accuracy of the default digits classifier.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

from autograd import Value, gc_paused
from autograd.nn import MLP

ALPHA = 1e-4  # L2 weight of micrograd's demo


# ------------------------------------------------------------------ shared set-up


def initial_weights(sizes: list[int], seed: int) -> list[tuple[list[list[float]], list[float]]]:
    """Per layer: weight rows and biases, drawn once and copied into every implementation."""
    rng = random.Random(seed)
    layers = []
    for nin, nout in itertools.pairwise(sizes):
        rows = [[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)]
        layers.append((rows, [rng.uniform(-0.1, 0.1) for _ in range(nout)]))
    return layers


def load_into(model: object, weights: list) -> None:
    """Copy ``weights`` into a micrograd-style model (``layers[i].neurons[j].w/.b``)."""
    for layer, (rows, biases) in zip(model.layers, weights):  # type: ignore[attr-defined]
        for neuron, row, b in zip(layer.neurons, rows, biases):
            for w, v in zip(neuron.w, row):
                w.data = v
            neuron.b.data = b


def moons_data() -> tuple[list[list[float]], list[float]]:
    """micrograd's demo data: 100 make_moons points, labels -1/+1."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    return [[float(a), float(b)] for a, b in X], [float(2 * v - 1) for v in y]


def interleaved_ms(steps: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time in ms of each step, timed in turn so that a machine whose speed
    drifts during the run slows every step alike. The order is reversed every other
    round (A B C, C B A, ...): a step can leave the collector's counts or the memory
    allocator in a state that speeds up or slows down the step after it, and this way
    every step follows every other equally often."""
    for step in steps.values():
        step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    forward = list(steps.items())
    for r in range(repeats):
        for name, step in forward if r % 2 == 0 else forward[::-1]:
            t = time.perf_counter()
            step()
            times[name].append((time.perf_counter() - t) * 1000)
    return {name: statistics.median(v) for name, v in times.items()}


def paused(step: Callable[[], object]) -> Callable[[], object]:
    """``step`` run inside ``gc_paused()``, as ``fit`` runs each training step."""

    def run() -> object:
        with gc_paused():
            return step()

    return run


def median_ms(step: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``step()`` in milliseconds."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


# ------------------------------------------------------------- moons: one SGD step


def moons_step_value(model: object, X: list, Y: list, lr: float) -> float:
    """micrograd's demo step, written as its demo writes it (works for both engines)."""
    scores = [model(x) for x in X]  # type: ignore[operator]
    losses = [(1 + -yi * si).relu() for yi, si in zip(Y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())  # type: ignore[attr-defined]
    total = data_loss + reg_loss
    model.zero_grad()  # type: ignore[attr-defined]
    total.backward()
    for p in model.parameters():  # type: ignore[attr-defined]
        p.data -= lr * p.grad
    return total.data


def moons_step_floats(layers: list, X: list, Y: list, lr: float) -> float:
    """The same step hand-written with plain floats and lists: the floor for scalar Python."""
    n = len(X)
    last = len(layers) - 1
    grads = [([[0.0] * len(r) for r in rows], [0.0] * len(bs)) for rows, bs in layers]
    data_loss = 0.0
    for x, y in zip(X, Y):
        acts = [x]
        pres = []
        for li, (rows, bs) in enumerate(layers):
            a = acts[-1]
            z = [sum(w * ai for w, ai in zip(row, a)) + b for row, b in zip(rows, bs)]
            pres.append(z)
            acts.append(z if li == last else [v if v > 0.0 else 0.0 for v in z])
        margin = 1.0 - y * acts[-1][0]
        if margin > 0.0:
            data_loss += margin
            delta = [-y / n]
        else:
            delta = [0.0]
        for li in range(last, -1, -1):
            rows, _ = layers[li]
            if li != last:
                delta = [d if z > 0.0 else 0.0 for d, z in zip(delta, pres[li])]
            a = acts[li]
            grows, gbs = grads[li]
            for k, d in enumerate(delta):
                grow = grows[k]
                for j, aj in enumerate(a):
                    grow[j] += d * aj
                gbs[k] += d
            if li:
                delta = [
                    sum(rows[k][j] * delta[k] for k in range(len(delta))) for j in range(len(a))
                ]
    reg = 0.0
    for (rows, bs), (grows, gbs) in zip(layers, grads):
        for row, grow in zip(rows, grows):
            for j, w in enumerate(row):
                reg += w * w
                grow[j] += 2.0 * ALPHA * w
        for k, b in enumerate(bs):
            reg += b * b
            gbs[k] += 2.0 * ALPHA * b
    for (rows, bs), (grows, gbs) in zip(layers, grads):
        for row, grow in zip(rows, grows):
            for j in range(len(row)):
                row[j] -= lr * grow[j]
        for k in range(len(bs)):
            bs[k] -= lr * gbs[k]
    return data_loss / n + ALPHA * reg


class TorchScalarMLP:
    """MLP(2,[16,16,1]) with one 0-dim float64 tensor per scalar (torch used as a scalar engine)."""

    def __init__(self, weights: list) -> None:
        import torch

        self.torch = torch
        t = lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        self.layers = [
            ([[t(w) for w in row] for row in rows], [t(b) for b in bs]) for rows, bs in weights
        ]

    def parameters(self) -> list:
        return [p for rows, bs in self.layers for p in [w for row in rows for w in row] + bs]

    def __call__(self, x: list) -> object:
        last = len(self.layers) - 1
        a = x
        for li, (rows, bs) in enumerate(self.layers):
            z = [sum((w * ai for w, ai in zip(row, a)), b) for row, b in zip(rows, bs)]
            a = z if li == last else [v.relu() for v in z]
        return a[0] if len(a) == 1 else a

    def step(self, X: list, Y: list, lr: float) -> float:
        params = self.parameters()
        scores = [self(x) for x in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(Y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in params)
        for p in params:
            p.grad = None
        total.backward()
        with self.torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return total.detach().item()


# ------------------------------------------------------------------ the cases


def bench_moons(quick: bool) -> dict[str, float]:
    import micrograd.nn as mg_nn

    X, Y = moons_data()
    weights = initial_weights([2, 16, 16, 1], seed=0)
    lr = 0.05

    ours = MLP(2, [16, 16, 1], seed=0)
    load_into(ours, weights)
    mg = mg_nn.MLP(2, [16, 16, 1])
    load_into(mg, weights)
    floats = [([list(r) for r in rows], list(bs)) for rows, bs in weights]

    # Same first step everywhere (checked before timing).
    losses = {
        "engine": moons_step_value(ours, X, Y, 0.0),
        "micrograd": moons_step_value(mg, X, Y, 0.0),
        "floats": moons_step_floats(floats, X, Y, 0.0),
    }
    check_same_loss(losses)

    reps = 7 if quick else 31
    res = interleaved_ms(
        {
            "engine": lambda: moons_step_value(ours, X, Y, lr),
            "engine in gc_paused()": paused(lambda: moons_step_value(ours, X, Y, lr)),
            "floats": lambda: moons_step_floats(floats, X, Y, lr),
        },
        reps,
    )
    res["micrograd"] = median_ms(lambda: moons_step_value(mg, X, Y, lr), 2 if quick else 4)
    gc.disable()
    try:
        res["micrograd, GC off"] = median_ms(
            lambda: moons_step_value(mg, X, Y, lr), 3 if quick else 8
        )
    finally:
        gc.enable()
        gc.collect()
    return res


def check_same_loss(losses: dict[str, float]) -> None:
    """Stop unless every implementation computed the float floor's loss."""
    ref = losses["floats"]
    for name, loss in losses.items():
        if abs(loss - ref) > 1e-9 * max(1.0, abs(ref)):
            raise SystemExit(f"moons: {name} computes loss {loss!r}, floats compute {ref!r}")
    print(f"  {', '.join(losses)} compute the same loss at step 0: {ref:.12f}")


def bench_moons_torch(quick: bool) -> float:
    """The moons step in torch with one tensor per scalar (run last: importing torch
    grows the heap, which would slow the collector for everything measured after)."""
    X, Y = moons_data()
    weights = initial_weights([2, 16, 16, 1], seed=0)
    tmodel = TorchScalarMLP(weights)
    floats = [([list(r) for r in rows], list(bs)) for rows, bs in weights]
    check_same_loss(
        {"floats": moons_step_floats(floats, X, Y, 0.0), "torch": tmodel.step(X, Y, 0.0)}
    )
    return median_ms(lambda: tmodel.step(X, Y, 0.05), 2 if quick else 3)


def bench_mlp64(quick: bool) -> dict[str, float]:
    import micrograd.nn as mg_nn

    weights = initial_weights([64, 32, 10], seed=1)
    x = [random.Random(2).uniform(0, 1) for _ in range(64)]
    ours = MLP(64, [32, 10], seed=0)
    load_into(ours, weights)
    mg = mg_nn.MLP(64, [32, 10])
    load_into(mg, weights)

    def run(model: object) -> float:
        out = sum(model(x))  # type: ignore[operator]
        model.zero_grad()  # type: ignore[attr-defined]
        out.backward()
        return out.data

    if abs(run(ours) - run(mg)) > 1e-9:
        raise SystemExit("mlp64: engine and micrograd disagree")
    reps = 20 if quick else 100
    res = {
        "engine": median_ms(lambda: run(ours), reps),
        "micrograd": median_ms(lambda: run(mg), reps // 4),
    }
    gc.disable()
    try:
        res["micrograd, GC off"] = median_ms(lambda: run(mg), reps // 2)
    finally:
        gc.enable()
    return res


def chain(n: int) -> Value:
    """An elementary chain of ``n`` steps, three nodes each: ``x = tanh(x * w + 0.5)``."""
    x = Value(1.0)
    w = Value(0.999)
    for _ in range(n):
        x = (x * w + 0.5).tanh()
    return x


def bench_memory() -> dict[str, float]:
    out = {}
    cases = {
        "x * w (two Values)": lambda x, w: x * w,
        "x * 1.0001 (a constant)": lambda x, w: x * 1.0001,
        "tanh(x)": lambda x, w: x.tanh(),
    }
    n = 100_000
    for name, op in cases.items():
        gc.collect()
        tracemalloc.start()
        x = Value(1.0)
        w = Value(0.999)
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(n):
            x = op(x, w)
        built = tracemalloc.get_traced_memory()[0]
        x.backward()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        out[name] = ((built - before) / n, (after - before) / n)
        del x
    return out


def bench_chain(quick: bool) -> dict[str, dict[int, float]]:
    sizes = (100_000, 1_000_000)
    res: dict[str, dict[int, float]] = {}
    for mode in ("default GC", "gc_paused()"):
        times: dict[int, list[float]] = {n: [] for n in sizes}
        for _ in range(1 if quick else 2):
            for n in sizes:
                gc.collect()
                t = time.perf_counter()
                if mode == "gc_paused()":
                    with gc_paused():
                        root = chain(n // 3)
                else:
                    root = chain(n // 3)
                root.backward()
                times[n].append(time.perf_counter() - t)
                del root
        res[mode] = {n: min(v) for n, v in times.items()}
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; every figure is from this run.\n")

    print("memory: bytes per graph node (tracemalloc), 100k-node chains (target <= 250)")
    for name, (built, after) in bench_memory().items():
        print(f"  {name:28s} {built:7.1f} B/node built, {after:7.1f} B/node after backward")

    print("\nchain x = tanh(x*w + 0.5): build + backward (target: 1M / 100k <= 12)")
    for mode, t in bench_chain(args.quick).items():
        print(
            f"  {mode:12s} 100k nodes {t[100_000]:6.2f} s, 1M nodes {t[1_000_000]:6.2f} s, "
            f"ratio {t[1_000_000] / t[100_000]:5.1f}"
        )

    print("\nMLP(64,[32,10]), one sample, forward+backward")
    mlp = bench_mlp64(args.quick)
    for name, ms in mlp.items():
        print(f"  {name:28s} {ms:9.3f} ms   {ms / mlp['engine']:6.1f}x the engine's time")

    print("\ndigits: train the default classifier (gradwalk.digits, target under 30 s)")
    from gradwalk import digits

    result = digits.train()
    print(
        f"  {result.config.epochs} epochs, {result.n_parameters} parameters: "
        f"test accuracy {100 * result.test_accuracy:.2f}% in {result.seconds:.1f} s"
    )

    print("\nmoons step: MLP(2,[16,16,1]), 100 points, max-margin + L2, forward+backward+update")
    moons = bench_moons(args.quick)
    moons["torch, a tensor per scalar"] = bench_moons_torch(args.quick)
    floor = moons["floats"]
    for name, ms in moons.items():
        print(f"  {name:28s} {ms:9.2f} ms   {ms / floor:6.2f}x the float floor")
    e = moons["engine"]
    ep = moons["engine in gc_paused()"]
    mg, mg_off = moons["micrograd"], moons["micrograd, GC off"]
    print(
        f"  engine as run: {mg / e:.1f}x faster than micrograd as run (target >= 60), "
        f"{mg_off / e:.1f}x faster than micrograd with GC off (target >= 8), "
        f"{e / floor:.2f}x the float floor (target <= 2)\n"
        f"  engine in gc_paused(): {mg / ep:.1f}x micrograd as run, "
        f"{mg_off / ep:.1f}x micrograd with GC off (same collector setting), "
        f"{ep / floor:.2f}x the float floor"
    )


if __name__ == "__main__":
    main()
