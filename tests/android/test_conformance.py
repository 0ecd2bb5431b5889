"""Every shell command bgprobe sends to a phone is one that docs/android-commands.md covers.

The simulated phones record each command they receive. This test clears the record, drives every
live path of bgprobe (devices, info, state show/set of every key, restore, jobs, doctor, trigger, watch
and a campaign with conditions) on an Android 14 and an Android 9 phone, and matches each recorded
command against the document's command column: literal words, `a|b` alternatives, UPPERCASE
placeholders for one argument, `[...]` for optional words."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.android.conftest import PKG, serial_of
from tests.android.test_faults import factory_reset_conditions
from tests.helpers import REPO, run_cli

DOC = REPO / "docs" / "android-commands.md"


def documented_commands() -> list[str]:
    """The backticked commands of the first column of every table in the document."""
    commands = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        first = re.split(r"(?<!\\)\|", line)[1]
        commands += [c.replace("\\|", "|") for c in re.findall(r"`([^`]+)`", first)]
    return commands


def _token_pattern(token: str) -> str:
    alternatives = []
    for alt in token.split("|"):
        if re.fullmatch(r"[A-Z][A-Z0-9_]*", alt):
            alternatives.append(r"\S+")  # a placeholder: any one argument
        else:
            alternatives.append(re.escape(alt))
    return "(?:" + "|".join(alternatives) + ")"


def compile_pattern(command: str) -> re.Pattern[str]:
    """Words joined by single spaces (the command is matched once split and re-joined)."""
    regex = ""
    for optional, word in _words(command):
        piece = " " + _token_pattern(word)
        regex += f"(?:{piece})?" if optional else piece
    return re.compile("^" + regex.removeprefix(" ") + "$")


def _words(command: str) -> list[tuple[bool, str]]:
    """(optional?, word) for each word; `[X Y]` makes each of its words optional."""
    out = []
    for m in re.finditer(r"\[([^\]]+)\]|(\S+)", command):
        if m.group(1):
            out += [(True, w) for w in m.group(1).split()]
        else:
            out.append((False, m.group(2)))
    return out


def covered(sent: str, patterns: list[re.Pattern[str]]) -> bool:
    try:
        words = shlex.split(sent)
    except ValueError:
        return False
    text = " ".join(words)
    return any(p.match(text) for p in patterns)


SCENARIO = f"""
[campaign]
name = "conformance"
repetitions = 1
attempt_timeout = "3s"
settle = "0.1s"

[[app]]
package = "{PKG}"

[[task]]
name = "upload"
job = 7
trigger = "forced"

[[task]]
name = "sync"
scheduler = "workmanager"
job = 1042
worker = "com.example.syncapp.SyncWorker"
trigger = "forced"

[[task]]
name = "cleanup"
job = 12
trigger = "natural"
window = "2s"

[[condition]]
name = "all-the-keys"
set = {{ battery = "unplugged", level = "40", saver = "on", network = "wifi-only", bucket = "rare", restrict = "on", doze = "light" }}
"""


def test_every_command_sent_is_documented(fleet, env, tmp_path: Path):
    phones = [serial_of(fleet, "14"), serial_of(fleet, "9")]
    for server in fleet.servers.values():
        server.backend.commands.clear()
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    try:
        assert run_cli("devices", env=env).returncode == 0
        for serial in phones:
            sdk = fleet.device(serial).profile.sdk
            steps = [
                ("info", serial),
                ("state", "show", "-p", PKG, "-s", serial),
                ("state", "set", "battery=unplugged", "level=30", "saver=on", "-s", serial),
                ("state", "set", "network=offline", "bucket=frequent", "restrict=on", "-p", PKG, "-s", serial),
                ("state", "set", "doze=deep", "-s", serial),
                ("state", "set", "doze=off", "-s", serial),
                ("restore", "-s", serial),
                ("state", "set", "battery=plugged", "doze=light", "-s", serial),
                ("state", "set", "network=airplane", "-s", serial),
                ("restore", "-s", serial),
                ("jobs", PKG, "-s", serial),
                ("doctor", PKG, "-s", serial),
                ("doctor", PKG, "--json", "-s", serial),
                ("doctor", "com.example.syncap", "-s", serial),  # not installed: exit 2, with close names
                ("trigger", PKG, "7", "--wait", "2", "-s", serial),
                ("watch", PKG, "--duration", "1", "--exit-info", "-s", serial),
                ("run", str(scenario), "--out", str(tmp_path / f"r{sdk}"), "--quiet", "-s", serial),
            ]
            if sdk >= 30:
                steps.append(("trigger", PKG, "12", "--satisfied", "--wait", "1", "-s", serial))
            for step in steps:
                result = run_cli(*step, env=env)
                assert result.returncode in (0, 1, 2), (step, result.stderr)  # 2: a version gate said so
    finally:
        for serial in phones:
            factory_reset_conditions(fleet, serial)
    sent = sorted({c for s in phones for c in fleet.servers[s].backend.commands})
    assert len(sent) > 30  # the flows above really reached the phones
    patterns = [compile_pattern(c) for c in documented_commands()]
    missing = [c for c in sent if not covered(c, patterns)]
    assert not missing, "sent but not in docs/android-commands.md:\n" + "\n".join(missing)
