"""iOS tests: HOME, pmd3's pairing cache and bgprobe's state directory isolated (as tests/sim_ios does);
live tests run the REAL CLI in a child process against the simulated iPhones."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bgprobe.sim.ios.fleet import IosSimulator
from bgprobe.sim.ios.profiles import make_profile

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "ios"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("BGPROBE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("BGPROBE_PAIRING_RECORDS", str(tmp_path / "pairing"))
    for name in ("USBMUXD_SOCKET_ADDRESS", "PYMOBILEDEVICE3_USBMUX", "PYMOBILEDEVICE3_UDID"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(scope="module")
def sim() -> Iterator[IosSimulator]:
    """iOS 16.7.8 and 17.5.1 paired, 18.1 unpaired (its Trust dialog would never be answered)."""
    profiles = [make_profile(0, 7, "16.7.8"), make_profile(1, 7, "17.5.1"), make_profile(2, 7, "18.1")]
    s = IosSimulator(profiles, speed=600, seed=7, unpaired=[profiles[2].udid])
    s.start()
    yield s
    s.stop()


def cli(
    sim: IosSimulator | None, home: Path, *args: str, timeout: float = 30, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        "HOME": str(home),
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "ADB_SERVER_SOCKET": "tcp:127.0.0.1:9",
        **(sim.env() if sim else {}),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "bgprobe.cli", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
