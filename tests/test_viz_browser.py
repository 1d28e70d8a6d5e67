"""The player in real headless Chromium at 1280x800: steps, equations, zoom, scrolling, text.

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install -y chromium
chromium-driver``). Without them the tests are skipped, except under ``CI=true``
where they fail, so CI can never skip them silently.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from autograd import Value
from autograd.nn import MLP
from viz import backward_player, format_number
from viz.examples import example_expression

# The README example, worked by hand: c = tanh(a*b + a**2) at a = 2, b = -3.
DS = 1.0 - math.tanh(-2.0) ** 2  # dc/d(a*b + a**2)


def f4(x: float) -> str:
    return format_number(x, 4)


EXPECTED = {  # step number -> (caption, equations)
    1: ("n2 = a * b = 2.0000 * (-3.0000) = -6.0000", []),
    4: (f"c = tanh(n4) = tanh(-2.0000) = {f4(math.tanh(-2.0))}", []),
    5: ("c passes ∂c/∂c = 1.0000 to its inputs",
        [f"∂c/∂n4 += ∂c/∂c · ∂c/∂n4 = 1.0000 × (1 − c² = {f4(DS)}) = {f4(DS)}"]),
    7: (f"n3 passes ∂c/∂n3 = {f4(DS)} to its inputs",
        [f"∂c/∂a += ∂c/∂n3 · ∂n3/∂a = {f4(DS)} × (2·a = 4.0000) = {f4(4 * DS)}"]),
    8: (f"n2 passes ∂c/∂n2 = {f4(DS)} to its inputs",
        [f"∂c/∂a += ∂c/∂n2 · ∂n2/∂a = {f4(DS)} × (b = -3.0000) = {f4(-3 * DS)}",
         f"∂c/∂b += ∂c/∂n2 · ∂n2/∂b = {f4(DS)} × (a = 2.0000) = {f4(2 * DS)}"]),
}  # fmt: skip


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, _, c = example_expression()
    path = tmp_path_factory.mktemp("player") / "player.html"
    backward_player(c, interval_ms=60).save(path)
    return path


@pytest.fixture(scope="module")
def mlp_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = MLP(4, [8, 8, 1], activation="tanh", seed=1)
    loss = (model([0.5, -1.0, 2.0, 0.25]) - 1.0) ** 2
    path = tmp_path_factory.mktemp("player") / "mlp.html"
    backward_player(loss, model=model, collapse=None).save(path)
    return path


def _load(chrome: object, page: Path) -> object:
    from selenium.webdriver.common.by import By

    chrome.get(page.as_uri())  # type: ignore[attr-defined]
    root = chrome.find_element(By.CSS_SELECTOR, ".gw-player")  # type: ignore[attr-defined]
    assert root.get_attribute("data-gw-ready") == "1"  # the script ran
    chrome.execute_script("arguments[0].focus()", root)  # type: ignore[attr-defined]
    return root


def _errors(chrome: object) -> list[dict]:
    return [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"]  # type: ignore[attr-defined]


def _caption_and_equations(root: object) -> tuple[str, list[str]]:
    from selenium.webdriver.common.by import By

    caption = root.find_element(By.CSS_SELECTOR, ".gw-caption").text  # type: ignore[attr-defined]
    items = root.find_elements(By.CSS_SELECTOR, ".gw-details li")  # type: ignore[attr-defined]
    return caption, [li.text for li in items]


def test_forward_then_backward_with_the_chain_rule(driver: object, page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    root = _load(driver, page)
    assert root.get_attribute("data-total") == "8"
    for step in range(1, 9):
        assert root.get_attribute("data-step") == str(step)
        phase = "forward" if step <= 4 else "backward"
        assert root.get_attribute("data-phase") == phase
        marker = root.find_element(By.CSS_SELECTOR, ".gw-phase").text
        assert marker == f"{phase} pass · step {(step - 1) % 4 + 1} of 4"
        if step in EXPECTED:
            assert _caption_and_equations(root) == EXPECTED[step]
        root.send_keys(Keys.ARROW_RIGHT)
    # the last step: a's total on the graph is its full gradient, b's too
    texts = driver.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.querySelectorAll('g.node.value text')).map(t => t.textContent)"
    )
    assert f"grad {f4(DS * (2 * 2.0 - 3.0))}" in texts and f"grad {f4(2 * DS)}" in texts
    passing = driver.find_elements(By.CSS_SELECTOR, "g.edge.gw-passing")  # type: ignore[attr-defined]
    assert len(passing) == 2
    labels = [p.find_element(By.TAG_NAME, "text").text for p in passing]
    assert f"{f4(DS)} × 2.0000 = {f4(2 * DS)}" in labels  # the product on the edge to b
    root.send_keys(Keys.HOME)
    assert root.get_attribute("data-step") == "1"
    root.send_keys(Keys.END)
    assert root.get_attribute("data-step") == "8"
    root.send_keys(Keys.ARROW_LEFT)
    assert _caption_and_equations(root) == EXPECTED[7]
    assert not _errors(driver)


def test_forward_steps_show_values_as_they_are_computed(driver: object, page: Path) -> None:
    root = _load(driver, page)
    texts = driver.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.querySelectorAll('g.node.value text')).map(t => t.textContent)"
    )
    assert texts.count("data —") == 3  # n3, n4 and c still to come
    assert "data -6.0000" in texts and all(t == "grad —" for t in texts if t.startswith("grad"))
    del root


def test_slider_and_play(driver: object, page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    root = _load(driver, page)
    slider = root.find_element(By.CSS_SELECTOR, ".gw-slider")
    slider.send_keys(Keys.END)  # the range input's own keyboard handling fires "input"
    assert root.get_attribute("data-step") == "8"
    assert root.find_element(By.CSS_SELECTOR, ".gw-next").get_attribute("disabled")
    root.find_element(By.CSS_SELECTOR, ".gw-prev").click()
    assert root.get_attribute("data-step") == "7" and slider.get_attribute("value") == "6"
    root.find_element(By.CSS_SELECTOR, ".gw-play").click()
    WebDriverWait(driver, 10).until(
        lambda d: (
            root.get_attribute("data-step") == "8" and root.get_attribute("data-playing") is None
        )
    )
    assert not _errors(driver)


def test_zoom_buttons_wheel_fit_and_actual_size(driver: object, page: Path) -> None:
    from selenium.webdriver.common.by import By

    root = _load(driver, page)
    svg = root.find_element(By.CSS_SELECTOR, ".gw-view svg")
    width = lambda: float(svg.get_attribute("width"))
    zoom = lambda: float(root.get_attribute("data-zoom"))
    assert zoom() == 1.0
    natural = width()
    root.find_element(By.CSS_SELECTOR, ".gw-zoom-in").click()
    assert zoom() == pytest.approx(1.25) and width() == pytest.approx(natural * 1.25)
    driver.execute_script(  # type: ignore[attr-defined]
        "arguments[0].dispatchEvent(new WheelEvent('wheel', {deltaY: 300, clientX: 200, "
        "clientY: 300, bubbles: true, cancelable: true}))",
        root.find_element(By.CSS_SELECTOR, ".gw-view"),
    )
    assert zoom() < 1.25
    root.find_element(By.CSS_SELECTOR, ".gw-fit").click()
    view_width = driver.execute_script(  # type: ignore[attr-defined]
        "return document.querySelector('.gw-view').clientWidth"
    )
    assert width() <= view_width + 1
    root.find_element(By.CSS_SELECTOR, ".gw-actual").click()
    assert zoom() == 1.0 and width() == pytest.approx(natural)


def test_node_text_is_readable_as_opened(driver: object, page: Path, mlp_page: Path) -> None:
    for p in (page, mlp_page):
        _load(driver, p)
        heights = driver.execute_script(  # type: ignore[attr-defined]
            "return Array.from(document.querySelectorAll('g.node.value text'))"
            ".map(t => t.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 11, (p.name, min(heights))


def test_the_current_node_is_scrolled_into_view(driver: object, mlp_page: Path) -> None:
    """At every step the current node (its op and its value) is whole in the view; at a
    backward step, so is the nearest input it passes a gradient to, even when all of them
    do not fit (a neuron's weights beside it, its inputs a layer away)."""
    from selenium.webdriver.common.keys import Keys

    root = _load(driver, mlp_page)
    total = int(root.get_attribute("data-total"))
    assert total > 30
    script = """
        var v = document.querySelector('.gw-view').getBoundingClientRect();
        function inside(el) {
          var r = el.getBoundingClientRect();
          return r.left >= v.left - 1 && r.right <= v.right + 1 && r.top >= v.top - 1
            && r.bottom <= v.bottom + 1;
        }
        var current = Array.from(document.querySelectorAll('g.node.gw-current'));
        var c = current.map(function (el) { return el.getBoundingClientRect(); });
        var cx = c.reduce(function (a, r) { return a + (r.left + r.right) / 2; }, 0) / c.length;
        var cy = c.reduce(function (a, r) { return a + (r.top + r.bottom) / 2; }, 0) / c.length;
        var receiving = Array.from(document.querySelectorAll('g.node.gw-receiving'));
        var nearest = null, best = Infinity;
        receiving.forEach(function (el) {
          var r = el.getBoundingClientRect();
          var d = Math.hypot((r.left + r.right) / 2 - cx, (r.top + r.bottom) / 2 - cy);
          if (d < best) { best = d; nearest = el; }
        });
        return [current.length > 0 && current.every(inside), nearest === null || inside(nearest),
                receiving.length > 0 && receiving.every(inside)];
    """
    scrolls = set()
    partial = 0  # backward steps whose inputs did not all fit in the view
    for _ in range(total):
        scrolls.add(
            driver.execute_script(  # type: ignore[attr-defined]
                "var v = document.querySelector('.gw-view');return v.scrollLeft + ',' + v.scrollTop"
            )
        )
        whole, nearest, everyone = driver.execute_script(script)  # type: ignore[attr-defined]
        step = root.get_attribute("data-step")
        assert whole and nearest, step
        partial += root.get_attribute("data-phase") == "backward" and not everyone
        root.send_keys(Keys.ARROW_RIGHT)
    assert root.get_attribute("data-step") == str(total)
    assert len(scrolls) > 1  # the graph is bigger than the window: the view had to move
    assert partial > 0  # the case the nearest-first rule is for did come up
    assert not _errors(driver)


def _keys(chrome: object, *keys: str) -> None:
    """Press keys as a learner does: to whatever has the focus, nothing clicked first."""
    from selenium.webdriver.common.action_chains import ActionChains

    chain = ActionChains(chrome)  # type: ignore[arg-type]
    for key in keys:
        chain.send_keys(key)
    chain.perform()


def test_the_keys_work_as_the_page_opens(driver: object, page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(page.as_uri())  # type: ignore[attr-defined]
    root = driver.find_element(By.CSS_SELECTOR, ".gw-player")  # type: ignore[attr-defined]
    assert root.get_attribute("data-step") == "1"
    _keys(driver, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    assert root.get_attribute("data-step") == "3"
    _keys(driver, Keys.END)
    assert root.get_attribute("data-step") == "8"
    _keys(driver, Keys.ARROW_LEFT)
    assert root.get_attribute("data-step") == "7"
    _keys(driver, Keys.HOME)
    assert root.get_attribute("data-step") == "1"
    _keys(driver, Keys.SPACE)
    assert root.get_attribute("data-playing") == "1"
    _keys(driver, Keys.SPACE)
    assert root.get_attribute("data-playing") is None
    assert not _errors(driver)


def test_with_two_players_on_a_page_the_one_under_the_mouse_gets_the_keys(
    driver: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, _, c = example_expression()
    one = backward_player(c).fragment()
    x = Value(-1.5, label="x")
    two = backward_player(x**2, title="second").fragment()
    path = tmp_path / "two.html"
    text = '<p id="text" style="height: 120px">a notebook cell</p>'
    path.write_text(f"<!DOCTYPE html><html><body>{text}{one}{two}</body></html>", "utf-8")
    driver.get(path.as_uri())  # type: ignore[attr-defined]
    first, second = driver.find_elements(By.CSS_SELECTOR, ".gw-player")  # type: ignore[attr-defined]
    ActionChains(driver).move_to_element(driver.find_element(By.ID, "text")).perform()  # type: ignore[arg-type, attr-defined]
    _keys(driver, Keys.ARROW_RIGHT)  # neither is chosen yet: a notebook keeps its keys
    assert first.get_attribute("data-step") == "1" and second.get_attribute("data-step") == "1"
    ActionChains(driver).move_to_element(
        second.find_element(By.CSS_SELECTOR, ".gw-title")
    ).perform()  # type: ignore[arg-type]
    _keys(driver, Keys.END)
    assert second.get_attribute("data-step") == "2" and first.get_attribute("data-step") == "1"
    second.find_element(By.CSS_SELECTOR, ".gw-prev").click()
    # a negative base is bracketed: -1.5 ** 2 would be -(1.5 ** 2) in Python and in maths
    caption = second.find_element(By.CSS_SELECTOR, ".gw-caption").text
    assert caption == "L = x ** 2 = (-1.5000) ** 2 = 2.2500"
    ActionChains(driver).move_to_element(first.find_element(By.CSS_SELECTOR, ".gw-title")).perform()  # type: ignore[arg-type]
    _keys(driver, Keys.ARROW_RIGHT)
    assert first.get_attribute("data-step") == "2" and second.get_attribute("data-step") == "1"
    assert not _errors(driver)


def test_a_saved_notebook_output_is_the_picture_untrusted_and_the_player_trusted(
    driver: object, tmp_path: Path
) -> None:
    """An untrusted notebook shows its HTML output without scripts (sanitized): the player's
    markup is written by its script, so without it only the final state's PNG is left."""
    import re

    from selenium.webdriver.common.by import By

    _, _, c = example_expression()
    output = backward_player(c)._repr_mimebundle_()["text/html"]
    sanitized = re.sub(r"<script>.*?</script>", "", output, flags=re.S)
    assert re.fullmatch(
        r'<div id="gw-embed-\w+"><img src="data:image/png;base64,[^"]+" alt="[^"]+"></div>',
        sanitized,
    )
    path = tmp_path / "cell.html"
    path.write_text(f"<!DOCTYPE html><html><body>{output}</body></html>", "utf-8")
    driver.get(path.as_uri())  # type: ignore[attr-defined]
    root = driver.find_element(By.CSS_SELECTOR, ".gw-player")  # type: ignore[attr-defined]
    assert root.get_attribute("data-gw-ready") == "1"
    assert not driver.find_elements(By.CSS_SELECTOR, "img")  # type: ignore[attr-defined]
    assert not _errors(driver)
