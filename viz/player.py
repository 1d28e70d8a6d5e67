"""Watching the forward and backward pass happen: one layout, a table of steps, a page.

The graph is laid out once (one SVG); every step is a change of state over
it, described by a small table of steps in the page that the page's script
applies (texts, classes, highlights, a label on each edge that passes a
gradient):

* forward steps, one per computed node in topological order: the node's
  value appears as it is computed (``c = tanh(-2.0000) = -0.9640``);
* backward steps, one per computed node in the order backward visits them:
  the node passes its gradient to each input, and each highlighted edge
  carries the chain-rule product, e.g.
  ``∂c/∂a += ∂c/∂n3 · ∂n3/∂a = 0.0707 × (2·a = 4.0000) = 0.2826``, the
  derivative formula coming from the engine's op table (:attr:`autograd.Edge.formula`).

Stepping runs backward for real, from zero: the leaves' gradients are reset
first (so a graph you already ran backward on is not counted twice), and
afterwards every ``.grad`` is what one ``root.backward()`` on fresh leaves
leaves.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from autograd import Value, backward_steps

from ._core import (
    _CELL_PAD,
    _MONO_ADVANCE,
    _MONO_SIZE,
    MAX_FRAMES,
    VizWarning,
    _check_positive,
    _Options,
    _structure_and_view,
    dot_text,
    format_number,
    render,
    shown_png,
    write_atomic,
)
from ._render import READABLE_SCALE, SHOWN_PX, png_dpi, svg_size
from ._structure import _Structure

__all__ = ["BackwardPlayer", "EdgeStep", "Frame", "backward_frames", "backward_player"]

#: Graphs of up to this many values get room for the products on their edges in the layout
#: (edge labels cost Graphviz time); bigger ones get the label drawn over the edge.
EDGE_LABEL_LIMIT = 300


@dataclass
class EdgeStep:
    """What one edge of a backward step carries: ``parent`` receives ``contribution``.

    ``parent`` is the value's index in topological order; ``local`` is
    d(node)/d(parent), ``formula`` the same in symbols with the graph's names;
    ``total`` the parent's gradient after this step, ``complete`` whether every
    contribution to it has arrived; ``edge`` the SVG id of the drawn edge (or None);
    ``question`` the equation with its result left off (what a quiz asks).
    """

    parent: int
    operand: str
    local: float
    formula: str
    contribution: float
    total: float
    complete: bool
    equation: str
    edge: str | None = None
    question: str = ""


@dataclass
class Frame:
    """One step of the timeline: a node computed (``phase="forward"``) or passing its gradient.

    ``step`` counts from 1 to ``total`` within its phase; ``node`` is the Value;
    ``index`` its place in topological order; ``caption`` says what happened;
    ``grad`` is the gradient it passes on (backward steps); ``edges`` the
    chain-rule products it sends; ``details`` the same as text lines.
    """

    step: int
    total: int
    phase: str
    node: Value
    index: int
    caption: str
    value: float
    grad: float | None = None
    edges: list[EdgeStep] = field(default_factory=list)

    @property
    def details(self) -> list[str]:
        """One equation per edge (backward), or the computation (forward)."""
        if self.phase == "forward":
            return [self.caption]
        return [e.equation for e in self.edges]

    def _repr_markdown_(self) -> str:
        lines = [f"**{self.phase} step {self.step}/{self.total}:** {self.caption}", ""]
        lines += [f"- `{line}`" for line in self.details if self.phase == "backward"]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Frame {self.phase} {self.step}/{self.total}: {self.caption}>"


# One name (``n7``, ``w0.1.2``, ``x_1``, ``W1[1,2]``), or an unsigned number (``1.0e-05``).
_ONE_TERM = re.compile(r"[\w.']+(?:\[[\w., ]*\])*\Z|\d[\d.]*e[+-]\d+\Z")


def _term(text: str) -> str:
    """``text`` as an operand inside a larger expression: bracketed unless it is one name or an
    unsigned number, so ``(-1.0000) ** 2`` and ``∂o/∂(x1*w1 + x2*w2)`` read as meant."""
    return text if _ONE_TERM.match(text) else f"({text})"


def _operand_texts(structure: _Structure, i: int, precision: int) -> tuple[list[str], list[str]]:
    """The inputs of node ``i`` by name (constants as numbers) and by value."""
    names, values = [], []
    for x in structure.order[i].inputs:
        if type(x) is Value:
            names.append(structure.display[structure.index[id(x)]])
            values.append(format_number(x.data, precision))
        else:
            text = f"{x:.{max(precision, 1)}g}"
            names.append(text)
            values.append(text)
    return names, values


def _apply_op(op: str, xs: list[str]) -> str:
    if len(xs) == 2 and not op.isalnum():
        # a leading minus reads right except as a power's base: -6.0000 + 4.0000, (-1.0000) ** 2
        first = xs[0] if op != "**" and _is_number(xs[0]) else _term(xs[0])
        return f"{first} {op} {_term(xs[1])}"
    if len(xs) == 1 and not op.isalnum() and len(op) == 1:
        return f"{op}{_term(xs[0])}"
    return f"{op}({', '.join(xs)})"


def _forward_text(structure: _Structure, i: int, precision: int) -> str:
    """``c = tanh(n4) = tanh(-2.0000) = -0.9640``: the op on its inputs' names, values, result."""
    v = structure.order[i]
    out = format_number(v.data, precision)
    name = structure.display[i]
    parts = v.dense_parts
    if parts is not None:
        return f"{name} = {v.op} over {len(parts[1])} inputs = {out}"
    names, values = _operand_texts(structure, i, precision)
    symbolic, numeric = _apply_op(v.op, names), _apply_op(v.op, values)
    if symbolic == numeric:
        return f"{name} = {numeric} = {out}"
    return f"{name} = {symbolic} = {numeric} = {out}"


