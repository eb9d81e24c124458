"""The editor's store as a source: immutable rows, read and validated as snapshot JSON files are."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import yaml

from mkdocs_hybrid.config.manifest import Manifest, parse_manifest
from mkdocs_hybrid.sources.scan import scan_sources
from mkdocs_hybrid.sources.store import SnapshotStore, StoreError, VersionExists
from tests.factory import write_tree
from tests.serve.serving import snapshot


def store_manifest(project: Path) -> Manifest:
    (project / "demos").mkdir(parents=True, exist_ok=True)
    data = {"sources": [{"type": "directory", "path": "demos"}, {"type": "store", "path": "editor.sqlite"}],
            "build": {"cache_dir": ".cache"}}
    (project / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return parse_manifest(data, base_dir=project, origin=str(project / "hybrid.yml"))


def test_a_missing_store_holds_no_versions(tmp_path: Path) -> None:
    scan = scan_sources(store_manifest(tmp_path))
    assert (scan.snapshots, scan.errors) == ([], [])
    assert not (tmp_path / "editor.sqlite").exists()


def test_saved_versions_are_read_like_snapshot_files_and_never_change(tmp_path: Path) -> None:
    manifest = store_manifest(tmp_path)
    store = SnapshotStore(tmp_path / "editor.sqlite")
    store.save("hello", "v1", snapshot("hello", "v1", {"index.js": "document.title = 'hi'"}, title="Hi"))

    with pytest.raises(VersionExists, match="new version"):
        store.save("hello", "v1", snapshot("hello", "v1", {"index.js": "changed"}))
    db = sqlite3.connect(tmp_path / "editor.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="immutable"):
        db.execute("UPDATE versions SET document = '{}'")
    db.close()

    for _ in range(2):  # read, then from the source index
        scan = scan_sources(manifest)
        assert [(s.ref, s.title, s.origin) for s in scan.snapshots] == [
            ("hello/v1", "Hi", f"{tmp_path / 'editor.sqlite'}#hello/v1")]
        assert dict(scan.snapshots[0].files.items()) == {"index.js": b"document.title = 'hi'"}


def test_a_broken_row_is_an_error_of_that_version_only(tmp_path: Path) -> None:
    manifest = store_manifest(tmp_path)
    store = SnapshotStore(tmp_path / "editor.sqlite")
    store.save("good", "v1", snapshot("good", "v1", {"index.js": "1"}))
    store.save("bad", "v1", snapshot("bad", "v1", {"../index.js": "1"}))  # the API validates first; a store may not

    scan = scan_sources(manifest)

    assert [s.ref for s in scan.snapshots] == ["good/v1"]
    assert [str(e) for e in scan.errors] == [
        f"bad/v1: {tmp_path / 'editor.sqlite'}#bad/v1: files: file path '../index.js' escapes the snapshot or is "
        "not normalised (no '..', '.', '//')"]


def test_a_thread_in_a_folder_and_the_store_shares_its_versions(tmp_path: Path) -> None:
    manifest = store_manifest(tmp_path)
    write_tree(tmp_path / "demos" / "hello", {"thread.yml": "title: Hello thread\n", "v1/index.js": "1"})
    store = SnapshotStore(tmp_path / "editor.sqlite")
    store.save("hello", "v2", snapshot("hello", "v2", {"index.js": "2"}))
    store.save("hello", "v1", snapshot("hello", "v1", {"index.js": "other"}))

    scan = scan_sources(manifest)

    assert [s.ref for s in scan.snapshots] == ["hello/v1", "hello/v2"]
    assert scan.snapshots[0].origin == str(tmp_path / "demos" / "hello" / "v1")
    assert scan.threads["hello"].title == "Hello thread"
    assert [e.ref for e in scan.errors] == ["hello/v1"] and "duplicate version" in str(scan.errors[0])


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    manifest = store_manifest(tmp_path)
    db = sqlite3.connect(tmp_path / "editor.sqlite")
    db.execute("CREATE TABLE other (x)")
    db.commit()
    db.close()

    assert "is not an editor store" in str(scan_sources(manifest).errors[0])
    with pytest.raises(StoreError, match="is not an editor store"):
        SnapshotStore(tmp_path / "editor.sqlite").save("a", "v1", snapshot("a", "v1", {"index.js": "1"}))
