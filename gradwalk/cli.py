"""The ``gradwalk`` command line: render expressions, train on digits, check the worked examples.

``gradwalk`` (or ``python -m gradwalk``) has five subcommands:

* ``render``: parse an expression safely (see :mod:`gradwalk.expr`), run
  backward, print the value and gradients, and draw the graph (SVG, PNG,
  PDF, DOT) or write the backward player (HTML) (:mod:`gradwalk.render`);
* ``code``: print an expression's forward and backward pass as the Python code
  that ``autograd.trace`` writes (:mod:`gradwalk.code`);
* ``train digits``: train an MLP on scikit-learn's 8x8 digits (:mod:`gradwalk.train`);
* ``examples``: reproduce worked examples 1-3 beside the lesson's numbers;
* ``demo``: the examples, their graphs and players, and a digits run, into ``out/``.

Every option is checked before any work. Bad input and a failure while
writing a file are one line on stderr (``gradwalk render: error: ...``) and
exit code 2; Ctrl-C is 130, with a line saying where it stopped and what was
written (also when it lands in a finalizer, where Python would ignore it). At
start-up, before importing the engine, :func:`main` checks that ``autograd`` and
``viz`` are this project's (not HIPS autograd, not the package index's ``viz``).
This module imports only the standard library at import time.
"""

from __future__ import annotations

import _thread
import argparse
import os
import sys
import threading
from collections.abc import Sequence
from typing import Any, NoReturn

from .errors import CommandError, UsageError
from .options import Formatter, finite_float, names, node_budget, precision_digits
from .text import printable

__all__ = ["build_parser", "main"]

PROG = "gradwalk"

#: The lessons' text, named in the help.
LESSONS_DOC = "docs/lessons.md"


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (raised, reported by :func:`main`)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.prog, message)


# ---------------------------------------------------------------------- parser

_TOP_EPILOG = """\
examples:
  gradwalk render "tanh(x*w + b)" x=2 w=-3 b=6.88 -o graph.svg
  gradwalk code "tanh(a*b + a**2)" a=2 b=-3
  gradwalk train digits --hidden 32 --epochs 5 --plots out/
  gradwalk examples
  gradwalk demo

Run 'gradwalk COMMAND --help' for a command's options.
"""

_RENDER_DESCRIPTION = """\
Parse EXPRESSION, give each variable its value (NAME=VALUE), run backward from
the result and print the value and every variable's gradient. With -o, also
draw the graph (.svg, .png, .pdf, .dot) or write the backward player, an HTML
page that steps through backward one node at a time (.html).

EXPRESSION may use numbers, variable names, + - * / **, unary - and +, and the
functions exp log sqrt tanh sigmoid relu abs (called by bare name, with one
argument). It is parsed with Python's ast module against that whitelist and
never executed as code. Each variable becomes Value(VALUE, label=NAME).
"""

_RENDER_EPILOG = """\
examples:
  gradwalk render "tanh(x*w + b)" x=2 w=-3 b=6.88 -o graph.svg
  gradwalk render "a*b + a**2" a=2 b=-3 -o graph.png --rankdir TB
  gradwalk render "sigmoid(x) * (1 - sigmoid(x))" x=0.5 -o player.html
  gradwalk render "x**3" x=3                   # just print: value 27, x.grad 27
  gradwalk render "x*w + b" x=2 w=-3 b=1 --wrt w,b   # only d/dw and d/db
  gradwalk render -- "-x + 2" x=1              # '--' before an expression starting with '-'
"""

_TRAIN_DESCRIPTION = """\
Train a multi-layer perceptron on a dataset: 'digits', scikit-learn's 1,797
8x8 handwritten digits (64 inputs, 10 classes, 20% held out for testing), or
'moons', micrograd's demo (100 points of two interleaving half-moons).
"""

_TRAIN_EPILOG = """\
examples:
  gradwalk train digits
  gradwalk train digits --hidden 32,16 --activation tanh --epochs 5
  gradwalk train moons --live out/moons.html
"""

_EXAMPLES_DESCRIPTION = """\
Reproduce worked examples 1-3 with the engine: a three-neuron ReLU network and
one gradient step, the classic 2-2-2 sigmoid backprop walk-through, and a deep
sigmoid network with softmax. Each number is printed beside the value the
lesson gives, with a check mark when they agree (to the lesson's decimals, or
to 1e-12 where it gives the exact value). Exit code 1 if any number differs.

The lessons' text (what each example computes, the given and exact numbers)
is docs/lessons.md in the repository.
"""

