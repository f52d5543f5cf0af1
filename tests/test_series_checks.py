"""M### checks: series facts and patch hygiene, through the whole pipeline.

Each test writes a small mail (or takes a fixture / the seed) and runs
``review`` with only the M checks selected, so the assertions are about
exactly what those checks say.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLE_TREE, SEED_SAMPLE

from reviewtool.findings import Finding, Severity
from reviewtool.location import MailLocation
from reviewtool.pipeline import ReviewOptions, review
from reviewtool.tree import DirectoryTree

FIXTURES = Path(__file__).resolve().parent / "checks" / "fixtures"
AUTHOR = "Jane Doe <jane@example.org>"

NEW_FILE = """\
diff --git a/util/demo.c b/util/demo.c
new file mode 100644
index 0000000000..1111111111
--- /dev/null
+++ b/util/demo.c
@@ -0,0 +1,3 @@
+int demo(void)
+{
+}
"""


def make_mail(
    subject: str = "[PATCH] util: add demo()",
    *,
    author: str = AUTHOR,
    trailers: str = f"Signed-off-by: {AUTHOR}",
    notes: str = "",
    diff: str = NEW_FILE,
    msgid: str = "demo@example.org",
) -> str:
    body = "Add a demo function.\n\n" + (trailers + "\n" if trailers else "") + "---\n"
    if notes:
        body += notes.rstrip("\n") + "\n\n"
    body += diff
    return (
        "From nobody Mon Mar  2 10:00:00 2026\n"
        f"From: {author}\nTo: qemu-devel@nongnu.org\nSubject: {subject}\n"
        f"Date: Mon, 2 Mar 2026 10:00:00 +0000\nMessage-ID: <{msgid}>\n"
        "Content-Type: text/plain; charset=utf-8\n\n" + body + "\n"
    )


def run(tmp_path: Path, text: str, select: str = "M") -> list[Finding]:
    mbox = tmp_path / "series.mbox"
    mbox.write_text(text)
    options = ReviewOptions(base=DirectoryTree(SAMPLE_TREE), select=(select,))
    return list(review([str(mbox)], options).findings)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


# --- the seed ------------------------------------------------------------------


def test_seed_signoff_without_address_is_an_error() -> None:
    """The seed's "Signed-off-by: Vladimir Sementsov-Ogievskiy" has no address."""
    report = review([str(SEED_SAMPLE)], ReviewOptions(base=DirectoryTree(SAMPLE_TREE)))
    m011 = [f for f in report.findings if f.code == "M011"]
    assert len(m011) == 1
    finding = m011[0]
    assert finding.severity is Severity.ERROR
    assert finding.patch == 3
    assert finding.message == "Signed-off-by: Vladimir Sementsov-Ogievskiy has no email address"
    assert finding.at == MailLocation(str(SEED_SAMPLE), 1, 10)
    # the author is the same person, matched by name since neither side has an address
    assert "M012" not in codes(list(report.findings))
    assert "M010" not in codes(list(report.findings))


def test_seed_is_patch_3_of_8_so_seven_are_missing() -> None:
    report = review([str(SEED_SAMPLE)], ReviewOptions(base=DirectoryTree(SAMPLE_TREE)))
    (m001,) = [f for f in report.findings if f.code == "M001"]
    assert m001.message == "patches 1-2, 4-8 of 8 missing from the input (1 of 8 present)"
    assert m001.patch is None and m001.severity is Severity.WARNING
    assert m001.extra["missing"] == [1, 2, 4, 5, 6, 7, 8]


def test_seed_diffstat_and_subject_are_fine() -> None:
    report = review([str(SEED_SAMPLE)], ReviewOptions(base=DirectoryTree(SAMPLE_TREE)))
    assert not {"M013", "M014"} & set(codes(list(report.findings)))


# --- Signed-off-by and author ------------------------------------------------------


def test_clean_patch_has_no_m_findings(tmp_path: Path) -> None:
    assert run(tmp_path, make_mail()) == []


def test_missing_signoff(tmp_path: Path) -> None:
    found = run(tmp_path, make_mail(trailers="Reviewed-by: John Roe <john@example.org>"))
    assert codes(found) == ["M010"]
    assert found[0].message == "no Signed-off-by: line in the commit message"


def test_signoff_in_a_reply_does_not_count(tmp_path: Path) -> None:
    patch = make_mail(trailers="", msgid="p@example.org")
    reply = (
        "From nobody Mon Mar  2 11:00:00 2026\n"
        f"From: {AUTHOR}\nSubject: Re: [PATCH] util: add demo()\n"
        "Date: Mon, 2 Mar 2026 11:00:00 +0000\nMessage-ID: <r@example.org>\n"
        "In-Reply-To: <p@example.org>\nReferences: <p@example.org>\n\n"
        f"Oops, forgot:\n\nSigned-off-by: {AUTHOR}\n"
    )
    assert "M010" in codes(run(tmp_path, patch + reply))


def test_second_signoff_without_address_is_flagged_alone(tmp_path: Path) -> None:
    trailers = f"Signed-off-by: {AUTHOR}\nSigned-off-by: John Roe"
    found = run(tmp_path, make_mail(trailers=trailers))
    assert codes(found) == ["M011"]
    assert found[0].message == "Signed-off-by: John Roe has no email address"
    assert found[0].extra["trailer"] == "Signed-off-by: John Roe"


