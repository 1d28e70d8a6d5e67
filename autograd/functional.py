"""Softmax, log-softmax and losses over lists of Values, as in ``torch.nn.functional``.

Every loss is mean-reduced like torch's default (``reduction="mean"``): the
sum of the per-element losses divided by their number. Inputs (predictions)
may be Values or plain numbers; targets are plain numbers (``mse_loss`` also
accepts Values). Formulas follow torch's CPU kernels, including their
numerically stable forms:

* ``softmax`` / ``log_softmax`` subtract the largest logit (as a constant)
  before ``exp``, so logits of 1000 do not overflow.
* ``binary_cross_entropy`` clamps each log to ``>= -100`` and uses torch's
  gradient ``(x - t) / max(x * (1 - x), 1e-12)`` (1e-12 rounded to float32,
  as torch does), so inputs of exactly 0 or 1 give finite losses and
  gradients, the same as torch's.
* ``binary_cross_entropy_with_logits`` computes
  ``(1 - t) * x - log_sigmoid(x)`` with a stable ``log_sigmoid`` and the
  gradient ``sigmoid(x) - t``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, cast

from . import _math
from .ops import Op
from .value import Value, apply

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "log_softmax",
    "mse_loss",
    "one_hot",
    "softmax",
]

Number = float | int

#: torch's BCE gradient floor: ``1e-12`` as a float32 constant, widened to float64.
_BCE_EPSILON = 9.999999960041972e-13


# ------------------------------------------------------------------ checking


def _is_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _as_value(x: object, what: str) -> Value:
    """``x`` as a Value: Values pass through, real numbers become constant leaves."""
    if type(x) is Value:
        return x  # type: ignore[return-value]
    if _is_number(x):
        return Value(float(x))  # type: ignore[arg-type]
    raise TypeError(f"{what} must be a Value or a real number, not {type(x).__name__}")


def _as_number(x: object, what: str) -> float:
    if _is_number(x):
        return float(x)  # type: ignore[arg-type]
    if isinstance(x, Value):
        raise TypeError(f"{what} must be a plain number, not a Value (targets get no gradient)")
    raise TypeError(f"{what} must be a real number, not {type(x).__name__}")


def _is_sequence(x: object) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, (str, bytes))


def _vector(xs: object, what: str) -> Sequence[Any]:
    """A non-empty list or tuple (not a string), else a clear error."""
    if not _is_sequence(xs):
        raise TypeError(f"{what} must be a list of Values or numbers, not {type(xs).__name__}")
    if len(xs) == 0:  # type: ignore[arg-type]
        raise ValueError(f"{what} must not be empty")
    return xs  # type: ignore[return-value]


def _pairs(inp: object, tgt: object, where: str, out: list[tuple[Any, Any]]) -> None:
    """Flatten ``inp`` and ``tgt`` (equal nesting of lists) into ``out`` as element pairs."""
    if _is_sequence(inp):
        if not _is_sequence(tgt):
            raise ValueError(
                f"input{where} is a list of {len(inp)} but target{where} is "  # type: ignore[arg-type]
                f"{type(tgt).__name__}; they must have the same shape"
            )
        if len(inp) != len(tgt):  # type: ignore[arg-type]
            raise ValueError(
                f"input{where} has {len(inp)} elements but target{where} has {len(tgt)}"  # type: ignore[arg-type]
            )
        for i, (a, b) in enumerate(zip(inp, tgt)):  # type: ignore[call-overload]
            _pairs(a, b, f"{where}[{i}]", out)
    elif _is_sequence(tgt):
        raise ValueError(
            f"input{where} is a single {type(inp).__name__} but target{where} is a list of "
            f"{len(tgt)}; they must have the same shape"  # type: ignore[arg-type]
        )
    else:
        out.append((inp, tgt))


def _flat_pairs(inp: object, tgt: object, who: str) -> list[tuple[Any, Any]]:
    out: list[tuple[Any, Any]] = []
    _pairs(inp, tgt, "", out)
    if not out:
        raise ValueError(f"{who}: input and target are empty")
    return out


def _mean(terms: list[Value]) -> Value:
    """``sum(terms) / len(terms)``: torch's mean reduction."""
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total / float(len(terms))


def _max_data(vs: list[Value]) -> float:
    """The largest ``.data``, nan if any is nan (like ``torch.max``)."""
    m = -math.inf
    for v in vs:
        d = v.data
        if d != d:
            return math.nan
        if d > m:
            m = d
    return m


