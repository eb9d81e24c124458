"""Accessibility, measured: axe-core (the npm devDependency, pinned) in Debian's Chromium over the pages a visitor
and an author see, and the editor's save flow driven by the keyboard alone.

Every page must have 0 violations of impact "serious" or "critical". The pages are the session's sample sites
(MkDocs' theme and Material) on a plain static server; each is measured in the light and the dark colour scheme,
since the pages follow the system's. A demo's own frame is the author's content, not the site's: axe checks the
frame element (its title) but does not go into it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser import built_versions, serve_static, threads_of
from tests.editor_harness import wait_for_build
from tests.factory import manifest_for, run_cli, write_tree

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
TIMEOUT_MS = 30_000
DESKTOP = ViewportSize(width=1280, height=800)
PHONE = ViewportSize(width=390, height=844)
Scheme = Literal["light", "dark"]
SCHEMES: tuple[Scheme, ...] = ("light", "dark")
BLOCKING = ("serious", "critical")

RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ['violations'], iframes: false});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((node) => node.target.join(' ')),
    why: (v.nodes[0]?.failureSummary || '').replace(/\\s+/g, ' ').slice(0, 240),
  }));
}"""
SHOWN_TARGETS = 4
"""Targets named per violation in a failure message (the count says how many more)."""


def describe(violation: dict[str, Any]) -> str:
    """One line: id, impact, help, how many elements and the first few of them, why the first one fails."""
    targets = violation["targets"]
    shown = ", ".join(targets[:SHOWN_TARGETS]) + (f" (+{len(targets) - SHOWN_TARGETS} more)"
                                                  if len(targets) > SHOWN_TARGETS else "")
    return (f"{violation['id']} [{violation['impact']}] {violation['help']}: {len(targets)} element(s): {shown}"
            f" -- {violation['why']}")


@pytest.fixture(scope="module")
def mkdocs_site(sample_site_mkdocs: Path) -> Iterator[str]:
    with serve_static(sample_site_mkdocs) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def material_site(sample_site_material: Path) -> Iterator[str]:
    with serve_static(sample_site_material) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def standalone_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small project built by ``mkdocs-hybrid build`` (no mkdocs.yml: the gallery's own standalone layout)."""
    project = write_tree(tmp_path_factory.mktemp("standalone"), {
        "demos/hello/v1/index.js": "document.body.textContent = 'hello one';\n",
        "demos/hello/v2/index.js": "document.body.textContent = 'hello two';\n",
        "demos/other/v1/index.js": "document.body.textContent = 'other';\n",
    })
    manifest_for(project)
    result = run_cli("build", "--strict", "-q", "-d", "site", cwd=project)
    assert result.returncode == 0, result.stderr
    with serve_static(project / "site") as base_url:
        yield base_url


def open_page(browser: Browser, url: str, *, scheme: Scheme, phone: bool = False) -> Page:
    """A fresh context (its own storage) at ``url``, in the colour scheme and on the screen asked for."""
    extra: dict[str, Any] = {"is_mobile": True, "has_touch": True} if phone else {}
    context = browser.new_context(viewport=PHONE if phone else DESKTOP, color_scheme=scheme, **extra)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.status in (200, 404), f"{url}: HTTP {response and response.status}"
    return page


def blocking_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each: id, impact, help, targets."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` in {REPO} (axe-core is a devDependency)")
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return [describe(violation) for violation in found if violation["impact"] in BLOCKING]


def assert_accessible(page: Page) -> None:
    try:
        violations = blocking_violations(page)
        assert violations == [], f"{page.url}: axe-core found serious/critical violations:\n" + "\n".join(violations)
    finally:
        page.context.close()


def thread_ids(site_dir: Path) -> list[str]:
    return list(threads_of(built_versions(site_dir)))


# ---- the pages --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("theme", ["mkdocs", "material"])
def test_the_gallery_has_no_serious_accessibility_violations(chromium: Browser, request: pytest.FixtureRequest,
                                                             theme: str, phone: bool, scheme: Scheme) -> None:
    base_url = request.getfixturevalue(f"{theme}_site")
    assert_accessible(open_page(chromium, f"{base_url}/gallery/", scheme=scheme, phone=phone))


