"""`dumpsys jobscheduler` -> `job_scheduled` / `job_started` / `job_stopped` events.

Formats (AOSP JobSchedulerService, JobStatus.dump,
JobConcurrencyManager / JobServiceContext.dumpLocked, JobPackageTracker.dumpHistory):
- registered job:  `  JOB #u0a231/5: a2826a0 pkg/svc` (Android 14 namespaces: `JOB #NS:u0a1/5: ...`)
- active slot:     `  Slot #0: 4f3a189 #u0a88/1 pkg/.Svc` (newer: `Slot #0(ID=3): 4f3a189 {ns} #u0a88/1 ...`,
                   idle slots print `inactive ...` and are skipped)
- job history:     `   -1m2s3ms   STOP: #u0a123/42 *job*/pkg/.Svc canceled`
Each entry's body (Source:, constraints, Standby bucket, Run time, Ready: ...) is read line by line;
constraints are parsed by name, never by hex bit, because the bits moved between releases.
Pasted excerpts are often partial, so whatever was read is emitted, even a body without a header.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from bgprobe.collectors.parsers import NumberedLines, at
from bgprobe.reports.events import Event, event_concerns

SOURCE = "dumpsys:jobscheduler"
WORKMANAGER_SERVICE = "androidx.work.impl.background.systemjob.SystemJobService"

# Constraint name -> words a support engineer understands. Unknown names are shown verbatim.
CONSTRAINT_WORDS: dict[str, str] = {
    "CHARGING": "charging",
    "BATTERY_NOT_LOW": "battery not low",
    "IDLE": "device idle",
    "STORAGE_NOT_LOW": "storage not low",
    "TIMING_DELAY": "earliest run time",
    "DEADLINE": "deadline",
    "CONNECTIVITY": "network",
    "CONTENT_TRIGGER": "content change",
    "DEVICE_NOT_DOZING": "device not dozing",
    "WITHIN_QUOTA": "standby quota",
    "PREFETCH": "prefetch window",
    "BACKGROUND_NOT_RESTRICTED": "app not background-restricted",
    "FLEXIBILITY": "flexible constraints",
    "FLEXIBLE": "flexible constraints",
    "UID_NOT_RESTRICTED": "uid not restricted",
    "TARE_WEALTH": "TARE credits",
    # Android 8.0 only (HWF8 JobStatus)
    "APP_NOT_IDLE": "app not idle",
    "UNMETERED": "unmetered network",
    "NOT_ROAMING": "non-roaming network",
    "METERED": "metered network",
}

# Standby buckets in which JobScheduler throttles hard enough to be worth saying so.
_THROTTLED_BUCKETS = ("RARE", "RESTRICTED", "NEVER")

# Words for `Ready: false (... key=false ...)` flags other than `job=`.
_READY_FLAG_WORDS: dict[str, tuple[str, str]] = {
    "user": ("user_stopped", "the user (or system) has stopped the app"),
    "comp": ("component_disabled", "the job's service component is disabled or missing"),
    "!restricted": ("restricted", "restricted by the system"),
    "!pending": ("pending", "already queued to run"),
    "!active": ("running", "already running"),
    "!backingup": ("backing_up", "the app is being backed up"),
}

_UID = r"[^\s/:]+"
JOB_HDR = re.compile(
    rf"^\s*JOB #(?:(?P<ns>[^:\s]+):)?(?P<uid>{_UID})/(?P<jobid>-?\d+): (?P<hash>[0-9a-f]+) (?P<comp>\S+)"
)
QUOTE = re.compile(r"^(?P<indent>\s*)> ?")
SLOT = re.compile(r"^\s*Slot #(?P<slot>\d+)\s*(?:\(ID=\d+\))?:\s*(?P<rest>.*)$")
SHORT = re.compile(rf"^(?P<hash>[0-9a-f]+)(?: \{{(?P<ns>[^}}]*)\}})? #(?P<uid>{_UID})/(?P<jobid>-?\d+) (?P<comp>\S+)")
HISTORY = re.compile(
    rf"^\s*(?P<rel>[+-]?[0-9dhms]+)\s+(?P<label>START|STOP|START-P|STOP-P): "
    rf"#(?:(?P<ns>[^:\s]+):)?(?P<uid>{_UID})/(?P<jobid>-?\d+)(?: (?P<tag>\S+))?(?: (?P<why>.*))?$"
)
CONSTR = re.compile(
    r"^(?P<kind>Required|Satisfied|Unsatisfied|Preferred|Dynamic) constraints:"
    r"(?P<names>[A-Za-z0-9_ ]*?)\s*(?:\[0x(?P<hex>[0-9a-fA-F]+)\])?$"
)
# (regex, handler key) for the simple one-value fields of a job body; matched on stripped text.
_FIELDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Source: uid=(?P<uid>\S+) user=(?P<user>-?\d+) pkg=(?P<pkg>\S+)"), "source"),
    (re.compile(r"^\S+ tag=(?P<tag>.+)$"), "tag"),
    (re.compile(r"^Service: (?P<v>\S+)"), "service"),
    (re.compile(r"^PERIODIC: interval=(?P<interval>\S+) flex=(?P<flex>\S+)"), "periodic"),
    (re.compile(r"^PERSISTED$"), "persisted"),
    (re.compile(r"^Priority: (?P<v>.+)$"), "priority"),
    (
        re.compile(r"^Requires: charging=(?P<c>\w+) batteryNotLow=(?P<b>\w+) deviceIdle=(?P<i>\w+)"),
        "requires",
    ),
    (re.compile(r"^Network type: (?P<v>.+)$"), "network_type"),
    (re.compile(r"^Minimum latency: (?P<v>\S+)"), "minimum_latency"),
    (re.compile(r"^Max execution delay: (?P<v>\S+)"), "max_execution_delay"),
    (re.compile(r"^Backoff: policy=(?P<policy>-?\d+) initial=(?P<initial>\S+)"), "backoff"),
    (re.compile(r"^(?P<k>ready[A-Za-z]+): (?P<v>true|false)$"), "implicit"),
    (re.compile(r"^Standby bucket: (?P<v>\S+)"), "standby_bucket"),
    (re.compile(r"^Deferred since: (?P<v>\S+)"), "deferred_since"),
    (re.compile(r"^Enqueue time: (?P<v>\S+)"), "enqueue_time"),
    (
        re.compile(r"^Run time: earliest=(?P<e>[^,]+), latest=(?P<l>[^,]+)(?:, original latest=(?P<o>\S+))?"),
        "run_time",
    ),
    (re.compile(r"^Num failures: (?P<v>\d+)"), "num_failures"),
    (re.compile(r"^Num system stops: (?P<v>\d+)"), "num_system_stops"),
    (re.compile(r"^Last (?P<k>successful|failed) run: (?P<v>.+)$"), "last_run"),
    (re.compile(r"^Last run heartbeat: (?P<v>-?\d+)"), "last_run_heartbeat"),
    (re.compile(r"^Restricted due to: ?(?P<v>.*)$"), "restricted_due_to"),
    (re.compile(r"^Ready: (?P<v>true|false)(?: \((?P<flags>[^)]*)\)?)?"), "ready"),
    (re.compile(r"^Running for: (?P<run>\S+), timeout at: (?P<to>\S+)"), "running"),
    (re.compile(r"^Evaluated priority: (?P<v>-?\d+)"), "evaluated_priority"),
    (re.compile(r"^Active at (?P<a>\S+), pending for (?P<p>\S+)"), "active_at"),
    (re.compile(r"^Doze whitelisted: true"), "doze_whitelisted"),
    (re.compile(r"^User BG restricted"), "user_bg_restricted"),
]
# Body lines that may open an entry whose `JOB #` header was cut off by the excerpt.
_BODY_STARTERS = frozenset(
    {"source", "enqueue_time", "run_time", "num_failures", "last_run", "ready", "standby_bucket"}
)

_STABLE_KEYS = (
    "service",
    "workmanager",
    "namespace",
    "required_constraints",
    "satisfied_constraints",
    "unsatisfied_constraints",
    "preferred_constraints",
    "dynamic_constraints",
    "implicit_constraints",
    "standby_bucket",
    "num_failures",
    "last_successful_run",
    "last_failed_run",
    "enqueue_time",
    "run_time",
    "ready",
    "ready_flags",
    "restricted_due_to",
    "periodic",
    "persisted",
    "backoff",
)

_DURATION = re.compile(
    r"^(?P<sign>[+-])?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?!s))?(?:(?P<s>\d+)s)?(?:(?P<ms>\d+)ms)?$"
)


def aosp_duration_s(text: str | None) -> float | None:
    """`+1h4m36s59ms` / `-3s741ms` / `0` (android.util.TimeUtils.formatDuration) -> seconds, else None."""
    if not text:
        return None
    m = _DURATION.match(text.strip())
    if not m or not any(m.group(k) for k in ("d", "h", "m", "s", "ms")):
        return 0.0 if text.strip() in ("0", "+0", "-0") else None
    total = (int(m["d"] or 0) * 86400 + int(m["h"] or 0) * 3600 + int(m["m"] or 0) * 60 + int(m["s"] or 0)) + int(
        m["ms"] or 0
    ) / 1000
    return -total if m["sign"] == "-" else total


def human_duration(seconds: float | None) -> str:
    """Seconds -> `6m47s` (sign dropped, milliseconds dropped unless that is all there is)."""
    if seconds is None:
        return "?"
    s = abs(seconds)
    if s < 1:
        return f"{round(s * 1000)}ms"
    whole = int(s)
    d, rest = divmod(whole, 86400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((d, "d"), (h, "h"), (m, "m")) if v]
    if sec or not parts:
        parts.append(f"{sec}s")
    return "".join(parts)


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _package_of_component(comp: str | None) -> str | None:
    if not comp or "/" not in comp:
        return None
    return comp.split("/", 1)[0] or None


def _package_of_tag(tag: str | None) -> str | None:
    # Wakelock tag `*job*/pkg/svc` (older ones may lack the `*job*/` prefix).
    if not tag:
        return None
    m = re.match(r"^(?:\*\w+\*/)?([A-Za-z0-9_.<>-]+)/", tag)
    return m.group(1) if m else None


def _bool(text: str | None) -> bool | None:
    return {"true": True, "false": False}.get((text or "").lower())


class _Entry:
    """One job entry being read: header facts plus a `data` dict filled from the body lines."""

    def __init__(self, lineno: int, *, active: bool = False) -> None:
        self.lineno = lineno
        self.package: str | None = None
        self.uid: str | None = None
        self.job: str | None = None
        self.component: str | None = None
        self.data: dict[str, Any] = {"active": active}

    def header(self, m: re.Match[str]) -> None:
        self.uid, self.job, self.component = m["uid"], m["jobid"], m["comp"]
        self.data.update(
            hash=m["hash"],
            namespace=m["ns"],
            service=m["comp"],
            workmanager=m["comp"].endswith(WORKMANAGER_SERVICE),
        )

    def feed(self, text: str) -> bool:
        """Read one stripped body line; True if it was recognised."""
        m = CONSTR.match(text)
        if m:
            self.data[f"{m['kind'].lower()}_constraints"] = m["names"].split()
            return True
        for rx, key in _FIELDS:
            m = rx.match(text)
            if m:
                self._store(key, m)
                return True
        return False

    def _store(self, key: str, m: re.Match[str]) -> None:
        d = self.data
        if key == "source":
            self.package, self.uid = m["pkg"], m["uid"]
            d["source_user"] = int(m["user"])
        elif key == "tag":
            d["tag"] = m["tag"]
        elif key == "service":
            d["service"] = m["v"]
            d["workmanager"] = m["v"].endswith(WORKMANAGER_SERVICE)
        elif key == "periodic":
            d["periodic"] = {"interval": m["interval"], "flex": m["flex"]}
        elif key == "persisted":
            d["persisted"] = True
        elif key == "requires":
            d["requires"] = {
                "charging": _bool(m["c"]),
                "battery_not_low": _bool(m["b"]),
                "device_idle": _bool(m["i"]),
            }
        elif key == "backoff":
            policy = int(m["policy"])
            d["backoff"] = {
                "policy": policy,
                "policy_name": {0: "linear", 1: "exponential"}.get(policy),
                "initial": m["initial"],
                "initial_s": aosp_duration_s(m["initial"]),
            }
        elif key == "implicit":
            d.setdefault("implicit_constraints", {})[m["k"]] = m["v"] == "true"
        elif key == "run_time":
            d["run_time"] = {"earliest": m["e"].strip(), "latest": m["l"].strip(), "original_latest": m["o"]}
        elif key in ("num_failures", "num_system_stops", "evaluated_priority", "last_run_heartbeat"):
            d[key] = int(m["v"])
        elif key == "last_run":
            d[f"last_{m['k']}_run"] = m["v"].strip()
        elif key == "restricted_due_to":
            v = m["v"].strip().rstrip(".").strip()
            d["restricted_due_to"] = [] if v in ("", "none") else [x for x in re.split(r"[,\s]+", v) if x]
        elif key == "ready":
            d["ready"] = m["v"] == "true"
            flags: dict[str, bool] = {}
            for tok in (m["flags"] or "").split():
                k, sep, v = tok.partition("=")
                if sep and v in ("true", "false"):
                    flags[k] = v == "true"
            d["ready_flags"] = flags
        elif key == "running":
            d["active"] = True
            d["running_for"], d["timeout_at"] = m["run"], m["to"]
        elif key == "active_at":
            d["active_at"], d["pending_for"] = m["a"], m["p"]
        elif key in ("doze_whitelisted", "user_bg_restricted"):
            d[key] = True
        else:
            d[key] = m["v"]

    def finish(self, where: str, ts: str | None) -> Event:
        d = self.data
        if self.package is None:
            self.package = _package_of_component(self.component) or _package_of_tag(d.get("tag"))
        _fill_unsatisfied(d)
        reason, detail = _why(d)
        for key in _STABLE_KEYS:  # the same keys on every event, None when the dump did not show them
            d.setdefault(key, None)
        if d["workmanager"] is None:
            d["workmanager"] = False
        return Event(
            kind="job_scheduled",
            source=SOURCE,
            where=at(where, self.lineno),
            ts=ts,
            package=self.package,
            process=None,
            uid=self.uid,
            job=self.job,
            reason=reason,
            detail=detail,
            data=d,
        )


def _fill_unsatisfied(d: dict[str, Any]) -> None:
    """Use the printed `Unsatisfied constraints:` line; without it, derive it like JobStatus.dump does:
    (required | WITHIN_QUOTA | TARE_WEALTH) & ~satisfied, counting the implicit constraints only where
    this build's dump mentions them (Android 9 had no QuotaController, so no WITHIN_QUOTA)."""
    if "unsatisfied_constraints" in d:
        d["unsatisfied_source"] = "listed"
        return
    if "required_constraints" not in d or "satisfied_constraints" not in d:
        return
    want = list(d["required_constraints"])
    mentioned = " ".join(" ".join(v) for k, v in d.items() if k.endswith("_constraints") and isinstance(v, list))
    want += [name for name in ("WITHIN_QUOTA", "TARE_WEALTH") if name in mentioned]
    sat = set(d["satisfied_constraints"])
    d["unsatisfied_constraints"] = list(dict.fromkeys(n for n in want if n not in sat))
    d["unsatisfied_source"] = "computed"


