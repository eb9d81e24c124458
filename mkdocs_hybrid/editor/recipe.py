"""``recipe.json``: everything the editor's worker needs to build a version into the share link's bytes.

The worker does not carry its own copy of the build's rules: it reads them from here, written by the build
that made the site. The esbuild flags are the native ones (converted flag by flag in the browser), the
snapshot tsconfig and the build folder's layout are the bundler's, and the page template is the one
``publish/artifacts.py`` fills, rendered for each combination of its conditions with sentinels where the
values go. The dependency sets list the vendor files this build published and what each was asked for, so
the editor picks the same file the build would. The snapshot rules (the format name, the id pattern and the
reserved ids, the entry candidates in their order, the keys a snapshot file may have) are the validator's
own constants, so the editor checks, names and picks entries as the build does.
"""

from __future__ import annotations

import html
import html.entities
import json
import mimetypes
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import product
from typing import Any

from markupsafe import Markup

from mkdocs_hybrid.bundle.bundler import ENTRY_NAME, SHIMS_FOLDER
from mkdocs_hybrid.bundle.confinement import IGNORED_CONFIG_FILES, SNAPSHOT_TSCONFIG
from mkdocs_hybrid.bundle.dependencies import InstalledSet
from mkdocs_hybrid.bundle.flags import esbuild_flags
from mkdocs_hybrid.bundle.vendor import GLOBAL, VendorFile
from mkdocs_hybrid.config.manifest import BuildOptions
from mkdocs_hybrid.model.layout import SITE_ROOT
from mkdocs_hybrid.model.snapshot import ENTRY_CANDIDATES, ID_PATTERN, RESERVED_IDS, SNAPSHOT_FORMAT
from mkdocs_hybrid.sources.snapshot_json import SNAPSHOT_JSON_KEYS
from mkdocs_hybrid.sources.starters import STARTERS, load_starter
from mkdocs_hybrid.templates import environment

__all__ = ["RECIPE_FORMAT", "UsedVendor", "editor_recipe", "page_variants", "set_entries", "snapshot_rules",
           "starter_recipes"]

RECIPE_FORMAT = "mkdocs-hybrid/editor-recipe@1"
SENTINEL = "\0{}\0"


@dataclass(frozen=True)
class UsedVendor:
    """A vendor file the build used: for which set, and which specifiers it was asked for."""

    deps: InstalledSet
    requested: tuple[str, ...]
    vendor: VendorFile | None


def page_variants() -> dict[str, str]:
    """``page.html`` rendered for every (css, vendor, js) combination, sentinels in place of the values."""
    template = environment().get_template("page.html")
    variants = {}
    for css, vendor, js in product((0, 1), repeat=3):
        variants[f"css={css} vendor={vendor} js={js}"] = template.render(
            title=SENTINEL.format("title"), has_css=bool(css),
            vendor_src=SENTINEL.format("vendor_src") if vendor else None,
            js=Markup(SENTINEL.format("js")) if js else Markup(""))
    return variants


def snapshot_rules() -> dict[str, Any]:
    """What the editor checks a snapshot JSON by, and how it picks an entry (``editor_src/snapshot_format.js``).

    ``id_pattern`` is matched whole (``re.fullmatch``; the editor anchors it); the lists are in a stable order,
    ``entry_candidates`` in the order the build tries them.
    """
    return {"format": SNAPSHOT_FORMAT, "id_pattern": ID_PATTERN.pattern, "reserved_ids": sorted(RESERVED_IDS),
            "entry_candidates": list(ENTRY_CANDIDATES), "keys": sorted(SNAPSHOT_JSON_KEYS)}


