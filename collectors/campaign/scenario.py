"""Campaign scenarios: a TOML file of apps, tasks, a condition matrix, repetitions, time-outs and the
app's retry policy, validated up front and strictly. Every error is one line naming the file, the
line and the field ("s.toml:4: campaign: unknown key 'attempt_timout': did you mean
'attempt_timeout'?"); `bgprobe run --check SCENARIO` validates and sizes the plan without a phone.

```toml
[campaign]
name = "syncapp"                 # letters, digits, - _ . (it names the results directory)
repetitions = 3                  # 1..10000
attempt_timeout = "2m"          # per attempt; "500ms", "30s", "5m", "1h" or seconds (at most 7 days)
settle = "1s"                    # after applying a condition (may be 0)
retry = { count = 2, backoff = "30s", policy = "exponential" }   # as the app would retry (0..100)

[[app]]
package = "com.example.syncapp"  # Android (an iOS app: bundle = "...")

[[task]]
name = "sync"
app = "com.example.syncapp"      # optional with a single [[app]]
scheduler = "workmanager"        # jobscheduler | workmanager (Android) | bgtask (iOS)
job = 1042                        # JobScheduler id (WorkManager: its JobScheduler id); Android only
worker = "com.example.syncapp.SyncWorker"   # workmanager only: matches its WM-WorkerWrapper lines
trigger = "forced"               # forced: cmd jobscheduler run; natural: arm and wait for the OS
window = "10m"                   # natural: how long to wait for the OS to start it
started = 'job (?P<job>\\d+) started'         # Android: the app's own log lines (RE2 syntax,
finished = 'job (?P<job>\\d+) finished \\(success\\)'   # searched in the message); optional;
failed = 'job (?P<job>\\d+) finished \\(failure\\)'     # a (?P<job>) group must equal `job`
# stopped = '...'

[[condition]]
name = "doze-deep"
set = { doze = "deep", battery = "unplugged" }   # keys of `bgprobe state set`
# ios = { network = "3g" }                       # iOS: network= or thermal= (DVT); not lowpower
```

Strict means: an unknown key or table is an error (with "did you mean" when one is close), so is
a key that does not apply (`identifier` on an Android task, `worker` on a jobscheduler one), a
value of the wrong type (a bool is not a number) or out of range, a plan of more than 100,000 task
runs per phone, and a duplicate app, task or condition. Names that become parts of paths and
attempt ids are letters, digits, `-`, `_`, `.`. Patterns are compiled with RE2: matching is linear
in the line whatever the pattern, so no pattern can stall the log feed of a live phone (Python's
`re` backtracks exponentially on patterns like `^((.*)*)*X$`, holding the GIL: not even SIGTERM
gets through).
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information
from bgprobe.collectors.android.state import KEYS as STATE_KEYS
from bgprobe.collectors.errors import BgprobeError, UsageError
from bgprobe.collectors.ios.conditions import ConditionError, parse_ios_assignments
from bgprobe.collectors.package_names import check_package_name

SCHEDULERS = ("jobscheduler", "workmanager", "bgtask")
TRIGGERS = ("forced", "natural")
POLICIES = ("exponential", "linear", "none")
PATTERN_KEYS = ("started", "finished", "failed", "stopped")

TOP_KEYS = ("campaign", "app", "task", "condition")
CAMPAIGN_KEYS = ("name", "repetitions", "attempt_timeout", "settle", "retry")
RETRY_KEYS = ("count", "backoff", "policy")
APP_KEYS = ("package", "bundle")
TASK_KEYS = ("name", "app", "scheduler", "job", "worker", "identifier", "trigger", "window", *PATTERN_KEYS)
CONDITION_KEYS = ("name", "set", "ios")
IOS_KEYS = ("network", "thermal", "lowpower")

MAX_DURATION_S = 7 * 24 * 3600.0  # a week: far beyond any sane attempt, far below float trouble
MAX_REPETITIONS = 10_000
MAX_RETRIES = 100
MAX_TASK_RUNS = 100_000  # per phone: the plan is held in memory and written to plan.jsonl
MAX_PATTERN = 1000
MAX_NAME = 100
MAX_TEXT = 1_000_000  # a scenario is a few kB; a bigger file is not one

_DURATION = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)?\s*$")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
_BUNDLE = re.compile(r"[A-Za-z0-9.-]+")
_IDENTIFIER = re.compile(r"[A-Za-z0-9._-]+")  # a BGTask identifier; it is also quoted into an lldb command
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # RE2 would also print its errors to stderr; ours are enough


class ScenarioError(UsageError):
    pass


class LineMatch(Protocol):
    def groupdict(self) -> dict[str, str | None]: ...


class LinePattern(Protocol):
    """A compiled task pattern (an RE2 `re2._Regexp`): what the campaign uses of it."""

    @property
    def pattern(self) -> str: ...

    def search(self, text: str) -> LineMatch | None: ...


@dataclass(frozen=True)
class RetryPolicy:
    count: int = 0
    backoff_s: float = 30.0
    policy: str = "exponential"  # exponential | linear | none

    def delay(self, retry_number: int) -> float:
        if self.policy == "none":
            return 0.0
        if self.policy == "linear":
            return self.backoff_s * retry_number
        return float(self.backoff_s * 2 ** (retry_number - 1))


@dataclass(frozen=True)
class Task:
    name: str
    app: str
    platform: str  # android | ios
    scheduler: str
    job: int | None
    worker: str | None
    identifier: str | None  # iOS BGTask identifier
    trigger: str
    window_s: float
    started: LinePattern | None = None
    finished: LinePattern | None = None
    failed: LinePattern | None = None
    stopped: LinePattern | None = None


@dataclass(frozen=True)
class Condition:
    name: str
    settings: dict[str, str] = field(default_factory=dict)
    ios: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    text: str
    repetitions: int
    attempt_timeout_s: float
    retry: RetryPolicy
    tasks: tuple[Task, ...]
    conditions: tuple[Condition, ...]
    settle_s: float = 1.0  # after applying a condition, before the first attempt


def parse_duration(value: Any) -> float:
    """Seconds from a number or "500ms" / "30s" / "5m" / "1h"; ValueError if it is none, or not finite."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            seconds = float(value)
        except OverflowError:  # an integer beyond float range
            seconds = math.inf
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m[1]) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m[2] or "s"]
    else:
        raise ValueError(f"{value!r} is not a duration (e.g. 30s, 5m, 1h)")
    if not math.isfinite(seconds):
        raise ValueError(f"{value!r} is not a finite duration")
    return seconds


