"""Chapter 5: the fused neuron. ``dense``: a whole weighted sum (and relu) as one node.

A neuron ``relu(w·x + b)`` built op by op is ``2n + 1`` nodes; fused it is
one, whose parents are the weights, the Value inputs and the bias, and whose
local gradients are d/dw_i = x_i, d/dx_i = w_i, d/db = 1. That is what makes
the engine fast (the design notes measure 6x). The node keeps its edges in
``_parents`` and ``_locals`` like any other node, so ``backward`` treats it
like any other.
Its operands are kept once per ``dense`` call, not once per node: the nodes
of one call share a :class:`DenseCall` (the weight rows, the inputs, the
biases), where each finds its own row by its creation number. Its op
(:data:`LINEAR`, :data:`LINEAR_RELU`) is a real entry of the op table
(``BY_NAME``), whose hooks read the ``DenseCall``.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from itertools import islice
from math import isfinite
from typing import Any

from . import _math
from ._exact import MASKED
from .ops import BY_NAME, Op
from .value import Value, _creation, _mode, number

__all__ = ["LINEAR", "LINEAR_RELU", "DenseCall", "dense"]

_NAN = float("nan")


class DenseCall(tuple):
    """The operands of one :func:`dense` call, shared by the nodes it made.

    One flat tuple ``(inputs, first, row_0, ..., row_n-1, bias_0, ..., bias_n-1)``:
    the node of row ``i`` has the creation number ``first + i``, the weights
    ``row_i`` and the bias ``bias_i`` (None for 0), and every row has the same
    ``inputs``. Flat and once per call, because then the garbage collector,
    whose work grows with the containers a forward pass makes, tracks one
    object per layer call instead of one per neuron.
    """

    __slots__ = ()

    @property
    def inputs(self) -> tuple:
        """The inputs every row was applied to (Values and numbers)."""
        return self[0]

    def parts(self, node: Any) -> tuple[Any, tuple, Any]:
        """``node``'s ``(weights, inputs, bias)``: its row, found by its creation number."""
        n = (len(self) - 2) // 2
        i = node._seq - self[1]
        b = self[2 + n + i]
        return self[2 + i], self[0], b if type(b) is Value else 0.0 if b is None else float(b)


class FusedOp(Op):
    """The op of a fused neuron: its hooks read the node's :class:`DenseCall` (``_operands``)."""

    __slots__ = ()

    def inputs_of(self, node: Any) -> tuple[Any, ...]:
        weights, inputs, bias = node._operands.parts(node)
        return (*weights, *inputs, bias)

    def edges_of(self, node: Any) -> list[tuple[Any, Any, str, str]]:
        dead = self is LINEAR_RELU and node.data == 0.0
        out = []
        for name, (p, loc) in zip(_operand_names(node), self.graph_rule(node, None)):
            if dead:
                formula = "0"
            elif name == "b":
                formula = "1"
            else:
                formula = "{" + ("x" if name[0] == "w" else "w") + name[1:] + "}"
            out.append((p, loc, name, formula))
        return out

    def graph_rule(self, node: Any, M: Any) -> list[tuple[Any, Any]]:
        """d/dw_i = x_i, d/dx_i = w_i, d/db = 1, as Values (``M`` None: as floats)."""
        weights, inputs, bias = node._operands.parts(node)
        dead = self is LINEAR_RELU and node.data == 0.0
        local = _local_rule(dead, as_value=M is not None)
        pairs: list[tuple[Any, Any]] = []
        for w, x in zip(weights, inputs):
            pairs.append((w, local(x)))
            if type(x) is Value:
                pairs.append((x, local(w)))
        if type(bias) is Value:
            pairs.append((bias, MASKED if dead else 1.0))
        return pairs


def _local_rule(dead: bool, as_value: bool = False) -> Any:
    """The local gradient towards an operand whose partner is ``partner`` (d/dw = x, d/dx = w).

    For a dead relu neuron torch masks the sum's gradient to zero, then
    multiplies: each operand receives ``0 * partner`` (nan for an infinite
    or nan partner, else an exact zero).
    """

    def local(partner: Any) -> Any:
        pd = partner.data if type(partner) is Value else partner
        if not dead:
            return partner if as_value else pd
        return MASKED if isfinite(pd) else _NAN

    return local


def _operand_names(node: Any) -> list[str]:
    """The names of a fused node's edges, in order: w1, x1, w2, ..., b."""
    names = []
    for i, x in enumerate(node._operands.inputs, 1):
        names.append(f"w{i}")
        if type(x) is Value:
            names.append(f"x{i}")
    names.append("b")
    return names


def _forward(*args: float) -> float:
    """``Σ w·x + b`` of ``(w1, ..., wn, x1, ..., xn, b)``, as :func:`dense` adds it."""
    n = (len(args) - 1) // 2
    return sum(map(operator.mul, args[:n], args[n : 2 * n])) + args[-1]


def _forward_relu(*args: float) -> float:
    return _math.relu(_forward(*args))


LINEAR = FusedOp("linear", "Σw·x+b", _forward, key="linear")
LINEAR_RELU = FusedOp("linear_relu", "relu(Σw·x+b)", _forward_relu, key="linear_relu")
BY_NAME.update(linear=LINEAR, linear_relu=LINEAR_RELU)


def _data(x: Any) -> float:
    """A Value's number, or the number itself."""
    return x.data if type(x) is Value else x  # type: ignore[no-any-return]


