"""Demos that use storage in the editor's preview (issue 20, item 16).

Default mode: the preview is an opaque-origin frame, so storage throws; the preview pane says why once, in plain
words. Artifact store mode (``deploy.artifacts: r2``) with a site URL: the preview runs on the artifact origin
through the preview host page (``_preview/host.{hash}.html``), so a demo's ``localStorage`` persists there as on
its share link, and the host takes documents from the site's origin only. Two local origins stand in for the
site and the artifact origin: 127.0.0.1 and localhost, each on its own port.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from mkdocs_hybrid.deploy._r2_artifacts import is_artifact
from mkdocs_hybrid.edge.sandbox import DEMO_SANDBOX
from mkdocs_hybrid.editor import preview_host
from mkdocs_hybrid.model.errors import HybridError
from tests.browser import serve_static
from tests.editor_harness import edit, preview, wait_for_build
from tests.factory import free_port, manifest_for, write_tree

TIMEOUT_MS = 30_000
STORAGE_BLOCKED = ("Storage is blocked in this preview: it runs sandboxed, away from the site, so that a demo cannot "
                   "read the site's data, and that also blocks the demo's own localStorage and IndexedDB")
STORAGE_NOTE = STORAGE_BLOCKED + (" (as on this site's share links). Deploy with deploy.artifacts: r2 to run demos "
                                  "and this preview on the artifact origin, with storage of their own.")
STORAGE_NOTE_R2 = STORAGE_BLOCKED + (". Build the site with its URL (site_url in mkdocs.yml, or --site-url) and open "
                                     "the editor there to run this preview on the demos' origin, with storage of "
                                     "their own.")

# A demo that keeps a counter in localStorage and says when it cannot, as the sample todo list does.
COUNTER = """
let text;
try {
  const seen = Number(localStorage.getItem("visits") || 0) + 1;
  localStorage.setItem("visits", String(seen));
  let site;
  try { site = parent.localStorage.getItem("secret"); } catch (error) { site = error.name; }
  text = `visits ${seen}; own secret ${localStorage.getItem("secret")}; site's ${site}`;
} catch (error) {
  text = "Storage is unavailable here";
}
document.getElementById("root").textContent = text;
"""
PLAIN = 'document.getElementById("root").textContent = "no storage used";\n'


def build(project: Path, *, artifacts_url: str | None = None, site_url: str | None = None) -> Path:
    """``project/demos`` built into ``project/site`` (standalone gallery, editor, no ledger)."""
    from mkdocs_hybrid.pipeline import Export
    from mkdocs_hybrid.publish.site import SitePages

    write_tree(project, {"demos/counter/v1/index.js": COUNTER, "demos/plain/v1/index.js": PLAIN})
    manifest = manifest_for(project)
    if artifacts_url:
        manifest = replace(manifest, deploy=replace(manifest.deploy, artifacts="r2", artifacts_url=artifacts_url,
                                                    r2_bucket="demos"))
    export = Export(manifest, ledger=False, pages=SitePages(standalone_gallery=True, site_url=site_url))
    export.run(project / "site")
    assert export.report.ok, export.report.failed
    return project / "site"


def recipe_of(site: Path) -> dict[str, Any]:
    (path,) = (site / "editor").glob("recipe.*.json")
    recipe: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return recipe


def open_editor(page: Page, base_url: str, query: str) -> None:
    page.goto(f"{base_url}/editor/{query}")
    wait_for_build(page)


# ---- the build's side ----------------------------------------------------------------------------------------


def test_only_the_artifact_store_mode_with_a_site_url_publishes_a_preview_host(tmp_path: Path) -> None:
    plain = build(tmp_path / "a", site_url="https://gallery.example.com/docs/")
    stored = build(tmp_path / "b", artifacts_url="https://demos.example.com", site_url="https://gallery.example.com/docs/")
    no_site_url = build(tmp_path / "c", artifacts_url="https://demos.example.com")

    assert recipe_of(plain)["preview_host"] is None and not (plain / "_preview").exists()
    assert recipe_of(no_site_url)["preview_host"] is None and not (no_site_url / "_preview").exists()
    (host,) = (stored / "_preview").iterdir()
    assert re.fullmatch(r"host\.[0-9a-f]{12}\.html", host.name)
    assert recipe_of(stored)["preview_host"] == {"url": f"https://demos.example.com/_preview/{host.name}",
                                                 "sandbox": f"{DEMO_SANDBOX} allow-same-origin",
                                                 "site_origin": "https://gallery.example.com"}
    # The site's origin is baked in (not its path), and the host goes to the artifact bucket with the demos.
    assert 'const SITE = "https://gallery.example.com";' in host.read_text(encoding="utf-8")
    assert is_artifact(f"_preview/{host.name}")


def test_a_new_site_origin_replaces_the_old_host_page(tmp_path: Path) -> None:
    site = build(tmp_path, artifacts_url="https://demos.example.com", site_url="https://a.example.com")
    (first,) = (site / "_preview").iterdir()
    build(tmp_path, artifacts_url="https://demos.example.com", site_url="https://b.example.com")
    (second,) = (site / "_preview").iterdir()
    assert first.name != second.name
    assert recipe_of(site)["preview_host"]["url"].endswith(second.name)


# ---- in Chromium ---------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_default_preview_says_once_why_storage_is_blocked(chromium: Browser, tmp_path: Path) -> None:
    site = build(tmp_path)
    with serve_static(site) as base_url:
        page = chromium.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        open_editor(page, base_url, "?thread=plain&version=v1")
        expect(preview(page).locator("#root")).to_have_text("no storage used")
        expect(page.locator(".preview-note")).to_have_count(0)

        open_editor(page, base_url, "?thread=counter&version=v1")
        assert page.locator("#preview iframe:not(.loading)").get_attribute("sandbox") == "allow-scripts"
        expect(preview(page).locator("#root")).to_have_text("Storage is unavailable here")
        expect(page.locator(".preview-note")).to_have_text(STORAGE_NOTE)
        # Each rebuild touches storage again: still one notice.
        edit(page, "index.js", "Storage is unavailable here", "Storage is off")
        expect(preview(page).locator("#root")).to_have_text("Storage is off")
        expect(page.locator(".preview-note")).to_have_count(1)
        page.screenshot(path=str(tmp_path / "storage-note.png"))
        page.close()


@contextmanager
def serve_bucket(folder: Path, port: int, site_origin: str) -> Iterator[None]:
    """The artifact origin as the bucket answers: the files, with CORS for the site's origin only (the deploy
    sets the bucket's rules so), which the editor needs to open published sources from there."""

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def end_headers(self) -> None:
            if self.headers.get("Origin") == site_origin:
                self.send_header("Access-Control-Allow-Origin", site_origin)
            super().end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def two_origins(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """The site at http://127.0.0.1:S and its artifact origin at http://localhost:A (the same folder)."""
    site_port, artifact_port = free_port(), free_port()
    site_url = f"http://127.0.0.1:{site_port}"
    site = build(tmp_path, artifacts_url=f"http://localhost:{artifact_port}", site_url=site_url)
    with serve_static(site, port=site_port), serve_bucket(site, artifact_port, site_url):
        yield site, site_url, f"http://localhost:{artifact_port}"


@pytest.mark.browser
def test_on_the_artifact_origin_the_preview_keeps_its_storage_apart_from_the_site(
        chromium: Browser, two_origins: tuple[Path, str, str]) -> None:
    _, site_url, artifact_url = two_origins
    page = chromium.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{site_url}/gallery/")
    page.evaluate("localStorage.setItem('secret', 'the site')")
    shown = []
    for _ in range(2):  # a reload of the editor: the preview's storage is still there
        open_editor(page, site_url, "?thread=counter&version=v1")
        frame = page.locator("#preview iframe:not(.loading)")
        assert frame.get_attribute("src", timeout=TIMEOUT_MS).startswith(f"{artifact_url}/_preview/host.")
        expect(preview(page).locator("#root")).to_have_text(re.compile("^visits"))
        shown.append(preview(page).locator("#root").inner_text())
    assert shown == ["visits 1; own secret null; site's SecurityError",
                     "visits 2; own secret null; site's SecurityError"]
    expect(page.locator(".preview-note")).to_have_count(0)
    # An edit builds a new preview on the same origin: the count goes on.
    edit(page, "index.js", "visits ${seen}", "count ${seen}")
    expect(preview(page).locator("#root")).to_have_text(re.compile("^count 3;"))
    # The written document says "ready" as the opaque frame's does: no wait for the swap's fallback timer.
    shown_after = re.search(r"preview (\d+) ms after the edit", page.locator("#status-build").inner_text())
    assert shown_after and int(shown_after[1]) < 1500, page.locator("#status-build").inner_text()
    page.close()


HOST_PROBE = """async ([host, html]) => {
  const frame = document.createElement("iframe");
  frame.src = host;
  await new Promise((resolve) => { frame.onload = resolve; document.body.append(frame); });
  frame.contentWindow.postMessage({hybridHost: html}, "*");
  await new Promise((resolve) => setTimeout(resolve, 500));
}"""


@pytest.mark.browser
def test_the_preview_host_takes_documents_from_the_sites_origin_only(
        chromium: Browser, two_origins: tuple[Path, str, str]) -> None:
    site, site_url, artifact_url = two_origins
    host = recipe_of(site)["preview_host"]["url"]
    other_origin = site_url.replace("127.0.0.1", "localhost")  # same server, another origin
    written = []
    for origin in (other_origin, artifact_url, site_url):
        page = chromium.new_page()
        page.goto(f"{origin}/gallery/")
        page.evaluate(HOST_PROBE, [host, "<p id=written>from a page</p>"])
        frame = next(frame for frame in page.frames if frame.url == host)
        written.append(frame.locator("#written").count())
        page.close()
    assert written == [0, 0, 1]


@pytest.mark.browser
def test_an_r2_site_built_without_its_url_says_how_to_have_storage_in_the_preview(chromium: Browser,
                                                                                  tmp_path: Path) -> None:
    site_port, artifact_port = free_port(), free_port()
    site = build(tmp_path, artifacts_url=f"http://localhost:{artifact_port}")
    site_url = f"http://127.0.0.1:{site_port}"
    with serve_static(site, port=site_port), serve_bucket(site, artifact_port, site_url):
        page = chromium.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        open_editor(page, site_url, "?thread=counter&version=v1")
        expect(preview(page).locator("#root")).to_have_text("Storage is unavailable here")
        expect(page.locator(".preview-note")).to_have_text(STORAGE_NOTE_R2)
        page.close()


@pytest.mark.browser
def test_an_editor_on_another_origin_than_the_sites_keeps_the_sandboxed_preview(
        chromium: Browser, two_origins: tuple[Path, str, str]) -> None:
    """``serve`` on 127.0.0.1 or a preview deployment of an r2 site: the host would ignore the editor there."""
    _, site_url, _ = two_origins
    page = chromium.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    open_editor(page, site_url.replace("127.0.0.1", "localhost"), "")  # a new draft (CORS is the site's only)
    frame = page.locator("#preview iframe:not(.loading)")
    expect(frame).to_have_attribute("sandbox", "allow-scripts")
    assert frame.get_attribute("src") is None and frame.get_attribute("srcdoc")
    page.close()


@pytest.mark.browser
def test_the_sample_todo_list_gets_the_storage_note_in_the_editor(chromium: Browser, sample_site_mkdocs: Path,
                                                                  tmp_path: Path) -> None:
    with serve_static(sample_site_mkdocs) as base_url:
        page = chromium.new_page(viewport={"width": 1400, "height": 860})
        page.set_default_timeout(TIMEOUT_MS)
        open_editor(page, base_url, "?thread=react-todo&version=v4")
        expect(preview(page).get_by_text("Storage is unavailable here, so changes last until reload.")).to_be_visible()
        expect(page.locator(".preview-note")).to_have_text(STORAGE_NOTE)
        page.screenshot(path=str(tmp_path / "react-todo-storage-note.png"))
        page.close()


@pytest.mark.parametrize("site_url", [
    "https://gallery.example.com</script><script>alert(1)//", "https://user:secret@gallery.example.com",
    "https://gallery.example.com%2F..", "javascript:alert(1)", "https://", "file:///etc/passwd",
    "https://gallery.example.com:99999999"])
def test_a_site_url_that_is_not_a_plain_origin_is_refused_before_it_reaches_the_host_page(site_url: str) -> None:
    with pytest.raises(HybridError, match="is not an http\\(s\\) URL"):
        preview_host.site_origin(site_url)


def test_a_plain_site_url_gives_its_origin() -> None:
    assert preview_host.site_origin("https://Gallery.Example.com:8443/docs/") == "https://gallery.example.com:8443"
    assert preview_host.site_origin("http://[::1]:8000/") == "http://[::1]:8000"
