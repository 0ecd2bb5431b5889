"""However a real capture was pasted, it gives the same events: every Android capture of tests/samples
(each named in a manifest of tests/samples/corpus/, its source on its first line) is rewritten as tickets,
issues and chats rewrite logs (quoted as a whole, indented as a Markdown code block, fenced after a
sentence, after prose, a blank line after every line, no-break spaces, CRLF, inside <details>, inside a
numbered list item's fence, behind a viewer's line numbers, a chat's stamp and name or a bullet on every
line, blanks turned into tabs, a JSON array of the lines, a CI's time stamp on every line, bare or bracketed, a
terminal's colours, a fence closed at the end of the last line, as HTML source: in <pre><code>, or each line
ending in <br />, each line a bulleted code span, as a forum's BBCode source) and scanned; its events must be those of the capture as it is. The iOS
captures have their own (tests/ios/test_paste_transforms_ios.py)."""

from __future__ import annotations

import json
import textwrap
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import TESTS, scan

SAMPLES = TESTS / "samples"


def _quote(lines: list[str]) -> list[str]:
    return ["> " + line for line in lines]


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _fence(lines: list[str]) -> list[str]:
    return ["Here is what I see:", "```", *lines, "```", "Any idea?"]


def _prose(lines: list[str]) -> list[str]:
    return ["Hi, the app stops syncing on my phone. adb output:", "", *lines]


def _blank(lines: list[str]) -> list[str]:
    return [out for line in lines for out in (line, "")]


def _nbsp(lines: list[str]) -> list[str]:
    return [line.replace("  ", " \u00a0") for line in lines]


def _details(lines: list[str]) -> list[str]:
    return ["<details><summary>logcat</summary>", "", "```", *lines, "```", "</details>"]


def _list_item(lines: list[str]) -> list[str]:
    return ["1. Start the app", "2. Lock the phone", "3. Logs:", "   ```", *("   " + line for line in lines), "   ```"]


def _numbered(lines: list[str]) -> list[str]:
    return [f"{n:4d} | {line}" for n, line in enumerate(lines, 1)]


def _chat(lines: list[str]) -> list[str]:
    return [f"[10:{n % 60:02d} AM] Anna: {line}" for n, line in enumerate(lines)]


def _bullets(lines: list[str]) -> list[str]:
    return ["- " + line for line in lines]


def _json_array(lines: list[str]) -> list[str]:
    return ["[", *(f"  {json.dumps(line)}," for line in lines), "]"]


def _tabs(lines: list[str]) -> list[str]:
    return [line.replace("  ", "\t") for line in lines]


def _ci_stamped(lines: list[str]) -> list[str]:
    # A CI job's log, as GitHub Actions writes each line (ReactiveCircus/android-emulator-runner#59 quotes one)
    return [f"2020-05-04T13:12:{n % 60:02d}.{n * 7919 % 10**7:07d}Z {line}" for n, line in enumerate(lines)]


def _ci_stamped_bracketed(lines: list[str]) -> list[str]:
    return [f"[2024-05-01T12:00:{n % 60:02d}.{n % 1000:03d}Z] {line}" for n, line in enumerate(lines)]


def _fence_closed_on_the_last_line(lines: list[str]) -> list[str]:
    # A chat's code block closed at the end of the last line, the closing fence glued to it
    return ["logs:", "```", *lines[:-1], lines[-1] + "```"] if lines else lines


def _html_pre(lines: list[str]) -> list[str]:
    # A page's or a ticket's HTML source: the block's tags glued to its first and last lines
    return ["<pre><code>" + lines[0], *lines[1:-1], lines[-1] + "</code></pre>"] if len(lines) > 1 else lines


def _bbcode(lines: list[str]) -> list[str]:
    # A forum post's source: its BBCode block's tags glued to the first and last lines
    return ["[CODE]" + lines[0], *lines[1:-1], lines[-1] + "[/CODE]"] if len(lines) > 1 else lines


