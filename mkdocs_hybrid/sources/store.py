"""The editor's embedded store: saved versions as snapshot JSON in one SQLite file (WAL).

``mkdocs-hybrid serve`` saves each version the editor sends here, and the manifest reads the file back
as a source (``{type: store, path: editor.sqlite}``), so the build treats a saved version exactly as a
snapshot JSON file. A version is immutable: saving an existing (thread, version) is refused, and
triggers refuse any UPDATE or DELETE, so a share link's inputs can never change under it.

This module is only the storage; validation is :func:`mkdocs_hybrid.sources.snapshot_json.parse_snapshot_json`,
run by its callers before :meth:`SnapshotStore.save` and by the scan on every row it reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from mkdocs_hybrid.model.errors import HybridError, SnapshotError, clipped
from mkdocs_hybrid.model.snapshot import file_kind

STORE_VERSION = 1
"""``PRAGMA user_version`` of a store file: anything else is not ours, and is left alone."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    thread TEXT NOT NULL,
    version TEXT NOT NULL,
    title TEXT,
    document TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (thread, version)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS versions_never_change BEFORE UPDATE ON versions
BEGIN SELECT RAISE(ABORT, 'saved versions are immutable'); END;
CREATE TRIGGER IF NOT EXISTS versions_never_go BEFORE DELETE ON versions
BEGIN SELECT RAISE(ABORT, 'saved versions are immutable'); END;
"""


class StoreError(HybridError):
    """The store file cannot be used (not a store, locked, unreadable)."""


class VersionExists(SnapshotError):
    """A (thread, version) is already saved: versions are immutable."""


@dataclass(frozen=True)
class StoredVersion:
    """One row's facts, without its document (listings stay small)."""

    thread: str
    version: str
    title: str | None
    sha256: str
    saved_at: str


def store_origin(path: str | Path, thread: str, version: str) -> str:
    """How errors name a stored version: ``store.sqlite#thread/version``."""
    return f"{path}#{thread}/{version}"


class SnapshotStore:
    """One store file. Reading a missing file finds no versions; only :meth:`save` creates it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def versions(self) -> list[StoredVersion]:
        """Every saved version, by thread then version id (an absent file holds none)."""
        if not self._exists():
            return []
        with self._reading() as db:
            rows = db.execute("SELECT thread, version, title, sha256, saved_at FROM versions ORDER BY thread, version")
            return [StoredVersion(*row) for row in rows]

    def document(self, thread: str, version: str) -> str | None:
        """The snapshot JSON saved for ``thread/version``, or ``None``."""
        if not self._exists():
            return None
        with self._reading() as db:
            row = db.execute("SELECT document FROM versions WHERE thread = ? AND version = ?",
                             (thread, version)).fetchone()
        return None if row is None else str(row[0])

    def documents(self) -> Iterator[tuple[StoredVersion, str]]:
        """Every saved version with its snapshot JSON, by thread then version id, through one connection (an
        export reads them all)."""
        if not self._exists():
            return
        with self._reading() as db:
            for *row, document in db.execute("SELECT thread, version, title, sha256, saved_at, document "
                                              "FROM versions ORDER BY thread, version"):
                yield StoredVersion(*row), str(document)

    def count(self) -> int:
        return len(self.versions())

    def save(self, thread: str, version: str, data: Mapping[str, object]) -> StoredVersion:
        """Store a validated snapshot JSON document; an existing (thread, version) is refused, never replaced."""
        document = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        title = data.get("title")
        row = StoredVersion(thread, version, title if isinstance(title, str) else None,
                            hashlib.sha256(document.encode("utf-8")).hexdigest(),
                            datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
        with self._writing() as db:
            try:
                db.execute("INSERT INTO versions (thread, version, title, document, sha256, saved_at) "
                           "VALUES (?, ?, ?, ?, ?, ?)",
                           (thread, version, row.title, document, row.sha256, row.saved_at))
            except sqlite3.IntegrityError:
                raise VersionExists("this version is already saved and saved versions never change; "
                                    "save your change as a new version", thread=thread, version=version,
                                    path=str(self.path)) from None
        return row

    def _exists(self) -> bool:
        """Whether the store file exists; a FIFO, a device or a folder in its place is refused, never opened
        (SQLite would block reading a FIFO)."""
        try:
            mode = os.stat(self.path).st_mode
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StoreError(f"{clipped(str(self.path))}: cannot read the editor's store ({exc.strerror})") from None
        if not stat.S_ISREG(mode):
            raise StoreError(f"{clipped(str(self.path))} is {file_kind(mode)}, not the editor's store (a SQLite "
                             "file); point the store source at a file")
        return True

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        try:
            with closing(sqlite3.connect(self.path, timeout=30)) as db:
                self._check_format(db, creating=False)
                yield db
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot read the editor's store ({exc})") from None

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        self._exists()
        try:
            with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("BEGIN IMMEDIATE")
                try:
                    self._check_format(db, creating=True)
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot write the editor's store ({exc})") from None

    def _check_format(self, db: sqlite3.Connection, *, creating: bool) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        empty = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        if creating and version == 0 and empty:
            for statement in filter(str.strip, _SCHEMA.split(";\n")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {STORE_VERSION}")
        elif version != STORE_VERSION:
            raise StoreError(f"{self.path} is not an editor store (user_version {version}, expected "
                             f"{STORE_VERSION}); point the store source at another file")


class StoreReader:
    """Reads a stored version's files on demand for the bundler (picklable: a process pool gets the path)."""

    def __init__(self, path: str, thread: str, version: str) -> None:
        self.path = path
        self.thread = thread
        self.version = version
        self.origin = store_origin(path, thread, version)

    def read(self, path: str) -> bytes:
        return self.read_all([path])[path]

    def read_all(self, paths: Iterable[str]) -> Mapping[str, bytes]:
        document = SnapshotStore(Path(self.path)).document(self.thread, self.version)
        if document is None:
            raise KeyError(f"{self.origin} is no longer in the store")
        files = json.loads(document)["files"]
        return {path: files[path].encode("utf-8") for path in paths}
