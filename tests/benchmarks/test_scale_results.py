"""bench.py rewrites RESULTS.md on every run; what scale.py appended there must survive it."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADING = re.compile(r'^(?:SCALE_HEADING|RESULTS_HEADING) = "([^"]+)"', re.M)


def test_bench_keeps_the_section_scale_appends_under() -> None:
    appended_under = HEADING.findall((HERE / "scale.py").read_text())
    kept_from = HEADING.findall((HERE / "bench.py").read_text())
    assert appended_under == ["# Scale results (tests/benchmarks/scale.py)"]
    assert kept_from == appended_under
