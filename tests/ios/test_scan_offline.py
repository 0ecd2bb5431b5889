"""`bgprobe scan` on iOS inputs: single .ips (JSON and text), syslog text, and a sysdiagnose tar.gz."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from bgprobe.collectors.ios.transport import IosUsageError, resolve_usbmux

from .conftest import SAMPLES, cli


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1_700_000_000
    tar.addfile(info, io.BytesIO(data))


def test_scan_sysdiagnose_tar_gz(tmp_path: Path, isolated_home: Path) -> None:
    root = "sysdiagnose_2023.11.14_22-13-20+0000_iPhone-OS_iPhone_21F90"
    archive = tmp_path / f"{root}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        _add(
            tar,
            f"{root}/crashes_and_spins/JetsamEvent-2026-06-14-150819.ips",
            (SAMPLES / "jetsam_event_ips_fixture_ios27.txt").read_bytes(),
        )
        _add(
            tar,
            f"{root}/crashes_and_spins/Podcasts-2023-11-14-221320.ips",
            (SAMPLES / "watchdog_crash_header_ios11.txt").read_bytes(),
        )
        _add(tar, f"{root}/logs/syslog.log", (SAMPLES / "syslog_relay_format_assertiond_jetsam_ios8.txt").read_bytes())
        _add(tar, f"{root}/summaries/dasd.txt", (SAMPLES / "dasd_bgprocessing_submit_cancel_policy.txt").read_bytes())
        _add(tar, f"{root}/summaries/unrelated.txt", b"Some table\nwith nothing of ours\n")
        _add(tar, f"{root}/system_logs.logarchive/Persist/0000000000000001.tracev3", b"\x00\x01binary" * 100)
        _add(tar, f"{root}/system_logs.logarchive/Info.plist", b"<plist/>")
    r = cli(None, isolated_home, "scan", str(archive), "--json")
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    got = {(e["where"].split("!", 1)[1].split(":")[0].split("/", 1)[1], e["kind"], e["reason"]) for e in events}
    assert got == {
        ("crashes_and_spins/JetsamEvent-2026-06-14-150819.ips", "process_killed", "jetsam:per-process-limit"),
        ("crashes_and_spins/Podcasts-2023-11-14-221320.ips", "process_killed", "watchdog:scene-create"),
        ("logs/syslog.log", "process_died", "assertiond:no-such-process"),
        ("logs/syslog.log", "process_killed", "jetsam:unknown"),
        ("summaries/dasd.txt", "job_scheduled", "requested"),
        ("summaries/dasd.txt", "job_stopped", "cancelled"),
        ("summaries/dasd.txt", "job_scheduled", "accepted"),
        ("summaries/dasd.txt", "job_scheduled", "can_proceed"),
    }
    assert all(e["platform"] == "ios" for e in events)
    # the logarchive: one plain note, not an error per tracev3 file; unrelated text is skipped quietly
    assert r.stderr.count("logarchive") == 1
    assert "system_logs.logarchive: binary unified-log archive (tracev3): not read on Linux" in r.stderr
    assert "unrelated" not in r.stderr


def test_scan_single_ips_and_syslog_text_files(tmp_path: Path, isolated_home: Path) -> None:
    files = [
        SAMPLES / n
        for n in (
            "jetsam_event_ips_fixture_ios27.txt",
            "watchdog_ips_json_termination_field.txt",
            "uikit_bgtask_not_ended_after_expiration.txt",
            "kernel_memorystatus_fatal_limit.txt",
        )
    ]
    r = cli(None, isolated_home, "scan", *map(str, files), "--json")
    assert r.returncode == 0, r.stderr
    reasons = [json.loads(line)["reason"] for line in r.stdout.splitlines()]
    assert reasons == [
        "jetsam:per-process-limit",
        "watchdog:scene-update",
        "bgtask_expired",
        "bgtask_expired",
        "bgtask_expired",
        "jetsam:per-process-limit",
    ]
    # the human summary works on iOS events too
    r = cli(None, isolated_home, "scan", *map(str, files))
    assert r.returncode == 0, r.stderr


def test_usbmux_address_forms(monkeypatch) -> None:
    assert resolve_usbmux("127.0.0.1:27015") == "127.0.0.1:27015"
    assert resolve_usbmux("/var/run/usbmuxd") == "/var/run/usbmuxd"
    assert resolve_usbmux("UNIX:/tmp/mux") == "/tmp/mux"  # libusbmuxd's spelling, which pmd3 would crash on
    monkeypatch.setenv("USBMUXD_SOCKET_ADDRESS", "10.0.0.2:5000")
    assert resolve_usbmux(None) == "10.0.0.2:5000"
    monkeypatch.setenv("PYMOBILEDEVICE3_USBMUX", "/run/mux")
    assert resolve_usbmux(None) == "/run/mux"
    for bad in ("[::1]:27015", "host:port"):
        with pytest.raises(IosUsageError):
            resolve_usbmux(bad)
