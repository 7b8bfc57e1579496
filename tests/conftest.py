"""tests/compat holds programs written as a user writes them (keras_part9.py, ...).

They train at import, so pytest's --doctest-modules must not import them while collecting: the
tests run each one as a subprocess, as a user would.
"""

collect_ignore = [
    f"compat/{name}" for name in ("keras_part9.py", "keras_part10.py", "quickstart_torch.py")
]
