"""What a simulated Android phone is: OS version, maker and its kill policy, apps and their work.

How the phones behave (doze, quotas, execution limits, each maker's killer and lmkd) follows the
published facts gathered, with their sources, in sim/android/behaviour.py. The killers log as the real
ones do: Samsung's and OnePlus's optimizers force-stop through the public API, Xiaomi's cleaner kills
(`OneKeyClean`), Huawei's HwPFWService force-stops wakelock holders.
"""

from __future__ import annotations

import math
import re
import tomllib
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from bgprobe.sim.android.behaviour import KILLERS, Killer

# release -> (SDK_INT, build id)
VERSIONS: dict[str, tuple[int, str]] = {
    "9": (28, "PQ3A.190801.002"),
    "10": (29, "QQ3A.200805.001"),
    "11": (30, "RQ3A.211001.001"),
    "12": (31, "SQ3A.220705.004"),
    "13": (33, "TQ3A.230901.001"),
    "14": (34, "UQ1A.240205.004"),
    "15": (35, "AP4A.250105.002"),
}

# maker -> kill policy: which killer runs on its phones and how soon it acts (sim/android/behaviour.py,
# with the sources). dontkillmyapp.com ranks Samsung first (the worst), then Huawei, OnePlus, Xiaomi.
KILL_POLICIES = KILLERS
MAKER_POLICY = {
    "Google": "stock",
    "Samsung": "aggressive",
    "Xiaomi": "aggressive",
    "Huawei": "aggressive",
    "OnePlus": "moderate",
}

WORKMANAGER_SERVICE = "androidx.work.impl.background.systemjob.SystemJobService"


@dataclass
class JobSpec:
    job_id: int
    service: str  # ".SyncJobService" or the WorkManager SystemJobService
    needs_network: bool = False
    needs_charging: bool = False
    needs_idle: bool = False
    needs_battery_not_low: bool = False
    period_s: float | None = None  # periodic jobs run again after this
    min_latency_s: float = 0.0
    work_s: float = 20.0  # how long the work takes once started
    failure_rate: float = 0.0  # chance the work fails (WorkManager: RETRY)
    hangs: bool = False  # never calls jobFinished: JobScheduler times it out
    worker: str | None = None  # WorkManager worker class; set for WorkManager jobs
    work_id: str | None = None  # WorkManager WorkSpec id
    # JobInfo.Builder.setBackoffCriteria (WorkManager's own default: exponential, 30 s): how long
    # JobScheduler waits after a failure (doubling each time), and WorkManager's retried work with it
    backoff_s: float = 30.0

    @property
    def workmanager(self) -> bool:
        return self.worker is not None


@dataclass
class AppSpec:
    package: str
    app_id: int  # uid = 10000 + app_id, printed u0a<app_id>
    memory_mb: int = 120
    log_tag: str = "App"
    jobs: list[JobSpec] = field(default_factory=list)
    # WorkManager's Configuration.setMinimumLoggingLevel (V, D, I, W, E): androidx.work's
    # Configuration.Builder defaults to Log.INFO, and WorkManagerImpl installs
    # Logger.LogcatLogger(that level), so "Starting work for" / "Delaying execution for"
    # (WorkerWrapper, Logger.debug) reach logcat only in apps that chose DEBUG or VERBOSE.
    wm_log_level: str = "I"
    # Permissions its manifest requests (`dumpsys package`'s "requested permissions:"): what `bgprobe
    # doctor` reads to know whether exact alarms and notifications matter to the app.
    permissions: list[str] = field(default_factory=lambda: ["android.permission.INTERNET"])

    @property
    def uid(self) -> int:
        return 10000 + self.app_id


@dataclass
class DeviceProfile:
    serial: str
    release: str = "14"
    manufacturer: str = "Google"
    model: str = "Pixel 8"
    device: str = "shiba"
    product: str = "shiba"
    battery_level: int = 80
    plugged: str = "usb"  # "ac" | "usb" | "" (unplugged)
    apps: list[AppSpec] = field(default_factory=list)
    kill_policy: str | None = None  # default: from the manufacturer
    # Some OEM builds accept `am set-standby-bucket` and silently keep their own bucket (EMUI's
    # PowerGenie manages app standby itself): a change a tool must detect by reading it back.
    ignores_standby_buckets: bool = False
    # Dual-SIM phones keep mobile data per subscription (`mobile_data<subId>`), not in `mobile_data`.
    sims: int = 1
    # Devices that share a behaviour seed draw the same random numbers (job durations, failures,
    # kills): identical twins, so that a scale benchmark gives every device the same work.
    behaviour_seed: str | None = None
    # Apps the user exempted from battery optimization on this phone (DeviceIdleController's user
    # allowlist, `dumpsys deviceidle whitelist` prints them as `user,PKG,APPID`).
    power_allowlist: list[str] = field(default_factory=list)

    @property
    def sdk(self) -> int:
        return VERSIONS[self.release][0]

    @property
    def build_id(self) -> str:
        return VERSIONS[self.release][1]

    @property
    def policy(self) -> Killer:
        return KILL_POLICIES[self.kill_policy or MAKER_POLICY.get(self.manufacturer, "stock")]


