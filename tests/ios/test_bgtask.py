"""BGTask launch through lldb: prerequisite messages and the exact lldb command lines (no phone, no lldb run)."""

from __future__ import annotations

import pytest
from bgprobe.collectors.errors import BgprobeError
from bgprobe.collectors.ios.bgtask import (
    Prerequisites,
    find_lldb,
    lldb_argv,
    lldb_commands,
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
        (
            {"product_version": "16.7.8"},
            "U runs iOS 16.7.8: BGTask launch through debugserver/lldb needs iOS 17 or later",
        ),
        ({"tunnel": None}, "no iOS 17+ tunnel to U: pass --rsd HOST PORT"),
        ({"userspace_tunnel": True}, "userspace tunnel, which an external lldb cannot reach"),
        (
            {"developer_mode": False},
            "Developer Mode is off on U: turn it on in Settings › Privacy & Security › Developer Mode",
        ),
        ({"app_installed": False}, "com.example.app is not installed on U"),
        (
            {"app_pid": 0},
            "com.example.app is not running: open it so it registers its BGTask handlers and submits t.id",
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


def test_lldb_missing_is_detected(monkeypatch) -> None:
    monkeypatch.setenv("BGPROBE_LLDB", "no-such-lldb-binary")
    assert find_lldb() == ("no-such-lldb-binary", None)


def test_exact_lldb_command_lines() -> None:
    commands = lldb_commands("fd35:a4b2::1", 58123, 812, "com.example.app.refresh", expire=False)
    assert commands == [
        "platform select remote-ios",
        "process connect connect://[fd35:a4b2::1]:58123",
        "process attach --pid 812",
        'e -l objc -- (void)[[BGTaskScheduler sharedScheduler] _simulateLaunchForTaskWithIdentifier:@"com.example.app.refresh"]',
        "process detach",
    ]
    assert objc_expression("x.y", expire=True) == (
        'e -l objc -- (void)[[BGTaskScheduler sharedScheduler] _simulateExpirationForTaskWithIdentifier:@"x.y"]'
    )
    assert lldb_argv("/usr/bin/lldb", commands[:2]) == [
        "/usr/bin/lldb",
        "--batch",
        "--no-lldbinit",
        "-o",
        "platform select remote-ios",
        "-o",
        "process connect connect://[fd35:a4b2::1]:58123",
    ]
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

    assert outcome_of(
        ev(
            "Simulating launch for task with identifier t",
            "Starting simulated task: t",
            "Marking task t complete with success: 1",
        ),
        "t",
        False,
    ) == (True, "finished")
    assert outcome_of(ev("No task request with identifier t has been scheduled"), "t", False) == (
        False,
        "not_submitted",
    )
    assert outcome_of(ev("Task with identifier t is not currently being simulated"), "t", True) == (
        False,
        "not_simulated",
    )
    assert outcome_of(ev("Expiring simulated task: t"), "t", True) == (False, "expired")
