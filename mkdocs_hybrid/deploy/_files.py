"""The files of a built site as Cloudflare Pages sees them: names, hashes, content types.

Mirrors what ``wrangler pages deploy`` does, so either tool finds the other's
uploads already present: the same ignore list, the same
content hash (blake3 of the base64 text plus the extension, 32 hex digits)
and the same Content-Type table (the ``mime`` package wrangler bundles).
Two deliberate differences: wrangler follows symlinks, we skip them, so a link
in the output folder can never publish a file from outside it; and a build's own
temporary files (``model.durable``, left by a killed build) are never uploaded.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from blake3 import blake3

from mkdocs_hybrid.model.durable import is_temporary
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


@dataclass(frozen=True)
class SiteFile:
    """One asset of the site."""

    name: str
    """Site-relative POSIX path, without a leading slash."""
    path: Path
    size: int
    hash: str
    content_type: str


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


def collect_site_files(site_dir: Path) -> list[SiteFile]:
    """Every asset under ``site_dir`` that a deployment uploads, sorted by name."""
    return sorted((_site_file(site_dir, path) for path in _walk(site_dir, site_dir)), key=lambda f: f.name)


def collect_files_under(site_dir: Path, names: Iterable[str]) -> list[SiteFile]:
    """The assets at or under the site-relative ``names`` only (missing ones are skipped), sorted by name: what
    one thread's publication sends, without walking the rest of the folder."""
    paths: set[Path] = set()
    for name in names:
        path = site_dir / name
        if path.is_symlink() or is_temporary(path.name):
            continue
        if path.is_dir():
            paths.update(_walk(path, site_dir))
        elif path.is_file():
            paths.add(path)
    return sorted((_site_file(site_dir, path) for path in paths), key=lambda f: f.name)


def _site_file(site_dir: Path, path: Path) -> SiteFile:
    data = path.read_bytes()
    name = path.relative_to(site_dir).as_posix()
    return SiteFile(name=name, path=path, size=len(data), hash=pages_hash(data, name), content_type=content_type(name))


def _walk(folder: Path, root: Path) -> list[Path]:
    found = []
    for entry in os.scandir(folder):
        relative = Path(entry.path).relative_to(root).as_posix()
        if _ignored(relative) or entry.is_symlink() or is_temporary(entry.name):
            continue  # a build killed mid-write can leave a temporary file the next build sweeps: never deployed
        if entry.is_dir():
            found.extend(_walk(Path(entry.path), root))
        else:
            found.append(Path(entry.path))
    return found


def _ignored(relative: str) -> bool:
    """wrangler's minimatch patterns: ``**/node_modules`` etc. match at any depth, except that ``**``
    does not walk through dot-folders (``.hidden/node_modules`` is deployed)."""
    if relative in _IGNORED_AT_ROOT:
        return True
    parts = relative.split("/")
    return parts[-1] in _IGNORED_ANYWHERE and not any(part.startswith(".") for part in parts[:-1])


@cache
def _content_types() -> dict[str, str]:
    table: dict[str, str] = json.loads((Path(__file__).parent / "content_types.json").read_text(encoding="utf-8"))
    return table
