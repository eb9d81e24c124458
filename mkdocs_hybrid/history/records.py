"""History records (no I/O): their canonical bytes, their chain, and which records a build appends.

A thread's history is a list of records, each a JSON object:

- ``seq`` (its place, from 0), ``thread``, ``kind``, ``prev`` (the hash of the record before, ``null`` first),
  ``key`` (the signer's key id) and ``signature`` (Ed25519, base64, over :func:`signed_bytes`);
- ``kind: "version"``: a published version: ``version``, ``created``, ``author`` (the version's own data) and
  ``files`` (name -> sha256 of each published file, as the ledger keeps them). An unlisted version carries
  ``commitment`` instead of ``version``, ``created`` and ``author``: an HMAC-SHA256 of those under the unlisted
  key, so the record chains its files without naming it (whoever holds the key can open it);
- ``kind: "latest"``: the thread's ``latest`` moved to ``version`` (a build: a newer version, ``thread.yml``);
- ``kind: "pin"``: ``mkdocs-hybrid pin`` moved it to ``version``; ``created`` is the pin's own time.

A record's hash is the sha256 of its canonical JSON (sorted keys, no spaces, UTF-8), signature included.
The same ledger and key give the same bytes: Ed25519 signatures are deterministic and no field comes from the
clock of the build.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mkdocs_hybrid.model.layout import LATEST

__all__ = ["HISTORY_FORMAT", "INDEX_FORMAT", "KEYS_FORMAT", "LATEST_MOVE", "PIN", "VERSION", "Chain", "Record",
           "VersionFacts", "canonical", "commitment", "entries_index_bytes", "index_bytes", "index_entry",
           "plan_records", "record_hash", "signed_bytes"]

HISTORY_FORMAT = "mkdocs-hybrid/history@1"
INDEX_FORMAT = "mkdocs-hybrid/history-index@1"
KEYS_FORMAT = "mkdocs-hybrid/keys@1"
VERSION, PIN = "version", "pin"
LATEST_MOVE = LATEST
"""The kind of record that moves the ``latest`` route is named after it."""
RECORD_DOMAIN = b"mkdocs-hybrid/history-record@1\n"
INDEX_DOMAIN = b"mkdocs-hybrid/history-index@1\n"
"""What each signature covers starts with its kind: a record's signature never passes for an index's."""

Record = dict[str, Any]


def canonical(value: object) -> bytes:
    """The one byte form of a JSON value that is hashed and signed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(record: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


def signed_bytes(record: Mapping[str, Any]) -> bytes:
    """What a record's signature signs: the record without its signature."""
    return RECORD_DOMAIN + canonical({name: value for name, value in record.items() if name != "signature"})


def index_signed_bytes(index: Mapping[str, Any]) -> bytes:
    return INDEX_DOMAIN + canonical({name: value for name, value in index.items() if name != "signature"})


def commitment(secret: bytes, thread: str, version: str, created: str | None, author: str | None) -> str:
    """What an unlisted version's record carries instead of its ids (an HMAC: unguessable without ``secret``)."""
    opened = canonical({"thread": thread, "version": version, "created": created, "author": author})
    return hmac.new(secret, b"mkdocs-hybrid/history-commitment@1\n" + opened, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class VersionFacts:
    """A published version as its record states it (from the ledger and the catalog)."""

    version: str
    created: str | None
    author: str | None
    files: Mapping[str, str]
    """name -> sha256 of each published file."""
    unlisted: bool


@dataclass
class Chain:
    """One thread's records so far, and what they say."""

    thread: str
    records: list[Record] = field(default_factory=list)

    @property
    def head(self) -> str | None:
        return record_hash(self.records[-1]) if self.records else None

    def recorded_files(self) -> dict[str, Mapping[str, str]]:
        """version (or ``#commitment``) -> its files as its last version record states them."""
        files: dict[str, Mapping[str, str]] = {}
        for record in self.records:
            if record.get("kind") == VERSION:
                files[_subject(record)] = record.get("files") or {}
        return files

    def latest(self) -> tuple[str, int] | None:
        """The version the last ``latest`` or ``pin`` record names, and that record's ``seq``."""
        for record in reversed(self.records):
            if record.get("kind") in (LATEST_MOVE, PIN):
                return str(record.get("version")), int(record.get("seq", -1))
        return None

    def append(self, body: Record, sign: Callable[[bytes], str], key: str) -> Record:
        """Chain ``body`` after the last record and sign it."""
        record = {**body, "seq": len(self.records), "thread": self.thread, "prev": self.head, "key": key}
        record["signature"] = sign(signed_bytes(record))
        self.records.append(record)
        return record


def _subject(record: Mapping[str, Any]) -> str:
    return str(record["version"]) if "version" in record else f"#{record.get('commitment')}"


def plan_records(chain: Chain, versions: Iterable[VersionFacts], latest: str | None, pin: tuple[str, str] | None,
                 secret: bytes | None) -> list[Record]:
    """The records a build appends to ``chain`` (unsigned): one per published version it does not state yet
    (or states with other files: a ``--republish``), in the order given, then one when ``latest`` (``None``: the
    thread has none, being unlisted) differs from the chain's: ``pin`` when the ledger's pin (version, time) put
    it there. ``secret`` (the unlisted key) makes the commitments of unlisted versions."""
    known = chain.recorded_files()
    bodies: list[Record] = []
    for facts in versions:
        if facts.unlisted:
            if secret is None:
                continue  # an unlisted version is never built without the key: nothing to record
            subject = commitment(secret, chain.thread, facts.version, facts.created, facts.author)
            body: Record = {"kind": VERSION, "commitment": subject}
            key = f"#{subject}"
        else:
            body = {"kind": VERSION, "version": facts.version, "created": facts.created, "author": facts.author}
            key = facts.version
        files = dict(sorted(facts.files.items()))
        if known.get(key) != files:
            bodies.append({**body, "files": files})
            known[key] = files
    current = chain.latest()
    if latest is not None and (current is None or current[0] != latest):
        if pin is not None and pin[0] == latest:
            bodies.append({"kind": PIN, "version": latest, "created": pin[1]})
        else:
            bodies.append({"kind": LATEST_MOVE, "version": latest})
    return bodies


def index_bytes(chains: Iterable[Chain], sign: Callable[[bytes], str], key: str) -> bytes:
    """The signed site index: each published thread's record count and head, so a history cut short (or one
    removed with its thread) is seen."""
    return entries_index_bytes({chain.thread: index_entry(chain) for chain in chains}, sign, key)


def index_entry(chain: Chain) -> dict[str, Any]:
    """A thread's entry in the signed index: its record count and head."""
    return {"records": len(chain.records), "head": chain.head}


def entries_index_bytes(threads: Mapping[str, Any], sign: Callable[[bytes], str], key: str) -> bytes:
    """The signed index of ``threads`` (thread -> its entry, as :func:`index_entry` makes it or an index read)."""
    index: Record = {"format": INDEX_FORMAT, "key": key, "threads": dict(sorted(threads.items()))}
    index["signature"] = sign(index_signed_bytes(index))
    return pretty(index)


def history_bytes(chain: Chain) -> bytes:
    """``history.json``: the thread's records, oldest first, one per line (diffs stay readable)."""
    lines = ",\n".join("  " + canonical(record).decode("utf-8") for record in chain.records)
    head = canonical({"format": HISTORY_FORMAT, "thread": chain.thread})[:-1].decode("utf-8")
    return f'{head},"records":[\n{lines}\n]}}\n'.encode()


def pretty(value: object) -> bytes:
    return (json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
