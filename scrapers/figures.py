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
    "RM": "MYR", "₩": "KRW", "RMB": "CNY", "₨": "INR",
}  # fmt: skip
# A currency written after the number (and its scale word), lower-cased.
_NAMES = {
    "元": "CNY", "块": "CNY", "美元": "USD", "港元": "HKD", "欧元": "EUR", "英镑": "GBP",
    "yuan": "CNY", "renminbi": "CNY", "rmb": "CNY", "dollars": "USD", "dollar": "USD",
    "dolar": "USD", "us dollars": "USD", "us dollar": "USD", "u.s. dollars": "USD",
    "越南盾": "VND", "đô": "USD", "paise": "INR", "铢": "THB",
    "泰铢": "THB", "銖": "THB", "泰銖": "THB",
    "euros": "EUR", "euro": "EUR", "pounds": "GBP", "rupees": "INR", "rupee": "INR",
    "rupiah": "IDR", "ringgit": "MYR", "pesos": "PHP", "peso": "PHP", "baht": "THB",
    "dong": "VND", "đồng": "VND", "won": "KRW", "yen": "JPY", "đô la": "USD", "đô-la": "USD",
    "đôla": "USD", "cents": "USD", "cent": "USD", "nhân dân tệ": "CNY", "nhân tệ": "CNY",
    "ndt": "CNY",
    "元人民幣": "CNY", "元人民币": "CNY", "人民幣": "CNY", "人民币": "CNY", "美金": "USD",
    "新台幣": "TWD", "新台币": "TWD", "台幣": "TWD", "港幣": "HKD", "港币": "HKD",
    "日元": "JPY", "日圓": "JPY", "韩元": "KRW", "韓元": "KRW",
    "บาท": "THB", "ดอลลาร์สหรัฐฯ": "USD", "ดอลลาร์สหรัฐ": "USD", "ดอลลาร์": "USD",
}  # fmt: skip
_SCALES = {
    "thousand": 3, "thousands": 3, "millions": 6, "billions": 9, "trillions": 12,
    "k": 3, "million": 6, "mn": 6, "m": 6, "mln": 6, "billion": 9, "bn": 9, "bln": 9,
    "trln": 12,
    "b": 9, "trillion": 12, "tn": 12, "lakh": 5, "lakhs": 5, "crore": 7, "crores": 7,
    "ribu": 3, "juta": 6, "miliar": 9, "milyar": 9, "triliun": 12, "nghìn": 3,
    "triệu": 6, "tỷ": 9, "tỉ": 9, "ngàn": 3, "nghìn tỷ": 12, "nghìn tỉ": 12, "ngàn tỷ": 12,
    "ngàn tỉ": 12, "jutaan": 6, "ribuan": 3,
    "千": 3, "万": 4, "十万": 5, "百万": 6, "千万": 7, "亿": 8, "十亿": 9, "百亿": 10, "千亿": 11,
    "万亿": 12, "萬": 4, "十萬": 5, "百萬": 6, "千萬": 7, "億": 8, "十億": 9, "百億": 10,
    "千億": 11, "萬億": 12, "兆": 12, "cr": 7, "jt": 6, "rb": 3, "t": 12,
    "l": 5,  # "₹10L": ten lakh, in Indian shorthand (only after a currency)
    # Indian compounds: "Rs 5 lakh crore" is 5 x 10^12, "INR 7K Cr" 7,000 crore
    "lakh crore": 12, "lakh crores": 12, "lakh cr": 12, "thousand crore": 10,
    "thousand crores": 10, "k crore": 10, "k cr": 10,
    "พัน": 3, "หมื่น": 4, "แสน": 5, "ล้าน": 6, "ร้อยล้าน": 8, "พันล้าน": 9, "หมื่นล้าน": 10,
    "แสนล้าน": 11, "ล้านล้าน": 12, "ลบ.": 6, "พันลบ.": 9, "หมื่นลบ.": 10,
}  # fmt: skip
_RATIO_BEFORE = re.compile(r"\b(?:one|two|three|\d+)\s+(?:in|out\s+of)\s+$", re.IGNORECASE)
# Characters that show nothing, which some pages scatter inside words and numbers (soft
# hyphens, zero-width spaces and joiners, the combining grapheme joiner).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u2060-\u2064\ufeff]"
)
_POINT_SIGNS = {"$", "US$", "£"}
_COMMA_DECIMAL = re.compile(r"\d{1,3}(?:\.\d{3})*,\d+")
_PRICE = re.compile(r"\d{1,3}\.\d{3}")
# Thai financial shorthand: ลบ. is ล้านบาท, "million baht", a scale and a currency at once.
_BAHT_SCALES = {"ลบ.", "พันลบ.", "หมื่นลบ."}
# Scales of languages that write "." between thousands: "34.000 tỷ" is 34,000 billion.
_DOT_THOUSANDS = {
    "ribu", "ribuan", "juta", "jutaan", "miliar", "milyar", "triliun", "nghìn", "ngàn", "triệu",
    "tỷ", "tỉ", "nghìn tỷ", "nghìn tỉ", "ngàn tỷ", "ngàn tỉ",
}  # fmt: skip
_PERCENT = ("%", "％", "percent", "per cent", "pct", "pcts", "percentage points",
            "percentage point", "个百分点", "個百分點", "persen", "phần trăm",
            "เปอร์เซ็นต์", "pc", "basis points", "basis point", "bps")  # fmt: skip
