"""Wall-clock seconds per named stage of a run (``summary.json``'s ``stage_seconds``).

Every engine (in memory, Neo4j, Spark) and the CLI's progress line time their stages through
one :class:`StageTimer`; it lives apart from the flow so that they can take it without
importing the detectors.

Examples
--------
>>> timer = StageTimer()
>>> with timer.stage("graph"):
...     pass
>>> list(timer.seconds)
['graph']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["Progress", "StageTimer"]

#: Called as ``progress(stage_name)`` when a stage starts.
Progress = Callable[[str], None]


@dataclass
class StageTimer:
    """Wall-clock seconds per named stage."""

    seconds: dict[str, float] = field(default_factory=dict)
    progress: Progress | None = None

    @contextmanager
    def stage(self, name: str, announce: bool = True) -> Iterator[None]:
        """Time the block as stage ``name``; ``announce`` it through ``progress`` first.

        A stage run on a helper thread beside others is timed but not announced (its caller
        announces it when it starts waiting for it), so progress shows one stage at a time.
        """
        if announce and self.progress is not None:
            self.progress(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 4)
