"""``autograd.trace``: traced code gives the bits of ``backward()``, and refuses what it cannot.

Every comparison is against the eager engine on the same graph (and so, through the
engine's own torch cross-checks, against torch float64): values and gradients must have
the same bits (nan positions equal, +0.0 and -0.0 told apart).
"""

from __future__ import annotations

import math
import random
import re
import struct
import threading
from collections.abc import Callable
from typing import Any

import pytest
from helpers import wild_floats
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Op, Trace, TraceError, Value, dense, no_grad, trace
from autograd.nn import (
    MLP,
    SGD,
    Adam,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    fit,
    hinge_loss,
    mse_loss,
    softmax,
)


def same(a: float, b: float) -> bool:
    """Bit-identical, except that any nan equals any nan."""
    if a != a or b != b:
        return a != a and b != b
    return struct.pack("<d", a) == struct.pack("<d", b)


def assert_same(got: list[float], want: list[float], what: str) -> None:
    bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if not same(g, w)]
    assert len(got) == len(want) and not bad, f"{what}: (index, traced, eager) {bad[:5]}"


# ------------------------------------------------------------------ random programs

UNARY = ("neg", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "cos_op")
BINARY = ("add", "sub", "mul", "div", "pow")
CONST = ("add", "sub", "mul", "div", "rdiv", "pow_scalar", "rsub", "radd", "rmul")

COS = Op.unary(
    "cos",
    lambda x: math.cos(x) if math.isfinite(x) else math.nan,
    lambda x: -math.sin(x) if math.isfinite(x) else math.nan,
)


def _unary(op: str, a: Value) -> Value:
    if op == "cos_op":
        return COS(a)
    if op == "neg":
        return -a
    if op == "abs":
        return abs(a)
    return getattr(a, op)()


def _binary(op: str, a: Value, b: Value) -> Value:
    return {
        "add": a + b,
        "sub": a - b,
        "mul": a * b,
        "div": a / b,
        "pow": a**b,
    }[op]


def _const(op: str, a: Value, c: float) -> Value:
    return {
        "add": lambda: a + c,
        "radd": lambda: c + a,
        "sub": lambda: a - c,
        "rsub": lambda: c - a,
        "mul": lambda: a * c,
        "rmul": lambda: c * a,
        "div": lambda: a / c,
        "rdiv": lambda: c / a,
        "pow_scalar": lambda: a**c,
    }[op]()


@st.composite
def programs(draw: st.DrawFn, floats: st.SearchStrategy[float]) -> dict[str, Any]:
    """Parameters, arguments and a list of instructions over a growing pool of Values."""
    n_params = draw(st.integers(1, 3))
    n_args = draw(st.integers(0, 2))
    instrs = []
    pool = n_params + n_args
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from("ubcdl"))
        i = draw(st.integers(0, pool - 1))
        if kind == "u":
            instrs.append(("u", draw(st.sampled_from(UNARY)), i))
        elif kind == "b":
            instrs.append(("b", draw(st.sampled_from(BINARY)), i, draw(st.integers(0, pool - 1))))
        elif kind == "c":
            op = draw(st.sampled_from(CONST))
            c = draw(st.sampled_from((0.0, 2.0, 3.0, 0.5, -1.0))) if op == "pow_scalar" else None
            instrs.append(("c", op, i, c if c is not None else draw(floats)))
        elif kind == "d":  # a fused layer of 1-2 neurons
            k = draw(st.integers(1, 3))
            ins = [draw(st.integers(0, pool - 1)) for _ in range(k)]
            rows = [[draw(st.integers(0, pool - 1)) for _ in range(k)] for _ in range(2)]
            consts = [draw(st.one_of(st.none(), floats)) for _ in range(k)]
            bias = draw(st.one_of(st.none(), floats, st.integers(0, pool - 1)))
            instrs.append(("d", rows, ins, consts, bias, draw(st.booleans())))
            pool += 1  # one output kept (the layer's last)
            continue
        else:  # a loss over two pool entries
            j = draw(st.integers(0, pool - 1))
            losses = ("ce", "mse", "hinge", "bce", "sm", "bcep")
            instrs.append(("l", draw(st.sampled_from(losses)), i, j))
        pool += 1
    return {
        "params": [draw(floats) for _ in range(n_params)],
        "args": [draw(floats) for _ in range(n_args)],
        "instrs": instrs,
        "out": draw(st.integers(0, pool - 1)),
        "seed": draw(st.sampled_from((1.0, -0.5, 0.01))),
    }


