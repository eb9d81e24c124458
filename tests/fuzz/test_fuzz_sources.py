"""Fuzzing the directory source (``thread.yml``, ``snapshot.yml``, ``package.json``, file and folder names, special
files) and snapshot JSON files, through the scan ``mkdocs-hybrid check`` runs.

For every generated input: the scan ends within the bound and raises nothing (one bad snapshot is an error in
the list, never an exception); each error is one line about the snapshot under attack; every good snapshot
beside it (another thread, a sibling version, a JSON file) is still read; no snapshot is read from outside its
source; nothing is written but the build cache.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.harness import (
    assert_no_traceback,
    assert_one_line,
    assert_writes_within,
    bounded,
    count,
    tree_state,
)
from tests.fuzz.hostile import (
    ID_LIKE,
    alias_bomb,
    dependencies,
    odd_text,
    snapshot_documents,
    values,
    yaml_texts,
)
from tests.fuzz.projects import GOOD_JS, GOOD_REFS, SPECIAL_KINDS, ScanResult, make_entry, project, scan_project

THREAD_YML = {"title": odd_text(), "description": odd_text(), "tags": st.lists(odd_text(10), max_size=4),
              "latest": ID_LIKE, "unlisted": st.booleans()}
SNAPSHOT_YML = {"title": odd_text(), "entry": st.sampled_from(["index.js", "main.ts", "../index.js", "x.css"]),
                "created": st.one_of(odd_text(), st.datetimes(), st.dates()), "author": odd_text(),
                "tags": st.lists(odd_text(10), max_size=4), "video": st.one_of(st.booleans(), odd_text()),
                "unlisted": st.booleans()}


def checked_scan(root: Path, *, expected: set[str], about: str) -> ScanResult:
    """Scan ``root``'s manifest in a bounded child and check the properties every scan must have."""
    before = tree_state(root.parent)
    outcome = bounded(lambda: scan_project(root / "hybrid.yml"))
    assert_no_traceback(outcome, project_errors=False)
    result: ScanResult = outcome.value
    assert_writes_within(root.parent, before, tree_state(root.parent), [Path(result.cache_dir)])
    assert expected <= result.refs, f"good snapshots not read: {sorted(expected - result.refs)}; {result.errors}"
    assert_one_line(result.errors)
    strangers = [e for e, ref in zip(result.errors, result.error_refs) if not (ref == about or ref.startswith(
        about + "/") or (about.endswith(".json") and about in e))]
    assert not strangers, f"errors not about {about}: {strangers}"
    sources = [os.path.realpath(root / name) for name in ("demos", "exports")]
    for origin in result.origins:
        real = os.path.realpath(origin)
        assert any(real.startswith(top + "/") for top in sources), f"a snapshot read from outside: {origin} ({real})"
    return result


KNOWN_YAML = [  # one of each hostile family (alias bombs under keys that reach messages), drawn often
    *(alias_bomb(key, 9, 9).encode() for key in ("latest", "title", "tags", "unlisted", "entry", "created", "video")),
    b"title: a\ntitle: b\n", b"tags: " + b"[" * 5000, "title: \u00e9\n".encode("latin-1"),
]


@given(text=st.one_of(yaml_texts(THREAD_YML), st.sampled_from(KNOWN_YAML)))
def test_thread_yml(text: bytes) -> None:
    count("thread.yml")
    with project() as root:
        (root / "demos/fuzz/thread.yml").write_bytes(text)
        result = checked_scan(root, expected=GOOD_REFS - {"fuzz/v0"}, about="fuzz")
        assert "fuzz/v0" in result.refs or result.error_refs, "the thread's version vanished without an error"


def _write_named(folder: Path, name: str, contents: bytes) -> bool:
    try:
        (folder / name).write_bytes(contents)
    except (OSError, ValueError, UnicodeEncodeError):
        return False  # a name this file system refuses cannot be given to the scan
    return True


