"""What happened to an app, in words, with the evidence and what to do (issue 14): the end of `scan -p`.

Support staff need answers, not tables. `VerdictBuilder` takes the events a scan (or a live command) yields,
one at a time, and `verdict()` turns them into a `Verdict`:

- a headline sentence ("com.example.syncapp was killed 2 times in 4 minutes: once by Xiaomi's OneKeyClean, ...");
- findings: each kind of trouble (deaths by one reason, ANRs, job time-outs, failed work, job stops) with how
  many times, over what span, which components logged it, a few `file:line` of evidence, and the knowledge
  base's explanation (`reports/knowledge.toml`): its title and `what`, the user's steps for the phone's
  maker and skin version, and the developer's;
- jobs: each `job_scheduled` of the app with what holds it back (unsatisfied constraints, standby bucket),
  each blocker explained through `Knowledge.for_blocker`;
- a final "what to do" list, most important first (kills before restrictions before deferrals, the most
  frequent first);
- notes that keep the verdict honest: the maker is unknown or inferred, deaths without a logged reason,
  evidence resting on a line or two, no jobscheduler dump to say why jobs wait.

Deaths are counted as the summary counts them (`reports.deaths.DeathFolder`: one death, not the four or
five lines that report it). Without a package, `most_affected(summary)` names the apps that died most.
A package no event names is `absent`, with the close names the input does have (difflib).

The phone's maker decides which explanation applies (Xiaomi's OneKeyClean vs any maker's killer): given by
the caller (`--maker`), read from a bugreport's Build fingerprint (`parse_fingerprint`), or inferred from
a killer only one maker has (`OneKeyClean` is MIUI's); when none of these, the verdict says so and uses
the generic entries.

Plain Python, standard library and bgprobe's own streaming pieces: the scan path never imports pandas.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, deque
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from bgprobe.reports.deaths import WINDOW_SECONDS, Death, DeathFolder, Row
from bgprobe.reports.events import DEATH_KINDS, Event, event_concerns, package_of_process, system_name
from bgprobe.reports.knowledge import Entry, Knowledge, load_knowledge
from bgprobe.reports.scan_summary import ScanSummary, device_time

EVIDENCE = 3  # file:line kept per finding: enough to open the log at the right place
MAX_NAMES = 20_000  # package and process names remembered for "did you mean" (a log names a few hundred)
MAX_UID_LINES = 2_000  # death lines naming only a uid, kept until the app's uid is known
RECENT_PID_LINES = 256  # the latest death lines naming only a pid: a killer often logs before the app's own line
SUGGESTIONS = 5
SEVERITY_ORDER = {"kill": 0, "restrict": 1, "defer": 2, "info": 3}
# Buckets that hold no job back: the others ration jobs (and name a knowledge entry as a blocker).
_FREE_BUCKETS = frozenset({"ACTIVE", "WORKING_SET", "EXEMPTED", "STANDBY_BUCKET_ACTIVE", "STANDBY_BUCKET_WORKING_SET"})
_FINE_JOB_STOPS = frozenset(
    {"success", "app_called_jobfinished", "successful_finish", "onstartjob_returned_false", "last_work_dequeued"}
)
_FINE_WORK = frozenset({"success"})


# -- the device ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeviceHint:
    """What a verdict knows about the phone. `how` says where the maker came from (shown to the reader)."""

    maker: str | None = None
    skin: str | None = None  # "MIUI 14.0.6", "One UI 5", "HyperOS 1.0"
    os_version: str | None = None
    model: str | None = None  # the device codename (venus) or a model
    how: str | None = None  # "given with --maker", "the bugreport's Build fingerprint", "inferred: ..."
    platform: str | None = None  # "ios": the version is iOS's (a crash report's OS Version), else Android's

    def describe(self) -> str:
        parts = []
        if self.maker:
            parts.append(display_maker(self.maker) + (f" {self.model}" if self.model else ""))
        elif self.model:
            parts.append(self.model)
        if self.os_version:
            parts.append(
                f"{system_name(self.platform)} {self.os_version}" if self.os_version[:1].isdigit() else self.os_version
            )
        if self.skin:
            parts.append(self.skin)
        return ", ".join(parts) if parts else "unknown phone"


_FINGERPRINT = re.compile(
    r"Build fingerprint: '?(?P<brand>[^/']*)/(?P<product>[^/]*)/(?P<device>[^:/]*):(?P<release>[^/]*)/"
    r"(?P<id>[^/]*)/(?P<incremental>[^:']*):"
)
_MIUI_INCREMENTAL = re.compile(r"^V(?P<major>1[0-4]|[5-9])\.(?P<minor>\d+)\.(?P<patch>\d+)\.\d+\.[A-Z]")
_HYPEROS_INCREMENTAL = re.compile(r"^OS(?P<major>\d)\.(?P<minor>\d+)\.(?P<patch>\d+)\.\d+\.[A-Z]")


def parse_fingerprint(text: str) -> DeviceHint | None:
    """The maker (brand), device, release and, where the build number carries it, the skin version from a
    bugreport's `Build fingerprint: 'Xiaomi/venus_eea/venus:13/TKQ1.221114.001/V14.0.6.0.TKBEUXM:user/...'`."""
    m = _FINGERPRINT.search(text)
    if m is None or not m["brand"]:
        return None
    return DeviceHint(
        maker=m["brand"],
        skin=_skin_from_build(m["brand"], m["release"], m["incremental"]),
        os_version=m["release"] or None,
        model=m["device"] or None,
        how="the bugreport's Build fingerprint",
    )


def _skin_from_build(brand: str, release: str, incremental: str) -> str | None:
    low = brand.casefold()
    if low in ("xiaomi", "redmi", "poco"):
        # MIUI builds are numbered V<miui>.<x>.<y>.0.<code>, HyperOS builds OS<n>.<x>.<y>.0.<code>
        if m := _MIUI_INCREMENTAL.match(incremental):
            return f"MIUI {m['major']}.{m['minor']}.{m['patch']}"
        if m := _HYPEROS_INCREMENTAL.match(incremental):
            return f"HyperOS {m['major']}.{m['minor']}"
    if low == "samsung":
        # One UI's major version follows Android's since One UI 1 on Android 9 (One UI 6 = Android 14).
        major = release.split(".", 1)[0]
        if major.isdigit() and 9 <= int(major) <= 16:
            return f"One UI {int(major) - 8}"
    return None


