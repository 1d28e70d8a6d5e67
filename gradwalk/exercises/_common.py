"""Shared pieces of the checkers: number formatting, the op table lookup, report styling."""

from __future__ import annotations

import html
import math
import numbers
from typing import Any

import autograd
from autograd import Op, Value

#: The built-in ops a learner may check or build graphs with, by name.
OP_NAMES = (
    "ADD",
    "SUB",
    "MUL",
    "DIV",
    "POW",
    "NEG",
    "EXP",
    "LOG",
    "SQRT",
    "TANH",
    "SIGMOID",
    "RELU",
)


def builtin_op(name: str) -> Op:
    """The engine's own op called ``name`` (``"tanh"``, ``"MUL"``...), for :func:`check_op`."""
    if type(name) is not str:
        raise TypeError(f"builtin_op: name must be a str, not {type(name).__name__}")
    key = name.upper()
    if key not in OP_NAMES:
        raise ValueError(f"builtin_op: unknown op {name!r}; known: {', '.join(OP_NAMES).lower()}")
    ops = getattr(autograd, "ops", None)
    if ops is None:
        try:
            import autograd.ops as ops  # type: ignore[no-redef]
        except ImportError:
            ops = None
    for table in (ops, getattr(autograd, "engine", None)):
        if table is None:
            continue
        by_name = getattr(table, "BY_NAME", None)
        if isinstance(by_name, dict) and isinstance(by_name.get(key.lower()), Op):
            return by_name[key.lower()]
        op = getattr(table, key, None)
        if isinstance(op, Op):
            return op
    raise LookupError(f"builtin_op: this version of autograd has no op {key}")


def real(x: object, what: str) -> float:
    """``x`` as a float if it is a real number (not a bool), else a TypeError naming it."""
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        try:
            return float(x)
        except OverflowError:
            raise ValueError(f"{what} is too large for a float (at most about 1.8e308)") from None
    if isinstance(x, Value):
        raise TypeError(f"{what} must be a number, not a Value (use .data)")
    raise TypeError(f"{what} must be a real number, not {type(x).__name__}: {x!r}")


def answer(x: object, what: str) -> tuple[float, str]:
    """A learner's number as a float, and a note when it is an odd one ("" if not).

    An int too large for a float becomes ±inf with a note saying so; nan and ±inf
    are kept, with a note. Anything but a real number is a TypeError naming it.
    """
    if isinstance(x, numbers.Integral) and not isinstance(x, bool):
        try:
            f = float(x)
        except OverflowError:
            big = int(x)
            digits = int(big.bit_length() * math.log10(2)) + 1
            return (
                math.inf if big > 0 else -math.inf,
                f"your answer (an int of about {digits} digits) is too large for a float "
                "(at most about 1.8e308)",
            )
    else:
        f = real(x, what)
    if math.isnan(f):
        return f, "your answer is nan (not a number): a gradient here is a finite number"
    if math.isinf(f):
        return f, f"your answer is {fmt(f)}: a gradient here is a finite number"
    return f, ""


def tolerances(rel_tol: object, abs_tol: object, who: str) -> tuple[float, float]:
    """``(rel_tol, abs_tol)`` as floats; a ValueError for one that would accept anything."""
    r, a = real(rel_tol, "rel_tol"), real(abs_tol, "abs_tol")
    if not (r >= 0.0 and a >= 0.0):
        raise ValueError(f"{who}tolerances must be >= 0, got rel_tol={r}, abs_tol={a}")
    if not (math.isfinite(r) and math.isfinite(a)):
        raise ValueError(
            f"{who}tolerances must be finite, got rel_tol={r}, abs_tol={a}: "
            "an infinite tolerance accepts any answer"
        )
    if r >= 1.0:
        raise ValueError(
            f"{who}rel_tol={r} accepts 0 for any answer; use a value below 1 (1e-6 by default)"
        )
    return r, a


def fmt(x: Any) -> str:
    """A number as a learner reads it: ``-4``, ``0.0821670406``, ``nan``."""
    if isinstance(x, str):
        return x
    if isinstance(x, tuple):
        return ", ".join(f"{k}={fmt(v)}" for k, v in zip("ab", x))
    x = float(x)
    if x == 0.0:
        return "0"
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.10g}"


def fmt_domain(domain: tuple[float, float]) -> str:
    return f"[{fmt(domain[0])}, {fmt(domain[1])}]"


def close(a: float, b: float, rel_tol: float, abs_tol: float) -> bool:
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


def html_block(
    ok: bool, title: str, lines: list[str], rows: list[list[str]], head: list[str]
) -> str:
    """A small self-contained HTML block: a coloured verdict, some lines, an optional table."""
    colour = "#1a7f37" if ok else "#cf222e"
    mark = "✓" if ok else "✗"
    out = [
        '<div style="font-family:sans-serif;font-size:14px;line-height:1.4">',
        f'<div style="color:{colour};font-weight:bold">{mark} {html.escape(title)}</div>',
    ]
    out += [f"<div>{html.escape(line)}</div>" for line in lines]
    if rows:
        cell = 'style="border:1px solid #ccc;padding:2px 8px;text-align:left"'
        out.append('<table style="border-collapse:collapse;margin-top:4px">')
        out.append("<tr>" + "".join(f"<th {cell}>{html.escape(h)}</th>" for h in head) + "</tr>")
        for row in rows:
            out.append("<tr>" + "".join(f"<td {cell}>{html.escape(c)}</td>" for c in row) + "</tr>")
        out.append("</table>")
    out.append("</div>")
    return "\n".join(out)
