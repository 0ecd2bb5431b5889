"""The same per-device campaign on 1 and on 32 simulated phones, in one run.

Target (issue: campaigns): 32 devices in at most 1.3x the wall time of one (devices run in
parallel, one worker each). Each fleet has its own private adb server (the real one).

    .venv/bin/python bench/campaign_bench.py [--sizes 1,32] [--speed 600]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bgprobe.sim.android.profile import DeviceProfile, default_profiles, demo_app, other_apps
from bgprobe.sim.fleet import SimFleet
from precompile import compile_bgprobe

SCENARIO = """
[campaign]
name = "bench"
repetitions = 3
attempt_timeout = "5s"
settle = "0.2s"
retry = { count = 1, backoff = "0.2s" }

[[app]]
package = "com.example.syncapp"

[[task]]
name = "upload"
job = 7
trigger = "forced"
started = 'job (?P<job>\\d+) started'
finished = 'job (?P<job>\\d+) finished \\(success\\)'
failed = 'job (?P<job>\\d+) finished \\(failure\\)'

[[task]]
name = "sync"
scheduler = "workmanager"
job = 1042
worker = "com.example.syncapp.SyncWorker"
trigger = "forced"

[[condition]]
name = "baseline"

[[condition]]
name = "restricted"
set = { restrict = "on" }
"""


def twins(n: int) -> list[DeviceProfile]:
    """n copies of one phone (the first of the default fleet) that do the same work when asked the same.

    "The same per-device scenario" on 1 and on 32 phones: with the default mixed fleet the 32-phone
    run would also hold slower phones (OEM killers, older releases) and its wall time would be that
    of the unluckiest one, which measures the fleet rather than bgprobe's parallelism. Twins share
    their random draws (job durations, the app's 20 % failures and so its retries) and have no random
    background killer, so every phone runs the same attempts.
    """
    base = default_profiles(1)[0]
    return [
        dataclasses.replace(
            base,
            serial=f"{base.serial}-{i:02d}",
            apps=[demo_app(base.serial), *other_apps()],
            behaviour_seed="twin",
            kill_policy="none",  # memory-pressure kills are drawn per clock tick: twins would part ways
        )
        for i in range(1, n + 1)
    ]


def one_size(n: int, speed: float, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    scenario = work / "bench.toml"
    scenario.write_text(SCENARIO)
    out = work / f"results-{n}"
    with SimFleet(android=twins(n), ios=0, speed=speed, seed=11) as fleet:
        env = {
            **os.environ,
            "ADB_SERVER_SOCKET": f"tcp:127.0.0.1:{fleet.adb_port}",
            "ANDROID_SERIAL": "",
            "BGPROBE_STATE_DIR": str(work / f"state-{n}"),
        }
        t0 = time.perf_counter()
        before = os.times()
        proc = subprocess.run(
            [sys.executable, "-m", "bgprobe.cli", "run", str(scenario), "--out", str(out), "--quiet"],
            capture_output=True,
            text=True,
            env=env,
        )
        wall = time.perf_counter() - t0
        after = os.times()
        cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        sim_cpu = (after.user - before.user) + (after.system - before.system)  # the simulated phones
    rows = [json.loads(x) for x in (out / "attempts.jsonl").read_text().splitlines() if x.strip()]
    runs = {r["attempt_id"].rsplit("|", 1)[0] for r in rows}
    return {
        "devices": n,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "sim_cpu_s": round(sim_cpu, 2),
        "exit": proc.returncode,
        "attempts": len(rows),
        "task_runs": len(runs),
        "expected_task_runs": n * 2 * 2 * 3,
    }


def main() -> int:
    compile_bgprobe()  # time what an installed user runs (see precompile.py)
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,32")
    ap.add_argument("--speed", type=float, default=600.0)
    ap.add_argument("--repeat", type=int, default=3, help="runs per size, alternating; medians are compared")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    runs: dict[int, list[dict]] = {n: [] for n in sizes}
    with tempfile.TemporaryDirectory() as tmp:
        for round_no in range(args.repeat):
            for n in sizes:  # alternate sizes, so that a slow spell of the machine hits both
                r = one_size(n, args.speed, Path(tmp) / f"{round_no}")
                runs[n].append(r)
                print(
                    f"{n:>3} device(s): {r['wall_s']}s wall "
                    f"({r['cpu_s']}s CPU in bgprobe, {r['sim_cpu_s']}s in the phones), "
                    f"{r['task_runs']}/{r['expected_task_runs']} task runs, "
                    f"{r['attempts']} attempts, exit {r['exit']}"
                )
    median = {n: statistics.median(r["wall_s"] for r in runs[n]) for n in sizes}
    ratio = median[sizes[-1]] / median[sizes[0]]
    complete = all(r["task_runs"] == r["expected_task_runs"] for rs in runs.values() for r in rs)
    ok = ratio <= 1.3 and complete
    print(
        f"median wall: {', '.join(f'{n} device(s) {median[n]:.2f}s' for n in sizes)}\n"
        f"ratio {sizes[-1]} vs {sizes[0]}: {ratio:.2f}x (target <= 1.3x); "
        f"all task runs done: {complete} -> {'PASS' if ok else 'FAIL'}"
    )
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "campaign_bench.json").write_text(
        json.dumps({"runs": runs, "median_wall_s": median, "ratio": ratio, "pass": ok}, indent=2)
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
