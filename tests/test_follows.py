"""A digest that knows what each reader follows: chosen on their preferences page (the real
service), their stories come first and marked, the preheader names their companies, the
rest of the issue follows as edited; a reader who follows nothing gets the issue as edited."""

from __future__ import annotations

import os
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from brief.content.files import load_newsletter
from brief.ground.settings import load_settings
from brief.mail.digest import NOBODY, DigestRenderer, Follows
from tests.conftest import REPO, TEST_SECRET, brief
from tests.service import Service, links

WEEK = "2026-W47"
AXE = REPO / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).parent / "artifacts"
THEME = REPO / "themes" / "brief" / "static"


def _order(html: str) -> list[tuple[str, str]]:
    """(section, headline) of each story of a digest, in order, and its mark if any."""
    soup = BeautifulSoup(html, "html.parser")
    found, section = [], ""
    for cell in soup.select("td.section, td.article"):
        if "section" in cell["class"]:
            section = cell.get_text(strip=True)
        else:
            mark = cell.select_one(".followed")
            found.append(
                (section, cell.h2.get_text(strip=True), mark.get_text(strip=True) if mark else "")
            )
    return found  # type: ignore[return-value]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    settings = load_settings(REPO / "publishconf.py")
    newsletter = load_newsletter(settings)
    renderer = DigestRenderer(settings)
    issue = newsletter.issues[WEEK]
    return lambda follows: renderer.render(issue, newsletter, follows=follows)


def test_a_followers_stories_come_first_marked_and_the_rest_as_edited(rendered) -> None:  # type: ignore[no-untyped-def]
    edited = rendered(NOBODY)
    mine = rendered(Follows(frozenset({"QVC"}), frozenset({"Deals"})))
    assert _order(mine.html) == [
        ("You follow", "TV shopping was live commerce first", "★ You follow QVC"),
        ("You follow", "The software vendors behind brands' own live shows", "★ You follow Deals"),
        ("Retail & brands", "Black Friday live shows need a reason to watch", ""),
        ("Platforms", "Amazon Live puts influencers next to the buy button", ""),
        ("Platforms", "YouTube Shopping lets creators tag products in videos and streams", ""),
    ]
    assert sorted(h for _, h, _ in _order(mine.html)) == sorted(
        h for _, h, _ in _order(edited.html)
    )
    assert mine.preheader.startswith("For you: QVC. ") and not edited.preheader.startswith(
        "For you"
    )
    assert (
        mine.preheader.endswith(edited.preheader.rstrip("…")[-20:])
        or edited.preheader[:30] in mine.preheader
    )
    # The plain text says it too, and its "In this issue" runs in the reader's order.
    assert "[You follow QVC]\n* TV shopping was live commerce first" in mine.text
    rundown = re.findall(r"^\d+\. (.+)$", mine.text, re.M)
    assert rundown[0] == "TV shopping was live commerce first"


def test_owners_cover_what_they_own_and_names_resolve(rendered) -> None:  # type: ignore[no-untyped-def]
    # Amazon owns Amazon Live: following it brings both Amazon stories first.
    amazon = _order(rendered(Follows(frozenset({"Amazon"}))).html)
    assert [h for s, h, _ in amazon if s == "You follow"] == [
        "Black Friday live shows need a reason to watch",
        "Amazon Live puts influencers next to the buy button",
    ]
    assert {mark for s, _, mark in amazon if s == "You follow"} == {"★ You follow Amazon"}


def test_following_nothing_here_is_the_issue_as_edited(rendered) -> None:  # type: ignore[no-untyped-def]
    edited = rendered(NOBODY)
    for follows in (Follows(frozenset({"Douyin"})), Follows(sections=frozenset({"China & Asia"}))):
        other = rendered(follows)
        assert _order(other.html) == _order(edited.html) and other.preheader == edited.preheader


def _reader(link: str) -> int:
    """Whose preferences a link opens (tokens carry the time they were made)."""
    from brief.audience.tokens import Tokens

    return Tokens(TEST_SECRET).read(link.split("token=")[1], "preferences")


def _digest(service: Service, who: str) -> EmailMessage:
    (digest,) = [m for m in service.mailed(who) if m["Subject"].startswith("Before Black Friday")]
    return digest


