"""Exercises that check the learner: derivative rules, hand-computed gradients, own ops.

>>> import math
>>> from gradwalk.exercises import check_derivative
>>> bool(check_derivative(math.sin, math.cos))
True
>>> bool(check_derivative(math.sin, lambda x: 1.0))
False

- :func:`check_derivative` checks a derivative rule of one variable at many
  points against central differences.
- :func:`check_gradients` checks gradients computed by hand for the Values of
  a graph, with a hint for each common slip.
- :func:`check_op` checks the derivative rules of an :class:`autograd.Op`, a
  built-in one (:func:`builtin_op`) or one of the learner's own
  (``Op.unary("sin", math.sin, math.cos)``).
- :func:`backward_player` with ``quiz=True`` is the gradient quiz: a page that
  steps through the forward pass, then asks, before each backward step, for the
  gradient each edge passes on, checks the typed number, reveals the chain-rule
  product and keeps a score. It is :func:`viz.backward_player` itself::

      from gradwalk.exercises import backward_player
      backward_player(loss, quiz=True)  # shows inline in Jupyter
      backward_player(loss, quiz=True).save("out/quiz.html")
"""

from viz import backward_player

from ._common import builtin_op
from .derivatives import (
    DerivativeReport,
    OpReport,
    PointFailure,
    check_derivative,
    check_op,
    numerical_derivative,
)
from .gradients import AnswerCheck, GradientReport, check_gradients

__all__ = [
    "AnswerCheck",
    "DerivativeReport",
    "GradientReport",
    "OpReport",
    "PointFailure",
    "backward_player",
    "builtin_op",
    "check_derivative",
    "check_gradients",
    "check_op",
    "numerical_derivative",
]
