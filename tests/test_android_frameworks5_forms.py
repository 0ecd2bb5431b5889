"""Forms of the fifth round's framework captures (tests/samples/corpus/android_frameworks5.toml), each with real lines
of the capture that showed it, scanned through the real path (detection, pre-filter, interpreter)."""

from __future__ import annotations

from bgprobe.reports.events import Event

from tests.helpers import scan_str


def fields(events: list[Event]) -> list[tuple[str, str | None, str | None, int | None, str | None]]:
    return [(e.kind, e.package, e.process, e.pid, e.uid) for e in events]


# -- a package name a chat or GitHub auto-linked inside ActivityManager's message ------------------------------------

# firebase/flutterfire#9718: unfenced threadtime whose every package name became a Markdown link.
FLUTTERFIRE_9718 = (
    "10-17 18:05:42.072  1555  1864 I ActivityManager: Start proc 10889:[com.something.app/u0a471]"
    "(http://com.something.app/u0a471) for activelaunch {[com.something.app/com.something.app.MainActivity]"
    "(http://com.something.app/com.something.app.MainActivity)}\n"
)


def test_an_auto_linked_start_proc_is_read_as_it_was_logged():
    assert fields(scan_str(FLUTTERFIRE_9718)) == [
        ("process_started", "com.something.app", "com.something.app", 10889, "u0a471")
    ]


def test_auto_linked_kill_and_force_stop_lines_are_read_as_they_were_logged():
    # The same link on the two other lines that name an app before a slash or a blank (made from the line above:
    # no capture holds them linked yet).
    text = (
        "10-17 18:05:42.072  1555  1864 I ActivityManager: Killing 10889:[com.something.app/u0a471]"
        "(http://com.something.app/u0a471) (adj 900): remove task\n"
        "10-17 18:05:43.072  1555  1864 I ActivityManager: Force stopping [com.something.app](http://com.something.app/)"
        " appid=10471 user=0: from pid 2684\n"
    )
    events = scan_str(text)
    assert fields(events) == [
        ("process_killed", "com.something.app", "com.something.app", 10889, "u0a471"),
        ("process_killed", "com.something.app", "com.something.app", None, None),
    ]
    assert [e.reason for e in events] == ["remove_task", "force_stop"]


# -- a native crash named by the tombstone header debuggerd logs after it -------------------------------------------

# flutter/flutter#27077: `flutter run` prints the tombstone header bare after libc's line, whose names are threads'.
FLUTTER_27077 = (
    "W/o.pepsellmobil(20371): 0xebadde09 skipped times: 0\n"
    "F/libc    (20371): Fatal signal 11 (SIGSEGV), code 128 (SI_KERNEL), fault addr 0x0 in tid 20484 (o.pepsellmobile),"
    " pid 20371 (o.pepsellmobile)\n"
    "*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***\n"
    "Build fingerprint: 'samsung/gtactive2ltexx/gtactive2lte:9/PPR1.180610.011/T395JXU4CSF6:user/release-keys'\n"
    "Revision: '4'\n"
    "ABI: 'arm'\n"
    "pid: 20371, tid: 20484, name: o.pepsellmobile  >>> com.pepsico.pepsellmobile <<<\n"
    "signal 11 (SIGSEGV), code 128 (SI_KERNEL), fault addr 0x0\n"
)

# vfsfitvnm/frida-il2cpp-bridge#481: threadtime, libc's process name empty, DEBUG's header eight lines on.
FRIDA_481 = (
    "01-25 12:32:58.873 31840 31904 F libc    : Fatal signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x0 in tid"
    " 31904 (UnityMain), pid 31840 ()\n"
    "01-25 12:32:59.367  4819  4819 F DEBUG   : *** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***\n"
    "01-25 12:32:59.367  4819  4819 F DEBUG   : Revision: '0'\n"
    "01-25 12:32:59.367  4819  4819 F DEBUG   : ABI: 'arm64'\n"
    "01-25 12:32:59.367  4819  4819 F DEBUG   : Processor: '6'\n"
    "01-25 12:32:59.367  4819  4819 F DEBUG   : Timestamp: 2024-01-25 12:32:59.033656980+0100\n"
    "01-25 12:32:59.367  4819  4819 F DEBUG   : Process uptime: 264s\n"
    "01-25 12:32:59.367  4819  4819 F DEBUG   : Cmdline: com.example.app\n"
    "01-25 12:32:59.367  4819  4819 F DEBUG   : pid: 31840, tid: 31904, name: UnityMain  >>> com.example.app <<<\n"
    "01-25 12:32:59.367  4819  4819 F DEBUG   : uid: 10293\n"
)


def test_a_native_crash_is_named_by_its_bare_tombstone_header():
    assert fields(scan_str(FLUTTER_27077)) == [
        ("crash", "com.pepsico.pepsellmobile", "com.pepsico.pepsellmobile", 20371, None)
    ]


def test_a_native_crash_is_named_by_debuggerds_header_lines_after_it():
    assert fields(scan_str(FRIDA_481)) == [("crash", "com.example.app", "com.example.app", 31840, None)]


