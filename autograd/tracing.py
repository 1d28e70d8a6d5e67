"""Trace once, replay: a function's forward and backward pass written out as straight-line Python.

Training runs the same graph shape thousands of times with new numbers.
:func:`trace` runs ``fn`` once on example arguments, records the graph it
builds, and writes that graph out as Python source: one line per operation
for the forward pass, then one ``g_x += g_out * local`` line per edge for the
backward pass, each with the derivative formula from the op table as a
comment. The source is compiled once; calling the :class:`Trace` runs it on
new numbers with no graph, no objects and no walk, and adds the gradients into
the parameters' ``.grad`` with the same bits as ``fn(*args).backward()``.

>>> from autograd import Value, trace
>>> w = Value(0.5, label="w")
>>> t = trace(lambda x: (w * x).tanh(), 2.0)
>>> t(2.0)                     # fn's value; w.grad now holds d(fn)/dw
0.7615941559557649
>>> print(t.source)            # doctest: +SKIP

What may be traced: any function of numbers that builds its result with
Value operations (every op of the table, fused neurons, ``Op.unary`` ops, the
losses of ``autograd.nn``). What is refused, with the line that does it: a
function whose path or numbers depend on the data it computes (it reads a
Value's ``.data``, calls ``float()`` on one, computes under ``no_grad``), or
that uses a Value computed before the trace (compute it inside ``fn``).
"""

from __future__ import annotations

import inspect
import itertools
import numbers
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from . import functional, modes
from . import value as _value_module
from .backward import lock as pass_lock
from .codegen import Parts, Writer, indent, literal, max_data, top_level
from .modes import no_grad
from .value import Value

__all__ = ["Trace", "TraceError", "code_of", "trace"]


class TraceError(RuntimeError):
    """``fn`` cannot be traced faithfully (its path depends on the numbers it computes)."""


# ------------------------------------------------------------------ recording


class _Recording:
    """What is watched while ``fn`` runs once: data reads, no_grad, and derived constants."""

    lock = threading.Lock()  # one recording at a time: it swaps class attributes

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        #: id(float) -> (the float, the Values whose data it is the max of)
        self.derived: dict[int, tuple[float, list[Any]]] = {}
        #: Values whose range fn checked (binary_cross_entropy's input), in order.
        self.guards: list[Any] = []
        #: The refusal, if any (raised again should fn have caught it).
        self.refused = ""


#: Modules whose code may read a Value's number while ``fn`` is traced: node
#: creation and the op rules, whose arithmetic the generated code repeats.
_ENGINE_MODULES = {
    "autograd.value",
    "autograd.fused",
    "autograd.ops",
    "autograd.userops",
    "autograd._exact",
    "autograd._math",
    "autograd.tracing",
}

_slot_data = Value.__dict__["data"]  # the slot itself; swapped for a watcher while tracing
_recording: _Recording | None = None


def _outside_engine(frame: Any) -> Any:
    """The first frame that is not engine code (where the learner's code reads the number)."""
    while frame is not None and frame.f_globals.get("__name__") in _ENGINE_MODULES:
        frame = frame.f_back
    return frame


def _where(frame: Any) -> str:
    if frame is None:
        return "an unknown place"
    line = inspect.getframeinfo(frame).code_context
    text = f": {line[0].strip()}" if line else ""
    return f"{frame.f_code.co_filename}:{frame.f_lineno}{text}"


def _refuse_read(frame: Any, what: str) -> None:
    raise TraceError(
        f"trace: fn {what} at {_where(frame)}. A traced function must compute with Value "
        "operations only: the number it reads now would be kept in the traced code for every "
        "later call. Use Value ops (relu, a mask by multiplication, ...) instead, or call fn "
        "eagerly and use backward()."
    )


