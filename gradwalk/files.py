"""Files the command line writes: checked before any work, written atomically.

Every output goes to a temporary file beside its target and is renamed over
it with :func:`os.replace` only once it is complete, so a failed write (disk
full, file-size limit, Ctrl-C) never leaves a truncated file where a good one
was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import CommandError

__all__ = [
    "atomic_write",
    "check_output_file",
    "human_size",
    "make_dir",
    "write_bytes",
    "write_failed",
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


def check_output_file(path: Path, what: str) -> None:
    """Usage error unless ``path`` can be created: a name the file system takes, in an
    existing, writable directory."""
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
    if not parent.exists():
        raise CommandError(
            f"cannot write {what} {shown!r}: directory {str(parent)!r} does not exist"
        )
    if not parent_ok:
        raise CommandError(f"cannot write {what} {shown!r}: {str(parent)!r} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CommandError(f"cannot write {what} {shown!r}: permission denied")


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
    """The one-line error (exit 1) for a write to ``path`` that failed with ``exc``."""
    return CommandError(f"cannot write {str(path)!r}: {exc.strerror or exc}", 1)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` with a temporary path beside ``path`` (same suffix), then rename
    it over ``path``. If ``write`` raises, ``path`` is untouched and the temporary file is
    removed; an :class:`OSError` becomes a one-line :class:`CommandError` (exit 1).
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        fd, name = tempfile.mkstemp(
            prefix=f".{path.stem[:40]}.", suffix=f".tmp{path.suffix[:16]}", dir=parent
        )
    except OSError as exc:
        raise write_failed(path, exc) from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        raise write_failed(path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write`)."""
    return write_bytes(path, text.encode("utf-8"))
