"""mkdocs-hybrid: many live code snapshots -> immutable share links and a gallery.

The public API is listed in ``__all__``: what a caller of the library needs to run an export
(:class:`Export`, its :class:`Catalog` and :class:`BuildReport`), to build and merge shards, and every
error it can raise. ``mkdocs_hybrid.deploy`` is the public API of the deploy stage (Cloudflare Pages
and R2; imported on its own, as it brings in httpx and boto3). Every other module is an implementation
detail that may change between releases.

The stages, each a sub-package: ``config`` (the manifest) -> ``sources`` (snapshots) -> ``bundle``
(esbuild, npm sets, vendor files) -> ``publish`` (artifacts, ledger, version pages) -> ``gallery`` and
``edge`` (the host's routing files) -> ``media`` (posters, videos) -> ``deploy``; ``editor`` publishes the
browser editor, ``serve`` and ``live`` save and publish versions one at a time, ``scale`` shards and merges,
``model`` holds what they share. ``pipeline`` ties them together; ``cli`` and ``plugin`` adapt it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mkdocs_hybrid.model.lazy import lazy_names

if TYPE_CHECKING:
    from mkdocs_hybrid.bundle.dependencies import DependencyError
    from mkdocs_hybrid.config.manifest import Manifest, load_manifest, parse_manifest
    from mkdocs_hybrid.edge.static import RoutesError
    from mkdocs_hybrid.model.catalog import Catalog, ThreadEntry, VersionEntry
    from mkdocs_hybrid.model.errors import HybridError, ManifestError, SnapshotError, ToolchainError
    from mkdocs_hybrid.model.snapshot import Snapshot, Thread
    from mkdocs_hybrid.pipeline import Export
    from mkdocs_hybrid.report import BuildReport
    from mkdocs_hybrid.scale.shards import MergedShards, Shard, merge_shards

__version__ = "0.1.0"

__all__ = [
    "BuildReport",
    "Catalog",
    "DependencyError",
    "Export",
    "HybridError",
    "Manifest",
    "ManifestError",
    "MergedShards",
    "RoutesError",
    "Shard",
    "Snapshot",
    "SnapshotError",
    "Thread",
    "ThreadEntry",
    "ToolchainError",
    "VersionEntry",
    "__version__",
    "load_manifest",
    "merge_shards",
    "parse_manifest",
]

_HOMES = {
    "DependencyError": "bundle.dependencies",
    "Manifest": "config.manifest", "load_manifest": "config.manifest", "parse_manifest": "config.manifest",
    "RoutesError": "edge.static",
    "Catalog": "model.catalog", "ThreadEntry": "model.catalog", "VersionEntry": "model.catalog",
    "HybridError": "model.errors", "ManifestError": "model.errors", "SnapshotError": "model.errors",
    "ToolchainError": "model.errors",
    "Snapshot": "model.snapshot", "Thread": "model.snapshot",
    "Export": "pipeline",
    "BuildReport": "report",
    "MergedShards": "scale.shards", "Shard": "scale.shards", "merge_shards": "scale.shards",
}
"""Where each public name lives. The package imports none of them up front: ``mkdocs-hybrid --version``, a
no-op build (the whole-build short cut) and the MkDocs plugin's start load only the modules they use, not
the bundler, the gallery's templates or the media stack (issue 24)."""


__getattr__, __dir__ = lazy_names(__name__, _HOMES)
