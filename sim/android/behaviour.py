"""The published facts the simulated Android phones behave by, each with its source.

Stock Android (AOSP, frameworks/base; apex/jobscheduler/service/... from Android 11, services/core/...
before): doze timings, standby-bucket quotas, the restricted bucket, job execution limits. The makers'
killers: dontkillmyapp.com and the makers' own pages (what they kill, when, what spares an app); no maker
publishes how soon its killer acts, so those delays are this simulator's choice, ordered as
dontkillmyapp.com ranks the makers, and said so below.

Kept as simple as honest modelling allows: what a campaign can observe (whether a job starts, how its
run ends and why) follows these numbers; what it cannot (the sensor steps of deep doze, TimingSession
coalescing, the rate-limiting window) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

MINUTE = 60.0
HOUR = 3600.0

# -- Doze: DeviceIdleController.Constants --------------------------------------------------------
# DEFAULT_IDLE_TIMEOUT = 60 min, DEFAULT_IDLE_FACTOR = 2, DEFAULT_MAX_IDLE_TIMEOUT = 6 h: deep IDLE
# lasts 1 h, then 2 h, 4 h, 6 h, 6 h ...; between them IDLE_MAINTENANCE lasts mNextIdlePendingDelay:
# DEFAULT_IDLE_PENDING_TIMEOUT = 5 min, DEFAULT_IDLE_PENDING_FACTOR = 2, DEFAULT_MAX_IDLE_PENDING_TIMEOUT
# = 10 min (stepIdleStateLocked). The same defaults from Android 6 to 15 (AOSP source and the Android
# 12-14 services.jar of shipping builds).
DEEP_IDLE_S = (60 * MINUTE, 120 * MINUTE, 240 * MINUTE, 6 * HOUR)
DEEP_MAINTENANCE_S = (5 * MINUTE, 10 * MINUTE)
# Light doze: DEFAULT_LIGHT_IDLE_TIMEOUT = 5 min, DEFAULT_LIGHT_IDLE_FACTOR = 2, DEFAULT_LIGHT_MAX_IDLE_TIMEOUT
# = 15 min; its maintenance window is at least DEFAULT_LIGHT_IDLE_MAINTENANCE_MIN_BUDGET = 1 min (at most
# ..._MAX_BUDGET = 5 min, ended early when no job is waiting; the simulator uses the minimum). Android 13
# added a flex (DEFAULT_LIGHT_IDLE_TIMEOUT_INITIAL_FLEX = 1 min) that is not modelled.
LIGHT_IDLE_S = (5 * MINUTE, 10 * MINUTE, 15 * MINUTE)
LIGHT_MAINTENANCE_S = (1 * MINUTE,)


def doze_phase(kind: str, seconds_idle: float) -> str:
    """IDLE or IDLE_MAINTENANCE, `seconds_idle` after the phone entered IDLE (deep or light)."""
    idles, windows = (DEEP_IDLE_S, DEEP_MAINTENANCE_S) if kind == "deep" else (LIGHT_IDLE_S, LIGHT_MAINTENANCE_S)
    t, i = seconds_idle, 0
    while True:
        idle = idles[min(i, len(idles) - 1)]
        if t < idle:
            return "IDLE"
        t -= idle
        window = windows[min(i, len(windows) - 1)]
        if t < window:
            return "IDLE_MAINTENANCE"
        t -= window
        i += 1


# -- Standby buckets: QuotaController.QcConstants ------------------------------------------------
# Android 10+ (QuotaController): DEFAULT_ALLOWED_TIME_PER_PERIOD_MS = 10 min of job execution per
# window; DEFAULT_WINDOW_SIZE_{ACTIVE,WORKING,FREQUENT,RARE,RESTRICTED}_MS = 10 min, 2 h, 8 h, 24 h,
# 24 h; DEFAULT_MAX_JOB_COUNT_{...} = 75, 120, 200, 48, 10 per window. Android 11 added
# DEFAULT_MAX_SESSION_COUNT_{...} = 75, 10, 8, 3, 1 (a session: the app running jobs without a break)
# and the RESTRICTED bucket. Android 13-14 keep these defaults per bucket
# (DEFAULT_ALLOWED_TIME_PER_PERIOD_{bucket}_MS, all 10 min).
ALLOWED_TIME_S = 10 * MINUTE
WINDOW_S = {10: 10 * MINUTE, 20: 2 * HOUR, 30: 8 * HOUR, 40: 24 * HOUR, 45: 24 * HOUR}
MAX_JOBS = {10: 75, 20: 120, 30: 200, 40: 48, 45: 10}
MAX_SESSIONS = {10: 75, 20: 10, 30: 8, 40: 3, 45: 1}
SESSIONS_FROM_SDK = 30
QUOTA_FROM_SDK = 29
# Android 9 had no QuotaController: JobSchedulerService ran a bucket's jobs only every N "heartbeats"
# (Constants.STANDBY_BEATS: WORKING 11, FREQUENT 43, RARE 130 beats of 11 min): about 2 h, 8 h, 24 h.
P_HEARTBEAT_S = {10: 0.0, 20: 2 * HOUR, 30: 8 * HOUR, 40: 24 * HOUR, 45: 24 * HOUR}
# JobStatus.DYNAMIC_RESTRICTED_CONSTRAINTS (Android 11+): a RESTRICTED-bucket job out of quota may still
# run when the phone is charging, its battery not low, idle, and (if the job needs it) on a network.
RESTRICTED_BUCKET = 45
RESTRICTED_FROM_SDK = 30
# AppStandbyController.getAppMinBucket: an app on the power-save allowlist ("battery optimization: not
# optimized") is in the EXEMPTED bucket, whatever bucket the shell set; DeviceIdleJobsController lets
# its jobs run in doze (API 24+), and AppStateTracker.isRestricted never restricts it.

# -- Job execution limits -------------------------------------------------------------------------
# Up to Android 13: JobServiceContext.EXECUTING_TIMESLICE_MILLIS = 10 min, then onStopJob (timeout).
# Android 14: JobSchedulerService.Constants DEFAULT_RUNTIME_MIN_GUARANTEE_MS = 10 min for a regular job
# (longer only while the app has quota, up to DEFAULT_RUNTIME_FREE_QUOTA_MAX_LIMIT_MS = 30 min; not
# modelled) and DEFAULT_RUNTIME_MIN_EJ_GUARANTEE_MS = 3 min for an expedited one (no expedited jobs here).
JOB_TIMEOUT_S = 10 * MINUTE


# -- Killers ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Killer:
    """Who kills a background app's process on this phone, and how soon after its work starts.

    `oem_mean_s`: the maker's killer acts on a background process of an app that is not allowlisted
    while the screen is off, after an exponentially distributed delay with this mean (0: no such
    killer). `lmkd_mean_s`: lmkd under memory pressure, the mean delay for a 100 MB process (larger
    processes sooner: lmkd picks by oom_score_adj, then by size). Neither acts while the screen is on."""

    oem_mean_s: float
    lmkd_mean_s: float


# Stock Android (Google): no maker's killer; lmkd kills only under memory pressure (system/memory/lmkd,
# "Kill ... reason: device is low on swap ... and thrashing"): rare for a job's process (oom_score_adj
# around 200-250 while it runs), so a long mean.
# Samsung (dontkillmyapp.com/samsung; developer.samsung.com/mobile/app-management.html): "sleeping apps"
# and adaptive battery kill and stop background processes; "Background usage limits > Never sleeping
# apps" or battery optimization off spares an app. Huawei (dontkillmyapp.com/huawei): PowerGenie and
# HwPFWService kill background apps after the screen goes off unless "App launch" is manual / the app
# is allowlisted. Xiaomi (dontkillmyapp.com/xiaomi): MIUI's cleaner kills background apps ("In default
# settings, background processing simply does not work right") unless Autostart is on and Battery
# saver is "No restrictions". OnePlus (dontkillmyapp.com/oneplus): battery optimization and "deep
# optimization" kill background apps unless the app is "Don't optimize".
# The means are this simulator's choice: no maker publishes one. Samsung, Huawei and Xiaomi ("aggressive")
# act within seconds to a minute of a background job starting, OnePlus ("moderate") within a few minutes.
KILLERS: dict[str, Killer] = {
    "stock": Killer(oem_mean_s=0.0, lmkd_mean_s=4 * HOUR),
    "moderate": Killer(oem_mean_s=90.0, lmkd_mean_s=3 * HOUR),
    "aggressive": Killer(oem_mean_s=20.0, lmkd_mean_s=2 * HOUR),
    "none": Killer(oem_mean_s=0.0, lmkd_mean_s=0.0),  # no background kills: a control for benchmarks
}
