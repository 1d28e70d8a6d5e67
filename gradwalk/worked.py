"""Worked examples 1-3 (``docs/lessons.md``) computed with the engine, beside the lesson.

The networks and numbers come from :mod:`gradwalk.lessons`; this module builds
each network with :class:`autograd.Value`, runs backward, and pairs every
number the engine computes with the lesson's (a :class:`Check`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autograd import Value
from autograd.nn import softmax

from .lessons import LESSON1, LESSON2, LESSON3

__all__ = ["Check", "WorkedExample", "print_examples", "worked_examples"]


def marks() -> tuple[str, str]:
    """The check mark and the mismatch marker, in ASCII if stdout cannot encode them."""
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✓✗".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "ok", "MISMATCH"
    return "✓", "✗ MISMATCH"


def _fmt_number(x: float, decimals: int | None = None) -> str:
    """``x`` to ``decimals`` places, or exactly (shortest repr; whole numbers without '.0')."""
    x = x + 0.0  # -0.0 -> 0.0
    if decimals is not None:
        return f"{x:.{decimals}f}"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _within(got: float, want: float, decimals: int | None) -> bool:
    if decimals is None:
        return math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)
    return abs(got - want) <= 0.5 * 10.0**-decimals * (1 + 1e-9)


@dataclass
class Check:
    """One number the engine computed, beside the value(s) the lesson gives for it.

    ``lesson`` is the number as the lesson prints it, to ``decimals`` places
    (``None``: printed exactly, as for whole numbers): the engine's value must
    round to it. ``exact``, when the lesson also gives the exact float64
    value, must agree to 1e-12 (relative and absolute).
    """

    name: str
    got: float
    lesson: float | None = None
    decimals: int | None = None
    exact: float | None = None
    #: A heading printed before this row (a new part of the example).
    section: str = ""

    @property
    def ok(self) -> bool:
        """True if the engine's value matches every value the lesson gives."""
        if self.lesson is not None and not _within(self.got, self.lesson, self.decimals):
            return False
        return self.exact is None or _within(self.got, self.exact, None)

    def line(self) -> str:
        """The row: name, engine value, lesson value, exact value, and a mark."""
        ok_mark, bad_mark = marks()
        lesson = "" if self.lesson is None else _fmt_number(self.lesson, self.decimals)
        exact = "" if self.exact is None else _fmt_number(self.exact)
        got = _fmt_number(self.got)
        mark = ok_mark if self.ok else bad_mark
        return f"  {self.name:<18} {got:<23} {lesson:<8} {exact:<23} {mark}"


_HEADER = f"  {'':<18} {'engine':<23} {'lesson':<8} {'exact (float64)':<23}"


def _rows(
    names: Sequence[str],
    got: Sequence[float],
    lesson: Sequence[float] | None = None,
    decimals: int | None = None,
    exact: Sequence[float] | None = None,
    section: str = "",
) -> list[Check]:
    """One :class:`Check` per element; ``section`` heads the first."""
    return [
        Check(
            name,
            g,
            None if lesson is None else lesson[i],
            decimals,
            None if exact is None else exact[i],
            section if i == 0 else "",
        )
        for i, (name, g) in enumerate(zip(names, got, strict=True))
    ]


def _matrix_names(fmt: str) -> list[str]:
    """``fmt`` filled with 1-based (row, column) of a 2x2 matrix, row by row."""
    return [fmt.format(i, j) for i in (1, 2) for j in (1, 2)]


@dataclass
class WorkedExample:
    """One worked example of ``docs/lessons.md``: its checks and the graph to draw."""

    number: int
    title: str
    checks: list[Check]
    #: The Value whose graph is drawn (backward has run on it).
    root: Value
    #: What ``root`` is, for the caption.
    root_name: str
    #: The weights and biases (drawn as parameters; other leaves are inputs).
    params: list[Value]

    @property
    def ok(self) -> bool:
        """True if every check matches."""
        return all(c.ok for c in self.checks)