def dense(
    rows: Sequence[Sequence[Value]],
    biases: Sequence[Value | float | int | None],
    inputs: Sequence[Value | float | int],
    relu: bool = False,
) -> list[Value]:
    """One fused node per row: ``relu?(sum_i row[i] * inputs[i] + bias)``.

    This is a layer of neurons at the cost of one graph node per neuron
    instead of ``2n``. Weights must be Values; inputs may be Values or plain
    numbers (numbers are constants and get no gradient); a bias may be a
    Value, a number or None. With ``relu=True`` the activation is fused in
    too. Gradients equal those of the same expression built op by op in
    torch float64 (up to the rounding of the sum). The inputs are read once
    for all rows. Each node keeps its row as given (``dense_parts`` returns
    that very sequence), so replace a row rather than edit it in place while
    its graph is in use.
    """
    if len(rows) != len(biases):
        raise ValueError(f"dense: {len(rows)} weight rows but {len(biases)} biases")
    xs = tuple(inputs)
    xd: list[float] = []
    xv: list[Value] = []  # the inputs that are Values
    for x in xs:
        if type(x) is Value:
            xd.append(x.data)
            xv.append(x)
        else:
            xd.append(number(x, "dense input"))
    nx = len(xs)
    all_values = len(xv) == nx
    op = LINEAR_RELU if relu else LINEAR
    # A dead relu neuron (pre-activation finite and <= 0): torch masks its
    # gradient to zero, so every operand receives an exact zero, and adding
    # an exact zero changes no sum that backward makes (an inner node's sum
    # starts at +0.0; a leaf's pass total is added only if the leaf is
    # reached). So a dead neuron passes nothing (its ``_locals`` is empty),
    # but keeps its non-leaf operands (weights, inputs, bias) as parents, so
    # that the walk, and what reaches their own parents (0 * inf is nan), is
    # exactly torch's.
    inner = [x for x in xv if x._fn is not None]
    # With no Value input, every row has the same local gradients: d/dw_i = x_i, d/db = 1.
    shared_locals = (tuple(xd), (*xd, 1.0)) if not xv else None
    # Consecutive creation numbers for the rows, taken in one step (a C loop
    # that no other thread can interleave with), so row i's number is first + i.
    seqs = list(islice(_creation, len(rows))) or [0]
    first = seqs[0]
    call = DenseCall((xs, first, *rows, *biases))
    for row in rows:
        if len(row) != nx:
            raise ValueError(f"dense: a row of {len(row)} weights for {nx} inputs")
    mul = operator.mul
    hooks = _mode.hooks
    outs = []
    for row, b, seq in zip(rows, biases, seqs):
        # The row's numbers, read just before the row is used: while its
        # weights are still in the processor's cache (reading every row
        # first, then building each row's edges, misses the cache 10-12% more
        # often in benchmarks/count_step.py).
        wd: list[float] = []
        keep = wd.append
        for w in row:
            if type(w) is not Value:
                _not_a_weight(w)
            keep(w.data)
        z: float = sum(map(mul, wd, xd))
        if b is None:
            b = 0.0
        tbias = type(b) is Value
        if tbias:
            z += b.data  # type: ignore[union-attr]
        else:
            b = number(b, "dense bias")
            z += b
        dead = relu and z <= 0.0
        d = (0.0 if z < 0.0 else z) if dead else z
        out = _new(Value)  # the fields set here, without __init__'s checks
        out.data = d
        out.grad = 0.0
        out.label = ""
        if hooks is not None and not hooks.record(op, [*wd, *xd, _data(b)], d):
            out._fn, out._parents, out._locals, out._operands, out._seq = None, (), (), None, 0
            outs.append(out)
            continue
        out._fn = op
        out._seq = seq
        out._operands = call
        if dead and isfinite(z):  # masked: passes nothing (see above)
            out._parents = [*inner, b] if tbias and b._fn is not None else inner  # type: ignore[union-attr,list-item]
            if any(map(_op_of, row)):  # a weight that is not a leaf (rare): keep it too
                out._parents = [*(w for w in row if w._fn is not None), *out._parents]
            out._locals = ()
        elif dead:  # inf or nan, masked: each operand gets 0 * partner (see graph_rule)
            pairs = op.graph_rule(out, None)
            out._parents = [p for p, _ in pairs]
            out._locals = [loc for _, loc in pairs]
        elif shared_locals is not None:  # no Value input: d/dw_i = x_i for every row
            if tbias:
                out._parents = [*row, b]  # type: ignore[list-item]
                out._locals = shared_locals[1]
            else:
                out._parents = list(row)
                out._locals = shared_locals[0]
        else:
            if not all_values:  # weights of Value inputs only
                wd = [w for w, x in zip(wd, xs) if type(x) is Value]
            # Local gradients in a tuple of floats: the collector untracks it
            # at its first pass, so it never weighs on later collections.
            if tbias:
                out._parents = [*row, *xv, b]  # type: ignore[list-item]
                out._locals = (*xd, *wd, 1.0)
            else:
                out._parents = [*row, *xv]
                out._locals = (*xd, *wd)
        outs.append(out)
    return outs


_new = object.__new__
_op_of = operator.attrgetter("_fn")


def _not_a_weight(w: object) -> float:
    raise TypeError(f"dense weights must be Values, not {type(w).__name__}")
