"""Q106: the spelling of the doc text a series adds to the QAPI schema.

A word is flagged when codespell's dictionary knows it as a misspelling, or
when the tree's own QAPI docs never use it but often use a word one edit
away from it. Split from ``qapi_checks`` (which owns the other Q1## checks
and the schema-review helpers this module imports from it).
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

from reviewtool.checks.context import CheckContext
from reviewtool.checks.qapi_checks import _first_patch, _Review, _reviews, _traced
from reviewtool.checks.registry import Hit, check
from reviewtool.findings import Severity
from reviewtool.location import TreeLocation
from reviewtool.qapi.model import Definition, Schema

# -- Q106 ------------------------------------------------------------------------

# "migraton", "Individual"; not "@mode", "x-foo", "QEMU", "O_DIRECT", "2.4"
_WORD_RE = re.compile(r"(?<![\w@`'.-])([A-Za-z][a-z]+)(?![\w`'-])")
_MIN_WORD = 5  # shorter words are too often abbreviations
_MIN_FREQ = 3  # how often the near word must occur in the tree's docs
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class _Codespell:
    """codespell's dictionary, read but never built into a table: each word
    asked about is looked up in the text on first use, and the answer kept.

    Why: the file has ~65,000 lines and splitting all of them costs more than
    the rest of a review of a small series; a review asks about a few dozen
    words. Only the lines that contain a word can say anything about it, and
    those lines are parsed exactly as a full table build would parse them
    (the last entry wins for a misspelling).
    """

    __slots__ = ("_good", "_lower", "_lower_bytes", "_text", "_wrong")

    def __init__(self, text: str) -> None:
        self._text = "\n" + text  # every line, the first too, starts after a "\n"
        self._lower: str | None = None
        # (UTF-8 text, its ASCII-lowered copy), or None when that copy would
        # not find what str.lower() finds; False until first asked
        self._lower_bytes: tuple[bytes, bytes] | bool | None = False
        self._wrong: dict[str, str | None] = {}
        self._good: dict[str, bool] = {}

    def _ascii_lowered(self) -> tuple[bytes, bytes] | None:
        """The text as UTF-8 and with its ASCII letters lowered, when that
        finds an ASCII word exactly where ``str.lower()`` would: no other
        character lowers to ASCII or changes length. Why: the dictionary has
        a few non-ASCII letters, and ``str.lower()`` of such a text costs
        ~13 ms, encoding plus ``bytes.lower()`` ~4 ms."""
        if self._lower_bytes is False:
            raw = self._text.encode("utf-8")
            # the non-ASCII characters, whole: deleting ASCII bytes leaves
            # complete UTF-8 sequences
            others = set(raw.translate(None, bytes(range(128))).decode("utf-8"))
            plain = all(len(ch.lower()) == 1 and not ch.lower().isascii() for ch in others)
            self._lower_bytes = (raw, raw.lower()) if plain else None
        return self._lower_bytes if isinstance(self._lower_bytes, tuple) else None

    def _lines_with(self, word: str, before: str) -> Iterator[str]:
        """Every line holding ``word`` in any case where the character before
        it is whitespace or in ``before``; in file order, each line once."""
        lowered = self._ascii_lowered() if word.isascii() else None
        if lowered is not None:
            yield from self._ascii_lines_with(lowered, word, before)
            return
        text = self._text
        if self._lower is None:
            self._lower = text.lower()
        lower = self._lower
        if len(lower) != len(text):  # lower-casing changed lengths: no shared offsets
            yield from (line for line in text.splitlines() if word in line.lower())
            return
        size = len(text)
        pos = lower.find(word)
        while pos >= 0:
            prev = text[pos - 1]  # text starts with "\n", and word is not empty
            if prev.isspace() or prev in before:
                start = text.rfind("\n", 0, pos) + 1
                end = text.find("\n", pos)
                if end < 0:
                    end = size
                yield text[start:end]
                pos = lower.find(word, end)
            else:
                pos = lower.find(word, pos + 1)

    @staticmethod
    def _ascii_lines_with(lowered: tuple[bytes, bytes], word: str, before: str) -> Iterator[str]:
        """``_lines_with`` on the UTF-8 text (see ``_ascii_lowered``)."""
        raw, lower = lowered
        needle = word.encode("ascii")
        size = len(raw)
        pos = lower.find(needle)
        while pos >= 0:
            first = pos - 1  # raw starts with "\n", and word is not empty
            while raw[first] & 0xC0 == 0x80:  # back to the start of a UTF-8 sequence
                first -= 1
            prev = raw[first:pos].decode("utf-8")
            if prev.isspace() or prev in before:
                start = raw.rfind(b"\n", 0, pos) + 1
                end = raw.find(b"\n", pos)
                if end < 0:
                    end = size
                yield raw[start:end].decode("utf-8")
                pos = lower.find(needle, end)
            else:
                pos = lower.find(needle, pos + 1)

    def lookup(self, words: Iterable[str]) -> None:
        """Find the entries of every misspelling among ``words`` in one pass.

        One regex walks the line starts with the words as a trie (one walk
        per line, however many words), instead of one scan per word.
        """
        todo = {w for w in words if w and w not in self._wrong}
        if not todo:
            return
        found: dict[str, str] = {}
        key_re = re.compile(r"\n[^\S\n]*(" + _trie(todo) + r")[^\S\n]*->")
        text = self._text
        for m in key_re.finditer(text):
            end = text.find("\n", m.end())
            entry = self._parse(text[m.start() + 1 : end if end >= 0 else len(text)])
            if entry is not None and entry[0] == m.group(1):  # last entry wins
                fixes = entry[1]
                found[m.group(1)] = fixes[0] if len(fixes) == 1 else " or ".join(fixes)
        for w in todo:
            self._wrong[w] = found.get(w)

    @staticmethod
    def _parse(line: str) -> tuple[str, list[str]] | None:
        left, sep, right = line.partition("->")
        if not sep:
            return None
        fixes = [w.strip() for w in right.split(",") if w.strip()]
        return (left.strip(), fixes) if fixes else None

    def wrong(self, word: str) -> str | None:
        """The suggestion for misspelling ``word`` (exact case), or None."""
        if word not in self._wrong:
            self.lookup((word,))
        return self._wrong.get(word)

    def good(self, word: str) -> bool:
        """Whether lower-case ``word`` is one of the suggested (known good) words."""
        return self.good_among((word,)) == {word}

    def good_among(self, words: Collection[str]) -> set[str]:
        """The lower-case ``words`` that are suggested (known good) words.

        Every such suggestion holds the words' common prefix, so one scan for
        it finds the lines of all of them (a word and its inflections).
        """
        todo = [w for w in words if w not in self._good]
        prefix = _common_prefix(todo)
        if todo and not prefix:  # nothing shared: one scan per word
            for w in todo:
                self.good_among((w,))
        elif todo:
            seen: set[str] = set()
            # a suggestion is a stripped item after "->" or a comma
            for line in self._lines_with(prefix, ",>"):
                entry = self._parse(line)
                if entry is not None:
                    seen.update(w.lower() for w in entry[1] if " " not in w)
            for w in todo:
                self._good[w] = w in seen
        return {w for w in words if self._good[w]}


def _common_prefix(words: Collection[str]) -> str:
    """The longest string every one of ``words`` starts with ("" for none)."""
    if not words:
        return ""
    first, last = min(words), max(words)  # the two most different, in order
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def _trie(words: Iterable[str]) -> str:
    """A regex alternation matching exactly ``words``, factored as a trie."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            alts.append("")
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    return emit(tree)


