"""The backward player in real headless Chromium: buttons, slider and caption work.

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install -y chromium
chromium-driver``). Without them the tests are skipped, except under ``CI=true``
where they fail, so CI can never skip them silently.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograd import Value
from viz import backward_player

DRIVER = "/usr/bin/chromedriver"
INSTALL = "apt-get install -y chromium chromium-driver"


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _require_browser() -> str:
    missing = []
    browser = _browser()
    if browser is None:
        missing.append("chromium")
    if not os.access(DRIVER, os.X_OK):
        missing.append(DRIVER)
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install selenium==4.51.0)")
    if missing:
        reason = f"headless browser test needs {', '.join(missing)}; install with: {INSTALL}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return browser  # type: ignore[return-value]


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    browser = _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    chrome.set_page_load_timeout(30)
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = (a * b + a**2).tanh()
    c.label = "c"
    path = tmp_path_factory.mktemp("player") / "player.html"
    backward_player(c, interval_ms=60).save(path)
    return path


def _state(chrome: object) -> tuple[str, str, str]:
    """(step attribute, caption text, id of the highlighted value node without frame prefix)."""
    from selenium.webdriver.common.by import By

    root = chrome.find_element(By.CSS_SELECTOR, ".gw-player")  # type: ignore[attr-defined]
    caption = root.find_element(By.CSS_SELECTOR, ".gw-caption").text
    visible = [f for f in root.find_elements(By.CSS_SELECTOR, ".gw-frame") if f.is_displayed()]
    assert len(visible) == 1
    node = visible[0].find_element(By.CSS_SELECTOR, "g.node.value.current")
    return root.get_attribute("data-step"), caption, re.sub(r"^s\d+_", "", node.get_attribute("id"))


def _load(chrome: object, page: Path) -> object:
    from selenium.webdriver.common.by import By

    chrome.get(page.as_uri())  # type: ignore[attr-defined]
    root = chrome.find_element(By.CSS_SELECTOR, ".gw-player")  # type: ignore[attr-defined]
    assert root.get_attribute("data-gw-ready") == "1"  # the script ran
    return root


def test_next_moves_the_highlight_and_the_caption(driver: object, page: Path) -> None:
    from selenium.webdriver.common.by import By

    root = _load(driver, page)
    step, caption, node = _state(driver)
    assert step == "1" and caption == "step 1/4: c (tanh) passes 1.0000 to its inputs"
    assert root.find_element(By.CSS_SELECTOR, ".gw-prev").get_attribute("disabled")
    root.find_element(By.CSS_SELECTOR, ".gw-next").click()
    step2, caption2, node2 = _state(driver)
    assert step2 == "2" and caption2.startswith("step 2/4: add passes 0.0707")
    assert node2 != node
    assert root.find_element(By.CSS_SELECTOR, ".gw-counter").text == "2 / 4"


def test_previous_and_slider(driver: object, page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    root = _load(driver, page)
    first = _state(driver)
    slider = root.find_element(By.CSS_SELECTOR, ".gw-slider")
    slider.send_keys(Keys.END)  # the range input's own keyboard handling fires "input"
    last = _state(driver)
    assert last[0] == "4" and last[1].startswith("step 4/4: mul")
    assert root.find_element(By.CSS_SELECTOR, ".gw-next").get_attribute("disabled")
    root.find_element(By.CSS_SELECTOR, ".gw-prev").click()
    third = _state(driver)
    assert third[0] == "3" and third[1].startswith("step 3/4: pow")
    assert slider.get_attribute("value") == "2"
    slider.send_keys(Keys.HOME)
    assert _state(driver) == first


def test_play_runs_to_the_end_and_stops(driver: object, page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    root = _load(driver, page)
    play = root.find_element(By.CSS_SELECTOR, ".gw-play")
    play.click()
    WebDriverWait(driver, 10).until(
        lambda d: (
            root.get_attribute("data-step") == "4" and root.get_attribute("data-playing") is None
        )
    )
    assert "play" in play.text
    assert _state(driver)[1].startswith("step 4/4")
