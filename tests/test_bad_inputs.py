"""Every user mistake is exit 2 (usage, scenario, input file) or 3 (device, infrastructure) with one
line on stderr that names the culprit; exit 70 is for bgprobe's own bugs only.

Most cases run the real entry point (`bgprobe.cli.app.main`) in-process: a child process per case
costs half a second, and this sweep has well over a hundred of them. A few cases also run as real
child processes (`test_the_in_process_runner_is_faithful`) to prove the two give the same result.
No case starts an adb server: a device that is needed is looked for on an address where a bound
socket that never listens refuses every connection (exit 3 at once), or on the private adb server
of the simulated phones. The results directories that `report` and `run --resume` are fed are real:
one tiny campaign runs on a simulated phone per module, and each case corrupts a copy of it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bgprobe.cli.app import main
from bgprobe.sim.fleet import SimFleet

from tests.helpers import run_cli

pytestmark = pytest.mark.fault

PKG = "com.example.syncapp"

# A tiny campaign (one task, one condition, two repetitions, no retries): real rows in seconds.
SCENARIO = f"""
[campaign]
name = "bad-inputs"
repetitions = 2
attempt_timeout = "3s"
settle = "0.2s"

[[app]]
package = "{PKG}"

[[task]]
name = "upload"
job = 7
trigger = "forced"
started = 'job (?P<job>\\d+) started'
finished = 'job (?P<job>\\d+) finished \\(success\\)'
failed = 'job (?P<job>\\d+) finished \\(failure\\)'

[[condition]]
name = "baseline"
"""

# What a user's shell may hold that would send a case somewhere else than the case says.
CLEARED_ENV = (
    "ADB_SERVER_SOCKET",
    "ANDROID_ADB_SERVER_ADDRESS",
    "ANDROID_ADB_SERVER_PORT",
    "ANDROID_SERIAL",
    "PYMOBILEDEVICE3_USBMUX",
    "USBMUXD_SOCKET_ADDRESS",
    "PYMOBILEDEVICE3_UDID",
    "BGPROBE_LOCK_WAIT",
)


# ------------------------------------------------------------------------------ the world


@dataclass
class World:
    """Everything the cases point at; `paths` fills the {placeholders} of their arguments."""

    base: Path
    paths: dict[str, str]
    env: dict[str, str]
    fleet: SimFleet
    serial: str


def _refusing_address() -> tuple[socket.socket, str]:
    """A TCP port that refuses every connection at once: bound (so nobody else can take it), never
    listening. Better than a guessed 'unused' port, which some other process may be listening on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock, f"127.0.0.1:{sock.getsockname()[1]}"


def _read_only_dir(base: Path) -> str | None:
    """A directory nobody may create anything in. chmod does not stop root, so as root: sysfs,
    which refuses every mkdir to everyone. None when neither is available."""
    if os.geteuid() != 0:
        ro = base / "read-only"
        ro.mkdir()
        ro.chmod(0o555)
        return str(ro)
    return "/sys" if os.path.ismount("/sys") else None