_EXAMPLES_EPILOG = """\
example:
  gradwalk examples
"""

_DEMO_DESCRIPTION = """\
The tour: reproduce worked examples 1-3 (as 'gradwalk examples'), write each
one's graph (SVG) and backward player (HTML), train the digits classifier
(as 'gradwalk train digits' with its defaults, under a minute), save its
loss/accuracy curves and confusion matrix (PNG), and list the files written.
Exit code 1 if a worked example's number differs from the lesson.
"""

_DEMO_EPILOG = """\
examples:
  gradwalk demo                  # what 'make demo' runs
  gradwalk demo --out /tmp/demo  # write somewhere else
  gradwalk demo --quick          # a one-epoch, 16-hidden-unit run (seconds; for tests)
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``gradwalk`` argument parser, with its subcommands (imports the engine)."""
    from autograd import __version__

    from .code import CODE_DESCRIPTION, CODE_EPILOG, cmd_code
    from .demo import cmd_demo, cmd_examples
    from .render import DEFAULT_MAX_NODES, cmd_render

    parser = _Parser(
        prog=PROG,
        description="gradwalk: a scalar autograd engine for learning backprop.",
        epilog=_TOP_EPILOG,
        formatter_class=Formatter,
    )
    parser.add_argument("--version", action="version", version=f"gradwalk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help: str, description: str, epilog: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help,
            description=description,
            epilog=epilog,
            formatter_class=Formatter,
        )
        p.set_defaults(prog=p.prog)
        return p

    render = add(
        "render",
        "evaluate an expression, print its gradients, draw its graph",
        _RENDER_DESCRIPTION,
        _RENDER_EPILOG,
    )
    render.add_argument("expression", metavar="EXPRESSION", help='e.g. "tanh(x*w + b)"')
    render.add_argument(
        "values", nargs="*", metavar="NAME=VALUE", help="a value for each variable, e.g. x=2"
    )
    render.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the graph (.svg .png .pdf .dot) or the backward player (.html)",
    )
    render.add_argument(
        "--rankdir",
        choices=("LR", "TB", "RL", "BT"),
        default="LR",
        help="graph direction: LR puts inputs left (default), TB on top",
    )
    render.add_argument(
        "--seed-grad",
        type=finite_float,
        default=1.0,
        metavar="G",
        help="gradient fed into backward at the result, d(loss)/d(result) (default 1)",
    )
    render.add_argument(
        "--precision",
        type=precision_digits,
        default=4,
        metavar="N",
        help="decimals shown in the drawing, 0-17 (default 4); stdout is always exact",
    )
    render.add_argument(
        "--max-nodes",
        type=node_budget,
        default=DEFAULT_MAX_NODES,
        metavar="N",
        help=f"an expression of more than N values is drawn with parts of it as boxes, "
        f"down to N where its parts allow (default {DEFAULT_MAX_NODES}; 0 draws every value); "
        "graphs only, not the player",
    )
    render.add_argument(
        "--wrt",
        type=names,
        default=None,
        metavar="NAMES",
        help="the variables to differentiate with respect to, comma-separated "
        "(default: every variable); only their gradients are printed",
    )
    render.set_defaults(func=cmd_render)

    code = add(
        "code",
        "print an expression's forward and backward pass as Python code",
        CODE_DESCRIPTION,
        CODE_EPILOG,
    )
    code.add_argument("expression", metavar="EXPRESSION", help='e.g. "tanh(a*b + a**2)"')
    code.add_argument(
        "values", nargs="*", metavar="NAME=VALUE", help="a value for each variable, e.g. a=2"
    )
    code.set_defaults(func=cmd_code)

    train = add(
        "train", "train an MLP on a dataset (digits, moons)", _TRAIN_DESCRIPTION, _TRAIN_EPILOG
    )
    datasets = train.add_subparsers(dest="dataset", metavar="DATASET", required=True)
    from . import moons  # each dataset's subcommand owns its parser
    from . import train as digits

    digits.add_parser(datasets)
    moons.add_parser(datasets)

    examples = add(
        "examples",
        "reproduce worked examples 1-3 beside the lesson's numbers",
        _EXAMPLES_DESCRIPTION,
        _EXAMPLES_EPILOG,
    )
    examples.set_defaults(func=cmd_examples)

    demo = add(
        "demo",
        "worked examples, their graphs and players, and a digits run, into out/",
        _DEMO_DESCRIPTION,
        _DEMO_EPILOG,
    )
    demo.add_argument("--out", default="out", metavar="DIR", help="output directory (out)")
    demo.add_argument(
        "--quick", action="store_true", help="train 1 epoch with 16 hidden units (for tests)"
    )
    demo.add_argument("--no-progress", action="store_true", help="no progress bar")
    demo.set_defaults(func=cmd_demo)
    return parser


