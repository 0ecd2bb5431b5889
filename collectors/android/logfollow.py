"""The one live Android log follower, shared by `bgprobe watch`, `bgprobe trigger` and campaigns.

`logcat -T 1 -v threadtime -b main,system,events,crash` through the parsers of `bgprobe scan`
(`parse_line` with a YearHint: threadtime has no year; LogInterpreter). It owns:

- start (a thread) or run (the caller's thread), and stop: the stream's socket is shut down, so a
  quiet phone ends the stream at once rather than at its next line;
- the end: a multi-line message still being assembled (an `ANR in` whose `PID:`/`Reason:` never
  came, a crash without its `Process:`) is complete as far as the stream goes and is reported,
  whether the device went away or the follow was stopped;
- the package filter (`event_concerns`, next to `package_of_process`) and the device identity of
  its events: the journal's key (`AndroidDevice.key`, ro.serialno), as campaigns record it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from datetime import datetime

from bgprobe.collectors.android.adb import AndroidDevice
from bgprobe.collectors.errors import DeviceError
from bgprobe.collectors.parsers.android_log import LogInterpreter
from bgprobe.collectors.parsers.logcat import LogRecord, YearHint, parse_line
from bgprobe.reports.events import Event, event_concerns

BUFFERS = "main,system,events,crash"
STREAM_ENDED = "log stream ended: the device disconnected or went offline"


class LogFollower:
    """Follows one device's logs, handing each event (and, when asked, each record) to callbacks.

    `package`: only that app's events (`event_concerns`: the package or one of its processes, never a
    prefix); with `unattributed`, also events that name no app at all (a WorkManager line of a process
    whose start the stream did not show, a state change), which a caller may place by other means."""

    def __init__(
        self,
        dev: AndroidDevice,
        on_event: Callable[[Event], None],
        *,
        package: str | None = None,
        unattributed: bool = False,
        on_record: Callable[[LogRecord], None] | None = None,
        os_version: str | None = None,
    ) -> None:
        self.dev = dev
        self.on_event = on_event
        self.on_record = on_record
        self.package = package
        self.unattributed = unattributed
        self.os_version = os_version
        self.ended = threading.Event()  # set once the stream has ended and what was open is reported
        self.end_reason: str | None = None  # why it ended, when it was not stopped
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def wants(self, event: Event) -> bool:
        if self.package is None or event_concerns(event, self.package):
            return True
        return self.unattributed and event.package is None and event.process is None

    def start(self) -> LogFollower:
        self._thread = threading.Thread(target=self.run, daemon=True, name=f"logfollow-{self.dev.serial}")
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """End the stream now and wait (up to `timeout`) until what it left open is reported."""
        self._stop.set()
        with self._lock:
            sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def run(self) -> None:
        """Follow until the stream ends or `stop`; then report what was still open. Blocks."""
        reason = STREAM_ENDED
        interp: LogInterpreter | None = None
        try:
            # The journal's key: one identity for a phone in every event, whichever adb server or
            # address reached it (a campaign's results and a watch of the same phone agree).
            interp = LogInterpreter(where=f"live:{self.dev.serial}", device=self.dev.key, os_version=self.os_version)
            years = YearHint(datetime.now().date())
            lines = self.dev.stream_lines(["logcat", "-T", "1", "-v", "threadtime", "-b", BUFFERS], opened=self._opened)
            for n, line in enumerate(lines, 1):
                if self._stop.is_set():
                    break
                if n == 1:
                    continue  # `-T 1` replays the last line logged before the follow began: not news
                rec = parse_line(line, n, years)
                for event in interp.feed(rec):
                    self._emit(event)
                if self.on_record is not None:
                    self.on_record(rec)
        except DeviceError as err:  # DeviceLost included
            reason = err.message
        finally:
            if interp is not None:
                for event in interp.flush():
                    self._emit(event)
            self.end_reason = None if self._stop.is_set() else reason
            self.ended.set()

    def _emit(self, event: Event) -> None:
        if self.wants(event):
            self.on_event(event)

    def _opened(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
        if self._stop.is_set():  # stopped while the stream was being opened
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