# Units worth a hundredth of what the number says: cents and paise of their currency, and
# basis points of a percentage point ("up 345 basis points" is 3.45 %).
_HUNDREDTHS = ("cent", "cents", "paise", "basis points", "basis point", "bps")
# Words after a number that make it a duration, an age, a multiple or a rank, not a count.
_NOT_COUNTS = {
    "x", "times", "fold", "time", "years", "year", "months", "month", "weeks", "week",
    "days", "day", "hours", "hour", "minutes", "minute", "seconds", "second", "am", "pm",
    "a.m.", "p.m.", "o'clock", "st", "nd", "rd", "th", "and", "or", "to", "of", "in", "on",
    "at", "for", "from", "by", "with", "the", "a", "an", "is", "was", "are", "were",
    "stars", "star", "inch", "inches", "gb", "tb", "mb", "mp", "hz", "fps", "per",
    "tiếng", "giờ", "phút", "giây", "ngày", "tuần", "tháng", "năm", "lần", "jam", "menit",
    "detik", "hari", "minggu", "bulan", "tahun", "kali",
    # words that join, not nouns: "8 đến 10 tiếng", "5 hingga 10 jam", "3 dan 4"
    "đến", "tới", "và", "hoặc", "của", "trong", "hingga", "sampai", "dan", "atau", "dari",
    "ke", "di", "dalam", "untuk", "pada", "yang", "cuma", "hanya", "saja", "udah", "sudah",
    "lebih", "sehari", "setiap", "itu", "ini", "lagi", "pun", "juga", "bisa", "akan", "telah",
    "hơn", "mỗi", "với",
    "out",  # "two out of three": a share, not a count
    "basis", "bps",  # "342 basis" (points follow); BPS is also Indonesia's statistics office
    "besar",  # "100 besar aplikasi": the top 100, a rank
    "tuổi",  # an age
    "multiple", "multiples",  # "at 20 multiple x EBITDA"
    "o",  # "1 o\u2019clock": the letter before a typographic apostrophe
    "thập",  # "3 thập kỷ": three decades
    "chữ",  # "tăng trưởng 3 chữ số": triple-digit growth
    "setengah",  # "1 setengah jam": one and a half hours
    "points", "point", "poin",  # an index or a share moving, not things counted
    # measures, not things counted: "4,200 sq ft", "500 MW"
    "sq", "square", "ft", "feet", "km", "kg", "tons", "tonnes", "acres", "hectares",
    "meters", "metres", "miles", "cm", "mm", "ml", "kw", "kwh", "mw", "mah",
}  # fmt: skip
_MULTIPLES = {
    "x", "times", "fold", "years", "year", "months", "days", "hours", "minutes", "multiple",
}  # fmt: skip
# Words before a number that make it a rank, a model, a version or an age.
_NOT_AFTER = {
    "top", "no", "no.", "number", "rank", "ranked", "ranks", "#", "iphone", "galaxy",
    "pixel", "model", "version", "v", "ios", "android", "series", "gpt", "aged", "age",
    "ages", "gen", "generation", "windows", "chapter", "season", "episode", "day", "week",
    "phase", "level", "tier", "room", "page", "section", "article", "grade", "class",
    "double", "singles", "under", "tháng", "ngày", "năm", "tahun", "bulan", "pukul", "jam",
    "first", "last",  # "the first 10 products": a position, like "top 10"
    "per",  # "$5 per 100 views": the rate's unit, not a count
    "thứ",  # "đứng thứ 3": third place
    "peringkat",  # "peringkat 6": sixth place
    "quý",  # "quý 3": the third quarter
}  # fmt: skip
# Numbers written as words, for counts and amounts ("six executives", "two million").
_WORD_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "hundred": 100, "a hundred": 100, "a dozen": 12,
    "half a": 0.5, "one": 1,
}  # fmt: skip
# Indonesian, read only before a scale word ("dua miliar rupiah", "dua juta usaha"): alone,
# "dua setengah jam" is a duration and "lima" a name.
_NEEDS_SCALE = {
    "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
    "delapan": 8, "sembilan": 9, "sepuluh": 10, "seratus": 100,
}  # fmt: skip
_WORD_NUMBERS |= _NEEDS_SCALE
# Chinese measure words after a number: a count of people, shops, orders, streams...
_MEASURES = "名个位家场件单人次款万個場單組間條項種隻則篇筆笔張张"
# The measure words after a number in Chinese numerals that make it a count of things
# (not 次, "times", nor 一, "a": "一家公司" is "a company").
_CN_COUNTED = "个個家名位款件场場人"
# A measure word that makes a number a duration or a number of digits, not a count.
_CN_DURATION = re.compile(
    "[个個](?:季|月|小时|小時|星期|礼拜|禮拜|工作日|交易日|年|周|週|百分)|位[数數]"
)
_CN_DIGITS = "零〇一二两兩三四五六七八九十百千万萬亿億点"
_SIMPLIFIED_DIGITS = str.maketrans("兩萬億", "两万亿")  # cn2an reads only the simplified ones
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    r"|januari|februari|maret|mei|juni|juli|agustus|oktober|desember"  # Indonesian
)

