"""Handwritten digits with an MLP: scikit-learn's bundled ``load_digits`` (8x8, 1,797 images).

Lesson 6's worked example uses 16x16 binary images; this dataset ships with
scikit-learn, works offline, and has 16 grey levels per pixel. Pixels are
scaled to [0, 1]; ``binarize=True`` sets a pixel to 1 where its grey level
is above 7 (ink) and 0 elsewhere, mirroring the original. A fixed-seed 20%
of the images is held out for testing.

>>> from gradwalk.digits import DigitsConfig, train
>>> result = train(DigitsConfig())            # the defaults: MLP 64-32-10, 10 epochs
>>> result.test_accuracy                      # doctest: +SKIP
0.97...

scikit-learn is imported only when the data is loaded.
"""

from __future__ import annotations

import gzip
import importlib.util
import itertools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from autograd import no_grad
from autograd.nn import ACTIVATIONS, MLP, SGD, Adam, History, fit, predict, softmax

__all__ = [
    "DigitsConfig",
    "DigitsResult",
    "compare_depth",
    "compare_losses",
    "confusion_matrix",
    "load",
    "parameter_count",
    "split",
    "train",
]

N_CLASSES = 10
N_PIXELS = 64


def load(binarize: bool = False) -> tuple[list[list[float]], list[int]]:
    """All 1,797 images as lists of 64 floats in [0, 1], and their labels 0-9.

    Grey levels 0-16 are divided by 16; with ``binarize`` a pixel is 1.0 when
    its grey level is above 7, else 0.0.
    """
    if not isinstance(binarize, bool):
        raise TypeError(f"binarize must be a bool, not {type(binarize).__name__}")
    images, labels = _shipped_digits()
    if binarize:
        X = [[1.0 if p > 7 else 0.0 for p in img] for img in images]
    else:
        X = [[p / 16.0 for p in img] for img in images]
    return X, labels


def _shipped_digits() -> tuple[list[list[float]], list[int]]:
    """The grey levels and labels of scikit-learn's bundled digits file.

    Read straight from the CSV file scikit-learn ships (importing scikit-learn
    itself takes about a second, most of a short training run's start-up);
    through ``sklearn.datasets.load_digits`` where that file is not found.
    """
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise ImportError(
            "the digits data ships with scikit-learn: pip install 'gradwalk[examples]'"
        )
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    if path.is_file():
        with gzip.open(path, "rt", encoding="ascii") as f:
            rows = [[float(v) for v in line.split(",")] for line in f if line.strip()]
        return [r[:-1] for r in rows], [int(r[-1]) for r in rows]
    from sklearn.datasets import load_digits  # pragma: no cover - another layout

    data = load_digits()  # pragma: no cover
    return data.data.tolist(), [int(t) for t in data.target]  # pragma: no cover


