"""An iPhone's share of a campaign: the device log through the iOS parsers as the feed, BGTask
launch through debugserver/lldb to force a task (prerequisites checked first; what is missing is
recorded as the attempt's reason), DVT condition inducer profiles held for a condition block."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from bgprobe.collectors.campaign.observe import Feed, Seen, SeenBuffer
from bgprobe.collectors.campaign.results import TaskRun
from bgprobe.collectors.campaign.scenario import Condition, Task
from bgprobe.collectors.campaign.worker import SkipCondition, Worker
from bgprobe.collectors.errors import BgprobeError
from bgprobe.collectors.ios.transport import IosError, IosTarget, lockdown
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

    def new_feed(self) -> Feed:
        return IosFeed(self.target, self.udid).start()

    @contextlib.contextmanager
    def condition(self, condition: Condition, runs: list[TaskRun]) -> Iterator[None]:
        if condition.settings and not condition.ios:
            names = ", ".join(condition.settings)
            raise SkipCondition(f"condition {condition.name!r} ({names}) has no iOS equivalent")
        if not condition.ios:
            yield
            return
        with _held_conditions(self.target, self.udid, condition):
            yield

    def force(self, task: Task) -> str | None:
        from bgprobe.collectors.ios import bgtask
        from bgprobe.collectors.ios.transport import run

        prerequisites = run(bgtask.gather(self.target, self.udid, task.app))
        missing = bgtask.unmet(prerequisites, task.app, task.identifier or "")
        if missing:
            return "BGTask launch not possible: " + "; ".join(missing)
        # The launch itself is watched by the campaign's own feed: wait only for lldb here.
        result = run(
            bgtask.run_trigger(self.target, prerequisites, task.app, task.identifier or "", expire=False, wait_s=1.0)
        )
        if result.outcome in ("not_submitted", "not_simulated", "failed"):
            return f"lldb: {result.outcome} ({result.lldb_output.strip()[-200:]})"
        return None

    def find_again(self) -> bool:
        from bgprobe.collectors.ios.transport import run, select_udids

        return self.udid in run(select_udids(self.target))


@contextlib.contextmanager
def _held_conditions(target: IosTarget, udid: str, condition: Condition) -> Iterator[None]:
    """DVT ConditionInducer profiles last only while their connection is held: hold it in a thread
    for the block, journaled by `hold`, cleared on every exit path."""
    from bgprobe.collectors.ios.conditions import ConditionError, dvt_inducer, hold, parse_ios_assignments
    from bgprobe.collectors.ios.transport import developer_provider
    from bgprobe.collectors.journal import Journal, ios_key

    try:
        assignments = [
            a for a in parse_ios_assignments([f"{k}={v}" for k, v in condition.ios.items()]) if a.key != "lowpower"
        ]
    except ConditionError as exc:
        raise SkipCondition(exc.message) from exc
    ready, release, failure = threading.Event(), threading.Event(), []

    async def holder() -> None:
        async with (
            lockdown(target, udid) as client,
            developer_provider(target, udid, client) as provider,
            dvt_inducer(provider) as inducer,
        ):

            async def wait() -> None:
                ready.set()
                while not release.is_set():
                    await asyncio.sleep(0.2)

            for a in assignments:
                await hold(inducer, Journal(ios_key(udid), udid), a, wait)

    def run_holder() -> None:
        try:
            asyncio.run(holder())
        except BaseException as exc:
            failure.append(exc)
        finally:
            ready.set()

    thread = threading.Thread(target=run_holder, daemon=True, name=f"dvt-{udid[:12]}")
    thread.start()
    ready.wait(timeout=target.timeout * 3)
    if failure:
        error = failure[0]
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        raise SkipCondition(f"iOS condition {condition.name!r} not available: {message}")
    try:
        yield
    finally:
        release.set()
        thread.join(timeout=target.timeout * 2)