def _constraint_phrase(name: str, d: dict[str, Any]) -> str:
    if name == "TIMING_DELAY":
        earliest = (d.get("run_time") or {}).get("earliest")
        secs = aosp_duration_s(earliest)
        if secs is not None and secs > 0:
            return f"the earliest run time (in {human_duration(secs)})"
        return "the earliest run time (TIMING_DELAY)"
    words = CONSTRAINT_WORDS.get(name)
    return f"{words} ({name})" if words else name


# -- why a job is or is not running: a list of rules ---------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    """What the rules read of one dumped job (JobStatus.dump's fields, as parsed above)."""

    d: dict[str, Any]
    unsat: list[str]  # unsatisfied constraints
    implicit: dict[str, Any]
    flags: dict[str, Any]  # the `Ready:` line's flags (`user`, `comp`, `!pending`, ...)
    bucket: str | None
    failures: int
    ready: bool | None
    earliest: float | None  # seconds to the earliest run time
    latest: float | None
    waiting: list[str]  # the job's own constraints it waits for (not device or app state)

    @classmethod
    def of(cls, d: dict[str, Any]) -> _Job:
        unsat = list(d.get("unsatisfied_constraints") or [])
        ready = d.get("ready")
        failures = d.get("num_failures") or 0
        run_time = d.get("run_time") or {}
        earliest = aosp_duration_s(run_time.get("earliest"))
        # Implicit constraints get their own sentence: they are device/app state, not job requirements.
        # DEADLINE is left out: an unmet deadline makes a job run, it never holds one back.
        special = {"DEVICE_NOT_DOZING", "BACKGROUND_NOT_RESTRICTED", "WITHIN_QUOTA", "TARE_WEALTH", "DEADLINE"}
        waiting = [n for n in unsat if n not in special]
        if not waiting and ready is False and not failures and earliest is not None and earliest > 0:
            waiting = ["TIMING_DELAY"]  # Android 8 prints no Satisfied/Unsatisfied lines
        return cls(
            d,
            unsat,
            d.get("implicit_constraints") or {},
            d.get("ready_flags") or {},
            d.get("standby_bucket"),
            failures,
            ready,
            earliest,
            aosp_duration_s(run_time.get("latest")),
            waiting,
        )


