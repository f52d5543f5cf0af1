"""The ``review`` command line: options, input and output, exit codes.

Thin glue over ``pipeline``; the only module that imports typer. Exit codes:
0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 input or
usage error (``ReviewError``); 3 internal error; 130 interrupted.
"""

from __future__ import annotations

import sys

import typer

from reviewtool import __version__
from reviewtool.errors import ReviewError

app = typer.Typer(
    name="review",
    help="Review QEMU patch series the way a careful maintainer would.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"review {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Review QEMU patch series the way a careful maintainer would."""


# --- commands are added below, one function each -------------------------


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``review`` console script; exits with the run's code.

    typer (standalone mode) turns usage errors into exit 2 and ``typer.Exit``
    into its code; the stage errors are mapped here, in one place.
    """
    try:
        app(args=argv, prog_name="review")
    except ReviewError as e:
        print(f"review: error: {e.render()}", file=sys.stderr)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:  # a bug: keep the traceback, say so, exit 3
        import traceback

        traceback.print_exc()
        print("review: internal error (a bug in review; please report it)", file=sys.stderr)
        sys.exit(3)
