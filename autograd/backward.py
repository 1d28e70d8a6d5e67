"""Chapter 3: backward. Sort the graph, then pass each node's gradient on to its parents.

``backward`` needs every node's gradient complete before that node passes it
on, so it first lists the nodes that the root depends on (:func:`walk`) and
then runs them root first, each node adding ``grad * local`` into each
parent (:func:`propagate`, the hot loop). The nodes run in decreasing
creation order, which is a valid order (a node is always made after its
parents) and PyTorch's own: a node used many times sums its contributions in
the same order as torch, so cancellations come out the same.

Leaves get a fresh sum for the pass, added to their ``.grad`` at the end, so
two passes give exactly twice one pass, as in torch. If the pass is
interrupted, every ``.grad`` it touched is put back as it was.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Iterator
from typing import Any

from .exact import MASKED, contribution
from .modes import AnomalyError, _state, gc_paused, pass_lock

__all__ = ["backward_steps", "run_backward", "topological_order", "walk"]

_walks = itertools.count(1)
_by_creation = operator.attrgetter("_seq")


def walk(root: Any, leaves: list[Any] | None = None, saved: list[float] | None = None) -> list[Any]:
    """The non-leaf nodes ``root`` depends on, in creation order (so ``root`` is last).

    An iterative search (no recursion limit) from the root: each node met is
    marked with this walk's number, so it is taken once; leaves are never
    searched from, and are appended to ``leaves`` when given. Sorting by
    creation gives a valid order for backward (a node is made after its
    parents) and torch's own. With ``saved``, each node's ``.grad`` is
    appended to it (in the order's order) and reset to 0.0. Call it under
    ``pass_lock``: marks are shared by every walk.
    """
    mark = next(_walks)
    root._mark = mark
    order = [root]
    take = order.append
    note_leaf = leaves.append if leaves is not None else _ignore
    stack = [root]
    push = stack.append
    pop = stack.pop
    while stack:
        n = pop()
        p = n._p0
        q = n._p1
        if p is None and q is None:  # a fused neuron: many parents
            for x in n._pn:
                if x._mark != mark:
                    x._mark = mark
                    if x._fn is None:
                        note_leaf(x)
                    else:
                        take(x)
                        push(x)
            continue
        if p is not None and p._mark != mark:
            p._mark = mark
            if p._fn is None:
                note_leaf(p)
            else:
                take(p)
                push(p)
        if q is not None and q._mark != mark:
            q._mark = mark
            if q._fn is None:
                note_leaf(q)
            else:
                take(q)
                push(q)
    order.sort(key=_by_creation)  # timsort: near-linear on the runs a search leaves
    if saved is not None:
        saved += [n.grad for n in order]
        for n in order:
            n.grad = 0.0
    return order


def _ignore(x: Any) -> None:
    pass


def propagate(order: list[Any]) -> None:
    """The hot loop: each node, last made first, adds ``grad * local`` into each parent."""
    for n in reversed(order):
        g = n.grad
        if g - g == 0.0:  # finite: a masked local multiplies to an exact zero anyway
            p = n._p0
            if p is not None:
                p.grad += g * n._l0
                q = n._p1
                if q is not None:
                    q.grad += g * n._l1
                continue
            q = n._p1
            if q is not None:
                q.grad += g * n._l1
                continue
            for x, loc in zip(n._pn, n._ln):  # a dead relu neuron has none: it passes 0
                x.grad += g * loc
        else:  # inf or nan: a masked local must give exactly 0, not inf * 0 = nan
            for p, loc in stored_edges(n):
                p.grad += contribution(g, loc)


def propagate_checked(order: list[Any]) -> None:
    """:func:`propagate` for anomaly mode: raise at the first nan a contribution creates."""
    for n in reversed(order):
        g = n.grad
        for i, (p, loc) in enumerate(stored_edges(n)):
            c = contribution(g, loc)
            if c != c and g == g and loc is not MASKED:
                raise_backward_nan(n, i, p, g, loc)
            p.grad += c


def stored_edges(n: Any) -> list[tuple[Any, Any]]:
    """A node's ``(parent, stored local gradient)`` pairs, in order."""
    if n._pn is not None:  # a fused neuron; no local gradients: a dead relu, all masked
        return list(zip(n._pn, n._ln)) if n._ln else [(p, MASKED) for p in n._pn]
    pairs = []
    if n._p0 is not None:
        pairs.append((n._p0, n._l0))
    if n._p1 is not None:
        pairs.append((n._p1, n._l1))
    return pairs


def raise_backward_nan(n: Any, i: int, p: Any, g: float, loc: Any) -> None:
    """Raise the AnomalyError that names where a nan first appeared in a backward pass."""
    raise AnomalyError(
        f"backward: {n._fn.name} (value {n.data!r}) passed nan to its operand "
        f"#{i} {p!r}: incoming gradient {g!r} times local derivative {float(loc)!r}"
    )


# ------------------------------------------------------------------ the pass


class _Pass:
    """One backward pass from a non-leaf root: its order, its leaves, and what it must restore."""

    def __init__(self, root: Any, g0: float) -> None:
        self.leaves: list[Any] = []
        self.inner_saved: list[float] = []
        self.order = walk(root, self.leaves, self.inner_saved)
        self.leaf_saved = [v.grad for v in self.leaves]
        for v in self.leaves:
            v.grad = -0.0  # the additive identity: the first contribution is kept exactly
        root.grad = g0

    def commit(self) -> None:
        """Add each leaf's total for this pass to what it held before (2 passes = exactly 2x)."""
        totals = [before + v.grad for v, before in zip(self.leaves, self.leaf_saved)]
        for v, total in zip(self.leaves, totals):
            v.grad = total

    def undo(self) -> None:
        """Put back every ``.grad`` the pass touched."""
        for n, before in zip(self.order, self.inner_saved):
            n.grad = before
        for v, before in zip(self.leaves, self.leaf_saved):
            v.grad = before


def run_backward(root: Any, g0: float) -> None:
    """``root.backward(g0)``: one pass, serialised with other passes, undone if interrupted."""
    if root._fn is None:  # a leaf: d(self)/d(self) = 1
        with pass_lock:
            root.grad += g0
        return
    with pass_lock:
        run = None
        try:
            run = _Pass(root, g0)
            with gc_paused():  # the walk allocates only floats: no cycles to find
                if _state.anomaly:
                    propagate_checked(run.order)
                else:
                    propagate(run.order)
            run.commit()
        except BaseException:
            if run is not None:
                run.undo()
            raise


def backward_steps(root: Any, grad: float = 1.0) -> Iterator[Any]:
    """Run ``root.backward(grad)`` one node at a time, for watching it happen.

    Yields each non-leaf node right after it has passed its gradient on to
    its parents, in the order ``backward`` uses (the root first). Once
    exhausted, the ``.grad`` fields are exactly those ``backward`` leaves; a
    loop left early leaves every ``.grad`` as it was.
    """
    from .value import Value, number

    if type(root) is not Value:
        raise TypeError(f"backward_steps: root must be a Value, not {type(root).__name__}")
    g0 = number(grad, "backward grad")
    if root._fn is None:
        root.grad += g0
        return
    with pass_lock:
        run = _Pass(root, g0)
        finished = False
        try:
            for n in reversed(run.order):
                propagate([n])
                yield n
            run.commit()
            finished = True
        finally:
            if not finished:
                run.undo()


def topological_order(root: Any) -> list[Any]:
    """Every node of ``root``'s graph, leaves included, each after the nodes it was computed from.

    Deterministic: the same graph gives the same order every run.
    """
    from .value import Value

    if type(root) is not Value:
        raise TypeError(f"topological_order: root must be a Value, not {type(root).__name__}")
    if root._fn is None:
        return [root]
    with pass_lock:
        inner = walk(root)
    order: list[Any] = []
    seen: set[int] = set()
    for n in inner:
        for p in n.inputs:  # operands, in order (numbers among them are skipped)
            if type(p) is Value and p._fn is None and id(p) not in seen:
                seen.add(id(p))
                order.append(p)
        order.append(n)
    return order
