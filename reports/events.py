"""The one event model: live devices, simulated devices and offline files all produce these.

Fields and kinds are README.md's ("Events"). `data` carries source-specific extras
(oom adj, rss, constraints, ...) that do not deserve a column of their own.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What an event says happened. The values are the `kind` strings of every output (JSON, CSV,
    Parquet): a member compares and hashes as its string."""

    JOB_SCHEDULED = "job_scheduled"
    JOB_STARTED = "job_started"
    JOB_FINISHED = "job_finished"
    JOB_STOPPED = "job_stopped"
    JOB_TIMEOUT = "job_timeout"
    WORK_RESULT = "work_result"
    PROCESS_STARTED = "process_started"
    PROCESS_KILLED = "process_killed"
    PROCESS_DIED = "process_died"
    ANR = "anr"
    CRASH = "crash"
    STATE_CHANGED = "state_changed"
    TRIGGER = "trigger"


# The kind strings in README order (plain str: pandas categories and Parquet dictionaries hold these).
KINDS: tuple[str, ...] = tuple(k.value for k in Kind)

_KIND_SET = frozenset(KINDS)  # checked for every event made

# Kinds that mean "this process is gone"; used by summaries, `--fail-on kill`, `watch`, the judge of
# an attempt. The one place they are spelled out.
DEATH_KINDS: frozenset[str] = frozenset({Kind.PROCESS_KILLED, Kind.PROCESS_DIED, Kind.CRASH})


@dataclass(slots=True)
class Event:
    kind: str
    source: str
    where: str
    ts: str | None = None  # ISO 8601, device clock (no zone unless the source had one)
    device: str | None = None
    platform: str = "android"
    os_version: str | None = None
    package: str | None = None
    process: str | None = None
    pid: int | None = None
    uid: str | None = None
    job: str | None = None
    reason: str | None = None
    detail: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in _KIND_SET:
            raise ValueError(f"unknown event kind {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose: dataclasses.asdict deep-copies `data` and was half of scan time.
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    def to_json(self) -> str:
        # What _ENCODE(self.to_dict()) writes. A scan may write a million of these: the encoder's set-up
        # per call cost as much as the strings themselves, so each shape of event (which fields are set,
        # and to what types) gets a formatter made once, that encodes only the fields set.
        values = _FIELDS_OF(self)
        shape = tuple(map(type, values))
        write = _FORMATTERS.get(shape)
        if write is None:
            write = _formatter(shape) if len(_FORMATTERS) < _MAX_FORMATTERS else _to_json_any
            _FORMATTERS[shape] = write
        return write(values)


_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Event))
_FIELDS_OF = operator.attrgetter(*_FIELD_NAMES)
_JSON_KEYS = tuple(
    ("{" if i == 0 else ",") + json.encoder.encode_basestring(n) + ":" for i, n in enumerate(_FIELD_NAMES)
)
# One encoder for every event: json.dumps with options builds a new JSONEncoder on each call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
_ENCODE_STR = json.encoder.encode_basestring  # what that encoder writes a str with (ensure_ascii=False)

if json.encoder.c_make_encoder is not None:  # type: ignore[attr-defined]  # the C accelerator: not in typeshed
    # The C encoder _ENCODE sets up on each call, set up once (same options). Its markers (for circular
    # references) are empty after every encoding that succeeds; cleared when one fails.
    _MARKERS: dict[int, object] = {}
    _C_ENCODE = json.encoder.c_make_encoder(  # type: ignore[attr-defined]  # the C accelerator: not in typeshed
        _MARKERS, str, _ENCODE_STR, None, ":", ",", False, False, True
    )

    def _encode_value(value: object) -> str:
        try:
            return "".join(_C_ENCODE(value, 0))
        except BaseException:
            _MARKERS.clear()
            raise

else:  # pragma: no cover - an interpreter without the C accelerator

    def _encode_value(value: object) -> str:
        return _ENCODE(value)


_FORMATTERS: dict[tuple[type, ...], Callable[[tuple[Any, ...]], str]] = {}
_MAX_FORMATTERS = 512  # shapes are few (a handful per rule); a flood of odd ones takes the general path


def _to_json_any(values: tuple[Any, ...]) -> str:
    """The JSON object of an event's field values, whatever their types."""
    out = []
    for key, value in zip(_JSON_KEYS, values, strict=True):
        if value is None:
            out.append(key + "null")
        elif type(value) is str:
            out.append(key + _ENCODE_STR(value))
        elif type(value) is int:
            out.append(key + int.__repr__(value))
        else:  # data, and anything unusual: as the one encoder writes it
            out.append(key + _encode_value(value))
    out.append("}")
    return "".join(out)


def _formatter(shape: tuple[type, ...]) -> Callable[[tuple[Any, ...]], str]:
    """A function writing the field values of one shape as _to_json_any does, in one %-format: null is
    part of the template, a str goes through the encoder's string function, an int through int's repr,
    anything else (data, an enum, a bool) through the encoder itself."""
    template, args = [], []
    for i, (key, kind) in enumerate(zip(_JSON_KEYS, shape, strict=True)):
        if kind is type(None):
            template.append(key.replace("%", "%%") + "null")
            continue
        template.append(key.replace("%", "%%") + "%s")
        call = "encode_str" if kind is str else "int_repr" if kind is int else "encode_value"
        args.append(f"{call}(v[{i}])")
    source = f"def write(v):\n    return {''.join(template) + '}'!r} % ({', '.join(args)},)\n"
    namespace: dict[str, Any] = {"encode_str": _ENCODE_STR, "int_repr": int.__repr__, "encode_value": _encode_value}
    exec(source, namespace)  # generated from the field names and types above, nothing else
    write: Callable[[tuple[Any, ...]], str] = namespace["write"]
    return write


def system_name(platform: str | None) -> str:
    """The name an event's OS version is told with: "iOS" for an iOS device's, else "Android"."""
    return "iOS" if platform == "ios" else "Android"


def package_of_process(process: str | None) -> str | None:
    """`com.foo:remote` -> `com.foo`. Android process names are the package plus an optional `:suffix`."""
    if not process:
        return None
    return process.split(":", 1)[0] or None


def event_concerns(event: Any, package: str) -> bool:
    """Whether an event (or a folded death: anything with `package` and `process`) is about this app:
    it names the package, or one of the app's processes (`package`, `package:suffix`). Exact, never a
    prefix: `com.foo` is not `com.foobar`. The one package filter of watch, trigger, campaigns and scan."""
    return event.package == package or package_of_process(event.process) == package
