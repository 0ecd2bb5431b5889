"""What a user reads before running anything: --version, and help texts that name what they accept."""

from __future__ import annotations

import re
from pathlib import Path

from bgprobe.cli.state import ASSIGNMENTS_HELP
from bgprobe.collectors.android.state import KEYS
from bgprobe.collectors.ios.conditions import THERMAL_ALIASES

from tests.helpers import invoke


def test_version():
    result = invoke("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"bgprobe \d+\.\d+\.\d+\S*\n", result.stdout)


def test_state_set_help_names_every_key_and_value():
    for key, values in KEYS.items():
        assert f"{key}=" in ASSIGNMENTS_HELP, key
        for value in values:
            assert value in ASSIGNMENTS_HELP, (key, value)
    for value in THERMAL_ALIASES:
        assert value in ASSIGNMENTS_HELP
    shown = invoke("state", "set", "--help", env={"COLUMNS": "100"})
    assert "doze=deep|light|off" in shown.stdout  # the argument's help is printed (click 8.5 dropped it)


def test_every_argument_has_its_help_printed():
    for command, marker in (("scan", "Bugreport zip"), ("jobs", "Android package"), ("trigger", "JobScheduler job id")):
        shown = invoke(command, "--help", env={"COLUMNS": "100"})
        assert marker in shown.stdout, command


def test_fail_under_is_one_option_on_run_and_report():
    """`--fail-under` was a float 0-1 on `run` and "0.95 or 95%" on `report`: now one option (cli/options.py)."""
    helps = [invoke(command, "--help").stdout for command in ("run", "report")]
    wanted = "--fail-under RATE"
    assert all(wanted in re.sub(r"\s+", " ", h) for h in helps), helps
    scenario = str(Path(__file__).parents[1] / "collectors/campaign/demo_scenario.toml")
    for rate in ("0.95", "95%", "95"):
        proc = invoke("run", scenario, "--check", "--fail-under", rate)
        assert proc.returncode == 0, (rate, proc.stderr)
    proc = invoke("run", scenario, "--check", "--fail-under", "most")
    assert proc.returncode == 2 and "expected a rate such as 0.95 or 95%" in proc.stderr, proc.stderr


def test_each_command_is_built_alone_and_all_are_listed():
    """A run builds only the command it names (start-up); --help and typos still see every command."""
    from bgprobe.cli.app import COMMANDS

    listing = invoke("--help").stdout
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s", listing, re.M), (name, listing)
        shown = invoke(name, "--help")
        assert shown.returncode == 0 and f"bgprobe {name}" in shown.stdout, (name, shown.stderr)
    typo = invoke("scna", "x")
    assert typo.returncode == 2 and typo.stderr.count("Did you mean 'scan'?") == 1, typo.stderr
