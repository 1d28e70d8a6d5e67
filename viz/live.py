"""Watch a network learn: a live view in Jupyter and a replay page of the same views.

Four views of one training run, measured at a step:

* **loss** (and batch accuracy) over the steps so far;
* **decision boundary** for 2-D inputs: the model's output over a grid, with the data;
* **network**: one circle per neuron, one line per weight coloured by the sign
  of its gradient and as strong as ``log10 |grad|`` relative to the largest (4 decades);
* **layer sizes**: per layer, mean ``|w|`` and mean ``|∂L/∂w|`` on a log scale
  (the gradients of a deep sigmoid net fade towards its first layers).

>>> from autograd.nn import MLP, fit
>>> import viz
>>> fit(model, X, y, live=viz.live_view)       # doctest: +SKIP  (one output redrawn in place)
>>> rec = viz.LiveRecorder()                   # doctest: +SKIP
>>> fit(model, X, y, live=rec); rec.save("out/run.html")  # doctest: +SKIP

In a hand-written loop, call ``view.update(step, loss)`` after ``backward()``.
Outside a Jupyter kernel :class:`LiveView` prints a plain line of progress now
and then instead of drawing. The library ``autograd`` never imports this
module, and importing it changes nothing in ``autograd``: pass
:func:`live_view` to ``fit`` (``live=live_view``), or make it what
``live=True`` means with ``autograd.nn.register_live_view(live_view)``.
"""

from __future__ import annotations

import io
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from autograd import gc_paused, no_grad

from ._files import write_atomic

__all__ = ["LiveRecorder", "LiveView", "Snapshot", "live_view", "save_replay"]

#: A recorded step: plain JSON-able data (see :meth:`LiveRecorder.snapshot`).
Snapshot = dict[str, Any]

_HERE = Path(__file__).resolve().parent
_LEVELS = 10  # gradient strength levels over _DECADES decades
_DECADES = 4.0
_MAX_EDGES = 4000  # larger networks are drawn without the per-weight diagram


# ------------------------------------------------------------------ reading a model


def _layers(model: Any) -> list[Any]:
    """The model's layers (an MLP's ``.layers``, a Layer itself), or [] if it has none."""
    layers = getattr(model, "layers", None)
    if isinstance(layers, list) and all(hasattr(layer, "neurons") for layer in layers):
        return layers
    if hasattr(model, "neurons"):
        return [model]
    return []


def _is_2d(X: Sequence[Any] | None) -> bool:
    return bool(X) and isinstance(X[0], Sequence) and len(X[0]) == 2  # type: ignore[index]


def _level(g: float, top: float) -> int:
    """``g`` as a signed strength level: 0 (none, or under 4 decades below ``top``) .. ±10."""
    if g == 0.0 or top == 0.0 or g != g:
        return 0
    r = math.log10(abs(g) / top) + _DECADES
    level = round(r * _LEVELS / _DECADES)
    if level <= 0:
        return 0
    level = min(level, _LEVELS)
    return level if g > 0 else -level


def _mean_abs(vs: Sequence[float]) -> float:
    return sum(abs(v) for v in vs) / len(vs) if vs else 0.0


