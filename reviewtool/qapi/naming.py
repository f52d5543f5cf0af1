"""QAPI names -> the C identifiers QEMU's generator makes from them.

The rules (../shared/docs/qemu-migration-threading.md, section 3, and
QEMU's docs/devel/qapi-code-gen.rst) are re-implemented here from their
description:

* ``c_name``: every character outside ``[A-Za-z0-9_]`` becomes ``_``; with
  ``protect`` a reserved word or a leading digit gets a ``q_`` prefix.
* ``camel_to_upper``: ``MigrationParameter`` -> ``MIGRATION_PARAMETER``.
* ``c_enum_const``: ``(prefix or camel_to_upper(T)) + "_" + MEMBER``.
* ``has_flag``: an optional member gets ``bool has_<name>`` only when its C
  type is not a pointer, and arrays always get one.

Pure functions; the schema is only consulted to learn whether a type name
is an enum.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewtool.qapi.model import Schema

# "backend-transfer" -> "backend_transfer", "__com.redhat_foo" -> "__com_redhat_foo"
_NOT_C_IDENT_RE = re.compile(r"[^A-Za-z0-9_]")


def _words(text: str) -> list[str]:
    return text.split()


_C89_WORDS = frozenset(
    _words(
        "auto break case char const continue default do double else enum extern float for goto if "
        "int long register return short signed sizeof static struct switch typedef union unsigned "
        "void volatile while"
    )
)
_C99_WORDS = frozenset(_words("inline restrict _Bool _Complex _Imaginary"))
_C11_WORDS = frozenset(
    _words("_Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert _Thread_local")
)
_GCC_WORDS = frozenset(["asm", "typeof"])
_CPP_WORDS = frozenset(
    _words(
        "bool catch class const_cast delete dynamic_cast explicit false friend mutable namespace "
        "new operator private protected public reinterpret_cast static_cast template this throw "
        "true try typeid typename using virtual wchar_t "
        # C++ alternative tokens
        "and and_eq bitand bitor compl not not_eq or or_eq xor xor_eq"
    )
)
# Macro names some system headers define (e.g. "unix" on Linux hosts).
_POLLUTED_WORDS = frozenset(_words("unix errno mips sparc i386 linux"))

#: every word ``c_name(..., protect=True)`` prefixes with ``q_``
RESERVED_WORDS: frozenset[str] = (
    _C89_WORDS | _C99_WORDS | _C11_WORDS | _GCC_WORDS | _CPP_WORDS | _POLLUTED_WORDS
)

#: built-in types whose C type is a plain value (not a pointer)
SCALAR_BUILTINS: frozenset[str] = frozenset(
    _words("int int8 int16 int32 int64 uint8 uint16 uint32 uint64 size number bool")
)
#: built-in types whose C type is a pointer
POINTER_BUILTINS: frozenset[str] = frozenset(["str", "any", "null"])
#: built-in enum the generator defines itself
BUILTIN_ENUMS: frozenset[str] = frozenset(["QType"])
BUILTIN_TYPES: frozenset[str] = SCALAR_BUILTINS | POINTER_BUILTINS | BUILTIN_ENUMS

_BUILTIN_C_TYPES = {
    "int": "int64_t",
    "int8": "int8_t",
    "int16": "int16_t",
    "int32": "int32_t",
    "int64": "int64_t",
    "uint8": "uint8_t",
    "uint16": "uint16_t",
    "uint32": "uint32_t",
    "uint64": "uint64_t",
    "size": "uint64_t",
    "number": "double",
    "bool": "bool",
    "str": "char *",
    "any": "QObject *",
    "null": "QNull *",
    "QType": "QType",
}


def c_name(name: str, protect: bool = True) -> str:
    """The C identifier for a QAPI name (member, branch, type, command fragment).

    >>> c_name("backend-transfer"), c_name("default"), c_name("default", protect=False)
    ('backend_transfer', 'q_default', 'default')
    """
    ident = _NOT_C_IDENT_RE.sub("_", name)
    if protect and (ident in RESERVED_WORDS or ident[:1].isdigit()):
        return "q_" + ident
    return ident


def camel_to_upper(name: str) -> str:
    """The enum constant prefix for a CamelCase type name.

    ``QCryptoTLSCredsEndpoint`` -> ``QCRYPTO_TLS_CREDS_ENDPOINT``. Follows what
    the generator's code does (not its docstring): ``ENUM24_Name`` ->
    ``ENU_M24_NAME``.
    """
    if not name:
        return name
    out = [name[0]]
    in_upper = name[0].isupper()
    for ch in name[1:]:
        upper = ch.isupper()
        if upper != in_upper:
            if in_upper:
                # An uppercase run ends: its last letter starts the next word
                # ("TLSCreds" -> "TLS_Creds"), unless too close to the start
                # or already separated.
                if len(out) > 2 and out[-2].isalnum():
                    out.insert(len(out) - 1, "_")
            elif out[-1].isalnum():
                # lower -> upper: a new word starts ("MigMode" -> "Mig_Mode")
                out.append("_")
        out.append(ch)
        in_upper = upper
    return c_name("".join(out).upper()).lstrip("_")


def c_enum_const(type_name: str, member: str, prefix: str | None = None) -> str:
    """The C constant for enum member ``member`` of ``type_name``.

    ``c_enum_const("MigrationParameter", "cpr-exec-command")`` ->
    ``MIGRATION_PARAMETER_CPR_EXEC_COMMAND``; an explicit ``'prefix'`` replaces
    the derived one. Keywords are not protected in enum constants.
    """
    return (prefix or camel_to_upper(type_name)) + "_" + c_name(member, protect=False).upper()


def enum_max_const(type_name: str, prefix: str | None = None) -> str:
    """The ``PREFIX__MAX`` sentinel of an enum."""
    return (prefix or camel_to_upper(type_name)) + "__MAX"


def array_element(type_ref: str) -> str | None:
    """``"[str]"`` -> ``"str"``; None when ``type_ref`` is not an array."""
    if type_ref.startswith("[") and type_ref.endswith("]"):
        return type_ref[1:-1]
    return None


def is_pointer_type(type_ref: str, schema: Schema | None = None) -> bool:
    """Whether the C type of ``type_ref`` is a pointer.

    Arrays, ``str``, ``any``, ``null``, structs, unions and alternates are
    pointers; integer, number, bool and enum types are not. Without a schema
    a non-builtin name is looked up nowhere and counts as a pointer unless it
    is ``QType``.
    """
    if array_element(type_ref) is not None:
        return True
    if type_ref in SCALAR_BUILTINS or type_ref in BUILTIN_ENUMS:
        return False
    if type_ref in POINTER_BUILTINS:
        return True
    if schema is not None:
        definition = schema.lookup(type_ref)
        if definition is not None and definition.kind == "enum":
            return False
    return True


def has_flag(type_ref: str, optional: bool, schema: Schema | None = None) -> bool:
    """Whether a member gets a ``bool has_<name>`` field in its C struct.

    Only optional members do; among them those whose C type is not a pointer
    (scalars, enums) and arrays, which always have one so that absent and
    empty can be told apart.
    """
    if not optional:
        return False
    if array_element(type_ref) is not None:
        return True
    return not is_pointer_type(type_ref, schema)


def c_type(type_ref: str, schema: Schema | None = None) -> str:
    """The C type of a member: ``"str"`` -> ``"char *"``, ``"[str]"`` ->
    ``"strList *"``, an enum -> its name, an object type -> ``"Name *"``."""
    element = array_element(type_ref)
    if element is not None:
        return f"{c_name(element)}List *"
    if type_ref in _BUILTIN_C_TYPES:
        return _BUILTIN_C_TYPES[type_ref]
    ident = c_name(type_ref)
    return ident if not is_pointer_type(type_ref, schema) else ident + " *"


def c_command(name: str) -> str:
    """``migrate-set-parameters`` -> ``qmp_migrate_set_parameters``."""
    return "qmp_" + c_name(name)


def c_event_send(name: str) -> str:
    """``MIGRATION_PASS`` -> ``qapi_event_send_migration_pass``."""
    return "qapi_event_send_" + c_name(name.lower())


def c_event_const(name: str) -> str:
    """``MIGRATION_PASS`` -> ``QAPI_EVENT_MIGRATION_PASS``."""
    return c_enum_const("QAPIEvent", name)


def implicit_arg_type(command: str) -> str:
    """The C struct of a command's inline arguments: ``q_obj_<cmd>_arg``."""
    return c_name(f"q_obj_{command}-arg")
