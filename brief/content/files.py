"""The newsletter's content directory: reading it whole, and writing new files safely.

This is the only module that writes under `content/`. It writes atomically (a temporary
file, then a link into place) and never replaces a file that exists: editors' words
are never overwritten.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from brief.content.articles import Article, article_from
from brief.content.document import parse_document, read_document
from brief.content.issues import Issue, issue_from, number_issues
from brief.ground.errors import ContentError
from brief.ground.paths import under
from brief.ground.settings import Settings


@dataclass(frozen=True)
class Newsletter:
    """Every article and issue file, and the files that could not be read at all."""

    articles: dict[str, Article]
    issues: dict[str, Issue]
    unreadable: list[ContentError] = field(default_factory=list)
    duplicates: list[tuple[Article, Article]] = field(default_factory=list)

    def issue(self, week: str) -> Issue:
        try:
            return self.issues[week]
        except KeyError:
            raise ContentError(
                f"no issue {week}: expected content/issues/{week}.md"
                f" (start one with: brief issue new --week {week})"
            ) from None


def load_newsletter(settings: Settings) -> Newsletter:
    """Every article and issue file, read once with our parser (for commands; a build reads
    articles through Pelican, see `brief.site.model`)."""
    articles: dict[str, Article] = {}
    duplicates: list[tuple[Article, Article]] = []
    unreadable: list[ContentError] = []
    for path in sorted((settings.content / "articles").rglob("*.md")):
        try:
            article = article_from(read_document(path), settings.timezone)
        except ContentError as err:
            unreadable.append(err)
            continue
        if article.slug in articles:
            duplicates.append((articles[article.slug], article))
        else:
            articles[article.slug] = article
    issues, unreadable_issues = load_issues(settings)
    return Newsletter(articles, issues, unreadable + unreadable_issues, duplicates)


def load_issues(settings: Settings) -> tuple[dict[str, Issue], list[ContentError]]:
    """Every issue file, by week; and the files that could not be read."""
    issues: dict[str, Issue] = {}
    unreadable: list[ContentError] = []
    for path in sorted((settings.content / "issues").glob("*.md")):
        try:
            issue = issue_from(read_document(path), settings.timezone)
        except ContentError as err:
            unreadable.append(err)
            continue
        issues[issue.week or path.stem] = issue
    numbered = {issue.path: issue for issue in number_issues(issues.values())}
    return {key: numbered[issue.path] for key, issue in issues.items()}, unreadable


def write_new_file(path: Path, text: str) -> None:
    """Create `path` with `text`, atomically; refuse if anything is already there.

    The file gets the mode a new file gets here (the umask's). A failed write (a full
    disk, a read-only file system) leaves nothing behind and says which path.
    """
    if path.exists():
        raise ContentError("already exists; not overwriting an editor's file", path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ContentError(f"cannot create its folder: {err.strerror}", path) from err
    temp = _temp_file(path, text, new_file_mode())
    try:
        # link() fails if the name exists, even if another process created it just now.
        os.link(temp, path)
    except FileExistsError as err:
        raise ContentError("already exists; not overwriting an editor's file", path) from err
    except OSError as err:
        raise ContentError(f"cannot write: {err.strerror}", path) from err
    finally:
        temp.unlink(missing_ok=True)


def _temp_file(path: Path, text: str, mode: int) -> Path:
    """A temporary file next to `path` holding `text`, with `mode`; ContentError if the
    disk refuses (nothing is left behind)."""
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise ContentError(f"cannot write: {err.strerror}", path) from err
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
    except OSError as err:
        temp.unlink(missing_ok=True)
        raise ContentError(f"cannot write: {err.strerror}", path) from err
    return temp


def new_file_mode() -> int:
    """The mode this process gives a new file: 0666 less the umask."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no /proc: read the umask by setting it, then put it back
    os.umask(mask)
    return 0o666 & ~mask


