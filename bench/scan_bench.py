#!/usr/bin/env python3
"""Benchmark `bgprobe scan --json` on a large synthetic threadtime logcat.

What it does (see bench/README.md):
1. writes a realistic logcat file of --size-mb MB into bench/out/, streamed to disk in blocks,
   with --kills kill/death lines at random places and noise that contains none of the scanner's
   SIGNATURES (checked while building the noise and again with `grep -F` on the finished file);
2. times `grep -c -E '<kill signatures>' FILE` and `bgprobe scan --json FILE` (best of 3 wall);
3. checks that every injected kill/death is reported (pid, kind, line number, timestamp) and
   that no process_killed/process_died event is invented;
4. measures the scanner's peak RSS, also for the extra --memory-sizes;
5. prints a summary and writes bench/out/scan_bench.json.

Run: .venv/bin/python bench/scan_bench.py [--size-mb 100] [--kills 5000] [--seed 1] [--keep]
     [--memory-sizes 100,1000] [--summary-kills 951000] [--tar]

--summary-kills N adds a --size-mb file of N kill/death lines scanned without --json (the terminal
summary: time and peak RSS); --tar adds the timed file as the member of a sysdiagnose-like .tar.gz.
"""

# ruff: noqa: E501  (log-line templates are long by nature)
from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from precompile import compile_bgprobe

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
VENV_BIN = Path(sys.executable).parent
BGPROBE = str(VENV_BIN / "bgprobe") if (VENV_BIN / "bgprobe").exists() else shutil.which("bgprobe") or "bgprobe"

SPEED_TARGET = 5.0  # scan wall time <= 5 x grep -c wall time, up to 3 % close-look lines (--density)
SPEED_TARGET_DENSE = 10.0  # ... and above 3 % (issue 11 checks 30 %: a phone churning processes)
MEMORY_FLAT_FACTOR = 1.5  # peak RSS of the largest input <= 1.5 x the smallest one's
SUMMARY_RSS_TARGET_MB = 150  # `bgprobe scan FILE` (summary) of a log of ~1M kills
WRITE_BLOCK = 4 << 20
START = dt.datetime(2024, 10, 30, 8, 0, 0)

# The kill/death signatures this benchmark injects; grep -c -E uses their alternation.
KILL_SIGNATURES = ("Killing ", "Kill '", "has died", "Force stopping ", "exited due to signal", "am_kill")
GREP_PATTERN = "|".join(KILL_SIGNATURES)

try:  # the scanner's own pre-filter list: the noise must never contain any of these
    from bgprobe.collectors.parsers.android_log import CONTEXT_SIGNATURES as _CONTEXT
    from bgprobe.collectors.parsers.android_log import EVIDENCE as _EVIDENCE
    from bgprobe.collectors.parsers.android_log import SIGNATURES as _SIGS

    SIGNATURES: tuple[str, ...] = tuple(s.decode() for s in _SIGS)
    # Words that make the scanner read a line too (listed by --unrecognized when no rule reads it),
    # and the openers after which it reads a few more lines: what --density counts as a close look.
    EVIDENCE: tuple[str, ...] = tuple(s.decode() for s in _EVIDENCE)
    CONTEXT_AFTER: dict[str, int] = {k.decode(): n for k, n in _CONTEXT.items() if k in _SIGS}
except Exception:  # pragma: no cover - keep the benchmark usable if the module moves
    EVIDENCE = ()
    CONTEXT_AFTER = {"ANR in ": 6, "FATAL EXCEPTION": 6, "Killing '": 6}
    SIGNATURES = (
        *KILL_SIGNATURES,
        "Start proc ",
        "freezing ",
        "ANR in ",
        "FATAL EXCEPTION",
        "am_proc_died",
        "am_proc_start",
        "am_anr",
        "am_crash",
        "am_low_memory",
        "am_freeze",
        "am_unfreeze",
        "timed out while executing",
        "No response from client for",
        "Time-out while trying to bind",
        "WM-",
        "force stop abnormal wakelock",
    )

# ----------------------------------------------------------------------------------------------
# Vocabulary
# ----------------------------------------------------------------------------------------------
PACKAGES = (
    "com.google.android.gms",
    "com.google.android.gms.persistent",
    "com.android.chrome",
    "com.whatsapp",
    "com.instagram.android",
    "com.spotify.music",
    "org.telegram.messenger",
    "com.facebook.katana",
    "com.google.android.youtube",
    "com.android.vending",
    "com.google.android.apps.maps",
    "com.tencent.mm",
    "com.google.android.inputmethod.latin",
    "com.google.android.apps.photos",
    "com.netflix.mediaclient",
    "com.twitter.android",
    "com.snapchat.android",
    "com.ubercab",
    "com.amazon.mShop.android.shopping",
    "com.google.android.gm",
    "com.google.android.deskclock",
    "com.google.android.calendar",
    "com.microsoft.teams",
    "com.slack",
    "com.discord",
    "com.zhiliaoapp.musically",
    "com.reddit.frontpage",
    "com.duolingo",
    "com.strava",
    "de.mobilesoftwareag.clevertanken",
    "org.mozilla.firefox",
    "com.niksoftware.snapseed",
    "com.google.android.apps.docs",
    "com.google.android.documentsui",
    "com.google.android.cellbroadcastreceiver",
    "com.google.android.apps.wallpaper",
    "com.miui.securitycenter",
    "com.samsung.android.app.spage",
    "com.huawei.health",
    "com.example.fieldnotes",
    "io.homeassistant.companion.android",
    "com.adguard.android",
    "com.termux",
    "app.revanced.android.youtube",
    "com.mservice.momotransfer",
)
SUBPROCS = ("", "", "", "", ":remote", ":background", ":push", ":sync", ":widgetProvider", ":pushservice")
SHORT_TAGS = (
    "droid.apps.maps",
    "android.youtube",
    "ogle.android.gm",
    "e.android.chrome",
    "com.whatsapp",
    "id.gms.persistent",
    "m.spotify.music",
    "oid.apps.photos",
    "com.slack",
    "com.discord",
)
HOSTS = (
    "api.example.com",
    "graph.instagram.com",
    "i.ytimg.com",
    "firebaseinstallations.googleapis.com",
    "play.googleapis.com",
    "mtalk.google.com",
    "cdn.discordapp.com",
    "spclient.wg.spotify.com",
)
LMKD_REASONS = (
    "device is not responding",
    "min watermark is breached even after kill",
    "device is low on swap (123456kB < 209715kB) and thrashing (35%)",
    "low watermark is breached and swap is low (51200kB < 209715kB)",
    "min watermark is breached and swap utilization is high (89%)",
    "device is in direct reclaim and thrashing",
    "filecache is low (51220kB < 204800kB) after thrashing",
    "high watermark is breached and thrashing (120%)",
)
DIED_SUFFIXES = (
    ": fg  TOP",
    ": cch+5 CEM",
    ": cch CAC",
    ": prev LAST",
    ": svcb SVC",
    ": vis BFGS",
    ": fore TOP (2060,257)",
    ": cch+15 CEM",
    ": home HOM",
    ": psvc PER",
    "",
    ".",
)


@dataclass
class Injected:
    lineno: int
    kind: str  # process_killed | process_died
    key: tuple[str, object]  # ("pid", 1234) or ("pkg", "com.x") for force stops (they carry no pid)
    fmt: str
    ts: str  # "MM-DD HH:MM:SS.mmm"
    line: str


@dataclass
class GenResult:
    path: Path
    size: int
    lines: int
    injected: list[Injected] = field(default_factory=list)
    seconds: float = 0.0
    density: float = 0.0  # the share asked for, in per cent
    close_lines: int = 0  # lines the scanner reads: a pre-filter word, or read after an opener
    signature_lines: int = 0  # lines holding a SIGNATURE (grep -F -f must count exactly these)
    kill_signature_lines: int = 0  # lines `grep -c -E GREP_PATTERN` must count
    expected_other: collections.Counter = field(default_factory=collections.Counter)  # events of other kinds


# ----------------------------------------------------------------------------------------------
# Noise
# ----------------------------------------------------------------------------------------------
def _hex(rng: random.Random, n: int = 7) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def _pkg(rng: random.Random) -> str:
    return rng.choice(PACKAGES)


