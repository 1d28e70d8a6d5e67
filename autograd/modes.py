"""Chapter 7: modes. ``no_grad``, ``detect_anomaly`` and ``gc_paused``.

The switches are per thread, like torch's: a ``no_grad`` block in one thread
does not stop another thread from recording its graph. While a switch is on,
this module's hooks sit in ``value._mode.hooks``: node creation asks them
whether to record a node (and checks the result for a new nan), and a
backward pass lets them check its contributions before it finishes. With no
switch on, the hooks are None and the engine runs as chapters 1-3 say.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable
from typing import Any

from ._exact import MASKED
from .value import _mode

__all__ = [
    "AnomalyError",
    "detect_anomaly",
    "enable_grad",
    "gc_paused",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
]


class AnomalyError(RuntimeError):
    """Raised in anomaly mode where a nan first appears, forward or backward."""


class _State(threading.local):
    """Per-thread switches."""

    grad_enabled = True
    anomaly = False

    def update(self) -> None:
        on = not self.grad_enabled or self.anomaly
        _mode.hooks = _Hooks(self.grad_enabled, self.anomaly) if on else None


class _Hooks:
    """What node creation and a backward pass ask while a switch is on (see value.py)."""

    def __init__(self, grad_enabled: bool, anomaly: bool) -> None:
        self.grad_enabled = grad_enabled
        self.anomaly = anomaly

    def record(self, op: Any, xs: list[float], d: float) -> bool:
        """Whether to record the node ``op(*xs) = d``; in anomaly mode, raise at a new nan."""
        if self.anomaly and d != d and all(x == x for x in xs):
            shown = ", ".join(repr(x) for x in xs)
            raise AnomalyError(
                f"forward: {op.name}({shown}) produced nan from operands without nan"
            )
        return self.grad_enabled

    def check_pass(self, order: list[Any]) -> None:
        """In anomaly mode, raise where a backward contribution first became nan."""
        if self.anomaly:
            check_contributions(order, lambda n: n.grad)


def check_contributions(order: list[Any], grad_of: Callable[[Any], Any]) -> None:
    """Raise the AnomalyError naming the first edge, in backward's order, that made a nan."""
    for n in reversed(order):
        g = grad_of(n)
        if g is None:
            continue
        for i, (p, loc) in enumerate(zip(n._parents, n._locals)):
            c = g * loc
            if c != c and g == g and loc is not MASKED:
                raise AnomalyError(
                    f"backward: {n._fn.name} (value {n.data!r}) passed nan to its operand "
                    f"#{i} {p!r}: incoming gradient {g!r} times local derivative {float(loc)!r}"
                )


_state = _State()


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()`` (on this thread)."""
    return _state.grad_enabled


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` (on this thread)."""
    return _state.anomaly


class _Switch:
    """A context manager that sets one per-thread switch and restores it on exit."""

    _attr = ""
    _value = False

    def __init__(self) -> None:
        self._saved: list[bool] = []

    def __enter__(self) -> _Switch:
        self._saved.append(getattr(_state, self._attr))
        setattr(_state, self._attr, self._value)
        _state.update()
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(_state, self._attr, self._saved.pop())
        _state.update()

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Use as a decorator: ``fn`` runs inside this context on every call."""
        switch = type(self)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with switch():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_Switch):  # noqa: N801 - named like torch.no_grad
    """Context manager: operations inside record no graph (results are leaves).

    The switch is per thread: another thread keeps recording.
    """

    _attr = "grad_enabled"
    _value = False


class enable_grad(_Switch):  # noqa: N801 - named like torch.enable_grad
    """Context manager: record graphs again inside a ``no_grad`` block (used by ``grad``)."""

    _attr = "grad_enabled"
    _value = True


class detect_anomaly(_Switch):  # noqa: N801 - named like torch.autograd.detect_anomaly
    """Context manager: raise :class:`AnomalyError` where a nan first appears.

    Forward: an operation whose operands hold no nan but whose result is nan.
    Backward: a gradient contribution that is nan although the incoming
    gradient was not. The message names the operation and its operands.
    """

    _attr = "anomaly"
    _value = True


class gc_paused:  # noqa: N801 - a context manager, named like one
    """Context manager: pause Python's cyclic garbage collector, restoring it on exit.

    Value graphs hold no reference cycles (no closures, no back-references),
    so reference counting frees them the moment they are dropped and the
    cyclic collector never finds anything in them. It still scans every node
    of a large live graph on each full collection, which makes building a
    1,000,000-node graph ~1.6x slower than it need be. The engine never
    changes the collector process-wide on its own (your program may rely on
    it for its own cycles); ``backward()`` pauses it only for its own walk.
    Wrap graph building in ``gc_paused()`` when you build very large graphs;
    the training helpers do so per step. The collector is process-wide: this
    pauses it for every thread.
    """

    def __enter__(self) -> gc_paused:
        self._was_enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._was_enabled:
            gc.enable()
