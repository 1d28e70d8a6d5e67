"""The micrograd lecture's notebooks, run cell by cell on gradwalk's objects.

``../shared/lecture/`` (beside the repository) holds the lecture's two notebooks and
micrograd's ``demo.ipynb`` and ``trace_graph.ipynb`` as published. Each is run three
times, in this process: as written (micrograd's own objects), with their ``Value``,
``draw_dot``, ``Neuron``, ``Layer`` and ``MLP`` replaced by gradwalk's ("gradwalk"), and
with only ``Value`` replaced ("value"). A name is replaced the moment the notebook defines
or imports it, so everything after uses gradwalk's. A cell that raises with gradwalk's
objects where the original does not fails the test.

Cells run as Jupyter runs them: IPython syntax translated, the last expression displayed
(its ``_repr_mimebundle_`` called). There is no system ``dot`` program here: a
``graphviz`` object the original cannot display is laid out in-process instead, and a
cell that needs ``dot`` in the original passes when gradwalk's drawing renders it
in-process (with only ``Value`` replaced, the notebook's own ``Digraph`` still needs
``dot``, as the original does).

To keep this quick, training loops run 1 step instead of 20 or 100, and micrograd's
decision boundary is drawn on a grid 4 times coarser (a cell's outcome does not depend on
either; gradwalk's numbers are checked elsewhere).
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import json
import os
import random
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

LECTURE = Path(__file__).resolve().parent.parent.parent / "shared" / "lecture"
NOTEBOOKS = (
    "micrograd_lecture_first_half_roughly.ipynb",
    "micrograd_lecture_second_half_roughly.ipynb",
    "micrograd_demo.ipynb",
    "micrograd_trace_graph.ipynb",
)
MODES = ("gradwalk", "value")
#: Loop counts and the decision boundary's grid cut to keep the run short, as
#: (pattern, replacement) on a cell's source.
SHORTER = (
    (re.compile(r"\brange\((20|100)\)"), "range(1)"),
    (re.compile(r"^h = 0\.25$", re.MULTILINE), "h = 1.0"),
)


def _lecture_dir() -> Path:
    if not all((LECTURE / name).is_file() for name in NOTEBOOKS):
        why = f"the micrograd lecture's notebooks are not in {LECTURE} (see its README)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(why + "; CI must have ../shared beside the clone")
        pytest.skip(why)
    return LECTURE


# ------------------------------------------------------------------ running a notebook


@dataclass
class Outcome:
    """How one cell ended: ``ok``, ``needs dot`` (the system program) or ``error``."""

    cell: int
    first_line: str
    status: str
    error: str = ""


class _Shell:
    """The little of ``get_ipython()`` the notebooks use: ``%matplotlib inline``."""

    def run_line_magic(self, name: str, line: str) -> None:
        if (name, line) != ("matplotlib", "inline"):
            raise NotImplementedError(f"%{name} {line}")


def _needs_dot(exc: BaseException | None) -> bool:
    import graphviz

    while exc is not None:
        if isinstance(exc, graphviz.ExecutableNotFound):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _display(value: Any) -> None:
    """What Jupyter does with a cell's last value: ask it for its pictures, else its repr."""
    if value is None:
        return
    bundle = getattr(value, "_repr_mimebundle_", None)
    if bundle is None:
        repr(value)
        return
    try:
        bundle(include=None, exclude=None)
    except Exception as exc:
        source = getattr(value, "source", None)
        if not (_needs_dot(exc) and isinstance(source, str)):
            raise
        from viz._render import render

        render(source, "svg")  # as the system program would have drawn it


def _micrograd(mode: str) -> dict[str, types.ModuleType]:
    """The ``micrograd`` package the notebooks import, for ``mode``."""
    if mode == "original":
        return {}
    import autograd.nn
    from autograd import Value

    package = types.ModuleType("micrograd")
    package.__path__ = []
    engine = types.ModuleType("micrograd.engine")
    engine.Value = Value  # type: ignore[attr-defined]
    package.engine = engine  # type: ignore[attr-defined]
    modules = {"micrograd": package, "micrograd.engine": engine}
    if mode == "gradwalk":
        nn = types.ModuleType("micrograd.nn")
        for name in ("Module", "Neuron", "Layer", "MLP"):
            setattr(nn, name, getattr(autograd.nn, name))
    else:  # micrograd's own nn.py, reading gradwalk's Value
        spec = importlib.util.find_spec("micrograd.nn")
        assert spec is not None and spec.origin is not None, "micrograd==0.1.0 is not installed"
        nn = types.ModuleType("micrograd.nn")
        nn.__file__ = spec.origin
        code = compile(Path(spec.origin).read_text(encoding="utf-8"), spec.origin, "exec")
        saved = {k: sys.modules.get(k) for k in modules}
        sys.modules.update(modules)
        try:
            exec(code, nn.__dict__)
        finally:
            for k, v in saved.items():
                if v is None:
                    sys.modules.pop(k, None)
                else:
                    sys.modules[k] = v
    package.nn = nn  # type: ignore[attr-defined]
    modules["micrograd.nn"] = nn
    return modules