def _html_line_breaks(lines: list[str]) -> list[str]:
    return [line + "<br />" for line in lines]


def _code_spans(lines: list[str]) -> list[str]:
    # Each line in its own Markdown code span, as a list (a chat's or an issue's way with log lines)
    return [f"* `{line}`" if line.strip() else line for line in lines]


def _coloured(lines: list[str]) -> list[str]:
    # A terminal's colours on every line (logcat -v color, a CI's coloured output) and a CI's line erasing (GitLab)
    return [f"\x1b[0K\x1b[38;5;{40 + n % 6}m{line}\x1b[0m" for n, line in enumerate(lines)]


TRANSFORMS: dict[str, Callable[[list[str]], list[str]]] = {
    "quote": _quote,
    "indent": _indent,
    "fence": _fence,
    "prose": _prose,
    "blank": _blank,
    "nbsp": _nbsp,
    "crlf": lambda lines: lines,  # written with CRLF line ends
    "details": _details,
    "list_item": _list_item,
    "numbered": _numbered,
    "chat": _chat,
    "bullets": _bullets,
    "tabs": _tabs,
    "json_array": _json_array,
    "ci_stamped": _ci_stamped,
    "ci_stamped_bracketed": _ci_stamped_bracketed,
    "coloured": _coloured,
    "fence_closed_on_the_last_line": _fence_closed_on_the_last_line,
    "html_pre": _html_pre,
    "html_line_breaks": _html_line_breaks,
    "code_spans": _code_spans,
    "bbcode": _bbcode,
}


def captures(platform: str) -> list[Path]:
    """The text captures listed in the corpus manifests of one platform ("android" or "ios")."""
    found = []
    for manifest in sorted((SAMPLES / "corpus").glob(f"{platform}*.toml")):
        for capture in tomllib.loads(manifest.read_text(encoding="utf-8")).get("capture", []):
            found.append(SAMPLES / capture["file"])
    return [path for path in found if path.suffix == ".txt"]


def pasted(path: Path, name: str, tmp_path: Path) -> Path:
    """The capture rewritten by transform `name` in tmp_path, its source line left on top."""
    first, *body = path.read_text(encoding="utf-8").splitlines()
    out = tmp_path / f"{name}__{path.name}"
    ending = "\r\n" if name == "crlf" else "\n"
    out.write_text(ending.join([first, *TRANSFORMS[name](body)]) + ending, encoding="utf-8", newline="")
    return out


def _events_key(events: list[Any]) -> list[str]:
    return sorted(repr((e.kind, e.package, e.pid, e.reason, e.job)) for e in events)


def key(path: Path) -> list[str]:
    """What a capture's events are compared by: kind, package, pid, reason and job of each."""
    events, outcome = scan(path)
    assert outcome.usable, (path.name, [p.message for p in outcome.problems])
    return _events_key(events)


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_an_android_capture_pasted_any_way_gives_its_events(tmp_path: Path, name: str) -> None:
    android = captures("android")
    assert len(android) >= 100
    differ, events = [], 0
    for path in android:
        expected = key(path)
        events += len(expected)
        if key(pasted(path, name, tmp_path)) != expected:
            differ.append(path.name)
    assert events >= 200  # not vacuous: the captures give events
    known = PASTED_KNOWN.get(name, set())
    assert set(differ) == known, f"{name}: {len(differ)} captures read differently: {differ}, known: {sorted(known)}"


# Pasted these ways, these are still read differently: a log its poster's console had already hard-wrapped (a reason
# cut in a word, "busy background ap" / "p"). The rejoin goes by the lines' common width and by the next line; blank
# lines between the lines, or tabs for their blanks, undo both, and the cut word stays cut.
PASTED_KNOWN: dict[str, set[str]] = {
    "blank": {"r3_smartisan_uidcputracker_busy_bg_kill_wrapped_github-uiautomator2-15.txt"},
    "tabs": {"r3_smartisan_uidcputracker_busy_bg_kill_wrapped_github-uiautomator2-15.txt"},
}


