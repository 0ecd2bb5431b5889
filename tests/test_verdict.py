"""`scan -p PKG` ends with a verdict (issue 14): every maker of the knowledge base, the stock Android reasons,
jobs held back by their bucket and network, an app the input never names, and an app with nothing wrong.

Makers are tested on real captures (tests/samples/), where the corpus has one of that maker's killers;
else on a simulated phone of that maker (sim/android/profile.py MAKER_POLICY), or, for makers the simulator
has no policy for, only as support names them (`--maker`) over a real OEM kill line of unknown make: that
line is real, its maker is not, and MAKERS below says so.
"""

from __future__ import annotations

import subprocess

import pytest
from bgprobe.cli.scan_verdict import ScanTap
from bgprobe.collectors.scan import ScanOutcome, scan_paths
from bgprobe.reports.knowledge import load_knowledge
from bgprobe.reports.scan_summary import ScanSummarizer
from bgprobe.reports.verdict import Verdict, parse_fingerprint, parse_maker, suggest, uid_number

from tests.helpers import EXAMPLE_BUGREPORT, TESTS, invoke, run_cli

KB = load_knowledge()
SAMPLES = TESTS / "samples"
OEM = SAMPLES / "corpus" / "android_oem"
APP = "com.example.syncapp"


def verdict_of(*paths, package: str | None, maker: str | None = None) -> Verdict:
    """In-process, exactly as `scan` makes it: every event through the tap, the summary for the app list."""
    names = [str(p) for p in paths]
    outcome = ScanOutcome()
    tap = ScanTap(package)
    summarizer = ScanSummarizer()
    for event in tap.wrap(scan_paths(names, outcome, package=None)):
        summarizer.add(event)
    verdict = tap.finish(names, outcome, summarizer.summary(), maker)
    assert verdict is not None
    return verdict


def user_steps(v: Verdict) -> list[str]:
    return [a.text for a in v.todo if a.who == "user"]


def developer_steps(v: Verdict) -> list[str]:
    return [a.text for a in v.todo if a.who == "developer"]


def assert_explained(v: Verdict, entry_id: str) -> None:
    """The entry explains a finding, and its steps (for the phone's skin version) are in "what to do"."""
    finding = next((f for f in v.findings if f.entry_id == entry_id), None)
    assert finding is not None, (entry_id, [(f.reason, f.entry_id) for f in v.findings])
    entry = KB.get(entry_id)
    assert finding.title == entry.title and finding.what == entry.what
    assert entry.steps_for(v.device.skin) and all(s in user_steps(v) for s in entry.steps_for(v.device.skin))
    assert entry.developer in developer_steps(v)
    assert finding.evidence and all(":" in w for w in finding.evidence)


# -- makers ------------------------------------------------------------------------------------------------
# One row per maker of the knowledge base (named by its entries' first maker): how its verdict is tested.
MAKERS = {
    "Xiaomi": "corpus: ProcessManager SwipeUpClean, OneKeyClean (also the example bugreport), MIUI 5 ExtraAMS; sim",
    "HUAWEI": "corpus: HwPFWService (a uid, no package: the app list); sim: HwPFWService then the force-stop, -p",
    "samsung": "corpus: MARs force-stop, Chimera, DHA",
    "OnePlus": "corpus: OHPD force-stop",
    "Meizu": "corpus: PermissionControl (a pid-only line before the app's own)",
    "HMD Global": "corpus: Nokia's system force-stop, with --maker Nokia (the capture does not name the maker)",
    "LENOVO": "corpus: PolicyCenter's kill, with --maker Lenovo (the capture does not name the maker)",
    # No capture of these makers' killers in the corpus and no simulator policy (MAKER_POLICY has Google,
    # Samsung, Xiaomi, Huawei, OnePlus): only the maker as support names it, over a real OEM line.
    "OPPO": "--maker only (the corpus's OPPO captures hold a refused start and a crash, no OEM kill)",
    "realme": "--maker only",
    "vivo": "--maker only (the corpus's vivo capture holds no kill)",
    "TECNO": "--maker only",
    "asus": "--maker only",
    "Sony": "--maker only (the corpus's Sony capture is a stock lmkd kill)",
}

