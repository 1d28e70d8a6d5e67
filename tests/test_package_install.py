"""gradwalk as a user gets it: built, installed from the wheel into a fresh venv, used from a
directory outside the repository; then the sdist's own tests run against that install.

1. ``python -m build`` makes the wheel and the sdist from a copy of the source tree.
2. A fresh venv gets the wheel (not editable) with the ``notebooks`` extra, at the versions
   in ``constraints.txt``, and, for the sdist's tests, the ``dev`` extra's tools.
3. From a directory that holds no project file: ``gradwalk render`` to every format,
   ``gradwalk examples``, ``import gradwalk.exercises``, and lesson 1 executed to its end
   (its exercise checks and its torch cross-check print their lines).
4. The sdist, unpacked, runs its tests against the installed wheel (its source tree is not on
   the path): the tests that check the engine, the command line, the graphs, the players in
   Chromium, the exercises and the lessons' saved outputs. Left out: this module and
   ``test_site.py`` (the site is built by ``make docs``), the long runs that check numbers
   rather than the package (the engine's property tests against torch, the digits training
   runs), the tests that race a real Ctrl-C against a run, which the main run covers, and
   the micrograd lecture's notebooks (test input beside the repository, not in the sdist).

Nothing from the test's own environment may help: no ``PYTHONPATH``, no user-wide Jupyter
kernels. It installs packages, which takes minutes, so it runs only with
``GRADWALK_INSTALL_TEST=1`` (``.ci/run`` sets it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSON = "01_three_neuron_relu.ipynb"
EXPRESSION = ("tanh(x*w + b)", "x=2", "w=-3", "b=6.88")
# The sdist's tests this run leaves out (see the module docstring).
SKIPPED_HERE = (
    "tests/test_package_install.py",
    "tests/test_site.py",
    "tests/test_engine_torch_graphs.py",
    "tests/test_engine_exactness.py",
    "tests/test_gradwalk_digits.py",
    "tests/test_lecture_notebooks.py",
)

pytestmark = pytest.mark.skipif(
    os.environ.get("GRADWALK_INSTALL_TEST") != "1",
    reason="slow (builds, then installs into a fresh venv); set GRADWALK_INSTALL_TEST=1 to run it",
)

NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "out", "build", "dist", "site", "*.egg-info", "__pycache__", ".pytest_cache",
    ".hypothesis", ".ruff_cache", ".mypy_cache", ".ipynb_checkpoints", ".cache",
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


def _run(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, (
        f"{' '.join(cmd)} exited {done.returncode}\n"
        f"--- stdout (end)\n{done.stdout[-3000:]}\n--- stderr (end)\n{done.stderr[-3000:]}"
    )
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel installed into a fresh venv; the sdist beside it; a directory outside."""
    tmp = tmp_path_factory.mktemp("user")
    home = tmp / "home"
    home.mkdir()
    env = _clean_env(home)
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=NOT_SOURCE)
    _run([sys.executable, "-m", "build", "--outdir", str(tmp / "dist"), str(src)], src, env, 900)
    (wheel,) = (tmp / "dist").glob("*.whl")
    (sdist,) = (tmp / "dist").glob("*.tar.gz")

    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp, env, 300)
    bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    pip = [str(bin_dir / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    constraints = str(src / "constraints.txt")
    _run([*pip, "install", "-c", constraints, f"{wheel}[notebooks,dev]"], tmp, env, 2400)

    outside = tmp / "elsewhere"
    outside.mkdir()
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp / "sdist", filter="data")
    (unpacked,) = (tmp / "sdist").iterdir()
    return {"bin": bin_dir, "outside": outside, "sdist": unpacked, "home": home}


def test_the_wheel_not_the_source_is_what_runs(installed: dict[str, Path]) -> None:
    env = _clean_env(installed["home"])
    code = (
        "import autograd, viz, gradwalk, gradwalk.exercises, importlib.metadata as m; "
        "print(autograd.__file__); print(viz.__file__); print(gradwalk.exercises.__file__); "
        "print(m.distribution('gradwalk').read_text('direct_url.json'))"
    )
    out = _run([str(installed["bin"] / "python"), "-c", code], installed["outside"], env, 120)
    *files, direct_url = out.stdout.strip().splitlines()
    for file in files:
        assert "site-packages" in file and str(ROOT) not in file, file
    assert '"editable": true' not in direct_url and direct_url.endswith('.whl"}')


@pytest.mark.parametrize("suffix", [".svg", ".png", ".pdf", ".html", ".dot"])
def test_render_to_every_format_from_outside(installed: dict[str, Path], suffix: str) -> None:
    env = _clean_env(installed["home"])
    target = installed["outside"] / f"graph{suffix}"
    out = _run(
        [str(installed["bin"] / "gradwalk"), "render", *EXPRESSION, "-o", target.name],
        installed["outside"],
        env,
        300,
    )
    assert "x.grad = " in out.stdout and "wrote" in out.stdout
    data = target.read_bytes()
    starts = {".svg": b"<", ".png": b"\x89PNG", ".pdf": b"%PDF", ".html": b"<!DOCTYPE html>",
              ".dot": b"digraph"}  # fmt: skip
    assert data.startswith(starts[suffix]), data[:40]
    if suffix == ".html":  # the player's own script and style came from the wheel's assets
        assert b'class="gw-player"' in data and b"<script>" in data and b"<style>" in data
    if suffix == ".svg":
        assert b"<svg" in data and b"data 0.7064" in data  # tanh(2*-3 + 6.88), 4 decimals


def test_examples_from_outside(installed: dict[str, Path]) -> None:
    env = _clean_env(installed["home"])
    out = _run([str(installed["bin"] / "gradwalk"), "examples"], installed["outside"], env, 300)
    assert "numbers match the lesson" in out.stdout and "✗" not in out.stdout


def test_lesson_1_runs_to_its_end_from_outside(installed: dict[str, Path]) -> None:
    env = _clean_env(installed["home"])
    notebook = installed["outside"] / LESSON
    shutil.copy(ROOT / "notebooks" / LESSON, notebook)
    _run(
        [str(installed["bin"] / "jupyter"), "execute", "--inplace", "--kernel_name=python3",
         notebook.name],
        installed["outside"],
        env,
        600,
    )  # fmt: skip
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    text = "".join(
        "".join(o.get("text", "")) for o in code[-1].get("outputs", []) if o.get("name") == "stdout"
    )
    assert "the checkers accept the right answers" in text, code[-1].get("outputs")
    printed = ["".join(o.get("text", "")) for c in code for o in c.get("outputs", [])]
    assert any("engine and torch float64 agree" in t for t in printed), "no torch cross-check"


def test_the_sdists_tests_pass_against_the_installed_wheel(installed: dict[str, Path]) -> None:
    env = _clean_env(installed["home"])
    # Plain `pytest`, not `python -m pytest`: the sdist's folder is not put on the path, so
    # every test imports the installed wheel.
    cmd = [str(installed["bin"] / "pytest"), "-q", "-n", "2", "-p", "no:cacheprovider", "tests"]
    cmd += [f"--ignore={path}" for path in SKIPPED_HERE]
    cmd += ["-k", "not sigint and not ctrl_c"]
    out = _run(cmd, installed["sdist"], env, 1800)
    assert " passed" in out.stdout.strip().splitlines()[-1]
    assert " failed" not in out.stdout.strip().splitlines()[-1]
