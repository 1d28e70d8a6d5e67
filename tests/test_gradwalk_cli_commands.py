"""The other ``gradwalk`` commands, run as a subprocess: ``examples``, ``train``, ``demo``
and the help and top-level usage.

The lessons' numbers are recomputed in PyTorch float64 (networks and inputs taken from
:mod:`gradwalk.lessons`), never against the engine itself. Files are opened and checked
for what they must contain (values in the SVG, PNG magic bytes, the player in the HTML,
a JSON state dict that reproduces the model).
"""

from __future__ import annotations

import io
import itertools
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
import torch
from helpers import (
    PNG_MAGIC,
    ROOT,
    assert_one_line_error,
    close,
    fixed,
    gradwalk,
    svg_text,
)

from gradwalk.lessons import LESSON1, LESSON2, LESSON3

# ----------------------------------------------------------------------- examples

SECTION = re.compile(r"^  -- (.*)$")
ROW = re.compile(
    r"^  (\S+(?: \S+)*?)\s{2,}(\S+)\s+(?:(\S+)\s+)?(?:(\S+)\s+)?(✓|ok|✗ MISMATCH|MISMATCH)$"
)


def parse_examples(stdout: str) -> dict[tuple[int, str, str], float]:
    """``{(example, section, name): engine value}`` from the examples table."""
    rows: dict[tuple[int, str, str], float] = {}
    example, section = 0, ""
    for line in stdout.splitlines():
        m = re.match(r"Worked example (\d+):", line)
        if m:
            example, section = int(m.group(1)), ""
            continue
        m = SECTION.match(line)
        if m:
            section = m.group(1)
            continue
        m = ROW.match(line)
        if m:
            assert m.group(5) in ("✓", "ok"), line
            rows[(example, section, m.group(1))] = float(m.group(2))
    return rows


def torch_example2() -> dict[str, list[float]]:
    """Worked example 2 in torch float64: h, o, loss and the gradients."""
    f64 = torch.float64
    L = LESSON2
    x = torch.tensor(L.x, dtype=f64)
    t = torch.tensor(L.t, dtype=f64)
    W1 = torch.tensor(L.W1, dtype=f64, requires_grad=True)
    b1 = torch.tensor(L.b1, dtype=f64, requires_grad=True)
    W2 = torch.tensor(L.W2, dtype=f64, requires_grad=True)
    b2 = torch.tensor(L.b2, dtype=f64, requires_grad=True)
    h = torch.sigmoid(W1 @ x + b1)
    o = torch.sigmoid(W2 @ h + b2)
    loss = ((o - t) ** 2).sum() / 2
    loss.backward()
    return {
        "h": h.tolist(),
        "o": o.tolist(),
        "loss": [loss.item()],
        "dW1": W1.grad.flatten().tolist(),
        "dW2": W2.grad.flatten().tolist(),
        "db1": b1.grad.tolist(),
        "db2": b2.grad.tolist(),
        "W1": (W1 - L.lr * W1.grad).flatten().tolist(),
        "b1": (b1 - L.lr * b1.grad).tolist(),
        "W2": (W2 - L.lr * W2.grad).flatten().tolist(),
        "b2": (b2 - L.lr * b2.grad).tolist(),
    }


def torch_example3(inputs: Sequence[float]) -> list[float]:
    """Worked example 3's three sigmoid layers in torch float64: every layer's outputs."""
    a = torch.tensor(inputs, dtype=torch.float64)
    outs: list[float] = []
    for W, b in LESSON3.layers:
        a = torch.sigmoid(
            torch.tensor(W, dtype=torch.float64) @ a + torch.tensor(b, dtype=torch.float64)
        )
        outs += a.tolist()
    return outs


def torch_example1() -> dict[str, float]:
    """Worked example 1 in torch float64: z, a, y, loss, the gradients and the step."""
    L = LESSON1
    w = {n: torch.tensor(v, dtype=torch.float64, requires_grad=True) for n, v in L.weight.items()}
    x1, x2 = (torch.tensor(v, dtype=torch.float64) for v in L.inputs)
    z = [w[f"w{i}1"] * x1 + w[f"w{i}2"] * x2 for i in (1, 2, 3)]
    a = [torch.relu(zi) for zi in z]
    y = torch.relu(w["w1"] * a[0] + w["w2"] * a[1] + w["w3"] * a[2])
    loss = (y - L.target) ** 2
    loss.backward()
    out = {f"z{i + 1}": v.item() for i, v in enumerate(z)}
    out |= {f"a{i + 1}": v.item() for i, v in enumerate(a)}
    out |= {"y": y.item(), "loss": loss.item(), "dloss/dw11": w["w11"].grad.item()}
    out["w11 - 0.001*grad"] = w["w11"].item() - L.lr * w["w11"].grad.item()
    out |= {"dloss/dw31": w["w31"].grad.item(), "dloss/dw32": w["w32"].grad.item()}
    return out


