"""Numbers on what readers read, without watching them: the digest's links go through the
subscription service, which counts each click per issue and story and redirects at once;
`brief stats --json` reads the counts back, with who left after the issue. Real service
(uvicorn), real SMTP server (aiosmtpd), real `brief send`."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from bs4 import BeautifulSoup

from brief.content.files import load_newsletter
from brief.ground.settings import load_settings
from brief.mail.digest import DigestRenderer, sample_digest
from tests.conftest import brief
from tests.service import PUBLIC, Service, unsubscribe_link

WEEK = "2026-W47"
STORY = "amazon-live-puts-influencers-next-to-the-buy-button"


def _stats(root: Path, *args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(brief(root, "stats", *args, "--json").stdout)


def _hrefs(html: str) -> list[str]:
    return [a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a", href=True)]


def _until(check, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    """The background count lands just after the redirect: wait for it, briefly."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, "the count never arrived"
        time.sleep(0.02)
    return found


@pytest.mark.slow
def test_clicks_are_counted_per_story_and_read_back_by_stats(service: Service) -> None:
    root = service.root
    for who in ("ana", "bo"):
        brief(root, "subscribers", "add", f"{who}@example.org", "--confirmed")
    service.send(WEEK)
    ana, bo = (service.mailed(f"{who}@example.org")[0] for who in ("ana", "bo"))
    html = ana.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = ana.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    hrefs = _hrefs(html)
    counted = [h for h in hrefs if h.startswith(f"{PUBLIC}r/")]
    # Every link of the digest is counted but the reader's own links (unsubscribe, their
    # preferences), and the counted links are the same in both copies (nothing personal).
    unsubscribe = unsubscribe_link(ana)
    (preferences,) = [h for h in hrefs if h.startswith(f"{PUBLIC}preferences?token=")]
    assert set(hrefs) - set(counted) == {unsubscribe, preferences}
    assert set(counted) == {h for h in _hrefs(bo.get_body(("html",)).get_content())  # type: ignore[union-attr]
                            if h.startswith(f"{PUBLIC}r/")}  # fmt: skip
    assert not any("ana" in h or "%40" in h for h in counted)
    in_text = set(re.findall(r"https?://\S+", text))
    counted_in_text = {h for h in in_text if h.startswith(f"{PUBLIC}r/")}
    assert len(counted_in_text) >= 6 and counted_in_text <= set(counted)
    assert unsubscribe in in_text

    story_page = next(h for h in counted if f"/r/2026-w47/{STORY}?" in h
                      and "brief.example.com%2Farticles" in h)  # fmt: skip
    issue_page = next(h for h in counted if "/r/2026-w47/-?" in h and "issues%2F2026-w47" in h)
    with service.client() as client:
        for link in (story_page, story_page, issue_page):
            answer = client.get(service.local(link))
            assert answer.status_code == 302
            assert answer.headers["location"] == parse_qs(urlsplit(link).query)["to"][0]
            assert answer.headers["referrer-policy"] == "no-referrer"
        # A link checker's HEAD goes where the link goes, and is not counted.
        assert client.head(service.local(story_page)).status_code == 302
        # Another target under the same signature, another story's signature, or none:
        # no redirect anywhere, nothing counted.
        evil = quote("https://evil.example/phish", safe="")
        parts = urlsplit(story_page)
        signature = parse_qs(parts.query)["sig"][0]
        for forged in (
            f"{parts.path}?to={evil}&sig={signature}",
            f"{parts.path.replace(STORY, 'tv-shopping-was-live-commerce-first')}?{parts.query}",
            f"{parts.path}?to={evil}",
            f"{parts.path}?{parts.query}".replace("2026-w47", "2026-w46"),
        ):
            refused = client.get(forged)
            assert refused.status_code == 400, forged
            assert "location" not in refused.headers

    stats = _until(lambda: (s := _stats(root, WEEK))["clicks"] == 3 and s)
    assert stats["sent"] == 2 and stats["number"] == 3
    (story,) = stats["stories"]
    assert story["slug"] == STORY and story["clicks"] == 2
    assert story["title"] == "Amazon Live puts influencers next to the buy button"
    assert list(stats["other_links"].values()) == [1]

    # Who left after this issue: one unsubscribes with the digest's own link, one bounces
    # (a report fed to `brief subscribers suppress`); both are this issue's.
    with service.client() as client:
        client.post(service.local(unsubscribe), content=b"List-Unsubscribe=One-Click")
    (root / "bounces.csv").write_text("email\nbo@example.org\n")
    brief(root, "subscribers", "suppress", "bounces.csv")
    stats = _stats(root, WEEK)
    assert (stats["unsubscribed"], stats["bounced"], stats["complained"]) == (1, 1, 0)
    # Every issue at once, and the list's growth per week.
    overview = _stats(root)
    assert [issue["week"] for issue in overview["issues"]] == [WEEK]
    assert overview["issues"][0]["clicks"] == 3
    assert sum(week["left"] for week in overview["growth"]) == 2
    shown = brief(root, "stats", WEEK).stdout
    assert "2026-W47 · Issue 3" in shown and "clicks 3" in shown
    assert "Amazon Live puts influencers" in shown


def test_clicks_off_or_html_only_by_one_setting(sample: Path) -> None:
    conf = sample / "publishconf.py"
    base = conf.read_text()

    def digest(clicks: str):  # type: ignore[no-untyped-def]
        conf.write_text(base + f'\nBRIEF_DIGEST = {{**BRIEF_DIGEST, "clicks": "{clicks}"}}\n')
        settings = load_settings(conf)
        newsletter = load_newsletter(settings)
        return sample_digest(DigestRenderer(settings), newsletter.issues[WEEK], newsletter)

    everything, html_only, off = digest("all"), digest("html"), digest("off")
    counted = "https://brief.example.com/subscriptions/r/"
    assert counted in everything.html and counted in everything.text
    assert counted in html_only.html and counted not in html_only.text
    assert counted not in off.html and counted not in off.text
    assert "https://brief.example.com/issues/2026-w47/" in off.text
    conf.write_text(base + '\nBRIEF_DIGEST = {**BRIEF_DIGEST, "clicks": "yes"}\n')
    result = brief(sample, "--settings", "publishconf.py", "check", check=False)
    assert (
        result.returncode == 2
        and "clicks" in result.stderr
        and "'all', 'html' or 'off'" in result.stderr
    )
