"""`dumpsys activity exit-info` parser: real layout-B sample + constructed layouts A and C."""

from __future__ import annotations

from pathlib import Path

import pytest
from bgprobe.collectors.parsers.exitinfo import SUBREASONS, classify, parse_exit_info, size_kb
from bgprobe.reports.events import Event
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import examples

SAMPLES = Path(__file__).parent / "samples" / "android"
FIRETV = "dumpsys_activity_exit-info_firetv.txt"


def numbered(name: str) -> list[tuple[int, str]]:
    # `#` comment lines (source line, the excerpt-gap marker) are fed too: the parser skips them.
    return list(enumerate((SAMPLES / name).read_text(encoding="utf-8").splitlines(), start=1))


def lines_of(text: str) -> list[tuple[int, str]]:
    return list(enumerate(text.splitlines(), start=1))


# --- real sample (layout B) ---------------------------------------------------------------------


def test_firetv_records():
    events = parse_exit_info(numbered(FIRETV), FIRETV)
    assert [e.data["record"] for e in events] == [0, 9, 10]
    assert all(e.source == "exit-info" and e.package == "com.eurosport.player" for e in events)
    assert all(e.uid == "10078" for e in events)


def test_firetv_record_9_isolated_not_needed():
    ev = parse_exit_info(numbered(FIRETV), FIRETV)[1]
    assert ev.where == f"{FIRETV}:19"
    assert ev.kind == "process_died"  # EXIT_SELF
    assert ev.ts == "2024-04-28T19:27:47.967"
    assert ev.pid == 1626
    assert ev.process == (
        "com.google.android.webview:sandboxed_process0:org.chromium.content.app.SandboxedProcessService0:0"
    )
    assert ev.reason == "isolated_not_needed"
    d = ev.data
    assert (d["reason_code"], d["reason_name"]) == (1, "EXIT_SELF")
    assert (d["subreason_code"], d["subreason_name"], d["subreason_text"]) == (
        17,
        "ISOLATED_NOT_NEEDED",
        "ISOLATED NOT NEEDED",
    )
    assert d["status"] == 0
    assert (d["importance"], d["importance_name"]) == (400, "CACHED")
    assert (d["pss"], d["pss_kb"], d["rss"], d["rss_kb"]) == ("49MB", 49 * 1024, "111MB", 111 * 1024)
    assert d["description"] == "isolated not needed"
    assert d["state"] == "empty"
    assert d["trace"] is None
    assert (d["realUid"], d["packageUid"], d["definingUid"], d["user"]) == (99090, 10078, 10078, 0)
    assert ev.detail == "exit-info: EXIT_SELF / ISOLATED NOT NEEDED (importance CACHED, pss 49MB)"


def test_firetv_record_0_and_10():
    first, _, last = parse_exit_info(numbered(FIRETV), FIRETV)
    assert (first.pid, first.ts, first.reason, first.kind) == (
        30643,
        "2024-05-06T17:38:47.527",
        "exit_self",
        "process_died",
    )
    assert first.data["subreason_code"] is None
    assert (last.pid, last.data["importance"], last.data["importance_name"]) == (7122, 100, "FOREGROUND")
    assert last.data["description"] is None  # "description=null"


def test_package_filter():
    assert len(parse_exit_info(numbered(FIRETV), FIRETV, package="com.eurosport.player")) == 3
    assert parse_exit_info(numbered(FIRETV), FIRETV, package="com.other") == []


# --- constructed fixtures -----------------------------------------------------------------------

