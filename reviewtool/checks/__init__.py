"""The check catalogue: every check module, listed explicitly.

Importing this package registers every check into ``registry.REGISTRY``.
"""

from reviewtool.checks.registry import REGISTRY, CheckSpec, Hit, Scope, check

__all__ = ["REGISTRY", "CheckSpec", "Hit", "Scope", "check"]
