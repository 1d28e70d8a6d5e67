"""The lessons' hand-worked networks (docs/lessons.md §1-§3), rebuilt with autograd.nn.

The networks, inputs and the lessons' numbers come from :mod:`gradwalk.lessons` (the one
place they are typed). Every number the engine computes is checked twice: against the
lesson (to the digits given, or to 1e-12 for the exact values) and against the same
network in live PyTorch float64, so a wrong number in the lessons module fails too.
"""

from __future__ import annotations

import math

import pytest
import torch
from helpers import close

from autograd import Value
from autograd.nn import MLP, SGD, Layer, Neuron, mse_loss, softmax, to_torch
from gradwalk.lessons import LESSON1, LESSON2, LESSON3

# Tiny tensors: torch's worker threads add only wake-up latency (tens of ms under load).
torch.set_num_threads(1)

F64 = torch.float64


def _set_layer(layer: Layer, W: object, b: object) -> None:
    for neuron, row, bias in zip(layer.neurons, W, b):  # type: ignore[call-overload]
        for w, v in zip(neuron.w, row):
            w.data = float(v)
        neuron.b.data = float(bias)


def _rounded(xs: list[float], digits: int) -> list[float]:
    return [round(x, digits) for x in xs]


def _all_close(got: list[float], want: list[float]) -> bool:
    """Same length and every pair ``close`` (1e-12 relative and absolute)."""
    return len(got) == len(want) and all(close(g, w) for g, w in zip(got, want))


def _flat(m: object) -> list[float]:
    return [float(v) for row in m for v in row]  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------- §1

L1 = LESSON1
S1_HIDDEN = [[L1.weight[f"w{i}1"], L1.weight[f"w{i}2"]] for i in (1, 2, 3)]
S1_OUT = [L1.weight["w1"], L1.weight["w2"], L1.weight["w3"]]


