"""Parsed expressions -> model definitions (context-free checks and
normalisation).

Checks each expression's shape the way the language reference describes it
(known keys per definition kind, value types, member and feature forms,
``'if'`` conditions) and builds the frozen model objects. It does not
resolve type names across the schema (a schema in the middle of a series
may legitimately refer to something a later patch adds); the checks do that
where they need it.
"""

from __future__ import annotations

from reviewtool.errors import SchemaError
from reviewtool.location import TreeLocation
from reviewtool.qapi.doc import parse_doc
from reviewtool.qapi.model import (
    Alternate,
    Command,
    Definition,
    Enum,
    Event,
    Feature,
    Member,
    Struct,
    Union,
)
from reviewtool.qapi.parser import JArray, JObject, TopExpr
from reviewtool.qapi.source import SourceFile

_COMMON = {"if", "features"}
_ALLOWED: dict[str, set[str]] = {
    "enum": {"enum", "data", "prefix"} | _COMMON,
    "struct": {"struct", "data", "base"} | _COMMON,
    "union": {"union", "base", "discriminator", "data"} | _COMMON,
    "alternate": {"alternate", "data"} | _COMMON,
    "command": {
        "command",
        "data",
        "returns",
        "boxed",
        "gen",
        "success-response",
        "allow-oob",
        "allow-preconfig",
        "coroutine",
    }
    | _COMMON,
    "event": {"event", "data", "boxed"} | _COMMON,
}
_PRAGMAS = {
    "doc-required",
    "command-name-exceptions",
    "command-returns-exceptions",
    "documentation-exceptions",
    "member-name-exceptions",
}

Value = str | bool | JObject | JArray


class _Ctx:
    """Where errors are reported: one expression in one source file."""

    __slots__ = ("source", "what")

    def __init__(self, source: SourceFile, what: str):
        self.source = source
        self.what = what

    def loc(self, offset: int) -> TreeLocation:
        return self.source.location(offset)

    def error(self, message: str, offset: int) -> SchemaError:
        return self.source.error(f"{self.what}: {message}", offset, column=False)


def _cond(ctx: _Ctx, value: Value, offset: int) -> str:
    """``'CONFIG_X'`` / ``{'all': [...]}`` / ``{'any': [...]}`` / ``{'not': ...}``
    -> canonical text."""
    if isinstance(value, str):
        if not value.strip():
            raise ctx.error("'if' condition must not be empty", offset)
        return value
    if isinstance(value, JObject):
        if len(value) != 1:
            raise ctx.error("'if' condition dict must have exactly one key", offset)
        ((op, arg),) = value.items()
        if op == "not":
            return f"not({_cond(ctx, arg, value.key_pos[op])})"
        if op in ("all", "any"):
            if not isinstance(arg, JArray) or not arg:
                raise ctx.error(f"'if' condition '{op}' needs a non-empty list", offset)
            inner = ", ".join(_cond(ctx, a, p) for a, p in zip(arg, arg.item_pos, strict=True))
            return f"{op}({inner})"
        raise ctx.error(f"'if' condition has unknown operator '{op}'", offset)
    raise ctx.error("'if' condition must be a string or a dict", offset)


def _opt_cond(ctx: _Ctx, obj: JObject) -> str | None:
    if "if" not in obj:
        return None
    return _cond(ctx, obj["if"], obj.key_pos["if"])


def _features(ctx: _Ctx, obj: JObject) -> tuple[Feature, ...]:
    if "features" not in obj:
        return ()
    value = obj["features"]
    if not isinstance(value, JArray):
        raise ctx.error("'features' must be an array", obj.key_pos["features"])
    out = []
    for item, pos in zip(value, value.item_pos, strict=True):
        if isinstance(item, str):
            out.append(Feature(item, ctx.loc(pos)))
        elif isinstance(item, JObject):
            _only(ctx, item, {"name", "if"}, "feature")
            name = item.get("name")
            if not isinstance(name, str):
                raise ctx.error("feature needs a 'name' string", pos)
            out.append(Feature(name, ctx.loc(pos), _opt_cond(ctx, item)))
        else:
            raise ctx.error("a feature must be a string or a dict", pos)
    return tuple(out)


