"""The build cache's copy of a Convex deployment (or export): one SQLite file per source under the cache dir.

It keeps every version read so far (its snapshot document, its ``sha256`` and its binary files' bytes), the
threads' metadata, the cursor the next run resumes from and the versions refused, each page written in one
transaction with the cursor after it: an interrupted run resumes where it stopped, never skipping a version.
A version id seen again with another ``sha256`` is refused and the first copy stays (versions are immutable).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs_hybrid.model.errors import HybridError

__all__ = ["Mirror", "MirrorReader", "MirroredVersion", "PageWrite", "mirror_path"]

MIRROR_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS versions (seq INTEGER PRIMARY KEY, thread TEXT NOT NULL, version TEXT NOT NULL,
    sha256 TEXT NOT NULL, document TEXT NOT NULL, UNIQUE (thread, version));
CREATE TABLE IF NOT EXISTS blobs (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refused (thread TEXT NOT NULL, version TEXT NOT NULL, sha256 TEXT NOT NULL,
    problem TEXT NOT NULL, PRIMARY KEY (thread, version, sha256)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS threads (thread TEXT PRIMARY KEY, meta TEXT NOT NULL) WITHOUT ROWID
"""


def mirror_path(cache_dir: Path, kind: str, where: str) -> Path:
    """The mirror of one source (``where``: the deployment URL or the export's path)."""
    return cache_dir / "convex" / f"{kind}-{hashlib.sha256(where.encode('utf-8')).hexdigest()[:16]}.sqlite"


@dataclass(frozen=True)
class MirroredVersion:
    thread: str
    version: str
    sha256: str


@dataclass
class PageWrite:
    """What one page adds, written in one transaction: versions ``(thread, version, sha256, document)``,
    binary contents by sha256, refusals ``(thread, version, sha256, problem)``, threads' metadata."""

    versions: list[tuple[str, str, str, str]] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    refused: list[tuple[str, str, str, str]] = field(default_factory=list)
    threads: dict[str, str] = field(default_factory=dict)


class Mirror:
    """One mirror file, created on first use (a broken one is replaced: it is only a cache)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def known(self) -> dict[tuple[str, str], str]:
        """(thread, version) -> sha256 of every version kept."""
        with self._db() as db:
            return {(t, v): s for t, v, s in db.execute("SELECT thread, version, sha256 FROM versions")}

    def versions(self) -> list[MirroredVersion]:
        """Every version kept, in the order they were read (the deployment's creation order)."""
        with self._db() as db:
            return [MirroredVersion(*row) for row in db.execute("SELECT thread, version, sha256 FROM versions "
                                                                "ORDER BY seq")]

    def refusals(self) -> list[tuple[str, str, str]]:
        with self._db() as db:
            return list(db.execute("SELECT thread, version, problem FROM refused ORDER BY thread, version"))

    def threads(self) -> dict[str, dict[str, Any]]:
        with self._db() as db:
            return {thread: json.loads(meta) for thread, meta in db.execute("SELECT thread, meta FROM threads")}

    def state(self, key: str) -> str | None:
        with self._db() as db:
            row = db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def write(self, page: PageWrite, state: Mapping[str, str | None]) -> None:
        """A page's versions and the state after it (the cursor), all or nothing."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT OR IGNORE INTO blobs (sha256, data) VALUES (?, ?)", page.blobs.items())
            db.executemany("INSERT OR IGNORE INTO versions (thread, version, sha256, document) VALUES (?, ?, ?, ?)",
                           page.versions)
            db.executemany("INSERT OR IGNORE INTO refused (thread, version, sha256, problem) VALUES (?, ?, ?, ?)",
                           page.refused)
            db.executemany("INSERT OR REPLACE INTO threads (thread, meta) VALUES (?, ?)", page.threads.items())
            db.executemany("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", state.items())
            db.execute("COMMIT")

    def document(self, thread: str, version: str) -> tuple[dict[str, Any], dict[str, bytes]] | None:
        """A kept version's snapshot document and its binary files' bytes by sha256, or ``None``."""
        with self._db() as db:
            row = db.execute("SELECT document FROM versions WHERE thread = ? AND version = ?",
                             (thread, version)).fetchone()
            if row is None:
                return None
            document = json.loads(row[0])
            wanted = list(document.get("binary", {}).values())
            blobs = {sha: bytes(data) for sha, data in db.execute(
                f"SELECT sha256, data FROM blobs WHERE sha256 IN ({','.join('?' * len(wanted))})", wanted)}
        return document, blobs

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """The mirror's connection, opened once (a scan reads thousands of documents through it)."""
        try:
            if self._connection is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                try:
                    self._prepare(connection)
                except BaseException:
                    connection.close()
                    raise
                self._connection = connection
            yield self._connection
        except sqlite3.DatabaseError as exc:
            self.close()
            raise HybridError(f"{self.path}: the Convex source's cache cannot be used ({exc}); delete it and "
                              "rerun the build (it is read again from the source)") from None

    def _prepare(self, db: sqlite3.Connection) -> None:
        if db.execute("PRAGMA user_version").fetchone()[0] == MIRROR_VERSION:
            return
        db.execute("PRAGMA journal_mode=WAL")
        for statement in filter(str.strip, _SCHEMA.split(";\n")):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {MIRROR_VERSION}")


class MirrorReader:
    """Reads a kept version's files for the bundler (picklable: a process pool gets the path)."""

    def __init__(self, path: str, origin: str, thread: str, version: str) -> None:
        self.path = path
        self.origin = origin
        self.thread = thread
        self.version = version

    def read(self, path: str) -> bytes:
        return self.read_all([path])[path]

    def read_all(self, paths: Iterable[str]) -> Mapping[str, bytes]:
        mirror = Mirror(Path(self.path))
        with closing(mirror):
            found = mirror.document(self.thread, self.version)
        if found is None:
            raise KeyError(f"{self.origin} is no longer in the build cache")
        files = document_files(*found)
        return {path: _bytes(files[path]) for path in paths}


def _bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def document_files(document: Mapping[str, Any], blobs: Mapping[str, bytes]) -> dict[str, str | bytes]:
    """A kept document's files: text as ``str``, binary files' bytes from their blobs."""
    files: dict[str, str | bytes] = dict(document["snapshot"]["files"])
    for path, sha in document.get("binary", {}).items():
        files[path] = blobs[sha]
    return files
