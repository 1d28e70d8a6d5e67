"""Neurons, layers and multi-layer perceptrons on top of the engine.

micrograd code runs unchanged apart from the import: ``MLP(2, [16, 16, 1])``
has ReLU hidden layers and a linear output, a one-output layer returns a bare
Value, and ``.layers``, ``.neurons``, ``.w`` and ``.b`` exist.

By default a layer computes each neuron as one fused graph node (see
:func:`autograd.dense`): the same gradients as the elementary graph, many
times faster. Pass ``fused=False`` to build the elementary graph
(``w0*x0 + w1*x1 + ... + b``, then the activation) when you want to draw it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence, Set
from typing import Any

from .fused import dense
from .value import Value
from .value import number as _number

__all__ = ["ACTIVATIONS", "MLP", "Layer", "Module", "Neuron"]

#: Activation names accepted by Neuron, Layer and MLP.
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")


def _check_activation(name: object) -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return name


def _check_size(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, not {type(n).__name__}")
    if n < 1:
        raise ValueError(f"{what} must be at least 1, got {n}")
    return n


def _rng(seed: int | None, rng: random.Random | None) -> Any:
    """The random source: ``rng``, else ``Random(seed)``, else the global ``random`` module."""
    if rng is not None:
        if not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random, not {type(rng).__name__}")
        return rng
    if seed is not None:
        return random.Random(seed)
    return random  # like micrograd: random.seed(...) makes it reproducible


def _init_bound(nin: int, activation: str) -> float:
    """Half-width of the uniform initialisation: He for relu, LeCun otherwise."""
    return math.sqrt(6.0 / nin) if activation == "relu" else math.sqrt(3.0 / nin)


def _activate(v: Value, activation: str) -> Value:
    if activation == "tanh":
        return v.tanh()
    if activation == "sigmoid":
        return v.sigmoid()
    if activation == "relu":
        return v.relu()
    return v


def _name_parameters(neuron: Neuron, layer: int, index: int) -> None:
    """Label a neuron's parameters by place: ``w{layer}.{neuron}.{input}``, ``b{layer}.{neuron}``.

    A drawing of any graph the model built then names them, and knows them for parameters.
    """
    for j, w in enumerate(neuron.w):
        w.label = f"w{layer}.{index}.{j}"
    neuron.b.label = f"b{layer}.{index}"


class Module:
    """Base class: parameters, gradients reset, and state as plain JSON-able data."""

    def parameters(self) -> list[Value]:
        """Every trainable Value of this module, in a fixed order."""
        return []

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, list[float]]:
        """The parameters' values as ``{name: [floats]}`` (JSON-able)."""
        return {}

    def load_state_dict(self, state: dict[str, list[float]]) -> None:
        """Set the parameters' values from :meth:`state_dict` output; shapes must match."""
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict, not {type(state).__name__}")
        own = self.state_dict()
        if set(state) != set(own):
            missing = sorted(set(own) - set(state))
            extra = sorted(set(state) - set(own))
            raise ValueError(f"state keys differ: missing {missing}, unexpected {extra}")
        clean = {}
        for key, values in state.items():
            if not isinstance(values, (list, tuple)) or len(values) != len(own[key]):
                got = len(values) if isinstance(values, (list, tuple)) else type(values).__name__
                raise ValueError(f"state[{key!r}] must hold {len(own[key])} numbers, got {got}")
            clean[key] = [_number(v, f"state[{key!r}][{i}]") for i, v in enumerate(values)]
        self._load(clean)  # only once every value has been checked

    def _load(self, state: dict[str, list[float]]) -> None:
        raise NotImplementedError


