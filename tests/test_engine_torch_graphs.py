"""The engine against live PyTorch float64 on random expression graphs.

One hypothesis-drawn :class:`Program` (leaves, instructions over a growing pool of nodes,
output nodes) is built twice, op by op, from the same Python expressions: once with
``autograd.Value`` leaves and once with float64 torch leaves. Every node's value and
gradient, and every leaf's gradient, must then agree (nan and inf in the same places).

When a property fails, the assertion message prints the program as Python lines that run
unchanged on either side (with ``LEAF = Value`` or ``LEAF = tleaf``): a ready repro.

Also here: second derivatives, deep chains, and relu exactly at its kink. Fused dense
layers (``autograd.dense``) are checked against torch in ``test_engine_torch_dense.py``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch
from helpers import (
    close,
    fmt,
    mismatch,
    same_sign_bit,
    tgrads,
    tleaf,
    wild_floats,
    within_spread,
)
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value

INF = math.inf
NAN = math.nan

UNARY = ("neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu")
SMOOTH_UNARY = ("neg", "exp", "log", "sqrt", "tanh", "sigmoid")
BINARY = ("add", "sub", "mul", "div", "pow")  # Value op Value
CONST = ("add", "sub", "mul", "div", "pow", "rpow")  # Value op number (either side)

_BIN_FN: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
}
_BIN_TEXT = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def _unary_fn(op: str) -> Callable[[Any], Any]:
    if op == "neg":
        return operator.neg
    if op == "abs":
        return abs
    return operator.methodcaller(op)


def _unary_text(op: str) -> str:
    if op == "neg":
        return "-{0}"
    if op == "abs":
        return "abs({0})"
    return "{0}." + op + "()"


# ----------------------------------------------------------------------------- programs


@dataclass
class Instr:
    """One instruction: ``kind`` "u" (unary), "b" (node op node) or "c" (node op number)."""

    kind: str
    op: str
    i: int
    j: int = 0
    c: float = 0.0
    left: bool = False  # for kind "c": the number is the left operand


@dataclass
class Program:
    """Leaves, instructions over the pool of nodes, and extra nodes summed into the output."""

    leaves: list[float]
    instrs: list[Instr]
    outs: list[int] = field(default_factory=list)


SAFE_POW_EXPONENTS = (0.0, 1.0, 2.0, 3.0, 4.0, 0.5, -0.5, -1.0, -2.0, -3.0, 1.5, 2.5, -1.5)
SAFE_POW_EXPONENTS += (1 / 3, 0.25)


def safe_floats() -> st.SearchStrategy[float]:
    """Leaf values for the safe family: zeros, negatives, small and large finite numbers."""
    return st.one_of(
        st.sampled_from((0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 3.0)),
        st.floats(-10.0, 10.0),
        st.floats(-1e4, 1e4),
    )


def safe_consts() -> st.SearchStrategy[float]:
    """Numbers for ``node op number`` in the safe family."""
    return st.one_of(st.sampled_from((0.0, -0.0, 1.0, -1.0, 2.0, 0.5)), st.floats(-100.0, 100.0))


@st.composite
def programs(
    draw: st.DrawFn,
    leaf: st.SearchStrategy[float],
    const: st.SearchStrategy[float],
    pow_const: st.SearchStrategy[float],
    rpow_base: st.SearchStrategy[float],
    unary: Sequence[str] = UNARY,
    max_leaves: int = 4,
    max_instrs: int = 12,
) -> Program:
    """A random expression graph with shared sub-expressions (operands from the whole pool)."""
    n_leaves = draw(st.integers(1, max_leaves))
    leaves = [draw(leaf) for _ in range(n_leaves)]
    instrs = []
    n_instrs = draw(st.integers(1, max_instrs))
    for k in range(n_instrs):
        pool = n_leaves + k
        kind = draw(st.sampled_from("ubc"))
        i = draw(st.integers(0, pool - 1))
        if kind == "u":
            instrs.append(Instr("u", draw(st.sampled_from(unary)), i))
        elif kind == "b":
            j = draw(st.integers(0, pool - 1))
            instrs.append(Instr("b", draw(st.sampled_from(BINARY)), i, j))
        else:
            op = draw(st.sampled_from(CONST))
            if op == "pow":
                instrs.append(Instr("c", "pow", i, c=draw(pow_const)))
            elif op == "rpow":
                instrs.append(Instr("c", "pow", i, c=draw(rpow_base), left=True))
            else:
                instrs.append(Instr("c", op, i, c=draw(const), left=draw(st.booleans())))
    pool = n_leaves + n_instrs
    outs = draw(st.lists(st.integers(0, pool - 1), max_size=3))
    return Program(leaves, instrs, outs)


def safe_programs(unary: Sequence[str] = UNARY) -> st.SearchStrategy[Program]:
    """Programs for the safe family (the builder still guards domains, see :class:`Builder`)."""
    return programs(
        safe_floats(),
        safe_consts(),
        st.sampled_from(SAFE_POW_EXPONENTS),
        st.one_of(st.sampled_from((1.0, 2.0, 0.5, 10.0, math.e)), st.floats(0.05, 20.0)),
        unary=unary,
    )


def wild_programs() -> st.SearchStrategy[Program]:
    """Programs over the full float64 domain: inf, nan, zeros, negative bases."""
    pow_const = st.one_of(st.sampled_from(SAFE_POW_EXPONENTS), wild_floats())
    return programs(wild_floats(), wild_floats(), pow_const, wild_floats())


# ------------------------------------------------------------------------------ builder

REPLICAS = 2  # noisy torch replicas, built only to judge a mismatch (see within_spread)
NOISE = 4 * 2.0**-52
OUTPUT_BACKWARD = ("exp", "sqrt", "tanh", "sigmoid")  # backward formulas that read the output


class _NoisyOutput(torch.autograd.Function):
    """``op(x) * (1 + d)`` whose backward, like torch's, reads that (noisy) output.

    Noise added after an op does not reach its own backward formula, yet a rounding of
    the output there is what makes ``1 - y * y`` (tanh) or ``(1 - y) * y`` (sigmoid)
    ill-conditioned near saturation. Double backward works through the saved output.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, op: str, d: float) -> torch.Tensor:
        y = getattr(torch, op)(x) * (1.0 + d)
        ctx.op = op
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[Any, None, None]:
        (y,) = ctx.saved_tensors
        if ctx.op == "exp":
            return g * y, None, None
        if ctx.op == "sqrt":
            return g / (2 * y), None, None
        if ctx.op == "tanh":
            return g * (1 - y * y), None, None
        return g * (1 - y) * y, None, None


