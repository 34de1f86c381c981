"""The cyclic garbage collector's thresholds in the service's processes.

A web worker and the projector hold projects' states for as long as they run: a project of
10,000 expenses is a few hundred thousand objects. At Python's default threshold (a
collection every 700 allocations more than frees) a batch of 500 expenses set off about 86
collections, and the older generations' walk that whole heap. Measured in process
(write_profile.py, a project of 10,000): collecting took 11 % of the CPU of 10 batches of 500
and 9 % of 1,000 single POSTs; at these thresholds, about 1 %. Reference counting frees almost
all of the service's garbage; reference cycles are few, so collecting fifty times less often
costs little memory.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 100)


def tune_collector() -> None:
    """Sets the thresholds for this process and the ones it forks."""
    gc.set_threshold(*THRESHOLDS)
