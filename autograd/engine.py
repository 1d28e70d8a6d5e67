"""The engine in one import: every public name of chapters 1-8.

The engine is split into modules in reading order (see the package docstring):
``ops`` (the op table), ``value`` (``Value`` and node creation), ``backward``
(the walk and the hot loop), then ``exact``, ``fused``, ``higher``, ``modes``
and ``serial``. This module gathers their public names, so
``from autograd.engine import Value, grad`` keeps working.
"""

from __future__ import annotations

from . import lecture, serial, userops  # noqa: F401 - they add to Value and Op
from .exact import contribution
from .fused import LINEAR, LINEAR_RELU, dense
from .higher import grad
from .modes import (
    AnomalyError,
    detect_anomaly,
    gc_paused,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
)
from .ops import (
    ABS,
    ADD,
    BY_NAME,
    DIV,
    EXP,
    LOG,
    MUL,
    NEG,
    POW,
    POW_SCALAR,
    RDIV,
    RELU,
    SIGMOID,
    SQRT,
    SUB,
    TANH,
    Op,
)
from .value import Value
from .viewing import Edge, backward_steps, topological_order

__all__ = [
    "ABS",
    "ADD",
    "BY_NAME",
    "DIV",
    "EXP",
    "LINEAR",
    "LINEAR_RELU",
    "LOG",
    "MUL",
    "NEG",
    "POW",
    "POW_SCALAR",
    "RDIV",
    "RELU",
    "SIGMOID",
    "SQRT",
    "SUB",
    "TANH",
    "AnomalyError",
    "Edge",
    "Op",
    "Value",
    "backward_steps",
    "contribution",
    "dense",
    "detect_anomaly",
    "gc_paused",
    "grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]