class Pair:
    """The same node in the engine and in torch."""

    __slots__ = ("e", "name", "t")

    def __init__(self, e: Value, t: torch.Tensor, name: str) -> None:
        self.e = e
        self.t = t
        self.name = name

    @property
    def tv(self) -> float:
        """The torch value as a float (drives the safe family's guards)."""
        return float(self.t.detach())


class Builder:
    """Builds a :class:`Program` in the engine and in torch side by side.

    In safe mode each operand goes through a guard that keeps the operation away from
    overflow, poles and kinks (``log(u)`` with ``u`` near or below 0 becomes
    ``log(u * u + 0.5)``, say). Guards are decided from the torch value but are ordinary
    operations applied to both graphs, which stay identical. Every node's recipe is kept,
    so that :meth:`replicas` can rebuild the torch graph with noise when a result differs.
    """

    MAG = 1e4  # safe family: results bigger than this are scaled back to +-10

    def __init__(self, safe: bool) -> None:
        self.safe = safe
        self.nodes: list[Pair] = []
        self.leaves: list[Pair] = []
        self.lines: list[str] = []
        self.recipes: list[tuple[Callable[..., Any], tuple[Any, ...], str] | float] = []

    # -- recording ------------------------------------------------------------------

    def leaf(self, x: float) -> Pair:
        """A new leaf in both graphs."""
        name = f"x{len(self.leaves)}"
        p = Pair(Value(x), tleaf(x), name)
        self.lines.append(f"{name} = LEAF({fmt(x)})")
        self.leaves.append(p)
        self.nodes.append(p)
        self.recipes.append(x)
        return p

    def apply(self, fn: Callable[..., Any], text: str, *args: Pair | float, op: str = "") -> Pair:
        """``fn`` on both graphs' operands; ``text`` formats the operation for the repro."""
        e = fn(*[a.e if isinstance(a, Pair) else a for a in args])
        assert isinstance(e, Value), f"{text} did not return a Value: {e!r}"
        t = fn(*[a.t if isinstance(a, Pair) else a for a in args])
        n = len(self.nodes)
        p = Pair(e, t, f"n{n}")
        self.lines.append(f"{p.name} = " + text.format(*[_show(a) for a in args]))
        self.nodes.append(p)
        index = {id(q): k for k, q in enumerate(self.nodes)}
        operands = tuple(index[id(a)] if isinstance(a, Pair) else a for a in args)
        self.recipes.append((fn, operands, op))
        return p

    def replicas(self) -> list[list[torch.Tensor]]:
        """The torch graph rebuilt ``REPLICAS`` times, each result times ``1 +- NOISE``."""
        out = []
        for k in range(REPLICAS):
            nodes: list[torch.Tensor] = []
            for n, recipe in enumerate(self.recipes):
                if isinstance(recipe, float):
                    nodes.append(tleaf(recipe))
                    continue
                fn, args, op = recipe
                xs = [nodes[a] if isinstance(a, int) else a for a in args]
                d = NOISE if (n * 7 + k * 3) % 5 > 1 else -NOISE
                if op in OUTPUT_BACKWARD:
                    nodes.append(_NoisyOutput.apply(xs[0], op, d))
                else:
                    nodes.append(fn(*xs) * (1.0 + d))
            out.append(nodes)
        return out

    def script(self) -> str:
        """The graph as Python lines (LEAF = Value or tleaf)."""
        return "\n".join(self.lines)

    # -- guards (safe family only) --------------------------------------------------------

    def positive(self, p: Pair, low: float = 0.05) -> Pair:
        """``p`` if its value is >= ``low``, else ``p * p + 0.5``."""
        if not self.safe or p.tv >= low:
            return p
        sq = self.apply(operator.mul, "{0} * {1}", p, p)
        return self.apply(operator.add, "{0} + {1}", sq, 0.5)

    def nonzero(self, p: Pair, low: float = 0.05) -> Pair:
        """``p`` if ``|p| >= low``, else ``p * p + 0.5``."""
        if not self.safe or abs(p.tv) >= low:
            return p
        return self.positive(p, low=INF)

    def bounded(self, p: Pair, bound: float) -> Pair:
        """``p`` if ``|p| <= bound``, else ``p`` times a constant bringing it to ``+-bound``."""
        if not self.safe or abs(p.tv) <= bound:
            return p
        return self.apply(operator.mul, "{0} * {1}", p, bound / abs(p.tv))

    def off_kink(self, p: Pair) -> Pair:
        """``p`` unless it is within 1e-9 of 0 (abs and relu kink), else ``p + 0.5``."""
        if not self.safe or abs(p.tv) >= 1e-9:
            return p
        return self.apply(operator.add, "{0} + {1}", p, 0.5)

    def tame(self, p: Pair) -> Pair:
        """Scale a result bigger than :attr:`MAG` back to +-10 (safe family only)."""
        if not self.safe or abs(p.tv) <= self.MAG:
            return p
        return self.apply(operator.mul, "{0} * {1}", p, 10.0 / abs(p.tv))

    # -- instructions -----------------------------------------------------------------------

    def unary(self, op: str, a: Pair) -> Pair:
        """A unary op, guarded in safe mode."""
        if op in ("log", "sqrt"):
            a = self.positive(a)
        elif op == "exp":
            a = self.bounded(a, 12.0)
        elif op in ("abs", "relu"):
            a = self.off_kink(a)
        return self.apply(_unary_fn(op), _unary_text(op), a, op=op)

    def binary(self, op: str, a: Pair, b: Pair) -> Pair:
        """``a op b`` for two nodes, guarded in safe mode."""
        if op == "div":
            b = self.nonzero(b)
        elif op == "pow" and self.safe:
            a = self.positive(a)
            # keep |b * log(a)| <= 12 so that a ** b stays below ~1.6e5
            b = self.bounded(b, 12.0 / max(abs(math.log(a.tv)), 1e-3))
        return self.apply(_BIN_FN[op], "{0} " + _BIN_TEXT[op] + " {1}", a, b)

    def const(self, op: str, a: Pair, c: float, left: bool) -> Pair:
        """``a op c`` or ``c op a`` for a node ``a`` and a number ``c``, guarded in safe mode."""
        text = "{0} " + _BIN_TEXT[op] + " {1}"
        fn = _BIN_FN[op]
        if op == "pow" and left:  # c ** a, with c > 0 in the safe family
            if self.safe:
                a = self.bounded(a, 12.0 / max(abs(math.log(c)), 1e-3))
            return self.apply(fn, text, c, a)
        if op == "pow":  # a ** c
            if self.safe and c != 0.0:
                if c != int(c):
                    a = self.positive(a)
                elif c < 0.0:
                    a = self.nonzero(a)
                a = self.bounded(a, math.exp(10.0 / abs(c)))
            return self.apply(fn, text, a, c)
        if op == "div" and left:
            return self.apply(fn, text, c, self.nonzero(a))
        if op == "div" and self.safe and abs(c) < 0.05:
            c = math.copysign(0.5, c)
        return self.apply(fn, text, c, a) if left else self.apply(fn, text, a, c)

    def run(self, prog: Program) -> Pair:
        """Build ``prog``; return the output node (the last node plus ``prog.outs``)."""
        pool: list[Pair] = [self.leaf(x) for x in prog.leaves]
        for ins in prog.instrs:
            a = pool[ins.i]
            if ins.kind == "u":
                p = self.unary(ins.op, a)
            elif ins.kind == "b":
                p = self.binary(ins.op, a, pool[ins.j])
            else:
                p = self.const(ins.op, a, ins.c, ins.left)
            pool.append(self.tame(p))
        out = pool[-1]
        for k in prog.outs:
            out = self.apply(operator.add, "{0} + {1}", out, pool[k])
        if out.e.is_leaf:  # the output must be an operation's result
            out = self.apply(operator.mul, "{0} * {1}", out, 1.0)
        return out


