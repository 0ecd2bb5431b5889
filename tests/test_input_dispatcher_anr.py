"""InputDispatcher's input ANR, Android 10 and before (AOSP InputDispatcher::onANRLocked: "Application is not
responding: <window or app token>.  It has been …ms since event, …ms since wait started.  Reason: …"): the app's ANR
when the log has no ActivityManager "ANR in" of that app after it. A whole log has both, and tells one ANR. The captures
are real (tests/samples/corpus/, each file's first line names its public source)."""

from __future__ import annotations

from tests.helpers import TESTS, scan, scan_str

CORPUS = TESTS / "samples" / "corpus"


def test_a_log_cut_after_inputdispatchers_line_has_its_anr():
    # maplibre/flutter-maplibre-gl#742: Studio's newer copy, the excerpt ends at InputDispatcher's line.
    events, outcome = scan(
        CORPUS / "android_aosp/g4_inputdispatcher_not_responding_studio_new_pid_column_maplibregl742.txt"
    )
    assert outcome.usable
    (anr,) = [e for e in events if e.kind == "anr"]
    assert (anr.package, anr.pid, anr.source) == ("org.maplibre.example", None, "logcat:InputDispatcher")
    assert anr.data["window"].startswith("Window{cdaa2a0 u0 org.maplibre.example/")
    assert anr.data["input_reason"].startswith("Waiting to send non-key event")


def test_a_whole_logs_input_anr_is_activitymanagers_one_anr():
    # AndroidDog/ANRDemo's README: InputDispatcher's line, then 3 s later ActivityManager's "ANR in" of the same app.
    events, outcome = scan(CORPUS / "android_mine6/anr_input_dispatcher_then_am_anr_in_blog_readme_anrdemo.txt")
    assert outcome.usable
    (anr,) = [e for e in events if e.kind == "anr"]
    assert (anr.package, anr.pid, anr.source) == ("com.example.sunxt.anrdemo", 26876, "logcat:ActivityManager")


def test_the_words_alone_or_a_label_naming_no_app_tell_no_anr():
    # A list of log words to look for (as a README's table of them gives it), and an ANR of no window of an app.
    text = (
        "01-01 10:00:00.000  1000  1000 W InputDispatcher: Application is not responding\n"
        "01-01 10:00:01.000  1000  1000 I InputDispatcher: Application is not responding: <unknown application or "
        "window>.  It has been 5001.0ms since event, 5000.2ms since wait started.  Reason: Waiting\n"
    )
    assert [e for e in scan_str(text) if e.kind == "anr"] == []