PROFILES = {
    # name -> a fleet profile with one mistake in it
    "p_toml": "garbage = [\n",
    "p_release": '[[android]]\nrelease = "99"\n',
    "p_kill": '[[android]]\nkill_policy = "bogus"\n',
    "p_serial": "[[android]]\nserial = 5\n",
    "p_ios_str": 'ios = "x"\n',
    "p_android_int": "android = 5\n",
    "p_nopkg": '[[android]]\n[[android.apps]]\nlog_tag = "x"\n',
    "p_jobkey": '[[android]]\n[[android.apps]]\npackage = "com.a"\n[[android.apps.jobs]]\nbogus = 1\n',
    "p_jobid": '[[android]]\n[[android.apps]]\npackage = "com.a"\n[[android.apps.jobs]]\njob_id = "x"\nservice = ".S"\n',
    "p_battery": "[[android]]\nbattery_level = 500\n",
    "p_model": '[[android]]\nmodel = ["x"]\n',
    "p_ios_name": "[[ios]]\nname = 5\n",
    "p_ios_version": '[[ios]]\nversion = "99"\n',
    "p_typo": '[[android]]\nmaker = "Xiaomi"\n',
    "p_nothing": "x = 1\n",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("bad-inputs")
    refusing, dead = _refusing_address()
    fleet = SimFleet(android=1, ios=0, speed=60.0, seed=5)
    fleet.start()
    try:
        serial = next(iter(fleet.devices))
        env = {"BGPROBE_STATE_DIR": str(base / "state"), "ADB_SERVER_SOCKET": f"tcp:{dead}", "NO_COLOR": "1"}
        (base / "s.toml").write_text(SCENARIO)
        live = {**env, "ADB_SERVER_SOCKET": f"tcp:127.0.0.1:{fleet.adb_port}"}
        campaign = run_cli("run", str(base / "s.toml"), "--out", str(base / "real"), "--quiet", "-s", serial, env=live)
        assert campaign.returncode == 0, campaign.stderr
        rows = (base / "real" / "attempts.jsonl").read_text().splitlines()
        assert len(rows) == 2  # two task runs, one attempt each: the corruptions below assume it

        (base / "afile.txt").write_text("just text\n")
        (base / "emptydir").mkdir()
        (base / "empty.jsonl").write_text("")
        (base / "garbage.txt").write_text("this is not JSON\nnor is this\n")
        (base / "not-objects.jsonl").write_text('[1, 2]\n"text"\nnull\n42\n')
        (base / "binary.bin").write_bytes(bytes(range(256)) * 8)
        (base / "bad.toml").write_text("[campaign\nname = \n")
        (base / "binary.toml").write_bytes(b"\xff\xfe\x00garbage")
        only_run = base / "only-run-json"
        only_run.mkdir()
        shutil.copy(base / "real" / "run.json", only_run / "run.json")
        events = base / "real" / "events.jsonl"  # the phone may have logged nothing about the app
        (base / "events-only.jsonl").write_text((events.read_text() if events.exists() else "") or _one_event())
        nonempty = base / "nonempty"
        nonempty.mkdir()
        (nonempty / "x").write_text("x")
        for name, text in PROFILES.items():
            (base / f"{name}.toml").write_text(text)
        paths = {
            "tmp": str(base),
            "dead": dead,
            "file": str(base / "afile.txt"),
            "emptydir": str(base / "emptydir"),
            "empty": str(base / "empty.jsonl"),
            "garbage": str(base / "garbage.txt"),
            "not_objects": str(base / "not-objects.jsonl"),
            "binary": str(base / "binary.bin"),
            "scenario": str(base / "s.toml"),
            "bad_scenario": str(base / "bad.toml"),
            "binary_scenario": str(base / "binary.toml"),
            "real": str(base / "real"),
            "only_run": str(only_run),
            "events_only": str(base / "events-only.jsonl"),
            "nonempty": str(nonempty),
            "missing": str(base / "no-such-thing"),
            "adb": f"127.0.0.1:{fleet.adb_port}",
            "serial": serial,
            "readonly": _read_only_dir(base) or "",
            **{name: str(base / f"{name}.toml") for name in PROFILES},
        }
        yield World(base, paths, env, fleet, serial)
    finally:
        fleet.stop()
        refusing.close()


def _one_event() -> str:
    return json.dumps({"kind": "process_died", "source": "logcat", "where": "x:1", "ts": "2025-01-01T00:00:00"}) + "\n"


# ------------------------------------------------------------------------------ running bgprobe


@dataclass
class Ran:
    code: int | None  # None: an exception escaped main() (itself a bug)
    out: str
    err: str


@pytest.fixture
def bgprobe(world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """`bgprobe ARGS` in this process, exactly as the console script calls it: main() with sys.argv."""

    def invoke(*args: str, env: dict[str, str] | None = None) -> Ran:
        with monkeypatch.context() as m:
            for name in CLEARED_ENV:
                m.delenv(name, raising=False)
            for name, value in {**world.env, "COLUMNS": "200", **(env or {})}.items():
                m.setenv(name, value)
            m.setattr(sys, "argv", ["bgprobe", *args])
            capsys.readouterr()  # each call starts with nothing captured
            code: int | None
            escaped = ""
            try:
                main()
                code = 0  # main() always exits; returning is a bug of its own
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
            except BaseException:
                code, escaped = None, traceback.format_exc()
            captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err + escaped)

    return invoke


def fill(args: tuple[str, ...], world: World) -> list[str]:
    return [a.format(**world.paths) for a in args]


def assert_one_line(ran: Ran, code: int, culprit: str, *, usage: bool = False) -> None:
    """The exit code, no traceback, and one `bgprobe: ...` line naming the culprit (or, for what
    click itself rejects, click's usage block whose `Error:` line names it)."""
    assert ran.code == code, f"exit {ran.code}, wanted {code}; stderr:\n{ran.err}"
    assert "Traceback" not in ran.err, ran.err
    assert "internal error" not in ran.err, ran.err
    lines = ran.err.splitlines()
    if usage:
        assert lines[0].startswith("Usage: bgprobe"), ran.err
        errors = [line for line in lines if line.startswith("Error: ")]
        assert len(errors) == 1 and culprit in errors[0], ran.err
    else:
        assert len(lines) == 1, f"wanted one line, got:\n{ran.err}"
        assert lines[0].startswith("bgprobe: ") and culprit in lines[0], lines[0]


# ------------------------------------------------------------------------------ the sweep


@dataclass
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    culprit: str  # what the line must name ({placeholders} allowed)
    usage: bool = False  # rejected by click's own parsing: its usage block
    env: dict[str, str] = field(default_factory=dict)


def case(id: str, *args: str, code: int = 2, culprit: str, usage: bool = False, **env: str) -> Case:
    return Case(id, args, code, culprit, usage, env)


DEVICE = 3
NO_ADB = "{dead}"  # a device is needed: nobody answers there

CASES = [
    # -- the command line itself
    case("unknown-command", "frobnicate", culprit="frobnicate", usage=True),
    case("unknown-option", "devices", "--frobnicate", culprit="--frobnicate", usage=True),
    case("extra-argument", "devices", "extra", culprit="extra", usage=True),
    # -- adb server addresses
    case("adb-server-garbage", "devices", "--adb-server", "garbage", culprit="garbage"),
    case("adb-server-port-too-big", "devices", "--adb-server", "127.0.0.1:99999", culprit="127.0.0.1:99999"),
    case("adb-server-port-zero", "devices", "--adb-server", "127.0.0.1:0", culprit="127.0.0.1:0"),
    case("adb-server-port-only-colon", "devices", "--adb-server", "tcp:", culprit="tcp:"),
    case("adb-server-space-in-host", "devices", "--adb-server", "my host:5037", culprit="my host:5037"),
    case("adb-server-env-garbage", "devices", culprit="ADB_SERVER_SOCKET", ADB_SERVER_SOCKET="tcp:nonsense"),
    case(
        "adb-server-port-env-garbage",
        "devices",
        culprit="ANDROID_ADB_SERVER_PORT",
        ADB_SERVER_SOCKET="",
        ANDROID_ADB_SERVER_PORT="five",
    ),
    case("adb-server-superscript-port", "devices", "--adb-server", "127.0.0.1:²", culprit="127.0.0.1:²"),
    case(
        "adb-port-env-empty-used",
        "devices",
        culprit="ANDROID_ADB_SERVER_PORT",
        ADB_SERVER_SOCKET="",
        ANDROID_ADB_SERVER_PORT="",
    ),
    # an empty $ANDROID_ADB_SERVER_PORT beside an explicit server crashed adbutils' import (exit 70)
    case(
        "adb-port-env-empty-unused",
        "jobs",
        PKG,
        "-s",
        "nosuch",
        "--adb-server",
        "{adb}",
        code=DEVICE,
        culprit="nosuch",
        ANDROID_ADB_SERVER_PORT="",
    ),
    case("adb-server-nobody-listens", "devices", "--adb-server", NO_ADB, code=DEVICE, culprit="{dead}"),
    case("adb-server-nobody-listens-json", "devices", "--json", code=DEVICE, culprit="{dead}"),
    # -- time-outs and durations: negative, not a number, infinite
    case("timeout-negative", "devices", "--timeout", "-1", culprit="--timeout"),
    case("timeout-nan", "devices", "--timeout", "nan", culprit="--timeout", usage=True),
    case("timeout-inf", "devices", "--timeout", "inf", culprit="--timeout", usage=True),
    case("timeout-text", "devices", "--timeout", "soon", culprit="--timeout", usage=True),
    case("timeout-huge", "devices", "--timeout", "1e308", culprit="--timeout"),
    case("ios-timeout-huge", "info", "--udid", "x", "--timeout", "1e9", "--usbmux", "{dead}", culprit="--timeout"),
    case(
        "timeout-negative-reachable", "devices", "--timeout", "-1", culprit="--timeout", ADB_SERVER_SOCKET="tcp:{adb}"
    ),
    case(
        "info-timeout-negative",
        "info",
        "{serial}",
        "--timeout",
        "-5",
        culprit="--timeout",
        ADB_SERVER_SOCKET="tcp:{adb}",
    ),
    case("jobs-timeout-negative", "jobs", PKG, "--timeout", "-1", culprit="--timeout", ADB_SERVER_SOCKET="tcp:{adb}"),
    case("watch-timeout-negative", "watch", "--timeout", "-1", "--duration", "1", culprit="--timeout"),
    case("trigger-wait-nan", "trigger", PKG, "7", "--wait", "nan", culprit="--wait", usage=True),
    case("trigger-wait-inf", "trigger", PKG, "7", "--wait", "inf", culprit="--wait", usage=True),
    case("trigger-wait-negative", "trigger", PKG, "7", "--wait", "-1", culprit="--wait", usage=True),
    case("watch-duration-nan", "watch", "--duration", "nan", culprit="--duration", usage=True),
    case("watch-duration-inf", "watch", "--duration", "inf", culprit="--duration", usage=True),
    case("watch-duration-negative", "watch", "--duration", "-3", culprit="--duration", usage=True),
    case("ios-timeout-negative", "info", "--udid", "abc", "--timeout", "-1", "--usbmux", "{dead}", culprit="--timeout"),
    # -- usbmux addresses
    case("usbmux-port-too-big", "devices", "--usbmux", "127.0.0.1:99999", culprit="127.0.0.1:99999"),
    case("usbmux-superscript-port", "devices", "--usbmux", "127.0.0.1:²", culprit="127.0.0.1:²"),
    case("usbmux-port-missing", "devices", "--usbmux", "host:", culprit="host:"),
    case("usbmux-host-missing", "info", "--udid", "x", "--usbmux", ":27015", culprit=":27015"),
    case("usbmux-ipv6", "watch", "--usbmux", "[::1]:27015", culprit="[::1]:27015"),
    case(
        "usbmux-env-port-too-big",
        "info",
        "--udid",
        "x",
        culprit="1.2.3.4:70000",
        USBMUXD_SOCKET_ADDRESS="1.2.3.4:70000",
    ),
    case("usbmux-nobody-listens", "info", "--udid", "x", "--usbmux", "{dead}", code=DEVICE, culprit="{dead}"),
    case("usbmux-no-socket-file", "info", "--udid", "x", "--usbmux", "{missing}", code=DEVICE, culprit="{missing}"),
    case(
        "devices-nothing-reachable",
        "devices",
        "--usbmux",
        "{dead}",
        code=DEVICE,
        culprit="{dead}",
    ),
    # -- packages, jobs, devices
    case("jobs-bad-package", "jobs", "not a package", culprit="not a package"),
    case("jobs-package-like-option", "jobs", "--", "-rf", culprit="-rf"),
    case("jobs-no-device", "jobs", PKG, code=DEVICE, culprit="{dead}"),
    case(
        "jobs-unknown-serial", "jobs", PKG, "-s", "nosuch", code=DEVICE, culprit="nosuch", ADB_SERVER_SOCKET="tcp:{adb}"
    ),
    case("trigger-job-not-integer", "trigger", PKG, "abc", culprit="abc"),
    case("trigger-job-fraction", "trigger", PKG, "1.5", culprit="1.5"),
    case("trigger-job-huge", "trigger", PKG, "99999999999999999999999", culprit="99999999999999999999999"),
    case("trigger-no-job", "trigger", PKG, culprit="JOB", usage=True),
    case("trigger-bundle-and-job", "trigger", "--bundle", "com.x.app", "task", "7", culprit="JOB", usage=True),
    case("trigger-bad-bundle", "trigger", "--bundle", "bad bundle", "task", "--usbmux", "{dead}", culprit="bad bundle"),
    case("trigger-rsd-port-range", "trigger", "--bundle", "com.x", "t", "--rsd", "h", "99999", culprit="99999"),
    case("trigger-rsd-port-text", "trigger", "--bundle", "com.x", "t", "--rsd", "h", "p", culprit="--rsd", usage=True),
    case("trigger-no-device", "trigger", PKG, "7", code=DEVICE, culprit="{dead}"),
    case(
        "trigger-ios-no-usbmux",
        "trigger",
        "--bundle",
        "com.x",
        "task",
        "--usbmux",
        "{dead}",
        code=DEVICE,
        culprit="{dead}",
    ),
    case("info-no-device", "info", "emulator-5554", code=DEVICE, culprit="{dead}"),
    case("watch-bad-package", "watch", "bad package!", culprit="bad package!"),
    case("watch-bad-relay", "watch", "--udid", "x", "--relay", "bogus", culprit="bogus"),
    case("watch-pull-without-crashes", "watch", "--udid", "x", "--pull", "{emptydir}", culprit="--pull"),
    case(
        "watch-pull-to-a-file",
        "watch",
        "--udid",
        "x",
        "--crashes",
        "--pull",
        "{file}",
        culprit="{file}",
        USBMUXD_SOCKET_ADDRESS="{dead}",
    ),
    case("watch-no-device", "watch", "--duration", "1", code=DEVICE, culprit="{dead}"),
    case("watch-no-usbmux", "watch", "--crashes", "--usbmux", "{dead}", code=DEVICE, culprit="{dead}"),
    # -- run: options
    case("run-no-scenario", "run", culprit="scenario"),
    case("run-missing-scenario", "run", "{missing}", culprit="{missing}"),
    case("run-scenario-is-a-directory", "run", "{emptydir}", culprit="{emptydir}"),
    case("run-scenario-not-toml", "run", "{bad_scenario}", culprit="{bad_scenario}"),
    case("run-scenario-binary", "run", "{binary_scenario}", culprit="{binary_scenario}"),
    case("run-shard-zero", "run", "{scenario}", "--shard", "0/0", culprit="0/0"),
    case("run-shard-text", "run", "{scenario}", "--shard", "half", culprit="half"),
    case("run-shard-beyond", "run", "{scenario}", "--shard", "5/4", culprit="5/4"),
    case("run-fail-under-word", "run", "{scenario}", "--fail-under", "most", culprit="--fail-under", usage=True),
    case("run-fail-under-nan", "run", "{scenario}", "--fail-under", "nan", culprit="--fail-under", usage=True),
    case("run-fail-under-above-one", "run", "{scenario}", "--fail-under", "150%", culprit="--fail-under", usage=True),
    case("run-device-wait-nan", "run", "{scenario}", "--device-wait", "nan", culprit="--device-wait", usage=True),
    case("run-timeout-negative", "run", "{scenario}", "--timeout", "-1", culprit="--timeout"),
    case("run-no-device", "run", "{scenario}", "--out", "{tmp}/run-no-device", code=DEVICE, culprit="{dead}"),
    case(
        "run-out-is-a-file",
        "run",
        "{scenario}",
        "-s",
        "{serial}",
        "--out",
        "{file}",
        culprit="{file}",
        ADB_SERVER_SOCKET="tcp:{adb}",
    ),
    case(
        "run-out-parent-is-a-file",
        "run",
        "{scenario}",
        "-s",
        "{serial}",
        "--out",
        "{file}/results",
        culprit="{file}",
        ADB_SERVER_SOCKET="tcp:{adb}",
    ),
    case(
        "run-out-not-empty",
        "run",
        "{scenario}",
        "-s",
        "{serial}",
        "--out",
        "{nonempty}",
        culprit="{nonempty}",
        ADB_SERVER_SOCKET="tcp:{adb}",
    ),
    case("run-resume-missing", "run", "--resume", "{missing}", culprit="{missing}"),
    case("run-resume-a-file", "run", "--resume", "{file}", culprit="{file}"),
    case("run-resume-empty-dir", "run", "--resume", "{emptydir}", culprit="{emptydir}"),
    # -- report: inputs and options
    case("report-missing", "report", "{missing}", culprit="{missing}"),
    case("report-empty-file", "report", "{empty}", culprit="{empty}"),
    case("report-empty-dir", "report", "{emptydir}", culprit="{emptydir}"),
    case("report-text-file", "report", "{garbage}", culprit="{garbage}"),
    case("report-binary-file", "report", "{binary}", culprit="{binary}"),
    case("report-not-objects", "report", "{not_objects}", culprit="{not_objects}"),
    case("report-run-json-only", "report", "{only_run}", culprit="{only_run}"),
    case("report-dev-null", "report", "/dev/null", culprit="/dev/null"),
    case("report-unknown-format", "report", "{real}", "--format", "pdf", culprit="pdf", usage=True),
    case("report-fail-under-text", "report", "{real}", "--fail-under", "most", culprit="most", usage=True),
    case("report-fail-under-nan", "report", "{real}", "--fail-under", "nan", culprit="nan", usage=True),
    case("report-fail-under-too-high", "report", "{real}", "--fail-under", "150%", culprit="150%", usage=True),
    case("report-fail-under-bare-percent", "report", "{real}", "--fail-under", "%", culprit="%", usage=True),
    case("report-compare-missing", "report", "{real}", "--compare", "{missing}", culprit="{missing}"),
    case("report-compare-empty-dir", "report", "{real}", "--compare", "{emptydir}", culprit="{emptydir}"),
    case("report-compare-events-only", "report", "{real}", "--compare", "{events_only}", culprit="--compare"),
    case("report-compare-garbage", "report", "{real}", "--compare", "{garbage}", culprit="{garbage}"),
    case("report-out-in-missing-dir", "report", "{real}", "-f", "html", "-o", "{missing}/r.html", culprit="{missing}"),
    case("report-out-is-a-dir", "report", "{real}", "-f", "md", "-o", "{emptydir}", culprit="{emptydir}"),
    case("report-out-under-a-file", "report", "{real}", "-f", "junit", "-o", "{file}/j.xml", culprit="{file}"),
    case("report-tables-to-a-file", "report", "{real}", "-f", "csv", "-o", "{file}", culprit="{file}"),
    case("report-json-to-a-file", "report", "{real}", "-f", "json", "-o", "{file}", culprit="{file}"),
    case("report-tables-under-a-file", "report", "{real}", "-f", "parquet", "-o", "{file}/t", culprit="{file}"),
    case("report-tables-no-dir", "report", "{real}", "-f", "csv", culprit="-o"),
    # -- sim and demo
    case("sim-android-negative", "sim", "start", "--android", "-1", culprit="--android", usage=True),
    case("sim-ios-too-many", "sim", "start", "--ios", "99", culprit="--ios", usage=True),
    case("sim-speed-nan", "sim", "start", "--speed", "nan", culprit="--speed", usage=True),
    case("sim-speed-inf", "sim", "start", "--speed", "inf", culprit="--speed", usage=True),
    case("sim-speed-huge", "sim", "start", "--speed", "1e308", culprit="--speed", usage=True),
    case("sim-speed-zero", "sim", "start", "--speed", "0", culprit="--speed", usage=True),
    case("sim-seed-text", "sim", "start", "--seed", "abc", culprit="--seed", usage=True),
    case("sim-profile-missing", "sim", "start", "--profile", "{missing}", culprit="--profile", usage=True),
    case("sim-profile-a-directory", "sim", "start", "--profile", "{emptydir}", culprit="--profile", usage=True),
    case("sim-profile-binary", "sim", "start", "--profile", "{binary}", culprit="{binary}"),
    *[
        case(f"sim-profile-{name[2:]}", "sim", "start", "--profile", f"{{{name}}}", culprit=f"{{{name}}}")
        for name in PROFILES
    ],
    case("demo-speed-zero", "demo", "--speed", "0", culprit="--speed", usage=True),
    case("demo-speed-nan", "demo", "--speed", "nan", culprit="--speed", usage=True),
    case("demo-speed-huge", "demo", "--speed", "1e9", culprit="--speed", usage=True),
    case("demo-no-android", "demo", "--android", "0", culprit="--android", usage=True),
    case("demo-scenario-missing", "demo", "--scenario", "{missing}", culprit="--scenario", usage=True),
    case("demo-scenario-bad", "demo", "--scenario", "{bad_scenario}", culprit="{bad_scenario}"),
    case("demo-scenario-binary", "demo", "--scenario", "{binary_scenario}", culprit="{binary_scenario}"),
    case("demo-out-is-a-file", "demo", "--out", "{file}", culprit="{file}"),
]


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_input(c: Case, world: World, bgprobe: Callable[..., Ran]) -> None:
    env = {k: v.format(**world.paths) for k, v in c.env.items()}
    ran = bgprobe(*fill(c.args, world), env=env)
    assert_one_line(ran, c.code, c.culprit.format(**world.paths), usage=c.usage)


def test_out_in_a_read_only_directory(world: World, bgprobe: Callable[..., Ran]) -> None:
    # `run --out` and `report -o` in a directory nobody may write to: the user's mistake, exit 2.
    if not world.paths["readonly"]:
        pytest.skip("no read-only directory here (root, and no sysfs)")
    target = f"{world.paths['readonly']}/bgprobe-results"
    env = {"ADB_SERVER_SOCKET": f"tcp:{world.paths['adb']}"}
    ran = bgprobe("run", world.paths["scenario"], "-s", world.serial, "--out", target, "--quiet", env=env)
    assert_one_line(ran, 2, target)
    assert not Path(target).exists()
    ran = bgprobe("report", world.paths["real"], "-f", "md", "-o", f"{target}.md")
    assert_one_line(ran, 2, f"{target}.md")


# ------------------------------------------------------------------------------ -v


def test_verbose_prints_the_traceback_and_keeps_the_exit_code(world: World, bgprobe: Callable[..., Ran]) -> None:
    # -v is for reporting a problem: the traceback, then the same line and exit code as without it
    # (it used to re-raise, so a device error became Python's exit 1).
    plain = bgprobe("devices")
    verbose = bgprobe("-v", "devices")
    assert plain.code == verbose.code == 3
    assert "Traceback (most recent call last)" in verbose.err and "ServerUnreachable" in verbose.err
    assert verbose.err.splitlines()[-1] == plain.err.strip()
    # the same for a usage error of bgprobe's own, and with -v after the command
    verbose = bgprobe("report", world.paths["missing"], "-v")
    assert verbose.code == 2 and "Traceback" in verbose.err
    assert verbose.err.splitlines()[-1] == bgprobe("report", world.paths["missing"]).err.strip()
    # click's usage errors: traceback, then click's block and its exit code
    verbose = bgprobe("-v", "devices", "--timeout", "soon")
    assert verbose.code == 2 and "Traceback" in verbose.err and "Error: Invalid value for '--timeout'" in verbose.err


def test_verbose_internal_error_keeps_exit_70(
    world: World, bgprobe: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real bug is simulated by breaking one function bgprobe calls: with and without -v it is
    # exit 70 and one 'internal error' line; -v puts the traceback before that line.
    from bgprobe.reports import results

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(results, "load_results", broken)
    plain = bgprobe("report", world.paths["real"])
    verbose = bgprobe("report", world.paths["real"], "-v")
    assert plain.code == verbose.code == 70
    assert plain.err.splitlines() == [plain.err.strip()] and "internal error: ZeroDivisionError" in plain.err
    assert "Traceback" in verbose.err and verbose.err.splitlines()[-1] == plain.err.strip()


# ------------------------------------------------------------------------------ fidelity


FAITHFUL = [
    "adb-server-nobody-listens",
    "timeout-nan",
    "report-missing",
    "run-shard-zero",
    "sim-profile-serial",
    "adb-server-port-env-garbage",
    "adb-port-env-empty-unused",  # a child process: adbutils is imported afresh there
]


@pytest.mark.parametrize("id", FAITHFUL)
def test_the_in_process_runner_is_faithful(
    id: str, world: World, bgprobe: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sweep runs in-process for speed: these cases, run as real child processes too, must give
    # the same exit code and the same stderr.
    c = next(c for c in CASES if c.id == id)
    env = {k: v.format(**world.paths) for k, v in c.env.items()}
    here = bgprobe(*fill(c.args, world), env=env)
    for name in CLEARED_ENV:  # unset in the child too (run_cli passes this process's environment on)
        monkeypatch.delenv(name, raising=False)
    child = run_cli(*fill(c.args, world), env={**world.env, **env})
    assert (child.returncode, child.stderr) == (here.code, here.err)
    assert_one_line(here, c.code, c.culprit.format(**world.paths), usage=c.usage)


# ------------------------------------------------------------------------------ corrupt results


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


def set_field(name: str, value: object, line: int = 2) -> Callable[[Path], None]:
    """Line `line` of attempts.jsonl with `name` set to `value` (a JSON value, NaN and 10**30 included)."""

    def corrupt(directory: Path) -> None:
        lines = _lines(directory / "attempts.jsonl")
        row = json.loads(lines[line - 1])
        row[name] = value
        lines[line - 1] = json.dumps(row)
        _write_lines(directory / "attempts.jsonl", lines)

    return corrupt


def drop_field(name: str, line: int = 2) -> Callable[[Path], None]:
    def corrupt(directory: Path) -> None:
        lines = _lines(directory / "attempts.jsonl")
        row = json.loads(lines[line - 1])
        del row[name]
        lines[line - 1] = json.dumps(row)
        _write_lines(directory / "attempts.jsonl", lines)

    return corrupt


def replace_line(text: str, line: int = 1, name: str = "attempts.jsonl") -> Callable[[Path], None]:
    def corrupt(directory: Path) -> None:
        lines = _lines(directory / name)
        lines[line - 1] = text
        _write_lines(directory / name, lines)

    return corrupt


def copy_of_real(world: World, tmp_path: Path, corrupt: Callable[[Path], None], *, drop_parquet: bool) -> Path:
    copy = tmp_path / "results"
    shutil.copytree(world.paths["real"], copy)
    if drop_parquet:  # as a killed run leaves it: report reads the .jsonl journals
        for parquet in copy.glob("*.parquet"):
            parquet.unlink()
    corrupt(copy)
    return copy


# Rows `report` skips, saying so in one warning line per file (which line, what is wrong), while
# it reports the rest: (id, corruption, the field or problem the warning names).
BAD_ROWS = [
    ("os-major-string", set_field("os_major", "fourteen"), "os_major"),
    ("os-major-infinite", set_field("os_major", float("inf")), "os_major"),
    ("os-major-huge", set_field("os_major", 10**30), "os_major"),
    ("os-major-negative", set_field("os_major", -3), "os_major"),
    ("os-major-list", set_field("os_major", [14]), "os_major"),
    ("repetition-huge", set_field("repetition", 10**30), "repetition"),
    ("repetition-negative", set_field("repetition", -1), "repetition"),
    ("repetition-bool", set_field("repetition", True), "repetition"),
    ("attempt-float", set_field("attempt", 1.5), "attempt"),
    ("attempt-string", set_field("attempt", "one"), "attempt"),
    ("attempt-zero", set_field("attempt", 0), "attempt"),
    ("outcome-number", set_field("outcome", 7), "outcome"),
    ("outcome-object", set_field("outcome", {"ok": True}), "outcome"),
    ("task-number", set_field("task", 3), "task"),
    ("device-list", set_field("device", ["a"]), "device"),
    ("duration-string", set_field("duration_s", "nine seconds"), "duration_s"),
    ("duration-infinite", set_field("duration_s", float("-inf")), "duration_s"),
    ("scheduled-not-iso", set_field("scheduled", "yesterday at noon"), "scheduled"),
    ("finished-number", set_field("finished", 1700000000), "finished"),
    ("schema-string", set_field("schema", "v1"), "schema"),
    ("array-line", replace_line("[1, 2, 3]", line=1), "not a JSON object"),
    ("string-line", replace_line('"hello"', line=1), "not a JSON object"),
    ("null-line", replace_line("null", line=1), "not a JSON object"),
    ("garbage-line", replace_line("{not json", line=1), "not JSON"),
]


@pytest.mark.parametrize("corrupt,what", [(c, w) for _, c, w in BAD_ROWS], ids=[i for i, _, _ in BAD_ROWS])
def test_report_skips_bad_rows_with_one_warning(
    corrupt: Callable[[Path], None], what: str, world: World, bgprobe: Callable[..., Ran], tmp_path: Path
) -> None:
    def corrupt_both(directory: Path) -> None:
        set_field("os_major", float("nan"), line=1)(directory)  # NaN is "not recorded": a usable row
        corrupt(directory)

    results = copy_of_real(world, tmp_path, corrupt_both, drop_parquet=True)
    ran = bgprobe("report", str(results), "-f", "json")
    assert ran.code == 0, ran.err
    # one warning for the file; the other lines are the report's notes (e.g. a task run now has no attempt)
    warnings = [line for line in ran.err.splitlines() if not line.startswith("bgprobe: note: ")]
    assert len(warnings) == 1, ran.err
    line = warnings[0]
    assert line.startswith("bgprobe: warning: ") and "attempts.jsonl" in line and what in line, line
    assert "skipped 1 " in line and ("line 2" in line or "line 1" in line), line
    # the other task run is still reported (with a NaN os_major: taken from its os_version)
    overall = next(json.loads(x) for x in ran.out.splitlines() if json.loads(x).get("table") == "overall")
    assert overall["attempts"] == 1, overall


def _every_row(value_of: Callable[[dict], dict]) -> Callable[[Path], None]:
    """Every attempt changed by `value_of`, and no events (which alone would still make a report)."""

    def corrupt(directory: Path) -> None:
        (directory / "events.jsonl").unlink(missing_ok=True)
        path = directory / "attempts.jsonl"
        _write_lines(path, [json.dumps(value_of(json.loads(line))) for line in _lines(path)])

    return corrupt


def _truncate(name: str) -> Callable[[Path], None]:
    def corrupt(directory: Path) -> None:
        path = directory / name
        path.write_bytes(path.read_bytes()[:100])

    return corrupt


def _parquet_only(corrupt: Callable[[Path], None]) -> Callable[[Path], None]:
    """Only the parquet files left (someone kept the compact tables), then `corrupt`."""

    def apply(directory: Path) -> None:
        for name in ("attempts.jsonl", "events.jsonl", "devices.jsonl", "events.parquet"):
            (directory / name).unlink(missing_ok=True)
        corrupt(directory)

    return apply


def _parquet_column(column: str, values: list) -> Callable[[Path], None]:
    """attempts.parquet as another tool would write it: `column` of another type, no pandas metadata."""

    def corrupt(directory: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pq.read_table(directory / "attempts.parquet").replace_schema_metadata(None)
        index = table.schema.get_field_index(column)
        table = table.set_column(index, column, pa.array(values))
        pq.write_table(table, directory / "attempts.parquet")

    return corrupt


# Results `report` cannot use at all: exit 2, one line naming the file and what is wrong.
UNUSABLE = [
    ("every-row-bad", _every_row(lambda r: {**r, "attempt": "x"}), True, "attempts.jsonl"),
    ("parquet-truncated-no-jsonl", _parquet_only(_truncate("attempts.parquet")), False, "attempts.parquet"),
    ("parquet-os-major-text", _parquet_only(_parquet_column("os_major", ["x", "y"])), False, "attempts.parquet"),
    ("parquet-attempt-float", _parquet_only(_parquet_column("attempt", [1.5, 2.5])), False, "attempts.parquet"),
    (
        "parquet-not-parquet",
        _parquet_only(lambda d: (d / "attempts.parquet").write_text("PAR1 nonsense")),
        False,
        "attempts.parquet",
    ),
]


@pytest.mark.parametrize(
    "corrupt,drop_parquet,culprit", [(c, d, w) for _, c, d, w in UNUSABLE], ids=[i for i, *_ in UNUSABLE]
)
def test_report_on_unusable_results_is_one_line(
    corrupt: Callable[[Path], None],
    drop_parquet: bool,
    culprit: str,
    world: World,
    bgprobe: Callable[..., Ran],
    tmp_path: Path,
) -> None:
    results = copy_of_real(world, tmp_path, corrupt, drop_parquet=drop_parquet)
    ran = bgprobe("report", str(results))
    assert_one_line(ran, 2, str(results))
    assert culprit in ran.err


def test_report_reads_the_journal_beside_a_foreign_parquet(
    world: World, bgprobe: Callable[..., Ran], tmp_path: Path
) -> None:
    # The .jsonl journal is the truth: a parquet whose columns are of the wrong type (not bgprobe's
    # writing) is set aside with a note, and the journal beside it reported.
    results = copy_of_real(world, tmp_path, _parquet_column("os_major", ["x", "y"]), drop_parquet=False)
    ran = bgprobe("report", str(results), "-f", "json")
    assert ran.code == 0, ran.err
    assert "attempts.parquet: not a bgprobe attempts table (column os_major holds" in ran.err
    assert "read attempts.jsonl instead" in ran.err
    overall = next(json.loads(x) for x in ran.out.splitlines() if json.loads(x).get("table") == "overall")
    assert overall["attempts"] == 2


def test_report_skips_bad_event_and_device_rows(world: World, bgprobe: Callable[..., Ran], tmp_path: Path) -> None:
    # events.jsonl and devices.jsonl are read at the same boundary: a pid that is text, an event
    # that is an array, a device row whose model is a number.
    def corrupt(directory: Path) -> None:
        events = directory / "events.jsonl"
        good = (_lines(events) if events.exists() else [])[:1] or [_one_event().strip()]
        row = json.loads(good[0])
        _write_lines(directory / "events.jsonl", [*good, json.dumps({**row, "pid": "abc"}), "[1]"])
        device = json.loads(_lines(directory / "devices.jsonl")[0])
        _write_lines(directory / "devices.jsonl", [json.dumps(device), json.dumps({**device, "model": 5})])

    results = copy_of_real(world, tmp_path, corrupt, drop_parquet=True)
    ran = bgprobe("report", str(results), "-f", "md")
    assert ran.code == 0, ran.err
    lines = ran.err.splitlines()
    assert len(lines) == 2, ran.err
    assert "events.jsonl: skipped 2 " in lines[0] or "events.jsonl: skipped 2 " in lines[1], ran.err
    assert any("devices.jsonl: skipped 1 " in line and "line 2" in line for line in lines), ran.err


# `run --resume` on a results directory it cannot trust: exit 2 before any phone is touched, one
# line naming the file (and line) and what to do. The phone is reachable (so the old code went on
# to the campaign and failed there).
def _run_json(mutate: Callable[[dict], object]) -> Callable[[Path], None]:
    """run.json changed in place by `mutate`."""

    def corrupt(directory: Path) -> None:
        data = json.loads((directory / "run.json").read_text())
        mutate(data)
        (directory / "run.json").write_text(json.dumps(data))

    return corrupt


RESUME = [
    ("attempt-array", replace_line("[1, 2]", line=1), "attempts.jsonl line 1"),
    ("attempt-string", replace_line('"x"', line=1), "attempts.jsonl line 1"),
    ("attempt-null", replace_line("null", line=1), "attempts.jsonl line 1"),
    ("attempt-garbage-mid-file", replace_line("{oops", line=1), "attempts.jsonl line 1"),
    ("no-attempt-id", drop_field("attempt_id"), "attempt_id"),
    ("no-attempt", drop_field("attempt"), "attempt"),
    ("no-outcome", drop_field("outcome"), "outcome"),
    ("attempt-id-number", set_field("attempt_id", 12), "attempt_id"),
    ("attempt-id-no-key", set_field("attempt_id", "justone"), "attempt_id"),
    ("attempt-text", set_field("attempt", "1"), "attempt"),
    ("attempt-float", set_field("attempt", 1.5), "attempt"),
    ("attempt-zero", set_field("attempt", 0), "attempt"),
    ("outcome-number", set_field("outcome", 3), "outcome"),
    (
        "attempts-is-a-directory",
        lambda d: ((d / "attempts.jsonl").unlink(), (d / "attempts.jsonl").mkdir()),
        "attempts.jsonl",
    ),
    ("attempts-binary", lambda d: (d / "attempts.jsonl").write_bytes(b"\xff\xfe{\n"), "attempts.jsonl"),
    ("run-json-garbage", lambda d: (d / "run.json").write_text("{not json"), "run.json"),
    ("run-json-array", lambda d: (d / "run.json").write_text("[]"), "run.json"),
    ("run-json-empty", lambda d: (d / "run.json").write_text(""), "run.json"),
    ("run-json-binary", lambda d: (d / "run.json").write_bytes(b"\xff\xfe"), "run.json"),
    ("run-json-directory", lambda d: ((d / "run.json").unlink(), (d / "run.json").mkdir()), "run.json"),
    ("run-json-no-scenario", _run_json(lambda r: r.pop("scenario")), "scenario"),
    ("run-json-scenario-number", _run_json(lambda r: r.update(scenario=5)), "scenario"),
    ("run-json-no-run-id", _run_json(lambda r: r.pop("run_id")), "run_id"),
    ("run-json-run-id-list", _run_json(lambda r: r.update(run_id=[1])), "run_id"),
    ("run-json-shard-number", _run_json(lambda r: r.update(shard=3)), "shard"),
    ("run-json-shard-garbage", _run_json(lambda r: r.update(shard="3/2")), "shard"),
    ("scenario-unparsable", lambda d: (d / "scenario.toml").write_text("[campaign\n"), "scenario.toml"),
    ("scenario-binary", lambda d: (d / "scenario.toml").write_bytes(b"\xff\xfe\x00"), "scenario.toml"),
    ("scenario-directory", lambda d: ((d / "scenario.toml").unlink(), (d / "scenario.toml").mkdir()), "scenario.toml"),
]


@pytest.mark.parametrize("corrupt,culprit", [(c, w) for _, c, w in RESUME], ids=[i for i, *_ in RESUME])
def test_resume_on_a_damaged_results_directory(
    corrupt: Callable[[Path], None], culprit: str, world: World, bgprobe: Callable[..., Ran], tmp_path: Path
) -> None:
    results = copy_of_real(world, tmp_path, corrupt, drop_parquet=False)
    before = {p.name: p.stat().st_mtime_ns for p in results.iterdir() if p.is_file()}
    env = {"ADB_SERVER_SOCKET": f"tcp:{world.paths['adb']}"}
    ran = bgprobe("run", "--resume", str(results), "-s", world.serial, "--quiet", env=env)
    assert_one_line(ran, 2, str(results))
    assert culprit in ran.err
    # nothing was written: not a new attempt, not a run.json update
    assert {p.name: p.stat().st_mtime_ns for p in results.iterdir() if p.is_file()} == before


def test_resume_keeps_going_after_a_torn_last_line(world: World, bgprobe: Callable[..., Ran], tmp_path: Path) -> None:
    # A SIGKILL mid-write leaves half a last line: that is what --resume is for, not an error; the
    # next attempt starts on a line of its own instead of being glued to the torn one.
    def tear(directory: Path) -> None:
        path = directory / "attempts.jsonl"
        lines = _lines(path)
        path.write_text(lines[0] + "\n" + lines[1][:40])

    results = copy_of_real(world, tmp_path, tear, drop_parquet=False)
    env = {"ADB_SERVER_SOCKET": f"tcp:{world.paths['adb']}"}
    ran = bgprobe("run", "--resume", str(results), "-s", world.serial, "--quiet", env=env)
    assert ran.code == 0, ran.err
    rows = [json.loads(line) for line in _lines(results / "attempts.jsonl")]  # every line reads again
    assert [r["repetition"] for r in rows] == [1, 2]  # repetition 2 ran again, once
