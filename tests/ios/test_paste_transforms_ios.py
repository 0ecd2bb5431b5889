"""However a real iOS capture was pasted, it gives the same events: every iOS capture of tests/samples (each
named in tests/samples/corpus/ios*.toml, its source on its first line) is rewritten as tickets, issues and chats
rewrite logs (the transforms of tests/test_paste_transforms.py: quoted, indented as a Markdown code block, fenced
after a sentence, after prose, a blank line after every line, no-break spaces, CRLF, inside <details>, inside a
numbered list item's fence) and scanned; its events must be those of the capture as it is.

What these caught: an indented Console copy ran into one record (every line started with a blank, so each
continued the one before), an indented `process<TAB>message` row was no row, an indented or list-item crash
report (MetricKit's `Termination reason: <RBSTerminateContext| …`, a bug_type 109 header and its text report)
was not told or not read, a JetsamEvent report followed by a closing fence or a sentence gave nothing, and a
double-spaced paste cut every multi-line record (dasd's policy dumps, a hard-wrapped UIKit warning) at its
first line."""

from __future__ import annotations

from pathlib import Path

import pytest
from bgprobe.collectors.parsers.ios_syslog import IosTextReader, has_log_lines

from tests.test_paste_transforms import (
    TRANSFORMS,
    assert_only_known_differ,
    captures,
    collapsed,
    grepped,
    hard_wrapped,
    key,
    pasted,
    word_wrapped,
    wrapped_by_a_tool,
)

# Captures whose multi-line records (dasd's `{(` sets and policy dumps, TN3163's reflowed Console rows, a
# hard-wrapped UIKit warning, an assertion's lines) must join across the blank lines of a double-spaced paste.
_DOUBLE_SPACED = {
    "uikit_bgtask_expired_hard_wrapped_uynguyen_blog.txt",
    "dasd_pushlaunch_policies_markdown_ably_docs.txt",
    "dasd_coredata_import_throttle_tn3163.txt",
    "dasd_bgprocessing_submit_cancel_policy.txt",
    "legacy_assertion_beyond_permitted_time.txt",
}


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_an_ios_capture_pasted_any_way_gives_its_events(tmp_path: Path, name: str) -> None:
    ios = captures("ios")
    assert len(ios) >= 80
    differ, events = set(), 0
    for path in ios:
        expected = key(path)
        events += len(expected)
        if key(pasted(path, name, tmp_path)) != expected:
            differ.add(path.name)
    assert events >= 100  # not vacuous: the captures give events
    assert not differ, f"{name}: read differently: {sorted(differ)}"


def _reader_key(lines: list[str], double_spaced: bool) -> list[str]:
    reader = IosTextReader("paste.txt", double_spaced=double_spaced)
    events = [e for n, line in enumerate(lines, 1) for e in reader.feed(n, line)] + reader.flush()
    return sorted(repr((e.kind, e.package, e.pid, e.reason, e.job, e.detail)) for e in events)


@pytest.mark.parametrize("capture", sorted(_DOUBLE_SPACED))
def test_a_double_spaced_capture_reads_as_itself(capture: str) -> None:
    # A blank line after every line (and three for each blank line of the capture): its multi-line records
    # (dasd's `{(` sets and policy dumps, TN3163's reflowed Console rows, a hard-wrapped UIKit warning) join
    # across the doubled blanks as they did without them.
    path = next(p for p in captures("ios") if p.name == capture)
    lines = path.read_text(encoding="utf-8").splitlines()
    expected = _reader_key(lines, double_spaced=False)
    assert expected
    assert _reader_key(lines[:1] + TRANSFORMS["blank"](lines[1:]), double_spaced=True) == expected


