"""Turn the paths a user gives into readable byte streams, one `Source` per log or dump.

A bugreport zip names its main text in `main_entry.txt`; persistent logcat (logpersist) lives
under `FS/data/misc/logd/`. Other zips are read member by member. `.gz` is decompressed on the
fly. Directories are walked recursively in sorted order (symbolic links to directories are not
followed, so no link loop can trap the walk). `-` is standard input: the one way to stream. A named
FIFO, device or socket is skipped with a note: reading one could block forever (a FIFO nobody
writes) or never end (`/dev/zero`).
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import sys
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO, cast
from zlib import error as zlib_error

from bgprobe.collectors.errors import InputError

PERSISTENT_LOGCAT_DIR = "FS/data/misc/logd/"
# Members of a bugreport zip that hold nothing for us and are large (binary protos, traces).
_SKIP_SUFFIXES = (".pb", ".proto", ".png", ".jpg", ".bin", ".so", ".db", ".zip", ".gz", ".tar", ".perfetto-trace")


@dataclass(slots=True)
class Source:
    """One input. `open` is called once, before the next Source is asked for: a tar member can only
    be read while the one pass over its archive stands on it."""

    name: str  # for messages and `where`: a path, or `archive.zip!member`
    open: Callable[[], BinaryIO]
    reference_date: date | None = None  # the file's date: a fallback for logcat's missing year
    group: str | None = None  # sources of one bugreport share a group (for de-duplication)


def iter_sources(paths: list[str], problems: list[InputError]) -> Iterator[Source]:
    """Yield a Source for every readable input; record each unreadable one in `problems`."""
    for raw in paths:
        if raw == "-":
            yield Source("<stdin>", lambda: sys.stdin.buffer, datetime.now().date())
            continue
        path = Path(raw)
        try:
            mode = path.stat().st_mode  # follows a symbolic link named on the command line
        except (FileNotFoundError, NotADirectoryError):
            problems.append(InputError(raw, "no such file or directory"))
            continue
        except OSError as exc:
            problems.append(InputError(raw, exc.strerror or str(exc)))
            continue
        if stat.S_ISDIR(mode):
            files = _walk(path, problems)
            if not files:
                problems.append(InputError(raw, "directory has no files"))
            archives = sorted({root for f in files if (root := _logarchive_root(str(f))) is not None})
            for archive in archives:
                problems.append(InputError(archive, LOGARCHIVE_NOTE))
            for file in files:
                if _logarchive_root(str(file)) is None:
                    yield from _file_sources(file, problems)
        elif not stat.S_ISREG(mode):
            problems.append(not_regular(raw, mode))
        else:
            yield from _file_sources(path, problems)


def _walk(root: Path, problems: list[InputError]) -> list[Path]:
    """The regular files under `root` (symbolic links to files included), in sorted order. Links to
    directories are not followed (no loop can trap the walk); FIFOs, devices and sockets are skipped
    with a note; broken links are skipped quietly."""
    files: list[Path] = []
    for folder, _dirs, names in os.walk(root, followlinks=False):
        for name in names:
            path = Path(folder, name)
            try:
                mode = path.stat().st_mode
            except OSError:
                continue
            if stat.S_ISREG(mode):
                files.append(path)
            elif not stat.S_ISDIR(mode):
                problems.append(not_regular(str(path), mode))
    return sorted(files)


def not_regular(name: str, mode: int) -> InputError:
    """A FIFO, device or socket among the inputs: skipped, with the way to stream it instead."""
    if stat.S_ISFIFO(mode):
        what = "a FIFO (named pipe)"
    elif stat.S_ISCHR(mode):
        what = "a character device"
    elif stat.S_ISBLK(mode):
        what = "a block device"
    elif stat.S_ISSOCK(mode):
        what = "a socket"
    else:
        what = "a special file"
    return InputError(name, f"{what}, not a regular file: skipped (to stream it, use `-`: cat {name} | bgprobe scan -)")


def _open_regular(path: Path) -> BinaryIO:
    """Open a file that was a regular file when listed; if it has been replaced by a FIFO or a
    device meanwhile, fail at once instead of blocking (O_NONBLOCK) or reading forever."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise OSError(not_regular(str(path), mode).problem)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _file_date(path: Path) -> date | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime).date()
    except OSError:
        return None


