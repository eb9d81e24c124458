"""Shared vendor files: one copy of each pinned dependency set for all the demos that use it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from mkdocs_hybrid import pipeline
from mkdocs_hybrid.bundle import flags, vendor
from mkdocs_hybrid.bundle.bundle_cache import CACHE_FILE, BundleCache
from mkdocs_hybrid.bundle.confinement import SNAPSHOT_TSCONFIG
from mkdocs_hybrid.bundle.flags import esbuild_flags, vendor_flags
from mkdocs_hybrid.bundle.toolchain import find_toolchain
from mkdocs_hybrid.bundle.vendor import vendor_entry
from mkdocs_hybrid.config.manifest import BuildOptions
from mkdocs_hybrid.pipeline import Export
from tests.factory import REPO, manifest_for, write_tree

REACT = '{"dependencies": {"react": "18.3.1", "react-dom": "18.3.1"}}'


def react_demo(n: int) -> dict[str, str]:
    app = (f"import {{ useState }} from 'react'\nimport {{ createRoot }} from 'react-dom/client'\n"
           f"function App() {{ const [count, setCount] = useState({n})\n"
           f"  return <button onClick={{() => setCount(count + 1)}}>Demo {n}: {{count}}</button> }}\n"
           f"createRoot(document.getElementById('root')).render(<App />)\n")
    return {f"demos/r{n}/v1/src/index.jsx": app, f"demos/r{n}/v1/package.json": REACT}


def site_bytes(site: Path) -> int:
    return sum(p.stat().st_size for p in site.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def react_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("vendor")
    files: dict[str, str] = {}
    for n in range(3):
        files.update(react_demo(n))
    write_tree(root, files)
    return root


def test_react_demos_share_one_vendor_file(react_project: Path) -> None:
    export = Export(manifest_for(react_project))
    export.run(react_project / "site")
    assert export.report.failed == []
    vendors = sorted((react_project / "site/vendor").iterdir())
    assert len(vendors) == 1 and vendors[0].stat().st_size > 100_000, "React is in the vendor file, once"
    for n in range(3):
        page = (react_project / f"site/artifacts/r{n}/v1/page.html").read_text()
        assert f'<script src="../../../vendor/{vendors[0].name}"></script>' in page
        assert len(page.encode()) < 10_000, "the page holds only the demo's own code"
        meta = json.loads((react_project / f"site/artifacts/r{n}/v1/meta.json").read_text())
        assert meta["vendor"]["path"] == f"vendor/{vendors[0].name}"
        assert meta["vendor"]["modules"] == ["react", "react-dom/client", "react/jsx-runtime"]
    assert "Cache-Control: public, max-age=31536000, immutable" in \
        (react_project / "site/_headers").read_text().split("/vendor/*", 1)[1].split("\n\n")[0]


def test_each_extra_react_demo_adds_less_than_10_kb(react_project: Path, tmp_path: Path) -> None:
    manifest = manifest_for(react_project)
    Export(manifest).run(tmp_path / "three")
    write_tree(react_project, react_demo(3))
    Export(manifest).run(tmp_path / "four")
    added = site_bytes(tmp_path / "four") - site_bytes(tmp_path / "three")
    assert 0 < added <= 10_000, added


def test_vendor_can_be_turned_off(react_project: Path, tmp_path: Path) -> None:
    export = Export(manifest_for(react_project, vendor=False, ledger=False))
    export.run(tmp_path / "site")
    assert not (tmp_path / "site/vendor").exists()
    assert len((tmp_path / "site/artifacts/r0/v1/page.html").read_bytes()) > 100_000, "React inlined"


def test_published_pages_keep_their_vendor_file_after_it_changes(react_project: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = manifest_for(react_project)
    Export(manifest).run(tmp_path / "first")
    [old] = [p.name for p in (tmp_path / "first/vendor").iterdir()]
    # A new esbuild or dependency upgrade would change the vendor file; pretend the flags changed.
    for name in ("esbuild_flags", "vendor_flags"):
        original = getattr(flags, name)
        monkeypatch.setattr(vendor, name, lambda options, original=original: [*original(options), "--keep-names"])
    Export(manifest).run(tmp_path / "second")
    names = {p.name for p in (tmp_path / "second/vendor").iterdir()}
    assert old in names and len(names) == 2, "the published pages (kept by the ledger) still load their vendor file"
    page = (tmp_path / "second/artifacts/r0/v1/page.html").read_text()
    assert f"vendor/{old}" in page, "published bytes are kept"


def test_the_vendor_file_holds_what_esbuild_resolves_not_what_a_text_scan_sees(react_project: Path,
                                                                               tmp_path: Path) -> None:
    """Imports hidden from a plain text scan (a comment before the specifier, an escaped name) are found by
    esbuild's own resolution, so every version still gets React from the shared vendor file."""
    commented = ("import { createRoot } from /* the root API */ 'react-dom/client'\n"
                 "createRoot(document.body).render(<b>commented</b>)\n")
    escaped = ('import { createRoot } from "react-dom/client"\nimport { useState } from "\\u0072eact"\n'
               "createRoot(document.body).render(<b>{String(useState)}</b>)\n")
    extra = {"demos/odd/v1/src/index.jsx": commented, "demos/odd/v1/package.json": REACT,
             "demos/odd/v2/src/index.jsx": escaped, "demos/odd/v2/package.json": REACT}
    write_tree(react_project, extra)
    try:
        export = Export(manifest_for(react_project), ledger=False)
        export.run(tmp_path / "site")
    finally:
        shutil.rmtree(react_project / "demos/odd")
    assert export.report.failed == []
    expected = {"v1": ["react-dom/client", "react/jsx-runtime"],
                "v2": ["react", "react-dom/client", "react/jsx-runtime"]}
    for version, modules in expected.items():
        meta = json.loads((tmp_path / f"site/artifacts/odd/{version}/meta.json").read_text())
        assert meta["vendor"]["modules"] == modules
        page = (tmp_path / f"site/artifacts/odd/{version}/page.html").read_bytes()
        assert len(page) < 10_000, "React is not bundled into the page a second time"


