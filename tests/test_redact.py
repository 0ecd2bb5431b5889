"""What bgprobe writes for sharing holds no personal data (issue 14), and the diagnosis is unchanged.

Real captures from tests/samples/ and the example bugreport are copied with personal data written into the
message part of their lines (an ANR's reason, the event log's ANR, a worker's exception, a crash's message;
the bugreport sits under a home directory): e-mail addresses, phone numbers, an IMEI and an MEID, a serial,
an Android ID, accounts, IPv4/IPv6 and MAC addresses, coordinates, URLs with query strings and tokens, a
bearer token, a JWT, a push token, user names in paths. Scanned with `--json --redact` and `--html`:

- every seeded value reaches the output when nothing is redacted (else the test would prove nothing),
- none survives anywhere in the redacted output,
- the events (kind, package, pid, reason, job, ts) are exactly those of the unseeded captures.

And a property test: `redact_text` never changes package names, pids, uids, times or reasons.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from bgprobe.reports.knowledge import load_knowledge
from bgprobe.reports.redact import PLACEHOLDERS, redact_event, redact_text
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import EXAMPLE_BUGREPORT, TESTS, examples, invoke

SAMPLES = TESTS / "samples"
APP = "com.example.syncapp"

# category -> the values written into the captures (each must vanish from redacted output)
SEEDS: dict[str, list[str]] = {
    "email": ["alice.smith@example.com", "bob+tickets@mail.example.org"],
    "phone": ["+1 415 555 0132", "+44 20 7946 0958", "(415) 555-0199"],
    "imei": ["490154203237518"],
    "meid": ["A0000012345678"],
    "serial": ["R58M12345AB"],
    "android_id": ["9774d56d682e549c"],
    "account": ["carol.jones@gmail.com", "davew_99"],
    "ip": ["192.168.1.23", "2001:db8:85a3::8a2e:370:7334"],
    "mac": ["3c:5a:b4:01:02:03", "A4-5E-60-C1-D2-E3"],
    "coordinates": ["37.421998", "-122.084000", "48.856613", "2.352222"],
    "query": ["s3cr3tT0ken", "user=alice"],
    "token": ["abcDEF1234567890xyz", "cXyzAbc123-:APA91bH1aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"],
    "jwt": ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"],
    "user": ["erinwalsh", "frankozz", "gracehopperx"],
}
SEEDED = [value for values in SEEDS.values() for value in values]

# Written into the message part of real lines (after `Reason: `, inside an exception message): text that no
# rule reads as a kill reason, a package, a pid or a time.
ANR_REASON = (
    " (signed in as alice.smith@example.com from 192.168.1.23, caller +1 415 555 0132;"
    " Account {name=carol.jones@gmail.com, type=com.google} wlan0 3c:5a:b4:01:02:03)"
)
AM_ANR = " imei 490154203237518 android_id=9774d56d682e549c"
WORKER = (
    " while POST https://api.example.com/v1/sync?token=s3cr3tT0ken&user=alice failed: Authorization: Bearer"
    " abcDEF1234567890xyz jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    " device serialno=R58M12345AB meid: A0000012345678 via 2001:db8:85a3::8a2e:370:7334 support +44 20 7946 0958"
)
CRASH = (
    " at Location[fused 37.421998,-122.084000 acc=12] lat=48.856613 lng=2.352222 writing"
    " C:\\Users\\gracehopperx\\AppData\\sync.db and /Users/frankozz/Library/x for bob+tickets@mail.example.org"
    " accountName=davew_99 bssid A4-5E-60-C1-D2-E3 hotline (415) 555-0199"
    " fcm cXyzAbc123-:APA91bH1aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
)


def _seed_bugreport(target: Path) -> None:
    """The example bugreport, its ANR's reason (logcat and event log) carrying personal data."""
    with zipfile.ZipFile(EXAMPLE_BUGREPORT) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("bugreport-") and info.filename.endswith(".txt"):
                text = data.decode("utf-8")
                reason = "Reason: executing service com.example.syncapp/.ImageUploadJobService"
                assert reason in text
                text = text.replace(reason, reason + ANR_REASON, 1)
                am_anr = "952680516,executing service com.example.syncapp/.ImageUploadJobService]"
                assert am_anr in text
                text = text.replace(am_anr, am_anr[:-1] + AM_ANR + "]", 1)
                data = text.encode("utf-8")
            dst.writestr(info, data)