def parse_maker(text: str, knowledge: Knowledge | None = None) -> DeviceHint:
    """`--maker` as support types it: "Xiaomi", "xiaomi MIUI 14", "Samsung One UI 6.1", "HMD Global"."""
    kb = knowledge or load_knowledge()
    text = " ".join(text.split())
    best = ""
    for name in sorted({m for e in kb.entries for m in e.makers}, key=len, reverse=True):
        if text.casefold() == name.casefold() or text.casefold().startswith(name.casefold() + " "):
            best = name
            break
    maker, skin = (text[: len(best)], text[len(best) :].strip()) if best else _split_unknown(text)
    return DeviceHint(maker=maker or None, skin=skin or None, how="given with --maker")


def _split_unknown(text: str) -> tuple[str, str]:
    maker, _, rest = text.partition(" ")
    return maker, rest


# -- what a verdict holds -------------------------------------------------------------------------
@dataclass
class Finding:
    """One kind of trouble: deaths with one reason, ANRs, a job's time-outs, a worker's failures, job stops."""

    kind: str  # "death", "anr", "job_timeout", "work", "job_stop"
    reason: str  # bgprobe's reason string ("oem:OneKeyClean", "low_memory", "no reason logged")
    count: int
    first: datetime | None
    last: datetime | None
    by: str  # who or what did it, short: "Xiaomi's OneKeyClean", "the low-memory killer (lmkd)"
    components: list[str]  # the sources that logged it (ActivityManager, lmkd, exit-info, ...)
    evidence: list[str]  # file:line of a few of its lines
    subject: str = ""  # what it happened to: a process, a job, a worker
    entry_id: str | None = None
    title: str = ""  # what happened, in words (the knowledge entry's title)
    what: str = ""  # why, in a few sentences (the entry's `what`)
    severity: str = "info"
    user_steps: list[str] = field(default_factory=list)
    developer: str = ""

    @property
    def span(self) -> str:
        return span_words(self.first, self.last, self.count)


@dataclass
class Blocker:
    name: str  # a constraint (CONNECTIVITY), a bucket (RARE), or a job state reason
    entry_id: str | None
    title: str
    what: str
    severity: str
    user_steps: list[str]
    developer: str


@dataclass
class JobFinding:
    job: str
    label: str  # the job's service, or "WorkManager"
    state: str  # bgprobe's "why it is not running" (the job_scheduled detail)
    waiting: bool  # not ready and not running
    bucket: str | None
    blockers: list[Blocker]
    failures: int | None
    last_failure: str | None
    last_success: str | None
    evidence: list[str]


@dataclass
class Action:
    who: str  # "user" (on the phone) or "developer" (in the app)
    text: str
    why: str  # the finding or blocker it answers


@dataclass
class AffectedApp:
    package: str  # or "uid 10185" / "pid 4321" when no line named the app
    deaths: int
    main_reason: str
    main_deaths: int
    by: str
    title: str
    anrs: int
    job_timeouts: int
    last: datetime | None


@dataclass
class Verdict:
    package: str | None
    headline: str
    device: DeviceHint
    findings: list[Finding] = field(default_factory=list)
    jobs: list[JobFinding] = field(default_factory=list)
    todo: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    looked_at: str = ""
    events: int = 0
    first: datetime | None = None
    last: datetime | None = None
    absent: bool = False
    suggestions: list[str] = field(default_factory=list)
    affected: list[AffectedApp] = field(default_factory=list)

    @property
    def trouble(self) -> bool:
        return bool(self.findings or any(j.waiting or j.failures for j in self.jobs) or self.affected)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (times as ISO 8601)."""
        return _plain(asdict(self))  # type: ignore[no-any-return]  # _plain of a dict is a dict


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# -- words -----------------------------------------------------------------------------------------
def times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _ts(t: datetime | None) -> str:
    return "" if t is None else f"{t:%Y-%m-%d %H:%M:%S}"


def duration_words(seconds: float) -> str:
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = round(seconds / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    n = max(1, round(seconds))
    return f"{n} second{'s' if n != 1 else ''}"


def span_words(first: datetime | None, last: datetime | None, count: int = 2) -> str:
    """ "at 2024-10-30 13:29:40", "in 4 minutes (2024-10-30 13:29:40 → 13:33:45)", "" when no line had a time."""
    if first is None or last is None:
        return ""
    if count == 1 or first == last:
        return f"at {_ts(first)}"
    end = f"{last:%H:%M:%S}" if first.date() == last.date() else _ts(last)
    return f"in {duration_words((last - first).total_seconds())} ({_ts(first)} → {end})"


# Who did it, for a reason stock Android (or iOS) logs; a maker's killer is named after the maker.
_BY_REASON = {
    "low_memory": "the low-memory killer (lmkd)",
    "memory_pressure": "the low-memory killer (lmkd)",
    "oom_kill": "the kernel's out-of-memory killer",
    "too_many_empty": "Android's limit on idle processes",
    "trim_empty": "Android's limit on idle processes",
    "too_many_cached": "Android's limit on cached apps",
    "large_cached": "Android's limit on cached apps",
    "remove_lru": "Android's limit on cached apps",
    "force_stop": "a force-stop",
    "user_requested": "a force-stop",
    "stop_app": "a task manager",
    "remove_task": "a swipe away from Recents",
    "kill_background": "another app (killBackgroundProcesses)",
    "package_updated": "an app update",
    "package_update": "an app update",
    "package_removed": "the app's removal",
    "permission_change": "a permission change",
    "clear_data": "clearing the app's data",
    "crash": "a crash",
    "crash_native": "a native crash",
    "java_exception": "a crash (uncaught exception)",
    "initialization_failure": "a crash at start-up",
    "anr": "an ANR (the app did not respond)",
    "sigkill": "a SIGKILL (the sender was not logged)",
    "signaled": "a signal",
    "excessive_cpu": "Android's excessive-CPU check",
    "excessive_wakelock": "Android's excessive-wakelock check",
    "phantom_process": "Android's phantom-process limit",
    "cached_idle_forced_app_standby": "background restriction",
    "dependency_died": "the death of a process it depended on",
    "exit_self": "the app itself (it exited)",
    "execution_timeout": "JobScheduler's time-out",
    "timeout": "JobScheduler's time-out",
    "bgtask_expired": "iOS (background task time expired)",
    "no reason logged": "an unlogged cause",
}
_BY_PREFIX = (
    ("freezer", "the cached-apps freezer"),
    ("lmkd:", "the low-memory killer (lmkd)"),
    ("jetsam:", "jetsam (iOS memory limits)"),
    ("watchdog:", "the iOS watchdog"),
    ("runningboard:", "RunningBoard (iOS)"),
    ("terminated:", "iOS (dasd)"),
    ("resource:", "iOS resource limits"),
    ("anr_type_", "an ANR (the app did not respond)"),
    ("sig", "a signal"),
)


def by_words(reason: str, maker: str | None, sources: list[str] | tuple[str, ...] = ()) -> str:
    """Who or what did it, in a few words."""
    if reason.startswith("oem:"):
        name = _oem_name(reason[4:].strip(), sources)
        return f"{display_maker(maker)}'s {name}" if maker else f"the phone maker's {name}"
    if reason == "low_memory" and "kernel:lowmemorykiller" in sources:
        return "the kernel's low-memory killer"
    if reason in _BY_REASON:
        return _BY_REASON[reason]
    for prefix, words in _BY_PREFIX:
        if reason.startswith(prefix):
            return words
    return reason.replace("_", " ")


# Sources stock Android has: a death's other source is the maker's component that logged it.
_AOSP_SOURCES = frozenset(
    {"ActivityManager", "Zygote", "exit-info", "lmkd", "kernel:lowmemorykiller", "AndroidRuntime"}
)
_PACKAGE_LIKE = re.compile(r"^[A-Za-z]\w*(?:\.\w+)+$")


def _oem_name(name: str, sources: list[str] | tuple[str, ...]) -> str:
    """The maker's killer as the reader should see it: `OneKeyClean`; the component when the logged reason is a
    phrase (`ExtraActivityManagerService (for more free memory)`); `background manager` when it logged only the
    package's own name (Lenovo)."""
    own = next((s for s in sorted(sources) if s not in _AOSP_SOURCES and not s.startswith("am_")), None)
    if name == "samsung_chimera":
        return "Chimera"
    if not name or _PACKAGE_LIKE.match(name):
        return "background manager"
    if own and own != name and (" " in name or "_" in name):
        return f"{own} ({name.replace('huawei_', '').replace('_', ' ')})"
    return name


