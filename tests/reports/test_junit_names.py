"""junit.xml as CI viewers read it: suites named by the phone's name, classnames that Jenkins splits
into OS (package) and phone (class) and that keep GitLab's (classname, name) pairs unique, a
testcase per task run, and `time` from the attempts' durations."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers import invoke
from tests.reports.gen import task_run, write_results

junitparser = pytest.importorskip("junitparser")

ANNA = "00008110-0001"  # an iPhone with a name
TWIN_A, TWIN_B = "00008030-000A", "00008030-000B"  # two iPhones both called "iPhone"
NAMELESS = "00008101-000C"  # an iPhone that devices.jsonl does not name


def _ios(rows: list[dict], udid: str, version: str, model: str) -> list[dict]:
    for row in rows:
        row.update(platform="ios", device=udid, os_version=version, os_major=int(version.split(".")[0]))
        row.update(manufacturer="Apple", model=model, attempt_id=row["attempt_id"].replace("dev1", udid))
    return rows


@pytest.fixture(scope="module")
def junit(tmp_path_factory) -> Path:
    pixel = {"os_version": "14", "manufacturer": "Google", "model": "Pixel 8", "condition": "doze-deep"}
    rows = task_run(["success"], device="sim-pixel8-01", **pixel)
    rows += task_run(["killed", "killed"], device="sim-pixel8-01", repetition=2, reasons=["lmkd", "lmkd"], **pixel)
    rows += task_run(["success"], device="sim-pixel8-02", **pixel)  # the same model: classnames must differ
    moto = task_run(["timeout"], device="ZY2244", os_version="10", manufacturer="motorola", model="moto g7 v1.2")
    moto[0].update(started=None, duration_s=None)  # never started: its wall time, scheduled -> finished, counts
    rows += moto
    never = task_run(
        ["not_started"], device="ZY2244", os_version="10", manufacturer="motorola", model="moto g7 v1.2", task="upload"
    )
    never[0].update(started=None, finished=None, duration_s=None)  # no time at all
    rows += never
    rows += _ios(task_run(["success"], task="refresh", condition="baseline"), ANNA, "17.4.1", "iPhone14,5")
    rows += _ios(task_run(["success"], task="refresh"), TWIN_A, "16.7", "iPhone12,1")
    rows += _ios(task_run(["device_lost"], task="refresh"), TWIN_B, "16.7", "iPhone12,1")
    rows += _ios(task_run(["success"], task="refresh"), NAMELESS, "17.0", "iPhone13,2")
    directory = write_results(tmp_path_factory.mktemp("junit") / "results", rows)
    devices = [
        {"device": "sim-pixel8-01", "serial": "127.0.0.1:5555", "platform": "android", "model": "Pixel 8"},
        {"device": ANNA, "serial": ANNA, "platform": "ios", "model": "iPhone14,5", "name": "Anna's iPhone"},
        {"device": TWIN_A, "serial": TWIN_A, "platform": "ios", "model": "iPhone12,1", "name": "iPhone"},
        {"device": TWIN_B, "serial": TWIN_B, "platform": "ios", "model": "iPhone12,1", "name": "iPhone"},
    ]
    (directory / "devices.jsonl").write_text("".join(json.dumps(d) + "\n" for d in devices))
    # What an older bgprobe left next to it: a devices.parquet without `name`. The .jsonl is read.
    pd.DataFrame(devices).drop(columns="name").to_parquet(directory / "devices.parquet")
    target = directory / "junit.xml"
    proc = invoke("report", str(directory), "--format", "junit", "-o", str(target))
    assert proc.returncode == 0, proc.stderr
    return target


def test_suites_are_named_by_the_phone(junit):
    suites = [suite.name for suite in junitparser.JUnitXml.fromfile(str(junit))]
    # Android before iOS, OS versions in numeric order (10 before 14), then by name.
    assert suites == [
        "ZY2244 (Android 10, motorola moto g7 v1.2)",
        "sim-pixel8-01 (Android 14, Google Pixel 8)",
        "sim-pixel8-02 (Android 14, Google Pixel 8)",
        f"iPhone [{TWIN_A}] (iOS 16.7, Apple iPhone12,1)",  # two phones called "iPhone": told apart
        f"iPhone [{TWIN_B}] (iOS 16.7, Apple iPhone12,1)",
        f"{NAMELESS} (iOS 17.0, Apple iPhone13,2)",  # nothing else known: the UDID
        "Anna's iPhone (iOS 17.4.1, Apple iPhone14,5)",
    ]
    anna = next(s for s in junitparser.JUnitXml.fromfile(str(junit)) if s.name.startswith("Anna"))
    properties = {p.name: p.value for p in anna.properties()}
    assert properties["device"] == ANNA and properties["name"] == "Anna's iPhone"


def test_classnames_split_into_os_and_phone(junit):
    cases = [(case.classname, case.name) for suite in junitparser.JUnitXml.fromfile(str(junit)) for case in suite]
    # Jenkins: package = before the last dot, class = after it.
    split = {classname.rpartition(".")[::2] for classname, _ in cases}
    assert split == {
        ("Android 10", "motorola moto g7 v1_2 (ZY2244)"),  # the model's dot would have moved the split
        ("Android 14", "Google Pixel 8 (sim-pixel8-01)"),
        ("Android 14", "Google Pixel 8 (sim-pixel8-02)"),
        ("iOS 16.7", f"Apple iPhone12,1 (iPhone [{TWIN_A}])"),
        ("iOS 16.7", f"Apple iPhone12,1 (iPhone [{TWIN_B}])"),
        ("iOS 17.0", f"Apple iPhone13,2 ({NAMELESS})"),
        ("iOS 17.4.1", "Apple iPhone14,5 (Anna's iPhone)"),
    }
    assert len(set(cases)) == len(cases)  # GitLab keeps only the first of equal (classname, name) pairs
    names = {name for _, name in cases}
    assert {"sync under doze-deep, run 1", "sync under doze-deep, run 2", "refresh under baseline, run 1"} <= names


def test_a_testcase_per_task_run_with_its_attempts(junit):
    suites = {suite.name: suite for suite in junitparser.JUnitXml.fromfile(str(junit))}
    pixel = {case.name: case for case in suites["sim-pixel8-01 (Android 14, Google Pixel 8)"]}
    assert pixel["sync under doze-deep, run 1"].is_passed
    failure = pixel["sync under doze-deep, run 2"].result[0]
    assert isinstance(failure, junitparser.Failure)
    assert failure.message == "never succeeded in 2 attempts: killed ×2 (lmkd ×2)"
    assert failure.text == "attempt 1: killed (lmkd), 9.0s\nattempt 2: killed (lmkd), 9.0s"
    lost = next(iter(suites[f"iPhone [{TWIN_B}] (iOS 16.7, Apple iPhone12,1)"]))
    assert isinstance(lost.result[0], junitparser.Skipped)  # a lost phone says nothing about the app
    assert "device_lost" in lost.result[0].message
    xml = junitparser.JUnitXml.fromfile(str(junit))
    written = [(s.tests, s.failures, s.skipped, round(s.time, 3)) for s in xml]
    assert (xml.tests, xml.failures, xml.skipped) == (9, 3, 1)  # task runs, never succeeded, inconclusive
    for suite in xml:
        suite.update_statistics()  # recounted from its testcases: the written figures must agree
    assert [(s.tests, s.failures, s.skipped, round(s.time, 3)) for s in xml] == written


def test_times_are_the_attempts_durations(junit):
    suites = {suite.name: suite for suite in junitparser.JUnitXml.fromfile(str(junit))}
    pixel = suites["sim-pixel8-01 (Android 14, Google Pixel 8)"]
    assert {case.name: case.time for case in pixel} == {
        "sync under doze-deep, run 1": 9.0,
        "sync under doze-deep, run 2": 18.0,  # both attempts
    }
    assert pixel.time == 27.0
    moto = {case.name: case.time for case in suites["ZY2244 (Android 10, motorola moto g7 v1.2)"]}
    assert moto["sync under baseline, run 1"] == 10.0  # never started: scheduled -> finished
    assert moto["upload under baseline, run 1"] == 0.0  # nothing recorded; written as 0, not left out
    text = junit.read_text()
    assert text.count('time="') == text.count("<testcase") + text.count("<testsuite")  # every one has a time
    root = junitparser.JUnitXml.fromfile(str(junit))
    assert root.time == pytest.approx(sum(suite.time for suite in root))
