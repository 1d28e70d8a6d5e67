"""The gradient quiz: ``backward_player(root, quiz=True)``, as data and in real headless Chromium.

The expected gradients come from torch float64 (``retain_grad`` on every node
of the README example), never from the player. The browser tests reuse the
player's browser fixture (same Chromium flags, 1280x800) and are skipped or
failed the same way when Chromium is missing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from test_viz_browser import _errors, _load

import gradwalk.exercises
import viz
from viz import backward_player, format_number
from viz.examples import example_expression


def _torch_contributions() -> dict[str, float]:
    """What each edge of c = tanh(a*b + a**2) at a = 2, b = -3 passes on, by torch float64."""
    a = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(-3.0, dtype=torch.float64, requires_grad=True)
    n2 = a * b
    n3 = a**2
    n4 = n2 + n3
    c = torch.tanh(n4)
    for t in (n2, n3, n4, c):
        t.retain_grad()
    c.backward()
    grads = {"a": float(a.grad), "b": float(b.grad)}
    a, b = a.detach(), b.detach()
    return {
        **grads,
        "c->n4": float(n4.grad),  # 1 * (1 - c**2)
        "n4->n2": float(n2.grad),
        "n4->n3": float(n3.grad),
        "n3->a": float(n3.grad * 2 * a),
        "n2->a": float(n2.grad * b),
        "n2->b": float(n2.grad * a),
    }


T = _torch_contributions()


def f4(x: float) -> str:
    return format_number(x, 4)


def _quiz(**options: object) -> viz.BackwardPlayer:
    _, _, c = example_expression()
    return backward_player(c, quiz=True, **options)


# --- the page's data ------------------------------------------------------------------


def test_without_quiz_the_player_is_unchanged() -> None:
    _, _, c = example_expression()
    plain = backward_player(c)
    _, _, c2 = example_expression()
    assert backward_player(c2, quiz=False).html() == plain.html()
    page = plain.html()
    (tag,) = re.findall(r'<div class="gw-player"[^>]*>', page)
    assert "data-quiz" not in tag and 'class="gw-quiz"' not in page
    assert "quiz" not in plain.table
    assert all(
        "question" not in e for s in plain.steps if s["phase"] == "backward" for e in s["edges"]
    )


def test_the_quiz_table_asks_for_every_edge_with_the_result_left_off() -> None:
    player = _quiz()
    assert player.quiz and player.table["quiz"] == {"tolerance": 5e-5}
    edges = [e for s in player.steps if s["phase"] == "backward" for e in s["edges"]]
    assert len(edges) == 6  # c->n4, n4->n2, n4->n3, n3->a, n2->a, n2->b
    exact = sorted(float(e["exact"]) for e in edges)
    want = sorted(T[k] for k in ("c->n4", "n4->n2", "n4->n3", "n3->a", "n2->a", "n2->b"))
    assert exact == pytest.approx(want, rel=1e-15, abs=0)
    for e in edges:
        assert e["equation"] == f"{e['question']} = {e['contribution']}"
        assert not e["question"].endswith(e["contribution"]) or e["contribution"] == e["local"]
    step7 = player.steps[6]["edges"][0]
    assert step7["question"] == f"∂c/∂a += ∂c/∂n3 · ∂n3/∂a = {f4(T['n4->n3'])} × (2·a = 4.0000)"
    assert "quiz" in repr(player)


def test_the_quiz_png_shows_no_gradient() -> None:
    player = _quiz()
    assert "grad —" in player.final_dot
    for value in (T["a"], T["b"], T["n3->a"]):
        assert f"grad {f4(value)}" not in player.final_dot
    assert player.png().startswith(b"\x89PNG")


def test_quiz_must_be_a_bool() -> None:
    _, _, c = example_expression()
    with pytest.raises(TypeError, match="quiz must be True or False, not str"):
        backward_player(c, quiz="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="quiz must be True or False, not int"):
        viz.BackwardPlayer("<svg/>", {"steps": []}, quiz=1)  # type: ignore[arg-type]


def test_the_exercise_entry_point_is_the_player() -> None:
    assert gradwalk.exercises.backward_player is viz.backward_player
    assert "backward_player" in gradwalk.exercises.__all__


# --- in the browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def quiz_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("quiz") / "quiz.html"
    _quiz(interval_ms=40).save(path)
    return path


def _inputs(root: object) -> list:
    from selenium.webdriver.common.by import By

    return root.find_elements(By.CSS_SELECTOR, ".gw-details .gw-answer-input")  # type: ignore[attr-defined]


def _items(root: object) -> list[tuple[str, str]]:
    """Each line of the step's list: its class (gw-question, gw-right...) and its text."""
    from selenium.webdriver.common.by import By

    items = root.find_elements(By.CSS_SELECTOR, ".gw-details li")  # type: ignore[attr-defined]
    return [(li.get_attribute("class"), li.text) for li in items]


