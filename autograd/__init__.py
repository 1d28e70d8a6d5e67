"""A scalar autograd engine with PyTorch float64 semantics, built for learning backprop.

>>> from autograd import Value
>>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
>>> c = (a * b + a ** 2).tanh(); c.backward()
"""

from .engine import (
    MASKED,
    AnomalyError,
    Edge,
    Op,
    Value,
    backward_steps,
    dense,
    detect_anomaly,
    gc_paused,
    grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    topological_order,
)
from .gradcheck import GradcheckError, gradcheck

__all__ = [
    "MASKED",
    "AnomalyError",
    "Edge",
    "GradcheckError",
    "Op",
    "Value",
    "backward_steps",
    "dense",
    "detect_anomaly",
    "gc_paused",
    "grad",
    "gradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
]
__version__ = "0.1.0"
