"""``mkdocs-hybrid verify``: check every published byte of a site against its signed histories.

In order, each problem located by its site path:

1. the keys (``.well-known/mkdocs-hybrid-keys.json``; with ``trusted`` keys given, only those count) and the
   signed index (``.well-known/mkdocs-hybrid-history.json``);
2. each listed thread's ``gallery/{thread}/history.json``: its records in order (``seq``), each naming the hash
   of the one before, each signed by a listed key; the first break of a thread is its one problem (what follows
   a break cannot be trusted); its length and head as the index signed them (a history cut short);
3. each version's published files (``artifacts/{thread}/{version}/``) against its last record: a missing folder
   is a removed version, a missing or changed file is named; ``meta.json`` is compared as it was published
   (a build lists media in it afterwards: that part is made again from the published bytes and is not signed);
4. what ``p/{thread}/latest`` serves against the last ``latest`` or ``pin`` record: an older version without a
   pin record is a rolled-back ``latest``;
5. in a folder (it can be listed): version folders that no record states, and unlisted versions
   (``artifacts/_u/{token}/``, matched to their records by their files). Over HTTP unlisted paths are secret:
   their records are counted, not checked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mkdocs_hybrid.history.keys import HistoryKeyError, PublicKey, verify_signature
from mkdocs_hybrid.history.readers import SiteReader
from mkdocs_hybrid.history.records import (
    HISTORY_FORMAT,
    INDEX_FORMAT,
    KEYS_FORMAT,
    VERSION,
    Chain,
    Record,
    index_signed_bytes,
    record_hash,
    signed_bytes,
)
from mkdocs_hybrid.model.layout import (
    ARTIFACTS,
    GALLERY,
    HISTORY_FILE,
    UNLISTED,
)
from mkdocs_hybrid.model.layout import (
    HISTORY_INDEX_PATH as INDEX_PATH,
)
from mkdocs_hybrid.model.layout import (
    HISTORY_KEYS_PATH as KEYS_PATH,
)
from mkdocs_hybrid.publish.artifacts import rendered_meta

__all__ = ["Problem", "Verification", "verify_site"]



@dataclass(frozen=True)
class Problem:
    """One break, at a site path."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class Verification:
    """What ``verify`` found."""

    problems: list[Problem] = field(default_factory=list)
    threads: int = 0
    records: int = 0
    versions: int = 0
    files: int = 0
    unlisted_unchecked: int = 0
    keys: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        line = (f"verified {self.files} files of {self.versions} versions in {self.threads} threads against "
                f"{self.records} signed records ({self.keys} keys)")
        if self.unlisted_unchecked:
            line += f"; {self.unlisted_unchecked} unlisted versions not checked (their paths are secret)"
        return line


def verify_site(site: SiteReader, trusted: Iterable[PublicKey] = (), every_signature: bool = False) -> Verification:
    """Check ``site`` against its histories (see the module's docstring); every problem in the result.
    ``every_signature`` checks each record's signature, not only each history's last (see :func:`_chain`)."""
    result = Verification()
    keys = _keys(site, list(trusted), result)
    if keys is None:
        return result
    index = _index(site, keys, result)
    if index is None:
        return result
    paths = [f"{GALLERY}/{thread}/{HISTORY_FILE}" for thread in index]
    chains = []
    for (thread, expected), (path, data) in zip(index.items(), site.read_many(paths).items()):
        chain = _chain(thread, path, data, keys, expected, result, every_signature)
        if chain is not None:
            chains.append(chain)
    result.threads = len(chains)
    unlisted: list[tuple[Chain, int, Mapping[str, str]]] = []
    for chain in chains:
        _check_versions(site, chain, result, unlisted)
        _check_latest(site, chain, result)
    _check_unlisted(site, unlisted, result)
    return result


def _load(data: bytes | None) -> Any:
    try:
        return json.loads(data) if data is not None else None
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes: not a signed file
        return None


def _keys(site: SiteReader, trusted: list[PublicKey], result: Verification) -> dict[str, PublicKey] | None:
    document = _load(site.read_many([KEYS_PATH])[KEYS_PATH])
    if not isinstance(document, dict) or document.get("format") != KEYS_FORMAT:
        result.problems.append(Problem(KEYS_PATH, "missing or not a keys file: the site publishes no signed "
                                                  "history (build it with MKDOCS_HYBRID_HISTORY_KEY set)"))
        return None
    keys: dict[str, PublicKey] = {}
    for item in document.get("keys") or []:
        try:
            key = PublicKey.decode(str(item.get("public_key", "")))
        except (HistoryKeyError, AttributeError):
            result.problems.append(Problem(KEYS_PATH, f"a listed key is not an Ed25519 public key: {item!r:.80}"))
            continue
        keys[key.id] = key
    if trusted:
        allowed = {key.id for key in trusted}
        keys = {key_id: key for key_id, key in keys.items() if key_id in allowed}
        if not keys:
            result.problems.append(Problem(KEYS_PATH, "lists none of the keys given with --key"))
            return None
    result.keys = len(keys)
    return keys