def _visible_text(chrome: object) -> str:
    return chrome.execute_script("return document.body.innerText")  # type: ignore[attr-defined]


def _node_texts(chrome: object) -> list[str]:
    return chrome.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.querySelectorAll('g.node.value text')).map(t => t.textContent)"
    )


def _answer(root: object, n: int, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    field = _inputs(root)[n]
    field.clear()
    field.send_keys(text, Keys.ENTER)


def _to_first_question(root: object) -> None:
    from selenium.webdriver.common.keys import Keys

    for _ in range(4):  # the forward pass is shown as usual: no question
        assert not _inputs(root)
        root.send_keys(Keys.ARROW_RIGHT)  # type: ignore[attr-defined]
    assert root.get_attribute("data-step") == "5"  # type: ignore[attr-defined]


def test_a_right_answer_reveals_the_step(driver: object, quiz_page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    root = _load(driver, quiz_page)
    score = root.find_element(By.CSS_SELECTOR, ".gw-score")
    assert score.text == "6 questions to answer"
    _to_first_question(root)
    ((cls, text),) = _items(root)
    assert cls == "gw-question"
    assert text.startswith(f"∂c/∂n4 += ∂c/∂c · ∂c/∂n4 = 1.0000 × (1 − c² = {f4(T['c->n4'])}) =")
    assert _node_texts(driver).count("grad —") == 5  # a, b, n2, n3, n4
    assert "grad 1.0000" in _node_texts(driver)  # the root's own gradient is known
    # the answer is asked for: the player waits for it
    assert root.find_element(By.CSS_SELECTOR, ".gw-next").get_attribute("disabled")
    root.send_keys(Keys.ARROW_RIGHT)
    assert root.get_attribute("data-step") == "5"
    _answer(root, 0, "7.07e-2")  # Enter submits; torch: 0.070650..., within 5e-5
    ((cls, text),) = _items(root)
    assert cls == "gw-answer gw-right"
    assert text.startswith(f"∂c/∂n4 += ∂c/∂c · ∂c/∂n4 = 1.0000 × (1 − c² = {f4(T['c->n4'])}) = ")
    assert f"= {f4(T['c->n4'])}" in text and "right" in text
    assert f"grad {f4(T['c->n4'])}" in _node_texts(driver)  # n4 got it, on the graph
    assert root.find_element(By.CSS_SELECTOR, ".gw-next").get_attribute("disabled") is None
    assert driver.switch_to.active_element == root  # type: ignore[attr-defined]
    root.send_keys(Keys.ARROW_RIGHT)
    assert root.get_attribute("data-step") == "6" and len(_inputs(root)) == 2
    assert score.text == "So far 1 of 1 right, 5 to go"
    assert not _errors(driver)


def test_answers_are_hidden_until_answered(driver: object, quiz_page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    root = _load(driver, quiz_page)
    _to_first_question(root)
    for step, questions in ((5, 1), (6, 2)):
        assert root.get_attribute("data-step") == str(step)
        for _ in range(questions):
            root.find_elements(By.CSS_SELECTOR, ".gw-show-me")[0].click()
        assert not _inputs(root)
        root.send_keys(Keys.ARROW_RIGHT)
    # step 7: n3 passes to a; then n2 passes to a and b: none of it shown yet
    assert root.get_attribute("data-step") == "7"
    # (a's full gradient, DS·(2a + b), equals the shown DS = 0.0707 here: not a secret)
    hidden = [f4(T["n3->a"]), f4(T["n2->a"]), f4(T["n2->b"]), f4(T["b"])]
    page_text = _visible_text(driver)
    assert not [h for h in hidden if h in page_text]
    assert not [h for h in hidden if any(h in t for t in _node_texts(driver))]
    assert driver.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.querySelectorAll('.gw-edge-label')).map(t => t.textContent)"
    ) == [f"{f4(T['n4->n3'])} × 4.0000 = ?"]


def test_wrong_answers_not_a_number_and_the_score(driver: object, quiz_page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    root = _load(driver, quiz_page)
    _to_first_question(root)
    _answer(root, 0, repr(T["c->n4"]))  # right, typed in full
    root.send_keys(Keys.ARROW_RIGHT)
    _answer(root, 0, f"{T['n4->n2']:.4f}")  # right: 0.0707
    assert [c for c, _ in _items(root)] == ["gw-answer gw-right", "gw-question"]
    _answer(root, 0, "−0.0707")  # the sign flipped (typed with a typographic minus): wrong
    _, (cls, text) = _items(root)
    assert cls == "gw-answer gw-wrong"
    assert f"you typed −0.0707, the answer is {f4(T['n4->n3'])}" in text
    root.send_keys(Keys.ARROW_RIGHT)
    assert root.get_attribute("data-step") == "7"
    _answer(root, 0, "abc")
    ((cls, text),) = _items(root)
    assert cls == "gw-question" and "“abc” is not a number" in text
    assert root.get_attribute("data-score") == "2/3/6"  # not counted
    _answer(root, 0, str(T["n3->a"] + 2e-3))  # outside the tolerance: wrong
    assert _items(root)[0][0] == "gw-answer gw-wrong"
    root.send_keys(Keys.ARROW_RIGHT)
    assert root.get_attribute("data-step") == "8"
    root.find_elements(By.CSS_SELECTOR, ".gw-show-me")[0].click()
    assert _items(root)[0][0] == "gw-answer gw-shown"
    shown = _items(root)[0][1]
    assert f"∂n2/∂a = {f4(T['n4->n2'])} × (b = -3.0000) = {f4(T['n2->a'])}" in shown
    assert shown.endswith("shown")
    assert root.get_attribute("data-finished") is None
    # 0.0707 × 2 from the rounded numbers shown is 0.1414; torch's 0.14130...: both right
    _answer(root, 0, "0.1414")
    assert _items(root)[1][0] == "gw-answer gw-near"
    assert root.get_attribute("data-finished") is not None
    score = root.find_element(By.CSS_SELECTOR, ".gw-score").text
    assert score == "Finished: 3 of 6 right"
    texts = _node_texts(driver)
    assert f"grad {f4(T['a'])}" in texts and f"grad {f4(T['b'])}" in texts
    # start again: the answers are cleared, the first question is asked again
    root.find_element(By.CSS_SELECTOR, ".gw-restart").click()
    assert root.get_attribute("data-step") == "5" and len(_inputs(root)) == 1
    assert root.find_element(By.CSS_SELECTOR, ".gw-score").text == "6 questions to answer"
    assert not [t for t in _node_texts(driver) if re.fullmatch(r"grad -?0\.\d+.*", t)]
    assert not _errors(driver)


def test_play_stops_at_a_question(driver: object, quiz_page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    root = _load(driver, quiz_page)
    root.find_element(By.CSS_SELECTOR, ".gw-play").click()
    WebDriverWait(driver, 10).until(lambda d: root.get_attribute("data-playing") is None)
    assert root.get_attribute("data-step") == "5" and len(_inputs(root)) == 1
    slider = root.find_element(By.CSS_SELECTOR, ".gw-slider")
    driver.execute_script(  # type: ignore[attr-defined]
        "arguments[0].value = '7'; arguments[0].dispatchEvent(new Event('input'))", slider
    )
    assert root.get_attribute("data-step") == "5"  # no skipping past a question
    data = json.loads(root.find_element(By.CSS_SELECTOR, ".gw-data").get_attribute("textContent"))
    assert data["quiz"]["tolerance"] == 5e-5
    assert not _errors(driver)
