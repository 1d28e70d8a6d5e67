"""The package as built: what the wheel and the sdist hold, the metadata, and what a user with
a partial install (no extras) or a clashing ``autograd``/``viz`` sees.

The wheel and sdist are built from a copy of the source tree (``python -m build
--no-isolation``, the test environment's setuptools), so the checkout is left untouched.
Installing them into a fresh venv is ``tests/test_package_install.py``.
"""

from __future__ import annotations

import email
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "viz", "gradwalk")
# Not part of a source tree: the developer's venv, outputs, caches, the built site.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "out", "build", "dist", "site", "*.egg-info", "__pycache__", ".pytest_cache",
    ".hypothesis", ".ruff_cache", ".mypy_cache", ".ipynb_checkpoints", ".cache",
)  # fmt: skip


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The wheel and the sdist, built from a copy of the source tree."""
    pytest.importorskip("build", reason="the build frontend is in the dev extra")
    tmp = tmp_path_factory.mktemp("dist")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=NOT_SOURCE)
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp / "dist"), str(src)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = (tmp / "dist").glob("*.whl")
    (sdist,) = (tmp / "dist").glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def _source_files(*tops: str) -> set[str]:
    """Files of the source tree under ``tops`` that git would commit (no caches)."""
    found = set()
    for top in tops:
        for path in (ROOT / top).rglob("*"):
            rel = path.relative_to(ROOT)
            if path.is_file() and "__pycache__" not in rel.parts and path.suffix != ".pyc":
                if not any(part.startswith(".") for part in rel.parts):
                    found.add(rel.as_posix())
    return found


def test_wheel_holds_every_module_and_asset_and_nothing_else(dist: dict[str, Path]) -> None:
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    ours = {n for n in names if n.split("/")[0] in PACKAGES}
    assert ours == _source_files(*PACKAGES)  # subpackages (gradwalk/exercises), *.js, *.css
    assert "gradwalk/exercises/__init__.py" in ours and "viz/player.js" in ours
    assert {f"{p}/py.typed" for p in PACKAGES} <= ours
    others = {n.split("/")[0] for n in names - ours}
    assert others == {"gradwalk-0.1.0.dist-info"}, others  # no tests/, benchmarks/, notebooks/


def test_sdist_holds_what_its_tests_need(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    need = _source_files("tests", "notebooks", "docs", "website", *PACKAGES) | {
        "README.md", "LICENSE", "Makefile", "constraints.txt", "mkdocs.yml", "pyproject.toml",
    }  # fmt: skip
    need = {n for n in need if not n.startswith("notebooks/out/")}
    assert need - names == set()
    assert {"tests/conftest.py", "tests/helpers.py", "tests/browser.py"} <= names


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read("gradwalk-0.1.0.dist-info/METADATA").decode("utf-8")
    return email.message_from_string(text)


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin"
            pins[name.strip().lower()] = version.strip()
    return pins


def test_one_version_from_the_metadata(dist: dict[str, Path]) -> None:
    from importlib.metadata import version

    import tomllib

    import autograd
    import gradwalk

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    expected = declared["project"]["version"]
    assert _metadata(dist["wheel"])["Version"] == expected == version("gradwalk")
    assert autograd.__version__ == gradwalk.__version__ == expected
    for package in PACKAGES:  # typed nowhere else
        text = (ROOT / package / "__init__.py").read_text(encoding="utf-8")
        assert not re.search(r"^__version__\s*=", text, re.MULTILINE), package


def test_metadata_states_ranges_and_constraints_pin_them(dist: dict[str, Path]) -> None:
    meta = _metadata(dist["wheel"])
    classifiers = meta.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers and "Intended Audience :: Education" in classifiers
    assert "backpropagation" in (meta["Keywords"] or "")
    assert meta["License-Expression"] == "MIT"
    requires = meta.get_all("Requires-Dist") or []
    assert requires, "no extras in the metadata"
    pins = _constraints()
    for req in requires:
        spec = req.split(";")[0]
        assert "==" not in spec, f"{req}: extras state ranges; exact versions go to constraints.txt"
        name = re.match(r"[A-Za-z0-9_.-]+", spec).group(0).lower()  # type: ignore[union-attr]
        if name != "gradwalk":
            assert name in pins, f"{name} has no tested version in constraints.txt"
    assert pins["torch"] == "2.13.0"
    extras = set(meta.get_all("Provides-Extra") or [])
    assert {"viz", "examples", "notebooks", "dev", "docs", "bench"} <= extras


# ---------------------------------------------- a partial install: one line naming the extra

_WITHOUT = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None  # as if not installed: find_spec gives None, import fails
from gradwalk.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _gradwalk_without(missing: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT, missing, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("missing", "args", "extra"),
    [
        ("pygraphviz", ("render", "x*y", "x=2", "y=3", "-o", "g.svg"), "viz"),
        ("pygraphviz", ("render", "x*y", "x=2", "y=3", "-o", "g.png"), "viz"),
        ("pygraphviz", ("render", "x*y", "x=2", "y=3", "-o", "g.pdf"), "viz"),
        ("pygraphviz", ("render", "x*y", "x=2", "y=3", "-o", "g.html"), "viz"),
        ("sklearn", ("train", "moons", "--epochs", "1"), "examples"),
        ("sklearn", ("train", "digits", "--epochs", "1"), "examples"),
        ("matplotlib", ("train", "digits", "--epochs", "1", "--plots", "p"), "examples"),
        ("sklearn,matplotlib,pygraphviz", ("demo", "--quick", "--out", "d"), "examples"),
    ],
)
def test_a_missing_optional_dependency_is_one_line_naming_the_extra(
    tmp_path: Path, missing: str, args: tuple[str, ...], extra: str
) -> None:
    result = _gradwalk_without(missing, *args, cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("gradwalk ") and f"pip install 'gradwalk[{extra}]'" in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_without_extras_the_engine_and_dot_output_still_work(tmp_path: Path) -> None:
    result = _gradwalk_without(
        "pygraphviz,sklearn,matplotlib,tqdm,graphviz",
        *("render", "x*y", "x=2", "y=3", "-o", "g.dot"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "x.grad = 3.0" in result.stdout and (tmp_path / "g.dot").read_text().startswith(
        "digraph"
    )


# ------------------------------------------- another package named autograd or viz installed


def _fake(tmp_path: Path, name: str) -> Path:
    fake = tmp_path / "site" / name
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(f'"""Another {name}."""\n\ndef grad(f):\n    return f\n')
    return fake


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


IMPORT_ERRORS = ("ImportError: ", "gradwalk.engine_check.ForeignPackageError: ")


def _last_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("module", ["gradwalk.exercises", "gradwalk.render", "viz", "autograd"])
def test_a_foreign_autograd_fails_imports_with_the_fix(tmp_path: Path, module: str) -> None:
    fake = _fake(tmp_path, "autograd")
    # viz checks by itself; after gradwalk is imported, even a plain `import autograd` says it
    code = "import viz" if module == "viz" else f"import gradwalk, {module}"
    line = _last_line(_python(code, tmp_path))
    assert line.startswith(IMPORT_ERRORS) and "another package of that name" in line
    assert str(fake) in line and "HIPS autograd" in line
    from gradwalk.engine_check import reinstall_command

    assert "pip uninstall autograd" in line
    if module == "viz":  # viz cannot import gradwalk: the fix for both kinds of install
        assert "--force-reinstall --no-deps" in line and "wheel" in line and "-e ." in line
    else:  # the exact command for the way gradwalk was installed
        assert reinstall_command() in line


def test_a_foreign_viz_fails_imports_and_the_command_with_the_fix(tmp_path: Path) -> None:
    fake = _fake(tmp_path, "viz")
    line = _last_line(_python("import gradwalk.render", tmp_path))
    assert line.startswith(IMPORT_ERRORS) and str(fake) in line and "pip uninstall viz" in line
    cli = _python(
        "import sys; from gradwalk.cli import main; sys.exit(main(['examples']))", tmp_path
    )
    assert cli.returncode == 2 and cli.stdout == ""
    (only,) = cli.stderr.strip().splitlines()
    assert only.startswith("gradwalk: error: 'viz' is another package of that name")
    assert str(fake) in only and "pip uninstall viz" in only and "venv" in only


def test_the_fix_names_how_gradwalk_was_installed() -> None:
    """An editable install is reinstalled with ``-e`` and its folder, a wheel with its file."""
    import json
    from importlib.metadata import distributions

    from gradwalk.engine_check import reinstall_command

    info = next(
        json.loads(text)
        for dist in distributions(name="gradwalk")
        if (text := dist.read_text("direct_url.json"))
    )
    where = info["url"].removeprefix("file://")
    editable = "-e " if info.get("dir_info", {}).get("editable") else ""
    assert reinstall_command() == f"pip install --force-reinstall --no-deps {editable}{where}"
    assert editable or where.endswith(".whl")
