"""Are ``autograd`` and ``viz`` this project's? Other packages have the same names (stdlib only).

HIPS autograd (``pip install autograd``) installs a top-level package also
called ``autograd``, and the package index has a ``viz`` too. Installed into
the same environment, the other package wins: over a wheel it overwrites our
``__init__.py``; beside an editable install its copy in ``site-packages`` is
found first. :func:`foreign` tells the two apart without importing either, by
the marker each of our packages sets in its ``__init__.py``
(``__gradwalk_engine__``, ``__gradwalk_viz__``), and says what to do.
"""

from __future__ import annotations

import importlib.util
import json
from importlib.metadata import distributions
from pathlib import Path

__all__ = [
    "FOREIGN_HINT",
    "OURS",
    "ForeignPackageError",
    "clash",
    "foreign",
    "foreign_autograd",
    "reinstall_command",
]

#: Our top-level packages whose names other projects also use, and the marker each sets.
OURS = {
    "autograd": ("__gradwalk_engine__", "HIPS autograd"),
    "viz": ("__gradwalk_viz__", "the package index's 'viz'"),
}

#: What to do, whichever way gradwalk was installed (a wheel, or ``-e`` in a checkout).
FOREIGN_HINT = (
    "uninstall the other one (pip uninstall {name}), then reinstall gradwalk over it "
    "({reinstall}), or keep each in a venv of its own; see README, Install"
)


class ForeignPackageError(ImportError):
    """``import autograd`` or ``import viz`` would give another project's package."""


def reinstall_command() -> str:
    """The pip command that puts gradwalk's files back the way gradwalk was installed."""
    pip = "pip install --force-reinstall --no-deps"
    text = None
    try:  # the installed one says how it was installed (a stray gradwalk.egg-info does not)
        for dist in distributions(name="gradwalk"):
            text = dist.read_text("direct_url.json")
            if text:
                break
    except OSError:
        text = None
    try:
        info = json.loads(text) if text else {}
    except ValueError:
        info = {}
    url = info.get("url", "") if isinstance(info, dict) else ""
    where = url[len("file://") :] if url.startswith("file://") else ""
    if where and info.get("dir_info", {}).get("editable"):
        return f"{pip} -e {where}"
    if where:
        return f"{pip} {where}"
    return f"{pip} <the gradwalk wheel you installed, or -e . in a checkout>"


def foreign(name: str) -> str | None:
    """``None`` if ``import name`` would give this project's package, else one line naming
    what it would give instead, and the fix. Nothing is imported."""
    marker, other = OURS[name]
    try:
        spec = importlib.util.find_spec(name)
    except ForeignPackageError as exc:  # found before, and refused since (see gradwalk/__init__)
        return str(exc)
    except (ImportError, ValueError) as exc:
        return f"'{name}' cannot be imported ({exc})"
    if spec is None:
        return f"'{name}' is not installed: gradwalk's files are incomplete; reinstall it"
    origin = spec.origin
    if origin is None:  # a folder without __init__.py: the other package was uninstalled over ours
        return (
            f"'{name}' has lost its __init__.py (in {list(spec.submodule_search_locations or [])}"
            f"; another package of that name was installed over it and uninstalled); reinstall "
            f"gradwalk ({reinstall_command()})"
        )
    try:
        text = Path(origin).read_text(encoding="utf-8") if origin else ""
    except (OSError, ValueError):
        text = ""
    if marker in text:
        return None
    where = origin or (list(spec.submodule_search_locations or []) or ["an unknown place"])[0]
    fix = FOREIGN_HINT.format(name=name, reinstall=reinstall_command())
    return (
        f"'{name}' is another package of that name (from {where}), probably {other} "
        f"installed over this one; {fix}"
    )


def clash() -> str | None:
    """The first of :func:`foreign`'s messages for our packages, or ``None`` if all are ours."""
    for name in OURS:
        problem = foreign(name)
        if problem is not None:
            return problem
    return None


def foreign_autograd() -> str | None:
    """:func:`foreign` for ``autograd`` (the engine)."""
    return foreign("autograd")
