"""sitemap.xml and robots.txt for the built site."""

from __future__ import annotations

from html import escape
from pathlib import Path


def write_sitemap(output: Path, base: str) -> None:
    """sitemap.xml of every public page, and a robots.txt that points to it."""
    skip = ("drafts", "digest", "pagefind", "theme")
    urls = []
    for page in sorted(output.rglob("index.html")):
        relative = page.relative_to(output)
        if relative.parts[0] in skip:
            continue
        path = "" if relative.parent == Path(".") else f"{relative.parent.as_posix()}/"
        urls.append(f"  <url><loc>{escape(base)}/{escape(path)}</loc></url>")
    (output / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(urls)
        + "\n</urlset>\n",
        encoding="utf-8",
    )
    (output / "robots.txt").write_text(
        f"User-agent: *\nDisallow: /drafts/\n\nSitemap: {base}/sitemap.xml\n", encoding="utf-8"
    )
