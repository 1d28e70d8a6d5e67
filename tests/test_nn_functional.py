"""softmax, log_softmax and the losses against live torch.nn.functional (float64).

Values and gradients must agree to ~1e-12 (relative, or absolute scaled by the size of the
numbers involved), including at extreme logits (±1000) and at the clamped ends of binary
cross-entropy (inputs of exactly 0 and 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from helpers import close
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad
from autograd.nn import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    log_softmax,
    mse_loss,
    one_hot,
    softmax,
)

# Tiny tensors: torch's worker threads add only wake-up latency (tens of ms under load).
torch.set_num_threads(1)

D = torch.float64
TOL = 1e-12


def assert_all_close(got: Sequence[float], want: Sequence[float], what: str, **kw: float) -> None:
    assert len(got) == len(want), f"{what}: {len(got)} values, torch has {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        assert close(g, w, **kw), f"{what}[{i}]: autograd {g!r}, torch {w!r}"


def tvec(xs: Sequence[float], requires_grad: bool = True) -> torch.Tensor:
    return torch.tensor([float(x) for x in xs], dtype=D, requires_grad=requires_grad)


# Logits: ordinary values plus the extremes the stable forms must survive.
logit = st.one_of(
    st.floats(-30, 30, allow_nan=False),
    st.sampled_from([1000.0, -1000.0, 0.0, 700.0, -745.0, 1e-300]),
)
logits = st.lists(logit, min_size=1, max_size=8)
coef = st.floats(-3, 3, allow_nan=False)


# --------------------------------------------------------------------- softmax


@given(logits, st.data())
def test_softmax_matches_torch(zs: list[float], data: st.DataObject) -> None:
    c = data.draw(st.lists(coef, min_size=len(zs), max_size=len(zs)))
    vs = [Value(z) for z in zs]
    ys = softmax(vs)
    assert all(type(y) is Value for y in ys)
    sum((ci * y for ci, y in zip(c, ys)), Value(0.0)).backward()

    tz = tvec(zs)
    ty = torch.softmax(tz, 0)
    (ty * tvec(c, False)).sum().backward()
    assert_all_close([y.data for y in ys], ty.tolist(), "softmax")
    assert_all_close([v.grad for v in vs], tz.grad.tolist(), "softmax grad", scale=3 * len(zs))
    assert all(math.isfinite(y.data) for y in ys)
    assert math.isclose(sum(y.data for y in ys), 1.0, abs_tol=1e-12)


@given(logits, st.data())
def test_log_softmax_matches_torch(zs: list[float], data: st.DataObject) -> None:
    c = data.draw(st.lists(coef, min_size=len(zs), max_size=len(zs)))
    vs = [Value(z) for z in zs]
    ys = log_softmax(vs)
    sum((ci * y for ci, y in zip(c, ys)), Value(0.0)).backward()

    tz = tvec(zs)
    ty = F.log_softmax(tz, 0)
    (ty * tvec(c, False)).sum().backward()
    scale = max(abs(z) for z in zs)
    assert_all_close([y.data for y in ys], ty.tolist(), "log_softmax", scale=scale)
    assert_all_close([v.grad for v in vs], tz.grad.tolist(), "log_softmax grad", scale=3 * len(zs))


def test_softmax_of_huge_logits_does_not_overflow() -> None:
    ys = softmax([Value(1000.0), Value(1000.0), Value(-1000.0)])
    assert [y.data for y in ys] == [0.5, 0.5, 0.0]
    ls = log_softmax([1000.0, 0.0])
    assert [v.data for v in ls] == [0.0, -1000.0]
    assert F.log_softmax(tvec([1000.0, 0.0], False), 0).tolist() == [0.0, -1000.0]


def test_softmax_accepts_plain_numbers() -> None:
    ys = softmax([3, 1, -3.0])
    want = torch.softmax(tvec([3, 1, -3], False), 0).tolist()
    assert_all_close([y.data for y in ys], want, "softmax")


# --------------------------------------------------------------------- cross entropy


@st.composite
def batch_logits(draw: st.DrawFn) -> tuple[list[list[float]], list[int]]:
    k = draw(st.integers(1, 6))
    n = draw(st.integers(1, 5))
    zs = [draw(st.lists(logit, min_size=k, max_size=k)) for _ in range(n)]
    ts = [draw(st.integers(0, k - 1)) for _ in range(n)]
    return zs, ts


@given(batch_logits())
def test_cross_entropy_batch_matches_torch(case: tuple[list[list[float]], list[int]]) -> None:
    zs, ts = case
    vs = [[Value(z) for z in row] for row in zs]
    loss = cross_entropy(vs, ts)
    loss.backward()
    tz = torch.tensor(zs, dtype=D, requires_grad=True)
    tl = F.cross_entropy(tz, torch.tensor(ts))
    tl.backward()
    scale = max(abs(z) for row in zs for z in row)
    assert close(loss.data, tl.item(), scale=scale), (loss.data, tl.item())
    assert_all_close(
        [v.grad for row in vs for v in row], tz.grad.reshape(-1).tolist(), "cross_entropy grad"
    )


@given(st.lists(logit, min_size=1, max_size=8), st.data())
def test_cross_entropy_single_sample_matches_torch(zs: list[float], data: st.DataObject) -> None:
    t = data.draw(st.integers(0, len(zs) - 1))
    vs = [Value(z) for z in zs]
    loss = cross_entropy(vs, t)
    loss.backward()
    tz = tvec(zs)
    tl = F.cross_entropy(tz, torch.tensor(t))
    tl.backward()
    assert close(loss.data, tl.item(), scale=max(abs(z) for z in zs))
    assert_all_close([v.grad for v in vs], tz.grad.tolist(), "cross_entropy grad")


def test_cross_entropy_extreme_logits() -> None:
    vs = [Value(1000.0), Value(-1000.0), Value(0.0)]
    loss = cross_entropy(vs, 1)
    loss.backward()
    assert loss.data == 2000.0
    assert [v.grad for v in vs] == [1.0, -1.0, 0.0]
    tz = tvec([1000.0, -1000.0, 0.0])
    tl = F.cross_entropy(tz, torch.tensor(1))
    tl.backward()
    assert tl.item() == 2000.0 and tz.grad.tolist() == [1.0, -1.0, 0.0]


# --------------------------------------------------------------------- mse


@given(
    st.integers(1, 4).flatmap(
        lambda k: st.lists(
            st.tuples(
                st.lists(st.floats(-1e3, 1e3), min_size=k, max_size=k),
                st.lists(st.floats(-1e3, 1e3), min_size=k, max_size=k),
            ),
            min_size=1,
            max_size=5,
        )
    )
)
def test_mse_loss_batch_matches_torch(rows: list[tuple[list[float], list[float]]]) -> None:
    xs = [r[0] for r in rows]
    ts = [r[1] for r in rows]
    vs = [[Value(x) for x in row] for row in xs]
    loss = mse_loss(vs, ts)
    loss.backward()
    tx = torch.tensor(xs, dtype=D, requires_grad=True)
    tl = F.mse_loss(tx, torch.tensor(ts, dtype=D))
    tl.backward()
    assert close(loss.data, tl.item())
    assert_all_close(
        [v.grad for row in vs for v in row], tx.grad.reshape(-1).tolist(), "mse grad", scale=2e3
    )


def test_mse_loss_flat_scalar_and_value_targets() -> None:
    x = [Value(1.5), Value(-2.0), Value(0.25)]
    t = Value(0.5)
    loss = mse_loss(x, [1.0, t, -1.0])
    loss.backward()
    tx = tvec([1.5, -2.0, 0.25])
    tt = torch.tensor(0.5, dtype=D, requires_grad=True)
    tl = F.mse_loss(tx, torch.stack([torch.tensor(1.0, dtype=D), tt, torch.tensor(-1.0, dtype=D)]))
    tl.backward()
    assert close(loss.data, tl.item())
    assert_all_close([v.grad for v in x], tx.grad.tolist(), "mse grad")
    assert close(t.grad, tt.grad.item())
    single = mse_loss(Value(3.0), 1.0)
    assert single.data == 4.0


# --------------------------------------------------------------------- binary cross entropy

prob = st.one_of(
    st.floats(0.0, 1.0),
    st.sampled_from([0.0, 1.0, 1e-13, 1.0 - 1e-13, 1e-50, 5e-324, 0.5]),
)
target01 = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0))


@given(st.lists(st.tuples(prob, target01), min_size=1, max_size=6))
def test_binary_cross_entropy_matches_torch(pairs: list[tuple[float, float]]) -> None:
    xs = [p for p, _ in pairs]
    ts = [t for _, t in pairs]
    vs = [Value(x) for x in xs]
    loss = binary_cross_entropy(vs, ts)
    loss.backward()
    tx = tvec(xs)
    tl = F.binary_cross_entropy(tx, tvec(ts, False))
    tl.backward()
    assert close(loss.data, tl.item()), (loss.data, tl.item())
    assert_all_close([v.grad for v in vs], tx.grad.tolist(), "bce grad")


def test_binary_cross_entropy_clamps_like_torch() -> None:
    vs = [Value(0.0), Value(1.0)]
    loss = binary_cross_entropy(vs, [1.0, 0.0])
    loss.backward()
    assert loss.data == 100.0  # log clamped to -100, not inf
    tx = tvec([0.0, 1.0])
    F.binary_cross_entropy(tx, tvec([1.0, 0.0], False)).backward()
    assert_all_close([v.grad for v in vs], tx.grad.tolist(), "bce grad at 0 and 1")
    assert all(math.isfinite(v.grad) for v in vs)


logit_bce = st.one_of(
    st.floats(-50, 50), st.sampled_from([1000.0, -1000.0, 40.0, -40.0, 800.0, 0.0])
)


@given(st.lists(st.tuples(logit_bce, st.floats(-0.5, 1.5)), min_size=1, max_size=6))
def test_binary_cross_entropy_with_logits_matches_torch(pairs: list[tuple[float, float]]) -> None:
    xs = [p for p, _ in pairs]
    ts = [t for _, t in pairs]
    vs = [Value(x) for x in xs]
    loss = binary_cross_entropy_with_logits(vs, ts)
    loss.backward()
    tx = tvec(xs)
    tl = F.binary_cross_entropy_with_logits(tx, tvec(ts, False))
    tl.backward()
    assert close(loss.data, tl.item(), scale=max(abs(x) for x in xs)), (loss.data, tl.item())
    assert_all_close([v.grad for v in vs], tx.grad.tolist(), "bce_with_logits grad")


def test_binary_cross_entropy_with_logits_is_stable_at_extremes() -> None:
    vs = [Value(1000.0), Value(-1000.0), Value(40.0)]
    loss = binary_cross_entropy_with_logits(vs, [1.0, 1.0, 1.0])
    loss.backward()
    tx = tvec([1000.0, -1000.0, 40.0])
    tl = F.binary_cross_entropy_with_logits(tx, tvec([1.0, 1.0, 1.0], False))
    tl.backward()
    assert loss.data == tl.item() == 1000.0 / 3 + 4.248354255291589e-18 / 3
    assert [v.grad for v in vs] == tx.grad.tolist()


@pytest.mark.parametrize("fn", ["bce", "bce_logits"])
@given(x=st.floats(0.05, 0.95), t=st.floats(0.0, 1.0))
def test_bce_second_derivative_matches_torch(fn: str, x: float, t: float) -> None:
    v = Value(x)
    tx = tvec([x])
    if fn == "bce":
        loss = binary_cross_entropy([v], [t])
        tl = F.binary_cross_entropy(tx, tvec([t], False))
        tol = 1e-9  # torch's double backward adds its 1e-12 epsilon differently
    else:
        loss = binary_cross_entropy_with_logits([v], [t])
        tl = F.binary_cross_entropy_with_logits(tx, tvec([t], False))
        tol = TOL
    (g,) = grad(loss, [v], create_graph=True)
    (h,) = grad(g, [v])
    (tg,) = torch.autograd.grad(tl, tx, create_graph=True)
    (th,) = torch.autograd.grad(tg.sum(), tx)
    assert close(g.data, tg.item())
    assert close(h.data, th.item(), rel=tol, abs_=tol), (h.data, th.item())


# --------------------------------------------------------------------- hinge


@given(st.lists(st.tuples(st.floats(-1e3, 1e3), st.sampled_from([-1, 1, -1.0, 1.0])), min_size=1))
def test_hinge_loss_matches_torch(pairs: list[tuple[float, float]]) -> None:
    ss = [s for s, _ in pairs]
    ys = [y for _, y in pairs]
    vs = [Value(s) for s in ss]
    loss = hinge_loss(vs, ys)
    loss.backward()
    tx = tvec(ss)
    tl = torch.relu(1 - tvec(ys, False) * tx).mean()
    tl.backward()
    assert close(loss.data, tl.item(), scale=1e3)
    assert_all_close([v.grad for v in vs], tx.grad.tolist(), "hinge grad")


def test_hinge_loss_micrograd_demo_numbers() -> None:
    # margins: 1 - 1*2 = -1 -> 0; 1 - (-1)*0.5 = 1.5; 1 - 1*0.25 = 0.75
    loss = hinge_loss([Value(2.0), Value(0.5), Value(0.25)], [1, -1, 1])
    assert loss.data == (0.0 + 1.5 + 0.75) / 3


# --------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: softmax([]), ValueError, "must not be empty"),
        (lambda: softmax(Value(1.0)), TypeError, "list of Values"),
        (lambda: softmax("abc"), TypeError, "list of Values"),
        (lambda: softmax([1.0, "x"]), TypeError, "str"),
        (lambda: log_softmax([None]), TypeError, "NoneType"),
        (lambda: cross_entropy([1.0, 2.0], 2), ValueError, "out of range"),
        (lambda: cross_entropy([1.0, 2.0], -1), ValueError, "out of range"),
        (lambda: cross_entropy([1.0, 2.0], 1.0), TypeError, "int class index"),
        (lambda: cross_entropy([1.0, 2.0], True), TypeError, "int class index"),
        (lambda: cross_entropy([[1.0, 2.0]], [0, 1]), ValueError, "1 logit lists but 2"),
        (lambda: cross_entropy([[1.0, 2.0], [1.0]], [0, 0]), ValueError, r"logits\[1\]"),
        (lambda: cross_entropy([[1.0, 2.0]], 0), TypeError, "list of targets"),
        (lambda: cross_entropy([1.0, 2.0], [0, 1]), ValueError, "one int target"),
        (lambda: mse_loss([1.0, 2.0], [1.0]), ValueError, "2 elements but target has 1"),
        (lambda: mse_loss([[1.0]], [1.0]), ValueError, "same shape"),
        (lambda: mse_loss(1.0, [1.0]), ValueError, "same shape"),
        (lambda: mse_loss([], []), ValueError, "empty"),
        (lambda: mse_loss(["a"], [1.0]), TypeError, "str"),
        (lambda: mse_loss([1.0], [None]), TypeError, "NoneType"),
        (lambda: binary_cross_entropy([1.5], [1.0]), ValueError, r"input must be in \[0, 1\]"),
        (lambda: binary_cross_entropy([0.5], [2.0]), ValueError, r"target must be in \[0, 1\]"),
        (lambda: binary_cross_entropy([0.5], [Value(1.0)]), TypeError, "not a Value"),
        (lambda: binary_cross_entropy([0.5, 0.5], [1.0]), ValueError, "2 elements"),
        (lambda: binary_cross_entropy_with_logits([0.5], ["1"]), TypeError, "str"),
        (lambda: hinge_loss([1.0], [0]), ValueError, "-1 or 1"),
        (lambda: hinge_loss([1.0, 2.0], [1]), ValueError, "2 elements"),
        (lambda: hinge_loss([object()], [1]), TypeError, "object"),
        (lambda: one_hot(3, 3), ValueError, "out of range"),
        (lambda: one_hot(0, 0), ValueError, "positive int"),
    ],
)
def test_bad_input_raises_clear_errors(
    call: Callable[..., Any], exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        call()


def test_one_hot() -> None:
    assert one_hot(2, 4) == [0.0, 0.0, 1.0, 0.0]
    assert F.one_hot(torch.tensor(2), 4).tolist() == [0, 0, 1, 0]
