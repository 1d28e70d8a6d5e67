"""The README's example graph: ``python -m viz.examples [docs/example-graph.svg]``.

Draws ``c = tanh(a*b + a**2)`` at ``a = 2, b = -3`` after ``c.backward()``.
The output format follows the file's extension (.svg, .png, .pdf, .dot,
or .html for the backward player).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from autograd import Value

from .graph import Drawing, draw_dot
from .player import BackwardPlayer, backward_player

__all__ = ["example_expression", "example_graph", "example_player", "main"]

DEFAULT_PATH = Path("docs") / "example-graph.svg"


def example_expression() -> tuple[Value, Value, Value]:
    """``(a, b, c)`` with ``c = tanh(a*b + a**2)``, ``a = 2``, ``b = -3``; no backward yet."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = (a * b + a**2).tanh()
    c.label = "c"
    return a, b, c


def example_graph(precision: int = 4) -> Drawing:
    """The example's graph after ``c.backward()``."""
    _, _, c = example_expression()
    c.backward()
    return draw_dot(c, precision=precision)


def example_player() -> BackwardPlayer:
    """The example's forward and backward pass, step by step, as an HTML player."""
    _, _, c = example_expression()
    return backward_player(c, title="c = tanh(a*b + a**2): forward, then backward, step by step")


def main(argv: Sequence[str] | None = None) -> int:
    """Write the example graph (or player, for ``.html``) to the path given, or the default."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or (args and args[0] in ("-h", "--help")):
        print("usage: python -m viz.examples [PATH.svg|.png|.pdf|.dot|.html]", file=sys.stderr)
        return 0 if args and args[0] in ("-h", "--help") else 2
    path = Path(args[0]) if args else DEFAULT_PATH
    try:
        if path.suffix.lower() == ".html":
            page = example_player()
            path.parent.mkdir(parents=True, exist_ok=True)
            page.save(path)
        else:
            drawing = example_graph()
            path.parent.mkdir(parents=True, exist_ok=True)
            drawing.save(path)
    except (ValueError, OSError) as exc:
        print(f"python -m viz.examples: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:  # pygraphviz missing: the message names the extra to install
        print(f"python -m viz.examples: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