# What a rule finds: (priority, reason code) or None for a note that decides nothing, and its words. The lowest
# priority number found is the job's reason code; the words of every finding make the sentence, in rule order.
_Finding = tuple[tuple[int, str] | None, str]


def _ready(job: _Job) -> Iterator[_Finding]:
    if job.ready is True:
        yield (0, "ready"), "ready to run"


def _waiting(job: _Job) -> Iterator[_Finding]:
    if job.waiting:
        code = "waiting_timing_delay" if job.waiting == ["TIMING_DELAY"] else "waiting_constraints"
        yield (8, code), "waiting for: " + ", ".join(_constraint_phrase(n, job.d) for n in job.waiting)


def _dozing(job: _Job) -> Iterator[_Finding]:
    if "DEVICE_NOT_DOZING" in job.unsat or job.implicit.get("readyNotDozing") is False:
        yield (1, "dozing"), "device is dozing"


def _background_restricted(job: _Job) -> Iterator[_Finding]:
    if (
        "BACKGROUND_NOT_RESTRICTED" in job.unsat
        or job.implicit.get("readyNotRestrictedInBg") is False
        or job.d.get("user_bg_restricted")
    ):
        yield (2, "background_restricted"), "app is background-restricted"


def _restricted(job: _Job) -> Iterator[_Finding]:
    if job.d.get("restricted_due_to") or job.flags.get("!restricted") is False:
        why = ", ".join(job.d.get("restricted_due_to") or []) or "job restriction"
        yield (3, "restricted"), f"restricted by the system ({why})"


