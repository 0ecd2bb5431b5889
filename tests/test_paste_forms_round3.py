"""Paste shapes of the third round (tests/samples/corpus/android_pastes3.toml, ios_pastes3.toml), each with real lines of the capture that
showed it, scanned through the real path. Each test failed on the code before its fix."""

from __future__ import annotations

from pathlib import Path

from bgprobe.collectors.parsers.logcat import parse_pasted_layout

from tests.helpers import scan

# p3_unity_logcat_window_copy_locale_date_negative_natml22: Unity's Android Logcat window, copied.
_UNITY = (
    "0001-01-01 00:00:00.000 -1 -1 Info  --------- beginning of main\n"
    "2022-08-17 16:47:43.677 31226 31226 Info o.jetpack.squa Late-enabling -Xcheck:jni\n"
    "2022-08-17 16:47:43.702 31226 31226 Error USNET USNET: appName: com.dano.jetpack.squat\n"
    "2022-08-17 16:47:43.707 31226 31226 Debug ProcessState Binder ioctl to enable oneway spam detection failed: "
    "Invalid argument\n"
    "2022-08-17 16:47:43.710 31226 31226 Debug ActivityThread setConscryptValidator\n"
)


def test_a_unity_logcat_window_copy_is_read(tmp_path: Path) -> None:
    # The file was refused as an unrecognized format.
    path = tmp_path / "paste.txt"
    path.write_text(_UNITY, encoding="utf-8")
    events, outcome = scan(path)
    assert outcome.usable, [p.message for p in outcome.problems]
    assert events == []


def test_a_unity_logcat_row_gives_pid_tid_level_tag_and_message() -> None:
    (rec,) = parse_pasted_layout("2022-08-17 16:47:43.710 31226 31226 Debug ActivityThread setConscryptValidator", 1)
    assert (rec.pid, rec.tid, rec.level, rec.tag, rec.msg) == (
        31226,
        31226,
        "D",
        "ActivityThread",
        "setConscryptValidator",
    )
    # another culture's date separator (googleads-mobile-unity#3726), and the colon LogcatEntry.ToString puts
    (rec,) = parse_pasted_layout(
        "2025.02.14 14:16:46.134 7190 7223 Info Unity Handle cmd APP_CMD_WINDOW_INSETS_CHANGED(17)", 2
    )
    assert (rec.pid, rec.tid, rec.level, rec.tag) == (7190, 7223, "I", "Unity")
    (rec,) = parse_pasted_layout(
        "2021/06/15 13:47:11.531 32609 32636 Error AndroidRuntime: FATAL EXCEPTION: UnityMain", 3
    )
    assert (rec.tag, rec.msg) == ("AndroidRuntime", "FATAL EXCEPTION: UnityMain")
    # a buffer's divider (pid and tid -1, no tag) is no record
    assert parse_pasted_layout("0001-01-01 00:00:00.000 -1 -1 Info  --------- beginning of main", 4) == []


def test_a_crash_whose_process_name_the_poster_masked_names_no_app(tmp_path: Path) -> None:
    # p3_crash_masked_process_asterisks_flutter_run_unity752: the stars were reported as the app's package.
    path = tmp_path / "paste.txt"
    path.write_text(
        "```\n[log] ** flutter unity controller setup complete **\n"
        "E/AndroidRuntime(19729): FATAL EXCEPTION: main\n"
        "E/AndroidRuntime(19729): Process: ***********, PID: 19729\n"
        "E/AndroidRuntime(19729): java.lang.Error: FATAL EXCEPTION [main]\n"
        "E/AndroidRuntime(19729): Unity version     : 2021.3.16f1\n",
        encoding="utf-8",
    )
    events, _ = scan(path)
    assert [(e.kind, e.package, e.process, e.pid) for e in events] == [("crash", None, None, 19729)]
    assert events[0].data["process_text"] == "***********"