# (capture, package, --maker, knowledge entry, who did it in the verdict's words)
CORPUS = [
    (OEM / "xiaomi_processmanager_swipeupclean_github-rnbgeo.txt", "com.rindventures.pidge", None,
     "xiaomi.swipeupclean", "Xiaomi's SwipeUpClean"),
    (OEM / "xiaomi_onekeyclean_msa_doclean_github-bggeo956.txt", "com.miui.msa.global", None,
     "xiaomi.onekeyclean", "Xiaomi's OneKeyClean"),
    (SAMPLES / "android_field" / "logcat_xiaomi_onekeyclean_geolocation.txt", "com.xiaomi.calendar", None,
     "xiaomi.onekeyclean", "Xiaomi's OneKeyClean"),
    (OEM / "xiaomi_miui5_extraams_no_longer_want_blog-sadgoblin.txt", "com.miui.networkassistant", None,
     "xiaomi.extra-ams", "Xiaomi's ExtraActivityManagerService (for more free memory)"),
    (OEM / "samsung_mars_force_stop_github-element.txt", "im.vector.app.debug", None,
     "samsung.mars", "Samsung's MARs"),
    (SAMPLES / "android_field" / "logcat_samsung_chimera_kill_dkma.txt", "org.yaxim.bruno", None,
     "samsung.chimera", "Samsung's Chimera"),
    (OEM / "samsung_dha_empty_has_died_github-thalitester.txt", "com.android.mms", None,
     "samsung.dha", "Samsung's DHA"),
    (OEM / "oneplus_ohpd_bgdetect_force_stop_github-adguard.txt", "com.adguard.android", None,
     "oneplus.ohpd", "OnePlus's OHPD"),
    (OEM / "meizu_permissioncontrol_force_kill_github-brevent.txt", "me.piebridge.brevent", None,
     "meizu.permissioncontrol", "Meizu's PermissionControl"),
    (OEM / "nokia_system_force_stop_github-dkma57.txt", "org.mozilla.fenix", "Nokia",
     "nokia.force-stop", "a force-stop"),
    (OEM / "lenovo_policycenter_force_stop_github-bvnc.txt", "com.iiordanov.freebVNC", "Lenovo",
     "lenovo.oem-kill", "Lenovo's background manager"),
]  # fmt: skip


def test_every_maker_of_the_knowledge_base_has_a_verdict_test():
    groups = {e.makers[0] for e in KB.entries if e.maker_specific}
    assert groups == set(MAKERS)
    tested = {next(e.makers[0] for e in KB.entries if e.id == case[3]) for case in CORPUS}
    corpus_makers = {m for m, how in MAKERS.items() if how.startswith("corpus")}
    assert corpus_makers - {"HUAWEI"} <= tested  # Huawei's capture names no package: its own tests below


@pytest.mark.parametrize("capture, package, maker, entry_id, by", CORPUS, ids=[c[3] for c in CORPUS])
def test_a_real_capture_gives_a_verdict_naming_the_makers_killer(capture, package, maker, entry_id, by):
    v = verdict_of(capture, package=package, maker=maker)
    assert not v.absent and v.package == package
    assert_explained(v, entry_id)
    finding = next(f for f in v.findings if f.entry_id == entry_id)
    assert finding.kind == "death" and finding.count == 1  # one death, however many lines told it
    assert finding.by.startswith(by), finding.by
    assert v.headline.startswith(package) and by in v.headline
    entry = KB.get(entry_id)
    if maker is None:  # no Build fingerprint, no --maker: the killer's name says whose it is
        assert v.device.how.startswith("inferred") and any(n.startswith("Maker inferred") for n in v.notes)
    assert v.device.maker is not None and entry.for_maker(v.device.maker)
    # one or two lines: the verdict says its evidence is thin
    assert any(n.startswith("Thin evidence") for n in v.notes)


@pytest.mark.parametrize(
    "capture, package, maker, by, step",
    [
        (OEM / "xiaomi_processmanager_swipeupclean_github-rnbgeo.txt", "com.rindventures.pidge", None,
         "Xiaomi's SwipeUpClean", "lock it in Recents"),
        (OEM / "samsung_mars_force_stop_github-element.txt", "im.vector.app.debug", None,
         "Samsung's MARs #N", "Settings › Battery"),
        (OEM / "oneplus_ohpd_bgdetect_force_stop_github-adguard.txt", "com.adguard.android", None,
         "OnePlus's OHPD", "Battery optimization"),
        (OEM / "nokia_system_force_stop_github-dkma57.txt", "org.mozilla.fenix", "Nokia",
         "a force-stop", "Show system"),
    ],
    ids=["xiaomi", "samsung", "oneplus", "nokia"],
)  # fmt: skip
def test_the_cli_prints_the_verdict_at_the_end(capture, package, maker, by, step):
    args = ["scan", str(capture), "-p", package] + (["--maker", maker] if maker else [])
    proc = invoke(*args)
    assert proc.returncode == 0, proc.stderr
    verdict = proc.stdout[proc.stdout.index(f"Verdict for {package}") :]
    assert f"by {by}" in verdict and step in verdict
    assert "What to do, most important first" in verdict and "evidence: " in verdict
    assert f"{capture.name}:" in verdict  # the evidence is file:line


