"""``fit``'s fast path: each training step run on traced code instead of a fresh graph.

A batch loss of ``autograd.nn`` is the mean of one term per sample (per output
for ``mse``): ``(t1 + t2 + ... + tn) / n``. Its backward pass gives every term
the same gradient, ``1/n``, and each term's graph reaches the parameters only
through its own sample's forward pass. So one step is: trace the per-sample
term once, then for each batch run the traced code over the batch's rows as one
backward pass (:meth:`Trace.batch`) with ``1/n`` as each row's seed. The
parameters get the same bits as ``mean_loss.backward()`` on the eager graph;
the mean itself is summed in the same order as ``_mean`` does it.

Targets that select part of the graph (a class index for cross-entropy, a
number operand of a binary cross-entropy op) get a trace each, made the first
time they are seen; targets that are only subtracted (mse, hinge) are
arguments of one trace.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from . import _math, functional
from .functional import (
    BCE,
    BCE_WITH_LOGITS,
    _cross_entropy_one,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
)
from .tracing import Trace, TraceError, _build, _commit, combined_batch
from .value import Value, apply

__all__ = ["TracedSteps", "traced_steps"]

#: A loss passed as a function is traced like the same loss given by name.
_BY_FUNCTION = {
    cross_entropy: "cross_entropy",
    mse_loss: "mse",
    hinge_loss: "hinge",
    binary_cross_entropy: "binary_cross_entropy",
    binary_cross_entropy_with_logits: "binary_cross_entropy_with_logits",
}

_MAX_TRACES = 16  # distinct static targets beyond which tracing is not worth it


def _is_int(t: object) -> bool:
    return isinstance(t, numbers.Integral) and not isinstance(t, bool)


def _floats(t: Any) -> list[float]:
    if isinstance(t, Sequence) and not isinstance(t, (str, bytes)):
        return [float(v) for v in t]
    return [float(t)]


class TracedSteps:
    """The traced per-sample loss terms of one model and loss, and how to run a batch on them."""

    def __init__(self, model: Any, loss: str, n_outputs: int) -> None:
        self.model = model
        self.loss = loss
        self.n_outputs = n_outputs
        #: True when the model returns a list of outputs (even of one), False for a bare Value.
        self.returns_list = False
        self.traces: dict[Any, Trace] = {}
        self.which: dict[Any, int] = {}
        self._run: Any = None
        self._forward: Any = None

    # -- the per-sample function of each loss -----------------------------------

    def _outputs(self, xs: list[Value]) -> list[Value]:
        out = self.model(xs)
        return list(out) if isinstance(out, list) else [out]

    def _trace_for(self, key: Any, x: Sequence[float], target_args: list[float]) -> Trace:
        t = self.traces.get(key)
        if t is not None:
            return t
        if len(self.traces) >= _MAX_TRACES:
            raise TraceError(f"more than {_MAX_TRACES} distinct targets select the graph")
        loss = self.loss

        def term(xs: list[Value], ts: list[Value]) -> tuple[Value, list[Value]]:
            """This sample's terms of the batch mean, summed; with the outputs and the terms."""
            outs = self._outputs(xs)
            if loss == "cross_entropy":
                terms = [_cross_entropy_one(outs, key, "cross_entropy logits")]
            elif loss == "hinge":
                terms = [(1.0 - ts[0] * outs[0]).relu()]
            elif loss == "mse":
                terms = []
                for o, t in zip(outs, ts):
                    d = o - t
                    terms.append(d * d)
            elif loss == "binary_cross_entropy":  # the targets are in the key
                terms = []
                for o, t in zip(outs, key):
                    functional._check_probability(o)  # repeated at every step, as eagerly
                    terms.append(apply(BCE, o, t))
            else:  # binary_cross_entropy_with_logits: the targets are in the key
                terms = [apply(BCE_WITH_LOGITS, o, t) for o, t in zip(outs, key)]
            total = terms[0]
            for t in terms[1:]:  # each term gets the seed unchanged (d(a + b)/da = 1)
                total = total + t
            return total, outs + terms

        t = _build(term, [list(x), target_args], with_outputs=True)
        self.which[key] = len(self.traces)
        self.traces[key] = t
        return t

    def prepare(self, X: Sequence[Any], y: Sequence[Any]) -> None:
        """Trace every target ``y`` holds, then write the one function a batch runs."""
        for t in y:  # every trace is recorded on the first sample: only its shape matters
            key, args = self._key_and_args(t)
            if key not in self.traces:
                self._trace_for(key, X[0], args)
        self._run, self._forward = combined_batch(list(self.traces.values()))

    def _key_and_args(self, target: Any) -> tuple[Any, list[float]]:
        """The static part of a target (selects a trace) and the part passed as numbers."""
        if self.loss == "cross_entropy":
            return int(target), []
        if self.loss in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
            return tuple(_floats(target)), []
        if self.loss == "mse" and self.n_outputs > 1 and _is_int(target):
            hot = [0.0] * self.n_outputs
            hot[int(target)] = 1.0
            return None, hot
        return None, _floats(target)

    def terms_per_sample(self) -> int:
        """How many terms of the batch mean one sample contributes."""
        several = ("mse", "binary_cross_entropy", "binary_cross_entropy_with_logits")
        return self.n_outputs if self.loss in several else 1

    # -- one step -----------------------------------------------------------------

    def _rows(self, xb: Sequence[Any], yb: Sequence[Any]) -> tuple[list[list[float]], list[int]]:
        which = []
        rows: list[list[float]] = []
        for x, t in zip(xb, yb):
            key, args = self._key_and_args(t)
            which.append(self.which[key])
            rows.append([*x, *args])
        return rows, which

    def run(self, xb: list[Any], yb: list[Any], l2: float = 0.0) -> tuple[float, list[list[float]]]:
        """One batch: gradients added into the parameters; the mean loss and every output.

        With ``l2``, the loss has ``l2 * sum(p * p)`` added, as ``fit`` builds it:
        its nodes are made after the samples', so backward reaches them first,
        and each parameter's pass starts from ``l2 * p`` added twice (``p * p``
        has two edges).
        """
        rows, which = self._rows(xb, yb)
        n_terms = len(xb) * self.terms_per_sample()
        seed = _math.div(1.0, float(n_terms))
        params = next(iter(self.traces.values())).parameters
        start = None
        if l2:
            start = tuple((-0.0 + l2 * p.data) + l2 * p.data for p in params)
        results, totals = self._run(params, seed, rows, which, start)
        _commit(params, totals)
        mean, outputs = self._split(results)
        if l2:
            reg = 0.0
            for p in self.model.parameters():
                reg = reg + p.data * p.data
            mean = mean + l2 * reg
        return mean, outputs

    def evaluate(self, X: Sequence[Any], y: Sequence[Any]) -> tuple[float, list[list[float]]]:
        """The mean loss and every output over ``X``, with no gradients (as ``evaluate``)."""
        rows, which = self._rows(X, y)
        params = next(iter(self.traces.values())).parameters
        return self._split(self._forward(params, rows, which))

    def _split(self, results: list[Any]) -> tuple[float, list[list[float]]]:
        k = self.n_outputs
        outputs = [list(r[1 : 1 + k]) for r in results]
        terms = [t for r in results for t in r[1 + k :]]
        return self._mean(terms), outputs

    @staticmethod
    def _mean(terms: list[float]) -> float:
        """The batch loss as ``functional._mean`` sums it."""
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        return _math.div(total, float(len(terms)))


def traced_steps(
    model: Any, loss: Any, X: Sequence[Any], y: Sequence[Any], y_more: Sequence[Any] = ()
) -> tuple[TracedSteps | None, str]:
    """A :class:`TracedSteps` for ``fit``, or None and the reason it runs eagerly instead."""
    name = loss if isinstance(loss, str) else _BY_FUNCTION.get(loss)
    if name is None:
        return None, "the loss is a function of the whole batch (only named losses are traced)"
    if not all(type(v) is float or (_is_int(v)) for v in X[0]):
        return None, "the samples are not plain numbers"
    probe = model(list(X[0]))
    n_out = len(probe) if isinstance(probe, list) else 1
    steps = TracedSteps(model, name, n_out)
    steps.returns_list = isinstance(probe, list)
    try:
        steps.prepare(X, [*y, *y_more])
    except TraceError as e:
        return None, f"the model cannot be traced: {e}"
    return steps, ""
