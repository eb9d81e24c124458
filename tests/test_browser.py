"""The built sample site in a real browser (Debian Chromium through Playwright).

One Chromium per module, a fresh browser context per test. The site is the
session's real ``mkdocs build`` of the sample project (``conftest.py``), served
in these ways:

- ``static``: ``python -m http.server``, a plain file server that knows nothing
  of ``_headers`` / ``_redirects`` (any static host);
- ``wrangler``: ``wrangler pages dev`` (``tests/wrangler_dev.py``), Cloudflare's
  own asset server with the edge rules applied;
- for the 404 page, a file server in this process that answers unknown paths
  with ``404.html``, as Pages, GitHub Pages and most static hosts do.

Share links are enumerated from ``artifacts/*/*/meta.json``; which version
``latest`` should reach is computed from the sources (``thread.yml``'s pinned
``latest``, else the newest ``created``), never read from ``_redirects``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser import (
    HAS_CONTENT_JS,
    VISIBLE_CONTENT_JS,
    PageProblems,
    RequestLog,
    Version,
    built_versions,
    expected_latest,
    has_content,
    serve_in_thread,
    serve_static,
    source_text,
    thread_config,
    threads_of,
)
from tests.wrangler_dev import serve_with_wrangler

pytestmark = pytest.mark.browser

IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
CONTENT_TIMEOUT_MS = 10_000
"""How long a demo may take to show something (React apps render after their bundle runs)."""
SETTLE_MS = 300
"""Quiet time after a demo rendered, so errors thrown by its first frames/effects are caught too."""
NAVIGATION_TIMEOUT_MS = 15_000
PHONE = {"width": 390, "height": 844}


# ---- fixtures ------------------------------------------------------------------------------




@dataclass
class Session:
    """One browser context and every request it made."""

    context: BrowserContext
    requests: RequestLog

    def new_page(self) -> tuple[Page, PageProblems]:
        page = self.context.new_page()
        page.set_default_timeout(NAVIGATION_TIMEOUT_MS)
        return page, PageProblems().attach(page)


@pytest.fixture
def open_session(chromium: Browser) -> Iterator[Callable[..., Session]]:
    """Open a new browser context (``new_context`` options pass through); closed after the test."""
    contexts: list[BrowserContext] = []

    def open_(**options: object) -> Session:
        context = chromium.new_context(**options)
        contexts.append(context)
        return Session(context, RequestLog().attach(context))

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def session(open_session: Callable[..., Session]) -> Session:
    return open_session()


@pytest.fixture(scope="module")
def static_server() -> Iterator[Callable[[Path], str]]:
    """Start (once per site) a plain ``http.server`` for a site folder and return its base URL."""
    with ExitStack() as stack:
        started: dict[Path, str] = {}

        def serve(site_dir: Path) -> str:
            if site_dir not in started:
                started[site_dir] = stack.enter_context(serve_static(site_dir))
            return started[site_dir]

        yield serve


@pytest.fixture(scope="module")
def static_site(static_server: Callable[[Path], str], sample_site_mkdocs: Path) -> str:
    return static_server(sample_site_mkdocs)


@pytest.fixture(scope="module")
def wrangler_site(sample_site_mkdocs: Path) -> Iterator[str]:
    with serve_with_wrangler(sample_site_mkdocs) as base_url:
        yield base_url


@pytest.fixture(params=[pytest.param("static"), pytest.param("wrangler", marks=pytest.mark.wrangler)])
def share_server(request: pytest.FixtureRequest) -> str:
    """The default-theme sample site's base URL, on each kind of server."""
    return str(request.getfixturevalue(f"{request.param}_site"))


@pytest.fixture(params=["mkdocs", "material"])
def themed_site(request: pytest.FixtureRequest, static_server: Callable[[Path], str]) -> tuple[Path, str]:
    """``(site_dir, base_url)`` of the sample site built with each theme, on a static server."""
    site_dir = Path(request.getfixturevalue(f"sample_site_{request.param}"))
    return site_dir, static_server(site_dir)


@pytest.fixture(scope="module")
def versions(sample_site_mkdocs: Path) -> list[Version]:
    return built_versions(sample_site_mkdocs)


@pytest.fixture(scope="module")
def latest(sample_site_mkdocs: Path, versions: list[Version]) -> dict[str, str]:
    return expected_latest(sample_site_mkdocs.parent, versions)


# ---- checks ----------------------------------------------------------------------------------


