"""Check backward gradients against central differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .higher import grad
from .modes import no_grad
from .value import Value
from .value import number as _number

__all__ = ["GradcheckError", "gradcheck"]


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` with one line per mismatching input."""


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Value | float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare ``f``'s backward gradients with central differences ``(f(x+h) - f(x-h)) / 2h``.

    ``f`` takes one Value per input and returns a Value. A gradient passes
    when ``|analytic - numeric| <= atol + rtol * |numeric|``. Returns True
    when all pass; otherwise raises :class:`GradcheckError` listing every
    mismatch (or returns False with ``raise_exception=False``).
    """
    if not callable(f):
        raise TypeError(f"gradcheck: f must be callable, not {type(f).__name__}")
    if isinstance(inputs, (Value, int, float)):
        raise TypeError("gradcheck: inputs must be a sequence of numbers or Values")
    points = [x.data if type(x) is Value else _number(x, "gradcheck input") for x in inputs]
    labels = [
        x.label if type(x) is Value and x.label else f"input {i}" for i, x in enumerate(inputs)
    ]

    leaves = [Value(x) for x in points]
    out = f(*leaves)
    if type(out) is not Value:
        raise TypeError(f"gradcheck: f must return a Value, not {type(out).__name__}")
    analytic = [g.data for g in grad(out, leaves)]

    problems = []
    for i, x in enumerate(points):
        with no_grad():
            up = f(*[Value(x + eps if j == i else p) for j, p in enumerate(points)]).data
            down = f(*[Value(x - eps if j == i else p) for j, p in enumerate(points)]).data
        numeric = (up - down) / (2 * eps)
        a = analytic[i]
        if not abs(a - numeric) <= atol + rtol * abs(numeric):
            problems.append(
                f"  {labels[i]} = {x!r}: backward gives {a!r}, central difference gives "
                f"{numeric!r} (difference {a - numeric:.3g})"
            )
    if problems and raise_exception:
        raise GradcheckError(
            f"gradcheck: {len(problems)} of {len(points)} gradients disagree "
            f"(eps={eps}, atol={atol}, rtol={rtol}):\n" + "\n".join(problems)
        )
    return not problems
