"""The ``gradwalk render`` command, run as a subprocess (``python -m gradwalk render ...``).

Values and gradients are checked against PyTorch float64 (the expression recomputed
in torch), never against the engine itself; the files it writes are opened and
checked for what they must contain (values in the SVG, PNG/PDF magic bytes, DOT
source, the backward player in the HTML). Bad expressions, values, output paths and
usage each give one ``gradwalk render: error: ...`` line.
"""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

import pytest
import torch
from helpers import (
    PNG_MAGIC,
    assert_one_line_error,
    close,
    fixed,
    gradwalk,
    svg_text,
)


def parse_render(stdout: str) -> tuple[float, dict[str, float]]:
    """``(value, {name: grad})`` from render's stdout."""
    lines = stdout.splitlines()
    value = float(lines[0].rsplit(" = ", 1)[1])
    grads = {}
    for line in lines[1:]:
        m = re.fullmatch(r"\s+(\w+)\.grad = (\S+)", line)
        if m:
            grads[m.group(1)] = float(m.group(2))
    return value, grads


def torch_grads(fn, values: dict[str, float], seed: float = 1.0):  # type: ignore[no-untyped-def]
    """Value and gradients of ``fn(**leaves)`` with float64 torch leaves."""
    leaves = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()
    }
    out = fn(**leaves)
    out.backward(torch.tensor(seed, dtype=torch.float64))
    return out.item(), {k: t.grad.item() for k, t in leaves.items()}


# --------------------------------------------------------------------------- render

T = torch

RENDER_CASES = [
    ("tanh(x*w + b)", {"x": 2.0, "w": -3.0, "b": 6.88}, lambda x, w, b: T.tanh(x * w + b)),
    (
        "exp(a) * log(b) - sqrt(c) / a",
        {"a": 0.7, "b": 2.5, "c": 3.0},
        lambda a, b, c: T.exp(a) * T.log(b) - T.sqrt(c) / a,
    ),
    (
        "sigmoid(a)**2 + relu(b) - abs(c) * relu(-b)",
        {"a": -0.3, "b": 1.25, "c": -2.0},
        lambda a, b, c: T.sigmoid(a) ** 2 + T.relu(b) - T.abs(c) * T.relu(-b),
    ),
    ("-a + +b ** 3 / 2", {"a": 1.5, "b": -1.2}, lambda a, b: -a + b**3 / 2),
    ("2 ** a * a ** b", {"a": 1.3, "b": 0.4}, lambda a, b: 2**a * a**b),
    ("x * x * x + 2 * 3 * x", {"x": 3.0}, lambda x: x * x * x + 2 * 3 * x),
]


