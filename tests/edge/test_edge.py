"""Routing files against Cloudflare's own asset server (``wrangler pages dev`` 4.86).

A small fake site (fake artifacts, fake share pages, no bundler) gets its
routing files from ``write_routes`` in both modes and is served by wrangler.

Facts these tests pin down (measured, wrangler 4.86.0 / workerd, compat date 2025-01-01):

- a ``_redirects`` 302 wins over an existing static asset (``p/t/latest/index.html``);
- static redirect sources match the exact path: ``/p/t/latest`` does not match
  ``/p/t/latest/``, so each thread needs two rules;
- the query string is carried over to ``Location``;
- ``_headers`` apply to ``_redirects`` responses and to ``env.ASSETS.fetch``
  responses in advanced mode, but not to responses a ``_worker.js`` makes;
- without ``! Cache-Control`` the overlapping rules give
  ``public, max-age=31536000, immutable, no-cache``;
- a 404 gets ``Cache-Control: no-store`` whatever ``_headers`` says;
- ``_routes.json`` accepts ``*`` mid-path (``/p/*/latest``): wrangler turns
  every ``*`` into ``.*`` and makes a trailing slash optional;
- ``/x/page.html`` answers 308 to ``/x/page`` (Pages strips ``.html``) unless a
  200 rewrite rule serves it, and ``/x/index.html`` answers 308 to ``/x/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mkdocs_hybrid.edge.cloudflare import DEFAULT_WORKER_THRESHOLD, RoutingMode, write_routes
from mkdocs_hybrid.model.catalog import Catalog, ThreadEntry, VersionEntry
from tests.wrangler_dev import serve_with_wrangler

pytestmark = pytest.mark.wrangler

IMMUTABLE = "public, max-age=31536000, immutable"
# thread id -> (versions newest first, latest, unlisted)
FAKE_THREADS: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "demo": (("v2", "v1"), "v2", False),
    "pinned": (("v3", "v2", "v1"), "v1", False),
    "hidden.one": (("2024-05-01",), "2024-05-01", False),  # a dot in the id, a date as the version
    "quiet": (("v1",), "v1", True),  # unlisted: no latest link at all
}
LISTED = sorted(thread for thread, (_, _, unlisted) in FAKE_THREADS.items() if not unlisted)


def build_fake_site(site_dir: Path, mode: RoutingMode) -> None:
    """Fake artifacts and share pages, then the routing files in ``mode``."""
    threads = []
    for thread_id, (versions, latest, unlisted) in FAKE_THREADS.items():
        for version in versions:
            write_fake_version(site_dir, thread_id, version)
        threads.append(
            ThreadEntry(
                id=thread_id,
                title=f"Thread {thread_id}",
                description=None,
                tags=(),
                versions=tuple(fake_version_entry(version) for version in versions),
                latest=latest,
                unlisted=unlisted,
            )
        )
    (site_dir / "gallery").mkdir()
    (site_dir / "gallery" / "index.html").write_text("<!doctype html><title>Gallery</title>\n")
    summary = write_routes(
        site_dir,
        Catalog(threads=tuple(sorted(threads, key=lambda thread: thread.id))),
        worker_threshold=0 if mode == "worker" else DEFAULT_WORKER_THRESHOLD,
    )
    assert summary.mode == mode


def write_fake_version(site_dir: Path, thread_id: str, version: str) -> None:
    artifact = site_dir / "artifacts" / thread_id / version
    artifact.mkdir(parents=True)
    (artifact / "page.html").write_text(f"<!doctype html><p>{thread_id} {version}</p>\n")
    (artifact / "style.css").write_text("p { color: teal; }\n")
    (artifact / "meta.json").write_text(json.dumps({"thread": thread_id, "version": version}) + "\n")
    (artifact / "diff.html").write_text(f"<!doctype html><p>what changed in {version}</p>\n")  # a derived kind
    share = site_dir / "p" / thread_id / version
    share.mkdir(parents=True)
    (share / "index.html").write_text(f"<!doctype html><title>share {thread_id} {version}</title>\n")


def fake_version_entry(version: str) -> VersionEntry:
    return VersionEntry(
        version=version,
        title=f"Version {version}",
        created=None,
        author=None,
        tags=(),
        entry="index.html",
        unlisted=False,
        build_key="fake",
    )


@pytest.fixture(scope="module", params=["redirects", "worker"])
def edge(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """An HTTP client on wrangler serving the fake site, once per routing mode."""
    mode: RoutingMode = request.param
    site_dir = tmp_path_factory.mktemp(f"site-{mode}")
    build_fake_site(site_dir, mode)
    with serve_with_wrangler(site_dir) as base_url, \
            httpx.Client(base_url=base_url, follow_redirects=False, timeout=10.0) as client:
        yield client


@pytest.mark.parametrize("suffix", ["latest", "latest/"])
def test_an_unlisted_thread_has_no_latest_link(edge: httpx.Client, suffix: str) -> None:
    assert edge.get(f"/p/quiet/{suffix}").status_code == 404


@pytest.mark.parametrize("thread_id", LISTED)
@pytest.mark.parametrize("suffix", ["latest", "latest/"])
def test_latest_is_a_real_302_to_the_latest_version(edge: httpx.Client, thread_id: str, suffix: str) -> None:
    latest = FAKE_THREADS[thread_id][1]

    response = edge.get(f"/p/{thread_id}/{suffix}")

    assert response.status_code == 302
    assert response.headers["location"].endswith(f"/p/{thread_id}/{latest}/")
    assert response.headers.get_list("cache-control") == ["no-cache"]


def test_latest_redirect_carries_the_query_string(edge: httpx.Client) -> None:
    response = edge.get("/p/demo/latest", params={"embed": "1", "theme": "dark"})

    assert response.status_code == 302
    assert response.headers["location"].endswith("/p/demo/v2/?embed=1&theme=dark")


def test_head_on_latest_redirects_too(edge: httpx.Client) -> None:
    response = edge.head("/p/demo/latest/")

    assert response.status_code == 302
    assert response.headers["location"].endswith("/p/demo/v2/")


def test_redirect_target_is_served(edge: httpx.Client) -> None:
    response = edge.get("/p/demo/latest", follow_redirects=True)

    assert response.status_code == 200
    assert "share demo v2" in response.text


@pytest.mark.parametrize("path", ["/p/demo/v1/", "/p/pinned/v3/", "/p/hidden.one/2024-05-01/"])
def test_share_pages_are_immutable(edge: httpx.Client, path: str) -> None:
    response = edge.get(path)

    assert response.status_code == 200
    assert response.headers.get_list("cache-control") == [IMMUTABLE]


@pytest.mark.parametrize("name", ["style.css", "meta.json", "page", "diff.html", "diff"])
def test_artifacts_are_immutable_and_nosniff(edge: httpx.Client, name: str) -> None:
    response = edge.get(f"/artifacts/demo/v1/{name}")

    assert response.status_code == 200
    # meta.json lists the media a later build may make again, and a derived kind is made again by every build
    # (a diff moves when the version before is unlisted): the artifact files cached briefly
    assert response.headers.get_list("cache-control") == \
        ["public, max-age=300" if name in ("meta.json", "diff.html", "diff") else IMMUTABLE]
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]


def test_html_artifact_is_served_without_the_extension_redirect(edge: httpx.Client) -> None:
    """Pages answers ``x.html`` with a 308 to ``x``; the 200 rewrite in ``_redirects`` avoids it."""
    response = edge.get("/artifacts/demo/v1/page.html")

    assert response.status_code == 200
    assert "demo v1" in response.text
    assert response.headers.get_list("cache-control") == [IMMUTABLE]


def test_other_html_urls_still_get_the_extension_redirect(edge: httpx.Client) -> None:
    response = edge.get("/gallery/index.html")

    assert response.status_code == 308
    assert response.headers["location"] == "/gallery/"


@pytest.mark.parametrize("path", ["/no/such/page", "/p/demo/v9/", "/p/unknown/latest", "/artifacts/demo/v9/style.css"])
def test_unknown_paths_get_the_404_page(edge: httpx.Client, path: str) -> None:
    response = edge.get(path)

    assert response.status_code == 404
    assert "Page not found" in response.text
    assert '<a href="/gallery/">' in response.text
    assert response.headers.get_list("cache-control") == ["no-store"]