# ------------------------------------------------------------------ softmax


def softmax(logits: Sequence[Value | Number]) -> list[Value]:
    """``exp(z_i) / sum_j exp(z_j)``, computed as ``exp(z_i - max z) * (1 / sum)``.

    The max is subtracted as a constant, so large logits (1000) do not
    overflow; the gradients are those of the exact softmax.
    """
    vs = [_as_value(z, "softmax logit") for z in _vector(logits, "softmax logits")]
    m = _max_data(vs)
    es = [(v - m).exp() for v in vs]
    total = es[0]
    for e in es[1:]:
        total = total + e
    inv = 1.0 / total
    return [e * inv for e in es]


def _shifted_lse(vs: list[Value]) -> tuple[float, Value]:
    """``(m, log(sum(exp(z - m))))`` with ``m`` the largest logit."""
    m = _max_data(vs)
    es = [(v - m).exp() for v in vs]
    total = es[0]
    for e in es[1:]:
        total = total + e
    return m, total.log()


def log_softmax(logits: Sequence[Value | Number]) -> list[Value]:
    """``z_i - logsumexp(z)``, computed stably as ``(z_i - max z) - log(sum(exp(z - max z)))``."""
    vs = [_as_value(z, "log_softmax logit") for z in _vector(logits, "log_softmax logits")]
    m, lse = _shifted_lse(vs)
    return [(v - m) - lse for v in vs]


# ------------------------------------------------------------------ losses


def _index(t: object, n: int, what: str) -> int:
    if isinstance(t, bool) or not isinstance(t, numbers.Integral):
        raise TypeError(f"{what} must be an int class index, not {type(t).__name__}")
    t = int(t)
    if not 0 <= t < n:
        raise ValueError(f"{what} {t} is out of range for {n} classes (0..{n - 1})")
    return t


def _cross_entropy_one(logits: object, target: object, what: str) -> Value:
    vs = [_as_value(z, "cross_entropy logit") for z in _vector(logits, what)]
    t = _index(target, len(vs), "cross_entropy target")
    m, lse = _shifted_lse(vs)
    # -log_softmax(z)[t] = -((z_t - m) - lse), written without the negation (same float)
    return lse - (vs[t] - m)


def cross_entropy(
    logits: Sequence[Value | Number] | Sequence[Sequence[Value | Number]],
    target: int | Sequence[int],
) -> Value:
    """Softmax cross-entropy ``-log_softmax(logits)[target]``, like ``F.cross_entropy``.

    One sample: a list of logits and an int class index. A batch: a list of
    logit lists and a list of indices; the result is the mean over the batch.
    """
    seq = _vector(logits, "cross_entropy logits")
    if not _is_sequence(seq[0]):
        if _is_sequence(target):
            raise ValueError(
                "cross_entropy: one sample's logits need one int target, not a list of "
                f"{len(target)}"  # type: ignore[arg-type]
            )
        return _cross_entropy_one(seq, target, "cross_entropy logits")
    if not _is_sequence(target):
        raise TypeError(
            f"cross_entropy: a batch of {len(seq)} logit lists needs a list of targets, "
            f"not {type(target).__name__}"
        )
    if len(target) != len(seq):  # type: ignore[arg-type]
        raise ValueError(
            f"cross_entropy: {len(seq)} logit lists but {len(target)} targets"  # type: ignore[arg-type]
        )
    n = len(seq[0])
    terms = []
    for i, (z, t) in enumerate(zip(seq, cast(Sequence[Any], target))):
        if not _is_sequence(z) or len(z) != n:
            got = len(z) if _is_sequence(z) else type(z).__name__
            raise ValueError(f"cross_entropy: logits[{i}] must be a list of {n} logits, got {got}")
        terms.append(_cross_entropy_one(z, t, f"cross_entropy logits[{i}]"))
    return _mean(terms)


def mse_loss(
    input: Value | Number | Sequence[Any],
    target: Value | Number | Sequence[Any],
) -> Value:
    """Mean squared error ``mean((input - target) ** 2)`` over all elements, like ``F.mse_loss``.

    ``input`` and ``target`` have the same shape: a single value, a list, or
    a list of lists (a batch of vectors). Targets may be Values too.
    """
    terms = []
    for x, t in _flat_pairs(input, target, "mse_loss"):
        x = _as_value(x, "mse_loss input")
        if type(t) is not Value:
            t = _as_number(t, "mse_loss target")
        d = x - t
        terms.append(d * d)
    return _mean(terms)


