"""The real editor page under the real ``mkdocs-hybrid serve``: token, on-demand packages, saving, rebuilding.

One ``mkdocs-hybrid serve`` (a subprocess on 127.0.0.1) serves a copy of the sample project, seeded with the
session build's npm installs, for the whole module; Playwright drives Debian's Chromium on it. Every request
that leaves the local server is aborted and fails the test.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import build_site, copy_project, output_of, seed_dependencies
from playwright.sync_api import Browser, BrowserContext, Page, Response, Route, expect

from tests.browser import LOCAL_SCHEMES
from tests.editor_harness import edit, files, preview, problems, replace_text, wait_for_build
from tests.serve.serving import Served, serving, store_rows

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
INSTALL_TIMEOUT_MS = 180_000
"""A build that needs ``npm install`` of a new set (real npm, the registry when the cache has not got it)."""
THREAD, BASE_VERSION, SAVED_VERSION = "react-todo", "v4", "v5"  # v1-v4 are the sample's
DEPENDENCIES = {"react": "18.3.1", "react-dom": "18.3.1"}
NANOID = {"nanoid": "5.1.6"}
NORMALIZE = {"normalize.css": "8.0.1"}
NANOID_TEXT = "nanoid gave 7 characters"
NORMALIZE_RULE = re.compile(r"-webkit-text-size-adjust:\s*100%")
"""A rule of normalize.css 8.0.1 (``html { line-height: 1.15; -webkit-text-size-adjust: 100% }``)."""


@pytest.fixture(scope="module")
def served(sample_project: Path, sample_site_mkdocs: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Served]:
    project = copy_project(sample_project, tmp_path_factory.mktemp("serve-editor") / "project")
    seed_dependencies(sample_site_mkdocs.parent, project)
    with serving(project) as server:
        yield server


class Session:
    """One browser context on the served site: the requests that tried to leave it, the API's answers."""

    def __init__(self, browser: Browser, served: Served) -> None:
        self.served = served
        self.outside: list[str] = []
        self.page_errors: list[str] = []
        self.api: list[tuple[str, str, int, Any]] = []  # (method, path, status, JSON answer)
        self.context: BrowserContext = browser.new_context(viewport={"width": 1400, "height": 860})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route("**/*", self._route)
        self.context.on("response", self._on_response)
        self.page = self.new_page()

    def _route(self, route: Route) -> None:
        url = route.request.url
        origin, parts = urlsplit(self.served.base_url), urlsplit(url)
        if url.startswith(LOCAL_SCHEMES) or (parts.scheme, parts.netloc) == (origin.scheme, origin.netloc):
            route.fallback()
        else:
            self.outside.append(url)
            route.abort()

    def _on_response(self, response: Response) -> None:
        path = urlsplit(response.url).path
        if not path.startswith("/api/") or path.startswith("/api/packages/"):
            return
        try:
            answer = response.json()
        except Exception:  # noqa: BLE001 - a body that is not JSON is recorded as None
            answer = None
        self.api.append((response.request.method, path, response.status, answer))

    def new_page(self) -> Page:
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        return page

    def open_editor(self, query: str = "") -> Page:
        """The editor URL serve printed (``#token=`` in the fragment), then ``query`` in the same tab."""
        page = self.page
        page.goto(f"{self.served.base_url}/editor/#token={self.served.token}")
        wait_for_build(page)
        assert "token" not in page.url, page.url
        assert page.evaluate("() => sessionStorage.getItem('mkdocs-hybrid-token')") == self.served.token
        if query:
            page.goto(f"{self.served.base_url}/editor/{query}")
            wait_for_build(page)
        return page

    def close(self) -> None:
        self.context.close()
        assert self.outside == [], f"requests left the local server: {self.outside}"
        assert self.page_errors == [], f"the editor page threw: {self.page_errors}"


@pytest.fixture
def session(chromium: Browser, served: Served) -> Iterator[Session]:
    opened = Session(chromium, served)
    yield opened
    opened.close()


# ---- helpers (as in tests/editor/test_editor_ui.py) -----------------------------------------------------


