"""The scalar autograd engine: ``Value``, its operations, ``backward`` and ``grad``.

How it is built, and why (see the README's "Design" section for the figures):

* Every operation is declared once as an :class:`Op`: a float forward function
  with PyTorch float64 semantics and, for each operand, a derivative rule
  ``d(M, out, a, b)`` written against a small math namespace ``M``. With the
  float namespace the rule yields the local gradient as a number, computed
  once at forward time and stored on the node. With the graph namespace the
  very same rule yields it as a ``Value`` on a new graph, which is what
  ``grad(..., create_graph=True)`` differentiates again.
* A unary or binary node keeps its parents and their local gradients in
  slots (``_p0``/``_p1``, ``_l0``/``_l1``): one object per node for the
  garbage collector to track, and nothing to allocate when walking it. A
  fused n-ary node (``dense``) keeps lists there instead. There are no
  closures, so a graph holds no reference cycle and is freed by reference
  counting the moment it is dropped.
* ``backward`` sorts the graph iteratively (no recursion limit), in a
  deterministic order, pushing only non-leaf nodes; the leaves it meets get
  a fresh sum for the pass, added to their ``.grad`` at the end, so two
  passes give exactly twice one pass, as in torch.
* Where PyTorch masks a gradient with ``where`` (relu at or below zero, the
  base of ``x ** 0``), the local gradient is the sentinel ``MASKED``: it
  multiplies like ``0.0``, but an infinite or nan incoming gradient still
  yields exactly 0, as in PyTorch, instead of ``inf * 0 = nan``.
* Where PyTorch divides (``grad / x`` for log, sqrt and division), a local
  gradient too large or small for ``1/x`` to be exact divides when
  multiplied (:class:`_DivideBy`), so subnormal divisors give torch's numbers.
"""

from __future__ import annotations

import functools
import gc
import itertools
import numbers
import operator
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from . import _math

__all__ = [
    "MASKED",
    "AnomalyError",
    "Edge",
    "Op",
    "contribution",
    "backward_steps",
    "topological_order",
    "Value",
    "dense",
    "detect_anomaly",
    "gc_paused",
    "grad",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
]

Number = float | int

#: The local gradient of an operand that PyTorch masks with ``where``. It is a
#: float 0.0 (so the fast path multiplies it like one) recognised by identity.
MASKED: float = float("0.0")
_NAN = _math.NAN


class AnomalyError(RuntimeError):
    """Raised in anomaly mode where a nan first appears, forward or backward."""


# --------------------------------------------------------------------------- modes


class _State(threading.local):
    """Per-thread switches. ``fast`` is true when the plain path applies."""

    grad_enabled = True
    anomaly = False
    fast = True

    def update(self) -> None:
        self.fast = self.grad_enabled and not self.anomaly


_state = _State()


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()`` (on this thread)."""
    return _state.grad_enabled


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` (on this thread)."""
    return _state.anomaly