# Spans that are never figures, found first; a number inside one is skipped. The
# alternatives are grouped by what their first character is (a digit, a letter, something
# else), each group behind a one-character lookahead, so that most positions of a long text
# are rejected at once instead of by every alternative in turn (five times faster), with the
# same matches: at any one position only one group can match, in its original order.
# phone numbers (not "166.063.276": thousands grouped by dots)
_PHONE = r"(?:\+\d{1,3}[\s.-]?)?(?!\d{1,3}(?:\.\d{3})+\b)\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4}\b"
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
    | \b24\s?[x×/]\s?7\b                               # 24x7, 24/7: always
    | \b\d{1,4}\s?(?:GMT|UTC|EST|EDT|PST|PDT|WIB|IST|SGT|HKT|ICT)\b  # 2300 GMT: a time
    | \b\d{1,2}[.:]\d{2}\s?[–-]\s?\d{1,2}[.:]\d{2}\b       # 06.00 - 22.00: hours
    | \b\d+(?:\.\d+)?\s?[x×](?![a-z])                 # 3x
    | \b\d+-fold\b                                    # 3-fold
    | (?<![.,])\b\d+\s+(?:in|out\ of)\s+(?!(?:19|20)\d\d\b)\d+\b  # 3 in 10 (not "$56.64 in 2023")
    | \b\d+-year-olds?\b | \b\d+\s+years?\s+old\b     # ages
    | \b\d+\s?(?:岁|倍|周年|年|月|日|号|天|小时|分钟|秒)  # ages, multiples, durations
    | \b\d+[kK]\b(?=\s*(?:video|tv|screen|stream|resolution|display))   # 4K video
    | (?-i:\b\d[KG]\b)(?!\s?cr)                        # 4K, 5G (not "7K Cr", nor "5k")
    | """
    + _PHONE
    + r"""
    | \b(?!\d{1,3}(?:\.\d{3}){2,}\b)\d+\.\d+\.\d+\b  # versions (not "Rp 1.234.567")
    | \d{1,2}\s?(?:ม\.ค|ก\.พ|มี\.ค|เม\.ย|พ\.ค|มิ\.ย|ก\.ค|ส\.ค|ก\.ย|ต\.ค|พ\.ย|ธ\.ค)\.  # 11 พ.ย.
    | \d{1,2}[–-]\d{1,2}\s(?:ต\.ค|ตุลาคม|พฤศจิกายน|ธันวาคม)  # 9–13 ตุลาคม
    )
    | (?<=第)\d+                                     # 第14个: ordinals
    | (?<=ปี\s)\d{4} | (?<=ปี)\d{4} | (?<=พ\.ศ\.\s)\d{4}  # Thai years (ปี 2568)
    | (?<=tháng\s)\d{1,2}(?:/\d{4})?                 # tháng 4/2024
    | (?<=ngày\s)\d{1,2}(?:/\d{1,2})?(?:/\d{4})?      # ngày 11/11
    | \b(?=[a-z])(?:
      (?:"""
    + _MONTHS
    + r""")\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:\s*(?:-|–|to)\s*\d{1,2}(?:st|nd|rd|th)?)?\b
      (?!\s*(?:%|percent|million|billion))  # Nov. 11, Oct. 13 to 14
    | double[\s-]?(?:\d{1,2}|十一|十二)                # Double 11
    | Q[1-4]\b | H[12]\b | FY\s?\d{2,4}(?:[/-]\d{2,4})?\b  # quarters, halves, fiscal years
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
_UNIT = "|".join(
    "(?-i:pc)"  # "up 1.5pc" as the British and Indian press write it (not "5 PCs")
    if s == "pc"
    else re.escape(s) + ("(?!\\s+thị)" if s == "đô" else "")  # "5 đô thị" are cities
    for s in sorted((*_PERCENT, *_NAMES), key=len, reverse=True)
)
_FIGURE = re.compile(
    rf"""
    (?=(?-i:[\s\d$€£¥￥₹₨₱฿₫₩A-Z{_CN_DIGITS}]))  # what a figure can start with: fast to refuse
    (?-i:(?P<symbol>{_SYMBOL})|\b(?P<code>[A-Z]{{3}}))?\s?(?P<negative>(?<=[$A-Z])\()?
    (?(symbol)|(?(code)|(?<![A-Za-z])))  # "EBITDA1", "w6208": a footnote, a name; not "Rp8"
    (?P<number>\d[\d,.]{{0,8}}(?:\s?兆\s?\d[\d,]{{0,8}}(?=\s?[億亿])|[亿億]\d[\d,]{{0,8}}(?=\s?[万萬]))|(?<!\d)(?<!\d[.,])\d[\d,.\s]{{0,24}}\d(?![\d])|(?<![\d.,])\d|(?<![{_CN_DIGITS}])[{_CN_DIGITS}]{{0,8}}[一二两兩三四五六七八九十百千][{_CN_DIGITS}]{{0,8}}(?![{_CN_DIGITS}]))(?(negative)\))
    (?:[\s-]?(?P<scale>{_SCALE})(?![a-z\u00c0-\u024f\u1e00-\u1eff]))?
    (?:[+-]?\s?(?P<unit>{_UNIT})(?:(?<=[%％])|(?![a-z]))|\s(?-i:(?P<after>[A-Z]{{3}}))(?![A-Za-z]))?
    """,
    re.VERBOSE | re.IGNORECASE,
)
_WINDOW = 160  # characters read either side of a figure: its words, what follows it
_CLAUSE = re.compile(r"[;:!?()。；：！？，\n]|[.,](?=\s|$)")
# A word after a number, in the scripts that put spaces between words: Latin with its
# accents (Vietnamese too). Not Chinese, where a measure word says it, nor Thai (below).
_LETTER = "A-Za-z\u00c0-\u024f\u1e00-\u1eff"
# Thai nouns a count names (Thai writes words without spaces, so a count is read only before
# one of these; a duration, a rank or a year is not among them).
_THAI_COUNTED = (
    "สาขา", "ร้าน", "แพลตฟอร์ม", "ราย", "คน", "ผู้ขาย", "ผู้ซื้อ", "ผู้ใช้", "ผู้ติดตาม",
    "ผู้ชม", "ออเดอร์", "คำสั่งซื้อ", "ชิ้น", "รายการ", "แบรนด์", "บริษัท", "ครีเอเตอร์",
    "ร้านค้า", "ห้าง", "ตำแหน่งงาน", "กลุ่ม", "เรื่อง",
)  # fmt: skip
_WORD = re.compile(rf"\s*\+?\s*([{_LETTER}][{_LETTER}'-]*)")
# Characters only Traditional Chinese writes: 元 there may be Hong Kong's or Taiwan's dollar.
_TRADITIONAL = re.compile("[億萬與這為會國說時對們來體後點發門開關長場東車書買賣營總計統臺灣兆]")
# Hong Kong's own words: places, markets, and its statistics' "provisional estimate"
# (not 按年, "year on year": Hong Kong's press reports mainland results in yuan with it).
_HONG_KONG = re.compile("香港|港元|港幣|政府統計處|本地零售|本港|港股|港交所|臨時估計")
# ... and the words of its statistics that no mainland text uses, in simplified script too.
_HONG_KONG_STATISTICS = re.compile("政府统计处|临时估计|本港|港元|港币")
# Taiwan's: places, its statistics office, its "year on year" (年增; Hong Kong writes 按年),
# and 兆 for a trillion (Hong Kong and the mainland write 萬億).
_TAIWAN = re.compile(
    "台灣|臺灣|台幣|臺幣|新台|上櫃|上市櫃|掛牌|證交所|台北|臺北|全台|主計總處|經濟部|年增|年減|季增|月增|兆"
)
_RENMINBI = re.compile("人民幣|人民币|RMB")
_MAINLAND = re.compile("內地|大陸")
_NAME_BEFORE = re.compile(r"(?:(?P<first>^|[.!?:;]\s+)|\s)(?P<name>[A-Z][A-Za-z]*)\s$")


@dataclass(frozen=True)
class Figure:
    """A number a story states: value, unit (ISO 4217, "%" or "count") and its words."""

    value: int | float
    unit: str
    text: str
    words: str = ""  # the words around it, naming what it measures
    doubt: str = ""  # why the text itself says it may be wrong (a conversion that disagrees)

    def as_json(self) -> dict[str, object]:
        shown: dict[str, object] = {"value": self.value, "unit": self.unit, "text": self.text}
        if self.doubt:
            shown["doubt"] = self.doubt
        return shown


