"""The knowledge base behind a support verdict (issue 14): what a kill, a death or a job blocker that
bgprobe reports means, who does it, since when, and what the user or the app's developer can do.

The data is `knowledge.toml` beside this file: one `[[entry]]` per maker x killer, per stock Android
reason, per JobScheduler/WorkManager blocker and per iOS reason, each with its sources. This module
parses it once (cached), validates every entry (a broken file is a `KnowledgeError` naming the entry)
and answers two questions:

- `Knowledge.for_event(event, maker)`: the entry that explains an event (`reports.events.Event`, or its
  dict form from `--json`), the most specific one first: an entry for this maker before a generic one,
  an exact reason before a prefix (the longer prefix first), then one that also names the source or kind.
- `Knowledge.for_blocker(name, maker)`: the entry for a job blocker as bgprobe writes it: a JobScheduler
  constraint (`CONNECTIVITY`, `WITHIN_QUOTA`, ...), a standby bucket (`RARE`, `RESTRICTED`, ...), a dasd
  policy that vetoed an iOS task (`LowPowerModePolicy`, ...), or one of the topic names the data file
  declares for conditions no log line names (`EXACT_ALARM`, `FGS_BACKGROUND_START`, `BATTERY_SAVER`,
  `LOW_POWER_MODE`, `BACKGROUND_APP_REFRESH_OFF`, ...).

`Entry.steps_for(skin_version)` picks the user's settings path for a skin version ("MIUI 14",
"One UI 6.1", "HyperOS 1.0"). Imported by the scan path: standard library only.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bgprobe.reports.events import KINDS

PLATFORMS: tuple[str, ...] = ("android", "ios")
SEVERITIES: tuple[str, ...] = ("kill", "restrict", "defer", "info")
MATCH_KEYS: tuple[str, ...] = ("reasons", "sources", "kinds", "blockers")
_REQUIRED_TEXT = ("id", "platform", "title", "what", "since", "developer")
_OPTIONAL = ("makers", "skins", "match", "user_steps", "sources", "severity")
_ID = re.compile(r"^[a-z0-9]+(?:[.][a-z0-9_-]+)+$")
_GENERIC_SKINS = frozenset({"any", "all", "every"})


class KnowledgeError(ValueError):
    """The knowledge data file is broken; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Match:
    """What an entry explains. Within a field any value may match; every non-empty field must match."""

    reasons: tuple[str, ...] = ()  # exact reason strings, or prefixes ending in `*` (case-insensitive)
    sources: tuple[str, ...] = ()  # substrings of an event's `source` (case-insensitive)
    kinds: tuple[str, ...] = ()  # event kinds (reports.events.KINDS)
    blockers: tuple[str, ...] = ()  # constraint, bucket, policy or topic names (for_blocker), upper-cased

    @property
    def matches_events(self) -> bool:
        return bool(self.reasons or self.sources or self.kinds)


@dataclass(frozen=True, slots=True)
class Steps:
    skins: str  # "MIUI 12–14", "HyperOS", "One UI 6+", "any"
    steps: str


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    platform: str
    makers: tuple[str, ...]
    skins: tuple[str, ...]
    match: Match
    title: str
    what: str
    since: str
    user_steps: tuple[Steps, ...]
    developer: str
    sources: tuple[str, ...]
    severity: str | None = None

    @property
    def maker_specific(self) -> bool:
        return bool(self.makers)

    def for_maker(self, maker: str | None) -> bool:
        """True when the entry applies to a device of this manufacturer or brand (any, when generic)."""
        if not self.makers:
            return True
        return maker is not None and any(_same_maker(maker, name) for name in self.makers)

    def steps_for(self, skin_version: str | None) -> list[str]:
        """The user's steps for a skin version ("MIUI 14", "One UI 6.1", "Android 13").

        Steps for every skin ("any") come first, then those whose skins label covers the version. When
        the version is unknown or no label covers it, every variant is returned, each prefixed with the
        skins it is for, so that support can pick the one the customer's phone shows.
        """
        generic = [s.steps for s in self.user_steps if _is_generic(s.skins)]
        specific = [s for s in self.user_steps if not _is_generic(s.skins)]
        wanted = _parse_version(skin_version) if skin_version else None
        if wanted is not None:
            hits = [s.steps for s in specific if _covers(s.skins, wanted)]
            if hits:
                return generic + hits
        return generic + [f"{s.skins}: {s.steps}" for s in specific]


