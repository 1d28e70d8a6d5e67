"""The micrograd lecture's names on Value: ``_prev``, ``_op``, ``_backward`` and the
constructor ``Value(data, _children, _op, label)``, checked against the numbers the
lecture prints and against live torch float64.
"""

from __future__ import annotations

import copy
import math
import pickle
import struct

import pytest
import torch
from helpers import close, tleaf

from autograd import Value, backward_steps, grad
from autograd.nn import MLP
from viz import backward_frames


def float32(x: float) -> float:
    """``x`` rounded to float32, as the lecture's ``torch.Tensor([x]).double()`` does."""
    return struct.unpack("f", struct.pack("f", x))[0]


def neuron(b: float) -> dict[str, Value]:
    """The lecture's neuron ``o = tanh(x1*w1 + x2*w2 + b)``, node by node."""
    v = {
        "x1": Value(2.0, label="x1"),
        "x2": Value(0.0, label="x2"),
        "w1": Value(-3.0, label="w1"),
        "w2": Value(1.0, label="w2"),
        "b": Value(b, label="b"),
    }
    v["x1w1"] = v["x1"] * v["w1"]
    v["x2w2"] = v["x2"] * v["w2"]
    v["x1w1x2w2"] = v["x1w1"] + v["x2w2"]
    v["n"] = v["x1w1x2w2"] + v["b"]
    v["o"] = v["n"].tanh()
    return v


def by_prev(root: Value) -> list[Value]:
    """A topological order built only from ``_prev`` (each node after its children)."""
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        v, done = stack.pop()
        if done:
            order.append(v)
        elif id(v) not in seen:
            seen.add(id(v))
            stack.append((v, True))
            stack.extend((c, False) for c in v._prev)
    return order


def test_prev_is_the_set_of_distinct_children() -> None:
    v = neuron(6.8813735870195432)
    assert v["o"]._prev == {v["n"]}
    assert v["n"]._prev == {v["x1w1x2w2"], v["b"]}
    assert v["x1"]._prev == set()
    a = Value(3.0)
    assert (a + a)._prev == {a}
    assert isinstance((a * 2.0)._prev, set) and (a * 2.0)._prev == {a}


def test_op_is_the_symbol_the_lecture_prints() -> None:
    a, b = Value(2.0), Value(-3.0)
    assert (a + b)._op == "+"
    assert (a * b)._op == "*"
    assert a.tanh()._op == "tanh"
    assert a.exp()._op == "exp"
    assert (a**2)._op == "**2"
    assert (a**-1)._op == "**-1"
    assert (a**0.5)._op == "**0.5"
    assert a.relu()._op == "ReLU"  # micrograd's package spells it so
    assert a._op == ""
    with pytest.raises(AttributeError, match=r"Op\.unary"):
        (a + b)._op = "-"  # type: ignore[misc]


@pytest.mark.parametrize("b", [6.8813735870195432, float32(6.8813735870195432)])
def test_backward_steps_by_hand_give_the_lecture_and_torch_numbers(b: float) -> None:
    v = neuron(b)
    o = v["o"]
    o.grad = 1.0
    for node in reversed(by_prev(o)):
        node._backward()
    ts = {k: tleaf(x) for k, x in (("x1", 2.0), ("x2", 0.0), ("w1", -3.0), ("w2", 1.0))}
    tb = tleaf(b)
    torch.tanh(ts["x1"] * ts["w1"] + ts["x2"] * ts["w2"] + tb).backward()
    for k in ("x1", "x2", "w1", "w2"):  # torch's tanh is not correctly rounded: close
        assert close(v[k].grad, ts[k].grad.item()), k
    assert close(v["b"].grad, tb.grad.item())
    # the numbers the lecture draws (4 decimals) and, for b rounded to float32 as its
    # torch cell does, the numbers it prints
    assert (round(v["x1"].grad, 4), round(v["w1"].grad, 4)) == (-1.5, 1.0)
    assert (round(v["x2"].grad, 4), v["w2"].grad) == (0.5, 0.0)
    if b != 6.8813735870195432:
        printed = {"x2": 0.5000001283844369, "x1": -1.5000003851533106, "w1": 1.0000002567688737}
        assert close(o.data, 0.7071066904050358)
        for k, number in printed.items():
            assert close(v[k].grad, number), k


def test_manual_steps_equal_backward() -> None:
    by_hand = neuron(0.8)
    by_hand["o"].grad = 1.0
    for node in reversed(by_prev(by_hand["o"])):
        node._backward()
    auto = neuron(0.8)
    auto["o"].backward()
    for k in by_hand:
        assert by_hand[k].grad == auto[k].grad, k


def test_a_leafs_backward_does_nothing() -> None:
    a = Value(1.5)
    a.grad = 2.0
    a._backward()
    assert a.grad == 2.0


