"""`bgprobe`: the typer app. Commands live in one module per group and import heavy parts lazily."""

from __future__ import annotations

import copy
import math
import sys
import traceback

import click
import typer
from bgprobe.cli import demo as demo_cmd
from bgprobe.cli import devices as devices_cmd
from bgprobe.cli import doctor as doctor_cmd
from bgprobe.cli import jobs as jobs_cmd
from bgprobe.cli import report as report_cmd
from bgprobe.cli import run as run_cmd
from bgprobe.cli import scan as scan_cmd
from bgprobe.cli import sim as sim_cmd
from bgprobe.cli import state as state_cmd
from bgprobe.cli import watch as watch_cmd
from bgprobe.cli.console import Output
from bgprobe.collectors.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, BgprobeError

app = typer.Typer(
    name="bgprobe",
    help="Field diagnostics for mobile background-task reliability.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("bgprobe")
        except PackageNotFoundError:  # run from a checkout that was not installed
            number = "unknown"
        sys.stdout.write(f"bgprobe {number}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Tracebacks and more detail on errors."),
    no_color: bool = typer.Option(False, "--no-color", help="No colour, even on a terminal."),
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print bgprobe's version and exit."
    ),
) -> None:
    ctx.obj = Output.create(no_color=no_color, verbose=verbose)


app.command("devices")(devices_cmd.devices)
app.command("info", no_args_is_help=True)(devices_cmd.info)
app.command("jobs", no_args_is_help=True)(jobs_cmd.jobs)
app.command("trigger", no_args_is_help=True)(jobs_cmd.trigger_cmd)
app.command("doctor", no_args_is_help=True)(doctor_cmd.doctor)
app.add_typer(state_cmd.app, name="state")
app.command("restore")(state_cmd.restore)
app.command("watch")(watch_cmd.watch)
app.command("run")(run_cmd.run)
app.command("scan", no_args_is_help=True)(scan_cmd.scan)
app.add_typer(sim_cmd.app, name="sim")
app.command("report", no_args_is_help=True)(report_cmd.report)
app.command("demo")(demo_cmd.demo)


# Options that belong to every command: accepted before or after the command name.
_GLOBAL_FLAGS = {"-v", "--verbose", "--no-color"}


def _hoist_global_flags(argv: list[str]) -> list[str]:
    """`bgprobe scan x --no-color` works like `bgprobe --no-color scan x` (flags before `--` only)."""
    end = argv.index("--") if "--" in argv else len(argv)
    flags = [a for a in argv[:end] if a in _GLOBAL_FLAGS]
    rest = [a for a in argv[:end] if a not in _GLOBAL_FLAGS] + argv[end:]
    return flags + rest


class _FiniteFloat(click.ParamType):
    """Mixed into each float option's type: `nan` and `inf` parse as floats, but no time-out, wait,
    duration, speed or rate means anything with them (a NaN deadline never passes)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if isinstance(number, float) and not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


_FINITE_TYPES: dict[type, type] = {}


def _finite_floats(command: click.Command) -> click.Command:
    """Every float option of every command rejects nan and inf (one rule, not one check per option)."""
    for param in command.params:
        kind = param.type
        if isinstance(kind, click.types.FloatParamType) and not isinstance(kind, _FiniteFloat):
            cls = type(kind)
            finite = _FINITE_TYPES.setdefault(cls, type(f"Finite{cls.__name__}", (_FiniteFloat, cls), {}))
            param.type = copy.copy(kind)  # click.FLOAT is shared: change a copy, never the original
            param.type.__class__ = finite
    for sub in getattr(command, "commands", {}).values():
        _finite_floats(sub)
    return command


def _traceback(verbose: bool) -> None:
    """-v: the traceback first; the one-line message and the exit code stay what they are without -v."""
    if verbose:
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()


def main() -> None:
    argv = _hoist_global_flags(sys.argv[1:])
    verbose = "-v" in argv or "--verbose" in argv
    try:
        command = _finite_floats(typer.main.get_command(app))
        code = command.main(args=argv, prog_name="bgprobe", standalone_mode=False)
    except BgprobeError as err:
        _traceback(verbose)
        Output.create().problem(err.message)
        sys.exit(err.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        sys.exit(EXIT_INTERRUPTED)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as usage:  # usage errors: message, help hint, exit 2
        _traceback(verbose)
        usage.show()
        sys.exit(usage.exit_code)
    except Exception as exc:
        _traceback(verbose)
        detail = " ".join(str(exc).split())  # one line, whatever the exception's text looks like
        Output.create().problem(f"internal error: {type(exc).__name__}: {detail} (run with -v for a traceback)")
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