class Knowledge:
    """Every entry of the data file, with the two look-ups the verdicts need."""

    def __init__(self, entries: tuple[Entry, ...], path: str = "knowledge.toml") -> None:
        self.entries = entries
        self.path = path
        self._by_id = {e.id: e for e in entries}

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def for_event(self, event: Any, maker: str | None = None) -> Entry | None:
        """The most specific entry explaining `event` (an Event or its dict) on a phone of `maker`."""
        platform = _field(event, "platform") or "android"
        reason = _field(event, "reason")
        source = _field(event, "source")
        kind = _field(event, "kind")
        best: tuple[tuple[int, ...], Entry] | None = None
        for order, entry in enumerate(self.entries):
            if entry.platform != platform or not entry.match.matches_events or not entry.for_maker(maker):
                continue
            score = _event_score(entry.match, reason, source, kind)
            if score is None:
                continue
            key = (int(entry.maker_specific), *score, -order)
            if best is None or key > best[0]:
                best = (key, entry)
        return best[1] if best else None

    def for_blocker(self, name: str, maker: str | None = None) -> Entry | None:
        """The entry for a job blocker (constraint, standby bucket, dasd policy or topic name); an entry
        for this maker before a generic one."""
        wanted = name.strip().upper()
        found = [e for e in self.entries if wanted in e.match.blockers and e.for_maker(maker)]
        found.sort(key=lambda e: not e.maker_specific)  # stable: data order within each group
        return found[0] if found else None


def _field(event: Any, name: str) -> Any:
    if isinstance(event, dict):
        return event.get(name)
    return getattr(event, name, None)


def _event_score(match: Match, reason: str | None, source: str | None, kind: str | None) -> tuple[int, ...] | None:
    """(reason rank, prefix length, source named, kind named), or None when the entry does not apply."""
    reason_rank = prefix_len = 0
    if match.reasons:
        if not reason:
            return None
        low = reason.casefold()
        for pattern in match.reasons:
            p = pattern.casefold()
            if p.endswith("*"):
                if low.startswith(p[:-1]) and (reason_rank, prefix_len) < (1, len(p) - 1):
                    reason_rank, prefix_len = 1, len(p) - 1
            elif low == p:
                reason_rank, prefix_len = 2, len(p)
                break
        if not reason_rank:
            return None
    if match.sources:
        low_source = (source or "").casefold()
        if not any(s.casefold() in low_source for s in match.sources):
            return None
    if match.kinds and kind not in match.kinds:
        return None
    return reason_rank, prefix_len, int(bool(match.sources)), int(bool(match.kinds))


def _norm_maker(text: str) -> str:
    return " ".join(text.casefold().split())


def _same_maker(device: str, name: str) -> bool:
    d, n = _norm_maker(device), _norm_maker(name)
    return d == n or d.startswith(n + " ")


# -- skin versions -------------------------------------------------------------------------------
_VERSION = re.compile(r"^(?P<name>[^\d]*?)\s*v?(?P<ver>\d+(?:\.\d+)*)")
# A skins label's clause: "MIUI 12–14", "One UI 3+", "EMUI 9", "ColorOS up to 5", "Funtouch OS 2.6 and older",
# "HyperOS" (any version); clauses are separated by "," "/" or ";".
_CLAUSE = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z .]*?)\s*"
    r"(?:(?P<upto>up to\s*)?(?P<lo>\d+(?:\.\d+)?)\s*"
    r"(?:(?P<plus>\+)|[–—-]\s*(?P<hi>\d+(?:\.\d+)?)|(?P<older>(?:and|or)\s+(?:older|earlier|below|lower)))?)?$"
)


def _name_key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.casefold())


