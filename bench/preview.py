"""Edit to preview: `brief serve`'s watcher and refresh, run in the newsletter in the
current folder (already built), timed from an annotation's save to its pages on disk.
It edits articles there, so it refuses to run in this repository (the sample newsletter):
bench/run.py runs it in the benchmark's own copy.

Prints one JSON line: seconds for each edit, and for an edit of a header (a rebuild).
Run by bench/run.py in a process of its own (Pelican keeps state per process)."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

from brief.ground.settings import load_settings
from brief.site.preview import Preview, PreviewServer


def _until_on_disk(page: Path, text: str, said: list[str], timeout: float = 120) -> float:
    started = time.perf_counter()
    while text not in page.read_text(encoding="utf-8"):
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"{page} never showed the edit; the preview said: {said}")
        time.sleep(0.005)
    return time.perf_counter() - started


def main() -> None:
    if Path.cwd().resolve() == Path(__file__).resolve().parents[1]:
        raise SystemExit("bench/preview.py edits articles: run it through bench/run.py")
    settings = load_settings(Path("pelicanconf.py"))
    preview = Preview(settings)
    preview.build()
    server = PreviewServer(preview, port=0)
    said: list[str] = []
    threading.Thread(target=server.watch, args=(said.append,), daemon=True).start()
    output = settings.output
    model = preview._site_generator().model  # type: ignore[union-attr]
    latest = model.issues[0].articles[0]  # on its page, its issue's and the home page
    oldest = model.issues[-1].articles[-1]  # on its page and its issue's
    body: dict[str, float] = {}
    for name, view in (("latest issue", latest), ("oldest issue", oldest)):
        path = Path(view.content.source_path)
        sentence = f"A new sentence from the editor {time.time_ns()}"
        path.write_text(path.read_text(encoding="utf-8") + f"\n{sentence}\n", encoding="utf-8")
        issue = next(p for p in model.issue_pages if view in p.articles)
        article_page = output / view.content.save_as
        issue_page = output / issue.save_as
        started = time.perf_counter()
        _until_on_disk(article_page, sentence, said)
        _until_on_disk(issue_page, sentence, said)
        body[name] = time.perf_counter() - started
        time.sleep(0.3)  # let the refresh's line be said before the next edit
    preview.wait()
    path = Path(latest.content.source_path)
    text = path.read_text(encoding="utf-8")
    title = f"A retitled story {time.time_ns()}"
    path.write_text(re.sub(r"(?m)^Title: .*$", f"Title: {title}", text, count=1), encoding="utf-8")
    started = time.perf_counter()
    _until_on_disk(output / latest.content.save_as, title, said)
    header = time.perf_counter() - started
    server.stop.set()
    print(json.dumps({"body": body, "header": header, "said": said}))


if __name__ == "__main__":
    main()
