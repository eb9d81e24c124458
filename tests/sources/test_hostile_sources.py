"""Hostile sources (issue 18): special files, YAML bombs, paths the OS refuses, control characters in file
names and symlinked folders each fail their own snapshot (or thread) with one clear line, and the good snapshot
beside them still loads."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mkdocs_hybrid.config.manifest import parse_manifest
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.snapshot import check_relative_path
from mkdocs_hybrid.sources.scan import Scan, parse_snapshot_json, scan_sources
from mkdocs_hybrid.sources.store import SnapshotStore
from tests.factory import manifest_for, snapshot_json, write_tree

GOOD = {"demos/good/v1/index.js": "document.body.textContent = 'ok'\n"}


def bomb(key: str) -> str:
    """``key:`` holding a billion laughs: nine levels of ten aliases, 10^9 strings once walked or formatted
    (about 400 bytes of YAML)."""
    levels = ["  a: &a [x, x, x, x, x, x, x, x, x, x]\n"]
    levels += [f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)]
    return f"{key}:\n{''.join(levels)}"


def scan(root: Path, **options: object) -> Scan:
    write_tree(root, GOOD)
    return scan_sources(manifest_for(root, snapshots="exports", **options))


def only_error(result: Scan) -> str:
    """The one error of the scan, after checking the good snapshot still loaded; it must be one line."""
    assert [s.ref for s in result.snapshots if s.thread == "good"] == ["good/v1"], "the good snapshot must load"
    assert len(result.errors) == 1, [str(e) for e in result.errors]
    message = str(result.errors[0])
    assert "\n" not in message and len(message) < 1000, message
    return message


# -- 1. special files -------------------------------------------------------------------------------


def make_special(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "FIFO":
        os.mkfifo(path)
    else:  # a /dev/zero of our own: reading it never ends
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 5))
        except PermissionError:
            pytest.skip("creating a character device needs CAP_MKNOD")


@pytest.mark.parametrize("kind", ["FIFO", "character device"])
@pytest.mark.parametrize("name", ["demos/t/v1/data.txt", "demos/t/v1/src/deep.js", "demos/t/v1/snapshot.yml",
                                  "demos/t/v1/package.json"])
def test_a_special_file_in_a_version_fails_that_version(tmp_path: Path, kind: str, name: str) -> None:
    write_tree(tmp_path, {"demos/t/v1/index.js": "x"})
    make_special(tmp_path / name, kind)
    message = only_error(scan(tmp_path))
    assert message.startswith("t/v1: ") and f"is a {kind}, not a regular file" in message, message


def test_a_symlink_to_a_fifo_inside_the_snapshot_is_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"demos/t/v1/index.js": "x"})
    os.mkfifo(tmp_path / "demos/t/v1/pipe")
    os.symlink("pipe", tmp_path / "demos/t/v1/data.txt")
    message = only_error(scan(tmp_path))
    assert "is a FIFO" in message


@pytest.mark.parametrize("kind", ["FIFO", "character device"])
def test_a_special_thread_yml_fails_that_thread(tmp_path: Path, kind: str) -> None:
    write_tree(tmp_path, {"demos/t/v1/index.js": "x"})
    make_special(tmp_path / "demos/t/thread.yml", kind)
    message = only_error(scan(tmp_path))
    assert message.startswith("t: ") and "thread.yml" in message and f"is a {kind}" in message, message


def test_a_fifo_in_the_snapshots_folder_fails_that_file(tmp_path: Path) -> None:
    write_tree(tmp_path, {"exports/ok.json": snapshot_json("j", "v1", {"index.js": "x"})})
    os.mkfifo(tmp_path / "exports/pipe.json")
    result = scan(tmp_path)
    message = only_error(Scan(result.threads, [s for s in result.snapshots if s.thread != "j"], result.errors))
    assert "pipe.json" in message and "is a FIFO" in message
    assert "j/v1" in {s.ref for s in result.snapshots}


def test_a_fifo_as_the_store_is_refused_with_one_line(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "editor.sqlite")
    write_tree(tmp_path, GOOD)
    (tmp_path / "demos").mkdir(exist_ok=True)
    manifest = parse_manifest({"sources": [{"type": "directory", "path": "demos"}], "build": {"cache_dir": ".c"}},
                              base_dir=tmp_path)
    store = SnapshotStore(tmp_path / "editor.sqlite")
    with pytest.raises(Exception, match="is a FIFO, not the editor's store"):
        store.versions()
    assert [s.ref for s in scan_sources(manifest).snapshots] == ["good/v1"]


def test_a_fifo_put_in_a_files_place_after_the_scan_is_refused_when_read(tmp_path: Path) -> None:
    """The race: the scan listed a regular file, the bundler finds a FIFO; opening never blocks."""
    write_tree(tmp_path, {"demos/t/v1/index.js": "x", "demos/t/v1/data.txt": "y"})
    snapshot = next(s for s in scan(tmp_path).snapshots if s.thread == "t")
    (tmp_path / "demos/t/v1/data.txt").unlink()
    os.mkfifo(tmp_path / "demos/t/v1/data.txt")
    with pytest.raises(SnapshotError, match="FIFO"):
        snapshot.with_contents()


# -- 2. YAML aliases, duplicate keys, nesting, encoding -----------------------------------------------


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("demos/t/thread.yml", bomb("latest"), "anchors and aliases"),
    ("demos/t/v1/snapshot.yml", bomb("created"), "anchors and aliases"),
    ("demos/t/v1/snapshot.yml", bomb("entry"), "anchors and aliases"),
    ("demos/t/v1/snapshot.yml", bomb("video"), "anchors and aliases"),
    ("demos/t/v1/snapshot.yml", "title: one\ntitle: two\n", "duplicate key 'title'"),
    ("demos/t/thread.yml", "tags: [a]\ntags: [b]\n", "duplicate key 'tags'"),
    ("demos/t/v1/snapshot.yml", "title: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper than"),
    ("demos/t/v1/snapshot.yml", "created: " + "9" * 5000 + "\n", "invalid YAML"),
    ("demos/t/v1/snapshot.yml", "title: caf\xe9\n".encode("latin-1"), "not UTF-8"),
    ("demos/t/thread.yml", "title: \x00\n", "unacceptable character #x0000"),
    ("demos/t/v1/package.json", "[" * 100_000 + "]" * 100_000, "invalid JSON"),
])
def test_hostile_yaml_is_one_line(tmp_path: Path, name: str, text: str | bytes, expected: str) -> None:
    write_tree(tmp_path, {"demos/t/v1/index.js": "x", name: text})
    message = only_error(scan(tmp_path))
    assert expected in message and name.split("/")[-1] in message, message


@pytest.mark.parametrize("value", [["x"] * 100_000, "x" * 100_000, {"k" * 1000: ["v"] * 1000}])
def test_huge_values_are_never_formatted_whole(tmp_path: Path, value: object) -> None:
    data = {"format": "mkdocs-hybrid/snapshot@1", "thread": value, "version": "v1", "files": {"index.js": "x"}}
    with pytest.raises(SnapshotError) as info:
        parse_snapshot_json(data, manifest_for(tmp_path).build, "api")
    assert len(str(info.value)) < 400 and "invalid thread id" in str(info.value)


# -- 3. paths the OS refuses, other per-snapshot I/O errors ------------------------------------------


def deep_folder(top: Path, length: int) -> str:
    """A folder under ``top`` whose path is over ``length`` characters (made with dir_fd: no long path needed)."""
    fd = os.open(top, os.O_RDONLY)
    total = len(str(top))
    try:
        while total <= length:
            os.mkdir("d" * 200, dir_fd=fd)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
            total += 201
        with open(os.open("x.js", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as handle:
            handle.write("x")
    finally:
        os.close(fd)
    return "d" * 200


def test_a_path_longer_than_the_os_allows_fails_that_version(tmp_path: Path) -> None:
    write_tree(tmp_path, {"demos/t/v1/index.js": "x"})
    deep_folder(tmp_path / "demos/t/v1", os.pathconf("/", "PC_PATH_MAX"))
    message = only_error(scan(tmp_path))
    assert message.startswith("t/v1: ") and "File name too long (ENAMETOOLONG)" in message, message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_an_unreadable_version_or_thread_fails_alone(tmp_path: Path) -> None:
    write_tree(tmp_path, {"demos/t/v1/index.js": "x", "demos/u/v1/index.js": "x"})
    os.chmod(tmp_path / "demos/t/v1", 0)
    os.chmod(tmp_path / "demos/u", 0o300)  # the thread folder cannot be listed
    try:
        result = scan(tmp_path)
    finally:
        os.chmod(tmp_path / "demos/t/v1", 0o755)
        os.chmod(tmp_path / "demos/u", 0o755)
    assert [s.ref for s in result.snapshots] == ["good/v1"]
    assert sorted(e.ref for e in result.errors) == ["t/v1", "u"]
    assert all("Permission denied (EACCES)" in str(e) for e in result.errors), [str(e) for e in result.errors]


# -- 4. control characters in file names --------------------------------------------------------------


@pytest.mark.parametrize("name", ["a\nb.js", "tab\there.js", "nul\x00.js", "esc\x1b.js", "del\x7f.js", "c1\x85.js",
                                  "line\u2028sep.js", "para\u2029.js", "rtl\u202egnp.js", "iso\u2066.js",
                                  "src/ok\n/x.js", "bad\udcff.js"])
def test_file_names_with_control_characters_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=r"control character|not valid UTF-8") as info:
        check_relative_path(name)
    assert "\n" not in str(info.value)


def test_control_characters_are_refused_in_every_source(tmp_path: Path) -> None:
    forged = "x.js:1:1: ERROR: good/v1\n.js"
    write_tree(tmp_path, {"demos/t/v1/index.js": "x", f"demos/t/v1/{forged}": "y",
                          "exports/j.json": snapshot_json("j", "v1", {"index.js": "x", "a\u2028b.js": "y"})})
    result = scan(tmp_path)
    assert [s.ref for s in result.snapshots] == ["good/v1"]
    messages = sorted(str(e) for e in result.errors)
    assert len(messages) == 2 and all("control character" in m and "\n" not in m for m in messages), messages


def test_a_store_document_with_a_control_character_is_refused(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "editor.sqlite")
    document = {"format": "mkdocs-hybrid/snapshot@1", "thread": "s", "version": "v1",
                "files": {"index.js": "x", "evil\n.js": "y"}}
    store.save("s", "v1", document)  # the store only stores: the scan validates every row
    write_tree(tmp_path, GOOD)
    manifest = parse_manifest({"sources": [{"type": "directory", "path": "demos"},
                                           {"type": "store", "path": "editor.sqlite"}],
                               "build": {"cache_dir": ".c"}}, base_dir=tmp_path)
    result = scan_sources(manifest)
    assert "control character" in only_error(result)


# -- 5. symlinked thread and version folders ---------------------------------------------------------


@pytest.mark.parametrize("link", ["demos/t", "demos/t2/v1"])
def test_a_symlinked_folder_pointing_outside_the_source_is_refused(tmp_path: Path, link: str) -> None:
    write_tree(tmp_path, {"outside/v1/index.js": "secret", "outside/index.js": "secret", "demos/t2/thread.yml": ""})
    os.symlink(tmp_path / "outside", tmp_path / link)
    result = scan(tmp_path)
    message = only_error(result)
    assert "symlink points outside the source folder" in message, message
    assert not any("outside" in s.origin for s in result.snapshots)


def test_a_symlinked_folder_inside_the_source_is_followed_and_the_root_may_be_a_symlink(tmp_path: Path) -> None:
    write_tree(tmp_path, {"real/demos/t/v1/index.js": "x", "real/demos/good/v1/index.js": "ok"})
    os.symlink("v1", tmp_path / "real/demos/t/v2")
    os.symlink("t", tmp_path / "real/demos/alias")
    os.symlink(tmp_path / "real/demos", tmp_path / "demos")  # the source root itself: a symlink
    result = scan_sources(manifest_for(tmp_path))
    assert result.errors == []
    assert [s.ref for s in result.snapshots] == ["alias/v1", "alias/v2", "good/v1", "t/v1", "t/v2"]


def test_a_symlinked_thread_yml_outside_its_folder_is_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"secret.yml": "title: secret\n", "demos/t/v1/index.js": "x"})
    os.symlink(tmp_path / "secret.yml", tmp_path / "demos/t/thread.yml")
    message = only_error(scan(tmp_path))
    assert message.startswith("t: ") and "symlink points outside" in message


# -- 6. what the listing's quick path for plain names must still refuse, and still read ---------------------


@pytest.mark.parametrize(("name", "size", "expected"), [
    ("C:evil.js", 1, "must be relative and use '/' separators"),
    ("back\\slash.js", 1, "must be relative and use '/' separators"),
    ("src/deep/big.js", 2048, "over the 1,024-byte limit (build.max_file_bytes)"),
])
def test_a_name_or_size_the_full_check_refuses_fails_that_version_at_any_depth(tmp_path: Path, name: str, size: int,
                                                                               expected: str) -> None:
    write_tree(tmp_path, {"demos/t/v1/index.js": "x", f"demos/t/v1/{name}": "y" * size})
    message = only_error(scan(tmp_path, max_file_bytes=1024))
    assert message.startswith("t/v1: ") and expected in message, message


def test_names_outside_the_plain_ones_are_still_read_when_the_full_check_accepts_them(tmp_path: Path) -> None:
    names = ["src/café.js", "a b (1).txt", "src/a:b.js", "src/deep/ünïcode/x.css"]
    write_tree(tmp_path, {"demos/t/v1/index.js": "x", **{f"demos/t/v1/{name}": name for name in names}})
    result = scan(tmp_path)
    assert result.errors == []
    snapshot = next(s for s in result.snapshots if s.thread == "t")
    assert sorted(snapshot.files) == sorted([*names, "index.js"])
    assert snapshot.files["src/café.js"] == "src/café.js".encode()


@pytest.mark.parametrize("extra", [{"title": "\udc80"}, {"tags": ["ok", "\udcff"]}, {"author": "a\ud800"},
                                   {"files": {"index.js": "x\udc80"}}])
def test_lone_surrogate_escapes_in_snapshot_json_are_refused(tmp_path: Path, extra: dict[str, object]) -> None:
    """``"\\udc80"`` is valid JSON but not writable as UTF-8: refused here, not by a page writer later."""
    document = {"format": "mkdocs-hybrid/snapshot@1", "thread": "j", "version": "v1",
                "files": {"index.js": "x"}, **extra}
    with pytest.raises(SnapshotError, match="UTF-8"):
        parse_snapshot_json(document, manifest_for(tmp_path).build, "api")
