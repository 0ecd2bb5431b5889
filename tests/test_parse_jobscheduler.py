"""`dumpsys jobscheduler` parser: real samples (tests/samples/android, unchanged) + constructed fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from bgprobe.collectors.parsers.jobscheduler import (
    CONSTRAINT_WORDS,
    aosp_duration_s,
    human_duration,
    parse_jobscheduler,
)
from bgprobe.reports.events import Event
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import examples

SAMPLES = Path(__file__).parent / "samples" / "android"


def numbered(name: str) -> list[tuple[int, str]]:
    # The `# source:` line is fed to the parser too: it must tolerate it.
    return list(enumerate((SAMPLES / name).read_text(encoding="utf-8").splitlines(), start=1))


def lines_of(text: str) -> list[tuple[int, str]]:
    return list(enumerate(text.splitlines(), start=1))


# --- real samples -------------------------------------------------------------------------------


def test_expo_workmanager_job_waits_for_timing_delay():
    name = "dumpsys_jobscheduler_workmanager_expo_docs.txt"
    (ev,) = parse_jobscheduler(numbered(name), name, ts="2025-01-01T00:00:00")
    assert ev.kind == "job_scheduled"
    assert ev.source == "dumpsys:jobscheduler"
    assert ev.where == f"{name}:2"
    assert ev.ts == "2025-01-01T00:00:00"
    assert (ev.package, ev.uid, ev.job, ev.process) == ("<package-name>", "u0a453", "275", None)
    d = ev.data
    assert d["service"] == "<package-name>/androidx.work.impl.background.systemjob.SystemJobService"
    assert d["workmanager"] is True
    assert d["namespace"] is None
    assert d["active"] is False
    assert d["required_constraints"] == ["TIMING_DELAY", "CONNECTIVITY", "UID_NOT_RESTRICTED"]
    assert d["satisfied_constraints"] == [
        "CONNECTIVITY",
        "DEVICE_NOT_DOZING",
        "BACKGROUND_NOT_RESTRICTED",
        "TARE_WEALTH",
        "WITHIN_QUOTA",
        "UID_NOT_RESTRICTED",
    ]
    assert d["unsatisfied_constraints"] == ["TIMING_DELAY"]
    assert d["unsatisfied_source"] == "listed"
    assert d["preferred_constraints"] == []
    assert d["dynamic_constraints"] == []
    assert d["enqueue_time"] == "-8m12s280ms"
    assert d["run_time"] == {"earliest": "+6m47s715ms", "latest": "none", "original_latest": "none"}
    assert d["restricted_due_to"] == []
    assert d["ready"] is False
    assert d["ready_flags"] == {
        "job": False,
        "user": True,
        "!restricted": True,
        "!pending": True,
        "!active": True,
        "!backingup": True,
        "comp": True,
    }
    assert ev.reason == "waiting_timing_delay"
    assert ev.detail == "waiting for: the earliest run time (in 6m47s)"


def test_adb_alfred_headless_entry_reports_failures_and_backoff():
    name = "dumpsys_jobscheduler_failures_adb-alfred.txt"
    (ev,) = parse_jobscheduler(numbered(name), name)
    # The excerpt starts mid-entry (no `JOB #` header): what was read is still emitted.
    assert ev.where == f"{name}:2"
    assert (ev.package, ev.job) == (None, None)
    assert ev.data["num_failures"] == 3
    assert ev.data["last_failed_run"] == "2019-11-04 13:03:41"
    assert ev.data["last_run_heartbeat"] == 0
    assert ev.data["run_time"]["earliest"] == "+1m35s705ms"
    assert ev.data["ready"] is False
    assert "!restricted" not in ev.data["ready_flags"]  # older build: key missing
    assert ev.data["ready_flags"]["job"] is False
    assert ev.reason == "backoff"
    assert ev.detail == "failed 3 times; last failure 2019-11-04 13:03:41 (backing off, next try in 1m35s)"


def test_kmansoft_active_slots_android8():
    name = "dumpsys_jobscheduler_active_jobs_android8_kmansoft.txt"
    events = parse_jobscheduler(numbered(name), name)
    # three excerpts, the third without its "Active jobs:" header
    assert [e.where for e in events] == [f"{name}:3", f"{name}:16", f"{name}:29"]
    first = events[0]
    assert (first.package, first.uid, first.job) == ("org.kman.test.jobworkservicetest", "u0a88", "1")
    assert first.data["active"] is True
    assert first.data["slot"] == 0
    assert first.data["hash"] == "4f3a189"
    assert first.data["service"] == "org.kman.test.jobworkservicetest/.JobWorkService"
    assert first.data["running_for"] == "+3s741ms"
    assert first.data["timeout_at"] == "+9m56s293ms"
    assert first.data["required_constraints"] == ["DEADLINE"]
    assert first.data["satisfied_constraints"] is None  # Android 8 does not print it
    assert first.data["unsatisfied_constraints"] is None
    assert first.data["evaluated_priority"] == 40
    assert first.reason == "running"
    assert first.detail == "running now (for 3s, times out in 9m56s)"
    assert events[2].detail == "running now (for 1m33s, times out in 8m26s)"
    assert all(e.data["workmanager"] is False for e in events)


def test_package_filter():
    name = "dumpsys_jobscheduler_active_jobs_android8_kmansoft.txt"
    assert len(parse_jobscheduler(numbered(name), name, package="org.kman.test.jobworkservicetest")) == 3
    assert parse_jobscheduler(numbered(name), name, package="com.other") == []


# --- constructed fixtures -----------------------------------------------------------------------

# CONSTRUCTED from the AOSP format in docs/formats.md §5 (JobStatus.dump,
# JobServiceContext.dumpLocked, JobPackageTracker.dumpHistory); not a captured dump.
ANDROID14 = """\
Registered 3 jobs:
  JOB #sync:u0a1/5: 1a2b3c com.example.app/.SyncJob
    u0a1 tag=*job*/com.example.app/.SyncJob#5
    Source: uid=u0a1 user=0 pkg=com.example.app
    JobInfo:
      Service: com.example.app/.SyncJob
      PERIODIC: interval=+15m0s0ms flex=+5m0s0ms
      PERSISTED
      Priority: DEFAULT
      Requires: charging=true batteryNotLow=false deviceIdle=false
      Backoff: policy=1 initial=+30s0ms
    Required constraints: CHARGING CONNECTIVITY [0x10000001]
    Dynamic constraints:
    Satisfied constraints: CONNECTIVITY TARE_WEALTH WITHIN_QUOTA BACKGROUND_NOT_RESTRICTED [0x1d400000]
    Implicit constraints:
      readyNotDozing: false
      readyNotRestrictedInBg: true
      readyComponentEnabled: true
    Standby bucket: RARE
    Enqueue time: -1h4m36s59ms
    Run time: earliest=none, latest=none, original latest=none
    Last successful run: 2024-05-06 10:00:00
    Restricted due to: none.
    Ready: false (job=false user=true !restricted=true !pending=true !active=true !backingup=true comp=true)
  JOB #u0a2/7: 4d5e6f com.quota.app/androidx.work.impl.background.systemjob.SystemJobService
    u0a2 tag=*job*/com.quota.app/androidx.work.impl.background.systemjob.SystemJobService#7
    Source: uid=u0a2 user=0 pkg=com.quota.app
    Required constraints:
    Satisfied constraints: DEVICE_NOT_DOZING BACKGROUND_NOT_RESTRICTED TARE_WEALTH [0xa400000]
    Unsatisfied constraints: WITHIN_QUOTA [0x1000000]
    Standby bucket: FREQUENT
    Ready: false (job=false user=true !restricted=true !pending=true !active=true !backingup=true comp=true)
  JOB #u0a3/9: 7a8b9c com.ready.app/.Job
    Source: uid=u0a3 user=0 pkg=com.ready.app
    Ready: true (job=true user=true !restricted=true !pending=true !active=true !backingup=true comp=true)