def _example1() -> WorkedExample:
    """§1: a three-neuron ReLU network, one gradient step by hand."""
    L = LESSON1
    x1, x2 = Value(L.inputs[0], label="x1"), Value(L.inputs[1], label="x2")
    w = {n: Value(v, label=n) for n, v in L.weight.items()}
    z, a = [], []
    for i in (1, 2, 3):
        zi = w[f"w{i}1"] * x1 + w[f"w{i}2"] * x2
        zi.label = f"z{i}"
        ai = zi.relu()
        ai.label = f"a{i}"
        z.append(zi)
        a.append(ai)
    y = (w["w1"] * a[0] + w["w2"] * a[1] + w["w3"] * a[2]).relu()
    y.label = "y"
    loss = (y - L.target) ** 2
    loss.label = "loss"
    loss.backward()
    w11 = w["w11"]
    checks = [
        *_rows(["z1", "z2", "z3"], [v.data for v in z], L.z, section="forward"),
        *_rows(["a1", "a2", "a3"], [v.data for v in a], L.a),
        Check("y", y.data, L.y),
        Check("loss", loss.data, L.loss),
        Check("dloss/dw11", w11.grad, L.dloss_dw11, section="backward"),
        Check(
            f"w11 - {L.lr}*grad",
            w11.data - L.lr * w11.grad,
            L.w11_after,
            L.w11_after_decimals,
        ),
        *_rows(
            ["dloss/dw31", "dloss/dw32"],
            [w["w31"].grad, w["w32"].grad],
            L.dloss_dw3x,
            section="neuron 3 sits at relu's kink (z3 = 0): its gradients are 0",
        ),
    ]
    return WorkedExample(1, L.title, checks, loss, "loss", list(w.values()))


def _sigmoid_layer(
    k: int, W: Sequence[Sequence[float]], b: Sequence[float], inp: list[Value], out: str
) -> tuple[list[Value], list[Value], list[Value]]:
    """Layer ``k`` of §2: its weights (row by row), biases and labelled outputs."""
    Wv = [
        [Value(v, label=f"W{k}[{i + 1},{j + 1}]") for j, v in enumerate(r)] for i, r in enumerate(W)
    ]
    bv = [Value(v, label=f"b{k}[{i + 1}]") for i, v in enumerate(b)]
    outs = []
    for i, (row, bi) in enumerate(zip(Wv, bv)):
        o = (row[0] * inp[0] + row[1] * inp[1] + bi).sigmoid()
        o.label = f"{out}{i + 1}"
        outs.append(o)
    return [v for r in Wv for v in r], bv, outs


def _example2() -> WorkedExample:
    """§2: a 2-2-2 sigmoid network, one SGD step (the classic walk-through)."""
    L = LESSON2
    x = [Value(L.x[0], label="x1"), Value(L.x[1], label="x2")]
    W1, b1, h = _sigmoid_layer(1, L.W1, L.b1, x, "h")
    W2, b2, o = _sigmoid_layer(2, L.W2, L.b2, h, "o")
    loss = ((o[0] - L.t[0]) ** 2 + (o[1] - L.t[1]) ** 2) / 2
    loss.label = "loss"
    loss.backward()
    d = L.decimals

    def after(vs: list[Value]) -> list[float]:
        return [v.data - L.lr * v.grad for v in vs]

    checks = [
        *_rows(["h1", "h2"], [v.data for v in h], exact=L.h_exact, section="forward"),
        *_rows(["o1", "o2"], [v.data for v in o], L.o_given, d, L.o_exact),
        Check("loss", loss.data, L.loss_given, d, L.loss_exact),
        *_rows(
            _matrix_names("dloss/dW1[{},{}]"),
            [v.grad for v in W1],
            L.dW1_given,
            d,
            L.dW1_exact,
            section="backward",
        ),
        *_rows(
            _matrix_names("dloss/dW2[{},{}]"), [v.grad for v in W2], L.dW2_given, d, L.dW2_exact
        ),
        *_rows(["dloss/db1[1]", "dloss/db1[2]"], [v.grad for v in b1], exact=L.db1_exact),
        *_rows(["dloss/db2[1]", "dloss/db2[2]"], [v.grad for v in b2], exact=L.db2_exact),
        *_rows(
            _matrix_names("W1[{},{}]"),
            after(W1),
            L.W1_after,
            d,
            section=f"after one SGD step, learning rate {L.lr}",
        ),
        *_rows(["b1[1]", "b1[2]"], after(b1), L.b1_after, d),
        *_rows(_matrix_names("W2[{},{}]"), after(W2), L.W2_after, d),
        *_rows(["b2[1]", "b2[2]"], after(b2), L.b2_after, d),
    ]
    return WorkedExample(2, L.title, checks, loss, "loss", [*W1, *b1, *W2, *b2])


