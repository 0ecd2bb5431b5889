"""`bgprobe jobs PACKAGE` and `bgprobe trigger PACKAGE JOB`."""

from __future__ import annotations

import json
import sys

import typer
from bgprobe.cli.console import Output
from bgprobe.cli.targets import SERIAL_HELP, SERVER_HELP, TIMEOUT_HELP, android_devices
from bgprobe.collectors.android.info import device_facts
from bgprobe.collectors.android.jobs import check_job_id, list_jobs, trigger
from bgprobe.collectors.errors import EXIT_GATE
from bgprobe.collectors.package_names import check_package_name


def jobs(
    ctx: typer.Context,
    package: str = typer.Argument(..., help="Android package name."),
    serial: str | None = typer.Option(None, "-s", "--serial", help=SERIAL_HELP),
    adb_server: list[str] = typer.Option([], "--adb-server", help=SERVER_HELP),
    timeout: float | None = typer.Option(None, "--timeout", help=TIMEOUT_HELP),
    json_out: bool = typer.Option(False, "--json", help="One JSON object per job (job_scheduled events)."),
) -> None:
    """Scheduled work of an app: jobs, WorkManager work, alarms, and why each is not running."""
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


def _render(out: Output, serial: str, os_version: str | None, report: object) -> None:
    from rich.table import Table

    table = Table(title=f"{report.package} on {serial} (Android {os_version})", title_justify="left")  # type: ignore[attr-defined]
    for col in (
        "job",
        "service / worker",
        "bucket",
        "constraints",
        "unsatisfied",
        "last run",
        "fails",
        "why it is not running",
    ):
        table.add_column(col, overflow="fold")
    for e in report.jobs:  # type: ignore[attr-defined]
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
    out.out.print(table)
    if not report.jobs:  # type: ignore[attr-defined]
        out.out.print(f"{report.package} has no scheduled JobScheduler jobs on {serial}.")  # type: ignore[attr-defined]
    for alarm in report.alarms[:10]:  # type: ignore[attr-defined]
        out.out.print(f"alarm: {alarm}", markup=False)
    for note in report.notes:  # type: ignore[attr-defined]
        out.out.print(f"note: {note}", markup=False)


def trigger_cmd(
    ctx: typer.Context,
    package: str = typer.Argument(..., help="Android package name."),
    job: str = typer.Argument(..., help="JobScheduler job id (WorkManager: the id `bgprobe jobs` shows)."),
    satisfied: bool = typer.Option(False, "--satisfied", help="Run only if its constraints are satisfied (-s)."),
    wait: float = typer.Option(60.0, "--wait", min=0, help="Seconds to follow the job after triggering it."),
    serial: str | None = typer.Option(None, "-s", "--serial", help=SERIAL_HELP),
    adb_server: list[str] = typer.Option([], "--adb-server", help=SERVER_HELP),
    timeout: float | None = typer.Option(None, "--timeout", help=TIMEOUT_HELP),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Force-run one job now and report whether it started and how it ended."""
    out: Output = ctx.obj
    check_package_name(package)
    job_id = check_job_id(job)
    failed = False
    for dev in android_devices(out, serial, adb_server, timeout, one=True):
        facts = device_facts(dev)
        result = trigger(dev, package, job_id, sdk=facts.sdk or 0, satisfied=satisfied, wait_s=wait)
        failed |= result.outcome in ("failed", "timed_out", "killed", "not_started", "skipped")
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
        for e in result.events:
            if e.kind not in ("state_changed",):
                out.out.print(f"  {e.ts or ''} {e.kind} {e.reason or ''} {e.detail or ''}", markup=False)
    if failed:
        raise typer.Exit(EXIT_GATE)
