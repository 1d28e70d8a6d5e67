"""viz.backward_frames and BackwardPlayer: the backward pass, one frame per step."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograd import Value, topological_order
from autograd.nn import MLP
from viz import BackwardPlayer, Frame, backward_frames, backward_player, draw_dot

SVG_NS = "{http://www.w3.org/2000/svg}"


def example() -> tuple[Value, Value, Value]:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = (a * b + a**2).tanh()
    c.label = "c"
    return a, b, c


def groups(svg: str) -> dict[str, ET.Element]:
    """Node groups by id, with the frame prefix (``s3_``) removed."""
    out = {}
    for g in ET.fromstring(svg.encode()).iter(f"{SVG_NS}g"):
        if "node" in (g.get("class") or "").split():
            out[re.sub(r"^s\d+_", "", g.get("id", ""))] = g
    return out


def texts(g: ET.Element) -> list[str]:
    return [t.text or "" for t in g.iter(f"{SVG_NS}text")]


def test_one_frame_per_non_leaf_node_in_backward_order() -> None:
    _, _, c = example()
    order = topological_order(c)
    frames = backward_frames(c)
    assert len(frames) == sum(not v.is_leaf for v in order) == 4
    assert [f.node for f in frames] == [v for v in reversed(order) if not v.is_leaf]
    assert [f.step for f in frames] == [1, 2, 3, 4] and {f.total for f in frames} == {4}
    assert frames[0].caption == "step 1/4: c (tanh) passes 1.0000 to its inputs"
    assert frames[1].caption == "step 2/4: add passes 0.0707 to its inputs"
    assert all(isinstance(f, Frame) for f in frames)


def test_frames_highlight_the_current_node_and_fill_grads_in_order() -> None:
    _, _, c = example()
    order = topological_order(c)
    ids = {id(v): f"v{i}" for i, v in enumerate(order)}
    frames = backward_frames(c)
    for f in frames:
        nodes = groups(f.svg())
        current = [k for k, g in nodes.items() if "current" in g.get("class", "").split()]
        assert sorted(current) == ["o" + ids[id(f.node)][1:], ids[id(f.node)]]
    first = groups(frames[0].svg())
    # step 1: only the root and its input have a gradient; a and b have none yet
    a_texts = texts(first["v0"])
    assert "a" in a_texts and "grad —" in a_texts
    assert "grad 1.0000" in texts(first[ids[id(c)]])
    # step 3 (pow): a has received one of its two contributions
    third = groups(frames[2].svg())
    assert any(t.endswith("(so far)") for t in texts(third["v0"]))
    assert "grad —" in texts(third["v1"])  # b still waits for the mul


def test_last_frame_shows_what_backward_leaves() -> None:
    a, b, c = example()
    frames = backward_frames(c)
    a2, b2, c2 = example()
    c2.backward()
    assert (a.grad, b.grad, c.grad) == (a2.grad, b2.grad, c2.grad)  # backward ran for real
    last = [t for g in groups(frames[-1].svg()).values() for t in texts(g)]
    final = html.unescape(draw_dot(c2).svg())
    for v in topological_order(c2):
        assert f"grad {v.grad:.4f}" in last
        assert f"grad {v.grad:.4f}" in final
    assert not any("so far" in t or t == "grad —" for t in last)


def test_nodes_do_not_move_between_frames() -> None:
    _, _, c = example()
    frames = backward_frames(c)

    def boxes(svg: str) -> dict[str, str]:
        return {
            k: g.find(f".//{SVG_NS}polygon").get("points")
            for k, g in groups(svg).items()
            if k.startswith("v")
        }

    first = boxes(frames[0].svg())
    for f in frames[1:]:
        assert boxes(f.svg()) == first


def test_details_name_each_operand_and_its_local_derivative() -> None:
    _, _, c = example()
    frames = backward_frames(c)
    mul = frames[3]
    assert mul.node.op_name == "mul"
    assert mul.details == [
        "a: grad += 0.0707 × -3.0000 (local derivative) = -0.2120, now 0.0707",
        "b: grad += 0.0707 × 2.0000 (local derivative) = 0.1413, now 0.1413",
    ]


def test_frames_on_a_network_collapse_like_draw_dot() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    frames = backward_frames(loss, model=model, collapse="neuron")
    steps = sum(not v.is_leaf for v in topological_order(loss))
    assert len(frames) == steps
    tanh_frame = next(f for f in frames if f.node.op_name == "tanh")
    svg = tanh_frame.svg()
    current = [k for k, g in groups(svg).items() if "current" in g.get("class", "").split()]
    assert len(current) == 1 and current[0].startswith("n")  # the neuron's box lights up


def test_max_frames_is_checked_before_any_gradient_changes() -> None:
    a, b, c = example()
    with pytest.raises(ValueError, match=r"4 steps.*max_frames=3"):
        backward_frames(c, max_frames=3)
    assert (a.grad, b.grad, c.grad) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"max_frames": 0}, ValueError, "max_frames"),
        ({"grad": "1"}, TypeError, "str"),
        ({"precision": -2}, ValueError, "-2"),
        ({"collapse": "row"}, ValueError, "'row'"),
        ({"rankdir": "up"}, ValueError, "'up'"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type[Exception], fragment: str) -> None:
    _, _, c = example()
    with pytest.raises(error, match=re.escape(fragment)):
        backward_frames(c, **kwargs)


def test_root_must_be_a_value() -> None:
    with pytest.raises(TypeError, match="root must be a Value, not float"):
        backward_frames(2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="frames must be Frame objects, not int"):
        BackwardPlayer([1])  # type: ignore[list-item]


def test_player_page_is_self_contained(tmp_path: Path) -> None:
    _, _, c = example()
    player = backward_player(c, interval_ms=300)
    page = player.html()
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('<figure class="gw-frame"') == 4
    assert page.count("<svg") == 4 and "<?xml" not in page
    assert page.count(" hidden>") == 3  # only the first frame shows without JavaScript
    assert 'data-interval="300"' in page
    assert "step 1/4: c (tanh) passes 1.0000 to its inputs" in page
    for attr in ("src", "href"):  # no network: nothing loaded from anywhere
        assert not re.search(rf'\b{attr}="(https?:)?//', page)
    assert "<script>" in page and "gw-player" in page
    assert player._repr_html_() in page
    saved = player.save(tmp_path / "p.html")
    assert saved.read_text(encoding="utf-8") == page
    ids = re.findall(r'<g id="([^"]+)"', page)
    assert len(ids) == len(set(ids))  # unique ids across all frames


def test_player_for_a_leaf_has_no_frames() -> None:
    x = Value(1.0)
    player = backward_player(x)
    assert player.frames == [] and x.grad == 1.0
    assert "root is a leaf" in player.html()


def test_player_after_backward_replays_from_zero_and_does_not_double_grads() -> None:
    torch = pytest.importorskip("torch")
    ta = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-3.0, dtype=torch.float64, requires_grad=True)
    (ta * tb + ta**2).tanh().backward()

    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = (a * b + a**2).tanh()
    c.backward()
    frames = backward_frames(c)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-12)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-12)
    # the first frame starts from zero: no leaf shows a gradient before its consumers ran
    assert "0.0707" not in frames[0].caption
