"""Ctrl-C during training: an optimizer step is all or nothing, and ``fit`` says where it stopped.

Real signals: a thread sends SIGINT to the main thread at a random moment while it runs
``step()`` (or ``fit``), many times. After each trial the parameters and the optimizer's
state are either exactly as before the step or exactly torch's step from that state
(``torch.optim`` with ``foreach=False``, float64), never a mix.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import torch

from autograd import Value
from autograd.nn import MLP, SGD, Adam, fit

N = 60_000  # parameters: a step takes long enough for a signal to land inside it
TRIALS = 40
REL = 1e-12


class Interrupter:
    """Sends SIGINT to the main thread ``delay`` seconds after :meth:`arm`, unless
    :meth:`disarm` comes first (waits are bounded)."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = False

    def arm(self, delay: float) -> None:
        self._cancel.clear()
        self.sent = False
        main = threading.main_thread().ident
        assert main is not None

        def fire() -> None:
            if not self._cancel.wait(delay):
                self.sent = True
                signal.pthread_kill(main, signal.SIGINT)

        self._thread = threading.Thread(target=fire, daemon=True)
        self._thread.start()

    def disarm(self) -> None:
        self._cancel.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            assert not self._thread.is_alive()


def run_interrupted(action: Callable[[], None], delay: float) -> bool:
    """Run ``action`` with a SIGINT due after ``delay`` s; True if it was interrupted.

    A signal sent just as ``action`` returned is absorbed here (a short sleep lets it
    arrive), so the trial's outcome is judged by the state, not by this flag alone.
    """
    interrupter = Interrupter()
    interrupted = False
    try:
        interrupter.arm(delay)
        try:
            action()
        finally:
            interrupter.disarm()
            time.sleep(0.002)  # a signal already sent is delivered before we look
    except KeyboardInterrupt:
        interrupted = True
    return interrupted


@pytest.fixture(autouse=True)
def _python_handles_sigint() -> Iterator[None]:
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _params(rng: random.Random) -> list[Value]:
    return [Value(rng.uniform(-1.0, 1.0)) for _ in range(N)]


def _time_one_step(opt: object) -> float:
    start = time.perf_counter()
    opt.step()  # type: ignore[attr-defined]
    return time.perf_counter() - start


def _same_or_torchs(
    params: list[Value], before: list[float], tparam: torch.Tensor, torch_step: Callable[[], None]
) -> bool:
    """True if the step was not taken (every value as before); else check it against
    torch's step (which is then taken) and return False."""
    now = [p.data for p in params]
    if now == before:
        return True
    torch_step()
    expected = tparam.detach().tolist()
    wrong = [i for i, (a, b) in enumerate(zip(now, expected)) if not _close(a, b)]
    unchanged = sum(a == b for a, b in zip(now, before))
    assert not wrong, f"{len(wrong)} parameters differ from torch's step ({unchanged} unchanged)"
    return False


@pytest.mark.parametrize("kind", ["adam", "sgd_momentum"])
def test_a_real_sigint_during_step_leaves_all_or_nothing(kind: str) -> None:
    rng = random.Random(5)
    params = _params(rng)
    tparam = torch.tensor([p.data for p in params], dtype=torch.float64, requires_grad=True)
    if kind == "adam":
        opt = Adam(params, lr=1e-2, weight_decay=1e-3)
        topt = torch.optim.Adam([tparam], lr=1e-2, weight_decay=1e-3, foreach=False)
    else:
        opt = SGD(params, lr=1e-2, momentum=0.9, weight_decay=1e-3)
        topt = torch.optim.SGD([tparam], lr=1e-2, momentum=0.9, weight_decay=1e-3, foreach=False)

    def set_grads() -> None:
        grads = [rng.uniform(-1.0, 1.0) for _ in range(N)]
        for p, g in zip(params, grads):
            p.grad = g
        tparam.grad = torch.tensor(grads, dtype=torch.float64)

    set_grads()  # a first, uninterrupted step, so momentum and moments are not zero
    duration = _time_one_step(opt)
    topt.step()
    interrupted = 0
    for _ in range(TRIALS):
        set_grads()
        before = [p.data for p in params]
        state = {k: list(v) if isinstance(v, list) else v for k, v in vars(opt).items()}
        state.pop("params")
        hit = run_interrupted(opt.step, rng.uniform(0.0, 1.3 * duration))
        not_taken = _same_or_torchs(params, before, tparam, topt.step)
        if not_taken:
            assert hit, "step() returned without changing the parameters"
            interrupted += 1
            after = {k: v for k, v in vars(opt).items() if k != "params"}
            assert after == state, "the optimizer's state moved on without its parameters"
        t_state = topt.state[tparam]
        if kind == "adam":  # the step count and both moments agree with torch's
            assert opt.steps == int(t_state["step"])
            assert _close_lists(opt._m, t_state["exp_avg"].tolist())
            assert _close_lists(opt._v, t_state["exp_avg_sq"].tolist())
        else:
            assert _close_lists(opt._buf, t_state["momentum_buffer"].tolist())
    assert interrupted >= 3, f"only {interrupted} of {TRIALS} signals landed inside a step"


def _close(a: float, b: float) -> bool:
    """Equal to rounding, on the scale of the parameters (|p| ~ 1): a step not taken, or
    taken by half, differs by about lr = 1e-2."""
    return abs(a - b) <= REL * max(1.0, abs(b))


def _close_lists(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))


# ------------------------------------------------------------------ fit


def _moons_like(n: int, seed: int) -> tuple[list[list[float]], list[int]]:
    rng = random.Random(seed)
    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(n)]
    return X, [1 if x[0] * x[1] > 0 else -1 for x in X]


def test_a_real_sigint_during_fit_says_where_it_stopped() -> None:
    EPOCHS = 20  # long enough (traced steps are fast) for random interrupts to land inside
    X, y = _moons_like(64, 1)
    rng = random.Random(9)
    durations = []
    for _ in range(3):  # the shortest of three runs: the first also pays one-time imports
        start = time.perf_counter()
        fit(MLP(2, [8, 8, 1], seed=0), X, y, loss="hinge", epochs=EPOCHS, batch_size=8)
        durations.append(time.perf_counter() - start)
    duration = min(durations)
    per_epoch = 8
    seen = 0
    for _ in range(12):
        model = MLP(2, [8, 8, 1], seed=0)
        opt = SGD(model.parameters(), lr=0.05)
        caught: list[BaseException] = []

        def train(model: MLP = model, opt: SGD = opt, caught: list = caught) -> None:
            try:
                fit(model, X, y, loss="hinge", optimizer=opt, epochs=EPOCHS, batch_size=8)
            except KeyboardInterrupt as interrupt:
                caught.append(interrupt)
                raise

        run_interrupted(train, rng.uniform(0.0, duration))
        if not caught:
            continue
        seen += 1
        exc = caught[0]
        history = exc.history  # type: ignore[attr-defined]
        epoch, iteration = history.stopped
        assert 0 <= epoch < EPOCHS and 0 <= iteration <= per_epoch
        assert epoch * per_epoch + iteration == history.iterations == opt.steps
        (note,) = exc.__notes__
        assert note.startswith(f"fit interrupted in epoch {epoch + 1} of {EPOCHS}, after ")
        assert f"after {opt.steps} completed updates ({iteration} of this epoch's 8)" in note
        assert len(history.loss) in (epoch, epoch + 1)  # the epochs finished before it
    assert seen >= 3, f"only {seen} interrupts landed inside fit"
