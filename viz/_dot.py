"""Private: formatting, colours and the DOT writer shared by :mod:`viz.graph` and :mod:`viz.player`.

The DOT text is written here by hand (every string that reaches it is escaped).
Everything in this module is internal; the public names are re-exported by
:mod:`viz`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._structure import _Structure


#: Accepted ``rankdir`` values: left to right, right to left, top to bottom, bottom to top.
RANKDIRS = ("LR", "RL", "TB", "BT")
#: Accepted ``collapse`` values (``None`` means ``"none"``).
COLLAPSE_MODES = ("auto", "none", "neuron", "layer")
#: Accepted ``color_by`` values (``None`` means ``"none"``).
COLOR_MODES = ("role", "grad", "none")

#: A neuron-collapsed drawing with more edges than this is drawn by layer in ``"auto"`` mode.
NEURON_EDGE_LIMIT = 1000

#: In ``"auto"`` mode a graph with no neurons to collapse and more than this many times
#: ``max_nodes`` values is refused (laying it out would take minutes) unless collapse=None.
HARD_LIMIT_FACTOR = 10

#: A leaf outside any neuron that feeds this many nodes or more is drawn once per use.
FANOUT_COPIES = 8

#: Graphs of more values than this draw constant operands inside the op's oval (``* 3``)
#: instead of as boxes of their own: half the nodes for Graphviz to place.
FOLD_CONSTANTS = 150

_ACTIVATIONS = ("tanh", "sigmoid", "relu")

# Fill and border colours of the value boxes, by role.
ROLE_COLORS = {
    "input": ("#dbeafe", "#1d4ed8"),
    "parameter": ("#dcfce7", "#15803d"),
    "intermediate": ("#ffffff", "#6b7280"),
    "output": ("#fef3c7", "#b45309"),
}
_GROUP_FILL, _GROUP_BORDER = "#ede9fe", "#6d28d9"
_CURRENT_FILL, _CURRENT_BORDER = "#fde047", "#dc2626"
_EDGE = "#6b7280"
_TEXT_FONT = "Helvetica"
_MONO_FONT = "monospace"
_MONO_SIZE = 10.0
_MONO_ADVANCE = 0.61  # width of one monospace character, in ems (DejaVu Sans Mono: 0.602)
_CELL_PAD = 4


class VizWarning(UserWarning):
    """Warnings from :mod:`viz`: a big graph drawn collapsed, or drawn in full."""


# --------------------------------------------------------------------- formatting


def format_number(x: float, precision: int = 4) -> str:
    """``x`` as a node shows it: ``precision`` decimals, fixed point, or scientific if tiny/huge.

    Fixed point is used for 0 and for ``10**(1 - precision) <= |x| < 1e6``, so
    a number never shows as a misleading ``0.0000``.
    """
    if x != x:
        return "nan"
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "-inf"
    ax = abs(x)
    if ax == 0.0:
        return "0"  # exactly zero (either sign): never a misleading "-0.0000"
    if 10.0 ** (1 - precision) <= ax < 1e6:
        return f"{x:.{precision}f}"
    return f"{x:.{precision}e}"


def _html(text: str) -> str:
    """Text for a Graphviz HTML-like label: markup escaped, control characters dropped."""
    text = "".join(ch if ch >= " " or ch == "\n" else " " for ch in text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;")
    return text.replace("\n", "<BR/>")


#: A name longer than this is shortened in the picture (with "…"); its tooltip has it whole.
NAME_CHARS = 24


def _short(name: str) -> str:
    """A node's name as its box shows it: on one line, at most ``NAME_CHARS`` characters."""
    text = " ".join(name.split())
    return text if len(text) <= NAME_CHARS else text[: NAME_CHARS - 1] + "…"


#: Graphviz refuses strings longer than 16384 bytes; tooltips are cut well before that.
TEXT_CHARS = 2000


def _quote(text: str) -> str:
    """A double-quoted DOT string; backslashes are literal, newlines become ``\\n``.

    Text longer than ``TEXT_CHARS`` characters is cut there (with "…").
    """
    if len(text) > TEXT_CHARS:
        text = text[: TEXT_CHARS - 1] + "…"
    text = "".join(ch if ch >= " " or ch == "\n" else " " for ch in text)
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


