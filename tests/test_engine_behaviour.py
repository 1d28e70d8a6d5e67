"""Engine behaviour: backward semantics, modes, input checking, grad(), gradcheck, repr.

Numbers are checked against live torch float64, against a plain-float reference written
out in the test, or against constants from the design notes; never against the engine.
"""

from __future__ import annotations

import fractions
import gc
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from helpers import close, fmt, tgrads, tleaf

import autograd
from autograd import AnomalyError, GradcheckError, Value, gradcheck, no_grad

ROOT = Path(__file__).resolve().parent.parent


def graph(lib: Callable[[float], Any], xs: tuple[float, float, float]) -> dict[str, Any]:
    """A small graph with shared sub-expressions and a diamond, named node by node."""
    a, b, c = (lib(x) for x in xs)
    n: dict[str, Any] = {"a": a, "b": b, "c": c}
    n["ab"] = a * b
    n["t"] = n["ab"].tanh()
    n["s"] = (n["ab"] + c).sigmoid()
    n["d"] = n["t"] * n["s"]  # diamond: ab -> t, s -> d
    n["e"] = (c * c + 1.0).log()
    n["f"] = n["d"] / n["e"] + n["ab"] ** 2.0
    n["g"] = 2.0 ** n["f"] - n["t"].exp()
    n["out"] = n["g"] * n["s"] + n["e"].sqrt()
    return n


XS = (0.6, -1.4, 0.9)


# ------------------------------------------------------------------------------ backward


@pytest.mark.parametrize(
    "build",
    [
        lambda lib: graph(lib, XS),
        lambda lib: {"a": (a := lib(1.0)), "out": a * 0.1 + a * 0.2},
    ],
    ids=["graph with a diamond", "a*0.1 + a*0.2"],
)
def test_backward_twice_doubles_leaves_and_keeps_intermediates(
    build: Callable[[Callable[[float], Any]], dict[str, Any]],
) -> None:
    n = build(Value)
    leaves = [k for k, v in n.items() if v.is_leaf]
    inner = [k for k, v in n.items() if not v.is_leaf]
    n["out"].backward()
    first = {k: n[k].grad for k in n}
    n["out"].backward()

    t = build(tleaf)
    for k in inner:
        t[k].retain_grad()
    t["out"].backward(retain_graph=True)
    t_first = {k: float(t[k].grad) for k in n}
    t["out"].backward()
    t_second = {k: float(t[k].grad) for k in leaves}

    for k in leaves:
        assert close(first[k], t_first[k]), (k, first[k], t_first[k])
        assert n[k].grad == 2.0 * first[k], (
            f"leaf {k}: second backward gives {n[k].grad!r}, not exactly 2 x {first[k]!r} "
            f"(torch: {t_second[k]!r})"
        )
        assert close(n[k].grad, t_second[k]), (
            f"leaf {k}: engine {n[k].grad!r}, torch {t_second[k]!r}"
        )
    for k in inner:
        assert n[k].grad == first[k], f"{k}: .grad changed from {first[k]!r} to {n[k].grad!r}"
        assert close(n[k].grad, t_first[k]), f"{k}: engine {n[k].grad!r}, torch {t_first[k]!r}"


def test_every_node_grad_is_d_root_d_node() -> None:
    n = graph(Value, XS)
    n["out"].backward()
    t = graph(tleaf, XS)
    for v in t.values():
        if not v.is_leaf:
            v.retain_grad()
    t["out"].backward()
    for k in n:
        tg = float(t[k].grad)
        assert close(n[k].grad, tg), f"d(out)/d({k}): engine {fmt(n[k].grad)}, torch {fmt(tg)}"
    assert n["out"].grad == 1.0


def test_backward_with_a_grad_argument_scales_like_torch() -> None:
    n = graph(Value, XS)
    n["out"].backward(-2.5)
    t = graph(tleaf, XS)
    t["out"].backward(torch.tensor(-2.5, dtype=torch.float64))
    for k in ("a", "b", "c"):
        assert close(n[k].grad, float(t[k].grad)), k


def test_backward_of_a_leaf_is_one() -> None:
    v = Value(3.0)
    v.backward()
    t = tleaf(3.0)
    t.backward()
    assert v.grad == float(t.grad) == 1.0


