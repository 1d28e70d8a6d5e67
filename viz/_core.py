"""Private: argument checks, the choice of collapse mode, and the file writer.

The one back end :mod:`viz.graph` and :mod:`viz.player` share: it validates
draw_dot's arguments, builds the graph's :class:`~viz._structure._Structure`
(in :mod:`viz._structure`) and the :class:`~viz._dot._View` to draw it with,
chooses how to collapse a big graph, and passes on the project's one file writer
(:func:`viz._files.write_atomic`).
Nothing here is public API.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from autograd import Value

from ._dot import (
    _CELL_PAD,
    _MONO_ADVANCE,
    _MONO_SIZE,
    COLLAPSE_MODES,
    COLOR_MODES,
    HARD_LIMIT_FACTOR,
    NEURON_EDGE_LIMIT,
    RANKDIRS,
    VizWarning,
    _DotWriter,
    _View,
    format_number,
)
from ._files import write_atomic
from ._render import (
    FILE_PX,
    FORMATS,
    READABLE_SCALE,
    SHOWN_PX,
    fit_svg,
    format_for_path,
    png_dpi,
    render,
    svg_size,
)
from ._structure import _Structure, drawn

# What graph.py and player.py take from here (this module is their one shared back end);
# _Structure (defined in _structure.py) is re-exported for code that imports it from here.
__all__ = [
    "COLLAPSE_MODES",
    "COLOR_MODES",
    "FORMATS",
    "MAX_FRAMES",
    "RANKDIRS",
    "_CELL_PAD",
    "_MONO_ADVANCE",
    "_MONO_SIZE",
    "VizWarning",
    "_Options",
    "_Structure",
    "_check_positive",
    "_check_show_grad",
    "dot_text",
    "file_png",
    "fit_svg",
    "shown_png",
    "_structure_and_view",
    "format_for_path",
    "format_number",
    "render",
    "write_atomic",
]

# --------------------------------------------------------------------- validation


def _check_root(root: object, who: str) -> Value:
    if type(root) is not Value:
        raise TypeError(f"{who}: root must be a Value, not {type(root).__name__}")
    return root


def _check_rankdir(rankdir: object) -> str:
    if not isinstance(rankdir, str):
        raise TypeError(f"rankdir must be a str, not {type(rankdir).__name__}")
    if rankdir.upper() not in RANKDIRS:
        raise ValueError(f"unknown rankdir {rankdir!r}; choose one of {', '.join(RANKDIRS)}")
    return rankdir.upper()


def _check_precision(precision: object) -> int:
    if isinstance(precision, bool) or not isinstance(precision, int):
        raise TypeError(f"precision must be an int, not {type(precision).__name__}")
    if not 0 <= precision <= 17:
        raise ValueError(f"precision must be between 0 and 17 digits, got {precision}")
    return precision


def _check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    if value is None:
        return "none"
    if not isinstance(value, str) or value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise ValueError(f"unknown {name} {value!r}; choose one of {shown} or None")
    return value


def _check_positive(n: object, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{name} must be an int, not {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{name} must be at least 1, got {n}")
    return n


def _check_show_grad(show_grad: object) -> bool | None:
    if show_grad is not None and not isinstance(show_grad, bool):
        raise TypeError(f"show_grad must be True, False or None, not {type(show_grad).__name__}")
    return show_grad


def _choose_collapse(
    structure: _Structure, collapse: str, max_nodes: int, parts: bool = False
) -> tuple[str, list[str], str | None]:
    """The collapse mode to draw with, notes for the graph, and a warning to issue (or None).

    With ``parts``, a big graph without neurons has parts of it collapsed in ``"auto"``
    mode (:meth:`_Structure.group_parts`).
    """
    n = len(structure.order)
    if collapse != "auto":
        if collapse != "none" and not structure.neurons:
            raise ValueError(
                f"collapse={collapse!r} needs neurons to collapse: pass model= (an MLP, Layer or "
                "Neuron), or build the graph with fused layers"
            )
        return collapse, [], None
    if n <= max_nodes:
        return "none", [], None
    if not structure.neurons and parts and structure.group_parts(max_nodes):
        hidden = sum(len(k.members) for k in structure.neurons)
        count = len(structure.neurons)
        text = (
            f"{n} values, more than max_nodes={max_nodes}: {count} part"
            f"{'' if count == 1 else 's'} of the expression drawn collapsed (a box for "
            f"{hidden} values). Pass collapse=None (or 'none') to draw every node."
        )
        return "part", [text], text
    if not structure.neurons:
        if n > HARD_LIMIT_FACTOR * max_nodes:
            raise ValueError(
                f"the graph has {n} values, too many to draw in full by default (more than "
                f"{HARD_LIMIT_FACTOR} * max_nodes={max_nodes}), and none of them belong to a "
                "neuron to collapse it by. Pass model= (the MLP, Layer or Neuron that built it) "
                "to draw it collapsed, or collapse=None to draw every node anyway (slow)."
            )
        message = (
            f"the graph has {n} values (more than max_nodes={max_nodes}) and no neurons to "
            "collapse it by: drawing every node, which may be slow and unreadable. Pass model= "
            "to draw it collapsed."
        )
        return "none", [], message
    mode = "layer" if _more_edges_than(structure, "neuron", NEURON_EDGE_LIMIT) else "neuron"
    boxes = len(structure.neurons) if mode == "neuron" else len(structure.layers)
    text = (
        f"{n} values, more than max_nodes={max_nodes}: drawn collapsed by {mode} "
        f"({boxes} boxes). Pass collapse=None (or 'none') to draw every node."
    )
    return mode, [text], text


def _more_edges_than(structure: _Structure, collapse: str, limit: int) -> bool:
    """True if drawing collapsed by ``collapse`` gives more than ``limit`` edges.

    Counts the edges by the rule :meth:`_Structure.edges` draws them with
    (:func:`drawn`), stopping as soon as the count passes ``limit``; a fused
    neuron's weight row and input list are looked at once per box. It does not
    take the drawing's shortcuts, so it can count more edges than are drawn.
    """
    boxes = structure.box_list(collapse)
    source = [b or f"v{i}" for i, b in enumerate(boxes)]
    index = structure.index
    seen: set[tuple[str, str]] = set()
    looked: set[tuple[int, str | None]] = set()
    count = 0
    for i, v in enumerate(structure.order):
        if v.is_leaf:
            continue
        box = boxes[i]
        target = box if box is not None else f"o{i}"
        parts = v.dense_parts
        if parts is None or box is None:
            operands: Iterable[Any] = v.inputs
        else:
            row, xs, b = parts
            operands = ()
            if (id(row), box) not in looked:
                looked.add((id(row), box))
                operands = (*row, b)
            if (id(xs), box) not in looked:
                looked.add((id(xs), box))
                operands = (*operands, *xs)
        if box is None:
            count += 1  # the op's oval to its value's box
        for x in operands:
            if type(x) is not Value:
                count += box is None
                continue
            count += drawn(source[index[id(x)]], target, box, seen)
        if count > limit:
            return True
    return False


#: Default limit on the number of computed nodes a player steps through (each gives
#: a forward and a backward step). Page size and build time grow linearly with it.
MAX_FRAMES = 20_000


@dataclass(frozen=True)
class _Options:
    """How to draw a graph: the view options draw_dot, backward_frames and backward_player
    share, checked once where they come in and passed down as one object."""

    rankdir: str = "LR"
    precision: int = 4
    model: object = None
    params: Iterable[Value] | None = None
    color_by: str = "role"
    collapse: str = "auto"
    max_nodes: int = 300
    legend: bool = True
    max_frames: int = MAX_FRAMES

    @classmethod
    def of(cls, who: str, **given: Any) -> _Options:
        """The options ``given`` by keyword, checked; TypeError naming any ``who`` does not take."""
        unknown = sorted(set(given) - {f.name for f in fields(cls)})
        if unknown:
            raise TypeError(f"{who} got unexpected options: {', '.join(unknown)}")
        legend = given.get("legend", True)
        if not isinstance(legend, bool):
            raise TypeError(f"legend must be True or False, not {type(legend).__name__}")
        return cls(
            rankdir=_check_rankdir(given.get("rankdir", "LR")),
            precision=_check_precision(given.get("precision", 4)),
            model=given.get("model"),
            params=given.get("params"),
            color_by=_check_choice(given.get("color_by", "role"), "color_by", COLOR_MODES),
            collapse=_check_choice(given.get("collapse", "auto"), "collapse", COLLAPSE_MODES),
            max_nodes=_check_positive(given.get("max_nodes", 300), "max_nodes"),
            legend=legend,
            max_frames=_check_positive(given.get("max_frames", MAX_FRAMES), "max_frames"),
        )


def _structure_and_view(
    root: object, who: str, options: _Options, parts: bool = False
) -> tuple[_Structure, _View, str | None]:
    """The graph's structure, a view of it as ``options`` say, and a warning if any.

    ``parts``: collapse parts of a big graph without neurons (see ``_choose_collapse``).
    """
    root = _check_root(root, who)
    structure = _Structure(root, options.model, options.params)
    mode, notes, warning = _choose_collapse(structure, options.collapse, options.max_nodes, parts)
    view = _View(
        rankdir=options.rankdir,
        precision=options.precision,
        collapse=mode,
        color_by=options.color_by,
        grads=[v.grad for v in structure.order],
        notes=notes,
        legend=options.legend,
    )
    return structure, view, warning


def dot_text(structure: _Structure, view: _View) -> str:
    """The DOT text of ``structure`` in the state ``view`` describes."""
    return _DotWriter(structure).dot(view)


def shown_png(dot: str, svg: str) -> bytes:
    """The PNG a notebook shows: as the SVG at 4/3 pixel per point, at most ``SHOWN_PX`` wide."""
    return render(dot, "png", dpi=png_dpi(svg_size(svg)[0], SHOWN_PX))


def file_png(dot: str, svg: str) -> bytes:
    """A PNG file of the drawing, or ValueError if its text could not be read at any width a
    PNG can have (then the drawing is refused in one sentence, before any bitmap is made)."""
    width = svg_size(svg)[0]
    dpi = png_dpi(width, FILE_PX)
    if dpi / 72.0 < READABLE_SCALE:
        raise ValueError(
            f"the graph is {width / 72:.0f} inches wide, too wide for a PNG whose text can be "
            f"read (at most {FILE_PX} pixels); save it as .svg (a browser zooms it) or .html "
            "(the backward player), or draw it collapsed"
        )
    return render(dot, "png", dpi=dpi)
