"""``gradwalk examples`` and ``gradwalk demo``: the worked examples, their graphs, a digits run."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from .files import human_size, make_dir
from .render import drawing, save
from .text import printable
from .train import need, train_digits
from .worked import print_examples, worked_examples

__all__ = ["LESSONS_DOC", "cmd_demo", "cmd_examples"]

#: Where a learner reads the lessons' statement (in the repository).
LESSONS_DOC = "docs/lessons.md"


def cmd_examples(args: argparse.Namespace) -> int:
    """Print worked examples 1-3 beside the lesson's numbers; 1 if any differs."""
    return 0 if print_examples(worked_examples()) else 1


def cmd_demo(args: argparse.Namespace) -> int:
    """The tour: examples, their graphs and players, a digits run, into ``args.out``."""
    from .digits import DigitsConfig

    start = time.perf_counter()
    need("sklearn", "the demo's digits data")
    need("matplotlib", "the demo's plots")
    need("pygraphviz", "the demo's graphs")
    out = Path(args.out)
    make_dir(out, "output directory")
    written: list[Path] = []

    print(f"== Worked examples 1-3 (the lessons' text: {LESSONS_DOC}): engine beside lesson ==\n")
    examples = worked_examples()
    all_ok = print_examples(examples)

    print("\n== Graphs and backward players ==")
    for ex in examples:
        svg = out / f"example{ex.number}_graph.svg"
        html = out / f"example{ex.number}_backward.html"
        save(drawing(ex.root, "SVG graph", params=ex.params, prog=args.prog), svg)
        title = f"Worked example {ex.number}: backward from {ex.root_name}"
        player = drawing(ex.root, "backward player", title=title, params=ex.params, prog=args.prog)
        save(player, html)
        print(
            f"example {ex.number} ({ex.root_name}): {printable(str(svg))}, {printable(str(html))}"
        )
        written += [svg, html]

    print("\n== Digits classifier (scikit-learn's 8x8 digits) ==")
    from .plots import save_plots

    cfg = DigitsConfig(epochs=1, hidden=(16,)) if args.quick else DigitsConfig()
    result = train_digits(cfg, progress=not args.no_progress)
    written += save_plots(result, out)

    print(f"\n== Wrote {len(written)} files ==")
    for p in written:
        print(f"  {printable(str(p))}  ({human_size(p)})")
    print(f"done in {time.perf_counter() - start:.1f} s")
    print(f"What each example computes, with the lesson's numbers: {LESSONS_DOC}")
    return 0 if all_ok else 1