def test_million_node_chain_backward() -> None:
    """1,000,000 nodes: no RecursionError, right gradient, a few seconds.

    The collector is paused while the chain is built: the engine's nodes hold no
    cycles, and what this test measures is the walk, not Python's GC.
    """
    steps = 500_000  # two nodes per step
    limit = sys.getrecursionlimit()
    start = time.perf_counter()
    x = Value(0.5)
    y = x
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(steps):
            y = y * 1.000001
            y = y + 0.001
    finally:
        if gc_was_enabled:
            gc.enable()
    built = time.perf_counter()
    y.backward()
    walked = time.perf_counter()
    # the same chain with plain floats: forward, then the product of local grads
    value = 0.5
    for _ in range(steps):
        value = value * 1.000001 + 0.001
    grad = 1.0
    for _ in range(steps):
        grad = grad * 1.000001
    assert sys.getrecursionlimit() == limit
    assert close(y.data, value), (y.data, value)
    assert close(x.grad, grad), (x.grad, grad)
    del y
    assert walked - start < 30.0, f"build {built - start:.1f}s, backward {walked - built:.1f}s"


# A leaf feeding many consumers whose contributions round differently in another order.
# Run as source so that a subprocess needs nothing but the engine.
DET_GRAPH = """
from autograd import Value
xs = [Value(v) for v in (0.1, 0.7, -1.3)]
terms = []
for k, m in enumerate((1e16, 1.0, -1e16, 3.3, 0.1, 1e-3, -7.7, 2.2)):
    z = xs[k % 3] * m + xs[(k + 1) % 3] * (m * 0.37)
    terms.append(z.tanh() * m if k % 2 else z * xs[0])
out = terms[0]
for t in terms[1:]:
    out = out + t
out.backward()
grads = [x.grad.hex() for x in xs]
"""


def _grads_hex() -> list[str]:
    scope: dict[str, Any] = {}
    exec(DET_GRAPH, scope)
    return scope["grads"]


def test_deterministic_order_within_a_process() -> None:
    first = _grads_hex()
    junk = [Value(float(i)) for i in range(1000)]  # shift the ids of the next build
    second = _grads_hex()
    del junk
    assert first == second

    a, b = Value(1.0), Value(2.0)
    assert (a * b).inputs == (a, b)
    assert (b * a).inputs == (b, a)
    assert (2.0 - a).inputs == (2.0, a)
    assert (a**3.0).inputs == (a, 3.0)
    assert (3.0**a).inputs == (3.0, a)
    assert (a + a).parents == (a,)
    assert (a.exp()).inputs == (a,)
    ws = [[Value(0.1), Value(0.2)]]
    (neuron,) = autograd.dense(ws, [b], [a, 4.0])
    assert neuron.inputs == (ws[0][0], ws[0][1], a, 4.0, b)


def test_deterministic_order_across_processes() -> None:
    code = DET_GRAPH + "\nprint(grads)"
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        res = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert res.returncode == 0, res.stderr
        outs.append(res.stdout)
    assert outs[0] == outs[1]
    assert outs[0].strip() == str(_grads_hex())


# ------------------------------------------------------------------------------- no_grad


def test_no_grad_records_nothing() -> None:
    a, b = Value(2.0), Value(-3.0)
    ta, tb = tleaf(2.0), tleaf(-3.0)
    with no_grad():
        assert not autograd.is_grad_enabled()
        c = (a * b).tanh() + 1.0
        with torch.no_grad():
            tc = (ta * tb).tanh() + 1.0
    assert autograd.is_grad_enabled()
    assert c.is_leaf and tc.is_leaf and not tc.requires_grad
    assert c.inputs == () and c.op == ""
    assert close(c.data, float(tc))
    c.backward()
    assert a.grad == 0.0 and b.grad == 0.0


def test_no_grad_nesting_restores() -> None:
    a = Value(1.0)
    with no_grad():
        with no_grad():
            assert not autograd.is_grad_enabled()
        assert not autograd.is_grad_enabled()
        assert (a * 2.0).is_leaf
    assert autograd.is_grad_enabled()
    assert not (a * 2.0).is_leaf
    with pytest.raises(KeyError):
        with no_grad():
            raise KeyError("boom")
    assert autograd.is_grad_enabled()
    assert not (a * 2.0).is_leaf


def test_no_grad_is_per_thread() -> None:
    entered = threading.Event()
    main_done = threading.Event()
    seen: dict[str, Any] = {}

    def worker() -> None:
        with no_grad():
            entered.set()
            main_done.wait(10)
            seen["enabled"] = autograd.is_grad_enabled()
            seen["leaf"] = (Value(1.0) * 2.0).is_leaf
        seen["after"] = autograd.is_grad_enabled()

    th = threading.Thread(target=worker)
    th.start()
    try:
        assert entered.wait(10)
        # the other thread is inside no_grad right now; this one still records
        assert autograd.is_grad_enabled()
        x = Value(3.0)
        y = x * x
        assert not y.is_leaf
        y.backward()
        assert x.grad == 6.0
    finally:
        main_done.set()
        th.join(10)
    assert seen == {"enabled": False, "leaf": True, "after": True}


