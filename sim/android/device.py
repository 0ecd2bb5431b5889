"""One simulated Android phone: its state, its scheduler and killers, and what it logs.

Everything the phone does shows up only the way a real phone shows it: log lines in the exact
formats of its OS version (the AOSP code that logs each is cited there), `dumpsys` text, exit-info records.
State commands (doze, buckets, battery, saver, network, appops) change what the scheduler and
the killers do next.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import zlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from bgprobe.sim.android import behaviour
from bgprobe.sim.android.logbuf import LogBuffers
from bgprobe.sim.android.profile import AppSpec, DeviceProfile, JobSpec
from bgprobe.sim.clock import SimClock

SYSTEM_SERVER_PID = 1702
LMKD_PID = 710
ZYGOTE_PID = 850
TICK_S = 15.0  # simulated seconds between scheduler passes
JOB_TIMEOUT_S = behaviour.JOB_TIMEOUT_S  # JobScheduler's execution limit for a regular job (10 minutes)

BUCKETS = {"active": 10, "working_set": 20, "frequent": 30, "rare": 40, "restricted": 45, "never": 50}
BUCKET_NAMES = {v: k.upper() for k, v in BUCKETS.items()}

# MIUI's own app op for Autostart (Telegram's XiaomiUtilities.OP_AUTO_START = 10008)
MIUI_AUTOSTART_OP = "10008"
# Runtime permissions doctor reads, with the API level that made them runtime ones
RUNTIME_PERMISSIONS = {"android.permission.POST_NOTIFICATIONS": 33}
# SystemConfig's allowlists, as `dumpsys deviceidle whitelist` prints them (package, app id): an
# `allow-in-power-save` app is in both lists (DeviceIdleController puts it in mPowerSaveWhitelistApps and
# in mPowerSaveWhitelistAppsExceptIdle), an `allow-in-power-save-except-idle` one only in the latter.
SYSTEM_ALLOWLIST = {
    "system-excidle": [("com.android.providers.downloads", 10011), ("com.android.phone", 1001)],
    "system": [("com.android.phone", 1001)],
}
DATA_SUB_ID = 1  # the data subscription of a simulated dual-SIM phone
DEEP_STATES = ("ACTIVE", "INACTIVE", "IDLE_PENDING", "SENSING", "LOCATING", "IDLE", "IDLE_MAINTENANCE")
LIGHT_STATES = ("ACTIVE", "INACTIVE", "IDLE", "IDLE_MAINTENANCE")

# JobStatus.overrideState, set by `cmd jobscheduler run` (JobSchedulerService.executeRunCommand):
# -f is OVERRIDE_FULL, -s OVERRIDE_SORTING (Android 11+), neither OVERRIDE_SOFT (numbering of
# Android 14's JobStatus; Android 10 had only SOFT=1 and FULL=2).
OVERRIDE_NONE, OVERRIDE_SORTING, OVERRIDE_SOFT, OVERRIDE_FULL = 0, 1, 2, 3
# JobStatus.SOFT_OVERRIDE_CONSTRAINTS: what a plain `run` pretends is satisfied; the rest
# (CONNECTIVITY, CONTENT_TRIGGER) are the "functional" constraints only -f overrides.
SOFT_OVERRIDE_CONSTRAINTS = ("CHARGING", "BATTERY_NOT_LOW", "STORAGE_NOT_LOW", "TIMING_DELAY", "IDLE")
# JobPackageTracker.EVENT_BUFFER_SIZE: the "Job history:" ring of START/STOP events, device-wide
JOB_HISTORY_SIZE = 100
# android.util.Log priorities, for WorkManager's Logger.LogcatLogger level check
LOG_PRIORITY = {"V": 2, "D": 3, "I": 4, "W": 5, "E": 6}


@dataclass
class JobState:
    spec: JobSpec
    app: AppSpec
    enqueued_at: datetime
    next_run_at: datetime
    running_since: datetime | None = None
    ends_at: datetime | None = None
    will_fail: bool = False
    override: int = OVERRIDE_NONE  # JobStatus.overrideState (stays set until the job runs)
    override_epoch: int = 0  # the device's epoch when that override was asked for
    num_failures: int = 0
    last_success: datetime | None = None
    last_failure: datetime | None = None
    # WorkSpec.calculateNextRunTime() of a WorkManager job: WorkerWrapper skips a run of periodic or
    # backed-off work that comes before it (None: one-time work that is not backed off)
    wm_next_run_at: datetime | None = None

    @property
    def forced(self) -> bool:
        return self.override == OVERRIDE_FULL


@dataclass
class HistoryEntry:
    """One JobPackageTracker event: what `dumpsys jobscheduler` prints under "Job history:"."""

    elapsed_ms: int  # mEventTimes: elapsedRealtime of the event
    label: str  # START, STOP, START-P, STOP-P (the -P ones for periodic jobs)
    job: JobState
    reason: str  # STOP only: the debug reason JobServiceContext passed, else the stop reason's name


@dataclass
class Process:
    pid: int
    app: AppSpec
    started: datetime
    adj: int = 905  # cached by default; 200-ish while running a job


@dataclass
class ExitRecord:
    ts: datetime
    pid: int
    app: AppSpec
    reason: int
    subreason: int
    importance: int
    pss_mb: int
    rss_mb: int
    description: str | None


@dataclass
class DeviceState:
    plugged: str
    level: int
    battery_frozen: bool = False  # `dumpsys battery set/unplug`: UPDATES STOPPED
    saver: bool = False
    wifi: bool = True
    data: bool = True
    airplane: bool = False
    wifi_persisted: int = 1  # Settings.Global.WIFI_ON as WifiSettingsStore writes it (0..3)
    screen_on: bool = False
    deep_state: str = "ACTIVE"
    light_state: str = "ACTIVE"
    force_idle: bool = False
    deep_enabled: bool = True
    light_enabled: bool = True
    idle_since: datetime | None = None
    monitor_battery: bool = False
    settings: dict[str, dict[str, str]] = field(default_factory=lambda: {"global": {}, "secure": {}, "system": {}})

    @property
    def charging(self) -> bool:
        return bool(self.plugged)

    @property
    def network(self) -> bool:
        return not self.airplane and (self.wifi or self.data)


class SimAndroidDevice:
    def __init__(self, profile: DeviceProfile, clock: SimClock, seed: int = 0) -> None:
        self.profile = profile
        self.clock = clock
        self.seed = seed
        # Cosmetic draws only (pids, sizes, ids): what the phone does is drawn by draw(), keyed.
        self.rng = random.Random(f"{seed}:{profile.behaviour_seed or profile.serial}")
        self.epoch = 0  # state changes and forced runs so far (bump_epoch)
        self.logs = LogBuffers()
        self._task: asyncio.Task[None] | None = None
        self.reset()

    # -- lifecycle ---------------------------------------------------------------------------
    def reset(self) -> None:
        """Power-on state (also after a simulated reboot: what bgprobe changed is gone)."""
        p = self.profile
        now = self.clock.now()
        self.state = DeviceState(plugged=p.plugged, level=p.battery_level)
        self._sync_settings()
        self.buckets: dict[str, int] = {a.package: 10 if i == 0 else 20 for i, a in enumerate(p.apps)}
        self.run_any_in_background: dict[str, tuple[str, datetime | None]] = {}
        # What `bgprobe doctor` reads of an app's standing (read-only; the tests change it by hand):
        # - DeviceIdleController's user allowlist (mPowerSaveWhitelistUserApps): battery optimization
        #   off for these apps, `dumpsys deviceidle whitelist +PKG / -PKG`;
        self.power_allowlist: set[str] = {a for a in p.power_allowlist if any(x.package == a for x in p.apps)}
        # - AppOpsService modes of other ops, by (package, op): SCHEDULE_EXACT_ALARM (Android 12+; no
        #   entry is MODE_DEFAULT) and, on Xiaomi's MIUI/HyperOS, its own op 10008 (Autostart), which
        #   MIUI writes for every app and sets to ignore for third-party apps until the user allows it
        #   (captures of `cmd appops get PKG` print `MIUIOP(10008): ignore`);
        self.app_ops: dict[tuple[str, str], tuple[str, datetime | None]] = {}
        if p.manufacturer == "Xiaomi":
            for app in p.apps:
                self.app_ops[(app.package, MIUI_AUTOSTART_OP)] = ("ignore", None)
        # - runtime permissions granted (PermissionManagerService): POST_NOTIFICATIONS is one from
        #   Android 13; the demo's user allowed it;
        self.runtime_granted: dict[str, set[str]] = {
            a.package: {x for x in a.permissions if x in RUNTIME_PERMISSIONS and p.sdk >= RUNTIME_PERMISSIONS[x]}
            for a in p.apps
        }
        # - AppHibernationService's per-user state (Android 12+): apps put to sleep for being unused.
        self.hibernating: set[str] = set()
        self.processes: dict[str, Process] = {}
        self.exits: list[ExitRecord] = []
        self._next_pid = 20000 + self.rng.randrange(5000)
        self.last_app_run: dict[str, datetime] = {}
        # QuotaController's view of each app: its sessions (start, end or None while running) and its
        # job starts, for the allowance of its standby bucket's window
        self.sessions: dict[str, list[list[datetime | None]]] = {}
        self.job_starts: dict[str, list[datetime]] = {}
        self._starts_in_epoch: dict[tuple[str, int, int], int] = {}
        # When and by whom each app's process dies during its current session of jobs (drawn by the run
        # that opened the session: a run that joins a running session draws no kill of its own)
        self.session_kill: dict[str, tuple[datetime, str]] = {}
        # Packages in the stopped state (force-stopped, not started since): ActivityManagerService
        # adds FLAG_EXCLUDE_STOPPED_PACKAGES to every broadcast, so their receivers get nothing.
        self.stopped_packages: set[str] = set()
        self.job_history: deque[HistoryEntry] = deque(maxlen=JOB_HISTORY_SIZE)
        self.jobs: dict[tuple[str, int], JobState] = {}
        for app in p.apps:
            for spec in app.jobs:
                delay = spec.min_latency_s or self.draw("enqueue", app.package, spec.job_id).uniform(30, 180)
                self.jobs[(app.package, spec.job_id)] = JobState(
                    spec, app, enqueued_at=now, next_run_at=_plus(now, delay)
                )
        self.log("main", ZYGOTE_PID, 1000, "I", "Zygote", "System server process has started")

    # -- random draws, keyed ------------------------------------------------------------------
    def draw(self, *key: object) -> random.Random:
        """A random stream for one decision, keyed by the seed, the phone and `key` (a job, its epoch and
        its run number in that epoch): the same campaign with the same --seed draws the same numbers
        however long its polls and adb round trips took, where one stream drawn per clock tick did not."""
        name = self.profile.behaviour_seed or self.profile.serial
        return random.Random(f"{self.seed}:{name}:" + ":".join(str(k) for k in key))

    def bump_epoch(self) -> None:
        """A command changed the phone (shell.py `_mutates`): later runs draw from fresh streams."""
        self.epoch += 1

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"sim-{self.profile.serial}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await self.clock.sleep(TICK_S)
            self.tick()

    # -- logging -----------------------------------------------------------------------------
    def log(self, buffer: str, pid: int, uid: int, level: str, tag: str, msg: str, tid: int | None = None) -> None:
        self.logs.add(buffer, self.clock.now(), pid, tid or pid, uid, level, tag, msg)

    def _am(self, msg: str, level: str = "I") -> None:
        self.log("system", SYSTEM_SERVER_PID, 1000, level, "ActivityManager", msg, tid=SYSTEM_SERVER_PID + 268)

    def _event(self, tag: str, fields: str) -> None:
        self.log("events", SYSTEM_SERVER_PID, 1000, "I", tag, f"[{fields}]", tid=SYSTEM_SERVER_PID + 268)

    # -- the scheduler -----------------------------------------------------------------------
    def tick(self) -> None:
        now = self.clock.now()
        self._advance_doze(now)
        for job in self.jobs.values():
            if job.running_since is not None:
                self._progress(job, now)
            elif not self.not_ready(job):
                # a job forced while doze or background restriction held it starts here, once they lift
                self.start_job(job, forced=job.forced, owed=job.override != OVERRIDE_NONE)

    def blockers(self, job: JobState, *, ignore_functional: bool = False) -> list[str]:
        """Why the job cannot run now, as JobStatus constraint names (empty: it may run)."""
        s, spec = self.state, job.spec
        out: list[str] = []
        if not ignore_functional:
            if spec.needs_network and not s.network:
                out.append("CONNECTIVITY")
            if spec.needs_charging and not s.charging:
                out.append("CHARGING")
            if spec.needs_idle and s.screen_on:
                out.append("IDLE")
            if spec.needs_battery_not_low and not (s.charging or s.level > 15):
                out.append("BATTERY_NOT_LOW")
        package = job.app.package
        # DeviceIdleJobsController: doze holds every job but those of allowlisted apps (API 24+)
        if self.dozing() and package not in self.power_allowlist:
            out.append("DEVICE_NOT_DOZING")
        if self.restricted(package):
            out.append("BACKGROUND_NOT_RESTRICTED")
        if self.profile.sdk >= 28 and not self._within_quota(package) and not self._restricted_parole(job):
            out.append("WITHIN_QUOTA")
        return out

    def unmet_constraints(self, job: JobState) -> list[str]:
        """The job's own constraints that are not met now (JobStatus.mSatisfiedConstraintsOfInterest
        against its required ones), TIMING_DELAY included."""
        out = [b for b in self.blockers(job) if b in ("CONNECTIVITY", "CHARGING", "IDLE", "BATTERY_NOT_LOW")]
        if self.clock.now() < job.next_run_at:
            out.append("TIMING_DELAY")
        return out

    def constraints_satisfied(self, job: JobState, override: int) -> bool:
        """JobStatus.isConstraintsSatisfied: OVERRIDE_FULL passes everything, OVERRIDE_SOFT the
        SOFT_OVERRIDE_CONSTRAINTS; OVERRIDE_SORTING (-s) and none need every constraint met."""
        if override == OVERRIDE_FULL:
            return True
        unmet = self.unmet_constraints(job)
        if override == OVERRIDE_SOFT:
            unmet = [c for c in unmet if c not in SOFT_OVERRIDE_CONSTRAINTS]
        return not unmet

    def not_ready(self, job: JobState) -> list[str]:
        """Why JobStatus.isReady() is false (empty: JobScheduler runs it now).

        isReady() = mReadyNotDozing && mReadyNotRestrictedInBg && (deadline || isConstraintsSatisfied()),
        after the quota check: the override of `run -f` reaches only isConstraintsSatisfied, so doze
        (DeviceIdleJobsController) and background restriction (BackgroundJobsController) hold a
        forced job as they hold any other. Quota gates forced runs too (QuotaController does not look
        at overrideState), now that the simulator's quota is QuotaController's allowance per window
        (behaviour.py) rather than the crude minimum interval it once was.
        """
        out = self.blockers(job, ignore_functional=True)
        if not self.constraints_satisfied(job, job.override):
            out += self.unmet_constraints(job)
        return out

    def request_run(self, job: JobState, *, force: bool, satisfied: bool) -> bool:
        """JobSchedulerService.executeRunCommand: set the override; False (CMD_ERR_CONSTRAINTS) when
        the job's constraints are not met under it. Success is not a start: the job is queued
        (queueReadyJobsForExecutionLocked) only if isReady(), and otherwise keeps the override and
        waits for whatever holds it (doze, restriction), while the shell prints "Running job"."""
        override = OVERRIDE_FULL if force else OVERRIDE_SORTING if satisfied else OVERRIDE_SOFT
        if not self.constraints_satisfied(job, override):
            job.override = OVERRIDE_NONE
            return False
        job.override = override
        job.override_epoch = self.epoch
        if job.running_since is None and not self.not_ready(job):
            self.start_job(job, forced=force)
        return True

    def dozing(self) -> bool:
        s = self.state
        return (s.deep_state == "IDLE") or (s.light_state == "IDLE" and s.deep_state != "IDLE_MAINTENANCE")

    def restricted(self, package: str) -> bool:
        # AppStateTracker restricts an app whose RUN_ANY_IN_BACKGROUND mode is anything but allow
        # (MODE_DEFAULT included); no entry means the op's default, allow.
        # AppStateTracker.isRestricted: an app on the power-save allowlist is never restricted. (The
        # RESTRICTED standby bucket is not this: it limits quota, _within_quota.) Before Android 11 the
        # simulator keeps treating bucket 45 as a restriction, as it did.
        mode = self.run_any_in_background.get(package, ("allow", None))[0]
        if self.profile.sdk < 28 or package in self.power_allowlist:
            return False
        old_restricted_bucket = self.profile.sdk < behaviour.RESTRICTED_FROM_SDK and self.buckets.get(package) == 45
        return mode != "allow" or old_restricted_bucket

    def effective_bucket(self, package: str) -> int:
        """AppStandbyController.getAppMinBucket: allowlisted apps are EXEMPTED (5) whatever was set."""
        return 5 if package in self.power_allowlist else self.buckets.get(package, 10)

    def _within_quota(self, package: str) -> bool:
        """QuotaController.isWithinQuotaLocked (Android 10+), or Android 9's heartbeats; the numbers and
        their sources are in behaviour.py."""
        bucket = self.effective_bucket(package)
        if bucket >= 50:
            return False  # NEVER
        if bucket < 10:
            return True  # EXEMPTED
        now = self.clock.now()
        if self.profile.sdk < behaviour.QUOTA_FROM_SDK:
            last = self.last_app_run.get(package)
            return last is None or (now - last).total_seconds() >= behaviour.P_HEARTBEAT_S.get(bucket, 0.0)
        window = behaviour.WINDOW_S.get(bucket, behaviour.WINDOW_S[40])
        since = _plus(now, -window)
        used = 0.0
        sessions = 0
        for start, end in self.sessions.get(package, []):
            end = end or now
            if end > since:
                sessions += 1
                # a session's start is always set (only its end is None while it lasts)
                used += (end - max(start, since)).total_seconds()  # type: ignore[operator, type-var]
        jobs = sum(1 for t in self.job_starts.get(package, []) if t > since)
        if used >= behaviour.ALLOWED_TIME_S or jobs >= behaviour.MAX_JOBS.get(bucket, 48):
            return False
        return not (self.profile.sdk >= behaviour.SESSIONS_FROM_SDK and sessions >= behaviour.MAX_SESSIONS[bucket])

    def _restricted_parole(self, job: JobState) -> bool:
        """JobStatus.DYNAMIC_RESTRICTED_CONSTRAINTS: out of quota in the RESTRICTED bucket, a job still runs
        when the phone charges, its battery is not low, it is idle and (if needed) online."""
        s = self.state
        if self.profile.sdk < behaviour.RESTRICTED_FROM_SDK or self.effective_bucket(job.app.package) != 45:
            return False
        return s.charging and not s.screen_on and (s.network or not job.spec.needs_network)

    def start_job(self, job: JobState, *, forced: bool, owed: bool = False) -> None:
        """Run the job now. `owed`: a run asked for earlier (`cmd jobscheduler run`) that was held (doze,
        restriction, quota) and starts now that the hold lifted."""
        app, spec = job.app, job.spec
        now = self.clock.now()
        if forced:
            job.override = OVERRIDE_FULL
        # ActiveServices.bringUpServiceLocked: a service being started takes its package out of
        # the stopped state (setPackageStoppedState(false)).
        self.stopped_packages.discard(app.package)
        proc = self._ensure_process(app, spec)
        proc.adj = 200
        new_session = not any(j.running_since is not None for j in self.jobs.values() if j.app.package == app.package)
        if new_session:
            self.sessions.setdefault(app.package, []).append([now, None])
        self.job_starts.setdefault(app.package, []).append(now)
        job.running_since = now
        # This run's draws: keyed by the job and the epoch. A forced run starts its own epoch (the `run`
        # command bumps it) and is its run 0; a held forced run that starts later draws from the epoch
        # it was asked for in; runs the scheduler starts by itself (periods, backoffs) share one stream
        # per epoch: how many of them fit between two commands is the clock's doing, so counting them
        # would make the draws depend on it.
        key = (app.package, spec.job_id, self.epoch)
        n = self._starts_in_epoch.get(key, 0)
        self._starts_in_epoch[key] = n + 1
        if owed:
            rng = self.draw("run", app.package, spec.job_id, job.override_epoch, "owed")
        else:
            rng = self.draw("run", *key, n if job.override != OVERRIDE_NONE or forced else "natural")
        job.ends_at = _plus(now, spec.work_s * rng.uniform(0.7, 1.3))
        job.will_fail = rng.random() < spec.failure_rate
        # The killer's clock for the process: set by the run that opens a session, and by every run a
        # command asked for (so that a forced run's fate is its own draw, whatever the app was doing)
        asked = owed or forced or job.override != OVERRIDE_NONE
        kill = self._kill_schedule(app, now, rng)
        if new_session or asked:
            self.session_kill.pop(app.package, None)
            if kill is not None:
                self.session_kill[app.package] = kill
        self._note_history(job, "START")
        self.last_app_run[app.package] = now
        if spec.workmanager:
            # SystemJobService.onStartJob logs at DEBUG; WorkerWrapper.runWorker then skips periodic
            # or backed-off work that runs before WorkSpec.calculateNextRunTime() ("Delaying
            # execution ...", DEBUG too) and resolves with needsReschedule, so the job ends at once.
            self.wm_log(app, proc.pid, "D", "WM-SystemJobService", f"onStartJob for {spec.work_id}")
            if job.wm_next_run_at is not None and now < job.wm_next_run_at:
                self.wm_log(
                    app,
                    proc.pid,
                    "D",
                    "WM-WorkerWrapper",
                    f"Delaying execution for {spec.worker} because it is being executed before schedule.",
                )
                self._finish_wm_skip(job)
                return
            self.wm_log(app, proc.pid, "D", "WM-WorkerWrapper", f"Starting work for {spec.worker}")
        self.log("main", proc.pid, app.uid, "I", app.log_tag, f"job {spec.job_id} started")
        if spec.work_s == 0 and not spec.hangs:
            # JobServiceContext.handleStartedLocked: onStartJob returned false, the work is done
            # before the shell has even printed "Running job" (WorkManager's jobs always return true
            # and finish when the Worker does, here at once)
            reason = None if spec.workmanager else "onStartJob returned false"
            self._finish_job(job, success=not job.will_fail, reason=reason)

    def wm_log(self, app: AppSpec, pid: int, level: str, tag: str, msg: str) -> None:
        """A WorkManager line: Logger.LogcatLogger writes it only at or above the app's configured
        level (androidx.work Logger.java; Configuration.Builder's default is Log.INFO)."""
        if LOG_PRIORITY[level] >= LOG_PRIORITY.get(app.wm_log_level, LOG_PRIORITY["I"]):
            self.log("main", pid, app.uid, level, tag, msg)

    def _note_history(self, job: JobState, what: str, reason: str = "") -> None:
        """JobPackageTracker.noteActive / noteInactive: START-P / STOP-P for periodic jobs."""
        label = f"{what}-P" if job.spec.period_s else what
        self.job_history.append(HistoryEntry(self.uptime_ms(), label, job, reason))

    def _finish_wm_skip(self, job: JobState) -> None:
        """WorkerWrapper resolved without running the Worker (resolve(true)): SystemJobService calls
        jobFinished(params, needsReschedule=true), so JobScheduler counts a failure and backs off."""
        now = self.clock.now()
        self._note_history(job, "STOP", "app called jobFinished")
        wait = (job.wm_next_run_at - now).total_seconds() if job.wm_next_run_at else 0.0
        wm_next = job.wm_next_run_at
        self._end_run(job, success=False, reschedule_s=max(30.0, wait))
        job.wm_next_run_at = wm_next  # the WorkSpec's own schedule did not move

    def _kill_schedule(self, app: AppSpec, now: datetime, rng: random.Random) -> tuple[datetime, str] | None:
        """When this run's process dies, if it does (behaviour.KILLERS): the maker's killer spares an
        allowlisted app and, like lmkd here, acts only while the screen is off."""
        if self.state.screen_on:
            return None
        policy = self.profile.policy
        oem = lmkd = float("inf")
        if policy.oem_mean_s and app.package not in self.power_allowlist:
            oem = rng.expovariate(1.0 / policy.oem_mean_s)
        else:
            rng.random()  # the same number of draws either way: lmkd's below stays the same
        if policy.lmkd_mean_s:
            lmkd = rng.expovariate(max(app.memory_mb, 1) / 100.0 / policy.lmkd_mean_s)
        if oem == lmkd == float("inf"):
            return None
        return (_plus(now, oem), "oem") if oem <= lmkd else (_plus(now, lmkd), "lmkd")

    def _progress(self, job: JobState, now: datetime) -> None:
        spec, started = job.spec, job.running_since
        assert started is not None
        # the session's kill comes first only if it was due before this work's end (ticks are 15 s apart)
        kill = self.session_kill.get(job.app.package)
        before_end = kill is not None and (spec.hangs or job.ends_at is None or kill[0] < job.ends_at)
        if kill is not None and before_end and now >= kill[0] and not self.state.screen_on:
            package = job.app.package
            del self.session_kill[package]
            if self.oem_kill(package) if kill[1] == "oem" else self.lmkd_kill(package):
                return
        # JobConcurrencyManager.stopNonReadyActiveJobsLocked: a running job that is no longer
        # isReady() is stopped, forced or not (the override covers only its own constraints).
        lost = [b for b in self.not_ready(job) if b != "WITHIN_QUOTA"]
        if lost:
            self._stop_job(job, lost)
            return
        if spec.hangs:
            if (now - started).total_seconds() >= JOB_TIMEOUT_S:
                self._timeout(job)
            return
        if job.ends_at is not None and now >= job.ends_at:
            self._finish_job(job, success=not job.will_fail)

    def _finish_job(self, job: JobState, *, success: bool, reason: str | None = None) -> None:
        app, spec = job.app, job.spec
        proc = self.processes.get(app.package)
        pid = proc.pid if proc else 0
        if spec.workmanager:
            # WorkerWrapper.handleResult logs the result at INFO
            result = "SUCCESS" if success else "RETRY"
            joiner = "," if self.profile.sdk >= 33 else ", "  # WorkerWrapper.kt vs the older .java
            tags = joiner.join([spec.worker or "", "sync"]) if spec.worker else ""
            self.wm_log(
                app,
                pid,
                "I",
                "WM-WorkerWrapper",
                f"Worker result {result} for Work [ id={spec.work_id}, tags={{ {tags} }} ]",
            )
        self.log(
            "main",
            pid,
            app.uid,
            "I",
            app.log_tag,
            f"job {spec.job_id} finished ({'success' if success else 'failure'})",
        )
        # JobServiceContext.doJobFinished: "app called jobFinished", whether or not it asked to reschedule
        self._note_history(job, "STOP", reason or "app called jobFinished")
        self._end_run(job, success)

    def _stop_job(self, job: JobState, lost: list[str]) -> None:
        app, spec = job.app, job.spec
        proc = self.processes.get(app.package)
        pid = proc.pid if proc else 0
        if spec.workmanager:
            self.wm_log(app, pid, "D", "WM-SystemJobService", f"onStopJob for {spec.work_id}")
        self.log("main", pid, app.uid, "I", app.log_tag, f"job {spec.job_id} stopped ({' '.join(lost).lower()})")
        # the app acknowledges onStopJob (no debug reason), so the history names the stop reason:
        # JobParameters.getReasonName / getInternalReasonCodeDescription
        self._note_history(job, "STOP", "device_idle" if "DEVICE_NOT_DOZING" in lost else "constraints")
        # onJobCompletedLocked reschedules a copy (getRescheduleJobForFailureLocked) without the override
        self._end_run(job, success=False, reschedule_s=30.0)

    def _timeout(self, job: JobState) -> None:
        app, spec = job.app, job.spec
        text = {
            True: "(no jobFinished received). Sending onStop: ",
            False: "(no jobFinished received), sending onStop: ",
        }
        short = f"{self.rng.randrange(16**7):07x} #u0a{app.app_id}/{spec.job_id} {app.package}/{spec.service}"
        if self.profile.sdk <= 28:
            line = f"Client timed out while executing (no jobFinished received). sending onStop. {short}"
        else:
            line = f"Client timed out while executing {text[self.profile.sdk >= 31]}{short}"
        self.log("system", SYSTEM_SERVER_PID, 1000, "I", "JobServiceContext", line, tid=SYSTEM_SERVER_PID + 286)
        self._note_history(job, "STOP", "timeout")
        self._end_run(job, success=False)

    def _end_run(self, job: JobState, success: bool, reschedule_s: float | None = None) -> None:
        now = self.clock.now()
        spec = job.spec
        job.running_since = job.ends_at = None
        package = job.app.package
        if not any(j.running_since is not None for j in self.jobs.values() if j.app.package == package):
            for session in self.sessions.get(package, []):
                if session[1] is None:
                    session[1] = now
            self.session_kill.pop(package, None)
            proc = self.processes.get(package)
            if proc:
                proc.adj = 905  # cached again once none of its jobs runs
        job.override = OVERRIDE_NONE  # a finished run's JobStatus is replaced by its rescheduled copy
        if success:
            job.last_success = now
            job.num_failures = 0
            delay = spec.period_s if spec.period_s else None
        else:
            job.last_failure = now
            job.num_failures += 1
            delay = reschedule_s or min(spec.backoff_s * 2 ** (job.num_failures - 1), 5 * 3600.0)  # exponential
        if delay is None:  # a one-off job that succeeded is done; re-enqueue later so the demo keeps going
            again = 600.0 + self.draw("again", package, spec.job_id, self.epoch, job.num_failures).uniform(0, 600)
            delay = max(spec.min_latency_s, again)  # the app enqueues it again with its minimum latency
        job.next_run_at = _plus(now, delay)
        if spec.workmanager:
            # WorkSpec.calculateNextRunTime: periodic work waits for its next period, retried work
            # for its backoff; new one-time work has no such time
            job.wm_next_run_at = job.next_run_at if (job.num_failures or (success and spec.period_s)) else None

    # -- processes and killers ---------------------------------------------------------------
    def _ensure_process(self, app: AppSpec, spec: JobSpec) -> Process:
        proc = self.processes.get(app.package)
        if proc is not None:
            return proc
        pid = self._next_pid
        self._next_pid += self.rng.randrange(3, 40)
        component = f"{app.package}/{spec.service if not spec.service.startswith('.') else app.package + spec.service}"
        target = f"{{{component}}}" if self.profile.sdk >= 31 else component
        self._am(f"Start proc {pid}:{app.package}/u0a{app.app_id} for service {target}")
        self._event("am_proc_start", f"0,{pid},{app.uid},{app.package},service,{{{component}}}")
        proc = Process(pid, app, self.clock.now())
        self.processes[app.package] = proc
        return proc

    def kill(
        self,
        package: str,
        *,
        am_reason: str | None,
        adj: int | None = None,
        exit_reason: int,
        subreason: int,
        description: str | None,
        lmkd: str | None = None,
    ) -> bool:
        """A process death, logged by every source that logs it on this OS version."""
        proc = self.processes.pop(package, None)
        if proc is None:
            return False
        app, now = proc.app, self.clock.now()
        adj = proc.adj if adj is None else adj
        rss_kb = app.memory_mb * 1024 + self.rng.randrange(4096)
        if am_reason is not None:
            self._am(f"Killing {proc.pid}:{package}/u0a{app.app_id} (adj {adj}): {am_reason}")
            rss = f",{rss_kb}" if self.profile.sdk >= 29 else ""
            self._event("am_kill", f"0,{proc.pid},{package},{adj},{am_reason}{rss}")
        if lmkd is not None:
            self.log("main", LMKD_PID, 1069, "I", "lowmemorykiller", lmkd.format(pid=proc.pid, uid=app.uid, rss=rss_kb))
        self.log("main", ZYGOTE_PID, 1000, "I", "Zygote", f"Process {proc.pid} exited due to signal 9 (Killed)")
        oom = "cch+5" if adj >= 905 else "svc" if adj >= 500 else "prcp" if adj >= 200 else "fg "
        state = "CEM" if adj >= 905 else "SVC" if adj >= 500 else "FGS" if adj >= 200 else "TOP"
        self._am(f"Process {package} (pid {proc.pid}) has died: {oom} {state}")
        self._event("am_proc_died", f"0,{proc.pid},{package},{adj},{17 if adj >= 905 else 4}")
        if self.profile.sdk >= 30:
            self.exits.insert(
                0,
                ExitRecord(
                    now,
                    proc.pid,
                    app,
                    exit_reason,
                    subreason,
                    400 if adj >= 905 else 300 if adj >= 500 else 125,
                    app.memory_mb * 3 // 4,
                    app.memory_mb,
                    description,
                ),
            )
        for job in self.jobs.values():  # work in flight dies with the process
            if job.app.package == package and job.running_since is not None:
                # JobServiceContext.onServiceDisconnected
                self._note_history(job, "STOP", "unexpectedly disconnected")
                self._end_run(job, success=False)
        return True

    def oem_kill(self, package: str) -> bool:
        maker = self.profile.manufacturer
        proc = self.processes.get(package)
        if proc is None:
            return False
        if maker == "Xiaomi":
            return self.kill(package, am_reason="OneKeyClean", exit_reason=13, subreason=0, description="OneKeyClean")
        if maker == "Huawei":
            self.log(
                "main",
                4230,
                1000,
                "W",
                "PFW.HwPFWAppWakeLockPolicy",
                f"uid: {proc.app.uid} wakelock > 60 mins",
                tid=16683,
            )
            self.log(
                "main",
                4230,
                1000,
                "D",
                "PFW.HwPFWAppWakeLockPolicy",
                f"force stop abnormal wakelock app uid: {proc.app.uid}",
                tid=16683,
            )
            return self.force_stop(package, cause="from pid 4230")
        # Samsung / OnePlus battery optimizers force-stop through the public API
        return self.force_stop(package, cause=f"from pid {SYSTEM_SERVER_PID}")

    def lmkd_kill(self, package: str) -> bool:
        proc = self.processes.get(package)
        if proc is None:
            return False
        adj = max(proc.adj, 900)
        if self.profile.sdk >= 30:
            line = (
                "Kill '"
                + package
                + "' ({pid}), uid {uid}, oom_score_adj "
                + str(adj)
                + " to free {rss}kB rss, 40210kB swap; reason: device is low on swap (210172kB < 314572kB)"
                " and thrashing (53%)"
            )
        else:
            line = "Kill '" + package + "' ({pid}), uid {uid}, oom_adj " + str(adj) + " to free {rss}kB"
        return self.kill(package, am_reason=None, adj=adj, exit_reason=3, subreason=0, description=None, lmkd=line)

    def force_stop(self, package: str, *, cause: str) -> bool:
        app = next((a for a in self.profile.apps if a.package == package), None)
        if app is None:
            return False
        self._am(f"Force stopping {package} appid={app.uid} user=0: {cause}")
        # ActivityManagerService.forceStopPackageLocked: setPackageStoppedState(true). (A real phone
        # also cancels the app's jobs here, JobSchedulerService on ACTION_PACKAGE_RESTARTED; the
        # simulated ones stay, so the demo's apps keep some work.)
        self.stopped_packages.add(package)
        subreason = 21 if self.profile.sdk >= 33 else 0
        return self.kill(
            package,
            # ActivityManagerService.forceStopPackageLocked -> killPackageProcessesLocked: each process is
            # killed noisily ("Killing <pid>:<proc> (adj N): stop <pkg>"; Android 12 adds " due to <reason>"),
            # as a OnePlus on 7.1 logs it (tests/samples/corpus/android_oem/oneplus_ohpd_bgdetect_force_stop_*).
            am_reason=f"stop {package} due to {cause}" if self.profile.sdk >= 31 else f"stop {package}",
            exit_reason=10,
            subreason=subreason,
            description=f"stop {package} due to {cause}",
        )

    # -- doze --------------------------------------------------------------------------------
    def _advance_doze(self, now: datetime) -> None:
        s = self.state
        # DeviceIdleController's idle / maintenance cycle, with its growing periods (behaviour.doze_phase)
        if s.deep_state in ("IDLE", "IDLE_MAINTENANCE") and s.idle_since is not None:
            s.deep_state = behaviour.doze_phase("deep", (now - s.idle_since).total_seconds())
        elif s.light_state in ("IDLE", "IDLE_MAINTENANCE") and s.idle_since is not None:
            s.light_state = behaviour.doze_phase("light", (now - s.idle_since).total_seconds())

    # -- doze, as DeviceIdleController does it -------------------------------------------------
    # apex/jobscheduler/service/java/com/android/server/DeviceIdleController.java (before Android 11:
    # services/core/java/com/android/server/DeviceIdleController.java): the method each one mirrors.
    def _become_active(self) -> None:
        """becomeActiveLocked: both deep and light back to ACTIVE (the force flag is left as it is)."""
        s = self.state
        s.deep_state, s.light_state, s.idle_since = "ACTIVE", "ACTIVE", None

    def _become_inactive_if_appropriate(self) -> None:
        """becomeInactiveIfAppropriateLocked: with the screen off and no charger (or when forced),
        an enabled ACTIVE state turns INACTIVE and starts its countdown."""
        s = self.state
        if (not s.screen_on and not s.charging) or s.force_idle:
            if s.deep_state == "ACTIVE" and s.deep_enabled:
                s.deep_state = "INACTIVE"
            if s.light_state == "ACTIVE" and s.light_enabled:
                s.light_state = "INACTIVE"

    def _exit_force_idle(self) -> None:
        """exitForceIdleLocked: the phone wakes only when its screen is on or it charges; otherwise
        it stays in the state it was forced into, now unforced (and carries on dozing)."""
        s = self.state
        if s.force_idle:
            s.force_idle = False
            if s.screen_on or s.charging:
                self._become_active()

    def force_idle(self, which: str) -> str:
        """`force-idle [deep|light]`: forced, then stepped until IDLE. Entering deep IDLE puts light
        in OVERRIDE, where stepLightIdleStateLocked returns at once: light idle cannot be forced
        from there, and the attempt unforces ("Unable to go light idle; stopped at OVERRIDE")."""
        s = self.state
        if which == "deep":
            if not s.deep_enabled:
                return "Unable to go deep idle; not enabled"
            s.force_idle = True
            self._become_inactive_if_appropriate()
            s.deep_state, s.light_state = "IDLE", "OVERRIDE"
        else:
            if not s.light_enabled:
                return "Unable to go light idle; not enabled"
            s.force_idle = True
            self._become_inactive_if_appropriate()
            if s.light_state == "OVERRIDE":
                self._exit_force_idle()
                return "Unable to go light idle; stopped at OVERRIDE"
            s.light_state = "IDLE"
        s.idle_since = self.clock.now()
        return f"Now forced in to {which} idle mode"

    def step_idle(self, which: str) -> str:
        """`step [light|deep]`: exitForceIdleLocked, then one step (a charging phone stays ACTIVE)."""
        s = self.state
        self._exit_force_idle()
        if s.charging or s.screen_on:  # becomeInactiveIfAppropriateLocked refuses: stays ACTIVE
            return f"Stepped to {which}: {s.deep_state if which == 'deep' else s.light_state}"
        if which == "deep":
            i = DEEP_STATES.index(s.deep_state) if s.deep_state in DEEP_STATES else 0
            s.deep_state = DEEP_STATES[min(i + 1, DEEP_STATES.index("IDLE"))]
            if s.deep_state == "IDLE":
                s.light_state, s.idle_since = "OVERRIDE", self.clock.now()
            return f"Stepped to deep: {s.deep_state}"
        i = LIGHT_STATES.index(s.light_state) if s.light_state in LIGHT_STATES else 0
        s.light_state = LIGHT_STATES[min(i + 1, LIGHT_STATES.index("IDLE"))]
        if s.light_state == "IDLE":
            s.idle_since = self.clock.now()
        return f"Stepped to light: {s.light_state}"

    def unforce_idle(self) -> str:
        self._exit_force_idle()
        s = self.state
        return f"Light state: {s.light_state}, deep state: {s.deep_state}"

    def set_idle_enabled(self, targets: tuple[str, ...], on: bool) -> list[str]:
        """`disable|enable [deep|light|all]`: disabling an enabled mode makes the phone active
        (becomeActiveLocked), enabling a disabled one lets it go inactive again."""
        s = self.state
        said, changed = [], False
        for t in targets:
            if getattr(s, f"{t}_enabled") != on:
                setattr(s, f"{t}_enabled", on)
                changed = True
                said.append(f"{t.capitalize()} idle mode {'disabled' if not on else 'enabled'}")
        if on:  # sic: AOSP prints "Light idle mode enable"
            said = [line.replace("Light idle mode enabled", "Light idle mode enable") for line in said]
        if changed and on:
            self._become_inactive_if_appropriate()
        elif changed:
            self._become_active()
        return said

    def power_changed(self) -> None:
        """updateChargingLocked: plugging in wakes the phone unless it was forced; unplugging lets it
        go inactive (screen off). BatterySaverStateMachine: plugging in turns saver off."""
        s = self.state
        if s.charging and not s.force_idle:
            self._become_active()
        elif not s.charging and not s.force_idle:
            self._become_inactive_if_appropriate()
        if s.charging and s.saver:
            s.saver = False
            self._sync_settings()

    # -- settings mirror ---------------------------------------------------------------------
    def _sync_settings(self) -> None:
        s = self.state
        g = s.settings["global"]
        g["low_power"] = "1" if s.saver else "0"
        g["airplane_mode_on"] = "1" if s.airplane else "0"
        g["wifi_on"] = str(s.wifi_persisted)
        if self.profile.sims > 1:
            # GlobalSettingsHelper / DataEnabledSettings: with several SIMs the switch is per
            # subscription (mobile_data<subId>, the data sub in multi_sim_data_call); the plain
            # mobile_data keeps whatever it held before (here: on).
            g[f"mobile_data{DATA_SUB_ID}"] = "1" if s.data else "0"
            g["multi_sim_data_call"] = str(DATA_SUB_ID)
            g.setdefault("mobile_data", "1")
        else:
            g["mobile_data"] = "1" if s.data else "0"
        g.setdefault("stay_on_while_plugged_in", "0")
        s.settings["secure"].setdefault("android_id", f"{stable_number(self.profile.serial) % 16**16:016x}")
        s.settings["system"].setdefault("screen_off_timeout", "30000")

    def set_saver(self, on: bool) -> None:
        # PowerManagerService.setLowPowerModeInternal: `if (mIsPowered) return false;`
        if on and self.state.charging:
            return
        self.state.saver = on
        self._sync_settings()

    def set_network(self, *, wifi: bool | None = None, data: bool | None = None, airplane: bool | None = None) -> None:
        """Wi-Fi as WifiSettingsStore persists it (wifi_on: 0 off, 1 on, 2 on in airplane mode,
        3 off because airplane mode is on, back on when it ends): handleWifiToggled and
        handleAirplaneModeToggled (packages/modules/Wifi/service/java/com/android/server/wifi/
        WifiSettingsStore.java). Mobile data is a setting of its own; airplane mode turns radios off."""
        s = self.state
        if wifi is not None:
            s.wifi_persisted = (2 if s.airplane else 1) if wifi else 0
        if data is not None:
            s.data = data
        if airplane is not None and airplane != s.airplane:
            s.airplane = airplane
            if airplane and s.wifi_persisted == 1:
                s.wifi_persisted = 3
            elif not airplane and s.wifi_persisted in (2, 3):
                s.wifi_persisted = 1
        s.wifi = s.wifi_persisted in (1, 2)
        self._sync_settings()

    def uptime_ms(self) -> int:
        return int(self.clock.elapsed() * 1000)


def stable_number(text: str) -> int:
    """A hash that is the same in every run (str hashes are salted per process): --seed determinism."""
    return zlib.crc32(text.encode())


def _plus(ts: datetime, seconds: float) -> datetime:
    from datetime import timedelta

    return ts + timedelta(seconds=seconds)
