"""Shared helpers for the simulated-iOS tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bgprobe.sim.ios.fleet import IosSimulator


def run_with_sim(body: Callable[[IosSimulator], Awaitable[Any]], timeout: float = 20, **sim_kwargs: Any) -> Any:
    """Start a simulator on a fresh loop, run `body(sim)` against it with real pmd3, stop it."""

    async def main() -> Any:
        async with IosSimulator(**sim_kwargs) as sim:
            return await asyncio.wait_for(body(sim), timeout)

    return asyncio.run(main())