def test_huawei_hwpfw_names_a_uid_only_and_is_the_most_affected_app():
    # HwPFWService logs the uid it force-stops, no package: the app list names the uid and the killer.
    v = verdict_of(SAMPLES / "android" / "logcat_huawei_hwpfw_wakelock_kill.txt", package=None)
    assert v.device.maker == "HUAWEI" and v.device.how.startswith("inferred")
    top = v.affected[0]
    assert top.package == "uid 10185" and top.deaths == 1
    assert top.by == "Huawei's HwPFWService (wakelock over 60min)"
    assert top.title == KB.get("huawei.hwpfw-wakelock").title


def test_a_maker_named_by_support_picks_that_makers_entry_over_a_real_oem_line():
    # A real pre-Android 8 OEM kill of unknown make (`... (adj 15): BG, 21808K, hotnessAdj=5`).
    capture = SAMPLES / "android" / "logcat_oem_kill_reason_adguard_old.txt"
    unknown = verdict_of(capture, package="com.adguard.android")
    assert_explained(unknown, "android.oem-kill")
    assert unknown.device.maker is None and any("maker is unknown" in n for n in unknown.notes)
    assert "the phone maker's BG" in unknown.headline
    for maker, skin, entry_id in [
        ("OPPO", "ColorOS 13", "oppo.oem-kill"),
        ("realme", "realme UI 4", "realme.oem-kill"),
        ("vivo", "Funtouch OS 9", "vivo.oem-kill"),
        ("TECNO", "HiOS 13", "transsion.oem-kill"),
        ("asus", "ZenUI 8", "asus.oem-kill"),
        ("Sony", "Xperia", "sony.oem-kill"),
    ]:
        v = verdict_of(capture, package="com.adguard.android", maker=f"{maker} {skin}")
        assert v.device.maker == maker and v.device.skin == skin and v.device.how == "given with --maker"
        assert_explained(v, entry_id)
        assert not any("maker is unknown" in n for n in v.notes)


# -- the example bugreport: a fingerprint, stock and maker kills, jobs held back by bucket and network ----
def test_the_example_bugreport_verdict_reads_the_fingerprint_and_explains_kills_and_jobs():
    v = verdict_of(EXAMPLE_BUGREPORT, package=APP)
    assert (v.device.maker, v.device.skin, v.device.os_version, v.device.model) == (
        "Xiaomi",
        "MIUI 14.0.6",
        "13",
        "venus",
    )
    assert v.device.how == "the bugreport's Build fingerprint"
    assert_explained(v, "xiaomi.onekeyclean")
    assert_explained(v, "android.lmkd")
    # MIUI 14: its own steps, not every variant labelled with its skins
    assert any(s.startswith("Also set Settings › Apps › Manage apps") for s in user_steps(v))
    deaths = [f for f in v.findings if f.kind == "death"]
    assert sum(f.count for f in deaths) == 2  # five lines for one kill, three for the other: two deaths
    assert v.findings[0].reason == "oem:OneKeyClean"  # the maker's killer leads a tie
    assert {f.kind for f in v.findings} >= {"death", "anr", "job_timeout", "work"}
    jobs = {j.job: j for j in v.jobs}
    assert {b.name for b in jobs["1042"].blockers} == {"CONNECTIVITY", "WITHIN_QUOTA", "RARE"}
    assert {b.name for b in jobs["7"].blockers} == {"CHARGING", "RARE"}
    assert all(j.waiting for j in jobs.values()) and jobs["1042"].failures == 2
    rare = next(b for b in jobs["1042"].blockers if b.name == "RARE")
    assert rare.entry_id == "android.standby.rare" and "daily window" in rare.title
    assert KB.get("android.standby.rare").steps_for("MIUI 14.0.6")[0] in user_steps(v)
    assert KB.get("job.connectivity").developer in developer_steps(v)
    assert v.headline == (
        "com.example.syncapp was killed twice in 4 minutes (2024-10-30 13:29:40 → 13:33:45): once by Xiaomi's "
        "OneKeyClean, once by the low-memory killer (lmkd); 2 of its jobs are not running (held back by no suitable "
        "network, its standby-bucket quota used up, the Rare standby bucket, not charging); also 1 ANR, "
        "1 job time-out, 1 WorkManager RETRY."
    )
    evidence = {w.rsplit(":", 1)[1] for f in deaths for w in f.evidence}
    # the lines that named each death's reason: the exit records (their OneKeyClean kill is REASON_OTHER with no
    # subreason and the kill's text as description, read as ActivityManager's "Killing ...: OneKeyClean" on line 22)
    assert evidence == {"115", "98"}


