"""However a real capture was pasted, it gives the same events: every Android capture of tests/samples
(each named in a manifest of tests/samples/corpus/, its source on its first line) is rewritten as tickets,
issues and chats rewrite logs (quoted as a whole, indented as a Markdown code block, fenced after a
sentence, after prose, a blank line after every line, no-break spaces, CRLF, inside <details>, inside a
numbered list item's fence) and scanned; its events must be those of the capture as it is. The iOS
captures have their own (tests/ios/test_paste_transforms_ios.py)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import TESTS, scan

SAMPLES = TESTS / "samples"


def _quote(lines: list[str]) -> list[str]:
    return ["> " + line for line in lines]


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _fence(lines: list[str]) -> list[str]:
    return ["Here is what I see:", "```", *lines, "```", "Any idea?"]


def _prose(lines: list[str]) -> list[str]:
    return ["Hi, the app stops syncing on my phone. adb output:", "", *lines]


def _blank(lines: list[str]) -> list[str]:
    return [out for line in lines for out in (line, "")]


def _nbsp(lines: list[str]) -> list[str]:
    return [line.replace("  ", " \u00a0") for line in lines]


def _details(lines: list[str]) -> list[str]:
    return ["<details><summary>logcat</summary>", "", "```", *lines, "```", "</details>"]


def _list_item(lines: list[str]) -> list[str]:
    return ["1. Start the app", "2. Lock the phone", "3. Logs:", "   ```", *("   " + line for line in lines), "   ```"]


TRANSFORMS: dict[str, Callable[[list[str]], list[str]]] = {
    "quote": _quote,
    "indent": _indent,
    "fence": _fence,
    "prose": _prose,
    "blank": _blank,
    "nbsp": _nbsp,
    "crlf": lambda lines: lines,  # written with CRLF line ends
    "details": _details,
    "list_item": _list_item,
}


def captures(platform: str) -> list[Path]:
    """The text captures listed in the corpus manifests of one platform ("android" or "ios")."""
    found = []
    for manifest in sorted((SAMPLES / "corpus").glob(f"{platform}*.toml")):
        for capture in tomllib.loads(manifest.read_text(encoding="utf-8")).get("capture", []):
            found.append(SAMPLES / capture["file"])
    return [path for path in found if path.suffix == ".txt"]


def pasted(path: Path, name: str, tmp_path: Path) -> Path:
    """The capture rewritten by transform `name` in tmp_path, its source line left on top."""
    first, *body = path.read_text(encoding="utf-8").splitlines()
    out = tmp_path / f"{name}__{path.name}"
    ending = "\r\n" if name == "crlf" else "\n"
    out.write_text(ending.join([first, *TRANSFORMS[name](body)]) + ending, encoding="utf-8", newline="")
    return out


def key(path: Path) -> list[str]:
    events, outcome = scan(path)
    assert outcome.usable, (path.name, [p.message for p in outcome.problems])
    return sorted(repr((e.kind, e.package, e.pid, e.reason, e.job)) for e in events)


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_an_android_capture_pasted_any_way_gives_its_events(tmp_path: Path, name: str) -> None:
    android = captures("android")
    assert len(android) >= 100
    differ, events = [], 0
    for path in android:
        expected = key(path)
        events += len(expected)
        if key(pasted(path, name, tmp_path)) != expected:
            differ.append(path.name)
    assert events >= 200  # not vacuous: the captures give events
    assert differ == [], f"{name}: {len(differ)} captures read differently: {differ}"


def _hard_wrapped(lines: list[str], width: int = 80) -> list[str]:
    return [line[i : i + width] for line in lines for i in range(0, max(len(line), 1), width)]


# Cut at 80 columns, these are still read differently: dumps (a dump's line of exactly the width is no sign that
# the next line continues it, so dumps are never rejoined), and logs of which two lines at most were cut.
HARD_WRAP_KNOWN = {
    "am_has_died_blank_lines_acside.txt",
    "exitinfo_stoic_table_square.txt",
    "exitinfo_stoic_detail_key_value_anr_square.txt",
    "dumpsys_jobscheduler_workmanager_expo_docs.txt",
    "logcat_am_killing_old_android4.txt",
    "logcat_uid_names_has_died_openorienteering.txt",
    "jobscheduler_android11_contenttrigger_quota_so64832554.txt",
    "jobscheduler_android9_sunmi_periodic_deadline.txt",
    "jobscheduler_workmanager_youtube_rare_devdocs.txt",
    "samsung_has_died_adj_run_together_coderoad.txt",
    "samsung_has_died_svcb_restart_crashed_service_github-azusa554.txt",
}


def test_an_android_capture_hard_wrapped_at_80_columns_gives_its_events(tmp_path: Path) -> None:
    # A terminal without soft wraps, tmux, a mail: every line cut at the width, its pieces on lines of their own.
    differ = []
    for path in captures("android"):
        first, *body = path.read_text(encoding="utf-8").splitlines()
        pasted = tmp_path / path.name
        pasted.write_text("\n".join([first, *_hard_wrapped(body)]) + "\n", encoding="utf-8")
        if key(pasted) != key(path):
            differ.append(path.name)
    assert set(differ) <= HARD_WRAP_KNOWN, (
        f"read differently when hard-wrapped: {sorted(set(differ) - HARD_WRAP_KNOWN)}"
    )
    fixed = HARD_WRAP_KNOWN - set(differ)
    assert not fixed, f"now read alike when hard-wrapped, drop them from HARD_WRAP_KNOWN: {sorted(fixed)}"