def _stopped_or_disabled(job: _Job) -> Iterator[_Finding]:
    for flag in ("user", "comp"):
        if job.flags.get(flag) is False:
            code, words = _READY_FLAG_WORDS[flag]
            yield (4, code), words


def _quota(job: _Job) -> Iterator[_Finding]:
    if "WITHIN_QUOTA" in job.unsat:
        yield (5, "quota"), "out of standby-bucket quota"
    if "TARE_WEALTH" in job.unsat:
        yield (5, "quota"), "out of TARE credits"


def _bucket(job: _Job) -> Iterator[_Finding]:
    if job.bucket in _THROTTLED_BUCKETS:
        yield (9, f"standby_bucket_{job.bucket.lower()}"), f"app is in the {job.bucket} standby bucket"


def _failures(job: _Job) -> Iterator[_Finding]:
    if not job.failures:
        return
    text = f"failed {job.failures} time{'s' if job.failures != 1 else ''}"
    if job.d.get("last_failed_run"):
        text += f"; last failure {job.d['last_failed_run']}"
    if job.ready is not True and (not job.waiting or job.waiting == ["TIMING_DELAY"]):
        # A failed job is rescheduled with a backoff delay: its earliest run time is the retry.
        nxt = f", next try in {human_duration(job.earliest)}" if job.earliest and job.earliest > 0 else ""
        yield (6, "backoff"), text + f" (backing off{nxt})"
    else:
        yield None, text


