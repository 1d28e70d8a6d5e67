"""Helpers shared by the tests: float comparison with torch semantics, torch leaves,
assertion messages, the hypothesis strategy for floats of the whole float64 domain, and
the ``gradwalk`` command line run as a subprocess."""

from __future__ import annotations

import html
import math
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from hypothesis import strategies as st

REL = 1e-12
ABS = 1e-12


def close(a: float, b: float, rel: float = REL, abs_: float = ABS, scale: float = 1.0) -> bool:
    """True if ``a`` and ``b`` agree: nan == nan, equal infinities, +0.0 == -0.0, else isclose.

    ``scale`` widens only the *absolute* tolerance, to ``abs_ * max(1, scale)``; pass the
    magnitude of the largest intermediate when a result comes from a cancellation. Why:
    torch's exp, log, tanh, pow (and even sqrt) are not correctly rounded, so an
    intermediate of magnitude ``M`` may differ from the engine's by an ulp, ``M * 2**-52``;
    ``exp(x) - y`` with ``y`` close to ``exp(x)`` turns that into an absolute error of about
    ``M * 2e-16`` on a small result, which no relative tolerance absorbs. ``1e-12 * M`` is
    ~4500 ulps of ``M``: far above rounding noise, far below a wrong derivative rule's
    error. The random-graph tests use :func:`within_spread`, which measures this instead.
    """
    if a != a or b != b:
        return a != a and b != b
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_ * max(1.0, scale))


def within_spread(
    engine: float, torch_value: float, replicas: Sequence[float], k: float = 16.0
) -> bool:
    """True if ``engine`` is ``close`` to torch, or as close as torch is to itself under noise.

    ``replicas`` are torch's results for the same graph with every operation's result
    multiplied by ``1 + d`` (``d`` a few ulps, random sign): the spread shows how much an
    ulp here or there (torch's exp, tanh, even sqrt are not correctly rounded) can move
    this result through the graph's conditioning. The engine passes when it is ``close``
    to torch or to a replica, or when everything is finite and its distance from torch is
    at most ``k`` times the largest replica's. A wrong rule gives an O(1) difference and
    fails; an ill-conditioned chain no longer fails on rounding.
    """
    if close(engine, torch_value) or any(close(engine, r) for r in replicas):
        return True
    values = [engine, torch_value, *replicas]
    if not all(v - v == 0.0 for v in values):
        return False
    spread = max((abs(r - torch_value) for r in replicas), default=0.0)
    return abs(engine - torch_value) <= k * spread


def same_sign_bit(a: float, b: float) -> bool:
    """True if ``a`` and ``b`` have the same sign bit (tells +0.0 from -0.0)."""
    return math.copysign(1.0, a) == math.copysign(1.0, b)


def tleaf(x: float) -> torch.Tensor:
    """A float64 torch leaf that requires grad."""
    return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)


def tgrads(
    out: torch.Tensor,
    inputs: Sequence[torch.Tensor],
    grad_output: float = 1.0,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> list[torch.Tensor]:
    """``torch.autograd.grad`` with unused inputs (and outputs needing no grad) giving 0.0."""
    if not out.requires_grad:
        return [torch.tensor(0.0, dtype=torch.float64) for _ in inputs]
    gs = torch.autograd.grad(
        out,
        list(inputs),
        grad_outputs=torch.tensor(float(grad_output), dtype=torch.float64),
        allow_unused=True,
        retain_graph=retain_graph,
        create_graph=create_graph,
    )
    return [torch.tensor(0.0, dtype=torch.float64) if g is None else g for g in gs]


def fmt(x: float) -> str:
    """A float as repr, short enough for assertion messages."""
    return repr(float(x))


def mismatch(what: str, engine: float, torch_value: Any) -> str:
    """An assertion message: ``what``, then the engine's and torch's numbers."""
    return f"{what}: engine {fmt(engine)}, torch {fmt(float(torch_value))}"


#: Floats that break careless rules: zeros of both signs, infinities, nan, subnormals,
#: the edges of exp's range, huge magnitudes.
SPECIAL = (0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -8.0, math.inf, -math.inf, math.nan)
SPECIAL += (1e308, -1e308, 1e200, 5e-324, -5e-324, 1e-310, 709.0, 710.0, -745.0, 1000.0)
SPECIAL += (-1000.0, 1 / 3)


def wild_floats() -> st.SearchStrategy[float]:
    """Any float64, with the special values (inf, nan, zeros, subnormals, overflow) favoured."""
    return st.one_of(st.sampled_from(SPECIAL), st.floats(allow_nan=True, allow_infinity=True))


# --------------------------------------------------------- the gradwalk command line

ROOT = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIMEOUT = 120


def gradwalk_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a test runs ``gradwalk`` in: this checkout first, UTF-8 output."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", **(env or {})}


def gradwalk(
    *args: str | bytes,
    cwd: Path,
    timeout: float = TIMEOUT,
    env: dict[str, str] | None = None,
    **run: Any,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gradwalk ARGS`` in ``cwd``; capture stdout and stderr as text.

    ``run`` passes more of :func:`subprocess.run`'s arguments, or others for these.
    """
    options: dict[str, Any] = {
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
        "text": True,
        "encoding": "utf-8",
        "check": False,
        **run,
    }
    return subprocess.run(
        [sys.executable, "-m", "gradwalk", *args],
        cwd=cwd,
        timeout=timeout,
        env=gradwalk_env(env),
        **options,
    )


def assert_one_line_error(
    result: subprocess.CompletedProcess[str], prog: str, *fragments: str, code: int = 2
) -> str:
    """Exit ``code``, exactly one stderr line ``PROG: error: ...`` holding every fragment."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith(f"{prog}: error: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    assert result.returncode == code, (result.returncode, line)
    return line


def svg_text(path: Path) -> str:
    """The SVG's text with entities decoded (Graphviz writes '-' as &#45;)."""
    return html.unescape(path.read_text(encoding="utf-8"))


def fixed(x: float, decimals: int = 4) -> str:
    """``x`` with ``decimals`` digits after the point (as the command line prints numbers)."""
    return f"{x:.{decimals}f}"
