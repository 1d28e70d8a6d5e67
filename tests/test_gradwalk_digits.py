"""The digits classifier (docs/lessons.md, lesson 6): data, split, and the main training run."""

from __future__ import annotations

import pytest
import torch

from autograd.nn import MLP, to_torch
from gradwalk.digits import (
    DigitsConfig,
    confusion_matrix,
    load,
    parameter_count,
    split,
    train,
)

# Tiny tensors: torch's worker threads add only wake-up latency (tens of ms under load).
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def grey() -> tuple[list[list[float]], list[int]]:
    return load()


def test_load_grey_and_binarized(grey: tuple[list[list[float]], list[int]]) -> None:
    from sklearn.datasets import load_digits

    raw = load_digits()
    X, y = grey
    assert len(X) == len(y) == 1797 and all(len(x) == 64 for x in X)
    assert sorted(set(y)) == list(range(10))
    assert X[5] == [p / 16.0 for p in raw.data[5]]
    assert min(min(x) for x in X) == 0.0 and max(max(x) for x in X) == 1.0
    Xb, yb = load(binarize=True)
    assert yb == y
    assert {v for x in Xb for v in x} == {0.0, 1.0}
    assert all(b == (1.0 if g * 16 > 7 else 0.0) for xb, x in zip(Xb, X) for b, g in zip(xb, x))


def test_split_is_seeded_disjoint_and_20_percent(grey: tuple[list[list[float]], list[int]]) -> None:
    X, y = grey
    idx = list(range(len(X)))
    tr, _, te, _ = split(idx, y, 0.2, seed=0)
    assert len(te) == 360 and len(tr) == 1437
    assert sorted(tr + te) == idx
    assert split(idx, y, 0.2, seed=0)[2] == te
    assert split(idx, y, 0.2, seed=1)[2] != te
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        split(idx, y, 1.0)
    with pytest.raises(ValueError, match="1797 samples but y has 3"):
        split(idx, y[:3])


@pytest.mark.parametrize("hidden", [(32,), (64,), (32, 32, 32), (5, 7)])
def test_parameter_count(hidden: tuple[int, ...]) -> None:
    model = MLP(64, [*hidden, 10], seed=0)
    assert parameter_count(hidden) == len(model.parameters())
    assert parameter_count(hidden) == sum(p.numel() for p in to_torch(model).parameters())


def test_main_config_reaches_95_percent(grey: tuple[list[list[float]], list[int]]) -> None:
    cfg = DigitsConfig()
    result = train(cfg, data=grey)
    assert result.test_accuracy >= 0.95, result.summary()
    m = result.confusion
    assert sum(map(sum, m)) == 360
    assert sum(m[i][i] for i in range(10)) / 360 == result.test_accuracy
    assert len(result.history.loss) == cfg.epochs == len(result.history.val_accuracy)
    assert result.history.val_accuracy[-1] == result.test_accuracy
    # torch, running the trained weights, classifies the test images the same way
    _, _, X_test, y_test = split(*grey, cfg.test_fraction, cfg.split_seed)
    pred = to_torch(result.model)(torch.tensor(X_test, dtype=torch.float64)).argmax(dim=1)
    assert (pred == torch.tensor(y_test)).double().mean().item() == result.test_accuracy
    assert confusion_matrix(result.model, X_test, y_test) == m
    assert result.as_dict()["n_parameters"] == parameter_count(cfg.hidden) == 2410


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"hidden": 32}, "tuple of layer sizes"),
        ({"hidden": (0,)}, "positive ints"),
        ({"activation": "swish"}, "unknown activation"),
        ({"loss": "hinge"}, "'cross_entropy' or 'mse'"),
        ({"optimizer": "rmsprop"}, "'adam' or 'sgd'"),
        ({"epochs": 0}, "epochs"),
    ],
)
def test_config_rejects_nonsense(kw: dict, match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        DigitsConfig(**kw)


def test_train_rejects_a_non_config() -> None:
    with pytest.raises(TypeError, match="DigitsConfig"):
        train({"epochs": 1})  # type: ignore[arg-type]


def test_importing_the_harness_does_not_load_sklearn() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = "import sys, gradwalk.digits\nprint('sklearn' in sys.modules)"
    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=root,
        env={**__import__("os").environ, "PYTHONPATH": root},
    )
    assert out.stdout.strip() == "False"


def test_the_digits_read_from_the_shipped_file_are_scikit_learns() -> None:
    from sklearn.datasets import load_digits

    from gradwalk.digits import load

    reference = load_digits()
    X, y = load()
    assert X == [[p / 16.0 for p in row] for row in reference.data.tolist()]
    assert y == [int(t) for t in reference.target]
    Xb, yb = load(binarize=True)
    assert Xb == [[1.0 if p > 7 else 0.0 for p in row] for row in reference.data.tolist()]
    assert yb == y
