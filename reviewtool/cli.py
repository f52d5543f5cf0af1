"""The ``review`` command line: options, input and output, exit codes.

Thin glue over ``pipeline``; the only module that imports typer. Exit codes:
0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 input or
usage error (``ReviewError``); 3 internal error; 130 interrupted.
"""

from __future__ import annotations

import enum
import os
import shutil
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from reviewtool import __version__
from reviewtool.errors import InputError, ReviewError, UsageError

if TYPE_CHECKING:  # annotations only: each command imports its stages lazily
    from reviewtool.report.terminal import ProgressBar

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


# --- options several commands share ----------------------------------------

INPUT_HELP = "mbox, Maildir, .eml/.patch file, directory of format-patch files, or - (stdin)."
TREE_DEFAULT = (
    "(default: the current directory if it is a QEMU tree, else the bundled sample tree)."
)

Inputs = Annotated[list[str], typer.Argument(metavar="INPUT...", help=INPUT_HELP)]
TreeOption = Annotated[
    str | None, typer.Option("--tree", metavar="DIR", help=f"QEMU tree to apply to {TREE_DEFAULT}")
]
RevOption = Annotated[
    str | None,
    typer.Option(
        "--rev", metavar="REV", help="Git revision of --tree (read from git, no checkout)."
    ),
]


def _series_version(default: str) -> Any:
    """``--series-version N``; ``default`` names the version used without it."""
    return typer.Option(
        "--series-version", min=1, metavar="N", help=f"Series version (default: {default})."
    )


class TextOrJson(enum.StrEnum):
    """--format of ``review apply``, ``show`` and ``qapi``."""

    text = "text"
    json = "json"


FormatOption = Annotated[TextOrJson, typer.Option("--format", help="text or json.")]


class FailOn(enum.StrEnum):
    """--fail-on: the lowest severity that makes ``review check`` exit 1."""

    error = "error"
    warning = "warning"
    never = "never"


# --- errors and terminal ----------------------------------------------------


def _stop(e: ReviewError) -> NoReturn:
    """Report a ReviewError the one-line way and exit with its code (2)."""
    typer.echo(f"review: error: {e.render()}", err=True)
    raise typer.Exit(e.exit_code)


def _crash() -> NoReturn:
    """A bug in review itself (not a check: those become X999 findings): exit 3."""
    import traceback

    typer.echo(traceback.format_exc(), err=True, nl=False)
    typer.echo("review: internal error (a bug in review; please report it)", err=True)
    raise typer.Exit(3)


def _color_allowed(environ: Mapping[str, str]) -> bool:
    """Colour unless NO_COLOR is set to anything but "" (https://no-color.org)."""
    return not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


def _progress_bar() -> ProgressBar:
    """``review check``'s progress bar (rich is imported only when one is drawn)."""
    from reviewtool.report.terminal import ProgressBar

    return ProgressBar()


_ProgressBar = _progress_bar  # the name tests/test_check_cli.py uses


# --- commands, one function each ----------------------------------------------


