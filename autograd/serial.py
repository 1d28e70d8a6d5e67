"""Chapter 8: copies and pickles of a graph, at any depth.

``copy.deepcopy`` and ``pickle`` would recurse once per node (parent of
parent of ...) and fail on a deep graph; here both flatten the graph first.
A copy or an unpickled Value is a whole new graph, with the same data,
gradients, labels and local gradients, so it backpropagates to the same
numbers. Ops are shared, not copied: a pickle refers to each op by its key in
``ops.BY_NAME``. Several Values pickled in one call that share a graph are
each pickled with their whole graph (deep copies keep sharing, through the
copy's memo).
"""

from __future__ import annotations

import copy
from typing import Any

from .fused import DenseCall
from .ops import BY_NAME
from .value import Value, _creation, _new

__all__ = ["deepcopy_graph", "reduce_graph"]


def _nodes(root: Value) -> list[Value]:
    """Every Value ``root`` was computed from (operands, not only edges), each after its own.

    A search over ``inputs`` (a dead relu neuron keeps no edges to its weights,
    but a copy must keep the weights); leaves first, then the other nodes in
    creation order.
    """
    seen = {id(root)}
    leaves: list[Value] = []
    inner: list[Value] = []
    stack = [root]
    while stack:
        n = stack.pop()
        (inner if n._fn is not None else leaves).append(n)
        for x in n.inputs:
            if type(x) is Value and id(x) not in seen:
                seen.add(id(x))
                stack.append(x)
    inner.sort(key=lambda v: v._seq)
    return leaves + inner


def _node_like(v: Value) -> Value:
    out = _new(Value)
    out.data = v.data
    out.grad = v.grad
    out.label = v.label
    out._fn = v._fn
    out._l0 = v._l0
    out._l1 = v._l1
    out._const = v._const
    out._seq = 0 if v._fn is None else next(_creation)
    out._mark = 0
    return out


def deepcopy_graph(root: Value, memo: dict[int, Any]) -> Value:
    """``copy.deepcopy(root)``: the graph copied node by node, without recursion."""
    for v in _nodes(root):
        if id(v) in memo:
            continue
        new = _node_like(v)
        new._p0 = None if v._p0 is None else memo[id(v._p0)]
        new._p1 = None if v._p1 is None else memo[id(v._p1)]
        if v._pn is None:
            new._pn = new._ln = new._operands = None
        else:

            def same(x: Any) -> Any:
                return memo[id(x)] if type(x) is Value else x

            new._pn = [same(p) for p in v._pn]
            new._ln = v._ln if isinstance(v._ln, tuple) else list(v._ln)
            weights, inputs, bias = v._operands.parts(v)
            new._operands = DenseCall(
                (tuple(same(x) for x in inputs), new._seq, [same(w) for w in weights], same(bias))
            )
        if v.__dict__:  # attributes the user's own code set (an optimizer's moments)
            new.__dict__.update(copy.deepcopy(v.__dict__, memo))
        memo[id(v)] = new
        memo.setdefault(id(memo), []).append(v)  # keep the original alive, as deepcopy does
    return memo[id(root)]


def reduce_graph(root: Value) -> tuple[Any, ...]:
    """``pickle``'s view of ``root``: a flat table of its graph (no nesting), and its row."""
    nodes = _nodes(root)
    row = {id(v): i for i, v in enumerate(nodes)}

    def ref(x: Any) -> Any:  # a Value as its row number (an int); a number stays a float
        return row[id(x)] if type(x) is Value else x

    table = []
    for v in nodes:
        op = v._fn
        if op is not None and (not op.key or BY_NAME.get(op.key) is not op):
            op.__reduce__()  # raises the TypeError that says how to register it
        fused = None
        if v._pn is not None:
            weights, inputs, bias = v._operands.parts(v)
            fused = (
                [ref(p) for p in v._pn],
                list(v._ln),
                [ref(w) for w in weights],
                [ref(x) for x in inputs],
                ref(bias),
            )
        table.append((
            v.data, v.grad, v.label, None if op is None else op.key,
            None if v._p0 is None else row[id(v._p0)], v._l0,
            None if v._p1 is None else row[id(v._p1)], v._l1,
            v._const, fused, v.__dict__ or None,
        ))  # fmt: skip
    return (_rebuild, (table, row[id(root)]))


def _rebuild(table: list[tuple], index: int) -> Value:
    """Unpickle: make the nodes of ``table`` in order and return row ``index``."""
    nodes: list[Value] = []
    for data, grad_, label, key, p0, l0, p1, l1, const, fused, attrs in table:
        v = _new(Value)
        v.data = data
        v.grad = grad_
        v.label = label
        v._fn = None if key is None else BY_NAME[key]
        v._p0 = None if p0 is None else nodes[p0]
        v._l0 = l0
        v._p1 = None if p1 is None else nodes[p1]
        v._l1 = l1
        v._const = const
        v._seq = 0 if key is None else next(_creation)
        v._mark = 0
        v._pn = v._ln = v._operands = None
        if fused is not None:
            pn, ln, weights, inputs, bias = fused

            def val(x: Any) -> Any:
                return nodes[x] if type(x) is int else x

            v._pn = [nodes[p] for p in pn]
            v._ln = tuple(ln)
            v._operands = DenseCall(
                (tuple(val(x) for x in inputs), v._seq, [nodes[w] for w in weights], val(bias))
            )
        if attrs:
            v.__dict__.update(attrs)
        nodes.append(v)
    return nodes[index]
