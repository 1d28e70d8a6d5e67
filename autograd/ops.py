"""Chapter 1: the op table. Each operation: a forward, and one derivative rule per operand.

Every operation the engine knows is one :class:`Op` entry:

* ``forward``: a float function with PyTorch float64 semantics (``_math``
  returns inf/nan where Python's ``math`` would raise).
* ``derivs``: one rule per operand, ``rule(M, out, a, b)`` = d(out)/d(operand),
  where ``out`` is the result and ``a``, ``b`` the operands: the derivative,
  written once. ``M`` holds the few functions a rule needs (``M.log``,
  ``M.pow``...). With :data:`FLOAT` below, ``out``, ``a`` and ``b`` are numbers
  and the rule gives the local gradient that ``backward`` stores at forward
  time; with the graph namespace (chapter 6, ``higher.py``) they are Values and
  the very same rule builds a graph, which ``grad(..., create_graph=True)``
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
from ._exact import MASKED, divide_by, grouped, square

__all__ = ["BY_NAME", "FLOAT", "Op"]


class Op:
    """One operation: its float forward, one derivative rule per operand, and their formulas.

    Optional layers add to it: ``Op.unary`` and calling an op (``userops.py``),
    copies and pickles (``serial.py``).
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
        self.derivs = derivs  # one rule per operand; None for an operand that is always a number
        #: One display formula per operand, with ``{a}``, ``{b}``, ``{out}``; or a
        #: callable that makes it from the number operand (``a ** 3`` -> ``3·{a}²``).
        self.formulas = tuple(formulas)
        self.key = key  # the op's entry in BY_NAME ("" for an op made outside the table)

    def inputs_of(self, node: Any) -> tuple[Any, ...]:
        """The operands ``node`` was computed from, numbers included, in order."""
        return node._parents if node._operands is None else node._operands

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


class _FloatMath:
    """The float namespace: rules evaluated on numbers give the local gradients to store.

    Where torch computes a derivative in a particular way, the number returned
    is of a type from ``_exact`` that applies it that way (``g * local``).
    """

    div = staticmethod(_math.div)
    pow = staticmethod(_math.pow)
    pow_scalar = staticmethod(_math.pow_scalar)
    log = staticmethod(_math.log)
    sigmoid = staticmethod(_math.sigmoid)
    sign = staticmethod(_math.sign)
    square = staticmethod(square)  # 1 - square(y) is rounded once, as torch's fma
    one_over = staticmethod(divide_by)  # g * one_over(d) is g / d, as torch divides
    times = staticmethod(grouped)  # g * times(a, b) is (g * a) * b, torch's order
    divide_by = one_over

    @staticmethod
    def one_minus_square(y: float) -> float:
        return 1.0 - square(y)

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
    def float_rule(name: str, derivative: Callable[[float], float], a: float) -> float:
        return float(derivative(a))


#: The float namespace (the graph namespace is ``higher.GRAPH``).
FLOAT = _FloatMath()


# ------------------------------------------------------------------ the rules


def d_pow_base(M: Any, out: Any, a: Any, b: Any) -> Any:
    """d(a ** b)/da = b · a^(b−1); torch: 0 where b == 0, whatever the gradient."""
    if M.data(b) == 0.0:
        return M.masked(lambda: b * M.pow(a, b - 1.0))
    return b * M.pow(a, b - 1.0)


def d_pow_exponent(M: Any, out: Any, a: Any, b: Any) -> Any:
    """d(a ** b)/db = out · ln(a); torch: 0 (times the gradient) where a == 0 and b >= 0."""
    if M.data(a) == 0.0 and M.data(b) >= 0.0:
        return M.zero(lambda: out * M.log(a))
    return out * M.log(a)


def d_pow_number(M: Any, out: Any, a: Any, c: float) -> Any:
    """d(a ** c)/da = c · a^(c−1) for a number ``c``; torch: 0 for c == 0."""
    return MASKED if c == 0.0 else c * M.pow_scalar(a, c - 1.0)


