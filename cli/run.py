"""`bgprobe run SCENARIO`: a campaign on every selected device at once; resumable."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from bgprobe.cli.console import Output, fold
from bgprobe.cli.options import AdbServers, FailUnder, LockWait, Serial, Timeout
from bgprobe.cli.targets import android_devices, lock_wait
from bgprobe.collectors.errors import EXIT_DEVICE, EXIT_GATE, EXIT_INTERNAL, EXIT_INTERRUPTED, BgprobeError

if TYPE_CHECKING:
    from bgprobe.collectors.android.adb import AdbServer, AndroidDevice
    from bgprobe.collectors.campaign.results import ResultsDir
    from bgprobe.collectors.campaign.runner import Campaign, CampaignEnd
    from bgprobe.collectors.campaign.scenario import Scenario
    from bgprobe.collectors.campaign.worker import DeviceProgress
    from bgprobe.collectors.ios.transport import IosTarget


def run(
    ctx: typer.Context,
    scenario: Path | None = typer.Argument(None, help="Scenario TOML (omit with --resume)."),
    out_dir: str | None = typer.Option(None, "--out", help="Results directory (default bgprobe-results/NAME-TIME)."),
    resume: Path | None = typer.Option(None, "--resume", help="Continue an interrupted or killed run's directory."),
    shard: str | None = typer.Option(None, "--shard", help="Run part I of N (I/N) of the campaign."),
    fail_under: FailUnder = None,
    serial: Serial = None,
    adb_server: AdbServers = None,
    timeout: Timeout = None,
    quiet: bool = typer.Option(False, "--quiet", help="No progress, only the report."),
    device_wait: float = typer.Option(20.0, "--device-wait", min=0, help="How long to wait for a lost device."),
    lock_wait_s: LockWait = None,
    usbmux: list[str] = typer.Option([], "--usbmux", help="usbmuxd HOST:PORT or socket path, repeatable (iPhones)."),
    udid: str | None = typer.Option(None, "--udid", help="Only this iPhone."),
    check: bool = typer.Option(False, "--check", help="Validate the scenario and print the plan size; no phone."),
    json_out: bool = typer.Option(False, "--json", help="With --check: the plan as one JSON object."),
) -> None:
    """Run a scenario's tasks under its conditions on many devices; write a results directory."""
    if check or json_out:  # before anything that reaches a phone or writes a results directory
        import json

        from bgprobe.collectors.campaign.scenario import load_scenario, plan_summary, plan_text

        if not check:
            raise BgprobeError("--json goes with --check (a run writes its results to the results directory)")
        if scenario is None:
            raise BgprobeError("--check needs a scenario file")
        summary = plan_summary(load_scenario(scenario))
        sys.stdout.write(json.dumps(summary) + "\n" if json_out else plan_text(summary))
        return
    from bgprobe.collectors.android.adb import DEFAULT_TIMEOUT, server_addresses
    from bgprobe.collectors.campaign.results import ResultsDir
    from bgprobe.collectors.campaign.runner import Campaign, parse_shard, results_path
    from bgprobe.collectors.campaign.scenario import load_scenario
    from bgprobe.collectors.locks import DeviceLocks, results_lock

    out: Output = ctx.obj
    wait = lock_wait(lock_wait_s)
    results_held = None
    if resume is not None:
        # A results directory is continued by one bgprobe at a time: a second --resume is refused at once.
        results = ResultsDir.open_for_resume(resume)
        results_held = results_lock(resume, "run --resume")
        meta = results.run
        plan_scenario = results.load_scenario()
        shard_text = meta.get("shard")
    else:
        if scenario is None:
            raise BgprobeError("give a scenario file, or --resume DIR")
        plan_scenario = load_scenario(scenario)
        shard_text = shard
        parse_shard(shard_text)
    ios_targets = _ios_targets(plan_scenario, usbmux, udid, timeout)
    devices = _android_targets(out, plan_scenario, serial, adb_server, timeout, bool(ios_targets))
    campaign = Campaign(
        plan_scenario, devices, parse_shard(shard_text), device_wait=device_wait, ios_targets=ios_targets
    )
    locks = DeviceLocks("run", wait)
    try:
        campaign.reserve(locks)  # every phone's lock before anything is written or changed
        if resume is None:
            assert scenario is not None
            results = ResultsDir.create(
                results_path(out_dir, plan_scenario),
                campaign=plan_scenario.name,
                scenario_text=plan_scenario.text,
                scenario_path=str(scenario),
                shard=shard_text,
            )
            results_held = results_lock(results.path, "run")
        outcome = execute(
            out,
            campaign,
            results,
            server_addresses(adb_server),
            timeout or DEFAULT_TIMEOUT,
            quiet=quiet,
            gate=fail_under,
        )
    finally:
        locks.release()
        if results_held is not None:
            results_held.release()
    outcome.exit(out, fail_under)


