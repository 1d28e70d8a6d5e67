"""What code written for the micrograd lecture expects: a drawing that renders like a
``graphviz.Digraph``, and a word when a ReLU network cannot learn.

The lecture's ``draw_dot`` returns a ``graphviz.Digraph`` and its readers call ``.render()``
on it; gradwalk's ``Drawing`` does the same in-process. The lecture's training loop on a
ReLU MLP can stall with every hidden ReLU at 0; ``fit`` says so. Dead layers are checked
here with plain float arithmetic on the model's numbers, not with the code under test.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import graphviz
import pytest

from autograd import Value
from autograd.nn import MLP, SGD, DeadReluWarning, dead_relu_layers, fit
from viz import draw_dot

XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def _graph() -> Value:
    x = Value(1.0, label="x")
    y = (x * 2 + 1).relu()
    y.backward()
    return y


# ------------------------------------------------------------------ Drawing.render


def test_render_writes_the_source_and_the_picture_beside_it_like_graphviz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawing = draw_dot(_graph())
    monkeypatch.chdir(tmp_path)
    out = drawing.render("gout")  # micrograd's trace_graph.ipynb, word for word
    assert out == "gout.svg"
    assert (tmp_path / "gout").read_text(encoding="utf-8") == drawing.source
    svg = (tmp_path / "gout.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and svg == drawing.svg()


def test_render_takes_graphviz_keywords(tmp_path: Path) -> None:
    drawing = draw_dot(_graph())
    png = drawing.render("g", directory=tmp_path / "sub", format="png")
    assert Path(png) == tmp_path / "sub" / "g.png"
    assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = drawing.render(outfile=tmp_path / "out.pdf", cleanup=True)
    assert Path(pdf).read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.pdf", "sub"]  # no DOT file left


def test_render_defaults_to_the_drawings_format(tmp_path: Path) -> None:
    drawing = draw_dot(_graph(), format="png")
    out = drawing.render(tmp_path / "g")
    assert out.endswith("g.png") and Path(out).read_bytes()[:4] == b"\x89PNG"


def test_render_refuses_bad_arguments_before_writing(tmp_path: Path) -> None:
    drawing = draw_dot(_graph())
    with pytest.raises(ValueError, match="unknown format 'jpg'"):
        drawing.render(tmp_path / "g", format="jpg")
    with pytest.raises(ValueError, match="'dot' only"):
        drawing.render(tmp_path / "g", engine="neato")
    with pytest.raises(TypeError, match="filename must be a str or path, not int"):
        drawing.render(3)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ a real graphviz.Digraph


def test_to_graphviz_is_a_real_digraph_with_the_same_dot() -> None:
    drawing = draw_dot(_graph())
    digraph = drawing.to_graphviz()
    assert isinstance(digraph, graphviz.Digraph)
    assert digraph.source == drawing.source
    digraph.node("extra", label="added with graphviz")  # the package's own API works on it
    digraph.edge("extra", "v0")
    assert 'extra [label="added with graphviz"]' in digraph.source
    assert digraph.source.rstrip().endswith("}")
    # and the result is still DOT that Graphviz lays out (in-process here)
    from viz._render import render

    assert b"added with graphviz" in render(digraph.source, "svg")


def test_to_graphviz_without_the_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now fails
    with pytest.raises(ImportError, match=r"pip install 'gradwalk\[viz\]'"):
        draw_dot(_graph()).to_graphviz()


# ------------------------------------------------------------------ dead ReLUs


def _hidden_outputs(model: MLP, x: list[float]) -> list[list[float]]:
    """Every hidden layer's outputs in plain floats, from the model's numbers."""
    state = model.state_dict()
    outs, a = [], x
    for i, layer in enumerate(model.layers[:-1]):
        w, b = state[f"layers.{i}.w"], state[f"layers.{i}.b"]
        rows = [w[j * len(a) : (j + 1) * len(a)] for j in range(layer.nout)]
        a = [max(0.0, sum(wi * ai for wi, ai in zip(r, a)) + bj) for r, bj in zip(rows, b)]
        outs.append(a)
    return outs


def _fit_lecture_data(model: MLP) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(model, XS, YS, loss="mse", optimizer=SGD(model.parameters(), lr=0.05), epochs=40,
            batch_size=4)  # fmt: skip
    return [w for w in caught if issubclass(w.category, DeadReluWarning)]


def test_fit_says_once_when_a_hidden_relu_layer_is_dead() -> None:
    model = MLP(3, [4, 4, 1], seed=8)  # the package default (ReLU hidden), a seed that stalls
    said = _fit_lecture_data(model)
    assert len(said) == 1
    text = str(said[0].message)
    assert "hidden layer 2 (4 neurons)" in text and "stalled" in text
    assert "activation='tanh', output_activation='tanh'" in text
    assert said[0].filename == __file__  # points at the caller of fit
    assert all(h[1] == [0.0] * 4 for h in (_hidden_outputs(model, x) for x in XS))


def test_fit_says_it_whatever_the_loss() -> None:
    model = MLP(3, [4, 4, 1], seed=8)
    params = model.parameters()

    def mse_plus_l2(outputs: list[Value], targets: list[float]) -> Value:
        data = sum((o - t) ** 2 for o, t in zip(outputs, targets)) / len(targets)
        return data + 1e-4 * sum(p * p for p in params)  # no gradient is exactly 0 any more

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(model, XS, YS, loss=mse_plus_l2, optimizer=SGD(params, lr=0.05), epochs=40,
            batch_size=4)  # fmt: skip
    assert [w.category for w in caught] == [DeadReluWarning]
    assert all(h[1] == [0.0] * 4 for h in (_hidden_outputs(model, x) for x in XS))


def test_equal_outputs_from_live_relus_are_not_taken_for_dead_ones() -> None:
    model = MLP(3, [4, 4, 1], seed=0)
    for n in model.layers[-1].neurons:
        n.w = [Value(0.0) for _ in n.w]  # the output ignores the hidden layers: all equal
    assert _fit_lecture_data(model) == []
    outs = [_hidden_outputs(model, x) for x in XS]
    assert all(any(v != 0.0 for h in outs for v in h[layer]) for layer in (0, 1))


def test_fit_says_nothing_when_the_relus_are_alive() -> None:
    model = MLP(3, [4, 4, 1], seed=0)
    assert _fit_lecture_data(model) == []
    outs = [_hidden_outputs(model, x) for x in XS]
    assert all(any(v != 0.0 for h in outs for v in h[layer]) for layer in (0, 1))


def test_the_lecture_mlp_has_no_relu_to_die() -> None:
    model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=8)
    assert _fit_lecture_data(model) == []
    assert dead_relu_layers(model, XS) == []


def test_dead_relu_layers_names_the_dead_layer() -> None:
    model = MLP(3, [4, 4, 1], seed=1)
    for n in model.layers[0].neurons:  # every first-layer ReLU below 0 for these inputs
        n.b.data = -100.0
    assert all(h[0] == [0.0] * 4 for h in (_hidden_outputs(model, x) for x in XS))
    with pytest.warns(DeadReluWarning, match="hidden layer 1 .* every sample given"):
        assert dead_relu_layers(model, XS) == [1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dead_relu_layers(model, XS, warn=False) == [1, 2]
        assert dead_relu_layers(object(), XS) == []
    with pytest.raises(TypeError, match="X must be a list of samples, not int"):
        dead_relu_layers(model, 3)


# ------------------------------------------------------------------ the page for lecture followers

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_links_the_lecture_page_and_the_page_names_each_difference() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/micrograd-lecture.md)" in readme
    page = (ROOT / "docs" / "micrograd-lecture.md").read_text(encoding="utf-8")
    for difference in (
        "`grad —`",
        "`-` and `/` are one operation each",
        "dashed boxes",
        "`fused=False`",
        "`relu` vs `ReLU`",
        "The repr says more",
        'MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")',
    ):
        assert difference in page, difference
    for name in ("_prev", "_op", "_backward()", "draw_dot", "to_graphviz", "render("):
        assert name in page, name
    assert (ROOT / "notebooks" / "00_micrograd_lecture.ipynb").is_file()
