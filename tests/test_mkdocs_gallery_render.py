"""Gallery pages skip MkDocs' Markdown render (their Markdown is only front matter) and the site stays the same.

Builds run in-process (``load_config`` + ``build``), as ``mkdocs build`` does, so the test can count the
Markdown converters MkDocs makes and compare a build that skips them with one that does not.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import markdown
import pytest
from conftest import SOURCE_DATE_EPOCH, set_theme, site_dir
from mkdocs.commands.build import build
from mkdocs.config import load_config
from mkdocs.structure import pages as mkdocs_pages

from mkdocs_hybrid.plugin import HybridPlugin
from tests.factory import read_tree


@contextmanager
def counted_converters(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Count the Markdown converters MkDocs builds for pages (one per rendered page)."""
    made = [0]

    class Counted(markdown.Markdown):
        def __init__(self, **options: Any) -> None:
            made[0] += 1
            super().__init__(**options)

    with monkeypatch.context() as patch:
        patch.setattr(mkdocs_pages.markdown, "Markdown", Counted)
        yield made


def build_in_process(project: Path, monkeypatch: pytest.MonkeyPatch, made: list[int] | None = None) -> dict[str, bytes]:
    """``mkdocs build``; with ``made``, the Markdown converters its pages needed are added to ``made[0]``
    (not the one MkDocs' config check makes)."""
    config = load_config(config_file=str(project / "mkdocs.yml"))
    if made is None:
        build(config)
    else:
        with counted_converters(monkeypatch) as counted:
            build(config)
        made[0] += counted[0]
    return read_tree(site_dir(project))


def docs_pages(project: Path) -> int:
    return sum(1 for _ in (project / "docs").rglob("*.md"))


def gallery_pages(site: dict[str, bytes]) -> list[str]:
    return [name for name in site if name.startswith("gallery/") and name.endswith("index.html")]


@pytest.mark.parametrize("theme", ["mkdocs", "material"])
def test_gallery_pages_are_not_markdown_rendered_and_the_site_is_the_same_as_with_the_render(
        seeded_project: Path, monkeypatch: pytest.MonkeyPatch, theme: str) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    set_theme(seeded_project, theme)
    made = [0]
    skipped = build_in_process(seeded_project, monkeypatch, made)
    assert gallery_pages(skipped)
    assert made[0] == docs_pages(seeded_project), "only the docs' own pages are Markdown-rendered"

    with monkeypatch.context() as patch:  # MkDocs renders every page, as before
        patch.setattr(HybridPlugin, "on_page_markdown", lambda self, text, /, **_: text)
        made = [0]
        rendered = build_in_process(seeded_project, monkeypatch, made)
    assert made[0] == docs_pages(seeded_project) + len(gallery_pages(rendered))

    differing = sorted(name for name in skipped.keys() | rendered.keys() if skipped.get(name) != rendered.get(name))
    assert not differing, f"skipping the render changed {differing}"


def test_a_gallery_page_another_plugin_wrote_markdown_into_is_rendered(seeded_project: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    (seeded_project / "hooks.py").write_text(
        "def on_page_markdown(markdown, page, config, files):\n"
        "    return markdown + '\\nAdded by a hook.\\n' if page.file.src_uri.startswith('gallery/') else markdown\n",
        encoding="utf-8")
    config_text = (seeded_project / "mkdocs.yml").read_text(encoding="utf-8")
    (seeded_project / "mkdocs.yml").write_text(config_text + "\nhooks: [hooks.py]\n", encoding="utf-8")
    made = [0]
    site = build_in_process(seeded_project, monkeypatch, made)
    assert made[0] == docs_pages(seeded_project) + len(gallery_pages(site))


def test_a_version_added_between_two_builds_is_in_its_thread_page_and_search_still_indexes_the_gallery(
        seeded_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    before = build_in_process(seeded_project, monkeypatch)
    thread = "svg-chart"
    assert f"gallery/{thread}/index.html" in before
    shutil.copytree(seeded_project / "sample_projects" / thread / "v1",
                    seeded_project / "sample_projects" / thread / "v1-added")

    after = build_in_process(seeded_project, monkeypatch)
    page = after[f"gallery/{thread}/index.html"].decode()
    assert f"p/{thread}/v1-added/" in page, "the new version is not on its thread page"
    assert f"p/{thread}/v1-added/" not in before[f"gallery/{thread}/index.html"].decode()

    def gallery_entries(site: dict[str, bytes]) -> dict[str, str]:
        docs = json.loads(site["search/search_index.json"])["docs"]
        return {doc["location"]: doc["text"] for doc in docs if doc["location"].startswith("gallery/")}

    entries = gallery_entries(after)
    assert f"gallery/{thread}/" in entries
    assert f"Thread: {thread}" in entries[f"gallery/{thread}/"]
    assert entries == gallery_entries(before), "a new version changes no thread's search text"
