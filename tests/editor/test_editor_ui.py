"""The editor page as an author uses it: Playwright driving Debian's Chromium on the built sample site.

Every request that leaves the local server is aborted and counted as a failure. Each test gets a fresh
browser context (its own IndexedDB and sessionStorage), except where a reload is the point.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import statistics
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.browser import LOCAL_SCHEMES, serve_static
from tests.editor_harness import edit, files, open_file, preview, problems, replace_text, wait_for_build
from tests.factory import run_cli

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
SNAPSHOT_KEYS = ["format", "thread", "version", "title", "entry", "created", "files", "dependencies"]


@pytest.fixture(scope="module")
def site(sample_site_mkdocs: Path) -> Iterator[str]:
    assert (sample_site_mkdocs / "editor/index.html").is_file(), "the site build wrote no editor/"
    with serve_static(sample_site_mkdocs) as base_url:
        yield base_url


class Session:
    """One browser context on the site, with the requests that tried to leave it."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.base_url = base_url
        self.outside: list[str] = []
        self.page_errors: list[str] = []
        self.context: BrowserContext = browser.new_context(viewport={"width": 1400, "height": 860},
                                                           accept_downloads=True)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route("**/*", self._route)
        self.page = self.new_page()

    def _route(self, route: Route) -> None:
        url = route.request.url
        origin = urlsplit(self.base_url)
        parts = urlsplit(url)
        if url.startswith(LOCAL_SCHEMES) or (parts.scheme, parts.netloc) == (origin.scheme, origin.netloc):
            route.fallback()
        else:
            self.outside.append(url)
            route.abort()

    def new_page(self) -> Page:
        page = self.context.new_page()
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        return page

    def open(self, query: str = "", page: Page | None = None) -> Page:
        page = page or self.page
        page.goto(f"{self.base_url}/editor/{query}")
        wait_for_build(page)
        return page

    def close(self) -> None:
        self.context.close()
        assert self.outside == [], f"requests left the site: {self.outside}"
        assert self.page_errors == [], f"the editor page threw: {self.page_errors}"


@pytest.fixture
def session(chromium: Browser, site: str) -> Iterator[Session]:
    opened = Session(chromium, site)
    yield opened
    opened.close()


# ---- tests ---------------------------------------------------------------------------------------------------


def test_an_edit_shows_in_the_preview(session: Session) -> None:
    page = session.open("?thread=react-todo&version=v1")
    expect(preview(page).get_by_text("Sketch the gallery layout")).to_be_visible()
    frame = page.locator("#preview iframe:not(.loading)")
    assert frame.get_attribute("sandbox") == "allow-scripts"
    assert page.locator("#status-esbuild").inner_text().startswith("esbuild")
    assert page.input_value("#thread") == "react-todo" and page.input_value("#version") == "v1"
    assert page.input_value("#title") == "A first list"

    edit(page, "src/App.tsx", "Sketch the gallery layout", "Sketch the editor layout")
    expect(preview(page).get_by_text("Sketch the editor layout")).to_be_visible()
    expect(preview(page).get_by_text("Sketch the gallery layout")).to_have_count(0)
    assert problems(page) == []


def test_keystrokes_reach_the_preview_quickly(session: Session) -> None:
    page = session.open("?thread=react-todo&version=v1")
    open_file(page, "src/App.tsx")
    page.locator("#editor .cm-line", has_text="<h1>Todo</h1>").click()
    page.keyboard.press("End")
    for _ in "</h1>":
        page.keyboard.press("ArrowLeft")  # after "Todo"
    for index, char in enumerate("!quick"):
        page.keyboard.type(char)
        expect(preview(page).locator("h1")).to_have_text("Todo" + "!quick"[: index + 1])
    latencies = page.evaluate("() => window.hybridEditor.latencies")
    assert len(latencies) >= 3
    median = statistics.median(latencies)
    print(f"keystroke-to-preview: median {median} ms over {len(latencies)} edits: {latencies}")
    # The target is 150 ms; a loaded CI machine gets slack, a regression to seconds does not.
    assert median <= 1000