# ------------------------------------------------------------------------ detect_anomaly

FORWARD_NAN = {
    "log": (lambda a: a.log(), (-1.0,), "-1.0"),
    "sqrt": (lambda a: a.sqrt(), (-4.0,), "-4.0"),
    "div": (lambda a, b: a / b, (0.0, 0.0), "0.0"),
    "sub": (lambda a, b: a - b, (math.inf, math.inf), "inf"),
    "mul": (lambda a, b: a * b, (0.0, math.inf), "inf"),
    "pow": (lambda a, b: a**b, (-8.0, 1 / 3), "-8.0"),
}


@pytest.mark.parametrize("op", FORWARD_NAN, ids=list(FORWARD_NAN))
def test_detect_anomaly_forward(op: str) -> None:
    fn, xs, shown = FORWARD_NAN[op]
    t = fn(*[tleaf(x) for x in xs])
    assert math.isnan(float(t.detach())), "torch must make a nan here from operands without one"
    outside = fn(*[Value(x) for x in xs])  # no error outside the context
    assert math.isnan(outside.data)
    vals = [Value(x) for x in xs]
    with autograd.detect_anomaly():
        assert autograd.is_anomaly_enabled()
        with pytest.raises(AnomalyError) as info:
            fn(*vals)
    assert not autograd.is_anomaly_enabled()
    msg = str(info.value)
    assert op in msg, msg
    assert shown in msg, msg


BACKWARD_NAN = {
    "sqrt": (lambda x: (x * 0.0).sqrt() * 0.0, "SqrtBackward0"),
    "pow": (lambda x: (x * 0.0) ** 0.5 * 0.0, "PowBackward0"),
    "div": (lambda x: x / (x * 0.0 + 1e-200) * 0.0, "DivBackward0"),
}


QUIET_ANOMALY = pytest.mark.filterwarnings(
    "ignore:Anomaly Detection has been enabled", "ignore:Error detected in"
)


@QUIET_ANOMALY
@pytest.mark.parametrize("op", BACKWARD_NAN, ids=list(BACKWARD_NAN))
def test_detect_anomaly_backward(op: str) -> None:
    fn, torch_name = BACKWARD_NAN[op]
    # torch: the forward is finite, backward makes a nan, anomaly mode names the function
    t = tleaf(2.0)
    tout = fn(t)
    assert math.isfinite(float(tout.detach()))
    tout.backward()
    assert math.isnan(float(t.grad))
    t = tleaf(2.0)
    with torch.autograd.detect_anomaly(), pytest.raises(RuntimeError, match=torch_name):
        fn(t).backward()

    # the engine outside the context: the same nan, no error
    x = Value(2.0)
    out = fn(x)
    assert math.isfinite(out.data)
    out.backward()
    assert math.isnan(x.grad)
    # inside: AnomalyError naming the op and the operand
    x = Value(2.0)
    with autograd.detect_anomaly():
        out = fn(x)  # forward is finite: no error yet
        with pytest.raises(AnomalyError) as info:
            out.backward()
    msg = str(info.value)
    assert op in msg, msg
    assert "0.0" in msg, msg


@QUIET_ANOMALY
def test_detect_anomaly_applies_to_grad_too() -> None:
    """torch.autograd.grad raises in anomaly mode; autograd.grad must as well."""
    fn = BACKWARD_NAN["sqrt"][0]
    t = tleaf(2.0)
    with torch.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="SqrtBackward0"):
        torch.autograd.grad(fn(t), [t])
    x = Value(2.0)
    (g,) = autograd.grad(fn(x), [x])
    assert math.isnan(g.data)
    with autograd.detect_anomaly(), pytest.raises(AnomalyError, match="sqrt"):
        autograd.grad(fn(x), [x])


def test_detect_anomaly_nesting_and_no_false_alarm() -> None:
    with autograd.detect_anomaly():
        with autograd.detect_anomaly():
            pass
        assert autograd.is_anomaly_enabled()
        n = graph(Value, XS)  # finite forward and backward: no error
        n["out"].backward()
        nan_in = Value(math.nan) + 1.0  # nan from a nan operand is not an anomaly
        assert math.isnan(nan_in.data)
    assert not autograd.is_anomaly_enabled()
    t = graph(tleaf, XS)
    t["out"].backward()
    for k in ("a", "b", "c"):
        assert close(n[k].grad, float(t[k].grad)), k


