"""The editor's first preview of a published version: the share link's own files first, then the live build.

Opened as published (``?thread=T&version=V``, no draft), the preview shows ``artifacts/T/V/page.html`` (with its
``style.css`` and vendor file) before the build worker has even started; the worker's first build then takes
over that frame when it is the same bytes, and replaces it when it is not. Playwright holds the worker's script
to keep the worker from starting, so "before the worker" is a fact of the test, not a race.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.browser import serve_static
from tests.editor_harness import EDITOR_TIMEOUT_MS, edit, preview, wait_for_build

pytestmark = pytest.mark.browser

REF = "react-todo/v4"
SHOWN = "My tasks"


@pytest.fixture(scope="module")
def site(sample_site_mkdocs: Path) -> Iterator[tuple[str, Path]]:
    with serve_static(sample_site_mkdocs) as base_url:
        yield base_url, sample_site_mkdocs


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    opened = chromium.new_context()
    opened.set_default_timeout(EDITOR_TIMEOUT_MS)
    yield opened
    opened.close()


class Held:
    """Holds every request matching ``pattern`` until ``release``."""

    def __init__(self, context: BrowserContext, pattern: str) -> None:
        self.held: list[Route] = []
        context.route(pattern, lambda route: self.held.append(route))

    def release(self) -> None:
        for route in self.held:
            route.fallback()
        self.held.clear()


class HeldWorker(Held):
    """Holds the request for the build worker's script until ``release``: no worker, no build, no wasm."""

    def __init__(self, context: BrowserContext) -> None:
        super().__init__(context, "**/editor/assets/worker.*.js")


def open_published(context: BrowserContext, base_url: str) -> Page:
    page = context.new_page()
    thread, version = REF.split("/")
    page.goto(f"{base_url}/editor/?thread={thread}&version={version}")
    return page


def test_a_published_version_previews_its_share_link_before_the_worker_starts(
        context: BrowserContext, site: tuple[str, Path]) -> None:
    base_url, site_dir = site
    worker = HeldWorker(context)
    page = open_published(context, base_url)
    expect(preview(page).get_by_text(SHOWN)).to_be_visible(timeout=EDITOR_TIMEOUT_MS)
    assert page.locator("#status-build").inner_text() == "starting…"  # no build has run
    assert worker.held, "the worker's script was never asked for"
    # The preview document is the share link's page.html, changed only as every preview is (preview.js).
    page_html = (site_dir / "artifacts" / REF / "page.html").read_text(encoding="utf-8")
    module = page_html[page_html.index('<script type="module">'):]
    assert module in str(page.locator("#preview iframe").get_attribute("srcdoc"))
    preview(page).locator("body").evaluate("() => { window.notReloaded = true; }")

    worker.release()
    wait_for_build(page)
    expect(page.locator("#status-build")).to_contain_text("built in")
    # The live build is those very bytes: the frame on screen stays (its page was not run again).
    assert page.locator("#preview iframe").count() == 1
    assert preview(page).locator("body").evaluate("() => window.notReloaded === true")
    assert page.evaluate("() => window.hybridEditor.marks.live") is not None


def test_a_live_build_that_differs_from_the_published_files_replaces_them(
        context: BrowserContext, site: tuple[str, Path]) -> None:
    base_url, site_dir = site
    worker = HeldWorker(context)
    original = (site_dir / "artifacts" / REF / "page.html").read_text(encoding="utf-8")
    altered = original.replace("<title>", "<title>Altered ", 1)
    context.route(f"**/artifacts/{REF}/page.html",
                  lambda route: route.fulfill(body=altered, content_type="text/html; charset=utf-8"))
    page = open_published(context, base_url)
    expect(preview(page).get_by_text(SHOWN)).to_be_visible(timeout=EDITOR_TIMEOUT_MS)
    preview(page).locator("body").evaluate("() => { window.notReloaded = true; }")
    assert "Altered" in str(page.locator("#preview iframe").get_attribute("srcdoc"))

    worker.release()
    wait_for_build(page)
    expect(preview(page).get_by_text(SHOWN)).to_be_visible(timeout=EDITOR_TIMEOUT_MS)
    page.wait_for_function("() => window.hybridEditor.marks.live")
    # The build's own bytes are on screen now, in a new frame.
    assert "Altered" not in str(page.locator("#preview iframe:not(.loading)").get_attribute("srcdoc"))
    assert not preview(page).locator("body").evaluate("() => window.notReloaded === true")


def test_a_restored_draft_waits_for_its_own_build(context: BrowserContext, site: tuple[str, Path]) -> None:
    base_url, _ = site
    page = open_published(context, base_url)
    wait_for_build(page)
    edit(page, "src/App.tsx", "<h1>My tasks</h1>", "<h1>My edited tasks</h1>")
    page.keyboard.press("Control+s")  # keep the draft in IndexedDB now
    expect(page.locator("#status-save")).to_contain_text("draft saved", timeout=EDITOR_TIMEOUT_MS)

    worker = HeldWorker(context)
    reopened = open_published(context, base_url)
    expect(reopened.locator("#notice")).to_contain_text("Restored your unsaved changes", timeout=EDITOR_TIMEOUT_MS)
    reopened.wait_for_timeout(500)
    # Not the published files: the draft is not what the share link serves.
    assert reopened.locator("#preview iframe").count() == 0
    worker.release()
    wait_for_build(reopened)
    expect(preview(reopened).get_by_text("My edited tasks")).to_be_visible(timeout=EDITOR_TIMEOUT_MS)


def test_the_version_and_its_vendor_file_are_asked_for_before_the_recipe_is_in(
        context: BrowserContext, site: tuple[str, Path]) -> None:
    """They need neither the recipe nor IndexedDB: waiting for those first put a round trip or two on the way."""
    base_url, _ = site
    recipe = Held(context, "**/editor/recipe.*.json")
    asked: list[str] = []
    context.on("request", lambda request: asked.append(request.url))
    page = open_published(context, base_url)
    page.wait_for_event("request", lambda request: "/vendor/" in request.url)
    folder = f"/artifacts/{REF}/"
    assert {f"{folder}page.html", f"{folder}style.css", f"{folder}source.json"} <= {
        url.removeprefix(base_url) for url in asked}
    assert recipe.held, "the recipe is still held"
    assert page.evaluate("() => window.hybridEditor.marks.code") is None, "nothing opens before the recipe"
    recipe.release()
    expect(preview(page).get_by_text(SHOWN)).to_be_visible(timeout=EDITOR_TIMEOUT_MS)
    assert page.evaluate("() => window.hybridEditor.marks.published < window.hybridEditor.marks.preview")


def test_the_worker_builds_once_the_published_files_are_in_not_once_they_are_on_screen(
        context: BrowserContext, site: tuple[str, Path]) -> None:
    base_url, _ = site
    vendor = Held(context, "**/vendor/*.js")  # the published frame cannot be drawn without it
    page = open_published(context, base_url)
    page.wait_for_function("() => window.hybridEditor?.marks.build")
    assert page.evaluate("() => window.hybridEditor.marks.published") is not None
    assert page.evaluate("() => window.hybridEditor.marks.preview") is None
    assert page.locator("#preview iframe:not(.loading)").count() == 0
    vendor.release()
    expect(preview(page).get_by_text(SHOWN)).to_be_visible(timeout=EDITOR_TIMEOUT_MS)
    expect(page.locator("#status-build")).to_contain_text("built in")
