"""feeds.toml: a bad file stops with the file and line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from brief.ground.errors import ConfigError
from scrapers.sources import load_sources
from tests.conftest import brief

GOOD = """\
# comment
[[source]]
name = "One"
url = "https://one.example/feed"
tier = 1.5

[[source]]
name = "Offline"
url = "feeds/local.xml"
"""


def test_reads_sources_and_resolves_local_paths(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(GOOD)
    one, offline = load_sources(path)
    assert (one.name, one.url, one.tier, one.is_remote) == (
        "One",
        "https://one.example/feed",
        1.5,
        True,
    )
    assert offline.url == str(tmp_path / "feeds" / "local.xml")
    assert not offline.is_remote


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[[source]]\nname = "A"\nurl = "https://a.example/feed\n', 3, "TOML syntax error"),
        (
            '[[source]]\nname = "A"\nurl = "https://a.example/"\n\n[[source]]\nname = "B"\n',
            5,
            "'url'",
        ),
        (
            '[[source]]\nname = "A"\nurl = "https://a.example/"\nlanguage = "en"\n',
            4,
            "unknown key 'language'",
        ),
        ('[[source]]\nname = "A"\nurl = "ftp://a.example/feed"\n', 3, "http(s)"),
        ('[[source]]\nname = "A"\nurl = "https://a.example/"\ntier = "high"\n', 4, "tier"),
        (
            '[[source]]\nname = "A"\nurl = "https://a/"\n[[source]]\nname = "A"\nurl = "https://b/"\n',
            4,
            "two sources",
        ),
    ],
    ids=["syntax", "missing-url", "unknown-key", "scheme", "tier", "duplicate-name"],
)
def test_errors_name_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert words in str(caught.value)


def test_cli_exits_2_with_file_and_line(newsletter: Path) -> None:
    (newsletter / "feeds.toml").write_text(
        '[[source]]\nname = "A"\nurl = "https://a.example/"\nlanguage = "en"\n'
    )
    result = brief(newsletter, "scrape", check=False)
    assert result.returncode == 2
    assert "feeds.toml:4:" in result.stderr
    assert "unknown key 'language'" in result.stderr
