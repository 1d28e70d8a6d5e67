"""Private: the graph's structure, numbered in topological order, with roles and neuron groups.

:class:`_Structure` numbers the values of a graph, gives each its role (input,
parameter, intermediate, output) and its name, groups nodes into neurons and
layers (from a model, or from fused dense nodes), and works out the boxes, edges
and copied leaves a drawing in each collapse mode needs. It knows nothing of DOT:
:class:`viz._dot._DotWriter` draws it. Used by :mod:`viz._core` and :mod:`viz.player`;
nothing here is public API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import Value, topological_order

from ._dot import _ACTIVATIONS, FANOUT_COPIES, FOLD_CONSTANTS

__all__ = ["_Structure"]

# ------------------------------------------------------------------------ helpers


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


#: The names :mod:`autograd.nn` gives its parameters:
#: ``w{layer}.{neuron}.{input}`` and ``b{layer}.{neuron}``.
PARAMETER_LABEL = re.compile(r"(?:w(\d+)\.(\d+)\.(\d+)|b(\d+)\.(\d+))\Z")


@dataclass
class _NamedNeuron:
    """A neuron known only from its parameters' labels (no model was passed)."""

    w: list[Value]
    b: Value | None
    activation: str = ""  # not known until a node applies one to the neuron's sum


def _neurons_from_labels(leaves: Iterable[Value]) -> list[list[_NamedNeuron]]:
    """The layers of neurons that parameters labelled like :mod:`autograd.nn`'s make up."""
    found: dict[tuple[int, int], tuple[dict[int, Value], list[Value]]] = {}
    for v in leaves:
        m = PARAMETER_LABEL.match(v.label)
        if m is None:
            continue
        if m.group(1) is not None:
            key = (int(m.group(1)), int(m.group(2)))
            found.setdefault(key, ({}, []))[0].setdefault(int(m.group(3)), v)
        else:
            found.setdefault((int(m.group(4)), int(m.group(5))), ({}, []))[1].append(v)
    layers: dict[int, list[_NamedNeuron]] = {}
    for (layer, _), (ws, bs) in sorted(found.items()):
        w = [ws[j] for j in sorted(ws)]
        layers.setdefault(layer, []).append(_NamedNeuron(w, bs[0] if bs else None))
    return [layers[k] for k in sorted(layers)]


def drawn(src: str, target: str, box: str | None, seen: set[tuple[str, str]]) -> bool:
    """Whether an operand edge ``src -> target`` is drawn (noted in ``seen`` if so).

    Never inside one box; once per pair when it enters a box (``box`` is not
    None) or leaves a neuron's or layer's box (``n...``/``l...``); every time
    otherwise. :meth:`_Structure.edges` and the edge count that picks a
    collapse mode both use this rule.
    """
    if src == target:
        return False
    if box is not None or src[0] in "nl":
        if (src, target) in seen:
            return False
        seen.add((src, target))
    return True


# ---------------------------------------------------------------------- structure


@dataclass
class _Neuron:
    layer: int  # index into _Structure.layers
    title: str
    activation: str
    members: list[int] = field(default_factory=list)  # value indices, topological order
    summary: list[str] = field(default_factory=list)  # a part's lines in its collapsed box


@dataclass
class _Layer:
    title: str
    activation: str
    neurons: list[int] = field(default_factory=list)  # indices into _Structure.neurons
    parts: bool = False  # not a layer: the parts of an expression (see ``group_parts``)


