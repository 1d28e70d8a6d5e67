"""Training helpers: seeded minibatches, evaluation under ``no_grad`` and a ``fit`` loop.

Vocabulary (as in the worked examples): an *epoch* is one pass over the
whole training set; a *batch* is the subset of samples used for one update;
an *iteration* is one update with one batch. ``fit`` shuffles the samples
into batches anew every epoch, from one seeded random source, so a run is
reproducible; a batch's loss is the mean over its samples and each
iteration does one ``backward`` and one optimizer step.
"""

from __future__ import annotations

import math
import numbers
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from .deadrelu import DeadReluWarning, _stalled, dead_relu_layers
from .functional import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
    one_hot,
)
from .modes import gc_paused, no_grad
from .value import Value

__all__ = [
    "LOSSES",
    "DeadReluWarning",
    "History",
    "LiveFactory",
    "accuracy",
    "batches",
    "dead_relu_layers",
    "evaluate",
    "fit",
    "predict",
    "register_live_view",
]

LossFn = Callable[[list[Any], list[Any]], Value]

#: Loss names accepted by :func:`fit` and :func:`evaluate`.
LOSSES = (
    "cross_entropy",
    "mse",
    "hinge",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
)


def _int(x: object, what: str, low: int) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{what} must be an int, not {type(x).__name__}")
    if x < low:
        raise ValueError(f"{what} must be at least {low}, got {x}")
    return int(x)


def batches(
    n: int,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int | None = None,
    rng: random.Random | None = None,
    drop_last: bool = False,
) -> list[list[int]]:
    """One epoch's minibatches: the indices ``0..n-1``, shuffled, cut into lists of ``batch_size``.

    Every index appears exactly once (the last batch may be smaller unless
    ``drop_last``). The shuffle uses ``rng`` if given (pass the same one every
    epoch to get a new order each epoch), else ``random.Random(seed)``.
    """
    n = _int(n, "n", 0)
    batch_size = _int(batch_size, "batch_size", 1)
    order = list(range(n))
    if shuffle:
        if rng is None:
            rng = random.Random(seed)
        elif not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random, not {type(rng).__name__}")
        rng.shuffle(order)
    out = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    if drop_last and out and len(out[-1]) < batch_size:
        out.pop()
    return out


# ------------------------------------------------------------------ data and losses


def _check_data(X: object, y: object, who: str) -> tuple[Sequence[Any], Sequence[Any]]:
    for name, d in (("X", X), ("y", y)):
        if isinstance(d, (str, bytes)) or not isinstance(d, Sequence):
            raise TypeError(f"{who}: {name} must be a list, not {type(d).__name__}")
    if len(X) != len(y):  # type: ignore[arg-type]
        raise ValueError(f"{who}: X has {len(X)} samples but y has {len(y)}")  # type: ignore[arg-type]
    if len(X) == 0:  # type: ignore[arg-type]
        raise ValueError(f"{who}: no samples")
    return X, y  # type: ignore[return-value]


# ------------------------------------------------------------------ checking all the data up front


def _is_int(t: object) -> bool:
    return isinstance(t, numbers.Integral) and not isinstance(t, bool)


def _is_real(t: object) -> bool:
    return isinstance(t, numbers.Real) and not isinstance(t, bool)


def _check_samples(X: Sequence[Any], width: int | None, who: str) -> None:
    """Every sample a list of ``width`` finite reals (or Values); else name the first bad one."""
    if width is None:
        first = X[0]
        width = len(first) if isinstance(first, Sequence) and not isinstance(first, str) else None
    for i, x in enumerate(X):
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
            raise TypeError(f"{who}[{i}] must be a list of numbers, not {type(x).__name__}")
        if width is not None and len(x) != width:
            raise ValueError(f"{who}[{i}] has {len(x)} values but the model expects {width} inputs")
        for j, v in enumerate(x):
            if type(v) is float:
                if v - v != 0.0:  # nan or ±inf
                    raise ValueError(
                        f"{who}[{i}][{j}] is {v!r}: inputs must be finite "
                        "(nan or inf would turn every weight into nan)"
                    )
            elif type(v) is Value:
                if not math.isfinite(v.data):
                    raise ValueError(f"{who}[{i}][{j}] is a Value holding {v.data!r}: not finite")
            elif not _is_real(v):
                raise TypeError(
                    f"{who}[{i}][{j}] must be a real number, not {type(v).__name__} ({v!r:.40})"
                )
            elif not math.isfinite(v):
                raise ValueError(f"{who}[{i}][{j}] is {v!r}: inputs must be finite")


