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
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from reviewtool import __version__
from reviewtool.errors import InputError, ReviewError, UsageError

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


class ApplyFormat(enum.StrEnum):
    """--format of ``review apply``."""

    text = "text"
    json = "json"


@app.command("apply")
def apply_command(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUT...",
            help="mbox, Maildir, .eml/.patch file, directory of format-patch files, or - (stdin).",
        ),
    ],
    tree: Annotated[
        str | None,
        typer.Option(
            "--tree",
            metavar="DIR",
            help="QEMU tree to apply to (default: the current directory if it is a QEMU tree, "
            "else the bundled sample tree).",
        ),
    ] = None,
    rev: Annotated[
        str | None,
        typer.Option(
            "--rev", metavar="REV", help="Git revision of --tree (read from git, no checkout)."
        ),
    ] = None,
    series_version: Annotated[
        int | None,
        typer.Option(
            "--series-version", min=1, metavar="N", help="Series version (default: newest)."
        ),
    ] = None,
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
    output_format: Annotated[
        ApplyFormat, typer.Option("--format", help="text or json.")
    ] = ApplyFormat.text,
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
    from reviewtool.series import SCHEMA_VERSION, build_series
    from reviewtool.tree import load_tree

    try:
        if out is not None:
            _check_out_dir(Path(out))
        series = build_series(iter_messages(inputs), version=series_version)
        base = load_tree(tree, rev, Path.cwd())
        options = ApplyOptions(context_reduce=context_reduce, ignore_whitespace=ignore_whitespace)
        applied = apply_series(base, series, options)
        if out is not None:
            _write_tree(applied.final, Path(out))
    except ReviewError as e:
        _stop(e)
    if output_format is ApplyFormat.json:
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


