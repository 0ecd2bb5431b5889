"""`bgprobe run` on simulated iPhones through the real pymobiledevice3: natural BGTask runs judged
from dasd / BackgroundTasks log lines, conditions without an iOS equivalent skipped, a forced launch
recorded with the prerequisite that is missing (no lldb, no iOS 17 tunnel here); app refresh rare, processing
on the charger, nothing in Low Power Mode, and the same outcomes from the same seed."""

from __future__ import annotations

import json

import pytest
from bgprobe.sim.ios.fleet import IosSimulator

from tests.ios.conftest import cli

SCENARIO = """
[campaign]
name = "ios"
repetitions = 2
attempt_timeout = "4s"
settle = "0.2s"

[[app]]
bundle = "com.example.newsreader"

[[task]]
name = "refresh"
identifier = "com.example.newsreader.refresh"
trigger = "natural"
window = "6s"

[[task]]
name = "forced-refresh"
identifier = "com.example.newsreader.refresh"
trigger = "forced"

[[condition]]
name = "baseline"

[[condition]]
name = "doze"
set = { doze = "deep" }
"""


def test_ios_campaign(sim: IosSimulator, isolated_home, tmp_path):
    scenario = tmp_path / "ios.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "results"
    paired = [u for u in sim.udids if u != sim.udids[2]]
    result = cli(
        sim, isolated_home, "run", str(scenario), "--out", str(out), "--quiet", "--udid", paired[0], timeout=180
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in (out / "attempts.jsonl").read_text().splitlines()]
    assert {r["device"] for r in rows} == {paired[0]}
    assert all(r["platform"] == "ios" and r["manufacturer"] == "Apple" for r in rows)
    natural = [r for r in rows if r["task"] == "refresh" and r["condition"] == "baseline"]
    # dasd spaces the news app's refreshes hours apart (its daily budget): none in a campaign of minutes
    assert len(natural) == 2 and all(r["outcome"] == "not_started" for r in natural), natural
    assert all(r["reason"] == "the OS did not run it within 6s" for r in natural)
    forced = [r for r in rows if r["task"] == "forced-refresh" and r["condition"] == "baseline"]
    assert forced and all(r["outcome"] == "not_started" for r in forced)
    assert all("BGTask launch not possible" in (r["detail"] or "") for r in forced)
    doze = [r for r in rows if r["condition"] == "doze"]
    assert doze and all(r["outcome"] == "skipped" and "no iOS equivalent" in r["reason"] for r in doze)
    assert (out / "junit.xml").exists() and (out / "report.html").exists()


