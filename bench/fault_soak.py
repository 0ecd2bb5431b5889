"""Fault soak: attack bgprobe's promises about phones with random faults, many rounds, and count what
broke. Not part of the test suite (it runs for minutes); `tests/android/test_faults.py` holds one
deterministic test per fault.

Each round picks a phone of a simulated fleet (real adb server, simulated adbd), may first put it in
an odd state by hand (forced deep or light idle, a faked battery, a restricted app, Wi-Fi off), reads
its raw state through adb, then injects one fault:

- `kill-state-set`: `bgprobe state set` of random keys, SIGKILLed after a random delay; `restore`.
- `concurrent-loops`: two processes loop `state set` / `restore` on the same phone.
- `second-run`: a campaign holds the phone; a second `run` and a `state set` try it meanwhile.
- `kill-run-resume-twice`: a campaign SIGKILLed mid-run, then two `run --resume` of its directory at once.
- `kill-restore`: a `restore` SIGKILLed mid-way, then another `restore`.

After each round the phone's raw state must equal what it was before the fault (after `restore`
where the fault left a journal), the results must hold every planned run once, and no command may
exit 70 or print a traceback.

    .venv/bin/python bench/fault_soak.py [--rounds 40] [--seed 1] [--android 4]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import adbutils
from bgprobe.sim.fleet import SimFleet
from precompile import compile_bgprobe

PKG = "com.example.syncapp"
KEYS = {
    "doze": ["deep", "light", "off"],
    "battery": ["unplugged", "plugged"],
    "level": ["15", "55", "90"],
    "saver": ["off"],
    "network": ["offline", "wifi-only", "data-only", "airplane", "online"],
    "bucket": ["working_set", "frequent", "rare"],
    "restrict": ["on", "off"],
}
ARRIVALS = {
    "default": [],
    "forced deep idle": ["dumpsys deviceidle force-idle deep"],
    "forced light idle": ["dumpsys deviceidle force-idle light"],
    "battery faked 55 unplugged": ["dumpsys battery set level 55", "dumpsys battery unplug"],
    "restricted, rare, wifi off": [
        f"cmd appops set {PKG} RUN_ANY_IN_BACKGROUND ignore",
        f"am set-standby-bucket {PKG} rare",
        "svc wifi disable",
    ],
}
RESET = [
    "dumpsys deviceidle unforce",
    "dumpsys battery reset",
    f"am set-standby-bucket {PKG} active",
    f"cmd appops set {PKG} RUN_ANY_IN_BACKGROUND allow",
    "svc wifi enable",
    "svc data enable",
    "cmd connectivity airplane-mode disable",
    "cmd power set-mode 0",
]
CAMPAIGN = f"""
[campaign]
name = "soak"
repetitions = 3
attempt_timeout = "3s"
settle = "0.2s"

[[app]]
package = "{PKG}"

[[task]]
name = "upload"
job = 7
trigger = "forced"

[[task]]
name = "cleanup"
job = 12
trigger = "natural"
window = "2s"

[[condition]]
name = "deep"
set = {{ doze = "deep" }}

