"""Put the editor in a site: its page and assets, and the recipe of the build that made the site.

An unsharded build calls :func:`publish_editor` with what it learned about npm sets; a shard build leaves
the same facts (:class:`EditorInputs`) in its shard folder, and ``merge`` joins them and publishes the editor
once, so a merged site has the same ``editor/`` as one full build.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdocs_hybrid.bundle.toolchain import Toolchain
from mkdocs_hybrid.config.manifest import Manifest
from mkdocs_hybrid.edge.sandbox import ArtifactOrigin
from mkdocs_hybrid.editor.assets import build_editor_assets, write_editor
from mkdocs_hybrid.editor.preview_host import write_preview_host
from mkdocs_hybrid.editor.recipe import editor_recipe
from mkdocs_hybrid.model.catalog import Catalog

__all__ = ["EditorInputs", "publish_editor"]


@dataclass(frozen=True)
class EditorInputs:
    """The build's npm facts the recipe lists: pins of ranges, and each set with its vendor files."""

    locked: dict[str, str] = field(default_factory=dict)
    sets: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"locked": self.locked, "sets": self.sets}, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> EditorInputs:
        data = json.loads(text)
        return cls(locked=dict(data["locked"]), sets=list(data["sets"]))

    @classmethod
    def merged(cls, parts: list[EditorInputs]) -> EditorInputs:
        """One build's facts from its shards' (sets by key, their vendor files joined)."""
        locked: dict[str, str] = {}
        sets: dict[str, dict[str, Any]] = {}
        for part in parts:
            locked.update(part.locked)
            for entry in part.sets:
                known = sets.setdefault(entry["key"], {**entry, "vendors": []})
                known["vendors"] += [v for v in entry["vendors"] if v not in known["vendors"]]
        for entry in sets.values():
            entry["vendors"].sort(key=lambda vendor: vendor["requested"])
        return cls(locked=dict(sorted(locked.items())), sets=[sets[key] for key in sorted(sets)])


def publish_editor(site_dir: Path, toolchain: Toolchain, manifest: Manifest, catalog: Catalog,
                   inputs: EditorInputs, site_url: str | None = None) -> None:
    """Write ``editor/`` for ``catalog`` (only listed threads and versions are named in the recipe), and in the
    artifact store mode with a ``site_url``, the preview host on the artifact origin that the recipe names."""
    threads = {thread.id: [v.version for v in thread.versions if not v.unlisted]
               for thread in catalog.threads if not thread.unlisted}
    origin = ArtifactOrigin.of(manifest.deploy)
    host = write_preview_host(site_dir, origin, site_url)
    recipe = editor_recipe(toolchain.version, manifest.build, locked=inputs.locked, sets=inputs.sets,
                           threads={thread: versions for thread, versions in threads.items() if versions},
                           preview_host=host.recipe() if host else None,
                           store=manifest.editor.store.recipe() if manifest.editor.store else None)
    write_editor(site_dir, build_editor_assets(toolchain, manifest.cache_dir), recipe,
                 artifacts=f"{origin.url.rstrip('/')}/" if origin.url else "../")