@app.command("apply")
def apply_command(
    inputs: Inputs,
    tree: TreeOption = None,
    rev: RevOption = None,
    series_version: Annotated[int | None, _series_version("newest")] = None,
    context_reduce: Annotated[
        int | None,
        typer.Option(
            "--context-reduce",
            min=0,
            metavar="N",
            help="Like git apply -C N: drop context lines, keeping at least N, when a hunk "
            "does not match (default: off).",
        ),
    ] = None,
    ignore_whitespace: Annotated[
        bool,
        typer.Option(
            "--ignore-whitespace", help="Match context lines ignoring whitespace changes."
        ),
    ] = False,
    output_format: FormatOption = TextOrJson.text,
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            metavar="DIR",
            help="Write the full post-image tree into DIR (new or empty directory).",
        ),
    ] = None,
) -> None:
    """Apply the series in memory: per patch, file and hunk: applied, offset, failed (why).

    Nothing is written to the tree. Exit status: 0 every hunk applied, 1 some
    hunk or file failed, 2 input or usage error.
    """
    import json
    from pathlib import Path

    from reviewtool.apply import ApplyOptions, apply_series, render_apply_text
    from reviewtool.mail.mbox import iter_messages
    from reviewtool.report.post_image import check_out_dir, write_tree
    from reviewtool.series import SCHEMA_VERSION, build_series
    from reviewtool.tree import load_tree

    try:
        if out is not None:
            check_out_dir(Path(out))
        series = build_series(iter_messages(inputs), version=series_version)
        base = load_tree(tree, rev, Path.cwd())
        options = ApplyOptions(context_reduce=context_reduce, ignore_whitespace=ignore_whitespace)
        applied = apply_series(base, series, options)
        if out is not None:
            write_tree(applied.final, Path(out))
    except ReviewError as e:
        _stop(e)
    if output_format is TextOrJson.json:
        document = {"schema_version": SCHEMA_VERSION, "series": series.to_dict()}
        document.update(applied.to_dict())
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        titles = {p.index: p.subject.text for p in series.patches}
        typer.echo(render_apply_text(applied, titles), nl=False)
        if out is not None:
            typer.echo(f"post-image tree written to {out}")
    if not applied.ok:
        raise typer.Exit(1)


@app.command("check")
def check_command(
    inputs: Inputs,
    tree: TreeOption = None,
    rev: RevOption = None,
    series_version: Annotated[int | None, _series_version("the newest")] = None,
    output_format: str = typer.Option(
        "text", "--format", metavar="FORMAT", help="text, json, sarif, markdown or email."
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="FILE", help="Write the report to FILE, not stdout."
    ),
    fail_on: FailOn = typer.Option(
        FailOn.error, "--fail-on", help="Exit 1 when a finding is at least this severe."
    ),
    select: list[str] = typer.Option(
        [], "--select", metavar="CODES", help="Only these checks (codes or prefixes: X1,M004)."
    ),
    ignore: list[str] = typer.Option(
        [], "--ignore", metavar="CODES", help="Skip these checks (codes or prefixes)."
    ),
    clean_mail: bool = typer.Option(
        False, "--clean-mail", help="--format email: reply even when nothing is found."
    ),
) -> None:
    """Review a patch series: read, assemble, apply, parse QAPI, run every check, report.

    Exit status: 0 nothing at or above --fail-on, 1 findings at or above it,
    2 input or usage error, 3 internal error.
    """
    from reviewtool.checks.runner import parse_codes
    from reviewtool.findings import Severity
    from reviewtool.pipeline import ReviewOptions, review
    from reviewtool.report import RENDERERS, render

    try:
        if output_format not in RENDERERS:
            known = ", ".join(RENDERERS)
            raise UsageError(f"unknown --format {output_format!r} (known: {known})")
        if clean_mail and output_format != "email":
            raise UsageError("--clean-mail only applies to --format email")
        options = ReviewOptions(
            tree=tree,
            rev=rev,
            series_version=series_version,
            select=parse_codes(select),
            ignore=parse_codes(ignore),
        )
        to_terminal = output is None and sys.stdout.isatty()
        progress = _progress_bar() if to_terminal else None
        try:
            report = review(inputs, options, progress=progress)
        finally:
            if progress is not None:
                progress.close()
    except ReviewError as e:
        _stop(e)
    except Exception:
        _crash()

    try:  # a renderer that crashes is a bug in review, like a crashing pipeline
        rendered = render(
            report,
            output_format,
            color=to_terminal and _color_allowed(os.environ),
            width=shutil.get_terminal_size().columns if to_terminal else 100,
            clean_mail=clean_mail,
        )
    except Exception:
        _crash()

    if rendered is not None:
        if output is None:
            typer.echo(rendered, nl=False)
        else:
            try:
                with open(output, "w", encoding="utf-8") as out:
                    out.write(rendered)
            except OSError as e:
                _stop(InputError(f"cannot write the report: {e.strerror}", path=output))

    if fail_on is not FailOn.never and report.at_or_above(Severity(fail_on.value)):
        raise typer.Exit(1)


