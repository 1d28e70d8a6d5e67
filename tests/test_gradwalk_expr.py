"""The expression parser (:mod:`gradwalk.expr`), in process: what it accepts, what it refuses
and how it says so, numbers, NFKC names, and values and gradients cross-checked with torch."""

from __future__ import annotations

import math

import pytest
import torch
from helpers import close

from gradwalk.expr import (
    FUNCTIONS,
    MAX_NAME,
    ExpressionError,
    evaluate,
    parse,
    parse_assignment,
    parse_assignments,
)

T = torch

ACCEPTED = [
    ("x", {"x": 1.5}, lambda x: x),
    ("x + y * z - x / y", {"x": 1.5, "y": -2.0, "z": 0.25}, lambda x, y, z: x + y * z - x / y),
    ("x ** 3 - 2 ** x", {"x": 1.7}, lambda x: x**3 - 2**x),
    ("-x + +y - -x", {"x": 0.3, "y": 2.0}, lambda x, y: -x + y - -x),
    ("exp(x) * log(y) + sqrt(y)", {"x": -0.4, "y": 3.0}, lambda x, y: T.exp(x) * T.log(y) + y**0.5),
    ("tanh(x * w + b)", {"x": 2.0, "w": -3.0, "b": 6.88}, lambda x, w, b: T.tanh(x * w + b)),
    ("sigmoid(x) * relu(y) + abs(x)", {"x": -1.2, "y": 0.7},
     lambda x, y: T.sigmoid(x) * T.relu(y) + T.abs(x)),
    ("(x + 1) * (x - 1) / (x * x)", {"x": 3.0}, lambda x: (x + 1) * (x - 1) / (x * x)),
    ("relu(-x) + 2 * 3 * x", {"x": 0.5}, lambda x: T.relu(-x) + 6 * x),
    ("x1 * _w + x1", {"x1": 2.0, "_w": -0.5}, lambda x1, _w: x1 * _w + x1),
]  # fmt: skip


