"""``python -m humblenet``: the same command line as the ``humblenet`` script."""

import sys

from humblenet.cli import main

sys.exit(main())