# -- where things are in the file ----------------------------------------------------------------
Where = tuple[str | int, ...]  # ("task", 0, "started"): the path of a key, array indices included

_KEY_PART = r"\"(?:[^\"\\]|\\.)*\"|'[^']*'|[A-Za-z0-9_-]+"
_DOTTED = rf"(?:{_KEY_PART})(?:\s*\.\s*(?:{_KEY_PART}))*"
_HEADER_LINE = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED})\s*\]")
_KEY_LINE = re.compile(rf"^\s*({_DOTTED})\s*=")


def _key_parts(dotted: str) -> tuple[str, ...]:
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in re.findall(_KEY_PART, dotted))


class _Locator:
    """Line numbers of TOML keys and tables, for error messages (tomllib keeps none). A line
    scanner: table headers, array-of-tables indices and `key =` lines (dotted keys too). A key it
    did not see on a line of its own (inside a one-line inline table, say) gets the line of the
    nearest enclosing key it saw, which is the same line."""

    def __init__(self, text: str) -> None:
        self.lines: dict[Where, int] = {}
        arrays: dict[Where, int] = {}  # an array of tables -> the index of its last [[entry]]
        current: Where = ()
        in_multiline = False
        for n, line in enumerate(text.splitlines(), 1):
            toggles = (line.count('"""') + line.count("'''")) % 2 == 1
            if in_multiline:  # inside a multi-line string: nothing here is a key or a header
                in_multiline = not toggles
                continue
            in_multiline = toggles
            if header := _HEADER_LINE.match(line):
                parts = _key_parts(header[2])
                if header[1] == "[[":
                    base = self._resolve(parts[:-1], arrays) + parts[-1:]
                    arrays[base] = arrays.get(base, -1) + 1
                    self.lines.setdefault(base, n)
                    current = (*base, arrays[base])
                else:
                    current = self._resolve(parts, arrays)
                self.lines.setdefault(current, n)
            elif key := _KEY_LINE.match(line):
                parts = _key_parts(key[1])
                for i in range(1, len(parts) + 1):
                    self.lines.setdefault((*current, *parts[:i]), n)

    @staticmethod
    def _resolve(parts: tuple[str, ...], arrays: dict[Where, int]) -> Where:
        """`[task.x]` after `[[task]]` belongs to the last task: insert the array indices."""
        path: Where = ()
        for part in parts:
            path = (*path, part)
            if path in arrays:
                path = (*path, arrays[path])
        return path

    def line(self, where: Where) -> int:
        for end in range(len(where), 0, -1):
            if where[:end] in self.lines:
                return self.lines[where[:end]]
        return 1


