"""Helpers shared by the engine tests: float comparison with torch semantics."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

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
