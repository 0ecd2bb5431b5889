"""Forms the iOS readers learned in the sixth round's representative trial (tests/samples/corpus/ios_trial6/, real
captures taken as generic searches returned them; each file's first line names its public source): Xcode's debugger
memory exit named by the app's own console lines before it, and Cr4shed's jetsam reason shown alone. Every test runs
the real path (detection + parser) on the captured text, or on a line of it."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import DEATHS, scan, scan_str

CORPUS = Path(__file__).resolve().parent.parent / "samples" / "corpus" / "ios_trial6"


def test_debugger_memory_exit_after_the_apps_console_line_names_that_app() -> None:
    # 'pokemon-webspoof[40083:16152817] Received memory warning.' then 'Message from debugger: Terminated due to
    # memory issue': the kill was read without its process or pid before.
    events, outcome = scan(CORPUS / "pokemongowebspoof148_memory_warning_then_debugger_memory_issue.txt")
    assert outcome.usable
    (e,) = [e for e in events if e.kind in DEATHS]
    assert (e.kind, e.process, e.pid, e.reason) == ("process_killed", "pokemon-webspoof", 40083, "jetsam:unknown")


def test_debugger_memory_exit_names_an_app_whose_name_has_a_space() -> None:
    (e,) = [
        e
        for e in scan(CORPUS / "pokemongowebspoof178_memory_warning_spaced_name_then_debugger_memory_issue.txt")[0]
        if e.kind in DEATHS
    ]
    assert (e.process, e.pid, e.reason) == ("Pokemon WebSpoof", 5563, "jetsam:unknown")


def test_debugger_exit_after_console_lines_of_two_processes_names_none() -> None:
    # Lines of two processes are not one app's console: which one the debugger ran is not told.
    events = scan_str(
        "2016-07-22 14:28:08.601 Alpha[5563:503393] Received memory warning.\n"
        "2016-07-22 14:28:09.001 Beta[5570:503400] Received memory warning.\n"
        "Message from debugger: Terminated due to memory issue\n"
    )
    (e,) = [e for e in events if e.kind in DEATHS]
    assert (e.process, e.pid, e.reason) == (None, None, "jetsam:unknown")


def test_cr4sheds_jetsam_reason_alone_in_a_fence_is_a_jetsam_kill() -> None:
    # 'I'm getting tons of jetsam logs:' and Cr4shed's fixed reason alone in a fence: refused as no known format before.
    events, outcome = scan(CORPUS / "cr4shed63_jetsam_memory_limits_reason_alone_in_fence.txt")
    assert outcome.usable
    (e,) = [e for e in events if e.kind in DEATHS]
    assert (e.kind, e.process, e.reason) == ("process_killed", None, "jetsam:unknown")


def test_cr4sheds_jetsam_reason_inside_a_sentence_is_no_kill() -> None:
    # A guide listing the errors an app may meet names the words in its list item: no report, no kill.
    events = scan_str(
        "I've tested and seen these issues come up as one of the following:\n\n"
        "- The process was terminated for exceeding jetsam memory limits (a Cr4shed log)\n"
    )
    assert [e for e in events if e.kind in DEATHS] == []


def test_uikits_not_ended_message_hard_wrapped_inside_its_own_words_is_read() -> None:
    # 'Jetpack[60050:4787549] [BackgroundTask] Background task still not ' then 'ended after expiration handlers were
    # called: …', the message hard-wrapped by hand over five lines in a fence: nothing was read before.
    events, outcome = scan(CORPUS / "wordpress21254_bgtask_not_ended_after_expiration_wrapped_swift_fence.txt")
    assert outcome.usable
    (e,) = events
    assert (e.kind, e.process, e.pid, e.job, e.reason) == (
        "job_timeout",
        "Jetpack",
        60050,
        "uikit:30",
        "bgtask_expired",
    )
    assert e.data["elapsed_s"] == 26


def test_two_header_lines_are_never_joined_as_one_cut_message() -> None:
    # A header line ending with a blank, then another header line: two records, however the first ends.
    events = scan_str(
        "2023-08-04 10:50:17.838280-0400 Jetpack[60050:4787549] [BackgroundTask] Background task still not \n"
        "2023-08-04 10:50:17.900000-0400 Jetpack[60050:4787549] ended after expiration handlers were called: "
        "<_UIBackgroundTaskInfo: 0x15523b7e0>: taskID = 30, taskName = x, creationTime = 1 (elapsed = 26).\n"
    )
    assert [e for e in events if e.kind == "job_timeout"] == []
