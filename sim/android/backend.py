"""The seam between the adbd wire protocol (adbd.py) and a simulated phone's behaviour.

adbd.py knows packets, streams, shell v1/v2 framing, sync and fault injection; it knows
nothing about Android. A backend knows Android and nothing about packets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

Writer = Callable[[bytes], Awaitable[None]]


class AndroidBackend(Protocol):
    serial: str

    def banner_properties(self) -> dict[str, str]:
        """ro.product.name / ro.product.model / ro.product.device for the CNXN banner."""
        ...

    async def execute(self, command: str, out: Writer, err: Writer) -> int:
        """Run one shell command line as `sh -c` would; write its output; return the exit status.

        Endless commands (`logcat` without -d) keep writing until the task is cancelled, which
        adbd does when the host closes the stream. `command` is the raw text after `shell:`
        (or `shell,v2,...:`), including any suffix adbutils adds (`; echo X4EXIT:$?`).
        """
        ...

    def read_file(self, path: str) -> bytes | None:
        """Contents of a device file for the sync service (`adb pull`), or None if absent."""
        ...