def test_a_syntax_error_marks_its_line_and_keeps_the_last_good_preview(session: Session) -> None:
    page = session.open("?thread=react-todo&version=v1")
    expect(preview(page).get_by_text("Write the snapshot format")).to_be_visible()
    text = edit(page, "src/App.tsx", "  const [todos] =", "  const [todos] = = ")
    line = text[: text.index("const [todos] = =")].count("\n") + 1

    expect(page.locator("#status-build")).to_contain_text("build failed")
    expect(page.locator("#editor .cm-lint-marker-error")).to_have_count(1)
    marked = page.locator("#editor .cm-line", has=page.locator(".cm-lintRange-error, .cm-lintPoint-error"))
    expect(marked).to_contain_text("const [todos] = =")
    gutter_line = page.locator("#editor .cm-lineNumbers .cm-gutterElement").nth(line)  # nth(0) is a spacer
    assert gutter_line.inner_text() == str(line)
    assert abs(page.locator("#editor .cm-lint-marker-error").bounding_box()["y"]  # type: ignore[index]
               - gutter_line.bounding_box()["y"]) < 4  # type: ignore[index]
    assert any(row.startswith(f"src/App.tsx:{line}:") for row in problems(page)), problems(page)
    # The last good build stays on screen.
    expect(preview(page).get_by_text("Write the snapshot format")).to_be_visible()
    expect(page.locator("#file-tree li.has-error[data-path='src/App.tsx']")).to_have_count(1)

    # From another file, clicking the problem opens the file at the spot.
    open_file(page, "src/index.tsx")
    page.locator("#problems li.problem.build").first.click()
    expect(page.locator('#tabs .tab.active[data-path="src/App.tsx"]')).to_be_visible()
    expect(page.locator("#editor .cm-activeLine")).to_contain_text("const [todos] = =")

    # Fixing it builds again and clears the markers.
    edit(page, "src/App.tsx", "  const [todos] = = ", "  const [todos] = ")
    expect(page.locator("#status-build")).to_contain_text("built in")
    expect(page.locator("#editor .cm-lint-marker-error")).to_have_count(0)


def test_runtime_errors_are_shown(session: Session) -> None:
    page = session.open()
    expect(preview(page).get_by_role("button")).to_contain_text("Clicked 0 times")
    edit(page, "main.js", "button.addEventListener(\"click\", () => {\n",
         "button.addEventListener(\"click\", () => {\n  throw new Error(\"boom in a click\");\n")
    preview(page).get_by_role("button").click()
    expect(page.locator("#problems li.problem.runtime")).to_contain_text("boom in a click")

    edit(page, "main.js", "let clicks = 0;", "let clicks = 0;\nconsole.error(\"logged\", 42);\n"
                                             "throw new Error(\"boom at the top\");")
    expect(page.locator("#problems li.problem.runtime")).to_contain_text(["logged 42", "boom at the top"])
    expect(page.locator("#preview-state")).to_have_text("runtime error")
    # Playwright reports the preview's own errors as the page's: these were the point of the test.
    session.page_errors = [error for error in session.page_errors if "boom" not in error]


def test_saved_versions_survive_a_reload(session: Session) -> None:
    page = session.open("?thread=react-todo&version=v1")
    edit(page, "src/App.tsx", "Write the snapshot format", "Write the saved format")
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved react-todo/v5")  # v1-v4 are published
    assert "thread=react-todo&version=v5" in page.url
    assert page.input_value("#version") == "v5"

    page.reload()
    wait_for_build(page)
    expect(preview(page).get_by_text("Write the saved format")).to_be_visible()
    # The menu is filled from IndexedDB after the page opened: wait for it rather than read it at once.
    expect(page.locator('#versions option[value="local:v5"]')).to_have_count(1)
    expect(page.locator('#versions option[value="site:v1"]')).to_have_count(1)

    page.select_option("#versions", "site:v1")
    expect(preview(page).get_by_text("Write the snapshot format")).to_be_visible()
    assert "version=v1" in page.url
    page.select_option("#versions", "local:v5")
    expect(preview(page).get_by_text("Write the saved format")).to_be_visible()

    # A second save never overwrites: it is v6.
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved react-todo/v6")


