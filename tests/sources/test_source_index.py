"""The source index: a rescan reads only what changed, and never trusts a stat it cannot trust."""

from __future__ import annotations

import os
import pickle
import shutil
import tracemalloc
from pathlib import Path

import pytest

from mkdocs_hybrid import pipeline
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.sources import directory
from mkdocs_hybrid.sources import scan as sources
from mkdocs_hybrid.sources import snapshot_json as json_kind
from mkdocs_hybrid.sources.scan import scan_sources
from tests.factory import manifest_for, snapshot_json, write_tree

FILES = {
    "demos/a/thread.yml": "title: Alpha\n",
    "demos/a/v1/index.js": "import confetti from 'canvas-confetti'\nconsole.log(confetti)\n",
    "demos/a/v1/snapshot.yml": "tags: [x]\n",
    "demos/a/v2/src/index.ts": "export const two: number = 2\n",
    "demos/b/v1/index.html": "<p>b</p>\n",
    "exports/c.json": snapshot_json("c", "v1", {"index.js": "console.log('c')\n"}, title="From JSON"),
}


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every snapshot the scan had to read (instead of taking it from the index)."""
    seen: list[str] = []
    read_dir, read_json = directory._read_version_dir, json_kind.read_snapshot_json

    def spy_dir(folder: Path, *args: object) -> object:
        seen.append(f"{folder.parent.name}/{folder.name}")
        return read_dir(folder, *args)  # type: ignore[arg-type]

    def spy_json(path: Path, *args: object) -> object:
        seen.append(path.name)
        return read_json(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(directory, "_read_version_dir", spy_dir)
    monkeypatch.setattr(json_kind, "read_snapshot_json", spy_json)
    return seen


def described(scan: sources.Scan) -> list[tuple[object, ...]]:
    return [(s.ref, s.title, s.entry, s.tags, s.imports, dict(s.digests), dict(s.files.items()), s.origin)
            for s in scan.snapshots]


def test_a_rescan_reads_no_snapshot_and_gives_the_same_snapshots(tmp_path: Path, reads: list[str],
                                                                  trusting: None) -> None:
    manifest = manifest_for(write_tree(tmp_path, FILES), snapshots="exports")
    first = scan_sources(manifest)
    assert sorted(reads) == ["a/v1", "a/v2", "b/v1", "c.json"]
    reads.clear()
    second = scan_sources(manifest)
    assert reads == []
    assert described(second) == described(first)
    assert second.threads == first.threads and second.errors == first.errors == []
    assert next(s for s in second.snapshots if s.ref == "a/v1").title == "Alpha"


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(tmp_path: Path, reads: list[str], trusting: None) -> None:
    manifest = manifest_for(write_tree(tmp_path, FILES), snapshots="exports")
    scan_sources(manifest)
    reads.clear()
    entry = tmp_path / "demos/a/v2/src/index.ts"
    before = entry.stat()
    entry.write_text("export const two: number = 3\n")  # same size
    os.utime(entry, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old mtime, as `touch -r` would
    rescan = scan_sources(manifest)
    assert reads == ["a/v2"]
    assert b"= 3" in next(s for s in rescan.snapshots if s.ref == "a/v2").files["src/index.ts"]


def test_thread_yml_and_limits_are_part_of_what_is_cached(tmp_path: Path, reads: list[str], trusting: None) -> None:
    manifest = manifest_for(write_tree(tmp_path, FILES), snapshots="exports")
    scan_sources(manifest)
    (tmp_path / "demos/a/thread.yml").write_text("title: Renamed\n")
    titles = {s.ref: s.title for s in scan_sources(manifest).snapshots}
    assert titles["a/v1"] == titles["a/v2"] == "Renamed"
    smaller = manifest_for(tmp_path, snapshots="exports", max_file_bytes=40)
    assert [e.ref for e in scan_sources(smaller).errors] == ["a/v1"], "a lower limit applies to cached snapshots"


def test_files_written_just_now_are_read_on_every_scan(tmp_path: Path, reads: list[str]) -> None:
    manifest = manifest_for(write_tree(tmp_path, FILES), snapshots="exports")
    scan_sources(manifest)
    scan_sources(manifest)
    assert sorted(reads) == sorted(["a/v1", "a/v2", "b/v1", "c.json"] * 2), \
        "a stat younger than the file system clock's resolution cannot tell two edits apart"


def test_a_damaged_index_is_ignored_and_rewritten(tmp_path: Path, reads: list[str], trusting: None) -> None:
    manifest = manifest_for(write_tree(tmp_path, FILES), snapshots="exports")
    scan_sources(manifest)
    index = manifest.cache_dir / sources.SOURCE_INDEX_FILE
    index.write_text('{"settings": "x", "entries": {"oops": 1}')
    assert len(scan_sources(manifest).snapshots) == 4
    reads.clear()
    scan_sources(manifest)
    assert reads == [], "the index was written again"


def test_deleted_sources_leave_the_index(tmp_path: Path, trusting: None) -> None:
    manifest = manifest_for(write_tree(tmp_path, FILES), snapshots="exports")
    scan_sources(manifest)
    shutil.rmtree(tmp_path / "demos/b")
    assert [s.ref for s in scan_sources(manifest).snapshots] == ["a/v1", "a/v2", "c/v1"]
    assert str(tmp_path / "demos/b/v1") not in (manifest.cache_dir / sources.SOURCE_INDEX_FILE).read_text()


def test_a_scan_holds_no_file_contents(tmp_path: Path, trusting: None) -> None:
    big = b"// " + b"x" * (400 * 1024) + b"\n"
    write_tree(tmp_path, {f"demos/t/v{i}/index.js": big + f"console.log({i})\n".encode() for i in range(60)})
    manifest = manifest_for(tmp_path)
    for _ in ("reading", "from the index"):
        tracemalloc.start()
        scan = scan_sources(manifest)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(scan.snapshots) == 60
        assert peak < 4 * 1024 * 1024, f"{peak:,} bytes at peak for 24 MB of sources: contents were kept"


def test_a_pickled_snapshot_carries_its_contents(tmp_path: Path) -> None:
    """What a process pool or a dask worker on another machine receives needs no access to the sources."""
    manifest = manifest_for(write_tree(tmp_path, FILES), snapshots="exports")
    snapshots = {s.ref: s for s in scan_sources(manifest).snapshots}
    sent = pickle.dumps([snapshots["a/v1"], snapshots["c/v1"]])
    shutil.rmtree(tmp_path / "demos")
    shutil.rmtree(tmp_path / "exports")
    received = pickle.loads(sent)
    assert received[0].files["index.js"].startswith(b"import confetti")
    assert received[1].files["index.js"] == b"console.log('c')\n"


def test_a_snapshot_edited_during_the_build_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {f"demos/t/v{i}/index.js": f"document.title = '{i}'\n" for i in (1, 2, 3)})
    manifest = manifest_for(tmp_path)
    scan = pipeline.scan_sources

    def scan_then_edit(*args: object, **kwargs: object) -> sources.Scan:
        result = scan(*args, **kwargs)  # type: ignore[arg-type]
        (tmp_path / "demos/t/v2/index.js").write_text("document.title = 'edited meanwhile'\n")
        return result

    monkeypatch.setattr(pipeline, "scan_sources", scan_then_edit)
    export = Export(manifest, ledger=False)
    export.run(tmp_path / "site")
    assert sorted(export.report.built) == ["t/v1", "t/v3"]
    [error] = export.report.failed
    assert error.ref == "t/v2" and "changed during the build" in str(error) and "rerun" in str(error)
    assert not (tmp_path / "site/artifacts/t/v2").exists()


def test_the_cycle_collector_is_back_on_after_a_listing_even_one_that_fails(tmp_path: Path) -> None:
    """The listing pauses Python's cycle collector (its objects hold no cycle); the rest of the build needs it."""
    import gc

    write_tree(tmp_path, FILES)
    sources.list_sources(manifest_for(tmp_path, snapshots="exports"))
    assert gc.isenabled()
    with pytest.raises(OSError), sources.collector_paused():
        assert not gc.isenabled()
        raise OSError("a listing that stops")
    assert gc.isenabled()
