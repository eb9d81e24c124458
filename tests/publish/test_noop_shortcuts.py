"""A no-op rebuild skips what its indexes answer (gallery pages, media already in place, tool versions), and
still notices every change: a new, changed or removed version, a thread.yml edit, a damaged or removed file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mkdocs_hybrid import media
from mkdocs_hybrid.gallery import pages
from mkdocs_hybrid.media import _tools
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.publish import artifacts
from mkdocs_hybrid.publish.site import SitePages
from tests.factory import manifest_for, write_tree

pytestmark = pytest.mark.usefixtures("full_builds")  # the full path's own indexes (see test_whole_build.py)


def project(root: Path) -> Path:
    write_tree(root, {**{f"demos/t/v{i}/index.js": f"document.title = 'v{i}'\n" for i in (1, 2)},
                      "demos/u/v1/index.js": "document.title = 'u'\n",
                      "demos/t/thread.yml": "title: First title\n"})
    return root


def build(root: Path, ledger: bool = True) -> Export:
    export = Export(manifest_for(root), pages=SitePages(standalone_gallery=True), media=False, ledger=ledger)
    export.run(root / "site")
    assert export.report.ok, export.report.failed
    return export


def counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[object]:
    """Calls of ``module.name`` (still called through), one entry per call."""
    calls: list[object] = []
    real: Callable[..., Any] = getattr(module, name)

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(args[0] if args else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def settled(root: Path) -> None:
    """Two builds: the first writes, the second records what the files hold now (``trusting`` the stat)."""
    build(root)
    build(root)


def test_a_steady_rebuild_renders_no_gallery_page_and_rewrites_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trusting: None) -> None:
    settled(project(tmp_path))
    thread_page = tmp_path / "site/gallery/t/index.html"
    stat = thread_page.stat()
    threads, indexes = (counting(monkeypatch, pages, "standalone_thread_page"),
                        counting(monkeypatch, pages, "render_index"))
    build(tmp_path)
    assert threads == [] and indexes == []
    assert (thread_page.stat().st_mtime_ns, thread_page.stat().st_ino) == (stat.st_mtime_ns, stat.st_ino)


def test_a_thread_yml_edit_is_on_its_page_and_the_index_after_a_steady_rebuild(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trusting: None) -> None:
    settled(project(tmp_path))
    latest = tmp_path / "site/p/t/latest/index.html"
    assert '"../v2/"' in latest.read_text()
    (tmp_path / "demos/t/thread.yml").write_text("title: Second title\nlatest: v1\n")
    threads = counting(monkeypatch, pages, "standalone_thread_page")
    build(tmp_path)
    assert [thread.id for thread in threads] == ["t"], "only the changed thread's page is made again"  # type: ignore[attr-defined]
    assert "<title>Second title" in (tmp_path / "site/gallery/t/index.html").read_text()
    assert "Second title" in (tmp_path / "site/gallery/index.html").read_text()
    assert '"../v1/"' in latest.read_text() and '"../v2/"' not in latest.read_text()


def test_a_new_and_a_removed_version_show_on_the_thread_page_after_a_steady_rebuild(
        tmp_path: Path, trusting: None) -> None:
    """Without a ledger (which keeps serving a published version), a removed version leaves the gallery."""
    project(tmp_path)
    build(tmp_path, ledger=False)
    build(tmp_path, ledger=False)
    write_tree(tmp_path, {"demos/t/v3/index.js": "document.title = 'v3'\n"})
    build(tmp_path, ledger=False)
    assert "/p/t/v3/" in (tmp_path / "site/gallery/t/index.html").read_text()
    for name in os.listdir(tmp_path / "demos/u/v1"):
        os.unlink(tmp_path / "demos/u/v1" / name)
    os.rmdir(tmp_path / "demos/u/v1")
    build(tmp_path, ledger=False)
    assert "gallery/u/" not in (tmp_path / "site/gallery/index.html").read_text()


def test_a_damaged_or_removed_gallery_page_is_written_again(tmp_path: Path, trusting: None) -> None:
    settled(project(tmp_path))
    thread_page, index_page = tmp_path / "site/gallery/t/index.html", tmp_path / "site/gallery/index.html"
    good_thread, good_index = thread_page.read_bytes(), index_page.read_bytes()
    thread_page.write_bytes(b"damaged")
    index_page.unlink()
    build(tmp_path)
    assert thread_page.read_bytes() == good_thread and index_page.read_bytes() == good_index


def test_a_steady_media_off_rebuild_leaves_every_meta_json_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trusting: None) -> None:
    settled(project(tmp_path))
    # where the pipeline takes them from when its media step runs (imported there, not at the module's top)
    metas = counting(monkeypatch, artifacts, "write_media_meta")
    clears = counting(monkeypatch, media, "clear_media")
    build(tmp_path)
    assert metas == [] and clears == []


def test_a_poster_left_in_an_artifact_folder_is_removed_by_a_media_off_rebuild(
        tmp_path: Path, trusting: None) -> None:
    settled(project(tmp_path))
    poster = tmp_path / "site/artifacts/t/v1/poster.webp"
    poster.write_bytes(b"an earlier build's poster")
    meta = tmp_path / "site/artifacts/t/v1/meta.json"
    good = meta.read_bytes()
    meta.write_bytes(good.replace(b'"video": null', b'"video": {"name": "video.mp4"}'))
    build(tmp_path)
    assert not poster.exists() and meta.read_bytes() == good


def test_a_tool_version_is_asked_once_per_binary_and_again_once_it_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = tmp_path / "asked"
    ffmpeg = tmp_path / "bin/ffmpeg"
    write_tree(tmp_path, {"bin/ffmpeg": f"#!/bin/sh\necho x >> {asked}\necho 'ffmpeg version 1.0 Copyright me'\n"})
    ffmpeg.chmod(0o755)
    monkeypatch.setenv(_tools.FFMPEG_ENV, str(ffmpeg))
    _tools._version_of.cache_clear()
    cache = tmp_path / "cache"
    assert "ffmpeg=ffmpeg version 1.0" in _tools.MediaTools.find(cache).versions
    _tools._version_of.cache_clear()  # a new process
    assert "ffmpeg=ffmpeg version 1.0" in _tools.MediaTools.find(cache).versions
    assert asked.read_text().count("x") == 1, "the second build took the version from the cache"
    ffmpeg.write_text(f"#!/bin/sh\necho x >> {asked}\necho 'ffmpeg version 2.0'\n")  # an upgrade
    _tools._version_of.cache_clear()
    assert "ffmpeg=ffmpeg version 2.0" in _tools.MediaTools.find(cache).versions
