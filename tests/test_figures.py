"""Figures: the numbers a story states, as data, from the feed to the article file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from brief.content.articles import format_figures, read_figures
from scrapers.figures import Figure, figures, lead_sentence
from tests.conftest import DATA, brief, write_feeds

LABELLED = DATA / "figures.jsonl"


def scored(path: Path = LABELLED) -> tuple[float, float, int]:
    """(precision, recall, sentences) of the extractor on a labelled set."""
    right = found = wanted = sentences = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        want = {(float(value), unit) for value, unit in item["figures"]}
        got = {(float(f.value), f.unit) for f in figures(item["text"])}
        right += len(want & got)
        found += len(got)
        wanted += len(want)
        sentences += 1
    return right / found, right / wanted, sentences


def test_precision_and_recall_on_the_labelled_set() -> None:
    precision, recall, sentences = scored()
    assert sentences >= 60
    assert precision >= 0.95, precision
    assert recall >= 0.90, recall


def test_the_labelled_set_covers_every_currency_and_exclusion_the_issue_names() -> None:
    text = LABELLED.read_text(encoding="utf-8")
    for needle in ("亿元", "万", "Rp", "triliun", "miliar", "₱", "RM", "฿", "S$", "₫", "₹",
                   "crore", "lakh", "£", "€", "11.11", "618", "Double 11", "Q4", "top 10",
                   "No. 1", "3x", "tripled", "iPhone 17", "4K", "aged", "+86", "8 pm"):  # fmt: skip
        assert needle in text, needle


@pytest.mark.parametrize(
    ("text", "value", "unit", "words"),
    [
        ("$1.2 billion", 1200000000, "USD", "$1.2 billion"),
        ("up 30% on the year", 30, "%", "30%"),
        ("2.3 million viewers watched", 2300000, "count", "2.3 million viewers"),
        ("GMV reached 500亿元", 50000000000, "CNY", "500亿元"),
        ("Rp 1,5 triliun", 1500000000000, "IDR", "Rp 1,5 triliun"),
        ("₹500 crore", 5000000000, "INR", "₹500 crore"),
        # Real Indonesian shorthand: after "Rp", M is miliar (a billion), not a million.
        ("meraup omzet Rp5,5M dalam waktu", 5500000000, "IDR", "Rp5,5M"),
        ("harga mulai Rp1,2jt per produk", 1200000, "IDR", "Rp1,2jt"),
        ("mendapat delapan miliar rupiah!", 8000000000, "IDR", "delapan miliar rupiah"),
        ("terdapat dua juta usaha kecil", 2000000, "count", "dua juta usaha"),
        # Indonesian writes a decimal comma: 6,198 miliar is 6.198 billion, not 6,198 billion
        ("mencapai 6,198 miliar dollar AS,", 6198000000, "USD", "6,198 miliar dollar"),
        ("Transaksi di TikTok Malah Tembus Rp 92 T", 92000000000000, "IDR", "Rp 92 T"),
        ("กำไร 1.77 พันลบ. โต", 1770000000, "THB", "1.77 พันลบ."),
        ("旗下有 700 組合作網紅", 700, "count", "700 組"),
        # English: after $ a point and three digits are decimals (a share price); cents
        ("with a current price of $7.969.", 7.969, "USD", "$7.969"),
        ("quarterly losses of 20 cents per share", 0.2, "USD", "20 cents"),
        # Taiwan's trillion (兆) and its compounds: 8兆1,097億 is 8.1097 trillion
        ("去年全台電商交易金額達8兆1,097億元", 8109700000000, "TWD", "8兆1,097億元"),
        ("全球規模將接近6.5兆美元", 6500000000000, "USD", "6.5兆美元"),
        ("服務業B2C交易逾五成", 50, "%", "五成"),  # 成 is a tenth
        ("企業淨利 1兆2,282億元", 1228200000000, "TWD", "1兆2,282億元"),
        # Vietnamese spells tỷ as tỉ too; nghìn tỷ is a trillion, with a decimal comma
        ("doanh thu chạm mốc 93,3 nghìn tỷ đồng", 93300000000000, "VND", "93,3 nghìn tỷ đồng"),
        ("thu về hơn 75 tỉ đồng", 75000000000, "VND", "75 tỉ đồng"),
        # An accounts' negative in brackets
        ("adjusted EBITDA was US$(11.0) million", 11000000, "USD", "US$(11.0) million"),
        ("超过六千个重点企业", 6000, "count", "六千个"),  # Chinese numerals before a measure
        ("三千万人观看", 30000000, "count", "三千万人"),
        ("年交易额超过千亿元", 100000000000, "CNY", "千亿元"),
    ],
)
def test_values_are_normalised(text: str, value: int, unit: str, words: str) -> None:
    (figure,) = figures(text)
    assert (figure.value, figure.unit, figure.text) == (value, unit, words)


def test_an_amount_without_its_currency_takes_its_sentences() -> None:
    """Real text names the currency once: "Rp 100 juta hingga 200 juta per bulan"."""
    found = figures("sekitar Rp 100 juta hingga 200 juta per bulan")
    assert [(f.value, f.unit, f.text) for f in found] == [
        (100000000, "IDR", "Rp 100 juta"),
        (200000000, "IDR", "200 juta"),
    ]
    found = figures("Revenue of $5 million, up from 3 million. Then 2 million users came.")
    assert [(f.value, f.unit) for f in found] == [
        (5000000, "USD"),
        (3000000, "USD"),
        (2000000, "count"),  # another sentence, and a counted noun
    ]
    assert [f.unit for f in figures("revenue of $5 million and 3 million users")] == [
        "USD",
        "count",
    ]
    assert figures("TikTok Shop resmi ditutup pada Pukul 17.00 WIB, Rabu (4/10).") == []
    # Two numbers before one noun both count it; "a 5t truck" is no money
    found = figures("lần lượt 415k và 421k mắt xem; a 5t truck")
    assert [(f.value, f.unit) for f in found] == [(415000, "count"), (421000, "count")]
    # Vietnamese: a rank, an age and how often are not counts; views are
    found = figures("Lazada đứng thứ 3; độ tuổi từ 12 - 40 tuổi; 4 lượt mỗi tháng; 500 lượt xem")
    assert [(f.value, f.unit) for f in found] == [(500, "count")]
    # A share in words is not a count: "one in four sellers", "two out of three buyers"
    assert figures("one in four sellers earn more; two out of three buyers return") == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # A range or a list shares the scale, currency or noun its last number names
        ("lần lượt ghi nhận 43.000 và 50.000 tỷ đồng.", [(43e12, "VND"), (50e12, "VND")]),
        ("từ 10 - 20 - 30 tỉ đồng", [(1e10, "VND"), (2e10, "VND"), (3e10, "VND")]),
        ("averaging between 1,000\u20131,400 orders per day", [(1000, "count"), (1400, "count")]),
        ("other platforms total 90\u2013120k creators", [(90000, "count"), (120000, "count")]),
        # ... but a first number larger than the last is whole: no million millions
        ("budgets of $500,000-$1 million", [(500000, "USD"), (1000000, "USD")]),
        ("omzet Rp500.000-Rp1 jutaan sehari", [(500000, "IDR"), (1000000, "IDR")]),
        ("dari 2-3 dari tiktok; 5 to 10 days", []),
        # Indian shorthand: a range's end is in its start's rupees; L is lakh, K Cr 1,000 crore
        ("sales of Rs 50-60 Cr expected", [(5e8, "INR"), (6e8, "INR")]),
        ("a CTC of \u20b910L-15L", [(1e6, "INR"), (1.5e6, "INR")]),
        ("INR 7K Cr in GMV; \u20a8 500 crore deal", [(7e10, "INR"), (5e9, "INR")]),
        ("between 5k-10k followers", [(5000, "count"), (10000, "count")]),
        # Both scaled, one currency: "3万至5万元", "5 million to 10 million dollars"
        (
            "客单价3万至5万元, 3万至5万人",
            [(3e4, "CNY"), (5e4, "CNY"), (3e4, "count"), (5e4, "count")],
        ),
        ("GMV 1,000亿-1,200亿元", [(1e11, "CNY"), (1.2e11, "CNY")]),
        ("5 million to 10 million dollars", [(5e6, "USD"), (1e7, "USD")]),
        ("support 24X7 and 24/7; a 5L bottle; a 4K screen, 5G phones", []),
        # A country's own scale word is its money where the words speak of money
        ("belanja 250 ribu cuma bayar 100 ribu", [(250000, "IDR"), (100000, "IDR")]),
        ("Target dua miliar, dapat delapan miliar rupiah!", [(2e9, "IDR"), (8e9, "IDR")]),
        ("ไลฟ์สดขายได้วันละ 100 ล้าน", [(1e8, "THB")]),
        ("ada 10 juta pengguna", [(1e7, "count")]),
        # ... but not when the words ask how many: a number of transactions
        (
            "Rp3,1 triliun dengan jumlah transaksi sejumlah 92,4 juta.",
            [(3.1e12, "IDR"), (9.24e7, "count")],
        ),
        ("ผู้ใช้ 100 ล้านคน", [(1e8, "count")]),
        # Chinese: 3亿4000万 is 340 million; a bare 亿 is yuan where the clause speaks of
        # money (GMV), a count where it does not (DAU), whatever money is near
        ("以3亿4000万美元买下", [(3.4e8, "USD")]),
        ("全年GMV跌至87亿", [(8.7e9, "CNY")]),
        ("营收356亿元,DAU达4.16亿", [(3.56e10, "CNY"), (4.16e8, "count")]),
        # Vietnamese names the yuan nhân dân tệ (NDT); quý 3 is a quarter
        (
            "doanh thu quý 3 đạt 247,8 tỷ NDT, hay 236,5 tỉ nhân dân tệ",
            [(2.478e11, "CNY"), (2.365e11, "CNY")],
        ),
        # Thai headlines name the money after the amount
        (
            "3 \u0e40\u0e14\u0e37\u0e2d\u0e19 7.5\u0e2b\u0e21\u0e37\u0e48\u0e19\u0e25\u0e49\u0e32\u0e19 \u0e02\u0e32\u0e22\u0e02\u0e2d\u0e07",
            [(7.5e10, "THB")],
        ),
        # Days of a month in a range, a footnote glued to a word, a multiple: no counts
        ("a sale from 4 to 6 October; pada 11-12 Desember", []),
        ("Adjusted EBITDA1 rose; at 20 multiple x EBITDA", []),
        ("was $60.03, compared to $56.64 in 2023", [(60.03, "USD"), (56.64, "USD")]),
        ("4,4 miliar dolar AS; one lakh local shops", [(4.4e9, "USD"), (1e5, "count")]),
        # Dots grouping thousands are no version number; iOS 17.1.2 is one
        ("harga Rp 1.234.567 per unit, iOS 17.1.2", [(1234567, "IDR")]),
        # Wire shorthand, a range opened by a sign, a fiscal year, đô as the dollar
        ("revenue of $10 bln in FY2023/24", [(1e10, "USD")]),
        ("between $1 and $2 billion", [(1e9, "USD"), (2e9, "USD")]),
        ("205,74 miliar yuan (1 yuan = Rp2.216)", [(2.0574e11, "CNY"), (2216, "IDR")]),
        # A rate's unit, hours of the day, lots grouped by dots (no phone number)
        ("paid $0.02-$0.04 per 1,000 views", [(0.02, "USD"), (0.04, "USD")]),
        ("jam 06.00 - 22.00; sebanyak 166.063.276 lot.", [(166063276, "count")]),
        ("2,3 triệu đô mỗi tháng", [(2.3e6, "USD")]),
        ("a dividend of 50 paise; up 1.5pc; 5 PCs", [(0.5, "INR"), (1.5, "%"), (5, "count")]),
        # Basis points are hundredths of a point; % glued to YoY; baht in Chinese (铢)
        ("(-38%YoY), down 30 bps; grew 342 basis points", [(38, "%"), (0.3, "%"), (3.42, "%")]),
        ("由9,800亿铢扩大至1.1万亿铢", [(9.8e11, "THB"), (1.1e12, "THB")]),
        # Hong Kong's statistics in simplified script are in Hong Kong dollars
        ("网上销售价值的临时估计为29亿元", [(2.9e9, "HKD")]),
        ("平台累计成交额过10亿的品牌达83个", [(1e9, "CNY"), (83, "count")]),
        # A time zone's hour is no count; US dollars; a Thai fine is baht
        ("As of 6 p.m. EST (2300 GMT), 9.9 billion US dollars", [(9.9e9, "USD")]),
        (
            "\u0e2a\u0e31\u0e48\u0e07\u0e1b\u0e23\u0e31\u0e1a M-150 \u0e08\u0e33\u0e19\u0e27\u0e19 12 \u0e25\u0e49\u0e32\u0e19",
            [(1.2e7, "THB")],
        ),
        # Taiwan spaces its compounds; 兆 alone is money where the clause speaks of it;
        # a hyphen before the currency; a date range is no count
        ("電商交易總額達 8 兆 1,097 億元", [(8.1097e12, "TWD")]),
        ("台灣電商年交易額達 8.1 兆", [(8.1e12, "TWD")]),
        ("the 30.2 billion-yuan average; moved to Oct. 13 to 14 due to rain", [(3.02e10, "CNY")]),
        # Cents in words are cents, and a range in words shares its unit
        (
            "two to four cents per share; two or three percent",
            [(0.02, "USD"), (0.04, "USD"), (2, "%"), (3, "%")],
        ),
        # Durations, digits, measures, megawatts: not counts
        ("连续九个季度实现三位数增长\uff0c首兩個月", []),
        ("averaging 4,200 sq ft; a 50兆瓦 plant; 1 setengah jam; up 13 points", []),
        ("pada peringkat 6 pengguna internet", []),
        ("一成不变\uff0c八成是假的", []),
    ],
)
def test_ranges_local_money_and_what_is_not_counted(
    text: str, found: list[tuple[float, str]]
) -> None:
    assert [(f.value, f.unit) for f in figures(text)] == found


def test_hostile_text_finishes_and_finds_nothing_odd() -> None:
    # Long runs that would make a careless pattern backtrack: each returns promptly.
    for text in ("1 " * 20000, "1." * 20000, "五" * 20000, "9" * 20000, "$" * 20000):
        assert figures(text) == [], text[:10]
    # The range, compound, tenths and local-money readers on endless repeats: each reads a
    # bounded window, and the same amount repeated is one figure.
    for text in ("Rs 5-" * 10000, "3亿4" * 5000, "1 - " * 20000, "jumlah 5 juta. " * 5000,
                 "五成" * 10000, "two to " * 10000, "8兆1,0" * 5000):  # fmt: skip
        assert len(figures(text)) <= 2, text[:10]
    # Markup and controls around a figure are not part of it, and never break it.
    (figure,) = figures("<b>$5 million</b>\x1b[31m raised")
    assert (figure.value, figure.unit, figure.text) == (5000000, "USD", "$5 million")


def test_figures_in_triage_json(newsletter: Path) -> None:
    write_feeds(newsletter, {"Figures": str(DATA / "feeds" / "figures.json")})
    brief(newsletter, "scrape")
    rows = json.loads(brief(newsletter, "triage", "--json").stdout)
    by_title = {row["title"]: row for row in rows}
    whatnot = by_title["Whatnot raises $265 million as live auctions grow"]
    assert whatnot["figures"] == [
        {"value": 265000000, "unit": "USD", "text": "$265 million"},
        {"value": 3700000000, "unit": "USD", "text": "$3.7 billion"},
        {"value": 50000, "unit": "count", "text": "50,000 sellers"},
    ]
    douyin = by_title["抖音电商618期间GMV突破500亿元"]
    assert {(f["value"], f["unit"]) for f in douyin["figures"]} == {
        (50000000000, "CNY"),
        (35, "%"),
    }
    calendar = by_title["Double 11 starts at 8 pm on 24 October, No. 1 platform says"]
    assert calendar["figures"] == []


def test_accept_writes_dek_and_figures_that_check_accepts(newsletter: Path) -> None:
    write_feeds(newsletter, {"Figures": str(DATA / "feeds" / "figures.json")})
    brief(newsletter, "scrape")
    rows = json.loads(brief(newsletter, "triage", "--json").stdout)
    row = next(r for r in rows if r["title"].startswith("Whatnot"))
    path = newsletter / brief(newsletter, "accept", str(row["id"])).stdout.strip()
    header = dict(
        line.split(": ", 1)
        for line in path.read_text(encoding="utf-8").split("\n\n")[0].splitlines()
    )
    assert header["Dek"] == "Whatnot raised $265 million at a $3.7 billion valuation."
    # Each figure labelled with what it measures and whose, the number not repeated.
    assert header["Figures"] == (
        '265000000 USD "Whatnot funding"; '
        '3700000000 USD "Whatnot valuation"; '
        '50000 count "Whatnot sellers"'
    )
    # Proposals to review: until the editor changes them, or says they are right.
    warned = brief(newsletter, "check").stdout
    relative = path.relative_to(newsletter)
    assert f"{relative}:" in warned
    assert "Dek: as brief accept proposed it, not reviewed" in warned
    assert "Figures: as brief accept proposed it, not reviewed" in warned
    reviewed = path.read_text(encoding="utf-8").replace(
        "Dek: Whatnot raised", "Reviewed: figures\nDek: $265M for Whatnot; it raised"
    )
    path.write_text(reviewed, encoding="utf-8")
    assert "not reviewed" not in brief(newsletter, "check").stdout
    figures_line = 1 + next(
        i for i, line in enumerate(path.read_text().splitlines()) if line.startswith("Figures:")
    )
    # The editor edits it: a wrong unit and a value that is not a number are found, by line.
    text = (
        path.read_text(encoding="utf-8")
        .replace("Figures: 265000000 USD", "Figures: 265000000 dollars")
        .replace("; 50000 count", "; lots count")
    )
    path.write_text(text, encoding="utf-8")
    result = brief(newsletter, "check", check=False)
    assert result.returncode == 1
    where = f"{path.relative_to(newsletter)}:{figures_line}: error:"
    assert f"{where} Figures: unit 'dollars' is not an ISO 4217" in result.stdout
    assert f"{where} Figures: 'lots count" in result.stdout


def test_hostile_figure_words_cannot_break_the_metadata_line() -> None:
    hostile = Figure(5, "USD", "$5", 'x"; 9 USD "fake\nTitle: owned; <b>')
    value = format_figures([hostile, Figure(1, "count", "1 shop", "1 shop")])
    assert "\n" not in value
    read, problems = read_figures(value)
    assert problems == []
    assert [(f.value, f.unit) for f in read] == [(5, "USD"), (1, "count")]


def test_the_dek_is_the_leads_first_sentence() -> None:
    assert lead_sentence("U.S. sales rose 5% in Q3. The rest follows.") == (
        "U.S. sales rose 5% in Q3."
    )
    assert lead_sentence("抖音电商618期间GMV突破500亿元。同比增长35%。") == (
        "抖音电商618期间GMV突破500亿元。"
    )
    assert lead_sentence("word " * 100).endswith("…")


@pytest.mark.parametrize(
    ("dek", "problem"),
    [
        ("Whatnot raises $265 million as live auctions grow", "only repeats the headline"),
        ("Whatnot raised $265 million at a $3.7 billion valuation - Example News", "outlet"),
        ("Whatnot raised $265 million, via Example News.", "outlet"),
        ("Whatnot raised $265 million at a $3.7 billion valuation.", None),
    ],
)
def test_a_dek_that_repeats_the_headline_or_names_its_outlet_is_flagged(
    newsletter: Path, dek: str, problem: str | None
) -> None:
    path = newsletter / "content" / "articles" / "2026" / "w.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "Title: Whatnot raises $265 million as live auctions grow\nDate: 2026-11-20 09:00\n"
        "Category: Platforms\nSlug: w\nStatus: draft\nSource: Example News\n"
        f"Link: https://example.com/w\nDek: {dek}\n"
        'Figures: 265000000 USD "Whatnot funding"; 50000 count "more than 50,000 sellers"\n\n'
        "> Summary.\n\n## Why it matters\n\nWords.\n",
        encoding="utf-8",
    )
    out = brief(newsletter, "check").stdout
    assert "repeats a number" in out  # "more than 50,000 sellers": the number twice
    dek_lines = [line for line in out.splitlines() if ": warning: Dek:" in line]
    if problem is None:
        assert dek_lines == []
    else:
        assert len(dek_lines) == 1 and problem in dek_lines[0]


def test_a_conversion_in_brackets_that_disagrees_is_flagged_and_not_proposed(
    newsletter: Path,
) -> None:
    # Real conversions agree at any recent rate ("Rs 1,000 crore ($120 million)"); one
    # 100 times off means one of the two numbers is wrong, and the text cannot say which.
    agree = figures("The fund is Rs 1,000 crore ($120 million) in all.")
    assert [f.doubt for f in agree] == ["", ""]
    assert all(not f.doubt for f in figures("GMV rose to 28.541亿元\uff08约合4亿美元\uff09"))
    # Indonesian and Vietnamese write a conversion after "or about": a real page's error
    wrong = figures("pendapatan sebesar US$5,8 miliar atau sekitar Rp80 miliar.")
    assert all(f.doubt for f in wrong) and len(wrong) == 2
    assert not any(f.doubt for f in figures("US$ 4,4 miliar atau sekitar Rp 66,7 triliun"))
    write_feeds(newsletter, {"Figures": str(DATA / "feeds" / "figures.json")})
    brief(newsletter, "scrape")
    rows = json.loads(brief(newsletter, "triage", "--json").stdout)
    row = next(r for r in rows if r["title"].startswith("Flipkart"))
    doubted = [f for f in row["figures"] if "doubt" in f]
    assert [(f["value"], f["unit"]) for f in doubted] == [
        (10000000000, "INR"),
        (12000000000, "USD"),
    ]
    assert (
        "'$12 billion', given as the same amount, does not agree with 'Rs 1,000 crore'"
        in (doubted[0]["doubt"])
    )
    accepted = brief(newsletter, "accept", str(row["id"]))
    path = newsletter / accepted.stdout.strip()  # the path is still the answer
    assert f"#{row['id']}: figure left out: '$12 billion', given as the same" in accepted.stderr
    header = path.read_text(encoding="utf-8").split("\n\n")[0]
    assert "Figures: 30 %" in header
    assert "12000000000" not in header and "10000000000" not in header
