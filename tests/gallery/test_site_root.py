"""The standalone site's root: ``/`` leads to the gallery (on any static host, under a subpath, on ``file://``),
and a home page the site has of its own stays."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mkdocs_hybrid.gallery import pages as gallery
from tests.browser import serve_static
from tests.factory import manifest_for, read_tree, run_cli, write_tree
from tests.gallery.test_gallery import find, make_catalog, parse

if TYPE_CHECKING:
    from playwright.sync_api import Browser

DEMOS = {
    "demos/hello/v1/index.js": "document.body.textContent = 'hello one';\n",
    "demos/hello/v2/index.js": "document.body.textContent = 'hello two';\n",
    "demos/other/v1/index.js": "document.body.textContent = 'other';\n",
}


def refresh_target(html: str) -> str:
    """Where the page's ``<meta http-equiv="refresh">`` sends the browser."""
    (meta,) = find(parse(html), "meta", http_equiv="refresh")
    match = re.fullmatch(r"0; url=(.+)", meta.attrs["content"])
    assert match, meta.attrs["content"]
    return match.group(1)


@pytest.fixture(scope="module")
def cli_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project built by ``mkdocs-hybrid build`` (no mkdocs.yml: the standalone site)."""
    project = write_tree(tmp_path_factory.mktemp("root"), DEMOS)
    manifest_for(project)
    result = run_cli("build", "--strict", "-q", "-d", "site", cwd=project)
    assert result.returncode == 0, result.stderr
    return project / "site"


def test_the_built_site_has_a_root_page_that_leads_to_the_gallery(cli_site: Path) -> None:
    html = (cli_site / "index.html").read_text(encoding="utf-8")
    target = refresh_target(html)
    assert target == "gallery/index.html", "relative, and a file (a folder URL is a listing on file://)"
    (link,) = find(parse(html), "a")
    assert link.attrs["href"] == target, "the same place for a reader whose browser does not follow the refresh"
    gallery_page = (cli_site / target).read_text(encoding="utf-8")
    assert "<title>Gallery</title>" in gallery_page and 'data-hg-id="hello"' in gallery_page


def test_a_rebuild_writes_the_same_root_page(cli_site: Path, tmp_path: Path) -> None:
    project = cli_site.parent
    result = run_cli("build", "--strict", "-q", "-d", str(tmp_path / "again"), cwd=project)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "again" / "index.html").read_bytes() == (cli_site / "index.html").read_bytes()
    assert (cli_site / "index.html").read_bytes() == gallery.render_root_page()


def test_a_home_page_of_the_sites_own_is_not_overwritten(tmp_path: Path) -> None:
    home = write_tree(tmp_path, {"index.html": "<!doctype html><title>Our docs</title><h1>Home</h1>\n"})
    written = gallery.write_standalone(home, make_catalog())
    assert "index.html" not in written
    assert (home / "index.html").read_text() == "<!doctype html><title>Our docs</title><h1>Home</h1>\n"
    assert (home / "gallery" / "index.html").is_file()


def test_an_earlier_builds_root_page_is_replaced(tmp_path: Path) -> None:
    stale = gallery.render_root_page().replace(b"<h1>Gallery</h1>", b"<h1>Old</h1>")
    write_tree(tmp_path, {"index.html": stale})
    assert gallery.write_standalone(tmp_path, make_catalog())[-1] == "index.html"
    assert (tmp_path / "index.html").read_bytes() == gallery.render_root_page()


@pytest.mark.browser
def test_opening_the_root_lands_on_the_gallery(cli_site: Path, chromium: Browser, tmp_path: Path) -> None:
    # The same site at a host's root, under a subpath, and opened from disk.
    hosted = tmp_path / "host"
    shutil.copytree(cli_site, hosted / "team" / "demos")
    assert read_tree(hosted / "team" / "demos") == read_tree(cli_site)
    page = chromium.new_page()
    try:
        with serve_static(cli_site) as root_url, serve_static(hosted) as host_url:
            for start in (f"{root_url}/", f"{host_url}/team/demos/", (cli_site / "index.html").as_uri()):
                page.goto(start)
                page.wait_for_url(re.compile(r".*/gallery/(index\.html)?$"), timeout=10_000)
                page.locator("li.hg-card").first.wait_for(timeout=10_000)
                assert page.title() == "Gallery", start
                assert page.locator("li.hg-card").count() == 2, start
                assert page.url.startswith(start.removesuffix("index.html")), f"{start} left for {page.url}"
    finally:
        page.close()


@pytest.mark.wrangler
def test_on_cloudflare_pages_the_root_is_the_page_that_leads_to_the_gallery(cli_site: Path) -> None:
    # No `/ /gallery/ 302` line in _redirects: a 1,000-thread site fills all 2,000 static rules with its latest
    # links, and MkDocs' home page (the plugin) shares the edge files. The root page alone is enough on Pages.
    import httpx

    from tests.wrangler_dev import serve_with_wrangler

    assert "\n/ " not in (cli_site / "_redirects").read_text(encoding="utf-8")
    with serve_with_wrangler(cli_site) as base_url:
        root = httpx.get(f"{base_url}/", follow_redirects=False, timeout=10)
        assert root.status_code == 200 and root.content == gallery.render_root_page()
        landed = httpx.get(f"{base_url}/{refresh_target(root.text)}", follow_redirects=True, timeout=10)
        assert landed.status_code == 200 and "<title>Gallery</title>" in landed.text
        assert str(landed.url) == f"{base_url}/gallery/", "Pages drops index.html: the address stays clean"