_MAKER_DISPLAY = {"samsung": "Samsung", "asus": "Asus", "lenovo": "Lenovo", "huawei": "Huawei", "honor": "Honor"}


def display_maker(maker: str | None) -> str:
    if not maker:
        return "the phone maker"
    return _MAKER_DISPLAY.get(maker.casefold(), maker)


# -- the builder -----------------------------------------------------------------------------------
@dataclass
class _Group:
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    sources: set[str] = field(default_factory=set)
    evidence: list[str] = field(default_factory=list)
    subjects: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)

    def add(self, ts: datetime | None, where: str | None, sources: set[str] | None = None, subject: str = "") -> None:
        self.count += 1
        if ts is not None:
            if self.first is None or ts < self.first:
                self.first = ts
            if self.last is None or ts > self.last:
                self.last = ts
        if where and len(self.evidence) < EVIDENCE and where not in self.evidence:
            self.evidence.append(where)
        if sources:
            self.sources |= sources
        if subject:
            self.subjects[subject] += 1

    def also(self, where: str | None, sources: set[str]) -> None:
        """Another line of the same occurrence: its evidence and source, not another count."""
        if where and len(self.evidence) < EVIDENCE and where not in self.evidence:
            self.evidence.append(where)
        self.sources |= sources


class VerdictBuilder:
    """Feed every event of a scan to `add` (all apps: the names and the makers' killers of the whole input
    count), then call `verdict()` once. `package` None: the verdict names the most affected apps."""

    def __init__(self, package: str | None = None, *, knowledge: Knowledge | None = None) -> None:
        self.package = package
        self.kb = knowledge or load_knowledge()
        self.names: Counter[str] = Counter()  # every package and process name an event carried, with its events
        self._makers: Counter[str] = Counter()  # maker -> events of killers only that maker has
        self._maker_reason: dict[str, str] = {}  # maker -> the first such killer (to say why)
        self._devices: Counter[tuple[str | None, str | None, str | None]] = Counter()  # (model, version, platform)
        self.platform = "android"
        # the app's own events
        self.events = 0
        self.kinds: Counter[str] = Counter()
        self.first: datetime | None = None
        self.last: datetime | None = None
        self._pids: set[tuple[str | None, int]] = set()
        self._uids: set[int] = set()
        self._uid_lines: list[Event] = []
        self._pid_lines: deque[Event] = deque(maxlen=RECENT_PID_LINES)
        self._deaths: dict[str, _Group] = {}
        self._death_kinds: dict[str, Counter[str]] = {}
        self._folder = DeathFolder(self._death_closed)
        self._anr_folder = DeathFolder(self._anr_closed)
        self._anrs: dict[str, _Group] = {}
        self._timeouts: dict[tuple[str, str], _Group] = {}
        self._work: dict[tuple[str, str], _Group] = {}
        self._stops: dict[str, _Group] = {}
        self._frozen = _Group()  # the cached-apps freezer froze the app (why its timers stop in the background)
        self._last_freeze: dict[tuple[str | None, int | None], datetime] = {}
        self._jobs: dict[str, Event] = {}  # the latest job_scheduled per job
        self._ran: Counter[str] = Counter()  # job -> job_started / job_finished lines
        self._finished = False

    # -- intake --------------------------------------------------------------------------------
    def add(self, e: Event, mine: bool | None = None) -> None:
        """One event of the input. `mine`: whether it is the app's (the scan's own package selection); None
        lets the builder decide (the package or its process named, or a pid-only line of one of its pids)."""
        name = e.package or package_of_process(e.process)
        if name and (name in self.names or len(self.names) < MAX_NAMES):
            self.names[name] += 1
        reason = e.reason
        if reason and reason.startswith("oem:"):
            for maker in _implied_makers(self.kb, reason, e.source):
                self._makers[maker] += 1
                self._maker_reason.setdefault(maker, reason[4:])
        if self.package is None:
            if e.device is not None or e.os_version is not None:
                self._devices[(e.device, e.os_version, e.platform)] += 1
            return
        if mine is None:
            mine = self._mine(e)
        if mine:
            self._take(e)
        elif e.kind in DEATH_KINDS and e.package is None and e.process is None:
            if e.pid is not None:
                # A killer that names only the pid, just before the app's own line names it (Flyme's
                # PermissionControl `Force kill process pid=N`): claimed by that line (`_claim`).
                self._pid_lines.append(e)
            elif e.uid is not None and len(self._uid_lines) < MAX_UID_LINES:
                # A killer that names only the uid (Huawei's HwPFWService): the app's once its uid is known.
                self._uid_lines.append(e)

    def _mine(self, e: Event) -> bool:
        pkg = self.package
        if pkg is None:  # never asked then: `add` keeps no app's events without a package
            return False
        if event_concerns(e, pkg):
            return True
        return e.package is None and e.process is None and e.pid is not None and (e.device, e.pid) in self._pids

    def _take(self, e: Event) -> None:
        self.events += 1
        kind = e.kind
        self.kinds[kind] += 1
        self.platform = e.platform or self.platform
        ts = device_time(e.ts) if e.ts else None
        if ts is not None:
            if self.first is None or ts < self.first:
                self.first = ts
            if self.last is None or ts > self.last:
                self.last = ts
        if e.device is not None or e.os_version is not None:
            self._devices[(e.device, e.os_version, e.platform)] += 1
        if e.pid is not None:
            self._pids.add((e.device, e.pid))
        uid = uid_number(e.uid)
        if uid is not None and (e.package or e.process):
            self._uids.add(uid)
        if kind in DEATH_KINDS:
            if e.pid is not None and self._pid_lines:
                self._claim(e.device, e.pid, ts)
            self._folder.add(_row(e, ts, e.process))
        elif kind == "anr":
            self._anr_folder.add(_row(e, ts, e.process))
        elif kind == "job_timeout":
            key = (e.job or "?", e.reason or "timeout")
            self._timeouts.setdefault(key, _Group()).add(ts, e.where, {_short_source(e.source)}, e.job or "")
        elif kind == "work_result":
            if e.reason not in _FINE_WORK:
                worker = str((e.data or {}).get("worker") or e.job or "worker")
                key = (worker, e.reason or "unknown")
                self._work.setdefault(key, _Group()).add(ts, e.where, {_short_source(e.source)}, worker)
        elif kind == "job_stopped":
            if e.reason not in _FINE_JOB_STOPS:
                self._stops.setdefault(e.reason or "unknown", _Group()).add(
                    ts, e.where, {_short_source(e.source)}, e.job or ""
                )
        elif kind == "job_scheduled":
            self._jobs[e.job or "?"] = e
        elif kind in ("job_started", "job_finished"):
            self._ran[e.job or "?"] += 1
        elif kind == "state_changed" and e.reason == "frozen":
            # The freezer's line and am_freeze tell one freeze: folded as deaths are (same pid, within seconds).
            freeze = (e.device, e.pid)
            last = self._last_freeze.get(freeze)
            if last is not None and ts is not None and abs((ts - last).total_seconds()) <= WINDOW_SECONDS:
                self._frozen.also(e.where, {_short_source(e.source)})
            else:
                self._frozen.add(ts, e.where, {_short_source(e.source)}, e.process or "")
            if ts is not None:
                self._last_freeze[freeze] = ts

    def _death_closed(self, death: Death) -> None:
        reason = death.reason or "no reason logged"
        group = self._deaths.setdefault(reason, _Group())
        group.add(death.ts, death.detail, set(death.sources), death.process or "")
        self._death_kinds.setdefault(reason, Counter())[death.kind] += 1

    def _anr_closed(self, anr: Death) -> None:
        reason = anr.reason or "anr"
        self._anrs.setdefault(reason, _Group()).add(anr.ts, anr.detail, set(anr.sources), anr.process or "")

    # -- the device ---------------------------------------------------------------------------------
    def implied_maker(self) -> tuple[str, str] | None:
        """(maker, killer) when the input names a killer only one maker has; the maker named most, if several."""
        if not self._makers:
            return None
        maker, _ = self._makers.most_common(1)[0]
        return maker, self._maker_reason[maker]

    def device(self, given: DeviceHint | None = None, fingerprint: DeviceHint | None = None) -> DeviceHint:
        """The phone as far as the caller and the input tell: the maker given, else the fingerprint's, else
        the one its killers imply; model and Android version from the events."""
        model = os_version = platform = None
        if self._devices:
            (model, os_version, platform), _ = self._devices.most_common(1)[0]
        maker = skin = how = None
        for hint in (given, fingerprint):
            if hint is not None and hint.maker:
                maker, how = hint.maker, hint.how
                skin = hint.skin
                break
        if maker is None and (implied := self.implied_maker()) is not None:
            maker = implied[0]
            how = f"inferred: {implied[1]} is a killer only {display_maker(maker)} phones have"
        if skin is None and fingerprint is not None and _same_brand(fingerprint.maker, maker):
            skin = fingerprint.skin
        if fingerprint is not None:
            model = model or fingerprint.model
            os_version = os_version or fingerprint.os_version
        if given is not None:
            model = given.model or model
            os_version = given.os_version or os_version
        return DeviceHint(maker=maker, skin=skin, os_version=os_version, model=model, how=how, platform=platform)

    # -- the verdict ---------------------------------------------------------------------------------
    def verdict(
        self,
        device: DeviceHint | None = None,
        *,
        summary: ScanSummary | None = None,
        inputs: int | None = None,
    ) -> Verdict:
        """The verdict for the package (or, without one, the most affected apps from `summary`)."""
        device = device or self.device()
        if self.package is None:
            if summary is None:
                raise ValueError("a verdict without a package needs the scan's summary")
            return most_affected(summary, device, knowledge=self.kb, inputs=inputs)
        self._finish()
        pkg = self.package
        where = f" in {inputs} input{'s' if inputs != 1 else ''}" if inputs is not None else ""
        if not self.events and not self._deaths:
            return self._absent(device, where)
        maker = device.maker
        findings = self._findings(maker, device.skin)
        jobs = self._job_findings(maker, device.skin)
        kinds = ", ".join(f"{k} {n}" for k, n in self.kinds.most_common())
        span = span_words(self.first, self.last, self.events)
        looked_at = f"{self.events} event{'s' if self.events != 1 else ''} of {pkg}{where}" + (
            f", {span}" if span else ""
        )
        looked_at += f" ({kinds})" if kinds else ""
        v = Verdict(
            package=pkg,
            headline="",
            device=device,
            findings=findings,
            jobs=jobs,
            looked_at=looked_at,
            events=self.events,
            first=self.first,
            last=self.last,
        )
        v.todo = _todo(findings, jobs)
        v.notes = self._notes(v)
        v.headline = _headline(v)
        return v

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        for e in self._uid_lines:
            if uid_number(e.uid) in self._uids:
                # Filed under the app's name, so that it joins the force-stop or kill lines of the same death.
                self._take_uid_line(e)
        self._uid_lines.clear()
        self._folder.finish()
        self._anr_folder.finish()

    def _take_uid_line(self, e: Event) -> None:
        self.events += 1
        self.kinds[e.kind] += 1
        ts = device_time(e.ts) if e.ts else None
        self._folder.add(_row(e, ts, self.package))

    def _claim(self, device: str | None, pid: int, ts: datetime | None) -> None:
        """The recent pid-only death lines of this pid, within the time one death's lines take: the app's."""
        for e in [e for e in self._pid_lines if e.pid == pid and e.device == device]:
            line_ts = device_time(e.ts) if e.ts else None
            if ts is not None and line_ts is not None and abs((ts - line_ts).total_seconds()) <= WINDOW_SECONDS:
                self._pid_lines.remove(e)
                self._take_uid_line(e)

    def _absent(self, device: DeviceHint, where: str) -> Verdict:
        pkg = self.package or ""
        close = suggest(pkg, self.names)
        headline = f"{pkg} does not appear in these inputs: no event names it, so nothing can be said about it."
        if close:
            headline += " Close names that do appear: " + ", ".join(close) + "."
        elif self.names:
            # nothing close: the apps the input does name, so that a wrong package is seen at once
            shown = [name for name, _ in self.names.most_common(SUGGESTIONS)]
            more = len(self.names) - len(shown)
            headline += " The apps these inputs name most: " + ", ".join(shown)
            headline += f" and {more} more." if more else "."
        notes = [
            f"{len(self.names)} package or process name{'s' if len(self.names) != 1 else ''} appear{where}"
            + ("" if self.names else " (no event names any app)")
            + ". This is not an all-clear: the app may be spelled differently, or the logs may not reach back"
            " to its trouble."
        ]
        return Verdict(package=pkg, headline=headline, device=device, absent=True, suggestions=close, notes=notes)

    def _findings(self, maker: str | None, skin: str | None) -> list[Finding]:
        out: list[Finding] = []
        kb, platform = self.kb, self.platform
        for reason, g in self._deaths.items():
            kind = self._death_kinds[reason].most_common(1)[0][0]
            sources = sorted(g.sources)
            entry = None
            if reason != "no reason logged":
                entry = kb.for_event(
                    {"reason": reason, "kind": kind, "source": ",".join(sources), "platform": platform}, maker
                )
            out.append(_finding("death", reason, g, by_words(reason, maker, sources), entry, skin))
        for reason, g in self._anrs.items():
            entry = kb.for_event({"reason": reason, "kind": "anr", "platform": platform}, maker)
            out.append(_finding("anr", reason, g, by_words(reason, maker), entry, skin))
        for (job, reason), g in self._timeouts.items():
            entry = kb.for_event({"reason": reason, "kind": "job_timeout", "platform": platform}, maker)
            f = _finding("job_timeout", reason, g, "JobScheduler's time-out", entry, skin)
            f.subject = f"job {job}"
            out.append(f)
        for (worker, reason), g in self._work.items():
            entry = kb.for_event({"reason": reason, "kind": "work_result", "platform": platform}, maker)
            f = _finding("work", reason, g, f"WorkManager ({reason.upper()})", entry, skin)
            f.subject = worker
            out.append(f)
        for reason, g in self._stops.items():
            entry = kb.for_event({"reason": reason, "kind": "job_stopped", "platform": platform}, maker)
            f = _finding("job_stop", reason, g, f"JobScheduler stopping the job ({reason})", entry, skin)
            f.subject = ", ".join(f"job {j}" for j in sorted(g.subjects)) if g.subjects else ""
            out.append(f)
        if self._frozen.count:
            entry = kb.for_event({"reason": "frozen", "kind": "state_changed", "platform": platform}, maker)
            out.append(_finding("state", "frozen", self._frozen, "the cached-apps freezer", entry, skin))
        out.sort(key=_importance)
        return out

    def _job_findings(self, maker: str | None, skin: str | None) -> list[JobFinding]:
        out = []
        for job, e in self._jobs.items():
            data = e.data or {}
            unsatisfied = data.get("unsatisfied_constraints") or []
            if not isinstance(unsatisfied, list):
                unsatisfied = str(unsatisfied).split()
            bucket = data.get("standby_bucket")
            bucket = str(bucket) if bucket else None
            ready, active = data.get("ready"), data.get("active")
            waiting = ready is False and not active
            names = [str(n) for n in unsatisfied]
            if waiting and bucket and bucket.upper() not in _FREE_BUCKETS:
                names.append(bucket)
            if waiting and not names and e.reason:
                names.append(e.reason)  # only the state says why (backoff, dozing, background_restricted, ...)
            blockers = [self._blocker(n, e, maker, skin) for n in dict.fromkeys(names)]
            service = str(data.get("service") or "")
            label = "WorkManager" if data.get("workmanager") else service.split("/", 1)[-1] if service else ""
            failures = data.get("num_failures")
            out.append(
                JobFinding(
                    job=job,
                    label=label,
                    state=e.detail or "",
                    waiting=waiting,
                    bucket=bucket,
                    blockers=blockers,
                    failures=int(failures) if isinstance(failures, int) else None,
                    last_failure=_text(data.get("last_failed_run")),
                    last_success=_text(data.get("last_successful_run")),
                    evidence=[e.where] if e.where else [],
                )
            )
        out.sort(key=lambda j: (not j.waiting, -(j.failures or 0), j.job))
        return out

    def _blocker(self, name: str, e: Event, maker: str | None, skin: str | None) -> Blocker:
        entry = self.kb.for_blocker(name, maker)
        if entry is None:  # a job state reason rather than a constraint
            entry = self.kb.for_event(
                {"reason": name.casefold(), "kind": "job_scheduled", "platform": e.platform}, maker
            )
        if entry is None:
            return Blocker(name, None, f"{name} (not in bgprobe's knowledge base)", "", "defer", [], "")
        return Blocker(
            name, entry.id, entry.title, entry.what, entry.severity or "defer", entry.steps_for(skin), entry.developer
        )

    def _notes(self, v: Verdict) -> list[str]:
        notes = []
        device = v.device
        has_oem = any(f.reason.startswith("oem:") for f in v.findings)
        if device.maker is None and (v.findings or v.jobs):
            notes.append(
                "The phone's maker is unknown (no Build fingerprint in these inputs, and no killer only one maker has):"
                " the explanations and settings are Android's generic ones"
                + (" although a maker's own killer acted" if has_oem else "")
                + ". Name it with --maker (e.g. --maker 'Xiaomi MIUI 14') for that maker's steps."
            )
        elif device.how and device.how.startswith("inferred"):
            notes.append(f"Maker {device.how}; the input has no Build fingerprint to confirm it.")
        if device.maker and not any(e.for_maker(device.maker) and e.maker_specific for e in self.kb.entries):
            notes.append(
                f"bgprobe knows no killer specific to {display_maker(device.maker)}: explanations are generic."
            )
        variants = any(_has_skin_variants(self.kb.get(f.entry_id)) for f in v.findings if f.entry_id)
        if device.maker and device.skin is None and variants:
            notes.append(
                "The skin version is unknown: the settings steps are listed for each version; use the one the"
                " phone shows."
            )
        unexplained = self._deaths.get("no reason logged")
        if unexplained is not None:
            notes.append(
                f"{unexplained.count} death{'s' if unexplained.count != 1 else ''} of the app "
                f"{'have' if unexplained.count != 1 else 'has'} no reason in these logs (only a 'has died' or a signal"
                " line): a bugreport from Android 11 or later records why in exit-info."
            )
        occurrences = sum(f.count for f in v.findings)
        if v.findings and (occurrences == 1 or self.events <= 2):
            # One kill can be chance; support should not tell a customer "your phone kills the app" from it.
            notes.append(
                f"Thin evidence: this verdict rests on {occurrences} occurrence{'s' if occurrences != 1 else ''}"
                f" ({self.events} log line{'s' if self.events != 1 else ''}); a longer log or a full bugreport"
                " would show whether it is a pattern."
            )
        if v.findings and self.first is None:
            notes.append("The lines carry no times: when and how often over what span is unknown.")
        if not self._jobs and self.platform == "android":
            notes.append(
                "No `dumpsys jobscheduler` of this app in the inputs: its jobs, and what holds them back, are unknown"
                " (a bugreport has it)."
            )
        if not v.findings and not any(j.waiting or j.failures for j in v.jobs):
            notes.append(
                "Nothing wrong was found in what was looked at. That covers the time span of these logs only: a kill"
                " before the oldest line, or on another day, is not in them."
            )
        return notes


