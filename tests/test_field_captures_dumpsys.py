"""Real dumpsys captures from the field (tests/samples/android_field_dumpsys, each file's first line names
its source), scanned through the real path (`scan_paths`, as `bgprobe scan` does): every job, exit record
and Doze state the text shows must come out as the right event, and nothing else."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import scan

FIELD = Path(__file__).parent / "samples" / "android_field_dumpsys"
WM = "androidx.work.impl.background.systemjob.SystemJobService"


def events_of(name: str, package: str | None = None):
    events, outcome = scan(FIELD / name, package=package)
    assert not outcome.problems, outcome.problems
    return events


def test_every_capture_names_its_source():
    files = sorted(FIELD.glob("*.txt"))
    assert len(files) >= 6
    for f in files:
        assert f.read_text(encoding="utf-8").splitlines()[0].startswith("# source: "), f.name


def test_android11_workmanager_job_blocked_by_quota_in_rare_bucket():
    name = "jobscheduler_android11_contenttrigger_quota_so64832554.txt"
    (ev,) = events_of(name)
    assert (ev.kind, ev.source, ev.where) == ("job_scheduled", "dumpsys:jobscheduler", f"{FIELD / name}:2")
    assert (ev.package, ev.uid, ev.job) == ("com.abc.workmanagertest", "u0a231", "5")
    d = ev.data
    assert d["service"] == f"com.abc.workmanagertest/{WM}"
    assert d["workmanager"] is True
    assert d["required_constraints"] == ["CONNECTIVITY", "CONTENT_TRIGGER"]
    assert d["satisfied_constraints"] == [
        "CONNECTIVITY",
        "CONTENT_TRIGGER",
        "DEVICE_NOT_DOZING",
        "BACKGROUND_NOT_RESTRICTED",
    ]
    assert d["unsatisfied_constraints"] == ["WITHIN_QUOTA"]
    assert d["dynamic_constraints"] == []
    assert d["standby_bucket"] == "RARE"
    assert d["deferred_since"] == "-1h4m36s59ms"
    assert d["num_failures"] is None
    assert d["ready"] is False
    assert d["restricted_due_to"] == []
    assert ev.reason == "quota"
    assert ev.detail == "out of standby-bucket quota; app is in the RARE standby bucket"


def test_android9_sunmi_periodic_job_waits_for_its_delay():
    name = "jobscheduler_android9_sunmi_periodic_deadline.txt"
    (ev,) = events_of(name)
    assert (ev.package, ev.uid, ev.job, ev.where) == ("com.sunmi.toolbox", "u0a80", "1024", f"{FIELD / name}:3")
    d = ev.data
    assert d["service"] == "com.sunmi.toolbox/.antirush.ScheduleService"
    assert d["workmanager"] is False
    assert d["periodic"] == {"interval": "+15m0s0ms", "flex": "+5m0s0ms"}
    assert d["persisted"] is True
    assert d["required_constraints"] == ["TIMING_DELAY", "DEADLINE", "CONNECTIVITY"]
    assert d["satisfied_constraints"] == ["CONNECTIVITY", "DEVICE_NOT_DOZING", "BACKGROUND_NOT_RESTRICTED"]
    assert d["unsatisfied_constraints"] == ["TIMING_DELAY", "DEADLINE"]
    assert d["standby_bucket"] == "ACTIVE"
    assert d["last_successful_run"] == "2020-05-27 15:27:42"
    assert d["last_run_heartbeat"] == 0
    # Android 9 has no `!restricted=` flag
    assert d["ready_flags"] == {
        "job": False,
        "user": True,
        "!pending": True,
        "!active": True,
        "!backingup": True,
        "comp": True,
    }
    assert ev.reason == "waiting_timing_delay"
    assert ev.detail == "waiting for: the earliest run time (in 13m17s); deadline in 18m17s"


def test_devdocs_youtube_workmanager_job_and_its_history():
    name = "jobscheduler_workmanager_youtube_rare_devdocs.txt"
    job, start, stop = events_of(name)
    assert (job.kind, job.package, job.uid, job.job) == ("job_scheduled", "com.google.android.youtube", "u0a172", "4")
    d = job.data
    assert d["workmanager"] is True
    assert d["minimum_latency"] == "+1h29m59s687ms"
    assert d["required_constraints"] == ["TIMING_DELAY", "CONNECTIVITY"]
    assert d["satisfied_constraints"] == ["DEVICE_NOT_DOZING", "BACKGROUND_NOT_RESTRICTED", "WITHIN_QUOTA"]
    assert d["unsatisfied_constraints"] == ["TIMING_DELAY", "CONNECTIVITY"]
    assert d["implicit_constraints"] == {"readyNotDozing": True, "readyNotRestrictedInBg": True}
    assert d["standby_bucket"] == "RARE"
    assert job.reason == "waiting_constraints"
    assert job.detail == (
        "waiting for: the earliest run time (in 38m29s), network (CONNECTIVITY); app is in the RARE standby bucket"
    )
    assert (start.kind, start.package, start.uid, start.job, start.reason) == (
        "job_started",
        "com.google.android.youtube",
        "u0a107",
        "9008",
        None,
    )
    assert start.data["relative_s"] == -(3600 + 35 * 60 + 26.44)
    assert (stop.kind, stop.job, stop.reason) == ("job_stopped", "9008", "app_called_jobfinished")
    assert stop.data["label"] == "STOP-P"
    assert stop.where == f"{FIELD / name}:29"


def test_package_filter_on_field_jobscheduler_capture():
    name = "jobscheduler_workmanager_youtube_rare_devdocs.txt"
    assert len(events_of(name, package="com.google.android.youtube")) == 3
    assert events_of(name, package="com.example.other") == []


def test_exit_info_found_after_other_activity_sections():
    name = "activity_full_dump_exit-info_section_firetv.txt"
    (ev,) = events_of(name)  # the LAST ANR / STARTER / ACTIVITIES sections before it add nothing
    assert (ev.kind, ev.source, ev.reason) == ("process_died", "exit-info", "exit_self")
    assert (ev.package, ev.process, ev.pid, ev.uid) == ("com.eurosport.player", "com.eurosport.player", 30643, "10078")
    assert ev.ts == "2024-05-06T17:38:47.527"
    assert ev.data["reason_name"] == "EXIT_SELF"
    assert ev.data["subreason_code"] is None  # the excerpt ends before the subreason line
    assert ev.detail == "exit-info: EXIT_SELF"


def test_android6_deviceidle_without_indentation():
    name = "deviceidle_android6_sony_so02g_qiita.txt"
    (ev,) = events_of(name)
    assert (ev.kind, ev.source, ev.reason) == ("state_changed", "dumpsys:deviceidle", "doze:inactive")
    assert ev.detail == "Doze: deep INACTIVE"
    assert ev.where == f"{FIELD / name}:20"
    assert ev.data["light_state"] is None
    assert len(ev.data["settings"]) == 16
    assert ev.data["settings_s"]["inactive_to"] == 1800.0
    assert ev.data["settings"]["location_accuracy"] == "20.0m"


def test_android6_deviceidle_flattened_onto_one_line():
    name = "deviceidle_android6_flattened_geek-answers.txt"
    (ev,) = events_of(name)
    assert ev.reason == "doze:inactive"
    d = ev.data
    assert (d["deep_state"], d["light_state"]) == ("INACTIVE", None)
    assert (d["deep_enabled"], d["force_idle"], d["screen_on"], d["charging"]) == (True, False, False, False)


def test_source_comment_never_decides_the_format(tmp_path):
    # A note on top of a jobscheduler paste that mentions other dumps must not make it an exit-info or a bugreport.
    src = (FIELD / "jobscheduler_android9_sunmi_periodic_deadline.txt").read_text(encoding="utf-8").splitlines()
    note = (
        "# pasted next to DUMP OF SERVICE activity / ACTIVITY MANAGER PROCESS EXIT INFO, mState=IDLE mLightState=IDLE"
    )
    f = tmp_path / "js.txt"
    f.write_text("\n".join([note, *src]) + "\n", encoding="utf-8")
    events, outcome = scan(f)
    assert not outcome.problems
    assert [(e.kind, e.job) for e in events] == [("job_scheduled", "1024")]


CORPUS = Path(__file__).parent / "samples" / "corpus"


def test_dumpsys_input_last_anr_record_after_a_log_is_the_apps_anr():
    # A blog's copy: InputDispatcher logcat lines, then `dumpsys input`'s record of the last input ANR (Android 4.4
    # field order: Time, Window, DispatchLatency, WaitDuration, Reason), unindented by the page.
    name = CORPUS / "android_aosp" / "dumpsys_input_last_anr_waiting_no_focus_htc_ecomnet.txt"
    events, outcome = scan(name)
    assert not outcome.problems, outcome.problems
    (ev,) = events
    assert (ev.kind, ev.source, ev.where, ev.ts) == ("anr", "dumpsys:input", f"{name}:19", "2014-02-20T12:13:15")
    assert (ev.package, ev.process, ev.pid) == ("com.htc.camera", "com.htc.camera", None)
    assert ev.data["anr_reason"].startswith("Waiting because no window has focus but there is a focused application")
    assert "ActivityRecord{42485160 u0 com.htc.camera/.CameraEntry t23}" in ev.data["window"]


def test_dumpsys_input_last_anr_record_android11_order(tmp_path):
    # Android 11+ (InputDispatcher::updateLastAnrStateLocked): indented, Reason before Window, then the dispatch
    # state; a window with no app in its label gives an ANR of no known app, and the state lines after it no event.
    path = tmp_path / "input.txt"
    path.write_text(
        "INPUT MANAGER (dumpsys input)\n\n"
        "Input Dispatcher State at time of last ANR:\n"
        "  ANR:\n"
        "    Time: 2021-08-14 15:17:33\n"
        "    Reason: ActivityRecord{f92b3b u0 com.android.settings/.Settings$DisplaySettingsActivity t38} does not"
        " have a focused window\n"
        "    Window: ActivityRecord{f92b3b u0 com.android.settings/.Settings$DisplaySettingsActivity t38}\n"
        "  DispatchEnabled: true\n"
        "  DispatchFrozen: false\n"
        "  FocusedDisplayId: 0\n",
        encoding="utf-8",
    )
    events, outcome = scan(path)
    assert not outcome.problems, outcome.problems
    assert [(e.kind, e.package, e.ts, e.where) for e in events] == [
        ("anr", "com.android.settings", "2021-08-14T15:17:33", f"{path}:3")
    ]
    assert events[0].data["anr_reason"].endswith("does not have a focused window")
    path.write_text(
        "Input Dispatcher State at time of last ANR:\n  ANR:\n    Time: 2021-08-14 15:17:33\n"
        "    Reason: b49ba2b StatusBar (server) is not responding. Waited 8001ms for MotionEvent\n"
        "    Window: b49ba2b StatusBar (server)\n",
        encoding="utf-8",
    )
    events, _ = scan(path)
    assert [(e.kind, e.package) for e in events] == [("anr", None)]
