"""A share page links to the editor opened on its version, only where the editor can open it (issue 20, item 12):
the editor is on and the version's ``source.json`` is published."""

from __future__ import annotations

from pathlib import Path

import pytest

from mkdocs_hybrid.edge.sandbox import SAME_SITE
from mkdocs_hybrid.model.catalog import Catalog
from mkdocs_hybrid.publish import version_pages
from tests.gallery.test_social import SITE, thread, version

LINK = '<a href="../../../editor/?thread=alpha&amp;version=v2">Open in editor</a>'


def _share_page(tmp_path: Path, *, editor: bool, source: bool) -> str:
    site = tmp_path / "site"
    (site / "p/alpha/v2").mkdir(parents=True)
    (site / "artifacts/alpha/v2").mkdir(parents=True)
    if source:
        (site / "artifacts/alpha/v2/source.json").write_text("{}")
    catalog = Catalog(threads=(thread(version("v2")),))
    version_pages.write_version_pages(site, catalog, parts_of=lambda t, v: (t, v), origin=SAME_SITE, site_url=SITE,
                                      editor=editor)
    return (site / "p/alpha/v2/index.html").read_text(encoding="utf-8")


def test_a_share_page_links_to_the_editor_where_the_source_is_published(tmp_path: Path) -> None:
    assert LINK in _share_page(tmp_path, editor=True, source=True)


@pytest.mark.parametrize(("editor", "source"), [(False, True), (True, False), (False, False)])
def test_no_editor_link_without_the_editor_or_the_source(tmp_path: Path, editor: bool, source: bool) -> None:
    assert "Open in editor" not in _share_page(tmp_path, editor=editor, source=source)
