"""Shard ledgers: a shard build's partial copy of the publish ledger, and taking shards back in.

A shard is built from a copy of the project ledger; ``export_threads`` leaves the rows (and bytes) of its
threads in its output, and ``merge`` takes every shard's part back with ``absorb``, all or nothing, after
checking that each one started from the project ledger.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.publish.ledger import TABLE_COLUMNS, Ledger, insert_sql, open_read_only, select_sql

__all__ = ["absorb", "export_threads"]


def export_threads(ledger: Ledger, target: Path, owns: Callable[[str], bool], label: str, *,
                   restored: bool = False) -> None:
    """Write a new ledger at ``target`` with this one's rows (and blobs) for the threads ``owns``
    accepts: a shard's partial ledger, labelled (``I/N``) for :func:`absorb`. ``restored``: the ledger's records
    may come from the durable ledger (``deploy.ledger_bucket``), without bytes; those go without them."""
    target.unlink(missing_ok=True)
    part = Ledger(target)
    try:
        with part.transaction():
            part.db.execute("INSERT OR REPLACE INTO ledger_info VALUES ('shard', ?)", (label,))
            for table in TABLE_COLUMNS:
                rows = [row for row in ledger.db.execute(select_sql(table, "ORDER BY rowid")) if owns(row[0])]
                part.db.executemany(insert_sql(table), rows)
            for (sha,) in list(part.db.execute("SELECT DISTINCT sha256 FROM files")):
                data = ledger.get_blob(sha)
                if data is None and restored:
                    continue  # absorb refuses a new publication without its bytes
                if data is None:
                    raise HybridError(f"{ledger.path}: published file {sha} is missing; the ledger is damaged")
                part.put_blob(data)
    finally:
        part.close()


def absorb(ledger: Ledger, parts: list[tuple[Path, Callable[[str], bool]]]) -> list[str]:
    """Take shards' partial ledgers in, all or nothing; returns the refs newly published or republished.

    A shard was built from a copy of the project ledger, so for the threads it owns it must hold every
    version the project ledger holds, with the same snapshot; anything else is refused before any write.
    Pins are not taken: ``mkdocs-hybrid pin`` writes them here, and shards only read them.
    """
    sources = [(path, open_read_only(path), owns) for path, owns in parts]
    try:
        plans = [_plan_absorb(ledger, path, db, owns) for path, db, owns in sources]
        with ledger.transaction():
            for (_, db, _), taken in zip(sources, plans):
                _copy_from(ledger, db, taken)
    finally:
        for _, db, _ in sources:
            db.close()
    return sorted(f"{t}/{v}" for taken in plans for t, v in taken)


def _plan_absorb(ledger: Ledger, path: Path, part: sqlite3.Connection, owns: Callable[[str], bool]
             ) -> list[tuple[str, str]]:
    """The versions to take from a partial ledger, or an error when it does not follow the project ledger."""
    query = "SELECT thread, version, snapshot_key, COALESCE(republished_at, '') FROM versions"
    mine = {(t, v): (key, again) for t, v, key, again in ledger.db.execute(query)}
    theirs = {(t, v): (key, again) for t, v, key, again in part.execute(query)}
    problems = [f"{t}/{v} is not in it" for (t, v) in mine if owns(t) and (t, v) not in theirs]
    problems += [f"{t}/{v} has other files" for (t, v), (key, _) in theirs.items()
                 if (t, v) in mine and mine[(t, v)][0] != key]
    problems += [f"{t}/{v} belongs to another shard" for (t, v) in theirs if not owns(t)]
    taken = sorted((t, v) for (t, v), (_, again) in theirs.items() if (t, v) not in mine or again > mine[(t, v)][1])
    # only what is taken needs its bytes: a record both hold (a fresh runner's, restored without them) keeps the
    # project ledger's
    problems += [f"{t}/{v} lacks its published bytes" for t, v in part.execute(
        "SELECT DISTINCT f.thread, f.version FROM files f LEFT JOIN blobs b ON b.sha256 = f.sha256 "
        "WHERE b.sha256 IS NULL") if (t, v) in taken]
    if problems:
        raise HybridError(
            f"{path}: this shard's ledger does not follow the project ledger {ledger.path} "
            f"({'; '.join(sorted(problems)[:5])}); build every shard with a copy of the project's ledger")
    return taken


def _copy_from(ledger: Ledger, part: sqlite3.Connection, taken: list[tuple[str, str]]) -> None:
    one_version = "WHERE thread = ? AND version = ?"
    for where in taken:
        ledger.db.execute(f"DELETE FROM versions {one_version}", where)
        ledger.db.execute(insert_sql("versions"), part.execute(select_sql("versions", one_version), where).fetchone())
        ledger.db.executemany(insert_sql("files"), part.execute(select_sql("files", one_version), where))
    for sha, data in part.execute("SELECT sha256, data FROM blobs"):
        if hashlib.sha256(data).hexdigest() == sha:
            ledger.db.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?)", (sha, data))
    known = set(ledger.db.execute(select_sql("latest_history")))
    for row in part.execute(select_sql("latest_history", "ORDER BY id")):
        if row not in known:
            ledger.db.execute(insert_sql("latest_history"), row)
