"""The search index: Pagefind (its binary ships with the PyPI package) over the built site,
and a check that what it wrote is whole."""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import sys
import zlib
from pathlib import Path

log = logging.getLogger(__name__)


def start_search_index(output: Path) -> subprocess.Popen[str]:
    """Start Pagefind (the PyPI package ships its binary) over the built site."""
    command = [
        sys.executable, "-m", "pagefind", "--site", str(output), "--silent",
        # Only article and issue pages carry a search body; the others need not be parsed.
        "--glob", "{articles,issues}/**/*.html",
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_search_index(indexer: subprocess.Popen[str], output: Path) -> None:
    out, err = indexer.communicate()
    if indexer.returncode != 0:
        log.error("pagefind failed (%s): %s", indexer.returncode, err or out)
        return
    for problem in search_index_problems(output / "pagefind"):
        log.error("search index: %s", problem)


def search_index_problems(folder: Path) -> list[str]:
    """What is wrong with a Pagefind index on disk.

    Pagefind exits 0 even when the disk fills up under it, leaving empty or cut files;
    its index files are all gzip streams, so a cut one does not decompress.
    """
    entry = folder / "pagefind-entry.json"
    try:
        json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [f"{entry} is missing or damaged ({err}); is the disk full?"]
    problems = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        try:
            data = path.read_bytes()
            if path.suffix.startswith(".pf_") or path.suffix == ".pagefind":
                gzip.decompress(data)
            elif not data:
                raise ValueError("empty")
        except (OSError, ValueError, EOFError, zlib.error) as err:
            problems.append(f"{path} is damaged ({err or 'cut short'}); is the disk full?")
    return problems
