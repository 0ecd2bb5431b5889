"""`dumpsys` and `getprop` text of a simulated phone, as each OS version prints it.

Layouts (AOSP frameworks/base): JobSchedulerService.dumpInternal with JobStatus.dump and
JobPackageTracker.dumpHistory, DeviceIdleController.dump, BatteryService.dumpInternal,
ApplicationExitInfo.dump, Settings.dumpPackageLPr.
"""

from __future__ import annotations

from datetime import datetime

from bgprobe.sim.android.device import (
    BUCKET_NAMES,
    RUNTIME_PERMISSIONS,
    SYSTEM_ALLOWLIST,
    JobState,
    SimAndroidDevice,
    stable_number,
)
from bgprobe.sim.android.profile import AppSpec

CONSTRAINT_BITS = {
    "CHARGING": 1,
    "BATTERY_NOT_LOW": 2,
    "IDLE": 4,
    "STORAGE_NOT_LOW": 8,
    "TIMING_DELAY": 1 << 31,
    "DEADLINE": 1 << 30,
    "CONNECTIVITY": 1 << 28,
    "TARE_WEALTH": 1 << 27,
    "CONTENT_TRIGGER": 1 << 26,
    "DEVICE_NOT_DOZING": 1 << 25,
    "WITHIN_QUOTA": 1 << 24,
    "PREFETCH": 1 << 23,
    "BACKGROUND_NOT_RESTRICTED": 1 << 22,
    "FLEXIBILITY": 1 << 21,
    "UID_NOT_RESTRICTED": 1 << 20,
}
_ORDER = list(CONSTRAINT_BITS)

REASON_NAMES = {
    1: "EXIT_SELF",
    2: "SIGNALED",
    3: "LOW_MEMORY",
    4: "APP CRASH(EXCEPTION)",
    5: "APP CRASH(NATIVE)",
    6: "ANR",
    10: "USER REQUESTED",
    13: "OTHER KILLS BY SYSTEM",
    14: "FREEZER",
}
SUBREASON_NAMES = {0: "UNKNOWN", 2: "TOO MANY CACHED", 3: "TOO MANY EMPTY", 4: "TRIM EMPTY", 21: "FORCE STOP"}


def getprop(dev: SimAndroidDevice) -> dict[str, str]:
    p = dev.profile
    incremental = stable_number(p.serial) % 10**7
    fingerprint = (
        f"{p.manufacturer.lower()}/{p.product}/{p.device}:{p.release}/{p.build_id}/{incremental}:user/release-keys"
    )
    return {
        "ro.build.version.release": p.release,
        "ro.build.version.sdk": str(p.sdk),
        "ro.build.id": p.build_id,
        "ro.build.fingerprint": fingerprint,
        "ro.build.version.security_patch": "2024-10-05",
        "ro.product.manufacturer": p.manufacturer,
        "ro.product.brand": p.manufacturer.lower(),
        "ro.product.model": p.model,
        "ro.product.device": p.device,
        "ro.product.name": p.product,
        "ro.serialno": p.serial,
        "ro.boot.serialno": p.serial,
        "sys.boot_completed": "1",
        "persist.sys.timezone": "UTC",
        **maker_props(p.manufacturer, p.release),
    }


# Makers' own version props, as public getprop captures show them (getActivity/DeviceCompat's
# DeviceOs.java collects them per skin; fastfetch reads One UI's the same way):
# - Xiaomi MIUI: `ro.miui.ui.version.name` [V130] and `.code` [13] for MIUI 13 (V9/[7] for MIUI 9);
#   HyperOS adds `ro.mi.os.version.name` [OS1.0] and `.code` [1] and keeps the MIUI props;
# - Huawei EMUI: `ro.build.version.emui` [EmotionUI_10.1.1];
# - Samsung One UI: `ro.build.version.oneui` [50101] = One UI 5.1.1 (major*10000 + minor*100 + patch);
#   no capture shows it before One UI 3, so the One UI 1 phone (Android 9) has none;
# - OnePlus OxygenOS: `ro.oxygen.version` [9.0.4]; from OxygenOS 12 (ColorOS-based)
#   `ro.build.version.oplusrom.display` [13.1].
_MIUI = {"9": ("V11", "9"), "10": ("V12", "10"), "11": ("V125", "11"), "12": ("V130", "13"), "13": ("V140", "14")}
_HYPEROS = {"14": "1", "15": "2"}
_EMUI = {"9": "9.1.0", "10": "10.1.0", "11": "11.0.0", "12": "12.0.0"}
_ONE_UI = {"11": "30100", "12": "40100", "13": "50100", "14": "60100", "15": "70000"}
_OXYGEN = {"9": "9.0.17", "10": "10.0.11", "11": "11.0.4"}
_OPLUS = {"12": "12.1", "13": "13.1", "14": "14.0", "15": "15.0"}


