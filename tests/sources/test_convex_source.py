"""The ``convex`` source: versions read from a Convex deployment's ``versions:listForBuild`` (HTTP API, deploy
key), kept in the build cache so the next build reads only what is new; each failure one line, the rest of the
build going on. Here the deployment is a Python fake behind httpx.MockTransport (every failure mode); the
real functions, through the stand-in, are in test_convex_standin.py."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from mkdocs_hybrid.config.manifest import Manifest, load_manifest, parse_manifest
from mkdocs_hybrid.model.errors import ManifestError
from mkdocs_hybrid.sources import _convex_docs
from mkdocs_hybrid.sources._convex_api import ConvexSourceError, decode_value
from mkdocs_hybrid.sources._convex_mirror import Mirror, PageWrite, mirror_path
from mkdocs_hybrid.sources.convex import CONVEX
from mkdocs_hybrid.sources.scan import Scan, scan_sources
from tests.sources.convex_fake import KEY, URL, FakeConvex, integer, lines, project_beside, refs

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeConvex]:
    deployment = FakeConvex()
    sleeps: list[float] = []
    monkeypatch.setattr(CONVEX, "transport", deployment.transport())
    monkeypatch.setattr(CONVEX, "sleep", sleeps.append)
    monkeypatch.setenv("CONVEX_DEPLOY_KEY", KEY)
    deployment.sleeps = sleeps  # type: ignore[attr-defined]
    yield deployment


def project(tmp_path: Path, **convex: object) -> Manifest:
    """A site reading a folder of demos (one good version) and the deployment."""
    return project_beside(tmp_path, {"type": "convex", "url": URL, **convex})


# -- the manifest ---------------------------------------------------------------------------------------------


def test_a_convex_entry_names_the_deployment_its_key_variable_and_optional_paging(tmp_path: Path) -> None:
    manifest = parse_manifest({"sources": [{"type": "convex", "url": URL + "/", "key_env": "NIGHTLY_KEY",
                                            "page_size": 100, "timeout": 5}]}, base_dir=tmp_path)
    (source,) = manifest.sources
    assert (source.url, source.key_env, source.page_size, source.timeout) == (  # type: ignore[attr-defined]
        URL, "NIGHTLY_KEY", 100, 5.0)


@pytest.mark.parametrize(("entry", "message"), [
    ({"url": "http://happy-otter-123.convex.cloud"}, "sources[0].url must be the deployment's URL, like "
     "https://NAME.convex.cloud (http only to localhost), not 'http://happy-otter-123.convex.cloud'"),
    ({"url": URL + "/api/query"}, "sources[0].url must be the deployment's URL"),
    ({}, "sources[0].url must be the deployment's URL"),
    ({"url": URL, "key_env": "$(rm -rf)"}, "sources[0].key_env must name an environment variable (like "
     "CONVEX_DEPLOY_KEY), not '$(rm -rf)'"),
    ({"url": URL, "page_size": 0}, "sources[0].page_size must be a whole number from 1 to 8192, not 0"),
    ({"url": URL, "timeout": "soon"}, "sources[0].timeout must be seconds (above 0, at most 600), not 'soon'"),
])
def test_a_bad_convex_entry_is_refused_naming_its_key(tmp_path: Path, entry: dict[str, object],
                                                      message: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest({"sources": [{"type": "convex", **entry}]}, base_dir=tmp_path, origin="hybrid.yml")
    assert str(caught.value).startswith(f"hybrid.yml: {message}")


def test_http_is_accepted_for_a_deployment_on_this_machine(tmp_path: Path) -> None:
    manifest = parse_manifest({"sources": [{"type": "convex", "url": "http://127.0.0.1:3210"}]}, base_dir=tmp_path)
    assert manifest.sources[0].url == "http://127.0.0.1:3210"  # type: ignore[attr-defined]


# -- reading, incrementally -----------------------------------------------------------------------------------


def test_every_version_is_read_in_pages_and_built_like_any_snapshot(tmp_path: Path, fake: FakeConvex) -> None:
    for number in range(1, 26):
        fake.add(f"t{number % 3}", f"v{number}", dependencies={"react": "18.3.1"} if number == 1 else None)
    scan = scan_sources(project(tmp_path, page_size=10))
    assert lines(scan) == []
    assert len(fake.queries()) == 3
    assert len(refs(scan)) == 26 and "local/v1" in refs(scan)
    first = next(s for s in scan.snapshots if s.ref == "t1/v1")
    assert (first.title, first.author, first.created, first.entry, dict(first.dependencies)) == (
        "t1 v1", "Alice", "2025-12-29T09:20:01Z", "index.html", {"react": "18.3.1"})
    assert first.files["index.html"] == b"<h1>t1 v1</h1>"
    assert first.origin == f"{URL}#t1/v1"
    assert scan.threads["t1"].title == "Thread t1" and scan.threads["t1"].tags == ("demo",)
    request = fake.queries()[0]
    assert request.headers["Authorization"] == f"Convex {KEY}"
    assert request.url == f"{URL}/api/query"


def test_the_next_build_reads_no_version_and_adding_ten_reads_ten(tmp_path: Path, fake: FakeConvex,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(1, 26):
        fake.add("t", f"v{number}")
    manifest = project(tmp_path, page_size=10)
    scan_sources(manifest)
    parsed: list[str] = []
    real_read = _convex_docs.read_mirrored
    monkeypatch.setattr(_convex_docs, "read_mirrored", lambda *args: parsed.append(args[3]) or real_read(*args))
    fake.requests.clear()
    again = scan_sources(manifest)
    assert (len(fake.queries()), parsed, len(again.snapshots)) == (1, [], 26)  # only the last page is asked again
    for number in range(26, 36):
        fake.add("t", f"v{number}")
    fake.requests.clear()
    more = scan_sources(manifest)
    assert (len(fake.queries()), sorted(parsed), len(more.snapshots)) == (
        2, sorted(f"v{n}" for n in range(26, 36)), 36)
    assert more.snapshots[-1].files["index.html"] == b"<h1>t v9</h1>"


def test_json_values_are_decoded_as_convex_encodes_them() -> None:
    value = {"n": integer(-5), "big": integer(2**62), "raw": {"$bytes": base64.b64encode(b"\x00\xff").decode()},
             "list": [{"$float": base64.b64encode(b"\x00" * 6 + b"\xf0\x7f").decode()}], "plain": {"a": 1.5}}
    assert decode_value(value, "q", URL) == {"n": -5, "big": 2**62, "raw": b"\x00\xff", "list": [float("inf")],
                                             "plain": {"a": 1.5}}
    with pytest.raises(ConvexSourceError, match=r"malformed answer to q: '\$integer' value 'xx' is not a Convex"):
        decode_value({"$integer": "xx"}, "q", URL)


def test_a_binary_file_is_downloaded_checked_and_built_as_bytes(tmp_path: Path, fake: FakeConvex) -> None:
    fake.add("pics", "v1", {"index.html": '<img src="cat.png">', "cat.png": PNG})
    scan = scan_sources(project(tmp_path))
    assert lines(scan) == []
    (pics,) = [s for s in scan.snapshots if s.thread == "pics"]
    assert pics.files["cat.png"] == PNG
    assert pics.digests["cat.png"] == hashlib.sha256(PNG).hexdigest()
    downloads = [r for r in fake.requests if r.url.path.startswith("/api/storage/")]
    assert len(downloads) == 1 and "Authorization" not in downloads[0].headers
    assert scan_sources(project(tmp_path)).snapshots[-1].files["cat.png"] == PNG  # from the build cache


# -- every failure: one line, the rest of the build goes on --------------------------------------------------


def test_an_unreachable_deployment_is_one_line_and_the_other_sources_are_built(tmp_path: Path, fake: FakeConvex
                                                                               ) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
    fake.ahead = [refuse] * 5
    scan = scan_sources(project(tmp_path))
    assert lines(scan) == [f"?: {URL}: cannot reach the deployment (ConnectError: [Errno 111] Connection refused); "
                           "check the source's url and the network"]
    assert refs(scan) == ["local/v1"]
    assert fake.sleeps == [0.5, 1.0, 2.0, 4.0]  # type: ignore[attr-defined]


def test_a_wrong_key_is_one_line_naming_the_variable(tmp_path: Path, fake: FakeConvex,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    fake.add("t", "v1")
    monkeypatch.setenv("CONVEX_DEPLOY_KEY", "prod:happy-otter-123|stale")
    scan = scan_sources(project(tmp_path))
    assert lines(scan) == [f"?: {URL}: the deploy key in CONVEX_DEPLOY_KEY was refused (HTTP 401 InvalidAuthHeader: "
                           "bad admin key); set CONVEX_DEPLOY_KEY to a deploy key of this deployment (Convex "
                           "dashboard, Settings)"]
    assert refs(scan) == ["local/v1"] and len(fake.requests) == 1  # an auth failure is not retried


def test_a_missing_key_is_one_line_before_any_request(tmp_path: Path, fake: FakeConvex,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVEX_DEPLOY_KEY")
    scan = scan_sources(project(tmp_path, key_env="NIGHTLY_CONVEX_KEY"))
    assert lines(scan) == [f"?: {URL}: NIGHTLY_CONVEX_KEY is not set; export a deploy key of this deployment "
                           "(Convex dashboard, Settings) to build its versions"]
    assert fake.requests == [] and refs(scan) == ["local/v1"]


@pytest.mark.parametrize(("status", "headers", "slept"), [(429, {"Retry-After": "7"}, [7.0]), (503, {}, [0.5])])
def test_a_rate_limit_or_server_error_is_retried_and_the_build_succeeds(
        tmp_path: Path, fake: FakeConvex, status: int, headers: dict[str, str], slept: list[float]) -> None:
    fake.add("t", "v1")
    fake.ahead = [lambda request: httpx.Response(status, headers=headers, text="busy")]
    scan = scan_sources(project(tmp_path))
    assert lines(scan) == [] and refs(scan) == ["local/v1", "t/v1"]
    assert fake.sleeps == slept  # type: ignore[attr-defined]


def test_a_server_error_that_lasts_is_one_line_after_the_retries(tmp_path: Path, fake: FakeConvex) -> None:
    fake.ahead = [lambda request: httpx.Response(503, text="down")] * 5
    scan = scan_sources(project(tmp_path))
    assert lines(scan) == [f"?: {URL}: versions:listForBuild: HTTP 503: Service Unavailable"]
    assert len(fake.requests) == 5 and refs(scan) == ["local/v1"]


@pytest.mark.parametrize(("answer", "line"), [
    (httpx.Response(200, text="<html>gateway</html>"), "malformed answer to versions:listForBuild: not JSON "
     "('<html>gateway</html>')"),
    (httpx.Response(200, json={"status": "success", "value": {"page": "all", "isDone": True}}),
     "malformed answer to versions:listForBuild: not a page of results ({page, isDone, continueCursor}); deploy "
     "the project's convex/ functions there"),
    (httpx.Response(200, json={"value": 1}), "malformed answer to versions:listForBuild: not a Convex success or "
     "error envelope"),
    (httpx.Response(200, json={"status": "success", "value": {"page": [7], "isDone": True}}),
     "malformed version document 7: no thread and version ids"),
    (httpx.Response(400, json={"code": "BadArgs", "message": "Could not find public function"}),
     "versions:listForBuild was refused (HTTP 400 BadArgs: Could not find public function); deploy the project's "
     "convex/ functions there (npx convex deploy)"),
    (httpx.Response(560, json={"status": "error", "errorMessage": "Uncaught Error: boom"}),
     "versions:listForBuild failed: Uncaught Error: boom"),
    (httpx.Response(200, json={"status": "error", "errorMessage": "Uncaught Error: boom", "logLines": []}),
     "versions:listForBuild failed: Uncaught Error: boom"),
])
def test_a_malformed_or_refused_answer_is_one_line(tmp_path: Path, fake: FakeConvex, answer: httpx.Response,
                                                   line: str) -> None:
    fake.ahead = [lambda request: answer]
    scan = scan_sources(project(tmp_path))
    assert lines(scan) == [f"?: {URL}: {line}"]
    assert refs(scan) == ["local/v1"] and len(fake.requests) == 1


def test_a_version_that_changed_under_its_id_is_refused_and_the_first_copy_built(tmp_path: Path,
                                                                                 fake: FakeConvex) -> None:
    fake.add("t", "v1")
    fake.add("t", "v2")
    manifest = project(tmp_path)
    assert lines(scan_sources(manifest)) == []
    changed = fake.add("t", "v2", {"index.html": "<h1>rewritten</h1>"})
    fake.versions.remove(changed)
    fake.versions[1] = changed
    for _ in range(2):  # said on every build, not only the one that saw it
        scan = scan_sources(manifest)
        assert lines(scan) == [f"t/v2: changed under its id in {URL} (sha256 {changed['sha256'][:15]}…, was "
                               f"{fake_sha(scan, manifest)}): published versions never change, so the first one "
                               "is kept; save the change as a new version"]
        assert refs(scan) == ["local/v1", "t/v1", "t/v2"]
        assert scan.snapshots[-1].files["index.html"] == b"<h1>t v2</h1>"


def fake_sha(scan: Scan, manifest: Manifest) -> str:
    return Mirror(mirror_path(manifest.cache_dir, "convex", URL)).known()["t", "v2"][:16]


def test_a_version_whose_contents_do_not_match_its_sha256_is_refused_alone(tmp_path: Path, fake: FakeConvex
                                                                          ) -> None:
    doc = fake.add("t", "v1")
    fake.add("t", "v2")
    doc["files"][0]["text"] = "<h1>patched in place</h1>"
    scan = scan_sources(project(tmp_path))
    assert lines(scan) == [f"t/v1: {URL}: its contents do not match its sha256 ({doc['sha256'][:15]}…): the "
                           "document was changed after it was saved; save the change as a new version"]
    assert refs(scan) == ["local/v1", "t/v2"]


def test_a_binary_file_whose_bytes_do_not_match_its_sha256_is_refused_alone(tmp_path: Path, fake: FakeConvex
                                                                            ) -> None:
    doc = fake.add("pics", "v1", {"index.html": "<img src=cat.png>", "cat.png": PNG})
    fake.add("t", "v1")
    fake.blobs[doc["files"][1]["sha256"]] = PNG[:-1] + b"!"
    scan = scan_sources(project(tmp_path))
    assert lines(scan) == [f"pics/v1: {URL}: files['cat.png']: the stored bytes do not match its sha256 "
                           f"({doc['files'][1]['sha256'][:15]}…); the file was replaced or damaged in storage: "
                           "save the version again as a new one"]
    assert refs(scan) == ["local/v1", "t/v1"]


def test_an_invalid_version_is_refused_by_the_snapshot_validator_alone(tmp_path: Path, fake: FakeConvex) -> None:
    fake.add("t", "v1", {"../escape.js": "x", "index.html": "ok"})
    fake.add("t", "v2", dependencies={"left-pad": "git+https://example.com/x.git"})
    fake.add("t", "v3")
    scan = scan_sources(project(tmp_path))
    assert [line.split(": ", 2)[0] for line in lines(scan)] == ["t/v1", "t/v2"]
    assert "escapes the snapshot" in lines(scan)[0] and f"{URL}#t/v1" in lines(scan)[0]
    assert refs(scan) == ["local/v1", "t/v3"]


def test_a_timeout_that_lasts_is_one_line_naming_the_setting(tmp_path: Path, fake: FakeConvex) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)
    fake.ahead = [slow] * 5
    scan = scan_sources(project(tmp_path, timeout=2))
    assert lines(scan) == [f"?: {URL}: versions:listForBuild timed out after 2 s (5 tries); check the deployment "
                           "or raise the source's timeout"]
    assert refs(scan) == ["local/v1"]


def test_a_kept_cursor_the_deployment_refuses_reads_again_from_the_start_without_reading_a_kept_version(
        tmp_path: Path, fake: FakeConvex, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(1, 26):
        fake.add("t", f"v{number}")
    manifest = project(tmp_path, page_size=10)
    scan_sources(manifest)
    mirror = Mirror(mirror_path(manifest.cache_dir, "convex", URL))
    mirror.write(PageWrite(), {"cursor": "from-a-deployment-since-reset"})
    mirror.close()
    parsed: list[str] = []
    real_read = _convex_docs.read_mirrored
    monkeypatch.setattr(_convex_docs, "read_mirrored", lambda *args: parsed.append(args[3]) or real_read(*args))
    fake.requests.clear()
    scan = scan_sources(manifest)
    assert (lines(scan), len(fake.queries()), parsed, len(scan.snapshots)) == ([], 4, [], 26)


def test_a_size_sent_as_a_float_matches_the_sha256_the_function_computed(tmp_path: Path, fake: FakeConvex) -> None:
    doc = fake.add("pics", "v1", {"index.html": "<img src=cat.png>", "cat.png": PNG})
    doc["files"][1]["size"] = float(len(PNG))  # what a backend's float64 JSON may say: 1024.0
    scan = scan_sources(project(tmp_path))
    assert lines(scan) == [] and scan.snapshots[-1].files["cat.png"] == PNG


def test_bytes_where_text_goes_refuse_the_version_alone(tmp_path: Path, fake: FakeConvex) -> None:
    fake.add("t", "v1", authorName={"$bytes": "AAEC"})
    fake.add("t", "v2")
    scan = scan_sources(project(tmp_path))
    assert lines(scan) == [f"t/v1: {URL}: the version holds a value that is not JSON text or a finite number"]
    assert refs(scan) == ["local/v1", "t/v2"]


def test_binary_files_past_the_snapshot_limit_stop_the_downloads_and_refuse_the_version(
        tmp_path: Path, fake: FakeConvex) -> None:
    fake.add("big", "v1", {"index.html": "x", **{f"img{n}.png": PNG + bytes([n]) for n in range(5)}})
    data = {"sources": [{"type": "convex", "url": URL}],
            "build": {"cache_dir": ".cache", "max_snapshot_bytes": 3 * len(PNG)}}
    (tmp_path / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    scan = scan_sources(load_manifest(tmp_path / "hybrid.yml"))
    assert lines(scan) == [f"big/v1: {URL}: snapshot exceeds {3 * len(PNG):,} bytes (build.max_snapshot_bytes)"]
    assert len([r for r in fake.requests if r.url.path.startswith("/api/storage/")]) == 3  # not 5


def test_a_stored_file_that_is_gone_refuses_its_version_and_one_that_fails_stops_the_source(
        tmp_path: Path, fake: FakeConvex) -> None:
    gone = fake.add("gone", "v1", {"index.html": "x", "cat.png": PNG})
    fake.add("t", "v1")
    del fake.blobs[gone["files"][1]["sha256"]]
    manifest = project(tmp_path)
    scan = scan_sources(manifest)
    assert lines(scan) == [f"gone/v1: {URL}: files['cat.png'] is not in the deployment's file storage any more "
                           "(HTTP 404)"]
    assert refs(scan) == ["local/v1", "t/v1"]
    fake.add("later", "v1", {"index.html": "x", "dog.png": PNG + b"dog"})
    fake.ahead = [lambda request: httpx.Response(200, json={"status": "success", "value": {
        "page": fake.versions, "isDone": True, "continueCursor": "3"}})] + [
        lambda request: httpx.Response(503)] * 5
    scan = scan_sources(manifest)
    failed, refused = lines(scan)
    assert failed.startswith(f"?: {URL}: GET {URL}/api/storage/")
    assert failed.endswith(": HTTP 503; a stored file could not be downloaded: rerun the build")
    assert refused.startswith("gone/v1: ")
    assert refs(scan) == ["local/v1", "t/v1"]  # later/v1 is read by the next build
    assert refs(scan_sources(manifest)) == ["later/v1", "local/v1", "t/v1"]
