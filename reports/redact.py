"""Personal data out of what bgprobe writes for sharing (issue 14): `--redact`, on by default for `--html`.

A support ticket travels: the customer's bugreport holds their e-mail, phone number, IMEI, Wi-Fi and IP
addresses, where they were, their account names and whatever tokens an app logged. What bgprobe writes for
a ticket keeps what the diagnosis needs — package and process names, pids, uids, log tags, times, job ids
and bgprobe's own reason strings — and replaces the rest with a placeholder that says what was there:

    <email> <phone> <imei> <meid> <serial> <android_id> <account> <ip> <mac> <coordinates> <query> <token>
    <jwt> <user>

Each rule is written against the look-alikes a log is full of: a package name (`com.example.app`) is never
an e-mail or a domain (only `@` makes an e-mail), a version (`14.0.3`, `V14.0.6.0.TKBEUXM`) is never an IP
(four dotted numbers up to 255, not inside a longer dotted word, not after "version"), a time
(`13:33:45.870`) is never an IPv6 or MAC address, a pid or a uid is never a phone number (phone numbers
need a `+`, a `(555) 123-4567` / `555-123-4567` shape or a label), and a 15-digit number is an IMEI only
when its Luhn check digit is right (or a label says so).

Standard library only: the scan path imports it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import fields, replace
from functools import lru_cache
from typing import Any

from bgprobe.reports.events import Event

PLACEHOLDERS: tuple[str, ...] = (
    "<email>",
    "<phone>",
    "<imei>",
    "<meid>",
    "<serial>",
    "<android_id>",
    "<account>",
    "<ip>",
    "<mac>",
    "<coordinates>",
    "<query>",
    "<token>",
    "<jwt>",
    "<user>",
)

# -- URLs, tokens ----------------------------------------------------------------------------------
_URL = re.compile(r"\b(?:https?|wss?|ftp|content|file|intent)://[^\s\"'<>`)\]}]+", re.IGNORECASE)
_URL_USERINFO = re.compile(r"^([a-z]+://)[^/@\s]+@", re.IGNORECASE)
# A query string without a scheme before it (`GET /v1/sync?token=…`): a `?` glued to a path, then key=value.
_BARE_QUERY = re.compile(r"(?<=[\w/.-])\?[\w%.\[\]-]+=[^\s\"'<>`)\]}]*")
_JWT = re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")
_FCM = re.compile(r"\b[\w-]{11,}:APA91b[\w-]{20,}")  # Firebase registration tokens
_BEARER = re.compile(r"\b(bearer|basic)(\s+)(?!<)([\w.~+/-]{8,}=*)", re.IGNORECASE)
# key=value or key: value where the key names a secret. A bare `key=` is left alone: notification keys
# (`key=0|com.foo|12|null|10245`) carry package names.
_SECRET = re.compile(
    r"(?i)\b((?:access|refresh|id|auth|session|csrf|xsrf|api|push|device|fcm|gcm|registration|client)?[_-]?token"
    r"|(?:api|access|secret|private|auth|app|client)[_-]?key|client[_-]?secret|secret|password|passwd|pwd"
    r"|session[_-]?id|cookie)"
    r"(\"?\s*[:=]\s*\"?)(?!<)([^\s\"'&,;}\]]+)"
)

# -- people and accounts ---------------------------------------------------------------------------
_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_ACCOUNT_RECORD = re.compile(r"(Account\s*\{\s*name=)([^,}]+)")
_ACCOUNT_FIELD = re.compile(r"(?i)\b(account(?:_?name)?|authAccount|user_?name|login)(\s*[:=]\s*)(?!<)([^\s,;}\]\"']+)")
_PHONE_E164 = re.compile(r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?![\w])")
_PHONE_NANP = re.compile(r"(?<![\w.-])(?:\(\d{3}\)\s?|\d{3}[-.])\d{3}[-.]\d{4}(?![\w.-])")
_PHONE_FIELD = re.compile(
    r"(?i)\b(phone(?:_?number)?|tel|msisdn|mobile|line1_?number|caller(?:_?id)?|incoming_?number|sms_?from)"
    r"(\s*[:=]\s*)(?!<)(\+?\d[\d ().-]{5,}\d)"
)
_TEL_URI = re.compile(r"(?i)\btel:\+?\d[\d().-]{4,}\d")

# -- device identifiers ----------------------------------------------------------------------------
_IMEI_FIELD = re.compile(r"(?i)(\bimei\w*\W{1,4})(\d{14,17})\b")
_MEID_FIELD = re.compile(r"(?i)(\bmeid\w*\W{1,4})([0-9a-f]{14}|\d{18})\b")
_IMEI = re.compile(r"(?<![\w.])\d{2}[- ]?\d{6}[- ]?\d{6}[- ]?\d(?![\w.])")
_MEID = re.compile(r"(?<![\w.])[A-F][0-9A-F]{13}(?![\w.])")
_SERIAL = re.compile(
    r"(?i)(\b(?:ro\.(?:boot\.)?serialno|androidboot\.serialno|serial(?:[ _]?(?:no|number))?|m?serial)"
    r"\]?\s*[:=]?\s*\[?)(?!<)([A-Za-z0-9]{5,24})\b"
)
_ANDROID_ID = re.compile(r"(?i)(\b(?:android_?id|ssaid)\W{1,4})([0-9a-f]{16})\b")

# -- network addresses, places ---------------------------------------------------------------------
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\w|\.\w)")
_VERSION_BEFORE = re.compile(r"(?i)(?:version|versionName|ver|build|v)\W{0,3}$")
_MAC = re.compile(r"(?<![\w:-])[0-9A-Fa-f]{2}(?:([:-])[0-9A-Fa-f]{2})(?:\1[0-9A-Fa-f]{2}){4}(?![\w:-])")
_IPV6_CANDIDATE = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(?:%[\w.]+)?(?![\w:])")
_COORD_PAIR = re.compile(r"(?<![\w.:])-?(?:[1-8]?\d|90)\.\d{4,}\s*,\s*-?(?:1[0-7]\d|[1-9]?\d|180)\.\d{4,}(?![\w.])")
_COORD_FIELD = re.compile(r"(?i)\b(lat(?:itude)?|lon(?:gitude)?|lng)(\s*[:=]\s*)(?!<)(-?\d{1,3}\.\d+)")

# -- user names in paths ---------------------------------------------------------------------------
_HOME = re.compile(r"(/home/|/Users/|/export/home/)(?!<)([^/\s:\"'<>]+)")
_WIN_HOME = re.compile(r"(?i)(\b[A-Z]:[\\/]+(?:Users|Documents and Settings)[\\/]+)(?!<)([^\\/\s:\"'<>]+)")


def redact_text(text: str) -> str:
    """`text` with personal data replaced by placeholders; everything else exactly as it was."""
    if not text:
        return text
    # Each rule runs only when a cheap test says it could match: `--json --redact` may redact a million
    # lines, and most hold nothing personal (a few microseconds a line instead of fifteen).
    low = text.casefold()
    if "://" in text:
        text = _URL.sub(_url, text)
    if "?" in text:
        text = _BARE_QUERY.sub("?<query>", text)
    if "eyj" in low:
        text = _JWT.sub("<jwt>", text)
    if "apa91b" in low:
        text = _FCM.sub("<token>", text)
    if "bearer" in low or "basic" in low:
        text = _BEARER.sub(_bearer, text)
    if any(word in low for word in _SECRET_WORDS):
        text = _SECRET.sub(r"\1\2<token>", text)
    if "account" in low or "user" in low or "login" in low:
        text = _ACCOUNT_RECORD.sub(r"\1<account>", text)
        text = _ACCOUNT_FIELD.sub(r"\1\2<account>", text)
    if "@" in text:
        text = _EMAIL.sub("<email>", text)
    if "imei" in low:
        text = _IMEI_FIELD.sub(r"\1<imei>", text)
    if "meid" in low:
        text = _MEID_FIELD.sub(r"\1<meid>", text)
    if "android_id" in low or "androidid" in low or "ssaid" in low:
        text = _ANDROID_ID.sub(r"\1<android_id>", text)
    if "serial" in low:
        text = _SERIAL.sub(_serial, text)
    if any(word in low for word in _PHONE_WORDS):
        text = _PHONE_FIELD.sub(r"\1\2<phone>", text)
        text = _TEL_URI.sub(_tel, text)
    if "lat" in low or "lon" in low or "lng" in low:
        text = _COORD_FIELD.sub(r"\1\2<coordinates>", text)
    colons = text.count(":")
    if colons >= 5 or text.count("-") >= 5:
        text = _MAC.sub("<mac>", text)
    if (colons >= 2 and "::" in text) or colons >= 7:  # an IPv6 address has `::` or eight groups
        text = _IPV6_CANDIDATE.sub(_ipv6, text)
    if "," in text:
        text = _COORD_PAIR.sub("<coordinates>", text)
    if "+" in text:
        text = _PHONE_E164.sub(_phone, text)
    if _NUMBERS.search(text) is not None:  # one pass says whether any of the four could match
        text = _IPV4.sub(_ipv4, text)
        text = _PHONE_NANP.sub("<phone>", text)
        text = _IMEI.sub(_imei, text)
        text = _MEID.sub(_meid, text)
    if "/home/" in text or "/Users/" in text:
        text = _HOME.sub(r"\1<user>", text)
    if ":\\" in text or ":/" in text:
        text = _WIN_HOME.sub(r"\1<user>", text)
    return text


_SECRET_WORDS = ("token", "key", "secret", "passw", "pwd", "session", "cookie")
_PHONE_WORDS = ("phone", "tel", "msisdn", "mobile", "line1", "caller", "incoming", "sms")
# What an IPv4 address, a North American phone number, an IMEI or an MEID needs at the least, in one pattern.
_NUMBERS = re.compile(
    r"\d\.\d{1,3}\.\d{1,3}\.\d|\d{3}[-.]\d{3}[-.]\d{4}|\(\d{3}\)\s?\d{3}[-.]\d{4}|\d{6}[- ]?\d{6}|[0-9A-F]{14}"
)


@lru_cache(maxsize=16_384)
def _redact_short(text: str) -> str:
    return redact_text(text)


def _redact_str(text: str) -> str:
    # Short strings repeat from event to event (constraint names, a file's name, `empty #33`): redacted once.
    return _redact_short(text) if len(text) <= 96 else redact_text(text)


def redact_value(value: Any) -> Any:
    """Strings redacted inside lists, tuples and dicts (keys are field names: kept); other values as they are."""
    if isinstance(value, str):
        return _redact_str(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact_value(v) for v in value)
    return value


# What an event keeps as it is: the fields the diagnosis is made of (kind, times, names, ids, reasons).
# `detail`, `where` (a path may name the user) and `data` are redacted.
KEPT_FIELDS = frozenset(
    {"kind", "source", "ts", "device", "platform", "os_version", "package", "process", "pid", "uid", "job", "reason"}
)


def redact_event(event: Event) -> Event:
    """A copy of `event` with personal data out of its text; the diagnosis fields untouched."""
    name, colon, line = event.where.rpartition(":")
    where = _redact_str(name) + colon + line if colon and line.isdigit() else _redact_str(event.where)
    return replace(
        event,
        where=where,
        detail=redact_text(event.detail) if event.detail else event.detail,
        data=redact_value(event.data) if event.data else event.data,
    )


def redact_fields(obj: Any, keep: frozenset[str] = frozenset()) -> Any:
    """A dataclass copy with every string field redacted (recursively), except the fields named in `keep`."""
    changes: dict[str, object] = {}
    for f in fields(obj):
        if f.name in keep:
            continue
        value = getattr(obj, f.name)
        if isinstance(value, Event):
            changes[f.name] = redact_event(value)
        elif isinstance(value, list) and value and all(isinstance(v, Event) for v in value):
            changes[f.name] = [redact_event(v) for v in value]
        elif isinstance(value, list) and value and hasattr(value[0], "__dataclass_fields__"):
            changes[f.name] = [redact_fields(v, keep) for v in value]
        else:
            changes[f.name] = redact_value(value)
    return replace(obj, **changes)


# -- replacement callbacks: the checks a regular expression cannot make ---------------------------
def _url(m: re.Match[str]) -> str:
    url = _URL_USERINFO.sub(r"\1<user>@", m.group(0))
    for mark in ("?", "#"):
        cut = url.find(mark)
        if cut != -1:
            url = url[:cut] + ("?<query>" if mark == "?" else "#<token>")
    return url


def _bearer(m: re.Match[str]) -> str:
    # A credential has a digit or padding; "basic authentication" is prose.
    value = m.group(3)
    return f"{m.group(1)}{m.group(2)}<token>" if any(c.isdigit() or c == "=" for c in value) else m.group(0)


def _serial(m: re.Match[str]) -> str:
    value = m.group(2)
    # A serial has a digit ("serial console" and "serialNumber: unknown" are words, not serials).
    return m.group(1) + "<serial>" if any(c.isdigit() for c in value) else m.group(0)


def _ipv4(m: re.Match[str]) -> str:
    before = m.string[max(0, m.start() - 16) : m.start()]
    return m.group(0) if _VERSION_BEFORE.search(before) else "<ip>"


def _ipv6(m: re.Match[str]) -> str:
    token = m.group(0)
    address = token.split("%", 1)[0]
    if address.count(":") < 2 or not any(c.isdigit() for c in address):
        return token  # a time has digits but no `::`/eight groups; C++'s `a::b` has no digit
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return token
    return "<ip>"


def _phone(m: re.Match[str]) -> str:
    digits = sum(c.isdigit() for c in m.group(0))
    return "<phone>" if 8 <= digits <= 15 else m.group(0)


def _tel(m: re.Match[str]) -> str:
    return "tel:<phone>" if sum(c.isdigit() for c in m.group(0)) >= 6 else m.group(0)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _imei(m: re.Match[str]) -> str:
    digits = "".join(c for c in m.group(0) if c.isdigit())
    return "<imei>" if len(digits) == 15 and _luhn(digits) else m.group(0)


def _meid(m: re.Match[str]) -> str:
    token = m.group(0)
    # An MEID mixes digits and letters (A0000012345678); a run of fourteen capitals is a word.
    return "<meid>" if any(c.isdigit() for c in token) and any(c.isalpha() for c in token) else token


def redact_summary(summary: Any) -> Any:
    """A `reports.scan_summary.ScanSummary` for sharing: its names, details and jobs redacted, reasons kept."""
    return redact_fields(summary, keep=frozenset({"reason", "kinds"}))
