"""File helpers every stage shares: joining ids under a root safely, writing only what changed, and the stat index.

:func:`safe_join` and :func:`write_if_changed` are how every stage writes into the site; the rest of this
module is the stat index: what was last made of some files, valid while their stat has not changed.

A rebuild of thousands of unchanged snapshots should neither read their sources nor re-read
their artifacts. Like git's index (and the manifest of mkdocs-material's social cache), this
keeps, per origin (a version folder, a snapshot JSON file, a ``thread.yml``, an artifact
folder), a signature of the stat of every file concerned (size, mtime, ctime, inode) and a
record of what was made of them. While the signature matches, the record stands for the files.

An entry whose newest file is younger than ``RACY_SECONDS`` is not stored: a coarse file-system
clock could not tell it from an edit of the same size a moment later. Indexes live in the build
cache and are safe to delete.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mkdocs_hybrid.model.durable import write_atomic
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.snapshot import read_regular

INDEX_FORMAT = 1
RACY_SECONDS = 2

def safe_join(root: Path, *parts: str) -> Path:
    """``root/parts...``, or an error when a part could lead outside ``root``.

    Checked lexically (every part one plain name): resolving symlinks on every write cost more than
    rendering, and the parts are ids that were validated when the snapshot was read.
    """
    check_parts(parts)
    return root.joinpath(*parts)


def check_parts(parts: tuple[str, ...]) -> None:
    for part in parts:
        if not part or part in (".", "..") or "/" in part or "\\" in part or "\0" in part:
            raise HybridError(f"refusing to write outside the output folder: {'/'.join(parts)}")


def write_if_changed(path: Path, data: bytes | None) -> None:
    """Write ``data`` (making the folder) unless the file already holds it (``None``: remove the file);
    unchanged files keep their stat, which the stat index reads."""
    if data is None:
        path.unlink(missing_ok=True)
        return
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data)


StatEntry = tuple[str, os.stat_result]
"""A file's name (as the source knows it) and its stat."""


def stat_signature(entries: Iterable[StatEntry], *, salt: str = "") -> tuple[str, int]:
    """A digest of the names and stats, and the newest modification time among them (ns)."""
    newest = 0
    parts = []  # digested at once: the same digest as one update per file, in one call
    for name, stat in entries:
        mtime, ctime = stat.st_mtime_ns, stat.st_ctime_ns
        parts.append(f"\0{name}\0{stat.st_size}:{mtime}:{ctime}:{stat.st_ino}")
        newest = max(newest, mtime, ctime)
    return hashlib.blake2b(salt.encode() + "".join(parts).encode(), digest_size=16).hexdigest(), newest


class StatIndex:
    """Records by origin (a folder or file path), valid while their stat signature matches."""

    def __init__(self, path: Path | None, settings: object) -> None:
        """``path`` ``None`` keeps nothing between runs; ``settings`` (limits, format) must match to reuse."""
        self.path = path
        self.settings = json.dumps([INDEX_FORMAT, settings], sort_keys=True, default=str)
        self._racy_after = time.time_ns() - RACY_SECONDS * 1_000_000_000
        self._entries: dict[str, list[Any]] = self._load()
        self._seen: set[str] = set()
        self._dirty = False

    def peek(self, origin: str) -> dict[str, Any] | None:
        """The record of ``origin`` before its signature is checked (to learn which files to stat)."""
        entry = self._entries.get(origin)
        return entry[1] if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], dict) else None

    def lookup(self, origin: str, signature: str) -> dict[str, Any] | None:
        self._seen.add(origin)
        entry = self._entries.get(origin)
        if not isinstance(entry, list) or len(entry) != 2 or entry[0] != signature or not isinstance(entry[1], dict):
            return None
        return entry[1]

    def store(self, origin: str, signature: str, newest: int, record: dict[str, Any]) -> None:
        self._seen.add(origin)
        if newest >= self._racy_after:
            self._entries.pop(origin, None)  # too fresh to trust: read it again next time
        else:
            self._entries[origin] = [signature, record]
        self._dirty = True

    def save(self, *, prune: bool = True) -> None:
        """Write the index if it changed; ``prune`` drops origins this scan did not see (deleted sources)."""
        if prune:
            gone = set(self._entries) - self._seen
            for origin in gone:
                del self._entries[origin]
            self._dirty |= bool(gone)
        if self.path is None or not self._dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps({"settings": self.settings, "entries": self._entries},
                                               separators=(",", ":")))
        except OSError:
            pass  # only a cache: the next scan reads the sources again
        self._dirty = False

    def _load(self) -> dict[str, list[Any]]:
        if self.path is None:
            return {}
        try:
            data = json.loads(read_regular(str(self.path)))  # a FIFO in the cache is refused, not waited on
        except (OSError, ValueError, RecursionError):
            return {}
        if not isinstance(data, dict) or data.get("settings") != self.settings:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}