def figures(text: str) -> list[Figure]:
    """Every figure in `text`, in order, each (value, unit) once."""
    text = inert_text(text)  # escape sequences and controls are not text to read numbers in
    text = _INVISIBLE.sub("", text)  # "2\u034f0%", "trillio\u034fn": a page's hidden joiners
    if not text:
        return []
    blocked = [m.span() for m in _NOT_FIGURES.finditer(text)]
    found: list[Figure] = []
    seen: set[tuple[float, str]] = set()
    reads = [_read(match, text, blocked) for match in _FIGURE.finditer(text)]
    spelled = _SPELLED_START.search(text)
    if spelled:
        reads += [_spelled(match, text) for match in _SPELLED.finditer(text)]
    tenths = "成" in text
    if tenths:
        reads += [_tenths(match) for match in _TENTHS.finditer(text)]
    if spelled or tenths:
        reads.sort(key=lambda read: read[1] if read else 0)
    found_reads = _implied(text, _carried(text, [read for read in reads if read is not None]))
    for figure, start, end in _converted(text, found_reads):
        if (figure.value, figure.unit) not in seen:
            seen.add((figure.value, figure.unit))
            found.append(replace(figure, words=_words_around(text, start, end)))
    return found


# Units of each currency to one US dollar, roughly (the middle of 2018-2026): enough to tell
# a conversion in brackets that agrees (whatever the year's rate) from one 10x or more off.
_PER_DOLLAR = {
    "USD": 1, "CNY": 7, "HKD": 7.8, "TWD": 31, "SGD": 1.35, "AUD": 1.45, "CAD": 1.33,
    "EUR": 0.92, "GBP": 0.78, "INR": 78, "PHP": 54, "THB": 33, "VND": 24_000, "IDR": 15_000,
    "MYR": 4.4, "KRW": 1_250, "JPY": 130, "BRL": 5,
}  # fmt: skip
_AGREES_WITHIN = 2.2  # any year's rate is within this factor of the middle one
_ABOUT = r"about|around|approx(?:imately|\.)?|roughly|nearly|almost|some|sekitar|khoảng|ประมาณ"
# The words between an amount and its conversion: in brackets ("Rs 1,000 crore ($120
# million)", "28.541亿元 (约合4亿美元)"), or after "or about" and its kind, as Indonesian and
# Vietnamese news write it ("US$ 4,4 miliar atau sekitar Rp 66,7 triliun").
_CONVERSION = re.compile(
    rf"""\s*(?:[(（]\s*(?:(?:{_ABOUT}|or|equivalent\s+to|equal\s+to|~|≈|约|約|合|折合|setara)\s*)?
    |,?\s*(?:or|atau|hay|tức|tương\s+đương|setara\s+dengan|equivalent\s+to)\s+(?:(?:{_ABOUT})\s+)?)""",
    re.IGNORECASE | re.VERBOSE,
)


def _converted(text: str, reads: list[tuple[Figure, int, int]]) -> list[tuple[Figure, int, int]]:
    """The reads, with both amounts of a conversion that disagrees doubted.

    "Rs 1,000 crore ($120 million)" agrees; "Rs 1,000 crore ($12 billion)" is 100 times
    off at any year's rate: one of the two is wrong, and the text cannot say which.
    """
    for i in range(len(reads) - 1):
        (first, _, end), (second, start, _) = reads[i], reads[i + 1]
        if first.unit not in _PER_DOLLAR or second.unit not in _PER_DOLLAR:
            continue
        if _CONVERSION.fullmatch(text, end, start) is None:
            continue
        ratio = (first.value / _PER_DOLLAR[first.unit]) / (second.value / _PER_DOLLAR[second.unit])
        if 1 / _AGREES_WITHIN <= ratio <= _AGREES_WITHIN:
            continue
        doubt = (
            f"{second.text!r}, given as the same amount, does not agree with {first.text!r}"
            f" (about {max(ratio, 1 / ratio):.0f} times apart at any recent rate): check which"
            " is right"
        )
        reads[i] = (replace(first, doubt=doubt), reads[i][1], end)
        reads[i + 1] = (replace(second, doubt=doubt), start, reads[i + 1][2])
    return reads


# What may follow an amount that names nothing it counts: the sentence goes on or ends.
_BARE = re.compile(r"\s*(?:[.,;:!?)\]，。；：）]|per\b|a\s+(?:month|year|day)\b|$)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?。！？](?:\s|$)")


def _carried(text: str, reads: list[tuple[Figure, int, int]]) -> list[tuple[Figure, int, int]]:
    """The reads, where a scaled amount naming nothing it counts ("Rp 100 juta hingga 200
    juta per bulan", "Rp10-15 juta.", "$5 million, up from 3 million.") takes the currency
    of the money its sentence named before it."""
    money: Figure | None = None
    last_end = 0
    for i, (figure, start, end) in enumerate(reads):
        if _SENTENCE_END.search(text, last_end, start):
            money = None
        last_end = end
        if figure.unit not in UNITS_OTHER:
            money = figure
        elif (
            money is not None
            and figure.unit == "count"
            and _is_scale(figure.text.split()[-1])  # it ends at its scale: no noun after
            and _BARE.match(text, end)
            and not _counts_before(text, start)
        ):
            reads[i] = (replace(figure, unit=money.unit), start, end)
    return reads


# Chinese tenths: "五成" is half, "逾兩成" over 20% ("一成不变" is an idiom, "八成是" "most
# likely", and 成 starts many words: 成交, 成为, 成本...).
_TENTHS = re.compile(
    "(?<![0-9零〇一二两兩三四五六七八九十百千])([1-9]|[一二两兩三四五六七八九])成"
    "(?![交为為立长長本员員果功都品就熟绩績效型分份是不])"
)
_TENTH_VALUES = {
    **{str(n): n for n in range(1, 10)},
    **dict(zip("一二两兩三四五六七八九", (1, 2, 2, 2, *range(3, 10)), strict=True)),
}


def _tenths(match: re.Match[str]) -> tuple[Figure, int, int]:
    value = _TENTH_VALUES[match[1]] * 10
    return Figure(value, "%", match[0]), match.start(), match.end()


