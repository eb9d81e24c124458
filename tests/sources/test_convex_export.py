"""The ``convex-export`` source: the ZIP ``npx convex export`` writes (``_tables``, ``<table>/documents.jsonl``,
``_storage``), read streamed into the build cache; hostile or damaged ZIPs refused with one line each while the
other sources are built. The tests write the exports themselves."""

from __future__ import annotations

import json
import struct
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from mkdocs_hybrid.config.manifest import Manifest, load_manifest
from mkdocs_hybrid.sources import _convex_zip, convex_export
from mkdocs_hybrid.sources.scan import scan_sources
from tests.sources.convex_fake import lines, project_beside, refs, version_doc

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def stored(doc: dict[str, Any]) -> dict[str, Any]:
    """A version document as the versions table stores it (no download URL, no thread metadata)."""
    files = [{key: value for key, value in entry.items() if key != "url"} for entry in doc["files"]]
    return {**{key: value for key, value in doc.items() if key != "threadInfo"}, "files": files}


def thread_doc(thread: str, **extra: object) -> dict[str, Any]:
    return {"_id": f"k{thread}", "_creationTime": 1.7e12, "thread": thread, "title": f"Thread {thread}",
            "description": "made in the editor", "tags": ["demo"], "owner": "issuer|alice", "unlisted": False,
            "latest": None, "versionCount": 1, "created": 1.7e12, **extra}


