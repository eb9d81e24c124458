"""A cold build learns a React demo's imports from its real build (no second esbuild pass only to scan them),
when its text scan guessed them right, and keeps that bundle: the same bytes, counted as built, each demo
bundled once. A wrong guess is scanned and built as before, and leaves no trace."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from mkdocs_hybrid import pipeline
from mkdocs_hybrid.bundle.bundle_cache import CACHE_FILE
from mkdocs_hybrid.bundle.toolchain import find_toolchain
from mkdocs_hybrid.pipeline import Export
from tests.bundle.test_vendor import REACT, react_demo
from tests.factory import REPO, manifest_for, read_tree, write_tree

PAGE = {"demos/page/v1/index.html": "<!doctype html><div id=root></div><script type=module src=app.jsx></script>\n",
        "demos/page/v1/app.jsx": "import { createRoot } from 'react-dom/client'\n"
                                 "createRoot(document.getElementById('root')).render(<i>page</i>)\n",
        "demos/page/v1/package.json": REACT,
        "demos/plain/v1/index.js": "document.body.textContent = 'plain'\n"}
HIDDEN = {"demos/odd/v1/src/index.jsx": 'import { useState } from "\\u0072eact"\n'
                                        "document.body.textContent = String(useState) + <b>hidden</b>\n",
          "demos/odd/v1/package.json": REACT}
"""Its text scan sees no ``react`` (the name is escaped), so its guessed vendor file is the JSX runtime's alone."""


def project(root: Path, *trees: dict[str, str]) -> Path:
    write_tree(root, {**react_demo(0), **react_demo(1), **PAGE})
    for tree in trees:
        write_tree(root, tree)
    return root


def logged_esbuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """esbuild behind a script that logs each call's arguments (vendor files' calls left out)."""
    real = find_toolchain(REPO)
    log = tmp_path / "esbuild-calls"
    fake = tmp_path / "esbuild"
    fake.write_text(f'#!/bin/sh\ncase "$*" in *--format=iife*) ;; *) echo "$*" >> "{log}";; esac\n'
                    f'exec "{real.esbuild}" "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setattr(pipeline, "find_toolchain", lambda start=None: replace(real, esbuild=fake))
    monkeypatch.setenv("MKDOCS_HYBRID_SANDBOX", "off")  # the logging esbuild is a shell script
    return log


def test_a_cold_build_bundles_each_demo_once_and_counts_it_as_built(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    log = logged_esbuild(tmp_path, monkeypatch)
    root = project(tmp_path / "project")
    export = Export(manifest_for(root), ledger=False, media=False)
    export.run(root / "site")
    assert export.report.failed == []
    assert sorted(export.report.built) == ["page/v1", "plain/v1", "r0/v1", "r1/v1"] and export.report.cached == []
    calls = log.read_text().splitlines()
    assert not [call for call in calls if "--packages=external" in call], "no pass only to find the imports"
    for entry in ("r0/v1/src/index.jsx", "r1/v1/src/index.jsx", "page/v1/.hybrid-entry.js", "plain/v1/index.js"):
        assert sum(entry in call.split() for call in calls) == 1, (entry, calls)


def test_the_bundles_kept_while_planning_are_the_bytes_a_build_makes(tmp_path: Path) -> None:
    root = project(tmp_path / "project")
    manifest = manifest_for(root)
    cold = Export(manifest, ledger=False, media=False)
    cold.run(root / "cold")
    with sqlite3.connect(manifest.cache_dir / CACHE_FILE) as db:  # the imports stay known, the bundles go
        assert db.execute("SELECT COUNT(*) FROM imports").fetchone() == (3,)
        db.execute("DELETE FROM bundles")
    again = Export(manifest, ledger=False, media=False)
    again.run(root / "again")
    assert sorted(again.report.built) == sorted(cold.report.built) == ["page/v1", "plain/v1", "r0/v1", "r1/v1"]
    assert read_tree(root / "again" / "artifacts") == read_tree(root / "cold" / "artifacts")
    assert read_tree(root / "again" / "p") == read_tree(root / "cold" / "p")


def test_a_wrong_guess_is_scanned_built_with_its_real_vendor_file_and_left_out_of_the_recipe(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = logged_esbuild(tmp_path, monkeypatch)
    root = project(tmp_path / "project", HIDDEN)
    export = Export(manifest_for(root), ledger=False, media=False)
    export.run(root / "site")
    assert export.report.failed == [] and "odd/v1" in export.report.built
    meta = json.loads((root / "site/artifacts/odd/v1/meta.json").read_text())
    assert meta["vendor"]["modules"] == ["react", "react/jsx-runtime"]
    scans = [call for call in log.read_text().splitlines() if "--packages=external" in call]
    assert len(scans) == 1 and "odd/v1/src/index.jsx" in scans[0].split() and "r0/v1" not in scans[0], scans
    requested = [vendor["requested"] for entry in export.editor_inputs().sets for vendor in entry["vendors"]]
    assert ["react/jsx-runtime"] not in requested, "the guess's vendor file is not one the build uses"
    assert ["react", "react/jsx-runtime"] in requested


def test_a_check_counts_the_demos_it_bundled_while_planning_as_bundled(tmp_path: Path) -> None:
    root = project(tmp_path / "project")
    export = Export(manifest_for(root), ledger=False, media=False)
    export.check()
    assert sorted(export.report.built) == ["page/v1", "plain/v1", "r0/v1", "r1/v1"] and export.report.cached == []
    second = Export(manifest_for(root), ledger=False, media=False)
    second.check()
    assert second.report.built == [] and len(second.report.cached) == 4
