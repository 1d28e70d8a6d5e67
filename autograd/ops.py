"""Chapter 1: the op table. Each operation: a forward, one derivative rule per operand, a formula.

Read this first. Every operation the engine knows is one :class:`Op` entry:

* ``forward``: a float function with PyTorch float64 semantics (``_math``
  returns inf/nan where Python's ``math`` would raise).
* ``derivs``: one rule per operand, ``rule(M, out, a, b)`` = d(out)/d(operand),
  where ``out`` is the result and ``a``, ``b`` the operands. The rule is
  written once against a small math namespace ``M``: with :data:`FLOAT`
  (below) it returns a number, the local gradient that ``backward`` stores at
  forward time; with the graph namespace (chapter 6, ``higher.py``) the very
  same rule returns a ``Value``, which ``grad(..., create_graph=True)``
  differentiates again. ``None`` marks an operand that is always a number.
* ``formulas``: the derivative as a learner writes it (``1 − {out}²``), for
  the players to show next to the numbers.

``ADD``, ``MUL``, ``TANH``... are the table's entries; ``Value``'s operators
apply them (chapter 2, ``value.py``). ``BY_NAME`` maps each entry's key to it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from . import _math
from .exact import MASKED, divide_by, grouped, one_minus_square

__all__ = ["BY_NAME", "FLOAT", "Op"]

Number = float | int


class Op:
    """One operation: its float forward, one derivative rule per operand, and their formulas.

    Calling an op applies it to Values (or numbers, at least one a Value) and
    records the node: ``TANH(v)`` is ``v.tanh()``. The node-layout hooks
    (:meth:`inputs_of`, :meth:`edges_of`, :meth:`graph_rule`) read a node
    made by :func:`autograd.value.apply`; the fused neuron (``fused.py``)
    overrides them for its own layout.
    """

    __slots__ = ("name", "symbol", "forward", "derivs", "formulas", "key")

    def __init__(
        self,
        name: str,
        symbol: str,
        forward: Callable[..., float],
        *derivs: Callable[..., Any] | None,
        formulas: Sequence[str | Callable[[float], str]] = (),
        key: str = "",
    ) -> None:
        self.name = name
        self.symbol = symbol
        self.forward = forward
        #: One rule per operand; None for an operand that is always a number.
        self.derivs = derivs
        #: One display formula per operand for d(out)/d(operand), written with
        #: ``{a}``, ``{b}`` for the operands and ``{out}`` for the result; or a
        #: callable that makes it from the number operand (``a ** 3`` -> ``3·{a}²``).
        self.formulas = tuple(formulas)
        #: The op's entry in :data:`BY_NAME` ("" for an op made outside the table).
        self.key = key

    def __call__(self, *args: Any) -> Any:
        """Apply this op to Values or numbers (at least one Value) and record the node."""
        from .value import apply_checked  # chapter 2 builds on this one

        return apply_checked(self, args)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        if not self.key or BY_NAME.get(self.key) is not self:
            raise TypeError(
                f"op {self.name!r} is not in the op table, so a graph using it cannot be copied "
                "or pickled; add it with autograd.ops.register(op, key)"
            )
        return (_lookup, (self.key,))

    def derivatives(self, *args: Number) -> tuple[float, ...]:
        """The local gradients d(out)/d(args[i]) at numbers, as ``backward`` stores them.

        Plain floats; 0.0 for an operand that is always a number.
        """
        from .value import number

        if len(args) != len(self.derivs):
            raise TypeError(f"op {self.name!r} takes {len(self.derivs)} operands, got {len(args)}")
        xs = [number(a, f"operand of {self.name}") for a in args]
        out = self.forward(*xs)
        return tuple(0.0 if d is None else float(d(FLOAT, out, *xs)) for d in self.derivs)

    @classmethod
    def unary(
        cls,
        name: str,
        forward: Callable[[float], float],
        derivative: Callable[[float], float],
        *,
        symbol: str = "",
        formula: str = "",
    ) -> Op:
        """An op of one operand from two float functions: ``forward(x)`` and ``derivative(x)``.

        ``op(v)`` applies it to a Value and ``backward`` uses ``derivative``.
        Such an op has no graph rule, so ``grad(..., create_graph=True)``
        through it raises a TypeError. ``formula`` shows the derivative, with
        ``{a}`` for the operand (``"cos({a})"``).
        """
        if not callable(forward) or not callable(derivative):
            raise TypeError("Op.unary: forward and derivative must be callables")

        def rule(M: Any, out: Any, a: Any) -> Any:
            return M.float_rule(name, derivative, a)

        return cls(name, symbol or name, lambda x: float(forward(x)), rule, formulas=(formula,))

    # -- node layout hooks (see value.py; the fused neuron overrides them) ------

    def inputs_of(self, node: Any) -> tuple[Any, ...]:
        """The operands ``node`` was computed from, numbers included, in order."""
        p0, p1 = node._p0, node._p1
        if len(self.derivs) == 1:
            return (p0,)
        return (node._const if p0 is None else p0, node._const if p1 is None else p1)

    def edges_of(self, node: Any) -> list[tuple[Any, Any, str, str]]:
        """``(parent, stored local, operand name, formula)`` for each Value operand."""
        edges = []
        if node._p0 is not None:
            edges.append((node._p0, node._l0, "a", self.formula(node, 0)))
        if node._p1 is not None:
            edges.append((node._p1, node._l1, "b", self.formula(node, 1)))
        return edges

    def formula(self, node: Any, i: int) -> str:
        """The display formula of d(out)/d(operand i) (a callable entry gets the number operand)."""
        f = self.formulas[i] if i < len(self.formulas) else ""
        return f(node._const) if callable(f) else f

    def graph_rule(self, node: Any, M: Any) -> list[tuple[Any, Any]]:
        """``(parent, local gradient under namespace M)`` for each Value operand of ``node``."""
        args = self.inputs_of(node)
        return [
            (x, d(M, node, *args))
            for x, d in zip(args, self.derivs)
            if d is not None and x is not None and not isinstance(x, float)
        ]


class _FloatMath:
    """The float namespace: rules evaluated on numbers give the local gradients to store."""

    divide_by = staticmethod(divide_by)
    div = staticmethod(_math.div)
    pow = staticmethod(_math.pow)
    pow_scalar = staticmethod(_math.pow_scalar)
    log = staticmethod(_math.log)
    sigmoid = staticmethod(_math.sigmoid)
    one_minus_square = staticmethod(one_minus_square)

    @staticmethod
    def data(x: float) -> float:
        return x

    @staticmethod
    def masked(expr: Callable[[], Any]) -> float:
        """torch's ``where(cond, 0, grad * expr)``: exactly 0 whatever the incoming gradient."""
        return MASKED

    @staticmethod
    def zero(expr: Callable[[], Any]) -> float:
        """torch's ``grad * where(cond, 0, expr)``: a plain 0 (so ``inf * 0`` is nan)."""
        return 0.0

    @staticmethod
    def times(a: float, b: float) -> float:
        """``a * b``, applied to an incoming gradient as ``(g * a) * b`` (torch's order)."""
        return grouped(a, b)

    @staticmethod
    def float_rule(name: str, derivative: Callable[[float], float], a: float) -> float:
        return float(derivative(a))


