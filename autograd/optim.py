"""Optimizers with ``torch.optim``'s update equations: :class:`SGD` and :class:`Adam`.

Each ``step()`` reads every parameter's ``.grad`` and updates its ``.data``
with the same formulas, in the same order of operations, as torch's
single-tensor (``foreach=False``) float64 implementation, so a run agrees
with torch to rounding (~1e-15 relative per step; torch's vectorised
kernels may fuse a multiply-add where Python rounds twice).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from .value import Value

__all__ = ["SGD", "Adam", "Optimizer"]


def _real(x: object, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a real number, not {type(x).__name__}")
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return x


def _non_negative(x: object, what: str) -> float:
    v = _real(x, what)
    if v < 0.0:
        raise ValueError(f"invalid {what}: {v!r} (must be >= 0)")
    return v


class Optimizer:
    """Base class: holds the parameters, ``zero_grad()`` and an abstract ``step()``.

    ``params`` is an iterable of Values (e.g. ``model.parameters()``) or a
    module with a ``parameters()`` method.
    """

    def __init__(self, params: Iterable[Value] | Any) -> None:
        if hasattr(params, "parameters") and callable(params.parameters):
            params = params.parameters()
        if isinstance(params, (Value, str, bytes)) or not isinstance(params, Iterable):
            raise TypeError(
                f"params must be an iterable of Values (e.g. model.parameters()), "
                f"not {type(params).__name__}"
            )
        ps = list(params)
        if not ps:
            raise ValueError("optimizer got an empty parameter list")
        seen: set[int] = set()
        for i, p in enumerate(ps):
            if type(p) is not Value:
                raise TypeError(f"params[{i}] must be a Value, not {type(p).__name__}")
            if id(p) in seen:
                raise ValueError(f"params[{i}] appears more than once in the parameter list")
            seen.add(id(p))
        self.params: list[Value] = ps
        #: Number of ``step()`` calls so far.
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 (call before each ``backward``)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``.grad``."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and L2 weight decay, as torch.optim.SGD.

    Per parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p                      (if weight_decay)
        buf = g on the first step, else momentum * buf + (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf   (if momentum)
        p = p - lr * g
    """

    def __init__(
        self,
        params: Iterable[Value] | Any,
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        *,
        dampening: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params)
        self.lr = _non_negative(lr, "learning rate (lr)")
        self.momentum = _non_negative(momentum, "momentum")
        self.weight_decay = _non_negative(weight_decay, "weight_decay")
        self.dampening = _real(dampening, "dampening")
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov must be a bool, not {type(nesterov).__name__}")
        if nesterov and (self.momentum <= 0.0 or self.dampening != 0.0):
            raise ValueError("nesterov momentum requires momentum > 0 and dampening == 0")
        self.nesterov = nesterov
        self._buf: list[float | None] = [None] * len(self.params)

    def step(self) -> None:
        """One update of every parameter (see the class docstring)."""
        lr, mom, wd = self.lr, self.momentum, self.weight_decay
        keep = 1.0 - self.dampening
        bufs = self._buf
        for i, p in enumerate(self.params):
            g = p.grad
            if wd != 0.0:
                g = g + wd * p.data
            if mom != 0.0:
                buf = bufs[i]
                buf = g if buf is None else buf * mom + keep * g
                bufs[i] = buf
                g = g + mom * buf if self.nesterov else buf
            p.data = p.data + -lr * g
        self.steps += 1

    def __repr__(self) -> str:
        return (
            f"SGD({len(self.params)} params, lr={self.lr}, momentum={self.momentum}, "
            f"weight_decay={self.weight_decay})"
        )


class Adam(Optimizer):
    """Adam with bias correction and optional L2 weight decay, as torch.optim.Adam.

    Per parameter at step ``k`` (``g`` its gradient, ``m``/``v`` start at 0)::

        g = g + weight_decay * p                      (if weight_decay)
        m = lerp(m, g, 1 - beta1);  v = v * beta2 + (1 - beta2) * g * g
        step_size = lr / (1 - beta1 ** k)
        denom = sqrt(v) / sqrt(1 - beta2 ** k) + eps
        p = p - step_size * m / denom
    """

    def __init__(
        self,
        params: Iterable[Value] | Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _non_negative(lr, "learning rate (lr)")
        if isinstance(betas, (str, bytes)) or not isinstance(betas, (tuple, list)):
            raise TypeError(f"betas must be a pair of numbers, not {type(betas).__name__}")
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair of numbers, got {len(betas)} of them")
        b1 = _real(betas[0], "betas[0]")
        b2 = _real(betas[1], "betas[1]")
        for j, b in enumerate((b1, b2)):
            if not 0.0 <= b < 1.0:
                raise ValueError(f"invalid beta parameter at index {j}: {b!r} (need 0 <= beta < 1)")
        self.betas = (b1, b2)
        self.eps = _non_negative(eps, "epsilon value (eps)")
        self.weight_decay = _non_negative(weight_decay, "weight_decay")
        n = len(self.params)
        self._m = [0.0] * n
        self._v = [0.0] * n

    def step(self) -> None:
        """One update of every parameter (see the class docstring)."""
        self.steps += 1
        k = float(self.steps)
        beta1, beta2 = self.betas
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        w = 1.0 - beta1
        small = abs(w) < 0.5  # torch's lerp picks its formula by the weight
        one_minus_w = 1.0 - w
        c2 = 1.0 - beta2
        step_size = lr / (1.0 - beta1**k)
        bc2_sqrt = (1.0 - beta2**k) ** 0.5
        neg_step = -step_size
        ms, vs = self._m, self._v
        for i, p in enumerate(self.params):
            g = p.grad
            if wd != 0.0:
                g = g + wd * p.data
            m = ms[i]
            m = m + w * (g - m) if small else g - (g - m) * one_minus_w
            v = vs[i] * beta2 + c2 * g * g
            ms[i] = m
            vs[i] = v
            denom = math.sqrt(v) / bc2_sqrt + eps
            p.data = p.data + neg_step * m / denom
        return None

    def __repr__(self) -> str:
        return (
            f"Adam({len(self.params)} params, lr={self.lr}, betas={self.betas}, eps={self.eps}, "
            f"weight_decay={self.weight_decay})"
        )
