"""Editor save latency against the Convex stand-in (issue 21), in Debian's Chromium on loopback.

    python benchmarks/editor_convex.py [--runs 20] [--keep DIR]

Builds a one-demo site (the sample confetti button: CSS and an npm package) whose editor saves to the stand-in
(``tests/convex_standin``: the shipped ``convex/`` functions run by ``convex-test`` behind Convex's HTTP API),
signs in with a stand-in token, forks the demo into a thread of its own, then ``--runs`` times: one edit,
**Save version**, and measures

- **click to stored**: the editor's own record (``window.hybridEditor.lastSave.ms``: from the click's handler to
  ``versions:save``'s answer; the mutation has committed when it answers), and checked after each save through
  the HTTP API with the deploy key (the version is there);
- **click to "Saved" on screen**: Playwright's click until the notice says so (adds the version list's refresh
  and Playwright's round trips);
- the same two with a new 71-byte image in each save (``files:generateUploadUrl``, the upload, then the save).

Figures are medians and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tests.browser import CHROMIUM, LAUNCH_ARGS, serve_static  # noqa: E402
from tests.convex_standin.fixture import ConvexStandin, run_standin  # noqa: E402
from tests.editor_harness import edit, wait_for_build  # noqa: E402
from tests.factory import cli_env, run_cli  # noqa: E402

DEMO = REPO / "sample_projects" / "confetti-button" / "v1"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201"
    "a0c2e2b60000000049454e44ae426082")
TIMEOUT_MS = 60_000


def build_site(project: Path, standin: ConvexStandin) -> Path:
    shutil.copytree(DEMO, project / "demos" / "confetti" / "v1")
    manifest = {"sources": [{"type": "directory", "path": "demos"}], "build": {"cache_dir": ".cache", "ledger": False},
                "video": {"posters": False},
                "editor": {"store": {"type": "convex", "url": standin.url, "auth": {"token_url": "../token.json"}}}}
    (project / "hybrid.yml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    run = run_cli("build", "--site-dir", "site", cwd=project, env=cli_env(), timeout=600)
    if run.returncode:
        raise SystemExit(run.stdout + run.stderr)
    (project / "site" / "token.json").write_text(json.dumps({"token": standin.token("bench", name="Bench")}))
    return project / "site"


def saved_versions(standin: ConvexStandin, thread: str) -> set[str]:
    page = standin.query("versions:listForThread", {"thread": thread, "paginationOpts": {"numItems": 1000,
                                                                                        "cursor": None}},
                         admin=True)
    return {item["version"] for item in page["page"]}


def one_save(page: Page, standin: ConvexStandin, thread: str, run: int, image: bool) -> tuple[float, float]:
    """(in-page click to stored, outside click to the notice) in ms, for one edit and save."""
    if image:
        # New bytes each time (a byte after the PNG's end): the editor uploads a file once per sha256.
        page.set_input_files("#add-binary-file", files=[{"name": f"dot{run}.png", "mimeType": "image/png",
                                                         "buffer": PNG + bytes([run % 256])}])
    edit(page, "src/index.js", "<h1>", f"<h1>{run} ")
    page.evaluate("document.getElementById('notice').replaceChildren()")
    started = time.perf_counter()
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text("Saved ", timeout=TIMEOUT_MS)
    outside = (time.perf_counter() - started) * 1000
    answer = page.evaluate("window.hybridEditor.lastSave")
    if answer["version"] not in saved_versions(standin, thread):
        raise SystemExit(f"{thread}/{answer['version']} is not in the store after its save")
    return float(answer["ms"]), outside


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):.0f} ms, p95 {p95:.0f} ms (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", type=Path, default=None, help="build here and keep it (default: a temp folder)")
    args = parser.parse_args()
    project = args.keep or Path(tempfile.mkdtemp(prefix="bench-editor-convex-"))
    with run_standin() as standin, sync_playwright() as playwright:
        site = build_site(project, standin)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        with serve_static(site) as base_url:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{base_url}/editor/?thread=confetti&version=v1")
            wait_for_build(page)
            expect(page.locator("#sign-in")).to_have_text("Bench")
            page.click("#fork")
            thread = page.evaluate("window.hybridEditor.state.thread")
            for image in (False, True):
                stored, shown = zip(*(one_save(page, standin, thread, run + (100 if image else 0), image)
                                      for run in range(args.runs)), strict=True)
                label = "with a new image" if image else "text only"
                print(f"{label}: click to stored (in page) {summary(list(stored))}; "
                      f"click to 'Saved' on screen {summary(list(shown))}")
        browser.close()
    if args.keep is None:
        shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
