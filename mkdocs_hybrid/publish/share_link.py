"""``mkdocs-hybrid share``, ``history`` and ``build --republish``'s names: what exists and where a published
version's share page is, read from the sources and the publish ledger (the decisions are in :mod:`.names`)."""

from __future__ import annotations

import time

from mkdocs_hybrid.config.manifest import Manifest
from mkdocs_hybrid.edge.unlisted import UnlistedKey, site_parts
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.layout import SHARE
from mkdocs_hybrid.model.snapshot import check_id
from mkdocs_hybrid.publish.ledger import ledger_path, open_existing_ledger
from mkdocs_hybrid.publish.names import Known, is_unlisted, published_version
from mkdocs_hybrid.sources.scan import scan_sources

__all__ = ["known_names", "share_path"]


def known_names(manifest: Manifest, thread: str | None = None) -> Known:
    """The sources' threads and versions (``thread``'s only, when given: the others are not read) and the
    publish ledger's published versions (none when there is no ledger yet)."""
    scan = scan_sources(manifest, owns=None if thread is None else lambda name: name == thread)
    rows: list[tuple[str, str, bool]] = []
    threads: set[str] = set()
    path = ledger_path(manifest)
    if path is not None and path.is_file():
        ledger = open_existing_ledger(manifest)
        try:
            rows = [(row.thread, row.version, row.entry.unlisted) for row in ledger.published(thread).values()]
            threads = set(ledger.latest_versions())  # one query: every thread a build recorded
        finally:
            ledger.close()
    return Known.of(scan.snapshots, scan.threads, [(e.thread, e.version) for e in scan.errors], rows,
                    threads)


def share_path(manifest: Manifest, thread: str, version: str, expires: str | None = None) -> str:
    """The site path of a published version's share page (``p/T/V/``, or ``p/_u/{token}/`` when unlisted), or
    with ``expires`` its signed link (``s/…/page.html``); a :class:`HybridError` line for anything else."""
    for value, what in ((thread, "thread"), (version, "version")):
        check_id(value, what)
    if ledger_path(manifest) is None:
        raise HybridError(f"share: {manifest.origin} has build.ledger: false, so nothing records which versions are "
                          "published; remove it and build, then share")
    known = known_names(manifest, thread)
    published_version(known, thread, version)
    unlisted = is_unlisted(known, thread, version)
    if expires is not None:
        _check_signable(manifest, thread, version, unlisted)
    folder, token = site_parts(thread, version, unlisted, UnlistedKey.from_env())
    return f"{SHARE}/{folder}/{token}/" if expires is None else _signed_share_path(token, expires)


def _check_signable(manifest: Manifest, thread: str, version: str, unlisted: bool) -> None:
    """A signed link is checked by the r2 mode's edge worker, and leads to an unlisted version's private files."""
    if manifest.deploy.artifacts != "r2":
        raise HybridError(f"share --expires: {manifest.origin} has deploy.artifacts: {manifest.deploy.artifacts}; "
                          "signed links need deploy.artifacts: r2 (the site's edge worker checks them)")
    if not unlisted:
        raise HybridError(f"share --expires: {thread}/{version} is listed, and a listed link does not expire; "
                          "share it without --expires")


def _signed_share_path(utoken: str, expires: str) -> str:
    """``s/{utoken}.{expiry}/{sig}/page.html``, expiring ``expires`` (e.g. 7d) from now."""
    from mkdocs_hybrid.edge.signed import ShareKeys, parse_duration, signed_path

    seconds = parse_duration(expires)
    return signed_path(ShareKeys.from_env(), utoken, int(time.time()) + seconds)