def _out_size(model: Any, x: Any) -> int | None:
    """How many outputs ``model`` gives: from ``sizes``/``nout``, else one probe under no_grad."""
    sizes = getattr(model, "sizes", None)
    if isinstance(sizes, list) and sizes and _is_int(sizes[-1]):
        return int(sizes[-1])
    nout = getattr(model, "nout", None)
    if _is_int(nout):
        return int(nout)  # type: ignore[arg-type]
    with no_grad():
        out = model(x)
    return len(out) if isinstance(out, list) else 1


def _class_index(t: object, n: int, where: str) -> None:
    if not _is_int(t):
        raise TypeError(
            f"{where} = {t!r} must be an int class index (0..{n - 1}), not {type(t).__name__}"
        )
    if not 0 <= t < n:  # type: ignore[operator]
        raise ValueError(f"{where} = {t} is out of range for {n} classes (0..{n - 1})")


def _real_target(t: object, where: str) -> float:
    if not _is_real(t):
        raise TypeError(f"{where} = {t!r:.40} must be a real number, not {type(t).__name__}")
    f = float(t)  # type: ignore[arg-type]
    if not math.isfinite(f):
        raise ValueError(f"{where} is {f!r}: targets must be finite")
    return f


def _check_targets(y: Sequence[Any], loss: str | LossFn, n_out: int | None, who: str) -> None:
    """Each target suits the named loss and the model's outputs (a callable's: unchecked)."""
    if not isinstance(loss, str):
        return
    for i, t in enumerate(y):
        where = f"{who}[{i}]"
        if loss == "cross_entropy":
            _class_index(t, n_out or 1, where)
        elif loss == "hinge":
            if _real_target(t, where) not in (-1.0, 1.0):
                raise ValueError(f"{where} = {t!r}: hinge labels must be -1 or 1")
        elif loss == "mse" and n_out is not None and n_out > 1 and _is_int(t):
            _class_index(t, n_out, where)  # read as a one-hot class vector
        elif isinstance(t, Sequence) and not isinstance(t, (str, bytes)):
            if n_out is not None and len(t) != n_out:
                raise ValueError(f"{where} has {len(t)} values but the model has {n_out} outputs")
            for j, v in enumerate(t):
                _real_target(v, f"{where}[{j}]")
        else:
            if n_out is not None and n_out > 1:
                raise ValueError(
                    f"{where} = {t!r:.40} is one number but the model has {n_out} outputs"
                )
            f = _real_target(t, where)
            if loss == "binary_cross_entropy" and not 0.0 <= f <= 1.0:
                raise ValueError(f"{where} = {t!r}: binary_cross_entropy targets lie in [0, 1]")


def _check_all(
    model: Any, X: Sequence[Any], y: Sequence[Any], loss: str | LossFn, who: str
) -> None:
    """All of ``X`` and ``y`` checked before training starts (positions named in the error)."""
    nin = getattr(model, "nin", None)
    _check_samples(X, int(cast(int, nin)) if _is_int(nin) else None, f"{who} X")
    n_out = _out_size(model, X[0]) if isinstance(loss, str) else None
    _check_targets(y, loss, n_out, f"{who} y")


def _mse(outputs: list[Any], targets: list[Any]) -> Value:
    """MSE; an int target with a list output is read as a one-hot class vector."""
    fixed = [
        one_hot(int(t), len(o))
        if isinstance(o, list) and isinstance(t, numbers.Integral) and not isinstance(t, bool)
        else t
        for o, t in zip(outputs, targets)
    ]
    return mse_loss(outputs, fixed)


_NAMED: dict[str, LossFn] = {
    "cross_entropy": cross_entropy,
    "mse": _mse,
    "hinge": hinge_loss,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
}


