"""``gradwalk train moons``: micrograd's demo on this engine.

Two interleaving half-moons (scikit-learn's ``make_moons``, 100 points, noise
0.1, a fixed seed), labels ±1, a ``MLP(2, [16, 16, 1])`` (ReLU hidden layers,
linear output), the max-margin loss ``mean(relu(1 - y·score))`` plus the L2
term ``1e-4 · Σ p²``, and full-batch SGD whose learning rate falls as
``lr · (1 - 0.9·k/epochs)`` at step ``k`` (micrograd's ``1.0 - 0.9·k/100``
with the defaults). One epoch is one step, as in micrograd's notebook.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd.nn import MLP, SGD, History, accuracy, fit

from .errors import need
from .files import check_output_file
from .options import Formatter, integer, positive_float
from .train import Output, write_outputs

__all__ = ["MoonsResult", "add_parser", "load_moons", "run", "train_moons"]

#: The data's seed (micrograd seeds numpy with 1337 before make_moons).
DATA_SEED = 1337


def load_moons(
    n_samples: int = 100, noise: float = 0.1, seed: int = DATA_SEED
) -> tuple[list[list[float]], list[int]]:
    """scikit-learn's two moons as plain lists: ``X`` (pairs of floats) and labels ±1."""
    try:
        from sklearn.datasets import make_moons
    except ImportError as e:  # pragma: no cover - scikit-learn is in the examples extra
        raise ImportError(
            "the moons data needs scikit-learn: pip install 'gradwalk[examples]'"
        ) from e
    X, y = make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    return X.tolist(), [1 if t else -1 for t in y.tolist()]


@dataclass
class MoonsResult:
    """A finished moons run: the model, its per-step history and its final train accuracy."""

    model: MLP
    history: History
    train_accuracy: float
    seconds: float


def train_moons(
    *,
    epochs: int = 100,
    lr: float = 1.0,
    lr_decay: bool = True,
    alpha: float = 1e-4,
    seed: int = DATA_SEED,
    data: tuple[list[list[float]], list[int]] | None = None,
    live: Any = False,
    callback: Any = None,
) -> MoonsResult:
    """Train micrograd's moons classifier; ``live`` is passed to :func:`autograd.nn.fit`."""
    X, y = data if data is not None else load_moons()
    model = MLP(2, [16, 16, 1], seed=seed)
    params = model.parameters()
    opt = SGD(params, lr=lr)

    def step_done(epoch: int, history: History) -> None:
        if lr_decay:  # micrograd: learning_rate = 1.0 - 0.9 * k / 100, for the next step
            opt.lr = lr * (1.0 - 0.9 * (epoch + 1) / epochs)
        if callback is not None:
            callback(epoch, history)

    start = time.perf_counter()
    history = fit(
        model,
        X,
        y,
        loss="hinge",  # mean(relu(1 - y * score)), plus the L2 term below: micrograd's loss
        l2=alpha,
        optimizer=opt,
        epochs=epochs,
        batch_size=len(X),
        seed=seed,
        callback=step_done,
        live=live,
    )
    seconds = time.perf_counter() - start
    return MoonsResult(model, history, accuracy(model, X, y), seconds)


# ------------------------------------------------------------------ command line


def _steps(text: str) -> int:
    """``--epochs``: an integer from 1 to 1,000,000."""
    n = integer(text)
    if not 1 <= n <= 1_000_000:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to 1000000, got {n}")
    return n


_DESCRIPTION = """\
micrograd's demo: an MLP 2-16-16-1 (ReLU) learns to separate scikit-learn's two
moons (100 points, noise 0.1) with the max-margin loss mean(relu(1 - y*score))
plus 1e-4 * sum(p*p), by full-batch SGD with the learning rate falling from LR
to LR/10 (lr * (1 - 0.9*k/epochs) at step k). Prints the loss every tenth of
the run and the final training accuracy; --live writes a replay page of the
run (loss, decision boundary, network coloured by gradient, layer gradients)."""

_EPILOG = """\
examples:
  gradwalk train moons
  gradwalk train moons --epochs 20 --live out/moons.html"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``moons`` subcommand to an argparse ``subparsers`` object; return its parser."""
    p = subparsers.add_parser(
        "moons",
        help="micrograd's two-moons demo (MLP 2-16-16-1, max-margin loss)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=Formatter,
    )
    p.add_argument(
        "--epochs",
        type=_steps,
        default=100,
        metavar="N",
        help="steps (one full-batch step per epoch) (%(default)s)",
    )
    p.add_argument(
        "--lr", type=positive_float, default=1.0, metavar="LR", help="learning rate (%(default)s)"
    )
    p.add_argument(
        "--no-lr-decay",
        dest="lr_decay",
        action="store_false",
        help="keep the learning rate fixed (default: it falls linearly to lr/10)",
    )
    p.add_argument(
        "--seed",
        type=integer,
        default=DATA_SEED,
        metavar="N",
        help="initialisation seed (%(default)s)",
    )
    p.add_argument(
        "--live",
        metavar="PATH",
        help="write a replay page of the run (self-contained HTML) to PATH",
    )
    p.add_argument("--quiet", action="store_true", help="print only the final accuracy")
    p.set_defaults(func=run, prog=p.prog)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``gradwalk train moons`` with parsed ``args``; return the exit status."""
    need("sklearn", "the moons data")
    every = max(1, args.epochs // 10)

    def report(epoch: int, history: History) -> None:
        if not args.quiet and (epoch % every == 0 or epoch == args.epochs - 1):
            print(
                f"step {epoch + 1:4d}/{args.epochs}  loss {history.loss[-1]:.4f}  "
                f"accuracy {history.accuracy[-1]:.0%}"
            )

    live_path = Path(args.live) if args.live else None
    recorder = None
    if live_path is not None:
        check_output_file(live_path, "replay page", new_directory=True)
        from viz.live import LiveRecorder

        recorder = LiveRecorder(title="Two moons: MLP 2-16-16-1, max-margin loss, SGD")
    try:
        result = train_moons(
            epochs=args.epochs,
            lr=args.lr,
            lr_decay=args.lr_decay,
            seed=args.seed,
            live=recorder if recorder is not None else False,
            callback=report,
        )
    except KeyboardInterrupt as exc:
        if hasattr(exc, "add_note"):
            exc.add_note("nothing was written")
        raise
    print(
        f"moons: train accuracy {result.train_accuracy:.0%} after {args.epochs} steps "
        f"({result.seconds:.1f} s)"
    )
    if recorder is not None and live_path is not None:
        write_outputs(
            [
                Output(
                    "replay page",
                    live_path,
                    lambda: [recorder.save(live_path)],
                    "the replay page, open it in a browser",
                )
            ]
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m gradwalk.moons``: the subcommand on its own."""
    parser = argparse.ArgumentParser(prog="gradwalk train")
    add_parser(parser.add_subparsers(dest="dataset", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
