"""The hand-worked networks of worked-examples.md §1-§3, rebuilt with autograd.nn.

Every number is checked against the figure printed in worked-examples.md (to the digits
given, or to 1e-12 for the exact values) and, where a training step is involved, against
the same step in live PyTorch float64.
"""

from __future__ import annotations

import math

import pytest
import torch

from autograd import Value
from autograd.nn import MLP, SGD, Layer, Neuron, mse_loss, softmax, to_torch

# Tiny tensors: torch's worker threads add only wake-up latency (tens of ms under load).
torch.set_num_threads(1)

EXACT = 1e-12


def _set_layer(layer: Layer, W: list[list[float]], b: list[float]) -> None:
    for neuron, row, bias in zip(layer.neurons, W, b):
        for w, v in zip(neuron.w, row):
            w.data = float(v)
        neuron.b.data = float(bias)


def _rounded(xs: list[float], digits: int) -> list[float]:
    return [round(x, digits) for x in xs]


# ----------------------------------------------------------------------------- §1


@pytest.mark.parametrize("fused", [True, False])
def test_s1_three_relu_neurons_one_step(fused: bool) -> None:
    hidden = Layer(2, 3, "relu", seed=0, fused=fused)
    out = Neuron(3, "relu", seed=0, fused=fused)
    # w11 = w21 = w1 = w2 = 1; w12 = w22 = w31 = w32 = w3 = 0; no biases
    _set_layer(hidden, [[1, 0], [1, 0], [0, 0]], [0, 0, 0])
    for w, v in zip(out.w, [1, 1, 0]):
        w.data = float(v)
    out.b.data = 0.0

    x = [2.0, 3.0]
    a = hidden(x)
    assert [v.data for v in a] == [2.0, 2.0, 0.0]
    y = out(a)
    assert y.data == 4.0
    loss = mse_loss(y, 5.0)  # (y - Y)^2, n = 1
    assert loss.data == 1.0
    params = [*hidden.parameters(), *out.parameters()]
    opt = SGD(params, lr=0.001)
    opt.zero_grad()
    loss.backward()

    w11 = hidden.neurons[0].w[0]
    assert w11.grad == -4.0  # given
    # neuron 3 sits exactly at relu's kink: gradient 0, as in PyTorch
    assert hidden.neurons[2].w[0].grad == 0.0 and hidden.neurons[2].w[1].grad == 0.0

    # the same network in torch
    W1 = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64, requires_grad=True)
    ty = torch.relu(w2 @ torch.relu(W1 @ torch.tensor(x, dtype=torch.float64)))
    ((ty - 5.0) ** 2).backward()
    assert [w.grad for n in hidden.neurons for w in n.w] == W1.grad.reshape(-1).tolist()
    assert [w.grad for w in out.w] == w2.grad.tolist()

    opt.step()
    assert math.isclose(w11.data, 1.004, rel_tol=0, abs_tol=EXACT)  # given
    assert round(w11.data, 3) == 1.004


def test_s1_kink_gives_zero_gradient_even_when_used() -> None:
    # as §1 but with w3 = 1, so neuron 3 matters: relu'(0) = 0 still blocks its gradient
    for fused in (True, False):
        hidden = Layer(2, 3, "relu", seed=0, fused=fused)
        _set_layer(hidden, [[1, 0], [1, 0], [0, 0]], [0, 0, 0])
        out = Neuron(3, "relu", seed=0, fused=fused)
        for w in out.w:
            w.data = 1.0
        out.b.data = 0.0
        mse_loss(out(hidden([2.0, 3.0])), 5.0).backward()
        W1 = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
        W1.requires_grad_(True)
        ty = torch.relu(
            torch.ones(3, dtype=torch.float64)
            @ torch.relu(W1 @ torch.tensor([2.0, 3.0], dtype=torch.float64))
        )
        ((ty - 5.0) ** 2).backward()
        assert [w.grad for w in hidden.neurons[2].w] == W1.grad[2].tolist() == [0.0, 0.0]
        assert hidden.neurons[0].w[0].grad == W1.grad[0, 0].item() == -4.0


# ----------------------------------------------------------------------------- §2

S2_X = [0.05, 0.10]
S2_T = [0.01, 0.99]
S2_W1 = [[0.15, 0.20], [0.25, 0.30]]
S2_B1 = [0.35, 0.35]
S2_W2 = [[0.40, 0.45], [0.50, 0.55]]
S2_B2 = [0.60, 0.60]


def _s2_net(fused: bool) -> MLP:
    net = MLP(2, [2, 2], "sigmoid", "sigmoid", seed=0, fused=fused)
    _set_layer(net.layers[0], S2_W1, S2_B1)
    _set_layer(net.layers[1], S2_W2, S2_B2)
    return net


def _close_all(got: list[float], want: list[float], tol: float = EXACT) -> bool:
    return len(got) == len(want) and all(
        math.isclose(g, w, rel_tol=tol, abs_tol=tol) for g, w in zip(got, want)
    )


