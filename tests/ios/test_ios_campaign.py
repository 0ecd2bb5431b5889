"""`bgprobe run` on simulated iPhones through the real pymobiledevice3: natural BGTask runs judged
from dasd / BackgroundTasks log lines, conditions without an iOS equivalent skipped, a forced launch
recorded with the prerequisite that is missing (no lldb, no iOS 17 tunnel here)."""

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
    # the simulated phone decides (dasd may defer, jetsam may kill): any app outcome, never infrastructure
    assert natural and all(r["outcome"] not in ("device_lost", "skipped") for r in natural)
    assert any(r["outcome"] == "success" and r["started"] and r["finished"] for r in natural), natural
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
