"""Figures with known answers: Wilson intervals, rates, retries, time to success, infra outcomes, compare."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from bgprobe.reports.attempts import attempts_frame
from bgprobe.reports.metrics import (
    benjamini_hochberg,
    build_report,
    compare,
    summarize,
    task_runs,
    two_proportion_test,
    wilson_interval,
)
from bgprobe.reports.results import as_categories
from bgprobe.reports.schema import events_frame

from tests.reports.gen import many, task_run


def report_of(rows):
    frame = as_categories(attempts_frame(rows))
    return build_report(frame, events_frame([]))


def test_wilson_interval_matches_hand_computed_values():
    # 8/10: p=.8, z=1.9599640; z²=3.8414588; denominator 1+z²/10=1.3841459;
    # centre=(.8+z²/20)/1.3841459=.7167403; half=z·sqrt(.016+z²/400)/1.3841459=.2265778 → [.4901625, .9433178]
    low, high = wilson_interval(8, 10)
    assert float(low) == pytest.approx(0.4901625, abs=1e-6)
    assert float(high) == pytest.approx(0.9433178, abs=1e-6)
    # 0/10: [0, z²/(n+z²)] = [0, 3.841459/13.841459]
    low, high = wilson_interval(0, 10)
    assert float(low) == 0.0
    assert float(high) == pytest.approx(3.841459 / 13.841459, abs=1e-6)
    low, high = wilson_interval(np.array([50, 0]), np.array([100, 0]))
    assert low[0] == pytest.approx(0.403832, abs=1e-6) and high[0] == pytest.approx(0.596168, abs=1e-6)
    assert math.isnan(low[1]) and math.isnan(high[1])


def test_completion_rate_per_os_major_with_full_versions():
    rows = many(9, 1, device="a", os_version="14") + many(3, 1, device="b", os_version="14.1", task="t2")
    rows += many(1, 3, device="c", os_version="13")
    os = report_of(rows).tables["os"].set_index("os_major")
    assert os.loc[14, "task_runs"] == 14 and os.loc[14, "completed"] == 12
    assert os.loc[14, "rate"] == pytest.approx(12 / 14)
    assert os.loc[14, "versions"] == "14, 14.1"
    assert os.loc[13, "rate"] == pytest.approx(0.25)
    assert os.loc[13, "never_succeeded"] == 3
    low, high = wilson_interval(12, 14)
    assert os.loc[14, "ci_low"] == pytest.approx(float(low)) and os.loc[14, "ci_high"] == pytest.approx(float(high))
    assert list(os.index) == [13, 14]  # numeric order, not text order


def test_retries_mean_p90_max():
    # retries per task run: 0, 0, 1, 2, 4 (attempts 1, 1, 2, 3, 5)
    rows = []
    for rep, n in enumerate([1, 1, 2, 3, 5], 1):
        rows += task_run(["failure"] * (n - 1) + ["success"], repetition=rep)
    overall = report_of(rows).overall.iloc[0]
    assert overall["retries_mean"] == pytest.approx(7 / 5)
    assert overall["retries_p90"] == pytest.approx(np.percentile([0, 0, 1, 2, 4], 90))  # 3.2, linear
    assert overall["retries_max"] == 4
    assert overall["attempts"] == 12


def test_time_to_eventual_success_percentiles_and_never_succeeded_apart():
    # success on attempt k (gap 60 s, finish +10 s): TTES = 60(k-1)+10 → 10, 70, 130, 190; two never succeed
    rows = []
    for rep, k in enumerate([1, 2, 3, 4], 1):
        rows += task_run(["timeout"] * (k - 1) + ["success"], repetition=rep)
    rows += task_run(["killed", "killed"], repetition=10, reasons=["lmkd", "lmkd"])
    rows += task_run(["stopped"], repetition=11, reasons=["doze"])
    report = report_of(rows)
    overall = report.overall.iloc[0]
    expected = np.percentile([10, 70, 130, 190], [50, 90, 99])
    assert [overall["ttes_p50"], overall["ttes_p90"], overall["ttes_p99"]] == pytest.approx(list(expected))
    assert overall["never_succeeded"] == 2
    assert overall["task_runs"] == 6 and overall["completed"] == 4
    hist = report.ttes_hist.set_index("bin")["task_runs"]
    assert hist["never"] == 2 and hist.sum() == 6
    assert report.kills.set_index("reason").loc["lmkd", "attempts"] == 2
    assert report.stops.set_index("reason").loc["doze", "attempts"] == 1


def test_device_lost_is_shown_but_not_in_rates():
    rows = many(3, 1)
    rows += task_run(["device_lost"], repetition=20)  # only infra: inconclusive
    rows += task_run(["failure", "device_lost"], repetition=21)  # the retry never had its chance: inconclusive
    rows += task_run(["device_lost", "success"], repetition=22)  # succeeded after a loss: completed
    rows += task_run(["skipped"], repetition=23)
    overall = report_of(rows).overall.iloc[0]
    assert overall["task_runs"] == 5 and overall["completed"] == 4
    assert overall["rate"] == pytest.approx(0.8)
    assert overall["inconclusive"] == 3
    assert overall["device_lost"] == 3 and overall["skipped"] == 1
    assert overall["retries_max"] == 0  # device-lost attempts are not retries


def test_every_dimension_table():
    rows = many(2, 2, device="a", manufacturer="Xiaomi", model="M1", condition="doze-deep", task="upload")
    rows += many(4, 0, device="b", manufacturer="Google", model="Pixel 8", condition="baseline", task="sync")
    tables = report_of(rows).tables
    assert tables["manufacturer"].set_index("manufacturer").loc["Xiaomi", "rate"] == 0.5
    assert tables["model"].set_index("model").loc["Pixel 8", "rate"] == 1.0
    assert tables["condition"].set_index("condition").loc["doze-deep", "task_runs"] == 4
    assert tables["task"].set_index("task").loc["sync", "completed"] == 4
    assert set(tables["device"]["device"]) == {"a", "b"}


def test_summarize_agrees_with_plain_pandas():
    rng = np.random.default_rng(3)
    rows = []
    for rep in range(400):
        n = int(rng.integers(1, 5))
        outcomes = ["failure"] * (n - 1) + [("success" if rng.random() < 0.7 else "killed")]
        rows += task_run(
            outcomes, repetition=rep, os_version=str(int(rng.integers(10, 15))), gap_s=float(rng.integers(5, 500))
        )
    runs = task_runs(as_categories(attempts_frame(rows)))
    mine = summarize(runs, ["os_major"]).set_index("os_major")
    decided = runs[runs["decided"]]
    theirs = decided.groupby("os_major")
    assert (mine["task_runs"] == theirs.size()).all()
    assert np.allclose(mine["retries_p90"], theirs["retries"].quantile(0.9))
    assert np.allclose(mine["ttes_p90"], runs.groupby("os_major")["ttes_s"].quantile(0.9))
    assert np.allclose(mine["retries_mean"], theirs["retries"].mean())


def test_compare_flags_a_real_change_and_not_noise():
    base = many(40, 60, device="x", manufacturer="Xiaomi") + many(50, 50, device="g", manufacturer="Google")
    now = many(90, 10, device="x", manufacturer="Xiaomi") + many(52, 48, device="g", manufacturer="Google")
    result = compare(report_of(now), report_of(base))["manufacturer"].set_index("manufacturer")
    assert result.loc["Xiaomi", "change"] == "better"
    assert result.loc["Xiaomi", "p_value"] < 1e-10
    assert result.loc["Google", "change"] == ""
    assert result.loc["Google", "p_value"] == pytest.approx(0.7773, abs=1e-3)
    worse = compare(report_of(base), report_of(now))["manufacturer"].set_index("manufacturer")
    assert worse.loc["Xiaomi", "change"] == "worse"


def test_two_proportion_test_and_adjustment():
    p = two_proportion_test(
        np.array([50, 10, 0]), np.array([100, 10, 0]), np.array([52, 10, 5]), np.array([100, 10, 5])
    )
    # z = .02 / sqrt(.51·.49·.02) = .2829 → p = .7773 ; 10/10 vs 10/10: p = 1 ; an empty side: NaN
    assert p[0] == pytest.approx(0.7773, abs=1e-4) and p[1] == 1.0 and math.isnan(p[2])
    assert list(benjamini_hochberg(np.array([0.01, 0.04, 0.03]))) == pytest.approx([0.03, 0.04, 0.04])


def test_events_give_kills_by_reason_and_source_per_os_version():
    from tests.reports.gen import event

    events = events_frame_from(
        [
            event("process_killed", source="lmkd", reason="low_mem", pid=1, device="a", os_version="13"),
            event("process_died", source="logcat:ActivityManager", reason=None, pid=1, device="a", os_version="13"),
            event(
                "process_killed", source="lmkd", reason="low_mem", pid=1, device="b", os_version="14"
            ),  # same pid, other phone
            event("anr", source="logcat:ActivityManager", reason="input", pid=2, device="b", os_version="14"),
            event(
                "job_timeout",
                source="logcat:JobServiceContext",
                reason="execution_timeout",
                pid=None,
                device="b",
                os_version="14",
            ),
        ]
    )
    report = build_report(attempts_frame([]), events)
    summary = report.event_summary.set_index("os_version")
    assert summary.loc["13", "deaths"] == 1 and summary.loc["14", "deaths"] == 1
    assert summary.loc["14", "anrs"] == 1 and summary.loc["14", "job_timeouts"] == 1
    assert set(report.deaths["reason"]) == {"low_mem"}
    assert report.deaths["deaths"].sum() == 2


def events_frame_from(rows):
    from bgprobe.reports.events import Event

    return events_frame(Event(**r) for r in rows)


def test_empty_inputs_give_empty_tables():
    report = build_report(attempts_frame([]), events_frame([]))
    assert not report.has_attempts and report.tables == {} and report.deaths.empty
    assert isinstance(report.event_summary, pd.DataFrame)


def test_android_15_and_ios_15_stay_apart_in_reason_outcome_and_event_tables():
    from tests.reports.gen import event

    android = task_run(["killed", "success"], device="a", os_version="15", reasons=["lmkd:low_mem", None])
    iphone = task_run(["killed"], device="i", os_version="15", manufacturer="Apple", reasons=["jetsam:highwater"])
    for row in iphone:
        row["platform"] = "ios"
    report = build_report(
        as_categories(attempts_frame(android + iphone)),
        events_frame_from(
            [
                event("process_killed", reason="low_mem", pid=1, device="a", os_version="15"),
                event(
                    "process_killed",
                    source="jetsam",
                    reason="highwater",
                    pid=1,
                    device="i",
                    os_version="15",
                    platform="ios",
                ),
            ]
        ),
    )
    kills = {(str(r.platform), int(r.os_major), r.reason): r.attempts for r in report.kills.itertuples()}
    assert kills == {("android", 15, "lmkd:low_mem"): 1, ("ios", 15, "jetsam:highwater"): 1}
    outcomes = report.outcomes.set_index(["platform", "os_major"])
    assert outcomes.loc[("android", 15), "success"] == 1 and outcomes.loc[("ios", 15), "success"] == 0
    deaths = {(r.platform, r.os_version, r.reason): r.deaths for r in report.deaths.itertuples()}
    assert deaths == {("android", "15", "low_mem"): 1, ("ios", "15", "highwater"): 1}
    assert list(zip(report.event_summary["platform"], report.event_summary["deaths"], strict=True)) == [
        ("android", 1),
        ("ios", 1),
    ]


def test_attempts_that_never_started_are_counted_by_what_held_them():
    # Reasons as campaigns write them (the demo's attempts): particulars (constraint names, failure counts, the
    # next try's time) differ from attempt to attempt; the table keeps one row per cause.
    held = [
        "doze (DEVICE_NOT_DOZING unsatisfied: forced runs do not override doze)",
        "doze (DEVICE_NOT_DOZING unsatisfied: forced runs do not override doze)",
        "the OS did not run it within 1.7s (held: out of standby-bucket quota)",
        "WorkManager skipped a forced run of periodic/backed-off work (backed-off work after 3 failed runs, "
        "next try in 4h8m12s): JobScheduler ran the job and no Worker result followed",
        "WorkManager skipped a forced run of periodic/backed-off work (backed-off work after 1 failed run, "
        "next try in 4h58m10s): JobScheduler ran the job and no Worker result followed",
    ]
    rows = [
        row for i, reason in enumerate(held) for row in task_run(["not_started"], repetition=i + 1, reasons=[reason])
    ] + task_run(["success"], repetition=9)
    table = report_of(rows).not_started
    got = dict(zip(table["reason"], table["attempts"], strict=True))
    assert got == {
        "doze": 2,
        "WorkManager skipped a forced run of periodic/backed-off work": 2,
        "the OS did not run it within 1.7s (held: out of standby-bucket quota)": 1,
    }
    assert set(table["os_major"]) == {14}
