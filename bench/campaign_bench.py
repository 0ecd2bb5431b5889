"""The same per-device campaign on 1 and on 32 simulated phones, in one run.

Target (issue: campaigns): 32 devices in at most 1.3x the wall time of one (devices run in
parallel, one worker each). Each fleet has its own private adb server (the real one).

    .venv/bin/python bench/campaign_bench.py [--sizes 1,32] [--speed 600]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def one_size(n: int, speed: float, work: Path) -> dict:
    scenario = work / "bench.toml"
    scenario.write_text(SCENARIO)
    out = work / f"results-{n}"
    with SimFleet(android=n, ios=0, speed=speed, seed=11) as fleet:
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
    rows = [json.loads(x) for x in (out / "attempts.jsonl").read_text().splitlines() if x.strip()]
    runs = {r["attempt_id"].rsplit("|", 1)[0] for r in rows}
    return {
        "devices": n,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
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
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.sizes.split(",")):
            r = one_size(n, args.speed, Path(tmp))
            results.append(r)
            print(
                f"{n:>3} device(s): {r['wall_s']}s wall ({r['cpu_s']}s CPU in bgprobe), "
                f"{r['task_runs']}/{r['expected_task_runs']} task runs, "
                f"{r['attempts']} attempts, exit {r['exit']}"
            )
    ratio = results[-1]["wall_s"] / results[0]["wall_s"]
    complete = all(r["task_runs"] == r["expected_task_runs"] for r in results)
    ok = ratio <= 1.3 and complete
    print(
        f"ratio {results[-1]['devices']} vs {results[0]['devices']}: {ratio:.2f}x (target <= 1.3x); "
        f"all task runs done: {complete} -> {'PASS' if ok else 'FAIL'}"
    )
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "campaign_bench.json").write_text(json.dumps({"results": results, "ratio": ratio, "pass": ok}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
