"""JUnit XML for a CI job's test tab: a testsuite per device × OS version, a testcase per task × condition.

A testcase fails when any of its task runs never succeeded; the failure names the outcomes and
reasons of the failed attempts. A testcase whose task runs were all inconclusive (device lost,
condition not available) is skipped, not failed: it says nothing about the app.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from bgprobe.reports.attempts import INFRA_OUTCOMES

if TYPE_CHECKING:
    from bgprobe.reports.metrics import Report
    from bgprobe.reports.results import Results

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CASE = ["device", "os_version", "task", "condition"]


def render_junit(report: Report, results: Results) -> str:
    root = ET.Element("testsuites", name="bgprobe")
    runs = report.task_runs
    if runs.empty:
        return _xml(root)
    reasons = _failure_reasons(results.attempts)
    durations = _durations(results.attempts)
    cases = (
        runs.groupby([*CASE, "platform", "manufacturer", "model"], observed=True, sort=True, dropna=False)
        .agg(
            decided=("decided", "sum"),
            completed=("completed", "sum"),
            never=("never_succeeded", "sum"),
            inconclusive=("inconclusive", "sum"),
            ttes_p50=("ttes_s", "median"),
        )
        .reset_index()
    )
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for (device, os_version), suite_cases in cases.groupby(["device", "os_version"], observed=True, sort=True):
        first = suite_cases.iloc[0]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{device} ({first['platform']} {os_version}, {first['manufacturer']} {first['model']})",
        )
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for case in suite_cases.itertuples(index=False):
            key = (case.device, case.os_version, case.task, case.condition)
            element = ET.SubElement(
                suite,
                "testcase",
                name=f"{case.task} [{case.condition}]",
                classname=f"{device}.{os_version}",
                time=f"{durations.get(key, 0.0):.3f}",
            )
            counts["tests"] += 1
            if case.never:
                counts["failures"] += 1
                message = f"{int(case.never)} of {int(case.decided)} task run(s) never succeeded"
                failure = ET.SubElement(element, "failure", message=message, type="never_succeeded")
                failure.text = message + "\n" + reasons.get(key, "no failed attempt recorded")
            elif not case.decided:
                counts["skipped"] += 1
                ET.SubElement(
                    element,
                    "skipped",
                    message=f"{int(case.inconclusive)} task run(s) inconclusive "
                    f"(device lost or condition not available): {reasons.get(key, '')}".rstrip(": "),
                )
            else:
                ttes = "" if np.isnan(case.ttes_p50) else f", time to success p50 {case.ttes_p50:.1f}s"
                ET.SubElement(
                    element, "system-out"
                ).text = f"{int(case.completed)} of {int(case.decided)} task run(s) completed{ttes}"
        for name, value in counts.items():
            suite.set(name, str(value))
            totals[name] += value
        suite.set("errors", "0")
        suite.set("time", f"{sum(float(c.get('time', 0)) for c in suite):.3f}")
    for name, value in totals.items():
        root.set(name, str(value))
    root.set("errors", "0")
    return _xml(root)


def _failure_reasons(attempts: pd.DataFrame) -> dict[tuple, str]:
    """Per testcase: "killed ×3 (lmkd ×2, signal:9 ×1); timeout ×1" over the attempts that did not succeed."""
    failed = attempts.loc[attempts["outcome"] != "success", [*CASE, "outcome", "reason"]]
    if failed.empty:
        return {}
    failed = failed.assign(outcome=failed["outcome"].astype(str), reason=failed["reason"].astype(object).fillna("–"))
    counts = failed.groupby([*CASE, "outcome", "reason"], observed=True, sort=True).size().reset_index(name="n")
    text: dict[tuple, list[str]] = {}
    for key, group in counts.groupby(CASE, observed=True, sort=False):
        parts = []
        for outcome, by_outcome in group.groupby("outcome", sort=False):
            total = int(by_outcome["n"].sum())
            pairs = zip(by_outcome["reason"], by_outcome["n"], strict=True)
            detail = ", ".join(f"{r} ×{n}" for r, n in pairs if r != "–")
            note = " (not the app's failure)" if outcome in INFRA_OUTCOMES else ""
            parts.append(f"{outcome} ×{total}" + (f" ({detail})" if detail else "") + note)
        text[tuple(key)] = "; ".join(parts)
    return text


def _durations(attempts: pd.DataFrame) -> dict[tuple, float]:
    durations = attempts["duration_s"].astype(float).fillna(0.0)
    summed = durations.groupby([attempts[c] for c in CASE], observed=True).sum()
    return {tuple(k): float(v) for k, v in summed.items()}


def _xml(root: ET.Element) -> str:
    ET.indent(root)
    # ElementTree escapes markup but not control characters, which XML 1.0 forbids (device text has them).
    text = _CONTROL.sub("?", ET.tostring(root, encoding="unicode"))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n"
