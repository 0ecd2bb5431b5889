"""Message formats no public capture covers, constructed from the AOSP format strings cited in
docs/formats.md §2 (file and function named per case)."""

from __future__ import annotations

from tests.helpers import scan

PREFIX = "10-30 13:27:55.958  1702  1970 I "


def events_of(tmp_path, *lines: str):
    path = tmp_path / "log.txt"
    path.write_text("\n".join(lines) + "\n")
    events, outcome = scan(path)
    assert not outcome.problems
    return events


def test_lmkd_three_generations_and_kernel_lmk(tmp_path):
    events = events_of(
        tmp_path,
        # lmkd.c @0051684 (8.1): first line of a two-line message
        PREFIX + "lowmemorykiller: Killing 'com.a.b' (1001), uid 10001, adj 900",
        "10-30 13:27:55.958  1702  1970 I lowmemorykiller:    to free 20480kB because system is under low memory pressure oom_adj 900",
        # lmkd.c 9/10
        PREFIX + "lowmemorykiller: Kill 'com.c.d' (1002), uid 10002, oom_adj 906 to free 30720kB",
        # lmkd.cpp 11+ without a reason
        PREFIX + "lowmemorykiller: Kill 'com.e.f' (1003), uid 10003, oom_score_adj 985 to free 4096kB rss, 512kB swap",
        # kernel lowmemorykiller.c in dmesg
        "<6>[ 5123.456789] lowmemorykiller: Killing 'com.g.h' (1004), adj 1000,",
    )
    kills = [(e.process, e.pid, e.reason, e.source, e.data.get("rss_kb"), e.data["adj"]) for e in events]
    assert kills == [
        ("com.a.b", 1001, "low_memory", "lmkd", 20480, 900),  # rss from the "to free" continuation line
        ("com.c.d", 1002, "low_memory", "lmkd", 30720, 906),
        ("com.e.f", 1003, "low_memory", "lmkd", 4096, 985),
        ("com.g.h", 1004, "low_memory", "kernel:lowmemorykiller", None, 1000),
    ]
    assert events[1].data.get("swap_kb") is None and events[2].data["swap_kb"] == 512


def test_zygote_signal_exit_is_a_death_but_clean_exit_is_not(tmp_path):
    # core/jni/com_android_internal_os_Zygote.cpp SIGCHLD handler
    events = events_of(
        tmp_path,
        "10-30 13:27:55.958   850   850 I Zygote  : Process 27478 exited due to signal 9 (Killed)",
        "10-30 13:27:56.000   850   850 I Zygote  : Process 27479 exited cleanly (0)",
    )
    assert [(e.kind, e.pid, e.reason, e.data["signal"]) for e in events] == [("process_died", 27478, "sigkill", 9)]


def test_zygote_signal_exit_before_android_10_has_the_number_only(tmp_path):
    # Android 5.0-9 SigChldHandler: ALOGI("Process %d exited due to signal (%d)", ...) (fenix#3182, Pixel 2, 9.0)
    events = events_of(tmp_path, "06-05 12:09:15.943   713   713 I Zygote  : Process 6476 exited due to signal (9)")
    assert [(e.kind, e.pid, e.reason, e.data["signal"]) for e in events] == [("process_died", 6476, "sigkill", 9)]


def test_killing_error_during_init_is_an_initialization_failure(tmp_path):
    # ActivityManagerService.attachApplicationLocked: app.kill("error during init", REASON_INITIALIZATION_FAILURE)
    events = events_of(
        tmp_path,
        "05-21 14:22:48.049   923  5076 I ActivityManager: Killing 0:com.google.android.gms.persistent/u0a35 (adj 0): "
        "error during init",
    )
    assert [(e.kind, e.pid, e.process, e.reason) for e in events] == [
        ("process_killed", 0, "com.google.android.gms.persistent", "initialization_failure")
    ]


