"""``gradwalk train digits``: train an MLP on scikit-learn's 8x8 digits, from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viz._files import write_atomic

from .errors import CommandError, need
from .files import check_output_dir, check_output_file, human_size
from .options import (
    MAX_LAYER,
    Formatter,
    hidden_sizes,
    integer,
    positive_float,
    positive_int,
    unit_float,
)
from .plots import save_plots
from .text import printable

__all__ = [
    "MAX_LAYER",
    "MAX_PARAMETERS",
    "Output",
    "add_parser",
    "cmd_train_digits",
    "need",
    "train_digits",
    "write_outputs",
]

#: The most parameters a network may have in all (``MAX_LAYER``: the largest hidden layer).
MAX_PARAMETERS = 2_000_000

_DIGITS_DESCRIPTION = """\
Train an MLP (64 inputs -> hidden layers -> 10 outputs) on scikit-learn's 8x8
digits with minibatches, printing a progress bar, each epoch's training and
test loss and accuracy, and the final test accuracy. The defaults reach 96-97%
test accuracy in 10 epochs (about half a minute).
"""

_DIGITS_EPILOG = """\
examples:
  gradwalk train digits
  gradwalk train digits --hidden 32,16 --optimizer sgd --lr 0.05 --epochs 8
  gradwalk train digits --loss mse --binarize --plots out/ --save-model model.json

The model file is the MLP's state dict as JSON; load it in Python with
  model = MLP(64, [32, 10], activation="relu")   # the sizes it was trained with
  model.load_state_dict(json.load(open("model.json")))
"""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``digits`` subcommand to an argparse ``subparsers`` object; return its parser."""
    from autograd.nn import ACTIVATIONS

    from .digits import DigitsConfig

    digits = subparsers.add_parser(
        "digits",
        help="scikit-learn's 8x8 handwritten digits",
        description=_DIGITS_DESCRIPTION,
        epilog=_DIGITS_EPILOG,
        formatter_class=Formatter,
    )
    digits.set_defaults(prog=digits.prog, func=cmd_train_digits)

    d = DigitsConfig()  # the defaults are the library's
    digits.add_argument(
        "--hidden",
        type=hidden_sizes,
        default=d.hidden,
        metavar="SIZES",
        help=f"hidden layer sizes, comma-separated ({','.join(map(str, d.hidden))})",
    )
    digits.add_argument(
        "--activation",
        choices=list(ACTIVATIONS),
        default=d.activation,
        help="hidden layers' activation (%(default)s)",
    )
    digits.add_argument(
        "--loss",
        choices=("cross_entropy", "mse"),
        default=d.loss,
        help="softmax cross-entropy, or squared error of the softmax (%(default)s)",
    )
    digits.add_argument(
        "--epochs",
        type=positive_int,
        default=d.epochs,
        metavar="N",
        help="passes over the training set (%(default)s)",
    )
    digits.add_argument(
        "--lr", type=positive_float, default=d.lr, metavar="LR", help="learning rate (%(default)s)"
    )
    digits.add_argument(
        "--no-lr-decay",
        dest="lr_decay",
        action="store_false",
        default=d.lr_decay,
        help="keep the learning rate fixed (default: it falls linearly to lr/epochs)",
    )
    digits.add_argument(
        "--optimizer",
        choices=("adam", "sgd"),
        default=d.optimizer,
        help="optimizer (%(default)s)",
    )
    digits.add_argument(
        "--momentum",
        type=unit_float,
        default=None,
        metavar="M",
        help=f"momentum of sgd ({d.momentum}); refused with adam",
    )
    digits.add_argument(
        "--batch-size",
        type=positive_int,
        default=d.batch_size,
        metavar="N",
        help="minibatch size (%(default)s)",
    )
    digits.add_argument(
        "--seed",
        type=integer,
        default=d.seed,
        metavar="N",
        help="initialisation and shuffling seed (%(default)s)",
    )
    digits.add_argument(
        "--binarize", action="store_true", help="pixels 1 where grey level > 7, else 0"
    )
    digits.add_argument(
        "--save-model", metavar="FILE", help="write the trained model's state dict as JSON"
    )
    digits.add_argument(
        "--plots",
        metavar="DIR",
        help="write digits_curves.png and digits_confusion.png into DIR (created if needed)",
    )
    digits.add_argument(
        "--live",
        metavar="PATH",
        help="write a replay page of the run (loss, layer gradients, weights) to PATH (.html)",
    )
    digits.add_argument("--no-progress", action="store_true", help="no progress bar")
    return digits


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
        check_output_dir(plots, "plots directory")  # created only when the plots are written
    live_path = Path(args.live) if args.live is not None else None
    if live_path is not None:
        check_output_file(live_path, "replay page", new_directory=True)
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
    try:
        result = train_digits(cfg, progress=not args.no_progress, live=recorder or False)
    except KeyboardInterrupt as exc:
        _add_note(exc, "nothing was written")
        raise
    outputs = []
    if model_path is not None:  # the model first: the pictures are optional
        state = json.dumps(result.model.state_dict())
        sizes = [*cfg.hidden, 10]
        outputs.append(
            Output(
                "model file",
                model_path,
                lambda: [write_atomic(model_path, state)],
                f"load it with MLP(64, {sizes}, activation={cfg.activation!r})"
                ".load_state_dict(json.load(f))",
            )
        )
    if recorder is not None and live_path is not None:
        outputs.append(
            Output(
                "replay page",
                live_path,
                lambda: [recorder.save(live_path)],
                "the replay page, open it in a browser",
            )
        )
    if plots is not None:
        outputs.append(Output("plots", plots, lambda: save_plots(result, plots)))
    write_outputs(outputs)
    return 0


@dataclass
class Output:
    """One file (or set of files) a command writes after its work: what it is, where, how."""

    what: str
    path: Path
    write: Callable[[], list[Path]]
    note: str = ""


def _add_note(exc: BaseException, note: str) -> None:
    if hasattr(exc, "add_note"):
        exc.add_note(note)


def write_outputs(outputs: list[Output]) -> None:
    """Write each output in turn, then print a line for each file written.

    ``write`` raises :class:`OSError` or :class:`CommandError` when it fails. Every
    output is tried even when one before it failed. If any failed, one
    :class:`CommandError` (exit 2) names each failure and what was saved; if
    Ctrl-C stops the writing, the interrupt carries a note saying the same.
    """
    saved: list[tuple[Output, list[Path]]] = []
    failed: list[str] = []

    def summary(not_saved: list[str]) -> str:
        done = ", ".join(f"{o.what} {str(o.path)!r}" for o, _ in saved)
        text = f"saved: {done}" if saved else "nothing was saved"
        return text + (f"; not saved: {', '.join(not_saved)}" if not_saved else "")

    for i, out in enumerate(outputs):
        try:
            saved.append((out, [Path(p) for p in out.write()]))
        except OSError as exc:
            failed.append(f"cannot write {out.what} {str(out.path)!r}: {exc.strerror or exc}")
        except CommandError as exc:
            failed.append(exc.message)
        except KeyboardInterrupt as exc:
            rest = [o.what for o in outputs[i:]]
            _add_note(exc, summary(rest))
            raise
    for out, paths in saved:
        for p in paths:
            tail = f": {out.note}" if out.note else ""
            print(f"wrote {printable(str(p))} ({human_size(p)}){tail}")
    if failed:
        raise CommandError(f"{'; '.join(failed)}; {summary([])}")
