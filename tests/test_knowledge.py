"""The knowledge base (issue 14, reports/knowledge.toml + reports/knowledge.py): every entry valid, every
maker and topic the issue lists covered, every reason bgprobe can write explained, and the look-ups pick
the most specific entry (the maker's before the generic one, an exact reason before a prefix)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from bgprobe.collectors.parsers import exitinfo, kill_reasons
from bgprobe.collectors.parsers.jobscheduler import CONSTRAINT_WORDS
from bgprobe.collectors.parsers.jobscheduler import SOURCE as JOBS_SOURCE
from bgprobe.reports.events import Event
from bgprobe.reports.knowledge import Entry, KnowledgeError, load_knowledge

from tests.helpers import REPO, TESTS, scan

SAMPLES = TESTS / "samples"
KB = load_knowledge()

# The makers issue 14 names, as phones report them (ro.product.manufacturer / brand), with their skins.
ISSUE_MAKERS: dict[str, tuple[str, ...]] = {
    "Xiaomi": ("MIUI", "HyperOS"),
    "Redmi": ("MIUI", "HyperOS"),
    "POCO": ("MIUI", "HyperOS"),
    "HUAWEI": ("EMUI",),
    "HONOR": ("MagicOS",),
    "samsung": ("One UI",),
    "OnePlus": ("OxygenOS",),
    "OPPO": ("ColorOS",),
    "realme": ("realme UI",),
    "vivo": ("Funtouch OS", "OriginOS"),
    "TECNO": ("HiOS",),
    "Infinix": ("XOS",),
    "itel": ("itel OS",),
    "Meizu": ("Flyme",),
    "asus": ("ZenUI",),
    "Sony": ("Xperia",),
}

# A capture's maker, from its file name (corpus captures are named <maker>_<what>_<source>.txt).
FILE_MAKERS = {
    "xiaomi": "Xiaomi",
    "huawei": "HUAWEI",
    "honor": "HONOR",
    "samsung": "samsung",
    "oneplus": "OnePlus",
    "oppo": "OPPO",
    "meizu": "Meizu",
    "lenovo": "LENOVO",
    "nokia": "HMD Global",
    "vivo": "vivo",
}

# The maker-specific kills the real captures hold, and the entry each must get.
EXPECTED_MAKER_ENTRIES = {
    ("Xiaomi", "oem:OneKeyClean"): "xiaomi.onekeyclean",
    ("Xiaomi", "oem:LockScreenClean"): "xiaomi.lockscreenclean",
    ("Xiaomi", "oem:SwipeUpClean"): "xiaomi.swipeupclean",
    ("Xiaomi", "oem:for more free memory"): "xiaomi.extra-ams",
    ("HUAWEI", "oem:huawei_wakelock_over_60min"): "huawei.hwpfw-wakelock",
    ("samsung", "oem:samsung_chimera"): "samsung.chimera",
    ("samsung", "oem:MARs #N"): "samsung.mars",
    ("samsung", "oem:DHA:empty #N"): "samsung.dha",
    ("OnePlus", "oem:OHPD"): "oneplus.ohpd",
    ("Meizu", "oem:PermissionControl"): "meizu.permissioncontrol",
    ("LENOVO", "oem:com.iiordanov.freebVNC"): "lenovo.oem-kill",
}


def _event(
    reason: str | None,
    *,
    kind: str = "process_killed",
    source: str = "logcat:ActivityManager",
    platform: str = "android",
) -> Event:
    return Event(kind=kind, source=source, where="test", platform=platform, reason=reason)


def _maker_of(path: Path) -> str | None:
    name = path.name.lower()
    for token, maker in FILE_MAKERS.items():
        if name.startswith(token + "_") or f"_{token}_" in name:
            return maker
    return None


def _captures() -> list[Path]:
    return sorted(p for p in SAMPLES.glob("**/*.txt") if p.is_file())


@pytest.fixture(scope="module")
def scanned() -> list[tuple[Path, list[Event]]]:
    return [(path, scan(path)[0]) for path in _captures()]


# -- the data file -------------------------------------------------------------------------------


def test_every_entry_is_valid():
    assert len(KB) >= 100
    ids = [e.id for e in KB.entries]
    assert len(ids) == len(set(ids))
    for e in KB.entries:
        assert isinstance(e, Entry)
        assert e.platform in ("android", "ios"), e.id
        for field in ("title", "what", "since", "developer"):
            assert getattr(e, field).strip(), (e.id, field)
        assert "\n" not in e.title and len(e.title) <= 140, e.id
        assert 40 <= len(e.what) <= 900, e.id
        assert e.sources and all(s.startswith("https://") for s in e.sources), e.id
        assert e.match.reasons or e.match.sources or e.match.kinds or e.match.blockers, e.id
        if e.maker_specific:
            assert e.makers and e.skins and e.user_steps, e.id
        for step in e.user_steps:
            assert step.skins and step.steps, e.id
        assert e.severity in (None, "kill", "restrict", "defer", "info"), e.id
        assert "../" + "shared" not in repr(e)


def test_the_data_file_is_plain_toml_with_only_entries():
    data = tomllib.loads((REPO / "reports" / "knowledge.toml").read_text(encoding="utf-8"))
    assert set(data) == {"entry"}


def test_loaded_once():
    assert load_knowledge() is load_knowledge()


GOOD = """
[[entry]]
id = "x.ok"
platform = "android"
match = { reasons = ["a"] }
title = "t"
what = "w"
since = "s"
developer = "d"
sources = ["https://example.org/a"]
"""


@pytest.mark.parametrize(
    ("replace", "by", "problem"),
    [
        ('title = "t"\n', "", "`title` is required"),
        ('sources = ["https://example.org/a"]', 'sources = ["http://example.org/a"]', "https:// URL"),
        ('sources = ["https://example.org/a"]', "sources = []", "at least one URL"),
        ('match = { reasons = ["a"] }', "match = { }", "`match` is empty"),
        ('match = { reasons = ["a"] }', 'match = { reasons = ["a"], kinds = ["killed"] }', "unknown event kind"),
        ('match = { reasons = ["a"] }', 'match = { reason = ["a"] }', "unknown `match` key"),
        ('platform = "android"', 'platform = "symbian"', "`platform`"),
        ('since = "s"', 'since = "s"\nsevrity = "kill"', "unknown field"),
        ('since = "s"', 'since = "s"\nmakers = ["Xiaomi"]\nskins = ["MIUI"]', "needs `user_steps`"),
        ('since = "s"', 'since = "s"\nmakers = ["Xiaomi"]', "needs `skins`"),
        ('match = { reasons = ["a"] }', 'match = { reasons = ["a*b"] }', "only at the end"),
    ],
)
def test_a_broken_data_file_is_a_clear_error_naming_the_entry(tmp_path, replace, by, problem):
    assert replace in GOOD
    path = tmp_path / "kb.toml"
    path.write_text(GOOD.replace(replace, by), encoding="utf-8")
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(path)
    assert "entry 1 (x.ok)" in str(err.value) and problem in str(err.value)


def test_duplicate_ids_and_bad_toml_are_errors(tmp_path):
    path = tmp_path / "kb.toml"
    path.write_text(GOOD + GOOD, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"entry 2 \(x.ok\): id already used by entry 1"):
        load_knowledge(path)
    path.write_text("[[entry]\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="not valid TOML"):
        load_knowledge(path)
    with pytest.raises(KnowledgeError, match="cannot read"):
        load_knowledge(tmp_path / "absent.toml")


def test_package_data_ships_the_toml():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["setuptools"]["package-data"]["bgprobe.reports"] == ["*.toml"]


def test_imported_by_the_scan_path_without_pandas_or_rich():
    code = (
        "import sys, bgprobe.reports.knowledge as k; k.load_knowledge(); "
        "bad = [m for m in ('pandas', 'rich', 'pyarrow') if m in sys.modules]; print(bad); sys.exit(bool(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- coverage: makers and topics of the issue ----------------------------------------------------


def test_every_maker_of_the_issue_has_entries_with_its_skins():
    for maker, skins in ISSUE_MAKERS.items():
        own = [e for e in KB.entries if e.maker_specific and e.for_maker(maker)]
        assert own, maker
        have = {s.casefold() for e in own for s in e.skins}
        for skin in skins:
            assert skin.casefold() in have, (maker, skin)
        # an unknown killer of that maker still gets the maker's entry
        entry = KB.for_event(_event("oem:SomethingNew"), maker)
        assert entry is not None and entry.for_maker(maker) and entry.maker_specific, maker


def test_makers_match_case_insensitively_and_generic_entries_apply_to_everyone():
    assert KB.for_event(_event("oem:OneKeyClean"), "XIAOMI").id == "xiaomi.onekeyclean"
    assert KB.for_event(_event("oem:OneKeyClean"), "redmi").id == "xiaomi.onekeyclean"
    assert KB.for_event(_event("oem:OneKeyClean"), None).id == "android.oem-kill"
    assert KB.for_event(_event("oem:OneKeyClean"), "Google").id == "android.oem-kill"
    assert KB.for_event(_event("too_many_empty"), "Xiaomi").id == "android.too-many-empty"


STOCK_TOPICS = {
    # topic: how a verdict reaches it
    "doze": ("blocker", "DEVICE_NOT_DOZING"),
    "standby active": ("blocker", "ACTIVE"),
    "standby working set": ("blocker", "WORKING_SET"),
    "standby frequent": ("blocker", "FREQUENT"),
    "standby rare": ("blocker", "RARE"),
    "restricted bucket": ("blocker", "RESTRICTED"),
    "standby never": ("blocker", "NEVER"),
    "background restriction": ("blocker", "BACKGROUND_NOT_RESTRICTED"),
    "battery saver": ("blocker", "BATTERY_SAVER"),
    "background start limits": ("blocker", "BACKGROUND_SERVICE_START"),
    "foreground service start limits": ("blocker", "FGS_BACKGROUND_START"),
    "foreground service types": ("blocker", "FGS_TYPE"),
    "exact alarms": ("blocker", "EXACT_ALARM"),
    "force stop": ("reason", "force_stop"),
    "lmkd": ("reason", "low_memory"),
    "freezer": ("reason", "freezer_binder"),
}


@pytest.mark.parametrize("topic", sorted(STOCK_TOPICS))
def test_every_stock_android_topic_of_the_issue_has_an_entry(topic):
    how, name = STOCK_TOPICS[topic]
    entry = KB.for_blocker(name, None) if how == "blocker" else KB.for_event(_event(name, source="lmkd"), None)
    assert entry is not None and entry.platform == "android" and not entry.maker_specific, topic
    frozen = KB.for_event(_event("frozen", kind="state_changed", source="logcat:freezer"), None)
    assert frozen is not None and frozen.id == "android.freezer"


# xnu's memorystatus kill causes (docs/formats.md section 7) and the other iOS reasons bgprobe writes.
JETSAM_CAUSES = (
    "jettisoned",
    "highwater",
    "vnode-limit",
    "vm-pageshortage",
    "proc-thrashing",
    "fc-thrashing",
    "per-process-limit",
    "disk-space-shortage",
    "idle-exit",
    "zone-map-exhaustion",
    "vm-compressor-thrashing",
    "vm-compressor-space-shortage",
    "unknown",
)


@pytest.mark.parametrize("cause", JETSAM_CAUSES)
def test_every_jetsam_cause_has_an_entry(cause):
    entry = KB.for_event(_event(f"jetsam:{cause}", source="ips", platform="ios"), None)
    assert entry is not None and entry.id.startswith("ios.jetsam."), cause
    assert KB.for_event(_event("jetsam:per-process-limit", platform="ios"), None).id == "ios.jetsam.per-process-limit"


def test_ios_watchdog_bgtask_low_power_and_background_refresh_have_entries():
    ios = {"platform": "ios", "kind": "process_killed", "source": "ips"}
    assert KB.for_event({**ios, "reason": "watchdog:scene-create"}).id == "ios.watchdog.launch"
    assert KB.for_event({**ios, "reason": "watchdog:scene-update"}).id == "ios.watchdog.scene-update"
    assert KB.for_event({**ios, "reason": "watchdog:monitoring-timed-out-for-service"}).id == "ios.watchdog.other"
    assert KB.for_event({**ios, "reason": "bgtask_expired"}).id == "ios.bgtask-expired"
    deferred = {"platform": "ios", "kind": "job_scheduled", "source": "syslog:dasd", "reason": "deferred"}
    assert KB.for_event(deferred).id == "ios.bgtask-budget"
    assert KB.for_blocker("BGTASK_BUDGET").id == "ios.bgtask-budget"
    assert KB.for_blocker("ThunderingHerdPolicy").id == "ios.bgtask-budget"
    assert KB.for_blocker("LOW_POWER_MODE").id == "ios.low-power-mode"
    assert KB.for_blocker("LowPowerModePolicy").id == "ios.low-power-mode"
    assert KB.for_blocker("BACKGROUND_APP_REFRESH_OFF").id == "ios.background-app-refresh-off"
    # the same reason on the other platform is not confused
    assert KB.for_event({**ios, "reason": "sigkill"}).id == "ios.sigkill"
    assert KB.for_event(_event("sigkill", source="logcat:Zygote")).id == "android.sigkill"


# -- coverage: every reason bgprobe writes ---------------------------------------------------------


def _aosp_kill_codes() -> set[str]:
    codes = {reason for _, reason in kill_reasons._AOSP_KILL_REASONS}
    codes |= {reason for _, reason in kill_reasons._FORCE_STOP_CAUSES}
    codes |= set(kill_reasons.LINUX_SIGNALS.values()) | {kill_reasons.signal_reason(99), "unknown"}
    for text in ("empty #3", "cached #5", "stop com.x due to from pid 1", "Trimming phantom processes", "bg anr"):
        codes.add(kill_reasons.normalize_am_kill_reason(text))
    return codes


def test_every_aosp_kill_reason_kill_reasons_normalizes_to_has_an_entry():
    codes = _aosp_kill_codes()
    assert {"too_many_empty", "trim_empty", "force_stop", "phantom_process", "freezer_binder"} <= codes
    for code in sorted(codes):
        entry = KB.for_event(_event(code), None)
        assert entry is not None, code
        assert entry.id != "android.oem-kill", code


def test_every_exit_info_reason_and_subreason_has_an_entry():
    for reason in exitinfo.REASONS:
        kind, code = exitinfo.classify(reason, None)
        entry = KB.for_event(_event(code, kind=kind, source="exit-info"), None)
        assert entry is not None, code
    for sub in exitinfo.SUBREASONS:
        kind, code = exitinfo.classify(13, sub)
        entry = KB.for_event(_event(code, kind=kind, source="exit-info"), None)
        assert entry is not None, code
    kind, code = exitinfo.classify(13, 1001)
    assert KB.for_event(_event(code, kind=kind, source="exit-info"), None).id == "android.oem-kill"


def test_lmkd_kills_have_entries_by_source():
    assert KB.for_event(_event("low_memory", source="lmkd"), None).id == "android.lmkd"
    assert KB.for_event(_event("low_memory", source="kernel:lowmemorykiller"), None).id == "android.lmkd-kernel"
    assert KB.for_event(_event("lmkd:low_mem"), None).id == "android.lmkd"


# Codes jobscheduler._why can give a job_scheduled event (see its docstring).
JOB_WHY_CODES = (
    "running",
    "ready",
    "dozing",
    "background_restricted",
    "restricted",
    "user_stopped",
    "component_disabled",
    "quota",
    "backoff",
    "waiting_timing_delay",
    "waiting_constraints",
    "standby_bucket_rare",
    "standby_bucket_restricted",
    "standby_bucket_never",
    "pending",
    "backing_up",
    "not_ready",
)
BUCKETS = ("ACTIVE", "WORKING_SET", "FREQUENT", "RARE", "RESTRICTED", "NEVER")


@pytest.mark.parametrize("name", sorted(CONSTRAINT_WORDS) + list(BUCKETS))
def test_every_constraint_and_bucket_the_jobscheduler_parser_writes_has_an_entry(name):
    entry = KB.for_blocker(name, None)
    assert entry is not None and entry.platform == "android", name
    assert KB.for_blocker(name.lower(), None) is entry


@pytest.mark.parametrize("code", JOB_WHY_CODES)
def test_every_reason_why_a_job_is_not_running_has_an_entry(code):
    entry = KB.for_event(_event(code, kind="job_scheduled", source=JOBS_SOURCE), None)
    assert entry is not None, code


def test_job_verdicts_pick_the_specific_entry():
    job = {"kind": "job_scheduled", "source": JOBS_SOURCE}
    assert KB.for_event({**job, "reason": "standby_bucket_rare"}).id == "android.standby.rare"
    assert KB.for_event({**job, "reason": "quota"}).id == "job.quota"
    assert KB.for_event({**job, "reason": "dozing"}).id == "android.doze"
    assert KB.for_blocker("CONNECTIVITY").id == "job.connectivity"
    assert KB.for_blocker("UNMETERED").id == "job.unmetered"
    assert KB.for_blocker("RARE").id == "android.standby.rare"


def test_every_reasoned_event_of_the_real_captures_has_an_entry(scanned):
    kinds = {"process_killed", "process_died", "crash", "anr", "job_timeout", "job_stopped", "work_result"}
    missing = []
    for path, events in scanned:
        maker = _maker_of(path)
        for e in events:
            if e.kind in kinds and e.reason and KB.for_event(e, maker) is None:
                missing.append((path.name, e.kind, e.source, e.reason))
    assert missing == []


def test_every_maker_specific_reason_of_the_real_captures_gets_that_makers_entry(scanned):
    found: dict[tuple[str, str], str] = {}
    for path, events in scanned:
        maker = _maker_of(path)
        for e in events:
            if not kill_reasons.is_oem_reason(e.reason):
                continue
            if maker is None:  # a capture that does not name its maker still gets the generic entry
                assert KB.for_event(e, None).id == "android.oem-kill", path.name
                continue
            entry = KB.for_event(e, maker)
            assert entry is not None and entry.maker_specific and entry.for_maker(maker), (path.name, e.reason)
            found[(maker, e.reason)] = entry.id
    for key, entry_id in EXPECTED_MAKER_ENTRIES.items():
        assert found.get(key) == entry_id, key


# -- look-up order and settings paths ----------------------------------------------------------------


def test_for_event_prefers_the_most_specific_entry():
    # exact reason over prefix, and a named source over none
    assert KB.for_event(_event("oem:AutoThermalKillAll1"), "Xiaomi").id == "xiaomi.autothermalkill"
    assert (
        KB.for_event(_event("anr_type_foreground_service_timeout", kind="anr"), None).id
        == "android.fgs-types-and-timeouts"
    )
    assert KB.for_event(_event("anr_type_input_dispatching_timeout", kind="anr"), None).id == "android.anr"
    assert KB.for_event(_event("sigsegv", kind="crash"), None).id == "android.signal"
    # an entry that needs a source does not match without it
    assert (
        KB.for_event(_event("oem:samsung_chimera", source="logcat:ActivityManager"), "samsung").id == "samsung.oem-kill"
    )
    assert KB.for_event(_event(None), None) is None
    assert KB.for_event(_event("no_such_reason_anywhere"), None) is None


def test_for_blocker_prefers_the_makers_entry():
    assert KB.for_blocker("STAMINA", "Sony").id == "sony.oem-kill"
    assert KB.for_blocker("STAMINA", "Google") is None
    assert KB.for_blocker("NO_SUCH_BLOCKER") is None


def test_steps_for_picks_the_skin_version():
    xiaomi = KB.get("xiaomi.oem-kill")
    assert xiaomi is not None
    miui14 = xiaomi.steps_for("MIUI 14.0.3")
    assert miui14[0].startswith("Lock the app in Recents")  # the steps for every skin come first
    assert any("Background autostart" in s for s in miui14) and len(miui14) == 2
    assert any("Manage apps" in s for s in xiaomi.steps_for("MIUI 12.5"))
    assert any("Security app" in s for s in xiaomi.steps_for("MIUI 10"))
    assert any("HyperOS" not in s and "Autostart on" in s for s in xiaomi.steps_for("HyperOS 1.0.5"))
    unknown = xiaomi.steps_for(None)
    assert len(unknown) == len(xiaomi.user_steps) and any(s.startswith("MIUI 14: ") for s in unknown)
    assert xiaomi.steps_for("MIUI 9") == unknown  # no variant for it: every variant, labelled
    samsung = KB.get("samsung.oem-kill")
    assert any("Unrestricted" in s for s in samsung.steps_for("One UI 6.1"))
    assert any("Device care" in s for s in samsung.steps_for("One UI 2"))
    huawei = KB.get("huawei.oem-kill")
    assert any("App launch" in s for s in huawei.steps_for("EMUI 10"))
    assert any("Protected apps" in s for s in huawei.steps_for("EMUI 5.1"))
    vivo = KB.get("vivo.oem-kill")
    assert any("i Manager" in s for s in vivo.steps_for("Funtouch OS 2.5"))
    assert any("More settings" in s for s in vivo.steps_for("Funtouch OS 9"))
    assert any("More settings" in s for s in vivo.steps_for("OriginOS 4"))
    assert any("Startup manager" in s for s in KB.get("oppo.oem-kill").steps_for("ColorOS 3.1"))
    assert any("Allow Auto Start-up" in s for s in KB.get("oppo.oem-kill").steps_for("ColorOS 13"))
    restricted = KB.get("android.background-restricted")
    assert restricted.steps_for("Android 10") == [restricted.user_steps[1].steps]


def test_every_skins_label_selects_its_own_steps():
    """Each `skins` label is one the matcher understands: its first clause, as a skin version, picks it."""
    for e in KB.entries:
        for step in e.user_steps:
            if step.skins.casefold() == "any":
                continue
            first = re.split(r"[,/;]", step.skins)[0].strip()
            version = re.sub(r"\s*(?:[–-]\s*[\d.]+|\+|and older|or older)$", "", first).replace("up to ", "")
            assert step.steps in e.steps_for(version), (e.id, step.skins, version)
