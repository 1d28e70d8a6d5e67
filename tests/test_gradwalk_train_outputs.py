"""``gradwalk train``'s outputs under faults: a full disk for any of them, Ctrl-C at any moment.

The model file is written first; every failed output is one line (exit 2) that says what
failed and what was saved; an interrupted run leaves no partial or empty output. The full
disk is a real one (a 64 kB tmpfs filled up) where the tests may mount it, else a
file-size limit on the command (see ``fullfs.py``).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from fullfs import full_disk, limit_file_size
from helpers import PNG_MAGIC, assert_one_line_error, gradwalk, gradwalk_env

from autograd.nn import MLP

TINY = ("train", "digits", "--epochs", "1", "--hidden", "4", "--no-progress")
PROG = "gradwalk train digits"


def run_limited(
    *args: str, cwd: Path, limit: int | None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return gradwalk(*args, cwd=cwd, timeout=timeout, preexec_fn=limit_file_size(limit))


def _loads_as_the_model(path: Path) -> None:
    model = MLP(64, [4, 10], activation="relu")
    model.load_state_dict(json.loads(path.read_text(encoding="utf-8")))


def _leftovers(directory: Path) -> list[str]:
    """Files other than the filler of a full disk."""
    if not directory.exists():
        return []
    return sorted(p.name for p in directory.rglob("*") if not p.name.startswith(".filler"))


def test_a_full_disk_for_the_replay_page_still_saves_the_model(tmp_path: Path) -> None:
    with full_disk(tmp_path) as (full, limit):
        result = run_limited(
            *TINY, "--live", str(full / "l.html"), "--save-model", "m.json",
            cwd=tmp_path, limit=limit,
        )  # fmt: skip
        line = assert_one_line_error(
            result, PROG, "cannot write", "l.html", "saved: model file 'm.json'"
        )
        assert "No space left on device" in line or "File too large" in line, line
        assert _leftovers(full) == []
    _loads_as_the_model(tmp_path / "m.json")
    assert "wrote m.json" in result.stdout


def test_a_full_disk_for_the_plots_leaves_no_plot_and_no_directory(tmp_path: Path) -> None:
    with full_disk(tmp_path) as (full, limit):
        result = run_limited(
            *TINY, "--plots", str(full / "plots"), "--save-model", "m.json",
            cwd=tmp_path, limit=limit,
        )  # fmt: skip
        line = assert_one_line_error(result, PROG, "plot", "saved: model file 'm.json'")
        assert "No space left on device" in line or "File too large" in line, line
        assert _leftovers(full) == []  # neither PNG, nor an empty plots directory
    _loads_as_the_model(tmp_path / "m.json")


def test_everything_on_a_full_disk_says_nothing_was_saved(tmp_path: Path) -> None:
    with full_disk(tmp_path) as (full, limit):
        model = full / "m.json"
        args = ("--save-model", str(model), "--live", str(full / "l.html"))
        result = run_limited(*TINY, "--hidden", "64", *args, cwd=tmp_path, limit=limit)
        assert_one_line_error(result, PROG, "model file", "replay page", "nothing was saved")
        assert _leftovers(full) == []
    assert "wrote" not in result.stdout


def test_moons_replay_page_on_a_full_disk_is_one_line(tmp_path: Path) -> None:
    with full_disk(tmp_path) as (full, limit):
        args = ("train", "moons", "--epochs", "2", "--quiet", "--live", str(full / "m.html"))
        result = run_limited(*args, cwd=tmp_path, limit=limit)
        assert_one_line_error(
            result, "gradwalk train moons", "cannot write replay page", "nothing was saved"
        )
        assert _leftovers(full) == []


def test_the_model_is_written_before_the_optional_outputs(tmp_path: Path) -> None:
    result = run_limited(
        *TINY, "--live", "l.html", "--plots", "p", "--save-model", "m.json",
        cwd=tmp_path, limit=None,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    wrote = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("wrote ")]
    assert wrote == ["m.json", "l.html", "p/digits_curves.png", "p/digits_confusion.png"]
    for name in ("p/digits_curves.png", "p/digits_confusion.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG_MAGIC)


# ------------------------------------------------------------------ Ctrl-C


def _tiny_result() -> SimpleNamespace:
    """What save_plots reads of a digits run, for a 2-epoch, 3-class run."""
    history = SimpleNamespace(
        loss=[1.0, 0.5], accuracy=[0.5, 0.75], val_loss=[1.1, 0.6], val_accuracy=[0.4, 0.7]
    )
    config = SimpleNamespace(hidden=(4,), loss="cross_entropy")
    confusion = [[3, 1, 0], [0, 4, 0], [1, 0, 2]]
    return SimpleNamespace(history=history, config=config, confusion=confusion, test_accuracy=0.7)


def _start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """``gradwalk ARGS`` started in ``tmp_path``, its output piped as text."""
    return subprocess.Popen(
        [sys.executable, "-m", "gradwalk", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=gradwalk_env(),
    )


def _interrupt_after(
    tmp_path: Path, delay: float, *args: str, lines: int = 1
) -> subprocess.CompletedProcess[str]:
    """Start ``gradwalk ARGS``, send SIGINT ``delay`` s after its first ``lines`` lines of
    output, wait for it to end (bounded)."""
    proc = _start(tmp_path, *args)
    try:
        assert proc.stdout is not None
        first = "".join(proc.stdout.readline() for _ in range(lines))
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, first + out, err)


def _seconds_after_first_line(tmp_path: Path, *args: str) -> float:
    """How long ``gradwalk ARGS`` runs after its first line of output, uninterrupted."""
    proc = _start(tmp_path, *args)
    assert proc.stdout is not None
    proc.stdout.readline()
    start = time.perf_counter()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return time.perf_counter() - start


def test_ctrl_c_during_training_writes_nothing_and_says_where_it_stopped(tmp_path: Path) -> None:
    args = ("train", "digits", "--epochs", "50", "--hidden", "16", "--no-progress")
    outputs = ("--plots", "p", "--save-model", "m.json", "--live", "l.html")
    # the second line is epoch 1's: training runs, and 49 epochs are left to interrupt
    result = _interrupt_after(tmp_path, 0.2, *args, *outputs, lines=2)
    assert result.returncode == 130, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("gradwalk train digits: interrupted: fit interrupted in epoch ")
    assert "completed updates" in lines[0] and lines[0].endswith("nothing was written")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no model, page or plot directory


def test_ctrl_c_at_random_moments_leaves_both_plots_or_none(tmp_path: Path) -> None:
    """Interrupts spread over the whole run, writing included: a run leaves all of its
    plots or none of them (and no empty directory, no temporary file)."""
    # The run's own length after its first line, so that the interrupts span it however
    # fast this machine (or the engine) is: the first at once, the last after the end.
    timed = tmp_path / "timed"
    timed.mkdir()
    span = _seconds_after_first_line(timed, *TINY, "--plots", "p")
    rng = random.Random(20)
    delays = [0.0, *(rng.uniform(0.0, 1.2 * span) for _ in range(7))]
    outcomes = set()
    for trial, delay in enumerate(delays):
        where = tmp_path / f"t{trial}"
        where.mkdir()
        result = _interrupt_after(where, delay, *TINY, "--plots", "p")
        # -SIGINT: the signal came after the command had finished, as Python shut down
        assert result.returncode in (0, 130, -signal.SIGINT), result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        left = sorted(str(p.relative_to(where)) for p in where.rglob("*"))
        both = ["p", "p/digits_confusion.png", "p/digits_curves.png"]
        assert left == (both if result.returncode != 130 else left) and left in ([], both), left
        outcomes.add(result.returncode)
    assert 130 in outcomes, "no interrupt landed before the end of a run"


def test_an_interrupt_while_writing_the_plots_leaves_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradwalk.plots import save_plots
    from viz import _files

    real = _files._write_temp
    calls: list[Path] = []

    def interrupted_on_the_second(target: Path, data: object) -> Path:
        calls.append(target)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(target, data)  # type: ignore[arg-type]

    monkeypatch.setattr(_files, "_write_temp", interrupted_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        save_plots(_tiny_result(), tmp_path / "new" / "plots")
    assert list(tmp_path.iterdir()) == []


_FINALIZER_INTERRUPT = """
import sys, time
import gradwalk.demo
from gradwalk.cli import main

class Finalized:
    def __del__(self):
        raise KeyboardInterrupt  # as a Ctrl-C landing in a finalizer (Python ignores it)

def command(args):
    Finalized()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pass
    print("ran on after the interrupt")
    return 0

gradwalk.demo.cmd_examples = command
sys.exit(main(["examples"]))
"""


def test_ctrl_c_in_a_finalizer_still_stops_the_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _FINALIZER_INTERRUPT],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=gradwalk_env(),
        timeout=120,
        check=False,
    )
    assert result.returncode == 130, (result.stdout, result.stderr)
    assert result.stderr.strip() == "gradwalk examples: interrupted", result.stderr
    assert "ran on" not in result.stdout