# Cut at 80 columns, these are still read differently (43 of 90 before iOS text was rejoined): text crash reports
# and JSON report pieces (told as an .ips report, which is not rejoined), texts the cut makes no longer told as an
# iOS log (read as a paste, with Android's record test), one-line captures (a wrap is told from two cut lines at
# least), texts already hard-wrapped or reflowed whose second wrap is told as one at blanks, and a line exactly
# 80 columns long (taken for a cut one, the line after it joined to it: corpus/ios/kernel_memorystatus_then_*),
# and a text whose one device line the cut leaves without its level, the rest being a tool's own debug lines
# (corpus/ios/r3_idevicesyslog_*: refused). (A JSON string a cut breaks is decoded since report JSON is decoded
# leniently, a line break inside a string kept: three .ips pieces left these lists in round 5.)
HARD_WRAP_KNOWN = {
    "appium_syslog_json_power_assertion_rename_wda.txt",
    "assertions_beyond_permitted_redacted_bundle_finishtask_procedurekit233.txt",
    "backboardd_bknewprocess_beyond_permitted_indented_set_forum209252.txt",
    "crash_fields_run_together_one_line_frontboard_decimal_hiroakit.txt",
    "crash_frontboard_decimal_line_number_gutter_japanese_blog_hiroakit.txt",
    "crash_frontboard_decimal_scene_create_important_bits_rn_forum725476.txt",
    "crash_header_frontboard_lowercase_failed_terminate_gracefully_firebase9859_ios16.txt",
    "crash_header_process_exit_watchdog_empty_bundle_plcrashreporter47.txt",
    "crash_header_process_exit_watchdog_lockbox_ios13.txt",
    "crash_ios8_simulated_8badf00d_bknewprocess_assertions_developreference.txt",
    "crash_report_sigkill_codesigning_unfenced_flutter_bgfetch127_ios14b.txt",
    "dasd_coredata_import_throttle_tn3163.txt",
    "frontboard_baadca11_run_together_voip_forum793077.txt",
    "frontboard_provision_violated_scene_create_then_header_ios11_forum104020.txt",
    "frontboard_rbsterminatecontext_multiline_thermal_firebase.txt",
    "kernel_exc_resource_fatal_nse_nextcloud_ios17b1.txt",
    "kernel_memorystatus_keyboard_extension_fcitx5_readme.txt",
    "kernel_memorystatus_then_reportsystemmemory_proc_colon_lantern_pr8971.txt",
    "lldb_stop_reason_exc_resource_memory_watch_interp_macios7075.txt",
    "metrickit_rbsterminatecontext_scene_update_thermal_roam.txt",
    "quoted_no_task_request_custom_task_rnbgfetch563.txt",
    "r3_idevicesyslog_debug_relay_errors_then_dasd_suspend_triggers_construct2078_negative.txt",
    "rbsterminatecontext_lines_under_xccrashpoint_headings_emission_ios15.txt",
    "uikit_bgtask_expired_hard_wrapped_uynguyen_blog.txt",
    "uikit_bgtask_over_30s_hard_wrapped_fence_walletconnect784.txt",
    "watchdog_crash_header_ios11.txt",
    "watchdog_frontboard_scene_create_app_uuid_ios17.txt",
    "watchdog_ips_json_termination_field.txt",
    "watchdog_scene_create_cpu_allowance_rbs.txt",
    "watchdog_scene_update_kern_memory_error_header_ios13.txt",
    "watchdog_springboard_scene_create_ios11.txt",
    "watchdog_springboard_scene_update_background_blog.txt",
    "webkit_runningboard_expiration_timer_cordova_ios14.txt",
    # paste-shape round 3: a tool's prefix, a tab-indented backtrace and 'process: message' lines, cut mid-record
    "p3_appium_ios_syslog_row_jetsamproperties_simulator_negative.txt",
    "p3_launchd_sim_abort_trap_6_after_tab_indented_backtrace_appdeck91.txt",
    "p3_springboard_exited_abnormally_via_signal_process_colon_flutter6775.txt",
    # issues round 4: an RBSTerminateContext whose explanation (naming the app) a cut splits, and a debugger's message
    # inside a long line of Chinese prose a cut splits
    "g4_crash_header_rbsterminatecontext_scene_update_background_kodiremote684.txt",
    "g4_xcode_debugger_memory_chinese_prose_nslog_no_year_jqfmdb53.txt",
    # and UIKit's over-30-seconds warning alone on one long line (in code spans): cut, no piece reads as a log line
    "g4_uikit_bgtask_over_30s_inline_code_prose_claims_kill_mapboxnav61.txt",
    "g4_uikit_bgtask_over_30s_triple_backticks_one_line_wikipedia3548.txt",
    # pages round 4: a report header's five fields run together on one line of 190 columns (the cut splits
    # 'Namespace <0xF' from '>, Code 0x8badf00d'), and UIKit's not-ended warning, 156 columns, whose cut splits
    # '<_UIBackg' from 'roundTaskInfo: …>: taskID = 2'; a one-line Termination Description whose cut splits the bundle
    # ('transgression: com' / '.keyholetv.jp.i-keyholetv2 exhausted …'), read as another app
    "w4_coderoad_ru_namespace_0xf_8badf00d_header_collapsed_russian.txt",
    "w4_forum759585_underscore_uibackgroundtaskinfo_libswift_concurrency_cut.txt",
    "w4_geekisstupid_blog_process_launch_watchdog_keyholetv_header.txt",
    # and a JetsamEvent entry collapsed onto one line after the debugger's 'Terminated due to memory issue': wrapped,
    # its keys start lines and the text reads as a report alone, the debugger's line left out (one death, not two)
    "w4_liuhaihua_jetsamevent_entry_collapsed_one_line_debugger_memory_chinese.txt",
    # frameworks round 5: one-line Termination Descriptions whose cut splits the app ('transgression: cloud.myapp.myap'
    # / 'pMobile exhausted …', 'application<****>:' / '7778') or the event word ('scene-up' / 'date'); an
    # RBSTerminateContext whose explanation the cut splits from its identity; Foundation's uncaught-exception line and
    # debugserver's quoted words ('"terminated due to sig' / 'nal 9"') cut in a sentence
    "expo32605_corefoundation_category_prefix_uncaught_exception_inline_code_two_lines.txt",
    "macios20769_rbsterminatecontext_inline_code_trailing_double_spaces_scene_create_silent_push.txt",
    # and console rows quoted with '> ' whose cut pieces start lines without the quote mark (none reads as a row)
    "maui38281_blockquoted_console_rows_masked_app_pid_sigabrt_aot_module.txt",
    "rnpushios132_8badf00d_scene_create_masked_bundle_stars_pid.txt",
    "rnvideo1892_8badf00d_scene_update_bundle_without_pid_fence.txt",
    "rnvideo4519_lowercase_terminated_due_to_signal9_quoted_prose_new_arch.txt",
    # newest forms round 5: a Console copy in reordered columns whose rows the cut splits (no row keeps its type and
    # its time with the process), a quoted RBSTerminateContext whose explanation the cut splits from its identity
    # (the kill, without the app), and an .ips body line cut inside its JSON string (the kill named, its watchdog event
    # left in the cut-off part)
    "azusa1040_console_subsystem_first_time_fifth_column_trollstore_ios17_negative.txt",
    "earshot_findings_flattened_ips_dump_termination_reasons_array_ios27.txt",
    "earshot_ips_ios27_beta_app_uuid_scene_update_cut_before_threads.txt",
    # trial round 6: a one-line Flutter PlatformException whose 'Error Domain=BGTaskSchedulerErrorDomain' the cut
    # splits (no other line: refused), and UIKit's not-ended warning already hard-wrapped by hand at blanks, whose
    # second wrap leaves no blank at the ends of its pieces (its pieces no longer told as one message)
    "workmanager474_bgtaskscheduler_code1_unhandled_platformexception_title_negative.txt",
    "wordpress21254_bgtask_not_ended_after_expiration_wrapped_swift_fence.txt",
}

