"""The shell of a simulated phone: `sh -c` over the commands bgprobe and users run.

Output and error texts follow each OS version (the AOSP shell commands, cited where each is made):
`cmd jobscheduler run` prints its errors to stdout on old builds and stderr later, and its exit
status is not to be trusted; `am set-standby-bucket` knows `restricted` only from Android 11;
`cmd appops ... RUN_ANY_IN_BACKGROUND` exists from Android 9; an unknown command answers as
Android's mksh does (`/system/bin/sh: x: inaccessible or not found`, status 127).
"""

from __future__ import annotations

import contextlib
import re
import shlex
import uuid
from collections import deque
from collections.abc import Awaitable, Callable

from bgprobe.sim.android import dumps
from bgprobe.sim.android.backend import Writer
from bgprobe.sim.android.device import BUCKETS, MIUI_AUTOSTART_OP, SimAndroidDevice
from bgprobe.sim.android.logbuf import LogcatOptions, format_entry, parse_logcat_args, render

Result = tuple[str, str, int]  # stdout, stderr, status
WM_DIAGNOSTICS = "androidx.work.diagnostics.REQUEST_DIAGNOSTICS"


class SimAndroidBackend:
    """AndroidBackend (sim/android/backend.py) for one SimAndroidDevice."""

    def __init__(self, device: SimAndroidDevice) -> None:
        self.device = device
        self.serial = device.profile.serial
        self.bugreports: dict[str, bytes] = {}
        # Fault injection: when a command contains the key, await the callback first (e.g. the
        # adbd server going offline: a device lost in the middle of a change).
        self.faults: dict[str, Callable[[], Awaitable[None]]] = {}
        # Every shell command received, newest last: the conformance test checks each one against
        # docs/android-commands.md (bounded: a simulator may run for days).
        self.commands: deque[str] = deque(maxlen=20000)

    def banner_properties(self) -> dict[str, str]:
        p = self.device.profile
        return {"ro.product.name": p.product, "ro.product.model": p.model, "ro.product.device": p.device}

    def read_file(self, path: str) -> bytes | None:
        if path in self.bugreports:
            return self.bugreports[path]
        if path == "/proc/version":
            return b"Linux version 5.10.198-android13-4 (build@sim) #1 SMP PREEMPT\n"
        return None

    async def execute(self, command: str, out: Writer, err: Writer) -> int:
        self.commands.append(command)
        for needle, fault in list(self.faults.items()):
            if needle in command:
                del self.faults[needle]
                await fault()
        status = 0
        for op, words in _split_commands(command):
            if (op == "&&" and status != 0) or (op == "||" and status == 0):
                continue
            words = [w.replace("$?", str(status)) for w in words]
            status = await self._run_words(words, out, err)
        return status

    async def _run_words(self, words: list[str], out: Writer, err: Writer) -> int:
        # `adb logcat` sends `export ANDROID_LOG_TAGS="" ; exec logcat ...`: sh builtins and
        # leading VAR=value assignments behave as in mksh (the simulator keeps no environment).
        while words and (words[0] == "exec" or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0])):
            words = words[1:]
        if words and words[0] == "export":
            return 0
        if not words:
            return 0
        if words[0] == "logcat":
            return await self._logcat(words[1:], out, err)
        handler = _COMMANDS.get(words[0])
        if handler is not None and _mutates(words):
            self.device.bump_epoch()
        if handler is None:
            await err(f"/system/bin/sh: {words[0]}: inaccessible or not found\n".encode())
            return 127
        stdout, stderr, status = handler(self.device, words[1:])
        if stdout:
            await out(stdout.encode())
        if stderr:
            await err(stderr.encode())
        return status

    async def _logcat(self, args: list[str], out: Writer, err: Writer) -> int:
        opts = parse_logcat_args(args)
        if opts.error:
            await err((opts.error + "\n").encode())
            return 1
        logs = self.device.logs
        if opts.clear:
            logs.clear(opts.buffers)
            return 0
        entries = logs.snapshot(opts.buffers)
        if opts.tail is not None:
            entries = entries[-opts.tail :] if opts.tail else []
        await out(render(entries, opts).encode())
        if opts.dump:
            return 0
        await _follow(self.device, opts, out)
        return 0


