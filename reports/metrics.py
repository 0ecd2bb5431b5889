"""The reliability figures, computed with vectorised pandas from the attempts and events tables.

Definitions (the unit is the *task run*: one device × condition × task × repetition; its attempts
are the first try and the retries; see reports/attempts.py):

- infra attempts (`device_lost`, `skipped`) and attempts of unknown outcome say nothing about the
  app: they are counted and shown, never part of a rate.
- a task run is *completed* when any attempt succeeded. It is *decided* when completed, or when it
  has app attempts and its last attempt is not an infra one; otherwise it is *inconclusive* (say,
  a failure then the device vanished: the retry never had its chance) and left out of rates.
- completion rate = completed / decided task runs, with a 95 % Wilson score interval.
- retries = app attempts of a decided task run − 1 (mean, p90, max over decided task runs).
- time to eventual success (TTES) = the successful attempt's `finished` − the first attempt's
  `scheduled` (its `started` when not scheduled), over completed task runs; decided task runs that
  never succeeded are counted apart (`never_succeeded`), not dropped and not given a time.
- percentiles are linear interpolation between order statistics (numpy/pandas default).
- compare: pooled two-proportion z-test per cell; a change is flagged when its Benjamini-Hochberg
  adjusted p-value (within one table) is below ALPHA.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import cached_property
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from bgprobe.reports.attempts import INFRA_OUTCOMES, OUTCOMES
from bgprobe.reports.deaths import fold_deaths
from bgprobe.reports.events import DEATH_KINDS
from bgprobe.reports.schema import device_times

Z95 = NormalDist().inv_cdf(0.975)  # 1.959963984540054
ALPHA = 0.05
QUANTILES = (0.5, 0.9, 0.99)

TASK_RUN_KEY = ["campaign", "device", "os_version", "condition", "task", "repetition"]
# Carried along each task run (functions of the device): grouped by, never aggregated.
DEVICE_ATTRS = ["os_major", "platform", "manufacturer", "model"]
APP_FAILURES = ("failure", "timeout", "killed", "stopped", "not_started")

# Report tables: name -> grouping columns. "os" is the primary axis (major version; the full
# versions seen are listed in the `versions` column).
# OS versions are per platform: Android 15 and iOS 15 are different systems.
DIMENSIONS: dict[str, list[str]] = {
    "os": ["platform", "os_major"],
    "os_version": ["platform", "os_major", "os_version"],
    "manufacturer": ["manufacturer"],
    "model": ["manufacturer", "model"],
    "condition": ["condition"],
    "task": ["task"],
    "manufacturer_os": ["manufacturer", "platform", "os_major"],
    "condition_os": ["condition", "platform", "os_major"],
    "device": ["device", "platform", "os_version", "manufacturer", "model"],
}
TTES_BINS_S = (0, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, math.inf)


@dataclass
class Report:
    has_attempts: bool
    overall: pd.DataFrame  # one row, the summary columns below
    tables: dict[str, pd.DataFrame]  # DIMENSIONS name -> summary table
    task_runs: pd.DataFrame  # one row per task run (kept for JUnit and exports)
    # Every OS column comes with `platform`: Android 15 and iOS 15 are different systems.
    kills: pd.DataFrame  # platform, os_major, reason, attempts: attempts whose outcome is `killed`
    stops: pd.DataFrame  # platform, os_major, reason, attempts: attempts whose outcome is `stopped`
    # platform, os_major, reason, attempts: attempts that never started, by the head of their reason (what held
    # them: doze, background restriction, quota; a natural run's window and what held it; WorkManager's skip)
    not_started: pd.DataFrame
    outcomes: pd.DataFrame  # platform, os_major x outcome -> attempts (every outcome, infra included)
    deaths: pd.DataFrame  # from events: platform, os_version, reason, source, deaths (folded, see reports.deaths)
    event_summary: pd.DataFrame  # from events, per platform and os_version: deaths, anrs, crashes, job_*
    job_stops: pd.DataFrame  # from events: platform, os_version, kind, reason, count
    ttes_hist: pd.DataFrame  # bin label, task runs (completed); plus a "never" row
    notes: list[str] = field(default_factory=list)
    comparison: dict[str, pd.DataFrame] | None = None


# ---------------------------------------------------------------- statistics


def wilson_interval(
    successes: np.ndarray | float, n: np.ndarray | float, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval; NaN where n == 0. Vectorised over arrays."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    # Exactly 0 and 1 at the ends (the formula leaves 1e-17 of rounding there).
    low, high = np.where(k <= 0, 0.0, low), np.where(k >= n, 1.0, high)
    bad = n <= 0
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def two_proportion_test(k1: np.ndarray, n1: np.ndarray, k2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """Two-sided p-value of the pooled two-proportion z-test; NaN when a side has no data or nothing varies."""
    k1, n1, k2, n2 = (np.asarray(x, dtype=float) for x in (k1, n1, k2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (k1 + k2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (k2 / n2 - k1 / n1) / se
    p = np.array([math.erfc(abs(v) / math.sqrt(2)) if np.isfinite(v) else np.nan for v in np.atleast_1d(z)])
    # Both sides 0 % or both 100 %: no difference to test, p = 1 rather than "unknown".
    same = (se == 0) & (n1 > 0) & (n2 > 0)
    return np.where(same, 1.0, p)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Adjusted p-values (FDR): a table of 200 models would otherwise flag ~10 noise changes at 5 %."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if not ok.any():
        return out
    values = p[ok]
    order = np.argsort(values)
    m = len(values)
    ranked = values[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    result = np.empty(m)
    result[order] = adjusted
    out[ok] = result
    return out


# ---------------------------------------------------------------- grouping
# pandas' groupby re-factorizes its keys and sorts for every quantile; with 1M attempts and ten
# tables that alone takes seconds. Groups here are integer keys built from categorical codes,
# rows are sorted by group once, and sums / minima / quantiles are numpy reductions over the runs.


class Groups:
    """Rows of `frame` grouped by `by` (groups in sorted label order): `gid` per row, `first` row per group."""

    def __init__(self, frame: pd.DataFrame, by: list[str]) -> None:
        key = np.zeros(len(frame), dtype=np.int64)
        for column in by:
            codes, uniques = _codes(frame[column])
            key = key * (uniques + 1) + (codes + 1)
            if len(key) and key.max() > 2**40:  # stay far from int64 overflow: compress to dense codes
                key = pd.factorize(key)[0].astype(np.int64)
        # Hash, then sort only the distinct keys: no O(n log n) sort of the rows.
        dense, distinct = pd.factorize(key)
        rank = np.empty(len(distinct), dtype=np.int64)
        rank[np.argsort(distinct, kind="stable")] = np.arange(len(distinct))
        self.gid = rank[dense]
        self.count = len(distinct)
        self.first = np.empty(self.count, dtype=np.int64)
        self.first[self.gid[::-1]] = np.arange(len(key) - 1, -1, -1)  # the last write is the first row

    @cached_property
    def order(self) -> np.ndarray:
        return _stable_argsort(self.gid)

    @cached_property
    def starts(self) -> np.ndarray:
        return np.r_[0, np.cumsum(np.bincount(self.gid, minlength=self.count))[:-1]].astype(np.int64)

    def labels(self, frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        return frame[columns].iloc[self.first].reset_index(drop=True)

    def sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.gid, weights=np.asarray(values, dtype=float), minlength=self.count)

    def min(self, values: np.ndarray) -> np.ndarray:  # NaN-skipping
        return np.fmin.reduceat(values[self.order], self.starts) if self.count else np.zeros(0)

    def max(self, values: np.ndarray) -> np.ndarray:  # NaN-skipping
        return np.fmax.reduceat(values[self.order], self.starts) if self.count else np.zeros(0)


def value_order(values: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(~np.isnan(values))
    return rows[np.argsort(values[rows], kind="stable")]


def _stable_argsort(key: np.ndarray) -> np.ndarray:
    # numpy radix-sorts 16-bit integers: ten times faster than sorting int64 when groups are few.
    if len(key) and key.min() >= 0 and key.max() < 1 << 16:
        return np.argsort(key.astype(np.uint16), kind="stable")
    if len(key) and key.min() >= 0 and key.max() < 1 << 32:
        # two 16-bit radix passes (low half, then high half) make a stable sort of 32-bit keys
        low = np.argsort((key & 0xFFFF).astype(np.uint16), kind="stable")
        return low[np.argsort((key[low] >> 16).astype(np.uint16), kind="stable")]
    return np.argsort(key, kind="stable")


def _codes(column: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes in sorted label order (-1 for NA) and how many labels there are."""
    if pd.api.types.is_integer_dtype(column.dtype):  # Int64 repetition / os_major: offsets, not hashing
        values = column.to_numpy(dtype=float, na_value=np.nan)
        if len(values) and np.isfinite(values).any():
            low, high = np.nanmin(values), np.nanmax(values)
            if high - low < 1 << 24:
                return np.where(np.isnan(values), -1, values - low).astype(np.int64), int(high - low) + 1
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories
        if not column.cat.ordered and len(categories) > 1 and not categories.is_monotonic_increasing:
            column = column.cat.reorder_categories(sorted(column.cat.categories, key=_label_key))
        return column.cat.codes.to_numpy(dtype=np.int64), len(column.cat.categories)
    codes, uniques = pd.factorize(column, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64), len(uniques)


