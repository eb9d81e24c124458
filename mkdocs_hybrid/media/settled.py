"""Versions whose media a rebuild need not look at: their artifact folder is as the last build left it.

A no-op rebuild used to read every version's ``meta.json`` twice (for its media key, then to list the media in
it), its cache entry's ``media.json``, and to remove media files that were not there (with media off: three
``unlink`` calls and a JSON round trip per version, 5.6 s at 50,000 versions). After a build has put a version's
media in place and listed them in its ``meta.json``, this index records the media it holds under the stat of
the artifact folder, its ``meta.json`` and its media files, salted with everything the media depend on besides
the served bytes (``meta.json`` carries their digests): the stage's settings and tools' key, the version's
request (poster, video, attached video and its digest) and where media are hosted. While all of that matches,
the version's media are what the record says, in the site and in ``meta.json``.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

from mkdocs_hybrid.model.catalog import MediaFile
from mkdocs_hybrid.model.files import StatIndex, check_parts, stat_signature
from mkdocs_hybrid.model.layout import ARTIFACTS, Parts

__all__ = ["SettledMedia"]


class SettledMedia:
    """The media of versions whose artifact folders are as recorded (a thin layer over a stat index)."""

    def __init__(self, site_dir: Path, index: StatIndex, salt: str) -> None:
        self.site = os.fspath(site_dir)
        self.index = index
        self.salt = salt
        """What every version's media depend on besides its own request: the stage's key (or media off)."""

    def lookup(self, parts: Parts, request: str) -> tuple[MediaFile, ...] | None:
        """The media recorded for the version at ``parts`` with ``request`` (``repr`` of what it asked for),
        while its folder, ``meta.json`` and media files are as recorded; else ``None``."""
        folder = self._folder(parts)
        record = self.index.peek(folder)
        if record is None:
            return None
        try:
            files = tuple(MediaFile(**item) for item in record["files"])
        except (KeyError, TypeError):
            return None
        signature = self._signature(folder, files, request)
        if signature is None or self.index.lookup(folder, signature[0]) is None:
            return None
        return files

    def store(self, parts: Parts, request: str, files: tuple[MediaFile, ...]) -> None:
        """Record the version's media as its folder holds them now (after ``meta.json`` lists them)."""
        folder = self._folder(parts)
        signature = self._signature(folder, files, request)
        if signature is not None:
            self.index.store(folder, *signature, {"files": [asdict(media) for media in files]})

    def save(self) -> None:
        self.index.save()

    def _folder(self, parts: Parts) -> str:
        check_parts(parts)  # plain strings, as safe_join checks them: this runs once per version
        return os.path.join(self.site, ARTIFACTS, *parts)

    def _signature(self, folder: str, files: tuple[MediaFile, ...], request: str) -> tuple[str, int] | None:
        names = ["meta.json", *(media.name for media in files)]
        try:
            # the folder's own stat changes when a file is added, removed or replaced in it
            stats = [(".", os.stat(folder))] + [(name, os.stat(os.path.join(folder, name))) for name in names]
        except OSError:
            return None
        return stat_signature(stats, salt=f"{self.salt}\0{request}")
