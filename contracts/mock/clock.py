"""The server's clock: wall time, or a manual clock that moves only when a test moves it.

``mock --clock manual`` makes a polling test independent of wall time: a job stays where it is
until the control routes complete it, fail it or set its progress, until ``POST /_mock/clock/advance``
moves the clock, or until polls move it (``--advance-per-poll``). Either clock can be advanced;
each store adds its own offset on top (one namespace's clock moved alone).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    """Monotonic seconds for job states and wall seconds for timestamps, both moved by ``advance``.

    A manual clock starts at 0 (monotonic) and at the wall time it was made (timestamps), and only
    ``advance`` moves it: ``created_at`` and ``completed_at`` then follow the time the test commands.
    """

    def __init__(self, manual: bool = False, *, monotonic: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time):
        self.manual = manual
        self.offset = 0.0
        self._monotonic = monotonic
        self._wall = wall
        self._start_wall = wall()

    @property
    def mode(self) -> str:
        return "manual" if self.manual else "wall"

    def monotonic(self) -> float:
        return (0.0 if self.manual else self._monotonic()) + self.offset

    def wall(self) -> float:
        return (self._start_wall if self.manual else self._wall()) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    def reset(self) -> None:
        self.offset = 0.0