NAVBAR_COLOURS = """() => {
  const bar = document.querySelector('.navbar');
  const style = getComputedStyle(bar);
  const links = Array.from(bar.querySelectorAll('a, .navbar-brand'))
    .filter((link) => !link.closest('.dropdown-menu') && !link.classList.contains('disabled')
                      && link.getClientRects().length > 0 && link.textContent.trim())
    .map((link) => ({text: link.textContent.trim(), color: getComputedStyle(link).color}));
  return {backgrounds: [style.backgroundColor, ...(style.backgroundImage.match(/rgba?\\([^)]*\\)/g) || [])], links};
}"""
"""The navigation bar's background colours (its colour and every stop of its gradient) and its visible links'
text colours (disabled links and the theme menu's own panel aside)."""


def rgba(css: str) -> tuple[float, float, float, float]:
    """``rgb(1, 2, 3)`` or ``rgba(1, 2, 3, 0.8)`` as numbers (alpha 1 when absent)."""
    numbers = [float(part) for part in re.findall(r"[\d.]+", css)]
    return numbers[0], numbers[1], numbers[2], numbers[3] if len(numbers) > 3 else 1.0


def contrast(text: str, background: str) -> float:
    """WCAG 2's contrast ratio of ``text`` (blended over the background by its alpha) on ``background``."""
    *fg, alpha = rgba(text)
    bg = rgba(background)[:3]
    shown = [f * alpha + b * (1 - alpha) for f, b in zip(fg, bg)]

    def luminance(rgb: list[float] | tuple[float, ...]) -> float:
        channels = [c / 255 for c in rgb]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(shown), luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_mkdocs_themes_navigation_bar_text_has_a_contrast_of_at_least_4_5(chromium: Browser, mkdocs_site: str,
                                                                             scheme: Scheme) -> None:
    """axe-core leaves text on a gradient "incomplete", so the ratio is computed here, against every colour of it."""
    page = open_page(chromium, f"{mkdocs_site}/gallery/", scheme=scheme)
    try:
        found = page.evaluate(NAVBAR_COLOURS)
    finally:
        page.context.close()
    names = {link["text"] for link in found["links"]}
    assert {"mkdocs-hybrid demos", "Home", "Gallery", "Search"} <= names, found
    low = [f"{link['text']!r}: {contrast(link['color'], background):.2f}:1 on {background}"
           for link in found["links"] for background in found["backgrounds"]
           if contrast(link["color"], background) < 4.5]
    assert low == [], "navigation bar text below 4.5:1:\n" + "\n".join(low)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("path", ["gallery/index.html", "gallery/hello/index.html", "p/hello/v2/"])
def test_the_standalone_sites_pages_have_no_serious_accessibility_violations(chromium: Browser, standalone_site: str,
                                                                           path: str, phone: bool,
                                                                           scheme: Scheme) -> None:
    assert_accessible(open_page(chromium, f"{standalone_site}/{path}", scheme=scheme, phone=phone))


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("theme", ["mkdocs", "material"])
def test_every_thread_page_has_no_serious_accessibility_violations(chromium: Browser, request: pytest.FixtureRequest,
                                                                   sample_site_mkdocs: Path, theme: str,
                                                                   scheme: Scheme) -> None:
    base_url = request.getfixturevalue(f"{theme}_site")
    failures = []
    for thread in thread_ids(sample_site_mkdocs):
        page = open_page(chromium, f"{base_url}/gallery/{thread}/", scheme=scheme)
        try:
            failures += [f"gallery/{thread}/: {line}" for line in blocking_violations(page)]
        finally:
            page.context.close()
    assert failures == [], "axe-core found serious/critical violations:\n" + "\n".join(failures)