Active jobs:
  Slot #0(ID=12): 9f9f9f {sync} #u0a1/8 com.example.app/.SyncJob
    Running for: +2m1s0ms, timeout at: +7m59s0ms
    Remaining execution limits: [+7m59s0ms, +7m59s0ms]
  Slot #1(ID=13): inactive since -5m0s0ms, stopped because: app called jobFinished

Job history:
         -1m2s3ms   START: #u0a1/8 *job*/com.example.app/.SyncJob
          -58s12ms    STOP: #u0a123/42 *job*/com.foo/.Bar canceled
          -10s0ms  STOP-P: #u0a123/43 *job*/com.foo/.Periodic device_idle
"""


def test_android14_namespace_and_computed_unsatisfied():
    events = parse_jobscheduler(lines_of(ANDROID14), "fx")
    scheduled = [e for e in events if e.kind == "job_scheduled"]
    ns = scheduled[0]
    assert ns.where == "fx:2"
    assert (ns.package, ns.uid, ns.job) == ("com.example.app", "u0a1", "5")
    assert ns.data["namespace"] == "sync"
    assert ns.data["periodic"] == {"interval": "+15m0s0ms", "flex": "+5m0s0ms"}
    assert ns.data["persisted"] is True
    assert ns.data["requires"] == {"charging": True, "battery_not_low": False, "device_idle": False}
    assert ns.data["backoff"] == {
        "policy": 1,
        "policy_name": "exponential",
        "initial": "+30s0ms",
        "initial_s": 30.0,
    }
    # no Unsatisfied line: (required | WITHIN_QUOTA | TARE_WEALTH) - satisfied
    assert ns.data["unsatisfied_constraints"] == ["CHARGING"]
    assert ns.data["unsatisfied_source"] == "computed"
    assert ns.data["implicit_constraints"] == {
        "readyNotDozing": False,
        "readyNotRestrictedInBg": True,
        "readyComponentEnabled": True,
    }
    assert ns.data["standby_bucket"] == "RARE"
    assert ns.data["last_successful_run"] == "2024-05-06 10:00:00"
    assert ns.reason == "dozing"
    assert ns.detail == "waiting for: charging (CHARGING); device is dozing; app is in the RARE standby bucket"


def test_quota_ready_and_active_slot_with_namespace():
    events = parse_jobscheduler(lines_of(ANDROID14), "fx")
    by_job = {(e.kind, e.job): e for e in events}
    quota = by_job[("job_scheduled", "7")]
    assert quota.data["workmanager"] is True
    assert quota.reason == "quota"
    assert quota.detail == "out of standby-bucket quota"
    ready = by_job[("job_scheduled", "9")]
    assert (ready.reason, ready.detail) == ("ready", "ready to run")
    slot = by_job[("job_scheduled", "8")]
    assert slot.data["active"] is True and slot.data["slot"] == 0
    assert slot.data["namespace"] == "sync"
    assert slot.reason == "running"
    assert slot.detail == "running now (for 2m1s, times out in 7m59s)"
    # the idle slot (#1) yields nothing
    assert sum(1 for e in events if e.kind == "job_scheduled") == 4


def test_job_history_lines():
    events = parse_jobscheduler(lines_of(ANDROID14), "fx")
    hist = [e for e in events if e.kind in ("job_started", "job_stopped")]
    assert [(e.kind, e.uid, e.job, e.package, e.reason) for e in hist] == [
        ("job_started", "u0a1", "8", "com.example.app", None),
        ("job_stopped", "u0a123", "42", "com.foo", "canceled"),
        ("job_stopped", "u0a123", "43", "com.foo", "device_idle"),
    ]
    assert hist[0].data["relative_time"] == "-1m2s3ms"
    assert hist[0].data["relative_s"] == pytest.approx(-62.003)
    assert hist[2].data["periodic"] is True
    assert hist[2].data["label"] == "STOP-P"


def test_package_filter_on_fixture():
    events = parse_jobscheduler(lines_of(ANDROID14), "fx", package="com.foo")
    assert [e.kind for e in events] == ["job_stopped", "job_stopped"]


def test_truncated_entry_still_emitted():
    text = "  JOB #u0a9/3: abc123 com.trunc/.J\n    Source: uid=u0a9 user=0 pkg=com.trunc\n    Required constr"
    (ev,) = parse_jobscheduler(lines_of(text), "t")
    assert (ev.package, ev.job, ev.reason) == ("com.trunc", "3", "unknown")


def test_android8_constraint_names_are_worded():
    text = (
        "  JOB #u0a9/3: abc123 com.o/.J\n"
        "    Required constraints: UNMETERED APP_NOT_IDLE SOMETHING_NEW\n"
        "    Satisfied constraints: APP_NOT_IDLE\n"
        "    Unsatisfied constraints: UNMETERED SOMETHING_NEW\n"
        "    Ready: false (job=false user=true)\n"
    )
    (ev,) = parse_jobscheduler(lines_of(text), "t")
    assert ev.reason == "waiting_constraints"
    assert ev.detail == "waiting for: unmetered network (UNMETERED), SOMETHING_NEW"


def test_every_reference_constraint_has_words():
    names = {
        *("CHARGING", "BATTERY_NOT_LOW", "IDLE", "STORAGE_NOT_LOW", "TIMING_DELAY", "DEADLINE"),
        *("CONNECTIVITY", "CONTENT_TRIGGER", "DEVICE_NOT_DOZING", "WITHIN_QUOTA", "PREFETCH"),
        *("BACKGROUND_NOT_RESTRICTED", "FLEXIBILITY", "UID_NOT_RESTRICTED", "TARE_WEALTH"),
        *("APP_NOT_IDLE", "UNMETERED", "NOT_ROAMING", "METERED"),  # Android 8.0
    }
    assert names <= set(CONSTRAINT_WORDS)
    assert CONSTRAINT_WORDS["CONNECTIVITY"] == "network"
    assert CONSTRAINT_WORDS["TIMING_DELAY"] == "earliest run time"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("+1h4m36s59ms", 3876.059),
        ("-3s741ms", -3.741),
        ("+3m0s0ms", 180.0),
        ("+1d2h0m0s0ms", 93600.0),
        ("0", 0.0),
        ("none", None),
        ("", None),
        ("+", None),
    ],
)
def test_aosp_duration(text, seconds):
    got = aosp_duration_s(text)
    assert got == (pytest.approx(seconds) if seconds is not None else None)


def test_human_duration():
    assert human_duration(407.715) == "6m47s"
    assert human_duration(-3.741) == "3s"
    assert human_duration(0.5) == "500ms"
    assert human_duration(3600) == "1h"


# --- robustness ---------------------------------------------------------------------------------

_FRAGMENTS = [line for _, line in lines_of(ANDROID14)] + [
    "  Slot #0: ",
    "  JOB #",
    "    Ready: false (",
    "    Run time: earliest=, latest=",
    "    Num failures: 999999999999999999999",
]


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.one_of(st.text(max_size=80), st.sampled_from(_FRAGMENTS)), max_size=40))
def test_arbitrary_lines_never_raise(texts):
    events = parse_jobscheduler(list(enumerate(texts, start=1)), "h")
    assert all(isinstance(e, Event) for e in events)
