"""Drive the editor in Chromium: its build worker without the page (the parity tests and the editor
benchmark), and the page itself (the UI tests and the serve end-to-end tests). The worker is the published
one (``editor/assets/worker.<hash>.js``) with the published recipe and ``.wasm``; the page it runs in is any
page of the same site (a module worker is same-origin)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import FrameLocator, Page, expect


@dataclass(frozen=True)
class EditorFiles:
    """Site-relative URLs of the editor's worker, wasm and recipe in a built site."""

    worker: str
    wasm: str
    recipe: str

    @classmethod
    def of(cls, site_dir: Path) -> EditorFiles:
        editor = site_dir / "editor"

        def one(pattern: str) -> str:
            found = sorted(editor.glob(pattern))
            assert len(found) == 1, f"expected one {pattern} in {editor}, found {found}"
            return found[0].relative_to(site_dir).as_posix()

        return cls(worker=one("assets/worker.*.js"), wasm=one("assets/esbuild.*.wasm"), recipe=one("recipe.*.json"))


START_WORKER = """async ([files, api]) => {
  const worker = new Worker('/' + files.worker, {type: 'module'});
  const waiting = new Map();
  window.__hybridWorker = { worker, waiting, nextId: 1 };
  return await new Promise((resolve) => {
    worker.onmessage = ({data}) => {
      if (data.type === 'ready' || data.type === 'fatal') resolve(data);
      else waiting.get(data.id)?.(data);
    };
    worker.onerror = (event) => resolve({type: 'fatal', message: String(event.message)});
    worker.postMessage({type: 'init', recipeUrl: '/' + files.recipe, wasmUrl: '/' + files.wasm, api});
  });
}"""

BUILD = """async (snapshot) => {
  const state = window.__hybridWorker;
  const id = state.nextId++;
  return await new Promise((resolve) => {
    state.waiting.set(id, resolve);
    state.worker.postMessage({type: 'build', id, snapshot});
  });
}"""


def start_worker(page: Page, files: EditorFiles, api: dict[str, str] | None = None) -> dict[str, Any]:
    """Start the worker in ``page`` (already on the site); its ``ready`` or ``fatal`` message."""
    answer: dict[str, Any] = page.evaluate(START_WORKER, [files.__dict__, api])
    return answer


def build_in_worker(page: Page, snapshot: dict[str, Any]) -> dict[str, Any]:
    """Build one snapshot (snapshot JSON) in the started worker; its result message."""
    result: dict[str, Any] = page.evaluate(BUILD, snapshot)
    return result


# ---- driving the editor page (shared by the UI tests and the serve end-to-end tests) -------------------------

EDITOR_TIMEOUT_MS = 30_000


def wait_for_build(page: Page, timeout: float = EDITOR_TIMEOUT_MS) -> None:
    expect(page.locator("#status-build")).to_have_text(re.compile(r"built in|build failed"), timeout=timeout)


def preview(page: Page) -> FrameLocator:
    """The preview on screen (a next one may be loading, hidden, under it)."""
    return page.frame_locator("#preview iframe:not(.loading)")


def files(page: Page) -> dict[str, str]:
    return dict(page.evaluate("() => ({...window.hybridEditor.state.files})"))


def open_file(page: Page, path: str) -> None:
    page.locator(f'#file-tree li[data-path="{path}"] .tree-name').click()
    expect(page.locator(f'#tabs .tab.active[data-path="{path}"]')).to_be_visible()


def replace_text(page: Page, path: str, text: str) -> None:
    """Type the whole file anew, as a paste: select all in CodeMirror, then insert."""
    open_file(page, path)
    page.locator("#editor .cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)
    page.wait_for_function("([path, text]) => window.hybridEditor.state.files[path] === text", arg=[path, text])


def edit(page: Page, path: str, old: str, new: str) -> str:
    text = files(page)[path]
    assert old in text, f"{old!r} is not in {path}"
    replaced = text.replace(old, new, 1)
    replace_text(page, path, replaced)
    return replaced


def problems(page: Page) -> list[str]:
    return [text.replace("\n", " ") for text in page.locator("#problems li.problem:not(.none)").all_inner_texts()]
