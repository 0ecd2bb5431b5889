"""The judge of an Android attempt, on the events a feed holds (no phone needed)."""

from __future__ import annotations

from bgprobe.collectors.android.judge import AndroidJob, judge_events
from bgprobe.collectors.campaign.observe import Seen, judge
from bgprobe.collectors.campaign.scenario import Task
from bgprobe.reports.attempts import Outcome
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


def test_a_crash_after_the_start_ends_the_run_as_killed_for_trigger_and_campaign_alike():
    """One judge (collectors/android/judge.py): `trigger` ignored crashes and took a kill logged before
    the start as the run's end; campaigns did not. Both now read the same events the same way."""
    crash = Event(
        kind="crash", source="logcat:AndroidRuntime", where="live:1", ts="2026-11-30T12:00:15.000",
        package="com.example.syncapp", process="com.example.syncapp:sync", pid=4321, reason="java_exception",
    )  # fmt: skip
    started = "2026-11-30T12:00:10.000"
    campaign = judge(TASK, [Seen(1, crash.ts, event=crash)], started=started)
    job = AndroidJob("com.example.syncapp", 12)
    trigger = judge_events(job, [crash], started=started)
    assert (campaign.outcome, campaign.reason) == (Outcome.KILLED, "java_exception")
    assert (trigger.outcome, trigger.reason) == (Outcome.KILLED, "java_exception")
    early = death("2026-11-30T12:00:05.000").event
    assert early is not None and judge_events(job, [early], started=started).outcome is None


def test_a_look_alike_apps_death_is_not_the_runs_end():
    """`com.example.syncappx` starts with the task's package and is another app (event_concerns is exact)."""
    other = death("2026-11-30T12:00:15.000").event
    assert other is not None
    other.package, other.process = "com.example.syncappx", "com.example.syncappx"
    assert judge(TASK, [Seen(1, other.ts, event=other)], started="2026-11-30T12:00:10.000").outcome is None
