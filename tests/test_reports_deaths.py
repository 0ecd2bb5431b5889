"""One death, many lines: folding keeps one row and the most telling reason."""

from __future__ import annotations

from bgprobe.reports.deaths import fold_deaths
from bgprobe.reports.events import Event
from bgprobe.reports.schema import events_frame


def ev(kind, source, ts, pid=None, process=None, reason=None, uid=None):
    return Event(kind=kind, source=source, where="t:1", ts=ts, pid=pid, process=process, reason=reason, uid=uid)


def test_one_kill_seen_five_ways_is_one_death_with_the_oem_reason():
    t = "2024-10-30T13:29:40.1"
    frame = events_frame(
        [
            ev("process_killed", "logcat:ActivityManager", t + "17", 23456, "com.x", "oem:OneKeyClean"),
            ev("process_killed", "logcat:events:am_kill", t + "17", 23456, "com.x", "oem:OneKeyClean"),
            ev("process_died", "logcat:Zygote", t + "39", 23456, None, "sigkill"),
            ev("process_died", "logcat:ActivityManager", t + "41", 23456, "com.x"),
            ev("process_killed", "exit-info", t + "18", 23456, "com.x", "other"),
        ]
    )
    deaths = fold_deaths(frame)
    assert len(deaths) == 1
    row = deaths.iloc[0]
    assert row["reason"] == "oem:OneKeyClean"  # exit-info's generic "other" does not hide the OEM killer
    assert row["sources"] == "ActivityManager, Zygote, am_kill, exit-info"


def test_specific_exit_info_reason_wins_and_separate_deaths_stay_apart():
    frame = events_frame(
        [
            ev("process_killed", "logcat:ActivityManager", "2024-10-30T13:00:00.000", 10, "com.x", "too_many_empty"),
            ev("process_killed", "exit-info", "2024-10-30T13:00:00.500", 10, "com.x", "low_memory"),
            ev("process_died", "logcat:ActivityManager", "2024-10-30T13:05:00.000", 10, "com.x"),  # pid reused later
            ev(
                "process_killed",
                "logcat:HwPFWService",
                "2024-10-30T13:06:00.000",
                uid="10185",
                reason="oem:huawei_wakelock_over_60min",
            ),
        ]
    )
    deaths = fold_deaths(frame)
    assert list(deaths["reason"]) == ["low_memory", "no reason logged", "oem:huawei_wakelock_over_60min"]
    assert deaths.iloc[2]["uid"] == "10185"


def test_force_stop_line_without_pid_joins_the_kill_of_that_process():
    t = "2024-10-30T13:00:00."
    frame = events_frame(
        [
            ev("process_killed", "logcat:ActivityManager", t + "100", None, "com.x", "force_stop"),
            ev("process_killed", "logcat:ActivityManager", t + "102", 4242, "com.x", "force_stop"),
            ev("process_died", "logcat:Zygote", t + "110", 4242, None, "sigkill"),
            ev("process_killed", "exit-info", t + "101", 4242, "com.x", "force_stop"),
        ]
    )
    deaths = fold_deaths(frame)
    assert len(deaths) == 1
    assert deaths.iloc[0]["pid"] == 4242 and deaths.iloc[0]["reason"] == "force_stop"


def test_force_stop_then_pid_only_zygote_then_has_died_is_one_death_with_the_oem_reason():
    # A force-stop whose "Killing <pid>:<pkg>" line is missing (a paste filtered by tag, or a killer's own
    # force-stop): the pid-only Zygote line starts a death of its own, and the "has died" line that names
    # both pid and process shows the two are one. The maker's uid-only line, logged in the same millisecond
    # as ActivityManager's force-stop (HwPFWService then "Force stopping … from pid 4230"), names the cause.
    t = "2026-11-30T13:48:18."
    frame = events_frame(
        [
            ev("process_killed", "logcat:ActivityManager", t + "838", None, "com.x", "force_stop"),
            ev("process_killed", "logcat:HwPFWService", t + "838", None, "com.x", "oem:huawei_wakelock_over_60min"),
            ev("process_died", "logcat:Zygote", t + "839", 21134, None, "sigkill"),
            ev("process_died", "logcat:ActivityManager", t + "839", 21134, "com.x"),
            ev("process_died", "logcat:events:am_proc_died", t + "840", 21134, "com.x"),
        ]
    )
    deaths = fold_deaths(frame)
    assert len(deaths) == 1, deaths
    row = deaths.iloc[0]
    assert row["reason"] == "oem:huawei_wakelock_over_60min"
    assert row["pid"] == 21134
    assert row["sources"] == "ActivityManager, HwPFWService, Zygote, am_proc_died"