def _deep(folder: Path, depth: int) -> None:
    """Folders nested past PATH_MAX (made relative to each other: the OS refuses the whole path)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d" * 200, dir_fd=fd)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(os.open("deep.js", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    finally:
        os.close(fd)


PACKAGE_JSON = st.one_of(
    dependencies().map(lambda deps: json.dumps({"dependencies": deps}, default=str).encode()),
    values().map(lambda data: json.dumps(data, default=str).encode()),
    st.sampled_from([b"", b"{", b"[" * 100000, b'{"dependencies": ' * 5000, b"\xff\xfe{}", b"null", b"1e999999"]),
)


@given(snapshot_yml=st.none() | yaml_texts(SNAPSHOT_YML) | st.sampled_from(KNOWN_YAML),
       package_json=st.none() | PACKAGE_JSON,
       names=st.lists(odd_text(30), max_size=4), specials=st.lists(st.sampled_from(SPECIAL_KINDS), max_size=2),
       depth=st.sampled_from([0, 0, 0, 25]), code=st.sampled_from([GOOD_JS, "import x from '../../../outside';", ""]))
def test_version_folder(snapshot_yml: bytes | None, package_json: bytes | None, names: list[str],
                        specials: list[str], depth: int, code: str) -> None:
    count("version folder (snapshot.yml, package.json, names, special files)")
    with project() as root:
        folder = root / "demos/fuzz/v1"
        folder.mkdir(parents=True)
        (folder / "index.js").write_text(code, encoding="utf-8")
        if snapshot_yml is not None:
            (folder / "snapshot.yml").write_bytes(snapshot_yml)
        if package_json is not None:
            (folder / "package.json").write_bytes(package_json)
        for name in names:
            _write_named(folder, name, b"x")
        for index, kind in enumerate(dict.fromkeys(specials)):
            make_entry(folder / f"special{index}.js", kind)
        if depth:
            _deep(folder, depth)
        checked_scan(root, expected=GOOD_REFS, about="fuzz/v1")


@given(threads=st.lists(odd_text(20), min_size=1, max_size=3), versions=st.lists(odd_text(20), min_size=1, max_size=3),
       linked=st.sampled_from(["", "thread", "version"]))
def test_folder_names(threads: list[str], versions: list[str], linked: str) -> None:
    """Hostile thread and version folder names (and folders that are symlinks to elsewhere) beside good ones."""
    count("thread and version folder names")
    with project() as root:
        bad_threads = []
        for thread in threads:
            if thread in ("good", "fuzz") or not _mkdir(root / "demos", thread):
                continue
            bad_threads.append(thread)
            for version in versions:
                if _mkdir(root / "demos" / thread, version):
                    (root / "demos" / thread / version / "index.js").write_text(GOOD_JS, encoding="utf-8")
        if linked == "thread":
            os.symlink("../outside", root / "demos/linked")
        elif linked == "version":
            os.symlink("../../outside/t/v1", root / "demos/fuzz/v9")
        before = tree_state(root.parent)
        outcome = bounded(lambda: scan_project(root / "hybrid.yml"))
        assert_no_traceback(outcome, project_errors=False)
        result: ScanResult = outcome.value
        assert_writes_within(root.parent, before, tree_state(root.parent), [Path(result.cache_dir)])
        assert result.refs >= GOOD_REFS, result.errors
        assert_one_line(result.errors)
        for origin in result.origins:
            real = os.path.realpath(origin)
            assert not real.startswith(os.path.realpath(root / "outside")), f"read through a symlink: {origin}"


def _mkdir(parent: Path, name: str) -> bool:
    try:
        (parent / name).mkdir(parents=True)
    except (OSError, ValueError, UnicodeEncodeError):
        return False
    return True


# -- snapshot JSON files ---------------------------------------------------------------------

def _json_bytes(document: Any) -> bytes:
    return json.dumps(document, default=str).encode("utf-8")


JSON_FILES = st.one_of(
    snapshot_documents().map(_json_bytes),
    snapshot_documents().map(_json_bytes),
    st.builds(lambda n, o: o.encode() * n, st.integers(100, 200000), st.sampled_from(["[", '{"a":', '{"files":['])),
    st.sampled_from([b"", b"{", b"[]", b"null", b"NaN", b"1e999999", b"\xef\xbb\xbf{}", b"\xff\xfe\x00{",
                     b'{"format": "mkdocs-hybrid/snapshot@1", "format": 1}', b'"\\ud800"', b"9" * 5000]),
    st.binary(max_size=64),
)


@given(data=JSON_FILES)
def test_snapshot_json_file(data: bytes) -> None:
    count("snapshot JSON file")
    with project() as root:
        (root / "exports/fuzz.json").write_bytes(data)
        checked_scan(root, expected=GOOD_REFS, about="exports/fuzz.json")