def write_export(path: Path, versions: list[dict[str, Any]], threads: list[dict[str, Any]] | None = None,
                 storage: dict[str, bytes] | None = None, extra: list[tuple[str, bytes]] = ()) -> Path:
    """An export as npx convex export lays it out."""
    tables = [{"name": "threads", "id": 10001}, {"name": "versions", "id": 10002}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a duplicate name, on purpose
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as export:
            export.writestr("_tables/documents.jsonl", "".join(json.dumps(t) + "\n" for t in tables))
            export.writestr("threads/documents.jsonl", "".join(json.dumps(t) + "\n" for t in threads or []))
            export.writestr("versions/documents.jsonl", "".join(json.dumps(v) + "\n" for v in versions))
            export.writestr("versions/generated_schema.jsonl", '"any"\n')
            for storage_id, data in (storage or {}).items():
                export.writestr(f"_storage/{storage_id}.png", data)
            for name, data in extra:
                export.writestr(name, data)
    return path


def project(tmp_path: Path) -> Manifest:
    return project_beside(tmp_path, {"type": "convex-export", "path": "export.zip"})


def test_an_exports_versions_threads_and_stored_files_are_built(tmp_path: Path) -> None:
    pics = version_doc("pics", "v1", {"index.html": '<img src="cat.png">', "cat.png": PNG})
    storage_id = pics["files"][1]["storageId"]
    write_export(tmp_path / "export.zip", [stored(pics), stored(version_doc("t", "v1", seq=2))],
                 [thread_doc("pics", latest="v1"), thread_doc("t")], {storage_id: PNG})
    scan = scan_sources(project(tmp_path))
    assert lines(scan) == []
    assert refs(scan) == ["local/v1", "pics/v1", "t/v1"]
    assert scan.snapshots[1].files["cat.png"] == PNG
    assert scan.snapshots[1].origin == f"{tmp_path / 'export.zip'}#pics/v1"
    assert (scan.threads["pics"].title, scan.threads["pics"].latest) == ("Thread pics", "v1")


def test_an_unchanged_export_is_not_opened_again_and_a_new_one_adds_only_its_new_versions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = [stored(version_doc("t", f"v{n}", seq=n)) for n in range(1, 4)]
    write_export(tmp_path / "export.zip", first)
    manifest = project(tmp_path)
    assert len(scan_sources(manifest).snapshots) == 4
    opened: list[Path] = []
    real = convex_export.ExportZip
    monkeypatch.setattr(convex_export, "ExportZip", lambda path: opened.append(path) or real(path))
    assert len(scan_sources(manifest).snapshots) == 4 and opened == []
    changed = stored(version_doc("t", "v2", {"index.html": "<h1>rewritten</h1>"}, seq=2))
    write_export(tmp_path / "export.zip", [first[0], changed, first[2], stored(version_doc("t", "v4", seq=4))])
    scan = scan_sources(manifest)
    assert len(opened) == 1
    assert refs(scan) == ["local/v1", "t/v1", "t/v2", "t/v3", "t/v4"]
    assert scan.snapshots[2].files["index.html"] == b"<h1>t v2</h1>"
    assert lines(scan) == [f"t/v2: changed under its id in {tmp_path / 'export.zip'} (sha256 "
                           f"{changed['sha256'][:15]}…, was {first[1]['sha256'][:16]}): published versions never "
                           "change, so the first one is kept; save the change as a new version"]


def test_a_stored_file_that_does_not_match_its_sha256_or_is_missing_refuses_its_version_alone(tmp_path: Path
                                                                                             ) -> None:
    bad = version_doc("bad", "v1", {"index.html": "x", "cat.png": PNG})
    gone = version_doc("gone", "v1", {"index.html": "x", "dog.png": PNG + b"dog"}, seq=2)
    write_export(tmp_path / "export.zip", [stored(bad), stored(gone), stored(version_doc("t", "v1", seq=3))],
                 storage={bad["files"][1]["storageId"]: PNG + b"tampered"})
    scan = scan_sources(project(tmp_path))
    assert lines(scan) == [
        f"bad/v1: {tmp_path / 'export.zip'}: files['cat.png']: the stored bytes do not match its sha256 "
        f"({bad['files'][1]['sha256'][:15]}…); the file was replaced or damaged in storage: save the version again "
        "as a new one",
        f"gone/v1: {tmp_path / 'export.zip'}: files['dog.png'] is not in the export's _storage "
        f"('{gone['files'][1]['storageId']}'); export with --include-file-storage"]
    assert refs(scan) == ["local/v1", "t/v1"]


def patched(path: Path, name: str, offset: int, layout: str, value: int) -> Path:
    """Rewrite a field of ``name``'s central directory record (a forged ZIP): ``offset`` 24 is the uncompressed
    size (``<I``), 8 the flag bits (``<H``)."""
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02")
    while data[at + 46:at + 46 + struct.unpack_from("<H", data, at + 28)[0]] != name.encode():
        at = data.index(b"PK\x01\x02", at + 4)
    struct.pack_into(layout, data, at + offset, value)
    path.write_bytes(bytes(data))
    return path


def test_an_encrypted_member_is_refused(tmp_path: Path) -> None:
    path = write_export(tmp_path / "export.zip", [stored(version_doc("t", "v1"))])
    patched(path, "versions/documents.jsonl", 8, "<H", 0x1)
    assert lines(scan_sources(project(tmp_path))) == [
        f"?: {path}: 'versions/documents.jsonl' is encrypted; export it again with npx convex export"]


HOSTILE = {
    "an absolute name": ([("/etc/passwd", b"x")], "holds '/etc/passwd', an absolute or climbing name"),
    "a climbing name": ([("_storage/../../evil", b"x")], "holds '_storage/../../evil', an absolute or climbing name"),
    "a backslash name": ([("..\\evil", b"x")], "holds '..\\\\evil', an absolute or climbing name"),
    "a repeated name": ([("versions/documents.jsonl", b"{}\n")], "holds 'versions/documents.jsonl' twice"),
    "a zip bomb": ([("_storage/kbomb.png", bytes(20 * 1024**2))], "'_storage/kbomb.png' expands 1,0"),
    "a drive name": ([("C:/Windows/evil.dll", b"x")], "holds 'C:/Windows/evil.dll', an absolute or climbing name"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_export_is_one_line_and_the_other_sources_are_built(tmp_path: Path, case: str) -> None:
    extra, problem = HOSTILE[case]
    write_export(tmp_path / "export.zip", [stored(version_doc("t", "v1"))], extra=extra)
    scan = scan_sources(project(tmp_path))
    (line,) = lines(scan)
    assert line.startswith(f"?: {tmp_path / 'export.zip'}: {problem}")
    assert line.endswith("; export it again with npx convex export")
    assert refs(scan) == ["local/v1"]


def test_an_export_declaring_more_than_the_total_limit_is_refused(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_convex_zip, "MAX_TOTAL_BYTES", 1000)
    write_export(tmp_path / "export.zip", [stored(version_doc("t", "v1"))], extra=[("_storage/kbig.png", PNG)])
    assert lines(scan_sources(project(tmp_path))) == [
        f"?: {tmp_path / 'export.zip'}: declares over 1,000 bytes uncompressed: a zip bomb, not an export; export it "
        "again with npx convex export"]


@pytest.mark.parametrize("change", [-10, +10])
def test_a_member_whose_declared_size_is_not_what_it_holds_is_refused(tmp_path: Path, change: int) -> None:
    path = write_export(tmp_path / "export.zip", [stored(version_doc("t", f"v{n}", seq=n)) for n in range(5)])
    size = zipfile.ZipFile(path).getinfo("versions/documents.jsonl").file_size
    patched(path, "versions/documents.jsonl", 24, "<I", size + change)
    scan = scan_sources(project(tmp_path))
    (line,) = lines(scan)
    assert line.startswith(f"?: {path}: versions/documents.jsonl ")
    declared = f"holds {size:,} bytes, not the {size + 10:,} it declares"
    assert ("is damaged (Bad CRC-32" if change < 0 else declared) in line
    assert refs(scan) == ["local/v1"]


@pytest.mark.parametrize(("contents", "problem"), [
    (b"not a zip", "not a ZIP file (File is not a zip file)"),
    (None, "has no versions table (versions/documents.jsonl)"),
    (b'{"thread": "t", "version": "v1"\n', "a document is invalid JSON: Expecting ',' delimiter"),
])
def test_a_file_that_is_not_an_export_is_one_line(tmp_path: Path, contents: bytes | None, problem: str) -> None:
    path = tmp_path / "export.zip"
    if contents is None:
        with zipfile.ZipFile(path, "w") as export:
            export.writestr("_tables/documents.jsonl", "")
    elif contents.startswith(b"{"):
        with zipfile.ZipFile(path, "w") as export:
            export.writestr("versions/documents.jsonl", contents)
    else:
        path.write_bytes(contents)
    (line,) = lines(scan_sources(project(tmp_path)))
    assert line.startswith(f"?: {path}: {problem}") and line.endswith("; export it again with npx convex export")


def test_a_document_line_over_the_limit_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    huge = stored(version_doc("t", "v1", {"index.html": "x" * 5000}))
    write_export(tmp_path / "export.zip", [huge])
    (tmp_path / "hybrid.yml").write_text(yaml.safe_dump({
        "sources": [{"type": "convex-export", "path": "export.zip"}],
        "build": {"cache_dir": ".cache", "max_snapshot_bytes": 1000, "max_file_bytes": 1000}}), encoding="utf-8")
    (line,) = lines(scan_sources(load_manifest(tmp_path / "hybrid.yml")))
    assert line == (f"?: {tmp_path / 'export.zip'}: versions/documents.jsonl line 1 is over 2,000 bytes; export "
                    "it again with npx convex export")


def test_the_export_must_be_a_file(tmp_path: Path) -> None:
    from mkdocs_hybrid.model.errors import ManifestError
    (tmp_path / "hybrid.yml").write_text(yaml.safe_dump({"sources": [{"type": "convex-export", "path": "x.zip"}]}))
    with pytest.raises(ManifestError, match=r"sources\[0\].path 'x.zip' is not a file .*; name the ZIP npx convex "
                                            r"export wrote$"):
        load_manifest(tmp_path / "hybrid.yml")