def _file_sources(path: Path, problems: list[InputError]) -> Iterator[Source]:
    name = str(path)
    try:
        with _open_regular(path) as f:
            magic = f.read(4)
    except OSError as exc:
        problems.append(InputError(name, exc.strerror or str(exc)))
        return
    ref = _file_date(path)
    if _is_tar(path, magic):
        yield from _tar_sources(path, problems, ref)
    elif magic[:2] == b"\x1f\x8b":
        # a GzipFile is a binary stream; typeshed types it as BufferedIOBase, not BinaryIO
        yield Source(name, lambda: cast(BinaryIO, gzip.open(path, "rb")), ref)  # noqa: SIM115
    elif magic == b"PK\x03\x04" or magic == b"PK\x05\x06":
        yield from _zip_sources(path, problems, ref)
    else:
        yield Source(name, lambda: _open_regular(path), ref)


def _zip_sources(path: Path, problems: list[InputError], ref: date | None) -> Iterator[Source]:
    name = str(path)
    try:
        archive = zipfile.ZipFile(path)
        members = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        problems.append(InputError(name, f"not a readable zip (truncated or damaged: {exc})"))
        return
    names = {i.filename for i in members}
    main = _main_entry(archive, names)
    if main is not None:
        # A bugreport: its main text, then the persistent logcat rotations, oldest first.
        chosen = [main]
        persistent = [n for n in names if n.startswith(PERSISTENT_LOGCAT_DIR) and "logcat" in n.rsplit("/", 1)[-1]]
        chosen += sorted(persistent, key=_rotation_order)
    else:
        chosen = sorted(n for n in names if not n.lower().endswith(_SKIP_SUFFIXES))
    if not chosen:
        problems.append(InputError(name, "zip has no text members to read"))
    dates = {i.filename: _zip_date(i) for i in members}
    for member in chosen:
        # A member's own timestamp is when the device wrote it: a better year hint than the zip's mtime.
        yield Source(
            f"{name}!{member}", _member_opener(archive, member), dates.get(member) or ref, group=name if main else None
        )


def _zip_date(info: zipfile.ZipInfo) -> date | None:
    try:
        return date(*info.date_time[:3]) if info.date_time[0] > 1980 else None
    except ValueError:
        return None


