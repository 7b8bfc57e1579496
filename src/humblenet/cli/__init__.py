"""The ``humblenet`` command line: ``main(argv=None) -> int`` and ``build_parser()``.

Sub-commands: ``train``, ``evaluate``, ``predict``, ``info``, ``export``, ``datasets`` and
``tour``, one module each; ``humblenet COMMAND --help`` explains each one with an example.

A user's mistake (a missing file, a bad column or number, an unreadable model, an unknown data
set, an output that cannot be written) prints one line to stderr that says what to do, and exits
with status 2, never a traceback; a command that fails writes nothing (every output is written
at the end, atomically). Ctrl-C exits with status 130. Any other exception is a bug and keeps
its traceback.

(``humblenet.cli.main`` is the function; the module that defines it is ``humblenet.cli.main``
in ``sys.modules``, e.g. ``importlib.import_module("humblenet.cli.main")``.)
"""

from humblenet.cli._common import UserError
from humblenet.cli.main import build_parser, main

__all__ = ["UserError", "build_parser", "main"]