def _watch_get(v: Any) -> float:
    rec = _recording
    if rec is not None and threading.get_ident() == rec.thread:
        frame = sys._getframe(1)
        code = frame.f_code
        if code is _float_code:  # float(v): blame its caller
            _refuse(rec, _outside_engine(frame.f_back), "turns a Value into a number")
        if code is not _repr_code and frame.f_globals.get("__name__") not in _ENGINE_MODULES:
            _refuse(rec, frame, "reads a Value's .data")
    return _slot_data.__get__(v, Value)  # type: ignore[no-any-return]


def _watch_set(v: Any, x: float) -> None:
    rec = _recording
    if rec is not None and threading.get_ident() == rec.thread:
        frame = sys._getframe(1)
        if frame.f_globals.get("__name__") not in _ENGINE_MODULES:
            _refuse(rec, frame, "changes a Value's .data")
    _slot_data.__set__(v, x)


_float_code = Value.__float__.__code__
_repr_code = Value.__repr__.__code__
_max_data = functional._max_data


def _refuse(rec: _Recording, frame: Any, what: str) -> None:
    """Refuse the trace; remembered too, in case ``fn`` catches the error and goes on."""
    try:
        _refuse_read(frame, what)
    except TraceError as e:
        rec.refused = str(e)
        raise


def _recorded_max(vs: list[Any]) -> float:
    """``functional._max_data`` while tracing: the same number, remembered as made from ``vs``."""
    rec = _recording
    if rec is None or threading.get_ident() != rec.thread:
        return _max_data(vs)
    m = max_data([v.data for v in vs])
    fresh = float.fromhex(m.hex())  # a float object of its own, recognised by identity
    rec.derived[id(fresh)] = (fresh, list(vs))
    return fresh


_check_probability = functional._check_probability


def _recorded_check(x: Any) -> None:
    """``functional._check_probability`` while tracing: checked now, and at every call."""
    rec = _recording
    if rec is None or threading.get_ident() != rec.thread:
        return _check_probability(x)
    d = x.data
    if not 0.0 <= d <= 1.0:
        raise ValueError(f"binary_cross_entropy input must be in [0, 1], got {d!r}")
    rec.guards.append(x)
    return None


def _refuse_no_grad(self: Any) -> Any:
    rec = _recording
    if rec is not None and threading.get_ident() == rec.thread:
        _refuse(rec, _outside_engine(sys._getframe(1)), "computes under no_grad()")
    return _no_grad_enter(self)


_no_grad_enter = no_grad.__enter__


def _record(fn: Callable[..., Any], args: list[Any]) -> tuple[Any, _Recording, int]:
    """Run ``fn(*args)`` once with the watchers in place; return its result and what was seen."""
    global _recording
    if not modes.is_grad_enabled():
        raise TraceError("trace: called inside no_grad(): there would be no graph to trace")
    if not _Recording.lock.acquire(blocking=False):
        raise TraceError("trace: another trace is being recorded (traces do not nest)")
    rec = _Recording()
    try:
        start = next(_value_module._creation)
        _recording = rec
        Value.data = property(_watch_get, _watch_set)  # type: ignore[assignment,misc]
        no_grad.__enter__ = _refuse_no_grad  # type: ignore[method-assign]
        functional._max_data = _recorded_max
        functional._check_probability = _recorded_check
        try:
            out = fn(*args)
        finally:
            Value.data = _slot_data  # type: ignore[misc]
            del no_grad.__enter__  # inherited again
            functional._max_data = _max_data
            functional._check_probability = _check_probability
            _recording = None
    finally:
        _Recording.lock.release()
    if rec.refused:
        raise TraceError(rec.refused)
    return out, rec, start


# ------------------------------------------------------------------ the graph


def _graph(root: Value, start: int) -> list[Any]:
    """The non-leaf nodes ``root`` depends on, in creation order; refuses nodes made before."""
    seen = {id(root)}
    stack: list[Any] = [root]
    nodes: list[Any] = []
    while stack:
        n = stack.pop()
        if n._fn is None:
            continue
        if n._seq < start:
            raise TraceError(
                f"trace: fn uses {n!r}, a Value computed before the trace (not a leaf): "
                "compute it inside fn, or make it a leaf (Value(x.data)) if it is a constant"
            )
        nodes.append(n)
        for p in n.inputs:
            if type(p) is Value and id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    nodes.sort(key=lambda n: n._seq)
    return nodes