def test_unsaved_changes_survive_a_reload(session: Session) -> None:
    page = session.open("?thread=react-todo&version=v2")
    edit(page, "src/App.tsx", "<h1>", "<h1>Draft ")
    page.wait_for_timeout(800)  # the draft autosave is debounced
    page.reload()
    wait_for_build(page)
    assert "<h1>Draft " in files(page)["src/App.tsx"]
    expect(page.locator("#notice")).to_contain_text("Restored your unsaved changes")


def test_export_import_round_trip_and_the_export_builds(session: Session, tmp_path: Path) -> None:
    page = session.open("?thread=react-todo&version=v1")
    edit(page, "src/App.tsx", "Bundle a React demo with esbuild", "Exported from the editor")
    with page.expect_download() as download_info:
        page.click("#export")
    exported_path = tmp_path / "exports" / "react-todo-export.json"
    exported_path.parent.mkdir()
    download_info.value.save_as(exported_path)
    exported = json.loads(exported_path.read_text(encoding="utf-8"))
    assert list(exported) == SNAPSHOT_KEYS
    assert exported["format"] == "mkdocs-hybrid/snapshot@1"
    assert (exported["thread"], exported["version"], exported["entry"]) == ("react-todo", "v5", "src/index.tsx")
    assert exported["dependencies"] == {"react": "18.3.1", "react-dom": "18.3.1"}
    assert exported["created"].endswith("Z") and "package.json" not in exported["files"]
    assert "Exported from the editor" in exported["files"]["src/App.tsx"]

    # Import into a fresh page (another context: nothing of the first one's storage).
    other = Session(page.context.browser, session.base_url)  # type: ignore[arg-type]
    try:
        fresh = other.open()
        fresh.set_input_files("#import-file", str(exported_path))
        expect(fresh.locator("#notice")).to_contain_text("Imported react-todo/v5")
        expect(preview(fresh).get_by_text("Exported from the editor")).to_be_visible()
        imported = files(fresh)
        assert {path: text for path, text in imported.items() if path != "package.json"} == exported["files"]
        assert json.loads(imported["package.json"])["dependencies"] == exported["dependencies"]
    finally:
        other.close()

    # The exported file is a snapshot source the site build takes.
    (tmp_path / "hybrid.yml").write_text("sources:\n  - {type: snapshots, path: exports}\n", encoding="utf-8")
    result = run_cli("build", "--manifest", "hybrid.yml", "--site-dir", "site", "--strict", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    artifact = tmp_path / "site/artifacts/react-todo/v5"
    assert (artifact / "page.html").is_file()
    assert "Exported from the editor" in (artifact / "page.html").read_text(encoding="utf-8")


def test_a_quick_share_link_restores_the_files(session: Session, chromium: Browser) -> None:
    page = session.open()
    edit(page, "main.js", "let clicks = 0;", "let clicks = 0; // shared by link")
    page.click("#share")
    link = page.locator("#notice a")
    expect(link).to_be_visible()
    url = link.get_attribute("href") or ""
    assert "#s=" in url and len(url.split("#", 1)[1]) <= 32 * 1024

    other = Session(chromium, session.base_url)
    try:
        other.page.goto(url)
        wait_for_build(other.page)
        restored = files(other.page)
        assert restored["main.js"] == files(page)["main.js"]
        assert "#s=" not in other.page.url
        expect(preview(other.page).get_by_role("button")).to_contain_text("Clicked 0 times")
    finally:
        other.close()

    # Too big for a link: said so, with Export offered instead.
    noise = secrets.token_urlsafe(40_000)
    page.click("#add-file")
    page.keyboard.insert_text("noise.txt")
    page.keyboard.press("Enter")
    replace_text(page, "noise.txt", noise)
    page.click("#share")
    expect(page.locator("#notice.error")).to_contain_text("Too large for a link")
    expect(page.locator("#notice button", has_text="Export")).to_be_visible()


def test_files_can_be_added_renamed_and_deleted(session: Session) -> None:
    page = session.open()
    page.click("#add-file")
    page.keyboard.insert_text("extra.js")
    page.keyboard.press("Enter")
    expect(page.locator('#tabs .tab.active[data-path="extra.js"]')).to_be_visible()
    replace_text(page, "extra.js", "export const extra = 'from another file';\n")
    edit(page, "main.js", "let clicks = 0;", "import { extra } from \"./extra.js\";\n"
                                             "document.querySelector(\"h1\").textContent = extra;\nlet clicks = 0;")
    expect(preview(page).get_by_text("from another file")).to_be_visible()

    page.locator('#file-tree li[data-path="extra.js"] .tree-name').dblclick()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text("lib/extra.js")
    page.keyboard.press("Enter")
    expect(page.locator('#file-tree li[data-path="lib/extra.js"]')).to_be_visible()
    expect(page.locator("#problems li.problem.build")).to_contain_text("extra.js")  # main.js imports the old path
    edit(page, "main.js", "\"./extra.js\"", "\"./lib/extra.js\"")
    expect(page.locator("#status-build")).to_contain_text("built in")

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator('#file-tree li[data-path="lib/extra.js"]').hover()
    page.locator('#file-tree li[data-path="lib/extra.js"] button[title^="Delete"]').click()
    expect(page.locator('#file-tree li[data-path="lib/extra.js"]')).to_have_count(0)
    expect(page.locator("#status-build")).to_contain_text("build failed")


def test_fork_starts_a_new_thread(session: Session) -> None:
    page = session.open("?thread=react-todo&version=v3")
    before = files(page)
    page.click("#fork")
    expect(page.locator("#thread")).to_have_value(re.compile(r"^react-todo-[0-9a-f]{8}$"))
    expect(page.locator("#version")).to_have_value("v1")  # set once IndexedDB said which ids are taken
    thread = page.input_value("#thread")
    assert f"thread={thread}" in page.url and "version=" not in page.url
    assert files(page) == before
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text(f"Saved {thread}/v1")


def test_under_serve_a_saved_version_is_posted_with_the_token(session: Session) -> None:
    posted: list[dict[str, Any]] = []

    def api(route: Route) -> None:
        request = route.request
        posted.append({"token": request.headers.get("x-hybrid-token"), "body": request.post_data_json})
        if len(posted) == 1:
            route.fulfill(status=201, json={"thread": "react-todo", "version": "v5",
                                            "share_url": "../p/react-todo/v5/"})
        else:
            route.fulfill(status=409, json={"error": "react-todo/v6 exists already"})

    page = session.page
    page.route("**/api/versions", api)
    page.goto(f"{session.base_url}/editor/?thread=react-todo&version=v1#token=secret-token")
    wait_for_build(page)
    assert "token" not in page.url
    assert page.evaluate("() => sessionStorage.getItem('mkdocs-hybrid-token')") == "secret-token"
    page.click("#save")
    expect(page.locator("#notice a")).to_have_attribute("href", f"{session.base_url}/p/react-todo/v5/")
    assert posted[0]["token"] == "secret-token"
    assert list(posted[0]["body"]) == SNAPSHOT_KEYS and posted[0]["body"]["version"] == "v5"
    page.click("#save")
    expect(page.locator("#notice.error span").first).to_have_text("Not saved: react-todo/v6 exists already")


def test_the_layout_is_tidy(session: Session, tmp_path: Path) -> None:
    page = session.open("?thread=react-todo&version=v1")
    expect(preview(page).get_by_text("Todo")).to_be_visible()
    box = {name: page.locator(selector).bounding_box() for name, selector in {
        "toolbar": ".toolbar", "files": ".files", "code": ".code", "preview": ".preview",
        "problems": ".problems", "status": ".status"}.items()}
    assert all(box.values()), box
    toolbar, files_, code, preview_, problems_, status = (box[name] for name in (
        "toolbar", "files", "code", "preview", "problems", "status"))
    assert toolbar is not None and files_ is not None and code is not None and preview_ is not None
    assert problems_ is not None and status is not None
    assert toolbar["y"] == 0 and toolbar["height"] < 60
    assert files_["x"] < code["x"] < preview_["x"], "files left, code middle, preview right"
    assert code["width"] > 400 and preview_["width"] > 400 and code["height"] > 400
    assert problems_["y"] >= code["y"] + code["height"] - 1 and status["y"] >= problems_["y"] + problems_["height"] - 1
    assert status["y"] + status["height"] <= 860 + 1, "nothing below the fold"
    page.screenshot(path=str(tmp_path / "editor.png"))


def test_a_published_version_without_its_source_says_why(chromium: Browser, sample_site_mkdocs: Path,
                                                         tmp_path: Path) -> None:
    """A version whose source is not published (binary files, or published before sources were) cannot be
    opened; the editor says so rather than claiming it does not exist."""
    site = tmp_path / "site"
    shutil.copytree(sample_site_mkdocs, site)
    (site / "artifacts" / "svg-chart" / "v1" / "source.json").unlink()
    with serve_static(site) as base_url:
        session = Session(chromium, base_url)
        try:
            session.page.goto(f"{base_url}/editor/?thread=svg-chart&version=v1")
            expect(session.page.locator("#notice")).to_contain_text("svg-chart/v1 is published without its source")
            session.page.goto(f"{base_url}/editor/?thread=svg-chart&version=v9")
            expect(session.page.locator("#notice")).to_contain_text("neither saved in this browser nor published")
        finally:
            session.close()


def serve_recipe(session: Session, change: Callable[[dict[str, Any]], None]) -> None:
    """Serve the site's recipe with ``change`` made to it (to the page and to its worker)."""
    def fulfil(route: Route) -> None:
        response = route.fetch()
        recipe = response.json()
        change(recipe)
        route.fulfill(response=response, json=recipe)

    session.context.route("**/editor/recipe.*.json", fulfil)


def test_the_page_checks_snapshots_and_ids_by_the_recipes_rules(session: Session) -> None:
    """The page keeps no copy of the snapshot rules: other rules in the recipe, other decisions."""
    def change(recipe: dict[str, Any]) -> None:
        recipe["snapshot"].update(format="mkdocs-hybrid/snapshot@9", id_pattern="[a-z0-9-]{1,10}")

    serve_recipe(session, change)
    page = session.page
    page.goto(f"{session.base_url}/editor/?thread=react-todo&version=v1")
    expect(page.locator("#notice")).to_contain_text('not a snapshot file: "format" must be "mkdocs-hybrid/snapshot@9"')
    wait_for_build(page)  # the starter project instead, whose draft-… id is too long for these rules
    expect(page.locator("#thread")).to_have_class(re.compile(r"\binvalid\b"))
    page.fill("#thread", "react-todo-2")
    page.dispatch_event("#thread", "change")
    expect(page.locator("#notice.error")).to_contain_text("The thread id must match [a-z0-9-]{1,10}.")


def test_without_its_recipe_the_page_says_so_and_opens_nothing(session: Session) -> None:
    session.context.route("**/editor/recipe.*.json", lambda route: route.fulfill(status=404, body="gone"))
    page = session.page
    page.goto(f"{session.base_url}/editor/")
    expect(page.locator("#status-build")).to_have_text("the build worker did not start")
    expect(page.locator("#notice.error")).to_contain_text("recipe")
    assert files(page) == {}


def test_the_new_menu_starts_a_thread_from_each_template_of_mkdocs_hybrid_new(session: Session) -> None:
    from mkdocs_hybrid.sources.starters import STARTERS, load_starter

    page = session.open()
    options = page.locator("#new option").evaluate_all("options => options.map(o => o.value).filter(Boolean)")
    assert options == list(STARTERS), "the same templates as `mkdocs-hybrid new`, in its order"
    before = page.locator("#thread").input_value()

    page.locator("#new").select_option("svg")
    wait_for_build(page)
    assert page.locator("#thread").input_value().startswith("svg-") and page.locator("#thread").input_value() != before
    assert page.locator("#version").input_value() == "v1"
    assert sorted(files(page)) == sorted(load_starter("svg").files)
    expect(preview(page).locator("svg rect")).to_have_count(7)
    assert page.locator("#new").input_value() == "", "the menu is ready for the next choice"

    page.locator("#new").select_option("react")
    expect(page.locator("#file-tree")).to_contain_text("package.json")
    assert "src/App.jsx" in files(page)
    expect(page.locator("#title")).to_have_value(load_starter("react").title)


def assert_one_toolbar_row(page: Page) -> None:
    boxes = page.locator(".toolbar > *").evaluate_all(
        "items => items.filter(i => i.offsetParent && i.offsetHeight).map(i => [i.id || i.className,"
        " i.getBoundingClientRect().top,"
        " i.getBoundingClientRect().bottom])")
    assert max(top for _, top, _ in boxes) < min(bottom for _, _, bottom in boxes), f"the toolbar wraps: {boxes}"


def test_the_toolbar_keeps_one_row_at_1280_px_also_after_saves(session: Session) -> None:
    page = session.open()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.locator("#new").select_option("react")
    assert_one_toolbar_row(page)
    page.fill("#title", "A title long enough to fill its whole field and more")
    for number in (1, 2):  # each save lists a dated entry in the versions menu
        page.click("#save")
        expect(page.locator("#notice")).to_contain_text(f"/v{number}")
    expect(page.locator('#versions option[value="local:v2"]')).to_have_count(1)
    assert_one_toolbar_row(page)


# ---- issue 20, item 12: console, panes, preview buttons, shortcuts, problems ----------------------------------


def console_lines(page: Page) -> list[str]:
    return page.locator("#console li.console-line").all_inner_texts()


def test_the_console_panel_shows_what_the_demo_logs_and_clear_empties_it(session: Session) -> None:
    page = session.open()
    edit(page, "main.js", "let clicks = 0;",
         'let clicks = 0;\nconsole.log("hello", {a: 1});\nconsole.info("for your information");\n'
         'console.warn("careful");\nconsole.error("went wrong", 42);\n'
         'button.addEventListener("click", () => console.log("clicked"));')
    expect(page.locator("#console li.console-line")).to_have_text(
        ['hello {"a":1}', "for your information", "careful", "went wrong 42"])
    assert page.locator("#console li.console-line.warn").inner_text() == "careful"
    assert page.locator("#console li.console-line.error").inner_text() == "went wrong 42"
    expect(page.locator("#console-count")).to_have_text("4")
    # console.error is a problem too, as before.
    expect(page.locator("#problems li.problem.runtime")).to_contain_text(["went wrong 42"])

    preview(page).get_by_role("button").click()
    expect(page.locator("#console li.console-line").last).to_have_text("clicked")

    page.get_by_role("button", name="Clear").click()
    expect(page.locator("#console li.console-line")).to_have_count(0)
    expect(page.locator("#console-count")).to_have_text("0")
    expect(page.locator("#console")).to_be_visible()

    # An uncaught error shows in the console as well as among the problems.
    edit(page, "main.js", 'console.info("for your information");\n',
         'console.info("for your information");\nsetTimeout(() => { throw new Error("boom later"); }, 0);\n')
    expect(page.locator("#console li.console-line.error", has_text="boom later")).to_have_count(1)
    expect(page.locator("#problems li.problem.runtime", has_text="boom later")).to_have_count(1)
    session.page_errors = [error for error in session.page_errors if "boom" not in error]


def test_reload_preview_runs_the_demo_again(session: Session) -> None:
    page = session.open()
    button = preview(page).get_by_role("button")
    button.click()
    button.click()
    expect(button).to_have_text("Clicked 2 times")
    page.get_by_role("button", name="Reload preview").click()
    expect(preview(page).get_by_role("button")).to_have_text("Clicked 0 times")


def test_open_in_new_tab_shows_the_demo_in_a_sandboxed_page(session: Session) -> None:
    page = session.open()
    edit(page, "main.js", "let clicks = 0;", "let clicks = 0;\nbutton.textContent = \"Opened on its own\";")
    expect(preview(page).get_by_role("button")).to_have_text("Opened on its own")
    with session.context.expect_page() as opened:
        page.get_by_role("button", name="Open in new tab").click()
    tab = opened.value
    tab.on("pageerror", lambda error: session.page_errors.append(str(error)))
    assert tab.url.startswith("blob:"), tab.url
    demo = tab.frame_locator("iframe")
    expect(demo.get_by_role("button")).to_have_text("Opened on its own")
    demo.get_by_role("button").click()
    expect(demo.get_by_role("button")).to_have_text("Clicked 1 time")
    # The demo runs in an opaque origin there too, never with the editor's storage.
    assert tab.locator("iframe").get_attribute("sandbox") == "allow-scripts"
    assert demo.locator("body").evaluate("() => origin") == "null"


def pane_sizes(page: Page) -> dict[str, float]:
    return dict(page.evaluate("""() => ({
        files: document.getElementById("files-pane").getBoundingClientRect().width,
        code: document.getElementById("code-pane").getBoundingClientRect().width,
        bottom: document.getElementById("problems-pane").getBoundingClientRect().height,
        console: document.getElementById("console-pane").getBoundingClientRect().height})"""))


def test_the_panes_resize_by_dragging_and_by_arrow_keys_and_keep_their_sizes(session: Session) -> None:
    page = session.open()
    before = pane_sizes(page)
    handle = page.locator("#resize-files")
    assert handle.get_attribute("role") == "separator"
    box = handle.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + 200, steps=5)
    page.mouse.move(box["x"] + box["width"] / 2 + 100, box["y"] + 200, steps=5)
    page.mouse.up()
    dragged = pane_sizes(page)
    assert abs(dragged["files"] - (before["files"] + 100)) <= 2, (before, dragged)
    assert handle.get_attribute("aria-valuenow") == str(round(dragged["files"]))

    # The keyboard: arrow keys on a focused separator.
    page.locator("#resize-bottom").focus()
    for _ in range(3):
        page.keyboard.press("ArrowUp")
    code_separator = page.locator("#resize-code")
    code_separator.focus()
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    after = pane_sizes(page)
    assert abs(after["bottom"] - (before["bottom"] + 48)) <= 2, (before, after)
    assert after["console"] == after["bottom"], "the problems and console panes are one row"
    assert after["code"] < dragged["code"] - 40, (dragged, after)
    assert code_separator.get_attribute("aria-valuenow") == "40"
    assert page.locator("#resize-bottom").get_attribute("aria-valuenow") == str(round(after["bottom"]))

    page.reload()
    wait_for_build(page)
    assert pane_sizes(page) == after, "the sizes are remembered"
    assert code_separator.get_attribute("aria-valuenow") == "40"