@pytest.mark.wasm
def test_esbuild_wasm_makes_the_same_vendor_file_and_demo_bundle(react_project: Path, tmp_path: Path) -> None:
    """The editor's half of the recipe: esbuild-wasm, given the same inputs, writes the bytes we publish."""
    manifest = manifest_for(react_project)
    Export(manifest, ledger=False).run(tmp_path / "site")
    meta = json.loads((tmp_path / "site/artifacts/r0/v1/meta.json").read_text())
    [packages] = manifest.cache_dir.glob("deps/*/node_modules")
    [shims] = [p.parent / "node_modules" for p in manifest.cache_dir.glob("vendor/*/name")
               if p.read_text() == meta["vendor"]["path"]]

    vendor_root = write_tree(tmp_path / "editor-vendor", {
        "package.json": "{}\n", "entry.js": vendor_entry(tuple(meta["vendor"]["modules"]))})
    esbuild_wasm(vendor_root, ["entry.js", *vendor_flags(BuildOptions()), "--outfile=vendor.js"], packages)
    assert (vendor_root / "vendor.js").read_bytes() == (tmp_path / "site" / meta["vendor"]["path"]).read_bytes()

    demo_root = write_tree(tmp_path / "editor-demo", {
        "package.json": "{}\n", "r0/v1/tsconfig.json": SNAPSHOT_TSCONFIG, **{
        f"r0/v1/{name.removeprefix('demos/r0/v1/')}": text for name, text in react_demo(0).items()
        if not name.endswith("package.json")}})  # metadata: not a file of the snapshot
    esbuild_wasm(demo_root, ["r0/v1/src/index.jsx", *esbuild_flags(BuildOptions()), "--outdir=out", "--outbase=."],
                 f"{shims}{os.pathsep}{packages}")
    with BundleCache(manifest.cache_dir / CACHE_FILE) as cache:
        published = cache.get(meta["bundle_key"])
    assert published is not None and (demo_root / "out/r0/v1/src/index.js").read_bytes() == published[0]


def esbuild_wasm(root: Path, arguments: list[str], node_path: Path | str) -> None:
    command = ["node", str(REPO / "node_modules/esbuild-wasm/bin/esbuild"), *arguments, "--log-level=error"]
    run = subprocess.run(command, cwd=root, env={**os.environ, "NODE_PATH": str(node_path)}, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr


def test_a_hung_vendor_build_fails_only_the_versions_that_need_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                  ) -> None:
    """esbuild hanging on a vendor file times out once; its versions fail with a clear error, the rest build."""
    real = find_toolchain(REPO)
    calls = tmp_path / "vendor-calls"
    fake = tmp_path / "esbuild"
    fake.write_text(f'#!/bin/sh\ncase "$*" in *--format=iife*) echo x >> "{calls}"; exec sleep 60;; esac\n'
                    f'exec "{real.esbuild}" "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setattr(pipeline, "find_toolchain", lambda start=None: replace(real, esbuild=fake))
    monkeypatch.setattr(vendor, "VENDOR_BUDGET", replace(vendor.VENDOR_BUDGET, seconds=1))
    monkeypatch.setenv("MKDOCS_HYBRID_SANDBOX", "off")  # the fake esbuild is a shell script
    project = write_tree(tmp_path / "project", {**react_demo(0), **react_demo(1),
                                                "demos/plain/v1/index.js": "document.body.textContent = 'plain'\n"})
    export = Export(manifest_for(project), ledger=False)
    export.run(project / "site")
    assert export.report.built == ["plain/v1"]
    assert sorted(error.ref for error in export.report.failed) == ["r0/v1", "r1/v1"]
    assert all("esbuild ran out of time (1 s)" in str(error) for error in export.report.failed)
    assert calls.read_text().count("x") == 1, "the hung build is tried once, not once per version"
