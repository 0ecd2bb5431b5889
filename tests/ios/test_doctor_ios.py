"""`bgprobe doctor BUNDLE --udid U` on the simulated iPhone, as far as its services allow: installed or not
(installation_proxy), recent jetsam and watchdog kills from its crash reports with their killer named,
and Background App Refresh / Low Power Mode said to be unreadable, with the settings path."""

from __future__ import annotations

import json
from pathlib import Path

from bgprobe.sim.ios.fleet import IosSimulator

from tests.ios.conftest import cli

APP = "com.example.fitsync"


def test_ios_doctor_reads_what_lockdown_allows(sim: IosSimulator, isolated_home: Path) -> None:
    udid = sim.udids[0]
    dev = sim.device(udid)
    dev.inject_jetsam(APP)
    dev.inject_watchdog(APP)
    r = cli(sim, isolated_home, "doctor", APP, "--udid", udid, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    st, verdict = doc["standing"], doc["verdict"]
    assert (st["platform"], st["manufacturer"], st["os_version"], st["app_version"]) == (
        "ios",
        "Apple",
        "16.7.8",
        "1.0",
    )
    facts = {f["key"]: f for f in st["facts"]}
    assert facts["installed"]["value"] == "yes"
    for key, entry in (
        ("background_app_refresh", "ios.background-app-refresh-off"),
        ("low_power", "ios.low-power-mode"),
    ):
        assert facts[key]["status"] == "check" and facts[key]["entry"] == entry
        assert "not readable" in facts[key]["value"]
    reasons = {d["reason"] for d in st["deaths"]}
    assert {"jetsam:per-process-limit", "watchdog:scene-update"} <= reasons
    killers = {f["reason"]: f for f in verdict["findings"] if f["kind"] == "death"}
    assert killers["jetsam:per-process-limit"]["entry_id"] == "ios.jetsam.per-process-limit"
    assert killers["watchdog:scene-update"]["entry_id"] == "ios.watchdog.scene-update"
    steps = {a["entry"]: a["change"] for a in verdict["settings"]}
    assert any("Background App Refresh" in s for s in steps["ios.background-app-refresh-off"])
    assert any("Low Power Mode" in s for s in steps["ios.low-power-mode"])
    # for a ticket: the phone's UDID and its owner's name for it are out
    assert st["name"] and st["name"] in r.stdout
    shared = cli(sim, isolated_home, "doctor", APP, "--udid", udid, "--json", "--redact")
    assert shared.returncode == 0 and udid not in shared.stdout and st["name"] not in shared.stdout
    assert json.loads(shared.stdout)["standing"]["name"] == "<user>"
    # the terminal view of the same
    shown = cli(sim, isolated_home, "doctor", APP, "--udid", udid)
    assert shown.returncode == 0, shown.stderr
    assert "Background App Refresh" in shown.stdout and "jetsam:per-process-limit" in shown.stdout


def test_ios_doctor_missing_app_exits_2_with_close_bundle_ids(sim: IosSimulator, isolated_home: Path) -> None:
    r = cli(sim, isolated_home, "doctor", "com.example.fitsink", "--udid", sim.udids[0])
    assert r.returncode == 2
    assert "com.example.fitsink is not installed" in r.stderr and "close names: com.example.fitsync" in r.stderr


def test_ios_doctor_on_an_unpaired_phone_exits_3(sim: IosSimulator, isolated_home: Path) -> None:
    r = cli(sim, isolated_home, "doctor", APP, "--udid", sim.udids[2])
    assert r.returncode == 3 and sim.udids[2] in r.stderr
