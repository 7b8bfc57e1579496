"""``humblenet datasets``: every named data set, where it is found or how to get it."""

from __future__ import annotations

from cli_helper import humblenet_run, ok

from humblenet.data import list_datasets
from humblenet.data.catalog import words_info


def test_datasets_lists_every_named_set(tmp_path):
    stdout = ok(humblenet_run("datasets", cwd=tmp_path))
    for info in [*list_datasets(), words_info()]:
        lines = [line for line in stdout.splitlines() if line.startswith(f"{info.name} (")]
        assert lines == [f"{info.name} ({info.task}): {info.description}"]
        assert (info.location or info.how_to_get) in stdout
