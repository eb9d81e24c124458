"""The bundle cache: esbuild's output for each bundle key, in one SQLite file; safe to delete.

One database row instead of two files per bundle: on a busy disk, creating thousands of small
files cost more than bundling them (see BENCHMARKS.md). The file uses WAL with
``synchronous=NORMAL``, so a crash may forget the last bundles (they are built again), and a
damaged or foreign file is replaced by an empty cache rather than failing the build.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mkdocs_hybrid.bundle.bundler import Bundle

CACHE_FILE = "bundles.sqlite"
COMMIT_EVERY = 256
COMMIT_AFTER_SECONDS = 0.5
"""Hold the write lock briefly: shards on one machine may share the cache."""

_SCHEMA = ("CREATE TABLE IF NOT EXISTS bundles(key TEXT PRIMARY KEY, js BLOB NOT NULL, css BLOB NOT NULL);"
           "CREATE TABLE IF NOT EXISTS imports(key TEXT PRIMARY KEY, specifiers TEXT NOT NULL);"
           "CREATE TABLE IF NOT EXISTS html(key TEXT PRIMARY KEY, text TEXT NOT NULL)")


class BundleCache:
    """``key -> (js, css)``, the bare imports esbuild found for a snapshot (``imports``), and HTML that is costly
    to make again (``html``: the page around an ``index.html`` entry's bundle, gallery fragments); used from one
    thread (the build's parent), committed on :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pending = 0
        self._began = 0.0
        self._db = self._open() or self._open(fresh=True)

    def get(self, key: str) -> tuple[bytes, bytes] | None:
        row = self._row("SELECT js, css FROM bundles WHERE key = ?", key)
        return (row[0], row[1]) if row else None

    def has(self, key: str) -> bool:
        """Whether the cache holds a bundle for ``key`` (without reading its bytes)."""
        return self._row("SELECT 1 FROM bundles WHERE key = ?", key) is not None

    def put(self, key: str, js: bytes, css: bytes) -> None:
        self._write("INSERT OR REPLACE INTO bundles VALUES (?, ?, ?)", (key, js, css))

    def keep(self, key: str, bundle: Bundle) -> None:
        """A bundle esbuild made: its JS and CSS, and its HTML entry's page template when it has one (a build
        that reads the bundle back needs both)."""
        self.put(key, bundle.js, bundle.css)
        if bundle.html is not None:
            self.put_html(key, bundle.html.template)

    def get_imports(self, key: str) -> tuple[str, ...] | None:
        row = self._row("SELECT specifiers FROM imports WHERE key = ?", key)
        try:
            return tuple(json.loads(row[0])) if row else None
        except (ValueError, TypeError):
            return None

    def put_imports(self, key: str, specifiers: tuple[str, ...]) -> None:
        self._write("INSERT OR REPLACE INTO imports VALUES (?, ?)", (key, json.dumps(list(specifiers))))

    def get_html(self, key: str) -> str | None:
        row = self._row("SELECT text FROM html WHERE key = ?", key)
        return str(row[0]) if row else None

    def put_html(self, key: str, text: str) -> None:
        self._write("INSERT OR REPLACE INTO html VALUES (?, ?)", (key, text))

    def _row(self, sql: str, key: str) -> tuple[Any, ...] | None:
        """One row, or ``None`` (also when the cache is unusable: it is only a cache)."""
        if self._db is None:
            return None
        try:
            row: tuple[Any, ...] | None = self._db.execute(sql, (key,)).fetchone()
            return row
        except sqlite3.Error:
            return None

    def _write(self, sql: str, row: tuple[object, ...]) -> None:
        if self._db is None:
            return
        try:
            if not self._db.in_transaction:
                self._db.execute("BEGIN IMMEDIATE")
                self._began = time.monotonic()
            self._db.execute(sql, row)
            self._pending += 1
            if self._pending >= COMMIT_EVERY or time.monotonic() - self._began > COMMIT_AFTER_SECONDS:
                self._commit()
        except sqlite3.Error:
            self._db = None  # a cache that cannot be written is no cache: build on without it

    def close(self) -> None:
        if self._db is None:
            return
        try:
            self._commit()
        except sqlite3.Error:
            pass
        self._db.close()
        self._db = None

    def __enter__(self) -> BundleCache:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _commit(self) -> None:
        assert self._db is not None
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        self._pending = 0

    def _open(self, *, fresh: bool = False) -> sqlite3.Connection | None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if fresh:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.execute("PRAGMA busy_timeout = 60000")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.executescript(_SCHEMA)
            db.execute("SELECT key, js, css FROM bundles LIMIT 0")
            return db
        except (sqlite3.Error, OSError):
            return None
