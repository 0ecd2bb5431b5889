"""logcat -v time ("MM-DD hh:mm:ss.mmm I/Tag( pid): msg") holds a brief line after its time stamp: the
run-on splitter (`collectors.parsers.paste.run_on_lines`) must not cut a time line there, also where the
line is one a rule cannot read alone (a message hard-wrapped onto the next line)."""

from __future__ import annotations

from bgprobe.collectors.parsers.logcat import YearHint
from bgprobe.collectors.parsers.paste import run_on_lines

from tests.helpers import scan


def test_a_time_layout_line_is_not_split_after_its_time():
    line = "12-24 03:21:59.999 I/ActivityManager( 1097): No longer want "
    assert run_on_lines(line, YearHint(None), None) == []
    visual_studio = "01-20 19:21:48.483: I/Zygote(877): Process 25573 exited due to signal 9 (Killed)"
    assert run_on_lines(visual_studio, YearHint(None), None) == []
    two = "12-24 03:21:59.999 I/ActivityManager( 1097): a b. 12-24 03:22:00.131 I/ActivityManager( 1097): c d."
    assert run_on_lines(two, YearHint(None), None) == [
        "12-24 03:21:59.999 I/ActivityManager( 1097): a b.",
        "12-24 03:22:00.131 I/ActivityManager( 1097): c d.",
    ]


def test_time_layout_messages_wrapped_at_80_columns_are_read(tmp_path):
    # chromadoze#2 (a Google Code export): each long line word-wrapped onto the next one
    path = tmp_path / "wrapped.txt"
    path.write_text(
        "Log:\n\n"
        "12-24 03:21:59.999 I/ActivityManager( 1097): No longer want \n"
        "net.pmarks.chromadoze (pid 18971): hidden #16\n"
        "12-24 03:22:05.147 I/ActivityManager( 1097): Start proc net.pmarks.chromadoze \n"
        "for service net.pmarks.chromadoze/.NoiseService: pid=19168 uid=10046 gids={}\n",
        encoding="utf-8",
    )
    events, outcome = scan(path)
    assert outcome.usable
    assert [(e.kind, e.pid, e.reason) for e in events] == [
        ("process_killed", 18971, "too_many_cached"),
        ("process_started", 19168, None),
    ]
