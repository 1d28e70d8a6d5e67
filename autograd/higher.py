"""Chapter 6: higher order. ``grad``, and gradients that are graphs themselves.

``grad(output, inputs)`` is ``torch.autograd.grad``: the same walk as
``backward``, but the sums go into a dict and no ``.grad`` changes. With
``create_graph=True`` each local gradient comes from the op's rule run on the
graph namespace :data:`GRAPH` instead of on floats, so it is a Value, and so
is every gradient built from it: they can be differentiated again (second
derivatives, Hessians, Newton steps).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import _math
from ._exact import MASKED
from .backward import walk
from .modes import check_contributions, enable_grad, is_anomaly_enabled
from .ops import BY_NAME, DIV, LOG, POW, POW_SCALAR, SIGMOID, Op
from .value import Value, apply, number

__all__ = ["GRAPH", "grad"]

#: torch's ``where(cond, 0, expr)`` on a graph: value 0, and exactly 0 passed to ``expr``
#: (which still multiplies by its own local gradients: ``0 * inf`` is nan, as in torch).
WHERE_ZERO = Op("where", "where", lambda a: 0.0, lambda M, o, a: MASKED, formulas=("0",))
WHERE_ZERO.key = "where_zero"
BY_NAME["where_zero"] = WHERE_ZERO


def _is_value(x: Any) -> bool:
    return type(x) is Value


class _GraphMath:
    """The graph namespace: rules evaluated on Values (or numbers) give gradients as graphs."""

    @staticmethod
    def data(x: Any) -> float:
        return x.data if _is_value(x) else x

    @staticmethod
    def one_over(d: Any) -> Any:
        return apply(DIV, 1.0, d) if _is_value(d) else _math.div(1.0, d)

    divide_by = one_over

    @staticmethod
    def square(y: Any) -> Any:
        return y * y

    sign = staticmethod(_math.sign)

    @staticmethod
    def div(a: Any, b: Any) -> Any:
        return apply(DIV, a, b) if _is_value(a) or _is_value(b) else _math.div(a, b)

    @staticmethod
    def pow(a: Any, b: Any) -> Any:
        return apply(POW, a, b) if _is_value(a) or _is_value(b) else _math.pow(a, b)

    @staticmethod
    def pow_scalar(a: Any, c: float) -> Any:
        return apply(POW_SCALAR, a, c) if _is_value(a) else _math.pow_scalar(a, c)

    @staticmethod
    def log(a: Any) -> Any:
        return apply(LOG, a) if _is_value(a) else _math.log(a)

    @staticmethod
    def sigmoid(a: Any) -> Any:
        return apply(SIGMOID, a) if _is_value(a) else _math.sigmoid(a)

    @staticmethod
    def one_minus_square(y: Any) -> Any:
        return 1.0 - y * y

    @staticmethod
    def times(a: Any, b: Any) -> Any:
        return a * b

    @staticmethod
    def masked(expr: Callable[[], Any]) -> Any:
        e = expr()
        return apply(WHERE_ZERO, e) if _is_value(e) else MASKED

    zero = masked

    @staticmethod
    def float_rule(name: str, derivative: Callable[[float], float], a: Any) -> Any:
        raise TypeError(f"op {name!r} has no graph rule: create_graph cannot go through it")


#: The graph namespace (the float one is ``ops.FLOAT``).
GRAPH = _GraphMath()


def grad(
    output: Value,
    inputs: Value | Iterable[Value],
    grad_output: Value | float | int = 1.0,
    create_graph: bool = False,
) -> list[Value]:
    """d(output)/d(input) for each input, like ``torch.autograd.grad``; ``.grad`` is left alone.

    With ``create_graph=True`` the gradients are Values on a new graph (built
    from the same derivative rules as ``backward``), so they can be
    differentiated again: second derivatives, Hessians, Newton steps. An
    input that ``output`` does not depend on gets a gradient of 0.
    """
    if type(output) is not Value:
        raise TypeError(f"grad: output must be a Value, not {type(output).__name__}")
    if type(inputs) is Value:
        xs = [inputs]
    elif isinstance(inputs, Iterable) and not isinstance(inputs, str):
        xs = list(inputs)
    else:
        raise TypeError(f"grad: inputs must be a Value or Values, not {type(inputs).__name__}")
    for x in xs:
        if type(x) is not Value:
            raise TypeError(f"grad: inputs must be Values, not {type(x).__name__}")
    if type(grad_output) is not Value:
        grad_output = number(grad_output, "grad_output")
    elif not create_graph:
        grad_output = grad_output.data
    acc: dict[Value, Any] = {output: grad_output}
    if output._fn is not None:
        order, _ = walk(output)
        if create_graph:
            with enable_grad():
                _accumulate_graph(order, acc)
        else:
            _accumulate_floats(order, acc)
    result = []
    for x in xs:
        g = acc.get(x, 0.0)
        result.append(g if type(g) is Value else Value(g))
    return result


def _accumulate_floats(order: list[Value], acc: dict[Value, Any]) -> None:
    get = acc.get
    for n in reversed(order):
        g = get(n, 0.0)  # nothing received: only through a dead relu neuron, which passes 0
        for p, loc in zip(n._parents, n._locals):
            acc[p] = get(p, -0.0) + g * loc
    if is_anomaly_enabled():
        check_contributions(order, get)


def graph_rule(node: Value, M: Any) -> list[tuple[Value, Any]]:
    """``(parent, local gradient under namespace M)`` for each Value operand of ``node``."""
    own = getattr(node._fn, "graph_rule", None)  # the fused neuron's, a lecture-made op's
    if own is not None:
        return own(node, M)  # type: ignore[no-any-return]
    args = node._fn.inputs_of(node)  # type: ignore[union-attr]
    derivs = node._fn.derivs  # type: ignore[union-attr]
    return [(x, d(M, node, *args)) for x, d in zip(args, derivs) if type(x) is Value]  # type: ignore[misc]


def _accumulate_graph(order: list[Value], acc: dict[Value, Any]) -> None:
    get = acc.get
    for n in reversed(order):
        g = get(n)
        if g is None:
            continue
        for p, loc in graph_rule(n, GRAPH):
            c = 0.0 if loc is MASKED else g * loc
            prev = get(p)
            acc[p] = c if prev is None else prev + c