def _is_number(text: str) -> bool:
    try:
        float(text.replace("−", "-"))
    except ValueError:
        return False
    return True


def _record(
    structure: _Structure, grad: float, precision: int, edge_ids: dict[tuple[int, int], str]
) -> tuple[list[Frame], list[Frame]]:
    """Run backward step by step from zeroed leaf grads; the forward and backward frames."""
    order = structure.order
    index = structure.index
    names = structure.display
    fmt = lambda x: format_number(x, precision)
    computed = [i for i, v in enumerate(order) if not v.is_leaf]
    total = len(computed)
    forward = []
    for step, i in enumerate(computed, 1):
        caption = _forward_text(structure, i, precision)
        forward.append(Frame(step, total, "forward", order[i], i, caption, order[i].data))

    for v in order:  # replay one backward pass from zero
        if v.is_leaf:
            v.grad = 0.0
    root_name = _term(names[-1])
    pending = [len(set(c)) for c in structure.children]  # consumers not yet processed
    running = [0.0] * len(order)
    backward = []
    for step, node in enumerate(backward_steps(structure.root, grad), 1):
        i = index[id(node)]
        g = node.grad
        edges = node.edges
        subst = {e.operand: _term(names[index[id(e.parent)]]) for e in edges}
        subst["out"] = _term(names[i])
        parts = node.dense_parts
        if parts is not None:  # a fused neuron's constant inputs appear as numbers
            for k, x in enumerate(parts[1], 1):
                if type(x) is not Value:
                    subst.setdefault(f"x{k}", _term(f"{x:.{max(precision, 1)}g}"))
        remaining: dict[int, int] = {}
        for e in edges:
            j = index[id(e.parent)]
            remaining[j] = remaining.get(j, 0) + 1
        for j in remaining:
            pending[j] -= 1
        sent = []
        for e in edges:
            j = index[id(e.parent)]
            contribution = e.contribution(g)
            remaining[j] -= 1
            running[j] = e.parent.grad if remaining[j] == 0 else running[j] + contribution
            formula = e.formula(**subst)
            local = fmt(e.local)
            factor = _term(local) if _is_number(formula) else f"({formula} = {local})"
            node_name, parent_name = _term(names[i]), _term(names[j])
            question = (
                f"∂{root_name}/∂{parent_name} += ∂{root_name}/∂{node_name} · "
                f"∂{node_name}/∂{parent_name} = {fmt(g)} × {factor}"
            )
            equation = f"{question} = {fmt(contribution)}"
            complete = pending[j] == 0 and remaining[j] == 0
            sent.append(
                EdgeStep(
                    j,
                    e.operand,
                    e.local,
                    formula,
                    contribution,
                    running[j],
                    complete,
                    equation,
                    edge_ids.get((i, j)),
                    question,
                )
            )
        caption = f"{names[i]} passes ∂{root_name}/∂{_term(names[i])} = {fmt(g)} to its inputs"
        backward.append(Frame(step, total, "backward", node, i, caption, node.data, g, sent))
    return forward, backward


