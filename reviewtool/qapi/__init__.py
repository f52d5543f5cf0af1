"""The QAPI stage: schema text in a tree -> ``Schema`` model.

Stages, each its own module: ``source`` (files and line maps) -> ``parser``
(text -> expressions and doc comments, includes followed through the tree)
-> ``expr`` (shape checks, model objects; ``doc`` splits doc comments) ->
``model`` (``Schema`` and definitions). ``naming`` gives the C identifiers,
``compare`` the difference between two schemas.

``load_schema`` raises ``SchemaError`` (fail-fast, at file:line);
``try_load_schema`` returns it as a value, for the checks.
"""

from __future__ import annotations

from reviewtool.errors import SchemaError
from reviewtool.qapi.expr import build_definition, merge_pragma
from reviewtool.qapi.model import (
    KINDS,
    Alternate,
    Command,
    Definition,
    Enum,
    Event,
    Feature,
    Member,
    Schema,
    SchemaFile,
    Struct,
    Union,
)
from reviewtool.qapi.parser import TopExpr, read_expressions
from reviewtool.tree import Tree

#: the schema roots of a QEMU tree (10.2.2), main one first
SCHEMA_ROOTS = (
    "qapi/qapi-schema.json",
    "qga/qapi-schema.json",
    "storage-daemon/qapi/qapi-schema.json",
)

__all__ = [
    "KINDS",
    "SCHEMA_ROOTS",
    "Alternate",
    "Command",
    "Definition",
    "Enum",
    "Event",
    "Feature",
    "Member",
    "Schema",
    "SchemaError",
    "Struct",
    "Union",
    "load_schema",
    "try_load_schema",
]


def load_schema(tree: Tree, root: str = "qapi/qapi-schema.json") -> Schema:
    """Read the schema rooted at ``root`` (and its includes) from ``tree``.

    Raises ``SchemaError`` (with path and line) for a missing file, a syntax
    error, a malformed definition or a name defined twice.
    """
    parsed = read_expressions(tree, root)
    definitions: dict[str, Definition] = {}
    pragmas: dict[str, object] = {}
    for top in parsed.exprs:
        definition = _build_cached(top)
        if definition is None:
            merge_pragma(top, pragmas)
            continue
        previous = definitions.get(definition.name)
        if previous is not None:
            raise SchemaError(
                f"'{definition.name}' is already defined at {previous.location.describe()}",
                path=definition.location.path,
                line=definition.location.line or 1,
            )
        definitions[definition.name] = definition
    files = tuple(SchemaFile(f.path, f.included_from, f.text.count("\n")) for f in parsed.files)
    return Schema(root, files, definitions, pragmas)


# id(top) -> (top, its definition): a file whose parse is reused (same text)
# gives the same TopExpr objects, so its definitions are built once. The
# entry keeps ``top`` alive, so its id cannot be reused while it is here.
_BUILT: dict[int, tuple[TopExpr, Definition | None]] = {}
_BUILT_MAX = 8192


def _build_cached(top: TopExpr) -> Definition | None:
    """``build_definition(top)``, built once per parsed expression."""
    hit = _BUILT.get(id(top))
    if hit is not None and hit[0] is top:
        return hit[1]
    definition = build_definition(top)
    if len(_BUILT) >= _BUILT_MAX:
        _BUILT.clear()
    _BUILT[id(top)] = (top, definition)
    return definition


def try_load_schema(tree: Tree, root: str = "qapi/qapi-schema.json") -> Schema | SchemaError:
    """``load_schema``, with a ``SchemaError`` returned instead of raised."""
    try:
        return load_schema(tree, root)
    except SchemaError as e:
        return e