def _has_skin_variants(entry: Entry | None) -> bool:
    return entry is not None and sum(s.skins.casefold() != "any" for s in entry.user_steps) > 1


def _finding(kind: str, reason: str, g: _Group, by: str, entry: Entry | None, skin: str | None) -> Finding:
    subject = ", ".join(name for name, _ in g.subjects.most_common(3))
    f = Finding(
        kind=kind,
        reason=reason,
        count=g.count,
        first=g.first,
        last=g.last,
        by=by,
        components=sorted(g.sources),
        evidence=list(g.evidence),
        subject=subject,
    )
    if entry is not None:
        f.entry_id = entry.id
        f.title = entry.title
        f.what = entry.what
        f.severity = entry.severity or "info"
        f.user_steps = entry.steps_for(skin)
        f.developer = entry.developer
    elif reason == "no reason logged":
        f.title = "The app's process died and no line said why"
        f.what = (
            "ActivityManager (or Zygote) logged only that the process was gone. The cause may have been logged"
            " elsewhere (the event log, exit-info in a bugreport) or not at all."
        )
        f.severity = "kill"
    else:
        f.title = f"{reason}: a reason bgprobe's knowledge base does not explain yet"
        f.severity = "kill" if kind == "death" else "info"
    return f


# On a tie of severity and count: a maker's killer first (the cause support can most often fix), then
# other deaths, ANRs, job time-outs, failed work and job stops.
_KIND_ORDER = {"death": 1, "anr": 3, "job_timeout": 4, "work": 5, "job_stop": 6, "state": 7}
_APP_SIDE = frozenset({"anr", "job_timeout", "work"})  # the app's own doing: its developer acts, not the user


