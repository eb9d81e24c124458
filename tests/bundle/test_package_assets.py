"""Non-JS files imported from packages: CSS (with its images and fonts), JSON, subpath exports.

With shared vendor files on, a version's JS modules come from the vendor file, while the CSS, JSON and
assets it imports from packages are bundled into the version itself, exactly as plain esbuild does.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mkdocs_hybrid.bundle.bundle_cache import CACHE_FILE, BundleCache
from mkdocs_hybrid.bundle.confinement import SNAPSHOT_TSCONFIG
from mkdocs_hybrid.bundle.flags import esbuild_flags
from mkdocs_hybrid.config.manifest import BuildOptions
from mkdocs_hybrid.pipeline import Export
from tests.browser import CHROMIUM, LAUNCH_ARGS, PageProblems, serve_static
from tests.factory import REPO, manifest_for, write_tree

PACKAGES = {"react": "18.3.1", "react-dom": "18.3.1", "leaflet": "1.9.4", "@fontsource/inter": "5.0.18",
            "spdx-license-ids": "3.0.20", "nanoid": "5.0.7", "font-awesome": "4.7.0"}
APP = """\
import { createRoot } from "react-dom/client";
import "leaflet/dist/leaflet.css";
import "@fontsource/inter/latin-400.css";
import "font-awesome/css/font-awesome.css";
import ids from "spdx-license-ids/index.json";
import { nanoid } from "nanoid/non-secure";
import "./app.css";
function App() {
  return <div className="leaflet-container" id="map">
    <a className="leaflet-control-layers-toggle" id="toggle">layers</a>
    <i className="fa fa-check" id="icon"></i>
    <p id="licences">{ids.includes("MIT") ? "MIT is listed" : "no MIT"} ({nanoid(4).length})</p>
  </div>;
}
createRoot(document.getElementById("root")).render(<App />);
"""
FILES = {"src/index.jsx": APP, "src/app.css": "body { font-family: Inter, sans-serif }\n"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Export]]:
    project = tmp_path_factory.mktemp("package-assets")
    write_tree(project, {f"demos/maps/v1/{name}": text for name, text in FILES.items()})
    write_tree(project, {"demos/maps/v1/package.json": json.dumps({"dependencies": PACKAGES})})
    export = Export(manifest_for(project), ledger=False)
    export.run(project / "site")
    yield project, export


def test_package_css_json_and_subpaths_build_with_shared_vendor_files(built: tuple[Path, Export]) -> None:
    project, export = built
    assert export.report.failed == []
    artifact = project / "site/artifacts/maps/v1"
    css = (artifact / "style.css").read_text()
    assert ".leaflet-container{overflow:hidden}" in css, "the package's CSS is in the version's style.css"
    assert "data:image/png;base64," in css, "the images the package CSS references are inlined"
    assert "data:font/woff2;base64," in css, "so are its fonts (a sandboxed frame cannot fetch fonts by URL)"
    assert ".fa-check:before" in css and ".eot" not in css, "Internet Explorer's .eot fonts are left out"
    assert css.index(".leaflet-container") < css.index("font-family:Inter"), "import order is kept"
    meta = json.loads((artifact / "meta.json").read_text())
    assert meta["vendor"]["modules"] == ["nanoid/non-secure", "react-dom/client", "react/jsx-runtime"]
    assert '"MIT"' in (artifact / "page.html").read_text(), "package JSON is bundled into the page"


@pytest.mark.browser
def test_package_styles_apply_in_chromium(built: tuple[Path, Export]) -> None:
    from playwright.sync_api import sync_playwright

    project, _ = built
    with serve_static(project / "site") as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            problems = PageProblems().attach(page)
            page.goto(f"{base_url}/p/maps/v1/")
            frame = page.frame_locator("iframe").first
            frame.locator("#licences").wait_for()
            toggle = frame.locator("#toggle")
            assert toggle.evaluate("e => getComputedStyle(e).backgroundImage").startswith('url("data:image/png')
            assert frame.locator("#map").evaluate("e => getComputedStyle(e).overflow") == "hidden"
            assert frame.locator("#licences").inner_text().startswith("MIT is listed")
            loaded = frame.locator("body").evaluate(
                "async () => { await document.fonts.load('16px Inter'); return document.fonts.check('16px Inter') }")
            assert loaded, "the package's font loads inside the sandboxed frame"
            icon_font = frame.locator("#icon").evaluate(
                "async e => { await document.fonts.load('14px FontAwesome'); return getComputedStyle(e).fontFamily }")
            assert icon_font == "FontAwesome" and frame.locator("body").evaluate(
                "() => document.fonts.check('14px FontAwesome')")
            assert problems.messages == []
        finally:
            browser.close()


@pytest.mark.wasm
def test_esbuild_wasm_bundles_package_css_to_the_same_bytes(built: tuple[Path, Export], tmp_path: Path) -> None:
    """The editor's half: esbuild-wasm, given the recipe (layout, flags, NODE_PATH), writes what we publish."""
    project, _ = built
    manifest = manifest_for(project)
    meta = json.loads((project / "site/artifacts/maps/v1/meta.json").read_text())
    [packages] = manifest.cache_dir.glob("deps/*/node_modules")
    # A cold build may have made this vendor file under two keys (the import guess's specifiers and the
    # metafile's): the same modules, so the same shims.
    folders = [p.parent for p in manifest.cache_dir.glob("vendor/*/name") if p.read_text() == meta["vendor"]["path"]]
    assert folders and {(f / "modules.json").read_text() for f in folders} == {json.dumps(meta["vendor"]["modules"])}
    shims = folders[0] / "node_modules"
    root = write_tree(tmp_path / "editor", {"package.json": "{}\n", "maps/v1/tsconfig.json": SNAPSHOT_TSCONFIG,
                                            **{f"maps/v1/{name}": text for name, text in FILES.items()}})
    command = ["node", str(REPO / "node_modules/esbuild-wasm/bin/esbuild"), "maps/v1/src/index.jsx",
               *esbuild_flags(BuildOptions()), "--outdir=out", "--outbase=.", "--log-level=error"]
    run = subprocess.run(command, cwd=root, env={**os.environ, "NODE_PATH": f"{shims}{os.pathsep}{packages}"},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    with BundleCache(manifest.cache_dir / CACHE_FILE) as cache:
        published = cache.get(meta["bundle_key"])
    assert published is not None
    assert (root / "out/maps/v1/src/index.js").read_bytes() == published[0]
    assert (root / "out/maps/v1/src/index.css").read_bytes() == published[1]
    assert published[1] == (project / "site/artifacts/maps/v1/style.css").read_bytes()