def _label_key(label: object) -> tuple[int, object]:
    return (0, label) if isinstance(label, int | float | np.integer | np.floating) else (1, str(label))


# ---------------------------------------------------------------- task runs


def task_runs(attempts: pd.DataFrame) -> pd.DataFrame:
    """One row per task run: its dimensions and completed / decided / retries / ttes_s / outcome counts."""
    outcome = attempts["outcome"]
    if not isinstance(outcome.dtype, pd.CategoricalDtype) or list(outcome.cat.categories) != list(OUTCOMES):
        codes = np.asarray(pd.Categorical(outcome, categories=list(OUTCOMES)).codes)
    else:
        codes = outcome.cat.codes.to_numpy()
    code = {name: i for i, name in enumerate(OUTCOMES)}
    infra = np.isin(codes, [code[o] for o in INFRA_OUTCOMES]) | (codes < 0)  # unknown outcome: not the app's
    success = codes == code["success"]
    number = attempts["attempt"].to_numpy(dtype=float, na_value=np.nan)
    start = _seconds(attempts["scheduled"])
    start = np.where(np.isnan(start), _seconds(attempts["started"]), start)
    finished = _seconds(attempts["finished"])

    groups = Groups(attempts, TASK_RUN_KEY)
    runs = groups.labels(attempts, TASK_RUN_KEY + DEVICE_ATTRS)
    app = groups.sum(~infra)
    runs["attempts"] = app.astype(np.int64)
    runs["device_lost"] = groups.sum(codes == code["device_lost"]).astype(np.int64)
    runs["skipped"] = groups.sum(codes == code["skipped"]).astype(np.int64)
    runs["unknown"] = groups.sum(codes < 0).astype(np.int64)
    for name in APP_FAILURES:
        runs[name] = groups.sum(codes == code[name]).astype(np.int64)
    completed = groups.sum(success) > 0
    last_app = groups.max(np.where(~infra, number, np.nan))
    last_infra = groups.max(np.where(infra, number, np.nan))
    ends_infra = last_infra > np.nan_to_num(last_app, nan=-1)
    decided = completed | ((app > 0) & ~ends_infra)
    runs["completed"] = completed
    runs["decided"] = decided
    runs["inconclusive"] = ~decided
    runs["never_succeeded"] = decided & ~completed
    runs["retries"] = np.where(decided, np.maximum(app - 1, 0), np.nan)
    with np.errstate(invalid="ignore"):
        ttes = groups.min(np.where(success, finished, np.nan)) - groups.min(start)
    runs["ttes_s"] = np.where(completed, ttes, np.nan)
    return runs