def reads_alike(pasted_path: Path, path: Path) -> bool:
    """Whether the pasted text is read at all, and gives the capture's events."""
    events, outcome = scan(pasted_path)
    return bool(outcome.usable) and _events_key(events) == key(path)


def hard_wrapped(lines: list[str], width: int = 80) -> list[str]:
    # A terminal without soft wraps, tmux: every line cut at the width, its pieces on lines of their own.
    return [line[i : i + width] for line in lines for i in range(0, max(len(line), 1), width)]


def word_wrapped(lines: list[str], width: int = 72) -> list[str]:
    # A mail or a page's text: cut at the last blank before the width, the blank dropped; a longer word stays whole.
    wrap = textwrap.TextWrapper(width, break_long_words=False, break_on_hyphens=False)
    return [piece for line in lines for piece in (wrap.wrap(line) or [""])]


def assert_only_known_differ(
    tmp_path: Path,
    platform: str,
    rewrite: Callable[[list[str]], list[str]],
    known: set[str],
    what: str,
    only: Callable[[list[str]], bool] | None = None,
) -> int:
    """Every capture of the platform (whose body `only` accepts, if given), its body rewritten, reads as itself but
    for the `known` ones, which must all still differ (a list kept exact: one that reads alike now is dropped from
    it). Returns how many captures were rewritten."""
    differ, rewritten = set(), 0
    for path in captures(platform):
        first, *body = path.read_text(encoding="utf-8").splitlines()
        if only is not None and not only(body):
            continue
        rewritten += 1
        out = tmp_path / path.name
        out.write_text("\n".join([first, *rewrite(body)]) + "\n", encoding="utf-8")
        if not reads_alike(out, path):
            differ.add(path.name)
    assert differ <= known, f"read differently when {what}: {sorted(differ - known)}"
    assert not known - differ, f"now read alike when {what}, drop them from its known list: {sorted(known - differ)}"
    return rewritten


# Cut at 80 columns, these are still read differently (44 of 131 before a log's records were rejoined): dumps
# (a dump's line of exactly the width is no sign that the next line continues it: dumps are never rejoined) and
# logs with a single cut line (a wrap is told from two at least).
HARD_WRAP_KNOWN = {
    # a log its poster had hard-wrapped already (wrapped twice, its own cut is not rejoined), and a negative whose cut
    # lines read as no log line at all (the text is then no log: refused). Studio's newer column layout cut at 80 leaves
    # its level and message on lines of their own, read since round 6 as Studio's level-only lines ("E  msg")
    "r3_smartisan_uidcputracker_busy_bg_kill_wrapped_github-uiautomator2-15.txt",
    "r3_transsion_powercenter_screenoff_backticks_negative_github-bgfetch349.txt",
    "dumpsys_jobscheduler_workmanager_expo_docs.txt",
    "exitinfo_stoic_detail_key_value_anr_square.txt",
    "exitinfo_stoic_table_square.txt",
    "jobscheduler_android11_contenttrigger_quota_so64832554.txt",
    "jobscheduler_android9_sunmi_periodic_deadline.txt",
    "jobscheduler_workmanager_youtube_rare_devdocs.txt",
    "wm_worker_class_not_found_bare_trace_blog_jeroenmols.txt",
    # a crash report that names its app only in a ComponentInfo{...} the cut splits (its lines are not rejoined)
    "crash_fgs_did_not_stop_crashlytics_componentinfo_bgdownloader599.txt",
    # the same with a ServiceRecord{...} (a Studio copy without its header line), and a quoted dump
    "r3_crash_fgs_did_not_start_studio_indent_no_header_java_fence_canairio178.txt",
    "r3_jobscheduler_grep_job_and_controller_lines_blockquote_rnbgfetch172.txt",
    "r3_jobscheduler_grep_android14_history_active_slot_markdown_report_videoedit.txt",
    # issues round 4: a Studio-column negative whose cut lines read as no log
    "g4_fgs_start_not_allowed_caught_studio_new_format_negative_androidxmedia1715.txt",
    # pages round 4: a single log line behind grep -n's prefix, and two -v uid lines each cut once with a paragraph of
    # Chinese notes between them (each a single cut line)
    "w4_am_killing_grep_n_prefix_usec_threadtime_jpdebug.txt",
    "w4_has_died_fg_top_uid_columns_chinese_notes_between_yooqur.txt",
    # new forms round 5: a RemoteServiceException line alone naming its app in a ServiceRecord{...} the cut splits
    "n5_crash_fgs_did_not_start_app_errors_tracking_bracket_keys_android16_czero4.txt",
}