class Neuron(Module):
    """``activation(w · x + b)`` with ``nin`` weights and a bias."""

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        *,
        nonlin: bool | None = None,
        seed: int | None = None,
        rng: random.Random | None = None,
        fused: bool = True,
    ) -> None:
        nin = _check_size(nin, "nin")
        if nonlin is not None:  # micrograd's spelling
            activation = "relu" if nonlin else "linear"
        self.activation = _check_activation(activation)
        r = _rng(seed, rng)
        bound = _init_bound(nin, self.activation)
        self.w = [Value(r.uniform(-bound, bound)) for _ in range(nin)]
        self.b = Value(0.0)
        self.fused = fused
        _name_parameters(self, 0, 0)

    @property
    def nin(self) -> int:
        """Number of inputs."""
        return len(self.w)

    def __call__(self, x: Sequence[Value | float]) -> Value:
        """The neuron's output for inputs ``x`` (Values or numbers)."""
        x = _check_inputs(x, self.nin, "Neuron")
        if not self.fused:
            z = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
            return _activate(z, self.activation)
        (out,) = dense([self.w], [self.b], x, relu=self.activation == "relu")
        return out if self.activation in ("relu", "linear") else _activate(out, self.activation)

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def state_dict(self) -> dict[str, list[float]]:
        return {"w": [w.data for w in self.w], "b": [self.b.data]}

    def _load(self, state: dict[str, list[float]]) -> None:
        for w, v in zip(self.w, state["w"]):
            w.data = float(v)
        self.b.data = float(state["b"][0])

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


def _check_inputs(x: Any, n: int, who: str) -> Sequence[Value | float]:
    if (
        isinstance(x, (Value, int, float, str, bytes, Mapping, Set))
        or not hasattr(x, "__len__")
        or not hasattr(x, "__getitem__")
    ):
        raise TypeError(f"{who} expects a sequence of {n} inputs, not {type(x).__name__}")
    if len(x) != n:
        raise ValueError(f"{who} expects {n} inputs, got {len(x)}")
    return x


