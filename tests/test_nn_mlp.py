"""MLP against live torch float64 through ``to_torch``; ``from_torch``; state; bad input.

For random shapes, activations, seeds and inputs, the MLP's outputs and the gradients of
every parameter (and input) must equal those of the torch Sequential that ``to_torch``
builds (to 1e-10: the two sum a neuron's products in different orders). The elementary
graph (``fused=False``) must give the same numbers as the fused one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
import torch
from helpers import close
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import Value
from autograd.nn import ACTIVATIONS, MLP, Layer, Neuron, from_torch, to_torch

# Tiny tensors: torch's worker threads add only wake-up latency (tens of ms under load).
torch.set_num_threads(1)

D = torch.float64
TOL = 1e-10


def as_list(out: Any) -> list[Value]:
    return out if isinstance(out, list) else [out]


def param_pairs(
    model: MLP, seq: torch.nn.Sequential
) -> list[tuple[Value, torch.Tensor, str, tuple]]:
    """(our parameter, torch's tensor, name, index into the tensor) in the same order."""
    linears = [m for m in seq if isinstance(m, torch.nn.Linear)]
    assert len(linears) == len(model.layers)
    pairs = []
    for i, (layer, lin) in enumerate(zip(model.layers, linears)):
        for j, n in enumerate(layer.neurons):
            for k, w in enumerate(n.w):
                pairs.append((w, lin.weight, f"layers.{i}.neurons[{j}].w[{k}]", (j, k)))
            pairs.append((n.b, lin.bias, f"layers.{i}.neurons[{j}].b", (j,)))
    return pairs


@st.composite
def mlp_cases(draw: st.DrawFn) -> dict[str, Any]:
    nin = draw(st.integers(1, 5))
    nouts = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    return {
        "nin": nin,
        "nouts": nouts,
        "activation": draw(st.sampled_from(ACTIVATIONS)),
        "output_activation": draw(st.sampled_from(ACTIVATIONS)),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "x": draw(st.lists(st.floats(-3, 3), min_size=nin, max_size=nin)),
        "c": draw(st.lists(st.floats(-2, 2), min_size=nouts[-1], max_size=nouts[-1])),
        "x_is_value": draw(st.booleans()),
    }


def _torch_pre_activations(seq: torch.nn.Sequential, x: torch.Tensor) -> list[float]:
    """Every Linear output that feeds a ReLU (to keep examples off relu's kink)."""
    pre = []
    mods = list(seq)
    h = x
    for i, m in enumerate(mods):
        h = m(h)
        if (
            isinstance(m, torch.nn.Linear)
            and i + 1 < len(mods)
            and isinstance(mods[i + 1], torch.nn.ReLU)
        ):
            pre += h.tolist()
    return pre


def _run_ours(case: dict[str, Any], fused: bool) -> tuple[MLP, list[float], list[Value]]:
    model = MLP(
        case["nin"],
        case["nouts"],
        case["activation"],
        case["output_activation"],
        seed=case["seed"],
        fused=fused,
    )
    xs = [Value(v) for v in case["x"]] if case["x_is_value"] else list(case["x"])
    out = as_list(model(xs))
    loss = sum((ci * o for ci, o in zip(case["c"], out)), Value(0.0))
    model.zero_grad()
    loss.backward()
    return model, [o.data for o in out], [v for v in xs if type(v) is Value]


@given(mlp_cases(), st.booleans())
def test_outputs_and_every_gradient_match_torch(case: dict[str, Any], fused: bool) -> None:
    model, outs, xvals = _run_ours(case, fused)
    seq = to_torch(model)
    tx = torch.tensor(case["x"], dtype=D, requires_grad=True)
    with torch.no_grad():
        pre = _torch_pre_activations(seq, tx)
    # an exact kink decides the relu gradient; tiny pre-activations may straddle it
    # depending on summation order, so keep them out (0.0 itself is tested elsewhere)
    assume(all(abs(z) > 1e-9 for z in pre))
    tout = seq(tx)
    (tout * torch.tensor(case["c"], dtype=D)).sum().backward()

    scale = max([1.0, *(abs(v) for v in tout.tolist())])
    for i, (o, t) in enumerate(zip(outs, tout.tolist())):
        assert close(o, t, rel=TOL, abs_=TOL, scale=scale), f"output {i}: {o!r} vs torch {t!r}"
    for p, tp, name, idx in param_pairs(model, seq):
        t = tp.grad[idx].item()
        assert close(p.grad, t, rel=TOL, abs_=TOL, scale=scale), (
            f"{name}.grad: {p.grad!r} vs torch {t!r}"
        )
    if case["x_is_value"]:
        for i, (v, t) in enumerate(zip(xvals, tx.grad.tolist())):
            assert close(v.grad, t, rel=TOL, abs_=TOL, scale=scale), (
                f"x[{i}].grad: {v.grad!r} vs torch {t!r}"
            )


@given(mlp_cases())
def test_unfused_graph_equals_fused(case: dict[str, Any]) -> None:
    fused, out_f, _ = _run_ours(case, True)
    plain, out_p, _ = _run_ours(case, False)
    seq = to_torch(fused)
    with torch.no_grad():
        pre = _torch_pre_activations(seq, torch.tensor(case["x"], dtype=D))
        tout = as_list(seq(torch.tensor(case["x"], dtype=D)).tolist())
    assume(all(abs(z) > 1e-9 for z in pre))
    scale = max([1.0, *(abs(v) for v in tout)])
    for a, b, t in zip(out_f, out_p, tout):
        assert close(a, b, scale=scale) and close(b, t, rel=TOL, abs_=TOL, scale=scale)
    for p, q in zip(fused.parameters(), plain.parameters()):
        assert p.data == q.data
        assert close(p.grad, q.grad, scale=scale), (p.grad, q.grad)


def test_fused_and_unfused_at_the_relu_kink() -> None:
    # inputs of 0 put every first-layer neuron exactly at z = b = 0: gradient 0 as in torch
    for fused in (True, False):
        model = MLP(3, [4, 2], seed=1, fused=fused)
        xs = [Value(0.0) for _ in range(3)]
        sum(as_list(model(xs)), Value(0.0)).backward()
        seq = to_torch(model)
        tx = torch.zeros(3, dtype=D, requires_grad=True)
        seq(tx).sum().backward()
        assert [v.grad for v in xs] == tx.grad.tolist() == [0.0, 0.0, 0.0]
        assert [n.w[0].grad for n in model.layers[0].neurons] == seq[0].weight.grad[:, 0].tolist()


@given(
    st.integers(0, 2**31 - 1),
    st.integers(1, 5),
    st.lists(st.integers(1, 5), min_size=1, max_size=3),
    st.sampled_from(["ReLU", "Tanh", "Sigmoid", "Identity", None]),
    st.sampled_from(["ReLU", "Tanh", "Sigmoid", "Identity", None]),
    st.booleans(),
)
def test_from_torch_round_trip(
    seed: int, nin: int, nouts: list[int], hidden: str | None, last: str | None, fused: bool
) -> None:
    torch.manual_seed(seed)
    mods: list[torch.nn.Module] = []
    sizes = [nin, *nouts]
    for i in range(len(nouts)):
        mods.append(torch.nn.Linear(sizes[i], sizes[i + 1], dtype=D))
        act = hidden if i < len(nouts) - 1 else last
        if act is not None:
            mods.append(getattr(torch.nn, act)())
    seq = torch.nn.Sequential(*mods)
    model = from_torch(seq, fused=fused)
    assert model.sizes == sizes
    assert model.fused is fused
    x = torch.rand(nin, dtype=D) * 4 - 2
    want = seq(x).tolist()
    got = [o.data for o in as_list(model(x.tolist()))]
    for g, w in zip(got, want):
        assert close(g, w, rel=TOL, abs_=TOL)
    back = to_torch(model)
    want_state, got_state = seq.state_dict(), back.state_dict()
    assert len(want_state) == len(got_state)
    for ta, tb in zip(want_state.values(), got_state.values()):
        assert torch.equal(ta, tb)  # the weights survive exactly


def test_from_torch_float32_and_no_bias() -> None:
    torch.manual_seed(0)
    seq = torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False), torch.nn.Tanh())
    model = from_torch(seq)
    assert [n.b.data for n in model.layers[0].neurons] == [0.0, 0.0]
    assert [w.data for w in model.layers[0].neurons[1].w] == seq[0].weight[1].double().tolist()
    assert model.layers[0].activation == "tanh"