def _seconds(column: pd.Series) -> np.ndarray:
    """Datetimes as float seconds (NaN for NaT): min/max/subtract in plain numpy."""
    if not pd.api.types.is_datetime64_any_dtype(column):
        column = device_times(column)
    values = column.to_numpy(dtype="datetime64[ms]")
    seconds = values.astype("int64").astype(float) / 1000.0
    return np.where(np.isnat(values), np.nan, seconds)


# ---------------------------------------------------------------- summaries

SUM_COLUMNS = ("never_succeeded", "inconclusive", "attempts", "device_lost", "skipped", *APP_FAILURES)


CELL = ["device", "platform", "os_version", "os_major", "manufacturer", "model", "condition", "task"]
MAX_RETRY_BINS = 64  # retries histogram per cell; above that, quantiles from the raw values


class Summarizer:
    """Summary tables of one set of task runs, by any columns of CELL.

    Task runs are first summed into cells (device × condition × task: thousands, not a million);
    each table then sums cells. Retries are small integers, kept as a histogram per cell, so their
    quantiles come from the summed histogram; TTES quantiles use the runs sorted by time once.
    """

    def __init__(self, runs: pd.DataFrame) -> None:
        self.cells = Groups(runs, CELL)
        self.table = self.cells.labels(runs, CELL)
        for column in ("decided", "completed", *SUM_COLUMNS):
            self.table[column] = self.cells.sum(runs[column].to_numpy())
        retries = runs["retries"].to_numpy(dtype=float)
        top = int(np.nanmax(retries)) + 1 if np.isfinite(retries).any() else 1
        self.retries = retries if top > MAX_RETRY_BINS else None
        if self.retries is None:
            ok = np.isfinite(retries)
            flat = self.cells.gid[ok] * top + retries[ok].astype(np.int64)
            self.hist = np.bincount(flat, minlength=self.cells.count * top).reshape(self.cells.count, top)
        else:
            self.retries_order = value_order(retries)
        ttes = runs["ttes_s"].to_numpy(dtype=float)
        rows = value_order(ttes)
        self.ttes_sorted = ttes[rows]
        self.ttes_cell = self.cells.gid[rows]

    def summary(self, by: list[str]) -> pd.DataFrame:
        cells = self.table
        if not by:
            cells = cells.assign(scope="all")
            by = ["scope"]
        groups = Groups(cells, by)
        table = groups.labels(cells, by)
        if "os_major" in by and "os_version" not in by:
            # The primary axis is the major version; keep the full versions it covers in sight.
            pairs = cells[["os_version"]].assign(_g=groups.gid).drop_duplicates()
            listed = pairs.groupby("_g")["os_version"].agg(lambda v: ", ".join(sorted(map(str, v), key=_version_key)))
            table["versions"] = listed.reindex(range(groups.count)).to_numpy()
        n, k = groups.sum(cells["decided"]), groups.sum(cells["completed"])
        table["task_runs"] = n.astype(np.int64)
        table["completed"] = k.astype(np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            table["rate"] = np.where(n > 0, k / n, np.nan)
        table["ci_low"], table["ci_high"] = wilson_interval(k, n)
        for column in SUM_COLUMNS:
            table[column] = groups.sum(cells[column]).astype(np.int64)
        table["retries_mean"], table["retries_p90"], table["retries_max"] = self._retries(groups)
        run_groups = groups.gid[self.ttes_cell]  # each completed run's group, runs still in time order
        ttes = _sorted_quantiles(self.ttes_sorted, run_groups, groups.count, QUANTILES)
        for q, values in zip(QUANTILES, ttes, strict=True):
            table[f"ttes_p{round(q * 100)}"] = values
        return table

    def _retries(self, groups: Groups) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.retries is not None:  # unusual retry counts: the raw values
            run_groups = groups.gid[self.cells.gid[self.retries_order]]
            values = self.retries[self.retries_order]
            (p90,) = _sorted_quantiles(values, run_groups, groups.count, (0.9,))
            mean = groups_mean(values, run_groups, groups.count)
            high = np.full(groups.count, np.nan)
            np.fmax.at(high, run_groups, values)
            return mean, p90, high
        hist = np.zeros((groups.count, self.hist.shape[1]))
        np.add.at(hist, groups.gid, self.hist)
        n = hist.sum(axis=1)
        values = np.arange(hist.shape[1])
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(n > 0, hist @ values / n, np.nan)
        cum = hist.cumsum(axis=1)
        pos = 0.9 * np.maximum(n - 1, 0)
        lo = np.floor(pos)

        # the value at sorted position i is the number of histogram bins whose cumulative count is <= i
        def at(i: Any) -> Any:
            return (cum <= i[:, None]).sum(axis=1)

        lo_v, hi_v = at(lo), at(np.minimum(lo + 1, np.maximum(n - 1, 0)))
        p90 = np.where(n > 0, lo_v + (hi_v - lo_v) * (pos - lo), np.nan)
        high = np.where(n > 0, (hist > 0).cumsum(axis=1).argmax(axis=1), np.nan)
        return mean, p90, high


def groups_mean(values: np.ndarray, gid: np.ndarray, count: int) -> np.ndarray:
    n = np.bincount(gid, minlength=count)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, np.bincount(gid, weights=values, minlength=count) / n, np.nan)


