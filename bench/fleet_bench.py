"""Start and stop of a simulated fleet (4 Android phones + 1 iPhone by default), in seconds.

Start includes the private adb server, every `adb connect` and waiting until the real adb server
lists each phone as `device`; stop includes `adb kill-server` and closing every listener.

    .venv/bin/python bench/fleet_bench.py [--android 4] [--ios 1] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bgprobe.sim.fleet import SimFleet
from precompile import compile_bgprobe


def main() -> None:
    compile_bgprobe()  # time what an installed user runs (see precompile.py)
    ap = argparse.ArgumentParser()
    ap.add_argument("--android", type=int, default=4)
    ap.add_argument("--ios", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    starts, stops = [], []
    for _ in range(args.repeat):
        fleet = SimFleet(android=args.android, ios=args.ios, speed=60)
        t0 = time.perf_counter()
        fleet.start()
        starts.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fleet.stop()
        stops.append(time.perf_counter() - t0)
    print(
        f"fleet of {args.android} Android + {args.ios} iOS: start median {statistics.median(starts):.2f}s "
        f"(min {min(starts):.2f}, max {max(starts):.2f}); stop median {statistics.median(stops):.2f}s "
        f"(max {max(stops):.2f})"
    )


if __name__ == "__main__":
    main()
