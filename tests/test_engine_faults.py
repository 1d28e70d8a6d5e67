"""Faults that must keep data whole: threads, interrupts, copies and pickles.

Expected numbers come from running the same computation sequentially, from a
plain-float reference written out here, or from torch float64; never from the
code path under test.
"""

from __future__ import annotations

import copy
import pickle
import signal
import sys
import threading

import pytest
import torch
from helpers import close

import autograd.backward as backward_module
from autograd import Op, Value, grad, topological_order
from autograd.nn import MLP


def _leaves(root: Value) -> list[Value]:
    return [n for n in topological_order(root) if n.is_leaf]


# ------------------------------------------------------------------ threads


def _run_switching_often(threads: list[threading.Thread]) -> None:
    """Start and join ``threads`` with the interpreter switching between them as often as it can."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)


def test_fused_neurons_made_in_many_threads_each_name_their_own_row() -> None:
    # The nodes of one dense call find their row by their creation number, so
    # numbers taken by other threads in the middle of a call must not shift it.
    from autograd import dense

    rows = [[Value(float(10 * r + c)) for c in range(3)] for r in range(40)]
    biases = [Value(-float(r)) for r in range(40)]
    made: list[list[Value]] = []
    errors: list[BaseException] = []

    def build(k: int) -> None:
        try:
            for j in range(200):
                xs = [Value(float(k)), float(j), Value(0.5)]
                outs = dense(rows, biases, xs)
                noise = Value(1.0)
                for _ in range(5):  # other nodes, made between the calls
                    noise = noise * 1.0001
                made.append([xs, outs])  # type: ignore[list-item]
        except BaseException as e:
            errors.append(e)

    _run_switching_often([threading.Thread(target=build, args=(k,)) for k in range(6)])
    assert not errors
    assert len(made) == 6 * 200
    for xs, outs in made:
        for r, out in enumerate(outs):
            weights, inputs, bias = out.dense_parts
            assert weights is rows[r] and bias is biases[r]
            assert inputs == tuple(xs) and inputs[0] is xs[0]
            # and the number is the row's own: w . x + b written out here
            want = sum(float(10 * r + c) * x for c, x in enumerate([xs[0].data, xs[1], 0.5])) - r
            assert out.data == want


def test_concurrent_backward_through_a_shared_model_gives_the_sequential_sum() -> None:
    """8 threads, each backpropagating its own sample through one shared MLP, 20 times."""
    threads_n, passes = 8, 20
    m = MLP(16, [64, 64, 1], seed=0)
    rng = torch.Generator().manual_seed(0)
    xs = torch.rand(threads_n, 16, generator=rng, dtype=torch.float64) * 2 - 1
    # The sequential answer: the same network in torch float64, one sample at a time.
    tm = to_torch_layers(m)
    for x in xs:
        forward_torch(tm, x).backward()
    want = [passes * g for g in torch_grads(tm)]

    graphs = [m([float(v) for v in x]) for x in xs]
    start = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def run(g: Value) -> None:
        try:
            start.wait()
            for _ in range(passes):
                g.backward()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    _run_switching_often([threading.Thread(target=run, args=(g,)) for g in graphs])
    assert not errors
    got = [p.grad for p in m.parameters()]
    wrong = [i for i, (a, b) in enumerate(zip(got, want)) if not close(a, b, rel=1e-9, abs_=1e-12)]
    assert not wrong, f"{len(wrong)} of {len(got)} parameters lost gradient"


def to_torch_layers(m: MLP) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The MLP's weights as torch float64 leaves, layer by layer."""
    layers = []
    for layer in m.layers:
        w = torch.tensor([[p.data for p in n.w] for n in layer.neurons], dtype=torch.float64)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64)
        layers.append((w.requires_grad_(), b.requires_grad_()))
    return layers


def forward_torch(layers: list[tuple[torch.Tensor, torch.Tensor]], x: torch.Tensor) -> torch.Tensor:
    for i, (w, b) in enumerate(layers):
        x = w @ x + b
        if i < len(layers) - 1:
            x = torch.relu(x)
    return x.sum()


def torch_grads(layers: list[tuple[torch.Tensor, torch.Tensor]]) -> list[float]:
    """Gradients in the order of ``MLP.parameters()``: per neuron its weights, then its bias."""
    out: list[float] = []
    for w, b in layers:
        for j in range(w.shape[0]):
            out += w.grad[j].tolist()
            out.append(b.grad[j].item())
    return out


# ------------------------------------------------------------------ interrupts


def _graph_with_history() -> tuple[Value, list[Value]]:
    m = MLP(3, [8, 8, 1], seed=1)
    out = m([0.5, -1.0, 2.0])
    loss = (out - 1.5) ** 2
    loss.backward()  # every .grad now holds something worth keeping
    return loss, topological_order(loss)


