"""Fixtures for driving the REAL pymobiledevice3 against the simulated iOS stack.

HOME isolation: pmd3 fixes its home folder (`pymobiledevice3.common._HOMEFOLDER`) when it is first
imported, so setting HOME later does not move it. API tests therefore pass
`pairing_records_cache_folder=<tmp>` (the only home write on the paths used here) and also point
HOME at a tmp dir; CLI tests run pmd3 in a child process whose HOME is a tmp dir from the start.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bgprobe.sim.ios.fleet import IosSimulator


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("USBMUXD_SOCKET_ADDRESS", raising=False)
    return home


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    d = tmp_path / "pmd3-cache"
    d.mkdir()
    return d


@pytest.fixture(scope="module")
def threaded_sim() -> Iterator[IosSimulator]:
    sim = IosSimulator(2, speed=600, seed=7)
    sim.start()
    yield sim
    sim.stop()
