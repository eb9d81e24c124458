"""A build's part: append the records of what it published, in the ledger's transaction, and publish the
histories, the keys and the signed index into the site.

Called by the export once the catalog is recorded and its routes are written, before the ledger commits: a
build that fails leaves neither its rows nor its records. Without ``MKDOCS_HYBRID_HISTORY_KEY`` nothing is
written (a build says so once; a build whose ledger already holds records says so in its report, since its new
versions go unsigned). A key configured later starts chaining then: its first build records every version
the site serves (the ledger's published digests, oldest publication first) and the current ``latest``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from mkdocs_hybrid.edge.unlisted import UnlistedKey
from mkdocs_hybrid.history.keys import KEY_ENV, PublicKey, SigningKey
from mkdocs_hybrid.history.records import (
    KEYS_FORMAT,
    Chain,
    Record,
    VersionFacts,
    history_bytes,
    index_bytes,
    plan_records,
    pretty,
)
from mkdocs_hybrid.history.store import add_key, append_records, ensure_tables, has_records, listed_keys, read_chains
from mkdocs_hybrid.model.catalog import Catalog, ThreadEntry
from mkdocs_hybrid.model.files import safe_join, write_if_changed
from mkdocs_hybrid.model.layout import GALLERY, HISTORY_FILE, HISTORY_INDEX_PATH, HISTORY_KEYS_PATH
from mkdocs_hybrid.publish.ledger import Ledger, Published

__all__ = ["append_signed", "keys_bytes", "publish_history", "signing_key", "write_site_files"]

log = logging.getLogger("mkdocs.plugins.mkdocs_hybrid.history")
"""Under MkDocs, among the plugin's lines (an INFO line: the CLI shows warnings only)."""
_said: set[str] = set()


def publish_history(ledger: Ledger | None, site_dir: Path, catalog: Catalog, unlisted: UnlistedKey | None,
                    notices: list[str], key: SigningKey | None = None) -> list[str]:
    """Sign this build's records (in the ledger's open transaction) and write ``gallery/{thread}/history.json``,
    the keys and the index; the site paths written (none without a ledger or a key: see the module's docstring).
    ``key`` defaults to the environment's."""
    key = signing_key(ledger, notices, key)
    if ledger is None or key is None:
        return []
    chains = append_signed(ledger, catalog, unlisted, key)
    shown = [chains[thread.id] for thread in catalog.listed if chains[thread.id].records]
    return write_site_files(site_dir, shown, listed_keys(ledger.db), key)


def signing_key(ledger: Ledger | None, notices: list[str], key: SigningKey | None = None) -> SigningKey | None:
    """``key`` or the environment's; ``None`` without a ledger or a key (said once, or in the build's notices when
    the ledger already holds records: this build's versions go unsigned)."""
    if ledger is None:
        return None
    key = key or SigningKey.from_env()
    if key is None:
        if has_records(ledger.db):
            notices.append(f"{KEY_ENV} is not set: this build's versions are not in the signed history")
        elif KEY_ENV not in _said:
            _said.add(KEY_ENV)
            log.info("mkdocs_hybrid: no %s: no signed revision history is written", KEY_ENV)
    return key


def append_signed(ledger: Ledger, catalog: Catalog, unlisted: UnlistedKey | None, key: SigningKey
                  ) -> dict[str, Chain]:
    """Append the records of what ``catalog``'s threads published (in the ledger's open transaction); every chain
    the ledger holds afterwards, by thread (each of ``catalog``'s threads has one, perhaps empty)."""
    db = ledger.db
    ensure_tables(db)
    add_key(db, key.public)
    chains = read_chains(db)
    published = ledger.published()
    pins = {thread: (version, at) for thread, (version, at) in ledger.pin_changes().items() if version}
    secret = unlisted.secret if unlisted is not None else None
    new: list[Record] = []
    for thread in catalog.threads:
        chain = chains.setdefault(thread.id, Chain(thread.id))
        bodies = plan_records(chain, _facts(thread, published), None if thread.unlisted else thread.latest,
                              pins.get(thread.id), secret)
        new += [chain.append(body, key.sign, key.public.id) for body in bodies]
    append_records(db, new)
    return chains


def _facts(thread: ThreadEntry, published: dict[tuple[str, str], Published]) -> list[VersionFacts]:
    """The thread's served versions, oldest publication first (then oldest first, as the catalog orders them)."""
    rows = []
    for age, entry in enumerate(reversed(thread.versions)):
        row = published.get((thread.id, entry.version))
        if row is None:
            continue
        files = {name: sha for name, (sha, _size) in row.files.items()}
        rows.append((row.published_at, age, VersionFacts(entry.version, entry.created, entry.author, files,
                                                         thread.unlisted or entry.unlisted)))
    return [facts for _at, _age, facts in sorted(rows, key=lambda item: (item[0], item[1]))]


def write_site_files(site_dir: Path, chains: Iterable[Chain], keys: list[PublicKey], key: SigningKey,
                     index: bytes | None = None) -> list[str]:
    """Each listed thread's ``history.json``, then the keys and the index (last: they name the histories); the
    index is made from ``chains`` unless given (a live publication's holds the other threads' entries too)."""
    chains = list(chains)
    written = []
    for chain in chains:
        path = safe_join(site_dir, GALLERY, chain.thread, HISTORY_FILE)
        write_if_changed(path, history_bytes(chain))
        written.append(f"{GALLERY}/{chain.thread}/{HISTORY_FILE}")
    write_if_changed(site_dir / HISTORY_KEYS_PATH, keys_bytes(keys, key.public.id))
    write_if_changed(site_dir / HISTORY_INDEX_PATH, index or index_bytes(chains, key.sign, key.public.id))
    return [*written, HISTORY_KEYS_PATH, HISTORY_INDEX_PATH]


def keys_bytes(keys: Iterable[PublicKey], current: str) -> bytes:
    """``.well-known/mkdocs-hybrid-keys.json``: every key that signed (oldest first) and the one signing now."""
    return pretty({"format": KEYS_FORMAT, "current": current,
                   "keys": [{"id": k.id, "algorithm": "Ed25519", "public_key": k.encoded} for k in keys]})
