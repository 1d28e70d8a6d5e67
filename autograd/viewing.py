"""What viewers read: a node's edges and formulas, and backward one node at a time.

The players and drawings (``viz``) show what chapters 1-3 compute. This
module gives ``Value`` the properties they read (``op``, ``inputs``,
``parents``, ``edges``, ``local_grads``, ``dense_parts``...), the
:class:`Edge` (a local gradient and its formula), :func:`backward_steps` (a
pass that stops after each node) and :func:`topological_order`. Nothing here
runs when a node is made or during ``backward()``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ._exact import plain
from .backward import held, lock, propagate, walk
from .ops import Op, const_text
from .value import Value, number

__all__ = ["Edge", "backward_steps", "topological_order"]


class _Names(dict):
    """Formula placeholders: a name not given shows as itself."""

    def __missing__(self, key: str) -> str:
        return key


class Edge:
    """One edge that ``backward`` walks: ``node`` passes gradient to ``parent``.

    ``local`` is d(node)/d(parent) as a plain float; :meth:`contribution`
    applies it to an incoming gradient exactly as ``backward`` does (torch's
    masking included: an infinite gradient through relu's dead side still
    gives 0); :meth:`formula` says it in symbols, e.g. ``1 − out²``.
    ``operand`` names the position: ``a``/``b`` (``w1``, ``x1``, ``b`` for a
    fused neuron).
    """

    __slots__ = ("node", "parent", "operand", "_local", "_template")

    def __init__(self, node: Value, parent: Value, local: Any, operand: str, template: str):
        self.node = node
        self.parent = parent
        self.operand = operand
        self._local = local
        self._template = template

    @property
    def local(self) -> float:
        """d(node)/d(parent) at this point, as a plain float."""
        return plain(self._local)

    def contribution(self, g: float) -> float:
        """What this edge adds to ``parent``'s gradient when ``node``'s gradient is ``g``."""
        return g * self._local  # type: ignore[no-any-return]

    def formula(self, **names: str) -> str:
        """The local derivative as a formula; ``names`` replace the symbols (``a``, ``out``...).

        A number operand is filled in by default (``x * 3`` gives ``3`` for ``x``).
        """
        defaults = _Names(out="out")
        node = self.node
        if node._operands is not None and type(node._operands) is tuple:
            for name, x in zip("ab", node._operands):
                if type(x) is not Value:
                    defaults[name] = const_text(x)
        defaults.update(names)
        return self._template.format_map(defaults)

    def __repr__(self) -> str:
        return f"Edge({self.operand}: local={self.local!r}, formula={self.formula()!r})"


def formula(op: Op, node: Value, i: int) -> str:
    """The display formula of d(out)/d(operand i) (a callable entry gets the number operand)."""
    f = op.formulas[i] if i < len(op.formulas) else ""
    if callable(f):
        return f(op.inputs_of(node)[1])
    return f


def edges_of(node: Value) -> list[tuple[Any, Any, str, str]]:
    """``(parent, stored local, operand name, formula)`` for each Value operand of ``node``."""
    op = node._fn
    if op is None:  # a leaf has no edges
        return []
    own = getattr(op, "edges_of", None)  # the fused neuron's, a lecture-made op's
    if own is not None:
        return own(node)  # type: ignore[no-any-return]
    locals_ = iter(node._locals)
    return [
        (x, next(locals_), "ab"[i], formula(op, node, i))
        for i, x in enumerate(op.inputs_of(node))
        if type(x) is Value
    ]


# ------------------------------------------------------------------ properties of Value


def _op(self: Value) -> str:
    """The symbol of the operation that made this node; ``""`` for a leaf."""
    return self._fn.symbol if self._fn is not None else ""


def _op_name(self: Value) -> str:
    """The operation's name (``"mul"``, ``"tanh"``); ``""`` for a leaf."""
    return self._fn.name if self._fn is not None else ""


def _is_leaf(self: Value) -> bool:
    """True for a Value made by hand (or under ``no_grad``), not by an operation."""
    return self._fn is None


def _inputs(self: Value) -> tuple[Value | float, ...]:
    """The operands this node was computed from, numbers included, in order.

    For a fused ``dense`` neuron: its weights, then its inputs, then its bias.
    """
    return () if self._fn is None else tuple(self._fn.inputs_of(self))


