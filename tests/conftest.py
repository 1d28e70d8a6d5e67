"""Shared pytest configuration: hypothesis profiles, and the headless-Chromium fixture.

``CI=true`` selects the thorough "ci" profile: 500 examples per property,
derandomized so that CI checks the same examples on every run (a red CI is a
real regression, never a new random draw); anything else selects "dev", which
draws new examples each run and keeps exploring.
"""

from __future__ import annotations

import os

from browser import driver  # noqa: F401  (the shared browser fixture, see browser.py)
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
