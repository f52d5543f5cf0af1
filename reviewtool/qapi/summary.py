"""What ``review qapi`` prints about schemas: one root's summary, one schema step.

Pure: a ``Schema`` (or the ``SchemaError`` it failed with) in, a JSON-ready
dict and text lines out. The caller (``pipeline.qapi_dump`` /
``pipeline.qapi_series``) loads the schemas and assembles the documents.
"""

from __future__ import annotations

from typing import Any

from reviewtool.errors import SchemaError
from reviewtool.qapi.compare import compare_schemas
from reviewtool.qapi.model import Schema


def schema_error_dict(e: SchemaError) -> dict[str, Any]:
    """A schema error as JSON: where (path, line, column) and what."""
    return {"path": e.path, "line": e.line, "column": e.column, "message": e.message}


def summarise_root(root: str, schema: Schema | SchemaError) -> tuple[dict[str, Any], list[str]]:
    """One schema root for ``review qapi --dump``: (JSON entry, text lines).

    The text is the number of definitions of each kind and the files read, or
    why the root does not parse.
    """
    if isinstance(schema, SchemaError):
        return (
            {"root": root, "error": schema_error_dict(schema)},
            [f"{root}: does not parse: {schema}"],
        )
    counts = schema.counts()
    entry = {
        "root": root,
        "error": None,
        "definitions": len(schema.definitions),
        "counts": counts,
        "files": list(schema.file_paths()),
    }
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    lines = [
        f"{root}: {len(schema.definitions)} definitions ({summary})",
        f"  files read ({len(schema.files)}):",
        *(f"    {path}" for path in schema.file_paths()),
    ]
    return entry, lines


def summarise_step(
    before: Schema | SchemaError, after: Schema | SchemaError
) -> tuple[dict[str, Any], str]:
    """One schema step (a patch, or the whole series): (JSON entry, text).

    The text is ``""`` when nothing changed; the entry's ``error`` is set only
    when ``after`` does not parse (a base that does not parse gives no diff).
    """
    if isinstance(after, SchemaError):
        return (
            {"error": schema_error_dict(after), "diff": None, "changed": True},
            f"schema does not parse: {after}\n",
        )
    if isinstance(before, SchemaError):
        return (
            {"error": None, "diff": None, "changed": True},
            f"base schema does not parse ({before}); no diff\n",
        )
    diff = compare_schemas(before, after)
    return {"error": None, "diff": diff.to_dict(), "changed": not diff.is_empty}, diff.render()
