"""Passes that share nodes or are interrupted keep every gradient whole.

* A stepping pass (``backward_steps``) holds no lock while suspended: other
  threads' passes run, ``close()`` works from any thread, and a pass over
  nodes a stepping pass is using gets a clear RuntimeError instead of mixing
  its sums with the stepping pass's.
* An interrupt at any moment of ``backward()`` or ``backward_steps()``
  (set-up and the final sums included) leaves every ``.grad`` as it was or
  complete: real SIGINTs, sent by another thread at random moments.

Every thread here is joined with a bounded wait; a hang fails the test.
Expected numbers come from running the same passes one after the other.
"""

from __future__ import annotations

import math
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from autograd import Value, backward_steps, dense, topological_order

WAIT = 20.0  # seconds: far above any pass here; only a hang reaches it


def _in_thread(fn: Callable[[], object]) -> dict[str, object]:
    """Run ``fn`` in a thread, wait at most WAIT seconds; its result or exception."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["result"] = fn()
        except BaseException as e:  # handed back to the test
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(WAIT)
    assert not t.is_alive(), "the thread did not finish: something waits forever"
    return box


def _graph(seed: int = 0, terms: int = 40) -> tuple[Value, list[Value]]:
    """A graph with fused neurons, shared nodes and ops of every kind; its leaves."""
    rng = random.Random(seed)
    w1 = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(8)]
    b1 = [Value(rng.uniform(-1, 1)) for _ in range(8)]
    w2 = [[Value(rng.uniform(-1, 1)) for _ in range(8)]]
    xs = [Value(0.3), Value(-1.2), 0.7]
    h = dense(w1, b1, xs, relu=True)
    out = dense(w2, [None], h)[0]
    shared = xs[0] * xs[1]
    loss = (out - shared).tanh() ** 2 + (shared / (h[0] + 2.0)).exp() + (xs[0] + 1.0).log()
    for i in range(terms):
        loss = loss + (h[i % 8] * 0.01 + shared).sigmoid() * 0.001
    leaves = [n for n in topological_order(loss) if n.is_leaf]
    return loss, leaves


# ------------------------------------------------------------------ stepping passes and threads


def test_a_suspended_stepping_pass_lets_other_threads_backward() -> None:
    x = Value(0.5)
    s = backward_steps((x * x).tanh())
    next(s)
    other = Value(2.0)
    box = _in_thread(lambda: (other * 3.0).backward())
    assert "error" not in box
    assert other.grad == 3.0
    s.close()
    assert x.grad == 0.0


def test_close_works_from_another_thread_and_frees_the_nodes() -> None:
    x = Value(0.5)
    y = (x * x).tanh()
    s = backward_steps(y)
    next(s)
    box = _in_thread(s.close)
    assert "error" not in box, box.get("error")
    assert x.grad == 0.0 and y.grad == 0.0  # as it was
    box = _in_thread(y.backward)  # the nodes are free again, the lock is not held
    assert "error" not in box
    assert abs(x.grad - 2 * 0.5 * (1.0 - math.tanh(0.25) ** 2)) < 1e-15


def test_a_pass_over_a_stepped_leaf_is_refused_and_nothing_mixes() -> None:
    w = Value(0.5)
    s = backward_steps((w * 3.0).tanh())
    next(s)
    with pytest.raises(RuntimeError, match="backward_steps"):
        (w * 2.0).backward()
    with pytest.raises(RuntimeError, match="backward_steps"):
        w.backward()
    s.close()
    assert w.grad == 0.0
    (w * 2.0).backward()
    assert w.grad == 2.0


def test_interleaving_steps_with_a_pass_over_shared_nodes_is_refused() -> None:
    a, b = Value(0.7), Value(-0.4)
    shared = (a * b).tanh()
    r1 = shared * 3.0 + a
    r2 = shared * shared + b
    s = backward_steps(r1)
    next(s)
    box = _in_thread(r2.backward)
    assert isinstance(box.get("error"), RuntimeError)
    for _ in s:  # the stepping pass finishes undisturbed
        pass
    r2.backward()
    # the sequential result, from passes made one after the other on a copy of the graph
    a2, b2 = Value(0.7), Value(-0.4)
    shared2 = (a2 * b2).tanh()
    (shared2 * 3.0 + a2).backward()
    (shared2 * shared2 + b2).backward()
    assert (a.grad, b.grad) == (a2.grad, b2.grad)


def test_two_stepping_passes_over_shared_nodes_give_an_error_not_a_mix() -> None:
    x = Value(1.5)
    s1 = backward_steps(x * 2.0)
    next(s1)
    s2 = backward_steps(x * 5.0)
    with pytest.raises(RuntimeError, match="backward_steps"):
        next(s2)
    for _ in s1:
        pass
    assert x.grad == 2.0
    for _ in backward_steps(x * 5.0):
        pass
    assert x.grad == 7.0


def test_stepping_passes_over_separate_graphs_run_side_by_side() -> None:
    x, y = Value(1.5), Value(-2.0)
    s1, s2 = backward_steps((x * x).exp()), backward_steps((y * 3.0).sigmoid())
    for _ in zip(s1, s2):
        pass
    for _ in s1:
        pass
    for _ in s2:
        pass
    x2, y2 = Value(1.5), Value(-2.0)
    (x2 * x2).exp().backward()
    (y2 * 3.0).sigmoid().backward()
    assert (x.grad, y.grad) == (x2.grad, y2.grad)


def test_backward_in_many_threads_over_one_model_gives_the_sequential_sum() -> None:
    loss, leaves = _graph(1)
    loss.backward()
    one = [v.grad for v in leaves]
    for v in leaves:
        v.grad = 0.0
    boxes = []
    threads = [threading.Thread(target=lambda: boxes.append(loss.backward())) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert not any(t.is_alive() for t in threads)
    # six passes one after the other, with the same sums in the same order
    want = [0.0] * len(leaves)
    for _ in range(6):
        want = [w + g for w, g in zip(want, one)]
    assert [v.grad for v in leaves] == want


# ------------------------------------------------------------------ real interrupts


def _interrupter(delay: float) -> threading.Thread:
    """A thread that, once started, sends SIGINT to the main thread after ``delay`` s."""
    main = threading.main_thread().ident
    assert main is not None

    def send() -> None:
        time.sleep(delay)
        signal.pthread_kill(main, signal.SIGINT)

    return threading.Thread(target=send, daemon=True)


def _run_with_interrupts(run: Callable[[], None], nodes: list[Value], trials: int) -> int:
    """Run ``run`` ``trials`` times, each with a SIGINT at a random moment; after each
    check every node's ``.grad``: as before the pass, or as after a complete pass."""
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # the interrupter needs the GIL to send its signal mid-pass
    try:
        return _trials(run, nodes, trials)
    finally:
        sys.setswitchinterval(switch)


