"""A tiny full file system for the tests: a 64 kB tmpfs filled to the last byte where the
tests may mount one (root in a container), else a file-size limit (``RLIMIT_FSIZE``) that
makes every write past a few bytes fail, as a full disk would.

``full_disk(tmp_path)`` yields ``(directory, limit)``: files written into ``directory``
fail with ``ENOSPC`` (tmpfs; ``limit`` is None), or, when no file system could be mounted,
``directory`` is a plain one and ``limit`` is the ``RLIMIT_FSIZE`` value to apply (in a
subprocess with :func:`limit_file_size`, or around a call with :func:`file_size_limit`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

#: The file-size limit of the fallback: larger than a model file of a tiny network
#: (a few kB), smaller than any replay page or PNG.
FALLBACK_LIMIT = 16 * 1024


def _mount(directory: Path) -> bool:
    if os.geteuid() != 0:
        return False
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(directory)],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def _fill(directory: Path) -> None:
    """Write a filler file until the file system has no byte left."""
    for name, chunk in ((".filler", 4096), (".filler2", 1)):  # then the last partial block
        with open(directory / name, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc


@contextlib.contextmanager
def full_disk(
    tmp_path: Path, before: Callable[[Path], None] | None = None
) -> Iterator[tuple[Path, int | None]]:
    """A directory on a full file system (see the module docstring); ``before(directory)``
    runs while there is still room (to put old files there)."""
    directory = tmp_path / "full"
    directory.mkdir()
    if _mount(directory):
        try:
            if before is not None:
                before(directory)
            _fill(directory)
            yield directory, None
        finally:
            subprocess.run(["umount", "-l", str(directory)], check=False)
    else:
        if before is not None:
            before(directory)
        yield directory, FALLBACK_LIMIT


def limit_file_size(limit: int | None) -> Callable[[], None] | None:
    """A ``preexec_fn`` for :mod:`subprocess` that applies ``limit`` (None: nothing to do)."""
    if limit is None:
        return None

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@contextlib.contextmanager
def file_size_limit(limit: int | None) -> Iterator[None]:
    """Apply ``limit`` to this process for the block (Python ignores SIGXFSZ, so a write
    past it fails with EFBIG)."""
    if limit is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
