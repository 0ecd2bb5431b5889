"""What copying a log from a web page, a forum or a chat does to it: the newlines between lines lost, so that
log lines run together on one line (`collectors.parsers.paste.run_on_lines`, used by the scanner when its
sample holds such a line), blanks turned into no-break spaces (an HTML `&nbsp;`) and straight single quotes
into typographic ones (read as what they stand for, `collectors.inputs.textscan._as_typed`)."""

from __future__ import annotations

import io

import pytest
from bgprobe.collectors.inputs import textscan
from bgprobe.collectors.parsers.logcat import YearHint
from bgprobe.collectors.parsers.paste import run_on_lines

from tests.helpers import TESTS, scan

RUN_TOGETHER = TESTS / "samples/corpus/android_oem/samsung_has_died_adj_run_together_coderoad.txt"


def _run_together_line() -> str:
    return next(line for line in RUN_TOGETHER.read_text(encoding="utf-8").splitlines() if line.count("has died") > 1)


def test_a_line_of_brief_records_run_together_is_split_where_each_starts():
    pieces = run_on_lines(_run_together_line(), YearHint(None), None)
    assert len(pieces) == 9
    assert all(p.startswith(("I/ActivityManager( 2258): Process ", "D/")) for p in pieces)
    assert pieces[0].endswith("(pid 32242) (adj 10) has died.")
    assert pieces[2] == "D/dalvikvm(32602): WAIT_FOR_CONCURRENT_GC blocked 0ms"


def test_a_date_in_a_message_is_no_place_where_a_line_starts():
    line = "10-30 08:00:01.000  1702  2010 I AlarmManager: alarm due 10-30 08:00:00.000 fired late"
    assert run_on_lines(line, YearHint(None), None) == []
    assert run_on_lines("Process a (pid 1) has died. I/ then prose", YearHint(None), None) == []


def test_threadtime_lines_run_together_each_give_their_event(tmp_path):
    path = tmp_path / "flat.txt"
    path.write_text(
        "10-30 08:00:00.001  1702  2010 I ActivityManager: Killing 15849:com.foo.bar/u0a280 (adj 905): empty #17 "
        "10-30 08:00:00.101  1702  2010 I ActivityManager: Killing 15850:com.foo.baz/u0a281 (adj 905): empty #18 "
        "10-30 08:00:01.000  1702  2010 I AlarmManager: alarm due 10-30 08:00:00.000 fired late\n",
        encoding="utf-8",
    )
    events, outcome = scan(path)
    assert outcome.unrecognized == 0
    assert [(e.kind, e.package, e.pid, e.reason, e.ts[-12:]) for e in events] == [
        ("process_killed", "com.foo.bar", 15849, "too_many_empty", "08:00:00.001"),
        ("process_killed", "com.foo.baz", 15850, "too_many_empty", "08:00:00.101"),
    ]


def test_threadtime_records_glued_without_a_blank_are_split_where_each_head_starts():
    # A page that dropped the newlines left nothing between the records: "FATAL EXCEPTION: main11-05 04:47:32.468
    # 911   911 E AndroidRuntime: Process: com.shift.phonemanager, PID: 91111-05 04:47:32.468 ..." (the crash's
    # Process line was lost in the first record, so the package was not named).
    glued = TESTS / "samples/corpus/android_aosp/crash_bg_start_not_allowed_lines_glued_no_separator_16lz.txt"
    line = next(line for line in glued.read_text(encoding="utf-8").splitlines() if line.startswith("11-05"))
    pieces = run_on_lines(line, YearHint(None), None)
    assert pieces[0].endswith("FATAL EXCEPTION: main")
    assert pieces[1].endswith("Process: com.shift.phonemanager, PID: 911")
    events, _ = scan(glued)
    assert [(e.kind, e.package, e.pid) for e in events] == [("crash", "com.shift.phonemanager", 911)]
    # A date inside a message, glued to the word before it, is still no place where a record starts.
    assert (
        run_on_lines("10-30 08:00:01.000  1702  2010 I Tag: due at10-30 08:00:00.000 late", YearHint(None), None) == []
    )


def test_the_run_together_capture_gives_each_death_once():
    events, outcome = scan(RUN_TOGETHER)
    assert outcome.unrecognized == 0
    assert sorted((e.kind, e.pid) for e in events) == sorted(
        ("process_died", pid) for pid in (32242, 32446, 32272, 12041, 19839, 556)
    )