# Scale words only one country's press writes, its currency, and the words that make a bare
# amount money there ("omzet 10 juta", "belanja 250 ribu", "doanh số 30 tỉ", "ขายได้ 100
# ล้าน", "revenue of 500 crore"): a local reader needs no currency name after them.
_LOCAL_SCALES = {
    **dict.fromkeys(("ribu", "ribuan", "juta", "jutaan", "miliar", "milyar", "triliun", "jt",
                     "rb"), "IDR"),
    **dict.fromkeys(("nghìn", "ngàn", "triệu", "tỷ", "tỉ"), "VND"),
    **dict.fromkeys(("crore", "crores", "cr", "lakh", "lakhs"), "INR"),
    **dict.fromkeys(("ล้าน", "ร้อยล้าน", "พันล้าน", "หมื่นล้าน", "แสนล้าน", "ล้านล้าน"), "THB"),
    # Chinese: the yuan of the place the text is from (_yuan)
    **dict.fromkeys(
        ("亿", "億", "万", "萬", "千万", "千萬", "百万", "百萬", "万亿", "萬億"), "CNY"
    ),
}  # fmt: skip
_LOCAL_MONEY = {
    "IDR": re.compile(
        r"\b(?:omzet|omset|belanja|bayar|membayar|harga|pendapatan|penjualan|modal"
        r"|gaji|untung|laba|keuntungan|penghasilan|biaya|dana|uang|senilai|rugi|kerugian)\b",
        re.IGNORECASE,
    ),
    "VND": re.compile(
        r"doanh thu|doanh số|lợi nhuận|thu về|trị giá|chi phí|\b(?:giá|tiền|vốn|lãi|lỗ)\b",
        re.IGNORECASE,
    ),
    "INR": re.compile(
        r"\b(?:revenue|sales|turnover|gmv|worth|valued|valuation|funding|raised|profit|loss"
        r"|income|investment|spend|spent|budget|fine|penalty)\b",
        re.IGNORECASE,
    ),
    "CNY": re.compile(
        "GMV|营收|營收|收入|销售额|銷售額|成交额|成交額|交易额|交易額|市值|融资|融資|估值|利润"
        "|利潤|净利|淨利|营业额|營業額|金额|金額|销售|銷售|亏损|虧損|罚款|罰款|投资|投資"
    ),
    "THB": re.compile("ขาย|ยอด|รายได้|มูลค่า|เงิน|ทุน|งบ|กำไร|ราคา|ขาดทุน|สั่งปรับ|ค่าปรับ"),
}
_CN_CLAUSE = re.compile("[,，、;；:：。!！?？()（）]")  # Chinese text's commas need no space after
_LOCAL_REACH = 160  # characters within which a nearby amount in the same scale lends its currency


# Words that ask how many, right before an amount: it counts, whatever money is near.
_HOW_MANY = re.compile(
    r"\b(?:jumlah|sejumlah|sebanyak|banyaknya|number\s+of|count\s+of|số\s+lượng)"
    r"\W*(?:\w+\W+){0,2}$",
    re.IGNORECASE,
)


def _counts_before(text: str, start: int) -> bool:
    return _HOW_MANY.search(text, max(0, start - 40), start) is not None


def _next_word(text: str, end: int) -> str:
    word = _WORD.match(text, end)
    return word.group(1).lower() if word else ""


def _local_scale(figure: Figure) -> str:
    """The country-only scale word a count ends at ("10 juta"), or ""."""
    last = figure.text.split()[-1].lower() if figure.text.split() else ""
    if last in _LOCAL_SCALES:
        return last
    thai = (scale for scale in _LOCAL_SCALES if not scale.isascii() and last.endswith(scale))
    return next(thai, "")  # "วันละ100ล้าน", "GMV达87亿": Thai and Chinese glue words together


def _implied(text: str, reads: list[tuple[Figure, int, int]]) -> list[tuple[Figure, int, int]]:
    """The reads, where a bare amount in a country's own scale word is that country's money
    when the words before it speak of money, or when an amount in the same scale word close
    by names its currency ("Target cuma dua miliar ... delapan miliar rupiah!", "10 - 20 -
    30 tỉ... 100 tỉ đồng")."""
    for i, (figure, start, end) in enumerate(reads):
        scale = _local_scale(figure) if figure.unit == "count" else ""
        if not scale:
            continue
        thai, chinese = "\u0e01" <= scale[0] <= "\u0e5b", "\u4e00" <= scale[0] <= "\u9fff"
        if thai:
            if text[end:].lstrip(" ").startswith(_THAI_COUNTED):
                continue  # "100 ล้านคน": people
        elif chinese:
            after = text[end : end + 1]
            if "\u4e00" <= after <= "\u9fff" and after != "的":
                continue  # "4.16亿用户", "87亿元": a noun or a currency of its own
        elif not _BARE.match(text, end) and _next_word(text, end) not in _NOT_COUNTS:
            continue  # "10 juta pengguna": users
        if _counts_before(text, start):
            continue  # "jumlah transaksi sejumlah 92,4 juta": how many, not how much
        currency = _LOCAL_SCALES[scale]
        # Chinese lends no currency: "营收356亿元 ... DAU达4.16亿" counts users
        lent = not chinese and any(
            other.unit == currency
            and max(other_start - end, start - other_end) < _LOCAL_REACH
            and scale in other.text.lower().split()
            for other, other_start, other_end in reads
        )
        near = (_CN_CLAUSE if chinese else _CLAUSE).split(text[max(0, start - 40) : start])[-1]
        if thai:  # Thai headlines say it after: "7.5หมื่นล้าน ขายของออนไลน์พุ่ง"
            near += " " + text[end : end + 24]
        if lent or _LOCAL_MONEY[currency].search(near):
            unit = _yuan(text) if chinese else currency
            reads[i] = (replace(figure, unit=unit), start, end)
    return reads


_SPELLED_WORDS = "|".join(re.escape(w) for w in sorted(_WORD_NUMBERS, key=len, reverse=True))
_SPELLED_START = re.compile(rf"\b(?:{_SPELLED_WORDS})\b", re.IGNORECASE)
_SPELLED = re.compile(
    rf"""(?<![\w-])(?P<number>{_SPELLED_WORDS})(?![\w-])
    (?:\s(?P<scale>thousand|million|billion|trillion|lakh|crore|ribu|juta|miliar|milyar|triliun)\b)?
    (?:\s(?P<unit>{_UNIT})(?![a-z]))?""",
    re.VERBOSE | re.IGNORECASE,
)


_SPELLED_RANGE = re.compile(
    rf"\s+(?:to|or|-)\s+(?:{_SPELLED_WORDS})\s(?P<unit>{_UNIT})(?![a-z])", re.IGNORECASE
)