def _parents(self: Value) -> tuple[Value, ...]:
    """The Values among :attr:`inputs` (each once, in order of first use)."""
    return tuple(dict.fromkeys(x for x in _inputs(self) if type(x) is Value))


def _edges(self: Value) -> list[Edge]:
    """This node's Value operands as :class:`Edge` objects (local gradient, formula).

    One per operand position, in the order of :attr:`inputs` (``x * x`` has
    two). For a fused :func:`dense` neuron: ``w1, x1, w2, x2, ..., b``
    (inputs that are numbers have no edge).
    """
    return [] if self._fn is None else [Edge(self, *e) for e in edges_of(self)]


def _local_grads(self: Value) -> list[tuple[Value, float]]:
    """``(parent, d(self)/d(parent))`` for each edge, as plain floats, in order."""
    return [(e.parent, e.local) for e in _edges(self)]


def _dense_parts(self: Value) -> tuple[Sequence[Value], tuple, Value | float] | None:
    """For a fused :func:`dense` neuron, its ``(weights, inputs, bias)``; else None."""
    parts = getattr(self._operands, "parts", None)
    return None if parts is None else parts(self)  # type: ignore[no-any-return]


# The properties ``_views.Views`` declares, attached to Value (the core never imports this).
for _name, _get in (
    ("op", _op),
    ("op_name", _op_name),
    ("is_leaf", _is_leaf),
    ("inputs", _inputs),
    ("parents", _parents),
    ("edges", _edges),
    ("local_grads", _local_grads),
    ("dense_parts", _dense_parts),
):
    setattr(Value, _name, property(_get))


# ------------------------------------------------------------------ stepping through backward


def backward_steps(root: Value, grad: float = 1.0) -> Iterator[Value]:
    """Run ``root.backward(grad)`` one node at a time, for watching it happen.

    Yields each non-leaf node right after it has passed its gradient on to
    its parents, in the order ``backward`` uses (the root first). Once
    exhausted, the ``.grad`` fields are exactly those ``backward`` leaves; a
    loop left early (or ``close()``, from any thread) leaves every ``.grad``
    as it was. While it is suspended other passes run, but one over any of
    its nodes raises a RuntimeError instead of mixing with it.
    """
    if type(root) is not Value:
        raise TypeError(f"backward_steps: root must be a Value, not {type(root).__name__}")
    g0 = number(grad, "backward grad")
    return _steps(root, g0)


def _steps(root: Value, g0: float) -> Iterator[Value]:
    if root._fn is None:
        with lock:
            if root in held:
                raise RuntimeError("backward_steps: this Value is being stepped through already")
            root.grad += g0
        return
    order, leaves = walk(root)
    nodes = order + leaves
    inner_before = [n.grad for n in order]
    leaf_before = [v.grad for v in leaves]
    claimed = finished = False
    try:
        with lock:
            if not held.isdisjoint(nodes):
                raise RuntimeError(
                    "backward_steps: another backward_steps() pass over some of these nodes "
                    "is under way; finish it or close() it first"
                )
            claimed = True  # (set first: removing nodes that no pass holds is harmless)
            held.update(nodes)
            for n in order:
                n.grad = 0.0
            for v in leaves:
                v.grad = -0.0  # the additive identity: the first contribution is kept exactly
            root.grad = g0
        for n in reversed(order):
            with lock:
                propagate([n])
            yield n
        with lock:
            for v, before in zip(leaves, leaf_before):
                v.grad = before + v.grad
            finished = True
    finally:
        if claimed:
            with lock:
                if not finished:
                    for n, before in zip(order, inner_before):
                        n.grad = before
                    for v, before in zip(leaves, leaf_before):
                        v.grad = before
                held.difference_update(nodes)


def topological_order(root: Value) -> list[Value]:
    """Every node of ``root``'s graph, leaves included, each after the nodes it was computed from.

    Deterministic: the same graph gives the same order every run.
    """
    if type(root) is not Value:
        raise TypeError(f"topological_order: root must be a Value, not {type(root).__name__}")
    if root._fn is None:
        return [root]
    inner, _ = walk(root)
    order: list[Value] = []
    seen: set[int] = set()
    for n in inner:
        for p in _inputs(n):  # operands, in order (numbers among them are skipped)
            if type(p) is Value and p._fn is None and id(p) not in seen:
                seen.add(id(p))
                order.append(p)
        order.append(n)
    return order
