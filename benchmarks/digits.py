"""Train the digits MLP (docs/lessons.md, lesson 6) and print test accuracy and wall time.

    python benchmarks/digits.py              # the main config: 64-32-10 ReLU, Adam, 10 epochs
    python benchmarks/digits.py --compare    # also squared error vs cross-entropy, deep vs wide
    python benchmarks/digits.py --binarize --progress

Needs scikit-learn (the data) and, for ``--progress``, tqdm: ``pip install -e '.[examples]'``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from gradwalk.digits import (
    DigitsConfig,
    DigitsResult,
    compare_depth,
    compare_losses,
    train,
)


def _confusion(result: DigitsResult) -> str:
    lines = ["true\\pred " + " ".join(f"{j:>3}" for j in range(10))]
    for i, row in enumerate(result.confusion):
        lines.append(f"{i:>9} " + " ".join(f"{v:>3}" for v in row))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse the flags, train, print the results; returns the exit status."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--compare", action="store_true", help="run the lesson's comparisons too")
    ap.add_argument("--binarize", action="store_true", help="pixel > 7 -> 1, else 0")
    ap.add_argument("--epochs", type=int, default=DigitsConfig.epochs)
    ap.add_argument("--seed", type=int, default=DigitsConfig.seed)
    ap.add_argument("--progress", action="store_true", help="show a tqdm progress bar")
    ap.add_argument("--json", type=Path, help="write every result to this JSON file")
    args = ap.parse_args(argv)

    cfg = DigitsConfig(epochs=args.epochs, seed=args.seed, binarize=args.binarize)
    start = time.perf_counter()
    main_run = train(cfg, progress=args.progress)
    wall = time.perf_counter() - start
    print(main_run.summary())
    print(_confusion(main_run))
    print(
        f"test accuracy {100 * main_run.test_accuracy:.2f}%  wall time {wall:.1f} s "
        f"(incl. loading the data; training + evaluation {main_run.seconds:.1f} s)"
    )
    results = {"main": main_run.as_dict()}

    if args.compare:
        sgd = DigitsConfig(
            epochs=args.epochs,
            seed=args.seed,
            binarize=args.binarize,
            optimizer="sgd",
            lr=0.1,
            momentum=0.9,
        )
        for name, base in (("sgd", sgd), ("adam", cfg)):
            print(f"\nsquared error vs cross-entropy ({name}, lr={base.lr}):")
            for loss, r in compare_losses(base, progress=args.progress).items():
                results[f"loss_{name}_{loss}"] = r.as_dict()
        print("\ndeep vs wide (adam), about the same parameter count:")
        for shape, r in compare_depth(config=cfg, progress=args.progress).items():
            results[f"depth_{shape}"] = r.as_dict()

    if args.json is not None:
        tmp = args.json.with_name(f".{args.json.name}.tmp")
        tmp.write_text(json.dumps(results, indent=1))
        os.replace(tmp, args.json)  # a failed write never leaves a truncated file
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