[[condition]]
name = "restricted-offline"
set = {{ restrict = "on", network = "offline" }}
"""


class Soak:
    def __init__(self, fleet: SimFleet, work: Path, rng: random.Random) -> None:
        self.fleet = fleet
        self.work = work
        self.rng = rng
        self.env = {
            **os.environ,
            "ADB_SERVER_SOCKET": f"tcp:127.0.0.1:{fleet.adb_port}",
            "BGPROBE_STATE_DIR": str(work / "state"),
            "ANDROID_SERIAL": "",
            "COLUMNS": "200",
        }
        self.client = adbutils.AdbClient(host="127.0.0.1", port=fleet.adb_port)
        # the figures that must stay 0 are listed from the start, so a clean soak prints them as 0
        self.figures: Counter[str] = Counter(
            {"phones left changed": 0, "attempts doubled": 0, "planned runs lost": 0, "internal errors": 0}
        )
        self.failures: list[str] = []

    # -- the phone, read through adb ----------------------------------------------------------
    def shell(self, serial: str, command: str) -> str:
        return self.client.device(serial).shell(command)

    def raw(self, serial: str) -> dict[str, str]:
        idle = self.shell(serial, "dumpsys deviceidle")
        return {
            "deviceidle": " ".join(
                x.strip() for x in idle.splitlines() if x.strip().startswith(("mForceIdle=", "mState="))
            ),
            "battery": self.shell(serial, "dumpsys battery"),
            "settings": " ".join(
                self.shell(serial, f"settings get global {k}").strip()
                for k in ("low_power", "wifi_on", "mobile_data", "airplane_mode_on")
            ),
            "bucket": self.shell(serial, f"am get-standby-bucket {PKG}").strip(),
            "appops": self.shell(serial, f"cmd appops get {PKG} RUN_ANY_IN_BACKGROUND").split(";")[0].strip(),
        }

    # -- running bgprobe ------------------------------------------------------------------------
    def cli(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "bgprobe.cli", *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        self.check_clean(args, proc.returncode, proc.stderr)
        return proc

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "bgprobe.cli", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def check_clean(self, args: tuple[str, ...], code: int | None, stderr: str) -> None:
        self.figures["commands"] += 1
        if code == 70 or "Traceback" in stderr:
            self.figures["internal errors"] += 1
            self.failures.append(f"internal error: bgprobe {' '.join(args)}: {stderr.strip()[-300:]}")

    def finish(self, proc: subprocess.Popen[str], args: tuple[str, ...], timeout: float = 180) -> int:
        _, err = proc.communicate(timeout=timeout)
        if proc.returncode not in (-signal.SIGKILL,):
            self.check_clean(args, proc.returncode, err)
        return proc.returncode

    # -- one round ------------------------------------------------------------------------------
    def round(self, n: int) -> None:
        serial = self.rng.choice(sorted(self.fleet.devices))
        sdk = self.fleet.device(serial).profile.sdk
        arrival = self.rng.choice(list(ARRIVALS))
        if sdk < 24 and "light" in arrival:
            arrival = "default"
        for command in ARRIVALS[arrival]:
            self.shell(serial, command)
        before = self.raw(serial)
        fault = self.rng.choice(
            ["kill-state-set", "concurrent-loops", "second-run", "kill-run-resume-twice", "kill-restore"]
        )
        self.figures[f"fault: {fault}"] += 1
        getattr(self, fault.replace("-", "_"))(serial, sdk, n)
        # whatever the fault left journaled, `restore` finishes it; then the phone is as it came
        self.cli("restore", "--lock-wait", "120")
        after = self.raw(serial)
        self.figures["phones checked"] += 1
        if after != before:
            self.figures["phones left changed"] += 1
            diff = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
            self.failures.append(f"round {n} {fault} on {serial} ({arrival}): left changed: {diff}")
        for command in RESET:
            self.shell(serial, command)

    def keys(self, sdk: int) -> list[str]:
        chosen = self.rng.sample(sorted(KEYS), self.rng.randint(1, 4))
        items = []
        for key in chosen:
            values = [v for v in KEYS[key] if not (v == "light" and sdk < 24) and not (v == "airplane" and sdk < 28)]
            items.append(f"{key}={self.rng.choice(values)}")
        if sdk < 28:
            items = [i for i in items if not i.startswith(("bucket", "restrict"))] or ["saver=off"]
        return items

    def kill_state_set(self, serial: str, sdk: int, n: int) -> None:
        args = ("state", "set", *self.keys(sdk), "-p", PKG, "-s", serial)
        proc = self.popen(*args)
        time.sleep(self.rng.uniform(0.3, 2.0))
        proc.send_signal(signal.SIGKILL)
        self.finish(proc, args)

    def concurrent_loops(self, serial: str, sdk: int, n: int) -> None:
        procs = []
        for _ in range(2):
            keys = " ".join(self.keys(sdk))
            loop = (
                f"for i in 1 2; do {sys.executable} -m bgprobe.cli state set {keys} -p {PKG} -s {serial}"
                " --lock-wait 120;"
                f" {sys.executable} -m bgprobe.cli restore -s {serial} --lock-wait 120; done"
            )
            procs.append(
                subprocess.Popen(
                    ["bash", "-c", loop], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
                )
            )
        for proc in procs:
            _, err = proc.communicate(timeout=300)
            self.check_clean(("loop",), 70 if "Traceback" in err or "internal error" in err else 0, err)

    def second_run(self, serial: str, sdk: int, n: int) -> None:
        scenario = self.work / f"s{n}.toml"
        scenario.write_text(CAMPAIGN)
        first = self.popen("run", str(scenario), "--out", str(self.work / f"r{n}a"), "--quiet", "-s", serial)
        time.sleep(self.rng.uniform(1.5, 4.0))
        held = self.raw(serial)
        second = self.cli("run", str(scenario), "--out", str(self.work / f"r{n}b"), "-s", serial, "--lock-wait", "0.5")
        setter = self.cli("state", "set", "doze=off", "-s", serial, "--lock-wait", "0.5")
        if first.poll() is None:
            self.figures["second commands refused while a run held the phone"] += (second.returncode == 3) + (
                setter.returncode == 3
            )
            if self.raw(serial) != held:
                self.figures["held conditions disturbed"] += 1
                self.failures.append(f"round {n}: a second command changed a phone a run was holding")
        self.finish(first, ("run",), timeout=300)
        self.account(self.work / f"r{n}a", n)

    def kill_run_resume_twice(self, serial: str, sdk: int, n: int) -> None:
        scenario = self.work / f"s{n}.toml"
        scenario.write_text(CAMPAIGN)
        out = self.work / f"r{n}"
        first = self.popen("run", str(scenario), "--out", str(out), "--quiet", "-s", serial)
        time.sleep(self.rng.uniform(1.0, 8.0))
        first.send_signal(signal.SIGKILL)
        first.wait()
        if not (out / "run.json").exists():
            return
        a = self.popen("run", "--resume", str(out), "--quiet", "-s", serial, "--lock-wait", "120")
        time.sleep(self.rng.uniform(0.0, 0.5))
        b = self.popen("run", "--resume", str(out), "--quiet", "-s", serial, "--lock-wait", "120")
        codes = sorted([self.finish(a, ("run", "--resume")), self.finish(b, ("run", "--resume"))])
        self.figures["concurrent resumes refused"] += codes.count(2)
        self.account(out, n)

    def kill_restore(self, serial: str, sdk: int, n: int) -> None:
        self.cli("state", "set", *self.keys(sdk), "-p", PKG, "-s", serial)
        proc = self.popen("restore", "-s", serial)
        time.sleep(self.rng.uniform(0.1, 1.0))
        proc.send_signal(signal.SIGKILL)
        self.finish(proc, ("restore",))

    def account(self, out: Path, n: int) -> None:
        """Every planned run once: none lost, none doubled."""
        if not (out / "plan.jsonl").exists():
            return
        planned = {json.loads(x)["task_run"] for x in (out / "plan.jsonl").read_text().splitlines() if x.strip()}
        rows = [json.loads(x) for x in (out / "attempts.jsonl").read_text().splitlines() if x.strip()]
        ids = [r["attempt_id"] for r in rows]
        doubled = len(ids) - len(set(ids))
        runs = {i.rsplit("|", 1)[0] for i in ids}
        lost = len(planned - runs)
        self.figures["attempts recorded"] += len(ids)
        self.figures["attempts doubled"] += doubled
        self.figures["planned runs lost"] += lost
        if doubled or lost:
            self.failures.append(f"round {n}: {out}: {doubled} doubled, {lost} planned runs missing")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--android", type=int, default=4)
    args = parser.parse_args()
    compile_bgprobe()
    rng = random.Random(args.seed)
    fleet = SimFleet(android=args.android, ios=0, speed=60.0, seed=args.seed)
    fleet.start()
    t0 = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="bgprobe-soak-") as tmp:
            soak = Soak(fleet, Path(tmp), rng)
            for n in range(1, args.rounds + 1):
                soak.round(n)
                print(f"round {n}/{args.rounds}: {dict(sorted(soak.figures.items()))}", file=sys.stderr, flush=True)
    finally:
        fleet.stop()
    print(f"fault soak, {args.rounds} rounds, seed {args.seed}, {time.monotonic() - t0:.0f} s")
    for key, value in sorted(soak.figures.items()):
        print(f"  {key}: {value}")
    for failure in soak.failures:
        print(f"  FAIL {failure}")
    return 1 if soak.failures else 0


if __name__ == "__main__":
    sys.exit(main())
