"""Unlisted versions: at paths nobody can guess, and named by nothing the site lists.

The crawl is of a real ``mkdocs build`` (gallery, sitemap, search index, routes) of a project with an unlisted
version of a listed thread and an unlisted thread: every file of the site and the build report is read, and
nothing but the unlisted versions' own files names them, and nothing at all holds the key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from mkdocs_hybrid.edge.unlisted import KEY_ENV, UnlistedKey
from tests.conftest import build_site, output_of
from tests.factory import manifest_for, read_tree, run_cli, write_tree

DEMOS = {
    "demos/open/v1/index.js": "document.body.textContent = 'a listed demo';\n",
    "demos/open/v2/index.js": "document.body.textContent = 'quiet-version-xyzzy';\n",
    "demos/open/v2/snapshot.yml": "title: Quiet draft\nunlisted: true\n",
    "demos/hushed-thread/thread.yml": "title: Hushed\nunlisted: true\n",
    "demos/hushed-thread/v1/index.js": "document.body.textContent = 'hushed-thread-xyzzy';\n",
}


def project(root: Path) -> Path:
    write_tree(root, {**DEMOS, "docs/index.md": "# Demos\n"})
    manifest_for(root)
    (root / "mkdocs.yml").write_text(yaml.safe_dump({
        "site_name": "Demos", "site_url": "https://demos.example.org/", "docs_dir": "docs", "site_dir": "site",
        "theme": {"name": "mkdocs", "highlightjs": False},
        "plugins": ["search", {"hybrid": {"manifest": "hybrid.yml"}}]}), encoding="utf-8")
    return root


def test_unlisted_versions_are_at_keyed_paths_that_nothing_lists(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = build_site(root)
    assert result.returncode == 0, output_of(result)
    key = UnlistedKey.from_env()
    assert key is not None
    site = root / "site"
    hidden = {"open/v2": key.token("open", "v2"), "hushed-thread/v1": key.token("hushed-thread", "v1")}
    for ref, token in hidden.items():
        assert len(token) == 32 and "xyzzy" in (site / "artifacts/_u" / token / "page.html").read_text()
        assert (site / "p/_u" / token / "index.html").is_file(), ref
    assert not (site / "artifacts/open/v2").exists() and not (site / "artifacts/hushed-thread").exists()
    assert not (site / "p/open/v2").exists() and not (site / "p/hushed-thread").exists()

    secret = os.environ[KEY_ENV]
    own_folders = tuple(f"{tree}/_u/{token}/" for token in hidden.values() for tree in ("artifacts", "p"))
    files = read_tree(site)
    assert {"sitemap.xml", "search/search_index.json", "_redirects", "gallery/index.html"} <= set(files)
    # The report is the operator's (beside the site, not in it): it may name the versions, never their links.
    report = (root / "hybrid-report.json").read_text()
    assert secret not in report and not any(token in report for token in hidden.values())
    for name, data in files.items():
        text = data.decode("utf-8", errors="replace")
        assert secret not in text, f"the key is in {name}"
        if name.startswith(own_folders):
            continue
        for needle in (*hidden.values(), "_u/", "hushed-thread", "Hushed", "quiet-version-xyzzy", "Quiet draft",
                       "open/v2"):
            assert needle not in text, f"{name} names an unlisted version ({needle!r})"
    assert "open/v1" in files["gallery/open/index.html"].decode()  # the listed one is there


def test_share_prints_the_link_of_an_unlisted_version(tmp_path: Path) -> None:
    key = UnlistedKey.from_env()
    assert key is not None
    root = project(tmp_path)
    built = run_cli("build", "-q", "-d", str(root / "site"), cwd=root)
    assert built.returncode == 0, built.stderr
    shared = run_cli("share", "open", "v2", cwd=root)  # the site_url of mkdocs.yml
    assert shared.returncode == 0, shared.stderr
    assert shared.stdout.strip() == f"https://demos.example.org/p/_u/{key.token('open', 'v2')}/"
    assert (root / "site/p/_u" / key.token("open", "v2") / "index.html").is_file()
    env = {name: value for name, value in os.environ.items() if name != KEY_ENV}
    keyless = run_cli("share", "open", "v2", "--site-url", "https://demos.example.org/", cwd=root, env=env)
    assert keyless.returncode == 2 and KEY_ENV in keyless.stderr


def test_without_a_key_unlisted_versions_are_refused_and_nothing_of_them_is_published(tmp_path: Path) -> None:
    root = project(tmp_path)
    env = {name: value for name, value in os.environ.items() if name != KEY_ENV}
    built = run_cli("build", "-d", str(root / "site"), "--report", str(root / "report.json"), cwd=root, env=env)
    assert built.returncode == 0, built.stderr
    failed = {entry["ref"]: entry["error"] for entry in json.loads((root / "report.json").read_text())["failed"]}
    assert set(failed) == {"open/v2", "hushed-thread/v1"}
    assert all(KEY_ENV in error for error in failed.values())
    site = read_tree(root / "site")
    assert not any(b"xyzzy" in data for data in site.values()), "an unlisted version was published"
    assert "artifacts/open/v1/page.html" in site


@pytest.mark.parametrize("value", ["short", "x" * 31])
def test_a_short_key_is_refused(value: str) -> None:
    with pytest.raises(Exception, match="at least 32"):
        UnlistedKey.from_env({KEY_ENV: value})
    assert "x" * 31 not in repr(UnlistedKey(b"x" * 40))


def test_a_version_listed_again_leaves_nothing_at_its_unguessable_path(tmp_path: Path) -> None:
    """Unlisted, then listed: its files move to its ids' paths and nothing stays under ``_u`` (and back)."""
    from mkdocs_hybrid.pipeline import Export

    root = project(tmp_path)
    key = UnlistedKey.from_env()
    assert key is not None
    hidden = key.token("open", "v2")
    site = root / "site"

    def build() -> None:
        export = Export(manifest_for(root), ledger=False)
        export.run(site)
        assert export.report.ok, export.report.failed

    build()
    assert (site / "artifacts/_u" / hidden / "page.html").is_file() and not (site / "artifacts/open/v2").exists()
    (root / "demos/open/v2/snapshot.yml").write_text("title: Quiet draft\n")
    build()
    assert "quiet-version-xyzzy" in (site / "artifacts/open/v2/page.html").read_text()
    assert (site / "p/open/v2/index.html").is_file()
    assert not (site / "artifacts/_u" / hidden).exists() and not (site / "p/_u" / hidden).exists()
    (root / "demos/open/v2/snapshot.yml").write_text("title: Quiet draft\nunlisted: true\n")
    build()
    assert (site / "artifacts/_u" / hidden / "page.html").is_file()
    assert not (site / "artifacts/open/v2").exists() and not (site / "p/open/v2").exists()