def _importance(f: Finding) -> tuple[int, int, int, str]:
    kind = 0 if f.kind == "death" and f.reason.startswith("oem:") else _KIND_ORDER.get(f.kind, 6)
    return (SEVERITY_ORDER.get(f.severity, 2), -f.count, kind, f.reason)


def _todo(findings: list[Finding], jobs: list[JobFinding]) -> list[Action]:
    """What to do, most important first: the user's steps, then the developer's. Each list follows the
    issues by severity and frequency (a blocker counts the jobs it holds back); in the user's list, steps
    for what the app itself did (ANRs, time-outs, failed work) come after those for what the phone did."""
    issues: list[tuple[tuple[int, int, int, str], str, list[str], str, bool]] = []
    for f in findings:
        if f.user_steps or f.developer:
            issues.append((_importance(f), f.by, f.user_steps, f.developer, f.kind in _APP_SIDE))
    held: dict[str, tuple[Blocker, int]] = {}
    for j in jobs:
        if not j.waiting:
            continue
        for b in j.blockers:
            prev = held.get(b.name)
            held[b.name] = (b, (prev[1] if prev else 0) + 1)
    for name, (b, n) in held.items():
        rank = (SEVERITY_ORDER.get(b.severity, 2), -n, 2, name)
        issues.append((rank, f"jobs waiting on {name}", b.user_steps, b.developer, False))
    issues.sort(key=lambda i: i[0])
    actions: list[Action] = []
    seen: set[str] = set()
    for _, why, steps, _developer, _app_side in sorted(issues, key=lambda i: i[4]):  # stable: phone-side first
        for step in steps:
            if step not in seen:
                seen.add(step)
                actions.append(Action("user", step, why))
    for _, why, _steps, developer, _app_side in issues:
        if developer and developer not in seen:
            seen.add(developer)
            actions.append(Action("developer", developer, why))
    return actions


