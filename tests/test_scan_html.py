"""`scan --html FILE` (issue 14): one self-contained page for a ticket — written, loading nothing from
anywhere, holding the verdict and the summary tables, redacted by default, readable on a phone."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.helpers import EXAMPLE_BUGREPORT, invoke
from tests.reports.test_html_layout import CHROMIUM, Chromium

APP = "com.example.syncapp"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory):
    """The example bugreport, kept under a home directory (a user name in every `file:line`)."""
    root = tmp_path_factory.mktemp("html")
    home = root / "home" / "erinwalsh"
    home.mkdir(parents=True)
    report = home / "bugreport.zip"
    shutil.copy(EXAMPLE_BUGREPORT, report)
    target = root / "scan.html"
    proc = invoke("scan", str(report), "-p", APP, "--html", str(target))
    assert proc.returncode == 0, proc.stderr
    return target, proc.stdout


def test_the_page_is_written_whole_and_self_contained(page):
    target, _ = page
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    assert "default-src 'none'" in text  # the page's policy: nothing from the network, even by accident
    # nothing that could load anything: no script, stylesheet link, frame, image, import or url()
    assert not re.search(r"<script|<link|<iframe|<img|<object|<embed|@import|url\(|\ssrc=|\shref=", text, re.I)
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".scan.html.")]  # no temporary left
    assert target.stat().st_mode & 0o044  # readable by whoever the page is shared with (umask permitting)


def test_the_page_has_the_verdict_and_the_tables(page):
    target, terminal = page
    text = target.read_text(encoding="utf-8")
    assert f"Verdict for {APP}</h2>" in text
    assert 'class="verdict failed" id="verdict">com.example.syncapp was killed twice in 4 minutes' in text
    assert "The phone ran low on memory and its low-memory killer closed the app" in text
    assert "Lock the app in Recents" in text and "In the app (for its developer)" in text
    assert "<b>RARE</b>: The app is in the Rare standby bucket" in text
    for table in ("table-deaths", "table-anrs", "table-timeouts", "table-work", "table-jobs"):
        assert f'id="{table}"' in text, table
    assert "Xiaomi venus, Android 13, MIUI 14.0.6" in text
    assert f"Verdict for {APP}" in terminal  # the terminal still gets its own


def test_the_page_is_redacted_by_default(page):
    target, terminal = page
    text = target.read_text(encoding="utf-8")
    assert "erinwalsh" not in text and "/home/&lt;user&gt;/bugreport.zip" in text
    assert "removed (--redact)" in text
    assert "erinwalsh" in terminal  # --html redacts the page; the terminal is the operator's own


def test_html_with_json_writes_both(tmp_path):
    target = tmp_path / "p.html"
    proc = invoke("scan", str(EXAMPLE_BUGREPORT), "-p", APP, "--json", "--html", str(target))
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(events) == 17 and all(e["package"] in (APP, None) for e in events)
    assert f"Verdict for {APP}" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "where, problem",
    [("dir", "a directory; give a file name"), ("missing/p.html", "does not exist (create it first)")],
)
def test_an_html_path_that_cannot_be_written_is_said_before_the_scan(tmp_path, where, problem):
    (tmp_path / "dir").mkdir()
    proc = invoke("scan", str(EXAMPLE_BUGREPORT), "--html", str(tmp_path / where))
    assert proc.returncode == 2 and problem in proc.stderr and proc.stdout == ""


@pytest.mark.slow  # headless chromium
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_page_reads_at_390_px(page, tmp_path):
    target, _ = page
    browser = Chromium(tmp_path / "profile")
    try:
        browser.page("Page.enable")
        browser.page("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=1, mobile=True)
        browser.page("Page.navigate", url=target.as_uri())
        browser.wait_for("Page.loadEventFired")
        measure = (
            "JSON.stringify({width: innerWidth, scrollWidth: document.documentElement.scrollWidth,"
            " font: parseFloat(getComputedStyle(document.querySelector('.what')).fontSize)})"
        )
        measured = json.loads(
            browser.page("Runtime.evaluate", expression=measure, returnByValue=True)["result"]["value"]
        )
    finally:
        browser.close()
    assert measured["width"] == 390  # the viewport meta tag: a phone does not lay it out 980 px wide
    assert measured["scrollWidth"] <= 390  # long paths and package names wrap; tables scroll in their box
    assert measured["font"] >= 13
