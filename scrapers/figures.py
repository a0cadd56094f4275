"""Figures: the numbers a story states, as data.

`figures(text)` finds money, percentages and counts in English and Chinese news text and
normalises each: "$1.2 billion" is 1200000000 USD, "500亿元" is 50000000000 CNY,
"2.3 million viewers" is a count of 2300000. Numbers that are not figures are left alone:
years, dates and festival names (11.11, 618, Double 11), quarters, ranks, multipliers,
versions and model names, ages, phone numbers and times of day.

The grammar here only finds where a figure is and what surrounds it; price-parser reads
the number itself (thousands and decimal separators in either convention, so "Rp 1,5" is
1.5 and "200,000" is 200000), cn2an reads Chinese numerals, and babel knows which
three-letter codes are currencies.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

import cn2an  # type: ignore[import-untyped]
from babel.numbers import list_currencies
from price_parser.parser import parse_number

from scrapers.clean import inert_text

# A currency written before the number, as news text writes it, and its ISO 4217 code.
_SYMBOLS = {
    "US$": "USD", "$": "USD", "HK$": "HKD", "NT$": "TWD", "S$": "SGD", "A$": "AUD",
    "C$": "CAD", "R$": "BRL", "€": "EUR", "£": "GBP", "¥": "CNY", "￥": "CNY", "₹": "INR",
    "Rs": "INR", "Rs.": "INR", "₱": "PHP", "฿": "THB", "₫": "VND", "Rp": "IDR", "Rp.": "IDR",
    "RM": "MYR", "₩": "KRW", "RMB": "CNY",
}  # fmt: skip
# A currency written after the number (and its scale word), lower-cased.
_NAMES = {
    "元": "CNY", "块": "CNY", "美元": "USD", "港元": "HKD", "欧元": "EUR", "英镑": "GBP",
    "yuan": "CNY", "renminbi": "CNY", "rmb": "CNY", "dollars": "USD", "dollar": "USD",
    "euros": "EUR", "euro": "EUR", "pounds": "GBP", "rupees": "INR", "rupee": "INR",
    "rupiah": "IDR", "ringgit": "MYR", "pesos": "PHP", "peso": "PHP", "baht": "THB",
    "dong": "VND", "đồng": "VND", "won": "KRW", "yen": "JPY",
}  # fmt: skip
_SCALES = {
    "thousand": 3, "k": 3, "million": 6, "mn": 6, "m": 6, "mln": 6, "billion": 9, "bn": 9,
    "b": 9, "trillion": 12, "tn": 12, "lakh": 5, "lakhs": 5, "crore": 7, "crores": 7,
    "ribu": 3, "juta": 6, "miliar": 9, "milyar": 9, "triliun": 12, "nghìn": 3,
    "triệu": 6, "tỷ": 9, "千": 3, "万": 4, "十万": 5, "百万": 6, "千万": 7, "亿": 8,
    "十亿": 9, "百亿": 10, "千亿": 11, "万亿": 12,
}  # fmt: skip
_PERCENT = ("%", "％", "percent", "per cent", "pct", "percentage points", "percentage point",
            "个百分点")  # fmt: skip
# Words after a number that make it a duration, an age, a multiple or a rank, not a count.
_NOT_COUNTS = {
    "x", "times", "fold", "time", "years", "year", "months", "month", "weeks", "week",
    "days", "day", "hours", "hour", "minutes", "minute", "seconds", "second", "am", "pm",
    "a.m.", "p.m.", "o'clock", "st", "nd", "rd", "th", "and", "or", "to", "of", "in", "on",
    "at", "for", "from", "by", "with", "the", "a", "an", "is", "was", "are", "were",
    "stars", "star", "inch", "inches", "gb", "tb", "mb", "mp", "hz", "fps", "per",
}  # fmt: skip
_MULTIPLES = {"x", "times", "fold", "years", "year", "months", "days", "hours", "minutes"}
# Words before a number that make it a rank, a model, a version or an age.
_NOT_AFTER = {
    "top", "no", "no.", "number", "rank", "ranked", "ranks", "#", "iphone", "galaxy",
    "pixel", "model", "version", "v", "ios", "android", "series", "gpt", "aged", "age",
    "ages", "gen", "generation", "windows", "chapter", "season", "episode", "day", "week",
    "phase", "level", "tier", "room", "page", "section", "article", "grade", "class",
    "double", "singles", "under", "over",
}  # fmt: skip
# Chinese measure words after a number: a count of people, shops, orders, streams...
_MEASURES = "名个位家场件单人次款万"
_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿点"
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)

# Spans that are never figures, found first; a number inside one is skipped. The
# alternatives are grouped by what their first character is (a digit, a letter, something
# else), each group behind a one-character lookahead, so that most positions of a long text
# are rejected at once instead of by every alternative in turn (five times faster), with the
# same matches: at any one position only one group can match, in its original order.
_PHONE = r"(?:\+\d{1,3}[\s.-]?)?\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4}\b"  # phone numbers
_NOT_FIGURES = re.compile(
    r"""
    (?=\d)(?:
      \b\d{4}-\d{1,2}-\d{1,2}\b                         # 2026-11-20
    | \b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b                # 11/20, 11/20/2026
    | \b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?   # 20:00, 8:30 pm
    | \b\d{1,2}\s?[ap]\.?m\.?(?![a-z])                # 8 pm, 8am
    | \d{1,2}\s?(?:点|时)(?:\d{1,2}分?)?(?![万亿])     # 8点, 20时
    | \b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:"""
    + _MONTHS
    + r""")\b                                         # 20 November
    | \b(?:19|20)\d{2}\s?年(?:\d{1,2}月)?(?:\d{1,2}[日号])?  # 2026年11月11日
    | \d{1,2}月\d{1,2}[日号]?                          # 11月11日
    | \b(?:\d{1,2}\.\d{1,2})\s?(?:sale|shopping|festival|mega|campaign|promo)  # 9.9 sale
    | \b[1-4]Q\b                                      # 3Q
    | \b(?:19|20)\d{2}s?\b(?![,.]\d)                  # a year or a decade
    | \b\d+(?:st|nd|rd|th)\b                          # ordinals
    | \b\d+(?:\.\d+)?\s?[x×](?![a-z])                 # 3x
    | \b\d+-fold\b                                    # 3-fold
    | \b\d+\s+(?:in|out\ of)\s+\d+\b                   # 3 in 10
    | \b\d+-year-olds?\b | \b\d+\s+years?\s+old\b     # ages
    | \b\d+\s?(?:岁|倍|周年|年|月|日|号|天|小时|分钟|秒)  # ages, multiples, durations
    | \b\d+[kK]\b(?=\s*(?:video|tv|screen|stream|resolution|display))   # 4K video
    | \b\d[KG]\b                                      # 4K, 5G
    | """
    + _PHONE
    + r"""
    | \b\d+\.\d+\.\d+\b                              # versions
    )
    | \b(?=[a-z])(?:
      (?:"""
    + _MONTHS
    + r""")\.?\s+\d{1,2}(?:st|nd|rd|th)?\b(?!\s*(?:%|percent|million|billion))  # Nov. 11
    | double[\s-]?(?:\d{1,2}|十一|十二)                # Double 11
    | Q[1-4]\b | H[12]\b | FY\s?\d{2,4}\b             # quarters, halves, fiscal years
    | x\d+\b                                          # x3
    | age[sd]?\s+\d+(?:\s*(?:to|-|–)\s*\d+)?          # aged 18 to 34
    | v\d+(?:\.\d+)*\b                                # versions
    | [A-Z]+-\d+\b | [A-Z]\d{1,3}\b                    # GPT-4, S25, M3
    )
    | 双(?:\d{1,2}|十一|十二)                          # 双11
    | \b×\d+\b                                        # ×3
    | (?=[+(])"""
    + _PHONE
    + r"""
    """,
    re.VERBOSE | re.IGNORECASE,
)

_SYMBOL = "|".join(re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True))
_SCALE = "|".join(re.escape(s) for s in sorted(_SCALES, key=len, reverse=True))
_UNIT = "|".join(re.escape(s) for s in sorted((*_PERCENT, *_NAMES), key=len, reverse=True))
_FIGURE = re.compile(
    rf"""
    (?=(?-i:[\s\d$€£¥￥₹₱฿₫₩A-Z{_CN_DIGITS}]))  # what a figure can start with: fast to refuse
    (?-i:(?P<symbol>{_SYMBOL})|\b(?P<code>[A-Z]{{3}}))?\s?
    (?P<number>(?<![\d.,])\d[\d,.\s]{{0,24}}\d(?![\d])|\d|(?<![{_CN_DIGITS}])[{_CN_DIGITS}]{{0,8}}[一二两三四五六七八九十百千][{_CN_DIGITS}]{{0,8}}(?![{_CN_DIGITS}]))
    (?:[\s-]?(?P<scale>{_SCALE})(?![a-z]))?
    (?:\s?(?P<unit>{_UNIT})(?![a-z]))?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_WINDOW = 160  # characters read either side of a figure: its words, what follows it
_CLAUSE = re.compile(r"[;:!?()。；：！？，\n]|[.,](?=\s|$)")
_WORD = re.compile(r"\s*([A-Za-z][A-Za-z'-]*)")


@dataclass(frozen=True)
class Figure:
    """A number a story states: value, unit (ISO 4217, "%" or "count") and its words."""

    value: int | float
    unit: str
    text: str
    words: str = ""  # the words around it, naming what it measures

    def as_json(self) -> dict[str, object]:
        return {"value": self.value, "unit": self.unit, "text": self.text}


def figures(text: str) -> list[Figure]:
    """Every figure in `text`, in order, each (value, unit) once."""
    text = inert_text(text)  # escape sequences and controls are not text to read numbers in
    if not text:
        return []
    blocked = [m.span() for m in _NOT_FIGURES.finditer(text)]
    found: list[Figure] = []
    seen: set[tuple[float, str]] = set()
    for match in _FIGURE.finditer(text):
        read = _read(match, text, blocked)
        if read is not None and (read[0].value, read[0].unit) not in seen:
            figure, start, end = read
            seen.add((figure.value, figure.unit))
            found.append(replace(figure, words=_words_around(text, start, end)))
    return found


def _read(
    match: re.Match[str], text: str, blocked: list[tuple[int, int]]
) -> tuple[Figure, int, int] | None:
    """The figure a match of _FIGURE is (its words still to find), and where it is."""
    start, end = match.span("number")
    raw = match["number"]
    trailing = len(raw) - len(raw.rstrip(" ,."))
    if trailing:
        raw, end = raw[: -trailing or None], end - trailing
    # Spans from one finditer are sorted and disjoint: the last one starting before
    # the number's end is the only one that can overlap it.
    i = bisect_left(blocked, (end,)) - 1
    if i >= 0 and blocked[i][1] > start:
        return None
    amount = _amount(raw)
    if amount is None:
        return None
    symbol, code = match["symbol"], match["code"]
    scale, unit = (match["scale"] or ""), (match["unit"] or "")
    currency = _currency(symbol, code, unit)
    chinese = raw[0] not in "0123456789"
    if scale.lower() in ("m", "b", "k") and not currency and not _count_follows(text, match.end()):
        return None  # "M3", "b" as a letter: only a scale next to money or a counted noun
    if scale:
        amount *= Decimal(10) ** _SCALES[scale.lower()]
    figure_start = match.start("symbol") if symbol else match.start("code") if code else start
    figure_end = match.end()
    if not unit and not scale:
        figure_end = end
    if unit.lower() in _PERCENT:
        result = "%"
    elif currency:
        result = currency
    elif unit:
        return None
    else:
        before = _word_before(text, figure_start)
        if before in _NOT_AFTER or (chinese and not scale):
            return None
        measure = text[match.end() : match.end() + 1]
        if measure and measure in _MEASURES:
            figure_end = match.end() + 1
        elif scale and not scale.isascii():
            pass  # 8000万 (粉丝): Chinese scales count people, views, orders
        elif not scale or not _count_follows(text, match.end(), scaled=True):
            views = amount >= 100 and re.match(r"\s+times\b", text[match.end() : match.end() + 16])
            if not views and not _count_follows(text, match.end()):
                return None
            if raw in ("618", "818", "1111", "1212", "99"):
                return None  # the festivals, when written bare
        if amount != amount.to_integral_value():
            return None  # 4.5 stars, 2.0: a count is whole
        noun = _WORD.match(text, figure_end if figure_end == match.end() else match.end())
        if noun is not None and figure_end < match.end() + 1 and noun.group(1).isalpha():
            figure_end = noun.end()  # "200,000 merchants": the count names what it counts
        result = "count"
    value = int(amount) if amount == amount.to_integral_value() else float(amount)
    return Figure(value, result, text[figure_start:figure_end].strip()), figure_start, figure_end


@lru_cache(maxsize=4096)
def _amount(raw: str) -> Decimal | None:
    if raw[0] in "0123456789":
        digits = re.sub(r"\s", "", raw)
        if re.search(r"\d\s\d", raw) and not re.fullmatch(r"\d{1,3}(?:\s\d{3})+", raw):
            return None  # "10 20": two numbers, not one
        number = parse_number(digits)
        return number if isinstance(number, Decimal) else None
    try:
        return Decimal(str(cn2an.cn2an(raw, "smart")))
    except (ValueError, KeyError, IndexError, InvalidOperation):
        return None


def _currency(symbol: str | None, code: str | None, unit: str) -> str | None:
    if symbol:
        return _SYMBOLS[symbol]
    if code and code.upper() in _currencies():
        return code.upper()
    if code == "RMB":
        return "CNY"
    return _NAMES.get(unit.lower())


@cache
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


UNITS_OTHER = ("%", "count")


def currency_code(code: str) -> bool:
    """Whether `code` is an ISO 4217 currency code (babel's list)."""
    return code in _currencies()


def _word_before(text: str, start: int) -> str:
    before = text[max(0, start - 24) : start].rstrip()
    if before.endswith("#"):
        return "#"
    words: list[str] = re.findall(r"[A-Za-z][A-Za-z.']*", before)
    if not words or not before.endswith(words[-1]):
        return ""
    return words[-1].lower()


def _count_follows(text: str, end: int, scaled: bool = False) -> bool:
    """Whether a counted noun ("merchants", "new sellers") follows the number."""
    rest = text[end : end + _WINDOW]
    if scaled and (not rest.strip() or rest.lstrip()[:1] in ",.;:)，。；：）"):
        return True
    if rest[:1].isalpha() and not scaled:
        return False  # "4K", "3rd": letters glued to the number
    first = _WORD.match(rest)
    if first is None:
        return False
    word = first.group(1).lower()
    if word.endswith("-year-old") or word.endswith("-fold"):
        return False
    return word not in (_MULTIPLES if scaled else _NOT_COUNTS)


def _words_around(text: str, start: int, end: int) -> str:
    """The clause around a figure, a few words either side: what it measures. Only a
    window either side is read, so a long text costs the same per figure as a short one."""
    before = _CLAUSE.split(text[max(0, start - _WINDOW) : start])[-1]
    after = _CLAUSE.split(text[end : end + _WINDOW])[0]
    # Four words before, and the part of a word that touches the figure ("US" of "US$").
    words = before.split()
    touching = bool(before) and not before[-1].isspace()
    left = " ".join(words[-5:] if touching else words[-4:]) + ("" if touching else " ")
    right = re.match(r"(?:\s*\S+){0,3}", after)
    around = left + text[start:end] + (right[0] if right else "")
    return " ".join(around.split())


def story_figures(title: str, summary: str) -> list[Figure]:
    """The figures of a story: its title's, then its summary's, each (value, unit) once."""
    found: list[Figure] = []
    for figure in figures(title) + figures(summary):
        if all((f.value, f.unit) != (figure.value, figure.unit) for f in found):
            found.append(figure)
    return found


def lead_sentence(text: str, max_words: int = 45) -> str:
    """The first sentence of a summary: what a dek proposes for the editor to sharpen."""
    text = " ".join(text.split())
    match = re.search(r"(?<=[.!?。！？])[\"'”’)]?\s+(?=[A-Z0-9\"“‘(])|(?<=[。！？])", text)
    sentence = text[: match.start()] if match else text
    words = sentence.split()
    if len(words) > max_words:
        sentence = " ".join(words[:max_words]).rstrip(",;:") + " …"
    return sentence.strip()