def demo_app(seed: str) -> AppSpec:
    """The bundled demo app: a WorkManager sync needing network, an upload needing charging,
    a periodic cleanup, and a job that hangs (so JobScheduler times it out)."""
    ns = uuid.uuid5(uuid.NAMESPACE_URL, f"bgprobe-sim/{seed}")
    return AppSpec(
        package="com.example.syncapp",
        app_id=245,
        memory_mb=180,
        log_tag="SyncApp",
        jobs=[
            JobSpec(
                1042,
                WORKMANAGER_SERVICE,
                needs_network=True,
                work_s=25,
                failure_rate=0.2,
                worker="com.example.syncapp.SyncWorker",
                work_id=str(uuid.uuid5(ns, "sync")),
            ),
            JobSpec(7, ".ImageUploadJobService", needs_charging=True, work_s=40),
            JobSpec(12, ".CleanupJobService", period_s=900, work_s=10),
            JobSpec(31, ".ReportJobService", needs_network=True, hangs=True, work_s=30),
        ],
        # A sync app that reminds its user: exact alarms (AlarmManager.setExactAndAllowWhileIdle) and
        # notifications (its foreground sync and its reminders).
        permissions=[
            "android.permission.INTERNET",
            "android.permission.RECEIVE_BOOT_COMPLETED",
            "android.permission.WAKE_LOCK",
            "android.permission.FOREGROUND_SERVICE",
            "android.permission.SCHEDULE_EXACT_ALARM",
            "android.permission.POST_NOTIFICATIONS",
        ],
    )


def other_apps() -> list[AppSpec]:
    return [
        AppSpec(
            "com.example.notes",
            112,
            memory_mb=90,
            log_tag="Notes",
            jobs=[JobSpec(3, ".BackupJob", needs_battery_not_low=True, period_s=1800, work_s=15)],
        ),
        AppSpec(
            "com.example.news",
            130,
            memory_mb=150,
            log_tag="News",
            jobs=[JobSpec(5, ".FeedRefreshJob", needs_network=True, period_s=1200, work_s=8)],
        ),
    ]


DEFAULT_FLEET: list[tuple[str, str, str, str, str]] = [
    # release, manufacturer, model, device
    ("14", "Google", "Pixel 8", "shiba", "sim-pixel8"),
    ("13", "Samsung", "SM-S911B", "dm1q", "sim-galaxy-s23"),
    ("12", "Xiaomi", "Redmi Note 11", "spes", "sim-redmi-note11"),
    ("10", "Huawei", "ELS-NX9", "HWELS", "sim-p40pro"),
    ("15", "Google", "Pixel 9", "tokay", "sim-pixel9"),
    ("11", "OnePlus", "IN2023", "OnePlus8Pro", "sim-oneplus8pro"),
    ("9", "Samsung", "SM-G960F", "starlte", "sim-galaxy-s9"),
]


def default_profiles(count: int) -> list[DeviceProfile]:
    """`count` devices cycling through DEFAULT_FLEET (serials stay unique)."""
    profiles = []
    for i in range(count):
        release, maker, model, device, name = DEFAULT_FLEET[i % len(DEFAULT_FLEET)]
        serial = f"{name}-{i // len(DEFAULT_FLEET) + 1:02d}"
        profiles.append(
            DeviceProfile(
                serial=serial,
                release=release,
                manufacturer=maker,
                model=model,
                device=device,
                product=device,
                apps=[demo_app(serial), *other_apps()],
                ignores_standby_buckets=maker == "Huawei",
                sims=2 if maker == "Xiaomi" else 1,  # the Redmi Note 11 is a dual-SIM phone
            )
        )
    return profiles


class ProfileError(ValueError):
    """A fleet profile that cannot describe a fleet: the message names the table and the key."""


# Text that ends up in getprop lines, log lines and journal keys: one line, no shell specials.
_SERIAL = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_PACKAGE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$")
PLUGGED = ("", "ac", "usb", "wireless")
ANDROID_KEYS = (
    "serial",
    "release",
    "manufacturer",
    "model",
    "device",
    "battery_level",
    "plugged",
    "kill_policy",
    "ignores_standby_buckets",
    "sims",
    "apps",
    "power_allowlist",
)
APP_KEYS = ("package", "app_id", "memory_mb", "log_tag", "jobs", "wm_log_level", "permissions")
_PERMISSION = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+$")
WM_LOG_LEVELS = ("V", "D", "I", "W", "E")
JOB_KEYS = tuple(f.name for f in fields(JobSpec))
IOS_KEYS = ("name", "version", "product_type")