@pytest.mark.parametrize("fused", [True, False])
def test_s2_sigmoid_network_backprop_and_step(fused: bool) -> None:
    net = _s2_net(fused)
    h = net.layers[0](S2_X)
    assert _close_all([v.data for v in h], [0.5932699921071872, 0.596884378259767])
    o = net(S2_X)
    assert _close_all([v.data for v in o], [0.7513650695523157, 0.7729284653214625])
    assert _rounded([v.data for v in o], 4) == [0.7514, 0.7729]  # given

    loss = mse_loss(o, S2_T)  # mean over the 2 outputs == sum((o - t)^2) / 2
    assert math.isclose(loss.data, 0.2983711087600027, rel_tol=EXACT)
    assert round(loss.data, 4) == 0.2984  # given

    opt = SGD(net.parameters(), lr=0.5)
    opt.zero_grad()
    loss.backward()
    l1, l2 = net.layers
    dW1 = [[w.grad for w in n.w] for n in l1.neurons]
    dW2 = [[w.grad for w in n.w] for n in l2.neurons]
    assert _close_all(dW1[0], [0.0004385677344743465, 0.000877135468948693])
    assert _close_all(dW1[1], [0.0004977127352608599, 0.0009954254705217198])
    assert _close_all(dW2[0], [0.08216704056423077, 0.08266762784753325])
    assert _close_all(dW2[1], [-0.02260254047747507, -0.022740242215978222])
    assert [_rounded(r, 4) for r in dW1] == [[0.0004, 0.0009], [0.0005, 0.0010]]  # given
    assert [_rounded(r, 4) for r in dW2] == [[0.0822, 0.0827], [-0.0226, -0.0227]]  # given
    assert _close_all([n.b.grad for n in l1.neurons], [0.00877135468948693, 0.009954254705217196])
    assert _close_all([n.b.grad for n in l2.neurons], [0.13849856162855695, -0.038098236516556236])

    # one SGD step in torch from the same weights
    seq = to_torch(_s2_net(fused))
    topt = torch.optim.SGD(seq.parameters(), lr=0.5, foreach=False)
    tout = seq(torch.tensor(S2_X, dtype=torch.float64))
    torch.nn.functional.mse_loss(tout, torch.tensor(S2_T, dtype=torch.float64)).backward()
    topt.step()

    opt.step()
    W1 = [[w.data for w in n.w] for n in l1.neurons]
    W2 = [[w.data for w in n.w] for n in l2.neurons]
    b1 = [n.b.data for n in l1.neurons]
    b2 = [n.b.data for n in l2.neurons]
    assert _close_all([v for r in W1 for v in r], seq[0].weight.reshape(-1).tolist())
    assert _close_all([v for r in W2 for v in r], seq[2].weight.reshape(-1).tolist())
    assert _close_all(b1, seq[0].bias.tolist()) and _close_all(b2, seq[2].bias.tolist())
    # given to 4 decimals
    assert [_rounded(r, 4) for r in W1] == [[0.1498, 0.1996], [0.2498, 0.2995]]
    assert _rounded(b1, 4) == [0.3456, 0.3450]
    assert [_rounded(r, 4) for r in W2] == [[0.3589, 0.4087], [0.5113, 0.5614]]
    assert _rounded(b2, 4) == [0.5308, 0.6190]


# ----------------------------------------------------------------------------- §3


def _s3_net() -> MLP:
    net = MLP(2, [2, 2, 2], "sigmoid", "sigmoid", seed=0)
    _set_layer(net.layers[0], [[1, -2], [-1, 1]], [1, 0])
    _set_layer(net.layers[1], [[2, -1], [-2, -1]], [0, 0])
    _set_layer(net.layers[2], [[3, -1], [-1, 4]], [-2, 2])
    return net


def _layer_outputs(net: MLP, x: list[float]) -> list[list[float]]:
    outs = []
    cur: list = x
    for layer in net.layers:
        cur = layer(cur)
        outs.append([v.data for v in cur])
    return outs


def test_s3_deep_sigmoid_forward_from_one_minus_one() -> None:
    net = _s3_net()
    z1 = [v.data for v in net.layers[0].neurons[0].w]  # sanity: weights as given
    assert z1 == [1.0, -2.0]
    l1, l2, l3 = _layer_outputs(net, [1.0, -1.0])
    assert _close_all(l1, [0.9820137900379085, 0.11920292202211755])
    assert _close_all(l2, [0.8635183126781821, 0.11073744383822465])
    assert _close_all(l3, [0.6177047777553412, 0.8291239841574399])
    assert _rounded(l1, 2) == [0.98, 0.12]  # given (z = (4, -2))
    assert _rounded(l2, 2) == [0.86, 0.11]
    assert _rounded(l3, 2) == [0.62, 0.83]  # given
    assert _close_all([v.data for v in net([1.0, -1.0])], l3, tol=0.0)
    # against torch
    tout = to_torch(net)(torch.tensor([1.0, -1.0], dtype=torch.float64)).tolist()
    assert _close_all(l3, tout)


def test_s3_deep_sigmoid_forward_from_zero() -> None:
    l1, l2, l3 = _layer_outputs(_s3_net(), [0.0, 0.0])
    assert _rounded(l1, 2) == [0.73, 0.50]
    assert _rounded(l2, 2) == [0.72, 0.12]
    assert _rounded(l3, 2) == [0.51, 0.85]
    # the outputs are independent probabilities: they need not sum to 1
    assert abs(sum(l3) - 1.0) > 0.1


def test_s3_softmax_layer() -> None:
    z = [Value(3.0), Value(1.0), Value(-3.0)]
    ez = [math.exp(v.data) for v in z]
    assert _rounded(ez, 2) == [20.09, 2.72, 0.05]  # given
    y = [v.data for v in softmax(z)]
    assert _close_all(y, [0.878878242732151, 0.11894323591065209, 0.0021785213571970234])
    assert _rounded(y, 2) == [0.88, 0.12, 0.00]  # given
    assert math.isclose(sum(y), 1.0, abs_tol=EXACT)
    ty = torch.softmax(torch.tensor([3.0, 1.0, -3.0], dtype=torch.float64), 0).tolist()
    assert _close_all(y, ty)