def _spelled(match: re.Match[str], text: str) -> tuple[Figure, int, int] | None:
    """A figure written in words: "six executives", "two million viewers", "five percent",
    "half a trillion yuan". "One" alone is not a count ("one of the", "one day")."""
    number, scale, unit = match["number"].lower(), match["scale"] or "", match["unit"] or ""
    if not (scale or unit):  # "two to four cents": the range's end names the unit of both
        closing = _SPELLED_RANGE.match(text, match.end())
        if closing is not None and closing["unit"]:
            unit = closing["unit"]
    if number in _NEEDS_SCALE and not scale:
        return None
    amount = Decimal(str(_WORD_NUMBERS[number]))
    if scale:
        amount *= Decimal(10) ** _SCALES[scale.lower()]
    elif amount != amount.to_integral_value():
        return None  # "half a" needs its scale
    start, end = match.span()
    if unit.lower() in _HUNDREDTHS:
        amount /= 100  # "four cents a share" is $0.04
    if unit.lower() in _PERCENT:
        result = "%"
    elif unit:
        result = _NAMES.get(unit.lower(), "")
        if not result:
            return None
        if result == "CNY" and unit in ("元", "块"):
            result = _yuan(text)
    else:
        if _word_before(text, start) in _NOT_AFTER or (number == "one" and not scale):
            return None
        if _RATIO_BEFORE.search(text, max(0, start - 24), start):
            return None  # "one in four sellers": a share, not a count of four
        if not _count_follows(text, end, scaled=bool(scale)):
            return None
        noun = _WORD.match(text, end)
        if not scale and noun is not None and noun.group(1).lower().endswith("est"):
            return None  # "the two biggest festivals": a ranking, not a count
        if not scale and noun is not None and noun.group(1).lower() in ("figure", "figures"):
            return None  # "six and seven figures": a size of income, not a count
        if noun is not None and noun.group(1).lower() not in _NOT_COUNTS:
            end = noun.end()
        result = "count"
    value = int(amount) if amount == amount.to_integral_value() else float(amount)
    return Figure(value, result, text[start:end].strip()), start, end


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
    scale, unit = (match["scale"] or ""), (match["unit"] or "")
    signed = match.start("symbol") if match["symbol"] else start  # "between $1 and $2 billion"
    later = None if scale or unit or match["after"] else _range_end(text, end, signed)
    if later is not None and later["scale"]:
        high = _amount(later["number"].rstrip(" ,."))
        low = _amount(raw)
        if low is None or high is None or low > high:
            later = None  # "$500,000-$1 million": the first is whole, a range climbs
    if later is not None:  # "50 to 55 million", "$32-$50 billion": the first is in millions too
        scale, unit = (later["scale"] or ""), (later["unit"] or "")
    # "5.883亿", "$3.875 billion": before a scale word a point is a decimal point (but
    # in "34.000 tỷ" Vietnamese and Indonesian write thousands with it).
    decimal = bool(scale) and scale.lower() not in _DOT_THOUSANDS
    # "$7.969" (a share price): after a dollar or pound sign, English writes thousands with
    # commas, so one point and three digits are decimals.
    decimal = decimal or (match["symbol"] in _POINT_SIGNS and bool(_PRICE.fullmatch(raw)))
    # "6,198 miliar", "34.000 tỷ": before an Indonesian or Vietnamese scale word a comma is
    # the decimal point and a point separates thousands.
    if scale.lower() in _DOT_THOUSANDS and _COMMA_DECIMAL.fullmatch(raw):
        raw = raw.replace(".", "").replace(",", ".")
        decimal = True
    amount = _amount(raw, decimal)
    if amount is None:
        return None
    symbol, code, after = match["symbol"], match["code"], match["after"]
    if later is not None:
        after = later["after"]
        symbol, code = symbol or later["symbol"], code or later["code"]
    elif scale and not (unit or after) and _currency(symbol, code, "") is None:
        closing = _range_end(text, match.end("scale"), start)
        if closing is not None and closing["scale"] and (closing["unit"] or closing["after"]):
            unit, after = closing["unit"] or "", closing["after"]  # "3万至5万元": yuan both
    currency = _currency(symbol, code, unit) or _currency(None, after, "")
    chinese = raw[0] not in "0123456789"
    if currency is None and not chinese:
        range_start = _OPENS_RANGE.search(text, max(0, start - 40), start)
        if range_start is not None:  # "Rs 50-60 Cr": the range's end is in rupees too
            currency = _SYMBOLS[range_start["symbol"]]
    if currency is None and scale in _BAHT_SCALES:
        currency = "THB"
    if currency == "CNY" and unit in ("元", "块"):
        currency = _yuan(text)
    scaled_end = match.end("scale") if match["scale"] else end
    if later is not None and later["scale"]:
        scaled_end = later.end("scale")  # "90-120k creators": what the range counts
    if after and currency is None:  # three capitals after it that are not a currency
        after = None
    letter = scale.lower() in ("m", "b", "k", "cr", "jt", "rb", "t", "l")
    if letter and not currency and not _count_follows(text, _past_range(text, scaled_end)):
        return None  # "M3", "b" as a letter: only a scale next to money or a counted noun
    if scale.lower() in ("t", "l") and not currency:
        return None  # "Rp 92 T" is 92 triliun, "₹10L" ten lakh; "a 5t truck", "a 5L bottle"
    if scale == "兆" and not currency:
        if not _LOCAL_MONEY["CNY"].search(_CN_CLAUSE.split(text[max(0, start - 40) : start])[-1]):
            return None  # "8兆元" is eight trillion; "50兆瓦" is 50 megawatts
        currency = _yuan(text)  # "交易額達 8.1 兆": money, in the place's yuan
    if amount == 1 and re.match(r"\s*=", text[match.end() : match.end() + 3]):
        return None  # "(1 yuan = Rp2.216)": a rate's unit, not an amount
    if unit.lower() in _HUNDREDTHS:
        amount /= 100  # "20 cents per share", "50 paise", "345 bps" (3.45 points)
    if scale:
        # After "Rp", M is miliar (billion), as Indonesian writes it: "Rp8M", "Rp 5,5 M".
        exponent = 9 if currency == "IDR" and scale.lower() == "m" else _SCALES[scale.lower()]
        amount *= Decimal(10) ** exponent
    coded = code is not None and _currency(None, code, "") is not None
    figure_start = match.start("symbol") if symbol else match.start("code") if coded else start
    figure_end = match.end() if unit or after else scaled_end
    if later is not None:
        figure_end = later.end() if later["unit"] or later["after"] else later.end("scale")
        if not (later["unit"] or later["scale"] or later["after"]):
            figure_end = later.end("number")
    match_end = figure_end
    if unit.lower() in _PERCENT:
        result = "%"
    elif currency:
        result = currency
    elif unit:
        return None
    else:
        before = _word_before(text, figure_start)
        if before in _NOT_AFTER and not (before == "under" and scale):
            return None  # "top 10", "iPhone 17"; but "under 10k followers" counts them
        if (
            chinese
            and not scale
            and not (
                text[match_end : match_end + 1] in _CN_COUNTED
                and amount > 1
                and text[start - 1 : start] not in ("前", "第")
            )
        ):
            return None  # "一些", "十大", "前三位": only "六千个企业", "三個部分" count
        if not scale and _named(text, figure_start, end):
            return None  # "GTA 5", "Music 360 Report", "Festive Event 1": part of a name
        # "700 組", "30 家": Taiwan sets Latin digits apart from the measure word by a space
        spaced = text[match_end : match_end + 1] == " "
        measure = text[match_end + spaced : match_end + spaced + 1]
        if _CN_DURATION.match(text, match_end + spaced):
            return None  # "9个季度", "四个月", "三位数增长": how long, how many digits
        if measure and measure in _MEASURES:
            figure_end = match_end + spaced + 1
        elif scale and not scale.isascii():
            pass  # 8000万 (粉丝): Chinese scales count people, views, orders
        elif not scale or not _count_follows(text, _past_range(text, match_end), scaled=True):
            views = amount >= 100 and re.match(r"\s+times\b", text[match_end : match_end + 16])
            if not views and not _count_follows(text, match_end):
                return None
            if raw in ("618", "818", "1111", "1212", "99"):
                return None  # the festivals, when written bare
        if amount != amount.to_integral_value():
            return None  # 4.5 stars, 2.0: a count is whole
        noun = _WORD.match(text, figure_end if figure_end == match_end else match_end)
        if (
            noun is not None
            and figure_end < match_end + 1
            and noun.group(1).isalpha()
            and noun.group(1).lower() not in _NOT_COUNTS  # "200 juta per bulan": not a noun
        ):
            figure_end = noun.end()  # "200,000 merchants": the count names what it counts
        result = "count"
    value = int(amount) if amount == amount.to_integral_value() else float(amount)
    return Figure(value, result, text[figure_start:figure_end].strip()), figure_start, figure_end


