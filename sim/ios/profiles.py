"""Who a simulated iPhone is: model, iOS build, identifiers, installed apps and their BGTask ids.

Build numbers, board ids (HardwareModel) and SoC/ChipID pairs are those of real devices, so a tool
that keys a report on ProductType/BuildVersion sees plausible values.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field

# iOS version -> build (real public releases)
IOS_BUILDS: dict[str, str] = {
    "15.7.9": "19H365",
    "16.1": "20B82",
    "16.7.8": "20H343",
    "17.4.1": "21E236",
    "17.5.1": "21F90",
    "18.1": "22B83",
    "18.3.2": "22D82",
}
# Builds a profile may name but the default fleet rotation (make_profile) does not pick, so adding one does not
# reshuffle existing fleets: iOS 17.0-17.3 has no CoreDeviceProxy (no `lockdown start-tunnel`).
EXTRA_BUILDS: dict[str, str] = {"17.2.1": "21C66"}

# kernel string per major (the fixture's "Darwin Kernel Version X: root:xnu-…/RELEASE_ARM64_Txxxx" form)
DARWIN: dict[int, tuple[str, str]] = {
    15: ("21.6.0", "xnu-8020.142.2~1"),
    16: ("22.6.0", "xnu-8796.142.1~1"),
    17: ("23.5.0", "xnu-10063.122.3~3"),
    18: ("24.1.0", "xnu-11215.42.2~1"),
}


@dataclass(frozen=True)
class Model:
    product_type: str
    hardware_model: str
    marketing: str
    chip_id: int  # also the SoC number: A15 = 0x8110 = T8110
    memory_mb: int


MODELS: dict[str, Model] = {
    m.product_type: m
    for m in (
        Model("iPhone12,1", "N104AP", "iPhone 11", 0x8030, 4096),
        Model("iPhone13,2", "D53gAP", "iPhone 12", 0x8101, 4096),
        Model("iPhone14,5", "D17AP", "iPhone 13", 0x8110, 4096),
        Model("iPhone15,2", "D73AP", "iPhone 14 Pro", 0x8120, 6144),
        Model("iPhone16,1", "D83AP", "iPhone 15 Pro", 0x8130, 8192),
    )
}


@dataclass(frozen=True)
class BgTaskSpec:
    """One BGTaskScheduler identifier an app declares in BGTaskSchedulerPermittedIdentifiers."""

    identifier: str
    # "refresh" (BGAppRefreshTask) | "processing" (BGProcessingTask) | "health_research" (BGHealthResearchTask)
    kind: str
    requires_network: bool = False
    requires_power: bool = False
    work_seconds: float = 12.0  # how long the handler works (device seconds)
    interval_seconds: float = 900.0  # earliestBeginDate offset the app asks for when it (re)submits
    first_delay_seconds: float | None = None  # the first request's offset (None: a random share of the interval)

    @property
    def activity_prefix(self) -> str:
        # DAS activity names: bgRefresh-<id> / bgProcessing-<id> (BG*TaskRequest.mm, decompiled iOS 26.1)
        return "bgRefresh" if self.kind == "refresh" else "bgProcessing"


@dataclass(frozen=True)
class AppProfile:
    bundle_id: str
    executable: str
    tasks: tuple[BgTaskSpec, ...]
    footprint_mb: int = 120  # resident footprint while running a task
    memory_limit_mb: int = 300  # per-process (ActiveHard) jetsam limit
    leaks_background_task: bool = False  # forgets endBackgroundTask: UIKit warnings, watchdog risk
    version: str = "1.0"
    debuggable: bool = True  # development-signed (get-task-allow): lldb may attach
    # Apple's sample submits the next request from inside the handler; an app that only submits when it
    # enters the background has no pending request after a (simulated) launch until it is backgrounded again
    resubmit_in_handler: bool = True
    # BGAppRefreshTask launches dasd grants this app a day (None: no budget, dasd runs a refresh at its
    # earliestBeginDate: for tests that need a natural launch at a known time). Apple gives no figure: the budget
    # follows how much the app is used ("App usage" and "System budgets … distributed throughout the day",
    # WWDC 2020 10063); "a few a day" for an app opened daily is the field's account (see SimulatedIPhone).
    refresh_budget_per_day: float | None = 4.0


DEFAULT_APPS: tuple[AppProfile, ...] = (
    AppProfile(
        "com.example.newsreader",
        "NewsReader",
        (
            BgTaskSpec("com.example.newsreader.refresh", "refresh", requires_network=True, work_seconds=8),
            BgTaskSpec("com.example.newsreader.cleanup", "processing", work_seconds=40, interval_seconds=1800),
        ),
    ),
    AppProfile(
        "com.example.fitsync",
        "FitSync",
        (
            BgTaskSpec("com.example.fitsync.refresh", "refresh", requires_network=True, work_seconds=10),
            BgTaskSpec("com.example.fitsync.upload", "processing", requires_network=True, work_seconds=60),
        ),
        footprint_mb=180,
        refresh_budget_per_day=2.0,  # opened less often than the news app
    ),
    AppProfile(
        "com.example.photobackup",
        "PhotoBackup",
        (BgTaskSpec("com.example.photobackup.sync", "processing", requires_network=True, work_seconds=90),),
        footprint_mb=260,
        memory_limit_mb=280,
        leaks_background_task=True,
    ),
)

_NAMES = ("Anna's iPhone", "Ben's iPhone", "QA iPhone", "Lab iPhone 4", "Chris's iPhone", "Test iPhone 6")
_SERIAL_ALPHABET = "0123456789CDFGHJKLMNPQRTVWXY"


@dataclass(frozen=True)
class DeviceProfile:
    udid: str
    name: str
    product_type: str
    product_version: str
    serial_number: str
    wifi_mac: str
    apps: tuple[AppProfile, ...] = DEFAULT_APPS
    build_version: str = field(default="")
    ddi_mounted: bool = True  # the Developer Disk Image (Personalized on 17+): developer services exist only with it
    developer_mode: bool = True  # iOS 16+ (Settings › Privacy & Security); older iOS has no such setting
    time_zone: str = "Europe/Berlin"  # lockdown TimeZone: the zone the device clock's local time is in
    low_power: bool = False  # Low Power Mode on from boot (only an operator could switch it: no remote switch)

    def __post_init__(self) -> None:
        if not self.build_version:
            object.__setattr__(self, "build_version", {**IOS_BUILDS, **EXTRA_BUILDS}[self.product_version])

    @property
    def model(self) -> Model:
        return MODELS[self.product_type]

    @property
    def major(self) -> int:
        return int(self.product_version.split(".")[0])

    @property
    def hostname(self) -> str:
        """What syslog_relay prints as the host: the device name as a DNS label ("Annas-iPhone")."""
        return "".join(c if c.isalnum() else "-" for c in self.name.replace("'", "")).strip("-")

    @property
    def os_string(self) -> str:
        return f"iPhone OS {self.product_version} ({self.build_version})"

    @property
    def kernel(self) -> str:
        version, xnu = DARWIN[self.major]
        return f"Darwin Kernel Version {version}: root:{xnu}/RELEASE_ARM64_T{self.model.chip_id:04X}"

    def app(self, bundle: str) -> AppProfile:
        for a in self.apps:
            if a.bundle_id == bundle:
                return a
        raise KeyError(f"{bundle} is not installed on {self.udid}")


def make_profile(
    index: int, seed: int = 0, product_version: str | None = None, product_type: str | None = None
) -> DeviceProfile:
    """A deterministic, distinct profile for device number `index` of a fleet."""
    rng = random.Random(zlib.crc32(f"{seed}:{index}".encode()))
    versions = list(IOS_BUILDS)
    version = product_version or versions[index % len(versions)]
    ptype = product_type or list(MODELS)[(index + 2) % len(MODELS)]
    chip = MODELS[ptype].chip_id
    # modern UDID: <ChipID:08X>-<ECID:016X>
    udid = f"{chip:08X}-{rng.getrandbits(56):016X}"
    serial = "".join(rng.choice(_SERIAL_ALPHABET) for _ in range(10))
    mac = ":".join(f"{rng.getrandbits(8):02x}" for _ in range(6))
    return DeviceProfile(
        udid=udid,
        name=_NAMES[index % len(_NAMES)],
        product_type=ptype,
        product_version=version,
        serial_number=serial,
        wifi_mac=mac,
    )
