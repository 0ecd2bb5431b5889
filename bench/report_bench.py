#!/usr/bin/env python3
"""Benchmark `bgprobe report` on 1,000,000 generated attempts (50 OS versions, 200 models).

1. generates a finished results directory (run.json, attempts/events/devices parquet) in
   bench/out/report_bench/ with a seeded, vectorised generator;
2. in a child process (so that its peak RSS is the report's alone): loads the directory, computes
   every figure (reports.metrics.build_report), renders the terminal and Markdown reports;
3. prints the timings and peak RSS, PASS/FAIL against 3 s and 1 GB, writes bench/out/report_bench.json.

Run: .venv/bin/python bench/report_bench.py [--attempts 1000000] [--seed 1] [--repeat 3] [--keep]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from precompile import compile_bgprobe

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
TIME_TARGET_S = 3.0
MEMORY_TARGET_MB = 1024.0

MANUFACTURERS = ("Google", "Samsung", "Xiaomi", "OnePlus", "Oppo", "Vivo", "Huawei", "Motorola", "Sony", "Apple")
CONDITIONS = ("baseline", "doze-deep", "bucket-rare", "battery-saver", "offline")
TASKS = ("sync", "upload", "refresh", "cleanup")
OUTCOME_P = {"failure": 0.3, "timeout": 0.2, "killed": 0.3, "stopped": 0.15, "not_started": 0.05}
KILL_REASONS = np.array(["lmkd:low_mem", "oem:OneKeyClean", "am:empty", "am:cached", "signal:9"])
STOP_REASONS = np.array(["constraints", "doze", "quota", "timeout", "app_standby"])


def generate(directory: Path, n_attempts: int, seed: int) -> dict[str, int]:
    """A results directory with ~n_attempts attempts; vectorised so that 1M rows take seconds."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    versions = [f"{9 + i // 4}.{i % 4}" if i % 4 else str(9 + i // 4) for i in range(50)]  # 50 versions, majors 9..21
    models = [(MANUFACTURERS[m % len(MANUFACTURERS)], f"model-{m:03d}") for m in range(200)]
    n_devices = 1000
    dev_model = np.arange(n_devices) % 200
    dev_version = rng.integers(0, 50, n_devices)
    devices = pd.DataFrame(
        {
            "device": [f"SER{d:05d}" for d in range(n_devices)],
            "platform": ["ios" if models[m][0] == "Apple" else "android" for m in dev_model],
            "os_version": [versions[v] for v in dev_version],
            "manufacturer": [models[m][0] for m in dev_model],
            "model": [models[m][1] for m in dev_model],
            "serial": [f"SER{d:05d}" for d in range(n_devices)],
        }
    )
    # Task runs: each a device x condition x task x repetition; attempts per run geometric (1..4).
    n_runs = int(n_attempts / 1.2)  # more than needed; cut below at exactly n_attempts attempts
    run_dev = rng.integers(0, n_devices, n_runs)
    run_cond = rng.integers(0, len(CONDITIONS), n_runs)
    run_task = rng.integers(0, len(TASKS), n_runs)
    p_success = 0.55 + 0.4 * (dev_version[run_dev] / 50.0) - 0.1 * (run_cond == 1)
    per_run = np.minimum(rng.geometric(np.clip(p_success, 0.05, 0.99)), 4)
    n_runs = int(np.searchsorted(np.cumsum(per_run), n_attempts, side="right"))
    per_run = per_run[:n_runs].copy()
    per_run[-1] += n_attempts - int(per_run.sum())  # the last run takes up the remainder
    run_dev, run_cond, run_task = run_dev[:n_runs], run_cond[:n_runs], run_task[:n_runs]
    total = int(per_run.sum())
    idx = np.repeat(np.arange(n_runs), per_run)
    attempt_no = np.arange(total) - np.repeat(np.cumsum(per_run) - per_run, per_run) + 1
    last = attempt_no == per_run[idx]
    succeeded = last & (rng.random(total) < 0.93)
    kinds = np.array(list(OUTCOME_P))
    fail_kind = kinds[rng.choice(len(kinds), total, p=list(OUTCOME_P.values()))]
    outcome = np.where(succeeded, "success", fail_kind)
    lost = rng.random(total) < 0.004
    outcome = np.where(lost, "device_lost", outcome)
    reason = np.where(
        outcome == "killed",
        KILL_REASONS[rng.integers(0, 5, total)],
        np.where(outcome == "stopped", STOP_REASONS[rng.integers(0, 5, total)], None),
    )
    t0 = np.datetime64("2025-01-01T00:00:00", "ms")
    sched = t0 + (idx * 30_000 + (attempt_no - 1) * 600_000).astype("timedelta64[ms]")
    duration = rng.lognormal(3.0, 1.0, total)
    started = sched + rng.integers(0, 120_000, total).astype("timedelta64[ms]")
    finished = started + (duration * 1000).astype("int64").astype("timedelta64[ms]")
    d = run_dev[idx]
    dev_names = devices["device"].to_numpy()[d]
    cond = np.array(CONDITIONS)[run_cond[idx]]
    task = np.array(TASKS)[run_task[idx]]
    rep = (idx + 1).astype(np.int64)  # one repetition number per task run: keys never collide
    attempt_id = pd.Series(dev_names).str.cat(
        [pd.Series(cond), pd.Series(task), pd.Series(rep.astype(str)), pd.Series(attempt_no.astype(str))], sep="|"
    )
    version = devices["os_version"].to_numpy()[d]
    attempts = pd.DataFrame(
        {
            "run_id": "bench-run",
            "attempt_id": attempt_id.astype("string"),
            "campaign": "bench",
            "device": pd.array(dev_names, dtype="string"),
            "platform": pd.Categorical(devices["platform"].to_numpy()[d]),
            "os_version": pd.array(version, dtype="string"),
            "os_major": pd.array([int(v.split(".")[0]) for v in versions], dtype="Int64")[dev_version[d]],
            "manufacturer": pd.array(devices["manufacturer"].to_numpy()[d], dtype="string"),
            "model": pd.array(devices["model"].to_numpy()[d], dtype="string"),
            "condition": pd.array(cond, dtype="string"),
            "task": pd.array(task, dtype="string"),
            "package": "com.example.app",
            "trigger": pd.Categorical(np.where(run_task[idx] % 2 == 0, "forced", "natural")),
            "repetition": pd.array(rep, dtype="Int64"),
            "attempt": pd.array(attempt_no, dtype="Int64"),
            "outcome": pd.Categorical(
                outcome,
                categories=[
                    "success",
                    "failure",
                    "timeout",
                    "killed",
                    "stopped",
                    "not_started",
                    "device_lost",
                    "skipped",
                ],
            ),
            "reason": pd.array(reason, dtype="string"),
            "detail": pd.array([None] * total, dtype="string"),
            "scheduled": sched,
            "started": started,
            "finished": finished,
            "duration_s": pd.array(duration, dtype="Float64"),
            "shard": pd.array([None] * total, dtype="string"),
            "schema": pd.array(np.ones(total, dtype=np.int64), dtype="Int64"),
        }
    )
    attempts.to_parquet(directory / "attempts.parquet", index=False)
    devices.to_parquet(directory / "devices.parquet", index=False)
    events = _events(rng, devices, 20_000)
    events.to_parquet(directory / "events.parquet", index=False)
    (directory / "run.json").write_text(
        json.dumps(
            {
                "run_id": "bench-run",
                "campaign": "bench",
                "scenario": "bench.toml",
                "shard": None,
                "started": "2025-01-01T00:00:00",
                "finished": "2025-01-09T00:00:00",
                "bgprobe_version": "0.1.0",
                "planned": n_runs,
            }
        )
    )
    return {"attempts": total, "task_runs": n_runs, "events": len(events)}


def _events(rng: np.random.Generator, devices: pd.DataFrame, n: int) -> pd.DataFrame:
    pick = rng.integers(0, len(devices), n)
    kinds = np.array(["process_killed", "process_died", "anr", "job_timeout", "job_stopped"])[rng.integers(0, 5, n)]
    ts = np.datetime64("2025-01-01T00:00:00", "ms") + (np.arange(n) * 60_000).astype("timedelta64[ms]")
    return pd.DataFrame(
        {
            "ts": ts,
            "device": devices["device"].to_numpy()[pick],
            "platform": devices["platform"].to_numpy()[pick],
            "os_version": devices["os_version"].to_numpy()[pick],
            "kind": kinds,
            "package": "com.example.app",
            "process": "com.example.app",
            "pid": np.arange(n) + 1000,
            "uid": "u0a100",
            "job": "7",
            "reason": KILL_REASONS[rng.integers(0, 5, n)],
            "detail": None,
            "source": np.array(["lmkd", "logcat:ActivityManager", "exit-info"])[rng.integers(0, 3, n)],
            "where": "live",
            "data": "{}",
        }
    )


def measure(directory: Path) -> dict[str, float]:
    """Runs in the child: load + figures, then the terminal and Markdown renderings."""
    from bgprobe.cli.console import Output
    from bgprobe.reports.metrics import build_report
    from bgprobe.reports.render_markdown import render_markdown
    from bgprobe.reports.render_terminal import render_report
    from bgprobe.reports.results import REPORT_COLUMNS, load_results

    t0 = time.perf_counter()
    results = load_results([directory], columns=REPORT_COLUMNS)  # as `bgprobe report` does
    t1 = time.perf_counter()
    report = build_report(results.attempts, results.events, results.outcome.notes)
    t2 = time.perf_counter()
    out = Output(no_color=True)
    from rich.console import Console

    out.__dict__["out"] = Console(file=io.StringIO(), width=160, no_color=True)
    render_report(out, report, results)
    t3 = time.perf_counter()
    markdown = render_markdown(report, results)
    t4 = time.perf_counter()
    peak_mb = _peak_rss_mb()
    return {
        "load_s": t1 - t0,
        "compute_s": t2 - t1,
        "terminal_s": t3 - t2,
        "markdown_s": t4 - t3,
        "total_s": t4 - t0,
        "peak_rss_mb": peak_mb,
        "attempts": len(results.attempts),
        "markdown_chars": len(markdown),
    }


def _peak_rss_mb() -> float:
    """VmHWM: this process's own high-water mark. (ru_maxrss is inherited from the parent across fork
    and exec on Linux, so a child started by the 1 GB generator would report the generator's peak.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    compile_bgprobe()  # time what an installed user runs (see precompile.py)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (each in a fresh process); best is reported")
    parser.add_argument("--keep", action="store_true", help="keep the generated results directory")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child))))
        return 0
    directory = OUT / "report_bench"
    shutil.rmtree(directory, ignore_errors=True)
    t = time.perf_counter()
    sizes = generate(directory, args.attempts, args.seed)
    print(
        f"generated {sizes['attempts']:,} attempts, {sizes['task_runs']:,} task runs, {sizes['events']:,} events "
        f"in {time.perf_counter() - t:.1f} s -> {directory}"
    )
    runs = []
    for _ in range(args.repeat):
        child = subprocess.run([sys.executable, __file__, "--child", str(directory)], capture_output=True, text=True)
        if child.returncode:
            print(child.stderr, file=sys.stderr)
            return 1
        runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["total_s"])
    peak = max(r["peak_rss_mb"] for r in runs)
    ok_time, ok_mem = best["total_s"] <= TIME_TARGET_S, peak <= MEMORY_TARGET_MB
    print(
        f"load {best['load_s']:.2f} s · figures {best['compute_s']:.2f} s · terminal {best['terminal_s']:.2f} s · "
        f"markdown {best['markdown_s']:.2f} s"
    )
    every = ", ".join(f"{r['total_s']:.2f}" for r in runs)
    print(
        f"total {best['total_s']:.2f} s (best of {args.repeat}; all: {every}) "
        f"target {TIME_TARGET_S:.0f} s: {'PASS' if ok_time else 'FAIL'}"
    )
    print(f"peak RSS {peak:.0f} MB, target {MEMORY_TARGET_MB:.0f} MB: {'PASS' if ok_mem else 'FAIL'}")
    OUT.mkdir(exist_ok=True)
    (OUT / "report_bench.json").write_text(
        json.dumps({**sizes, "runs": runs, "best": best, "peak_rss_mb": peak, "pass": ok_time and ok_mem}, indent=2)
    )
    if not args.keep:
        shutil.rmtree(directory, ignore_errors=True)
    return 0 if ok_time and ok_mem else 1


if __name__ == "__main__":
    sys.exit(main())