def test_process_send_signal_9_is_a_death_unless_it_ends_a_crash(tmp_path):
    # android_util_Process.cpp sendSignal: "Sending signal. PID: %d SIG: %d" (tag Process). SIG 9 of an app
    # to itself is its death; after its FATAL EXCEPTION it is the crash's own end (RuntimeInit); SIG 3 is an
    # ANR stack dump and ends nothing.
    events = events_of(
        tmp_path,
        "09-11 09:12:32.587 13187 13187 I Process : Sending signal. PID: 13187 SIG: 9",
        "09-11 09:12:33.000  1702  1720 I Process : Sending signal. PID: 4242 SIG: 3",
        "09-11 09:12:34.000  5000  5000 E AndroidRuntime: FATAL EXCEPTION: main",
        "09-11 09:12:34.000  5000  5000 E AndroidRuntime: Process: com.x.y, PID: 5000",
        "09-11 09:12:34.000  5000  5000 E AndroidRuntime: java.lang.IllegalStateException: boom",
        "09-11 09:12:34.100  5000  5000 I Process : Sending signal. PID: 5000 SIG: 9",
    )
    assert [(e.kind, e.pid, e.reason) for e in events] == [
        ("process_died", 13187, "sigkill"),
        ("crash", 5000, "java_exception"),
    ]
    assert events[0].data["by_itself"] is True


def test_worker_result_bolded_or_cut_inside_the_tags_keeps_the_work_id(tmp_path):
    # Markdown pastes bold the words (Ketch#47) and cut the line inside the tags ("tags={ c")
    wid = "859196fd-aca5-488a-ae21-f9dbe3c12e1d"
    events = events_of(
        tmp_path,
        PREFIX + f"WM-WorkerWrapper: **Worker result FAILURE for Work** [ id={wid}, tags={{ c",
        PREFIX + f"WM-WorkerWrapper: Worker result SUCCESS for Work [ id={wid.replace('8', '9')}, tags={{ c",
    )
    assert [(e.kind, e.job, e.reason) for e in events] == [
        ("work_result", wid, "failure"),
        ("work_result", wid.replace("8", "9"), "success"),
    ]


def test_event_log_tags(tmp_path):
    # AM EventLogTags.logtags; reason with a comma, and Rss present or not
    events = events_of(
        tmp_path,
        PREFIX + "am_kill : [0,1879,io.nekohasekai.sfa,999,empty #24]",
        PREFIX + "am_kill : [0,1880,com.x.y,905,BG, 21808K, hotnessAdj=5,123456]",
        PREFIX + "am_proc_died: [0,1879,io.nekohasekai.sfa,999,19]",
        PREFIX + "am_proc_died: [0,1881,com.old.proc]",
        PREFIX + "am_anr  : [0,4321,com.x.y,952680516,Input dispatching timed out (Waiting to send key event)]",
        PREFIX + "am_crash: [0,4322,com.x.y,952680516,java.lang.IllegalStateException,boom,Main.java,42]",
        PREFIX + "am_low_memory: [7]",
        PREFIX + "am_proc_start: [0,4323,10245,com.x.y,service,{com.x.y/com.x.y.SyncService}]",
        PREFIX + "am_kill : [truncated",
    )
    got = [(e.kind, e.pid, e.process, e.reason) for e in events]
    assert got == [
        ("process_killed", 1879, "io.nekohasekai.sfa", "too_many_empty"),
        ("process_killed", 1880, "com.x.y", "oem:BG"),
        ("process_died", 1879, "io.nekohasekai.sfa", None),
        ("process_died", 1881, "com.old.proc", None),
        ("anr", 4321, "com.x.y", "anr"),
        ("crash", 4322, "com.x.y", "java_exception"),
        ("state_changed", None, None, "low_memory"),
        ("process_started", 4323, "com.x.y", None),
    ]
    assert events[1].data["rss_kb"] == 123456
    assert events[1].data["reason_text"] == "BG, 21808K, hotnessAdj=5"
    assert "rss_kb" not in events[0].data
    assert events[4].data["anr_reason"].startswith("Input dispatching timed out")
    assert events[5].data["exception"] == "java.lang.IllegalStateException"
    assert all(e.source.startswith("logcat:events:am_") for e in events)


