"""The durable publish ledger: the ledger's records kept in a bucket, so an ephemeral runner keeps every promise.

Why: the publish ledger (:mod:`~mkdocs_hybrid.publish.ledger`) is what keeps a published version immutable,
and it is a local SQLite file. A nightly job on a fresh CI runner starts without it, so without a durable copy
it would take a changed snapshot of a published ``v1`` for a new publication. With ``deploy.ledger_bucket``
set (opt-in; without it nothing here runs and builds behave as before), the ledger's *records* live in that
bucket: this module is one record object's rules; :mod:`~mkdocs_hybrid.publish.ledger_shards` splits the records
by thread into 256 such objects (``mkdocs-hybrid/ledger/{00..ff}.json``), so a publication touches kilobytes:

- **What is kept**: every published version's row (published and republished times, snapshot key, build key,
  catalog entry, and each file's name, sha256 and size), the ``latest`` history and the pins. Not the published
  bytes: those already live immutably in the live site and, in the artifact-store mode, in the artifact bucket
  (written with ``If-None-Match: *``). A restored record without its bytes still makes the build refuse a
  changed snapshot of that version (the policy compares snapshot keys), so nothing published changes.
- **Which bucket**: a private one. The records name unlisted versions, so the object must never sit in the
  public artifact bucket (``deploy.r2_bucket``, readable at ``artifacts_url``): the private bucket of unlisted
  versions (``deploy.r2_private_bucket``) is the natural home; a dedicated bucket works as well.
- **When**: restored (merged into the local ledger, which may be missing or old) before a build opens its
  ledger; saved after a successful deploy (``deploy``/``publish``), so the object only names what went live.
- **How two publishers never lose a record**: the save is a compare-and-swap. The first write is
  ``If-None-Match: *``; an update is ``If-Match: <the ETag read>``. A lost race (HTTP 412, or the object
  gone) re-reads, merges and tries again, at most :data:`SAVE_ATTEMPTS` times.
- **Merging** (:func:`merge`, pure): records are append-only, so the merge is their union. The same
  (thread, version) with the same snapshot key and files is one record. With other files it is a
  :class:`Conflict`: the record published first wins (on a tie, the one already in the bucket), and the
  publisher that lost refuses that version with one line; a deliberate ``--republish`` (same snapshot key,
  a later ``republished_at``) replaces the record. ``latest`` histories are merged row by row (ordered by time).
  Pins are merged by thread, the last change winning (a :class:`Pin` is a version, or ``None`` once cleared, with
  the time of the ``pin``; on the same second the local one wins), so a pin cleared on one runner stays cleared
  on the next fresh one, and of two runners pinning a thread at once the later wins.
- **Signed histories** (:mod:`mkdocs_hybrid.history`): each thread's history records and the keys that signed
  travel with its records (:mod:`mkdocs_hybrid.history.durable`), so a fresh runner appends to the same chain. A
  chain is never interleaved: of two chains of a thread the longer is kept when one starts the other; a fork
  (two runners appended after the same record) keeps the durable one, and the save reports it in
  :attr:`Merge.forks` so that the deploy refuses, naming the thread.
- **Document versions**: version 3 adds the histories, and is written only when there are some (a site without a
  history key writes version 2, the same bytes as before, which older releases read); version 2 keeps each pin's
  time and cleared pins; version 1 objects (pins without times, read as older than any timed change) are read
  and rewritten on the next save; objects without histories restore none, and the next signed build starts then.
- **A foreign or damaged object** (not JSON, or not this format) stops the run with one line before anything
  is built or deployed: it is never overwritten, since it may be the only copy of the records.

Policy decides, I/O applies: :func:`merge`, :func:`encode` and :func:`decode` are pure; :func:`restore` and
:func:`save` apply them through a :class:`RecordStore` (the bucket: :mod:`mkdocs_hybrid.deploy._ledger_object`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from mkdocs_hybrid.history.durable import (
    ChainFork,
    chains_json,
    keys_json,
    merge_chains,
    merge_keys,
    read_chains_json,
    read_keys_json,
)
from mkdocs_hybrid.history.store import StoredChain, StoredKey, put_chains, stored_chains, stored_keys
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.publish.ledger import Ledger, insert_sql, select_sql

__all__ = ["DOCUMENT_FORMAT", "SAVE_ATTEMPTS", "Conflict", "LedgerObjectError", "LostRace", "Merge", "Pin",
           "RecordStore", "Records", "VersionRecord", "decode", "encode", "merge", "read_records", "restore",
           "save", "write_records"]

DOCUMENT_FORMAT = "mkdocs-hybrid-ledger-records"
DOCUMENT_VERSION = 3
PLAIN_VERSION = 2
"""The version written when there are no histories: the bytes of the releases before them."""
READABLE_VERSIONS = (1, 2, 3)
SAVE_ATTEMPTS = 8
"""Compare-and-swap tries before a save gives up: each lost race means another publisher saved meanwhile."""

HistoryRow = tuple[str, str, str, str]
"""(thread, version, changed_at, reason) of ``latest_history``."""


class LedgerObjectError(HybridError):
    """The durable ledger object cannot be used (foreign, damaged, or the saves kept losing)."""


class LostRace(Exception):
    """A conditional write found the object changed (or gone) since it was read: read, merge and try again."""


@dataclass(frozen=True)
class VersionRecord:
    """One published version as the ledger recorded it (no bytes: files by sha256 and size)."""

    thread: str
    version: str
    published_at: str
    republished_at: str | None
    snapshot_key: str
    build_key: str
    entry: str
    files: tuple[tuple[str, str, int], ...]
    """(name, sha256, size), sorted by name."""

    @property
    def ref(self) -> str:
        return f"{self.thread}/{self.version}"

    def same_publication(self, other: VersionRecord) -> bool:
        return (self.snapshot_key, self.files, self.republished_at) == \
            (other.snapshot_key, other.files, other.republished_at)


@dataclass(frozen=True)
class Pin:
    """A thread's last ``pin``: the version ``latest`` is pinned to, or ``None`` once cleared, and when."""

    version: str | None
    at: str = ""
    """``YYYY-MM-DDTHH:MM:SSZ``; empty for a pin written before pins had times (older than any timed one)."""


