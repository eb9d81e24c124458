"""What a build publishes for the editor: ``editor/``, the recipe, each version's ``source.json`` and the
gallery's "Open in editor" links; and what it keeps back (unlisted versions, binary files, ``enabled: false``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mkdocs_hybrid.config.manifest import load_manifest
from mkdocs_hybrid.editor.recipe import page_variants, snapshot_rules
from mkdocs_hybrid.sources.scan import read_snapshot_json
from tests.factory import build_standalone, write_tree


def build(project: Path, **editor: object) -> Path:
    return build_standalone(project, **({"editor": editor} if editor else {}))


def recipe_of(site: Path) -> dict[str, Any]:
    found = list((site / "editor").glob("recipe.*.json"))
    assert len(found) == 1
    data: dict[str, Any] = json.loads(found[0].read_text(encoding="utf-8"))
    return data


DEMOS = {
    "demos/open/v1/index.js": "document.body.textContent = 'open';\n",
    "demos/open/v2/index.js": "document.body.textContent = 'open 2';\n",
    "demos/open/v2/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
    "demos/hidden/thread.yml": "unlisted: true\n",
    "demos/hidden/v1/index.js": "document.body.textContent = 'hidden';\n",
    "demos/quiet/v1/index.js": "document.body.textContent = 'quiet';\n",
    "demos/quiet/v1/snapshot.yml": "unlisted: true\n",
    "demos/quiet/v2/index.js": "document.body.textContent = 'quiet 2';\n",
}


def test_the_build_publishes_the_editor_and_each_versions_source(tmp_path: Path) -> None:
    write_tree(tmp_path, DEMOS)
    site = build(tmp_path)
    assert (site / "editor" / "index.html").is_file()
    source = site / "artifacts" / "open" / "v1" / "source.json"
    meta = json.loads((site / "artifacts" / "open" / "v1" / "meta.json").read_text(encoding="utf-8"))
    assert set(meta["files"]) == {"page.html", "style.css", "source.json"}
    assert meta["files"]["source.json"]["size"] == source.stat().st_size
    # The source reads back as the same version through the snapshots source.
    again = read_snapshot_json(source, load_manifest(tmp_path / "hybrid.yml").build)
    assert (again.thread, again.version, again.entry) == ("open", "v1", "index.js")
    assert dict(again.files) == {"index.js": b"document.body.textContent = 'open';\n"}
    # No source where the format cannot hold the files (a PNG), nor for anything unlisted.
    assert not (site / "artifacts" / "open" / "v2" / "source.json").exists()
    assert not (site / "artifacts" / "hidden" / "v1" / "source.json").exists()
    assert not (site / "artifacts" / "quiet" / "v1" / "source.json").exists()
    assert recipe_of(site)["threads"] == {"open": ["v2", "v1"], "quiet": ["v2"]}
    thread_page = (site / "gallery" / "open" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../editor/?thread=open&amp;version=v1"' in thread_page
    quiet_page = (site / "gallery" / "quiet" / "index.html").read_text(encoding="utf-8")
    assert "version=v1" not in quiet_page and "version=v2" in quiet_page


def test_the_recipe_carries_the_builds_own_rules(tmp_path: Path) -> None:
    write_tree(tmp_path, DEMOS)
    recipe = recipe_of(build(tmp_path))
    assert recipe["format"] == "mkdocs-hybrid/editor-recipe@1"
    assert recipe["page"] == page_variants() and len(recipe["page"]) == 8
    assert all("\0title\0" in variant for variant in recipe["page"].values())
    assert "--bundle" in recipe["flags"] and recipe["shims_folder"] == ".shims/node_modules"
    assert recipe["mime_types"][".png"] == "image/png"
    assert recipe["snapshot"] == snapshot_rules()  # the page checks snapshots by these (test_editor_rules.py)


def test_the_editor_can_be_turned_off(tmp_path: Path) -> None:
    write_tree(tmp_path, DEMOS)
    site = build(tmp_path, enabled=False)
    assert not (site / "editor").exists()
    assert not list((site / "artifacts").glob("*/*/source.json"))
    assert "editor/" not in (site / "gallery" / "open" / "index.html").read_text(encoding="utf-8")
