"""The micrograd lecture's names on ``Value``: ``_prev``, ``_op``, ``_backward``.

Andrej Karpathy's lecture "building micrograd" gives each node three fields:
``_prev`` (the set of its children), ``_op`` (the op as a short string, ``'+'``)
and ``_backward`` (a closure that adds ``local * out.grad`` into each child's
``.grad``). The engine keeps the same facts differently: a node's op-table entry
and its local gradients, computed at forward time (chapters 1-3). This module
gives them the lecture's names, as properties, so code written along with the
lecture runs unchanged; nothing here runs when a node is made.

A node can also be made the lecture's way::

    out = Value(math.exp(x.data), (x,), 'exp')
    def _backward():
        x.grad += out.data * out.grad
    out._backward = _backward

Assigning ``_backward`` runs the closure once on a probe (``out.grad = 1``, the
children's at 0) to read its local gradients, and turns ``out`` into an
ordinary node that ``backward()``, ``grad`` and the players handle. Until then,
``backward()`` through ``out`` raises a TypeError that says so. The op-table
way needs no closure: ``Op.unary('exp', math.exp, math.exp)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from . import viewing  # noqa: F401 - _backward reads Value.edges
from .backward import held, lock
from .ops import POW_SCALAR, RELU, Op, const_text
from .value import Value, _creation

__all__ = ["LectureOp"]

_OP_TABLE_WAY = (
    "write it the op-table way instead: my_exp = Op.unary('exp', math.exp, math.exp); y = my_exp(x)"
)


class _NoBackward(float):
    """The local gradient of a lecture-made node whose ``_backward`` is not set yet."""

    __slots__ = ("symbol",)
    symbol: str

    def __rmul__(self, g: float) -> float:  # type: ignore[override]
        raise TypeError(
            f"backward() reached a node made as Value(data, children, {self.symbol!r}) whose "
            "_backward was never set; assign out._backward = a closure that adds "
            "local * out.grad into each child's .grad, or " + _OP_TABLE_WAY
        )

    __mul__ = __rmul__  # type: ignore[assignment]


class LectureOp(Op):
    """The op of a node made the lecture's way: its children and probed local gradients.

    One per node (its symbol is the node's ``_op`` string); its hooks read the
    node's parents and probed local gradients.
    """

    __slots__ = ("closure",)

    def __init__(self, symbol: str, arity: int) -> None:
        rules = [_no_graph_rule(symbol)] * arity
        super().__init__(symbol or "op", symbol, _no_forward, *rules)
        self.closure: Callable[[], Any] | None = None

    def edges_of(self, node: Any) -> list[tuple[Any, Any, str, str]]:
        pairs = zip(node._parents, node._locals)
        # the derivative is a number the closure gave, not a formula: say where it came from
        return [(p, loc, f"x{i}", "from _backward") for i, (p, loc) in enumerate(pairs, 1)]

    def graph_rule(self, node: Any, M: Any) -> list[tuple[Any, Any]]:
        rule = self.derivs[0]
        if M is not None and rule is not None:  # the rule raises: no graph rule for this op
            rule(M, node)
        return list(zip(node._parents, node._locals))


def _no_forward(*args: float) -> float:
    raise TypeError("a lecture-made op has no forward of its own; " + _OP_TABLE_WAY)


def _no_graph_rule(symbol: str) -> Callable[..., Any]:
    def rule(M: Any, out: Any, *args: Any) -> Any:
        raise TypeError(
            f"grad(..., create_graph=True) cannot go through {symbol!r}, a node made with a "
            "_backward closure (its derivative is a number, not a formula); " + _OP_TABLE_WAY
        )

    return rule


# ------------------------------------------------------------------ the properties


def _prev(self: Value) -> set[Value]:
    """The set of Values this node was computed from (the lecture's ``_prev``)."""
    return set(self.parents)


def _op(self: Value) -> str:
    """The op as the lecture prints it: ``'+'``, ``'*'``, ``'tanh'``, ``'**2'``; ``''``: a leaf."""
    fn = self._fn
    if fn is None:
        return ""
    if fn is POW_SCALAR:
        return "**" + const_text(self._operands[1])  # type: ignore[index]
    if fn is RELU:
        return "ReLU"
    return fn.symbol


def _set_op(self: Value, symbol: object) -> None:
    raise AttributeError(
        "_op is read from the op that made this node; make a node with an op of your own "
        "as Value(data, children, 'name') and set its _backward, or " + _OP_TABLE_WAY
    )


def _backward(self: Value) -> Callable[[], None]:
    """This node's own step of backprop: add ``local * self.grad`` into each child's ``.grad``.

    Called on every node in reverse topological order after ``root.grad = 1.0``,
    it gives what ``backward()`` gives. A leaf's does nothing.
    """
    fn = self._fn
    if isinstance(fn, LectureOp) and fn.closure is not None:
        return fn.closure

    def step() -> None:
        g = self.grad
        for edge in self.edges:
            edge.parent.grad += edge.contribution(g)

    return step


def _set_backward(self: Value, closure: object) -> None:
    fn = self._fn
    if not isinstance(fn, LectureOp):
        what = "a leaf" if fn is None else f"made by the op table ({fn.name})"
        raise AttributeError(
            f"this node is {what}: its _backward comes from its op. To add an op of your "
            "own, make the node as Value(data, (children...), 'name') and set its _backward "
            "then, or " + _OP_TABLE_WAY
        )
    if not callable(closure):
        what = type(closure).__name__
        raise TypeError(f"_backward must be a function of no arguments, not {what}")
    self._locals = tuple(_probe(self, closure))
    fn.closure = closure


def _probe(out: Value, closure: Callable[[], Any]) -> list[float]:
    """The local gradients a ``_backward`` closure applies, read by running it on probes.

    With ``out.grad`` at 1 and each child's at 0, a closure that adds
    ``local * out.grad`` leaves ``local`` in each child; run again with
    ``out.grad`` at 2, it must leave exactly twice that (a power of two scales
    exactly), or it is not the lecture's kind of closure. Every ``.grad`` is
    put back afterwards.
    """
    children = out._parents
    with lock:
        if not held.isdisjoint(children):
            raise RuntimeError(
                "_backward: a backward_steps() pass over this node's children is under way; "
                "finish it or close() it first"
            )
        saved = [c.grad for c in children]
        saved_out = out.grad
        try:
            found = []
            for scale in (1.0, 2.0):
                for c in children:
                    c.grad = 0.0
                out.grad = scale
                closure()
                found.append([float(c.grad) for c in children])
        except Exception as e:
            raise TypeError(
                f"_backward of {out._fn.symbol!r}: running it to read its local "  # type: ignore[union-attr]
                f"gradients raised {type(e).__name__}: {e}; " + _OP_TABLE_WAY
            ) from e
        finally:
            for c, g in zip(children, saved):
                c.grad = g
            out.grad = saved_out
    once, twice = found
    for a, b in zip(once, twice):
        if not (a * 2.0 == b or (math.isnan(a) and math.isnan(b))):
            symbol = out._fn.symbol  # type: ignore[union-attr]
            raise TypeError(
                f"_backward of {symbol!r} does not add local * out.grad into its children's "
                ".grad (twice out.grad did not give twice the gradient); " + _OP_TABLE_WAY
            )
    return once


def _lecture_init(self: Value, children: object, symbol: object) -> None:
    """``Value(data, _children, _op)``: a node made the lecture's way (see the module docstring)."""
    if type(symbol) is not str:
        raise TypeError(f"_op must be a str, not {type(symbol).__name__}")
    if not isinstance(children, Iterable) or isinstance(children, str):
        raise TypeError(f"_children must be a tuple of Values, not {type(children).__name__}")
    kids = list(dict.fromkeys(children))
    for c in kids:
        if type(c) is not Value:
            raise TypeError(f"_children must be Values, not {type(c).__name__}")
    if not kids:
        return  # a leaf: the lecture gives every Value an _op, '' for a leaf
    op = LectureOp(symbol, len(kids))
    unset = float.__new__(_NoBackward, math.nan)
    unset.symbol = symbol
    self._fn = op
    self._parents = tuple(kids)
    self._locals = (unset,) * len(kids)
    self._seq = next(_creation)


Value._prev = property(_prev)  # type: ignore[attr-defined]
Value._op = property(_op, _set_op)  # type: ignore[attr-defined]
Value._backward = property(_backward, _set_backward)  # type: ignore[attr-defined]
Value._lecture_init = _lecture_init  # type: ignore[attr-defined]
