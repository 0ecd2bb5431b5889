"""JUnit XML for a CI job's test tab: a testsuite per device × OS version, a testcase per task run.

Names are chosen for how the common viewers read them:

- the testsuite is the phone, by the name it goes by: an iPhone's own name ("Anna's iPhone", from
  devices.jsonl), an Android phone's ro.serialno (the id `adb devices` shows for a USB phone; the
  adb serial of a phone reached over the network is a host:port that changes). A UDID only when
  nothing else is known. Jenkins' and dorny/test-reporter's suite lists show it.
- `classname` is `Android 14.Google Pixel 8 (sim-pixel8-01)`. Jenkins splits a classname at its
  last dot into package and class: the package is platform and OS version, the class the phone's
  model and name. GitLab shows the whole classname (its "Suite" column) and keeps only the first
  of two tests with the same classname and name, so two phones of one model must differ here.
  Dots in the class part become `_`: they would move Jenkins' split.
- the testcase is one task run, `sync under doze-deep, run 3`. It passes when the task run
  completed, fails when it never succeeded (the failure lists every attempt with its outcome and
  reason), and is skipped when it was inconclusive (device lost, condition not available: that
  says nothing about the app). Tests, failures and skips are the report's task runs, never
  succeeded and inconclusive.
- `time` is the seconds its attempts took: each attempt's duration (started → finished), else its
  wall time (scheduled → finished) when it never started; an attempt with neither (not started
  in its window, skipped, device lost) adds nothing. `time` is written even when 0: viewers read
  a missing one as NaN (dorny/test-reporter) or fail on it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from bgprobe.reports.attempts import INFRA_OUTCOMES
from bgprobe.reports.metrics import TASK_RUN_KEY
from bgprobe.reports.render_tables import PLATFORM_NAMES, duration
from bgprobe.reports.schema import device_times

if TYPE_CHECKING:
    from bgprobe.reports.metrics import Report
    from bgprobe.reports.results import Results

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class _Tries:
    """The attempts of one task run, in order."""

    lines: list[str] = field(default_factory=list)  # "attempt 2: killed (lmkd:low_mem), 9.0s"
    outcomes: list[tuple[str, str | None]] = field(default_factory=list)  # (outcome, reason) of the unsuccessful
    seconds: float = 0.0
    succeeded_on: int | None = None


def render_junit(report: Report, results: Results) -> str:
    root = ET.Element("testsuites", name="bgprobe")
    runs = report.task_runs
    if runs.empty:
        return _xml(root)
    tries = _tries(results.attempts)
    names = _suite_names(runs, results.devices)
    several = runs["campaign"].astype(str).nunique() > 1  # then one task run can exist in each campaign
    totals = dict.fromkeys(("tests", "failures", "skipped", "time"), 0.0)
    suites = runs.groupby(["device", "os_version"], observed=True, sort=False, dropna=False)
    for (device, _), suite_runs in sorted(suites, key=lambda item: _suite_order(item[1].iloc[0], names)):
        first = suite_runs.iloc[0]
        name, os_name, model = names[str(device)], _os(first), _model(first)
        suite = ET.SubElement(root, "testsuite", name=f"{name} ({os_name}, {model})")
        _properties(suite, first, results.devices)
        classname = f"{os_name}.{_no_dots(f'{model} ({name})')}"
        counts = dict.fromkeys(("tests", "failures", "skipped", "time"), 0.0)
        ordered = suite_runs.sort_values(["campaign", "task", "condition", "repetition"], kind="stable")
        for run in ordered.itertuples(index=False):
            done = tries.get(_key(run), _Tries())
            title = f"{run.task} under {run.condition}, run {run.repetition}"
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{run.campaign}: {title}" if several else title,
                classname=classname,
                time=f"{done.seconds:.3f}",
            )
            counts["tests"] += 1
            counts["time"] += done.seconds
            listing = "\n".join(done.lines) or "no attempt recorded"
            if run.never_succeeded:
                counts["failures"] += 1
                message = f"never succeeded in {_count(int(run.attempts), 'attempt')}: {_summary(done.outcomes)}"
                ET.SubElement(case, "failure", message=message, type="never_succeeded").text = listing
            elif not run.decided:
                counts["skipped"] += 1
                message = f"inconclusive, not the app's failure: {_summary(done.outcomes)}"
                ET.SubElement(case, "skipped", message=message).text = listing
            else:
                retries = int(run.attempts) - 1
                said = f"completed on attempt {done.succeeded_on or '?'}"
                if retries:
                    said += f" ({_count(retries, 'retry', 'retries')})"
                if not np.isnan(run.ttes_s):
                    said += f", {duration(run.ttes_s)} after it was first scheduled"
                # The attempts only when there were several: a file of 100,000 task runs stays small.
                ET.SubElement(case, "system-out").text = said + (f"\n{listing}" if len(done.lines) > 1 else "")
        _totals(suite, counts)
        for key, value in counts.items():
            totals[key] += value
    _totals(root, totals)
    return _xml(root)


def _totals(element: ET.Element, counts: dict[str, float]) -> None:
    for key in ("tests", "failures", "skipped"):
        element.set(key, str(int(counts[key])))
    element.set("errors", "0")  # an attempt that bgprobe could not judge is an outcome, not an error
    element.set("time", f"{counts['time']:.3f}")


def _key(row: object) -> tuple[str, ...]:
    # As text on both sides: task_runs and the attempts may hold the same values as different dtypes.
    return tuple(str(getattr(row, c)) for c in TASK_RUN_KEY)


def _tries(attempts: pd.DataFrame) -> dict[tuple[str, ...], _Tries]:
    """Per task run: its attempts as lines, its unsuccessful outcomes, its seconds, its successful attempt."""
    seconds = _attempt_seconds(attempts)
    frame = attempts[[*TASK_RUN_KEY, "attempt", "outcome", "reason"]].assign(seconds=seconds)
    frame = frame.sort_values("attempt", kind="stable")
    out: dict[tuple[str, ...], _Tries] = {}
    for row in frame.itertuples(index=False):
        done = out.setdefault(_key(row), _Tries())
        outcome = "unknown outcome" if pd.isna(row.outcome) else str(row.outcome)
        reason = None if pd.isna(row.reason) else str(row.reason)
        line = f"attempt {row.attempt}: {outcome}" + (f" ({reason})" if reason else "")
        if not np.isnan(row.seconds):
            line += f", {row.seconds:.1f}s"
            done.seconds += row.seconds
        if outcome in INFRA_OUTCOMES:
            line += " (not the app's failure)"
        done.lines.append(line)
        if outcome == "success":
            done.succeeded_on = done.succeeded_on or int(row.attempt)
        else:
            done.outcomes.append((outcome, reason))
    return out


def _attempt_seconds(attempts: pd.DataFrame) -> np.ndarray:
    """duration_s, else finished − started, else finished − scheduled (the wall time); NaN when none."""

    def at(column: str) -> np.ndarray:
        values = attempts[column]
        if not pd.api.types.is_datetime64_any_dtype(values):
            values = device_times(values)
        stamps = values.to_numpy(dtype="datetime64[ms]")
        return np.where(np.isnat(stamps), np.nan, stamps.astype("int64") / 1000.0)

    duration = attempts["duration_s"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    finished = at("finished")
    for start in ("started", "scheduled"):
        duration = np.where(np.isnan(duration), finished - at(start), duration)
    return np.where(duration >= 0, duration, np.nan)  # a clock that stepped back is no duration


def _summary(outcomes: list[tuple[str, str | None]]) -> str:
    """Like `killed ×2 (lmkd:low_mem, oem:OneKeyClean); timeout`: outcomes in order of first appearance."""
    if not outcomes:
        return "no attempt recorded"
    parts = []
    for outcome, count in Counter(o for o, _ in outcomes).items():
        reasons = Counter(r for o, r in outcomes if o == outcome and r)
        detail = ", ".join(r + _times(n) for r, n in sorted(reasons.items()))
        parts.append(outcome + _times(count) + (f" ({detail})" if detail else ""))
    return "; ".join(parts)


def _times(n: int) -> str:
    return f" ×{n}" if n > 1 else ""


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


# ---------------------------------------------------------------- names


def _suite_names(runs: pd.DataFrame, devices: pd.DataFrame) -> dict[str, str]:
    """device id -> the name a person knows it by; the id is added where two phones share a name
    (many iPhones are just "iPhone")."""
    own = {}
    for row in devices.itertuples(index=False):
        name = getattr(row, "name", None)
        if isinstance(name, str) and name.strip():
            own[str(row.device)] = " ".join(name.split())
    ids = [str(d) for d in pd.unique(runs["device"].astype(str))]
    named = {d: own.get(d, d) for d in ids}
    shared = Counter(named.values())
    return {d: f"{n} [{d}]" if shared[n] > 1 and n != d else n for d, n in named.items()}


def _properties(suite: ET.Element, first: pd.Series, devices: pd.DataFrame) -> None:
    """What identifies the phone exactly (the UDID or ro.serialno, the adb serial), for readers
    that show testsuite properties (Jenkins, junitparser)."""
    values = {c: first.get(c) for c in ("device", "platform", "os_version", "manufacturer", "model")}
    known = devices[devices["device"].astype(str) == str(first["device"])]
    if not known.empty:
        values["serial"] = known.iloc[-1].get("serial")
        values["name"] = known.iloc[-1].get("name")
    shown = {k: str(v) for k, v in values.items() if isinstance(v, str) and v}
    if shown:
        properties = ET.SubElement(suite, "properties")
        for key, value in shown.items():
            ET.SubElement(properties, "property", name=key, value=value)


def _os(row: pd.Series) -> str:
    platform = "" if pd.isna(row["platform"]) else str(row["platform"])
    version = "?" if pd.isna(row["os_version"]) else str(row["os_version"])
    return f"{PLATFORM_NAMES.get(platform, platform)} {version}".strip()


def _model(row: pd.Series) -> str:
    maker = "" if pd.isna(row["manufacturer"]) else str(row["manufacturer"])
    model = "?" if pd.isna(row["model"]) else str(row["model"])
    # "OnePlus ONEPLUS A6003" says the maker twice.
    return model if not maker or model.lower().startswith(maker.lower()) else f"{maker} {model}"


def _no_dots(text: str) -> str:
    return text.replace(".", "_")


def _suite_order(first: pd.Series, names: dict[str, str]) -> tuple[object, ...]:
    """Android before iOS, OS versions in numeric order (10 after 9), then the phone's name."""
    version = "" if pd.isna(first["os_version"]) else str(first["os_version"])
    numbers = tuple((int(p), "") if p.isdigit() else (-1, p) for p in version.split("."))
    return (str(first["platform"]), numbers, names[str(first["device"])].lower())


def _xml(root: ET.Element) -> str:
    ET.indent(root)
    # ElementTree escapes markup but not control characters, which XML 1.0 forbids (device text has them).
    text = _CONTROL.sub("?", ET.tostring(root, encoding="unicode"))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n"
