"""mkdocs-hybrid: many live code snapshots -> immutable share links and a gallery.

The public API is listed in ``__all__``; every other module is an implementation
detail that may change between releases.
"""

from __future__ import annotations

from mkdocs_hybrid.errors import HybridError, ManifestError, SnapshotError, ToolchainError
from mkdocs_hybrid.manifest import Manifest, load_manifest, parse_manifest
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.report import BuildReport
from mkdocs_hybrid.snapshot import Snapshot, Thread

__version__ = "0.1.0"

__all__ = [
    "BuildReport",
    "Export",
    "HybridError",
    "Manifest",
    "ManifestError",
    "Snapshot",
    "SnapshotError",
    "Thread",
    "ToolchainError",
    "load_manifest",
    "parse_manifest",
    "__version__",
]