def test_to_torch_of_layer_and_neuron() -> None:
    layer = Layer(3, 2, "sigmoid", seed=4)
    neuron = Neuron(3, "tanh", seed=5)
    x = [0.5, -1.0, 2.0]
    tx = torch.tensor(x, dtype=D)
    assert all(
        close(a.data, b, rel=TOL, abs_=TOL) for a, b in zip(layer(x), to_torch(layer)(tx).tolist())
    )
    assert close(neuron(x).data, to_torch(neuron)(tx).item(), rel=TOL, abs_=TOL)


@pytest.mark.parametrize(
    ("mods", "match"),
    [
        (
            lambda: [
                torch.nn.Linear(2, 3),
                torch.nn.ReLU(),
                torch.nn.Linear(3, 3),
                torch.nn.Tanh(),
                torch.nn.Linear(3, 1),
            ],
            "different activations",
        ),
        (
            lambda: [torch.nn.Linear(2, 3), torch.nn.Dropout(), torch.nn.Linear(3, 1)],
            "unsupported Dropout",
        ),
        (lambda: [torch.nn.ReLU(), torch.nn.Linear(2, 1)], "before any Linear"),
        (lambda: [torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Tanh()], "two activations"),
        (lambda: [torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)], "expects 4 inputs"),
        (lambda: [], "no Linear"),
    ],
)
def test_from_torch_rejects_what_an_mlp_cannot_hold(mods: Callable[[], list], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        from_torch(torch.nn.Sequential(*mods()))


def test_bridge_type_errors() -> None:
    with pytest.raises(TypeError, match="Sequential"):
        from_torch("not a model")
    with pytest.raises(TypeError, match="MLP, Layer or Neuron"):
        to_torch(torch.nn.Linear(2, 2))


def test_state_dict_json_round_trip() -> None:
    model = MLP(3, [4, 4, 2], "tanh", seed=1)
    text = json.dumps(model.state_dict())
    other = MLP(3, [4, 4, 2], "tanh", seed=2)
    x = [0.3, -0.7, 1.1]
    assert [o.data for o in model(x)] != [o.data for o in other(x)]
    other.load_state_dict(json.loads(text))
    assert other.state_dict() == model.state_dict()
    assert [o.data for o in other(x)] == [o.data for o in model(x)]
    # and torch agrees with the reloaded model
    t = to_torch(other)(torch.tensor(x, dtype=D)).tolist()
    assert all(close(a.data, b, rel=TOL, abs_=TOL) for a, b in zip(other(x), t))
    bad = json.loads(text)
    bad["layers.0.w"] = bad["layers.0.w"][:-1]
    with pytest.raises(ValueError, match=r"layers\.0\.w"):
        other.load_state_dict(bad)
    with pytest.raises(ValueError, match="missing"):
        other.load_state_dict({"layers.0.w": []})


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: MLP(2, [3, 1], seed=0)([1.0]), ValueError, "expects 2 inputs, got 1"),
        (lambda: MLP(2, [3, 1], seed=0)([1.0, 2.0, 3.0]), ValueError, "expects 2 inputs"),
        (lambda: MLP(2, [3, 1], seed=0)(["a", 1.0]), TypeError, "str"),
        (lambda: MLP(2, [3, 1], seed=0)([None, 1.0]), TypeError, "NoneType"),
        (lambda: MLP(2, [3, 1], seed=0)(1.0), TypeError, "sequence of 2 inputs"),
        (lambda: MLP(2, []), ValueError, "at least one layer"),
        (lambda: MLP(2, [0]), ValueError, "at least 1"),
        (lambda: MLP(0, [2]), ValueError, "at least 1"),
        (lambda: MLP(2, 3), TypeError, "list of layer sizes"),
        (lambda: MLP(2, [2.5]), TypeError, "int"),
        (lambda: MLP(2, [2], activation="swish"), ValueError, "unknown activation 'swish'"),
        (lambda: MLP(2, [2], output_activation="softmax"), ValueError, "unknown activation"),
        (lambda: Layer(2, 3, "gelu"), ValueError, "unknown activation"),
        (lambda: Neuron(2, activation=None), ValueError, "unknown activation"),
    ],
)
def test_bad_input_raises_clear_errors(
    call: Callable[..., Any], exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        call()


def test_torch_sklearn_tqdm_are_not_imported_by_the_package() -> None:
    code = (
        "import sys\n"
        "import autograd, autograd.nn, autograd.functional, autograd.optim\n"
        "import autograd.train, autograd.torch_bridge\n"
        "from autograd.nn import MLP, cross_entropy, Adam, SGD, fit, to_torch, from_torch\n"
        "bad = [m for m in ('torch', 'sklearn', 'tqdm') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "", f"imported at package import time: {out.stdout.strip()}"
