"""Code generation for :mod:`autograd.tracing`: a recorded graph written out as Python.

:class:`Writer` turns the nodes of one graph (in creation order) into lines:
the forward pass, one statement per operation, and the backward pass, one
``g_x += g_out * local`` line per edge, in the order ``backward`` adds them,
so the generated code gives its bits. Each op of the table has a template
whose arithmetic is the op's rule applied as ``backward`` applies it (a
division where the rule divides, torch's masks, tanh's ``1 - y²`` rounded
once); any other op calls its own rule. :class:`Parts` assembles the lines
into the single-call and batch functions.
"""

from __future__ import annotations

import itertools
import keyword
import math
import re
import sys
from collections.abc import Sequence
from typing import Any

from . import _math, viewing
from .exact import MASKED, contribution, one_minus_square
from .ops import FLOAT, const_text
from .value import Value

__all__ = ["HELPERS", "Parts", "Writer", "indent", "literal", "max_data", "top_level"]

_NEW_SUM = sys.version_info >= (3, 12)  # sum() of floats is compensated from 3.12 on

#: A graph node as the writer reads it: a Value, with the fields the engine's
#: layers add to it (``inputs``, ``dense_parts``) and its op in ``_fn``.
Node = Any


def _leaves(nodes: list[Node], root: Node) -> list[Value]:
    """Every leaf the graph reaches, in order of first use."""
    if root._fn is None:
        return [root]
    out: dict[int, Value] = {}
    for n in nodes:
        for p in n.inputs:
            if type(p) is Value and p._fn is None:
                out.setdefault(id(p), p)
    return list(out.values())


HELPERS = {
    "div": _math.div,
    "pow_": _math.pow,
    "pow_scalar": _math.pow_scalar,
    "exp": _math.exp,
    "log": _math.log,
    "sqrt": _math.sqrt,
    "tanh": _math.tanh,
    "sigmoid": _math.sigmoid,
    "sign": _math.sign,
    "one_minus_square": one_minus_square,
    "contribution": contribution,
    "MASKED": MASKED,
    "FLOAT": FLOAT,
    "inf": math.inf,
    "nan": math.nan,
}


def masked(g: float) -> float:
    """What an edge that torch masks with ``where`` passes on: an exact 0 for any ``g``."""
    return g * 0.0 if g - g == 0.0 else 0.0


def masked_partner(g: float, partner: float) -> float:
    """A dead relu neuron's edge whose partner is ``partner``: ``0 * partner``, masked."""
    return contribution(g, MASKED if partner - partner == 0.0 else math.nan)


def max_data(xs: Sequence[float]) -> float:
    """The largest number, nan if any is nan (``functional._max_data`` on floats)."""
    m = -math.inf
    for d in xs:
        if d != d:
            return math.nan
        if d > m:
            m = d
    return m


HELPERS.update(masked=masked, masked_partner=masked_partner, max_data=max_data)
_RESERVED = set(HELPERS) | set(keyword.kwlist)
_RESERVED |= {
    "P",
    "seed",
    "rows",
    "k",
    "values",
    "sum",
    "abs",
    "traced",
    "traced_combined",
    "traced_forward",
}


class _Names:
    """Python names for the graph's numbers: labels where there are labels, else ``v1, v2, ...``."""

    def __init__(self) -> None:
        self.taken = set(_RESERVED)
        self.of: dict[int, str] = {}
        self.count = itertools.count(1)

    def name(self, v: Any, hint: str = "") -> str:
        if id(v) in self.of:
            return self.of[id(v)]
        name = self.fresh(hint or getattr(v, "label", "") or "")
        self.of[id(v)] = name
        return name

    def fresh(self, hint: str) -> str:
        """A name not used yet, made from ``hint`` (``v1, v2, ...`` when it has none)."""
        base = re.sub(r"[^0-9A-Za-z_]", "_", hint).strip("_")  # ASCII: one spelling per name
        if not base or base[0].isdigit():
            base = f"v{next(self.count)}" if not base else f"v_{base}"
        name = base
        k = 2
        while {name, "g_" + name} & self.taken:
            name = f"{base}_{k}"
            k += 1
        self.taken.update((name, "g_" + name))
        return name


def _nonzero(x: Any) -> bool:
    """True for a number operand that is not zero (dividing by it never raises)."""
    return type(x) is not Value and float(x) != 0.0


def literal(x: float) -> str:
    if x != x:
        return "nan"
    if x in (math.inf, -math.inf):
        return "inf" if x > 0 else "-inf"
    return repr(float(x))


# ------------------------------------------------------------------ code generation


