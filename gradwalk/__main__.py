"""``python -m gradwalk``: the ``gradwalk`` command line (see :mod:`gradwalk.cli`)."""

import sys

from .cli import main

sys.exit(main())