@dataclass
class RunOutcome:
    """How a campaign ended, and the exit code that says so."""

    end: CampaignEnd
    rate: float | None

    def exit(self, out: Output, fail_under: float | None) -> None:
        end = self.end
        for failure in end.failures:
            out.problem(failure.describe())
        if end.interrupted:
            raise typer.Exit(EXIT_INTERRUPTED)
        if any(f.is_bug for f in end.failures):
            out.problem(
                f"internal error: a campaign worker failed (a bug: please report it with the traceback); every "
                f"attempt so far is kept: `bgprobe run --resume {end.path}` continues"
            )
            raise typer.Exit(EXIT_INTERNAL)
        if end.lost or end.failures:  # the figures are there, but part of the campaign could not run
            raise typer.Exit(EXIT_DEVICE)
        if fail_under is not None and self.rate is not None and self.rate < fail_under:
            out.problem(f"completion rate {self.rate:.1%} is below --fail-under {fail_under:.1%}")
            raise typer.Exit(EXIT_GATE)


def execute(
    out: Output,
    campaign: Campaign,
    results: ResultsDir,
    servers: list[AdbServer],
    timeout: float,
    *,
    quiet: bool = False,
    gate: float | None = None,
) -> RunOutcome:
    """A reserved campaign with its progress on screen, then its outputs and report (`run`, `demo`).
    `gate`: --fail-under, which summary.md and report.html state with their verdict."""
    from bgprobe.collectors.campaign.runner import run_campaign

    view = ProgressView(out, campaign.progress, quiet=quiet)
    end = run_campaign(
        campaign,
        results,
        servers,
        timeout,
        tick=view.tick,
        on_interrupt=lambda: out.problem("interrupted: no new attempts; restoring every device ..."),
    )
    view.close()
    for lost in end.lost:
        out.problem(
            f"{lost}: lost during the campaign; its in-flight attempt is recorded as device_lost "
            f"(run `bgprobe restore` if it is still changed, and `bgprobe run --resume {results.path}`)"
        )
    rate = finish_outputs(out, results.path, gate)
    out.err.print(f"results: {results.path}")
    return RunOutcome(end, rate)


def _ios_targets(scenario: Scenario, usbmux: list[str], udid: str | None, timeout: float | None) -> list[IosTarget]:
    """iPhones join when the scenario has iOS tasks and a usbmux address is known (options or env)."""
    from bgprobe.collectors.ios.transport import make_target, usbmux_configured

    if not any(t.platform == "ios" for t in scenario.tasks):
        return []
    if usbmux:
        return [make_target(address, udid, timeout) for address in dict.fromkeys(usbmux)]
    return [make_target(None, udid, timeout)] if usbmux_configured(None) else []