@pytest.mark.parametrize(("source", "values", "fn"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_accepted_values_and_gradients_match_torch(source, values, fn) -> None:  # type: ignore[no-untyped-def]
    out, leaves = evaluate(source, values)
    assert list(leaves) == list(dict.fromkeys(values))  # in order of first appearance
    out.backward()
    tl = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    want = fn(**tl)
    want.backward()
    assert close(out.data, want.item()), (out.data, want.item())
    for name, leaf in leaves.items():
        assert leaf.label == name
        assert close(leaf.grad, tl[name].grad.item()), (name, leaf.grad, tl[name].grad.item())


def test_names_in_order_of_first_appearance() -> None:
    assert parse("b * a + c * b").names == ["b", "a", "c"]
    assert parse("2 + 3").names == []


def test_functions_are_the_documented_ones() -> None:
    assert set(FUNCTIONS) == {"exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs"}


@pytest.mark.parametrize(
    ("source", "value"),
    [("0x10", 16.0), ("1_000", 1000.0), (".5", 0.5), ("1e-3", 0.001), ("2.5E2", 250.0),
     ("1e400", math.inf), ("0b101", 5.0), ("0o17", 15.0), ("007.5", 7.5)],
)  # fmt: skip
def test_number_literals(source: str, value: float) -> None:
    out, leaves = evaluate(source, {})
    assert leaves == {}
    assert out.data == value


def test_constant_subexpressions_fold_with_torch_semantics() -> None:
    out, leaves = evaluate("x + 1/0 + 2*3", {"x": 1.0})
    assert out.data == math.inf
    x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    (x + torch.tensor(1.0, dtype=torch.float64) / 0.0 + 6).backward()
    out.backward()
    assert leaves["x"].grad == x.grad.item() == 1.0
    assert len(out.inputs) == 2  # x and the folded constant: no node for 1/0 or 2*3


REFUSED = [
    ("x.real", "attribute access"),
    ("x.y()", "only functions called by bare name"),
    ("foo(x)", "unknown function 'foo'"),
    ("print(x)", "unknown function 'print'"),
    ("__import__('os')", "unknown function '__import__'"),
    ("__import__('os').system('true')", "bare name"),
    ("(lambda: x)()", "bare name"),
    ("lambda: x", "a lambda"),
    ("[x for x in y]", "a comprehension"),
    ("{x for x in y}", "a comprehension"),
    ("{x: 1 for x in y}", "a comprehension"),
    ("(x for x in y)", "a generator expression"),
    ("x[0]", "a subscript"),
    ("x[1:2]", "a subscript"),
    ("exp(x=1)", "no keyword arguments"),
    ("exp(*x)", "a starred argument"),
    ("exp(x, y)", "exactly one argument, got 2"),
    ("exp()", "exactly one argument, got 0"),
    ("exp", "'exp' is a function"),
    ("(y := 2)", "assignment expression"),
    ("x < 1", "a comparison"),
    ("x and y", "'and'/'or'"),
    ("x if y else 1", "a conditional expression"),
    ("'s'", "strings are not allowed"),
    ("b's'", "bytes are not allowed"),
    ("f'{x}'", "a string"),
    ("1j", "complex numbers are not allowed"),
    ("True", "the constant True"),
    ("None", "the constant None"),
    ("...", "the constant Ellipsis"),
    ("[x]", "a list"),
    ("(x, y)", "a tuple"),
    ("{x}", "a set"),
    ("{1: x}", "a dict"),
    ("await x", "await"),
    ("(yield x)", "yield"),
    ("x // 2", "operator '//'"),
    ("x % 2", "operator '%'"),
    ("x @ y", "operator '@'"),
    ("x << 1", "operator '<<'"),
    ("x | y", "operator '|'"),
    ("~x", "operator '~'"),
    ("not x", "operator 'not'"),
    ("x +", "syntax error"),
    ("", "empty expression"),
    ("   ", "empty expression"),
    ("x\x00", "NUL character"),
    ("1" + "0" * 400, "number too large"),
    ("-" * 100_000 + "x", "too long or too deeply nested"),
]


@pytest.mark.parametrize(
    ("source", "fragment"), REFUSED, ids=[r[0][:30] or "empty" for r in REFUSED]
)
def test_refused_constructs_name_what_is_wrong(source: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    assert fragment in str(info.value), str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("source", "where"),
    [("x + y.z", "(column 5: 'y.z')"), ("2 * foo(x)", "(column 5: 'foo(x)')"),
     ("x + (y := 1)", "(column 6: 'y := 1')"), ("exp(x) + x[0]", "(column 10: 'x[0]')")],
)  # fmt: skip
def test_error_positions(source: str, where: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    assert where in str(info.value), str(info.value)


def test_long_segments_are_not_quoted() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("x + " + "y" * 50 + ".z")
    assert "(column 5)" in str(info.value)


def test_error_is_a_value_error_and_bad_types_are_type_errors() -> None:
    assert issubclass(ExpressionError, ValueError)
    with pytest.raises(TypeError, match="expression must be a str, not int"):
        parse(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="name=value must be a str, not bytes"):
        parse_assignment(b"x=1")  # type: ignore[arg-type]


def test_undecodable_bytes_and_surrogates() -> None:
    with pytest.raises(ExpressionError, match="not valid UTF-8: byte 0xff at column 2"):
        parse("x\udcff")
    with pytest.raises(ExpressionError, match=r"lone surrogate U\+D800"):
        parse("x + \ud800")
    with pytest.raises(ExpressionError, match="name=value is not valid UTF-8: byte 0xfe"):
        parse_assignment("x=\udcfe")


def test_name_length_is_bounded() -> None:
    ok = "a" * MAX_NAME
    assert parse(f"{ok} + 1").names == [ok]
    assert parse_assignment(f"{ok}=1") == (ok, 1.0)
    with pytest.raises(ExpressionError, match=f"{MAX_NAME + 1} characters long"):
        parse("a" * (MAX_NAME + 1))
    with pytest.raises(ExpressionError, match="16,400 characters long"):
        parse_assignment("a" * 16_400 + "=1")


def test_nfkc_names_on_both_sides() -> None:
    """Python NFKC-normalises identifiers; name=value pairs are normalised the same way."""
    assert parse("𝑥 * 2 + ｙ").names == ["x", "y"]
    assert parse_assignment("𝑥=3") == ("x", 3.0)
    assert parse_assignment("ｙ = 2") == ("y", 2.0)
    out, leaves = evaluate("𝑥 * 2", parse_assignments(["𝑥=3"]))
    out.backward()
    assert (out.data, leaves["x"].grad) == (6.0, 2.0)
    with pytest.raises(ExpressionError, match="given twice"):
        parse_assignments(["𝑥=1", "x=2"])


@pytest.mark.parametrize(
    ("text", "want"),
    [("x=2", ("x", 2.0)), (" w = -3.5 ", ("w", -3.5)), ("b=1e-3", ("b", 0.001)),
     ("n=inf", ("n", math.inf)), ("z=1_000", ("z", 1000.0)), ("_a1=0x10", None)],
)  # fmt: skip
def test_assignments(text: str, want: tuple[str, float] | None) -> None:
    if want is None:
        with pytest.raises(ExpressionError, match="not a number: '0x10'"):
            parse_assignment(text)
    else:
        assert parse_assignment(text) == want


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("x2", "expected name=value"), ("=2", "not a valid variable name"),
     ("1x=2", "not a valid variable name"), ("for=1", "not a valid variable name"),
     ("x=", "no value after '='"), ("x=abc", "not a number: 'abc'"),
     ("exp=1", "function name")],
)  # fmt: skip
def test_bad_assignments(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError, match=fragment):
        parse_assignment(text)


def test_evaluate_needs_every_value_and_no_more() -> None:
    with pytest.raises(ExpressionError, match=r"unknown names 'y', 'z'.*y=1\.5 z=1\.5"):
        evaluate("x + y * z", {"x": 1.0})
    with pytest.raises(ExpressionError, match="'q' given a value but not used"):
        evaluate("x", {"x": 1.0, "q": 2.0})
