"""The errors the command line reports as one line on stderr (stdlib only)."""

from __future__ import annotations

import importlib.util

__all__ = ["CommandError", "UsageError", "need"]


class CommandError(Exception):
    """A problem to report as one line on stderr, with an exit code (2: bad usage)."""

    def __init__(self, message: str, code: int = 2, prog: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        #: The (sub)command that failed, e.g. ``"gradwalk render"``; set by the command line.
        self.prog = prog


class UsageError(CommandError):
    """Bad usage of a (sub)command ``prog``: reported with a pointer to its ``--help``."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message, 2, prog)


def need(module: str, purpose: str, extra: str = "examples") -> None:
    """A runtime error (exit 1) naming the extra to install when ``module`` is missing."""
    if importlib.util.find_spec(module) is None:
        raise CommandError(
            f"{purpose} needs {module}, which is not installed: pip install 'gradwalk[{extra}]'",
            1,
        )
