"""A signed history between a runner's ledger and the durable shards (real SQLite ledgers, the shards' rules on a
compare-and-swap store in memory): a restore brings the chain back, a local chain ahead of the durable one is kept
and saved, and a local tail that forked from it (never deployed) gives way to the durable one, after which the
records are as append-only as before."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pytest

from mkdocs_hybrid.history.keys import SigningKey
from mkdocs_hybrid.history.records import Chain
from mkdocs_hybrid.history.store import add_key, append_records, ensure_tables, read_chains, stored_chains
from mkdocs_hybrid.publish.ledger import Ledger
from mkdocs_hybrid.publish.ledger_shards import restore_shards, save_shards, shard_of
from tests.publish.test_ledger_shards import MemoryStore, stores

KEY = SigningKey.parse(base64.b64encode(bytes(range(32))).decode())


def signed(ledger: Ledger, *versions: str, thread: str = "t") -> None:
    """A build's part: append one signed record per version to the thread's chain, in one transaction."""
    with ledger.transaction():
        ensure_tables(ledger.db)
        add_key(ledger.db, KEY.public)
        chain = read_chains(ledger.db).get(thread, Chain(thread))
        append_records(ledger.db, [chain.append({"kind": "latest", "version": v}, KEY.sign, KEY.public.id)
                                   for v in versions])


def versions(ledger: Ledger, thread: str = "t") -> list[str]:
    return [record["version"] for record in read_chains(ledger.db)[thread].records]


def test_a_fresh_runner_restores_the_chain_and_its_next_records_follow_it(tmp_path: Path) -> None:
    shards = stores()
    first = Ledger(tmp_path / "a.sqlite")
    signed(first, "v1", "v2")
    save_shards(first, shards)
    fresh = Ledger(tmp_path / "b.sqlite")

    restore_shards(fresh, shards)
    signed(fresh, "v3")

    assert stored_chains(fresh.db)["t"][:2] == stored_chains(first.db)["t"]
    assert versions(fresh) == ["v1", "v2", "v3"]
    merged = save_shards(fresh, shards)
    assert merged.forks == () and len(stored_chains(first.db)["t"]) == 2
    restore_shards(first, shards)
    assert stored_chains(first.db) == stored_chains(fresh.db)


def test_a_local_tail_that_forked_and_was_never_saved_gives_way_to_the_durable_chain(tmp_path: Path) -> None:
    shards = stores()
    origin = Ledger(tmp_path / "origin.sqlite")
    signed(origin, "v1")
    save_shards(origin, shards)
    one, two = Ledger(tmp_path / "one.sqlite"), Ledger(tmp_path / "two.sqlite")
    restore_shards(one, shards)
    restore_shards(two, shards)
    signed(one, "v2")
    signed(two, "v3")  # the same record 1, signed apart
    assert save_shards(one, shards).forks == ()

    refused = save_shards(two, shards)

    assert [(fork.thread, fork.seq) for fork in refused.forks] == [("t", 1)]
    assert "t: another publisher signed records into this thread's history" in refused.forks[0].line("shard")
    assert versions(two) == ["v1", "v2"], "the local ledger now holds the durable chain"
    assert stored_chains(two.db) == stored_chains(one.db)
    held = shards[shard_of("t")]
    assert held.data is not None and b'"v3"' not in held.data
    signed(two, "v3")
    assert save_shards(two, shards).forks == ()
    assert versions(two) == ["v1", "v2", "v3"]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        two.db.execute("DELETE FROM history_records")


def test_a_restore_replaces_a_forked_local_tail_and_keeps_a_local_chain_ahead_of_the_bucket(tmp_path: Path) -> None:
    shards = stores()
    saved = Ledger(tmp_path / "saved.sqlite")
    signed(saved, "v1", "v2")
    save_shards(saved, shards)
    persistent = Ledger(tmp_path / "persistent.sqlite")
    signed(persistent, "v1", "other")  # built here, never deployed
    signed(persistent, "u1", thread="u")  # a thread the bucket does not know yet

    merged = restore_shards(persistent, shards)

    assert [(fork.thread, fork.seq) for fork in merged.forks] == [("t", 1)]
    assert versions(persistent) == ["v1", "v2"] and versions(persistent, "u") == ["u1"]
    store: MemoryStore = shards[shard_of("u")]
    assert b'"u1"' not in (store.data or b"") and sum(s.writes for s in shards) == 1, "a restore writes nothing"
