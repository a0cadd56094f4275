"""Run inside a network namespace of its own (see test_isolation): a "public" feed host at
93.184.216.34 next to loopback, then one scrape; prints the report as JSON.

Only a namespace lets a test own a public address: this machine has none, and the real
internet is out of reach anyway.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import quote

from tests.conftest import run_brief, write_feeds
from tests.fault_server import fault_server

PUBLIC = "93.184.216.34"


def main(root: Path) -> None:
    with fault_server(PUBLIC) as (public, _), fault_server("127.0.0.1") as (internal, _):
        write_feeds(
            root,
            {
                "Public to internal": f"{public}/redirect?to={quote(internal + '/ok.rss')}",
                "Public to public": f"{public}/redirect?to={quote(public + '/ok.rss')}",
                "Internal, configured": f"{internal}/ok.rss",
                "Internal to internal": f"{internal}/redirect?to={quote(internal + '/gzip-ok')}",
            },
        )
        result = run_brief(root, "scrape", "--json", "--force")
    print(
        json.dumps({"code": result.code, "report": json.loads(result.stdout), "internal": internal})
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
