"""The exercise checkers: wrong rules and answers rejected, right ones accepted, hints that fit.

Reference gradients come from torch float64 or from the worked examples' own numbers.
"""

from __future__ import annotations

import math

import pytest
import torch

from autograd import Op, Value
from gradwalk.exercises import (
    builtin_op,
    check_derivative,
    check_gradients,
    check_op,
    numerical_derivative,
)

torch.set_num_threads(1)


def _t(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


# ------------------------------------------------------------ check_derivative


def test_right_rules_pass() -> None:
    assert check_derivative(math.sin, math.cos)
    assert check_derivative(math.exp, math.exp, domain=(-20, 20))
    assert check_derivative(lambda x: x**3, lambda x: 3 * x**2, domain=(-100, 100))
    assert check_derivative(lambda x: 1 / x, lambda x: -1 / x**2, domain=(0.01, 5))


def test_wrong_rules_fail_and_say_where() -> None:
    report = check_derivative(math.sin, lambda x: 1.0)
    assert not report
    assert report.checked == 100 and len(report.failures) == 100
    bad = report.first_failure
    assert bad is not None and bad.given == 1.0
    assert math.isclose(bad.expected, math.cos(bad.x), abs_tol=1e-9)
    text = str(report)
    assert "wrong at 100 of 100 points" in text and "first bad point" in text
    assert repr(report) == text
    html = report._repr_html_()
    assert "<table" in html and "✗" in html


def test_rule_right_at_one_point_only_fails() -> None:
    # 1.0 is cos(0): right at x = 0 only, even when 0 is one of the points
    report = check_derivative(math.sin, lambda x: 1.0, points=[0.0, 0.5, 1.0, 2.0])
    assert not report and len(report.failures) == 3
    assert all(f.x != 0.0 for f in report.failures)
    # d/dx x**2 is 2x, not 2: right only at x = 1
    assert not check_derivative(lambda x: x * x, lambda x: 2.0)
    # a close but wrong rule (the usual slip for tanh: 1 - tanh, not 1 - tanh²)
    assert not check_derivative(lambda x: x.tanh(), lambda x: 1 - math.tanh(x))


def test_functions_on_values() -> None:
    assert check_derivative(lambda x: x.tanh(), lambda x: 1 - x.tanh() ** 2)
    assert check_derivative(lambda x: x.sigmoid(), lambda x: x.sigmoid() * (1 - x.sigmoid()))
    # against torch's own derivative at the report's points
    report = check_derivative(lambda x: (x * x).exp(), lambda x: 2 * x * math.exp(x * x))
    assert report
    t = _t(1.3)
    torch.exp(t * t).backward()
    value, _ = numerical_derivative(lambda x: math.exp(x * x), 1.3)
    assert math.isclose(value, t.grad.item(), rel_tol=1e-9)


def test_kinks_and_non_finite_points_are_skipped() -> None:
    relu_rule = lambda x: 1.0 if x > 0 else 0.0
    report = check_derivative(lambda x: x.relu(), relu_rule, points=[-1.0, 0.0, 1.0])
    assert report and report.checked == 2 and report.skipped == {"kink": 1}
    report = check_derivative(math.log, lambda x: 1 / x)
    assert report and report.skipped.get("not finite") == 50 and report.checked == 50
    assert check_derivative(abs, lambda x: math.copysign(1.0, x), points=[0.0, 2.0]).checked == 1
    # nothing checkable is not a pass
    assert not check_derivative(math.log, lambda x: 1 / x, domain=(-3, -1))


def test_numerical_derivative_is_accurate() -> None:
    for x in (-2.5, -0.1, 0.0, 0.7, 3.0, 50.0):
        t = _t(x)
        torch.tanh(t).backward()
        value, reason = numerical_derivative(math.tanh, x)
        assert reason == "" and math.isclose(value, t.grad.item(), rel_tol=1e-8, abs_tol=1e-12)


def test_check_derivative_bad_input() -> None:
    with pytest.raises(TypeError, match="f must be a callable"):
        check_derivative(1.0, math.cos)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="df must be a callable"):
        check_derivative(math.sin, "cos")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        check_derivative(math.sin, math.cos, domain=(3, 3))
    with pytest.raises(ValueError, match="empty"):
        check_derivative(math.sin, math.cos, domain=(3, -3))
    with pytest.raises(ValueError, match="finite"):
        check_derivative(math.sin, math.cos, domain=(0, math.inf))
    with pytest.raises(ValueError, match="pair"):
        check_derivative(math.sin, math.cos, domain=(0, 1, 2))
    with pytest.raises(TypeError, match="domain"):
        check_derivative(math.sin, math.cos, domain=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least 1"):
        check_derivative(math.sin, math.cos, points=0)
    with pytest.raises(ValueError, match="empty"):
        check_derivative(math.sin, math.cos, points=[])
    for kwargs in ({"abs_tol": math.inf}, {"rel_tol": math.nan}, {"rel_tol": 1.0}):
        with pytest.raises(ValueError, match=r"tolerance|rel_tol"):
            check_derivative(math.sin, math.cos, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="finite"):
        check_derivative(math.sin, math.cos, points=[0.0, math.inf])


def test_a_rule_that_is_not_a_number_is_feedback_not_an_exception() -> None:
    report = check_derivative(math.sin, lambda x: "cos")
    assert not report and len(report.failures) == 100
    assert "df(" in str(report) and "returned str 'cos', not a number" in str(report)
    report = check_derivative(math.sin, lambda x: 10**400)
    assert not report and "too large for a float" in str(report)


def test_the_learners_own_exceptions_are_named_in_the_feedback() -> None:
    def df(x: float) -> float:
        raise RuntimeError("forgot to return")

    def f(x: float) -> float:
        return {"a": x}["b"]

    report = check_derivative(math.sin, df)
    assert not report and report.checked == 100
    assert "raised RuntimeError: forgot to return" in str(report)
    report = check_derivative(f, math.cos)
    assert not report and "f(" in str(report) and "raised KeyError: 'b'" in str(report)
    assert "<table" in report._repr_html_()
    # a domain error of f is still a point outside f's domain, skipped
    assert check_derivative(math.log, lambda x: 1 / x).skipped.get("not finite") == 50
    broken = Op.unary("broken", math.sin, lambda x: [][1], formula="cos({a})")
    report = check_op(broken)
    assert not report and "IndexError" in str(report)


def test_the_report_says_which_points_were_used() -> None:
    report = check_derivative(lambda x: x * x, lambda x: 2 * x, points=[1e308])
    assert "[-3, 3]" not in str(report) and "1e+308" in str(report)
    report = check_derivative(lambda x: x * x, lambda x: 2 * x, points=[0.5, 7.0, 2.0])
    assert report and "(the given points, in [0.5, 7])" in str(report)
    assert "[-3, 3]" not in str(report)
    assert "in [-3, 3]" in str(check_derivative(lambda x: x * x, lambda x: 2 * x))


@pytest.mark.parametrize(
    ("factor", "words"),
    [(2.0, "twice the right one"), (0.5, "half the right one"), (-1.0, "sign flipped")],
)
def test_a_rule_off_by_a_constant_factor_gets_a_hint(factor: float, words: str) -> None:
    # the right rule is torch's derivative of x**2 at each point
    def torch_rule(x: float) -> float:
        t = _t(x)
        (t * t).backward()
        return t.grad.item()

    report = check_derivative(lambda x: x * x, lambda x: factor * torch_rule(x))
    assert not report and words in report.hint and "hint: " in str(report)
    assert check_derivative(lambda x: x * x, lambda x: x + 1.0).hint == ""  # no common factor


# --------------------------------------------------------------------- check_op


@pytest.mark.parametrize(
    "name", ["tanh", "exp", "log", "sqrt", "sigmoid", "relu", "neg", "add", "sub", "mul", "div"]
)
def test_builtin_ops_pass(name: str) -> None:
    report = check_op(builtin_op(name))
    assert report, str(report)
    assert all(r.checked >= 50 for _, r in report.operands)


def test_pow_checks_both_operands() -> None:
    report = check_op(builtin_op("pow"), domain=[(0.1, 3.0), (-2.0, 2.0)])
    assert report and [name for name, _ in report.operands] == ["a", "b"]
    assert report["b"].checked == 100


def test_learners_sin_op() -> None:
    sin = Op.unary("sin", math.sin, math.cos, formula="cos({a})")
    assert check_op(sin)
    x = Value(0.5, label="x")
    y = sin(x) * x
    y.label = "y"
    t = _t(0.5)
    (torch.sin(t) * t).backward()
    assert check_gradients(y, {"x": t.grad.item()})
    assert y.edges[0].parent.edges[0].formula(a="x") == "cos(x)"


def test_wrong_op_rules_fail() -> None:
    wrong = Op.unary("sin", math.sin, lambda x: -math.cos(x))
    report = check_op(wrong)
    assert not report and "wrong at 100 of 100" in str(report)
    one_point = Op.unary("sin", math.sin, lambda x: 1.0)  # right at 0 only
    assert not check_op(one_point)
    swapped = Op.unary("sq", lambda x: x * x, lambda x: x)  # missing the 2
    assert not check_op(swapped)
    assert "<div" in check_op(wrong)._repr_html_()


def test_check_op_bad_input() -> None:
    with pytest.raises(TypeError, match="must be an autograd Op"):
        check_op(math.sin)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        check_op(builtin_op("tanh"), domain=(1, 0))
    with pytest.raises(ValueError, match="unknown op"):
        builtin_op("sine")


# -------------------------------------------------------------- check_gradients


def _lesson1() -> tuple[Value, dict[str, Value]]:
    """Worked example 1: x = (2, 3), target 5, w11 = w21 = w1 = w2 = 1, others 0, relu."""
    ones = ("w11", "w21", "w1", "w2")
    w = {n: Value(float(n in ones), label=n) for n in "w11 w12 w21 w22 w31 w32 w1 w2 w3".split()}
    a = []
    for i in (1, 2, 3):
        z = w[f"w{i}1"] * 2.0 + w[f"w{i}2"] * 3.0
        z.label = f"z{i}"
        a.append(z.relu())
        a[-1].label = f"a{i}"
    s = w["w1"] * a[0] + w["w2"] * a[1] + w["w3"] * a[2]
    y = s.relu()
    y.label = "y"
    loss = (y - 5.0) ** 2
    loss.label = "loss"
    return loss, w


def _lesson1_torch() -> dict[str, float]:
    w1 = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([2.0, 3.0], dtype=torch.float64)
    ((torch.relu(w2 @ torch.relu(w1 @ x)) - 5.0) ** 2).backward()
    names = [f"w{i}{j}" for i in (1, 2, 3) for j in (1, 2)]
    out = dict(zip(names, w1.grad.reshape(-1).tolist()))
    out.update(zip(["w1", "w2", "w3"], w2.grad.tolist()))
    return out


def test_lesson1_right_answers() -> None:
    loss, _ = _lesson1()
    ref = _lesson1_torch()
    assert ref["w11"] == -4.0  # given in the lesson
    report = check_gradients(loss, ref)
    assert report and "9 of 9" in str(report)


def test_lesson1_hints() -> None:
    loss, _ = _lesson1()
    report = check_gradients(
        loss, {"w11": 4.0, "z1": -1.0, "a1": 1.0, "w1": -2.0, "w31": 3.0, "w12": -6.0}
    )
    assert not report
    assert "sign is flipped" in report["w11"].hint
    assert "1/2 times" in report["z1"].hint  # the 2 of (y - 5)² forgotten
    assert "only the local derivative" in report["a1"].hint  # d(w1·a1)/da1 = w1 = 1
    assert "factor is missing" in report["w1"].hint  # -2 is the upstream alone, a1 = 2 missing
    assert "local derivative of 0" in report["w31"].hint  # neuron 3 sits at the kink
    assert report["w12"].right  # -6 = -2 · 1 · 3
    assert "(it is" not in str(report)
    assert "(it is -4)" in str(check_gradients(loss, {"w11": 4.0}, reveal=True))


def test_reused_node_counted_once() -> None:
    x = Value(3.0, label="x")
    b = Value(2.0, label="b")
    h = x * b
    h.label = "h"
    y = h.tanh() + h * h
    y.label = "y"
    tx = _t(3.0)
    tb = _t(2.0)
    th = tx * tb
    (torch.tanh(th) + th * th).backward()
    assert check_gradients(y, {"x": tx.grad.item(), "b": tb.grad.item()})
    only_tanh = (1 - math.tanh(6.0) ** 2) * 2.0  # the tanh path alone, times dh/dx = b
    report = check_gradients(y, {"h": 1 - math.tanh(6.0) ** 2, "x": only_tanh})
    assert not report
    assert "used 3 times" in report["h"].hint
    assert report["x"].hint  # some hint, and x itself is used once


def test_upstream_left_out_on_a_sigmoid_chain() -> None:
    # lesson 2's first hidden neuron: h1 = σ(0.15·0.05 + 0.20·0.10 + 0.35), o = h1 * 0.40
    w = Value(0.15, label="w")
    z = w * 0.05 + 0.20 * 0.10 + 0.35
    z.label = "z"
    h = z.sigmoid()
    h.label = "h"
    o = h * 0.40
    o.label = "o"
    s = h.data * (1 - h.data)
    report = check_gradients(o, {"z": s, "w": s * 0.40})
    assert "only the local derivative" in report["z"].hint
    assert "factor is missing" in report["w"].hint
    tw = _t(0.15)
    (torch.sigmoid(tw * 0.05 + 0.02 + 0.35) * 0.40).backward()
    assert check_gradients(o, {"w": tw.grad.item()})


def test_grads_are_left_alone() -> None:
    loss, w = _lesson1()
    loss.backward()
    before = {n: v.grad for n, v in w.items()}
    w["w3"].grad = 123.0
    before["w3"] = 123.0
    check_gradients(loss, {"w11": 1.0, "w3": 0.0})
    assert {n: v.grad for n, v in w.items()} == before
    fresh, ws = _lesson1()
    check_gradients(fresh, {"w11": -4.0})
    assert all(v.grad == 0.0 for v in ws.values())


def test_check_gradients_accepts_values_as_keys() -> None:
    loss, w = _lesson1()
    report = check_gradients(loss, {w["w11"]: -4, loss: 1})
    assert report and report["w11"].right


def test_check_gradients_bad_input() -> None:
    loss, _ = _lesson1()
    with pytest.raises(ValueError, match=r"no value labelled 'w13'.*labels: a1, a2"):
        check_gradients(loss, {"w13": 1.0})
    with pytest.raises(TypeError, match="root must be a Value"):
        check_gradients(1.0, {"x": 1.0})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="answers must be a dict"):
        check_gradients(loss, [("w11", -4.0)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="answers is empty"):
        check_gradients(loss, {})
    with pytest.raises(TypeError, match="answer for 'w11'"):
        check_gradients(loss, {"w11": "-4"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="not in the graph"):
        check_gradients(loss, {Value(1.0): 0.0})
    a, b = Value(1.0, label="a"), Value(2.0, label="a")
    with pytest.raises(ValueError, match="2 values are labelled 'a'"):
        check_gradients(a * b, {"a": 2.0})


def test_odd_answers_are_feedback_that_names_them() -> None:
    loss, _ = _lesson1()
    report = check_gradients(loss, {"w11": 10**400, "w12": -(10**5000), "w21": math.nan})
    assert not report
    assert "too large for a float" in report["w11"].hint and report["w11"].given == math.inf
    assert "too large for a float" in report["w12"].hint
    assert "nan" in report["w21"].hint
    assert check_gradients(loss, {"w11": -4})  # a plain int is fine


def test_tolerances_that_accept_anything_are_refused() -> None:
    loss, _ = _lesson1()
    for kwargs in (
        {"abs_tol": math.inf},
        {"rel_tol": math.inf},
        {"abs_tol": math.nan},
        {"rel_tol": 1.0},
        {"abs_tol": 10**400},
    ):
        with pytest.raises(ValueError, match=r"check_gradients|abs_tol"):
            check_gradients(loss, {"w11": 123.0}, **kwargs)  # type: ignore[arg-type]


def test_a_hint_names_a_constant_factor_once() -> None:
    a = Value(3.0, label="a")
    b = a * 2
    b.label = "b"
    c = b * b
    c.label = "c"
    ta = _t(3.0)
    ((ta * 2) * (ta * 2)).backward()
    right = ta.grad.item()  # 24
    missing = check_gradients(c, {"a": right / 2})["a"].hint
    assert missing == "a factor is missing: db/da = 2", missing
    twice = check_gradients(c, {"a": right * 2})["a"].hint
    assert twice == "one factor too many: db/da = 2 is counted twice", twice


def test_gradient_report_html() -> None:
    loss, _ = _lesson1()
    html = check_gradients(loss, {"w11": 4.0, "w21": -4.0})._repr_html_()
    assert "<table" in html and "sign is flipped" in html and "✓ right" in html
