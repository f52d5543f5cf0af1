"""Apply a patch series to a tree, in memory, the way ``git apply`` does.

The package re-exports the stage's public API; its modules, from the bottom:

- results: the verdict types (HunkStatus, FileOutcome), ApplyOptions and
  the records HunkResult / FileResult / PatchApply / ApplyFailure;
- origins: a file's image while applying and its per-line origins
  (split_lines, AppliedFile);
- hunks: matching and splicing one hunk (exact, offset, reduced context,
  whitespace) and the reason a hunk failed;
- files: one file diff (new, delete, rename, copy, mode, binary, unsafe
  path) and the run state carried from patch to patch;
- series: apply_series / apply_patches and AppliedSeries (snapshots,
  origins, failures, to_dict);
- text: render_apply_text.

Imports tree, diff, series, location. Never touches the filesystem and never
writes to the base tree.

Matching follows git's apply.c behaviour (``git apply --reject``), so that
verdicts and results agree with git hunk by hunk:

- each hunk is looked for at its stated post-image position first (the
  ``+c`` of ``@@ -a,b +c,d @@`` counted in the file as it is now), then at
  the nearest position outward, one line after before one line before;
- the pre-image (context and removed lines) must match exactly, line ends
  included; lines produced by an earlier hunk of the same patch cannot be
  matched again;
- a hunk stating line 0 or 1 of the old file must match at the start of the
  file, and a hunk without trailing context must match at its end;
- ``context_reduce`` (git ``-C N``) drops context lines, down to N, when the
  full hunk is not found; ``ignore_whitespace`` matches lines with runs of
  whitespace treated as equal (the tree's context lines are kept);
- a failed hunk is recorded and the run goes on with the next hunks and
  patches on the best-effort tree (as ``--reject`` does).

Everything works on bytes lines split at ``\\n`` only, so results are
byte-identical with git's; every line carries its origin (the patch and diff
line that brought it in, None for base lines), spliced exactly like the
lines, so origins never drift.
"""

from __future__ import annotations

from reviewtool.apply.origins import AppliedFile, split_lines
from reviewtool.apply.results import (
    ApplyFailure,
    ApplyOptions,
    FileOutcome,
    FileResult,
    HunkResult,
    HunkStatus,
    PatchApply,
)
from reviewtool.apply.series import AppliedSeries, apply_patches, apply_series
from reviewtool.apply.text import render_apply_text

__all__ = [
    "AppliedFile",
    "AppliedSeries",
    "ApplyFailure",
    "ApplyOptions",
    "FileOutcome",
    "FileResult",
    "HunkResult",
    "HunkStatus",
    "PatchApply",
    "apply_patches",
    "apply_series",
    "render_apply_text",
    "split_lines",
]
