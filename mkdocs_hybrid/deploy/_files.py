"""The files of a built site as Cloudflare Pages sees them: names, hashes, content types.

Mirrors what ``wrangler pages deploy`` does, so either tool finds the other's
uploads already present: the same ignore list, the same
content hash (blake3 of the base64 text plus the extension, 32 hex digits)
and the same Content-Type table (the ``mime`` package wrangler bundles).
Two deliberate differences: wrangler follows symlinks, we skip them, so a link
in the output folder can never publish a file from outside it; and a build's own
temporary files (``model.durable``, left by a killed build) are never uploaded.

A redeploy should not read the site again: with a stat index (:func:`hash_index`, kept in the build
cache), a file whose stat (size, mtime, ctime, inode: :func:`~mkdocs_hybrid.model.files.stat_signature`)
matches the one recorded when it was last hashed keeps that hash, and only the other files are read and
hashed. The stat is taken before the file is read, so a file written during the read is hashed again next
time; and a file changed within ``RACY_SECONDS`` of the scan is not recorded (the index's rule).

Only the files Pages receives need that hash: a deploy first lists the site (:func:`list_site_files`: names,
stats and types, nothing read), so that the files that go to an R2 store are never read for it, and a site over
the plan's file limit is refused before a single file is read (:func:`hash_site_files` runs after the check).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol

from blake3 import blake3

from mkdocs_hybrid.model.durable import is_temporary
from mkdocs_hybrid.model.files import StatIndex
from mkdocs_hybrid.publish.site_folder import KEEP_DIR

MAX_FILE_BYTES = 25 * 1024 * 1024
"""Pages refuses larger files (26,214,400 bytes)."""
DEFAULT_MAX_FILES = 20_000
"""The free plan's limit; the upload JWT says the real one."""
ROUTING_FILES = ("_headers", "_redirects", "_routes.json", "_worker.js")
"""Sent as deployment form parts, never as assets."""
_IGNORED_AT_ROOT = {*ROUTING_FILES, "functions", ".wrangler", KEEP_DIR}
"""Wrangler's own list, and the plugin's stash over MkDocs' clean (left behind only by a build that died)."""
_IGNORED_ANYWHERE = {".DS_Store", "node_modules", ".git"}
HASH_INDEX_SETTINGS = "pages-hash: blake3(base64(content) + extension)[:32]"
"""The stat index's settings: a change of the hash function must start a new index."""


@dataclass(frozen=True)
class SiteFile:
    """One asset of the site."""

    name: str
    """Site-relative POSIX path, without a leading slash."""
    path: Path
    size: int
    hash: str
    content_type: str


@dataclass(frozen=True)
class SiteEntry:
    """One asset as the walk found it, not read: what the file limit and the R2 stores need, without a hash."""

    name: str
    root: Path = field(repr=False)
    """The site folder: :attr:`path` is joined when asked for (a site has tens of thousands of entries, and most
    are only counted and hashed through the stat index)."""
    size: int
    content_type: str
    stat: os.stat_result = field(repr=False, compare=False)
    """Taken before any read: a file changed after it is recorded under its old stat (the index's rule)."""

    @property
    def path(self) -> Path:
        return self.root / self.name


class NamedFile(Protocol):
    """What an R2 store reads of a site file: a :class:`SiteEntry` or a :class:`SiteFile`."""

    @property
    def name(self) -> str: ...

    @property
    def path(self) -> Path: ...

    @property
    def content_type(self) -> str: ...


def pages_hash(content: bytes, name: str) -> str:
    """wrangler's asset hash: ``blake3(base64(content) + extension)``, first 32 hex digits."""
    extension = os.path.splitext(name)[1][1:]
    return blake3(base64.b64encode(content) + extension.encode()).hexdigest()[:32]


def content_type(name: str) -> str:
    """The Content-Type wrangler would send for ``name`` (``mime.getType`` semantics)."""
    last = name.rsplit("/", 1)[-1].lower()
    extension = last.rsplit(".", 1)[-1]
    has_path = len(last) < len(name)
    has_dot = len(extension) < len(last) - 1
    found = _content_types().get(extension) if (has_dot or not has_path) else None
    return found or "application/octet-stream"


def hash_index(cache_dir: Path, site_dir: Path) -> StatIndex:
    """The stat index of ``site_dir``'s Pages hashes, in ``cache_dir`` (one file per site folder)."""
    site = str(site_dir.resolve())
    name = hashlib.blake2b(site.encode(), digest_size=8).hexdigest()
    return StatIndex(cache_dir / "deploy" / f"pages-{name}.json", {"site": site, "hash": HASH_INDEX_SETTINGS})