def test_anr_and_fatal_exception_span_lines(tmp_path):
    # ProcessErrorStateRecord.appNotResponding; RuntimeInit's "FATAL EXCEPTION" handler
    events = events_of(
        tmp_path,
        "10-30 13:31:20.512  1702 24901 E ActivityManager: ANR in com.x.y (com.x.y/.MainActivity)",
        "10-30 13:31:20.512  1702 24901 E ActivityManager: PID: 24810",
        "10-30 13:31:20.512  1702 24901 E ActivityManager: Reason: Input dispatching timed out",
        "10-30 13:31:21.000  4000  4000 E AndroidRuntime: FATAL EXCEPTION: main",
        "10-30 13:31:21.000  4000  4000 E AndroidRuntime: Process: com.x.y:sync, PID: 4000",
        "10-30 13:31:21.000  4000  4000 E AndroidRuntime: java.lang.NullPointerException: Attempt to invoke virtual method",
        "10-30 13:31:21.000  4000  4000 E AndroidRuntime: \tat com.x.y.Sync.run(Sync.java:10)",
    )
    anr, crash = events
    assert (anr.kind, anr.process, anr.pid, anr.data["component"]) == ("anr", "com.x.y", 24810, "com.x.y/.MainActivity")
    assert anr.data["anr_reason"] == "Input dispatching timed out"
    assert (crash.kind, crash.process, crash.package, crash.pid) == ("crash", "com.x.y:sync", "com.x.y", 4000)
    assert crash.data["exception"].startswith("java.lang.NullPointerException")


def test_jobservicecontext_timeouts_all_versions(tmp_path):
    # JS JobServiceContext: <=9 ". sending onStop. ", mid ", sending onStop: ", newest ". Sending onStop: "
    p = "10-30 13:11:12.010  1702  1988 I JobServiceContext: "
    events = events_of(
        tmp_path,
        p
        + "Client timed out while executing (no jobFinished received). sending onStop. d62e888 #u0a276/999 com.myapp/.FetchJobService",
        p
        + "Client timed out while executing (no jobFinished received), sending onStop: 8e21c4f #u0a245/7 com.x.y/.Upload",
        p
        + "Client timed out while executing (no jobFinished received). Sending onStop: 8e21c4f #sync:u0a245/8 com.x.y/.Upload",
        p + "No response from client for onStartJob 8e21c4f #u0a245/9 com.x.y/.Upload",
        p + "No response from client for onStopJob, '8e21c4f #u0a245/10 com.x.y/.Upload'",
        p + "Time-out while trying to bind 8e21c4f #u0a245/11 com.x.y/.Upload",
    )
    assert [(e.package, e.job, e.reason) for e in events] == [
        ("com.myapp", "999", "execution_timeout"),
        ("com.x.y", "7", "execution_timeout"),
        ("com.x.y", "8", "execution_timeout"),
        ("com.x.y", "9", "no_response_on_start"),
        ("com.x.y", "10", "no_response_on_stop"),
        ("com.x.y", "11", "bind_timeout"),
    ]
    assert events[2].data["namespace"] == "sync"
    assert all(e.kind == "job_timeout" for e in events)


