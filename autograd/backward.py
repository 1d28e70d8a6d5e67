"""Chapter 3: backward. Sort the graph, then pass each node's gradient on to its parents.

``backward`` needs every node's gradient complete before that node passes it
on, so it first lists the nodes that the root depends on (:func:`walk`) and
then runs them root first, each node adding ``grad * local`` into each
parent (:func:`propagate`). The nodes run in decreasing creation order, which
is a valid order (a node is always made after its parents) and PyTorch's own:
a node used many times sums its contributions in the same order as torch, so
cancellations come out the same.

Leaves get a fresh sum for the pass, added to their ``.grad`` at the end, so
two passes give exactly twice one pass, as in torch. The pass saves every
``.grad`` it will change before changing any, and puts them back if it is
interrupted (Ctrl-C, an error). Passes run one at a time.
"""

from __future__ import annotations

import operator
import threading
from typing import Any

__all__ = ["backward", "held", "lock", "propagate", "walk"]

#: Held by every pass while it changes ``.grad`` fields: passes in several
#: threads may share leaves (one model, several graphs), so they take turns.
lock = threading.RLock()
#: The nodes of stepping passes that are under way (``steps.py``): another
#: pass must not change their ``.grad`` until the stepping pass is done.
held: set[Any] = set()


_HELD = (
    "backward: a backward_steps() pass over some of these nodes is under way; "
    "finish it or close() it first"
)


def walk(root: Any) -> tuple[list[Any], list[Any]]:
    """The nodes ``root`` depends on: the non-leaf ones in creation order (``root`` last),
    and the leaves. An iterative search (no recursion limit) that takes each node once."""
    order, leaves = [root], []
    seen, todo = {root}, [root]
    while todo:
        for p in todo.pop()._parents:
            if p not in seen:
                seen.add(p)
                if p._fn is None:
                    leaves.append(p)
                else:
                    order.append(p)
                    todo.append(p)
    order.sort(key=operator.attrgetter("_seq"))
    return order, leaves


def propagate(order: list[Any]) -> None:
    """The loop of backprop: each node, last made first, adds ``grad * local`` into each parent.

    (A dead relu neuron keeps its parents but no local gradients: it passes nothing.)
    """
    for n in reversed(order):
        g = n.grad
        for p, local in zip(n._parents, n._locals):
            p.grad += g * local


def backward(root: Any, grad: float, hooks: Any = None) -> None:
    """``root.backward(grad)``: one pass, all or nothing. ``hooks``: anomaly mode's check."""
    if root._fn is None:  # a leaf: d(self)/d(self) = 1
        with lock:
            if root in held:
                raise RuntimeError(_HELD)
            root.grad += grad
        return
    order, leaves = walk(root)
    with lock:
        if held and not held.isdisjoint(order + leaves):
            raise RuntimeError(_HELD)
        inner_before = [n.grad for n in order]
        leaf_before = [v.grad for v in leaves]
        try:
            for n in order:
                n.grad = 0.0
            for v in leaves:
                v.grad = -0.0  # the additive identity: the first contribution is kept exactly
            root.grad = grad
            propagate(order)
            if hooks is not None:
                hooks.check_pass(order)
            for v, before in zip(leaves, leaf_before):
                v.grad = before + v.grad
        except BaseException:
            for n, before in zip(order, inner_before):
                n.grad = before
            for v, before in zip(leaves, leaf_before):
                v.grad = before
            raise
