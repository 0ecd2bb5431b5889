"""`dumpsys deviceidle` -> one `state_changed` event describing Doze.

Format (AOSP DeviceIdleController.dump; docs/android-commands.md, "Reading the phone"):
- `  Settings:` then `    light_after_inactive_to=+3m0s0ms` lines (kept as raw strings);
- `  Whitelist system apps:` / `Whitelist user apps:` / `Whitelist (except idle) ...:` then one item a line;
- state lines: `  mLightEnabled=true  mDeepEnabled=true` (Android 6: `mEnabled=`), `mForceIdle=`,
  `mScreenOn=`, `mNetworkConnected=`, `mCharging=`, `  mState=IDLE mLightState=OVERRIDE`
  (Android 6: no light state).
Pasted excerpts often hold only the Settings block: that still yields an event, with reason `doze:unknown`.
"""

from __future__ import annotations

import re
from typing import Any

from bgprobe.collectors.parsers import NumberedLines, at
from bgprobe.collectors.parsers.jobscheduler import aosp_duration_s
from bgprobe.reports.events import Event

SOURCE = "dumpsys:deviceidle"

STATE = re.compile(r"\bmState=(?P<deep>[A-Z_]+)(?:\s+mLightState=(?P<light>[A-Z_]+))?")
# A dump pasted as Markdown inline code has the opening backtick glued before its first line ("`  Settings:",
# adolfintel/DozeOff#8), inside another code span perhaps ("``  Settings:`").
SETTINGS_HDR = re.compile(r"^(?P<indent>\s*)`*\s*Settings:`*\s*$")
SETTING = re.compile(r"^\s+(?P<k>[a-z][a-z0-9_]*)=(?P<v>.*)$")
SETTING_FLAT = re.compile(r"^\s*(?P<k>[a-z][a-z0-9_]*)=(?P<v>\S*)$")
WHITELIST_HDR = re.compile(r"^(?P<indent>\s*)Whitelist (?P<name>[^:]+):\s*$")
FLAG = re.compile(r"\b(?P<k>m[A-Z][A-Za-z]*)=(?P<v>\S+)")
# dumpsys field -> data key; only booleans here, the states are read by STATE.
_FLAGS = {
    "mLightEnabled": "light_enabled",
    "mDeepEnabled": "deep_enabled",
    "mEnabled": "deep_enabled",  # Android 6 had a single switch
    "mForceIdle": "force_idle",
    "mScreenOn": "screen_on",
    "mScreenLocked": "screen_locked",
    "mCharging": "charging",
    "mNetworkConnected": "network_connected",
    "mQuickDozeActivated": "quick_doze",
}


def _bool(text: str) -> bool | None:
    return {"true": True, "false": False}.get(text.lower())


def parse_deviceidle(lines: NumberedLines, where: str, *, ts: str | None = None) -> list[Event]:
    """One state_changed event (reason `doze:<deep state>`), or [] when nothing is recognisable."""
    data: dict[str, Any] = {
        "deep_state": None,
        "light_state": None,
        **dict.fromkeys(_FLAGS.values()),
    }
    settings: dict[str, str] = {}
    whitelists: dict[str, list[str]] = {}
    first_line: int | None = None
    state_line: int | None = None
    block: tuple[str, int, str] | None = None  # ("settings"|"whitelist", header indent, whitelist key)

    for lineno, raw in lines:
        try:
            text = str(raw).rstrip()
            if text.startswith("#"):
                continue  # a note on top of a pasted capture (`# source: ...`), not part of the dump
            indent = len(text) - len(text.lstrip())
            # A blank or less-indented line closes the Settings/Whitelist block; pages that lost the
            # indentation still list `key=value` settings, so those keep a Settings block open.
            if (
                block is not None
                and (not text.strip() or indent <= block[1])
                and not (block[0] == "settings" and text.strip() and SETTING_FLAT.match(text))
            ):
                block = None
            if block is not None:
                if block[0] == "settings":
                    m = SETTING.match(text) or SETTING_FLAT.match(text)
                    if m:
                        settings[m["k"]] = m["v"].strip()
                        continue
                    block = None
                else:
                    whitelists[block[2]].append(text.strip())
                    continue
            m = SETTINGS_HDR.match(text)
            if m:
                block = ("settings", len(m["indent"]), "")
                first_line = first_line or lineno
                continue
            m = WHITELIST_HDR.match(text)
            if m:
                key = re.sub(r"[^a-z0-9]+", "_", m["name"].lower()).strip("_")
                whitelists.setdefault(key, [])
                block = ("whitelist", len(m["indent"]), key)
                first_line = first_line or lineno
                continue
            m = STATE.search(text)
            if m:
                data["deep_state"], data["light_state"] = m["deep"], m["light"]
                state_line = lineno
            for fm in FLAG.finditer(text):
                flag = _FLAGS.get(fm["k"])
                if flag is not None and _bool(fm["v"]) is not None:
                    data[flag] = _bool(fm["v"])
                    first_line = first_line or lineno
        except Exception:  # never raise on odd input; skip the line
            block = None

    found_flags = any(data[k] is not None for k in set(_FLAGS.values()))
    if not (settings or whitelists or found_flags or data["deep_state"]):
        return []
    deep = data["deep_state"]
    data["settings"] = settings
    # Durations as seconds too, for comparisons; values that are not durations (factors) are left out.
    data["settings_s"] = {k: s for k, v in settings.items() if (s := aosp_duration_s(v)) is not None}
    data["whitelists"] = whitelists
    if deep:
        detail = f"Doze: deep {deep}" + (f", light {data['light_state']}" if data["light_state"] else "")
        if data["force_idle"]:
            detail += " (forced idle)"
    else:
        detail = "Doze state not shown" + (f"; {len(settings)} settings read" if settings else "")
    lineno = state_line or first_line or 0
    return [
        Event(
            kind="state_changed",
            source=SOURCE,
            where=at(where, lineno),
            ts=ts,
            reason=f"doze:{deep.lower()}" if deep else "doze:unknown",
            detail=detail,
            data=data,
        )
    ]