def _index(site: SiteReader, keys: Mapping[str, PublicKey], result: Verification) -> dict[str, Any] | None:
    index = _load(site.read_many([INDEX_PATH])[INDEX_PATH])
    if not isinstance(index, dict) or index.get("format") != INDEX_FORMAT:
        result.problems.append(Problem(INDEX_PATH, "missing or not a history index"))
        return None
    problem = _signature_problem(index, index_signed_bytes(index), keys)
    if problem:
        result.problems.append(Problem(INDEX_PATH, problem))
        return None
    threads = index.get("threads")
    return dict(sorted(threads.items())) if isinstance(threads, dict) else {}


def _signature_problem(signed: Mapping[str, Any], message: bytes, keys: Mapping[str, PublicKey]) -> str | None:
    key = keys.get(str(signed.get("key")))
    if key is None:
        return f"signed by an unknown key {signed.get('key')!r} (not in {KEYS_PATH})"
    if not verify_signature(key, message, str(signed.get("signature", ""))):
        return f"forged: its signature does not match its content under key {key.id}"
    return None


def _chain(thread: str, path: str, data: bytes | None, keys: Mapping[str, PublicKey], expected: Any,
           result: Verification, every_signature: bool) -> Chain | None:
    """The thread's history up to its first break (reported), or ``None`` when it cannot be read at all.

    Each record's hash is in the next one's ``prev``, so the last record's signature covers every record before
    it: only that one is checked (and, on a break, the one before it, to say which is forged), unless
    ``every_signature``. Every record's key must be listed either way."""
    document = _load(data)
    if data is None:
        result.problems.append(Problem(path, "missing: the signed index lists this thread's history"))
        return None
    if not isinstance(document, dict) or document.get("format") != HISTORY_FORMAT or document.get("thread") != thread:
        result.problems.append(Problem(path, f"not the history of {thread}"))
        return None
    chain = Chain(thread)
    listed = document.get("records")
    records: list[Any] = listed if isinstance(listed, list) else []
    head: str | None = None
    for position, record in enumerate(records):
        problem = _link_problem(record, position, thread, head, keys)
        if problem is None and (every_signature or position == len(records) - 1):
            problem = _signature_problem(record, signed_bytes(record), keys)
        if problem is not None:
            if not every_signature and position == len(records) - 1 and problem.startswith("forged"):
                # the last record's signature covers the others: say where the first changed one is
                position, problem = next(((n, p) for n, r in enumerate(records)
                                          if (p := _signature_problem(r, signed_bytes(r), keys))), (position, problem))
                del chain.records[position:]
            elif problem == _BROKEN_LINK and chain.records:
                earlier = _signature_problem(chain.records[-1], signed_bytes(chain.records[-1]), keys)
                if earlier is not None:  # the record before was changed, not this one moved
                    position, problem = position - 1, earlier
                    chain.records.pop()
            result.problems.append(Problem(f"{path} record #{position}", problem))
            result.records += len(chain.records)
            return chain
        chain.records.append(record)
        head = record_hash(record)
    result.records += len(chain.records)
    if isinstance(expected, dict) and (expected.get("records"), expected.get("head")) != (len(records), head):
        result.problems.append(Problem(path, f"has {len(records)} records, the signed index says "
                                             f"{expected.get('records')}: records were removed or added"))
    return chain


_BROKEN_LINK = "does not follow the record before it (its prev hash differs): a record was swapped or removed"


def _link_problem(record: Any, position: int, thread: str, prev: str | None,
                  keys: Mapping[str, PublicKey]) -> str | None:
    """What is wrong with a record's place in the chain and its signer, its signature aside."""
    if not isinstance(record, dict):
        return "not a record"
    if record.get("seq") != position or record.get("thread") != thread:
        return (f"out of order: it says it is #{record.get('seq')} of {record.get('thread')!r} "
                "(records were swapped, removed or moved)")
    if record.get("key") not in keys:
        return f"signed by an unknown key {record.get('key')!r} (not in {KEYS_PATH})"
    if record.get("prev") != prev:
        return _BROKEN_LINK
    return None