@functools.cache
def _codespell() -> _Codespell:
    """codespell's dictionary: misspelling -> suggestion, and every word it
    suggests (known good English), looked up word by word."""
    # Found without importing codespell_lib: its package imports the whole
    # command-line tool (argparse, configparser; ~10 ms of every review).
    spec = importlib.util.find_spec("codespell_lib")
    folders = spec.submodule_search_locations if spec is not None else None
    if folders:
        path = Path(folders[0], "data", "dictionary.txt")
        if path.is_file():
            return _Codespell(path.read_text(encoding="utf-8"))
    from importlib.resources import files  # a packaging we cannot read as a folder

    data = files("codespell_lib").joinpath("data", "dictionary.txt")
    return _Codespell(data.read_text(encoding="utf-8"))


def _vocabulary(schema: Schema) -> Counter[str]:
    """Lower-case word frequencies of every doc comment in ``schema``."""
    # one scan of all lines joined: a line end is no word character on
    # either side, just as the start and end of a single line
    text = "\n".join(
        line for d in schema.definitions.values() if d.doc is not None for line in d.doc.text_lines
    )
    return Counter(map(str.lower, _WORD_RE.findall(text)))


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    out |= {a + c + b for a, b in splits for c in _LETTERS}
    out.discard(word)
    return out


