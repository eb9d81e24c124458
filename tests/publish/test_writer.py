"""The artifact writer: every version of a build is counted once, however its artifact came to be."""

from __future__ import annotations

from pathlib import Path

from mkdocs_hybrid.pipeline import Export
from tests.factory import manifest_for, write_tree


def progress_of(project: Path, site: Path) -> tuple[Export, list[tuple[int, int]]]:
    seen: list[tuple[int, int]] = []
    export = Export(manifest_for(project), ledger=False, progress=lambda done, total: seen.append((done, total)))
    export.run(site)
    return export, seen


def test_progress_counts_each_version_once_whether_bundled_cached_kept_or_failed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"demos/t/v1/index.js": "document.title = 'one'\n",
                          "demos/t/v2/index.js": "this is not javascript (\n",
                          "demos/t/v3/index.js": "document.title = 'three'\n"})
    for site, how in (("first", "bundled"), ("second", "from the cache"), ("second", "kept in the site")):
        export, seen = progress_of(tmp_path, tmp_path / site)
        assert seen == [(1, 3), (2, 3), (3, 3)], how
        assert [error.ref for error in export.report.failed] == ["t/v2"], how
        assert sorted(export.report.built + export.report.cached) == ["t/v1", "t/v3"], how
