"""A live publication's part (``publish-version``, ``worker``, ``pin``): sign its threads' records and move their
entries in the site's signed index, with only those threads' chains at hand.

Why not :func:`~mkdocs_hybrid.history.publish.publish_history`: a live publication
(:mod:`mkdocs_hybrid.live.publisher`) builds a few threads, and its ledger may hold only their chains (the
durable ledger is restored only for their shards), so the index cannot be made from the ledger as a full build
makes it. It is the index the site serves, read from the artifact store, with this publication's threads'
entries replaced. In the build's ledger transaction, before it commits (:meth:`LiveHistory.sign`):

1. **read** what is online: the keys, the index (refused, naming it, unless its signature verifies under a key
   the keys file lists: an index nobody can vouch for is never signed over) and each listed thread's
   ``history.json`` (refused unless its records are the start of the ledger's chain: else the ledger lacks
   records the site serves, from another machine or changed in the store, and appending would fork the history);
2. **append** the records of what the threads published, as a full build does (a pin is a ``pin`` record);
3. **write** each listed thread's ``history.json``, the keys (the online ones, then any only the ledger has) and
   the index: the online entries of every other thread, and these threads' (an unlisted thread's is dropped).

Each file read keeps its ETag (:attr:`LiveHistory.etags`): the publisher replaces a file only if it still has it
(``If-Match``), so two publications that read the same index never lose each other's entry: the later one gets a
:class:`~mkdocs_hybrid.deploy.PageRace` and builds again. Without a key nothing is read or signed, as in a build.

The other way round, a full build deployed after a live publication overtook it (:func:`refresh_stale`): the
deploy leaves the overtaken threads' pages as that publication wrote them, and their histories must agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs_hybrid.edge.unlisted import UnlistedKey
from mkdocs_hybrid.history.keys import HistoryKeyError, PublicKey, SigningKey, verify_signature
from mkdocs_hybrid.history.publish import append_signed, signing_key, write_site_files
from mkdocs_hybrid.history.records import (
    HISTORY_FORMAT,
    INDEX_FORMAT,
    KEYS_FORMAT,
    Chain,
    canonical,
    entries_index_bytes,
    index_entry,
    index_signed_bytes,
)
from mkdocs_hybrid.history.store import listed_keys, read_chains
from mkdocs_hybrid.model.catalog import Catalog
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.layout import GALLERY, HISTORY_FILE
from mkdocs_hybrid.model.layout import HISTORY_INDEX_PATH as INDEX_PATH
from mkdocs_hybrid.model.layout import HISTORY_KEYS_PATH as KEYS_PATH
from mkdocs_hybrid.publish.ledger import Ledger

__all__ = ["LiveHistory", "OnlineHistoryError", "Read", "refresh_stale"]

Read = Callable[[str], "tuple[bytes, str] | None"]
"""A site path's object in the artifact store: its bytes and ETag, ``None`` when there is none."""
_NOTHING = "nothing was published"


class OnlineHistoryError(HybridError):
    """The history the site serves cannot be signed over (its index does not verify, or it holds records the
    ledger lacks)."""


