"""``gradwalk train digits``: train an MLP on scikit-learn's 8x8 digits, from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .errors import CommandError, need
from .files import check_output_file, human_size, make_dir, write_text
from .plots import save_plots
from .text import printable

__all__ = ["MAX_LAYER", "MAX_PARAMETERS", "cmd_train_digits", "need", "train_digits"]

#: The largest hidden layer ``--hidden`` accepts, and the most parameters in all.
MAX_LAYER = 10_000
MAX_PARAMETERS = 2_000_000


def say(line: str) -> None:
    """Print a line without breaking a tqdm bar that may be on screen."""
    try:
        from tqdm import tqdm
    except ImportError:
        print(line, flush=True)
    else:
        tqdm.write(line, file=sys.stdout)
        sys.stdout.flush()


def epoch_line(epoch: int, epochs: int, history: Any) -> str:
    """One epoch's figures: training loss and accuracy, test ones, seconds."""
    i = epoch
    line = (
        f"epoch {i + 1:>{len(str(epochs))}}/{epochs}  loss {history.loss[i]:.4f}  "
        f"acc {100 * history.accuracy[i]:6.2f}%"
    )
    if history.val_loss:
        line += (
            f"  test loss {history.val_loss[i]:.4f}  test acc {100 * history.val_accuracy[i]:6.2f}%"
        )
    if history.seconds:
        line += f"  ({history.seconds[i]:.1f} s)"
    return line


def train_digits(cfg: Any, progress: bool, live: Any = False) -> Any:
    """Train on the digits with ``cfg``; print a line per epoch and the test accuracy."""
    from . import digits

    X, y = digits.load(cfg.binarize)
    n_test = len(digits.split(X, y, cfg.test_fraction, cfg.split_seed)[3])
    arch = "-".join(str(s) for s in (digits.N_PIXELS, *cfg.hidden, digits.N_CLASSES))
    extra = " decaying linearly" if cfg.lr_decay else ""
    if cfg.optimizer == "sgd":
        extra += f", momentum {cfg.momentum}"
    print(
        f"digits: MLP {arch} ({cfg.activation}), loss {cfg.loss}, {cfg.optimizer} lr {cfg.lr}"
        f"{extra}, {cfg.epochs} epochs, batch {cfg.batch_size}, seed {cfg.seed}"
        f"{', binarized' if cfg.binarize else ''}; {len(X) - n_test} train / {n_test} test images",
        flush=True,
    )
    result = digits.train(
        cfg,
        progress=progress,
        data=(X, y),
        callback=lambda epoch, history: say(epoch_line(epoch, cfg.epochs, history)),
        live=live,
    )
    correct = sum(result.confusion[i][i] for i in range(len(result.confusion)))
    total = sum(map(sum, result.confusion))
    print(
        f"test accuracy {100 * result.test_accuracy:.2f}% ({correct}/{total}) "
        f"in {result.seconds:.1f} s, {result.n_parameters} parameters",
        flush=True,
    )
    return result


def check_size(hidden: tuple[int, ...]) -> None:
    """A usage error unless the network of ``hidden`` layers is within the bounds."""
    from .digits import parameter_count

    n = parameter_count(hidden)
    if n > MAX_PARAMETERS:
        raise CommandError(
            f"--hidden {','.join(map(str, hidden))} makes {n:,} parameters, more than the "
            f"{MAX_PARAMETERS:,} this pure-Python engine trains in reasonable time and memory"
        )


def cmd_train_digits(args: argparse.Namespace) -> int:
    """Run ``gradwalk train digits`` with parsed ``args``; every option is checked first."""
    from .digits import DigitsConfig

    check_size(args.hidden)
    if args.momentum is not None and args.optimizer != "sgd":
        raise CommandError(
            "--momentum applies to --optimizer sgd only (Adam has its own moment estimates); "
            "drop it or add --optimizer sgd"
        )
    need("sklearn", "the digits data")
    if args.plots is not None:
        need("matplotlib", "--plots")
    model_path = Path(args.save_model) if args.save_model is not None else None
    if model_path is not None:
        check_output_file(model_path, "model file")
    plots = Path(args.plots) if args.plots is not None else None
    if plots is not None:
        make_dir(plots, "plots directory")
    live_path = Path(args.live) if args.live is not None else None
    if live_path is not None:
        check_output_file(live_path, "replay page")
    momentum = {} if args.momentum is None else {"momentum": args.momentum}
    try:
        cfg = DigitsConfig(
            hidden=args.hidden,
            activation=args.activation,
            loss=args.loss,
            optimizer=args.optimizer,
            lr=args.lr,
            lr_decay=args.lr_decay,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=args.seed,
            binarize=args.binarize,
            **momentum,
        )
    except (TypeError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    recorder = None
    if live_path is not None:
        from viz.live import LiveRecorder

        arch = "-".join(str(s) for s in (64, *cfg.hidden, 10))
        recorder = LiveRecorder(title=f"Digits: MLP {arch}, {cfg.loss}, {cfg.optimizer}")
    result = train_digits(cfg, progress=not args.no_progress, live=recorder or False)
    if recorder is not None and live_path is not None:
        recorder.save(live_path)
        print(f"wrote {printable(str(live_path))} ({human_size(live_path)}): open it in a browser")
    if model_path is not None:
        write_text(model_path, json.dumps(result.model.state_dict()))
        sizes = [*cfg.hidden, 10]
        print(
            f"wrote {printable(str(model_path))} ({human_size(model_path)}): load it with "
            f"MLP(64, {sizes}, activation={cfg.activation!r}).load_state_dict(json.load(f))"
        )
    if plots is not None:
        for p in save_plots(result, plots):
            print(f"wrote {printable(str(p))} ({human_size(p)})")
    return 0
