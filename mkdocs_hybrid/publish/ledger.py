"""The publish ledger: what was published, byte for byte, and where ``latest`` pointed.

A (thread, version) is *published* the first time its artifact is written into a
site. From then on it is immutable:

- a snapshot whose files (entry, files, dependency specs) changed under the same
  version id is refused and the published artifact is served;
- the same inputs rebuilt into different bytes (new esbuild, new template) keep
  the published bytes, unless the operator republishes (``--republish t/v``);
- a published version whose rebuild fails, or whose snapshot disappeared from the
  sources, keeps its published artifact in the site and in the catalog.

Storage: one SQLite file (stdlib, WAL, ``busy_timeout``), by default
``<manifest dir>/.mkdocs-hybrid/ledger.sqlite`` (``build.ledger``), holding the
rows and the published artifact files themselves (``blobs``, by sha256: one
database write costs far less than creating a file per artifact file).
It is *not* in the cache folder: the cache is safe to delete, the ledger is not.
The build process is the only writer, and a build writes in one transaction
(taken with ``BEGIN IMMEDIATE`` after bundling, committed after the catalog is
known), so a build killed at any point leaves either all rows and blobs of a
version or none. Opening an existing ledger writes nothing, so readers (``history``,
``share``) never wait for a build; a ``pin`` or a second build waits up to
``BUSY_TIMEOUT`` and then says the ledger is busy.

Times (``published_at``, ``changed_at``) honour ``SOURCE_DATE_EPOCH``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs_hybrid.model.catalog import Catalog, VersionEntry
from mkdocs_hybrid.model.durable import storage_error
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.layout import VENDOR
from mkdocs_hybrid.publish.policy import PublishedVersion, StoreDecision

if TYPE_CHECKING:
    from mkdocs_hybrid.config.manifest import Manifest

LEDGER_FORMAT = 1
FetchBytes = Callable[[PublishedVersion, Mapping[str, tuple[str, int]], str], Mapping[str, bytes] | None]
"""(published row, name -> (sha256, size) of the files the ledger lacks, why) -> those files, or ``None``."""
BUSY_TIMEOUT = 60
"""Seconds a writer waits for another to release the ledger before saying it is busy."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger_info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS versions(
    thread TEXT NOT NULL, version TEXT NOT NULL,
    published_at TEXT NOT NULL, republished_at TEXT,
    snapshot_key TEXT NOT NULL, build_key TEXT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (thread, version));
CREATE TABLE IF NOT EXISTS files(
    thread TEXT NOT NULL, version TEXT NOT NULL, name TEXT NOT NULL,
    sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    PRIMARY KEY (thread, version, name),
    FOREIGN KEY (thread, version) REFERENCES versions(thread, version) ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS latest_history(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    thread TEXT NOT NULL, version TEXT NOT NULL, changed_at TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('build', 'pin')));
