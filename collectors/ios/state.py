"""iOS conditions put on and taken back: network=/thermal= held through DVT's ConditionInducer while a command
runs, Low Power Mode switched by the operator with powerd's log as the witness, and the journal entries an
interrupted command left (`bgprobe restore`). `cli/state.py` chooses the phone and prints: `say` gets each
progress line, `problem` each warning, `ask` puts a question to the operator and waits for Enter."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bgprobe.collectors.errors import EXIT_INTERRUPTED

if TYPE_CHECKING:
    from bgprobe.collectors.ios.address import IosTarget
    from bgprobe.collectors.ios.conditions import IosAssignment
    from bgprobe.collectors.journal import Change

Say = Callable[[str], None]


def switch_lowpower(
    target: IosTarget, udid: str, value: str, ask: Say, say: Say, problem: Say, *, restoring: bool = False
) -> None:
    """The operator switches Low Power Mode; powerd's log is watched from before the question (its lines come
    when the switch is flipped, usually before Enter). The change is journaled whatever the log says: nothing
    else would remind anyone to switch it back."""
    import asyncio

    from bgprobe.collectors.ios.conditions import LowpowerWatch, lowpower_instructions, lowpower_undo
    from bgprobe.collectors.ios.transport import device_errors, lockdown
    from bgprobe.collectors.ios.watch import syslog_lines
    from bgprobe.collectors.journal import Journal, ios_key

    journal = Journal(ios_key(udid), udid)
    earlier = [] if restoring else [c for c in journal.pending() if c.key == "lowpower"]
    # what to come back to: the state before bgprobe's first switch, else the opposite of what is asked for
    prior = earlier[0].prior if earlier else ("off" if value == "on" else "on")
    journaled = not restoring and value != prior

    # The log is read on a thread of its own, connected before the question: powerd logs the moment the switch is
    # flipped, usually before Enter. The question stays on this thread, so Ctrl-C interrupts it as usual.
    import concurrent.futures
    import threading

    connected, asked = threading.Event(), threading.Event()
    outcome: concurrent.futures.Future[tuple[str, str | None]] = concurrent.futures.Future()
    seen: dict[str, str | None] = {}

    async def watch_log() -> tuple[str, str | None]:
        async with lockdown(target, udid) as client, device_errors("device log", udid):
            seen["name"] = client.all_values.get("DeviceName")
            opened = asyncio.Event()
            watch = LowpowerWatch(syslog_lines(client, opened)).start()
            try:
                await asyncio.wait_for(opened.wait(), 10.0)
                connected.set()
                while not asked.is_set():
                    await asyncio.sleep(0.1)
                return await watch.result(value, 20.0)
            finally:
                await watch.stop()

    def runner() -> None:
        try:
            outcome.set_result(asyncio.run(watch_log()))
        except BaseException as exc:
            outcome.set_exception(exc)
        finally:
            connected.set()

    threading.Thread(target=runner, daemon=True, name=f"lpm-{udid[:12]}").start()
    connected.wait(30.0)
    if outcome.done():
        outcome.result()  # the log could not be opened: that error, before anything is asked or journaled
    # journaled before the operator is asked: from here on the phone may be changed
    for change in earlier:
        journal.mark_undone(change)
    if journaled:
        journal.record("lowpower", value, lowpower_undo(prior), prior=prior)
    try:
        ask(lowpower_instructions(udid, seen.get("name"), value))
    finally:
        asked.set()
    say(f"{udid}: waiting up to 20 s for powerd to report Low Power Mode {value}…")
    verdict, line = outcome.result(timeout=60.0)
    if verdict == "confirmed":
        say(f"{udid}: lowpower={value} confirmed by the device log: {line}")
    elif verdict == "contradicted":
        problem(f"{udid}: lowpower={value} unconfirmed: powerd's last word was the opposite: {line}")
    else:
        problem(
            f"{udid}: lowpower={value} unconfirmed: powerd logged no Low Power Mode change within 20 s "
            "(was it already so, or not flipped?)"
        )
    if journaled:
        say(f"{udid}: lowpower={value} journaled (was: {prior}): `bgprobe restore --udid {udid}` asks for it back")


async def hold_condition(
    target: IosTarget, udid: str, assignment: IosAssignment, duration: float | None, say: Say
) -> int:
    """Hold one ConditionInducer profile; SIGINT/SIGTERM end the hold (exit 130), the profile is cleared. A
    condition the phone drops early (lost tunnel or DVT connection) ends the command with exit 3."""
    import asyncio
    import signal

    from bgprobe.collectors.ios.conditions import ConditionLost, dvt_inducer, hold, keep
    from bgprobe.collectors.ios.transport import (
        IosError,
        developer_provider,
        device_errors,
        lockdown,
        require_developer_services,
    )
    from bgprobe.collectors.journal import Journal, ios_key

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    interrupted = False
    release = asyncio.Event()

    def stop() -> None:
        nonlocal interrupted
        interrupted = True
        if task is not None:
            task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)

    async def wait() -> None:
        if duration is None:
            say(f"{udid}: holding {assignment}; Ctrl-C ends it")
        else:
            loop.call_later(duration, release.set)
        try:
            await keep(inducer, assignment.value, release)
        except ConditionLost as lost:
            raise IosError(f"{udid}: {assignment} ended early: {lost}") from None

    try:
        what = "DVT ConditionInducer"
        async with lockdown(target, udid) as client:
            await require_developer_services(client, target, udid)
            async with (
                developer_provider(target, udid, client) as provider,
                device_errors(what, udid),
                dvt_inducer(provider) as inducer,
            ):
                await hold(
                    inducer,
                    Journal(ios_key(udid), udid),
                    assignment,
                    wait,
                    say=lambda m: say(f"{udid}: {m}"),
                )
    except asyncio.CancelledError:
        if not interrupted:
            raise
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    if interrupted:
        say(f"{udid}: {assignment} cleared")
        return EXIT_INTERRUPTED
    if duration:
        say(f"{udid}: {assignment} cleared after {duration:g} s")
    return 0


def restore_ios(
    pending: dict[str, list[Change]],
    wait: float,
    usbmux: str | None,
    timeout: float | None,
    *,
    can_ask: bool,
    ask: Say,
    say: Say,
    problem: Say,
) -> tuple[int, bool]:
    """Close the journal entries an interrupted iOS command left: (closed, trouble). A hold still running holds
    the iPhone's lock: wait for it. A ConditionInducer condition ended with bgprobe's DVT connection; when the
    phone can be reached its active profile is read, and cleared only if it is the journaled one (another
    client's condition is left alone). Low Power Mode needs the operator: on a terminal they are asked to switch
    it back (`ask`, only when `can_ask`); without one the entry stays (exit 3) so that every command keeps
    reminding."""
    from bgprobe.collectors.ios.address import make_target, usbmux_configured
    from bgprobe.collectors.journal import IOS_PREFIX, Journal
    from bgprobe.collectors.locks import device_lock

    closed, trouble = 0, False
    for key in pending:
        udid = key[len(IOS_PREFIX) :]
        with device_lock(key, udid, "restore", wait):
            journal = Journal(key)
            changes = journal.pending()  # again under the lock: a holder that just ended closed its own
            dvt = [c for c in changes if c.key in ("network", "thermal")]
            lowpower = [c for c in changes if c.key == "lowpower"]
            for c in changes:
                if c not in dvt and c not in lowpower:
                    problem(f"{udid}: journaled {c.key}={c.value} is not something bgprobe sets on an iPhone")
                    trouble = True
            if dvt:
                active: str | None = None
                why: str | None = "no usbmuxd configured"
                if usbmux_configured(usbmux):
                    active, why = read_active_condition(make_target(usbmux, udid, timeout), udid)
                for c in dvt:
                    closed += 1
                    if why is None and active == c.value:
                        cleared = clear_active_condition(make_target(usbmux, udid, timeout), udid, c.value)
                        say(f"{udid}: {c.key}={c.value} was still active on the phone: {cleared}")
                    elif why is None:
                        say(
                            f"{udid}: {c.key}={c.value} ended when bgprobe's DVT connection closed (the phone's "
                            f"active condition is {active or 'none'}; left as it is); journal entry closed"
                        )
                    else:
                        say(
                            f"{udid}: {c.key}={c.value} ended when bgprobe's DVT connection closed "
                            f"(ConditionInducer conditions do not outlive it; not checked on the phone: {why}); "
                            "journal entry closed"
                        )
                    journal.mark_undone(c)
            for c in lowpower:
                if not can_ask:
                    problem(
                        f"{udid}: lowpower={c.value} is still journaled: switch Low Power Mode {c.prior.upper()} in "
                        f"Settings › Battery, then run `bgprobe restore --udid {udid}` on a terminal to close it"
                    )
                    trouble = True
                    continue
                switch_lowpower(make_target(usbmux, udid, timeout), udid, c.prior, ask, say, problem, restoring=True)
                journal.mark_undone(c)  # the operator was asked, and answered for it
                closed += 1
    return closed, trouble


def read_active_condition(target: IosTarget, udid: str) -> tuple[str | None, str | None]:
    """(active profile, None) from the phone, or (None, why it could not be read)."""
    from bgprobe.collectors.errors import BgprobeError
    from bgprobe.collectors.ios.conditions import active_condition, dvt_inducer
    from bgprobe.collectors.ios.transport import (
        developer_provider,
        device_errors,
        lockdown,
        require_developer_services,
        run,
    )

    async def read() -> str | None:
        async with lockdown(target, udid) as client:
            await require_developer_services(client, target, udid)
            async with (
                developer_provider(target, udid, client) as provider,
                device_errors("DVT ConditionInducer", udid),
                dvt_inducer(provider) as inducer,
            ):
                return active_condition(await inducer.list())

    try:
        return run(read()), None
    except BgprobeError as err:
        return None, err.message


def clear_active_condition(target: IosTarget, udid: str, profile: str) -> str:
    from bgprobe.collectors.errors import BgprobeError
    from bgprobe.collectors.ios.conditions import active_condition, dvt_inducer
    from bgprobe.collectors.ios.transport import developer_provider, device_errors, lockdown, run

    async def clear() -> str:
        async with (
            lockdown(target, udid) as client,
            developer_provider(target, udid, client) as provider,
            device_errors("DVT ConditionInducer", udid),
            dvt_inducer(provider) as inducer,
        ):
            if active_condition(await inducer.list()) != profile:
                return "it ended meanwhile"
            await inducer.clear()
            after = active_condition(await inducer.list())
            return "cleared" if after is None else f"asked to clear, but the phone still has {after}"

    try:
        return run(clear())
    except BgprobeError as err:
        return f"could not clear it ({err.message})"
