"""The gradient quiz: ``backward_player(root, quiz=True)``, as data and in real headless Chromium.

The expected gradients come from torch float64 (``retain_grad`` on every node
of the README example), never from the player. The browser tests reuse the
player's browser fixture (same Chromium flags, 1280x800) and are skipped or
failed the same way when Chromium is missing.
"""

from __future__ import annotations

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
    assert player.quiz and player.table["quiz"] == {"judged": "at the precision typed"}
    edges = [e for s in player.steps if s["phase"] == "backward" for e in s["edges"]]
    assert len(edges) == 6  # c->n4, n4->n2, n4->n3, n3->a, n2->a, n2->b
    exact = sorted(float(e["exact"]) for e in edges)
    want = sorted(T[k] for k in ("c->n4", "n4->n2", "n4->n3", "n3->a", "n2->a", "n2->b"))
    assert exact == pytest.approx(want, rel=1e-15, abs=0)
    # the local derivatives the quiz asks for first: torch's ∂(node)/∂(input)
    locals_ = sorted(float(e["localExact"]) for e in edges)
    want = [T["c->n4"], 1.0, 1.0, 4.0, -3.0, 2.0]  # 1 - c², ∂n4/∂n2, ∂n4/∂n3, 2a, b, a
    assert locals_ == pytest.approx(sorted(want), rel=1e-15, abs=0)
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
    """Type ``text`` into the ``n``-th open answer field and press Enter."""
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


def _asking(root: object) -> list[str]:
    """The part each open field asks for: "local" (∂n/∂input) or "product" (the chain rule)."""
    return [f.get_attribute("data-part") for f in _inputs(root)]


def _edge_labels(chrome: object) -> list[str]:
    return chrome.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.querySelectorAll('.gw-edge-label')).map(t => t.textContent)"
    )