# Word-wrapped at 72 columns, these are still read differently (88 of 131 before records were rejoined at blanks):
# dumps, crash reports and Studio copies whose continuation lines a cut cannot be told from, logs with a single
# cut line, and captures where a cut left a line that starts like a record. (Studio new-view copies whose cut leaves
# "L  message" on a line of its own read alike since round 6, as Studio's level-only lines.)
WORD_WRAP_KNOWN = {
    # a log its poster had hard-wrapped already, and Studio-column negatives whose cut lines read as no log line
    "r3_smartisan_uidcputracker_busy_bg_kill_wrapped_github-uiautomator2-15.txt",
    "r3_samsung_freecesscontroller_studio_negative_github-clarius32.txt",
    "r3_transsion_powercenter_screenoff_backticks_negative_github-bgfetch349.txt",
    "r3_vivo_originos_shizuku_server_uid_cached_studio_github-shizuku451.txt",
    "am_no_longer_want_events_wrapped_code_export_chromadoze.txt",
    "anr_grep_n_prefix_bg_anr_kill_linjw.txt",
    "anr_short_fgs_bare_fence_glued_rnbgactions213.txt",
    "dumpsys_jobscheduler_active_jobs_android8_kmansoft.txt",
    "dumpsys_jobscheduler_workmanager_expo_docs.txt",
    "exitinfo_stoic_detail_key_value_anr_square.txt",
    "exitinfo_stoic_table_square.txt",
    "has_died_placeholder_backslash_glued_16lz.txt",
    "job_stopped_email_quoted_studio_evernote.txt",
    "jobscheduler_android11_contenttrigger_quota_so64832554.txt",
    "jobscheduler_android9_sunmi_periodic_deadline.txt",
    "jobscheduler_workmanager_youtube_rare_devdocs.txt",
    "logcat_studio_new_anr_myplanet.txt",
    "logcat_studio_wm_threw_devbyteviewer.txt",
    "oneplus_linkpower_grep_prefixed_github-appium18183.txt",
    "wm_failure_studio_package_column_ketch.txt",
    "wm_result_failure_bold_markdown_studio_ketch47.txt",
    "wm_worker_class_not_found_bare_trace_blog_jeroenmols.txt",
    # bare crash lines naming the app in a ServiceRecord / ComponentInfo a cut moves away, and a quoted dump
    "r3_crash_fgs_did_not_start_studio_indent_no_header_java_fence_canairio178.txt",
    "r3_jobscheduler_grep_job_and_controller_lines_blockquote_rnbgfetch172.txt",
    "r3_jobscheduler_grep_android14_history_active_slot_markdown_report_videoedit.txt",
    # pages round 4: the prose line after the last cut am_anr record is taken for the rest of its message
    "w4_am_anr_two_events_lines_bugreport_doc_copy_cnblogs.txt",
    # new forms round 5: bare ForegroundServiceDidNotStopInTimeException lines naming the app in a ComponentInfo{...}
    # the cut moves away (apps' own reports)
    "n5_crash_fgs_did_not_stop_app_report_unfenced_recent_logs_fauxx10.txt",
    "n5_crash_fgs_did_not_stop_do_not_edit_report_api36_aria2app392.txt",
    "n5_crash_fgs_did_not_stop_issue_form_shell_fence_android16_fauxx249.txt",
    "n5_crash_fgs_did_not_start_app_errors_tracking_bracket_keys_android16_czero4.txt",
    # issues trial round 6: a Studio new-view negative (a fence glued to its first line) whose cut lines read as no log
    "t6_negative_notification_opened_studio_new_fence_on_first_line_oplus_onesignalflutter910.txt",
}


