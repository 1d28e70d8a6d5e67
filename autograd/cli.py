"""The ``gradwalk`` command line: render expressions, train on digits, check the worked examples.

``gradwalk`` (or ``python -m autograd``) has four subcommands:

* ``render``: parse an expression safely (see :mod:`autograd.expr`), run
  backward, print the value and gradients, and draw the graph (SVG, PNG,
  PDF, DOT) or write the backward player (HTML);
* ``train digits``: train an MLP on scikit-learn's 8x8 digits;
* ``examples``: reproduce worked examples 1-3 beside the lesson's numbers;
* ``demo``: the examples, their graphs and players, and a digits run, into ``out/``.

Bad input is one line on stderr (``gradwalk render: error: ...``) and exit
code 2; a failure while writing is exit code 1; Ctrl-C is 130.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from .engine import Value
from .expr import ExpressionError, parse, parse_assignments

__all__ = [
    "Check",
    "CommandError",
    "WorkedExample",
    "build_parser",
    "main",
    "print_examples",
    "worked_examples",
]

PROG = "gradwalk"

#: Output formats of ``render``, by file extension.
RENDER_FORMATS = {
    ".svg": "SVG graph",
    ".png": "PNG graph",
    ".pdf": "PDF graph",
    ".dot": "DOT source",
    ".gv": "DOT source",
    ".html": "backward player",
    ".htm": "backward player",
}


class CommandError(Exception):
    """A problem to report as one line on stderr, with an exit code (2: bad usage)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class _UsageError(CommandError):
    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message, 2)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (raised, reported by :func:`main`)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(self.prog, message)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)


# ----------------------------------------------------------------- small helpers


def _marks() -> tuple[str, str]:
    """The check mark and the mismatch marker, in ASCII if stdout cannot encode them."""
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✓✗".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "ok", "MISMATCH"
    return "✓", "✗ MISMATCH"


def _size(path: Path) -> str:
    n = path.stat().st_size
    return f"{n / 1024:.1f} kB" if n >= 1024 else f"{n} B"


