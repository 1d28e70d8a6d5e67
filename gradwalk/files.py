"""Files the command line writes: checked before any work, written atomically.

Every output is written by the project's one writer,
:func:`viz._files.write_atomic`: a temporary file beside the target, fsync-ed
and renamed over it only once it is complete, so a failed write (disk full,
file-size limit, Ctrl-C) never leaves a truncated file where a good one was.
A failed write is one line on stderr and exit code 2.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from viz._files import NotRegularFileError, real_target, write_atomic, write_atomic_group

from .errors import CommandError

__all__ = [
    "atomic_write",
    "check_output_dir",
    "check_output_file",
    "human_size",
    "make_dir",
    "write_bytes",
    "write_failed",
    "write_group",
    "write_text",
]


def human_size(path: Path) -> str:
    """The size of ``path``, as ``"812 B"`` or ``"3.4 kB"``."""
    n = path.stat().st_size
    return f"{n / 1024:.1f} kB" if n >= 1024 else f"{n} B"


def _name_max(directory: Path) -> int:
    try:
        return os.pathconf(directory, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        return 255


def check_output_file(path: Path, what: str, *, new_directory: bool = False) -> None:
    """Usage error unless ``path`` can be created: a name the file system takes, in an
    existing, writable directory (or, with ``new_directory``, one that can be created
    when the file is written). A symbolic link is checked at its final target, which
    must be a regular file if it exists (a link to ``/dev/full`` is refused)."""
    if new_directory and not os.path.lexists(path.parent):
        check_output_dir(path.parent, f"directory of the {what}")
        return
    shown = str(path)
    if len(shown) > 80:
        shown = shown[:40] + "..." + shown[-20:]
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent_ok = parent.is_dir()
    except OSError as exc:  # e.g. a directory name too long
        raise CommandError(f"cannot write {what} {shown!r}: {exc.strerror or exc}") from None
    limit = _name_max(parent) if parent_ok else 255
    size = len(os.fsencode(path.name))
    if size > limit:
        raise CommandError(
            f"cannot write {what} {shown!r}: the file name is {size} bytes long, "
            f"more than the {limit} this file system allows"
        )
    if path.is_dir():
        raise CommandError(f"{what} {shown!r} is a directory; give a file name")
    try:
        path = real_target(path)  # a symbolic link: its target is what gets written
    except NotRegularFileError as exc:
        raise CommandError(f"cannot write {what} {shown!r}: {exc.strerror}") from None
    except OSError as exc:
        raise CommandError(f"cannot write {what} {shown!r}: {exc.strerror or exc}") from None
    parent = path.parent if str(path.parent) else Path(".")
    parent_ok = parent.is_dir()
    if not parent.exists():
        raise CommandError(
            f"cannot write {what} {shown!r}: directory {str(parent)!r} does not exist"
        )
    if not parent_ok:
        raise CommandError(f"cannot write {what} {shown!r}: {str(parent)!r} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CommandError(f"cannot write {what} {shown!r}: permission denied")


def check_output_dir(path: Path, what: str) -> None:
    """Usage error unless directory ``path`` exists and is writable, or can be created
    (its nearest existing ancestor is a writable directory). Nothing is created."""
    if path.exists():
        if not path.is_dir():
            raise CommandError(f"{what} {str(path)!r} exists and is not a directory")
        if not os.access(path, os.W_OK | os.X_OK):
            raise CommandError(f"cannot write into {what} {str(path)!r}: permission denied")
        return
    ancestor = path.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise CommandError(
            f"cannot create {what} {str(path)!r}: {str(ancestor)!r} is not a directory"
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise CommandError(f"cannot create {what} {str(path)!r}: permission denied")


def make_dir(path: Path, what: str) -> None:
    """Create directory ``path`` (and its parents); a usage error if that is impossible."""
    if path.exists() and not path.is_dir():
        raise CommandError(f"{what} {str(path)!r} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(f"cannot create {what} {str(path)!r}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise CommandError(f"cannot write into {what} {str(path)!r}: permission denied")


def write_failed(path: Path, exc: OSError) -> CommandError:
    """The one-line error (exit 2) for a write to ``path`` that failed with ``exc``."""
    return CommandError(f"cannot write {str(path)!r}: {exc.strerror or exc}")


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` with a temporary path beside ``path``'s real target (same suffix),
    then rename it over that target (:func:`viz._files.write_atomic`: fsync-ed, mode from
    the umask, symbolic links kept). If ``write`` raises, the target is untouched and the
    temporary file is removed; an :class:`OSError` becomes a one-line :class:`CommandError`
    (exit 2).
    """
    try:
        return write_atomic(path, write)
    except OSError as exc:
        raise write_failed(path, exc) from None


def write_group(files: list[tuple[Path, bytes]], what: str) -> list[Path]:
    """Write ``files`` (path, content) all or none (:func:`viz._files.write_atomic_group`);
    an :class:`OSError` becomes a one-line :class:`CommandError` (exit 2) naming ``what``."""
    try:
        return write_atomic_group(files)
    except OSError as exc:
        where = exc.filename or (files[0][0] if files else "")
        raise CommandError(f"cannot write {what} {str(where)!r}: {exc.strerror or exc}") from None


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    try:
        return write_atomic(path, data)
    except OSError as exc:
        raise write_failed(path, exc) from None


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write`)."""
    return write_bytes(path, text.encode("utf-8"))