def _log1p(y: float) -> float:
    return -math.inf if y == -1.0 else math.log1p(y)


def _bce_forward(x: float, t: float) -> float:
    """torch's kernel: ``(t - 1) * max(log1p(-x), -100) - t * max(log(x), -100)``."""
    return (t - 1.0) * max(_log1p(-x), -100.0) - t * max(_math.log(x), -100.0)


def _bce_deriv(M: Any, out: Any, x: Any, t: float) -> Any:
    """torch's gradient: ``(x - t) / max((1 - x) * x, eps)``."""
    p = (1.0 - x) * x
    den = _BCE_EPSILON if M.data(p) < _BCE_EPSILON else p
    return M.div(x - t, den)


def _log_sigmoid(x: float) -> float:
    """Stable ``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``."""
    return min(x, 0.0) - math.log1p(_math.exp(-abs(x)))


def _bce_logits_forward(x: float, t: float) -> float:
    """torch's formula: ``(1 - t) * x - log_sigmoid(x)``."""
    return (1.0 - t) * x - _log_sigmoid(x)


def _bce_logits_deriv(M: Any, out: Any, x: Any, t: float) -> Any:
    return M.sigmoid(x) - t


BCE = Op("binary_cross_entropy", "bce", _bce_forward, _bce_deriv, None)
BCE_WITH_LOGITS = Op(
    "binary_cross_entropy_with_logits", "bce_logits", _bce_logits_forward, _bce_logits_deriv, None
)


def _check_probability(x: Value) -> None:
    """A ValueError unless ``x`` holds a probability (a traced call repeats this check)."""
    if not 0.0 <= x.data <= 1.0:
        raise ValueError(f"binary_cross_entropy input must be in [0, 1], got {x.data!r}")


def binary_cross_entropy(
    input: Value | Number | Sequence[Any],
    target: Number | Sequence[Any],
) -> Value:
    """Mean of ``-(t * log(p) + (1 - t) * log(1 - p))``, like ``F.binary_cross_entropy``.

    ``input`` holds probabilities in [0, 1] (e.g. sigmoid outputs), ``target``
    numbers in [0, 1], same shape. Each log is clamped to ``>= -100`` as in torch.
    """
    terms = []
    for x, t in _flat_pairs(input, target, "binary_cross_entropy"):
        x = _as_value(x, "binary_cross_entropy input")
        t = _as_number(t, "binary_cross_entropy target")
        _check_probability(x)
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"binary_cross_entropy target must be in [0, 1], got {t!r}")
        terms.append(apply(BCE, x, t))
    return _mean(terms)


def binary_cross_entropy_with_logits(
    input: Value | Number | Sequence[Any],
    target: Number | Sequence[Any],
) -> Value:
    """Mean of ``BCE(sigmoid(x), t)`` computed stably from logits, like torch's function.

    Uses ``(1 - t) * x - log_sigmoid(x)``: no overflow and no clamping at
    any logit; the gradient is ``sigmoid(x) - t``.
    """
    terms = []
    for x, t in _flat_pairs(input, target, "binary_cross_entropy_with_logits"):
        x = _as_value(x, "binary_cross_entropy_with_logits input")
        t = _as_number(t, "binary_cross_entropy_with_logits target")
        terms.append(apply(BCE_WITH_LOGITS, x, t))
    return _mean(terms)


def hinge_loss(
    scores: Value | Number | Sequence[Value | Number],
    labels: Number | Sequence[Number],
) -> Value:
    """The max-margin loss of micrograd's demo: ``mean(relu(1 - y * score))``, labels ±1."""
    terms = []
    for s, y in _flat_pairs(scores, labels, "hinge_loss"):
        s = _as_value(s, "hinge_loss score")
        y = _as_number(y, "hinge_loss label")
        if y not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss labels must be -1 or 1, got {y!r}")
        terms.append((1.0 - y * s).relu())
    return _mean(terms)


def one_hot(index: int, n: int) -> list[float]:
    """``[0.0, ..., 1.0, ..., 0.0]``: ``n`` entries with 1.0 at ``index``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"one_hot: n must be a positive int, got {n!r}")
    i = _index(index, n, "one_hot index")
    out = [0.0] * n
    out[i] = 1.0
    return out
