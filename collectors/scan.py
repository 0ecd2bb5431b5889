"""Offline diagnosis: paths -> events, through the same parsers as live devices.

Problems with individual inputs never stop the scan: each becomes a one-line `InputError` in
`problems`, and the readable inputs are still reported.
"""

from __future__ import annotations

import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from bgprobe.collectors.errors import InputError
from bgprobe.collectors.inputs.sources import iter_sources, read_problem
from bgprobe.collectors.inputs.textscan import ReportFacts, scan_text
from bgprobe.reports.events import Event, event_concerns

_READ_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile)


@dataclass
class ScanOutcome:
    """What a scan saw besides events: which inputs were usable and what went wrong.

    `unrecognized` counts the lines that looked like evidence (a kill, death, job or work word, a
    maker's power-manager tag) but that no rule read; `on_unrecognized(where, text)`, when set, gets
    each of them as the scan meets it (they are not kept: a log may hold millions)."""

    usable: list[str] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unrecognized: int = 0
    on_unrecognized: Callable[[str, str], None] | None = None

    def note_unrecognized(self, where: str, text: str) -> None:
        self.unrecognized += 1
        if self.on_unrecognized is not None:
            self.on_unrecognized(where, text)


def scan_paths(paths: list[str], outcome: ScanOutcome, *, package: str | None = None) -> Iterator[Event]:
    seen_by_group: dict[str, set[tuple[object, ...]]] = {}
    facts_by_group: dict[str, ReportFacts] = {}
    for source in iter_sources(paths, outcome.problems):
        # A bugreport's persistent logcat repeats lines of its SYSTEM LOG: count each event once.
        # Plain files need no such memory, which would otherwise grow with the number of events.
        seen = seen_by_group.setdefault(source.group, set()) if source.group else None
        facts = facts_by_group.setdefault(source.group, ReportFacts()) if source.group else None
        selector = _PackageSelector(package)
        produced = False
        try:
            stream = source.open()
        except _READ_ERRORS as exc:
            outcome.problems.append(read_problem(source.name, exc))
            continue
        try:
            for event in scan_text(
                stream,
                source.name,
                source.reference_date,
                package=package,
                warnings=outcome.warnings,
                facts=facts,
                on_unrecognized=outcome.note_unrecognized,
            ):
                produced = True
                if seen is not None:
                    key = _identity(event)
                    if key in seen:
                        continue
                    seen.add(key)
                if selector.wants(event):
                    yield event
            outcome.usable.append(source.name)
        except InputError as err:
            if produced:
                outcome.usable.append(source.name)
            outcome.problems.append(err)
        except _READ_ERRORS as exc:
            if produced:
                outcome.usable.append(source.name)
            outcome.problems.append(read_problem(source.name, exc))
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()


def _identity(e: Event) -> tuple[object, ...]:
    return (e.kind, e.ts, e.pid, e.process, e.package, e.job, e.reason, e.detail, e.source)


class _PackageSelector:
    """Keeps the events of one package, including pid-only lines (Zygote) of its known processes."""

    def __init__(self, package: str | None) -> None:
        self.package = package
        self.pids: set[int] = set()

    def wants(self, e: Event) -> bool:
        if self.package is None:
            return True
        if event_concerns(e, self.package):
            if e.pid is not None:
                self.pids.add(e.pid)
            return True
        return e.package is None and e.process is None and e.pid is not None and e.pid in self.pids
