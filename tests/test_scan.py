"""review scan: streaming archive reader, threading, QAPI pre-filter, parallel review."""

from __future__ import annotations

import base64
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
from conftest import ROOT, SEED_SAMPLE, corpus_files

from reviewtool import scan
from reviewtool.errors import InputError

DATA = Path(__file__).resolve().parent / "data"

# What the pre-filter must find in each real thread (../shared/corpus), by
# file: the qapi/*.json files its diffs touch. tests/qapi-schema/*.json in
# the PULL is not under qapi/ and must not count.
CORPUS_QAPI = {
    "d-b4-single-patch-base-commit.mbox": (),
    "d-base64-hexagon-sigsegv-with-replies.mbox": (),
    "d-docs-specs-rename-new-deleted.mbox": (),
    "d-for-8.2-v2-max-switchover-bandwidth.mbox": ("qapi/migration.json",),
    "d-nonpatch-discussion-3msgs.mbox": (),
    "d-pull-qapi-2025-02-26.mbox": ("qapi/char.json",),
    "d-qp-block-nvme-tracing-with-replies.mbox": (),
    "d-rfc-virtio-iterative-migration.mbox": ("qapi/migration.json",),
    "d-single-patch-migration-param-postcopy-keepalive.mbox": ("qapi/migration.json",),
    "d-single-rfc-patch-encoded-word-from.mbox": (),
    "d-v2-chardev-reconnect-ms-with-replies.mbox": ("qapi/char.json",),
    "d-v3-based-on-semihosting-uaccess-with-replies.mbox": (),
}


def _load_make_archive() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_archive", ROOT / "bench/make_archive.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mail(mid: str, subject: str, body: str, extra: str = "", cte: str = "8bit") -> str:
    return (
        "From dev@example.org Mon Jan  5 10:00:00 2026\n"
        "From: Dev <dev@example.org>\n"
        f"Message-ID: <{mid}>\n{extra}"
        f"Subject: {subject}\n"
        f"Content-Transfer-Encoding: {cte}\n\n{body}\n\n"
    )


QAPI_DIFF = (
    "qapi: x\n\n---\n"
    "diff --git a/qapi/misc.json b/qapi/misc.json\n"
    "--- a/qapi/misc.json\n+++ b/qapi/misc.json\n@@ -1 +1,2 @@\n #\n+# x\n"
)


# --- reading ---------------------------------------------------------------


def test_spans_cover_the_file_exactly(tmp_path: Path) -> None:
    text = _mail("a@x", "[PATCH 1/2] a", "body a") + _mail("b@x", "[PATCH 2/2] b", "body b")
    path = tmp_path / "two.mbox"
    path.write_bytes(text.encode())
    spans = list(scan.iter_spans(str(path)))
    assert [o for o, _ in spans] == [0, len(_mail("a@x", "[PATCH 1/2] a", "body a"))]
    assert b"".join(raw for _, raw in spans) == text.encode()


def test_chunk_boundaries_do_not_change_the_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tiny read size puts chunk boundaries inside headers and separators.
    text = "".join(_mail(f"m{i}@x", f"[PATCH {i}/9] p", "line\n" * i) for i in range(1, 10))
    path = tmp_path / "nine.mbox"
    path.write_bytes(text.encode())
    expected = list(scan.iter_spans(str(path)))
    monkeypatch.setattr(scan, "READ_CHUNK", 7)
    assert list(scan.iter_spans(str(path))) == expected
    assert len(expected) == 9


def test_body_line_starting_with_from_is_not_a_separator() -> None:
    path = DATA / "fuzz/structure-unescaped-from-in-body.mbox"
    spans = list(scan.iter_spans(str(path)))
    # "From the start, ..." follows a blank line, but no header follows it
    assert len(spans) == 1
    assert b"From the start" in spans[0][1]


def test_not_an_mbox_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "x.mbox"
    path.write_bytes(b"hello\n")
    with pytest.raises(InputError, match="not an mbox"):
        list(scan.iter_spans(str(path)))
    with pytest.raises(InputError, match="no such archive"):
        scan.read_archives([str(tmp_path / "missing.mbox")])


def test_peek_reads_ids_and_folded_references() -> None:
    raw = (
        b"From x Mon Jan  5 10:00:00 2026\nMessage-Id: <c@x>\nIn-Reply-To: <b@x>\n"
        b"References: <a@x>\n\t<b@x>\nSubject: [PATCH 2/2]\n qapi: x\n\nbody\n"
    )
    msg = scan.peek_message("arch", 3, 100, raw)
    assert (msg.message_id, msg.parents, msg.subject) == (
        "c@x",
        ("b@x", "a@x"),
        "[PATCH 2/2] qapi: x",
    )
    assert (msg.index, msg.offset, msg.length, msg.qapi_paths) == (3, 100, len(raw), ())


