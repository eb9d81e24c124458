"""The durable ledger in shards: a thread's records always in one shard, a publication of a thread reads and writes
only its shard, the single object of earlier releases counts as saved, and nothing is lost either way."""

from __future__ import annotations

from pathlib import Path

from mkdocs_hybrid.publish.ledger import Ledger
from mkdocs_hybrid.publish.ledger_shards import SHARDS, partition, restore_shards, save_shards, shard_of, union
from mkdocs_hybrid.publish.ledger_store import LostRace, Pin, Records, decode, encode, read_records
from tests.publish.test_ledger_store import local_ledger, record


class MemoryStore:
    """A record store in memory, counting its reads and writes, with the same compare-and-swap."""

    def __init__(self, name: str) -> None:
        self.where = name
        self.data: bytes | None = None
        self.etag = 0
        self.reads = self.writes = 0

    def read(self) -> tuple[bytes, str] | None:
        self.reads += 1
        return None if self.data is None else (self.data, str(self.etag))

    def write(self, data: bytes, etag: str | None) -> None:
        if (etag is None) != (self.data is None) or (etag is not None and etag != str(self.etag)):
            raise LostRace("412")
        self.data, self.etag, self.writes = data, self.etag + 1, self.writes + 1


def stores() -> list[MemoryStore]:
    return [MemoryStore(f"shard {index:02x}") for index in range(SHARDS)]


def held(shards: list[MemoryStore]) -> Records:
    return union(decode(store.data, store.where) for store in shards if store.data is not None)


def test_a_threads_versions_history_and_pin_always_fall_in_one_shard_and_union_puts_them_back() -> None:
    items = Records({("a", "v1"): record("v1", thread="a"), ("b", "v1"): record("v1", thread="b")},
                    (("a", "v1", "2026-01-01T00:00:00Z", "build"), ("b", "v1", "2026-01-02T00:00:00Z", "build")),
                    {"a": Pin("v1", "2026-01-03T00:00:00Z")})
    parts = partition(items)
    assert parts[shard_of("a")].pins == {"a": Pin("v1", "2026-01-03T00:00:00Z")}
    assert ("a", "v1") in parts[shard_of("a")].versions and ("b", "v1") in parts[shard_of("b")].versions
    assert union(parts.values()) == items
    assert shard_of("a") == shard_of("a") and 0 <= shard_of("react-todo") < SHARDS


def test_a_publication_of_one_thread_reads_and_writes_only_its_shard(tmp_path: Path) -> None:
    shards = stores()
    ledger = local_ledger(tmp_path / "l.sqlite", record("v1", thread="a"), record("v1", thread="b"))
    save_shards(ledger, shards)  # a whole deploy: every shard with records
    assert sum(store.writes for store in shards) == len({shard_of("a"), shard_of("b")})
    for store in shards:
        store.reads = store.writes = 0
    ledger.close()
    ledger = local_ledger(tmp_path / "l.sqlite", record("v2", thread="a"))
    save_shards(ledger, shards, threads=["a"])
    touched = [index for index, store in enumerate(shards) if store.reads or store.writes]
    assert touched == [shard_of("a")] and shards[shard_of("a")].writes == 1
    assert set(held(shards).versions) == {("a", "v1"), ("a", "v2"), ("b", "v1")}


def test_two_runners_saving_other_threads_into_one_shard_lose_nothing(tmp_path: Path) -> None:
    shards = stores()
    same = next(f"t{n}" for n in range(1, 10_000) if shard_of(f"t{n}") == shard_of("t0"))
    one = local_ledger(tmp_path / "one.sqlite", record("v1", thread="t0"))
    two = local_ledger(tmp_path / "two.sqlite", record("v1", thread=same))
    save_shards(one, shards, threads=["t0"])
    save_shards(two, shards, threads=[same])  # reads what one saved, merges, writes with If-Match
    assert set(held(shards).versions) == {("t0", "v1"), (same, "v1")}
    assert set(read_records(two).versions) == {("t0", "v1"), (same, "v1")}


def test_the_single_object_of_earlier_releases_is_read_and_counts_as_saved(tmp_path: Path) -> None:
    legacy = MemoryStore("mkdocs-hybrid/ledger.json")
    legacy.data = encode(Records({("a", "v1"): record("v1", thread="a", key="theirs", at="2026-01-01T00:00:00Z")}))
    shards = stores()
    fresh = Ledger(tmp_path / "fresh.sqlite")
    restore_shards(fresh, shards, legacy)
    assert read_records(fresh).versions[("a", "v1")].snapshot_key == "theirs"
    later = local_ledger(tmp_path / "later.sqlite", record("v1", thread="a", key="mine", at="2026-02-01T00:00:00Z"))
    merged = save_shards(later, shards, threads=["a"], legacy=legacy)
    assert [conflict.lost.snapshot_key for conflict in merged.conflicts] == ["mine"]  # first published wins
    assert held(shards).versions[("a", "v1")].snapshot_key == "theirs" and legacy.writes == 0
