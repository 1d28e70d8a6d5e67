"""Dead ReLU layers: why a ReLU network can stop learning, and how ``fit`` says so.

A ReLU outputs 0 for any negative input and then passes no gradient back. When
every ReLU of a hidden layer outputs 0 for every sample of a batch, nothing
before that layer can learn again and the network gives the same output for
every sample: the loss stalls (the micrograd lecture's training loop on a
ReLU MLP often ends this way). :func:`dead_relu_layers` finds such layers;
:func:`autograd.nn.fit` checks for them and warns once.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from .modes import no_grad
from .value import Value

__all__ = ["DeadReluWarning", "dead_relu_layers"]


class DeadReluWarning(UserWarning):
    """A hidden ReLU layer output 0 for every sample of a batch: training has stalled."""


def dead_relu_layers(model: Any, X: Sequence[Sequence[float]], *, warn: bool = True) -> list[int]:
    """The hidden ReLU layers (numbered from 1) whose every neuron outputs 0 on all of ``X``.

    Such a layer passes no gradient back, so the layers before it stop
    learning and the network gives the same output for every sample: the
    loss stalls. ``warn`` issues a :class:`DeadReluWarning` saying so when
    the list is not empty. Computed under ``no_grad``; a model without
    ``layers`` (an :class:`~autograd.nn.MLP` has them) gives ``[]``.
    """
    if isinstance(X, (str, bytes)) or not isinstance(X, Sequence):
        raise TypeError(f"dead_relu_layers: X must be a list of samples, not {type(X).__name__}")
    dead = _dead_layers(model, X)
    if dead and warn:
        _warn_dead(model, dead, "given", stacklevel=3)
    return dead


def _hidden_relus(model: Any) -> list[int]:
    """Indices of the hidden layers (all but the last) whose activation is ReLU."""
    layers = getattr(model, "layers", None)
    if not isinstance(layers, list):
        return []
    return [i for i, la in enumerate(layers[:-1]) if getattr(la, "activation", None) == "relu"]


def _dead_layers(model: Any, X: Sequence[Sequence[float]]) -> list[int]:
    hidden = _hidden_relus(model)
    alive: set[int] = set()
    with no_grad():
        for x in X:
            if len(alive) == len(hidden):
                return []
            out: Any = x
            for i, layer in enumerate(model.layers[: hidden[-1] + 1]):
                out = layer(out)
                out = out if isinstance(out, list) else [out]
                if i in hidden and any(v.data != 0.0 for v in out):
                    alive.add(i)
    return [i + 1 for i in hidden if i not in alive]


def _warn_dead(model: Any, dead: list[int], where: str, stacklevel: int) -> None:
    sizes = ", ".join(
        f"{i} ({len(getattr(model.layers[i - 1], 'neurons', ()))} neurons)" for i in dead
    )
    warnings.warn(
        f"every ReLU in hidden layer {sizes} outputs 0 for every sample {where}: no gradient "
        "gets back through it, so it and the layers before it cannot learn and the network "
        "predicts the same for every sample (training has stalled on dead ReLUs). Try another "
        "seed or a smaller learning rate, or tanh (the micrograd lecture's network is "
        "MLP(nin, sizes, activation='tanh', output_activation='tanh')).",
        DeadReluWarning,
        stacklevel=stacklevel + 1,
    )


def _stalled(model: Any, xb: list[Any], outs: list[Any]) -> bool | None:
    """After a batch: True (and a warning) if a hidden ReLU layer was dead for all of it.

    None when the cheap sign is absent: a dead layer makes the output the same
    for every sample, so only a batch of two or more samples with one output
    (whatever the loss) is checked by running it forward again.
    """
    if len(outs) < 2 or not _hidden_relus(model):
        return None
    first = _numbers(outs[0])
    if any(_numbers(o) != first for o in outs[1:]):
        return None
    dead = _dead_layers(model, xb)
    if dead:
        _warn_dead(model, dead, "of a whole batch", stacklevel=3)  # points at fit's caller
    return bool(dead)


def _numbers(output: Any) -> Any:
    if isinstance(output, list):
        return [_numbers(o) for o in output]
    return output.data if isinstance(output, Value) else output