def _sorted_quantiles(values: np.ndarray, gid: np.ndarray, count: int, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Linear-interpolation quantiles (numpy's default) per group; `values` ascending, `gid` its groups."""
    rows = _stable_argsort(gid)  # by group; a stable sort keeps values ascending within each
    ordered = values[rows]
    n = np.bincount(gid, minlength=count)
    begin = np.r_[0, np.cumsum(n)[:-1]].astype(np.int64) if count else np.zeros(0, dtype=np.int64)
    result = []
    last = max(len(ordered) - 1, 0)
    for q in qs:
        pos = q * np.maximum(n - 1, 0)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        if len(ordered):
            lo_v, hi_v = ordered[np.minimum(begin + lo, last)], ordered[np.minimum(begin + hi, last)]
            value = lo_v + (hi_v - lo_v) * (pos - lo)
        else:
            value = np.full(count, np.nan)
        result.append(np.where(n > 0, value, np.nan))
    return result


def summarize(runs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One summary table of task runs grouped by `by` (columns of CELL; [] for the overall row)."""
    return Summarizer(runs).summary(by)


def _version_key(version: str) -> tuple[int | str, ...]:
    return tuple(int(p) if p.isdigit() else p for p in version.split("."))


def ttes_histogram(runs: pd.DataFrame) -> pd.DataFrame:
    times = runs.loc[runs["completed"], "ttes_s"].dropna()
    counts, _ = np.histogram(times.clip(lower=0), bins=np.array(TTES_BINS_S))
    labels = [
        f"{_dur(lo)}–{_dur(hi)}" if math.isfinite(hi) else f"≥{_dur(lo)}" for lo, hi in itertools.pairwise(TTES_BINS_S)
    ]
    hist = pd.DataFrame({"bin": labels, "task_runs": counts})
    never = int(runs["never_succeeded"].sum())
    return pd.concat([hist, pd.DataFrame({"bin": ["never"], "task_runs": [never]})], ignore_index=True)


def _dur(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g}h"
    if seconds >= 60:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"


OS_MAJOR = ["platform", "os_major"]


def reason_counts(attempts: pd.DataFrame, outcome: str, by: list[str] = OS_MAJOR) -> pd.DataFrame:
    """Attempts of one outcome per `by` and reason (reason "unknown" when none was recorded)."""
    chosen = attempts.loc[attempts["outcome"] == outcome, [*by, "reason"]]
    if chosen.empty:
        return pd.DataFrame(columns=[*by, "reason", "attempts"])
    chosen = chosen.assign(reason=chosen["reason"].astype("object").fillna("unknown"))
    counts = chosen.groupby([*by, "reason"], observed=True, dropna=False).size().rename("attempts").reset_index()
    return counts.sort_values([*by, "attempts"], ascending=[True] * len(by) + [False], ignore_index=True)


def not_started_reasons(attempts: pd.DataFrame) -> pd.DataFrame:
    """reason_counts of the attempts that never started, each reason cut to its head (reason_head)."""
    chosen = attempts.loc[attempts["outcome"] == "not_started"]
    heads = chosen["reason"].astype("object").map(lambda r: reason_head(r) if isinstance(r, str) else r)
    return reason_counts(chosen.assign(reason=heads), "not_started")


def reason_head(reason: str) -> str:
    """A reason without its particulars (the unsatisfied constraint's name, failure counts, the next try's
    time): one row per cause. What held a natural run is kept: 'the OS did not run it within 1.7s (held: doze)'."""
    head, sep, rest = reason.partition(" (")
    if sep and rest.startswith("held: "):
        return f"{head} ({rest.split(')', 1)[0]})"
    return head


# ---------------------------------------------------------------- events


OS_VERSION = ["platform", "os_version"]


def event_figures(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(deaths by OS version/reason/source, per-OS-version summary, job stops/time-outs by reason)."""
    death_cols = [*OS_VERSION, "reason", "source", "deaths"]
    if events.empty:
        empty = pd.DataFrame(columns=[*OS_VERSION, "deaths", "anrs", "crashes", "job_timeouts", "job_stops"])
        return pd.DataFrame(columns=death_cols), empty, pd.DataFrame(columns=[*OS_VERSION, "kind", "reason", "count"])
    events = events.assign(
        platform=events["platform"].astype("object").fillna("unknown"),
        os_version=events["os_version"].astype("object").fillna("unknown"),
        device=events["device"].astype("object").fillna("?"),
    )
    folded = [_fold_per_device(events, None, "deaths"), _fold_per_device(events, frozenset({"anr"}), "anrs")]
    folded = [f for f in folded if not f.empty]
    if folded:
        all_deaths = pd.concat(folded, ignore_index=True)
        only_deaths = all_deaths[all_deaths["what"] == "deaths"]
        by_reason = (
            only_deaths.rename(columns={"sources": "source"})
            .groupby([*OS_VERSION, "reason", "source"], dropna=False)
            .size()
            .rename("deaths")
            .reset_index()
            .sort_values([*OS_VERSION, "deaths"], ascending=[True, True, False], ignore_index=True)
        )
        per_os = (
            all_deaths.assign(
                crashes=(all_deaths["kind"] == "crash") & (all_deaths["what"] == "deaths"),
                deaths=all_deaths["what"] == "deaths",
                anrs=all_deaths["what"] == "anrs",
            )
            .groupby(OS_VERSION)[["deaths", "anrs", "crashes"]]
            .sum()
        )
    else:
        by_reason = pd.DataFrame(columns=death_cols)
        per_os = pd.DataFrame(
            columns=["deaths", "anrs", "crashes"], index=pd.MultiIndex.from_tuples([], names=OS_VERSION)
        )
    kind = events["kind"].astype(str)
    jobs = events[kind.isin(["job_timeout", "job_stopped"])]
    job_stops = (
        jobs.assign(kind=jobs["kind"].astype(str), reason=jobs["reason"].astype("object").fillna("unknown"))
        .groupby([*OS_VERSION, "kind", "reason"])
        .size()
        .rename("count")
        .reset_index()
    )
    keys = [events[c] for c in OS_VERSION]
    counts = pd.DataFrame(
        {
            "job_timeouts": (kind == "job_timeout").groupby(keys).sum(),
            "job_stops": (kind == "job_stopped").groupby(keys).sum(),
        }
    )
    summary = per_os.join(counts, how="outer").fillna(0).astype(int)
    summary = summary.rename_axis(OS_VERSION).reset_index()
    order = sorted(
        range(len(summary)),
        key=lambda i: (str(summary["platform"][i]), _version_key(str(summary["os_version"][i]))),
    )
    return by_reason, summary.iloc[order].reset_index(drop=True), job_stops


def _fold_per_device(events: pd.DataFrame, kinds: frozenset[str] | None, what: str) -> pd.DataFrame:
    """fold_deaths over all devices at once (it keeps two phones' pid 4321 apart), with each device's OS."""
    chosen = events[events["kind"].astype(str).isin(kinds or DEATH_KINDS)]
    if chosen.empty:
        return pd.DataFrame()
    folded = fold_deaths(chosen) if kinds is None else fold_deaths(chosen, kinds)
    os_of = chosen.drop_duplicates("device").set_index("device")[OS_VERSION]
    of_each = os_of.reindex(folded["device"])
    return folded.assign(
        platform=of_each["platform"].to_numpy(), os_version=of_each["os_version"].to_numpy(), what=what
    )


# ---------------------------------------------------------------- the report


def build_report(attempts: pd.DataFrame, events: pd.DataFrame, notes: list[str] | None = None) -> Report:
    runs = task_runs(attempts) if not attempts.empty else _empty_runs()
    summarizer = Summarizer(runs) if not attempts.empty else None
    tables = {name: summarizer.summary(by) for name, by in DIMENSIONS.items()} if summarizer else {}
    outcomes = (
        attempts.groupby([*OS_MAJOR, "outcome"], observed=False).size().unstack(fill_value=0).reset_index()
        if not attempts.empty
        else pd.DataFrame()
    )
    if not outcomes.empty:
        outcomes = outcomes[outcomes.drop(columns=OS_MAJOR).sum(axis=1) > 0].reset_index(drop=True)
        outcomes.columns = [str(c) for c in outcomes.columns]
    deaths, event_summary, job_stops = event_figures(events)
    return Report(
        has_attempts=not attempts.empty,
        overall=summarizer.summary([]) if summarizer and not attempts.empty else pd.DataFrame(),
        tables=tables,
        task_runs=runs,
        kills=reason_counts(attempts, "killed") if not attempts.empty else pd.DataFrame(),
        stops=reason_counts(attempts, "stopped") if not attempts.empty else pd.DataFrame(),
        not_started=not_started_reasons(attempts) if not attempts.empty else pd.DataFrame(),
        outcomes=outcomes,
        deaths=deaths,
        event_summary=event_summary,
        job_stops=job_stops,
        ttes_hist=ttes_histogram(runs) if not attempts.empty else pd.DataFrame(),
        notes=list(notes or []),
    )


def _empty_runs() -> pd.DataFrame:
    return pd.DataFrame(columns=[*TASK_RUN_KEY, *DEVICE_ATTRS, "completed", "decided", "retries", "ttes_s"])


def overall_rate(report: Report) -> float | None:
    if report.overall.empty or not report.overall["task_runs"].iloc[0]:
        return None
    return float(report.overall["rate"].iloc[0])


# ---------------------------------------------------------------- compare

COMPARED = (
    "task_runs",
    "completed",
    "rate",
    "ci_low",
    "ci_high",
    "retries_mean",
    "retries_p90",
    "ttes_p50",
    "ttes_p90",
)


def compare(current: Report, baseline: Report) -> dict[str, pd.DataFrame]:
    """Each table side by side: `base_*` columns next to the current ones, `delta`, `p_value`, `change`.

    `change` is "better"/"worse" only when the rate difference survives the test (BH-adjusted p <
    ALPHA); otherwise empty: a 50/100 → 52/100 move is noise and is shown without a flag.
    """
    result: dict[str, pd.DataFrame] = {}
    pairs = {"overall": (current.overall, baseline.overall, ["scope"])}
    pairs |= {name: (current.tables.get(name), baseline.tables.get(name), by) for name, by in DIMENSIONS.items()}
    for name, (now, base, by) in pairs.items():
        if now is None or base is None or now.empty or base.empty:
            continue
        left = base[by + list(COMPARED)].rename(columns={c: f"base_{c}" for c in COMPARED})
        right = now[by + list(COMPARED)]
        merged = left.merge(right, on=by, how="outer", sort=True)
        merged["delta"] = merged["rate"] - merged["base_rate"]
        p = two_proportion_test(
            merged["base_completed"].fillna(0),
            merged["base_task_runs"].fillna(0),
            merged["completed"].fillna(0),
            merged["task_runs"].fillna(0),
        )
        merged["p_value"] = p
        merged["p_adjusted"] = benjamini_hochberg(p)
        significant = merged["p_adjusted"].to_numpy() < ALPHA
        merged["change"] = np.where(
            significant & (merged["delta"] > 0), "better", np.where(significant & (merged["delta"] < 0), "worse", "")
        )
        result[name] = merged
    return result