def maker_props(manufacturer: str, release: str) -> dict[str, str]:
    if manufacturer == "Xiaomi":
        if release in _HYPEROS:
            code = _HYPEROS[release]
            return {
                "ro.mi.os.version.name": f"OS{code}.0",
                "ro.mi.os.version.code": code,
                "ro.miui.ui.version.name": "V816",
                "ro.miui.ui.version.code": "816",
            }
        name, code = _MIUI.get(release, ("V125", "11"))
        return {"ro.miui.ui.version.name": name, "ro.miui.ui.version.code": code}
    if manufacturer == "Huawei":
        return {"ro.build.version.emui": f"EmotionUI_{_EMUI.get(release, '12.0.0')}"}
    if manufacturer == "Samsung" and release in _ONE_UI:
        return {"ro.build.version.oneui": _ONE_UI[release]}
    if manufacturer == "OnePlus":
        if release in _OXYGEN:
            return {"ro.oxygen.version": _OXYGEN[release]}
        return {"ro.build.version.oplusrom.display": _OPLUS.get(release, "15.0")}
    return {}


def _mask(names: list[str], sdk: int) -> str:
    if sdk < 28 or not names:  # the hex suffix first appears on Android 9 captures
        return ""
    value = 0
    for n in names:
        value |= CONSTRAINT_BITS.get(n, 0)
    return f" [0x{value:x}]"


def _line(label: str, names: list[str], sdk: int) -> str:
    return f"    {label} constraints:{''.join(' ' + n for n in names)}{_mask(names, sdk)}"


def _rel(now: datetime, when: datetime | None) -> str:
    if when is None:
        return "none"
    ms = int((when - now).total_seconds() * 1000)
    sign = "+" if ms >= 0 else "-"
    ms = abs(ms)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    text = (f"{h}h" if h else "") + (f"{m}m" if h or m else "") + f"{s}s{ms}ms"
    return sign + text


def jobscheduler(dev: SimAndroidDevice, package: str | None) -> str:
    sdk, now = dev.profile.sdk, dev.clock.now()
    jobs = [j for j in dev.jobs.values() if package is None or j.app.package == package]
    out = ["JOB SCHEDULER SERVICE (dumpsys jobscheduler)", "", "Settings:", "  min_ready_jobs_count=1", ""]
    out.append(f"  Registered {len(jobs)} jobs:")
    for job in jobs:
        out.extend(_job_entry(dev, job, now, sdk))
    out += ["", "Active jobs:"]
    slot = 0
    for job in jobs:
        if job.running_since is not None:
            app, spec = job.app, job.spec
            out.append(f"  Slot #{slot}: {_hash(job)} #u0a{app.app_id}/{spec.job_id} {app.package}/{spec.service}")
            out.append(f"    Running for: {_rel(job.running_since, now)}, timeout at: {_rel(now, _timeout_at(job))}")
            slot += 1
    if slot == 0:
        out.append("  Slot #0: inactive since -1m0s0ms, stopped because: successful finish")
    out += ["", *_history(dev, package)]
    return "\n".join(out) + "\n"