def check_share_page(page: Page, base_url: str, entry: Version, *, path: str | None = None) -> list[str]:
    """Open a share page (or ``path`` that should end on it) and return what is wrong with it."""
    url = base_url + (path or entry.share_path)
    expected_url = base_url + entry.share_path
    response = page.goto(url)
    if response is None or response.status != 200:
        return [f"GET {url}: status {response.status if response else 'none'} (ended on {page.url})"]
    if path is not None and page.url != expected_url:
        page.wait_for_url(expected_url)  # a fallback page that moves on by itself (meta refresh)
    problems: list[str] = []
    if page.url != expected_url:
        return [f"ended on {page.url}, expected {expected_url}"]

    frames = page.locator("iframe")
    if frames.count() != 1:
        return [f"share page has {frames.count()} iframes, expected 1"]
    frame_element = frames.first
    sandbox = frame_element.get_attribute("sandbox")
    if sandbox is None:
        problems.append("iframe has no sandbox attribute")
    elif "allow-same-origin" in sandbox.split():
        problems.append(f"iframe sandbox allows the site's origin: {sandbox!r}")
    artifact_url = base_url + entry.artifact_path + "page.html"
    src = frame_element.evaluate("element => element.src")
    if src != artifact_url:
        problems.append(f"iframe src is {src}, expected {artifact_url}")
    box = frame_element.bounding_box()
    if box is None or box["width"] < 100 or box["height"] < 100:
        problems.append(f"iframe is not shown at a usable size: {box}")

    frame = frame_element.element_handle().content_frame()
    if frame is None:
        return [*problems, "iframe has no content frame"]
    if frame.url != artifact_url:
        problems.append(f"frame ended on {frame.url} (a redirect?), expected {artifact_url}")
    origin = frame.evaluate("() => self.origin")
    if origin != "null":
        problems.append(f"demo runs with origin {origin!r}, expected an opaque origin ('null')")
    try:
        frame.wait_for_function(HAS_CONTENT_JS, timeout=CONTENT_TIMEOUT_MS)
    except PlaywrightError:
        found = frame.evaluate(VISIBLE_CONTENT_JS)
        if not has_content(found):
            problems.append(f"demo shows nothing visible after {CONTENT_TIMEOUT_MS} ms: {found}")
    return problems


def format_failures(failures: dict[str, list[str]]) -> str:
    return "\n".join(f"  {name}:\n" + "\n".join(f"    - {line}" for line in lines) for name, lines in failures.items())


def cache_control(response: httpx.Response) -> list[str]:
    """Every ``Cache-Control`` header line, unjoined (so duplicates show)."""
    return response.headers.get_list("cache-control")


# ---- 1. share links --------------------------------------------------------------------------


def test_every_share_link_renders_its_demo(share_server: str, versions: list[Version], session: Session) -> None:
    """Each ``/p/{thread}/{version}/`` shows its demo in a sandboxed frame, quietly and offline.

    What "shows its demo" means is in ``tests.browser.VISIBLE_CONTENT_JS``:
    something inside the frame's viewport with a non-zero box that is visible
    text, an SVG with shapes, a painted canvas, or a running animation.
    """
    failures: dict[str, list[str]] = {}
    for entry in versions:
        page, console = session.new_page()
        try:
            problems = check_share_page(page, share_server, entry)
            page.wait_for_timeout(SETTLE_MS)
        except PlaywrightError as error:
            problems = [f"{type(error).__name__}: {error.message.splitlines()[0]}"]
        problems += console.messages
        page.close()
        if problems:
            failures[f"{entry.share_path} ({entry.title})"] = problems
    leaving = session.requests.outside(share_server)
    assert not failures, f"{len(failures)} of {len(versions)} share links failed:\n{format_failures(failures)}"
    assert not leaving, "requests left the site:\n" + "\n".join(leaving)
    assert any(url.endswith("/page.html") for url in session.requests.urls), "no artifact frame was ever loaded"


