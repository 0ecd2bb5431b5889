"""Campaign scenarios: a TOML file of apps, tasks, a condition matrix, repetitions, time-outs and the
app's retry policy, validated up front. Every error names the file, the line and the field.

```toml
[campaign]
name = "syncapp"
repetitions = 3
attempt_timeout = "2m"          # per attempt; "30s", "5m", "1h" or seconds
retry = { count = 2, backoff = "30s", policy = "exponential" }   # as the app would retry

[[app]]
package = "com.example.syncapp"  # Android (an iOS app: bundle = "...")

[[task]]
name = "sync"
app = "com.example.syncapp"
scheduler = "workmanager"        # jobscheduler | workmanager | bgtask
job = 1042                        # JobScheduler id (WorkManager: its JobScheduler id)
worker = "com.example.syncapp.SyncWorker"   # WorkManager: matches its WM-WorkerWrapper lines
trigger = "forced"               # forced: cmd jobscheduler run; natural: arm and wait for the OS
window = "10m"                   # natural: how long to wait for the OS to start it
started = 'job (?P<job>\\d+) started'         # the app's own log lines (regex on the message),
finished = 'job (?P<job>\\d+) finished \\(success\\)'   # optional; (?P<job>) must equal `job`
failed = 'job (?P<job>\\d+) finished \\(failure\\)'

[[condition]]
name = "doze-deep"
set = { doze = "deep", battery = "unplugged" }   # keys of `bgprobe state set`
```
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bgprobe.collectors.android.state import KEYS as STATE_KEYS
from bgprobe.collectors.errors import EXIT_USAGE, BgprobeError
from bgprobe.collectors.package_names import check_package_name

SCHEDULERS = ("jobscheduler", "workmanager", "bgtask")
TRIGGERS = ("forced", "natural")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")


class ScenarioError(BgprobeError):
    exit_code = EXIT_USAGE


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
        return self.backoff_s * 2 ** (retry_number - 1)


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
    started: re.Pattern[str] | None = None
    finished: re.Pattern[str] | None = None
    failed: re.Pattern[str] | None = None
    stopped: re.Pattern[str] | None = None


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
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    m = _DURATION.match(str(value))
    if not m:
        raise ValueError(f"{value!r} is not a duration (e.g. 30s, 5m, 1h)")
    number, unit = float(m[1]), m[2] or "s"
    return number * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


class _Locator:
    """Line numbers of TOML keys, for error messages (tomllib keeps none)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def line_of(self, table: str, index: int, key: str | None) -> int:
        header = (
            re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
            if index >= 0
            else re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]")
        )
        count, start = -1, None
        for n, line in enumerate(self.lines, 1):
            if header.match(line):
                count += 1
                if index < 0 or count == index:
                    start = n
                    break
        if start is None:
            return 1
        if key is None:
            return start
        keyline = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for n in range(start, len(self.lines) + 1):
            if n > start and self.lines[n - 1].lstrip().startswith("["):
                break
            if keyline.match(self.lines[n - 1]):
                return n
        return start


def load_scenario(path: Path) -> Scenario:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario: {exc.strerror or exc}") from exc
    return parse_scenario(text, str(path))


def parse_scenario(text: str, path: str = "<scenario>") -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from exc
    loc = _Locator(text)

    def fail(table: str, index: int, key: str | None, message: str) -> ScenarioError:
        where = f"{table}[{index}]" if index >= 0 else table
        field_name = f"{where}.{key}" if key else where
        return ScenarioError(f"{path}:{loc.line_of(table, index, key)}: {field_name}: {message}")

    campaign = data.get("campaign", {})
    if not isinstance(campaign, dict):
        raise fail("campaign", -1, None, "must be a table")
    name = str(campaign.get("name", Path(path).stem))
    try:
        repetitions = int(campaign.get("repetitions", 1))
        if repetitions < 1:
            raise ValueError
    except (TypeError, ValueError):
        raise fail("campaign", -1, "repetitions", "must be a whole number of at least 1") from None
    try:
        attempt_timeout = parse_duration(campaign.get("attempt_timeout", "2m"))
        settle = parse_duration(campaign.get("settle", "1s"))
    except ValueError as exc:
        raise fail("campaign", -1, "attempt_timeout", str(exc)) from None
    retry = _retry(campaign.get("retry", {}), lambda msg: fail("campaign", -1, "retry", msg))

    apps: dict[str, str] = {}
    for i, app in enumerate(data.get("app", [])):
        if "package" in app:
            try:
                check_package_name(str(app["package"]))
            except BgprobeError as exc:
                raise fail("app", i, "package", exc.message) from None
            apps[str(app["package"])] = "android"
        elif "bundle" in app:
            if not re.fullmatch(r"[A-Za-z0-9.-]+", str(app["bundle"])):
                raise fail("app", i, "bundle", "must be a bundle identifier like com.example.app")
            apps[str(app["bundle"])] = "ios"
        else:
            raise fail("app", i, None, "needs `package` (Android) or `bundle` (iOS)")
    if not apps:
        raise fail("app", -1, None, "at least one [[app]] is required")

    tasks = tuple(_task(t, i, apps, fail) for i, t in enumerate(data.get("task", [])))
    if not tasks:
        raise ScenarioError(f"{path}:1: task: at least one [[task]] is required")
    names = [t.name for t in tasks]
    if len(set(names)) != len(names):
        raise ScenarioError(f"{path}:1: task: task names must be unique ({', '.join(names)})")

    conditions = tuple(_condition(c, i, fail) for i, c in enumerate(data.get("condition", [])))
    if not conditions:
        conditions = (Condition("baseline"),)
    return Scenario(name, path, text, repetitions, attempt_timeout, retry, tasks, conditions, settle)


