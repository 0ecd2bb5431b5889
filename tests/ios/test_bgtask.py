"""BGTask launch through lldb: prerequisite messages and the exact lldb session (no phone; the session itself runs
against the simulated iPhone's debugserver in test_real_phone.py)."""

from __future__ import annotations

import pytest
from bgprobe.collectors.errors import BgprobeError
from bgprobe.collectors.ios.bgtask import (
    Prerequisites,
    find_lldb,
    lldb_argv,
    lldb_commands,
    lldb_finish,
    objc_expression,
    outcome_of,
    unmet,
)
from bgprobe.collectors.parsers.ios_syslog import parse_ios_log


def ok(**kw) -> Prerequisites:
    base = dict(
        udid="U",
        product_version="17.5.1",
        lldb="/usr/bin/lldb",
        tunnel="tunneld",
        developer_mode=True,
        ddi_mounted=True,
        app_installed=True,
        app_pid=812,
        debuggable=True,
    )
    base.update(kw)
    return Prerequisites(**base)


def test_all_met_means_nothing_to_say() -> None:
    assert unmet(ok(), "com.example.app", "com.example.app.refresh") == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"lldb": None, "lldb_name": "lldb"},
            "lldb is not installed (no `lldb` on PATH): install it (Debian/Ubuntu: `apt install lldb`",
        ),
        ({"tunnel": None}, "no tunnel to U (iOS 17.5.1): pass --rsd HOST PORT"),
        ({"tunnel": None, "product_version": "17.2.1"}, "iOS 17.0-17.3 has no CoreDeviceProxy"),
        (
            {"ddi_mounted": False},
            "the personalized Developer Disk Image is not mounted on U: mount it with "
            "`pymobiledevice3 mounter auto-mount --udid U`",
        ),
        (
            {"developer_mode": False},
            "Developer Mode is off on U: turn it on in Settings › Privacy & Security › Developer Mode",
        ),
        ({"app_installed": False}, "com.example.app is not installed on U"),
        (
            {"app_pid": 0},
            "com.example.app is not running: open it (so it registers its BGTask handlers and submits t.id with "
            "`BGTaskScheduler.submit(_:)`) and keep it in the foreground",
        ),
        ({"debuggable": False}, "com.example.app is not development-signed (no get-task-allow entitlement)"),
    ],
)
def test_each_missing_prerequisite_is_named(change: dict, message: str) -> None:
    (got,) = unmet(ok(**change), "com.example.app", "t.id")
    assert message in got, got


def test_several_missing_in_fixing_order() -> None:
    msgs = unmet(ok(lldb=None, tunnel=None, developer_mode=False), "b", "t")
    assert [m.split(" ")[0] for m in msgs] == ["lldb", "no", "Developer"]


def test_below_ios_17_and_userspace_tunnels_are_not_refused() -> None:
    """debugserver reaches lldb through pymobiledevice3's local port forwarder: lockdown before iOS 17, any tunnel
    (a userspace one included) from 17; Developer Mode does not exist below iOS 16 (None is not "off")."""
    assert unmet(ok(product_version="16.7.8", tunnel=None), "b", "t") == []
    assert unmet(ok(product_version="15.7.9", tunnel=None, developer_mode=None), "b", "t") == []


def test_lldb_missing_is_detected(monkeypatch) -> None:
    monkeypatch.setenv("BGPROBE_LLDB", "no-such-lldb-binary")
    assert find_lldb() == ("no-such-lldb-binary", None)


def test_exact_lldb_session() -> None:
    """Apple's procedure: stop the app, evaluate, resume it; bgprobe stays attached until the task started."""
    commands = lldb_commands("127.0.0.1", 58123, 812, "com.example.app.refresh", expire=False)
    assert commands == [
        "settings set auto-confirm true",
        "script lldb.debugger.SetAsync(True)",
        "platform select remote-ios",
        "process connect connect://[127.0.0.1]:58123",
        "process attach --pid 812",
        'e -l objc -- (void)[[BGTaskScheduler sharedScheduler] _simulateLaunchForTaskWithIdentifier:@"com.example.app.refresh"]',
        "process continue",
    ]
    assert lldb_finish() == ["process interrupt", "process detach", "quit"]
    assert objc_expression("x.y", expire=True) == (
        'e -l objc -- (void)[[BGTaskScheduler sharedScheduler] _simulateExpirationForTaskWithIdentifier:@"x.y"]'
    )
    assert lldb_argv("/usr/bin/lldb") == ["/usr/bin/lldb", "--no-lldbinit", "--no-use-colors"]
    with pytest.raises(BgprobeError):
        objc_expression('bad"id', expire=False)


def test_outcome_from_the_apps_log() -> None:
    def ev(*msgs: str):
        return parse_ios_log(
            list(
                enumerate(
                    [
                        f"2026-01-01 00:00:0{i}.000000 App{{BackgroundTasks}}[9] <NOTICE>: {m}"
                        for i, m in enumerate(msgs)
                    ],
                    1,
                )
            ),
            "live",
        )

    # the framework's own forms: the task object, a simulated completion without a success flag
    assert outcome_of(
        ev(
            "Simulating launch for task with identifier t",
            "Starting simulated task: <BGAppRefreshTask: t>",
            "Marking simulated task complete: <BGAppRefreshTask: t>",
        ),
        "t",
        False,
    ) == (True, "finished")
    assert outcome_of(
        ev("Starting task: <BGProcessingTask: t>", "Marking task <BGProcessingTask: t> complete with success: 0"),
        "t",
        False,
    ) == (True, "failed")
    # Xcode's console cannot decode the argument: the identifier is the one asked for just before
    assert outcome_of(
        ev(
            "Simulating launch for task with identifier t",
            "No task request with identifier <decode: missing data> has been scheduled",
        ),
        "t",
        False,
    ) == (False, "not_submitted")
    assert outcome_of(ev("Task with identifier t is not currently being simulated"), "t", True) == (
        False,
        "not_simulated",
    )
    assert outcome_of(ev("Expiring simulated task: <BGAppRefreshTask: t>"), "t", True) == (False, "expired")
    assert outcome_of(ev("Task with identifier t is already running"), "t", False) == (False, "already_running")
