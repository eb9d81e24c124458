"""A real build (esbuild, the site) with a fuzzed snapshot beside good ones.

The other fuzz tests stop at the scan; this one bundles. For every generated snapshot (hostile ``snapshot.yml``,
code that imports outside files, devices and URLs, file names that forge esbuild's ``file:line:col``, hostile
dependency specs, special files): the build ends within the bound without raising, the good snapshots of the same
source (another thread, a sibling version, a JSON file) are built into the site, every failure is about the fuzzed
snapshot, and nothing is written outside the site and the cache. Examples share one bundle cache, so the good
snapshots are bundled once.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mkdocs_hybrid.config.manifest import load_manifest
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.publish.site import SitePages
from tests.fuzz.harness import (
    BUILD_SECONDS,
    assert_no_traceback,
    assert_one_line,
    assert_writes_within,
    bounded,
    budget,
    count,
    tree_state,
)
from tests.fuzz.hostile import NON_REGISTRY_SPECS, alias_bomb, odd_text, yaml_texts
from tests.fuzz.projects import GOOD_REFS, SPECIAL_KINDS, make_entry, project
from tests.fuzz.test_fuzz_sources import SNAPSHOT_YML

CODE = st.sampled_from([
    "document.body.textContent = 'fuzz';\n",
    "import x from '../../../outside/secret.txt';\nconsole.log(x);\n",
    "import x from '/dev/zero';\nconsole.log(x);\n",
    "import x from '/etc/hostname';\nconsole.log(x);\n",
    "import x from 'file:///etc/hostname';\nconsole.log(x);\n",
    "import x from 'https://127.0.0.1:9/x.js';\nconsole.log(x);\n",
    "import x from './special0.js';\nconsole.log(x);\n",
    "import x from './\\n../good/v1/index.js:1:1: ERROR: forged';\n",
    "import React from 'react';\nconsole.log(React);\n",
    "this is not javascript {{{\n",
    "export default " + "[" * 5000 + "]" * 5000 + ";\n",
    "",
])
FORGED_NAMES = ["a\nb.js", "x.js:1:1: ERROR: forged", "demos/good/v1/index.js", "\x1b[2K.js", "é.js", "\u202e.js"]


@pytest.fixture(scope="module")
def shared_cache() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fuzz-build-cache-") as folder:
        yield Path(folder)


def _build(root: Path) -> dict[str, Any]:
    os.environ["NPM_CONFIG_OFFLINE"] = "true"  # in the forked child only: a spec let through never reaches a network
    export = Export(load_manifest(root / "hybrid.yml"), ledger=False, pages=SitePages(standalone_gallery=True))
    export.run(root / "site")
    report = export.report
    return {"failed": [str(e) for e in report.failed], "failed_refs": [e.ref for e in report.failed]}


@budget(share=0.5, floor=8)
@given(snapshot_yml=st.none() | yaml_texts(SNAPSHOT_YML) | st.just(alias_bomb("title", 9, 9).encode()),
       code=CODE, names=st.lists(st.sampled_from(FORGED_NAMES) | odd_text(20), max_size=2),
       spec=st.none() | NON_REGISTRY_SPECS, special=st.none() | st.sampled_from(SPECIAL_KINDS))
def test_build_beside_good_snapshots(shared_cache: Path, snapshot_yml: bytes | None, code: str, names: list[str],
                                     spec: str | None, special: str | None) -> None:
    count("real build, a fuzzed snapshot beside good ones")
    with project() as root:
        (root / "hybrid.yml").write_text(json.dumps({
            "sources": [{"type": "directory", "path": "demos"}, {"type": "snapshots", "path": "exports"}],
            "build": {"cache_dir": str(shared_cache), "ledger": False}, "editor": {"enabled": False}}),
            encoding="utf-8")
        folder = root / "demos/fuzz/v1"
        folder.mkdir(parents=True)
        (folder / "index.js").write_text(code, encoding="utf-8")
        if snapshot_yml is not None:
            (folder / "snapshot.yml").write_bytes(snapshot_yml)
        if spec is not None:
            (folder / "package.json").write_text(json.dumps({"dependencies": {"react": spec}}), encoding="utf-8")
        for name in names:
            try:
                (folder / name).write_text("export default 1;\n", encoding="utf-8")
            except (OSError, ValueError, UnicodeEncodeError):
                pass
        if special is not None:
            make_entry(folder / "special0.js", special)
        before = tree_state(root.parent)
        outcome = bounded(lambda: _build(root), seconds=BUILD_SECONDS)
        assert_no_traceback(outcome, project_errors=False)
        result = outcome.value
        assert_writes_within(root.parent, before, tree_state(root.parent), [root / "site", root / "hybrid-report.json",
                                                                            root / "hybrid-lock.json"])
        assert_one_line(result["failed"])
        strangers = [e for e, ref in zip(result["failed"], result["failed_refs"]) if ref != "fuzz/v1"]
        assert not strangers, f"failures not about fuzz/v1: {strangers}"
        for ref in GOOD_REFS:
            thread, version = ref.split("/")
            page = root / "site/artifacts" / thread / version / "page.html"
            assert page.is_file() and page.stat().st_size > 0, f"{ref} was not built: {result['failed']}"
        assert os.path.isdir(root / "site")