def _show(a: Pair | float) -> str:
    return a.name if isinstance(a, Pair) else f"({fmt(a)})"


# ---------------------------------------------------------------------------- checking


def _floats(ts: Sequence[torch.Tensor]) -> list[float]:
    return [float(t.detach()) for t in ts]


Row = tuple[str, float, float, int]  # what, engine, torch, index into the replicas' results


def _judge(rows: list[Row], replica_results: Callable[[], list[list[float]]]) -> list[str]:
    """Rows not ``close`` to torch and not ``within_spread`` of the noisy replicas."""
    bad = [row for row in rows if not close(row[1], row[2])]
    if not bad:
        return []
    reps = replica_results()
    problems = []
    for what, e, t, k in bad:
        rk = [r[k] for r in reps]
        if not within_spread(e, t, rk):
            noisy = ", ".join(fmt(r) for r in rk)
            problems.append(f"{what}: engine {fmt(e)}, torch {fmt(t)} (noisy torch: {noisy})")
    return problems


def check_graph(b: Builder, out: Pair) -> None:
    """Every node's value, every node's ``.grad`` after backward and every leaf's ``grad()``.

    Each must be ``close`` to torch (1e-12), or no further from torch than torch is from
    itself under a few ulps of noise (``within_spread``); nan and inf where torch has them.
    """
    assert out is b.nodes[-1]
    n = len(b.nodes)
    adj_t = _floats(tgrads(out.t, [p.t for p in b.nodes]))
    index = {id(p): k for k, p in enumerate(b.nodes)}
    rows: list[Row] = [(f"value of {p.name}", p.e.data, p.tv, k) for k, p in enumerate(b.nodes)]
    leaf_e = autograd.grad(out.e, [p.e for p in b.leaves])
    for p, g in zip(b.leaves, leaf_e):
        k = index[id(p)]
        rows.append((f"grad() of {p.name}", g.data, adj_t[k], n + k))
    out.e.backward()
    for k, p in enumerate(b.nodes):
        rows.append((f".grad of {p.name}", p.e.grad, adj_t[k], n + k))

    def replica_results() -> list[list[float]]:
        return [_floats(r) + _floats(tgrads(r[-1], r)) for r in b.replicas()]

    problems = _judge(rows, replica_results)
    assert not problems, "\n".join(["engine and torch disagree on", b.script(), "", *problems])


