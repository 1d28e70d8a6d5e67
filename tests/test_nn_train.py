"""batches, fit, evaluate and accuracy: minibatch bookkeeping, and fit against a torch loop."""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - the usual name
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from autograd.nn import (
    MLP,
    SGD,
    Adam,
    History,
    accuracy,
    batches,
    evaluate,
    fit,
    predict,
    to_torch,
)

# Tiny tensors: torch's worker threads add only wake-up latency (tens of ms under load).
torch.set_num_threads(1)

D = torch.float64


# --------------------------------------------------------------------- batches


@given(st.integers(0, 300), st.integers(1, 64), st.integers(0, 2**32 - 1))
def test_batches_cover_every_sample_once_per_epoch(n: int, size: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(2):  # two epochs from one source
        bs = batches(n, size, rng=rng)
        flat = [i for b in bs for i in b]
        assert sorted(flat) == list(range(n))
        assert len(bs) == math.ceil(n / size)
        assert all(len(b) == size for b in bs[:-1])
        assert all(1 <= len(b) <= size for b in bs)
    dropped = batches(n, size, seed=seed, drop_last=True)
    assert len(dropped) == n // size and all(len(b) == size for b in dropped)
    flat = [i for b in dropped for i in b]
    assert len(set(flat)) == len(flat)  # no sample twice, even when the tail is dropped


def test_batches_are_seeded_and_reshuffled_each_epoch() -> None:
    assert batches(50, 8, seed=3) == batches(50, 8, seed=3)
    assert batches(50, 8, seed=3) != batches(50, 8, seed=4)
    rng = random.Random(3)
    first, second = batches(50, 8, rng=rng), batches(50, 8, rng=rng)
    assert first == batches(50, 8, seed=3) and second != first
    assert batches(5, 2, shuffle=False) == [[0, 1], [2, 3], [4]]


@pytest.mark.parametrize(
    ("args", "kw", "exc"),
    [
        ((10, 0), {}, ValueError),
        ((-1, 2), {}, ValueError),
        ((10.0, 2), {}, TypeError),
        ((10, True), {}, TypeError),
        ((10, 2), {"rng": 5}, TypeError),
    ],
)
def test_batches_bad_input(args: tuple, kw: dict, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        batches(*args, **kw)


# --------------------------------------------------------------------- data


def blobs(n: int, seed: int) -> tuple[list[list[float]], list[int]]:
    """Three separable Gaussian blobs in 2-D."""
    rng = random.Random(seed)
    centres = [(-2.0, 0.0), (2.0, 0.0), (0.0, 2.5)]
    X, y = [], []
    for i in range(n):
        c = i % 3
        X.append([centres[c][0] + rng.gauss(0, 0.5), centres[c][1] + rng.gauss(0, 0.5)])
        y.append(c)
    return X, y


# --------------------------------------------------------------------- fit


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_fit_matches_a_torch_minibatch_loop(optimizer: str) -> None:
    X, y = blobs(23, seed=1)
    model = MLP(2, [5, 3], "tanh", seed=2)
    seq = to_torch(model)
    if optimizer == "sgd":
        opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
        topt = torch.optim.SGD(seq.parameters(), lr=0.1, momentum=0.9, foreach=False)
    else:
        opt = Adam(model.parameters(), lr=0.05)
        topt = torch.optim.Adam(seq.parameters(), lr=0.05, foreach=False)
    hist = fit(model, X, y, optimizer=opt, epochs=3, batch_size=4, seed=9)

    rng = random.Random(9)  # fit's documented shuffling: one Random(seed) for all epochs
    tX, ty = torch.tensor(X, dtype=D), torch.tensor(y)
    losses = []
    for _ in range(3):
        total = 0.0
        for idx in batches(len(X), 4, rng=rng):
            topt.zero_grad()
            tl = F.cross_entropy(seq(tX[idx]), ty[idx])
            tl.backward()
            topt.step()
            total += tl.item() * len(idx)
        losses.append(total / len(X))
    assert hist.iterations == 3 * 6
    assert len(hist.loss) == len(hist.accuracy) == len(hist.seconds) == 3
    for a, b in zip(hist.loss, losses):
        assert math.isclose(a, b, rel_tol=1e-10)
    ours = [p.data for p in model.parameters()]
    theirs = []
    for lin in (seq[0], seq[2]):
        for row, b in zip(lin.weight.tolist(), lin.bias.tolist()):
            theirs += [*row, b]
    for a, b in zip(ours, theirs):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_fit_learns_and_reports_history() -> None:
    X, y = blobs(90, seed=3)
    Xv, yv = blobs(30, seed=4)
    model = MLP(2, [8, 3], seed=0)
    seen = []
    hist = fit(
        model,
        X,
        y,
        optimizer=Adam(model.parameters(), lr=0.05),
        epochs=8,
        batch_size=10,
        validation=(Xv, yv),
        callback=lambda epoch, h: seen.append((epoch, len(h.loss))),
    )
    assert isinstance(hist, History)
    assert seen == [(e, e + 1) for e in range(8)]
    assert hist.loss[-1] < hist.loss[0] / 2
    assert len(hist.val_loss) == len(hist.val_accuracy) == 8
    assert hist.val_accuracy[-1] >= 0.9
    # the history's validation numbers equal a fresh torch evaluation
    tl = F.cross_entropy(to_torch(model)(torch.tensor(Xv, dtype=D)), torch.tensor(yv)).item()
    assert math.isclose(hist.val_loss[-1], tl, rel_tol=1e-10)
    assert hist.as_dict()["iterations"] == 8 * 9


def test_fit_is_reproducible_with_a_seed() -> None:
    X, y = blobs(30, seed=5)
    runs = []
    for _ in range(2):
        model = MLP(2, [4, 3], seed=1)
        runs.append(fit(model, X, y, epochs=2, batch_size=7, seed=11).loss)
    assert runs[0] == runs[1]


def test_fit_with_hinge_loss_on_pm1_labels() -> None:
    X, y3 = blobs(60, seed=6)
    y = [1 if c == 0 else -1 for c in y3]
    model = MLP(2, [8, 1], seed=3)
    hist = fit(model, X, y, loss="hinge", optimizer=SGD(model, lr=0.1), epochs=5, batch_size=10)
    assert hist.accuracy[-1] >= 0.9
    assert accuracy(model, X, y) == evaluate(model, X, y, loss="hinge")["accuracy"] >= 0.9


def test_fit_with_mse_reads_int_targets_as_one_hot() -> None:
    X, y = blobs(12, seed=8)
    model = MLP(2, [3], seed=0)
    fit(model, X, y, loss="mse", optimizer=SGD(model, lr=0.0), epochs=1, batch_size=12)
    ev = evaluate(model, X, y, loss="mse")
    target = F.one_hot(torch.tensor(y), 3).to(D)
    tl = F.mse_loss(to_torch(model)(torch.tensor(X, dtype=D)), target).item()
    assert math.isclose(ev["loss"], tl, rel_tol=1e-12)


def test_fit_with_bce_uses_threshold_half() -> None:
    X = [[0.0], [1.0], [2.0], [3.0]]
    y = [0.0, 0.0, 1.0, 1.0]
    model = MLP(1, [1], output_activation="sigmoid", seed=0)
    model.layers[0].neurons[0].w[0].data = 10.0
    model.layers[0].neurons[0].b.data = -15.0  # p > 0.5 exactly when x > 1.5
    ev = evaluate(model, X, y, loss="binary_cross_entropy")
    assert ev["accuracy"] == 1.0
    tp = torch.sigmoid(torch.tensor([10.0 * x[0] - 15.0 for x in X], dtype=D))
    tl = F.binary_cross_entropy(tp, torch.tensor(y, dtype=D)).item()
    assert math.isclose(ev["loss"], tl, rel_tol=1e-12)


def test_progress_bar_with_and_without_tqdm(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    X, y = blobs(12, seed=2)
    h1 = fit(MLP(2, [3], seed=0), X, y, epochs=2, batch_size=5, progress=True)
    assert "it" in capsys.readouterr().err  # tqdm drew a bar on stderr
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    h2 = fit(MLP(2, [3], seed=0), X, y, epochs=2, batch_size=5, progress=True)
    assert capsys.readouterr().err == ""
    assert h1.loss == h2.loss


# --------------------------------------------------------------------- evaluation


def test_predict_and_accuracy_run_without_a_graph() -> None:
    X, y = blobs(15, seed=9)
    model = MLP(2, [4, 3], seed=5)
    outs = predict(model, X)
    assert all(o.is_leaf for out in outs for o in out)  # no_grad: no graph recorded
    tout = to_torch(model)(torch.tensor(X, dtype=D))
    want = (tout.argmax(dim=1) == torch.tensor(y)).double().mean().item()
    assert accuracy(model, X, y) == want
    ev = evaluate(model, X, y)
    assert math.isclose(ev["loss"], F.cross_entropy(tout, torch.tensor(y)).item(), rel_tol=1e-12)
    assert ev["accuracy"] == want
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda m: fit(m, [[0.0, 1.0]], [0, 1]), ValueError, "1 samples but y has 2"),
        (lambda m: fit(m, [], []), ValueError, "no samples"),
        (lambda m: fit(m, "xy", [0, 1]), TypeError, "X must be a list"),
        (lambda m: fit(m, [[0.0, 1.0]], [0], loss="l1"), ValueError, "unknown loss 'l1'"),
        (lambda m: fit(m, [[0.0, 1.0]], [0], epochs=-1), ValueError, "epochs"),
        (lambda m: fit(m, [[0.0, 1.0]], [0], batch_size=0), ValueError, "batch_size"),
        (lambda m: fit(m, [[0.0, 1.0]], [0], optimizer="adam"), TypeError, "step"),
        (lambda m: fit(m, [[0.0, 1.0]], [0], validation=[[0.0, 1.0]]), TypeError, "pair"),
        (lambda m: fit(m, [[0.0]], [0]), ValueError, "expects 2 inputs"),
        (lambda m: fit(m, [[0.0, 1.0]], [5]), ValueError, "out of range"),
        (lambda m: accuracy(m, [[0.0, 1.0]], []), ValueError, "1 samples but y has 0"),
        (lambda m: evaluate(m, [[0.0, 1.0]], [0], loss=3), ValueError, "unknown loss"),
    ],
)
def test_bad_input_raises_clear_errors(
    call: Callable[..., Any], exc: type[Exception], match: str
) -> None:
    with pytest.raises(exc, match=match):
        call(MLP(2, [3, 3], seed=0))


