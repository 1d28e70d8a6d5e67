"""A safe parser for small arithmetic expressions over named scalars: ``"tanh(x*w + b)"``.

The text is parsed with :mod:`ast` and walked against a whitelist; it is never
passed to ``eval``, ``exec`` or ``compile``. Allowed are:

* numbers (``2``, ``0.5``, ``1e-3``) and variable names (``x``, ``w1``);
* the binary operators ``+ - * / **`` and unary ``-`` and ``+``;
* calls, by bare name and with one argument, of ``exp log sqrt tanh sigmoid relu abs``.

Names are NFKC-normalised (as Python does: ``𝑥`` is ``x``), in the expression and
in ``name=value`` pairs alike, and at most :data:`MAX_NAME` characters long.

Anything else (attribute access, subscripts, other operators, comparisons,
lambdas, comprehensions, keyword arguments, strings...) is an
:class:`ExpressionError` with a message that names the construct.

>>> from gradwalk.expr import evaluate
>>> out, leaves = evaluate("tanh(x*w + b)", {"x": 2.0, "w": -3.0, "b": 6.88})
>>> round(out.data, 4)
0.7064
"""

from __future__ import annotations

import ast
import keyword
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import cast

from autograd import Value, no_grad

__all__ = [
    "FUNCTIONS",
    "MAX_NAME",
    "ExpressionError",
    "Expression",
    "evaluate",
    "parse",
    "parse_assignment",
    "parse_assignments",
]

#: The functions an expression may call, by bare name, each with one argument.
FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "exp": Value.exp,
    "log": Value.log,
    "sqrt": Value.sqrt,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "abs": Value.__abs__,
}

_BINOPS: dict[type[ast.operator], Callable[[Value | float, Value | float], Value | float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}

_OPERATOR_SYMBOLS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Invert: "~",
    ast.Not: "not",
}

# Human names for the constructs the whitelist refuses.
_CONSTRUCTS = {
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript",
    ast.Slice: "a slice",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "a conditional expression",
    ast.NamedExpr: "an assignment expression (:=)",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.JoinedStr: "a string",
    ast.FormattedValue: "a string",
    ast.Starred: "a starred argument",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}

_ALLOWED_HINT = "allowed: numbers, names, + - * / **, unary -/+, and " + ", ".join(
    f"{f}()" for f in FUNCTIONS
)


#: The longest variable name accepted, in characters.
MAX_NAME = 100


class ExpressionError(ValueError):
    """An expression, or a ``name=value`` pair, that cannot be used; the message says why."""


def _where(source: str, node: ast.AST) -> str:
    """`` at column N: 'text'`` for a node of ``source`` (empty if unknown)."""
    col = getattr(node, "col_offset", None)
    if col is None:
        return ""
    segment = ast.get_source_segment(source, node)
    text = f" {segment!r}" if segment and len(segment) <= 40 else ""
    return f" (column {col + 1}{':' if text else ''}{text})"


class Expression:
    """A parsed, checked expression: evaluate it with :meth:`evaluate`.

    ``names`` lists its variables in order of first appearance.
    """

    def __init__(self, source: str, tree: ast.expr, names: list[str]) -> None:
        self.source = source
        self.tree = tree
        self.names = names

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def evaluate(self, values: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
        """Build the graph: ``(output, {name: leaf Value})``, one leaf per variable.

        Each variable becomes ``Value(values[name], label=name)``. Every name of
        the expression needs a value and every value a name of the expression.
        Constant sub-expressions (``2 * 3``) are folded with the engine's own
        float semantics (``1 / 0`` is ``inf``), so they add no nodes.
        """
        missing = [n for n in self.names if n not in values]
        if missing:
            s = "s" if len(missing) > 1 else ""
            raise ExpressionError(
                f"unknown name{s} {_quoted(missing)} in expression: give "
                f"{'each' if s else 'it'} a value, e.g. {' '.join(f'{n}=1.5' for n in missing)}"
            )
        unused = [n for n in values if n not in self.names]
        if unused:
            raise ExpressionError(
                f"{_quoted(unused)} given a value but not used in the expression "
                f"(its names: {_quoted(self.names) or 'none'})"
            )
        leaves = {n: Value(float(values[n]), label=n) for n in self.names}
        try:
            out = _build(self.tree, leaves)
        except RecursionError:
            raise ExpressionError("expression is too long or too deeply nested") from None
        if not isinstance(out, Value):  # a constant expression: one leaf
            out = Value(out)
        return out, leaves


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names)


