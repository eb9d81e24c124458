"""Starter demos for ``mkdocs-hybrid new THREAD --template NAME``: a first version that builds at once.

Each starter is a folder under ``starter_files/``: the demo's files as they are saved, and ``starter.yml`` with
its title, description, tags and pinned dependencies. The new thread's ``v1`` goes through the same validator and
the same save as a version the editor saves through ``serve`` (``parse_snapshot_json``, then the source's
:class:`SaveTarget`), so what ``new`` writes is what the build reads.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs_hybrid.config.manifest import Manifest
from mkdocs_hybrid.config.yaml_loader import load_yaml
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.snapshot import SNAPSHOT_FORMAT, check_id
from mkdocs_hybrid.sources.directory import DIRECTORY
from mkdocs_hybrid.sources.kind import SaveTarget
from mkdocs_hybrid.sources.registry import kind_of
from mkdocs_hybrid.sources.snapshot_json import parse_snapshot_json

__all__ = ["STARTERS", "Starter", "load_starter", "scaffold", "starter_document"]

STARTER_FILES = Path(__file__).with_name("starter_files")
STARTERS = ("vanilla", "react", "canvas", "svg")
"""The starters, the first one the default."""
FIRST_VERSION = "v1"


@dataclass(frozen=True)
class Starter:
    name: str
    title: str
    description: str
    tags: tuple[str, ...]
    files: Mapping[str, str]
    dependencies: Mapping[str, str]


def load_starter(name: str) -> Starter:
    """The starter called ``name`` (one of :data:`STARTERS`)."""
    if name not in STARTERS:
        raise HybridError(f"no starter named {name!r}; choose one of {', '.join(STARTERS)}")
    folder = STARTER_FILES / name
    meta = load_yaml((folder / "starter.yml").read_bytes())
    assert isinstance(meta, dict), f"{folder}/starter.yml"
    files = {path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
             for path in sorted(folder.rglob("*")) if path.is_file() and path.name != "starter.yml"}
    return Starter(name=name, title=meta["title"], description=meta["description"], tags=tuple(meta["tags"]),
                   files=files, dependencies=dict(meta.get("dependencies") or {}))


def starter_document(starter: Starter, thread: str, created: str | None = None) -> dict[str, Any]:
    """The snapshot JSON of the new thread's first version."""
    return {"format": SNAPSHOT_FORMAT, "thread": thread, "version": FIRST_VERSION, "title": starter.title,
            "created": created or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "tags": list(starter.tags), "files": dict(starter.files), "dependencies": dict(starter.dependencies)}


def scaffold(manifest: Manifest, thread: str, starter: Starter, *, taken: bool,
             into: Path | None = None) -> SaveTarget:
    """Save ``thread``'s first version from ``starter`` into the manifest's source (``into``, else its first
    directory source, else its store); refuses a thread that is ``taken`` (in the sources, even unreadable,
    or in the publish ledger). Returns where it was saved."""
    try:
        check_id(thread, "thread")
    except ValueError as exc:
        raise HybridError(f"new: {exc}") from None
    if taken:
        raise HybridError(f"thread {thread!r} exists already; pick another name, or open it in the editor to "
                          "save a new version of it")
    target = _target(manifest, into)
    data = starter_document(starter, thread)
    parse_snapshot_json(data, manifest.build, f"starter {starter.name}")
    target.check(data)
    target.save(thread, FIRST_VERSION, data)
    return target


def _target(manifest: Manifest, into: Path | None) -> SaveTarget:
    wanted = into.resolve() if into is not None else None
    candidates = [source for source in manifest.sources if wanted is None or source.path == wanted]
    ranked = sorted(candidates, key=lambda source: kind_of(source) is not DIRECTORY)  # a folder first: it is
    for source in ranked:  # what a person edits next, in their own editor
        if (target := kind_of(source).target(source, manifest)) is not None:
            return target
    if wanted is not None:
        raise HybridError(f"--into {into}: not a source of {manifest.origin} that versions can be saved into; "
                          "name a directory source or the store")
    raise HybridError(f"{manifest.origin} has no source to save a new thread into: add "
                      "{type: directory, path: demos} to its sources")
