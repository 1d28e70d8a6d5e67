"""SGD and Adam against live torch.optim (single-tensor float64) over several steps."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from helpers import close
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from autograd.nn import MLP, SGD, Adam, cross_entropy, to_torch

# Tiny tensors: torch's worker threads add only wake-up latency (tens of ms under load).
torch.set_num_threads(1)

D = torch.float64
TOL = 1e-12


def assert_close_lists(got: list[float], want: list[float], what: str, tol: float = TOL) -> None:
    scale = max([1.0, *(abs(w) for w in want)])
    for i, (g, w) in enumerate(zip(got, want)):
        assert close(g, w, rel=tol, abs_=tol, scale=scale), f"{what}[{i}]: {g!r} vs {w!r}"


params0 = st.lists(st.floats(-5, 5), min_size=1, max_size=6)
grad_value = st.one_of(st.floats(-10, 10), st.just(0.0))


@st.composite
def runs(draw: st.DrawFn) -> tuple[list[float], list[list[float]]]:
    p0 = draw(params0)
    steps = draw(st.integers(1, 6))
    grads = [draw(st.lists(grad_value, min_size=len(p0), max_size=len(p0))) for _ in range(steps)]
    return p0, grads


def _compare(
    make: Callable[..., Any], tmake: Callable[..., Any], run: tuple[list[float], list[list[float]]]
) -> None:
    p0, grads = run
    ps = [Value(x) for x in p0]
    tp = torch.tensor(p0, dtype=D, requires_grad=True)
    opt = make(ps)
    topt = tmake([tp])
    for k, g in enumerate(grads):
        for p, gi in zip(ps, g):
            p.grad = gi
        tp.grad = torch.tensor(g, dtype=D)
        opt.step()
        topt.step()
        assert_close_lists([p.data for p in ps], tp.tolist(), f"step {k + 1}")
    assert opt.steps == len(grads)


@given(
    runs(),
    st.floats(0.0, 1.0),
    st.sampled_from([0.0, 0.5, 0.9, 0.99]),
    st.sampled_from([0.0, 1e-4, 0.1]),
    st.sampled_from([0.0, 0.1, 0.5]),
    st.booleans(),
)
def test_sgd_matches_torch(
    run: tuple[list[float], list[list[float]]],
    lr: float,
    momentum: float,
    weight_decay: float,
    dampening: float,
    nesterov: bool,
) -> None:
    if nesterov and (momentum == 0.0 or dampening != 0.0):
        nesterov = False
    kw = dict(momentum=momentum, weight_decay=weight_decay, dampening=dampening, nesterov=nesterov)
    _compare(
        lambda ps: SGD(ps, lr, **kw),
        lambda ps: torch.optim.SGD(ps, lr=lr, foreach=False, **kw),
        run,
    )


@given(
    runs(),
    st.sampled_from([1e-3, 0.01, 0.5]),
    st.tuples(st.sampled_from([0.0, 0.5, 0.9]), st.sampled_from([0.0, 0.9, 0.999])),
    st.sampled_from([1e-8, 1e-3]),
    st.sampled_from([0.0, 1e-2]),
)
def test_adam_matches_torch(
    run: tuple[list[float], list[list[float]]],
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
) -> None:
    _compare(
        lambda ps: Adam(ps, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay),
        lambda ps: torch.optim.Adam(
            ps, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=False
        ),
        run,
    )


def test_sgd_momentum_buffer_starts_at_the_gradient() -> None:
    p = Value(1.0)
    opt = SGD([p], lr=0.1, momentum=0.9)
    p.grad = 2.0
    opt.step()  # buf = g = 2 (not (1 - dampening) * g from a zero buffer)
    assert math.isclose(p.data, 1.0 - 0.1 * 2.0, rel_tol=1e-15)
    opt.step()  # buf = 0.9 * 2 + 2 = 3.8
    assert math.isclose(p.data, 1.0 - 0.2 - 0.38, rel_tol=1e-15)


def test_adam_first_step_is_lr_times_sign() -> None:
    # with bias correction the first update is lr * g / (|g| + eps): about lr * sign(g)
    ps = [Value(0.0), Value(0.0)]
    opt = Adam(ps, lr=0.1)
    ps[0].grad, ps[1].grad = 3.0, -0.5
    opt.step()
    assert math.isclose(ps[0].data, -0.1, rel_tol=1e-8)
    assert math.isclose(ps[1].data, 0.1, rel_tol=1e-7)


@pytest.mark.parametrize("name", ["sgd", "adam"])
def test_training_an_mlp_matches_torch(name: str) -> None:
    rng = random.Random(5)
    model = MLP(4, [6, 5, 3], "tanh", seed=11)
    seq = to_torch(model)
    X = [[rng.uniform(-2, 2) for _ in range(4)] for _ in range(8)]
    y = [rng.randrange(3) for _ in range(8)]
    if name == "sgd":
        opt = SGD(model.parameters(), lr=0.2, momentum=0.9, weight_decay=1e-3)
        topt = torch.optim.SGD(
            seq.parameters(), lr=0.2, momentum=0.9, weight_decay=1e-3, foreach=False
        )
    else:
        opt = Adam(model.parameters(), lr=0.05, weight_decay=1e-3)
        topt = torch.optim.Adam(seq.parameters(), lr=0.05, weight_decay=1e-3, foreach=False)
    tX = torch.tensor(X, dtype=D)
    ty = torch.tensor(y)
    for _ in range(6):
        loss = cross_entropy([model(x) for x in X], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        topt.zero_grad()
        tl = F.cross_entropy(seq(tX), ty)
        tl.backward()
        topt.step()
        assert math.isclose(loss.data, tl.item(), rel_tol=1e-10)
    ours = [v for layer in model.layers for n in layer.neurons for v in (*n.w, n.b)]
    theirs = []
    for lin in (seq[0], seq[2], seq[4]):
        for row, b in zip(lin.weight.tolist(), lin.bias.tolist()):
            theirs += [*row, b]
    assert_close_lists([p.data for p in ours], theirs, "params", tol=1e-10)


def test_zero_grad_and_module_params() -> None:
    model = MLP(2, [3, 1], seed=0)
    opt = SGD(model, lr=0.1)  # a module is accepted for its parameters()
    assert opt.params == model.parameters()
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda p: SGD(p, lr=-0.1), ValueError, "learning rate"),
        (lambda p: SGD(p, lr="0.1"), TypeError, "str"),
        (lambda p: SGD(p, lr=math.nan), ValueError, "finite"),
        (lambda p: SGD(p, lr=True), TypeError, "bool"),
        (lambda p: SGD(p, lr=0.1, momentum=-0.5), ValueError, "momentum"),
        (lambda p: SGD(p, lr=0.1, weight_decay=-1), ValueError, "weight_decay"),
        (lambda p: SGD(p, lr=0.1, nesterov=True), ValueError, "nesterov"),
        (lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=1), TypeError, "bool"),
        (lambda p: Adam(p, lr=-1e-3), ValueError, "learning rate"),
        (lambda p: Adam(p, betas=(1.0, 0.999)), ValueError, "index 0"),
        (lambda p: Adam(p, betas=(0.9, -0.1)), ValueError, "index 1"),
        (lambda p: Adam(p, betas=(0.9,)), ValueError, "pair"),
        (lambda p: Adam(p, betas=0.9), TypeError, "pair"),
        (lambda p: Adam(p, eps=-1e-8), ValueError, "eps"),
        (lambda p: Adam(p, weight_decay="x"), TypeError, "weight_decay"),
        (lambda p: SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda p: SGD([*p, 1.0], lr=0.1), TypeError, r"params\[2\] must be a Value, not float"),
        (lambda p: SGD([p[0], p[0]], lr=0.1), ValueError, "more than once"),
        (lambda p: Adam(p[0]), TypeError, "iterable of Values"),
        (lambda p: Adam(42), TypeError, "int"),
    ],
)
def test_nonsense_optimizer_args_raise(
    make: Callable[..., Any], exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        make([Value(1.0), Value(2.0)])