CREATE TABLE IF NOT EXISTS pins(thread TEXT PRIMARY KEY, version TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pin_changes(thread TEXT PRIMARY KEY, version TEXT, changed_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs(sha256 TEXT PRIMARY KEY, data BLOB NOT NULL);
"""
_TABLES = tuple(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", _SCHEMA))


TABLE_COLUMNS = {
    "versions": "thread, version, published_at, republished_at, snapshot_key, build_key, entry",
    "files": "thread, version, name, sha256, size",
    "latest_history": "thread, version, changed_at, reason",
    "pins": "thread, version",
}
"""What a shard's partial ledger copies, by table (the thread is the first column)."""


def select_sql(table: str, where: str = "") -> str:
    return f"SELECT {TABLE_COLUMNS[table]} FROM {table} {where}"


def insert_sql(table: str) -> str:
    columns = TABLE_COLUMNS[table]
    return f"INSERT INTO {table}({columns}) VALUES ({', '.join('?' * len(columns.split(',')))})"


def now() -> str:
    """UTC ``YYYY-MM-DDTHH:MM:SSZ``: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    seconds = int(epoch) if epoch and epoch.strip().isdigit() else int(time.time())
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def ledger_path(manifest: Manifest) -> Path | None:
    """Where ``build.ledger`` puts the ledger (relative to the manifest), or ``None`` when disabled."""
    value = getattr(manifest.build, "ledger", ".mkdocs-hybrid/ledger.sqlite")
    if not value:
        return None
    return (manifest.base_dir / value).resolve()


def vendor_archive(manifest: Manifest) -> Path | None:
    """Where every vendor file ever published is kept, beside the ledger (``None`` without a ledger)."""
    path = ledger_path(manifest)
    return path.parent / VENDOR if path is not None else None


@dataclass(frozen=True)
class Published:
    """One ledger row with its files."""

    thread: str
    version: str
    published_at: str
    snapshot_key: str
    build_key: str
    entry_json: str
    """The catalog entry as published (parsed only for versions the ledger serves: see ``entry``)."""
    db: sqlite3.Connection = field(repr=False, compare=False)

    @property
    def files(self) -> dict[str, tuple[str, int]]:
        """name -> (sha256, size), read when asked: a rebuild that matches its build key never asks."""
        return {name: (sha, size) for name, sha, size in self.db.execute(
            "SELECT name, sha256, size FROM files WHERE thread = ? AND version = ?", (self.thread, self.version))}

    @property
    def entry(self) -> VersionEntry:
        return _version_entry(json.loads(self.entry_json), self.version, self.build_key)

    @property
    def ref(self) -> str:
        return f"{self.thread}/{self.version}"


class Ledger:
    """The SQLite ledger and its blob store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
        except sqlite3.Error as exc:
            raise _unopenable(path, exc) from None
        try:
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT * 1000}")
            self.db.execute("PRAGMA foreign_keys = ON")
            if not self._is_set_up():
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.executescript(_SCHEMA)
                self.db.execute("INSERT OR IGNORE INTO ledger_info VALUES ('format', ?)", (str(LEDGER_FORMAT),))
        except sqlite3.Error as exc:
            self.db.close()  # a damaged file: do not hold it open until garbage collection
            raise _unopenable(path, exc) from None

    def _is_set_up(self) -> bool:
        """Whether the file already has every table and WAL: then opening it writes nothing, so reading it
        (``history``, ``share``) works while a build holds the write lock."""
        tables = {name for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        mode = self.db.execute("PRAGMA journal_mode").fetchone()[0]
        return (set(_TABLES) <= tables and str(mode).lower() == "wal"
                and self.db.execute("SELECT 1 FROM ledger_info WHERE key = 'format'").fetchone() is not None)

    def close(self) -> None:
        self.db.close()

    # -- reading -----------------------------------------------------------------------------------

    def published(self, thread: str | None = None) -> dict[tuple[str, str], Published]:
        where, args = ("WHERE thread = ?", (thread,)) if thread else ("", ())
        rows = self.db.execute(
            f"SELECT thread, version, published_at, snapshot_key, build_key, entry FROM versions {where}", args)
        return {(t, v): Published(t, v, at, skey, bkey, entry, self.db) for t, v, at, skey, bkey, entry in rows}

    def pins(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT thread, version FROM pins"))

    def pin_changes(self) -> dict[str, tuple[str | None, str]]:
        """thread -> (pinned version, or ``None`` once cleared; when): each thread's last ``pin``, so that the
        durable ledger (:mod:`~mkdocs_hybrid.publish.ledger_store`) keeps a cleared pin cleared."""
        return {thread: (version, at) for thread, version, at in
                self.db.execute("SELECT thread, version, changed_at FROM pin_changes")}

    def latest_versions(self) -> dict[str, str]:
        """Each thread's current ``latest`` from the history (one query for all threads)."""
        return dict(self.db.execute("SELECT thread, version FROM latest_history "
                                    "WHERE id IN (SELECT MAX(id) FROM latest_history GROUP BY thread)"))

    def history(self, thread: str) -> list[tuple[str, str, str]]:
        """(changed_at, version, reason), oldest first."""
        return list(self.db.execute(
            "SELECT changed_at, version, reason FROM latest_history WHERE thread = ? ORDER BY id", (thread,)))

    # -- pins --------------------------------------------------------------------------------------

    def pin(self, thread: str, version: str | None) -> None:
        """Pin ``latest`` of ``thread`` to a published version (``None`` clears the pin)."""
        with _reported(self.path), self.transaction():
            if version is None:
                self.db.execute("DELETE FROM pins WHERE thread = ?", (thread,))
                self.db.execute("INSERT OR REPLACE INTO pin_changes VALUES (?, NULL, ?)", (thread, now()))
                return
            if not self.db.execute("SELECT 1 FROM versions WHERE thread = ? AND version = ?",
                                   (thread, version)).fetchone():
                known = [v for (v,) in self.db.execute(
                    "SELECT version FROM versions WHERE thread = ? ORDER BY version", (thread,))]
                hint = f"published versions: {', '.join(known)}" if known else "the thread has no published version"
                raise HybridError(f"{thread}/{version} is not published, so latest cannot point at it ({hint}); "
                                  "build and publish it first")
            stamp = now()
            self.db.execute("INSERT OR REPLACE INTO pins VALUES (?, ?)", (thread, version))
            self.db.execute("INSERT OR REPLACE INTO pin_changes VALUES (?, ?, ?)", (thread, version, stamp))
            self.db.execute("INSERT INTO latest_history(thread, version, changed_at, reason) VALUES (?, ?, ?, 'pin')",
                            (thread, version, stamp))

    # -- blobs -------------------------------------------------------------------------------------

    def put_blob(self, data: bytes) -> str:
        """Store ``data`` by its sha256 (in the caller's transaction) and return the sha."""
        sha = hashlib.sha256(data).hexdigest()
        self.db.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?)", (sha, data))
        return sha

    def get_blob(self, sha: str) -> bytes | None:
        row = self.db.execute("SELECT data FROM blobs WHERE sha256 = ?", (sha,)).fetchone()
        data = row[0] if row else self._blob_file(sha)
        return data if data is not None and hashlib.sha256(data).hexdigest() == sha else None

    def _blob_file(self, sha: str) -> bytes | None:
        """Ledgers written before blobs moved into the database kept them in ``blobs/<sha[:2]>/<sha>``."""
        try:
            return (self.path.parent / "blobs" / sha[:2] / sha).read_bytes()
        except OSError:
            return None

    # -- shards ------------------------------------------------------------------------------------

    def transaction(self) -> Any:
        """``with ledger.transaction():`` one all-or-nothing write."""
        return _Transaction(self.db, self.path)


def _unopenable(path: Path, exc: sqlite3.Error) -> HybridError:
    return _ledger_error(path, exc) or HybridError(
        f"{path}: cannot open the publish ledger ({exc}); check that it and its folder can be read and written")


def _ledger_error(path: Path, exc: sqlite3.Error) -> HybridError | None:
    """One line for an SQLite error on the ledger: busy, a full disk or I/O error (the ledger is fine: free
    space and run again), or a damaged file (only then: restore it from a backup); ``None`` for the rest."""
    if _is_busy(exc):
        return _busy(path)
    full = storage_error(exc, path)
    if full is not None:
        return full
    name = str(getattr(exc, "sqlite_errorname", ""))
    if name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB":
        return HybridError(f"{path}: the publish ledger is damaged ({exc}); restore it from a backup or "
                           "set build.ledger to another path")
    return None


@contextmanager
def _reported(path: Path) -> Iterator[None]:
    """Ledger writes: an SQLite error that says what is wrong (full disk, damage) becomes its one line."""
    try:
        yield
    except sqlite3.Error as exc:
        error = _ledger_error(path, exc)
        if error is None:
            raise
        raise error from None


def _is_busy(exc: sqlite3.Error) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def _busy(path: Path) -> HybridError:
    return HybridError(f"{path}: the publish ledger is busy: another build or pin held it for over {BUSY_TIMEOUT} s "
                       "(a build holds it from bundling until its media and pages are written); run this again "
                       "when that has finished")


def write_lock(db: sqlite3.Connection, path: Path) -> None:
    """``BEGIN IMMEDIATE``: the ledger's one writer, waiting up to ``BUSY_TIMEOUT`` for another to finish."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if _is_busy(exc):
            raise _busy(path) from None
        raise


class _Transaction:
    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    def __enter__(self) -> None:
        write_lock(self.db, self.path)

    def __exit__(self, kind: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")


class BuildLedger:
    """The ledger's part in one :class:`~mkdocs_hybrid.pipeline.Export` run: storage only; what to publish
    or serve is decided by :func:`~mkdocs_hybrid.publish.policy.reconcile`, and applied by the pipeline.

    ``begin`` after bundling (takes the write lock, returns the published versions), ``store`` for each
    version to publish, ``record`` with the catalog (publications and ``latest`` changes, in the same
    transaction), write the routes, then ``commit``. Use it as a context manager: leaving it without
    ``commit`` (any error, routes included) rolls everything back, and the ledger is closed (its write lock
    released) on every path.
    """

    def __init__(self, ledger: Ledger | None, *, republish: Iterable[str] | bool = (),
                 owns: Callable[[str], bool] | None = None) -> None:
        self.ledger = ledger
        self.republish_all = republish is True
        self.republish = set() if isinstance(republish, bool) else set(republish)
        self.owns: Callable[[str], bool] = owns or (lambda thread: True)
        self._writes: list[tuple[StoreDecision, dict[str, tuple[str, int]]]] = []
        self._pins: dict[str, str] = {}
        self.fetch: FetchBytes | None = None
        """Where published bytes the blob store lacks come from (a fresh runner's restored records: the artifact
        store, :mod:`mkdocs_hybrid.deploy._published_bytes`); called with the row, the missing files and why."""
        self._open = False
        self._closed = False

    def __enter__(self) -> BuildLedger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def enabled(self) -> bool:
        return self.ledger is not None

    @property
    def path(self) -> Path | None:
        return self.ledger.path if self.ledger else None

    def close(self) -> None:
        """Roll back what was not committed and close the ledger (a second call does nothing)."""
        if self.ledger is None or self._closed:
            return
        self._closed = True
        try:
            if self.ledger.db.in_transaction:
                self.ledger.db.execute("ROLLBACK")
        finally:
            self._open = False
            self.ledger.close()

    def pins(self) -> dict[str, str]:
        return self._pins

    def republishes(self, ref: str) -> bool:
        """Whether the operator asked to replace the published bytes of ``ref`` (``--republish``)."""
        return self.republish_all or ref in self.republish

    def begin(self) -> dict[tuple[str, str], Published]:
        """Take the write lock for this build; the published versions (none without a ledger)."""
        if self.ledger is None:
            return {}
        write_lock(self.ledger.db, self.ledger.path)
        self._open = True
        self._pins = self.ledger.pins()
        return self.ledger.published()

    def store(self, decision: StoreDecision, files: Mapping[str, bytes]) -> None:
        """Keep a version's artifact ``files`` (rows follow in :meth:`record`, once the catalog is known)."""
        assert self.ledger is not None and self._open
        with _reported(self.ledger.path):
            stored = {name: (self.ledger.put_blob(data), len(data)) for name, data in sorted(files.items())}
        self._writes.append((decision, stored))

    def published_bytes(self, row: PublishedVersion, why: str = "") -> dict[str, bytes] | None:
        """A published version's files, or ``None`` when some of its bytes are missing from the ledger (and
        :attr:`fetch`, asked for just those, could not bring them: they are kept in the ledger when it does)."""
        assert self.ledger is not None
        wanted = row.files
        files = {name: data for name, (sha, _size) in sorted(wanted.items())
                 if (data := self.ledger.get_blob(sha)) is not None}
        missing = {name: facts for name, facts in wanted.items() if name not in files}
        fetched = self.fetch(row, missing, why) if missing and self.fetch is not None else None
        with _reported(self.ledger.path):
            for name, data in (fetched or {}).items():
                if name in missing and self.ledger.put_blob(data) == missing[name][0]:
                    files[name] = data
        return dict(sorted(files.items())) if len(files) == len(wanted) else None

    def record(self, catalog: Catalog) -> None:
        """Write new publications and ``latest`` changes into the transaction ``begin`` took
        (uncommitted: ``commit`` once the routes that show this catalog are written)."""
        if self.ledger is None or not self._open:
            return
        with _reported(self.ledger.path):
            self._record(catalog)

    def _record(self, catalog: Catalog) -> None:
        assert self.ledger is not None
        db = self.ledger.db
        stamp = now()
        entries = {(t.id, v.version): v for t in catalog.threads for v in t.versions}
        for decision, files in self._writes:
            snapshot = decision.built.snapshot
            entry = entries.get((snapshot.thread, snapshot.version))
            if entry is None:  # not in the catalog (should not happen): do not publish it
                continue
            # media are made from the published bytes on every build (mkdocs_hybrid.media): not recorded here
            facts = {name: value for name, value in asdict(entry).items() if name != "media"}
            self._write_version(decision, files, json.dumps(facts, sort_keys=True), stamp)
        recorded = self.ledger.latest_versions()
        for thread in catalog.threads:
            if recorded.get(thread.id) != thread.latest:
                db.execute("INSERT INTO latest_history(thread, version, changed_at, reason) "
                           "VALUES (?, ?, ?, 'build')", (thread.id, thread.latest, stamp))

    def commit(self) -> None:
        """Make what ``record`` wrote permanent (call it after the routes are written)."""
        if self.ledger is None or not self._open:
            return
        with _reported(self.ledger.path):
            self.ledger.db.execute("COMMIT")
        self._open = False

    def _write_version(self, decision: StoreDecision, files: dict[str, tuple[str, int]], entry_json: str,
                       stamp: str) -> None:
        assert self.ledger is not None
        db = self.ledger.db
        snapshot, build_key = decision.built.snapshot, decision.built.build_key
        if decision.republish:
            db.execute("UPDATE versions SET republished_at = ?, build_key = ?, entry = ? "
                       "WHERE thread = ? AND version = ?",
                       (stamp, build_key, entry_json, snapshot.thread, snapshot.version))
            db.execute("DELETE FROM files WHERE thread = ? AND version = ?", (snapshot.thread, snapshot.version))
        else:
            db.execute("INSERT INTO versions VALUES (?, ?, ?, NULL, ?, ?, ?)",
                       (snapshot.thread, snapshot.version, stamp, decision.snapshot_key, build_key, entry_json))
        db.executemany(insert_sql("files"), [(snapshot.thread, snapshot.version, name, sha, size)
                                          for name, (sha, size) in sorted(files.items())])


def open_build_ledger(manifest: Manifest, *, enabled: bool = True, republish: Iterable[str] | bool = (),
                      owns: Callable[[str], bool] | None = None) -> BuildLedger:
    path = ledger_path(manifest) if enabled else None
    return BuildLedger(Ledger(path) if path else None, republish=republish, owns=owns)


def _version_entry(data: dict[str, Any], version: str, build_key: str) -> VersionEntry:
    """A stored catalog entry, tolerant of fields added to or removed from :class:`VersionEntry` since."""
    defaults: dict[str, Any] = {"version": version, "title": version, "created": None, "author": None, "tags": (),
                                "entry": "", "unlisted": False, "build_key": build_key, "media": ()}
    known = {f.name for f in fields(VersionEntry)}
    values: dict[str, Any] = {name: data.get(name, defaults.get(name)) for name in known}
    values["tags"] = tuple(values["tags"] or ())
    values["media"] = ()
    return VersionEntry(**values)


def open_read_only(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        db.execute("SELECT thread, version, snapshot_key, republished_at FROM versions LIMIT 0")
        return db
    except sqlite3.Error as exc:
        raise HybridError(f"{path}: not a readable mkdocs-hybrid ledger ({exc}); build the shard again") from None


def open_existing_ledger(manifest: Manifest) -> Ledger:
    """The project's ledger for reading or pinning; an error that says what to do when there is none."""
    path = ledger_path(manifest)
    if path is None:
        raise HybridError(f"{manifest.origin}: build.ledger is false, so there is no publish ledger")
    if not path.is_file():
        raise HybridError(f"{path}: no publish ledger yet; build the site first (mkdocs-hybrid build)")
    return Ledger(path)


__all__ = ["TABLE_COLUMNS", "BuildLedger", "FetchBytes", "Ledger", "Published", "insert_sql", "ledger_path", "now",
           "open_build_ledger", "open_existing_ledger", "open_read_only", "select_sql", "vendor_archive"]
