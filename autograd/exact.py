"""Chapter 4: exactness. How a local gradient is applied so the result is torch's, bit for bit.

The engine stores one local gradient per edge and ``backward`` adds
``g * local``. A few local gradients are floats of their own type, so that
this product is what PyTorch computes: :data:`MASKED` (torch's ``where``),
:class:`DivideBy` (torch divides), :class:`Grouped` (torch multiplies by two
factors in turn) and :class:`Square` (tanh's ``1 - y²`` rounded once). They
live in ``_exact.py``, below chapters 1-3, which use them; read it there.
"""

from ._exact import (
    MASKED,
    DivideBy,
    Grouped,
    Square,
    contribution,
    divide_by,
    grouped,
    one_minus_square,
    plain,
    square,
)

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