def _torch_s1(out_weights: list[float]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """§1's network in torch: (hidden weights, output weights, loss) after backward."""
    W1 = torch.tensor(S1_HIDDEN, dtype=F64, requires_grad=True)
    w2 = torch.tensor(out_weights, dtype=F64, requires_grad=True)
    ty = torch.relu(w2 @ torch.relu(W1 @ torch.tensor(L1.inputs, dtype=F64)))
    loss = (ty - L1.target) ** 2
    loss.backward()
    return W1, w2, loss


@pytest.mark.parametrize("fused", [True, False])
def test_s1_three_relu_neurons_one_step(fused: bool) -> None:
    hidden = Layer(2, 3, "relu", seed=0, fused=fused)
    out = Neuron(3, "relu", seed=0, fused=fused)
    _set_layer(hidden, S1_HIDDEN, [0, 0, 0])  # no biases
    for w, v in zip(out.w, S1_OUT):
        w.data = float(v)
    out.b.data = 0.0

    x = list(L1.inputs)
    a = hidden(x)
    assert [v.data for v in a] == list(L1.a)
    y = out(a)
    assert y.data == L1.y
    loss = mse_loss(y, L1.target)  # (y - Y)^2, n = 1
    assert loss.data == L1.loss
    params = [*hidden.parameters(), *out.parameters()]
    opt = SGD(params, lr=L1.lr)
    opt.zero_grad()
    loss.backward()

    w11 = hidden.neurons[0].w[0]
    assert w11.grad == L1.dloss_dw11  # given
    # neuron 3 sits exactly at relu's kink: gradient 0, as in PyTorch
    assert [w.grad for w in hidden.neurons[2].w] == list(L1.dloss_dw3x)

    # the same network in torch
    W1, w2, tloss = _torch_s1(S1_OUT)
    assert tloss.item() == loss.data
    assert [w.grad for n in hidden.neurons for w in n.w] == W1.grad.reshape(-1).tolist()
    assert [w.grad for w in out.w] == w2.grad.tolist()
    assert W1.grad[0, 0].item() == L1.dloss_dw11 and W1.grad[2].tolist() == list(L1.dloss_dw3x)

    opt.step()
    torch_w11 = W1[0, 0].item() - L1.lr * W1.grad[0, 0].item()
    assert close(w11.data, torch_w11)
    assert round(w11.data, L1.w11_after_decimals) == L1.w11_after  # given
    assert round(torch_w11, L1.w11_after_decimals) == L1.w11_after


def test_s1_kink_gives_zero_gradient_even_when_used() -> None:
    # as §1 but with w3 = 1, so neuron 3 matters: relu'(0) = 0 still blocks its gradient
    for fused in (True, False):
        hidden = Layer(2, 3, "relu", seed=0, fused=fused)
        _set_layer(hidden, S1_HIDDEN, [0, 0, 0])
        out = Neuron(3, "relu", seed=0, fused=fused)
        for w in out.w:
            w.data = 1.0
        out.b.data = 0.0
        mse_loss(out(hidden(list(L1.inputs))), L1.target).backward()
        W1, _, _ = _torch_s1([1.0, 1.0, 1.0])
        assert [w.grad for w in hidden.neurons[2].w] == W1.grad[2].tolist() == [0.0, 0.0]
        assert hidden.neurons[0].w[0].grad == W1.grad[0, 0].item() == L1.dloss_dw11


# ----------------------------------------------------------------------------- §2

L2 = LESSON2


def _s2_net(fused: bool) -> MLP:
    net = MLP(2, [2, 2], "sigmoid", "sigmoid", seed=0, fused=fused)
    _set_layer(net.layers[0], L2.W1, L2.b1)
    _set_layer(net.layers[1], L2.W2, L2.b2)
    return net


def _torch_s2() -> dict[str, list[float]]:
    """§2 in torch float64, written out (not through to_torch): forward, loss, gradients."""
    W1 = torch.tensor(L2.W1, dtype=F64, requires_grad=True)
    b1 = torch.tensor(L2.b1, dtype=F64, requires_grad=True)
    W2 = torch.tensor(L2.W2, dtype=F64, requires_grad=True)
    b2 = torch.tensor(L2.b2, dtype=F64, requires_grad=True)
    h = torch.sigmoid(W1 @ torch.tensor(L2.x, dtype=F64) + b1)
    o = torch.sigmoid(W2 @ h + b2)
    loss = ((o - torch.tensor(L2.t, dtype=F64)) ** 2).sum() / 2
    loss.backward()
    return {
        "h": h.tolist(), "o": o.tolist(), "loss": [loss.item()],
        "dW1": W1.grad.reshape(-1).tolist(), "dW2": W2.grad.reshape(-1).tolist(),
        "db1": b1.grad.tolist(), "db2": b2.grad.tolist(),
    }  # fmt: skip


@pytest.mark.parametrize("fused", [True, False])
def test_s2_sigmoid_network_backprop_and_step(fused: bool) -> None:
    want = _torch_s2()
    net = _s2_net(fused)
    h = [v.data for v in net.layers[0](list(L2.x))]
    assert _all_close(h, want["h"]) and _all_close(h, list(L2.h_exact))
    o = [v.data for v in net(list(L2.x))]
    assert _all_close(o, want["o"]) and _all_close(o, list(L2.o_exact))
    assert _rounded(o, L2.decimals) == list(L2.o_given)

    loss = mse_loss(net(list(L2.x)), list(L2.t))  # mean over the 2 outputs == sum(...) / 2
    assert close(loss.data, want["loss"][0]) and close(loss.data, L2.loss_exact)
    assert round(loss.data, L2.decimals) == L2.loss_given

    opt = SGD(net.parameters(), lr=L2.lr)
    opt.zero_grad()
    loss.backward()
    l1, l2 = net.layers
    dW1 = [w.grad for n in l1.neurons for w in n.w]
    dW2 = [w.grad for n in l2.neurons for w in n.w]
    db1 = [n.b.grad for n in l1.neurons]
    db2 = [n.b.grad for n in l2.neurons]
    for got, key, exact in (
        (dW1, "dW1", L2.dW1_exact), (dW2, "dW2", L2.dW2_exact),
        (db1, "db1", L2.db1_exact), (db2, "db2", L2.db2_exact),
    ):  # fmt: skip
        assert _all_close(got, want[key]), (key, got, want[key])
        assert _all_close(got, list(exact)), (key, got, exact)
    assert _rounded(dW1, L2.decimals) == list(L2.dW1_given)
    assert _rounded(dW2, L2.decimals) == list(L2.dW2_given)

    # one SGD step in torch from the same weights
    seq = to_torch(_s2_net(fused))
    topt = torch.optim.SGD(seq.parameters(), lr=L2.lr, foreach=False)
    tout = seq(torch.tensor(L2.x, dtype=F64))
    torch.nn.functional.mse_loss(tout, torch.tensor(L2.t, dtype=F64)).backward()
    topt.step()

    opt.step()
    W1 = [w.data for n in l1.neurons for w in n.w]
    W2 = [w.data for n in l2.neurons for w in n.w]
    b1 = [n.b.data for n in l1.neurons]
    b2 = [n.b.data for n in l2.neurons]
    assert _all_close(W1, seq[0].weight.reshape(-1).tolist())
    assert _all_close(W2, seq[2].weight.reshape(-1).tolist())
    assert _all_close(b1, seq[0].bias.tolist()) and _all_close(b2, seq[2].bias.tolist())
    # given to 4 decimals
    d = L2.decimals
    assert _rounded(W1, d) == list(L2.W1_after)
    assert _rounded(b1, d) == list(L2.b1_after)
    assert _rounded(W2, d) == list(L2.W2_after)
    assert _rounded(b2, d) == list(L2.b2_after)
    assert _rounded(seq[2].weight.reshape(-1).tolist(), d) == list(L2.W2_after)


# ----------------------------------------------------------------------------- §3

L3 = LESSON3


def _s3_net() -> MLP:
    net = MLP(2, [2, 2, 2], "sigmoid", "sigmoid", seed=0)
    for layer, (W, b) in zip(net.layers, L3.layers, strict=True):
        _set_layer(layer, W, b)
    return net


def _layer_outputs(net: MLP, x: list[float]) -> list[list[float]]:
    outs = []
    cur: list = x
    for layer in net.layers:
        cur = layer(cur)
        outs.append([v.data for v in cur])
    return outs


def _torch_s3(x: tuple[float, ...]) -> tuple[list[float], list[list[float]]]:
    """§3 in torch float64: the first layer's pre-activations and every layer's outputs."""
    a = torch.tensor(x, dtype=F64)
    z1: list[float] = []
    outs = []
    for W, b in L3.layers:
        z = torch.tensor(W, dtype=F64) @ a + torch.tensor(b, dtype=F64)
        z1 = z1 or z.tolist()
        a = torch.sigmoid(z)
        outs.append(a.tolist())
    return z1, outs


def test_s3_deep_sigmoid_forward_from_one_minus_one() -> None:
    net = _s3_net()
    assert [v.data for v in net.layers[0].neurons[0].w] == list(L3.layers[0][0][0])
    outs = _layer_outputs(net, list(L3.inputs))
    tz1, touts = _torch_s3(L3.inputs)
    assert tz1 == list(L3.z1)
    flat = [v for layer in outs for v in layer]
    assert _all_close(flat, [v for layer in touts for v in layer])
    assert _all_close(flat, list(L3.outputs_exact))
    assert _rounded(flat, L3.decimals) == list(L3.outputs_given)
    assert [v.data for v in net(list(L3.inputs))] == outs[-1]  # the MLP and its layers agree
    tout = to_torch(net)(torch.tensor(L3.inputs, dtype=F64)).tolist()
    assert _all_close(outs[-1], tout)


def test_s3_deep_sigmoid_forward_from_zero() -> None:
    outs = _layer_outputs(_s3_net(), list(L3.inputs_zero))
    flat = [v for layer in outs for v in layer]
    _, touts = _torch_s3(L3.inputs_zero)
    assert _all_close(flat, [v for layer in touts for v in layer])
    assert _rounded(flat, L3.decimals) == list(L3.outputs_zero_given)
    # the outputs are independent probabilities: they need not sum to 1
    assert abs(sum(outs[-1]) - 1.0) > 0.1


def test_s3_softmax_layer() -> None:
    z = [Value(v) for v in L3.logits]
    ez = [v.exp().data for v in z]
    tz = torch.tensor(L3.logits, dtype=F64)
    assert _all_close(ez, torch.exp(tz).tolist())
    assert _rounded(ez, L3.decimals) == list(L3.exp_given)
    y = [v.data for v in softmax(z)]
    ty = torch.softmax(tz, 0).tolist()
    assert _all_close(y, ty)
    assert _all_close(y, list(L3.softmax_exact))
    assert _rounded(y, L3.decimals) == list(L3.softmax_given)
    assert math.isclose(sum(y), 1.0, rel_tol=0.0, abs_tol=1e-12)