def _constant(node: ast.Constant, source: str) -> float:
    v = node.value
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        kind = {str: "strings are", bytes: "bytes are", complex: "complex numbers are"}
        what = kind.get(type(v), f"the constant {v!r} is")
        raise ExpressionError(f"{what} not allowed{_where(source, node)}; {_ALLOWED_HINT}")
    try:
        return float(v)
    except OverflowError:
        raise ExpressionError(f"number too large{_where(source, node)}") from None


def _check(node: ast.AST, source: str, names: list[str]) -> None:
    """Raise :class:`ExpressionError` unless every node of ``node`` is whitelisted."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Constant):
            _constant(n, source)
        elif isinstance(n, ast.Name):
            _check_name_length(n.id)
            if n.id in FUNCTIONS:
                raise ExpressionError(
                    f"{n.id!r} is a function: call it as {n.id}(...){_where(source, n)}"
                )
            if n.id not in names:
                names.append(n.id)
        elif isinstance(n, ast.BinOp):
            if type(n.op) not in _BINOPS:
                sym = _OPERATOR_SYMBOLS.get(type(n.op), type(n.op).__name__)
                raise ExpressionError(
                    f"operator {sym!r} is not allowed{_where(source, n)}; use + - * / **"
                )
            stack += [n.right, n.left]
        elif isinstance(n, ast.UnaryOp):
            if not isinstance(n.op, (ast.USub, ast.UAdd)):
                sym = _OPERATOR_SYMBOLS.get(type(n.op), type(n.op).__name__)
                raise ExpressionError(
                    f"operator {sym!r} is not allowed{_where(source, n)}; use unary - or +"
                )
            stack.append(n.operand)
        elif isinstance(n, ast.Call):
            _check_call(n, source)
            stack.append(n.args[0])
        else:
            what = _CONSTRUCTS.get(type(n), f"a {type(n).__name__} expression")
            raise ExpressionError(f"{what} is not allowed{_where(source, n)}; {_ALLOWED_HINT}")


def _check_name_length(name: str) -> None:
    if len(name) > MAX_NAME:
        raise ExpressionError(
            f"variable name {name[:20]!r}... is {len(name):,} characters long; "
            f"at most {MAX_NAME} are allowed"
        )


def _check_text(text: str, what: str) -> None:
    """An :class:`ExpressionError` if ``text`` holds bytes that were not valid UTF-8 (they
    arrive as lone surrogates) or other lone surrogates."""
    for i, ch in enumerate(text):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            raise ExpressionError(
                f"{what} is not valid UTF-8: byte 0x{code - 0xDC00:02x} at column {i + 1}"
            )
        if 0xD800 <= code <= 0xDFFF:
            raise ExpressionError(f"{what} holds a lone surrogate U+{code:04X} at column {i + 1}")


def _check_call(n: ast.Call, source: str) -> None:
    if not isinstance(n.func, ast.Name):
        what = _CONSTRUCTS.get(type(n.func), "a computed function")
        raise ExpressionError(
            f"only functions called by bare name are allowed, not {what}{_where(source, n)}"
            f"; functions: {', '.join(FUNCTIONS)}"
        )
    name = n.func.id
    if name not in FUNCTIONS:
        raise ExpressionError(
            f"unknown function {name!r}{_where(source, n)}; functions: {', '.join(FUNCTIONS)}"
        )
    if n.keywords:
        raise ExpressionError(f"{name}() takes no keyword arguments{_where(source, n)}")
    if any(isinstance(a, ast.Starred) for a in n.args):
        raise ExpressionError(f"a starred argument is not allowed{_where(source, n)}")
    if len(n.args) != 1:
        raise ExpressionError(
            f"{name}() takes exactly one argument, got {len(n.args)}{_where(source, n)}"
        )


def parse(source: str) -> Expression:
    """Parse and check ``source``; raise :class:`ExpressionError` for anything not whitelisted."""
    if not isinstance(source, str):
        raise TypeError(f"expression must be a str, not {type(source).__name__}")
    if not source.strip():
        raise ExpressionError("empty expression")
    _check_text(source, "expression")
    if "\x00" in source:
        raise ExpressionError("expression contains a NUL character")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"syntax error{col}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression is too long or too deeply nested") from None
    names: list[str] = []
    _check(tree.body, source.strip(), names)
    return Expression(source.strip(), tree.body, names)


def _build(node: ast.expr, leaves: Mapping[str, Value]) -> Value | float:
    """The Value (or, for a constant sub-expression, the float) that ``node`` computes."""
    if isinstance(node, ast.Constant):
        return float(cast(float, node.value))  # _check let only numbers through
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.BinOp):
        a = _build(node.left, leaves)
        b = _build(node.right, leaves)
        op = _BINOPS[type(node.op)]
        if not isinstance(a, Value) and not isinstance(b, Value):
            with no_grad():  # fold constants with the engine's float semantics
                return cast(Value, op(Value(a), b)).data
        return op(a, b)
    if isinstance(node, ast.UnaryOp):
        a = _build(node.operand, leaves)
        if isinstance(node.op, ast.UAdd):
            return a
        return -a
    if isinstance(node, ast.Call):
        fn = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        a = _build(node.args[0], leaves)
        if not isinstance(a, Value):
            with no_grad():
                return fn(Value(a)).data
        return fn(a)
    raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover


def parse_assignment(text: str) -> tuple[str, float]:
    """``"x=2.5"`` as ``("x", 2.5)``; an :class:`ExpressionError` if it is malformed.

    The name is NFKC-normalised as Python (and so :func:`parse`) normalises the names of
    an expression: ``"𝑥=3"`` gives the value of ``x``.
    """
    if not isinstance(text, str):
        raise TypeError(f"name=value must be a str, not {type(text).__name__}")
    _check_text(text, "name=value")
    name, sep, value = text.partition("=")
    name, value = unicodedata.normalize("NFKC", name.strip()), value.strip()
    if not sep:
        raise ExpressionError(f"expected name=value, got {text!r}")
    _check_name_length(name)
    if not name.isidentifier() or keyword.iskeyword(name):
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise ExpressionError(f"{name!r} is not a valid variable name (in {shown!r})")
    if name in FUNCTIONS:
        raise ExpressionError(f"{name!r} is a function name and cannot be a variable")
    if not value:
        raise ExpressionError(f"no value after '=' in {text!r}")
    try:
        number = float(value)
    except ValueError:
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise ExpressionError(f"value of {name!r} is not a number: {shown!r}") from None
    return name, number


def parse_assignments(texts: Iterable[str]) -> dict[str, float]:
    """``["x=2", "w=-3"]`` as ``{"x": 2.0, "w": -3.0}``; a name given twice is an error."""
    values: dict[str, float] = {}
    for text in texts:
        name, number = parse_assignment(text)
        if name in values:
            raise ExpressionError(f"{name!r} is given twice")
        values[name] = number
    return values


def evaluate(source: str, values: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
    """Parse ``source`` and build its graph: ``(output, {name: leaf Value})``."""
    return parse(source).evaluate(values)