class _Reader:
    """Measures one model on one data set: layer sizes, weight gradients, decision boundary."""

    def __init__(self, model: Any, X: Sequence[Any] | None, y: Sequence[Any] | None, grid: int):
        self.model = model
        self.layers = _layers(model)
        self.sizes: list[int] = []
        if self.layers:
            self.sizes = [self.layers[0].neurons[0].nin, *(len(L.neurons) for L in self.layers)]
        n_w = sum(a * b for a, b in zip(self.sizes, self.sizes[1:]))
        self.diagram = bool(self.layers) and n_w <= _MAX_EDGES
        self.grid = grid
        self.points: list[list[float]] = []
        self.labels: list[Any] = []
        self.box: list[float] = []
        self.kind = "none"
        if X is not None and _is_2d(X) and grid > 0:
            xs = [float(x[0]) for x in X]
            ys = [float(x[1]) for x in X]
            padx = 0.1 * (max(xs) - min(xs) or 1.0)
            pady = 0.1 * (max(ys) - min(ys) or 1.0)
            self.box = [min(xs) - padx, max(xs) + padx, min(ys) - pady, max(ys) + pady]
            step = max(1, len(X) // 500)  # at most ~500 points drawn
            self.points = [[round(a, 4), round(b, 4)] for a, b in zip(xs[::step], ys[::step])]
            if y is not None:
                self.labels = [_plain(t) for t in list(y)[::step]]
            x0, x1, y0, y1 = self.box
            self.cells = [
                [x0 + (i + 0.5) * (x1 - x0) / grid, y1 - (j + 0.5) * (y1 - y0) / grid]
                for j in range(grid)
                for i in range(grid)
            ]
            self.kind = "pending"

    def groups(self) -> list[tuple[str, list[Any]]]:
        if self.layers:
            return [(f"layer {i + 1}", L.parameters()) for i, L in enumerate(self.layers)]
        return [("all", list(self.model.parameters()))] if hasattr(self.model, "parameters") else []

    def layer_sizes(self) -> list[list[float]]:
        """Per layer ``[mean |w|, mean |grad|]`` over its weights and biases."""
        out = []
        for _, ps in self.groups():
            out.append([_mean_abs([p.data for p in ps]), _mean_abs([p.grad for p in ps])])
        return out

    def edges(self) -> list[int] | None:
        """Every weight's gradient as a signed level (layer by layer, neuron by neuron)."""
        if not self.diagram:
            return None
        gs = [w.grad for L in self.layers for n in L.neurons for w in n.w]
        top = max((abs(g) for g in gs if g == g), default=0.0)
        return [_level(g, top) for g in gs]

    def boundary(self) -> list[int] | None:
        """The model over the grid: ``round(9·tanh(score))`` for one output, else the class."""
        if self.kind == "none":
            return None
        with no_grad():
            outs = [self.model(c) for c in self.cells]
        if isinstance(outs[0], list):
            self.kind = "class"
            return [max(range(len(o)), key=lambda i: o[i].data) for o in outs]
        self.kind = "score"
        return [round(9 * math.tanh(_plain(o))) for o in outs]


def _plain(v: Any) -> Any:
    d = getattr(v, "data", v)
    if isinstance(d, bool):
        return int(d)
    if isinstance(d, (int, float)):
        return d if d == d and abs(d) != math.inf else 0.0
    return 0


# ------------------------------------------------------------------ recording


class LiveRecorder:
    """Records snapshots of a run for a replay page, in bounded memory.

    ``update(step, loss, **info)`` (as ``fit(..., live=recorder)`` calls it, or
    by hand after ``backward()``; pass ``model=`` here or there) keeps the
    loss curve and, every ``stride``-th update, a :data:`Snapshot`. When
    ``max_snapshots`` are held it drops every other one and doubles the
    stride, so at most ``max_snapshots`` remain, evenly spread over the run;
    the final update (``last=True`` or :meth:`close`) always replaces the
    newest. The loss curve is thinned the same way at ``max_points``.
    """

    def __init__(
        self,
        model: Any = None,
        X: Sequence[Any] | None = None,
        y: Sequence[Any] | None = None,
        *,
        max_snapshots: int = 100,
        max_points: int = 2000,
        grid: int = 25,
        title: str = "Training replay",
    ) -> None:
        for name, v, low in (("max_snapshots", max_snapshots, 2), ("max_points", max_points, 2)):
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ValueError(f"{name} must be an int of at least {low}, got {v!r}")
        if isinstance(grid, bool) or not isinstance(grid, int) or not 0 <= grid <= 200:
            raise ValueError(f"grid must be an int in 0..200, got {grid!r}")
        self.max_snapshots = max_snapshots
        self.max_points = max_points
        self.grid = grid
        self.title = str(title)
        self.snapshots: list[Snapshot] = []
        self.curve: list[list[float]] = []  # [step, loss, accuracy or -1]
        self.stride = 1
        self._curve_stride = 1
        self._n = 0
        self._curve_n = 0
        self._model, self._X, self._y = model, X, y
        self._reader: _Reader | None = None
        self._pending: dict[str, Any] | None = None

    def _read(self, info: dict[str, Any]) -> _Reader:
        model = info.get("model", self._model)
        if model is None:
            raise ValueError("LiveRecorder needs the model: pass model= to it or to update()")
        if self._reader is None or self._reader.model is not model:
            X = info.get("X", self._X)
            y = info.get("y", self._y)
            self._reader = _Reader(model, X, y, self.grid)
        return self._reader

    def snapshot(self, step: int, loss: float, **info: Any) -> Snapshot:
        """The views' data at this step (JSON-able): loss, layer sizes, edge levels, boundary."""
        r = self._read(info)
        acc = info.get("accuracy")
        return {
            "step": int(step),
            "epoch": int(info.get("epoch", 0)),
            "loss": _plain(float(loss)),
            "accuracy": None if acc is None else float(acc),
            "layers": r.layer_sizes(),
            "edges": r.edges(),
            "boundary": r.boundary(),
        }

    def _curve_append(self, step: int, loss: float, acc: float | None) -> None:
        if self._curve_n % self._curve_stride == 0:
            self.curve.append([int(step), _plain(float(loss)), -1.0 if acc is None else float(acc)])
            if len(self.curve) > self.max_points:
                self.curve = self.curve[::2]
                self._curve_stride *= 2
        self._curve_n += 1

    def update(self, step: int, loss: float, **info: Any) -> None:
        """Record ``loss`` at ``step`` (and a snapshot when it is this update's turn)."""
        self._curve_append(step, loss, info.get("accuracy"))
        last = bool(info.get("last"))
        if self._n % self.stride == 0 or last:
            snap = self.snapshot(step, loss, **info)
            if last and self.snapshots and self._n % self.stride != 0:
                if len(self.snapshots) >= self.max_snapshots:
                    self.snapshots[-1] = snap
                else:
                    self.snapshots.append(snap)
            else:
                self.snapshots.append(snap)
                if len(self.snapshots) > self.max_snapshots:
                    self.snapshots = self.snapshots[::2]
                    self.stride *= 2
            self._pending = None
        else:
            self._pending = {"step": step, "loss": loss, **info}
        self._n += 1

    def close(self) -> None:
        """Make sure the newest update is the last snapshot (for hand-written loops)."""
        if self._pending is not None:
            p = self._pending
            self._pending = None
            snap = self.snapshot(p.pop("step"), p.pop("loss"), **p)
            if len(self.snapshots) >= self.max_snapshots:
                self.snapshots[-1] = snap
            else:
                self.snapshots.append(snap)

    def data(self) -> dict[str, Any]:
        """Everything the replay page needs, as one JSON-able dict."""
        self.close()
        r = self._reader
        return {
            "title": self.title,
            "sizes": r.sizes if r else [],
            "diagram": bool(r and r.diagram),
            "kind": r.kind if r else "none",
            "grid": r.grid if r else 0,
            "box": r.box if r else [],
            "points": r.points if r else [],
            "labels": r.labels if r else [],
            "groups": [name for name, _ in r.groups()] if r else [],
            "levels": _LEVELS,
            "decades": _DECADES,
            "curve": self.curve,
            "snapshots": self.snapshots,
        }

    def html(self) -> str:
        """The replay page as one self-contained HTML string (no network needed)."""
        return _page(self.data())

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the replay page to ``path`` (via a temporary file and a rename); return it."""
        return save_replay(self, path)


def _page(data: dict[str, Any]) -> str:
    js = (_HERE / "live.js").read_text(encoding="utf-8")
    css = (_HERE / "live.css").read_text(encoding="utf-8")
    blob = json.dumps(data, separators=(",", ":"), allow_nan=False)
    blob = blob.replace("<", "\\u003c")  # no "</script>" inside the data
    title = _escape(data["title"])
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{css}</style></head>\n<body>\n"
        f'<header><h1>{title}</h1><div id="controls">'
        '<button id="play" type="button" title="play / pause (space)">▶ play</button>'
        '<input id="slider" type="range" min="0" max="0" value="0" aria-label="recorded step">'
        '<span id="where"></span></div></header>\n<main id="views"></main>\n'
        f'<script type="application/json" id="live-data">{blob}</script>\n'
        f"<script>{js}</script>\n</body></html>\n"
    )


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def save_replay(recorder: LiveRecorder, path: str | os.PathLike[str]) -> Path:
    """Write ``recorder``'s replay page to ``path`` atomically; return the path."""
    if not isinstance(recorder, LiveRecorder):
        raise TypeError(f"recorder must be a LiveRecorder, not {type(recorder).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path, not {type(path).__name__}")
    p = Path(path)
    if not recorder.snapshots and recorder._pending is None:
        raise ValueError("nothing recorded yet: call update() (or pass it to fit) first")
    p.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(p, recorder.html())
    return p


# ------------------------------------------------------------------ the picture (matplotlib)

_NEG, _POS = "#d7301f", "#2166ac"  # negative / positive: gradients, scores, labels
_CLASS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666"]


class _Painter:
    """One matplotlib figure of the four views, built once and updated for each drawing."""

    def __init__(self, r: _Reader, title: str) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.collections import LineCollection
        from matplotlib.colors import ListedColormap, to_rgb
        from matplotlib.figure import Figure
        from matplotlib.ticker import LogLocator, NullLocator

        self.r, self.title = r, title
        self.LogLocator, self.NullLocator = LogLocator, NullLocator
        self.fig = fig = Figure(figsize=(11, 7.2), dpi=72)
        FigureCanvasAgg(fig)
        fig.subplots_adjust(left=0.06, right=0.94, bottom=0.07, top=0.88, wspace=0.22, hspace=0.4)
        self.head = fig.suptitle(title, fontsize=13)
        # loss (and accuracy) over steps
        ax = self.ax_loss = fig.add_subplot(2, 2, 1)
        (self.loss_line,) = ax.plot([], [], color="#333", lw=1.5, label="loss (batch)")
        self.acc_ax = ax.twinx()
        (self.acc_line,) = self.acc_ax.plot([], [], color="#2a9d8f", lw=1, label="accuracy")
        self.acc_ax.set_ylim(0, 1.05)
        self.acc_ax.set_ylabel("accuracy", color="#2a9d8f")
        ax.set_title("Loss of each batch (black) and its accuracy (green, right)", fontsize=11)
        ax.set_xlabel("training step")
        # decision boundary
        ax = fig.add_subplot(2, 2, 2)
        self.image = None
        if r.kind != "none":
            x0, x1, y0, y1 = r.box
            blank = [[0] * r.grid for _ in range(r.grid)]
            if r.kind == "class":
                cmap: Any
                cmap, lo, hi, alpha = ListedColormap(_CLASS), 0, len(_CLASS) - 1, 0.35
                cols: Any = [_CLASS[int(t) % len(_CLASS)] for t in r.labels] or "k"
                what = "Decision boundary over the data (colour: predicted class)"
            else:
                cmap, lo, hi, alpha = "RdBu", -16, 16, 0.7
                cols = [_POS if t > 0 else _NEG for t in r.labels] or "k"
                what = "Decision boundary over the data (blue: output > 0, red: < 0)"
            self.image = ax.imshow(
                blank,
                extent=(x0, x1, y0, y1),
                cmap=cmap,
                vmin=lo,
                vmax=hi,
                alpha=alpha,
                aspect="auto",
                interpolation="nearest",
            )
            pts = r.points
            ax.scatter(
                [p[0] for p in pts],
                [p[1] for p in pts],
                c=cols,
                s=14,
                edgecolors="k",
                linewidths=0.4,
            )
            ax.set_title(what, fontsize=11)
        else:
            ax.text(0.5, 0.5, "decision boundary: for 2-D inputs only", ha="center", va="center")
            ax.set_axis_off()
        # network diagram
        ax = fig.add_subplot(2, 2, 3)
        self.lines = None
        if r.diagram:
            sizes = r.sizes
            pos = [[(li, (j + 0.5) / n) for j in range(n)] for li, n in enumerate(sizes)]
            segs = [
                [pos[li][i], pos[li + 1][j]]
                for li in range(len(sizes) - 1)
                for j in range(sizes[li + 1])
                for i in range(sizes[li])
            ]
            self.rgb = {1: to_rgb(_POS), -1: to_rgb(_NEG)}
            self.lines = LineCollection(segs, linewidths=1.0, colors=[(0, 0, 0, 0)] * len(segs))
            ax.add_collection(self.lines)
            for li, col in enumerate(pos):
                ax.scatter(
                    [p[0] for p in col],
                    [p[1] for p in col],
                    s=18 if sizes[li] < 40 else 4,
                    c="#fff",
                    edgecolors="#333",
                    linewidths=0.7,
                    zorder=3,
                )
            ax.set_xlim(-0.2, len(sizes) - 0.8)
            ax.set_ylim(0, 1)
            ax.set_xticks(
                range(len(sizes)), ["inputs", *(f"layer {i}" for i in range(1, len(sizes)))]
            )
            ax.set_yticks([])
            ax.set_title(
                "Network: each weight coloured by ∂L/∂w\n(blue +, red −; strong = "
                "largest, faint = 10⁻⁴ of it)",
                fontsize=10,
            )
        else:
            ax.text(
                0.5,
                0.5,
                f"network diagram: MLPs up to {_MAX_EDGES} weights",
                ha="center",
                va="center",
            )
            ax.set_axis_off()
        # per-layer sizes
        ax = self.ax_bars = fig.add_subplot(2, 2, 4)
        names = [name for name, _ in r.groups()]
        xs = list(range(len(names)))
        self.wbars = ax.bar(
            [x - 0.2 for x in xs], [1.0] * len(xs), width=0.4, color="#999", label="mean |w|"
        )
        self.gbars = ax.bar(
            [x + 0.2 for x in xs], [1.0] * len(xs), width=0.4, color="#e76f51", label="mean |∂L/∂w|"
        )
        ax.set_yscale("log")
        ax.set_xticks(xs, names)
        # the colours named in the title: a legend box would cover the first layer's bars
        ax.set_title("Per layer: mean |w| (grey), mean |∂L/∂w| (orange), log scale", fontsize=11)

    def png(self, snap: Snapshot, curve: list[list[float]]) -> bytes:
        """Draw ``snap`` (and the loss ``curve`` so far) and return the PNG bytes."""
        acc = snap["accuracy"]
        head = (
            f"{self.title}: after training step {snap['step'] + 1} (epoch {snap['epoch'] + 1}), "
            f"loss {snap['loss']:.4g}"
        )
        self.head.set_text(head + (f", batch accuracy {acc:.0%}" if acc is not None else ""))
        steps = [c[0] for c in curve]
        losses = [c[1] for c in curve]
        self.loss_line.set_data(steps, losses)
        self.acc_line.set_data(steps, [c[2] if c[2] >= 0 else math.nan for c in curve])
        ax = self.ax_loss
        ax.set_xlim(0, max(1, steps[-1]))
        positive = [v for v in losses if v > 0]
        if len(positive) == len(losses) and min(positive) < max(positive):
            ax.set_yscale("log")
            ax.yaxis.set_minor_locator(self.NullLocator())
            ax.set_ylim(min(positive) / 1.3, max(positive) * 1.3)
        else:
            lo, hi = min(losses), max(losses)
            ax.set_ylim(lo - 0.05 * (hi - lo or 1), hi + 0.05 * (hi - lo or 1))
        if self.image is not None and snap["boundary"] is not None:
            g = self.r.grid
            b = snap["boundary"]
            self.image.set_data([b[j * g : (j + 1) * g] for j in range(g)])
        if self.lines is not None and snap["edges"] is not None:
            rgb = self.rgb
            self.lines.set_colors(
                [(*rgb[1 if lv > 0 else -1], 0.9 * abs(lv) / _LEVELS) for lv in snap["edges"]]
            )
        vals = []
        for bars, k in ((self.wbars, 0), (self.gbars, 1)):
            for bar, pair in zip(bars, snap["layers"]):
                v = pair[k] if pair[k] > 0 else math.nan
                bar.set_height(v)
                vals.append(v)
        good = [v for v in vals if v == v]
        if good:
            self.ax_bars.set_ylim(min(good) / 3, max(good) * 3)
            self.ax_bars.yaxis.set_minor_locator(self.NullLocator())
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png")
        return buf.getvalue()


# ------------------------------------------------------------------ the live view


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    return ip is not None and getattr(ip, "kernel", None) is not None


class LiveView:
    """One Jupyter output, redrawn in place as training runs (a PNG of the four views).

    ``update(step, loss, **info)`` after each step (``fit(..., live=live_view)``
    does it); it redraws when, with one more drawing, drawing would still
    have taken at most ``budget`` of the time since the first update (default
    0.1: at most ~10% of the run, so the first picture comes after a few
    seconds; ``budget=1`` draws at every update), and always on the final
    update (``last=True``) and on :meth:`close`.
    ``record=True`` also keeps a :class:`LiveRecorder` (``view.recording``)
    for a replay page. Outside a Jupyter kernel it draws nothing and prints a
    plain line of progress about ``lines`` times per run instead; ``sink``
    (a callable taking the PNG bytes) forces drawing anywhere, e.g. to
    measure its cost.
    """

    def __init__(
        self,
        model: Any = None,
        X: Sequence[Any] | None = None,
        y: Sequence[Any] | None = None,
        *,
        budget: float = 0.1,
        grid: int = 20,
        record: bool = False,
        total_steps: int | None = None,
        lines: int = 10,
        sink: Callable[[bytes], Any] | None = None,
        title: str = "Training",
    ) -> None:
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0 < budget <= 1:
            raise ValueError(f"budget must be a number in (0, 1], got {budget!r}")
        if sink is not None and not callable(sink):
            raise TypeError(f"sink must be callable, not {type(sink).__name__}")
        self.budget = float(budget)
        self.title = str(title)
        self.rec = LiveRecorder(model, X, y, grid=grid, title=title, max_snapshots=2)
        self.recording = LiveRecorder(model, X, y, grid=grid, title=title) if record else None
        self.sink = sink
        self.kernel = sink is None and _in_kernel()
        self.draws = 0
        self.seconds = 0.0
        self._handle: Any = None
        self._painter: _Painter | None = None
        self._t0: float | None = None
        self._cost = 0.3  # a first guess of one drawing's cost, in seconds
        self._every = max(1, (total_steps or 100) // max(1, lines))
        self._last: tuple[int, float, dict[str, Any]] | None = None
        self._drawn_step: int | None = None

    def update(self, step: int, loss: float, **info: Any) -> None:
        """Note this step; redraw if the time budget allows (or on the last step)."""
        if self.recording is not None:
            self.recording.update(step, loss, **info)
        self.rec._curve_append(step, loss, info.get("accuracy"))
        self._last = (step, loss, info)
        last = bool(info.get("last"))
        if not (self.kernel or self.sink):
            if step % self._every == 0 or last:
                acc = info.get("accuracy")
                tail = f"  accuracy {acc:.3f}" if acc is not None else ""
                print(f"step {step:6d}  loss {loss:.6g}{tail}")
            return
        now = time.perf_counter()
        if self._t0 is None:
            self._t0 = now
        if (
            last
            or self.budget >= 1.0
            or self.seconds + self._cost <= self.budget * (now - self._t0)
        ):
            self._draw(step, loss, info)

    def _draw(self, step: int, loss: float, info: dict[str, Any]) -> None:
        start = time.perf_counter()
        snap = self.rec.snapshot(step, loss, **info)
        if self._painter is None:
            self._painter = _Painter(self.rec._reader, self.title)  # type: ignore[arg-type]
        with gc_paused():  # matplotlib makes many short-lived objects
            png = self._painter.png(snap, self.rec.curve)
        if self.sink is not None:
            self.sink(png)
        else:
            from IPython.display import Image, display

            img = Image(data=png, format="png")
            if self._handle is None:
                self._handle = display(img, display_id=True)
            else:
                self._handle.update(img)
        cost = time.perf_counter() - start
        self.draws += 1
        self.seconds += cost
        self._drawn_step = step
        self._cost = cost

    def close(self) -> None:
        """Draw the final state if it is not drawn yet (and finish the recording)."""
        if self._last is not None and (self.kernel or self.sink):
            step, loss, info = self._last
            if self._drawn_step != step:
                self._draw(step, loss, info)
        if self.recording is not None:
            self.recording.close()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the replay page of the recording (``record=True``) to ``path``."""
        if self.recording is None:
            raise ValueError("this view records nothing: create it with record=True")
        return self.recording.save(path)


def live_view(
    model: Any = None,
    X: Sequence[Any] | None = None,
    y: Sequence[Any] | None = None,
    *,
    total_steps: int | None = None,
    **options: Any,
) -> LiveView:
    """A :class:`LiveView` for ``fit(..., live=live_view)``: ``fit`` calls it once with the
    run's model, data and ``total_steps``; other options go to LiveView."""
    options.pop("loss", None)
    return LiveView(model, X, y, total_steps=total_steps, **options)