def build(prog: dict[str, Any], params: list[Value]) -> Callable[..., Value]:
    def fn(*args: Value) -> Value:
        pool: list[Value] = [*params, *args]
        for ins in prog["instrs"]:
            kind = ins[0]
            if kind == "u":
                pool.append(_unary(ins[1], pool[ins[2]]))
            elif kind == "b":
                pool.append(_binary(ins[1], pool[ins[2]], pool[ins[3]]))
            elif kind == "c":
                pool.append(_const(ins[1], pool[ins[2]], ins[3]))
            elif kind == "d":
                _, rows, ins_, consts, bias, relu = ins
                inputs = [pool[i] if c is None else c for i, c in zip(ins_, consts)]
                b = pool[bias] if isinstance(bias, int) else bias
                outs = dense([[pool[i] for i in r] for r in rows], [b, None], inputs, relu=relu)
                pool.append(outs[-1] + outs[0])
            else:
                _, loss, i, j = ins
                a, b = pool[i], pool[j]
                if loss == "ce":
                    pool.append(cross_entropy([a, b], 1))
                elif loss == "mse":
                    pool.append(mse_loss([a, b], [0.5, -1.0]))
                elif loss == "hinge":
                    pool.append(hinge_loss([a, b], [1, -1]))
                elif loss == "bce":
                    pool.append(binary_cross_entropy_with_logits([a, b], [1.0, 0.0]))
                elif loss == "bcep":
                    pool.append(binary_cross_entropy([a.sigmoid(), b.sigmoid()], [1.0, 0.25]))
                else:
                    s = softmax([a, b, 2.0])
                    pool.append(s[0] * s[2])
        return pool[prog["out"]]

    return fn


def check_program(prog: dict[str, Any]) -> None:
    eager_params = [Value(x) for x in prog["params"]]
    traced_params = [Value(x) for x in prog["params"]]
    seed = prog["seed"]
    fn = build(prog, traced_params)
    try:
        build(prog, [Value(x) for x in prog["params"]])(*[Value(a) for a in prog["args"]])
    except ValueError as e:  # binary_cross_entropy of a non-probability: the trace says so too
        with pytest.raises(ValueError, match=re.escape(str(e))):
            trace(fn, *prog["args"])
        return
    t = trace(fn, *prog["args"])
    for call in range(2):  # twice: gradients accumulate, a second call sees the same numbers
        got = t(*prog["args"], grad=seed)
        out = build(prog, eager_params)(*[Value(a) for a in prog["args"]])
        out.backward(seed)
        assert same(got, out.data), (call, got, out.data)
        assert_same(
            [p.grad for p in traced_params], [p.grad for p in eager_params], f"grads, call {call}"
        )


@settings(max_examples=300, deadline=None)
@given(programs(st.floats(-3.0, 3.0)))
def test_random_graphs_of_moderate_numbers_trace_to_the_same_bits(prog: dict[str, Any]) -> None:
    check_program(prog)


@settings(max_examples=300, deadline=None)
@given(programs(wild_floats()))
def test_random_graphs_over_the_whole_float_range_trace_to_the_same_bits(
    prog: dict[str, Any],
) -> None:
    check_program(prog)


@settings(max_examples=60, deadline=None)
@given(programs(st.floats(-3.0, 3.0)), st.lists(st.floats(-2.0, 2.0), min_size=2, max_size=2))
def test_a_batch_is_one_backward_pass_over_every_row(
    prog: dict[str, Any], other: list[float]
) -> None:
    n_args = len(prog["args"])
    rows = [prog["args"], other[:n_args], [a * 0.5 for a in prog["args"]]]
    eager_params = [Value(x) for x in prog["params"]]
    traced_params = [Value(x) for x in prog["params"]]
    try:
        outs = [build(prog, eager_params)(*[Value(a) for a in r]) for r in rows]
    except ValueError as e:  # binary_cross_entropy of a non-probability: the trace says so too
        with pytest.raises(ValueError, match=re.escape(str(e).split(", got")[0])):
            trace(build(prog, traced_params), *prog["args"]).batch(rows, grad=1.0 / 3)
        return
    t = trace(build(prog, traced_params), *prog["args"])
    values = t.batch(rows, grad=1.0 / 3)
    total = outs[0] + outs[1] + outs[2]
    (total / 3.0).backward()
    assert_same(values, [o.data for o in outs], "values")
    assert_same([p.grad for p in traced_params], [p.grad for p in eager_params], "grads")


