"""`bgprobe devices` on 1 and on 16 simulated phones, in one run.

Target (issue: Android live): 16 devices take at most 1.5x the wall time of one, because devices
are queried in parallel. Each fleet has its own private adb server (the real one).

    .venv/bin/python bench/devices_bench.py [--sizes 1,16] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bgprobe.sim.fleet import SimFleet
from precompile import compile_bgprobe


def time_devices(port: int, repeat: int) -> tuple[float, int, list[float]]:
    env = {**os.environ, "ADB_SERVER_SOCKET": f"tcp:127.0.0.1:{port}", "ANDROID_SERIAL": ""}
    runs, count = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "bgprobe.cli", "devices", "--json"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        runs.append(time.perf_counter() - t0)
        rows = [json.loads(line) for line in out.stdout.splitlines()]
        count = sum(1 for r in rows if not r.get("error"))
    return min(runs), count, [round(r, 3) for r in runs]


def main() -> int:
    compile_bgprobe()  # time what an installed user runs (see precompile.py)
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,16")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    results = {}
    for n in (int(x) for x in args.sizes.split(",")):
        t0 = time.perf_counter()
        with SimFleet(android=n, ios=0, speed=60.0) as fleet:
            started = time.perf_counter() - t0
            best, count, runs = time_devices(fleet.adb_port, args.repeat)
        results[n] = {
            "devices_found": count,
            "best_s": round(best, 3),
            "runs_s": runs,
            "fleet_start_s": round(started, 2),
        }
        print(
            f"{n:>3} device(s): bgprobe devices best {best:.3f}s (runs {runs}), found {count}; "
            f"fleet start {started:.2f}s"
        )
    sizes = sorted(results)
    ratio = results[sizes[-1]]["best_s"] / results[sizes[0]]["best_s"]
    ok = ratio <= 1.5 and all(results[n]["devices_found"] == n for n in sizes)
    print(f"ratio {sizes[-1]} vs {sizes[0]}: {ratio:.2f}x (target <= 1.5x) -> {'PASS' if ok else 'FAIL'}")
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "devices_bench.json").write_text(json.dumps({"results": results, "ratio": ratio, "pass": ok}, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
