"""Every source kind, by the manifest's ``type:``: adding a kind is its module plus one line here.

The order is the one the manifest's error lists them in.
"""

from __future__ import annotations

from mkdocs_hybrid.sources.convex import CONVEX
from mkdocs_hybrid.sources.convex_export import CONVEX_EXPORT
from mkdocs_hybrid.sources.directory import DIRECTORY
from mkdocs_hybrid.sources.git import GIT
from mkdocs_hybrid.sources.kind import SourceConfig, SourceKind
from mkdocs_hybrid.sources.snapshot_json import SNAPSHOT_JSON
from mkdocs_hybrid.sources.store_source import STORE

__all__ = ["SOURCE_KINDS", "kind_named", "kind_of"]

SOURCE_KINDS: dict[str, SourceKind] = {kind.name: kind for kind in (
    DIRECTORY,
    SNAPSHOT_JSON,
    STORE,
    CONVEX,
    CONVEX_EXPORT,
    GIT,
)}


def kind_named(name: object) -> SourceKind | None:
    """The kind a manifest's ``type:`` names, or ``None`` (anything but a known name, a list included)."""
    return SOURCE_KINDS.get(name) if isinstance(name, str) else None


def kind_of(source: SourceConfig) -> SourceKind:
    """The kind that parsed ``source``."""
    return SOURCE_KINDS[source.type]