# ------------------------------------------------------------------ known cases


def test_the_lesson_expression_prints_its_chain_rule_and_matches_backward() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    t = trace(lambda: (a * b + a**2).tanh())
    assert t() == math.tanh(2.0 * -3.0 + 4.0)
    # the gradients the lesson computes by hand (docs/lessons.md): 0.0707, 0.1413
    assert round(a.grad, 4) == 0.0707 and round(b.grad, 4) == 0.1413
    src = t.source
    assert "a = P[0].data" in src and "b = P[1].data" in src
    assert "one_minus_square" in src and "1 − " in src  # tanh's rule and its formula
    assert "g_a += " in src and "g_b += " in src
    assert str(t) == src and "```python" in t._repr_markdown_()


def test_a_relu_network_with_a_dead_neuron_and_a_kink() -> None:
    # lesson 1's network: neuron 3 sits exactly at relu's kink
    from gradwalk.lessons import LESSON1 as L

    ws = {n: Value(v, label=n) for n, v in L.weight.items()}

    def loss(x1: Value, x2: Value) -> Value:
        a = [(ws[f"w{i}1"] * x1 + ws[f"w{i}2"] * x2).relu() for i in (1, 2, 3)]
        y = (ws["w1"] * a[0] + ws["w2"] * a[1] + ws["w3"] * a[2]).relu()
        return (y - L.target) ** 2

    t = trace(loss, *L.inputs)
    assert math.isclose(t(*L.inputs), L.loss, rel_tol=1e-9)
    assert math.isclose(ws["w11"].grad, L.dloss_dw11, rel_tol=1e-9)
    assert (ws["w31"].grad, ws["w32"].grad) == tuple(L.dloss_dw3x)


def test_lesson_3s_deep_network_and_softmax_trace_to_the_same_bits() -> None:
    from gradwalk.lessons import LESSON3 as L
    from gradwalk.worked import deep_forward

    def loss() -> Value:
        _, outs, _ = deep_forward(L.inputs)
        logits = [outs[-2] * 3.0, outs[-1] - 1.0, outs[0]]
        return cross_entropy(logits, 1) + softmax(logits)[2]

    t = trace(loss)
    value = t()
    traced = {p.label: p.grad for p in t.parameters}
    eager_root = loss()
    eager_root.backward()
    _, _, params = deep_forward(L.inputs)  # only for the labels' order
    eager = {}
    stack, seen = [eager_root], set()
    while stack:  # every leaf of the eager graph, by label
        v = stack.pop()
        for p in v.inputs:
            if type(p) is Value and id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
                if p.is_leaf:
                    eager[p.label] = p.grad
    assert same(value, eager_root.data)
    assert set(traced) == set(eager) and len(traced) == len(params) + 2  # + the inputs x1, x2
    assert_same([traced[k] for k in sorted(eager)], [eager[k] for k in sorted(eager)], "lesson 3")


def test_the_fused_moons_model_traces_to_the_same_bits_as_backward_over_steps() -> None:
    rng = random.Random(3)
    data = [((rng.uniform(-1, 2), rng.uniform(-1, 1)), rng.choice((-1.0, 1.0))) for _ in range(20)]
    eager, traced = MLP(2, [16, 16, 1], seed=1), MLP(2, [16, 16, 1], seed=1)
    t = trace(lambda x1, x2, y: (1 + -y * traced([x1, x2])).relu(), 0.1, 0.2, 1.0)
    assert t.parameters == traced.parameters()
    for _ in range(3):
        eager.zero_grad()
        terms = [(1 + -y * eager(list(x))).relu() for x, y in data]
        (sum(terms) * (1.0 / len(terms))).backward()
        traced.zero_grad()
        t.batch([(*x, y) for x, y in data], grad=1.0 / len(data))
        assert_same([p.grad for p in traced.parameters()], [p.grad for p in eager.parameters()], "")
        for m in (eager, traced):
            for p in m.parameters():
                p.data -= 0.1 * p.grad  # an optimizer step between calls is seen
    assert_same([p.data for p in traced.parameters()], [p.data for p in eager.parameters()], "")