def _headline(v: Verdict) -> str:
    """One or two sentences: the deaths and who did them, the jobs that wait and on what; the rest counted."""
    pkg = v.package or ""
    deaths = [f for f in v.findings if f.kind == "death"]
    parts: list[str] = []
    total = sum(f.count for f in deaths)
    if total:
        crashes_only = all(f.reason in _CRASH_REASONS for f in deaths)
        unexplained_only = all(f.reason == "no reason logged" for f in deaths)
        verb = "crashed" if crashes_only else "died" if unexplained_only else "was killed"
        first = min((f.first for f in deaths if f.first), default=None)
        last = max((f.last for f in deaths if f.last), default=None)
        span = span_words(first, last, total)
        said = f"{pkg} {verb} {times(total)}" + (f" {span}" if span else "")
        if len(deaths) == 1:
            parts.append(said if crashes_only or unexplained_only else f"{said} by {deaths[0].by}")
        else:
            causes = [
                f"{times(f.count)} " + ("with no reason logged" if f.reason == "no reason logged" else f"by {f.by}")
                for f in deaths[:3]
            ]
            if len(deaths) > 3:
                causes.append(f"{sum(f.count for f in deaths[3:])} more times by other causes")
            parts.append(f"{said}: " + ", ".join(causes))
    waiting = [j for j in v.jobs if j.waiting]
    if waiting:
        names = list(dict.fromkeys(b.name for j in waiting for b in j.blockers))
        which = f"its job {waiting[0].job}" if len(waiting) == 1 else f"{len(waiting)} of its jobs"
        held = " (held back by " + ", ".join(_blocker_words(n) for n in names[:4]) + ")" if names else ""
        parts.append(f"{which} {'is' if len(waiting) == 1 else 'are'} not running{held}")
    also = []
    for kind, words in (("anr", "ANR"), ("job_timeout", "job time-out"), ("job_stop", "job stop"), ("state", "freeze")):
        n = sum(f.count for f in v.findings if f.kind == kind)
        if n:
            also.append(f"{n} {words}{'s' if n != 1 else ''}")
    for f in (f for f in v.findings if f.kind == "work"):
        also.append(f"{f.count} WorkManager {f.reason.upper()}")
    if not parts and not also:
        return (
            f"No kills, deaths, ANRs, job time-outs, failed work or waiting jobs of {pkg} were found ({v.looked_at})."
        )
    if not parts:
        parts.append(f"{pkg} was not killed and its jobs are not held back, but it had " + ", ".join(also))
    elif also:
        parts.append("also " + ", ".join(also))
    if not total and waiting:
        parts[0] = f"{pkg} was not killed, but " + parts[0]
    return "; ".join(parts) + "."