@app.command("show")
def show_command(
    inputs: Inputs,
    series_version: Annotated[int | None, _series_version("the newest")] = None,
    output_format: FormatOption = TextOrJson.text,
) -> None:
    """Print the series outline: version, slots, authors, trailers, MISSING slots, base.

    Exit status: 0 shown, 2 the input cannot be read or holds no patch.
    """
    import json

    from reviewtool.mail.mbox import iter_messages
    from reviewtool.series import SCHEMA_VERSION, build_series

    try:
        series = build_series(iter_messages(inputs), version=series_version)
    except ReviewError as e:
        _stop(e)
    if output_format is TextOrJson.json:
        document = {"schema_version": SCHEMA_VERSION, "series": series.to_dict()}
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    from rich.console import Console

    from reviewtool.report.terminal import render_outline

    # rich decides for stdout, as it always has for `show`: a tty (or
    # FORCE_COLOR) gets styles unless TERM=dumb; NO_COLOR keeps bold, drops colour
    stdout = Console()
    styled = stdout.color_system is not None
    sys.stdout.write(
        render_outline(series, styled=styled, color=not stdout.no_color, width=stdout.width)
    )
    sys.stdout.flush()


@app.command("checks")
def checks_command() -> None:
    """List the check catalogue: code, name, default severity, scope, summary."""
    from reviewtool.checks.runner import catalogue
    from reviewtool.report.catalogue import render_catalogue

    typer.echo(render_catalogue(catalogue()), nl=False)


@app.command("explain")
def explain_command(
    code: str = typer.Argument(..., metavar="CODE", help="A check code such as M011 or X101."),
) -> None:
    """Print one check's documentation (its docstring)."""
    from reviewtool.checks.runner import catalogue
    from reviewtool.report.catalogue import render_explanation

    spec = next((s for s in catalogue() if s.code == code.strip().upper()), None)
    if spec is None:
        _stop(UsageError(f"unknown check code {code!r} (see `review checks`)"))
    typer.echo(render_explanation(spec), nl=False)


@app.command("watch")
def watch_command(
    maildir: str = typer.Argument(..., help="Inbox Maildir the list delivers into (only read)."),
    tree: str = typer.Option(..., "--tree", help="QEMU tree to review against."),
    rev: str | None = typer.Option(None, "--rev", help="Git revision of --tree to use."),
    outbox: str = typer.Option(..., "--outbox", help="Maildir to write reply mails into."),
    state: str | None = typer.Option(
        None, "--state", help="SQLite state file [default: beside the outbox, a dotfile]."
    ),
    once: bool = typer.Option(False, "--once", help="Process what is there, then exit."),
    wait_timeout: float = typer.Option(
        3600.0, "--wait-timeout", min=0, help="Seconds to wait for missing patches."
    ),
    interval: float = typer.Option(60.0, "--interval", min=0.1, help="Seconds between polls."),
    sender: str = typer.Option(
        "review <review@localhost>", "--from", help="From: address of the replies."
    ),
) -> None:
    """Reply once to each complete series delivered into MAILDIR (a list bot).

    Series are grouped by thread; a series missing patches is checked after
    --wait-timeout with what it has; discussions (no diff) are ignored.
    """
    from pathlib import Path

    from reviewtool.tree import load_tree
    from reviewtool.watch import Watcher, pipeline_check

    base = load_tree(tree, rev, Path.cwd())
    watcher = Watcher(
        Path(maildir),
        Path(outbox),
        pipeline_check(base, sender=sender),
        state=Path(state) if state else None,
        wait_timeout=wait_timeout,
    )
    try:
        watcher.run(interval=interval, once=once)
    finally:
        watcher.close()