def _history(dev: SimAndroidDevice, package: str | None) -> list[str]:
    """JobPackageTracker.dumpHistory: the device-wide ring of the last 100 START/STOP events,
    oldest first, filtered to the package's app id; each time relative to now, right-aligned in
    TimeUtils.HUNDRED_DAY_FIELD_LEN (19) columns; STOP lines end with the reason."""
    entries = [h for h in dev.job_history if package is None or h.job.app.package == package]
    if not entries:
        return []
    now_ms = dev.uptime_ms()
    out = ["  Job history:"]
    for h in entries:
        job = h.job
        label = {"START": "  START", "STOP": "   STOP", "START-P": "START-P", "STOP-P": " STOP-P"}[h.label]
        suffix = f" {h.reason}" if h.label.startswith("STOP") else ""
        out.append(
            f"{_duration_ms(h.elapsed_ms - now_ms):>19} {label}: #u0a{job.app.app_id}/{job.spec.job_id} "
            f"*job*/{job.app.package}/{job.spec.service}{suffix}"
        )
    return out


def _duration_ms(ms: int) -> str:
    """TimeUtils.formatDuration: `-1h2m3s4ms`, leading zero fields left out, `0` for nothing."""
    if ms == 0:
        return "0"
    sign, ms = ("-" if ms < 0 else "+"), abs(ms)
    d, ms = divmod(ms, 86_400_000)
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    sec, ms = divmod(ms, 1000)
    text, started = "", False
    for value, unit in ((d, "d"), (h, "h"), (m, "m"), (sec, "s")):
        if value or started:
            text += f"{value}{unit}"
            started = True
    return sign + text + f"{ms}ms"


def _hash(job: JobState) -> str:
    key = f"{job.app.package}/{job.spec.job_id}"
    return f"{stable_number(key) % 16**7:07x}"


def _timeout_at(job: JobState) -> datetime | None:
    from datetime import timedelta

    return job.running_since + timedelta(minutes=10) if job.running_since else None


