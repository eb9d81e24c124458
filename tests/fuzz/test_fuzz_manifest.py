"""Fuzzing the manifest (``hybrid.yml``) as ``mkdocs-hybrid check`` reads it, then the scan it configures.

For every generated manifest: loading ends within the bound with a valid manifest or one ``ManifestError`` line
(never another exception); a manifest that loads still reads the good snapshots of the sources it names; nothing
is written but the cache folder the manifest names.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from mkdocs_hybrid.config.manifest import BuildOptions, DeployOptions, EditorOptions, VideoOptions, load_manifest
from mkdocs_hybrid.model.errors import ManifestError
from tests.fuzz.harness import (
    assert_no_traceback,
    assert_one_line,
    assert_writes_within,
    bounded,
    count,
    tree_state,
)
from tests.fuzz.hostile import SCALARS, alias_bomb, odd_text, values, yaml_texts
from tests.fuzz.projects import GOOD_REFS, ScanResult, project, scan_project

PATHS = st.one_of(
    st.sampled_from(["demos", "exports", "./demos", "demos/", "demos/../demos", "../project/demos", "outside",
                     "../outside-missing", "missing", "hybrid.yml", "fifo", "demos/good/v1/index.js", "", ".", "..",
                     "/nonexistent-fuzz", "/dev/null", "demos\x00x", "demos\n", "\u202edemos", "store.sqlite",
                     "demos/store.sqlite", "x" * 300, "/".join(["d"] * 3000)]),
    odd_text(20),
)
CACHE_DIRS = st.sampled_from([".cache", "cache/deeper", "demos/good/v1", "hybrid.yml", "fifo", "devnull", "",
                              "../project-cache", "\x00", "c\nd", "x" * 300])
SOURCE = st.fixed_dictionaries({"type": st.one_of(st.sampled_from(["directory", "snapshots", "store"]), SCALARS),
                                "path": st.one_of(PATHS, values())},
                               optional={"extra": values()})


def _section(cls: type, overrides: dict[str, st.SearchStrategy[Any]] | None = None) -> st.SearchStrategy[Any]:
    """A manifest section: its real keys with values of the right or a wrong type."""
    defaults = cls()
    fields = {name: st.one_of(st.just(getattr(defaults, name)), SCALARS, values())
              for name in vars(defaults)}
    fields.update(overrides or {})
    return st.one_of(st.fixed_dictionaries({}, optional=fields), values())


MANIFEST_KEYS: dict[str, st.SearchStrategy[Any]] = {
    "sources": st.one_of(
        st.lists(SOURCE, max_size=3).map(lambda extra: [{"type": "directory", "path": "demos"}, *extra]),
        values()),
    "build": _section(BuildOptions, {"cache_dir": CACHE_DIRS, "ledger": st.one_of(CACHE_DIRS, st.booleans()),
                                     "max_files": st.integers(-1, 3), "batch_size": st.integers(-2**64, 2**64)}),
    "video": _section(VideoOptions),
    "deploy": _section(DeployOptions, {"artifacts": st.sampled_from(["pages", "r2", "R2", ""]),
                                       "artifacts_url": st.one_of(odd_text(), st.just("https://demos.example.com"))}),
    "editor": _section(EditorOptions),
}


def _good_expected(manifest_path: Path) -> bool:
    """Whether the good snapshots must be read: the manifest keeps the demo source and limits they fit in."""
    data = yaml.safe_load(manifest_path.read_bytes())
    sources = data.get("sources") if isinstance(data, dict) else None
    build = data.get("build") if isinstance(data, dict) else None
    limits = {key: build.get(key) for key in ("max_file_bytes", "max_snapshot_bytes", "max_files")} \
        if isinstance(build, dict) else {}
    fits = all(value is None or (isinstance(value, int) and value >= 100) for value in limits.values())
    return isinstance(sources, list) and {"type": "directory", "path": "demos"} in sources and fits


KNOWN = [  # one of each hostile family, drawn as often as any generated manifest
    alias_bomb("sources", 9, 9).encode(), alias_bomb("build", 9, 9).encode(),
    ("sources: [{type: directory, path: demos}]\nbuild: {cache_dir: " + "[" * 5000).encode(),
    b"sources: [{type: directory, path: demos}]\nsources: [{type: directory, path: exports}]\n",
    "sources: [{type: directory, path: d\u00e9mos}]\n".encode("latin-1"),
    b"sources: [{type: directory, path: demos}]\nbuild: {cache_dir: fifo}\n",
    b"sources: [{type: directory, path: \"demos\\0x\"}]\n",
]


@given(text=st.one_of(yaml_texts(MANIFEST_KEYS), st.sampled_from(KNOWN)))
def test_manifest(text: bytes) -> None:
    count("manifest (hybrid.yml)")
    with project() as root:
        (root / "hybrid.yml").write_bytes(text)
        (root / "devnull").symlink_to("/dev/null")
        os.mkfifo(root / "fifo")
        before = tree_state(root.parent)
        outcome = bounded(lambda: scan_project(root / "hybrid.yml"))
        assert_no_traceback(outcome)
        if outcome.kind == "raised":
            assert_one_line([outcome.message])
            assert_writes_within(root.parent, before, tree_state(root.parent), [])
            return
        result: ScanResult = outcome.value
        assert_writes_within(root.parent, before, tree_state(root.parent), [Path(result.cache_dir)])
        assert_one_line(result.errors)
        if _good_expected(root / "hybrid.yml"):
            assert GOOD_REFS - {"good-json/v1"} <= result.refs, result.errors


@pytest.mark.parametrize("text", [b"\x00", b"sources: [{type: directory, path: demos}]\ntitle: \x1b\n"])
def test_unprintable_character_in_yaml_is_one_line(tmp_path: Path, text: bytes) -> None:
    """Found by the fuzzing: a character YAML refuses (NUL, ESC) raised yaml.reader.ReaderError from the
    loader's constructor, outside the strict loader's error handling (a traceback)."""
    (tmp_path / "hybrid.yml").write_bytes(text)
    with pytest.raises(ManifestError):
        load_manifest(tmp_path / "hybrid.yml")