# CONSTRUCTED from the AOSP format (ApplicationExitInfo.dump() of early Android 11: one key per line,
# no subreason line; docs/formats.md §4), wrapped in a whole `dumpsys activity` to check
# that only the exit-info section is read. Not a captured dump.
LAYOUT_A_IN_FULL_DUMP = """\
ACTIVITY MANAGER SETTINGS (dumpsys activity settings)
  package: com.decoy.before
      ApplicationExitInfo #0:
        pid=1
        reason=3 (LOW_MEMORY)

ACTIVITY MANAGER PROCESS EXIT INFO (dumpsys activity exit-info)
  Last Timestamp of Persistence Into Persistent Storage: 2020-09-01 10:00:00.000
    package: com.example.crashy
      Historical Process Exit for uid=10123
          ApplicationExitInfo #0:
            timestamp=2020-09-01 09:59:58.001
            pid=4242
            realUid=10123
            packageUid=10123
            definingUid=10123
            user=0
            process=com.example.crashy:sync
            reason=4 (APP CRASH(EXCEPTION))
            status=0
            importance=300
            pss=12KB
            rss=0
            description=crash
            state=empty
            trace=null
          ApplicationExitInfo #1:
            timestamp=2020-09-01 09:00:00.000
            pid=4100
            realUid=10123
            packageUid=10123
            definingUid=10123
            user=0
            process=com.example.crashy
            reason=3 (LOW_MEMORY)
            status=0
            importance=400
            pss=80MB
            rss=120MB
            description=null
            state=empty
            trace=null

ACTIVITY MANAGER RUNNING PROCESSES (dumpsys activity processes)
  package: com.decoy.after
      ApplicationExitInfo #0:
        pid=2
        reason=6 (ANR)
"""

# CONSTRUCTED from the Android 15 dump() layout (three lines per record; FB15 ApplicationExitInfo.java,
# docs/formats.md §4), with an OEM subreason and an ANR subreason. Not a captured dump.
LAYOUT_C = """\
ACTIVITY MANAGER PROCESS EXIT INFO (dumpsys activity exit-info)
  Last Timestamp of Persistence Into Persistent Storage: 2025-02-03 08:00:00.000
    package: com.example.c
      Historical Process Exit for uid=10200
          ApplicationExitInfo #0:
            timestamp=2025-02-03 07:59:01.250 pid=900 realUid=10200 packageUid=10200 definingUid=10200 user=0
            process=com.example.c reason=13 (OTHER KILLS BY SYSTEM) subreason=1003 (UNKNOWN) status=0
            importance=400 pss=30MB rss=90MB description=vendor cleaner kill state=empty trace=null
          ApplicationExitInfo #1:
            timestamp=2025-02-03 07:00:00.000 pid=800 realUid=10200 packageUid=10200 definingUid=10200 user=0
            process=com.example.c reason=6 (ANR) subreason=41 (INPUT DISPATCHING TIMEOUT ANR) status=0
            importance=100 pss=150MB rss=250MB description=input timed out state=12 bytes trace=/d/anr_1
 anrInfo=null
          ApplicationExitInfo #2:
            timestamp=2025-02-03 06:00:00.000 pid=700 realUid=10200 packageUid=10200 definingUid=10200 user=0
            process=com.ex.c reason=13 (OTHER KILLS BY SYSTEM) subreason=3 (TOO MANY EMPTY PROCS) status=0
            importance=400 pss=49MB rss=111MB description=too many empty state=empty trace=null
------ 0.050s was the duration of 'DUMPSYS' ------
    package: com.decoy.after
          ApplicationExitInfo #0:
            pid=1 reason=5 (APP CRASH(NATIVE))
"""


def test_layout_a_inside_full_activity_dump():
    events = parse_exit_info(lines_of(LAYOUT_A_IN_FULL_DUMP), "fx")
    assert [(e.package, e.pid) for e in events] == [
        ("com.example.crashy", 4242),
        ("com.example.crashy", 4100),
    ]
    crash, lowmem = events
    assert (crash.kind, crash.reason, crash.uid) == ("crash", "crash", "10123")
    assert crash.where == "fx:11"
    assert crash.process == "com.example.crashy:sync"
    assert crash.data["reason_text"] == "APP CRASH(EXCEPTION)"
    assert crash.data["subreason_code"] is None
    assert (crash.data["pss_kb"], crash.data["rss_kb"]) == (12, 0)
    assert crash.data["importance_name"] == "SERVICE"
    assert crash.detail == "exit-info: APP CRASH(EXCEPTION) (importance SERVICE, pss 12KB)"
    assert (lowmem.kind, lowmem.reason) == ("process_killed", "low_memory")