@pytest.mark.parametrize(
    ("author", "signoff", "flagged"),
    [
        # same address, different spelling of the name: fine
        ("Jane Doe <jane@example.org>", "J. Doe <Jane@Example.org>", False),
        # no address on the sign-off: matched by name (the seed's case)
        ("Jane Doe <jane@example.org>", "Jane Doe", False),
        # quoted display name with a comma
        ('"Doe, Jane" <jane@example.org>', "Doe, Jane <jane@example.org>", False),
        ("Jane Doe <jane@example.org>", "John Roe <john@example.org>", True),
        # same name, other address: the address decides
        ("Jane Doe <jane@example.org>", "Jane Doe <jane@elsewhere.org>", True),
    ],
)
def test_author_must_sign_off(tmp_path: Path, author: str, signoff: str, flagged: bool) -> None:
    found = [
        f
        for f in run(tmp_path, make_mail(author=author, trailers=f"Signed-off-by: {signoff}"))
        if f.code == "M012"
    ]
    assert bool(found) is flagged
    if flagged:
        assert found[0].message.startswith(f"author {author} has no Signed-off-by")


def test_in_body_from_is_the_author(tmp_path: Path) -> None:
    """A patch sent on someone's behalf: the in-body From: is the author."""
    mail = make_mail(
        author="Sender Person <sender@example.org>",
        trailers="Signed-off-by: Jane Doe <jane@example.org>\n"
        "Signed-off-by: Sender Person <sender@example.org>",
    ).replace("Add a demo function.", "From: Jane Doe <jane@example.org>\n\nAdd a demo function.")
    assert "M012" not in codes(run(tmp_path, mail))


# --- diffstat -----------------------------------------------------------------------


def test_diffstat_that_matches(tmp_path: Path) -> None:
    notes = " util/demo.c | 3 +++\n 1 file changed, 3 insertions(+)\n"
    assert run(tmp_path, make_mail(notes=notes)) == []


def test_diffstat_that_disagrees(tmp_path: Path) -> None:
    notes = (
        "v2: more demo\n\n util/demo.c | 4 ++--\n 1 file changed, 2 insertions(+), 2 deletions(-)"
    )
    found = run(tmp_path, make_mail(notes=notes))
    assert codes(found) == ["M013"]
    assert found[0].message == (
        "diffstat says 1 file, 2 insertions(+), 2 deletions(-); "
        "the diff has 1 file, 3 insertions(+), 0 deletions(-)"
    )
    assert found[0].extra["diff"] == {"files": 1, "insertions": 3, "deletions": 0}


def test_no_diffstat_is_not_a_mismatch(tmp_path: Path) -> None:
    assert run(tmp_path, make_mail(notes="v2: rebased")) == []


# --- subject prefix -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "flagged"),
    [
        ("[PATCH] qapi: add backend-transfer migration parameter", False),
        ("[PATCH] hw/net/virtio-net: fix a leak", False),
        ("[PATCH] virtio-net, vhost: share the feature table", False),
        ("[PATCH] MAINTAINERS: add myself", False),
        ("[PATCH] Hexagon (target/hexagon) do probe_write in HELPER(commit_store)", False),
        ('[PATCH] Revert "qapi: add foo"', False),
        ("[PATCH] Add a demo function", True),
        ("[PATCH] fix the build", True),
        # a colon later in the text is not a prefix
        ("[PATCH] Fix crash when x: y", True),
    ],
)
def test_subject_prefix(tmp_path: Path, subject: str, flagged: bool) -> None:
    found = [f for f in run(tmp_path, make_mail(subject=subject)) if f.code == "M014"]
    assert bool(found) is flagged


def test_cover_letter_subject_is_free(tmp_path: Path) -> None:
    fixture = (FIXTURES / "common" / "ok-two-patch-series.mbox").read_text()
    text = fixture.replace("[PATCH 0/2] util: ring buffer space helper", "[PATCH 0/2] Ring buffers")
    assert "Ring buffers" in text
    assert "M014" not in codes(run(tmp_path, text))


# --- series facts ------------------------------------------------------------------


def test_missing_slot_is_one_series_finding() -> None:
    mail = FIXTURES / "M001" / "flagged-patch-2-of-3-missing.mbox"
    report = review([str(mail)], ReviewOptions(base=DirectoryTree(SAMPLE_TREE), select=("M",)))
    assert [(f.code, f.patch, f.message) for f in report.findings] == [
        ("M001", None, "patch 2 of 3 missing from the input (2 of 3 present)")
    ]


def test_partial_reroll_names_each_borrowed_slot() -> None:
    mail = FIXTURES / "M004" / "flagged-partial-reroll.mbox"
    report = review([str(mail)], ReviewOptions(base=DirectoryTree(SAMPLE_TREE), select=("M",)))
    found = [(f.code, f.patch) for f in report.findings]
    assert ("M004", None) in found
    assert ("M005", 1) in found
    assert ("M006", None) in found
    assert ("M005", 2) not in found  # slot 2 is the v2 copy


def test_fact_findings_keep_the_mail_location() -> None:
    mail = FIXTURES / "M022" / "flagged-duplicate-subject-header.mbox"
    report = review([str(mail)], ReviewOptions(base=DirectoryTree(SAMPLE_TREE), select=("M022",)))
    (finding,) = report.findings
    assert finding.message == "duplicate Subject header"
    assert finding.at == MailLocation(str(mail), 1)
    assert finding.patch == 1