class _Switch:
    """A context manager that sets one per-thread switch and restores it on exit."""

    _attr = ""
    _value = False

    def __init__(self) -> None:
        self._saved: list[bool] = []

    def __enter__(self) -> _Switch:
        self._saved.append(getattr(_state, self._attr))
        setattr(_state, self._attr, self._value)
        _state.update()
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(_state, self._attr, self._saved.pop())
        _state.update()

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Use as a decorator: ``fn`` runs inside this context on every call."""
        switch = type(self)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with switch():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_Switch):  # noqa: N801 - named like torch.no_grad
    """Context manager: operations inside record no graph (results are leaves).

    The switch is per thread: another thread keeps recording.
    """

    _attr = "grad_enabled"
    _value = False


class _enable_grad(_Switch):  # noqa: N801
    _attr = "grad_enabled"
    _value = True


class detect_anomaly(_Switch):  # noqa: N801 - named like torch.autograd.detect_anomaly
    """Context manager: raise :class:`AnomalyError` where a nan first appears.

    Forward: an operation whose operands hold no nan but whose result is nan.
    Backward: a gradient contribution that is nan although the incoming
    gradient was not. The message names the operation and its operands.
    """

    _attr = "anomaly"
    _value = True


class gc_paused:  # noqa: N801 - a context manager, named like one
    """Context manager: pause Python's cyclic garbage collector, restoring it on exit.

    Value graphs hold no reference cycles (no closures, no back-references),
    so reference counting frees them the moment they are dropped and the
    cyclic collector never finds anything in them. It still scans every node
    of a large live graph on each full collection, which makes building a
    1,000,000-node graph ~1.6x slower than it need be. The engine never
    changes the collector process-wide on its own (your program may rely on
    it for its own cycles); ``backward()`` pauses it only for its own walk.
    Wrap graph building in ``gc_paused()`` when you build very large graphs;
    the training helpers do so per step. The collector is process-wide: this
    pauses it for every thread.
    """

    def __enter__(self) -> gc_paused:
        self._was_enabled = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._was_enabled:
            gc.enable()


# ----------------------------------------------------------------- math namespaces


class _DivideBy(float):
    """A local gradient ``1/d`` that divides when multiplied: ``g * local`` is ``g / d``.

    Torch computes these gradients as ``grad / d``. For most ``d`` that equals
    ``grad * (1/d)`` up to rounding, but ``1/d`` overflows for subnormal ``d``
    (and loses precision for huge ``d``) where ``grad / d`` need not. The float
    value is ``1/d``, so it reads and prints as the local derivative.
    """

    __slots__ = ("divisor",)
    divisor: float

    def __rmul__(self, g: float) -> float:  # type: ignore[override]
        return _math.div(g, self.divisor)

    __mul__ = __rmul__  # type: ignore[assignment]


class _TwoFactors(float):
    """A local gradient ``a * b`` applied as torch applies it: ``g * local`` is ``(g * a) * b``.

    For ``c / t`` torch multiplies ``-(grad * c)`` by ``reciprocal(t) ** 2``;
    grouping it the other way can overflow (or vanish) where torch's does not.
    """

    __slots__ = ("a", "b")
    a: float
    b: float

    def __rmul__(self, g: float) -> float:  # type: ignore[override]
        return (g * self.a) * self.b

    __mul__ = __rmul__  # type: ignore[assignment]


def _reciprocal(d: float) -> float:
    """The local gradient ``1/d``: a plain float where that is exact enough, else a _DivideBy."""
    if 5.6e-309 < abs(d) < 4.0e307:  # 1/d is a normal float: g * (1/d) rounds like g / d
        return 1.0 / d
    r = float.__new__(_DivideBy, _math.div(1.0, d))
    r.divisor = d
    return r


class _FloatMath:
    """Rules evaluated on floats: the local gradients stored at forward time."""

    recip = staticmethod(_reciprocal)

    div = staticmethod(_math.div)
    pow = staticmethod(_math.pow)
    pow_scalar = staticmethod(_math.pow_scalar)
    log = staticmethod(_math.log)

    @staticmethod
    def data(x: float) -> float:
        return x


class _GraphMath:
    """Rules evaluated on Values (or constants): gradients that are graphs themselves."""

    @staticmethod
    def recip(d: Any) -> Any:
        return _apply(DIV, 1.0, d) if type(d) is Value else _math.div(1.0, d)

    @staticmethod
    def div(a: Any, b: Any) -> Any:
        if type(a) is Value or type(b) is Value:
            return _apply(DIV, a, b)
        return _math.div(a, b)

    @staticmethod
    def pow(a: Any, b: Any) -> Any:
        if type(a) is Value or type(b) is Value:
            return _apply(POW, a, b)
        return _math.pow(a, b)

    @staticmethod
    def pow_scalar(a: Any, c: float) -> Any:
        if type(a) is Value:
            return _apply(POW_SCALAR, a, c)
        return _math.pow_scalar(a, c)

    @staticmethod
    def log(a: Any) -> Any:
        return _apply(LOG, a) if type(a) is Value else _math.log(a)

    @staticmethod
    def data(x: Any) -> float:
        return x.data if type(x) is Value else x


# ------------------------------------------------------------------------- ops


class Op:
    """One operation: its float forward and one derivative rule per operand.

    ``derivs[i](M, out, *args)`` returns d(out)/d(args[i]) where ``args`` and
    ``out`` are floats when ``M`` is the float namespace and Values (or
    constants) when it is the graph namespace. Return ``MASKED`` where
    PyTorch masks the gradient to an exact zero.
    """

    __slots__ = ("name", "symbol", "forward", "derivs", "formulas")

    def __init__(
        self,
        name: str,
        symbol: str,
        forward: Callable[..., float],
        *derivs: Callable[..., Any] | None,
        formulas: Sequence[str] = (),
    ) -> None:
        self.name = name
        self.symbol = symbol
        self.forward = forward
        #: One rule per operand; None for an operand that is always a constant.
        self.derivs = derivs
        #: One display formula per operand for d(out)/d(operand), written with
        #: ``{a}``, ``{b}`` for the operands and ``{out}`` for the result.
        self.formulas = tuple(formulas)

    def __call__(self, *args: Value | Number) -> Value:
        """Apply this op to Values or numbers (at least one Value) and record the node."""
        if len(args) != len(self.derivs):
            raise TypeError(f"op {self.name!r} takes {len(self.derivs)} operands, got {len(args)}")
        xs = [a if type(a) is Value else _number(a, f"operand of {self.name}") for a in args]
        if not any(type(a) is Value for a in xs):
            raise TypeError(f"op {self.name!r} needs at least one Value operand")
        for a, d in zip(xs, self.derivs):
            if d is None and type(a) is Value:
                raise TypeError(f"op {self.name!r} takes a number, not a Value, there")
        return _apply(self, *xs)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def derivatives(self, *args: Number) -> tuple[float, ...]:
        """The local gradients d(out)/d(args[i]) at numbers, as ``backward`` stores them.

        Plain floats; 0.0 for an operand that is always a constant.
        """
        if len(args) != len(self.derivs):
            raise TypeError(f"op {self.name!r} takes {len(self.derivs)} operands, got {len(args)}")
        xs = [_number(a, f"operand of {self.name}") for a in args]
        out = self.forward(*xs)
        return tuple(
            0.0 if d is None else float(d(_FloatMath, out, *xs))  # type: ignore[misc]
            for d in self.derivs
        )

    @classmethod
    def unary(
        cls,
        name: str,
        forward: Callable[[float], float],
        derivative: Callable[[float], float],
        *,
        symbol: str = "",
        formula: str = "",
    ) -> Op:
        """An op of one operand from two float functions: ``forward(x)`` and ``derivative(x)``.

        ``op(v)`` applies it to a Value and ``backward`` uses ``derivative``.
        Such an op has no graph rule, so ``grad(..., create_graph=True)``
        through it raises a TypeError. ``formula`` shows the derivative, with
        ``{a}`` for the operand (``"cos({a})"``).
        """
        if not callable(forward) or not callable(derivative):
            raise TypeError("Op.unary: forward and derivative must be callables")

        def rule(M: Any, out: Any, a: Any) -> Any:
            if M is not _FloatMath:
                raise TypeError(f"op {name!r} has no graph rule: create_graph cannot go through it")
            return float(derivative(a))

        return cls(name, symbol or name, lambda x: float(forward(x)), rule, formulas=(formula,))


def _d_pow_scalar(M: Any, out: Any, x: Any, c: float) -> Any:
    return MASKED if c == 0.0 else c * M.pow_scalar(x, c - 1.0)


def _d_pow_base(M: Any, out: Any, x: Any, y: Any) -> Any:
    return MASKED if M.data(y) == 0.0 else y * M.pow(x, y - 1.0)


def _d_pow_exponent(M: Any, out: Any, x: Any, y: Any) -> Any:
    # torch: grad * where(x == 0 & y >= 0, 0, out * log(x)): a plain zero, so an
    # infinite incoming gradient still gives nan, unlike the base's mask.
    if M.data(x) == 0.0 and M.data(y) >= 0.0:
        return 0.0
    return out * M.log(x)


def _rdiv(c: float, t: float) -> float:
    """``c / t`` as torch evaluates a number divided by a tensor: ``reciprocal(t) * c``."""
    return _math.div(1.0, t) * c


def _d_rdiv(M: Any, out: Any, c: float, t: Any) -> Any:
    if M is _GraphMath:
        r = M.recip(t)
        return -(c * (r * r))
    r = _math.div(1.0, t)
    local = float.__new__(_TwoFactors, -(c * (r * r)))
    local.a = -c
    local.b = r * r
    return local


ADD = Op(
    "add", "+", operator.add, lambda M, o, a, b: 1.0, lambda M, o, a, b: 1.0, formulas=("1", "1")
)
SUB = Op(
    "sub", "-", operator.sub, lambda M, o, a, b: 1.0, lambda M, o, a, b: -1.0, formulas=("1", "−1")
)
MUL = Op(
    "mul", "*", operator.mul, lambda M, o, a, b: b, lambda M, o, a, b: a, formulas=("{b}", "{a}")
)
DIV = Op(
    "div",
    "/",
    _math.div,
    lambda M, o, a, b: M.recip(b),
    lambda M, o, a, b: -M.div(o, b),
    formulas=("1/{b}", "−{out}/{b}"),
)
RDIV = Op("div", "/", _rdiv, None, _d_rdiv, formulas=("", "−{a}/{b}²"))  # number / Value
POW = Op(
    "pow",
    "**",
    _math.pow,
    _d_pow_base,
    _d_pow_exponent,
    formulas=("{b}·{a}^({b}−1)", "{out}·ln({a})"),
)
POW_SCALAR = Op(
    "pow", "**", _math.pow_scalar, _d_pow_scalar, None, formulas=("{b}·{a}^({b}−1)", "")
)
NEG = Op("neg", "-", operator.neg, lambda M, o, a: -1.0, formulas=("−1",))
ABS = Op("abs", "abs", abs, lambda M, o, a: _math.sign(M.data(a)), formulas=("sign({a})",))
EXP = Op("exp", "exp", _math.exp, lambda M, o, a: o, formulas=("exp({a}) = {out}",))
LOG = Op("log", "log", _math.log, lambda M, o, a: M.recip(a), formulas=("1/{a}",))
SQRT = Op("sqrt", "sqrt", _math.sqrt, lambda M, o, a: M.recip(2.0 * o), formulas=("1/(2·{out})",))
TANH = Op("tanh", "tanh", _math.tanh, lambda M, o, a: 1.0 - o * o, formulas=("1 − {out}²",))
SIGMOID = Op(
    "sigmoid", "σ", _math.sigmoid, lambda M, o, a: o * (1.0 - o), formulas=("{out}·(1 − {out})",)
)
RELU = Op(
    "relu",
    "relu",
    _math.relu,
    lambda M, o, a: MASKED if M.data(a) <= 0.0 else 1.0,
    formulas=("1 if {a} > 0 else 0",),
)
# The fused weighted sum of ``dense``; its derivative rule is _linear_pairs.
LINEAR = Op("linear", "Σw·x+b", lambda *a: _NAN)
LINEAR_RELU = Op("linear_relu", "relu(Σw·x+b)", lambda *a: _NAN)


# ----------------------------------------------------------------------- Value


def _number(x: object, what: str) -> float:
    """``x`` as a float if it is a real number, else a TypeError naming its type."""
    if type(x) is float:
        return x  # type: ignore[return-value]
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    if isinstance(x, Value):
        raise TypeError(f"{what} must be a real number, not a Value (use value.data)")
    raise TypeError(f"{what} must be a real number (int or float), not {type(x).__name__}")


def _operand(x: object) -> Value | float | None:
    """A binary op's other operand as a Value or a float; None if unsupported."""
    if type(x) is Value or type(x) is float:
        return x  # type: ignore[return-value]
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    return None


