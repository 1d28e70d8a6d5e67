"""Exactness: how a local gradient is applied so the result is torch's, bit for bit.

``backward`` adds ``g * local`` for each edge. For most ops that product is
what PyTorch computes too, but not for all of them, and under cancellation a
one-ulp difference can become a different number altogether. The local
gradients below are floats (so they print, compare and multiply as the local
derivative), but a few of them change what ``g * local`` computes:

* :data:`MASKED`, where torch masks a gradient with ``where`` (relu at or below
  0, the base of ``x ** 0``): ``g * MASKED`` is ``g * 0.0`` for a finite ``g``
  and an exact zero when ``g`` is inf or nan, where ``inf * 0`` would be nan.
* :class:`DivideBy`, where torch divides (``grad / x`` for log and division,
  ``grad / (2 * out)`` for sqrt): ``g * local`` computes ``g / d``.
* :class:`Grouped`, where torch multiplies by two factors in a given order
  (``(grad * (1 - y)) * y`` for sigmoid, ``(-(grad * c)) * r²`` for ``c / x``):
  ``g * local`` computes ``(g * a) * b``.
* :class:`Square`, tanh's ``y²`` in ``1 - y²``: ``1 - Square(y)`` is rounded
  once, as torch's fused multiply-add gives it, instead of twice (which
  cancels near saturation).

The engine's chapters 1-3 import this module; it imports only ``_math``.

A user never sees these types: ``Value.local_grads`` and ``Edge.local`` give
plain floats.
"""

from __future__ import annotations

from typing import Any

from . import _math

__all__ = [
    "MASKED",
    "DivideBy",
    "Grouped",
    "Square",
    "contribution",
    "divide_by",
    "grouped",
    "one_minus_square",
    "plain",
    "square",
]


class _Masked(float):
    """The type of :data:`MASKED`: a float 0.0 recognised by identity, never made from data."""

    __slots__ = ()

    def __rmul__(self, g: float) -> float:  # type: ignore[override]
        return g * 0.0 if g - g == 0.0 else 0.0  # inf or nan through a masked edge: exactly 0

    __mul__ = __rmul__  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "MASKED"

    def __reduce__(self) -> str:
        return "MASKED"  # the one instance, by name: identity survives copies and pickles

    def __copy__(self) -> _Masked:
        return self

    def __deepcopy__(self, memo: dict) -> _Masked:
        return self


#: The local gradient of an operand that PyTorch masks with ``where``: it
#: multiplies like 0.0, except that it gives exactly 0 for an infinite or nan
#: incoming gradient. A number a user passes in is converted to a plain float, so
#: data can never be mistaken for it.
MASKED: float = _Masked(0.0)


class DivideBy(float):
    """A local gradient ``1/d`` that divides when applied: ``g * local`` is ``g / d``."""

    __slots__ = ("divisor",)
    divisor: float

    def __rmul__(self, g: float) -> float:  # type: ignore[override]
        return _math.div(g, self.divisor)

    __mul__ = __rmul__  # type: ignore[assignment]


def divide_by(d: float) -> DivideBy:
    """The local gradient ``1/d``, applied as torch applies it: ``g / d``."""
    r = float.__new__(DivideBy, _math.div(1.0, d))
    r.divisor = d
    return r


class Grouped(float):
    """A local gradient ``a * b`` applied in torch's order: ``g * local`` is ``(g * a) * b``."""

    __slots__ = ("a", "b")
    a: float
    b: float

    def __rmul__(self, g: float) -> float:  # type: ignore[override]
        return (g * self.a) * self.b

    __mul__ = __rmul__  # type: ignore[assignment]


def grouped(a: float, b: float) -> Grouped:
    """The local gradient ``a * b``, applied as ``(g * a) * b``."""
    r = float.__new__(Grouped, a * b)
    r.a = a
    r.b = b
    return r


def contribution(g: float, local: Any) -> float:
    """What one edge adds to its parent's gradient: ``g * local`` (the types above do the rest)."""
    return g * local


def plain(local: Any) -> float:
    """A local gradient as the plain float a user sees (what it multiplies like)."""
    return float(local)


_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp's splitter for float64


class Square(float):
    """``y * y`` that remembers ``y``: ``1 - Square(y)`` is tanh's ``1 - y²`` rounded once."""

    __slots__ = ("y",)
    y: float

    def __rsub__(self, one: float) -> float:  # type: ignore[override]
        return one_minus_square(self.y) if one == 1.0 else one - float(self)


def square(y: float) -> Square:
    """``y²``, kept so that ``1 - square(y)`` is rounded once."""
    r = float.__new__(Square, y * y)
    r.y = y
    return r


def one_minus_square(y: float) -> float:
    """``1 - y*y`` rounded once (as with a fused multiply-add), for tanh's gradient.

    ``y*y`` is split exactly into ``p + e`` (Dekker's product); for ``|y|``
    near 1, ``1 - p`` is exact (Sterbenz), so subtracting ``e`` rounds once.
    A plain ``1 - y*y`` rounds ``y*y`` first, which near saturation cancels
    to millions of ulps.
    """
    p = y * y
    t = _SPLIT * y
    hi = t - (t - y)
    lo = y - hi
    e = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo
    s = 1.0 - p
    back = s - 1.0
    err = (1.0 - (s - back)) + (-p - back)  # 1 - p == s + err exactly (Knuth's two-sum)
    return s + (err - e)