def _field(where: Where) -> str:
    text = ""
    for part in where:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text or "scenario"


def _one_line(message: str) -> str:
    # values from the file may hold newlines or control characters: an error stays one line
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def _did_you_mean(word: str, allowed: tuple[str, ...] | list[str]) -> str | None:
    close = difflib.get_close_matches(word, list(allowed), n=1)
    # difflib misses abbreviations ("expo" is 0.53 like "exponential"): a prefix is close too
    close = close or [a for a in allowed if len(word) >= 3 and a.startswith(word)]
    return close[0] if close else None


# -- loading -------------------------------------------------------------------------------------
def load_scenario(path: Path) -> Scenario:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_TEXT + 1)  # bounded: a FIFO or a huge file must not fill the memory
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario: {exc.strerror or exc}") from exc
    if len(data) > MAX_TEXT:
        raise ScenarioError(f"{path}: too large for a scenario (more than {MAX_TEXT:,} bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start}); a scenario is a TOML file") from None
    return parse_scenario(text, str(path))


def parse_scenario(text: str, path: str = "<scenario>") -> Scenario:
    if len(text) > MAX_TEXT:
        raise ScenarioError(f"{path}: too large for a scenario (more than {MAX_TEXT:,} characters)")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = m[1] if (m := re.search(r"at line (\d+)", str(exc))) else "1"
        raise ScenarioError(_one_line(f"{path}:{line}: not valid TOML: {exc}")) from None
    except ValueError:  # tomllib: an integer of more than 4300 digits (Python's int() limit)
        raise ScenarioError(f"{path}: not valid TOML: a number with thousands of digits") from None
    except RecursionError:
        raise ScenarioError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None
    return _Reader(path, _Locator(text)).scenario(data, text)