def collect_site_files(site_dir: Path, *, cache_dir: Path | None = None) -> list[SiteFile]:
    """Every asset under ``site_dir`` that a deployment uploads, sorted by name; with ``cache_dir`` (the build
    cache), through the site's :func:`hash_index`: unchanged files are not read (the module's docstring)."""
    return hash_site_files(site_dir, list_site_files(site_dir), cache_dir=cache_dir)


def list_site_files(site_dir: Path) -> list[SiteEntry]:
    """:func:`collect_site_files` without reading a file: names, stats and types, sorted by name."""
    found = _walk(str(site_dir), "")
    found.sort(key=lambda item: item[0])
    return [SiteEntry(name, site_dir, stat.st_size, content_type(name), stat) for name, stat in found]


def hash_site_files(site_dir: Path, entries: Iterable[SiteEntry], *, cache_dir: Path | None = None) -> list[SiteFile]:
    """The Pages hash of each of ``entries`` (of ``site_dir``), through the site's :func:`hash_index` with
    ``cache_dir``; the index keeps only these entries."""
    index = hash_index(cache_dir, site_dir) if cache_dir is not None else None
    files = [_site_file(site_dir, entry.name, entry.stat, index, entry.content_type) for entry in entries]
    if index is not None:
        index.save()  # only a cache of hashes: right whatever becomes of the deployment
    return files


def collect_files_under(site_dir: Path, names: Iterable[str]) -> list[SiteFile]:
    """The assets at or under the site-relative ``names`` only (missing ones are skipped), sorted by name: what
    one thread's publication sends, without walking the rest of the folder."""
    found: dict[str, os.stat_result] = {}
    for name in names:
        path = site_dir / name
        if path.is_symlink() or is_temporary(path.name):
            continue
        relative = path.relative_to(site_dir).as_posix()
        if path.is_dir():
            found.update(_walk(str(path), f"{relative}/"))
        elif path.is_file():
            found[relative] = path.stat()
    return [_site_file(site_dir, name, found[name], None) for name in sorted(found)]


def _site_file(site_dir: Path, name: str, stat: os.stat_result, index: StatIndex | None,
               kind: str | None = None) -> SiteFile:
    """``stat`` was taken before the read: a file changed after it is recorded under its old stat; ``kind``: the
    content type when the caller has it."""
    path = site_dir / name
    kind = kind or content_type(name)
    # stat_signature's four fields, without its digest: one file per entry, named by the entry itself
    signature = f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}:{stat.st_ino}"
    record = index.lookup(name, signature) if index is not None else None
    recorded = record.get("hash") if record is not None else None
    if isinstance(recorded, str) and len(recorded) == 32:
        return SiteFile(name=name, path=path, size=stat.st_size, hash=recorded, content_type=kind)
    data = path.read_bytes()
    digest = pages_hash(data, name)
    if index is not None:
        index.store(name, signature, max(stat.st_mtime_ns, stat.st_ctime_ns), {"hash": digest})
    return SiteFile(name=name, path=path, size=len(data), hash=digest, content_type=kind)


def _walk(folder: str, prefix: str) -> list[tuple[str, os.stat_result]]:
    """``(site-relative name, stat)`` of every file under ``folder`` (whose own name is ``prefix``); strings,
    not paths: a site has tens of thousands of files."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            relative = prefix + entry.name
            if _ignored(relative) or entry.is_symlink() or is_temporary(entry.name):
                continue  # a build killed mid-write can leave a temporary file the next build sweeps: never deployed
            if entry.is_dir():
                found.extend(_walk(entry.path, f"{relative}/"))
            else:
                found.append((relative, entry.stat(follow_symlinks=False)))
    return found


def _ignored(relative: str) -> bool:
    """wrangler's minimatch patterns: ``**/node_modules`` etc. match at any depth, except that ``**``
    does not walk through dot-folders (``.hidden/node_modules`` is deployed)."""
    if relative in _IGNORED_AT_ROOT:
        return True
    if relative.rpartition("/")[2] not in _IGNORED_ANYWHERE:
        return False  # most names: no need to split the path
    return not any(part.startswith(".") for part in relative.split("/")[:-1])


@cache
def _content_types() -> dict[str, str]:
    table: dict[str, str] = json.loads((Path(__file__).parent / "content_types.json").read_text(encoding="utf-8"))
    return table
