"""The check catalogue: every check module, listed explicitly.

Importing this package registers every check into ``registry.REGISTRY``.
"""

from reviewtool.checks import (
    patch_checks,  # P###: apply and style of added lines
    qapi_checks,  # Q###: QAPI schema parses; docs of what the series adds
    qapi_doc_format,  # Q108/Q109: doc line format, unknown types (generator rules)
    qapi_spelling,  # Q106: spelling of added QAPI doc text
    series_checks,  # M###: mail and series hygiene
    threading,  # X1##: new QAPI members threaded through every C site
)
from reviewtool.checks.registry import REGISTRY, CheckSpec, Hit, Scope, check

# The catalogue, written out: importing a module registers its checks.
CHECK_MODULES = (
    series_checks,
    patch_checks,
    qapi_checks,
    qapi_spelling,
    qapi_doc_format,
    threading,
)

__all__ = ["CHECK_MODULES", "REGISTRY", "CheckSpec", "Hit", "Scope", "check"]
