"""One story, one candidate: spotting the same story told by several outlets.

Titles become sets of words (syndication noise removed); a MinHash signature cut into
bands gives each story a few keys, so a new item is compared only with the stories that
share a key, then confirmed by the Jaccard similarity of its words.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# 6 bands of 4 rows: titles with Jaccard 0.7 share a band 4 times in 5, unrelated titles
# that share half their words about 1 time in 3 (then the exact check rejects them).
HASHES = 24
ROWS = 4
CLUSTER_WINDOW = timedelta(days=7)  # copies of a story appear within a week of each other
TEXT_WORDS = 60  # words of a summary kept for the comparison
MAX_COMPARED = 64  # stored stories compared with one new item, at most
TITLE_SIMILAR = 0.7
TITLE_RELATED = 0.4
TEXT_SIMILAR = 0.5

_STOP = frozenset(
    ("a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "how", "in",
     "is", "it", "its", "new", "of", "on", "or", "said", "says", "that", "the", "this", "to",
     "was", "were", "what", "why", "will", "with")
)  # fmt: skip
_PREFIX = re.compile(r"^(update[d]?|breaking|exclusive|watch|video|report)\s*[:\-\u2013|]\s*", re.I)
_SUFFIX = re.compile(r"^(?P<title>.*\S)\s+[-\u2013\u2014|]\s+(?P<outlet>[^-\u2013\u2014|]{2,40})$")
_WORD = re.compile(r"\w+")
_SEEDS = [zlib.crc32(f"seed-{i}".encode()) for i in range(HASHES)]


def title_key(title: str) -> str:
    """A title without syndication noise ("UPDATE:", "- Publisher"), lower-cased words."""
    text, _ = split_publisher(_PREFIX.sub("", title.strip()))
    return " ".join(_WORD.findall(text.lower()))


def split_publisher(title: str) -> tuple[str, str]:
    """("Headline", "Reuters") from "Headline - Reuters"; (title, "") when there is none."""
    match = _SUFFIX.match(title)
    if match is None:
        return title, ""
    return match["title"], match["outlet"].strip()


def words(text: str, limit: int | None = None) -> frozenset[str]:
    found = [w for w in _WORD.findall(text.lower()) if w not in _STOP]
    return frozenset(found[:limit] if limit else found)


def band_keys(title_words: Iterable[str]) -> list[str]:
    """The MinHash band keys of a set of words (stable across runs: CRC32, not hash())."""
    hashed = [zlib.crc32(w.encode()) for w in title_words]
    if not hashed:
        return []
    signature = [min(map(seed.__xor__, hashed)) for seed in _SEEDS]
    return [
        f"{start // ROWS}:" + ":".join(str(v) for v in signature[start : start + ROWS])
        for start in range(0, HASHES, ROWS)
    ]


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def same_story(
    title_a: frozenset[str], text_a: frozenset[str], title_b: frozenset[str], text_b: str
) -> bool:
    """Near-identical titles, or related titles over near-identical summaries.

    `text_b` is the stored, space-separated summary words, split only when needed.
    """
    titles = jaccard(title_a, title_b)
    if titles >= TITLE_SIMILAR:
        return True
    return titles >= TITLE_RELATED and jaccard(text_a, frozenset(text_b.split())) >= TEXT_SIMILAR


@dataclass
class Neighbourhood:
    """Stored stories that share a clustering key with a batch of new items.

    `by_key` maps a key to the (story id, published ISO time) that have it; `words` holds
    each story's title key and space-separated summary words, for the exact comparison.
    Stories stored from the same batch are added as they are stored.
    """

    by_key: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    words: dict[int, tuple[str, str]] = field(default_factory=dict)

    def add(
        self, story_id: int, published: str, keys: Iterable[str], title: str, text: str
    ) -> None:
        for key in keys:
            self.by_key.setdefault(key, []).append((story_id, published))
        self.words.setdefault(story_id, (title, text))


def find_copy(
    title_words: frozenset[str],
    text_words: frozenset[str],
    keys: Iterable[str],
    published: datetime,
    near: Neighbourhood,
) -> int | None:
    """The stored story an item is a copy of (same story, another outlet), if any."""
    if len(title_words) < 3:
        return None
    low = (published - CLUSTER_WINDOW).isoformat()
    high = (published + CLUSTER_WINDOW).isoformat()
    ids = sorted(
        {sid for key in keys for sid, when in near.by_key.get(key, ()) if low <= when <= high}
    )
    for story_id in ids[:MAX_COMPARED]:
        other_title, other_text = near.words[story_id]
        if same_story(title_words, text_words, words(other_title), other_text):
            return story_id
    return None