# A real capture whose blanks a web page may serve as no-break spaces: all of them, or every second one of a
# run (how HTML keeps two blanks: " &nbsp;").
KILLS = TESTS / "samples/corpus/android_aosp/events_am_kill_wrapped_vancedmanager.txt"
THREADTIME = TESTS / "samples/android/logcat_am_killing_empty_android12_termux.txt"


def _events(path):
    events, outcome = scan(path)
    assert outcome.usable, outcome.problems
    return [(e.kind, e.package, e.pid, e.reason, e.ts) for e in events]


def _reads_as_itself(capture, tmp_path, rewrite) -> None:
    """The capture's body (its source line kept on top) rewritten gives the capture's own kills."""
    head, body = capture.read_text(encoding="utf-8").split("\n", 1)
    rewritten = rewrite(body)
    assert rewritten != body
    path = tmp_path / capture.name
    path.write_text(head + "\n" + rewritten, encoding="utf-8")
    expected = _events(capture)
    assert any(kind == "process_killed" for kind, *_ in expected)
    assert _events(path) == expected


def test_no_break_spaces_are_read_as_blanks(tmp_path):
    _reads_as_itself(KILLS, tmp_path, lambda body: body.replace(" ", "\u00a0"))
    # threadtime's padded columns as HTML keeps two blanks (" &nbsp;")
    _reads_as_itself(THREADTIME, tmp_path, lambda body: body.replace("  ", " \u00a0"))


def test_a_no_break_space_cut_by_a_block_end_is_still_a_blank(monkeypatch):
    monkeypatch.setattr(textscan, "CHUNK_SIZE", 8)
    data = "ab\u00a0cde\u00a0g\n".encode()  # the second no-break space is bytes 7-8: the first block ends in it
    assert data[7:9] == b"\xc2\xa0"
    blocks = [block for block, error in textscan._blocks(io.BytesIO(data)) if error is None]
    assert b"".join(blocks) == b"ab cde g\n"
    assert all(not block.endswith(b"\xc2") for block in blocks)
    quoted = "abcdef\u2019g\n".encode()  # the quote is bytes 6-8: the first block ends with two of them
    assert b"".join(block for block, _ in textscan._blocks(io.BytesIO(quoted))) == b"abcdef'g\n"


LMKD = TESTS / "samples/corpus/android_aosp/lmkd_kill_terminal_wrapped_unit_test_stress.txt"


def test_typographic_single_quotes_are_read_as_straight_ones(tmp_path):
    _reads_as_itself(LMKD, tmp_path, lambda body: body.replace("Kill '", "Kill \u2018").replace("' (", "\u2019 ("))


def test_a_log_copied_from_a_page_source_with_escaped_quotes_is_read(tmp_path):
    _reads_as_itself(LMKD, tmp_path, lambda body: body.replace("'", "&#39;"))


def test_lines_ended_by_a_carriage_return_alone_are_lines(tmp_path):
    path = tmp_path / "cr.txt"
    path.write_bytes(KILLS.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    assert b"\n" not in path.read_bytes()
    assert _events(path) == _events(KILLS)


def test_an_indented_log_line_is_one_line_not_several():
    line = "    12-24 03:22:05.147 I/ActivityManager( 1097): Start proc net.pmarks.chromadoze "
    assert run_on_lines(line, YearHint(None), None) == []


@pytest.mark.parametrize("size", range(1, 14))
def test_a_colour_sequence_cut_by_a_block_end_is_still_dropped_whole(monkeypatch, size):
    # logcat -v color colours each line; GitLab puts its line erasing before each one. Wherever a block ends,
    # no part of a control sequence is left in the text.
    monkeypatch.setattr(textscan, "CHUNK_SIZE", size)
    data = b"\x1b[0K\x1b[38;5;40mI/Tag( 12): a\x1b[0m\n\x1b[1;31mb\x1b[0m\n"
    assert b"".join(block for block, _ in textscan._blocks(io.BytesIO(data))) == b"I/Tag( 12): a\nb\n"


def test_a_fence_glued_to_the_end_of_the_last_line_is_no_part_of_it():
    lines = b"```\nI ActivityManager: freezing 30033 app.revanced.android.gms  ```\r\nsee ```x``` here\n    ```\n"
    assert (
        textscan._markup_off(lines)
        == b"```\nI ActivityManager: freezing 30033 app.revanced.android.gms  \r\nsee ```x``` here\n    ```\n"
    )


def test_html_line_tags_are_taken_off_a_line_s_ends_only():
    html = b"<pre><code>05-07 a<br>\nb<BR/>\r\nmsg <pre>x</pre> y\nc</code></pre>\n"
    assert textscan._markup_off(html) == b"05-07 a\nb\r\nmsg <pre>x</pre> y\nc\n"
