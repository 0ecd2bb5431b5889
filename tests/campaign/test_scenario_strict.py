"""Strict campaign scenarios (issue 10, points 5 and 6): every unknown key, wrong shape, wrong type,
out-of-range value, duplicate and unsafe name is a one-line ScenarioError with file:line (and "did
you mean" when a key is close); patterns are RE2, so none can hang a campaign; `run --check` sizes
the plan without a phone. Property tests: nothing but ScenarioError ever comes out of the parser."""

from __future__ import annotations

import json
import math
import re
import tempfile
import time
from pathlib import Path

import pytest
from bgprobe.collectors.campaign import scenario as scenario_module
from bgprobe.collectors.campaign.observe import _app_line
from bgprobe.collectors.campaign.runner import plan, results_path
from bgprobe.collectors.campaign.scenario import (
    MAX_TASK_RUNS,
    ScenarioError,
    load_scenario,
    parse_scenario,
    plan_summary,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import REPO, examples, invoke, run_cli

pytestmark = pytest.mark.fault

# Android and iOS tasks, every table and key of the format, each on its own line
VALID = """\
[campaign]
name = "strict"
repetitions = 2
attempt_timeout = "3s"
settle = "0.2s"
retry = { count = 1, backoff = "0.5s", policy = "exponential" }

[[app]]
package = "com.example.syncapp"

[[app]]
bundle = "com.example.newsreader"

[[task]]
name = "upload"
app = "com.example.syncapp"
job = 7
trigger = "forced"
started = 'job (?P<job>\\d+) started'
finished = 'job (?P<job>\\d+) finished \\(success\\)'

[[task]]
name = "sync"
app = "com.example.syncapp"
scheduler = "workmanager"
job = 1042
worker = "com.example.syncapp.SyncWorker"
trigger = "natural"
window = "10s"

[[task]]
name = "refresh"
app = "com.example.newsreader"
identifier = "com.example.newsreader.refresh"
trigger = "natural"
window = "3s"

[[condition]]
name = "baseline"

[[condition]]
name = "doze-deep"
set = { doze = "deep", level = 15 }

[[condition]]
name = "slow"
ios = { network = "3g" }
"""

# one Android app and task: for the cases that change the document's shape
MINI = """\
[campaign]
name = "mini"
attempt_timeout = "3s"

[[app]]
package = "com.example.syncapp"

[[task]]
name = "upload"
job = 7

[[condition]]
name = "deep"
set = { doze = "deep" }
"""

MINI_NO_TASK = MINI.replace('[[task]]\nname = "upload"\njob = 7\n', "")
CATASTROPHIC = "^((.*)*)*X$"  # CPython's re backtracks exponentially on any line without an X


def edit(base: str, old: str, new: str) -> str:
    assert base.count(old) == 1, old
    return base.replace(old, new)


def line_of(text: str, snippet: str | tuple[str, int]) -> int:
    """The line of a snippet's first occurrence (or its nth: ("name = ...", 2))."""
    snippet, nth = snippet if isinstance(snippet, tuple) else (snippet, 1)
    return [n for n, line in enumerate(text.splitlines(), 1) if snippet in line][nth - 1]


def error_of(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "s.toml")
    message = caught.value.message
    assert "\n" not in message
    return message


def test_the_valid_scenarios_parse_and_the_plan_is_sized():
    scenario = parse_scenario(VALID, "s.toml")
    assert [t.name for t in scenario.tasks] == ["upload", "sync", "refresh"]
    assert scenario.conditions[1].settings == {"doze": "deep", "level": "15"}
    assert scenario.conditions[2].ios == {"network": "3g"}
    summary = plan_summary(scenario)
    # Android: 3 conditions x 2 tasks x 2 repetitions; "slow" (iOS only) is skipped at once, so the
    # worst case is 2 conditions x (settle 0.2 + 2 x (upload 2x3+0.5 + sync 2x(3+10)+0.5)) = 132.4 s
    assert summary["per_phone"]["android"] == {
        "tasks": 2,
        "task_runs": 12,
        "max_attempts": 24,
        "conditions_skipped": 1,
        "worst_case_s": 132.4,
    }
    # iOS: "doze-deep" has no iOS equivalent; 2 x (0.2 + 2 x (2x(3+3)+0.5)) = 50.4 s
    assert summary["per_phone"]["ios"]["task_runs"] == 6
    assert summary["per_phone"]["ios"]["worst_case_s"] == 50.4
    for path in [REPO / "examples" / "demo-scenario.toml", REPO / "collectors" / "campaign" / "demo_scenario.toml"]:
        assert load_scenario(path).name == "syncapp-demo"
    for path in sorted((REPO / "examples").glob("*scenario*.toml")):
        load_scenario(path)
    # the examples in the README and in scenario.py's docstring are valid scenarios too
    readme = (REPO / "README.md").read_text(encoding="utf-8").split("## Campaigns", 1)[1]
    for doc in (readme, scenario_module.__doc__ or ""):
        parse_scenario(doc.split("```toml\n", 1)[1].split("```", 1)[0], "example.toml")


BASELINE, UPLOAD = 'name = "baseline"', 'name = "upload"'
# (base, old, new, field, what the message says, the line it names)
CASES = [
    # the tester's findings: typos that ran with defaults
    (
        VALID,
        'attempt_timeout = "3s"',
        'attempt_timout = "3s"',
        "campaign",
        "unknown key 'attempt_timout': did you mean 'attempt_timeout'?",
        "attempt_timout",
    ),
    (
        VALID,
        'trigger = "forced"',
        'triger = "forced"',
        "task[0]",
        "unknown key 'triger': did you mean 'trigger'?",
        "triger",
    ),
    (VALID, 'window = "10s"', 'windw = "10s"', "task[1]", "unknown key 'windw': did you mean 'window'?", "windw"),
    (VALID, "set = { doze", "sett = { doze", "condition[1]", "unknown key 'sett': did you mean 'set'?", "sett ="),
    (VALID, 'doze = "deep"', 'doz = "deep"', "condition[1].set", "unknown key 'doz': did you mean 'doze'?", "doz ="),
    (
        VALID,
        'network = "3g"',
        'netwrk = "3g"',
        "condition[2].ios",
        "unknown key 'netwrk': did you mean 'network'?",
        "netwrk",
    ),
    (
        VALID,
        'backoff = "0.5s"',
        'bakoff = "0.5s"',
        "campaign.retry",
        "unknown key 'bakoff': did you mean 'backoff'?",
        "bakoff",
    ),
    (VALID, 'package = "com', 'pakage = "com', "app[0]", "unknown key 'pakage': did you mean 'package'?", "pakage"),
    (VALID, "[campaign]", "[campain]", "scenario", "unknown table 'campain': did you mean [campaign]?", "[campain]"),
    (
        VALID,
        '[[condition]]\nname = "slow"',
        '[[conditions]]\nname = "slow"',
        "scenario",
        "unknown table 'conditions': did you mean [[condition]]?",
        "[[conditions]]",
    ),
    (
        VALID,
        "[campaign]\n",
        "repetitions = 5\n[campaign]\n",
        "scenario",
        "'repetitions' belongs in [campaign]",
        "repetitions = 5",
    ),
    (
        MINI,
        'name = "mini"',
        'name = "mini"\nbogus = 1',
        "campaign",
        "unknown key 'bogus'; expected one of name, repetitions, attempt_timeout, settle, retry",
        "bogus",
    ),
    (
        MINI,
        'attempt_timeout = "3s"',
        'attempt_timeout = "3s"\nretry.cont = 1',
        "campaign.retry",
        "unknown key 'cont': did you mean 'count'?",
        "retry.cont",
    ),
    # duplicates name both lines
    (
        VALID,
        'name = "slow"',
        'name = "baseline"',
        "condition[2].name",
        f"duplicate condition name 'baseline': also at line {line_of(VALID, BASELINE)}",
        (BASELINE, 2),
    ),
    (
        VALID,
        'name = "sync"',
        'name = "upload"',
        "task[1].name",
        f"duplicate task name 'upload': also at line {line_of(VALID, UPLOAD)}",
        (UPLOAD, 2),
    ),
    (
        VALID,
        'bundle = "com.example.newsreader"',
        'package = "com.example.syncapp"',
        "app[1].package",
        f"'com.example.syncapp' is already [[app]] at line {line_of(VALID, 'package =')}",
        ("package =", 2),
    ),
    # wrong shapes were Python exceptions (exit 70)
    (MINI, "[[app]]", "[app]", "app", "must be an array of tables: write [[app]], not [app]", "[app]"),
    (MINI, "[[task]]", "[task]", "task", "must be an array of tables: write [[task]], not [task]", "[task]"),
    (MINI, 'set = { doze = "deep" }', 'ios = "lte"', "condition[0].ios", "must be a table", "ios ="),
    (MINI, 'set = { doze = "deep" }', "set = 3", "condition[0].set", "must be a table", "set ="),
    (MINI, 'attempt_timeout = "3s"', 'retry = "2"', "campaign.retry", "must be a table", "retry ="),
    (MINI_NO_TASK, "[[condition]]", "[[condition]]", "task", "at least one [[task]] is required", "[campaign]"),
    (MINI_NO_TASK, "[campaign]\n", 'task = ["upload"]\n[campaign]\n', "task", "must be [[task]] tables", "task ="),
    (MINI, 'set = { doze = "deep" }', 'set.doze.deeper = "x"', "condition[0].set", "doze={'deeper': 'x'}", "set.doze"),
    (MINI, 'package = "com.example.syncapp"', "package = 3", "app[0].package", "must be a string", "package ="),
    # types and ranges
    (
        MINI,
        'attempt_timeout = "3s"',
        "attempt_timeout = nan",
        "campaign.attempt_timeout",
        "not a finite duration",
        "attempt_timeout",
    ),
    (
        MINI,
        'attempt_timeout = "3s"',
        "attempt_timeout = inf",
        "campaign.attempt_timeout",
        "not a finite duration",
        "attempt_timeout",
    ),
    (
        MINI,
        'attempt_timeout = "3s"',
        "attempt_timeout = -5",
        "campaign.attempt_timeout",
        "must be more than 0",
        "attempt_timeout",
    ),
    (
        MINI,
        'attempt_timeout = "3s"',
        'attempt_timeout = "0s"',
        "campaign.attempt_timeout",
        "must be more than 0",
        "attempt_timeout",
    ),
    (
        MINI,
        'attempt_timeout = "3s"',
        'attempt_timeout = "200h"',
        "campaign.attempt_timeout",
        "at most 7 days (e.g. 30s, 5m, 1h), not 8d 8h",
        "attempt_timeout",
    ),
    (
        MINI,
        'attempt_timeout = "3s"',
        "attempt_timeout = true",
        "campaign.attempt_timeout",
        "is not a duration",
        "attempt_timeout",
    ),
    (MINI, 'attempt_timeout = "3s"', "settle = -1", "campaign.settle", "must be 0 and at most 7 days", "settle"),
    (
        MINI,
        'attempt_timeout = "3s"',
        "repetitions = 100000000",
        "campaign.repetitions",
        "must be a whole number from 1 to 10000, not 100000000",
        "repetitions",
    ),
    (MINI, 'attempt_timeout = "3s"', "repetitions = true", "campaign.repetitions", "not True", "repetitions"),
    (MINI, 'attempt_timeout = "3s"', "repetitions = 2.5", "campaign.repetitions", "not 2.5", "repetitions"),
    (MINI, 'attempt_timeout = "3s"', "retry = { count = 101 }", "campaign.retry.count", "from 0 to 100", "retry"),
    (
        MINI,
        'attempt_timeout = "3s"',
        'retry = { count = 100, backoff = "30s" }',
        "campaign.retry",
        "with exponential backoff from 30s, retry 100 would wait more than 7 days",
        "retry",
    ),
    (
        MINI,
        'attempt_timeout = "3s"',
        "retry = { backoff = 0 }",
        "campaign.retry.backoff",
        "must be more than 0",
        "retry",
    ),
    (
        MINI,
        'attempt_timeout = "3s"',
        'retry = { policy = "expo" }',
        "campaign.retry.policy",
        "did you mean 'exponential'?",
        "retry",
    ),
    (MINI, "job = 7", "job = 4294967296", "task[0].job", "a 32-bit integer", "job ="),
    (MINI, "job = 7", 'job = "7"', "task[0].job", "a 32-bit integer", "job ="),
    (MINI, 'doze = "deep"', 'level = "²"', "condition[0].set", "expected a battery level from 0 to 100", "level"),
    (MINI, 'doze = "deep"', "level = 101", "condition[0].set", "expected a battery level from 0 to 100", "level"),
    (MINI, 'doze = "deep"', "doze = true", "condition[0].set", "doze=True: expected one of deep, light, off", "doze"),
    # names that become paths and ids
    (MINI, 'name = "mini"', 'name = "../../escape"', "campaign.name", "use letters, digits, - _ .", "../../escape"),
    (MINI, 'name = "mini"', 'name = "a/b"', "campaign.name", "part of file paths", '"a/b"'),
    (MINI, 'name = "mini"', 'name = ".."', "campaign.name", "not starting with '.'", '".."'),
    (MINI, 'name = "mini"', 'name = ".hidden"', "campaign.name", "not starting with '.'", ".hidden"),
    (MINI, 'name = "mini"', f'name = "{"x" * 101}"', "campaign.name", "at most 100 characters", "xxx"),
    (MINI, 'name = "upload"', 'name = "up/load"', "task[0].name", "a task name is part of file paths", "up/load"),
    (MINI, 'name = "deep"', 'name = "deep|er"', "condition[0].name", "a condition name is part", "deep|er"),
    # iOS conditions
    (
        MINI,
        'set = { doze = "deep" }',
        'ios = { lowpower = "on" }',
        "condition[0].ios.lowpower",
        "a campaign cannot apply Low Power Mode",
        "ios =",
    ),
    (
        MINI,
        'set = { doze = "deep" }',
        'ios = { network = "5g" }',
        "condition[0].ios.network",
        "network=5g: expected a ConditionInducer profile id",
        "ios =",
    ),
    (
        MINI,
        'set = { doze = "deep" }',
        'ios = { network = "3g", thermal = "serious" }',
        "condition[0].ios",
        "one induced condition at a time",
        "ios =",
    ),
    (MINI, 'set = { doze = "deep" }', "ios = { thermal = 3 }", "condition[0].ios.thermal", "must be a string", "ios ="),
    # keys that do not apply to the task
    (VALID, "job = 7\n", 'job = 7\nidentifier = "x"\n', "task[0].identifier", "is for iOS tasks", 'identifier = "x"'),
    (
        VALID,
        "job = 7\n",
        'job = 7\nworker = "W"\n',
        "task[0].worker",
        'is for scheduler = "workmanager"',
        'worker = "W"',
    ),
    (VALID, 'identifier = "com', 'job = 3\nidentifier = "com', "task[2].job", "is for Android tasks", "job = 3"),
    (
        VALID,
        'identifier = "com',
        "started = 'x'\nidentifier = \"com",
        "task[2].started",
        "is for Android tasks",
        "started = 'x'",
    ),
    # patterns: RE2 syntax, bounded
    (
        MINI,
        "job = 7",
        "job = 7\nstarted = '(a)\\1'",
        "task[0].started",
        "RE2 syntax is required (patterns are matched in linear time, so no backreferences, lookarounds, atomic "
        "groups or possessive repeats): invalid escape sequence: \\1 (a backreference)",
        "started",
    ),
    (MINI, "job = 7", "job = 7\nfinished = 'job (?=7)'", "task[0].finished", "(?= (a lookahead)", "finished"),
    (MINI, "job = 7", "job = 7\nfailed = '(?<!x)job'", "task[0].failed", "(a negative lookbehind)", "failed"),
    (
        MINI,
        "job = 7",
        "job = 7\nstopped = '(?P<job>\\d)(?P=job)'",
        "task[0].stopped",
        "(a named backreference)",
        "stopped",
    ),
    (MINI, "job = 7", "job = 7\nstarted = 'a++'", "task[0].started", "(a possessive repeat)", "started"),
    (MINI, "job = 7", "job = 7\nstarted = 'end\\Z'", "task[0].started", "use \\z for the end of the line", "started"),
    (
        MINI,
        "job = 7",
        f"job = 7\nstarted = '{'a' * 1001}'",
        "task[0].started",
        "1,001 characters; at most 1000",
        "started",
    ),
    (MINI, "job = 7", "job = 7\nstarted = ''", "task[0].started", "an empty pattern matches every log line", "started"),
    (MINI, "job = 7", "job = 7\nstarted = 3", "task[0].started", "must be a string", "started"),
]


@pytest.mark.parametrize(
    ("base", "old", "new", "field", "says", "at"), CASES, ids=[f"{i}-{c[3]}" for i, c in enumerate(CASES)]
)
def test_each_problem_is_one_line_with_file_line_and_field(base, old, new, field, says, at):
    text = edit(base, old, new)
    message = error_of(text)
    assert message.startswith(f"s.toml:{line_of(text, at)}: {field}: "), message
    assert says in message, message


def test_the_plan_per_phone_is_bounded_and_the_error_gives_the_number():
    conditions = "".join(f'\n[[condition]]\nname = "c{i}"\n' for i in range(11))
    text = edit(MINI, 'attempt_timeout = "3s"', 'attempt_timeout = "3s"\nrepetitions = 10000') + conditions
    message = error_of(text)
    assert message == (
        f"s.toml:{line_of(text, 'repetitions')}: campaign.repetitions: the plan is 12 conditions × 1 Android task × "
        f"10,000 repetitions = 120,000 task runs per Android phone; at most {MAX_TASK_RUNS:,}"
    )


def test_a_file_that_is_not_text_or_not_toml_is_a_scenario_error(tmp_path):
    binary = tmp_path / "s.toml"
    binary.write_bytes(b"[campaign]\nname = \xff\xfe\n")
    with pytest.raises(ScenarioError, match=r"not UTF-8 text \(byte 18\)"):
        load_scenario(binary)
    with pytest.raises(ScenarioError, match=r"^s.toml:2: not valid TOML"):
        parse_scenario("[campaign]\nname = \n", "s.toml")
    with pytest.raises(ScenarioError, match="thousands of digits"):
        parse_scenario("[campaign]\nrepetitions = " + "1" * 5000, "s.toml")
    with pytest.raises(ScenarioError, match="nested too deeply"):
        parse_scenario("x = " + "[" * 5000 + "]" * 5000, "s.toml")


def test_the_default_campaign_name_is_made_path_safe():
    text = edit(MINI, 'name = "mini"\n', "")
    assert parse_scenario(text, "/tmp/my scenario (2).toml").name == "my-scenario-2"
    assert parse_scenario(text, "/tmp/..toml").name == "campaign"


def test_the_catastrophic_pattern_matches_a_long_line_at_once():
    text = edit(MINI, "job = 7", f"job = 7\nstarted = '{CATASTROPHIC}'")
    pattern = parse_scenario(text).tasks[0].started
    assert pattern is not None
    line = "a" * 100_000
    t0 = time.monotonic()
    assert pattern.search(line) is None  # CPython's re: minutes at 30 characters, forever at 100 kB
    assert pattern.search(line + "X") is not None
    assert time.monotonic() - t0 < 5  # a generous guard; RE2 takes milliseconds


def test_app_lines_are_matched_by_re2_with_the_job_group():
    task = parse_scenario(VALID).tasks[0]  # upload, job 7, (?P<job>\d+) in its patterns
    assert type(task.started).__module__ == "re2"
    assert _app_line(task, "job 7 started") == "started"
    assert _app_line(task, "UploadService: job 7 finished (success) in 3 s") == "finished"
    assert _app_line(task, "job 8 started") is None  # another job's line
    assert _app_line(task, "job 77 finished (success)") is None
    assert _app_line(task, "nothing to see") is None


# -- the real CLI: `run --check`, and errors on stderr ------------------------------------------
NO_PHONES = {  # any attempt to reach a phone would fail (exit 3) instead of passing unnoticed
    "ADB_SERVER_SOCKET": "tcp:127.0.0.1:1",
    "ANDROID_ADB_SERVER_PORT": "1",
    "PYMOBILEDEVICE3_USBMUX": "127.0.0.1:1",
}


def test_run_check_prints_the_plan_without_a_phone(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(VALID)
    work = tmp_path / "cwd"
    work.mkdir()
    result = invoke("run", "--check", str(path), cwd=work, env=NO_PHONES)
    assert result.returncode == 0, result.stderr
    assert f"{path}: valid" in result.stdout
    assert "apps: com.example.newsreader (ios), com.example.syncapp (android)" in result.stdout
    assert "  sync: android workmanager natural (com.example.syncapp, job 1042, window 10s)" in result.stdout
    assert "conditions: baseline, doze-deep (doze=deep, level=15), slow (ios network=3g)" in result.stdout
    worst = "per Android phone: 12 task runs, up to 24 attempts; 1 condition skipped; worst case 2m 12s"
    assert worst in result.stdout
    assert "per iPhone: 6 task runs" in result.stdout
    assert list(work.iterdir()) == []  # no results directory
    as_json = invoke("run", "--check", "--json", str(path), cwd=work, env=NO_PHONES)
    summary = json.loads(as_json.stdout)
    assert summary["campaign"] == "strict" and summary["per_phone"]["android"]["worst_case_s"] == 132.4
    demo = invoke("run", "--check", str(REPO / "examples" / "demo-scenario.toml"), cwd=work, env=NO_PHONES)
    assert demo.returncode == 0 and "per Android phone: 40 task runs" in demo.stdout, demo.stderr


@pytest.mark.parametrize(
    ("old", "new", "says", "at"),
    [
        (
            'attempt_timeout = "3s"',
            'attempt_timout = "3s"',
            "campaign: unknown key 'attempt_timout': did you mean 'attempt_timeout'?",
            "attempt_timout",
        ),
        ("[[app]]", "[app]", "app: must be an array of tables: write [[app]], not [app]", "[app]"),
        ('set = { doze = "deep" }', 'ios = "lte"', "condition[0].ios: must be a table", "ios ="),
        ("job = 7", "job = 7\nstarted = '(a)\\1'", "task[0].started: RE2 syntax is required", "started"),
        (
            'set = { doze = "deep" }',
            'sett = { doze = "deep" }',
            "condition[0]: unknown key 'sett': did you mean 'set'?",
            "sett",
        ),
    ],
    ids=["typo", "app-table", "ios-string", "backreference", "sett"],
)
def test_run_check_rejects_with_exit_2_and_one_line(tmp_path, old, new, says, at):
    text = edit(MINI, old, new)
    path = tmp_path / "s.toml"
    path.write_text(text)
    # a child process: RE2 would write its own copy of the error to fd 2, which only a real stderr shows
    result = run_cli("run", "--check", str(path), cwd=tmp_path, env=NO_PHONES)
    assert result.returncode == 2
    # exactly one line: no traceback, and RE2 does not log its own copy of the error
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"bgprobe: {path}:{line_of(text, at)}: {says}"), result.stderr


def test_an_unsafe_campaign_name_writes_nothing_outside_the_results_root(tmp_path):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    path = tmp_path / "s.toml"
    path.write_text(edit(MINI, 'name = "mini"', 'name = "../../escaped"'))
    result = invoke("run", str(path), "--quiet", cwd=work, env=NO_PHONES)
    assert result.returncode == 2 and "campaign.name" in result.stderr, result.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "b", "s.toml"]  # nothing created anywhere