def _const_text(x: float) -> str:
    """A constant operand as a formula shows it: ``3`` for 3.0, else its repr."""
    return str(int(x)) if x == int(x) and abs(x) < 1e15 else repr(x)


def _power_formula(c: float) -> str:
    """d(a ** c)/da for a constant ``c``, written the way a learner would: ``2·{a}``, ``3·{a}²``."""
    if c == 0.0:
        return "0"
    if c == 1.0:
        return "1"
    if c == 2.0:
        return "2·{a}"
    power = {3.0: "²", 4.0: "³"}.get(c)
    if power is not None:
        return f"{_const_text(c)}·{{a}}{power}"
    return f"{_const_text(c)}·{{a}}^{_const_text(c - 1.0)}"


class _Names(dict):
    """Formula placeholders: a missing name shows as itself."""

    def __missing__(self, key: str) -> str:
        return key


class Edge:
    """One edge that ``backward`` walks: ``node`` passes gradient to ``parent``.

    ``local`` is d(node)/d(parent) as a plain float; :meth:`contribution`
    applies it to an incoming gradient exactly as ``backward`` does (including
    PyTorch's masking, where an infinite gradient through relu's dead side
    still gives 0); :meth:`formula` says it in symbols, e.g. ``1 − out²``.
    ``operand`` names the position: ``a``/``b`` (``w1``, ``x1``, ``b`` for a
    fused neuron).
    """

    __slots__ = ("parent", "operand", "node", "_local", "_template")

    def __init__(self, parent: Value, local: Any, operand: str, template: str, node: Value):
        self.parent = parent
        self.operand = operand
        self.node = node
        self._local = local
        self._template = template

    @property
    def local(self) -> float:
        """d(node)/d(parent) at this point, as a plain float."""
        return float(self._local)

    def contribution(self, g: float) -> float:
        """What this edge adds to ``parent``'s gradient when ``node``'s gradient is ``g``."""
        return contribution(g, self._local)

    def formula(self, **names: str) -> str:
        """The local derivative as a formula; ``names`` replace the symbols (``a``, ``out``...).

        Constant operands are filled in by default (``x * 3`` gives ``3`` for ``x``).
        """
        defaults = _Names(out="out")
        node = self.node
        if node._op is not LINEAR and node._op is not LINEAR_RELU and node._arg is not None:
            const = "b" if node._l1 == 0 else "a"
            defaults[const] = _const_text(node._arg)
        defaults.update(names)
        return self._template.format_map(defaults)

    def __repr__(self) -> str:
        return f"Edge({self.operand}: local={self.local!r}, formula={self.formula()!r})"