class _Arg:
    """How one argument of ``fn`` is passed: a number, or a list of ``n`` numbers."""

    __slots__ = ("name", "size")

    def __init__(self, name: str, size: int | None) -> None:
        self.name = name
        self.size = size


def _number(x: object, what: str) -> float:
    if type(x) is float:
        return x  # type: ignore[return-value]
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    raise TypeError(f"{what} must be a real number, not {type(x).__name__}")


class Trace:
    """A traced function: call it with numbers to run its forward and backward pass.

    ``t(*args)`` returns ``fn``'s value as a float and adds the gradient into
    the ``.grad`` of every parameter (every Value ``fn`` reached that is not
    one of its arguments), exactly as ``fn(*args).backward()`` does. The
    parameters' current ``.data`` is read at each call, so an optimizer step
    between calls is seen. ``t.source`` is the generated Python.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        arg_specs: list[_Arg],
        params: list[Value],
        parts: Parts,
        env: dict[str, Any],
        owners: list[tuple[Callable[[], Any], Any, tuple[int, ...] | None]],
    ) -> None:
        self.fn = fn
        self._args = arg_specs
        #: The Values whose ``.grad`` a call adds to (``fn``'s parameters), in order of first use.
        self.parameters = params
        self._parts = parts
        self._source = ""
        self._owners = owners
        self._env = env
        self._run_fn: Callable[..., Any] | None = None
        self._batch_fn: Callable[..., Any] | None = None

    @property
    def source(self) -> str:
        """The generated Python: the forward pass, then the backward pass."""
        if not self._source:
            self._source = self._parts.single()
        return self._source

    @property
    def batch_source(self) -> str:
        """The same lines run over many rows as one backward pass (:meth:`batch`)."""
        return combined_source([self])

    def _run(self, *args: Any) -> Any:
        if self._run_fn is None:  # compiled on first use
            code = compile(self.source, f"<trace of {_fn_name(self.fn)}>", "exec")
            exec(code, self._env)
            self._run_fn = self._env["traced"]
        return self._run_fn(*args)

    def _batch(
        self, params: list[Value], seed: float, rows: list[list[float]], start: Any = None
    ) -> Any:
        if self._batch_fn is None:  # compiled on first use
            self._batch_fn = combined_batch([self])[0]
        return self._batch_fn(params, seed, rows, [0] * len(rows), start)

    def __repr__(self) -> str:
        args = ", ".join(a.name if a.size is None else f"{a.name}[{a.size}]" for a in self._args)
        lines = self.source.count("\n")
        return (
            f"<Trace of {_fn_name(self.fn)}({args}): {len(self.parameters)} parameters, "
            f"{lines} lines; print(t) shows the code>"
        )

    def __str__(self) -> str:
        return self.source

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.source}```"

    # -- arguments --------------------------------------------------------------

    def _flat(self, args: Sequence[Any]) -> list[float]:
        specs = self._args
        if len(args) != len(specs):
            names = ", ".join(a.name for a in specs)
            raise TypeError(
                f"{_fn_name(self.fn)} was traced with {len(specs)} argument(s) ({names}), "
                f"got {len(args)}"
            )
        flat: list[float] = []
        for spec, x in zip(specs, args):
            if spec.size is None:
                flat.append(_number(x, f"argument {spec.name}"))
                continue
            if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
                raise TypeError(
                    f"argument {spec.name} was traced as a list of {spec.size} numbers, "
                    f"not {type(x).__name__}"
                )
            if len(x) != spec.size:
                raise TypeError(
                    f"argument {spec.name} was traced as a list of {spec.size} numbers, "
                    f"got {len(x)}"
                )
            flat.extend(_number(v, f"argument {spec.name}[{i}]") for i, v in enumerate(x))
        return flat

    def check_parameters(self, all_of_them: bool = True) -> None:
        """Raise TraceError if the model ``fn`` uses was replaced since it was traced.

        Checks that each object with ``parameters()`` that ``fn`` names is still
        the same object and, with ``all_of_them``, still has the same parameters.
        """
        for get, obj, ids in self._owners:
            now = get()
            if now is not obj:
                raise TraceError(
                    f"trace: {_fn_name(self.fn)} now uses another object than when it was "
                    f"traced ({type(obj).__name__} replaced by {type(now).__name__}): "
                    "trace it again"
                )
            if all_of_them and ids is not None and tuple(map(id, obj.parameters())) != ids:
                raise TraceError(
                    f"trace: the parameters of the {type(obj).__name__} that "
                    f"{_fn_name(self.fn)} uses were replaced since it was traced: trace it again"
                )

    # -- running ----------------------------------------------------------------

    def __call__(self, *args: Any, grad: float = 1.0) -> float:
        """``fn(*args)`` as a float; adds ``grad`` × d(fn)/d(p) into each parameter's ``.grad``."""
        seed = _number(grad, "grad")
        flat = self._flat(args)
        self.check_parameters(all_of_them=False)  # the full check costs a list of all of them
        result = self._run(self.parameters, seed, *flat)
        _commit(self.parameters, result[1])
        return result[0]  # type: ignore[no-any-return]

    def batch(
        self,
        rows: Sequence[Sequence[Any]],
        grad: float = 1.0,
        start: Sequence[float] | None = None,
    ) -> list[float]:
        """``fn`` on every row, as one backward pass over all of them; the values, in order.

        The gradients are those of one ``backward`` through the graph of all
        rows built in order, each row's result receiving ``grad`` (a mean of
        ``n`` rows passes ``grad = 1/n`` to each): the same bits as building
        that graph and calling ``backward`` on it once. ``start`` gives, per
        parameter (in :attr:`parameters` order), what that same pass added
        before it reached the rows (terms made after them, such as an L2
        penalty, which backward visits first); by default nothing.
        """
        seed = _number(grad, "grad")
        if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence):
            raise TypeError(f"rows must be a list of argument tuples, not {type(rows).__name__}")
        flat = [self._flat(r) for r in rows]
        if start is not None:
            if isinstance(start, (str, bytes)) or not isinstance(start, Sequence):
                raise TypeError(f"start must be a list of numbers, not {type(start).__name__}")
            if len(start) != len(self.parameters):
                raise TypeError(
                    f"start must hold one number per parameter ({len(self.parameters)}), "
                    f"got {len(start)}"
                )
            start = tuple(_number(v, f"start[{i}]") for i, v in enumerate(start))
        self.check_parameters()
        values, totals = self._batch(self.parameters, seed, flat, start)
        _commit(self.parameters, totals)
        return values  # type: ignore[no-any-return]


