"""Relevance and companies as a reader means them, with the newsletter's own rules and
watchlist (relevance.toml, content/entities.toml): a comparison is not the company, an owner
named in passing is not what the story is about, "TikTok" beside sellers is TikTok Shop, and
live selling is found in Chinese, Indonesian, Vietnamese and Thai."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scrapers.entities import EntityTagger, load_entities
from scrapers.phrases import Words
from scrapers.relevance import load_rules, score_item
from tests.conftest import REPO, brief, write_feeds

TAGGER = EntityTagger(load_entities(REPO / "content" / "entities.toml"))
RULES = load_rules(REPO / "relevance.toml")


def tagged(title: str, text: str = "") -> dict[str, bool]:
    return {m.entity.name: m.about for m in TAGGER.tag(title, text)}


def score(title: str, text: str = "") -> float:
    words, more = Words(title), Words(text)
    return score_item(RULES, words, more, TAGGER.tag(words, more)).value


ITEMS = {
    # title: (text, what the triage must say)
    "A QVC for Gen Z? Campus app pitches thrift swaps": (
        "Students trade clothes on the app, which its founders call QVC-style fun.",
        "no QVC",
    ),
    "Walmart-owned Flipkart starts live shopping for sellers": (
        "Sellers on the marketplace can now host live streams during sales.",
        "Walmart in passing",
    ),
    "TikTok sellers in Indonesia return to live selling": (
        "Merchants say their livestreams are busy again after the app's shop reopened.",
        "TikTok Shop",
    ),
    "YouTube lets creators sell during live streams": (
        "Shoppers can check out products pinned in a creator's live stream, the company said.",
        "YouTube Shopping",
    ),
    "Supreme Court hears TikTok ban case": (
        "The law would force a sale of the app by its Chinese owner.",
        "no TikTok Shop",
    ),
    "董宇辉回到直播间带货": ("东方甄选的直播间当晚观看人数突破十万。", "relevant"),
    "主播帶貨逃稅被罰": ("稅務機關表示,這名網紅主播在直播間銷售商品時隱匿收入。", "relevant"),
    "Pedagang jualan live di TikTok Shop ramai saat Ramadan": (
        "Para penjual menggelar siaran langsung hingga dini hari untuk melayani pembeli.",
        "relevant",
    ),
    "Bán hàng livestream giúp nông dân tiêu thụ vải thiều": (
        "Các phiên livestream bán hàng thu hút hàng nghìn người xem mỗi tối.",
        "relevant",
    ),
    "แม่ค้าไลฟ์ขายของออนไลน์ทำยอดขายทะลุล้าน": (
        "ผู้ค้าหลายรายหันมาไลฟ์สดขายสินค้าผ่านแพลตฟอร์มออนไลน์",
        "relevant",
    ),
    "周杰伦演唱会直播吸引千万观众": ("歌迷在线观看演唱会直播,互动次数超过一亿。", "not relevant"),
    "She makes a living selling rugs at weekend markets": (
        "The weaver has sold her rugs at the same stall for twenty years.",
        "not relevant",
    ),
    "Zepto's quick commerce orders double as merchants join": (
        "The grocery delivery app said orders and merchants on its platform grew in the quarter.",
        "not relevant",
    ),
}


@pytest.fixture
def live_rules(newsletter: Path) -> Path:
    """A newsletter with the repository's own rules and watchlist, and the items above
    scraped from a feed."""
    shutil.copy(REPO / "relevance.toml", newsletter / "relevance.toml")
    shutil.copy(REPO / "content" / "entities.toml", newsletter / "content" / "entities.toml")
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Meaning",
        "items": [
            {"id": f"m{n}", "url": f"https://meaning.example/{n}", "title": title,
             "content_text": text, "date_published": "2026-11-20T08:00:00Z"}
            for n, (title, (text, _)) in enumerate(ITEMS.items())
        ],
    }  # fmt: skip
    (newsletter / "meaning.json").write_text(json.dumps(feed), encoding="utf-8")
    write_feeds(newsletter, {"Meaning": str(newsletter / "meaning.json")})
    brief(newsletter, "scrape")
    return newsletter


def test_the_queue_reads_companies_and_languages_as_a_reader_does(live_rules: Path) -> None:
    rows = json.loads(brief(live_rules, "triage", "--json", "--status", "all").stdout)
    by_title = {row["title"]: row for row in rows}
    assert set(by_title) == set(ITEMS)
    for title, (_, expected) in ITEMS.items():
        row = by_title[title]
        entities, about, score_ = row["entities"], row["about"], row["score"]
        if expected == "no QVC":
            assert "QVC" not in entities, row
        elif expected == "Walmart in passing":
            assert "Walmart" in entities and "Walmart" not in about, row
        elif expected in ("TikTok Shop", "YouTube Shopping"):
            assert expected in about, row
            assert score_ >= 0.5, row  # the product found by context signs as its name would
        elif expected == "no TikTok Shop":
            assert "TikTok Shop" not in entities and score_ < 0.1, row
        elif expected == "relevant":
            assert score_ >= 0.5, row
        else:
            assert score_ < 0.15, row
    # The explanation names what scored a Chinese item, in Chinese.
    chinese = by_title["董宇辉回到直播间带货"]
    explained = brief(live_rules, "triage", "--explain", str(chinese["id"])).stdout
    assert "title has '带货'" in explained and "title has '董宇辉'" in explained


@pytest.mark.parametrize(
    ("title", "text", "company"),
    [
        ("Startup wants to be the QVC of Gen Z", "", "QVC"),
        ("A Whatnot for sneakers raises a seed round", "", "Whatnot"),
        ("Brands try TikTok Shop-style selling on their own sites", "", "TikTok Shop"),
        ("The next Taobao Live? A Lagos app bets on live selling", "", "Taobao Live"),
        ("Shop app launches Amazon-like checkout", "", "Amazon"),
    ],
)
def test_a_comparison_is_not_the_company(title: str, text: str, company: str) -> None:
    assert company not in tagged(title, text)


@pytest.mark.parametrize(
    ("title", "text", "passing", "subject"),
    [
        ("Flipkart, owned by Walmart, adds live shopping", "", "Walmart", None),
        ("Lazada, backed by Alibaba, courts live sellers", "", "Alibaba", "Lazada"),
        ("Whatnot rival NTWRK raises money", "", "Whatnot", "NTWRK"),
        ("Live sellers leave for rivals such as Shopee", "", "Shopee", None),
        ("Startup sold to Amazon in 2019 now pivots to live selling", "", None, None),
        (
            "Live selling app grows in Manila",
            "The app, a rival to Shopee, hosts nightly streams.",
            "Shopee",
            None,
        ),
        ("TikTok parent ByteDance reorganises its shop", "", "ByteDance", None),
        ("Alibaba-backed Lazada courts live sellers", "", "Alibaba", "Lazada"),
    ],
)
def test_a_name_in_passing_is_a_mention(
    title: str, text: str, passing: str | None, subject: str | None
) -> None:
    found = tagged(title, text)
    if passing:
        assert found.get(passing) is False, found
    if subject:
        assert found.get(subject) is True, found


def test_a_product_by_its_context() -> None:
    assert tagged("TikTok sellers brace for new fees")["TikTok Shop"] is True
    assert tagged("YouTube adds shopping to live streams")["YouTube Shopping"] is True
    assert "TikTok Shop" not in tagged("TikTok ban upheld", "A deal to sell the app stalls.")
    assert "YouTube Shopping" not in tagged("YouTube raises Premium prices")
    # The product named by its own name stays itself, context or not.
    assert tagged("TikTok Shop expands to Japan")["TikTok Shop"] is True


def test_local_language_names() -> None:
    assert tagged("蝦皮直播帶貨")["Shopee"] is True
    assert tagged("京東618直播")["JD.com"] is True
    assert tagged("淘寶直播主播")["Taobao Live"] is True
    assert tagged("亚马逊在中国招募卖家")["Amazon"] is True
    assert tagged("ช้อปปี้ เปิดไลฟ์ขายของ")["Shopee"] is True
    assert tagged("แม่ค้าไลฟ์ขายของบน ติ๊กต๊อก")["TikTok Shop"] is False  # on TikTok: where
    assert tagged("Penjual TikTok beralih ke siaran langsung")["TikTok Shop"] is True
    assert "JD.com" not in tagged("罗永浩在北京东三环的直播间卖剃须刀")  # Beijing East, not 京东
    assert "JD.com" not in tagged("北京东路上,北京东三环边")  # each time it is written
    # A Latin name written against Chinese or Thai is still a whole word.
    assert tagged("马来西亚TikTok卖家群里的气氛")["TikTok Shop"] is True
    assert tagged("แบนTemuในไทย")["Pinduoduo"] is True
    assert tagged("刘德华在抖音开唱", "歌迷在抖音直播间观看")["Douyin"] is False  # on Douyin


def test_words_of_selling_need_a_sign_of_live_selling() -> None:
    earnings = "Marketplace posts record orders as merchants and GMV grow in e-commerce push"
    assert score(earnings) == 0.0
    assert score(earnings, "Hosts sold out in a three-hour livestream.") > 0.5


def test_making_a_living_is_not_live_selling() -> None:
    assert "live selling" not in RULES.matches("She makes a living selling rugs")
    assert "live selling" in RULES.matches("Live-selling hosts")


def test_one_word_form_counts_once() -> None:
    signals = score_item(RULES, "Livestreams, livestreaming and a livestream", "", []).signals
    assert len(signals) == 1, signals


def test_spaceless_phrases_longest_first() -> None:
    # 直播带货 is one signal, not also 直播 and 带货 inside it; a second 直播 elsewhere counts.
    assert RULES.matches("直播带货") == {"直播带货"}
    assert RULES.matches("直播带货后再直播") == {"直播带货", "直播"}


def test_average_precision_is_scikit_learns() -> None:
    import random

    from sklearn.metrics import average_precision_score

    from brief.desk.learn import average_precision

    pick = random.Random(5)
    for _ in range(200):
        labels = [pick.randint(0, 1) for _ in range(pick.randint(2, 30))]
        if not any(labels):
            continue
        scores = [pick.choice([0.0, 0.25, 0.5, pick.random()]) for _ in labels]  # with ties
        assert average_precision(labels, scores) == pytest.approx(
            average_precision_score(labels, scores)
        )


def test_a_model_from_an_older_version_is_set_aside_not_fatal(newsletter: Path) -> None:
    import joblib

    (newsletter / "data").mkdir(exist_ok=True)
    joblib.dump({"pipeline": None, "decisions": 70}, newsletter / "data" / "relevance-model.joblib")
    result = brief(newsletter, "triage", "--json")
    assert json.loads(result.stdout) == []
    assert "from an older version of brief: the queue is ranked by the rules alone" in result.stderr


def test_the_model_is_measured_on_the_later_decisions() -> None:
    from datetime import UTC, datetime, timedelta

    from brief.desk.learn import Example, forward_split, measured

    start = datetime(2026, 1, 1, tzinfo=UTC)
    # Kept stories first, then rejected ones: the later quarter alone would be all rejects.
    days = [Example("t", "s", 0.5, published=start + timedelta(days=n), label=int(n < 30))
            for n in range(40)]  # fmt: skip
    older, later = forward_split(list(reversed(days)))
    assert max(e.published for e in older) <= min(e.published for e in later)  # type: ignore[type-var]
    assert sum(e.label for e in later) >= 5 and sum(1 - e.label for e in later) >= 5
    assert len(later) <= len(days) // 2
    labels = [1, 0, 1, 1, 0, 0, 1, 0, 1, 0] * 3
    good = [0.9 if y else 0.1 for y in labels]
    noisy = [0.5 + (0.3 if y else -0.1) * (-1) ** n for n, y in enumerate(labels)]
    sure, unsure = measured(labels, good, noisy)
    assert sure.value == 1.0 and sure.low == 1.0
    assert unsure.low <= unsure.value <= unsure.high and unsure.low < unsure.high