def _swaps(mode: str) -> dict[str, Any]:
    if mode == "original":
        return {}
    from autograd import Value

    if mode == "value":
        return {"Value": Value}
    import autograd.nn
    from viz import draw_dot

    return {
        "Value": Value,
        "draw_dot": draw_dot,
        "Neuron": autograd.nn.Neuron,
        "Layer": autograd.nn.Layer,
        "MLP": autograd.nn.MLP,
    }


def _cells(path: Path) -> list[tuple[int, str]]:
    from IPython.core.inputtransformer2 import TransformerManager

    notebook = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, cell in enumerate(notebook["cells"]):
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or not source.strip():
            continue
        for pattern, short in SHORTER:
            source = pattern.sub(short, source)
        out.append((i, TransformerManager().transform_cell(source)))
    return out


def _run_cell(source: str, ns: dict[str, Any], swaps: dict[str, Any], name: str) -> None:
    """One cell, statement by statement, swapping names as soon as they are bound."""
    tree = ast.parse(source, filename=name)
    body = tree.body
    last = body.pop() if body and isinstance(body[-1], ast.Expr) else None
    show = last is not None and not source.rstrip().endswith(";")
    for stmt in body:
        exec(compile(ast.Module([stmt], []), name, "exec"), ns)
        for key, ours in swaps.items():
            if key in ns and ns[key] is not ours:
                ns[key] = ours
    if last is not None:
        value = eval(compile(ast.Expression(last.value), name, "eval"), ns)
        if show:
            _display(value)


def run_notebook(path: Path, mode: str, workdir: Path) -> list[Outcome]:
    """Run every code cell of ``path`` in ``mode``; how each one ended."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    modules = _micrograd(mode)
    swaps = _swaps(mode)
    saved = {k: sys.modules.get(k) for k in modules}
    sys.modules.update(modules)
    here, states = Path.cwd(), (random.getstate(), np.random.get_state())
    os.chdir(workdir)
    random.seed(0)
    np.random.seed(0)
    ns: dict[str, Any] = {"__name__": "__main__", "get_ipython": _Shell}
    outcomes = []
    try:
        for i, source in _cells(path):
            first = source.strip().splitlines()[0][:60]
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    _run_cell(source, ns, swaps, f"<{path.name} cell {i}>")
            except Exception as exc:
                status = "needs dot" if _needs_dot(exc) else "error"
                outcomes.append(Outcome(i, first, status, f"{type(exc).__name__}: {exc}"))
            else:
                outcomes.append(Outcome(i, first, "ok"))
    finally:
        os.chdir(here)
        random.setstate(states[0])
        np.random.set_state(states[1])
        plt.close("all")
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return outcomes


# ------------------------------------------------------------------ the test

#: The cells that fail as written, here: only those that need the system ``dot`` program.
NEEDS_DOT = {"micrograd_trace_graph.ipynb": [(5, "needs dot")]}  # dot.render('gout')


def _worse(original: list[Outcome], ours: list[Outcome], mode: str) -> list[str]:
    """Each cell of ``ours`` that raises where the original does not."""
    before = {o.cell: o.status for o in original}
    assert [o.cell for o in ours] == list(before)
    worse = []
    for o in ours:
        was = before[o.cell]
        fine = o.status == "ok" or was == "error"
        if o.status == "needs dot" and was == "needs dot":
            fine = mode == "value"  # their own Digraph still needs dot; gradwalk's never does
        if not fine:
            worse.append(f"{mode} replaced, cell {o.cell} ({o.first_line!r}): {o.error}")
    return worse


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_cell_raises_where_the_original_does_not(name: str, tmp_path: Path) -> None:
    path = _lecture_dir() / name
    (tmp_path / "original").mkdir()
    original = run_notebook(path, "original", tmp_path / "original")
    failing = [(o.cell, o.status) for o in original if o.status != "ok"]
    assert failing == NEEDS_DOT.get(name, []), (
        f"{name} as written: {[(o.cell, o.error) for o in original if o.status != 'ok']}"
    )
    worse = []
    for mode in MODES:
        (tmp_path / mode).mkdir()
        worse += _worse(original, run_notebook(path, mode, tmp_path / mode), mode)
    assert not worse, f"{name}: " + "; ".join(worse)