def test_a_non_leaf_weight_of_a_dead_neuron_passes_torchs_zero_times_inf() -> None:
    # torch float64: the dead neuron passes 0 to w, and w passes 0 * d(w)/dx = 0 * inf = nan
    import torch

    xt = torch.tensor(1e-165, dtype=torch.float64, requires_grad=True)
    torch.relu((xt**-1.5858) * -1e-31).backward()
    x = Value(1e-165)
    t = trace(lambda: dense([[x**-1.5858]], [None], [-1e-31], relu=True)[0])
    t()
    assert same(x.grad, xt.grad.item())


def test_binary_cross_entropy_checks_its_input_at_every_call() -> None:
    w = Value(0.5)
    t = trace(lambda x: binary_cross_entropy(w * x, 1.0), 1.0)
    t(1.5)
    with pytest.raises(ValueError, match=r"input must be in \[0, 1\], got 2.0"):
        t(4.0)
    with pytest.raises(ValueError, match=r"input must be in \[0, 1\], got 2.0"):
        binary_cross_entropy(w * 4.0, 1.0)  # as the eager engine says it


def test_arguments_are_checked_at_the_boundary() -> None:
    w = Value(1.5)
    t = trace(lambda x, ys: w * x + ys[0] * ys[1], 1.0, [2.0, 3.0])
    assert t(2, [1.0, 1.0]) == 4.0
    with pytest.raises(TypeError, match=r"2 argument\(s\) \(x, ys\), got 1"):
        t(1.0)
    with pytest.raises(TypeError, match="argument x must be a real number, not str"):
        t("1", [1.0, 1.0])
    with pytest.raises(TypeError, match="list of 2 numbers, got 3"):
        t(1.0, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="argument x must be a real number, not bool"):
        t(True, [1.0, 1.0])
    with pytest.raises(TypeError, match="pass numbers"):
        trace(lambda x: x * w, Value(1.0))
    with pytest.raises(TypeError, match="must return a Value"):
        trace(lambda x: 3.0, 1.0)
    with pytest.raises(TypeError, match="fn must be callable"):
        trace(3.0)  # type: ignore[arg-type]


# ------------------------------------------------------------------ refusals


def test_reading_data_is_refused_with_the_line() -> None:
    w = Value(0.5)

    def f(x: Value) -> Value:
        h = w * x
        if h.data > 0:  # the path depends on the numbers
            return h.relu()
        return h

    with pytest.raises(
        TraceError, match=r"reads a Value's \.data at .*test_tracing\.py:\d+: if h\.data"
    ):
        trace(f, 1.0)
    assert type(Value.__dict__["data"]).__name__ == "member_descriptor"  # put back


def test_float_of_a_value_no_grad_and_changing_data_are_refused() -> None:
    w = Value(0.5)
    with pytest.raises(TraceError, match="turns a Value into a number"):
        trace(lambda x: w * math.exp(float(x)), 1.0)
    with pytest.raises(TraceError, match=r"computes under no_grad\(\)"):

        def g(x: Value) -> Value:
            with no_grad():
                k = x * 2
            return w * k

        trace(g, 1.0)

    def h(x: Value) -> Value:
        w.data = 3.0
        return w * x

    with pytest.raises(TraceError, match=r"changes a Value's \.data"):
        trace(h, 1.0)
    with no_grad(), pytest.raises(TraceError, match="inside no_grad"):
        trace(lambda x: w * x, 1.0)


def test_a_refusal_caught_inside_fn_is_still_refused() -> None:
    w = Value(0.5)

    def sneaky(x: Value) -> Value:
        try:
            if (w * x).data > 0:
                pass
        except Exception:
            pass
        return w * x

    with pytest.raises(TraceError, match=r"reads a Value's \.data"):
        trace(sneaky, 1.0)


def test_a_value_computed_before_the_trace_is_refused() -> None:
    w = Value(0.5)
    h = w * 2.0
    with pytest.raises(TraceError, match="computed before the trace"):
        trace(lambda x: h * x, 1.0)


def test_a_replaced_model_is_reported() -> None:
    global model_for_test
    model_for_test = MLP(2, [3, 1], seed=0)
    t = trace(lambda a, b: model_for_test([a, b]), 1.0, 2.0)
    t(1.0, 2.0)
    model_for_test = MLP(2, [3, 1], seed=0)
    with pytest.raises(TraceError, match="another object than when it was traced"):
        t(1.0, 2.0)
    m = MLP(2, [3, 1], seed=0)
    t2 = trace(lambda a, b: m([a, b]), 1.0, 2.0)
    m.layers[0].neurons[0].w = [Value(1.0), Value(2.0)]
    with pytest.raises(TraceError, match="parameters of the MLP"):
        t2.batch([(1.0, 2.0)])


