"""Private: the one way this project writes a file, whole or not at all.

:func:`write_atomic` is used by every writer of the project: drawings and
players (:mod:`viz.graph`, :mod:`viz.player`), the live view's replay page
(:mod:`viz.live`) and the command line (:mod:`gradwalk.files`). It imports
only the standard library, so any layer may use it.

What it guarantees:

* the new content goes to a temporary file in the target's directory, is
  flushed and ``fsync``-ed, and only then renamed over the target, so a
  failure (disk full, size limit, Ctrl-C) leaves the old file whole and no
  temporary file behind;
* the file gets the mode a plain ``open(path, "w")`` would give it
  (``0o666`` less the umask), not ``mkstemp``'s ``0o600``;
* a path that is a symbolic link writes the link's final target, atomically
  in the target's directory, and the link stays a link;
* a target that exists and is not a regular file (a directory, a device such
  as ``/dev/full``, a pipe) is refused with a :class:`NotRegularFileError`
  before anything is written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "NotRegularFileError",
    "file_mode",
    "real_target",
    "write_atomic",
    "write_atomic_group",
]

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
}


class NotRegularFileError(OSError):
    """The target exists and is not a regular file (``strerror`` says what it is)."""


def _umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new file gets from ``open(path, "w")``: ``0o666`` less the umask."""
    return 0o666 & ~_umask()


def real_target(path: str | os.PathLike[str]) -> Path:
    """The file that writing ``path`` should replace: ``path`` itself, or the final target
    of the symbolic link(s) it names. Raises :class:`NotRegularFileError` when that exists
    and is not a regular file."""
    target = Path(path)
    if os.path.islink(target):
        target = Path(os.path.realpath(target))
    try:
        mode = os.stat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):  # a new file: the write will say more
        return target
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        shown = str(target) if str(target) == str(path) else f"{path} -> {target}"
        raise NotRegularFileError(
            errno.EINVAL, f"not a regular file ({shown} is {kind})", str(path)
        )
    return target


def _write_temp(target: Path, data: bytes | Callable[[Path], object]) -> Path:
    """A complete, fsync-ed temporary copy of the new ``target`` beside it, with the
    final mode; removed again if anything fails (Ctrl-C included)."""
    parent = target.parent if str(target.parent) else Path(".")
    fd, name = tempfile.mkstemp(
        prefix=f".{target.stem[:40]}.", suffix=f".tmp{target.suffix[:16]}", dir=parent
    )
    tmp = Path(name)
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        os.chmod(tmp, file_mode())
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


def write_atomic(
    path: str | os.PathLike[str], data: bytes | str | Callable[[Path], object]
) -> Path:
    """Write ``data`` to ``path`` whole or not at all; return ``path``.

    ``data`` is bytes, a str (written as UTF-8), or a callable ``write(tmp)``
    that writes the content to the temporary path it is given (for writers
    that take a file name, such as matplotlib's ``savefig``). See the module
    docstring for what is guaranteed. Errors are the :class:`OSError` the
    system raised (or :class:`NotRegularFileError`), with the target unchanged.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    target = real_target(path)
    tmp = _write_temp(target, data)
    try:
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _sync_directory(target.parent if str(target.parent) else Path("."))
    return Path(path)


def write_atomic_group(files: Sequence[tuple[str | os.PathLike[str], bytes]]) -> list[Path]:
    """Write several files as one: all of them or, on any failure, none.

    Every file is first written in full to a temporary file beside its target
    (where a full disk or a size limit shows); only when all are complete are
    they renamed into place, one after the other, with Ctrl-C held back until
    the last rename is done (in the main thread, where Python handles it). A
    failure before that leaves every target as it was and no temporary file.
    """
    targets = [real_target(path) for path, _ in files]
    temps: list[Path] = []
    try:
        for target, (path, data) in zip(targets, files):
            try:
                temps.append(_write_temp(target, data))
            except OSError as exc:
                exc.filename = str(path)  # the file asked for, not its temporary name
                raise
        with _interrupt_held():
            for tmp, target in zip(temps, targets):
                os.replace(tmp, target)
            temps = []
    finally:
        for tmp in temps:
            with contextlib.suppress(OSError):
                tmp.unlink()
    for directory in dict.fromkeys(t.parent for t in targets):
        _sync_directory(directory if str(directory) else Path("."))
    return [Path(path) for path, _ in files]


@contextlib.contextmanager
def _interrupt_held() -> Iterator[None]:
    """Delay a Ctrl-C (SIGINT) that arrives inside the block to its end."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # a handler set outside Python: leave it alone
        yield
        return
    caught: list[tuple[int, Any]] = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            if callable(previous):
                previous(*caught[0])  # Python's default raises KeyboardInterrupt here
            elif previous == signal.SIG_DFL:
                signal.raise_signal(signal.SIGINT)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable where the system allows it (best effort)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
