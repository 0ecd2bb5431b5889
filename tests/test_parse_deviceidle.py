"""`dumpsys deviceidle` parser: real Settings-only sample + a constructed full dump."""

from __future__ import annotations

from pathlib import Path

from bgprobe.collectors.parsers.deviceidle import parse_deviceidle
from bgprobe.reports.events import Event
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import examples

SAMPLES = Path(__file__).parent / "samples" / "android"
DOZE_TWEAK = "dumpsys_deviceidle_settings_doze-tweak.txt"


def numbered(name: str) -> list[tuple[int, str]]:
    return list(enumerate((SAMPLES / name).read_text(encoding="utf-8").splitlines(), start=1))


def chunks_by_comment(name: str) -> list[list[tuple[int, str]]]:
    """The doze-tweak file holds two devices' excerpts, each after its own `# source` comment line.
    Split there so each dump is parsed alone (line numbers stay those of the file)."""
    chunks: list[list[tuple[int, str]]] = []
    for lineno, text in numbered(name):
        if text.startswith("#"):
            chunks.append([])
        elif chunks:
            chunks[-1].append((lineno, text))
    return chunks


def lines_of(text: str) -> list[tuple[int, str]]:
    return list(enumerate(text.splitlines(), start=1))


def test_settings_only_excerpts():
    first, second = chunks_by_comment(DOZE_TWEAK)
    (ev,) = parse_deviceidle(first, DOZE_TWEAK, ts="2022-01-08T00:00:00")
    assert ev.kind == "state_changed"
    assert ev.source == "dumpsys:deviceidle"
    assert ev.where == f"{DOZE_TWEAK}:2"
    assert ev.ts == "2022-01-08T00:00:00"
    assert ev.reason == "doze:unknown"
    s = ev.data["settings"]
    assert len(s) == 21
    assert s["light_after_inactive_to"] == "+3m0s0ms"
    assert s["light_idle_factor"] == "2.0"
    assert s["location_accuracy"] == "20.0m"
    assert s["idle_to"] == "+1h0m0s0ms"
    assert s["max_idle_to"] == "+6h0m0s0ms"
    assert ev.data["settings_s"]["inactive_to"] == 1800.0
    assert "light_idle_factor" not in ev.data["settings_s"]
    assert ev.data["deep_state"] is None and ev.data["light_state"] is None
    assert ev.data["whitelists"] == {}

    (ev2,) = parse_deviceidle(second, DOZE_TWEAK)
    assert ev2.where == f"{DOZE_TWEAK}:26"
    assert len(ev2.data["settings"]) == 26
    assert ev2.data["settings"]["quick_doze_delay_to"] == "+1m0s0ms"
    assert ev2.data["settings"]["sms_temp_app_whitelist_duration"] == "+20s0ms"


def test_whole_sample_file_gives_one_event():
    (ev,) = parse_deviceidle(numbered(DOZE_TWEAK), DOZE_TWEAK)
    assert ev.reason == "doze:unknown"
    assert len(ev.data["settings"]) == 26  # both blocks merged; later values win


# CONSTRUCTED from the AOSP format (DeviceIdleController.dump; docs/android-commands.md).
# Not a captured dump.
FULL = """\
  Settings:
    light_after_inactive_to=+3m0s0ms
    inactive_to=+30m0s0ms
  Idling history:
     normal: -2h1m0s0ms
  deep-idle: -1h0m0s0ms
  Whitelist (except idle) system apps:
    com.android.providers.downloads
  Whitelist system apps:
    com.android.shell
    com.google.android.gms
  Whitelist user apps:
    com.example.keepalive
  Whitelist (except idle) all app ids:
    1000
    10012
  mLightEnabled=true  mDeepEnabled=false
  mForceIdle=true
  mScreenOn=false
  mScreenLocked=true
  mNetworkConnected=true
  mCharging=false
  mState=IDLE mLightState=OVERRIDE
  mNextAlarmTime=+52m0s0ms
"""


def test_full_dump():
    (ev,) = parse_deviceidle(lines_of(FULL), "fx")
    assert ev.reason == "doze:idle"
    assert ev.where == "fx:23"
    d = ev.data
    assert (d["deep_state"], d["light_state"]) == ("IDLE", "OVERRIDE")
    assert (d["light_enabled"], d["deep_enabled"]) == (True, False)
    assert d["force_idle"] is True
    assert d["screen_on"] is False
    assert d["screen_locked"] is True
    assert d["charging"] is False
    assert d["network_connected"] is True
    assert d["settings"] == {"light_after_inactive_to": "+3m0s0ms", "inactive_to": "+30m0s0ms"}
    assert d["whitelists"] == {
        "except_idle_system_apps": ["com.android.providers.downloads"],
        "system_apps": ["com.android.shell", "com.google.android.gms"],
        "user_apps": ["com.example.keepalive"],
        "except_idle_all_app_ids": ["1000", "10012"],
    }
    assert ev.detail == "Doze: deep IDLE, light OVERRIDE (forced idle)"


def test_android6_state_without_light():
    (ev,) = parse_deviceidle(lines_of("  mEnabled=true\n  mState=ACTIVE\n"), "m")
    assert ev.reason == "doze:active"
    assert ev.data["deep_enabled"] is True
    assert ev.data["light_state"] is None


def test_nothing_recognisable():
    assert parse_deviceidle(lines_of("hello\nworld=1\n\n"), "x") == []
    assert parse_deviceidle([], "x") == []


_FRAGMENTS = [line for _, line in lines_of(FULL)] + ["Settings:", "  mState=", "Whitelist :", "    a=b"]


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.one_of(st.text(max_size=80), st.sampled_from(_FRAGMENTS)), max_size=40))
def test_arbitrary_lines_never_raise(texts):
    events = parse_deviceidle(list(enumerate(texts, start=1)), "h")
    assert len(events) <= 1
    assert all(isinstance(e, Event) for e in events)
