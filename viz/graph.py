"""``draw_dot``: a computation graph as DOT and SVG, with each node's value and gradient.

The DOT text is written here by hand (every string that reaches it is escaped)
and laid out in-process by pygraphviz; no ``dot`` executable is needed.

What is drawn, for each Value: a box ``label | data | grad`` (micrograd's
record) and, for a computed Value, a small oval with the operation feeding it.
Float constants are small dashed boxes. Boxes are filled by role: inputs
blue, parameters green, intermediate values white, the output amber; or,
with ``color_by="grad"``, by the gradient's sign (blue positive, red
negative) and size (darker is larger).

Before ``backward()`` gradients are unknown, and drawing them as zeros
misleads: when the root's ``.grad`` is exactly 0.0 (``backward()`` sets it to
1.0, so 0.0 means it has not run) the graph shows ``grad —`` and a note
saying so. ``show_grad=True`` or ``False`` overrides the guess.

Node ids are numbered by topological order, never by ``id()``, so the same
graph gives the same DOT and the same SVG text on every run.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograd.engine import Value, topological_order

from ._render import FORMATS, format_for_path, render

__all__ = [
    "COLLAPSE_MODES",
    "COLOR_MODES",
    "RANKDIRS",
    "Drawing",
    "VizWarning",
    "draw_dot",
    "format_number",
]

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

_FUSED = ("linear", "linear_relu")
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
    if ax == 0.0 or 10.0 ** (1 - precision) <= ax < 1e6:
        return f"{x:.{precision}f}"
    return f"{x:.{precision}e}"


def _html(text: str) -> str:
    """Text for a Graphviz HTML-like label: markup escaped, control characters dropped."""
    text = "".join(ch if ch >= " " or ch == "\n" else " " for ch in text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;")
    return text.replace("\n", "<BR/>")


def _quote(text: str) -> str:
    """A double-quoted DOT string; backslashes are literal, newlines become ``\\n``."""
    text = "".join(ch if ch >= " " or ch == "\n" else " " for ch in text)
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


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


def _model_layers(model: object) -> list[list[Any]]:
    """The model's neurons, layer by layer: an MLP (``.layers``), a Layer or a Neuron."""
    if hasattr(model, "layers"):
        return [list(layer.neurons) for layer in model.layers]  # type: ignore[attr-defined]
    if hasattr(model, "neurons"):
        return [list(model.neurons)]  # type: ignore[attr-defined]
    if hasattr(model, "w") and hasattr(model, "b"):
        return [[model]]
    raise TypeError(
        "model must be an MLP, Layer or Neuron (something with .layers, .neurons or .w and .b), "
        f"not {type(model).__name__}"
    )


def _param_ids(model: object, params: Iterable[Value] | None) -> set[int]:
    ids: set[int] = set()
    if model is not None:
        if not callable(getattr(model, "parameters", None)):
            raise TypeError(f"model must have a parameters() method, not {type(model).__name__}")
        for p in model.parameters():  # type: ignore[attr-defined]
            ids.add(id(p))
    if params is not None:
        if isinstance(params, Value) or not isinstance(params, Iterable):
            raise TypeError(f"params must be an iterable of Values, not {type(params).__name__}")
        for p in params:
            if type(p) is not Value:
                raise TypeError(f"params must hold Values, not {type(p).__name__}")
            ids.add(id(p))
    return ids


# ---------------------------------------------------------------------- structure


@dataclass
class _Neuron:
    layer: int  # index into _Structure.layers
    title: str
    activation: str
    members: list[int] = field(default_factory=list)  # value indices, topological order


@dataclass
class _Layer:
    title: str
    activation: str
    neurons: list[int] = field(default_factory=list)  # indices into _Structure.neurons