def _check_output_file(path: Path, what: str) -> None:
    """Usage error unless ``path`` can be created: its directory exists and is writable."""
    if path.is_dir():
        raise CommandError(f"{what} {str(path)!r} is a directory; give a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise CommandError(
            f"cannot write {what} {str(path)!r}: directory {str(parent)!r} does not exist"
        )
    if not parent.is_dir():
        raise CommandError(f"cannot write {what} {str(path)!r}: {str(parent)!r} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CommandError(f"cannot write {what} {str(path)!r}: permission denied")


def _make_dir(path: Path, what: str) -> None:
    """Create directory ``path`` (and its parents); a usage error if that is impossible."""
    if path.exists() and not path.is_dir():
        raise CommandError(f"{what} {str(path)!r} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create {what} {str(path)!r}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise CommandError(f"cannot write into {what} {str(path)!r}: permission denied")


def _write_failed(path: Path, exc: OSError) -> CommandError:
    return CommandError(f"cannot write {str(path)!r}: {exc.strerror or exc}", 1)


def _need(module: str, purpose: str) -> None:
    """A runtime error (exit 1) naming the extra to install when ``module`` is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise CommandError(
            f"{purpose} needs {module}, which is not installed: pip install 'gradwalk[examples]'",
            1,
        )


# ------------------------------------------------------------ worked examples


def _fmt_number(x: float, decimals: int | None = None) -> str:
    """``x`` to ``decimals`` places, or exactly (shortest repr; whole numbers without '.0')."""
    x = x + 0.0  # -0.0 -> 0.0
    if decimals is not None:
        return f"{x:.{decimals}f}"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _within(got: float, want: float, decimals: int | None) -> bool:
    if decimals is None:
        return math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)
    return abs(got - want) <= 0.5 * 10.0**-decimals * (1 + 1e-9)


@dataclass
class Check:
    """One number the engine computed, beside the value(s) the lesson gives for it.

    ``lesson`` is the number as the lesson prints it, to ``decimals`` places
    (``None``: printed exactly, as for whole numbers): the engine's value must
    round to it. ``exact``, when the lesson also gives the exact float64
    value, must agree to 1e-12 (relative and absolute).
    """

    name: str
    got: float
    lesson: float | None = None
    decimals: int | None = None
    exact: float | None = None
    #: A heading printed before this row (a new part of the example).
    section: str = ""

    @property
    def ok(self) -> bool:
        """True if the engine's value matches every value the lesson gives."""
        if self.lesson is not None and not _within(self.got, self.lesson, self.decimals):
            return False
        return self.exact is None or _within(self.got, self.exact, None)

    def line(self) -> str:
        """The row: name, engine value, lesson value, exact value, and a mark."""
        ok_mark, bad_mark = _marks()
        lesson = "" if self.lesson is None else _fmt_number(self.lesson, self.decimals)
        exact = "" if self.exact is None else _fmt_number(self.exact)
        got = _fmt_number(self.got)
        mark = ok_mark if self.ok else bad_mark
        return f"  {self.name:<18} {got:<23} {lesson:<8} {exact:<23} {mark}"


_HEADER = f"  {'':<18} {'engine':<23} {'lesson':<8} {'exact (float64)':<23}"


def _rows(
    names: Sequence[str],
    got: Sequence[float],
    lesson: Sequence[float] | None = None,
    decimals: int | None = None,
    exact: Sequence[float] | None = None,
    section: str = "",
) -> list[Check]:
    """One :class:`Check` per element; ``section`` heads the first."""
    return [
        Check(
            name,
            g,
            None if lesson is None else lesson[i],
            decimals,
            None if exact is None else exact[i],
            section if i == 0 else "",
        )
        for i, (name, g) in enumerate(zip(names, got, strict=True))
    ]


def _matrix_names(fmt: str) -> list[str]:
    """``fmt`` filled with 1-based (row, column) of a 2x2 matrix, row by row."""
    return [fmt.format(i, j) for i in (1, 2) for j in (1, 2)]


@dataclass
class WorkedExample:
    """One worked example of ``worked-examples.md``: its checks and the graph to draw."""

    number: int
    title: str
    checks: list[Check]
    #: The Value whose graph is drawn (backward has run on it).
    root: Value
    #: What ``root`` is, for the caption.
    root_name: str
    #: The weights and biases (drawn as parameters; other leaves are inputs).
    params: list[Value]

    @property
    def ok(self) -> bool:
        """True if every check matches."""
        return all(c.ok for c in self.checks)


def _example1() -> WorkedExample:
    """§1: a three-neuron ReLU network, one gradient step by hand."""
    x1, x2 = Value(2.0, label="x1"), Value(3.0, label="x2")
    names = ("w11", "w12", "w21", "w22", "w31", "w32", "w1", "w2", "w3")
    init = (1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0)
    w = {n: Value(v, label=n) for n, v in zip(names, init)}
    z, a = [], []
    for i in (1, 2, 3):
        zi = w[f"w{i}1"] * x1 + w[f"w{i}2"] * x2
        zi.label = f"z{i}"
        ai = zi.relu()
        ai.label = f"a{i}"
        z.append(zi)
        a.append(ai)
    y = (w["w1"] * a[0] + w["w2"] * a[1] + w["w3"] * a[2]).relu()
    y.label = "y"
    loss = (y - 5.0) ** 2
    loss.label = "loss"
    loss.backward()
    w11 = w["w11"]
    checks = [
        *_rows(["z1", "z2", "z3"], [v.data for v in z], [2, 2, 0], section="forward"),
        *_rows(["a1", "a2", "a3"], [v.data for v in a], [2, 2, 0]),
        Check("y", y.data, 4),
        Check("loss", loss.data, 1),
        Check("dloss/dw11", w11.grad, -4, section="backward"),
        Check("w11 - 0.001*grad", w11.data - 0.001 * w11.grad, 1.004, 3),
        *_rows(
            ["dloss/dw31", "dloss/dw32"],
            [w["w31"].grad, w["w32"].grad],
            [0, 0],
            section="neuron 3 sits at relu's kink (z3 = 0): its gradients are 0",
        ),
    ]
    return WorkedExample(
        1,
        "A three-neuron ReLU network, one gradient step by hand",
        checks,
        loss,
        "loss",
        list(w.values()),
    )


def _example2() -> WorkedExample:
    """§2: a 2-2-2 sigmoid network, one SGD step (the classic walk-through)."""
    x = [Value(0.05, label="x1"), Value(0.10, label="x2")]
    t = (0.01, 0.99)

    def layer(k: int, W: list[list[float]], b: list[float], inp: list[Value], out: str) -> Any:
        Wv = [
            [Value(v, label=f"W{k}[{i + 1},{j + 1}]") for j, v in enumerate(r)]
            for i, r in enumerate(W)
        ]
        bv = [Value(v, label=f"b{k}[{i + 1}]") for i, v in enumerate(b)]
        outs = []
        for i, (row, bi) in enumerate(zip(Wv, bv)):
            o = (row[0] * inp[0] + row[1] * inp[1] + bi).sigmoid()
            o.label = f"{out}{i + 1}"
            outs.append(o)
        return [v for r in Wv for v in r], bv, outs

    W1, b1, h = layer(1, [[0.15, 0.20], [0.25, 0.30]], [0.35, 0.35], x, "h")
    W2, b2, o = layer(2, [[0.40, 0.45], [0.50, 0.55]], [0.60, 0.60], h, "o")
    loss = ((o[0] - t[0]) ** 2 + (o[1] - t[1]) ** 2) / 2
    loss.label = "loss"
    loss.backward()
    lr = 0.5

    def after(vs: list[Value]) -> list[float]:
        return [v.data - lr * v.grad for v in vs]

    checks = [
        *_rows(
            ["h1", "h2"],
            [v.data for v in h],
            exact=[0.5932699921071872, 0.596884378259767],
            section="forward",
        ),
        *_rows(
            ["o1", "o2"],
            [v.data for v in o],
            [0.7514, 0.7729],
            4,
            [0.7513650695523157, 0.7729284653214625],
        ),
        Check("loss", loss.data, 0.2984, 4, 0.2983711087600027),
        *_rows(
            _matrix_names("dloss/dW1[{},{}]"),
            [v.grad for v in W1],
            [0.0004, 0.0009, 0.0005, 0.0010],
            4,
            [
                0.0004385677344743465,
                0.000877135468948693,
                0.0004977127352608599,
                0.0009954254705217198,
            ],
            section="backward",
        ),
        *_rows(
            _matrix_names("dloss/dW2[{},{}]"),
            [v.grad for v in W2],
            [0.0822, 0.0827, -0.0226, -0.0227],
            4,
            [
                0.08216704056423077,
                0.08266762784753325,
                -0.02260254047747507,
                -0.022740242215978222,
            ],
        ),
        *_rows(
            ["dloss/db1[1]", "dloss/db1[2]"],
            [v.grad for v in b1],
            exact=[0.00877135468948693, 0.009954254705217196],
        ),
        *_rows(
            ["dloss/db2[1]", "dloss/db2[2]"],
            [v.grad for v in b2],
            exact=[0.13849856162855695, -0.038098236516556236],
        ),
        *_rows(
            _matrix_names("W1[{},{}]"),
            after(W1),
            [0.1498, 0.1996, 0.2498, 0.2995],
            4,
            section="after one SGD step, learning rate 0.5",
        ),
        *_rows(["b1[1]", "b1[2]"], after(b1), [0.3456, 0.3450], 4),
        *_rows(_matrix_names("W2[{},{}]"), after(W2), [0.3589, 0.4087, 0.5113, 0.5614], 4),
        *_rows(["b2[1]", "b2[2]"], after(b2), [0.5308, 0.6190], 4),
    ]
    return WorkedExample(
        2, "A 2-2-2 sigmoid network, one SGD step", checks, loss, "loss", [*W1, *b1, *W2, *b2]
    )


_EX3_LAYERS = (
    ([[1.0, -2.0], [-1.0, 1.0]], [1.0, 0.0]),
    ([[2.0, -1.0], [-2.0, -1.0]], [0.0, 0.0]),
    ([[3.0, -1.0], [-1.0, 4.0]], [-2.0, 2.0]),
)


def _deep_forward(
    inputs: tuple[float, float],
) -> tuple[list[Value], list[Value], list[Value]]:
    """§3's network: the first layer's pre-activations, every layer's outputs, the parameters."""
    acts = [Value(v, label=f"x{i + 1}") for i, v in enumerate(inputs)]
    outs: list[Value] = []
    z1: list[Value] = []
    params: list[Value] = []
    for k, (W, b) in enumerate(_EX3_LAYERS, start=1):
        nxt = []
        for i, (row, bi) in enumerate(zip(W, b)):
            w = [Value(v, label=f"W{k}[{i + 1},{j + 1}]") for j, v in enumerate(row)]
            b = Value(bi, label=f"b{k}[{i + 1}]")
            params += [*w, b]
            z = w[0] * acts[0] + w[1] * acts[1] + b
            z.label = f"z{k}[{i + 1}]"
            if k == 1:
                z1.append(z)
            a = z.sigmoid()
            a.label = f"a{k}[{i + 1}]"
            nxt.append(a)
        outs += nxt
        acts = nxt
    return z1, outs, params


def _example3() -> WorkedExample:
    """§3: a forward pass through a deep sigmoid network, then softmax."""
    from .functional import softmax

    names = [f"a{k}[{i}]" for k in (1, 2, 3) for i in (1, 2)]
    z1, outs, params = _deep_forward((1.0, -1.0))
    _, outs0, _ = _deep_forward((0.0, 0.0))
    logits = [Value(3.0, label="z1"), Value(1.0, label="z2"), Value(-3.0, label="z3")]
    probs = softmax(logits)
    root = outs[-2]
    root.backward()
    checks = [
        *_rows(
            ["z1[1]", "z1[2]"],
            [v.data for v in z1],
            [4, -2],
            section="input (1, -1), three sigmoid layers",
        ),
        *_rows(
            names,
            [v.data for v in outs],
            [0.98, 0.12, 0.86, 0.11, 0.62, 0.83],
            2,
            [
                0.9820137900379085,
                0.11920292202211755,
                0.8635183126781821,
                0.11073744383822465,
                0.6177047777553412,
                0.8291239841574399,
            ],
        ),
        *_rows(
            names,
            [v.data for v in outs0],
            [0.73, 0.50, 0.72, 0.12, 0.51, 0.85],
            2,
            section="input (0, 0), the same network",
        ),
        *_rows(
            ["e^3", "e^1", "e^-3"],
            [v.exp().data for v in logits],
            [20.09, 2.72, 0.05],
            2,
            section="softmax of z = (3, 1, -3)",
        ),
        *_rows(
            ["y1", "y2", "y3"],
            [p.data for p in probs],
            [0.88, 0.12, 0.00],
            2,
            [0.878878242732151, 0.11894323591065209, 0.0021785213571970234],
        ),
        Check("y1 + y2 + y3", sum(p.data for p in probs), 1),
    ]
    return WorkedExample(
        3,
        "A deep sigmoid network forward, then softmax",
        checks,
        root,
        "a3[1], the first output for input (1, -1)",
        params,
    )


def worked_examples() -> list[WorkedExample]:
    """Worked examples 1-3 of ``worked-examples.md``, computed with the engine."""
    return [_example1(), _example2(), _example3()]


def print_examples(examples: Sequence[WorkedExample], out: Any = None) -> bool:
    """Print every number beside the lesson's; True if all of them match."""
    out = sys.stdout if out is None else out
    ok_mark, bad_mark = _marks()
    total = sum(len(ex.checks) for ex in examples)
    bad = 0
    for ex in examples:
        print(f"Worked example {ex.number}: {ex.title}", file=out)
        print(_HEADER.rstrip(), file=out)
        for check in ex.checks:
            if check.section:
                print(f"  -- {check.section}", file=out)
            print(check.line(), file=out)
            bad += not check.ok
        print(file=out)
    if bad:
        print(f"{bad} of {total} numbers differ from the lesson {bad_mark}", file=out)
    else:
        print(
            f"All {total} numbers match the lesson {ok_mark} (lesson: to its printed "
            "decimals; exact: to 1e-12)",
            file=out,
        )
    return bad == 0


# ---------------------------------------------------------------------- render


def _viz() -> Any:
    """The :mod:`viz` package; a runtime error (exit 1) if it cannot be imported."""
    try:
        import viz
    except ImportError as exc:
        raise CommandError(f"drawing needs viz and pygraphviz: {exc}", 1) from None
    return viz


def _note_warnings(caught: list[warnings.WarningMessage], prog: str) -> None:
    for w in caught:
        print(f"{prog}: note: {w.message}", file=sys.stderr)


def _drawing(
    root: Value,
    kind: str,
    *,
    rankdir: str = "LR",
    precision: int = 4,
    title: str = "Backward pass",
    seed_grad: float = 1.0,
    params: Sequence[Value] | None = None,
    prog: str = PROG,
) -> Any:
    """What to save for ``root``: its graph (backward must have run) or, for the
    ``"backward player"`` kind, a player that runs ``root.backward(seed_grad)`` itself.
    """
    viz = _viz()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if kind == "backward player":
                thing = viz.backward_player(
                    root,
                    seed_grad,
                    title=title,
                    rankdir=rankdir,
                    precision=precision,
                    params=params,
                )
            else:
                thing = viz.draw_dot(
                    root, rankdir=rankdir, precision=precision, params=params, show_grad=True
                )
        except ImportError as exc:  # pygraphviz missing: viz's message says what to install
            raise CommandError(str(exc), 1) from None
        except ValueError as exc:  # e.g. too many steps for a player
            raise CommandError(str(exc), 1) from None
    _note_warnings(caught, prog)
    return thing


def _save(thing: Any, path: Path) -> None:
    try:
        thing.save(path)
    except OSError as exc:
        raise _write_failed(path, exc) from None


def _cmd_render(args: argparse.Namespace) -> int:
    expression = parse(args.expression)
    values = parse_assignments(args.values)
    path: Path | None = None
    kind = ""
    if args.output is not None:
        path = Path(args.output)
        if path.suffix.lower() not in RENDER_FORMATS:
            shown = path.suffix or "(none)"
            raise CommandError(
                f"unknown output extension {shown!r} in {args.output!r}; use "
                + ", ".join(dict.fromkeys(RENDER_FORMATS))
            )
        kind = RENDER_FORMATS[path.suffix.lower()]
        _check_output_file(path, "output")
        _viz()
    out, leaves = expression.evaluate(values)
    if args.wrt is not None:
        unknown = [n for n in args.wrt if n not in leaves]
        if unknown:
            raise CommandError(
                f"--wrt names {', '.join(map(repr, unknown))}, not a variable of the expression "
                f"(its variables: {', '.join(leaves) or 'none'})"
            )
    if out.label == "":
        out.label = "out"
    thing = None
    if kind == "backward player":  # the player runs backward, step by step
        title = f"{expression.source}: backward, step by step"
        thing = _drawing(
            out,
            kind,
            rankdir=args.rankdir,
            precision=args.precision,
            title=title,
            seed_grad=args.seed_grad,
            prog=args.prog,
        )
    else:
        out.backward(args.seed_grad)
    print(f"{expression.source} = {out.data!r}")
    for name, leaf in leaves.items():
        if args.wrt is None or name in args.wrt:
            print(f"  {name}.grad = {leaf.grad!r}")
    if path is not None:
        if thing is None:
            thing = _drawing(
                out, kind, rankdir=args.rankdir, precision=args.precision, prog=args.prog
            )
        _save(thing, path)
        print(f"wrote {path} ({kind}, {_size(path)})")
    return 0


# ----------------------------------------------------------------------- train


def _names(text: str) -> tuple[str, ...]:
    """``x,w`` -> ``("x", "w")``: variable names for ``--wrt``."""
    names = tuple(p.strip() for p in text.split(","))
    bad = [n for n in names if not n.isidentifier()]
    if bad:
        raise argparse.ArgumentTypeError(f"not a variable name: {bad[0]!r}")
    return names


def _hidden_sizes(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",")]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        sizes = ()
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive layer sizes such as 32,16, got {text!r}"
        )
    return sizes


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return n


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _positive_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        x = math.nan
    if not (x > 0 and math.isfinite(x)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return x


def _unit_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        x = math.nan
    if not 0.0 <= x < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return x


def _finite_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        x = math.nan
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return x


def _say(line: str) -> None:
    """Print a line without breaking a tqdm bar that may be on screen."""
    try:
        from tqdm import tqdm
    except ImportError:
        print(line, flush=True)
    else:
        tqdm.write(line, file=sys.stdout)
        sys.stdout.flush()


def _epoch_line(epoch: int, epochs: int, history: Any) -> str:
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


def _train_digits(cfg: Any, progress: bool) -> Any:
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
        callback=lambda epoch, history: _say(_epoch_line(epoch, cfg.epochs, history)),
    )
    correct = sum(result.confusion[i][i] for i in range(len(result.confusion)))
    total = sum(map(sum, result.confusion))
    print(
        f"test accuracy {100 * result.test_accuracy:.2f}% ({correct}/{total}) "
        f"in {result.seconds:.1f} s, {result.n_parameters} parameters",
        flush=True,
    )
    return result


