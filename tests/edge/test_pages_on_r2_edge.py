"""Share and thread pages held only in R2, served by the site's ``_worker.js`` under ``wrangler pages dev`` 4.86.

A real r2-mode build (``deploy.artifacts: r2``) with one listed and one unlisted version, split as the deploy
splits it (:func:`~mkdocs_hybrid.deploy._pages.split_site_files`): Pages gets what stays on Pages; the store's
share, thread and ``latest`` pages are seeded into local buckets bound as ``ARTIFACTS`` (public) and ``UNLISTED``
(private), as ``wrangler pages dev --r2`` reads them (see ``tests/edge/test_signed_edge.py``).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mkdocs_hybrid.deploy import collect_site_files
from mkdocs_hybrid.deploy._pages import split_site_files
from mkdocs_hybrid.deploy._r2_artifacts import is_unlisted
from mkdocs_hybrid.deploy._r2_pages import is_site_page
from mkdocs_hybrid.edge.unlisted import UnlistedKey
from tests.edge.test_signed_edge import ARTIFACTS_BUCKET, UNLISTED_BUCKET, build_r2_site
from tests.wrangler_dev import put_local_r2_object, serve_with_wrangler

pytestmark = pytest.mark.wrangler

IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Edge:
    client: httpx.Client
    site: Path
    """The whole build."""
    pages: Path
    """What the deploy sends to Pages."""
    public: list[str]
    """Pages seeded into the public bucket."""
    private: list[str]
    utoken: str
    persist: Path
    """Wrangler's local state: an object put there while it runs is what the worker reads next."""


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    root = tmp_path_factory.mktemp("pages-on-r2")
    site = build_r2_site(root)
    key = UnlistedKey.from_env()
    assert key is not None
    to_pages, to_store = split_site_files(collect_site_files(site), in_store=True)
    pages = root / "pages"
    for item in to_pages:
        (pages / item.name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.path, pages / item.name)
    for name in ("_headers", "_redirects", "_routes.json", "_worker.js"):  # routing files: not in the manifest
        shutil.copyfile(site / name, pages / name)
    persist = root / "state"
    public, private = [], []
    for item in to_store:
        if is_site_page(item.name):
            bucket = UNLISTED_BUCKET if is_unlisted(item.name) else ARTIFACTS_BUCKET
            put_local_r2_object(persist, bucket, item.name, item.path, "text/html")
            (private if is_unlisted(item.name) else public).append(item.name)
    args = ["--r2", f"UNLISTED={UNLISTED_BUCKET}", "--r2", f"ARTIFACTS={ARTIFACTS_BUCKET}",
            "--binding", "SHARE_KEYS=" + "k" * 40]
    with serve_with_wrangler(pages, extra_args=args, persist_dir=persist) as base_url, \
            httpx.Client(base_url=base_url, follow_redirects=False, timeout=10.0) as client:
        yield Edge(client, site, pages, sorted(public), sorted(private), key.token("open", "v2"), persist)


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def test_the_deploy_puts_share_thread_and_latest_pages_in_r2_and_keeps_the_gallery_index_on_pages(
        edge: Edge) -> None:
    assert edge.public == ["gallery/open/index.html", "p/open/latest/index.html", "p/open/v1/index.html"]
    assert edge.private == [f"p/_u/{edge.utoken}/index.html"]
    assert not (edge.pages / "p").exists() and not (edge.pages / "gallery" / "open").exists()
    assert not (edge.site / "p" / "_latest.json").exists(), "latest is read from R2: no map of latest versions"
    assert (edge.pages / "gallery" / "index.html").is_file() and (edge.pages / "editor" / "index.html").is_file()


def test_a_share_page_held_only_in_r2_answers_with_its_bytes_and_immutable_caching(edge: Edge) -> None:
    response = edge.client.get("/p/open/v1/")

    assert response.status_code == 200
    assert response.content == (edge.site / "p/open/v1/index.html").read_bytes()
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers.get_list("cache-control") == [IMMUTABLE]
    assert "x-frame-options" not in response.headers, "a share page may be embedded"


