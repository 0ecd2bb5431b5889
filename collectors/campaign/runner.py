"""`bgprobe run`: a scenario on every selected device at once, one worker per device.

The plan (device × condition × task × repetition) is fixed up front and written down; `--shard I/N`
keeps a deterministic part of it (split by device × task × condition, so a CI matrix can spread
one campaign over hosts); `--resume DIR` runs only what the results journal does not hold yet.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bgprobe.collectors.android.adb import AndroidDevice, DeviceError, list_devices
from bgprobe.collectors.android.info import facts_of_many
from bgprobe.collectors.campaign.android_worker import AndroidWorker, DeviceProgress
from bgprobe.collectors.campaign.results import ResultsDir, TaskRun
from bgprobe.collectors.campaign.scenario import Scenario
from bgprobe.collectors.errors import EXIT_USAGE, BgprobeError


class ShardError(BgprobeError):
    exit_code = EXIT_USAGE


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    i, sep, n = text.partition("/")
    if not sep or not i.isdigit() or not n.isdigit() or not 1 <= int(i) <= int(n):
        raise ShardError(f"--shard {text!r}: expected I/N with 1 <= I <= N (e.g. 2/4)")
    return int(i), int(n)


def plan(scenario: Scenario, devices: list[str], shard: tuple[int, int] | None) -> list[TaskRun]:
    runs = []
    for device in sorted(devices):
        for condition in scenario.conditions:
            for task in scenario.tasks:
                unit = f"{device}|{condition.name}|{task.name}"
                if shard and zlib.crc32(unit.encode()) % shard[1] != shard[0] - 1:
                    continue
                runs += [TaskRun(device, condition.name, task.name, rep) for rep in range(1, scenario.repetitions + 1)]
    return runs


@dataclass
class Campaign:
    scenario: Scenario
    results: ResultsDir
    devices: list[AndroidDevice]
    shard: tuple[int, int] | None = None
    device_wait: float = 20.0
    progress: dict[str, DeviceProgress] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self, reconnect: Callable[[str], AndroidDevice | None] | None = None) -> None:
        facts = facts_of_many(self.devices)
        usable = [(d, f) for d, f in zip(self.devices, facts, strict=True) if not f.error]
        if not usable:
            raise DeviceError("no device could be reached for the campaign")
        identities = {d.key: (d, f) for d, f in usable}
        shard_text = f"{self.shard[0]}/{self.shard[1]}" if self.shard else None
        runs = plan(self.scenario, list(identities), self.shard)
        if not (self.results.path / "plan.jsonl").exists():
            self.results.write_plan(runs)
        for key, (dev, f) in identities.items():
            self.results.record_device(
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
            mine = [r for r in runs if r.device == key]
            progress = DeviceProgress(key, f.model or "", f.os_version or "", total=len(mine))
            self.progress[key] = progress
            worker = AndroidWorker(
                dev,
                {"os_version": f.os_version, "sdk": f.sdk, "manufacturer": f.manufacturer, "model": f.model},
                self.scenario,
                mine,
                self.results,
                self.stop,
                progress,
                shard=shard_text,
                wait_for_return_s=self.device_wait,
                reconnect=(lambda k=key: reconnect(k)) if reconnect else None,
            )
            thread = threading.Thread(target=worker.run, name=f"campaign-{dev.serial}", daemon=True)
            self.threads.append(thread)
            thread.start()

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


def reconnector(servers: list, timeout: float) -> Callable[[str], AndroidDevice | None]:  # type: ignore[type-arg]
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
