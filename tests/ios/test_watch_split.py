"""pymobiledevice3 11.45 SyslogService.watch() re-yields earlier lines when a read ends on b"\\n\\0";
bgprobe's reader splits the same service connection itself and yields each record once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bgprobe.collectors.ios.transport import lockdown, make_target
from bgprobe.collectors.ios.watch import split_records, syslog_lines
from bgprobe.sim.ios.fleet import IosSimulator
from pymobiledevice3.services.syslog import SyslogService


async def _chunks(parts: list[bytes]):
    for p in parts:
        yield p


def split(parts: list[bytes]) -> list[str]:
    async def main() -> list[str]:
        return [r async for r in split_records(_chunks(parts))]

    return asyncio.run(main())


def test_split_records_on_every_kind_of_boundary() -> None:
    assert split([b"A\n\x00", b"B\n\x00", b"C\n\x00"]) == ["A", "B", "C"]  # chunks ending on the delimiter
    assert split([b"A\n\x00B", b"1\n\x00C", b"\n\x00"]) == ["A", "B1", "C"]  # partial records carried over
    assert split([b"A\n", b"\x00B\n\x00"]) == ["A", "B"]  # the delimiter cut between two reads
    assert split([b"multi\nline\n\x00\n\x00x\n\x00"]) == ["multi\nline", "x"]  # embedded newline kept, empty skipped
    assert split([b"same\n\x00same\n\x00"]) == ["same", "same"]  # real repeats are not dropped
    assert split([b"caf\xc3", b"\xa9\n\x00"]) == ["café"]  # UTF-8 cut between reads


def _scripted(reader_factory, tmp: Path) -> list[str]:
    """Emit A..D one at a time on a phone that writes `line\\n\\0` per record, as real phones do."""

    async def body() -> list[str]:
        async with IosSimulator(1, speed=1, split_writes=False) as sim:
            dev = sim.device(sim.udids[0])
            got: list[str] = []
            async with lockdown(make_target(sim.address), sim.udids[0]) as client:

                async def read() -> None:
                    async for line in reader_factory(client):
                        got.append(line.rsplit(": ", 1)[1])

                task = asyncio.create_task(read())
                while not dev._subscribers:
                    await asyncio.sleep(0.01)
                for word in "ABCD":
                    dev.emit(dev.procs["dasd"], word)
                    await asyncio.sleep(0.12)
                task.cancel()
            return got

    return asyncio.run(asyncio.wait_for(body(), 20))


def test_upstream_reyields_and_bgprobe_does_not(tmp_path: Path) -> None:
    upstream = _scripted(lambda c: SyslogService(c).watch(), tmp_path)
    assert upstream[:6] == ["A", "A", "B", "A", "B", "C"]  # the bug, on the real pmd3
    assert _scripted(syslog_lines, tmp_path) == ["A", "B", "C", "D"]