def _trials(run: Callable[[], None], nodes: list[Value], trials: int) -> int:
    for v in nodes:
        v.grad = 0.0
    start = time.perf_counter()
    run()
    duration = time.perf_counter() - start
    complete_inner = {id(v): v.grad for v in nodes if not v.is_leaf}
    total = {id(v): v.grad for v in nodes if v.is_leaf}  # one pass from 0.0
    rng = random.Random(7)
    interrupted = 0
    for _ in range(trials):
        before = {id(v): v.grad for v in nodes}
        sender = _interrupter(rng.uniform(0.0, 1.3 * duration))
        hit = False
        try:
            sender.start()  # (inside: the signal may arrive before start() returns)
            run()
            sender.join(WAIT)
            time.sleep(0.002)  # a signal that arrives after the pass is taken here
        except KeyboardInterrupt:
            hit = True
            sender.join(WAIT)
        assert not sender.is_alive()
        done = None
        for v in nodes:
            g, b = v.grad, before[id(v)]
            whole = b + total[id(v)] if v.is_leaf else complete_inner[id(v)]
            state = "before" if g == b else "complete" if g == whole else "mixed"
            assert state != "mixed", (v, g, b, whole)
            if g != whole or g != b:  # nodes where the two differ say which one it was
                assert done in (None, state), "some nodes as before, others complete"
                done = state
        interrupted += hit and done == "before"
    return interrupted


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs signal.pthread_kill")
def test_sigint_at_any_moment_of_backward_keeps_every_grad_whole() -> None:
    loss, _ = _graph(2, terms=1500)  # a pass of a few milliseconds
    nodes = topological_order(loss)
    hits = _run_with_interrupts(loss.backward, nodes, trials=120)
    assert hits > 10, "too few interrupts landed inside a pass to test anything"


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs signal.pthread_kill")
def test_sigint_at_any_moment_of_backward_steps_keeps_every_grad_whole() -> None:
    loss, _ = _graph(3, terms=1500)
    nodes = topological_order(loss)

    def run() -> None:
        steps: Iterator[Value] = backward_steps(loss)
        try:
            for _ in steps:
                pass
        finally:
            steps.close()  # type: ignore[attr-defined]

    hits = _run_with_interrupts(run, nodes, trials=120)
    assert hits > 10, "too few interrupts landed inside a pass to test anything"