# -- properties ----------------------------------------------------------------------------------
def mostly(good: st.SearchStrategy, bad: st.SearchStrategy, odds: int = 6) -> st.SearchStrategy:
    """`good` most of the time: random documents then get past the first check and reach the deep ones."""
    return st.integers(0, odds).flatmap(lambda n: bad if n == 0 else good)


VOCABULARY = sorted(
    {
        *[
            "campaign",
            "app",
            "task",
            "condition",
            "name",
            "repetitions",
            "attempt_timeout",
            "settle",
            "retry",
            "count",
            "backoff",
            "policy",
        ],
        *[
            "package",
            "bundle",
            "scheduler",
            "job",
            "worker",
            "identifier",
            "trigger",
            "window",
            "started",
            "finished",
            "failed",
            "stopped",
        ],
        *["set", "ios", "doze", "bucket", "battery", "level", "saver", "network", "restrict", "thermal", "lowpower"],
    }
)
PLAUSIBLE = [
    *[
        "30s",
        "2m",
        "1h",
        "500ms",
        "0",
        "0s",
        "-1s",
        "1e3",
        "forced",
        "natural",
        "jobscheduler",
        "workmanager",
        "bgtask",
        "deep",
        "on",
        "off",
        "rare",
    ],
    *[
        "3g",
        "lte",
        "serious",
        "none",
        "exponential",
        "linear",
        "baseline",
        "x",
        ".",
        "..",
        "a/b",
        "²",
        "15",
        "com.example.syncapp",
    ],
    *["com.example.newsreader", "com.example.newsreader.refresh"],
    "",
    "job (?P<job>\\d+) started",
    CATASTROPHIC,
    "(a)\\1",
    "(?=x)",
]
keys = mostly(st.sampled_from(VOCABULARY), st.text(min_size=1, max_size=8))
scalars = mostly(
    st.sampled_from(PLAUSIBLE) | st.integers(-3, 12),
    st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12),
    odds=2,
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4), max_leaves=8
)
tables = st.dictionaries(keys, values, max_size=7)
documents = st.fixed_dictionaries(
    {},
    optional={
        "campaign": mostly(tables, values),
        "app": mostly(st.lists(tables, min_size=1, max_size=3), values),
        "task": mostly(st.lists(tables, min_size=1, max_size=3), values),
        "condition": mostly(st.lists(tables, min_size=1, max_size=3), values),
    },
) | st.dictionaries(keys, tables | st.lists(tables, min_size=1, max_size=3) | values, max_size=6)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string (or a TOML error: also fine)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def toml_document(doc: dict) -> str:
    """Top-level scalars first, then [tables] and [[arrays of tables]] with their keys on lines."""
    head, body = [], []
    for key, value in doc.items():
        if isinstance(value, dict):
            body.append(f"[{toml_key(key)}]")
            body += [f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for table in value:
                body.append(f"[[{toml_key(key)}]]")
                body += [f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items()]
        else:
            head.append(f"{toml_key(key)} = {toml_value(value)}")
    return "\n".join(head + body) + "\n"


def parse_or_scenario_error(text: str):
    try:
        return parse_scenario(text, "s.toml")
    except ScenarioError as exc:
        assert exc.message.startswith("s.toml"), exc.message
        assert "\n" not in exc.message
        return None


@settings(max_examples=examples(200), deadline=None)
@given(documents)
def test_random_documents_raise_nothing_but_scenario_errors(doc):
    parse_or_scenario_error(toml_document(doc))


# Scenarios whose every value is mostly good (names numbered, so rarely duplicates): a good share
# parse, the others fail on one value.
durations = mostly(
    st.sampled_from(["3s", "0.5s", "1m", "2h", 5, 0.25]),
    st.sampled_from(["0s", "-1", "170h", "nan", "3 s", "1d"]) | st.floats() | st.integers(-5, 10**8),
    odds=12,
)
names = mostly(
    st.sampled_from(["t", "sync", "a.b", "A-1_x", "up_load.2"]),
    st.sampled_from([".", "..", ".x", "a/b", "a b", "", "é", "a|b", "x" * 101]) | st.text(max_size=6),
    odds=12,
)
set_values = st.lists(
    mostly(
        st.sampled_from([("doze", "deep"), ("bucket", "rare"), ("level", "15"), ("level", 40), ("restrict", "on")]),
        st.sampled_from([("dose", "deep"), ("level", "101"), ("level", "²"), ("saver", True), ("network", "up")]),
        odds=12,
    ),
    max_size=2,
).map(dict)
ios_values = st.lists(
    mostly(
        st.sampled_from([("network", "3g"), ("network", "lte"), ("thermal", "serious"), ("network", "none")]),
        st.sampled_from([("lowpower", "on"), ("network", "5g"), ("thermal", "3g"), ("network", 3)]),
        odds=12,
    ),
    max_size=1,
).map(dict)
patterns = mostly(
    st.sampled_from(["job (?P<job>\\d+) started", CATASTROPHIC, "x", "(?i)done"]),
    st.sampled_from(["(a)\\1", "(?=x)", "", "a" * 1001]),
    odds=12,
)


@st.composite
def scenarios(draw) -> str:
    campaign = {
        "name": draw(names),
        "repetitions": draw(mostly(st.integers(1, 50), st.integers(-1, 20_000), odds=12)),
        "attempt_timeout": draw(durations),
        "settle": draw(mostly(st.just(0), durations, odds=1)),
        "retry": {
            "count": draw(mostly(st.integers(0, 5), st.integers(-1, 120), odds=12)),
            "backoff": draw(durations),
            "policy": draw(st.sampled_from(["exponential", "linear", "none"])),
        },
    }
    doc = {"campaign": campaign, "app": [{"package": "com.example.syncapp"}, {"bundle": "com.example.newsreader"}]}
    tasks = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            job = draw(mostly(st.integers(-(2**31), 2**31 - 1), st.integers(-(2**40), 2**40), odds=12))
            task = {"name": draw(names) + str(len(tasks)), "app": "com.example.syncapp", "job": job}
            if draw(st.booleans()):
                task["started"] = draw(patterns)
        else:
            task = {"name": draw(names) + str(len(tasks)), "app": "com.example.newsreader", "identifier": "x.y"}
        if draw(st.booleans()):
            task["trigger"], task["window"] = "natural", draw(durations)
        tasks.append(task)
    doc["task"] = tasks
    doc["condition"] = [
        {"name": draw(names) + str(i), "set": draw(set_values), "ios": draw(ios_values)}
        for i in range(draw(st.integers(0, 4)))
    ]
    return toml_document(doc)


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_accepted_scenarios_are_safe_to_run(text):
    scenario = parse_or_scenario_error(text)
    if scenario is None:
        return
    root = Path("/results/bgprobe-results")
    for name in [scenario.name, *(t.name for t in scenario.tasks), *(c.name for c in scenario.conditions)]:
        assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}", name), name
        assert (root / name).resolve().parent == root
    assert (Path("/results") / results_path(None, scenario)).resolve().parent == root
    durations_s = [scenario.attempt_timeout_s, scenario.retry.backoff_s, *(t.window_s for t in scenario.tasks)]
    assert all(math.isfinite(d) and 0 < d <= 7 * 86400 for d in durations_s)
    assert math.isfinite(scenario.settle_s) and 0 <= scenario.settle_s <= 7 * 86400
    runs = plan(scenario, {"phone": "android", "iphone": "ios"}, None)
    for device in ("phone", "iphone"):
        assert sum(r.device == device for r in runs) <= MAX_TASK_RUNS
    summary = plan_summary(scenario)
    assert json.loads(json.dumps(summary)) == summary  # plain data (for --json)
    assert all(math.isfinite(p["worst_case_s"]) for p in summary["per_phone"].values())
    assert plan_summary(parse_scenario(text, "s.toml")) == summary  # the same text, the same plan


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=300) | st.sampled_from([VALID, MINI]).flatmap(lambda s: st.just(s[: len(s) // 2])))
def test_random_text_raises_nothing_but_scenario_errors(text):
    parse_or_scenario_error(text)


@settings(max_examples=examples(200), deadline=None)
@given(
    st.binary(max_size=300)
    | st.sampled_from([VALID, MINI])
    .map(str.encode)
    .flatmap(lambda b: st.integers(0, len(b)).map(lambda i: b[:i] + b"\xff" + b[i:]))
)
def test_random_bytes_raise_nothing_but_scenario_errors(data):
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "s.toml"
        path.write_bytes(data)
        try:
            load_scenario(path)
        except ScenarioError as exc:
            assert exc.message.startswith(str(path)), exc.message
