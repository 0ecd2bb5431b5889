"""The simulated phone's behaviour model against the AOSP numbers it cites (sim/android/behaviour.py),
driven on one SimAndroidDevice without its loop: time is moved by hand (a clock that stands still)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bgprobe.sim.android import behaviour
from bgprobe.sim.android.device import SimAndroidDevice
from bgprobe.sim.android.profile import default_profiles
from bgprobe.sim.clock import SimClock

APP = "com.example.syncapp"
MIN = 60.0


class StillClock(SimClock):
    """A clock the test moves: now() is what the test says."""

    def __init__(self) -> None:
        super().__init__(1.0)
        self.at = datetime(2026, 11, 30, 9, 0, 0)

    def now(self) -> datetime:
        return self.at

    def elapsed(self) -> float:
        return (self.at - datetime(2026, 11, 30, 9, 0, 0)).total_seconds()

    def forward(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def phone(index: int, seed: int = 1) -> tuple[SimAndroidDevice, StillClock]:
    """index into the default fleet: 0 Pixel 8 (14), 1 Galaxy S23 (13), 2 Redmi (12), 3 P40 (10)."""
    clock = StillClock()
    return SimAndroidDevice(default_profiles(index + 1)[index], clock, seed=seed), clock


def test_deep_doze_cycles_as_device_idle_controller_times_it():
    phase = behaviour.doze_phase
    assert phase("deep", 59 * MIN) == "IDLE"  # DEFAULT_IDLE_TIMEOUT = 60 min
    assert phase("deep", 61 * MIN) == "IDLE_MAINTENANCE"  # DEFAULT_IDLE_PENDING_TIMEOUT = 5 min
    assert phase("deep", 66 * MIN) == "IDLE"  # then 2 h (DEFAULT_IDLE_FACTOR)
    assert phase("deep", 65 * MIN + 120 * MIN + 1) == "IDLE_MAINTENANCE"  # a 10-min window now
    assert phase("deep", 65 * MIN + 120 * MIN + 9 * MIN) == "IDLE_MAINTENANCE"
    assert phase("light", 4 * MIN) == "IDLE" and phase("light", 5.5 * MIN) == "IDLE_MAINTENANCE"


def test_a_forced_job_waits_in_deep_doze_until_the_maintenance_window():
    dev, clock = phone(0)
    dev.force_idle("deep")
    job = dev.jobs[(APP, 7)]
    dev.request_run(job, force=True, satisfied=False)
    assert job.running_since is None and "DEVICE_NOT_DOZING" in dev.not_ready(job)
    clock.forward(61 * MIN)
    dev.tick()
    assert job.running_since is not None  # ran in the maintenance window, its override still owed


def test_allowlisted_apps_pass_doze_restriction_and_quota():
    dev, _ = phone(0)
    dev.force_idle("deep")
    dev.run_any_in_background[APP] = ("ignore", None)
    dev.buckets[APP] = 40
    job = dev.jobs[(APP, 7)]
    assert {"DEVICE_NOT_DOZING", "BACKGROUND_NOT_RESTRICTED"} <= set(dev.blockers(job))
    dev.power_allowlist.add(APP)
    assert dev.blockers(job) == [] and dev.effective_bucket(APP) == 5


def _sessions(dev: SimAndroidDevice, clock: StillClock, n: int, seconds: float) -> None:
    for _ in range(n):
        dev.sessions.setdefault(APP, []).append([clock.now(), clock.now() + timedelta(seconds=seconds)])
        dev.job_starts.setdefault(APP, []).append(clock.now())
        clock.forward(seconds + 5 * MIN)


def test_rare_bucket_quota_per_android_version():
    # Android 11+: MAX_SESSION_COUNT_RARE = 3 sessions a day, however short
    dev, clock = phone(2)
    dev.buckets[APP] = 40
    _sessions(dev, clock, 2, 20)
    assert dev._within_quota(APP)
    _sessions(dev, clock, 1, 20)
    assert not dev._within_quota(APP)
    # Android 10: no session limit; 10 min of execution a day (ALLOWED_TIME_PER_PERIOD)
    dev10, clock10 = phone(3)
    dev10.buckets[APP] = 40
    _sessions(dev10, clock10, 5, 60)
    assert dev10._within_quota(APP)
    _sessions(dev10, clock10, 5, 60)
    assert not dev10._within_quota(APP)
    # the window slides: a day later the app has its quota back
    clock10.forward(24 * 3600)
    assert dev10._within_quota(APP)


def test_the_restricted_bucket_runs_jobs_out_of_quota_only_on_charge_and_idle():
    dev, clock = phone(0)
    dev.buckets[APP] = 45
    _sessions(dev, clock, 1, 20)  # MAX_SESSION_COUNT_RESTRICTED = 1
    job = dev.jobs[(APP, 12)]
    dev.state.plugged = ""
    assert "WITHIN_QUOTA" in dev.blockers(job)
    dev.state.plugged = "ac"
    assert "WITHIN_QUOTA" not in dev.blockers(job)  # DYNAMIC_RESTRICTED_CONSTRAINTS met


def test_a_makers_killer_spares_allowlisted_apps_and_stock_android_has_none():
    xiaomi, clock = phone(2)
    kills = [xiaomi._kill_schedule(xiaomi.jobs[(APP, 7)].app, clock.now(), xiaomi.draw("t", i)) for i in range(50)]
    assert all(k is not None for k in kills) and {k[1] for k in kills if k} >= {"oem"}
    xiaomi.power_allowlist.add(APP)
    spared = [xiaomi._kill_schedule(xiaomi.jobs[(APP, 7)].app, clock.now(), xiaomi.draw("t", i)) for i in range(50)]
    assert all(k is None or k[1] == "lmkd" for k in spared)
    pixel, clock = phone(0)
    stock = [pixel._kill_schedule(pixel.jobs[(APP, 7)].app, clock.now(), pixel.draw("t", i)) for i in range(50)]
    assert all(k is None or k[1] == "lmkd" for k in stock)


def test_a_runs_draws_do_not_depend_on_how_many_ticks_passed():
    def forced_run(ticks: int) -> tuple[timedelta, timedelta | None]:
        dev, clock = phone(1, seed=5)
        for _ in range(ticks):  # the scheduler's passes before the command: a slower or faster campaign
            clock.forward(15)
            dev.tick()
        dev.bump_epoch()  # `cmd jobscheduler run` (shell.py)
        job = dev.jobs[(APP, 7)]
        dev.request_run(job, force=True, satisfied=False)
        assert job.running_since is not None and job.ends_at is not None
        kill = dev.session_kill.get(APP)
        return job.ends_at - job.running_since, kill[0] - job.running_since if kill else None

    assert forced_run(3) == forced_run(40)