def test_share_link_fits_a_phone(static_site: str, versions: list[Version],
                                 open_session: Callable[..., Session], tmp_path: Path) -> None:
    """On a 390x844 phone the share bar fits the width and the demo frame fills the rest of the screen."""
    session = open_session(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    failures: dict[str, list[str]] = {}
    for entry in versions:
        page, console = session.new_page()
        problems = check_share_page(page, static_site, entry)
        layout = page.evaluate(
            """() => {
              const box = (element) => { const r = element.getBoundingClientRect();
                return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                        width: r.width, height: r.height}; };
              return {
                scrollWidth: document.documentElement.scrollWidth,
                title: (({scrollWidth, clientWidth, textContent}) => ({scrollWidth, clientWidth, text: textContent}))(
                  document.querySelector("header h1")),
                frame: box(document.querySelector("iframe")),
                barItems: Array.from(document.querySelectorAll("header a, header span, header h1"))
                  .map((element) => ({text: element.textContent.trim(), ...box(element)})),
              };
            }"""
        )
        if layout["scrollWidth"] > PHONE["width"]:
            problems.append(f"page scrolls sideways: scrollWidth {layout['scrollWidth']} > {PHONE['width']}")
        frame = layout["frame"]
        if frame["width"] < PHONE["width"] - 1 or frame["bottom"] < PHONE["height"] - 1:
            problems.append(f"frame does not fill the screen: {frame}")
        if frame["height"] < PHONE["height"] * 0.8:
            problems.append(f"frame gets less than 80% of the screen height: {frame['height']:.0f} px")
        title = layout["title"]
        if title["clientWidth"] < min(title["scrollWidth"], 0.6 * PHONE["width"]):
            problems.append(f"title {title['text']!r} squeezed to {title['clientWidth']} of {title['scrollWidth']} px")
        for item in layout["barItems"]:
            if item["right"] > PHONE["width"] + 0.5 or item["left"] < -0.5:
                problems.append(f"bar item {item['text']!r} is cut off: x {item['left']:.0f}..{item['right']:.0f}")
        if entry == versions[0] or problems:
            page.screenshot(path=str(tmp_path / f"phone-{entry.thread}-{entry.version}.png"))
        problems += console.messages
        page.close()
        if problems:
            failures[entry.share_path] = problems
    assert not failures, f"share pages on a phone (screenshots in {tmp_path}):\n{format_failures(failures)}"


# ---- 2. latest at the edge -------------------------------------------------------------------


@pytest.mark.wrangler
def test_latest_is_a_302_to_the_right_version(wrangler_site: str, sample_site_mkdocs: Path, versions: list[Version],
                                              latest: dict[str, str], session: Session) -> None:
    """``/p/{t}/latest`` and ``/p/{t}/latest/`` answer 302 to the pinned, else the newest, version."""
    project = sample_site_mkdocs.parent
    newest = {thread: max(entries, key=lambda entry: entry.created or "").version
              for thread, entries in threads_of(versions).items()}
    pins_older = [thread for thread in latest
                  if thread_config(project, thread).get("latest") and latest[thread] != newest[thread]]
    assert pins_older, "no sample thread pins an older version as latest: this test would not cover pinning"

    wrong: dict[str, list[str]] = {}
    with httpx.Client(base_url=wrangler_site, follow_redirects=False, timeout=10) as client:
        for thread, version in latest.items():
            target = f"{wrangler_site}/p/{thread}/{version}/"
            for path in (f"/p/{thread}/latest", f"/p/{thread}/latest/"):
                response = client.get(path)
                location = urljoin(f"{wrangler_site}{path}", response.headers.get("location", ""))
                if response.status_code != 302 or location != target:
                    wrong.setdefault(thread, []).append(
                        f"GET {path}: {response.status_code}, Location {response.headers.get('location')!r}, "
                        f"expected 302 to {target}"
                    )
    assert not wrong, f"latest redirects (pinned: {pins_older}):\n{format_failures(wrong)}"

    failures: dict[str, list[str]] = {}
    by_id = {(entry.thread, entry.version): entry for entry in versions}
    for thread, version in latest.items():
        page, console = session.new_page()
        try:
            problems = check_share_page(page, wrangler_site, by_id[thread, version], path=f"/p/{thread}/latest")
        except PlaywrightError as error:
            problems = [f"{type(error).__name__}: {error.message.splitlines()[0]}"]
        problems += console.messages
        page.close()
        if problems:
            failures[f"/p/{thread}/latest"] = problems
    assert not failures, f"browser following latest:\n{format_failures(failures)}"
    assert not session.requests.outside(wrangler_site)


# ---- 3. cache headers at the edge ------------------------------------------------------------


STORE_AND_SAY = """() => {
  try { localStorage.setItem("probe", "1"); return "stored"; } catch (error) { return error.name; }
}"""


@pytest.mark.wrangler
def test_an_artifact_opened_directly_runs_in_an_opaque_origin(wrangler_site: str, session: Session,
                                                              versions: list[Version]) -> None:
    """A posted link to ``/artifacts/.../page.html`` opens the demo as a top-level page: the edge's
    ``Content-Security-Policy: sandbox`` still gives it an opaque origin, without the site's storage."""
    page, _ = session.new_page()
    page.goto(f"{wrangler_site}/gallery/")
    assert page.evaluate("self.origin") == wrangler_site and page.evaluate(STORE_AND_SAY) == "stored"
    react = next(entry for entry in versions if entry.thread == "react-todo")
    page.goto(wrangler_site + react.artifact_path + "page.html")
    assert page.evaluate("self.origin") == "null"
    assert page.evaluate(STORE_AND_SAY) == "SecurityError"
    expect(page.locator("#root h1")).to_be_visible()  # and the demo still runs (React rendered its heading)


@pytest.mark.wrangler
def test_cache_control_at_the_edge(wrangler_site: str, versions: list[Version]) -> None:
    """Versioned paths are immutable, ``latest`` is ``no-cache``: one exact value, never two joined."""
    wrong: list[str] = []

    def check(client: httpx.Client, path: str, status: int, value: str) -> None:
        response = client.get(path)
        got = cache_control(response)
        if response.status_code != status or got != [value]:
            wrong.append(f"GET {path}: {response.status_code} Cache-Control {got}, expected {status} [{value!r}]")

    with httpx.Client(base_url=wrangler_site, follow_redirects=False, timeout=10) as client:
        for entry in versions:
            for name in ("page.html", "style.css"):
                check(client, entry.artifact_path + name, 200, IMMUTABLE)
            # meta.json lists media a later build may make again (publish.artifacts.DERIVED_FILES)
            check(client, entry.artifact_path + "meta.json", 200, "public, max-age=300")
            check(client, entry.share_path, 200, IMMUTABLE)
        for thread in threads_of(versions):
            check(client, f"/p/{thread}/latest", 302, NO_CACHE)
            check(client, f"/p/{thread}/latest/", 302, NO_CACHE)
    assert not wrong, "Cache-Control:\n" + "\n".join(wrong)


# ---- 4. latest on a plain static host ----------------------------------------------------------


def test_latest_fallback_page_on_a_static_host(static_site: str, versions: list[Version], latest: dict[str, str],
                                               session: Session) -> None:
    """Without ``_redirects`` the ``p/{t}/latest/`` page itself brings the browser to the right version."""
    by_id = {(entry.thread, entry.version): entry for entry in versions}
    failures: dict[str, list[str]] = {}
    for thread, version in latest.items():
        for path in (f"/p/{thread}/latest/", f"/p/{thread}/latest"):
            page, console = session.new_page()
            try:
                problems = check_share_page(page, static_site, by_id[thread, version], path=path)
            except PlaywrightError as error:
                problems = [f"{type(error).__name__}: {error.message.splitlines()[0]}"]
            problems += console.messages
            page.close()
            if problems:
                failures[path] = problems
    assert not failures, f"latest fallback pages:\n{format_failures(failures)}"
    assert not session.requests.outside(static_site)


# ---- 5. gallery ------------------------------------------------------------------------------


def filter_queries(project: Path, threads: list[str]) -> dict[str, str]:
    """For some threads, a word of its title that no other thread's sources mention.

    Typed as it appears in the title (mixed case), so the filter's case folding
    is exercised too. The oracle is the sources, not the page's search data.
    """
    texts = {thread: source_text(project, thread) for thread in threads}
    queries = {}
    for thread in threads:
        title = thread_config(project, thread).get("title") or ""
        for word in title.split():
            others = [text for other, text in texts.items() if other != thread]
            if len(word) >= 4 and not any(word.lower() in text for text in others):
                queries[thread] = word
                break
    return queries


SHOWN_CARDS_ARE = "n => document.querySelectorAll('[data-hg-cards] > li:not([hidden])').length === n"


def test_gallery_filter(themed_site: tuple[Path, str], session: Session) -> None:
    """Typing part of a thread's title leaves only its card; clearing the filter shows them all."""
    site_dir, base_url = themed_site
    threads = sorted(threads_of(built_versions(site_dir)))
    listed = [thread for thread in threads if not thread_config(site_dir.parent, thread).get("unlisted")]
    queries = filter_queries(site_dir.parent, listed)
    assert len(queries) >= 2, f"no distinctive title words to filter by: {queries}"

    page, console = session.new_page()
    page.goto(f"{base_url}/gallery/")
    cards = page.locator("[data-hg-cards] > li")
    query_box = page.locator("[data-hg-query]")
    query_box.wait_for(state="visible")

    def shown() -> list[str]:
        return [card.get_attribute("data-hg-id") or "?" for card in cards.all() if card.is_visible()]

    assert sorted(shown()) == sorted(listed), "before filtering, every listed thread has a visible card"
    for thread, query in sorted(queries.items())[:3]:
        query_box.click()
        query_box.press_sequentially(query)
        page.wait_for_function(SHOWN_CARDS_ARE, arg=1)
        assert shown() == [thread], f"filter {query!r}: expected only {thread}"
        query_box.fill("")
        page.wait_for_function(SHOWN_CARDS_ARE, arg=len(listed))
        assert sorted(shown()) == sorted(listed), f"clearing {query!r} shows every card again"

    query_box.fill("no-such-demo-anywhere")
    expect_empty = page.locator("[data-hg-empty]")
    expect_empty.wait_for(state="visible")
    assert shown() == []
    expect_empty.get_by_role("button").click()
    assert sorted(shown()) == sorted(listed), "'Clear filters' shows every card again"
    assert query_box.input_value() == ""

    page.close()
    assert not console.messages, "\n".join(console.messages)
    assert not session.requests.outside(base_url), session.requests.outside(base_url)


def test_gallery_thread_pages(themed_site: tuple[Path, str], open_session: Callable[..., Session]) -> None:
    """Each thread page links every version's share page, copies a share link, and previews the latest version.

    - every version has a link to its share page and a field showing its absolute URL;
    - every version has a visible copy button; clicking one says "Copied!" and
      puts that version's absolute share URL on the clipboard;
    - the inline preview is a sandboxed frame (no ``allow-same-origin``) of the
      latest version (same oracle as ``/p/{t}/latest``) and renders once scrolled to;
    - "Show live preview" on another version loads that version's artifact.
    """
    site_dir, base_url = themed_site
    versions = built_versions(site_dir)
    latest = expected_latest(site_dir.parent, versions)
    session = open_session()
    session.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    failures: dict[str, list[str]] = {}
    for thread, entries in threads_of(versions).items():
        if thread_config(site_dir.parent, thread).get("unlisted"):
            continue
        page, console = session.new_page()
        try:
            page.goto(f"{base_url}/gallery/{thread}/")
            problems = check_thread_page(page, base_url, entries, latest[thread])
        except PlaywrightError as error:
            problems = [f"{type(error).__name__}: {error.message.splitlines()[0]}"]
        problems += console.messages
        page.close()
        if problems:
            failures[f"/gallery/{thread}/"] = problems
    assert not failures, f"thread pages ({site_dir.parent.name}):\n{format_failures(failures)}"
    assert not session.requests.outside(base_url), session.requests.outside(base_url)


def check_thread_page(page: Page, base_url: str, entries: list[Version], latest: str) -> list[str]:
    problems: list[str] = []
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)")
    fields = page.eval_on_selector_all("input[data-hg-url]", "fields => fields.map(field => field.value)")
    for entry in entries:
        share_url = base_url + entry.share_path
        if share_url not in hrefs:
            problems.append(f"no link to {share_url}")
        if share_url not in fields:
            problems.append(f"no share field showing {share_url} (fields: {fields})")

    copy_buttons = page.locator("[data-hg-copy]:visible")
    if copy_buttons.count() < len(entries):
        problems.append(f"{copy_buttons.count()} visible copy buttons for {len(entries)} versions")
    else:
        share_url = base_url + entries[0].share_path
        groups = page.locator("[data-hg-copy-group]").filter(has=page.locator("input[data-hg-url]"))
        index = [group.locator("input[data-hg-url]").input_value() for group in groups.all()].index(share_url)
        button = groups.nth(index).locator("[data-hg-copy]")
        button.click()
        try:
            expect(button).to_have_text("Copied!", timeout=5_000)
        except AssertionError:
            problems.append(f"copy button says {button.text_content()!r} after a click, not 'Copied!'")
        copied = page.evaluate("() => navigator.clipboard.readText()")
        if copied != share_url:
            problems.append(f"clipboard holds {copied!r} after copying {entries[0].share_path}")

    previews = page.locator("iframe.hg-frame")
    if previews.count() != 1:
        return [*problems, f"{previews.count()} inline previews before any click, expected 1 (the latest)"]
    problems += check_preview(previews.first, base_url + f"/artifacts/{entries[0].thread}/{latest}/page.html")
    show = page.locator("[data-hg-show-preview]:visible")
    if len(entries) > 1:
        if show.count() != len(entries) - 1:
            problems.append(f"{show.count()} 'show live preview' buttons for {len(entries) - 1} other versions")
        else:
            item_id = show.first.evaluate("button => button.closest('li').id")
            show.first.click()
            loaded = page.locator(f"li.hg-version[id='{item_id}'] iframe.hg-frame")
            other = [entry for entry in entries if entry.version != latest]
            expected_srcs = {base_url + entry.artifact_path + "page.html" for entry in other}
            src = loaded.evaluate("element => element.src")
            if src not in expected_srcs:
                problems.append(f"'show live preview' loaded {src}, expected one of {sorted(expected_srcs)}")
            else:
                problems += check_preview(loaded, src)
    return problems


