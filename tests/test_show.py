"""``review show`` end to end: CliRunner for output (text and JSON goldens),
a real ``review`` process for exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DATA, SAMPLES, SEED_SAMPLE, corpus_files
from typer.testing import CliRunner

from reviewtool.cli import app

GOLDEN = Path(__file__).resolve().parent / "golden" / "show"
Golden = Callable[[str, Path], None]


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Goldens are the plain (not a tty) rendering whatever the caller's env."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)


def show(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["show", *args])
    return result.exit_code, result.output


def show_in(
    folder: Path, name: str, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> tuple[str, str]:
    """Text and JSON output for ``folder/name``, run from ``folder`` so paths stay relative."""
    monkeypatch.chdir(folder)
    code, text = show([name, *extra])
    assert code == 0, text
    code, js = show([name, "--format", "json", *extra])
    assert code == 0, js
    return text, js


def test_seed_text_and_json(golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    text, js = show_in(SAMPLES, SEED_SAMPLE.name, monkeypatch)
    golden(text, GOLDEN / "backend-transfer-v10-3-8.txt")
    golden(js, GOLDEN / "backend-transfer-v10-3-8.json")
    assert text.startswith(
        "series v10 (8 patches, 7 missing): qapi: add backend-transfer migration parameter\n"
        "[1/8] MISSING\n[2/8] MISSING\n[3/8] qapi: add backend-transfer migration parameter\n"
    )
    data = json.loads(js)
    assert data["schema_version"] == 1
    series = data["series"]
    assert (series["version"], series["total"], series["cover"]) == (10, 8, None)
    assert series["missing"] == [1, 2, 4, 5, 6, 7, 8]
    (patch,) = series["patches"]
    assert patch["index"] == 3
    assert patch["message_id"] == "20260201162001.296328-4-vsementsov@yandex-team.ru"
    assert [t["name"] for t in patch["trailers"]] == ["Signed-off-by", "Acked-by", "Acked-by"]
    assert not any(t["from_reply"] for t in patch["trailers"])


@pytest.mark.parametrize("name", ["reply-trailers.mbox", "partial-reroll.mbox", "duplicate.mbox"])
def test_series_cases_golden(name: str, golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    text, js = show_in(DATA / "series", name, monkeypatch)
    stem = name.removesuffix(".mbox")
    golden(text, GOLDEN / f"series-{stem}.txt")
    golden(js, GOLDEN / f"series-{stem}.json")


def test_reply_trailers_are_marked(monkeypatch: pytest.MonkeyPatch) -> None:
    text, js = show_in(DATA / "series", "reply-trailers.mbox", monkeypatch)
    maint = "Maint Ainer <maint@example.org>"
    assert f"    Acked-by: {maint}  [reply from {maint}]\n" in text
    patches = json.loads(js)["series"]["patches"]
    assert [t["from_reply"] for t in patches[1]["trailers"]] == [False, False, True, True]


def test_series_version_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA / "series")
    code, out = show(["mixed-versions.mbox", "--series-version", "1", "--format", "json"])
    assert code == 0
    series = json.loads(out)["series"]
    assert series["version"] == 1 and series["cover"]["message_id"] == "mv1-0@example.org"
    code, out = show(["mixed-versions.mbox", "--series-version", "7"])
    assert code == 2
    assert "series version 7 is not in the input (versions seen: 1, 2)" in out


def test_markup_in_mail_is_not_interpreted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A subject with rich markup ("[bold]") prints as written."""
    mail = (
        (DATA / "mail" / "crlf.eml")
        .read_bytes()
        .replace(b"hello: add stdlib include", b"hello: [bold]x[/bold] [red] :smile:")
    )
    (tmp_path / "m.eml").write_bytes(mail)
    monkeypatch.chdir(tmp_path)
    code, out = show(["m.eml"])
    assert code == 0
    assert "[1/1] hello: [bold]x[/bold] [red] :smile:\n" in out


@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_golden(path: Path, golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(path.parent)
    stem = path.name.removesuffix(".mbox")
    if path.name == "d-nonpatch-discussion-3msgs.mbox":
        code, out = show([path.name])
        assert code == 2
        assert out == (
            f"review: error: {path.name}: no patch found in 3 messages "
            "(only discussion, replies or broken mail)\n"
        )
        return
    text, js = show_in(path.parent, path.name, monkeypatch)
    golden(text, GOLDEN / f"{stem}.txt")
    golden(js, GOLDEN / f"{stem}.json")
    data = json.loads(js)["series"]
    assert text.startswith(f"series v{data['version']} ({data['total']} patch")
    assert len(data["patches"]) + len(data["missing"]) == data["total"]


def test_corpus_reply_trailers_in_text(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text, _ = show_in(
        shared / "corpus", "d-v3-based-on-semihosting-uaccess-with-replies.mbox", monkeypatch
    )
    rth = "Richard Henderson <richard.henderson@linaro.org>"
    assert text.count(f"    Reviewed-by: {rth}  [reply from {rth}]\n") == 2
    assert "based-on: 20250521223414.248276-1-pierrick.bouvier@linaro.org\n" in text


# --- a real process: exit codes and one-line errors


def review(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "review"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "reviewtool"]
    return subprocess.run(
        [*command, *args],
        input=stdin.decode() if stdin else None,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_line_error(run: subprocess.CompletedProcess[str], *parts: str) -> None:
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("review: error: ")
    for part in parts:
        assert part in lines[0]


def test_process_bad_inputs(tmp_path: Path) -> None:
    assert_one_line_error(
        review("show", str(tmp_path / "nope.mbox")),
        f"{tmp_path / 'nope.mbox'}: no such file or directory",
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(review("show", str(empty)), f"{empty}: directory holds no mail")
    not_mail = DATA / "mail" / "not-mail.txt"
    assert_one_line_error(review("show", str(not_mail)), f"{not_mail}: not mail")
    talk = tmp_path / "talk.eml"
    talk.write_text("From: A <a@example.org>\nSubject: Re: lunch?\nMessage-ID: <t@x>\n\nYes.\n")
    assert_one_line_error(review("show", str(talk)), f"{talk}: no patch found in 1 message")


def test_process_flattened_seed(shared: Path) -> None:
    flat = shared / "seed" / "backend-transfer-v10-3-8.flattened.txt"
    assert_one_line_error(
        review("show", str(flat)), f"{flat}:message 1: its line breaks appear to be gone"
    )


def test_process_stdin_and_ok_exit() -> None:
    run = review("show", "-", "--format", "json", stdin=SEED_SAMPLE.read_bytes())
    assert run.returncode == 0, run.stderr
    series = json.loads(run.stdout)["series"]
    assert series["patches"][0]["location"]["source"] == "<stdin>"
    assert series["version"] == 10


def test_control_bytes_in_mail_are_not_sent_to_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An encoded-word subject hiding an ESC sequence prints as U+FFFD."""
    mail = (DATA / "mail" / "crlf.eml").read_bytes().replace(
        b"[PATCH] hello: add stdlib include", b"[PATCH] =?utf-8?q?evil=1B=5B2J_clear?="
    )
    (tmp_path / "m.eml").write_bytes(mail)
    monkeypatch.chdir(tmp_path)
    code, out = show(["m.eml"])
    assert code == 0
    assert "\x1b" not in out
    assert "[1/1] evil\ufffd[2J clear\n" in out