def test_an_interrupted_backward_leaves_every_grad_as_it_was(monkeypatch) -> None:
    loss, nodes = _graph_with_history()
    before = [n.grad for n in nodes]
    real = backward_module.propagate

    def half_then_interrupt(order: list) -> None:
        real(order[len(order) // 2 :])  # half of the nodes pass their gradient on
        raise KeyboardInterrupt

    monkeypatch.setattr(backward_module, "propagate", half_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        loss.backward()
    assert [n.grad for n in nodes] == before
    monkeypatch.setattr(backward_module, "propagate", real)
    loss.backward()  # the next pass adds exactly one more pass: no double counting
    for n, b in zip(nodes, before):
        if n.is_leaf:
            assert n.grad == b + b or close(n.grad, 2 * b, rel=1e-15)


def test_an_interrupted_step_loop_leaves_every_grad_as_it_was() -> None:
    from autograd import backward_steps

    loss, nodes = _graph_with_history()
    before = [n.grad for n in nodes]
    steps = backward_steps(loss)
    for _ in range(3):
        next(steps)
    steps.close()  # the learner stops the player half-way
    assert [n.grad for n in nodes] == before


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_a_real_sigint_during_a_large_backward_keeps_grads_whole() -> None:
    x = Value(0.5)
    y = x
    for i in range(200_000):
        y = y * 1.000001 + 0.000001 * (i % 7)
    y.backward()
    first = x.grad
    interrupted = False

    def on_alarm(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, on_alarm)
    try:
        for delay in (0.02, 0.05, 0.1):  # interrupt at some point inside the pass
            signal.setitimer(signal.ITIMER_REAL, delay)
            try:
                y.backward()
            except KeyboardInterrupt:
                interrupted = True
                assert x.grad == first  # all or nothing
                break
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            first = x.grad  # the pass finished first: it counted once
    finally:
        signal.signal(signal.SIGALRM, old)
    assert interrupted, "no interrupt landed inside a pass; the graph is too small"


# ------------------------------------------------------------------ copies and pickles


def _chain(n: int) -> tuple[Value, Value]:
    x = Value(1.5, label="x")
    y = x
    for i in range(n):
        y = (y * 1.0001 + 0.001).tanh() if i % 3 == 0 else y * 0.999 + 0.01
    return x, y


def _torch_chain_grad(n: int) -> float:
    t = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    y = t
    for i in range(n):
        y = torch.tanh(y * 1.0001 + 0.001) if i % 3 == 0 else y * 0.999 + 0.01
    y.backward()
    return t.grad.item()


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_copies_of_a_deep_graph_backpropagate_to_torchs_numbers(how: str) -> None:
    n = 5000  # far past the recursion limit
    x, y = _chain(n)
    y2 = copy.deepcopy(y) if how == "deepcopy" else pickle.loads(pickle.dumps(y))
    assert y2 is not y and y2.data == y.data
    y2.backward()
    (x2,) = _leaves(y2)
    assert x2 is not x and x2.label == "x"
    assert close(x2.grad, _torch_chain_grad(n), rel=1e-12)
    assert x.grad == 0.0  # the original is untouched


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_copies_of_fused_neurons_keep_their_operands(how: str) -> None:
    m = MLP(3, [4, 4, 1], seed=3)
    out = m([1.0, -2.0, 0.5])
    out2 = copy.deepcopy(out) if how == "deepcopy" else pickle.loads(pickle.dumps(out))
    assert out2.dense_parts is not None
    assert len(out2.inputs) == len(out.inputs)
    out.backward()
    out2.backward()
    got = sorted(v.grad for v in _leaves(out2))
    want = sorted(v.grad for v in _leaves(out))
    assert got == want and any(g != 0.0 for g in got)


def test_deepcopy_keeps_shared_nodes_shared() -> None:
    a = Value(2.0)
    b = a * a
    c = b + b
    a2, c2 = copy.deepcopy([a, c])
    c2.backward()
    assert a2.grad == 8.0  # d(2a²)/da at 2, through the copy's own a
    assert a.grad == 0.0


def test_pickle_of_a_graph_with_an_unregistered_op_says_what_to_do() -> None:
    import math

    sin = Op.unary("sin", math.sin, math.cos)
    y = sin(Value(0.3))
    with pytest.raises(TypeError, match="not in the op table"):
        pickle.dumps(y)


def test_second_derivatives_survive_a_pickle() -> None:
    x = Value(3.0)
    y = pickle.loads(pickle.dumps(x**3))
    (x2,) = _leaves(y)
    (g,) = grad(y, [x2], create_graph=True)
    (h,) = grad(g, [x2])
    assert (g.data, h.data) == (27.0, 18.0)


def test_from_torch_refuses_complex_weights() -> None:
    from autograd.nn import from_torch

    layer = torch.nn.Linear(2, 1).to(torch.complex128)
    with pytest.raises(TypeError, match="complex128"):
        from_torch(torch.nn.Sequential(layer))
    ok = from_torch(torch.nn.Sequential(torch.nn.Linear(2, 1).double()))
    assert ok.nin == 2


def test_an_op_of_ones_own_backpropagates_and_refuses_create_graph_clearly() -> None:
    import math

    sin = Op.unary("sin", math.sin, math.cos, formula="cos({a})")
    x = Value(0.3)
    y = sin(x) * x
    y.backward()
    t = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    (torch.sin(t) * t).backward()
    assert close(x.grad, t.grad.item(), rel=1e-15)
    assert y.inputs[0].edges[0].formula(a="x") == "cos(x)"
    with pytest.raises(TypeError, match="no graph rule"):
        grad(sin(x), [x], create_graph=True)