def _noise_templates(rng: random.Random):  # -> list of (weight, fn(rng) -> (lvl, tag, pid, tid, msg))
    ss = 1702  # system_server
    r = rng

    def t(n: int) -> int:
        return r.choice((ss, ss + r.randint(20, 3000)))

    def am_misc(r):
        p = _pkg(r)
        msg = r.choice(
            (
                f"Unable to start service Intent {{ act=com.google.android.gms.ads.identifier.service.START pkg={p} }} U=0: not found",
                f"Background start not allowed: service Intent {{ act=com.google.firebase.MESSAGING_EVENT pkg={p} cmp={p}/.FcmService }} to {p}/.FcmService from pid={r.randint(2000, 40000)} uid={r.randint(10000, 10400)} pkg={p} startFg?=false",
                # a restart already pending, moved on memory pressure (ActiveServices.performScheduleRestartLocked);
                # "Scheduling restart ..." is a death of the service's process, no noise
                f"Rescheduling restart of crashed service {p}/.sync.SyncService in {r.choice((1000, 4000, 16000, 64000))}ms for config",
                f"Spurious death for ProcessRecord{{{_hex(r)} {r.randint(2000, 40000)}:{p}/u0a{r.randint(10, 400)}}}, curProc for {r.randint(2000, 40000)}: null",
                f"Displayed {p}/.ui.MainActivity: +{r.randint(200, 2500)}ms",
                f"Killing-time heuristic skipped for {p}: proc state unchanged",
                f"Process {p} (pid {r.randint(2000, 40000)}) died before binding, rescheduling",
                f"Kill switch for {p} is off, keeping cached",
                f"Service {p}/.media.PlaybackService died, restarting in {r.randint(1, 60)}s",
                f"setHasOverlayUi called on unknown pid: {r.randint(2000, 40000)}",
                f"Slow operation: {r.randint(51, 400)}ms so far, now at startProcess: done updating pids map",
                f"Waited long enough for: ServiceRecord{{{_hex(r)} u0 {p}/.work.BackgroundService}}",
            )
        )
        return (r.choice("IWD"), "ActivityManager", ss, t(ss), msg)

    def cpu_tracker(r):
        return ("W", "ProcessCpuTracker", ss, t(ss), f"Skipping unknown process pid {r.randint(2000, 40000)}")

    def wm(r):
        p = _pkg(r)
        msg = r.choice(
            (
                f"Changing focus from Window{{{_hex(r)} u0 {p}/{p}.MainActivity}} to null displayId=0 Callers=com.android.server.wm.RootWindowContainer.updateFocusedWindowLocked:476 com.android.server.wm.WindowManagerService.updateFocusedWindowLocked:5735",
                f"WIN DEATH: Window{{{_hex(r)} u0 {p}/{p}.MainActivity}}",
                f"Destroying surface Surface(name={p}/{p}.MainActivity)/@0x{_hex(r)} called by com.android.server.wm.WindowStateAnimator.destroySurface:1234",
                f"Failed looking up window session=Session{{{_hex(r)} {r.randint(2000, 40000)}:u0a{r.randint(10, 400)}}} callers=com.android.server.wm.WindowManagerService.windowForClientLocked:5899",
                f"Relayout Window{{{_hex(r)} u0 {p}/{p}.MainActivity}}: viewVisibility=0 req={r.randint(300, 1440)}x{r.randint(600, 3200)}",
            )
        )
        return (r.choice("IWV"), "WindowManager", ss, t(ss), msg)

    def atm(r):
        p = _pkg(r)
        msg = r.choice(
            (
                f"Force removing ActivityRecord{{{_hex(r)} u0 {p}/.MainActivity t{r.randint(2, 400)}}}: app died, no saved state",
                f"START u0 {{act=android.intent.action.MAIN cat=[android.intent.category.LAUNCHER] flg=0x10200000 cmp={p}/.MainActivity}} from uid 10{r.randint(100, 400)}",
                f"Activity top resumed state loss timeout for ActivityRecord{{{_hex(r)} u0 {p}/.MainActivity t{r.randint(2, 400)}}}",
            )
        )
        return (r.choice("IW"), "ActivityTaskManager", ss, t(ss), msg)

    def chatty(r):
        who = r.choice(("1000(system)", "1000(system)", f"10{r.randint(100, 400)}({_pkg(r)})", "1041(audioserver)"))
        what = r.choice((f"identical {r.randint(1, 40)} lines", f"expire {r.randint(1, 40)} lines"))
        thr = r.choice(("Binder:1702_5 ", "HeapTaskDaemon ", "RenderThread ", "", "android.bg ", "PowerManagerSer "))
        return ("I", "chatty", r.choice((ss, r.randint(500, 40000))), r.randint(500, 40000), f"uid={who} {thr}{what}")

    def connectivity(r):
        n = r.randint(100, 400)
        msg = r.choice(
            (
                f"NetworkAgentInfo [WIFI () - {n}] validation passed",
                f"ConnectivityService NetworkRequestInfo binderDied(NetworkRequest [ LISTEN id={r.randint(10, 900)}, [ Capabilities: INTERNET&NOT_RESTRICTED&TRUSTED&NOT_VPN&FOREGROUND Uid: 10{r.randint(100, 400)} RequestorUid: 10{r.randint(100, 400)} RequestorPackageName: {_pkg(r)}] ], android.os.BinderProxy@{_hex(r)})",
                f"requestNetwork for uid/pid:10{r.randint(100, 400)}/{r.randint(2000, 40000)} activeRequest: null callbackRequest: {r.randint(100, 900)} [NetworkRequest [ REQUEST id={r.randint(100, 900)}, [ Capabilities: INTERNET&NOT_RESTRICTED&TRUSTED&NOT_VPN ] ]] callback flags: 0 priority: 2147483647",
                "handleInetConditionChange: no active default network - ignore",
            )
        )
        return (r.choice("DI"), "ConnectivityService", ss, t(ss), msg)

    def wifihal(r):
        msg = r.choice(
            (
                f"event received NL80211_CMD_VENDOR, vendor_id = 0x1374, subcmd = 0x{r.randint(1, 40):x}",
                f"Rssi monitor: rssi = -{r.randint(40, 90)}, thresholds [-{r.randint(70, 90)}, -{r.randint(40, 60)}]",
                "Get link layer stats: request sent",
            )
        )
        return ("I", "WifiHAL", 1310, 3312, msg)

    def bluetooth(r):
        msg = r.choice(
            (
                f"getState(): mService = android.bluetooth.IBluetooth$Stub$Proxy@{_hex(r)}",
                "isLeEnabled(): ON",
                "startLeScan(): null",
                f"onBluetoothServiceDown: android.bluetooth.IBluetooth$Stub$Proxy@{_hex(r)}",
            )
        )
        return ("D", "BluetoothAdapter", r.randint(2000, 40000), r.randint(2000, 40000), msg)

    def gc(r):
        freed = r.randint(1000, 900000)
        msg = (
            f"Background concurrent copying GC freed {freed}({r.randint(1, 60)}MB) AllocSpace objects, "
            f"{r.randint(0, 80)}({r.randint(0, 9000)}KB) LOS objects, {r.randint(20, 75)}% free, "
            f"{r.randint(5, 200)}MB/{r.randint(10, 400)}MB, paused {r.randint(20, 900)}us total {r.uniform(5, 900):.3f}ms"
        )
        pid = r.randint(2000, 40000)
        return ("I", r.choice(SHORT_TAGS), pid, pid + r.randint(5, 30), msg)

    def binder(r):
        msg = r.choice(
            (
                f"{r.randint(2000, 40000)}:{r.randint(2000, 40000)} transaction failed 29189/-22, size {r.randint(0, 900)}-{r.randint(0, 64)} line 2970",
                "!!! FAILED BINDER TRANSACTION !!!  (parcel size = " + str(r.randint(100000, 900000)) + ")",
                f"Caught a RuntimeException from the binder stub implementation. at android.os.Binder.execTransactInternal(Binder.java:{r.randint(1000, 1400)})",
                f"BinderProxy@{_hex(r)} died; unlinking death recipients",
            )
        )
        tag = r.choice(("binder", "JavaBinder", "Binder"))
        pid = r.randint(500, 40000)
        return (r.choice("EWI"), tag, pid, pid + r.randint(0, 40), msg)

    def audio(r):
        tag, msg = r.choice(
            (
                (
                    "AudioFlinger",
                    "createTrack_l(): mismatch between requested flags (00000104) and output flags (00000002)",
                ),
                (
                    "AudioTrack",
                    f"getTimestamp_l({r.randint(100, 900)}): device stall time corrected using current time {r.randint(10**12, 10**13)}",
                ),
                (
                    "APM_AudioPolicyManager",
                    f"getOutputForAttr() usage={r.randint(1, 14)}, content=2, tag=, flags=0x00000000, session {r.randint(1, 9000)}",
                ),
                (
                    "audio_hw_primary",
                    f"out_standby: enter: stream ({_hex(r, 12)}) usecase({r.randint(0, 30)}: deep-buffer-playback)",
                ),
                ("AudioService", "Stream muted, skip playback"),
            )
        )
        return (r.choice("DIW"), tag, r.choice((1041, 870, ss)), r.randint(500, 40000), msg)

    def app_long(r):
        p = _pkg(r)
        host = r.choice(HOSTS)
        body = ",".join(f'"k{i}":"{_hex(r, r.randint(4, 16))}"' for i in range(r.randint(5, 40)))
        tag, msg = r.choice(
            (
                (
                    "OkHttp",
                    f"<-- 200 https://{host}/v2/feed?cursor={_hex(r, 24)}&limit=25 ({r.randint(20, 3000)}ms, {r.uniform(0.2, 900):.1f} kB body)",
                ),
                ("OkHttp", f"{{{body}}}"),
                (
                    "chromium",
                    f"[INFO:CONSOLE({r.randint(1, 9000)})] \"Uncaught (in promise) TypeError: cannot read properties of undefined (reading '{_hex(r, 6)}')\", source: https://{host}/static/js/main.{_hex(r, 8)}.js ({r.randint(1, 9000)})",
                ),
                ("FirebaseMessaging", f"Unable to log event: analytics library is missing; token={_hex(r, 40)}"),
                (
                    "Glide",
                    f"Load failed for https://{host}/img/{_hex(r, 16)}.webp with size [{r.randint(50, 1080)}x{r.randint(50, 1080)}]",
                ),
                (
                    "ReactNativeJS",
                    "'state update', "
                    + json.dumps({"screen": "Home", "items": [_hex(r, 8) for _ in range(r.randint(3, 30))]}),
                ),
                (
                    "SyncManager",
                    f"Sync finished for {p}: {r.randint(0, 40)} items, killed=false, died=false, exited=false",
                ),
                ("GameLoop", f"killing time until next vsync: {r.randint(1, 16)}ms, frame {r.randint(1, 10**6)}"),
                ("UnityMain", f"Kill streak {r.randint(1, 9)} stored; player exited lobby {r.randint(1, 900)}"),
                ("WorkerPool", f"worker {r.randint(1, 64)} exited normally after {r.randint(1, 9000)} tasks"),
            )
        )
        pid = r.randint(2000, 40000)
        return (r.choice("DIVW"), tag, pid, pid + r.randint(0, 60), msg)

    def sys_misc(r):
        p = _pkg(r)
        tag, msg = r.choice(
            (
                (
                    "libprocessgroup",
                    f"Successfully killed process cgroup uid 10{r.randint(100, 400)} pid {r.randint(2000, 40000)} in {r.randint(0, 90)}ms",
                ),
                (
                    "lowmemorykiller",
                    f"Reclaimed {r.randint(1000, 900000)}kB at oom_score_adj {r.choice((900, 905, 915, 925, 950, 999))}",
                ),
                ("Zygote", f"Process {r.randint(2000, 40000)} exited cleanly (0)"),
                (
                    "InputDispatcher",
                    f"channel '{_hex(r)} {p}/{p}.MainActivity (server)' ~ Channel is unrecoverably broken and will be disposed!",
                ),
                (
                    "DropBoxManagerService",
                    f"file :  /data/system/dropbox/data_app_crash@{r.randint(10**12, 10**13)}.txt.gz",
                ),
                ("PowerManagerService", "Going to sleep due to timeout (uid 1000)..."),
                ("JobScheduler.Quota", f"<0>{p} has reached its quota of {r.randint(5, 20)} jobs"),
                (
                    "JobServiceContext",
                    f"Scheduling time out for '{p}/.sync.SyncJobService' jId: {r.randint(1, 9000)}, in {r.randint(600, 1200)} s",
                ),
                ("DeviceIdleController", f"Removing wakelock whitelist for {p}"),
                (
                    "PackageManager",
                    f"Package {p} codePath changed from /data/app/{p}-1 to /data/app/{p}-2; Retaining data and using new",
                ),
                ("Telephony", "isEmergencyPreferredAccount: Device does not require preference."),
                (
                    "BoundBrokerSvc",
                    "onUnbind: Intent { act=com.google.firebase.dynamiclinks.service.START pkg=com.google.android.gms }",
                ),
                ("cr_ChildProcessService", f"Destroying ChildProcessService pid={r.randint(2000, 40000)}"),
                ("BackupManagerService", f"agent for {p} killed by timeout; restarting"),
                ("ServiceManager", "service 'media.extractor' died"),
                ("init", f"Service 'vendor.camera-provider' (pid {r.randint(500, 2000)}) exited with status 0"),
            )
        )
        return (r.choice("IWD"), tag, r.choice((ss, r.randint(400, 40000))), r.randint(400, 40000), msg)

    def events_noise(r):
        p = _pkg(r)
        tag, msg = r.choice(
            (
                (
                    "am_pss",
                    f"[{r.randint(2000, 40000)},10{r.randint(100, 400)},{p},{r.randint(10**6, 10**8)},{r.randint(10**6, 10**8)},0,{r.randint(10**6, 10**8)},0,{r.randint(0, 3)},{r.randint(1, 200)}]",
                ),
                ("am_uid_running", f"10{r.randint(100, 400)}"),
                ("am_uid_idle", f"10{r.randint(100, 400)}"),
                ("am_on_resume_called", f"[0,{p}.MainActivity,RESUME_ACTIVITY]"),
                ("wm_task_moved", f"[{r.randint(1, 400)},1,{r.randint(1, 9)}]"),
                (
                    "sysui_multi_action",
                    f"[757,{r.randint(100, 1800)},758,{r.randint(1, 9)},806,{p},871,{p}.MainActivity]",
                ),
                (
                    "am_meminfo",
                    f"[{r.randint(10**8, 10**9)},{r.randint(10**7, 10**8)},{r.randint(10**6, 10**8)},{r.randint(10**6, 10**8)},{r.randint(10**6, 10**8)}]",
                ),
            )
        )
        return ("I", tag, ss, t(ss), msg)

    return [
        (8, am_misc),
        (3, cpu_tracker),
        (6, wm),
        (3, atm),
        (8, chatty),
        (5, connectivity),
        (4, wifihal),
        (3, bluetooth),
        (10, gc),
        (4, binder),
        (5, audio),
        (14, app_long),
        (8, sys_misc),
        (6, events_noise),
    ]


