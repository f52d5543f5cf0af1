"""CheckContext: the read-only view of one review run that every check reads.

Owns nothing but caching: the series, the base tree and the applied series are
given; the trees after each patch, the QAPI schemas before and after, and the
schema differences are computed on first use and kept. Checks never change
anything through it. Imports series, apply, qapi, tree, diff (layers 2-4).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reviewtool.apply import AppliedSeries, apply_series
from reviewtool.diff import DiffLine, FileDiff, Hunk
from reviewtool.errors import SchemaError
from reviewtool.qapi import try_load_schema
from reviewtool.qapi.compare import SchemaDiff, compare_schemas
from reviewtool.qapi.model import Schema
from reviewtool.qapi.parser import schema_file_bound
from reviewtool.series import Patch, Series
from reviewtool.tree import Tree

DEFAULT_SCHEMA_ROOT = "qapi/qapi-schema.json"

FINAL = -1  # schema(k=FINAL) / tree_after(FINAL): the tree after the whole series


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """What checks may read about the run's settings (never select/ignore).

    ``settings`` holds check-specific knobs by name (e.g. ``"max-line-length"``);
    a check reads it with a default, so an empty mapping means "all defaults".
    """

    schema_root: str = DEFAULT_SCHEMA_ROOT
    series_version: int | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AddedLine:
    """One ``+`` line of a patch's diff, with the file and hunk it belongs to."""

    patch: int
    file: FileDiff
    hunk: Hunk
    line: DiffLine

    @property
    def path(self) -> str:
        """The post-image path (the file the line is added to)."""
        return self.file.path


class CheckContext:
    """Read-only, lazily computed views of one run; see the module docstring.

    ``applied`` may be left out (tests); it is then computed on first use with
    ``apply_series(base, series)``.
    """

    __slots__ = (
        "_applied",
        "_diff_cache",
        "_schema_cache",
        "_touched_cache",
        "base",
        "options",
        "series",
    )

    def __init__(
        self,
        series: Series,
        base: Tree,
        applied: AppliedSeries | None = None,
        options: CheckOptions | None = None,
    ) -> None:
        self.series = series
        self.base = base
        self.options = options or CheckOptions()
        self._applied = applied
        self._schema_cache: dict[tuple[int, str], Schema | SchemaError] = {}
        self._diff_cache: dict[tuple[int, str], SchemaDiff | None] = {}
        self._touched_cache: dict[str, bool] = {}

    @property
    def applied(self) -> AppliedSeries:
        """The series applied to the base tree, patch by patch."""
        if self._applied is None:
            self._applied = apply_series(self.base, self.series)
        return self._applied

    @property
    def patch_slots(self) -> tuple[int, ...]:
        """The slots (1-based, in order) whose patch carries a diff."""
        return tuple(p.index for p in self.series.patches if p.index > 0 and p.body.has_diff)

    def patch(self, k: int) -> Patch | None:
        """The patch in slot ``k`` (0 = cover letter), or None when missing."""
        return self.series.patch(k)

    def tree_after(self, k: int) -> Tree:
        """The tree after patch ``k``: 0 is the base tree, ``FINAL`` (-1) the last."""
        if k == 0:
            return self.base
        if k == FINAL:
            return self.applied.final
        return self.applied.tree_after(k)

    def schema(self, k: int = FINAL, root: str | None = None) -> Schema | SchemaError:
        """The QAPI schema of ``tree_after(k)`` (default: after the whole series).

        A schema that does not parse is returned as its ``SchemaError``.
        """
        root = root or self.options.schema_root
        slot = self._canonical(k)
        if slot != 0 and not self.schema_touched(root):
            slot = 0  # every tree of the series has the base tree's schema files
        key = (slot, root)
        if key not in self._schema_cache:
            shared = self._unchanged_schema(slot, root)
            self._schema_cache[key] = (
                shared if shared is not None else try_load_schema(self.tree_after(slot), root)
            )
        return self._schema_cache[key]

    def schema_touched(self, root: str | None = None) -> bool:
        """Whether a patch of the series changes a file the schema at ``root``
        may be read from (else every tree of the series has the base tree's
        schema, and no schema needs to be loaded to know it).

        The files are bounded by a text search for includes, without parsing.
        """
        root = root or self.options.schema_root
        if root not in self._touched_cache:
            changed = self._changed_paths(self.patch_slots)
            bound = schema_file_bound(self.base, root) if changed else frozenset()
            self._touched_cache[root] = bound is None or not changed.isdisjoint(bound)
        return self._touched_cache[root]

    def _changed_paths(self, slots: Iterable[int]) -> set[str]:
        """Every path the diffs of ``slots`` name (before and after a rename)."""
        return {
            posixpath.normpath(p)
            for k in slots
            for file in self.diffs(k)
            for p in (file.old_path, file.new_path)
            if p is not None
        }

    def _unchanged_schema(self, slot: int, root: str) -> Schema | None:
        """A schema already loaded for an earlier tree that the patches from
        there up to ``slot`` leave alone (they change none of its files), so
        ``tree_after(slot)`` would give the same schema; None if there is none.

        Why: loading the schema of a full tree is the dearest step of a check
        run, and most patches of a series do not touch ``qapi/``.
        """
        if slot == 0:
            return None
        slots = self.patch_slots
        pos = len(slots) - 1 if slot == FINAL else slots.index(slot)
        changed: set[str] = set()
        for i in range(pos, -1, -1):
            changed |= self._changed_paths((slots[i],))
            earlier = self._schema_cache.get((slots[i - 1] if i > 0 else 0, root))
            if isinstance(earlier, Schema) and changed.isdisjoint(earlier.file_paths()):
                return earlier
        return None

    def schema_diff(self, k: int | None = None, root: str | None = None) -> SchemaDiff | None:
        """Base schema compared with the schema after patch ``k`` (None: the final one).

        None when either side does not parse (the parse error is its own finding).
        """
        root = root or self.options.schema_root
        after_k = self._canonical(FINAL if k is None else k)
        key = (after_k, root)
        if key not in self._diff_cache:
            before = self.schema(0, root)
            after = self.schema(after_k, root)
            if isinstance(before, SchemaError) or isinstance(after, SchemaError):
                self._diff_cache[key] = None
            else:
                self._diff_cache[key] = compare_schemas(before, after)
        return self._diff_cache[key]

    def _canonical(self, k: int) -> int:
        """The slot whose tree ``tree_after(k)`` is: the last patch with a diff
        up to ``k`` (``FINAL`` when that is the last one, 0 when there is none),
        so that equal trees share one parsed schema."""
        if k in (0, FINAL):
            return k
        slots = self.patch_slots
        upto = [s for s in slots if s <= k]
        if not upto:
            return 0
        return FINAL if upto[-1] == slots[-1] else upto[-1]

    def diffs(self, k: int) -> tuple[FileDiff, ...]:
        """The parsed file diffs of patch ``k`` (empty when it has none)."""
        return self.applied.diffs(k)

    def added_lines(self, k: int) -> Iterator[AddedLine]:
        """Every ``+`` line of patch ``k``'s diff, in diff order."""
        for file in self.diffs(k):
            for hunk in file.hunks:
                for line in hunk.lines:
                    if line.kind == "+":
                        yield AddedLine(k, file, hunk, line)