class _Structure:
    """The graph of ``root`` numbered in topological order, with roles and neuron groups.

    Computed once; :class:`viz._dot._DotWriter` then writes DOT for it in any state of the
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
                named = PARAMETER_LABEL.match(v.label) is not None
                self.roles.append("parameter" if named or id(v) in param_ids else "input")
            else:
                self.roles.append("intermediate")
        self.names: dict[int, str] = {}  # value index -> name from the model ("w3", "b")
        self.neurons: list[_Neuron] = []
        self.layers: list[_Layer] = []
        self.neuron_of: list[int | None] = [None] * len(self.order)
        if model is not None:
            self._group_by_model(_model_layers(model))
        elif any(v.dense_parts is not None for v in self.order):
            self._group_fused()
        else:  # an elementary network: its neurons are known by its parameters' names
            self._group_by_model(_neurons_from_labels(v for v in self.order if v.is_leaf))
        self.display: list[str] = self._display_names()
        self.copies: dict[int, list[str]] = {}
        self.folded: dict[int, list[tuple[int, Any]]] = {}  # node -> constant operands
        self.stubs: dict[str, str] = {}  # stub id -> the collapsed box it stands for
        self._boxes: dict[str, list[str | None]] = {}
        self._edges: dict[str, tuple[Any, Any, Any, Any]] = {}
        self._outputs: dict[str, list[int]] = {}
        self._children: list[list[int]] | None = None
        self._leaving: dict[str, list[bool]] = {}

    @property
    def children(self) -> list[list[int]]:
        """Per value, the indices of the nodes that use it (once per use); built on first use.

        A fused neuron's weights and inputs make this the costliest part of a big
        network's structure, so drawing (which needs only :meth:`leaving`) never builds it.
        """
        if self._children is None:
            children: list[list[int]] = [[] for _ in self.order]
            index = self.index
            for i, v in enumerate(self.order):
                for p in v.inputs:
                    if type(p) is Value:
                        children[index[id(p)]].append(i)
            self._children = children
        return self._children

    def leaving(self, collapse: str) -> list[bool]:
        """Per value: True if some node drawn outside its box uses it (so it leaves the box).

        Computed from each node's operands, with a fused neuron's weight row looked at
        once (all its users are that neuron's) and its input list once per box using it.
        """
        cached = self._leaving.get(collapse)
        if cached is not None:
            return cached
        boxes = self.box_list(collapse)
        out = [False] * len(self.order)
        index = self.index
        rows_seen: set[tuple[int, str | None]] = set()
        inputs_seen: set[tuple[int, str | None]] = set()
        for i, v in enumerate(self.order):
            if v.is_leaf:
                continue
            box = boxes[i]
            parts = v.dense_parts
            if parts is None:
                operands: Iterable[Any] = v.inputs
            else:
                row, xs, b = parts
                operands = ()
                if (id(row), box) not in rows_seen or box is None:
                    rows_seen.add((id(row), box))
                    operands = (*row, b)
                key = (id(xs), box)
                if key not in inputs_seen or box is None:
                    inputs_seen.add(key)
                    operands = (*operands, *xs)
            for p in operands:
                if type(p) is Value:
                    pi = index[id(p)]
                    if box is None or boxes[pi] != box:
                        out[pi] = True
        self._leaving[collapse] = out
        return out

    # -- grouping ------------------------------------------------------------

    def _group_by_model(self, layers: list[list[Any]]) -> None:
        """Assign nodes to the model's neurons (fused nodes by their weight row, else by shape)."""
        weight_of: dict[int, int] = {}
        bias_of: dict[int, int] = {}
        row_of: dict[int, int] = {}
        single = sum(len(neurons) for neurons in layers) == 1
        for li, neurons in enumerate(layers):
            activation = str(getattr(neurons[0], "activation", "")) if neurons else ""
            self.layers.append(_Layer(f"layer {li}", activation))
            for ni, neuron in enumerate(neurons):
                kn = len(self.neurons)
                act = str(getattr(neuron, "activation", ""))
                self.neurons.append(_Neuron(li, f"neuron {ni}", act))
                row_of[id(neuron.w)] = kn
                for j, w in enumerate(neuron.w):
                    if w is None:
                        continue
                    weight_of.setdefault(id(w), kn)
                    if id(w) in self.index:
                        # w<layer>.<neuron>.<input>: one name per weight in the whole model
                        wname = f"w{j}" if single else f"w{li}.{ni}.{j}"
                        self.names.setdefault(self.index[id(w)], wname)
                if neuron.b is None:
                    continue
                bias_of.setdefault(id(neuron.b), kn)
                if id(neuron.b) in self.index:
                    self.names.setdefault(
                        self.index[id(neuron.b)], "b" if single else f"b{li}.{ni}"
                    )
        group = self.neuron_of
        index = self.index
        for i, v in enumerate(self.order):
            k: int | None = None
            op = v.op_name
            if v.is_leaf:
                k = weight_of.get(id(v), bias_of.get(id(v)))
            elif (parts := v.dense_parts) is not None:
                k = row_of.get(id(parts[0]))
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
                if kp is not None and self.neurons[kp].activation in (op, ""):
                    if p.op_name == "add" or p.dense_parts is not None:
                        k = kp
                        self.neurons[kp].activation = op  # known now, if it was not
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
            parts = v.dense_parts
            if parts is not None:
                row, xs, b = parts
                k = row_key.get(id(row))
                if k is None:  # a new neuron: its weights and bias join it (once)
                    k = row_key[id(row)] = len(self.neurons)
                    act = _fused_activation(v)
                    self.neurons.append(_Neuron(-1, f"neuron {k}", act))
                    parent.append(k)
                    for leaf in (*row, b):
                        if type(leaf) is Value and leaf.is_leaf and group[index[id(leaf)]] is None:
                            group[index[id(leaf)]] = k
                            self.neurons[k].members.append(index[id(leaf)])
                owner = inputs_owner.setdefault(id(xs), k)
                parent[find(k)] = find(owner)
            elif op in ("tanh", "sigmoid"):
                (p,) = v.inputs
                if (
                    type(p) is Value
                    and p.dense_parts is not None
                    and _fused_activation(p) == "linear"
                ):
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

    def group_parts(self, budget: int) -> int:
        """Group sub-expressions of a graph without neurons as parts to collapse, so that at
        most ``budget`` values are drawn; return how many parts (0 if none would do).

        A part is a node with everything that computed it, where nothing inside but its
        output is used outside: a sub-expression with its own leaves (a run of terms of a
        sum, say). The smallest part that brings the drawing within ``budget`` is taken if
        there is one (the rest stays drawn in full); else the largest parts, each apart from
        the others, until it fits or none is left. One pass over the graph and one sort.
        """
        if self.neurons:
            raise ValueError("the graph has neurons: collapse those")
        n = len(self.order)
        need = n - budget  # values to hide
        if need <= 0:
            return 0
        index = self.index
        children = self.children
        size = [1] * n
        inner = [False] * n  # may be inside a part: used once, and so are its inputs
        candidates: list[int] = []
        for i, v in enumerate(self.order):
            parents = [index[id(p)] for p in v.inputs if type(p) is Value]
            closed = all(inner[j] for j in parents)
            size[i] = 1 + sum(size[j] for j in parents) if closed else 1
            inner[i] = closed and len(children[i]) == 1
            if closed and not v.is_leaf and i != n - 1 and size[i] >= 4:
                candidates.append(i)
        candidates.sort(key=lambda i: size[i])
        enough = [i for i in candidates if size[i] - 1 >= need]
        chosen = enough[:1] or candidates[::-1]
        inside = [False] * n
        parts: list[list[int]] = []
        for top in chosen:
            if inside[top] or need <= 0:
                continue
            members = [top]
            stack = [top]
            while stack:
                for p in self.order[stack.pop()].inputs:
                    if type(p) is Value:
                        members.append(index[id(p)])
                        stack.append(index[id(p)])
            for m in members:
                inside[m] = True
            parts.append(sorted(members))
            need -= len(members) - 1
        if not parts:
            return 0
        self.layers.append(_Layer("", "", parts=True))
        for members in parts:
            k = len(self.neurons)
            top = members[-1]
            ops: dict[str, int] = {}
            for m in members:
                if not self.order[m].is_leaf:
                    ops[self.order[m].op] = ops.get(self.order[m].op, 0) + 1
            common = sorted(ops.items(), key=lambda item: -item[1])[:3]
            summary = [
                f"{len(members)} values",
                ", ".join(f"{count} {op}" for op, count in common)
                + (", ..." if len(ops) > 3 else ""),
            ]
            self.neurons.append(_Neuron(0, self.display[top], "", members, summary))
            self.layers[0].neurons.append(k)
            for m in members:
                self.neuron_of[m] = k
        return len(parts)

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
        return self.box_list(collapse)[i]

    def box_list(self, collapse: str) -> list[str | None]:
        """:meth:`box_of` for every value, in order (computed once per mode)."""
        boxes = self._boxes.get(collapse)
        if boxes is None:
            boxes = self._boxes[collapse] = [self._box(k, collapse) for k in self.neuron_of]
        return boxes

    def _box(self, k: int | None, collapse: str) -> str | None:
        if k is None or collapse == "none":
            return None
        if collapse in ("neuron", "part"):  # a part is a neuron of the parts layer
            return f"n{k}"
        return f"l{self.neurons[k].layer}"

    def edges(
        self, collapse: str
    ) -> tuple[list[tuple[str, str, int, int | None]], dict[str, float]]:
        """Edges ``(source, target, consumer index, parent index or None)`` and the constants
        drawn, ``{id: value}``.

        A free leaf used by ``FANOUT_COPIES`` or more nodes is drawn once per use
        (``self.copies``): one box fanning out to hundreds of nodes across the
        whole graph is what makes Graphviz's layout slow and the drawing a tangle.
        Computed once per collapse mode.
        """
        cached = self._edges.get(collapse)
        if cached is None:
            cached = self._edges[collapse] = self._compute_edges(collapse)
        edges, consts, self.copies, (self.folded, self.stubs) = cached
        return edges, consts

    def _compute_edges(self, collapse: str) -> tuple[Any, Any, Any, Any]:
        edges: list[tuple[str, str, int, int | None]] = []
        seen: set[tuple[str, str]] = set()
        consts: dict[str, float] = {}
        const_key: dict[Any, str] = {}
        index = self.index
        fold = len(self.order) > FOLD_CONSTANTS
        folded: dict[int, list[tuple[int, Any]]] = {}
        boxes = self.box_list(collapse)
        source = [b or f"v{i}" for i, b in enumerate(boxes)]
        by_inputs: dict[int, dict[str, int]] = {}
        rows_inside: dict[int, bool] = {}

        def link(firsts: dict[str, int], box: str, i: int) -> None:
            """One edge into ``box`` from each box or value in ``firsts`` (once per pair)."""
            for src, pi in firsts.items():
                if src != box and (src, box) not in seen:
                    seen.add((src, box))
                    edges.append((src, box, i, pi))

        for i, v in enumerate(self.order):
            if v.is_leaf:
                continue
            box = boxes[i]
            parts = v.dense_parts
            inside: bool | None = False
            if box is not None and parts is not None:
                inside = rows_inside.get(id(parts[0]))
                if inside is None:
                    inside = rows_inside[id(parts[0])] = _inside(parts, box, source, index)
            if inside:
                # a collapsed neuron: its weights are in its box; its inputs are shared by
                # every neuron of the layer, so their sources are found once per input list
                assert parts is not None and box is not None  # inside is only ever set so
                firsts = by_inputs.get(id(parts[1]))
                if firsts is None:
                    firsts = by_inputs[id(parts[1])] = {}
                    for x in parts[1]:
                        if type(x) is Value:
                            xi = index[id(x)]
                            firsts.setdefault(source[xi], xi)
                link(firsts, box, i)
                continue
            if box is not None and all(type(x) is Value for x in v.inputs):
                # the fast path for a collapsed node: one edge per box or value feeding it
                firsts = {}
                for x in v.inputs:
                    xi = index[id(x)]
                    firsts.setdefault(source[xi], xi)
                link(firsts, box, i)
                continue
            target = box if box is not None else f"o{i}"
            if box is None:
                edges.append((f"o{i}", f"v{i}", i, None))
            shared = parts is not None or self.neuron_of[i] is not None
            for j, x in enumerate(v.inputs):
                pi: int | None = None
                if type(x) is Value:
                    pi = index[id(x)]
                    src = boxes[pi] or f"v{pi}"
                elif fold:  # written into the op's oval instead of a box of its own
                    folded.setdefault(i, []).append((j, x))
                    continue
                else:
                    key: Any = ("obj", id(x)) if shared else ("use", i, j)
                    if key not in const_key:
                        const_key[key] = f"c{len(consts)}"
                        consts[const_key[key]] = x
                    src = const_key[key]
                if drawn(src, target, box, seen):
                    edges.append((src, target, i, pi))
        uses: dict[int, int] = {}
        for src, _, _, pi in edges:
            if pi is not None and src == f"v{pi}" and self.order[pi].is_leaf:
                if self.neuron_of[pi] is None:
                    uses[pi] = uses.get(pi, 0) + 1
        copies: dict[int, list[str]] = {}
        for pi, count in uses.items():
            if count >= FANOUT_COPIES:
                copies[pi] = [f"v{pi}_{k}" for k in range(1, count + 1)]
        if copies:
            taken = {pi: 0 for pi in copies}
            for n, (src, dst, consumer, pi) in enumerate(edges):
                if pi in taken and src == f"v{pi}":
                    edges[n] = (copies[pi][taken[pi]], dst, consumer, pi)
                    taken[pi] += 1
        # A collapsed box feeding many free nodes: one small stub per use, for the same reason.
        box_ids = {b for b in boxes if b is not None}
        fan: dict[str, int] = {}
        for src, dst, _, _ in edges:
            if src in box_ids and dst not in box_ids:
                fan[src] = fan.get(src, 0) + 1
        stubs: dict[str, str] = {}
        made = dict.fromkeys(fan, 0)
        for n, (src, dst, consumer, pi) in enumerate(edges):
            if fan.get(src, 0) >= FANOUT_COPIES and dst not in box_ids:
                made[src] += 1
                stub = f"{src}_u{made[src]}"
                stubs[stub] = src
                edges[n] = (stub, dst, consumer, pi)
        return edges, consts, copies, (folded, stubs)

    def drawn_ids(self, i: int, collapse: str) -> list[str]:
        """The ids of the SVG nodes that show value ``i`` (several for a copied leaf)."""
        box = self.box_of(i, collapse)
        if box is not None:
            outputs = self._outputs.get(box)
            if outputs is None:
                outputs = self._outputs[box] = self.outputs_of(self._members(box), collapse)
            return [box] if outputs == [i] else []
        return self.copies.get(i, [f"v{i}"])

    def _members(self, box: str) -> list[int]:
        if box[0] == "n":
            return self.neurons[int(box[1:])].members
        layer = self.layers[int(box[1:])]
        return [m for k in layer.neurons for m in self.neurons[k].members]

    def _display_names(self) -> list[str]:
        """Every node's name as drawn: its label, its name in the model, ``L`` for an unnamed
        root, or ``n<index>``;
        a name used twice gets its index appended, so no two nodes read the same."""
        base = [v.label or self.names.get(i) or f"n{i}" for i, v in enumerate(self.order)]
        last = len(base) - 1
        if not self.order[last].label and all(v.label != "L" for v in self.order):
            base[last] = "L"  # an unnamed root: the loss, as the chain rule speaks of it
        count: dict[str, int] = {}
        for name in base:
            count[name] = count.get(name, 0) + 1
        out = [name if count[name] == 1 else f"{name}_{i}" for i, name in enumerate(base)]
        taken: set[str] = set()
        for i, name in enumerate(out):
            while name in taken:
                name += "'"
            taken.add(name)
            out[i] = name
        return out

    def outputs_of(self, members: Sequence[int], collapse: str | None = None) -> list[int]:
        """The members whose value leaves the group (or that are the root).

        With ``collapse`` (the mode whose box ``members`` are), answered from
        :meth:`leaving`, without building :attr:`children`.
        """
        last = len(self.order) - 1
        if collapse is not None:
            leaving = self.leaving(collapse)
            return [m for m in members if m == last or leaving[m]]
        inside = set(members)
        children = self.children
        return [m for m in members if m == last or any(c not in inside for c in children[m])]


def _inside(
    parts: tuple[Any, Any, Any], box: str, source: list[str], index: dict[int, int]
) -> bool:
    """True if a fused neuron's weights and bias are all drawn in ``box`` (its own box)."""
    row, _, bias = parts
    for w in (*row, bias):
        if type(w) is Value and source[index[id(w)]] != box:
            return False
    return True


def _fused_activation(v: Value) -> str:
    """``"relu"`` for a fused neuron with relu built in, else ``"linear"`` (``v`` is fused)."""
    return "relu" if v.op.startswith("relu") else "linear"
