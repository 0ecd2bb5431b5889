"""An app's standing on an iPhone, as far as its services allow (`bgprobe doctor BUNDLE --udid U`).

What lockdown and its services give a computer, read and never changed (docs/ios-commands.md):
- the phone: lockdown `GetValue` (version, product type, name) and the battery domain (level, charging),
  through `collectors/ios/info.py`;
- installed or not, its version and executable: installation_proxy `Lookup` with the bundle id (pmd3
  `InstallationProxyService.get_apps`); close names for a missing one from a `Lookup` of every app;
- recent deaths: the CrashReporter directory (AFC `com.apple.crashreportcopymobile`): its JetsamEvent
  reports and the app's own reports (named after its executable), newest first, parsed as `bgprobe scan`
  parses them (jetsam kills, 0x8badf00d watchdog kills, crashes), folded as deaths are.
What no remote service reads, and is said so with the settings path: Background App Refresh (for the
phone and for the app: UIApplication.backgroundRefreshStatus exists only inside the app) and Low Power
Mode (no lockdown value or pymobiledevice3 API; `bgprobe info` says the same).
"""

from __future__ import annotations

import difflib
from typing import Any

from bgprobe.collectors.errors import UsageError
from bgprobe.collectors.ios.crash import fetch_report, list_reports, report_events
from bgprobe.collectors.ios.info import device_facts
from bgprobe.collectors.ios.transport import IosTarget, device_errors, lockdown, timed
from bgprobe.reports.doctor import Fact, Standing, fold_app_deaths
from bgprobe.reports.events import Event

MAX_REPORTS = 30  # the newest reports read: a phone keeps hundreds, each one a round trip


class AppNotInstalled(UsageError):
    """The bundle is not on the iPhone: the user's input (exit 2), with the closest installed ids."""


async def ios_standing(target: IosTarget, udid: str, bundle: str) -> Standing:
    facts = await device_facts(target, udid)
    if facts.error:
        from bgprobe.collectors.ios.transport import IosError

        raise IosError(facts.error)
    st = Standing(
        platform="ios",
        device=udid,
        package=bundle,
        name=facts.name,
        os_version=facts.os_version,
        manufacturer="Apple",
        model=facts.model,
        skin_source="iOS has no maker skin",
    )
    st.commands.append("lockdown GetValue (device values, com.apple.mobile.battery)")
    async with lockdown(target, udid) as client:
        app = await _installed(client, target, udid, bundle, st)
        st.app_version = app.get("CFBundleShortVersionString")
        executable = app.get("CFBundleExecutable")
        if facts.battery_level is not None:
            charging = ", charging" if facts.charging else ", on battery"
            st.facts.append(Fact("battery", "battery", f"{facts.battery_level} %{charging}", "ok", "lockdown"))
        st.facts += [
            Fact(
                "background_app_refresh",
                "Background App Refresh",
                "not readable from a computer (only the app itself can read it)",
                "check",
                entry="ios.background-app-refresh-off",
            ),
            Fact(
                "low_power",
                "Low Power Mode",
                "not readable from a computer (no lockdown value)",
                "check",
                entry="ios.low-power-mode",
            ),
        ]
        await _deaths(client, target, udid, bundle, executable, st)
    return st


async def _installed(client: Any, target: IosTarget, udid: str, bundle: str, st: Standing) -> dict[str, Any]:
    from pymobiledevice3.services.installation_proxy import InstallationProxyService

    async with device_errors("installation_proxy", udid), InstallationProxyService(client) as proxy:
        apps = await timed("installed apps", proxy.get_apps(bundle_identifiers=[bundle]), target.timeout)
        st.commands.append(f"installation_proxy Lookup BundleIDs=[{bundle}]")
        if bundle in apps:
            st.facts.append(Fact("installed", "installed", "yes", "ok", "installation_proxy"))
            return apps[bundle]
        every = await timed("installed apps", proxy.get_apps(), target.timeout)
        st.commands.append("installation_proxy Lookup")
    close = difflib.get_close_matches(bundle, list(every), n=3, cutoff=0.6)
    hint = f"; close names: {', '.join(close)}" if close else "; no installed app has a close bundle id"
    raise AppNotInstalled(f"{bundle} is not installed on {udid}{hint}")


async def _deaths(client: Any, target: IosTarget, udid: str, bundle: str, executable: str | None, st: Standing) -> None:
    reports = await list_reports(client, target.timeout, udid)
    st.commands.append("crashreportcopymobile: list the CrashReporter directory")
    wanted = [
        r
        for r in reports
        if r.name.startswith("JetsamEvent") or (executable and r.name.startswith(f"{executable}-")) or bundle in r.name
    ]
    wanted = sorted(wanted, key=lambda r: (r.mtime or "", r.path), reverse=True)[:MAX_REPORTS]
    events: list[Event] = []
    for report in wanted:
        data, _why = await fetch_report(client, report.path, target.timeout * 3, udid, (0.2,))
        if data is None:
            continue
        st.commands.append(f"crashreportcopymobile: read {report.path}")
        for e in report_events(data, f"{udid}:{report.path}", udid, st.os_version):
            if executable and e.process == executable and not e.package:
                e.package = bundle  # JetsamEvent names processes, not bundles
            events.append(e)
    st.events += events
    st.deaths, st.deaths_total = fold_app_deaths(events, bundle)
    if len(reports) > len(wanted):
        st.notes.append(
            f"{len(wanted)} of the phone's {len(reports)} crash and jetsam reports were read (the newest "
            "JetsamEvent reports and the app's own)"
        )
