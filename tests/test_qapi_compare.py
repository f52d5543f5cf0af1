"""Schema differences (qapi/compare.py) between a base schema and edited copies."""

from __future__ import annotations

from conftest import DATA

from reviewtool.qapi import Schema, load_schema
from reviewtool.qapi.compare import compare_schemas
from reviewtool.tree import DirectoryTree

BASIC = DATA / "qapi" / "basic"
GADGET = "sub/gadget.json"


def _base() -> Schema:
    return load_schema(DirectoryTree(BASIC), "schema.json")


def _edited(*edits: tuple[str, str]) -> Schema:
    tree = DirectoryTree(BASIC)
    text = (BASIC / GADGET).read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    return load_schema(tree.overlay({GADGET: text.encode()}), "schema.json")


def test_identical_schemas_have_no_diff() -> None:
    diff = compare_schemas(_base(), _base())
    assert diff.is_empty and diff.render() == ""


def test_added_enum_value_and_struct_member_with_doc() -> None:
    after = _edited(
        ("'data': [ 'spring', 'lever' ]", "'data': [ 'spring', 'lever', 'wheel' ]"),
        (
            "# @x-fast: go faster\n",
            "# @x-fast: go faster\n#\n# @turbo: even faster, when the\n"
            "#     gadget allows it (Since 2.0)\n",
        ),
        (
            "            'colour': 'Colour',\n",
            "            'colour': 'Colour',\n            '*turbo': 'bool',\n",
        ),
    )
    diff = compare_schemas(_base(), after)
    assert [(m.kind, m.definition, m.member, m.role) for m in diff.added_members] == [
        ("enum", "GadgetKind", "wheel", "value"),
        ("struct", "GadgetOptions", "turbo", "member"),
    ]
    wheel, turbo = diff.added_members
    assert wheel.doc is None and wheel.since is None
    assert turbo.doc == "even faster, when the\ngadget allows it (Since 2.0)"
    assert turbo.since == "2.0"
    assert turbo.type == "bool" and turbo.optional
    assert turbo.location.path == GADGET and turbo.location.line == 60
    assert turbo.doc_location is not None and turbo.doc_location.line == 46
    # the new member's doc is reported with the member, not as a doc change
    assert diff.doc_changes == ()
    assert diff.added == () and diff.removed == () and diff.changed == ()
    assert diff.removed_members == () and diff.changed_members == ()
    assert diff.render().splitlines() == [
        "sub/gadget.json:15: added value 'wheel' to enum 'GadgetKind' [undocumented, no (Since)]",
        "sub/gadget.json:60: added member 'turbo' (optional bool) to struct 'GadgetOptions'"
        " [documented, since 2.0]",
        "    | even faster, when the",
        "    | gadget allows it (Since 2.0)",
    ]


def test_removed_and_changed_members() -> None:
    after = _edited(
        ("'data': { 'kind': 'GadgetKind', 'name': 'str' }", "'data': { 'kind': 'GadgetKind' }"),
        ("'*size': 'size'", "'size': 'uint32'"),
        ("'*tags': [ 'str' ]", "'*tags': 'str'"),
    )
    diff = compare_schemas(_base(), after)
    assert [(r.definition, r.member) for r in diff.removed_members] == [("GadgetBase", "name")]
    changes = {c.member: c.changes for c in diff.changed_members}
    assert changes == {
        "size": ("type size -> uint32", "now required"),
        "tags": ("type [str] -> str",),
    }


def test_added_removed_and_changed_definitions() -> None:
    after = _edited(
        (
            "{ 'event': 'GADGET_CHANGED', 'data': { 'id': 'str' } }",
            "{ 'event': 'GADGET_CHANGED', 'data': { 'id': 'str' } }\n\n"
            "##\n# @GADGET_GONE:\n#\n# Gone.\n#\n# Since: 2.0\n##\n{ 'event': 'GADGET_GONE' }",
        ),
        ("'returns': 'Gadget' }", "'returns': 'GadgetBase' }"),
        ("{ 'command': 'query-gadget'", "{ 'command': 'query-gadget', 'if': 'CONFIG_Q'"),
    )
    diff = compare_schemas(_base(), after)
    assert [(a.kind, a.name) for a in diff.added] == [("event", "GADGET_GONE")]
    assert diff.added[0].definition.doc is not None
    assert diff.added[0].definition.doc.since == "2.0"
    assert [(c.name, c.what, c.before, c.after) for c in diff.changed] == [
        ("query-gadget", "if", "", "CONFIG_Q"),
        (
            "query-gadget",
            "signature",
            "arg_type=GadgetBase returns=Gadget boxed",
            "arg_type=GadgetBase returns=GadgetBase boxed",
        ),
    ]
    removed = compare_schemas(after, _base())
    assert [(r.kind, r.name) for r in removed.removed] == [("event", "GADGET_GONE")]


def test_doc_and_feature_changes() -> None:
    after = _edited(
        ("# @colour: the colour", "# @colour: the colour of the gadget"),
        ("# Query a gadget, arguments boxed.", "# Query a gadget."),
        ("'*x-fast': { 'type': 'bool', 'features': [ 'unstable' ] }", "'*x-fast': 'bool'"),
        (
            "{ 'event': 'GADGET_CHANGED', 'data': { 'id': 'str' } }",
            "{ 'event': 'GADGET_CHANGED', 'data': { 'id': 'str' }, 'features': ['deprecated'] }",
        ),
    )
    diff = compare_schemas(_base(), after)
    assert [(d.definition, d.part, d.name) for d in diff.doc_changes] == [
        ("GadgetOptions", "member", "colour"),
        ("query-gadget", "body", None),
    ]
    assert diff.doc_changes[0].after == "the colour of the gadget"
    assert [(f.definition, f.member, f.added, f.removed) for f in diff.feature_changes] == [
        ("GadgetOptions", "x-fast", (), ("unstable",)),
        ("GADGET_CHANGED", None, ("deprecated",), ()),
    ]


def test_moved_lines_are_not_changes() -> None:
    # a blank line at the top moves every location but changes nothing
    tree = DirectoryTree(BASIC)
    text = "\n\n" + (BASIC / GADGET).read_text()
    after = load_schema(tree.overlay({GADGET: text.encode()}), "schema.json")
    assert compare_schemas(_base(), after).is_empty


def test_to_dict_is_json_ready() -> None:
    import json

    after = _edited(("'data': [ 'spring', 'lever' ]", "'data': [ 'spring', 'lever', 'wheel' ]"))
    d = compare_schemas(_base(), after).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["added_members"][0]["member"] == "wheel"
    assert d["added_members"][0]["location"] == {"path": GADGET, "line": 15}
