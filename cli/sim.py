"""`bgprobe sim start|stop|status`: the built-in simulated devices."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import typer
from bgprobe.cli.console import Output
from bgprobe.collectors.errors import EXIT_DEVICE, EXIT_USAGE, BgprobeError, DeviceError
from bgprobe.collectors.paths import state_dir

app = typer.Typer(help="Simulated Android and iOS devices (no phone needed).", no_args_is_help=True)


class SimError(DeviceError):
    pass


def _state_file() -> Path:
    return state_dir() / "sim.json"


def _read_state() -> dict | None:
    path = _state_file()
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@app.command("start")
def start(
    ctx: typer.Context,
    android: int = typer.Option(4, "--android", min=0, max=64, help="Number of Android devices."),
    ios: int = typer.Option(1, "--ios", min=0, max=16, help="Number of iPhones."),
    profile: Path | None = typer.Option(None, "--profile", exists=True, dir_okay=False, help="TOML fleet profile."),
    speed: float = typer.Option(60.0, "--speed", min=0.1, max=100_000, help="Simulated seconds per real second."),
    seed: int = typer.Option(1, "--seed", help="Seed: the same seed gives the same behaviour."),
    detach: bool = typer.Option(False, "--detach", help="Run in the background; print what to export."),
    json_out: bool = typer.Option(False, "--json", help="Print the fleet description as JSON."),
) -> None:
    """Start simulated devices behind a private adb server and a usbmuxd."""
    out: Output = ctx.obj
    current = _read_state()
    if current and "pid" in current and _alive(current["pid"]):
        raise BgprobeError(f"a simulated fleet is already running (pid {current['pid']}); `bgprobe sim stop` first")
    if profile:
        _check_profile(profile)
    args = ["--android", str(android), "--ios", str(ios), "--speed", str(speed), "--seed", str(seed)]
    if profile:
        args += ["--profile", str(profile)]
    if detach:
        info = _start_detached(args)
        _print_info(out, info, json_out)
        return
    from bgprobe.sim.android.profile import load_ios_profiles, load_profiles
    from bgprobe.sim.fleet import SimFleet

    if profile:
        android_profiles, ios_profiles = load_profiles(profile), load_ios_profiles(profile) or ios
        fleet = SimFleet(android=android_profiles or android, ios=ios_profiles, speed=speed, seed=seed)
    else:
        fleet = SimFleet(android=android, ios=ios, speed=speed, seed=seed)
    try:
        info = fleet.start().to_json()
        _print_info(out, info, json_out)
        if not json_out:
            out.err.print("Running; Ctrl-C stops the devices.")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fleet.stop()


def _check_profile(profile: Path) -> None:
    """A bad fleet profile is the user's input error (exit 2), said before anything starts."""
    import tomllib

    from bgprobe.sim.android.profile import load_ios_profiles, load_profiles

    try:
        if not load_profiles(profile) and not load_ios_profiles(profile):
            raise BgprobeError(f"{profile}: no [[android]] or [[ios]] devices in the profile")
    except (ValueError, KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise BgprobeError(f"{profile}: bad fleet profile: {exc}") from exc


def _start_detached(args: list[str]) -> dict:
    path = _state_file()
    path.unlink(missing_ok=True)
    log = (state_dir(create=True) / "sim.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bgprobe.sim.daemon", "--state", str(path), *args],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        state = _read_state()
        if state is not None:
            if "error" in state:
                raise SimError(f"the simulator did not start: {state['error']}")
            return state
        if proc.poll() is not None:
            raise SimError(f"the simulator exited with status {proc.returncode}; see {state_dir() / 'sim.log'}")
        time.sleep(0.1)
    proc.terminate()
    raise SimError("the simulator did not start within 90 s")


def _print_info(out: Output, info: dict, json_out: bool) -> None:
    """The fleet on stderr; on stdout only `export` lines, so that `eval "$(bgprobe sim start --detach)"`
    sets them in bash and zsh (values shell-quoted)."""
    if json_out:
        sys.stdout.write(json.dumps(info) + "\n")
        return
    console = out.err
    console.print(f"adb server: {info['adb_server']} ({info['adb_binary']})", markup=False)
    for a in info["android"]:
        console.print(
            f"  android {a['name']}  {a['manufacturer']} {a['model']} (Android {a['release']})  "
            f"adb serial {a['serial']}  (-s takes either)",
            markup=False,
        )
    if info.get("usbmux"):
        console.print(f"usbmuxd: {info['usbmux']}", markup=False)
        for i in info["ios"]:
            console.print(f"  ios {i['udid']} {i['name']} {i['product_type']} (iOS {i['version']})", markup=False)
    console.print('Exported on stdout: `eval "$(bgprobe sim start --detach)"` sets them.', markup=False)
    for line in info["env"]:
        name, _, value = line.partition("=")
        sys.stdout.write(f"export {name}={shlex.quote(value)}\n")
    sys.stdout.flush()


@app.command("status")
def status(ctx: typer.Context, json_out: bool = typer.Option(False, "--json")) -> None:
    """Is a detached fleet running, and how to reach it."""
    out: Output = ctx.obj
    state = _read_state()
    running = bool(state and "pid" in state and _alive(state["pid"]))
    if json_out:
        sys.stdout.write(json.dumps({"running": running, **(state or {})}) + "\n")
    elif running:
        _print_info(out, state, False)  # type: ignore[arg-type]  # running: the state was read
    else:
        out.out.print("No simulated fleet is running.")
    if not running:
        raise typer.Exit(EXIT_USAGE if state is None else EXIT_DEVICE)


@app.command("stop")
def stop(ctx: typer.Context) -> None:
    """Stop the detached fleet and its adb server."""
    out: Output = ctx.obj
    state = _read_state()
    if not state or "pid" not in state:
        out.out.print("No simulated fleet is running.")
        _state_file().unlink(missing_ok=True)
        return
    pid = state["pid"]
    if _alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    _state_file().unlink(missing_ok=True)
    out.out.print(f"Stopped the simulated fleet (pid {pid}).")