class _Reader:
    """Turns the parsed TOML into a Scenario, or the first problem into a ScenarioError."""

    def __init__(self, path: str, loc: _Locator) -> None:
        self.path = path
        self.loc = loc

    def error(self, where: Where, message: str, *, line_of: Where | None = None) -> ScenarioError:
        """`line_of`: a key inside `where` whose line is meant (an unknown key: the field is its table)."""
        line = self.loc.line(line_of or where)
        return ScenarioError(_one_line(f"{self.path}:{line}: {_field(where)}: {message}"))

    # -- shapes and types ---------------------------------------------------------------------
    def only(self, raw: dict[str, Any], allowed: tuple[str, ...], where: Where) -> None:
        for key in raw:
            if key not in allowed:
                close = _did_you_mean(key, allowed)
                hint = f": did you mean {close!r}?" if close else f"; expected one of {', '.join(allowed)}"
                raise self.error(where, f"unknown key {_show(key)}{hint}", line_of=(*where, key))

    def table(self, value: Any, where: Where, example: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(where, f"must be a table, like {example}")
        return value

    def tables(self, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        """An array of tables (`[[task]]`); `[task]` or `task = 3` is an error saying so."""
        value = data.get(key, [])
        if isinstance(value, dict):
            raise self.error((key,), f"must be an array of tables: write [[{key}]], not [{key}]")
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error((key,), f"must be [[{key}]] tables")
        return value

    def string(self, raw: dict[str, Any], key: str, where: Where) -> str | None:
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            raise self.error((*where, key), f"must be a string (in quotes), not {_type_name(value)}")
        return value

    def integer(self, raw: dict[str, Any], key: str, where: Where, low: int, high: int, default: int) -> int:
        value = raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error((*where, key), f"must be a whole number from {low} to {high}, not {_show(value)}")
        return value

    def duration(self, raw: dict[str, Any], key: str, where: Where, default: float, *, zero_ok: bool = False) -> float:
        try:
            seconds = parse_duration(raw.get(key, default))
        except ValueError as exc:
            raise self.error((*where, key), str(exc)) from None
        if seconds < 0 or (seconds == 0 and not zero_ok) or seconds > MAX_DURATION_S:
            low = "0" if zero_ok else "more than 0"
            raise self.error(
                (*where, key), f"must be {low} and at most 7 days (e.g. 30s, 5m, 1h), not {_human(seconds)}"
            )
        return seconds

    def choice(self, raw: dict[str, Any], key: str, where: Where, allowed: tuple[str, ...], default: str) -> str:
        value = raw.get(key, default)
        if value not in allowed:
            close = _did_you_mean(value, allowed) if isinstance(value, str) else None
            hint = f" (did you mean {close!r}?)" if close else ""
            raise self.error((*where, key), f"must be one of {', '.join(allowed)}, not {_show(value)}{hint}")
        return str(value)

    def name(self, value: Any, where: Where, what: str) -> str:
        """A name that becomes part of a path or an attempt id (device|condition|task|repetition)."""
        if not isinstance(value, str) or not value:
            raise self.error(where, f"every {what} needs a name (a string)")
        if len(value) > MAX_NAME or not _SAFE_NAME.fullmatch(value):
            raise self.error(
                where,
                f"{_show(value)}: a {what} name is part of file paths and ids: use letters, digits, - _ . "
                f"(not starting with '.'; at most {MAX_NAME} characters)",
            )
        return value

    # -- the document -------------------------------------------------------------------------
    def scenario(self, data: dict[str, Any], text: str) -> Scenario:
        for key in data:
            if key not in TOP_KEYS:
                raise self._unknown_top(key, data[key])
        campaign = self.table(data.get("campaign", {}), ("campaign",), '[campaign] name = "syncapp"')
        where: Where = ("campaign",)
        self.only(campaign, CAMPAIGN_KEYS, where)
        if "name" in campaign:
            name = self.name(campaign["name"], (*where, "name"), "campaign")
        else:  # from the file name, made path-safe
            name = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(self.path).stem).strip(".-")[:MAX_NAME] or "campaign"
        repetitions = self.integer(campaign, "repetitions", where, 1, MAX_REPETITIONS, 1)
        attempt_timeout = self.duration(campaign, "attempt_timeout", where, 120.0)
        settle = self.duration(campaign, "settle", where, 1.0, zero_ok=True)
        retry = self.retry(campaign.get("retry", {}))

        apps = self.apps(self.tables(data, "app"))
        tasks = tuple(self.task(raw, i, apps) for i, raw in enumerate(self.tables(data, "task")))
        if not tasks:
            raise self.error(("task",), "at least one [[task]] is required")
        self.unique([t.name for t in tasks], "task", "name", "task name")

        conditions = tuple(self.condition(raw, i) for i, raw in enumerate(self.tables(data, "condition")))
        self.unique([c.name for c in conditions], "condition", "name", "condition name")
        if not conditions:
            conditions = (Condition("baseline"),)
        scenario = Scenario(name, self.path, text, repetitions, attempt_timeout, retry, tasks, conditions, settle)
        self.bounded(scenario)
        return scenario

    def _unknown_top(self, key: str, value: Any) -> ScenarioError:
        if key in CAMPAIGN_KEYS:
            return self.error((), f"{key!r} belongs in [campaign]: put it under the [campaign] header", line_of=(key,))
        is_table = isinstance(value, dict) or (isinstance(value, list) and bool(value) and isinstance(value[0], dict))
        headers = {"campaign": "[campaign]", "app": "[[app]]", "task": "[[task]]", "condition": "[[condition]]"}
        close = _did_you_mean(key, TOP_KEYS)
        what = f"unknown table {_show(key)}" if is_table else f"unknown key {_show(key)}"
        hint = f": did you mean {headers[close]}?" if close else f"; expected {', '.join(headers.values())}"
        return self.error((), what + hint, line_of=(key,))

    def retry(self, value: Any) -> RetryPolicy:
        where: Where = ("campaign", "retry")
        raw = self.table(value, where, '{ count = 2, backoff = "30s", policy = "exponential" }')
        self.only(raw, RETRY_KEYS, where)
        count = self.integer(raw, "count", where, 0, MAX_RETRIES, 0)
        backoff = self.duration(raw, "backoff", where, 30.0)
        policy = self.choice(raw, "policy", where, POLICIES, "exponential")
        retry = RetryPolicy(count, backoff, policy)
        if count and retry.delay(count) > MAX_DURATION_S:  # exponential growth gets there fast
            raise self.error(
                where, f"with {policy} backoff from {_human(backoff)}, retry {count} would wait more than 7 days"
            )
        return retry

    def apps(self, raws: list[dict[str, Any]]) -> dict[str, str]:
        apps: dict[str, str] = {}  # package or bundle -> platform
        first: dict[str, Where] = {}
        for i, raw in enumerate(raws):
            where: Where = ("app", i)
            self.only(raw, APP_KEYS, where)
            package, bundle = self.string(raw, "package", where), self.string(raw, "bundle", where)
            if package is not None and bundle is not None:
                raise self.error((*where, "bundle"), "an [[app]] is either Android (package) or iOS (bundle), not both")
            if package is not None:
                key, app_id, platform = "package", package, "android"
                try:
                    check_package_name(package)
                except BgprobeError as exc:
                    raise self.error((*where, key), exc.message) from None
            elif bundle is not None:
                key, app_id, platform = "bundle", bundle, "ios"
                if not _BUNDLE.fullmatch(bundle):
                    raise self.error((*where, key), "must be a bundle identifier like com.example.app")
            else:
                raise self.error(where, "needs `package` (Android) or `bundle` (iOS)")
            if app_id in apps:
                raise self.error((*where, key), f"{app_id!r} is already [[app]] at line {self.loc.line(first[app_id])}")
            apps[app_id], first[app_id] = platform, (*where, key)
        if not apps:
            raise self.error(("app",), "at least one [[app]] is required")
        return apps

    def task(self, raw: dict[str, Any], i: int, apps: dict[str, str]) -> Task:
        where: Where = ("task", i)
        self.only(raw, TASK_KEYS, where)
        name = self.name(raw.get("name"), (*where, "name"), "task")
        app = self.string(raw, "app", where)
        if app is None and len(apps) > 1:
            raise self.error((*where, "app"), f"with several [[app]], say which one ({', '.join(apps)})")
        app = app if app is not None else next(iter(apps))
        if app not in apps:
            close = _did_you_mean(app, list(apps))
            hint = f" (did you mean {close!r}?)" if close else ""
            raise self.error((*where, "app"), f"must name one of the [[app]] entries ({', '.join(apps)}){hint}")
        platform = apps[app]
        scheduler = self.choice(raw, "scheduler", where, SCHEDULERS, "bgtask" if platform == "ios" else "jobscheduler")
        if (scheduler == "bgtask") != (platform == "ios"):
            raise self.error((*where, "scheduler"), f"{scheduler} does not fit a {platform} app ({app})")
        trigger = self.choice(raw, "trigger", where, TRIGGERS, "forced")
        window = self.duration(raw, "window", where, 600.0)
        worker = self.string(raw, "worker", where)
        if worker is not None and scheduler != "workmanager":
            raise self.error((*where, "worker"), 'is for scheduler = "workmanager" tasks (their Worker class)')
        if worker == "":
            raise self.error((*where, "worker"), "the Worker class name, like com.example.app.SyncWorker")
        identifier = self.string(raw, "identifier", where)
        job = raw.get("job")
        if platform == "ios":
            for key in ("job", "worker", *PATTERN_KEYS):
                if key in raw:
                    raise self.error(
                        (*where, key),
                        "is for Android tasks: an iOS task is judged from dasd / BackgroundTasks log lines by "
                        "its identifier",
                    )
            if not identifier or not _IDENTIFIER.fullmatch(identifier):
                raise self.error(
                    (*where, "identifier"), "iOS tasks need their BGTask identifier (like com.example.app.refresh)"
                )
        else:
            if identifier is not None:
                raise self.error(
                    (*where, "identifier"), "is for iOS tasks (a BGTask identifier); Android tasks have `job`"
                )
            if job is None:
                raise self.error(
                    (*where, "job"), "Android tasks need their JobScheduler job id (`bgprobe jobs PACKAGE` lists them)"
                )
            if isinstance(job, bool) or not isinstance(job, int) or not -(2**31) <= job < 2**31:
                raise self.error((*where, "job"), f"must be a JobScheduler job id (a 32-bit integer), not {job!r}")
        patterns = {key: self.pattern(raw, key, where) for key in PATTERN_KEYS}
        return Task(name, app, platform, scheduler, job, worker, identifier, trigger, window, **patterns)

    def pattern(self, raw: dict[str, Any], key: str, where: Where) -> LinePattern | None:
        text = self.string(raw, key, where)
        if text is None:
            return None
        if not text:
            raise self.error((*where, key), "an empty pattern matches every log line")
        if len(text) > MAX_PATTERN:
            raise self.error((*where, key), f"a pattern of {len(text):,} characters; at most {MAX_PATTERN}")
        try:
            return re2.compile(text, _RE2_OPTIONS)  # type: ignore[no-any-return]  # google-re2 ships no types
        except re2.error as exc:
            problem = exc.args[0].decode("utf-8", "replace") if isinstance(exc.args[0], bytes) else str(exc)
            raise self.error(
                (*where, key),
                f"RE2 syntax is required (patterns are matched in linear time, so no backreferences, "
                f"lookarounds, atomic groups or possessive repeats): {problem}{_re2_hint(text, problem)}",
            ) from None
        except UnicodeEncodeError:  # a lone surrogate (only from a program, never from a file)
            raise self.error((*where, key), "not valid Unicode text") from None

    def condition(self, raw: dict[str, Any], i: int) -> Condition:
        where: Where = ("condition", i)
        self.only(raw, CONDITION_KEYS, where)
        name = self.name(raw.get("name"), (*where, "name"), "condition")
        set_where: Where = (*where, "set")
        raw_set = self.table(raw.get("set", {}), set_where, '{ doze = "deep" } (keys of `bgprobe state set`)')
        self.only(raw_set, tuple(STATE_KEYS), set_where)
        settings = {key: self._state_value(key, value, set_where) for key, value in raw_set.items()}
        ios_where: Where = (*where, "ios")
        ios = self.table(raw.get("ios", {}), ios_where, '{ network = "3g" } or { thermal = "serious" }')
        self.only(ios, IOS_KEYS, ios_where)
        for key, value in ios.items():
            if key == "lowpower":
                raise self.error(
                    (*ios_where, key),
                    "a campaign cannot apply Low Power Mode: iOS has no remote switch for it, an operator flips "
                    "it in Settings (`bgprobe state set --udid U lowpower=on` at a terminal); set it by hand "
                    "before the run",
                )
            if not isinstance(value, str):
                raise self.error((*ios_where, key), f"must be a string (in quotes), not {_type_name(value)}")
            self._ios_assignments([f"{key}={value}"], (*ios_where, key))
        self._ios_assignments([f"{k}={v}" for k, v in ios.items()], ios_where)  # together: one induced condition
        return Condition(name, settings, dict(ios))

    def _state_value(self, key: str, value: Any, where: Where) -> str:
        if key == "level":  # a battery level: an integer (or its digits as a string) from 0 to 100
            digits = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
            # str.isdigit() is True for "²" and other non-ASCII digits: only 0-9 make a level
            if not (isinstance(digits, str) and digits.isascii() and digits.isdigit() and int(digits) <= 100):
                raise self.error(where, f"level={_show(value)}: expected a battery level from 0 to 100")
            return str(int(digits))
        if value not in STATE_KEYS[key]:
            raise self.error(where, f"{key}={_show(value)}: expected one of {', '.join(STATE_KEYS[key])}")
        return str(value)

    def _ios_assignments(self, items: list[str], where: Where) -> None:
        try:
            parse_ios_assignments(items)
        except ConditionError as exc:
            raise self.error(where, exc.message) from None

    def unique(self, names: list[str], table: str, key: str, what: str) -> None:
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            if name in seen:
                first = self.loc.line((table, seen[name], key))
                raise self.error((table, i, key), f"duplicate {what} {name!r}: also at line {first}")
            seen[name] = i

    def bounded(self, scenario: Scenario) -> None:
        """The plan per phone is held in memory and written down: keep it to MAX_TASK_RUNS."""
        for platform, os_name, phone in (("android", "Android", "Android phone"), ("ios", "iOS", "iPhone")):
            tasks = sum(t.platform == platform for t in scenario.tasks)
            runs = len(scenario.conditions) * tasks * scenario.repetitions
            if runs > MAX_TASK_RUNS:
                raise self.error(
                    ("campaign", "repetitions"),
                    f"the plan is {_count(len(scenario.conditions), 'condition')} × {_count(tasks, os_name + ' task')}"
                    f" × {_count(scenario.repetitions, 'repetition')} = {runs:,} task runs per {phone}; "
                    f"at most {MAX_TASK_RUNS:,}",
                )


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", list: "an array", dict: "a table"}.get(
        type(value), type(value).__name__
    )


