"""The artifact store mode's pages (:mod:`mkdocs_hybrid.deploy._r2_pages`): which site files are pages the store
holds, in what order they go up and how they are cached; the ``latest`` fallback pages (issue 22, item 1) with
the share and thread pages, on the local S3 server (moto) and the local Pages API stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from mkdocs_hybrid.deploy import ArtifactStore, R2Error, collect_site_files
from mkdocs_hybrid.deploy._pages import split_site_files
from mkdocs_hybrid.deploy._r2_pages import is_latest_page, is_site_page, page_cache_control, upload_rank
from mkdocs_hybrid.edge.cloudflare import write_routes
from tests.cloudflare_api import FakeCloudflare
from tests.deploy.test_r2 import bucket, dummy_credentials, listen, s3_endpoint  # noqa: F401 (fixtures)
from tests.deploy.test_r2_artifacts import artifact_store, deploy, small_site, version_files
from tests.edge.test_routes import make_catalog, make_thread
from tests.factory import write_tree

LATEST_PAGE = "p/t/latest/index.html"


@pytest.fixture
def store(bucket: str, s3_endpoint: str) -> ArtifactStore:  # noqa: F811
    return artifact_store(bucket, s3_endpoint)


def latest_page(version: str) -> str:
    return f'<meta name="mkdocs-hybrid-latest" content="{version}">'


@pytest.mark.parametrize(("name", "expected"), [
    ("p/open/latest/index.html", True),
    ("p/open/v1/index.html", False),
    ("p/open/latest/", False),
    ("p/open/latest/index.html.gz", False),
    ("p/_u/0123456789abcdef0123456789abcdef/index.html", False),
    ("gallery/open/index.html", False),
    ("artifacts/open/latest/index.html", False),
])
def test_only_a_threads_latest_fallback_page_is_a_latest_page(name: str, expected: bool) -> None:
    assert is_latest_page(name) is expected
    assert is_site_page(name) is (expected or name in ("p/open/v1/index.html", "gallery/open/index.html",
                                                       "p/_u/0123456789abcdef0123456789abcdef/index.html"))


def test_a_latest_page_goes_up_with_the_thread_pages_after_the_share_page_it_names_and_is_never_cached() -> None:
    assert upload_rank("artifacts/t/v1/page.html") < upload_rank("p/t/v1/index.html") < upload_rank(LATEST_PAGE)
    assert upload_rank(LATEST_PAGE) == upload_rank("gallery/t/index.html")
    assert page_cache_control(LATEST_PAGE) == "no-cache"
    assert page_cache_control("gallery/t/index.html") == "public, max-age=60"
    assert page_cache_control("p/t/v1/index.html") == "public, max-age=31536000, immutable"


def test_the_deploy_sends_every_latest_page_of_an_r2_mode_build_to_the_store_and_none_to_pages(
        tmp_path: Path) -> None:
    catalog = make_catalog(make_thread("alpha", ("v2", "v1")), make_thread("beta", ("v1",)),
                           make_thread("quiet", unlisted=True))
    write_routes(tmp_path, catalog, signed_links=True)

    to_pages, to_store = split_site_files(collect_site_files(tmp_path), in_store=True)
    default_pages, default_store = split_site_files(collect_site_files(tmp_path), in_store=False)

    assert sorted(f.name for f in to_store) == ["p/alpha/latest/index.html", "p/beta/latest/index.html"]
    assert [f.name for f in to_pages] == ["404.html"], "the routing files aside, Pages holds no latest file"
    assert not default_store and "p/alpha/latest/index.html" in {f.name for f in default_pages}
    assert not (tmp_path / "p/_latest.json").exists()


def test_a_rebuild_that_moves_latest_replaces_its_object_after_the_new_share_page(store: ArtifactStore,
                                                                                  tmp_path: Path) -> None:
    site = write_tree(small_site(tmp_path / "site"), {LATEST_PAGE: latest_page("v2")})
    with FakeCloudflare() as fake:
        deploy(fake, site, store)
        write_tree(site, version_files("t", "v3") | {LATEST_PAGE: latest_page("v3")})
        wire = listen(store.client)
        result = deploy(fake, site, store)
        manifest = fake.live().manifest

    puts = [url.split(store.config.bucket, 1)[1] for op, _, url, _ in wire.requests if op == "PutObject"]
    assert puts[-2:] == ["/p/t/v3/index.html", f"/{LATEST_PAGE}"], "latest names v3 only once its page is there"
    stored = store.client.get_object(Bucket=store.config.bucket, Key=LATEST_PAGE)
    assert stored["Body"].read().decode() == latest_page("v3")
    assert stored["CacheControl"] == "no-cache"
    assert f"/{LATEST_PAGE}" not in manifest and sorted(manifest) == ["/404.html", "/editor/index.html",
                                                                    "/gallery/index.html", "/index.html"]
    assert result.artifact_store is not None and result.artifact_store.refused == []


def test_a_latest_page_a_publisher_moved_meanwhile_is_left_as_it_wrote_it(store: ArtifactStore,
                                                                           tmp_path: Path) -> None:
    site = write_tree(small_site(tmp_path / "site"), {LATEST_PAGE: latest_page("v1")})
    store.publish(store.stage([f for f in collect_site_files(site) if is_site_page(f.name)]))
    write_tree(site, {LATEST_PAGE: latest_page("v2")})
    staged = store.stage([f for f in collect_site_files(site) if is_site_page(f.name)])
    store.client.put_object(Bucket=store.config.bucket, Key=LATEST_PAGE, Body=latest_page("v3").encode())

    with pytest.raises(R2Error, match=r"p/t/latest/index\.html was replaced by another deploy or publish"):
        store.publish(staged)
    stored = store.client.get_object(Bucket=store.config.bucket, Key=LATEST_PAGE)["Body"].read()
    assert stored.decode() == latest_page("v3"), "the publisher's latest is not moved back"