def test_lessons_numbers_are_torchs() -> None:
    """The numbers typed in gradwalk.lessons agree with torch float64 (a typo fails here)."""
    L1, L2, L3 = LESSON1, LESSON2, LESSON3
    want1 = torch_example1()
    assert [want1[f"z{i}"] for i in (1, 2, 3)] == list(L1.z)
    assert [want1[f"a{i}"] for i in (1, 2, 3)] == list(L1.a)
    assert (want1["y"], want1["loss"], want1["dloss/dw11"]) == (L1.y, L1.loss, L1.dloss_dw11)
    assert round(want1["w11 - 0.001*grad"], L1.w11_after_decimals) == L1.w11_after
    assert [want1["dloss/dw31"], want1["dloss/dw32"]] == list(L1.dloss_dw3x)

    want2 = torch_example2()
    exact = {
        "h": L2.h_exact, "o": L2.o_exact, "loss": (L2.loss_exact,), "dW1": L2.dW1_exact,
        "dW2": L2.dW2_exact, "db1": L2.db1_exact, "db2": L2.db2_exact,
    }  # fmt: skip
    for key, values in exact.items():
        for got, w in zip(values, want2[key], strict=True):
            assert close(got, w), (key, got, w)
    given = {
        "o": L2.o_given, "loss": (L2.loss_given,), "dW1": L2.dW1_given, "dW2": L2.dW2_given,
        "W1": L2.W1_after, "b1": L2.b1_after, "W2": L2.W2_after, "b2": L2.b2_after,
    }  # fmt: skip
    for key, values in given.items():
        for got, w in zip(values, want2[key], strict=True):
            assert abs(got - w) <= 0.5 * 10.0**-L2.decimals, (key, got, w)

    outs = torch_example3(L3.inputs)
    assert all(close(g, w) for g, w in zip(L3.outputs_exact, outs, strict=True))
    assert all(abs(g - w) <= 0.005 for g, w in zip(L3.outputs_given, outs, strict=True))
    outs0 = torch_example3(L3.inputs_zero)
    assert all(abs(g - w) <= 0.005 for g, w in zip(L3.outputs_zero_given, outs0, strict=True))
    W, b = (torch.tensor(m, dtype=torch.float64) for m in L3.layers[0])
    z1 = (W @ torch.tensor(L3.inputs, dtype=torch.float64) + b).tolist()
    assert z1 == list(L3.z1)
    logits = torch.tensor(L3.logits, dtype=torch.float64)
    soft = torch.softmax(logits, 0).tolist()
    assert all(close(g, w) for g, w in zip(L3.softmax_exact, soft, strict=True))
    assert all(abs(g - w) <= 0.005 for g, w in zip(L3.softmax_given, soft, strict=True))
    ez = torch.exp(logits).tolist()
    assert all(abs(g - w) <= 0.005 for g, w in zip(L3.exp_given, ez, strict=True))


