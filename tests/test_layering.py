"""The layers stay layered: ``autograd`` (the library) imports nothing above it, ``viz`` uses
only public ``autograd`` names and never ``gradwalk``, and no project modules import each
other in a cycle at import time. Each checker is also run on a small, deliberately bad
package in ``tmp_path``, so a checker that can no longer see a violation fails too.

Imports are read with :mod:`ast` (static, anywhere in the file, including inside
functions); nothing here imports the code it checks, except the subprocess that lists
the modules ``import autograd, autograd.nn`` loads.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "viz", "gradwalk")
#: The modules of the library that other layers may import names from.
PUBLIC_LIBRARY_MODULES = {"autograd", "autograd.nn"}


@dataclass(frozen=True)
class Import:
    """One import statement's target, resolved to an absolute module name."""

    importer: str  # the importing module, e.g. "viz.graph"
    module: str  # the imported module, e.g. "autograd.engine"
    names: tuple[str, ...]  # for "from M import a, b": ("a", "b"); else ()
    line: int
    #: True when it runs at import time (not inside a function, not under TYPE_CHECKING).
    at_import: bool

    def where(self, root: Path) -> str:
        return f"{self.importer.replace('.', '/')}.py:{self.line}"


def module_name(path: Path, root: Path) -> str:
    """``root/pkg/sub/mod.py`` -> ``pkg.sub.mod``; ``pkg/__init__.py`` -> ``pkg``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, root: Path) -> list[Import]:
    """Every import in ``path``, with relative imports resolved against its package."""
    name = module_name(path, root)
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, at_import: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = at_import
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                inner = False
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(name, alias.name, (), child.lineno, at_import))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".") if package else []
                    base = base[: len(base) - (child.level - 1)] if child.level > 1 else base
                    target = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    target = child.module or ""
                names = tuple(a.name for a in child.names)
                found.append(Import(name, target, names, child.lineno, at_import))
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit_stmt(stmt, False)
                for stmt in child.orelse:
                    visit_stmt(stmt, inner)
                continue
            visit(child, inner)

    def visit_stmt(stmt: ast.stmt, at_import: bool) -> None:
        holder = ast.Module(body=[stmt], type_ignores=[])
        visit(holder, at_import)

    visit(tree, True)
    return found


def project_files(root: Path, packages: tuple[str, ...] = PACKAGES) -> Iterator[Path]:
    for package in packages:
        base = root / package
        if base.is_dir():
            yield from sorted(p for p in base.rglob("*.py") if "__pycache__" not in p.parts)


def _top(module: str) -> str:
    return module.split(".")[0]


# ------------------------------------------------------------------------ checkers


def forbidden_imports(root: Path, package: str, forbidden: set[str]) -> list[str]:
    """Every import, anywhere in ``package``'s files, of a ``forbidden`` top-level module."""
    bad = []
    for path in project_files(root, (package,)):
        for imp in imports_of(path, root):
            if _top(imp.module) in forbidden:
                bad.append(f"{imp.where(root)} imports {imp.module}")
    return bad


