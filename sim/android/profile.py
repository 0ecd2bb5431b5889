"""What a simulated Android phone is: OS version, maker and its kill policy, apps and their work.

Kill policies follow what is publicly known (dontkillmyapp.com categories, the log signatures in
../shared/reference/android.md §5): stock Android only trims cached/empty processes and lmkd
kills under memory pressure; Samsung's "sleeping apps" force-stop idle apps; Xiaomi's cleaner
kills background apps (`OneKeyClean`); Huawei's HwPFWService force-stops wakelock holders.
"""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

# maker -> kill policy; the policy decides which killer runs and how eagerly (per simulated hour)
KILL_POLICIES: dict[str, dict[str, float]] = {
    "stock": {"lmkd_per_hour": 0.05, "oem_per_hour": 0.0},
    "moderate": {"lmkd_per_hour": 0.08, "oem_per_hour": 0.5},
    "aggressive": {"lmkd_per_hour": 0.1, "oem_per_hour": 2.0},
    "none": {"lmkd_per_hour": 0.0, "oem_per_hour": 0.0},  # no background kills: a control for benchmarks
}
MAKER_POLICY = {
    "Google": "stock",
    "Samsung": "moderate",
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
    # Devices that share a behaviour seed draw the same random numbers (job durations, failures,
    # kills): identical twins, so that a scale benchmark gives every device the same work.
    behaviour_seed: str | None = None

    @property
    def sdk(self) -> int:
        return VERSIONS[self.release][0]

    @property
    def build_id(self) -> str:
        return VERSIONS[self.release][1]

    @property
    def policy(self) -> dict[str, float]:
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
            )
        )
    return profiles


def load_profiles(path: Path) -> list[DeviceProfile]:
    """A TOML fleet: [[android]] tables with serial, release, manufacturer, model, ... and optional
    [[android.apps]] with [[android.apps.jobs]]; devices without apps get the demo apps."""
    data = tomllib.loads(path.read_text())
    profiles: list[DeviceProfile] = []
    for i, dev in enumerate(data.get("android", [])):
        release = str(dev.get("release", "14"))
        if release not in VERSIONS:
            raise ValueError(f"{path}: android[{i}].release {release!r} is not one of {', '.join(VERSIONS)}")
        apps = [
            AppSpec(
                package=a["package"],
                app_id=int(a.get("app_id", 200 + j)),
                memory_mb=int(a.get("memory_mb", 120)),
                log_tag=a.get("log_tag", "App"),
                jobs=[JobSpec(**j_) for j_ in a.get("jobs", [])],
            )
            for j, a in enumerate(dev.get("apps", []))
        ]
        serial = dev.get("serial", f"sim-android-{i + 1:02d}")
        profiles.append(
            DeviceProfile(
                serial=serial,
                release=release,
                manufacturer=dev.get("manufacturer", "Google"),
                model=dev.get("model", "Pixel 8"),
                device=dev.get("device", "shiba"),
                product=dev.get("device", "shiba"),
                battery_level=int(dev.get("battery_level", 80)),
                plugged=dev.get("plugged", "usb"),
                apps=apps or [demo_app(serial), *other_apps()],
                kill_policy=dev.get("kill_policy"),
                ignores_standby_buckets=bool(dev.get("ignores_standby_buckets", False)),
            )
        )
    return profiles


def load_ios_profiles(path: Path) -> list[Any]:
    """The [[ios]] tables of a fleet profile: version (a key of IOS_BUILDS), product_type, name."""
    from dataclasses import replace

    from bgprobe.sim.ios.profiles import IOS_BUILDS, MODELS, make_profile

    data = tomllib.loads(path.read_text())
    profiles = []
    for i, dev in enumerate(data.get("ios", [])):
        version = dev.get("version")
        if version is not None and str(version) not in IOS_BUILDS:
            raise ValueError(f"{path}: ios[{i}].version {version!r} is not one of {', '.join(IOS_BUILDS)}")
        product = dev.get("product_type")
        if product is not None and product not in MODELS:
            raise ValueError(f"{path}: ios[{i}].product_type {product!r} is not one of {', '.join(MODELS)}")
        profile = make_profile(i, 0, str(version) if version else None, product)
        profiles.append(replace(profile, name=dev["name"]) if "name" in dev else profile)
    return profiles