class _Structure:
    """The graph of ``root`` numbered in topological order, with roles and neuron groups.

    Computed once; :meth:`dot` then writes DOT for any state of the
    gradients (draw_dot's, or one frame of a backward pass).
    """

    def __init__(
        self, root: Value, model: object = None, params: Iterable[Value] | None = None
    ) -> None:
        self.root = root
        self.order: list[Value] = topological_order(root)
        self.index: dict[int, int] = {id(v): i for i, v in enumerate(self.order)}
        param_ids = _param_ids(model, params)
        last = len(self.order) - 1
        self.roles: list[str] = []
        for i, v in enumerate(self.order):
            if i == last:
                self.roles.append("output")
            elif v.is_leaf:
                self.roles.append("parameter" if id(v) in param_ids else "input")
            else:
                self.roles.append("intermediate")
        self.names: dict[int, str] = {}  # value index -> name from the model ("w3", "b")
        self.neurons: list[_Neuron] = []
        self.layers: list[_Layer] = []
        self.neuron_of: list[int | None] = [None] * len(self.order)
        if model is not None:
            self._group_by_model(_model_layers(model))
        else:
            self._group_fused()
        self.children: list[list[int]] = [[] for _ in self.order]
        for i, v in enumerate(self.order):
            for p in v.parents:
                self.children[self.index[id(p)]].append(i)

    # -- grouping ------------------------------------------------------------

    def _group_by_model(self, layers: list[list[Any]]) -> None:
        """Assign nodes to the model's neurons (fused nodes by their weight row, else by shape)."""
        weight_of: dict[int, int] = {}
        bias_of: dict[int, int] = {}
        row_of: dict[int, int] = {}
        for li, neurons in enumerate(layers):
            activation = str(getattr(neurons[0], "activation", "")) if neurons else ""
            self.layers.append(_Layer(f"layer {li}", activation))
            for ni, neuron in enumerate(neurons):
                k = len(self.neurons)
                act = str(getattr(neuron, "activation", ""))
                self.neurons.append(_Neuron(li, f"neuron {ni}", act))
                row_of[id(neuron.w)] = k
                for j, w in enumerate(neuron.w):
                    weight_of.setdefault(id(w), k)
                    if id(w) in self.index:
                        self.names.setdefault(self.index[id(w)], f"w{j}")
                bias_of.setdefault(id(neuron.b), k)
                if id(neuron.b) in self.index:
                    self.names.setdefault(self.index[id(neuron.b)], "b")
        group = self.neuron_of
        index = self.index
        for i, v in enumerate(self.order):
            k: int | None = None
            op = v.op_name
            if v.is_leaf:
                k = weight_of.get(id(v), bias_of.get(id(v)))
            elif op in _FUSED:
                k = row_of.get(id(v.dense_parts[0]))
            elif op == "mul":  # w_i * x_i of an elementary neuron
                a, b = v.inputs
                ka = weight_of.get(id(a)) if type(a) is Value else None
                kb = weight_of.get(id(b)) if type(b) is Value else None
                if (ka is None) != (kb is None):
                    other = b if ka is not None else a
                    if type(other) is not Value or not self._is_param(other, weight_of, bias_of):
                        k = ka if ka is not None else kb
            elif op == "add":  # b + w0*x0, then (...) + w_i*x_i
                a, b = v.inputs
                k = self._chain_owner(a, b, bias_of)
                if k is None:
                    k = self._chain_owner(b, a, bias_of)
            elif op in _ACTIVATIONS:
                (p,) = v.inputs
                kp = group[index[id(p)]] if type(p) is Value else None
                if kp is not None and self.neurons[kp].activation == op:
                    if p.op_name in ("add", "linear"):
                        k = kp
            group[i] = k
            if k is not None:
                self.neurons[k].members.append(i)
        self._drop_empty_groups()

    @staticmethod
    def _is_param(v: Value, weight_of: dict[int, int], bias_of: dict[int, int]) -> bool:
        return id(v) in weight_of or id(v) in bias_of

    def _chain_owner(self, acc: object, term: object, bias_of: dict[int, int]) -> int | None:
        """The neuron whose sum ``acc + term`` is: ``term`` its w*x, ``acc`` its bias or sum."""
        if type(term) is not Value or term.op_name != "mul" or type(acc) is not Value:
            return None
        k = self.neuron_of[self.index[id(term)]]
        if k is None:
            return None
        if acc.is_leaf:
            return k if bias_of.get(id(acc)) == k else None
        if acc.op_name == "add" and self.neuron_of[self.index[id(acc)]] == k:
            return k
        return None

    def _group_fused(self) -> None:
        """Without a model: each fused dense node is a neuron; neurons on the same inputs a layer.

        A neuron is known by its weight row (the same list on every call), so
        one neuron called on several samples is still one group. A tanh or
        sigmoid applied to a fused ``linear`` node joins its neuron.
        """
        row_key: dict[int, int] = {}
        parent: list[int] = []  # union-find over neurons, joined by shared inputs

        def find(k: int) -> int:
            while parent[k] != k:
                parent[k] = parent[parent[k]]
                k = parent[k]
            return k

        inputs_owner: dict[int, int] = {}
        group = self.neuron_of
        index = self.index
        for i, v in enumerate(self.order):
            op = v.op_name
            k: int | None = None
            if op in _FUSED:
                row, xs, b = v.dense_parts
                k = row_key.get(id(row))
                if k is None:
                    k = row_key[id(row)] = len(self.neurons)
                    act = "relu" if op == "linear_relu" else "linear"
                    self.neurons.append(_Neuron(-1, f"neuron {k}", act))
                    parent.append(k)
                owner = inputs_owner.setdefault(id(xs), k)
                parent[find(k)] = find(owner)
                for leaf in (*row, b):
                    if type(leaf) is Value and leaf.is_leaf and group[index[id(leaf)]] is None:
                        group[index[id(leaf)]] = k
                        self.neurons[k].members.append(index[id(leaf)])
            elif op in ("tanh", "sigmoid"):
                (p,) = v.inputs
                if type(p) is Value and p.op_name == "linear":
                    k = group[index[id(p)]]
                    if k is not None:
                        self.neurons[k].activation = op
            group[i] = k
            if k is not None:
                self.neurons[k].members.append(i)
        layer_of_root: dict[int, int] = {}
        for k, neuron in enumerate(self.neurons):
            r = find(k)
            if r not in layer_of_root:
                layer_of_root[r] = len(self.layers)
                self.layers.append(_Layer(f"layer {len(self.layers)}", ""))
            neuron.layer = layer_of_root[r]
            neuron.members.sort()
        self._drop_empty_groups()
        for layer in self.layers:
            for pos, k in enumerate(layer.neurons):
                self.neurons[k].title = f"neuron {pos}"

    def _drop_empty_groups(self) -> None:
        """Keep neurons with members in this graph (and layers with such neurons); renumber."""
        keep = [k for k, n in enumerate(self.neurons) if n.members]
        new_index = {k: j for j, k in enumerate(keep)}
        neurons = [self.neurons[k] for k in keep]
        used_layers = sorted({n.layer for n in neurons})
        layer_index = {li: j for j, li in enumerate(used_layers)}
        layers = [self.layers[li] for li in used_layers]
        for layer in layers:
            layer.neurons = []
        for j, n in enumerate(neurons):
            n.layer = layer_index[n.layer]
            layers[n.layer].neurons.append(j)
        for layer in layers:
            acts = {neurons[j].activation for j in layer.neurons}
            layer.activation = acts.pop() if len(acts) == 1 else layer.activation
        self.neurons = neurons
        self.layers = layers
        self.neuron_of = [None if k is None else new_index[k] for k in self.neuron_of]

    # -- drawn items ---------------------------------------------------------

    def box_of(self, i: int, collapse: str) -> str | None:
        """The id of the collapsed box that stands for value ``i``, or None if drawn itself."""
        k = self.neuron_of[i]
        if k is None or collapse == "none":
            return None
        if collapse == "neuron":
            return f"n{k}"
        return f"l{self.neurons[k].layer}"

    def edges(self, collapse: str) -> tuple[list[tuple[str, str, int]], dict[str, float]]:
        """Edges ``(source, target, consumer index)`` and the constants drawn, ``{id: value}``."""
        edges: list[tuple[str, str, int]] = []
        seen: set[tuple[str, str]] = set()
        consts: dict[str, float] = {}
        const_key: dict[Any, str] = {}
        index = self.index
        for i, v in enumerate(self.order):
            if v.is_leaf:
                continue
            box = self.box_of(i, collapse)
            target = box if box is not None else f"o{i}"
            if box is None:
                edges.append((f"o{i}", f"v{i}", i))
            shared = v.op_name in _FUSED or self.neuron_of[i] is not None
            for j, x in enumerate(v.inputs):
                if type(x) is Value:
                    pi = index[id(x)]
                    src = self.box_of(pi, collapse) or f"v{pi}"
                else:
                    key: Any = ("obj", id(x)) if shared else ("use", i, j)
                    src = const_key.get(key)
                    if src is None:
                        src = const_key[key] = f"c{len(consts)}"
                        consts[src] = x
                if src == target:
                    continue
                if box is not None or src[0] in "nl":
                    if (src, target) in seen:
                        continue
                    seen.add((src, target))
                edges.append((src, target, i))
        return edges, consts

    def outputs_of(self, members: Sequence[int]) -> list[int]:
        """The members whose value leaves the group (or that are the root)."""
        inside = set(members)
        last = len(self.order) - 1
        children = self.children
        return [m for m in members if m == last or any(c not in inside for c in children[m])]

    # -- DOT -----------------------------------------------------------------

    def dot(self, view: _View) -> str:
        """DOT text for the graph in the state ``view`` describes."""
        collapse = view.collapse
        out: list[str] = [
            "digraph autograd {",
            f'  graph [id="{view.prefix}graph" rankdir={view.rankdir} fontname="{_TEXT_FONT}" '
            'fontsize=11 bgcolor="white" nodesep=0.25 ranksep=0.35 newrank=true];',
            f'  node [fontname="{_TEXT_FONT}" fontsize=10];',
            f'  edge [color="{_EDGE}" arrowsize=0.6];',
        ]
        label = self._graph_label(view)
        if label:
            out.append(f"  label=<{label}>; labelloc=t; labeljust=l;")
        edges, consts = self.edges(collapse)
        grouped_nodes: dict[int, list[str]] = {}  # neuron -> statements
        free_nodes: list[str] = []
        for i in range(len(self.order)):
            if self.box_of(i, collapse) is not None:
                continue
            stmts = self._value_stmts(i, view)
            k = self.neuron_of[i]
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
        out.extend(self._clusters(view, grouped_nodes))
        out.extend(free_nodes)
        current_target = None
        if view.current is not None:
            box = self.box_of(view.current, collapse)
            current_target = box if box is not None else f"o{view.current}"
        for n, (src, dst, consumer) in enumerate(edges):
            attrs = f'id="{view.prefix}e{n}"'
            if consumer == view.current and (dst == current_target or src == current_target):
                attrs += f' color="{_CURRENT_BORDER}" penwidth=2 class="passing"'
            out.append(f"  {src} -> {dst} [{attrs}];")
        out.append("}")
        return "\n".join(out) + "\n"

    def _graph_label(self, view: _View) -> str:
        """The notes, then a legend of the fills used, as one HTML-like table."""
        cells: list[str] = []
        if view.legend:
            if view.color_by == "role":
                drawn = {
                    self.roles[i]
                    for i in range(len(self.order))
                    if self.box_of(i, view.collapse) is None
                }
                for role, (fill, border) in ROLE_COLORS.items():
                    if role in drawn:
                        cells.append(
                            f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="1">{role}</TD>'
                        )
            elif view.color_by == "grad" and view.grads_known:
                cells.append('<TD BGCOLOR="#93c5fd" BORDER="1">grad &gt; 0</TD>')
                cells.append('<TD BGCOLOR="#fca5a5" BORDER="1">grad &lt; 0</TD>')
                cells.append("<TD>darker: larger |grad|</TD>")
            if any(self.box_of(i, view.collapse) for i in range(len(self.order))):
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
        role = self.roles[i]
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

    def _value_stmts(self, i: int, view: _View) -> list[str]:
        v = self.order[i]
        fill, border = self._colors(i, view)
        cells = []
        if v.label:
            cells.append(f"<TD><B>{_html(v.label)}</B></TD>")
        elif i in self.names:  # a parameter named after its place in the model
            cells.append(f"<TD><I>{self.names[i]}</I></TD>")
        cells.append(f"<TD>data {format_number(v.data, view.precision)}</TD>")
        width = ""
        if view.grad_widths is not None:
            width = f' WIDTH="{view.grad_widths[i]}" ALIGN="LEFT"'
        cells.append(f"<TD{width}>{_html(self._grad_text(i, view))}</TD>")
        table = (
            f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="{_CELL_PAD}" '
            f'BGCOLOR="{fill}" COLOR="{border}"><TR>{"".join(cells)}</TR></TABLE>'
        )
        classes = f"value {self.roles[i]}"
        if i == view.current:
            classes += " current"
        if view.grads[i] is None:
            classes += " pending"
        name = v.label or self.names.get(i) or (v.op_name if not v.is_leaf else "leaf")
        grad_repr = "not computed" if view.grads[i] is None else repr(view.grads[i])
        tooltip = f"{name} ({self.roles[i]}): data={v.data!r}, grad={grad_repr}"
        stmts = [
            f'  v{i} [id="{view.prefix}v{i}" class="{classes}" shape=plain '
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
                f'margin="0.05,0.02" label={_quote(v.op)} tooltip={_quote(v.op_name)}];'
            )
        return stmts

    def _box_stmt(
        self, box: str, title: str, lines: list[str], members: list[int], view: _View
    ) -> str:
        outputs = self.outputs_of(members)
        rows = [f"<TR><TD><B>{_html(title)}</B></TD></TR>"]
        rows += [f"<TR><TD>{_html(line)}</TD></TR>" for line in lines]
        if len(outputs) == 1:
            o = outputs[0]
            v = self.order[o]
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
        collapse = view.collapse
        for li, layer in enumerate(self.layers):
            members = [m for k in layer.neurons for m in self.neurons[k].members]
            layer_title = layer.title + (f" · {layer.activation}" if layer.activation else "")
            if collapse == "layer":
                lines = [f"{len(layer.neurons)} neurons", f"{len(members)} values"]
                out.append(self._box_stmt(f"l{li}", layer_title, lines, members, view))
                continue
            out.append(f"  subgraph cluster_l{li} {{")
            out.append(
                f'    graph [id="{view.prefix}cluster_l{li}" label={_quote(layer_title)} '
                'style="rounded,dashed" color="#a78bfa" fontcolor="#5b21b6" fontsize=10];'
            )
            for k in layer.neurons:
                neuron = self.neurons[k]
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
                out.extend("    " + s for s in grouped_nodes.get(k, []))
                out.append("    }")
            out.append("  }")
        return out


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
    prefix: str = ""

    @property
    def grads_known(self) -> bool:
        return any(g is not None for g in self.grads)

    @property
    def grad_scale(self) -> float:
        finite = [abs(g) for g in self.grads if g is not None and math.isfinite(g)]
        return max(finite, default=0.0)


