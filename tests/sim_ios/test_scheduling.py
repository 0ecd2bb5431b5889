"""dasd as the simulated iPhone models it (sources in sim/ios/device.py): app refresh rare and spaced out by the
app's budget, processing only on the charger and idle, nothing in Low Power Mode, no refresh with Background App
Refresh off; every draw keyed per (seed, device, task, request), so the same seed gives the same runs at any speed."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from datetime import datetime

from bgprobe.sim.clock import SimClock
from bgprobe.sim.ios.device import SimulatedIPhone
from bgprobe.sim.ios.profiles import make_profile

NEWS_REFRESH = "com.example.newsreader.refresh"
START = re.compile(r"Starting task: <BG(?:AppRefresh|Processing)Task: (?P<id>[\w.]+)>$")
LAUNCHED = re.compile(r"Application launched for activities: .*?(?P<act>bg\w+-[\w.]+:[0-9A-F]{6})", re.S)
DONE = re.compile(r"Marking task <BG\w+Task: (?P<id>[\w.]+)> complete with success: (?P<ok>[01])")


def _device(
    seed: int = 5, speed: float = 60_000, start: datetime | None = None, **conditions: object
) -> SimulatedIPhone:
    dev = SimulatedIPhone(make_profile(0, seed, product_version="16.7.8"), SimClock(speed, start), seed=seed)
    if conditions:
        dev.set_conditions(**conditions)
    return dev


def _live(dev: SimulatedIPhone, device_hours: float) -> list[str]:
    async def main() -> None:
        task = asyncio.create_task(dev.run())
        await asyncio.sleep(device_hours * 3600 / dev.clock.speed)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    return [r.message for r in dev.history]


def _starts(messages: list[str]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for m in messages:
        if (s := START.search(m)) is not None:
            out[s["id"]] += 1
    return out


def test_app_refresh_is_rare_and_spaced_out_by_the_apps_budget() -> None:
    dev = _device()
    messages = _live(dev, 24)
    starts = _starts(messages)
    # a few a day (the news app's budget is 4, the fitness app's 2), not every 15 minutes as the app asks
    assert 2 <= starts[NEWS_REFRESH] <= 6, starts
    assert 1 <= starts["com.example.fitsync.refresh"] <= 3, starts
    # until its turn, dasd says so in every evaluation
    assert any("bgRefresh-com.example.newsreader.refresh:" in m and "name: ApplicationPolicy" in m for m in messages)
    # processing tasks wait for the charger: none on battery
    assert starts["com.example.newsreader.cleanup"] == 0
    assert any("bgProcessing-com.example.newsreader.cleanup:" in m and "ChargerPluggedInPolicy" in m for m in messages)


def test_nothing_runs_in_the_first_hours_after_a_request() -> None:
    """The first opportunity comes at least half a day's share after the earliest date: 3 h for the news app."""
    assert _starts(_live(_device(seed=8, speed=20_000), 2.5)) == {}


def test_processing_runs_on_the_charger_while_idle_and_not_while_in_use() -> None:
    messages = _live(_device(charging=True), 3)
    starts = _starts(messages)
    assert starts["com.example.newsreader.cleanup"] >= 3  # every 30 min as asked, once plugged in and idle
    busy = _device(charging=True, in_use=True)
    messages = _live(busy, 3)
    assert _starts(messages).get("com.example.newsreader.cleanup", 0) == 0
    assert any("cleanup" in m and "name: DeviceActivityPolicy" in m and "Must Not Proceed" in m for m in messages)


def test_low_power_mode_runs_nothing_and_background_app_refresh_off_no_refresh() -> None:
    messages = _live(_device(low_power=True, charging=True), 24)
    assert _starts(messages) == {}
    assert sum("LowPowerModePolicy" in m for m in messages) > 20
    messages = _live(_device(background_app_refresh=False, charging=True), 12)
    starts = _starts(messages)
    assert starts[NEWS_REFRESH] == 0 and starts["com.example.newsreader.cleanup"] > 0
    assert any("BackgroundAppRefreshPolicy" in m for m in messages)


