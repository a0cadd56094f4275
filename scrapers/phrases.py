"""Finding many phrases in a text in one pass over its words.

One big regex alternation of every alias is slow in Python (the engine tries each
alternative at each position); looking up word n-grams in a dict is not. Phrases in
scripts written without spaces (Chinese) are matched as substrings.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import snowballstemmer

# Scripts written without spaces between words (Thai, Japanese kana, Chinese): a phrase in
# them is found anywhere in the text.
_SPACELESS_CHARS = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff"
_SPACELESS = re.compile(f"[{_SPACELESS_CHARS}]")
# A word: a run of letters and digits, where a run in those scripts and a run in others are
# two words ("TikTok卖家" is TikTok, then 卖家: the name is whole).
_WORD = re.compile(f"[{_SPACELESS_CHARS}]+|(?:(?![{_SPACELESS_CHARS}])\\w)+")
_STEMMER = snowballstemmer.stemmer("english")


# Words whose stem would make them another word: "making a living selling" is not "live
# selling", "livings" no stream.
_UNSTEMMED = frozenset({"living", "livings"})


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A folded word's English stem: livestreamed, livestreaming -> livestream (Snowball)."""
    if not word.isascii() or word in _UNSTEMMED:
        return word
    return str(_STEMMER.stemWord(word))


def stems(phrase: str) -> tuple[str, ...]:
    """A phrase's words as stems: what it matches ("Live Streams" -> live, stream)."""
    return tuple(stem(w.casefold()) for w in _WORD.findall(phrase))


class Words:
    """A text cut into words once, for every index that looks at it."""

    __slots__ = ("_spans", "_stems", "folded", "text", "words")

    def __init__(self, text: str):
        self.text = text
        self.words = _WORD.findall(text)
        self.folded = [w.casefold() for w in self.words]
        self._stems: list[str] | None = None
        self._spans: list[tuple[int, int]] | None = None

    @property
    def spans(self) -> list[tuple[int, int]]:
        """Where each word starts and ends in the text, made once."""
        if self._spans is None:
            self._spans = [m.span() for m in _WORD.finditer(self.text)]
        return self._spans

    @property
    def stems(self) -> list[str]:
        """Each folded word's stem, made once (for indexes that match word forms)."""
        if self._stems is None:
            self._stems = [stem(w) for w in self.folded]
        return self._stems


def _start(span: tuple[int, int]) -> int:
    return span[0]


class Found(NamedTuple):
    """A phrase found: its key, and the words it covers (`start` to `end`, not included)."""

    key: str
    start: int
    end: int
    at: int = -1  # where a phrase written without spaces starts in the text


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
            if _SPACELESS.search(phrase):
                self._spaceless.append((key, phrase))  # e.g. 直播带货: no word boundaries
                continue
            folded = tuple(w.casefold() for w in words)
            if stems:
                folded = tuple(stem(w) for w in folded)
            self._grams.setdefault(folded, []).append(_Entry(key, words, case_sensitive))
            self._firsts.add(folded[0])
            self._longest = max(self._longest, len(words))
        self._spaceless.sort(key=lambda pair: -len(pair[1]))

    def find(self, text: str | Words) -> set[str]:
        """The keys of every phrase present in `text`.

        The longest phrase at a position wins and consumes its words: "Amazon Live" is
        the platform, not also the company Amazon.
        """
        text = text if isinstance(text, Words) else Words(text)
        return {found.key for found in self.find_at(text)}

    def find_at(self, text: Words) -> list[Found]:
        """Every phrase found, with its words' span. Phrases written without spaces
        (Chinese, Thai) are found inside words, longest first: "直播带货" hides the "直播" and
        "带货" in it, as a longer phrase of words hides the shorter ones; their span is the
        word they are in."""
        found = []
        taken = bytearray(len(text.text) if self._spaceless else 0)  # what longer ones took
        for key, phrase in self._spaceless:
            at, first = text.text.find(phrase), True
            while at >= 0:
                end = at + len(phrase)
                if not any(taken[at:end]):
                    taken[at:end] = b"\1" * len(phrase)  # every occurrence hides what is in it
                    if first:  # its word: the last one starting at or before it
                        word = max(bisect_right(text.spans, at, key=_start) - 1, 0)
                        found.append(Found(key, word, word + 1, at))
                        first = False
                at = text.text.find(phrase, end)
        words, folded = text.words, (text.stems if self._stems else text.folded)
        firsts, longest, count = self._firsts, self._longest, len(words)
        free = 0  # words before this one belong to a phrase already found
        for start in [at for at, word in enumerate(folded) if word in firsts]:
            if start < free:
                continue
            for size in range(min(longest, count - start), 0, -1):
                keys = self._keys_at(words, folded, start, size)
                if keys:
                    found += [Found(key, start, start + size) for key in sorted(keys)]
                    free = start + size
                    break
        return found

    def _keys_at(self, words: list[str], folded: list[str], start: int, size: int) -> set[str]:
        return {
            entry.key
            for entry in self._grams.get(tuple(folded[start : start + size]), ())
            if not entry.case_sensitive or tuple(words[start : start + size]) == entry.words
        }
