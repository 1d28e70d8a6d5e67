"""The command line's option types: each turns one argument's text into a value or
raises :class:`argparse.ArgumentTypeError` with a one-line reason (stdlib only).

Shared by every subcommand's parser (:mod:`gradwalk.cli`, :mod:`gradwalk.train`,
:mod:`gradwalk.moons`).
"""

from __future__ import annotations

import argparse
import math
import unicodedata
from collections.abc import Callable
from typing import TypeVar

from .text import printable

T = TypeVar("T")

__all__ = [
    "MAX_LAYER",
    "PRECISION_RANGE",
    "Formatter",
    "finite_float",
    "hidden_sizes",
    "integer",
    "names",
    "node_budget",
    "positive_float",
    "positive_int",
    "precision_digits",
    "unit_float",
]

#: The largest hidden layer ``--hidden`` accepts.
MAX_LAYER = 10_000
#: The decimals the drawings accept (the library's bounds).
PRECISION_RANGE = (0, 17)


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Help as written (examples keep their lines), options aligned at column 30."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30)


def names(text: str) -> tuple[str, ...]:
    """``x,w`` -> ``("x", "w")``: variable names for ``--wrt``."""
    names = tuple(unicodedata.normalize("NFKC", p.strip()) for p in text.split(","))
    bad = [n for n in names if not n.isidentifier()]
    if bad:
        raise argparse.ArgumentTypeError(f"not a variable name: {printable(bad[0][:60])!r}")
    return names


def hidden_sizes(text: str) -> tuple[int, ...]:
    """``32,16`` -> ``(32, 16)``: positive layer sizes, each at most :data:`MAX_LAYER`."""
    parts = [p.strip() for p in text.split(",")]
    try:
        sizes = tuple(int(p) for p in parts)
    except ValueError:
        sizes = ()
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(
            "expected comma-separated positive layer sizes such as 32,16, "
            f"got {printable(text[:60])!r}"
        )
    if max(sizes) > MAX_LAYER:
        raise argparse.ArgumentTypeError(
            f"layer size {max(sizes):,} is too large: at most {MAX_LAYER:,} units per layer"
        )
    if len(sizes) > 100:
        raise argparse.ArgumentTypeError(f"{len(sizes)} hidden layers: at most 100")
    return sizes


def _parsed(text: str, convert: Callable[[str], T], ok: Callable[[T], bool], expected: str) -> T:
    """``convert(text)`` if it parses and passes ``ok``; else the one-line reason."""
    try:
        value = convert(text)
    except ValueError:
        pass
    else:
        if ok(value):
            return value
    raise argparse.ArgumentTypeError(f"expected {expected}, got {printable(text[:60])!r}")


def positive_int(text: str) -> int:
    """An integer of at least 1."""
    return _parsed(text, int, lambda n: n >= 1, "a positive integer")


def node_budget(text: str) -> int:
    """A number of values to draw: 0 (no limit) or more."""
    return _parsed(text, int, lambda n: n >= 0, "a number of values, 0 for no limit")


def integer(text: str) -> int:
    """Any integer."""
    return _parsed(text, int, lambda n: True, "an integer")


def positive_float(text: str) -> float:
    """A finite number above 0."""
    return _parsed(text, float, lambda x: x > 0 and math.isfinite(x), "a positive number")


def unit_float(text: str) -> float:
    """A number in [0, 1)."""
    return _parsed(text, float, lambda x: 0.0 <= x < 1.0, "a number in [0, 1)")


def finite_float(text: str) -> float:
    """Any finite number."""
    return _parsed(text, float, math.isfinite, "a finite number")


def precision_digits(text: str) -> int:
    """A number of decimals within :data:`PRECISION_RANGE`."""
    lo, hi = PRECISION_RANGE
    return _parsed(
        text, int, lambda n: lo <= n <= hi, f"a whole number of decimals from {lo} to {hi}"
    )
