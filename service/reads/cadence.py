"""When the projector takes a project's next checkpoint or aggregate snapshot.

Each holds the whole project: here a project of 10,000 expenses took 0.3 s to checkpoint and
0.4 s to snapshot. Their intervals grow with the project (projections.interval_crossed), but
under a stream of writes to a large project the versions cross them every few seconds, and
taking them was most of the projector's work: CPU the web workers, on the same cores, lacked.
So a project's next one is also at least `spacing` seconds after its last: under such a
stream a replay from the last one folds that long's events instead of an interval's, and a
project written at an ordinary pace is not affected.

The spacing also grows with what the next one will cost: a snapshot of a project of 90,000
expenses took about 1.5 s of CPU, every 10 s under a stream of batches. So the next one waits
at least COST_RATIO times the CPU it is expected to take, which keeps each kind at most a
twentieth of a core however large the project; a replay from it then folds that long's events.
Each holds the whole project, so it is expected to cost what the last one did, scaled by how
far the project grew since: scaled by nothing, a project that grew from 10,000 to 100,000
expenses in the 10 s after a cheap one had its next, of 4 s, taken at once.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from uuid import UUID

from cachetools import LRUCache

from projections.materialise import interval_crossed

# The projects whose last checkpoint (or snapshot) is remembered. One forgotten is due again
# at the next multiple of its interval: at worst one early.
REMEMBERED = 10_000
# The next one waits at least this many times the CPU time the last one took.
COST_RATIO = 20


class Cadence:
    """A project's next checkpoint (or snapshot) is due once its version has crossed a
    multiple of its interval since the last one taken and `spacing` seconds have passed."""

    def __init__(self, every: int, spacing: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.spacing = spacing
        self.clock = clock
        # Of each project: the version, the moment and the CPU seconds of the last one taken.
        self.taken: LRUCache[UUID, tuple[int, float, float]] = LRUCache(maxsize=REMEMBERED)

    def due(self, project_id: UUID, version_before: int, version: int) -> bool:
        """Whether one is due at `version`; `version_before`, the project's version before
        the batch, stands for the last one taken when that is not remembered."""
        since, at, cost = self.taken.get(project_id, (version_before, -math.inf, 0.0))
        expected = cost * version / since if since > 0 else cost
        return interval_crossed(since, version, self.every) and (
            self.clock() - at >= max(self.spacing, expected * COST_RATIO))

    def took(self, project_id: UUID, version: int, cost: float = 0.0) -> None:
        """Notes the one taken at `version`, which cost `cost` seconds of CPU time."""
        self.taken[project_id] = (version, self.clock(), cost)
