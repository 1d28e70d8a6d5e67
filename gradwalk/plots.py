"""The digits run's pictures (matplotlib, Agg backend): loss/accuracy curves, confusion matrix.

matplotlib is imported inside the functions; every PNG is written atomically.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

from .files import atomic_write, make_dir, write_group

__all__ = [
    "agg_figure",
    "confusion_figure",
    "curves_figure",
    "plot_confusion",
    "plot_curves",
    "png_bytes",
    "save_figure",
    "save_plots",
]


def agg_figure(**kwargs: Any) -> Any:
    """A matplotlib Figure drawn by the Agg backend (no display, no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: Path, dpi: int = 100) -> None:
    """Write ``fig`` as PNG to ``path`` through a temporary file beside it."""
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, format="png"))


def png_bytes(fig: Any, dpi: int = 100) -> bytes:
    """``fig`` as PNG bytes, in memory."""
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format="png")
    return buffer.getvalue()


def plot_curves(history: Any, path: Path, title: str) -> None:
    """Training (and test) loss and accuracy per epoch, side by side, as a PNG at ``path``."""
    save_figure(curves_figure(history, title), path)


def curves_figure(history: Any, title: str) -> Any:
    """The figure of :func:`plot_curves`."""
    from matplotlib.ticker import MaxNLocator

    fig = agg_figure(figsize=(10, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = list(range(1, len(history.loss) + 1))
    ax_loss.plot(epochs, history.loss, "o-", label="train")
    ax_acc.plot(epochs, [100 * a for a in history.accuracy], "o-", label="train")
    if history.val_loss:
        ax_loss.plot(epochs, history.val_loss, "s-", label="test")
        ax_acc.plot(epochs, [100 * a for a in history.val_accuracy], "s-", label="test")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="Loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
    fig.suptitle(title)
    return fig


def plot_confusion(confusion: list[list[int]], path: Path, title: str) -> None:
    """The confusion matrix (rows: true digit, columns: predicted) as a PNG at ``path``."""
    save_figure(confusion_figure(confusion, title), path)


def confusion_figure(confusion: list[list[int]], title: str) -> Any:
    """The figure of :func:`plot_confusion`."""
    fig = agg_figure(figsize=(6, 5.4), layout="constrained")
    ax = fig.subplots()
    n = len(confusion)
    image = ax.imshow(confusion, cmap="Blues")
    peak = max(max(row) for row in confusion) or 1
    for i in range(n):
        for j in range(n):
            count = confusion[i][j]
            if count:
                color = "white" if count > peak / 2 else "black"
                ax.text(j, i, str(count), ha="center", va="center", color=color, fontsize=9)
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set(xlabel="predicted digit", ylabel="true digit", title=title)
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def save_plots(result: Any, directory: Path, prefix: str = "digits") -> list[Path]:
    """The loss/accuracy curves and the confusion matrix as PNG files in ``directory``.

    Both pictures are drawn in memory first and then written as one
    (:func:`gradwalk.files.write_group`): both files or, after a failure or
    Ctrl-C, neither. A directory this call created is removed again then.
    """
    curves = directory / f"{prefix}_curves.png"
    confusion = directory / f"{prefix}_confusion.png"
    acc = f"test accuracy {100 * result.test_accuracy:.2f}%"
    arch = "-".join(str(s) for s in (64, *result.config.hidden, 10))
    files = [
        (
            curves,
            png_bytes(
                curves_figure(result.history, f"Digits MLP {arch}, {result.config.loss}: {acc}")
            ),
        ),
        (confusion, png_bytes(confusion_figure(result.confusion, f"Confusion matrix ({acc})"))),
    ]
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    make_dir(directory, "plots directory")
    try:
        return write_group(files, "plot")
    except BaseException:
        for d in missing:  # innermost first; rmdir removes only an empty directory
            with contextlib.suppress(OSError):
                d.rmdir()
        raise