def collapsed(lines: list[str]) -> list[str]:
    # A page that renders a log outside <pre>: runs of blanks collapsed to one, each line's indentation gone.
    return [" ".join(line.split()) for line in lines]


# Collapsed, these are still read differently: dumps, whose structure is their indentation.
COLLAPSED_KNOWN = {
    # and a log its poster had hard-wrapped already: collapsed, its lines no longer share the console's width
    "r3_smartisan_uidcputracker_busy_bg_kill_wrapped_github-uiautomator2-15.txt",
    "exitinfo_stoic_table_square.txt",
    "dumpsys_jobscheduler_failures_adb-alfred.txt",
    "dumpsys_jobscheduler_workmanager_expo_docs.txt",
    "jobscheduler_android11_contenttrigger_quota_so64832554.txt",
    "jobscheduler_android9_sunmi_periodic_deadline.txt",
    "jobscheduler_workmanager_youtube_rare_devdocs.txt",
    "r3_jobscheduler_grep_android14_history_active_slot_markdown_report_videoedit.txt",
    # frameworks round 5: a short Studio crash whose continuation lines, unindented, are mostly bare 'Key: value'
    # lines (Unity's tombstone header in java.lang.Error): 'Process: <pkg>, PID: N' no longer continues the FATAL
    # EXCEPTION, which is read without its package
    "f5_crash_unity_fatal_unitymain_inline_backtick_studio_signin118.txt",
    # issues trial round 6: Studio's level-only lines ("D  msg") collapsed to "D msg", which prose reads as well (a
    # negative: then no log, refused)
    "t6_negative_tslocation_service_stopped_level_only_emoji_lines_capacitor345.txt",
}


def grepped(lines: list[str]) -> list[str]:
    # grep -Hn over a log: the file's name and each line's number before it
    return [f"logs/logcat.txt:{n}:{line}" for n, line in enumerate(lines, 1)]


def wrapped_by_a_tool(lines: list[str]) -> list[str]:
    # A script that passes a log on, its own name before each line (google/android-emulator-container-scripts#342)
    return [f"logcat: {line}" for line in lines]


