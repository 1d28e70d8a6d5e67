"""Optimizers with ``torch.optim``'s update equations: :class:`SGD` and :class:`Adam`.

Each ``step()`` reads every parameter's ``.grad`` and updates its ``.data``
with the same formulas, in the same order of operations, as torch's
single-tensor (``foreach=False``) float64 implementation, so a run agrees
with torch to rounding (~1e-15 relative per step; torch's vectorised
kernels may fuse a multiply-add where Python rounds twice).

A step is all or nothing: the new values and state are computed first and
then assigned, and an interrupt (Ctrl-C) in the middle puts back the old
ones, so the parameters and the optimizer's state (Adam's step count and
moments) are always those of the last completed step.
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


def _commit(
    opt: Optimizer, params: list[Value], old: list[float], new: list[float], state: dict[str, Any]
) -> None:
    """Give every parameter its new value and the optimizer its new state, or none of them.

    The new values and state were computed before anything changed; here they
    are assigned. An exception arriving in the middle (Ctrl-C is a
    ``KeyboardInterrupt`` between any two bytecodes) puts back the values and
    state as they were, so an interrupted ``step()`` is a step not taken.
    """
    before = {name: getattr(opt, name) for name in state}
    try:
        for p, d in zip(params, new):
            p.data = d
        for name, value in state.items():
            setattr(opt, name, value)
    except BaseException:
        for p, d in zip(params, old):
            p.data = d
        for name, value in before.items():
            setattr(opt, name, value)
        raise


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
        """Update every parameter from its ``.grad``: every one or, if interrupted, none."""
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
        """One update of every parameter (see the class docstring), all or nothing."""
        lr, mom, wd = self.lr, self.momentum, self.weight_decay
        keep = 1.0 - self.dampening
        params = self.params
        old = [p.data for p in params]
        grads = [p.grad for p in params]
        if wd != 0.0:
            grads = [g + wd * d for g, d in zip(grads, old)]
        bufs = self._buf
        if mom != 0.0:
            bufs = [g if b is None else b * mom + keep * g for b, g in zip(bufs, grads)]
            if self.nesterov:
                grads = [g + mom * b for g, b in zip(grads, bufs)]  # type: ignore[operator]
            else:
                grads = bufs  # type: ignore[assignment]
        new = [d + -lr * g for d, g in zip(old, grads)]  # type: ignore[operator]
        _commit(self, params, old, new, {"_buf": bufs, "steps": self.steps + 1})

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
        """One update of every parameter (see the class docstring), all or nothing."""
        k = float(self.steps + 1)
        beta1, beta2 = self.betas
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        w = 1.0 - beta1
        small = abs(w) < 0.5  # torch's lerp picks its formula by the weight
        one_minus_w = 1.0 - w
        c2 = 1.0 - beta2
        step_size = lr / (1.0 - beta1**k)
        bc2_sqrt = (1.0 - beta2**k) ** 0.5
        neg_step = -step_size
        params = self.params
        old = [p.data for p in params]
        grads = [p.grad for p in params]
        if wd != 0.0:
            grads = [g + wd * d for g, d in zip(grads, old)]
        if small:
            new_m = [m + w * (g - m) for m, g in zip(self._m, grads)]
        else:
            new_m = [g - (g - m) * one_minus_w for m, g in zip(self._m, grads)]
        new_v = [v * beta2 + c2 * g * g for v, g in zip(self._v, grads)]
        sqrt = math.sqrt
        new = [d + neg_step * m / (sqrt(v) / bc2_sqrt + eps) for d, m, v in zip(old, new_m, new_v)]
        _commit(self, params, old, new, {"_m": new_m, "_v": new_v, "steps": self.steps + 1})

    def __repr__(self) -> str:
        return (
            f"Adam({len(self.params)} params, lr={self.lr}, betas={self.betas}, eps={self.eps}, "
            f"weight_decay={self.weight_decay})"
        )
