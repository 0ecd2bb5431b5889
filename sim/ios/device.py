"""The behaviour of one simulated iPhone: BGTask scheduling by dasd, app launches by runningboardd,
expiry warnings, jetsam and watchdog kills, and the crash-report store they fill.

Driven by a SimClock (hours pass in seconds). What dasd and the app decide about a task request is drawn from a
random.Random keyed on (seed, device, task identifier, request number) — or, for a forced launch, the launch's
number — never from a stream shared with the wall clock's ticks, so the same seed gives the same requests, launch
times, work times and outcomes however fast the host runs. The wire services (services.py) only read from here:
`records()` for the log streams, `crash_store` for AFC.

Scheduling, as far as Apple says (dasd decides; nothing is guaranteed):
- BGAppRefreshTask: opportunistic and rare. dasd weighs how much the app is used and spreads each app's energy and
  data budget over the day, spacing launches out ("App usage", "System budgets", "Rate limiting": WWDC 2020 10063
  "Background execution demystified"; "the system decides when (or if)": WWDC 2019 707 "Advances in App Background
  Execution"). Modelled: a request gets its opportunity 0.5-1.5 x (a day / the app's refresh budget) after its
  earliestBeginDate (AppProfile.refresh_budget_per_day, a few a day for an app opened daily); until then dasd's
  evaluations say ApplicationPolicy: Must Not Proceed. ~30 s of runtime before the expiration handler (WWDC 2019
  707: app refresh tasks get 30 seconds).
- BGProcessingTask: "run only when the device is idle; the system terminates any background processing tasks
  running when the user starts using the device" (developer.apple.com BGProcessingTask); executed only when the
  user is not likely to use the device, about five minutes after it was locked (Apple's answer in developer forums
  thread 119758); in practice while charging, so modelled as needing power and 5 idle minutes; several minutes of
  runtime (WWDC 2019 707), 180 s here; the request is met "within the next two days" (BGProcessingTaskRequest.h).
- Nothing at all in Low Power Mode ("Background App Refresh is disabled automatically when a device is operating
  in low-power mode", developer.apple.com UIApplication.backgroundRefreshStatus; WWDC 2020 10063), no app refresh
  with Background App Refresh off (the user's switch, WWDC 2020 10063), only essential work below 20 % battery
  off the charger (WWDC 2020 10063: critically low battery).
- A launch forced through debugserver (`_simulateLaunchForTaskWithIdentifier:`) runs whatever dasd thinks: it is
  the app calling its own handler (Apple, "Starting and Terminating Tasks During Development").

Threading: everything runs on the simulator's event loop. The public fault-injection and condition
methods may also be called from another thread (a test, a CLI); they then hop onto the loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import random
import re
import time
import uuid
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from ..clock import SimClock
from . import formats as fmt
from .formats import LogRecord, PolicyResponse
from .profiles import AppProfile, BgTaskSpec, DeviceProfile

T = TypeVar("T")

THERMAL_STATES = ("ThermalFair", "ThermalSerious", "ThermalCritical")
REFRESH_ALLOWANCE_S = 30.0  # BGAppRefreshTask runtime before expiration (WWDC 2019 707)
PROCESSING_ALLOWANCE_S = 180.0  # BGProcessingTask: "several minutes" (WWDC 2019 707)
NETWORK_DEAD = "SlowNetwork100PctLoss"
SIGKILL = 9

BG_FRAMEWORK = "/System/Library/Frameworks/BackgroundTasks.framework/BackgroundTasks"
UIKIT_CORE = "/System/Library/PrivateFrameworks/UIKitCore.framework/UIKitCore"


@dataclass(frozen=True)
class _Proc:
    name: str
    pid: int
    path: str
    image: str


@dataclass
class CrashFile:
    data: bytes
    mtime: datetime
    # osanalyticshelper logs "Saved type …" when it has the report, not when the file is complete: until
    # `visible_at` (time.monotonic()) AFC finds no file, until `complete_at` only a truncated one. Real-time
    # seconds, not device seconds: a write's latency does not speed up with the simulated clock.
    visible_at: float = 0.0
    complete_at: float = 0.0

    def readable(self) -> bytes | None:
        now = time.monotonic()
        if now < self.visible_at:
            return None
        return self.data if now >= self.complete_at else self.data[: len(self.data) // 2]


class CrashStore:
    """The CrashReporter directory as AFC (com.apple.crashreportcopymobile) sees it: its root is "/"."""

    def __init__(self) -> None:
        self.files: dict[str, CrashFile] = {}  # "/JetsamEvent-….ips" -> contents

    def add(self, name: str, data: bytes, mtime: datetime, absent_s: float = 0.0, partial_s: float = 0.0) -> str:
        path = "/" + name.lstrip("/")
        now = time.monotonic()
        self.files[path] = CrashFile(data, mtime, now + absent_s, now + absent_s + partial_s)
        return path

    @staticmethod
    def _norm(path: str) -> str:
        parts = [p for p in path.split("/") if p and p != "."]
        return "/" + "/".join(parts)

    def _visible(self) -> dict[str, CrashFile]:
        return {k: f for k, f in self.files.items() if f.readable() is not None}

    def is_dir(self, path: str) -> bool:
        p = self._norm(path)
        return p == "/" or any(f.startswith(p + "/") for f in self._visible())

    def get(self, path: str) -> CrashFile | None:
        """The file as AFC would read it now (None while it is not written yet; truncated while being written)."""
        f = self.files.get(self._norm(path))
        if f is None:
            return None
        data = f.readable()
        return None if data is None else CrashFile(data, f.mtime)

    def listdir(self, path: str) -> list[str]:
        p = self._norm(path).rstrip("/") + "/"
        names = {f[len(p) :].split("/")[0] for f in self._visible() if f.startswith(p)}
        return sorted(names)

    def remove(self, path: str) -> bool:
        return self.files.pop(self._norm(path), None) is not None

    def exists(self, path: str) -> bool:
        return self._norm(path) in self.files


@dataclass
class _Activity:
    spec: BgTaskSpec
    app: AppProfile
    name: str  # bgProcessing-<id>:FA2FB9
    earliest: datetime
    next_eval: datetime
    number: int = 1  # the task's request number since boot: what this request's draws are keyed on
    opportunity: datetime | None = None  # when dasd's budget lets a refresh run (None: at earliest)
    running: bool = False
    interrupted: asyncio.Event | None = None  # set when the user starts using the phone (processing tasks end)


@dataclass
class _AppState:
    pid: int = 0  # 0: not running
    active: bool = False  # holds a runningboard BackgroundActive assertion
    bg_task_no: int = 0
    deferrals: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    foreground: bool = False  # on screen: runs whatever it is asked to
    debugger: str | None = None  # debugserver attached: "stopped" | "running" (a debugged app is not suspended)
    queued: list[tuple[str, str]] = field(default_factory=list)  # ("launch"|"expire", id) waiting for the app to run
    simulated: dict[str, asyncio.Event] = field(default_factory=dict)  # running simulated tasks -> their expiry
    start_suspended: bool = False  # launched by ProcessControl with StartSuspendedKey: stopped until resumed


DVT_GROUPS = {"SlowNetwork": "SlowNetworkCondition", "Thermal": "ThermalCondition"}


class SimulatedIPhone:
    """One iPhone. Conditions are plain attributes; change them with `set_conditions()` (thread-safe)."""

    def __init__(self, profile: DeviceProfile, clock: SimClock, seed: int = 0, history: int = 5000) -> None:
        self.profile = profile
        self.clock = clock
        self.rng = random.Random(zlib.crc32(f"{seed}:{profile.udid}".encode()))
        self.seed = seed
        self.crash_store = CrashStore()
        self.history: deque[LogRecord] = deque(maxlen=history)
        # conditions (DVT ConditionInducer ids, Settings toggles, pressure)
        self.network: str | None = None
        self.thermal: str | None = None
        self.low_power = profile.low_power
        self.background_app_refresh = True
        self.memory_pressure = False
        self.charging = False
        self.battery_level = self.rng.randint(35, 95)
        self.in_use = False  # the user is using the phone (screen on): processing tasks wait for it to be idle
        self._idle_since = clock.now() - timedelta(hours=1)  # lying on the desk since before the simulation
        self.tick_seconds = 30.0  # device seconds between dasd evaluation rounds (fixed: no draw per tick)
        self._requests: dict[str, int] = {}  # task identifier -> requests submitted since boot
        self._forced: dict[str, int] = {}  # task identifier -> simulated launches since boot
        # the DVT ConditionInducer profile in force and the connection that set it (it ends with that connection)
        self.induced: str | None = None
        self._induced_owner: object | None = None
        # real seconds a new report stays absent, then truncated, after "Saved type …" is logged
        self.report_delay_s: tuple[float, float] = (0.3, 0.3)
        self.dvt_servers: set[Any] = set()  # open DVT (DTX) connections, for drop_dvt()
        self.dvt_stall = False  # fault: the DVT service accepts a connection and never answers it
        # (identifier, debugger state, foreground) when each simulated task started: what tests check
        self.simulated_starts: list[tuple[str, str | None, bool]] = []
        self._seq = 0
        self._subscribers: set[asyncio.Queue[LogRecord | None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._boot_uptime = float(self.rng.randint(3_600, 200_000))
        self._reports = 0
        self._next_pid = self.rng.randint(400, 900)
        self._assertion_no = self.rng.randint(1000, 4000)
        rb_pid = self.rng.randint(28, 40)
        sb_pid = self.rng.randint(50, 70)
        self.procs = {
            "kernel": _Proc("kernel", 0, "/kernel", "/kernel"),
            "runningboardd": _Proc(
                "runningboardd",
                rb_pid,
                "/usr/libexec/runningboardd",
                "/System/Library/PrivateFrameworks/RunningBoard.framework/RunningBoard",
            ),
            "SpringBoard": _Proc(
                "SpringBoard",
                sb_pid,
                "/System/Library/CoreServices/SpringBoard.app/SpringBoard",
                "/System/Library/CoreServices/SpringBoard.app/SpringBoard",
            ),
            "dasd": _Proc(
                "dasd",
                self.rng.randint(100, 140),
                "/usr/libexec/dasd",
                "/System/Library/PrivateFrameworks/DuetActivityScheduler.framework/DuetActivityScheduler",
            ),
            "osanalyticshelper": _Proc(
                "osanalyticshelper",
                self.rng.randint(300, 390),
                "/usr/libexec/osanalyticshelper",
                "/System/Library/PrivateFrameworks/OSAnalytics.framework/OSAnalytics",
            ),
        }
        dasd_pid = self.procs["dasd"].pid
        self.procs["powerd"] = _Proc(  # no rng draw: seeded sequences of existing fleets stay the same
            "powerd",
            dasd_pid + 3,
            "/System/Library/CoreServices/powerd.bundle/powerd",
            "/System/Library/CoreServices/powerd.bundle/powerd",
        )
        self._stopping = False
        # the apps ran in the foreground earlier and are suspended now: they have pids
        self._apps = {a.bundle_id: _AppState(pid=self._new_pid()) for a in profile.apps}
        self._app_uuid = {a.bundle_id: str(uuid.UUID(int=self.rng.getrandbits(128))).upper() for a in profile.apps}
        self._activities: dict[str, _Activity] = {}  # task identifier -> pending/running activity

    # ------------------------------------------------------------------ identity

    @property
    def udid(self) -> str:
        return self.profile.udid

    def uptime(self) -> float:
        return self._boot_uptime + self.clock.elapsed()

    # ------------------------------------------------------------------ log stream

    def emit(
        self,
        proc: _Proc,
        message: str,
        level: str = "Notice",
        image: str | None = None,
        subsystem: str = "",
        category: str = "",
    ) -> LogRecord:
        self._seq += 1
        rec = LogRecord(
            self._seq,
            self.clock.now(),
            proc.name,
            proc.pid,
            proc.path,
            image or proc.image,
            message,
            level,
            subsystem,
            category,
        )
        self.history.append(rec)
        for q in list(self._subscribers):
            if q.full():  # a stalled reader loses its oldest lines, never blocks the device
                q.get_nowait()
            q.put_nowait(rec)
        return rec

    async def records(self) -> AsyncIterator[LogRecord]:
        """Live log records from now on (what a freshly opened relay sees); ends when the device stops."""
        q: asyncio.Queue[LogRecord | None] = asyncio.Queue(maxsize=20_000)
        self._subscribers.add(q)
        try:
            while (rec := await q.get()) is not None:
                yield rec
        finally:
            self._subscribers.discard(q)

    async def syslog_lines(self) -> AsyncIterator[tuple[datetime, str]]:
        """(timestamp, syslog_relay text line) pairs, timestamps from the SimClock."""
        async for rec in self.records():
            yield rec.time, fmt.syslog_relay_line(rec, self.profile.hostname)

    def close_streams(self) -> None:
        for q in list(self._subscribers):
            if q.full():
                q.get_nowait()
            q.put_nowait(None)

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        """The device's life: apps submit their tasks, then dasd evaluates them every tick."""
        self._loop = asyncio.get_running_loop()
        try:
            for app in self.profile.apps:
                for spec in app.tasks:
                    self._submit(app, spec, first=True)
            while True:
                await self.clock.sleep(self.tick_seconds)
                self._tick()
        except asyncio.CancelledError:
            pass
        finally:
            self._stopping = True
            for t in list(self._tasks):
                t.cancel()
            self.close_streams()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the device's loop; called from another thread, wait for its result."""
        return call_on_loop(self._loop, fn)

    # ------------------------------------------------------------------ conditions

    def set_conditions(self, **changes: Any) -> None:
        """network=<ConditionInducer profile id>|None, thermal=ThermalFair|ThermalSerious|ThermalCritical|None,
        low_power, background_app_refresh, memory_pressure, charging, battery_level, in_use (the user on the phone)."""
        allowed = {
            "network",
            "thermal",
            "low_power",
            "background_app_refresh",
            "memory_pressure",
            "charging",
            "battery_level",
            "in_use",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown condition(s): {sorted(unknown)}")
        if changes.get("thermal") not in (None, *THERMAL_STATES):
            raise ValueError(f"thermal must be one of {THERMAL_STATES} or None")

        def apply() -> None:
            if changes.get("in_use") is False and self.in_use:
                self._idle_since = self.clock.now()
            if changes.get("in_use") and not self.in_use:
                # "The system terminates any background processing tasks running when the user starts using the
                # device" (developer.apple.com BGProcessingTask): their expiration handlers run
                for act in self._activities.values():
                    if act.running and act.spec.kind == "processing" and act.interrupted is not None:
                        act.interrupted.set()
            for k, v in changes.items():
                setattr(self, k, v)

        self._call(apply)

    # DVT ConditionInducer (services: sim/ios/dtx.py). One condition at a time, device-wide; it lasts as long as
    # the DVT connection that set it ("automatically turned off when the connection ends", go-ios PR #50).

    def induce(self, owner: object, profile_id: str) -> str | None:
        """Enable a ConditionInducer profile for `owner` (a DVT connection); an error text when one is active."""
        if self.induced is not None:
            return "A condition is already active."
        if profile_id.startswith("Thermal"):
            self.thermal = profile_id
        else:
            self.network = profile_id
        self.induced, self._induced_owner = profile_id, owner
        return None

    def disable_induced(self) -> None:
        """disableActiveCondition: whoever asks, the active condition ends."""
        if self.induced is None:
            return
        if self.induced.startswith("Thermal"):
            self.thermal = None
        else:
            self.network = None
        self.induced, self._induced_owner = None, None

    def dvt_connection_closed(self, owner: object) -> None:
        if self._induced_owner is owner:
            self.disable_induced()

    def toggle_low_power(self, on: bool) -> None:
        """The operator flips Low Power Mode (Settings or Control Centre): powerd posts the notification and logs
        it (PMLowPowerModeService toggleState:…), and dasd's LowPowerModePolicy follows."""

        def apply() -> None:
            self.low_power = on
            powerd = self.procs["powerd"]
            self.emit(powerd, fmt.lpm_notify(on), subsystem="com.apple.powerd", category="lowPowerMode")
            self.emit(
                powerd, fmt.lpm_state(on, self.battery_level), subsystem="com.apple.powerd", category="lowPowerMode"
            )

        self._call(apply)

    # ------------------------------------------------------------------ scheduling (dasd)

    def _keyed(self, identifier: str, number: int, what: str) -> random.Random:
        """The draws for one request (or forced launch) of one task: the same seed, device, task and number give
        the same values whatever else happened, and whenever it happened."""
        return random.Random(f"{self.seed}:{self.udid}:{identifier}:{number}:{what}")

    def _bg(self, app: AppProfile, message: str) -> None:
        """A BackgroundTasks-framework line from inside the app (subsystem/category as os_log tags them)."""
        self.emit(
            self._app_proc(app, BG_FRAMEWORK), message, subsystem="com.apple.BackgroundTasks", category="Framework"
        )

    def _new_pid(self) -> int:
        self._next_pid += self.rng.randint(3, 40)
        return self._next_pid

    def _ensure_pid(self, app: AppProfile) -> int:
        st = self._apps[app.bundle_id]
        if not st.pid:
            st.pid = self._new_pid()
        return st.pid

    def _app_proc(self, app: AppProfile, image: str | None = None) -> _Proc:
        pid = self._ensure_pid(app)
        container = f"/private/var/containers/Bundle/Application/{self._app_uuid[app.bundle_id]}"
        path = f"{container}/{app.executable}.app/{app.executable}"
        return _Proc(app.executable, pid, path, image or path)

    def _submit(self, app: AppProfile, spec: BgTaskSpec, first: bool = False) -> str:
        now = self.clock.now()
        number = self._requests[spec.identifier] = self._requests.get(spec.identifier, 0) + 1
        draw = self._keyed(spec.identifier, number, "request")
        if first and spec.first_delay_seconds is not None:
            earliest = now + timedelta(seconds=spec.first_delay_seconds)
        else:
            earliest = now + timedelta(seconds=spec.interval_seconds * (draw.uniform(0.05, 0.3) if first else 1))
        opportunity = None
        if spec.kind == "refresh" and app.refresh_budget_per_day:
            # the app's share of the day's budget, spaced out (rate limiting): see the module docstring
            spacing = 86_400.0 / app.refresh_budget_per_day
            opportunity = earliest + timedelta(seconds=spacing * draw.uniform(0.5, 1.5))
        self._bg(app, fmt.bg_submit(spec.kind, spec.identifier, earliest, spec.requires_power, spec.requires_network))
        dasd = self.procs["dasd"]
        old = self._activities.get(spec.identifier)
        if old is not None and not old.running:
            # a resubmission replaces the pending request (sample: Canceling … then Submitted)
            self.emit(dasd, fmt.dasd_canceling([old.name]))
            self.emit(dasd, fmt.dasd_canceled(old.name))
        name = f"{spec.activity_prefix}-{spec.identifier}:{draw.getrandbits(24):06X}"
        act = _Activity(spec, app, name, earliest, earliest, number, opportunity)
        self._activities[spec.identifier] = act
        self.emit(dasd, fmt.dasd_submitted(act.name))
        return act.name

    def _blockers(self, act: _Activity, now: datetime) -> list[PolicyResponse]:
        """Why dasd would not run this activity now (empty: it may run). Sources: the module docstring."""
        spec = act.spec
        out: list[PolicyResponse] = []

        def veto(policy: str) -> None:
            out.append(PolicyResponse(policy, 5.0, "Must Not Proceed", 0.0))

        if spec.kind == "processing" and self.thermal in ("ThermalSerious", "ThermalCritical"):
            veto("ThermalPolicy")
        if self.low_power:
            # Low Power Mode stops background app refresh and discretionary processing alike
            veto("LowPowerModePolicy")
        if self.battery_level < 20 and not self.charging:
            veto("BatteryLevelPolicy")
        if spec.kind == "refresh" and not self.background_app_refresh:
            veto("BackgroundAppRefreshPolicy")
        if spec.requires_network and self.network == NETWORK_DEAD:
            veto("NetworkQualityPolicy")
        if (spec.requires_power or spec.kind == "processing") and not self.charging:
            veto("ChargerPluggedInPolicy")
        if spec.kind == "processing" and (self.in_use or now - self._idle_since < timedelta(minutes=5)):
            veto("DeviceActivityPolicy")
        if act.opportunity is not None and now < act.opportunity:
            veto("ApplicationPolicy")  # the app's refresh budget: not its turn yet
        return out

    def _tick(self) -> None:
        now = self.clock.now()
        dasd = self.procs["dasd"]
        due = [a for a in self._activities.values() if not a.running and a.next_eval <= now]
        for act in due:
            blockers = self._blockers(act, now)
            if blockers:
                self.emit(dasd, fmt.dasd_policy(act.name, blockers, "Must Not Proceed", 0.0))
                self._apps[act.app.bundle_id].deferrals += 1
                # dasd looks again later, and at the refresh's opportunity itself
                act.next_eval = now + timedelta(seconds=900)
                if act.opportunity is not None and now < act.opportunity < act.next_eval:
                    act.next_eval = act.opportunity
                continue
            draw = self._keyed(act.spec.identifier, act.number, "grant")
            score = round(draw.uniform(0.55, 0.95), 6)
            self.emit(
                dasd,
                fmt.dasd_policy(
                    act.name, [PolicyResponse("DeviceActivityPolicy", 5.0, "Can Proceed", 0.05)], "Can Proceed", score
                ),
            )
            others = [o for o in self._activities.values() if o is not act and o.spec.kind == act.spec.kind]
            if others and draw.random() < 0.3:
                self.emit(dasd, fmt.dasd_compatibility(act.name, others[0].name))
            act.running = True
            self._spawn(self._run_activity(act))

    # ------------------------------------------------------------------ running a task

    def _launch(self, app: AppProfile) -> int:
        """Bring the app to background-running: launch it if needed, grant the BackgroundActive assertion."""
        st = self._apps[app.bundle_id]
        pid = self._ensure_pid(app)
        if st.active:
            return pid
        st.active = True
        bundle = app.bundle_id
        rb, sb = self.procs["runningboardd"], self.procs["SpringBoard"]
        self._assertion_no += 1
        aid = f"{rb.pid}-{sb.pid}-{self._assertion_no}"
        self.emit(sb, fmt.sb_process_state(bundle, pid, 0x281A00000 + self.rng.getrandbits(20) * 0x20))
        self.emit(rb, fmt.rb_acquiring(bundle, pid, sb.pid, aid))
        self.emit(rb, fmt.rb_created_active(bundle, pid, aid))
        self.emit(rb, fmt.rb_jetsam_priority(bundle, pid))
        self.emit(rb, fmt.rb_darwin_role(bundle, pid))
        self.emit(rb, fmt.rb_calculated_state(bundle))
        return pid

    async def _run_activity(self, act: _Activity) -> None:
        app, spec = act.app, act.spec
        st = self._apps[app.bundle_id]
        pid = self._launch(app)
        task = self._task_desc(spec)
        self._bg(app, fmt.bg_launched([act.name]))
        self._bg(app, fmt.bg_running(task))
        self._bg(app, fmt.bg_starting(task))
        # app refresh: 30 s; processing: several minutes (WWDC 2019 707)
        allowance = REFRESH_ALLOWANCE_S if spec.kind == "refresh" else PROCESSING_ALLOWANCE_S
        draw = self._keyed(spec.identifier, act.number, "run")
        work = spec.work_seconds * draw.uniform(0.7, 1.6)
        p_jetsam = 0.03 * (4 if self.memory_pressure else 1)
        over_limit = app.footprint_mb > app.memory_limit_mb or (
            app.footprint_mb * 1.1 > app.memory_limit_mb and draw.random() < 0.5
        )
        jetsam_draw, watchdog_draw = draw.random(), draw.random()
        try:
            if app.leaks_background_task:
                st.bg_task_no += 1
                await self.clock.sleep(min(work, allowance, 31.0))
                if st.pid != pid:
                    return
                self.emit(
                    self._app_proc(app, UIKIT_CORE),
                    fmt.uikit_created_over_30s(st.bg_task_no, self._bg_task_name(app)),
                    subsystem="com.apple.UIKit",
                    category="BackgroundTask",
                )
            rest = max(0.0, min(work, allowance) - (31.0 if app.leaks_background_task else 0.0))
            user_came = act.interrupted = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(user_came.wait(), self.clock.real_seconds(rest))
            if st.pid != pid:  # killed meanwhile (injection, pressure)
                return
            if user_came.is_set():  # the user picked the phone up: a processing task is ended early
                self._bg(app, fmt.bg_will_expire([act.name]))
                self._bg(app, fmt.bg_expiring(task))
                self._bg(app, fmt.bg_complete(task, False))
                return
            if over_limit or jetsam_draw < p_jetsam:
                self._jetsam(app, "per-process-limit" if over_limit else "vm-pageshortage")
                return
            if work > allowance or app.leaks_background_task:
                self._bg(app, fmt.bg_will_expire([act.name]))
                self._bg(app, fmt.bg_expiring(task))
                if app.leaks_background_task:
                    self.emit(
                        self._app_proc(app, UIKIT_CORE),
                        fmt.uikit_not_ended(
                            0x280800000 + self.rng.getrandbits(20) * 0x40,
                            st.bg_task_no,
                            self._bg_task_name(app),
                            int(self.uptime()) - 44,
                            44,
                        ),
                        subsystem="com.apple.UIKit",
                        category="BackgroundTask",
                    )
                    if watchdog_draw < 0.5:
                        await self.clock.sleep(5)
                        if st.pid == pid:
                            self._watchdog(app)
                        return
                self._bg(app, fmt.bg_complete(task, False))
            else:
                self._bg(app, fmt.bg_complete(task, True))
        finally:
            act.running = False
            st.active = False  # task done: the app suspends
            if self._activities.get(spec.identifier) is act:
                del self._activities[spec.identifier]
            if not self._stopping and app.resubmit_in_handler:
                # the handler resubmits its next request (a killed app does so when next launched)
                self._submit(app, spec)

    @staticmethod
    def _task_desc(spec: BgTaskSpec) -> str:
        return fmt.task_description(spec.kind, spec.identifier, "Backing up")

    # ------------------------------------------------------------------ debugger, simulated launches

    def _can_run(self, app: AppProfile) -> bool:
        """A suspended app runs nothing; one on screen or running under a debugger runs its queues."""
        st = self._apps[app.bundle_id]
        return not st.start_suspended and (st.foreground or st.debugger == "running")

    def _app_by_pid(self, pid: int) -> AppProfile | None:
        return next((a for a in self.profile.apps if self._apps[a.bundle_id].pid == pid), None)

    def debug_attach(self, pid: int) -> AppProfile | None:
        """debugserver attaches: the process stops."""
        app = self._app_by_pid(pid)
        if app is not None:
            self._apps[app.bundle_id].debugger = "stopped"
        return app

    _EXPRESSION = re.compile(
        r"\[\[BGTaskScheduler sharedScheduler\] (?P<sel>_simulate(?:Launch|Expiration))"
        r'ForTaskWithIdentifier:@"(?P<id>[^"]*)"\]'
    )

    def debug_evaluate(self, app: AppProfile, expression: str) -> str:
        """The expression runs on the stopped process: the method logs at once, but
        getPendingTaskRequests' completion (and so the task) waits for the process to run again."""
        m = self._EXPRESSION.search(expression)
        if m is None:
            return "error: unsupported expression"
        st = self._apps[app.bundle_id]
        if m["sel"] == "_simulateLaunch":
            self._bg(app, fmt.bg_simulating_launch(m["id"]))
            st.queued.append(("launch", m["id"]))
        else:
            self._bg(app, fmt.bg_simulating_expiration(m["id"]))
            st.queued.append(("expire", m["id"]))
        return ""

    def debug_resume(self, app: AppProfile, detach: bool = False) -> None:
        """`process continue` (or a detach, which also lets the process run on)."""
        st = self._apps[app.bundle_id]
        st.debugger = None if detach else "running"
        self._dispatch_queued(app)

    def debug_interrupt(self, app: AppProfile) -> None:
        st = self._apps[app.bundle_id]
        if st.debugger is not None:
            st.debugger = "stopped"

    def set_foreground(self, bundle: str, on: bool = True) -> None:
        """The user brings the app on screen (or leaves it): a foreground app runs what it was asked to."""
        app = self.profile.app(bundle)

        def apply() -> None:
            self._apps[bundle].foreground = on
            self._dispatch_queued(app)

        self._call(apply)

    def _dispatch_queued(self, app: AppProfile) -> None:
        st = self._apps[app.bundle_id]
        if not self._can_run(app):
            return  # suspended: the queued completions wait (a background app without a debugger does not run)
        queued, st.queued = st.queued, []
        for action, identifier in queued:
            if action == "launch":
                self._simulated_launch(app, identifier)
            else:
                self._simulated_expiration(app, identifier)

    def _simulated_launch(self, app: AppProfile, identifier: str) -> None:
        st = self._apps[app.bundle_id]
        act = self._activities.get(identifier)
        if act is None or act.app is not app:
            self._bg(app, fmt.bg_not_scheduled(identifier))
            return
        if act.running or identifier in st.simulated:
            self._bg(app, fmt.bg_already_running(identifier))
            return
        # the real request is cancelled: the natural launch it would have had is gone
        self._bg(app, fmt.bg_cancel_request(identifier))
        dasd = self.procs["dasd"]
        self.emit(dasd, fmt.dasd_canceling([act.name]))
        self.emit(dasd, fmt.dasd_canceled(act.name))
        del self._activities[identifier]
        expire = asyncio.Event()
        st.simulated[identifier] = expire
        self._spawn(self._run_simulated(app, act.spec, expire))

    async def _run_simulated(self, app: AppProfile, spec: BgTaskSpec, expire: asyncio.Event) -> None:
        st = self._apps[app.bundle_id]
        task = self._task_desc(spec)
        number = self._forced[spec.identifier] = self._forced.get(spec.identifier, 0) + 1
        try:
            pid = self._launch(app)
            self.simulated_starts.append((spec.identifier, st.debugger, st.foreground))
            self._bg(app, fmt.bg_running(task))
            self._bg(app, fmt.bg_starting(task, simulated=True))
            work = spec.work_seconds * self._keyed(spec.identifier, number, "forced").uniform(0.7, 1.3)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(expire.wait(), self.clock.real_seconds(work))
            if st.pid != pid:
                return  # killed meanwhile: a dead process completes nothing
            self._bg(app, fmt.bg_simulated_complete(task))
        finally:
            st.simulated.pop(spec.identifier, None)
            st.active = False
            if not self._stopping and app.resubmit_in_handler:
                self._submit(app, spec)

    def _simulated_expiration(self, app: AppProfile, identifier: str) -> None:
        st = self._apps[app.bundle_id]
        expire = st.simulated.get(identifier)
        if expire is None:
            self._bg(app, fmt.bg_not_simulated(identifier))
            return
        spec = next(t for t in app.tasks if t.identifier == identifier)
        self._bg(app, fmt.bg_expiring(self._task_desc(spec), simulated=True))
        expire.set()  # the app's expiration handler ends the work; it completes the task

    @staticmethod
    def _bg_task_name(app: AppProfile) -> str:
        return f"Called by {app.executable}, from -[BackgroundTaskManager createBackgroundTask]"

    # ------------------------------------------------------------------ kills and reports

    def _kill(self, app: AppProfile, signal: int = SIGKILL) -> int:
        st = self._apps[app.bundle_id]
        pid = st.pid
        rb = self.procs["runningboardd"]
        self.emit(rb, fmt.rb_termination(app.bundle_id, pid, signal))
        self.emit(rb, fmt.rb_removing(app.bundle_id, pid))
        st.pid = 0
        st.active = st.foreground = st.start_suspended = False
        st.debugger = None
        for server in list(self.dvt_servers):  # ProcessControl's termination callback
            server.process_terminated(pid, signal)
        return pid

    def _saved(self, bug_type: str, kind: str, name: str) -> None:
        self._reports += 1
        self.emit(
            self.procs["osanalyticshelper"],
            fmt.osanalytics_saved(bug_type, kind, f"{fmt.CRASH_DIR}/{name}", min(self._reports, 25)),
        )

    def _jetsam(self, app: AppProfile, reason: str) -> str:
        self._launch(app)  # an injected kill of a suspended/non-running app launches it first
        st = self._apps[app.bundle_id]
        pid = st.pid
        kernel = self.procs["kernel"]
        page = 16384
        rpages = int(app.footprint_mb * 1024 * 1024 / page)
        if reason == "per-process-limit":
            self.emit(kernel, fmt.kernel_exceeded_limit(app.memory_limit_mb))
            how = "killing_specific_process"
        else:
            how = "killing_top_process"
        free_pages = self.rng.randint(800, 4000)
        self.emit(
            kernel,
            fmt.kernel_killing(self.uptime(), how, pid, app.executable, reason, 3, rpages * page // 1024, free_pages),
        )
        self._kill(app)
        now = self.clock.now()
        name = f"JetsamEvent-{now:%Y-%m-%d-%H%M%S}.ips"
        while self.crash_store.exists(name):
            name = name.replace(".ips", "-1.ips")
        self.crash_store.add(
            name, self._jetsam_report(app, pid, reason, rpages, free_pages, now), now, *self.report_delay_s
        )
        self._saved("298", "JetsamEvent", name)
        return name

    def _process_entry(
        self, pid: int, name: str, states: list[str], prio: int, rpages: int, reason: str | None = None
    ) -> dict[str, Any]:
        """Keys of the KSCrash issue #278 entry; iOS 17+ adds the fixture's physicalPages/csFlags/
        "freeze_skip_reason:" (the iOS 27 fixture is the only newer evidence)."""
        e: dict[str, Any] = {
            "uuid": str(uuid.UUID(int=self.rng.getrandbits(128))),
            "states": states,
            "lifetimeMax": rpages + self.rng.randint(0, 200),
            "age": self.rng.randint(10**9, 10**12),
            "purgeable": 0,
            "fds": self.rng.randint(20, 200),
            "genCount": 0,
            "coalition": self.rng.randint(100, 900),
            "rpages": rpages,
            "priority": prio,
            "pid": pid,
            "idleDelta": self.rng.randint(1, 5000),
            "name": name[:32],
            "cpuTime": round(self.rng.uniform(0.1, 60.0), 6),
        }
        if reason is not None:
            e["reason"] = reason
            e["killDelta"] = self.rng.randint(1000, 20000)
        if self.profile.major >= 17:
            e["csFlags"] = 570434305
            e["freeze_skip_reason:"] = "none"
            e["physicalPages"] = {"internal": [int(rpages * 0.7), int(rpages * 0.3)]}
        return e

    def _jetsam_report(self, app: AppProfile, pid: int, reason: str, rpages: int, free: int, now: datetime) -> bytes:
        p = self.profile
        incident = str(uuid.UUID(int=self.rng.getrandbits(128))).upper()
        processes = [
            self._process_entry(76, "backboardd", ["active"], 170, 19240),
            self._process_entry(self.procs["SpringBoard"].pid, "SpringBoard", ["active"], 180, 24211),
            self._process_entry(self.procs["dasd"].pid, "dasd", ["daemon"], 40, 1620),
            self._process_entry(
                pid, app.executable, ["suspended"] if reason != "per-process-limit" else ["active"], 3, rpages, reason
            ),
        ]
        largest = max(processes, key=lambda e: e["rpages"])["name"]
        header = {
            "bug_type": "298",
            "timestamp": fmt.ips_timestamp(now),
            "os_version": p.os_string,
            "incident_id": incident,
        }
        body = {
            "crashReporterKey": f"{zlib.crc32(p.udid.encode()):08x}" * 5,
            "kernel": p.kernel,
            "product": p.product_type,
            "incident": incident,
            "date": fmt.ips_timestamp(now),
            "build": p.os_string,
            "timeDelta": self.rng.randint(1, 12),
            "bug_type": "298",
            "memoryStatus": {
                "compressorSize": self.rng.randint(40000, 120000),
                "compressions": self.rng.randint(10**6, 10**7),
                "decompressions": self.rng.randint(10**5, 10**6),
                "pageSize": 16384,
                "largestZone": "APFS_4K_OBJS",
                "largestZoneSize": 196640768,
                "uncompressed": self.rng.randint(100000, 300000),
                "zoneMapSize": 601161728,
                "zoneMapCap": 4515479552,
                "memoryPages": {
                    "active": 195361,
                    "free": free,
                    "wired": 244813,
                    "anonymous": 209999,
                    "fileBacked": 180593,
                    "inactive": 150210,
                    "purgeable": 1203,
                    "speculative": 3104,
                    "throttled": 0,
                },
            },
            "largestProcess": largest,
            "genCounter": self._reports,
            "processes": processes,
        }
        return fmt.jetsam_ips(header, body)

    def _watchdog(self, app: AppProfile, event: str = "scene-update") -> str:
        self._launch(app)
        pid = self._kill(app)
        now = self.clock.now()
        name = f"{app.executable}-{now:%Y-%m-%d-%H%M%S}.ips"
        while self.crash_store.exists(name):
            name = name.replace(".ips", "-1.ips")
        self.crash_store.add(name, self._watchdog_report(app, pid, event, now), now, *self.report_delay_s)
        self._saved("309", "<private>", name)
        return name

    def _watchdog_report(self, app: AppProfile, pid: int, event: str, now: datetime) -> bytes:
        p = self.profile
        incident = str(uuid.UUID(int=self.rng.getrandbits(128))).upper()
        cpu = event == "scene-create"  # covid19radar sample: CPU allowance; pocket-casts: wall clock
        allowance = 3.37 if cpu else 10.0
        stats = (
            "Elapsed total CPU time (seconds): 7.780 (user 5.000, system 2.780), 13% CPU",
            "Elapsed application CPU time (seconds): 0.177, 0% CPU",
        )
        header = {
            "app_name": app.executable,
            "timestamp": fmt.ips_timestamp(now),
            "app_version": app.version,
            "slice_uuid": str(uuid.UUID(int=self.rng.getrandbits(128))),
            "adam_id": "0",
            "build_version": "1",
            "platform": 2,
            "bundleID": app.bundle_id,
            "share_with_app_devs": 0,
            "is_first_party": 0,
            "bug_type": "309",
            "os_version": p.os_string,
            "roots_installed": 0,
            "name": app.executable,
            "incident_id": incident,
        }
        path = self._app_proc(app).path
        body = {
            "uptime": int(self.uptime()),
            "procRole": "Background",
            "version": 2,
            "userID": 501,
            "deployVersion": 210,
            "modelCode": p.product_type,
            "coalitionID": self.rng.randint(100, 900),
            "osVersion": {
                "isEmbedded": True,
                "train": f"iPhone OS {p.product_version}",
                "releaseType": "User",
                "build": p.build_version,
            },
            "captureTime": f"{now:%Y-%m-%d %H:%M:%S}.{now.microsecond // 100:04d} {fmt.tz_suffix(now)}",
            "incident": incident,
            "pid": pid,
            "cpuType": "ARM-64",
            "procName": app.executable,
            "procPath": path,
            "bundleInfo": {
                "CFBundleShortVersionString": app.version,
                "CFBundleVersion": "1",
                "CFBundleIdentifier": app.bundle_id,
            },
            "parentProc": "launchd",
            "parentPid": 1,
            "exception": {
                "codes": "0x0000000000000000, 0x0000000000000000",
                "rawCodes": [0, 0],
                "type": "EXC_CRASH",
                "signal": "SIGKILL",
            },
            "termination": {
                "code": 2343432205,
                "flags": 6,
                "namespace": "FRONTBOARD",
                "reasons": fmt.watchdog_reasons(event, app.bundle_id, pid, cpu, allowance, stats),
            },
            "faultingThread": 0,
            "threads": [
                {
                    "triggered": True,
                    "id": self.rng.randint(10**6, 10**7),
                    "queue": "com.apple.main-thread",
                    "frames": [],
                }
            ],
            "usedImages": [],
        }
        return fmt.crash_ips(header, body)

    # ------------------------------------------------------------------ public fault injection

    def submit_task(self, bundle: str, task_id: str) -> str:
        """The app submits (or resubmits) `task_id`; returns the new DAS activity name."""
        app = self.profile.app(bundle)
        spec = next((t for t in app.tasks if t.identifier == task_id), None)
        if spec is None:
            raise KeyError(f"{task_id} is not a BGTask identifier of {bundle}")
        return self._call(lambda: self._submit(app, spec))

    def inject_jetsam(self, bundle: str, reason: str = "per-process-limit") -> str:
        """Kill `bundle` by jetsam now; returns the JetsamEvent .ips file name added to the crash store."""
        app = self.profile.app(bundle)
        return self._call(lambda: self._jetsam(app, reason))

    def inject_watchdog(self, bundle: str, event: str = "scene-update") -> str:
        """Kill `bundle` with 0x8badf00d now; returns the watchdog .ips file name."""
        app = self.profile.app(bundle)
        return self._call(lambda: self._watchdog(app, event))

    def app_uuid(self, bundle: str) -> str:
        return self._app_uuid[bundle]

    def pid_of(self, bundle: str) -> int:
        """ProcessControl processIdentifierForBundleIdentifier: the pid, or 0 when not running."""
        st = self._apps.get(bundle)
        return st.pid if st is not None else 0

    def is_debuggable(self, pid: int) -> bool:
        app = self._app_by_pid(pid)
        return bool(app and app.debuggable)

    # DVT ProcessControl (sim/ios/dtx.py). Runs on the device's loop.

    def launch_app(self, bundle: str, kill_existing: bool = True, suspended: bool = False) -> int | str:
        """`launchSuspendedProcessWithDevicePath:…`: the app comes up on screen, as when its icon is tapped (a
        running instance is killed first with KillExisting, else brought forward); StartSuspendedKey leaves it
        stopped until `resumePid:` or a debugger. The new pid, or the error text for an app that is not installed.
        Also what a test calls for the user opening the app (thread-safe)."""
        return self._call(lambda: self._launch_app(bundle, kill_existing, suspended))

    def _launch_app(self, bundle: str, kill_existing: bool, suspended: bool) -> int | str:
        try:
            app = self.profile.app(bundle)
        except KeyError:
            return f"Request to launch {bundle} failed: no application with that bundle identifier is installed"
        st = self._apps[bundle]
        if st.pid and kill_existing:
            self._kill(app)
        pid = self._ensure_pid(app)
        st.foreground, st.start_suspended = True, suspended
        sb = self.procs["SpringBoard"]
        addr = 0x281A00000 + self.rng.getrandbits(20) * 0x20
        self.emit(sb, fmt.sb_process_state(bundle, pid, addr, visibility="Foreground"))
        self._dispatch_queued(app)
        return pid

    def signal_pid(self, pid: int, signal: int) -> str | None:
        """`sendSignal:toPid:` / `killPid:`: SIGKILL or SIGTERM end an app (runningboardd reports it); None when
        done, else the error (only apps can be signalled: system daemons are not the developer's)."""
        app = self._app_by_pid(pid) if pid else None
        if app is None:
            known = any(p.pid == pid for p in self.procs.values())
            return "Operation not permitted" if known else f"No such process: {pid}"
        if signal in (SIGKILL, 15):
            self._kill(app, signal)
        return None

    def resume_pid(self, pid: int) -> str | None:
        app = self._app_by_pid(pid) if pid else None
        if app is None:
            return f"No such process: {pid}"
        self._apps[app.bundle_id].start_suspended = False
        self._dispatch_queued(app)
        return None

    def drop_dvt(self) -> int:
        """Cut every open DVT connection (a tunnel or cable that went away): the conditions they held end."""

        def apply() -> int:
            servers = list(self.dvt_servers)
            for server in servers:
                server.drop()
            return len(servers)

        return self._call(apply)

    def deferrals(self, bundle: str) -> int:
        return self._apps[bundle].deferrals

    def pid_list(self) -> dict[int, str]:
        out = {p.pid: p.name for p in self.procs.values()}
        out.update({st.pid: self.profile.app(b).executable for b, st in self._apps.items() if st.pid})
        return out


def call_on_loop(loop: asyncio.AbstractEventLoop | None, fn: Callable[[], T], timeout: float = 10.0) -> T:
    """Run `fn` on `loop` from any thread and return its result; directly when already on it,
    or when there is no running loop to hop onto."""
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if loop is None or running is loop or not loop.is_running():
        return fn()
    fut: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        try:
            fut.set_result(fn())
        except BaseException as e:
            fut.set_exception(e)

    loop.call_soon_threadsafe(run)
    return fut.result(timeout=timeout)