def contribution(g: float, local: Any) -> float:
    """``g * local`` as backward adds it: a masked local gives exactly 0 even for inf/nan ``g``."""
    if local is MASKED and g - g != 0.0:
        return 0.0
    return g * local


_new = object.__new__
_pass_counter = itertools.count(1)


class Value:
    """A scalar in a computation graph: its ``data``, its ``grad`` and how it was made.

    ``Value(2.0, label="a")`` is a leaf. Arithmetic with Values (or numbers on
    either side) builds the graph; ``backward()`` fills ``.grad`` on every node.
    """

    # _op: the Op (None for a leaf). _p0/_p1: the parent Values (_p1 None when
    # there is one); _l0/_l1: their local gradients. _arg: the constant
    # operand of a binary op (then _l1 holds the position, 0 or 1, of the
    # Value operand). A fused node (``dense``) keeps lists of parents and
    # local gradients in _p0/_l0 and, in the slots the walk never reads for
    # it, its operands: weights in _arg, inputs in _p1, bias in _l1 (no
    # extra object per node). _mark: the last walk that visited this node.
    __slots__ = ("data", "grad", "label", "_op", "_p0", "_p1", "_l0", "_l1", "_arg", "_mark")

    data: float
    grad: float
    label: str

    def __init__(self, data: Number, label: str = "") -> None:
        if type(label) is not str:
            raise TypeError(f"label must be a str, not {type(label).__name__}")
        self.data = _number(data, "Value data")
        self.grad = 0.0
        self.label = label
        self._op: Op | None = None
        self._p0: Any = None
        self._p1: Value | None = None
        self._l0: Any = None
        self._l1: Any = None
        self._arg: Any = None
        self._mark = 0

    # -- introspection -----------------------------------------------------

    @property
    def op(self) -> str:
        """The symbol of the operation that made this node; ``""`` for a leaf."""
        return self._op.symbol if self._op is not None else ""

    @property
    def op_name(self) -> str:
        """The operation's name (``"mul"``, ``"tanh"``); ``""`` for a leaf."""
        return self._op.name if self._op is not None else ""

    @property
    def is_leaf(self) -> bool:
        """True for a Value made by hand (or under ``no_grad``), not by an operation."""
        return self._op is None

    @property
    def inputs(self) -> tuple[Value | float, ...]:
        """The operands this node was computed from, constants included, in order.

        For a fused ``dense`` neuron: its weights, then its inputs, then its bias.
        """
        op = self._op
        if op is None:
            return ()
        if op is LINEAR or op is LINEAR_RELU:
            return (*self._arg, *self._p1, self._l1)
        if self._p1 is not None:
            return (self._p0, self._p1)
        if len(op.derivs) == 1:
            return (self._p0,)
        return (self._p0, self._arg) if self._l1 == 0 else (self._arg, self._p0)

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values among :attr:`inputs` (each once, in order of first use)."""
        return tuple(dict.fromkeys(x for x in self.inputs if type(x) is Value))

    @property
    def local_grads(self) -> list[tuple[Value, float]]:
        """The edges ``backward`` uses: ``(parent, d(self)/d(parent))`` pairs, in order.

        A parent used twice appears twice (``x * x``). A dead relu neuron of
        ``dense`` lists no leaf parents: they would receive an exact zero.
        """
        return list(zip(*_edges(self)))

    @property
    def dense_parts(self) -> tuple[Sequence[Value], tuple, Value | float] | None:
        """For a fused :func:`dense` neuron, its ``(weights, inputs, bias)``; else None."""
        if self._op is LINEAR or self._op is LINEAR_RELU:
            return self._arg, self._p1, self._l1
        return None

    @property
    def edges(self) -> list[Edge]:
        """This node's operands that are Values, each as an :class:`Edge` (local gradient, formula).

        One edge per operand position, in the order of :attr:`inputs` (``x * x``
        has two). For a fused :func:`dense` neuron: ``w1, x1, w2, x2, ..., bias``
        (inputs that are numbers have no edge).
        """
        op = self._op
        if op is None:
            return []
        if op is LINEAR or op is LINEAR_RELU:
            xs, b = self._p1, self._l1
            out: list[Edge] = []
            pairs = iter(_linear_pairs(self, _FloatMath))
            dead = op is LINEAR_RELU and self.data == 0.0
            for i, x in enumerate(xs, 1):
                out.append(Edge(*next(pairs), f"w{i}", "0" if dead else f"{{x{i}}}", self))
                if type(x) is Value:
                    out.append(Edge(*next(pairs), f"x{i}", "0" if dead else f"{{w{i}}}", self))
            if type(b) is Value:
                out.append(Edge(*next(pairs), "b", "0" if dead else "1", self))
            return out
        ps, ls = _edges(self)
        if self._p1 is not None:
            names = ("a", "b")
        elif len(op.derivs) == 1:
            names = ("a",)
        else:
            names = ("a",) if self._l1 == 0 else ("b",)
        result = []
        for p, loc, name in zip(ps, ls, names):
            template = op.formulas["ab".index(name)] if op.formulas else ""
            if op is POW_SCALAR:
                template = _power_formula(self._arg)
            result.append(Edge(p, loc, name, template, self))
        return result

    def __repr__(self) -> str:
        parts = [f"data={self.data!r}", f"grad={self.grad!r}"]
        if self._op is not None:
            parts.append(f"op={self._op.symbol!r}")
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Value({', '.join(parts)})"

    def __float__(self) -> float:
        return self.data

    # -- arithmetic ----------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _apply(ADD, self, o)

    def __radd__(self, other: Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _apply(ADD, o, self)

    def __sub__(self, other: Value | Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _apply(SUB, self, o)

    def __rsub__(self, other: Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _apply(SUB, o, self)

    def __mul__(self, other: Value | Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _apply(MUL, self, o)

    def __rmul__(self, other: Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _apply(MUL, o, self)

    def __truediv__(self, other: Value | Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _apply(DIV, self, o)

    def __rtruediv__(self, other: Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _apply(RDIV, o, self)

    def __pow__(self, other: Value | Number, modulo: None = None) -> Value:
        if modulo is not None:
            raise TypeError("pow() with a modulus is not supported for Value")
        o = _operand(other)
        if o is None:
            return NotImplemented
        return _apply(POW, self, o) if type(o) is Value else _apply(POW_SCALAR, self, o)

    def __rpow__(self, other: Number) -> Value:
        o = _operand(other)
        return NotImplemented if o is None else _apply(POW, o, self)

    def __neg__(self) -> Value:
        return _apply(NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _apply(ABS, self)

    def exp(self) -> Value:
        """``e ** self``; ``inf`` on overflow, as in torch."""
        return _apply(EXP, self)

    def log(self) -> Value:
        """Natural log; ``-inf`` at 0 and ``nan`` below, as in torch."""
        return _apply(LOG, self)

    def sqrt(self) -> Value:
        """Square root; gradient ``inf`` at 0, ``nan`` below 0."""
        return _apply(SQRT, self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return _apply(TANH, self)

    def sigmoid(self) -> Value:
        """Logistic sigmoid ``1 / (1 + exp(-x))``."""
        return _apply(SIGMOID, self)

    def relu(self) -> Value:
        """``max(0, x)``; gradient 0 at and below 0 (and 1 at nan), as in torch."""
        return _apply(RELU, self)

    # -- differentiation ---------------------------------------------------------

    def backward(self, grad: Number = 1.0) -> None:
        """Fill ``.grad`` of every node of this graph with d(self)/d(node), times ``grad``.

        Leaves accumulate (a second call adds the same amount again, like torch
        with ``retain_graph=True``); every other node's ``.grad`` is reset at
        the start of each call, so it holds this call's gradient and no earlier
        call's gradient is ever propagated twice.
        """
        g0 = _number(grad, "backward grad")
        if self._op is None:  # a leaf: d(self)/d(self) = 1
            self.grad += g0
            return
        order, leaves, saved = _begin_pass(self, g0)
        try:
            with gc_paused():  # the walk allocates only floats: no cycles to find
                if _state.anomaly:
                    _backward_checked(order)
                else:
                    _backward(order)
        finally:
            _end_pass(leaves, saved)


# ---------------------------------------------------------------- node creation


def _apply(op: Op, a: Value | float, b: Value | float | None = None) -> Value:
    """Compute ``op`` on Values or floats and record the node (unary when ``b`` is None)."""
    out = _new(Value)
    out.grad = 0.0
    out.label = ""
    out._mark = 0
    if b is None:
        ad = a.data  # type: ignore[union-attr]
        d = op.forward(ad)
        out.data = d
        if _state.fast:
            out._op = op
            out._p0 = a
            out._p1 = None
            out._l0 = op.derivs[0](_FloatMath, d, ad)  # type: ignore[misc]
            out._l1 = None
            out._arg = None
            return out
        return _finish_slow(out, op, (a,), (ad,))
    ta = type(a) is Value
    tb = type(b) is Value
    ad = a.data if ta else a  # type: ignore[union-attr]
    bd = b.data if tb else b  # type: ignore[union-attr]
    d = op.forward(ad, bd)
    out.data = d
    if _state.fast:
        out._op = op
        da, db = op.derivs
        if ta and tb:
            out._p0 = a
            out._p1 = b
            out._l0 = da(_FloatMath, d, ad, bd)  # type: ignore[misc]
            out._l1 = db(_FloatMath, d, ad, bd)  # type: ignore[misc]
            out._arg = None
        elif ta:
            out._p0 = a
            out._p1 = None
            out._l0 = da(_FloatMath, d, ad, bd)  # type: ignore[misc]
            out._l1 = 0
            out._arg = b
        else:
            out._p0 = b
            out._p1 = None
            out._l0 = db(_FloatMath, d, ad, bd)  # type: ignore[misc]
            out._l1 = 1
            out._arg = a
        return out
    return _finish_slow(out, op, (a, b), (ad, bd))


def _make_leaf(out: Value) -> Value:
    out._op = None
    out._p0 = out._p1 = out._l0 = out._l1 = out._arg = None
    return out


def _finish_slow(out: Value, op: Op, args: tuple, datas: tuple) -> Value:
    """The no_grad / anomaly path of ``_apply``."""
    d = out.data
    if _state.anomaly and d != d and all(x == x for x in datas):
        shown = ", ".join(repr(x) for x in args)
        raise AnomalyError(f"forward: {op.name}({shown}) produced nan from operands without nan")
    if not _state.grad_enabled:
        return _make_leaf(out)
    out._op = op
    out._p1 = out._l1 = out._arg = None
    locals_ = [
        op.derivs[i](_FloatMath, d, *datas) if type(x) is Value else None  # type: ignore[misc]
        for i, x in enumerate(args)
    ]
    if len(args) == 1 or (type(args[0]) is Value and type(args[1]) is Value):
        out._p0, out._l0 = args[0], locals_[0]
        if len(args) == 2:
            out._p1, out._l1 = args[1], locals_[1]
    else:
        i = 0 if type(args[0]) is Value else 1
        out._p0, out._l0, out._l1, out._arg = args[i], locals_[i], i, args[1 - i]
    return out


def dense(
    rows: Sequence[Sequence[Value]],
    biases: Sequence[Value | Number | None],
    inputs: Sequence[Value | Number],
    relu: bool = False,
) -> list[Value]:
    """One fused node per row: ``relu?(sum_i row[i] * inputs[i] + bias)``.

    This is a layer of neurons at the cost of one graph node per neuron
    instead of ``2n``. Weights must be Values; inputs may be Values or plain
    numbers (numbers are constants and get no gradient); a bias may be a
    Value, a number or None. With ``relu=True`` the activation is fused in
    too. Gradients equal those of the same expression built op by op in
    torch float64 (up to the rounding of the sum). The inputs are read once
    for all rows.
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
            xd.append(_number(x, "dense input"))
    all_values = len(xv) == len(xs)
    op = LINEAR_RELU if relu else LINEAR
    fast = _state.fast
    # A dead relu neuron (pre-activation finite and <= 0): torch masks its
    # gradient to zero, so every operand receives an exact zero. Leaves gain
    # nothing from that; non-leaf inputs stay attached with MASKED so that
    # the walk (and what reaches their own parents) is exactly torch's.
    inner = [x for x in xv if x._op is not None]
    inner_masked = (MASKED,) * len(inner)
    mul = operator.mul
    outs = []
    for row, b in zip(rows, biases):
        if len(row) != len(xs):
            raise ValueError(f"dense: a row of {len(row)} weights for {len(xs)} inputs")
        wd = []
        keep = wd.append
        for w in row:
            if type(w) is not Value:
                raise TypeError(f"dense weights must be Values, not {type(w).__name__}")
            keep(w.data)
        z = sum(map(mul, wd, xd))
        if b is None:
            b = 0.0
        tbias = type(b) is Value
        if tbias:
            z += b.data  # type: ignore[union-attr]
        else:
            b = _number(b, "dense bias")
            z += b
        out = _new(Value)
        out.grad = 0.0
        out.label = ""
        out._mark = 0
        dead = relu and z <= 0.0
        out.data = (0.0 if z < 0.0 else z) if dead else z
        if not fast:
            _finish_dense_slow(out, op, row, xs, b, wd, xd)
            outs.append(out)
            continue
        out._op = op
        out._arg = row
        out._p1 = xs
        out._l1 = b
        if dead:
            if z - z == 0.0:  # finite
                if tbias and b._op is not None:  # type: ignore[union-attr]
                    out._p0 = [*inner, b]
                    out._l0 = (*inner_masked, MASKED)
                else:
                    out._p0 = inner
                    out._l0 = inner_masked
            else:
                pairs = _linear_pairs(out, _FloatMath)
                out._p0 = [p for p, _ in pairs]
                out._l0 = [loc for _, loc in pairs]
        else:
            if not all_values:  # weights of Value inputs only
                wd = [w for w, x in zip(wd, xs) if type(x) is Value] if xv else []
            # Local gradients in a tuple of floats: the collector untracks it
            # at its first pass, so it never weighs on later collections.
            if tbias:
                out._p0 = [*row, *xv, b]
                out._l0 = (*xd, *wd, 1.0)
            else:
                out._p0 = [*row, *xv]
                out._l0 = (*xd, *wd)
        outs.append(out)
    return outs