def backward_frames(
    root: Value,
    grad: float = 1.0,
    *,
    rankdir: str = "LR",
    precision: int = 4,
    model: object = None,
    params: Iterable[Value] | None = None,
    color_by: str | None = "role",
    collapse: str | None = "auto",
    max_nodes: int = 300,
    max_frames: int = MAX_FRAMES,
    legend: bool = True,
) -> list[Frame]:
    """Run ``root.backward(grad)`` one node at a time, from zeroed leaf gradients; one
    :class:`Frame` per backward step (root first), with the chain-rule products it sends.

    A frame carries no drawing of its own: :func:`backward_player` draws the
    graph once and steps through these frames (and the forward pass) over it.
    Raises ValueError, before touching any gradient, if there would be more
    than ``max_frames`` steps.
    """
    options = _Options.of(
        "backward_frames",
        rankdir=rankdir,
        precision=precision,
        model=model,
        params=params,
        color_by=color_by,
        collapse=collapse,
        max_nodes=max_nodes,
        max_frames=max_frames,
        legend=legend,
    )
    structure, view, _ = _setup(root, grad, "backward_frames", options)
    return _record(structure, float(grad), view.precision, {})[1]


def _setup(
    root: object, grad: object, who: str, options: _Options
) -> tuple[_Structure, Any, str | None]:
    """The structure and view for a pass from ``root``; checks ``grad`` and the step count."""
    structure, view, warning = _structure_and_view(root, who, options)
    max_frames = options.max_frames
    if isinstance(grad, bool) or not isinstance(grad, (int, float)):
        raise TypeError(f"grad must be a real number, not {type(grad).__name__}")
    total = sum(1 for v in structure.order if not v.is_leaf)
    if total > max_frames:
        raise ValueError(
            f"{who}: the graph has {total} steps (non-leaf nodes), more than "
            f"max_frames={max_frames}; pass a larger max_frames, or draw a smaller graph"
        )
    if warning is not None:
        warnings.warn(f"{who}: {warning}", VizWarning, stacklevel=3)
    return structure, view, warning


def _product(grad: str, edge: dict[str, Any]) -> str:
    """What an edge carries, as its label shows it: ``0.0707 × 4.0000 = 0.2826``."""
    return f"{grad} × {_term(edge['local'])} = {edge['contribution']}"


def _cell_width(texts: Iterable[str]) -> int:
    """Points wide enough for the longest text in the monospace font, with padding and border."""
    longest = max((len(t) for t in texts), default=0)
    return math.ceil(longest * _MONO_ADVANCE * _MONO_SIZE) + 2 * _CELL_PAD + 2


def _inline_svg(svg: str) -> str:
    """An SVG document as an element to put inside HTML (no XML prolog or doctype)."""
    start = svg.find("<svg")
    return svg[start:].strip() if start >= 0 else svg


def _asset(name: str) -> str:
    return resources.files("viz").joinpath(name).read_text(encoding="utf-8")