# Word-wrapped at 72 columns, these are still read differently (43 of 90 before): as above, Console copies whose
# tabs the wrap made blanks (no layout reads them), and a fence line followed by a line too long to have fitted
# after it (taken for a cut).
WORD_WRAP_KNOWN = {
    "appium_syslog_json_power_assertion_rename_wda.txt",
    "assertions_beyond_permitted_redacted_bundle_finishtask_procedurekit233.txt",
    "backboardd_bknewprocess_beyond_permitted_indented_set_forum209252.txt",
    "bgtaskscheduler_code1_flutter_prefixed_workmanager.txt",
    "bgtaskscheduler_error1_promise_rejection_asterisks_rnbgfetch230_negative.txt",
    "console_japanese_type_column_reportcrash_corpse_imast_ios12.txt",
    "crash_fields_run_together_one_line_frontboard_decimal_hiroakit.txt",
    "crash_frontboard_decimal_line_number_gutter_japanese_blog_hiroakit.txt",
    "crash_frontboard_decimal_scene_create_important_bits_rn_forum725476.txt",
    "crash_header_frontboard_lowercase_failed_terminate_gracefully_firebase9859_ios16.txt",
    "crash_ios8_simulated_8badf00d_bknewprocess_assertions_developreference.txt",
    "crash_report_sigkill_codesigning_unfenced_flutter_bgfetch127_ios14b.txt",
    "dasd_pushlaunch_policies_markdown_ably_docs.txt",
    "dasd_pushlaunch_syslog_relay_ios11.txt",
    "frontboard_rbsterminatecontext_multiline_thermal_firebase.txt",
    "kernel_exc_resource_fatal_nse_nextcloud_ios17b1.txt",
    "metrickit_rbsterminatecontext_failed_terminate_gracefully_roam_ios26.txt",
    "metrickit_rbsterminatecontext_scene_update_thermal_roam.txt",
    "r3_console_no_type_column_dasd_canceled_resubmitted_bgprocessing_workmanager557.txt",
    "rbsterminatecontext_lines_under_xccrashpoint_headings_emission_ios15.txt",
    "springboard_watchdogd_monitoring_timed_out_ips_ios15_forum.txt",
    "syslog_ios4_springboard_assertions_beyond_permitted_time_levels_lost_s21g.txt",
    "uikit_bgtask_created_over_30s.txt",
    "uikit_bgtask_over_30s_hard_wrapped_fence_walletconnect784.txt",
    "watchdog_frontboard_scene_create_app_uuid_ios17.txt",
    "watchdog_ips_json_termination_field.txt",
    "watchdog_scene_create_cpu_allowance_rbs.txt",
    "webkit_runningboard_expiration_timer_cordova_ios14.txt",
    "xcode_console_uikit_bgtask_over_30s.txt",
    "xcode_debugger_signal9_inline_chinese_anti_debug_monkeydev36.txt",
    "xcode_terminated_due_to_memory_issue_prose_brimagepicker.txt",
    # paste-shape round 3: a tool's or an editor's prefix, and 'process: message' lines, cut at blanks
    "p3_appium_ios_syslog_row_jetsamproperties_simulator_negative.txt",
    "p3_runningboard_termination_by_launchd_editor_find_line_prefix_intune351.txt",
    "p3_springboard_exited_abnormally_via_signal_process_colon_flutter6775.txt",
    # issues round 4: an RBSTerminateContext whose explanation (naming the app) a cut splits
    "g4_crash_header_rbsterminatecontext_scene_update_background_kodiremote684.txt",
    # issues round 4: UIKit's over-30-seconds warning alone on one long line in a code span (cut: no log line left)
    "g4_uikit_bgtask_over_30s_inline_code_prose_claims_kill_mapboxnav61.txt",
    # pages round 4: the run-together header above ('Termination Reason:' wrapped apart from its value), and an
    # RBSTerminateContext whose explanation the wrap splits ('Failed to terminate gracefully after' / '5.0s')
    "w4_coderoad_ru_namespace_0xf_8badf00d_header_collapsed_russian.txt",
    "w4_vpnrt_watchos_carousel_decimal_failed_to_terminate_gracefully_forum782051.txt",
    # the one-line JetsamEvent entry after the debugger's line, as when hard-wrapped (above)
    "w4_liuhaihua_jetsamevent_entry_collapsed_one_line_debugger_memory_chinese.txt",
    # frameworks round 5: an RBSTerminateContext whose wrap splits 'allowance of 3.23' from 'seconds', the sentences
    # above wrapped inside the quoted words, and UIKit's over-30-seconds warning alone among Dart's '[log]' lines
    # ('was created over 30' / 'seconds ago'): no piece holds the words whole
    "bggeo1021_dart_log_lines_then_uikit_over_30s_no_prefix_fence.txt",
    "expo32605_corefoundation_category_prefix_uncaught_exception_inline_code_two_lines.txt",
    "macios20769_rbsterminatecontext_inline_code_trailing_double_spaces_scene_create_silent_push.txt",
    "rnvideo4519_lowercase_terminated_due_to_signal9_quoted_prose_new_arch.txt",
    # newest forms round 5: a Console copy in reordered columns (its tabs made blanks by the wrap) and a quoted
    # RBSTerminateContext whose explanation the wrap splits from its identity
    "azusa1040_console_subsystem_first_time_fifth_column_trollstore_ios17_negative.txt",
    "earshot_findings_flattened_ips_dump_termination_reasons_array_ios27.txt",
    # trial round 6: Flutter's PlatformException lines whose 'Error Domain=BGTaskSchedulerErrorDomain' the wrap splits
    # (as the workmanager capture above), and UIKit's not-ended warning already hard-wrapped by hand (as hard-wrapped)
    "workmanager474_bgtaskscheduler_code1_unhandled_platformexception_title_negative.txt",
    "workmanager479_bgtaskscheduler_code3_unhandled_platformexception_negative.txt",
    "wordpress21254_bgtask_not_ended_after_expiration_wrapped_swift_fence.txt",
}


