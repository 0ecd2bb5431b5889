"""An iPhone's share of a campaign: the device log through the iOS parsers as the feed, BGTask
launch through debugserver/lldb to force a task (prerequisites checked first; what is missing is
recorded as the attempt's reason), DVT condition inducer profiles held for a condition block.

A condition block runs only while its condition holds on the phone: the profile is read back after it is set
(a block whose condition was not taken in time is skipped), re-read every second while held, and an attempt
during which the phone dropped it (a lost tunnel or DVT connection ends the condition on the phone) is recorded
as skipped, as is every run after it.

Natural attempts of a block run before its forced ones: `_simulateLaunchForTaskWithIdentifier:` cancels the app's
real pending request (BGTaskScheduler.mm, decompiled iOS 26.1: cancelTaskRequestWithIdentifier: before the
simulated run), so a natural attempt after a forced one waits for whatever request the app submits next.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from bgprobe.collectors.campaign.observe import Feed, Seen, SeenBuffer
from bgprobe.collectors.campaign.results import TaskRun
from bgprobe.collectors.campaign.scenario import Condition, Task
from bgprobe.collectors.campaign.worker import SkipCondition, Worker
from bgprobe.collectors.errors import BgprobeError
from bgprobe.collectors.ios.transport import IosError, IosTarget, lockdown
from bgprobe.reports.attempts import Outcome
from bgprobe.reports.events import Event


class IosFeed(SeenBuffer):
    """The syslog of one iPhone (syslog_relay, without pymobiledevice3's re-yield), as events."""

    def __init__(self, target: IosTarget, udid: str) -> None:
        super().__init__()
        self.target = target
        self.udid = udid
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"feed-{udid[:12]}")

    def start(self) -> IosFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)

    def _emit(self, event: Event) -> None:
        self.add(Seen(0, event.ts, event=event))

    def _run(self) -> None:
        from bgprobe.collectors.ios.watch import follow

        async def main() -> None:
            self._task = asyncio.current_task()
            await follow(self.target, self.udid, self._emit)

        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(main())
        except (asyncio.CancelledError, BgprobeError, OSError):
            pass
        finally:
            self._loop.close()
            self.ended.set()


