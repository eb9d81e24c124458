"""Keeping built trees of the site folder across a site generator's clean.

MkDocs empties its site folder before every build, which would make every
artifact a rewrite. An adapter calls :func:`set_aside` just before the clean
(the trees move into a hidden folder, which MkDocs' clean leaves alone) and
:func:`put_back` after it; the export then checks each kept artifact against its
build key. :func:`prune` and :func:`keep_only` remove what a clean build would not
have made, so the site is the same as after a clean build.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from mkdocs_hybrid.edge.unlisted import UnlistedKey, site_parts
from mkdocs_hybrid.model.catalog import Catalog
from mkdocs_hybrid.model.layout import ARTIFACTS, GALLERY, LATEST, LATEST_MAP, SHARE

__all__ = ["KEEP_DIR", "KEPT_TREES", "keep_only", "prune", "put_back", "set_aside"]

KEPT_TREES = (ARTIFACTS, SHARE, GALLERY)
"""Site folders kept over MkDocs' clean: the export checks each artifact against its build key, and MkDocs
overwrites the gallery pages (what neither writes again is pruned, see :func:`prune` and :func:`keep_only`)."""
KEEP_DIR = ".mkdocs-hybrid-kept"
"""Where they wait during the clean: a hidden folder of the site dir, which MkDocs' clean leaves alone."""


def set_aside(site_dir: Path, also: Iterable[str] = ()) -> None:
    """Move the kept trees, and the top-level entries ``also`` names, into the hidden :data:`KEEP_DIR`, one
    rename each. ``also``: the export's other outputs, which :func:`put_back` leaves there for the export (it
    puts them back only when nothing changed since the build that wrote them, see ``whole_build.py``).

    A build that failed before ``on_files`` leaves its trees there; the site's own trees replace them,
    else they are used (the export checks every artifact against its build key anyway).
    """
    stash = site_dir / KEEP_DIR
    for name in KEPT_TREES:
        tree, kept = site_dir / name, stash / name
        if tree.is_dir() and not tree.is_symlink():
            shutil.rmtree(kept, ignore_errors=True)
            stash.mkdir(exist_ok=True)
            tree.rename(kept)
    for name in also:
        entry, kept = site_dir / name, stash / name
        if name not in KEPT_TREES and os.path.lexists(entry):
            _remove_path(kept)
            stash.mkdir(exist_ok=True)
            entry.rename(kept)


def put_back(site_dir: Path) -> None:
    """Return the trees set aside before the clean; a tree the site has again (``--dirty``) wins."""
    stash = site_dir / KEEP_DIR
    if not stash.is_dir():
        return
    for name in KEPT_TREES:
        kept = stash / name
        if kept.is_dir() and not (site_dir / name).exists():
            kept.rename(site_dir / name)
        shutil.rmtree(kept, ignore_errors=True)
    try:
        stash.rmdir()
    except OSError:
        pass  # the export's other outputs (``set_aside(also=...)``) wait there for the export


def prune(site_dir: Path, catalog: Catalog, key: UnlistedKey | None = None) -> None:
    """Remove from the kept trees what a clean build would not have: threads and versions out of the catalog
    (unlisted versions are where ``key`` puts them, under ``_u/``)."""
    wanted: dict[str, set[str]] = {}
    for thread in catalog.threads:
        for version in thread.versions:
            # A catalog holds an unlisted version only when the build had the key (without it, it is refused).
            folder, name = site_parts(thread.id, version.version, thread.unlisted or version.unlisted, key)
            wanted.setdefault(folder, set()).add(name)
        if not thread.unlisted:
            wanted.setdefault(thread.id, set())  # its latest page (an unlisted thread has none)
    for name, always in ((ARTIFACTS, set()), (SHARE, {LATEST})):
        for thread_entry in _entries(site_dir / name):
            if name == SHARE and thread_entry.name == LATEST_MAP:
                continue  # written by the routes step, not a thread
            versions = wanted.get(thread_entry.name)
            if versions is None or not thread_entry.is_dir(follow_symlinks=False):
                _remove(thread_entry)
                continue
            for version_entry in _entries(thread_entry.path):  # no Path per thread: 25,000 at 50,000 versions
                if version_entry.name not in versions and version_entry.name not in always:
                    _remove(version_entry)


def keep_only(folder: str | Path, keep: set[str], prefix: str) -> bool:
    """Remove every file under ``folder`` whose site path (``prefix`` + relative path) is not in ``keep``,
    and the folders left empty; return whether anything is left."""
    left = False
    for entry in _entries(folder):
        path = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            if keep_only(entry.path, keep, path + "/"):
                left = True
            else:
                os.rmdir(entry.path)
        elif path in keep:
            left = True
        else:
            os.unlink(entry.path)
    return left


def _entries(folder: str | Path) -> list[os.DirEntry[str]]:
    """A folder's entries (none when it is missing); ``DirEntry`` knows its type without a stat per entry."""
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _remove(entry: os.DirEntry[str]) -> None:
    if entry.is_dir(follow_symlinks=False):
        shutil.rmtree(entry.path)
    else:
        os.unlink(entry.path)
