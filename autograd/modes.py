"""Chapter 7: modes. ``no_grad``, ``detect_anomaly``, ``gc_paused``, and the lock of a pass.

The switches are per thread, like torch's: a ``no_grad`` block in one thread
does not stop another thread from recording its graph. Node creation reads one
flag, ``_state.fast``, which is true when neither switch is set, so the plain
path costs a single attribute test.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Callable
from typing import Any

__all__ = [
    "AnomalyError",
    "detect_anomaly",
    "gc_paused",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
]


class AnomalyError(RuntimeError):
    """Raised in anomaly mode where a nan first appears, forward or backward."""


class _State(threading.local):
    """Per-thread switches. ``fast`` is true when the plain path applies."""

    grad_enabled = True
    anomaly = False
    fast = True

    def update(self) -> None:
        self.fast = self.grad_enabled and not self.anomaly


_state = _State()

#: Held by every backward pass and every walk of a graph. Passes in different
#: threads may share leaves (one model, several graphs); each pass adds its
#: total to the leaves' ``.grad`` at its end, so passes must not interleave.
pass_lock = threading.RLock()


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