_CRASH_REASONS = frozenset({"crash", "crash_native", "java_exception", "initialization_failure"})
_BLOCKER_WORDS = {
    "CONNECTIVITY": "no suitable network",
    "UNMETERED": "no unmetered network",
    "CHARGING": "not charging",
    "IDLE": "the phone not idle",
    "BATTERY_NOT_LOW": "battery low",
    "STORAGE_NOT_LOW": "storage low",
    "WITHIN_QUOTA": "its standby-bucket quota used up",
    "TARE_WEALTH": "its energy credits (TARE) used up",
    "TIMING_DELAY": "a delay not yet over",
    "DEVICE_NOT_DOZING": "Doze",
    "BACKGROUND_NOT_RESTRICTED": "background restriction",
    "RARE": "the Rare standby bucket",
    "FREQUENT": "the Frequent standby bucket",
    "RESTRICTED": "the Restricted standby bucket",
    "NEVER": "the Never standby bucket",
}


def _blocker_words(name: str) -> str:
    return _BLOCKER_WORDS.get(name.upper(), name)


# -- without a package: the most affected apps ------------------------------------------------------
def most_affected(
    summary: ScanSummary,
    device: DeviceHint | None = None,
    *,
    knowledge: Knowledge | None = None,
    inputs: int | None = None,
    limit: int = 10,
) -> Verdict:
    """The apps that died most in the summary's input, each with its main reason explained."""
    kb = knowledge or load_knowledge()
    device = device or DeviceHint()
    maker = device.maker
    apps: dict[str, dict[str, Any]] = {}
    for row in summary.deaths_by_reason:
        name = row.process if row.process.startswith(("pid ", "uid ", "unknown")) else package_of_process(row.process)
        app = apps.setdefault(name or row.process, {"deaths": 0, "reasons": Counter(), "sources": {}, "last": None})
        app["deaths"] += row.deaths
        app["reasons"][row.reason] += row.deaths
        app["sources"].setdefault(row.reason, set()).update(s.strip() for s in row.sources.split(",") if s.strip())
        if row.last is not None and (app["last"] is None or row.last > app["last"]):
            app["last"] = row.last
    anrs: Counter[str] = Counter(package_of_process(a.process) or "" for a in summary.anrs if a.process)
    timeouts: Counter[str] = Counter()
    for t in summary.job_timeouts:
        if t.package:
            timeouts[t.package] += t.count
    for name in set(anrs) | set(timeouts):
        if name:
            apps.setdefault(name, {"deaths": 0, "reasons": Counter(), "sources": {}, "last": None})
    affected = []
    for name, app in apps.items():
        # the reason with most deaths; on a tie a maker's killer, then a logged reason over none
        ranked = sorted(
            app["reasons"].items(),
            key=lambda kv: (-kv[1], not kv[0].startswith("oem:"), kv[0] == "no reason logged", kv[0]),
        )
        main, main_n = ranked[0] if ranked else ("", 0)
        sources = sorted(app["sources"].get(main, ()))
        entry = (
            kb.for_event({"reason": main, "kind": "process_killed", "source": ",".join(sources)}, maker)
            if main and main != "no reason logged"
            else None
        )
        affected.append(
            AffectedApp(
                package=name,
                deaths=app["deaths"],
                main_reason=main,
                main_deaths=main_n,
                by=by_words(main, maker, sources) if main else "",
                title=entry.title if entry else "",
                anrs=anrs.get(name, 0),
                job_timeouts=timeouts.get(name, 0),
                last=app["last"],
            )
        )
    affected.sort(key=lambda a: (-a.deaths, -a.anrs, -a.job_timeouts, a.package))
    where = f" in {inputs} input{'s' if inputs != 1 else ''}" if inputs is not None else ""
    span = span_words(summary.first, summary.last, summary.events)
    looked_at = f"{summary.events} event{'s' if summary.events != 1 else ''}{where}" + (f", {span}" if span else "")
    dead = [a for a in affected if a.deaths]
    if dead:
        top = dead[0]
        headline = (
            f"{len(dead)} app{'s' if len(dead) != 1 else ''} died in these inputs; the most affected: {top.package} "
            f"({top.deaths} death{'s' if top.deaths != 1 else ''}" + (f", mostly by {top.by}" if top.by else "") + ")."
        )
    elif affected:
        headline = "No app was killed or died in these inputs; some stopped responding or had jobs time out."
    else:
        headline = f"No app was killed, died, stopped responding or had a job time out in these inputs ({looked_at})."
    notes = []
    if affected and maker is None and any(a.main_reason.startswith("oem:") for a in affected):
        notes.append("The phone's maker is unknown: a maker's killer acted; --maker NAME names it.")
    notes.append("Name one app with -p PACKAGE for its verdict: why it died, its jobs, and what to do.")
    return Verdict(
        package=None,
        headline=headline,
        device=device,
        looked_at=looked_at,
        events=summary.events,
        first=summary.first,
        last=summary.last,
        affected=affected[:limit],
        notes=notes,
    )


