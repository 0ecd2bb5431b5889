"""The one Android log follower (collectors/android/logfollow.py) behind `watch`, `trigger` and campaigns
(issue 12): each reports an `ANR in` left open when its stream ends, keeps `com.foo`'s events apart from
`com.foobar`'s (event_concerns: the package or its `:processes`, never a prefix), and names the phone
by the journal's key (ro.serialno), not by its adb address.

Each test has its own phone on a real-time clock: no line of its own may complete the ANR first, and
one test's dropped phone is no other's.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bgprobe.sim.android.device import SimAndroidDevice
from bgprobe.sim.fleet import SimFleet

from tests.android.conftest import PKG, json_lines
from tests.helpers import wait_for_log_follower

LOOKALIKE = PKG + "x"  # `com.example.syncappx`: starts with PKG, is another app
SYSTEM_SERVER = 1537  # the simulated system_server's pid


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[tuple[SimFleet, str, dict[str, str]]]:
    with SimFleet(android=1, ios=0, speed=1.0, seed=3) as fleet:
        serial = next(iter(fleet.devices))
        env = {
            **os.environ,
            "ADB_SERVER_SOCKET": f"tcp:127.0.0.1:{fleet.adb_port}",
            "ANDROID_ADB_SERVER_PORT": str(fleet.adb_port),
            "ANDROID_SERIAL": "",
            "BGPROBE_STATE_DIR": str(tmp_path / "state"),
            "COLUMNS": "200",
        }
        yield fleet, serial, env


def bgprobe(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bgprobe.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def app_lines(dev: SimAndroidDevice) -> None:
    """A kill of the look-alike app, a kill of one of PKG's own processes, then an `ANR in` whose
    `PID:`/`Reason:` lines never come (ActivityManager logs them after the ANR's traces)."""
    dev.log("events", SYSTEM_SERVER, 1000, "I", "am_kill", f"[0,4321,{LOOKALIKE},900,empty #17]")
    dev.log("events", SYSTEM_SERVER, 1000, "I", "am_kill", f"[0,4322,{PKG}:sync,900,empty #18]")
    dev.log("system", SYSTEM_SERVER, 1000, "E", "ActivityManager", f"ANR in {PKG} ({PKG}/.MainActivity)")


def when_phone_gets(fleet: SimFleet, serial: str, command_part: str, action: Callable[[], Any]) -> threading.Event:
    """Run `action` on the phone when a command containing `command_part` reaches it, before its
    answer (which waits until the lines it logged have reached the host's log stream)."""
    fired = threading.Event()

    async def fault() -> None:
        action()
        fired.set()
        await asyncio.sleep(0.3)

    fleet.servers[serial].backend.faults[command_part] = fault  # type: ignore[attr-defined]
    return fired


def on_phone(fleet: SimFleet, action: Callable[[], Any]) -> Any:
    async def run() -> Any:
        return action()

    return fleet.loop.call(run())


def what_was_seen(events: list[dict[str, Any]]) -> dict[str, Any]:
    """All the checks at once (a failure shows every one that differs): the ANR, who was killed,
    whether any event is the look-alike's, and which device the events name."""
    return {
        "anrs": [(e["process"], e["device"]) for e in events if e["kind"] == "anr"],
        "kills": [e["process"] for e in events if e["kind"] == "process_killed"],
        "lookalike": [e for e in events if LOOKALIKE in (e["package"], (e["process"] or "").split(":")[0])],
        "devices": {e["device"] for e in events},
    }


def expected(dev: SimAndroidDevice) -> dict[str, Any]:
    key = dev.profile.serial  # ro.serialno: the journal's key, not the adb address 127.0.0.1:PORT
    return {"anrs": [(PKG, key)], "kills": [f"{PKG}:sync"], "lookalike": [], "devices": {key}}


def test_watch_reports_the_open_anr_at_the_end_and_only_the_apps_events(phone):
    fleet, serial, env = phone
    dev = fleet.device(serial)
    proc = bgprobe("watch", PKG, "-s", serial, "--json", "--duration", "30", env=env)
    wait_for_log_follower(dev)  # the stream is open
    fleet.loop.loop.call_soon_threadsafe(lambda: app_lines(dev))
    time.sleep(0.5)  # the lines reach the host; then the phone drops
    fleet.go_offline(serial)
    out, err = proc.communicate(timeout=40)
    assert what_was_seen(json_lines(out)) == expected(dev), err
    assert "log stream ended" in err


def test_trigger_reports_the_open_anr_at_the_end_and_only_the_apps_events(phone):
    """Under deep doze the forced job is held: trigger decides at its first look, and its follow ends
    with the ANR (logged as it polls) still waiting for its body."""
    fleet, serial, env = phone
    dev = fleet.device(serial)
    on_phone(fleet, lambda: dev.force_idle("deep"))
    fired = when_phone_gets(fleet, serial, "get-job-state", lambda: app_lines(dev))
    proc = bgprobe("trigger", PKG, "7", "-s", serial, "--wait", "15", "--json", env=env)
    out, err = proc.communicate(timeout=60)
    assert fired.is_set(), err
    (result,) = json_lines(out)
    assert result["outcome"] == "not_started" and "doze" in result["reason"], result
    # the result names the phone as its events and journal do (ro.serialno), and says how adb reached it
    assert result["device"] == dev.profile.serial and result["adb_serial"] == serial, result
    assert proc.returncode == 1
    assert what_was_seen(result["events"]) == expected(dev), err


def test_a_campaign_records_the_open_anr_when_the_phone_drops_and_only_the_apps_events(phone, tmp_path):
    fleet, serial, env = phone
    dev = fleet.device(serial)
    fired = when_phone_gets(fleet, serial, "jobscheduler run", lambda: app_lines(dev))
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        f"""[campaign]
name = "follow"
repetitions = 1
settle = "0.2s"
attempt_timeout = "60s"
[[app]]
package = "{PKG}"
[[task]]
name = "upload"
job = 7
trigger = "forced"
[[condition]]
name = "baseline"
"""
    )
    results = tmp_path / "results"
    proc = bgprobe("run", str(scenario), "--out", str(results), "--quiet", "-s", serial, env=env)
    assert fired.wait(60)
    time.sleep(0.5)  # the lines reach the host (and the trigger is answered); then the phone drops
    fleet.go_offline(serial)
    time.sleep(1.0)
    fleet.come_back(serial)
    _out, err = proc.communicate(timeout=90)
    (attempt,) = json_lines((results / "attempts.jsonl").read_text())
    assert attempt["outcome"] == "device_lost", (attempt, err)
    assert attempt["device"] == dev.profile.serial
    assert what_was_seen(json_lines((results / "events.jsonl").read_text())) == expected(dev), err
