"""The QAPI parser and model (qapi/parser.py, expr.py, model.py) on a small
schema written for these tests, and on broken schemas."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewtool.errors import SchemaError
from reviewtool.location import TreeLocation
from reviewtool.qapi import (
    Alternate,
    Command,
    Enum,
    Event,
    Schema,
    Struct,
    Union,
    load_schema,
    try_load_schema,
)
from reviewtool.tree import DirectoryTree, Tree

BASIC = DATA / "qapi" / "basic"


class DictTree(Tree):
    """An in-memory tree for small schemas."""

    def __init__(self, files: dict[str, str]):
        self.files = files
        self.label = "dict"
        self.reads: list[str] = []

    def read_bytes(self, path: str) -> bytes | None:
        self.reads.append(path)
        text = self.files.get(path)
        return None if text is None else text.encode()

    def iter_files(self, prefix: str = ""):  # type: ignore[no-untyped-def]
        yield from sorted(self.files)


def _basic() -> Tree:
    return DirectoryTree(BASIC)


def test_files_read_once_in_include_order() -> None:
    schema = load_schema(_basic(), "schema.json")
    assert schema.file_paths() == ("schema.json", "sub/common.json", "sub/gadget.json")
    assert schema.files[1].included_from == TreeLocation("schema.json", 11)


def test_counts_and_order() -> None:
    schema = load_schema(_basic(), "schema.json")
    assert schema.counts() == {
        "enum": 2,
        "struct": 2,
        "union": 1,
        "alternate": 1,
        "command": 2,
        "event": 1,
    }
    assert list(schema.definitions) == [
        "Colour",
        "StrOrNull",
        "GadgetKind",
        "GadgetBase",
        "GadgetOptions",
        "Gadget",
        "set-gadget",
        "query-gadget",
        "GADGET_CHANGED",
    ]


def test_pragmas_merge() -> None:
    schema = load_schema(_basic(), "schema.json")
    assert schema.pragmas == {"doc-required": True, "documentation-exceptions": ("Colour",)}


def test_enum() -> None:
    colour = load_schema(_basic(), "schema.json").lookup("Colour")
    assert isinstance(colour, Enum)
    assert colour.prefix == "COL"
    assert colour.doc is None
    assert colour.location == TreeLocation("sub/common.json", 5)
    assert colour.member_names() == ("red", "green", "blue", "x-ultra")
    blue = colour.member("blue")
    assert blue is not None and blue.if_ == "CONFIG_BLUE" and blue.type is None
    assert blue.location == TreeLocation("sub/common.json", 8)
    ultra = colour.member("x-ultra")
    assert ultra is not None and ultra.feature_names() == ("unstable",)


def test_struct_members_types_and_conditions() -> None:
    opts = load_schema(_basic(), "schema.json").lookup("GadgetOptions")
    assert isinstance(opts, Struct)
    assert opts.base == "GadgetBase"
    assert opts.if_ == "all(CONFIG_GADGET, not(CONFIG_TINY))"
    got = [(m.name, m.type, m.optional, m.location.line) for m in opts.members]
    assert got == [
        ("size", "size", True, 54),
        ("tags", "[str]", True, 55),
        ("colour", "Colour", False, 56),
        ("x-fast", "bool", True, 57),
    ]
    fast = opts.member("x-fast")
    assert fast is not None and fast.feature_names() == ("unstable",)
    tags = opts.member("tags")
    assert tags is not None and tags.is_array


def test_union_alternate_command_event() -> None:
    schema = load_schema(_basic(), "schema.json")
    gadget = schema.lookup("Gadget")
    assert isinstance(gadget, Union)
    assert gadget.base is None and gadget.discriminator == "kind"
    assert [(m.name, m.type, m.optional) for m in gadget.members] == [
        ("kind", "GadgetKind", False),
        ("id", "str", True),
    ]
    assert [(b.name, b.type, b.if_) for b in gadget.branches] == [
        ("spring", "GadgetOptions", None),
        ("lever", "GadgetBase", "CONFIG_LEVER"),
    ]
    alt = schema.lookup("StrOrNull")
    assert isinstance(alt, Alternate) and alt.member_names() == ("s", "n")
    cmd = schema.lookup("set-gadget")
    assert isinstance(cmd, Command)
    assert cmd.returns == "[GadgetBase]" and cmd.allow_preconfig and not cmd.boxed
    assert cmd.member_names() == ("id", "options")
    assert [(f.name, f.if_) for f in cmd.features] == [("deprecated", "CONFIG_OLD")]
    boxed = schema.lookup("query-gadget")
    assert isinstance(boxed, Command)
    assert boxed.boxed and boxed.arg_type == "GadgetBase" and boxed.members == ()
    event = schema.lookup("GADGET_CHANGED")
    assert isinstance(event, Event) and event.member_names() == ("id",)


def test_lookup_missing_and_dump() -> None:
    schema = load_schema(_basic(), "schema.json")
    assert schema.lookup("NoSuchType") is None
    dump = schema.dump()
    assert "struct GadgetOptions base=GadgetBase if=all(CONFIG_GADGET, not(CONFIG_TINY))" in dump
    assert "    member *tags [str]\n" in dump
    assert "    branch lever GadgetBase if=CONFIG_LEVER\n" in dump
    assert "    value x-ultra features=unstable\n" in dump


def _error(files: dict[str, str], root: str = "s.json") -> SchemaError:
    result = try_load_schema(DictTree(files), root)
    assert isinstance(result, SchemaError), "expected a SchemaError"
    return result


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        # a missing comma between members
        ("{ 'enum': 'E',\n  'data': [ 'a' 'b' ] }", 2, 17, "expected ',' or ']'"),
        # double quotes are not QAPI strings
        ('{ "enum": "E", "data": [] }', 1, 3, "stray '\"'"),
        # an unterminated string
        ("{ 'enum': 'E',\n  'data': [ 'a ] }\n", 2, 13, "missing terminating"),
        # numbers and null do not exist in QAPI
        ("{ 'struct': 'S', 'data': { 'a': null } }", 1, 33, "unexpected word 'null'"),
        ("{ 'struct': 'S', 'data': { 'a': 1 } }", 1, 33, "stray '1'"),
        # a duplicate key
        ("{ 'enum': 'E', 'enum': 'F' }", 1, 16, "duplicate key 'enum'"),
        # the file ends inside an expression
        ("{ 'enum': 'E',\n  'data': [ 'a'", 2, 16, "expected ',' or ']'"),
        # something other than an object at top level
        ("'enum'", 1, 1, "expected '{'"),
        # strings are printable ASCII
        ("{ 'enum': 'E', 'data': [ 'caf\u00e9' ] }", 1, 26, "non-printable or non-ASCII"),
        ("{ 'enum': 'E', 'data': [ 'a\tb' ] }", 1, 26, "non-printable or non-ASCII"),
        # deep nesting is an error, not a RecursionError
        ("{ 'enum': 'E', 'data': " + "[" * 5000, 1, 124, "nested too deeply"),
        # an escape other than \\\\
        ("{ 'enum': 'E\\n', 'data': [] }", 1, 13, "unknown escape"),
    ],
)
def test_syntax_errors(text: str, line: int, column: int, message: str) -> None:
    err = _error({"s.json": text})
    assert (err.path, err.line, err.column) == ("s.json", line, column)
    assert message in err.message


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("{ 'enum': 'E', 'data': [], 'bogus': true }", 1, "unknown key 'bogus'"),
        ("{ 'struct': 'S' }", 1, "'data' is missing"),
        ("{ 'struct': 'S', 'data': { 'a': ['x', 'y'] } }", 1, "exactly one type name"),
        ("{ 'union': 'U', 'base': 'B', 'data': {} }", 1, "'discriminator' is missing"),
        ("{ 'enum': 'E', 'data': [], 'if': { 'and': ['A'] } }", 1, "unknown operator 'and'"),
        ("{ 'command': 'c', 'boxed': 'yes' }", 1, "'boxed' must be true or false"),
        ("{ 'enum': 'E', 'data': [] }\n{ 'struct': 'E', 'data': {} }", 2, "already defined"),
        ("{ 'pragma': { 'no-such-pragma': true } }", 1, "unknown pragma"),
        ("{ 'frobnicate': 'x' }", 1, "missing a definition keyword"),
        # a doc comment naming another definition
        ("##\n# @F:\n##\n{ 'enum': 'E', 'data': [] }", 4, "follows documentation for 'F'"),
        # a doc comment that is never closed
        ("##\n# @E:\n\n{ 'enum': 'E', 'data': [] }", 1, "must end with '##'"),
        ("##\n#@E:\n##\n{ 'enum': 'E', 'data': [] }", 2, "missing space after #"),
    ],
)
def test_semantic_errors(text: str, line: int, message: str) -> None:
    err = _error({"s.json": text})
    assert err.line == line
    assert message in err.message


def test_missing_include_is_reported_at_the_include() -> None:
    err = _error({"a/s.json": "\n{ 'include': 'gone.json' }\n"}, "a/s.json")
    assert (err.path, err.line) == ("a/s.json", 2)
    assert "a/gone.json" in err.message


def test_missing_root() -> None:
    err = _error({}, "qapi/qapi-schema.json")
    assert err.path == "qapi/qapi-schema.json"


def test_error_in_included_file_names_that_file() -> None:
    files = {"s.json": "{ 'include': 'b.json' }\n", "b.json": "\n\n{ 'enum': 'E', 'data': [ }"}
    err = _error(files)
    assert (err.path, err.line) == ("b.json", 3)


def test_include_cannot_leave_the_tree() -> None:
    err = _error({"s.json": "{ 'include': '../x.json' }"})
    assert "leaves the tree" in err.message


def test_each_file_read_once() -> None:
    tree = DictTree(
        {
            "s.json": "{ 'include': 'a.json' }\n{ 'include': 'a.json' }\n",
            "a.json": "{ 'include': 's.json' }\n{ 'enum': 'E', 'data': ['x'] }\n",
        }
    )
    schema = load_schema(tree, "s.json")
    assert tree.reads == ["s.json", "a.json"]
    assert list(schema.definitions) == ["E"]


def test_comments_and_docs_inside_expressions_are_ignored() -> None:
    text = "{ 'enum': 'E', # a comment with 'quotes' and {braces}\n  'data': [ 'a', # x\n 'b' ] }"
    schema = load_schema(DictTree({"s.json": text}), "s.json")
    e = schema.lookup("E")
    assert e is not None and e.member_names() == ("a", "b")
    assert e.members[1].location.line == 3


def test_escaped_backslash() -> None:
    schema = load_schema(DictTree({"s.json": "{ 'enum': 'E', 'data': [ 'a\\\\b' ] }"}), "s.json")
    e = schema.lookup("E")
    assert e is not None and e.member_names() == ("a\\b",)


def test_never_crashes_on_garbage() -> None:
    # every prefix of a valid schema either parses or gives a SchemaError
    text = (Path(BASIC) / "sub" / "gadget.json").read_text()
    for cut in range(0, len(text), 7):
        result = try_load_schema(DictTree({"s.json": text[:cut]}), "s.json")
        assert result is not None


def test_dump_golden(golden) -> None:  # type: ignore[no-untyped-def]
    golden(load_schema(_basic(), "schema.json").dump(), DATA / "qapi" / "basic.dump")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="{}[],:'#\\ \n\tab@*-_truefalse\u00e9", max_size=120))
def test_fuzz_never_crashes(text: str) -> None:
    """Any text gives a Schema or a SchemaError with a position, never a crash."""
    result = try_load_schema(DictTree({"s.json": text}), "s.json")
    if isinstance(result, SchemaError):
        assert result.path == "s.json" and result.line >= 1


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.sampled_from(list("{}[],:'# \n")))
def test_fuzz_one_character_damage(pos: int, ch: str) -> None:
    """The basic schema with one character inserted parses or fails cleanly."""
    text = (BASIC / "sub" / "gadget.json").read_text().replace("{ 'include': 'common.json' }", "")
    assert isinstance(try_load_schema(DictTree({"s.json": text}), "s.json"), Schema)
    pos %= len(text) + 1
    damaged = text[:pos] + ch + text[pos:]
    result = try_load_schema(DictTree({"s.json": damaged}), "s.json")
    assert isinstance(result, SchemaError) or result.definitions


def test_all_members_follow_bases() -> None:
    schema = load_schema(_basic(), "schema.json")
    names = [m.name for m in schema.all_members("GadgetOptions")]
    assert names == ["kind", "name", "size", "tags", "colour", "x-fast"]
    assert [m.name for m in schema.all_members("Gadget")] == ["kind", "id"]
    assert schema.all_members("NoSuchType") == ()