def _pending(job: _Job) -> Iterator[_Finding]:
    for flag in ("!pending", "!active", "!backingup"):
        if job.flags.get(flag) is False:
            code, words = _READY_FLAG_WORDS[flag]
            yield (10, code), words


def _deadline(job: _Job) -> Iterator[_Finding]:
    if "DEADLINE" in job.unsat and job.ready is not True and job.latest is not None and job.latest > 0:
        yield None, f"deadline in {human_duration(job.latest)}"


_WHY_RULES: tuple[Callable[[_Job], Iterator[_Finding]], ...] = (
    _ready,
    _waiting,
    _dozing,
    _background_restricted,
    _restricted,
    _stopped_or_disabled,
    _quota,
    _bucket,
    _failures,
    _pending,
    _deadline,
)


def _running(d: dict[str, Any]) -> tuple[str, str]:
    run, to = aosp_duration_s(d.get("running_for")), aosp_duration_s(d.get("timeout_at"))
    bits = []
    if run is not None:
        bits.append(f"for {human_duration(run)}")
    if to is not None:
        bits.append(f"times out in {human_duration(to)}" if to >= 0 else f"timed out {human_duration(to)} ago")
    return "running", "running now" + (f" ({', '.join(bits)})" if bits else "")


def _why(d: dict[str, Any]) -> tuple[str, str]:
    """(normalized reason code, plain-language sentence) for why the job is or is not running.

    The sentence lists every blocker found; the code is the most decisive one, in this order:
    running, ready, dozing, background_restricted, restricted, user_stopped/component_disabled,
    quota, backoff, waiting_timing_delay/waiting_constraints, standby_bucket_*, pending/backing_up.
    """
    if d.get("active"):
        return _running(d)
    job = _Job.of(d)
    found = [finding for rule in _WHY_RULES for finding in rule(job)]
    codes = [code for code, _ in found if code is not None]
    parts = [words for _, words in found]
    if not codes:
        if job.ready is False:
            constraints = job.flags.get("job") is False
            codes.append((11, "waiting_constraints" if constraints else "not_ready"))
            parts.append("not ready (its constraints are not met)" if constraints else "not ready")
        else:
            codes.append((12, "unknown"))
            parts.append("state unknown (entry incomplete)")
    return min(codes)[1], "; ".join(parts)