def _commit(params: list[Value], totals: Sequence[float]) -> None:
    """Add each pass total to its parameter's ``.grad``, all at once.

    The new values are computed first; the assignment is one C-level loop, which
    neither a signal handler nor another thread can interrupt halfway.
    """
    with pass_lock:
        new = [p.grad + t for p, t in zip(params, totals)]
        list(map(setattr, params, itertools.repeat("grad"), new))


def _fn_name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def _owners(fn: Any) -> list[tuple[Callable[[], Any], Any, tuple[int, ...] | None]]:
    """The objects with ``parameters()`` that ``fn`` reaches by name, and how to find them again."""
    found: list[tuple[Callable[[], Any], Any, tuple[int, ...] | None]] = []

    def note(get: Callable[[], Any]) -> None:
        try:
            obj = get()
        except (NameError, KeyError, ValueError, AttributeError):
            return
        params = getattr(obj, "parameters", None)
        if callable(params) and not isinstance(obj, type):
            try:
                ids = tuple(map(id, params()))
            except Exception:  # an object whose parameters() needs arguments: watch its identity
                ids = None
            found.append((get, obj, ids))

    def constant(obj: Any) -> Callable[[], Any]:
        return lambda: obj

    def cell_contents(cell: Any) -> Callable[[], Any]:
        return lambda: cell.cell_contents

    def global_named(g: dict[str, Any], name: str) -> Callable[[], Any]:
        return lambda: g[name]

    bound = getattr(fn, "__self__", None)
    if bound is not None:
        note(constant(bound))
        fn = fn.__func__
    code = getattr(fn, "__code__", None)
    if code is None:
        note(constant(fn))
        return found
    for cell in fn.__closure__ or ():
        note(cell_contents(cell))
    for name in code.co_names:
        if name in fn.__globals__:
            note(global_named(fn.__globals__, name))
    return found