def _job_entry(dev: SimAndroidDevice, job: JobState, now: datetime, sdk: int) -> list[str]:
    app, spec = job.app, job.spec
    svc = spec.service
    comp = f"{app.package}/{svc}"
    required: list[str] = []
    if spec.needs_charging:
        required.append("CHARGING")
    if spec.needs_battery_not_low:
        required.append("BATTERY_NOT_LOW")
    if spec.needs_idle:
        required.append("IDLE")
    # JobStatus adds TIMING_DELAY whenever the job has an earliest run time: a latency, a period,
    # a backoff after failure, or the initial delay of a freshly scheduled job
    timed = bool(spec.min_latency_s or spec.workmanager or spec.period_s or job.next_run_at > now)
    if timed:
        required.insert(0, "TIMING_DELAY")
    if spec.needs_network:
        required.append("CONNECTIVITY")
    blockers = set(dev.blockers(job))
    timing_ok = now >= job.next_run_at
    satisfied = [n for n in required if n not in blockers and (n != "TIMING_DELAY" or timing_ok)]
    implicit = ["DEVICE_NOT_DOZING", "BACKGROUND_NOT_RESTRICTED"] + (["WITHIN_QUOTA"] if sdk >= 29 else [])
    satisfied += [n for n in implicit if n not in blockers]
    unsatisfied = [n for n in required + (["WITHIN_QUOTA"] if sdk >= 29 else []) if n not in satisfied]
    satisfied = sorted(set(satisfied), key=_ORDER.index)
    unsatisfied = sorted(set(unsatisfied), key=_ORDER.index)
    # JobStatus.isReady(): a `run -f` override passes the job's own constraints, never doze or restriction
    ready = job.running_since is None and not dev.not_ready(job)
    tag = f"*job*/{comp}" + (f"#{spec.job_id}" if spec.workmanager and sdk >= 33 else "")
    lines = [
        f"    JOB #u0a{app.app_id}/{spec.job_id}: {_hash(job)} {comp}",
        f"      u0a{app.app_id} tag={tag}",
        f"      Source: uid=u0a{app.app_id} user=0 pkg={app.package}",
        "      JobInfo:",
        f"        Service: {comp}",
    ]
    if spec.period_s:
        lines.append(f"        PERIODIC: interval=+{int(spec.period_s // 60)}m0s0ms flex=+5m0s0ms")
    if not spec.workmanager:
        lines.append("        PERSISTED")
    lines.append(
        f"        Requires: charging={str(spec.needs_charging).lower()} "
        f"batteryNotLow={str(spec.needs_battery_not_low).lower()} deviceIdle={str(spec.needs_idle).lower()}"
    )
    if spec.needs_network:
        lines.append(
            "        Network type: NetworkRequest [ NONE id=0, [ Capabilities: INTERNET&NOT_RESTRICTED"
            f"&TRUSTED&VALIDATED Uid: {app.uid}] ]"
        )
    lines.append(f"        Backoff: policy=1 initial={_duration_ms(int(spec.backoff_s * 1000))}")
    indent = lambda s: "  " + s  # noqa: E731 - the constraint lines sit under the JOB entry
    lines.append(indent(_line("Required", required, sdk)))
    if sdk >= 34:
        lines.append("      Preferred constraints:")
    lines.append("      Dynamic constraints:")
    lines.append(indent(_line("Satisfied", satisfied, sdk)))
    if sdk >= 29:
        lines.append(indent(_line("Unsatisfied", unsatisfied, sdk)))
    if sdk >= 29:  # JobStatus.dump printed no implicit constraints before Android 10: on 9 only the
        # absence of DEVICE_NOT_DOZING / BACKGROUND_NOT_RESTRICTED from the satisfied ones tells
        lines.append("      Implicit constraints:")
        lines.append(f"        readyNotDozing: {str('DEVICE_NOT_DOZING' not in blockers).lower()}")
        lines.append(f"        readyNotRestrictedInBg: {str('BACKGROUND_NOT_RESTRICTED' not in blockers).lower()}")
    bucket = dev.buckets.get(app.package, 10)
    lines.append(f"      Standby bucket: {BUCKET_NAMES.get(bucket, 'ACTIVE')}")
    lines.append(f"      Enqueue time: {_rel(now, job.enqueued_at)}")
    earliest = _rel(now, job.next_run_at) if timed else "none"
    lines.append(f"      Run time: earliest={earliest}, latest=none, original latest=none")
    if job.num_failures:
        lines.append(f"      Num failures: {job.num_failures}")
    if job.last_success:
        lines.append(f"      Last successful run: {job.last_success:%Y-%m-%d %H:%M:%S}")
    if job.last_failure:
        lines.append(f"      Last failed run: {job.last_failure:%Y-%m-%d %H:%M:%S}")
    if sdk >= 31:
        lines.append("      Restricted due to: none.")
    flags = (
        f"job={str(ready).lower()} user=true "
        + ("!restricted=true " if sdk >= 30 else "")
        + f"!pending=true !active={str(job.running_since is None).lower()} !backingup=true comp=true"
    )
    lines.append(f"      Ready: {str(ready).lower()} ({flags})")
    return lines


def package(dev: SimAndroidDevice, name: str | None) -> str:
    """`dumpsys package PKG`, the part bgprobe reads: Settings.dumpPackageLPr's `Package [...]`
    block and its per-user line, with `stopped=` (true after a force-stop until the app is started
    again). distractionFlags= appears from Android 11."""
    sdk = dev.profile.sdk
    apps = [a for a in dev.profile.apps if name is None or a.package == name]
    out = ["Packages:"]
    for app in apps:
        stopped = str(app.package in dev.stopped_packages).lower()
        distraction = " distractionFlags=0" if sdk >= 30 else ""
        out += [
            f"  Package [{app.package}] ({stable_number(app.package) % 16**7:07x}):",
            f"    userId={app.uid}",
            f"    pkg=Package{{{stable_number(app.package + '/pkg') % 16**7:07x} {app.package}}}",
            f"    codePath=/data/app/{app.package}-1",
            f"    versionCode=1 minSdk=23 targetSdk={sdk}",
            *_permissions(dev, app),
            f"    User 0: ceDataInode={stable_number(app.package) % 10**6} installed=true hidden=false "
            f"suspended=false{distraction} stopped={stopped} notLaunched=false enabled=0 instant=false "
            "virtual=false",
            *_runtime_permissions(dev, app),
        ]
    return "\n".join(out) + "\n" if apps else "\n"


