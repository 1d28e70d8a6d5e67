"""Is ``autograd`` this project's engine? Another package has the same name (stdlib only).

HIPS autograd (``pip install autograd``) installs a top-level package also
called ``autograd``; installed after this project it replaces ours in the same
environment. :func:`foreign_autograd` tells the two apart before anything else
is imported from it.
"""

from __future__ import annotations

import importlib

__all__ = ["FOREIGN_HINT", "foreign_autograd"]

#: What to do when the engine is not ours.
FOREIGN_HINT = (
    "reinstall this project after it (pip install --force-reinstall -e .) or use a "
    "separate venv for it; see README, Install"
)

# Names only this project's engine has, all of them (HIPS autograd has none but ``grad``);
# ``__gradwalk_engine__`` is set by our ``autograd/__init__.py`` for exactly this check.
_MARKERS = (
    "__gradwalk_engine__",
    "Value",
    "backward_steps",
    "topological_order",
    "no_grad",
    "dense",
    "gc_paused",
)


def foreign_autograd() -> str | None:
    """``None`` if ``import autograd`` gives this project's engine, else one line saying
    what was found instead (where it lives, and what is missing)."""
    try:
        mod = importlib.import_module("autograd")
    except ImportError as exc:
        return f"the autograd engine cannot be imported ({exc})"
    where = getattr(mod, "__file__", None) or "an unknown place"
    missing = [name for name in _MARKERS if not hasattr(mod, name)]
    value = getattr(mod, "Value", None)
    if not missing and not (isinstance(value, type) and hasattr(value, "backward")):
        missing = ["Value.backward"]
    if not missing and not isinstance(getattr(mod, "__version__", None), str):
        missing = ["__version__"]
    if missing:
        return (
            f"'autograd' is another package of that name (from {where}, without "
            f"{', '.join(missing[:3])}), probably HIPS autograd installed over this one"
        )
    return None
