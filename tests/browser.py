"""Headless Chromium for the browser tests, shared by every test module that needs it.

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install -y chromium
chromium-driver``) and ``selenium``. Without them a test is skipped, except under
``CI=true`` where it fails, so CI can never skip it silently.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

DRIVER = "/usr/bin/chromedriver"
INSTALL = "apt-get install -y chromium chromium-driver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
)


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def require_browser() -> str:
    """The Chromium executable; skips (fails under CI=true) naming what is missing."""
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
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium with a 1280x800 viewport and the browser log kept."""
    browser = require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    chrome.set_page_load_timeout(30)
    chrome.set_window_size(1280, 800)
    chrome.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        yield chrome
    finally:
        chrome.quit()