def test_a_tombstone_header_of_another_pid_names_another_crash():
    # A header whose pid is not the crash's leaves that crash unnamed: it tells the crash of its own pid.
    text = FRIDA_481.replace("pid: 31840, tid", "pid: 31841, tid")
    assert sorted(fields(scan_str(text)), key=lambda f: f[3] or 0) == [
        ("crash", None, None, 31840, None),
        ("crash", "com.example.app", "com.example.app", 31841, None),
    ]


# -- Visual Studio's Device Log rows copied as tab-separated columns ------------------------------------------------

# dotnet/android#3398: time, device name, type, pid, tag and message joined with tabs, newest row first.
DOTNET_3398 = (
    "07-28 11:25:08.149\tandroid_8_0\tError\t1627\tmemtrack\tCouldn't load memtrack module\n"
    "07-28 11:25:08.147\tandroid_8_0\tInfo\t1627\tActivityManager\tStart proc 7244:com.google.android.youtube/u0a78 for"
    " service com.google.android.youtube/com.google.android.libraries.youtube.common.gcore.gcoreclient.gcm.impl."
    "GcmTaskServiceDelegator\n"
    "07-28 11:25:08.139\tandroid_8_0\tWarning\t7244\tzygote\tUnexpected CPU variant for X86 using defaults: x86\n"
)


def test_visual_studio_device_log_rows_are_read():
    assert fields(scan_str(DOTNET_3398)) == [
        ("process_started", "com.google.android.youtube", "com.google.android.youtube", 7244, "u0a78")
    ]


def test_a_device_name_with_a_blank_in_visual_studio_device_log_rows():
    # dotnet/maui#17253's device column ('iData i3'); the row is made from the one above
    text = DOTNET_3398.replace("android_8_0", "iData i3")
    assert [e.pid for e in scan_str(text)] == [7244]


def test_a_native_crash_is_named_by_activity_managers_death_line_of_its_pid():
    # flutter/flutter#6025: no tombstone header in the paste; 'has died' of the crash's pid, 11 lines on, names it.
    text = (
        "09-23 17:12:33.341  4755  4780 F libc    : Fatal signal 11 (SIGSEGV), code 128, fault addr 0x0 in tid 4780"
        " (ui_thread)\n"
        "09-23 17:12:33.342   165   165 W         : debuggerd: handling request: pid=4755 uid=10200 gid=10200 tid=4780\n"
        "09-23 17:12:33.413   507  5003 W ActivityManager:   Force finishing activity com.google.fuchsia.armadillo/"
        "org.domokit.sky.shell.SkyActivity\n"
        "09-23 17:12:33.427   182   182 E lowmemorykiller: Error writing /proc/4755/oom_score_adj; errno=22\n"
        "09-23 17:12:33.470   507   788 I ActivityManager: Process com.google.fuchsia.armadillo (pid 4755) has died\n"
    )
    assert sorted(fields(scan_str(text))) == [
        ("crash", "com.google.fuchsia.armadillo", "com.google.fuchsia.armadillo", 4755, None),
        ("process_died", "com.google.fuchsia.armadillo", "com.google.fuchsia.armadillo", 4755, None),
    ]


# -- Unity's own crash handler: the tombstone header alone, under the tag CRASH -------------------------------------

# azesmway/react-native-unity#34 (Studio's old copy): no libc or DEBUG line; the pre-filter selects the header by '<<<'.
RN_UNITY_34 = (
    "2022-07-22 20:01:41.505 4031-4221/com.example E/CRASH: *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***"
    " ***",
    "2022-07-22 20:01:41.505 4031-4221/com.example E/CRASH: pid: 4031, tid: 4221, name: UnityGfxDeviceW  >>> com.example"
    " <<<",
    "2022-07-22 20:01:41.505 4031-4221/com.example E/CRASH: signal 11 (SIGSEGV), code 1 (SEGV_MAPERR), fault addr 0x8",
)


def _fed(lines: tuple[str, ...]) -> list[Event]:
    # The lines through the scan's own path (the pre-filter words '<<<' and 'by signal (' select them since round 5).
    return scan_str("\n".join(lines) + "\n")


def test_a_tombstone_header_alone_is_the_native_crash_of_its_process():
    events = _fed(RN_UNITY_34)
    assert fields(events) == [("crash", "com.example", "com.example", 4031, None)]
    assert events[0].reason == "crash_native"


def test_a_tombstone_header_after_its_crash_is_no_second_crash():
    # flutter/flutter#27077's libc line first: the header names that crash and is no crash of its own
    lines = (
        "F/libc    (20371): Fatal signal 11 (SIGSEGV), code 128 (SI_KERNEL), fault addr 0x0 in tid 20484 "
        "(o.pepsellmobile), pid 20371 (o.pepsellmobile)",
        "pid: 20371, tid: 20484, name: o.pepsellmobile  >>> com.pepsico.pepsellmobile <<<",
    )
    assert fields(_fed(lines)) == [("crash", "com.pepsico.pepsellmobile", "com.pepsico.pepsellmobile", 20371, None)]


# -- Dalvik's Zygote: 'Process N terminated by signal (S)' ----------------------------------------------------------


def test_dalvik_zygotes_terminated_by_signal_is_the_death_of_its_pid():
    # tuntori/mightier_amp#120 (Android 4.4.4, brief), selected by 'by signal ('
    (death,) = _fed(("D/Zygote  (  183): Process 2856 terminated by signal (11)",))
    assert (death.kind, death.pid, death.reason) == ("process_died", 2856, "sigsegv")
