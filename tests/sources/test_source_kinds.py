"""Source kinds as a registry: the manifest, the scan, ``mkdocs serve``'s watch list and ``serve``'s targets
ask the kind a source names, so a new kind is its module plus one line in the registry."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from mkdocs.livereload import LiveReloadServer

from mkdocs_hybrid.config.manifest import Manifest, load_manifest, parse_manifest
from mkdocs_hybrid.model.errors import HybridError, ManifestError, SnapshotError
from mkdocs_hybrid.model.files import stat_signature
from mkdocs_hybrid.model.snapshot import Snapshot, read_regular
from mkdocs_hybrid.plugin import HybridPlugin
from mkdocs_hybrid.serve._targets import choose_target
from mkdocs_hybrid.sources.convex import CONVEX
from mkdocs_hybrid.sources.convex_export import CONVEX_EXPORT
from mkdocs_hybrid.sources.directory import DIRECTORY
from mkdocs_hybrid.sources.git import GIT
from mkdocs_hybrid.sources.kind import Listed, Reading, SaveTarget, SourceConfig, Watch
from mkdocs_hybrid.sources.registry import SOURCE_KINDS, kind_of
from mkdocs_hybrid.sources.scan import scan_sources
from mkdocs_hybrid.sources.snapshot_json import SNAPSHOT_JSON
from mkdocs_hybrid.sources.store import SnapshotStore
from mkdocs_hybrid.sources.store_source import STORE
from tests.factory import snapshot_json, write_tree

if TYPE_CHECKING:
    from mkdocs_hybrid.config.manifest import SourceSection


def manifest(project: Path, *sources: dict[str, object]) -> Manifest:
    data = {"sources": list(sources), "build": {"cache_dir": ".cache"}}
    (project / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_manifest(project / "hybrid.yml")


def test_the_registry_lists_the_kinds_in_the_order_the_manifest_names_them() -> None:
    assert list(SOURCE_KINDS) == ["directory", "snapshots", "store", "convex", "convex-export", "git"]
    assert [SOURCE_KINDS[name] for name in SOURCE_KINDS] == [DIRECTORY, SNAPSHOT_JSON, STORE, CONVEX, CONVEX_EXPORT,
                                                             GIT]
    assert all(kind.name == name for name, kind in SOURCE_KINDS.items())


@pytest.mark.parametrize("kind", ["svn", ["directory"], None, 3])
def test_an_unknown_type_is_refused_with_the_kinds_there_are(tmp_path: Path, kind: object) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest({"sources": [{"type": kind, "path": "."}]}, base_dir=tmp_path, origin="hybrid.yml")
    assert str(caught.value) == ("hybrid.yml: sources[0].type must be one of directory, snapshots, store, convex, "
                                 f"convex-export, git, not {kind!r}")


def test_a_key_no_kind_knows_is_refused_before_the_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"^hybrid.yml: sources\[0\]: unknown key\(s\) branch; allowed: key_env, "
                                            r"page_size, path, ref, repo, timeout, type, url$"):
        parse_manifest({"sources": [{"type": "svn", "branch": "x"}]}, base_dir=tmp_path, origin="hybrid.yml")


# -- a throwaway kind, registered for one test -------------------------------------------------


@dataclass(frozen=True)
class OneFileSource(SourceConfig):
    """``{type: one-file, path: FILE, thread: ID}``: the file is the one version ``v1`` of the thread."""

    thread: str = ""


class _FileReader:
    def __init__(self, path: str) -> None:
        self.origin = path

    def read(self, path: str) -> bytes:
        return read_regular(self.origin)

    def read_all(self, paths: Iterable[str]) -> Mapping[str, bytes]:
        return {path: self.read(path) for path in paths}


class OneFileKind:
    """A kind written against the protocol alone: no other module knows it."""

    name = "one-file"
    keys = frozenset({"type", "path", "thread"})
    default_target = False

    def __init__(self) -> None:
        self.reads = 0

    def parse(self, section: SourceSection) -> SourceConfig:
        raw, path = section.path()
        if section.kind_of(path) != "a file":
            raise section.error(f"{section.where}.path {raw!r} is not a file")
        return OneFileSource(type=self.name, path=path, thread=str(section.data.get("thread")))

    def listing(self, source: SourceConfig, reading: Reading) -> Iterator[Listed]:
        assert isinstance(source, OneFileSource)
        if not reading.owns(source.thread):
            return
        signature, newest = stat_signature([("index.js", os.stat(source.path))])
        yield Listed(str(source.path), signature, newest, _FileReader(str(source.path)),
                     lambda: self._read(source), dependencies_origin=f"{source.path} (no dependencies)",
                     thread=source.thread, version="v1")

    def watch(self, source: SourceConfig) -> list[Watch]:
        return [Watch(source.path, recursive=False)]

    def target(self, source: SourceConfig, manifest: Manifest) -> SaveTarget | None:
        return None

    def _read(self, source: OneFileSource) -> Snapshot:
        self.reads += 1
        return Snapshot(thread=source.thread, version="v1", files={"index.js": source.path.read_bytes()},
                        entry="index.js", title="One file", origin=str(source.path))


def test_a_kind_registered_in_one_line_is_parsed_scanned_and_watched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     trusting: None) -> None:
    kind = OneFileKind()
    monkeypatch.setitem(SOURCE_KINDS, kind.name, kind)
    write_tree(tmp_path, {"demo.js": "console.log('one')\n", "demos/a/v1/index.js": "console.log('a')\n"})
    loaded = manifest(tmp_path, {"type": "one-file", "path": "demo.js", "thread": "solo"},
                      {"type": "directory", "path": "demos"})
    source = loaded.sources[0]
    assert source == OneFileSource(type="one-file", path=tmp_path / "demo.js", thread="solo")
    assert kind_of(source) is kind

    first = scan_sources(loaded)
    assert first.errors == []
    assert [s.ref for s in first.snapshots] == ["a/v1", "solo/v1"]
    solo = first.snapshots[1]
    assert solo.files["index.js"] == b"console.log('one')\n"
    assert solo.dependencies_origin == f"{tmp_path / 'demo.js'} (no dependencies)"
    again = scan_sources(loaded)
    assert kind.reads == 1, "the unchanged file came from the source index"
    assert [s.ref for s in again.snapshots] == ["a/v1", "solo/v1"] and again.snapshots[1] == solo

    watched = watched_by_the_plugin(tmp_path, loaded)
    assert watched[str(tmp_path / "demo.js")] is False and watched[str(tmp_path / "demos")] is True
    with pytest.raises(HybridError, match="has no store"):
        choose_target(loaded, None)


def test_the_throwaway_kind_is_gone_after_its_test(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="must be one of directory, snapshots, store, convex, convex-export, "
                                            "git, not 'one-file'"):
        parse_manifest({"sources": [{"type": "one-file", "path": "x"}]}, base_dir=tmp_path, origin="m")


# -- what each kind watches ---------------------------------------------------------------------


class RecordingServer(LiveReloadServer):
    """``mkdocs serve``'s server, remembering how each path was watched (not started: nothing is served)."""

    def __init__(self, root: Path) -> None:
        super().__init__(builder=lambda: None, host="127.0.0.1", port=0, root=str(root))
        self.watched: dict[str, bool] = {}

    def watch(self, path: str, func: None = None, *, recursive: bool = True) -> None:
        super().watch(path, func, recursive=recursive)
        self.watched[path] = recursive


