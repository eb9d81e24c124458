"""The editor's promise: its worker (esbuild-wasm in Chromium) makes the share link's bytes.

Every sample version's ``source.json`` is built by the published worker with the published recipe and
compared byte for byte with the artifact the native build wrote; unminified builds too (they name files by
path, so the layout must match). Then what a static site cannot do, said clearly.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import RequestLog, built_versions, serve_static
from tests.conftest import read_yaml, write_yaml
from tests.editor_harness import EditorFiles, build_in_worker, start_worker
from tests.factory import run_cli

pytestmark = pytest.mark.browser




def worker_page(browser: Browser, base_url: str, site_dir: Path) -> tuple[Page, RequestLog]:
    """A page of the site with the editor's worker started in it (and every request logged)."""
    context = browser.new_context()
    requests = RequestLog().attach(context)
    page = context.new_page()
    page.goto(f"{base_url}/404.html")
    ready = start_worker(page, EditorFiles.of(site_dir))
    assert ready["type"] == "ready", ready
    return page, requests


def assert_same_bytes(page: Page, site_dir: Path) -> int:
    """Build every version that has a source.json in the worker; compare with its artifact. How many."""
    compared = 0
    for version in built_versions(site_dir):
        folder = site_dir / "artifacts" / version.thread / version.version
        source = folder / "source.json"
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        listed = meta["files"]["source.json"]
        assert listed == {"sha256": hashlib.sha256(source.read_bytes()).hexdigest(), "size": source.stat().st_size}
        # Twice: the second build takes the worker's quick path (one esbuild run, the imports of the first).
        for _ in range(2):
            result = build_in_worker(page, json.loads(source.read_text(encoding="utf-8")))
            assert result["ok"], f"{version}: {result['errors']}"
            assert result["page"].encode() == (folder / "page.html").read_bytes(), f"{version}: page.html differs"
            assert result["css"].encode() == (folder / "style.css").read_bytes(), f"{version}: style.css differs"
            assert result["vendor"] == (meta["vendor"] or {}).get("path"), version
        compared += 1
    return compared


def test_the_worker_makes_every_sample_version_byte_for_byte(chromium: Browser, sample_site_mkdocs: Path) -> None:
    with serve_static(sample_site_mkdocs) as base_url:
        page, requests = worker_page(chromium, base_url, sample_site_mkdocs)
        assert assert_same_bytes(page, sample_site_mkdocs) == len(built_versions(sample_site_mkdocs)) >= 17
        assert requests.outside(base_url) == []