@lru_cache(maxsize=16)  # once per text: a string keeps its hash, so a long one costs once
def _yuan(text: str) -> str:
    """What 元 is: the renminbi, unless Traditional Chinese text says Hong Kong or Taiwan."""
    if _RENMINBI.search(text):
        return "CNY"
    if not _TRADITIONAL.search(text):
        return "HKD" if _HONG_KONG_STATISTICS.search(text) else "CNY"
    if _HONG_KONG.search(text):
        return "HKD"
    if _TAIWAN.search(text) and not _MAINLAND.search(text):
        return "TWD"
    return "CNY"


def _named(text: str, start: int, end: int) -> bool:
    """Whether a bare number is part of a name: a capitalised word before it (not the
    sentence's first) and, after it, a capitalised word or one that is not a plural noun."""
    if not text[start:end].isdigit():
        return False  # "40,000": a name has no thousands in it
    before = _NAME_BEFORE.search(text, max(0, start - 40), start)
    if before is None or (before["first"] is not None and not before["name"].isupper()):
        return False  # a sentence's first word is capitalised anyway, unless it is "GTA"
    after = _WORD.match(text, end)
    if after is None:
        return True
    word = after.group(1)
    return word[:1].isupper() or not word.lower().endswith("s")


# An amount with its currency sign that opens a range, right before a number: "Rs 50-".
_OPENS_RANGE = re.compile(
    rf"(?-i:(?P<symbol>{_SYMBOL}))\s?\d[\d,.]*(?:\s?(?:{_SCALE}))?\s*(?:-|–|—|~|to)\s*$",
    re.IGNORECASE,
)


def _past_range(text: str, end: int) -> int:
    """Where a range a number opens ends ("5k-10k followers": after "10k"), or `end`."""
    link = _RANGE.match(text, end)
    later = _FIGURE.match(text, link.end()) if link is not None else None
    return later.end() if later is not None else end


_RANGE = re.compile(r"\s*(?:-|–|—|~|to|and|và|dan|至|到|đến|hingga|sampai)\s*", re.IGNORECASE)


def _range_end(text: str, end: int, start: int) -> re.Match[str] | None:
    """The figure that closes a range (or a list) a bare number opens, if it names the
    scale or unit they share ("30 to 40 per cent", "60-70 lakh", "between 30 and 40%",
    "43.000 và 50.000 tỷ đồng", "10 - 20 - 30 tỉ") or is followed by the noun they count
    ("1,000-1,400 orders")."""
    for _ in range(4):
        link = _RANGE.match(text, end)
        if link is None:
            return None
        if link.group().strip().lower() == "and" and _word_before(text, start) != "between":
            return None
        later = _FIGURE.match(text, link.end())
        if later is None or _amount(later["number"].rstrip(" ,.")) is None:
            return None
        if later["scale"] or later["unit"] or later["after"]:
            return later
        end = later.end("number")
        if _RANGE.match(text, end) is None:
            return later if _count_follows(text, end) else None
    return None


@lru_cache(maxsize=4096)
def _amount(raw: str, decimal: bool = False) -> Decimal | None:
    """The number written; with `decimal`, a lone "." is a decimal point whatever follows."""
    compound = re.search("[兆亿億](?=\\s?[0-9])", raw) if raw[:1].isdigit() else None
    if compound:  # "8兆1,097" (億): 8 兆 is 80,000 億; "3亿4000" (万): 3 亿 is 30,000 万
        trillions, rest = raw[: compound.start()].strip(), raw[compound.end() :].strip()
        high, low = _amount(trillions, decimal), _amount(rest)
        return None if high is None or low is None else high * 10_000 + low
    if raw[0] in "0123456789":
        digits = re.sub(r"\s", "", raw)
        if re.search(r"\d\s\d", raw) and not re.fullmatch(r"\d{1,3}(?:\s\d{3})+", raw):
            return None  # "10 20": two numbers, not one
        if decimal and re.fullmatch(r"\d+\.\d+", digits):
            return Decimal(digits)
        number = parse_number(digits)
        return number if isinstance(number, Decimal) else None
    raw = raw.translate(_SIMPLIFIED_DIGITS)
    if raw[0] in "十百千万亿":
        raw = "一" + raw  # "千亿元": a thousand 亿
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
    words: list[str] = _BEFORE_WORD.findall(before)
    if not words or not before.endswith(words[-1]):
        return ""
    return words[-1].lower()


