"""Watching backward happen: frames of the backward pass, and an HTML player for them.

:func:`backward_frames` runs the backward pass one node at a time (with
:func:`autograd.backward_steps`) and draws a frame after each node has passed
its gradient on: that node highlighted, the gradients filled in so far
(``grad —`` where none has arrived yet, ``(so far)`` where more will come).
Stepping runs backward for real, from zero: the leaves' gradients are reset
first (so a graph you already ran backward on is not counted twice), and
afterwards every ``.grad`` is what one ``root.backward()`` on fresh leaves
leaves.

:class:`BackwardPlayer` puts the frames in one self-contained HTML page:
inline SVG, previous / play / next buttons, a slider and a caption naming
each step. No network, no CDN, plain JavaScript.
"""

from __future__ import annotations

import html
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from autograd import Value, backward_steps

from ._render import render
from .graph import (
    _CELL_PAD,
    _MONO_ADVANCE,
    _MONO_SIZE,
    VizWarning,
    _check_positive,
    _Structure,
    _structure_and_view,
    format_number,
)

__all__ = ["BackwardPlayer", "Frame", "backward_frames", "backward_player"]

#: Default limit on the number of frames (non-leaf nodes) ``backward_frames`` draws.
MAX_FRAMES = 500
_DETAIL_LINES = 8


class Frame:
    """One step of the backward pass, drawn: which node passed its gradient, and the graph.

    ``step`` counts from 1 to ``total``; ``node`` is the Value whose gradient
    was just passed on; ``caption`` and ``details`` say what happened;
    ``source`` is the frame's DOT text and :meth:`svg` renders it.
    """

    def __init__(
        self, step: int, total: int, node: Value, caption: str, details: Sequence[str], source: str
    ) -> None:
        self.step = step
        self.total = total
        self.node = node
        self.caption = caption
        self.details = list(details)
        self.source = source
        self._svg: str | None = None

    def svg(self) -> str:
        """The frame as SVG text (rendered once, then cached)."""
        if self._svg is None:
            self._svg = render(self.source, "svg").decode("utf-8")
        return self._svg

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(d)}</li>" for d in self.details)
        return f"<p>{html.escape(self.caption)}</p><ul>{items}</ul>{_inline_svg(self.svg())}"

    def __repr__(self) -> str:
        return f"<Frame {self.step}/{self.total}: {self.caption}>"


def _node_name(structure: _Structure, i: int) -> str:
    v = structure.order[i]
    name = v.label or structure.names.get(i, "")
    if v.is_leaf:
        return name or f"leaf #{i}"
    return f"{name} ({v.op_name})" if name else v.op_name


def _grad_cell_width(texts: Iterable[str]) -> int:
    """Points wide enough for the longest text in the monospace font, with padding and border."""
    longest = max((len(t) for t in texts), default=0)
    return math.ceil(longest * _MONO_ADVANCE * _MONO_SIZE) + 2 * _CELL_PAD + 2


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
    """Run ``root.backward(grad)`` one node at a time, from zeroed leaf gradients, drawing a frame
    after each step.

    One frame per non-leaf node, in the order backward visits them (the root
    first). The drawing options are :func:`viz.draw_dot`'s; node positions stay
    put from frame to frame. Raises ValueError, before touching any gradient,
    if there would be more than ``max_frames`` frames.
    """
    structure, view, warning = _structure_and_view(
        root,
        "backward_frames",
        rankdir=rankdir,
        precision=precision,
        model=model,
        params=params,
        color_by=color_by,
        collapse=collapse,
        max_nodes=max_nodes,
        legend=legend,
    )
    max_frames = _check_positive(max_frames, "max_frames")
    if isinstance(grad, bool) or not isinstance(grad, (int, float)):
        raise TypeError(f"grad must be a real number, not {type(grad).__name__}")
    order = structure.order
    total = sum(1 for v in order if not v.is_leaf)
    if total > max_frames:
        raise ValueError(
            f"backward_frames: the graph has {total} steps (non-leaf nodes), more than "
            f"max_frames={max_frames}; pass a larger max_frames, or draw a smaller graph"
        )
    if warning is not None:
        warnings.warn(f"backward_frames: {warning}", VizWarning, stacklevel=2)

    for v in order:  # replay one backward pass from zero
        if v.is_leaf:
            v.grad = 0.0
    index = structure.index
    n = len(order)
    last = n - 1
    now: list[float] = [v.grad if v.is_leaf else 0.0 for v in order]
    now[last] = float(grad)
    reached: list[bool] = [False] * n
    reached[last] = True
    done_children = [0] * n
    states: list[tuple[int, list[float | None], set[int], str, list[str]]] = []
    for step, node in enumerate(backward_steps(root, grad), 1):
        i = index[id(node)]
        g = node.grad
        details = _details(structure, node, g, view.precision)
        for p in node.parents:
            j = index[id(p)]
            reached[j] = True
            done_children[j] += 1
            now[j] = p.grad
        now[i] = g
        shown: list[float | None] = [now[j] if reached[j] else None for j in range(n)]
        partial = {
            j for j in range(n) if reached[j] and done_children[j] < len(structure.children[j])
        }
        name = _node_name(structure, i)
        caption = (
            f"step {step}/{total}: {name} passes {format_number(g, view.precision)} to its inputs"
        )
        states.append((i, shown, partial, caption, details))

    # Every grad cell is as wide as its longest text in any frame: nodes do not move.
    texts: list[list[str]] = [["grad —"] for _ in range(n)]
    for _, shown, partial, _, _ in states:
        for j in range(n):
            g = shown[j]
            if g is not None:
                text = f"grad {format_number(g, view.precision)}"
                texts[j].append(text + " (so far)" if j in partial else text)
    view.grad_widths = [_grad_cell_width(t) for t in texts]
    frames = []
    for step, (i, shown, partial, caption, details) in enumerate(states, 1):
        view.current = i
        view.grads = shown
        view.partial = partial
        view.prefix = f"s{step}_"
        frames.append(Frame(step, total, order[i], caption, details, structure.dot(view)))
    return frames