def _history_event(m: re.Match[str], lineno: int, where: str, ts: str | None) -> Event:
    label = m["label"]
    stop = label.startswith("STOP")
    why = (m["why"] or "").strip()
    return Event(
        kind="job_stopped" if stop else "job_started",
        source=SOURCE,
        where=at(where, lineno),
        ts=ts,
        package=_package_of_tag(m["tag"]),
        uid=m["uid"],
        job=m["jobid"],
        reason=(_snake(why) or None) if stop else None,
        detail=f"job history: {label} #{m['uid']}/{m['jobid']}" + (f" ({why})" if why else ""),
        data={
            "relative_time": m["rel"],
            "relative_s": aosp_duration_s(m["rel"]),
            "label": label,
            # -P marks periodic jobs; AOSP's noteInactive swaps STOP/STOP-P, so treat it as a hint only.
            "periodic": label.endswith("-P"),
            "tag": m["tag"],
            "namespace": m["ns"],
            "stop_reason_text": why or None,
        },
    )


def parse_jobscheduler(
    lines: NumberedLines, where: str, *, ts: str | None = None, package: str | None = None
) -> list[Event]:
    """Events for every registered job, active slot and job-history line in a `dumpsys jobscheduler`."""
    events: list[Event] = []
    cur: _Entry | None = None

    def flush() -> None:
        nonlocal cur
        if cur is not None:
            with contextlib.suppress(Exception):  # a malformed entry is dropped, never fatal
                events.append(cur.finish(where, ts))
        cur = None

    for lineno, raw in lines:
        text = str(raw).rstrip()
        if quoted := QUOTE.match(text):
            # Quoted in Markdown or an e-mail ("> JOB #u0a478/999: ..."), perhaps indented as a whole: the dump is
            # what follows the marker (no line of JobStatus.dump starts with ">").
            text = quoted["indent"] + text[quoted.end() :]
        stripped = text.strip()
        try:
            if not stripped or (text[:1] not in (" ", "\t") and not JOB_HDR.match(text)):
                # Job bodies are always indented; a blank or top-level line ends the entry.
                flush()
                if not stripped or not SLOT.match(text):
                    continue
            m = JOB_HDR.match(text)
            if m:
                flush()
                cur = _Entry(lineno)
                cur.header(m)
                continue
            m = SLOT.match(text)
            if m:
                flush()
                short = SHORT.match(m["rest"].strip())
                if short:
                    cur = _Entry(lineno, active=True)
                    cur.header(short)
                    cur.data["slot"] = int(m["slot"])
                continue
            m = HISTORY.match(text)
            if m:
                flush()
                events.append(_history_event(m, lineno, where, ts))
                continue
            if cur is None:
                probe = _Entry(lineno)
                if probe.feed(stripped) and _starts_body(stripped):
                    cur = probe
                continue
            cur.feed(stripped)
        except Exception:  # never let one odd line lose the whole dump
            cur = None
    flush()
    if package is not None:
        events = [e for e in events if event_concerns(e, package)]
    return events


