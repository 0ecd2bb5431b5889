"""Containers and bad input, through the real `bgprobe scan` CLI where exit codes and messages matter."""

from __future__ import annotations

import gzip
import json
import zipfile

from tests.helpers import ANDROID_SAMPLES, EXAMPLE_BUGREPORT, invoke, scan

APP = "com.example.syncapp"
TERMUX = ANDROID_SAMPLES / "logcat_am_killing_empty_android12_termux.txt"


def test_bugreport_zip_sections_and_device_facts():
    events, outcome = scan(EXAMPLE_BUGREPORT)
    assert not outcome.problems
    assert len(outcome.usable) == 2  # the main entry and the persistent logcat
    assert {e.device for e in events} == {"venus"} and {e.os_version for e in events} == {"13"}
    # every logcat timestamp takes the report's year, the persistent log's included
    assert {e.ts[:4] for e in events if e.ts} == {"2024"}
    kinds = {e.source for e in events}
    assert {"dumpsys:jobscheduler", "exit-info", "dumpsys:deviceidle", "lmkd"} <= kinds
    assert any(s.startswith("logcat:events:") for s in kinds)
    # the persistent logcat repeats the last SYSTEM LOG lines: each event is reported once
    lmkd = [e for e in events if e.source == "lmkd" and e.process == APP]
    assert len(lmkd) == 1
    doze = [e for e in events if e.source == "dumpsys:deviceidle"]
    assert [e.reason for e in doze] == ["doze:idle"]


def test_bugreport_answers_the_support_question():
    result = invoke("scan", str(EXAMPLE_BUGREPORT), "--package", APP, "--no-color")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Device: venus (Android 13)" in out
    assert "oem:OneKeyClean" in out  # the OEM cleaner's kill, not exit-info's generic "other"
    assert "low_memory" in out
    assert "waiting for: network (CONNECTIVITY)" in " ".join(out.split())
    assert "execution_timeout" in out
    assert "com.example.notes" not in out  # --package keeps to one app


def test_package_json_lines_are_events():
    result = invoke("scan", str(EXAMPLE_BUGREPORT), "--package", APP, "--json")
    assert result.returncode == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows and all(r["package"] == APP or r["pid"] in (23456, 24810) for r in rows)
    required = {
        "ts",
        "device",
        "platform",
        "os_version",
        "kind",
        "package",
        "process",
        "pid",
        "job",
        "reason",
        "detail",
        "source",
        "where",
    }
    assert all(required <= r.keys() for r in rows)
    zygote = [r for r in rows if r["source"] == "logcat:Zygote"]
    assert [(r["pid"], r["reason"]) for r in zygote] == [(23456, "sigkill")]  # pid-only line, kept by pid


def test_fail_on_kill_gate():
    result = invoke("scan", str(EXAMPLE_BUGREPORT), "--package", APP, "--fail-on", "kill", "--json")
    assert result.returncode == 1
    clean = invoke("scan", str(EXAMPLE_BUGREPORT), "--package", "com.example.notes", "--fail-on", "kill")
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_bugreport_txt_and_gzip_and_stdin(tmp_path):
    with zipfile.ZipFile(EXAMPLE_BUGREPORT) as z:
        main = z.read("main_entry.txt").decode()
        text = z.read(main)
    txt = tmp_path / "bugreport.txt"
    txt.write_bytes(text)
    gz = tmp_path / "bugreport.txt.gz"
    gz.write_bytes(gzip.compress(text))
    from_txt, _ = scan(txt)
    from_gz, _ = scan(gz)
    assert len(from_txt) == len(from_gz) > 10
    result = invoke("scan", "-", "--json", stdin=text)
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == len(from_txt)


def test_directory_with_junk_reports_readable_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "termux.log").write_bytes(TERMUX.read_bytes())
    (tmp_path / "junk.bin").write_bytes(bytes(range(256)) * 50)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("shopping list\nmilk\neggs\n")
    result = invoke("scan", str(tmp_path), "--json")
    assert result.returncode == 0
    assert len([line for line in result.stdout.splitlines() if '"process_killed"' in line]) == 8
    err = result.stderr
    assert "junk.bin: binary data" in err
    assert "empty.txt: empty file" in err
    assert "notes.txt: unrecognized format" in err
    assert "Traceback" not in err