@dataclass(frozen=True)
class Records:
    """Everything the durable object holds."""

    versions: Mapping[tuple[str, str], VersionRecord] = field(default_factory=dict)
    history: tuple[HistoryRow, ...] = ()
    pins: Mapping[str, Pin] = field(default_factory=dict)
    chains: Mapping[str, StoredChain] = field(default_factory=dict)
    """thread -> its signed history records (canonical JSON), oldest first."""
    keys: tuple[StoredKey, ...] = ()
    """Every key that signed a history record, oldest first."""

    def pinned(self) -> dict[str, str]:
        """thread -> pinned version, for the threads whose pin is set (not cleared)."""
        return {thread: pin.version for thread, pin in self.pins.items() if pin.version is not None}


@dataclass(frozen=True)
class Conflict:
    """The same (thread, version) published twice with other files: ``kept`` won, ``lost`` is refused."""

    kept: VersionRecord
    lost: VersionRecord

    def line(self, where: str) -> str:
        return (f"{self.lost.ref}: another publisher published this version first with other files "
                f"(at {self.kept.published_at}, recorded in {where}); it keeps its published bytes and this "
                "run's copy is refused: versions are immutable, save the change as a new version")


@dataclass(frozen=True)
class Merge:
    records: Records
    conflicts: tuple[Conflict, ...] = ()
    """Versions ours holds with other files than theirs, where theirs won."""
    forks: tuple[ChainFork, ...] = ()
    """Threads whose signed history ours and theirs extended apart, where theirs won."""


# -- pure: the document and the merge ----------------------------------------------------------------------