def deep_forward(
    inputs: Sequence[float],
) -> tuple[list[Value], list[Value], list[Value]]:
    """§3's network on ``inputs``: the first layer's pre-activations, every layer's outputs
    (a1[1], a1[2], a2[1], ...), and the parameters."""
    acts = [Value(v, label=f"x{i + 1}") for i, v in enumerate(inputs)]
    outs: list[Value] = []
    z1: list[Value] = []
    params: list[Value] = []
    for k, (W, b) in enumerate(LESSON3.layers, start=1):
        nxt = []
        for i, (row, bi) in enumerate(zip(W, b)):
            w = [Value(v, label=f"W{k}[{i + 1},{j + 1}]") for j, v in enumerate(row)]
            bias = Value(bi, label=f"b{k}[{i + 1}]")
            params += [*w, bias]
            z = w[0] * acts[0] + w[1] * acts[1] + bias
            z.label = f"z{k}[{i + 1}]"
            if k == 1:
                z1.append(z)
            a = z.sigmoid()
            a.label = f"a{k}[{i + 1}]"
            nxt.append(a)
        outs += nxt
        acts = nxt
    return z1, outs, params


def _example3() -> WorkedExample:
    """§3: a forward pass through a deep sigmoid network, then softmax."""
    L = LESSON3
    d = L.decimals
    names = [f"a{k}[{i}]" for k in (1, 2, 3) for i in (1, 2)]
    z1, outs, params = deep_forward(L.inputs)
    _, outs0, _ = deep_forward(L.inputs_zero)
    logits = [Value(v, label=f"z{i + 1}") for i, v in enumerate(L.logits)]
    probs = softmax(logits)
    root = outs[-2]
    root.backward()
    shown = ", ".join(f"{v:g}" for v in L.logits)
    checks = [
        *_rows(
            ["z1[1]", "z1[2]"],
            [v.data for v in z1],
            L.z1,
            section="input (1, -1), three sigmoid layers",
        ),
        *_rows(names, [v.data for v in outs], L.outputs_given, d, L.outputs_exact),
        *_rows(
            names,
            [v.data for v in outs0],
            L.outputs_zero_given,
            d,
            section="input (0, 0), the same network",
        ),
        *_rows(
            [f"e^{v:g}" for v in L.logits],
            [v.exp().data for v in logits],
            L.exp_given,
            d,
            section=f"softmax of z = ({shown})",
        ),
        *_rows(["y1", "y2", "y3"], [p.data for p in probs], L.softmax_given, d, L.softmax_exact),
        Check("y1 + y2 + y3", sum(p.data for p in probs), 1),
    ]
    return WorkedExample(
        3, L.title, checks, root, "a3[1], the first output for input (1, -1)", params
    )


def worked_examples() -> list[WorkedExample]:
    """Worked examples 1-3 of ``docs/lessons.md``, computed with the engine."""
    return [_example1(), _example2(), _example3()]


def print_examples(examples: Sequence[WorkedExample], out: Any = None) -> bool:
    """Print every number beside the lesson's; True if all of them match."""
    out = sys.stdout if out is None else out
    ok_mark, bad_mark = marks()
    total = sum(len(ex.checks) for ex in examples)
    bad = 0
    for ex in examples:
        print(f"Worked example {ex.number}: {ex.title}", file=out)
        print(_HEADER.rstrip(), file=out)
        for check in ex.checks:
            if check.section:
                print(f"  -- {check.section}", file=out)
            print(check.line(), file=out)
            bad += not check.ok
        print(file=out)
    if bad:
        print(f"{bad} of {total} numbers differ from the lesson {bad_mark}", file=out)
    else:
        print(
            f"All {total} numbers match the lesson {ok_mark} (lesson: to its printed "
            "decimals; exact: to 1e-12)",
            file=out,
        )
    return bad == 0