def check_preview(preview: Locator, artifact_url: str) -> list[str]:
    """A gallery preview frame: sandboxed, showing ``artifact_url``, rendering something (lazy: scroll to it)."""
    problems = []
    sandbox = preview.get_attribute("sandbox")
    if sandbox is None or "allow-same-origin" in sandbox.split():
        problems.append(f"preview frame sandbox is {sandbox!r}")
    src = preview.evaluate("element => element.src")
    if src != artifact_url:
        return [*problems, f"preview shows {src}, expected {artifact_url}"]
    preview.scroll_into_view_if_needed()
    frame = preview.element_handle().content_frame()
    deadline = time.monotonic() + CONTENT_TIMEOUT_MS / 1000
    while frame is not None and frame.url != artifact_url and time.monotonic() < deadline:
        preview.page.wait_for_timeout(50)  # loading="lazy": the frame navigates once it is near the viewport
    if frame is None or frame.url != artifact_url:
        return [*problems, f"preview frame never loaded {artifact_url} (at {frame.url if frame else None})"]
    frame.wait_for_load_state("load")
    try:
        frame.wait_for_function(HAS_CONTENT_JS, timeout=CONTENT_TIMEOUT_MS)
    except PlaywrightError:
        problems.append(f"preview shows nothing visible: {frame.evaluate(VISIBLE_CONTENT_JS)}")
    return problems