def encode(records: Records) -> bytes:
    """The object's bytes: sorted, so the same records always give the same bytes (and ETag)."""
    document = {
        "format": DOCUMENT_FORMAT, "version": PLAIN_VERSION,
        "versions": [_version_json(records.versions[key]) for key in sorted(records.versions)],
        "latest_history": [list(row) for row in records.history],
        "pins": {thread: {"version": pin.version, "at": pin.at} for thread, pin in sorted(records.pins.items())},
    }
    if records.chains or records.keys:
        document.update(version=DOCUMENT_VERSION, history_records=chains_json(records.chains),
                        history_keys=keys_json(records.keys))
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def decode(data: bytes, where: str) -> Records:
    """Records from the object's bytes; one line naming ``where`` when it is not this format."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _foreign(where, "it is not JSON (damaged, or written by another tool)") from None
    if not isinstance(document, dict) or document.get("format") != DOCUMENT_FORMAT:
        raise _foreign(where, f"it is not a {DOCUMENT_FORMAT} document (written by another tool?)")
    if document.get("version") not in READABLE_VERSIONS:
        raise _foreign(where, f"its version {document.get('version')!r} is not {DOCUMENT_VERSION}: "
                              "upgrade mkdocs-hybrid")
    try:
        versions = [_version_record(item) for item in document["versions"]]
        history = tuple((str(t), str(v), str(at), str(reason)) for t, v, at, reason in document["latest_history"])
        pins = {str(thread): _pin(value, document["version"]) for thread, value in dict(document["pins"]).items()}
        chains = read_chains_json(dict(document.get("history_records", {})))
        keys = read_keys_json(document.get("history_keys", []))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _foreign(where, "its records are incomplete or of the wrong shape (damaged?)") from None
    return Records({(r.thread, r.version): r for r in versions}, history, pins, chains, keys)


def merge(ours: Records, theirs: Records) -> Merge:
    """The union of two record sets; ``theirs`` is the durable copy (it wins ties: it was saved first)."""
    versions = dict(theirs.versions)
    conflicts = []
    for key, mine in ours.versions.items():
        other = versions.get(key)
        if other is None or other.same_publication(mine):
            versions[key] = other or mine
        elif mine.snapshot_key == other.snapshot_key and _republished_later(mine, other):
            versions[key] = mine  # a deliberate --republish of the same snapshot
        elif mine.snapshot_key == other.snapshot_key and _republished_later(other, mine):
            continue
        elif mine.published_at < other.published_at:
            versions[key] = mine
            conflicts.append(Conflict(kept=mine, lost=other))
        else:
            conflicts.append(Conflict(kept=other, lost=mine))
    history = _merged_history(theirs.history, ours.history)
    chains, forks = merge_chains(ours.chains, theirs.chains)
    keys = merge_keys(theirs.keys, ours.keys)
    records = Records(versions, history, _merged_pins(theirs.pins, ours.pins), chains, keys)
    return Merge(records, tuple(conflicts), forks)


def _merged_pins(theirs: Mapping[str, Pin], ours: Mapping[str, Pin]) -> dict[str, Pin]:
    """Per thread, the later change (a pin or a clear); on the same second, ours: the run saving now is later."""
    pins = dict(theirs)
    for thread, mine in ours.items():
        other = pins.get(thread)
        if other is None or mine.at >= other.at:
            pins[thread] = mine
    return pins


def _republished_later(a: VersionRecord, b: VersionRecord) -> bool:
    return (a.republished_at or "") > (b.republished_at or "")


def _merged_history(theirs: Iterable[HistoryRow], ours: Iterable[HistoryRow]) -> tuple[HistoryRow, ...]:
    """Every row once, by time (stable: rows of one run keep their order)."""
    rows = list(dict.fromkeys([*theirs, *ours]))
    return tuple(sorted(rows, key=lambda row: row[2]))


def _version_json(record: VersionRecord) -> dict[str, Any]:
    return {"thread": record.thread, "version": record.version, "published_at": record.published_at,
            "republished_at": record.republished_at, "snapshot_key": record.snapshot_key,
            "build_key": record.build_key, "entry": record.entry, "files": [list(f) for f in record.files]}


def _version_record(item: Mapping[str, Any]) -> VersionRecord:
    files = tuple(sorted((str(name), str(sha), int(size)) for name, sha, size in item["files"]))
    again = item["republished_at"]
    return VersionRecord(str(item["thread"]), str(item["version"]), str(item["published_at"]),
                         None if again is None else str(again), str(item["snapshot_key"]), str(item["build_key"]),
                         str(item["entry"]), files)


def _pin(value: Any, version: object) -> Pin:
    """A pin as a document of ``version`` holds it: 1, the pinned version only; 2, ``{version, at}``."""
    if version == 1:
        return Pin(str(value))
    pinned = value["version"]
    return Pin(None if pinned is None else str(pinned), str(value["at"]))


def _foreign(where: str, why: str) -> LedgerObjectError:
    return LedgerObjectError(f"{where}: the durable publish ledger cannot be read: {why}; nothing was built or "
                             "published. Move that object aside (it is never overwritten) or set "
                             "deploy.ledger_bucket to the bucket that holds this site's ledger")


# -- the local ledger --------------------------------------------------------------------------------------


def read_records(ledger: Ledger) -> Records:
    """The local ledger's records (no bytes)."""
    db = ledger.db
    files: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    for thread, version, name, sha, size in db.execute(select_sql("files")):
        files.setdefault((thread, version), []).append((name, sha, int(size)))
    versions = {(t, v): VersionRecord(t, v, at, again, skey, bkey, entry, tuple(sorted(files.get((t, v), []))))
                for t, v, at, again, skey, bkey, entry in db.execute(select_sql("versions"))}
    history = tuple(db.execute(select_sql("latest_history", "ORDER BY id")))
    return Records(versions, history, _local_pins(ledger), stored_chains(db), stored_keys(db))