def test_the_example_bugreport_through_the_cli():
    proc = invoke("scan", str(EXAMPLE_BUGREPORT), "-p", APP)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.index("Kills and deaths") < out.index(f"Verdict for {APP}")  # the tables, then the verdict
    assert "Phone: Xiaomi venus, Android 13, MIUI 14.0.6 (maker: the bugreport's Build fingerprint)" in out
    assert "oem: reasons are not AOSP's: Xiaomi's own background killer acted." in out
    assert "RARE: The app is in the Rare standby bucket (rarely used): its jobs run only in a short daily window" in out
    assert "The phone ran low on memory and its low-memory killer closed the app" in out  # low_memory explained
    assert "On the phone:" in out and "In the app (for its developer):" in out


def test_without_a_package_the_most_affected_apps():
    v = verdict_of(EXAMPLE_BUGREPORT, package=None)
    assert [a.package for a in v.affected][:1] == [APP]
    top = v.affected[0]
    assert (top.deaths, top.main_reason, top.anrs, top.job_timeouts) == (2, "oem:OneKeyClean", 1, 1)
    assert top.by == "Xiaomi's OneKeyClean"
    assert v.headline.startswith("4 apps died in these inputs; the most affected: com.example.syncapp (2 deaths")
    proc = invoke("scan", str(EXAMPLE_BUGREPORT))
    assert "Verdict: the most affected apps" in proc.stdout and "Most affected apps" in proc.stdout


# -- stock Android reasons -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "capture, package, entry_id, by",
    [
        (SAMPLES / "android_field" / "logcat_lmkd81_killing_sony.txt", "com.android.documentsui",
         "android.lmkd", "the low-memory killer (lmkd)"),
        (SAMPLES / "android" / "logcat_am_killing_empty_android12_termux.txt", "com.google.android.apps.docs",
         "android.too-many-empty", "Android's limit on idle processes"),
        (SAMPLES / "android" / "logcat_am_killing_empty_android12_termux.txt", "com.google.android.gm",
         "android.trim-empty", "Android's limit on idle processes"),
        (SAMPLES / "android_field" / "logcat_samsung_force_stop_from_pid_flutter.txt", "com.myApp.myApp",
         "android.force-stop", "a force-stop"),
    ],
    ids=["low_memory", "too_many_empty", "trim_empty", "force_stop"],
)  # fmt: skip
def test_stock_android_kills_are_explained(capture, package, entry_id, by):
    v = verdict_of(capture, package=package)
    assert_explained(v, entry_id)
    assert next(f for f in v.findings if f.entry_id == entry_id).by == by
    assert v.device.maker is None  # nothing names the maker: generic entries, and the verdict says so
    assert any("maker is unknown" in n for n in v.notes)


def test_the_freezer_is_explained_and_its_two_lines_are_one_freeze():
    capture = SAMPLES / "corpus" / "android_aosp" / "freezer_am_freeze_then_anr_usec_comments_linjw.txt"
    v = verdict_of(capture, package="me.linjw.demo.anr")
    assert_explained(v, "android.freezer")
    assert_explained(v, "android.anr")
    frozen = next(f for f in v.findings if f.kind == "state")
    assert frozen.count == 1 and set(frozen.components) == {"am_freeze", "freezer"}
    assert v.findings[0].kind == "anr"  # a kill-severity finding before the informational freeze
    assert "it had 1 ANR, 1 freeze" in v.headline