class Writer:
    """Writes the forward and backward lines of one traced graph."""

    def __init__(self, root: Node, nodes: list[Node], args: list[Value], rec: Any):
        self.root = root
        self.nodes = nodes
        self.arg_ids = {id(a) for a in args}
        self.rec = rec
        self.names = _Names()
        self.env: dict[str, Any] = dict(HELPERS)
        self.forward: list[str] = []
        self.backward: list[str] = []
        self.derived_done: set[int] = set()
        self.sums: dict[int, str] = {}  # a fused neuron's sum before relu, by node
        self.params: list[Value] = []
        for a in args:
            self.names.name(a)
        leaves = _leaves(nodes, root)
        for leaf in leaves:
            if id(leaf) not in self.arg_ids:
                self.params.append(leaf)
                self.names.name(leaf)
        param_ids = {id(p) for p in self.params}
        # A node needs a gradient when a parameter lies behind it.
        self.needs: set[int] = set(param_ids)
        for n in nodes:
            if any(id(p) in self.needs for p in n.inputs if type(p) is Value):
                self.needs.add(id(n))
        for n in nodes:
            self.names.name(n)

    # -- values ---------------------------------------------------------------

    def ref(self, x: Any) -> str:
        """The expression for an operand: a name, a literal, or a derived constant."""
        if type(x) is Value:
            return self.names.of[id(x)]
        hit = self.rec.derived.get(id(x))
        if hit is not None and hit[0] is x:
            name = self.names.name(x, "m")
            if id(x) not in self.derived_done:
                self.derived_done.add(id(x))
                parts = ", ".join(self.ref(v) for v in hit[1])
                self.forward.append(
                    f"{name} = max_data(({parts},))  # the largest value, a constant"
                )
            return name
        return literal(x)

    def helper(self, obj: Any, hint: str) -> str:
        """A name in the generated code's namespace bound to ``obj`` (an op's function)."""
        for k, v in self.env.items():
            if v is obj:
                return k
        name = self.names.fresh(hint)
        self.env[name] = obj
        return name

    # -- the two passes -------------------------------------------------------------

    def write(self) -> None:
        for n in self.nodes:
            self.forward_of(n)
        root = self.names.of[id(self.root)]
        inner = [
            self.names.of[id(n)]
            for n in reversed(self.nodes)
            if id(n) in self.needs and n is not self.root
        ]
        if self.root._fn is None:
            if id(self.root) in self.needs:  # fn returned a parameter itself
                self.backward.append(f"g_{root} += seed")
        elif id(self.root) in self.needs:
            self.backward.append(f"g_{root} = seed")
            self.backward += chained([f"g_{x}" for x in inner], "0.0")
        for n in reversed(self.nodes):
            if id(n) in self.needs:
                self.backward_of(n)

    def forward_of(self, n: Node) -> None:
        for x in n.inputs:
            if type(x) is Value and any(x is g for g in self.rec.guards):
                self.rec.guards = [g for g in self.rec.guards if g is not x]
                name = self.ref(x)
                self.forward.append(
                    f"if not 0.0 <= {name} <= 1.0:  # binary_cross_entropy's input check"
                )
                self.forward.append(
                    "    raise ValueError('binary_cross_entropy input must be in [0, 1], "
                    f"got ' + repr({name}))"
                )
        op = n._fn
        out = self.names.of[id(n)]
        key = op.key
        if key in ("linear", "linear_relu"):
            self.forward_dense(n, out, key == "linear_relu")
            return
        xs = [self.ref(x) for x in n.inputs]
        a = xs[0]
        b = xs[1] if len(xs) > 1 else ""
        simple = {
            "add": f"{a} + {b}",
            "sub": f"{a} - {b}",
            "mul": f"{a} * {b}",
            "neg": f"-{a}",
            "div": f"{a} / {b} if {b} else div({a}, {b})",
            "rdiv": f"div(1.0, {b}) * {a}",
            "exp": f"exp({a})",
            "log": f"log({a})",
            "sqrt": f"sqrt({a})",
            "tanh": f"tanh({a})",
            "sigmoid": f"sigmoid({a})",
            "relu": f"0.0 if {a} < 0.0 else {a}",
            "abs": f"abs({a})",
        }
        if key == "div" and _nonzero(n.inputs[1]):
            expr = f"{a} / {b}"
        elif key == "pow_scalar":
            expr = f"{a} * {a}" if n.inputs[1] == 2.0 else f"pow_scalar({a}, {b})"
        elif key in simple:
            expr = simple[key]
        else:
            f = self.helper(op.forward, f"{op.name}_forward")
            expr = f"{f}({', '.join(xs)})"
        self.forward.append(f"{out} = {expr}  # {self.describe(n)}")

    def describe(self, n: Node) -> str:
        """The operation as a learner writes it (numbers shown short: ``a ** 2``)."""
        op = n._fn
        xs = [self.ref(x) if type(x) is Value else const_text(float(x)) for x in n.inputs]
        if len(xs) == 1:
            return f"{op.symbol}({xs[0]})" if op.symbol.isalpha() else f"{op.symbol}{xs[0]}"
        return f" {op.symbol} ".join(xs)

    def forward_dense(self, n: Node, out: str, relu: bool) -> None:
        weights, inputs, bias = n.dense_parts
        terms = [f"{self.ref(w)} * {self.ref(x)}" for w, x in zip(weights, inputs)]
        if _NEW_SUM:
            s = f"sum(({', '.join(terms)},))"
        else:
            s = " + ".join(["0.0", *terms])
        b = self.ref(bias)
        z = self.sums[id(n)] = self.names.fresh(f"z_{out}")
        self.forward.append(f"{z} = {s} + {b}  # Σ w·x + b")
        if relu:
            self.forward.append(f"{out} = 0.0 if {z} < 0.0 else {z}  # relu")
        else:
            self.forward.append(f"{out} = {z}")

    def add(self, target: Any, expr: str, formula: str) -> None:
        """One edge of the backward pass: ``g_target += expr``, if the target needs it."""
        if type(target) is not Value or id(target) not in self.needs:
            return
        t = self.names.of[id(target)]
        tail = f"  # {formula}" if formula else ""
        self.backward.append(f"g_{t} += {expr}{tail}")

    def backward_of(self, n: Node) -> None:
        op = n._fn
        key = op.key
        out = self.names.of[id(n)]
        g = f"g_{out}"
        if key in ("linear", "linear_relu"):
            self.backward_dense(n, out, key == "linear_relu")
            return
        inputs = n.inputs
        xs = [self.ref(x) for x in inputs]
        a = xs[0]
        b = xs[1] if len(xs) > 1 else ""
        d = f"∂{out}/∂"
        shown = [x if type(v) is Value else const_text(float(v)) for x, v in zip(xs, inputs)]

        def formula(i: int) -> str:
            f = viewing.formula(op, n, i)
            if not f:
                return ""
            names = {"out": out, "a": shown[0], "b": shown[-1]}
            return f"{d}{xs[i]} = " + f.format_map(names)

        if key == "add":
            self.add(inputs[0], g, formula(0))
            self.add(inputs[1], g, formula(1))
        elif key == "sub":
            self.add(inputs[0], g, formula(0))
            self.add(inputs[1], f"-{g}", formula(1))
        elif key == "mul":
            self.add(inputs[0], f"{g} * {b}", formula(0))
            self.add(inputs[1], f"{g} * {a}", formula(1))
        elif key == "neg":
            self.add(inputs[0], f"-{g}", formula(0))
        elif key == "div":
            if _nonzero(inputs[1]):
                self.add(inputs[0], f"{g} / {b}", formula(0))
            else:
                self.add(inputs[0], f"({g} / {b} if {b} else div({g}, {b}))", formula(0))
            self.add(inputs[1], f"{g} * -({out} / {b} if {b} else div({out}, {b}))", formula(1))
        elif key == "rdiv":
            r = f"div(1.0, {b})"
            self.add(inputs[1], f"({g} * -{a}) * ({r} * {r})", formula(1))
        elif key == "exp":
            self.add(inputs[0], f"{g} * {out}", formula(0))
        elif key == "log":
            self.add(inputs[0], f"({g} / {a} if {a} else div({g}, {a}))", formula(0))
        elif key == "sqrt":
            self.add(inputs[0], f"div({g}, 2.0 * {out})", formula(0))
        elif key == "tanh":
            self.add(inputs[0], f"{g} * one_minus_square({out})", formula(0))
        elif key == "sigmoid":
            self.add(inputs[0], f"({g} * (1.0 - {out})) * {out}", formula(0))
        elif key == "relu":
            self.add(inputs[0], f"{g} if not {a} <= 0.0 else masked({g})", formula(0))
        elif key == "abs":
            self.add(inputs[0], f"{g} * sign({a})", formula(0))
        elif key == "pow_scalar":
            c = float(inputs[1])
            if c == 0.0:
                expr = f"masked({g})"
            elif c == 2.0:
                expr = f"{g} * (2.0 * {a})"
            else:
                expr = f"{g} * ({literal(c)} * pow_scalar({a}, {literal(c - 1.0)}))"
            self.add(inputs[0], expr, formula(0))
        else:
            self.backward_generic(n, out, xs, formula)

    def backward_generic(self, n: Node, out: str, xs: list[str], formula: Any) -> None:
        """Any other op: its own rule, evaluated on the numbers, applied as backward applies it."""
        op = n._fn
        args = ", ".join([out, *xs])
        for i, (x, rule) in enumerate(zip(n.inputs, op.derivs)):
            if rule is None or type(x) is not Value:
                continue
            r = self.helper(rule, f"{op.name}_rule{i}")
            self.add(x, f"contribution(g_{out}, {r}(FLOAT, {args}))", formula(i))

    def backward_dense(self, n: Node, out: str, relu: bool) -> None:
        weights, inputs, bias = n.dense_parts
        g = f"g_{out}"
        z = self.sums[id(n)]
        alive: list[tuple[Any, str, str]] = []
        for w, x in zip(weights, inputs):
            alive.append((w, f"{g} * {self.ref(x)}", f"∂{out}/∂{self.ref(w)} = {self.ref(x)}"))
        for w, x in zip(weights, inputs):
            if type(x) is Value:
                alive.append((x, f"{g} * {self.ref(w)}", f"∂{out}/∂{self.ref(x)} = {self.ref(w)}"))
        if type(bias) is Value:
            alive.append((bias, g, f"∂{out}/∂{self.ref(bias)} = 1"))
        if not any(type(t) is Value and id(t) in self.needs for t, _, _ in alive):
            return
        if not relu:
            for t, expr, f in alive:
                self.add(t, expr, f)
            return
        self.backward.append(f"if not {z} <= 0.0:  # a live relu neuron passes its gradient on")
        mark = len(self.backward)
        for t, expr, f in alive:
            self.add(t, expr, f)
        self.indent(mark)
        # A dead neuron whose sum is -inf: each operand gets 0 * its partner (nan for inf).
        self.backward.append(f"elif {z} - {z} != 0.0:")
        mark = len(self.backward)
        for w, x in zip(weights, inputs):
            self.add(w, f"masked_partner({g}, {self.ref(x)})", "")
            if type(x) is Value:
                self.add(x, f"masked_partner({g}, {self.ref(w)})", "")
        if type(bias) is Value:
            self.add(bias, f"masked({g})", "")
        if len(self.backward) == mark:
            self.backward.append("pass")
        self.indent(mark)

    def indent(self, mark: int) -> None:
        for i in range(mark, len(self.backward)):
            self.backward[i] = "    " + self.backward[i]


