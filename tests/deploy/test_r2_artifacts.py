"""The artifact store mode (``deploy.artifacts: r2``): artifacts and vendor files on a real local S3 server
(moto), everything else on the local Pages API stand-in.

Checked: keys at site paths with Content-Type, Cache-Control and a sha256 in the metadata; reruns send no
PutObject; a changed published object stops the deploy before anything is written to the bucket or to Pages;
conditional writes; the bucket's CORS rules; dry runs; the CLI; and a 10,000-version site on the free plan.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner

from mkdocs_hybrid.deploy import (
    ArtifactConflict,
    ArtifactStore,
    Credentials,
    DeployError,
    DeployResult,
    R2Config,
    R2Error,
    RetryPolicy,
    collect_site_files,
    content_type,
    deploy_site,
)
from mkdocs_hybrid.deploy._pages import split_site_files
from mkdocs_hybrid.deploy._r2_artifacts import is_artifact, refusal
from mkdocs_hybrid.deploy._r2_pages import is_site_page
from mkdocs_hybrid.edge.sandbox import ArtifactOrigin
from mkdocs_hybrid.editor.preview_host import write_preview_host
from mkdocs_hybrid.model.layout import DERIVED_KINDS
from tests.cloudflare_api import FakeCloudflare
from tests.deploy.test_r2 import bucket, dummy_credentials, fresh_bucket, listen, s3_endpoint, s3_process_endpoint  # noqa: F401 (fixtures)
from tests.factory import write_tree

ARTIFACTS_URL = "https://demos.example.com"
SITE_URL = "https://gallery.example.com/docs/"
SITE_ORIGIN = "https://gallery.example.com"
FAST = RetryPolicy(base_delay=0.001, gateway_delay=0.001)
IMMUTABLE = "public, max-age=31536000, immutable"
REFRESHED = "public, max-age=300"
WRITES = {"PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "PutBucketCors",
          "DeleteObject", "DeleteObjects", "CopyObject"}


@pytest.fixture
def store(bucket: str, s3_endpoint: str) -> ArtifactStore:  # noqa: F811
    return artifact_store(bucket, s3_endpoint)


def artifact_store(bucket: str, endpoint: str, **options: int) -> ArtifactStore:  # noqa: F811
    config = R2Config.from_env(bucket, ARTIFACTS_URL, endpoint_url=endpoint, prefix="", **options)
    return ArtifactStore(config, site_origin=SITE_URL)


def version_files(thread: str, version: str, marker: str = "") -> dict[str, str]:
    base = f"artifacts/{thread}/{version}"
    return {f"{base}/page.html": f"<!doctype html><p>{thread} {version}{marker}</p>",
            f"{base}/style.css": f"p{{color:red}} /* {thread}/{version} */",
            f"{base}/meta.json": json.dumps({"thread": thread, "version": version}),
            f"{base}/source.json": json.dumps({"files": {"index.js": f"// {thread}/{version}{marker}"}}),
            f"p/{thread}/{version}/index.html": f"<iframe src='{ARTIFACTS_URL}/{base}/page.html'></iframe>"}


def small_site(root: Path, *versions: tuple[str, str]) -> Path:
    files: dict[str, str] = {
        "vendor/0123abcd.js": "var React = {};", "gallery/index.html": "<h1>gallery</h1>",
        "editor/index.html": "<h1>editor</h1>", "404.html": "not found", "index.html": "home",
        "_headers": "/p/*\n  Cache-Control: no-cache\n", "_redirects": "/p/t/latest /p/t/v1/ 302\n"}
    for thread, version in versions or (("t", "v1"), ("t", "v2")):
        files |= version_files(thread, version)
    return write_tree(root, files)


def deploy(fake: FakeCloudflare, site: Path, store: ArtifactStore | None, **options: Any) -> DeployResult:
    return deploy_site(site, project="demos", branch="main", artifacts=store, retry=FAST, commit_hash="a" * 40,
                       commit_message="test", commit_dirty=False,
                       credentials=Credentials(fake.token, fake.account_id, fake.base_url), **options)


def bucket_keys(store: ArtifactStore) -> list[str]:
    pages = store.client.get_paginator("list_objects_v2").paginate(Bucket=store.config.bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def artifact_names(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*")
                  if p.is_file() and _in_store(p.relative_to(site).as_posix()))


def _in_store(name: str) -> bool:
    return is_artifact(name) or is_site_page(name)


# -- upload: keys, headers, metadata; Pages without artifacts ---------------------------------------------------


def test_artifacts_go_to_r2_at_their_site_paths_and_pages_keeps_the_rest(store: ArtifactStore,
                                                                          tmp_path: Path) -> None:
    site = small_site(tmp_path / "site")
    wire = listen(store.client)
    with FakeCloudflare() as fake:
        result = deploy(fake, site, store)
        live = fake.live()

    names = artifact_names(site)
    assert bucket_keys(store) == names == ["artifacts/t/v1/meta.json", "artifacts/t/v1/page.html",
                                           "artifacts/t/v1/source.json", "artifacts/t/v1/style.css",
                                           "artifacts/t/v2/meta.json", "artifacts/t/v2/page.html",
                                           "artifacts/t/v2/source.json", "artifacts/t/v2/style.css",
                                           "p/t/v1/index.html", "p/t/v2/index.html", "vendor/0123abcd.js"]
    for name in names:
        data = (site / name).read_bytes()
        head = store.client.head_object(Bucket=store.config.bucket, Key=name)
        assert head["ContentType"] == content_type(name), name
        # meta.json lists media a later build may make: cached briefly (see _r2_artifacts.is_refreshed)
        assert head["CacheControl"] == (REFRESHED if name.endswith("meta.json") else IMMUTABLE), name
        assert head["Metadata"] == {"sha256": hashlib.sha256(data).hexdigest()}
        assert store.client.get_object(Bucket=store.config.bucket, Key=name)["Body"].read() == data
    assert content_type("artifacts/t/v1/page.html") == "text/html" and content_type("x.js") == "application/javascript"
    assert live is not None and live.id == result.deployment_id
    # share pages are objects in the store too: Pages keeps a file count that does not grow with versions
    assert sorted(live.manifest) == ["/404.html", "/editor/index.html", "/gallery/index.html", "/index.html"]
    assert live.files["_headers"] == (site / "_headers").read_bytes()
    assert live.files["_redirects"] == (site / "_redirects").read_bytes()
    assert result.files == 4

    counts = result.to_dict()["artifact_store"]
    assert counts == {"bucket": store.config.bucket, "url": ARTIFACTS_URL, "files": 11, "uploaded": 11,
                      "uploaded_bytes": sum((site / n).stat().st_size for n in names), "skipped": 0,
                      "refused": [], "cors": "set", "withdrawn": 0}
    puts = [(op, headers) for op, _, _, headers in wire.requests if op == "PutObject"]
    assert len(puts) == 11 and all(headers.get("if-none-match") == "*" for _, headers in puts), \
        "every object is a conditional write"
    assert wire.operations()[0] == "HeadBucket", "the bucket is checked before anything else"


def test_files_that_go_to_the_store_are_never_read_for_a_pages_hash(store: ArtifactStore, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """35,000 store objects of a 10,000-version site used to be read and hashed for Pages, which gets 3 files."""
    from tests.deploy.test_deploy import _hashed_names

    site = small_site(tmp_path / "site")
    hashed = _hashed_names(monkeypatch)
    with FakeCloudflare() as fake:
        result = deploy(fake, site, store)
        live = fake.live()
    assert sorted(hashed) == ["404.html", "editor/index.html", "gallery/index.html", "index.html"]
    assert live is not None and live.id == result.deployment_id and sorted(live.manifest) == [f"/{n}" for n in hashed]
    assert result.artifact_store is not None and result.artifact_store.uploaded == 11 == len(bucket_keys(store))


def test_every_derived_file_a_build_can_remake_is_cached_briefly_and_media_stays_immutable(
        store: ArtifactStore, tmp_path: Path) -> None:
    site = small_site(tmp_path / "site", ("t", "v1"))
    derived = {f"artifacts/t/v1/{name}": f"<p>{name}</p>" for name in DERIVED_KINDS}  # a diff moves when v0 goes
    write_tree(site, {**derived, "artifacts/t/v1/poster.webp": "RIFF"})
    with FakeCloudflare() as fake:
        deploy(fake, site, store)

    cache = {name: store.client.head_object(Bucket=store.config.bucket, Key=name)["CacheControl"]
             for name in [*derived, "artifacts/t/v1/meta.json", "artifacts/t/v1/poster.webp"]}
    assert cache == {**dict.fromkeys([*derived, "artifacts/t/v1/meta.json"], REFRESHED),
                     "artifacts/t/v1/poster.webp": IMMUTABLE}


def test_r2_objects_are_written_before_any_pages_upload(store: ArtifactStore, tmp_path: Path) -> None:
    site = small_site(tmp_path / "site")
    put_times: list[float] = []
    store.client.meta.events.register("after-call.s3.PutObject", lambda **_: put_times.append(time.monotonic()))
    with FakeCloudflare() as fake:
        deploy(fake, site, store)
        uploads = [r.received_at for r in fake.requests if r.endpoint in ("upload", "create-deployment")]
    assert len(put_times) == 11 and uploads and max(put_times) < min(uploads)


def test_a_second_deploy_skips_every_stored_object_without_a_put(store: ArtifactStore, tmp_path: Path) -> None:
    site = small_site(tmp_path / "site")
    with FakeCloudflare() as fake:
        deploy(fake, site, store)
        wire = listen(store.client)
        again = deploy(fake, site, store)
        assert fake.live() is not None and fake.live().id == again.deployment_id
    operations = wire.operations()
    assert not WRITES & set(operations), operations
    assert operations.count("HeadObject") == 0, "each stored object is compared by the MD5 (ETag) its listing shows"
    assert set(operations) == {"HeadBucket", "ListObjectsV2", "GetBucketCors"}, operations
    assert again.artifact_store is not None
    assert (again.artifact_store.uploaded, again.artifact_store.skipped, again.artifact_store.cors) == (0, 11,
                                                                                                      "unchanged")
    assert again.uploaded_files == 0


def test_a_rerun_uploads_only_what_is_missing(store: ArtifactStore, tmp_path: Path) -> None:
    site = small_site(tmp_path / "site")
    with FakeCloudflare() as fake:
        deploy(fake, site, store)
        write_tree(site, version_files("t", "v3"))
        wire = listen(store.client)
        result = deploy(fake, site, store)
        assert "/p/t/v3/index.html" not in fake.live().manifest
    puts = [url for op, _, url, _ in wire.requests if op == "PutObject"]
    assert len(puts) == 5 and all(("/artifacts/t/v3/" in url or "/p/t/v3/" in url) for url in puts), puts
    assert puts[-1].endswith("/p/t/v3/index.html"), "the share page after the artifact it frames"
    assert result.artifact_store is not None
    assert (result.artifact_store.uploaded, result.artifact_store.skipped) == (5, 11)


def test_a_thread_page_rewritten_by_a_build_replaces_its_object_after_the_share_pages(store: ArtifactStore,
                                                                                      tmp_path: Path) -> None:
    site = write_tree(small_site(tmp_path / "site"), {"gallery/t/index.html": "<a href='../../p/t/v2/'>v2</a>"})
    with FakeCloudflare() as fake:
        deploy(fake, site, store)
        write_tree(site, version_files("t", "v3") | {"gallery/t/index.html": "<a href='../../p/t/v3/'>v3</a>"})
        wire = listen(store.client)
        result = deploy(fake, site, store)
        assert "/gallery/t/index.html" not in fake.live().manifest

    puts = [url.split(store.config.bucket, 1)[1] for op, _, url, _ in wire.requests if op == "PutObject"]
    assert puts[-2:] == ["/p/t/v3/index.html", "/gallery/t/index.html"], "each page after what it links"
    stored = store.client.get_object(Bucket=store.config.bucket, Key="gallery/t/index.html")
    assert stored["Body"].read() == b"<a href='../../p/t/v3/'>v3</a>"
    assert stored["CacheControl"] == "public, max-age=60"
    assert result.artifact_store is not None and result.artifact_store.refused == []


def test_a_thread_page_replaced_by_another_deploy_meanwhile_is_left_as_it_wrote_it(store: ArtifactStore,
                                                                                   tmp_path: Path) -> None:
    site = write_tree(small_site(tmp_path / "site"), {"gallery/t/index.html": "<p>v1 v2</p>"})
    pages = [f for f in collect_site_files(site) if is_site_page(f.name)]
    store.publish(store.stage(pages))
    write_tree(site, {"gallery/t/index.html": "<p>v1 v2 (an older build)</p>"})
    staged = store.stage([f for f in collect_site_files(site) if is_site_page(f.name)])
    store.client.put_object(Bucket=store.config.bucket, Key="gallery/t/index.html", Body=b"<p>v1 v2 v3</p>")

    with pytest.raises(R2Error, match=r"gallery/t/index\.html was replaced by another deploy or publish while this "
                                      r"one ran, so it was left as that one wrote it and nothing was deployed to "
                                      r"Pages; deploy again"):
        store.publish(staged)
    stored = store.client.get_object(Bucket=store.config.bucket, Key="gallery/t/index.html")["Body"].read()
    assert stored == b"<p>v1 v2 v3</p>", "the newer page is not overwritten"
    assert [plan.key for plan in staged.replaced] == ["gallery/t/index.html"]


# -- refusal: a changed published object ----------------------------------------------------------------------


def test_a_changed_object_is_refused_before_anything_is_written(store: ArtifactStore, tmp_path: Path) -> None:
    site = small_site(tmp_path / "site")
    with FakeCloudflare() as fake:
        first = deploy(fake, site, store)
        before = {key: store.client.get_object(Bucket=store.config.bucket, Key=key)["Body"].read()
                  for key in bucket_keys(store)}
        write_tree(site, version_files("t", "v1", marker=" changed") | version_files("t", "v3"))
        fake.clear_requests()
        wire = listen(store.client)
        with pytest.raises(ArtifactConflict) as caught:
            deploy(fake, site, store)
        assert fake.requests == [], "not one request may reach Pages: no upload, no deployment"
        assert fake.live() is not None and fake.live().id == first.deployment_id
    message = str(caught.value)
    assert "other bytes for version t/v1 (artifacts/t/v1/page.html)" in message
    assert "a published version never changes" in message and "publish the change as a new version" in message
    assert "the live site is unchanged" in message and "\n" not in message
    assert caught.value.key == "artifacts/t/v1/page.html" and caught.value.code == "ArtifactChanged"
    assert not WRITES & set(wire.operations()), wire.operations()
    after = {key: store.client.get_object(Bucket=store.config.bucket, Key=key)["Body"].read()
             for key in bucket_keys(store)}
    assert after == before, "the refused deploy left the bucket untouched (t/v3 not uploaded either)"


def test_media_made_again_replace_their_objects_and_the_demo_stays_write_once(store: ArtifactStore,
                                                                             tmp_path: Path) -> None:
    """A poster made again (a newer Chromium) and the meta.json listing it replace their objects; the demo's
    own files are still refused when they change, and the posters keep their immutable caching (pages link
    them by content hash)."""
    site = small_site(tmp_path / "site", ("t", "v1"))
    write_tree(site, {"artifacts/t/v1/poster.webp": b"RIFF-old-poster", "artifacts/t/v1/video.mp4": b"old video"})
    store.publish(store.stage(_site_files(site)))
    write_tree(site, {"artifacts/t/v1/poster.webp": b"RIFF-new-poster",
                      "artifacts/t/v1/meta.json": json.dumps({"media": {"poster.webp": {}}})})
    staged = store.stage(_site_files(site))
    assert staged.refused == [] and staged.missing == []
    assert sorted(p.key for p in staged.replaced) == ["artifacts/t/v1/meta.json", "artifacts/t/v1/poster.webp"]
    wire = listen(store.client)
    store.publish(staged)
    puts = [headers for operation, _, _, headers in wire.requests if operation == "PutObject"]
    assert len(puts) == 2 and not any("if-none-match" in headers for headers in puts)
    for name in ("artifacts/t/v1/poster.webp", "artifacts/t/v1/meta.json"):
        stored = store.client.get_object(Bucket=store.config.bucket, Key=name)["Body"].read()
        assert stored == (site / name).read_bytes()
    head = store.client.head_object(Bucket=store.config.bucket, Key="artifacts/t/v1/poster.webp")
    assert (head["ContentType"], head["CacheControl"]) == ("image/webp", IMMUTABLE)

    write_tree(site, version_files("t", "v1", marker=" changed"))
    assert store.stage(_site_files(site)).refused == ["artifacts/t/v1/page.html", "artifacts/t/v1/source.json"]


def test_a_changed_vendor_file_is_named(store: ArtifactStore, tmp_path: Path) -> None:
    site = small_site(tmp_path / "site")
    store.publish(store.stage(_site_files(site)))
    (site / "vendor/0123abcd.js").write_text("var React = {corrupt: true};")
    staged = store.stage(_site_files(site))
    assert staged.refused == ["vendor/0123abcd.js"]
    with pytest.raises(ArtifactConflict, match=r"other bytes for vendor/0123abcd\.js .*named by their content hash"):
        store.publish(staged)


def test_objects_written_by_another_tool_are_compared_by_their_md5(store: ArtifactStore, tmp_path: Path) -> None:
    site = small_site(tmp_path / "site", ("t", "v1"))
    for name in ("artifacts/t/v1/page.html", "artifacts/t/v1/meta.json"):
        store.client.put_object(Bucket=store.config.bucket, Key=name, Body=(site / name).read_bytes())
    store.client.put_object(Bucket=store.config.bucket, Key="artifacts/t/v1/style.css", Body=b"other")
    staged = store.stage(_site_files(site))
    assert sorted(p.key for p in staged.present) == ["artifacts/t/v1/meta.json", "artifacts/t/v1/page.html"]
    assert staged.refused == ["artifacts/t/v1/style.css"]


def test_a_concurrent_writer_is_never_overwritten(store: ArtifactStore, tmp_path: Path) -> None:
    """Between the check and the upload another deploy writes a key: the conditional write refuses to replace
    it (moto honours ``If-None-Match: *`` like R2); the same bytes are fine, other bytes stop the deploy."""
    site = small_site(tmp_path / "site", ("t", "v1"))
    staged = store.stage(_site_files(site))
    same, other = "artifacts/t/v1/page.html", "artifacts/t/v1/style.css"
    store.client.put_object(Bucket=store.config.bucket, Key=same, Body=(site / same).read_bytes())
    store.client.put_object(Bucket=store.config.bucket, Key=other, Body=b"written meanwhile")
    with pytest.raises(ArtifactConflict, match="another deploy wrote them while this one ran") as caught:
        store.publish(replace(staged, cors_needed=False))
    assert caught.value.key == other
    assert store.client.get_object(Bucket=store.config.bucket, Key=other)["Body"].read() == b"written meanwhile"
    staged = store.stage(_site_files(site))
    assert staged.refused == [other]


def test_conditional_write_of_a_multipart_object(bucket: str, s3_endpoint: str,  # noqa: F811
                                                 tmp_path: Path) -> None:
    store = artifact_store(bucket, s3_endpoint, multipart_threshold=5 * 1024 * 1024)
    data = os.urandom(6 * 1024 * 1024)
    write_tree(tmp_path / "site", {"artifacts/t/v1/preview.mp4": data})
    wire = listen(store.client)
    [sent] = store.publish(store.stage(_site_files(tmp_path / "site")))
    assert sent is True
    complete = [h for op, _, _, h in wire.requests if op == "CompleteMultipartUpload"]
    assert len(complete) == 1 and complete[0].get("if-none-match") == "*"
    head = store.client.head_object(Bucket=bucket, Key="artifacts/t/v1/preview.mp4")
    assert head["Metadata"] == {"sha256": hashlib.sha256(data).hexdigest()} and head["ContentType"] == "video/mp4"
    assert store.stage(_site_files(tmp_path / "site")).present


# -- CORS -------------------------------------------------------------------------------------------------------


def test_cors_allows_get_and_head_from_the_site_origin_only(store: ArtifactStore, tmp_path: Path) -> None:
    admin = boto3.client("s3", endpoint_url=store.config.endpoint, region_name="auto")
    admin.put_bucket_cors(Bucket=store.config.bucket, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "PUT"]}]})
    site = small_site(tmp_path / "site")
    with FakeCloudflare() as fake:
        result = deploy(fake, site, store)
        assert result.artifact_store is not None and result.artifact_store.cors == "set"
        rules = admin.get_bucket_cors(Bucket=store.config.bucket)["CORSRules"]
        assert [(r["AllowedOrigins"], sorted(r["AllowedMethods"])) for r in rules] == [([SITE_ORIGIN],
                                                                                         ["GET", "HEAD"])]
        wire = listen(store.client)
        again = deploy(fake, site, store)
    assert again.artifact_store is not None and again.artifact_store.cors == "unchanged"
    assert "GetBucketCors" in wire.operations() and "PutBucketCors" not in wire.operations()


def test_the_artifact_origin_must_differ_from_the_site(bucket: str, s3_endpoint: str) -> None:  # noqa: F811
    config = R2Config.from_env(bucket, "https://gallery.example.com/a", endpoint_url=s3_endpoint, prefix="")
    with pytest.raises(R2Error, match="has the site's own origin"):
        ArtifactStore(config, site_origin=SITE_URL)
    with pytest.raises(R2Error, match="is not an http"):
        ArtifactStore(replace(config, public_url=ARTIFACTS_URL), site_origin="gallery.example.com")


# -- dry run, JSON, default mode ------------------------------------------------------------------------------


def test_dry_run_reports_both_places_and_writes_nothing(store: ArtifactStore, tmp_path: Path) -> None:
    site = small_site(tmp_path / "site")
    wire = listen(store.client)
    with FakeCloudflare() as fake:
        dry = deploy(fake, site, store, dry_run=True)
        assert fake.live() is None and "upload" not in fake.endpoints()
    assert not WRITES & set(wire.operations()) and bucket_keys(store) == []
    assert dry.artifact_store is not None
    assert (dry.artifact_store.uploaded, dry.artifact_store.skipped, dry.artifact_store.cors) == (11, 0, "would set")
    assert (dry.files, dry.uploaded_files) == (4, 4)
    assert "R2 artifacts" in dry.summary() and "would upload 11" in dry.summary()

    with FakeCloudflare() as fake:
        deploy(fake, site, store)
        write_tree(site, version_files("t", "v2", marker=" changed"))
        dry = deploy(fake, site, store, dry_run=True)
    assert dry.artifact_store is not None
    assert dry.artifact_store.refused == ["artifacts/t/v2/page.html", "artifacts/t/v2/source.json"]
    assert "2 REFUSED" in dry.summary()

    no_credentials = deploy_site(site, project="demos", branch="main", artifacts=store, dry_run=True)
    assert no_credentials.artifact_store is not None and len(no_credentials.artifact_store.refused) == 2


def test_default_mode_json_has_no_artifact_store(tmp_path: Path) -> None:
    site = small_site(tmp_path / "site")
    result = deploy_site(site, project="demos", branch="main", dry_run=True)
    assert "artifact_store" not in result.to_dict() and result.files == 15
    assert "R2" not in result.summary()


def test_refusal_names_versions_and_vendor_files() -> None:
    keys = [f"artifacts/t{i}/v1/page.html" for i in range(12)] + ["vendor/ab.js", "artifacts/t0/v1/meta.json"]
    message = str(refusal("demo-media", keys))
    assert "version t0/v1, t1/v1, t10/v1, t11/v1, t2/v1" in message and "(and 2 more) and vendor/ab.js" in message


# -- the CLI --------------------------------------------------------------------------------------------------


def _cli_project(root: Path, bucket: str, endpoint: str) -> Path:  # noqa: F811
    (root / "sources").mkdir(parents=True)
    (root / "hybrid.yml").write_text(
        "sources:\n  - {type: directory, path: sources}\n"
        f"deploy: {{pages_project: demos, artifacts: r2, artifacts_url: '{ARTIFACTS_URL}', r2_bucket: {bucket}, "
        f"r2_endpoint_url: '{endpoint}'}}\n")
    small_site(root / "site")
    return root


def test_cli_deploys_in_r2_mode_and_prints_the_r2_counts(bucket: str, s3_endpoint: str, tmp_path: Path,  # noqa: F811
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs_hybrid.cli import main

    project = _cli_project(tmp_path, bucket, s3_endpoint)
    monkeypatch.chdir(project)
    with FakeCloudflare() as fake:
        env = {"CLOUDFLARE_API_TOKEN": fake.token, "CLOUDFLARE_ACCOUNT_ID": fake.account_id,
               "CLOUDFLARE_API_BASE_URL": fake.base_url}
        missing = CliRunner().invoke(main, ["deploy", "site"], env=env)
        assert missing.exit_code == 2 and fake.requests == []
        assert "deploy.artifacts: r2 needs the site's public URL" in missing.output and "--site-url" in missing.output

        dry = CliRunner().invoke(main, ["deploy", "site", "--site-url", SITE_URL, "--dry-run", "--json"], env=env)
        assert dry.exit_code == 0, dry.output
        counts = json.loads(dry.stdout)["artifact_store"]
        assert (counts["uploaded"], counts["skipped"], counts["cors"]) == (11, 0, "would set")

        done = CliRunner().invoke(main, ["deploy", "site", "--site-url", SITE_URL, "--json",
                                         "--commit-hash", "b" * 40, "--commit-message", "m", "--commit-clean"],
                                  env=env)
        assert done.exit_code == 0, done.output
        summary = json.loads(done.stdout)
        assert summary["files"] == 4 and summary["artifact_store"]["uploaded"] == 11
        assert fake.live() is not None and fake.live().id == summary["deployment_id"]

        write_tree(project / "site", version_files("t", "v1", marker=" changed"))
        refused = CliRunner().invoke(main, ["deploy", "site", "--site-url", SITE_URL, "--dry-run"], env=env)
        assert refused.exit_code == 2 and "2 REFUSED" in refused.output
        assert "dry run: R2 bucket" in refused.output and "version t/v1" in refused.output
        real = CliRunner().invoke(main, ["deploy", "site", "--site-url", SITE_URL], env=env)
        assert real.exit_code == 2 and "other bytes for version t/v1" in real.output
        assert fake.live().id == summary["deployment_id"]


def test_a_preview_host_built_for_another_site_origin_is_refused_before_anything_is_uploaded(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """A site built with site_url https://old.example.com bakes that origin into the editor's preview host page;
    deployed behind SITE_URL, the editor would silently lose storage in its preview. Dry run and real deploy stop
    with one line naming both origins and what to do; then a host for SITE_URL's origin deploys."""
    from mkdocs_hybrid.cli import main

    project = _cli_project(tmp_path, bucket, s3_endpoint)
    monkeypatch.chdir(project)
    old = write_preview_host(project / "site", ArtifactOrigin(ARTIFACTS_URL), "https://old.example.com/")
    assert old is not None
    with FakeCloudflare() as fake:
        env = {"CLOUDFLARE_API_TOKEN": fake.token, "CLOUDFLARE_ACCOUNT_ID": fake.account_id,
               "CLOUDFLARE_API_BASE_URL": fake.base_url}
        expected = (f"error site/{old.path}: the editor's preview host was built for the site origin "
                    f"https://old.example.com, but this deploy's site URL (--site-url) is {SITE_ORIGIN}, where the "
                    "preview would have no storage; nothing was uploaded: rebuild with site_url set to "
                    f"{SITE_URL} (mkdocs.yml, or build --site-url), or deploy with --site-url https://old.example.com")
        for dry_run in (["--dry-run"], []):
            result = CliRunner().invoke(main, ["deploy", "site", "--site-url", SITE_URL, *dry_run], env=env)
            assert result.exit_code == 2, result.output
            assert result.stderr.splitlines() == [expected]
        assert fake.requests == [] and fake.live() is None
        assert bucket_keys(artifact_store(bucket, s3_endpoint)) == []

        new = write_preview_host(project / "site", ArtifactOrigin(ARTIFACTS_URL), SITE_URL)  # removes the old one
        assert new is not None and new.site_origin == SITE_ORIGIN
        done = CliRunner().invoke(main, ["deploy", "site", "--site-url", SITE_URL], env=env)
        assert done.exit_code == 0, done.output
        assert new.path in bucket_keys(artifact_store(bucket, s3_endpoint))


