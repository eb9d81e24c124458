"""Drive the editor's build worker in Chromium, without its page: what the parity tests and the editor
benchmark share. The worker is the published one (``editor/assets/worker.<hash>.js``) with the published
recipe and ``.wasm``; the page it runs in is any page of the same site (a module worker is same-origin)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Page


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
