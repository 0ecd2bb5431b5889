"""`bgprobe doctor`: an app's standing on one phone, and the verdict drawn from it (issue 14).

The collectors read the phone (`collectors/android/doctor.py`, `collectors/ios/doctor.py`) into a
`Standing`: one `Fact` per setting that decides whether the app's background work runs (battery
optimization, background restriction, standby bucket, exact alarms, notifications, saver, doze,
hibernation, the maker's own switches), its recent deaths folded as `bgprobe scan` folds them, and its
jobs with why each is not running. `verdict()` turns that into advice through the knowledge base
(`reports/knowledge.toml`): what each finding means and, for each, what would change it: the
`bgprobe state set …` that does it from a computer where bgprobe can, and the settings screen where
the phone's owner does it by hand. Doctor never changes a phone: the advice says how, it does not do it.

The deaths, ANRs, job time-outs, work results and jobs are judged by `reports.verdict.VerdictBuilder`,
the verdict of `bgprobe scan -p PKG`, fed with the same events (the phone's exit-info, its log buffers and its
`dumpsys jobscheduler`): the same findings, in the same words, as a bugreport of that phone would get.
Doctor adds what only a live phone shows: its settings, each with what would change it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from datetime import datetime
from typing import Any

from bgprobe.reports.deaths import Death, DeathFolder
from bgprobe.reports.events import DEATH_KINDS, Event, event_concerns
from bgprobe.reports.knowledge import Entry, Knowledge, load_knowledge
from bgprobe.reports.verdict import DeviceHint, VerdictBuilder
from bgprobe.reports.verdict import Verdict as SharedVerdict

# A fact's status: "ok" (nothing holds the app back here), "problem" (holds its background work back
# now), "limit" (delays it, or would under conditions that are common), "check" (not readable from a
# shell: to be checked by hand), "unknown" (readable, but the phone's answer was not understood),
# "n/a" (this OS version has no such thing).
STATUSES = ("ok", "problem", "limit", "check", "unknown", "n/a")
_ORDER = {"problem": 0, "check": 1, "limit": 2}


@dataclass
class Fact:
    key: str  # stable id: installed, stopped, allowlist, restrict, bucket, exact_alarm, notifications, ...
    label: str  # what it is, in words
    value: str  # what the phone shows, in words
    status: str = "ok"
    source: str = ""  # the command (or property) it was read from
    blocker: str | None = None  # the knowledge base's name for it when it is not ok (for_blocker)
    entry: str | None = None  # a knowledge entry id, when the fact is about one (the maker's settings)
    fix: str | None = None  # the `bgprobe …` command that changes it from a computer, where there is one
    steps: list[str] = field(default_factory=list)  # hand steps the knowledge base has no entry for
    # what the setting means, where the entry's title describes a state the phone need not be in now
    # (battery optimization: the Doze entry says "The phone is in Doze")
    meaning: str | None = None


@dataclass
class RecentDeath:
    ts: str | None
    pid: int | None
    process: str | None
    kind: str
    reason: str
    sources: list[str]
    detail: str | None = None


@dataclass
class JobRow:
    job: str
    service: str
    constraints: list[str]
    unsatisfied: list[str]
    bucket: str | None
    why: str  # the parser's plain-language "why it is (not) running"
    held: str | None = None  # what holds it that a forced run cannot pass (doze, restriction, quota, ...)


@dataclass
class Standing:
    platform: str  # android | ios
    device: str  # adb serial or UDID
    package: str
    name: str | None = None  # ro.serialno, or the iPhone's name
    os_version: str | None = None
    sdk: int | None = None
    manufacturer: str | None = None
    brand: str | None = None
    model: str | None = None
    skin: str | None = None  # "MIUI 13", "One UI 5.1": the maker's skin and version, None when unknown
    skin_source: str = ""  # the property it was read from, or why it is unknown
    app_version: str | None = None
    target_sdk: int | None = None
    facts: list[Fact] = field(default_factory=list)
    deaths: list[RecentDeath] = field(default_factory=list)
    deaths_total: int = 0  # deaths found (the list keeps the newest)
    jobs: list[JobRow] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # every command sent, in order: all of them reads
    # Every event read (exit-info, the log buffers, the jobs): what the shared verdict is drawn from
    events: list[Event] = field(default_factory=list, repr=False)

    def fact(self, key: str) -> Fact | None:
        return next((f for f in self.facts if f.key == key), None)

    @property
    def maker(self) -> str | None:
        return self.manufacturer or self.brand

    def to_dict(self) -> dict[str, Any]:
        out = asdict(replace(self, events=[]))
        del out["events"]  # the verdict says what they mean; `bgprobe watch`/`scan --json` give them raw
        return out


@dataclass
class Advice:
    """A setting of the phone that holds the app back, may delay it, or must be checked by hand."""

    level: str  # problem | check | limit
    finding: str  # what was found, one line
    change: list[str] = field(default_factory=list)  # `bgprobe state set …` and/or settings steps
    entry: str | None = None  # knowledge entry id
    title: str | None = None  # that entry's title
    developer: str | None = None  # what the app's developer can do (the entry's advice)


@dataclass
class Verdict:
    """Doctor's verdict: the phone's settings (`settings`, summed up in `settings_summary`), and what happened
    to the app and its jobs as `bgprobe scan -p` judges it (`shared`: reports.verdict.Verdict, from the same
    events). `summary`: both in two sentences."""

    summary: str
    settings_summary: str
    settings: list[Advice]
    shared: SharedVerdict

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "settings_summary": self.settings_summary,
            "settings": [asdict(a) for a in self.settings],
            **self.shared.to_dict(),
        }


# -- deaths: folded as `bgprobe scan` folds them ---------------------------------------------------
MAX_DEATHS = 20


def _dt(ts: str | None) -> datetime | None:
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts).replace(tzinfo=None)  # device-local time on every source
    except ValueError:
        return None


def fold_app_deaths(events: list[Event], package: str) -> tuple[list[RecentDeath], int]:
    """The app's deaths among `events` (exit-info records and log lines of every source), one per
    death (reports.deaths.DeathFolder: exit-info's reason first, unless it only says "other" and
    ActivityManager named the maker's killer), newest first, at most MAX_DEATHS; and how many there were."""
    closed: list[Death] = []
    folder = DeathFolder(closed.append)
    for e in events:
        if e.kind in DEATH_KINDS:
            folder.add((e.device, _dt(e.ts), e.pid, e.process, e.package, e.uid, e.reason, e.kind, e.source, e.detail))
    folder.finish()
    mine = [d for d in closed if event_concerns(d, package)]
    mine.sort(key=lambda d: (d.ts or datetime.min, d.seq), reverse=True)
    rows = [
        RecentDeath(
            ts=d.ts.isoformat(sep=" ", timespec="seconds") if d.ts else None,
            pid=d.pid,
            process=d.process,
            kind=d.kind,
            reason=d.reason or "no reason logged",
            sources=sorted(d.sources),
            detail=d.detail,
        )
        for d in mine[:MAX_DEATHS]
    ]
    return rows, len(mine)


# -- the verdict -----------------------------------------------------------------------------------
def skin_for(entry: Entry, standing: Standing) -> str | None:
    """The version a knowledge entry's steps are picked by: the maker's skin for a maker's entry, the
    OS version for a generic one ("Android 14"; iOS steps are for every version)."""
    if entry.maker_specific:
        return standing.skin
    if standing.platform == "android" and standing.os_version:
        return f"Android {standing.os_version}"
    return None


def steps(entry: Entry, standing: Standing) -> list[str]:
    return entry.steps_for(skin_for(entry, standing))


def maker_entry(kb: Knowledge, standing: Standing) -> Entry | None:
    """The maker's own entry for its background manager (its `oem:*` kill entry: the one whose steps
    name the maker's settings per skin version), by manufacturer, else by brand; None for a maker the
    knowledge base has no entry for (stock Android, Apple)."""
    for maker in (standing.manufacturer, standing.brand):
        if not maker:
            continue
        entry = kb.for_event({"platform": standing.platform, "reason": "oem:doctor", "kind": "process_killed"}, maker)
        if entry is not None and entry.maker_specific:
            return entry
    return None


def _entry_for_fact(kb: Knowledge, fact: Fact, standing: Standing) -> Entry | None:
    if fact.entry:
        return kb.get(fact.entry)
    if fact.blocker:
        return kb.for_blocker(fact.blocker, standing.maker)
    return None


def verdict(standing: Standing, kb: Knowledge | None = None) -> Verdict:
    """Advice for every setting that is not ok, most pressing first, each with what would change it;
    then the shared verdict of the same events `bgprobe scan -p` would read."""
    kb = kb or load_knowledge()
    advice: list[Advice] = []
    for fact in standing.facts:
        if fact.status not in _ORDER:
            continue
        entry = _entry_for_fact(kb, fact, standing)
        change = [f"`{fact.fix}`"] if fact.fix else []
        change += fact.steps or (steps(entry, standing) if entry else [])
        advice.append(
            Advice(
                level=fact.status,
                finding=f"{fact.label}: {fact.value}",
                change=change,
                entry=entry.id if entry else None,
                title=fact.meaning or (entry.title if entry else None),
                developer=entry.developer if entry else None,
            )
        )
    advice.sort(key=lambda a: _ORDER[a.level])  # stable: the facts' own order within a level
    said: set[tuple[str, ...]] = set()
    for a in advice:  # the maker's steps answer several findings: given once, then pointed to
        key = tuple(a.change)
        if key and key in said:
            a.change = ["The same steps as above."]
        said.add(key)
    shared = shared_verdict(standing, kb)
    settings = _settings_summary(standing, advice)
    return Verdict(f"{settings} {shared.headline}", settings, advice, shared)


def shared_verdict(standing: Standing, kb: Knowledge) -> SharedVerdict:
    """reports.verdict over the events read from the phone, with the phone as doctor read it."""
    builder = VerdictBuilder(standing.package, knowledge=kb)
    for event in standing.events:
        builder.add(event)
    system = standing.os_version and (
        standing.os_version if standing.platform == "android" else f"iOS {standing.os_version}"
    )
    device = DeviceHint(
        maker=standing.maker,
        skin=standing.skin,
        os_version=system or None,
        model=standing.model,
        how=f"read from the phone ({standing.skin_source})" if standing.skin else "read from the phone",
    )
    shared = builder.verdict(device)
    app = standing.package
    if shared.headline.startswith(app[:1].upper() + app[1:]) and app[:1].islower():
        shared.headline = app + shared.headline[len(app) :]  # a package name keeps its case
    if shared.absent:
        # Installed (doctor checked) and quiet: nothing of it in the logs is no typo here.
        where = "exit-info, the log buffers and its jobs" if standing.platform == "android" else "its crash reports"
        shared = SharedVerdict(
            package=standing.package,
            headline=f"No kills, deaths, ANRs, job time-outs or failed work of {standing.package} in {where}.",
            device=device,
        )
    return shared


def _settings_summary(standing: Standing, advice: list[Advice]) -> str:
    app = standing.package
    problems = sum(a.level == "problem" for a in advice)
    checks = sum(a.level == "check" for a in advice)
    if problems:
        what = "1 setting on this phone holds" if problems == 1 else f"{problems} settings on this phone hold"
        text = f"{what} {app}'s background work back"
    else:
        text = f"No setting read on this phone holds {app}'s background work back"
    if checks:
        text += f"; {checks} to check by hand"
    return text + "."


# -- sharing ----------------------------------------------------------------------------------------------
# What a redacted reading keeps as it is: what the phone and the app are, and bgprobe's own words.
_KEEP = frozenset(
    {
        "platform",
        "package",
        "os_version",
        "manufacturer",
        "brand",
        "model",
        "skin",
        "skin_source",
        "app_version",
        "key",
        "label",
        "status",
        "blocker",
        "entry",
        "kind",
        "reason",
        "sources",
        "level",
        "title",
        "developer",
    }
)


def redact_reading(standing: Standing, result: Verdict) -> tuple[Standing, Verdict]:
    """The reading and its verdict for a ticket (`--redact`): reports.redact's rules on their text (the
    shared verdict as `scan --redact` redacts it), and the phone's own ids — its adb serial, ro.serialno,
    UDID, an iPhone's name — replaced wherever they appear, which no text rule can tell from other words."""
    from bgprobe.reports.redact import redact_fields
    from bgprobe.reports.verdict import redact_verdict

    marks = {standing.device: "<serial>"}
    if standing.name:
        marks[standing.name] = "<serial>" if standing.platform == "android" else "<user>"
    ids = sorted(marks.items(), key=lambda kv: -len(kv[0]))  # the longer first: a name may hold the serial
    st = _replace_ids(redact_fields(standing, keep=_KEEP), ids)
    shared = _replace_ids(redact_verdict(result.shared), ids)
    settings = _replace_ids(result.settings, ids)
    summary, settings_summary = _replace_ids([result.summary, result.settings_summary], ids)
    return st, Verdict(summary, settings_summary, settings, shared)


def _replace_ids(value: Any, ids: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for text, mark in ids:
            value = value.replace(text, mark)
        return value
    if isinstance(value, list):
        return [_replace_ids(v, ids) for v in value]
    if isinstance(value, tuple):
        return tuple(_replace_ids(v, ids) for v in value)
    if isinstance(value, dict):
        return {k: _replace_ids(v, ids) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _replace_ids(getattr(value, f.name), ids) for f in fields(value) if f.init})
    return value
