"""`bgprobe sim start --detach` runs this in a background process: start a fleet, publish how to
reach it in a state file, and stop everything cleanly on SIGTERM / SIGINT."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from bgprobe.sim.android.profile import load_ios_profiles, load_profiles
from bgprobe.sim.fleet import SimFleet


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bgprobe-sim-daemon")
    ap.add_argument("--state", required=True, type=Path)
    ap.add_argument("--android", type=int, default=4)
    ap.add_argument("--ios", type=int, default=1)
    ap.add_argument("--profile", type=Path)
    ap.add_argument("--speed", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    android = load_profiles(args.profile) if args.profile else args.android
    ios = (load_ios_profiles(args.profile) or args.ios) if args.profile else args.ios
    fleet = SimFleet(android=android, ios=ios, speed=args.speed, seed=args.seed)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        info = fleet.start()
        info.pid = os.getpid()
        tmp = args.state.with_suffix(".tmp")
        tmp.write_text(json.dumps(info.to_json(), indent=2))
        tmp.replace(args.state)  # atomic: readers never see half a file
        stop.wait()
    except Exception as exc:  # the parent reads this from the state file instead of waiting forever
        args.state.write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return 1
    finally:
        fleet.stop()
        if args.state.exists() and "error" not in args.state.read_text():
            args.state.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
