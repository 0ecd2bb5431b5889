"""Forms of round 6's representative trial of Android captures on web pages (tests/samples/corpus/
android_trial6_pages/), each read through the scan's own path (detection, pre-filter, paste reader, rules)."""

from __future__ import annotations

import pytest
from bgprobe.collectors.errors import InputError

from tests.helpers import TESTS, scan, scan_str

TRIAL = TESTS / "samples" / "corpus" / "android_trial6_pages"


def _deaths(text: str) -> list[tuple[str, str | None, int | None, str | None]]:
    return [(e.kind, e.package, e.pid, e.reason) for e in scan_str(text)]


def test_sending_signal_with_the_next_line_run_on_is_the_kill():
    # Process.sendSignal's line quoted in a sentence, Android Studio's "Lost connection to device," run on after it
    # (taourl.com): the number ends the message, what follows it is another line.
    events, outcome = scan(TRIAL / "t6_sending_signal_sig9_quoted_in_prose_taourl.txt")
    assert outcome.usable
    assert [(e.kind, e.pid, e.reason) for e in events] == [("process_died", 8266, "sigkill")]
    # A stack-dump request (SIG: 3) ends nothing, whatever follows it; a number that goes on is not SIG 9.
    assert _deaths("I/Process ( 8266): Sending signal. PID: 8266 SIG: 3 Lost connection to device,\n") == []
    assert _deaths("I/Process ( 8266): Sending signal. PID: 8266 SIG: 9.5\n") == []


def test_bare_caused_by_not_allowed_to_start_service_line_is_the_apps_crash():
    events, outcome = scan(TRIAL / "t6_caused_by_not_allowed_start_service_one_line_solutionschecker.txt")
    assert outcome.usable
    assert [(e.kind, e.package, e.reason) for e in events] == [("crash", "my.app.tt", "java_exception")]
    line = (
        "java.lang.IllegalStateException: Not allowed to start service Intent { cmp=my.app.tt/com.my.service }: "
        "app is in background uid UidRecord{90372b1 u0a136 CEM idle procs:1 seq(0,0,0)}"
    )
    assert _deaths(f"Caused by: {line}\n") == [("crash", "my.app.tt", None, "java_exception")]
    # Without "Caused by:" it may be one the app caught (tests/test_android_issues4_forms.py); logged under the app's
    # own tag, it was caught (the app went on): no event.
    assert _deaths(f"W/MyApp   ( 1234): Caused by: {line}\n") == []


@pytest.mark.parametrize(
    "name",
    ["t6_anr_traces_txt_threads_no_pid_header_so704311.txt", "t6_anr_cpu_usage_block_no_app_csdn_qq35770839.txt"],
)
def test_headerless_traces_and_an_anr_cpu_block_are_read_not_refused(name: str):
    # A traces.txt's threads without their "----- pid" header, an ANR report's CPU block without "ANR in": no app is
    # named, so nothing is told, but neither is an unknown format.
    events, outcome = scan(TRIAL / name)
    assert outcome.usable and not outcome.problems
    assert events == []


def test_prose_that_only_mentions_a_thread_or_cpu_usage_is_still_refused():
    with pytest.raises(InputError):
        scan_str('The "main" prio=5 thread was busy and the CPU usage from the app was high.\n')


@pytest.mark.parametrize(
    "name",
    [
        "t6_tombstone_debug_brief_lines_between_prose_mediaserver_bootloaderwikidot.txt",
        "t6_tombstone_debug_lines_glued_spaces_collapsed_translated_copy_alibabacloud.txt",
    ],
)
def test_tombstone_header_without_a_thread_name_is_the_native_crash(name: str):
    # debuggerd up to Android 4.0: "pid: %d, tid: %d  >>> %s <<<", a native daemon's command line as its name.
    events, outcome = scan(TRIAL / name)
    assert outcome.usable
    assert [(e.kind, e.process, e.package, e.pid, e.reason) for e in events] == [
        ("crash", "/system/bin/mediaserver", None, 876, "crash_native")
    ]
