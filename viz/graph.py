"""``draw_dot``: a computation graph as DOT and SVG, with each node's value and gradient.

The DOT text is written here by hand (every string that reaches it is escaped)
and laid out in-process by pygraphviz; no ``dot`` executable is needed.

Float constants are small dashed boxes. Boxes are filled by role: inputs
blue, parameters green, intermediate values white, the output amber; or,
with ``color_by="grad"``, by the gradient's sign (blue positive, red
negative) and size (darker is larger).

Before ``backward()`` gradients are unknown, and drawing them as zeros
misleads: when the root's ``.grad`` is exactly 0.0 (``backward()`` sets it to
1.0, so 0.0 means it has not run) the graph shows ``grad —`` and a note
saying so. ``show_grad=True`` or ``False`` overrides the guess.

What is drawn, for each Value: a box ``name | data | grad`` (micrograd's
record; the name is the label, the name in the model, or a short id such as
``n7``) and, for a computed Value, a small oval with the operation feeding it.
A leaf that feeds many nodes is drawn once per use (fast to lay out, and no
tangle of long edges); the legend says so.

Node ids are numbered by topological order, never by ``id()``, so the same
graph gives the same DOT and the same SVG text on every run.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from autograd import Value

from ._core import (
    COLLAPSE_MODES,
    COLOR_MODES,
    FORMATS,
    RANKDIRS,
    VizWarning,
    _check_show_grad,
    _Options,
    _structure_and_view,
    dot_text,
    file_png,
    fit_svg,
    format_for_path,
    format_number,
    render,
    shown_png,
    write_atomic,
)

__all__ = [
    "COLLAPSE_MODES",
    "COLOR_MODES",
    "RANKDIRS",
    "Drawing",
    "VizWarning",
    "draw_dot",
    "format_number",
]

# ------------------------------------------------------------------------ drawing


class Drawing:
    """A drawn graph: shows inline in Jupyter, and gives SVG text, files and DOT source.

    ``source`` is the DOT text; :meth:`svg` renders it (once, then cached);
    :meth:`save` writes ``.svg``, ``.png``, ``.pdf`` or ``.dot`` by the file's extension.
    Code written for a ``graphviz.Digraph`` (micrograd's ``draw_dot``) finds ``source``,
    ``pipe`` and :meth:`render` here; :meth:`to_graphviz` gives a real Digraph.
    """

    def __init__(
        self,
        source: str,
        *,
        collapse: str = "none",
        notes: Sequence[str] = (),
        num_values: int = 0,
        format: str = "svg",
    ) -> None:
        self.source = source
        self.collapse = collapse
        self.notes = list(notes)
        self.num_values = num_values
        self.format = format
        self._svg: str | None = None
        self._png: bytes | None = None

    def pipe(self, format: str | None = None) -> bytes:
        """The graph rendered as ``format`` bytes (svg, png or pdf; default ``self.format``)."""
        format = self.format if format is None else format
        if format == "svg":
            return self.svg().encode("utf-8")
        if format == "png":
            return self.png()
        return render(self.source, format)

    def png(self) -> bytes:
        """The graph as PNG bytes, as a notebook shows it (at most 840 pixels wide; cached)."""
        if self._png is None:
            self._png = shown_png(self.source, self.svg())
        return self._png

    def svg(self) -> str:
        """The graph as SVG text (a standalone document)."""
        if self._svg is None:
            self._svg = render(self.source, "svg").decode("utf-8")
        return self._svg

    def save(self, path: str | os.PathLike[str], format: str | None = None) -> Path:
        """Write the graph to ``path`` as SVG, PNG, PDF or DOT (by extension, or ``format``)."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a str or path, not {type(path).__name__}")
        fmt = format_for_path(path, format)
        if fmt == "png":  # a file: as wide as its text needs, or refused if unreadable
            data = file_png(self.source, self.svg())
        else:
            data = self.source.encode("utf-8") if fmt == "dot" else self.pipe(fmt)
        return write_atomic(path, data)

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        *,
        outfile: str | os.PathLike[str] | None = None,
        engine: str | None = None,
        quiet: bool = False,
    ) -> str:
        """``graphviz.Digraph.render``'s call, rendered in-process: no ``dot`` program needed.

        Writes the DOT source to ``filename`` (default ``Digraph.gv``) and the
        picture beside it as ``filename.<format>`` (or to ``outfile``, its
        format by extension); returns the picture's path. ``cleanup`` deletes
        the DOT file afterwards; ``view`` opens the picture with graphviz's viewer.
        """
        if engine not in (None, "dot"):
            raise ValueError(f"engine={engine!r}: drawings are laid out by 'dot' only")
        for name, p in (("filename", filename), ("directory", directory), ("outfile", outfile)):
            if p is not None and not isinstance(p, (str, os.PathLike)):
                raise TypeError(f"{name} must be a str or path, not {type(p).__name__}")
        folder = Path(directory) if directory is not None else Path()
        if outfile is not None:
            fmt = format_for_path(outfile, format)
            target = folder / outfile
            gv = folder / filename if filename is not None else target.with_suffix(".gv")
        else:
            fmt = self.format if format is None else format
            gv = folder / (filename if filename is not None else "Digraph.gv")
            target = gv.with_name(f"{gv.name}.{fmt}")
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
        picture = self.pipe(fmt)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not cleanup:
            write_atomic(gv, self.source)
        write_atomic(target, picture)
        if view:
            import graphviz

            graphviz.view(target, quiet=quiet)
        return os.fspath(target)

    def to_graphviz(self) -> Any:
        """This drawing as a ``graphviz.Digraph`` (same DOT text), for code that wants one.

        Needs the ``graphviz`` package (in the ``viz`` extra). The Digraph's own
        rendering and display call the system ``dot`` program; this object's do not.
        """
        try:
            import graphviz
        except ImportError as exc:
            raise ImportError(
                "to_graphviz needs the graphviz package: pip install 'gradwalk[viz]'"
            ) from exc
        head, _, body = self.source.partition("{\n")
        digraph = graphviz.Digraph(name=head.split()[1] if len(head.split()) > 1 else None)
        digraph.body = [line + "\n" for line in body.rstrip().removesuffix("}").splitlines()]
        return digraph

    def _repr_svg_(self) -> str:
        return fit_svg(self.svg())

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """SVG for a live session, PNG too (an untrusted saved notebook drops SVG), and text;
        both at most 840 pixels wide, the SVG scaled to the PNG's size."""
        return {
            "image/svg+xml": self._repr_svg_(),
            "image/png": self.png(),
            "text/plain": repr(self),
        }

    def __repr__(self) -> str:
        extra = f", collapsed by {self.collapse}" if self.collapse != "none" else ""
        return f"<Drawing of {self.num_values} values{extra}>"


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    *,
    precision: int = 4,
    model: object = None,
    params: Iterable[Value] | None = None,
    color_by: str | None = "role",
    collapse: str | None = "auto",
    max_nodes: int = 300,
    show_grad: bool | None = None,
    legend: bool = True,
    format: str = "svg",
) -> Drawing:
    """Draw the graph that computed ``root``: each Value with its label, data and grad.

    * ``rankdir``: ``"LR"`` (inputs left), ``"TB"``, ``"RL"`` or ``"BT"``.
    * ``precision``: decimals shown for data and grad (see :func:`format_number`).
    * ``model`` (an MLP, Layer or Neuron) or ``params`` (Values): which leaves
      are parameters; the model also groups nodes by neuron and layer
      (clusters). Without a model, other leaves are inputs, and fused
      ``dense`` neurons are still grouped.
    * ``color_by``: ``"role"`` (input, parameter, intermediate, output),
      ``"grad"`` (sign and size of the gradient) or None.
    * ``collapse``: ``"neuron"`` or ``"layer"`` draws each neuron or layer as one
      box with the number of values it stands for; None (or ``"none"``) draws
      every node; ``"auto"`` collapses graphs of more than ``max_nodes`` values
      (by neuron, or by layer if that is still too many edges; a graph without
      neurons has parts of it drawn as boxes, sub-expressions with leaves of their
      own, and ``Drawing.collapse`` is ``"part"``) and says so in a note and a
      :class:`VizWarning`.
    * ``show_grad``: None guesses whether ``backward()`` has run (the root's grad
      is 0.0 until it does) and shows ``grad —`` with a note if not.
    * ``format``: accepted for micrograd compatibility; the default of ``pipe()``.
    """
    options = _Options.of(
        "draw_dot",
        rankdir=rankdir,
        precision=precision,
        model=model,
        params=params,
        color_by=color_by,
        collapse=collapse,
        max_nodes=max_nodes,
        legend=legend,
    )
    structure, view, warning = _structure_and_view(root, "draw_dot", options, parts=True)
    show = _check_show_grad(show_grad)
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if show is None:
        show = root.grad != 0.0
        if not show:
            view.notes.append(
                "Gradients not computed yet (the root's grad is 0.0): call backward() on the "
                "root, then draw again."
            )
    if not show:
        view.grads = [None] * len(view.grads)
    if warning is not None:
        warnings.warn(f"draw_dot: {warning}", VizWarning, stacklevel=2)
    return Drawing(
        dot_text(structure, view),
        collapse=view.collapse,
        notes=view.notes,
        num_values=len(structure.order),
        format=format,
    )
