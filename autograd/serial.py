"""Chapter 8: copies and pickles of a graph, at any depth.

``copy.deepcopy`` and ``pickle`` would recurse once per node (parent of
parent of ...) and fail on a deep graph; here both flatten the graph first.
A copy or an unpickled Value is a whole new graph, with the same data,
gradients, labels, local gradients and attributes of your own, so it
backpropagates to the same numbers. Ops are shared, not copied: a pickle
refers to each op by its key in ``ops.BY_NAME`` (:func:`register` adds an op
of your own). Several Values pickled in one call that share a graph are each
pickled with their whole graph (deep copies keep sharing, through the copy's
memo). ``pickle`` finds :func:`reduce_graph` through ``copyreg``.
"""

from __future__ import annotations

import copy
import copyreg
from typing import Any

from .fused import DenseCall
from .ops import BY_NAME, Op
from .value import Value, _creation

__all__ = ["deepcopy_graph", "reduce_graph", "register"]


def register(op: Op, key: str) -> Op:
    """Add ``op`` to ``BY_NAME`` as ``key``, so graphs using it can be copied and pickled."""
    if not isinstance(op, Op):
        raise TypeError(f"register: op must be an Op, not {type(op).__name__}")
    if not isinstance(key, str) or not key:
        raise TypeError("register: key must be a non-empty str")
    if key in BY_NAME and BY_NAME[key] is not op:
        raise ValueError(f"register: key {key!r} is taken by {BY_NAME[key]!r}")
    op.key = key
    BY_NAME[key] = op
    return op


def _reduce_op(op: Op) -> tuple[Any, ...]:
    if not op.key or BY_NAME.get(op.key) is not op:
        raise TypeError(
            f"op {op.name!r} is not in the op table, so a graph using it cannot be copied "
            "or pickled; add it with autograd.serial.register(op, key)"
        )
    return (_lookup, (op.key,))


def _lookup(key: str) -> Op:
    """The op registered under ``key`` (unpickling)."""
    try:
        return BY_NAME[key]
    except KeyError:
        raise ValueError(f"no op {key!r} in the op table (register it before loading)") from None


def _nodes(root: Value) -> list[Value]:
    """Every Value ``root`` was computed from (operands, not only edges), each after its own.

    A search over the operands (a dead relu neuron keeps no edges to its leaf
    weights, but a copy must keep the weights); leaves first, then the other
    nodes in creation order.
    """
    seen = {id(root)}
    leaves: list[Value] = []
    inner: list[Value] = []
    stack = [root]
    while stack:
        n = stack.pop()
        (inner if n._fn is not None else leaves).append(n)
        for x in () if n._fn is None else n._fn.inputs_of(n):
            if type(x) is Value and id(x) not in seen:
                seen.add(id(x))
                stack.append(x)
    inner.sort(key=lambda v: v._seq)
    return leaves + inner


def _fused_parts(v: Value, same: Any, seq: int) -> DenseCall:
    """A one-row DenseCall for the copy (number ``seq``) of fused node ``v``."""
    weights, inputs, bias = v._operands.parts(v)  # type: ignore[union-attr]
    return DenseCall((tuple(same(x) for x in inputs), seq, [same(w) for w in weights], same(bias)))


def _new_node(data: float, grad: float, label: str, op: Op | None) -> Value:
    v = Value(data, label=label)
    v.grad = grad
    v._fn = op
    v._seq = 0 if op is None else next(_creation)
    return v


def deepcopy_graph(root: Value, memo: dict[int, Any]) -> Value:
    """``copy.deepcopy(root)``: the graph copied node by node, without recursion."""
    for v in _nodes(root):
        if id(v) in memo:
            continue

        def same(x: Any) -> Any:
            return memo[id(x)] if type(x) is Value else x

        new = _new_node(v.data, v.grad, v.label, v._fn)
        new._parents = tuple(same(p) for p in v._parents)
        new._locals = v._locals if isinstance(v._locals, tuple) else list(v._locals)
        if isinstance(v._operands, DenseCall):
            new._operands = _fused_parts(v, same, new._seq)
        elif v._operands is not None:
            new._operands = tuple(same(x) for x in v._operands)
        if v.__dict__:  # attributes the user's own code set (an optimizer's moments)
            new.__dict__.update(copy.deepcopy(v.__dict__, memo))
        memo[id(v)] = new
        memo.setdefault(id(memo), []).append(v)  # keep the original alive, as deepcopy does
    return memo[id(root)]  # type: ignore[no-any-return]


def reduce_graph(root: Value) -> tuple[Any, ...]:
    """``pickle``'s view of ``root``: a flat table of its graph (no nesting), and its row."""
    nodes = _nodes(root)
    row = {id(v): i for i, v in enumerate(nodes)}

    def ref(x: Any) -> Any:  # a Value as its row number (an int); a number stays a float
        return row[id(x)] if type(x) is Value else x

    table = []
    for v in nodes:
        op = v._fn
        if op is not None:
            _reduce_op(op)  # raises the TypeError that says how to register it
        fused = None
        if isinstance(v._operands, DenseCall):
            weights, inputs, bias = v._operands.parts(v)
            fused = ([ref(w) for w in weights], [ref(x) for x in inputs], ref(bias))
        operands = None if fused or v._operands is None else [ref(x) for x in v._operands]
        table.append((
            v.data, v.grad, v.label, None if op is None else op.key,
            [row[id(p)] for p in v._parents], list(v._locals), operands, fused,
            v.__dict__ or None,
        ))  # fmt: skip
    return (_rebuild, (table, row[id(root)]))


def _rebuild(table: list[tuple], index: int) -> Value:
    """Unpickle: make the nodes of ``table`` in order and return row ``index``."""
    nodes: list[Value] = []

    def val(x: Any) -> Any:
        return nodes[x] if type(x) is int else x

    for data, grad_, label, key, parents, locals_, operands, fused, attrs in table:
        v = _new_node(data, grad_, label, None if key is None else BY_NAME[key])
        v._parents = tuple(nodes[p] for p in parents)
        v._locals = tuple(locals_)
        if operands is not None:
            v._operands = tuple(val(x) for x in operands)
        if fused is not None:
            weights, inputs, bias = fused
            call = (tuple(val(x) for x in inputs), v._seq, [nodes[w] for w in weights], val(bias))
            v._operands = DenseCall(call)
        if attrs:
            v.__dict__.update(attrs)
        nodes.append(v)
    return nodes[index]


copyreg.pickle(Value, reduce_graph)
Value.__deepcopy__ = deepcopy_graph  # type: ignore[attr-defined]
Op.__reduce__ = _reduce_op  # type: ignore[assignment, method-assign]
