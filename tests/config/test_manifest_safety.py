"""The manifest (issue 18): one YAML loader without aliases or duplicate keys, one line for every bad input,
no user value formatted whole into a message, and no FIFO or device where the build keeps its cache or ledger."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mkdocs_hybrid.config.manifest import load_manifest, parse_manifest
from mkdocs_hybrid.config.yaml_loader import MAX_DEPTH, YamlError, load_yaml
from mkdocs_hybrid.model.errors import ManifestError

SOURCES = "sources: [{type: directory, path: demos}]\n"


def manifest_error(tmp_path: Path, text: str | bytes) -> str:
    (tmp_path / "demos").mkdir(exist_ok=True)
    path = tmp_path / "hybrid.yml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message and len(message) < 500, message
    return message


@pytest.mark.parametrize(("text", "expected"), [
    (SOURCES + "build: {minify: true}\nbuild: {minify: false}\n", "duplicate key 'build': keep one of them at line 3"),
    (SOURCES + "build: {minify: true, minify: false}\n", "duplicate key 'minify'"),
    ("base: &b {type: directory, path: demos}\nsources: [*b]\n", "anchors and aliases (&name, *name) are not allowed"),
    (SOURCES + "video: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", f"nested deeper than {MAX_DEPTH} levels"),
    (SOURCES + "build: {batch_size: " + "9" * 5000 + "}\n", "invalid YAML"),
    (SOURCES.encode() + b"build: {target: 'caf\xe9'}\n", "not UTF-8 text"),
    (SOURCES + "build: {target: '\x00'}\n", "unacceptable character #x0000"),
    (SOURCES + "build:\n  target: !!python/name:os.system\n", "could not determine a constructor"),
])
def test_hostile_manifest_text_is_one_line(tmp_path: Path, text: str | bytes, expected: str) -> None:
    assert expected in manifest_error(tmp_path, text)


def test_an_inline_manifest_with_shared_values_is_never_formatted_whole(tmp_path: Path) -> None:
    """MkDocs parses mkdocs.yml itself: an alias bomb under plugins.hybrid arrives as shared references
    (small in memory), and must not be expanded by an error message (10^9 strings)."""
    laughs: object = ["lol"] * 10
    for _ in range(8):
        laughs = [laughs] * 10
    (tmp_path / "demos").mkdir()
    for section, key in (("build", "target"), ("video", "seconds"), ("deploy", "artifacts")):
        data = {"sources": [{"type": "directory", "path": "demos"}], section: {key: laughs}}
        with pytest.raises(ManifestError) as info:
            parse_manifest(data, base_dir=tmp_path, origin="mkdocs.yml plugins.hybrid")
        assert len(str(info.value)) < 400, str(info.value)[:400]
    with pytest.raises(ManifestError, match=r"sources\[0\]\.type must be one of") as info:
        parse_manifest({"sources": [{"type": laughs, "path": "demos"}]}, base_dir=tmp_path)
    assert len(str(info.value)) < 400


def special_places(tmp_path: Path) -> dict[str, str]:
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    return {"fifo": str(tmp_path / "fifo"), "file": str(tmp_path / "file"), "folder": str(tmp_path / "folder")}


@pytest.mark.parametrize(("key", "place", "kind"), [
    ("cache_dir", "fifo", "a FIFO"), ("cache_dir", "/dev/null", "a character device"), ("cache_dir", "file", "a file"),
    ("ledger", "fifo", "a FIFO"), ("ledger", "/dev/null", "a character device"), ("ledger", "folder", "a folder"),
    ("ledger", "file/ledger.sqlite", "Not a directory"),
])
def test_cache_and_ledger_must_be_a_folder_and_a_file(tmp_path: Path, key: str, place: str, kind: str) -> None:
    special_places(tmp_path)
    message = manifest_error(tmp_path, SOURCES + f"build: {{{key}: '{place}'}}\n")
    assert f"build.{key}" in message and kind in message, message


def test_cache_and_ledger_may_not_exist_yet(tmp_path: Path) -> None:
    (tmp_path / "demos").mkdir()
    (tmp_path / "hybrid.yml").write_text(SOURCES + "build: {cache_dir: new/cache, ledger: new/ledger.sqlite}\n")
    assert load_manifest(tmp_path / "hybrid.yml").build.ledger == "new/ledger.sqlite"


def test_a_fifo_or_a_folder_as_the_store_is_refused(tmp_path: Path) -> None:
    special_places(tmp_path)
    for place, kind in (("fifo", "must name a SQLite file"), ("folder", "must name a SQLite file")):
        message = manifest_error(tmp_path, f"sources: [{{type: store, path: {place}}}]\n")
        assert kind in message


def test_the_loader_keeps_ordinary_yaml() -> None:
    text = "title: Demo\ntags: [a, b]\ncreated: 2026-01-02\nnested: {a: {b: [1, {c: d}]}}\n<<: {merged: 1}\n"
    data = load_yaml(text)
    assert isinstance(data, dict) and data["tags"] == ["a", "b"] and data["merged"] == 1
    with pytest.raises(YamlError, match="could not determine a constructor"):
        load_yaml("site_url: !ENV [URL, 'https://a.example/']\n")
    assert load_yaml("site_url: https://a.example/\nx: !ENV [URL]\n", lenient_tags=True) == {
        "site_url": "https://a.example/", "x": None}