def watched_by_the_plugin(project: Path, loaded: Manifest) -> dict[str, bool]:
    """What ``mkdocs serve`` watches with this manifest: path -> recursive."""
    plugin = HybridPlugin()
    plugin.load_config({"manifest": "hybrid.yml"})
    plugin.manifest = loaded
    server = RecordingServer(project / "site")
    try:
        plugin.on_serve(server, config=Any, builder=lambda: None)  # type: ignore[arg-type]
        return server.watched
    finally:
        server.server_close()


def test_folders_are_watched_whole_and_the_store_alone_once_it_exists(tmp_path: Path) -> None:
    (tmp_path / "demos").mkdir()
    (tmp_path / "exports").mkdir()
    loaded = manifest(tmp_path, {"type": "directory", "path": "demos"}, {"type": "snapshots", "path": "exports"},
                      {"type": "store", "path": "editor.sqlite"})
    directory, exports, store = loaded.sources
    assert DIRECTORY.watch(directory) == [Watch(tmp_path / "demos")]
    assert SNAPSHOT_JSON.watch(exports) == [Watch(tmp_path / "exports")]
    assert STORE.watch(store) == [], "a store serve has not created yet is not watched (watching it would fail)"
    assert watched_by_the_plugin(tmp_path, loaded) == {str(tmp_path / "demos"): True, str(tmp_path / "exports"): True,
                                                       str(tmp_path / "hybrid.yml"): True}

    SnapshotStore(store.path).save("s", "v1", {"format": "mkdocs-hybrid/snapshot@1", "thread": "s", "version": "v1",
                                               "files": {"index.js": "1"}})
    assert STORE.watch(store) == [Watch(tmp_path / "editor.sqlite", recursive=False)]
    assert watched_by_the_plugin(tmp_path, loaded)[str(tmp_path / "editor.sqlite")] is False


