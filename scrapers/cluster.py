"""One story, one candidate: spotting the same story told by several outlets.

Titles become sets of words (syndication noise removed); a MinHash signature cut into
bands gives each story a few keys, so a new item is compared only with the stories that
share a key, then confirmed by the Jaccard similarity of its words.

Two outlets seldom write the same headline, though: "...live sales hit $500 million" and
"...topped $500 million" are one event. So a story also has event keys: the distinctive
numbers its headline and lead state. Two reports that state the same number within a few
days are one event when each headline's telling words (not the trade's everyday words)
appear in the other report. Reports naming different periods ("third quarter 2025" and
"first quarter 2025", "2024" and "2020" in the headlines) are never one story.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# 6 bands of 4 rows: titles with Jaccard 0.7 share a band 4 times in 5, unrelated titles
# that share half their words about 1 time in 3 (then the exact check rejects them).
HASHES = 24
ROWS = 4
CLUSTER_WINDOW = timedelta(days=7)  # copies of a story appear within a week of each other
TEXT_WORDS = 60  # words of a summary kept for the comparison
MAX_COMPARED = 64  # stored stories with a similar title compared with one new item, at most
TITLE_SIMILAR = 0.7
TITLE_RELATED = 0.4
TEXT_SIMILAR = 0.5
# Event keys (measured on real coverage, tests/data/real/copies.jsonl; bench --only copies)
EVENT_WINDOW = timedelta(days=2)  # one event's reports, days apart at most
EVENT_NUMBERS = 6  # numbers a story is keyed under, at most (its first ones)
EVENT_COMPARED = 8  # stories sharing a number compared with one item, at most
EVENT_TELLING = 2  # telling headline words two reports of one number share, at least
EVENT_TELLING_ALONE = 5  # ... two reports of which one at most states numbers
EVENT_TELLING_OTHER = 8  # ... two reports stating different numbers
EVENT_WORDS_KEYED = 8  # telling headline words a story is keyed under, at most

_STOP = frozenset(
    ("a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "how", "in",
     "is", "it", "its", "new", "of", "on", "or", "said", "says", "that", "the", "this", "to",
     "was", "were", "what", "why", "will", "with")
)  # fmt: skip
# Words most of our coverage shares, whatever the event: they say nothing about which one.
_TRADE = frozenset(
    ("live", "livestream", "livestreaming", "livestreams", "streaming", "stream", "streams",
     "shopping", "shop", "shops", "commerce", "ecommerce", "e", "social", "online", "sales",
     "sellers", "seller", "selling", "sell", "creators", "creator", "platform", "platforms",
     "brands", "brand", "video", "videos", "users", "shoppers", "customers", "app", "retail",
     "retailers", "market", "company", "business", "million", "billion", "percent", "per",
     "cent", "year", "more", "than", "also", "after", "over", "into", "about", "their", "its",
     "our", "we", "they", "he", "she", "but", "not", "can", "first", "one", "s",
     # Vietnamese writes a syllable a word: its everyday ones, and the trade's
     "người", "việt", "nam", "các", "của", "và", "là", "có", "được", "trong", "với", "trên",
     "này", "những", "mỗi", "ngày", "năm", "tháng", "cho", "đã", "sẽ", "khi", "từ", "đến",
     "thương", "mại", "điện", "tử", "sàn", "mua", "bán", "hàng", "sắm", "doanh", "số", "thu",
     "tỷ", "triệu", "nghìn", "ngàn", "đồng", "chi", "tiền", "nền", "tảng", "thị", "trường",
     "phần", "tăng", "trưởng", "trực", "tuyến", "phát", "sóng",
     # Indonesian everyday words and the trade's
     "yang", "dan", "di", "ke", "dari", "untuk", "dengan", "ini", "itu", "pada", "juga",
     "akan", "tidak", "dalam", "belanja", "penjualan", "transaksi", "pengguna", "toko",
     "penjual", "pembeli", "juta", "miliar", "triliun", "persen", "tahun")
)  # fmt: skip
_PREFIX = re.compile(r"^(update[d]?|breaking|exclusive|watch|video|report)\s*[:\-\u2013|]\s*", re.I)
_SUFFIX = re.compile(r"^(?P<title>.*\S)\s+[-\u2013\u2014|]\s+(?P<outlet>[^-\u2013\u2014|]{2,40})$")
_WORD = re.compile(r"\w+")
# A number on its own or with a scale letter ("$500M"), not part of a word ("w6208", "H20").
_NUMBER = re.compile(r"(?<![A-Za-z\d.,_])\d+(?:[.,]\d+)*(?=(?:[kmbKMB]|bn|mn|tn)?(?![A-Za-z\d_]))")
_SCALE_EXPONENTS = {
    "thousand": 3, "k": 3, "million": 6, "mn": 6, "m": 6, "billion": 9, "bn": 9, "b": 9,
    "trillion": 12, "tn": 12, "lakh": 5, "crore": 7, "cr": 7, "万": 4, "萬": 4, "亿": 8,
    "億": 8, "ribu": 3, "juta": 6, "miliar": 9, "triliun": 12, "nghìn": 3, "triệu": 6, "tỷ": 9,
}  # fmt: skip
_SCALE_AFTER = re.compile(
    r"\s?(thousand|million|billion|trillion|lakh|crore|mn|bn|tn|cr|[kmb]|万|萬|亿|億|ribu|juta"
    r"|miliar|triliun|nghìn|triệu|tỷ)(?![a-z])",
    re.IGNORECASE,
)
_THOUSANDS = re.compile(r"[.,](?=\d{3}(?!\d))")
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


def numbers(text: str, limit: int = EVENT_NUMBERS) -> list[str]:
    """The distinctive numbers of a text, as written without thousands separators: with a
    scale word, a decimal point, or 100 and more, and not years. A scale is part of the
    number: "$6 billion" and "$6B" both give "6e9", "50,000 sellers" "50000", "28%"
    nothing."""
    found: list[str] = []
    for match in _NUMBER.finditer(text):
        number = _THOUSANDS.sub("", match[0]).replace(",", ".")
        scale = _SCALE_AFTER.match(text, match.end())
        if scale is not None:
            number += f"e{_SCALE_EXPONENTS[scale[1].lower()]}"
        elif "." not in number and (len(number) < 3 or 1900 <= int(number) <= 2100):
            continue
        if number not in found:
            found.append(number)
            if len(found) == limit:
                break
    return found


def lead(text: str) -> str:
    """A summary's first TEXT_WORDS words: what comparisons read of it."""
    return " ".join(text.split()[:TEXT_WORDS])


