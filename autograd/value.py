"""Chapter 2: ``Value`` and node creation. A scalar, its gradient, and how it was made.

A ``Value`` made by hand is a leaf. An operation on Values makes a node with
the same fields, each meaning one thing for every node:

* ``data``, ``grad``, ``label``: the number, d(root)/d(this) after backward, a name.
* ``_fn``: the :class:`~autograd.ops.Op` that made it (None for a leaf).
* ``_p0``, ``_l0``: operand ``a`` if it is a Value, and d(out)/d(a); else None.
* ``_p1``, ``_l1``: operand ``b`` if it is a Value, and d(out)/d(b); else None.
* ``_const``: the operand that is a number (``3`` in ``x * 3``), else None.
* ``_pn``, ``_ln``: the parents and local gradients of a fused neuron (an
  op of many operands, ``dense``, chapter 5), else None. A dead relu neuron
  has parents but no local gradients: all are masked (it passes exact zeros).
* ``_operands``: for a fused neuron, the :class:`~autograd.fused.DenseCall` that
  made it (its weights, inputs and bias), else None.
* ``_seq``: creation order (``backward`` runs nodes in decreasing order, as torch).
* ``_mark``: the last walk that visited the node (chapter 3).

The local gradients are computed once, at forward time, by the op's rules on
floats. A node refers only to its parents: no closures and no cycles, so a
graph is freed by reference counting the moment it is dropped.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Sequence
from typing import Any

from .exact import contribution, plain
from .modes import AnomalyError, _state
from .ops import (
    ABS,
    ADD,
    DIV,
    EXP,
    FLOAT,
    LOG,
    MUL,
    NEG,
    POW,
    POW_SCALAR,
    RDIV,
    RELU,
    SIGMOID,
    SQRT,
    SUB,
    TANH,
    Op,
    const_text,
)

__all__ = ["Edge", "Value", "apply", "number"]

Number = float | int


def number(x: object, what: str) -> float:
    """``x`` as a plain float if it is a real number, else a TypeError naming its type."""
    if type(x) is float:
        return x  # type: ignore[return-value]
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)  # also turns a float subclass into a plain float
    if isinstance(x, Value):
        raise TypeError(f"{what} must be a real number, not a Value (use value.data)")
    raise TypeError(f"{what} must be a real number (int or float), not {type(x).__name__}")


def _operand(x: object) -> Value | float | None:
    """A binary op's other operand as a Value or a plain float; None if unsupported."""
    if type(x) is Value or type(x) is float:
        return x  # type: ignore[return-value]
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    return None


_new = object.__new__
_creation = itertools.count(1)


