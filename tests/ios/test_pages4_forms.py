"""Forms the iOS readers learned in the fourth corpus round from web pages (tests/samples/corpus/ios/w4_*, real
captures; each file's first line names its public source): a report quoted in a feed's HTML paragraphs, a
Termination Reason's value quoted without its label, a Termination Description broken over lines, a background
assertion's holder named `NAME[PID]`, UIKit's not-ended warning cut short, and pages with report words that tell no
kill. Every test runs the real path (detection + parser) on the captured text."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import DEATHS, scan

CORPUS = Path(__file__).resolve().parent.parent / "samples" / "corpus" / "ios"


def test_a_report_in_html_paragraphs_is_read() -> None:
    # Stack Overflow's Atom feed keeps the question's HTML: `<p>Exception Type: 00000020<br />`, `Exception Codes:
    # 0x8badf00d<br />`, `Highlighted Thread: 0 </p>`. The file was refused as no known format.
    events, outcome = scan(CORPUS / "w4_so_atom_feed_html_escaped_8badf00d_failed_to_deactivate_773442.txt")
    assert outcome.usable
    (e,) = events
    assert (e.kind, e.reason, e.data["code"]) == ("process_killed", "watchdog:unknown", "0x8badf00d")


def test_a_termination_reason_value_alone_is_the_kill_it_names() -> None:
    # "they had this same thing:" then `Namespace RUNNINGBOARD, Code 0xdead10cc` on its own line: refused before.
    events, outcome = scan(CORPUS / "w4_inessential_namespace_runningboard_dead10cc_field_alone_in_prose.txt")
    assert outcome.usable
    (e,) = events
    assert (e.kind, e.reason) == ("process_killed", "runningboard:file-lock-while-suspended")


def test_a_termination_description_broken_over_lines_is_the_watchdogs_kill() -> None:
    # `Termination Description:` alone, then `SPRINGBOARD,`, `scene-create watchdog transgression: com.XandJsoft.MyFamily`,
    # `exhausted real (wall clock) time allowance of 19.69 seconds |`, `| ProcessVisibility: …`: it was a crash named
    # 'unknown'.
    (e,) = scan(CORPUS / "w4_forum100253_termination_description_broken_into_bar_lines_by_dts.txt")[0]
    assert (e.kind, e.package, e.reason) == ("process_killed", "com.XandJsoft.MyFamily", "watchdog:scene-create")
    assert e.data["allowance_s"] == 19.69


def test_the_assertion_holder_named_by_name_and_pid_is_the_process() -> None:
    # iOS 7: `MyApp[1369] has active assertions beyond permitted time:` and no Process line: the kill had no process.
    (e,) = scan(CORPUS / "w4_yf9968_ios7_myapp1369_active_assertions_spaced_bkprocessassertion.txt")[0]
    assert (e.kind, e.process, e.pid, e.reason) == ("process_killed", "MyApp", 1369, "bgtask_expired")


def test_uikits_not_ended_warning_cut_after_the_task_id_is_read() -> None:
    # `… <_UIBackgroundTaskInfo: 0x302753840>: taskID = 2, taskName = Called by libswift_Concu` (the page's excerpt
    # ends there): nothing was read.
    (e,) = scan(CORPUS / "w4_forum759585_underscore_uibackgroundtaskinfo_libswift_concurrency_cut.txt")[0]
    assert (e.kind, e.job, e.reason) == ("job_timeout", "uikit:2", "bgtask_expired")


def test_a_glossary_of_report_fields_is_no_crash() -> None:
    # `Termination Reason: 这里主要关注 Code 0x8badf00d,…` in a Chinese glossary, no Exception Type of a report: it
    # was read as a crash named 'unknown'.
    events, outcome = scan(CORPUS / "w4_cnblogs_sigkill_8badf00d_field_glossary_chinese_negative.txt")
    assert outcome.usable
    assert [e for e in events if e.kind in DEATHS] == []


def test_a_heading_with_the_assertions_message_is_no_kill() -> None:
    # A blog titled 'Application has active assertions beyond permitted time' (no colon, no process), then the quoted
    # report's line: two kills were told for the one quoted.
    events, _ = scan(CORPUS / "w4_purushukla_blog_2011_sbprocessassertion_quoted_openmobile.txt")
    kills = [e for e in events if e.kind == "process_killed"]
    assert len(kills) == 1
    assert kills[0].reason == "bgtask_expired"
    assert kills[0].where.endswith(":11")


def test_the_assertion_set_on_the_lines_after_the_message_names_the_process() -> None:
    # `<application_name> has active assertions beyond permitted time:` then `{(` and the indented
    # `<SBProcessAssertion: …> identifier: UIKitBackgroundCompletionTask process: OpenMobile[1087] … owner pid:1087`:
    # the set's `{(` line started a record of its own, and the kill had no process.
    (e,) = scan(CORPUS / "w4_purushukla_blog_2011_sbprocessassertion_quoted_openmobile.txt")[0]
    assert (e.process, e.pid, e.data["permitted_s"]) == ("OpenMobile", 1087, 600.0)


def test_springboards_own_suspending_assertion_does_not_name_the_app() -> None:
    # iOS 4: `BT[4821] has active assertions beyond permitted time:` then `{(`, `identifier: Suspending process:
    # BT[4821] … owner pid:1557`: the owner is SpringBoard, the app is the one the message names.
    events, _ = scan(CORPUS / "syslog_ios4_springboard_assertions_beyond_permitted_time_levels_lost_s21g.txt")
    kills = [e for e in events if e.kind == "process_killed"]
    assert [(e.process, e.pid) for e in kills] == [("BT", 4821)]


def test_a_termination_value_a_glossary_defines_is_no_kill(tmp_path: Path) -> None:
    # A guard on the rule for a value alone: a glossary's term, then `: <what it means>` on the next line, is no kill.
    # Quoted from https://qiita.com/yamataku29/items/e3dfb8209c2d97cd89c3 (a Japanese article on reading crash logs,
    # its field names, values and explanations on lines of their own in the page's copy); the whole page is refused
    # (nothing in it is a log), so it is quoted here and not kept in the corpus.
    glossary = tmp_path / "glossary.txt"
    glossary.write_text(
        "具体例\n"
        "Exception Type\n"
        "-\n"
        "EXC_BREAKPOINT (SIGTRAP)\n"
        ": アクセス対象の変数にnilが入っていた場合、もしくは型変換に失敗した場合のクラッシュ\n"
        "Termination Reason\n"
        "-\n"
        "Namespace SPRINGBOARD, Code 0x8badf00d\n"
        ": 特定の処理に時間がかかっているために、SPRINGBOARDというシステムモジュールがアプリを強制的に停止させた\n",
        encoding="utf-8",
    )
    events, _ = scan(glossary)
    assert [e for e in events if e.kind in DEATHS] == []
