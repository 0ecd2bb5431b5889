"""Where bgprobe keeps its own files: journals of device changes, locks, the simulator's state.

$BGPROBE_STATE_DIR, else $XDG_STATE_HOME/bgprobe, else ~/.local/state/bgprobe (XDG base dirs).
Only commands that write there create it: read-only commands (devices, scan, report) work with
an unwritable or missing home.
"""

from __future__ import annotations

import os
from pathlib import Path

from bgprobe.collectors.errors import DeviceError


class StateDirError(DeviceError):
    pass


def state_dir(*, create: bool = False) -> Path:
    explicit = os.environ.get("BGPROBE_STATE_DIR")
    if explicit:
        base = Path(explicit)
    else:
        xdg = os.environ.get("XDG_STATE_HOME")
        try:
            home = Path(xdg) if xdg else Path.home() / ".local" / "state"
        except RuntimeError:  # no HOME and no passwd entry
            home = Path("/nonexistent")
        base = home / "bgprobe"
    if create:
        try:
            base.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateDirError(
                f"cannot create bgprobe's state directory {base} ({exc.strerror or exc}): "
                "set BGPROBE_STATE_DIR to a writable directory"
            ) from exc
    return base
