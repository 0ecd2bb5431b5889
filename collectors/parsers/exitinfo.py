"""`dumpsys activity exit-info` -> one death event per ApplicationExitInfo record (Android 11+).

Layouts (AOSP core/java/android/app/ApplicationExitInfo.java `dump()`):
- A (early 11): one `key=value` per line, no `subreason=` line;
- B: one `key=value` per line with `subreason=17 (ISOLATED NOT NEEDED)`;
- C (15): three lines per record, `timestamp=… pid=… realUid=…` / `process=… reason=… subreason=… status=…`
  / `importance=… pss=… rss=… description=… state=… trace=…` (newest builds add `anrInfo=`).
All three are read the same way: every line is split at the known keys, because `timestamp=` and
`description=` values contain spaces. Reasons are classified by their leading number: the text in
parentheses is `reasonCodeToString()`, not the constant name (`APP CRASH(EXCEPTION)`, `TOO MANY EMPTY PROCS`).
The input may be a whole `dumpsys activity`; only the exit-info section is read then.

What apps and tools print from `getHistoricalProcessExitReasons()` is read too:
- `ApplicationExitInfo.toString()` (`ApplicationExitInfo(timestamp=… pid=… reason=13 (OTHER KILLS BY
  SYSTEM) subreason=3 (TOO MANY EMPTY PROCS) …`), anywhere in a line: `event_from_tostring`, used by
  the log interpreter (termux-api#700 printed them as JSON strings);
- one record as `Key: Value` lines named after the getters (`Process Name:`, `Reason: ANR`, `Pid:`),
  and tables whose columns are such names (`process-name  reason  sub-reason  importance`), with
  the constant names (`USER_REQUESTED`, `FORCE_STOP`) instead of numbers (square/stoic's
  `appexitinfo`, docs/APPEXITINFO.md).
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from bgprobe.collectors.parsers import NumberedLines, at
from bgprobe.collectors.parsers.kill_reasons import normalize_am_kill_reason
from bgprobe.reports.events import Event, event_concerns

SOURCE = "exit-info"

# REASON_* constant names, and what reasonCodeToString() prints for them.
REASONS: dict[int, tuple[str, str]] = {
    0: ("UNKNOWN", "UNKNOWN"),
    1: ("EXIT_SELF", "EXIT_SELF"),
    2: ("SIGNALED", "SIGNALED"),
    3: ("LOW_MEMORY", "LOW_MEMORY"),
    4: ("CRASH", "APP CRASH(EXCEPTION)"),
    5: ("CRASH_NATIVE", "APP CRASH(NATIVE)"),
    6: ("ANR", "ANR"),
    7: ("INITIALIZATION_FAILURE", "INITIALIZATION FAILURE"),
    8: ("PERMISSION_CHANGE", "PERMISSION CHANGE"),
    9: ("EXCESSIVE_RESOURCE_USAGE", "EXCESSIVE RESOURCE USAGE"),
    10: ("USER_REQUESTED", "USER REQUESTED"),
    11: ("USER_STOPPED", "USER STOPPED"),
    12: ("DEPENDENCY_DIED", "DEPENDENCY DIED"),
    13: ("OTHER", "OTHER KILLS BY SYSTEM"),
    14: ("FREEZER", "FREEZER"),
    15: ("PACKAGE_STATE_CHANGE", "STATE CHANGE"),
    16: ("PACKAGE_UPDATED", "PACKAGE UPDATED"),
}

# SUBREASON_* constant names (the ANR_TYPE_* names were read in AOSP ApplicationExitInfo.java).
SUBREASONS: dict[int, str] = {
    0: "UNKNOWN",
    1: "WAIT_FOR_DEBUGGER",
    2: "TOO_MANY_CACHED",
    3: "TOO_MANY_EMPTY",
    4: "TRIM_EMPTY",
    5: "LARGE_CACHED",
    6: "MEMORY_PRESSURE",
    7: "EXCESSIVE_CPU",
    8: "SYSTEM_UPDATE_DONE",
    9: "KILL_ALL_FG",
    10: "KILL_ALL_BG_EXCEPT",
    11: "KILL_UID",
    12: "KILL_PID",
    13: "INVALID_START",
    14: "INVALID_STATE",
    15: "IMPERCEPTIBLE",
    16: "REMOVE_LRU",
    17: "ISOLATED_NOT_NEEDED",
    18: "CACHED_IDLE_FORCED_APP_STANDBY",
    19: "FREEZER_BINDER_IOCTL",
    20: "FREEZER_BINDER_TRANSACTION",
    21: "FORCE_STOP",
    22: "REMOVE_TASK",
    23: "STOP_APP",
    24: "KILL_BACKGROUND",
    25: "PACKAGE_UPDATE",
    26: "UNDELIVERED_BROADCAST",
    27: "SDK_SANDBOX_DIED",
    28: "SDK_SANDBOX_NOT_NEEDED",
    29: "EXCESSIVE_BINDER_OBJECTS",
    30: "OOM_KILL",
    31: "FREEZER_BINDER_ASYNC_FULL",
    32: "EXCESSIVE_OUTGOING_BROADCASTS_WHILE_CACHED",
    33: "ANR_TYPE_APP_TRIGGERED",
    34: "ANR_TYPE_BIND_APPLICATION",
    35: "ANR_TYPE_BROADCAST_OF_INTENT",
    36: "ANR_TYPE_CONTENT_PROVIDER_NOT_RESPONDING",
    37: "ANR_TYPE_EXECUTING_SERVICE",
    38: "ANR_TYPE_FOREGROUND_SERVICE_TIMEOUT",
    39: "ANR_TYPE_FOREGROUND_SHORT_SERVICE_TIMEOUT",
    40: "ANR_TYPE_GPU_HANG",
    41: "ANR_TYPE_INPUT_DISPATCHING_TIMEOUT",
    42: "ANR_TYPE_INPUT_DISPATCHING_TIMEOUT_NO_FOCUSED_WINDOW",
    43: "ANR_TYPE_JOB_SERVICE_BIND",
    44: "ANR_TYPE_JOB_SERVICE_NOTIFICATION_NOT_PROVIDED",
    45: "ANR_TYPE_JOB_SERVICE_START",
    46: "ANR_TYPE_JOB_SERVICE_STOP",
    47: "ANR_TYPE_START_FOREGROUND_SERVICE",
    48: "ANR_TYPE_SYSTEM_SERVER_WATCHDOG_TIMEOUT",
    49: "EXCESSIVE_ENQUEUED_BROADCASTS_COUNT",
}
OEM_SUBREASON_MIN = 1000  # "OEM code ... subreason code starting from 1000" (ApplicationExitInfo.java)

# ActivityManager.RunningAppProcessInfo.IMPORTANCE_*; 130/150/170/500 are the pre-26/28 legacy values.
IMPORTANCE: dict[int, str] = {
    100: "FOREGROUND",
    125: "FOREGROUND_SERVICE",
    130: "PERCEPTIBLE_PRE_26",
    150: "TOP_SLEEPING_PRE_28",
    170: "CANT_SAVE_STATE_PRE_26",
    200: "VISIBLE",
    230: "PERCEPTIBLE",
    300: "SERVICE",
    325: "TOP_SLEEPING",
    350: "CANT_SAVE_STATE",
    400: "CACHED",
    500: "EMPTY",
    1000: "GONE",
}

_KIND_BY_REASON = {1: "process_died", 4: "crash", 5: "crash", 6: "anr"}

KEYS = (
    "timestamp|pid|realUid|packageUid|definingUid|user|process|reason|subreason|status"
    "|importance|pss|rss|description|state|trace|anrInfo"
)
KV = re.compile(rf"(?:^|\s)(?P<k>{KEYS})=(?P<v>.*?)(?=\s+(?:{KEYS})=|$)")
RECORD = re.compile(r"^\s*ApplicationExitInfo #(?P<n>\d+):")
PACKAGE = re.compile(r"^\s*package: (?P<pkg>\S+)")
UID_HDR = re.compile(r"^\s*Historical Process Exit for uid=(?P<uid>\d+)")
CODE = re.compile(r"^(?P<n>-?\d+)(?:\s*\((?P<text>.*)\))?")
SIZE = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[KMGTP]?B)?$")
EXIT_INFO_HEADER = "ACTIVITY MANAGER PROCESS EXIT INFO"
# dumpstate (bugreport) section boundaries: `------ DUMPSYS (...) ------`, `DUMP OF SERVICE x:`, `-----…`.
BOUNDARY = re.compile(r"^(?:-{3,}.*|DUMP OF SERVICE .*|was the duration of .*)$")
_UNIT_KB = {"B": 1 / 1024, "KB": 1, "MB": 1024, "GB": 1024**2, "TB": 1024**3, "PB": 1024**4}


def size_kb(text: str | None) -> int | None:
    """DebugUtils.sizeValueToString output (`49MB`, `123KB`, `500`) -> kB."""
    m = SIZE.match((text or "").strip())
    if not m:
        return None
    return round(float(m["n"]) * _UNIT_KB[m["unit"] or "B"])


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _int(text: str | None) -> int | None:
    m = re.match(r"^\s*(-?\d+)", text or "")
    return int(m.group(1)) if m else None


def _code(text: str | None) -> tuple[int | None, str | None]:
    m = CODE.match((text or "").strip())
    if not m:
        return None, None
    return int(m["n"]), m["text"]


def _iso(ts: str | None) -> str | None:
    # `2024-05-06 17:38:47.527` (device local time, SimpleDateFormat) -> `2024-05-06T17:38:47.527`.
    # toString() formats in the phone's locale ("24/07/2024, 01:38"): no safe reading, left to `data`.
    if not ts:
        return None
    m = re.match(r"^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(?::\d\d(?:\.\d+)?)?)", ts.strip())
    return f"{m[1]}T{m[2]}" if m else None


def _none(v: str | None) -> str | None:
    return None if v is None or v.strip() in ("", "null") else v.strip()


def classify(reason: int | None, subreason: int | None) -> tuple[str, str]:
    """(event kind, normalized reason code) from the numeric reason/subreason."""
    kind = _KIND_BY_REASON.get(reason if reason is not None else -1, "process_killed")
    if subreason is not None and subreason >= OEM_SUBREASON_MIN:
        return kind, f"oem:subreason_{subreason}"
    if subreason and subreason in SUBREASONS:
        return kind, SUBREASONS[subreason].lower()
    if reason in REASONS:
        return kind, REASONS[reason][0].lower()
    return kind, f"reason_{reason}" if reason is not None else "unknown"


def _event(rec: dict[str, Any], where: str) -> Event:
    f: dict[str, str] = rec["fields"]
    reason, reason_text = _code(f.get("reason"))
    sub, sub_text = _code(f.get("subreason"))
    kind, code = classify(reason, sub)
    description = _none(f.get("description"))
    if reason == 13 and not sub and description:
        # ProcessRecord.killLocked(reason, REASON_OTHER, SUBREASON_UNKNOWN, noisy) passes its reason on as the
        # description and logs the same text in "Killing <pid>:<proc>/<uid> (adj N): <reason>": a kill no AOSP
        # subreason names is read as that line is, a maker's killer as `oem:<text>` ("Chimera #0": Samsung's,
        # tests/samples/corpus/android_aosp/exitinfo_tostring_app_log_same_length_lines_openvpn_magisk421.txt).
        code = normalize_am_kill_reason(description)
    importance = _int(f.get("importance"))
    reason_name = REASONS[reason][0] if reason in REASONS else reason_text
    if sub is None:
        sub_name = None
    elif sub >= OEM_SUBREASON_MIN:
        sub_name = sub_text or f"OEM_{sub}"
    else:
        sub_name = SUBREASONS.get(sub, sub_text)
    data: dict[str, Any] = {
        "record": rec["n"],
        "reason_code": reason,
        "reason_name": reason_name,
        "reason_text": reason_text,
        "subreason_code": sub,
        "subreason_name": sub_name,
        "subreason_text": sub_text,
        "status": _int(f.get("status")),
        "importance": importance,
        "importance_name": IMPORTANCE.get(importance) if importance is not None else None,
        "pss": _none(f.get("pss")),
        "pss_kb": size_kb(f.get("pss")),
        "rss": _none(f.get("rss")),
        "rss_kb": size_kb(f.get("rss")),
        "description": description,
        "state": _none(f.get("state")),
        "trace": _none(f.get("trace")),
        "realUid": _int(f.get("realUid")),
        "packageUid": _int(f.get("packageUid")),
        "definingUid": _int(f.get("definingUid")),
        "user": _int(f.get("user")),
        "timestamp": _none(f.get("timestamp")),
    }
    if "anrInfo" in f:
        data["anrInfo"] = _none(f["anrInfo"])
    process = _none(f.get("process"))
    package_uid = f.get("packageUid") or rec.get("uid")
    return Event(
        kind=kind,
        source=SOURCE,
        where=at(where, rec["lineno"]),
        ts=_iso(_none(f.get("timestamp"))),
        pid=_int(f.get("pid")),
        process=process,
        package=rec.get("package") or (process.split(":", 1)[0] if process else None),
        uid=_none(package_uid),
        reason=code,
        detail=_detail(data),
        data=data,
    )


def _detail(d: dict[str, Any]) -> str:
    what = d["reason_text"] or d["reason_name"] or "UNKNOWN"
    if d["reason_code"] in REASONS:
        what = REASONS[d["reason_code"]][1]
    if d["subreason_code"]:
        what += " / " + (d["subreason_name"] or f"subreason {d['subreason_code']}").replace("_", " ")
    extras = []
    if d["importance"] is not None:
        extras.append(f"importance {d['importance_name'] or d['importance']}")
    if d["pss"]:
        extras.append(f"pss {d['pss']}")
    return f"exit-info: {what}" + (f" ({', '.join(extras)})" if extras else "")


TOSTRING = "ApplicationExitInfo("


def event_from_tostring(text: str, where: str, lineno: int) -> Event | None:
    """The event of an `ApplicationExitInfo(...)` toString() found in a line, or None."""
    start = text.find(TOSTRING)
    if start == -1:
        return None
    # Runs of blanks collapsed first: KV's lazy values would otherwise rescan a long run at each step.
    body = " ".join(text[start + len(TOSTRING) :].split()).rstrip('",').rstrip()
    if body.endswith(")") and body.count("(") < body.count(")"):
        body = body[:-1]  # the record's own closing parenthesis
    fields: dict[str, str] = {}
    for kv in KV.finditer(body):
        fields.setdefault(kv["k"], kv["v"])
    if "pid" not in fields or "reason" not in fields:
        return None
    try:
        event = _event({"n": None, "lineno": lineno, "package": None, "uid": None, "fields": fields}, where)
    except Exception:  # a malformed record is skipped, never fatal
        return None
    event.detail = f"{event.detail} (ApplicationExitInfo.toString)"
    return event


# Getter names as tools print them ("Process Name: ", "Sub-reason: "), normalized to letters only.
# (A table may call the process column "package"; a `package:` line is the dump's own header.)
_GETTER_KEYS = {
    "processname": "process",
    "process": "process",
    "timestamp": "timestamp",
    "reason": "reason",
    "subreason": "subreason",
    "importance": "importance",
    "description": "description",
    "status": "status",
    "pss": "pss",
    "rss": "rss",
    "pid": "pid",
    "realuid": "realUid",
    "packageuid": "packageUid",
    "defininguid": "definingUid",
}
GETTER_LINE = re.compile(r"^\s*(?P<k>[A-Z][A-Za-z]*(?:[ -][A-Za-z]+)*)\s*:\s*(?P<v>.*)$")
_TABLE_SPLIT = re.compile(r"\s{2,}")
_TABLE_RULE = re.compile(r"^[-=\s|+]+$")


def _name(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _constant(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


_REASON_BY_NAME = {_constant(n): code for code, names in REASONS.items() for n in names}
_SUBREASON_BY_NAME = {name: code for code, name in SUBREASONS.items()}
_IMPORTANCE_BY_NAME = {name: code for code, name in IMPORTANCE.items()}


def _coded(value: str, by_name: dict[str, int]) -> str:
    """`ANR` / `6` / `6 (ANR)` -> what `_code` reads (`6 (ANR)`); an unknown name is kept as text."""
    value = value.strip()
    if CODE.match(value):
        return value
    code = by_name.get(_constant(value))
    return f"{code} ({value})" if code is not None else value


_TABLE_KEYS = {**_GETTER_KEYS, "package": "process", "packagename": "process"}


def table_columns(line: str) -> list[str] | None:
    """The getter names of a table header (`id  timestamp  process-name  reason  sub-reason`), if it is one."""
    cells = [_name(c) for c in _TABLE_SPLIT.split(line.strip())]
    keys = [_TABLE_KEYS.get(c) for c in cells]
    if len(cells) >= 3 and "reason" in keys and "process" in keys:
        return [k or c for k, c in zip(keys, cells, strict=True)]
    return None


def _getter_fields(values: dict[str, str]) -> dict[str, str]:
    """Getter-named values -> the `key=value` vocabulary of the dump (`_event` reads that)."""
    fields: dict[str, str] = {}
    for key, value in values.items():
        if key == "reason":
            value = _coded(value, _REASON_BY_NAME)
        elif key == "subreason":
            value = _coded(value, _SUBREASON_BY_NAME)
        elif key == "importance":
            value = _coded(value, _IMPORTANCE_BY_NAME)
        elif key == "timestamp":
            value = value.split(" (", 1)[0]  # "2024-06-05 13:36:24 (epoch: 1717619784667)"
        elif key in ("pss", "rss") and value.isdigit():
            value += "KB"  # getPss()/getRss() are in kB
        fields[key] = value
    return fields


def looks_like_exit_info(sample: list[str]) -> bool:
    """A dump, a getter-named record (`Process Name:`, `Reason:` and two more) or an exit-reason table."""
    text = "\n".join(sample)
    if "ApplicationExitInfo #" in text or "PROCESS EXIT INFO" in text:
        return True
    keys: set[str] = set()
    for line in sample:
        if table_columns(line):
            return True
        if (m := GETTER_LINE.match(line)) and (key := _GETTER_KEYS.get(_name(m["k"]))):
            keys.add(key)
    return {"process", "reason"} <= keys and len(keys) >= 4


def parse_exit_info(lines: NumberedLines, where: str, *, package: str | None = None) -> list[Event]:
    """One process_died / process_killed / crash / anr event per ApplicationExitInfo record."""
    events: list[Event] = []
    rec: dict[str, Any] | None = None
    cur_pkg: str | None = None
    cur_uid: str | None = None
    active = True  # until a top-level header says we are in another `dumpsys activity` section
    columns: list[str] | None = None  # of the exit-reason table being read
    getter: dict[str, Any] | None = None  # a record of getter-named `Key: Value` lines
    serial = 0

    def flush() -> None:
        nonlocal rec
        if rec is not None and rec["fields"]:
            with contextlib.suppress(Exception):  # a malformed record is skipped, never fatal
                events.append(_event(rec, where))
        rec = None

    def flush_getter() -> None:
        nonlocal getter
        if getter is not None and {"process", "reason"} <= getter["values"].keys():
            getter_rec = {**getter, "fields": _getter_fields(getter.pop("values"))}
            with contextlib.suppress(Exception):
                events.append(_event(getter_rec, where))
        getter = None

    for lineno, raw in lines:
        text = str(raw).rstrip()
        stripped = text.strip()
        if columns is not None:
            if _TABLE_RULE.match(stripped) and stripped:
                continue
            cells = _TABLE_SPLIT.split(stripped)
            if stripped and len(cells) == len(columns):
                serial += 1
                row = {k: v for k, v in zip(columns, cells, strict=True) if k in _GETTER_KEYS.values()}
                flush_getter()
                getter = {"n": serial, "lineno": lineno, "package": None, "uid": None, "values": row}
                flush_getter()  # a row is a whole record
                continue
            columns = None
        if (cols := table_columns(stripped)) is not None:
            flush_getter()
            columns = cols
            continue
        if rec is None and (g := GETTER_LINE.match(text)) and (key := _GETTER_KEYS.get(_name(g["k"]))):
            if getter is None or key in getter["values"]:
                flush_getter()
                serial += 1
                getter = {"n": serial, "lineno": lineno, "package": None, "uid": None, "values": {}}
            getter["values"][key] = g["v"].strip()
            continue
        if getter is not None and (not stripped or not GETTER_LINE.match(text)):
            flush_getter()
        if stripped.startswith("ACTIVITY MANAGER"):
            flush()
            active = stripped.startswith(EXIT_INFO_HEADER)
            cur_pkg = cur_uid = None
            continue
        if BOUNDARY.match(stripped):
            flush()
            active = False
            continue
        if not active or not stripped or stripped.startswith("#"):
            continue
        m = RECORD.match(text)
        if m:
            flush()
            rec = {"n": int(m["n"]), "lineno": lineno, "package": cur_pkg, "uid": cur_uid, "fields": {}}
            continue
        m = PACKAGE.match(text)
        if m:
            flush()
            cur_pkg, cur_uid = m["pkg"], None
            continue
        m = UID_HDR.match(text)
        if m:
            flush()
            cur_uid = m["uid"]
            continue
        if rec is not None:
            for kv in KV.finditer(stripped):
                rec["fields"].setdefault(kv["k"], kv["v"])
    flush()
    flush_getter()
    if package is not None:
        events = [e for e in events if event_concerns(e, package)]
    return events