def private_library_uses(root: Path, package: str = "viz", library: str = "autograd") -> list[str]:
    """Imports in ``package`` of a private name of ``library`` (``_x``), of one of its
    non-public modules (``autograd.engine``, ``autograd._math``), and ``alias._x``
    attribute uses on a module imported from it."""
    bad = []
    for path in project_files(root, (package,)):
        module_aliases: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for imp in imports_of(path, root):
            if _top(imp.module) != library:
                continue
            if imp.module not in PUBLIC_LIBRARY_MODULES:
                bad.append(f"{imp.where(root)} imports from {imp.module}, not a public module")
            private = [n for n in imp.names if n.startswith("_")]
            if private:
                bad.append(f"{imp.where(root)} imports private {', '.join(private)}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if _top(alias.name) == library:
                        module_aliases.add(alias.asname or _top(alias.name))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                base = node.value
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(base, ast.Name) and base.id in module_aliases:
                    bad.append(f"{path.relative_to(root)}:{node.lineno} uses .{node.attr}")
    return bad


def import_graph(
    root: Path, packages: tuple[str, ...] = PACKAGES, lazy: bool = False
) -> dict[str, set[str]]:
    """Module -> the project modules it imports at import time (with ``lazy``, anywhere:
    inside functions too)."""
    files = list(project_files(root, packages))
    modules = {module_name(p, root) for p in files}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for path in files:
        for imp in imports_of(path, root):
            if not imp.at_import and not lazy:
                continue
            targets = [f"{imp.module}.{n}" for n in imp.names if f"{imp.module}.{n}" in modules]
            if len(targets) < len(imp.names) or not imp.names:  # names that are not modules
                targets.append(imp.module)
            graph[imp.importer] |= {t for t in targets if t in modules and t != imp.importer}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0

    def strongconnect(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return sorted(cycles)


_LIST_NEW_MODULES = """
import json, sys
before = set(sys.modules)
for name in sys.argv[1:]:
    __import__(name)
new = sorted({m.split('.')[0] for m in set(sys.modules) - before})
print(json.dumps(new))
"""


def third_party_loaded(root: Path, modules: list[str], own: set[str]) -> list[str]:
    """Top-level modules, neither stdlib nor ``own``, that importing ``modules`` loads
    (in a fresh interpreter with ``root`` on the path)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", _LIST_NEW_MODULES, *modules],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=120,
        check=True,
    ).stdout
    allowed = set(sys.stdlib_module_names) | set(sys.builtin_module_names) | own
    return [m for m in json.loads(out) if m not in allowed]


# ---------------------------------------------------------------- the project itself


def test_library_imports_nothing_above_it() -> None:
    assert forbidden_imports(ROOT, "autograd", {"viz", "gradwalk", "matplotlib"}) == []


def test_viz_does_not_import_the_application() -> None:
    assert forbidden_imports(ROOT, "viz", {"gradwalk"}) == []


def test_viz_uses_only_public_library_names() -> None:
    assert private_library_uses(ROOT, "viz", "autograd") == []


def test_no_import_cycles_between_project_modules() -> None:
    graph = import_graph(ROOT)
    assert "gradwalk.cli" in graph and "autograd.engine" in graph
    assert import_cycles(graph) == []


#: The engine's chapters 1-3: the whole of backprop, readable on their own.
CORE = {"autograd.ops", "autograd.value", "autograd.backward"}
#: The most code lines chapters 1-3 may hold together (docstrings, comments, blanks aside).
CORE_CODE_LINES = 300
#: The most lines any source file may hold.
MAX_FILE_LINES = 700


def core_violations(graph: dict[str, set[str]], core: set[str] = CORE) -> list[str]:
    """Imports that break the core's rule: a chapter of the core imports only the other
    chapters and private helpers (``autograd._x``), and a private helper imports no chapter."""
    bad = []
    for module, targets in sorted(graph.items()):
        top, _, name = module.partition(".")
        if top != "autograd":
            continue
        private = name.startswith("_")
        for t in sorted(targets):
            t_private = t.partition(".")[2].startswith("_")
            if module in core and t not in core and not t_private:
                bad.append(f"{module} (core) imports {t}")
            if private and not t_private:
                bad.append(f"{module} (a private helper) imports {t}")
    return bad


def code_lines(path: Path) -> int:
    """Lines of ``path`` that are code: not blank, not a comment, not inside a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    doc_lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    doc_lines.update(range(body[0].lineno, body[0].end_lineno + 1))  # type: ignore[operator]
    count = 0
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if text and not text.startswith("#") and i not in doc_lines:
            count += 1
    return count


def test_no_import_cycles_in_the_library_counting_imports_in_functions() -> None:
    assert import_cycles(import_graph(ROOT, ("autograd",), lazy=True)) == []


def test_the_core_imports_only_itself_and_private_helpers() -> None:
    graph = import_graph(ROOT, ("autograd",), lazy=True)
    assert CORE <= set(graph)
    assert core_violations(graph) == []


def test_the_core_is_short() -> None:
    lines = {m: code_lines(ROOT / (m.replace(".", "/") + ".py")) for m in sorted(CORE)}
    assert sum(lines.values()) <= CORE_CODE_LINES, lines


def test_no_source_file_is_too_long() -> None:
    long = [
        f"{p.relative_to(ROOT)}: {n} lines"
        for p in project_files(ROOT)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    ]
    assert long == []


def test_checker_finds_core_violations_and_counts_code_lines(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "autograd/__init__.py": "",
            "autograd/_math.py": "import math\n",
            "autograd/_bad.py": "from . import modes\n",
            "autograd/ops.py": "from . import _math\n",
            "autograd/value.py": "from .ops import X\n\ndef f():\n    from .modes import y\n",
            "autograd/backward.py": '"""Doc\n\nstring."""\n\n# a comment\nx = 1\n',
            "autograd/modes.py": "from .value import Value\n",
        },
    )
    graph = import_graph(root, ("autograd",), lazy=True)
    assert core_violations(graph) == [
        "autograd._bad (a private helper) imports autograd.modes",
        "autograd.value (core) imports autograd.modes",
    ]
    assert import_cycles(graph) == [["autograd.modes", "autograd.value"]]
    assert import_cycles(import_graph(root, ("autograd",))) == []  # lazy: not at import time
    assert code_lines(root / "autograd/backward.py") == 1


def test_importing_the_library_loads_no_third_party_module() -> None:
    assert third_party_loaded(ROOT, ["autograd", "autograd.nn"], {"autograd"}) == []


def test_gradwalk_cli_imports_only_the_standard_library() -> None:
    """So that ``gradwalk`` can check which ``autograd`` it got before importing it."""
    assert third_party_loaded(ROOT, ["gradwalk.cli"], {"gradwalk"}) == []


# ------------------------------------------------------- the checkers see violations


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_checker_finds_forbidden_imports_anywhere(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "autograd/__init__.py": "from .engine import Value\n",
            "autograd/engine.py": "import math\n\nclass Value:\n    pass\n",
            "autograd/plot.py": "def show():\n    import matplotlib.pyplot as plt\n",
            "autograd/cli.py": "from viz import draw_dot\n",
            "autograd/app.py": "try:\n    from gradwalk.cli import main\n"
            "except ImportError:\n    pass\n",
        },
    )
    bad = forbidden_imports(root, "autograd", {"viz", "gradwalk", "matplotlib"})
    assert sorted(bad) == [
        "autograd/app.py:2 imports gradwalk.cli",
        "autograd/cli.py:1 imports viz",
        "autograd/plot.py:2 imports matplotlib.pyplot",
    ]
    root2 = _write(tmp_path / "two", {"viz/x.py": "def f():\n    from gradwalk import lessons\n"})
    assert forbidden_imports(root2, "viz", {"gradwalk"}) == ["viz/x.py:2 imports gradwalk"]


