"""Check a learner's hand-computed gradients of a graph, with hints for the usual slips."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from autograd import Value, grad, topological_order

from ._common import answer, fmt, html_block, tolerances

_MAX_PATH_NODES = 400  # beyond this, "stopped early" looks only at the next node up
_MAX_SUBSETS = 6  # uses of a node beyond which partial sums are not tried


@dataclass(frozen=True)
class AnswerCheck:
    """One answer: the name asked about, the learner's number, whether it is right, a hint."""

    name: str
    given: float
    expected: float
    right: bool
    hint: str = ""


@dataclass
class GradientReport:
    """The outcome of :func:`check_gradients`: truthy iff every answer is right.

    The text marks each answer; the right values are shown only with
    ``reveal=True`` (they are in ``checks`` either way).
    """

    root: str
    checks: list[AnswerCheck] = field(default_factory=list)
    reveal: bool = False

    def __bool__(self) -> bool:
        return bool(self.checks) and all(c.right for c in self.checks)

    def __getitem__(self, name: str) -> AnswerCheck:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(
            f"no answer for {name!r}; answered: {', '.join(c.name for c in self.checks)}"
        )

    def _verdict(self) -> str:
        n = sum(c.right for c in self.checks)
        return f"{n} of {len(self.checks)} gradients of {self.root} right"

    def _line(self, c: AnswerCheck) -> str:
        text = f"d{self.root}/d{c.name} = {fmt(c.given)}: " + ("right" if c.right else "wrong")
        if not c.right and self.reveal:
            text += f" (it is {fmt(c.expected)})"
        if c.hint:
            text += f". Hint: {c.hint}"
        return text

    def __str__(self) -> str:
        lines = [("✓ " if self else "✗ ") + self._verdict()]
        lines += [("  ✓ " if c.right else "  ✗ ") + self._line(c) for c in self.checks]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = []
        for c in self.checks:
            row = [c.name, fmt(c.given), "✓ right" if c.right else "✗ wrong"]
            if self.reveal:
                row.append(fmt(c.expected))
            rows.append([*row, c.hint])
        head = ["value", "your answer", "", *(["right answer"] if self.reveal else []), "hint"]
        return html_block(bool(self), self._verdict(), [], rows, head)


_SYMBOLS = {"add": "+", "sub": "-", "mul": "·", "div": "/", "pow": "^"}


def _describe(v: Value | float, depth: int = 2) -> str:
    """A node as a learner names it: its label, else its expression (``w1·a1``), else its op."""
    if not isinstance(v, Value):
        return fmt(v)
    if v.label:
        return v.label
    if v.is_leaf:
        return fmt(v.data)
    args = v.inputs
    if depth > 0 and v.dense_parts is None:
        if len(args) == 2 and v.op_name in _SYMBOLS:
            a, b = (_describe(x, depth - 1) for x in args)
            return f"({a}{_SYMBOLS[v.op_name]}{b})"
        if len(args) == 1:
            return f"{v.op_name}({_describe(args[0], depth - 1)})"
    return f"[{v.op_name} = {fmt(v.data)}]"


def _d(top: Value, bottom: Value) -> str:
    return f"d{_describe(top)}/d{_describe(bottom)}"


def _formula(m: Value, e: object) -> str:
    """The edge's derivative formula with the operands' names filled in."""
    names = {"out": _describe(m)}
    if m.dense_parts is None:
        for key, x in zip("ab", m.inputs):
            if isinstance(x, Value):
                names[key] = _describe(x)
    return e.formula(**names)  # type: ignore[attr-defined]


def _lookup(order: list[Value], key: object) -> tuple[str, Value]:
    if isinstance(key, Value):
        if not any(n is key for n in order):
            raise ValueError(f"check_gradients: {key!r} is not in the graph of root")
        return _describe(key), key
    if type(key) is not str:
        raise TypeError(
            f"check_gradients: answers' keys must be labels (str) or Values, not "
            f"{type(key).__name__}: {key!r}"
        )
    found = [n for n in order if n.label == key]
    if not found:
        labels = sorted({n.label for n in order if n.label})
        shown = ", ".join(labels) if labels else "(no node has a label)"
        raise ValueError(
            f"check_gradients: no value labelled {key!r} in the graph; labels: {shown}"
        )
    if len(found) > 1:
        raise ValueError(
            f"check_gradients: {len(found)} values are labelled {key!r}; pass the Value itself"
        )
    return key, found[0]


class _Graph:
    """What the hints need: d(root)/d(n) for every node, and each node's uses."""

    def __init__(self, root: Value, order: list[Value]) -> None:
        self.root = root
        self.order = order
        self.upstream = {id(n): g.data for n, g in zip(order, grad(root, order))}
        #: id(parent) -> [(consumer node, edge)] for every edge of the graph
        self.uses: dict[int, list] = {}
        for n in order:
            for e in n.edges:
                self.uses.setdefault(id(e.parent), []).append((n, e))

    def downstream(self, v: Value) -> list[Value]:
        """The nodes that depend on ``v`` (``v`` excluded), in graph order."""
        dep = {id(v)}
        out = []
        for n in self.order:
            if id(n) not in dep and any(id(p) in dep for p in n.parents):
                dep.add(id(n))
                out.append(n)
        return out