def _inflections(word: str) -> set[str]:
    """Forms that make ``word`` a known word when one of them is (plurals,
    past tenses, -ing forms, in both directions)."""
    out = {word + s for s in ("s", "es", "d", "ed", "ing", "ly", "er")}
    for suffix in ("s", "es", "d", "ed", "ing", "ly", "er"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            out |= {stem, stem + "e"}
    return out


def _new_doc_lines(review: _Review) -> Iterator[tuple[Definition, str, int]]:
    """(definition, line text, line number) for each doc line the series adds.

    A line the base schema's docs already have, in any definition, is not
    new: text moved to a new definition or another doc section keeps its
    old words (QEMU 10.2's "faults happend in non-vCPU threads" is the
    tree's typo, not the series' that moves it).
    """
    known: set[str] | None = None
    for d in review.final.definitions.values():
        if d.doc is None:
            continue
        old = review.base.lookup(d.name)
        old_doc = old.doc if old is not None else None
        if old_doc is not None and old_doc == d.doc:
            continue
        before = Counter(old_doc.text_lines if old_doc is not None else ())
        for i, line in enumerate(d.doc.text_lines):
            if before[line] > 0:
                before[line] -= 1
                continue
            if known is None:
                known = {
                    text
                    for b in review.base.definitions.values()
                    if b.doc is not None
                    for text in b.doc.text_lines
                }
            if line in known:
                continue
            yield d, line, d.doc.first_line + i


def _spelling(word: str, vocab: Counter[str]) -> str | None:
    """Why ``word`` looks misspelt ("did you mean ..."), or None."""
    codespell = _codespell()
    lower = word.lower()
    known = codespell.wrong(lower)
    if known is not None and vocab[lower] < 2:
        return known
    if len(lower) < _MIN_WORD or lower in vocab:
        return None
    forms = _inflections(lower)
    if any(form in vocab for form in forms) or codespell.good_among({lower, *forms}):
        return None
    near = [w for w in _edits1(lower) if vocab[w] >= _MIN_FREQ]
    if not near:
        return None
    return max(near, key=lambda w: (vocab[w], w))


def _section_at(d: Definition, lineno: int) -> str | None:
    """The member whose doc section holds line ``lineno``, if any."""
    if d.doc is None:
        return None
    for section in d.doc.members:
        first = section.location.line or 0
        if first <= lineno < first + len(section.text.splitlines()):
            return section.name
    return None


@check("Q106", "qapi-doc-spelling", severity=Severity.WARNING)
def qapi_doc_spelling(ctx: CheckContext) -> Iterator[Hit]:
    """A word in added QAPI doc text looks misspelt.

    Why: the QAPI doc comments become the QMP reference manual. A word that
    the tree's own QAPI docs never use but that is one letter away from a
    word they use often ("migraton" for "migration"), or a misspelling
    known to codespell, is almost always a typo.

    Okay: ../common/ok-qapi-new-parameter.mbox
    Q106: flagged-migraton.mbox
    """
    for review in _reviews(ctx):
        vocab: Counter[str] | None = None
        new_lines = list(_new_doc_lines(review))
        words = {w.lower() for _, line, _ in new_lines for w in _WORD_RE.findall(line)}
        if words:  # every word's dictionary entry in one pass over the dictionary
            _codespell().lookup(words)
        for d, line, lineno in new_lines:
            for word in _WORD_RE.findall(line):
                if vocab is None:
                    vocab = _vocabulary(review.base)
                suggestion = _spelling(word, vocab)
                if suggestion is None:
                    continue

                def has(schema: Schema, name: str = d.name, text: str = line) -> bool:
                    found = schema.lookup(name)
                    return (
                        found is not None
                        and found.doc is not None
                        and (text in found.doc.text_lines)
                    )

                member = _section_at(d, lineno)
                where = f"'@{member}' in " if member else ""
                yield _traced(
                    ctx,
                    Hit(
                        f"'{word}' in the doc of {where}{d.describe()} looks misspelt "
                        f"(did you mean '{suggestion}'?)",
                        at=TreeLocation(d.doc.location.path if d.doc else d.location.path, lineno),
                        patch=_first_patch(ctx, review.slots, review.root, has),
                        extra={
                            "member": member,
                            "definition": d.name,
                            "word": word,
                            "suggestion": suggestion,
                        },
                    ),
                )
