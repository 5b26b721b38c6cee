"""A clock the test moves by hand (``clock.now += 5``): inject it where the code takes a clock."""

from __future__ import annotations


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.slept: list[float] = []  # every wait asked of ``sleep``, in order

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """A wait that takes no real time: the clock moves on by ``seconds``."""
        self.slept.append(seconds)
        self.now += seconds
