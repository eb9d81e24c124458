"""Where histories live between builds: two append-only tables in the publish ledger.

The ledger (:mod:`mkdocs_hybrid.publish.ledger`) is what survives builds, so the chain lives there too:

- ``history_records(thread, seq, record)``: each record's canonical JSON, never updated or deleted (triggers
  refuse both, so even a bug cannot rewrite a published record);
- ``history_keys(id, public_key)``: every key that ever signed a record, in the order first used: rotating the
  key adds a row and the site keeps listing the old ones.

The tables are created the first time a build signs (``CREATE ... IF NOT EXISTS`` in the build's transaction):
a ledger from before histories reads as one without records, and opening a ledger still writes nothing.
"""

from __future__ import annotations

import json
import sqlite3

from mkdocs_hybrid.history.keys import PublicKey
from mkdocs_hybrid.history.records import Chain, Record, canonical

__all__ = ["add_key", "append_records", "ensure_tables", "has_records", "listed_keys", "read_chains"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS history_records("
    "thread TEXT NOT NULL, seq INTEGER NOT NULL, record TEXT NOT NULL, PRIMARY KEY (thread, seq))",
    "CREATE TABLE IF NOT EXISTS history_keys(id TEXT PRIMARY KEY, public_key TEXT NOT NULL)",
    *(f"CREATE TRIGGER IF NOT EXISTS history_records_{event.lower()} BEFORE {event} ON history_records "
      "BEGIN SELECT RAISE(ABORT, 'history records are append-only'); END" for event in ("UPDATE", "DELETE")),
)


def _has_tables(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'history_records'"
                      ).fetchone() is not None


def ensure_tables(db: sqlite3.Connection) -> None:
    """Create the tables in the caller's transaction (each statement alone: ``executescript`` would commit it)."""
    for statement in _SCHEMA:
        db.execute(statement)


def has_records(db: sqlite3.Connection) -> bool:
    """Whether any build signed a record into this ledger."""
    return _has_tables(db) and db.execute("SELECT 1 FROM history_records LIMIT 1").fetchone() is not None


def read_chains(db: sqlite3.Connection) -> dict[str, Chain]:
    """Every thread's records, oldest first."""
    chains: dict[str, Chain] = {}
    if not _has_tables(db):
        return chains
    for thread, record in db.execute("SELECT thread, record FROM history_records ORDER BY thread, seq"):
        chains.setdefault(thread, Chain(thread)).records.append(json.loads(record))
    return chains


def append_records(db: sqlite3.Connection, records: list[Record]) -> None:
    db.executemany("INSERT INTO history_records VALUES (?, ?, ?)",
                   [(record["thread"], record["seq"], canonical(record).decode("utf-8")) for record in records])


def add_key(db: sqlite3.Connection, key: PublicKey) -> None:
    db.execute("INSERT OR IGNORE INTO history_keys VALUES (?, ?)", (key.id, key.encoded))


def listed_keys(db: sqlite3.Connection) -> list[PublicKey]:
    """Every key that signed, oldest first."""
    if not _has_tables(db):
        return []
    rows = db.execute("SELECT public_key FROM history_keys ORDER BY rowid")
    return [PublicKey.decode(encoded) for (encoded,) in rows]
