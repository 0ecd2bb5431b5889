"""`bgprobe scan`'s verdict and shareable output (issue 14): what sits between the scan's event stream and
what the command writes.

`ScanTap.wrap` sees every event of the input once, as it streams: it feeds the verdict builder (every app's
names, for "did you mean"; every maker's killer, to infer the maker; the app's own events), selects the
app's events for the summary and `--json` exactly as `collectors.scan.scan_paths(package=...)` does (one
selector per input: the scan is asked for every app so that the verdict can say which apps the input does
have), and redacts the events `--json --redact` writes. Nothing is kept that grows with the input.

`ScanTap.finish` makes the verdict: the maker given with `--maker`, else the one a bugreport's Build
fingerprint names (its first lines are read again: `ReportFacts` keeps the device and release but not the
brand), else the one its killers imply.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from bgprobe.collectors.errors import UsageError
from bgprobe.collectors.scan import ScanOutcome, _PackageSelector
from bgprobe.reports.events import Event
from bgprobe.reports.verdict import DeviceHint, Verdict, VerdictBuilder, parse_fingerprint, parse_maker

if TYPE_CHECKING:
    from bgprobe.reports.scan_summary import ScanSummarizer, ScanSummary

FINGERPRINT_HEAD = 256 * 1024  # a bugreport's Build fingerprint is in its header, the first lines
MAX_FACT_SOURCES = 8  # inputs whose events carry a bugreport's device facts, remembered to read the brand


class ScanTap:
    def __init__(self, package: str | None, *, summarize: bool = False, redact_events: bool = False) -> None:
        self.package = package
        self.builder = VerdictBuilder(package)
        self.summarizer: ScanSummarizer | None = None
        if summarize:
            from bgprobe.reports.scan_summary import ScanSummarizer

            self.summarizer = ScanSummarizer()
        self.redact_events = redact_events
        self.fact_sources: list[str] = []

    def wrap(self, events: Iterator[Event]) -> Iterator[Event]:
        """The events the command goes on with: the app's (or all, without a package), redacted if asked."""
        add = self.builder.add
        package = self.package
        summarizer = self.summarizer
        redact: Callable[[Event], Event] | None = None
        if self.redact_events:
            from bgprobe.reports.redact import redact_event as redact
        selector: _PackageSelector | None = None
        current = None
        facts = self.fact_sources
        for e in events:
            if e.device is not None and len(facts) < MAX_FACT_SOURCES:
                name = e.where.rsplit(":", 1)[0]
                if name not in facts:
                    facts.append(name)
            if package is not None:
                name = e.where.rsplit(":", 1)[0]
                if selector is None or name != current:  # scan_paths keeps one selector per input: the same pids
                    current, selector = name, _PackageSelector(package)
                mine = selector.wants(e)
                add(e, mine)
                if not mine:
                    continue
            else:
                add(e, False)
            if summarizer is not None:
                summarizer.add(e)
            yield redact(e) if redact is not None else e

    def finish(
        self, paths: list[str], outcome: ScanOutcome, summary: ScanSummary | None, maker: str | None
    ) -> Verdict | None:
        """The verdict; None without a package when there is no summary to rank the apps from."""
        if self.package is None and summary is None:
            return None
        given = parse_maker(maker, self.builder.kb) if maker else None
        fingerprint = read_fingerprint(paths, self.fact_sources) if given is None or given.skin is None else None
        device = self.builder.device(given, fingerprint)
        return self.builder.verdict(device, summary=summary, inputs=len(outcome.usable))


def read_fingerprint(paths: list[str], names: list[str]) -> DeviceHint | None:
    """The Build fingerprint of the first of the inputs `names` that has one (stdin cannot be read again)."""
    wanted = {n for n in names if n != "<stdin>"}
    if not wanted:
        return None
    from bgprobe.collectors.inputs.sources import iter_sources

    for source in iter_sources(paths, []):
        if source.name not in wanted:
            continue
        try:
            stream = source.open()
            try:
                head = stream.read(FINGERPRINT_HEAD)
            finally:
                stream.close()
        except Exception:  # the scan has said what is wrong with this input; the maker stays unknown
            continue
        hint = parse_fingerprint(head.decode("utf-8", "replace"))
        if hint is not None:
            return hint
    return None


def check_html_path(path: str, *, unrecognized: bool = False) -> None:
    """Said before the scan starts: the page is written into an existing directory, under a file name."""
    if unrecognized:
        raise UsageError("--html and --unrecognized: the page holds a verdict, --unrecognized lists lines instead")
    target = Path(path)
    if target.is_dir():
        raise UsageError(f"--html {path}: a directory; give a file name (e.g. {target / 'scan.html'})")
    parent = target.parent
    if not parent.is_dir():
        raise UsageError(f"--html {path}: directory {parent} does not exist (create it first)")


def write_html(path: str, text: str) -> None:
    """Written whole or not at all: a page cut short by a full disk would look like a complete verdict."""
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            mask = os.umask(0)
            os.umask(mask)
            os.fchmod(fd, 0o666 & ~mask)  # mkstemp's 0600 would keep the page from whoever shares the folder
            with os.fdopen(fd, "wb") as f:
                f.write(text.encode("utf-8"))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UsageError(f"--html {path}: cannot write there ({exc.strerror or exc}): choose another file") from exc


def redacted(show: Callable[[str, str], None]) -> Callable[[str, str], None]:
    """`--unrecognized --redact`: the lines listed for the corpus go out without personal data too."""
    from bgprobe.reports.redact import redact_text

    return lambda where, text: show(redact_text(where), redact_text(text))
