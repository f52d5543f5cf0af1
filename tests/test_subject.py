"""mail.subject.parse_subject: prefixes, version, counter, flags, tags."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewtool.mail.subject import parse_subject

# (raw subject, version, counter, total, is_reply, is_rfc, is_pull, tags, text)
CASES = [
    # the seed: vN and i/N
    (
        "[PATCH v10 3/8] qapi: add backend-transfer",
        10,
        3,
        8,
        False,
        False,
        False,
        (),
        "qapi: add backend-transfer",
    ),
    # single patch, nothing stated: None, not 1
    (
        "[PATCH] pci/shpc: Do not unparent",
        None,
        None,
        None,
        False,
        False,
        False,
        (),
        "pci/shpc: Do not unparent",
    ),
    # RFC before PATCH, cover letter 0/N
    ("[RFC PATCH v2 0/5] migration: foo", 2, 0, 5, False, True, False, (), "migration: foo"),
    # RFC without the PATCH keyword (corpus d-rfc-virtio-iterative-migration)
    (
        "[RFC 0/6] virtio-net: iterative",
        None,
        0,
        6,
        False,
        True,
        False,
        (),
        "virtio-net: iterative",
    ),
    # pull request with a zero-padded counter
    ("[PULL 06/18] qapi: pluggable", None, 6, 18, False, False, True, (), "qapi: pluggable"),
    # target-release tag (corpus d-for-8.2-v2-max-switchover-bandwidth)
    (
        "[PATCH for-11.0 v2 1/3] migration: x",
        2,
        1,
        3,
        False,
        False,
        False,
        ("for-11.0",),
        "migration: x",
    ),
    # Mercurial patchbomb counter
    ("[PATCH 1 of 4] hg: style", None, 1, 4, False, False, False, (), "hg: style"),
    # version glued to the keyword
    ("[PATCHv2] glued", 2, None, None, False, False, False, (), "glued"),
    ("[RFCv3 2/2] glued rfc", 3, 2, 2, False, True, False, (), "glued rfc"),
    # keyword glued to a tag
    ("[PATCH-for-9.0 1/2] tagged", None, 1, 2, False, False, False, ("for-9.0",), "tagged"),
    # reply chains keep the patch prefix, marked as reply
    ("Re: RE: [PATCH v3 2/2] semihosting: x", 3, 2, 2, True, False, False, (), "semihosting: x"),
    (
        "Re: [PATCH v2] chardev: reconnect-ms",
        2,
        None,
        None,
        True,
        False,
        False,
        (),
        "chardev: reconnect-ms",
    ),
    # a list tag and RESEND become tags
    (
        "[Qemu-devel] [PATCH RESEND v4 1/1] x",
        4,
        1,
        1,
        False,
        False,
        False,
        ("Qemu-devel", "RESEND"),
        "x",
    ),
    # "(was: [PATCH] ...)": a bracket in the middle is not a prefix (corpus d-nonpatch-discussion)
    (
        "-chardev with JSON (was: [PATCH] chardev: y)",
        None,
        None,
        None,
        False,
        False,
        False,
        (),
        "-chardev with JSON (was: [PATCH] chardev: y)",
    ),
    # out of range is recorded as sent
    ("[PATCH 6/5] stray", None, 6, 5, False, False, False, (), "stray"),
]


@pytest.mark.parametrize(
    ("raw", "version", "counter", "total", "is_reply", "is_rfc", "is_pull", "tags", "text"), CASES
)
def test_parse_subject(
    raw: str,
    version: int | None,
    counter: int | None,
    total: int | None,
    is_reply: bool,
    is_rfc: bool,
    is_pull: bool,
    tags: tuple[str, ...],
    text: str,
) -> None:
    s = parse_subject(raw)
    assert s.raw == raw
    assert (s.version, s.counter, s.total) == (version, counter, total)
    assert (s.is_reply, s.is_rfc, s.is_pull) == (is_reply, is_rfc, is_pull)
    assert s.tags == tags
    assert s.text == text


def test_prefixes_in_order_and_is_patch() -> None:
    s = parse_subject("[RFC PATCH v2 3/5] x")
    assert s.prefixes == ("RFC", "PATCH", "v2", "3/5")
    assert s.is_patch and s.effective_version == 2
    assert parse_subject("[PATCH 1 of 4] x").prefixes == ("PATCH", "1 of 4")
    assert not parse_subject("plain discussion").is_patch
    assert not parse_subject("-chardev (was: [PATCH] y)").is_patch
    assert parse_subject("[PATCH] x").effective_version == 1


def test_whitespace_is_normalised_but_raw_kept() -> None:
    raw = "[PATCH 1/2]   Hexagon do probe_write in\n HELPER(commit_store)"
    s = parse_subject(raw)
    assert s.raw == raw
    assert s.text == "Hexagon do probe_write in HELPER(commit_store)"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_parse_subject_never_raises(raw: str) -> None:
    s = parse_subject(raw)
    assert s.raw == raw
    assert s.text in " ".join(raw.split())
    assert (s.counter is None) == (s.total is None)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 99),
    st.integers(0, 50),
    st.integers(1, 50),
    st.booleans(),
    st.text(alphabet="abcdefgh: -/", min_size=1, max_size=30).filter(lambda t: t.strip()),
)
def test_generated_prefixes_round_trip(
    version: int, counter: int, total: int, rfc: bool, text: str
) -> None:
    raw = f"[{'RFC ' if rfc else ''}PATCH v{version} {counter}/{total}] {text}"
    s = parse_subject(raw)
    assert (s.version, s.counter, s.total, s.is_rfc) == (version, counter, total, rfc)
    assert s.text == " ".join(text.split())
