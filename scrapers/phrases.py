"""Finding many phrases in a text in one pass over its words.

One big regex alternation of every alias is slow in Python (the engine tries each
alternative at each position); looking up word n-grams in a dict is not. Phrases in
scripts written without spaces (Chinese) are matched as substrings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"\w+")
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A folded word's English stem: livestreamed, livestreaming -> livestream (Snowball)."""
    return str(_STEMMER.stemWord(word)) if word.isascii() else word


class Words:
    """A text cut into words once, for every index that looks at it."""

    __slots__ = ("_stems", "folded", "text", "words")

    def __init__(self, text: str):
        self.text = text
        self.words = _WORD.findall(text)
        self.folded = [w.casefold() for w in self.words]
        self._stems: list[str] | None = None

    @property
    def stems(self) -> list[str]:
        """Each folded word's stem, made once (for indexes that match word forms)."""
        if self._stems is None:
            self._stems = [stem(w) for w in self.folded]
        return self._stems


@dataclass(frozen=True)
class _Entry:
    key: str  # what the caller registered
    words: tuple[str, ...]  # as written, for case-sensitive phrases
    case_sensitive: bool


class PhraseIndex:
    """Whole-word phrase matching: "Flip" never matches "flipping", "JD" never "JDs"."""

    def __init__(self, phrases: Iterable[tuple[str, str, bool]], stems: bool = False):
        """`phrases`: (key, phrase, case_sensitive) triples; a key may have many phrases.
        With `stems`, phrases match any word form ("livestream" finds "livestreamed")."""
        self._stems = stems
        self._grams: dict[tuple[str, ...], list[_Entry]] = {}
        self._firsts: set[str] = set()
        self._spaceless: list[tuple[str, str]] = []
        self._longest = 1
        for key, phrase, case_sensitive in phrases:
            words = tuple(_WORD.findall(phrase))
            if not words:
                continue
            if not phrase.isascii() and len(words) == 1 and words[0] == phrase:
                self._spaceless.append((key, phrase))  # e.g. 直播带货: no word boundaries
                continue
            folded = tuple(w.casefold() for w in words)
            if stems:
                folded = tuple(stem(w) for w in folded)
            self._grams.setdefault(folded, []).append(_Entry(key, words, case_sensitive))
            self._firsts.add(folded[0])
            self._longest = max(self._longest, len(words))

    def find(self, text: str | Words) -> set[str]:
        """The keys of every phrase present in `text`.

        The longest phrase at a position wins and consumes its words: "Amazon Live" is
        the platform, not also the company Amazon.
        """
        text = text if isinstance(text, Words) else Words(text)
        return {key for key, _ in self.find_at(text)}

    def find_at(self, text: Words) -> list[tuple[str, int]]:
        """(key, word position) of every phrase found; Chinese phrases count as position 0."""
        found = [
            (key, len(_WORD.findall(text.text[: text.text.index(phrase)])))
            for key, phrase in self._spaceless
            if phrase in text.text
        ]
        words, folded = text.words, (text.stems if self._stems else text.folded)
        firsts, longest, count = self._firsts, self._longest, len(words)
        free = 0  # words before this one belong to a phrase already found
        for start in [at for at, word in enumerate(folded) if word in firsts]:
            if start < free:
                continue
            for size in range(min(longest, count - start), 0, -1):
                keys = self._keys_at(words, folded, start, size)
                if keys:
                    found += [(key, start) for key in keys]
                    free = start + size
                    break
        return found

    def _keys_at(self, words: list[str], folded: list[str], start: int, size: int) -> set[str]:
        return {
            entry.key
            for entry in self._grams.get(tuple(folded[start : start + size]), ())
            if not entry.case_sensitive or tuple(words[start : start + size]) == entry.words
        }