async def _follow(device: SimAndroidDevice, opts: LogcatOptions, out: Writer) -> None:
    """`logcat` without -d: print new entries until the host closes the stream (task cancelled)."""
    seen = device.logs.last_seq
    while True:
        await device.logs.wait_for_more(timeout=1.0)
        new = device.logs.snapshot(opts.buffers, after_seq=seen)
        if new:
            seen = new[-1].seq
            await out("".join(format_entry(e, opts.fmt, opts.adverbs) + "\n" for e in new).encode())


def _split_commands(command: str) -> list[tuple[str, list[str]]]:
    """`a; b && c || d` -> [(';', a), ('&&', b), ('||', c)]; quoting as POSIX sh."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    parts: list[tuple[str, list[str]]] = []
    op, words = ";", list[str]()
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: sh reports a syntax error
        return [(";", ["__syntax_error__", command])]
    for tok in tokens:
        if tok in (";", "&&", "||"):
            parts.append((op, words))
            op, words = tok, []
        else:
            words.append(tok)
    parts.append((op, words))
    return parts


# -- commands -----------------------------------------------------------------------------------
Handler = Callable[[SimAndroidDevice, list[str]], Result]


def _echo(dev: SimAndroidDevice, args: list[str]) -> Result:
    return " ".join(args) + "\n", "", 0


def _syntax_error(dev: SimAndroidDevice, args: list[str]) -> Result:
    return "", "/system/bin/sh: syntax error: unmatched quote\n", 1


def _getprop(dev: SimAndroidDevice, args: list[str]) -> Result:
    props = dumps.getprop(dev)
    if args:
        return props.get(args[0], args[1] if len(args) > 1 else "") + "\n", "", 0
    return "".join(f"[{k}]: [{v}]\n" for k, v in sorted(props.items())), "", 0


def _dumpsys(dev: SimAndroidDevice, args: list[str]) -> Result:
    if not args:
        return "", "", 0
    service, rest = args[0], args[1:]
    if service == "jobscheduler":
        return dumps.jobscheduler(dev, rest[0] if rest else None), "", 0
    if service == "package" and rest:
        return dumps.package(dev, rest[0]), "", 0
    if service == "deviceidle":
        return _deviceidle(dev, rest)
    if service == "battery":
        return _battery(dev, rest)
    if service == "activity":
        if rest[:1] == ["exit-info"]:
            if dev.profile.sdk < 30:
                return "Bad activity command, or no activities match: exit-info\nUse -h for help.\n", "", 0
            return dumps.exit_info(dev, rest[1] if len(rest) > 1 else None), "", 0
        return dumps.exit_info(dev, None) if dev.profile.sdk >= 30 else "", "", 0
    if service == "alarm":
        return dumps.alarm(dev), "", 0
    if service in ("power", "connectivity", "wifi", "usagestats", "appops", "package", "meminfo"):
        return f"(simulated) {service} dump\n", "", 0
    return f"Can't find service: {service}\n", "", 0


def _deviceidle(dev: SimAndroidDevice, args: list[str]) -> Result:
    if not args:
        return dumps.deviceidle(dev), "", 0
    cmd, rest = args[0], args[1:]
    which = rest[0] if rest else "deep"
    s = dev.state
    if cmd == "force-idle":
        return dev.force_idle(which) + "\n", "", 0
    if cmd == "step":
        return dev.step_idle(which) + "\n", "", 0
    if cmd == "unforce":
        return dev.unforce_idle() + "\n", "", 0
    if cmd == "get":
        if not rest:
            return "Argument required\n", "", 0
        values = {
            "light": s.light_state,
            "deep": s.deep_state,
            "force": str(s.force_idle).lower(),
            "screen": str(s.screen_on).lower(),
            "charging": str(s.charging).lower(),
            "network": str(s.network).lower(),
            "quick": "false",
        }
        if which not in values:
            return f"Unknown get option: {which}\n", "", 0
        return values[which] + "\n", "", 0
    if cmd in ("enable", "disable"):
        targets = ("deep", "light") if not rest or which == "all" else (which,)
        if not set(targets) <= {"deep", "light"}:
            return f"Unknown idle mode: {which}\n", "", 0
        lines = dev.set_idle_enabled(targets, cmd == "enable")
        return "".join(line + "\n" for line in lines), "", 0
    if cmd == "enabled":
        return ("1" if (s.deep_enabled if which != "light" else s.light_enabled) else "0") + "\n", "", 0
    if cmd == "whitelist":
        return _whitelist(dev, rest)
    return f"Unknown command: {cmd}\n", "", 0


def _whitelist(dev: SimAndroidDevice, args: list[str]) -> Result:
    """DeviceIdleController `whitelist`: no argument lists every allowlist; `+PKG` adds an installed
    app to the user allowlist ("Added: PKG", else "Unknown package: PKG"), `-PKG` removes it ("Removed:
    PKG" only when it was there), `=PKG` prints whether it is on it."""
    if not args:
        return dumps.deviceidle_whitelist(dev), "", 0
    out = []
    for arg in args:
        op, pkg = arg[:1], arg[1:]
        if op not in ("+", "-", "="):
            out.append(f"Package must be prefixed with +, -, or =: {arg}")
            return "".join(line + "\n" for line in out), "", 255
        installed = any(a.package == pkg for a in dev.profile.apps)
        if op == "+":
            if installed:
                dev.power_allowlist.add(pkg)
            out.append(f"Added: {pkg}" if installed else f"Unknown package: {pkg}")
        elif op == "-":
            if pkg in dev.power_allowlist:
                dev.power_allowlist.discard(pkg)
                out.append(f"Removed: {pkg}")
        else:
            out.append(str(pkg in dev.power_allowlist).lower())
    return "".join(line + "\n" for line in out), "", 0


def _battery(dev: SimAndroidDevice, args: list[str]) -> Result:
    if not args or args[0] == "-a":
        return dumps.battery(dev), "", 0
    s = dev.state
    args = [a for a in args if a != "-f"]
    cmd = args[0]
    if cmd == "unplug":
        s.plugged, s.battery_frozen = "", True
        dev.power_changed()
        return "", "", 0
    if cmd == "reset":
        s.plugged, s.level, s.battery_frozen = dev.profile.plugged, dev.profile.battery_level, False
        dev.power_changed()
        return "", "", 0
    if cmd == "set" and len(args) == 3:
        key, value = args[1], args[2]
        try:
            number = int(value)
        except ValueError:
            return "", f"Bad value: {value}\n", 255
        if key == "level":
            s.level = max(0, min(100, number))
        elif key in ("ac", "usb", "wireless"):
            s.plugged = key if number else ("" if s.plugged == key else s.plugged)
            dev.power_changed()
        elif key not in ("status", "temp", "present", "counter", "invalid"):
            return "", f"Unknown set option: {key}\n", 255
        s.battery_frozen = True
        return "", "", 0
    return "", f"Unknown command: {cmd}\n", 255


def _cmd(dev: SimAndroidDevice, args: list[str]) -> Result:
    if not args:
        return "", "", 0
    service, rest = args[0], args[1:]
    if service == "jobscheduler":
        return _cmd_jobscheduler(dev, rest)
    if service == "appops":
        return _appops(dev, rest)
    if service == "app_hibernation" and dev.profile.sdk >= 31:
        return _app_hibernation(dev, rest)
    if service == "power":
        if rest[:1] == ["set-mode"] and len(rest) == 2 and rest[1] in ("0", "1"):
            dev.set_saver(rest[1] == "1")  # the shell command ignores the result: nothing printed
            return "", "", 0
        return "", "Error: unknown command\n", 255
    if service == "connectivity" and rest[:1] == ["airplane-mode"]:
        if len(rest) == 1:
            return ("enabled" if dev.state.airplane else "disabled") + "\n", "", 0
        if rest[1] in ("enable", "disable"):
            dev.set_network(airplane=rest[1] == "enable")
            return "", "", 0
        return "", f"Unsupported argument: {rest[1]}\n", 255
    if service == "wifi" and rest[:1] == ["set-wifi-enabled"] and len(rest) == 2:
        dev.set_network(wifi=rest[1] == "enabled")
        return "", "", 0
    if service == "phone" and rest[:1] == ["data"] and len(rest) == 2:
        dev.set_network(data=rest[1] == "enable")
        return "", "", 0
    return "", f"cmd: Can't find service: {service}\n", 20


def _cmd_jobscheduler(dev: SimAndroidDevice, args: list[str]) -> Result:
    """JobSchedulerShellCommand. Option errors go to its out writer (stdout); the job errors of
    printError to the err writer (stderr), as from Android 8.0 (7.x printed them to stdout)."""
    sdk = dev.profile.sdk
    if not args:
        dash_s = " [-s | --satisfied]" if sdk >= 30 else ""
        return (
            f"Job scheduler (jobscheduler) commands:\n  help\n  run [-f | --force]{dash_s} "
            "[-u | --user USER_ID] PACKAGE JOB_ID\n",
            "",
            0,
        )
    sub, rest = args[0], args[1:]

    def error(text: str) -> Result:
        return "", text + "\n", 0

    if sub == "run":
        force = satisfied = False
        user = "0"
        positional: list[str] = []
        it = iter(rest)
        for a in it:
            if a in ("-f", "--force"):
                force = True
            elif a in ("-s", "--satisfied") and sdk >= 30:  # runJob learnt -s in Android 11
                satisfied = True
            elif a in ("-u", "--user"):
                user = next(it, "0")
            elif a in ("-n", "--namespace") and sdk >= 34:
                next(it, None)
            elif a.startswith("-"):
                return f"Error: unknown option '{a}'\n", "", 255  # pw.println, onCommand returns -1
            else:
                positional.append(a)
        if force and satisfied:
            return "Cannot specify both --force and --satisfied\n", "", 255
        if len(positional) != 2:
            return error("Error: package name and job id required")
        pkg, job_text = positional
        if not any(a.package == pkg for a in dev.profile.apps):
            return error(f"Package not found: {pkg} / user {user}")
        try:
            job_id = int(job_text)
        except ValueError:
            return error(f"Error: invalid job id '{job_text}'")
        job = dev.jobs.get((pkg, job_id))
        if job is None:
            return error(f"Could not find job {job_id} in package {pkg} / user {user}")
        # JobSchedulerService.executeRunCommand: the override, then a start only if isReady()
        if not dev.request_run(job, force=force, satisfied=satisfied):
            return error(
                f"Job {job_id} in package {pkg} / user {user} has functional constraints but --force not specified"
            )
        return ("Running job [FORCED]\n" if force else "Running job\n"), "", 0
    if sub == "get-job-state" and len(rest) >= 2:
        return _job_state(dev, rest[-2], rest[-1])
    if sub == "monitor-battery" and rest:
        dev.state.monitor_battery = rest[0] == "on"
        return f"Battery monitoring {'enabled' if rest[0] == 'on' else 'disabled'}\n", "", 0
    if sub == "timeout":
        for job in dev.jobs.values():
            if job.running_since and (not rest or job.app.package == rest[0]):
                dev._timeout(job)
        return "", "", 0
    return error(f"Unknown command: {sub}")


def _job_state(dev: SimAndroidDevice, pkg: str, job_text: str) -> Result:
    """JobSchedulerService.getJobState: `active` while a JobServiceContext runs it, `ready` when
    isReady(), else `waiting`; an unknown job prints `unknown(u0aN/jidJ)` and the shell command adds
    printError's line on stderr."""
    app = next((a for a in dev.profile.apps if a.package == pkg), None)
    if app is None:
        return f"unknown({pkg})\n", f"Package not found: {pkg} / user 0\n", 0
    job = dev.jobs.get((pkg, int(job_text))) if job_text.lstrip("-").isdigit() else None
    if job is None:
        printed = f"Could not find job {job_text} in package {pkg} / user 0\n"
        return f"unknown(u0a{app.app_id}/jid{job_text})\n", printed, 0
    state = "active" if job.running_since else ("ready" if not dev.not_ready(job) else "waiting")
    return state + "\n", "", 0


def _app_hibernation(dev: SimAndroidDevice, args: list[str]) -> Result:
    """AppHibernationShellCommand (Android 12+): `get-state PKG` prints true or false (an unknown
    package is not hibernating), `set-state PKG true|false`."""
    words = [a for a in args[1:] if not a.startswith("--")]
    if args[:1] == ["get-state"] and words:
        return str(words[0] in dev.hibernating).lower() + "\n", "", 0
    if args[:1] == ["set-state"] and len(words) >= 2:
        if words[1] == "true":
            dev.hibernating.add(words[0])
        else:
            dev.hibernating.discard(words[0])
        return "", "", 0
    return "", "Error: no package specified\n", 255


# Ops other than RUN_ANY_IN_BACKGROUND that the simulated AppOpsService knows, with the API level
# they appeared at: SCHEDULE_EXACT_ALARM from Android 12 (AppOpsManager.OP_SCHEDULE_EXACT_ALARM, default
# MODE_DEFAULT).
_OTHER_OPS = {"SCHEDULE_EXACT_ALARM": 31}


def _op_name(dev: SimAndroidDevice, op: str) -> str | None:
    """The op as AppOpsService.Shell.strOpToOp takes it (a name, or a number) and opToName prints it:
    MIUI's own ops print as `MIUIOP(N)`; None when this phone has no such op."""
    if op in _OTHER_OPS:
        return op if dev.profile.sdk >= _OTHER_OPS[op] else None
    if op == MIUI_AUTOSTART_OP and dev.profile.manufacturer == "Xiaomi":
        return f"MIUIOP({op})"
    return None


def _other_op(dev: SimAndroidDevice, verb: str, pkg: str, op: str, mode: str | None) -> Result:
    name = _op_name(dev, op)
    if name is None:
        return "", f"Error: Unknown operation string: {op}\n", 255
    if verb == "set":
        if mode not in ("allow", "ignore", "deny", "default", "foreground", "errored"):
            return "", "Error: Mode must be one of allow, ignore, deny, default, foreground\n", 255
        if mode == "default" and op in _OTHER_OPS:
            dev.app_ops.pop((pkg, op), None)  # setMode prunes an op set to its default mode
        else:
            dev.app_ops[(pkg, op)] = (mode, dev.clock.now())
        return "", "", 0
    entry = dev.app_ops.get((pkg, op))
    if entry is None:
        return "No operations.\n" + ("Default mode: default\n" if op in _OTHER_OPS else ""), "", 0
    mode, when = entry
    if when is None:  # written by the system, never noted since: no time
        return f"{name}: {mode}\n", "", 0
    ago = int((dev.clock.now() - when).total_seconds())
    return f"{name}: {mode}; time=+{ago // 60}m{ago % 60}s0ms ago\n", "", 0


def _appops(dev: SimAndroidDevice, args: list[str]) -> Result:
    if len(args) < 2 or args[0] not in ("set", "get"):
        return "", "Error: unknown command\n", 255
    op_args = [a for a in args[1:] if not a.startswith("--")]
    pkg = op_args[0]
    if not any(a.package == pkg for a in dev.profile.apps):
        return "", f"Error: Unknown package: {pkg}\n", 255
    op = op_args[1] if len(op_args) > 1 else None
    if op is not None and op != "RUN_ANY_IN_BACKGROUND":
        return _other_op(dev, args[0], pkg, op, op_args[2] if len(op_args) > 2 else None)
    if op == "RUN_ANY_IN_BACKGROUND" and dev.profile.sdk < 28:
        return "", f"Error: Unknown operation string: {op}\n", 255
    if args[0] == "set":
        if len(op_args) < 3 or op_args[2] not in ("allow", "ignore", "deny", "default", "foreground"):
            return "", "Error: Mode must be one of allow, ignore, deny, default, foreground\n", 255
        mode = op_args[2]
        if mode == "allow":
            # AppOpsService.setMode prunes an op set to its default mode (RUN_ANY_IN_BACKGROUND's is
            # allow) when it carries no access times: `get` then answers "No operations."
            dev.run_any_in_background.pop(pkg, None)
        else:
            dev.run_any_in_background[pkg] = (mode, dev.clock.now())  # `default` is kept, as MODE_DEFAULT
        return "", "", 0
    entry = dev.run_any_in_background.get(pkg)
    if entry is None:
        return "No operations.\nDefault mode: allow\n", "", 0
    mode, when = entry
    ago = int((dev.clock.now() - when).total_seconds()) if when else 0
    return f"RUN_ANY_IN_BACKGROUND: {mode}; time=+{ago // 60}m{ago % 60}s0ms ago\n", "", 0


def _am(dev: SimAndroidDevice, args: list[str]) -> Result:
    if not args:
        return "Activity manager (activity) commands:\n", "", 0
    sub, rest = args[0], [a for a in args[1:] if a not in ("--user", "0", "current")]
    sdk = dev.profile.sdk
    if sub in ("set-standby-bucket", "get-standby-bucket") and sdk < 28:
        return "", f"Unknown command: {sub}\n", 255
    if sub == "set-standby-bucket":
        if len(rest) < 2:
            return "", "Error: bucket and package required\n", 255
        pkg, name = rest[0], rest[1]
        bucket = _bucket_value(name, sdk)
        if bucket is None:
            return "", f"Error: Unknown bucket: {name}\n", 255
        if any(a.package == pkg for a in dev.profile.apps) and not dev.profile.ignores_standby_buckets:
            dev.buckets[pkg] = bucket
        return "", "", 0
    if sub == "get-standby-bucket":
        if not rest:
            return "".join(f"{p}: {b}\n" for p, b in dev.buckets.items()), "", 0
        return f"{dev.buckets.get(rest[0], 50)}\n", "", 0
    if sub == "force-stop" and rest:
        dev.force_stop(rest[0], cause=f"from pid {dev.rng.randrange(20000, 30000)}")
        return "", "", 0
    if sub == "kill" and rest:
        proc = dev.processes.get(rest[0])
        if proc is not None and proc.adj >= 500:
            dev.kill(rest[0], am_reason="kill background", exit_reason=13, subreason=24, description="kill background")
        return "", "", 0
    if sub == "broadcast":
        return _broadcast(dev, args[1:])
    return "", f"Unknown command: {sub}\n", 255


def _bucket_value(name: str, sdk: int) -> int | None:
    if name.isdigit():
        return int(name)
    names = {k: v for k, v in BUCKETS.items() if k != "restricted" or sdk >= 30}
    matches = [v for k, v in names.items() if k.startswith(name)]
    return matches[0] if len(matches) == 1 else None


def _broadcast(dev: SimAndroidDevice, args: list[str]) -> Result:
    """`am broadcast`: ActivityManagerService.broadcastIntentLocked adds FLAG_EXCLUDE_STOPPED_PACKAGES
    to every broadcast ("By default broadcasts do not go to stopped apps"), so a force-stopped app's
    manifest receivers get nothing unless the sender asked for FLAG_INCLUDE_STOPPED_PACKAGES (0x20:
    `-f 0x20`, `--include-stopped-packages`). The shell's answer is the same either way."""
    action = pkg = None
    flags = 0x400000  # FLAG_RECEIVER_FROM_SHELL
    it = iter(args)
    for a in it:
        if a == "-a":
            action = next(it, None)
        elif a == "-p":
            pkg = next(it, None)
        elif a == "-f":
            with contextlib.suppress(ValueError):
                flags |= int(next(it, "0"), 0)
        elif a == "--include-stopped-packages":
            flags |= 0x20
    intent = f"Intent {{ act={action} flg={flags:#x}{f' pkg={pkg}' if pkg else ''} }}"
    out = f"Broadcasting: {intent}\nBroadcast completed: result=0\n"
    delivered = pkg is not None and (pkg not in dev.stopped_packages or flags & 0x20)
    if action == WM_DIAGNOSTICS and delivered:
        _log_wm_diagnostics(dev, pkg)  # type: ignore[arg-type]  # delivered: pkg is set
    return out, "", 0


def _log_wm_diagnostics(dev: SimAndroidDevice, pkg: str) -> None:
    """WorkManager 2.4+: DiagnosticsReceiver ("Requesting diagnostics", DEBUG) enqueues a
    DiagnosticsWorker, which logs at INFO one header message and one table message per non-empty
    section (DiagnosticsWorker.kt: recently completed, running, enqueued; its own run is in the
    running table), and WorkerWrapper then logs its result, at INFO like every Worker's."""
    app = next((a for a in dev.profile.apps if a.package == pkg), None)
    if app is None:
        return
    wm_jobs = [j for j in dev.jobs.values() if j.app is app and j.spec.workmanager]
    if not wm_jobs:
        return
    # BroadcastQueue delivers to a manifest receiver: the package leaves the stopped state
    dev.stopped_packages.discard(pkg)
    proc = dev._ensure_process(app, wm_jobs[0].spec)
    me = str(uuid.UUID(int=dev.rng.getrandbits(128), version=4))
    diagnostics = "androidx.work.impl.workers.DiagnosticsWorker"
    dev.wm_log(app, proc.pid, "D", "WM-DiagnosticsRcvr", "Requesting diagnostics")
    dev.wm_log(app, proc.pid, "D", "WM-WorkerWrapper", f"Starting work for {diagnostics}")
    header = "\n Id \t Class Name\t Job Id\t State\t Unique Name\t Tags\t"

    def state(j) -> str:
        if j.running_since:
            return "RUNNING"
        # one-time work that succeeded stays SUCCEEDED; periodic work goes back to ENQUEUED
        return "SUCCEEDED" if j.last_success and not j.num_failures and not j.spec.period_s else "ENQUEUED"

    sections: dict[str, list[str]] = {"Recently completed work": [], "Running work": [], "Enqueued work": []}
    for j in wm_jobs:
        title = {"SUCCEEDED": "Recently completed work", "RUNNING": "Running work"}.get(state(j), "Enqueued work")
        spec = j.spec
        sections[title].append(f"\n{spec.work_id}\t {spec.worker}\t {spec.job_id}\t {state(j)}\t \t {spec.worker}\t")
    sections["Running work"].append(f"\n{me}\t {diagnostics}\t null\t RUNNING\t \t {diagnostics}\t")
    for title, rows in sections.items():
        if rows:
            dev.wm_log(app, proc.pid, "I", "WM-DiagnosticsWrkr", f"{title}:\n\n")
            dev.wm_log(app, proc.pid, "I", "WM-DiagnosticsWrkr", header + "".join(rows))
    dev.wm_log(
        app, proc.pid, "I", "WM-WorkerWrapper", f"Worker result SUCCESS for Work [ id={me}, tags={{ {diagnostics} }} ]"
    )


def _settings(dev: SimAndroidDevice, args: list[str]) -> Result:
    if (
        len(args) < 3
        or args[0] not in ("get", "put", "delete", "list")
        or args[1] not in ("global", "secure", "system")
    ):
        return "", "Invalid command: settings " + " ".join(args) + "\n", 255
    table = dev.state.settings[args[1]]
    key = args[2]
    if args[0] == "get":
        return table.get(key, "null") + "\n", "", 0
    if args[0] == "delete":
        table.pop(key, None)
        return "Deleted 1 rows\n", "", 0
    value = args[3] if len(args) > 3 else ""
    table[key] = value
    # the few settings the OS acts on
    if args[1] == "global" and key == "low_power":
        dev.set_saver(value == "1")
    elif args[1] == "global" and key == "airplane_mode_on":
        pass  # needs the AIRPLANE_MODE broadcast, which the shell may not send (reference §1.9)
    return "", "", 0


def _svc(dev: SimAndroidDevice, args: list[str]) -> Result:
    if len(args) >= 2 and args[0] in ("wifi", "data") and args[1] in ("enable", "disable"):
        on = args[1] == "enable"
        dev.set_network(**({"wifi": on} if args[0] == "wifi" else {"data": on}))
        return "", "", 0
    if args[:1] == ["wifi"]:
        return "usage: svc wifi [enable|disable]\n", "", 0
    return "Available commands:\n    data\n    wifi\n    power\n    usb\n", "", 0


def _pm(dev: SimAndroidDevice, args: list[str]) -> Result:
    if args[:1] in (["grant"], ["revoke"]) and len(args) >= 3:
        # PackageManagerShellCommand runGrantRevokePermission (the tests change a grant by hand)
        app = next((a for a in dev.profile.apps if a.package == args[1]), None)
        if app is None:
            return "", f"Exception occurred while executing 'grant':\nUnknown package: {args[1]}\n", 255
        granted = dev.runtime_granted.setdefault(app.package, set())
        if args[0] == "grant":
            granted.add(args[2])
        else:
            granted.discard(args[2])
        return "", "", 0
    if args[:2] == ["list", "packages"]:
        return "".join(f"package:{a.package}\n" for a in dev.profile.apps), "", 0
    if args[:1] == ["path"] and len(args) > 1:
        if any(a.package == args[1] for a in dev.profile.apps):
            return f"package:/data/app/{args[1]}-1/base.apk\n", "", 0
        return "", "", 1
    return "", f"Unknown command: {' '.join(args[:1])}\n", 255


def _true(dev: SimAndroidDevice, args: list[str]) -> Result:
    return "", "", 0


def _false(dev: SimAndroidDevice, args: list[str]) -> Result:
    return "", "", 1


def _exit(dev: SimAndroidDevice, args: list[str]) -> Result:
    return "", "", int(args[0]) if args and args[0].isdigit() else 0


def _id(dev: SimAndroidDevice, args: list[str]) -> Result:
    return "uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),1011(adb)\n", "", 0


def _input(dev: SimAndroidDevice, args: list[str]) -> Result:
    if args[:2] == ["keyevent", "26"] or args[:2] == ["keyevent", "KEYCODE_POWER"]:
        dev.state.screen_on = not dev.state.screen_on
    elif args[:2] in (["keyevent", "224"], ["keyevent", "KEYCODE_WAKEUP"]):
        dev.state.screen_on = True
    elif args[:2] in (["keyevent", "223"], ["keyevent", "KEYCODE_SLEEP"]):
        dev.state.screen_on = False
    return "", "", 0


# Sub-commands that change the phone (a state change, a forced run, a key press): each starts a new
# epoch of the device's random draws (SimAndroidDevice.draw). Reads (dumpsys, get-job-state, getprop,
# settings get ...) never do, so how often a campaign polls does not change what the phone does.
_MUTATING = frozenset(
    [
        "run",
        "force-idle",
        "step",
        "unforce",
        "enable",
        "disable",
        "set",
        "unplug",
        "reset",
        "set-standby-bucket",
        "set-inactive",
        "force-stop",
        "kill",
        "put",
        "delete",
        "grant",
        "revoke",
        "set-mode",
        "set-wifi-enabled",
        "data",
        "keyevent",
        "set-state",
    ]
)


def _mutates(words: list[str]) -> bool:
    if words[0] in ("svc", "input"):
        return True
    head = words[1:4]
    if any(w in _MUTATING for w in head):
        return True
    return "whitelist" in head and any(len(w) > 1 and w[0] in "+-" for w in words[2:])


_COMMANDS: dict[str, Handler] = {
    "echo": _echo,
    "getprop": _getprop,
    "dumpsys": _dumpsys,
    "cmd": _cmd,
    "am": _am,
    "settings": _settings,
    "svc": _svc,
    "pm": _pm,
    "true": _true,
    "false": _false,
    "exit": _exit,
    "id": _id,
    "input": _input,
    "__syntax_error__": _syntax_error,
}
