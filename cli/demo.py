"""`bgprobe demo`: the main job on the built-in simulated phones, nothing to plug in.

Starts a small mixed fleet (Android 14/13/12/10 from four makers, and an iPhone) behind a private
adb server and usbmuxd, lists it as `bgprobe devices` does, runs the bundled campaign exactly as
`bgprobe run` would, prints the reliability report, runs it again on fresh phones with the app
allowlisted (battery optimization off) and prints `report --compare` of the two, and stops
everything it started. The same --seed gives the same attempts and outcomes.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from bgprobe.cli.console import Output
from bgprobe.collectors.errors import EXIT_INTERRUPTED, BgprobeError

if TYPE_CHECKING:
    from bgprobe.sim.android.profile import DeviceProfile
    from bgprobe.sim.fleet import FleetInfo


def demo(
    ctx: typer.Context,
    out_dir: Path = typer.Option(Path("bgprobe-demo-results"), "--out", help="Where the demo's results go."),
    speed: float = typer.Option(600.0, "--speed", min=1, max=100_000, help="Simulated seconds per real second."),
    seed: int = typer.Option(1, "--seed"),
    quiet: bool = typer.Option(False, "--quiet", help="No progress lines."),
    scenario_file: Path | None = typer.Option(
        None, "--scenario", exists=True, dir_okay=False, help="Run this scenario instead of the bundled one."
    ),
    android: int = typer.Option(4, "--android", min=1, max=64, help="Simulated Android phones."),
) -> None:
    """Start simulated phones, run the bundled campaign on them, print the report, clean up."""
    from bgprobe.collectors.campaign.scenario import load_scenario, parse_scenario

    out: Output = ctx.obj
    if scenario_file is not None:  # read as `run` reads one: not UTF-8, unreadable... are ScenarioErrors
        scenario, name = load_scenario(scenario_file), str(scenario_file)
    else:
        bundled = resources.files("bgprobe.collectors.campaign").joinpath("demo_scenario.toml")
        name = "demo_scenario.toml (bundled)"
        scenario = parse_scenario(bundled.read_text(encoding="utf-8"), name)
    path = _fresh(out_dir)
    interrupted = _run_fleet(out, scenario, name, path, android, speed, seed, quiet, fixed=False)
    if scenario_file is None and not interrupted:
        # The same app with the fix dontkillmyapp.com and the Android docs give first: battery optimization
        # off (the power-save allowlist), on the same phones with the same seed, compared with the run above.
        fixed = path.with_name(path.name + "-fixed")
        out.err.print("Again with the fix: com.example.syncapp allowlisted (battery optimization off) ...")
        interrupted = _run_fleet(out, scenario, name, fixed, android, speed, seed, quiet, fixed=True)
        if not interrupted:
            _compare(out, fixed, path)
    if interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)


def demo_profiles(count: int, *, fixed: bool) -> list[DeviceProfile]:
    """The demo's phones: the default fleet, with the demo app's one-off jobs (sync, upload, report)
    enqueued as the campaign needs them: a minimum latency and a backoff of 5 h (JobInfo's
    MAX_BACKOFF_DELAY_MILLIS), so only the campaign's forced runs run them (a retry of the app's own in
    the background would meet a later attempt at a time the clock decides, not the seed), and
    WorkManager skips forced runs of a sync that failed (backed-off work). The report uploads for four
    minutes, well inside JobScheduler's ten: only a killer stops it. The periodic cleanup keeps its
    15-minute period and the default 30 s backoff. `fixed`: the app is allowlisted (battery
    optimization off)."""
    from dataclasses import replace

    from bgprobe.sim.android.profile import default_profiles

    profiles = default_profiles(count)
    for p in profiles:
        app = p.apps[0]
        jobs = []
        for j in app.jobs:
            if not j.period_s:
                j = replace(j, min_latency_s=5 * 3600.0, backoff_s=5 * 3600.0)
            if j.job_id == 31:
                j = replace(j, hangs=False, work_s=240.0)
            jobs.append(j)
        app.jobs = jobs
        if fixed:
            p.power_allowlist = [app.package]
    return profiles


def _run_fleet(
    out: Output, scenario, name: str, path: Path, android: int, speed: float, seed: int, quiet: bool, *, fixed: bool
) -> bool:
    from bgprobe.cli.run import execute
    from bgprobe.collectors.android.adb import AdbServer, select_devices
    from bgprobe.collectors.campaign.results import ResultsDir
    from bgprobe.collectors.campaign.runner import Campaign
    from bgprobe.collectors.locks import DeviceLocks
    from bgprobe.sim.fleet import SimFleet

    fleet = SimFleet(android=demo_profiles(android, fixed=fixed), ios=1, speed=speed, seed=seed)
    out.err.print(f"Starting simulated phones (speed {speed:g}x) ...")
    interrupted = False
    try:
        info = fleet.start()
        if not fixed:
            _show_fleet(out, info)
        server = AdbServer("127.0.0.1", fleet.adb_port)
        devices = select_devices([server], None, timeout=20.0)
        from bgprobe.collectors.ios.transport import make_target

        iphones = [make_target(info.usbmux, None, 20.0)] if info.usbmux else []
        campaign = Campaign(scenario, devices, ios_targets=iphones)
        locks = DeviceLocks("demo", 0.0)  # the demo's own fresh phones: nobody else can hold them
        try:
            campaign.reserve(locks)
            results = ResultsDir.create(
                path, campaign=scenario.name, scenario_text=scenario.text, scenario_path=name, shard=None
            )
            out.err.print(
                f"Running campaign {scenario.name!r}: {len(scenario.tasks)} tasks x "
                f"{len(scenario.conditions)} conditions x {scenario.repetitions} repetitions per device ..."
            )
            if fixed:
                interrupted = _quiet_execute(out, campaign, results, server, quiet)
            else:
                interrupted = execute(out, campaign, results, [server], 20.0, quiet=quiet).end.interrupted
        finally:
            locks.release()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        fleet.stop()
        out.err.print("Simulated phones stopped.")
    return interrupted


def _quiet_execute(out: Output, campaign, results, server, quiet: bool) -> bool:
    """The fixed run: its outputs written as `run` writes them, its report left for the comparison."""
    from bgprobe.cli.run import ProgressView
    from bgprobe.collectors.campaign.runner import run_campaign
    from bgprobe.reports.render_tables import write_run_outputs

    view = ProgressView(out, campaign.progress, quiet=quiet)
    end = run_campaign(campaign, results, [server], 20.0, tick=view.tick, on_interrupt=lambda: None)
    view.close()
    write_run_outputs(results.path)
    out.err.print(f"results: {results.path}")
    return end.interrupted


def _compare(out: Output, fixed: Path, before: Path) -> None:
    """`bgprobe report FIXED --compare BEFORE`, its comparison tables only."""
    from bgprobe.reports.metrics import build_report, compare
    from bgprobe.reports.render_terminal import render_comparison
    from bgprobe.reports.results import REPORT_COLUMNS, load_results

    now, base = load_results([str(fixed)], columns=REPORT_COLUMNS), load_results([str(before)], columns=REPORT_COLUMNS)
    comparison = compare(build_report(now.attempts, now.events), build_report(base.attempts, base.events))
    out.out.print(f"The fix, compared (bgprobe report {fixed} --compare {before}):")
    render_comparison(out.out, comparison)


def _fresh(base: Path) -> Path:
    """A new results directory per demo run (the old ones stay for `bgprobe report --compare`).
    A --out that cannot hold them is said before any phone starts."""
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        why = "not a directory" if base.exists() else (exc.strerror or str(exc))
        raise BgprobeError(f"--out {base}: cannot keep the demo's results there ({why}): choose another --out") from exc
    n = 1
    while (base / f"run-{n}").exists():
        n += 1
    return base / f"run-{n}"


def _show_fleet(out: Output, info: FleetInfo) -> None:
    from rich.table import Table

    table = Table(title="Simulated phones", title_justify="left")
    for col in ("device", "platform", "os", "maker", "model"):
        table.add_column(col)
    for a in info.android:
        table.add_row(a.name, "android", a.release, a.manufacturer, a.model)
    for i in info.ios:
        table.add_row(i.name, "ios", i.version, "Apple", i.product_type)
    out.out.print(table)