def build_noise_pool(rng: random.Random, n: int) -> list[str]:
    """`n` noise bodies: everything of a threadtime line after the timestamp and its space."""
    templates = _noise_templates(rng)
    weights = [w for w, _ in templates]
    fns = [f for _, f in templates]
    pool: list[str] = []
    for fn in rng.choices(fns, weights=weights, k=n):
        lvl, tag, pid, tid, msg = fn(rng)
        body = f"{pid:5d} {tid:5d} {lvl} {tag:<8}: {msg}"
        bad = [s for s in SIGNATURES if s in body]
        if bad:  # a bug in this benchmark's templates, not in the scanner
            raise AssertionError(f"noise template produced a signature {bad!r}: {body}")
        pool.append(body)
    return pool


# ----------------------------------------------------------------------------------------------
# Kills
# ----------------------------------------------------------------------------------------------
KILL_FORMATS = (  # (name, weight)
    ("am_killing_aosp", 26),
    ("am_killing_oem", 8),
    ("lmkd_11", 10),
    ("lmkd_9_10", 6),
    ("force_stop", 6),
    ("am_kill_event", 14),
    ("has_died", 15),
    ("zygote_sig9", 15),
)


def _proc(rng: random.Random) -> str:
    return _pkg(rng) + rng.choice(SUBPROCS)


def make_kill(rng: random.Random, fmt: str, pid: int, serial: int) -> tuple[str, str, tuple[str, object]]:
    """-> (body after the timestamp, kind, identity key)."""
    ss = 1702
    tid = rng.choice((1970, 2006, 2010, 4227, 2800))
    app = rng.randint(10, 400)
    if fmt == "am_killing_aosp":
        kind_reason = rng.choice(("empty", "empty_for", "cached", "isolated", "remove_task"))
        proc, uid = _proc(rng), f"u0a{app}"
        if kind_reason == "empty":
            adj, reason = rng.choice((975, 985, 995, 999)), f"empty #{rng.randint(17, 40)}"
        elif kind_reason == "empty_for":
            adj, reason = rng.choice((905, 985, 995)), f"empty for {rng.randint(1800, 9000)}s"
        elif kind_reason == "cached":
            adj, reason = rng.choice((900, 915, 955, 999)), f"cached #{rng.randint(20, 64)}"
        elif kind_reason == "isolated":
            proc = (
                "com.android.webview:sandboxed_process0:org.chromium.content.app.SandboxedProcessService0:"
                f"{rng.randint(0, 9)}"
            )
            adj, reason, uid = 0, "isolated not needed", f"u0a{app}i{rng.randint(1, 99)}"
        else:
            adj, reason = rng.choice((0, 200, 900)), "remove task"
        msg = f"Killing {pid}:{proc}/{uid} (adj {adj}): {reason}"
        return f"{ss:5d} {tid:5d} I {'ActivityManager':<8}: {msg}", "process_killed", ("pid", pid)
    if fmt == "am_killing_oem":
        proc = _proc(rng)
        if rng.random() < 0.5:
            msg = f"Killing {pid}:{proc}/u0a{app} (adj {rng.choice((900, 945, 999))}): OneKeyClean"
        else:
            msg = (
                f"Killing {pid}:{proc}/u0a{app} (adj 15): BG, {rng.randint(8000, 90000)}K, "
                f"hotnessAdj={rng.randint(1, 9)}, XmlFlag=false, oom_adj=15"
            )
        return f"{ss:5d} {tid:5d} I {'ActivityManager':<8}: {msg}", "process_killed", ("pid", pid)
    if fmt == "lmkd_11":
        msg = (
            f"Kill '{_proc(rng)}' ({pid}), uid {10000 + app}, oom_score_adj {rng.choice((0, 100, 200, 700, 900, 950, 999))}"
            f" to free {rng.randint(20000, 400000)}kB rss, {rng.randint(0, 90000)}kB swap"
        )
        if rng.random() < 0.85:
            msg += f"; reason: {rng.choice(LMKD_REASONS)}"
        return f"{710:5d} {710:5d} I lowmemorykiller: {msg}", "process_killed", ("pid", pid)
    if fmt == "lmkd_9_10":
        msg = (
            f"Kill '{_proc(rng)}' ({pid}), uid {10000 + app}, oom_adj {rng.choice((0, 200, 900, 906, 950))}"
            f" to free {rng.randint(20000, 400000)}kB"
        )
        return f"{655:5d} {655:5d} I lowmemorykiller: {msg}", "process_killed", ("pid", pid)
    if fmt == "force_stop":
        pkg = f"com.bench.forcestop.app{serial}"  # force stops carry no pid: identity is the package
        cause = rng.choice(
            (f"from pid {rng.randint(2000, 40000)}",) * 6 + ("clear data", "uninstall pkg", "pkg removed")
        )
        msg = f"Force stopping {pkg} appid={10000 + app} user=0: {cause}"
        return f"{ss:5d} {tid:5d} I {'ActivityManager':<8}: {msg}", "process_killed", ("pkg", pkg)
    if fmt == "am_kill_event":
        reason = rng.choice(
            (
                f"empty #{rng.randint(17, 40)}",
                f"cached #{rng.randint(20, 64)}",
                "remove task",
                f"empty for {rng.randint(1800, 9000)}s",
                "isolated not needed",
                "OneKeyClean",
            )
        )
        fields = f"0,{pid},{_proc(rng)},{rng.choice((0, 900, 955, 999))},{reason}"
        if rng.random() < 0.5:
            fields += f",{rng.randint(10000, 400000)}"  # Rss (Android 12+)
        return f"{ss:5d} {tid:5d} I {'am_kill':<8}: [{fields}]", "process_killed", ("pid", pid)
    if fmt == "has_died":
        msg = f"Process {_proc(rng)} (pid {pid}) has died{rng.choice(DIED_SUFFIXES)}"
        return f"{ss:5d} {tid:5d} I {'ActivityManager':<8}: {msg}", "process_died", ("pid", pid)
    if fmt == "zygote_sig9":
        zpid = rng.choice((704, 705, 1010))
        msg = f"Process {pid} exited due to signal 9 (Killed)"
        return f"{zpid:5d} {zpid:5d} I {'Zygote':<8}: {msg}", "process_died", ("pid", pid)
    raise ValueError(fmt)


# ----------------------------------------------------------------------------------------------
# Lines that need a close look (--density)
# ----------------------------------------------------------------------------------------------
# What a busy phone logs besides kills: process starts, the freezer, WorkManager and JobScheduler,
# crashes, ANRs, makers' power managers, and lines that share words with kills. Each block is one
# episode, its message shapes copied from a real capture in tests/samples/ (named in the comment;
# line 1 of each names its public source), with pids, packages, ids and times varied. They carry
# the pre-filter's words, so the scanner must read them; none is a kill or a death (the kills stay
# the --kills injected lines, so that ground truth stays exact), but some are events of other kinds
# (process_started, state_changed, job_started/job_stopped, work_result, crash, anr): each block
# says how many of each it yields, and the scan must report exactly that many.
DENSITY_BLOCKS = (  # (name, weight): blocks, not lines
    ("start_proc", 26),
    ("freezer", 12),
    ("near_miss", 8),
    ("wm_run", 10),
    ("wm_foreground_cancelled", 4),
    ("wm_threw", 3),
    ("wm_old_tags", 1),
    ("android_job_stop", 2),
    ("power_manager", 16),
    ("fatal_exception", 3),
    ("anr", 2),
)
# The frames of real AndroidRuntime traces: covidsafe#20 (crash_fgs_remote_service_studio_old_covidsafe.txt)
# and RadioDroid#807 (crash_bg_start_not_allowed_long_format_radiodroid.txt).
_TRACE_FOREGROUND = (
    "at android.app.ActivityThread$H.handleMessage(ActivityThread.java:1918)",
    "at android.os.Handler.dispatchMessage(Handler.java:106)",
    "at android.os.Looper.loop(Looper.java:216)",
    "at android.app.ActivityThread.main(ActivityThread.java:7263)",
    "at java.lang.reflect.Method.invoke(Native Method)",
    "at com.android.internal.os.RuntimeInit$MethodAndArgsCaller.run(RuntimeInit.java:494)",
    "at com.android.internal.os.ZygoteInit.main(ZygoteInit.java:975)",
)
_TRACE_LAUNCH = (
    "at android.app.ActivityThread.performLaunchActivity(ActivityThread.java:3270)",
    "at android.app.ActivityThread.handleLaunchActivity(ActivityThread.java:3409)",
    "at android.app.servertransaction.LaunchActivityItem.execute(LaunchActivityItem.java:83)",
    "at android.app.servertransaction.TransactionExecutor.executeCallbacks(TransactionExecutor.java:135)",
    "at android.app.servertransaction.TransactionExecutor.execute(TransactionExecutor.java:95)",
    "at android.app.ActivityThread$H.handleMessage(ActivityThread.java:2016)",
    "at android.os.Handler.dispatchMessage(Handler.java:107)",
    "at android.os.Looper.loop(Looper.java:214)",
    "at android.app.ActivityThread.main(ActivityThread.java:7356)",
    "at java.lang.reflect.Method.invoke(Native Method)",
    "at com.android.internal.os.RuntimeInit$MethodAndArgsCaller.run(RuntimeInit.java:492)",
    "at com.android.internal.os.ZygoteInit.main(ZygoteInit.java:930)",
)
# WorkerWrapper's own trace (flutter_downloader#192, logcat_brief_wm_threw_flutter_downloader.txt).
_TRACE_WORKER = (
    "at androidx.work.impl.utils.futures.AbstractFuture.getDoneValue(AbstractFuture.java:516)",
    "at androidx.work.impl.utils.futures.AbstractFuture.get(AbstractFuture.java:475)",
    "at androidx.work.impl.WorkerWrapper$2.run(WorkerWrapper.java:284)",
    "at androidx.work.impl.utils.SerialExecutor$Task.run(SerialExecutor.java:91)",
    "at java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1167)",
    "at java.util.concurrent.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:641)",
    "at java.lang.Thread.run(Thread.java:919)",
)
_WORKERS = ("SyncWorker", "work.RefreshDataWorker", "ExportWorker", "UploadTaskWorker", "DownloadWorker")


def _line(pid: int, tid: int, lvl: str, tag: str, msg: str) -> str:
    return f"{pid:5d} {tid:5d} {lvl} {tag:<8}: {msg}"


