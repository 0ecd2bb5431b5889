"""IosSimulator: a usbmuxd with N simulated iPhones on one event loop and one SimClock.

Async callers: `async with IosSimulator(3) as sim: …` (or `await sim.astart()` / `await sim.astop()`).
Sync callers (CLI, pytest, a subprocess test): `sim.start()` runs the loop in a daemon thread and
returns the USBMUXD_SOCKET_ADDRESS value; `sim.stop()` ends it. Both stops are idempotent and quiet.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from ..clock import SimClock
from .device import SimulatedIPhone, call_on_loop
from .lockdownd import DeviceEndpoint
from .profiles import DeviceProfile, make_profile
from .services import default_services
from .usbmuxd import Usbmuxd

T = TypeVar("T")


class IosSimulator:
    def __init__(
        self,
        devices: int | Sequence[DeviceProfile] = 2,
        *,
        speed: float = 60.0,
        seed: int = 0,
        port: int = 0,
        tls: bool = False,
        split_writes: bool = True,
        unpaired: Iterable[str] = (),
        clock: SimClock | None = None,
    ) -> None:
        profiles = [make_profile(i, seed) for i in range(devices)] if isinstance(devices, int) else list(devices)
        if len({p.udid for p in profiles}) != len(profiles):
            raise ValueError("every simulated device needs its own UDID")
        self.clock = clock or SimClock(speed)
        self.tls = tls
        self.usbmuxd = Usbmuxd(port=port)
        self.devices: dict[str, SimulatedIPhone] = {p.udid: SimulatedIPhone(p, self.clock, seed) for p in profiles}
        self._unpaired = set(unpaired)
        self._services = default_services(split_writes)
        self._endpoints: dict[str, DeviceEndpoint] = {}
        self._device_tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._running = False

    # ---------------------------------------------------------------- info

    @property
    def udids(self) -> list[str]:
        return list(self.devices)

    @property
    def address(self) -> str:
        """The USBMUXD_SOCKET_ADDRESS value ("127.0.0.1:PORT")."""
        return self.usbmuxd.address

    def env(self) -> dict[str, str]:
        return {"USBMUXD_SOCKET_ADDRESS": self.address}

    def device(self, udid: str) -> SimulatedIPhone:
        return self.devices[udid]

    # ---------------------------------------------------------------- async lifecycle

    async def astart(self) -> str:
        self._loop = asyncio.get_running_loop()
        await self.usbmuxd.start()
        for udid, dev in self.devices.items():
            self._device_tasks.append(self._loop.create_task(dev.run(), name=f"iphone-{udid}"))
            ep = DeviceEndpoint(dev, self._services, paired=udid not in self._unpaired, tls=self.tls)
            self._endpoints[udid] = ep
            self.usbmuxd.add(ep)
        self._running = True
        return self.address

    async def astop(self) -> None:
        if not self._running:
            return
        self._running = False
        for t in self._device_tasks:
            t.cancel()
        if self._device_tasks:
            await asyncio.gather(*self._device_tasks, return_exceptions=True)
        self._device_tasks.clear()
        await self.usbmuxd.stop()

    async def __aenter__(self) -> IosSimulator:
        await self.astart()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.astop()

    # ---------------------------------------------------------------- thread runner

    def start(self) -> str:
        """Run the simulator on a private loop in a daemon thread; returns the usbmuxd address."""
        if self._thread is not None:
            return self.address
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._thread = threading.Thread(target=main, name="ios-simulator", daemon=True)
        self._thread.start()
        ready.wait()
        return asyncio.run_coroutine_threadsafe(self.astart(), loop).result(timeout=30)

    def stop(self) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        self._thread = None
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.astop(), loop).result(timeout=10)

        async def drain() -> None:
            # let cancelled connection tasks finish so nothing is destroyed while pending
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(drain(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()

    def __enter__(self) -> IosSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the simulator's loop (from any thread) and return its result."""
        return call_on_loop(self._loop, fn)

    # ---------------------------------------------------------------- fault injection

    def unplug(self, udid: str) -> None:
        """Detach the phone: Listen clients get Detached, open connections to it drop."""
        self.call(lambda: self.usbmuxd.remove(udid))

    def plug(self, udid: str) -> None:
        """Re-attach a phone removed with unplug() (new DeviceID, like a real re-plug)."""
        ep = self._endpoints[udid]
        self.call(lambda: self.usbmuxd.add(ep) if self.usbmuxd.endpoint(udid) is None else None)

    def drop_dvt(self, udid: str) -> int:
        """Cut the phone's open DVT connections (a tunnel or cable that went away); returns how many there were."""
        return self.devices[udid].drop_dvt()

    def set_paired(self, udid: str, paired: bool) -> None:
        """An unpaired phone has no pair record in usbmuxd and rejects StartSession (InvalidHostID)."""
        self._endpoints[udid].paired = paired

    def kill(self) -> None:
        """Stop abruptly from any thread (clients mid-stream see the connection drop)."""
        if self._thread is not None:
            self.stop()
        elif self._loop is not None:
            self._loop.create_task(self.astop())

    def run_coroutine(self, coro: Any, timeout: float = 30) -> Any:
        """Run a coroutine on the simulator loop from another thread."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=timeout)
