"""The website ``make docs`` builds into ``site/``: every page there, the lessons executed, and
a player stepped inside a lesson page in real headless Chromium.

The site takes minutes to build (it executes every lesson), so these tests read the one
``make docs`` built; ``.ci/run`` builds it first. Without ``site/`` they are skipped,
except under ``CI=true`` where they fail, so CI can never skip them silently.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    if not (SITE / "index.html").is_file():
        reason = "the website is not built: run 'make docs' first"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def _page(rel: str) -> str:
    path = SITE / rel
    assert path.is_file(), f"site/{rel} missing"
    return path.read_text(encoding="utf-8")


def _text(page: str) -> str:
    """The page's text, tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def _cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


def test_home_is_the_readme() -> None:
    title = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
    home = _page("index.html")
    assert title in _text(home)
    assert 'src="docs/example-graph.svg"' in home and (SITE / "docs/example-graph.svg").is_file()


@pytest.mark.parametrize("doc", sorted(p.name for p in (ROOT / "docs").glob("*.md")))
def test_every_docs_page_is_on_the_site(doc: str) -> None:
    source = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    heading = next(line for line in source.splitlines() if line.startswith("#")).lstrip("#")
    page = _page(f"docs/{doc[:-3]}.html")
    assert _text(re.sub(r"[`*_]", "", heading)) in re.sub(r"[`*_]", "", _text(page))
    assert f'href="docs/{doc[:-3]}.html"' in _page("index.html")  # in the navigation


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_is_rendered_with_its_text_and_outputs(notebook: Path) -> None:
    page = _page(f"notebooks/{notebook.stem}.html")
    text = _text(page)
    cells = _cells(notebook)
    headings = [
        re.sub(r"[`*_]", "", line.lstrip("#")).strip()
        for cell in cells
        if cell["cell_type"] == "markdown"
        for line in "".join(cell["source"]).splitlines()
        if line.startswith("#")
    ]
    assert headings, notebook.name
    plain = "".join(re.sub(r"[`*_]", "", text).split())  # markup and spacing aside
    for heading in headings:  # every heading of the lesson's text is on the page
        assert "".join(heading.split()) in plain, heading
    outputs = sum(len(c.get("outputs", [])) for c in cells if c["cell_type"] == "code")
    assert page.count("jp-OutputArea-output") >= outputs  # every output, as run for the site
    # the hidden cell holds the exercises' answers: its output is shown, its code is not
    hidden = [c for c in cells if "hide-input" in c.get("metadata", {}).get("tags", [])]
    for cell in hidden:
        lines = [ln.strip() for ln in "".join(cell["source"]).splitlines() if len(ln.strip()) > 25]
        assert lines and not any(_text(ln) in text for ln in lines[:5]), notebook.name


def test_every_table_of_contents_link_lands_on_its_heading() -> None:
    for page in sorted(SITE.rglob("*.html")):
        if page.name == "404.html" or "out" in page.relative_to(SITE).parts:
            continue
        text = page.read_text(encoding="utf-8")
        anchors = set(re.findall(r'href="#([^"]+)" class="md-nav__link"', text))
        ids = set(re.findall(r'\bid="([^"]+)"', text))
        assert anchors - ids == set(), page.relative_to(SITE)


def test_every_page_a_lesson_writes_is_embedded_in_it() -> None:
    frames = {
        (page.name, src)
        for page in (SITE / "notebooks").glob("*.html")
        for src in re.findall(r'<iframe src="(out/[^"]+)"', page.read_text(encoding="utf-8"))
    }
    assert ("02_backprop_222_sigmoid.html", "out/backprop_222_player.html") in frames
    for _, src in frames:
        assert (SITE / "notebooks" / src).is_file(), src


def test_api_reference_is_generated_from_the_docstrings() -> None:
    from autograd import Value, grad
    from viz import backward_player

    for rel, obj in (("api/autograd.html", Value), ("api/autograd.html", grad),
                     ("api/viz.html", backward_player)):  # fmt: skip
        first = (obj.__doc__ or "").strip().splitlines()[0]
        squeezed = "".join(_text(_page(rel)).replace("`", "").split())
        assert first and "".join(first.replace("``", "").split()) in squeezed, (rel, first)
    assert "```" not in _text(_page("api/autograd.html"))  # doctests fenced, not shown raw
    assert "&gt;&gt;&gt;" in _page("api/autograd.html")  # ... and kept as code


def test_a_player_steps_inside_a_lesson_page(driver: object) -> None:
    """Lesson 2's backward player, as a learner opens the site from disk: step it with the
    keys and the buttons, inside the lesson's page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get((SITE / "notebooks" / "02_backprop_222_sigmoid.html").as_uri())  # type: ignore[attr-defined]
    frame = driver.find_element(By.CSS_SELECTOR, ".gw-embed iframe")  # type: ignore[attr-defined]
    driver.execute_script(  # type: ignore[attr-defined]
        "arguments[0].scrollIntoView(); window.scrollBy(0, -100)", frame
    )
    driver.switch_to.frame(frame)  # type: ignore[attr-defined]
    try:
        root = driver.find_element(By.CSS_SELECTOR, ".gw-player")  # type: ignore[attr-defined]
        assert root.get_attribute("data-gw-ready") == "1"  # its script ran in the page
        total = int(root.get_attribute("data-total"))
        assert total >= 2 and root.get_attribute("data-step") == "1"
        driver.execute_script("arguments[0].focus()", root)  # type: ignore[attr-defined]
        captions = []
        for step in range(2, total // 2 + 3):
            root.send_keys(Keys.ARROW_RIGHT)
            assert root.get_attribute("data-step") == str(step)
            captions.append(root.find_element(By.CSS_SELECTOR, ".gw-caption").text)
        assert root.get_attribute("data-phase") == "backward"
        assert "passes ∂loss/∂" in captions[-1]  # the chain rule, mid-pass
        assert len(set(captions)) == len(captions)  # every step says something new
        root.find_element(By.CSS_SELECTOR, ".gw-prev").click()
        assert root.get_attribute("data-step") == str(total // 2 + 1)
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]  # type: ignore[attr-defined]
        assert not errors, errors
    finally:
        driver.switch_to.default_content()  # type: ignore[attr-defined]
