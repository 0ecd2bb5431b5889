"""Parsers never raise on arbitrary input: the scanner turns any bytes into events or a clean InputError."""

from __future__ import annotations

import io
from datetime import date

from bgprobe.collectors.errors import InputError
from bgprobe.collectors.inputs.textscan import scan_text
from bgprobe.collectors.parsers.android_log import LogInterpreter
from bgprobe.collectors.parsers.logcat import YearHint, parse_line
from bgprobe.reports.schema import events_frame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import examples

REAL_LINES = [
    "10-30 13:27:55.958  1702  1970 I ActivityManager: Killing 14231:com.a/u0a227 (adj 975): empty #33",
    "10-24 14:24:26.342   710   710 I lowmemorykiller: Kill 'com.b' (17933), uid 10446, oom_score_adj 0",
    "10-30 13:27:55.958  1702  1970 I am_kill : [0,1879,io.x,999,empty #24]",
    "------ SYSTEM LOG (logcat -v threadtime -d *:v) ------",
    "DUMP OF SERVICE jobscheduler:",
    "  JOB #u0a1/5: abc com.a/.S",
    "    Required constraints: CHARGING [0x1]",
    "ACTIVITY MANAGER PROCESS EXIT INFO (dumpsys activity exit-info)",
    "          ApplicationExitInfo #0:",
    "            reason=3 (LOW_MEMORY) subreason=",
    "10-30 13:31:20.512  1702 24901 E ActivityManager: ANR in com.x",
    "10-30 13:01:14.521 23456 23490 I WM-DiagnosticsWrkr: Enqueued work:",
    "[ 10-30 13:27:55.958  1702: 1970 I/ActivityManager ]",
    "== dumpstate: 2024-10-30 13:35:12",
]

# Mixtures of real line shapes, mutated fragments and raw bytes: closer to real damage than pure noise.
line_strategy = st.one_of(
    st.sampled_from(REAL_LINES),
    st.sampled_from(REAL_LINES).map(lambda s: s[: len(s) // 2]),
    st.text(max_size=120),
)
document = st.lists(line_strategy, max_size=40).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass"))


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(document, st.binary(max_size=4000)))
def test_scanner_never_raises_anything_but_input_error(data: bytes) -> None:
    try:
        events = list(scan_text(io.BytesIO(data), "fuzz.txt", date(2024, 11, 1)))
    except InputError as err:
        assert err.message.startswith("fuzz.txt: ")
        return
    events_frame(events)  # every event fits the schema


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(line_strategy, max_size=30))
def test_line_parser_and_interpreter_never_raise(lines: list[str]) -> None:
    interp = LogInterpreter(where="fuzz")
    years = YearHint(date(2024, 11, 1))
    for n, line in enumerate(lines, 1):
        interp.feed(parse_line(line, n, years))
    interp.flush()