def test_the_chain_rule_is_asked_in_two_parts(driver: object, quiz_page: Path) -> None:
    """The local derivative first, then the product with the upstream gradient read off the
    graph; neither is shown before it is answered."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    root = _load(driver, quiz_page)
    score = root.find_element(By.CSS_SELECTOR, ".gw-score")
    assert score.text == "12 questions to answer"  # two per edge
    _to_first_question(root)
    ((cls, text),) = _items(root)
    assert cls == "gw-question" and _asking(root) == ["local"]
    assert text.startswith("the local derivative ∂c/∂n4 =")
    assert "(c = tanh(n4) = tanh(-2.0000) = -0.9640)" in text  # what to differentiate
    assert f4(T["c->n4"]) not in _visible_text(driver)  # neither 1 - c² nor the product
    assert _edge_labels(driver) == ["∂c/∂n4 = ?"]
    assert _node_texts(driver).count("grad —") == 5  # a, b, n2, n3, n4
    assert "grad 1.0000" in _node_texts(driver)  # the upstream gradient, on the graph
    assert root.find_element(By.CSS_SELECTOR, ".gw-next").get_attribute("disabled")
    root.send_keys(Keys.ARROW_RIGHT)
    assert root.get_attribute("data-step") == "5"  # waits for the answer
    _answer(root, 0, "7.07e-2")  # torch: 1 - c² = 0.070650...; 4 decimals typed
    assert _asking(root) == ["product"]
    local, product = driver.find_elements(By.CSS_SELECTOR, ".gw-details .gw-part")  # type: ignore[attr-defined]
    assert (
        local.text == f"∂c/∂n4 = 1 − c² = {f4(T['c->n4'])}✓ right"
    )  # the verdict sits apart by a margin
    assert product.text.startswith("∂c/∂n4 += ∂c/∂c · ∂c/∂n4 =")
    assert "the gradient on c's box" in product.text
    assert _edge_labels(driver) == [f"? × {f4(T['c->n4'])} = ?"]
    _answer(root, 0, "0.0707")
    ((cls, text),) = _items(root)
    assert cls == "gw-answer gw-right"
    assert (
        f"∂c/∂n4 += ∂c/∂c · ∂c/∂n4 = 1.0000 × (1 − c² = {f4(T['c->n4'])}) = {f4(T['c->n4'])}"
        in text
    )
    assert f"grad {f4(T['c->n4'])}" in _node_texts(driver)  # n4 got it, on the graph
    assert root.find_element(By.CSS_SELECTOR, ".gw-next").get_attribute("disabled") is None
    assert driver.switch_to.active_element == root  # type: ignore[attr-defined]
    root.send_keys(Keys.ARROW_RIGHT)
    assert root.get_attribute("data-step") == "6" and _asking(root) == ["local", "local"]
    assert score.text == "So far 2 of 2 right at the first try, 10 to go"
    assert not _errors(driver)


def test_a_wrong_answer_gets_a_hint_and_another_try(driver: object, quiz_page: Path) -> None:
    """Wrong, then right: the hints of check_gradients, the field stays, the score counts the
    first try; precision as typed."""
    from selenium.webdriver.common.by import By

    root = _load(driver, quiz_page)
    _to_first_question(root)

    def note() -> str:
        return root.find_element(By.CSS_SELECTOR, ".gw-details .gw-verdict.gw-wrong").text  # type: ignore[attr-defined]

    _answer(root, 0, str(-T["c->n4"]))  # the local derivative with its sign flipped
    assert _asking(root) == ["local"] and "the sign is flipped" in note()
    assert "Try again" in note() and _inputs(root)[0].get_attribute("value") == str(-T["c->n4"])
    _answer(root, 0, "0.07")  # right to 2 decimals, and said so
    assert _asking(root) == ["product"]
    assert f"right to 2 decimals ({f4(T['c->n4'])} to 4), at the second try" in _visible_text(
        driver
    )
    _answer(root, 0, "1")  # the upstream gradient alone: the local derivative forgotten
    assert "that is only the gradient coming from above, ∂c/∂c" in note()
    _answer(root, 0, f"{T['c->n4']:.4f}")
    assert _items(root)[0][0] == "gw-answer gw-right"
    # step 6: n4 passes to n2 and n3 (both local derivatives 1)
    from selenium.webdriver.common.keys import Keys

    root.send_keys(Keys.ARROW_RIGHT)
    _answer(root, 0, "1")
    _answer(root, 1, "1")
    _answer(root, 0, "1")  # ∂c/∂n2 = ∂c/∂n4 × 1: the local derivative alone is wrong
    assert (
        "that is only the local derivative ∂n4/∂n2; multiply it by the gradient coming from "
        "above, ∂c/∂n4" in note()
    )
    _answer(root, 0, "abc")
    assert "“abc” is not a number" in _visible_text(driver)
    _answer(root, 0, "0.1413")  # twice the answer
    assert "your answer is 2 times the right one" in note()
    root.find_elements(By.CSS_SELECTOR, ".gw-show-me")[0].click()
    assert "gw-shown" in _items(root)[0][0]
    assert root.get_attribute("data-score") == "2/5/12"  # two local derivatives right at once
    assert not _errors(driver)


def test_answers_are_hidden_until_answered(driver: object, quiz_page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    root = _load(driver, quiz_page)
    _to_first_question(root)
    for step, questions in ((5, 1), (6, 2)):
        assert root.get_attribute("data-step") == str(step)
        for _ in range(2 * questions):
            root.find_elements(By.CSS_SELECTOR, ".gw-show-me")[0].click()
        assert not _inputs(root)
        root.send_keys(Keys.ARROW_RIGHT)
    # step 7: n3 passes to a; then n2 passes to a and b: none of it shown yet
    assert root.get_attribute("data-step") == "7"
    hidden = [f4(T["n3->a"]), f4(T["n2->a"]), f4(T["n2->b"]), f4(T["b"])]
    page_text = _visible_text(driver)
    assert not [h for h in hidden if h in page_text]
    assert not [h for h in hidden if any(h in t for t in _node_texts(driver))]
    assert _edge_labels(driver) == ["∂n3/∂a = ?"]
    # both ends of the asked edge and the legend are in the window
    assert driver.execute_script(  # type: ignore[attr-defined]
        """
        const inside = el => { const r = el.getBoundingClientRect(), v = document
            .querySelector('.gw-view').getBoundingClientRect();
          return r.left >= v.left && r.right <= v.right
            && r.top >= v.top && r.bottom <= v.bottom; };
        const legend = document.querySelector('.gw-legend').getBoundingClientRect();
        return [inside(document.getElementById('v3')), inside(document.getElementById('o3')),
                inside(document.getElementById('v0')), legend.bottom <= window.innerHeight];
        """
    ) == [True, True, True, True]


def test_finishing_and_starting_again(driver: object, quiz_page: Path) -> None:
    from selenium.webdriver.common.by import By

    root = _load(driver, quiz_page)
    _to_first_question(root)
    from selenium.webdriver.common.keys import Keys

    for _ in range(4):  # the four backward steps: every part shown
        while _inputs(root):
            root.find_elements(By.CSS_SELECTOR, ".gw-show-me")[0].click()
        root.send_keys(Keys.ARROW_RIGHT)
    assert root.get_attribute("data-finished") is not None
    score = root.find_element(By.CSS_SELECTOR, ".gw-score").text
    assert score == "Finished: 0 of 12 right at the first try"
    texts = _node_texts(driver)
    assert f"grad {f4(T['a'])}" in texts and f"grad {f4(T['b'])}" in texts
    root.find_element(By.CSS_SELECTOR, ".gw-restart").click()
    assert root.get_attribute("data-step") == "5" and _asking(root) == ["local"]
    assert root.find_element(By.CSS_SELECTOR, ".gw-score").text == "12 questions to answer"
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
    assert not _errors(driver)