# Permissions that exist from an API level (a manifest may request one the phone does not know: it is
# listed as requested and granted nowhere). SCHEDULE_EXACT_ALARM is an app-op permission, granted at
# install like a normal one; the app op decides (AlarmManagerService).
_PERMISSION_SINCE = {"android.permission.SCHEDULE_EXACT_ALARM": 31, "android.permission.USE_EXACT_ALARM": 33}


def _permissions(dev: SimAndroidDevice, app: AppSpec) -> list[str]:
    """Settings.dumpPackageLPr: `requested permissions:` (one name a line), then
    dumpInstallPermissionsLPr's `install permissions:` (`NAME: granted=true`), before the users."""
    sdk = dev.profile.sdk
    out = ["    requested permissions:", *(f"      {p}" for p in app.permissions)]
    install = [p for p in app.permissions if p not in RUNTIME_PERMISSIONS and sdk >= _PERMISSION_SINCE.get(p, 0)]
    if install:
        out += ["    install permissions:", *(f"      {p}: granted=true" for p in install)]
    return out


def _runtime_permissions(dev: SimAndroidDevice, app: AppSpec) -> list[str]:
    """dumpRuntimePermissionsLPr under `User 0:`: `NAME: granted=true|false, flags=[ ... ]`."""
    sdk = dev.profile.sdk
    runtime = [p for p in app.permissions if p in RUNTIME_PERMISSIONS and sdk >= RUNTIME_PERMISSIONS[p]]
    if not runtime:
        return []
    granted = dev.runtime_granted.get(app.package, set())
    lines = ["      gids=[3003]", "      runtime permissions:"]
    for p in runtime:
        flags = "USER_SET|USER_SENSITIVE_WHEN_GRANTED|USER_SENSITIVE_WHEN_DENIED"
        lines.append(f"        {p}: granted={str(p in granted).lower()}, flags=[ {flags} ]")
    return lines


def deviceidle(dev: SimAndroidDevice) -> str:
    s = dev.state
    out = [
        "  Settings:",
        "    light_after_inactive_to=+3m0s0ms",
        "    light_idle_to=+5m0s0ms",
        "    light_max_idle_to=+15m0s0ms",
        "    inactive_to=+30m0s0ms",
        "    idle_after_inactive_to=+30m0s0ms",
        "    idle_to=+1h0m0s0ms",
        "    max_idle_to=+6h0m0s0ms",
        "  Whitelist (except idle) system apps:",
        "    com.android.providers.downloads",
        "  Whitelist system apps:",
        "    com.android.phone",
        *(["  Whitelist user apps:"] if dev.power_allowlist else []),
        *(f"    {p}" for p in sorted(dev.power_allowlist)),
        f"  mLightEnabled={str(s.light_enabled).lower()}  mDeepEnabled={str(s.deep_enabled).lower()}",
        f"  mForceIdle={str(s.force_idle).lower()}",
        f"  mScreenOn={str(s.screen_on).lower()}",
        "  mScreenLocked=false",
        f"  mNetworkConnected={str(s.network).lower()}",
        f"  mCharging={str(s.charging).lower()}",
        f"  mState={s.deep_state} mLightState={s.light_state}",
        "  mInactiveTimeout=+30m0s0ms",
    ]
    return "\n".join(out) + "\n"


def deviceidle_whitelist(dev: SimAndroidDevice) -> str:
    """`dumpsys deviceidle whitelist` with no argument (DeviceIdleController.onShellCommand): every
    allowlist as `KIND,PACKAGE,APPID` lines, except-idle system apps first, then system, then user."""
    out = [f"system-excidle,{pkg},{app_id}" for pkg, app_id in SYSTEM_ALLOWLIST["system-excidle"]]
    out += [f"system,{pkg},{app_id}" for pkg, app_id in SYSTEM_ALLOWLIST["system"]]
    for app in dev.profile.apps:
        if app.package in dev.power_allowlist:
            out.append(f"user,{app.package},{app.uid}")  # UserHandle.getAppId(uid): the uid of user 0
    return "".join(line + "\n" for line in out)