def _loss_fn(loss: str | LossFn) -> LossFn:
    if callable(loss):
        return loss
    if isinstance(loss, str) and loss in _NAMED:
        return _NAMED[loss]
    raise ValueError(f"unknown loss {loss!r}; pass a callable or one of {', '.join(LOSSES)}")


def _threshold(loss: str | LossFn) -> float:
    """Decision threshold for one-output models: 0.5 on probabilities, else 0."""
    return 0.5 if loss == "binary_cross_entropy" else 0.0


def _correct_data(output: list[float], target: Any, threshold: float, as_list: bool) -> bool:
    """Whether the outputs' values classify ``target`` right (a traced step gives these)."""
    if as_list:  # class scores: the first largest wins, like argmax
        best = max(range(len(output)), key=output.__getitem__)
        if isinstance(target, Sequence):  # a one-hot (or probability) vector
            return best == max(range(len(target)), key=lambda i: target[i])
        return best == target
    return (output[0] > threshold) == (target > 0)


def _correct(output: Any, target: Any, threshold: float) -> bool:
    """Whether a model's output (a Value, a number, or a list of Values) classifies right."""
    if isinstance(output, list):
        return _correct_data([v.data for v in output], target, threshold, True)
    d = output.data if type(output) is Value else float(output)
    return _correct_data([d], target, threshold, False)


# ------------------------------------------------------------------ evaluation


def predict(model: Callable[[Any], Any], X: Sequence[Sequence[float]]) -> list[Any]:
    """The model's output for every sample, computed under ``no_grad`` (no graph is kept)."""
    if isinstance(X, (str, bytes)) or not isinstance(X, Sequence):
        raise TypeError(f"predict: X must be a list of samples, not {type(X).__name__}")
    with no_grad():
        return [model(x) for x in X]


def accuracy(
    model: Callable[[Any], Any],
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    *,
    threshold: float = 0.0,
) -> float:
    """Fraction of samples classified correctly, under ``no_grad``.

    A model with several outputs predicts the index of its largest output
    (compared with an int class ``y``); a one-output model predicts positive
    when its output exceeds ``threshold`` (compared with ``y > 0``, so
    labels may be ±1 or 0/1; use ``threshold=0.5`` for probabilities).
    """
    X, y = _check_data(X, y, "accuracy")
    outs = predict(model, X)
    return sum(_correct(o, t, threshold) for o, t in zip(outs, y)) / len(y)


def evaluate(
    model: Callable[[Any], Any],
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    loss: str | LossFn = "cross_entropy",
) -> dict[str, float]:
    """``{"loss": mean loss, "accuracy": fraction correct}`` over all samples, under ``no_grad``."""
    X, y = _check_data(X, y, "evaluate")
    fn = _loss_fn(loss)
    outs = predict(model, X)
    with no_grad():
        value = fn(outs, list(y))
    acc = sum(_correct(o, t, _threshold(loss)) for o, t in zip(outs, y)) / len(y)
    return {"loss": value.data, "accuracy": acc}


# ------------------------------------------------------------------ fit


@dataclass
class History:
    """Per-epoch records of a :func:`fit` run (one list entry per epoch).

    ``loss`` and ``accuracy`` are measured on the training batches as they
    were seen (the mean of the batch losses weighted by batch size, and the
    fraction of samples classified correctly before their update);
    ``val_loss`` / ``val_accuracy`` on the validation set after each epoch.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    iterations: int = 0
    #: True when the steps ran on traced code (``autograd.trace``), False when eagerly.
    traced: bool = False
    #: Why the steps ran eagerly ("" when they were traced).
    eager_reason: str = ""
    #: ``(epoch, iteration)`` where an interrupted run stopped, both from 0: ``iteration``
    #: updates of that epoch were completed; None for a run that finished.
    stopped: tuple[int, int] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The records as a plain (JSON-able) dict."""
        return {
            "loss": list(self.loss),
            "accuracy": list(self.accuracy),
            "val_loss": list(self.val_loss),
            "val_accuracy": list(self.val_accuracy),
            "seconds": list(self.seconds),
            "iterations": self.iterations,
            "traced": self.traced,
            "stopped": None if self.stopped is None else list(self.stopped),
        }