@pytest.mark.parametrize(("expr", "values", "fn"), RENDER_CASES, ids=[c[0] for c in RENDER_CASES])
def test_render_prints_value_and_grads_like_torch(tmp_path: Path, expr, values, fn) -> None:  # type: ignore[no-untyped-def]
    args = [f"{k}={v!r}" for k, v in values.items()]
    result = gradwalk("render", expr, *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    value, grads = parse_render(result.stdout)
    want_value, want_grads = torch_grads(fn, values)
    assert close(value, want_value), (value, want_value)
    assert set(grads) == set(values)
    for name, g in want_grads.items():
        assert close(grads[name], g), (name, grads[name], g)
    assert list(tmp_path.iterdir()) == []  # no -o: nothing written


def test_render_svg_shows_values_and_grads(tmp_path: Path) -> None:
    values = {"x": 2.0, "w": -3.0, "b": 6.88}
    result = gradwalk(
        "render", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88", "-o", "graph.svg", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "wrote graph.svg" in result.stdout
    svg = svg_text(tmp_path / "graph.svg")
    assert svg.lstrip().startswith("<?xml") or svg.lstrip().startswith("<svg")
    assert "<svg" in svg and "</svg>" in svg
    value, grads = torch_grads(lambda x, w, b: T.tanh(x * w + b), values)
    assert fixed(value) in svg  # 0.7064
    for name in values:
        assert f">{name}<" in svg
        assert fixed(grads[name]) in svg, (name, fixed(grads[name]))
    assert fixed(0.88) in svg  # x*w + b, an intermediate value


def test_render_seed_grad_scales_the_gradients(tmp_path: Path) -> None:
    values = {"a": 1.5, "b": -0.5}
    result = gradwalk(
        "render", "a*b + exp(b)", "a=1.5", "b=-0.5", "--seed-grad", "-2.5", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    value, grads = parse_render(result.stdout)
    want_value, want_grads = torch_grads(lambda a, b: a * b + T.exp(b), values, seed=-2.5)
    assert close(value, want_value)
    assert all(close(grads[k], want_grads[k]) for k in values), (grads, want_grads)


def test_render_wrt_prints_only_the_named_gradients(tmp_path: Path) -> None:
    values = {"x": 2.0, "w": -3.0, "b": 6.88}
    args = ["render", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88", "--wrt", "w,b"]
    result = gradwalk(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    value, grads = parse_render(result.stdout)
    want_value, want_grads = torch_grads(lambda x, w, b: T.tanh(x * w + b), values)
    assert close(value, want_value)
    assert set(grads) == {"w", "b"}
    assert all(close(grads[k], want_grads[k]) for k in grads), (grads, want_grads)


@pytest.mark.parametrize(
    ("wrt", "fragment"), [("q", "'q', not a variable"), ("1x", "not a variable name: '1x'")]
)
def test_render_wrt_rejects_unknown_names(tmp_path: Path, wrt: str, fragment: str) -> None:
    result = gradwalk("render", "x*w", "x=1", "w=2", "--wrt", wrt, cwd=tmp_path)
    assert_one_line_error(result, "gradwalk render", fragment)


def test_render_folds_constants_with_torch_semantics(tmp_path: Path) -> None:
    result = gradwalk("render", "x + 1/0", "x=1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    value, grads = parse_render(result.stdout)
    want_value, want_grads = torch_grads(
        lambda x: x + T.tensor(1.0, dtype=T.float64) / 0.0, {"x": 1.0}
    )
    assert value == want_value == math.inf
    assert grads["x"] == want_grads["x"] == 1.0


def test_render_values_after_options(tmp_path: Path) -> None:
    result = gradwalk(
        "render", "x*w", "-o", "g.svg", "x=2", "--rankdir", "TB", "w=-3", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert parse_render(result.stdout) == (-6.0, {"x": -3.0, "w": 2.0})
    assert (tmp_path / "g.svg").exists()


def test_render_expression_starting_with_minus_after_double_dash(tmp_path: Path) -> None:
    result = gradwalk("render", "--", "-x**2", "x=3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    value, grads = parse_render(result.stdout)
    assert (value, grads) == (-9.0, {"x": -6.0})


@pytest.mark.parametrize(
    ("name", "magic"), [("graph.png", PNG_MAGIC), ("graph.pdf", b"%PDF-"), ("GRAPH.PNG", PNG_MAGIC)]
)
def test_render_binary_formats(tmp_path: Path, name: str, magic: bytes) -> None:
    result = gradwalk("render", "a*b + a**2", "a=2", "b=-3", "-o", name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = (tmp_path / name).read_bytes()
    assert data.startswith(magic)
    assert len(data) > 1000


def test_render_dot_source_and_rankdir(tmp_path: Path) -> None:
    result = gradwalk(
        "render", "a*b + a**2", "a=2", "b=-3", "-o", "g.dot", "--rankdir", "TB", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    dot = (tmp_path / "g.dot").read_text()
    assert dot.startswith("digraph")
    assert re.search(r'rankdir="?TB"?', dot)
    # a*b + a**2 at a=2, b=-3: value -2, grads (b + 2a, a) = (1, 2)
    assert "data -2.0000" in dot and "grad 1.0000" in dot and "grad 2.0000" in dot


def test_render_html_backward_player(tmp_path: Path) -> None:
    result = gradwalk(
        "render", "tanh(x*w + b)", "x=2", "w=-3", "b=6.88", "-o", "p.html", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "<svg" in page and "<script" in page
    lowered = html.unescape(page)
    _, grads = torch_grads(lambda x, w, b: T.tanh(x * w + b), {"x": 2.0, "w": -3.0, "b": 6.88})
    assert fixed(grads["x"]) in lowered  # the final gradients are on the page


# ---------------------------------------------------------------- render: bad input

BAD_EXPRESSIONS = [
    ("x*q", ["x=1"], "unknown name 'q'"),
    ("x *", ["x=1"], "syntax error"),
    ("x.real", ["x=1"], "attribute access"),
    ("x[0]", ["x=1"], "subscript"),
    ("(lambda: x)()", ["x=1"], "bare name"),
    ("lambda: x", ["x=1"], "lambda"),
    ("[x for x in y]", ["x=1"], "comprehension"),
    ("print(x)", ["x=1"], "unknown function 'print'"),
    ("__import__('os').system('touch pwned')", [], "bare name"),
    ("exp(x, 2)", ["x=1"], "exactly one argument"),
    ("x // 2", ["x=1"], "'//'"),
    ("x if x else 1", ["x=1"], "conditional"),
    ("x < 1", ["x=1"], "comparison"),
    ("'x'", [], "string"),
    ("exp", [], "is a function"),
    ("", [], "empty expression"),
]


@pytest.mark.parametrize(
    ("expr", "values", "fragment"), BAD_EXPRESSIONS, ids=[c[0] or "empty" for c in BAD_EXPRESSIONS]
)
def test_render_rejects_bad_expressions(
    tmp_path: Path, expr: str, values: list[str], fragment: str
) -> None:
    result = gradwalk("render", expr, *values, "-o", "g.svg", cwd=tmp_path)
    assert_one_line_error(result, "gradwalk render", fragment)
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing written, nothing executed (no 'pwned')


BAD_VALUES = [
    (["x2"], "expected name=value"),
    (["=2"], "not a valid variable name"),
    (["1x=2"], "not a valid variable name"),
    (["x="], "no value after '='"),
    (["x=abc"], "not a number: 'abc'"),
    (["x=1", "x=2"], "given twice"),
    (["x=1", "z=2"], "'z' given a value but not used"),
    ([], "unknown name 'x'"),
    (["exp=1", "x=1"], "function name"),
]


@pytest.mark.parametrize(
    ("values", "fragment"), BAD_VALUES, ids=[" ".join(c[0]) or "none" for c in BAD_VALUES]
)
def test_render_rejects_bad_values(tmp_path: Path, values: list[str], fragment: str) -> None:
    result = gradwalk("render", "x * 2", *values, cwd=tmp_path)
    assert_one_line_error(result, "gradwalk render", fragment)


def test_render_rejects_bad_output_paths(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    (tmp_path / "adir.svg").mkdir()
    cases = [
        ("missing/graph.svg", "does not exist"),
        ("afile/graph.svg", "is not a directory"),
        ("adir.svg", "is a directory"),
        ("graph.jpg", "unknown output extension '.jpg'"),
        ("graph", "unknown output extension '(none)'"),
    ]
    for path, fragment in cases:
        result = gradwalk("render", "x*2", "x=1", "-o", path, cwd=tmp_path)
        assert_one_line_error(result, "gradwalk render", fragment)
        assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir.svg", "afile"]


def test_render_usage_errors(tmp_path: Path) -> None:
    r = gradwalk("render", cwd=tmp_path)
    assert_one_line_error(r, "gradwalk render", "required: EXPRESSION")
    r = gradwalk("render", "x", "x=1", "--rankdir", "XY", cwd=tmp_path)
    assert_one_line_error(r, "gradwalk render", "--rankdir", "'XY'")
    r = gradwalk("render", "x", "x=1", "--seed-grad", "lots", cwd=tmp_path)
    assert_one_line_error(r, "gradwalk render", "--seed-grad", "'lots'")
    r = gradwalk("render", "x", "x=1", "--colour", cwd=tmp_path)
    assert_one_line_error(r, "gradwalk render", "unrecognized arguments: --colour")


def test_a_png_too_wide_to_read_is_refused_in_one_line(tmp_path: Path) -> None:
    """A 200-term sum drawn in full (--max-nodes 0) left to right is hundreds of inches wide:
    Cairo would shrink it to 32767 px with unreadable text (and say so on stderr). Refused
    instead, nothing written."""
    terms = " + ".join(f"x{i}*y{i}" for i in range(200))
    values = [f"{n}{i}={i % 5 - 2}" for i in range(200) for n in "xy"]
    result = gradwalk("render", terms, *values, "-o", "big.png", "--max-nodes", "0", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and "too wide for a PNG whose text can be read" in errors[0]
    assert ".svg" in errors[0] and ".html" in errors[0] and "--max-nodes" in errors[0]
    assert "cairo" not in result.stderr and "Scaling" not in result.stderr
    assert not list(tmp_path.iterdir())
    # the same graph as SVG is written, with no word from Graphviz
    result = gradwalk("render", terms, *values, "-o", "big.svg", "--max-nodes", "0", cwd=tmp_path)
    assert result.returncode == 0 and (tmp_path / "big.svg").stat().st_size > 100_000
    assert all(line.startswith("gradwalk render: note: ") for line in result.stderr.splitlines())


@pytest.mark.parametrize(("limit", "widest"), [(None, 32000), ("40", 6000)])
def test_the_cli_collapses_a_big_expression_itself(
    tmp_path: Path, limit: str | None, widest: int
) -> None:
    """By default (300 values) and with --max-nodes, a 200-term sum's first terms become one
    box: the PNG is written, its text readable, and the note says how to change it."""
    terms = " + ".join(f"x{i}*y{i}" for i in range(200))
    values = [f"{n}{i}={i % 5 - 2}" for i in range(200) for n in "xy"]
    extra = [] if limit is None else ["--max-nodes", limit]
    result = gradwalk("render", terms, *values, "-o", "big.png", *extra, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(notes) == 1 and "1 part of the expression drawn collapsed" in notes[0]
    assert "--max-nodes N" in notes[0] and "collapse=None" not in notes[0]
    png = (tmp_path / "big.png").read_bytes()
    width = int.from_bytes(png[16:20], "big")
    assert 500 < width <= widest
    # stdout is unchanged by the drawing: every gradient, exact
    assert "x199.grad = 2.0" in result.stdout


def test_max_nodes_is_checked(tmp_path: Path) -> None:
    result = gradwalk("render", "a*b", "a=1", "b=2", "--max-nodes", "-3", cwd=tmp_path)
    assert result.returncode == 2 and "expected a number of values" in result.stderr