def _uuid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass
class _App:
    pid: int
    proc: str
    pkg: str
    app: int  # app id: uid 10000 + app, u0a<app>


@dataclass
class Block:
    lines: list[tuple[int, str]]  # (ms after the line before, body)
    events: collections.Counter  # event kind -> how many the scan must report for these lines


class CloseLook:
    """Blocks of lines that need a close look, drawn with their own random stream (so that a file
    without them is the same, byte for byte, as before --density existed)."""

    SYSTEM_SERVER = 1702

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed * 7919 + 17)
        self.running: list[_App] = []  # apps started by earlier blocks: their later lines use their pid
        names = [n for n, _ in DENSITY_BLOCKS]
        self._makers = [getattr(self, f"_{n}") for n in names]
        self._weights = [w for _, w in DENSITY_BLOCKS]

    def block(self) -> Block:
        return self.rng.choices(self._makers, weights=self._weights)[0]()

    def _app(self) -> _App:
        r = self.rng
        if self.running and r.random() < 0.8:
            return r.choice(self.running)
        pkg = _pkg(r)
        return _App(r.randint(2000, 32000), pkg + r.choice(SUBPROCS), pkg, r.randint(10, 400))

    def _am(self, lvl: str, msg: str) -> str:
        return _line(self.SYSTEM_SERVER, self.rng.choice((1970, 2006, 2010, 2470, 3146)), lvl, "ActivityManager", msg)

    def _start_proc(self) -> Block:
        # ActivityManager's start line (termux#2366 logcat_am_killing_empty_android12_termux.txt line 4,
        # flutter#161070 logcat_samsung_force_stop_from_pid_flutter.txt lines 7-10) and the events
        # buffer's copy with its am_proc_bound (gityuan, events_threadtime_o_remove_task_gityuan.txt).
        r = self.rng
        pkg = _pkg(r)
        app = _App(r.randint(2000, 32000), pkg + r.choice(SUBPROCS), pkg, r.randint(10, 400))
        self.running.append(app)
        if len(self.running) > 64:
            self.running.pop(0)
        hosting = r.choice(("service", "service", "next-top-activity", "activity", "broadcast"))
        component = f"{pkg}/{r.choice(('.MainActivity', '.sync.SyncService', '.push.FcmService', '.widget.Provider'))}"
        ss, tid = self.SYSTEM_SERVER, r.choice((2010, 3146, 4227))
        lines = [
            (
                1 + r.randrange(3),
                self._am("I", f"Start proc {app.pid}:{app.proc}/u0a{app.app} for {hosting} {{{component}}}"),
            ),
            (
                0,
                _line(
                    ss, tid, "I", "am_proc_start", f"[0,{app.pid},{10000 + app.app},{app.proc},{hosting},{component}]"
                ),
            ),
        ]
        if r.random() < 0.3:
            lines.append((1 + r.randrange(9), self._am("I", f"{pkg} is exempt from freezer")))
        lines.append(
            (1 + r.randrange(40), _line(ss, r.randint(2000, 9000), "I", "am_proc_bound", f"[0,{app.pid},{app.proc}]"))
        )
        return Block(lines, collections.Counter(process_started=2))

    def _freezer(self) -> Block:
        # CachedAppOptimizer's debug line and the events buffer's am_freeze (ReVanced, logcat_freezer_revanced.txt;
        # linjw, freezer_am_freeze_then_anr_usec_comments_linjw.txt lines 7-8).
        app = self._app()
        tid = self.rng.choice((2470, 8331))
        return Block(
            [
                (
                    1 + self.rng.randrange(3),
                    _line(self.SYSTEM_SERVER, tid, "D", "ActivityManager", f"freezing {app.pid} {app.proc}"),
                ),
                (1, _line(self.SYSTEM_SERVER, tid, "I", "am_freeze", f"[{app.pid},{app.proc}]")),
            ],
            collections.Counter(state_changed=2),
        )

    def _near_miss(self) -> Block:
        # Lines with a kill's words that are no kill: a force-stop's service step (AdguardForAndroid#1385,
        # oneplus_ohpd_bgdetect_force_stop_github-adguard.txt line 12), libprocessgroup's process-group
        # kills and the failed kill(2) around them (Brevent#79 meizu_*_github-brevent.txt, Xperia
        # logcat_lmkd81_killing_sony.txt lines 2, 6-7), OnePlus OPBF quoting "Force stopping"
        # (appium-desktop#1277, oneplus_opbf_force_stop_unfreeze_github-appiumdesktop.txt line 5).
        r = self.rng
        app = self._app()
        uid = 10000 + app.app
        kind = r.choice(("service", "group", "group", "opbf", "memcg"))
        ss = self.SYSTEM_SERVER
        if kind == "service":
            svc = r.choice((".ServiceManager", ".sync.SyncService", ".media.PlaybackService"))
            lines = [
                (
                    1 + r.randrange(3),
                    self._am("I", f"  Force stopping service ServiceRecord{{{_hex(r)} u0 {app.pkg}/{svc}}}"),
                )
            ]
        elif kind == "group":
            tid = r.randint(1800, 2100)
            lines = [
                (
                    r.randrange(2),
                    _line(
                        ss,
                        tid,
                        "I",
                        "libprocessgroup",
                        f"Killing pid {app.pid + k + 1} in uid {uid} as part of process group {app.pid}",
                    ),
                )
                for k in range(r.randint(1, 4))
            ]
        elif kind == "opbf":
            lines = [
                (
                    1 + r.randrange(3),
                    _line(
                        ss,
                        r.randint(4000, 5000),
                        "D",
                        "OPBF",
                        f"UidStateCache makeQuickJudgment, uid:{uid} to do nothing for totalStateMap1:0 |needToMeetMap:0 |freezeState:true |reason:check Force stopping package:{app.pkg} reason:from pid {r.randint(2000, 30000)}",
                    ),
                ),
                (
                    0,
                    _line(
                        ss,
                        r.randint(2000, 3000),
                        "D",
                        "OPBF",
                        f"resumeRelateProcess uid:{uid} |thread:Thread[OPBF_GeneralThread,5,main]",
                    ),
                ),
            ]
        else:
            lines = [
                (
                    1 + r.randrange(3),
                    _line(400, 400, "E", "lowmemorykiller", "/dev/memcg/memory.memsw.usage_in_bytes open: errno=2"),
                ),
                (
                    1 + r.randrange(60),
                    _line(ss, 1085, "W", "system_server", f"kill(-{app.pid}, 9) failed: No such process"),
                ),
                (
                    0,
                    _line(
                        ss,
                        1085,
                        "I",
                        "system_server",
                        f"Successfully killed process cgroup uid {uid} pid {app.pid} in 0ms",
                    ),
                ),
                (
                    0,
                    _line(
                        ss,
                        1826,
                        "I",
                        "libprocessgroup",
                        f"Killing pid {app.pid + 3} in uid {uid} as part of process group {app.pid}",
                    ),
                ),
            ]
        return Block(lines, collections.Counter())

    def _wm(self, app: _App, lvl: str, tag: str, msg: str) -> str:
        return _line(app.pid, app.pid + 22, lvl, tag, msg)

    def _wm_run(self) -> Block:
        # WorkManager 2.9 running one work: flutter_workmanager#738 (wm_generational_id_console_fence_flutter_workmanager.txt),
        # sms-ie#187 (wm_start_year_usec_zone_generational_smsie.txt), its result as cocoa#123 logged it
        # (wm_result_logcat_s_command_cocoa.txt) or RETRY (wm_retry_issue_title_flutter_downloader.txt).
        r = self.rng
        app = self._app()
        work, gen = _uuid(r), f"WorkGenerationalId(workSpecId={{}}, generation={r.randrange(3)})"
        gid = gen.format(work)
        worker = f"{app.pkg}.{r.choice(_WORKERS)}"
        result = r.choice(("SUCCESS", "SUCCESS", "SUCCESS", "RETRY"))
        lines = [
            (
                1 + r.randrange(3),
                self._wm(app, "D", "WM-SystemJobScheduler", f"Scheduling work ID {work}Job ID {r.randint(1, 400)}"),
            ),
            (1 + r.randrange(5), self._wm(app, "D", "WM-GreedyScheduler", f"Starting work for {work}")),
            (1 + r.randrange(15), self._wm(app, "D", "WM-Processor", f"Processor: processing {gid}")),
            (1 + r.randrange(30), self._wm(app, "D", "WM-WorkerWrapper", f"Starting work for {worker}")),
            (1 + r.randrange(15), self._wm(app, "D", "WM-SystemJobService", f"onStartJob for {gid}")),
            (1 + r.randrange(10), self._wm(app, "D", "WM-Processor", f"Work {gid} is already enqueued for processing")),
            (
                1 + r.randrange(400),
                self._wm(
                    app, "I", "WM-WorkerWrapper", f"Worker result {result} for Work [ id={work}, tags={{ {worker} }} ]"
                ),
            ),
        ]
        return Block(lines, collections.Counter(job_started=2, work_result=1))

    def _wm_foreground_cancelled(self) -> Block:
        # Foreground work cancelled (background_downloader#344, logcat_brief_wm_cancelled_downloader.txt;
        # the service start as sms-ie#187 logged it).
        r = self.rng
        app = self._app()
        work = _uuid(r)
        lines = [
            (1 + r.randrange(3), self._wm(app, "I", "WM-Processor", f"Moving WorkSpec ({work}) to the foreground")),
            (
                1 + r.randrange(20),
                self._wm(
                    app,
                    "I",
                    "WM-SystemFgDispatcher",
                    f"Started foreground service Intent {{ act=ACTION_START_FOREGROUND cmp={app.pkg}/androidx.work.impl.foreground.SystemForegroundService (has extras) }}",
                ),
            ),
            (1 + r.randrange(900), self._wm(app, "I", "WM-SystemFgDispatcher", "Stopping foreground service")),
            (
                1 + r.randrange(5),
                self._wm(
                    app,
                    "I",
                    "WM-WorkerWrapper",
                    f"Work [ id={work}, tags={{ {app.pkg}.{r.choice(_WORKERS)}, BackgroundDownloader, taskId={_uuid(r)}, group=upload }} ] was cancelled",
                ),
            ),
            (
                0,
                self._wm(
                    app, "I", "WM-WorkerWrapper", "java.util.concurrent.CancellationException: Task was cancelled."
                ),
            ),
        ]
        return Block(lines, collections.Counter(work_result=1))

    def _wm_threw(self) -> Block:
        # A worker that threw, with WorkerWrapper's trace (flutter_downloader#192,
        # logcat_brief_wm_threw_flutter_downloader.txt); half the time the result line follows.
        r = self.rng
        app = self._app()
        work = _uuid(r)
        tags = f"tags={{ flutter_download_task, {app.pkg}.DownloadWorker }}"
        lines = [
            (
                1 + r.randrange(3),
                self._wm(
                    app,
                    "E",
                    "WM-WorkerWrapper",
                    f"Work [ id={work}, {tags} ] failed because it threw an exception/error",
                ),
            ),
            (
                0,
                self._wm(
                    app,
                    "E",
                    "WM-WorkerWrapper",
                    f"java.util.concurrent.ExecutionException: java.lang.NullPointerException: Attempt to read from field 'int {app.pkg}.DownloadTask.primaryId' on a null object reference",
                ),
            ),
        ]
        lines += [(0, self._wm(app, "E", "WM-WorkerWrapper", f"\t{frame}")) for frame in _TRACE_WORKER]
        if r.random() < 0.5:
            lines.append(
                (
                    1 + r.randrange(20),
                    self._wm(app, "I", "WM-WorkerWrapper", f"Worker result FAILURE for Work [ id={work}, {tags} ]"),
                )
            )
        return Block(lines, collections.Counter(work_result=1))  # the result line and the exception are one outcome

    def _wm_old_tags(self) -> Block:
        # WorkManager 1.0.0-alpha, before its "WM-" tags (flutter_downloader#3,
        # wm_alpha_old_tags_flutter_run_flutter_downloader.txt lines 8-12).
        r = self.rng
        app = self._app()
        work = _uuid(r)
        lines = [
            (
                1 + r.randrange(3),
                self._wm(app, "D", "SystemJobScheduler", f"Scheduling work ID {work} Job ID {r.randint(1, 400)}"),
            ),
            (1 + r.randrange(5), self._wm(app, "D", "GreedyScheduler", f"Starting tracking for {work}")),
            (1 + r.randrange(20), self._wm(app, "D", "SystemJobService", f"onStartJob for {work}")),
            (1 + r.randrange(5), self._wm(app, "D", "WorkConstraintsTracker", f"Constraints met for {work}")),
        ]
        return Block(lines, collections.Counter(job_started=1))

    def _android_job_stop(self) -> Block:
        # JobServiceContext arming its timer and binding (googlearchive/android-JobScheduler#12,
        # job_scheduling_time_out_blank_lines_googlearchive.txt), then android-job's onStopJob
        # (android-job#402, job_stopped_email_quoted_studio_evernote.txt).
        r = self.rng
        app = self._app()
        job = r.randint(1, 400)
        svc = "com.evernote.android.job.v21.PlatformJobService"
        lines = [
            (
                1 + r.randrange(3),
                _line(
                    self.SYSTEM_SERVER,
                    5987,
                    "D",
                    "JobServiceContext",
                    f"Scheduling time out for '{svc}' jId: {job}, in 18 s",
                ),
            ),
            (
                1 + r.randrange(3),
                _line(
                    self.SYSTEM_SERVER,
                    self.SYSTEM_SERVER,
                    "D",
                    "JobServiceContext",
                    f"handleServiceBound for {_hex(r)} #u0a{app.app}/{job} {app.pkg}/{svc}",
                ),
            ),
            (
                1 + r.randrange(900),
                _line(
                    app.pid,
                    app.pid,
                    "D",
                    "PlatformJobService",
                    f"Called onStopJob for job{{id={job}, finished=false, result=FAILURE, canceled=true, periodic=false, class=SocketNotificationJob, tag=socket_notification_tag}}",
                ),
            ),
        ]
        return Block(lines, collections.Counter(job_stopped=1))

    def _power_manager(self) -> Block:
        # Makers' power managers, none of whose lines is a kill by itself: Huawei iAware (owntracks/talk#9,
        # huawei_iaware_not_kill_github-owntracks.txt), MIUI ProcessManager (react-native-background-geolocation#599,
        # xiaomi_processmanager_swipeupclean_github-rnbgeo.txt) and ProcessManagerHelper (flutter_background_geolocation#956,
        # xiaomi_onekeyclean_msa_doclean_github-bggeo956.txt), Allwinner's BackgroundManagerService (android-6.0#12,
        # allwinner_bgmanager_prevent_boot_github-pine64.txt), MIUI PowerKeeper (OneSignal#1494,
        # xiaomi_powerkeeper_frozenapp_battery_github-onesignal.txt), Samsung MARs / Freecess (CleverKeys,
        # samsung_freecess_freeze_github-cleverkeys.txt), OppoProcessManager (cordova-plugin-fcm#127,
        # oppo_processmanager_not_skip_github-cordovafcm.txt), Lenovo PolicyCenter (remote-desktop-clients#183,
        # lenovo_policycenter_force_stop_github-bvnc.txt), EMUI HwSystemManager (ThaliTester HUAWEI-ALE-L21,
        # huawei_hsm_onprocessdied_github-thalitester.txt), OnePlus OHPD (AdguardForAndroid#1385,
        # oneplus_ohpd_bgdetect_force_stop_github-adguard.txt line 6).
        r = self.rng
        app = self._app()
        pkg, uid = app.pkg, 10000 + app.app
        maker = r.choice(
            ("iaware", "miui", "miui_helper", "allwinner", "powerkeeper", "mars", "oppo", "lenovo", "emui", "ohpd")
        )
        if maker == "iaware":
            msgs = [
                (
                    "W",
                    "AwareLog",
                    f"AwareMem_Kill: updateGroupList package: {r.choice(('not kill critical', 'move high'))} frequent={pkg}, uid={uid}",
                )
            ] * r.randint(1, 3)
        elif maker == "miui":
            msgs = [
                ("D", "ProcessManager", f"update DY:[{_pkg(r)}, {_pkg(r)}]"),
                (
                    "D",
                    "ProcessManager",
                    f"remove task: TaskRecord{{{_hex(r)} #{r.randint(2, 900)} A={pkg} U=0 StackId={r.randint(2, 900)} sz=1}}",
                ),
            ]
        elif maker == "miui_helper":
            msgs = [
                (
                    "D",
                    "ProcessManagerHelper",
                    r.choice(
                        (
                            "doClean  processConfigPolicy=1",
                            f"doOneKeyClean    removingTaskIds.size={r.randint(1, 9)}   tasks.size={r.randint(1, 9)}",
                        )
                    ),
                )
            ]
        elif maker == "allwinner":
            msgs = [
                (
                    "D",
                    "BackgroundManagerService",
                    f"readMemInfo: freeMem={r.randint(10**8, 3 * 10**9)},threshold=226492416",
                ),
                ("D", "BackgroundManagerService", f"NOTIFY_CHECK_BACKGROUND_TASK_MSG spends {r.randint(1, 30)}ms"),
                (
                    "I",
                    "BackgroundManagerService",
                    f"{r.choice(('package not in whitelist', 'prevent from boot complete broadcast'))}: {pkg}",
                ),
            ]
        elif maker == "powerkeeper":
            msgs = [
                (
                    "D",
                    "PowerKeeper.FrozenApp",
                    f"onBatteryChanged plug={r.choice(('true', 'false'))} mBatteryPlugged={r.choice((0, 2))}",
                )
            ]
        elif maker == "mars":
            msgs = [
                ("D", "MARs:ActiveTrafficFilter", f"filter : {pkg}(0)"),
                ("D", "FreecessHandler", f"freeze {pkg}({uid}) result : 8"),
            ]
        elif maker == "oppo":
            msgs = [
                (
                    "D",
                    "OppoProcessManager",
                    f"Do not skip order broadcast com.google.android.c2dm.intent.RECEIVE  ProcessRecord{{{_hex(r, 8)} {app.pid}:{app.proc}/u0a{app.app}}}",
                )
            ]
        elif maker == "lenovo":
            msgs = [
                ("D", "PolicyCenter::PolicyExecution", ">>forceStop adjvalue > 4 || = 1.0"),
                ("D", "ProcessScanTask", f"filterPolicy FORCESTOP_APP: {pkg}"),
            ]
        elif maker == "emui":
            msgs = [("I", "HwSystemManager", f"BgPowerManagerService:onProcessDied uid = {uid}")]
        else:
            msgs = [
                (
                    "I",
                    "OHPD",
                    f"[BgDetect][PD] total usage {r.randint(2, 9)} over thold, force stop {pkg} (uid {uid}) level 0",
                )
            ]
        pid = r.choice((1024, 2037, 2168, 2666, 2907, 1370))
        tid = r.randint(1400, 16000)
        return Block(
            [(1 + r.randrange(5), _line(pid, tid, lvl, tag, msg)) for lvl, tag, msg in msgs], collections.Counter()
        )

    def _fatal_exception(self) -> Block:
        # AndroidRuntime's crash report in threadtime (kraigsandroid#158, crash_exact_alarm_leading_backtick_kraigs.txt
        # lines 6-12), with the exceptions and frames of covidsafe#20 and RadioDroid#807.
        r = self.rng
        app = self._app()
        if r.random() < 0.5:
            exc = f"android.app.RemoteServiceException: Context.startForegroundService() did not then call Service.startForeground(): ServiceRecord{{{_hex(r)} u0 {app.pkg}/.LoggingService}}"
            frames = _TRACE_FOREGROUND
        else:
            exc = f"java.lang.RuntimeException: Unable to start activity ComponentInfo{{{app.pkg}/{app.pkg}.ActivityMain}}: java.lang.IllegalStateException: Not allowed to start service Intent {{ cmp={app.pkg}/.service.PlayerService }}: app is in background uid UidRecord{{{_hex(r)} u0a{app.app} TOP  idle change:uncached procs:1 seq(0,0,0)}}"
            frames = _TRACE_LAUNCH
        pid = app.pid
        lines = [
            (1 + r.randrange(3), _line(pid, pid, "D", "AndroidRuntime", "Shutting down VM")),
            (1, _line(pid, pid, "E", "AndroidRuntime", "FATAL EXCEPTION: main")),
            (0, _line(pid, pid, "E", "AndroidRuntime", f"Process: {app.proc}, PID: {pid}")),
            (0, _line(pid, pid, "E", "AndroidRuntime", exc)),
        ]
        lines += [(0, _line(pid, pid, "E", "AndroidRuntime", f"\t{frame}")) for frame in frames]
        return Block(lines, collections.Counter(crash=1))

    def _anr(self) -> Block:
        # An input ANR as Android 13-14 logs it: WindowManager's line and am_anr (linjw,
        # anr_grep_n_prefix_bg_anr_kill_linjw.txt line 3, freezer_am_freeze_then_anr_usec_comments_linjw.txt
        # line 9), then ActivityManager's report (Droid-ify#1135, logcat_level_tag_anr_droidify.txt, as
        # threadtime: linjw's "E ActivityManager: ANR in").
        r = self.rng
        app = self._app()
        win = f"{r.getrandbits(24):06x}"
        activity = f"{app.pkg}/.MainActivity"
        why = f"Input dispatching timed out ({win} {app.pkg}/{app.pkg}.MainActivity (server) is not responding. Waited 5001ms for FocusEvent(hasFocus=false))"
        ss = self.SYSTEM_SERVER
        tid = r.randint(8000, 28000)
        report = [
            f"ANR in {app.proc} ({activity})",
            f"PID: {app.pid}",
            f"Reason: {why}.",
            f"Parent: {activity}",
            f"ErrorId: {_uuid(r)}",
            "Frozen: false",
            f"Load: {r.uniform(1, 12):.2f} / {r.uniform(1, 12):.2f} / {r.uniform(1, 12):.2f}",
            "----- Output from /proc/pressure/memory -----",
            f"some avg10={r.uniform(0, 9):.2f} avg60={r.uniform(0, 3):.2f} avg300={r.uniform(0, 1):.2f} total={r.randint(10**6, 10**8)}",
            f"full avg10={r.uniform(0, 2):.2f} avg60={r.uniform(0, 1):.2f} avg300={r.uniform(0, 1):.2f} total={r.randint(10**6, 10**8)}",
            "----- End output from /proc/pressure/memory -----",
            "----- Output from /proc/pressure/cpu -----",
            f"some avg10={r.uniform(0, 40):.2f} avg60={r.uniform(0, 12):.2f} avg300={r.uniform(0, 5):.2f} total={r.randint(10**7, 10**9)}",
            "----- End output from /proc/pressure/cpu -----",
        ]
        lines = [
            (
                1 + r.randrange(3),
                _line(
                    ss,
                    tid,
                    "I",
                    "WindowManager",
                    f"ANR in Window{{{win} u0 {app.pkg}}}. Reason:{win} {app.pkg} (server) is not responding. Waited 5001ms for FocusEvent(hasFocus=false)",
                ),
            ),
            (1 + r.randrange(90), _line(ss, tid + 1, "I", "am_anr", f"[0,{app.pid},{app.proc},545832517,{why}]")),
        ]
        lines += [
            (1 if i == 0 else 0, _line(ss, tid + 1, "E", "ActivityManager", text)) for i, text in enumerate(report)
        ]
        return Block(lines, collections.Counter(anr=2))  # am_anr and "ANR in" are each reported