def _factor(m: Value, e: object, local: float) -> str:
    """``dm/dp = formula = value``, or ``dm/dp = value`` when the formula is that number."""
    formula = _formula(m, e)
    try:
        plain_number = float(formula.replace("−", "-")) == local
    except ValueError:
        plain_number = False
    if plain_number or formula == fmt(local):
        return f"{_d(m, e.parent)} = {fmt(local)}"  # type: ignore[attr-defined]
    return f"{_d(m, e.parent)} = {formula} = {fmt(local)}"  # type: ignore[attr-defined]


def _hint(
    g: _Graph, v: Value, given: float, right: float, same: Callable[[float, float], bool]
) -> str:
    """A hint for a wrong answer ``given`` to d(root)/d(v) = ``right``; "" if none fits."""
    if right != 0.0 and same(given, -right):
        return "the sign is flipped"
    uses = g.uses.get(id(v), [])
    contributions = [g.upstream[id(n)] * e.local for n, e in uses]
    if len(uses) > 1:
        k = len(uses)
        picks = range(1, k) if k <= _MAX_SUBSETS else [1]
        for r in picks:
            for subset in itertools.combinations(range(k), r):
                if same(given, math.fsum(contributions[i] for i in subset)):
                    return (
                        f"{_describe(v)} is used {k} times; its gradient is the sum of what "
                        f"every use passes back, and your answer counts {r} of them"
                    )
    for n, e in uses:
        if n is not g.root and same(given, e.local) and not same(given, right):
            return (
                f"that is only the local derivative {_d(n, v)}; "
                f"multiply it by the gradient coming from above, {_d(g.root, n)}"
            )
    down = g.downstream(v)
    if len(down) <= _MAX_PATH_NODES:
        for m in down:
            if m is g.root or m is uses_only(uses):
                continue
            partial = grad(m, [v])[0].data
            if partial not in (0.0,) and same(given, partial):
                return (
                    f"that is {_d(m, v)}: the chain stops at "
                    f"{_describe(m)}; multiply by {_d(g.root, m)}"
                )
    keep = {id(v)} | {id(m) for m in down}
    if right == 0.0 and given != 0.0:
        for m in down:
            for e in m.edges:
                if id(e.parent) in keep and e.local == 0.0:
                    return (
                        f"{_describe(m)} has a local derivative of 0 with respect to "
                        f"{_describe(e.parent)} ({_formula(m, e)}), so no gradient flows back"
                    )
    for m in down:
        for e in m.edges:
            loc = e.local
            if id(e.parent) not in keep or loc in (0.0, 1.0, -1.0) or not math.isfinite(loc):
                continue
            if same(given * loc, right):
                return f"a factor is missing: {_factor(m, e, loc)}"
            if same(given, right * loc):
                return f"one factor too many: {_factor(m, e, loc)} is counted twice"
    if right != 0.0:
        for factor in (2.0, 3.0, 4.0, 0.5, 1 / 3, 0.25):
            for s in (1.0, -1.0):
                if same(given, s * factor * right):
                    ratio = fmt(s * factor) if factor >= 1 else f"1/{fmt(s / factor)}"
                    return f"your answer is {ratio} times the right one: check each factor"
    return ""


def uses_only(uses: list) -> Value | None:
    """The consumer when ``v`` has exactly one use (its local derivative was tried already)."""
    return uses[0][0] if len(uses) == 1 else None


def check_gradients(
    root: Value,
    answers: Mapping[str | Value, float],
    *,
    rel_tol: float = 1e-6,
    abs_tol: float = 1e-9,
    reveal: bool = False,
) -> GradientReport:
    """Check hand-computed gradients d(root)/d(v) for the Values named in ``answers``.

    ``answers`` maps a label (``"w11"``) or a Value of ``root``'s graph to a
    number. The right values come from ``autograd.grad``; the graph's
    ``.grad`` fields are left as they were. Each wrong answer gets a hint when
    it matches a common slip (sign flipped, the upstream gradient left out, a
    reused node counted once, a factor missing). Pass ``abs_tol`` to accept
    rounded answers (``abs_tol=5e-5`` for four decimals); ``reveal=True`` shows
    the right values of wrong answers. An answer that is nan, infinite or an int
    too large for a float is marked wrong with a hint saying so. Tolerances must
    be finite and ``rel_tol`` below 1 (larger ones would accept any answer).
    """
    if not isinstance(root, Value):
        raise TypeError(f"check_gradients: root must be a Value, not {type(root).__name__}")
    if not isinstance(answers, Mapping):
        raise TypeError(
            "check_gradients: answers must be a dict of label -> number, not "
            f"{type(answers).__name__}"
        )
    if not answers:
        raise ValueError("check_gradients: answers is empty; give at least one label -> number")
    rel, abs_ = tolerances(rel_tol, abs_tol, "check_gradients: ")
    order = topological_order(root)
    saved = [n.grad for n in order]
    try:
        asked = []
        for key, value in answers.items():
            name, node = _lookup(order, key)
            given, note = answer(value, f"the answer for {name!r}")
            asked.append((name, node, given, note))
        g = _Graph(root, order)

        def same(a: float, b: float) -> bool:
            return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)

        checks = []
        for name, node, given, note in asked:
            right = g.upstream[id(node)]
            ok = same(given, right)
            hint = "" if ok else note or _hint(g, node, given, right, same)
            checks.append(AnswerCheck(name, given, right, ok, hint))
    finally:
        for n, before in zip(order, saved):
            n.grad = before
    return GradientReport(_describe(root), checks, reveal)
