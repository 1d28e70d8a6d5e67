"""Bit-for-bit agreement with torch float64 where torch's own formula is known.

Each case here is one that an audit found differing (or a family around it):
the gradient is compared for exact equality with torch, computed live.
"""

from __future__ import annotations

import math
import random

import pytest
import torch

from autograd import Value, grad
from autograd.exact import MASKED


def tleaf(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


def bits_equal(a: float, b: float) -> bool:
    return (a != a and b != b) or a == b


# ------------------------------------------------------------------ item 1: tanh near saturation


def test_tanh_gradient_near_saturation_is_torchs() -> None:
    v = Value(9.8269089983763)
    v.tanh().backward(9.8269089983763)
    assert v.grad == 1.1453341686117686e-07  # torch's value, the exact one


@pytest.mark.parametrize("op", ["tanh", "sigmoid"])
def test_activation_gradients_match_torch_bit_for_bit(op: str) -> None:
    rng = random.Random(7)
    checked = 0
    for _ in range(3000):
        x = rng.uniform(-15, 15)
        g = rng.uniform(-5, 5)
        t = tleaf(x)
        y = getattr(torch, op)(t)
        y.backward(torch.tensor(g, dtype=torch.float64))
        v = Value(x)
        out = getattr(v, op)()
        if out.data != y.item():
            continue  # forward differs by an ulp (a different libm): not this test's subject
        out.backward(g)
        assert v.grad == t.grad.item(), (op, x, g)
        checked += 1
    assert checked > 2500


# ------------------------------------------------------------------ item 2: torch divides


@pytest.mark.parametrize(
    "build",
    [
        lambda v: v.log() * -3.0,
        lambda v: 7 * v.log(),
        lambda v: v.sqrt() * 5.0,
        lambda v: v / v,
        lambda v: 3.0 / v,
        lambda v: (v + 1.0) / (v * v),
    ],
    ids=["log*-3", "7*log", "sqrt*5", "v/v", "3/v", "(v+1)/v²"],
)
@pytest.mark.parametrize(
    "x, seed", [(1e-5, 1.0), (3.0, 7.0), (1e-162, 3.0), (0.7, -2.5), (1e300, 1.0)]
)
def test_division_family_gradients_are_torchs(build, x: float, seed: float) -> None:
    t = tleaf(x)
    build(t).backward(torch.tensor(seed, dtype=torch.float64))
    v = Value(x)
    build(v).backward(seed)
    assert bits_equal(v.grad, t.grad.item())


def test_audited_division_cases() -> None:
    v = Value(1e-5)
    (v.log() * -3.0).backward()
    assert v.grad == -300000.0
    v = Value(3.0)
    (v / v).backward(7.0)
    assert v.grad == 4.440892098500626e-16
    v = Value(1e-162)
    (v / v).backward(3.0)
    assert v.grad == -3.99583814440447e146


# ------------------------------------------------------------------ item 3: order of sums


def test_reused_node_sums_in_torchs_order() -> None:
    x = 1.4691407801241752e-55
    v = Value(x)
    q = v / v
    s = v.sqrt()
    (s + -q).backward()
    t = tleaf(x)
    tq = t / t  # the same creation order as above: torch's order depends on it
    ts = torch.sqrt(t)
    (ts + -tq).backward()
    assert v.grad == t.grad.item() == 0.0

    x = 1.874715883560086e-26
    v = Value(x)
    m = -v
    q = v / v
    (q + -m).backward()
    t = tleaf(x)
    tm = -t
    (t / t + -tm).backward()
    assert v.grad == t.grad.item() == 1.0


def test_random_sums_of_a_reused_node_match_torch_exactly() -> None:
    rng = random.Random(3)
    for _ in range(200):
        x = rng.choice([rng.uniform(-3, 3), 10 ** rng.uniform(-60, 60)])
        ops = [rng.randrange(6) for _ in range(rng.randrange(3, 9))]
        built = {}
        for lib, leaf in (("engine", Value(x)), ("torch", tleaf(x))):
            terms = []
            for k in ops:
                if k == 0:
                    terms.append(leaf * 1.5)
                elif k == 1:
                    terms.append(leaf / leaf)
                elif k == 2:
                    terms.append(-leaf)
                elif k == 3:
                    terms.append(leaf * leaf)
                elif k == 4:
                    terms.append((leaf * 0.3).exp())
                else:
                    terms.append(leaf - 2.0 * leaf)
            total = terms[0]
            for t in terms[1:]:
                total = total + t
            total.backward()
            built[lib] = leaf.grad if lib == "engine" else leaf.grad.item()
        assert bits_equal(built["engine"], built["torch"]), (x, ops, built)


# ------------------------------------------------------------------ item 4: higher order at 0


@pytest.mark.parametrize("f", [lambda x: 0.0**x, lambda x: x**x], ids=["0**x", "x**x"])
def test_higher_derivatives_at_a_zero_base_are_torchs(f) -> None:
    x = Value(0.0)
    g1 = grad(f(x), [x], create_graph=True)[0]
    g2 = grad(g1, [x], create_graph=True)[0]
    g3 = grad(g2, [x])[0]
    t = tleaf(0.0)
    (t1,) = torch.autograd.grad(f(t), [t], create_graph=True)
    (t2,) = torch.autograd.grad(t1, [t], create_graph=True)
    (t3,) = torch.autograd.grad(t2, [t])
    for ours, theirs in ((g1, t1), (g2, t2), (g3, t3)):
        assert bits_equal(ours.data, theirs.item())


# ------------------------------------------------------------------ sentinels stay inside


def test_data_can_never_be_taken_for_the_mask() -> None:
    x = Value(2.0)
    y = x * Value(MASKED)  # a user passing the engine's own zero as data
    y.backward(math.inf)
    t = tleaf(2.0)
    (t * torch.tensor(0.0, dtype=torch.float64)).backward(
        torch.tensor(math.inf, dtype=torch.float64)
    )
    assert math.isnan(t.grad.item()) and math.isnan(x.grad)


def test_local_grads_are_plain_floats() -> None:
    v = Value(3.0)
    nodes = [v / 7.0, 2.0 / v, v.log(), v.sqrt(), v.sigmoid(), (-v).relu(), v.tanh()]
    for n in nodes:
        for _, local in n.local_grads:
            assert type(local) is float
        for e in n.edges:
            assert type(e.local) is float
    assert (2.0 / v).local_grads[0][1] == -2.0 / 9.0