def test_workmanager_lines(tmp_path):
    # WM WorkerWrapper / SystemJobService / DiagnosticsWorker formats (reference §1.3)
    wid = "5b8f3e21-6a0c-4d52-9b8e-2f1c9a7d4e10"
    p = "10-30 13:01:14.521 23456 23490 I "
    events = events_of(
        tmp_path,
        p + f"WM-WorkerWrapper: Worker result FAILURE for Work [ id={wid}, tags={{ com.x.y.SyncWorker,sync }} ]",
        p + f"WM-WorkerWrapper: Work [ id={wid}, tags={{ com.x.y.SyncWorker }} ] was cancelled",
        p + "WM-WorkerWrapper: Delaying execution for com.x.y.SyncWorker because it is being executed before schedule.",
        p + f"WM-SystemJobService: onStartJob for {wid}",
        p + f"WM-SystemJobService: onStopJob for {wid}",
        p + "WM-DiagnosticsWrkr: Recently completed work:",
        p
        + f"WM-DiagnosticsWrkr: {wid}\t com.x.y.SyncWorker\t 1042\t SUCCEEDED\t sync-unique\t com.x.y.SyncWorker,sync\t",
        p + "WM-DiagnosticsWrkr: Enqueued work:",
        p + "WM-DiagnosticsWrkr:  Id \t Class Name\t Job Id\t State\t Unique Name\t Tags\t",
        p + f"WM-DiagnosticsWrkr: {wid[:-1]}1\t com.x.y.UploadWorker\t 1043\t ENQUEUED\t \t com.x.y.UploadWorker\t",
    )
    got = [(e.kind, e.reason, e.job) for e in events]
    assert got == [
        ("work_result", "failure", wid),
        ("work_result", "cancelled", wid),
        ("work_result", "skipped_before_schedule", None),
        ("job_started", None, wid),
        ("job_stopped", "stopped_by_system", wid),
        ("work_result", "success", wid),
        ("job_scheduled", "enqueued", "1043"),
    ]
    assert events[0].data["worker"] == "com.x.y.SyncWorker"
    assert events[5].data["job_id"] == "1042"
    assert events[6].data["worker"] == "com.x.y.UploadWorker"
    assert events[6].data["diagnostics_section"] == "Enqueued work"


def test_near_misses_are_not_kills(tmp_path):
    events = events_of(
        tmp_path,
        PREFIX + "MyApp: Killing time while waiting for the network",
        PREFIX + "MyApp: Kill switch engaged",
        PREFIX + "MyApp: Process has died down",
        PREFIX + "ActivityManager: Force stopping is not allowed",
        PREFIX + "MyApp: ANR in progress? no",
    )
    assert events == []  # an app's "ANR in ..." is not ActivityManager's report


def test_an_apps_own_lines_get_its_package_from_its_start(tmp_path):
    wid = "5b8f3e21-6a0c-4d52-9b8e-2f1c9a7d4e10"
    events = events_of(
        tmp_path,
        "10-30 13:01:12.004  1702  1970 I ActivityManager: Start proc 23456:com.x.y/u0a245 for service {com.x.y/.S}",
        f"10-30 13:01:14.521 23456 23490 I WM-WorkerWrapper: Worker result SUCCESS for Work [ id={wid}, tags={{ a }} ]",
        f"10-30 13:01:15.521 23999 23999 I WM-WorkerWrapper: Worker result SUCCESS for Work [ id={wid}, tags={{ a }} ]",
    )
    assert [(e.kind, e.package) for e in events] == [
        ("process_started", "com.x.y"),
        ("work_result", "com.x.y"),
        ("work_result", None),  # a pid bgprobe never saw start: it does not guess
    ]


def test_kernel_driver_kill_with_tgid_names_a_cut_comm_not_a_package(tmp_path):
    # kernel/common lowmemorykiller.c (4.4+): "Killing '%s' (%d) (tgid %d), adj %hd," - %s is the task's comm, the
    # last 15 characters of a longer process name (androidperformance.com's capture: com.meizu.mzsyncservice)
    (kill,) = events_of(
        tmp_path, "<6>[ 5123.456789] lowmemorykiller: Killing 'u.mzsyncservice' (15609) (tgid 15609), adj 906,"
    )
    assert (kill.kind, kill.source, kill.process, kill.package, kill.pid) == (
        "process_killed",
        "kernel:lowmemorykiller",
        "u.mzsyncservice",
        None,
        15609,
    )
    assert kill.data["adj"] == 906 and kill.data["comm_cut"] is True