# ------------------------------------------------------------------ live views

#: ``factory(model=..., X=..., y=..., loss=..., total_steps=...)`` -> an object with ``update``.
LiveFactory = Callable[..., Any]

_live_factory: LiveFactory | None = None


def register_live_view(factory: LiveFactory | None) -> LiveFactory | None:
    """Set what ``fit(..., live=True)`` shows; return the factory registered before.

    The library draws nothing itself, and nothing registers a view behind the
    caller's back (importing ``viz`` does not): with none registered,
    ``live=True`` prints plain progress lines. Register one explicitly
    (``register_live_view(viz.live_view)``), or pass the factory to ``fit``
    itself (``live=viz.live_view``). The factory is called once per run with
    the keywords ``model``, ``X``, ``y``, ``loss`` and ``total_steps`` and
    returns an object with ``update(step, loss, **info)`` (and optionally
    ``close()``). Pass None to unregister.
    """
    global _live_factory
    if factory is not None and not callable(factory):
        raise TypeError(f"factory must be callable or None, not {type(factory).__name__}")
    before, _live_factory = _live_factory, factory
    return before


class _TextProgress:
    """``live=True`` with no view registered: one plain line every ``every`` steps."""

    def __init__(self, every: int) -> None:
        self.every = every

    def update(self, step: int, loss: float, **info: Any) -> None:
        if step % self.every == 0 or info.get("last"):
            acc = info.get("accuracy")
            tail = f"  accuracy {acc:.3f}" if acc is not None else ""
            how = "  (traced)" if info.get("traced") else ""
            print(
                f"step {step:6d}  epoch {info.get('epoch', 0) + 1:4d}  loss {loss:.6g}{tail}{how}"
            )


def _is_view(live: object) -> bool:
    return not isinstance(live, type) and callable(getattr(live, "update", None))


