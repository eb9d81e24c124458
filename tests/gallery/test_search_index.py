"""Site search over the gallery: compact entries per gallery page, the pages themselves unchanged.

MkDocs' search plugins index a page's whole HTML; a gallery thread page is
mostly share links, embed snippets and previews, so the plugin lets search see
a compact text instead (title, description, tags, thread id) while the theme
still renders the full gallery.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SOURCE_DATE_EPOCH, build_site, output_of, set_theme, site_dir
from mkdocs.commands.build import build
from mkdocs.config import load_config

from mkdocs_hybrid.gallery import pages as gallery
from mkdocs_hybrid.model.catalog import Catalog
from mkdocs_hybrid.plugin import HybridPlugin
from tests.factory import write_tree

BYTES_PER_THREAD = 400
"""Most a thread's search entry may add to ``search_index.json`` (2,500 threads stay under 1 MB)."""

BULK_THREADS = 300
WORDS = ("canvas", "particles", "clock", "chart", "todo", "spinner", "editor", "palette", "timer", "grid")


def search_docs(site: Path) -> dict[str, dict[str, Any]]:
    """The search index's entries by location (both MkDocs' and Material's search write ``docs``)."""
    data = json.loads((site / "search" / "search_index.json").read_bytes())
    return {doc["location"]: doc for doc in data["docs"]}


def gallery_thread_docs(site: Path) -> dict[str, dict[str, Any]]:
    """Entries of thread pages (``gallery/{id}/...``), by thread id."""
    docs: dict[str, dict[str, Any]] = {}
    for location, doc in search_docs(site).items():
        parts = location.split("#")[0].split("/")
        if location.startswith("gallery/page/") and parts[2].isdigit():
            continue  # an index page after the first (gallery/page/{n}/), not a thread
        if len(parts) >= 3 and parts[0] == "gallery" and parts[1]:
            docs.setdefault(parts[1], doc)
            assert location == f"gallery/{parts[1]}/", f"a thread page has more than one entry: {location}"
    return docs


def built_catalog(project: Path, theme: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Catalog, Path, str | None]:
    """Build ``project`` in-process (like mkdocstrings' own tests) and return the plugin's catalog."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    set_theme(project, theme)
    config = load_config(config_file=str(project / "mkdocs.yml"))
    build(config)
    plugin = config.plugins["hybrid"]
    assert isinstance(plugin, HybridPlugin)
    return plugin.catalog, Path(config.site_dir), config.site_url


# --- the sample site -----------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["mkdocs", "material"])
def site(request: pytest.FixtureRequest) -> Path:
    return Path(request.getfixturevalue(f"sample_site_{request.param}"))


def test_thread_pages_are_indexed_by_title_tags_description_and_id(site: Path) -> None:
    docs = gallery_thread_docs(site)
    thread_dirs = sorted(p for p in (site.parent / "sample_projects").iterdir() if (p / "thread.yml").is_file())
    checked = 0
    for folder in thread_dirs:
        meta = yaml.safe_load((folder / "thread.yml").read_text(encoding="utf-8")) or {}
        if meta.get("unlisted"):
            assert folder.name not in docs, f"unlisted thread {folder.name} is in the search index"
            continue
        doc = docs[folder.name]
        assert doc["title"] == meta["title"].strip()
        for expected in [folder.name, *meta.get("tags", []), " ".join(meta.get("description", "").split()[:6])]:
            assert expected in doc["text"], f"{folder.name}: {expected!r} is not searchable: {doc['text']!r}"
        assert len(json.dumps(doc)) < 800, f"{folder.name}: the entry is not compact: {doc}"
        checked += 1
    assert checked >= 3


def test_thread_entries_leave_out_the_page_furniture(site: Path) -> None:
    """Share links, embed snippets and buttons are on the page, not in its search entry."""
    for thread_id, doc in gallery_thread_docs(site).items():
        page = (site / "gallery" / thread_id / "index.html").read_text(encoding="utf-8")
        assert f"p/{thread_id}/latest/" in page
        for furniture in ("/p/", "iframe", "Copy", "Open latest"):
            assert furniture not in doc["text"], f"{thread_id}: search indexes {furniture!r}: {doc['text']!r}"


def test_gallery_index_entry_stays_small(site: Path) -> None:
    doc = search_docs(site)["gallery/"]
    assert doc["title"] == "Gallery"
    assert "demos" in doc["text"]
    assert len(doc["text"]) < 1000, doc


# --- gallery HTML is untouched --------------------------------------------------------------------


@pytest.mark.parametrize("theme", ["mkdocs", "material"])
def test_gallery_pages_still_render_the_whole_gallery(seeded_project: Path, theme: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    catalog, site, site_url = built_catalog(seeded_project, theme, monkeypatch)
    index = (site / "gallery" / "index.html").read_text(encoding="utf-8")
    assert gallery.render_index(catalog, base="../", site_url=site_url) in index
    assert catalog.listed
    for entry in catalog.listed:
        page = (site / "gallery" / entry.id / "index.html").read_text(encoding="utf-8")
        fragment = gallery.render_thread(entry, base="../../", site_url=site_url, editor=True, site_dir=site)
        assert fragment in page, entry.id
        assert "hybrid-gallery" not in search_docs(site)[f"gallery/{entry.id}/"]["text"]


# --- many threads ----------------------------------------------------------------------------------


def bulk_project(root: Path, threads: int) -> Path:
    """``threads`` threads of two one-line versions each, with realistic titles, descriptions and tags."""
    files: dict[str, str] = {}
    for t in range(threads):
        word, other = WORDS[t % len(WORDS)], WORDS[(t // len(WORDS)) % len(WORDS)]
        files[f"demos/t{t:04d}/thread.yml"] = yaml.safe_dump({
            "title": f"{word.title()} {other} study {t}",
            "description": f"A small {word} demo with a {other} twist, saved one step at a time in plain JavaScript.",
            "tags": [word, other, "vanilla-js", f"series-{t % 7}"],
        })
        for v in (1, 2):
            files[f"demos/t{t:04d}/v{v}/index.js"] = f"document.body.textContent = '{word} {t} v{v}';\n"
            files[f"demos/t{t:04d}/v{v}/snapshot.yml"] = (
                f"title: {word} step {v}\ncreated: '2026-01-{v:02d}T00:00:00Z'\ntags: [{word}, step-{v}]\n")
    files["hybrid.yml"] = "sources: [{type: directory, path: demos}]\nbuild: {cache_dir: .cache}\n"
    files["docs/index.md"] = "# Bulk\n"
    files["mkdocs.yml"] = ("site_name: bulk\ntheme: {name: mkdocs, highlightjs: false}\n"
                           "plugins: [search, {hybrid: {manifest: hybrid.yml}}]\n")
    return write_tree(root, files)


def test_search_index_grows_by_a_few_hundred_bytes_per_thread(tmp_path: Path) -> None:
    project = bulk_project(tmp_path / "bulk", BULK_THREADS)
    result = build_site(project)
    assert result.returncode == 0, output_of(result)
    site = site_dir(project)
    docs = gallery_thread_docs(site)
    assert len(docs) == BULK_THREADS
    assert docs["t0012"]["title"] == "Clock particles study 12"
    assert "series-5" in docs["t0012"]["text"] and "t0012" in docs["t0012"]["text"]
    size = (site / "search" / "search_index.json").stat().st_size
    assert size / BULK_THREADS <= BYTES_PER_THREAD, f"search_index.json: {size} bytes for {BULK_THREADS} threads"
