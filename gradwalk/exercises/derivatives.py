"""Check a derivative rule against central differences at many points.

:func:`check_derivative` checks ``df`` against ``f``; :func:`check_op` checks
each operand's rule of an :class:`autograd.Op` against its ``forward``.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import Op, Value, no_grad

from ._common import fmt, fmt_domain, html_block, real, tolerances

#: Steps tried for the central difference, as fractions of max(1, |x|): the
#: first whose Richardson estimate is self-consistent is used.
_STEPS = (1e-3, 1e-4, 1e-5)
_SHOWN = 5  # failures listed in a report


@dataclass(frozen=True)
class PointFailure:
    """One point where the rule disagrees: ``x``, the numerical derivative, the rule's value."""

    x: float | tuple[float, ...]
    expected: float
    given: float | str


@dataclass
class DerivativeReport:
    """The outcome of :func:`check_derivative` (or one operand of :func:`check_op`).

    Truthy when the rule held at every point that could be checked (and at
    least one could). ``failures`` lists every bad point, in the order checked.
    """

    title: str
    domain: Any
    checked: int = 0
    failures: list[PointFailure] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    #: Where the points lie, as the verdict says it (default: ``in DOMAIN``; for points
    #: passed in, ``(the given points, in [LOW, HIGH])``).
    where: str = ""

    def __bool__(self) -> bool:
        return self.checked > 0 and not self.failures

    @property
    def first_failure(self) -> PointFailure | None:
        """The first bad point, or None."""
        return self.failures[0] if self.failures else None

    @property
    def hint(self) -> str:
        """A hint when every bad point's value is the same multiple of the right one
        (twice, half, the sign flipped), else ""."""
        ratios = [
            f.given / f.expected
            for f in self.failures
            if isinstance(f.given, float) and f.expected != 0.0 and math.isfinite(f.given)
        ]
        if not ratios or len(ratios) < len(self.failures):
            return ""
        for k, text in _MULTIPLES:
            if all(math.isclose(r, k, rel_tol=1e-6) for r in ratios):
                return text
        return ""

    def _verdict(self) -> str:
        where = self.where or f"in {self.domain}"
        if self.checked == 0:
            return f"{self.title}: no point {where} could be checked"
        if self.failures:
            return f"{self.title} is wrong at {len(self.failures)} of {self.checked} points {where}"
        return f"{self.title} holds at all {self.checked} points checked {where}"

    def _details(self) -> list[str]:
        lines = []
        bad = self.first_failure
        if bad is not None:
            lines.append(f"first bad point: {_failure_text(bad, ' (central differences)')}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        if self.skipped:
            why = ", ".join(f"{n} {reason}" for reason, n in self.skipped.items())
            lines.append(f"skipped {sum(self.skipped.values())} points ({why})")
        return lines

    def __str__(self) -> str:
        mark = "✓" if self else "✗"
        lines = [f"{mark} {self._verdict()}", *("  " + line for line in self._details())]
        for f in self.failures[1:_SHOWN]:
            lines.append(f"  {_failure_text(f)}")
        if len(self.failures) > _SHOWN:
            lines.append(f"  ... and {len(self.failures) - _SHOWN} more")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = [
            [fmt(f.x), "—" if _is_error(f) else fmt(f.expected), fmt(f.given)]
            for f in self.failures[:_SHOWN]
        ]
        return html_block(
            bool(self), self._verdict(), self._details(), rows, ["x", "expected", "given"]
        )


_MULTIPLES = (
    (2.0, "your value is twice the right one at every bad point: is a factor of 2 counted twice?"),
    (0.5, "your value is half the right one at every bad point: is a factor of 2 missing?"),
    (-1.0, "your value has the sign flipped at every bad point"),
    (-2.0, "your value is -2 times the right one at every bad point: a sign and a factor of 2"),
    (-0.5, "your value is -1/2 times the right one at every bad point: a sign and a factor of 2"),
)


def _is_error(f: PointFailure) -> bool:
    """True when the learner's function failed at ``f.x`` (no value to compare)."""
    return isinstance(f.given, str) and math.isnan(f.expected)


def _failure_text(f: PointFailure, how: str = "") -> str:
    """``x = 0.5: expected 1, given 2``, or ``x = 0.5: df(0.5) raised KeyError: 'w'``."""
    if _is_error(f):
        return f"x = {fmt(f.x)}: {f.given}"
    return f"x = {fmt(f.x)}: expected {fmt(f.expected)}{how}, given {fmt(f.given)}"


class LearnerError(Exception):
    """A learner's function raised something other than a domain error, or returned
    something that is not a number; the message names the function, the point and what
    happened (shown as feedback, never raised to the learner)."""


@dataclass
class OpReport:
    """The outcome of :func:`check_op`: one :class:`DerivativeReport` per operand."""

    op_name: str
    operands: list[tuple[str, DerivativeReport]]

    def __bool__(self) -> bool:
        return bool(self.operands) and all(r for _, r in self.operands)

    def __getitem__(self, operand: str) -> DerivativeReport:
        for name, report in self.operands:
            if name == operand:
                return report
        raise KeyError(f"op {self.op_name!r} has no checked operand {operand!r}")

    def __str__(self) -> str:
        mark = "✓" if self else "✗"
        verdict = "rules hold" if self else "rules are wrong"
        head = f"{mark} op {self.op_name!r}: derivative {verdict}"
        body = ["  " + line for _, r in self.operands for line in str(r).splitlines()]
        return "\n".join([head, *body])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        parts = [r._repr_html_() for _, r in self.operands]
        mark = "✓" if self else "✗"
        colour = "#1a7f37" if self else "#cf222e"
        title = f"{mark} op {self.op_name!r}"
        inner = "".join(f'<div style="margin-left:1em">{p}</div>' for p in parts)
        return f'<div><div style="color:{colour};font-weight:bold">{title}</div>{inner}</div>'


# ---------------------------------------------------------------- evaluation


class _Scalar:
    """A learner's function of one number, taking floats or, failing that, Values."""

    def __init__(self, fn: Callable[..., Any], what: str) -> None:
        if not callable(fn):
            raise TypeError(f"{what} must be a callable, not {type(fn).__name__}: {fn!r}")
        self.fn = fn
        self.what = what
        self.on_values: bool | None = None

    def __call__(self, x: float) -> float:
        """``fn(x)`` as a float; ArithmeticError/ValueError (outside f's domain) propagate,
        any other exception or a result that is not a number is a :class:`LearnerError`."""
        try:
            out = self._call(x)
        except (ArithmeticError, ValueError):
            raise
        except Exception as exc:
            raise LearnerError(f"{self.what}({fmt(x)}) raised {_exception(exc)}") from None
        if isinstance(out, Value):
            return out.data
        if isinstance(out, bool) or not isinstance(out, numbers.Real):
            raise LearnerError(
                f"{self.what}({fmt(x)}) returned {type(out).__name__} {out!r:.40}, not a number"
            )
        try:
            return float(out)
        except OverflowError:
            raise LearnerError(
                f"{self.what}({fmt(x)}) returned an int too large for a float"
            ) from None

    def _call(self, x: float) -> Any:
        if self.on_values is None:
            try:
                out = self.fn(x)
                self.on_values = False
            except (AttributeError, TypeError):
                with no_grad():
                    out = self.fn(Value(x))
                self.on_values = True
        elif self.on_values:
            with no_grad():
                out = self.fn(Value(x))
        else:
            out = self.fn(x)
        return out


def _exception(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


def _safe(g: Callable[[float], float], x: float) -> float:
    """``g(x)``, or nan outside ``g``'s domain (ArithmeticError, ValueError)."""
    try:
        y = g(x)
    except (ArithmeticError, ValueError):
        return math.nan
    except LearnerError:
        raise
    except Exception as exc:
        who = getattr(g, "what", "the function")
        raise LearnerError(f"{who}({fmt(x)}) raised {_exception(exc)}") from None
    return y


def _central(g: Callable[[float], float], x: float, h: float) -> float:
    return (_safe(g, x + h) - _safe(g, x - h)) / (2.0 * h)


def numerical_derivative(g: Callable[[float], float], x: float) -> tuple[float, str]:
    """d g/dx at ``x`` by Richardson-extrapolated central differences, or (nan, reason).

    Reasons: ``"not finite"`` (g is not finite near x), ``"kink"`` (the left
    and right one-sided slopes disagree), ``"unsteady"`` (no step gives a
    self-consistent estimate, e.g. next to a singularity).
    """
    fx = _safe(g, x)
    if not math.isfinite(fx):
        return math.nan, "not finite"
    scale = max(1.0, abs(x))
    reason = "not finite"
    for step in _STEPS:
        h = step * scale
        d1, d2, d4 = _central(g, x, h), _central(g, x, h / 2), _central(g, x, h / 4)
        if not all(math.isfinite(d) for d in (d1, d2, d4)):
            continue
        r1 = (4.0 * d2 - d1) / 3.0
        r2 = (4.0 * d4 - d2) / 3.0
        # one-sided slopes: for a smooth g their gap halves with the step, at a kink it stays
        gap = (_safe(g, x + h) - fx) / h - (fx - _safe(g, x - h)) / h
        gap2 = (_safe(g, x + h / 2) - fx) / (h / 2) - (fx - _safe(g, x - h / 2)) / (h / 2)
        size = max(1.0, abs(r2))
        if abs(gap) > 1e-6 * size and abs(gap2) > 0.75 * abs(gap):
            return math.nan, "kink"
        if abs(r1 - r2) <= 1e-6 * size:
            return r2, ""
        reason = "unsteady"
    return math.nan, reason


def _check_points(
    report: DerivativeReport,
    points: Iterable[Any],
    slice_at: Callable[[Any], tuple[Callable[[float], float], float]],
    given_at: Callable[[Any], float],
    rel_tol: float,
    abs_tol: float,
) -> DerivativeReport:
    for p in points:
        g, t = slice_at(p)
        try:
            expected, reason = numerical_derivative(g, t)
        except LearnerError as e:  # the learner's f is at fault: say so, at this point
            report.checked += 1
            report.failures.append(PointFailure(p, math.nan, str(e)))
            continue
        if reason:
            report.skipped[reason] = report.skipped.get(reason, 0) + 1
            continue
        report.checked += 1
        try:
            given: float = given_at(p)
        except LearnerError as e:
            report.failures.append(PointFailure(p, math.nan, str(e)))
            continue
        except (ArithmeticError, ValueError) as e:
            report.failures.append(PointFailure(p, expected, _exception(e)))
            continue
        except Exception as e:  # an Op's own rule: named like a learner's function
            report.failures.append(PointFailure(p, math.nan, f"the rule raised {_exception(e)}"))
            continue
        if not math.isfinite(given):
            report.failures.append(PointFailure(p, expected, given))
            continue
        if not math.isclose(given, expected, rel_tol=rel_tol, abs_tol=abs_tol):  # type: ignore[arg-type]
            report.failures.append(PointFailure(p, expected, given))
    return report


# ------------------------------------------------------------------ arguments


def _domain(domain: object) -> tuple[float, float]:
    if not isinstance(domain, Sequence) or isinstance(domain, str):
        raise TypeError(f"domain must be a pair (low, high), not {type(domain).__name__}")
    if len(domain) != 2:
        raise ValueError(f"domain must be a pair (low, high), got {len(domain)} items: {domain!r}")
    lo, hi = (real(d, "domain bound") for d in domain)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"domain bounds must be finite, got {domain!r}")
    if not lo < hi:
        raise ValueError(f"domain is empty: low must be below high, got {domain!r}")
    return lo, hi


def _spread(lo: float, hi: float, n: int, rng: random.Random) -> list[float]:
    """``n`` points across [lo, hi]: one at a random place in each of n equal cells."""
    width = (hi - lo) / n
    return [lo + (i + rng.random()) * width for i in range(n)]


def _count(points: object) -> int:
    if isinstance(points, bool) or not isinstance(points, int):
        raise TypeError(f"points must be an int or a sequence of numbers, not {points!r}")
    if points < 1:
        raise ValueError(f"points must be at least 1, got {points}")
    return points


def _tolerances(rel_tol: object, abs_tol: object) -> tuple[float, float]:
    return tolerances(rel_tol, abs_tol, "")


def _name(fn: Any, default: str) -> str:
    name = getattr(fn, "__name__", "")
    return default if not name or name == "<lambda>" else name


# --------------------------------------------------------------------- public


def check_derivative(
    f: Callable[[Any], Any],
    df: Callable[[Any], Any],
    *,
    domain: Sequence[float] = (-3.0, 3.0),
    points: int | Iterable[float] = 100,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-6,
    seed: int = 0,
) -> DerivativeReport:
    """Check that ``df`` is the derivative of ``f`` at many points across ``domain``.

    ``f`` and ``df`` take a float (``math.sin``) or a Value (``lambda x:
    x.tanh()``). With ``points=n`` (default 100) there is one point at a random
    place (fixed by ``seed``) in each of n equal cells of ``domain``; or pass
    the points themselves (``domain`` is then not used, and the report says
    where the given points lie). At each, ``df(x)`` must agree with a central
    difference of ``f`` within ``rel_tol`` or ``abs_tol``; points where ``f``
    is not finite or has a kink are skipped. The report is truthy when the
    rule holds and its text says where it fails; an exception raised by ``f``
    or ``df`` (other than a domain error of ``f``) or a result that is not a
    number is a failure at that point, named in the text, and a rule off by
    the same factor everywhere (twice, half, the sign) gets a hint.
    """
    fs, dfs = _Scalar(f, "f"), _Scalar(df, "df")
    rel, abs_ = _tolerances(rel_tol, abs_tol)
    lo, hi = _domain(domain)
    title = f"derivative of {_name(f, 'f')}"
    if isinstance(points, Iterable) and not isinstance(points, str):
        xs = [real(x, "a point") for x in points]
        if not xs:
            raise ValueError("points is empty")
        bad = [x for x in xs if not math.isfinite(x)]
        if bad:
            raise ValueError(f"points must be finite, got {bad[0]!r}")
        span = (min(xs), max(xs))
        report = DerivativeReport(title, fmt_domain(span), where=_given_points(xs))
    else:
        xs = _spread(lo, hi, _count(points), random.Random(seed))
        report = DerivativeReport(title, fmt_domain((lo, hi)))
    return _check_points(report, xs, lambda x: (fs, x), dfs, rel, abs_)


def _given_points(xs: list[float]) -> str:
    """Where the given points lie, for the verdict: ``(the given point 1e+308)``,
    ``(the given points, in [0, 2])``."""
    if len(xs) == 1:
        return f"(the given point {fmt(xs[0])})"
    return f"(the given points, in {fmt_domain((min(xs), max(xs)))})"


def _arity(op: Op) -> int:
    derivs = getattr(op, "derivs", None)
    if derivs is not None:
        return len(derivs)
    return max(1, len(op.formulas))


def check_op(
    op: Op,
    *,
    domain: Sequence[float] | Sequence[Sequence[float]] = (-3.0, 3.0),
    points: int = 100,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-6,
    seed: int = 0,
) -> OpReport:
    """Check each operand's derivative rule of ``op`` (``op.derivatives``) against ``op.forward``.

    Works for the engine's ops and for one made with ``Op.unary``. For an op
    of two operands, ``domain`` may give one (low, high) pair per operand; the
    points are spread over both. Operands that are always constants are not
    checked. Points where the forward is not finite or has a kink are skipped.
    """
    if not isinstance(op, Op):
        raise TypeError(f"check_op: op must be an autograd Op, not {type(op).__name__}: {op!r}")
    n = _arity(op)
    rel, abs_ = _tolerances(rel_tol, abs_tol)
    count = _count(points)
    if (
        isinstance(domain, Sequence)
        and len(domain) == n
        and all(isinstance(d, Sequence) and not isinstance(d, str) for d in domain)
    ):
        domains = [_domain(d) for d in domain]
    else:
        domains = [_domain(domain)] * n
    rng = random.Random(seed)
    columns = []
    for lo, hi in domains:
        column = _spread(lo, hi, count, rng)
        rng.shuffle(column)
        columns.append(column)
    pts = list(zip(*columns))
    derivs = getattr(op, "derivs", (True,) * n)
    names = "ab"
    reports = []
    for i in range(n):
        if derivs[i] is None:
            continue

        def slice_at(p: tuple[float, ...], i: int = i) -> tuple[Callable[[float], float], float]:
            def g(t: float) -> float:
                args = list(p)
                args[i] = t
                return float(op.forward(*args))

            g.what = f"{op.name}'s forward"  # type: ignore[attr-defined]
            return g, p[i]

        def given_at(p: tuple[float, ...], i: int = i) -> float:
            return float(op.derivatives(*p)[i])  # type: ignore[attr-defined]

        title = f"d({op.name})/d{names[i]}" if n > 1 else f"derivative of {op.name}"
        shown = " × ".join(fmt_domain(d) for d in domains) if n > 1 else fmt_domain(domains[0])
        report = DerivativeReport(title, shown)
        shown_pts = pts if n > 1 else [p[0] for p in pts]
        if n > 1:
            _check_points(report, pts, slice_at, given_at, rel, abs_)
        else:

            def slice_1(x: float) -> tuple[Callable[[float], float], float]:
                return slice_at((x,))

            def given_1(x: float) -> float:
                return given_at((x,))

            _check_points(report, shown_pts, slice_1, given_1, rel, abs_)
        reports.append((names[i], report))
    return OpReport(op.name, reports)
