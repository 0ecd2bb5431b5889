"""Android Studio's Logcat with every column turned off but the level: `D  message` (LevelFormat writes " D " and a
blank; JetBrains/android logcat/src/com/android/tools/idea/logcat/messages/LevelFormat.kt). Lines from the captures
that showed it, scanned through the real path (detection, pre-filter, paste unwrapping, interpreter)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bgprobe.collectors.errors import InputError

from tests.test_paste_forms import fields, scan_lines

# capacitor-background-geolocation#345 (corpus/android_trial6_issues/..._capacitor345.txt), as pasted
PLUGIN_LINES = (
    "The logcat prints many logs. Could you please explain the following logs?\n\n"
    "D  [c.t.l.service.AbstractService b] \U0001f3be  STOP [LocationRequestService startId: 3, eventCount: 1]\n"
    "D  [c.t.l.service.AbstractService f] \u2699\ufe0f\ufe0e  LocationRequestService.stopSelfResult(3): true\n"
    "D  [c.t.l.service.AbstractService onDestroy] \U0001f534  LocationRequestService stopped\n"
)


def test_level_only_lines_are_a_log_with_nothing_killed(tmp_path: Path):
    events, _ = scan_lines(tmp_path, PLUGIN_LINES)  # refused as "unrecognized format" before
    assert events == []


def test_one_level_only_line_in_prose_is_no_log(tmp_path: Path):
    with pytest.raises(InputError, match="unrecognized format"):
        scan_lines(tmp_path, "I  think the app stops after a while.\nAny idea?\n")


def test_a_kill_told_in_level_only_lines_is_read(tmp_path: Path):
    # ActivityManager's lines of element-android#2143 (corpus/android_oem/samsung_mars_force_stop_github-element.txt)
    # in this layout: no tag, the message alone after the level
    text = (
        "I  Force stopping im.vector.app.debug appid=10157 user=0: MARs #1\n"
        "I  Killing 29855:im.vector.app.debug/u0a157 (adj 700): stop im.vector.app.debug,MARs #1\n"
    )
    events, _ = scan_lines(tmp_path, text)
    killed = [e for e in events if e.kind == "process_killed" and e.pid is not None]
    assert fields(killed, "package", "pid", "uid") == [("im.vector.app.debug", 29855, "u0a157")]
