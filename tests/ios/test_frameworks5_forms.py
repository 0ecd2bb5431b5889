"""Forms the iOS readers learned in the fifth corpus round, from the trackers of cross-platform frameworks
(tests/samples/corpus/ios_frameworks5/*, real captures; each file's first line names its public source): a watchdog's
explanation broken after 'transgression:', a Termination Reason with a blank namespace, debugserver's words told again
in an issue's steps, and those words quoted in lower case. Every test runs the real path (detection + parser) on the
captured text."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import DEATHS, scan, scan_str

CORPUS = Path(__file__).resolve().parent.parent / "samples" / "corpus" / "ios_frameworks5"


def test_an_explanation_broken_after_transgression_names_the_app_on_the_next_line() -> None:
    # An inline code span whose lines end in two blanks: `explanation:scene-create watchdog transgression:  ` then
    # ` app<de.myapp.xxx(FA79…)>:56077 exhausted CPU time allowance of 3.23 seconds  `. The kill had no app.
    (e,) = scan(
        CORPUS / "macios20769_rbsterminatecontext_inline_code_trailing_double_spaces_scene_create_silent_push.txt"
    )[0]
    assert (e.kind, e.package, e.pid, e.reason) == ("process_killed", "de.myapp.xxx", 56077, "watchdog:scene-create")
    assert (e.data["allowance"], e.data["allowance_s"]) == ("cpu", 3.23)


def test_a_blank_namespace_leaves_the_code_to_tell_the_watchdogs_kill() -> None:
    # `Termination Reason: Namespace  , Code 0x8badf00d` (iOS 11.1 beta): it was read as a SIGKILL of no cause.
    (e,) = scan(CORPUS / "openradar34788843_namespace_blank_8badf00d_notification_assertion.txt")[0]
    assert (e.kind, e.reason, e.data["code"]) == ("process_killed", "watchdog:unknown", "0x8badf00d")


def test_debuggers_words_told_again_in_the_steps_are_the_same_death() -> None:
    # Xcode's line alone, then step 4: 'After a while notification in XCode will appear: Terminated due to signal 9'.
    events = scan(CORPUS / "mediapipeunity875_swiped_away_debugger_signal9_prose_then_unity_log.txt")[0]
    assert [(e.kind, e.reason) for e in events if e.kind in DEATHS] == [("process_killed", "sigkill")]


def test_debuggers_words_quoted_in_lower_case_are_read() -> None:
    # 'the application is "terminated due to signal 9" after 1 minute': the file was refused as no known format.
    events, outcome = scan(CORPUS / "rnvideo4519_lowercase_terminated_due_to_signal9_quoted_prose_new_arch.txt")
    assert outcome.usable
    assert [(e.kind, e.reason) for e in events] == [("process_killed", "sigkill")]


def test_the_lower_case_words_unquoted_are_not_debuggers() -> None:
    # Only in double quotes are they still debugserver's words; a sentence of one's own tells no run that ended.
    text = (
        "2023-03-15 09:11:15.191469-0700 App[1570:352197] Can't end BackgroundTask: no background task exists with "
        "identifier 12 (0xc), or it may have already been ended. "
        "Break in UIApplicationEndBackgroundTaskError() to debug."
        "\nHere the app is terminated due to signal 9 handling, see the docs.\n"
    )
    assert [e for e in scan_str(text) if e.kind in DEATHS] == []


def test_a_hang_report_is_read_and_ends_no_process() -> None:
    # `Event: Completed Runloop Hang`, `Duration: 0.94s`, `Steps: 49 (10ms sampling interval)`, … under an issue form's
    # heading: refused as no known format, though it is a report of the device's and tells that nothing was killed.
    events, outcome = scan(CORPUS / "flutter167651_completed_runloop_hang_report_unfenced_negative.txt")
    assert outcome.usable
    assert [e for e in events if e.kind in DEATHS] == []


def test_an_exit_whose_identity_lost_its_bundle_is_read_by_its_pid() -> None:
    # '[app:810] Process exited: <RBSProcessExitContext| specific, status:<RBSProcessExitStatus| domain:signal(2)
    # code:SIGABRT(6)>>.' and FrontBoard's '<FBApplicationProcess: 0xb91b47a80; app:810(v8AE)> -> …': nothing was read.
    events = scan(CORPUS / "maui38281_blockquoted_console_rows_masked_app_pid_sigabrt_aot_module.txt")[0]
    assert [(e.kind, e.package, e.pid, e.reason) for e in events if e.kind in DEATHS] == [
        ("crash", None, 810, "sigabrt")
    ]


def test_ios13s_exit_context_with_a_star_after_the_identity_is_read() -> None:
    # iOS 13: '[application<org.reactjs.native.example.test-bg>:63390]* Process exited: <RBSProcessExitContext;
    # specific: <RBSProcessExitStatus; domain: runningboard (15); code: 0x2182baad>; … "Timed-out waiting for process
    # […] to invalidate assertion …"': nothing was read.
    events = scan(
        CORPUS / "rn26731_console_ios13_rbs_exit_context_semicolon_form_2182baad_assertion_timeout_asterisk.txt"
    )[0]
    (e,) = [e for e in events if e.kind in DEATHS]
    assert (e.kind, e.package, e.pid, e.reason) == (
        "process_killed",
        "org.reactjs.native.example.test-bg",
        63390,
        "bgtask_expired",
    )
    assert (e.data["exit_domain"], e.data["exit_code"]) == ("runningboard", "0x2182baad")


def test_an_explanation_cut_after_its_watchdog_event_keeps_the_event() -> None:
    # 'Termination Description: SPRINGBOARD, <RBSTerminateContext| domain:10 code:0x8BADF00D explanation:scene-update
    # watchdog transg' (the quote ends there): the kill was read as watchdog:unknown.
    (e,) = scan(CORPUS / "unity1073_termination_description_springboard_rbsterminatecontext_cut_at_transg.txt")[0]
    assert (e.kind, e.reason) == ("process_killed", "watchdog:scene-update")
