"""`review check`, `review checks`, `review explain`: output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE_TREE, SEED_SAMPLE
from typer.testing import CliRunner

from reviewtool.checks.runner import catalogue
from reviewtool.cli import app

FIXTURES = Path(__file__).resolve().parent / "checks" / "fixtures"
CLEAN = FIXTURES / "common" / "ok-two-patch-series.mbox"
WARN_ONLY = FIXTURES / "M014" / "flagged-no-subsystem.mbox"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def check(*args: str) -> tuple[int, str, str]:
    return invoke("check", "--tree", str(SAMPLE_TREE), *args)


# --- exit codes -------------------------------------------------------------------------


def test_findings_at_error_exit_1() -> None:
    code, out, _ = check(str(SEED_SAMPLE))
    assert code == 1
    assert "M011" in out and "ERRORS" in out


def test_clean_series_exits_0() -> None:
    code, out, err = check(str(CLEAN), "--select", "M,P")
    assert (code, err) == (0, "")
    assert "CLEAN" in out


def test_fail_on_warning_and_never() -> None:
    assert check(str(WARN_ONLY), "--select", "M,P")[0] == 0  # a warning is below "error"
    assert check(str(WARN_ONLY), "--select", "M,P", "--fail-on", "warning")[0] == 1
    assert check(str(SEED_SAMPLE), "--fail-on", "never")[0] == 0


def test_select_and_ignore() -> None:
    code, out, _ = check(str(SEED_SAMPLE), "--format", "json", "--select", "M", "--ignore", "M011")
    found = {f["code"] for f in json.loads(out)["findings"]}
    assert code == 0  # M011 was the only error among the M findings
    assert "M001" in found and "M011" not in found
    assert {c[0] for c in found} == {"M"}
    # repeated options and comma lists combine
    code, out, _ = check(
        str(SEED_SAMPLE), "--format", "json", "--select", "M011", "--select", "M001"
    )
    assert {f["code"] for f in json.loads(out)["findings"]} == {"M001", "M011"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--select", "Z9"], "unknown check code or prefix 'Z9'"),
        (["--format", "yaml"], "unknown --format 'yaml'"),
        (["--clean-mail"], "--clean-mail only applies to --format email"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    code, out, err = check(str(SEED_SAMPLE), *args)
    assert code == 2 and out == ""
    assert err.startswith("review: error: ") and message in err
    assert "Traceback" not in err


def test_input_errors_exit_2(tmp_path: Path) -> None:
    code, _, err = check(str(tmp_path / "absent.mbox"))
    assert code == 2
    assert err == f"review: error: {tmp_path / 'absent.mbox'}: no such file or directory\n"
    flattened = (
        Path(__file__).resolve().parents[2] / "shared/seed/backend-transfer-v10-3-8.flattened.txt"
    )
    if flattened.is_file():
        code, _, err = check(str(flattened))
        assert code == 2 and "line breaks" in err and "Traceback" not in err


def test_no_patch_in_a_discussion_exits_2(tmp_path: Path) -> None:
    mail = tmp_path / "chat.eml"
    mail.write_text(
        "From: A <a@example.org>\nSubject: how do I add a migration parameter?\n"
        "Message-ID: <q@example.org>\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n\nAny hints?\n"
    )
    code, _, err = check(str(mail))
    assert code == 2 and "no patch found" in err


def test_internal_error_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    import reviewtool.pipeline

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(reviewtool.pipeline, "review", broken)
    code, out, err = check(str(SEED_SAMPLE))
    assert code == 3 and out == ""
    assert "ZeroDivisionError: a bug" in err
    assert err.endswith("review: internal error (a bug in review; please report it)\n")


def test_a_crashing_check_is_a_finding_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """X999 is an error finding: exit 1 with --fail-on error, 0 with never."""
    from reviewtool.checks import REGISTRY

    spec = REGISTRY["M014"]

    def crash(*args: object) -> object:
        raise ValueError("broken on purpose")

    monkeypatch.setitem(
        REGISTRY, "M014", type(spec)(spec.code, spec.name, spec.severity, spec.scope, crash)
    )
    code, out, _ = check(str(CLEAN), "--select", "M", "--format", "json")
    findings = json.loads(out)["findings"]
    assert code == 1
    assert [(f["code"], f["check"], f["severity"]) for f in findings] == [
        ("X999", "internal-error", "error"),
        ("X999", "internal-error", "error"),
    ]
    assert findings[0]["message"] == (
        "check M014 subject-without-subsystem crashed on patch 1: ValueError: broken on purpose"
    )
    assert check(str(CLEAN), "--select", "M", "--fail-on", "never")[0] == 0


# --- output ---------------------------------------------------------------------------


def test_output_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    code, out, _ = check(str(SEED_SAMPLE), "--format", "json", "--output", str(target))
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["schema_version"] == 1


def test_output_to_an_unwritable_place_exits_2(tmp_path: Path) -> None:
    code, _, err = check(str(SEED_SAMPLE), "--output", str(tmp_path / "no" / "such" / "dir.txt"))
    assert code == 2 and "cannot write the report" in err


def test_text_output_is_plain_when_not_a_terminal() -> None:
    _, out, _ = check(str(SEED_SAMPLE))
    assert "\x1b[" not in out
    assert out.splitlines()[0].startswith("╭─ review check")


def test_every_format_in_the_registry_runs() -> None:
    from reviewtool.report import RENDERERS

    for name in RENDERERS:
        code, out, err = check(str(SEED_SAMPLE), "--format", name)
        assert code == 1, (name, err)
        assert out.strip(), name


# --- catalogue -------------------------------------------------------------------------


def test_checks_lists_the_catalogue() -> None:
    code, out, _ = invoke("checks")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [s.code for s in catalogue()]
    m011 = next(line for line in lines if line.startswith("M011"))
    assert m011.split()[1:4] == ["signed-off-by-no-email", "error", "patch"]
    assert m011.endswith("A Signed-off-by line has a name but no email address.")


def test_explain_prints_the_docstring() -> None:
    code, out, _ = invoke("explain", "m011")
    assert code == 0
    assert out.startswith("M011 signed-off-by-no-email (error, patch scope)\n\n")
    assert "Why: the Developer's Certificate of Origin" in out
    assert "M011: flagged-signoff-without-address.mbox" in out


def test_explain_x999() -> None:
    code, out, _ = invoke("explain", "X999")
    assert code == 0 and out.startswith("X999 internal-error (error, series scope)")


def test_explain_unknown_code_exits_2() -> None:
    code, out, err = invoke("explain", "Q999")
    assert code == 2 and out == ""
    assert err == "review: error: unknown check code 'Q999' (see `review checks`)\n"


# --- golden end-to-end runs ------------------------------------------------------------

GOLDEN = Path(__file__).resolve().parent / "golden" / "check"

# A few corpus threads, each for a reason (reviewed against the bundled sample tree)
CORPUS_CASES = [
    "d-b4-single-patch-base-commit",  # single patch, base-commit:, a file the tree lacks
    "d-for-8.2-v2-max-switchover-bandwidth",  # a migration parameter against another layout
    "d-single-patch-migration-param-postcopy-keepalive",  # long lines, offsets, failures
    "d-v3-based-on-semihosting-uaccess-with-replies",  # Based-on: a series not in the input
    "d-docs-specs-rename-new-deleted",  # renames, new and deleted files
]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_seed_golden(fmt: str, golden: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """The seed, end to end through the CLI, in every format this module owns.

    Run from the project root with a relative input path and the default tree
    (the bundled sample), so that nothing machine-specific is in the output.
    """
    monkeypatch.chdir(ROOT)
    code, out, err = invoke("check", "samples/backend-transfer-v10-3-8.mbox", "--format", fmt)
    assert code == 1 and err == ""
    golden(out, GOLDEN / f"seed.{'txt' if fmt == 'text' else 'json'}")  # type: ignore[operator]


def _outline(data: dict) -> str:  # type: ignore[type-arg]
    """What a corpus run found, without quoting the corpus (its mail is GPL'd
    QEMU code): per patch the apply result, per finding code, severity and where."""
    lines = [f"verdict: {data['summary']['verdict']} {data['summary']['counts']}"]
    series = data["series"]
    lines.append(
        f"series: v{series['version']}, total {series['total']}, "
        f"present {[p['index'] for p in series['patches']]}, missing {series['missing']}"
    )
    for p in data["apply"]["patches"]:
        statuses = [h["status"] for f in p["files"] for h in f["hunks"]]
        results = [f["result"] for f in p["files"]]
        lines.append(f"apply patch {p['index']}: files {results} hunks {statuses}")
    for f in data["findings"]:
        at = f["location"]
        where = (
            "-"
            if at is None
            else f"{at['kind']}:{at['path'] if at['kind'] != 'mail' else ''}:{at['line']}"
        )
        lines.append(f"{f['code']} {f['severity']} patch={f['patch']} {where}")
    return "\n".join(lines) + "\n"


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_CASES)
def test_corpus_golden(name: str, shared: Path, golden: object) -> None:
    mbox = shared / "corpus" / f"{name}.mbox"
    if not mbox.is_file():
        pytest.skip(f"{mbox} is absent")
    code, out, err = check(str(mbox), "--format", "json", "--fail-on", "never")
    assert code == 0 and err == ""
    data = json.loads(out)
    golden(_outline(data), GOLDEN / f"{name}.outline")  # type: ignore[operator]
    # the text report tells the same story: the verdict and every finding's code
    code, text, _ = check(str(mbox), "--fail-on", "never")
    assert data["summary"]["verdict"].upper() in text
    for finding in data["findings"]:
        assert f" {finding['code']} " in text


# --- terminal niceties ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "allowed"),
    [({}, True), ({"NO_COLOR": "1"}, False), ({"NO_COLOR": ""}, True), ({"TERM": "dumb"}, False)],
)
def test_no_color(environ: dict[str, str], allowed: bool) -> None:
    from reviewtool.cli import _color_allowed

    assert _color_allowed(environ) is allowed


def test_progress_bar_only_for_long_inputs() -> None:
    from reviewtool.cli import _ProgressBar

    short = _ProgressBar()
    short("reading mail", 50, None)
    short("reading mail", 120, 120)
    assert not short._started  # a short input never shows a bar
    short.close()

    long = _ProgressBar()
    long("reading mail", 250, None)
    assert not long._started
    long("reading mail", 300, None)
    assert long._started
    long("reading mail", 450, 450)
    (task,) = long._progress.tasks
    assert (task.completed, task.total) == (450, 450)
    long.close()


def test_progress_is_wired_to_the_pipeline(tmp_path: Path) -> None:
    """A 400-message mbox (one patch and its discussion) reports progress past the threshold."""
    patch = CLEAN.read_text()
    chatter = "".join(
        "From nobody Mon Mar  2 10:00:00 2026\n"
        f"From: A <a@example.org>\nSubject: Re: [PATCH 0/2] util: ring buffer space helper\n"
        f"Message-ID: <chat-{i}@example.org>\nIn-Reply-To: <rb-0@example.org>\n"
        "Date: Mon, 2 Mar 2026 10:00:00 +0000\n\nlooks fine\n\n"
        for i in range(400)
    )
    mbox = tmp_path / "busy.mbox"
    mbox.write_text(patch + chatter)
    from reviewtool.cli import _ProgressBar
    from reviewtool.pipeline import ReviewOptions, review

    bar = _ProgressBar()
    seen: list[int] = []

    def spy(stage: str, done: int, total: int | None) -> None:
        seen.append(done)
        bar(stage, done, total)

    report = review([str(mbox)], ReviewOptions(tree=str(SAMPLE_TREE)), progress=spy)
    bar.close()
    assert bar._started and seen[-1] == 403
    assert report.series is not None and len(report.series.patches) == 2


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_seed_shows_what_the_earlier_stages_found(fmt: str) -> None:
    """The issue's acceptance: the missing HMP set case and the misspelling, in every format."""
    code, out, _ = check(str(SEED_SAMPLE), "--format", fmt)
    assert code == 1
    assert "hmp_migrate_set_parameter" in out  # the threading check's missing site
    assert "migraton" in out  # the QAPI doc spelling check
    assert "Vladimir Sementsov-Ogievskiy has no email address" in out