@pytest.mark.parametrize(
    ("body", "cte", "expected"),
    [
        # plain diff header
        (QAPI_DIFF, "8bit", ("qapi/misc.json",)),
        # the same diff base64-encoded (as some corporate senders do)
        (base64.encodebytes(QAPI_DIFF.encode()).decode(), "base64", ("qapi/misc.json",)),
        # quoted-printable with a soft line break inside the path
        (
            QAPI_DIFF.replace("+++ b/qapi/misc.json", "+++ b/qapi/mi=\nsc.json"),
            "quoted-printable",
            ("qapi/misc.json",),
        ),
        # a path outside qapi/ and a non-json file under qapi/ do not count
        (QAPI_DIFF.replace("qapi/misc.json", "tests/qapi-schema/x.json"), "8bit", ()),
        (QAPI_DIFF.replace("qapi/misc.json", "qapi/meson.build"), "8bit", ()),
        # a review reply quoting the diff ("> +++ b/...") is not a patch
        ("> " + QAPI_DIFF.replace("\n", "\n> "), "8bit", ()),
    ],
)
def test_qapi_prefilter(body: str, cte: str, expected: tuple[str, ...]) -> None:
    raw = _mail("p@x", "[PATCH] qapi: x", body, cte=cte).encode()
    assert scan.find_qapi_paths(raw) == expected


def test_corpus_threads_and_qapi_files(shared: Path) -> None:
    for path in corpus_files():
        threads, size = scan.read_archives([str(path)])
        assert size == path.stat().st_size
        assert threads.count() == 1, path.name  # each corpus file is one thread
        jobs = threads.qapi_jobs()
        want = CORPUS_QAPI[path.name]
        assert [j.qapi_paths for j in jobs] == ([want] if want else []), path.name
        if jobs:
            assert len(jobs[0].spans) == len(threads)  # the whole thread goes to review


def test_corpus_message_count_matches_the_mail_stage(shared: Path) -> None:
    mbox = pytest.importorskip("reviewtool.mail.mbox")
    for path in corpus_files():
        mail = mbox.read_messages([str(path)])
        threads, _ = scan.read_archives([str(path)])
        assert len(threads) == len(mail.messages) + len(mail.problems), path.name


# --- threading --------------------------------------------------------------


def _threads(text: str, tmp_path: Path) -> scan.Threads:
    path = tmp_path / "t.mbox"
    path.write_text(text)
    return scan.read_archives([str(path)])[0]


def test_replies_and_missing_parents_join_one_thread(tmp_path: Path) -> None:
    # 1/2 and 2/2 reply to a cover that is not in the archive: the phantom
    # cover still ties them together; an unrelated patch stays apart.
    text = (
        _mail("p1@x", "[PATCH 1/2] a", QAPI_DIFF, "In-Reply-To: <cover@x>\n")
        + _mail("p2@x", "[PATCH 2/2] b", "no diff", "References: <cover@x>\n")
        + _mail("r@x", "Re: [PATCH 2/2] b", "Reviewed-by: R <r@x>", "In-Reply-To: <p2@x>\n")
        + _mail("other@x", "[PATCH] other", "no diff")
    )
    threads = _threads(text, tmp_path)
    assert (len(threads), threads.count()) == (4, 2)
    (job,) = threads.qapi_jobs()
    assert [s.index for s in job.spans] == [1, 2, 3]
    assert job.subject == "[PATCH 1/2] a"


def test_cycles_duplicates_and_missing_ids_do_not_loop(tmp_path: Path) -> None:
    text = (
        _mail("a@x", "[PATCH 1/2] a", QAPI_DIFF, "In-Reply-To: <b@x>\n")
        + _mail("b@x", "[PATCH 2/2] b", "x", "In-Reply-To: <a@x>\n")
        + _mail("a@x", "[PATCH 1/2] again", "x")  # duplicate id joins the first
        + _mail("", "[PATCH] no id", QAPI_DIFF).replace("Message-ID: <>\n", "")
    )
    threads = _threads(text, tmp_path)
    assert threads.count() == 2
    assert [len(j.spans) for j in threads.qapi_jobs()] == [3, 1]


def test_built_archive_copies_are_distinct_threads(shared: Path, tmp_path: Path) -> None:
    make_archive = _load_make_archive()
    out = tmp_path / "big.mbox"
    sources = [*corpus_files(), SEED_SAMPLE]
    assert make_archive.main([str(out), "1.2", *map(str, sources)]) == 0
    threads, _ = scan.read_archives([str(out)])
    per_copy = sum(len(list(scan.iter_spans(str(p)))) for p in sources)
    copies = len(threads) // per_copy
    assert copies >= 2 and len(threads) == copies * per_copy
    assert threads.count() == copies * len(sources)
    qapi_threads = sum(1 for v in CORPUS_QAPI.values() if v) + 1  # + the seed patch
    assert len(threads.qapi_jobs()) == copies * qapi_threads


# --- reviewing ------------------------------------------------------------------


def _codes(report) -> tuple[tuple[str, int], ...]:
    codes: dict[str, int] = {}
    for f in report.findings:
        codes[f.code] = codes.get(f.code, 0) + 1
    return tuple(sorted(codes.items()))


