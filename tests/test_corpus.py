"""The corpus of real captures: every excerpt in tests/samples/ (public sources, first line names
them) is listed in a manifest of tests/samples/corpus/*.toml with the events it must yield and a cap
on kill/death events. A capture is understood when `bgprobe scan` (the real path: inputs,
detection, parsers) yields every expected event and no more deaths than the cap allows; negatives
(kill-like words, nothing killed) expect none. The figure over the whole corpus must stay >= 95 %.

Manifest entries:

    [[capture]]
    file = "corpus/android_oem/logcat_oppo_athena_kill.txt"   # relative to tests/samples
    expect = [ { kind = "process_killed", package = "com.x", reason = "oem:athena" } ]
    max_deaths = 1        # process_killed + process_died + crash + anr events at most (default: as expected)
    negative = false      # true: nothing may be found (expect = [] and no deaths)
    note = "what the capture shows"

An expected event matches a distinct event whose listed fields are all equal (`reason` may end in
`*` to match a prefix).
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from tests.helpers import DEATHS, TESTS, scan

SAMPLES = TESTS / "samples"
MANIFESTS = sorted((SAMPLES / "corpus").glob("*.toml"))
FIELDS = {"kind", "package", "process", "pid", "uid", "job", "reason", "source"}
TARGET = 0.95


def entries() -> list[dict[str, Any]]:
    out = []
    for manifest in MANIFESTS:
        for capture in tomllib.loads(manifest.read_text(encoding="utf-8")).get("capture", []):
            out.append({**capture, "manifest": manifest.name})
    return out


def _matches(event: Any, want: dict[str, Any]) -> bool:
    for field, value in want.items():
        have = getattr(event, field)
        if field == "reason" and isinstance(value, str) and value.endswith("*"):
            if not (isinstance(have, str) and have.startswith(value[:-1])):
                return False
        elif have != value:
            return False
    return True


def judge(capture: dict[str, Any]) -> str | None:
    """None when the capture is understood, else why not."""
    events, outcome = scan(SAMPLES / capture["file"])
    if not outcome.usable:
        return "not read at all: " + "; ".join(p.message for p in outcome.problems)
    left = list(events)
    for want in capture.get("expect", []):
        hit = next((e for e in left if _matches(e, want)), None)
        if hit is None:
            return f"missing {want}"
        left.remove(hit)
    deaths = sum(e.kind in DEATHS for e in events)
    cap = 0 if capture.get("negative") else capture.get("max_deaths")
    if cap is None:
        cap = sum(w.get("kind") in DEATHS for w in capture.get("expect", []))
    if deaths > cap:
        return f"{deaths} death events, at most {cap} expected (invented?)"
    return None


def test_manifests_are_well_formed_and_cover_every_capture():
    listed = [c["file"] for c in entries()]
    assert len(listed) == len(set(listed)), "a capture is listed twice"
    for capture in entries():
        assert set(capture) <= {"file", "expect", "max_deaths", "negative", "note", "manifest"}, capture
        assert (SAMPLES / capture["file"]).is_file(), capture["file"]
        for want in capture.get("expect", []):
            assert want and set(want) <= FIELDS, (capture["file"], want)
        assert not (capture.get("negative") and capture.get("expect")), capture["file"]
    on_disk = {str(p.relative_to(SAMPLES)) for p in SAMPLES.rglob("*") if p.is_file() and p.suffix != ".toml"}
    assert on_disk == set(listed), f"captures without an entry: {sorted(on_disk - set(listed))}"


def test_every_capture_names_its_public_source():
    """Line 1: `# source: ` and where it was published (a URL, or a repository and commit)."""
    for capture in entries():
        first = (SAMPLES / capture["file"]).read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace")
        assert first.startswith("# source: ") and len(first) > 20, capture["file"]


def test_the_corpus_is_understood(capsys: pytest.CaptureFixture[str]):
    captures = entries()
    failures = {c["file"]: why for c in captures if (why := judge(c)) is not None}
    understood = len(captures) - len(failures)
    negatives = sum(bool(c.get("negative")) for c in captures)
    with capsys.disabled():
        print(
            f"\ncorpus: {understood}/{len(captures)} captures understood ({understood / len(captures):.1%}), "
            f"{negatives} negatives"
        )
        for name, why in sorted(failures.items()):
            print(f"  not understood: {name}: {why}")
    assert understood / len(captures) >= TARGET, failures