# ---- 6. the 404 page ---------------------------------------------------------------------------


class NotFoundHandler(SimpleHTTPRequestHandler):
    """A static host that answers unknown paths with the site's ``404.html``, as Pages and GitHub Pages do."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != HTTPStatus.NOT_FOUND or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def serve_with_not_found(site_dir: Path) -> Iterator[str]:
    """Serve ``site_dir`` in a thread of this process, with ``404.html`` for unknown paths; yields the base URL."""
    with serve_in_thread(site_dir, NotFoundHandler) as base_url:
        yield base_url


def own_not_found(messages: list[str], url: str) -> list[str]:
    """Console problems, without Chromium's note that the document itself answered 404 (that is the point)."""
    note = "Failed to load resource: the server responded with a status of 404"
    return [message for message in messages if not (note in message and message.endswith(f"(at {url})"))]


@pytest.mark.parametrize("theme", ["mkdocs", "material"])
@pytest.mark.parametrize("path", ["/no/such/page", "/p/no-such-thread/v1/", "/gallery/no-such-thread/"])
def test_a_missing_url_shows_a_working_404_page(theme: str, path: str, request: pytest.FixtureRequest,
                                                session: Session) -> None:
    """Whatever the theme: a 404 that says so, leads to the gallery, and throws nothing at any depth."""
    site_dir = Path(request.getfixturevalue(f"sample_site_{theme}"))
    with serve_with_not_found(site_dir) as base_url:
        page, console = session.new_page()
        response = page.goto(base_url + path)
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
        page.wait_for_timeout(SETTLE_MS)
        problems = own_not_found(console.messages, base_url + path)
        page.get_by_role("link", name="Browse the gallery").click()
        page.wait_for_url(f"{base_url}/gallery/")
        expect(page.locator("[data-hg-cards]")).to_be_visible()
        assert not problems, "\n".join(problems)
        assert not session.requests.outside(base_url), session.requests.outside(base_url)