def test_a_thread_page_held_only_in_r2_is_cached_briefly_and_never_framed(edge: Edge) -> None:
    response = edge.client.get("/gallery/open/")

    assert response.status_code == 200
    assert response.content == (edge.site / "gallery/open/index.html").read_bytes()
    assert response.headers.get_list("cache-control") == ["public, max-age=60"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == "frame-ancestors 'none'"


def test_a_head_request_gets_the_headers_without_the_body(edge: Edge) -> None:
    response = edge.client.head("/p/open/v1/")

    assert response.status_code == 200 and response.content == b""
    assert response.headers.get_list("cache-control") == [IMMUTABLE]


def test_a_page_without_its_trailing_slash_is_redirected_as_pages_does(edge: Edge) -> None:
    response = edge.client.get("/p/open/v1?ref=x")

    assert response.status_code == 308
    assert response.headers["location"] == "/p/open/v1/?ref=x"


@pytest.mark.parametrize("path", ["/p/open/v9/", "/p/nothing/v1/", "/gallery/nothing/", "/p/open/v9",
                                  "/p/nothing/latest", "/p/open/latest/index.html"])
def test_an_unknown_version_or_thread_is_a_404(edge: Edge, path: str) -> None:
    response = edge.client.get(path)

    assert response.status_code == 404
    assert response.content == (edge.pages / "404.html").read_bytes()


def test_an_unlisted_share_page_answers_only_at_its_private_path_from_the_private_bucket(edge: Edge) -> None:
    response = edge.client.get(f"/p/_u/{edge.utoken}/")
    other = UnlistedKey(b"another-key-" + b"x" * 30).token("open", "v2")

    assert response.status_code == 200
    assert response.content == (edge.site / f"p/_u/{edge.utoken}/index.html").read_bytes()
    assert response.headers.get_list("cache-control") == ["private, no-store"]
    assert response.headers["referrer-policy"] == "no-referrer"
    assert edge.client.get(f"/p/_u/{other}/").status_code == 404
    assert edge.client.get("/p/open/v2/").status_code == 404, "its ids never lead to it"


def test_the_gallery_index_still_answers_from_pages(edge: Edge) -> None:
    index = edge.client.get("/gallery/")

    assert index.status_code == 200 and index.content == (edge.site / "gallery/index.html").read_bytes()


def test_latest_is_a_302_read_from_the_r2_object_and_moves_when_a_publisher_replaces_it(edge: Edge,
                                                                                         tmp_path: Path) -> None:
    """Issue 22: Pages holds no latest file; replacing the one R2 object moves ``latest``, with no deploy."""
    pages_before = tree_digest(edge.pages)
    first = edge.client.get("/p/open/latest?ref=x")
    moved_page = tmp_path / "index.html"
    moved_page.write_text((edge.site / "p/open/latest/index.html").read_text().replace('content="v1"',
                                                                                        'content="v7"'))
    put_local_r2_object(edge.persist, ARTIFACTS_BUCKET, "p/open/latest/index.html", moved_page, "text/html")
    try:
        moved = edge.client.get("/p/open/latest/")
        head = edge.client.head("/p/open/latest")
    finally:  # the other tests read v1
        put_local_r2_object(edge.persist, ARTIFACTS_BUCKET, "p/open/latest/index.html",
                            edge.site / "p/open/latest/index.html", "text/html")

    assert (first.status_code, first.headers["location"]) == (302, "/p/open/v1/?ref=x")
    assert first.headers.get_list("cache-control") == ["no-cache"]
    assert (moved.status_code, moved.headers["location"]) == (302, "/p/open/v7/")
    assert (head.status_code, head.headers["location"]) == (302, "/p/open/v7/")
    assert tree_digest(edge.pages) == pages_before, "the Pages folder did not change"
    assert edge.client.get("/p/open/latest").headers["location"] == "/p/open/v1/"


def test_without_the_artifacts_binding_a_share_page_says_what_to_bind(edge: Edge, tmp_path: Path) -> None:
    with serve_with_wrangler(edge.pages, persist_dir=tmp_path / "state") as base_url, \
            httpx.Client(base_url=base_url, follow_redirects=False, timeout=10.0) as client:
        share, thread = client.get("/p/open/v1/"), client.get("/gallery/open/")
        unlisted = client.get(f"/p/_u/{edge.utoken}/")
        latest = client.get("/p/open/latest")

    assert share.status_code == thread.status_code == 500
    assert share.text == ("This site's share pages are in R2: bind the artifact bucket to the Pages project as "
                          "ARTIFACTS\n")
    assert unlisted.status_code == 404, "no private bucket: no unlisted version to serve"
    assert latest.status_code == 404, "no bucket: no latest link (Pages holds none)"