def set_entries(sets: Iterable[InstalledSet], used: Iterable[UsedVendor]) -> list[dict[str, Any]]:
    """Each dependency set (by key) with the vendor files made for it, in a stable order."""
    entries: dict[str, dict[str, Any]] = {}

    def entry_of(deps: InstalledSet) -> dict[str, Any]:
        return entries.setdefault(deps.key, {"key": deps.key, "direct": dict(sorted(deps.direct.items())),
                                             "vendors": []})

    for deps in sets:
        if deps.direct:
            entry_of(deps)
    for item in used:
        entry = entry_of(item.deps)
        vendor = vendor_entry(item.requested, item.vendor)
        if vendor not in entry["vendors"]:
            entry["vendors"].append(vendor)
    for entry in entries.values():
        entry["vendors"].sort(key=lambda vendor: vendor["requested"])
    return [entries[key] for key in sorted(entries)]


def vendor_entry(requested: tuple[str, ...], vendor: VendorFile | None) -> dict[str, Any]:
    """One vendor file as the recipe lists it (``path`` is ``None`` when nothing of it is JS)."""
    return {"path": vendor.name if vendor else None, "requested": list(requested),
            "modules": list(vendor.specifiers) if vendor else []}


def html_unescape_tables() -> dict[str, Any]:
    """What :func:`html.unescape` (through ``html.parser``, which reads ``index.html`` entries) decodes
    attribute values with: HTML5's named references and the replacements of invalid numeric ones."""
    invalid_charrefs: dict[int, str] = getattr(html, "_invalid_charrefs")  # noqa: B009 - no public name
    invalid_codepoints: set[int] = getattr(html, "_invalid_codepoints")  # noqa: B009
    return {"named": dict(sorted(html.entities.html5.items())),
            "invalid_charrefs": {str(code): text for code, text in sorted(invalid_charrefs.items())},
            "invalid_codepoints": sorted(invalid_codepoints)}


def starter_recipes() -> list[dict[str, Any]]:
    """The starters of ``mkdocs-hybrid new``, for the editor's New menu (the first one opens a blank editor)."""
    return [{"name": starter.name, "title": starter.title, "description": starter.description,
             "tags": list(starter.tags), "files": dict(starter.files), "dependencies": dict(starter.dependencies)}
            for starter in map(load_starter, STARTERS)]


def editor_recipe(esbuild_version: str, options: BuildOptions, *, locked: Mapping[str, str],
                  sets: list[dict[str, Any]], threads: Mapping[str, list[str]],
                  preview_host: Mapping[str, str] | None = None, store: Mapping[str, Any] | None = None) -> bytes:
    """The recipe's bytes (stable: same build, same bytes). ``preview_host`` is the preview host page on the
    artifact origin (``editor/preview_host.py``: its URL and frame sandbox), or ``None``: an opaque frame.
    ``store`` is ``editor.store`` (``EditorStore.recipe``: a Convex deployment and how to sign in), or ``None``:
    the browser's IndexedDB, and then the recipe has no ``store`` key (its bytes are what they were)."""
    mimetypes.init()
    recipe = {
        "format": RECIPE_FORMAT,
        "esbuild": esbuild_version,
        "flags": esbuild_flags(options),
        "vendor": options.vendor,
        "tsconfig": SNAPSHOT_TSCONFIG,
        "ignored_config_files": sorted(IGNORED_CONFIG_FILES),
        "entry_name": ENTRY_NAME,
        "shims_folder": SHIMS_FOLDER,
        "vendor_global": GLOBAL,
        "site_root": SITE_ROOT,
        "snapshot": snapshot_rules(),
        "starters": starter_recipes(),
        "page": page_variants(),
        "preview_host": dict(preview_host) if preview_host else None,
        "mime_types": {ext: mimetypes.types_map[ext] for ext in sorted(mimetypes.types_map)},
        "html_unescape": html_unescape_tables(),
        "locked": dict(sorted(locked.items())),
        "sets": sets,
        "threads": {thread: list(versions) for thread, versions in sorted(threads.items())},
        "max_file_bytes": options.max_file_bytes,
        "max_snapshot_bytes": options.max_snapshot_bytes,
        "max_files": options.max_files,
    }
    if store is not None:
        recipe["store"] = dict(store)
    return (json.dumps(recipe, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