def _check_versions(site: SiteReader, chain: Chain, result: Verification,
                    unlisted: list[tuple[Chain, int, Mapping[str, str]]]) -> None:
    last: dict[str, tuple[int, Record]] = {}
    published = [record for record in chain.records if record.get("kind") == VERSION]
    # A version listed again (or unlisted) gets a new record with the same files: only the later one says where
    # it lives now. Its meta.json names it, so the same meta.json digest is the same version.
    latest_of = {str((record.get("files") or {}).get("meta.json")): int(record["seq"]) for record in published}
    for record in published:
        meta = (record.get("files") or {}).get("meta.json")
        if meta is not None and latest_of[str(meta)] != record["seq"]:
            continue
        if "version" in record:
            last[str(record["version"])] = (int(record["seq"]), record)
        else:
            unlisted.append((chain, int(record["seq"]), record.get("files") or {}))
    wanted = {f"{ARTIFACTS}/{chain.thread}/{version}/{name}": (version, seq, str(sha))
              for version, (seq, record) in last.items() for name, sha in (record.get("files") or {}).items()}
    found = site.read_many(wanted)
    gone = {version for version, _seq, _sha in wanted.values()}
    gone -= {wanted[path][0] for path, data in found.items() if data is not None}
    for version in sorted(gone):
        seq = last[version][0]
        result.problems.append(Problem(f"{ARTIFACTS}/{chain.thread}/{version}/",
                                       f"removed: record #{seq} of {chain.thread}'s history publishes this version"))
    for path, data in found.items():
        version, seq, sha = wanted[path]
        if version in gone:
            continue
        if data is None:
            result.problems.append(Problem(path, f"missing: record #{seq} publishes it"))
        elif _digest(path, data) != sha:
            result.problems.append(Problem(path, f"changed: its sha256 is not the one record #{seq} signed"))
        result.files += 1
    result.versions += len(last)
    folders = site.version_folders(chain.thread)
    for extra in sorted(set(folders or ()) - set(last)):
        result.problems.append(Problem(f"{ARTIFACTS}/{chain.thread}/{extra}/",
                                       "no record of the history publishes this version"))


def _digest(path: str, data: bytes) -> str:
    """A published file's sha256 as the ledger keeps it (``meta.json`` without the media a build lists)."""
    if path.endswith("/meta.json"):
        data = rendered_meta(data)
    return hashlib.sha256(data).hexdigest()


def _check_latest(site: SiteReader, chain: Chain, result: Verification) -> None:
    named = chain.latest()
    if named is None:
        return
    expected, seq = named
    order = {str(r["version"]): int(r["seq"]) for r in chain.records if r.get("kind") == VERSION and "version" in r}
    for where, served in site.latest_served(chain.thread):
        if served == expected:
            continue
        if served is not None and served not in order:
            result.problems.append(Problem(where, f"serves {served}, which no record of the history publishes "
                                                  f"(record #{seq} made {expected} the latest)"))
        elif served is not None and order[served] < order.get(expected, -1):
            result.problems.append(Problem(where, f"rolled back: serves {served}, older than {expected}, which "
                                                  f"record #{seq} made latest, and no pin record moved it back"))
        else:
            result.problems.append(Problem(where, f"serves {served or 'nothing'}, but record #{seq} made "
                                                  f"{expected} the latest"))


def _check_unlisted(site: SiteReader, records: list[tuple[Chain, int, Mapping[str, str]]],
                    result: Verification) -> None:
    """Unlisted versions, found by their published ``meta.json`` (its bytes name the version, so each record's
    meta digest is its own); over HTTP (no listing) they are only counted."""
    folders = site.unlisted_folders()
    if folders is None:
        result.unlisted_unchecked += len(records)
        return
    metas = site.read_many(f"{ARTIFACTS}/{UNLISTED}/{token}/meta.json" for token in folders)
    by_meta = {_digest(path, data): path.rsplit("/", 1)[0] for path, data in metas.items() if data is not None}
    for chain, seq, files in records:
        folder = by_meta.get(str(files.get("meta.json")))
        if folder is None:
            result.problems.append(Problem(f"{ARTIFACTS}/{UNLISTED}/", f"record #{seq} of {chain.thread}'s history "
                                           "publishes an unlisted version no folder holds (removed, or its meta.json "
                                           "changed)"))
            continue
        wanted = {f"{folder}/{name}": str(sha) for name, sha in files.items()}
        for path, data in site.read_many(wanted).items():
            if data is None or _digest(path, data) != wanted[path]:
                result.problems.append(Problem(path, f"{'missing' if data is None else 'changed'}: record #{seq} "
                                                     f"of {chain.thread}'s history publishes it"))
            result.files += 1
        result.versions += 1