# -- helpers -------------------------------------------------------------------------------------------
def suggest(package: str, names: Collection[str], n: int = SUGGESTIONS) -> list[str]:
    """Names in the input close to `package` (a typo, a missing `.debug`, another flavour)."""
    pool = sorted(set(names))
    close = difflib.get_close_matches(package, pool, n=n, cutoff=0.6)
    # A flavour of the same app (`com.foo.app.debug`, `com.foo.app:remote`) ranks first whatever difflib thinks.
    stem = package.rsplit(".", 1)[-1].casefold()
    related = [p for p in pool if len(stem) >= 4 and stem in p.casefold() and p not in close]
    return (close + related)[:n]


def uid_number(uid: str | int | None) -> int | None:
    """`u0a245` -> 10245, `u10a3` -> 1010003, `10245` -> 10245."""
    if uid is None:
        return None
    if isinstance(uid, int):
        return uid
    text = str(uid).strip()
    if text.isdigit():
        return int(text)
    m = re.fullmatch(r"u(\d+)a(\d+)", text)
    if m:
        return int(m[1]) * 100_000 + 10_000 + int(m[2])
    return None


def _row(e: Event, ts: datetime | None, process: str | None) -> Row:
    # reports.deaths.Row with the line's file:line in the `detail` slot: the evidence of the death it joins
    return (e.device, ts, e.pid, process, e.package, e.uid, e.reason, e.kind, e.source, e.where)


def _short_source(source: str) -> str:
    return source.split(":")[-1] if source.startswith("logcat") else source


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _same_brand(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.casefold() == b.casefold())


@lru_cache(maxsize=4096)
def _implied_for(kb_id: int, reason: str, source: str) -> tuple[str, ...]:
    kb = _KB_BY_ID[kb_id]
    found = []
    for makers in dict.fromkeys(e.makers for e in kb.entries if e.maker_specific):
        entry = kb.for_event({"reason": reason, "source": source, "kind": "process_killed"}, makers[0])
        if entry is None or not entry.maker_specific or entry.makers != makers:
            continue
        catch_all = all(r == "oem:*" for r in entry.match.reasons) and not entry.match.sources
        if not catch_all:
            found.append(makers[0])
    return tuple(found)


_KB_BY_ID: dict[int, Knowledge] = {}


def _implied_makers(kb: Knowledge, reason: str, source: str) -> tuple[str, ...]:
    """The makers whose own killer (not just "any OEM reason") explains this reason: OneKeyClean -> Xiaomi."""
    _KB_BY_ID.setdefault(id(kb), kb)
    return _implied_for(id(kb), reason, source)


# What a verdict says in the knowledge base's words, or in bgprobe's: never personal, kept whole when redacting.
_KNOWLEDGE_FIELDS = frozenset(
    {"reason", "main_reason", "kind", "severity", "entry_id", "title", "what", "user_steps", "developer", "text", "who"}
)


def redact_verdict(v: Verdict) -> Verdict:
    """The verdict for sharing: evidence paths, job details, notes and headline redacted (reports.redact);
    the knowledge base's explanations and bgprobe's reason strings as they are."""
    from bgprobe.reports.redact import redact_fields

    return redact_fields(v, keep=_KNOWLEDGE_FIELDS)  # type: ignore[no-any-return]  # a copy of the same class


# -- wording shared by the terminal and the page ------------------------------------------------------------
def finding_heading(f: Finding) -> str:
    """ "Killed once by Xiaomi's OneKeyClean, at 2024-10-30 13:29:40" — what happened, how often, when."""
    if f.kind == "death":
        if f.reason == "no reason logged":
            what = f"Died {times(f.count)}, no reason logged"
        else:
            verb = "Crashed" if f.reason in _CRASH_REASONS else "Killed"
            what = f"{verb} {times(f.count)} by {f.by}"
    elif f.kind == "anr":
        what = f"Not responding (ANR) {times(f.count)}"
    elif f.kind == "job_timeout":
        what = f"{(f.subject or 'A job').capitalize()} timed out {times(f.count)} ({f.reason})"
    elif f.kind == "work":
        what = f"{f.subject or 'Work'} ended {f.reason.upper()} {times(f.count)}"
    elif f.kind == "state":
        what = f"Frozen by the cached-apps freezer {times(f.count)}"
    else:
        what = f"Jobs stopped by the system {times(f.count)} ({f.reason})" + (f": {f.subject}" if f.subject else "")
    span = f.span
    return f"{what}, {span}" if span else what


def evidence_words(wheres: list[str]) -> str:
    """file:line of each line, the file named once when they share it: `bugreport.zip!main.txt lines 22, 35`."""
    files: dict[str, list[str]] = {}
    for where in wheres:
        name, _, line = where.rpartition(":")
        if not name or not line.isdigit():
            name, line = where, ""
        files.setdefault(name, []).append(line)
    parts = []
    for name, lines in files.items():
        numbers = [n for n in lines if n]
        if len(numbers) > 1:
            parts.append(f"{name} lines {', '.join(numbers)}")
        else:
            parts.append(f"{name}:{numbers[0]}" if numbers else name)
    return "; ".join(parts)


def job_heading(j: JobFinding) -> str:
    label = f" ({j.label})" if j.label else ""
    if j.waiting:
        state = "not running"
    elif j.failures:
        state = "ran, with failures"
    else:
        state = "ready or running"
    failures = f"; failed {times(j.failures)}" if j.failures else ""
    last = f", last at {j.last_failure}" if j.failures and j.last_failure else ""
    return f"Job {j.job}{label}: {state}{failures}{last}"