def built(page: Page, timeout: float = TIMEOUT_MS) -> None:
    """The newest build succeeded (a failure shows the problems panel)."""
    wait_for_build(page, timeout)
    status = page.locator("#status-build").inner_text()
    assert "built in" in status and problems(page) == [], f"{status}: {problems(page)}"


def package_json(dependencies: dict[str, str]) -> str:
    return json.dumps({"dependencies": dependencies}, indent=2) + "\n"


def vendor_files(site: Path) -> set[str]:
    return {path.relative_to(site).as_posix() for path in (site / "vendor").glob("*.js")}


# ---- tests ------------------------------------------------------------------------------------------------


def test_the_printed_editor_url_opens_a_version_with_its_preview(session: Session) -> None:
    page = session.open_editor(f"?thread={THREAD}&version={BASE_VERSION}")

    assert "token" not in page.url and page.url.endswith(f"/editor/?thread={THREAD}&version={BASE_VERSION}")
    assert page.input_value("#thread") == THREAD and page.input_value("#version") == BASE_VERSION
    built(page)
    expect(preview(page).get_by_role("heading", name="My tasks")).to_be_visible()
    assert json.loads(files(page)["package.json"]) == {"dependencies": DEPENDENCIES}
    # Under serve the worker asks the server for the set (the token goes with it), which it has already.
    asked = [entry for entry in session.api if entry[1] == "/api/dependencies"]
    assert asked and all(status == 200 for _, _, status, _ in asked), session.api
    assert asked[-1][3]["set"]["direct"] == DEPENDENCIES