# ------------------------------------------------------------------------------ properties


@given(safe_programs())
def test_safe_graphs_match_torch(prog: Program) -> None:
    b = Builder(safe=True)
    out = b.run(prog)
    check_graph(b, out)


@given(wild_programs())
def test_wild_graphs_match_torch(prog: Program) -> None:
    b = Builder(safe=False)
    out = b.run(prog)
    check_graph(b, out)


def _second(out: torch.Tensor, leaves: Sequence[torch.Tensor], i: int) -> list[float]:
    """d(out)/d(leaves[i]), then d/d(leaf) of that for every leaf, in torch."""
    (g,) = tgrads(out, [leaves[i]], create_graph=True)
    return [float(g.detach()), *_floats(tgrads(g, leaves))]


@given(safe_programs(unary=SMOOTH_UNARY), st.data())
def test_second_derivatives_match_torch(prog: Program, data: st.DataObject) -> None:
    b = Builder(safe=True)
    out = b.run(prog)
    i = data.draw(st.integers(0, len(b.leaves) - 1), label="differentiate twice wrt leaf")
    x = b.leaves[i]
    (g_e,) = autograd.grad(out.e, [x.e], create_graph=True)
    h_e = autograd.grad(g_e, [p.e for p in b.leaves])
    leaf_idx = [k for k, p in enumerate(b.nodes) if p.e.is_leaf]
    torch_side = _second(out.t, [p.t for p in b.leaves], i)
    rows: list[Row] = [(f"d(out)/d{x.name}", g_e.data, torch_side[0], 0)]
    for j, (p, h) in enumerate(zip(b.leaves, h_e)):
        rows.append((f"d2(out)/d{x.name}d{p.name}", h.data, torch_side[1 + j], 1 + j))

    def replica_results() -> list[list[float]]:
        return [_second(r[-1], [r[k] for k in leaf_idx], i) for r in b.replicas()]

    problems = _judge(rows, replica_results)
    assert not problems, "\n".join([b.script(), "", *problems])


