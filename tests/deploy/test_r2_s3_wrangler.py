"""The real publisher, through R2's S3 API, into the local R2 that ``wrangler pages dev`` 4.86 serves the site from.

A real r2-mode build (one listed and one unlisted version), split as the deploy splits it: the Pages part is the
site under ``pages dev`` (its own ``_worker.js``, composed with the S3 stand-in of :mod:`tests.r2_s3`); the store
part goes up with :class:`~mkdocs_hybrid.deploy._r2_artifacts.ArtifactStore`, made as ``deploy`` makes it
(``deploy.r2_endpoint_url`` and the R2 credentials from the environment). First the unlisted version (and the
bucket's CORS rules), then, timed, the listed one: what publishing one version onto a live site sends.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from mkdocs_hybrid.config.manifest import Manifest, load_manifest
from mkdocs_hybrid.deploy import collect_site_files
from mkdocs_hybrid.deploy._files import SiteFile
from mkdocs_hybrid.deploy._ledger_object import DurableLedger, ledger_records
from mkdocs_hybrid.deploy._pages import split_site_files
from mkdocs_hybrid.deploy._r2_artifacts import ArtifactConflict, ArtifactStore, is_unlisted
from mkdocs_hybrid.deploy._r2_config import MIN_PART_SIZE
from mkdocs_hybrid.deploy.cloudflare_pages import artifact_store
from mkdocs_hybrid.edge.signed import ShareKeys, signed_path
from mkdocs_hybrid.edge.unlisted import UnlistedKey
from mkdocs_hybrid.publish.ledger_store import LostRace
from tests.edge.test_signed_edge import build_r2_site
from tests.r2_s3 import CREDENTIALS_ENV, serve_site_with_r2_s3

pytestmark = pytest.mark.wrangler

SITE_URL = "https://gallery.example.com/"
BUCKETS = {"demos": "ARTIFACTS", "demos-private": "UNLISTED"}
"""As build_r2_site's manifest names them (deploy.r2_bucket, deploy.r2_private_bucket) -> the worker's bindings."""
SHARE_KEY = "share-key-" + "s" * 40
IMMUTABLE = "public, max-age=31536000, immutable"
ROUTING_FILES = ("_headers", "_redirects", "_routes.json", "_worker.js")
"""Written by the build, not in the deploy's file list."""


@dataclass(frozen=True)
class Published:
    http: httpx.Client
    site: Path
    manifest: Manifest
    store: ArtifactStore
    files: list[SiteFile]
    """The store part of the build, all uploaded."""
    utoken: str
    one_version_sent: list[bool]
    one_version_seconds: float


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    root = tmp_path_factory.mktemp("r2-s3")
    site = build_r2_site(root)
    to_pages, to_store = split_site_files(collect_site_files(site), in_store=True)
    pages = root / "pages"
    for item in to_pages:
        (pages / item.name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.path, pages / item.name)
    for name in ROUTING_FILES:
        shutil.copyfile(site / name, pages / name)
    key = UnlistedKey.from_env()
    assert key is not None
    with serve_site_with_r2_s3(pages, BUCKETS, extra_args=["--binding", f"SHARE_KEYS={SHARE_KEY}"]) as served, \
            httpx.Client(base_url=served.base_url, follow_redirects=False, timeout=10.0) as http:
        manifest = with_endpoint(load_manifest(root / "hybrid.yml"), served.s3_endpoint)
        with pytest.MonkeyPatch.context() as env:
            for name, value in CREDENTIALS_ENV.items():
                env.setenv(name, value)
            store = artifact_store(manifest.deploy.settings, SITE_URL)
        unlisted = [item for item in to_store if is_unlisted(item.name)]
        store.publish(store.stage(unlisted))  # the site so far, and the bucket's CORS rules
        one_version = [item for item in to_store if not is_unlisted(item.name)]
        started = time.perf_counter()
        sent = store.publish(store.stage(one_version))
        seconds = time.perf_counter() - started
        yield Published(http, site, manifest, store, to_store, key.token("open", "v2"), sent, seconds)


def with_endpoint(manifest: Manifest, endpoint: str, **deploy: str) -> Manifest:
    """The manifest as the publisher reads it, its ``deploy.r2_endpoint_url`` the stand-in."""
    return dataclasses.replace(manifest, deploy=dataclasses.replace(manifest.deploy, r2_endpoint_url=endpoint,
                                                                     **deploy))


def test_a_version_uploaded_through_the_s3_api_is_served_by_pages_dev_with_its_bytes(published: Published) -> None:
    share, thread = published.http.get("/p/open/v1/"), published.http.get("/gallery/open/")

    assert share.status_code == 200
    assert share.content == (published.site / "p/open/v1/index.html").read_bytes()
    assert share.headers.get_list("cache-control") == [IMMUTABLE]
    assert thread.status_code == 200
    assert thread.content == (published.site / "gallery/open/index.html").read_bytes()
    assert published.http.get("/p/open/v9/").status_code == 404
    assert published.http.get("/gallery/").content == (published.site / "gallery/index.html").read_bytes()


def test_the_unlisted_version_is_served_from_the_private_bucket_by_its_page_and_its_signed_link(
        published: Published) -> None:
    link = "/" + signed_path(ShareKeys.parse(SHARE_KEY), published.utoken, int(time.time()) + 600, "page.html")

    page, artifact = published.http.get(f"/p/_u/{published.utoken}/"), published.http.get(link)

    assert page.status_code == 200
    assert page.content == (published.site / f"p/_u/{published.utoken}/index.html").read_bytes()
    assert artifact.status_code == 200
    assert artifact.content == (published.site / f"artifacts/_u/{published.utoken}/page.html").read_bytes()
    assert artifact.headers["content-type"] == "text/html"