def _choose_collapse(
    structure: _Structure, collapse: str, max_nodes: int
) -> tuple[str, list[str], str | None]:
    """The collapse mode to draw with, notes for the graph, and a warning to issue (or None)."""
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
    mode = "neuron"
    if len(structure.edges("neuron")[0]) > NEURON_EDGE_LIMIT:
        mode = "layer"
    boxes = len(structure.neurons) if mode == "neuron" else len(structure.layers)
    text = (
        f"{n} values, more than max_nodes={max_nodes}: drawn collapsed by {mode} "
        f"({boxes} boxes). Pass collapse=None (or 'none') to draw every node."
    )
    return mode, [text], text


# ------------------------------------------------------------------------ drawing


class Drawing:
    """A drawn graph: shows inline in Jupyter, and gives SVG text, files and DOT source.

    ``source`` is the DOT text; :meth:`svg` renders it (once, then cached);
    :meth:`save` writes ``.svg``, ``.png``, ``.pdf`` or ``.dot`` by the file's extension.
    """

    def __init__(
        self,
        source: str,
        *,
        collapse: str = "none",
        notes: Sequence[str] = (),
        num_values: int = 0,
        format: str = "svg",
    ) -> None:
        self.source = source
        self.collapse = collapse
        self.notes = list(notes)
        self.num_values = num_values
        self.format = format
        self._svg: str | None = None

    def pipe(self, format: str | None = None) -> bytes:
        """The graph rendered as ``format`` bytes (svg, png or pdf; default ``self.format``)."""
        format = self.format if format is None else format
        if format == "svg":
            return self.svg().encode("utf-8")
        return render(self.source, format)

    def svg(self) -> str:
        """The graph as SVG text (a standalone document)."""
        if self._svg is None:
            self._svg = render(self.source, "svg").decode("utf-8")
        return self._svg

    def save(self, path: str | os.PathLike[str], format: str | None = None) -> Path:
        """Write the graph to ``path`` as SVG, PNG, PDF or DOT (by extension, or ``format``)."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or path, not {type(path).__name__}")
        fmt = format_for_path(path, format)
        target = Path(path)
        if fmt == "dot":
            target.write_text(self.source, encoding="utf-8")
        else:
            target.write_bytes(self.pipe(fmt))
        return target

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        extra = f", collapsed by {self.collapse}" if self.collapse != "none" else ""
        return f"<Drawing of {self.num_values} values{extra}>"


def _structure_and_view(
    root: object,
    who: str,
    *,
    rankdir: object,
    precision: object,
    model: object,
    params: Iterable[Value] | None,
    color_by: object,
    collapse: object,
    max_nodes: object,
    legend: object,
) -> tuple[_Structure, _View, str | None]:
    """Validate draw_dot's arguments; the graph's structure, a view, and a warning if any."""
    root = _check_root(root, who)
    rankdir = _check_rankdir(rankdir)
    precision = _check_precision(precision)
    color_by = _check_choice(color_by, "color_by", COLOR_MODES)
    collapse = _check_choice(collapse, "collapse", COLLAPSE_MODES)
    max_nodes = _check_positive(max_nodes, "max_nodes")
    if not isinstance(legend, bool):
        raise TypeError(f"legend must be True or False, not {type(legend).__name__}")
    structure = _Structure(root, model, params)
    mode, notes, warning = _choose_collapse(structure, collapse, max_nodes)
    view = _View(
        rankdir=rankdir,
        precision=precision,
        collapse=mode,
        color_by=color_by,
        grads=[v.grad for v in structure.order],
        notes=notes,
        legend=legend,
    )
    return structure, view, warning


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    *,
    precision: int = 4,
    model: object = None,
    params: Iterable[Value] | None = None,
    color_by: str | None = "role",
    collapse: str | None = "auto",
    max_nodes: int = 300,
    show_grad: bool | None = None,
    legend: bool = True,
    format: str = "svg",
) -> Drawing:
    """Draw the graph that computed ``root``: each Value with its label, data and grad.

    * ``rankdir``: ``"LR"`` (inputs left), ``"TB"``, ``"RL"`` or ``"BT"``.
    * ``precision``: decimals shown for data and grad (see :func:`format_number`).
    * ``model`` (an MLP, Layer or Neuron) or ``params`` (Values): which leaves
      are parameters; the model also groups nodes by neuron and layer
      (clusters). Without a model, other leaves are inputs, and fused
      ``dense`` neurons are still grouped.
    * ``color_by``: ``"role"`` (input, parameter, intermediate, output),
      ``"grad"`` (sign and size of the gradient) or None.
    * ``collapse``: ``"neuron"`` or ``"layer"`` draws each neuron or layer as one
      box with the number of values it stands for; None (or ``"none"``) draws
      every node; ``"auto"`` collapses graphs of more than ``max_nodes`` values
      (by neuron, or by layer if that is still too many edges) and says so in a
      note and a :class:`VizWarning`.
    * ``show_grad``: None guesses whether ``backward()`` has run (the root's grad
      is 0.0 until it does) and shows ``grad —`` with a note if not.
    * ``format``: accepted for micrograd compatibility; the default of ``pipe()``.
    """
    structure, view, warning = _structure_and_view(
        root,
        "draw_dot",
        rankdir=rankdir,
        precision=precision,
        model=model,
        params=params,
        color_by=color_by,
        collapse=collapse,
        max_nodes=max_nodes,
        legend=legend,
    )
    show = _check_show_grad(show_grad)
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if show is None:
        show = root.grad != 0.0
        if not show:
            view.notes.append(
                "Gradients not computed yet (the root's grad is 0.0): call backward() on the "
                "root, then draw again."
            )
    if not show:
        view.grads = [None] * len(view.grads)
    if warning is not None:
        warnings.warn(f"draw_dot: {warning}", VizWarning, stacklevel=2)
    return Drawing(
        structure.dot(view),
        collapse=view.collapse,
        notes=view.notes,
        num_values=len(structure.order),
        format=format,
    )