class IosWorker(Worker):
    platform = "ios"
    loss_errors = (IosError,)

    def __init__(self, target: IosTarget, udid: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(udid, *args, **kwargs)
        self.target = target
        self.udid = udid
        self._held: _HeldCondition | None = None
        self._attempt_began = 0.0

    def new_feed(self) -> Feed:
        return IosFeed(self.target, self.udid).start()

    @contextlib.contextmanager
    def condition(self, condition: Condition, runs: list[TaskRun]) -> Iterator[None]:
        # natural before forced, in place (the block iterates this very list): see the module docstring
        runs.sort(key=lambda r: self.tasks[r.task].trigger == "forced")
        if condition.settings and not condition.ios:
            names = ", ".join(condition.settings)
            raise SkipCondition(f"condition {condition.name!r} ({names}) has no iOS equivalent")
        if not condition.ios:
            yield
            return
        with _held_conditions(self.target, self.udid, condition) as held:
            self._held = held
            try:
                yield
            finally:
                self._held = None

    def _attempt(self, run: TaskRun, task: Task, attempt: int) -> str | None:
        """Every attempt of a held block starts only while the condition holds; one during which it ended is
        recorded as skipped (`_record`), and the block's remaining runs are skipped with the reason."""
        held = self._held
        if held is not None and held.lost is not None:
            self._record(run, attempt, Outcome.SKIPPED, "condition lost", held.lost, None, None, None)
            raise SkipCondition(held.lost)
        self._attempt_began = time.monotonic()
        outcome = super()._attempt(run, task, attempt)
        if held is not None and held.lost is not None:
            raise SkipCondition(held.lost)  # this attempt was recorded as skipped (_record); so is the rest
        return outcome

    def _record(
        self,
        run: TaskRun,
        attempt: int,
        outcome: str,
        reason: str | None,
        detail: str | None,
        scheduled: str | None,
        started: str | None,
        finished: str | None,
    ) -> None:
        held = self._held
        lost_during = (
            held is not None
            and held.lost is not None
            and held.lost_at is not None
            and held.lost_at >= self._attempt_began
            and outcome not in (Outcome.SKIPPED, Outcome.DEVICE_LOST)
        )
        if lost_during and held is not None:
            # what the device did under a condition it no longer had says nothing about that condition
            detail = f"{held.lost}; the attempt itself ended as {outcome} ({reason or ''})"
            outcome, reason = Outcome.SKIPPED, "condition lost during the attempt"
        task = self.tasks.get(run.task)
        if outcome == Outcome.NOT_STARTED and detail is None and task is not None and task.trigger == "natural":
            detail = self._dasd_said(task.identifier or "")
        super()._record(run, attempt, outcome, reason, detail, scheduled, started, finished)

    def _dasd_said(self, identifier: str) -> str | None:
        """Why a natural run did not come, in dasd's words: its last policy evaluation of the task's activity that
        the log showed (`…: Must Not Proceed` and the policies that said so, e.g. LowPowerModePolicy). Only the
        detail: the reason stays the window, which does not depend on when dasd happened to look."""
        if self.feed is None or not identifier:
            return None
        for seen in reversed(self.feed.since(0)):
            e = seen.event
            if e is None or e.process != "dasd" or e.job != identifier or e.reason != "deferred":
                continue
            blocking = e.data.get("blocking") or []
            policies = f" ({', '.join(str(b) for b in blocking)})" if blocking else ""
            return f"dasd's last evaluation: {e.data.get('decision') or 'Must Not Proceed'}{policies}"
        return None

    def force(self, task: Task) -> str | None:
        from bgprobe.collectors.ios import bgtask
        from bgprobe.collectors.ios.transport import run

        prerequisites = run(bgtask.gather(self.target, self.udid, task.app))
        missing = bgtask.unmet(prerequisites, task.app, task.identifier or "")
        if missing:
            return "BGTask launch not possible: " + "; ".join(missing)
        # The launch itself is watched by the campaign's own feed: wait only until the app started it.
        try:
            result = run(
                bgtask.run_trigger(
                    self.target, prerequisites, task.app, task.identifier or "", expire=False, wait_s=0.5
                )
            )
        except bgtask.LldbError as err:
            return f"lldb: {err.message}"
        if result.outcome in ("not_submitted", "not_simulated", "already_running", "failed"):
            return f"lldb: {result.outcome} ({result.lldb_output.strip()[-200:]})"
        return None

    def find_again(self) -> bool:
        from bgprobe.collectors.ios.transport import run, select_udids

        return self.udid in run(select_udids(self.target))


class _HeldCondition:
    """What the holder thread reports: when the phone lost the condition, and why."""

    def __init__(self) -> None:
        self.lost: str | None = None
        self.lost_at: float | None = None

    def lose(self, why: str) -> None:
        if self.lost is None:
            self.lost, self.lost_at = why, time.monotonic()


@contextlib.contextmanager
def _held_conditions(target: IosTarget, udid: str, condition: Condition) -> Iterator[_HeldCondition]:
    """DVT ConditionInducer profiles last only while their connection is held: hold it in a thread for the
    block, journaled by `hold`, read back, re-read while held, cleared on every exit path."""
    from bgprobe.collectors.ios.conditions import (
        ConditionError,
        ConditionLost,
        dvt_inducer,
        hold,
        keep,
        parse_ios_assignments,
    )
    from bgprobe.collectors.ios.transport import developer_provider, require_developer_services
    from bgprobe.collectors.journal import Journal, ios_key

    try:
        assignments = parse_ios_assignments([f"{k}={v}" for k, v in condition.ios.items()])
    except ConditionError as exc:
        raise SkipCondition(exc.message) from exc
    if any(a.key == "lowpower" for a in assignments):
        # only an operator can switch Low Power Mode; a block must not run as if it were set
        raise SkipCondition(
            f"condition {condition.name!r}: lowpower cannot be applied in a campaign (no remote switch exists)"
        )
    held = _HeldCondition()
    ready, failure = threading.Event(), []
    state: dict[str, Any] = {}

    async def holder() -> None:
        state["loop"] = asyncio.get_running_loop()
        release = state["release"] = asyncio.Event()
        async with lockdown(target, udid) as client:
            await require_developer_services(client, target, udid)
            async with developer_provider(target, udid, client) as provider, dvt_inducer(provider) as inducer:
                for a in assignments:

                    async def wait(value: str = a.value) -> None:
                        ready.set()
                        try:
                            await keep(inducer, value, release)
                        except ConditionLost as lost:
                            held.lose(str(lost))

                    await hold(inducer, Journal(ios_key(udid), udid), a, wait)
                    if not a.value:
                        ready.set()  # `none`: nothing to hold, the block runs without an induced condition
                        await release.wait()

    def run_holder() -> None:
        try:
            asyncio.run(holder())
        except BaseException as exc:
            failure.append(exc)
            held.lose(f"the condition's DVT connection failed: {getattr(exc, 'message', None) or exc}")
        finally:
            ready.set()

    def release() -> None:
        loop, event = state.get("loop"), state.get("release")
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the holder's loop already ended
                loop.call_soon_threadsafe(event.set)

    thread = threading.Thread(target=run_holder, daemon=True, name=f"dvt-{udid[:12]}")
    thread.start()
    wait_s = target.timeout * 3
    if not ready.wait(timeout=wait_s) or failure:
        release()
        thread.join(timeout=target.timeout * 2)
        if failure:
            error = failure[0]
            message = getattr(error, "message", None) or str(error) or type(error).__name__
            raise SkipCondition(f"iOS condition {condition.name!r} not available: {message}")
        raise SkipCondition(f"iOS condition {condition.name!r} was not set on the phone within {wait_s:g} s")
    try:
        yield held
    finally:
        release()
        thread.join(timeout=target.timeout * 2)