# What stands before every line of these is learnt from the lines a log line starts in (see paste.tool_prefix), and
# these have none that the scanner tells inside another tool's line: dumps, crash reports and exit records,
# bare messages, a Java trace.
GREPPED_KNOWN = {
    "activity_full_dump_exit-info_section_firetv.txt",
    "anr_bare_blank_before_reason_fence_exoplayer8652.txt",
    "anr_bare_message_studio_indent_rethink.txt",
    "anr_masked_package_quoted_studio_appboy80.txt",
    "crash_exact_alarm_grapheneos_report_timeplanner.txt",
    "crash_fgs_timeout_no_fatal_line_ntfy.txt",
    "dumpsys_activity_exit-info_firetv.txt",
    "dumpsys_deviceidle_settings_doze-tweak.txt",
    "dumpsys_jobscheduler_active_jobs_android8_kmansoft.txt",
    "dumpsys_jobscheduler_failures_adb-alfred.txt",
    "dumpsys_jobscheduler_workmanager_expo_docs.txt",
    "dumpsys_phantom_records_killed_false_termux.txt",
    "exitinfo_dumpsys_3line_quoted_prompt_termux_x11.txt",
    "exitinfo_stoic_detail_key_value_anr_square.txt",
    "exitinfo_stoic_table_square.txt",
    "jobscheduler_android11_contenttrigger_quota_so64832554.txt",
    "jobscheduler_android9_sunmi_periodic_deadline.txt",
    "jobscheduler_workmanager_youtube_rare_devdocs.txt",
    "wm_worker_class_not_found_bare_trace_blog_jeroenmols.txt",
    "crash_bg_start_bare_process_pid_lines_no_prefix_oneplus_ddrv.txt",
    "r3_jobscheduler_grep_job_and_controller_lines_blockquote_rnbgfetch172.txt",
    "r3_deviceidle_settings_opening_backtick_inline_code_dozeoff8.txt",
    "r3_jobscheduler_grep_android14_history_active_slot_markdown_report_videoedit.txt",
    # paste-shape round 3: a bare ANR block, Studio's compact view (no time, no tag)
    "p3_anr_bare_block_lone_backtick_droidify919.txt",
    "p3_crash_studio_compact_view_process_line_runs_into_exception_wear_docs.txt",
    # issues round 4: a bare 'Process: <pkg>, PID: N' crash whose exception is indented; Studio copies without a date
    # (its compact view, whose ANR's PID line under a prefix is no bare continuation; time-only columns)
    "g4_crash_process_line_three_space_frames_masked_company_filelogger9.txt",
    "g4_anr_in_studio_time_only_continuation_41_blanks_streetcomplete2206.txt",
    "g4_fgs_start_not_allowed_caught_studio_new_format_negative_androidxmedia1715.txt",
    # and a single bare 'Tag: msg' line quoted in Markdown bold (no prefix is learnt from one line)
    "g4_am_killing_depends_on_provider_bold_prose_line_antennapod4806.txt",
    # pages round 4: a Crashlytics 'Fatal Exception:' header with its message on the next line, and a dump's Settings
    "w4_crashlytics_not_allowed_start_service_masked_pkg_programmerteach.txt",
    "w4_deviceidle_settings_idling_history_negative_octechnote.txt",
    # new forms round 5: Studio's compact view again (time and level only before a FATAL EXCEPTION), and a bare ANR
    # report in a blockquote (as droidify919's)
    "n5_crash_fgs_location_type_studio_compact_fatal_android15_summonpro1.txt",
    "n5_anr_bare_report_psi_blocks_blockquote_tilde_yaml_fence_tasks3662.txt",
    # issues trial round 6: a Studio copy without its header ('FATAL EXCEPTION: main' alone), whose 'Process: <pkg>,
    # PID: N' under Studio's 100 blanks of padding is no bare continuation behind a prefix (the crash loses its pid)
    "t6_crash_studio_fatal_exception_indented_continuations_text_fence_fgs_type_hjqlogcat38.txt",
}
# The same, and logs in layouts that are not told inside another line (a brief line without its level, a threadtime
# line without its time, crash reporters' own exports, ...), where the wrapper's `logcat: ` stays.
WRAPPED_BY_A_TOOL_KNOWN = GREPPED_KNOWN | {
    "anr_short_fgs_bare_fence_glued_rnbgactions213.txt",
    "crash_bg_start_not_allowed_long_format_radiodroid.txt",
    "crash_fgs_app_crash_reporter_flow.txt",
    "crash_fgs_autolinked_markdown_logfox.txt",
    "crash_fgs_crashlytics_export_geofence.txt",
    "email_quoted_wrapped_destroying_layer_negative_cordovasms117.txt",
    "logcat_level_tag_anr_droidify.txt",
    "oneplus_linkpower_grep_prefixed_github-appium18183.txt",
    "oppo_user_restricted_crash_github-intercom.txt",
    "wm_retry_issue_title_flutter_downloader.txt",
    "xiaomi_am_kill_lockscreenclean_devdoc-mirror.txt",
    "bare_tag_lines_start_proc_between_chinese_notes_xfxia.txt",
    "negative_choreographer_skipped_frames_anr_prose_ashishb.txt",
    # crash reporters' texts and bare crashes, an app's own log of exit records, syncthing-android's viewer layout
    # (not told inside another line)
    "crash_exact_alarm_crashlytics_receiver_flutterlocalnotif2248.txt",
    "crash_fgs_bg_started_disallowed_inline_code_ulogger140.txt",
    "crash_fgs_did_not_stop_crashlytics_componentinfo_bgdownloader599.txt",
    "crash_fgs_not_allowed_crashlytics_service_line_filedownloader1412.txt",
    "crash_fgs_time_limit_bare_device_info_fence_syncthing1300.txt",
    "crash_fgs_time_limit_time_glued_level_syncthing1264.txt",
    "crash_time_glued_level_three_crashes_syncthing538.txt",
    "exitinfo_tostring_app_log_persian_digits_openvpn_ismc13.txt",
    "exitinfo_tostring_app_log_same_length_lines_openvpn_magisk421.txt",
    "negative_crashlytics_non_fatal_fgs_did_not_call_rhasspy475.txt",
    "am_killing_excessive_cpu_bare_tag_user10_seedvault271.txt",  # a single bare 'Tag: msg' line
    # a RemoteServiceException line alone (an App Center reason, an ACRA trace, a Studio copy without its header)
    "r3_crash_fgs_did_not_start_app_center_markdown_headings_apperrorstracking319.txt",
    "r3_crash_fgs_did_not_start_studio_indent_no_header_java_fence_canairio178.txt",
    "r3_crash_fgs_did_not_stop_acra_bare_trace_fence_anki19749.txt",
    # paste-shape round 3: bare lines, Studio's tag-only copy, a viewer's indented copy, Unity's Logcat window
    "p3_anr_two_bare_lines_fence_then_markdown_table_glass441.txt",
    "p3_crash_studio_tag_only_prefix_fence_exclave204.txt",
    "p3_crash_viewer_copy_one_blank_indent_fclogcat1.txt",
    "p3_unity_logcat_window_copy_locale_date_negative_natml22.txt",
    # pages round 4: bare 'ActivityManager: Start proc' lines, each with a note glued after it
    "w4_bare_start_proc_notes_glued_same_line_51cto.txt",
    # issues round 4: a bare 'Process:' crash in a fence
    "g4_crash_process_line_runtime_exception_create_application_strictmode6.txt",
    # new forms round 5: apps' own crash reports (a ForegroundServiceDidNotStopInTimeException line alone)
    "n5_crash_fgs_did_not_start_app_errors_tracking_bracket_keys_android16_czero4.txt",
    "n5_crash_fgs_did_not_stop_app_report_unfenced_recent_logs_fauxx10.txt",
    "n5_crash_fgs_did_not_stop_do_not_edit_report_api36_aria2app392.txt",
    "n5_crash_fgs_did_not_stop_issue_form_shell_fence_android16_fauxx249.txt",
    # Play Console's crash page copied: its "Exception <throwable>:" is read at a line's start only
    "n5_crash_fgs_did_not_stop_play_console_no_message_fence_android16_openvehicles210.txt",
    "n5_crash_fgs_quota_exhausted_play_console_caused_by_no_colon_bitkit981.txt",
    # representative trial round 6 (pages): a level-and-tag line without its pid ('W/JobInfo: ...'), a bare
    # 'Caused by: ...IllegalStateException: Not allowed to start service' line, a Crashlytics trace, each among prose
    "t6_jobinfo_clamped_interval_flex_brief_w3toppers.txt",
    "t6_caused_by_not_allowed_start_service_one_line_solutionschecker.txt",
    "t6_crashlytics_fgs_start_not_allowed_elided_pkg_pr_text_flutterbgservice538.txt",
    # issues trial round 6: WorkManager's lines as 'Tag: message' only, and Studio's level-only lines ('D  msg'), are
    # not told inside another line
    "t6_negative_wm_tag_message_only_blank_line_separated_then_prose_codelab181.txt",
    "t6_negative_tslocation_service_stopped_level_only_emoji_lines_capacitor345.txt",
}


