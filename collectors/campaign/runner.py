"""`bgprobe run`: a scenario on every selected device at once, one worker per device.

The plan (device × condition × task × repetition) is fixed up front and written down; `--shard I/N`
keeps a deterministic part of it (split by device × task × condition, so a CI matrix can spread
one campaign over hosts); `--resume DIR` runs only what the results journal does not hold yet.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bgprobe.collectors.android.adb import AdbServer, AndroidDevice, list_devices
from bgprobe.collectors.android.info import facts_of_many
from bgprobe.collectors.campaign.android_worker import AndroidWorker
from bgprobe.collectors.campaign.ios_worker import IosWorker
from bgprobe.collectors.campaign.results import ResultsDir, TaskRun
from bgprobe.collectors.campaign.scenario import Scenario
from bgprobe.collectors.campaign.worker import DeviceProgress, Worker, WorkerFailure
from bgprobe.collectors.errors import DeviceError, UsageError
from bgprobe.collectors.interrupts import sigterm_as_interrupt
from bgprobe.collectors.ios.address import IosTarget
from bgprobe.collectors.journal import ios_key
from bgprobe.collectors.locks import DeviceLocks


class ShardError(UsageError):
    pass


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    i, sep, n = text.partition("/")
    if not sep or not i.isdigit() or not n.isdigit() or not 1 <= int(i) <= int(n):
        raise ShardError(f"--shard {text!r}: expected I/N with 1 <= I <= N (e.g. 2/4)")
    return int(i), int(n)


def plan(scenario: Scenario, devices: Mapping[str, str] | list[str], shard: tuple[int, int] | None) -> list[TaskRun]:
    """Every task run of the campaign: device × condition × task (of the device's platform) ×
    repetition, in a fixed order; with a shard, only the units whose hash falls in it."""
    platforms = devices if isinstance(devices, Mapping) else dict.fromkeys(devices, "android")
    runs = []
    for device in sorted(platforms):
        for condition in scenario.conditions:
            for task in scenario.tasks:
                if task.platform != platforms[device]:
                    continue
                unit = f"{device}|{condition.name}|{task.name}"
                if shard and zlib.crc32(unit.encode()) % shard[1] != shard[0] - 1:
                    continue
                runs += [TaskRun(device, condition.name, task.name, rep) for rep in range(1, scenario.repetitions + 1)]
    return runs


@dataclass
class Campaign:
    scenario: Scenario
    devices: list[AndroidDevice]
    shard: tuple[int, int] | None = None
    device_wait: float = 20.0
    ios_targets: list[IosTarget] = field(default_factory=list)  # one per usbmux address
    progress: dict[str, DeviceProgress] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    results: ResultsDir | None = None
    _android: dict[str, tuple[AndroidDevice, Any]] = field(default_factory=dict)
    _iphones: dict[str, tuple[IosTarget, Any]] = field(default_factory=dict)
    _workers: list[Worker] = field(default_factory=list)

    def reserve(self, locks: DeviceLocks) -> None:
        """Find the phones the campaign will use and take their locks (DeviceBusy names a holder
        that kept one past the wait): no other bgprobe changes them while this one runs."""
        facts = facts_of_many(self.devices)
        self._android = {d.key: (d, f) for d, f in zip(self.devices, facts, strict=True) if not f.error}
        self._iphones = self._ios_facts()
        if not self._android and not self._iphones:
            raise DeviceError("no device could be reached for the campaign")
        for key, (dev, _) in self._android.items():
            locks.take(key, dev.serial)
        for udid in self._iphones:
            locks.take(ios_key(udid), udid)

    def start(self, results: ResultsDir, reconnect: Callable[[str], AndroidDevice | None] | None = None) -> None:
        self.results = results
        platforms = {**dict.fromkeys(self._android, "android"), **dict.fromkeys(self._iphones, "ios")}
        runs = plan(self.scenario, platforms, self.shard)
        if not (results.path / "plan.jsonl").exists():
            results.write_plan(runs)
        for key, (dev, f) in self._android.items():
            results.record_device(
                {
                    "device": key,
                    "serial": dev.serial,
                    "server": str(dev.server),
                    "platform": "android",
                    "os_version": f.os_version,
                    "sdk": f.sdk,
                    "manufacturer": f.manufacturer,
                    "model": f.model,
                }
            )
            self._launch(
                AndroidWorker,
                key,
                f.model,
                f.os_version,
                runs,
                dev,
                {"os_version": f.os_version, "sdk": f.sdk, "manufacturer": f.manufacturer, "model": f.model},
                reconnect=(lambda k=key: reconnect(k)) if reconnect else None,
            )
        for udid, (target, f) in self._iphones.items():
            results.record_device(
                {
                    "device": udid,
                    "serial": udid,
                    "server": target.where,
                    "platform": "ios",
                    "os_version": f.os_version,
                    "build": f.build,
                    "manufacturer": "Apple",
                    "model": f.model,
                    "name": f.name,
                }
            )
            self._launch(
                IosWorker,
                udid,
                f.model,
                f.os_version,
                runs,
                target,
                udid,
                {"os_version": f.os_version, "manufacturer": "Apple", "model": f.model},
                name=f.name,
            )

    def _launch(
        self,
        worker_class: type,
        key: str,
        model: str | None,
        version: str | None,
        runs: list[TaskRun],
        *args: object,
        name: str | None = None,
        **kwargs: object,
    ) -> None:
        mine = [r for r in runs if r.device == key]
        progress = DeviceProgress(key, model or "", version or "", total=len(mine), name=name or "")
        self.progress[key] = progress
        shard_text = f"{self.shard[0]}/{self.shard[1]}" if self.shard else None
        assert self.results is not None
        worker = worker_class(
            *args,
            self.scenario,
            mine,
            self.results,
            self.stop,
            progress,
            shard=shard_text,
            wait_for_return_s=self.device_wait,
            **kwargs,
        )
        self._workers.append(worker)
        thread = threading.Thread(target=worker.run, name=f"campaign-{key}", daemon=True)
        self.threads.append(thread)
        thread.start()

    def _ios_facts(self) -> dict[str, tuple[IosTarget, Any]]:
        """iPhones on every usbmux address (each UDID once), when the scenario has iOS tasks."""
        if not self.ios_targets or not any(t.platform == "ios" for t in self.scenario.tasks):
            return {}
        from bgprobe.collectors.ios.info import all_facts
        from bgprobe.collectors.ios.transport import run

        found: dict[str, tuple[IosTarget, Any]] = {}
        for target in self.ios_targets:
            for f in run(all_facts(target)):
                if not f.error and f.id not in found:
                    found[f.id] = (target, f)
        return found

    def running(self) -> bool:
        return any(t.is_alive() for t in self.threads)

    def wait(self, tick: Callable[[], None] | None = None, every_s: float = 0.5) -> None:
        while self.running():
            if tick:
                tick()
            time.sleep(every_s)
        if tick:
            tick()

    def interrupt(self) -> None:
        """Ctrl-C / SIGTERM: start no new attempt; workers restore their devices and return."""
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)

    def lost_devices(self) -> list[str]:
        return [k for k, p in self.progress.items() if p.lost]

    def failures(self) -> list[WorkerFailure]:
        """Workers that ended on an error (a bug, or a local fault such as a full disk)."""
        return [w.failure for w in self._workers if w.failure is not None]


@dataclass
class CampaignEnd:
    """How a campaign ended: interrupted, devices lost on the way, workers that failed."""

    path: Path
    interrupted: bool
    lost: list[str]
    failures: list[WorkerFailure]


def run_campaign(
    campaign: Campaign,
    results: ResultsDir,
    servers: list[AdbServer],
    timeout: float,
    *,
    tick: Callable[[], None] | None = None,
    on_interrupt: Callable[[], None] | None = None,
) -> CampaignEnd:
    """Run a reserved campaign to its end, or to Ctrl-C / SIGTERM (no new attempt; every worker puts
    its phone back first), and close its results directory."""
    interrupted = False
    with sigterm_as_interrupt():
        try:
            campaign.start(results, reconnector(servers, timeout))
            campaign.wait(tick=tick)
        except KeyboardInterrupt:
            interrupted = True
            if on_interrupt:
                on_interrupt()
            campaign.interrupt()
    results.finish(interrupted=interrupted)
    return CampaignEnd(results.path, interrupted, campaign.lost_devices(), campaign.failures())


def reconnector(servers: list[AdbServer], timeout: float) -> Callable[[str], AndroidDevice | None]:
    """Find a lost device again by its identity (it may come back under the same adb serial)."""

    def find(identity: str) -> AndroidDevice | None:
        try:
            for listed in list_devices(servers, timeout=timeout):
                if listed.state != "device":
                    continue
                dev = AndroidDevice(listed.server, listed.serial, timeout=timeout)
                if dev.key == identity:
                    return dev
        except DeviceError:
            return None
        return None

    return find


def results_path(out: str | None, scenario: Scenario) -> Path:
    if out:
        return Path(out)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("bgprobe-results") / f"{scenario.name}-{stamp}"