def test_nothing_usable_exits_2_with_one_line_per_problem(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\xff" * 1000)
    result = invoke("scan", str(junk), str(tmp_path / "missing.txt"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"bgprobe: {junk}: binary data, not a log, dumpsys output or bugreport",
        f"bgprobe: {tmp_path / 'missing.txt'}: no such file or directory",
    ]


def test_truncated_gzip_keeps_events_before_the_damage(tmp_path):
    data = gzip.compress(TERMUX.read_bytes() * 200)
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(data[: len(data) // 2])
    result = invoke("scan", str(cut), "--json")
    assert result.returncode == 0  # something usable was read
    assert "truncated or corrupt compressed data" in result.stderr
    assert result.stdout.count('"process_killed"') > 0
    assert "Traceback" not in result.stderr


def test_truncated_zip(tmp_path):
    data = EXAMPLE_BUGREPORT.read_bytes()
    cut = tmp_path / "bugreport.zip"
    cut.write_bytes(data[: len(data) // 2])
    result = invoke("scan", str(cut))
    assert result.returncode == 2
    assert "not a readable zip (truncated or damaged" in result.stderr
    assert "Traceback" not in result.stderr


def test_over_long_lines_are_skipped_with_a_warning(tmp_path):
    path = tmp_path / "long.log"
    kill = TERMUX.read_text().splitlines()[1]
    path.write_text(
        kill
        + "\n"
        + "x" * (20 << 20)
        + "\n"  # 20 MiB without a newline: longer than two read chunks
        + "Killing " * (1 << 18)
        + "\n"  # 2 MiB of signatures on one line
        + kill.replace("14231", "14232")
        + "\n"
        + kill.replace("empty #33", "x" * (100 << 10))
        + "\n"  # a 100 KiB "record"
        + kill.replace("14231", "14233")
        + "\n"
    )
    result = invoke("scan", str(path), "--json")
    assert result.returncode == 0
    assert [json.loads(line)["pid"] for line in result.stdout.splitlines()] == [14231, 14232, 14233]
    assert f"{path}:2: line longer than 1 MiB skipped" in result.stderr
    assert f"{path}:3: line of 2097152 bytes is not a log record; skipped" in result.stderr
    assert f"{path}:5: line of 102" in result.stderr


def test_bad_package_name_is_a_usage_error():
    result = invoke("scan", str(TERMUX), "--package", "com.x;rm -rf /")
    assert result.returncode == 2
    assert "neither an Android package name nor an iOS bundle identifier" in result.stderr
    ios_bundle = invoke("scan", str(TERMUX), "--package", "com.example.photo-backup", "--json")
    assert ios_bundle.returncode == 0 and ios_bundle.stdout == ""  # a valid bundle id: just no events


def test_verbose_shows_traceback_for_errors(tmp_path):
    result = invoke("-v", "scan", str(TERMUX), "--package", "bad name")
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_help_and_no_args():
    assert invoke("--help").returncode == 0
    assert "scan" in invoke("--help").stdout
    assert invoke("scan").returncode == 2


def test_windows_powershell_utf16_and_utf8_bom_logs(tmp_path):
    text = TERMUX.read_text()
    utf16 = tmp_path / "log-utf16.txt"
    utf16.write_bytes(text.replace("\n", "\r\n").encode("utf-16"))  # what PowerShell 5's `>` writes
    bom = tmp_path / "log-bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode())
    no_bom = []  # UTF-16 whose BOM a tool left out or the way lost
    for encoding in ("utf-16-le", "utf-16-be"):
        no_bom.append(tmp_path / f"log-{encoding}.txt")
        no_bom[-1].write_bytes(text.replace("\n", "\r\n").encode(encoding))
    for path in (utf16, bom, *no_bom):
        events, outcome = scan(path)
        assert not outcome.problems, outcome.problems
        assert [e.pid for e in events if e.kind == "process_killed"][:2] == [14231, 14249]
        assert len([e for e in events if e.kind == "process_killed"]) == 8
        assert events[0].where.endswith(":2")


def test_the_devices_line_names_each_device_s_own_system():
    # A sysdiagnose or a report names an iPhone and its iOS version: the summary's devices line said "(Android 17.2)".
    from bgprobe.reports.events import Event
    from bgprobe.reports.scan_summary import ScanSummarizer

    summarizer = ScanSummarizer()
    summarizer.add(Event("process_killed", "ips", "a.ips:1", device="iPhone14,2", platform="ios", os_version="17.2"))
    summarizer.add(Event("process_died", "logcat", "b.txt:1", device="venus", os_version="13"))
    assert summarizer.summary().devices == ["iPhone14,2 (iOS 17.2)", "venus (Android 13)"]
