"""``gradwalk render``: evaluate an expression, print its gradients, draw its graph."""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograd import Value

from .errors import CommandError, need
from .expr import parse, parse_assignments
from .files import atomic_write, check_output_file, human_size
from .text import printable

__all__ = ["DEFAULT_MAX_NODES", "RENDER_FORMATS", "cmd_render", "drawing", "save"]

PROG = "gradwalk"

#: ``--max-nodes``'s default: a bigger expression has parts of it drawn as boxes to come
#: within it, where its parts allow (``viz.draw_dot``'s ``max_nodes``).
DEFAULT_MAX_NODES = 300

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


def load_viz() -> Any:
    """The :mod:`viz` package; a runtime error (exit 1) if it cannot be imported."""
    try:
        import viz
    except ImportError as exc:
        raise CommandError(f"drawing needs viz and pygraphviz: {exc}", 1) from None
    return viz


def _note_warnings(caught: list[warnings.WarningMessage], prog: str) -> None:
    import sys

    for w in caught:
        # model= and collapse= are for Python code; here the ways out are options and formats
        text = str(w.message).replace(
            "Pass model= to draw it collapsed.",
            "A .html player steps through it one node at a time.",
        )
        text = text.replace(
            "Pass collapse=None (or 'none') to draw every node.",
            "Pass --max-nodes N to draw more or fewer (0: every value).",
        )
        print(f"{prog}: note: {printable(text)}", file=sys.stderr)


def drawing(
    root: Value,
    kind: str,
    *,
    rankdir: str = "LR",
    precision: int = 4,
    title: str = "Backward pass",
    seed_grad: float = 1.0,
    params: Sequence[Value] | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    prog: str = PROG,
) -> Any:
    """What to save for ``root``: its graph (backward must have run) or, for the
    ``"backward player"`` kind, a player that runs ``root.backward(seed_grad)`` itself.

    A graph of more than ``max_nodes`` values is drawn with parts collapsed (0: in full).
    """
    viz = load_viz()
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
                limit: dict[str, Any] = (
                    {"max_nodes": max_nodes} if max_nodes else {"collapse": None}
                )
                thing = viz.draw_dot(
                    root,
                    rankdir=rankdir,
                    precision=precision,
                    params=params,
                    show_grad=True,
                    **limit,
                )
        except ImportError as exc:  # pygraphviz missing: viz's message says what to install
            raise CommandError(str(exc), 1) from None
        except ValueError as exc:  # e.g. too many steps for a player
            raise CommandError(str(exc), 1) from None
    _note_warnings(caught, prog)
    return thing


def save(thing: Any, path: Path) -> None:
    """``thing.save`` into a temporary file beside ``path``, renamed over it when complete.

    A drawing too big for its format (a PNG whose text could not be read) is one line, exit 2.
    """
    try:
        atomic_write(path, thing.save)
    except ValueError as exc:
        why = str(exc).replace("or draw it collapsed", "or draw fewer values (--max-nodes 40)")
        raise CommandError(f"cannot write {printable(str(path))}: {why}") from None


def cmd_render(args: argparse.Namespace) -> int:
    """Run ``gradwalk render`` with parsed ``args``; return the exit code."""
    expression = parse(args.expression)
    values = parse_assignments(args.values)
    path: Path | None = None
    kind = ""
    if args.output is not None:
        path = Path(args.output)
        if path.suffix.lower() not in RENDER_FORMATS:
            shown = path.suffix or "(none)"
            raise CommandError(
                f"unknown output extension {printable(shown)!r} in {printable(args.output)!r}; "
                "use " + ", ".join(dict.fromkeys(RENDER_FORMATS))
            )
        kind = RENDER_FORMATS[path.suffix.lower()]
        check_output_file(path, "output")
        if kind != "DOT source":  # laid out and drawn by pygraphviz
            need("pygraphviz", f"drawing the {kind} ({path.suffix.lower()})", "viz")
        load_viz()
    out, leaves = expression.evaluate(values)
    if args.wrt is not None:
        unknown = [n for n in args.wrt if n not in leaves]
        if unknown:
            raise CommandError(
                f"--wrt names {', '.join(repr(printable(n)) for n in unknown)}, not a variable "
                f"of the expression (its variables: {', '.join(leaves) or 'none'})"
            )
    if out.label == "":
        out.label = "out"
    thing = None
    if kind == "backward player":  # the player runs backward, step by step
        title = f"{expression.source}: backward, step by step"
        thing = drawing(
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
    print(f"{printable(expression.source)} = {out.data!r}")
    for name, leaf in leaves.items():
        if args.wrt is None or name in args.wrt:
            print(f"  {name}.grad = {leaf.grad!r}")
    if path is not None:
        if thing is None:
            thing = drawing(
                out,
                kind,
                rankdir=args.rankdir,
                precision=args.precision,
                max_nodes=args.max_nodes,
                prog=args.prog,
            )
        save(thing, path)
        print(f"wrote {printable(str(path))} ({kind}, {human_size(path)})")
    return 0