#: The float namespace (the graph namespace is ``higher.GRAPH``).
FLOAT = _FloatMath()


# ------------------------------------------------------------------ the rules


def _d_pow_scalar(M: Any, out: Any, x: Any, c: float) -> Any:
    # torch: zeros for a zero exponent, else grad * (c * x ** (c - 1))
    return MASKED if c == 0.0 else c * M.pow_scalar(x, c - 1.0)


def _d_pow_base(M: Any, out: Any, x: Any, y: Any) -> Any:
    # torch: where(y == 0, 0, grad * (y * x ** (y - 1)))
    if M.data(y) == 0.0:
        return M.masked(lambda: y * M.pow(x, y - 1.0))
    return y * M.pow(x, y - 1.0)


def _d_pow_exponent(M: Any, out: Any, x: Any, y: Any) -> Any:
    # torch: grad * where(x == 0 & y >= 0, 0, out * log(x))
    if M.data(x) == 0.0 and M.data(y) >= 0.0:
        return M.zero(lambda: out * M.log(x))
    return out * M.log(x)


def _rdiv(c: float, t: float) -> float:
    """``c / t`` as torch evaluates a number divided by a tensor: ``reciprocal(t) * c``."""
    return _math.div(1.0, t) * c


def _d_rdiv(M: Any, out: Any, c: float, t: Any) -> Any:
    # torch: reciprocal's backward -grad * r², after mul's grad * c: (g * -c) * r²
    r = M.div(1.0, t)
    return M.times(-c, r * r)


