"""report.html read on a laptop (1280×900) and on a phone (390×844, mobile emulation: a viewport
meta tag is what keeps a phone from laying the page out 980 px wide), measured in headless
Chromium through the DevTools protocol: the page is no wider than the screen, every chart fits
and its text is not shrunk, values are printed as text, the interval legend is there, wide
tables scroll in their own box. Screenshots are left in the test's tmp dir (report-1280.png,
report-390.png and their -full.png whole-page versions) for a person to look at."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import select
import subprocess
import time
from pathlib import Path

import pytest
from bgprobe.reports.metrics import wilson_interval

from tests.helpers import invoke
from tests.reports.gen import event, many, task_run, write_results

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",  # this machine's closed network refuses them
    "--disable-component-update",
    "--disable-sync",
)
LONG_REASON = "oem:PowerGenie app-freeze after 3 wake-ups in 5 minutes (background activity)"

pytestmark = [
    pytest.mark.slow,  # headless chromium
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install -y chromium; .ci/run does)"
    ),
]


class Chromium:
    """Headless Chromium driven over --remote-debugging-pipe (fd 3: commands in, fd 4: replies out,
    each a JSON message ending in NUL): no port, no websocket library. The page's own
    Content-Security-Policy forbids scripts; DevTools' Runtime.evaluate is not bound by it."""

    def __init__(self, profile: Path, timeout: float = 30.0) -> None:
        commands_in, self._commands = os.pipe()
        self._replies, replies_out = os.pipe()
        self.timeout = timeout
        # bash puts the pipes on fds 3 and 4 (dash refuses fd numbers above 9 in a redirection).
        move = f'exec "$0" "$@" 3<&{commands_in} 4>&{replies_out}'
        self.proc = subprocess.Popen(
            ["bash", "-c", move, str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"],
            pass_fds=(commands_in, replies_out),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(profile.parent / "chromium.log").open("wb"),
        )
        os.close(commands_in)
        os.close(replies_out)
        self._buffer, self._id, self._events = b"", 0, []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def call(self, method: str, session: str | None = None, **params: object) -> dict:
        self._id += 1
        message: dict[str, object] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply["result"]
            self._events.append(reply)

    def page(self, method: str, **params: object) -> dict:
        return self.call(method, session=self.session, **params)

    def wait_for(self, method: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            for i, message in enumerate(self._events):
                if message.get("method") == method:
                    return self._events.pop(i)
            self._events.append(self._read(deadline))

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._replies], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed its DevTools pipe (see chromium.log in the test's tmp dir)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        with contextlib.suppress(OSError, TimeoutError, EOFError, AssertionError):
            self.call("Browser.close")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._commands)
        os.close(self._replies)


# Everything the assertions need, measured in the page (CSS pixels).
MEASURE = """JSON.stringify({
  width: innerWidth,
  scrollWidth: document.documentElement.scrollWidth,
  charts: [...document.querySelectorAll('.chart > svg')].map(svg => {
    const box = svg.getBoundingClientRect();
    return {id: svg.id, left: box.left, right: box.right, width: box.width,
      texts: [...svg.querySelectorAll('text')].map(t => {
        const b = t.getBoundingClientRect();
        return {text: t.textContent, y: t.getAttribute('y'), left: b.left, right: b.right, height: b.height};
      })};
  }),
  boxes: [...document.querySelectorAll('.scroll')].map(d => ({
    label: d.getAttribute('aria-label'), right: d.getBoundingClientRect().right,
    scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, overflow: getComputedStyle(d).overflowX})),
  legend: document.getElementById('legend-interval')?.textContent ?? null,
  verdict: document.getElementById('verdict')?.textContent ?? null,
})"""


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """Seven OS versions on two platforms, a long kill reason, a long model name, a gate that fails."""
    rows = []
    for i, (version, maker, model) in enumerate(
        [
            ("9", "Huawei", "ELS-NX9"),
            ("10", "Xiaomi", "Redmi Note 8 Pro"),
            ("11", "Samsung", "SM-A525F"),
            ("12", "OnePlus", "ONEPLUS A6003"),
            ("13", "Google", "Pixel 7a"),
            ("14", "Google", "Pixel 8 Pro with a very long marketing name (2023)"),
        ]
    ):
        rows += many(8 - i, i + 1, device=f"a{i}", os_version=version, manufacturer=maker, model=model)
    rows += task_run(
        ["killed", "killed"],
        device="a0",
        os_version="9",
        manufacturer="Huawei",
        model="ELS-NX9",
        task="upload",
        reasons=[LONG_REASON, "lmkd:low_mem"],
    )
    for row in (ios := many(3, 1, device="i1", os_version="17.4.1", manufacturer="Apple", model="iPhone14,5")):
        row.update(platform="ios", os_major=17)
    rows += ios
    events = [event("process_killed", device="a0", reason="low_mem", source="lmkd")]
    results = write_results(tmp_path_factory.mktemp("html") / "results", rows, events=events)
    target = results.parent / "report.html"
    proc = invoke("report", str(results), "--format", "html", "-o", str(target), "--fail-under", "95%")
    assert proc.returncode == 1, proc.stderr  # the gate fails, and the page says so
    return target


@pytest.mark.parametrize(("width", "height", "mobile"), [(1280, 900, False), (390, 844, True)])
def test_reads_at_laptop_and_phone_width(page, tmp_path, width, height, mobile):
    browser = Chromium(tmp_path / "profile")
    try:
        browser.page("Page.enable")
        browser.page(
            "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile
        )
        browser.page("Page.navigate", url=page.as_uri())
        browser.wait_for("Page.loadEventFired")
        measured = json.loads(
            browser.page("Runtime.evaluate", expression=MEASURE, returnByValue=True)["result"]["value"]
        )
        for name, beyond in (("", False), ("-full", True)):
            shot = browser.page("Page.captureScreenshot", format="png", captureBeyondViewport=beyond)
            (tmp_path / f"report-{width}{name}.png").write_bytes(base64.b64decode(shot["data"]))
    finally:
        browser.close()

    # Without the viewport meta tag a phone reports 980 here and shrinks the page to fit.
    assert measured["width"] == width
    assert measured["scrollWidth"] <= width, "the page is wider than the screen"

    charts = {chart["id"]: chart for chart in measured["charts"]}
    assert set(charts) == {"chart-success-by-os", "chart-ttes", "chart-kills"}
    for chart in charts.values():
        assert chart["left"] >= 0 and chart["right"] <= width, chart["id"]
        assert chart["width"] >= min(300, width - 40), chart["id"]  # takes its column, not a fixed size
        for text in chart["texts"]:
            # Every label inside its chart, at the page's text size (a scaled-down drawing would shrink it).
            assert chart["left"] - 1 <= text["left"] and text["right"] <= chart["right"] + 1, (chart["id"], text)
            assert text["height"] >= 12, (chart["id"], text)
        by_line: dict[str, list[dict]] = {}
        for text in chart["texts"]:
            by_line.setdefault(text["y"], []).append(text)
        for line in by_line.values():  # a label and its value on one line do not run into each other
            line.sort(key=lambda t: t["left"])
            for a, b in itertools.pairwise(line):
                assert a["right"] <= b["left"], (chart["id"], a["text"], b["text"])

    # Values printed, not only in hover titles: each OS row's rate with its interval, counts on bars.
    success = [t["text"] for t in charts["chart-success-by-os"]["texts"]]
    for label in ("Android 9", "Android 14", "iOS 17"):
        assert label in success
    low, high = wilson_interval(3, 4)  # iOS 17: 3 of 4 task runs completed
    assert f"75.0% [{low * 100:.1f}–{high * 100:.1f}%] of 4" in success
    assert sum("% [" in t for t in success) == 7  # every OS row
    kills = [t["text"] for t in charts["chart-kills"]["texts"]]
    assert "1" in kills and any(t.startswith("oem:PowerGenie") and t.endswith("…") for t in kills)

    assert measured["legend"] and "95% Wilson score interval" in measured["legend"]
    assert measured["verdict"].startswith("failed: completion")

    boxes = {box["label"]: box for box in measured["boxes"]}
    assert boxes["By OS version (major)"]["overflow"] == "auto"
    for box in boxes.values():
        assert box["right"] <= width, box["label"]
    if mobile:  # the summary tables are wider than a phone: they scroll inside their box
        assert boxes["By OS version (major)"]["scrollWidth"] > boxes["By OS version (major)"]["clientWidth"]
    else:  # and fit a laptop
        assert boxes["By OS version (major)"]["scrollWidth"] <= boxes["By OS version (major)"]["clientWidth"]

    shots = {name: (tmp_path / f"report-{width}{name}.png").read_bytes() for name in ("", "-full")}
    assert all(png[:8] == b"\x89PNG\r\n\x1a\n" for png in shots.values())
    wide, high = (int.from_bytes(shots[""][i : i + 4], "big") for i in (16, 20))  # from the IHDR chunk
    assert (wide, high) == (width, height)
    wide, high = (int.from_bytes(shots["-full"][i : i + 4], "big") for i in (16, 20))
    assert wide <= width and high > height  # the whole page: no wider than the screen (less its scrollbar)