def flutter_verbose(lines: list[str]) -> list[str]:
    # `flutter run -v`: the time since its last line before each line it prints, or its blanks (flutter/flutter#89529)
    return [(f"[{f'+{7 * n % 900 + 1} ms':>9}] " if n % 3 else "[        ] ") + line for n, line in enumerate(lines)]


# The same as behind a wrapper's `logcat: `, but for texts whose first lines a layout reads with the bracket before
# them (a chat's stamp and name were taken off those, `[  +8 ms] I/flutter (4242): `) and Unity's Logcat window copy
# (its lines are told after flutter's brackets, not after a word), and for three more: `-v long` headers, whose own
# brackets the learnt prefix does not tell from flutter's, and a single bare message.
FLUTTER_VERBOSE_KNOWN = (
    WRAPPED_BY_A_TOOL_KNOWN
    - {
        "email_quoted_wrapped_destroying_layer_negative_cordovasms117.txt",
        "logcat_level_tag_anr_droidify.txt",
        "negative_choreographer_skipped_frames_anr_prose_ashishb.txt",
        "oneplus_linkpower_grep_prefixed_github-appium18183.txt",
        "p3_unity_logcat_window_copy_locale_date_negative_natml22.txt",
    }
) | {
    "am_killing_crash_long_format_export_appmanager868.txt",
    "am_start_proc_long_format_appmanager.txt",
    "oppo_not_allowed_start_service_github-keeplive.txt",
    # pages round 4: a bare 'FATAL EXCEPTION: main' line with its exception alone on the next
    "w4_fgs_anr_and_crash_tag_lines_no_package_proandroiddev.txt",
    # ActivityThread's 'Unable to start ...: <throwable>' as the first line of a bare crash (a crash reporter's banner
    # report, a Crashlytics export, the line alone, bare traces, a Studio copy without its header): behind 'logcat: '
    # it reads as a log line's message, which tells the crash; behind flutter's brackets it does not
    "crash_bg_service_start_app_report_acside.txt",
    "crash_fgs_not_allowed_crashlytics_blank_lines_hbrecorder142.txt",
    "g4_crash_unable_to_start_receiver_one_line_no_process_flutterbgservice393.txt",
    "n5_crash_fgs_location_type_bare_trace_fence_targetsdk35_yourlocalweather205.txt",
    "n5_crash_fgs_location_type_issue_form_bare_trace_fdroid_neostumbler714.txt",
    "n5_crash_fgs_missing_type_studio_no_header_100_blanks_fence_screentracker6.txt",
}


