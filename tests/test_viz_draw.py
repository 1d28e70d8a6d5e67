"""viz.draw_dot: what each node shows, determinism, files, and argument checking."""

from __future__ import annotations

import hashlib
import html
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch

from autograd import Value
from viz import Drawing, VizWarning, backward_player, draw_dot, format_number

ROOT = Path(__file__).resolve().parent.parent
SVG_NS = "{http://www.w3.org/2000/svg}"


def node_texts(svg: str) -> dict[str, list[str]]:
    """The text lines of every SVG node group, keyed by the group's id (``v3``, ``o3``, ``c0``)."""
    tree = ET.fromstring(svg.encode("utf-8"))
    out: dict[str, list[str]] = {}
    for g in tree.iter(f"{SVG_NS}g"):
        if "node" in (g.get("class") or "").split():
            out[g.get("id", "")] = [t.text or "" for t in g.iter(f"{SVG_NS}text")]
    return out


def all_texts(svg: str) -> list[str]:
    tree = ET.fromstring(svg.encode("utf-8"))
    return [t.text or "" for t in tree.iter(f"{SVG_NS}text")]


def example() -> tuple[Value, Value, Value]:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = (a * b + a**2).tanh()
    return a, b, c


# ---------------------------------------------------------------- what nodes show


@pytest.mark.parametrize("precision", [3, 4, 6])
def test_every_value_shows_its_data_and_grad(precision: int) -> None:
    _, _, c = example()
    c.backward()
    from autograd import topological_order

    order = topological_order(c)
    texts = node_texts(draw_dot(c, precision=precision).svg())
    for i, v in enumerate(order):
        shown = texts[f"v{i}"]
        assert f"data {v.data:.{precision}f}" in shown, (i, shown)
        assert f"grad {v.grad:.{precision}f}" in shown, (i, shown)
        if v.label:
            assert v.label in shown
        if not v.is_leaf:
            assert texts[f"o{i}"] == [v.op]  # the op that produced it, in its own oval


def test_gradients_shown_match_torch() -> None:
    _, _, c = example()
    c.backward()
    ta = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-3.0, dtype=torch.float64, requires_grad=True)
    tc = torch.tanh(ta * tb + ta**2)
    tc.backward()
    texts = node_texts(draw_dot(c).svg())
    by_label = {t[0]: t for t in texts.values() if t and t[0] in ("a", "b")}
    assert f"grad {ta.grad.item():.4f}" in by_label["a"]
    assert f"grad {tb.grad.item():.4f}" in by_label["b"]
    assert any(f"data {tc.item():.4f}" in t for t in texts.values())


def test_constants_are_small_plain_nodes() -> None:
    x = Value(3.0, label="x")
    y = x**2 * 0.5 + 1.25
    y.backward()
    d = draw_dot(y)
    consts = {k: t for k, t in node_texts(d.svg()).items() if k.startswith("c")}
    assert sorted(t[0] for t in consts.values()) == ["0.5", "1.25", "2"]
    assert len(re.findall(r'class="const"', d.source)) == 3


def test_before_backward_says_gradients_are_not_computed() -> None:
    _, _, c = example()
    svg = draw_dot(c).svg()
    texts = all_texts(svg)
    assert any("not computed yet" in t for t in texts)
    assert not any(t.startswith("grad 0.0") for t in texts)  # no misleading zeros
    node_lines = node_texts(svg)
    values = [t for k, t in node_lines.items() if k.startswith("v")]
    assert len(values) == 6 and all("grad —" in t for t in values)
    c.backward()
    after = draw_dot(c).svg()
    assert not any("not computed" in t for t in all_texts(after))
    assert "grad —" not in html.unescape(after)


def test_show_grad_overrides_the_guess() -> None:
    x = Value(1.0, label="x")
    y = x * 2.0
    y.backward(0.0)  # backward ran, but the root's grad is 0.0: the guess says "not computed"
    assert "grad —" in html.unescape(draw_dot(y).svg())
    forced = html.unescape(draw_dot(y, show_grad=True).svg())
    assert "grad —" not in forced and "grad 0" in forced
    hidden = html.unescape(draw_dot(y, show_grad=False).svg())
    assert "grad —" in hidden


def test_format_number() -> None:
    assert format_number(2.0) == "2.0000"
    assert format_number(-0.070650824, 3) == "-0.071"
    assert format_number(0.0) == "0"  # an exact zero reads as one
    assert format_number(-0.0) == "0"  # never "-0.0000"
    assert format_number(1.5e-7) == "1.5000e-07"  # never a misleading 0.0000
    assert format_number(3.2e9, 2) == "3.20e+09"
    assert format_number(float("nan")) == "nan"
    assert format_number(float("-inf")) == "-inf"