def _arg_specs(fn: Callable[..., Any], example: Sequence[Any]) -> list[_Arg]:
    """Names and shapes of ``fn``'s arguments, from its signature where it has one."""
    try:
        names = [
            p.name
            for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        names = []
    specs = []
    for i, x in enumerate(example):
        name = names[i] if i < len(names) else f"arg{i}"
        if isinstance(x, Value):
            raise TypeError(
                f"trace: example argument {name} is a Value; pass numbers (the trace makes "
                "its own Values), and let fn reach its parameters itself"
            )
        if isinstance(x, (str, bytes)) or not isinstance(x, (Sequence, numbers.Real)):
            raise TypeError(
                f"trace: example argument {name} must be a number or a list of numbers, "
                f"not {type(x).__name__}"
            )
        if isinstance(x, Sequence):
            for j, v in enumerate(x):
                _number(v, f"trace: example argument {name}[{j}]")
            specs.append(_Arg(name, len(x)))
        else:
            _number(x, f"trace: example argument {name}")
            specs.append(_Arg(name, None))
    return specs


def combined_batch(traces: Sequence[Trace]) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """Batch functions for traces of the same parameters that differ only in their ends.

    Returns ``(batch, forward)``: ``batch(P, seed, rows, which, start=None)`` runs each
    row on the trace ``which[k]`` (an index into ``traces``), last row first, as
    one backward pass, so the parameters' sums are those of one ``backward``
    over the whole batch; it returns the rows' values and the pass totals.
    ``forward(P, rows, which)`` computes the values only (no gradients). The
    lines the traces share (a model's forward and backward) are written once.
    """
    env: dict[str, Any] = {}
    for t in traces:
        for k, v in t._env.items():
            if k == "traced":
                continue
            if env.setdefault(k, v) is not v:
                raise TraceError(f"trace: the traces to combine name two functions {k!r}")
    source = combined_source(traces)
    exec(compile(source, f"<traces of {_fn_name(traces[0].fn)}>", "exec"), env)
    return env["traced_combined"], env["traced_forward"]


def combined_source(traces: Sequence[Trace]) -> str:
    """The source of :func:`combined_batch`'s two functions."""
    parts = [t._parts for t in traces]
    first = traces[0]
    for t in traces[1:]:
        if [id(p) for p in t.parameters] != [id(p) for p in first.parameters] or (
            t._parts.args != first._parts.args
        ):
            raise TraceError("trace: the traces to combine have different parameters or arguments")
    fwd = [p.forward for p in parts]
    bwd = [p.backward for p in parts]
    head = 0
    while all(head < len(f) for f in fwd) and len({f[head] for f in fwd}) == 1:
        head += 1
    while head and not all(top_level(f, head) for f in fwd):
        head -= 1
    tail = 0
    while all(tail < len(b) for b in bwd) and len({b[-1 - tail] for b in bwd}) == 1:
        tail += 1
    while tail and not all(top_level(b, len(b) - tail) for b in bwd):
        tail -= 1
    p0 = parts[0]
    lines = ["def traced_combined(P, seed, rows, which, start=None):", *p0.batch_start()]
    lines.append("    values = [None] * len(rows)")
    lines.append("    for k in range(len(rows) - 1, -1, -1):  # last row first, as backward")
    lines += indent(p0.unpack() + fwd[0][:head], 2)
    lines += _branches(
        [
            [*fwd[i][head:], *bwd[i][: len(bwd[i]) - tail], f"values[k] = {p.value}"]
            for i, p in enumerate(parts)
        ]
    )
    lines += indent(bwd[0][len(bwd[0]) - tail :], 2)
    lines.append(f"    return values, {p0.totals}")
    lines += ["", "", "def traced_forward(P, rows, which):", *indent(p0.read, 1)]
    lines.append("    values = [None] * len(rows)")
    lines.append("    for k in range(len(rows)):")
    lines += indent(p0.unpack() + fwd[0][:head], 2)
    lines += _branches([[*fwd[i][head:], f"values[k] = {p.value}"] for i, p in enumerate(parts)])
    lines.append("    return values")
    return "\n".join(lines) + "\n"


def _branches(bodies: list[list[str]]) -> list[str]:
    """One body per trace, run for the rows with ``which[k]`` its index (no test for one)."""
    if len(bodies) == 1:
        return indent(bodies[0], 2)
    out = []
    for i, body in enumerate(bodies):
        out.append(f"        {'if' if i == 0 else 'elif'} which[k] == {i}:")
        out += indent(body, 3)
    return out


def _build(
    fn: Callable[..., Any], example_args: Sequence[Any], with_outputs: bool = False
) -> Trace:
    if not callable(fn):
        raise TypeError(f"trace: fn must be callable, not {type(fn).__name__}")
    specs = _arg_specs(fn, example_args)
    values: list[Any] = []
    flat_values: list[Value] = []
    for spec, x in zip(specs, example_args):
        if spec.size is None:
            v = Value(_number(x, spec.name), label=spec.name)
            values.append(v)
            flat_values.append(v)
        else:
            vs = [Value(_number(e, spec.name), label=f"{spec.name}{j}") for j, e in enumerate(x)]
            values.append(vs)
            flat_values.extend(vs)
    result, rec, start = _record(fn, values)
    outputs: list[Value] = []
    if with_outputs:
        result, outs = result
        outputs = list(outs) if isinstance(outs, list) else [outs]
    if type(result) is not Value:
        raise TypeError(
            "trace: fn must return a Value (its result, e.g. the loss), "
            f"not {type(result).__name__}"
        )
    nodes = _graph(result, start)
    w = Writer(result, nodes, flat_values, rec)
    w.write()
    flat_names = [w.names.of[id(v)] for v in flat_values]
    out_names = [w.ref(o) if type(o) is Value else literal(float(o)) for o in outputs]
    for o in outputs:
        if type(o) is Value and id(o) not in w.names.of:
            raise TraceError("trace: an output is not part of the traced graph")
    return Trace(fn, specs, w.params, Parts(w, flat_names, out_names), w.env, _owners(fn))


def code_of(root: Value) -> str:
    """The forward and backward pass of an existing graph as straight-line Python, to read.

    The same code :func:`trace` writes, for a graph already built (its leaves
    are the function's parameters). It is text only: to run code on new
    numbers, trace the function that builds the graph, which checks that its
    path does not depend on them.
    """
    if type(root) is not Value:
        raise TypeError(f"code_of: root must be a Value, not {type(root).__name__}")
    w = Writer(root, _graph(root, 0), [], _Recording())
    w.write()
    return Parts(w, [], []).single()


def trace(fn: Callable[..., Any], *example_args: Any) -> Trace:
    """Record ``fn(*example_args)`` once and return it as a callable :class:`Trace`.

    ``example_args`` are numbers or lists of numbers; ``fn`` receives them as
    Values (leaves labelled with ``fn``'s parameter names). Every other Value
    that ``fn`` reaches is a parameter: the trace reads its ``.data`` at each
    call and adds into its ``.grad``. Raises :class:`TraceError` where ``fn``'s
    path depends on the numbers it computes, naming the line. What ``fn``
    takes from elsewhere (a random number, a counter) is kept as it was when
    traced: keep such things out of ``fn``, or pass them as arguments.
    """
    return _build(fn, example_args)