# ------------------------------------------------------------------------------ bad input

BAD: dict[str, tuple[Callable[[], Any], str]] = {
    'Value("a")': (lambda: Value("a"), "str"),  # type: ignore[arg-type]
    "Value(None)": (lambda: Value(None), "NoneType"),  # type: ignore[arg-type]
    "Value(1j)": (lambda: Value(1j), "complex"),  # type: ignore[arg-type]
    "Value([1])": (lambda: Value([1]), "list"),  # type: ignore[arg-type]
    "Value(Value(1))": (lambda: Value(Value(1)), "Value"),  # type: ignore[arg-type]
    "Value(True)": (lambda: Value(True), "bool"),
    'v + "a"': (lambda: Value(1.0) + "a", "str"),  # type: ignore[operator]
    '"a" * v': (lambda: "a" * Value(1.0), "Value"),  # type: ignore[operator]
    "v ** None": (lambda: Value(1.0) ** None, "NoneType"),  # type: ignore[operator]
    "v / [1]": (lambda: Value(1.0) / [1], "list"),  # type: ignore[operator]
    "label=3": (lambda: Value(1.0, label=3), "int"),  # type: ignore[arg-type]
    "v - True": (lambda: Value(1.0) - True, "bool"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_raises_type_error_naming_the_type(case: str) -> None:
    fn, type_name = BAD[case]
    with pytest.raises(TypeError) as info:
        fn()
    assert type_name in str(info.value), str(info.value)


GOOD = {
    "np.float64": (np.float64(2.5), 2.5),
    "np.int64": (np.int64(-3), -3.0),
    "Fraction": (fractions.Fraction(1, 3), 1 / 3),
    "int": (7, 7.0),
    "big int": (2**60 + 1, 1152921504606846976.0),
}


@pytest.mark.parametrize("case", GOOD, ids=list(GOOD))
def test_numbers_are_accepted(case: str) -> None:
    x, expected = GOOD[case]
    v = Value(x)
    assert type(v.data) is float and v.data == expected
    w = Value(1.5)
    for res, ref in [
        (w + x, 1.5 + expected),
        (x - w, expected - 1.5),
        (w * x, 1.5 * expected),
        (w / x, 1.5 / expected),
        (w**x, float(tleaf(1.5).detach() ** expected)),
    ]:
        assert isinstance(res, Value) and close(res.data, ref), (res, ref)


# ------------------------------------------------------------------------------ grad()


def _f2(x: Any, y: Any) -> Any:
    return x**3.0 * y + (x * y).exp() / (y * y + 1.0) + x.tanh() * y.sigmoid() - (x * x).log()


def test_hessian_matches_torch() -> None:
    point = (0.7, -0.4)
    x, y = Value(point[0]), Value(point[1])
    f = _f2(x, y)
    g = autograd.grad(f, [x, y], create_graph=True)
    hess = [[h.data for h in autograd.grad(gi, [x, y])] for gi in g]

    def tf(u: torch.Tensor) -> torch.Tensor:
        return _f2(u[0], u[1])

    th = torch.autograd.functional.hessian(tf, torch.tensor(point, dtype=torch.float64))
    for i in range(2):
        for j in range(2):
            assert close(hess[i][j], float(th[i, j])), (i, j, hess[i][j], float(th[i, j]))
    assert close(hess[0][1], hess[1][0])


def _poly(x: Any) -> Any:
    return x**4.0 - 3.0 * x**2.0 + x


def test_newton_steps_match_torch() -> None:
    """Newton on f'(x) = 0 for f(x) = x**4 - 3x**2 + x, with grad(create_graph=True)."""
    xe = xt = 1.5
    for step in range(8):
        v = Value(xe)
        (g,) = autograd.grad(_poly(v), [v], create_graph=True)
        (h,) = autograd.grad(g, [v])
        xe = xe - g.data / h.data

        t = tleaf(xt)
        (tg,) = tgrads(_poly(t), [t], create_graph=True)
        (th,) = tgrads(tg, [t])
        xt = xt - float(tg.detach()) / float(th)
        assert close(xe, xt), f"step {step}: engine {xe!r}, torch {xt!r}"
    assert abs(4 * xe**3 - 6 * xe + 1) < 1e-12  # f'(x) = 0: converged


def test_grad_leaves_dot_grad_untouched() -> None:
    n = graph(Value, XS)
    n["out"].backward()
    before = {k: v.grad for k, v in n.items()}
    leaves = [n["a"], n["b"], n["c"]]
    g = autograd.grad(n["out"], leaves)
    g2 = autograd.grad(n["out"], leaves, create_graph=True)
    after = {k: v.grad for k, v in n.items()}
    assert before == after
    t = graph(tleaf, XS)
    tg = tgrads(t["out"], [t["a"], t["b"], t["c"]])
    for a, b, c in zip(g, g2, tg):
        assert close(a.data, float(c)) and close(b.data, float(c))
    assert all(t[k].grad is None for k in ("a", "b", "c"))  # torch.autograd.grad: same


def test_grad_of_unused_input_is_zero() -> None:
    a, b = Value(1.0), Value(2.0)
    ga, gb = autograd.grad(a * 3.0, [a, b])
    ta, tb = tleaf(1.0), tleaf(2.0)
    tga, tgb = torch.autograd.grad(ta * 3.0, [ta, tb], allow_unused=True, materialize_grads=True)
    assert ga.data == float(tga) and gb.data == float(tgb) == 0.0


# ---------------------------------------------------------------------------- gradcheck

GOOD_FUNCTIONS: dict[str, tuple[Callable[..., Any], tuple[float, ...]]] = {
    "graph": (lambda a, b, c: graph(lambda v: v, (a, b, c))["out"], XS),
    "poly": (lambda x: _poly(x), (1.3,)),
    "f2": (_f2, (0.7, -0.4)),
    "dense": (
        lambda w0, w1, x, b: autograd.dense([[w0, w1]], [b], [x, 2.0], relu=True)[0].tanh(),
        (0.5, -0.25, 1.5, 0.1),
    ),
}


@pytest.mark.parametrize("name", GOOD_FUNCTIONS, ids=list(GOOD_FUNCTIONS))
def test_gradcheck_passes_correct_functions(name: str) -> None:
    fn, xs = GOOD_FUNCTIONS[name]
    assert gradcheck(fn, list(xs)) is True
    if name != "dense":  # torch agrees these gradients are right
        assert torch.autograd.gradcheck(fn, tuple(tleaf(x) for x in xs))


def test_gradcheck_reports_a_cut_gradient() -> None:
    def cut(x: Any, y: Any) -> Any:
        return x * y + Value(y.data).exp()  # d/dy misses exp(y): the graph is cut here

    def torch_cut(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x * y + y.detach().exp()

    with pytest.raises(RuntimeError, match="Jacobian mismatch"):  # torch's GradcheckError
        torch.autograd.gradcheck(torch_cut, (tleaf(0.5), tleaf(1.2)))

    inputs = [Value(0.5, label="x"), Value(1.2, label="y")]
    with pytest.raises(GradcheckError) as info:
        gradcheck(cut, inputs)
    msg = str(info.value)
    lines = msg.splitlines()
    assert any("y" in line and "1.2" in line for line in lines[1:]), msg
    assert not any(line.strip().startswith("x") for line in lines[1:]), msg
    assert "1 of 2" in msg, msg
    assert gradcheck(cut, [0.5, 1.2], raise_exception=False) is False
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(cut, [0.5, 1.2])


# --------------------------------------------------------------------------------- repr


def test_repr_is_short_and_shows_data_and_grad() -> None:
    v = Value(2.0, label="w")
    r = repr(v)
    assert "2.0" in r and "grad" in r and len(r) <= 60, r
    y = v * 3.0
    y.backward()
    r = repr(v)
    assert "3.0" in r and len(r) <= 60, r  # the gradient is shown
    deep = v
    for _ in range(10_000):
        deep = deep + 1.0
    r = repr(deep)
    assert "10002.0" in r and len(r) <= 80, r  # no recursion into the graph


def test_dense_parts_give_each_row_its_weights_inputs_and_bias() -> None:
    from autograd import dense

    rows = [[Value(1.0), Value(2.0)], [Value(-1.0), Value(0.5)], [Value(3.0), Value(0.0)]]
    x = Value(4.0)
    outs = dense(rows, [Value(0.25), None, 2], [x, 3])
    assert [o.data for o in outs] == [1.0 * 4 + 2.0 * 3 + 0.25, -4.0 + 1.5 + 0.0, 12.0 + 0.0 + 2.0]
    for o, row in zip(outs, rows):
        weights, inputs, _ = o.dense_parts
        assert weights is row and inputs == (x, 3)
        assert o.inputs == (*row, x, 3, o.dense_parts[2])
    biases = [o.dense_parts[2] for o in outs]
    assert type(biases[0]) is Value and biases[0].data == 0.25
    assert biases[1] == 0.0 and type(biases[1]) is float  # None is a zero bias
    assert biases[2] == 2.0 and type(biases[2]) is float
    assert Value(1.0).dense_parts is None and (x * 2).dense_parts is None