def _check_out_dir(dest: Any) -> None:
    """--out must be a new or empty directory (never overwrite anything)."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageError("--out must name a new or empty directory", path=str(dest))


def _write_tree(tree: Any, dest: Any) -> None:
    """Write every file of ``tree`` under ``dest`` (an explicit output target)."""
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    try:
        for path in tree.iter_files():
            data = tree.read_bytes(path)
            target = (root / path).resolve()
            if data is None or not target.is_relative_to(root):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    except OSError as e:
        raise InputError(f"cannot write the post-image tree: {e.strerror}", path=str(dest)) from e


class FailOn(enum.StrEnum):
    """--fail-on: the lowest severity that makes ``review check`` exit 1."""

    error = "error"
    warning = "warning"
    never = "never"


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


@app.command("check")
def check_command(
    inputs: list[str] = typer.Argument(
        ...,
        metavar="INPUT...",
        help="mbox, Maildir, .eml/.patch file, directory of format-patch files, or - (stdin).",
    ),
    tree: str | None = typer.Option(
        None,
        "--tree",
        metavar="DIR",
        help="QEMU tree to apply to (default: the current directory if it is a QEMU tree, "
        "else the bundled sample tree).",
    ),
    rev: str | None = typer.Option(
        None, "--rev", metavar="REV", help="Git revision of --tree (read from git, no checkout)."
    ),
    series_version: int | None = typer.Option(
        None, "--series-version", min=1, metavar="N", help="Series version (default: the newest)."
    ),
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
    from reviewtool.report import RENDERERS

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

    rendered: str | None
    try:  # a renderer that crashes is a bug in review, like a crashing pipeline
        if output_format == "text":
            from reviewtool.report.terminal import render_text

            color = to_terminal and _color_allowed(os.environ)
            width = shutil.get_terminal_size().columns if to_terminal else 100
            rendered = render_text(report, color=color, width=width)
        elif output_format == "email":
            from reviewtool.report.mail_reply import render_email

            rendered = render_email(report, clean_mail=clean_mail)
        else:
            rendered = RENDERERS[output_format](report)
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


def _color_allowed(environ: Mapping[str, str]) -> bool:
    """Colour unless NO_COLOR is set to anything but "" (https://no-color.org)."""
    return not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"


class _ProgressBar:
    """A rich progress bar on stderr, shown only for long mail inputs."""

    # fewer messages than this read too quickly to be worth a bar
    THRESHOLD = 300

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress

        self._progress = Progress(console=Console(stderr=True), transient=True)
        self._tasks: dict[str, Any] = {}
        self._started = False

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not self._started:
            if done < self.THRESHOLD and (total is None or total < self.THRESHOLD):
                return
            self._progress.start()
            self._started = True
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(stage, total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)

    def close(self) -> None:
        if self._started:
            self._progress.stop()


def _progress_bar() -> _ProgressBar:
    return _ProgressBar()


if TYPE_CHECKING:  # annotations only: the command imports its stages lazily
    from rich.text import Text

    from reviewtool.series import Patch, Series


class ShowFormat(enum.StrEnum):
    """--format of ``review show``."""

    text = "text"
    json = "json"


@app.command("show")
def show_command(
    inputs: list[str] = typer.Argument(
        ...,
        metavar="INPUT...",
        help="mbox, Maildir, .eml/.patch file, directory of format-patch files, or - (stdin).",
    ),
    series_version: int | None = typer.Option(
        None, "--series-version", min=1, metavar="N", help="Series version (default: the newest)."
    ),
    output_format: ShowFormat = typer.Option(ShowFormat.text, "--format", help="text or json."),
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
    if output_format is ShowFormat.json:
        document = {"schema_version": SCHEMA_VERSION, "series": series.to_dict()}
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.text import Text

    # Mail text is data, never rich markup: everything goes in as Text.
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    for line in _show_lines(series):
        # Mail headers may carry terminal control bytes (ESC sequences):
        # show each as U+FFFD; one for one, so the styled spans stay put.
        plain = "".join("\ufffd" if _is_control(ch) else ch for ch in line.plain)
        console.print(Text(plain, style=line.style, spans=list(line.spans)))


def _is_control(ch: str) -> bool:
    return ch != "\t" and (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0)


def _show_lines(series: Series) -> list[Text]:
    """The ``review show`` outline as rich Text lines (plain when not a tty)."""
    from rich.text import Text

    plural = "es" if series.total != 1 else ""
    missing = f", {len(series.missing)} missing" if series.missing else ""
    lines = [
        Text.assemble(
            ("series ", "bold"),
            (f"v{series.version}", "bold cyan"),
            f" ({series.total} patch{plural}{missing}): ",
            (series.title, "bold"),
        )
    ]
    if len(series.versions) > 1:
        lines.append(Text("versions seen: " + ", ".join(f"v{v}" for v in series.versions)))
    present: dict[int, Patch | None] = {p.index: p for p in series.patches}
    if series.cover is not None:
        present[0] = series.cover
    numbers = sorted(set(range(1, series.total + 1)) | set(present))
    width = len(str(series.total))
    for k in numbers:
        patch = present.get(k)
        label = f"[{k:0{width}d}/{series.total}] "
        if patch is None:
            lines.append(Text.assemble(label, ("MISSING", "bold red")))
            continue
        again = f" (v{patch.version})" if patch.version != series.version else ""
        lines.append(Text.assemble((label, "bold"), patch.subject.text, (again, "yellow")))
        date = patch.message.date.isoformat(sep=" ") if patch.message.date else "no date"
        lines.append(Text(f"    {patch.author} · {date}", style="dim"))
        for t in patch.trailers:
            trailer = Text(f"    {t.name}: {t.value}")
            if t.from_reply:
                trailer.append(f"  [reply from {t.given_by}]", style="green")
            lines.append(trailer)
    for value in series.based_on:
        lines.append(Text(f"based-on: {value}"))
    if series.base_commit:
        lines.append(Text(f"base-commit: {series.base_commit}"))
    for value in series.prerequisite_patch_ids:
        lines.append(Text(f"prerequisite-patch-id: {value}"))
    # MISSING slots are in the outline already; the other facts follow it
    facts = [f for f in series.facts if f.kind.value != "missing"]
    if facts:
        lines.append(Text("facts:"))
    for fact in facts:
        where = f" ({fact.location.describe()})" if fact.location is not None else ""
        lines.append(Text.assemble(("  " + fact.kind.value, "yellow"), f": {fact.message}{where}"))
    return lines


@app.command("checks")
def checks_command() -> None:
    """List the check catalogue: code, name, default severity, scope, summary."""
    from reviewtool.checks.runner import catalogue

    specs = catalogue()
    name_width = max(len(s.name) for s in specs)
    for spec in specs:
        status = "" if spec.status == "active" else f" ({spec.status})"
        typer.echo(
            f"{spec.code}  {spec.name:<{name_width}}  {spec.severity.value:<7}  "
            f"{spec.scope.value:<6}  {spec.summary}{status}"
        )


@app.command("explain")
def explain_command(
    code: str = typer.Argument(..., metavar="CODE", help="A check code such as M011 or X101."),
) -> None:
    """Print one check's documentation (its docstring)."""
    from reviewtool.checks.runner import catalogue

    spec = next((s for s in catalogue() if s.code == code.strip().upper()), None)
    if spec is None:
        _stop(UsageError(f"unknown check code {code!r} (see `review checks`)"))
    typer.echo(f"{spec.code} {spec.name} ({spec.severity.value}, {spec.scope.value} scope)")
    typer.echo("")
    typer.echo(spec.doc)


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

    if output_format not in ("text", "json"):
        raise UsageError(f"unknown --format {output_format!r} (text or json)")
    options = scan_engine.ScanOptions(
        jobs=jobs or os.cpu_count() or 1, tree=tree, rev=rev, cwd=str(Path.cwd())
    )
    bar, progress = _scan_progress()
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


def _scan_progress() -> tuple[Any, Callable[[Any], None]]:
    """A rich progress bar on stderr (drawn only on a terminal) and its scan callback."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskID

    console = Console(stderr=True)
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        "{task.fields[detail]}",
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    tasks: dict[str, TaskID] = {}

    def update(step: Any) -> None:  # a scan.ScanProgress
        if step.phase not in tasks:
            label = "reading archives" if step.phase == "read" else "reviewing series"
            tasks[step.phase] = bar.add_task(label, total=step.total or None, detail="")
        detail = (
            f"{step.done / 1e6:.0f}/{step.total / 1e6:.0f} MB"
            if step.phase == "read"
            else f"{step.done}/{step.total}"
        )
        bar.update(tasks[step.phase], completed=step.done, total=step.total or None, detail=detail)

    return bar, update


class QapiFormat(enum.StrEnum):
    """--format of ``review qapi``."""

    text = "text"
    json = "json"


@app.command("qapi")
def qapi_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INPUT",
            help="mbox, Maildir, .eml/.patch file, directory of format-patch files, or - "
            "(stdin); none with --dump.",
        ),
    ] = None,
    tree: Annotated[
        str | None,
        typer.Option(
            "--tree",
            metavar="DIR",
            help="QEMU tree (default: the current directory if it is a QEMU tree, else the "
            "bundled sample tree).",
        ),
    ] = None,
    rev: Annotated[
        str | None,
        typer.Option(
            "--rev", metavar="REV", help="Git revision of --tree (read from git, no checkout)."
        ),
    ] = None,
    series_version: Annotated[
        int | None,
        typer.Option(
            "--series-version", min=1, metavar="N", help="Series version (default: newest)."
        ),
    ] = None,
    dump: Annotated[
        bool,
        typer.Option("--dump", help="Summarise the tree's schemas (no mail input)."),
    ] = False,
    output_format: Annotated[
        QapiFormat, typer.Option("--format", help="text or json.")
    ] = QapiFormat.text,
) -> None:
    """Show what a series changes in the QAPI schema, per patch and for the series.

    With --dump (and no INPUT), print per schema root the number of
    definitions of each kind and the files read. Exit status: 0 every schema
    parses, 1 a schema does not parse, 2 input or usage error.
    """
    import json
    from pathlib import Path

    from reviewtool.tree import load_tree

    try:
        if dump and inputs:
            raise UsageError("--dump takes no INPUT")
        if not dump and not inputs:
            raise UsageError("give INPUT... (a series) or --dump")
        base = load_tree(tree, rev, Path.cwd())
        if dump:
            document, text, ok = _qapi_dump(base)
        else:
            document, text, ok = _qapi_series(inputs or [], base, series_version)
    except ReviewError as e:
        _stop(e)
    if output_format is QapiFormat.json:
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        typer.echo(text, nl=False)
    if not ok:
        raise typer.Exit(1)


def _schema_error_dict(e: Any) -> dict[str, Any]:
    return {"path": e.path, "line": e.line, "column": e.column, "message": e.message}


def _qapi_dump(base: Any) -> tuple[dict[str, Any], str, bool]:
    """``review qapi --dump``: (JSON document, text, every root parsed)."""
    from reviewtool.errors import SchemaError
    from reviewtool.qapi import SCHEMA_ROOTS, try_load_schema
    from reviewtool.series import SCHEMA_VERSION

    roots: list[dict[str, Any]] = []
    lines = [f"tree: {base.label}"]
    ok = True
    for root in SCHEMA_ROOTS:
        if not base.exists(root):
            continue
        schema = try_load_schema(base, root)
        if isinstance(schema, SchemaError):
            ok = False
            roots.append({"root": root, "error": _schema_error_dict(schema)})
            lines.append(f"{root}: does not parse: {schema}")
            continue
        counts = schema.counts()
        roots.append(
            {
                "root": root,
                "error": None,
                "definitions": len(schema.definitions),
                "counts": counts,
                "files": list(schema.file_paths()),
            }
        )
        summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        lines.append(f"{root}: {len(schema.definitions)} definitions ({summary})")
        lines.append(f"  files read ({len(schema.files)}):")
        lines.extend(f"    {path}" for path in schema.file_paths())
    if not roots:
        lines.append("no QAPI schema root in this tree")
    document = {"schema_version": SCHEMA_VERSION, "tree": base.label, "roots": roots}
    return document, "\n".join(lines) + "\n", ok


def _qapi_series(
    inputs: list[str], base: Any, series_version: int | None
) -> tuple[dict[str, Any], str, bool]:
    """``review qapi INPUT...``: (JSON document, text, every schema parsed)."""
    from reviewtool.apply import apply_series
    from reviewtool.mail.mbox import iter_messages
    from reviewtool.qapi import SCHEMA_ROOTS, try_load_schema
    from reviewtool.qapi.compare import compare_schemas
    from reviewtool.series import SCHEMA_VERSION, build_series

    series = build_series(iter_messages(inputs), version=series_version)
    applied = apply_series(base, series)
    slots = [p.index for p in series.patches if p.index > 0 and p.body.has_diff]
    touches = {k: any(f.path.endswith(".json") for f in applied.diffs(k)) for k in slots}
    total = series.total or (max(slots) if slots else 0)
    ok = True
    lines = [f"tree: {base.label}"]
    if not applied.ok:
        lines.append("note: some hunks did not apply (see `review apply`); diffs are partial")
    roots_out: list[dict[str, Any]] = []
    for root in SCHEMA_ROOTS:
        if not base.exists(root) and not applied.final.exists(root):
            continue
        schemas = {0: try_load_schema(base, root)}
        previous = 0
        patches_out: list[dict[str, Any]] = []
        lines.append(f"{root}:")
        for k in slots:
            patch = series.patch(k)
            title = f"patch {k}/{total} {patch.subject.text if patch else ''}".rstrip()
            if not touches[k]:
                schemas[k] = schemas[previous]
                patches_out.append({"patch": k, "error": None, "diff": None, "changed": False})
                previous = k
                continue
            schemas[k] = try_load_schema(applied.tree_after(k), root)
            entry, text = _qapi_step(schemas[previous], schemas[k], compare_schemas)
            ok = ok and entry["error"] is None
            patches_out.append({"patch": k, **entry})
            if text:
                lines.append(f"  {title}")
                lines.extend(f"    {line}" for line in text.splitlines())
            previous = k
        whole, text = _qapi_step(schemas[0], schemas[previous], compare_schemas)
        lines.append("  whole series:")
        lines.extend(f"    {line}" for line in (text or "(no schema change)\n").splitlines())
        roots_out.append({"root": root, "patches": patches_out, "series": whole})
    document = {
        "schema_version": SCHEMA_VERSION,
        "tree": base.label,
        "series": series.to_dict(),
        "roots": roots_out,
    }
    return document, "\n".join(lines) + "\n", ok


def _qapi_step(before: Any, after: Any, compare: Any) -> tuple[dict[str, Any], str]:
    """One schema step as (JSON entry, text); text "" when nothing changed."""
    from reviewtool.errors import SchemaError

    if isinstance(after, SchemaError):
        return (
            {"error": _schema_error_dict(after), "diff": None, "changed": True},
            f"schema does not parse: {after}\n",
        )
    if isinstance(before, SchemaError):
        return (
            {"error": None, "diff": None, "changed": True},
            f"base schema does not parse ({before}); no diff\n",
        )
    diff = compare(before, after)
    return {"error": None, "diff": diff.to_dict(), "changed": not diff.is_empty}, diff.render()


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
