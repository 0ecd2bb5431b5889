"""Forms of the fifth round's framework captures (tests/samples/corpus/android_frameworks5.toml), each with real lines
of the capture that showed it, scanned through the real path (detection, pre-filter, interpreter)."""

from __future__ import annotations

from bgprobe.reports.events import Event

from tests.helpers import scan_str


def fields(events: list[Event]) -> list[tuple[str, str | None, str | None, int | None, str | None]]:
    return [(e.kind, e.package, e.process, e.pid, e.uid) for e in events]


# -- a package name a chat or GitHub auto-linked inside ActivityManager's message ------------------------------------

# firebase/flutterfire#9718: unfenced threadtime whose every package name became a Markdown link.
FLUTTERFIRE_9718 = (
    "10-17 18:05:42.072  1555  1864 I ActivityManager: Start proc 10889:[com.something.app/u0a471]"
    "(http://com.something.app/u0a471) for activelaunch {[com.something.app/com.something.app.MainActivity]"
    "(http://com.something.app/com.something.app.MainActivity)}\n"
)


def test_an_auto_linked_start_proc_is_read_as_it_was_logged():
    assert fields(scan_str(FLUTTERFIRE_9718)) == [
        ("process_started", "com.something.app", "com.something.app", 10889, "u0a471")
    ]


def test_auto_linked_kill_and_force_stop_lines_are_read_as_they_were_logged():
    # The same link on the two other lines that name an app before a slash or a blank (made from the line above:
    # no capture holds them linked yet).
    text = (
        "10-17 18:05:42.072  1555  1864 I ActivityManager: Killing 10889:[com.something.app/u0a471]"
        "(http://com.something.app/u0a471) (adj 900): remove task\n"
        "10-17 18:05:43.072  1555  1864 I ActivityManager: Force stopping [com.something.app](http://com.something.app/)"
        " appid=10471 user=0: from pid 2684\n"
    )
    events = scan_str(text)
    assert fields(events) == [
        ("process_killed", "com.something.app", "com.something.app", 10889, "u0a471"),
        ("process_killed", "com.something.app", "com.something.app", None, None),
    ]
    assert [e.reason for e in events] == ["remove_task", "force_stop"]