def rdiv(c: float, t: float) -> float:
    """``c / t`` as torch evaluates a number divided by a tensor: ``reciprocal(t) * c``."""
    return _math.div(1.0, t) * c


def d_rdiv(M: Any, out: Any, c: float, t: Any) -> Any:
    """d(c / t)/dt = −c · (1/t)², applied as torch does: (g · −c) · r²."""
    r = M.div(1.0, t)
    return M.times(-c, r * r)


def d_relu(M: Any, out: Any, a: Any) -> Any:
    """1, but torch masks it where a <= 0 (0, even for an infinite gradient); 1 at nan."""
    return MASKED if M.data(a) <= 0.0 else 1.0


def power_formula(c: float) -> str:
    """d(a ** c)/da for a number ``c``, as a learner writes it: ``2·{a}``, ``3·{a}²``."""
    if c in (0.0, 1.0):
        return const_text(c)
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
# Op(name, symbol, forward, d(out)/da, d(out)/db, formulas=..., key=...)
# fmt: off

ADD = Op("add", "+", operator.add,
         lambda M, out, a, b: 1.0,
         lambda M, out, a, b: 1.0, formulas=("1", "1"), key="add")
SUB = Op("sub", "-", operator.sub,
         lambda M, out, a, b: 1.0,
         lambda M, out, a, b: -1.0, formulas=("1", "−1"), key="sub")
MUL = Op("mul", "*", operator.mul,
         lambda M, out, a, b: b,
         lambda M, out, a, b: a, formulas=("{b}", "{a}"), key="mul")
DIV = Op("div", "/", _math.div,
         lambda M, out, a, b: M.one_over(b),
         lambda M, out, a, b: -M.div(out, b), formulas=("1/{b}", "−{out}/{b}"), key="div")
RDIV = Op("div", "/", rdiv, None, d_rdiv, formulas=("", "−{a}/{b}²"), key="rdiv")  # number / Value
POW = Op("pow", "**", _math.pow, d_pow_base, d_pow_exponent,
         formulas=("{b}·{a}^({b}−1)", "{out}·ln({a})"), key="pow")
POW_SCALAR = Op("pow", "**", _math.pow_scalar, d_pow_number, None,
                formulas=(power_formula, ""), key="pow_scalar")
NEG = Op("neg", "-", operator.neg,
         lambda M, out, a: -1.0, formulas=("−1",), key="neg")
ABS = Op("abs", "abs", abs,
         lambda M, out, a: M.sign(M.data(a)), formulas=("sign({a})",), key="abs")
EXP = Op("exp", "exp", _math.exp,
         lambda M, out, a: out, formulas=("exp({a}) = {out}",), key="exp")
LOG = Op("log", "log", _math.log,
         lambda M, out, a: M.one_over(a), formulas=("1/{a}",), key="log")
SQRT = Op("sqrt", "sqrt", _math.sqrt,
          lambda M, out, a: M.one_over(2.0 * out), formulas=("1/(2·{out})",), key="sqrt")
TANH = Op("tanh", "tanh", _math.tanh,
          lambda M, out, a: 1.0 - M.square(out), formulas=("1 − {out}²",), key="tanh")
SIGMOID = Op("sigmoid", "σ", _math.sigmoid,
             lambda M, out, a: M.times(1.0 - out, out), formulas=("{out}·(1 − {out})",),
             key="sigmoid")
RELU = Op("relu", "relu", _math.relu, d_relu, formulas=("1 if {a} > 0 else 0",), key="relu")

# fmt: on

#: Every op of the table by its key (``serial.register`` adds one, for copies and pickles).
BY_NAME: dict[str, Op] = {
    op.key: op
    for op in (ADD, SUB, MUL, DIV, RDIV, POW, POW_SCALAR, NEG, ABS, EXP, LOG, SQRT, TANH,
               SIGMOID, RELU)
}  # fmt: skip