def test_lmkd_kill_naming_more_sizes_keeps_its_reason(tmp_path):
    # Later lmkd releases print more sizes after the rss (a Pixel Tablet's Android 14 log in a public bug report:
    # "rss, anon rss, swap, dmabuf_pss, dmabuf_rss"); the reason after them was dropped.
    (kill,) = events_of(
        tmp_path,
        "07-28 10:46:14.514   479   479 I lowmemorykiller: Kill 'com.tcs.vehicleassistant' (17757), uid 1010174, "
        "oom_score_adj 0 to free 4445960kB rss, 3990164kB anon rss, 2413008kB swap, 0kB dmabuf_pss, 0kB dmabuf_rss; "
        "reason: min watermark is breached even after kill",
    )
    assert (kill.kind, kill.source, kill.package, kill.pid, kill.reason) == (
        "process_killed",
        "lmkd",
        "com.tcs.vehicleassistant",
        17757,
        "low_memory",
    )
    assert kill.data == {
        "adj": 0,
        "rss_kb": 4445960,
        "anon_rss_kb": 3990164,
        "swap_kb": 2413008,
        "lmkd_reason": "min watermark is breached even after kill",
    }


def test_freezer_kills_are_aosp_reasons_not_a_makers(tmp_path):
    # CachedAppOptimizer.java: killLocked("excessive binder traffic during cached", REASON_EXCESSIVE_RESOURCE_USAGE,
    # SUBREASON_EXCESSIVE_CPU) (14+) and the binder freeze failures ("Unable to freeze binder interface", REASON_FREEZER)
    events = events_of(
        tmp_path,
        PREFIX + "ActivityManager: Killing 30385:com.x.y/u0a312 (adj 900): excessive binder traffic during cached",
        PREFIX + "ActivityManager: Killing 30386:com.x.z/u0a313 (adj 999): Unable to freeze binder interface",
        PREFIX + "ActivityManager: Killing 30387:com.x.w/u0a314 (adj 999): Unable to query binder frozen stats",
    )
    assert [(e.pid, e.reason) for e in events] == [
        (30385, "excessive_cpu"),
        (30386, "freezer_binder"),
        (30387, "freezer_binder"),
    ]


def test_anr_reported_under_other_tags_and_with_a_masked_name(tmp_path):
    # "ActivityManagerService" (a system_process copy, Cactus#45), MediaTek's ANRManager ("ANR in <proc>, time=<n>",
    # DroidPlugin#388) and a name masked by the paster ("ANR in  ***.***.***", appboy-android-sdk#80)
    cases = [
        ("11-18 18:21:36.152 452-477/system_process E/ActivityManagerService: ANR in cn.a.panel", "    PID: 1744"),
        ("08-24 14:37:02.141 858-873/? E/ANRManager: ANR in com.a.mmp:PluginP01, time=15475123", "  Reason: x"),
        ("09-22 15:02:21.285 856-869/? E/ActivityManager: ANR in  ***.***.***", "        PID: 13055"),
        ("09-22 15:02:22.285 999-999/? E/MyApp: ANR in progress? no", "  PID: 1"),
    ]
    read = [[(e.kind, e.process, e.package, e.pid) for e in events_of(tmp_path, *lines)] for lines in cases]
    assert read == [
        [("anr", "cn.a.panel", "cn.a.panel", 1744)],
        [("anr", "com.a.mmp:PluginP01", "com.a.mmp", None)],
        [("anr", None, None, 13055)],
        [],  # an app's own "ANR in ..." is not a report of one
    ]


def test_start_proc_cut_after_its_uid_and_anr_in_with_a_tab(tmp_path):
    # revanced-manager#2494 pasted "Start proc 11950:app.revanced.android.youtube/u0a549 for " (cut by the paste);
    # a paste that turns blanks into tabs leaves "ANR in<TAB><proc>"
    events = events_of(
        tmp_path,
        PREFIX + "ActivityManager: Start proc 11950:app.x.y/u0a549 for",
        PREFIX + "ActivityManager: Start proc 11951:app.x.z/u0a550",
        PREFIX + "ActivityManager: ANR in\tcom.x.w",
    )
    assert [(e.kind, e.process, e.pid) for e in events] == [
        ("process_started", "app.x.y", 11950),
        ("process_started", "app.x.z", 11951),
        ("anr", "com.x.w", None),
    ]