# -- where each snapshot's dependencies are declared --------------------------------------------


def test_each_kind_records_where_its_snapshots_declare_their_dependencies(tmp_path: Path) -> None:
    deps = {"dependencies": {"canvas-confetti": "1.9.3"}}
    write_tree(tmp_path, {"demos/a/v1/index.js": "x", "demos/a/v1/package.json": json.dumps(deps),
                          "demos/a/v2/index.js": "no package.json",
                          "exports/nested/b.json": snapshot_json("b", "v1", {"index.js": "y"}, **deps)})
    SnapshotStore(tmp_path / "editor.sqlite").save("c", "v1", {"format": "mkdocs-hybrid/snapshot@1", "thread": "c",
                                                                "version": "v1", "files": {"index.js": "z"}, **deps})
    loaded = manifest(tmp_path, {"type": "directory", "path": "demos"}, {"type": "snapshots", "path": "exports"},
                      {"type": "store", "path": "editor.sqlite"})
    expected = {"a/v1": f"{tmp_path}/demos/a/v1/package.json", "a/v2": f"{tmp_path}/demos/a/v2/package.json",
                "b/v1": f"{tmp_path}/exports/nested/b.json", "c/v1": f"{tmp_path}/editor.sqlite#c/v1"}
    for attempt in ("read", "from the source index"):
        scan = scan_sources(loaded)
        assert scan.errors == []
        assert {s.ref: s.dependencies_origin for s in scan.snapshots} == expected, attempt
    index = (tmp_path / ".cache/sources.json").read_text(encoding="utf-8")
    assert "dependencies_origin" not in index, "the index keeps what it kept before: old indexes stay valid"


def test_a_snapshot_made_in_memory_declares_its_dependencies_nowhere_else() -> None:
    assert Snapshot(thread="t", version="v", files={"index.js": b""}, entry="index.js", title="t",
                    origin="memory").dependencies_origin is None


def test_serve_saves_into_the_store_or_the_named_directory_source_and_never_a_snapshots_folder(
        tmp_path: Path) -> None:
    (tmp_path / "demos").mkdir()
    (tmp_path / "exports").mkdir()
    loaded = manifest(tmp_path, {"type": "snapshots", "path": "exports"}, {"type": "directory", "path": "demos"},
                      {"type": "store", "path": "editor.sqlite"})
    assert choose_target(loaded, None).source == loaded.sources[2]
    assert choose_target(loaded, tmp_path / "demos").source == loaded.sources[1]
    for named in (tmp_path / "exports", tmp_path / "editor.sqlite"):
        with pytest.raises(HybridError, match="not one of the directory sources"):
            choose_target(loaded, named)


def test_a_listing_problem_fails_its_snapshot_and_the_scan_goes_on(tmp_path: Path) -> None:
    write_tree(tmp_path, {"demos/a/v1/index.js": "x", "demos/a/BAD/index.js": "y"})
    scan = scan_sources(manifest(tmp_path, {"type": "directory", "path": "demos"}))
    assert [s.ref for s in scan.snapshots] == ["a/v1"]
    assert [type(e) for e in scan.errors] == [SnapshotError] and scan.errors[0].version == "BAD"
