"""Where ``serve`` saves versions: the source whose kind saves by default (the editor's store), or with
``--store DIR`` the source at DIR whose kind saves when named (a directory source).

The targets themselves belong to their kinds (:meth:`SourceKind.target`); both take snapshot JSON data already
validated by ``parse_snapshot_json`` and refuse an existing (thread, version): versions are immutable wherever
they live.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs_hybrid.config.manifest import Manifest
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.sources.kind import SaveTarget
from mkdocs_hybrid.sources.registry import kind_of

__all__ = ["Target", "choose_target"]

Target = SaveTarget
"""A place versions are saved into."""


def choose_target(manifest: Manifest, store_dir: Path | None) -> Target:
    """The manifest's store, or with ``--store DIR`` the directory source at DIR; one clear line otherwise."""
    if store_dir is not None:
        wanted = store_dir.resolve()
        for source in manifest.sources:
            kind = kind_of(source)
            found = None if kind.default_target or source.path != wanted else kind.target(source, manifest)
            if found is not None:
                return found
        raise HybridError(f"--store {store_dir}: not one of the directory sources of {manifest.origin}; "
                          "name one of them, or add it to the manifest's sources")
    for source in manifest.sources:
        kind = kind_of(source)
        if kind.default_target and (found := kind.target(source, manifest)) is not None:
            return found
    raise HybridError(f"{manifest.origin} has no store for the editor's versions: add "
                      "{type: store, path: editor.sqlite} to its sources")