model_for_test: Any = None


def test_other_threads_read_data_while_a_trace_is_recorded() -> None:
    w = Value(0.25)
    seen: list[float] = []
    stop = threading.Event()

    def reader() -> None:
        v = Value(3.0)
        while not stop.is_set():
            seen.append(v.data)  # not refused: another thread

    th = threading.Thread(target=reader)
    th.start()
    try:
        for _ in range(20):
            trace(lambda x: (w * x).tanh(), 1.0)
    finally:
        stop.set()
        th.join(timeout=10)
    assert not th.is_alive() and seen and set(seen) == {3.0}


# ------------------------------------------------------------------ fit


def _moons(n: int = 60) -> tuple[list[list[float]], list[int]]:
    rng = random.Random(0)
    X, y = [], []
    for _ in range(n):
        c = rng.random() < 0.5
        X.append([rng.gauss(1.0 if c else -1.0, 0.7), rng.gauss(0.5 if c else -0.5, 0.7)])
        y.append(1 if c else 0)
    return X, y


@pytest.mark.parametrize(
    "loss,nouts,kwargs,target",
    [
        ("hinge", [8, 8, 1], {}, "pm1"),
        ("cross_entropy", [8, 3], {}, "class3"),
        ("mse", [6, 1], {"activation": "tanh"}, "pm1"),
        ("mse", [6, 2], {}, "class2"),
        ("binary_cross_entropy_with_logits", [6, 1], {"activation": "sigmoid"}, "01"),
        ("binary_cross_entropy", [6, 1], {"output_activation": "sigmoid"}, "01"),
        (cross_entropy, [8, 2], {}, "class2"),
    ],
)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_fit_traced_and_eager_give_the_same_bits(
    loss: Any, nouts: list[int], kwargs: dict, target: str, optimizer: str
) -> None:
    X, y = _moons()
    ys: list[Any] = {
        "pm1": [2 * v - 1 for v in y],
        "class3": [(v + i) % 3 for i, v in enumerate(y)],
        "class2": y,
        "01": [float(v) for v in y],
    }[target]
    runs = []
    for compiled in (True, False):
        m = MLP(2, nouts, seed=4, **kwargs)
        opt = SGD(m.parameters(), lr=0.05) if optimizer == "sgd" else Adam(m.parameters(), lr=0.01)
        h = fit(
            m,
            X[:45],
            ys[:45],
            loss=loss,
            optimizer=opt,
            epochs=3,
            batch_size=8,
            validation=(X[45:], ys[45:]),
            compiled=compiled,
        )
        runs.append((h, [p.data for p in m.parameters()]))
    (ht, pt), (he, pe) = runs
    assert ht.traced and not he.traced and he.eager_reason == "compiled=False"
    assert_same(pt, pe, "parameters after fit")
    for field in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert_same(getattr(ht, field), getattr(he, field), field)


def test_fit_on_binary_cross_entropy_of_non_probabilities_fails_alike_traced_or_eager() -> None:
    X, y = _moons(40)
    X = [[3.0 * a, 3.0 * b] for a, b in X]  # a linear output leaves [0, 1] somewhere
    errors = []
    for compiled in (True, False):
        m = MLP(2, [4, 1], seed=1)  # linear output: not a probability
        before = [p.data for p in m.parameters()]
        with pytest.raises(
            ValueError, match=r"binary_cross_entropy input must be in \[0, 1\]"
        ) as e:
            fit(
                m,
                X,
                [float(v) for v in y],
                loss="binary_cross_entropy",
                epochs=2,
                compiled=compiled,
            )
        errors.append((str(e.value), [p.data for p in m.parameters()] == before))
    # both stop in the same step with the parameters untouched (the sample named may differ:
    # the traced pass meets the batch's samples last first)
    assert errors[0][1] and errors[1][1]