# ----------------------------------------------------------------------------------------------
# Generation (streamed to disk)
# ----------------------------------------------------------------------------------------------
class Clock:
    """Strictly increasing `MM-DD HH:MM:SS.mmm` stamps; the date part is recomputed once a second."""

    def __init__(self, start: dt.datetime) -> None:
        self.start = start
        self.ms = 0
        self._sec = -1
        self._prefix = ""

    def tick(self, step: int) -> str:
        self.ms += step
        sec, milli = divmod(self.ms, 1000)
        if sec != self._sec:
            self._sec = sec
            self._prefix = (self.start + dt.timedelta(seconds=sec)).strftime("%m-%d %H:%M:%S")
        return f"{self._prefix}.{milli:03d}"


def generate(path: Path, size_mb: float, kills: int, seed: int, density: float = 0.0) -> GenResult:
    """`density`: the percentage of lines that need a close look (see CloseLook); 0 writes the file
    this benchmark always wrote (same seed, same bytes)."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    target = int(size_mb * 1024 * 1024)
    pool = build_noise_pool(rng, 60000)
    formats = [f for f, _ in KILL_FORMATS]
    weights = [w for _, w in KILL_FORMATS]
    kill_fmts = rng.choices(formats, weights=weights, k=kills)
    kill_pids = rng.sample(range(10000, 4_194_304), kills)  # distinct: identity matching is exact
    # Byte offsets at which the kills go (the last 1% stays noise so every kill is well inside).
    offsets = sorted(rng.randrange(0, max(1, int(target * 0.99))) for _ in range(kills))
    clock = Clock(START)
    res = GenResult(path=path, size=0, lines=0, density=density)
    close = CloseLook(seed) if density > 0 else None
    share = density / 100
    written = 0
    lineno = 0
    k = 0
    header = "--------- beginning of main\n"
    buf: list[str] = [header]
    buf_bytes = len(header)
    lineno += 1
    choices = rng.choices
    randrange = rng.randrange
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        while written + buf_bytes < target or k < kills:
            batch = choices(pool, k=2048)
            for body in batch:
                pos = written + buf_bytes
                while k < kills and offsets[k] <= pos:
                    ts = clock.tick(1 + randrange(3))
                    kbody, kind, key = make_kill(rng, kill_fmts[k], kill_pids[k], k)
                    line = f"{ts} {kbody}\n"
                    lineno += 1
                    res.injected.append(Injected(lineno, kind, key, kill_fmts[k], ts, line.rstrip("\n")))
                    buf.append(line)
                    buf_bytes += len(line)  # ASCII only: chars == bytes
                    pos += len(line)
                    k += 1
                if close is not None and res.close_lines < share * lineno:
                    # Behind the target share: a burst of episodes, as a phone under load logs them.
                    bodies: list[str] = []
                    for _ in range(close.rng.randint(1, 6)):
                        block = close.block()
                        res.expected_other.update(block.events)
                        for step, bbody in block.lines:
                            line = f"{clock.tick(step)} {bbody}\n"
                            buf.append(line)
                            buf_bytes += len(line)
                            bodies.append(bbody)
                    lineno += len(bodies)
                    counts = close_look(bodies)
                    res.close_lines += counts["close"]
                    res.signature_lines += counts["signature"]
                    res.kill_signature_lines += counts["kill_signature"]
                line = f"{clock.tick(1 + randrange(3))} {body}\n"
                buf.append(line)
                buf_bytes += len(line)
                lineno += 1
                if buf_bytes >= WRITE_BLOCK:
                    fh.write("".join(buf))
                    written += buf_bytes
                    buf, buf_bytes = [], 0
                if written + buf_bytes >= target and k >= kills:
                    break
        fh.write("".join(buf))
        written += buf_bytes
    res.size = written
    res.lines = lineno
    res.signature_lines += len(res.injected)  # every kill line carries a SIGNATURE and a KILL_SIGNATURE
    res.kill_signature_lines += len(res.injected)
    res.seconds = time.perf_counter() - t0
    return res


_PRE_FILTER = (*SIGNATURES, *EVIDENCE)
_SIGNATURE_COUNT = len(SIGNATURES)


def close_look(bodies: list[str]) -> dict[str, int]:
    """How many of these consecutive lines the scanner reads (a pre-filter word, or within the lines
    it reads after an opener such as FATAL EXCEPTION), and how many hold a SIGNATURE / a KILL_SIGNATURE."""
    read_until = -1
    close = signature = kill_signature = 0
    for i, body in enumerate(bodies):
        hits = [j for j, word in enumerate(_PRE_FILTER) if word in body]
        if hits or i <= read_until:
            close += 1
        if any(j < _SIGNATURE_COUNT for j in hits):
            signature += 1
        if any(word in body for word in KILL_SIGNATURES):
            kill_signature += 1
        for j in hits:
            read_until = max(read_until, i + CONTEXT_AFTER.get(_PRE_FILTER[j], 0))
    return {"close": close, "signature": signature, "kill_signature": kill_signature}


# ----------------------------------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------------------------------
def best_of(n: int, argv: list[str]) -> tuple[float, list[float], subprocess.CompletedProcess]:
    times: list[float] = []
    last = None
    for _ in range(n):
        t0 = time.perf_counter()
        last = subprocess.run(
            argv, stdout=subprocess.PIPE if argv[0] == "grep" else subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        times.append(time.perf_counter() - t0)
    assert last is not None
    return min(times), times, last


def run_scan_counting(path: Path) -> dict:
    """One `bgprobe scan --json` run whose output is parsed; peak RSS from /usr/bin/time -v (or rusage)."""
    argv = [BGPROBE, "scan", "--json", str(path)]
    if Path("/usr/bin/time").exists():  # GNU time: "Maximum resident set size (kbytes): N"
        argv = ["/usr/bin/time", "-v", *argv]
    else:  # a fresh python parent, so RUSAGE_CHILDREN covers this one child only
        argv = [
            sys.executable,
            "-c",
            "import resource,subprocess,sys;r=subprocess.run(sys.argv[1:]);"
            "sys.stderr.write('\\n\\tMaximum resident set size (kbytes): %d\\n' % "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);sys.exit(r.returncode)",
            *argv,
        ]
    events: list[dict] = []
    bad_json = 0
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    for raw in proc.stdout:
        try:
            events.append(json.loads(raw))
        except ValueError:
            bad_json += 1
    stderr = proc.stderr.read().decode("utf-8", "replace")
    rc = proc.wait()
    wall = time.perf_counter() - t0
    rss_kb = None
    tool_lines = []
    for line in stderr.splitlines():
        s = line.strip()
        if s.startswith("Maximum resident set size (kbytes):"):
            rss_kb = int(s.rsplit(":", 1)[1])
        if ":" in s and (s.split(":", 1)[0] in _TIME_V_KEYS or s.startswith("Command being timed")):
            continue
        if s:
            tool_lines.append(line)
    return {
        "events": events,
        "bad_json": bad_json,
        "rc": rc,
        "wall": wall,
        "rss_kb": rss_kb,
        "stderr": "\n".join(tool_lines),
    }


def run_summary(path: Path, expected_events: int) -> dict:
    """One `bgprobe scan FILE` (the terminal summary, not --json): wall time, peak RSS, and whether
    the summary counted every injected line."""
    argv = [BGPROBE, "scan", "--no-color", str(path)]
    if Path("/usr/bin/time").exists():
        argv = ["/usr/bin/time", "-v", *argv]
    else:
        argv = [
            sys.executable,
            "-c",
            "import resource,subprocess,sys;r=subprocess.run(sys.argv[1:]);"
            "sys.stderr.write('\\n\\tMaximum resident set size (kbytes): %d\\n' % "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);sys.exit(r.returncode)",
            *argv,
        ]
    env = {**os.environ, "COLUMNS": "200"}
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, env=env)
    wall = time.perf_counter() - t0
    out = proc.stdout.decode("utf-8", "replace")
    rss_kb = None
    for line in proc.stderr.decode("utf-8", "replace").splitlines():
        if line.strip().startswith("Maximum resident set size (kbytes):"):
            rss_kb = int(line.rsplit(":", 1)[1])
    counted = f"input(s) read, {expected_events} event(s)" in out
    rss_mb = round(rss_kb / 1024, 1) if rss_kb else None
    ok = proc.returncode == 0 and counted and "Kills and deaths by process and reason" in out
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mb": rss_mb,
        "exit": proc.returncode,
        "counted_all": counted,
        "rss_ok": rss_mb is not None and rss_mb <= SUMMARY_RSS_TARGET_MB,
        "ok": ok and rss_mb is not None and rss_mb <= SUMMARY_RSS_TARGET_MB,
        "head": out[:400],
    }


_TIME_V_KEYS = {
    "User time (seconds)",
    "System time (seconds)",
    "Percent of CPU this job got",
    "Elapsed (wall clock) time (h",
    "Average shared text size (kbytes)",
    "Average unshared data size (kbytes)",
    "Average stack size (kbytes)",
    "Average total size (kbytes)",
    "Maximum resident set size (kbytes)",
    "Average resident set size (kbytes)",
    "Major (requiring I/O) page faults",
    "Minor (reclaiming a frame) page faults",
    "Voluntary context switches",
    "Involuntary context switches",
    "Swaps",
    "File system inputs",
    "File system outputs",
    "Socket messages sent",
    "Socket messages received",
    "Signals delivered",
    "Page size (bytes)",
    "Exit status",
}


def verify(gen: GenResult, events: list[dict]) -> dict:
    """Compare scan events with the ground truth."""
    by_kind = collections.Counter(e.get("kind") for e in events)
    expected: dict[str, dict[tuple, Injected]] = {"process_killed": {}, "process_died": {}}
    for inj in gen.injected:
        expected[inj.kind][inj.key] = inj
    found: dict[str, collections.Counter] = {
        "process_killed": collections.Counter(),
        "process_died": collections.Counter(),
    }
    loc_mismatch: list[str] = []
    reasons_by_fmt: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for e in events:
        kind = e.get("kind")
        if kind not in found:
            continue
        key = ("pid", e["pid"]) if e.get("pid") is not None else ("pkg", e.get("package"))
        found[kind][key] += 1
        inj = expected[kind].get(key)
        if inj is None:
            continue
        reasons_by_fmt[inj.fmt][str(e.get("reason"))] += 1
        where = str(e.get("where") or "")
        line_ok = where.rsplit(":", 1)[-1] == str(inj.lineno)
        ts = str(e.get("ts") or "")
        ts_ok = ts[5:].replace("T", " ") == inj.ts  # YYYY-MM-DDTHH:MM:SS.mmm vs MM-DD HH:MM:SS.mmm
        if not (line_ok and ts_ok) and len(loc_mismatch) < 10:
            loc_mismatch.append(f"line {inj.lineno} ({inj.ts}) reported where={where} ts={ts}")
    out: dict = {"events_by_kind": dict(sorted(by_kind.items()))}
    ok = True
    for kind in ("process_killed", "process_died"):
        exp_keys = set(expected[kind])
        got = found[kind]
        missed = sorted(exp_keys - set(got), key=str)
        invented = sorted(set(got) - exp_keys, key=str)
        dupes = sorted((k for k, c in got.items() if c > 1), key=str)
        count = sum(got.values())
        kind_ok = count == len(exp_keys) and not missed and not invented and not dupes
        ok &= kind_ok
        out[kind] = {
            "expected": len(exp_keys),
            "found": count,
            "missed": len(missed),
            "invented": len(invented),
            "duplicated": len(dupes),
            "ok": kind_ok,
            "missed_lines": [expected[kind][k].line for k in missed[:10]],
            "invented_samples": [str(k) for k in invented[:10]],
        }
    other = {k: v for k, v in by_kind.items() if k not in ("process_killed", "process_died")}
    out["other_events"] = other
    # The noise holds no signature and the close-look blocks yield a known number of events of each
    # other kind (--density): any difference is an event invented or missed.
    expected_other = {k: v for k, v in gen.expected_other.items() if v}
    out["expected_other_events"] = expected_other
    out["other_events_ok"] = other == expected_other
    ok &= other == expected_other
    out["ok"] = ok
    out["location_mismatches"] = loc_mismatch
    out["location_ok"] = not loc_mismatch
    out["reasons_by_format"] = {f: dict(c.most_common(8)) for f, c in sorted(reasons_by_fmt.items())}
    exp_by_fmt = collections.Counter(i.fmt for i in gen.injected)
    out["injected_by_format"] = dict(sorted(exp_by_fmt.items()))
    return out


def mb(n: int) -> float:
    return n / (1024 * 1024)


def speed_target(density: float) -> float:
    """Issue 11: at most 5x grep while up to 3 % of lines need a close look, 10x beyond (30 %)."""
    return SPEED_TARGET if density <= 3 else SPEED_TARGET_DENSE


def parse_densities(text: str) -> list[float]:
    values = [float(v) for v in text.split(",") if v.strip()]
    if not values or any(not 0 <= v < 100 for v in values):
        raise argparse.ArgumentTypeError("--density: percentages from 0 to below 100, comma-separated")
    return values


def main(argv: list[str] | None = None) -> int:
    compile_bgprobe()  # time what an installed user runs (see precompile.py)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=float, default=100.0, help="size of the timed logcat file (MB)")
    ap.add_argument("--kills", type=int, default=5000, help="kill/death lines injected in the timed file")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--density",
        type=parse_densities,
        default=[0.0],
        metavar="PCT[,PCT...]",
        help="percentage of lines that need a close look (process starts, the freezer, WorkManager, "
        "jobs, crashes, ANRs, power managers, near misses; real line shapes), e.g. 0,3,30: one timed "
        f"file each; target <= {SPEED_TARGET:g}x grep up to 3 %%, <= {SPEED_TARGET_DENSE:g}x above (default 0)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the generated files in bench/out/")
    ap.add_argument(
        "--memory-sizes",
        default=None,
        help="comma-separated sizes in MB for the peak-RSS comparison, e.g. 100,1000 "
        "(kills scale with size: --kills per --size-mb; the first --density)",
    )
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per command (best is reported)")
    ap.add_argument(
        "--summary-kills",
        type=int,
        default=None,
        help="also a --size-mb file with this many kill/death lines (e.g. 951000), scanned "
        f"without --json: the summary's time and peak RSS (target <= {SUMMARY_RSS_TARGET_MB} MB)",
    )
    ap.add_argument(
        "--tar",
        action="store_true",
        help="also the first timed file as the member of a sysdiagnose-like .tar.gz: --json and "
        f"summary scans, time and peak RSS (target: flat, <= {MEMORY_FLAT_FACTOR:g}x the plain file's)",
    )
    args = ap.parse_args(argv)

    OUT.mkdir(parents=True, exist_ok=True)
    generated: list[Path] = []
    report: dict = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "host": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "locale": os.environ.get("LC_ALL") or os.environ.get("LANG") or "",
        },
        "args": vars(args),
        "bgprobe": BGPROBE,
        "grep_pattern": GREP_PATTERN,
        "targets": {
            "speed": f"scan <= {SPEED_TARGET:g} x grep -c wall time up to 3 % close-look lines, "
            f"<= {SPEED_TARGET_DENSE:g} x above",
            "correctness": "every injected kill/death found, none invented; events of other kinds as the "
            "close-look blocks yield them",
            "memory": f"peak RSS flat as input grows (largest <= {MEMORY_FLAT_FACTOR:g} x smallest)",
        },
    }
    try:
        # 1-4. one timed file per density
        cases: list[dict] = []
        first: tuple[Path, GenResult, dict] | None = None
        for density in args.density:
            case, gen, counted = timed_case(args, density, generated)
            cases.append(case)
            if first is None:
                first = (gen.path, gen, counted)
            elif not args.keep:
                gen.path.unlink(missing_ok=True)
                generated.remove(gen.path)
        assert first is not None
        path, gen, counted = first
        report["runs"] = cases
        density = args.density[0]
        memory = [
            {
                "size_mb": args.size_mb,
                "density_pct": density,
                "bytes": gen.size,
                "kills": args.kills,
                "peak_rss_mb": cases[0]["peak_rss_mb"],
                "scan_wall_s": round(counted["wall"], 2),
                "correct": cases[0]["correctness"]["ok"],
            }
        ]

        # 4b. further sizes for the memory comparison
        if args.memory_sizes:
            sizes = [float(s) for s in args.memory_sizes.split(",") if s.strip()]
            for size in sizes:
                if abs(size - args.size_mb) < 1e-9:
                    continue
                kills = max(1, round(args.kills * size / args.size_mb))
                p = OUT / f"logcat_{size:g}mb_seed{args.seed}{_density_suffix(density)}.txt"
                print(f"generating {p.name} ({size:g} MB, {kills} kills) for the memory check ...", flush=True)
                g = generate(p, size, kills, args.seed, density)
                generated.append(p)
                print(f"  {mb(g.size):.1f} MB, {g.lines} lines in {g.seconds:.1f}s; scanning ...", flush=True)
                c = run_scan_counting(p)
                v = verify(g, c["events"])
                memory.append(
                    {
                        "size_mb": size,
                        "density_pct": density,
                        "bytes": g.size,
                        "kills": kills,
                        "peak_rss_mb": round(c["rss_kb"] / 1024, 1) if c["rss_kb"] else None,
                        "scan_wall_s": round(c["wall"], 2),
                        "correct": v["ok"],
                        "process_killed": v["process_killed"],
                        "process_died": v["process_died"],
                        "other_events": v["other_events"],
                        "stderr": c["stderr"][-1000:],
                    }
                )
                if not args.keep:
                    p.unlink(missing_ok=True)
                    generated.remove(p)
            memory.sort(key=lambda m: m["size_mb"])
        # 4c. bounded scans: the summary of a log that is nearly all kills; a log inside a tar.gz
        extra_ok = True
        if args.summary_kills:
            p = OUT / f"logcat_{args.size_mb:g}mb_{args.summary_kills}kills_seed{args.seed}.txt"
            print(
                f"generating {p.name} ({args.size_mb:g} MB, {args.summary_kills} kills) for the summary ...", flush=True
            )
            g = generate(p, args.size_mb, args.summary_kills, args.seed)
            generated.append(p)
            print(f"  {mb(g.size):.1f} MB, {g.lines} lines in {g.seconds:.1f}s; scanning (summary) ...", flush=True)
            run = run_summary(p, len(g.injected))
            report["summary_scan"] = {"file_bytes": g.size, "kill_lines": len(g.injected), **run}
            extra_ok &= run["ok"]
            if not args.keep:
                p.unlink(missing_ok=True)
                generated.remove(p)
        if args.tar:
            archive = OUT / f"sysdiagnose_{args.size_mb:g}mb_seed{args.seed}{_density_suffix(density)}.tar.gz"
            print(f"packing {path.name} into {archive.name} ...", flush=True)
            t0 = time.perf_counter()
            with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
                tar.add(path, arcname=f"{archive.name[:-7]}/logs/logcat.log")
            generated.append(archive)
            counted_tar = run_scan_counting(archive)
            tar_check = verify(gen, counted_tar["events"])
            summary_tar = run_summary(archive, len(gen.injected) + sum(gen.expected_other.values()))
            plain_rss = counted["rss_kb"] / 1024 if counted["rss_kb"] else None
            tar_rss = [
                r for r in (counted_tar["rss_kb"] and counted_tar["rss_kb"] / 1024, summary_tar["peak_rss_mb"]) if r
            ]
            flat = plain_rss is not None and bool(tar_rss) and max(tar_rss) <= MEMORY_FLAT_FACTOR * plain_rss
            report["tar_scan"] = {
                "archive_bytes": archive.stat().st_size,
                "member_bytes": gen.size,
                "pack_seconds": round(time.perf_counter() - t0, 1),
                "json_scan_s": round(counted_tar["wall"], 2),
                "json_peak_rss_mb": round(counted_tar["rss_kb"] / 1024, 1) if counted_tar["rss_kb"] else None,
                "json_correct": tar_check["ok"],
                "summary": summary_tar,
                "flat_ok": flat,
            }
            extra_ok &= tar_check["ok"] and summary_tar["ok"] and flat
        rss = [m["peak_rss_mb"] for m in memory if m["peak_rss_mb"]]
        mem_ok = None
        if len(rss) >= 2:
            mem_ok = rss[-1] <= MEMORY_FLAT_FACTOR * rss[0]
        report["memory"] = {"runs": memory, "flat_ok": mem_ok, "factor_limit": MEMORY_FLAT_FACTOR}

        print_summary(report)
        out_json = OUT / "scan_bench.json"
        out_json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nJSON: {out_json}")
        all_ok = (
            all(c["correctness"]["ok"] and c["timing"]["ok"] and c["generator_ok"] for c in cases)
            and mem_ok is not False
            and all(m["correct"] for m in memory)
            and extra_ok
        )
        return 0 if all_ok else 1
    finally:
        if not args.keep:
            for p in generated:
                p.unlink(missing_ok=True)


def _density_suffix(density: float) -> str:
    return f"_density{density:g}" if density else ""


def timed_case(args: argparse.Namespace, density: float, generated: list[Path]) -> tuple[dict, GenResult, dict]:
    """Generates one timed file, times grep and the scan on it, checks the scan's events and its
    peak RSS. Returns the report section, the generated file's ground truth and the counted run."""
    path = OUT / f"logcat_{args.size_mb:g}mb_seed{args.seed}{_density_suffix(density)}.txt"
    print(
        f"generating {path.name} ({args.size_mb:g} MB, {args.kills} kills, seed {args.seed}, "
        f"{density:g} % close-look lines) ...",
        flush=True,
    )
    gen = generate(path, args.size_mb, args.kills, args.seed, density)
    generated.append(path)
    n_killed = sum(1 for i in gen.injected if i.kind == "process_killed")
    n_died = sum(1 for i in gen.injected if i.kind == "process_died")
    print(
        f"  {mb(gen.size):.1f} MB, {gen.lines} lines in {gen.seconds:.1f}s; injected {len(gen.injected)} "
        f"lines: {n_killed} process_killed + {n_died} process_died; {gen.close_lines} close-look lines "
        f"({100 * gen.close_lines / gen.lines:.1f} %)",
        flush=True,
    )
    sig_lines = grep_count_fixed(path, SIGNATURES)
    word_lines = grep_count_fixed(path, (*SIGNATURES, *EVIDENCE))
    file = {
        "path": str(path),
        "bytes": gen.size,
        "lines": gen.lines,
        "gen_seconds": round(gen.seconds, 2),
        "injected_lines": len(gen.injected),
        "expected_process_killed": n_killed,
        "expected_process_died": n_died,
        "density_pct": density,
        "close_look_lines": gen.close_lines,
        "close_look_pct": round(100 * gen.close_lines / gen.lines, 2),
        "lines_with_pre_filter_word": word_lines,
        "lines_with_any_signature": sig_lines,
        "expected_signature_lines": gen.signature_lines,
    }
    generator_ok = sig_lines == gen.signature_lines
    if not generator_ok:
        print(f"  GENERATOR ERROR: {sig_lines} lines hold a SIGNATURE, {gen.signature_lines} expected")

    # 2. timing (the file was just written, so both read it from the page cache)
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL)  # warm the cache explicitly
    grep_argv = ["grep", "-c", "-E", GREP_PATTERN, str(path)]
    g_best, g_all, g_last = best_of(args.repeat, grep_argv)
    grep_count = int(g_last.stdout.decode().strip() or 0)
    scan_argv = [BGPROBE, "scan", "--json", str(path)]
    s_best, s_all, s_last = best_of(args.repeat, scan_argv)
    # informational: the CLI's fixed start-up cost (a scan of a 3-line file)
    tiny = OUT / "tiny_logcat.txt"
    with open(path, "rb") as fh:
        tiny.write_bytes(b"".join(fh.readline() for _ in range(4)))
    st_best, _, _ = best_of(args.repeat, [BGPROBE, "scan", "--json", str(tiny)])
    tiny.unlink()
    target = speed_target(density)
    ratio = s_best / g_best if g_best > 0 else float("inf")
    timing = {
        "grep_cmd": " ".join(grep_argv[:3]) + f" '{GREP_PATTERN}' FILE",
        "grep_best_s": round(g_best, 3),
        "grep_runs_s": [round(t, 3) for t in g_all],
        "grep_count": grep_count,
        "scan_cmd": f"{BGPROBE} scan --json FILE > /dev/null",
        "scan_best_s": round(s_best, 3),
        "scan_runs_s": [round(t, 3) for t in s_all],
        "scan_exit": s_last.returncode,
        "ratio": round(ratio, 2),
        "target_ratio": target,
        "ok": ratio <= target,
        "scan_startup_s": round(st_best, 3),
        "ratio_without_startup": round(max(s_best - st_best, 0.0) / g_best, 2) if g_best > 0 else None,
        "scan_mb_per_s": round(mb(gen.size) / s_best, 1),
        "grep_mb_per_s": round(mb(gen.size) / g_best, 1),
    }
    if s_last.stderr.strip():
        timing["scan_stderr"] = s_last.stderr.decode("utf-8", "replace")[-2000:]

    # 3 + 4. one counted run, with peak RSS
    counted = run_scan_counting(path)
    check = verify(gen, counted["events"])
    check["scan_exit"] = counted["rc"]
    check["bad_json_lines"] = counted["bad_json"]
    check["stderr"] = counted["stderr"][-2000:]
    # grep counts the kill lines and the near misses that share their words
    check["grep_count_expected"] = gen.kill_signature_lines
    check["grep_count_matches"] = grep_count == gen.kill_signature_lines
    case = {
        "density_pct": density,
        "file": file,
        "generator_ok": generator_ok,
        "timing": timing,
        "correctness": check,
        "peak_rss_mb": round(counted["rss_kb"] / 1024, 1) if counted["rss_kb"] else None,
        "counted_scan_wall_s": round(counted["wall"], 2),
    }
    return case, gen, counted


