"""A fast clock: hours of background life pass in seconds (`--speed`), the same for every device
of a fleet, so logs of different devices line up."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta


class SimClock:
    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._start_sim = start or datetime.now().replace(microsecond=0)
        self._start_real = time.monotonic()

    def now(self) -> datetime:
        """Device wall-clock time (naive, device-local)."""
        return self._start_sim + timedelta(seconds=(time.monotonic() - self._start_real) * self.speed)

    def elapsed(self) -> float:
        """Simulated seconds since the clock started (a monotonic 'uptime')."""
        return (time.monotonic() - self._start_real) * self.speed

    async def sleep(self, sim_seconds: float) -> None:
        """Sleep for `sim_seconds` of device time."""
        await asyncio.sleep(max(0.0, sim_seconds) / self.speed)

    def real_seconds(self, sim_seconds: float) -> float:
        return sim_seconds / self.speed
