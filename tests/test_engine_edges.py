"""Edge cases: every row of design-notes.md section 2, and a grid of special values.

Each case is computed live in torch float64 and in the engine, and where the notes print
a number, checked against that number too. The grid runs every operation on every pair
of special values (zeros, infinities, nan, overflow, subnormals, negative bases) with
incoming gradients 1, 0, inf and nan: Python's ``math`` raises on many of these, torch
never does, and neither may the engine.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable
from typing import Any

import pytest
import torch
from helpers import close, fmt, same_sign_bit, tgrads, tleaf

import autograd
from autograd import Value

INF = math.inf
NAN = math.nan


def run_engine(fn: Callable[..., Any], xs: tuple[float, ...], gin: float = 1.0) -> tuple:
    """(value, grads after backward(gin)) of ``fn`` on engine leaves ``xs``."""
    leaves = [Value(x) for x in xs]
    out = fn(*leaves)
    out.backward(gin)
    return out.data, [v.grad for v in leaves]


def run_torch(fn: Callable[..., Any], xs: tuple[float, ...], gin: float = 1.0) -> tuple:
    """(value, grads for grad_output gin) of ``fn`` on float64 torch leaves ``xs``."""
    leaves = [tleaf(x) for x in xs]
    out = fn(*leaves)
    return float(out.detach()), [float(g) for g in tgrads(out, leaves, grad_output=gin)]


# ------------------------------------------------------------------- the table, row by row

# id: (fn, inputs, printed value or None, printed grads (None where not printed), rel tol)
TABLE: dict[str, tuple[Callable[..., Any], tuple[float, ...], Any, tuple, float]] = {
    "relu at 0": (lambda x: x.relu(), (0.0,), 0.0, (0.0,), 0.0),
    "relu at -0.0": (lambda x: x.relu(), (-0.0,), -0.0, (0.0,), 0.0),
    "relu at nan": (lambda x: x.relu(), (NAN,), NAN, (1.0,), 0.0),
    "abs at 0": (lambda x: abs(x), (0.0,), 0.0, (0.0,), 0.0),
    "sqrt at 0": (lambda x: x.sqrt(), (0.0,), 0.0, (INF,), 0.0),
    "(-8) ** (1/3)": (lambda x: x ** (1 / 3), (-8.0,), NAN, (NAN,), 0.0),
    "(-8) ** (1/3), Value exponent": (lambda x, y: x**y, (-8.0, 1 / 3), NAN, (NAN, None), 0.0),
    "(-2) ** 3": (lambda x: x**3.0, (-2.0,), -8.0, (12.0,), 0.0),
    "(-2) ** 3, Value exponent": (lambda x, y: x**y, (-2.0, 3.0), -8.0, (12.0, NAN), 0.0),
    "2 ** b at b=3": (lambda a, b: a**b, (2.0, 3.0), 8.0, (12.0, 5.545177444479562), 1e-15),
    "2 ** b at b=3, number base": (lambda b: 2.0**b, (3.0,), 8.0, (5.545177444479562,), 1e-15),
    "(-2) ** b, grad wrt b": (lambda b: (-2.0) ** b, (3.0,), -8.0, (NAN,), 0.0),
    "(-2) ** b at b=2.5, grad wrt b": (lambda b: (-2.0) ** b, (2.5,), NAN, (NAN,), 0.0),
    "(-2) ** b, Value base": (lambda a, b: a**b, (-2.0, 3.0), -8.0, (12.0, NAN), 0.0),
    "0 ** 0": (lambda x: x**0.0, (0.0,), 1.0, (0.0,), 0.0),
    "0 ** 0, Value exponent": (lambda x, y: x**y, (0.0, 0.0), 1.0, (0.0, None), 0.0),
    "0 ** 0, number base": (lambda y: 0.0**y, (0.0,), 1.0, (None,), 0.0),
    "0 ** 0.5": (lambda x: x**0.5, (0.0,), 0.0, (INF,), 0.0),
    "0 ** 0.5, Value exponent": (lambda x, y: x**y, (0.0, 0.5), 0.0, (INF, None), 0.0),
    "0 ** 0.5, number base": (lambda y: 0.0**y, (0.5,), 0.0, (None,), 0.0),
    "0 ** -1": (lambda x: x**-1.0, (0.0,), INF, (-INF,), 0.0),
    "0 ** -1, Value exponent": (lambda x, y: x**y, (0.0, -1.0), INF, (-INF, None), 0.0),
    "0 ** -1, number base": (lambda y: 0.0**y, (-1.0,), INF, (None,), 0.0),
    "1 / 0": (lambda a, b: a / b, (1.0, 0.0), INF, (INF, -INF), 0.0),
    "1 / 0, number numerator": (lambda b: 1.0 / b, (0.0,), INF, (-INF,), 0.0),
    "1 / 0, number denominator": (lambda a: a / 0.0, (1.0,), INF, (INF,), 0.0),
    "exp(1000)": (lambda x: x.exp(), (1000.0,), INF, (INF,), 0.0),
    "exp(709)": (lambda x: x.exp(), (709.0,), 8.2e307, (8.2e307,), 0.01),  # printed to 2 digits
    "log(0)": (lambda x: x.log(), (0.0,), -INF, (INF,), 0.0),
    "log(-1)": (lambda x: x.log(), (-1.0,), NAN, (-1.0,), 0.0),
    "tanh(1000)": (lambda x: x.tanh(), (1000.0,), 1.0, (0.0,), 0.0),
    "sigmoid(-1000)": (lambda x: x.sigmoid(), (-1000.0,), 0.0, (0.0,), 0.0),
    "1e200 ** 2": (lambda x: x**2.0, (1e200,), INF, (2e200,), 1e-15),
    "1e200 ** 2, Value exponent": (lambda x, y: x**y, (1e200, 2.0), INF, (2e200, INF), 1e-15),
}


@pytest.mark.parametrize("row", TABLE, ids=list(TABLE))
def test_table_row(row: str) -> None:
    fn, xs, value, grads, rel = TABLE[row]
    ev, eg = run_engine(fn, xs)
    tv, tg = run_torch(fn, xs)
    assert close(ev, tv), f"value: engine {fmt(ev)}, torch {fmt(tv)}"
    assert same_sign_bit(ev, tv) or ev != ev, f"sign of value: engine {ev!r}, torch {tv!r}"
    for i, (a, b) in enumerate(zip(eg, tg)):
        assert close(a, b), f"grad of input {i}: engine {fmt(a)}, torch {fmt(b)}"
    # the numbers printed in the design notes
    assert close(ev, value, rel=rel, abs_=0.0), f"value {fmt(ev)}, notes say {fmt(value)}"
    if value == 0.0:
        assert same_sign_bit(ev, value), f"value {ev!r}, notes say {value!r}"
    for i, (a, b) in enumerate(zip(eg, grads)):
        if b is not None:
            assert close(a, b, rel=rel, abs_=0.0), f"grad {i}: {fmt(a)}, notes say {fmt(b)}"


def test_backward_twice_accumulates_exactly_twice_like_torch() -> None:
    """Row 'backward twice (retain_graph)': leaf grads exactly 2x, no old grad re-propagated."""

    def f(a: Any, b: Any) -> Any:
        c = a * b
        d = c.tanh() + c * a  # diamond on c
        return (d * d).log() + (b / c) ** 2.0

    xs = (0.7, -1.3)
    ev = [Value(x) for x in xs]
    out = f(*ev)
    out.backward()
    once = [v.grad for v in ev]
    out.backward()
    twice = [v.grad for v in ev]

    tv = [tleaf(x) for x in xs]
    to = f(*tv)
    to.backward(retain_graph=True)
    t_once = [float(t.grad) for t in tv]
    to.backward()
    t_twice = [float(t.grad) for t in tv]

    for i in range(2):
        assert close(once[i], t_once[i]), (once, t_once)
        assert close(twice[i], t_twice[i]), (twice, t_twice)
        assert twice[i] == 2.0 * once[i], f"leaf {i}: {twice[i]!r} is not 2 x {once[i]!r}"
        assert t_twice[i] == 2.0 * t_once[i]  # what the notes say torch does


T3 = torch.tensor(3.0, dtype=torch.float64)
CUBES: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any], int, float | None]] = {
    # id: (engine fn, torch fn, order of the derivative, number printed in the notes)
    "d2/dx2 x**3": (lambda x: x**3.0, lambda t: t**3.0, 2, 18.0),
    "d3/dx3 x**3": (lambda x: x**3.0, lambda t: t**3.0, 3, None),
    "d2/dx2 x**Value(3)": (lambda x: x ** Value(3.0), lambda t: t**T3, 2, 18.0),
    "d2/dx2 x*x*x": (lambda x: x * x * x, lambda t: t * t * t, 2, 18.0),
}


@pytest.mark.parametrize("case", CUBES, ids=list(CUBES))
def test_higher_derivative_of_cube(case: str) -> None:
    """Row 'd2/dx2 of x**3 at 3 (create_graph)': 18, and torch agrees live."""
    fn, torch_fn, order, printed = CUBES[case]
    v = Value(3.0)
    g = fn(v)
    for _ in range(order):
        (g,) = autograd.grad(g, [v], create_graph=True)
    t = tleaf(3.0)
    h = torch_fn(t)
    for _ in range(order):
        (h,) = tgrads(h, [t], create_graph=True)
    hv = float(h.detach())
    assert close(g.data, hv), f"engine {fmt(g.data)}, torch {fmt(hv)}"
    if printed is not None:
        assert g.data == printed, f"engine {g.data!r}, notes say {printed!r}"


# --------------------------------------------------- Python raises, torch and engine do not

RAISES_IN_PYTHON = {
    "math.exp(1000)": (lambda: math.exp(1000.0), OverflowError, lambda x: x.exp(), 1000.0),
    "0.0 ** -1": (lambda: 0.0**-1, ZeroDivisionError, lambda x: x**-1.0, 0.0),
    "math.log(0)": (lambda: math.log(0.0), ValueError, lambda x: x.log(), 0.0),
    "math.sqrt(-1)": (lambda: math.sqrt(-1.0), ValueError, lambda x: x.sqrt(), -1.0),
    "1.0 / 0.0": (lambda: 1.0 / 0.0, ZeroDivisionError, lambda x: 1.0 / x, 0.0),
    "math.pow(1e200, 2)": (lambda: math.pow(1e200, 2.0), OverflowError, lambda x: x**2.5, 1e200),
    "math.pow(0, -1)": (lambda: math.pow(0.0, -1.0), ValueError, lambda x: 0.0**x, -1.0),
}


@pytest.mark.parametrize("case", RAISES_IN_PYTHON, ids=list(RAISES_IN_PYTHON))
def test_no_python_exception_escapes(case: str) -> None:
    python_fn, exc, fn, x = RAISES_IN_PYTHON[case]
    with pytest.raises(exc):
        python_fn()
    ev, eg = run_engine(fn, (x,))  # must not raise
    tv, tg = run_torch(fn, (x,))
    assert close(ev, tv), f"value: engine {fmt(ev)}, torch {fmt(tv)}"
    assert close(eg[0], tg[0]), f"grad: engine {fmt(eg[0])}, torch {fmt(tg[0])}"
    v = Value(x)
    (g,) = autograd.grad(fn(v), [v], create_graph=True)  # must not raise either
    assert close(g.data, tg[0]), f"create_graph grad: engine {fmt(g.data)}, torch {fmt(tg[0])}"


# ------------------------------------------------------------------- the special-value grid

GRID = (0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, 3.0, -8.0, 1000.0, -1000.0, 709.0, 1e200)
GRID += (1e308, 5e-324, INF, -INF, NAN)
GRADS_IN = (1.0, 0.0, INF, NAN)

UNARY: dict[str, Callable[[Any], Any]] = {
    "neg": operator.neg,
    "abs": abs,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
}
BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
}


def _grid_mismatches(fn: Callable[..., Any], points: list[tuple[float, ...]]) -> list[str]:
    """Every (point, incoming grad) where the engine differs from torch, as readable lines."""
    problems = []
    for xs, gin in itertools.product(points, GRADS_IN):
        where = f"{fmt_args(xs)} with incoming grad {gin!r}"
        try:
            ev, eg = run_engine(fn, xs, gin)
        except Exception as exc:
            problems.append(f"{where}: engine raised {exc!r}")
            continue
        tv, tg = run_torch(fn, xs, gin)
        if not close(ev, tv) or (ev == 0.0 and not same_sign_bit(ev, tv)):
            problems.append(f"{where}: value engine {ev!r}, torch {tv!r}")
        for i, (a, b) in enumerate(zip(eg, tg)):
            if not close(a, b):
                problems.append(f"{where}: grad {i} engine {a!r}, torch {b!r}")
        if gin == 1.0:  # the create_graph path must give the same first derivatives
            leaves = [Value(x) for x in xs]
            try:
                cg = [g.data for g in autograd.grad(fn(*leaves), leaves, create_graph=True)]
            except Exception as exc:
                problems.append(f"{where}: grad(create_graph=True) raised {exc!r}")
                continue
            for i, (a, b) in enumerate(zip(cg, tg)):
                if not close(a, b):
                    problems.append(f"{where}: create_graph grad {i} engine {a!r}, torch {b!r}")
    return problems


def fmt_args(xs: tuple[float, ...]) -> str:
    """Inputs as ``(x, y)`` for messages."""
    return "(" + ", ".join(repr(x) for x in xs) + ")"


def _report(name: str, problems: list[str]) -> str:
    head = f"{name}: {len(problems)} mismatches with torch"
    return "\n".join([head, *problems[:40], "..." if len(problems) > 40 else ""])


@pytest.mark.parametrize("op", UNARY, ids=list(UNARY))
def test_grid_unary(op: str) -> None:
    problems = _grid_mismatches(UNARY[op], [(x,) for x in GRID])
    assert not problems, _report(op, problems)


@pytest.mark.parametrize("op", BINARY, ids=list(BINARY))
def test_grid_value_op_value(op: str) -> None:
    problems = _grid_mismatches(BINARY[op], list(itertools.product(GRID, GRID)))
    assert not problems, _report(f"Value {op} Value", problems)


@pytest.mark.parametrize("op", BINARY, ids=list(BINARY))
def test_grid_value_op_number(op: str) -> None:
    fn = BINARY[op]
    problems = []
    for c in GRID:
        found = _grid_mismatches(lambda x, c=c: fn(x, c), [(x,) for x in GRID])
        problems += [f"c={c!r}: {p}" for p in found]
    assert not problems, _report(f"Value {op} number", problems)


@pytest.mark.parametrize("op", BINARY, ids=list(BINARY))
def test_grid_number_op_value(op: str) -> None:
    fn = BINARY[op]
    problems = []
    for c in GRID:
        found = _grid_mismatches(lambda x, c=c: fn(c, x), [(x,) for x in GRID])
        problems += [f"c={c!r}: {p}" for p in found]
    assert not problems, _report(f"number {op} Value", problems)


def test_negative_base_fractional_power_is_nan_not_complex() -> None:
    """Python's ``(-2.0) ** 2.5`` is a complex number; torch (and the engine) give nan."""
    assert isinstance((-2.0) ** 2.5, complex)
    exponent = torch.tensor(2.5, dtype=torch.float64)
    cases = [
        (lambda x: x**2.5, lambda t: t**2.5),
        (lambda x: x ** Value(2.5), lambda t: t**exponent),
    ]
    for engine_fn, torch_fn in cases:
        ev, eg = run_engine(engine_fn, (-2.0,))
        tv, tg = run_torch(torch_fn, (-2.0,))
        assert type(ev) is float and math.isnan(ev) and math.isnan(tv)
        assert close(eg[0], tg[0]), f"grad: engine {fmt(eg[0])}, torch {fmt(tg[0])}"