def test_standard_input() -> None:
    result = CliRunner().invoke(
        app,
        ["check", "-", "--tree", str(SAMPLE_TREE), "--format", "json", "--select", "M011"],
        input=SEED_SAMPLE.read_bytes(),
    )
    data = json.loads(result.stdout)
    assert result.exit_code == 1
    assert data["inputs"] == ["-"]
    assert [f["location"]["path"] for f in data["findings"]] == ["<stdin>"]


def test_tree_at_a_git_revision(tmp_path: Path) -> None:
    """--tree DIR --rev REV reads the revision from git; later commits do not matter."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "qemu"
    shutil.copytree(SAMPLE_TREE, repo)

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo), *args],
            check=True,
            capture_output=True,
            text=True,
            env={
                "GIT_AUTHOR_NAME": "t",
                "GIT_AUTHOR_EMAIL": "t@example.org",
                "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@example.org",
                "HOME": str(tmp_path),
                "PATH": "/usr/bin:/bin",
            },
        ).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "sample")
    # break the seed's context in the working tree only: the revision is unaffected
    misc = repo / "include/migration/misc.h"
    misc.write_text(misc.read_text().replace("multifd_join_device_state_save_threads", "gone"))
    code, out, _ = invoke(
        "check",
        str(SEED_SAMPLE),
        "--tree",
        str(repo),
        "--rev",
        "HEAD",
        "--format",
        "json",
        "--select",
        "P001",
    )
    data = json.loads(out)
    assert code == 0 and data["findings"] == []
    assert data["tree"]["label"].startswith("git HEAD")
    code, out, _ = invoke(
        "check", str(SEED_SAMPLE), "--tree", str(repo), "--format", "json", "--select", "P001"
    )
    assert code == 1 and [f["code"] for f in json.loads(out)["findings"]] == ["P001"]
    code, _, err = invoke("check", str(SEED_SAMPLE), "--tree", str(repo), "--rev", "no-such-rev")
    assert code == 2 and "no-such-rev" in err


def test_email_with_nothing_found(tmp_path: Path) -> None:
    """No mail at all when nothing is found; --clean-mail asks for a short one."""
    target = tmp_path / "reply.eml"
    args = [str(CLEAN), "--select", "M", "--format", "email", "--output", str(target)]
    code, out, _ = check(*args)
    assert (code, out) == (0, "") and not target.exists()
    code, _, _ = check(*args, "--clean-mail")
    assert code == 0
    reply = target.read_text()
    assert "Subject: Re: [PATCH 0/2] util: ring buffer space helper" in reply
    assert "In-Reply-To: <rb-0@example.org>" in reply


def test_a_crashing_renderer_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewtool.report import RENDERERS

    def broken(report: object) -> str:
        raise RuntimeError("renderer bug")

    monkeypatch.setitem(RENDERERS, "json", broken)
    code, out, err = check(str(SEED_SAMPLE), "--format", "json")
    assert code == 3 and out == ""
    assert "RuntimeError: renderer bug" in err
