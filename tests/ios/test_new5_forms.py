"""Forms the iOS readers learned in the fifth corpus round, of the newest iOS and Xcode (tests/samples/corpus/ios_new5/,
real captures; each file's first line names its public source): Xcode 15+'s run error for an app killed for its
memory, a flattened .ips whose termination reasons are a quoted JSON array, FrontBoard's "failed to terminate
gracefully" explanation quoted on its own, and Console copies with a capitalized type or reordered columns. Every
test runs the real path (detection + parser) on the captured text, or on a line of it."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import DEATHS, scan

CORPUS = Path(__file__).resolve().parent.parent / "samples" / "corpus" / "ios_new5"


def test_xcodes_run_error_for_memory_is_the_apps_jetsam_kill_told_once() -> None:
    # Xcode 15 (iOS 17.3.1): 'The app “WhisperAX” has been killed by the operating system because it is using too
    # much memory.', shown twice (the error and its underlying error). The file was refused as no known format.
    events, outcome = scan(CORPUS / "argmax70_xcode15_killed_by_os_too_much_memory_idedebugsession_ios17.txt")
    assert outcome.usable
    (e,) = [e for e in events if e.kind in DEATHS]
    assert (e.kind, e.process, e.reason) == ("process_killed", "WhisperAX", "jetsam:unknown")


def test_xcodes_run_error_pasted_unfenced_names_the_app() -> None:
    (e,) = scan(CORPUS / "fastvlm24_xcode16_killed_by_os_too_much_memory_unfenced_ios18.txt")[0]
    assert (e.kind, e.process, e.reason) == ("process_killed", "FastVLM App", "jetsam:unknown")


def test_frontboards_failed_to_terminate_gracefully_quoted_alone_is_the_watchdog_kill() -> None:
    # '0x8BADF00D  [application<com.xxx.xxx>:58767] failed to terminate gracefully after 5.0s' in Chinese prose:
    # refused before.
    events, outcome = scan(CORPUS / "mars1103_chinese_prose_8badf00d_failed_to_terminate_gracefully_one_line.txt")
    assert outcome.usable
    (e,) = events
    assert (e.kind, e.pid, e.reason) == ("process_killed", 58767, "watchdog:process-exit")


def test_termination_reasons_printed_as_a_json_array_are_the_kill_they_tell() -> None:
    # A script's flattened .ips ('pid|19198', 'termination.reasons|', then '[', then one quoted reason a line, the
    # first '"<RBSTerminateContext| domain:10 code:0x8BADF00D explanation:scene-update watchdog transgression:
    # app<media.payown.earshot(…)>:19198 exhausted …",'): refused before.
    events, outcome = scan(CORPUS / "earshot_findings_flattened_ips_dump_termination_reasons_array_ios27.txt")
    assert outcome.usable
    (e,) = events
    assert (e.kind, e.package, e.pid, e.reason) == (
        "process_killed",
        "media.payown.earshot",
        19198,
        "watchdog:scene-update",
    )


def test_a_console_copy_with_a_capitalized_type_is_an_ios_log() -> None:
    # iOS 18's Console copy quoted with '> ': 'Default<TAB>14:25:47.847946+0800<TAB>Signal<TAB>…'. Refused before.
    events, outcome = scan(CORPUS / "signal5923_console_capitalized_default_type_blockquote_ios18_negative.txt")
    assert outcome.usable
    assert [e for e in events if e.kind in DEATHS] == []


def test_a_console_copy_in_reordered_columns_is_an_ios_log() -> None:
    # Columns subsystem, type, category, message, time, process (iOS 17): refused before.
    events, outcome = scan(CORPUS / "azusa1040_console_subsystem_first_time_fifth_column_trollstore_ios17_negative.txt")
    assert outcome.usable
    assert [e for e in events if e.kind in DEATHS] == []


def test_reordered_console_columns_name_the_process_of_the_last_column() -> None:
    # The other reordered copy (time, category, message, subsystem, library, type, process): its rows now name their
    # process, SpringBoard, and the app's dyld exit is still its crash.
    from bgprobe.collectors.parsers.ios_layouts import parse_record

    path = CORPUS.parent / "ios" / "console_reordered_columns_process_exited_dyld_airsdk2476.txt"
    row = next(line for line in path.read_text(encoding="utf-8").splitlines() if "\tSpringBoard" in line)
    rec = parse_record(row, 1)
    assert rec is not None and (rec.layout, rec.process, rec.level) == ("console_columns", "SpringBoard", "default")
    (e,) = [e for e in scan(path)[0] if e.kind in DEATHS]
    assert (e.kind, e.package, e.pid) == ("crash", "net.yvant.domination", 23793)


def _tabbed(tmp_path: Path, name: str) -> Path:
    """The capture as an editor that turns runs of two blanks into tabs leaves it (the paste transforms' `tabs`)."""
    first, *body = (CORPUS / name).read_text(encoding="utf-8").splitlines()
    out = tmp_path / name
    out.write_text("\n".join([first, *(line.replace("  ", "\t") for line in body)]) + "\n", encoding="utf-8")
    return out


def test_an_ips_body_with_tabs_inside_its_json_strings_is_still_read(tmp_path: Path) -> None:
    # '"\"Thermal Level:\t 0\","': a tab in a JSON string, which strict JSON refuses (nothing was read).
    (e,) = scan(_tabbed(tmp_path, "earshot_ips_ios27_beta_app_uuid_scene_update_cut_before_threads.txt"))[0]
    assert (e.kind, e.package, e.pid, e.reason) == (
        "process_killed",
        "media.payown.earshot",
        19198,
        "watchdog:scene-update",
    )


def test_a_crashed_thread_whose_frame_numbers_were_taken_for_a_gutter_is_still_the_abort(tmp_path: Path) -> None:
    # '0<TAB><TAB>libsystem_kernel.dylib …': the numbers went with the gutter the scan takes off (nothing was read).
    (e,) = scan(_tabbed(tmp_path, "forum740373_app_review_ios17_abort_no_exception_type.txt"))[0]
    assert (e.kind, e.reason) == ("crash", "sigabrt")


def test_ios26s_is_stuck_explanation_quoted_with_its_label_is_the_watchdog_kill() -> None:
    # 'explanation: scene-create watchdog transgression: app<com.Ysoup.TokenMemo>:9454 is stuck (deadlock)' (iOS 26
    # says why where it said 'exhausted … allowance'): refused before.
    events, outcome = scan(CORPUS / "clipkeyboard446_ios26_scene_create_is_stuck_deadlock_explanation_korean.txt")
    assert outcome.usable
    (e,) = events
    assert (e.kind, e.package, e.pid, e.reason) == (
        "process_killed",
        "com.Ysoup.TokenMemo",
        9454,
        "watchdog:scene-create",
    )
    assert e.data["stuck"] == "deadlock"