# -- scale: 10,000 versions on the free plan -------------------------------------------------------------------


def _site_files(site: Path) -> list[Any]:
    return [f for f in collect_site_files(site) if is_artifact(f.name)]


def _large_site(root: Path, threads: int, versions: int) -> Path:
    """What the build writes in r2 mode, minus esbuild: per version page.html and meta.json plus its share page,
    per thread a gallery page and its latest fallback page, a few shared vendor files."""
    for i in range(threads):
        for j in range(versions):
            base = root / f"artifacts/t{i}/v{j}"
            base.mkdir(parents=True)
            (base / "page.html").write_text(f"<!doctype html><script src='/vendor/v{i % 3}.js'></script><p>{i}/{j}")
            (base / "meta.json").write_text(f'{{"thread": "t{i}", "version": "v{j}"}}')
            share = root / f"p/t{i}/v{j}"
            share.mkdir(parents=True)
            (share / "index.html").write_text(f"<iframe src='{ARTIFACTS_URL}/artifacts/t{i}/v{j}/page.html'>")
        (root / f"gallery/t{i}").mkdir(parents=True)
        (root / f"gallery/t{i}/index.html").write_text(f"<h1>t{i}</h1>")
        (root / f"p/t{i}/latest").mkdir()
        (root / f"p/t{i}/latest/index.html").write_text(f'<meta name="mkdocs-hybrid-latest" content="v{versions - 1}">')
    write_tree(root, {f"vendor/v{k}.js": f"var v{k};" for k in range(3)}
               | {"gallery/index.html": "<h1>gallery</h1>", "404.html": "404", "editor/index.html": "editor",
                  "_headers": "/p/*\n  Cache-Control: no-cache\n", "_redirects": ""})
    return root