def _seed_line(source: Path, target: Path, marker: str, extra: str) -> None:
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    hit = next(i for i, line in enumerate(lines) if marker in line)
    lines[hit] = lines[hit].rstrip("\n") + extra + "\n"
    target.write_text("".join(lines), encoding="utf-8")


WORKER_CAPTURE = SAMPLES / "android_field" / "logcat_brief_wm_threw_flutter_downloader.txt"
CRASH_CAPTURE = SAMPLES / "android_field" / "logcat_emoji_level_fatal_deltachat.txt"


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """name -> (the real capture, its seeded copy); the seeded bugreport sits under /home/erinwalsh/."""
    root = tmp_path_factory.mktemp("seeded")
    home = root / "home" / "erinwalsh" / "tickets"
    home.mkdir(parents=True)
    _seed_bugreport(home / "bugreport.zip")
    _seed_line(WORKER_CAPTURE, root / "worker.txt", "java.util.concurrent.ExecutionException", WORKER)
    _seed_line(CRASH_CAPTURE, root / "crash.txt", "did not stop within its timeout", CRASH)
    return {
        "bugreport": (EXAMPLE_BUGREPORT, home / "bugreport.zip"),
        "worker": (WORKER_CAPTURE, root / "worker.txt"),
        "crash": (CRASH_CAPTURE, root / "crash.txt"),
    }


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def _identity(events: list[dict]) -> list[tuple]:
    return [(e["kind"], e["package"], e["pid"], e["reason"], e["job"], e["ts"]) for e in events]


def _survivors(text: str) -> list[str]:
    return [value for value in SEEDED if value in text]