class BackwardPlayer:
    """A self-contained HTML page stepping through the forward, then the backward pass.

    Made by :func:`backward_player`. One SVG of the graph and a JSON table of
    steps (``steps``); the page's script applies a step to the SVG.
    ``frames`` are the backward steps as :class:`Frame` objects. With
    ``quiz=True`` the page asks, before each backward step, for every gradient
    the step passes on, checks the answer and keeps a score. Shows
    inline in Jupyter (HTML, with a PNG of the final state for saved,
    untrusted notebooks); :meth:`html` gives the page and :meth:`save` writes it.
    """

    def __init__(
        self,
        svg: str,
        table: dict[str, Any],
        *,
        final_dot: str = "",
        narrow_dot: str = "",
        frames: Iterable[Frame] = (),
        title: str = "Forward and backward pass",
        interval_ms: int = 1200,
        quiz: bool = False,
    ) -> None:
        if not isinstance(quiz, bool):
            raise TypeError(f"quiz must be True or False, not {type(quiz).__name__}")
        if not isinstance(title, str):
            raise TypeError(f"title must be a str, not {type(title).__name__}")
        if not isinstance(svg, str) or not isinstance(table, dict):
            raise TypeError("BackwardPlayer needs the SVG text and the step table")
        self.svg = svg
        self.table = table
        self.final_dot = final_dot
        self.narrow_dot = narrow_dot  # the same state top to bottom, if final_dot is too wide
        self.frames: list[Frame] = list(frames)
        self.title = title
        self.interval_ms = _check_positive(interval_ms, "interval_ms")
        self.quiz = quiz
        self._png: bytes | None = None

    @property
    def steps(self) -> list[dict[str, Any]]:
        """The step table: forward steps, then backward steps (see :class:`Frame`)."""
        return self.table["steps"]  # type: ignore[no-any-return]

    def fragment(self) -> str:
        """The player as an HTML fragment (style, markup, data and script), for embedding."""
        n = len(self.steps)
        data = json.dumps(self.table, ensure_ascii=False, separators=(",", ":"))
        data = data.replace("</", "<\\/")
        quiz = ' data-quiz="1"' if self.quiz and n else ""
        title = html.escape(self.title)
        parts = [
            f"<style>{_asset('player.css')}</style>",
            f'<div class="gw-player" tabindex="0" data-interval="{self.interval_ms}" '
            f'data-step="{1 if n else 0}" data-total="{n}"{quiz}>',
            # one line; the whole title on hover
            f'<div class="gw-title" title="{title}">{title}</div>',
        ]
        if not n:
            parts.append('<p class="gw-caption">Nothing to step through: the root is a leaf.</p>')
            parts.append(f'<div class="gw-view">{_inline_svg(self.svg)}</div></div>')
            return "\n".join(parts)
        parts += [
            '<div class="gw-controls">',
            '<button type="button" class="gw-prev" title="previous step (←)">◀ prev</button>',
            '<button type="button" class="gw-play" title="play / pause (space)">▶ play</button>',
            '<button type="button" class="gw-next" title="next step (→)">next ▶</button>',
            f'<input type="range" class="gw-slider" min="0" max="{n - 1}" value="0" step="1" '
            'aria-label="step">',
            '<span class="gw-phase" data-phase="forward">forward</span>',
            f'<span class="gw-counter">1 / {n}</span>',
            '<span class="gw-zoom">'
            '<button type="button" class="gw-zoom-out" title="zoom out (wheel)">−</button>'
            '<button type="button" class="gw-zoom-in" title="zoom in (wheel)">+</button>'
            '<button type="button" class="gw-fit" title="fit the graph in view">fit</button>'
            '<button type="button" class="gw-actual" title="actual size">1:1</button>'
            "</span>",
            "</div>",
            '<p class="gw-caption" aria-live="polite"></p>',
            '<ul class="gw-details"></ul>',
            *([_QUIZ_BAR] if quiz else []),
            f'<div class="gw-view">{_inline_svg(self.svg)}</div>',
            _QUIZ_LEGEND if quiz else _LEGEND,
            f'<script type="application/json" class="gw-data">{data}</script>',
            "</div>",
            f"<script>{_asset('player.js')}</script>",
        ]
        return "\n".join(parts)

    def html(self) -> str:
        """The player as a complete, self-contained HTML page."""
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(self.title)}</title>\n</head>\n<body>\n"
            f"{self.fragment()}\n</body>\n</html>\n"
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (an ``.html`` file, written whole or not at all)."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or path, not {type(path).__name__}")
        return write_atomic(path, self.html())

    def png(self) -> bytes:
        """The final state (after backward) as PNG, saying to run the cell to step through.

        At most 840 pixels wide; drawn top to bottom instead if that is the only way its
        text stays readable there.
        """
        if self._png is None:
            dot = self.final_dot
            svg = render(dot, "svg").decode("utf-8")
            if self.narrow_dot and png_dpi(svg_size(svg)[0], SHOWN_PX) / 72 < READABLE_SCALE:
                narrow = render(self.narrow_dot, "svg").decode("utf-8")
                if svg_size(narrow)[0] < svg_size(svg)[0]:
                    dot, svg = self.narrow_dot, narrow
            self._png = shown_png(dot, svg)
        return self._png

    def _repr_html_(self) -> str:
        return self._notebook_html()

    def _notebook_html(self) -> str:
        """The player for a notebook: its final state as a PNG, replaced by the player when the
        output's script runs.

        An untrusted notebook (a fresh clone) still shows its HTML, sanitized: no script, no
        style. The player's markup is therefore written by the script itself, so that without
        it the reader sees the picture, not the player's bare buttons and texts.
        """
        fragment = self.fragment()
        start = fragment.rindex("<script>")
        markup, script = fragment[:start], fragment[start + len("<script>") : -len("</script>")]
        key = hashlib.sha1(markup.encode("utf-8")).hexdigest()[:12]  # the same on every run
        picture = ""
        if self.final_dot:
            png = base64.b64encode(self.png()).decode("ascii")
            alt = html.escape(f"{self.title}: the final state (run the cell to step through)")
            picture = f'<img src="data:image/png;base64,{png}" alt="{alt}">'
        build = json.dumps(markup, ensure_ascii=False).replace("</", "<\\/")
        return (
            f'<div id="gw-embed-{key}">{picture}<script>'
            f'document.getElementById("gw-embed-{key}").innerHTML = {build};\n'
            f"{script}</script></div>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = {"text/html": self._notebook_html(), "text/plain": repr(self)}
        if self.final_dot:
            bundle["image/png"] = self.png()
        return bundle

    def __repr__(self) -> str:
        kind = "gradient quiz" if self.quiz else "forward and backward"
        return f"<BackwardPlayer: {len(self.steps)} steps ({kind})>"


_LEGEND = (
    '<div class="gw-legend">'
    '<span><i class="gw-key gw-key-current"></i>current node</span>'
    '<span><i class="gw-key gw-key-forward"></i>edge feeding the value being computed</span>'
    '<span><i class="gw-key gw-key-passing"></i>edge passing a gradient (label: upstream × local'
    " = contribution)</span>"
    '<span><i class="gw-key gw-key-pending"></i>faded: value not computed yet</span>'
    "<span><code>data —</code> / <code>grad —</code>: not computed yet</span>"
    "<span><code>(so far)</code>: more contributions to this gradient will come</span>"
    "</div>"
)

_QUIZ_BAR = (
    '<div class="gw-quiz">'
    '<span class="gw-quiz-help">Gradient quiz: at each backward step, for each input of the '
    "current node, first give the local derivative, then the gradient the input gets (the "
    "gradient on the current node × the local derivative). Enter checks, at the precision you "
    "type; “show me” gives the answer.</span>"
    '<span class="gw-score" aria-live="polite"></span>'
    '<button type="button" class="gw-restart" title="clear the answers and ask again">'
    "start again</button>"
    "</div>"
)

_QUIZ_LEGEND = _LEGEND.replace(
    '<span><i class="gw-key gw-key-pending">',
    '<span><i class="gw-key gw-key-asking"></i>edge asked about (label: what is asked)'
    '</span><span><i class="gw-key gw-key-pending">',
)


def _edge_ids(structure: _Structure, collapse: str) -> dict[tuple[int, int], str]:
    """``(consumer, parent) -> SVG edge id`` for the edges drawn."""
    edges, _ = structure.edges(collapse)
    out: dict[tuple[int, int], str] = {}
    for n, (_, _, consumer, parent) in enumerate(edges):
        if parent is not None:
            out.setdefault((consumer, parent), f"e{n}")
    return out


def _table(
    structure: _Structure,
    forward: list[Frame],
    backward: list[Frame],
    view: Any,
    edge_ids: dict[tuple[int, int], str],
    quiz: bool = False,
) -> dict[str, Any]:
    """The page's data: per value its SVG ids and starting texts, then the steps."""
    fmt = lambda x: format_number(x, view.precision)
    order = structure.order
    collapse = view.collapse
    nodes = []
    for i, v in enumerate(order):
        nodes.append(
            {
                "ids": structure.drawn_ids(i, collapse),
                "op": f"o{i}" if not v.is_leaf and structure.box_of(i, collapse) is None else None,
                "name": structure.display[i],
                "box": structure.box_of(i, collapse),
                "data": fmt(v.data) if v.is_leaf else None,
            }
        )
    into: dict[int, list[str]] = {}
    for (consumer, _), eid in edge_ids.items():
        into.setdefault(consumer, []).append(eid)
    steps: list[dict[str, Any]] = []
    for f in forward:
        steps.append(
            {
                "phase": "forward",
                "step": f.step,
                "total": f.total,
                "node": f.index,
                "value": fmt(f.value),
                "caption": f.caption,
                "edges": into.get(f.index, []),
            }
        )
    for f in backward:
        assert f.grad is not None
        steps.append(
            {
                "phase": "backward",
                "step": f.step,
                "total": f.total,
                "node": f.index,
                "grad": fmt(f.grad),
                "g": repr(f.grad),
                "caption": f.caption,
                "edges": [
                    {
                        "parent": e.parent,
                        "operand": e.operand,
                        "local": fmt(e.local),
                        "formula": e.formula,
                        "contribution": fmt(e.contribution),
                        "total": fmt(e.total),
                        "complete": e.complete,
                        "equation": e.equation,
                        "edge": e.edge,
                        **(
                            {
                                "question": e.question,
                                "exact": repr(e.contribution),
                                "localExact": repr(e.local),
                            }
                            if quiz
                            else {}
                        ),
                    }
                    for e in f.edges
                ],
            }
        )
    table: dict[str, Any] = {"root": len(order) - 1, "nodes": nodes, "steps": steps}
    if quiz:
        table["quiz"] = {"judged": "at the precision typed"}
    return table


def backward_player(
    root: Value,
    grad: float = 1.0,
    *,
    title: str = "Forward and backward pass",
    interval_ms: int = 1200,
    quiz: bool = False,
    **options: Any,
) -> BackwardPlayer:
    """Step through the forward pass, then ``root.backward(grad)``, over one drawing of the graph.

    ``options`` are :func:`backward_frames`'s (precision, model, collapse,
    max_frames...). Like ``backward()``, it fills every ``.grad``.

    With ``quiz=True`` the page is an exercise in the chain rule: at each
    backward step, for each input of the current node, it asks first for the
    local derivative (``∂n3/∂a``, with the node's computation beside it), then
    for the gradient the input gets (the gradient on the current node, read off
    the graph, times that local derivative). A typed number is judged at its own
    precision (``0.07`` for 0.070650... is right to 2 decimals, and the page
    says so; the product of the rounded numbers shown is right too). A wrong
    answer gets the hints :func:`gradwalk.exercises.check_gradients` gives
    (sign flipped, only the local derivative, only the upstream gradient, a
    factor off) and another try; "show me" reveals the answer. The score
    counts answers right at the first try; "start again" clears it. Forward
    steps are shown as usual. The saved PNG (for untrusted notebooks) then
    shows the values without any gradient.
    """
    if not isinstance(quiz, bool):
        raise TypeError(f"quiz must be True or False, not {type(quiz).__name__}")
    if quiz and title == "Forward and backward pass":
        title = "Gradient quiz: the forward pass, then you compute the backward pass"
    structure, view, _ = _setup(
        root, grad, "backward_player", _Options.of("backward_player", **options)
    )
    edge_ids = _edge_ids(structure, view.collapse)
    forward, backward = _record(structure, float(grad), view.precision, edge_ids)
    table = _table(structure, forward, backward, view, edge_ids, quiz)
    n = len(structure.order)
    # Each text cell is as wide as its longest text in any step: nodes never move.
    data_texts: list[list[str]] = [["data —"] for _ in range(n)]
    grad_texts: list[list[str]] = [["grad —"] for _ in range(n)]
    for i, v in enumerate(structure.order):
        data_texts[i].append(f"data {format_number(v.data, view.precision)}")
    for s in table["steps"]:
        if s["phase"] == "backward":
            grad_texts[s["node"]].append(f"grad {s['grad']}")
            for e in s["edges"]:
                so_far = "" if e["complete"] else " (so far)"
                grad_texts[e["parent"]].append(f"grad {e['total']}{so_far}")
    view.data_widths = [_cell_width(t) for t in data_texts]
    view.grad_widths = [_cell_width(t) for t in grad_texts]
    view.datas = [v.data if v.is_leaf else None for v in structure.order]
    view.grads = [None] * n
    view.prefix = ""
    if n <= EDGE_LABEL_LIMIT:  # room for each product on its edge, reserved by the layout
        view.edge_labels = {
            e["edge"]: _product(s["grad"], e)
            for s in table["steps"]
            if s["phase"] == "backward"
            for e in s["edges"]
            if e["edge"]
        }
    svg = render(dot_text(structure, view), "svg").decode("utf-8")
    # The final state, for the PNG a saved notebook shows (a quiz's: no gradient, no answer).
    view.datas = None
    view.grads = [None] * n if quiz else [v.grad for v in structure.order]
    note = "Final state after backward: run the cell to step through the forward and backward pass."
    if quiz:
        note = "Gradient quiz: run the cell to answer, step by step, what backward passes on."
    view.notes = [*view.notes, note]
    view.edge_labels = None
    view.data_widths = view.grad_widths = None  # no texts to change: cells fit their text
    final_dot = dot_text(structure, view)
    narrow_dot = ""
    if view.rankdir in ("LR", "RL"):  # in case the picture is too wide for a notebook
        view.rankdir = "TB"
        narrow_dot = dot_text(structure, view)
    return BackwardPlayer(
        svg,
        table,
        final_dot=final_dot,
        narrow_dot=narrow_dot,
        frames=backward,
        title=title,
        interval_ms=interval_ms,
        quiz=quiz,
    )