def _only(ctx: _Ctx, obj: JObject, allowed: set[str], what: str) -> None:
    for key in obj:
        if key not in allowed:
            raise ctx.error(f"{what} has unknown key '{key}'", obj.key_pos[key])


def _type_ref(ctx: _Ctx, value: Value, offset: int, what: str) -> str:
    """``'str'`` -> "str"; ``['str']`` -> "[str]"."""
    if isinstance(value, str):
        return value
    if isinstance(value, JArray):
        if len(value) != 1 or not isinstance(value[0], str):
            raise ctx.error(f"{what}: an array type must hold exactly one type name", offset)
        return f"[{value[0]}]"
    raise ctx.error(f"{what} must be a type name or an array of one", offset)


def _members(
    ctx: _Ctx, data: Value, offset: int, *, optional_ok: bool = True
) -> tuple[Member, ...]:
    """Members from a ``{'name': TYPE, '*opt': TYPE, 'x': {'type': ..., 'if': ...}}``."""
    if not isinstance(data, JObject):
        raise ctx.error("'data' must be a dict", offset)
    out = []
    for key, value in data.items():
        pos = data.key_pos[key]
        optional = key.startswith("*")
        if optional and not optional_ok:
            raise ctx.error(f"'{key}' must not be optional", pos)
        name = key[1:] if optional else key
        if not name:
            raise ctx.error("member name must not be empty", pos)
        if isinstance(value, JObject):
            _only(ctx, value, {"type", "if", "features"}, f"member '{name}'")
            if "type" not in value:
                raise ctx.error(f"member '{name}' needs a 'type'", pos)
            type_ = _type_ref(ctx, value["type"], value.key_pos["type"], f"member '{name}'")
            out.append(
                Member(
                    name,
                    type_,
                    optional,
                    ctx.loc(pos),
                    _features(ctx, value),
                    _opt_cond(ctx, value),
                )
            )
        else:
            out.append(
                Member(name, _type_ref(ctx, value, pos, f"member '{name}'"), optional, ctx.loc(pos))
            )
    return tuple(out)


def _enum_values(ctx: _Ctx, data: Value, offset: int) -> tuple[Member, ...]:
    if not isinstance(data, JArray):
        raise ctx.error("'data' must be an array", offset)
    out = []
    for item, pos in zip(data, data.item_pos, strict=True):
        if isinstance(item, str):
            out.append(Member(item, None, False, ctx.loc(pos)))
        elif isinstance(item, JObject):
            _only(ctx, item, {"name", "if", "features"}, "enum value")
            name = item.get("name")
            if not isinstance(name, str):
                raise ctx.error("enum value needs a 'name' string", pos)
            out.append(
                Member(name, None, False, ctx.loc(pos), _features(ctx, item), _opt_cond(ctx, item))
            )
        else:
            raise ctx.error("an enum value must be a string or a dict", pos)
    return tuple(out)


def _bool(ctx: _Ctx, obj: JObject, key: str, default: bool) -> bool:
    if key not in obj:
        return default
    value = obj[key]
    if not isinstance(value, bool):
        raise ctx.error(f"'{key}' must be true or false", obj.key_pos[key])
    return value


def _name_str(ctx: _Ctx, obj: JObject, key: str) -> str | None:
    if key not in obj:
        return None
    value = obj[key]
    if not isinstance(value, str):
        raise ctx.error(f"'{key}' must be a string", obj.key_pos[key])
    return value


def _args(ctx: _Ctx, obj: JObject) -> tuple[tuple[Member, ...], str | None]:
    """A command's or event's ``'data'``: inline members or a type name."""
    if "data" not in obj:
        return (), None
    data = obj["data"]
    if isinstance(data, str):
        return (), data
    return _members(ctx, data, obj.key_pos["data"]), None


