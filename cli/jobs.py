"""`bgprobe jobs PACKAGE` and `bgprobe trigger PACKAGE JOB`."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import typer
from bgprobe.cli.console import Output
from bgprobe.cli.options import AdbServers, Json, LockWait, Rsd, Serial, Timeout, Tunnel, Udid, Usbmux
from bgprobe.cli.targets import (
    android_devices,
    ios_target,
    lock_wait,
)
from bgprobe.collectors.errors import EXIT_GATE
from bgprobe.collectors.package_names import check_package_name

if TYPE_CHECKING:
    from bgprobe.collectors.android.jobs import JobsReport
    from bgprobe.collectors.ios.address import IosTarget


def jobs(
    ctx: typer.Context,
    package: str = typer.Argument(..., help="Android package name."),
    serial: Serial = None,
    adb_server: AdbServers = None,
    timeout: Timeout = None,
    json_out: Json = False,
) -> None:
    """Scheduled work of an app: jobs, WorkManager work, alarms, and why each is not running."""
    from bgprobe.collectors.android.info import device_facts
    from bgprobe.collectors.android.jobs import list_jobs

    out: Output = ctx.obj
    check_package_name(package)
    for dev in android_devices(out, serial, adb_server, timeout):
        facts = device_facts(dev)
        report = list_jobs(dev, package, os_version=facts.os_version)
        if json_out:
            for e in report.jobs:
                sys.stdout.write(e.to_json() + "\n")
            continue
        _render(out, dev.serial, facts.os_version, report)


def _render(out: Output, serial: str, os_version: str | None, report: JobsReport) -> None:
    from bgprobe.reports.terminal_layout import print_fitting
    from rich.table import Table

    table = Table(title=f"{report.package} on {serial} (Android {os_version})", title_justify="left")
    for col in (
        "job",
        "service / worker",
        "bucket",
        "constraints",
        "unsatisfied",
        "last run",
        "fails",
        "now",
    ):
        table.add_column(col, overflow="fold")
    for e in report.jobs:
        d = e.data
        work = d.get("work") or {}
        service = f"WorkManager {work.get('worker') or ''}".strip() if d.get("workmanager") else str(d.get("service"))
        last = d.get("last_successful_run") or d.get("last_failed_run") or ""
        table.add_row(
            str(e.job),
            service,
            str(d.get("standby_bucket") or ""),
            " ".join(d.get("required_constraints") or []),
            " ".join(d.get("unsatisfied_constraints") or []),
            str(last),
            str(d.get("num_failures") or 0),
            e.detail or "",
        )
    print_fitting(out.out, table, key_columns=2)
    if not report.jobs:
        out.out.print(f"{report.package} has no scheduled JobScheduler jobs on {serial}.")
    for alarm in report.alarms[:10]:
        out.out.print(f"alarm: {alarm}", markup=False)
    for note in report.notes:
        out.out.print(f"note: {note}", markup=False)


def trigger_cmd(
    ctx: typer.Context,
    package: str = typer.Argument(..., help="Android package name (with --bundle: the BGTask identifier)."),
    job: str | None = typer.Argument(None, help="JobScheduler job id (WorkManager: the id `bgprobe jobs` shows)."),
    satisfied: bool = typer.Option(
        False,
        "--satisfied",
        help="Run only if its constraints are satisfied (`cmd jobscheduler run --satisfied`, Android 11+); "
        "default: forced (`run -f`).",
    ),
    wait: float = typer.Option(60.0, "--wait", min=0, help="Seconds to follow the job after triggering it."),
    serial: Serial = None,
    adb_server: AdbServers = None,
    timeout: Timeout = None,
    json_out: Json = False,
    lock_wait_s: LockWait = None,
    bundle: str | None = typer.Option(
        None, "--bundle", help="iOS: the app's bundle id; TASK_ID is then the only argument (debugserver + lldb)."
    ),
    expire: bool = typer.Option(False, "--expire", help="iOS: simulate the expiration of a simulated-running task."),
    udid: Udid = None,
    usbmux: Usbmux = None,
    rsd: Rsd = None,
    tunnel: Tunnel = False,
) -> None:
    """Force-run one job now and report whether it started and how it ended."""
    from bgprobe.collectors.android.info import device_facts
    from bgprobe.collectors.android.jobs import check_job_id, trigger
    from bgprobe.collectors.locks import device_lock

    out: Output = ctx.obj
    if bundle is not None:
        if job is not None:
            raise typer.BadParameter("with --bundle give only the task identifier", param_hint="JOB")
        target = ios_target(usbmux, udid, timeout, rsd, tunnel)
        _trigger_ios(out, bundle, package, expire, wait, target, json_out, lock_wait(lock_wait_s))
        return
    if job is None:
        raise typer.BadParameter("missing the job id (iPhone: --bundle BUNDLE TASK_ID)", param_hint="JOB")
    check_package_name(package)
    job_id = check_job_id(job)
    failed = False
    for dev in android_devices(out, serial, adb_server, timeout, one=True):
        facts = device_facts(dev)
        # A triggered run is an attempt: not while another bgprobe runs a campaign on this phone.
        with device_lock(dev.key, dev.serial, "trigger", lock_wait(lock_wait_s)):
            result = trigger(
                dev, package, job_id, sdk=facts.sdk or 0, satisfied=satisfied, wait_s=wait, os_version=facts.os_version
            )
        failed |= result.failed
        if json_out:
            payload = {k: v for k, v in result.__dict__.items() if k != "events"}
            payload["events"] = [e.to_dict() for e in result.events]
            sys.stdout.write(json.dumps(payload, default=str) + "\n")
            continue
        took = f" after {result.seconds}s" if result.seconds is not None else ""
        if result.device_seconds is not None:
            took += f" ({result.device_seconds}s of device time)"
        out.out.print(f"{dev.serial}: `{result.command}` → {result.response}", markup=False)
        out.out.print(f"{dev.serial}: started={result.started} outcome={result.outcome}{took}", markup=False)
        if result.reason:
            out.out.print(f"{dev.serial}: why: {result.reason}", markup=False)
        for note in result.notes:
            out.out.print(f"note: {note}", markup=False)
        for e in result.events:
            # this job's own lines and the app's deaths; another job's time-out is not this job's story
            other_job = e.kind.startswith("job_") and e.job not in (None, str(job_id))
            if e.kind != "state_changed" and not other_job:
                out.out.print(f"  {e.ts or ''} {e.kind} {e.reason or ''} {e.detail or ''}", markup=False)
    if failed:
        raise typer.Exit(EXIT_GATE)


def _trigger_ios(
    out: Output,
    bundle: str,
    task: str,
    expire: bool,
    wait: float,
    target: IosTarget,
    json_out: bool,
    lock_wait_s: float,
) -> None:
    from bgprobe.collectors.ios.bgtask import PrerequisiteError, gather, run_trigger, unmet
    from bgprobe.collectors.ios.transport import IosError, run, select_udids
    from bgprobe.collectors.journal import ios_key
    from bgprobe.collectors.locks import device_lock

    check_package_name(bundle)
    udids = run(select_udids(target))
    if len(udids) > 1:
        raise IosError(f"several iPhones are attached ({', '.join(udids)}): choose one with --udid")
    prereqs = run(gather(target, udids[0], bundle))
    for note in prereqs.notes:
        out.problem(f"note: {note}")
    missing = unmet(prereqs, bundle, task)
    if missing:
        raise PrerequisiteError(
            f"cannot trigger {task} of {bundle} on {udids[0]}: "
            + "; ".join(f"({i}) {m}" for i, m in enumerate(missing, 1))
        )
    with device_lock(ios_key(udids[0]), udids[0], "trigger", lock_wait_s):
        result = run(run_trigger(target, prereqs, bundle, task, expire, wait))
    if json_out:
        payload = {k: v for k, v in result.__dict__.items() if k != "events"}
        payload["events"] = [e.to_dict() for e in result.events]
        sys.stdout.write(json.dumps(payload, default=str) + "\n")
    else:
        out.out.print(
            f"{result.udid}: lldb exit {result.lldb_exit}; started={result.started} outcome={result.outcome}",
            markup=False,
        )
        for e in result.events:
            out.out.print(f"  {e.ts or ''} {e.kind} {e.reason or ''} {e.detail or ''}", markup=False)
        if result.outcome == "unknown":
            out.problem(
                f"{result.udid}: {bundle} logged neither the start of {task} nor why not; lldb said: "
                f"{result.lldb_output.strip()[-300:] or '(nothing)'}"
            )
    if result.outcome not in ("started", "finished", "expired"):
        raise typer.Exit(EXIT_GATE)