def test_the_same_seed_gives_the_same_runs_at_any_speed() -> None:
    """Launch order per task, the activities launched and the outcomes do not depend on how fast the host ran
    (the speed changes every wall-clock tick) — only on the seed."""

    def runs(seed: int, speed: float) -> dict[str, list[tuple[str, str]]]:
        dev = _device(seed=seed, speed=speed, start=datetime(2026, 3, 2, 22, 0), charging=True)
        launched: dict[str, list[str]] = defaultdict(list)
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for m in _live(dev, 20):
            if (a := LAUNCHED.search(m)) is not None:
                act = a["act"]
                launched[act.split("-", 1)[1].rsplit(":", 1)[0]].append(act)
            elif (d := DONE.search(m)) is not None and launched[d["id"]]:
                out[d["id"]].append((launched[d["id"]][len(out[d["id"]])], d["ok"]))
        return {task: seq[:3] for task, seq in out.items()}  # the first runs: both hosts got that far

    slow, fast = runs(21, 30_000), runs(21, 90_000)
    assert slow == fast and slow[NEWS_REFRESH] and slow["com.example.newsreader.cleanup"]
    assert runs(22, 60_000) != slow


def test_a_running_processing_task_ends_when_the_user_picks_the_phone_up() -> None:
    from dataclasses import replace

    from bgprobe.sim.ios.profiles import DEFAULT_APPS, AppProfile, BgTaskSpec

    cleanup = BgTaskSpec("com.example.newsreader.cleanup", "processing", work_seconds=600, first_delay_seconds=60)
    news = AppProfile("com.example.newsreader", "NewsReader", (cleanup,))
    profile = replace(make_profile(0, 5, product_version="16.7.8"), apps=(news, *DEFAULT_APPS[2:]))
    dev = SimulatedIPhone(profile, SimClock(60), seed=5)
    dev.set_conditions(charging=True)

    async def main() -> None:
        task = asyncio.create_task(dev.run())
        for _ in range(200):
            if any(
                "Starting task: <BGProcessingTask: com.example.newsreader.cleanup>" in r.message for r in dev.history
            ):
                break
            await asyncio.sleep(0.02)
        dev.set_conditions(in_use=True)
        await asyncio.sleep(0.2)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    messages = [r.message for r in dev.history]
    started = messages.index("Starting task: <BGProcessingTask: com.example.newsreader.cleanup>")
    after = messages[started:]
    assert "Expiring task: <BGProcessingTask: com.example.newsreader.cleanup>" in after
    assert "Marking task <BGProcessingTask: com.example.newsreader.cleanup> complete with success: 0" in after


def test_a_forced_launch_runs_in_low_power_mode() -> None:
    """`_simulateLaunchForTaskWithIdentifier:` through debugserver is the app calling its own handler: dasd's
    policies (here Low Power Mode) do not hold it back, while the natural request never runs."""
    dev = _device(speed=600, low_power=True)

    async def main() -> None:
        task = asyncio.create_task(dev.run())
        await asyncio.sleep(0.1)  # the apps have submitted their requests
        app = dev.debug_attach(dev.pid_of("com.example.newsreader"))
        assert app is not None
        expression = f'(void)[[BGTaskScheduler sharedScheduler] _simulateLaunchForTaskWithIdentifier:@"{NEWS_REFRESH}"]'
        assert dev.debug_evaluate(app, expression) == ""
        dev.debug_resume(app)
        await asyncio.sleep(0.3)  # 180 device seconds: the 8 s refresh is done
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    messages = [r.message for r in dev.history]
    assert f"Starting simulated task: <BGAppRefreshTask: {NEWS_REFRESH}>" in messages
    assert f"Marking simulated task complete: <BGAppRefreshTask: {NEWS_REFRESH}>" in messages
    assert f"Starting task: <BGAppRefreshTask: {NEWS_REFRESH}>" not in messages