def test_an_android_log_in_flutter_run_verbose_output_gives_its_events(tmp_path: Path) -> None:
    assert_only_known_differ(tmp_path, "android", flutter_verbose, FLUTTER_VERBOSE_KNOWN, "in `flutter run -v`")


def test_an_android_log_grepped_with_file_names_and_line_numbers_gives_its_events(tmp_path: Path) -> None:
    assert_only_known_differ(tmp_path, "android", grepped, GREPPED_KNOWN, "grepped with -Hn")


def test_an_android_log_passed_on_by_a_tool_that_names_itself_on_each_line_gives_its_events(tmp_path: Path) -> None:
    assert_only_known_differ(tmp_path, "android", wrapped_by_a_tool, WRAPPED_BY_A_TOOL_KNOWN, "behind 'logcat: '")


def test_an_android_capture_whose_blanks_a_page_collapsed_gives_its_events(tmp_path: Path) -> None:
    assert_only_known_differ(tmp_path, "android", collapsed, COLLAPSED_KNOWN, "its blanks are collapsed")


def test_an_android_capture_hard_wrapped_at_80_columns_gives_its_events(tmp_path: Path) -> None:
    assert_only_known_differ(tmp_path, "android", hard_wrapped, HARD_WRAP_KNOWN, "hard-wrapped at 80")


def test_an_android_capture_word_wrapped_at_72_columns_gives_its_events(tmp_path: Path) -> None:
    assert_only_known_differ(tmp_path, "android", word_wrapped, WORD_WRAP_KNOWN, "word-wrapped at 72")
