"""The training replay page in real headless Chromium: slider, play, pictures that change.

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install -y chromium
chromium-driver``). Without them the tests are skipped, except under ``CI=true``
where they fail, so CI can never skip them silently.
"""

from __future__ import annotations

import random
import re
import time
from pathlib import Path
from typing import Any

import pytest

from autograd.nn import MLP, SGD, fit
from gradwalk import moons
from viz.live import LiveRecorder


@pytest.fixture(scope="module")
def moons_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rec = LiveRecorder(title="Two moons", max_snapshots=30)
    moons.train_moons(epochs=40, live=rec)
    # 40 steps into at most 30 snapshots: 0, 2, ..., 38 and the last step, 39
    assert [s["step"] for s in rec.snapshots] == [*range(0, 40, 2), 39]
    return rec.save(tmp_path_factory.mktemp("live") / "moons.html")


def _state(d: Any) -> dict[str, Any]:
    return d.execute_script(
        """
        const q = (s) => Array.from(document.querySelectorAll(s));
        return {
          slider: +document.getElementById('slider').value,
          max: +document.getElementById('slider').max,
          where: document.getElementById('where').textContent,
          cells: q('#views section:nth-child(2) rect[fill]').map(r => r.getAttribute('fill'))
            .join(),
          edges: q('line.edge').map(l => l.getAttribute('stroke-opacity')).join(),
          bars: q('#views section:nth-child(4) rect[fill]').map(r => r.getAttribute('y')).join(),
          loss: document.querySelector('polyline.loss').getAttribute('points'),
          titles: q('h2').map(h => h.textContent),
          legends: q('.legend').length,
          width: document.documentElement.scrollWidth,
        };
        """
    )


def _errors(d: Any) -> list[Any]:
    return [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]


def test_slider_moves_and_the_pictures_change(driver: Any, moons_page: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(moons_page.as_uri())
    first = _state(driver)
    assert first["slider"] == 0 and first["max"] == 20
    # one counter, in training steps taken: snapshot 1 is after the first of 40 steps
    assert first["where"].startswith("after training step 1 of 40 (epoch 1 of 40) · loss ")
    step_ticks = driver.execute_script(
        "return Array.from(document.querySelectorAll('svg')[0].querySelectorAll('text.tick'))"
        ".map(t => t.textContent)"
    )
    assert "0" in step_ticks and all(re.fullmatch(r"[-\d.e]+", t) for t in step_ticks)
    assert not [t for t in step_ticks if len(t) > 8]  # no 0.6000000000000001
    assert first["titles"] == [
        "Loss over steps, and batch accuracy",
        "Decision boundary over the data",
        "Network: each weight coloured by its gradient ∂L/∂w",
        "Per layer: size of the weights and of their gradients (log scale)",
    ]
    assert first["legends"] == 4 and first["width"] <= 1280  # no sideways scrolling
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.END)
    last = _state(driver)
    assert last["slider"] == 20
    assert last["where"].startswith("after training step 40 of 40 (epoch 40 of 40)")
    for view in ("cells", "edges", "bars", "loss"):
        assert first[view] and last[view] and first[view] != last[view], view
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_LEFT)
    assert _state(driver)["slider"] == 19
    slider = driver.find_element(By.ID, "slider")
    driver.execute_script(
        "arguments[0].value = 5; arguments[0].dispatchEvent(new Event('input'))", slider
    )
    assert _state(driver)["slider"] == 5
    assert not _errors(driver)


def test_play_button_steps_through_to_the_end(driver: Any, moons_page: Path) -> None:
    from selenium.webdriver.common.by import By

    driver.get(moons_page.as_uri())
    button = driver.find_element(By.ID, "play")
    button.click()
    assert "pause" in button.text
    deadline = time.monotonic() + 15
    while _state(driver)["slider"] < 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _state(driver)["slider"] == 20
    time.sleep(0.4)
    assert "play" in button.text  # stopped at the end
    assert not _errors(driver)


def test_page_of_a_many_input_multiclass_run_has_no_boundary_and_no_errors(
    driver: Any, tmp_path: Path
) -> None:
    rng = random.Random(0)
    X = [[rng.random() for _ in range(16)] for _ in range(30)]
    y = [i % 4 for i in range(30)]
    model = MLP(16, [8, 4], seed=0)
    rec = LiveRecorder()
    fit(model, X, y, epochs=3, batch_size=10, live=rec, optimizer=SGD(model, lr=0.1))
    page = rec.save(tmp_path / "many.html")
    driver.get(page.as_uri())
    st = _state(driver)
    assert st["max"] == 8 and "not 2-D" in driver.page_source
    assert st["edges"].count(",") == 16 * 8 + 8 * 4 - 1
    assert not _errors(driver)
