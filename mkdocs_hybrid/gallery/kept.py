"""Standalone gallery pages a rebuild need not render again: their inputs and their files are as it left them.

A no-op rebuild of 12,500 threads used to render and rewrite every thread page and every index page to find
the same bytes. With a stat index (:class:`~mkdocs_hybrid.model.files.StatIndex`), each page (or the group of
index pages and their data file, which show the whole catalog) is recorded under a key of everything it is made
of, salted with the stat of its files: while both match, the files stand as they are. Any change of the catalog
entry, the arguments, the templates or the rendering code changes the key; any write to the files (or their
removal) changes the stat. Files are written only when their bytes change, so an unchanged page keeps its stat.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from mkdocs_hybrid.model.files import StatIndex, stat_signature, write_if_changed

__all__ = ["KeptPages", "code_digest"]

GROUP = "\0group"
"""The origin (in the site folder) of the record that stands for several files: the index pages and data file."""


def code_digest(*sources: str | None) -> str:
    """A digest of the source files of the modules that render the pages (their code is part of every key)."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(Path(source or "").read_bytes() + b"\0")
    return digest.hexdigest()


class KeptPages:
    """The site's gallery pages as the last build left them (nothing is kept without an ``index``)."""

    def __init__(self, site_dir: Path, index: StatIndex | None, salt: str) -> None:
        self.site_dir = site_dir
        self.index = index
        self.salt = salt
        """Everything every page depends on besides its own inputs (arguments, templates, code)."""

    def current(self, key: str, paths: Sequence[str] | None = None) -> list[str] | None:
        """The site-relative paths recorded for ``key`` (one page: ``paths``, or those the record names) when
        they still hold what was written for it; else ``None``."""
        if self.index is None:
            return None
        origin = self._origin(paths)
        if paths is None:
            record = self.index.peek(origin)
            named = record.get("paths") if record is not None else None
            if not isinstance(named, list) or not all(isinstance(path, str) for path in named):
                return None
            paths = named
        if self.index.lookup(origin, self._signature(key, paths)[0]) is None:
            return None
        return list(paths)

    def write(self, key: str, pages: dict[str, bytes], group: bool = False) -> None:
        """Write ``pages`` (site-relative path -> bytes) where their bytes changed, and record them for ``key``."""
        for relative, content in pages.items():
            write_if_changed(self.site_dir / relative, content)
        if self.index is not None:
            paths = list(pages)
            origin = self._origin(None if group else paths)
            signature, newest = self._signature(key, paths)
            self.index.store(origin, signature, newest, {"paths": paths} if group else {})

    def render(self, key: str, relative: str, make: Callable[[], bytes]) -> None:
        """One page: kept while current, else made and written."""
        if self.current(key, [relative]) is None:
            self.write(key, {relative: make()})

    def _origin(self, paths: Sequence[str] | None) -> str:
        if paths is None:
            return os.path.join(os.path.abspath(self.site_dir), GROUP)
        return os.path.abspath(self.site_dir / paths[0])

    def _signature(self, key: str, paths: Sequence[str]) -> tuple[str, int]:
        try:
            stats = [(relative, os.stat(self.site_dir / relative)) for relative in paths]
        except OSError:
            return "missing", 0  # matches no record: the pages are made again
        return stat_signature(stats, salt=f"{self.salt}\0{key}")