def test_checker_finds_private_library_names(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "viz/ok.py": "from autograd import Value\nfrom autograd.nn import MLP\n"
            "import autograd\nx = autograd.__version__\n",
            "viz/a.py": "from autograd import _number\n",
            "viz/b.py": "from autograd.engine import Value\n",
            "viz/c.py": "import autograd.engine as eng\nm = eng._GraphMath\n",
            "viz/d.py": "def f():\n    from autograd._math import exp\n",
            "viz/e.py": "import autograd\ny = autograd.engine._number\n",
        },
    )
    bad = private_library_uses(root, "viz", "autograd")
    assert sorted(bad) == [
        "viz/a.py:1 imports private _number",
        "viz/b.py:1 imports from autograd.engine, not a public module",
        "viz/c.py:1 imports from autograd.engine, not a public module",
        "viz/c.py:2 uses ._GraphMath",
        "viz/d.py:2 imports from autograd._math, not a public module",
        "viz/e.py:2 uses ._number",
    ]


def test_checker_finds_import_cycles(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "gradwalk/__init__.py": "",
            "gradwalk/a.py": "from . import b\n",
            "gradwalk/b.py": "from .c import thing\n",
            "gradwalk/c.py": "import gradwalk.a\nthing = 1\n",
            "gradwalk/d.py": "from .e import x\n",
            "gradwalk/e.py": "x = 1\n\ndef later():\n    from . import d\n",  # lazy: no cycle
            "gradwalk/f.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from .g import G\n",
            "gradwalk/g.py": "from .f import TYPE_CHECKING\n",  # f -> g only for type checkers
        },
    )
    graph = import_graph(root, ("gradwalk",))
    assert graph["gradwalk.a"] == {"gradwalk.b"}
    assert graph["gradwalk.e"] == set()
    assert graph["gradwalk.f"] == set()
    assert import_cycles(graph) == [["gradwalk.a", "gradwalk.b", "gradwalk.c"]]


def test_checker_finds_third_party_modules(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "lib/__init__.py": "import json\nfrom . import core\n",
            "lib/core.py": "import notstdlib\n",
            "notstdlib.py": "VALUE = 1\n",
            "clean/__init__.py": "import math, collections\n",
        },
    )
    assert third_party_loaded(root, ["lib"], {"lib"}) == ["notstdlib"]
    assert third_party_loaded(root, ["clean"], {"clean"}) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_project_file_parses(package: str) -> None:
    files = list(project_files(ROOT, (package,)))
    assert files, package
    for path in files:
        imports_of(path, ROOT)  # raises SyntaxError if not