def _show(value: Any) -> str:
    """A value from the file in a message: quoted, and short (it may be a 4000-digit number)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# RE2 names the syntax it rejects ("invalid perl operator: (?="), not the Python feature it was
_RE2_FEATURES = (
    ("(?=", "a lookahead"),
    ("(?!", "a negative lookahead"),
    ("(?<=", "a lookbehind"),
    ("(?<!", "a negative lookbehind"),
    ("(?P=", "a named backreference"),
    ("(?P>", "a recursive group"),
    ("(?>", "an atomic group"),
    ("\\Z", "use \\z for the end of the line"),
)


def _re2_hint(pattern: str, problem: str) -> str:
    rejected = problem.rpartition(": ")[2]  # RE2 may quote only a prefix: "(?P" for "(?P=job)"
    for marker, feature in _RE2_FEATURES:
        if rejected.startswith(marker) or (marker.startswith(rejected) and marker in pattern):
            return f" ({feature})"
    if re.fullmatch(r"\\[1-9]", rejected):
        return " (a backreference)"
    if re.fullmatch(r"[*+?}]\+", rejected[-2:]):
        return " (a possessive repeat)"
    return ""


# -- the plan, without a phone -------------------------------------------------------------------
def plan_summary(scenario: Scenario) -> dict[str, Any]:
    """What `bgprobe run --check` shows: the scenario's parts and, per phone, the task runs and the
    worst-case wall time (every attempt used to its limit, every backoff waited; device commands
    not counted). Conditions that certainly skip on a platform (only iOS settings on an Android
    phone, only Android settings on an iPhone) are recorded at once and cost no time."""
    retry = scenario.retry
    attempts = 1 + retry.count
    backoffs = sum(retry.delay(n) for n in range(1, attempts))
    per_phone: dict[str, dict[str, Any]] = {}
    for platform in ("android", "ios"):
        tasks = [t for t in scenario.tasks if t.platform == platform]
        skipped = [
            c
            for c in scenario.conditions
            if (c.ios and not c.settings if platform == "android" else c.settings and not c.ios)
        ]
        # a natural attempt waits up to `window` for the start, then has attempt_timeout from it
        per_run = sum(
            attempts * (scenario.attempt_timeout_s + (t.window_s if t.trigger == "natural" else 0.0)) + backoffs
            for t in tasks
        )
        ran = len(scenario.conditions) - len(skipped)
        worst = ran * (scenario.settle_s + scenario.repetitions * per_run) if tasks else 0.0
        runs = len(scenario.conditions) * len(tasks) * scenario.repetitions
        per_phone[platform] = {
            "tasks": len(tasks),
            "task_runs": runs,
            "max_attempts": runs * attempts,
            "conditions_skipped": len(skipped) if tasks else 0,
            "worst_case_s": round(worst, 3),
        }
    return {
        "scenario": scenario.path,
        "campaign": scenario.name,
        "apps": [
            {"app": app, "platform": platform}
            for app, platform in sorted({(t.app, t.platform) for t in scenario.tasks})
        ],
        "tasks": [
            {
                "name": t.name,
                "app": t.app,
                "platform": t.platform,
                "scheduler": t.scheduler,
                "trigger": t.trigger,
                "job": t.job,
                "identifier": t.identifier,
                "window_s": t.window_s if t.trigger == "natural" else None,
            }
            for t in scenario.tasks
        ],
        "conditions": [{"name": c.name, "set": c.settings, "ios": c.ios} for c in scenario.conditions],
        "repetitions": scenario.repetitions,
        "attempt_timeout_s": scenario.attempt_timeout_s,
        "settle_s": scenario.settle_s,
        "retry": {"count": retry.count, "backoff_s": retry.backoff_s, "policy": retry.policy},
        "per_phone": per_phone,
    }


def plan_text(summary: dict[str, Any]) -> str:
    """The summary as plain text (no colour, no table: it goes to logs and diffs)."""
    lines = [f"{summary['scenario']}: valid", f"campaign: {summary['campaign']}"]
    lines.append("apps: " + ", ".join(f"{a['app']} ({a['platform']})" for a in summary["apps"]))
    lines.append("tasks:")
    for t in summary["tasks"]:
        what = f"job {t['job']}" if t["platform"] == "android" else t["identifier"]
        window = f", window {_human(t['window_s'])}" if t["window_s"] is not None else ""
        lines.append(f"  {t['name']}: {t['platform']} {t['scheduler']} {t['trigger']} ({t['app']}, {what}{window})")
    conditions = []
    for c in summary["conditions"]:
        settings = [f"{k}={v}" for k, v in c["set"].items()] + [f"ios {k}={v}" for k, v in c["ios"].items()]
        conditions.append(f"{c['name']} ({', '.join(settings)})" if settings else c["name"])
    lines.append("conditions: " + ", ".join(conditions))
    retry = summary["retry"]
    retries = f"{retry['count']} ({retry['policy']}, backoff {_human(retry['backoff_s'])})" if retry["count"] else "0"
    lines.append(
        f"repetitions: {summary['repetitions']}; attempt timeout {_human(summary['attempt_timeout_s'])}; "
        f"retries {retries}; settle {_human(summary['settle_s'])}"
    )
    for platform, os_name, phone in (("android", "Android", "Android phone"), ("ios", "iOS", "iPhone")):
        p = summary["per_phone"][platform]
        if not p["tasks"]:
            lines.append(f"per {phone}: no {os_name} tasks")
            continue
        skipped = f"; {_count(p['conditions_skipped'], 'condition')} skipped" if p["conditions_skipped"] else ""
        lines.append(
            f"per {phone}: {p['task_runs']:,} task runs, up to {p['max_attempts']:,} attempts{skipped}; "
            f"worst case {_human(p['worst_case_s'])}"
        )
    return "\n".join(lines) + "\n"


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _human(seconds: float) -> str:
    if seconds < 0:
        return f"-{_human(-seconds)}"
    if seconds < 60:
        return f"{seconds:g}s"
    parts, rest = [], round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, rest = divmod(rest, size)
        if n:
            parts.append(f"{n}{unit}")
    return " ".join(parts)
