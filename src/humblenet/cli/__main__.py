"""``python -m humblenet.cli``: the same command line as ``python -m humblenet``."""

import sys

from humblenet.cli import main

sys.exit(main())
