"""The judge of an Android attempt, on the events a feed holds (no phone needed)."""

from __future__ import annotations

from bgprobe.collectors.campaign.observe import Seen, judge
from bgprobe.collectors.campaign.scenario import Task
from bgprobe.reports.events import Event

TASK = Task("cleanup", "com.example.syncapp", "android", "jobscheduler", 12, None, None, "natural", 60.0)


def death(ts: str) -> Seen:
    event = Event(
        kind="process_killed", source="logcat:ActivityManager", where="live:1", ts=ts,
        package="com.example.syncapp", process="com.example.syncapp", pid=4321, reason="too_many_empty",
    )  # fmt: skip
    return Seen(1, ts, event=event)


def test_a_death_before_the_start_the_scheduler_reported_is_not_this_runs_end():
    """The start of a plain job comes from the scheduler's state, seen at a poll after the log lines
    around it: a death of the app's previous process, logged before that start, must not end the run
    as killed (a demo attempt finished 451 s before it started)."""
    verdict = judge(TASK, [death("2026-11-30T12:00:05.000")], started="2026-11-30T12:00:10.000")
    assert verdict.outcome is None
    verdict = judge(TASK, [death("2026-11-30T12:00:15.000")], started="2026-11-30T12:00:10.000")
    assert verdict.outcome == "killed" and verdict.finished == "2026-11-30T12:00:15.000"
    assert verdict.started is not None and verdict.finished >= verdict.started