def _count_follows(text: str, end: int, scaled: bool = False) -> bool:
    """Whether a counted noun ("merchants", "new sellers") follows the number."""
    rest = text[end : end + _WINDOW]
    thai = rest.lstrip(" ")
    if thai[:1] and "\u0e01" <= thai[0] <= "\u0e5b":
        return thai.startswith(_THAI_COUNTED)  # no spaces between Thai words: known nouns
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
    if _MONTH_WORD.fullmatch(word):
        return False  # "from 4 to 6 October", "11-12 Desember": days of a month
    if word == "lượt":  # "1 triệu lượt xem" counts views; "4 lượt mỗi tháng" is how often
        return _LUOT_COUNTED.match(rest, first.end()) is not None
    if word in _AND:  # "415k và 421k mắt xem": both count what the second names
        second = _NEXT_NUMBER.match(rest, first.end())
        return second is not None and _count_follows(text, end + second.end(), scaled)
    return word not in (_MULTIPLES if scaled else _NOT_COUNTS)


_AND = frozenset(("and", "or", "và", "hoặc", "dan", "atau"))
_MONTH_WORD = re.compile(_MONTHS, re.IGNORECASE)
_BEFORE_WORD = re.compile(rf"[{_LETTER}][{_LETTER}.']*")  # Vietnamese too: "thứ 3", "tháng 7"
_LUOT_COUNTED = re.compile(r"\s+(?:xem|mua|truy cập|tải|thích|bình luận|chia sẻ|theo dõi)")
_NEXT_NUMBER = re.compile(r"\s*\d[\d.,]*(?:\s?(?:[kmb]|bn|mn)(?![a-z]))?", re.IGNORECASE)


def _words_around(text: str, start: int, end: int) -> str:
    """The clause around a figure, a few words either side: what it measures. Only a
    window either side is read, so a long text costs the same per figure as a short one."""
    before = _CLAUSE.split(text[max(0, start - _WINDOW) : start])[-1]
    after = _CLAUSE.split(text[end : end + _WINDOW])[0]
    # Six words before, and the part of a word that touches the figure ("US" of "US$").
    words = before.split()
    touching = bool(before) and not before[-1].isspace()
    left = " ".join(words[-7:] if touching else words[-6:]) + ("" if touching else " ")
    right = re.match(r"(?:\s*\S+){0,3}", after)
    around = left + text[start:end] + (right[0] if right else "")
    return " ".join(around.split())


# Words that link a figure to its subject ("sales *hit* $5M", "*up* 30% *to*"): not a label.
_LINKING_WORDS = """
    a about above across after against almost an and approximately are around as at be been
    below between by climbed close down dropped each estimated exceeded exceeding fell for
    from generated grew grow grows had has have hit hits in increased into is its jumped
    just less more nearly of on only or over per reached reaching record recorded reported
    rising rose roughly saw some surged surpassed than that the their them this to topped
    total totaled totalled up was were while with worth
"""
_LINKING = frozenset(_LINKING_WORDS.split())


def figure_label(figure: Figure, owner: str = "") -> str:
    """What a figure measures, and whose, in a few words, without the number: a proposal
    for the editor ("Walmart hosts", "TikTok Shop Black Friday live sales in the US").

    A count is named by what it counts; an amount by the words before it in its clause
    (its subject), else the words after it. `owner`, the company the story is about,
    leads when the words do not name it already."""
    words = figure.words or figure.text
    cut = words.find(figure.text)
    before, after = (words[:cut], words[cut + len(figure.text) :]) if cut >= 0 else (words, "")
    if figure.unit == "count":
        counted = _WORD_RUN.findall(figure.text)
        core = [w for w in counted if w.lower() not in _LINKING and not _is_scale(w)]
        label = " ".join(core) or _trimmed(before.split(), from_end=True)
    else:
        words_before = before.split()
        # Another figure before this one ends its subject: "raised $265 million at a $3.7
        # billion valuation" -> the valuation's subject is what follows "$265 million".
        last = max((i for i, w in enumerate(words_before) if _has_digit(w)), default=-1)
        words_before = words_before[last + 1 :]
        while words_before and _is_scale(words_before[0].strip(",.")):
            words_before.pop(0)
        # "raised $265 million": the verb says what the money is ("funding").
        verb = next((w.lower() for w in reversed(words_before) if w.lower() in _VERB_NOUNS), "")
        subject = _trimmed(words_before, from_end=True)
        following = after.split()[:1]
        # "30% subsidies", "$2 billion revenue": the noun right after says what it measures.
        noun = following[0].strip(",.;:") if following else ""
        if noun and (noun.lower() in _LINKING or _has_digit(noun) or not noun.isalpha()):
            noun = ""
        label = " ".join(p for p in (subject, _VERB_NOUNS.get(verb, ""), noun) if p)
        label = label or _trimmed(after.split(), from_end=False)
    label = " ".join(word for word in label.split() if not _has_digit(word)).strip(" ,.;:-")
    if owner and owner.casefold() not in label.casefold():
        label = f"{owner} {label}".strip()
    return label[:80].rsplit(" ", 1)[0] if len(label) > 80 else label


_WORD_RUN = re.compile(rf"[{_LETTER}][{_LETTER}'-]*")
# Verbs that say what an amount is, and the noun that names it; any of them is dropped
# from a label's subject ("Whatnot raised" -> "Whatnot funding").
_VERB_NOUNS = {
    "raised": "funding", "raises": "funding", "valued": "valuation", "sold": "sales",
    "spent": "spending", "spend": "spending", "earned": "earnings", "invested": "investment",
    "invests": "investment", "lost": "loss", "offer": "", "offers": "", "posted": "",
    "said": "", "says": "", "announced": "", "expects": "", "expected": "", "made": "",
    "received": "", "secured": "funding", "plans": "", "paid": "payments", "cut": "cut",
}  # fmt: skip


def _is_scale(word: str) -> bool:
    return word.lower() in _SCALES


def _has_digit(word: str) -> bool:
    return any(ch.isdigit() for ch in word)


def _trimmed(words: list[str], from_end: bool, keep: int = 5) -> str:
    """A clause's words around a figure without the linking words next to it, at most
    `keep` of them, the nearest to the figure."""
    words = [w.strip(",;:()\"'“”") for w in words if w.strip(",;:()\"'“”")]
    if from_end:
        while words and (
            words[-1].lower() in _LINKING
            or words[-1].lower() in _VERB_NOUNS
            or _has_digit(words[-1])
        ):
            words.pop()
        words = words[-keep:]
        while words and words[0].lower() in _LINKING:
            words.pop(0)
    else:
        while words and (words[0].lower() in _LINKING or _has_digit(words[0])):
            words.pop(0)
        words = words[:keep]
        while words and words[-1].lower() in _LINKING:
            words.pop()
    return " ".join(words)


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
