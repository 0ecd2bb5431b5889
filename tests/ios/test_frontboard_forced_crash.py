"""FrontBoard's forced crash report (SpringBoard, iOS 8-10): `Forcing crash report of <FBApplicationProcess: 0x…;
NAME; pid: N> (reason: R, description: …)` is the kill of that process, its reason told by the description. The
captures are real (tests/samples/corpus/ios/, each file's first line names its public source); no rule read them
before (the ios-deploy one was among the corpus's captures not understood)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import DEATHS, scan, scan_str

CORPUS = Path(__file__).resolve().parent.parent / "samples" / "corpus" / "ios"
SCENE_CREATE = "g4_springboard_forcing_crash_report_scene_create_bold_heading_prose_iosdeploy213.txt"


def test_a_launch_that_failed_to_scene_create_in_time_is_the_watchdogs_kill() -> None:
    events, outcome = scan(CORPUS / SCENE_CREATE)
    assert outcome.usable
    (e,) = events
    assert (e.kind, e.reason, e.pid, e.process, e.package) == (
        "process_killed",
        "watchdog:scene-create",
        390,  # the app's pid, not SpringBoard's (58), which logs the line
        "myApp",
        "com.myApp",
    )
    assert e.data["forced_crash_reason"] == 1


def test_a_suspension_with_locked_files_is_tn2151s_dead10cc() -> None:
    # A Console.app copy, its description's path wrapped onto the next line.
    events, outcome = scan(CORPUS / "r5_springboard_forcing_crash_report_locked_files_console_readme_signal.txt")
    assert outcome.usable
    (e,) = events
    assert (e.kind, e.reason, e.pid, e.process) == (
        "process_killed",
        "runningboard:file-lock-while-suspended",
        4146,
        "SQLCipherVsShar",
    )


def test_springboards_exit_line_after_the_forced_report_is_the_same_death() -> None:
    # The forced report's line (ios-deploy#213), then SpringBoard's exit line of the same app in the form of
    # flutter/flutter#6775 ("… exited abnormally with signal 9: Killed: 9"): one death, not two.
    forced = (CORPUS / SCENE_CREATE).read_text(encoding="utf-8").splitlines()[2]
    exited = (
        "Feb 18 18:00:06 iPhone SpringBoard[58] <Warning>: Application 'UIKitApplication:com.myApp[0x9d1c]' "
        "exited abnormally with signal 9: Killed: 9"
    )
    deaths = [e for e in scan_str(f"{forced}\n{exited}\n") if e.kind in DEATHS]
    assert [(e.reason, e.pid) for e in deaths] == [("watchdog:scene-create", 390)]
    # Without the forced report before it, the exit line is a death of its own.
    (alone,) = [e for e in scan_str(f"{exited}\n") if e.kind in DEATHS]
    assert (alone.kind, alone.package) == ("process_killed", "com.myApp")