@dataclass
class LiveHistory:
    """What one publication read of the online history and wrote into its folder (reset by each :meth:`sign`)."""

    read: Read
    etags: dict[str, str | None] = field(default_factory=dict)
    """Site path -> the ETag of the object read (``None``: there was none)."""
    written: list[str] = field(default_factory=list)
    """The site paths :meth:`sign` wrote (none without a key): what the publication uploads."""

    def sign(self, ledger: Ledger | None, site_dir: Path, catalog: Catalog, unlisted: UnlistedKey | None,
             notices: list[str]) -> None:
        """Steps 1-3 of the module's docstring for ``catalog``'s threads, in the ledger's open transaction."""
        self.etags.clear()
        self.written.clear()
        key = signing_key(ledger, notices)
        if ledger is None or key is None:
            return
        keys, entries = self._online_index()
        online = self._online_chains(thread.id for thread in catalog.listed)
        chains = append_signed(ledger, catalog, unlisted, key)
        for name, records in online.items():
            _check_prefix(name, records, chains[name])
        shown = [chains[thread.id] for thread in catalog.listed if chains[thread.id].records]
        for thread in catalog.threads:
            entries.pop(thread.id, None)
        entries.update((chain.thread, index_entry(chain)) for chain in shown)
        listed = keys + [k for k in listed_keys(ledger.db) if k.id not in {known.id for known in keys}]
        index = entries_index_bytes(entries, key.sign, key.public.id)
        self.written = write_site_files(site_dir, shown, listed, key, index)

    def _get(self, path: str) -> Any:
        """The JSON object at ``path`` online (``None`` when there is none), its ETag noted."""
        found = self.read(path)
        self.etags[path] = found[1] if found is not None else None
        if found is None:
            return None
        try:
            return json.loads(found[0])
        except (ValueError, RecursionError):
            return _Unreadable()

    def _online_index(self) -> tuple[list[PublicKey], dict[str, Any]]:
        """The keys listed online and the online index's entries (none when the site serves no index yet)."""
        document, index = self._get(KEYS_PATH), self._get(INDEX_PATH)
        keys = _keys(document) if document is not None else []
        if index is None:
            return keys, {}
        if not isinstance(index, dict) or index.get("format") != INDEX_FORMAT or \
                not isinstance(index.get("threads"), dict):
            raise OnlineHistoryError(f"{INDEX_PATH} in the artifact store is not a history index: check who wrote "
                                     f"it (run `mkdocs-hybrid verify` on the site) and build and deploy the whole "
                                     f"site to write it again; {_NOTHING}")
        signer = next((k for k in keys if k.id == index.get("key")), None)
        if signer is None or not verify_signature(signer, index_signed_bytes(index), str(index.get("signature"))):
            raise OnlineHistoryError(f"{INDEX_PATH} in the artifact store is not signed by a key {KEYS_PATH} lists: "
                                     "a publication never signs over an index nobody can vouch for; run "
                                     f"`mkdocs-hybrid verify` on the site, then build and deploy it; {_NOTHING}")
        return keys, dict(index["threads"])

    def _online_chains(self, threads: Iterable[str]) -> dict[str, list[bytes]]:
        """Each thread's records online (canonical bytes), for those whose ``history.json`` is there."""
        chains = {}
        for thread in threads:
            path = f"{GALLERY}/{thread}/{HISTORY_FILE}"
            document = self._get(path)
            if document is None:
                continue
            records = document.get("records") if isinstance(document, dict) else None
            if not isinstance(document, dict) or document.get("format") != HISTORY_FORMAT or \
                    document.get("thread") != thread or not isinstance(records, list):
                raise OnlineHistoryError(f"{path} in the artifact store is not the history of {thread}: run "
                                         f"`mkdocs-hybrid verify` on the site; {_NOTHING}")
            chains[thread] = [canonical(record) for record in records]
        return chains


class _Unreadable:
    """An object that is not JSON (refused as not a history or not an index)."""


def _keys(document: Any) -> list[PublicKey]:
    if not isinstance(document, dict) or document.get("format") != KEYS_FORMAT:
        raise OnlineHistoryError(f"{KEYS_PATH} in the artifact store is not a keys file: run `mkdocs-hybrid verify` "
                                 f"on the site, then build and deploy it; {_NOTHING}")
    try:
        return [PublicKey.decode(str(item.get("public_key", ""))) for item in document.get("keys") or []]
    except (HistoryKeyError, AttributeError):
        raise OnlineHistoryError(f"{KEYS_PATH} in the artifact store lists a key that is not an Ed25519 public key; "
                                 f"{_NOTHING}") from None


def _check_prefix(thread: str, online: list[bytes], chain: Chain) -> None:
    """Refuse when the online records are not the start of the ledger's chain (see the module's docstring)."""
    mine = [canonical(record) for record in chain.records]
    same = next((n for n, (a, b) in enumerate(zip(online, mine)) if a != b), min(len(online), len(mine)))
    if same < len(online):
        raise OnlineHistoryError(
            f"{GALLERY}/{thread}/{HISTORY_FILE} in the artifact store holds records of {thread}'s signed history "
            f"that this ledger does not (record #{same} differs or is missing here): another machine published "
            "them and this one has not restored its ledger (set deploy.ledger_bucket), or the object was changed "
            f"(run `mkdocs-hybrid verify` on the site); {_NOTHING}")


def refresh_stale(ledger_file: Path | None, site_dir: Path, threads: Iterable[str], key: SigningKey | None = None
                  ) -> list[str]:
    """Before the deploy of a build that live publications overtook (``threads``: their thread and latest pages
    are left as those wrote them): put those threads' histories into the built site as the ledger holds them now
    (the durable chains the deploy's claim merged in, which the publications uploaded) and sign the site's index
    again with their entries, so the deploy does not put back histories older than the pages it leaves. Without
    a key, a ledger or a signed index in the site nothing changes; the site paths rewritten."""
    key = key or SigningKey.from_env()
    path = site_dir / INDEX_PATH
    if key is None or ledger_file is None or not ledger_file.is_file() or not path.is_file():
        return []
    entries = dict(json.loads(path.read_bytes()).get("threads") or {})
    ledger = Ledger(ledger_file)
    try:
        chains, keys = read_chains(ledger.db), listed_keys(ledger.db)
    finally:
        ledger.close()
    shown = [chains[thread] for thread in sorted(set(threads)) if thread in entries and thread in chains]
    if not shown:
        return []
    entries.update((chain.thread, index_entry(chain)) for chain in shown)
    return write_site_files(site_dir, shown, keys, key, entries_index_bytes(entries, key.sign, key.public.id))
