"""Live training views: the recorder's numbers against torch, bounded memory, the live view."""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

import viz.live as live
from autograd.nn import MLP, SGD, fit, hinge_loss, to_torch
from gradwalk import moons
from viz.live import LiveView, live_view

torch.set_num_threads(1)
D = torch.float64


def two_blobs(n: int = 40, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        s = 1 if i % 2 else -1
        X.append([s * 1.0 + rng.gauss(0, 0.6), s * 0.5 + rng.gauss(0, 0.6)])
        y.append(s)
    return X, y


def torch_grads(model: MLP, X: list[list[float]], y: list[int]) -> tuple[Any, Any]:
    """torch's hinge loss gradients for the same network and data."""
    seq = to_torch(model)
    out = seq(torch.tensor(X, dtype=D)).squeeze(1)
    loss = torch.relu(1 - torch.tensor(y, dtype=D) * out).mean()
    loss.backward()
    return seq, loss


# --------------------------------------------------------------------- the recorded numbers


def test_snapshot_layer_sizes_and_edge_levels_match_torch() -> None:
    X, y = two_blobs()
    model = MLP(2, [6, 5, 1], seed=3)
    seq, tloss = torch_grads(model, X, y)
    loss = hinge_loss([model(x) for x in X], y)
    loss.backward()
    rec = live.LiveRecorder(model, X, y, grid=6)
    snap = rec.snapshot(0, loss.data)
    assert math.isclose(snap["loss"], tloss.item(), rel_tol=1e-12)
    linears = [m for m in seq if isinstance(m, torch.nn.Linear)]
    for (mean_w, mean_g), lin in zip(snap["layers"], linears):
        ws = torch.cat([lin.weight.flatten(), lin.bias])
        gs = torch.cat([lin.weight.grad.flatten(), lin.bias.grad])
        assert math.isclose(mean_w, ws.abs().mean().item(), rel_tol=1e-12)
        assert math.isclose(mean_g, gs.abs().mean().item(), rel_tol=1e-9)
    # edge levels: layer by layer, neuron (row) by neuron, input (column) by input
    tg = torch.cat([lin.weight.grad.flatten() for lin in linears])
    top = tg.abs().max().item()
    assert len(snap["edges"]) == tg.numel() == 2 * 6 + 6 * 5 + 5
    for lv, g in zip(snap["edges"], tg.tolist()):
        if abs(g) >= top * 10**-3.5:
            assert lv != 0 and (lv > 0) == (g > 0)
        assert abs(lv) <= 10
    assert abs(snap["edges"][int(tg.abs().argmax())]) == 10
    # the boundary: round(9 tanh(score)) over the grid's cell centres, row 0 at the top
    x0, x1, y0, y1 = rec._reader.box  # type: ignore[union-attr]
    cx, cy = x0 + 0.5 * (x1 - x0) / 6, y1 - 0.5 * (y1 - y0) / 6
    score = seq(torch.tensor([[cx, cy]], dtype=D)).item()
    assert snap["boundary"][0] == round(9 * math.tanh(score))
    assert len(snap["boundary"]) == 36


def test_multiclass_boundary_is_the_argmax_class() -> None:
    X = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    model = MLP(2, [4, 3], seed=0)
    rec = live.LiveRecorder(model, X, [0, 1, 2, 0], grid=4)
    snap = rec.snapshot(0, 1.0)
    seq = to_torch(model)
    x0, x1, y0, y1 = rec._reader.box  # type: ignore[union-attr]
    cells = [
        [x0 + (i + 0.5) * (x1 - x0) / 4, y1 - (j + 0.5) * (y1 - y0) / 4]
        for j in range(4)
        for i in range(4)
    ]
    want = seq(torch.tensor(cells, dtype=D)).argmax(dim=1).tolist()
    assert snap["boundary"] == want and rec.data()["kind"] == "class"


# --------------------------------------------------------------------- bounded memory


@pytest.mark.parametrize("k", [4, 8, 10])
def test_recording_keeps_at_most_k_snapshots_evenly_spread(k: int) -> None:
    X, y = two_blobs(10)
    model = MLP(2, [3, 1], seed=0)
    rec = live.LiveRecorder(model, X, y, max_snapshots=k, max_points=k * 3, grid=3)
    n = 10 * k
    for step in range(n):
        rec.update(step, 1.0 / (step + 1))
        assert len(rec.snapshots) <= k
        assert len(rec.curve) <= k * 3
    steps = [s["step"] for s in rec.snapshots]
    gaps = {b - a for a, b in itertools.pairwise(steps)}
    assert steps[0] == 0 and len(gaps) == 1  # evenly spread from the first step
    assert steps[-1] + gaps.pop() >= n - 1 - 0  # and reaching to the end of the run
    assert len(steps) >= k // 2
    rec.close()  # the newest update becomes the last snapshot
    assert len(rec.snapshots) <= k and rec.snapshots[-1]["step"] == n - 1
    cs = [c[0] for c in rec.curve]
    assert cs[0] == 0 and len({b - a for a, b in itertools.pairwise(cs)}) == 1


def test_fit_with_a_recorder_ends_on_the_last_step() -> None:
    X, y = two_blobs(12)
    model = MLP(2, [3, 1], seed=0)
    rec = live.LiveRecorder(max_snapshots=4, grid=3)
    fit(model, X, y, loss="hinge", epochs=23, batch_size=12, live=rec, optimizer=SGD(model, lr=0.1))
    assert len(rec.snapshots) <= 4 and rec.snapshots[-1]["step"] == 22
    assert rec.snapshots[0]["step"] == 0 and len(rec.curve) == 23


# --------------------------------------------------------------------- the page


def test_replay_page_is_self_contained_and_written_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = two_blobs(12)
    model = MLP(2, [3, 1], seed=0)
    rec = live.LiveRecorder(title="a <b> & c")
    with pytest.raises(ValueError, match="nothing recorded"):
        rec.save(tmp_path / "x.html")
    fit(model, X, y, loss="hinge", epochs=5, batch_size=12, live=rec)
    out = rec.save(tmp_path / "sub" / "run.html")
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "a &lt;b&gt; &amp; c" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # nothing fetched
    assert "<link" not in html and "@import" not in html
    for name in ("Loss over steps", "Decision boundary", "Per layer", "Network", "legend"):
        assert name in html
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    # a failed write leaves the old page and no temporary file
    good = out.read_bytes()

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        rec.save(out)
    assert out.read_bytes() == good and sorted(p.name for p in out.parent.iterdir()) == ["run.html"]


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def test_recorder_and_view_bad_arguments() -> None:
    with pytest.raises(ValueError, match="max_snapshots"):
        live.LiveRecorder(max_snapshots=1)
    with pytest.raises(ValueError, match="grid"):
        live.LiveRecorder(grid=-1)
    with pytest.raises(ValueError, match="budget"):
        live.LiveView(budget=0)
    with pytest.raises(TypeError, match="sink"):
        live.LiveView(sink=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs the model"):
        live.LiveRecorder().update(0, 1.0)
    with pytest.raises(TypeError, match="LiveRecorder"):
        live.save_replay("x", "y.html")  # type: ignore[arg-type]


# --------------------------------------------------------------------- the live view


def test_fit_live_true_outside_jupyter_prints_plain_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    X, y = two_blobs(12)
    h1 = fit(MLP(2, [3, 1], seed=0), X, y, loss="hinge", epochs=30, batch_size=12, live=live_view)
    out = capsys.readouterr().out.splitlines()
    assert 5 <= len(out) <= 12 and all(re.match(r"step +\d+  loss ", line) for line in out)
    h2 = fit(MLP(2, [3, 1], seed=0), X, y, loss="hinge", epochs=30, batch_size=12)
    assert h1.loss == h2.loss


def test_importing_viz_registers_nothing_in_the_library() -> None:
    """``fit(live=True)`` means the same before and after ``import viz``: no import side
    effect; the live view is passed (``live=live_view``) or registered explicitly."""
    code = (
        "from autograd.nn import register_live_view\n"
        "import viz, viz.live\n"
        "assert register_live_view(None) is None, 'import viz registered a live view'\n"
        "assert register_live_view(viz.live_view) is None\n"
        "assert register_live_view(None) is viz.live_view\n"
    )
    root = Path(live.__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_fit_takes_the_live_view_factory_itself() -> None:
    made: list[LiveView] = []

    def factory(**context: Any) -> LiveView:
        view = live_view(**context, budget=1.0, sink=lambda png: None)
        made.append(view)
        return view

    X, y = two_blobs(12)
    fit(MLP(2, [3, 1], seed=0), X, y, loss="hinge", epochs=3, batch_size=12, live=factory)
    (view,) = made
    assert view.draws == 3  # budget 1: every step drawn


class _Handle:
    def __init__(self, log: list[Any]) -> None:
        self.log = log

    def update(self, obj: Any) -> None:
        self.log.append(("update", obj))


def test_live_view_in_a_kernel_updates_one_output(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    log: list[Any] = []

    def display(obj: Any, display_id: bool = False) -> _Handle:
        assert display_id is True
        log.append(("display", obj))
        return _Handle(log)

    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.setattr(live, "_in_kernel", lambda: True)
    X, y = two_blobs(20)
    model = MLP(2, [4, 1], seed=0)
    view = live.LiveView(model, X, y, budget=1.0, grid=5)  # budget 1: draw at every update
    for step in range(3):
        model.zero_grad()
        loss = hinge_loss([model(x) for x in X], y)
        loss.backward()
        view.update(step, loss.data)
    view.close()
    kinds = [k for k, _ in log]
    assert kinds[0] == "display" and kinds.count("display") == 1 and len(kinds) >= 2
    assert all(obj.data[:8] == b"\x89PNG\r\n\x1a\n" for _, obj in log)
    assert view.draws == len(log)


def test_live_view_with_a_sink_draws_the_last_step_and_keeps_a_recording(tmp_path: Path) -> None:
    X, y = two_blobs(20)
    model = MLP(2, [4, 1], seed=0)
    pngs: list[bytes] = []
    view = live.LiveView(model, X, y, sink=pngs.append, record=True, grid=5)
    fit(model, X, y, loss="hinge", epochs=6, batch_size=20, live=view)
    assert pngs and view.draws == len(pngs) and view._drawn_step == 5
    assert view.recording is not None and view.recording.snapshots[-1]["step"] == 5
    assert view.save(tmp_path / "r.html").exists()
    with pytest.raises(ValueError, match="record=True"):
        live.LiveView(model).save(tmp_path / "no.html")


# --------------------------------------------------------------------- moons


def test_moons_reaches_full_train_accuracy_in_100_steps() -> None:
    result = moons.train_moons()
    assert result.history.iterations == 100
    assert result.train_accuracy == 1.0
    assert result.history.loss[-1] < result.history.loss[0] / 10


def test_moons_loss_is_micrograds_first_step_loss() -> None:
    X, y = moons.load_moons()
    assert len(X) == 100 and set(y) == {-1, 1}
    result = moons.train_moons(epochs=1, data=(X, y))
    model = MLP(2, [16, 16, 1], seed=moons.DATA_SEED)
    seq = to_torch(model)
    out = seq(torch.tensor(X, dtype=D)).squeeze(1)
    data_loss = torch.relu(1 - torch.tensor(y, dtype=D) * out).mean()
    reg = sum((p * p).sum() for p in seq.parameters())
    assert math.isclose(result.history.loss[0], (data_loss + 1e-4 * reg).item(), rel_tol=1e-12)


def test_moons_command_writes_a_replay_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="gradwalk train")
    moons.add_parser(parser.add_subparsers(dest="dataset", required=True))
    page = tmp_path / "out" / "moons.html"
    args = parser.parse_args(["moons", "--epochs", "4", "--live", str(page)])
    assert args.func(args) == 0
    text = capsys.readouterr().out
    assert "step    4/4" in text and "replay page" in text and page.exists()
    args = parser.parse_args(["moons", "--epochs", "2", "--quiet"])
    assert args.func(args) == 0
    assert capsys.readouterr().out.count("\n") == 1
    with pytest.raises(SystemExit):
        parser.parse_args(["moons", "--epochs", "0"])
    assert "expected a number from 1" in capsys.readouterr().err


def test_autograd_train_imports_no_drawing_package() -> None:
    src = Path(live.__file__).resolve().parents[1] / "autograd" / "train.py"
    text = src.read_text(encoding="utf-8")
    assert not re.search(r"^\s*(from|import)\s+(viz|gradwalk|matplotlib)\b", text, re.M)
