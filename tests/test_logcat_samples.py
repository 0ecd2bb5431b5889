"""Every real logcat capture in tests/samples/android/ (real captures, source on line 1)
gives the right events through the same path as `bgprobe scan`."""

from __future__ import annotations

from tests.helpers import ANDROID_SAMPLES, scan


def by_kind(events, kind):
    return [e for e in events if e.kind == kind]


def test_termux_android12_empty_kills():
    events, outcome = scan(ANDROID_SAMPLES / "logcat_am_killing_empty_android12_termux.txt")
    assert not outcome.problems
    kills = by_kind(events, "process_killed")
    assert [(e.pid, e.process) for e in kills] == [
        (14231, "com.google.android.cellbroadcastreceiver"),
        (14249, "com.niksoftware.snapseed"),
        (14312, "com.google.android.apps.docs"),
        (14286, "com.google.android.documentsui"),
        (14386, "com.google.android.deskclock"),
        (14513, "com.google.android.apps.wallpaper"),
        (14752, "com.google.pixel.livewallpaper"),
        (14581, "com.google.android.gm"),
    ]
    assert [e.reason for e in kills] == ["too_many_empty"] * 5 + ["trim_empty"] * 3
    first = kills[0]
    assert first.uid == "u0a227"
    assert first.data["adj"] == 975
    assert first.ts is not None and first.ts.endswith("-10-30T13:27:55.958")
    assert first.where.endswith("logcat_am_killing_empty_android12_termux.txt:2")
    assert first.source == "logcat:ActivityManager"
    started = by_kind(events, "process_started")
    assert [(e.pid, e.process) for e in started] == [(18322, "com.google.android.apps.carrier.carrierwifi")]


def test_android4_time_format_kills_with_core_uid():
    events, _ = scan(ANDROID_SAMPLES / "logcat_am_killing_old_android4.txt")
    kills = by_kind(events, "process_killed")
    assert [(e.pid, e.process, e.uid, e.reason) for e in kills] == [
        (8552, "android.process.media", "u0a6", "too_many_empty"),
        (10125, "com.android.settings", "1000", "too_many_empty"),
    ]
    # The pre-Lollipop "Start proc NAME for ...: pid=N uid=N" form is understood too.
    starts = by_kind(events, "process_started")
    assert [(e.pid, e.process, e.uid) for e in starts] == [
        (10383, "fm.a2d.s2", "10171"),
        (10396, "com.android.deskclock", "10044"),
    ]
    assert all(e.pid is not None for e in events)


def test_force_stopping_reasons():
    events, _ = scan(ANDROID_SAMPLES / "logcat_force_stopping_flutter_isolate.txt")
    kills = by_kind(events, "process_killed")
    assert [(e.package, e.reason, e.data["cause"], e.data["user"]) for e in kills] == [
        ("org.mysite.grr", "package_removed", "uninstall pkg", -1),
        ("org.mysite.grr", "package_updated", "replace pkg", -1),
        ("org.mysite.grr", "package_removed", "pkg removed", 0),
    ]
    # "Spurious death for ProcessRecord{...}" is not a death event.
    assert len(events) == 3


def test_freezer_lines_are_state_changes_not_kills():
    events, _ = scan(ANDROID_SAMPLES / "logcat_freezer_revanced.txt")
    assert [(e.kind, e.reason, e.pid, e.process) for e in events] == [
        ("state_changed", "frozen", 11950, "app.revanced.android.youtube"),
        ("state_changed", "frozen", 30033, "app.revanced.android.gms"),
    ]


def test_huawei_long_format_wakelock_force_stop():
    events, _ = scan(ANDROID_SAMPLES / "logcat_huawei_hwpfw_wakelock_kill.txt")
    assert len(events) == 1
    (kill,) = events
    assert kill.kind == "process_killed"
    assert kill.uid == "10185"
    assert kill.reason == "oem:huawei_wakelock_over_60min"
    assert kill.ts is not None and kill.ts.endswith("-05-25T18:10:17.249")
    assert kill.where.endswith(":11")


def test_lmkd_android11_kill_with_rss_swap_reason():
    events, _ = scan(ANDROID_SAMPLES / "logcat_lmkd_kill_reason_crdroid.txt")
    (kill,) = events  # the WifiHAL line is noise
    assert (kill.kind, kill.source, kill.process, kill.pid, kill.uid) == (
        "process_killed",
        "lmkd",
        "com.google.android.gms.unstable",
        17933,
        "10446",
    )
    assert kill.reason == "low_memory"
    assert kill.data == {"adj": 0, "rss_kb": 140528, "swap_kb": 37404, "lmkd_reason": "device is not responding"}


def test_oem_reason_text_is_flagged():
    events, _ = scan(ANDROID_SAMPLES / "logcat_oem_kill_reason_adguard_old.txt")
    (kill,) = events
    assert kill.reason == "oem:BG"
    assert kill.data["reason_text"] == "BG, 21808K, hotnessAdj=5, XmlFlag=false, oom_adj=15"
    assert kill.data["adj"] == 15


def test_redroid_has_died_and_isolated_kill():
    events, _ = scan(ANDROID_SAMPLES / "logcat_redroid_has_died_isolated_kill.txt")
    died = by_kind(events, "process_died")
    assert [(e.process, e.pid, e.data) for e in died] == [
        ("com.mservice.momotransfer", 35228, {"adj": "fg", "state": "TOP"}),
    ]
    (kill,) = by_kind(events, "process_killed")
    assert kill.pid == 35487
    assert kill.uid == "u0a178i7"
    assert kill.reason == "isolated_not_needed"
    assert kill.package == "com.android.webview"
    assert kill.process == "com.android.webview:sandboxed_process0:org.chromium.content.app.SandboxedProcessService0:0"
    assert len(events) == 2


def test_workmanager_results_both_sources():
    events, _ = scan(ANDROID_SAMPLES / "logcat_workmanager_workerwrapper_sdkmonitor.txt")
    results = by_kind(events, "work_result")
    assert len(results) == 8  # 7 from sdkmonitor, 1 (truncated "]") from flutter_workmanager
    assert {e.reason for e in results} == {"success"}
    assert results[0].job == "422e36a1-368e-4609-b77d-2bc7fef3d615"
    assert results[0].data["tags"] == ["work", "com.bernaferrari.sdkmonitor.SyncWorker"]
    assert results[0].data["worker"] == "com.bernaferrari.sdkmonitor.SyncWorker"
    assert results[-1].job == "0e75bcd9-3b05-4bd1-9ed5-22feafab4975"
    assert results[-1].data["worker"] == "be.tramckrijte.workmanager.BackgroundWorker"
    assert results[-1].ts is None  # brief format: no timestamp at all
