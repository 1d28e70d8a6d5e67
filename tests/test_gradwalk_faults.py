"""Command-line faults: bad bytes, long names, a full disk, huge options, terminal escapes,
failed writes that must leave the old file intact, and a foreign ``autograd`` package.

Each case ends in one clear line on stderr and a known exit code, never a traceback.
Values are cross-checked against torch float64.
"""

from __future__ import annotations

import errno
import os
import subprocess
import time
from pathlib import Path

import pytest
import torch
from helpers import ROOT, close, gradwalk


def run(
    *args: str | bytes, cwd: Path, env: dict[str, str] | None = None, stdout: object = None
) -> subprocess.CompletedProcess[str]:
    """``python -m gradwalk ARGS`` (``bytes`` arguments passed as raw bytes)."""
    return gradwalk(
        *args,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE if stdout is None else stdout,
        errors="replace",
    )


def one_line(result: subprocess.CompletedProcess[str], *fragments: str, code: int = 2) -> str:
    """The single stderr line of a failed run, holding every fragment; exit ``code``."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert result.returncode == code, (result.returncode, lines[0])
    return lines[0]


def test_invalid_utf8_in_the_expression(tmp_path: Path) -> None:
    result = run("render", b"x\xff", "x=1", cwd=tmp_path)
    one_line(result, "gradwalk render: error:", "not valid UTF-8", "0xff", "column 2")
    assert result.stdout == ""


def test_invalid_utf8_in_a_value(tmp_path: Path) -> None:
    result = run("render", "x", b"x=1\xfe", cwd=tmp_path)
    one_line(result, "not valid UTF-8", "0xfe")


def test_a_300_character_output_name(tmp_path: Path) -> None:
    name = "g" * 300 + ".svg"
    result = run("render", "x*2", "x=1", "-o", name, cwd=tmp_path)
    one_line(result, "gradwalk render: error:", "file name is 304 bytes long", "255")
    assert result.stdout == ""  # refused before any work
    assert list(tmp_path.iterdir()) == []


def test_a_16400_character_variable_name(tmp_path: Path) -> None:
    name = "a" * 16_400
    result = run("render", f"{name} + 1", f"{name}=1", "-o", "g.svg", cwd=tmp_path)
    one_line(result, "16,400 characters long", "at most 100")
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [("examples",), ("render", "x*2", "x=3")])
def test_stdout_on_a_full_disk(tmp_path: Path, args: tuple[str, ...]) -> None:
    with open("/dev/full", "w") as full:
        result = run(*args, cwd=tmp_path, stdout=full)
    one_line(result, "cannot write to standard output", "No space left on device")


def test_hidden_size_is_bounded_at_once(tmp_path: Path) -> None:
    start = time.perf_counter()
    result = run("train", "digits", "--hidden", "1000000000", cwd=tmp_path)
    one_line(result, "--hidden", "1,000,000,000", "at most 10,000")
    assert result.stdout == ""
    result = run("train", "digits", "--hidden", "3000,3000", cwd=tmp_path)
    one_line(result, "--hidden 3000,3000", "9,228,010 parameters", "2,000,000")
    assert time.perf_counter() - start < 60  # refused, not trained (generous: loaded machine)


def test_precision_checked_before_any_work(tmp_path: Path) -> None:
    result = run("render", "x*2", "x=3", "-o", "g.svg", "--precision", "18", cwd=tmp_path)
    one_line(result, "--precision", "0 to 17", "'18'")
    assert result.stdout == ""  # nothing printed before the refusal
    assert list(tmp_path.iterdir()) == []


def test_precision_zero_is_accepted(tmp_path: Path) -> None:
    result = run("render", "x*2", "x=3", "-o", "g.dot", "--precision", "0", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    dot = (tmp_path / "g.dot").read_text(encoding="utf-8")
    assert "data 6" in dot and "data 6." not in dot  # zero decimals


@pytest.mark.parametrize(
    ("expression", "escaped"),
    [("x  # \x1b[31mred", "\\x1b[31m"), ("x # \u202eevil", "\\u202e"), ("x # \x07", "\\x07")],
)
def test_echoed_expression_is_escaped(tmp_path: Path, expression: str, escaped: str) -> None:
    result = run("render", expression, "x=2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert escaped in first, first
    for ch in ("\x1b", "\u202e", "\x07"):
        assert ch not in result.stdout and ch not in result.stderr


def test_control_characters_in_errors_are_escaped(tmp_path: Path) -> None:
    result = run("render", "x", "\x1b[2J=1", cwd=tmp_path)
    line = one_line(result, "not a valid variable name")
    assert "\x1b" not in line and "\\x1b" in line


def test_math_italic_names_normalised_on_both_sides(tmp_path: Path) -> None:
    for values in (["𝑥=3"], ["x=3"]):
        result = run("render", "𝑥*2", *values, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        first, grad_line = result.stdout.splitlines()[:2]
        x = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
        (x * 2).backward()
        assert close(float(first.rsplit(" = ", 1)[1]), 6.0)
        assert grad_line.strip() == f"x.grad = {x.grad.item()!r}"


def test_momentum_with_adam_is_refused(tmp_path: Path) -> None:
    result = run("train", "digits", "--momentum", "0.5", "--epochs", "1", cwd=tmp_path)
    one_line(result, "--momentum", "sgd")
    assert result.stdout == ""


def test_foreign_autograd_package(tmp_path: Path) -> None:
    """HIPS autograd installed over ours: one line saying what happened and what to do."""
    fake = tmp_path / "site" / "autograd"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('"""Another autograd."""\n\ndef grad(f):\n    return f\n')
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(ROOT)])}
    for args in (("examples",), ("--version",), ("render", "x", "x=1")):
        result = run(*args, cwd=tmp_path, env=env)
        line = one_line(result, "gradwalk: error:", "another package", "HIPS autograd")
        assert str(fake) in line and "venv" in line and "reinstall" in line
        assert result.stdout == ""


# ------------------------------------------------------------- atomic writes (in-process)


def _no_temp_files(directory: Path) -> bool:
    return not [p for p in directory.iterdir() if p.name.startswith(".")]


def test_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    from gradwalk.errors import CommandError
    from gradwalk.files import atomic_write

    target = tmp_path / "model.json"
    target.write_text("old, good")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("new but trunc")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(CommandError, match="No space left on device") as info:
        atomic_write(target, half_then_fail)
    assert info.value.code == 2
    assert target.read_text() == "old, good"
    assert _no_temp_files(tmp_path)
    atomic_write(target, lambda tmp: tmp.write_text("new"))
    assert target.read_text() == "new" and _no_temp_files(tmp_path)
    assert (target.stat().st_mode & 0o777) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _failing_save(original):  # type: ignore[no-untyped-def]
    def save(self, path, *args, **kwargs):  # type: ignore[no-untyped-def]
        Path(path).write_bytes(b"<svg truncat")
        raise OSError(errno.EFBIG, "File too large")

    return save


@pytest.mark.parametrize("name", ["graph.svg", "player.html"])
def test_render_failed_write_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    import viz
    from gradwalk.cli import main

    cls = viz.BackwardPlayer if name.endswith(".html") else viz.Drawing
    monkeypatch.setattr(cls, "save", _failing_save(cls.save))
    target = tmp_path / name
    target.write_text("the good old file")
    code = main(["render", "x*2", "x=3", "-o", str(target)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "File too large" in err and len(err.strip().splitlines()) == 1
    assert target.read_text() == "the good old file"
    assert _no_temp_files(tmp_path)


def test_render_replaces_the_file_when_the_write_succeeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gradwalk.cli import main

    target = tmp_path / "g.dot"
    target.write_text("old")
    assert main(["render", "x*2", "x=3", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8").startswith("digraph")
    assert _no_temp_files(tmp_path)
    assert "wrote" in capsys.readouterr().out


def test_plot_failed_write_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.figure import Figure

    from gradwalk.errors import CommandError
    from gradwalk.plots import plot_confusion

    def bad_savefig(self, path, **kwargs):  # type: ignore[no-untyped-def]
        Path(path).write_bytes(b"\x89PNG trunc")
        raise OSError(errno.ENOSPC, "No space left on device")

    target = tmp_path / "digits_confusion.png"
    target.write_bytes(b"old png")
    monkeypatch.setattr(Figure, "savefig", bad_savefig)
    with pytest.raises(CommandError, match="No space"):
        plot_confusion([[1, 0], [0, 1]], target, "t")
    assert target.read_bytes() == b"old png"
    assert _no_temp_files(tmp_path)