def event_keys(title: str, text: str) -> list[str]:
    """The keys a story shares with other reports of the same event: the distinctive
    numbers its headline and lead state ("n:number"), the first telling words of its
    headline ("t:word"), in the headline's order (its subject comes first: a long headline's
    alphabetically first words would be any)."""
    told: list[str] = []
    for word in _WORD.findall(title_key(title)):
        if word not in _STOP and word not in told and _is_telling(word):
            told.append(word)
    return [f"n:{n}" for n in numbers(f"{title} {lead(text)}")] + [
        f"t:{w}" for w in told[:EVENT_WORDS_KEYED]
    ]


# A capitalised word inside a sentence: a name ("Funko Pops", "Supreme Court", "Viya").
_NAME = re.compile("(?<=[\\s(\"'\u201c\u2018])[A-Z][\\w'\u2019.-]*")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CALENDAR = frozenset(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
     "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept",
     "oct", "nov", "dec", "u", "us", "i")
)  # fmt: skip


def names(text: str) -> frozenset[str]:
    """The names a lead states: the words it capitalises inside a sentence (the first word
    of one is capitalised anyway), lower-cased as `words` has them; not days and months,
    nor the trade's everyday words ("Live Shopping")."""
    found: set[str] = set()
    for sentence in _SENTENCE.split(text):
        for name in _NAME.findall(sentence):
            found.update(_WORD.findall(name.lower()))
    return frozenset(w for w in found if w not in _CALENDAR and _is_telling(w))


def is_band(key: str) -> bool:
    return key[:1].isdigit()


def telling(title_words: frozenset[str]) -> frozenset[str]:
    """A headline's words that say which event it is: not the trade's everyday words."""
    return frozenset(filter(_is_telling, title_words))


def _is_telling(word: str) -> bool:
    return word not in _TRADE and not word.isdigit()


def same_event(
    title_a: frozenset[str],
    all_a: frozenset[str],
    title_b: frozenset[str],
    all_b: frozenset[str],
    same_number: bool,
    other_numbers: bool = False,
    names_a: frozenset[str] = frozenset(),
    names_b: frozenset[str] = frozenset(),
) -> bool:
    """Two reports days apart: one event when the telling words of either headline appear
    in the other report (headline or lead), with the names both leads state: EVENT_TELLING
    of them when both state the same number, EVENT_TELLING_ALONE when one at most states
    numbers, EVENT_TELLING_OTHER when both state numbers but `other_numbers` (none in
    common)."""
    shared = (telling(title_a) & all_b) | (telling(title_b) & all_a) | (names_a & names_b)
    if same_number:
        return len(shared) >= EVENT_TELLING
    return len(shared) >= (EVENT_TELLING_OTHER if other_numbers else EVENT_TELLING_ALONE)


