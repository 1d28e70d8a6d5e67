"""The project's one file writer (``viz._files.write_atomic``) and everything that writes
through it: drawings, players, the live view's replay page and the command line.

Every writer gives the same guarantees: the file is complete or the old one is kept (a
full disk, Ctrl-C), its mode comes from the umask, it is synced to disk, a symbolic link
writes its target and stays a link, and a target that is not a regular file is refused.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fullfs import file_size_limit, full_disk
from helpers import gradwalk

from autograd import Value
from autograd.nn import MLP, fit

BIG = b"x" * 100_000  # more than a full disk or the fallback size limit takes


def _graph() -> Value:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b + a**2).tanh()
    c.backward()
    return c


def _recorder() -> object:
    from viz import LiveRecorder

    rec = LiveRecorder(title="t")
    model = MLP(2, [3, 1], seed=0)
    fit(model, [[0.0, 1.0], [1.0, 0.0]], [1, -1], loss="hinge", epochs=2, batch_size=2, live=rec)
    return rec


def _writers() -> dict[str, Callable[[Path], object]]:
    """Each way the project writes a file, as ``write(path)``."""
    import viz
    from gradwalk.files import write_text

    return {
        "draw_dot.save": lambda p: viz.draw_dot(_graph()).save(p.with_suffix(".svg")),
        "player.save": lambda p: viz.backward_player(_graph()).save(p.with_suffix(".html")),
        "LiveRecorder.save": lambda p: _recorder().save(p.with_suffix(".html")),  # type: ignore[attr-defined]
        "cli write_text": lambda p: write_text(p.with_suffix(".json"), "{}"),
    }


WRITERS = list(_writers())


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def _only_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize("writer", WRITERS)
def test_every_writer_takes_its_mode_from_the_umask(
    tmp_path: Path, writer: str, umask_027: None
) -> None:
    _writers()[writer](tmp_path / "out")
    (written,) = tmp_path.iterdir()
    assert written.stat().st_mode & 0o777 == 0o640  # 0o666 less the umask 0o027


@pytest.mark.parametrize("writer", WRITERS)
def test_every_writer_syncs_the_file_before_renaming_it(
    tmp_path: Path, writer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(
        os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1]
    )
    _writers()[writer](tmp_path / "out")
    assert "replace" in events
    assert "fsync" in events[: events.index("replace")]


@pytest.mark.parametrize("writer", WRITERS)
def test_every_writer_writes_through_a_symlink_and_keeps_it(tmp_path: Path, writer: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    here = tmp_path / "here"
    here.mkdir()
    suffix = {"draw_dot.save": ".svg", "cli write_text": ".json"}.get(writer, ".html")
    target = elsewhere / f"real{suffix}"
    target.write_text("stale")
    link = here / f"link{suffix}"
    link.symlink_to(target)
    _writers()[writer](link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8") != "stale"
    assert _only_files(here) == [link.name]
    assert _only_files(elsewhere) == [target.name]  # no temporary file left in either place


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("writer", WRITERS)
def test_every_writer_refuses_a_link_to_a_device(tmp_path: Path, writer: str) -> None:
    from gradwalk.errors import CommandError

    suffix = {"draw_dot.save": ".svg", "cli write_text": ".json"}.get(writer, ".html")
    link = tmp_path / f"out{suffix}"
    link.symlink_to("/dev/full")
    with pytest.raises((OSError, CommandError), match="not a regular file"):
        _writers()[writer](link)
    assert link.is_symlink() and _only_files(tmp_path) == [link.name]


def test_a_directory_is_refused_not_replaced(tmp_path: Path) -> None:
    from viz._files import NotRegularFileError, write_atomic

    (tmp_path / "d").mkdir()
    with pytest.raises(NotRegularFileError, match=r"is a directory"):
        write_atomic(tmp_path / "d", b"x")
    assert (tmp_path / "d").is_dir()


def test_a_chain_of_links_writes_the_final_target(tmp_path: Path) -> None:
    from viz._files import write_atomic

    final = tmp_path / "final.txt"
    final.write_text("old")
    (tmp_path / "one").symlink_to(final)
    (tmp_path / "two").symlink_to(tmp_path / "one")
    write_atomic(tmp_path / "two", "new")
    assert final.read_text() == "new" and (tmp_path / "two").is_symlink()
    assert (tmp_path / "one").is_symlink()


def test_a_dangling_link_creates_its_target(tmp_path: Path) -> None:
    from viz._files import write_atomic

    (tmp_path / "sub").mkdir()
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "sub" / "new.txt")
    write_atomic(link, "made")
    assert (tmp_path / "sub" / "new.txt").read_text() == "made" and link.is_symlink()


def test_on_a_full_disk_the_old_file_is_kept_whole(tmp_path: Path) -> None:
    from viz._files import write_atomic

    def old_file(directory: Path) -> None:
        (directory / "model.json").write_bytes(b"old, good")

    with full_disk(tmp_path, old_file) as (directory, limit):
        with pytest.raises(OSError) as info, file_size_limit(limit):
            write_atomic(directory / "model.json", BIG)
        assert info.value.errno in (errno.ENOSPC, errno.EFBIG)
        assert (directory / "model.json").read_bytes() == b"old, good"
        assert not [p for p in directory.iterdir() if p.name.startswith(".model")]


def test_an_interrupt_while_writing_keeps_the_old_file(tmp_path: Path) -> None:
    from viz._files import write_atomic

    target = tmp_path / "page.html"
    target.write_text("old")

    def interrupted(tmp: Path) -> None:
        tmp.write_text("half a pa")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, interrupted)
    assert target.read_text() == "old" and _only_files(tmp_path) == ["page.html"]


def test_a_group_is_written_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from viz import _files

    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(b"old a")
    b.write_bytes(b"old b")
    real = _files._write_temp
    calls = []

    def second_fails(target: Path, data: object) -> Path:
        calls.append(target)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(target, data)  # type: ignore[arg-type]

    monkeypatch.setattr(_files, "_write_temp", second_fails)
    with pytest.raises(OSError, match="No space") as info:
        _files.write_atomic_group([(a, b"new a"), (b, b"new b")])
    assert info.value.filename == str(b)
    assert a.read_bytes() == b"old a" and b.read_bytes() == b"old b"
    assert _only_files(tmp_path) == ["a.png", "b.png"]
    monkeypatch.setattr(_files, "_write_temp", real)
    _files.write_atomic_group([(a, b"new a"), (b, b"new b")])
    assert a.read_bytes() == b"new a" and b.read_bytes() == b"new b"


def test_render_through_a_link_to_dev_full_is_one_line_before_any_work(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full (Linux)")
    (tmp_path / "g.svg").symlink_to("/dev/full")
    result = gradwalk("render", "x*2", "x=3", "-o", "g.svg", cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "not a regular file" in lines[0] and "character device" in lines[0], lines[0]
    assert result.stdout == ""  # refused before the expression was evaluated


def test_render_through_a_link_replaces_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    target_dir = tmp_path / "pictures"
    target_dir.mkdir()
    (target_dir / "graph.svg").write_text("stale")
    (tmp_path / "link.svg").symlink_to(target_dir / "graph.svg")
    result = gradwalk("render", "x*2", "x=3", "-o", "link.svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "link.svg").is_symlink()
    assert (target_dir / "graph.svg").read_text(encoding="utf-8").lstrip().startswith("<")
    assert _only_files(target_dir) == ["graph.svg"]
