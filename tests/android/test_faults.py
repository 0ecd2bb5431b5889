"""The fault suite for bgprobe's promises about phones (run alone with `pytest -m fault`): two
bgprobes on one phone, phones that arrive already changed, journals that were damaged, disks that
fill up, homes that cannot be written, and bad input to `state set`.

Everything runs against the simulated phones behind the real adb server, and every state is read
back from the phone through adb (adbutils), not from bgprobe's own journal."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import adbutils
import pytest

from tests.android.conftest import PKG, json_lines, serial_of
from tests.helpers import run_cli

pytestmark = pytest.mark.fault


# -- reading a phone through adb -------------------------------------------------------------------


def adb_shell(fleet, serial: str, command: str) -> str:
    client = adbutils.AdbClient(host="127.0.0.1", port=fleet.adb_port)
    return client.device(serial).shell(command)


def raw_state(fleet, serial: str) -> dict[str, str]:
    """What the phone itself says about everything bgprobe may change (the dumps, not bgprobe's view)."""
    idle = adb_shell(fleet, serial, "dumpsys deviceidle")
    battery = adb_shell(fleet, serial, "dumpsys battery")
    keep = ("mForceIdle=", "mState=", "mCharging=")
    return {
        "deviceidle": "\n".join(line.strip() for line in idle.splitlines() if line.strip().startswith(keep)),
        "battery": battery,
        "saver": adb_shell(fleet, serial, "settings get global low_power").strip(),
        "wifi": adb_shell(fleet, serial, "settings get global wifi_on").strip(),
        "data": adb_shell(fleet, serial, "settings get global mobile_data").strip(),
        "airplane": adb_shell(fleet, serial, "settings get global airplane_mode_on").strip(),
        "bucket": adb_shell(fleet, serial, f"am get-standby-bucket {PKG}").strip(),
        # the mode, without its "time=+13s ago" (which moves on by itself)
        "appops": adb_shell(fleet, serial, f"cmd appops get {PKG} RUN_ANY_IN_BACKGROUND").split(";")[0].strip(),
    }


def factory_reset_conditions(fleet, serial: str) -> None:
    """Undo by hand whatever a test changed outside bgprobe (the session's phones are shared)."""
    for command in (
        "dumpsys deviceidle unforce",
        "dumpsys battery reset",
        f"am set-standby-bucket {PKG} active",
        f"cmd appops set {PKG} RUN_ANY_IN_BACKGROUND allow",
        "svc wifi enable",
        "svc data enable",
    ):
        adb_shell(fleet, serial, command)


def bgprobe(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=env, timeout=timeout)


def popen(*args: str, env: dict[str, str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bgprobe.cli", *args],
        env={**os.environ, "COLUMNS": "200", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def journal_files(env: dict[str, str]) -> list[Path]:
    folder = Path(env["BGPROBE_STATE_DIR"]) / "journal"
    return sorted(folder.glob("*.jsonl")) if folder.exists() else []


def wait_for(predicate, timeout: float = 60.0, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


# -- 1. one bgprobe at a time per phone ------------------------------------------------------------

CAMPAIGN = f"""
[campaign]
name = "hold"
repetitions = 1
attempt_timeout = "30s"
settle = "0.2s"

[[app]]
package = "{PKG}"

[[task]]
name = "natural-cleanup"
job = 12
trigger = "natural"
window = "40s"

[[condition]]
name = "deep"
set = {{ doze = "deep" }}
"""


def test_concurrent_state_set_and_restore_loops_leave_the_phone_as_it_was(fleet, env):
    serial = serial_of(fleet, "13")
    before = raw_state(fleet, serial)
    loop = textwrap.dedent(
        f"""
        set -e
        for i in 1 2 3; do
          {sys.executable} -m bgprobe.cli state set bucket=rare saver=off -p {PKG} -s {serial} --lock-wait 60
          {sys.executable} -m bgprobe.cli restore -s {serial} --lock-wait 60
        done
        """
    )
    procs = [
        subprocess.Popen(
            ["bash", "-c", loop], env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
    assert raw_state(fleet, serial) == before
    assert journal_files(env) == []


def test_a_second_command_waits_then_names_the_holder_and_leaves_its_condition_alone(fleet, env, tmp_path):
    serial = serial_of(fleet, "14")
    scenario = tmp_path / "hold.toml"
    scenario.write_text(CAMPAIGN)
    holder = popen("run", str(scenario), "--out", str(tmp_path / "r1"), "--quiet", "-s", serial, env=env)
    try:
        assert wait_for(lambda: "mState=IDLE" in raw_state(fleet, serial)["deviceidle"]), "the run never dozed"
        t0 = time.monotonic()
        second = bgprobe("run", str(scenario), "--out", str(tmp_path / "r2"), "-s", serial, "--lock-wait", "1", env=env)
        assert second.returncode == 3, second.stderr
        assert f"in use by bgprobe run, pid {holder.pid}, since " in second.stderr
        assert time.monotonic() - t0 >= 1.0  # it waited --lock-wait first
        assert not (tmp_path / "r2").exists()  # nothing written for a run that could not start
        for command in (("state", "set", "doze=off"), ("restore",), ("trigger", PKG, "1042", "--wait", "1")):
            refused = bgprobe(*command, "-s", serial, "--lock-wait", "0", env=env)
            assert refused.returncode == 3 and f"pid {holder.pid}" in refused.stderr, (command, refused.stderr)
        assert "mState=IDLE" in raw_state(fleet, serial)["deviceidle"]  # the first run's condition held
    finally:
        holder.send_signal(signal.SIGTERM)
        holder.wait(timeout=90)
    assert "mForceIdle=false" in raw_state(fleet, serial)["deviceidle"]
    after = bgprobe("state", "set", "doze=off", "-s", serial, "--lock-wait", "0", env=env)
    assert after.returncode == 0, after.stderr  # the lock went with its holder


def test_a_dead_holders_lock_is_taken_over(fleet, env):
    serial = serial_of(fleet, "12")
    key = fleet.device(serial).profile.serial
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import time
            from bgprobe.collectors.locks import device_lock
            with device_lock({key!r}, {serial!r}, "state set", 0):
                print("held", flush=True)
                time.sleep(120)
        """),
        ],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    busy = bgprobe("state", "set", "saver=off", "-s", serial, "--lock-wait", "0.5", env=env)
    assert busy.returncode == 3 and f"in use by bgprobe state set, pid {holder.pid}" in busy.stderr
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    taken = bgprobe("state", "set", "saver=off", "-s", serial, "--lock-wait", "0", env=env)
    assert taken.returncode == 0, taken.stderr
    assert bgprobe("restore", "-s", serial, env=env).returncode == 0


def test_two_resumes_of_one_results_directory(fleet, env, tmp_path):
    serial = serial_of(fleet, "11")
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        CAMPAIGN.replace('window = "40s"', 'window = "3s"').replace("repetitions = 1", "repetitions = 3")
    )
    out = tmp_path / "results"
    first = popen("run", str(scenario), "--out", str(out), "--quiet", "-s", serial, env=env)
    assert wait_for(lambda: (out / "attempts.jsonl").exists(), timeout=60)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    resume_a = popen("run", "--resume", str(out), "--quiet", "-s", serial, env=env)
    assert wait_for(lambda: "run --resume" in (out / ".bgprobe.lock").read_text(), timeout=30)
    resume_b = bgprobe("run", "--resume", str(out), "--quiet", "-s", serial, env=env)
    assert resume_b.returncode == 2, resume_b.stderr
    assert f"in use by bgprobe run --resume, pid {resume_a.pid}" in resume_b.stderr
    _, err = resume_a.communicate(timeout=240)
    assert resume_a.returncode == 0, err
    ids = [json.loads(line)["attempt_id"] for line in (out / "attempts.jsonl").read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 3  # every planned run once, none doubled
    assert "mForceIdle=false" in raw_state(fleet, serial)["deviceidle"]


# -- 2. put back what was there, not defaults --------------------------------------------------------

PRE_CHANGED = {
    "forced deep idle": ["dumpsys deviceidle force-idle deep"],
    "forced light idle": ["dumpsys deviceidle force-idle light"],
    "forced light idle, unplugged": ["dumpsys battery unplug", "dumpsys deviceidle force-idle light"],
    "battery override level 55, unplugged": ["dumpsys battery set level 55", "dumpsys battery unplug"],
    "battery override AC, level 30": ["dumpsys battery set ac 1", "dumpsys battery set level 30"],
    "restricted app, rare bucket, wifi off": [
        f"cmd appops set {PKG} RUN_ANY_IN_BACKGROUND ignore",
        f"am set-standby-bucket {PKG} rare",
        "svc wifi disable",
    ],
}


@pytest.mark.parametrize("arrival", list(PRE_CHANGED))
def test_a_phone_that_arrives_changed_goes_back_to_exactly_that(fleet, env, arrival):
    serial = serial_of(fleet, "15")
    try:
        for command in PRE_CHANGED[arrival]:
            adb_shell(fleet, serial, command)
        before = raw_state(fleet, serial)
        changed = bgprobe(
            "state",
            "set",
            "battery=plugged",
            "level=80",
            "network=offline",
            "bucket=frequent",
            "restrict=off",
            "doze=deep",
            "-p",
            PKG,
            "-s",
            serial,
            env=env,
        )
        assert changed.returncode == 0, changed.stderr
        assert raw_state(fleet, serial) != before
        restored = bgprobe("restore", "-s", serial, env=env)
        assert restored.returncode == 0, restored.stderr
        assert raw_state(fleet, serial) == before
        # doze alone (an unplugged phone is woken by a moment of faked AC power, then put back),
        # and `doze=off` on a phone that arrived forced: back to forced
        for doze in ("doze=deep", "doze=off"):
            assert bgprobe("state", "set", doze, "-s", serial, env=env).returncode == 0
            assert bgprobe("restore", "-s", serial, env=env).returncode == 0
            assert raw_state(fleet, serial) == before, doze
    finally:
        factory_reset_conditions(fleet, serial)


def test_a_campaign_on_a_changed_phone_leaves_it_as_it_came(fleet, env, tmp_path):
    serial = serial_of(fleet, "13")
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        CAMPAIGN.replace('window = "40s"', 'window = "1s"')
        + '\n[[condition]]\nname = "plugged"\nset = { battery = "plugged", level = "90" }\n'
    )
    try:
        for command in PRE_CHANGED["battery override level 55, unplugged"] + PRE_CHANGED["forced deep idle"]:
            adb_shell(fleet, serial, command)
        before = raw_state(fleet, serial)
        result = bgprobe("run", str(scenario), "--out", str(tmp_path / "r"), "--quiet", "-s", serial, env=env)
        assert result.returncode == 0, result.stderr
        assert raw_state(fleet, serial) == before
    finally:
        factory_reset_conditions(fleet, serial)


# -- 3. journals that were damaged ---------------------------------------------------------------------

BAD_LINES = [
    "[]",
    '"str"',
    "null",
    "42",
    '{"type": "apply", "id": 7, "device": "x", "key": "doze", "value": "deep", "undo": [], "pid": 1, "at": 0}',
    '{"type": "apply", "id": "a", "device": "x", "key": "doze", "value": "deep", "undo": "rm -rf /", '
    '"pid": 1, "at": 0}',
    '{"type": "apply", "id": "b", "device": "x", "key": "doze", "value": "deep", "undo": [[1, 2]], '
    '"pid": true, "at": 0}',
    '{"type": "undone"}',
    '{"type": "teleport", "id": "c"}',
    "{not json",
]


def test_bad_journal_lines_are_reported_and_never_block_other_phones(fleet, env):
    damaged, healthy = serial_of(fleet, "12"), serial_of(fleet, "14")
    before = {s: raw_state(fleet, s) for s in (damaged, healthy)}
    for serial in (damaged, healthy):
        result = bgprobe("state", "set", "bucket=rare", "saver=off", "-p", PKG, "-s", serial, env=env)
        assert result.returncode == 0, result.stderr
    journal = Path(env["BGPROBE_STATE_DIR"]) / "journal" / f"{fleet.device(damaged).profile.serial}.jsonl"
    good = journal.read_text()
    journal.write_text(
        good + "\n".join(BAD_LINES) + "\n" + good.splitlines()[0].replace('"bucket:', '"bucket2:') + "\n"
    )
    for command in (("devices",), ("state", "show", "-s", damaged), ("info", damaged)):
        seen = bgprobe(*command, env=env)
        assert seen.returncode == 0, (command, seen.stderr)
        assert f"{journal}:" in seen.stderr  # warned, with the file and line
    restored = bgprobe("restore", env=env)
    assert restored.returncode == 3, restored.stderr  # not everything could be accounted for
    assert "Traceback" not in restored.stderr and "internal error" not in restored.stderr
    first_bad = len(good.splitlines()) + 1
    for n in range(first_bad, first_bad + len(BAD_LINES)):
        assert f"{journal}:{n}: " in restored.stderr
    assert "then delete that line" in restored.stderr
    assert restored.stdout.count("undid") >= 4  # both phones' readable changes
    assert raw_state(fleet, healthy) == before[healthy]
    assert raw_state(fleet, damaged)["bucket"] == before[damaged]["bucket"]
    journal.unlink()


@pytest.mark.parametrize("damage", ["empty", "directory", "garbage"])
def test_an_unreadable_journal_is_never_nothing_to_restore(fleet, env, damage):
    serial = serial_of(fleet, "9")
    result = bgprobe("state", "set", "saver=off", "-s", serial, env=env)
    assert result.returncode == 0, result.stderr
    (journal,) = journal_files(env)
    journal.unlink()
    if damage == "empty":
        journal.write_text("")
    elif damage == "directory":
        journal.mkdir()
    else:
        journal.write_bytes(os.urandom(300).replace(b"\n", b"x") + b"\n")
    restored = bgprobe("restore", env=env)
    assert restored.returncode == 3
    assert "Nothing to restore" not in restored.stdout
    assert str(journal) in restored.stderr
    assert bgprobe("devices", env=env).returncode == 0
    (journal.rmdir if damage == "directory" else journal.unlink)()


# -- 4. full disks and unwritable places ---------------------------------------------------------------


def limit_file_size(size: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


def test_a_full_disk_mid_change_undoes_what_was_changed(fleet, env):
    serial = serial_of(fleet, "11")
    before = raw_state(fleet, serial)
    # How big is the first change's journal record? Files may then grow only a little past it:
    # the first record fits, the second does not (the kernel refuses the write: EFBIG).
    assert bgprobe("state", "set", "network=offline", "-s", serial, env=env).returncode == 0
    (journal,) = journal_files(env)
    first_record = journal.stat().st_size
    assert bgprobe("restore", "-s", serial, env=env).returncode == 0 and raw_state(fleet, serial) == before
    proc = subprocess.run(
        [sys.executable, "-m", "bgprobe.cli", "state", "set", "network=offline", "doze=deep", "-s", serial],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        preexec_fn=limit_file_size(first_record + 100),
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    assert "cannot write bgprobe's journal" in proc.stderr and "File too large" in proc.stderr
    assert "internal error" not in proc.stderr
    assert raw_state(fleet, serial) == before  # network back online, doze never forced
    assert bgprobe("restore", "-s", serial, env=env).returncode == 0


def test_a_journal_on_a_full_device_changes_nothing(fleet, env):
    serial = serial_of(fleet, "10")
    before = raw_state(fleet, serial)
    folder = Path(env["BGPROBE_STATE_DIR"]) / "journal"
    folder.mkdir(parents=True)
    (folder / f"{fleet.device(serial).profile.serial}.jsonl").symlink_to("/dev/full")
    result = bgprobe("state", "set", "network=offline", "-s", serial, env=env)
    assert result.returncode == 3
    assert "No space left on device" in result.stderr
    assert raw_state(fleet, serial) == before
    shown = bgprobe("state", "show", "-s", serial, env=env)
    assert shown.returncode == 0 and "is not a regular file" in shown.stderr


def test_read_only_commands_need_no_state_directory(fleet, env, tmp_path):
    serial = serial_of(fleet, "14")
    unwritable = {**env, "HOME": "/proc/1/nohome", "XDG_STATE_HOME": ""}
    unwritable.pop("BGPROBE_STATE_DIR")
    log = tmp_path / "x.log"
    log.write_text(
        "06-01 12:00:00.000  1000  1200  1300 I ActivityManager: Killing 4321:com.x/u0a1 (adj 900): empty #17\n"
    )
    for command in (("devices",), ("state", "show", "-s", serial), ("info", serial), ("scan", str(log))):
        result = run_cli(*command, env=unwritable)
        assert result.returncode == 0, (command, result.stderr)
    changing = run_cli("state", "set", "saver=off", "-s", serial, env=unwritable)
    assert changing.returncode == 3
    assert changing.stderr.count("\n") == 1 and "set BGPROBE_STATE_DIR to a writable directory" in changing.stderr


# -- 7. bad input to state set --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "assignment",
    ["level=²", "level=٣", "level=-1", "level=101", "level=", "doze=Deep", "doze=deep doze=light", "=", "bucket=rare"],
)
def test_bad_assignments_exit_2_with_one_line(fleet, env, assignment):
    serial = serial_of(fleet, "13")
    result = bgprobe("state", "set", *assignment.split(), "-s", serial, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("bgprobe: ") and result.stderr.count("\n") == 1
    assert journal_files(env) == []


def test_run_with_a_serial_that_matches_no_phone_is_an_error(fleet, env, tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(CAMPAIGN)
    result = bgprobe("run", str(scenario), "--out", str(tmp_path / "r"), "-s", "no-such-phone", env=env)
    assert result.returncode == 3
    assert "no-such-phone" in result.stderr
    assert not (tmp_path / "r").exists()


def test_state_set_of_json_shows_the_prior_state(fleet, env):
    serial = serial_of(fleet, "12")
    try:
        adb_shell(fleet, serial, "dumpsys battery set level 42")
        result = bgprobe("state", "set", "level=70", "-s", serial, env=env)
        assert result.returncode == 0, result.stderr
        assert "was: battery override (usb, level 42)" in result.stdout
        restored = bgprobe("restore", "-s", serial, env=env)
        assert "back to: battery override (usb, level 42)" in restored.stdout
        assert json_lines(bgprobe("state", "show", "-s", serial, "--json", env=env).stdout)[0]["level"] == 42
    finally:
        factory_reset_conditions(fleet, serial)


def test_a_crashed_campaign_worker_fails_the_run_and_keeps_every_attempt(fleet, env, tmp_path, monkeypatch, capsys):
    """A bug in a worker thread (injected into bgprobe's own worker: the second forced trigger
    raises) must not end the run as a success: exit 70, the traceback in the results directory,
    the attempts before it kept, the phone's condition undone."""
    from bgprobe.cli.app import main
    from bgprobe.collectors.campaign.android_worker import AndroidWorker

    serial = serial_of(fleet, "14")
    before = raw_state(fleet, serial)
    real_force = AndroidWorker.force
    calls = []

    def force_then_crash(self, task):
        calls.append(task.name)
        if len(calls) == 2:
            raise RuntimeError("injected bug in the worker")
        return real_force(self, task)

    monkeypatch.setattr(AndroidWorker, "force", force_then_crash)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        CAMPAIGN.replace('trigger = "natural"', 'trigger = "forced"')
        .replace("repetitions = 1", "repetitions = 3")
        .replace('attempt_timeout = "30s"', 'attempt_timeout = "2s"')
    )
    out = tmp_path / "r"
    monkeypatch.setattr(sys, "argv", ["bgprobe", "run", str(scenario), "--out", str(out), "--quiet", "-s", serial])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 70
    err = capsys.readouterr().err
    assert "the campaign stopped on this device: RuntimeError: injected bug in the worker" in err
    assert f"bgprobe run --resume {out}" in err
    (traceback_file,) = out.glob("worker-error-*.txt")
    assert "injected bug in the worker" in traceback_file.read_text()
    kept = [json.loads(line) for line in (out / "attempts.jsonl").read_text().splitlines()]
    assert len(kept) == 1  # the attempt before the crash
    assert raw_state(fleet, serial) == before  # the deep doze condition was undone on the way out
