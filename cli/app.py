"""`bgprobe`: the typer app. Commands live in one module per group and import heavy parts lazily."""

from __future__ import annotations

import copy
import importlib
import math
import sys
import traceback
from typing import Any

import click
import typer
from bgprobe.cli.console import Output
from bgprobe.collectors.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, BgprobeError

# Every command: its name -> (module in bgprobe.cli, function or sub-app, what `app.command` is given). A run
# imports and builds only the command it was asked for (start-up: importing and building all sixteen cost a
# tenth of a second, half of `bgprobe scan`'s time on a small file); `--help`, no command or a typo build all.
COMMANDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "devices": ("devices", "devices", {}),
    "info": ("devices", "info", {"no_args_is_help": True}),
    "jobs": ("jobs", "jobs", {"no_args_is_help": True}),
    "trigger": ("jobs", "trigger_cmd", {"no_args_is_help": True}),
    "doctor": ("doctor", "doctor", {"no_args_is_help": True}),
    "state": ("state", "app", {}),  # a group: state show|set
    "restore": ("state", "restore", {}),
    "watch": ("watch", "watch", {}),
    "run": ("run", "run", {}),
    "scan": ("scan", "scan", {"no_args_is_help": True}),
    "sim": ("sim", "app", {}),  # a group: sim start|status|stop
    "report": ("report", "report", {"no_args_is_help": True}),
    "demo": ("demo", "demo", {}),
}


def build_app(names: list[str] | None = None) -> typer.Typer:
    """The typer app with the named commands (all when None), in COMMANDS' order (that of `--help`)."""
    app = typer.Typer(
        name="bgprobe",
        help="Field diagnostics for mobile background-task reliability.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        suggest_commands=False,  # click already says "Did you mean 'scan'?": typer would say it again
    )
    app.callback()(_root)
    for name, (module, attr, options) in COMMANDS.items():
        if names is not None and name not in names:
            continue
        target = getattr(importlib.import_module(f"bgprobe.cli.{module}"), attr)
        if isinstance(target, typer.Typer):
            app.add_typer(target, name=name)
        else:
            app.command(name, **options)(target)
    return app


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("bgprobe")
        except PackageNotFoundError:  # run from a checkout that was not installed
            number = "unknown"
        sys.stdout.write(f"bgprobe {number}\n")
        raise typer.Exit(0)


def _root(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Tracebacks and more detail on errors."),
    no_color: bool = typer.Option(False, "--no-color", help="No colour, even on a terminal."),
    version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True, help="Print bgprobe's version and exit."
    ),
) -> None:
    ctx.obj = Output.create(no_color=no_color, verbose=verbose)


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


def _asked_for(argv: list[str]) -> list[str] | None:
    """The one command a run needs, when the first word after the global flags names one; else None (all)."""
    words = [a for a in argv if a not in _GLOBAL_FLAGS]
    if words and words[0] in COMMANDS:
        return [words[0]]
    return None


def _traceback(verbose: bool) -> None:
    """-v: the traceback first; the one-line message and the exit code stay what they are without -v."""
    if verbose:
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()


def main() -> None:
    argv = _hoist_global_flags(sys.argv[1:])
    verbose = "-v" in argv or "--verbose" in argv
    try:
        command = _finite_floats(typer.main.get_command(build_app(_asked_for(argv))))
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