@pytest.mark.slow
def test_new_packages_preview_save_share_and_rebuild(session: Session, served: Served, tmp_path: Path) -> None:
    site = served.project / "site"
    vendors_before = vendor_files(site)
    page = session.open_editor(f"?thread={THREAD}&version={BASE_VERSION}")
    built(page)
    expect(preview(page).get_by_role("heading", name="My tasks")).to_be_visible()

    # 1. A package no sample uses: installed by the server on demand, vendored, and previewed.
    replace_text(page, "package.json", package_json({**DEPENDENCIES, **NANOID}))
    edit(page, "src/App.tsx", 'import { useEffect, useMemo, useState } from "react";\n',
         'import { useEffect, useMemo, useState } from "react";\nimport { nanoid } from "nanoid";\n')
    edit(page, "src/App.tsx", "<h1>My tasks</h1>",
         '<h1>My served tasks</h1>\n          <p>{`nanoid gave ${nanoid(7).length} characters`}</p>')
    expect(preview(page).get_by_text(NANOID_TEXT)).to_be_visible(timeout=INSTALL_TIMEOUT_MS)
    built(page)
    expect(preview(page).get_by_role("heading", name="My served tasks")).to_be_visible()
    answers = [answer for method, path, status, answer in session.api
               if (method, path, status) == ("POST", "/api/dependencies", 200)
               and answer["set"]["direct"] == {**DEPENDENCIES, **NANOID}]
    assert answers, session.api
    vendor = next(v for answer in answers for v in answer["set"]["vendors"] if "nanoid" in v["requested"])
    assert vendor["path"] not in vendors_before and (site / vendor["path"]).is_file(), vendor
    assert page.evaluate("() => window.hybridEditor.lastResult.vendor") == vendor["path"]

    # 2. A package whose main file is CSS: the served editor reads it from the installed set.
    replace_text(page, "package.json", package_json({**DEPENDENCIES, **NANOID, **NORMALIZE}))
    edit(page, "src/index.tsx", 'import "./theme.css";', 'import "normalize.css";\nimport "./theme.css";')
    page.wait_for_function("(rule) => new RegExp(rule).test(window.hybridEditor.lastResult.css || '')",
                           arg=NORMALIZE_RULE.pattern, timeout=INSTALL_TIMEOUT_MS)
    built(page)
    expect(preview(page).get_by_text(NANOID_TEXT)).to_be_visible()
    in_frame = preview(page).locator("html").evaluate(
        "() => [...document.styleSheets].flatMap((sheet) => [...sheet.cssRules].map((rule) => rule.cssText))"
        ".join('\\n')")
    assert re.search(r"text-size-adjust:\s*100%", in_frame), in_frame[:2000]

    # 3. Save version: stored, built, shared.
    page.click("#save")
    share_url = f"{served.base_url}/p/{THREAD}/{SAVED_VERSION}/"
    expect(page.locator("#notice")).to_contain_text(f"Saved {THREAD}/{SAVED_VERSION}", timeout=INSTALL_TIMEOUT_MS)
    expect(page.locator("#notice a")).to_have_attribute("href", share_url)
    expect(page.locator("#notice a")).to_have_text(share_url)
    assert f"thread={THREAD}&version={SAVED_VERSION}" in page.url
    saved = [answer for method, path, status, answer in session.api if (method, path) == ("POST", "/api/versions")]
    assert [answer["share_url"] for answer in saved] == [f"/p/{THREAD}/{SAVED_VERSION}/"], session.api
    page.screenshot(path=str(tmp_path / "serve-editor-saved.png"))
    print(f"screenshot: {tmp_path / 'serve-editor-saved.png'}")

    assert (THREAD, SAVED_VERSION) in store_rows(served.project)
    with served.client() as client:
        document = client.get(f"/api/versions/{THREAD}/{SAVED_VERSION}").json()
    assert document["dependencies"] == {**DEPENDENCIES, **NANOID, **NORMALIZE}
    assert "nanoid(7)" in document["files"]["src/App.tsx"] and "package.json" not in document["files"]

    artifact = site / "artifacts" / THREAD / SAVED_VERSION
    assert NORMALIZE_RULE.search((artifact / "style.css").read_text(encoding="utf-8"))
    assert vendor["path"] in (artifact / "page.html").read_text(encoding="utf-8")

    # The share link, opened in the browser, runs the saved demo.
    share = session.new_page()
    response = share.goto(share_url)
    assert response is not None and response.status == 200
    demo = share.frame_locator("iframe")
    expect(demo.get_by_text(NANOID_TEXT)).to_be_visible()
    expect(demo.get_by_role("heading", name="My served tasks")).to_be_visible()
    assert share.locator("iframe").evaluate("(frame) => frame.src") == \
        f"{served.base_url}/artifacts/{THREAD}/{SAVED_VERSION}/page.html"
    share.close()

    # 4. A full `mkdocs build` of the project, reading the store as a source, makes the same bytes.
    rebuilt = copy_project(served.project, tmp_path / "rebuilt")
    shutil.copy2(served.project / "editor.sqlite", rebuilt / "editor.sqlite")
    seed_dependencies(served.project, rebuilt)
    result = build_site(rebuilt)
    assert result.returncode == 0, output_of(result)
    for name in ("page.html", "style.css"):
        assert (rebuilt / "site" / "artifacts" / THREAD / SAVED_VERSION / name).read_bytes() == \
            (artifact / name).read_bytes(), name
    page_html = (artifact / "page.html").read_text(encoding="utf-8")
    for used in re.findall(r"vendor/[0-9a-f]+\.js", page_html):
        assert (rebuilt / "site" / used).read_bytes() == (site / used).read_bytes(), used


def test_a_refused_save_says_not_saved_once_and_an_undeclared_import_gets_the_hint(session: Session) -> None:
    """Issue 20, item 12: the API's own "not saved: ..." line is not prefixed again, and under serve an import
    of a package missing from package.json gets the static editor's hint."""
    page = session.open_editor(f"?thread={THREAD}&version={BASE_VERSION}")
    built(page)
    edit(page, "src/App.tsx", 'import { useEffect, useMemo, useState } from "react";\n',
         'import { useEffect, useMemo, useState } from "react";\nimport { nanoid } from "nanoid";\n'
         'console.log(nanoid);\n')
    expect(page.locator("#problems li.problem.build")).to_contain_text(
        ['Could not resolve "nanoid" (add "nanoid" to the dependencies in package.json)'])

    page.click("#save")
    notice = page.locator("#notice.error")
    expect(notice).to_contain_text(f"Not saved: {THREAD}/", timeout=INSTALL_TIMEOUT_MS)
    text = notice.inner_text()
    assert text.lower().count("not saved") == 1, text
    assert "does not build" in text, text
    refused = [status for method, path, status, _ in session.api if (method, path) == ("POST", "/api/versions")]
    assert refused == [422], session.api
