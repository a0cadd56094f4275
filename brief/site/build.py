"""Building the site: Pelican with our theme and plugin, failing loudly on any error."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from jinja2 import TemplateError

from brief.ground.errors import BuildError
from brief.ground.settings import Settings

PLUGIN = "brief.site.plugin"


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def build_site(settings: Settings, keep: Callable[[Sequence[Any]], None] | None = None) -> str:
    """Run Pelican (whose finalized signal builds the search index and digests).

    `keep` is handed this build's generators once they have read everything (the preview
    keeps them, to re-render a page without building again)."""
    from pelican import Pelican, signals

    if keep is not None:
        signals.all_generators_finalized.connect(keep, weak=False)
    collector = _Collector()
    root = logging.getLogger()
    root.addHandler(collector)
    started = time.perf_counter()
    try:
        pelican = Pelican(dict(settings.pelican))
        loaded = [getattr(p, "__name__", str(p)) for p in pelican.plugins]
        if PLUGIN not in loaded:
            raise BuildError(
                f"the Pelican plugin {PLUGIN} did not load (PLUGINS in {settings.config_file});"
                " is the project installed in this Python?"
            )
        pelican.run()
    except OSError as err:
        where = err.filename or settings.output
        raise BuildError(
            f"the build stopped: cannot write {where}: {err.strerror or err}; the site in"
            f" {settings.output} is incomplete: free some space (or fix permissions) and"
            " build again"
        ) from err
    except RuntimeError as err:  # Pelican's own refusals, e.g. a file written twice
        raise BuildError(f"the build stopped: {err}") from err
    except TemplateError as err:  # the theme's mistake, not the content's nor ours
        raise BuildError(f"the build stopped: a template failed: {_where(err)}") from err
    finally:
        root.removeHandler(collector)
        if keep is not None:
            signals.all_generators_finalized.disconnect(keep)
    if collector.messages:
        listed = "\n  ".join(collector.messages)
        count = len(collector.messages)
        raise BuildError(f"the build logged {count} error{'s' if count > 1 else ''}:\n  {listed}")
    seconds = time.perf_counter() - started
    return f"Built {settings.output} in {seconds:.1f} s; digests in {settings.output / 'digest'}"


def _where(err: TemplateError) -> str:
    """A template error with the template and line it happened at, when Jinja knows them."""
    frames = traceback.extract_tb(err.__traceback__)
    for frame in reversed(frames):
        if frame.filename.endswith((".html", ".txt", ".xml")):
            return f"{frame.filename}:{frame.lineno}: {type(err).__name__}: {err}"
    return f"{type(err).__name__}: {err}"