def test_labels_are_escaped() -> None:
    x = Value(1.0, label='<b>&"q"\\n]{x}|y')
    y = x.tanh()
    y.label = "out\nline"
    y.backward()
    svg = draw_dot(y).svg()  # must parse as DOT and as XML
    texts = all_texts(svg)
    assert '<b>&"q"\\n]{x}|y' in texts
    assert "out line" in texts  # a name is drawn on one line; its tooltip has it as given


# ---------------------------------------------------------------------- colours


def fill_of(source: str, node: str) -> str:
    m = re.search(rf'^\s*{node} \[.*?BGCOLOR="(#[0-9a-f]{{6}})"', source, re.MULTILINE)
    assert m, node
    return m.group(1)


def test_roles_input_parameter_intermediate_output() -> None:
    x = Value(0.5, label="x")
    w = Value(-2.0, label="w")
    y = (x * w).tanh()
    y.backward()
    src = draw_dot(y, params=[w]).source
    classes = dict(re.findall(r'^\s*(v\d+) \[id="v\d+" class="value (\w+)', src, re.MULTILINE))
    assert sorted(classes.values()) == ["input", "intermediate", "output", "parameter"]
    assert classes["v0"] == "input" and classes["v1"] == "parameter"
    assert fill_of(src, "v0") != fill_of(src, "v1")
    # without params every leaf is an input
    plain = draw_dot(y).source
    roles = re.findall(r'class="value (\w+)', plain)
    assert sorted(roles) == ["input", "input", "intermediate", "output"]


def test_color_by_grad_sign() -> None:
    x = Value(0.5, label="x")
    w = Value(-2.0, label="w")
    y = x * w  # grad x = -2 (negative), grad w = 0.5 (positive)
    y.backward()
    src = draw_dot(y, color_by="grad").source

    def rgb(color: str) -> tuple[int, int, int]:
        return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)

    rx, _, bx = rgb(fill_of(src, "v0"))
    rw, _, bw = rgb(fill_of(src, "v1"))
    assert rx > bx  # negative: red
    assert bw > rw  # positive: blue
    assert rgb(fill_of(src, "v0"))[1] < rgb(fill_of(src, "v1"))[1]  # |-2| > |0.5|: darker
    assert "grad &gt; 0" in src  # legend


# ------------------------------------------------------------------ determinism


def test_same_graph_same_svg() -> None:
    _, _, c1 = example()
    c1.backward()
    _, _, c2 = example()
    c2.backward()
    assert draw_dot(c1).svg() == draw_dot(c2).svg()
    assert draw_dot(c1, rankdir="TB").svg() != draw_dot(c1).svg()


def test_same_svg_across_processes() -> None:
    code = (
        "import hashlib; from viz.examples import example_graph; "
        "print(hashlib.sha256(example_graph().svg().encode()).hexdigest())"
    )
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
        )
        assert out.returncode == 0, out.stderr
        digests.add(out.stdout.strip())
        assert "Fontconfig" not in out.stderr  # the bundled Fontconfig's noise is silenced
    from viz.examples import example_graph

    assert digests == {hashlib.sha256(example_graph().svg().encode()).hexdigest()}


# ------------------------------------------------------------------------ files


@pytest.mark.parametrize(
    ("name", "magic"),
    [
        ("g.png", b"\x89PNG\r\n\x1a\n"),
        ("g.pdf", b"%PDF-"),
        ("g.svg", b"<?xml"),
        ("G.PNG", b"\x89PNG"),
    ],
)
def test_save_by_extension(tmp_path: Path, name: str, magic: bytes) -> None:
    _, _, c = example()
    c.backward()
    out = draw_dot(c).save(tmp_path / name)
    data = out.read_bytes()
    assert data.startswith(magic)
    assert len(data) > 1000


def test_save_dot_and_explicit_format(tmp_path: Path) -> None:
    _, _, c = example()
    c.backward()
    d = draw_dot(c)
    assert d.save(tmp_path / "g.dot").read_text() == d.source
    assert d.save(str(tmp_path / "noext"), format="pdf").read_bytes().startswith(b"%PDF-")
    assert d.pipe("png").startswith(b"\x89PNG")
    assert "<svg" in d.svg()
    # shown in a notebook at most 840 px wide, its viewBox (the drawing itself) unchanged
    shown, full = d._repr_svg_(), d.svg()
    assert (
        'width="840px"' in shown
        and shown[shown.index("viewBox") :] == full[full.index("viewBox") :]
    )
    assert d.source.startswith("digraph") and "rankdir=LR" in d.source


def test_missing_pygraphviz_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, c = example()
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # import now fails
    d = draw_dot(c)  # building DOT needs no pygraphviz
    assert d.source.startswith("digraph")
    with pytest.raises(ImportError, match=re.escape("pip install 'gradwalk[viz]'")):
        d.svg()