def read_profile(path: Path) -> dict[str, Any]:
    """The TOML of a fleet profile, with only [[android]] and [[ios]] arrays of tables in it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"cannot read it ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ProfileError(f"not UTF-8 text (byte {exc.start}); a fleet profile is a TOML file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"not valid TOML: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, nesting too deep
        raise ProfileError(f"not valid TOML: {type(exc).__name__}") from exc
    _only(data, ("android", "ios"), "the profile")
    for key in ("android", "ios"):
        tables = data.get(key, [])
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            raise ProfileError(f"{key}: expected [[{key}]] tables")
    return data


def _only(table: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = [k for k in table if k not in allowed]
    if unknown:
        raise ProfileError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(allowed)})")


def _get(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any) -> Any:
    """table[key] if it is of `kind` (bool is not a number here), else `default` when absent."""
    if key not in table:
        return default
    value = table[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        names = " or ".join(
            {str: "text", int: "a whole number", float: "a number", bool: "true or false"}[k] for k in kinds
        )
        raise ProfileError(f"{where}.{key}: {value!r:.40} is not {names}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ProfileError(f"{where}.{key}: {value!r} is not a finite number")
    return value


def _text(table: dict[str, Any], key: str, where: str, default: str, pattern: re.Pattern[str] | None = None) -> str:
    value = _get(table, key, str, where, default)
    if pattern is not None and not pattern.match(value):
        raise ProfileError(f"{where}.{key}: {value!r:.40} is not allowed here ({pattern.pattern})")
    if "\n" in value or "\r" in value:
        raise ProfileError(f"{where}.{key}: one line of text, please")
    return value


def _number(table: dict[str, Any], key: str, where: str, default: Any, low: float, high: float) -> Any:
    value = _get(table, key, (int, float), where, default)
    if value is not None and not low <= value <= high:
        raise ProfileError(f"{where}.{key}: {value!r:.40} is not between {low:g} and {high:g}")
    return value


def _whole(table: dict[str, Any], key: str, where: str, default: int | None, low: int, high: int) -> Any:
    value = _get(table, key, int, where, default)
    if value is not None and not low <= value <= high:
        raise ProfileError(f"{where}.{key}: {value!r:.40} is not between {low} and {high}")
    return value


def _job(raw: dict[str, Any], where: str) -> JobSpec:
    _only(raw, JOB_KEYS, where)
    for key in ("job_id", "service"):
        if key not in raw:
            raise ProfileError(f"{where}: {key} is missing")
    return JobSpec(
        job_id=_whole(raw, "job_id", where, None, 0, 2**31 - 1),
        service=_text(raw, "service", where, ""),
        needs_network=_get(raw, "needs_network", bool, where, False),
        needs_charging=_get(raw, "needs_charging", bool, where, False),
        needs_idle=_get(raw, "needs_idle", bool, where, False),
        needs_battery_not_low=_get(raw, "needs_battery_not_low", bool, where, False),
        period_s=_number(raw, "period_s", where, None, 1, 10**9),
        min_latency_s=_number(raw, "min_latency_s", where, 0.0, 0, 10**9),
        work_s=_number(raw, "work_s", where, 20.0, 0, 10**9),
        failure_rate=_number(raw, "failure_rate", where, 0.0, 0, 1),
        hangs=_get(raw, "hangs", bool, where, False),
        worker=_get(raw, "worker", str, where, None),
        work_id=_get(raw, "work_id", str, where, None),
        backoff_s=_number(raw, "backoff_s", where, 30.0, 10, 5 * 3600),
    )


def _app(raw: dict[str, Any], j: int, where: str) -> AppSpec:
    _only(raw, APP_KEYS, where)
    if "package" not in raw:
        raise ProfileError(f"{where}: package is missing")
    jobs_raw = raw.get("jobs", [])
    if not isinstance(jobs_raw, list) or not all(isinstance(t, dict) for t in jobs_raw):
        raise ProfileError(f"{where}.jobs: expected [[...jobs]] tables")
    jobs = [_job(t, f"{where}.jobs[{k}]") for k, t in enumerate(jobs_raw)]
    ids = [job.job_id for job in jobs]
    if len(set(ids)) != len(ids):
        raise ProfileError(f"{where}.jobs: job_id {next(i for i in ids if ids.count(i) > 1)} appears twice")
    return AppSpec(
        package=_text(raw, "package", where, "", _PACKAGE),
        app_id=_whole(raw, "app_id", where, 200 + j, 0, 9999),
        memory_mb=_whole(raw, "memory_mb", where, 120, 1, 1 << 20),
        log_tag=_text(raw, "log_tag", where, "App", _SERIAL),
        jobs=jobs,
        wm_log_level=_wm_log_level(raw, where),
        permissions=_names(raw, "permissions", where, _PERMISSION, ["android.permission.INTERNET"]),
    )


def _names(raw: dict[str, Any], key: str, where: str, pattern: re.Pattern[str], default: list[str]) -> list[str]:
    """A list of permission or package names (they reach `dumpsys` text as they are: one word each)."""
    values = raw.get(key, default)
    if not isinstance(values, list) or not all(isinstance(v, str) and pattern.match(v) for v in values):
        raise ProfileError(f"{where}.{key}: expected a list of names like {pattern.pattern}")
    return list(values)


def _wm_log_level(raw: dict[str, Any], where: str) -> str:
    level = _get(raw, "wm_log_level", str, where, "I")
    if level not in WM_LOG_LEVELS:
        raise ProfileError(f"{where}.wm_log_level {level!r:.40} is not one of {', '.join(WM_LOG_LEVELS)}")
    return level


def load_profiles(path: Path) -> list[DeviceProfile]:
    """A TOML fleet: [[android]] tables with serial, release, manufacturer, model, ... and optional
    [[android.apps]] with [[android.apps.jobs]]; devices without apps get the demo apps. Every key
    is checked: a ProfileError (a ValueError) names the first one that cannot be used."""
    data = read_profile(path)
    profiles: list[DeviceProfile] = []
    for i, dev in enumerate(data.get("android", [])):
        where = f"android[{i}]"
        _only(dev, ANDROID_KEYS, where)
        release = str(_get(dev, "release", (str, int), where, "14"))
        if release not in VERSIONS:
            raise ProfileError(f"{where}.release {release!r} is not one of {', '.join(VERSIONS)}")
        apps_raw = dev.get("apps", [])
        if not isinstance(apps_raw, list) or not all(isinstance(t, dict) for t in apps_raw):
            raise ProfileError(f"{where}.apps: expected [[android.apps]] tables")
        apps = [_app(a, j, f"{where}.apps[{j}]") for j, a in enumerate(apps_raw)]
        serial = _text(dev, "serial", where, f"sim-android-{i + 1:02d}", _SERIAL)
        if any(p.serial == serial for p in profiles):
            raise ProfileError(f"{where}.serial: {serial!r} is already the serial of another phone")
        kill_policy = _get(dev, "kill_policy", str, where, None)
        if kill_policy is not None and kill_policy not in KILL_POLICIES:
            raise ProfileError(f"{where}.kill_policy {kill_policy!r:.40} is not one of {', '.join(KILL_POLICIES)}")
        plugged = _get(dev, "plugged", str, where, "usb")
        if plugged not in PLUGGED:
            raise ProfileError(f"{where}.plugged {plugged!r:.40} is not one of {', '.join(map(repr, PLUGGED))}")
        device = _text(dev, "device", where, "shiba", _SERIAL)
        profiles.append(
            DeviceProfile(
                serial=serial,
                release=release,
                manufacturer=_text(dev, "manufacturer", where, "Google"),
                model=_text(dev, "model", where, "Pixel 8"),
                device=device,
                product=device,
                battery_level=_whole(dev, "battery_level", where, 80, 0, 100),
                plugged=plugged,
                apps=apps or [demo_app(serial), *other_apps()],
                kill_policy=kill_policy,
                ignores_standby_buckets=_get(dev, "ignores_standby_buckets", bool, where, False),
                sims=_whole(dev, "sims", where, 1, 1, 2),
                power_allowlist=_names(dev, "power_allowlist", where, _PACKAGE, []),
            )
        )
    return profiles


def load_ios_profiles(path: Path) -> list[Any]:
    """The [[ios]] tables of a fleet profile: version (a key of IOS_BUILDS), product_type, name."""
    from dataclasses import replace

    from bgprobe.sim.ios.profiles import IOS_BUILDS, MODELS, make_profile

    data = read_profile(path)
    profiles = []
    for i, dev in enumerate(data.get("ios", [])):
        where = f"ios[{i}]"
        _only(dev, IOS_KEYS, where)
        version = _get(dev, "version", (str, int, float), where, None)
        if version is not None and str(version) not in IOS_BUILDS:
            raise ProfileError(f"{where}.version {version!r:.40} is not one of {', '.join(IOS_BUILDS)}")
        product = _get(dev, "product_type", str, where, None)
        if product is not None and product not in MODELS:
            raise ProfileError(f"{where}.product_type {product!r:.40} is not one of {', '.join(MODELS)}")
        profile = make_profile(i, 0, str(version) if version else None, product)
        name = _text(dev, "name", where, profile.name)
        if not name.strip():
            raise ProfileError(f"{where}.name: empty")
        profiles.append(replace(profile, name=name))
    return profiles