# ------------------------------------------------------------------------ DOT


@dataclass
class _View:
    """Everything about one drawing that is not the graph itself."""

    rankdir: str
    precision: int
    collapse: str
    color_by: str
    grads: list[float | None]
    notes: list[str] = field(default_factory=list)
    legend: bool = True
    current: int | None = None
    partial: set[int] = field(default_factory=set)
    grad_widths: list[int] | None = None
    data_widths: list[int] | None = None
    datas: list[float | None] | None = None
    edge_labels: dict[str, str] | None = None  # edge id -> text (a player's products)
    prefix: str = ""

    @property
    def grads_known(self) -> bool:
        return any(g is not None for g in self.grads)

    @property
    def grad_scale(self) -> float:
        finite = [abs(g) for g in self.grads if g is not None and math.isfinite(g)]
        return max(finite, default=0.0)


class _DotWriter:
    """DOT text for a graph's structure (``_structure._Structure``) in any state of a view.

    The structure says what the graph is (values, roles, groups, edges); this says how it
    looks: boxes, colours, legend and layout settings.
    """

    def __init__(self, structure: _Structure) -> None:
        self.s = structure

    # -- DOT -----------------------------------------------------------------

    def dot(self, view: _View) -> str:
        """DOT text for the graph in the state ``view`` describes."""
        collapse = view.collapse
        out: list[str] = [
            "digraph autograd {",
            f'  graph [id="{view.prefix}graph" rankdir={view.rankdir} fontname="{_TEXT_FONT}" '
            'fontsize=11 bgcolor="white" nodesep=0.25 ranksep=0.35 newrank=true{settings}];',
            f'  node [fontname="{_TEXT_FONT}" fontsize=10];',
            f'  edge [color="{_EDGE}" arrowsize=0.6];',
        ]
        edges, consts = self.s.edges(collapse)  # first: it decides the copies the legend names
        label = self._graph_label(view)
        if label:
            out.append(f"  label=<{label}>; labelloc=t; labeljust=l;")
        grouped_nodes: dict[int, list[str]] = {}  # neuron -> statements
        free_nodes: list[str] = []
        boxes = self.s.box_list(collapse)
        for i in range(len(self.s.order)):
            if boxes[i] is not None:
                continue
            copies = self.s.copies.get(i)
            if copies is None:
                stmts = self._value_stmts(i, view, f"v{i}")
            else:
                stmts = [s for c in copies for s in self._value_stmts(i, view, c)]
            k = self.s.neuron_of[i]
            if k is None:
                free_nodes.extend(stmts)
            else:
                grouped_nodes.setdefault(k, []).extend(stmts)
        for cid, x in consts.items():
            text = f"{x:.{max(view.precision, 1)}g}"
            free_nodes.append(
                f'  {cid} [id="{view.prefix}{cid}" class="const" shape=box style="rounded,dashed" '
                f'fontsize=9 fontcolor="#4b5563" color="#9ca3af" height=0.2 margin="0.04,0.02" '
                f"label={_quote(text)} tooltip={_quote(f'constant {x!r}')}];"
            )
        for stub, box in self.s.stubs.items():
            title = self._box_title(box)
            free_nodes.append(
                f'  {stub} [id="{view.prefix}{stub}" class="stub" shape=box style="rounded,dashed" '
                f'fontsize=9 fontcolor="#5b21b6" color="{_GROUP_BORDER}" height=0.2 '
                f'margin="0.04,0.02" label={_quote("from " + title)} '
                f"tooltip={_quote(f'the output of {title}, drawn once per use')}];"
            )
        clusters = self._clusters(view, grouped_nodes)
        drawn = len(free_nodes) + sum(map(len, grouped_nodes.values()))
        drawn += sum(1 for line in clusters if ' class="group' in line)  # collapsed boxes
        settings = _layout_settings(drawn, len(edges))
        if any(" rank=same; " in line for line in clusters):
            settings += " remincross=false"  # its last pass would undo the neurons' order
        out[1] = out[1].replace("{settings}", settings)
        out.extend(clusters)
        out.extend(free_nodes)
        inputs = self._inputs(edges, view)
        if len(inputs) > 1:  # in the order the network reads them, as a textbook draws them
            out.append(f"  {{ rank=same; {' -> '.join(inputs)} [style=invis]; }}")
        current_target = None
        if view.current is not None:
            current_box = self.s.box_of(view.current, collapse)
            current_target = current_box if current_box is not None else f"o{view.current}"
        for n, (src, dst, consumer, _) in enumerate(edges):
            attrs = f'id="{view.prefix}e{n}"'
            if view.edge_labels and f"e{n}" in view.edge_labels:
                attrs += (
                    f' label={_quote(view.edge_labels[f"e{n}"])} fontname="{_MONO_FONT}" '
                    'fontsize=10 fontcolor="#991b1b" class="product"'
                )
            if consumer == view.current and (dst == current_target or src == current_target):
                attrs += f' color="{_CURRENT_BORDER}" penwidth=2 class="passing"'
            out.append(f"  {src} -> {dst} [{attrs}];")
        out.append("}")
        return "\n".join(out) + "\n"

    def _inputs(self, edges: list[tuple[str, str, int, int | None]], view: _View) -> list[str]:
        """The drawn ids of a network's inputs (free leaves and numbers its first layer
        reads), in the order it reads them; none when it is drawn by layer, or has none."""
        if not self.s.layers or view.collapse == "layer" or self.s.layers[0].parts:
            return []
        first = set(self.s.layers[0].neurons)
        inputs: list[str] = []
        for src, _dst, consumer, parent in edges:
            if self.s.neuron_of[consumer] not in first or src in inputs:
                continue
            if parent is None:
                if src[0] == "c":  # a number given as an input
                    inputs.append(src)
            elif self.s.order[parent].is_leaf and self.s.neuron_of[parent] is None:
                inputs.append(src)
        return inputs

    def _graph_label(self, view: _View) -> str:
        """The notes, then a legend of the fills used, as one HTML-like table."""
        cells: list[str] = []
        if view.legend:
            if view.color_by == "role":
                boxes = self.s.box_list(view.collapse)
                drawn = {role for role, box in zip(self.s.roles, boxes) if box is None}
                for role, (fill, border) in ROLE_COLORS.items():
                    if role in drawn:
                        cells.append(
                            f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1">{role}</TD>'
                        )
            elif view.color_by == "grad" and view.grads_known:
                cells.append('<TD BGCOLOR="#93c5fd" BORDER="1">grad &gt; 0</TD>')
                cells.append('<TD BGCOLOR="#fca5a5" BORDER="1">grad &lt; 0</TD>')
                cells.append("<TD>darker: larger |grad|</TD>")
            if self.s.copies or self.s.stubs:
                what = (
                    "a leaf" if not self.s.stubs else "a leaf or box" if self.s.copies else "a box"
                )
                cells.append(
                    f"<TD>{what} feeding {FANOUT_COPIES}+ nodes is drawn once per use</TD>"
                )
            if any(box is not None for box in self.s.box_list(view.collapse)):
                cells.append(
                    f'<TD BGCOLOR="{_GROUP_FILL}" COLOR="{_GROUP_BORDER}" BORDER="1">collapsed</TD>'
                )
        if not cells and not view.notes:
            return ""
        # A filler cell as wide as the notes keeps the legend's cells snug on the left.
        widest = max((len(note) for note in view.notes), default=0)
        filler = f'<TD WIDTH="{int(widest * 4.5)}"></TD>' if view.notes else ""
        span = len(cells) + (1 if filler else 0)
        rows = [
            f'<TR><TD COLSPAN="{max(span, 1)}" ALIGN="LEFT">'
            f'<FONT COLOR="#92400e">{_html(note)}</FONT></TD></TR>'
            for note in view.notes
        ]
        if cells:
            rows.append("<TR>" + "".join(cells) + filler + "</TR>")
        return '<TABLE BORDER="0" CELLSPACING="3" CELLPADDING="2">' + "".join(rows) + "</TABLE>"

    def _colors(self, i: int, view: _View) -> tuple[str, str]:
        role = self.s.roles[i]
        fill, border = ROLE_COLORS[role]
        if view.color_by == "none":
            fill = "#ffffff"
        elif view.color_by == "grad":
            fill = _grad_color(view.grads[i], view.grad_scale)
        if i == view.current:
            fill, border = _CURRENT_FILL, _CURRENT_BORDER
        return fill, border

    def _grad_text(self, i: int, view: _View) -> str:
        g = view.grads[i]
        if g is None:
            return "grad —"
        text = f"grad {format_number(g, view.precision)}"
        return text + " (so far)" if i in view.partial else text

    def _value_stmts(self, i: int, view: _View, node_id: str) -> list[str]:
        v = self.s.order[i]
        fill, border = self._colors(i, view)
        name = self.s.display[i]
        shown = _html(_short(name))
        if v.label:
            cells = [f"<TD><B>{shown}</B></TD>"]
        elif i in self.s.names:  # a parameter named after its place in the model
            cells = [f"<TD><I>{shown}</I></TD>"]
        else:  # a short id, so that every node has a name to be spoken of by
            cells = [f'<TD><FONT COLOR="#6b7280">{shown}</FONT></TD>']
        data: float | None = v.data if view.datas is None else view.datas[i]
        data_text = "data —" if data is None else f"data {format_number(data, view.precision)}"
        width = ""
        if view.data_widths is not None:
            width = f' WIDTH="{view.data_widths[i]}" ALIGN="LEFT"'
        cells.append(f"<TD{width}>{_html(data_text)}</TD>")
        width = ""
        if view.grad_widths is not None:
            width = f' WIDTH="{view.grad_widths[i]}" ALIGN="LEFT"'
        cells.append(f"<TD{width}>{_html(self._grad_text(i, view))}</TD>")
        # Side by side (micrograd's record) when the graph runs left to right; stacked when it
        # runs top to bottom, so that a rank of many values stays narrow.
        rows = "".join(cells) if view.rankdir in ("LR", "RL") else "</TR><TR>".join(cells)
        table = (
            f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="{_CELL_PAD}" '
            f'BGCOLOR="{fill}" COLOR="{border}"><TR>{rows}</TR></TABLE>'
        )
        classes = f"value {self.s.roles[i]}"
        if node_id != f"v{i}":
            classes += " copy"
        if i == view.current:
            classes += " current"
        if view.grads[i] is None:
            classes += " pending"
        if view.datas is not None:  # a player: the texts change, the tooltip does not
            tooltip = f"{name} ({self.s.roles[i]})"
        else:
            grad_repr = "not computed" if view.grads[i] is None else repr(view.grads[i])
            tooltip = f"{name} ({self.s.roles[i]}): data={v.data!r}, grad={grad_repr}"
        if node_id != f"v{i}":
            tooltip += f", one of {len(self.s.copies[i])} copies of a shared leaf"
        stmts = [
            f'  {node_id} [id="{view.prefix}{node_id}" class="{classes}" shape=plain '
            f'fontname="{_MONO_FONT}" fontsize={_MONO_SIZE:g} label=<{table}> '
            f"tooltip={_quote(tooltip)}];"
        ]
        if not v.is_leaf:
            op_fill = _CURRENT_BORDER if i == view.current else "#f3f4f6"
            op_font = "white" if i == view.current else "black"
            op_class = "op current" if i == view.current else "op"
            stmts.append(
                f'  o{i} [id="{view.prefix}o{i}" class="{op_class}" shape=ellipse style=filled '
                f'fillcolor="{op_fill}" fontcolor="{op_font}" color="#9ca3af" height=0.3 '
                f'margin="0.05,0.02" label={_quote(self._op_label(i, view))} '
                f"tooltip={_quote(v.op_name)}];"
            )
        return stmts

    def _box_title(self, box: str) -> str:
        if box[0] == "n":
            neuron = self.s.neurons[int(box[1:])]
            if self.s.layers[neuron.layer].parts:
                return neuron.title
            return f"{self.s.layers[neuron.layer].title} {neuron.title}"
        return self.s.layers[int(box[1:])].title

    def _op_label(self, i: int, view: _View) -> str:
        """The op's symbol, with any constant operand folded into it (``* 3``, ``2 **``)."""
        v = self.s.order[i]
        consts = self.s.folded.get(i)
        if not consts:
            return v.op
        if len(v.inputs) == 2 and len(consts) == 1 and not v.op.isalnum():
            j, x = consts[0]
            text = f"{x:.{max(view.precision, 1)}g}"
            return f"{v.op} {text}" if j == 1 else f"{text} {v.op}"
        return f"{v.op} ({len(consts)} constants)"

    def _box_stmt(
        self, box: str, title: str, lines: list[str], members: list[int], view: _View
    ) -> str:
        outputs = self.s.outputs_of(members, view.collapse)
        rows = [f"<TR><TD><B>{_html(title)}</B></TD></TR>"]
        rows += [f"<TR><TD>{_html(line)}</TD></TR>" for line in lines]
        if len(outputs) == 1:
            o = outputs[0]
            v = self.s.order[o]
            rows.append(f"<TR><TD>out {format_number(v.data, view.precision)}</TD></TR>")
            width = ""
            if view.grad_widths is not None:
                width = f' WIDTH="{view.grad_widths[o]}"'
            rows.append(f"<TR><TD{width}>{_html(self._grad_text(o, view))}</TD></TR>")
        current = view.current is not None and view.current in set(members)
        fill, border = (_CURRENT_FILL, _CURRENT_BORDER) if current else (_GROUP_FILL, _GROUP_BORDER)
        table = (
            f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" '
            f'BGCOLOR="{fill}" COLOR="{border}" STYLE="rounded">{"".join(rows)}</TABLE>'
        )
        classes = "group current" if current else "group"
        return (
            f'  {box} [id="{view.prefix}{box}" class="{classes}" shape=plain '
            f'fontname="{_MONO_FONT}" fontsize={_MONO_SIZE:g} label=<{table}>];'
        )

    def _clusters(self, view: _View, grouped_nodes: dict[int, list[str]]) -> list[str]:
        out: list[str] = []
        spines: list[str] = []  # top-level lines, after the clusters
        collapse = view.collapse
        for li, layer in enumerate(self.s.layers):
            if layer.parts:  # boxes of their own, wherever the graph puts them
                for k in layer.neurons:
                    part = self.s.neurons[k]
                    out.append(
                        self._box_stmt(f"n{k}", part.title, part.summary, part.members, view)
                    )
                continue
            members = [m for k in layer.neurons for m in self.s.neurons[k].members]
            layer_title = layer.title + (f" · {layer.activation}" if layer.activation else "")
            if collapse == "layer":
                count = len(layer.neurons)
                lines = [f"{count} neuron{'' if count == 1 else 's'}", f"{len(members)} values"]
                out.append(self._box_stmt(f"l{li}", layer_title, lines, members, view))
                continue
            out.append(f"  subgraph cluster_l{li} {{")
            out.append(
                f'    graph [id="{view.prefix}cluster_l{li}" label={_quote(layer_title)} '
                'style="rounded,dashed" color="#a78bfa" fontcolor="#5b21b6" fontsize=10];'
            )
            declared = layer.neurons
            if collapse != "neuron" and view.rankdir in ("LR", "RL"):
                # Graphviz lays a left-to-right graph out top to bottom and turns it, which
                # reverses the first order of each cluster's contents
                declared = declared[::-1]
            for k in declared:
                neuron = self.s.neurons[k]
                if collapse == "neuron":
                    lines = [f"{neuron.activation or 'linear'} · {len(neuron.members)} values"]
                    out.append(
                        "  " + self._box_stmt(f"n{k}", neuron.title, lines, neuron.members, view)
                    )
                    continue
                out.append(f"    subgraph cluster_n{k} {{")
                out.append(
                    f'      graph [id="{view.prefix}cluster_n{k}" '
                    f'label={_quote(neuron.title)} style="rounded" color="#c4b5fd" '
                    'fontcolor="#6d28d9" fontsize=9];'
                )
                stmts = grouped_nodes.get(k, [])
                if view.rankdir in ("LR", "RL"):  # weight 0 on top: see ``declared``
                    stmts = stmts[::-1]
                out.extend("    " + s for s in stmts)
                out.append("    }")
            inside, top = self._in_order(li, layer.neurons, view)
            out.extend(inside)
            out.append("  }")
            spines.extend(top)
        return out + spines

    def _in_order(self, li: int, neurons: list[int], view: _View) -> tuple[list[str], list[str]]:
        """Lines that keep a layer's neurons in index order, as a textbook draws them: neuron 0
        at the top (left to right drawing) or at the left (top to bottom).

        Returns the lines for inside the layer's cluster and those for the graph's top level.
        Collapsed neurons are nodes of the layer's cluster, so an invisible same-rank chain
        through them orders them. Drawn in full, each neuron is a cluster of its own, and
        Graphviz ignores same-rank edges between clusters. There, a chain of invisible points
        at the top level (where such a chain holds) points at the neurons' outputs,
        ``ORDER_EDGES`` edges each: a fully connected layer crosses as many edges in any order,
        and these make every other order cost crossings.
        """
        if len(neurons) < 2:
            return [], []
        if view.collapse == "neuron":
            anchors = [f"n{k}" for k in neurons]
            if view.rankdir in ("LR", "RL"):  # a rank of boxes runs bottom to top there
                anchors.reverse()
            return [f"    {{ rank=same; {' -> '.join(anchors)} [style=invis]; }}"], []
        points = [f"s{li}_{j}" for j in range(len(neurons))]
        lines: list[str] = []
        for p, k in zip(points, neurons):
            lines.append(f'  {p} [shape=point style=invis width=0 height=0 label=""];')
            edge = f"  {p} -> v{self.s.neurons[k].members[-1]} [style=invis];"
            lines += [edge] * ORDER_EDGES
        lines.append(f"  {{ rank=same; {' -> '.join(points)} [style=invis]; }}")
        return [], lines