def _finish_dense_slow(
    out: Value, op: Op, row: Sequence[Value], xs: tuple, b: Any, wd: list, xd: list
) -> None:
    """The no_grad / anomaly path of ``dense``."""
    d = out.data
    bd = b.data if type(b) is Value else b
    if _state.anomaly and d != d and all(v == v for v in wd + xd) and bd == bd:
        raise AnomalyError(
            f"forward: {op.name} of weights {wd}, inputs {xd}, bias {bd!r} produced nan"
        )
    if not _state.grad_enabled:
        _make_leaf(out)
        return
    out._op = op
    out._arg = row
    out._p1 = xs
    out._l1 = b
    pairs = _linear_pairs(out, _FloatMath)
    out._p0 = [p for p, _ in pairs]
    out._l0 = [loc for _, loc in pairs]


def _linear_pairs(node: Value, M: Any) -> list[tuple[Value, Any]]:
    """The fused neuron's derivative rule: d/dw_i = x_i, d/dx_i = w_i, d/db = 1.

    For a dead relu neuron torch masks the sum's gradient to zero, then
    multiplies: each operand receives ``0 * partner`` (nan for an infinite
    or nan partner, else an exact zero: MASKED).
    """
    row, xs, b = node._arg, node._p1, node._l1
    dead = node._op is LINEAR_RELU and node.data == 0.0
    pairs: list[tuple[Value, Any]] = []

    def local(partner: Any) -> Any:
        pd = partner.data if type(partner) is Value else partner
        if not dead:
            return partner if M is _GraphMath else pd
        return MASKED if pd - pd == 0.0 else _NAN

    for w, x in zip(row, xs):
        pairs.append((w, local(x)))
        if type(x) is Value:
            pairs.append((x, local(w)))
    if type(b) is Value:
        pairs.append((b, MASKED if dead else 1.0))
    return pairs


