"""The whole-build short cut (``whole_build.py``): a build whose inputs and site folder are as the last full build
left them returns that build's catalog and writes nothing; every change defeats it, and the build then writes
exactly the bytes a full build of the same state writes (a copy of the project built with the short cut off)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mkdocs_hybrid import whole_build
from mkdocs_hybrid.cli import main
from mkdocs_hybrid.media import MediaTools
from mkdocs_hybrid.model.catalog import Catalog
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.publish.site import SitePages
from mkdocs_hybrid.publish.unchanged import Decision
from tests.factory import manifest_for, read_tree, write_tree

EPOCH = "1700000000"
NO_TOOLS = MediaTools(None, None, None, "chromium=missing; ffmpeg=missing")
"""Media turned on without Chromium or ffmpeg: the build says what is missing (quick, and the same every time)."""


@pytest.fixture(autouse=True)
def steady(monkeypatch: pytest.MonkeyPatch, trusting: None) -> None:
    """Reproducible times (the ledger's publication dates), and files written a moment ago trusted by their stat."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def project(root: Path) -> Path:
    write_tree(root, {**{f"demos/t/v{i}/index.js": f"document.title = 'v{i}'\n" for i in (1, 2)},
                      "demos/u/v1/index.js": "document.title = 'u'\n",
                      "demos/u/v1/src/lib/util.js": "export const name = 'u'\n",
                      "demos/t/thread.yml": "title: First title\n"})
    return root


def build(root: Path, manifest: dict[str, Any] | None = None, **options: Any) -> tuple[Export, Catalog]:
    export = Export(manifest_for(root, **(manifest or {})),
                    **{"pages": SitePages(standalone_gallery=True), "media": False, **options})
    return export, export.run(root / "site")


def full_build_of(root: Path, elsewhere: Path, manifest: dict[str, Any] | None = None,
                  **options: Any) -> tuple[dict[str, bytes], Catalog]:
    """What a full build makes of the project as it is now: a copy of it (sources, cache, ledger and site) built
    with the short cut turned off."""
    copy = shutil.copytree(root, elsewhere, symlinks=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(whole_build, "decide", lambda *args: Decision(False, "the reference build"))
        _, catalog = build(copy, manifest, **options)
    return read_tree(copy / "site"), catalog


def settled(root: Path) -> Catalog:
    """A full build (recorded), then a build that finds nothing changed; the full build's catalog."""
    first, catalog = build(project(root))
    assert first.report.ok and first.report.unchanged == 0, first.report.failed
    second, _ = build(root)
    assert second.report.unchanged == 3, "a rebuild of unchanged inputs did not take the short cut"
    return catalog


def stats(site: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(site).as_posix(): (p.stat().st_mtime_ns, p.stat().st_ino) for p in site.rglob("*")}


def test_a_build_with_nothing_changed_returns_the_recorded_catalog_and_leaves_the_site_as_it_was(
        tmp_path: Path) -> None:
    catalog = settled(tmp_path)
    site = tmp_path / "site"
    files, before = read_tree(site), stats(site)
    export, again = build(tmp_path)
    assert again == catalog
    assert export.report.summary().startswith("nothing changed since the last build: 3 versions kept (2 threads)")
    assert export.report.to_dict()["counts"] == {"built": 0, "cached": 0, "failed": 0, "kept": 0, "threads": 2,
                                                  "unchanged": 3}
    assert read_tree(site) == files and stats(site) == before, "a build with nothing changed wrote into the site"


def edit_in_place(path: Path, old: bytes, new: bytes) -> None:
    """Replace bytes of a file in place with as many others, and put its mtime back (only ctime tells)."""
    before = path.stat()
    data = path.read_bytes()
    assert len(old) == len(new) and old in data
    with path.open("r+b") as handle:
        handle.write(data.replace(old, new))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns


def relink(folder: Path, target: str) -> None:
    shutil.rmtree(folder)
    os.symlink(target, folder)


def pin(root: Path) -> None:
    result = CliRunner().invoke(main, ["pin", "t", "v1", "--manifest", str(root / "hybrid.yml")])
    assert result.exit_code == 0, result.output


Change = Callable[[Path, pytest.MonkeyPatch], None]
CHANGES: dict[str, tuple[Change, dict[str, Any]]] = {
    "a source file edited with its size and mtime kept": (
        lambda root, _: edit_in_place(root / "demos/t/v1/index.js", b"'v1'", b"'x1'"), {}),
    "a new version": (lambda root, _: write_tree(root, {"demos/t/v3/index.js": "document.title = 'v3'\n"}), {}),
    "a new file in a version's subfolder": (
        lambda root, _: write_tree(root, {"demos/t/v1/src/lib/extra.js": "export const x = 1\n"}), {}),
    "a file in a version's subfolder edited with its size and mtime kept": (
        lambda root, _: edit_in_place(root / "demos/u/v1/src/lib/util.js", b"'u'", b"'w'"), {}),
    "a version folder replaced by a symlink to another version": (
        lambda root, _: relink(root / "demos/t/v2", "v1"), {}),
    "a removed version": (lambda root, _: shutil.rmtree(root / "demos/t/v2"), {}),
    "a new thread": (lambda root, _: write_tree(root, {"demos/w/v1/index.js": "document.title = 'w'\n"}), {}),
    "a removed thread": (lambda root, _: shutil.rmtree(root / "demos/u"), {}),
    "a thread.yml edit": (lambda root, _: write_tree(root, {"demos/t/thread.yml": "title: Second title\n"}), {}),
    "a manifest edit": (lambda root, _: None, {"manifest": {"minify": False}}),
    "media turned on": (lambda root, _: None, {"media": True, "media_tools": NO_TOOLS}),
    "another site_url": (lambda root, _: None, {"pages": SitePages(standalone_gallery=True,
                                                                    site_url="https://demos.example/")}),
    "another SOURCE_DATE_EPOCH": (lambda _, env: env.setenv("SOURCE_DATE_EPOCH", "1800000000"), {}),
    "an unlisted key set": (lambda _, env: env.setenv("MKDOCS_HYBRID_UNLISTED_KEY", "k" * 40), {}),
    "a site file deleted": (lambda root, _: (root / "site/p/t/v1/index.html").unlink(), {}),
    "a site file edited with its size and mtime kept": (
        lambda root, _: edit_in_place(root / "site/p/t/v1/index.html", b"<html", b"<HTML"), {}),
    "a pin (mkdocs-hybrid pin)": (lambda root, _: pin(root), {}),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_change_defeats_the_short_cut_and_the_build_writes_what_a_full_build_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    change, options = CHANGES[name]
    root = tmp_path / "project"
    settled(root)
    change(root, monkeypatch)
    expected, expected_catalog = full_build_of(root, tmp_path / "reference", **options)
    export, catalog = build(root, **options)
    assert export.report.unchanged == 0 and "nothing changed" not in export.report.summary()
    assert catalog == expected_catalog
    assert read_tree(root / "site") == expected
    again, _ = build(root, **options)  # the full build was recorded in turn, unless it failed or said a notice
    clean = export.report.ok and not export.report.notices  # (an edited published version is refused: failed)
    assert again.report.unchanged == (sum(len(thread.versions) for thread in catalog.threads) if clean else 0)


def test_a_pin_moves_latest_on_the_next_build(tmp_path: Path) -> None:
    settled(tmp_path)
    latest = tmp_path / "site/p/t/latest/index.html"
    assert '"../v2/"' in latest.read_text()
    pin(tmp_path)
    export, _ = build(tmp_path)
    assert export.report.unchanged == 0 and '"../v1/"' in latest.read_text()


def test_a_failed_version_is_built_and_reported_again_on_every_build(tmp_path: Path) -> None:
    write_tree(project(tmp_path), {"demos/bad/v1/index.js": "let = ;\n"})
    for _ in range(3):
        export, catalog = build(tmp_path)
        assert export.report.unchanged == 0
        assert [error.ref for error in export.report.failed] == ["bad/v1"]
        assert "failures: bad/v1" in export.report.summary()
        assert sorted(thread.id for thread in catalog.threads) == ["t", "u"]