def test_custom_loss_callable() -> None:
    X, y = blobs(9, seed=1)
    model = MLP(2, [3], seed=0)
    calls = []

    def loss(outs: list, targets: list) -> Value:
        calls.append(len(outs))
        return sum((o[t] * -1.0 for o, t in zip(outs, targets)), Value(0.0)) / len(outs)

    fit(model, X, y, loss=loss, epochs=1, batch_size=4)
    assert calls == [4, 4, 1]


# --------------------------------------------------------------------- all data checked first


def _bad_at_the_end(n: int = 20) -> tuple[list[list[float]], list[int]]:
    X, y = blobs(n, seed=12)
    return X, y


@pytest.mark.parametrize(
    ("edit", "loss", "exc", "match"),
    [
        (lambda X, y: y.__setitem__(17, 5), "cross_entropy", ValueError, r"fit y\[17\] = 5 .*3 cl"),
        (lambda X, y: y.__setitem__(17, 1.0), "cross_entropy", TypeError, r"fit y\[17\] = 1.0"),
        (lambda X, y: y.__setitem__(17, True), "cross_entropy", TypeError, r"fit y\[17\] = True"),
        (lambda X, y: X.__setitem__(17, [0.5]), "cross_entropy", ValueError, r"X\[17\] has 1 "),
        (lambda X, y: X[17].__setitem__(1, "2.5"), "cross_entropy", TypeError, r"X\[17\]\[1\]"),
        (
            lambda X, y: X[17].__setitem__(0, math.nan),
            "cross_entropy",
            ValueError,
            r"17\]\[0\] is nan",
        ),
        (lambda X, y: X[17].__setitem__(1, -math.inf), "mse", ValueError, r"17\]\[1\] is -inf"),
        (lambda X, y: y.__setitem__(17, 2.0), "mse", ValueError, r"y\[17\] = 2.0 is one number"),
    ],
)
def test_fit_checks_all_data_before_the_first_step(
    edit: Callable[..., Any], loss: str, exc: type[Exception], match: str
) -> None:
    X, y = _bad_at_the_end()
    edit(X, y)
    model = MLP(2, [4, 3], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(exc, match=match):
        fit(model, X, y, loss=loss, optimizer=SGD(model, lr=0.5), epochs=2, batch_size=1, seed=0)
    assert [p.data for p in model.parameters()] == before  # bit-identical: no step was taken
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize(
    ("bad", "exc", "match"),
    [(7, ValueError, r"validation y\[2\] = 7"), ("a", TypeError, r"validation y\[2\] = 'a'")],
)
def test_fit_checks_validation_targets_before_training(
    bad: object, exc: type[Exception], match: str
) -> None:
    X, y = blobs(12, seed=1)
    Xv, yv = blobs(6, seed=2)
    yv[2] = bad  # type: ignore[call-overload]
    model = MLP(2, [4, 3], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(exc, match=match):
        fit(model, X, y, optimizer=SGD(model, lr=0.5), epochs=1, batch_size=4, validation=(Xv, yv))
    assert [p.data for p in model.parameters()] == before


def test_fit_checks_hinge_labels_before_training() -> None:
    X, y3 = blobs(20, seed=6)
    y: list[Any] = [1 if c == 0 else -1 for c in y3]
    y[15] = 0
    model = MLP(2, [4, 1], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=r"fit y\[15\] = 0: hinge labels must be -1 or 1"):
        fit(model, X, y, loss="hinge", optimizer=SGD(model, lr=0.5), epochs=1, batch_size=2)
    assert [p.data for p in model.parameters()] == before


# --------------------------------------------------------------------- live


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, float, dict[str, Any]]] = []
        self.closed = 0

    def update(self, step: int, loss: float, **info: Any) -> None:
        grads = [p.grad for p in info["model"].parameters()]
        self.calls.append((step, loss, {**info, "grads": grads}))

    def close(self) -> None:
        self.closed += 1