# Collapsed (a page rendering the text outside <pre>), these still read differently: a UIKit warning already
# hard-wrapped, and a Console copy whose tab-separated columns became blanks (no layout reads them). (An assertion whose
# indented lines carried its record reads alike since an NSSet's `{(` line continues the one before it.)
COLLAPSED_KNOWN = {
    "azusa1040_console_subsystem_first_time_fifth_column_trollstore_ios17_negative.txt",
    "console_japanese_type_column_reportcrash_corpse_imast_ios12.txt",
    "uikit_bgtask_expired_hard_wrapped_uynguyen_blog.txt",
    "wordpress21254_bgtask_not_ended_after_expiration_wrapped_swift_fence.txt",
}


def test_an_ios_capture_whose_blanks_a_page_collapsed_gives_its_events(tmp_path: Path) -> None:
    assert_only_known_differ(tmp_path, "ios", collapsed, COLLAPSED_KNOWN, "its blanks are collapsed")


def test_an_ios_capture_hard_wrapped_at_80_columns_gives_its_events(tmp_path: Path) -> None:
    assert_only_known_differ(tmp_path, "ios", hard_wrapped, HARD_WRAP_KNOWN, "hard-wrapped at 80")


def test_an_ios_capture_word_wrapped_at_72_columns_gives_its_events(tmp_path: Path) -> None:
    assert_only_known_differ(tmp_path, "ios", word_wrapped, WORD_WRAP_KNOWN, "word-wrapped at 72")


# iOS logs (the captures with lines of an iOS log layout) whose every line grep -Hn or a wrapper prefixed: the prefix is
# learnt from the lines a log line starts in (paste.tool_prefix). Still read differently: an Xcode console's single
# line (a prefix is learnt from two lines at least), and a syslog indented by one blank among more lines of prose
# (the prefix learnt takes the indentation along, so it stands before too few of the lines).
_PREFIXED_LOGS_KNOWN = {
    "syslog_indented_locationd_gytt_temperature_overheating_openframeworks2024_negative.txt",
    "xcode_console_uikit_bgtask_over_30s.txt",
}


@pytest.mark.parametrize("rewrite", [grepped, wrapped_by_a_tool])
def test_an_ios_log_behind_another_tool_s_prefix_on_every_line_gives_its_events(tmp_path: Path, rewrite) -> None:
    # (only the logs: a crash report or a console's text has no log line to learn the prefix from)
    logs = assert_only_known_differ(tmp_path, "ios", rewrite, _PREFIXED_LOGS_KNOWN, "prefixed", only=has_log_lines)
    assert logs >= 30