_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_QUARTER = re.compile(
    r"\b(?:q([1-4])|([1-4])q|(first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+quarter)\b",
    re.IGNORECASE,
)
_ORDINAL = {"first": "1", "second": "2", "third": "3", "fourth": "4", "1st": "1", "2nd": "2",
            "3rd": "3", "4th": "4"}  # fmt: skip


def periods(title: str, text: str = "") -> tuple[frozenset[str], frozenset[str]]:
    """The quarters a report names (headline and lead) and the years its headline names."""
    quarters = frozenset(
        m[1] or m[2] or _ORDINAL[m[3].lower()] for m in _QUARTER.finditer(f"{title} {text}")
    )
    return quarters, frozenset(_YEAR.findall(title))


def other_periods(
    a: tuple[frozenset[str], frozenset[str]], b: tuple[frozenset[str], frozenset[str]]
) -> bool:
    """Whether two reports name different periods: quarters, or headline years, and none
    in common ("Q3 2024 results" and "2020 third-quarter results" are two events)."""
    return any(x and y and not x & y for x, y in zip(a, b, strict=True))


# Words that undo an event: a headline with one reports a new event, the reversal of what a
# headline without one reported ("Komdigi lifts TikTok's freeze", "TikTok restores service").
_REVERSAL = re.compile(
    r"\b(?:lift(?:s|ed|ing)?|restor(?:es|ed|ing|e)|resum(?:es|ed|ing|e)|reopen(?:s|ed|ing)?"
    r"|reinstat(?:es|ed|ing|e)|revers(?:es|ed|ing|e)|overturn(?:s|ed)?|unban(?:s|ned)?"
    r"|back\s+online|cabut|mencabut|dicabut|pencabutan|dibuka\s+kembali|kembali\s+dibuka"
    r"|gỡ\s+bỏ|khôi\s+phục|mở\s+lại)\b",
    re.IGNORECASE,
)


def reverses(headline: str, other: str) -> bool:
    """Whether one of two headlines reports undoing what the other reports."""
    return bool(_REVERSAL.search(headline)) != bool(_REVERSAL.search(other))


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
    """Stored stories that share a title band key with a batch of new items.

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


@dataclass(frozen=True)
class EventNeighbour:
    """A stored story sharing event keys with an item: its headline and summary (as
    stored: title key and summary words, and as written), and whether a number is among
    the keys shared."""

    story_id: int
    title_key: str
    text_words: str
    title: str
    text: str
    same_number: bool


def find_copy(
    title_words: frozenset[str],
    text_words: frozenset[str],
    keys: Iterable[str],
    published: datetime,
    near: Neighbourhood,
    events: Callable[[], Iterable[EventNeighbour]] = tuple,
    headline: str = "",
    summary: str = "",
) -> int | None:
    """The stored story an item is a copy of (same story, another outlet), if any.

    Stories with a similar title (a shared band key) are compared first, MAX_COMPARED at
    most; then `events()`, the few sharing the most numbers within EVENT_WINDOW (asked
    only when no title matched). Never one naming other periods than the item's `headline`
    (and `summary`'s lead, where the other's is at hand).
    """
    if len(title_words) < 3:
        return None
    low, high = (published - CLUSTER_WINDOW).isoformat(), (published + CLUSTER_WINDOW).isoformat()
    ids = sorted(
        {sid for key in keys for sid, when in near.by_key.get(key, ()) if low <= when <= high}
    )
    for story_id in ids[:MAX_COMPARED]:
        other_title, other_text = near.words[story_id]
        if same_story(title_words, text_words, words(other_title), other_text) and not (
            other_periods(periods(headline), periods(other_title))  # when all else agrees
            or reverses(headline, other_title)
        ):
            return story_id
    neighbours = list(events())
    if not neighbours:
        return None
    everything = title_words | text_words
    in_report = periods(headline, lead(summary))
    mine_count = bool(numbers(f"{headline} {lead(summary)}"))
    my_names = names(lead(summary))
    for other in neighbours:
        theirs = words(other.title_key)
        all_theirs = theirs | frozenset(other.text_words.split())
        their_lead = lead(other.text)
        both_count = mine_count and bool(numbers(f"{other.title} {their_lead}"))
        if same_event(
            title_words,
            everything,
            theirs,
            all_theirs,
            other.same_number,
            both_count,
            my_names,
            names(their_lead),
        ) and not (
            other_periods(in_report, periods(other.title, their_lead))
            or reverses(headline, other.title)
        ):
            return other.story_id
    return None