def print_summary(r: dict) -> None:
    for case in r["runs"]:
        print_case(case)
    m = r["memory"]
    print("\n== summary ==")
    print(
        f"{'density':>8} {'close-look':>10} {'grep s':>7} {'scan s (runs)':>24} {'ratio':>6} {'target':>6} "
        f"{'peak RSS':>9}  kills found/invented"
    )
    for case in r["runs"]:
        f, t, c = case["file"], case["timing"], case["correctness"]
        found = c["process_killed"]["found"] + c["process_died"]["found"]
        invented = c["process_killed"]["invented"] + c["process_died"]["invented"]
        expected = c["process_killed"]["expected"] + c["process_died"]["expected"]
        runs = ", ".join(f"{x:.2f}" for x in t["scan_runs_s"])
        print(
            f"{case['density_pct']:>7g}% {f['close_look_pct']:>9.1f}% {t['grep_best_s']:>7.3f} "
            f"{t['scan_best_s']:>6.3f} ({runs}) {t['ratio']:>5.2f}x {t['target_ratio']:>5g}x "
            f"{case['peak_rss_mb']!s:>6} MB  {found}/{expected} found, {invented} invented"
        )
    print()
    for case in r["runs"]:
        c, t = case["correctness"], case["timing"]
        d = f"{case['density_pct']:g} %"
        print(
            f"CORRECTNESS @ {d}: {'PASS' if c['ok'] else 'FAIL'} (every injected kill found, none invented; other events as expected)"
        )
        print(
            f"SPEED @ {d}:       {'PASS' if t['ok'] else 'FAIL'} (scan {t['scan_best_s']:.3f}s = {t['ratio']:.2f}x grep "
            f"{t['grep_best_s']:.3f}s; target <= {t['target_ratio']:g}x)"
        )
        if not case["generator_ok"]:
            print(f"GENERATOR @ {d}:   FAIL (lines holding a SIGNATURE differ from the generator's count)")
    if "summary_scan" in r:
        x = r["summary_scan"]
        print(
            f"SUMMARY:     {'PASS' if x['ok'] else 'FAIL'} (bgprobe scan of {mb(x['file_bytes']):.0f} MB, "
            f"{x['kill_lines']} kill/death lines: {x['wall_s']} s, peak RSS {x['peak_rss_mb']} MB; "
            f"target <= {SUMMARY_RSS_TARGET_MB} MB; every line counted: {x['counted_all']})"
        )
    if "tar_scan" in r:
        x = r["tar_scan"]
        ok = x["json_correct"] and x["summary"]["ok"] and x["flat_ok"]
        print(
            f"TAR:         {'PASS' if ok else 'FAIL'} ({mb(x['archive_bytes']):.1f} MB .tar.gz, member "
            f"{mb(x['member_bytes']):.0f} MB: --json {x['json_scan_s']} s, peak RSS {x['json_peak_rss_mb']} MB, "
            f"correct={x['json_correct']}; summary {x['summary']['wall_s']} s, peak RSS "
            f"{x['summary']['peak_rss_mb']} MB)"
        )
    if m["flat_ok"] is not None:
        rs = ", ".join(f"{x['size_mb']:g} MB -> {x['peak_rss_mb']} MB" for x in m["runs"])
        print(f"MEMORY:      {'PASS' if m['flat_ok'] else 'FAIL'} (peak RSS {rs}; limit {m['factor_limit']:g}x)")
    else:
        print(f"MEMORY:      peak RSS {m['runs'][0]['peak_rss_mb']} MB (use --memory-sizes 100,1000 to compare)")