def test_unminified_bundles_match_too(chromium: Browser, seeded_project: Path) -> None:
    """Unminified output names every module by its path: the editor's layout is the build's, shims included."""
    manifest = read_yaml(seeded_project / "hybrid.yml")
    manifest["build"] = {**manifest.get("build", {}), "minify": False}
    write_yaml(seeded_project / "hybrid.yml", manifest)
    site = seeded_project / "unminified"
    run = run_cli("build", "--site-dir", str(site), cwd=seeded_project, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    react = (site / "artifacts" / "react-todo" / "v1" / "page.html").read_text(encoding="utf-8")
    assert "// .shims/node_modules/react/index.js" in react  # the same path on every machine
    assert str(seeded_project) not in react and ".cache" not in react
    with serve_static(site) as base_url:
        page, _ = worker_page(chromium, base_url, site)
        assert assert_same_bytes(page, site) >= 17


@pytest.fixture(scope="module")
def sample_page(chromium: Browser, sample_site_mkdocs: Path) -> Iterator[Page]:
    with serve_static(sample_site_mkdocs) as base_url:
        page, _ = worker_page(chromium, base_url, sample_site_mkdocs)
        yield page


def react_todo(site_dir: Path) -> dict[str, Any]:
    source = site_dir / "artifacts" / "react-todo" / "v1" / "source.json"
    snapshot: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    return snapshot


def test_a_syntax_error_is_located_as_the_native_build_locates_it(sample_page: Page, sample_site_mkdocs: Path,
                                                                 tmp_path: Path) -> None:
    snapshot = react_todo(sample_site_mkdocs)
    lines = snapshot["files"]["src/App.tsx"].splitlines()
    lines[2] = "const broken = (;" + lines[2]
    snapshot["files"]["src/App.tsx"] = "\n".join(lines) + "\n"
    result = build_in_worker(sample_page, snapshot)
    assert not result["ok"]
    error = result["errors"][0]
    assert (error["file"], error["line"]) == ("src/App.tsx", 3)
    # The native build of the same files says the same place.
    _, report = native_build(tmp_path, sample_site_mkdocs, snapshot)
    assert report["failed"][0]["error"] == f"src/App.tsx:{error['line']}:{error['column']}: {error['text']}"


def native_build(tmp_path: Path, sample_site: Path, snapshot: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    """``mkdocs-hybrid build`` of one snapshot JSON (with the sample's npm cache): the site and the report."""
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "snapshot.json").write_text(json.dumps(snapshot), encoding="utf-8")
    (tmp_path / "hybrid.yml").write_text("sources: [{type: snapshots, path: exports}]\nbuild: {ledger: false}\n",
                                         encoding="utf-8")
    shutil.copytree(sample_site.parent / ".cache", tmp_path / ".cache", symlinks=True)
    shutil.copy(sample_site.parent / "hybrid-lock.json", tmp_path / "hybrid-lock.json")
    run = run_cli("build", "--site-dir", str(tmp_path / "s"), "--report", str(tmp_path / "report.json"),
                  cwd=tmp_path, timeout=600)
    report: dict[str, Any] = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert run.returncode == 0, run.stderr
    return tmp_path / "s", report


def test_html_references_in_a_rewritten_tag_decode_as_pythons_parser_does(sample_page: Page, sample_site_mkdocs: Path,
                                                                        tmp_path: Path) -> None:
    """An ``index.html`` image is inlined, so its tag is written again from the decoded attributes: every kind
    of character reference must decode as ``html.parser`` decodes it (named with and without ``;``, numeric,
    the Windows-1252 range, invalid code points, unknown names)."""
    alt = "caf&eacute; &amp; &#x27;q&#39; &notit; &ampx &#128; &#0; &#xD800; &#1; &unknown; &constructor"
    snapshot = {"format": "mkdocs-hybrid/snapshot@1", "thread": "entities", "version": "v1", "title": "Entities",
                "entry": "index.html", "files": {
                    "index.html": f'<!doctype html><title>e</title><body><img src="dot.svg" alt="{alt}"></body>',
                    "dot.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'}}
    site, report = native_build(tmp_path, sample_site_mkdocs, snapshot)
    assert report["failed"] == []
    result = build_in_worker(sample_page, snapshot)
    assert result["ok"], result["errors"]
    assert result["page"].encode() == (site / "artifacts" / "entities" / "v1" / "page.html").read_bytes()


def test_a_package_the_static_site_does_not_have_is_named_with_what_to_do(sample_page: Page,
                                                                          sample_site_mkdocs: Path) -> None:
    snapshot = react_todo(sample_site_mkdocs)
    snapshot["dependencies"] = {**snapshot["dependencies"], "left-pad": "1.3.0"}
    snapshot["files"]["src/index.tsx"] = 'import pad from "left-pad";\n' + snapshot["files"]["src/index.tsx"]
    result = build_in_worker(sample_page, snapshot)
    assert not result["ok"]
    assert "left-pad@1.3.0" in result["errors"][0]["text"] and "mkdocs-hybrid serve" in result["errors"][0]["text"]

    snapshot = react_todo(sample_site_mkdocs)
    snapshot["files"]["src/index.tsx"] = 'import "react-dom/server";\n' + snapshot["files"]["src/index.tsx"]
    result = build_in_worker(sample_page, snapshot)
    assert not result["ok"] and "react-dom/server" in result["missing"][0]["message"]


def test_a_url_import_says_what_can_be_imported_as_the_native_build_says(sample_page: Page, sample_site_mkdocs: Path,
                                                                         tmp_path: Path) -> None:
    """``import "file:///..."`` is no package to declare: neither build suggests adding ``file:`` to the
    dependencies, and the editor says what the native build says."""
    snapshot = react_todo(sample_site_mkdocs)
    snapshot["files"]["src/index.tsx"] = 'import "file:///etc/hostname";\n' + snapshot["files"]["src/index.tsx"]
    result = build_in_worker(sample_page, snapshot)
    assert not result["ok"]
    error = result["errors"][0]
    assert error["text"].endswith("(only the snapshot's own files and packages from the npm registry can be imported)")
    assert "dependencies" not in error["text"]
    _, report = native_build(tmp_path, sample_site_mkdocs, snapshot)
    assert report["failed"][0]["error"] == f"{error['file']}:{error['line']}:{error['column']}: {error['text']}"


def test_an_edit_that_changes_the_imports_changes_the_vendor_file(sample_page: Page, sample_site_mkdocs: Path) -> None:
    """The worker's quick path reuses the imports of the last build; an edit that drops an import must not keep
    the last vendor file. markdown-preview/v2 imports marked (in src/App.js); without it, the set needs a vendor file no
    published version asked for, and the static editor says so instead of building with the stale one."""
    folder = sample_site_mkdocs / "artifacts" / "markdown-preview" / "v2"
    snapshot = json.loads((folder / "source.json").read_text(encoding="utf-8"))
    published = (folder / "page.html").read_bytes()
    assert build_in_worker(sample_page, snapshot)["page"].encode() == published
    original = snapshot["files"]["src/App.js"]
    snapshot["files"]["src/App.js"] = original.replace('import { marked } from "marked";',
                                                       "const marked = { use() {}, parse: (text) => text };")
    without = build_in_worker(sample_page, snapshot)
    assert not without["ok"] and "marked" not in without["missing"][0]["message"]
    assert "react-dom/client, react/jsx-runtime" in without["missing"][0]["message"]
    snapshot["files"]["src/App.js"] = original
    assert build_in_worker(sample_page, snapshot)["page"].encode() == published


def test_an_editor_with_another_esbuild_refuses_to_build(chromium: Browser, sample_site_mkdocs: Path,
                                                        tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(sample_site_mkdocs, site)
    recipe_path = site / EditorFiles.of(site).recipe
    recipe = json.loads(recipe_path.read_text(encoding="utf-8"))
    recipe["esbuild"] = "0.27.0"
    recipe_path.write_text(json.dumps(recipe), encoding="utf-8")
    with serve_static(site) as base_url:
        page = chromium.new_page()
        page.goto(f"{base_url}/404.html")
        answer = start_worker(page, EditorFiles.of(site))
    assert answer["type"] == "fatal"
    assert "0.27.0" in answer["message"] and "0.28.2" in answer["message"] and "rebuild" in answer["message"]