def build_definition(top: TopExpr) -> Definition | None:
    """The model object for one top-level expression; None for a pragma.

    Raises SchemaError for a malformed expression.
    """
    expr = top.expr
    source = top.source
    kind = next((k for k in _ALLOWED if k in expr), None)
    if kind is None:
        if "pragma" in expr:
            return None
        raise source.error("expression is missing a definition keyword", expr.pos, column=False)
    name = expr[kind]
    if not isinstance(name, str) or not name:
        raise source.error(f"'{kind}' must name the definition", expr.pos, column=False)
    ctx = _Ctx(source, f"{kind} '{name}'")
    _only(ctx, expr, _ALLOWED[kind], kind)
    location = source.location(expr.pos)
    doc = parse_doc(top.doc) if top.doc is not None else None
    if_ = _opt_cond(ctx, expr)
    features = _features(ctx, expr)
    if kind == "enum":
        if "data" not in expr:
            raise ctx.error("'data' is missing", expr.pos)
        return Enum(
            members=_enum_values(ctx, expr["data"], expr.key_pos["data"]),
            prefix=_name_str(ctx, expr, "prefix"),
            name=name,
            location=location,
            doc=doc,
            if_=if_,
            features=features,
        )
    if kind == "struct":
        if "data" not in expr:
            raise ctx.error("'data' is missing", expr.pos)
        return Struct(
            members=_members(ctx, expr["data"], expr.key_pos["data"]),
            base=_name_str(ctx, expr, "base"),
            name=name,
            location=location,
            doc=doc,
            if_=if_,
            features=features,
        )
    if kind == "union":
        for key in ("base", "discriminator", "data"):
            if key not in expr:
                raise ctx.error(f"'{key}' is missing", expr.pos)
        base_value = expr["base"]
        base_members: tuple[Member, ...] = ()
        base_name: str | None = None
        if isinstance(base_value, str):
            base_name = base_value
        else:
            base_members = _members(ctx, base_value, expr.key_pos["base"])
        discriminator = _name_str(ctx, expr, "discriminator") or ""
        return Union(
            members=base_members,
            base=base_name,
            discriminator=discriminator,
            branches=_members(ctx, expr["data"], expr.key_pos["data"], optional_ok=False),
            name=name,
            location=location,
            doc=doc,
            if_=if_,
            features=features,
        )
    if kind == "alternate":
        if "data" not in expr:
            raise ctx.error("'data' is missing", expr.pos)
        return Alternate(
            members=_members(ctx, expr["data"], expr.key_pos["data"], optional_ok=False),
            name=name,
            location=location,
            doc=doc,
            if_=if_,
            features=features,
        )
    if kind == "command":
        members, arg_type = _args(ctx, expr)
        returns = None
        if "returns" in expr:
            returns = _type_ref(ctx, expr["returns"], expr.key_pos["returns"], "'returns'")
        return Command(
            members=members,
            arg_type=arg_type,
            returns=returns,
            boxed=_bool(ctx, expr, "boxed", False),
            gen=_bool(ctx, expr, "gen", True),
            success_response=_bool(ctx, expr, "success-response", True),
            allow_oob=_bool(ctx, expr, "allow-oob", False),
            allow_preconfig=_bool(ctx, expr, "allow-preconfig", False),
            coroutine=_bool(ctx, expr, "coroutine", False),
            name=name,
            location=location,
            doc=doc,
            if_=if_,
            features=features,
        )
    members, arg_type = _args(ctx, expr)
    return Event(
        members=members,
        arg_type=arg_type,
        boxed=_bool(ctx, expr, "boxed", False),
        name=name,
        location=location,
        doc=doc,
        if_=if_,
        features=features,
    )


def merge_pragma(top: TopExpr, pragmas: dict[str, object]) -> None:
    """Add a ``{ 'pragma': {...} }`` expression's settings to ``pragmas``."""
    expr = top.expr
    ctx = _Ctx(top.source, "pragma")
    _only(ctx, expr, {"pragma"}, "pragma")
    body = expr["pragma"]
    if not isinstance(body, JObject):
        raise ctx.error("value of 'pragma' must be a dict", expr.pos)
    for key, value in body.items():
        if key not in _PRAGMAS:
            raise ctx.error(f"unknown pragma '{key}'", body.key_pos[key])
        if key == "doc-required":
            if not isinstance(value, bool):
                raise ctx.error("'doc-required' must be true or false", body.key_pos[key])
            pragmas[key] = value
            continue
        if not isinstance(value, JArray) or not all(isinstance(v, str) for v in value):
            raise ctx.error(f"pragma '{key}' must be a list of strings", body.key_pos[key])
        previous = pragmas.get(key, ())
        assert isinstance(previous, tuple)
        pragmas[key] = previous + tuple(str(v) for v in value)