# ---------------------------------------------------------------- backward


def _edges(n: Value) -> tuple[Sequence[Value], Sequence[Any]]:
    """A node's parents and their local gradients as two sequences (for slow paths)."""
    p = n._p0
    if p is None:
        return (), ()
    if type(p) is Value:
        if n._p1 is None:
            return (p,), (n._l0,)
        return (p, n._p1), (n._l0, n._l1)
    return p, n._l0


def _topo(root: Value, reset: bool, leaves: list[Value] | None = None) -> list[Value]:
    """Non-leaf nodes reachable from ``root``, each after all of its parents.

    Iterative depth-first post-order (no recursion limit, deterministic);
    leaves are never pushed. With ``reset`` every node found gets ``.grad = 0.0``.
    The leaves found are appended to ``leaves`` when it is given.
    """
    enter = next(_pass_counter) * 2
    done = enter + 1
    order: list[Value] = []
    emit = order.append
    note_leaf = leaves.append if leaves is not None else None
    stack = [root]
    push = stack.append
    pop = stack.pop
    while stack:
        n = stack[-1]
        m = n._mark
        if m == enter:
            pop()
            n._mark = done
            if reset:
                n.grad = 0.0
            emit(n)
        elif m == done:
            pop()
        else:
            n._mark = enter
            p = n._p0
            if type(p) is Value:
                q = n._p1
                if q is not None and q._mark < enter:
                    if q._op is not None:
                        push(q)
                    elif note_leaf is not None:
                        q._mark = done
                        note_leaf(q)
                if p._mark < enter:
                    if p._op is not None:
                        push(p)
                    elif note_leaf is not None:
                        p._mark = done
                        note_leaf(p)
            else:
                for x in reversed(p):
                    if x._mark < enter:
                        if x._op is not None:
                            push(x)
                        elif note_leaf is not None:
                            x._mark = done
                            note_leaf(x)
    return order