def fingerprint(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


class EditConflict(ContentError):
    """The file changed on disk after the editor opened it: `current` is what it holds."""

    def __init__(self, path: Path, current: str):
        self.current = current
        super().__init__("changed on disk since you opened it; nothing was saved", path)


def content_writer(settings: Settings) -> ContentWriter:
    """The one way commands write under content/ (with the ledger the settings name)."""
    return ContentWriter(settings.root, settings.ledger)


class ContentWriter:
    """Every write under content/ goes through here.

    A ledger (`data/written.json`, next to the store, not in git) remembers the digest of
    each file a command wrote. A file whose digest still matches is *untouched*: the
    command may replace or delete it. Anything else is an editor's work and is only ever
    changed line by line, with a check that it did not change under our feet.
    """

    def __init__(self, root: Path, ledger: Path):
        self.root = root
        self.ledger = ledger

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self.ledger.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as err:
            raise ContentError(
                f"unreadable ledger ({err}); delete it to start afresh", self.ledger
            ) from err
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _save(self, entries: dict[str, str]) -> None:
        try:
            self.ledger.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ContentError(f"cannot create its folder: {err.strerror}", self.ledger) from err
        text = json.dumps(entries, indent=1, sort_keys=True)
        temp = _temp_file(self.ledger, text, new_file_mode())
        try:
            os.replace(temp, self.ledger)
        except OSError as err:
            temp.unlink(missing_ok=True)
            raise ContentError(f"cannot write: {err.strerror}", self.ledger) from err

    def _key(self, path: Path) -> str:
        return str(under(path, self.root))

    def _remember(self, path: Path, text: str | None) -> None:
        entries = self._load()
        if text is None:
            entries.pop(self._key(path), None)
            for key in [k for k in entries if k.startswith(f"{self._key(path)}#")]:
                del entries[key]  # the proposals of a file gone
        else:
            entries[self._key(path)] = fingerprint(text)
        self._save(entries)

    def create(self, path: Path, text: str, proposed: Sequence[str] = ()) -> None:
        """A new file, remembered in the ledger; if the ledger cannot be written, the new
        file is removed again, so content/ and the ledger always agree.

        `proposed`: header fields (lower case) the command proposed for the editor to
        review; the ledger keeps a digest of each, so `brief check` can tell which the
        editor has not touched since (`unreviewed`)."""
        write_new_file(path, text)
        try:
            self._remember(path, text)
            if proposed:
                meta = parse_document(text, path).meta
                entries = self._load()
                for name in proposed:
                    entries[f"{self._key(path)}#{name}"] = fingerprint(meta.get(name, ""))
                self._save(entries)
        except ContentError as err:
            path.unlink(missing_ok=True)
            raise ContentError(f"{err}; so {path.name} was not written either", path) from err

    def unreviewed(self, path: Path, meta: Mapping[str, str]) -> list[str]:
        """The proposed header fields of `path` still exactly as the command proposed them,
        and not listed in its `Reviewed:` field (the editor's "these are right")."""
        reviewed = {name.strip().lower() for name in meta.get("reviewed", "").split(",")}
        entries = self._load()
        prefix = f"{self._key(path)}#"
        return [
            key.removeprefix(prefix)
            for key, digest in sorted(entries.items())
            if key.startswith(prefix)
            and key.removeprefix(prefix) not in reviewed
            and digest == fingerprint(meta.get(key.removeprefix(prefix), ""))
        ]

    def untouched(self, path: Path) -> bool:
        """True if `path` is exactly as a command wrote it (no editor changed it since)."""
        known = self._load().get(self._key(path))
        try:
            return known is not None and known == fingerprint(path.read_bytes())
        except FileNotFoundError:
            return False

    def update(self, path: Path, change: Callable[[str], str]) -> bool:
        """Rewrite `path` with `change(text)`, atomically; False when nothing changed.

        If the file changes between our read and our write (an editor saving it), nothing
        is written and a ContentError says so.
        """
        try:
            before = path.read_bytes()
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError as err:
            raise ContentError(f"cannot read: {err.strerror}", path) from err
        was_untouched = self.untouched(path)
        try:
            text = before.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ContentError(f"not UTF-8 text (byte {err.start})", path) from err
        after = change(text)
        if after == text:
            return False
        temp = _temp_file(path, after, mode)  # the file keeps its mode
        try:
            if path.read_bytes() != before:
                raise ContentError(
                    "changed while brief was updating it; run the command again", path
                )
            os.replace(temp, path)
        except OSError as err:
            raise ContentError(f"cannot write: {err.strerror}", path) from err
        finally:
            temp.unlink(missing_ok=True)
        self._remember(path, after if was_untouched else None)
        return True

    def save(self, path: Path, change: Callable[[str], str], opened: str) -> None:
        """An editor's save of `path`, opened when its fingerprint was `opened`: the file
        becomes `change(text)`, atomically. EditConflict, with the file as it is now, when
        anyone changed it since; nothing is written then. The change is made to the file
        as it is on disk, never to a copy that went through a browser. The file becomes
        the editor's (no command replaces it); what a command proposed stays to review.
        Saves take turns (a lock beside the ledger), so two at once cannot both pass the
        check and the second silently replace the first."""
        with self._saving():
            self._save_now(path, change, opened)

    @contextmanager
    def _saving(self) -> Iterator[None]:
        lock = self.ledger.with_name("saves.lock")
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise ContentError(f"cannot create the save lock: {err.strerror}", lock) from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when closed, however the process ends
            yield
        finally:
            os.close(fd)

    def _save_now(self, path: Path, change: Callable[[str], str], opened: str) -> None:
        try:
            before = path.read_bytes()
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError as err:
            raise ContentError(f"cannot read: {err.strerror}", path) from err
        if fingerprint(before) != opened:
            raise EditConflict(path, before.decode("utf-8", "replace"))
        try:
            text = change(before.decode("utf-8"))
        except UnicodeDecodeError as err:
            raise ContentError(f"not UTF-8 text (byte {err.start})", path) from err
        temp = _temp_file(path, text, mode)
        try:
            if path.read_bytes() != before:  # a save between our read and our write
                now = path.read_bytes()
                raise EditConflict(path, now.decode("utf-8", "replace"))
            os.replace(temp, path)
        except OSError as err:
            raise ContentError(f"cannot write: {err.strerror}", path) from err
        finally:
            temp.unlink(missing_ok=True)
        entries = self._load()
        if entries.pop(self._key(path), None) is not None:
            self._save(entries)

    def delete_untouched(self, path: Path, what_to_do: str) -> str:
        """Delete a file no editor changed since we wrote it; what it held."""
        if not self.untouched(path):
            raise ContentError(
                f"was edited since brief wrote it, so it is kept; {what_to_do}", path
            )
        try:
            text = path.read_text(encoding="utf-8")
            path.unlink()
        except OSError as err:
            raise ContentError(f"cannot delete: {err.strerror}", path) from err
        self._remember(path, None)
        return text