# ------------------------------------------------------------------ bad arguments


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"rankdir": "XY"}, ValueError, "'XY'"),
        ({"rankdir": 3}, TypeError, "int"),
        ({"collapse": "cell"}, ValueError, "'cell'"),
        ({"precision": -1}, ValueError, "-1"),
        ({"precision": 2.5}, TypeError, "float"),
        ({"precision": True}, TypeError, "bool"),
        ({"precision": 40}, ValueError, "40"),
        ({"color_by": "rainbow"}, ValueError, "'rainbow'"),
        ({"max_nodes": 0}, ValueError, "max_nodes"),
        ({"model": object()}, TypeError, "object"),
        ({"params": [1.0]}, TypeError, "float"),
        ({"params": Value(1.0)}, TypeError, "Value"),
        ({"show_grad": "yes"}, TypeError, "str"),
        ({"legend": None}, TypeError, "NoneType"),
        ({"format": "gif"}, ValueError, "'gif'"),
        ({"collapse": "neuron"}, ValueError, "model="),  # nothing to collapse
    ],
)
def test_bad_arguments(kwargs: dict, error: type[Exception], fragment: str) -> None:
    _, _, c = example()
    with pytest.raises(error, match=re.escape(fragment)):
        draw_dot(c, **kwargs)


@pytest.mark.parametrize("root", [1.5, "a", None, [Value(1.0)]])
def test_root_must_be_a_value(root: object) -> None:
    with pytest.raises(TypeError, match=f"root must be a Value, not {type(root).__name__}"):
        draw_dot(root)  # type: ignore[arg-type]


def test_save_rejects_unknown_extension(tmp_path: Path) -> None:
    _, _, c = example()
    d = draw_dot(c)
    with pytest.raises(ValueError, match=r"g\.gif"):
        d.save(tmp_path / "g.gif")
    with pytest.raises(TypeError, match="int"):
        d.save(3)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_lowercase_rankdir_and_none_modes() -> None:
    _, _, c = example()
    c.backward()
    d = draw_dot(c, rankdir="tb", collapse=None, color_by=None)
    assert "rankdir=TB" in d.source
    assert isinstance(d, Drawing) and d.collapse == "none"
    assert {fill_of(d.source, f"v{i}") for i in range(6)} == {"#ffffff"}


def _tanh_sum(n: int) -> Value:
    x = Value(0.5, label="x")
    total = (x * 1).tanh()
    for k in range(2, n + 1):
        total = total + (x * k).tanh()
    total.backward()
    return total


def test_a_leaf_feeding_many_nodes_is_drawn_once_per_use() -> None:
    d = draw_dot(_tanh_sum(10), collapse=None)
    copies = re.findall(r"^\s+(v0_\d+) \[", d.source, re.M)
    assert copies == [f"v0_{k}" for k in range(1, 11)]
    assert not re.search(r"^\s+v0 \[", d.source, re.M)
    assert all(f"{c} -> " in d.source for c in copies)  # each copy feeds one node
    assert "drawn once per use" in html.unescape(d.svg())
    small = draw_dot(_tanh_sum(3), collapse=None)  # a leaf used three times stays one box
    assert re.search(r"^\s+v0 \[", small.source, re.M)


def test_big_graphs_fold_constants_into_the_op() -> None:
    with pytest.warns(VizWarning):
        d = draw_dot(_tanh_sum(60), max_nodes=100)  # 180 values, no neurons: drawn in full
    assert not re.search(r"^\s+c\d+ \[", d.source, re.M)
    assert 'label="* 7"' in d.source and "nslimit" in d.source
    small = draw_dot(_tanh_sum(3), collapse=None)
    assert re.search(r"^\s+c\d+ \[", small.source, re.M) and "nslimit" not in small.source


def test_failed_save_keeps_the_old_drawing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "g.svg"
    target.write_text("old", encoding="utf-8")
    d = draw_dot(_tanh_sum(2))

    def fail(fd: int) -> None:
        raise OSError(27, "File too large")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="too large"):
        d.save(target)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["g.svg"]


def test_drawing_bundle_has_png_and_svg() -> None:
    bundle = draw_dot(_tanh_sum(2))._repr_mimebundle_()
    assert bundle["image/png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


def test_labels_of_any_length_draw_shortened_and_whole_in_the_tooltip(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Graphviz refuses strings over 16384 bytes; a 17,000-character label still draws."""
    long = "x" * 17_000
    a = Value(1.0, label=long)
    out = (a * 2).tanh()
    out.label = "many\nlines " * 2_000
    out.backward()
    drawing = draw_dot(out)
    texts = all_texts(drawing.svg())
    assert "x" * 23 + "…" in texts  # one line in the box
    assert "many lines many lines m…" in texts  # newlines drawn as spaces
    assert drawing.png().startswith(b"\x89PNG")
    tooltips = re.findall(r'xlink:title="([^"]*)"', drawing.svg())
    assert any(t.startswith("x" * 1900) for t in tooltips)  # the tooltip has much more of it
    backward_player(out).html()
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""  # nothing from Graphviz
