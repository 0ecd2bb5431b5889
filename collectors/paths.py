"""Where bgprobe keeps its own files: journals of device changes, the simulator's state.

$BGPROBE_STATE_DIR, else $XDG_STATE_HOME/bgprobe, else ~/.local/state/bgprobe (XDG base dirs).
"""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    explicit = os.environ.get("BGPROBE_STATE_DIR")
    if explicit:
        base = Path(explicit)
    else:
        xdg = os.environ.get("XDG_STATE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".local" / "state") / "bgprobe"
    base.mkdir(parents=True, exist_ok=True)
    return base