def backward_steps(root: Value, grad: Number = 1.0) -> Iterator[Value]:
    """Run ``root.backward(grad)`` one node at a time, for watching it happen.

    Yields each non-leaf node right after it has passed its gradient on to
    its parents, in the order ``backward`` uses (the root first). The
    ``.grad`` fields are exactly those ``backward`` leaves once exhausted.
    """
    if type(root) is not Value:
        raise TypeError(f"backward_steps: root must be a Value, not {type(root).__name__}")
    g0 = _number(grad, "backward grad")
    if root._op is None:
        root.grad += g0
        return
    order, leaves, saved = _begin_pass(root, g0)
    try:
        for n in reversed(order):
            _backward([n])
            yield n
    finally:
        _end_pass(leaves, saved)


def topological_order(root: Value) -> list[Value]:
    """Every node of ``root``'s graph, leaves included, each after the nodes it was computed from.

    Deterministic: the same graph gives the same order every run.
    """
    if type(root) is not Value:
        raise TypeError(f"topological_order: root must be a Value, not {type(root).__name__}")
    order: list[Value] = []
    seen: set[int] = set()
    for n in [root] if root._op is None else _topo(root, reset=False):
        for p in n.parents:
            if p._op is None and id(p) not in seen:
                seen.add(id(p))
                order.append(p)
        order.append(n)
    return order


