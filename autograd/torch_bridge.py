"""Convert between an :class:`~autograd.nn.MLP` and a float64 ``torch.nn.Sequential``.

``to_torch(mlp)`` builds ``Linear`` layers (plus ``ReLU`` / ``Tanh`` /
``Sigmoid`` modules) holding the same weights; :func:`read_sequential` reads
such a Sequential back, and ``nn.from_torch`` makes the MLP from it. torch is
imported inside these functions only: it is never a dependency of the
package. This module reads models by their fields (``layers``, ``neurons``,
``w``, ``b``), so it imports nothing of ``nn``, which imports it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["read_sequential", "to_torch"]

_TORCH_ACTIVATIONS = {"ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "Identity": "linear"}


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as e:  # pragma: no cover - torch is installed for the tests
        raise ImportError("the torch bridge needs PyTorch: pip install torch") from e
    return torch


def _layer_specs(model: object) -> list[tuple[list[list[float]], list[float], str]]:
    """(weight rows, biases, activation) for each layer of an MLP, a Layer or a Neuron."""
    kind = type(model).__name__
    if kind == "MLP" and hasattr(model, "layers"):
        layers = list(model.layers)
    elif kind == "Layer" and hasattr(model, "neurons"):
        layers = [model]
    elif kind == "Neuron" and hasattr(model, "w"):
        return [([[w.data for w in model.w]], [model.b.data], model.activation)]  # type: ignore[attr-defined]
    else:
        raise TypeError(f"to_torch expects an MLP, Layer or Neuron, not {type(model).__name__}")
    return [
        (
            [[w.data for w in n.w] for n in layer.neurons],
            [n.b.data for n in layer.neurons],
            layer.activation,
        )
        for layer in layers
    ]


def to_torch(model: Any) -> Any:
    """A float64 ``torch.nn.Sequential`` computing the same function with the same weights.

    Each layer becomes ``nn.Linear(nin, nout)`` (weight rows are the
    neurons' ``w``, bias their ``b``) followed by ``nn.ReLU``, ``nn.Tanh`` or
    ``nn.Sigmoid`` (nothing for a linear layer). The torch parameters are
    copies: training one model does not change the other.
    """
    specs = _layer_specs(model)
    torch = _import_torch()
    nn = torch.nn
    modules = []
    for rows, biases, activation in specs:
        lin = nn.Linear(len(rows[0]), len(rows), dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(rows, dtype=torch.float64))
            lin.bias.copy_(torch.tensor(biases, dtype=torch.float64))
        modules.append(lin)
        act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}.get(activation)
        if act is not None:
            modules.append(act())
    return nn.Sequential(*modules)


def read_sequential(sequential: Any) -> tuple[int, list[int], str, str, dict[str, list[float]]]:
    """What an MLP needs to equal ``sequential``: inputs, layer sizes, hidden and output
    activations, and the weights as a state dict (see ``nn.from_torch``)."""
    torch = _import_torch()
    nn = torch.nn
    if isinstance(sequential, nn.Linear):
        sequential = nn.Sequential(sequential)
    if not isinstance(sequential, nn.Sequential):
        raise TypeError(
            f"from_torch expects a torch.nn.Sequential, not {type(sequential).__name__}"
        )
    specs: list[tuple[Any, str]] = []  # (Linear, activation)
    for i, mod in enumerate(sequential):
        name = type(mod).__name__
        if isinstance(mod, nn.Linear):
            if specs and mod.in_features != specs[-1][0].out_features:
                raise ValueError(
                    f"module {i}: Linear expects {mod.in_features} inputs but the previous "
                    f"layer gives {specs[-1][0].out_features}"
                )
            for what, t in (("weight", mod.weight), ("bias", mod.bias)):
                if t is not None and (t.is_complex() or not t.is_floating_point()):
                    raise TypeError(
                        f"module {i}: Linear {what} has dtype {t.dtype}; from_torch takes real "
                        "floating-point weights only (an imaginary part would be lost)"
                    )
            specs.append((mod, "linear"))
        elif name in _TORCH_ACTIVATIONS and type(mod) is getattr(nn, name):
            if not specs:
                raise ValueError(f"module {i}: {name} before any Linear layer")
            if specs[-1][1] != "linear":
                raise ValueError(f"module {i}: two activations in a row ({specs[-1][1]}, {name})")
            specs[-1] = (specs[-1][0], _TORCH_ACTIVATIONS[name])
        else:
            raise ValueError(
                f"module {i}: unsupported {name}; expected Linear, ReLU, Tanh, Sigmoid or Identity"
            )
    if not specs:
        raise ValueError("from_torch: the Sequential holds no Linear layer")
    hidden = {act for _, act in specs[:-1]}
    if len(hidden) > 1:
        raise ValueError(
            f"from_torch: hidden layers use different activations {sorted(hidden)}; "
            "an MLP has a single hidden activation"
        )
    activation = hidden.pop() if hidden else "relu"
    sizes = [lin.out_features for lin, _ in specs]
    state: dict[str, list[float]] = {}
    for i, (lin, _) in enumerate(specs):
        w = lin.weight.detach().to(torch.float64)
        state[f"layers.{i}.w"] = [float(v) for v in w.reshape(-1).tolist()]
        if lin.bias is None:
            state[f"layers.{i}.b"] = [0.0] * lin.out_features
        else:
            state[f"layers.{i}.b"] = [
                float(v) for v in lin.bias.detach().to(torch.float64).tolist()
            ]
    return specs[0][0].in_features, sizes, activation, specs[-1][1], state