STRUCTURE = ("landmark-one-main", "page-has-heading-one")
"""axe-core's moderate rules for a page's structure, which share pages and the editor must pass too: one main
landmark, an h1."""
FAILED_RULES = """async (rules) => {
  const results = await axe.run(document, {runOnly: {type: 'rule', values: rules}, iframes: false});
  return rules.filter((id) => !results.passes.some((rule) => rule.id === id));
}"""
"""The rules of ``rules`` that did not pass (violated, incomplete or not applicable)."""


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_share_page_has_no_serious_accessibility_violations_and_a_main_landmark_and_an_h1(
        chromium: Browser, mkdocs_site: str, sample_site_mkdocs: Path, scheme: Scheme, phone: bool) -> None:
    failures = []
    for version in built_versions(sample_site_mkdocs):
        page = open_page(chromium, mkdocs_site + version.share_path, scheme=scheme, phone=phone)
        try:
            failures += [f"{version.share_path}: {line}" for line in blocking_violations(page)]
            failures += [f"{version.share_path}: {rule} did not pass"
                         for rule in page.evaluate(FAILED_RULES, list(STRUCTURE))]
        finally:
            page.context.close()
    assert failures == [], "axe-core found violations:\n" + "\n".join(failures)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("theme", ["mkdocs", "material"])
def test_the_404_page_has_no_serious_accessibility_violations(chromium: Browser, request: pytest.FixtureRequest,
                                                              theme: str, scheme: Scheme) -> None:
    base_url = request.getfixturevalue(f"{theme}_site")
    assert_accessible(open_page(chromium, f"{base_url}/404.html", scheme=scheme))


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_editor_has_no_serious_accessibility_violations_and_a_main_landmark_and_an_h1(
        chromium: Browser, mkdocs_site: str, scheme: Scheme, phone: bool) -> None:
    page = open_page(chromium, f"{mkdocs_site}/editor/?thread=react-todo&version=v1", scheme=scheme, phone=phone)
    try:
        wait_for_build(page)
        failures = blocking_violations(page)
        failures += [f"{rule} did not pass" for rule in page.evaluate(FAILED_RULES, list(STRUCTURE))]
    finally:
        page.context.close()
    assert failures == [], "axe-core found violations in the editor:\n" + "\n".join(failures)


# ---- the keyboard alone -------------------------------------------------------------------------------------------

FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1;
  return {id: element.id || element.tagName.toLowerCase(), ring: outline || style.boxShadow !== 'none'};
}"""
"""The focused control and whether it shows a focus ring (an outline, or a box-shadow drawn as one)."""


def tab_to(page: Page, control_id: str, seen: list[str], *, limit: int = 30) -> None:
    """Press Tab until ``#control_id`` has the focus; every control passed must show a focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused is not None, f"Tab left the page's controls after {seen} before reaching #{control_id}"
        seen.append(focused["id"])
        assert focused["ring"], f"#{focused['id']} has the keyboard focus but shows no outline (after {seen})"
        if focused["id"] == control_id:
            return
    pytest.fail(f"#{control_id} was not reached with {limit} presses of Tab: {seen}")


def test_the_editor_saves_a_version_with_the_keyboard_alone(chromium: Browser, mkdocs_site: str) -> None:
    page = open_page(chromium, f"{mkdocs_site}/editor/?thread=react-todo&version=v1", scheme="light")
    try:
        wait_for_build(page)
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        seen: list[str] = []
        tab_to(page, "title", seen)
        page.keyboard.press("Control+a")
        page.keyboard.type("Typed without a mouse")
        tab_to(page, "save", seen)
        page.keyboard.press("Enter")

        expect(page.locator("#notice")).to_contain_text("Saved react-todo/v5")  # v1-v4 are published
        expect(page.locator('#versions option[value="local:v5"]')).to_have_count(1)
        assert page.input_value("#version") == "v5"
        assert re.search(r"version=v5", page.url), page.url
        page.reload()  # the saved version, as IndexedDB holds it
        wait_for_build(page)
        assert page.input_value("#title") == "Typed without a mouse"
    finally:
        page.context.close()


def test_the_code_area_shows_the_keyboard_focus(chromium: Browser, mkdocs_site: str) -> None:
    """CodeMirror drops its focus outline by default; only a blinking cursor said where the keys go."""
    page = open_page(chromium, f"{mkdocs_site}/editor/?thread=react-todo&version=v1", scheme="light")
    try:
        wait_for_build(page)
        unfocused = page.evaluate("() => getComputedStyle(document.querySelector('.editor .cm-editor')).outlineStyle")
        page.focus(".editor .cm-content")
        page.wait_for_selector(".editor .cm-editor.cm-focused")
        focused = page.evaluate("() => getComputedStyle(document.querySelector('.editor .cm-editor')).outlineStyle")
        assert (unfocused, focused) == ("none", "solid")
    finally:
        page.context.close()
