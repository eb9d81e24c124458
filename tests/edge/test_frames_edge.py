"""Who may frame what, under Cloudflare's own asset server (``wrangler pages dev`` 4.86) and ``mkdocs-hybrid serve``.

Share pages (``/p/*``) and demos (``/artifacts/*``) are made to be embedded (oEmbed, the embed snippet); the
gallery and the editor refuse every frame (``X-Frame-Options: DENY`` and ``frame-ancestors 'none'``). Cloudflare
applies every matching ``_headers`` rule and joins a header set twice with ", ", so the test reads the headers
each path really gets: a broad rule would leak onto ``/p/*`` or merge into the demos' ``sandbox`` CSP.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

import httpx
import pytest

from mkdocs_hybrid.edge.cloudflare import DEFAULT_WORKER_THRESHOLD, RoutingMode, write_routes
from mkdocs_hybrid.edge.headers import HEADER_RULES, render_headers
from mkdocs_hybrid.edge.sandbox import DEMO_CSP
from mkdocs_hybrid.model.catalog import Catalog, ThreadEntry, VersionEntry
from mkdocs_hybrid.serve._api import Api
from mkdocs_hybrid.serve._server import Server
from tests.browser import serve_static
from tests.wrangler_dev import serve_with_wrangler

if TYPE_CHECKING:
    from playwright.sync_api import Browser

FRAME_HEADERS = ("x-frame-options", "content-security-policy")
UNFRAMED = ["/gallery/", "/gallery/alpha/", "/gallery/assets/gallery.css", "/editor/", "/editor/assets/main.js"]
FRAMED = ["/p/alpha/v1/", "/p/alpha/v1/extra.txt", "/", "/docs-page/"]


def build_fake_site(site_dir: Path, mode: RoutingMode = "redirects") -> None:
    """A share page framing its demo, gallery and editor pages, and the routing files in ``mode``."""
    files = {
        "index.html": "<!doctype html><title>home</title>\n",
        "docs-page/index.html": "<!doctype html><title>docs</title>\n",
        "artifacts/alpha/v1/page.html": "<!doctype html><title>demo</title><p id=demo>demo alpha v1</p>\n",
        "p/alpha/v1/index.html": ('<!doctype html><title>share alpha v1</title>'
                                  '<iframe src="../../../artifacts/alpha/v1/page.html" sandbox="allow-scripts">'
                                  "</iframe>\n"),
        "p/alpha/v1/extra.txt": "x\n",
        "gallery/index.html": "<!doctype html><title>gallery</title>\n",
        "gallery/alpha/index.html": "<!doctype html><title>gallery alpha</title>\n",
        "gallery/assets/gallery.css": "body{}\n",
        "editor/index.html": "<!doctype html><title>editor</title>\n",
        "editor/assets/main.js": "export {};\n",
    }
    for name, text in files.items():
        path = site_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    version = VersionEntry(version="v1", title="One", created=None, author=None, tags=(), entry="index.html",
                           unlisted=False, build_key="fake")
    catalog = Catalog(threads=(ThreadEntry(id="alpha", title="Alpha", description=None, tags=(), versions=(version,),
                                           latest="v1", unlisted=False),))
    summary = write_routes(site_dir, catalog,
                           worker_threshold=0 if mode == "worker" else DEFAULT_WORKER_THRESHOLD)
    assert summary.mode == mode


def frame_policy(headers: httpx.Headers) -> dict[str, list[str]]:
    return {name: headers.get_list(name) for name in FRAME_HEADERS if name in headers}


def assert_unframed(headers: httpx.Headers) -> None:
    assert headers.get_list("x-frame-options") == ["DENY"]
    assert headers.get_list("content-security-policy") == ["frame-ancestors 'none'"]


def cloudflare_pattern(rule: str) -> re.Pattern[str]:
    """A ``_headers`` path as Pages matches it (``*`` any text, ``:name`` one segment)."""
    escaped = "(?P<splat>.*)".join(re.escape(part) for part in rule.split("*"))
    return re.compile("^" + re.sub(r":([A-Za-z]\\w*)", r"(?P<\1>[^/]+)", escaped) + "$")


def test_no_frame_policy_rule_matches_a_share_page_a_demo_or_a_docs_page() -> None:
    """What the edge test relies on, in the file itself: the rules that refuse frames (the gallery's, the editor's
    and those of other spellings of a path) never match a canonical page that is made to be embedded."""
    framing = [rule.path for rule in HEADER_RULES if {name for name, _ in rule.headers} & {"X-Frame-Options"}]
    assert {"/gallery/*", "/editor/*"} <= set(framing)
    for path in [*FRAMED, "/artifacts/alpha/v1/page.html", "/artifacts/alpha/v1/page", "/p/_u/0a1b/"]:
        assert not [rule for rule in framing if cloudflare_pattern(rule).match(path)], path
    text = render_headers(HEADER_RULES)
    assert "\n/*\n" not in text and "\n/p/*\n" not in text


# --- wrangler pages dev ----------------------------------------------------------------------


@pytest.fixture(scope="module", params=["redirects", "worker"])
def edge(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    mode: RoutingMode = request.param
    site_dir = tmp_path_factory.mktemp(f"frames-{mode}")
    build_fake_site(site_dir, mode)
    with serve_with_wrangler(site_dir) as base_url, \
            httpx.Client(base_url=base_url, follow_redirects=False, timeout=10.0) as client:
        yield client


@pytest.mark.wrangler
@pytest.mark.parametrize("path", UNFRAMED)
def test_the_gallery_and_the_editor_refuse_every_frame(edge: httpx.Client, path: str) -> None:
    response = edge.get(path)
    assert response.status_code == 200
    assert_unframed(response.headers)


@pytest.mark.wrangler
@pytest.mark.parametrize("path", FRAMED)
def test_share_pages_and_other_pages_may_be_framed(edge: httpx.Client, path: str) -> None:
    response = edge.get(path)
    assert response.status_code == 200
    assert frame_policy(response.headers) == {}


@pytest.mark.wrangler
def test_a_demo_keeps_its_sandbox_policy_alone(edge: httpx.Client) -> None:
    response = edge.get("/artifacts/alpha/v1/page.html")
    assert response.status_code == 200
    assert frame_policy(response.headers) == {"content-security-policy": [DEMO_CSP]}


@pytest.mark.wrangler
def test_latest_redirects_carry_no_frame_policy(edge: httpx.Client) -> None:
    response = edge.get("/p/alpha/latest/")
    assert response.status_code == 302
    assert frame_policy(response.headers) == {}


@pytest.mark.wrangler
@pytest.mark.browser
def test_another_origin_can_frame_a_share_page_and_not_the_gallery(chromium: Browser, tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    build_fake_site(site_dir)
    embedder = tmp_path / "embedder"
    embedder.mkdir()
    with serve_with_wrangler(site_dir) as base_url:
        frames = "".join(f'<iframe name="{name}" src="{base_url}{path}"></iframe>' for name, path in
                         (("share", "/p/alpha/v1/"), ("gallery", "/gallery/alpha/"), ("editor", "/editor/")))
        (embedder / "index.html").write_text(f"<!doctype html><title>elsewhere</title>{frames}\n")
        with serve_static(embedder) as other_origin:  # another port: another origin
            page = chromium.new_page()
            try:
                page.goto(f"{other_origin}/", wait_until="load")
                share = page.frame(name="share")
                assert share is not None and share.url == f"{base_url}/p/alpha/v1/"
                assert share.title() == "share alpha v1"
                [demo] = share.child_frames  # the share page's own frame of the demo loads too
                demo.wait_for_selector("#demo")
                for name in ("gallery", "editor"):
                    refused = page.frame(name=name)
                    assert refused is not None
                    assert not refused.url.startswith(base_url), f"{name} was framed: {refused.url}"
            finally:
                page.close()


# --- mkdocs-hybrid serve ---------------------------------------------------------------------


@contextmanager
def serving_static(site: Path) -> Iterator[str]:
    """``mkdocs-hybrid serve``'s HTTP server on ``site`` (static files only: no API call is made): its URL."""
    server = Server(("127.0.0.1", 0), site, api=cast(Api, None))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def local_server(tmp_path: Path) -> Iterator[str]:
    build_fake_site(tmp_path)
    with serving_static(tmp_path) as url:
        yield url


def test_serve_sends_the_same_frame_policy(local_server: str) -> None:
    with httpx.Client(base_url=local_server, timeout=10.0) as client:
        for path in UNFRAMED:
            assert_unframed(client.get(path).headers)
        for path in ("/p/alpha/v1/", "/", "/docs-page/"):
            assert frame_policy(client.get(path).headers) == {}
        assert frame_policy(client.get("/artifacts/alpha/v1/page.html").headers) == \
            {"content-security-policy": [DEMO_CSP]}