def _starts_body(stripped: str) -> bool:
    for rx, key in _FIELDS:
        if rx.match(stripped):
            return key in _BODY_STARTERS
    m = CONSTR.match(stripped)
    return bool(m and m["kind"] in ("Required", "Satisfied", "Unsatisfied"))


# -- job history between two dumps -------------------------------------------------------------
# JobPackageTracker keeps the last 100 START/STOP events of the whole device (EVENT_BUFFER_SIZE)
# and prints each with its time relative to the dump (TimeUtils.formatDuration, to the
# millisecond). An event keeps its time, so between two dumps every entry that survives shifts
# by the same amount: the time between the dumps. That tells a new entry from an old one that
# looks the same (a periodic job's STARTs), without the phone's clock.
_SHIFT_TOLERANCE_MS = 2


def _history_key(e: Event) -> tuple[Any, ...]:
    return (e.data.get("label"), e.uid, e.job, e.data.get("stop_reason_text"))


def _history_ms(e: Event) -> int | None:
    rel = e.data.get("relative_s")
    return None if rel is None else round(rel * 1000)


def new_history(before: list[Event], after: list[Event]) -> list[Event]:
    """The job-history entries (job_started / job_stopped events of parse_jobscheduler, in dump
    order) of a later dump `after` that an earlier dump `before` did not have yet."""
    history = [e for e in after if e.source == SOURCE and e.kind in ("job_started", "job_stopped")]
    old = [e for e in before if e.source == SOURCE and e.kind in ("job_started", "job_stopped")]
    if not old:
        return history
    last, last_ms = old[-1], _history_ms(old[-1])
    if last_ms is None:
        return history
    present = {(_history_key(a), _history_ms(a)) for a in history}
    old_timed = [(_history_key(b), ms) for b in old if (ms := _history_ms(b)) is not None]
    tolerance = range(-_SHIFT_TOLERANCE_MS, _SHIFT_TOLERANCE_MS + 1)
    best: tuple[int, int] | None = None  # (entries of `before` it explains, -index): the most, then the oldest
    for i, e in enumerate(history):
        ms = _history_ms(e)
        if _history_key(e) != _history_key(last) or ms is None or last_ms - ms < -_SHIFT_TOLERANCE_MS:
            continue  # a newer entry is younger than any old one was: never a match with a negative shift
        shift = last_ms - ms
        explained = sum(1 for key, bm in old_timed if any((key, bm - shift + t) in present for t in tolerance))
        if best is None or (explained, -i) > best:
            best = (explained, -i)
    if best is None:  # everything the first dump had has left the ring since
        return history
    return history[-best[1] + 1 :]


# How a run that JobScheduler recorded as STOP ended, from its reason: JobServiceContext passes a
# debug reason ("app called jobFinished", "onStartJob returned false", "unexpectedly
# disconnected", "timed out while stopping", ...) and JobPackageTracker prints it, or, when there
# is none (the app acknowledged onStopJob), the stop reason's name (JobParameters.getReasonName /
# getInternalReasonCodeDescription: timeout, constraints, device_idle, canceled, preempt, ...).
_STOP_FINISHED = ("jobfinished", "returned false", "successful_finish", "last work dequeued")
_STOP_KILLED = ("unexpectedly disconnected", "binding died", "host crashed", "null binding")


def stop_outcome(reason: str | None) -> str:
    """finished | timed_out | killed | stopped, for a STOP line's reason."""
    text = (reason or "").lower()
    if any(k in text for k in _STOP_FINISHED):
        return "finished"
    if "timeout" in text or "timed out" in text:
        return "timed_out"
    if any(k in text for k in _STOP_KILLED):
        return "killed"
    return "stopped"