@pytest.mark.slow
def test_a_reader_chooses_on_the_service_and_gets_their_digest(
    service: Service, browser: object
) -> None:
    root = service.root
    brief(root, "subscribers", "add", "plain@example.org", "--confirmed")
    service.subscribe("fan@example.org", "Fan")
    service.wait_for_mail(1)
    confirm, _ = links(service.mail.messages[0])
    with service.client() as client:
        page = BeautifulSoup(client.get(service.local(confirm)).text, "html.parser")
        choose = page.find("a", string=re.compile("Choose the companies you follow"))
        assert choose is not None
        mine = service.local(choose["href"])
        form = BeautifulSoup(client.get(mine).text, "html.parser").form
        offered = {i["value"] for i in form.select("input[name=company]")}
        assert {"QVC", "TikTok Shop", "Whatnot", "Amazon"} <= offered
        assert {i["value"] for i in form.select("input[name=section]")} >= {"Deals", "Platforms"}
        # Another site's form, a bad token, names the watchlist does not hold: none of it counts.
        theirs = client.post(
            mine, data={"company": "QVC"}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert theirs.status_code == 403
        forged = client.post(mine.replace("token=", "token=x"), data={"company": "QVC"})
        assert forged.status_code == 400
        saved = client.post(
            mine,
            data={
                "company": ["QVC", "<script>alert(1)</script>", "Nobody Inc"],
                "section": ["Deals", "Gossip"],
            },
            headers={"Sec-Fetch-Site": "same-origin"},
        )
        assert saved.status_code == 200 and "Saved: you follow QVC, Deals." in saved.text
        again = BeautifulSoup(client.get(mine).text, "html.parser")
        checked = {i["value"] for i in again.select("input[checked]")}
        assert checked == {"QVC", "Deals"}
        assert "<script>alert" not in client.get(mine).text
    service.wait_for_mail(2)  # the welcome, which links to the same page
    welcome = next(
        m for m in service.mailed("fan@example.org") if m["Subject"].startswith("Welcome")
    )
    welcome_html = welcome.get_body(("html",)).get_content()  # type: ignore[union-attr]
    (choose_again,) = {
        a["href"]
        for a in BeautifulSoup(welcome_html, "html.parser").find_all(
            "a", string="Choose what you follow"
        )
    }
    assert _reader(choose_again) == _reader(mine)

    service.send(WEEK)
    fan, plain = _digest(service, "fan@example.org"), _digest(service, "plain@example.org")
    fan_html = fan.get_body(("html",)).get_content()  # type: ignore[union-attr]
    plain_html = plain.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert [h for s, h, _ in _order(fan_html)][:2] == [
        "TV shopping was live commerce first",
        "The software vendors behind brands' own live shows",
    ]
    assert _order(fan_html)[0][2] == "★ You follow QVC"
    assert (
        BeautifulSoup(fan_html, "html.parser")
        .select_one(".preheader")
        .get_text()
        .startswith("For you: QVC.")
    )
    assert all(mark == "" for _, _, mark in _order(plain_html))
    assert _order(plain_html)[0][1] == "Black Friday live shows need a reason to watch"

    # Each digest links to its reader's own preferences, never another's.
    def preferences(html: str) -> str:
        (link,) = {
            a["href"]
            for a in BeautifulSoup(html, "html.parser").find_all("a", string="Your preferences")
        }
        return link

    assert _reader(preferences(fan_html)) == _reader(mine)
    assert _reader(preferences(plain_html)) != _reader(mine)

    # The page in Chromium: axe finds nothing, light and dark, phone and desk widths.
    shots = os.environ.get("BRIEF_SCREENSHOTS")
    sizes = ((390, "light"), (390, "dark"), (1280, "light"), (1280, "dark"))
    for width, scheme in sizes if shots else ((390, "dark"), (1280, "light")):
        context = browser.new_context(  # type: ignore[attr-defined]
            viewport={"width": width, "height": 900}, color_scheme=scheme, bypass_csp=True
        )
        page = context.new_page()
        # The page's style sheet lives on the public site (unreachable here): the theme's own.
        page.route(
            "https://brief.example.com/theme/**",
            lambda route: route.fulfill(path=str(THEME / route.request.url.split("/theme/", 1)[1])),
        )
        page.goto(service.base + mine)
        assert (
            page.evaluate("getComputedStyle(document.querySelector('fieldset')).borderRadius")
            == "8px"
        )
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            "async () => (await axe.run(document)).violations.map(v => v.id)"
        )
        assert violations == [], (width, scheme)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        if os.environ.get("BRIEF_SCREENSHOTS"):
            SHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SHOTS / f"preferences-{width}-{scheme}.png"), full_page=True)
            mail = context.new_page()
            mail.set_content(fan_html)
            mail.screenshot(
                path=str(SHOTS / f"digest-follower-{width}-{scheme}.png"), full_page=True
            )
        context.close()