# -- absent, and nothing wrong ----------------------------------------------------------------------------
def test_a_package_the_input_never_names_is_absent_with_close_names():
    v = verdict_of(EXAMPLE_BUGREPORT, package="com.example.synkapp")
    assert v.absent and not v.findings and not v.jobs
    assert v.suggestions[0] == APP
    assert v.headline.startswith("com.example.synkapp does not appear in these inputs")
    proc = invoke("scan", str(EXAMPLE_BUGREPORT), "-p", "com.typo.app")
    assert proc.returncode == 0  # not a gate: --fail-on is; but never said as an all-clear
    assert "com.typo.app does not appear in these inputs" in proc.stdout
    assert "No kills" not in proc.stdout and "not an all-clear" in proc.stdout
    proc = invoke("scan", str(EXAMPLE_BUGREPORT), "-p", "com.example.synkapp", "--json")
    assert proc.returncode == 0 and proc.stdout == ""
    assert "bgprobe: note: com.example.synkapp does not appear in these inputs" in proc.stderr
    assert APP in proc.stderr  # the close name


def test_suggestions_rank_close_names_and_flavours():
    names = {"com.example.syncapp", "com.example.syncapp:remote", "com.example.notes", "org.other.thing"}
    assert suggest("com.example.syncap", names)[0] == "com.example.syncapp"
    assert "com.example.syncapp.debug" in suggest("com.example.syncapp", {"com.example.syncapp.debug", "com.a.b"})
    assert suggest("com.nothing.alike", {"org.other.thing"}) == []


def test_an_app_with_nothing_wrong_is_said_so_with_what_was_looked_at():
    v = verdict_of(EXAMPLE_BUGREPORT, package="com.example.notes")
    assert not v.absent and not v.findings and not v.todo
    assert [j.job for j in v.jobs] == ["3"] and not v.jobs[0].waiting
    assert v.headline.startswith(
        "No kills, deaths, ANRs, job time-outs, failed work or waiting jobs of com.example.notes"
    )
    assert "1 event of com.example.notes in 2 inputs" in v.headline  # what was looked at
    assert any(n.startswith("Nothing wrong was found in what was looked at") for n in v.notes)


# -- the phone ------------------------------------------------------------------------------------------
def test_the_fingerprint_gives_maker_device_release_and_skin():
    fp = "Build fingerprint: 'Xiaomi/venus_eea/venus:13/TKQ1.221114.001/V14.0.6.0.TKBEUXM:user/release-keys'"
    assert parse_fingerprint(fp) == parse_fingerprint(fp + "\n")
    hint = parse_fingerprint(fp)
    assert (hint.maker, hint.model, hint.os_version, hint.skin) == ("Xiaomi", "venus", "13", "MIUI 14.0.6")
    hyper = parse_fingerprint(
        "Build fingerprint: 'Redmi/sky/sky:14/UKQ1.231003.002/OS1.0.5.0.UMWMIXM:user/release-keys'"
    )
    assert hyper.skin == "HyperOS 1.0"
    samsung = parse_fingerprint(
        "Build fingerprint: 'samsung/dm1qxxx/dm1q:14/UP1A.231005.007/S911BXXU3BWK5:user/release-keys'"
    )
    assert samsung.skin == "One UI 6"
    pixel = parse_fingerprint(
        "Build fingerprint: 'google/shiba/shiba:14/AP1A.240305.019.A1/11445699:user/release-keys'"
    )
    assert (pixel.maker, pixel.skin) == ("google", None)
    assert parse_fingerprint("no fingerprint here") is None


def test_maker_as_support_types_it():
    assert (parse_maker("Xiaomi MIUI 14").maker, parse_maker("Xiaomi MIUI 14").skin) == ("Xiaomi", "MIUI 14")
    assert (parse_maker("xiaomi").maker, parse_maker("xiaomi").skin) == ("xiaomi", None)
    assert parse_maker("HMD Global").maker == "HMD Global"
    assert parse_maker("samsung One UI 6.1").skin == "One UI 6.1"
    assert (parse_maker("Motorola My UX").maker, parse_maker("Motorola My UX").skin) == ("Motorola", "My UX")


def test_uids_as_logged():
    assert [uid_number(u) for u in ("u0a245", "10245", "u10a3", None, "system")] == [10245, 10245, 1010003, None, None]


# -- simulated phones: the makers the simulator has a policy for ------------------------------------------------
@pytest.fixture(scope="module")
def sim_fleet():
    from bgprobe.sim.android.profile import default_profiles
    from bgprobe.sim.fleet import SimFleet

    # Google (stock: lmkd), Samsung, Xiaomi, Huawei, OnePlus: DEFAULT_FLEET's first, second, third, fourth, sixth
    profiles = [p for i, p in enumerate(default_profiles(6)) if i != 4]
    fleet = SimFleet(android=profiles, ios=0, speed=60.0, seed=5)
    fleet.start()
    yield fleet
    fleet.stop()