def test_examples_match_the_lesson_and_torch(tmp_path: Path) -> None:
    result = gradwalk("examples", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MISMATCH" not in result.stdout
    assert re.search(r"All \d+ numbers match the lesson ✓", result.stdout)
    rows = parse_examples(result.stdout)
    assert len(rows) >= 60

    # §1 against torch float64, and the values the lesson gives
    ex1 = {k[2]: v for k, v in rows.items() if k[0] == 1}
    for name, w in torch_example1().items():
        assert close(ex1[name], w), (name, ex1[name], w)
    assert round(ex1["w11 - 0.001*grad"], 3) == 1.004  # the lesson's text
    assert rows[(1, "forward", "z1")] == 2

    # §2 against torch float64
    want = torch_example2()
    ex2 = {k[2]: v for k, v in rows.items() if k[0] == 2}
    names = {
        "h": ["h1", "h2"],
        "o": ["o1", "o2"],
        "loss": ["loss"],
        "dW1": ["dloss/dW1[1,1]", "dloss/dW1[1,2]", "dloss/dW1[2,1]", "dloss/dW1[2,2]"],
        "dW2": ["dloss/dW2[1,1]", "dloss/dW2[1,2]", "dloss/dW2[2,1]", "dloss/dW2[2,2]"],
        "db1": ["dloss/db1[1]", "dloss/db1[2]"],
        "db2": ["dloss/db2[1]", "dloss/db2[2]"],
        "W1": ["W1[1,1]", "W1[1,2]", "W1[2,1]", "W1[2,2]"],
        "b1": ["b1[1]", "b1[2]"],
        "W2": ["W2[1,1]", "W2[1,2]", "W2[2,1]", "W2[2,2]"],
        "b2": ["b2[1]", "b2[2]"],
    }
    for key, row_names in names.items():
        for name, w in zip(row_names, want[key], strict=True):
            assert close(ex2[name], w), (name, ex2[name], w)
    # and the lesson's rounded values after the step
    assert [round(ex2[n], 4) for n in names["W2"]] == [0.3589, 0.4087, 0.5113, 0.5614]

    # §3 against torch float64, both inputs, and the softmax
    names3 = [f"a{k}[{i}]" for k in (1, 2, 3) for i in (1, 2)]
    for section, inputs in (
        ("input (1, -1), three sigmoid layers", (1.0, -1.0)),
        ("input (0, 0), the same network", (0.0, 0.0)),
    ):
        for name, w in zip(names3, torch_example3(inputs), strict=True):
            got = rows[(3, section, name)]
            assert close(got, w), (section, name, got, w)
    soft = torch.softmax(torch.tensor(LESSON3.logits, dtype=torch.float64), 0).tolist()
    sec = "softmax of z = (3, 1, -3)"
    for name, w in zip(["y1", "y2", "y3"], soft, strict=True):
        assert close(rows[(3, sec, name)], w)
    assert close(rows[(3, sec, "e^3")], math.exp(3))


def test_examples_ascii_terminal(tmp_path: Path) -> None:
    result = gradwalk("examples", cwd=tmp_path, env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "All" in result.stdout and " ok (lesson" in result.stdout
    assert "✓" not in result.stdout


def test_examples_report_a_mismatch() -> None:
    """In-process: a wrong number is marked and makes print_examples return False."""
    from autograd import Value
    from gradwalk.worked import Check, WorkedExample, print_examples

    good = Check("y", 4.0, 4)
    off = Check("o1", 0.7513650695523157, 0.7515, 4)
    inexact = Check("h1", 0.5932699921071872 + 1e-9, exact=0.5932699921071872)
    assert good.ok and not off.ok and not inexact.ok
    buf = io.StringIO()
    ex = WorkedExample(9, "test", [good, off, inexact], Value(0.0), "x", [])
    assert print_examples([ex], out=buf) is False
    assert "2 of 3 numbers differ" in buf.getvalue()


# ------------------------------------------------------------------------- train


def torch_mlp(state: dict[str, list[float]], sizes: Sequence[int]):  # type: ignore[no-untyped-def]
    """A float64 torch forward function for an ``MLP(sizes[0], sizes[1:])`` state dict (relu)."""
    layers = []
    for i, (nin, nout) in enumerate(itertools.pairwise(sizes)):
        W = torch.tensor(state[f"layers.{i}.w"], dtype=torch.float64).reshape(nout, nin)
        b = torch.tensor(state[f"layers.{i}.b"], dtype=torch.float64)
        layers.append((W, b))

    def forward(X: torch.Tensor) -> torch.Tensor:
        for j, (W, b) in enumerate(layers):
            X = X @ W.T + b
            if j < len(layers) - 1:
                X = torch.relu(X)
        return X

    return forward


def test_train_digits_tiny_run_saves_model_and_plots(tmp_path: Path) -> None:
    result = gradwalk(
        "train", "digits", "--hidden", "6", "--epochs", "2", "--seed", "3",
        "--save-model", "model.json", "--plots", "plots",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert "MLP 64-6-10 (relu), loss cross_entropy, adam lr 0.01 decaying linearly" in out
    epochs = re.findall(
        r"^epoch (\d)/2  loss (\S+)  acc\s+(\S+)%  test loss (\S+)  test acc\s+(\S+)%", out, re.M
    )
    assert [e[0] for e in epochs] == ["1", "2"]
    m = re.search(r"test accuracy (\S+)% \((\d+)/(\d+)\)", out)
    assert m, out
    correct, total = int(m.group(2)), int(m.group(3))
    assert total == 360
    assert float(epochs[-1][4]) == pytest.approx(100 * correct / total, abs=0.005)
    assert re.search(r"\d+/90 \[", result.stderr)  # a progress bar over 2 x 45 batches

    # the state dict, in torch, classifies the test images exactly as reported
    from autograd.nn import MLP
    from gradwalk.digits import load, split

    state = json.loads((tmp_path / "model.json").read_text())
    X, y = load()
    _, _, X_test, y_test = split(X, y, 0.2, 0)
    forward = torch_mlp(state, [64, 6, 10])
    logits = forward(torch.tensor(X_test, dtype=torch.float64))
    assert int((logits.argmax(1) == torch.tensor(y_test)).sum()) == correct

    # and loads into an MLP whose outputs are torch's
    model = MLP(64, [6, 10])
    model.load_state_dict(state)
    for x, row in zip(X_test[:5], logits[:5]):
        outs = model(x)
        assert all(close(o.data, w, rel=1e-10, abs_=1e-10) for o, w in zip(outs, row.tolist()))

    for name in ("digits_curves.png", "digits_confusion.png"):
        data = (tmp_path / "plots" / name).read_bytes()
        assert data.startswith(PNG_MAGIC)
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert width >= 400 and height >= 300
        assert f"wrote plots/{name}" in out


def test_train_digits_options(tmp_path: Path) -> None:
    result = gradwalk(
        "train", "digits", "--hidden", "5,4", "--epochs", "1", "--activation", "tanh",
        "--loss", "mse", "--optimizer", "sgd", "--lr", "0.1", "--binarize", "--no-progress",
        "--batch-size", "64", "--no-lr-decay",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "MLP 64-5-4-10 (tanh), loss mse, sgd lr 0.1, momentum 0.9, 1 epochs" in result.stdout
    assert "batch 64" in result.stdout and "binarized" in result.stdout
    assert "it/s" not in result.stderr  # no progress bar
    assert re.search(r"^epoch 1/1 ", result.stdout, re.M)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--hidden", "0"], ["--hidden", "'0'"]),
        (["--hidden", "a,b"], ["--hidden", "positive layer sizes"]),
        (["--hidden", ""], ["--hidden"]),
        (["--epochs", "0"], ["--epochs", "positive integer"]),
        (["--lr", "-1"], ["--lr", "positive number"]),
        (["--lr", "nan"], ["--lr"]),
        (["--momentum", "1.5"], ["--momentum"]),
        (["--optimizer", "rmsprop"], ["--optimizer", "'rmsprop'"]),
        (["--loss", "hinge"], ["--loss", "'hinge'"]),
        (["--activation", "swish"], ["--activation", "'swish'"]),
        (["--save-model", "missing/m.json"], ["does not exist"]),
        (["--save-model", "."], ["is a directory"]),
        (["--plots", "afile"], ["afile", "not a directory"]),
    ],
)
def test_train_digits_bad_options_fail_fast(
    tmp_path: Path, args: list[str], fragments: list[str]
) -> None:
    (tmp_path / "afile").write_text("")
    result = gradwalk("train", "digits", "--epochs", "50", *args, cwd=tmp_path, timeout=30)
    assert_one_line_error(result, "gradwalk train digits", *fragments)
    assert "epoch" not in result.stdout  # refused before training


def test_train_usage_errors(tmp_path: Path) -> None:
    assert_one_line_error(gradwalk("train", cwd=tmp_path), "gradwalk train", "DATASET")
    assert_one_line_error(gradwalk("train", "mnist", cwd=tmp_path), "gradwalk train", "'mnist'")


# -------------------------------------------------------------------------- demo


def test_demo_quick_writes_everything(tmp_path: Path) -> None:
    result = gradwalk("demo", "--quick", "--no-progress", "--out", "demo", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert re.search(r"All \d+ numbers match the lesson ✓", out)
    assert re.search(r"test accuracy \S+% \(\d+/360\)", out)
    assert out.rstrip().endswith("docs/lessons.md")  # where the lessons' text is
    demo = tmp_path / "demo"
    expected = [
        *(f"example{n}_{kind}" for n in (1, 2, 3) for kind in ("graph.svg", "backward.html")),
        "digits_curves.png",
        "digits_confusion.png",
    ]
    assert sorted(p.name for p in demo.iterdir()) == sorted(expected)
    listing = out[out.index("== Wrote") :]
    for name in expected:
        assert f"demo/{name}" in listing
        assert (demo / name).stat().st_size > 0

    # example 1's graph: the lesson's numbers (y = 4, loss = 1, dloss/dw11 = -4)
    svg1 = svg_text(demo / "example1_graph.svg")
    for label in ("w11", "x1", "z1", "a1", "y", "loss"):
        assert f">{label}<" in svg1, label
    assert "data 4.0000" in svg1 or ">4.0000<" in svg1
    assert "-4.0000" in svg1
    # example 2's graph: the loss and a gradient from torch
    want = torch_example2()
    svg2 = svg_text(demo / "example2_graph.svg")
    assert fixed(want["loss"][0]) in svg2
    assert fixed(want["dW2"][0]) in svg2
    # example 3's graph: the first output a3[1] = 0.6177
    assert fixed(torch_example3((1.0, -1.0))[4]) in svg_text(demo / "example3_graph.svg")
    for n in (1, 2, 3):
        page = (demo / f"example{n}_backward.html").read_text(encoding="utf-8")
        assert "<svg" in page and "<script" in page
    for name in ("digits_curves.png", "digits_confusion.png"):
        assert (demo / name).read_bytes().startswith(PNG_MAGIC)


def test_demo_unusable_out_dir(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    result = gradwalk("demo", "--quick", "--out", "afile", cwd=tmp_path)
    assert_one_line_error(result, "gradwalk demo", "not a directory")


# ------------------------------------------------------------------------- help

HELP_EXAMPLES = {
    (): "gradwalk render",
    ("render",): 'gradwalk render "tanh(x*w + b)" x=2 w=-3 b=6.88 -o graph.svg',
    ("train",): "gradwalk train digits --hidden",
    ("train", "digits"): "gradwalk train digits --hidden 32,16",
    ("examples",): "gradwalk examples",
    ("demo",): "gradwalk demo --quick",
}


@pytest.mark.parametrize("command", list(HELP_EXAMPLES), ids=lambda c: " ".join(c) or "gradwalk")
def test_help_has_examples(tmp_path: Path, command: tuple[str, ...]) -> None:
    result = gradwalk(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: gradwalk{''.join(' ' + c for c in command)}")
    assert "example" in result.stdout
    assert HELP_EXAMPLES[command] in result.stdout


def test_lessons_text_is_in_the_repo_and_linked(tmp_path: Path) -> None:
    """docs/lessons.md exists, names the lessons' numbers, and the CLI points at it."""
    lessons = (ROOT / "docs" / "lessons.md").read_text(encoding="utf-8")
    for number in ("1.004", "0.2983711087600027", "0.878878242732151", "0.5308"):
        assert number in lessons
    result = gradwalk("examples", "--help", cwd=tmp_path)
    assert "docs/lessons.md" in result.stdout
    for doc in ("README.md", "docs/cli.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        assert "lessons.md" in text and "worked-examples.md" not in text, doc
    for path in (ROOT / "gradwalk").glob("*.py"):
        assert "worked-examples.md" not in path.read_text(encoding="utf-8"), path


def test_no_command_and_unknown_command(tmp_path: Path) -> None:
    assert_one_line_error(gradwalk(cwd=tmp_path), "gradwalk", "COMMAND")
    assert_one_line_error(gradwalk("frobnicate", cwd=tmp_path), "gradwalk", "'frobnicate'")


def test_console_script_is_declared() -> None:
    """pyproject declares ``gradwalk = gradwalk.cli:main`` and finds the gradwalk packages
    (what the built wheel holds is checked by tests/test_package_install.py)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"] == {"gradwalk": "gradwalk.cli:main"}
    assert "gradwalk*" in project["tool"]["setuptools"]["packages"]["find"]["include"]
    from gradwalk.cli import main

    assert callable(main)
