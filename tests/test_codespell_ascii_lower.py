"""Q106's dictionary search on an ASCII-lowered UTF-8 copy finds the lines
``str.lower()`` finds (qapi_spelling._Codespell._ascii_lowered, a speed-up)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reviewtool.checks import qapi_spelling as qc


def _by_str_lower(text: str, word: str, before: str) -> Iterator[str]:
    """The reference: every line of ``text`` holding ``word`` in any case
    after whitespace or a character of ``before``, found in ``text.lower()``."""
    text = "\n" + text
    lower = text.lower()
    assert len(lower) == len(text)
    pos = lower.find(word)
    while pos >= 0:
        prev = text[pos - 1]
        if prev.isspace() or prev in before:
            start = text.rfind("\n", 0, pos) + 1
            end = text.find("\n", pos)
            yield text[start : end if end >= 0 else len(text)]
            pos = lower.find(word, end) if end >= 0 else -1
        else:
            pos = lower.find(word, pos + 1)


TEXT = (
    "abandonned->abandoned\n"
    "Caf\u00e9 ->cafe, CAFES\n"
    "x\u2009cafes->cafe\n"  # a non-ASCII space before the word counts
    "\u00e9cafes->no\n"  # a non-ASCII letter before it does not
    "na\u00efve,cafe->naive, cafe\n"
    "\u0441afe->cafe\n"  # Cyrillic es: not an ASCII c
    "last line cafe"
)


@pytest.mark.parametrize("word", ["cafe", "caf", "c", "abandon", "naive", "e", "last"])
@pytest.mark.parametrize("before", [",>", ""])
def test_ascii_lowered_search_finds_what_str_lower_finds(word: str, before: str) -> None:
    codespell = qc._Codespell(TEXT)
    assert codespell._ascii_lowered() is not None
    assert list(codespell._lines_with(word, before)) == list(_by_str_lower(TEXT, word, before))


def test_a_character_lowering_to_ascii_falls_back_to_str_lower() -> None:
    # KELVIN SIGN lowers to an ASCII "k": the byte copy would miss it
    codespell = qc._Codespell("\u212aelvin->kelvin\nkelvins->kelvin\n")
    assert codespell._ascii_lowered() is None
    assert list(codespell._lines_with("kelvin", ",>")) == [
        "\u212aelvin->kelvin",
        "kelvins->kelvin",
    ]


def test_the_bundled_dictionary_takes_the_fast_path() -> None:
    assert qc._codespell()._ascii_lowered() is not None
