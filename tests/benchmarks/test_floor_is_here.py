"""The benchmark carries its own floor: nothing it runs lives outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

FLOOR = Path(__file__).resolve().parent / "floor"


def test_the_benchmark_runs_the_floor_beside_it() -> None:
    source = (FLOOR.parent / "bench.py").read_text()
    assert '"shared"' not in source and "../shared" not in source
    assert 'Path(__file__).resolve().parent / "floor"' in source


def test_every_file_run_floor_loads_is_in_the_floor_folder() -> None:
    script = (FLOOR / "run_floor.sh").read_text()
    loaded = set(re.findall(r"\b([a-z_]+\.lua|floor_app)\b", script))
    assert loaded == {"get.lua", "post_json.lua", "floor_app"}
    for name in loaded:
        assert (FLOOR / (name if name.endswith(".lua") else f"{name}.py")).is_file(), name
    assert (FLOOR / "report.lua").is_file()