@app.command("scan")
def scan_command(
    archives: Annotated[list[str], typer.Argument(help="mbox archives to scan (only read).")],
    jobs: int = typer.Option(
        0, "--jobs", "-j", min=0, help="Worker processes [default: 0 = one per CPU]."
    ),
    output_format: str = typer.Option("text", "--format", help="Output format: text or json."),
    output: str | None = typer.Option(None, "--output", "-o", help="Write here, not stdout."),
    tree: str | None = typer.Option(None, "--tree", help="QEMU tree to review against."),
    rev: str | None = typer.Option(None, "--rev", help="Git revision of the tree to use."),
) -> None:
    """Find every series in ARCHIVES that touches qapi/*.json and review each.

    Streams the archives (memory does not grow with their size), threads the
    messages, and reviews the QAPI series in parallel; prints one summary per
    series. Exit 0 when the scan completed, 2 when an archive cannot be read.
    """
    from pathlib import Path

    from reviewtool import scan as scan_engine
    from reviewtool.report.terminal import scan_progress

    if output_format not in ("text", "json"):
        raise UsageError(f"unknown --format {output_format!r} (text or json)")
    options = scan_engine.ScanOptions(
        jobs=jobs or os.cpu_count() or 1, tree=tree, rev=rev, cwd=str(Path.cwd())
    )
    bar, progress = scan_progress()
    # Results are written as they arrive (in archive order), so a scan of a
    # large archive holds neither all results nor all output in memory. On a
    # terminal, rich prints what goes to sys.stdout above the progress bar.
    with bar:
        summary, todo = scan_engine.start_scan(archives, options, progress)
        results = scan_engine.review_threads(todo, options, progress)
        if output_format == "json":
            pieces = scan_engine.iter_scan_json(summary, results)
        else:
            pieces = scan_engine.iter_scan_text(summary, results)
        if output is None:
            for piece in pieces:
                sys.stdout.write(piece)
                sys.stdout.flush()
            return
        try:
            with open(output, "w", encoding="utf-8") as sink:
                for piece in pieces:
                    sink.write(piece)
        except OSError as e:
            raise UsageError(f"cannot write --output: {e.strerror}", path=output) from e


@app.command("qapi")
def qapi_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(metavar="INPUT", help=INPUT_HELP.removesuffix(".") + "; none with --dump."),
    ] = None,
    tree: Annotated[
        str | None, typer.Option("--tree", metavar="DIR", help=f"QEMU tree {TREE_DEFAULT}")
    ] = None,
    rev: RevOption = None,
    series_version: Annotated[int | None, _series_version("newest")] = None,
    dump: Annotated[
        bool,
        typer.Option("--dump", help="Summarise the tree's schemas (no mail input)."),
    ] = False,
    output_format: FormatOption = TextOrJson.text,
) -> None:
    """Show what a series changes in the QAPI schema, per patch and for the series.

    With --dump (and no INPUT), print per schema root the number of
    definitions of each kind and the files read. Exit status: 0 every schema
    parses, 1 a schema does not parse, 2 input or usage error.
    """
    import json
    from pathlib import Path

    from reviewtool.pipeline import qapi_dump, qapi_series
    from reviewtool.tree import load_tree

    try:
        if dump and inputs:
            raise UsageError("--dump takes no INPUT")
        if not dump and not inputs:
            raise UsageError("give INPUT... (a series) or --dump")
        base = load_tree(tree, rev, Path.cwd())
        result = qapi_dump(base) if dump else qapi_series(inputs or [], base, series_version)
    except ReviewError as e:
        _stop(e)
    if output_format is TextOrJson.json:
        typer.echo(json.dumps(result.document, indent=2, ensure_ascii=False))
    else:
        typer.echo(result.text, nl=False)
    if not result.ok:
        raise typer.Exit(1)


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