class Value:
    """A scalar in a computation graph: its ``data``, its ``grad`` and how it was made.

    ``Value(2.0, label="a")`` is a leaf. Arithmetic with Values (or numbers on
    either side) builds the graph; ``backward()`` fills ``.grad`` on every node.
    ``_children`` and ``_op`` make a node the micrograd lecture's way (``lecture.py``).
    Your own code may keep attributes on a Value (an optimizer's ``p.m``); copies
    and pickles keep them.
    """

    __slots__ = ("data", "grad", "label", "_fn", "_p0", "_l0", "_p1", "_l1", "_const", "_pn",
                 "_ln", "_operands", "_seq", "_mark", "__dict__")  # fmt: skip

    data: float
    grad: float
    label: str

    def __init__(self, data: Number, _children: tuple = (), _op: str = "", label: str = "") -> None:
        if type(label) is not str:
            raise TypeError(f"label must be a str, not {type(label).__name__}")
        self.data = number(data, "Value data")
        self.grad = 0.0
        self.label = label
        _make_leaf(self)
        if _children or _op:  # a node made the micrograd lecture's way (lecture.py)
            self._lecture_init(_children, _op)  # type: ignore[attr-defined]

    # -- arithmetic: each operator applies one entry of the op table --------

    def __add__(self, other: Value | Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else apply(ADD, self, o)

    def __radd__(self, other: Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else apply(ADD, o, self)

    def __sub__(self, other: Value | Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else apply(SUB, self, o)

    def __rsub__(self, other: Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else apply(SUB, o, self)

    def __mul__(self, other: Value | Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else apply(MUL, self, o)

    def __rmul__(self, other: Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else apply(MUL, o, self)

    def __truediv__(self, other: Value | Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else apply(DIV, self, o)

    def __rtruediv__(self, other: Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else apply(RDIV, o, self)

    def __pow__(self, other: Value | Number, modulo: None = None) -> Value:
        if modulo is not None:
            raise TypeError("pow() with a modulus is not supported for Value")
        o = _operand(other)
        if o is None:
            return NotImplemented
        return apply(POW, self, o) if type(o) is Value else apply(POW_SCALAR, self, o)

    def __rpow__(self, other: Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else apply(POW, o, self)

    def __neg__(self) -> Value:
        return apply(NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return apply(ABS, self)

    def exp(self) -> Value:
        """``e ** self``; ``inf`` on overflow, as in torch."""
        return apply(EXP, self)

    def log(self) -> Value:
        """Natural log; ``-inf`` at 0 and ``nan`` below, as in torch."""
        return apply(LOG, self)

    def sqrt(self) -> Value:
        """Square root; gradient ``inf`` at 0, ``nan`` below 0."""
        return apply(SQRT, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return apply(TANH, self)

    def sigmoid(self) -> Value:
        """Logistic sigmoid ``1 / (1 + exp(-x))``."""
        return apply(SIGMOID, self)

    def relu(self) -> Value:
        """``max(0, x)``; gradient 0 at and below 0 (and 1 at nan), as in torch."""
        return apply(RELU, self)

    # -- differentiation (chapter 3) -------------------------------------

    def backward(self, grad: Number = 1.0) -> None:
        """Fill ``.grad`` of every node of this graph with d(self)/d(node), times ``grad``.

        Leaves accumulate (a second call adds the same amount again, like torch
        with ``retain_graph=True``); every other node's ``.grad`` is reset at
        the start of each call, so it holds this call's gradient and no earlier
        call's gradient is ever propagated twice. Interrupted (Ctrl-C, an
        error), it leaves every ``.grad`` as it was; calls in several threads
        run one at a time.
        """
        from .backward import run_backward

        run_backward(self, number(grad, "backward grad"))

    # -- introspection -----------------------------------------------------

    @property
    def op(self) -> str:
        """The symbol of the operation that made this node; ``""`` for a leaf."""
        return self._fn.symbol if self._fn is not None else ""

    @property
    def op_name(self) -> str:
        """The operation's name (``"mul"``, ``"tanh"``); ``""`` for a leaf."""
        return self._fn.name if self._fn is not None else ""

    @property
    def is_leaf(self) -> bool:
        """True for a Value made by hand (or under ``no_grad``), not by an operation."""
        return self._fn is None

    @property
    def inputs(self) -> tuple[Value | float, ...]:
        """The operands this node was computed from, numbers included, in order.

        For a fused ``dense`` neuron: its weights, then its inputs, then its bias.
        """
        return () if self._fn is None else self._fn.inputs_of(self)

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values among :attr:`inputs` (each once, in order of first use)."""
        return tuple(dict.fromkeys(x for x in self.inputs if type(x) is Value))

    @property
    def edges(self) -> list[Edge]:
        """This node's Value operands as :class:`Edge` objects (local gradient, formula).

        One per operand position, in the order of :attr:`inputs` (``x * x`` has
        two). For a fused :func:`dense` neuron: ``w1, x1, w2, x2, ..., b``
        (inputs that are numbers have no edge).
        """
        if self._fn is None:
            return []
        return [Edge(self, *e) for e in self._fn.edges_of(self)]

    @property
    def local_grads(self) -> list[tuple[Value, float]]:
        """``(parent, d(self)/d(parent))`` for each edge, as plain floats, in order."""
        return [(e.parent, e.local) for e in self.edges]

    @property
    def dense_parts(self) -> tuple[Sequence[Value], tuple, Value | float] | None:
        """For a fused :func:`dense` neuron, its ``(weights, inputs, bias)``; else None."""
        return None if self._operands is None else self._operands.parts(self)

    def __repr__(self) -> str:
        parts = [f"data={self.data!r}", f"grad={self.grad!r}"]
        if self._fn is not None:
            parts.append(f"op={self._fn.symbol!r}")
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Value({', '.join(parts)})"

    def __float__(self) -> float:
        return self.data

    # -- copies and pickles (chapter 8, serial.py) ---------------------------

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        from .serial import deepcopy_graph

        return deepcopy_graph(self, memo)

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        from .serial import reduce_graph

        return reduce_graph(self)


# ---------------------------------------------------------------- node creation


def _make_leaf(out: Value) -> Value:
    out._fn = None
    out._p0 = out._l0 = out._p1 = out._l1 = out._const = None
    out._pn = out._ln = out._operands = None
    out._seq = 0
    out._mark = 0
    return out


def apply(op: Op, a: Value | float, b: Value | float | None = None) -> Value:
    """Compute ``op`` on a Value and a Value or float (unary when ``b`` is None); record the node.

    The one path that makes a node. Its guard, taken only inside ``no_grad``
    or ``detect_anomaly``, checks the forward result for a new nan and makes
    a leaf when no graph is recorded.
    """
    out = _new(Value)
    out.grad = 0.0
    out.label = ""
    out._mark = 0
    out._pn = out._ln = out._operands = None
    if b is None:
        ad = a.data  # type: ignore[union-attr]
        d = op.forward(ad)
        out.data = d
        if not _state.fast and _guard(op, (a,), d):
            return _make_leaf(out)
        out._fn = op
        out._p0 = a
        out._l0 = op.derivs[0](FLOAT, d, ad)  # type: ignore[misc]
        out._p1 = out._l1 = out._const = None
        out._seq = next(_creation)
        return out
    ta = type(a) is Value
    tb = type(b) is Value
    ad = a.data if ta else a  # type: ignore[union-attr]
    bd = b.data if tb else b  # type: ignore[union-attr]
    d = op.forward(ad, bd)
    out.data = d
    if not _state.fast and _guard(op, (a, b), d):
        return _make_leaf(out)
    out._fn = op
    if ta:
        out._p0 = a
        out._l0 = op.derivs[0](FLOAT, d, ad, bd)  # type: ignore[misc]
    else:
        out._p0 = out._l0 = None
    if tb:
        out._p1 = b
        out._l1 = op.derivs[1](FLOAT, d, ad, bd)  # type: ignore[misc]
    else:
        out._p1 = out._l1 = None
    out._const = None if ta and tb else (b if ta else a)
    out._seq = next(_creation)
    return out


def _guard(op: Op, args: tuple, d: float) -> bool:
    """Anomaly check of a forward result; True when no graph is recorded (make a leaf)."""
    if _state.anomaly and d != d and all(_data(x) == _data(x) for x in args):
        shown = ", ".join(repr(x) for x in args)
        raise AnomalyError(f"forward: {op.name}({shown}) produced nan from operands without nan")
    return not _state.grad_enabled


def _data(x: Value | float) -> float:
    return x.data if type(x) is Value else x  # type: ignore[union-attr, return-value]


def apply_checked(op: Op, args: Sequence[object]) -> Value:
    """``op(*args)`` from user code: check the operands, then :func:`apply`."""
    if len(args) != len(op.derivs):
        raise TypeError(f"op {op.name!r} takes {len(op.derivs)} operands, got {len(args)}")
    xs = [a if type(a) is Value else number(a, f"operand of {op.name}") for a in args]
    if not any(type(a) is Value for a in xs):
        raise TypeError(f"op {op.name!r} needs at least one Value operand")
    for a, rule in zip(xs, op.derivs):
        if rule is None and type(a) is Value:
            raise TypeError(f"op {op.name!r} takes a number, not a Value, there")
    return apply(op, *xs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- edges, for viewers


class _Names(dict):
    """Formula placeholders: a name not given shows as itself."""

    def __missing__(self, key: str) -> str:
        return key


class Edge:
    """One edge that ``backward`` walks: ``node`` passes gradient to ``parent``.

    ``local`` is d(node)/d(parent) as a plain float; :meth:`contribution`
    applies it to an incoming gradient exactly as ``backward`` does (torch's
    masking included: an infinite gradient through relu's dead side still
    gives 0); :meth:`formula` says it in symbols, e.g. ``1 − out²``.
    ``operand`` names the position: ``a``/``b`` (``w1``, ``x1``, ``b`` for a
    fused neuron).
    """

    __slots__ = ("node", "parent", "operand", "_local", "_template")

    def __init__(self, node: Value, parent: Value, local: Any, operand: str, template: str):
        self.node = node
        self.parent = parent
        self.operand = operand
        self._local = local
        self._template = template

    @property
    def local(self) -> float:
        """d(node)/d(parent) at this point, as a plain float."""
        return plain(self._local)

    def contribution(self, g: float) -> float:
        """What this edge adds to ``parent``'s gradient when ``node``'s gradient is ``g``."""
        return contribution(g, self._local)

    def formula(self, **names: str) -> str:
        """The local derivative as a formula; ``names`` replace the symbols (``a``, ``out``...).

        A number operand is filled in by default (``x * 3`` gives ``3`` for ``x``).
        """
        defaults = _Names(out="out")
        node = self.node
        if node._const is not None:
            defaults["a" if node._p0 is None else "b"] = const_text(node._const)
        defaults.update(names)
        return self._template.format_map(defaults)

    def __repr__(self) -> str:
        return f"Edge({self.operand}: local={self.local!r}, formula={self.formula()!r})"