#: Invisible edges from each ordering point to its neuron's output (``_in_order``). Two
#: kept every network tested in order in a plain drawing; a player's edge labels, which
#: Graphviz lays out as nodes of their own, needed six; eight leave a margin
#: (``tests/test_viz_collapse.py`` checks both kinds).
ORDER_EDGES = 8

#: Layouts of more drawn nodes (value boxes, op ovals, constants, collapsed boxes) than
#: these get bounded, then minimal, Graphviz effort (see ``_layout_settings``).
LAYOUT_EXACT_NODES = 300
LAYOUT_BOUNDED_NODES = 1000


def _layout_settings(nodes: int, edges: int) -> str:
    """Graphviz attributes for a drawing of ``nodes`` nodes and ``edges`` edges.

    ``dot`` spends its time in network simplex (``nslimit1`` for ranks,
    ``nslimit`` for positions across ranks) and in crossing minimisation
    (``mclimit``, ``searchsize``). Small drawings get the exact layout;
    medium ones bounded iterations; big ones no position refinement
    (``nslimit=0``: nodes stay where ordering put them, which for these
    graphs reads as well and costs far less), one pass of crossing
    minimisation and straight edges, so that a big graph draws in seconds
    (``benchmarks/viz_bench.py`` times it).
    """
    size = max(nodes, edges)
    if size <= LAYOUT_EXACT_NODES:
        return ""
    if size <= LAYOUT_BOUNDED_NODES:
        return " nslimit=2 nslimit1=2 mclimit=0.2 searchsize=10"
    return " nslimit=0 nslimit1=1 mclimit=0.01 searchsize=1 splines=line"


def _grad_color(g: float | None, scale: float) -> str:
    """Fill colour for a gradient: white at 0, blue for positive, red for negative, grey for nan."""
    if g is None:
        return "#ffffff"
    if g != g:
        return "#d1d5db"
    if g == 0.0 or scale <= 0.0:
        return "#ffffff"
    t = 1.0 if math.isinf(g) or math.isinf(scale) else min(1.0, abs(g) / scale) ** 0.5
    t *= 0.75  # keep the text readable on the darkest fill
    target = (37, 99, 235) if g > 0 else (220, 38, 38)
    r, gr, b = (round(255 + (c - 255) * t) for c in target)
    return f"#{r:02x}{gr:02x}{b:02x}"