@pytest.mark.slow
def test_a_10000_version_site_deploys_on_the_free_plan_with_as_many_pages_files_as_a_one_version_site(
        s3_process_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    threads, versions = 2_500, 4
    store = artifact_store(fresh_bucket(s3_process_endpoint), s3_process_endpoint)
    site = _large_site(tmp_path / "site", threads, versions)
    one_version = len(split_site_files(collect_site_files(_large_site(tmp_path / "one", 1, 1)), in_store=True)[0])
    # The upload JWT's claims are read after the deploy: a loaded machine can take longer than the default
    # 300 s lifetime, after which the fake no longer accepts (or decodes) it.
    with FakeCloudflare(max_file_count=20_000, jwt_lifetime=3600) as fake:
        with pytest.raises(DeployError, match="allows 20,000 per deployment"):
            deploy(fake, site, None)  # everything on Pages: 35,000+ files
        started = time.monotonic()
        result = deploy(fake, site, store)
        seconds = time.monotonic() - started
        live = fake.live()
        claims = fake._jwt_claims(fake.requests_to("check-missing")[-1].bearer)
    assert live is not None and live.id == result.deployment_id
    assert claims is not None and claims["max_file_count_allowed"] == 20_000
    pages_files = len(live.manifest)
    # Issue 22, item 2 changed this on purpose: it was one Pages file per version + per thread (12,503 here);
    # share and thread pages are now objects in the store, so Pages holds what a one-version site holds; item 1
    # moved the latest pages there too (Pages held one map of latest versions before).
    assert pages_files == one_version == 3 == result.files
    assert sorted(live.manifest) == ["/404.html", "/editor/index.html", "/gallery/index.html"]
    assert result.artifact_store is not None
    assert result.artifact_store.uploaded == threads * versions * 3 + threads * 2 + 3
    assert len(bucket_keys(store)) == threads * versions * 3 + threads * 2 + 3
    print(f"\n10,000-version deploy: {pages_files} Pages files, {result.artifact_store.uploaded} R2 objects, "
          f"{seconds:.1f} s")
