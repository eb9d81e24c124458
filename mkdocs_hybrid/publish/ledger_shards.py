"""The durable ledger in shards: one object per group of threads, so a publication reads and writes kilobytes.

Why: one object for every record (:mod:`~mkdocs_hybrid.publish.ledger_store`) is 8 MB of JSON at 10,000 versions
and 81 MB at 100,000 (measured: ``benchmarks/ledger_object.py``), and every publication read it twice and wrote
it once: seconds of JSON and transfer to publish one version. So the records are split by thread into
:data:`SHARDS` objects (:func:`shard_of`, a hash of the thread id): a thread's versions, ``latest`` history,
pin and signed history always live in the same shard (with the list of signing keys, in each shard that holds a
signed history), each shard is merged and compare-and-swapped exactly as the single object
was, and a publication of a few threads touches only their shards. A whole build reads every shard (in
parallel) and a deploy saves every shard whose records it changes.

The single object of earlier releases (``mkdocs-hybrid/ledger.json``) is still read and merged in (its records
are immutable, so merging them again is harmless), and never written again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from mkdocs_hybrid.history.durable import merge_keys
from mkdocs_hybrid.history.store import StoredChain, StoredKey
from mkdocs_hybrid.publish.ledger import Ledger
from mkdocs_hybrid.publish.ledger_store import (
    SAVE_ATTEMPTS,
    HistoryRow,
    LedgerObjectError,
    LostRace,
    Merge,
    Pin,
    Records,
    RecordStore,
    VersionRecord,
    decode,
    encode,
    merge,
    read_records,
    write_records,
)

__all__ = ["SHARDS", "partition", "restore_shards", "save_shards", "shard_of", "union"]

SHARDS = 256
"""Objects the records are split into: 320 KB each at 100,000 versions."""
READS_AT_ONCE = 16


def shard_of(thread: str, count: int = SHARDS) -> int:
    """The shard that holds everything of ``thread``."""
    return int.from_bytes(hashlib.sha256(thread.encode()).digest()[:4], "big") % count


def partition(records: Records, count: int = SHARDS) -> dict[int, Records]:
    """``records`` split by shard (only the shards that hold something)."""
    versions: dict[int, dict[tuple[str, str], VersionRecord]] = {}
    history: dict[int, list[HistoryRow]] = {}
    pins: dict[int, dict[str, Pin]] = {}
    chains: dict[int, dict[str, StoredChain]] = {}
    for key, record in records.versions.items():
        versions.setdefault(shard_of(key[0], count), {})[key] = record
    for row in records.history:
        history.setdefault(shard_of(row[0], count), []).append(row)
    for thread, pin in records.pins.items():
        pins.setdefault(shard_of(thread, count), {})[thread] = pin
    for thread, chain in records.chains.items():
        chains.setdefault(shard_of(thread, count), {})[thread] = chain
    return {index: Records(versions.get(index, {}), tuple(history.get(index, ())), pins.get(index, {}),
                           chains.get(index, {}), records.keys if index in chains else ())
            for index in {*versions, *history, *pins, *chains}}


def union(parts: Iterable[Records]) -> Records:
    """Records of shards (disjoint threads) as one set; history by time, each thread's rows in their order."""
    versions: dict[tuple[str, str], VersionRecord] = {}
    history: list[HistoryRow] = []
    pins: dict[str, Pin] = {}
    chains: dict[str, StoredChain] = {}
    keys: tuple[StoredKey, ...] = ()
    for records in parts:
        versions.update(records.versions)
        history += records.history
        pins.update(records.pins)
        chains.update(records.chains)
        keys = merge_keys(keys, records.keys)
    return Records(versions, tuple(sorted(history, key=lambda row: row[2])), pins, chains, keys)


def restore_shards(ledger: Ledger, shards: Sequence[RecordStore], legacy: RecordStore | None = None) -> Merge:
    """Merge the records of ``shards`` (and of the single object of earlier releases) into the local ledger."""
    with ThreadPoolExecutor(max_workers=READS_AT_ONCE, thread_name_prefix="ledger-shards") as pool:
        old = pool.submit(_read, legacy) if legacy is not None else None
        parts = [records for records in pool.map(_read, shards) if records is not None]
        earlier = old.result() if old is not None else None
    if not parts and earlier is None:
        return Merge(read_records(ledger))
    theirs = union(parts)
    if earlier is not None:
        theirs = merge(earlier, theirs).records  # the shards win: they were saved later
    merged = merge(read_records(ledger), theirs)
    write_records(ledger, merged.records)
    return merged


def save_shards(ledger: Ledger, shards: Sequence[RecordStore], threads: Collection[str] | None = None,
                legacy: RecordStore | None = None, attempts: int = SAVE_ATTEMPTS) -> Merge:
    """Save the local records into their shards (only the shards of ``threads`` when given), each with a
    compare-and-swap; then the local ledger holds the merged records too. Conflicts as in a single object; the
    records of the single object of earlier releases count as saved (and move into the shards)."""
    ours = read_records(ledger)
    mine = partition(ours, len(shards))
    wanted = sorted({shard_of(thread, len(shards)) for thread in threads} if threads is not None else mine)
    earlier = _read(legacy) if legacy is not None else None
    old = partition(earlier, len(shards)) if earlier is not None else {}
    with ThreadPoolExecutor(max_workers=READS_AT_ONCE, thread_name_prefix="ledger-shards") as pool:
        saved = list(pool.map(lambda index: _save_shard(mine.get(index, Records()), shards[index], attempts,
                                                        old.get(index)), wanted))
    held = union([*(result.records for result in saved), *(part for i, part in mine.items() if i not in wanted)])
    write_records(ledger, held)
    return Merge(held, tuple(conflict for result in saved for conflict in result.conflicts),
                 tuple(fork for result in saved for fork in result.forks))


def _save_shard(ours: Records, store: RecordStore, attempts: int, legacy: Records | None = None) -> Merge:
    for _ in range(attempts):
        stored = store.read()
        theirs, etag = (decode(stored[0], store.where), stored[1]) if stored else (Records(), None)
        if legacy is not None:
            theirs = merge(legacy, theirs).records  # the shard wins: it was saved later
        merged = merge(ours, theirs)
        data = encode(merged.records)
        if (stored is None and not merged.records.versions and not merged.records.pins
                and not merged.records.history and not merged.records.chains) or \
                (stored is not None and data == stored[0]):
            return merged  # nothing to write
        try:
            store.write(data, etag)
        except LostRace:
            continue
        return merged
    raise LedgerObjectError(f"{store.where}: the durable publish ledger changed {attempts} times while this run "
                            "saved it (other publishers are saving at the same moment); the local ledger holds "
                            "this run's records: run it again to save them")


def _read(store: RecordStore) -> Records | None:
    """The records ``store`` holds, or ``None`` when it holds no object yet."""
    found = store.read()
    return decode(found[0], store.where) if found is not None else None