def battery(dev: SimAndroidDevice) -> str:
    s, sdk = dev.state, dev.profile.sdk
    out = ["Current Battery Service state:"]
    if s.battery_frozen:
        out.append("  (UPDATES STOPPED -- use 'reset' to restart)")
    out += [
        f"  AC powered: {str(s.plugged == 'ac').lower()}",
        f"  USB powered: {str(s.plugged == 'usb').lower()}",
        f"  Wireless powered: {str(s.plugged == 'wireless').lower()}",
    ]
    if sdk >= 34:
        out.append("  Dock powered: false")
    out += [
        "  Max charging current: 500000" if s.charging else "  Max charging current: 0",
        "  Max charging voltage: 5000000" if s.charging else "  Max charging voltage: 0",
        "  Charge counter: 2810000",
        f"  status: {2 if s.charging else 3}",
        "  health: 2",
        "  present: true",
        f"  level: {s.level}",
        "  scale: 100",
        "  voltage: 4021",
        "  temperature: 281",
        "  technology: Li-ion",
    ]
    return "\n".join(out) + "\n"


def exit_info(dev: SimAndroidDevice, package: str | None) -> str:
    sdk = dev.profile.sdk
    out = [
        "ACTIVITY MANAGER PROCESS EXIT INFO (dumpsys activity exit-info)",
        f"  Last Timestamp of Persistence Into Persistent Storage: {dev.clock.now():%Y-%m-%d %H:%M:%S.000}",
    ]
    by_package: dict[str, list] = {}
    for rec in dev.exits:
        if package is None or rec.app.package == package:
            by_package.setdefault(rec.app.package, []).append(rec)
    for pkg, records in by_package.items():
        out.append(f"    package: {pkg}")
        out.append(f"      Historical Process Exit for uid={records[0].app.uid}")
        for i, r in enumerate(records):
            uid = r.app.uid
            reason = f"{r.reason} ({REASON_NAMES.get(r.reason, 'UNKNOWN')})"
            sub = f"{r.subreason} ({SUBREASON_NAMES.get(r.subreason, 'UNKNOWN')})"
            ts = f"{r.ts:%Y-%m-%d %H:%M:%S}.{r.ts.microsecond // 1000:03d}"
            out.append(f"          ApplicationExitInfo #{i}:")
            if sdk >= 35:  # Android 15: three lines per record
                out.append(
                    f"            timestamp={ts} pid={r.pid} realUid={uid} packageUid={uid} definingUid={uid} user=0"
                )
                out.append(f"            process={pkg} reason={reason} subreason={sub} status=0")
                out.append(
                    f"            importance={r.importance} pss={r.pss_mb}MB rss={r.rss_mb}MB "
                    f"description={r.description} state=empty trace=null"
                )
            else:
                out += [
                    f"            timestamp={ts}",
                    f"            pid={r.pid}",
                    f"            realUid={uid}",
                    f"            packageUid={uid}",
                    f"            definingUid={uid}",
                    "            user=0",
                    f"            process={pkg}",
                    f"            reason={reason}",
                ]
                if sdk >= 31:
                    out.append(f"            subreason={sub}")
                out += [
                    "            status=0",
                    f"            importance={r.importance}",
                    f"            pss={r.pss_mb}MB",
                    f"            rss={r.rss_mb}MB",
                    f"            description={r.description}",
                    "            state=empty",
                    "            trace=null",
                ]
    return "\n".join(out) + "\n"


def alarm(dev: SimAndroidDevice) -> str:
    now = dev.clock.now()
    out = [
        "Current Alarm Manager state:",
        f"  nowRTC={int(now.timestamp() * 1000)}={now:%Y-%m-%d %H:%M:%S}",
        "",
        f"  Pending alarm batches: {len(dev.profile.apps)}",
    ]
    for i, app in enumerate(dev.profile.apps):
        out.append(
            f"Batch{{{i:07x} num=1 start={dev.uptime_ms() + 60000 * (i + 1)} end={dev.uptime_ms() + 90000 * (i + 1)}}}:"
        )
        out.append(
            f"    RTC_WAKEUP #0: Alarm{{{i + 1:07x} type 0 origWhen {int(now.timestamp() * 1000) + 60000} "
            f"{app.package}}}"
        )
        out.append(f"      tag=*walarm*:{app.package}/.SyncAlarmReceiver")
    return "\n".join(out) + "\n"
