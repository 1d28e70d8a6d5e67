"""MkDocs hooks that make the website from the repository as it is (``make docs``).

* The pages keep their repository paths (``README.md`` is the home page,
  ``docs/cli.md``, ``notebooks/01_....ipynb``), so the links between them work
  unchanged on GitHub, in an editor and on the site.
* Every lesson is executed once while the site builds, in a staging folder
  (``build/website``), so its outputs are the live ones: players and quizzes
  are their self-contained HTML with scripts, not the saved PNG pictures.
  A lesson that fails stops the build.
* A page a lesson writes into ``out/`` (lesson 2 saves its backward player)
  is copied beside the lesson's page and shown inside it, under the output
  that names it.
* A page the navigation lists but the repository does not have yet is left
  out of the navigation instead of breaking the build.

``GRADWALK_DOCS_EXECUTE=0`` skips the execution (the lessons as saved, with their
PNG pictures instead of live players): a quick preview while editing text.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "notebooks"
#: The executed lessons are STAGE/notebooks/*.ipynb; they ran there, so their files are in
#: STAGE/notebooks/out.
STAGE_ROOT = ROOT / "build" / "website"
STAGE = STAGE_ROOT / "notebooks"
#: The kernel's time limit per cell, in seconds (the slowest lesson cell takes ~20 s).
CELL_TIMEOUT = 600

# A text output of a notebook cell (stdout), as nbconvert renders it.
_TEXT_OUTPUT = re.compile(
    r'<div class="[^"]*jp-RenderedText[^"]*"[^>]*>\s*<pre>.*?</pre>\s*</div>', re.DOTALL
)
_SAVED_PAGE = re.compile(r"\bout/([\w.-]+\.html?)\b")


def _exists(path: str, docs_dir: Path) -> bool:
    return (ROOT / path).is_file() or (docs_dir / path).is_file()


def _prune(nav: Any, docs_dir: Path) -> Any:
    """``nav`` without the entries whose page is missing (and sections left empty)."""
    if isinstance(nav, str):
        return nav if "://" in nav or _exists(nav, docs_dir) else None
    if isinstance(nav, list):
        kept = [item for item in (_prune(i, docs_dir) for i in nav) if item is not None]
        return kept or None
    if isinstance(nav, dict):
        kept = {k: v for k, v in ((k, _prune(v, docs_dir)) for k, v in nav.items()) if v}
        return kept or None
    return nav


def _toc_of_notebook(fpath: str, toc_depth: int) -> tuple[list[Any], str | None]:
    """A lesson's table of contents from its Markdown cells, as the page renders them.

    mkdocs-jupyter reads the headings from a Markdown export that drops inline code, so a
    heading such as ``4. `_backward`, one node at a time`` lost its words and its link.
    """
    import markdown
    import nbformat
    from markdown.extensions.toc import TocExtension

    nb = nbformat.read(fpath, as_version=4)
    body = "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    md = markdown.Markdown(extensions=["fenced_code", TocExtension(toc_depth=toc_depth)])
    md.convert(body)
    tokens: list[Any] = md.toc_tokens  # type: ignore[attr-defined]
    title = next((t["name"] for t in tokens if t["level"] == 1), None)
    return tokens, title


def on_config(config: Any) -> Any:
    import mkdocs_jupyter.plugin

    mkdocs_jupyter.plugin._get_nb_toc_tokens = _toc_of_notebook
    if config.get("nav"):
        config["nav"] = _prune(config["nav"], Path(config["docs_dir"]))
    return config


def _execute(notebook: Path, workdir: Path) -> None:
    """A copy of ``notebook`` in ``workdir``, executed there (cwd = ``workdir``)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    if os.environ.get("GRADWALK_DOCS_EXECUTE") == "0":
        nbformat.write(nb, workdir / notebook.name)
        return
    NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    ).execute()
    nbformat.write(nb, workdir / notebook.name)


@event_priority(100)  # before mkdocs-jupyter, so it converts the lessons added here
def on_files(files: Files, config: Any) -> Files:
    shutil.rmtree(STAGE_ROOT, ignore_errors=True)
    STAGE.mkdir(parents=True)

    def add(src_path: str, src_dir: Path) -> None:
        files.append(File(src_path, str(src_dir), config["site_dir"], config["use_directory_urls"]))

    add("README.md", ROOT)
    add("constraints.txt", ROOT)  # the README links to it
    for path in sorted((ROOT / "docs").rglob("*")):
        if path.is_file():
            add(path.relative_to(ROOT).as_posix(), ROOT)
    add("notebooks/README.md", ROOT)
    for notebook in sorted(LESSONS.glob("*.ipynb")):
        _execute(notebook, STAGE)
        add(f"notebooks/{notebook.name}", STAGE_ROOT)
    return files


def _embed_saved_pages(match: re.Match[str]) -> str:
    block = match.group(0)
    frames = []
    for name in dict.fromkeys(_SAVED_PAGE.findall(html.unescape(block))):
        if (STAGE / "out" / name).is_file():
            src = html.escape(f"out/{name}")
            frames.append(
                f'<div class="gw-embed"><iframe src="{src}" title="{html.escape(name)}" '
                f'loading="lazy"></iframe><p><a href="{src}">open {html.escape(name)} '
                "on a page of its own</a></p></div>"
            )
    return block + "".join(frames)


def on_page_content(content: str, page: Any, config: Any, files: Files) -> str:
    if page.file.src_uri.startswith("notebooks/") and page.file.src_uri.endswith(".ipynb"):
        return _TEXT_OUTPUT.sub(_embed_saved_pages, content)
    return content


def on_post_build(config: Any) -> None:
    saved = STAGE / "out"
    if saved.is_dir():
        shutil.copytree(saved, Path(config["site_dir"]) / "notebooks" / "out", dirs_exist_ok=True)