def _agg_figure(**kwargs: Any) -> Any:
    """A matplotlib Figure drawn by the Agg backend (no display, no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _plot_curves(history: Any, path: Path, title: str) -> None:
    fig = _agg_figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = list(range(1, len(history.loss) + 1))
    ax_loss.plot(epochs, history.loss, "o-", label="train")
    ax_acc.plot(epochs, [100 * a for a in history.accuracy], "o-", label="train")
    if history.val_loss:
        ax_loss.plot(epochs, history.val_loss, "s-", label="test")
        ax_acc.plot(epochs, [100 * a for a in history.val_accuracy], "s-", label="test")
    from matplotlib.ticker import MaxNLocator

    ax_loss.set(xlabel="epoch", ylabel="loss", title="Loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
    fig.suptitle(title)
    fig.savefig(path, dpi=100)


def _plot_confusion(confusion: list[list[int]], path: Path, title: str) -> None:
    fig = _agg_figure(figsize=(6, 5.4), layout="constrained")
    ax = fig.subplots()
    n = len(confusion)
    image = ax.imshow(confusion, cmap="Blues")
    peak = max(max(row) for row in confusion) or 1
    for i in range(n):
        for j in range(n):
            count = confusion[i][j]
            if count:
                color = "white" if count > peak / 2 else "black"
                ax.text(j, i, str(count), ha="center", va="center", color=color, fontsize=9)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set(xlabel="predicted digit", ylabel="true digit", title=title)
    fig.colorbar(image, ax=ax, shrink=0.8)
    fig.savefig(path, dpi=100)


def _save_plots(result: Any, directory: Path, prefix: str = "digits") -> list[Path]:
    """The loss/accuracy curves and the confusion matrix as PNG files in ``directory``."""
    curves = directory / f"{prefix}_curves.png"
    confusion = directory / f"{prefix}_confusion.png"
    acc = f"test accuracy {100 * result.test_accuracy:.2f}%"
    arch = "-".join(str(s) for s in (64, *result.config.hidden, 10))
    try:
        _plot_curves(result.history, curves, f"Digits MLP {arch}, {result.config.loss}: {acc}")
        _plot_confusion(result.confusion, confusion, f"Confusion matrix ({acc})")
    except OSError as exc:
        raise _write_failed(Path(exc.filename or directory), exc) from None
    return [curves, confusion]


def _cmd_train_digits(args: argparse.Namespace) -> int:
    from .digits import DigitsConfig

    _need("sklearn", "the digits data")
    if args.plots is not None:
        _need("matplotlib", "--plots")
    model_path = Path(args.save_model) if args.save_model is not None else None
    if model_path is not None:
        _check_output_file(model_path, "model file")
    plots = Path(args.plots) if args.plots is not None else None
    if plots is not None:
        _make_dir(plots, "plots directory")
    try:
        cfg = DigitsConfig(
            hidden=args.hidden,
            activation=args.activation,
            loss=args.loss,
            optimizer=args.optimizer,
            lr=args.lr,
            momentum=args.momentum,
            lr_decay=args.lr_decay,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=args.seed,
            binarize=args.binarize,
        )
    except (TypeError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    result = _train_digits(cfg, progress=not args.no_progress)
    if model_path is not None:
        try:
            model_path.write_text(json.dumps(result.model.state_dict()), encoding="utf-8")
        except OSError as exc:
            raise _write_failed(model_path, exc) from None
        sizes = [*cfg.hidden, 10]
        print(
            f"wrote {model_path} ({_size(model_path)}): load it with "
            f"MLP(64, {sizes}, activation={cfg.activation!r}).load_state_dict(json.load(f))"
        )
    if plots is not None:
        for p in _save_plots(result, plots):
            print(f"wrote {p} ({_size(p)})")
    return 0


# ------------------------------------------------------------------ examples


def _cmd_examples(args: argparse.Namespace) -> int:
    return 0 if print_examples(worked_examples()) else 1


# ---------------------------------------------------------------------- demo


def _cmd_demo(args: argparse.Namespace) -> int:
    from .digits import DigitsConfig

    start = time.perf_counter()
    _need("sklearn", "the demo's digits data")
    _need("matplotlib", "the demo's plots")
    _need("pygraphviz", "the demo's graphs")
    out = Path(args.out)
    _make_dir(out, "output directory")
    written: list[Path] = []

    print("== Worked examples 1-3 (worked-examples.md): engine beside lesson ==\n")
    examples = worked_examples()
    all_ok = print_examples(examples)

    print("\n== Graphs and backward players ==")
    for ex in examples:
        svg = out / f"example{ex.number}_graph.svg"
        html = out / f"example{ex.number}_backward.html"
        _save(_drawing(ex.root, "SVG graph", params=ex.params, prog=args.prog), svg)
        title = f"Worked example {ex.number}: backward from {ex.root_name}"
        player = _drawing(ex.root, "backward player", title=title, params=ex.params, prog=args.prog)
        _save(player, html)
        print(f"example {ex.number} ({ex.root_name}): {svg}, {html}")
        written += [svg, html]

    print("\n== Digits classifier (scikit-learn's 8x8 digits) ==")
    cfg = DigitsConfig(epochs=1, hidden=(16,)) if args.quick else DigitsConfig()
    result = _train_digits(cfg, progress=not args.no_progress)
    written += _save_plots(result, out)

    print(f"\n== Wrote {len(written)} files ==")
    for p in written:
        print(f"  {p}  ({_size(p)})")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0 if all_ok else 1


# ---------------------------------------------------------------------- parser

_TOP_EPILOG = """\
examples:
  gradwalk render "tanh(x*w + b)" x=2 w=-3 b=6.88 -o graph.svg
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
Train a multi-layer perceptron on a dataset. The only dataset is 'digits':
scikit-learn's 1,797 8x8 handwritten digits (64 inputs, 10 classes), 20% held
out for testing.
"""

_TRAIN_EPILOG = """\
examples:
  gradwalk train digits
  gradwalk train digits --hidden 32,16 --activation tanh --epochs 5