def _main_entry(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    if "main_entry.txt" in names:
        try:
            entry = archive.read("main_entry.txt").decode("utf-8", "replace").strip()
        except (zipfile.BadZipFile, OSError, EOFError, KeyError):
            entry = ""
        if entry in names:
            return entry
    # Older bugreport zips have no main_entry.txt: the top-level bugreport-*.txt is the report.
    candidates = [n for n in names if "/" not in n and n.startswith("bugreport") and n.endswith(".txt")]
    return sorted(candidates)[0] if candidates else None


def _rotation_order(member: str) -> tuple[int, str]:
    # logcat, logcat.001, logcat.002 ...: a higher number is older, so it comes first.
    suffix = member.rsplit(".", 1)[-1]
    return (-int(suffix), member) if suffix.isdigit() else (0, member)


def _member_opener(archive: zipfile.ZipFile, member: str) -> Callable[[], BinaryIO]:
    def open_member() -> BinaryIO:
        # zipfile's and gzip's streams are binary streams; typeshed types them as IO[bytes] and BufferedIOBase
        stream = archive.open(member)
        if member.endswith(".gz"):
            return cast(BinaryIO, gzip.GzipFile(fileobj=stream))
        return cast(BinaryIO, stream)

    return open_member


def read_problem(name: str, exc: BaseException) -> InputError:
    """A read failure in the middle of a stream, as a one-line message."""
    if isinstance(exc, EOFError | gzip.BadGzipFile) or "gzip" in type(exc).__name__.lower():
        return InputError(name, f"truncated or corrupt compressed data ({exc}); events before the damage are kept")
    if isinstance(exc, zipfile.BadZipFile):
        return InputError(name, f"damaged zip member ({exc}); events before the damage are kept")
    if isinstance(exc, OSError):
        return InputError(name, f"read error: {exc.strerror or exc}")
    return InputError(name, f"unreadable: {exc}")


# -- sysdiagnose (tar.gz) ------------------------------------------------------------------------
# A sysdiagnose is a tar.gz: crash and jetsam reports under crashes_and_spins/ (.ips), text summaries
# and logs, and the unified log as a binary system_logs.logarchive (tracev3), which nothing on Linux
# reads. The archive is read in one forward pass (random access into a .tar.gz would decompress it
# again per member), and each chosen member is streamed to the parser while the pass stands on it:
# nothing is held in memory, whatever a member's size. Text members are kept only when their first
# SNIFF_BYTES are a log or report bgprobe recognizes, so the hundreds of other files of a sysdiagnose
# do not each become an "unrecognized format" problem.

LOGARCHIVE_NOTE = (
    "binary unified-log archive (tracev3): not read on Linux; on a Mac run "
    "`log show --archive <path> --style syslog > log.txt` and scan log.txt"
)
_TAR_REPORT_SUFFIXES = (".ips", ".crash", ".synced")
_TAR_TEXT_SUFFIXES = (".log", ".txt")
SNIFF_BYTES = 64 << 10


def _logarchive_root(name: str) -> str | None:
    marker = ".logarchive"
    at = name.find(marker + "/")
    if at == -1:
        return name if name.endswith(marker) else None
    return name[: at + len(marker)]


def _is_tar(path: Path, magic: bytes) -> bool:
    try:
        if magic[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as f:
                block = f.read(512)
        else:
            with path.open("rb") as f:
                block = f.read(512)
    except (OSError, EOFError, gzip.BadGzipFile):
        return False
    return len(block) >= 262 and block[257:262] == b"ustar"


def _tar_sources(path: Path, problems: list[InputError], ref: date | None) -> Iterator[Source]:
    from bgprobe.collectors.inputs.textscan import _detect

    name = str(path)
    archives: set[str] = set()
    chosen = 0
    damaged: list[bool] = []  # set by a member whose read failed: its problem is already reported
    try:
        with _open_regular(path) as raw, tarfile.open(fileobj=raw, mode="r|*") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                root = _logarchive_root(member.name)
                if root is not None:
                    archives.add(root)
                    continue
                lower = member.name.lower()
                report = lower.endswith(_TAR_REPORT_SUFFIXES)
                if not (report or lower.endswith(_TAR_TEXT_SUFFIXES)):
                    continue
                f = tar.extractfile(member)
                if f is None:
                    continue
                head = f.read(SNIFF_BYTES)
                if not report and _detect(head.decode("utf-8", "replace").splitlines()[:400]) is None:
                    continue
                when = datetime.fromtimestamp(member.mtime).date() if member.mtime > 315532800 else ref
                chosen += 1
                stream = io.BufferedReader(_TarMember(head, f, damaged), SNIFF_BYTES)
                # The consumer reads the member now, before it asks for the next source.
                yield Source(f"{name}!{member.name}", _once(stream), when or ref)
    except (tarfile.TarError, OSError, EOFError, zlib_error) as exc:
        if not damaged:
            problems.append(InputError(name, f"not a readable tar archive (truncated or damaged: {exc})"))
    for archive in sorted(archives):
        problems.append(InputError(f"{name}!{archive}", LOGARCHIVE_NOTE))
    if not chosen and not archives and not damaged:
        problems.append(InputError(name, "tar archive has no logs or .ips reports to read"))


class _TarMember(io.RawIOBase):
    """A tar member as the one pass reads it: the prefix already read for detection, then the rest
    straight from the archive stream."""

    def __init__(self, head: bytes, member: IO[bytes], damaged: list[bool]) -> None:
        self._head = memoryview(head)
        self._member = member
        self._damaged = damaged

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        try:
            # At most 1 MiB a read: tarfile copies what it returns a few times over on its way.
            data = self._member.read(min(len(buffer), 1 << 20))
        except (tarfile.TarError, OSError, EOFError, zlib_error) as exc:
            self._damaged.append(True)  # the archive ends here: the pass stops with this member's problem
            raise EOFError(f"archive truncated or damaged inside this member: {exc}") from exc
        buffer[: len(data)] = data
        return len(data)


def _once(stream: BinaryIO) -> Callable[[], BinaryIO]:
    return lambda: stream
