"""A simulated fleet behind the real adb server (Debian's adb when installed, else adbutils' adb 36),
shared by the live-command tests. Nothing here mocks adbutils: commands go CLI -> adbutils -> adb
server -> simulated adbd -> the simulated phone's shell."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from bgprobe.sim.fleet import SimFleet

PKG = "com.example.syncapp"
FLEET: list[SimFleet] = []  # the session's fleet, for helpers that are not fixtures


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimFleet]:
    # 7 devices: one of each default profile, Android 9 to 15 (the Huawei ignores bucket changes).
    f = SimFleet(android=7, ios=0, speed=60.0, seed=7)
    f.start()
    FLEET.append(f)
    yield f
    FLEET.remove(f)
    f.stop()


@pytest.fixture
def env(fleet: SimFleet, tmp_path: Path) -> dict[str, str]:
    """What a user exports after `bgprobe sim start`, plus a private state directory (journals)."""
    return {
        "ADB_SERVER_SOCKET": f"tcp:127.0.0.1:{fleet.adb_port}",
        "ANDROID_ADB_SERVER_PORT": str(fleet.adb_port),
        "BGPROBE_STATE_DIR": str(tmp_path / "state"),
        "ANDROID_SERIAL": "",
    }


def serial_of(fleet: SimFleet, release: str) -> str:
    return next(s for s, d in fleet.devices.items() if d.profile.release == release)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