def _live_target(
    live: Any, every: int | None, total: int, model: Any, X: Any, y: Any, loss: Any
) -> Any:
    if live is None or live is False:
        return None
    if _is_view(live):
        return live
    factory = _live_factory if live is True else live  # fit checked that it is callable
    if factory is None:
        return _TextProgress(every or max(1, total // 10))
    view = factory(model=model, X=X, y=y, loss=loss, total_steps=total)
    if not _is_view(view):
        raise TypeError(
            f"the live view factory returned {type(view).__name__}, "
            "not an object with update(step, loss, **info)"
        )
    return view


def _progress_bar(total: int, enabled: bool) -> Any:
    """A tqdm bar if asked for and tqdm is installed, else None (tqdm is an optional extra)."""
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="it", leave=False)


def _note_interrupt(
    exc: BaseException,
    history: History,
    optimizer: Any,
    steps_before: object,
    epoch: int,
    epochs: int,
    per_epoch: int,
) -> None:
    """Tell an interrupted :func:`fit`'s caller where it stopped (see :func:`fit`)."""
    done = history.iterations
    steps = getattr(optimizer, "steps", None)
    if _is_int(steps) and _is_int(steps_before):
        done = int(cast(int, steps)) - int(cast(int, steps_before))  # counted by the optimizer
    history.iterations = done
    history.stopped = (epoch, done - epoch * per_epoch)
    exc.history = history  # type: ignore[attr-defined]
    line = (
        f"fit interrupted in epoch {epoch + 1} of {epochs}, after {done} completed updates "
        f"({done - epoch * per_epoch} of this epoch's {per_epoch}); the parameters are as "
        "after the last of them"
    )
    if hasattr(exc, "add_note"):
        exc.add_note(line)


def fit(
    model: Any,
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    *,
    loss: str | LossFn = "cross_entropy",
    optimizer: Any = None,
    epochs: int = 10,
    batch_size: int = 32,
    seed: int | None = 0,
    validation: tuple[Sequence[Sequence[float]], Sequence[Any]] | None = None,
    progress: bool = False,
    callback: Callable[[int, History], None] | None = None,
    live: Any = False,
    live_every: int | None = None,
    l2: float = 0.0,
    compiled: bool = True,
) -> History:
    """Train ``model`` on minibatches for ``epochs`` epochs; return a :class:`History`.

    ``loss`` is a name from :data:`LOSSES` or a callable ``(outputs, targets)
    -> Value`` over a batch. ``optimizer`` defaults to ``Adam(model.parameters())``.
    ``validation=(X_val, y_val)`` is evaluated after each epoch. ``progress``
    shows a tqdm bar when tqdm is installed (silently none otherwise).
    ``callback(epoch, history)`` runs after each epoch.

    All the data is checked before the first step, so a bad sample or target
    raises with its position (``fit X[3][1]``, ``fit validation y[7]``) while
    the parameters are still untouched: every sample must be a list of
    ``model.nin`` finite real numbers (nan and inf are an error, not a
    warning: one of them turns every weight into nan), and for a named loss
    each target must suit it (an int class index in range for
    ``cross_entropy``; ±1 for ``hinge``; finite numbers, or lists as long as
    the output, otherwise). Targets of a callable loss are not checked.

    ``live`` watches training: an object with ``update(step, loss, **info)``
    (and optionally ``close()``, called at the end) gets the step number
    (counted from 0), the batch loss and the keywords ``epoch``,
    ``accuracy`` (of that batch, before its update), ``model``, ``X``, ``y``,
    ``root`` (the loss Value, its gradients on the parameters; None on a
    traced step, which builds no graph), ``last`` (True on the final step) and
    ``traced``; it is called after the optimizer step, every ``live_every``
    steps (default: every step) and on the last one. ``live`` may also be a
    factory that makes such an object, called once with the keywords
    ``model``, ``X``, ``y``, ``loss`` and ``total_steps``: ``live=viz.live_view``
    redraws one Jupyter output in place. ``live=True`` uses the factory
    registered with :func:`register_live_view` (only an explicit call registers
    one); with none registered it prints a plain line of progress to stdout,
    about ten per run (or one every ``live_every`` steps).

    ``l2`` adds ``l2 * sum(p * p for p in model.parameters())`` to each
    batch's loss, as micrograd's demo does.

    ``compiled`` (the default) runs each step on traced code
    (:func:`autograd.trace`) when the loss is one of the named losses (or
    their functions) and the model traces: the per-sample loss is traced once
    and each batch runs as one backward pass over it, giving the same
    parameters, bit for bit, as the eager engine, several times faster. The
    progress bar and line say ``traced``; ``History.traced`` records it and
    ``History.eager_reason`` says why a run was eager. ``compiled=False``
    always builds the graph and calls ``backward()``.

    Ctrl-C stops training cleanly: the ``KeyboardInterrupt`` propagates with the
    parameters as after the last completed update (an optimizer step is all or
    nothing), a note saying where it stopped (``fit interrupted in epoch 3 of
    10, after 37 completed updates (...)``) and the run so far as
    ``exc.history``, whose ``stopped`` is ``(epoch, iteration)`` counted from 0.
    Interrupted while the data are checked, before anything has changed, it
    carries no note.

    A hidden ReLU layer whose every neuron outputs 0 for a whole batch stalls
    training (see :func:`dead_relu_layers`); ``fit`` says so once per run,
    with a :class:`DeadReluWarning`.
    """
    X, y = _check_data(X, y, "fit")
    fn = _loss_fn(loss)
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not 0.0 <= l2 < math.inf:
        raise TypeError(f"l2 must be a finite number >= 0, not {l2!r}")
    l2 = float(l2)
    if live_every is not None:
        live_every = _int(live_every, "live_every", 1)
    epochs = _int(epochs, "epochs", 0)
    batch_size = _int(batch_size, "batch_size", 1)
    if optimizer is None:
        from .optim import Adam

        optimizer = Adam(model.parameters())
    elif not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(
            f"optimizer must have step() and zero_grad(), not {type(optimizer).__name__}"
        )
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise TypeError("validation must be a pair (X_val, y_val)")
        _check_data(validation[0], validation[1], "fit validation")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, not {type(callback).__name__}")
    if (
        live is not None
        and not isinstance(live, bool)
        and not callable(live)
        and not _is_view(live)
    ):
        raise TypeError(
            f"live must be True, False, an object with update(step, loss, **info) or a "
            f"factory that makes one, not {type(live).__name__}"
        )
    _check_all(model, X, y, loss, "fit")
    if validation is not None:
        _check_all(model, validation[0], validation[1], loss, "fit validation")
    threshold = _threshold(loss)
    rng = random.Random(seed)
    n = len(X)
    per_epoch = len(batches(n, batch_size, shuffle=False))
    total_steps = epochs * per_epoch
    history = History()
    steps_before = getattr(optimizer, "steps", None)
    epoch = 0
    steps = watch = bar = None
    stalled, checked = False, -1
    try:
        if compiled:  # tracing is part of the run: an interrupt during it is noted too
            from .traced_fit import traced_steps

            y_val = validation[1] if validation is not None else ()
            steps, history.eager_reason = traced_steps(model, loss, X, y, y_val)
        else:
            history.eager_reason = "compiled=False"
        history.traced = steps is not None
        watch = _live_target(live, live_every, total_steps, model, X, y, loss)
        every = live_every or 1
        bar = _progress_bar(total_steps, progress)
        if bar is not None:
            bar.set_description("traced" if steps is not None else "eager")
        for epoch in range(epochs):
            start = time.perf_counter()
            total = 0.0
            correct = 0
            seen = 0
            for idx in batches(n, batch_size, rng=rng):
                xb = [X[i] for i in idx]
                yb = [y[i] for i in idx]
                if steps is not None:
                    optimizer.zero_grad()
                    loss_value, outs = steps.run(xb, yb, l2)
                    optimizer.step()
                    right = sum(
                        _correct_data(o, t, threshold, steps.returns_list) for o, t in zip(outs, yb)
                    )
                    root = None
                else:
                    with gc_paused():  # graphs are acyclic: see gc_paused
                        outs = [model(x) for x in xb]
                        value = fn(outs, yb)
                        if l2:
                            params = model.parameters()
                            value = value + l2 * sum((p * p for p in params), Value(0.0))
                        optimizer.zero_grad()
                        value.backward()
                        optimizer.step()
                    loss_value = value.data
                    right = sum(_correct(o, t, threshold) for o, t in zip(outs, yb))
                    root = value
                    del value
                if not stalled and checked < epoch:  # said once; looked into once an epoch at most
                    found = _stalled(model, xb, outs)
                    if found is not None:
                        stalled, checked = found, epoch
                total += loss_value * len(idx)
                seen += len(idx)
                correct += right
                step = history.iterations
                history.iterations += 1
                if watch is not None and (step % every == 0 or step == total_steps - 1):
                    watch.update(
                        step,
                        loss_value,
                        epoch=epoch,
                        accuracy=right / len(idx),
                        model=model,
                        X=X,
                        y=y,
                        root=root,
                        last=step == total_steps - 1,
                        traced=steps is not None,
                    )
                del outs, root
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(epoch=epoch + 1, loss=f"{total / seen:.4f}", refresh=False)
            history.loss.append(total / n)
            history.accuracy.append(correct / n)
            if validation is not None and steps is not None:
                val_loss, val_outs = steps.evaluate(validation[0], validation[1])
                history.val_loss.append(val_loss)
                history.val_accuracy.append(
                    sum(
                        _correct_data(o, t, threshold, steps.returns_list)
                        for o, t in zip(val_outs, validation[1])
                    )
                    / len(validation[1])
                )
            elif validation is not None:
                ev = evaluate(model, validation[0], validation[1], loss)
                history.val_loss.append(ev["loss"])
                history.val_accuracy.append(ev["accuracy"])
            history.seconds.append(time.perf_counter() - start)
            if callback is not None:
                callback(epoch, history)
    except KeyboardInterrupt as exc:
        _note_interrupt(exc, history, optimizer, steps_before, epoch, epochs, per_epoch)
        raise
    finally:
        if bar is not None:
            bar.close()
        close = getattr(watch, "close", None)
        if callable(close):
            try:
                close()  # the live view's last drawing: a moment a Ctrl-C may land in too
            except KeyboardInterrupt as exc:
                _note_interrupt(exc, history, optimizer, steps_before, epoch, epochs, per_epoch)
                raise
    return history
