"""Settings, rules and arguments a careless editor could write: each one a usage error
(exit 2) that names the file and line, checked when loaded, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_brief


def _append(root: Path, name: str, text: str) -> int:
    """Add `text` at the end of a file; the line number where it starts."""
    path = root / name
    before = path.read_text(encoding="utf-8")
    path.write_text(before.rstrip("\n") + "\n" + text, encoding="utf-8")
    return len(before.rstrip("\n").splitlines()) + 1


@pytest.mark.parametrize(
    ("setting", "offset", "words"),
    [
        ('BRIEF_SECTIONS = "Platforms"', 0, "BRIEF_SECTIONS: must be a list of names"),
        ('BRIEF_SMTP = "localhost"', 0, "BRIEF_SMTP: must be a dict"),
        ('BRIEF_SMTP = {"port": 99999}', 0, "BRIEF_SMTP['port']: must be a whole number from 1"),
        ('BRIEF_SMTP = {"security": "tls"}', 0, "must be 'starttls', 'ssl' or 'none'"),
        ('BRIEF_FETCH = {\n    "deadline": float("nan"),\n}', 1, "BRIEF_FETCH['deadline']"),
        ('BRIEF_FETCH = {"deadline": 1e309}', 0, "must be a number from 0.1 to 3600"),
        ('BRIEF_FETCH = {"timeout": 3}', 0, "unknown key (known: connect_timeout, deadline"),
        (
            'BRIEF_DIGEST = {\n    "sender": "x@example.org",\n'
            '    "unsubscribe_url": "https://a.example/u?e={email}",\n}',
            2,
            "unknown key (known: sender, reply_to",
        ),
        ('BRIEF_SUBSCRIPTIONS = {"url": "javascript:alert(1)//"}', 0, "the service's base URL"),
        ('BRIEF_SUBSCRIPTIONS = {"url": "https://a.example/subs"}', 0, "ending with /"),
        ('BRIEF_SUBSCRIPTIONS = {"url": "https://a.example/", "per_client": 0}', 0, "from 1"),
        (
            'BRIEF_DIGEST = {"sender": "Brief <brief@example.com>\\r\\nBcc: all@example.org"}',
            0,
            "must not contain line breaks",
        ),
        ('BRIEF_DIGEST = {"sender": "not an address"}', 0, "not an email address"),
        ("BRIEF_MIN_ARTICLES = -1", 0, "BRIEF_MIN_ARTICLES: must be a whole number from 0"),
        ("BRIEF_SEARCH = 'yes'", 0, "BRIEF_SEARCH: must be True or False"),
        ('BRIEF_ISSUE_URL = "issues/{week}/"', 0, "unknown placeholder {week}"),
        ("BRIEF_SECTOINS = ['Deals']", 0, "BRIEF_SECTOINS: unknown setting"),
        ('BRIEF_SECTION_BY_KIND = {"vendor": "Gossip"}', 0, "'Gossip' is not in BRIEF_SECTIONS"),
    ],
)
def test_a_bad_setting_is_named_with_its_line(
    sample: Path, setting: str, offset: int, words: str
) -> None:
    line = _append(sample, "pelicanconf.py", setting + "\n") + offset
    result = run_brief(sample, "--settings", "pelicanconf.py", "check")
    assert result.code == 2, result.output
    assert f"pelicanconf.py:{line}: " in result.stderr, result.stderr
    assert words in result.stderr


def test_publishconf_reports_the_line_in_pelicanconf(sample: Path) -> None:
    line = _append(sample, "pelicanconf.py", "BRIEF_MIN_ARTICLES = 2.5\n")
    result = run_brief(sample, "--settings", "publishconf.py", "check")
    assert result.code == 2 and f"pelicanconf.py:{line}: BRIEF_MIN_ARTICLES" in result.stderr


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[phrases]\n"live shopping" = 3.0\n"x" = nan\n', 3, "[phrases] 'x': the weight must be"),
        ('[phrases]\n"x" = inf\n', 2, "from -10 to 10, not inf"),
        ('phrases = "live"\n', 1, "phrases must be a table"),
        ("weights = 3\n", 1, "weights must be a table"),
        ("[weights]\nscale = 0\n", 2, "[weights] scale must be a number from 0.01"),
        ('[weights]\nscale = "big"\n', 2, "not 'big'"),
        ("[weights]\nscael = 2\n", 2, "[weights] unknown key 'scael'"),
        ('[filters]\nexclude = ["(unclosed"]\n', 2, "bad regular expression"),
        ('[context]\n"orders" = "many"\n', 2, "[context] 'orders': the weight must be"),
        ("context = 1\n", 1, "context must be a table"),
        (
            '[phrases]\n"gmv" = 1.0\n[context]\n"gmv" = 1.0\n',
            4,
            "[context] 'gmv' is in [phrases] too: keep it in one",
        ),
        ("[contexts]\n", 1, "unknown table [contexts] (known: [phrases], [context],"),
        ("# rules\ncontexts.orders = 1\n", 2, "unknown table [contexts]"),
    ],
)
def test_bad_relevance_rules_are_named_with_their_line(
    newsletter: Path, text: str, line: int, words: str
) -> None:
    (newsletter / "relevance.toml").write_text(text, encoding="utf-8")
    result = run_brief(newsletter, "scrape")
    assert result.code == 2, result.output
    assert f"relevance.toml:{line}: " in result.stderr and words in result.stderr


def test_feeds_that_are_not_utf8_are_named_with_the_line(newsletter: Path) -> None:
    (newsletter / "feeds.toml").write_bytes(
        b'[[source]]\nname = "Caf\xe9"\nurl = "https://a.example/feed"\n'
    )
    result = run_brief(newsletter, "scrape")
    assert result.code == 2
    assert "feeds.toml:2: not UTF-8 text (byte 22): save the feeds file as UTF-8" in result.stderr


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[[source]]\nname = "A"\nurl = "http://host:99999/x"\n', 3, "not a valid http(s) URL"),
        ('[[source]]\nname = "A"\nurl = "https://a.example/"\ntier = nan\n', 4, "tier must be"),
        ('[[source]]\nname = "A\\u001b[2J"\nurl = "https://a.example/"\n', 2, "control"),
    ],
)
def test_bad_sources_are_named_with_their_line(
    newsletter: Path, text: str, line: int, words: str
) -> None:
    (newsletter / "feeds.toml").write_text(text, encoding="utf-8")
    result = run_brief(newsletter, "scrape")
    assert result.code == 2 and f"feeds.toml:{line}: " in result.stderr and words in result.stderr


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ('in_context = "TikTok"', "entity 'X': in_context must be a list of phrases"),
        ("in_context = [1]", "entity 'X': in_context must be a list of phrases"),
    ],
)
def test_a_bad_name_by_context_is_named_with_its_line(
    newsletter: Path, entry: str, words: str
) -> None:
    path = newsletter / "content" / "entities.toml"
    path.write_text(f'[[entity]]\nname = "X"\n{entry}\n', encoding="utf-8")
    result = run_brief(newsletter, "scrape")
    assert result.code == 2 and f"entities.toml:3: {words}" in result.stderr, result.stderr


def test_a_watchlist_slug_may_not_escape(newsletter: Path) -> None:
    path = newsletter / "content" / "entities.toml"
    path.write_text('[[entity]]\nname = "X"\nslug = "../../x"\n', encoding="utf-8")
    result = run_brief(newsletter, "scrape")
    assert result.code == 2 and "entities.toml:3: entity 'X': slug '../../x'" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("accept", "99999999999999999999"),
        ("reject", "0"),
        ("triage", "--since", "9999999999d"),
        ("triage", "--since", "\uff11d"),  # a full-width digit
        ("triage", "--min-score", "nan"),
        ("triage", "--explain", "99999999999999999999"),
        ("send", "2026-W46", "--to", "x.csv", "--rate", "nan"),
        ("issue", "new", "--week", " 2026-W48"),
        ("issue", "new", "--week", "\uff12\uff10\uff12\uff16-W48"),
        ("issue", "new", "--week", "2026-W48\n"),
        ("issue", "new", "--week", "2026-W54"),
    ],
)
def test_out_of_range_arguments_are_usage_errors(sample: Path, args: tuple[str, ...]) -> None:
    before = sorted((sample / "content" / "issues").iterdir())
    result = run_brief(sample, *args)
    assert result.code == 2, result.output
    assert sorted((sample / "content" / "issues").iterdir()) == before  # nothing written