def test_iphones_on_two_usbmux_addresses_join_one_campaign(isolated_home, tmp_path):
    from bgprobe.sim.ios.profiles import make_profile

    first = IosSimulator([make_profile(10, 3, "16.7.8")], speed=600, seed=3)
    second = IosSimulator([make_profile(11, 3, "18.1")], speed=600, seed=4)
    first.start()
    second.start()
    try:
        scenario = tmp_path / "ios.toml"
        scenario.write_text(
            SCENARIO.replace("repetitions = 2", "repetitions = 1").split('[[task]]\nname = "forced')[0]
            + '[[condition]]\nname = "baseline"\n'
        )
        out = tmp_path / "results"
        result = cli(
            None,
            isolated_home,
            "run",
            str(scenario),
            "--out",
            str(out),
            "--quiet",
            "--usbmux",
            first.address,
            "--usbmux",
            second.address,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
        rows = [json.loads(line) for line in (out / "attempts.jsonl").read_text().splitlines()]
        assert {r["device"] for r in rows} == {first.udids[0], second.udids[0]}
        assert {r["os_version"] for r in rows} == {"16.7.8", "18.1"}
    finally:
        first.stop()
        second.stop()


@pytest.mark.fault
def test_a_serial_that_matches_no_phone_is_an_error_even_with_iphones(sim: IosSimulator, isolated_home, tmp_path):
    """`run -s SERIAL` for an Android phone that is not there used to run on the iPhones and exit 0."""
    scenario = tmp_path / "mixed.toml"
    scenario.write_text(
        SCENARIO.replace("[[app]]\nbundle", '[[app]]\npackage = "com.example.syncapp"\n\n[[app]]\nbundle')
        .replace('name = "refresh"\n', 'name = "refresh"\napp = "com.example.newsreader"\n')
        .replace('name = "forced-refresh"\n', 'name = "forced-refresh"\napp = "com.example.newsreader"\n')
        + '\n[[task]]\nname = "sync"\napp = "com.example.syncapp"\njob = 1042\n'
    )
    out = tmp_path / "results"
    result = cli(sim, isolated_home, "run", str(scenario), "--out", str(out), "--quiet", "-s", "no-such-phone")
    assert result.returncode == 3, result.stderr
    assert "adb server 127.0.0.1:9 is not reachable" in result.stderr  # -s names an Android phone: adb must answer
    assert not out.exists()


NATURAL = """
[campaign]
name = "ios-natural"
repetitions = 2
attempt_timeout = "3s"
settle = "0.2s"

[[app]]
bundle = "com.example.newsreader"

[[task]]
name = "refresh"
identifier = "com.example.newsreader.refresh"   # BGAppRefreshTask
trigger = "natural"
window = "2s"

[[task]]
name = "cleanup"
identifier = "com.example.newsreader.cleanup"   # BGProcessingTask, every 30 min
trigger = "natural"
window = "8s"

[[condition]]
name = "baseline"
"""


def _natural_campaign(isolated_home, out) -> tuple[list[dict], dict[str, list[str]]]:  # type: ignore[no-untyped-def]
    """Two iPhones on the charger at 300x, the second in Low Power Mode: (attempt rows, dasd's lines per phone)."""
    from dataclasses import replace

    from bgprobe.sim.ios.profiles import make_profile

    profiles = [make_profile(30, 5, "16.7.8"), replace(make_profile(31, 5, "16.7.8"), low_power=True)]
    sim = IosSimulator(profiles, speed=300, seed=5)
    sim.start()
    try:
        for udid in sim.udids:
            sim.device(udid).set_conditions(charging=True)
        scenario = out.parent / "natural.toml"
        scenario.write_text(NATURAL)
        result = cli(sim, isolated_home, "run", str(scenario), "--out", str(out), "--quiet", timeout=240)
        assert result.returncode in (0, 1), result.stderr
        dasd = {u: [r.message for r in sim.device(u).history if r.process == "dasd"] for u in sim.udids}
    finally:
        sim.stop()
    return [json.loads(line) for line in (out / "attempts.jsonl").read_text().splitlines()], dasd


def test_natural_bgtasks_rare_refresh_processing_on_the_charger_nothing_in_low_power(isolated_home, tmp_path):
    """A short campaign shows what Apple describes: app refresh does not come within minutes (the app's budget
    spaces it out by hours), processing runs on the charger while the phone is idle, and in Low Power Mode
    nothing runs, dasd's LowPowerModePolicy saying why. Run twice with the same seed: the same attempts and
    outcomes."""
    runs = []
    for n in (1, 2):
        rows, dasd = _natural_campaign(isolated_home, tmp_path / f"run{n}")
        by_device: dict[str, dict[str, list[str]]] = {}
        for r in rows:
            by_device.setdefault(r["device"], {}).setdefault(r["task"], []).append(r["outcome"])
        low_power = next(u for u in by_device if any("LowPowerModePolicy" in m for m in dasd[u]))
        normal = next(u for u in by_device if u != low_power)
        assert by_device[normal] == {"refresh": ["not_started"] * 2, "cleanup": ["success"] * 2}, rows
        assert by_device[low_power] == {"refresh": ["not_started"] * 2, "cleanup": ["not_started"] * 2}, rows
        # the attempt says why, in dasd's words (its evaluations come every 15 device minutes: by the cleanup
        # attempts, after the refresh ones, at least one was logged)
        details = [r["detail"] for r in rows if r["device"] == low_power and r["task"] == "cleanup"]
        assert all("dasd's last evaluation: Must Not Proceed" in d and "LowPowerModePolicy" in d for d in details)
        assert not any("LowPowerModePolicy" in m for m in dasd[normal])
        assert any(
            "bgProcessing-com.example.newsreader.cleanup" in m and "LowPowerModePolicy" in m for m in dasd[low_power]
        )
        # the refresh waits for its turn: dasd's evaluations say the app's budget holds it back
        assert any("bgRefresh-com.example.newsreader.refresh" in m and "ApplicationPolicy" in m for m in dasd[normal])
        runs.append(
            sorted((r["device"], r["task"], r["repetition"], r["attempt"], r["outcome"], r["reason"]) for r in rows)
        )
    assert runs[0] == runs[1]


HOT = (
    NATURAL.replace('name = "ios-natural"', 'name = "ios-hot"')
    .replace("repetitions = 2", "repetitions = 1")
    .replace(
        '[[task]]\nname = "refresh"\nidentifier = "com.example.newsreader.refresh"   # BGAppRefreshTask\n'
        'trigger = "natural"\nwindow = "2s"\n\n',
        "",
    )
    + '\n[[condition]]\nname = "hot"\nios = { thermal = "serious" }\n'
)


def test_a_thermal_condition_is_held_through_dvt_and_defers_processing(isolated_home, tmp_path):
    """A campaign condition goes through pymobiledevice3's DVT ConditionInducer to the phone: under
    ThermalSerious dasd's ThermalPolicy holds the processing task back; it ran in the baseline block. The
    condition is gone from the phone and the journal afterwards."""
    from bgprobe.collectors.journal import Journal, ios_key
    from bgprobe.sim.ios.profiles import make_profile

    assert '"hot"' in HOT and "refresh" not in HOT
    sim = IosSimulator([make_profile(32, 5, "16.7.8")], speed=300, seed=5)
    sim.start()
    try:
        udid = sim.udids[0]
        dev = sim.device(udid)
        dev.set_conditions(charging=True)
        (tmp_path / "hot.toml").write_text(HOT)
        out = tmp_path / "out"
        result = cli(sim, isolated_home, "run", str(tmp_path / "hot.toml"), "--out", str(out), "--quiet", timeout=240)
        assert result.returncode in (0, 1), result.stderr
        rows = [json.loads(line) for line in (out / "attempts.jsonl").read_text().splitlines()]
        assert [(r["condition"], r["outcome"]) for r in rows] == [("baseline", "success"), ("hot", "not_started")]
        dasd = [r.message for r in dev.history if r.process == "dasd"]
        assert any("bgProcessing-com.example.newsreader.cleanup" in m and "ThermalPolicy" in m for m in dasd)
        assert dev.induced is None and dev.thermal is None
        assert Journal(ios_key(udid)).pending() == []
    finally:
        sim.stop()
