"""Threads another publisher changed while this build ran: their pages must not be replaced by this build's.

Why: in the artifact store mode a thread's page and its ``latest`` page are objects that any publisher may
replace (a nightly deploy, ``publish-version``, the worker, ``pin``). Each replacement is a compare-and-swap on
the object read a moment before, which stops two writers at the same instant, but not a build that started
before the other publication: a nightly build that scanned the sources at 02:00 would, at 02:10, put back a
thread page without the version the worker published at 02:05, and move ``latest`` back.

The durable ledger knows better: the deploy (or publication) saves it just before uploading, and the merge leaves
the local ledger holding every publisher's records (:func:`~mkdocs_hybrid.publish.ledger_store.save`). A thread
is **stale** in a built site when the ledger then holds a listed version of it whose share page the site does
not have, or a ``latest`` other than the one the site's latest page names. Its share pages and artifacts are
still right (versions never change); only its thread and latest pages are left as the other publisher wrote
them (a deploy), or the thread is built again (a publication). Pure: the caller reads the ledger and the site.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs_hybrid.edge.static import LATEST_META_NAME
from mkdocs_hybrid.model.layout import GALLERY, LATEST, SHARE, UNLISTED
from mkdocs_hybrid.publish.ledger import Ledger

__all__ = ["LedgerFacts", "pages_left", "read_ledger_facts", "stale_threads"]

Token = Callable[[str, str], str] | None
"""The unlisted key's ``token(thread, version)``, or ``None`` without a key."""
_LATEST_META = re.compile(rf'<meta name="{LATEST_META_NAME}" content="([^"]+)">'.encode())


@dataclass(frozen=True)
class LedgerFacts:
    """What a ledger says is online: published refs (and which are listed), each thread's latest, the pins."""

    published: frozenset[str] = frozenset()
    listed: frozenset[str] = frozenset()
    latest: Mapping[str, str] = field(default_factory=dict)
    pins: Mapping[str, str] = field(default_factory=dict)


def read_ledger_facts(path: Path | None) -> LedgerFacts:
    """The facts of the ledger at ``path`` (none without a ledger yet)."""
    if path is None or not path.is_file():
        return LedgerFacts()
    ledger = Ledger(path)
    try:
        rows = [(f"{t}/{v}", hidden) for t, v, hidden in ledger.db.execute(  # SQLite reads the flag: no JSON here
            "SELECT thread, version, json_extract(entry, '$.unlisted') FROM versions")]
        listed = frozenset(ref for ref, hidden in rows if not hidden)
        return LedgerFacts(frozenset(ref for ref, _ in rows), listed, ledger.latest_versions(), ledger.pins())
    finally:
        ledger.close()


def stale_threads(site_dir: Path, threads: Iterable[str], facts: LedgerFacts, token: Token = None) -> set[str]:
    """Those of ``threads`` whose pages in ``site_dir`` show less than ``facts`` (see the module docstring). A
    thread without a latest page there (an unlisted one: it has no thread or latest page) is never stale, nor is
    a version the site holds at its unguessable path (``token``: the unlisted key's; it was unlisted since)."""
    wanted = {thread for thread in threads if (site_dir / SHARE / thread / LATEST / "index.html").is_file()}
    stale = {ref.split("/", 1)[0] for ref in facts.listed
             if ref.split("/", 1)[0] in wanted and not _shown(site_dir, ref, token)}
    for thread in wanted - stale:
        latest = facts.latest.get(thread)
        if latest is not None and latest != _latest_in(site_dir, thread):
            stale.add(thread)
    return stale


def pages_left(site_dir: Path, facts: LedgerFacts, token: Token = None) -> tuple[set[str], frozenset[str]]:
    """The stale threads of a whole built site, and the pages a deploy leaves as the store holds them: their
    thread pages and latest pages (site paths)."""
    share = site_dir / SHARE
    threads = [entry.name for entry in share.iterdir() if entry.is_dir()] if share.is_dir() else []
    stale = stale_threads(site_dir, threads, facts, token)
    return stale, frozenset(name for thread in stale
                            for name in (f"{GALLERY}/{thread}/index.html", f"{SHARE}/{thread}/{LATEST}/index.html"))


def _shown(site_dir: Path, ref: str, token: Token) -> bool:
    """Whether the site holds the published version ``ref``: at its ids, or at its unguessable path."""
    if (site_dir / SHARE / ref / "index.html").is_file():
        return True
    unguessable = token(*ref.split("/", 1)) if token is not None else None
    return unguessable is not None and (site_dir / SHARE / UNLISTED / unguessable / "index.html").is_file()


def _latest_in(site_dir: Path, thread: str) -> str | None:
    try:
        match = _LATEST_META.search((site_dir / SHARE / thread / LATEST / "index.html").read_bytes())
    except OSError:
        return None
    return match.group(1).decode() if match else None
