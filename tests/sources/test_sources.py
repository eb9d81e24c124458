"""Bad input gets one clear error naming the file and thread/version; other snapshots still load."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mkdocs_hybrid.config.manifest import load_manifest, parse_manifest
from mkdocs_hybrid.model.errors import ManifestError
from mkdocs_hybrid.sources.scan import scan_sources
from tests.factory import manifest_for, snapshot_json, write_tree

GOOD = {"demos/good/v1/index.js": "document.body.textContent = 'ok'\n"}


def scan(tmp_path: Path, files: dict[str, str | bytes], **options: object):
    write_tree(tmp_path, {**GOOD, **files})
    return scan_sources(manifest_for(tmp_path, snapshots="exports", **options))


def only_error(result) -> str:
    assert [s.ref for s in result.snapshots if s.thread == "good"] == ["good/v1"], "the good snapshot must load"
    assert len(result.errors) == 1, [str(e) for e in result.errors]
    return str(result.errors[0])


def test_reads_directory_and_json_sources(tmp_path: Path) -> None:
    result = scan(tmp_path, {
        "demos/good/thread.yml": "title: Good\ntags: [a, b]\nlatest: v1\n",
        "demos/good/v2/snapshot.yml": "title: Second\ncreated: 2026-01-02T03:04:05+01:00\nentry: main.ts\n",
        "demos/good/v2/main.ts": "export {}\n",
        "demos/good/v2/package.json": '{"dependencies": {"react": "18.3.1"}}',
        "exports/one.json": snapshot_json("from-json", "v1", {"src/index.tsx": "x"}, title="Json"),
    })
    assert result.errors == []
    refs = {s.ref: s for s in result.snapshots}
    assert set(refs) == {"good/v1", "good/v2", "from-json/v1"}
    assert refs["good/v2"].created == "2026-01-02T02:04:05Z"
    assert refs["good/v2"].dependencies == {"react": "18.3.1"}
    assert "package.json" not in refs["good/v2"].files
    assert refs["from-json/v1"].entry == "src/index.tsx"
    assert result.threads["good"].latest == "v1"


@pytest.mark.parametrize(("files", "expected"), [
    ({"demos/Bad_Thread/v1/index.js": "x"}, "invalid thread id 'Bad_Thread'"),
    ({"demos/t/V 1/index.js": "x"}, "invalid version id 'V 1'"),
    ({"demos/t/latest/index.js": "x"}, "'latest' is reserved"),
    ({"demos/t/v1/style.css": "body{}"}, "no entry file"),
    ({"demos/t/v1/snapshot.yml": "entry: main.js\n", "demos/t/v1/index.js": "x"}, "entry 'main.js' is not a file"),
    ({"demos/t/v1/snapshot.yml": "title: [unclosed\n", "demos/t/v1/index.js": "x"}, "invalid YAML"),
    ({"demos/t/v1/snapshot.yml": "titel: typo\n", "demos/t/v1/index.js": "x"}, "unknown key(s) titel"),
    ({"demos/t/v1/snapshot.yml": "created: yesterday\n", "demos/t/v1/index.js": "x"}, "not an ISO 8601"),
    ({"demos/t/v1/snapshot.yml": "video: clip.mov\n", "demos/t/v1/index.js": "x"},
     "video 'clip.mov' is not a file of this snapshot; name a video file in this folder, or write video: true"),
    ({"demos/t/v1/snapshot.yml": "video: 3\n", "demos/t/v1/index.js": "x"},
     "video must be true, false or the name of a video file in this folder, not 3"),
    ({"demos/t/v1/package.json": '{"dependencies": {"x": "git+https://e.com/x"}}', "demos/t/v1/index.js": "x"},
     "not a registry version"),
    ({"demos/t/v1/package.json": "{nope", "demos/t/v1/index.js": "x"}, "invalid JSON"),
    ({"exports/a.json": snapshot_json("t", "v1", {"../../etc/passwd": "x", "index.js": "x"})}, "escapes the snapshot"),
    ({"exports/a.json": snapshot_json("t", "v1", {"/abs.js": "x", "index.js": "x"})}, "must be relative"),
    ({"exports/a.json": '{"format": "other"}'}, "not a snapshot file"),
    ({"exports/a.json": snapshot_json("t", "latest", {"index.js": "x"})}, "'latest' is reserved"),
    ({"exports/a.json": snapshot_json("good", "v1", {"index.js": "x"})}, "duplicate version"),
    ({"demos/t/thread.yml": "latest: v9\n", "demos/t/v1/index.js": "x"}, "'v9' is not a version"),
])
def test_bad_input_is_one_clear_error(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    assert expected in only_error(scan(tmp_path, files))


def test_errors_name_file_and_version(tmp_path: Path) -> None:
    message = only_error(scan(tmp_path, {"demos/t/v1/snapshot.yml": "titel: x\n", "demos/t/v1/index.js": "x"}))
    assert message.startswith("t/v1: ")
    assert str(tmp_path / "demos/t/v1/snapshot.yml") in message


def test_huge_file_is_refused(tmp_path: Path) -> None:
    message = only_error(scan(tmp_path, {"demos/t/v1/index.js": "x", "demos/t/v1/big.bin": b"0" * 2048},
                              max_file_bytes=1024))
    assert "over the 1,024-byte limit (build.max_file_bytes)" in message and "big.bin" in message


def test_symlink_outside_the_snapshot_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    write_tree(tmp_path, {"demos/t/v1/index.js": "x"})
    os.symlink(tmp_path / "secret.txt", tmp_path / "demos/t/v1/data.txt")
    message = only_error(scan(tmp_path, {}))
    assert "symlink points outside the snapshot" in message and "t/v1" in message


def test_symlink_inside_the_snapshot_is_followed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"demos/t/v1/index.js": "x", "demos/t/v1/real.txt": "hi"})
    os.symlink("real.txt", tmp_path / "demos/t/v1/alias.txt")
    result = scan(tmp_path, {})
    assert result.errors == []
    assert next(s for s in result.snapshots if s.thread == "t").files["alias.txt"] == b"hi"


def test_entry_detection_order(tmp_path: Path) -> None:
    result = scan(tmp_path, {
        "demos/a/v1/index.html": "<p>x</p>", "demos/a/v1/src/index.tsx": "x",
        "demos/b/v1/src/index.jsx": "x", "demos/b/v1/index.tsx": "x",
        "demos/c/v1/index.ts": "x",
    })
    entries = {s.thread: s.entry for s in result.snapshots}
    assert entries == {"a": "index.html", "b": "src/index.jsx", "c": "index.ts", "good": "index.js"}


@pytest.mark.parametrize(("text", "expected"), [
    ("sources: [{type: directory, path: demos}]\nbuild: {minfy: true}\n", "build: unknown key(s) minfy; allowed:"),
    ("sources: [{type: svn, path: demos}]\n", "sources[0].type must be one of"),
    ("sources: [{type: directory, path: missing}]\n", "is not a folder"),
    ("sources: []\n", "'sources' must be a non-empty list"),
    ("sources: [{type: directory, path: demos}]\nbuild: {minify: 'yes'}\n", "build.minify must be bool"),
    ("sources: [\n", "invalid YAML"),
    ("sources: [{type: directory, path: demos}]\nvideo: {enabled: true, seconds: 600}\n",
     "video.seconds must be between 1 and 30, not 600"),
    ("sources: [{type: directory, path: demos}]\nvideo: {width: 1279}\n", "video.width must be even"),
    ("sources: [{type: directory, path: demos}]\nvideo: {seconds: 2, poster_at: 3}\n",
     "video.poster_at must be between 0 and video.seconds (2), not 3"),
    ("sources: [{type: directory, path: demos}]\ndeploy: {r2_bucket: a, r2_private_bucket: b}\n",
     "deploy.r2_private_bucket is only used with deploy.artifacts: r2"),
    ("sources: [{type: directory, path: demos}]\ndeploy: {artifacts: r2, artifacts_url: 'https://d.example.com', "
     "r2_bucket: a, r2_private_bucket: a}\n", "deploy.r2_private_bucket must not be deploy.r2_bucket"),
])
def test_bad_manifest(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "demos").mkdir()
    (tmp_path / "hybrid.yml").write_text(text)
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path / "hybrid.yml")
    assert expected in str(info.value) and str(tmp_path / "hybrid.yml") in str(info.value)


def test_inline_manifest_resolves_paths_against_base(tmp_path: Path) -> None:
    (tmp_path / "demos").mkdir()
    manifest = parse_manifest({"sources": [{"type": "directory", "path": "demos"}]}, base_dir=tmp_path)
    assert manifest.sources[0].path == (tmp_path / "demos").resolve()
    assert manifest.build.target == "es2020" and manifest.build.minify is True