def test_fit_live_object_gets_every_step_with_the_batch_loss() -> None:
    X, y = blobs(12, seed=3)
    model = MLP(2, [3, 3], seed=1)
    rec = _Recorder()
    fit(model, X, y, epochs=3, batch_size=5, live=rec, optimizer=SGD(model, lr=0.1))
    assert [c[0] for c in rec.calls] == list(range(9)) and rec.closed == 1
    assert [c[2]["epoch"] for c in rec.calls] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert [c[2]["last"] for c in rec.calls] == [False] * 8 + [True]
    # the loss given is the batch's, as torch computes it from the same start
    model2 = MLP(2, [3, 3], seed=1)
    seq = to_torch(model2)
    idx = batches(12, 5, rng=random.Random(0))[0]
    tl = F.cross_entropy(
        seq(torch.tensor([X[i] for i in idx], dtype=D)), torch.tensor([y[i] for i in idx])
    )
    assert math.isclose(rec.calls[0][1], tl.item(), rel_tol=1e-12)
    tl.backward()
    # the gradients seen at step 0 are that batch's (torch's first layer weight grads)
    g0 = rec.calls[0][2]["grads"]
    assert math.isclose(g0[0], seq[0].weight.grad[0, 0].item(), rel_tol=1e-9, abs_tol=1e-15)
    assert any(g != 0.0 for g in g0)


