"""The editor's code pane in the system's dark setting, as an author sees it in Chromium: dark, every piece of text
(syntax colours and line numbers included) at WCAG AA's 4.5:1 on what is behind it, measured from computed colours;
and switched at once when the setting changes while the page is open."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import serve_static
from tests.editor_harness import open_file, wait_for_build

pytestmark = pytest.mark.browser

TIMEOUT_MS = 30_000
Scheme = Literal["light", "dark"]
AA = 4.5
DARK, LIGHT = 0.05, 0.9
"""Relative luminance (0 black, 1 white) under which a background is dark, over which it is light."""
OPEN = "/editor/?thread=react-todo&version=v1"
MEASURED = [("react-todo", "v1"), ("css-loader-spinners", "v1")]
"""Versions whose every file is measured: TypeScript/TSX, CSS and JSON in the first, HTML in the second."""

# Colours as Chromium computes them ("rgb(...)"/"rgba(...)"); a background is what the ancestors' backgrounds give
# composited (CodeMirror's active line is a translucent tint), starting from the first opaque one.
MEASURE = """() => {
  const parse = (text) => {
    const parts = text.match(/[\\d.]+/g).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1,
  });
  const behind = (element) => {
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour.a > 0) layers.push(colour);
      if (colour.a >= 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), {r: 255, g: 255, b: 255, a: 1});
  };
  const luminance = ({r, g, b}) => {
    const [R, G, B] = [r, g, b].map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const contrast = (x, y) => {
    const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p);
    return (hi + 0.05) / (lo + 0.05);
  };
  const hex = ({r, g, b}) => '#' + [r, g, b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const editor = document.querySelector('#editor .cm-editor');
  const texts = [];
  const walker = document.createTreeWalker(editor, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    const style = getComputedStyle(element);
    if (!node.textContent.trim() || style.visibility === 'hidden' || !element.getClientRects().length) continue;
    let opacity = 1;
    for (let up = element; up && up !== editor.parentElement; up = up.parentElement) {
      opacity *= Number(getComputedStyle(up).opacity);
    }
    const ground = behind(element);
    const ink = over({...parse(style.color), a: parse(style.color).a * opacity}, ground);
    texts.push({text: node.textContent.trim().slice(0, 30), color: hex(ink), background: hex(ground),
                ratio: Math.round(contrast(ink, ground) * 100) / 100,
                where: element.closest('.cm-gutters') ? 'gutter' : 'code'});
  }
  const pane = behind(editor);
  return {background: hex(pane), luminance: luminance(pane), texts};
}"""


@pytest.fixture(scope="module")
def site(sample_site_mkdocs: Path) -> Iterator[str]:
    with serve_static(sample_site_mkdocs) as base_url:
        yield base_url


@pytest.fixture
def dark_page(chromium: Browser, site: str) -> Iterator[Page]:
    yield from _page(chromium, site, "dark")


@pytest.fixture
def light_page(chromium: Browser, site: str) -> Iterator[Page]:
    yield from _page(chromium, site, "light")


def _page(chromium: Browser, site: str, scheme: Scheme) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, color_scheme=scheme)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(site + OPEN)
    wait_for_build(page)
    yield page
    context.close()
    assert errors == [], f"the editor page threw: {errors}"


def measure(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(MEASURE)
    return result


def unreadable(measured: dict[str, Any], path: str) -> list[str]:
    return [f"{path}: {text['where']} {text['text']!r} {text['color']} on {text['background']}: {text['ratio']}:1"
            for text in measured["texts"] if text["ratio"] < AA]


def file_paths(page: Page) -> list[str]:
    paths: list[str] = page.evaluate("() => Object.keys(window.hybridEditor.state.files).sort()")
    return paths


def wait_for_pane(page: Page, *, dark: bool) -> None:
    """Until the code pane is dark (or light): the switch is one CodeMirror transaction, after the media change."""
    page.wait_for_function(f"(dark) => {{ const pane = ({MEASURE})(); return dark ? pane.luminance < {DARK} "
                           f": pane.luminance > {LIGHT}; }}", arg=dark)


# ---- tests ---------------------------------------------------------------------------------------------------


def test_in_the_dark_setting_every_files_code_is_light_text_on_a_dark_pane(dark_page: Page, site: str) -> None:
    failures: list[str] = []
    colours: set[str] = set()
    measured_types: set[str] = set()
    for thread, version in MEASURED:
        dark_page.goto(f"{site}/editor/?thread={thread}&version={version}")
        wait_for_build(dark_page)
        for path in file_paths(dark_page):
            open_file(dark_page, path)
            measured = measure(dark_page)
            where = f"{thread}/{version}/{path}"
            assert measured["luminance"] < DARK, f"{where}: the code pane is {measured['background']}, not dark"
            assert any(text["where"] == "gutter" for text in measured["texts"]), f"{where}: no line numbers measured"
            failures += unreadable(measured, where)
            colours |= {text["color"] for text in measured["texts"] if text["where"] == "code"}
            measured_types.add(path.rsplit(".", 1)[-1])
    assert {"tsx", "ts", "css", "html", "json"} <= measured_types, measured_types
    assert failures == [], "text under 4.5:1 in the dark code pane:\n" + "\n".join(failures)
    assert len(colours) >= 8, f"the code is not syntax coloured: {sorted(colours)}"


def test_in_the_light_setting_the_code_pane_stays_light_and_readable(light_page: Page) -> None:
    measured = measure(light_page)
    assert measured["luminance"] > LIGHT, f"the code pane is {measured['background']}, not light"
    assert unreadable(measured, "the open file") == []


def test_the_code_pane_turns_dark_and_back_while_open_keeping_the_edit(light_page: Page) -> None:
    page = light_page
    first, second = file_paths(page)[:2]
    open_file(page, first)
    page.locator("#editor .cm-content").click()
    page.keyboard.press("Control+End")
    # One input, so one undo step: typed key by key, a loaded machine's pauses (over CodeMirror's 500 ms) split it.
    page.keyboard.insert_text("\n// typed before the switch")
    open_file(page, second)  # the first file's state is kept aside: it must switch too

    page.emulate_media(color_scheme="dark")
    wait_for_pane(page, dark=True)
    assert unreadable(measure(page), second) == []
    open_file(page, first)
    wait_for_pane(page, dark=True)
    assert "// typed before the switch" in page.locator("#editor .cm-content").inner_text()
    page.locator("#editor .cm-content").click()  # the keys go to the code, not to the file list just clicked
    page.keyboard.press("Control+z")  # the undo history survived the switch
    page.wait_for_function("(path) => !window.hybridEditor.state.files[path].includes('typed before')", arg=first)

    page.emulate_media(color_scheme="light")
    wait_for_pane(page, dark=False)
    assert measure(page)["luminance"] > LIGHT


def test_a_screenshot_of_the_dark_editor(dark_page: Page, tmp_path: Path) -> None:
    """The screenshot of issue 20 (editor, dark): its path is printed for the note (run with -s)."""
    open_file(dark_page, "src/App.tsx")
    target = tmp_path / "editor-dark.png"
    dark_page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000
    print(f"screenshot: {target}")
