"""gradwalk: the application around the :mod:`autograd` engine, for learners of backprop.

* :mod:`gradwalk.cli`: the ``gradwalk`` command line (``python -m gradwalk``);
* :mod:`gradwalk.expr`: a safe parser of small expressions over named scalars;
* :mod:`gradwalk.lessons`: the worked examples' networks and numbers, written once
  (the text is ``docs/lessons.md``); :mod:`gradwalk.worked` computes them;
* :mod:`gradwalk.digits`: the digits experiments (``DigitsConfig``, ``train``, ``compare_*``);
* :mod:`gradwalk.plots`, :mod:`gradwalk.render`, :mod:`gradwalk.train`,
  :mod:`gradwalk.demo`: the pictures and the commands.

The library below (``autograd``, ``viz``) imports nothing from here.
Importing :mod:`gradwalk` itself imports only the standard library. It checks that
``autograd`` and ``viz`` are this project's (:mod:`gradwalk.engine_check`); if another
package of either name is installed over them, importing a module of gradwalk that uses
them fails with one line naming it and the fix, while the command line reports it itself.
"""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from typing import Any

from .engine_check import clash

__all__ = ["__version__"]

# Modules that import neither autograd nor viz: the command line must load them to say
# what is wrong in its own words.
_STDLIB_ONLY = frozenset(
    {
        "gradwalk.__main__",
        "gradwalk.cli",
        "gradwalk.engine_check",
        "gradwalk.errors",
        "gradwalk.text",
    }
)


class _Refuse(MetaPathFinder):
    """Fails the import of gradwalk's modules that need ``autograd``/``viz``, with ``message``."""

    def __init__(self, message: str) -> None:
        self.message = message

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if fullname.startswith("gradwalk.") and fullname not in _STDLIB_ONLY:
            raise ImportError(f"cannot import {fullname}: {self.message}", name=fullname)
        return None


_problem = clash()
if _problem is not None:
    sys.meta_path.insert(0, _Refuse(_problem))


def __getattr__(name: str) -> str:
    if name == "__version__":  # one version: the installed distribution's metadata
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("gradwalk")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0+unknown"
    raise AttributeError(f"module 'gradwalk' has no attribute {name!r}")