async def _on_phone(fn):  # the simulator's state lives on its loop thread
    fn()


SIM = {
    # maker: (what its policy logs, the entry, who did it)
    "Xiaomi": ("oem", "xiaomi.onekeyclean", "Xiaomi's OneKeyClean"),
    "Huawei": ("oem", "huawei.hwpfw-wakelock", "Huawei's HwPFWService (wakelock over 60min)"),
    # Samsung's and OnePlus's simulated optimizers force-stop through the public API, from system_server:
    # no line names MARs or OHPD, and the verdict does not invent them (their captures above do).
    "Samsung": ("oem", "android.force-stop", "a force-stop"),
    "OnePlus": ("oem", "android.force-stop", "a force-stop"),
    "Google": ("lmkd", "android.lmkd", "the low-memory killer (lmkd)"),
}


@pytest.mark.sim
@pytest.mark.parametrize("maker", list(SIM))
def test_a_simulated_phone_of_each_policy_gives_its_verdict(sim_fleet, tmp_path, maker):
    from bgprobe.sim.fleet import adb_env

    serial, device = next((s, d) for s, d in sim_fleet.devices.items() if d.profile.manufacturer == maker)
    how, entry_id, by = SIM[maker]
    spec = device.jobs[(APP, 7)]

    def kill() -> None:
        # The phone's own killer strikes background runs while the screen is off (issue 15): with the
        # screen on and the log cleared, the log holds this one death only, as a capture of it would.
        device.state.screen_on = True
        device.logs.clear(("main", "system", "events", "crash"))
        device.start_job(spec, forced=True)
        device.oem_kill(APP) if how == "oem" else device.lmkd_kill(APP)

    def screen_off() -> None:
        device.state.screen_on = False

    sim_fleet.loop.call(_on_phone(kill))
    try:
        logcat = subprocess.run(
            [sim_fleet.adb_path, "-P", str(sim_fleet.adb_port), "-s", serial, "logcat", "-d", "-b", "all"],
            capture_output=True,
            env=adb_env(sim_fleet.adb_port, sim_fleet.adb_path),
            timeout=30,
            check=True,
        ).stdout
    finally:
        sim_fleet.loop.call(_on_phone(screen_off))
    (tmp_path / "logcat.txt").write_bytes(logcat)
    v = verdict_of(tmp_path / "logcat.txt", package=APP)
    assert_explained(v, entry_id)
    death = next(f for f in v.findings if f.entry_id == entry_id)
    assert death.by == by and death.count == 1
    if maker in ("Xiaomi", "Huawei"):  # no fingerprint in a logcat dump: the killer's name says the maker
        assert v.device.how.startswith("inferred") and v.device.maker.casefold() == maker.casefold()
    if maker == "Huawei":  # HwPFWService named the uid only: joined to the force-stop of the same death
        assert set(death.components) >= {"HwPFWService", "ActivityManager"}
    proc = run_cli("scan", str(tmp_path / "logcat.txt"), "-p", APP)
    assert proc.returncode == 0 and f"by {by}" in proc.stdout


def test_the_verdict_fits_an_80_column_terminal():
    import os

    from tests.test_terminal_80 import check_screen, in_terminal

    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")} | {
        "TERM": "xterm-256color"
    }
    code, lines = in_terminal(["scan", str(EXAMPLE_BUGREPORT), "-p", APP], env)
    assert code == 0
    check_screen(lines, [f"Verdict for {APP}", "1. Killed once by Xiaomi's OneKeyClean, at 2024-10-30 13:29:40"])
    # evidence is broken only after a path separator: the member's name and its line number stay whole
    assert "   bugreport-venus-TKQ1.221114.001-2024-10-30-13-35-12.txt:115" in [line.rstrip() for line in lines]
    code, lines = in_terminal(["scan", str(EXAMPLE_BUGREPORT), "-p", "com.typo.app"], env)
    check_screen(lines, ["com.typo.app does not appear in these inputs", "com.example.syncapp"])


@pytest.mark.parametrize("package", [None, "Hobrink.WayAndSee"])
def test_an_ios_reports_os_version_is_ios_s(package: str | None):
    # A crash report's "OS Version: iPhone OS 10.2.1 (14D27)": the phone runs iOS 10.2.1, not Android 10.2.1.
    path = SAMPLES / "corpus" / "ios" / "crash_report_collapsed_blanks_springboard_8badf00d_wayandsee_ios10.txt"
    v = verdict_of(path, package=package)
    assert v.device.describe() == "iOS 10.2.1"
