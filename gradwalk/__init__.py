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
package of either name is installed in their place, importing that name from then on
(as any module of gradwalk that uses it does) fails with one message naming the other
package and the fix, while the command line reports it in one line itself.
"""

from __future__ import annotations

import sys
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from typing import Any

from .engine_check import OURS, ForeignPackageError, foreign

__all__ = ["__version__"]


class _Refuse(MetaPathFinder):
    """Fails ``import name`` (and its submodules) with ``message``: another package has the
    name, so gradwalk's modules that use it would fail anyway, less clearly."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        self.message = message

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if fullname == self.name or fullname.startswith(self.name + "."):
            raise ForeignPackageError(self.message, name=fullname)
        return None


for _name in OURS:
    _problem = foreign(_name)
    if _problem is not None and _name not in sys.modules:
        sys.meta_path.insert(0, _Refuse(_name, _problem))


def __getattr__(name: str) -> str:
    if name == "__version__":  # one version: the installed distribution's metadata
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("gradwalk")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0+unknown"
    raise AttributeError(f"module 'gradwalk' has no attribute {name!r}")