def test_fit_live_every_thins_the_calls_but_keeps_the_last() -> None:
    X, y = blobs(12, seed=3)
    rec = _Recorder()
    fit(MLP(2, [3], seed=1), X, y, epochs=4, batch_size=5, live=rec, live_every=5)
    assert [c[0] for c in rec.calls] == [0, 5, 10, 11]


def test_fit_live_true_without_a_view_prints_plain_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import autograd.train as train

    monkeypatch.setattr(train, "_live_factory", None)
    X, y = blobs(12, seed=3)
    h1 = fit(MLP(2, [3], seed=1), X, y, epochs=20, batch_size=6, live=True)
    lines = capsys.readouterr().out.splitlines()
    assert 8 <= len(lines) <= 12 and all(line.startswith("step ") for line in lines)
    assert "loss" in lines[-1] and lines[-1].split()[1] == "39"
    h2 = fit(MLP(2, [3], seed=1), X, y, epochs=20, batch_size=6)
    assert h1.loss == h2.loss  # watching does not change training


def test_a_live_view_factory_is_called_once_with_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import autograd.train as train

    made: list[dict[str, Any]] = []
    views: list[_Recorder] = []

    def factory(**context: Any) -> _Recorder:
        made.append(context)
        views.append(_Recorder())
        return views[-1]

    monkeypatch.setattr(train, "_live_factory", None)
    X, y = blobs(6, seed=3)
    fit(MLP(2, [3], seed=1), X, y, epochs=2, batch_size=6, live=factory)
    assert len(made) == 1 and made[0]["total_steps"] == 2 and made[0]["model"] is not None
    assert [c[0] for c in views[0].calls] == [0, 1]
    with pytest.raises(TypeError, match="factory returned int"):
        fit(MLP(2, [3], seed=1), X, y, epochs=1, batch_size=6, live=lambda **context: 3)
    with pytest.raises(TypeError, match="live must be"):
        fit(MLP(2, [3], seed=1), X, y, epochs=1, batch_size=6, live=3)


def test_register_live_view_is_used_by_live_true(monkeypatch: pytest.MonkeyPatch) -> None:
    import autograd.train as train

    made: list[dict[str, Any]] = []

    def factory(**context: Any) -> _Recorder:
        made.append(context)
        return _Recorder()

    monkeypatch.setattr(train, "_live_factory", None)
    assert train.register_live_view(factory) is None
    X, y = blobs(6, seed=3)
    fit(MLP(2, [3], seed=1), X, y, epochs=2, batch_size=6, live=True)
    assert len(made) == 1 and made[0]["total_steps"] == 2 and made[0]["loss"] == "cross_entropy"
    assert train.register_live_view(None) is factory
    with pytest.raises(TypeError, match="callable"):
        train.register_live_view(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kw", "exc"), [({"live": 3}, TypeError), ({"live_every": 0}, ValueError)])
def test_fit_live_bad_options(kw: dict[str, Any], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        fit(MLP(2, [3], seed=0), [[0.0, 1.0]], [0], **kw)
