"""series.build_series: threading, versions, slots, facts, reply trailers,
Based-on / base-commit; small cases in tests/data/series and every corpus mbox."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DATA, SEED_SAMPLE

from reviewtool.errors import InputError, UsageError
from reviewtool.mail.mbox import iter_messages, read_messages
from reviewtool.series import Series, SeriesFactKind, build_series

SERIES = DATA / "series"


def load(path: Path, version: int | None = None) -> Series:
    return build_series(read_messages([str(path)]), version=version)


def fact_kinds(series: Series) -> list[str]:
    return [f.kind.value for f in series.facts]


def trailers(series: Series, k: int) -> list[tuple[str, str, bool]]:
    patch = series.patch(k)
    assert patch is not None
    return [(t.name, t.value, t.from_reply) for t in patch.trailers]


def test_seed_single_patch_of_eight() -> None:
    series = load(SEED_SAMPLE)
    assert (series.version, series.total, series.cover) == (10, 8, None)
    assert [p.index for p in series.patches] == [3]
    assert series.missing == (1, 2, 4, 5, 6, 7, 8)
    assert trailers(series, 3) == [
        ("Signed-off-by", "Vladimir Sementsov-Ogievskiy", False),
        ("Acked-by", "Markus Armbruster", False),
        ("Acked-by", "Peter Xu", False),
    ]
    patch = series.patch(3)
    assert patch is not None and patch.author == "Vladimir Sementsov-Ogievskiy"
    assert patch.body.diff.startswith("diff --git a/include/migration/misc.h")
    # a located trailer: message and body line
    loc = patch.trailers[0].location
    assert loc is not None and loc.index == 1 and loc.line is not None
    assert patch.message.body.split("\n")[loc.line - 1].startswith("Signed-off-by:")
    missing = [f.slot for f in series.facts if f.kind is SeriesFactKind.MISSING]
    assert missing == [1, 2, 4, 5, 6, 7, 8]
    assert series.patch(1) is None and series.patch(0) is None


def test_partial_reroll_fills_from_v1() -> None:
    """v2 resends only patch 2, as a reply to v1's patch 2.

    Input: [PATCH 0/3], [PATCH 1/3], [PATCH 2/3], [PATCH 3/3],
    then [PATCH v2 2/3] (In-Reply-To: v1 2/3).
    """
    series = load(SERIES / "partial-reroll.mbox")
    assert series.version == 2 and series.versions == (1, 2)
    assert [(p.index, p.version) for p in series.patches] == [(1, 1), (2, 2), (3, 1)]
    assert series.cover is not None and series.cover.version == 1
    assert series.missing == ()
    assert series.patch(2) is not None and series.patch(2).subject.text == "hello: two, fixed"  # type: ignore[union-attr]
    kinds = fact_kinds(series)
    assert kinds.count("partial-reroll") == 3
    assert "mixed-version" in kinds
    v1 = load(SERIES / "partial-reroll.mbox", version=1)
    assert [(p.index, p.version) for p in v1.patches] == [(1, 1), (2, 1), (3, 1)]
    assert "mixed-version" not in fact_kinds(v1)


def test_reply_trailers() -> None:
    """Reply to the cover -> every patch; to 2/2 -> 2/2 (quoted and signature
    lines ignored; a carried-over trailer not doubled); nested reply -> 1/2."""
    series = load(SERIES / "reply-trailers.mbox")
    assert trailers(series, 1) == [
        ("Signed-off-by", "A U Thor <author@example.org>", False),
        ("Reviewed-by", "Series Reviewer <series@example.org>", True),
        ("Tested-by", "Test Er <tester@example.org>", True),
    ]
    assert trailers(series, 2) == [
        ("Signed-off-by", "A U Thor <author@example.org>", False),
        ("Reviewed-by", "Carried Over <carried@example.org>", False),
        ("Reviewed-by", "Series Reviewer <series@example.org>", True),
        ("Acked-by", "Maint Ainer <maint@example.org>", True),
    ]
    patch = series.patch(2)
    assert patch is not None
    acked = patch.trailers[-1]
    assert acked.given_by == "Maint Ainer <maint@example.org>"
    assert acked.location is not None and acked.location.index == 5


def test_missing_slot() -> None:
    series = load(SERIES / "missing-slot.mbox")
    assert series.missing == (2,) and series.total == 3
    assert [f.slot for f in series.facts if f.kind is SeriesFactKind.MISSING] == [2]
    assert "[2/3] MISSING" in series.dump()


def test_duplicate_and_out_of_range() -> None:
    series = load(SERIES / "duplicate.mbox")
    assert series.total == 2 and series.cover is None
    assert [p.index for p in series.patches] == [1, 2, 3]
    two = series.patch(2)
    assert two is not None and two.subject.text == "hello: two (again)"  # the later copy
    dup = [f for f in series.facts if f.kind is SeriesFactKind.DUPLICATE]
    assert len(dup) == 1 and dup[0].slot == 2 and dup[0].location is not None
    assert dup[0].location.index == 2  # the dropped copy
    stray = [f for f in series.facts if f.kind is SeriesFactKind.OUT_OF_RANGE]
    assert [f.slot for f in stray] == [3]
    assert series.missing == ()


def test_versions_newest_by_default_and_chosen() -> None:
    series = load(SERIES / "mixed-versions.mbox")
    assert series.version == 2 and series.versions == (1, 2)
    assert series.cover is not None and series.cover.message.message_id == "mv2-0@example.org"
    assert [p.message.message_id for p in series.patches] == [
        "mv2-1@example.org",
        "mv2-2@example.org",
    ]
    assert fact_kinds(series) == ["other-version"]
    assert series.based_on == ("other-series@example.org",)
    assert series.base_commit == "abcdef0123456789abcdef0123456789abcdef01"
    assert series.prerequisite_patch_ids == ("1111111111111111111111111111111111111111",)
    v1 = load(SERIES / "mixed-versions.mbox", version=1)
    assert [p.message.message_id for p in v1.patches] == ["mv1-1@example.org", "mv1-2@example.org"]
    assert v1.based_on == ()
    with pytest.raises(
        UsageError, match=r"series version 3 is not in the input \(versions seen: 1, 2\)"
    ):
        load(SERIES / "mixed-versions.mbox", version=3)


def test_streamed_input_gives_the_same_series() -> None:
    path = str(SERIES / "reply-trailers.mbox")
    assert build_series(iter_messages([path])).dump() == load(Path(path)).dump()


def test_to_dict_shape() -> None:
    data = load(SERIES / "reply-trailers.mbox").to_dict()
    assert data["version"] == 1 and data["total"] == 2
    assert data["cover"]["subject"] == "[PATCH 0/2] hello: two changes"
    assert data["cover"]["message_id"] == "rt-0@example.org"
    first = data["patches"][0]
    assert set(first) >= {"index", "subject", "message_id", "author", "trailers"}
    assert first["trailers"][1] == {
        "name": "Reviewed-by",
        "value": "Series Reviewer <series@example.org>",
        "email": "series@example.org",
        "from_reply": True,
        "given_by": "Series Reviewer <series@example.org>",
    }
    assert data["missing"] == [] and data["based_on"] == []


# --- the corpus: what each thread holds, read from the mails themselves

CORPUS_EXPECTED = {
    # file: (version, total, cover subject or None, present slots, missing)
    "d-b4-single-patch-base-commit.mbox": (1, 1, None, [1], ()),
    "d-base64-hexagon-sigsegv-with-replies.mbox": (1, 2, "[PATCH 0/2] SIGSEGV fixes", [1, 2], ()),
    "d-docs-specs-rename-new-deleted.mbox": (
        1,
        8,
        "[PATCH 0/8] docs/specs: Convert txt files to rST",
        list(range(1, 9)),
        (),
    ),
    "d-for-8.2-v2-max-switchover-bandwidth.mbox": (
        2,
        2,
        "[PATCH for-8.2 v2 0/2] migration: Add max-switchover-bandwidth parameter",
        [1, 2],
        (),
    ),
    "d-pull-qapi-2025-02-26.mbox": (
        1,
        6,
        "[PULL 0/6] QAPI patches patches for 2025-02-26",
        list(range(1, 7)),
        (),
    ),
    "d-qp-block-nvme-tracing-with-replies.mbox": (
        1,
        2,
        "[PATCH 0/2] block/nvme: Minor tracing improvements",
        [1, 2],
        (),
    ),
    "d-rfc-virtio-iterative-migration.mbox": (
        1,
        6,
        "[RFC 0/6] virtio-net: initial iterative live migration support",
        list(range(1, 7)),
        (),
    ),
    "d-single-patch-migration-param-postcopy-keepalive.mbox": (1, 1, None, [1], ()),
    "d-single-rfc-patch-encoded-word-from.mbox": (1, 1, None, [1], ()),
    "d-v2-chardev-reconnect-ms-with-replies.mbox": (2, 1, None, [1], ()),
    "d-v3-based-on-semihosting-uaccess-with-replies.mbox": (
        3,
        2,
        "[PATCH v3 0/2] semihosting/uaccess: Compile once",
        [1, 2],
        (),
    ),
}


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTED))
def test_corpus_outline(shared: Path, name: str) -> None:
    version, total, cover, present, missing = CORPUS_EXPECTED[name]
    series = load(shared / "corpus" / name)
    assert (series.version, series.total, series.missing) == (version, total, missing)
    assert (series.cover.subject.raw if series.cover else None) == cover
    assert [p.index for p in series.patches] == present
    assert all(p.body.has_diff for p in series.patches)
    assert not [
        f
        for f in series.facts
        if f.kind in (SeriesFactKind.DUPLICATE, SeriesFactKind.OUT_OF_RANGE, SeriesFactKind.MISSING)
    ]


def test_corpus_discussion_is_not_a_patch(shared: Path) -> None:
    path = shared / "corpus/d-nonpatch-discussion-3msgs.mbox"
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.render() == (
        f"{path}: no patch found in 3 messages (only discussion, replies or broken mail)"
    )


def test_corpus_reply_trailers(shared: Path) -> None:
    corpus = shared / "corpus"
    hexagon = load(corpus / "d-base64-hexagon-sigsegv-with-replies.mbox")
    rth = "Richard Henderson <richard.henderson@linaro.org>"
    assert trailers(hexagon, 1) == [
        ("Signed-off-by", "Taylor Simpson <tsimpson@quicinc.com>", False)
    ]
    assert trailers(hexagon, 2)[-1] == ("Reviewed-by", rth, True)

    nvme = load(corpus / "d-qp-block-nvme-tracing-with-replies.mbox")
    for k in (1, 2):
        patch = nvme.patch(k)
        assert patch is not None
        (reply,) = [t for t in patch.trailers if t.from_reply]
        assert (reply.value, reply.given_by) == (
            "Klaus Jensen <k.jensen@samsung.com>",
            "Klaus Jensen <its@irrelevant.dk>",
        )

    chardev = load(corpus / "d-v2-chardev-reconnect-ms-with-replies.mbox")
    assert trailers(chardev, 1) == [
        ("Reviewed-by", "Vladimir Sementsov-Ogievskiy <vsementsov@yandex-team.ru>", False),
        ("Acked-by", "Peter Krempa <pkrempa@redhat.com>", False),
        ("Signed-off-by", "Daniil Tatianin <d-tatianin@yandex-team.ru>", False),
        ("Tested-by", "Markus Armbruster <armbru@redhat.com>", True),
        ("Acked-by", "Markus Armbruster <armbru@redhat.com>", True),
    ]

    semi = load(corpus / "d-v3-based-on-semihosting-uaccess-with-replies.mbox")
    assert semi.based_on == ("20250521223414.248276-1-pierrick.bouvier@linaro.org",)
    assert trailers(semi, 1) == [
        ("Signed-off-by", "Philippe Mathieu-Daudé <philmd@linaro.org>", False),
        ("Reviewed-by", "Pierrick Bouvier <pierrick.bouvier@linaro.org>", False),
        ("Reviewed-by", rth, True),
    ]
    assert trailers(semi, 2) == [
        ("Signed-off-by", "Philippe Mathieu-Daudé <philmd@linaro.org>", False),
        ("Reviewed-by", rth, True),
    ]


def test_corpus_authors_and_bases(shared: Path) -> None:
    corpus = shared / "corpus"
    pull = load(corpus / "d-pull-qapi-2025-02-26.mbox")
    assert pull.cover is not None and pull.cover.subject.is_pull
    # in-body From: names the original author of each pulled patch
    assert [p.author for p in pull.patches] == [
        "Roman Penyaev <r.peniaev@gmail.com>",
        "John Snow <jsnow@redhat.com>",
        "John Snow <jsnow@redhat.com>",
        "John Snow <jsnow@redhat.com>",
        "John Snow <jsnow@redhat.com>",
        "Daniel P. Berrangé <berrange@redhat.com>",
    ]
    b4 = load(corpus / "d-b4-single-patch-base-commit.mbox")
    assert b4.base_commit == "c85ba2d7a4056595166689890285105579db446a"
    rfc = load(corpus / "d-rfc-virtio-iterative-migration.mbox")
    assert {p.author for p in rfc.patches} == {"Jonah Palmer <jonah.palmer@oracle.com>"}
    assert rfc.cover is not None and rfc.cover.subject.is_rfc
    tagged = load(corpus / "d-for-8.2-v2-max-switchover-bandwidth.mbox")
    assert all(p.subject.tags == ("for-8.2",) for p in tagged.patches)
    assert trailers(tagged, 2) == [
        ("Reported-by", "Zhiyi Guo <zhguo@redhat.com>", False),
        ("Signed-off-by", "Peter Xu <peterx@redhat.com>", False),
    ]


def test_several_corpus_inputs_pick_newest(shared: Path) -> None:
    corpus = shared / "corpus"
    inputs = [
        str(corpus / "d-v2-chardev-reconnect-ms-with-replies.mbox"),
        str(corpus / "d-v3-based-on-semihosting-uaccess-with-replies.mbox"),
    ]
    series = build_series(read_messages(inputs))
    assert (series.version, series.versions) == (3, (2, 3))
    assert series.title == "semihosting/uaccess: Compile once"


@pytest.mark.parametrize("path", sorted(SERIES.glob("*.mbox")), ids=lambda p: p.name)
def test_series_dump_golden(
    path: Path, golden: Callable[[str, Path], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Series.dump()`` of each small case, next to it as ``<name>.out``."""
    monkeypatch.chdir(SERIES)
    series = build_series(read_messages([path.name]))
    golden(series.dump(), path.with_suffix(".out"))


def test_patch_labelled_with_the_wrong_version(tmp_path: Path) -> None:
    """[PATCH v2 0/2], then [PATCH 1/2] (v2 forgotten), [PATCH v2 2/2]: one series."""
    text = (DATA / "series" / "missing-slot.mbox").read_text()
    text = text.replace("[PATCH 0/3]", "[PATCH v2 0/2]").replace("[PATCH 3/3]", "[PATCH v2 2/2]")
    text = text.replace("[PATCH 1/3]", "[PATCH 1/2]")
    (tmp_path / "x.mbox").write_text(text)
    series = load(tmp_path / "x.mbox")
    assert series.version == 2 and [p.index for p in series.patches] == [1, 2]
    (mixed,) = [f for f in series.facts if f.slot == 1]
    assert mixed.kind is SeriesFactKind.MIXED_VERSION
    assert mixed.message == "slot 1 is labelled v1 in the v2 series"
    assert "partial-reroll" not in fact_kinds(series)
