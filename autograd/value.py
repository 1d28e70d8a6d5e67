"""Chapter 2: ``Value`` and node creation. A scalar, its gradient, and how it was made.

A ``Value`` made by hand is a leaf. An operation on Values makes a node with
the same fields, each meaning one thing for every node:

* ``data``, ``grad``, ``label``: the number, d(root)/d(this) after backward, a name.
* ``_fn``: the :class:`~autograd.ops.Op` that made it (None for a leaf).
* ``_parents``: the Values it was computed from, one per Value operand.
* ``_locals``: d(this)/d(parent) for each of ``_parents``, computed once, at
  forward time, by the op's rules on floats.
* ``_operands``: all the operands in order when some are numbers
  (``(x, 3.0)`` for ``x * 3``), else None. (A fused neuron, chapter 5, keeps
  its ``DenseCall`` there.)
* ``_seq``: creation order (``backward`` runs nodes in decreasing order, as torch).

A node refers only to its parents: no closures and no cycles, so a graph is
freed by reference counting the moment it is dropped.
"""

from __future__ import annotations

import itertools
import numbers
import threading
from collections.abc import Sequence
from typing import Any

from . import ops
from ._views import Views
from .backward import backward
from .ops import FLOAT, Op

__all__ = ["Value", "apply", "number"]

Number = float | int

_creation = itertools.count(1)  # next(_creation): the creation number of a new node


class _Mode(threading.local):
    """Per-thread: None normally; else what ``no_grad``/``detect_anomaly`` check (modes.py)."""

    hooks: Any = None


_mode = _Mode()


def number(x: object, what: str) -> float:
    """``x`` as a plain float if it is a real number, else a TypeError naming its type."""
    if type(x) is float:  # the common case, without the slower isinstance test below
        return x  # type: ignore[return-value]
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)  # also turns a float subclass into a plain float
    if isinstance(x, Value):
        raise TypeError(f"{what} must be a real number, not a Value (use value.data)")
    raise TypeError(f"{what} must be a real number (int or float), not {type(x).__name__}")


class Value(Views):
    """A scalar in a computation graph: its ``data``, its ``grad`` and how it was made.

    ``Value(2.0, label="a")`` is a leaf. Arithmetic with Values (or numbers on
    either side) builds the graph; ``backward()`` fills ``.grad`` on every node.
    ``_children`` and ``_op`` make a node the micrograd lecture's way (``lecture.py``).
    Your own code may keep attributes on a Value (an optimizer's ``p.m``); copies
    and pickles keep them.
    """

    __slots__ = ("data", "grad", "label", "_fn", "_parents", "_locals", "_operands", "_seq",
                 "__dict__")  # fmt: skip

    def __init__(self, data: Number, _children: tuple = (), _op: str = "", label: str = ""):
        if type(label) is not str:
            raise TypeError(f"label must be a str, not {type(label).__name__}")
        self.data = number(data, "Value data")
        self.grad = 0.0
        self.label = label
        self._fn: Op | None = None
        self._parents: Sequence[Value] = ()
        self._locals: Sequence[float] = ()
        self._operands: Any = None
        self._seq = 0
        if _children or _op:  # a node made the micrograd lecture's way (lecture.py)
            self._lecture_init(_children, _op)  # type: ignore[attr-defined]

    # -- arithmetic: each operator applies one entry of the op table --------

    def __add__(self, other: Value | Number) -> Value:
        return apply(ops.ADD, self, other)

    def __radd__(self, other: Number) -> Value:
        return apply(ops.ADD, other, self)

    def __sub__(self, other: Value | Number) -> Value:
        return apply(ops.SUB, self, other)

    def __rsub__(self, other: Number) -> Value:
        return apply(ops.SUB, other, self)

    def __mul__(self, other: Value | Number) -> Value:
        return apply(ops.MUL, self, other)

    def __rmul__(self, other: Number) -> Value:
        return apply(ops.MUL, other, self)

    def __truediv__(self, other: Value | Number) -> Value:
        return apply(ops.DIV, self, other)

    def __rtruediv__(self, other: Number) -> Value:
        return apply(ops.RDIV, other, self)

    def __pow__(self, other: Value | Number, modulo: None = None) -> Value:
        if modulo is not None:
            raise TypeError("pow() with a modulus is not supported for Value")
        return apply(ops.POW if type(other) is Value else ops.POW_SCALAR, self, other)

    def __rpow__(self, other: Number) -> Value:
        return apply(ops.POW, other, self)

    def __neg__(self) -> Value:
        return apply(ops.NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return apply(ops.ABS, self)

    def exp(self) -> Value:
        """``e ** self``; ``inf`` on overflow, as in torch."""
        return apply(ops.EXP, self)

    def log(self) -> Value:
        """Natural log; ``-inf`` at 0 and ``nan`` below, as in torch."""
        return apply(ops.LOG, self)

    def sqrt(self) -> Value:
        """Square root; gradient ``inf`` at 0, ``nan`` below 0."""
        return apply(ops.SQRT, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return apply(ops.TANH, self)

    def sigmoid(self) -> Value:
        """Logistic sigmoid ``1 / (1 + exp(-x))``."""
        return apply(ops.SIGMOID, self)

    def relu(self) -> Value:
        """``max(0, x)``; gradient 0 at and below 0 (and 1 at nan), as in torch."""
        return apply(ops.RELU, self)

    def backward(self, grad: Number = 1.0) -> None:
        """Fill ``.grad`` of every node of this graph with d(self)/d(node), times ``grad``.

        Leaves accumulate (a second call adds the same amount again, like torch
        with ``retain_graph=True``); every other node's ``.grad`` is reset at
        the start of each call, so it holds this call's gradient. Interrupted
        (Ctrl-C, an error), it leaves every ``.grad`` as it was; calls in
        several threads run one at a time (chapter 3).
        """
        backward(self, number(grad, "backward grad"), _mode.hooks)

    def __repr__(self) -> str:
        parts = [f"data={self.data!r}", f"grad={self.grad!r}"]
        if self._fn is not None:
            parts.append(f"op={self._fn.symbol!r}")
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Value({', '.join(parts)})"

    def __float__(self) -> float:
        return self.data


def apply(op: Op, *operands: Value | Number) -> Value:
    """Compute ``op`` on its operands (Values or numbers) and record the node.

    The one path that makes a node: the forward on the numbers, then one
    local gradient per Value operand from the op's rules. An operand of
    another type gives NotImplemented (so Python raises its TypeError).
    """
    xs = []  # the operands' numbers
    for x in operands:
        if type(x) is Value:
            xs.append(x.data)
        elif type(x) is float or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
            xs.append(float(x))
        else:
            return NotImplemented
    d = op.forward(*xs)
    out = Value(d)
    hooks = _mode.hooks
    if hooks is not None and not hooks.record(op, xs, d):
        return out  # no_grad: a leaf
    parents, local_grads = [], []
    for x, rule in zip(operands, op.derivs):
        if type(x) is Value:
            parents.append(x)
            local_grads.append(rule(FLOAT, d, *xs))  # type: ignore[misc]
    out._fn = op
    out._parents = tuple(parents)
    out._locals = tuple(local_grads)
    if len(parents) < len(xs):  # some operands are numbers: keep them all, in order
        out._operands = tuple(x if type(x) is Value else n for x, n in zip(operands, xs))
    out._seq = next(_creation)
    return out