def print_case(case: dict) -> None:
    f, t, c = case["file"], case["timing"], case["correctness"]
    print(f"\n== scan benchmark, {case['density_pct']:g} % of lines need a close look ==")
    rows = [
        ("file", f"{mb(f['bytes']):.1f} MB, {f['lines']} lines, {f['injected_lines']} injected kill/death lines"),
        (
            "close-look lines",
            f"{f['close_look_lines']} ({f['close_look_pct']} %); {f['lines_with_pre_filter_word']} hold a pre-filter "
            f"word, {f['lines_with_any_signature']} a SIGNATURE",
        ),
        (
            "grep -c -E (best)",
            f"{t['grep_best_s']:.3f} s  ({t['grep_mb_per_s']} MB/s)  count={t['grep_count']} "
            f"(expected {c['grep_count_expected']})",
        ),
        (
            "bgprobe scan --json (best)",
            f"{t['scan_best_s']:.3f} s  ({t['scan_mb_per_s']} MB/s)  runs={t['scan_runs_s']}",
        ),
        ("ratio scan/grep", f"{t['ratio']:.2f}x  (target <= {t['target_ratio']:g}x)"),
        (
            "  of which CLI start-up",
            f"{t['scan_startup_s']:.3f} s (scan of a 3-line file); ratio without it {t['ratio_without_startup']}x",
        ),
    ]
    for kind in ("process_killed", "process_died"):
        k = c[kind]
        rows.append(
            (
                kind,
                f"expected {k['expected']}, found {k['found']}, missed {k['missed']}, "
                f"invented {k['invented']}, duplicated {k['duplicated']}",
            )
        )
    other = json.dumps(c["other_events"], sort_keys=True) if c["other_events"] else "none"
    expected = json.dumps(c["expected_other_events"], sort_keys=True) if c["expected_other_events"] else "none"
    rows.append(("other events", other if c["other_events_ok"] else f"{other}, expected {expected}"))
    rows.append(
        ("line/ts of events", "all match" if c["location_ok"] else f"{len(c['location_mismatches'])}+ mismatches")
    )
    rows.append(("peak RSS", f"{case['peak_rss_mb']} MB  (counted scan {case['counted_scan_wall_s']} s)"))
    width = max(len(a) for a, _ in rows)
    for a, b in rows:
        print(f"{a:<{width}}  {b}")
    if c["stderr"].strip():
        print(f"scanner stderr: {c['stderr'].strip()[:500]}")
    for kind in ("process_killed", "process_died"):
        for line in c[kind]["missed_lines"][:5]:
            print(f"  missed: {line}")
        for s in c[kind]["invented_samples"][:5]:
            print(f"  invented: {kind} {s}")
    for s in c["location_mismatches"][:5]:
        print(f"  location: {s}")


def grep_count_fixed(path: Path, words: tuple[str, ...]) -> int:
    """Lines holding any of these words (grep -c -F -f)."""
    pat = OUT / "words.txt"
    pat.write_text("\n".join(words) + "\n")
    r = subprocess.run(["grep", "-c", "-F", "-f", str(pat), str(path)], stdout=subprocess.PIPE, text=True)
    pat.unlink()
    return int(r.stdout.strip() or 0)


if __name__ == "__main__":
    sys.exit(main())