def _scan(*args: str) -> str:
    proc = invoke("scan", *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_every_seeded_value_reaches_the_unredacted_output(captures):
    seeded = [str(s) for _, s in captures.values()]
    out = _scan(*seeded, "--json")
    missing = [value for value in SEEDED if value not in out]
    assert missing == []  # else "none survives" below would prove nothing


def test_json_redact_removes_every_seeded_value_and_keeps_every_event(captures):
    real = [str(r) for r, _ in captures.values()]
    seeded = [str(s) for _, s in captures.values()]
    before = _events(_scan(*real, "--json"))
    out = _scan(*seeded, "--json", "--redact")
    after = _events(out)
    assert _survivors(out) == []
    assert _identity(after) == _identity(before) and len(after) == len(before) > 20
    # the placeholders say what was there
    for placeholder in ("<email>", "<ip>", "<phone>", "<imei>", "<serial>", "<query>", "<token>", "<jwt>", "<user>"):
        assert placeholder in out, placeholder
    # the diagnosis fields are untouched, also in the data: package names and times stay
    assert {e["package"] for e in after} == {e["package"] for e in before}


@pytest.mark.parametrize("package", [None, APP, "chat.delta"])
def test_html_is_redacted_by_default_and_keeps_the_verdict(captures, tmp_path, package):
    seeded = [str(s) for _, s in captures.values()]
    page = tmp_path / "scan.html"
    args = [*seeded, "--html", str(page)] + (["-p", package] if package else [])
    terminal = _scan(*args)
    text = page.read_text(encoding="utf-8")
    assert _survivors(text) == []
    assert "removed (--redact)" in text
    if package == APP:
        assert "Verdict for com.example.syncapp" in text and "Xiaomi&#x27;s OneKeyClean" in text
        assert "13:31:20" in text  # the ANR's time, and its pid, stay
        assert "24810" in text
    # the terminal is not for sharing: --html alone leaves it as it was
    if package == APP:
        assert "alice.smith@example.com" in terminal


def test_no_redact_keeps_the_data_and_redact_covers_the_terminal(captures, tmp_path):
    seeded = [str(s) for _, s in captures.values()]
    page = tmp_path / "raw.html"
    _scan(*seeded, "-p", APP, "--html", str(page), "--no-redact")
    assert "alice.smith@example.com" in page.read_text(encoding="utf-8")
    terminal = _scan(*seeded, "-p", APP, "--redact")
    assert "alice.smith@example.com" not in terminal and _survivors(terminal) == []


def test_unrecognized_lines_are_redacted_too(tmp_path):
    # A maker's power-manager line no rule reads (listed for the corpus), with an account and an address in it.
    capture = tmp_path / "home" / "erinwalsh" / "pm.txt"
    capture.parent.mkdir(parents=True)
    capture.write_text(
        "11-05 23:55:31.908  1416  3981 I PowerKeeper: frozen uid 10112 for alice.smith@example.com at 192.168.1.23\n"
        "11-05 23:55:32.001  1416  3981 I ActivityManager: Killing 30487:com.xiaomi.calendar/u0a112 (adj 945): OneKeyClean\n",
        encoding="utf-8",
    )
    raw = _scan(str(capture), "--unrecognized", "--json")
    assert "alice.smith@example.com" in raw
    out = _scan(str(capture), "--unrecognized", "--json", "--redact")
    assert "alice.smith@example.com" not in out and "192.168.1.23" not in out and "erinwalsh" not in out
    assert "<email>" in out and "uid 10112" in out


def test_redact_event_keeps_the_diagnosis_fields():
    from bgprobe.reports.events import Event

    e = Event(
        kind="crash",
        source="logcat:AndroidRuntime",
        where="/home/erinwalsh/t/crash.txt:3",
        ts="2024-10-30T13:33:45.870",
        package="com.example.syncapp",
        process="com.example.syncapp:sync",
        pid=24810,
        uid="u0a245",
        reason="java_exception",
        detail="IOException for alice.smith@example.com",
        data={"exception": ["from 192.168.1.23", {"url": "https://x.example/a?token=s3cr3tT0ken"}], "n": 3},
    )
    r = redact_event(e)
    assert (r.kind, r.source, r.ts, r.package, r.process, r.pid, r.uid, r.reason) == (
        e.kind, e.source, e.ts, e.package, e.process, e.pid, e.uid, e.reason,
    )  # fmt: skip
    assert r.where == "/home/<user>/t/crash.txt:3" and r.detail == "IOException for <email>"
    assert r.data == {"exception": ["from <ip>", {"url": "https://x.example/a?<query>"}], "n": 3}
    assert e.detail == "IOException for alice.smith@example.com"  # a copy: the event itself is untouched


# -- what must never change ------------------------------------------------------------------------------
_PACKAGE = re.compile(r"(?<![\w.@/-])[a-z][a-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*){2,}(?![\w@-])")
_TIME = re.compile(r"\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?")
_URL_OR_EMAIL = re.compile(r"\S+://\S+|\S+@\S+")


def test_real_captures_keep_every_package_name_and_time():
    """Every line of every capture in tests/samples (thousands of real lines): what looks like a package
    name or a log time before redaction is still there after it (inside a URL or an e-mail address aside)."""
    lines = changed = 0
    for path in sorted(SAMPLES.rglob("*.txt")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            lines += 1
            red = redact_text(line)
            if red == line:
                continue
            changed += 1
            assert any(p in red for p in PLACEHOLDERS), (path.name, line, red)
            plain = _URL_OR_EMAIL.sub(" ", line)
            for token in _PACKAGE.findall(plain) + _TIME.findall(plain):
                assert token in red, (path.name, token, line, red)
    assert lines > 2000 and changed < lines / 100  # real logs are mostly not personal


def test_the_knowledge_base_text_is_never_redacted():
    kb = load_knowledge()
    for e in kb.entries:
        for text in (e.title, e.what, e.developer, *(s.steps for s in e.user_steps)):
            assert redact_text(text) == text, (e.id, text)


segment = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True) | st.from_regex(
    r"[A-Za-z][A-Za-z0-9]{0,9}", fullmatch=True
)
packages = st.lists(segment, min_size=2, max_size=5).map(".".join)
pids = st.integers(min_value=1, max_value=4_194_304)
app_ids = st.integers(min_value=0, max_value=99_999)
times = st.builds(
    lambda mo, d, h, mi, s, ms: f"{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}.{ms:03d}",
    st.integers(1, 12), st.integers(1, 28), st.integers(0, 23), st.integers(0, 59), st.integers(0, 59), st.integers(0, 999),
)  # fmt: skip
years = st.integers(min_value=2010, max_value=2035)
zones = st.sampled_from(["", "Z", "+02:00", "-07:00", "+0530"])
versions = st.lists(st.integers(0, 40), min_size=2, max_size=3).map(lambda p: ".".join(map(str, p)))
REASONS = ["too_many_empty", "low_memory", "oem:OneKeyClean", "oem:MARs #N", "force_stop", "freezer", "anr", "sigkill"]


@settings(max_examples=examples(300), deadline=None)
@given(packages, pids, pids, app_ids, times, years, zones, versions, st.sampled_from(REASONS), st.integers(0, 1001))
def test_redaction_never_changes_packages_pids_times_or_reasons(
    pkg, pid, tid, app_id, ts, year, zone, version, reason, adj
):
    lines = [
        f"{ts}  1000  {pid}  {tid} I ActivityManager: Killing {pid}:{pkg}/u0a{app_id} (adj {adj}): {reason}",
        f"{year}-{ts.replace(' ', 'T')}{zone} {pkg} pid={pid} uid={10000 + app_id} Android {version}",
        f"[0,{pid},{pkg},{adj},{reason},{tid}]",
        f"Process {pkg}:remote (pid {pid}) has died: cch+5 CEM; Start proc {pid}:{pkg}/u0a{app_id} for service {{{pkg}/.Sync}}",
        f"JOB #u0a{app_id}/{tid}: {pid:x} {pkg}/androidx.work.impl.background.systemjob.SystemJobService",
    ]
    for line in lines:
        assert redact_text(line) == line


# Each seeded value as it stands in a line (a serial or a user name is one only by its context).
IN_CONTEXT = [
    ("mail alice.smith@example.com", "alice.smith@example.com"),
    ("to bob+tickets@mail.example.org", "bob+tickets@mail.example.org"),
    ("call +1 415 555 0132", "415 555 0132"),
    ("call +44 20 7946 0958", "7946 0958"),
    ("call (415) 555-0199", "555-0199"),
    ("imei 490154203237518", "490154203237518"),
    ("meid: A0000012345678", "A0000012345678"),
    ("serialno=R58M12345AB", "R58M12345AB"),
    ("[ro.serialno]: [R58M12345AB]", "R58M12345AB"),
    ("android_id=9774d56d682e549c", "9774d56d682e549c"),
    ("Account {name=carol.jones@gmail.com, type=com.google}", "carol.jones"),
    ("accountName=davew_99", "davew_99"),
    ("from 192.168.1.23:443", "192.168.1.23"),
    ("via 2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::8a2e:370:7334"),
    ("bssid 3c:5a:b4:01:02:03", "3c:5a:b4:01:02:03"),
    ("bssid A4-5E-60-C1-D2-E3", "A4-5E-60-C1-D2-E3"),
    ("at 37.421998,-122.084000", "37.421998"),
    ("lat=48.856613 lng=2.352222", "48.856613"),
    ("GET https://api.example.com/v1/sync?token=s3cr3tT0ken&user=alice", "s3cr3tT0ken"),
    ("GET /v1/sync?user=alice&x=1", "user=alice"),
    ("Authorization: Bearer abcDEF1234567890xyz", "abcDEF1234567890xyz"),
    ("access_token=abcDEF1234567890xyz", "abcDEF1234567890xyz"),
    ("fcm cXyzAbc123-:APA91bH1aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "APA91bH1aBcDeFgHiJkLmNoPqRsTuVwXyZ"),
    (f"jwt {SEEDS['jwt'][0]}", SEEDS["jwt"][0]),
    ("file /home/erinwalsh/t.txt", "erinwalsh"),
    ("file /Users/frankozz/t.txt", "frankozz"),
    ("file C:\\Users\\gracehopperx\\t.txt", "gracehopperx"),
]


@settings(max_examples=examples(300), deadline=None)
@given(packages, pids, times, st.sampled_from(IN_CONTEXT))
def test_redaction_removes_the_data_and_keeps_the_names_around_it(pkg, pid, ts, seeded):
    form, secret = seeded
    line = f"{ts} {pid} W {pkg}: sync of {pkg} failed, {form} (pid {pid})"
    red = redact_text(line)
    assert secret not in red
    assert red.startswith(f"{ts} {pid} W {pkg}: sync of {pkg} failed, ") and red.endswith(f" (pid {pid})")
    assert any(p in red for p in PLACEHOLDERS)
