"""The README's notebook install runs a lesson: a fresh venv, ``pip install -e '.[notebooks]'``.

This is what a learner does after cloning: create the project's venv, install
the ``notebooks`` extra and run a lesson. Nothing from the test's own
environment may help (no ``PYTHONPATH``, no user-wide Jupyter kernels), so a
package a lesson imports but the extra does not install (torch, for the
cross-checks) fails here.

It installs packages, which takes minutes, so it runs only with
``GRADWALK_INSTALL_TEST=1`` (``.ci/run`` sets it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSON = "01_three_neuron_relu.ipynb"

pytestmark = pytest.mark.skipif(
    os.environ.get("GRADWALK_INSTALL_TEST") != "1",
    reason="slow (a pip install into a fresh venv); set GRADWALK_INSTALL_TEST=1 to run it",
)

# Not part of a fresh clone: the developer's venv, outputs and caches.
_NOT_CLONED = shutil.ignore_patterns(
    ".git", ".venv", "out", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
    ".hypothesis", ".ruff_cache", ".ipynb_checkpoints",
)  # fmt: skip


def _clean_env(home: Path) -> dict[str, str]:
    """The environment without anything that would let the test's own packages leak in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV") and not k.startswith("JUPYTER")
    }
    env["HOME"] = str(home)  # no user-wide kernels or Jupyter config
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["MPLBACKEND"] = "Agg"
    return env


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> None:
    done = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, (
        f"{' '.join(cmd)} exited {done.returncode}\n"
        f"--- stdout (end)\n{done.stdout[-3000:]}\n--- stderr (end)\n{done.stderr[-3000:]}"
    )


def test_readme_notebook_install_runs_lesson_1(tmp_path: Path) -> None:
    clone = tmp_path / "gradwalk"
    shutil.copytree(ROOT, clone, ignore=_NOT_CLONED)
    home = tmp_path / "home"
    home.mkdir()
    env = _clean_env(home)
    venv = clone / ".venv"
    bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")

    # The README's commands, verbatim in spirit: the project's venv, then the extra.
    _run([sys.executable, "-m", "venv", str(venv)], clone, env, timeout=300)
    _run([str(bin_dir / "pip"), "install", "-q", "-e", ".[notebooks]"], clone, env, timeout=1800)

    notebook = clone / "notebooks" / LESSON
    _run(
        [str(bin_dir / "jupyter"), "execute", "--inplace", "--kernel_name=python3", notebook.name],
        notebook.parent,
        env,
        timeout=600,
    )

    # It ran to its end: the last cell (the exercise checks) printed its line.
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    text = "".join(
        "".join(o.get("text", "")) for o in code[-1].get("outputs", []) if o.get("name") == "stdout"
    )
    assert "the checkers accept the right answers" in text, code[-1].get("outputs")
    printed = ["".join(o.get("text", "")) for c in code for o in c.get("outputs", [])]
    assert any("engine and torch float64 agree" in t for t in printed), "no torch cross-check"
