"""Objects the artifact store must no longer hold at a version's public paths: the version is unlisted now.

Why: in the default mode a deploy replaces the whole Pages site, so a version made unlisted (``unlisted: true``
in ``snapshot.yml`` or ``thread.yml``) is gone from ``p/{thread}/{version}/`` and ``artifacts/{thread}/
{version}/`` as soon as the build moves it to its unguessable path. In the artifact store mode those objects live
in the public bucket, which deploys only add to: without this, the version would stay readable at the path
anyone can guess, and its thread's page and ``latest`` page would keep naming it.

A version is **withdrawn** when this build holds it at its unguessable path (``p/_u/{token}/``: the token needs
the unlisted key) and not at its ids, while the bucket still holds objects at its ids. Only then: a version
missing from this build for another reason (published by another publisher after this build started) is never
touched. A thread with a withdrawn version whose thread page and ``latest`` page this build does not write (the
thread is unlisted now) loses those too, and its signed ``history.json`` (an unlisted thread's history stays in
the ledger; the site's index no longer lists it). Pure: the caller lists the bucket and deletes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from mkdocs_hybrid.model.layout import ARTIFACTS, GALLERY, HISTORY_FILE, LATEST, SHARE, UNLISTED

__all__ = ["withdrawn_keys"]


def withdrawn_keys(held: Iterable[str], sent: Collection[str], token: Callable[[str, str], str | None]) -> list[str]:
    """The keys of ``held`` (the public bucket's, under ``artifacts/``, ``p/`` and ``gallery/``) to delete, given
    the site paths this build ``sent`` to the stores and ``token(thread, version)`` (``None`` without a key)."""
    by_version: dict[tuple[str, str], list[str]] = {}
    pages: set[str] = set()
    for key in held:
        ids = _version_ids(key)
        if ids is not None:
            by_version.setdefault(ids, []).append(key)
        elif key.startswith((f"{GALLERY}/", f"{SHARE}/")):
            pages.add(key)
    withdrawn: list[str] = []
    threads: set[str] = set()
    for (thread, version), keys in sorted(by_version.items()):
        unguessable = token(thread, version)
        if f"{SHARE}/{thread}/{version}/index.html" in sent or unguessable is None:
            continue
        if f"{SHARE}/{UNLISTED}/{unguessable}/index.html" in sent:
            withdrawn += keys
            threads.add(thread)
    for thread in sorted(threads):
        withdrawn += [page for page in (f"{GALLERY}/{thread}/index.html", f"{GALLERY}/{thread}/{HISTORY_FILE}",
                                        f"{SHARE}/{thread}/{LATEST}/index.html") if page in pages and page not in sent]
    return sorted(withdrawn)


def _version_ids(key: str) -> tuple[str, str] | None:
    """(thread, version) of a key at a version's ids path: ``artifacts/t/v/FILE`` or ``p/t/v/index.html``."""
    parts = key.split("/")
    if parts[0] == ARTIFACTS and len(parts) >= 4 and parts[1] != UNLISTED:
        return parts[1], parts[2]
    if parts[0] == SHARE and len(parts) == 4 and parts[3] == "index.html" and parts[1] != UNLISTED \
            and parts[2] != LATEST:
        return parts[1], parts[2]
    return None
