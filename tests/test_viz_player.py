"""viz.backward_player and backward_frames: one layout, a table of forward and backward steps."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

import pytest
import torch

from autograd import Value, dense, topological_order
from autograd.nn import MLP
from viz import BackwardPlayer, Frame, backward_frames, backward_player, format_number

# c = tanh(a*b + a**2) at a = 2, b = -3, worked by hand: s = -6 + 4 = -2,
# dc/ds = 1 - tanh(-2)^2, dc/da = dc/ds * (b + 2a), dc/db = dc/ds * a.
DS = 1.0 - math.tanh(-2.0) ** 2


def example() -> tuple[Value, Value, Value]:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = (a * b + a**2).tanh()
    c.label = "c"
    return a, b, c


def f4(x: float) -> str:
    return format_number(x, 4)


def test_forward_then_backward_on_one_timeline() -> None:
    _, _, c = example()
    steps = backward_player(c).steps
    assert [s["phase"] for s in steps] == ["forward"] * 4 + ["backward"] * 4
    assert [s["step"] for s in steps] == [1, 2, 3, 4] * 2
    forward = [s["caption"] for s in steps[:4]]
    assert forward == [
        "n2 = a * b = 2.0000 * (-3.0000) = -6.0000",
        "n3 = a ** 2 = 2.0000 ** 2 = 4.0000",
        "n4 = n2 + n3 = -6.0000 + 4.0000 = -2.0000",
        "c = tanh(n4) = tanh(-2.0000) = -0.9640",
    ]
    assert f4(math.tanh(-2.0)) == "-0.9640"


def test_backward_equations_carry_the_chain_rule() -> None:
    _, _, c = example()
    back = backward_player(c).steps[4:]
    assert [s["caption"] for s in back][:2] == [
        "c passes ∂c/∂c = 1.0000 to its inputs",
        f"n4 passes ∂c/∂n4 = {f4(DS)} to its inputs",
    ]
    (tanh_edge,) = back[0]["edges"]
    assert tanh_edge["equation"] == (
        f"∂c/∂n4 += ∂c/∂c · ∂c/∂n4 = 1.0000 × (1 − c² = {f4(DS)}) = {f4(DS)}"
    )
    (pow_edge,) = back[2]["edges"]
    assert pow_edge["equation"] == (
        f"∂c/∂a += ∂c/∂n3 · ∂n3/∂a = {f4(DS)} × (2·a = 4.0000) = {f4(DS * 4)}"
    )
    assert pow_edge["equation"].endswith("0.0707 × (2·a = 4.0000) = 0.2826")
    assert pow_edge["complete"] is False  # a still waits for the product's contribution
    mul_a, mul_b = back[3]["edges"]
    assert mul_a["equation"].endswith(f"{f4(DS)} × (b = -3.0000) = {f4(-3 * DS)}")
    assert mul_a["total"] == f4(DS * (2 * 2.0 - 3.0)) and mul_a["complete"] is True
    assert mul_b["equation"] == (
        f"∂c/∂b += ∂c/∂n2 · ∂n2/∂b = {f4(DS)} × (a = 2.0000) = {f4(2 * DS)}"
    )
    # every backward edge names the SVG edge it is drawn on, and that edge exists
    player = backward_player(example()[2])
    for s in player.steps[4:]:
        for e in s["edges"]:
            assert e["edge"] and f'id="{e["edge"]}"' in player.svg


def test_grads_after_the_player_match_torch() -> None:
    a, b, c = example()
    backward_player(c)
    ta = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-3.0, dtype=torch.float64, requires_grad=True)
    (ta * tb + ta**2).tanh().backward()
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-14)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-14)


def test_player_after_backward_replays_from_zero_and_does_not_double_grads() -> None:
    a, b, c = example()
    c.backward()
    once = (a.grad, b.grad)
    player = backward_player(c)
    assert (a.grad, b.grad) == once
    assert player.steps[-1]["edges"][0]["total"] == f4(once[0])


def test_one_svg_for_all_steps_and_the_table_in_the_page(tmp_path: Path) -> None:
    _, _, c = example()
    player = backward_player(c)
    page = player.html()
    assert page.count("<svg") == 1  # one layout, however many steps
    data = re.search(r'<script type="application/json" class="gw-data">(.*?)</script>', page, re.S)
    assert data is not None
    assert json.loads(data.group(1))["steps"] == player.steps
    assert "<script src" not in page and "<link" not in page  # self-contained, no network
    out = player.save(tmp_path / "p.html")
    assert out.read_text(encoding="utf-8") == page


def test_failed_save_keeps_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "p.html"
    target.write_text("old page", encoding="utf-8")
    player = backward_player(example()[2])

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        player.save(target)
    assert target.read_text(encoding="utf-8") == "old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.html"]  # no temporary file left


def test_mime_bundle_has_a_png_of_the_final_state() -> None:
    player = backward_player(example()[2])
    bundle = player._repr_mimebundle_()
    assert bundle["image/png"].startswith(b"\x89PNG\r\n\x1a\n")
    assert "gw-player" in bundle["text/html"]
    assert "run the cell to step through" in player.final_dot
    assert "grad 0.2826" not in player.final_dot  # final state: a's total, not a partial sum
    assert f"grad {f4(DS * 1.0)}" in player.final_dot


def test_unlabelled_nodes_get_unique_short_names() -> None:
    x = Value(1.0, label="x")
    y = Value(2.0, label="x")  # the same label twice
    z = x * y + x * y
    names = [n["name"] for n in backward_player(z).table["nodes"]]
    assert len(set(names)) == len(names)
    assert names[:2] == ["x_0", "x_1"]
    assert all(re.fullmatch(r"n\d+", n) for n in names[2:-1]) and names[-1] == "L"


def test_exact_zero_contributions_print_as_0() -> None:
    x = Value(-1.0, label="x")
    y = x.relu() * -1.0  # relu's dead side: -1 × 0 is -0.0
    steps = backward_player(y).steps
    (relu_edge,) = steps[-1]["edges"]
    assert relu_edge["contribution"] == "0" and relu_edge["total"] == "0"
    assert "-0.0000" not in json.dumps(steps)


def test_fused_neuron_names_its_operands() -> None:
    w = [Value(0.5, label="w1"), Value(-1.5, label="w2")]
    bias = Value(0.25, label="bias")
    (out,) = dense([w], [bias], [2.0, 3.0])
    out.label = "y"
    steps = backward_player(out).steps
    assert steps[0]["caption"].startswith("y = Σw·x+b over 2 inputs = ")
    equations = [e["equation"] for e in steps[1]["edges"]]
    assert equations[0] == "∂y/∂w1 += ∂y/∂y · ∂y/∂w1 = 1.0000 × 2.0000 = 2.0000"
    assert equations[-1] == "∂y/∂bias += ∂y/∂y · ∂y/∂bias = 1.0000 × 1.0000 = 1.0000"


def test_backward_frames_are_the_backward_steps() -> None:
    _, _, c = example()
    order = topological_order(c)
    frames = backward_frames(c)
    assert all(isinstance(f, Frame) for f in frames)
    assert [f.node for f in frames] == [v for v in reversed(order) if not v.is_leaf]
    assert frames[0].caption == "c passes ∂c/∂c = 1.0000 to its inputs"
    assert frames[2].details[0].endswith("0.0707 × (2·a = 4.0000) = 0.2826")
    assert frames[2].edges[0].contribution == pytest.approx(DS * 4, rel=1e-15)
    player = backward_player(example()[2])
    assert [f.caption for f in player.frames] == [f.caption for f in frames]
    assert "0.0707 × (2·a = 4.0000) = 0.2826" in frames[2]._repr_markdown_()


def test_a_network_player_collapses_like_draw_dot() -> None:
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    player = backward_player(loss, model=model, collapse="neuron")
    nodes = player.table["nodes"]
    assert any(n["box"] for n in nodes)
    assert 'class="node group"' in player.svg


def test_max_frames_is_checked_before_any_gradient_changes() -> None:
    a, b, c = example()
    a.grad, b.grad = 7.0, 8.0
    with pytest.raises(ValueError, match="max_frames=3"):
        backward_player(c, max_frames=3)
    assert (a.grad, b.grad) == (7.0, 8.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"grad": "1"}, TypeError, "grad must be a real number"),
        ({"max_frames": 0}, ValueError, "max_frames must be at least 1"),
        ({"interval_ms": 1.5}, TypeError, "interval_ms must be an int"),
        ({"title": 3}, TypeError, "title must be a str"),
        ({"colour": "role"}, TypeError, "unexpected options: colour"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        backward_player(example()[2], **kwargs)


def test_root_must_be_a_value() -> None:
    with pytest.raises(TypeError, match="root must be a Value, not float"):
        backward_player(1.0)  # type: ignore[arg-type]


def test_player_for_a_leaf_has_no_steps() -> None:
    player = backward_player(Value(3.0))
    assert player.steps == [] and isinstance(player, BackwardPlayer)
    assert "Nothing to step through" in player.html()


def test_captions_bracket_negative_operands_and_compound_names() -> None:
    """Read as Python and maths read them: -1.0 ** 2 is -1, so a negative base is bracketed;
    a name that is an expression is bracketed where it is an operand; a plain name is not."""
    x = Value(-1.0, label="x")
    square = backward_player(x**2)
    assert square.steps[0]["caption"] == "L = x ** 2 = (-1.0000) ** 2 = 1.0000"
    x1, w1, x2, w2 = (Value(v, label=n) for v, n in ((1, "x1"), (2, "w1"), (-3, "x2"), (0.5, "w2")))
    s = x1 * w1 + x2 * w2
    s.label = "x1*w1 + x2*w2"
    o = s.tanh()
    o.label = "o"
    steps = backward_player(o).steps
    captions = [st["caption"] for st in steps]
    assert "n5 = x2 * w2 = -3.0000 * 0.5000 = -1.5000" in captions  # a leading minus reads right
    assert "x1*w1 + x2*w2 = n2 + n5 = 2.0000 + (-1.5000) = 0.5000" in captions
    first = next(st for st in steps if st["phase"] == "backward")
    assert first["edges"][0]["equation"].startswith("∂o/∂(x1*w1 + x2*w2) += ∂o/∂o · ")
    b = Value(0.35, label="b1[1]")
    t = b + 1.0
    assert backward_player(t).steps[0]["caption"] == "L = b1[1] + 1 = 0.3500 + 1 = 1.3500"


def test_the_final_state_png_is_readable_at_a_notebooks_width() -> None:
    """The README example drawn left to right is 1028 pt wide: at 840 px its text would be
    under 9 px, so the saved picture is the same state drawn top to bottom, at full size."""
    import struct

    from viz._render import render, svg_size

    _, _, c = example()
    player = backward_player(c)
    png = player.png()
    width = struct.unpack(">I", png[16:20])[0]
    wide = svg_size(render(player.final_dot, "svg").decode())[0]
    narrow = svg_size(render(player.narrow_dot, "svg").decode())[0]
    assert wide * 4 / 3 * 0.9 > 840  # too wide to be read at 840 px
    assert width <= 840 and abs(width - narrow * 4 / 3) <= 2  # drawn top to bottom, 4/3 px/pt