class Layer(Module):
    """``nout`` neurons that read the same ``nin`` inputs."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        nonlin: bool | None = None,
        seed: int | None = None,
        rng: random.Random | None = None,
        fused: bool = True,
    ) -> None:
        nin = _check_size(nin, "nin")
        nout = _check_size(nout, "nout")
        if nonlin is not None:
            activation = "relu" if nonlin else "linear"
        self.activation = _check_activation(activation)
        r = _rng(seed, rng)
        shared = r if isinstance(r, random.Random) else None
        self.neurons = [Neuron(nin, self.activation, rng=shared, fused=fused) for _ in range(nout)]
        self.fused = fused
        self._name(0)

    def _name(self, layer: int) -> None:
        """Label the parameters as those of layer number ``layer`` (see ``_name_parameters``)."""
        for k, neuron in enumerate(self.neurons):
            _name_parameters(neuron, layer, k)

    @property
    def nin(self) -> int:
        """Number of inputs."""
        return len(self.neurons[0].w)

    @property
    def nout(self) -> int:
        """Number of neurons (outputs)."""
        return len(self.neurons)

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """The layer's outputs for inputs ``x``; a bare Value when ``nout == 1``."""
        out = self._forward(_check_inputs(x, self.nin, "Layer"))
        return out[0] if len(out) == 1 else out

    def _forward(self, x: Sequence[Value | float]) -> list[Value]:
        if self.fused:
            out = dense(
                [n.w for n in self.neurons],
                [n.b for n in self.neurons],
                x,
                relu=self.activation == "relu",
            )
            if self.activation in ("tanh", "sigmoid"):
                out = [_activate(v, self.activation) for v in out]
        else:
            out = [n(x) for n in self.neurons]
        return out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def state_dict(self) -> dict[str, list[float]]:
        return {
            "w": [w.data for n in self.neurons for w in n.w],
            "b": [n.b.data for n in self.neurons],
        }

    def _load(self, state: dict[str, list[float]]) -> None:
        ws = iter(state["w"])
        for n, b in zip(self.neurons, state["b"]):
            for w in n.w:
                w.data = float(next(ws))
            n.b.data = float(b)

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` is 2 inputs -> 16 -> 16 -> 1 output.

    Hidden layers use ``activation``; the last layer uses ``output_activation``
    (linear by default, as in micrograd). ``seed`` (or ``rng``) makes the
    initialisation reproducible.

    The defaults are micrograd's package (ReLU hidden layers, linear output), so
    micrograd's demo runs unchanged. The micrograd lecture's network is tanh in
    every layer: ``MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh')``.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        *,
        seed: int | None = None,
        rng: random.Random | None = None,
        fused: bool = True,
    ) -> None:
        nin = _check_size(nin, "nin")
        if isinstance(nouts, (int, str)) or not hasattr(nouts, "__iter__"):
            raise TypeError(f"nouts must be a list of layer sizes, not {type(nouts).__name__}")
        nouts = [_check_size(n, "layer size") for n in nouts]
        if not nouts:
            raise ValueError("nouts must name at least one layer")
        _check_activation(activation)
        _check_activation(output_activation)
        self.activation = activation
        self.output_activation = output_activation
        r = _rng(seed, rng)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation if i < len(nouts) - 1 else output_activation,
                rng=r if isinstance(r, random.Random) else None,
                fused=fused,
            )
            for i in range(len(nouts))
        ]
        self.fused = fused
        for i, layer in enumerate(self.layers):
            layer._name(i)

    @property
    def nin(self) -> int:
        """Number of inputs."""
        return self.layers[0].nin

    @property
    def sizes(self) -> list[int]:
        """Layer widths, inputs first: ``[nin, *nouts]``."""
        return [self.nin, *(layer.nout for layer in self.layers)]

    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        """The network's output for ``x``; a bare Value when the last layer has one neuron."""
        out: Any = _check_inputs(x, self.nin, "MLP")
        for layer in self.layers:  # sizes match by construction: no check per layer
            out = layer._forward(out)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def state_dict(self) -> dict[str, list[float]]:
        return {
            f"layers.{i}.{k}": v
            for i, layer in enumerate(self.layers)
            for k, v in layer.state_dict().items()
        }

    def _load(self, state: dict[str, list[float]]) -> None:
        for i, layer in enumerate(self.layers):
            layer._load({k: state[f"layers.{i}.{k}"] for k in ("w", "b")})

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"MLP({self.nin}, {[layer.nout for layer in self.layers]}, layers=[{inner}])"


# Re-exports: the functional losses, optimizers, training helpers and torch bridge
# live in their own modules; importing them here lets
# ``from autograd.nn import MLP, cross_entropy, Adam`` work. (Appended last: those
# modules import from this one.)
from .functional import (  # noqa: E402
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    log_softmax,
    mse_loss,
    one_hot,
    softmax,
)
from .optim import SGD, Adam, Optimizer  # noqa: E402
from .torch_bridge import read_sequential, to_torch  # noqa: E402
from .train import (  # noqa: E402
    DeadReluWarning,
    History,
    accuracy,
    batches,
    dead_relu_layers,
    evaluate,
    fit,
    predict,
    register_live_view,
)


def from_torch(sequential: Any, *, fused: bool = True) -> MLP:
    """An :class:`MLP` with the weights of ``sequential`` (``Linear`` layers, each optionally
    followed by ``ReLU``, ``Tanh``, ``Sigmoid`` or ``Identity``).

    All hidden layers must share one activation (an MLP has one hidden
    activation and one output activation). A Linear without bias gets zero
    biases. Weights are converted to float64.
    """
    nin, sizes, activation, output_activation, state = read_sequential(sequential)
    mlp = MLP(
        nin,
        sizes,
        activation=activation,
        output_activation=output_activation,
        seed=0,
        fused=fused,
    )
    mlp.load_state_dict(state)
    return mlp


__all__ += [
    "SGD",
    "Adam",
    "DeadReluWarning",
    "History",
    "Optimizer",
    "accuracy",
    "batches",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dead_relu_layers",
    "evaluate",
    "fit",
    "from_torch",
    "hinge_loss",
    "log_softmax",
    "mse_loss",
    "one_hot",
    "predict",
    "register_live_view",
    "softmax",
    "to_torch",
]
