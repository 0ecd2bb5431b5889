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

SPEED_TARGET = 5.0  # scan wall time <= 5 x grep -c wall time
MEMORY_FLAT_FACTOR = 1.5  # peak RSS of the largest input <= 1.5 x the smallest one's
SUMMARY_RSS_TARGET_MB = 150  # `bgprobe scan FILE` (summary) of a log of ~1M kills
WRITE_BLOCK = 4 << 20
START = dt.datetime(2024, 10, 30, 8, 0, 0)

# The kill/death signatures this benchmark injects; grep -c -E uses their alternation.
KILL_SIGNATURES = ("Killing ", "Kill '", "has died", "Force stopping ", "exited due to signal", "am_kill")
GREP_PATTERN = "|".join(KILL_SIGNATURES)

try:  # the scanner's own pre-filter list: the noise must never contain any of these
    from bgprobe.collectors.parsers.android_log import SIGNATURES as _SIGS

    SIGNATURES: tuple[str, ...] = tuple(s.decode() for s in _SIGS)
except Exception:  # pragma: no cover - keep the benchmark usable if the module moves
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
                f"Scheduling restart of crashed service {p}/.sync.SyncService in {r.choice((1000, 4000, 16000, 64000))}ms for start-requested",
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


def generate(path: Path, size_mb: float, kills: int, seed: int) -> GenResult:
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
    res = GenResult(path=path, size=0, lines=0)
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
    res.seconds = time.perf_counter() - t0
    return res


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
    out["other_events"] = other  # the noise has no signature, so anything here is invented too
    ok &= not other
    out["ok"] = ok
    out["location_mismatches"] = loc_mismatch
    out["location_ok"] = not loc_mismatch
    out["reasons_by_format"] = {f: dict(c.most_common(8)) for f, c in sorted(reasons_by_fmt.items())}
    exp_by_fmt = collections.Counter(i.fmt for i in gen.injected)
    out["injected_by_format"] = dict(sorted(exp_by_fmt.items()))
    return out


def grep_count_all_signatures(path: Path) -> int:
    """Lines holding any scanner SIGNATURE: must equal the number of injected lines."""
    pat = OUT / "signatures.txt"
    pat.write_text("\n".join(SIGNATURES) + "\n")
    r = subprocess.run(["grep", "-c", "-F", "-f", str(pat), str(path)], stdout=subprocess.PIPE, text=True)
    pat.unlink()
    return int(r.stdout.strip() or 0)


def mb(n: int) -> float:
    return n / (1024 * 1024)