def test_the_shortcuts_dialog_opens_with_the_question_mark_and_the_shortcuts_work(session: Session) -> None:
    page = session.open()
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    page.locator(".status").click()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    for line in ("Ctrl/Cmd S", "Ctrl/Cmd Enter", "Ctrl/Cmd F", "Esc"):
        expect(dialog).to_contain_text(line)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="?").click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # In the code, "?" is a character and Ctrl-Enter rebuilds without inserting a line.
    open_file(page, "main.js")
    page.locator("#editor .cm-line", has_text="let clicks = 0;").click()
    page.keyboard.press("End")
    page.keyboard.type(" // why?")
    expect(dialog).to_be_hidden()
    page.wait_for_function("() => window.hybridEditor.state.files['main.js'].includes('let clicks = 0; // why?')")
    wait_for_build(page)
    preview(page).get_by_role("button").click()
    expect(preview(page).get_by_role("button")).to_have_text("Clicked 1 time")
    text = files(page)["main.js"]
    page.locator("#editor .cm-line", has_text="let clicks = 0;").click()  # the keys go to the page, not the demo
    page.keyboard.press("Control+Enter")
    expect(preview(page).get_by_role("button")).to_have_text("Clicked 0 times")
    assert files(page)["main.js"] == text

    # Ctrl-S keeps the draft now; it is there after a reload.
    page.keyboard.press("Control+s")
    expect(page.locator("#status-save")).to_have_text("draft saved in this browser · Save version makes a version")
    page.reload()
    wait_for_build(page)
    assert "let clicks = 0; // why?" in files(page)["main.js"]

    # Ctrl-F from outside the code opens the code's search; Escape closes it.
    page.locator(".status").click()
    page.keyboard.press("Control+f")
    expect(page.locator("#editor .cm-search")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#editor .cm-search")).to_have_count(0)


def test_a_dependency_problem_is_listed_once(session: Session) -> None:
    page = session.open("?thread=react-todo&version=v1")
    deps = json.loads(files(page)["package.json"])
    deps["dependencies"]["left-pad"] = "1.3.0"
    replace_text(page, "package.json", json.dumps(deps, indent=2) + "\n")
    expect(page.locator("#status-build")).to_contain_text("build failed: 1 problem")
    rows = problems(page)
    assert len(rows) == 1 and "left-pad@1.3.0" in rows[0] and "is not published on this site" in rows[0], rows
    expect(page.locator("#problem-count")).to_have_text("1")


def test_a_runtime_error_goes_away_with_the_next_build(session: Session) -> None:
    page = session.open()
    edit(page, "main.js", "let clicks = 0;", "let clicks = 0;\nthrow new Error(\"boom at the top\");")
    expect(page.locator("#problems li.problem.runtime")).to_have_text(re.compile("boom at the top"))
    # A build that fails: its own problems, not the last run's.
    edit(page, "main.js", "throw new Error(\"boom at the top\");", "throw new Error(\"boom at the top\"));")
    expect(page.locator("#status-build")).to_contain_text("build failed")
    expect(page.locator("#problems li.problem.runtime")).to_have_count(0)
    # The fix: no problem left.
    edit(page, "main.js", "throw new Error(\"boom at the top\"));", "")
    expect(page.locator("#status-build")).to_contain_text("built in")
    expect(page.locator("#problems li.problem:not(.none)")).to_have_count(0)
    expect(page.locator("#preview-state")).to_have_text("")
    session.page_errors = [error for error in session.page_errors if "boom" not in error]


def test_a_share_page_opens_its_version_in_the_editor(session: Session, sample_site_mkdocs: Path) -> None:
    page = session.page
    page.goto(f"{session.base_url}/p/react-todo/v1/")
    link = page.get_by_role("link", name="Open in editor")
    expect(link).to_have_attribute("href", "../../../editor/?thread=react-todo&version=v1")
    link.click()
    wait_for_build(page)
    assert page.url == f"{session.base_url}/editor/?thread=react-todo&version=v1"
    assert page.input_value("#thread") == "react-todo" and page.input_value("#version") == "v1"
    expect(preview(page).get_by_text("Sketch the gallery layout")).to_be_visible()


def test_the_editor_with_its_console_at_1280_px(session: Session) -> None:
    """The screenshot of issue 20 (editor, after): the console panel with lines of each level."""
    page = session.open()
    page.set_viewport_size({"width": 1280, "height": 800})
    edit(page, "main.js", "let clicks = 0;",
         'let clicks = 0;\nconsole.log("the demo started", {clicks});\nconsole.warn("a warning");\n'
         'console.error("an error");\nbutton.addEventListener("click", () => console.info("clicked", clicks));')
    preview(page).get_by_role("button").click()
    expect(page.locator("#console li.console-line")).to_have_count(4)
    out = Path("/tmp/shots20")
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / "editor-after.png"))
