"""The signed histories in the durable ledger (no I/O): their JSON in a record object, and their merge.

A bucket's ledger object (:mod:`mkdocs_hybrid.publish.ledger_store`) carries, besides the publish records, each
thread's history records (``history_records``: thread -> its records, oldest first) and every key that signed
(``history_keys``: ``[id, public key]``, oldest first), so a fresh runner that restores the ledger appends to the
same chain instead of starting a new one.

A chain is not merged by interleaving: each record names the hash of the one before, so two chains of a thread
either are one (one is the start of the other: the longer is kept) or **fork** (two runners appended after the
same record). A fork keeps the durable chain, saved first, and is a :class:`ChainFork`: the deploy whose save
found it refuses, naming the thread, and its local ledger takes the durable chain, so the next build appends
after it. Two runners appending the same records (same publications, same key: signatures are deterministic)
do not fork.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mkdocs_hybrid.history.records import canonical
from mkdocs_hybrid.history.store import StoredChain, StoredKey, common_length

__all__ = ["ChainFork", "chains_json", "keys_json", "merge_chains", "merge_keys", "read_chains_json",
           "read_keys_json"]


@dataclass(frozen=True)
class ChainFork:
    """``thread``'s chain here and in the durable copy differ from record ``seq`` on: the durable one is kept."""

    thread: str
    seq: int

    def line(self, where: str) -> str:
        return (f"{self.thread}: another publisher signed records into this thread's history since this run "
                f"restored it (record {self.seq} differs from the one in {where}; a signed history is never "
                "merged): this run's history is refused and the local ledger now holds the durable one, so "
                "build again and the build appends after it")


def merge_chains(ours: Mapping[str, StoredChain], theirs: Mapping[str, StoredChain]
                 ) -> tuple[dict[str, StoredChain], tuple[ChainFork, ...]]:
    """Per thread, the longer chain when one starts the other; on a fork, ``theirs`` (the durable copy)."""
    chains = dict(theirs)
    forks = []
    for thread, mine in sorted(ours.items()):
        other = chains.get(thread, ())
        same = common_length(mine, other)
        if same == len(other):
            chains[thread] = mine  # ours is theirs and more (or the same)
        elif same < len(mine):
            forks.append(ChainFork(thread, same))
    return chains, tuple(forks)


def merge_keys(theirs: Iterable[StoredKey], ours: Iterable[StoredKey]) -> tuple[StoredKey, ...]:
    """Every key once, by first use: ``theirs`` in their order, then the keys only ours holds."""
    return tuple(dict.fromkeys([*theirs, *ours]))


def chains_json(chains: Mapping[str, StoredChain]) -> dict[str, list[Any]]:
    return {thread: [json.loads(record) for record in chains[thread]] for thread in sorted(chains)}


def keys_json(keys: Iterable[StoredKey]) -> list[list[str]]:
    return [[kid, key] for kid, key in keys]


def read_chains_json(value: Mapping[str, Any]) -> dict[str, StoredChain]:
    """Chains from a ledger object; ``ValueError`` when a record is not in its place (the object is damaged)."""
    chains = {}
    for thread, records in value.items():
        stored = tuple(canonical(record).decode("utf-8") for record in records)
        for seq, record in enumerate(records):
            before = hashlib.sha256(stored[seq - 1].encode("utf-8")).hexdigest() if seq else None  # record_hash
            if record.get("thread") != thread or record.get("seq") != seq or record.get("prev") != before:
                raise ValueError(f"{thread}: history record {seq} is not chained in its place")
        chains[str(thread)] = stored
    return chains


def read_keys_json(value: Iterable[Any]) -> tuple[StoredKey, ...]:
    return tuple((str(kid), str(key)) for kid, key in value)
