"""Ops of your own: ``Op.unary``, calling an op on Values, and ``Op.derivatives``.

An op of the table is applied by ``Value``'s operators. An op you make is
applied by calling it, ``my_op(v)``, which checks the operands first and then
makes the node the one way every node is made (``value.apply``)::

    cube = Op.unary("cube", lambda x: x ** 3, lambda x: 3 * x ** 2, formula="3·{a}²")
    y = cube(Value(2.0))      # a node like any other: backward, grad, the players
    serial.register(cube, "cube")   # only to copy or pickle graphs that use it

This module adds those methods to :class:`~autograd.ops.Op`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .ops import FLOAT, Op
from .value import Value, apply, number

__all__ = ["apply_checked", "derivatives", "unary"]

Number = float | int


def apply_checked(op: Op, args: Sequence[object]) -> Value:
    """``op(*args)`` from user code: check the operands, then ``value.apply``."""
    if len(args) != len(op.derivs):
        raise TypeError(f"op {op.name!r} takes {len(op.derivs)} operands, got {len(args)}")
    xs = [a if type(a) is Value else number(a, f"operand of {op.name}") for a in args]
    if not any(type(a) is Value for a in xs):
        raise TypeError(f"op {op.name!r} needs at least one Value operand")
    for a, rule in zip(xs, op.derivs):
        if rule is None and type(a) is Value:
            raise TypeError(f"op {op.name!r} takes a number, not a Value, there")
    return apply(op, *xs)  # type: ignore[no-any-return]


def _call(self: Op, *args: Any) -> Any:
    """Apply this op to Values or numbers (at least one Value) and record the node."""
    return apply_checked(self, args)


def derivatives(self: Op, *args: Number) -> tuple[float, ...]:
    """The local gradients d(out)/d(args[i]) at numbers, as ``backward`` stores them.

    Plain floats; 0.0 for an operand that is always a number.
    """
    if len(args) != len(self.derivs):
        raise TypeError(f"op {self.name!r} takes {len(self.derivs)} operands, got {len(args)}")
    xs = [number(a, f"operand of {self.name}") for a in args]
    out = self.forward(*xs)
    return tuple(0.0 if d is None else float(d(FLOAT, out, *xs)) for d in self.derivs)


def unary(
    cls: type[Op],
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


Op.__call__ = _call  # type: ignore[method-assign]
Op.derivatives = derivatives  # type: ignore[attr-defined]
Op.unary = classmethod(unary)  # type: ignore[attr-defined]