def split(
    X: Sequence[Any], y: Sequence[Any], test_fraction: float = 0.2, seed: int = 0
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """``(X_train, y_train, X_test, y_test)``: seeded shuffle, last ``test_fraction`` held out.

    No stratification: the classes of the held-out part are as they fall.

    The test set has ``ceil(test_fraction * n)`` samples (360 of 1,797 for 20%),
    like scikit-learn's ``train_test_split``.
    """
    if len(X) != len(y):
        raise ValueError(f"split: X has {len(X)} samples but y has {len(y)}")
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)):
        raise TypeError(f"test_fraction must be a number, not {type(test_fraction).__name__}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be strictly between 0 and 1, got {test_fraction!r}")
    n = len(X)
    n_test = -int(-test_fraction * n // 1)  # ceil
    if not 0 < n_test < n:
        raise ValueError(f"split: {n} samples are too few for a test fraction of {test_fraction}")
    order = list(range(n))
    random.Random(seed).shuffle(order)
    train_idx, test_idx = order[: n - n_test], order[n - n_test :]
    return (
        [X[i] for i in train_idx],
        [y[i] for i in train_idx],
        [X[i] for i in test_idx],
        [y[i] for i in test_idx],
    )


def parameter_count(hidden: Sequence[int], nin: int = N_PIXELS, nout: int = N_CLASSES) -> int:
    """Weights plus biases of an MLP ``nin -> *hidden -> nout``."""
    sizes = [nin, *hidden, nout]
    return sum((a + 1) * b for a, b in itertools.pairwise(sizes))


@dataclass(frozen=True)
class DigitsConfig:
    """One training run. The defaults are the main configuration (>= 95% test accuracy).

    ``loss`` is ``"cross_entropy"`` (softmax cross-entropy on the 10 outputs)
    or ``"mse"`` (squared error between the softmax probabilities and the
    one-hot target: the same network and outputs, only the loss differs).
    ``optimizer`` is ``"adam"`` or ``"sgd"`` (with ``momentum``). With
    ``lr_decay`` the learning rate falls linearly, epoch by epoch, from
    ``lr`` to ``lr / epochs`` (which steadies the final accuracy).
    """

    hidden: tuple[int, ...] = (32,)
    activation: str = "relu"
    loss: str = "cross_entropy"
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    lr_decay: bool = True
    epochs: int = 10
    batch_size: int = 32
    seed: int = 0
    binarize: bool = False
    test_fraction: float = 0.2
    split_seed: int = 0

    def __post_init__(self) -> None:
        hidden = self.hidden
        if isinstance(hidden, int) or not isinstance(hidden, (tuple, list)):
            raise TypeError(f"hidden must be a tuple of layer sizes, not {type(hidden).__name__}")
        object.__setattr__(self, "hidden", tuple(hidden))
        for h in self.hidden:
            if isinstance(h, bool) or not isinstance(h, int) or h < 1:
                raise ValueError(f"hidden layer sizes must be positive ints, got {h!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}"
            )
        if self.loss not in ("cross_entropy", "mse"):
            raise ValueError(f"loss must be 'cross_entropy' or 'mse', got {self.loss!r}")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        for name in ("epochs", "batch_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")


@dataclass
class DigitsResult:
    """What :func:`train` returns."""

    config: DigitsConfig
    history: History
    test_accuracy: float
    #: ``confusion[true][predicted]`` counts on the test set.
    confusion: list[list[int]]
    n_parameters: int
    seconds: float
    model: MLP = field(repr=False)

    def summary(self) -> str:
        """One line: architecture, loss, parameters, accuracy and time."""
        c = self.config
        arch = "-".join(str(s) for s in (N_PIXELS, *c.hidden, N_CLASSES))
        return (
            f"{arch} {c.activation} {c.loss:<13} {self.n_parameters:>5} params  "
            f"test {100 * self.test_accuracy:.2f}%  ({self.seconds:.1f} s)"
        )

    def as_dict(self) -> dict[str, Any]:
        """Everything but the model, as JSON-able data."""
        return {
            "config": asdict(self.config),
            "history": self.history.as_dict(),
            "test_accuracy": self.test_accuracy,
            "confusion": self.confusion,
            "n_parameters": self.n_parameters,
            "seconds": self.seconds,
        }


def _softmax_mse(outputs: list[Any], targets: list[Any]) -> Any:
    """Mean squared error between softmax probabilities and one-hot targets."""
    from autograd.nn import mse_loss, one_hot

    probs = [softmax(o) for o in outputs]
    return mse_loss(probs, [one_hot(t, N_CLASSES) for t in targets])


def confusion_matrix(
    model: MLP, X: Sequence[Sequence[float]], y: Sequence[int], n_classes: int = N_CLASSES
) -> list[list[int]]:
    """``m[true][predicted]``: how often each digit was predicted as each digit (under no_grad)."""
    m = [[0] * n_classes for _ in range(n_classes)]
    with no_grad():
        for out, t in zip(predict(model, X), y):
            best = max(range(n_classes), key=lambda i: out[i].data)
            m[t][best] += 1
    return m


def train(
    config: DigitsConfig | None = None,
    *,
    progress: bool = False,
    data: tuple[list[list[float]], list[int]] | None = None,
    callback: Callable[[int, History], None] | None = None,
    live: Any = False,
    compiled: bool = True,
    **overrides: Any,
) -> DigitsResult:
    """Train an MLP on the digits with ``config`` (fields may be overridden by keyword).

    Returns the per-epoch history (with test loss and accuracy), the final
    test accuracy, the test confusion matrix, the parameter count and the
    wall time. ``data`` may pass ``load()``'s output to skip reloading;
    ``callback(epoch, history)`` runs after each epoch (after the learning
    rate decay), e.g. to print progress as it happens. ``live`` is passed to
    :func:`autograd.train.fit` (e.g. a ``viz.LiveRecorder`` for a replay page), and so
    is ``compiled`` (False trains on the eager engine instead of traced code).
    """
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, not {type(callback).__name__}")
    cfg = config if config is not None else DigitsConfig()
    if not isinstance(cfg, DigitsConfig):
        raise TypeError(f"config must be a DigitsConfig, not {type(cfg).__name__}")
    if overrides:
        cfg = replace(cfg, **overrides)
    X, y = data if data is not None else load(cfg.binarize)
    X_train, y_train, X_test, y_test = split(X, y, cfg.test_fraction, cfg.split_seed)
    start = time.perf_counter()
    model = MLP(N_PIXELS, [*cfg.hidden, N_CLASSES], activation=cfg.activation, seed=cfg.seed)
    if cfg.optimizer == "adam":
        opt: Any = Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        opt = SGD(
            model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
        )
    loss = "cross_entropy" if cfg.loss == "cross_entropy" else _softmax_mse

    def decay(epoch: int, history: History) -> None:
        if cfg.lr_decay:
            opt.lr = cfg.lr * (cfg.epochs - epoch - 1) / cfg.epochs
        if callback is not None:
            callback(epoch, history)

    history = fit(
        model,
        X_train,
        y_train,
        loss=loss,
        optimizer=opt,
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        seed=cfg.seed,
        validation=(X_test, y_test),
        progress=progress,
        callback=decay,
        live=live,
        compiled=compiled,
    )
    confusion = confusion_matrix(model, X_test, y_test)
    correct = sum(confusion[i][i] for i in range(N_CLASSES))
    return DigitsResult(
        config=cfg,
        history=history,
        test_accuracy=correct / len(y_test),
        confusion=confusion,
        n_parameters=len(model.parameters()),
        seconds=time.perf_counter() - start,
        model=model,
    )


def compare_losses(
    config: DigitsConfig | None = None, *, progress: bool = False, verbose: bool = True
) -> dict[str, DigitsResult]:
    """Squared error vs cross-entropy: same network, data and seed; only the loss differs."""
    cfg = config if config is not None else DigitsConfig()
    data = load(cfg.binarize)
    out = {}
    for loss in ("cross_entropy", "mse"):
        out[loss] = train(cfg, progress=progress, data=data, loss=loss)
        if verbose:
            print(out[loss].summary())
    return out


def compare_depth(
    wide: Sequence[int] = (64,),
    deep: Sequence[int] = (32, 32, 32),
    config: DigitsConfig | None = None,
    *,
    progress: bool = False,
    verbose: bool = True,
) -> dict[str, DigitsResult]:
    """One wide hidden layer vs several narrow ones at about the same parameter count.

    The defaults: 64 -> 64 -> 10 (4,810 parameters) against
    64 -> 32 -> 32 -> 32 -> 10 (4,522 parameters).
    """
    cfg = config if config is not None else DigitsConfig()
    data = load(cfg.binarize)
    out = {}
    for name, hidden in (("wide", tuple(wide)), ("deep", tuple(deep))):
        if verbose:
            print(f"{name}: hidden {list(hidden)}, {parameter_count(hidden)} parameters")
        out[name] = train(cfg, progress=progress, data=data, hidden=hidden)
        if verbose:
            print(out[name].summary())
    return out