def test_layout_c_three_lines_per_record():
    events = parse_exit_info(lines_of(LAYOUT_C), "c")
    assert [e.pid for e in events] == [900, 800, 700]  # the decoy after the dumpstate boundary is ignored
    oem, anr, empty = events
    assert oem.ts == "2025-02-03T07:59:01.250"
    assert (oem.kind, oem.reason) == ("process_killed", "oem:subreason_1003")
    assert oem.data["description"] == "vendor cleaner kill"
    assert oem.data["importance"] == 400
    assert (anr.kind, anr.reason) == ("anr", "anr_type_input_dispatching_timeout")
    assert anr.data["description"] == "input timed out"
    assert anr.data["state"] == "12 bytes"
    assert anr.data["trace"] == "/d/anr_1"
    assert anr.data["anrInfo"] is None
    assert (empty.kind, empty.reason) == ("process_killed", "too_many_empty")
    assert (empty.process, empty.package) == (
        "com.ex.c",
        "com.example.c",
    )  # package: from the `package:` line
    assert empty.detail == "exit-info: OTHER KILLS BY SYSTEM / TOO MANY EMPTY (importance CACHED, pss 49MB)"
    assert (empty.data["realUid"], empty.data["user"]) == (10200, 0)


@pytest.mark.parametrize(
    ("reason", "sub", "kind", "code"),
    [
        (1, 0, "process_died", "exit_self"),
        (2, None, "process_killed", "signaled"),
        (3, 30, "process_killed", "oom_kill"),
        (4, 0, "crash", "crash"),
        (5, 0, "crash", "crash_native"),
        (6, 0, "anr", "anr"),
        (10, 21, "process_killed", "force_stop"),
        (13, 2, "process_killed", "too_many_cached"),
        (13, 4, "process_killed", "trim_empty"),
        (13, 24, "process_killed", "kill_background"),
        (14, 19, "process_killed", "freezer_binder_ioctl"),
        (14, 0, "process_killed", "freezer"),
        (10, 0, "process_killed", "user_requested"),
        (13, 0, "process_killed", "other"),
        (16, 0, "process_killed", "package_updated"),
        (13, 999, "process_killed", "other"),  # unknown, non-OEM subreason: fall back to the reason
        (13, 1000, "process_killed", "oem:subreason_1000"),
        (99, 0, "process_killed", "reason_99"),
    ],
)
def test_classify(reason, sub, kind, code):
    assert classify(reason, sub) == (kind, code)


def test_subreason_table_is_complete():
    assert sorted(SUBREASONS) == list(range(50))
    assert SUBREASONS[33] == "ANR_TYPE_APP_TRIGGERED"
    assert SUBREASONS[48] == "ANR_TYPE_SYSTEM_SERVER_WATCHDOG_TIMEOUT"


def test_size_kb():
    assert size_kb("49MB") == 50176
    assert size_kb("500") == 0
    assert size_kb("2048") == 2
    assert size_kb("1GB") == 1024 * 1024
    assert size_kb("n/a") is None


# --- robustness ---------------------------------------------------------------------------------

_FRAGMENTS = [line for _, line in lines_of(LAYOUT_C + LAYOUT_A_IN_FULL_DUMP)] + [
    "reason=",
    "reason=x (",
    "subreason=99999999999999999999 (X)",
    "pss=1.5.5MB",
    "ApplicationExitInfo #:",
]


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.one_of(st.text(max_size=80), st.sampled_from(_FRAGMENTS)), max_size=40))
def test_arbitrary_lines_never_raise(texts):
    events = parse_exit_info(list(enumerate(texts, start=1)), "h")
    assert all(isinstance(e, Event) for e in events)
