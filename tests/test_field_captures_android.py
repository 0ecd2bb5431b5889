"""Real logcat captures from public issues and pages (tests/samples/android_field/, source URL on line 1)
give the right events through the same path as `bgprobe scan`.

They cover layouts and messages the hand-built samples do not: Visual Studio device logs, old Studio
copies without a year, new Studio copies, `L Tag: msg` viewer copies, emoji levels, `-v uid`, brief,
plain dmesg, lmkd 8.1 with its continuation line, OEM killers (Xiaomi OneKeyClean, Samsung force-stop and
Chimera), WorkManager's "failed because it threw" lines, and Android 8 event-log text."""

from __future__ import annotations

from datetime import date

import pytest
from bgprobe.collectors.parsers.android_log import LogInterpreter
from bgprobe.collectors.parsers.logcat import YearHint, parse_line

from tests.helpers import TESTS, scan

FIELD = TESTS / "samples" / "android_field"


def by_kind(events, kind):
    return [e for e in events if e.kind == kind]


def scan_ok(name):
    events, outcome = scan(FIELD / name)
    assert not outcome.problems, outcome.problems
    return events


def interpret(name):
    """The parsers alone (no file-type detection, no prefilter): every line of the capture in order."""
    interp = LogInterpreter(where=name)
    years = YearHint(date(2026, 1, 1))
    events = []
    for lineno, line in enumerate((FIELD / name).read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("#"):
            continue
        events += interp.feed(parse_line(line, lineno, years))
    return events + interp.flush()


def test_every_capture_names_its_source():
    files = sorted(FIELD.glob("*.txt"))
    assert len(files) >= 10
    for f in files:
        first = f.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# source: http"), f.name


def test_visual_studio_colon_time_layout_zygote_deaths():
    events = scan_ok("logcat_vs_colon_time_zygote_maui.txt")
    # "was killed by AM but isn't really dead" / "refused to die" are not deaths of their own
    assert [(e.kind, e.pid, e.reason, e.source) for e in events] == [
        ("process_died", 25573, "sigkill", "logcat:Zygote"),
        ("process_died", 23826, "sigkill", "logcat:Zygote"),
    ]
    assert events[0].ts.endswith("-01-20T19:21:48.483")
    assert events[1].where.endswith(":11")


def test_threadtime_empty_kills_then_zygote_reaping():
    events = scan_ok("logcat_threadtime_empty_kills_zygote_realm.txt")
    kills = by_kind(events, "process_killed")
    assert [(e.pid, e.process, e.uid, e.reason, e.data["adj"]) for e in kills] == [
        (2807, "com.android.printspooler", "u0a78", "too_many_empty", 999),
        (2780, "com.android.localtransport", "1000", "too_many_empty", 999),
        (2684, "com.android.documentsui", "u0a64", "too_many_empty", 999),
    ]
    died = by_kind(events, "process_died")
    assert [e.pid for e in died] == [3139, 2853, 3118, 3059, 3277, 2770, 3207]
    assert {e.reason for e in died} == {"sigkill"}
    assert len(events) == 10  # libprocessgroup "Successfully killed process cgroup" adds nothing
    assert kills[2].ts.endswith("-11-29T16:46:21.161")


def test_new_studio_copy_anr_takes_pid_and_reason_from_bare_continuation_lines():
    events = scan_ok("logcat_studio_new_anr_myplanet.txt")
    (anr,) = events
    assert (anr.kind, anr.process, anr.package, anr.pid) == (
        "anr",
        "org.ole.planet.myplanet",
        "org.ole.planet.myplanet",
        10066,
    )
    assert anr.ts == "2025-01-28T22:11:12.122"
    assert anr.data["component"] == "org.ole.planet.myplanet/.ui.sync.LoginActivity"
    assert anr.data["anr_reason"].startswith("Input dispatching timed out (97f237f")
    assert anr.where.endswith(":4")


@pytest.mark.parametrize(
    ("name", "process", "pid", "ts_tail"),
    [
        ("logcat_studio_old_noyear_anr_lockpattern.txt", "com.star.loackpattern", 29897, "-09-27T10:40:01.358"),
        ("logcat_studio_old_anr_mumu_matisse.txt", "com.unistrong.mapoffline", 1866, "-02-02T15:08:30.600"),
    ],
)
def test_old_studio_copy_without_year_anr_parsers(name, process, pid, ts_tail):
    (anr,) = interpret(name)
    assert (anr.kind, anr.process, anr.pid) == ("anr", process, pid)
    assert anr.ts.endswith(ts_tail)
    assert anr.data["anr_reason"].startswith("Input dispatching timed out (Waiting to send non-key event")


@pytest.mark.parametrize(
    "name", ["logcat_studio_old_noyear_anr_lockpattern.txt", "logcat_studio_old_anr_mumu_matisse.txt"]
)
def test_old_studio_copy_without_year_anr_scan(name):
    # One prefixed line and the ANR's bare indented lines: still logcat (indented lines continue a record).
    events, outcome = scan(FIELD / name)
    assert not outcome.problems
    assert [e.kind for e in events] == ["anr"]


def test_level_tag_viewer_copy_anr():
    events = scan_ok("logcat_level_tag_anr_droidify.txt")
    (anr,) = events
    assert (anr.kind, anr.process, anr.pid, anr.ts) == ("anr", "com.looker.droidify", 17681, None)
    assert anr.data["component"] == "com.looker.droidify/.MainActivity"
    assert anr.data["anr_reason"].startswith("Input dispatching timed out (61a981d")


def test_lmkd_81_killing_and_has_died_without_space():
    events = scan_ok("logcat_lmkd81_killing_sony.txt")
    assert [(e.kind, e.source, e.pid, e.process, e.uid, e.reason) for e in events] == [
        ("process_killed", "lmkd", 4563, "com.android.documentsui", "10010", "low_memory"),
        ("process_died", "logcat:ActivityManager", 4563, "com.android.documentsui", None, None),
        ("process_killed", "lmkd", 4577, "com.android.keychain", "1000", "low_memory"),
        ("process_died", "logcat:ActivityManager", 4577, "com.android.keychain", None, None),
    ]
    assert events[0].data["adj"] == 906
    assert events[1].data == {"adj": "cch+6", "state": "CEM"}
    assert events[2].ts.endswith("-03-24T12:24:57.408")
    # the "   to free ..." continuation line belongs to the kill before it: no event of its own
    first, second = events[0].data, events[2].data
    assert (first["rss_kb"], first["pressure"], first["min_adj"]) == (39444, "medium", 800)
    assert first["lmkd_reason"] == "system is under medium memory pressure oom_adj 800"
    assert (second["rss_kb"], second["pressure"]) == (32948, "medium")
    assert events[0].detail.endswith("to free 39444kB because system is under medium memory pressure oom_adj 800")
    assert events[0].where.endswith(":3")


def test_lmkd_81_continuation_without_the_prefilter():
    events = interpret("logcat_lmkd81_killing_sony.txt")
    assert [(e.kind, e.pid, e.data.get("rss_kb")) for e in events] == [
        ("process_killed", 4563, 39444),
        ("process_died", 4563, None),
        ("process_killed", 4577, 32948),
        ("process_died", 4577, None),
    ]


def test_xiaomi_onekeyclean_is_an_oem_kill():
    events = scan_ok("logcat_xiaomi_onekeyclean_geolocation.txt")
    kill, death = events
    assert (kill.kind, kill.pid, kill.process, kill.uid, kill.reason) == (
        "process_killed",
        30487,
        "com.xiaomi.calendar",
        "u0a112",
        "oem:OneKeyClean",
    )
    assert kill.data["adj"] == 945
    assert (death.kind, death.pid, death.reason) == ("process_died", 27478, "sigkill")


def test_samsung_force_stop_from_pid_and_its_kill():
    events = scan_ok("logcat_samsung_force_stop_from_pid_flutter.txt")
    kills = by_kind(events, "process_killed")
    assert [(e.pid, e.package, e.reason) for e in kills] == [
        (None, "com.myApp.myApp", "force_stop"),
        (3412, "com.myApp.myApp", "force_stop"),
    ]
    assert kills[0].data == {"appid": 11034, "user": 0, "cause": "from pid 4473"}
    assert kills[1].data["reason_text"] == "stop com.myApp.myApp due to from pid 4473"
    assert kills[1].uid == "u0a1034"
    started = by_kind(events, "process_started")
    assert [(e.pid, e.process, e.uid) for e in started] == [
        (4479, "com.samsung.euicc", "1000"),
        (4634, "com.myApp.myApp", "u0a1034"),
    ]
    assert len(events) == 4  # "exempt from freezer" is not a freezer event


def test_samsung_chimera_policy_handler_kill():
    events = scan_ok("logcat_samsung_chimera_kill_dkma.txt")
    kill, death = events
    assert (kill.kind, kill.source, kill.package, kill.pid, kill.uid, kill.reason) == (
        "process_killed",
        "logcat:ChimeraPolicyHandler",
        "org.yaxim.bruno",
        4548,
        "10202",
        "oem:samsung_chimera",
    )
    assert kill.data == {"trigger": "trigger2", "freed_kb": 34707, "pids": [4548]}
    assert kill.ts.endswith("-03-22T08:55:09.470")
    assert (death.kind, death.pid, death.data) == ("process_died", 4548, {"adj": "prcp", "state": "FGS"})


def test_jobscheduler_client_timeout():
    (timeout,) = scan_ok("logcat_jobservice_timeout_background_fetch.txt")
    assert (timeout.kind, timeout.reason, timeout.package, timeout.uid, timeout.job) == (
        "job_timeout",
        "execution_timeout",
        "com.myapp.background_fetch_teste",
        "u0a276",
        "999",
    )
    assert (
        timeout.data["service"]
        == "com.myapp.background_fetch_teste/com.transistorsoft.tsbackgroundfetch.FetchJobService"
    )
    assert timeout.ts.endswith("-05-13T18:52:18.113")


def test_brief_kitkat_has_died_with_period_and_old_start_proc():
    events = scan_ok("logcat_brief_has_died_cm11_signal.txt")
    died = by_kind(events, "process_died")
    assert [(e.pid, e.process) for e in died] == [
        (19224, "com.android.calendar"),
        (19243, "com.android.providers.calendar"),
        (19280, "com.cyanogenmod.lockclock"),
        (19315, "com.cyanogenmod.lockclock"),
        (19259, "com.android.calendar"),
    ]
    started = by_kind(events, "process_started")
    assert [(e.pid, e.uid) for e in started] == [
        (19243, "10011"),
        (19259, "10010"),
        (19280, "10029"),
        (19291, "10011"),
        (19315, "10029"),
    ]
    assert all(e.ts is None for e in events)  # brief has no time


def test_brief_workmanager_cancelled():
    (result,) = scan_ok("logcat_brief_wm_cancelled_downloader.txt")
    assert (result.kind, result.reason, result.job, result.pid) == (
        "work_result",
        "cancelled",
        "5bae0f37-2493-485e-9d06-f83526377023",
        28372,
    )
    assert result.data["worker"] == "com.bbflight.background_downloader.UploadTaskWorker"


def test_uid_adverb_has_died_with_oem_suffix():
    (death,) = scan_ok("logcat_uid_names_has_died_openorienteering.txt")
    assert (death.kind, death.pid, death.process) == ("process_died", 26340, "org.openorienteering.mapper.developer")
    assert death.data == {"adj": "fore", "state": "TOP"}
    assert death.ts.endswith("-12-31T11:20:21.382")
    assert death.where.endswith(":6")  # the wrapped SurfaceFlinger line is counted


def test_plain_dmesg_kernel_lowmemorykiller():
    (kill,) = scan_ok("kernel_lmk_dmesg_ulmm.txt")
    assert (kill.kind, kill.source, kill.pid, kill.process, kill.reason) == (
        "process_killed",
        "kernel:lowmemorykiller",
        17589,
        "FinalizerDaemon",
        "low_memory",
    )
    assert kill.data["adj"] == 904
    assert kill.ts is None  # monotonic seconds are not a date
    # the driver's continuation lines: size, on whose behalf, and the minfree level crossed
    assert (kill.data["rss_kb"], kill.data["on_behalf_of"], kill.data["on_behalf_of_pid"]) == (
        53160,
        "kworker/3:4",
        18339,
    )
    assert kill.data["lmkd_reason"] == "cache 199320kB is below limit 221184kB for oom_score_adj 900"
    assert kill.data["min_adj"] == 900


def test_emoji_level_fatal_exception():
    (crash,) = scan_ok("logcat_emoji_level_fatal_deltachat.txt")
    assert (crash.kind, crash.process, crash.pid, crash.reason) == ("crash", "chat.delta", 7747, "java_exception")
    assert crash.data["exception"].startswith(
        "android.app.RemoteServiceException$ForegroundServiceDidNotStopInTimeException"
    )
    assert crash.ts.endswith("-11-05T23:55:31.908")


def test_studio_workmanager_threw_alone_is_one_failure():
    # No "Worker result" line follows in this capture: the exception line stands as the failure.
    (result,) = scan_ok("logcat_studio_wm_threw_devbyteviewer.txt")
    assert (result.kind, result.reason, result.job, result.pid, result.package) == (
        "work_result",
        "failure",
        "1bdee247-966f-4083-b30d-a62c84f0e363",
        20388,
        "com.example.android.devbyteviewer",
    )
    assert result.data["worker"] == "com.example.android.devbyteviewer.work.RefreshDataWorker"
    assert result.data["threw"] is True
    assert result.ts == "2020-12-01T08:17:41.566"


def test_brief_workmanager_threw_takes_the_exception_from_its_stack_trace():
    (result,) = scan_ok("logcat_brief_wm_threw_flutter_downloader.txt")
    assert (result.kind, result.reason, result.job, result.pid) == (
        "work_result",
        "failure",
        "61fc339c-344f-4daa-9676-0d1ec7437a2a",
        31504,
    )
    assert result.data["worker"] == "vn.hunghd.flutterdownloader.DownloadWorker"
    assert result.data["exception"].startswith(
        "java.util.concurrent.ExecutionException: java.lang.NullPointerException: Attempt to read from field"
    )
    assert result.where.endswith(":3")  # the "failed because it threw" line, not a stack frame


def test_workmanager_threw_then_result_line_is_one_event(tmp_path):
    # WorkerWrapper logs "Worker result FAILURE" for the same work after the exception unless the work
    # was interrupted (WorkerWrapper.java/.kt onWorkFinished -> handleResult). The real capture above is
    # cut before that line; it is appended here in WorkerWrapper's format to check that the two lines
    # give one failure carrying the exception, not two failures.
    lines = (FIELD / "logcat_brief_wm_threw_flutter_downloader.txt").read_text(encoding="utf-8").splitlines()[1:]
    lines.append(
        "I/WM-WorkerWrapper(31504): Worker result FAILURE for Work [ id=61fc339c-344f-4daa-9676-0d1ec7437a2a, "
        "tags={ flutter_download_task, vn.hunghd.flutterdownloader.DownloadWorker } ]"
    )
    log = tmp_path / "logcat.txt"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    events, outcome = scan(log)
    assert not outcome.problems
    (result,) = events
    assert (result.kind, result.reason, result.job) == (
        "work_result",
        "failure",
        "61fc339c-344f-4daa-9676-0d1ec7437a2a",
    )
    assert result.where.endswith(":11")  # the result line
    assert result.data["threw"] is True
    assert result.data["threw_at"].endswith(":2")
    assert result.data["exception"].startswith("java.util.concurrent.ExecutionException")


def test_event_log_android_8_remove_task_and_four_field_proc_died():
    events = scan_ok("events_threadtime_o_remove_task_gityuan.txt")
    assert [(e.kind, e.source, e.pid, e.process) for e in events] == [
        ("process_started", "logcat:events:am_proc_start", 6686, "com.xxx.calculator"),
        ("process_killed", "logcat:events:am_kill", 6686, "com.xxx.calculator"),
        ("process_died", "logcat:events:am_proc_died", 6686, "com.xxx.calculator"),
    ]
    started, killed, died = events
    assert started.uid == "10058"
    assert started.data["component"] == "com.xxx.calculator/.convert.ConvertActivity"
    assert (killed.reason, killed.data["adj"], killed.data["reason_text"]) == ("remove_task", -10000, "remove task")
    # 8.x am_proc_died is [User, PID, Process Name, ProcState]: 18 is a process state, not an oom adj
    assert died.data == {"user": 0, "proc_state": 18}
    assert died.ts.endswith("-01-19T19:02:33.913")


def test_bionic_fatal_signal_line_is_the_native_crash_of_the_process_that_logs_it(tmp_path):
    # bionic's "Fatal signal %d (%s), code %d (%s%s)%s in tid %d (%s), pid %d (%s)" in the forms of real pastes; the
    # names in parentheses are threads' (comm, cut to 15 characters), never taken for a package.
    forms = [
        # frida/frida-core#81 (Android 5.1.1, brief): no pid part, the logging pid is the process's
        ("F/libc    ( 5061): Fatal signal 11 (SIGSEGV), code 1, fault addr 0x30 in tid 5637 (Thread-329)", 5061, None),
        # huluwaservice/webapp#1 (an old Studio copy): its package column names the app
        (
            "11-06 14:57:50.803 2363-2363/com.hlw.movie A/libc: Fatal signal 11 (SIGSEGV), code 1, fault addr 0x0 in"
            " tid 2363 (com.hlw.movie)",
            2363,
            "com.hlw.movie",
        ),
        # fbsamples/audience-network#132 (Android 11, a Studio copy without pids): the pid part gives it
        (
            "A/libc: Fatal signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x72006f009b in tid 22862 (.myapp),"
            " pid 22862 (.myapp)",
            22862,
            None,
        ),
    ]
    for n, (line, pid, package) in enumerate(forms):
        path = tmp_path / f"crash{n}.txt"
        path.write_text(f"{line}\nA/DEBUG: *** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***\n")
        events, outcome = scan(path)
        assert outcome.usable, line
        assert [(e.kind, e.reason, e.pid, e.package) for e in events] == [("crash", "crash_native", pid, package)]
        assert events[0].data["signal"] == "sigsegv"


def test_a_native_crash_after_its_process_start_is_that_apps(tmp_path):
    path = tmp_path / "log.txt"
    path.write_text(
        "10-08 04:00:19.100  1009  1039 I ActivityManager: Start proc 2899:com.android.bluetooth/1002 for service"
        " com.android.bluetooth/.btservice.AdapterService\n"
        # the Bluetooth process's SIGABRT as a public test fixture quotes a bug report's line (found by code search;
        # the Start proc line before it is written here)
        "10-08 04:00:20.954  2899  3095 F libc    : Fatal signal 6 (SIGABRT), code -6 (SI_TKILL) in tid 3095"
        " (droid.bluetooth), pid 2899 (droid.bluetooth)\n"
    )
    events, _ = scan(path)
    crash = [e for e in events if e.kind == "crash"]
    assert [(e.package, e.pid, e.reason, e.data["signal"]) for e in crash] == [
        ("com.android.bluetooth", 2899, "crash_native", "sigabrt")
    ]
