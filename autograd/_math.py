"""Float functions with PyTorch float64 semantics.

Python's ``math`` module raises where PyTorch returns ``inf`` or ``nan``
(``math.exp(1000)`` -> OverflowError, ``0.0 ** -1`` -> ZeroDivisionError,
``math.log(0)`` -> ValueError, ``(-2.0) ** 2.5`` -> a complex number). Every
function here returns what ``torch.float64`` returns instead, so no Python
arithmetic exception ever escapes the engine.
"""

from __future__ import annotations

import math

INF = math.inf
NAN = math.nan
_copysign = math.copysign
_pow = math.pow
_exp = math.exp
_log = math.log
_sqrt = math.sqrt


def div(a: float, b: float) -> float:
    """``a / b`` with IEEE semantics: ``1/0 = inf``, ``0/0 = nan``, signed zeros respected."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return NAN
        return _copysign(INF, a) * _copysign(1.0, b)


def _is_odd_integer(y: float) -> bool:
    return y == y and abs(y) != INF and y % 2.0 == 1.0


def pow(x: float, y: float) -> float:
    """C ``pow(x, y)`` (what ``torch.pow`` uses for a tensor exponent), never raising."""
    try:
        return _pow(x, y)
    except OverflowError:
        return -INF if x < 0.0 and _is_odd_integer(y) else INF
    except ValueError:
        if x == 0.0:  # zero to a negative power
            negative_zero = _copysign(1.0, x) < 0.0
            return -INF if negative_zero and _is_odd_integer(y) else INF
        return NAN  # negative base, non-integer exponent


def pow_scalar(x: float, c: float) -> float:
    """``x ** c`` for a number exponent, as torch's CPU kernel computes it.

    Torch special-cases a few exponents (sqrt for 0.5, products for 2 and 3,
    reciprocals for -0.5, -1, -2); they differ from C ``pow`` at ``-0.0`` and
    ``-inf`` (``pow(-inf, 0.5)`` is ``inf`` but ``sqrt(-inf)`` is ``nan``).
    """
    if c == 2.0:
        return x * x
    if c == 0.5:
        return sqrt(x)
    if c == 3.0:
        return x * x * x
    if c == -1.0:
        return div(1.0, x)
    if c == -0.5:
        return div(1.0, sqrt(x))
    if c == -2.0:
        return div(1.0, x * x)
    return pow(x, c)


def exp(x: float) -> float:
    """``e ** x``; ``inf`` on overflow."""
    try:
        return _exp(x)
    except OverflowError:
        return INF


def log(x: float) -> float:
    """Natural log: ``-inf`` at zero (either sign), ``nan`` below zero."""
    if x > 0.0 or x != x:
        return _log(x)
    return -INF if x == 0.0 else NAN


def sqrt(x: float) -> float:
    """Square root: ``nan`` below zero, ``-0.0`` stays ``-0.0``."""
    if x >= 0.0 or x != x:
        return _sqrt(x)
    return NAN


def tanh(x: float) -> float:
    """Hyperbolic tangent, correctly rounded to ``x`` itself for ``|x| < 1e-8``.

    There ``tanh(x) = x - x**3/3`` rounds to ``x`` (torch and NumPy return
    ``x``), but some C libraries return one ulp less, which a later
    ``x - tanh(x)`` would turn from 0 into a spurious tiny number.
    """
    if -1e-8 < x < 1e-8:
        return x
    return math.tanh(x)


def sigmoid(x: float) -> float:
    """``1 / (1 + exp(-x))``, saturating to exactly 0 and 1."""
    return 1.0 / (1.0 + exp(-x))


def relu(x: float) -> float:
    """``max(0, x)`` as torch computes it: ``relu(-0.0) = -0.0``, ``relu(nan) = nan``."""
    return 0.0 if x < 0.0 else x


def sign(x: float) -> float:
    """Sign as torch's ``abs`` backward uses it: 0 at zero and at nan."""
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return 0.0