def test_fit_with_an_l2_term_traced_and_eager_give_the_same_bits() -> None:
    X, y = _moons()
    runs = []
    for compiled in (True, False):
        m = MLP(2, [8, 8, 1], seed=2)
        h = fit(
            m,
            X,
            [2 * v - 1 for v in y],
            loss="hinge",
            l2=1e-3,
            optimizer=SGD(m.parameters(), lr=0.5),
            epochs=4,
            batch_size=len(X),
            compiled=compiled,
        )
        runs.append((h, [p.data for p in m.parameters()]))
    assert runs[0][0].traced and not runs[1][0].traced
    assert_same(runs[0][1], runs[1][1], "parameters")
    assert_same(runs[0][0].loss, runs[1][0].loss, "loss")
    with pytest.raises(TypeError, match="l2 must be a finite number >= 0"):
        fit(MLP(2, [1]), X, y, loss="mse", l2=-1.0)


def test_fit_says_why_it_runs_eagerly() -> None:
    X, y = _moons(20)
    m = MLP(2, [4, 1], seed=0)
    h = fit(m, X, [float(v) for v in y], loss=lambda o, t: mse_loss(o, t), epochs=1)
    assert not h.traced and "named losses" in h.eager_reason

    class Peeking:
        def __init__(self) -> None:
            self.inner = MLP(2, [4, 1], seed=0)

        def __call__(self, x: Any) -> Value:
            out = self.inner(x)
            return out if out.data > -1e9 else -out  # reads a number: not traceable

        def parameters(self) -> list[Value]:
            return self.inner.parameters()

    h = fit(Peeking(), X, [2 * v - 1 for v in y], loss="hinge", epochs=1)
    assert (
        not h.traced and "cannot be traced" in h.eager_reason and "reads a Value" in h.eager_reason
    )


def test_fit_progress_line_says_traced(capsys: pytest.CaptureFixture[str]) -> None:
    from autograd.nn import register_live_view

    X, y = _moons(20)
    before = register_live_view(None)  # the plain text line, whatever view a test registered
    try:
        fit(MLP(2, [4, 1], seed=0), X, [2 * v - 1 for v in y], loss="hinge", epochs=1, live=True)
    finally:
        register_live_view(before)
    assert "(traced)" in capsys.readouterr().out


def test_labels_of_any_spelling_become_distinct_python_names() -> None:
    ws = [Value(0.5, label=x) for x in ("w²", "w2", "ﬁ", "fi", "1x", "for", "g_a", "a", "")]
    t = trace(lambda x: sum((w * x for w in ws), Value(0.0)).tanh(), 0.3)
    t(0.3)
    eager = [Value(0.5) for _ in ws]
    sum((w * 0.3 for w in eager), Value(0.0)).tanh().backward()
    assert_same([w.grad for w in ws], [w.grad for w in eager], "grads")
    names = [line.split(" = ")[0].strip() for line in t.source.splitlines() if "= P[" in line]
    assert len(set(names)) == len(names) == len(ws) + 1  # and the sum's Value(0.0)
    assert all(n.isascii() and n.isidentifier() for n in names)


def test_a_trace_is_a_trace() -> None:
    w = Value(2.0, label="w")
    t = trace(lambda x: w * x, 3.0)
    assert isinstance(t, Trace) and "1 parameters" in repr(t) and t.parameters == [w]


# ------------------------------------------------------------------ gradwalk code


def test_gradwalk_code_prints_code_that_runs_to_torchs_numbers(tmp_path: Any) -> None:
    import torch
    from helpers import gradwalk

    import autograd.codegen as cg

    r = gradwalk("code", "tanh(a*b + a**2)", "a=2", "b=-3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "g_a += g_v2 * (2.0 * a)  # ∂v2/∂a = 2·a" in r.stdout
    env = dict(cg.HELPERS)
    exec(r.stdout, env)  # the printed text is the code itself
    value, (ga, gb) = env["traced"]([Value(2.0), Value(-3.0)], 1.0)
    a = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(-3.0, dtype=torch.float64, requires_grad=True)
    out = torch.tanh(a * b + a**2)
    out.backward()
    assert value == out.item() and ga == a.grad.item() and gb == b.grad.item()
    assert f"g_a = {a.grad.item()!r}" in r.stdout

    bad = gradwalk("code", "tanh(a*", "a=2", cwd=tmp_path)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "gradwalk code: error:" in bad.stderr


def test_code_of_refuses_what_is_not_a_value() -> None:
    from autograd import code_of

    with pytest.raises(TypeError, match="root must be a Value, not float"):
        code_of(1.0)  # type: ignore[arg-type]
