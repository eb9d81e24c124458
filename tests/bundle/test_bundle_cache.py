"""The bundle cache is one SQLite file that is safe to delete, and a damaged one never fails a build."""

from __future__ import annotations

from pathlib import Path

from mkdocs_hybrid.bundle.bundle_cache import CACHE_FILE, BundleCache
from mkdocs_hybrid.pipeline import Export
from tests.factory import manifest_for, read_tree, write_tree


def test_bundles_are_kept_between_runs(tmp_path: Path) -> None:
    with BundleCache(tmp_path / CACHE_FILE) as cache:
        cache.put("k1", b"js", b"css")
        assert cache.get("k1") == (b"js", b"css")
    with BundleCache(tmp_path / CACHE_FILE) as again, BundleCache(tmp_path / CACHE_FILE) as other:
        assert again.get("k1") == other.get("k1") == (b"js", b"css")
        assert again.get("k2") is None


def test_a_damaged_cache_is_started_afresh(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_bytes(b"not a database" * 100)
    with BundleCache(tmp_path / CACHE_FILE) as cache:
        assert cache.get("k1") is None
        cache.put("k1", b"js", b"")
    with BundleCache(tmp_path / CACHE_FILE) as cache:
        assert cache.get("k1") == (b"js", b"")


def test_a_build_over_a_damaged_cache_gives_the_same_site(tmp_path: Path) -> None:
    write_tree(tmp_path, {f"demos/t/v{i}/index.js": f"document.title = '{i}'\n" for i in (1, 2)})
    manifest = manifest_for(tmp_path)
    Export(manifest, ledger=False).run(tmp_path / "first")
    (manifest.cache_dir / CACHE_FILE).write_bytes(b"\0" * 4096)
    export = Export(manifest, ledger=False)
    export.run(tmp_path / "second")
    assert export.report.failed == [] and sorted(export.report.built) == ["t/v1", "t/v2"]
    assert read_tree(tmp_path / "first") == read_tree(tmp_path / "second")
