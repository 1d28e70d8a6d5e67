"""Fused dense layers (``autograd.dense``) against live PyTorch float64.

Each :class:`DenseCase` (weights, inputs of several kinds, biases, relu or not, a head
mixing the outputs into one loss) is built once with ``autograd.dense`` and once with
torch's elementwise ops; outputs, leaf gradients (``backward()`` and ``grad()``) and the
gradients of non-leaf inputs must agree, nan and inf included. Hand-picked cases cover
dead neurons, pre-activations of exactly 0 and infinite inputs; hypothesis draws the rest.
Second derivatives through a fused layer are checked with ``create_graph=True``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from helpers import close, mismatch, tgrads, tleaf, wild_floats
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value

INF = math.inf
NAN = math.nan


# --------------------------------------------------------------------------------- dense


def _torch_neuron(row: Sequence[Any], xs: Sequence[Any], b: Any, relu: bool) -> Any:
    z = sum(w * x for w, x in zip(row, xs))
    if b is not None:
        z = z + b
    return z.relu() if relu else z


@dataclass
class DenseCase:
    """A layer: weights, input kinds and numbers, biases, relu; all as plain data."""

    weights: list[list[float]]
    inputs: list[tuple[str, float]]  # (kind, number): leaf, float, log, sqrt, mul
    biases: list[tuple[str, float]]  # (kind, number): value, float, none
    relu: bool
    head: list[float]  # the loss is sum(head[k] * out[k])


class DenseBuild:
    """The same dense layer built with ``autograd.dense`` and with torch ops."""

    def __init__(self, case: DenseCase) -> None:
        self.case = case
        self.leaves_e: list[Value] = []
        self.leaves_t: list[torch.Tensor] = []
        self.names: list[str] = []
        rows_e, rows_t = [], []
        for r, row in enumerate(case.weights):
            rows_e.append([self._leaf(w, f"w{r}{i}")[0] for i, w in enumerate(row)])
            rows_t.append(self.leaves_t[-len(row) :])
        self.xs_e: list[Any] = []
        self.xs_t: list[Any] = []
        for i, (kind, x) in enumerate(case.inputs):
            if kind == "float":
                self.xs_e.append(x)
                self.xs_t.append(x)
                continue
            ue, ut = self._leaf(x, f"u{i}")
            if kind == "leaf":
                xe, xt = ue, ut
            elif kind == "mul":
                xe, xt = ue * 3.0, ut * 3.0
            else:
                xe, xt = getattr(ue, kind)(), getattr(ut, kind)()
            self.xs_e.append(xe)
            self.xs_t.append(xt)
        bs_e: list[Any] = []
        bs_t: list[Any] = []
        for r, (kind, bv) in enumerate(case.biases):
            if kind == "value":
                be, bt = self._leaf(bv, f"b{r}")
            elif kind == "float":
                be, bt = bv, bv
            else:
                be, bt = None, None
            bs_e.append(be)
            bs_t.append(bt)
        self.outs_e = autograd.dense(rows_e, bs_e, self.xs_e, relu=case.relu)
        self.outs_t = [
            _torch_neuron(row, self.xs_t, bt, case.relu) for row, bt in zip(rows_t, bs_t)
        ]
        self.loss_e = sum((h * o for h, o in zip(case.head, self.outs_e)), Value(0.0) * 1.0)
        self.loss_t = sum(h * o for h, o in zip(case.head, self.outs_t))

    def _leaf(self, x: float, name: str) -> tuple[Value, torch.Tensor]:
        e, t = Value(x, label=name), tleaf(x)
        self.leaves_e.append(e)
        self.leaves_t.append(t)
        self.names.append(name)
        return e, t

    def describe(self) -> str:
        """The case, for assertion messages."""
        return repr(self.case)


def check_dense(case: DenseCase) -> None:
    """Outputs, leaf gradients (backward and grad()) and input-node gradients vs torch."""
    d = DenseBuild(case)
    problems = []
    xd = [float(x.detach()) if isinstance(x, torch.Tensor) else x for x in d.xs_t]
    for k, (oe, ot) in enumerate(zip(d.outs_e, d.outs_t)):
        # the sum may cancel: an ulp of log(u) or sqrt(u) (torch rounds them its own
        # way) counts at the scale of the largest term, not of the result
        terms = [w * x for w, x in zip(case.weights[k], xd)] + [case.biases[k][1]]
        scale = max((abs(t) for t in terms if t - t == 0.0), default=1.0)
        tv = float(ot.detach())
        if not close(oe.data, tv, scale=scale):
            problems.append(mismatch(f"output {k}", oe.data, tv))
    inner = [(i, xe, xt) for i, (xe, xt) in enumerate(zip(d.xs_e, d.xs_t)) if type(xe) is Value]
    tg = tgrads(d.loss_t, d.leaves_t + [xt for _, _, xt in inner], retain_graph=True)
    tg = [float(g) for g in tg]
    ge = [g.data for g in autograd.grad(d.loss_e, d.leaves_e)]
    d.loss_e.backward()
    for name, leaf, a, b in zip(d.names, d.leaves_e, ge, tg):
        if not close(a, b):
            problems.append(mismatch(f"grad() of {name}", a, b))
        if not close(leaf.grad, b):
            problems.append(mismatch(f".grad of {name}", leaf.grad, b))
    for (i, xe, _), b in zip(inner, tg[len(d.leaves_e) :]):
        if not close(xe.grad, b):
            problems.append(mismatch(f".grad of input node {i}", xe.grad, b))
    assert not problems, "\n".join([d.describe(), *problems])


def _case(
    weights: list[list[float]],
    inputs: list[tuple[str, float]],
    biases: list[tuple[str, float]],
    relu: bool,
    head: list[float] | None = None,
) -> DenseCase:
    return DenseCase(weights, inputs, biases, relu, head or [1.0] * len(weights))


DENSE_CASES = {
    "linear, all Values": _case(
        [[0.5, -1.5, 2.0], [1.0, 0.25, -3.0]],
        [("leaf", 1.0), ("leaf", -2.0), ("leaf", 0.75)],
        [("value", 0.1), ("value", -0.2)],
        relu=False,
        head=[1.5, -2.0],
    ),
    "relu, float inputs, mixed biases": _case(
        [[0.5, -1.5], [1.0, 0.25], [-1.0, -1.0]],
        [("float", 1.0), ("leaf", -2.0)],
        [("float", 0.5), ("none", 0.0), ("value", 0.3)],
        relu=True,
    ),
    "dead neuron (all grads 0)": _case(
        [[1.0, 2.0]], [("leaf", -1.0), ("leaf", -3.0)], [("value", 0.5)], relu=True
    ),
    "pre-activation exactly 0": _case(
        [[1.0, -1.0]], [("leaf", 2.0), ("leaf", 2.0)], [("value", 0.0)], relu=True
    ),
    "pre-activation exactly 0, no bias": _case(
        [[1.0, -1.0]], [("mul", 2.0), ("leaf", 6.0)], [("none", 0.0)], relu=True
    ),
    "dead neuron fed log(0) = -inf": _case(
        [[1.0, 2.0]], [("log", 0.0), ("leaf", 1.0)], [("value", 0.5)], relu=True
    ),
    "dead neuron fed sqrt(0) (infinite local grad upstream)": _case(
        [[1.0, -2.0]], [("sqrt", 0.0), ("leaf", 1.0)], [("value", 0.5)], relu=True
    ),
    "dead neuron fed log(u) and sqrt(u), float bias": _case(
        [[3.0, -2.0, 1.0]],
        [("sqrt", 0.0), ("log", 1.0), ("mul", -1.0)],
        [("float", -1.0)],
        relu=True,
    ),
    "live neuron fed log(0)": _case(
        [[-1.0, 2.0]], [("log", 0.0), ("leaf", 1.0)], [("value", 0.5)], relu=True
    ),
    "linear fed log(0)": _case(
        [[1.0, 2.0]], [("log", 0.0), ("leaf", 1.0)], [("value", 0.5)], relu=False
    ),
    "zero weight times inf input": _case(
        [[0.0, 2.0]], [("log", 0.0), ("leaf", 1.0)], [("value", 0.5)], relu=True
    ),
    "nan input": _case([[1.0, 2.0]], [("leaf", NAN), ("leaf", 1.0)], [("value", 0.5)], True),
    "infinite head into a dead neuron": _case(
        [[1.0, 2.0], [1.0, 1.0]],
        [("leaf", -1.0), ("sqrt", 0.0)],
        [("value", 0.0), ("none", 0.0)],
        relu=True,
        head=[INF, 1.0],
    ),
}


@pytest.mark.parametrize("name", DENSE_CASES, ids=list(DENSE_CASES))
def test_dense_matches_torch(name: str) -> None:
    check_dense(DENSE_CASES[name])


@st.composite
def dense_cases(draw: st.DrawFn, numbers: st.SearchStrategy[float]) -> DenseCase:
    """A random layer: 1-4 inputs of every kind, 1-4 neurons, any bias kind, relu or not."""
    n_in = draw(st.integers(1, 4))
    n_out = draw(st.integers(1, 4))
    weights = [[draw(numbers) for _ in range(n_in)] for _ in range(n_out)]
    kinds = st.sampled_from(("leaf", "float", "log", "sqrt", "mul"))
    inputs = [(draw(kinds), draw(numbers)) for _ in range(n_in)]
    bkinds = st.sampled_from(("value", "float", "none"))
    biases = [(draw(bkinds), draw(numbers)) for _ in range(n_out)]
    head = [draw(numbers) for _ in range(n_out)]
    return DenseCase(weights, inputs, biases, draw(st.booleans()), head)


_dense_numbers = st.one_of(st.sampled_from((0.0, -0.0, 1.0, -1.0, 2.0, 0.5)), st.floats(-5, 5))


@given(dense_cases(_dense_numbers))
def test_dense_random_layers_match_torch(case: DenseCase) -> None:
    check_dense(case)


@given(dense_cases(wild_floats()))
def test_dense_random_layers_wild_match_torch(case: DenseCase) -> None:
    check_dense(case)


def test_dense_create_graph_matches_torch() -> None:
    xs = [0.5, -1.25, 2.0]
    wsr = [[0.3, -0.7, 1.1], [-0.2, 0.4, 0.9]]
    bsr = [0.05, -0.4]
    for relu in (False, True):
        xe = [Value(x) for x in xs]
        we = [[Value(w) for w in row] for row in wsr]
        be = [Value(b) for b in bsr]
        xt = [tleaf(x) for x in xs]
        wt = [[tleaf(w) for w in row] for row in wsr]
        bt = [tleaf(b) for b in bsr]
        # a smooth head so second derivatives are not all zero
        he = [(x * x).tanh() for x in xe]
        ht = [(x * x).tanh() for x in xt]
        oe = autograd.dense(we, be, he, relu=relu)
        ot = [_torch_neuron(r, ht, b, relu) for r, b in zip(wt, bt)]
        le = sum((o * o for o in oe), Value(0.0) * 1.0)
        lt = sum(o * o for o in ot)
        leaves_e = [*xe, *[w for r in we for w in r], *be]
        leaves_t = [*xt, *[w for r in wt for w in r], *bt]
        g1e = autograd.grad(le, leaves_e, create_graph=True)
        g1t = tgrads(lt, leaves_t, create_graph=True)
        for a, b in zip(g1e, g1t):
            what = f"first derivative (relu={relu})"
            assert close(a.data, float(b.detach())), mismatch(what, a.data, b.detach())
        # second derivatives: d/d(leaf) of sum(g1 * weights_k) for a fixed mix
        mix = [0.5 + 0.25 * k for k in range(len(leaves_e))]
        se = sum((m * g for m, g in zip(mix, g1e)), Value(0.0) * 1.0)
        s_t = sum(m * g for m, g in zip(mix, g1t))
        g2e = [g.data for g in autograd.grad(se, leaves_e)]
        g2t = [float(g) for g in tgrads(s_t, leaves_t)]
        for k, (a, b) in enumerate(zip(g2e, g2t)):
            assert close(a, b), mismatch(f"second derivative #{k} (relu={relu})", a, b)
