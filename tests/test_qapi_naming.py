"""QAPI name -> C identifier rules (qapi/naming.py), on real QEMU names."""

from __future__ import annotations

import pytest

from reviewtool.qapi.naming import (
    c_command,
    c_enum_const,
    c_event_const,
    c_event_send,
    c_name,
    c_type,
    camel_to_upper,
    enum_max_const,
    has_flag,
    implicit_arg_type,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("backend-transfer", "backend_transfer"),
        ("cpr-exec-command", "cpr_exec_command"),
        ("x-checkpoint-delay", "x_checkpoint_delay"),  # 'x-' is not special
        ("tls-creds", "tls_creds"),
        ("max-cpu-throttle", "max_cpu_throttle"),
        ("multifd-zstd-level", "multifd_zstd_level"),
        ("block-bitmap-mapping", "block_bitmap_mapping"),
        ("__com.redhat_foo", "__com_redhat_foo"),  # downstream names
        ("default", "q_default"),  # C keyword
        ("unix", "q_unix"),  # polluted macro name
        ("linux", "q_linux"),
        ("errno", "q_errno"),
        ("i386", "q_i386"),
        ("int", "q_int"),
        ("bool", "q_bool"),  # C++ keyword
        ("class", "q_class"),
        ("and", "q_and"),  # C++ alternative token
        ("inline", "q_inline"),
        ("_Bool", "q__Bool"),
        ("typeof", "q_typeof"),
        ("3des", "q_3des"),  # leading digit
        ("MigrationParameters", "MigrationParameters"),
        ("q_obj_migrate-arg", "q_obj_migrate_arg"),
        ("a.b-c", "a_b_c"),
    ],
)
def test_c_name(name: str, expected: str) -> None:
    assert c_name(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"), [("default", "default"), ("3des", "3des"), ("a-b", "a_b")]
)
def test_c_name_unprotected(name: str, expected: str) -> None:
    assert c_name(name, protect=False) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("MigrationParameter", "MIGRATION_PARAMETER"),
        ("MigrationCapability", "MIGRATION_CAPABILITY"),
        ("MigMode", "MIG_MODE"),
        ("QCryptoTLSCredsEndpoint", "QCRYPTO_TLS_CREDS_ENDPOINT"),
        ("MultiFDCompression", "MULTI_FD_COMPRESSION"),
        ("NetClientDriver", "NET_CLIENT_DRIVER"),
        ("QType", "QTYPE"),
        ("QAPIEvent", "QAPI_EVENT"),
        ("ZeroPageDetection", "ZERO_PAGE_DETECTION"),
        ("BitmapMigrationNodeAlias", "BITMAP_MIGRATION_NODE_ALIAS"),
        ("RunState", "RUN_STATE"),
        ("BlockdevDriver", "BLOCKDEV_DRIVER"),
        ("IOThreadInfo", "IO_THREAD_INFO"),
        ("SysEmuTarget", "SYS_EMU_TARGET"),
        ("CpuS390State", "CPU_S390_STATE"),
        # the generator's own docstring is wrong for these; follow the code
        ("ENUM24_Name", "ENU_M24_NAME"),
        ("ENUM_Name2", "ENU_M_NAME2"),
        ("__org.qemu_x-Enum", "ORG_QEMU_X_ENUM"),
    ],
)
def test_camel_to_upper(name: str, expected: str) -> None:
    assert camel_to_upper(name) == expected


@pytest.mark.parametrize(
    ("type_name", "member", "prefix", "expected"),
    [
        ("MigrationParameter", "cpr-exec-command", None, "MIGRATION_PARAMETER_CPR_EXEC_COMMAND"),
        ("MigrationParameter", "backend-transfer", None, "MIGRATION_PARAMETER_BACKEND_TRANSFER"),
        ("MigrationCapability", "x-colo", None, "MIGRATION_CAPABILITY_X_COLO"),
        ("MultiFDCompression", "zstd", "MULTIFD_COMPRESSION", "MULTIFD_COMPRESSION_ZSTD"),
        ("QKeyCode", "ctrl_r", "Q_KEY_CODE", "Q_KEY_CODE_CTRL_R"),
        ("Foo", "__com.redhat_bar", None, "FOO___COM_REDHAT_BAR"),
        ("MigMode", "cpr-transfer", None, "MIG_MODE_CPR_TRANSFER"),
        ("OnOffAuto", "auto", None, "ON_OFF_AUTO_AUTO"),  # keywords are not protected here
        ("QType", "qstring", None, "QTYPE_QSTRING"),
    ],
)
def test_c_enum_const(type_name: str, member: str, prefix: str | None, expected: str) -> None:
    assert c_enum_const(type_name, member, prefix) == expected


def test_other_identifiers() -> None:
    assert enum_max_const("MigrationParameter") == "MIGRATION_PARAMETER__MAX"
    assert c_command("migrate-set-parameters") == "qmp_migrate_set_parameters"
    assert c_event_send("MIGRATION_PASS") == "qapi_event_send_migration_pass"
    assert c_event_const("MIGRATION_PASS") == "QAPI_EVENT_MIGRATION_PASS"
    assert implicit_arg_type("migrate-incoming") == "q_obj_migrate_incoming_arg"
    assert c_type("[str]") == "strList *"
    assert c_type("str") == "char *"
    assert c_type("size") == "uint64_t"
    assert c_type("MigrationParameters") == "MigrationParameters *"


class _Def:
    def __init__(self, kind: str):
        self.kind = kind


class _Schema:
    def __init__(self, kinds: dict[str, str]):
        self.kinds = kinds

    def lookup(self, name: str) -> _Def | None:
        return _Def(self.kinds[name]) if name in self.kinds else None


@pytest.mark.parametrize(
    ("type_ref", "optional", "expected"),
    [
        ("bool", True, True),  # backend-transfer
        ("uint64", True, True),
        ("size", True, True),
        ("number", True, True),
        ("MigMode", True, True),  # enum: not a pointer
        ("QType", True, True),
        ("StrOrNull", True, False),  # tls-creds: alternate, pointer
        ("str", True, False),  # presence is ptr != NULL
        ("any", True, False),
        ("null", True, False),
        ("BitmapMigrationNodeAlias", True, False),  # struct
        ("[str]", True, True),  # cpr-exec-command: arrays always have has_
        ("[BitmapMigrationNodeAlias]", True, True),
        ("bool", False, False),  # mandatory members never have has_
        ("[str]", False, False),
    ],
)
def test_has_flag(type_ref: str, optional: bool, expected: bool) -> None:
    schema = _Schema(
        {"MigMode": "enum", "StrOrNull": "alternate", "BitmapMigrationNodeAlias": "struct"}
    )
    assert has_flag(type_ref, optional, schema) is expected