CHAIN_CONST = ("add", "sub", "mul", "div", "pow", "rpow")


@st.composite
def chains(draw: st.DrawFn) -> Program:
    """A chain of 50-300 unary or node-op-number instructions, each on the previous node.

    Drawn as 3 bytes per instruction (fast to generate, shrinks towards simple ops).
    """
    x = draw(safe_floats())
    raw = draw(st.binary(min_size=3 * 50, max_size=3 * 300))
    instrs = []
    for k in range(len(raw) // 3):
        op_byte, hi, lo = raw[3 * k : 3 * k + 3]
        u = (hi * 256 + lo) / 65535.0  # in [0, 1]
        if op_byte % 2 == 0:
            instrs.append(Instr("u", UNARY[(op_byte // 2) % len(UNARY)], k))
            continue
        op = CHAIN_CONST[(op_byte // 2) % len(CHAIN_CONST)]
        left = op_byte >= 128
        if op == "pow":
            c = SAFE_POW_EXPONENTS[hi % len(SAFE_POW_EXPONENTS)]
            instrs.append(Instr("c", "pow", k, c=c))
        elif op == "rpow":
            instrs.append(Instr("c", "pow", k, c=0.05 + 19.95 * u, left=True))
        else:
            instrs.append(Instr("c", op, k, c=20.0 * u - 10.0, left=left))
    return Program([x], instrs)


class ChainBuilder(Builder):
    """A builder whose every instruction reads the previous node (guards included)."""

    def run(self, prog: Program) -> Pair:
        """Build the chain; return its last node."""
        last = self.leaf(prog.leaves[0])
        for ins in prog.instrs:
            if ins.kind == "u":
                last = self.unary(ins.op, last)
            else:
                last = self.const(ins.op, last, ins.c, ins.left)
            last = self.tame(last)
        if last.e.is_leaf:
            last = self.apply(operator.mul, "{0} * {1}", last, 1.0)
        return last


@given(chains())
def test_deep_chains_match_torch(prog: Program) -> None:
    b = ChainBuilder(safe=True)
    out = b.run(prog)
    check_graph(b, out)


# --------------------------------------------------------------------- relu at its kink


def _both(fn: Callable[..., Any], *xs: float) -> tuple[Value, list[float], torch.Tensor, list]:
    ev = [Value(x) for x in xs]
    tv = [tleaf(x) for x in xs]
    eo = fn(*ev)
    to = fn(*tv)
    eo.backward()
    return eo, [v.grad for v in ev], to, [float(g) for g in tgrads(to, tv)]


RELU_KINKS = {
    "relu(0)": (lambda x: x.relu(), (0.0,)),
    "relu(-0.0)": (lambda x: x.relu(), (-0.0,)),
    "relu(a - a)": (lambda a: (a - a).relu() * 3.0 + a, (1.7,)),
    "relu(a * b - 6)": (lambda a, b: (a * b - 6.0).relu() + a * b, (3.0, 2.0)),
    "relu(a*b - c) * inf": (lambda a, b, c: (a * b - c).relu() * INF, (3.0, 2.0, 6.0)),
    "relu(a - a) / 0": (lambda a: (a - a).relu() / 0.0, (2.5,)),
}


@pytest.mark.parametrize("case", RELU_KINKS, ids=list(RELU_KINKS))
def test_relu_exactly_at_zero(case: str) -> None:
    fn, xs = RELU_KINKS[case]
    eo, ge, to, gt = _both(fn, *xs)
    tv = float(to.detach())
    assert close(eo.data, tv), mismatch("value", eo.data, tv)
    if tv == tv:  # a nan's sign bit means nothing
        assert same_sign_bit(eo.data, tv), mismatch("sign of the value", eo.data, tv)
    for i, (a, b) in enumerate(zip(ge, gt)):
        assert close(a, b), mismatch(f"grad of input {i}", a, b)
