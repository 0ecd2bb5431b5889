"""`bgprobe`: the typer app. Commands live in one module per group and import heavy parts lazily."""

from __future__ import annotations

import sys

import typer

from bgprobe.cli import scan as scan_cmd
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


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Tracebacks and more detail on errors."),
    no_color: bool = typer.Option(False, "--no-color", help="No colour, even on a terminal."),
) -> None:
    ctx.obj = Output.create(no_color=no_color, verbose=verbose)


app.command("scan", no_args_is_help=True)(scan_cmd.scan)


def main() -> None:
    verbose = "-v" in sys.argv[1:] or "--verbose" in sys.argv[1:]
    try:
        app(standalone_mode=False)
    except BgprobeError as err:
        if verbose:
            raise
        Output.create().problem(err.message)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and anything unforeseen
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(2)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(EXIT_INTERRUPTED)
        if verbose:
            raise
        Output.create().problem(f"internal error: {type(exc).__name__}: {exc} (run with -v for a traceback)")
        sys.exit(EXIT_INTERNAL)
