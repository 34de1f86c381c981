"""The portfolio's figures on /metrics are summed again only when the views moved; once a sum
is slow (a programme's 100,000 projects), at most every REFRESH_SECONDS, in a thread, a scrape
meanwhile answering at once with the last figures."""

from __future__ import annotations

import threading
import time

import pytest

from service.metrics import SnapshotCache


def test_figures_are_summed_again_only_when_the_views_moved() -> None:
    cache, sums = SnapshotCache(), []

    def compute(key: int) -> int:
        sums.append(key)
        return key * 10

    answers = [cache.get(key, lambda key=key: compute(key)) for key in (1, 1, 2, 2)]

    assert (answers, sums) == ([10, 10, 20, 20], [1, 2])


def test_a_slow_sum_is_refreshed_in_the_background_at_most_every_refresh_seconds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SnapshotCache, "SYNC_SECONDS", 0.01)
    monkeypatch.setattr(SnapshotCache, "REFRESH_SECONDS", 0.2)
    cache, release = SnapshotCache(), threading.Event()

    def slow(value: str, wait: bool = False) -> str:
        time.sleep(0.02)
        if wait:
            release.wait(5)
        return value

    first = cache.get(1, lambda: slow("one"))
    too_soon = cache.get(2, lambda: slow("two"))  # summed 0 s ago: the last figures
    time.sleep(0.25)
    # Answered with the last figures while the sum waits for `release`: not blocked by it.
    stale = cache.get(3, lambda: slow("three", wait=True))
    release.set()
    deadline = time.monotonic() + 5
    while cache.get(3, lambda: "never") != "three" and time.monotonic() < deadline:
        time.sleep(0.01)

    assert (first, too_soon, stale, cache.get(3, lambda: "never")) == (
        "one", "one", "one", "three")