def test_each_object_keeps_its_bytes_type_caching_and_sha256_as_on_r2(published: Published) -> None:
    client, bucket = published.store.client, published.store.config.bucket
    source = published.site / "artifacts/open/v1/source.json"

    head = client.head_object(Bucket=bucket, Key="artifacts/open/v1/source.json")
    body = client.get_object(Bucket=bucket, Key="artifacts/open/v1/source.json")["Body"].read()

    assert body == source.read_bytes()
    assert head["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert head["ContentType"] == "application/json"
    assert head["CacheControl"] == IMMUTABLE
    assert head["Metadata"] == {"sha256": hashlib.sha256(body).hexdigest()}


def test_one_version_is_sent_whole_in_a_fraction_of_the_publish_budget(published: Published) -> None:
    print(f"\none version through the S3 stand-in: {len(published.one_version_sent)} objects in "
          f"{published.one_version_seconds:.2f} s (stage + publish)")
    assert published.one_version_sent == [True] * 8, "5 artifact files, its share page, latest and thread pages"
    assert published.one_version_seconds < 5.0, "the issue's save -> live target is 5 s for everything"


def test_a_second_stage_finds_every_object_present_and_uploads_nothing(published: Published) -> None:
    staged = published.store.stage(published.files)

    assert staged.all_missing() == [] and staged.all_refused() == []
    assert len(staged.all_present()) == len(published.files) == 12
    assert not staged.cors_needed, "the CORS rules set by the first publish are read back"
    assert published.store.publish(staged) == []


def test_a_changed_published_object_is_refused_and_the_bucket_keeps_its_bytes(published: Published,
                                                                             tmp_path: Path) -> None:
    name = "artifacts/open/v1/page.html"
    changed = tmp_path / "page.html"
    changed.write_bytes((published.site / name).read_bytes() + b"<!-- changed -->")
    files = [dataclasses.replace(item, path=changed, size=changed.stat().st_size) if item.name == name else item
             for item in published.files]

    staged = published.store.stage(files)
    with pytest.raises(ArtifactConflict) as caught:
        published.store.publish(staged)

    assert staged.refused == [name]
    assert str(caught.value).startswith("R2 bucket 'demos' already holds other bytes for version open/v1 "
                                        f"({name}): a published version never changes")
    stored = published.store.client.get_object(Bucket="demos", Key=name)["Body"].read()
    assert stored == (published.site / name).read_bytes()


def test_the_ledger_object_is_a_compare_and_swap_on_the_private_bucket(published: Published) -> None:
    manifest = with_endpoint(published.manifest, published.store.config.endpoint, ledger_bucket="demos-private")
    with pytest.MonkeyPatch.context() as env:
        for name, value in CREDENTIALS_ENV.items():
            env.setenv(name, value)
        durable = ledger_records(manifest)
    assert isinstance(durable, DurableLedger)
    records = durable.shards[0]  # one shard: each is compare-and-swapped on its own

    assert records.read() is None
    records.write(b'{"first": 1}', None)
    with pytest.raises(LostRace):
        records.write(b'{"second": 1}', None)  # another publisher created it first
    data, etag = records.read() or (b"", "")
    records.write(b'{"first": 2}', etag)
    with pytest.raises(LostRace):
        records.write(b'{"stale": 1}', etag)  # read before the last write
    assert data == b'{"first": 1}'
    assert (records.read() or (b"",))[0] == b'{"first": 2}'


def test_a_big_file_goes_up_in_parts_and_its_completion_never_overwrites_another_writer(published: Published,
                                                                                       tmp_path: Path) -> None:
    store = ArtifactStore(dataclasses.replace(published.store.config, multipart_threshold=MIN_PART_SIZE,
                                              part_size=MIN_PART_SIZE),
                          site_origin=SITE_URL, client=published.store.client)
    big = tmp_path / "data.bin"
    big.write_bytes(os.urandom(MIN_PART_SIZE + 1000))
    first, second = (SiteFile(f"artifacts/big/{version}/data.bin", big, big.stat().st_size, "", "application/zip")
                     for version in ("v1", "v2"))

    sent = store.publish(store.stage([first]))
    staged = store.stage([second])
    store.client.put_object(Bucket="demos", Key=second.name, Body=b"written meanwhile")
    with pytest.raises(ArtifactConflict, match="another deploy wrote them while this one ran"):
        store.publish(staged)

    head = store.client.head_object(Bucket="demos", Key=first.name)
    assert sent == [True]
    assert head["ContentLength"] == big.stat().st_size and head["ETag"].endswith('-2"'), "two parts"
    assert head["ContentType"] == "application/zip"
    assert head["Metadata"] == {"sha256": hashlib.sha256(big.read_bytes()).hexdigest()}
    assert store.client.get_object(Bucket="demos", Key=first.name)["Body"].read() == big.read_bytes()
    assert store.client.get_object(Bucket="demos", Key=second.name)["Body"].read() == b"written meanwhile"


def test_the_s3_endpoint_answers_expect_100_continue_before_the_body_as_r2_does(published: Published) -> None:
    endpoint = urlsplit(published.store.config.endpoint)
    with socket.create_connection((endpoint.hostname, endpoint.port or 80), timeout=5.0) as connection:
        connection.sendall(b"PUT /__s3/demos-private/tests/continue HTTP/1.1\r\nHost: r2\r\nContent-Length: 2\r\n"
                           b"Expect: 100-continue\r\n\r\n")
        interim = connection.recv(1024)  # botocore waits for this (1 s at most) before it sends a file's bytes
        connection.sendall(b"ok")
        final = connection.recv(1024)

    assert interim.startswith(b"HTTP/1.1 100 Continue\r\n")
    assert final.startswith(b"HTTP/1.1 200 ")