def _details(structure: _Structure, node: Value, g: float, precision: int) -> list[str]:
    """One line per edge: what the operand received, incoming grad times local derivative."""
    fmt = lambda x: format_number(x, precision)
    lines = []
    edges = node.edges
    for e in edges[:_DETAIL_LINES]:
        p, local = e.parent, e.local
        name = _node_name(structure, structure.index[id(p)])
        contribution = e.contribution(g)
        lines.append(
            f"{name}: grad += {fmt(g)} × {fmt(local)} (local derivative) = {fmt(contribution)}"
            f", now {fmt(p.grad)}"
        )
    if len(edges) > _DETAIL_LINES:
        lines.append(f"… and {len(edges) - _DETAIL_LINES} more operands")
    return lines


# ------------------------------------------------------------------------ player


def _inline_svg(svg: str) -> str:
    """An SVG document as an element to put inside HTML (no XML prolog or doctype)."""
    start = svg.find("<svg")
    return svg[start:].strip() if start >= 0 else svg


def _asset(name: str) -> str:
    return resources.files("viz").joinpath(name).read_text(encoding="utf-8")


class BackwardPlayer:
    """A self-contained HTML page that plays :func:`backward_frames` step by step.

    Shows inline in Jupyter (``_repr_html_``); :meth:`html` gives the page and
    :meth:`save` writes it. Everything (SVG, CSS, JavaScript) is inline.
    """

    def __init__(
        self, frames: Sequence[Frame], *, title: str = "Backward pass", interval_ms: int = 1200
    ) -> None:
        frames = list(frames)
        for f in frames:
            if not isinstance(f, Frame):
                raise TypeError(f"frames must be Frame objects, not {type(f).__name__}")
        if not isinstance(title, str):
            raise TypeError(f"title must be a str, not {type(title).__name__}")
        self.frames = frames
        self.title = title
        self.interval_ms = _check_positive(interval_ms, "interval_ms")

    def fragment(self) -> str:
        """The player as an HTML fragment (style, markup and script), for embedding."""
        n = len(self.frames)
        parts = [
            f"<style>{_asset('player.css')}</style>",
            f'<div class="gw-player" tabindex="0" data-interval="{self.interval_ms}" '
            f'data-step="{1 if n else 0}" data-total="{n}">',
            f'<div class="gw-title">{html.escape(self.title)}</div>',
        ]
        if not n:
            parts.append(
                '<p class="gw-caption">No backward steps to show: the root is a leaf.</p></div>'
            )
            return "\n".join(parts)
        first = self.frames[0].caption
        parts += [
            '<div class="gw-controls">',
            '<button type="button" class="gw-prev" title="previous step (←)" disabled>'
            "◀ prev</button>",
            '<button type="button" class="gw-play" title="play / pause (space)">▶ play</button>',
            '<button type="button" class="gw-next" title="next step (→)"'
            f"{' disabled' if n == 1 else ''}>next ▶</button>",
            f'<input type="range" class="gw-slider" min="0" max="{n - 1}" value="0" step="1" '
            'aria-label="step">',
            f'<span class="gw-counter">1 / {n}</span>',
            "</div>",
            f'<p class="gw-caption" aria-live="polite">{html.escape(first)}</p>',
            '<div class="gw-frames">',
        ]
        for k, frame in enumerate(self.frames):
            hidden = "" if k == 0 else " hidden"
            details = "".join(f"<li>{html.escape(d)}</li>" for d in frame.details)
            parts.append(
                f'<figure class="gw-frame" data-step="{frame.step}" '
                f'data-caption="{html.escape(frame.caption, quote=True)}"{hidden}>'
                f'<ul class="gw-details">{details}</ul>'
                f'<div class="gw-svg">{_inline_svg(frame.svg())}</div></figure>'
            )
        parts += ["</div>", "</div>", f"<script>{_asset('player.js')}</script>"]
        return "\n".join(parts)

    def html(self) -> str:
        """The player as a complete, self-contained HTML page."""
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(self.title)}</title>\n</head>\n<body>\n"
            f"{self.fragment()}\n</body>\n</html>\n"
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (an ``.html`` file); returns the path."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or path, not {type(path).__name__}")
        target = Path(path)
        target.write_text(self.html(), encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        return self.fragment()

    def __repr__(self) -> str:
        return f"<BackwardPlayer: {len(self.frames)} frames>"


def backward_player(
    root: Value,
    grad: float = 1.0,
    *,
    title: str = "Backward pass",
    interval_ms: int = 1200,
    **options: object,
) -> BackwardPlayer:
    """Step through ``root.backward(grad)`` in an HTML player (see :func:`backward_frames`).

    ``options`` are :func:`backward_frames`'s drawing options (precision,
    model, collapse, ...). Like ``backward()``, it fills every ``.grad``.
    """
    frames = backward_frames(root, grad, **options)  # type: ignore[arg-type]
    return BackwardPlayer(frames, title=title, interval_ms=interval_ms)
