"""``python -m autograd``: the ``gradwalk`` command line (see :mod:`autograd.cli`)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