def power_formula(c: float) -> str:
    """d(a ** c)/da for a number ``c``, as a learner writes it: ``2·{a}``, ``3·{a}²``."""
    if c == 0.0:
        return "0"
    if c == 1.0:
        return "1"
    if c == 2.0:
        return "2·{a}"
    square_or_cube = {3.0: "²", 4.0: "³"}.get(c)
    if square_or_cube is not None:
        return f"{const_text(c)}·{{a}}{square_or_cube}"
    return f"{const_text(c)}·{{a}}^{const_text(c - 1.0)}"


def const_text(x: float) -> str:
    """A number operand as a formula shows it: ``3`` for 3.0, else its repr."""
    return str(int(x)) if x == x and abs(x) < 1e15 and x == int(x) else repr(x)


# ------------------------------------------------------------------ the table

ADD = Op("add", "+", operator.add, lambda M, o, a, b: 1.0, lambda M, o, a, b: 1.0,
         formulas=("1", "1"), key="add")  # fmt: skip
SUB = Op("sub", "-", operator.sub, lambda M, o, a, b: 1.0, lambda M, o, a, b: -1.0,
         formulas=("1", "−1"), key="sub")  # fmt: skip
MUL = Op("mul", "*", operator.mul, lambda M, o, a, b: b, lambda M, o, a, b: a,
         formulas=("{b}", "{a}"), key="mul")  # fmt: skip
DIV = Op("div", "/", _math.div, lambda M, o, a, b: M.divide_by(b), lambda M, o, a, b: -M.div(o, b),
         formulas=("1/{b}", "−{out}/{b}"), key="div")  # fmt: skip
RDIV = Op("div", "/", _rdiv, None, _d_rdiv,
          formulas=("", "−{a}/{b}²"), key="rdiv")  # fmt: skip  # number / Value
POW = Op("pow", "**", _math.pow, _d_pow_base, _d_pow_exponent,
         formulas=("{b}·{a}^({b}−1)", "{out}·ln({a})"), key="pow")  # fmt: skip
POW_SCALAR = Op("pow", "**", _math.pow_scalar, _d_pow_scalar, None,
                formulas=(power_formula, ""), key="pow_scalar")  # fmt: skip
NEG = Op("neg", "-", operator.neg, lambda M, o, a: -1.0, formulas=("−1",), key="neg")
ABS = Op("abs", "abs", abs, lambda M, o, a: _math.sign(M.data(a)),
         formulas=("sign({a})",), key="abs")  # fmt: skip
EXP = Op("exp", "exp", _math.exp, lambda M, o, a: o, formulas=("exp({a}) = {out}",), key="exp")
LOG = Op("log", "log", _math.log, lambda M, o, a: M.divide_by(a), formulas=("1/{a}",), key="log")
SQRT = Op("sqrt", "sqrt", _math.sqrt, lambda M, o, a: M.divide_by(2.0 * o),
          formulas=("1/(2·{out})",), key="sqrt")  # fmt: skip
TANH = Op("tanh", "tanh", _math.tanh, lambda M, o, a: M.one_minus_square(o),
          formulas=("1 − {out}²",), key="tanh")  # fmt: skip
SIGMOID = Op("sigmoid", "σ", _math.sigmoid, lambda M, o, a: M.times(1.0 - o, o),
             formulas=("{out}·(1 − {out})",), key="sigmoid")  # fmt: skip
RELU = Op("relu", "relu", _math.relu, lambda M, o, a: MASKED if M.data(a) <= 0.0 else 1.0,
          formulas=("1 if {a} > 0 else 0",), key="relu")  # fmt: skip

#: Every op of the table by its key; :func:`register` adds one (for copies and pickles).
BY_NAME: dict[str, Op] = {
    op.key: op
    for op in (ADD, SUB, MUL, DIV, RDIV, POW, POW_SCALAR, NEG, ABS, EXP, LOG, SQRT, TANH, SIGMOID,
               RELU)
}  # fmt: skip


def register(op: Op, key: str) -> Op:
    """Add ``op`` to :data:`BY_NAME` as ``key``, so graphs using it can be copied and pickled."""
    if not isinstance(op, Op):
        raise TypeError(f"register: op must be an Op, not {type(op).__name__}")
    if not isinstance(key, str) or not key:
        raise TypeError("register: key must be a non-empty str")
    if key in BY_NAME and BY_NAME[key] is not op:
        raise ValueError(f"register: key {key!r} is taken by {BY_NAME[key]!r}")
    op.key = key
    BY_NAME[key] = op
    return op


def _lookup(key: str) -> Op:
    """The op registered under ``key`` (unpickling)."""
    try:
        return BY_NAME[key]
    except KeyError:
        raise ValueError(f"no op {key!r} in the op table (register it before loading)") from None
