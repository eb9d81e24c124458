"""The editor's own files: bundled by the pinned native esbuild, named by content hash, reproducible, cached."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from mkdocs_hybrid.bundle.toolchain import find_toolchain
from mkdocs_hybrid.edge.headers import HEADER_RULES, IMMUTABLE, NO_CACHE
from mkdocs_hybrid.editor import assets as assets_module
from mkdocs_hybrid.editor.assets import build_editor_assets, editor_source_dir, write_editor

HASHED = re.compile(r"^assets/(main|worker|esbuild|editor)\.([0-9a-f]{12})\.(js|wasm|css)$")


def test_two_builds_give_the_same_bytes_named_by_their_hash(tmp_path: Path) -> None:
    toolchain = find_toolchain()
    first = build_editor_assets(toolchain, tmp_path / "cache-a")
    second = build_editor_assets(toolchain, tmp_path / "cache-b")
    assert first.files == second.files
    names = [name for name, _ in first.files]
    assert sorted(names) == sorted([first.main, first.worker, first.wasm, first.css])
    for name, data in first.files:
        match = HASHED.match(name)
        assert match, name
        assert match.group(2) == hashlib.sha256(data).hexdigest()[:12], f"{name} is not named by its content"
    wasm = dict(first.files)[first.wasm]
    assert wasm == (toolchain.node_modules / "esbuild-wasm/esbuild.wasm").read_bytes()
    assert first.esbuild_version == toolchain.version
    main = dict(first.files)[first.main].decode()
    assert not re.search(r"""(^|[;}\s])import\s*[{"'*]|from\s*["']@codemirror""", main), "an import left unbundled"


def test_a_warm_build_runs_no_esbuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toolchain = find_toolchain()
    cold = build_editor_assets(toolchain, tmp_path / "cache")
    calls: list[Any] = []
    monkeypatch.setattr(assets_module.subprocess, "run", lambda *args, **kwargs: calls.append(args))
    warm = build_editor_assets(toolchain, tmp_path / "cache")
    assert calls == [] and warm == cold


def test_an_edited_source_file_changes_the_key(tmp_path: Path) -> None:
    toolchain = find_toolchain()
    source = tmp_path / "editor_src"
    shutil.copytree(editor_source_dir(), source)
    before = build_editor_assets(toolchain, tmp_path / "cache", source)
    (source / "editor.css").write_text((source / "editor.css").read_text() + "\n.x { color: red }\n")
    after = build_editor_assets(toolchain, tmp_path / "cache", source)
    assert before.css != after.css and before.main == after.main


def test_write_editor_uses_relative_hashed_urls_and_prunes_old_files(tmp_path: Path) -> None:
    assets = build_editor_assets(find_toolchain(), tmp_path / "cache")
    site = tmp_path / "site"
    stale = site / "editor/assets/main.000000000000.js"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    (site / "editor/recipe.000000000000.json").write_text("{}")
    recipe = b'{"format": "mkdocs-hybrid/editor-recipe@1"}\n'
    write_editor(site, assets, recipe)
    page = (site / "editor/index.html").read_text()
    recipe_name = f"recipe.{hashlib.sha256(recipe).hexdigest()[:12]}.json"
    assert (site / "editor" / recipe_name).read_bytes() == recipe
    for url in (assets.main, assets.css, assets.worker, assets.wasm, recipe_name):
        assert f'"{url}"' in page, url
    assert not re.search(r'(src|href)="(/|https?:)', page), "the editor page must use relative URLs only"
    assert not stale.exists() and not (site / "editor/recipe.000000000000.json").exists()
    written = sorted(path.relative_to(site / "editor").as_posix() for path in (site / "editor").rglob("*")
                     if path.is_file())
    assert written == sorted([name for name, _ in assets.files] + [recipe_name, "index.html"])


def test_headers_make_assets_immutable_and_the_page_revalidate() -> None:
    rules = {rule.path: dict(rule.headers) for rule in HEADER_RULES}
    assert rules["/editor/assets/*"]["Cache-Control"] == IMMUTABLE
    assert rules["/editor/"]["Cache-Control"] == NO_CACHE


def test_a_broken_editor_source_is_a_readable_error(tmp_path: Path) -> None:
    source = tmp_path / "editor_src"
    shutil.copytree(editor_source_dir(), source)
    (source / "main.js").write_text("import { nothing } from './missing.js';\n")
    with pytest.raises(assets_module.EditorBuildError, match=r"missing\.js"):
        build_editor_assets(find_toolchain(), tmp_path / "cache", source)


def test_the_wasm_is_served_as_application_wasm() -> None:
    # WebAssembly.compileStreaming refuses any other type; both the deploy table and Python's server agree.
    table = json.loads((Path(assets_module.__file__).parent.parent / "deploy/content_types.json").read_text())
    assert table["wasm"] == "application/wasm"
    assert mimetypes.guess_type("esbuild.0123456789ab.wasm")[0] == "application/wasm"