def _silence_stdout() -> None:
    """Point a broken stdout (closed pipe, full disk) at devnull so the exit flush is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    finally:
        os.close(devnull)


class _StdoutError(Exception):
    """Standard output could not be written (full disk, I/O error)."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(exc.strerror or str(exc))
        self.reason = exc.strerror or str(exc)


class _GuardedStream:
    """``sys.stdout`` as the commands see it: a failed write or flush raises
    :class:`_StdoutError`, told apart from a failed write to a file."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _StdoutError(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _StdoutError(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _check_engine() -> None:
    """A one-line error (exit 2) if ``autograd`` or ``viz`` is another package of that name."""
    from .engine_check import clash

    problem = clash()
    if problem is not None:
        raise CommandError(printable(problem))


def _run(argv: Sequence[str] | None, state: dict[str, str]) -> int:
    _check_engine()
    from .expr import ExpressionError

    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    state["prog"] = args.prog
    if args.command == "render":  # NAME=VALUE pairs after an option: argparse leaves them
        args.values += [e for e in extra if not e.startswith("-")]
        extra = [e for e in extra if e.startswith("-")]
    if extra:
        shown = " ".join(printable(e[:60]) for e in extra)
        raise UsageError(args.prog, f"unrecognized arguments: {shown}")
    try:
        return int(args.func(args))
    except ExpressionError as exc:
        raise CommandError(str(exc), 2, args.prog) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``gradwalk`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    state = {"prog": PROG}
    real_stdout = sys.stdout
    sys.stdout = _GuardedStream(real_stdout)  # type: ignore[assignment]
    unraisable = sys.unraisablehook
    redeliver = sys.unraisablehook = _RedeliverInterrupts(unraisable)
    try:
        code = _run(argv, state)
        sys.stdout.flush()
        return code
    except UsageError as exc:
        _error(f"{exc.prog}: error: {printable(exc.message)} (see '{exc.prog} --help')")
        return 2
    except CommandError as exc:
        _error(f"{exc.prog or state['prog']}: error: {printable(exc.message)}")
        return exc.code
    except _StdoutError as exc:
        _silence_stdout()
        _error(f"{state['prog']}: error: cannot write to standard output: {exc.reason}")
        return 2
    except KeyboardInterrupt as exc:
        notes = "; ".join(getattr(exc, "__notes__", ()))
        _error(f"\n{state['prog']}: interrupted" + (f": {printable(notes)}" if notes else ""))
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 1
    finally:
        sys.unraisablehook = unraisable
        redeliver.cancel()
        if isinstance(sys.stdout, _GuardedStream):
            sys.stdout = real_stdout


class _RedeliverInterrupts:
    """An ``unraisablehook`` that hands a Ctrl-C back to the command.

    Python cannot raise out of a finalizer or a weak reference's callback, so a
    ``KeyboardInterrupt`` that lands in one is "ignored" (printed with a traceback)
    and the command would run on. Here it is delivered again to the main thread,
    where it stops the command like any other Ctrl-C: from another thread, a moment
    later, so that it arrives after the finalizer has returned. :meth:`cancel`
    drops one still pending when the command has ended.
    """

    def __init__(self, previous: Any) -> None:
        self.previous = previous
        self.pending: list[threading.Timer] = []

    def __call__(self, unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            later = threading.Timer(0.05, _thread.interrupt_main)
            later.daemon = True
            self.pending.append(later)
            later.start()
            return
        self.previous(unraisable)

    def cancel(self) -> None:
        for later in self.pending:
            later.cancel()


def _error(line: str) -> None:
    """Print ``line`` on stderr, ignoring a stderr that cannot be written."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