def _begin_pass(root: Value, g0: float) -> tuple[list[Value], list[Value], list[float]]:
    """Start a backward pass from a non-leaf ``root``: its order, its leaves, their saved grads.

    Sorts the graph (resetting non-leaf ``.grad``), seeds the root with ``g0``
    and gives each leaf a fresh sum for the pass; ``_end_pass`` finishes it.
    """
    leaves: list[Value] = []
    order = _topo(root, reset=True, leaves=leaves)
    root.grad = g0
    return order, leaves, _start_pass(leaves)


def _start_pass(leaves: list[Value]) -> list[float]:
    """Give each leaf a fresh sum for this pass (torch adds a pass's total to ``.grad``)."""
    saved = [v.grad for v in leaves]
    for v in leaves:
        v.grad = -0.0  # the additive identity: the first contribution is kept exactly
    return saved


def _end_pass(leaves: list[Value], saved: list[float]) -> None:
    """Add each leaf's total for this pass to what it held before (exactly 2x after two passes)."""
    for v, before in zip(leaves, saved):
        v.grad = before + v.grad


def _backward(order: list[Value]) -> None:
    """Propagate ``.grad`` through ``order`` (children before parents when reversed)."""
    for n in reversed(order):
        g = n.grad
        p = n._p0
        if g - g == 0.0:  # finite: a MASKED local multiplies to an exact zero anyway
            if type(p) is Value:
                p.grad += g * n._l0
                q = n._p1
                if q is not None:
                    q.grad += g * n._l1
            else:
                for x, loc in zip(p, n._l0):
                    x.grad += g * loc
        else:  # inf or nan: MASKED must give exactly 0, not inf * 0 = nan
            for p, loc in zip(*_edges(n)):
                p.grad += 0.0 if loc is MASKED else g * loc


def _backward_checked(order: list[Value]) -> None:
    """``_backward`` that raises AnomalyError at the first nan it creates."""
    for n in reversed(order):
        g = n.grad
        for i, (p, loc) in enumerate(zip(*_edges(n))):
            if loc is MASKED:
                continue
            c = g * loc
            if c != c and g == g:
                _raise_backward_nan(n, i, p, g, loc)
            p.grad += c


def _raise_backward_nan(n: Value, i: int, p: Value, g: float, loc: float) -> None:
    raise AnomalyError(
        f"backward: {n._op.name} (value {n.data!r}) passed nan to its operand "  # type: ignore[union-attr]
        f"#{i} {p!r}: incoming gradient {g!r} times local derivative {float(loc)!r}"
    )


def _graph_pairs(node: Value) -> list[tuple[Value, Any]]:
    """(parent, local gradient as a Value or constant) for ``create_graph``."""
    op = node._op
    if op is LINEAR or op is LINEAR_RELU:
        return _linear_pairs(node, _GraphMath)
    args = node.inputs
    return [
        (x, d(_GraphMath, node, *args))
        for x, d in zip(args, op.derivs)  # type: ignore[union-attr]
        if type(x) is Value and d is not None
    ]


def grad(
    output: Value,
    inputs: Value | Iterable[Value],
    grad_output: Value | Number = 1.0,
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
        grad_output = _number(grad_output, "grad_output")
    elif not create_graph:
        grad_output = grad_output.data
    acc: dict[Value, Any] = {output: grad_output}
    if output._op is not None:
        order = _topo(output, reset=False)
        if create_graph:
            with _enable_grad():
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
    anomaly = _state.anomaly
    for n in reversed(order):
        g = get(n)
        if g is None:
            continue
        finite = g - g == 0.0
        for i, (p, loc) in enumerate(zip(*_edges(n))):
            c = 0.0 if loc is MASKED and not finite else g * loc
            if anomaly and c != c and g == g:
                _raise_backward_nan(n, i, p, g, loc)
            acc[p] = get(p, -0.0) + c


def _accumulate_graph(order: list[Value], acc: dict[Value, Any]) -> None:
    get = acc.get
    for n in reversed(order):
        g = get(n)
        if g is None:
            continue
        for p, loc in _graph_pairs(n):
            c = 0.0 if loc is MASKED else g * loc
            prev = get(p)
            acc[p] = c if prev is None else prev + c