def _local_pins(ledger: Ledger) -> dict[str, Pin]:
    """Each thread's last pin change; a pin set before changes were kept (or by an older mkdocs-hybrid, which
    keeps only the ``pins`` table) has no time, and a change the ``pins`` table contradicts is taken as cleared."""
    pinned = ledger.pins()
    pins = {thread: Pin(version, at) for thread, (version, at) in ledger.pin_changes().items()}
    for thread, pin in list(pins.items()):
        if pin.version is not None and pinned.get(thread) != pin.version:
            pins[thread] = Pin(pinned.get(thread), pin.at)
    for thread, version in pinned.items():
        pins.setdefault(thread, Pin(version))
    return pins


def write_records(ledger: Ledger, records: Records) -> None:
    """Make the local ledger hold ``records`` (a superset of its own, from :func:`merge`), in one transaction.

    A version the local ledger lacks gets its rows without bytes (they stay in the live site and the artifact
    store); a version whose record lost a conflict gets the winner's rows, and its local bytes stay unused. A
    signed history gets the records it lacks; a tail that forked from the durable chain gives way to it.
    """
    mine = read_records(ledger)
    where = "WHERE thread = ? AND version = ?"
    with ledger.transaction():
        for key, record in sorted(records.versions.items()):
            if mine.versions.get(key) == record:
                continue
            ledger.db.execute(f"DELETE FROM versions {where}", key)  # files go with it (ON DELETE CASCADE)
            ledger.db.execute(insert_sql("versions"), (record.thread, record.version, record.published_at,
                                                       record.republished_at, record.snapshot_key,
                                                       record.build_key, record.entry))
            ledger.db.executemany(insert_sql("files"), [(record.thread, record.version, *f) for f in record.files])
        if records.history != mine.history:
            ledger.db.execute("DELETE FROM latest_history")  # rewritten in time order: latest = the last row
            ledger.db.executemany(insert_sql("latest_history"), records.history)
        for thread, pin in sorted(records.pins.items()):
            if mine.pins.get(thread) == pin:
                continue
            if pin.version is None:
                ledger.db.execute("DELETE FROM pins WHERE thread = ?", (thread,))
            else:
                ledger.db.execute("INSERT OR REPLACE INTO pins VALUES (?, ?)", (thread, pin.version))
            ledger.db.execute("INSERT OR REPLACE INTO pin_changes VALUES (?, ?, ?)", (thread, pin.version, pin.at))
        if records.chains != mine.chains or records.keys != mine.keys:
            put_chains(ledger.db, records.chains, records.keys)


# -- applying: restore and save through a store ------------------------------------------------------------


class RecordStore(Protocol):
    """Where the records live (:class:`mkdocs_hybrid.deploy._ledger_object.BucketRecords`)."""

    @property
    def where(self) -> str:
        """``bucket/key``, for messages."""
        ...

    def read(self) -> tuple[bytes, str] | None:
        """The object's bytes and ETag, or ``None`` when there is none yet."""
        ...

    def write(self, data: bytes, etag: str | None) -> None:
        """Write only if the object is still at ``etag`` (``None``: only if there is none); else :class:`LostRace`."""
        ...


def restore(ledger: Ledger, store: RecordStore) -> Merge:
    """Merge the durable records into the local ledger (before a build); returns the merge (its conflicts are
    versions this machine published with other files than the durable copy: they become the durable ones)."""
    stored = store.read()
    if stored is None:
        return Merge(read_records(ledger))
    merged = merge(read_records(ledger), decode(stored[0], store.where))
    write_records(ledger, merged.records)
    return merged


def save(ledger: Ledger, store: RecordStore, attempts: int = SAVE_ATTEMPTS) -> Merge:
    """Merge the local records into the durable object with a compare-and-swap, retrying lost races; then the
    local ledger holds the merged records too. Returns the last merge (its conflicts: this run's refusals)."""
    for _ in range(attempts):
        ours = read_records(ledger)
        stored = store.read()
        theirs, etag = (decode(stored[0], store.where), stored[1]) if stored else (Records(), None)
        merged = merge(ours, theirs)
        try:
            if stored is None or encode(merged.records) != encode(theirs):
                store.write(encode(merged.records), etag)
        except LostRace:
            continue
        write_records(ledger, merged.records)
        return merged
    raise LedgerObjectError(f"{store.where}: the durable publish ledger changed {attempts} times while this run "
                            "saved it (other publishers are saving at the same moment); the site is deployed and "
                            "the local ledger holds this run's records: run the deploy again to save them")