def main(argv: list[str] | None = None) -> int:
    compile_bgprobe()  # time what an installed user runs (see precompile.py)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=float, default=100.0, help="size of the timed logcat file (MB)")
    ap.add_argument("--kills", type=int, default=5000, help="kill/death lines injected in the timed file")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the generated files in bench/out/")
    ap.add_argument(
        "--memory-sizes",
        default=None,
        help="comma-separated sizes in MB for the peak-RSS comparison, e.g. 100,1000 "
        "(kills scale with size: --kills per --size-mb)",
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
        help="also the timed file as the member of a sysdiagnose-like .tar.gz: --json and "
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
            "speed": f"scan <= {SPEED_TARGET:g} x grep -c wall time",
            "correctness": "every injected kill/death found, none invented",
            "memory": f"peak RSS flat as input grows (largest <= {MEMORY_FLAT_FACTOR:g} x smallest)",
        },
    }
    try:
        # 1. generate the timed file
        path = OUT / f"logcat_{args.size_mb:g}mb_seed{args.seed}.txt"
        print(f"generating {path.name} ({args.size_mb:g} MB, {args.kills} kills, seed {args.seed}) ...", flush=True)
        gen = generate(path, args.size_mb, args.kills, args.seed)
        generated.append(path)
        n_killed = sum(1 for i in gen.injected if i.kind == "process_killed")
        n_died = sum(1 for i in gen.injected if i.kind == "process_died")
        print(
            f"  {mb(gen.size):.1f} MB, {gen.lines} lines in {gen.seconds:.1f}s; injected {len(gen.injected)} "
            f"lines: {n_killed} process_killed + {n_died} process_died",
            flush=True,
        )
        sig_lines = grep_count_all_signatures(path)
        report["file"] = {
            "path": str(path),
            "bytes": gen.size,
            "lines": gen.lines,
            "gen_seconds": round(gen.seconds, 2),
            "injected_lines": len(gen.injected),
            "expected_process_killed": n_killed,
            "expected_process_died": n_died,
            "lines_with_any_signature": sig_lines,
        }
        if sig_lines != len(gen.injected):
            print(f"  GENERATOR ERROR: {sig_lines} lines hold a SIGNATURE, {len(gen.injected)} were injected")

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
        generated.append(tiny)
        st_best, _, _ = best_of(args.repeat, [BGPROBE, "scan", "--json", str(tiny)])
        ratio = s_best / g_best if g_best > 0 else float("inf")
        speed_ok = ratio <= SPEED_TARGET
        report["timing"] = {
            "grep_cmd": " ".join(grep_argv[:3]) + f" '{GREP_PATTERN}' FILE",
            "grep_best_s": round(g_best, 3),
            "grep_runs_s": [round(t, 3) for t in g_all],
            "grep_count": grep_count,
            "scan_cmd": f"{BGPROBE} scan --json FILE > /dev/null",
            "scan_best_s": round(s_best, 3),
            "scan_runs_s": [round(t, 3) for t in s_all],
            "scan_exit": s_last.returncode,
            "ratio": round(ratio, 2),
            "target_ratio": SPEED_TARGET,
            "ok": speed_ok,
            "scan_startup_s": round(st_best, 3),
            "ratio_without_startup": round(max(s_best - st_best, 0.0) / g_best, 2) if g_best > 0 else None,
            "scan_mb_per_s": round(mb(gen.size) / s_best, 1),
            "grep_mb_per_s": round(mb(gen.size) / g_best, 1),
        }
        if s_last.stderr.strip():
            report["timing"]["scan_stderr"] = s_last.stderr.decode("utf-8", "replace")[-2000:]

        # 3 + 4. one counted run, with peak RSS
        counted = run_scan_counting(path)
        check = verify(gen, counted["events"])
        check["scan_exit"] = counted["rc"]
        check["bad_json_lines"] = counted["bad_json"]
        check["stderr"] = counted["stderr"][-2000:]
        check["grep_count_matches_injected"] = grep_count == len(gen.injected)
        report["correctness"] = check
        memory = [
            {
                "size_mb": args.size_mb,
                "bytes": gen.size,
                "kills": args.kills,
                "peak_rss_mb": round(counted["rss_kb"] / 1024, 1) if counted["rss_kb"] else None,
                "scan_wall_s": round(counted["wall"], 2),
                "correct": check["ok"],
            }
        ]

        # 4b. further sizes for the memory comparison
        if args.memory_sizes:
            sizes = [float(s) for s in args.memory_sizes.split(",") if s.strip()]
            for size in sizes:
                if abs(size - args.size_mb) < 1e-9:
                    continue
                kills = max(1, round(args.kills * size / args.size_mb))
                p = OUT / f"logcat_{size:g}mb_seed{args.seed}.txt"
                print(f"generating {p.name} ({size:g} MB, {kills} kills) for the memory check ...", flush=True)
                g = generate(p, size, kills, args.seed)
                generated.append(p)
                print(f"  {mb(g.size):.1f} MB, {g.lines} lines in {g.seconds:.1f}s; scanning ...", flush=True)
                c = run_scan_counting(p)
                v = verify(g, c["events"])
                memory.append(
                    {
                        "size_mb": size,
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
            archive = OUT / f"sysdiagnose_{args.size_mb:g}mb_seed{args.seed}.tar.gz"
            print(f"packing {path.name} into {archive.name} ...", flush=True)
            t0 = time.perf_counter()
            with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
                tar.add(path, arcname=f"{archive.name[:-7]}/logs/logcat.log")
            generated.append(archive)
            counted_tar = run_scan_counting(archive)
            tar_check = verify(gen, counted_tar["events"])
            summary_tar = run_summary(archive, len(gen.injected))
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
        all_ok = check["ok"] and speed_ok and mem_ok is not False and all(m["correct"] for m in memory) and extra_ok
        return 0 if all_ok else 1
    finally:
        if not args.keep:
            for p in generated:
                p.unlink(missing_ok=True)


def print_summary(r: dict) -> None:
    f, t, c, m = r["file"], r["timing"], r["correctness"], r["memory"]
    print("\n== scan benchmark ==")
    rows = [
        ("file", f"{mb(f['bytes']):.1f} MB, {f['lines']} lines, {f['injected_lines']} injected kill/death lines"),
        ("grep -c -E (best of 3)", f"{t['grep_best_s']:.3f} s  ({t['grep_mb_per_s']} MB/s)  count={t['grep_count']}"),
        (
            "bgprobe scan --json (best of 3)",
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
    rows.append(("other events", json.dumps(c["other_events"]) if c["other_events"] else "none"))
    rows.append(
        ("line/ts of events", "all match" if c["location_ok"] else f"{len(c['location_mismatches'])}+ mismatches")
    )
    for run in m["runs"]:
        rows.append(
            (
                f"peak RSS @ {run['size_mb']:g} MB ({run['kills']} kills)",
                f"{run['peak_rss_mb']} MB  (scan {run['scan_wall_s']} s, correct={run['correct']})",
            )
        )
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
    print()
    print(f"CORRECTNESS: {'PASS' if c['ok'] else 'FAIL'} (every injected kill found, none invented)")
    print(
        f"SPEED:       {'PASS' if t['ok'] else 'FAIL'} (scan {t['scan_best_s']:.3f}s = {t['ratio']:.2f}x grep "
        f"{t['grep_best_s']:.3f}s; target <= {t['target_ratio']:g}x)"
    )
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


if __name__ == "__main__":
    sys.exit(main())
