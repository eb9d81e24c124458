"""Derived files: a kind registered by one line of the layout's table is written for every version, removed when
it has nothing to say, and counted as derived (never a published byte) by the publisher and the deploy targets."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mkdocs_hybrid.edge.sandbox import SAME_SITE
from mkdocs_hybrid.model import layout
from mkdocs_hybrid.model.catalog import Catalog
from mkdocs_hybrid.publish import derived, version_pages
from tests.gallery.test_social import SITE, thread, version


@pytest.fixture()
def words_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throwaway kind, ``words.txt`` (the version's title, none for ``v1``), in a module of its own."""
    (tmp_path / "words_kind.py").write_text(textwrap.dedent('''
        def render(view):
            if view.version.version == "v1":
                return None
            return f"{view.thread.id}/{view.version.version}: {view.version.title}\\n".encode()
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(derived, "DERIVED_KINDS", {**layout.DERIVED_KINDS, "words.txt": "words_kind"})
    derived.derived_kinds.cache_clear()
    yield "words.txt"
    derived.derived_kinds.cache_clear()
    sys.modules.pop("words_kind", None)


def _write(site: Path, catalog: Catalog) -> None:
    version_pages.write_version_pages(site, catalog, parts_of=lambda t, v: (t, v), origin=SAME_SITE, site_url=SITE)


def test_the_oembed_document_is_the_registered_kind_of_today() -> None:
    names = [kind.name for kind in derived.derived_kinds()]
    assert names[0] == "oembed.json" and "email.html" in names  # the email card (exports.email) is one too
    assert layout.OEMBED_FILE in layout.DERIVED_FILES and set(layout.DERIVED_KINDS) <= layout.DERIVED_FILES


def test_a_registered_kind_is_written_into_each_version_folder_and_removed_when_it_has_none(
        tmp_path: Path, words_kind: str) -> None:
    site = tmp_path / "site"
    for name in ("v1", "v2"):
        (site / "p/alpha" / name).mkdir(parents=True)
        (site / "artifacts/alpha" / name).mkdir(parents=True)
    (site / "artifacts/alpha/v1" / words_kind).write_text("stale")
    catalog = Catalog(threads=(thread(version("v2"), version("v1")),))
    _write(site, catalog)
    assert (site / "artifacts/alpha/v2" / words_kind).read_text() == "alpha/v2: Clock with alarms\n"
    assert not (site / "artifacts/alpha/v1" / words_kind).exists(), "a kind with nothing to say leaves no stale file"
    assert (site / "artifacts/alpha/v2/oembed.json").is_file(), "the kinds of today are still written"