def _android_targets(
    out: Output,
    scenario: Scenario,
    serial: str | None,
    adb_server: list[str] | None,
    timeout: float | None,
    have_ios: bool,
) -> list[AndroidDevice]:
    from bgprobe.collectors.errors import DeviceError

    if not any(t.platform == "android" for t in scenario.tasks):
        return []
    try:
        return android_devices(out, serial, adb_server, timeout, warn_journal=False)
    except DeviceError:
        if have_ios and not serial:  # an iPhone-only farm: the Android tasks simply have no device
            return []
        raise  # -s SERIAL names a phone that is not there: an error even when iPhones are


def finish_outputs(out: Output, path: Path, gate: float | None = None) -> float | None:
    """Parquet, JUnit, HTML and Markdown into the results directory; the report on the terminal.
    Returns the overall completion rate (for --fail-under)."""
    from bgprobe.reports.metrics import overall_rate
    from bgprobe.reports.render_tables import write_run_outputs
    from bgprobe.reports.render_terminal import render_report

    report, results = write_run_outputs(path, gate=gate)
    render_report(out.out, report, results)
    return overall_rate(report)


class ProgressView:
    """On a terminal: one overall bar with its ETA above a line per phone, kept on screen at the end.
    Without one (CI logs): a line per phone every few seconds, and an overall line with the ETA."""

    def __init__(self, out: Output, progress: dict[str, DeviceProgress], *, quiet: bool, every_s: float = 10.0) -> None:
        self.out = out
        self.progress = progress
        self.quiet = quiet
        self.every_s = every_s
        self._last = 0.0
        self._started = time.monotonic()
        self._reported_done: set[str] = set()
        self._live = None
        if not quiet and sys.stderr.isatty():
            from rich.live import Live

            self._live = Live(self._view(), console=out.err, refresh_per_second=4, transient=False)
            self._live.start()

    def _totals(self) -> tuple[int, int]:
        return sum(p.done for p in self.progress.values()), sum(p.total for p in self.progress.values())

    def _eta(self) -> str:
        done, total = self._totals()
        elapsed = time.monotonic() - self._started
        if not done or done >= total:
            return "–" if done < total else "done"
        return _clock(elapsed * (total - done) / done)

    def _view(self):
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        done, total = self._totals()
        width = self.out.err.width
        head = Table.grid(padding=(0, 1))
        head.add_column(no_wrap=True)
        head.add_column(ratio=1)
        head.add_column(no_wrap=True)
        summary = f"{done}/{total} task runs · ETA {self._eta()}"
        head.add_row(Text("bgprobe run", style="bold"), ProgressBar(total=max(total, 1), completed=done), summary)
        lines = [head]
        for p in self.progress.values():
            name = f"{p.label}  {p.model} {p.os_version}".strip()
            lines.append(Text(f"{name}  {p.done}/{p.total}", overflow="fold"))
            detail = f"  {p.current}" + (f" · {_outcomes(p.outcomes)}" if p.outcomes else "")
            for chunk in fold(detail, width):
                lines.append(Text(chunk, style="dim"))
        return Group(*lines)

    def tick(self) -> None:
        if self.quiet:
            return
        if self._live is not None:
            self._live.update(self._view())
            return
        now = time.monotonic()
        finished = all(p.finished for p in self.progress.values())
        if now - self._last >= self.every_s or finished:
            self._last = now
            for p in self.progress.values():
                if p.device in self._reported_done:
                    continue  # a finished device is reported once, not in every later round
                if p.finished:
                    self._reported_done.add(p.device)
                self.out.err.print(
                    f"[{p.label}] {p.done}/{p.total} {p.current} {_outcomes(p.outcomes)}",
                    markup=False,
                    highlight=False,
                    soft_wrap=True,  # a CI log viewer wraps long lines itself: no break mid-sentence
                )
            if not finished:
                done, total = self._totals()
                self.out.err.print(f"overall {done}/{total} task runs, ETA {self._eta()}", soft_wrap=True)

    def close(self) -> None:
        if self._live is not None:
            self._live.update(self._view())
            self._live.stop()  # not transient: the final counts stay on screen


def _outcomes(outcomes: dict[str, int]) -> str:
    return " · ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return (
        f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"
    )