def _retry(raw: Any, fail: Any) -> RetryPolicy:
    if not isinstance(raw, dict):
        raise fail('must be a table like { count = 2, backoff = "30s" }')
    try:
        count = int(raw.get("count", 0))
        backoff = parse_duration(raw.get("backoff", "30s"))
    except (TypeError, ValueError) as exc:
        raise fail(str(exc)) from None
    policy = str(raw.get("policy", "exponential"))
    if policy not in ("exponential", "linear", "none") or count < 0:
        raise fail("policy must be exponential, linear or none; count at least 0")
    return RetryPolicy(count, backoff, policy)


def _pattern(raw: dict[str, Any], key: str, fail: Any) -> re.Pattern[str] | None:
    if key not in raw:
        return None
    try:
        return re.compile(str(raw[key]))
    except re.error as exc:
        raise fail(key, f"not a valid regular expression: {exc}") from None


def _task(raw: dict[str, Any], i: int, apps: dict[str, str], fail: Any) -> Task:
    def bad(key: str | None, msg: str) -> ScenarioError:
        return fail("task", i, key, msg)

    name = raw.get("name")
    if not name or not isinstance(name, str):
        raise bad("name", "every task needs a name")
    app = raw.get("app") or (next(iter(apps)) if len(apps) == 1 else None)
    if app not in apps:
        raise bad("app", f"must name one of the [[app]] entries ({', '.join(apps)})")
    platform = apps[app]
    scheduler = raw.get("scheduler", "bgtask" if platform == "ios" else "jobscheduler")
    if scheduler not in SCHEDULERS:
        raise bad("scheduler", f"must be one of {', '.join(SCHEDULERS)}")
    if (scheduler == "bgtask") != (platform == "ios"):
        raise bad("scheduler", f"{scheduler} does not fit a {platform} app")
    job = raw.get("job")
    if job is not None and (isinstance(job, bool) or not isinstance(job, int) or not -(2**31) <= job < 2**31):
        raise bad("job", "must be a JobScheduler job id (a 32-bit integer)")
    if platform == "android" and job is None:
        raise bad("job", "Android tasks need their JobScheduler job id (`bgprobe jobs PACKAGE` lists them)")
    identifier = raw.get("identifier")
    if platform == "ios" and not identifier:
        raise bad("identifier", "iOS tasks need their BGTask identifier")
    trigger = raw.get("trigger", "forced")
    if trigger not in TRIGGERS:
        raise bad("trigger", f"must be one of {', '.join(TRIGGERS)}")
    try:
        window = parse_duration(raw.get("window", "10m"))
    except ValueError as exc:
        raise bad("window", str(exc)) from None
    patterns = {k: _pattern(raw, k, bad) for k in ("started", "finished", "failed", "stopped")}
    return Task(name, app, platform, scheduler, job, raw.get("worker"), identifier, trigger, window, **patterns)


def _condition(raw: dict[str, Any], i: int, fail: Any) -> Condition:
    name = raw.get("name")
    if not name or not re.fullmatch(r"[A-Za-z0-9_.-]+", str(name)):
        raise fail("condition", i, "name", "every condition needs a name of letters, digits, - _ .")
    settings = raw.get("set", {})
    if not isinstance(settings, dict):
        raise fail("condition", i, "set", "must be a table of `bgprobe state set` keys")
    for key, value in settings.items():
        if key not in STATE_KEYS:
            raise fail("condition", i, "set", f"unknown key {key!r} (one of {', '.join(STATE_KEYS)})")
        allowed = STATE_KEYS[key]
        if allowed and str(value) not in allowed:
            raise fail("condition", i, "set", f"{key}={value}: expected one of {', '.join(allowed)}")
    ios = {str(k): str(v) for k, v in raw.get("ios", {}).items()}
    return Condition(str(name), {str(k): str(v) for k, v in settings.items()}, ios)
