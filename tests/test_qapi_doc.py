"""Doc comments split into sections (qapi/doc.py)."""

from __future__ import annotations

from conftest import DATA

from reviewtool.location import TreeLocation
from reviewtool.qapi import load_schema
from reviewtool.qapi.doc import SINCE_RE
from reviewtool.tree import DirectoryTree

BASIC = DATA / "qapi" / "basic"


def _schema():  # type: ignore[no-untyped-def]
    return load_schema(DirectoryTree(BASIC), "schema.json")


def test_sections_of_a_struct_doc() -> None:
    opts = _schema().lookup("GadgetOptions")
    assert opts is not None and opts.doc is not None
    doc = opts.doc
    assert doc.symbol == "GadgetOptions"
    assert doc.location == TreeLocation("sub/gadget.json", 31)
    assert doc.body == "Gadget settings.  The body can span\nseveral lines."
    assert [s.name for s in doc.members] == ["size", "tags", "colour", "x-fast"]
    tags = doc.member("tags")
    assert tags is not None
    assert tags.text == (
        "labels for the gadget.  A longer description that\ncontinues on the next line (Since 1.3)"
    )
    assert tags.location == TreeLocation("sub/gadget.json", 39)
    assert tags.since == "1.3"
    colour = doc.member("colour")
    assert colour is not None and colour.since is None
    assert [s.name for s in doc.features] == ["unstable"]
    unstable = doc.feature("unstable")
    assert unstable is not None and unstable.text == "Member @x-fast is experimental."
    assert doc.since == "1.0"
    assert doc.member("nope") is None


def test_since_in_lower_case() -> None:
    kind = _schema().lookup("GadgetKind")
    assert kind is not None and kind.doc is not None
    lever = kind.doc.member("lever")
    assert lever is not None and lever.since == "2.1"


def test_returns_and_errors_sections() -> None:
    cmd = _schema().lookup("set-gadget")
    assert cmd is not None and cmd.doc is not None
    assert [s.kind for s in cmd.doc.sections] == ["Returns", "Errors", "Since"]
    errors = cmd.doc.tagged("Errors")
    assert errors is not None and errors.text == "- If @id does not exist, GenericError"
    returns = cmd.doc.tagged("Returns")
    assert returns is not None and returns.text == "nothing"


def test_doc_without_members_or_since() -> None:
    gadget = _schema().lookup("Gadget")
    assert gadget is not None and gadget.doc is not None
    assert gadget.doc.members == () and gadget.doc.since == "1.0"
    assert gadget.doc.body == "A gadget of some kind."


def test_since_regex_variants() -> None:
    for text, version in [
        ("foo (Since 4.0)", "4.0"),
        ("foo (since 11.0)", "11.0"),
        ("foo (since: 2.12)", "2.12"),
        ("foo (SINCE 2.12.1)", "2.12.1"),
    ]:
        m = SINCE_RE.search(text)
        assert m is not None and m.group(1) == version
    assert SINCE_RE.search("since 4.0") is None  # needs the parentheses


def test_doc_equality_is_by_text() -> None:
    a = _schema().lookup("GadgetOptions")
    b = _schema().lookup("GadgetOptions")
    assert a is not None and b is not None and a.doc == b.doc
    other = _schema().lookup("GadgetBase")
    assert other is not None and other.doc != a.doc
