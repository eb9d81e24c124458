"""Signed histories through ``mkdocs build`` (the plugin): the sample site, with its pinned latest links and its
unlisted versions, verifies clean, and its histories come through MkDocs' clean of the site folder unchanged."""

from __future__ import annotations

import base64
from pathlib import Path

from mkdocs_hybrid.history.keys import KEY_ENV
from mkdocs_hybrid.history.readers import FolderSite
from mkdocs_hybrid.history.verify import verify_site
from tests.conftest import build_site, output_of, site_dir
from tests.factory import read_tree

KEY = base64.b64encode(bytes(range(32))).decode()


def test_the_sample_site_built_by_mkdocs_verifies_and_a_rebuild_keeps_its_histories(seeded_project: Path) -> None:
    first = build_site(seeded_project, env={KEY_ENV: KEY})
    assert first.returncode == 0, output_of(first)
    site = site_dir(seeded_project)
    result = verify_site(FolderSite(site))
    assert result.ok, [str(problem) for problem in result.problems]
    assert result.threads >= 5 and result.versions >= 10
    histories = {path: data for path, data in read_tree(site).items()
                 if path.endswith("/history.json") or path.startswith(".well-known/")}
    assert len(histories) == result.threads + 2
    second = build_site(seeded_project, env={KEY_ENV: KEY})
    assert second.returncode == 0, output_of(second)
    again = {path: data for path, data in read_tree(site).items()
             if path.endswith("/history.json") or path.startswith(".well-known/")}
    assert again == histories, "a rebuild with nothing new appends no record"
    assert verify_site(FolderSite(site)).ok
