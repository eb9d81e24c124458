"""Where histories live between builds: two append-only tables in the publish ledger.

The ledger (:mod:`mkdocs_hybrid.publish.ledger`) is what survives builds, so the chain lives there too:

- ``history_records(thread, seq, record)``: each record's canonical JSON, never updated or deleted (triggers
  refuse both, so even a bug cannot rewrite a published record);
- ``history_keys(id, public_key)``: every key that ever signed a record, in the order first used: rotating the
  key adds a row and the site keeps listing the old ones.

The tables are created the first time a build signs (``CREATE ... IF NOT EXISTS`` in the build's transaction):
a ledger from before histories reads as one without records, and opening a ledger still writes nothing.

The durable ledger (:mod:`mkdocs_hybrid.publish.ledger_store`) carries both tables as they are here
(:func:`stored_chains`, :func:`stored_keys`) and puts them back with :func:`put_chains`, so a fresh runner appends
to the same chain. The one place a record is ever removed is there: a local tail that forked from the durable
chain, which no deploy published (the deploy's save refused it), gives way to the durable records.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence

from mkdocs_hybrid.history.keys import PublicKey
from mkdocs_hybrid.history.records import Chain, Record, canonical

__all__ = ["add_key", "append_records", "common_length", "ensure_tables", "has_records", "listed_keys", "put_chains",
           "read_chains", "stored_chains", "stored_keys"]

StoredChain = tuple[str, ...]
"""A thread's records as the table holds them (canonical JSON), by ``seq``."""
StoredKey = tuple[str, str]
"""(id, public key) as ``history_keys`` holds it."""

_NO_DELETE = "history_records_delete"
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


def stored_chains(db: sqlite3.Connection) -> dict[str, StoredChain]:
    """Every thread's records as stored (canonical JSON), oldest first: what the durable ledger carries."""
    chains: dict[str, list[str]] = {}
    if _has_tables(db):
        for thread, record in db.execute("SELECT thread, record FROM history_records ORDER BY thread, seq"):
            chains.setdefault(thread, []).append(record)
    return {thread: tuple(records) for thread, records in chains.items()}


def stored_keys(db: sqlite3.Connection) -> tuple[StoredKey, ...]:
    """Every key that signed, oldest first, as stored."""
    if not _has_tables(db):
        return ()
    rows = db.execute("SELECT id, public_key FROM history_keys ORDER BY rowid")
    return tuple((str(kid), str(key)) for kid, key in rows)


def put_chains(db: sqlite3.Connection, chains: Mapping[str, StoredChain], keys: Sequence[StoredKey]) -> None:
    """Make the tables hold ``chains`` and ``keys`` (in the caller's transaction): records the ledger lacks are
    appended; a local tail that differs from ``chains`` (a fork no deploy published) is replaced. Nothing given,
    nothing written: a ledger without histories stays without the tables."""
    if not chains and not keys:
        return
    ensure_tables(db)
    local = stored_chains(db)
    for thread, records in sorted(chains.items()):
        mine = local.get(thread, ())
        same = common_length(mine, records)
        if same < len(mine):
            _drop_unsaved(db, thread, same)
        db.executemany("INSERT INTO history_records VALUES (?, ?, ?)",
                       [(thread, seq, records[seq]) for seq in range(same, len(records))])
    db.executemany("INSERT OR IGNORE INTO history_keys VALUES (?, ?)", keys)


def common_length(a: Sequence[str], b: Sequence[str]) -> int:
    """How many records two chains share from the start."""
    same = 0
    while same < min(len(a), len(b)) and a[same] == b[same]:
        same += 1
    return same


def _drop_unsaved(db: sqlite3.Connection, thread: str, start: int) -> None:
    """Remove ``thread``'s records from ``start`` on, past the trigger that refuses it (put back at once)."""
    db.execute(f"DROP TRIGGER {_NO_DELETE}")
    db.execute("DELETE FROM history_records WHERE thread = ? AND seq >= ?", (thread, start))
    ensure_tables(db)
