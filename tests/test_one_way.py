"""One way to do each thing (issue 12): one package filter, one Android log follower, one set of
death kinds, kinds and outcomes as StrEnums whose values are the strings every output writes."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from bgprobe.reports.attempts import OUTCOMES, Outcome
from bgprobe.reports.events import DEATH_KINDS, KINDS, Event, Kind, event_concerns

REPO = Path(__file__).resolve().parent.parent
PRODUCT = [p for d in ("cli", "collectors", "reports") for p in sorted((REPO / d).rglob("*.py"))]


def event(package: str | None = None, process: str | None = None) -> Event:
    return Event(kind="process_killed", source="test", where="test", package=package, process=process)


def test_event_concerns_the_package_or_its_processes_never_a_prefix():
    assert event_concerns(event("com.foo"), "com.foo")
    assert event_concerns(event(process="com.foo"), "com.foo")
    assert event_concerns(event(process="com.foo:remote"), "com.foo")
    assert not event_concerns(event("com.foobar"), "com.foo")
    assert not event_concerns(event(process="com.foobar"), "com.foo")
    assert not event_concerns(event(process="com.foobar:remote"), "com.foo")
    assert not event_concerns(event(process="com.foo.bar"), "com.foo")
    assert not event_concerns(event("com.fo"), "com.foo")
    assert not event_concerns(event(), "com.foo")


def _code(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_one_logcat_follower():
    """`watch`, `trigger` and campaigns follow logcat through collectors/android/logfollow.py only."""
    followers = [p.relative_to(REPO).as_posix() for p in PRODUCT if re.search(r'"logcat",\s*"-T"', _code(p))]
    assert followers == ["collectors/android/logfollow.py"]


def test_the_death_kinds_are_spelled_out_once():
    """DEATH_KINDS in reports/events.py: no other module lists two death kinds or more again (a tuple,
    set or list of them), where a kind added to one list would be missed by the others."""
    names = {"process_killed", "process_died", "crash"}
    lists = []
    for path in PRODUCT:
        if path.relative_to(REPO).as_posix() == "reports/events.py":
            continue
        for node in ast.walk(ast.parse(_code(path))):
            if isinstance(node, ast.Tuple | ast.Set | ast.List):
                spelled = {e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in names}
                if len(spelled) >= 2:
                    lists.append(f"{path.relative_to(REPO)}:{node.lineno}: {sorted(spelled)}")
    assert lists == []


def test_package_filters_go_through_event_concerns():
    """The Android followers and the judge compare no package by hand (a `startswith` matched
    com.foobar for com.foo): event_concerns is the one filter. (The iOS judge in campaign/observe.py
    keeps its exact bundle id.)"""
    files = [
        "cli/watch.py",
        "collectors/android/jobs.py",
        "collectors/android/judge.py",
        "collectors/android/logfollow.py",
        "collectors/campaign/worker.py",
        "collectors/scan.py",
    ]
    by_hand = [
        f"{name}: {m.group(0)}"
        for name in files
        for m in re.finditer(r"\.package\s*(==|!=|in\s*\()|startswith\([^)]*package", _code(REPO / name))
    ]
    assert by_hand == []


def test_kinds_and_outcomes_are_the_strings_of_the_outputs():
    assert tuple(k.value for k in Kind) == KINDS and all(type(k) is str for k in KINDS)
    assert OUTCOMES == (
        "success", "failure", "timeout", "killed", "stopped", "not_started", "device_lost", "skipped",
    )  # fmt: skip
    assert {"process_killed", "process_died", "crash"} == DEATH_KINDS
    made = Event(kind=Kind.ANR, source="s", where="w")
    assert made.to_json() == Event(kind="anr", source="s", where="w").to_json()
    assert json.dumps({"outcome": Outcome.NOT_STARTED}) == '{"outcome": "not_started"}'
    assert f"{Outcome.SUCCESS}" == "success" and Kind.CRASH == "crash" and "crash" in DEATH_KINDS