def test_the_lectures_small_graphs() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.backward()
    assert a.grad == 2.0  # the lecture's a + a: both uses add up
    a, b = Value(-2.0), Value(3.0)
    f = (a * b) * (a + b)
    f.backward()
    assert (a.grad, b.grad) == (-3.0, -8.0)
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    e = a * b
    d = e + c
    L = d * f
    L.backward()
    assert L.data == -8.0
    assert [x.grad for x in (a, b, c, d, e, f)] == [6.0, -4.0, -2.0, -2.0, -2.0, 4.0]
    for x in (a, b, c, f):
        x.data += 0.01 * x.grad
    assert ((a * b + c) * f).data == pytest.approx(-7.286496, abs=1e-12)


def test_tanh_through_exp_as_the_lecture_breaks_it() -> None:
    v = neuron(float32(6.8813735870195432))
    e = (2 * v["n"]).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    assert round(v["x1"].grad, 4) == -1.5 and round(v["w1"].grad, 4) == 1.0


def exp_the_lecture_way(x: Value) -> Value:
    """An op added the lecture's way: a node with children and a ``_backward`` closure."""
    out = Value(math.exp(x.data), (x,), "exp")

    def _backward() -> None:
        x.grad += out.data * out.grad

    out._backward = _backward
    return out


def mul_the_lecture_way(x: Value, y: Value) -> Value:
    out = Value(x.data * y.data, (x, y), "*")

    def _backward() -> None:
        x.grad += y.data * out.grad
        y.grad += x.data * out.grad

    out._backward = _backward
    return out


def test_an_op_made_the_lecture_way_backpropagates_like_torch() -> None:
    a, b = Value(0.5, label="a"), Value(-1.25, label="b")
    y = exp_the_lecture_way(mul_the_lecture_way(a, b) * 2.0) + mul_the_lecture_way(a, a)
    assert y._prev and exp_the_lecture_way(a)._op == "exp"
    y.backward()
    ta, tb = tleaf(0.5), tleaf(-1.25)
    (torch.exp(ta * tb * 2.0) + ta * ta).backward()
    assert a.grad == ta.grad.item() and b.grad == tb.grad.item()
    assert a.grad != 0.0 and b.grad != 0.0
    # its own _backward is the closure, and backward_steps, grad and the player take it
    g = grad(y, [a])[0].data
    assert g == ta.grad.item()
    a.grad = b.grad = 0.0
    steps = list(backward_steps(y))
    assert a.grad == ta.grad.item() and len(steps) >= 3
    frames = backward_frames(y)
    assert len(frames) > 1


def test_an_op_without_backward_fails_clearly() -> None:
    a = Value(0.3)
    z = Value(math.sin(a.data), (a,), "sin") * 2.0
    a.grad = 7.0
    with pytest.raises(TypeError, match=r"_backward was never set.*Op.unary"):
        z.backward()
    assert a.grad == 7.0  # the pass is undone


def test_closures_that_are_not_the_lectures_kind_fail_clearly() -> None:
    a = Value(0.3)
    out = Value(1.0, (a,), "odd")

    def squares() -> None:
        a.grad += out.grad**2  # not linear in out.grad

    with pytest.raises(TypeError, match=r"twice out\.grad"):
        out._backward = squares
    with pytest.raises(TypeError, match="function"):
        out._backward = 3  # type: ignore[assignment]
    with pytest.raises(AttributeError, match=r"Op\.unary"):
        (a * 2)._backward = lambda: None  # type: ignore[assignment]
    with pytest.raises(TypeError, match="_children must be"):
        Value(1.0, (a, 2.0), "+")
    with pytest.raises(TypeError, match="_op must be a str"):
        Value(1.0, (a,), 3)  # type: ignore[arg-type]


def test_the_constructor_keeps_its_older_callers() -> None:
    v = Value(2.0, label="a")
    assert (v.data, v.label, v.grad, v._op, v._prev) == (2.0, "a", 0.0, "", set())
    assert Value(2.0, (), "", "b").label == "b"
    with pytest.raises(TypeError, match="label must be a str"):
        Value(2.0, label=3)  # type: ignore[arg-type]


def test_learners_own_attributes_work() -> None:
    """EurekaLabs' AdamW keeps ``p.m``, ``p.v`` on each parameter; its drawing ``_vis_color``."""
    model = MLP(3, [4, 1], seed=0)
    for p in model.parameters():
        p.m = 0.0  # type: ignore[attr-defined]
        p.v = 0.0  # type: ignore[attr-defined]
    out = model([1.0, 2.0, 3.0])
    out._vis_color = "red"  # type: ignore[attr-defined]
    out.backward()
    p = model.parameters()[0]
    p.m = 0.9 * p.m + 0.1 * p.grad  # type: ignore[attr-defined]
    assert p.m == 0.1 * p.grad and out._vis_color == "red"  # type: ignore[attr-defined]
    q = copy.deepcopy(p)
    assert q.m == p.m  # type: ignore[attr-defined]
    r = pickle.loads(pickle.dumps(p))
    assert r.m == p.m  # type: ignore[attr-defined]