class Parts:
    """The pieces of generated code that the single-call and batch functions are made of."""

    def __init__(self, w: Writer, flat_names: list[str], outputs: list[str]) -> None:
        self.params = [w.names.of[id(p)] for p in w.params]
        root = w.names.of[id(w.root)]
        self.read = [f"{p} = P[{i}].data" for i, p in enumerate(self.params)]
        self.zero = chained([f"g_{p}" for p in self.params], "-0.0")
        self.forward = ["# forward: one line per operation", *w.forward]
        self.backward = (
            ["# backward: each gradient starts at 0; each edge adds g_out * local", *w.backward]
            if w.backward
            else []
        )
        self.value = f"({', '.join([root, *outputs])})" if outputs else root
        self.args = flat_names
        one = "," if len(self.params) == 1 else ""
        self.totals = f"({', '.join(f'g_{p}' for p in self.params)}{one})"

    def unpack(self) -> list[str]:
        if not self.args:
            return []
        return [f"{', '.join(self.args)}{',' if len(self.args) == 1 else ''} = rows[k]"]

    def single(self) -> str:
        args = "".join(f", {a}" for a in self.args)
        lines = [f"def traced(P, seed{args}):"]
        if self.read:
            lines += ["    # parameters: each one's number, read once", *indent(self.read, 1)]
            lines += ["    # pass totals (-0.0: adding it changes nothing)", *indent(self.zero, 1)]
        lines += indent(self.forward + self.backward, 1)
        lines.append(f"    return {self.value}, {self.totals}")
        return "\n".join(lines) + "\n"

    def batch_start(self) -> list[str]:
        """A batch function's first lines: the parameters read, the pass totals from ``start``."""
        lines = indent(self.read, 1)
        if self.params:
            lines += ["    if start is None:", *indent(self.zero, 2)]
            lines += ["    else:", f"        {self.totals[1:-1]} = start"]
        return lines


def chained(names: list[str], value: str, width: int = 72) -> list[str]:
    """``a = b = ... = value`` lines, each at most about ``width`` characters."""
    lines: list[str] = []
    line: list[str] = []
    for name in names:
        if line and len(" = ".join([*line, name, value])) > width:
            lines.append(" = ".join([*line, value]))
            line = []
        line.append(name)
    if line:
        lines.append(" = ".join([*line, value]))
    return lines


def indent(lines: list[str], depth: int) -> list[str]:
    return ["    " * depth + x for x in lines]


def top_level(lines: list[str], i: int) -> bool:
    """True if a block of code may be split before ``lines[i]`` (not inside an if/elif)."""
    if i >= len(lines):
        return True
    x = lines[i]
    return not x.startswith((" ", "elif", "else"))
