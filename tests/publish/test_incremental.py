"""Rebuilding into an existing site: unchanged versions are left alone, anything off is rewritten."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mkdocs_hybrid import pipeline
from mkdocs_hybrid.edge.unlisted import UnlistedKey
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.publish import artifacts, writer
from tests.factory import manifest_for, write_tree

pytestmark = pytest.mark.usefixtures("full_builds")  # the full path's own indexes (see test_whole_build.py)


def project(root: Path) -> Path:
    write_tree(root, {f"demos/t/v{i}/index.js": f"document.title = 'v{i}'\n" for i in (1, 2, 3)})
    return root


def test_an_unchanged_rebuild_rewrites_nothing(tmp_path: Path) -> None:
    manifest = manifest_for(project(tmp_path))
    Export(manifest).run(tmp_path / "site")
    page = tmp_path / "site/artifacts/t/v1/page.html"
    written = page.stat().st_mtime_ns
    again = Export(manifest)
    again.run(tmp_path / "site")
    assert sorted(again.report.cached) == ["t/v1", "t/v2", "t/v3"] and again.report.built == []
    assert page.stat().st_mtime_ns == written


def test_a_damaged_or_missing_artifact_file_is_rewritten(tmp_path: Path) -> None:
    manifest = manifest_for(project(tmp_path))
    Export(manifest).run(tmp_path / "site")
    page = tmp_path / "site/artifacts/t/v1/page.html"
    good = page.read_bytes()
    page.write_bytes(good[:-10])
    (tmp_path / "site/p/t/v2/index.html").unlink()
    Export(manifest).run(tmp_path / "site")
    assert page.read_bytes() == good
    assert (tmp_path / "site/p/t/v2/index.html").is_file()


def test_unlisting_a_thread_rewrites_its_share_pages(tmp_path: Path) -> None:
    manifest = manifest_for(project(tmp_path))
    Export(manifest).run(tmp_path / "site")
    share = tmp_path / "site/p/t/v1/index.html"
    assert "All versions" in share.read_text()
    (tmp_path / "demos/t/thread.yml").write_text("unlisted: true\n")
    Export(manifest).run(tmp_path / "site")
    key = UnlistedKey.from_env()
    assert key is not None
    hidden = tmp_path / "site/p/_u" / key.token("t", "v1") / "index.html"
    assert "All versions" not in hidden.read_text(), "an unlisted thread has no gallery page to link to"
    # Nothing of it stays where its ids would find it: no share page, artifact or latest link.
    assert not share.exists() and not (tmp_path / "site/artifacts/t").exists()
    assert not (tmp_path / "site/p/t").exists()


def test_a_steady_rebuild_reads_no_artifact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            trusting: None) -> None:
    manifest = manifest_for(project(tmp_path))
    Export(manifest).run(tmp_path / "site")
    Export(manifest).run(tmp_path / "site")  # checks each meta.json once and records the artifact's stat
    opened: list[str] = []

    def spy(path: str, *args: object, **kwargs: object) -> object:
        opened.append(str(path))
        return open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(artifacts, "open", spy, raising=False)
    again = Export(manifest)
    again.run(tmp_path / "site")
    assert sorted(again.report.cached) == ["t/v1", "t/v2", "t/v3"]
    assert opened == []


def test_an_artifact_changed_in_place_is_rewritten_even_with_its_old_size_and_mtime(
        tmp_path: Path, trusting: None) -> None:
    manifest = manifest_for(project(tmp_path))
    Export(manifest).run(tmp_path / "site")
    Export(manifest).run(tmp_path / "site")
    page = tmp_path / "site/artifacts/t/v1/page.html"
    good, before = page.read_bytes(), page.stat()
    page.write_bytes(good.replace(b"'v1'", b"'x1'"))
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    Export(manifest).run(tmp_path / "site")
    assert page.read_bytes() == good


def test_the_cache_keeps_the_artifact_index_of_a_few_recent_output_folders(tmp_path: Path, trusting: None) -> None:
    manifest = manifest_for(project(tmp_path))
    for n in range(12):  # as `mkdocs serve` does, one temporary folder per session
        Export(manifest, ledger=False).run(tmp_path / f"serve-{n}")
        Export(manifest, ledger=False).run(tmp_path / f"serve-{n}")
    assert len(list((manifest.cache_dir / "sites").glob("*.json"))) == pipeline.SITE_INDEXES_KEPT


def test_a_cached_html_page_is_not_parsed_again_in_a_clean_output_folder(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`mkdocs build` empties site_dir: an index.html version whose bundle is cached is rendered from the cache,
    page included, without parsing its HTML again, and gives the same bytes."""
    write_tree(tmp_path, {"demos/page/v1/index.html": '<h1>Hi</h1><script type="module" src="./m.js"></script>',
                          "demos/page/v1/m.js": "document.querySelector('h1').textContent = 'hello'\n"})
    Export(manifest_for(tmp_path), ledger=False).run(tmp_path / "first")

    def refuse(*_: object) -> None:
        raise AssertionError("the HTML page was parsed again")

    monkeypatch.setattr(writer, "split_html_entry", refuse)
    export = Export(manifest_for(tmp_path), ledger=False)
    export.run(tmp_path / "second")
    assert export.report.cached == ["page/v1"] and export.report.failed == []
    for name in ("page.html", "style.css", "meta.json"):
        path = f"artifacts/page/v1/{name}"
        assert (tmp_path / "second" / path).read_bytes() == (tmp_path / "first" / path).read_bytes()