def test_scan_review_matches_review_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread found in an archive gets the same findings as `review check` on it alone."""
    from reviewtool.pipeline import ReviewOptions, review

    monkeypatch.chdir(tmp_path)  # not a QEMU tree: the bundled sample tree is the base
    archive = tmp_path / "archive.mbox"
    other = _mail("noise@x", "Re: unrelated", "no diff here")
    archive.write_bytes(other.encode() + SEED_SAMPLE.read_bytes())
    summary = scan.scan_archives([str(archive)], scan.ScanOptions(cwd=str(tmp_path)))
    assert (summary.messages, summary.threads) == (2, 2)
    (result,) = summary.results
    direct = review([str(SEED_SAMPLE)], ReviewOptions(cwd=tmp_path))
    assert result.error is None
    assert result.codes == _codes(direct) and result.codes
    assert result.verdict == direct.verdict
    assert result.qapi_paths == ("qapi/migration.json",)
    # mail locations point into the archive, not at the in-memory copy
    mail_wheres = [w for _, _, w, _ in result.findings if "message" in w]
    assert all(w.startswith(f"{archive}: message 2") for w in mail_wheres)
    assert not any("/proc/self/fd" in w for _, _, w, _ in result.findings)


def test_parallel_scan_gives_the_same_results_in_order(shared: Path, tmp_path: Path) -> None:
    archives = [str(SEED_SAMPLE), *map(str, corpus_files())]
    options = scan.ScanOptions(cwd=str(tmp_path))
    one = scan.scan_archives(archives, options)
    two = scan.scan_archives(archives, scan.ScanOptions(jobs=2, cwd=str(tmp_path)))
    assert one.to_dict() == two.to_dict()
    assert [r.first.split(":")[0] for r in one.results] == [
        a for a in archives if a == str(SEED_SAMPLE) or CORPUS_QAPI.get(Path(a).name)
    ]
    assert not [r for r in one.results if r.crashed], [r.error for r in one.results]


def test_a_crashing_review_is_recorded_and_the_scan_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "a.mbox"
    archive.write_text(
        _mail("a@x", "[PATCH] qapi: a", QAPI_DIFF) + _mail("b@x", "[PATCH] b", QAPI_DIFF)
    )
    calls = []

    def explode(inputs, options):
        calls.append(inputs)
        raise RuntimeError("boom")

    monkeypatch.setattr(scan, "review", explode)
    summary = scan.scan_archives([str(archive)], scan.ScanOptions(cwd=str(tmp_path)))
    assert len(calls) == 2
    assert [(r.crashed, r.error) for r in summary.results] == [
        (True, "internal error: RuntimeError: boom")
    ] * 2
    assert "2 internal error" in scan.render_scan_text(summary)


def test_a_thread_without_a_patch_is_not_reviewed_cleanly(tmp_path: Path) -> None:
    # A reply carrying an unquoted diff passes the pre-filter, but the series
    # stage finds no patch in the thread: a clean "not reviewed", no crash.
    archive = tmp_path / "a.mbox"
    archive.write_text(_mail("a@x", "Re: [PATCH] qapi: x", QAPI_DIFF))
    summary = scan.scan_archives([str(archive)], scan.ScanOptions(cwd=str(tmp_path)))
    (result,) = summary.results
    assert not result.crashed
    assert result.error is not None and result.error.startswith("no patch found")
    assert "1 not reviewed" in scan.render_scan_text(summary)


# --- the command --------------------------------------------------------------


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from reviewtool.cli import main

    with pytest.raises(SystemExit) as stop:
        main(argv)
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), out, err


def test_scan_command_text_json_and_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = _main(["scan", str(SEED_SAMPLE), "--jobs", "1"], capsys)
    assert code == 0, err
    assert out.startswith(f"{SEED_SAMPLE}: message 1: [PATCH v10 3/8] qapi: add backend-transfer")
    last = out.splitlines()[-1]
    assert re.fullmatch(
        r"scanned 1 messages in 1 threads \(0\.0 MB\); 1 series touch "
        r"qapi/\*\.json: 1 (errors|warnings|notes|clean)",
        last,
    ), last
    code, out, err = _main(["scan", str(SEED_SAMPLE), "--format", "json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["schema_version"], doc["messages"], doc["qapi_series"]) == (1, 1, 1)
    assert doc["series"][0]["qapi_files"] == ["qapi/migration.json"]
    target = tmp_path / "out" / "scan.json"
    target.parent.mkdir()
    code, out, err = _main(
        ["scan", str(SEED_SAMPLE), "--format", "json", "-o", str(target)], capsys
    )
    assert (code, out) == (0, "")
    assert json.loads(target.read_text()) == doc
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["out", "scan.json"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scan", "missing.mbox"], "missing.mbox: no such archive file"),
        (["scan", "{sample}", "--format", "sarif"], "unknown --format 'sarif'"),
        (["scan", "{sample}", "--tree", "no-such-dir"], "no-such-dir"),
    ],
)
def test_scan_command_errors_are_one_line(
    argv: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _main([a.format(sample=SEED_SAMPLE) for a in argv], capsys)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_summary_text_is_always_utf8() -> None:
    # a stage may keep undecodable mail bytes as lone surrogates
    assert scan._printable("id\udce3@x") == "id?@x"
    assert scan._printable("Mathieu-Daudé") == "Mathieu-Daudé"