"""

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

_EXAMPLES_DESCRIPTION = """\
Reproduce worked examples 1-3 of worked-examples.md with the engine: a
three-neuron ReLU network and one gradient step, the classic 2-2-2 sigmoid
backprop walk-through, and a deep sigmoid network with softmax. Each number is
printed beside the value the lesson gives, with a check mark when they agree
(to the lesson's decimals, or to 1e-12 where it gives the exact value).
Exit code 1 if any number differs.
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
    """The ``gradwalk`` argument parser, with its four subcommands."""
    from . import __version__

    parser = _Parser(
        prog=PROG,
        description="gradwalk: a scalar autograd engine for learning backprop.",
        epilog=_TOP_EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"gradwalk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help: str, description: str, epilog: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=help,
            description=description,
            epilog=epilog,
            formatter_class=_Formatter,
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
        type=_finite_float,
        default=1.0,
        metavar="G",
        help="gradient fed into backward at the result, d(loss)/d(result) (default 1)",
    )
    render.add_argument(
        "--precision",
        type=_positive_int,
        default=4,
        metavar="N",
        help="decimals shown in the drawing (default 4); stdout is always exact",
    )
    render.add_argument(
        "--wrt",
        type=_names,
        default=None,
        metavar="NAMES",
        help="the variables to differentiate with respect to, comma-separated "
        "(default: every variable); only their gradients are printed",
    )
    render.set_defaults(func=_cmd_render)

    train = add("train", "train an MLP on a dataset (digits)", _TRAIN_DESCRIPTION, _TRAIN_EPILOG)
    datasets = train.add_subparsers(dest="dataset", metavar="DATASET", required=True)
    digits = datasets.add_parser(
        "digits",
        help="scikit-learn's 8x8 handwritten digits",
        description=_DIGITS_DESCRIPTION,
        epilog=_DIGITS_EPILOG,
        formatter_class=_Formatter,
    )
    digits.set_defaults(prog=digits.prog, func=_cmd_train_digits)
    from .digits import DigitsConfig
    from .nn import ACTIVATIONS

    d = DigitsConfig()  # the defaults are the library's
    digits.add_argument(
        "--hidden",
        type=_hidden_sizes,
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
        type=_positive_int,
        default=d.epochs,
        metavar="N",
        help="passes over the training set (%(default)s)",
    )
    digits.add_argument(
        "--lr", type=_positive_float, default=d.lr, metavar="LR", help="learning rate (%(default)s)"
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
        type=_unit_float,
        default=d.momentum,
        metavar="M",
        help="momentum of sgd (%(default)s)",
    )
    digits.add_argument(
        "--batch-size",
        type=_positive_int,
        default=d.batch_size,
        metavar="N",
        help="minibatch size (%(default)s)",
    )
    digits.add_argument(
        "--seed",
        type=_int,
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
    digits.add_argument("--no-progress", action="store_true", help="no progress bar")

    examples = add(
        "examples",
        "reproduce worked examples 1-3 beside the lesson's numbers",
        _EXAMPLES_DESCRIPTION,
        _EXAMPLES_EPILOG,
    )
    examples.set_defaults(func=_cmd_examples)

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
    demo.set_defaults(func=_cmd_demo)
    return parser


def _silence_stdout() -> None:
    """Point a broken stdout (a closed pipe) at devnull so the exit flush does not fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``gradwalk`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    prog = PROG
    try:
        args, extra = parser.parse_known_args(argv)
        prog = args.prog
        if args.command == "render":  # NAME=VALUE pairs after an option: argparse leaves them
            args.values += [e for e in extra if not e.startswith("-")]
            extra = [e for e in extra if e.startswith("-")]
        if extra:
            raise _UsageError(prog, f"unrecognized arguments: {' '.join(extra)}")
        return int(args.func(args))
    except _UsageError as exc:
        print(f"{exc.prog}: error: {exc.message} (see '{exc.prog} --help')", file=sys.stderr)
        return 2
    except (CommandError, ExpressionError) as exc:
        code = exc.code if isinstance(exc, CommandError) else 2
        message = exc.message if isinstance(exc, CommandError) else str(exc)
        print(f"{prog}: error: {message}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 1