def _nums(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def _parse_version(text: str) -> tuple[str, tuple[int, ...]] | None:
    """Skin name and version: "MIUI 14.0.3" -> ("miui", (14, 0, 3)); "HyperOS" -> ("hyperos", ()); "" -> None."""
    text = text.strip()
    m = _VERSION.match(text)
    if m:
        return _name_key(m["name"]), _nums(m["ver"])
    key = _name_key(text)
    return (key, ()) if key else None


def _is_generic(label: str) -> bool:
    return label.strip().casefold() in _GENERIC_SKINS


def _clauses(label: str) -> list[str]:
    return [c.strip() for c in re.split(r"[,/;]", label) if c.strip()]


def _covers(label: str, wanted: tuple[str, tuple[int, ...]]) -> bool:
    name, version = wanted
    for clause in _clauses(label):
        m = _CLAUSE.match(clause)
        if m is None or _name_key(m["name"]) != name:
            continue
        if m["lo"] is None:
            return True
        if not version:
            continue
        lo = _nums(m["lo"])
        if m["upto"] or m["older"]:
            if version[: len(lo)] <= lo:
                return True
        elif m["plus"]:
            if version[: len(lo)] >= lo:
                return True
        elif m["hi"] is not None:
            hi = _nums(m["hi"])
            if lo <= version[: len(lo)] and version[: len(hi)] <= hi:
                return True
        elif version[: len(lo)] == lo:
            return True
    return False


# -- loading and validation ----------------------------------------------------------------------
def _default_path() -> Path:
    return Path(str(resources.files("bgprobe.reports").joinpath("knowledge.toml")))


def load_knowledge(path: str | Path | None = None) -> Knowledge:
    """The knowledge base, parsed and validated once per file (cached); KnowledgeError when broken."""
    return _load(str(Path(path) if path is not None else _default_path()))


@functools.lru_cache(maxsize=8)
def _load(path: str) -> Knowledge:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise KnowledgeError(f"{path}: cannot read the knowledge base ({e.strerror or e})") from e
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise KnowledgeError(f"{path}: not valid TOML: {e}") from e
    unknown = set(data) - {"entry"}
    if unknown:
        raise KnowledgeError(f"{path}: unknown top-level key(s) {sorted(unknown)}; only [[entry]] tables belong here")
    raw = data.get("entry")
    if not isinstance(raw, list) or not raw:
        raise KnowledgeError(f"{path}: no [[entry]] tables")
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(raw, 1):
        entry = _entry(item, f"{path}: entry {number}")
        if entry.id in seen:
            raise KnowledgeError(f"{path}: entry {number} ({entry.id}): id already used by entry {seen[entry.id]}")
        seen[entry.id] = number
        entries.append(entry)
    return Knowledge(tuple(entries), path)


def _entry(item: Any, where: str) -> Entry:
    if not isinstance(item, dict):
        raise KnowledgeError(f"{where}: not a table")
    ident = item.get("id")
    if isinstance(ident, str) and ident:
        where = f"{where} ({ident})"

    def fail(problem: str) -> KnowledgeError:
        return KnowledgeError(f"{where}: {problem}")

    unknown = set(item) - set(_REQUIRED_TEXT) - set(_OPTIONAL)
    if unknown:
        raise fail(f"unknown field(s) {sorted(unknown)}")
    for key in _REQUIRED_TEXT:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise fail(f"`{key}` is required and must be non-empty text")
    if not _ID.match(item["id"]):
        raise fail("`id` must be dotted lower-case words, e.g. xiaomi.onekeyclean")
    if item["platform"] not in PLATFORMS:
        raise fail(f"`platform` must be one of {list(PLATFORMS)}")
    if "\n" in item["title"].strip():
        raise fail("`title` must be one line")
    makers = _strings(item.get("makers", []), "makers", fail)
    skins = _strings(item.get("skins", []), "skins", fail)
    if makers and not skins:
        raise fail("a maker-specific entry needs `skins` (the makers' Android skins)")
    if skins and not makers:
        raise fail("`skins` without `makers`")
    match = _match(item.get("match"), fail)
    steps = _steps(item.get("user_steps", []), fail)
    if makers and not steps:
        raise fail("a maker-specific entry needs `user_steps`")
    sources = _strings(item.get("sources", []), "sources", fail)
    if not sources:
        raise fail("`sources` needs at least one URL")
    bad = [s for s in sources if not re.match(r"^https://[^\s/]+\.[^\s/]+\S*$", s)]
    if bad:
        raise fail(f"every source must be an https:// URL: {bad}")
    severity = item.get("severity")
    if severity is not None and severity not in SEVERITIES:
        raise fail(f"`severity` must be one of {list(SEVERITIES)}")
    return Entry(
        id=item["id"],
        platform=item["platform"],
        makers=makers,
        skins=skins,
        match=match,
        title=item["title"].strip(),
        what=" ".join(item["what"].split()),
        since=" ".join(item["since"].split()),
        user_steps=steps,
        developer=" ".join(item["developer"].split()),
        sources=sources,
        severity=severity,
    )


def _strings(value: Any, key: str, fail: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise fail(f"`{key}` must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _match(value: Any, fail: Any) -> Match:
    if not isinstance(value, dict):
        raise fail("`match` is required: a table of reasons / sources / kinds / blockers")
    unknown = set(value) - set(MATCH_KEYS)
    if unknown:
        raise fail(f"unknown `match` key(s) {sorted(unknown)}; allowed: {list(MATCH_KEYS)}")
    fields = {key: _strings(value.get(key, []), f"match.{key}", fail) for key in MATCH_KEYS}
    if not any(fields.values()):
        raise fail("`match` is empty: it needs reasons, sources, kinds or blockers")
    for pattern in fields["reasons"]:
        if "*" in pattern[:-1]:
            raise fail(f"reason {pattern!r}: `*` is allowed only at the end (a prefix)")
    bad_kinds = [k for k in fields["kinds"] if k not in KINDS]
    if bad_kinds:
        raise fail(f"unknown event kind(s) {bad_kinds}")
    blockers = tuple(b.upper() for b in fields["blockers"])
    return Match(fields["reasons"], fields["sources"], fields["kinds"], blockers)


def _steps(value: Any, fail: Any) -> tuple[Steps, ...]:
    if not isinstance(value, list):
        raise fail("`user_steps` must be a list of { skins = ..., steps = ... } tables")
    out = []
    for n, step in enumerate(value, 1):
        if not isinstance(step, dict) or set(step) != {"skins", "steps"}:
            raise fail(f"user_steps[{n}] must be a table with exactly `skins` and `steps`")
        if not all(isinstance(step[k], str) and step[k].strip() for k in ("skins", "steps")):
            raise fail(f"user_steps[{n}]: `skins` and `steps` must be non-empty text")
        out.append(Steps(step["skins"].strip(), " ".join(step["steps"].split())))
    return tuple(out)
