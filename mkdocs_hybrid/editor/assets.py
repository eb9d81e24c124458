"""The editor page's own files: its JavaScript bundled by the pinned native esbuild, named by content hash.

:func:`build_editor_assets` bundles ``editor_src/main.js`` (the page) and ``editor_src/worker.js`` (a module
worker) and copies ``esbuild.wasm`` and ``editor.css``; every output is named by its content hash, so the site
can serve ``editor/assets/`` immutable and only ``editor/index.html`` needs revalidating. The result is cached
under ``cache_dir`` by a key over every file of ``editor_src``, the esbuild version and the installed packages,
so a warm site build runs no esbuild for the editor. :func:`write_editor` puts the files, the recipe and the
page into a site.

Reproducible: esbuild runs in a fresh temporary folder with an empty ``package.json`` and an empty tsconfig,
with no comments kept (``--legal-comments=none``, ``--minify``), so the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mkdocs_hybrid.bundle.toolchain import Toolchain
from mkdocs_hybrid.model.durable import make_temp_dir, scratch_dir, sweep, write_scratch
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.model.files import write_if_changed
from mkdocs_hybrid.model.layout import ASSETS, EDITOR
from mkdocs_hybrid.templates import environment

__all__ = [
    "EditorAssets",
    "EditorBuildError",
    "build_editor_assets",
    "editor_source_dir",
    "write_editor",
]

ASSETS_FORMAT = "mkdocs-hybrid/editor-assets@1"
"""Part of the cache key: bump it when the way assets are made changes."""
HASH_LENGTH = 12
ESBUILD_FLAGS = (
    "--bundle",
    "--format=esm",
    "--minify",
    "--target=es2020",
    "--platform=browser",
    "--charset=utf8",
    "--legal-comments=none",
    "--tsconfig-raw={}",
    "--log-level=error",
)
ENTRIES = ("main", "worker")
"""``editor_src/{name}.js`` bundled to ``assets/{name}.{hash}.js``."""
ESBUILD_TIMEOUT = 300
CACHE_FOLDER = "editor-assets"
CACHE_INDEX = "assets.json"


class EditorBuildError(HybridError):
    """The editor's own JavaScript could not be bundled (a bug in ``editor_src``, or a missing npm package)."""


@dataclass(frozen=True)
class EditorAssets:
    """The editor's content-hashed files; paths are relative to the site's ``editor/`` folder."""

    files: tuple[tuple[str, bytes], ...]
    """``(path, bytes)`` sorted by path, e.g. ``("assets/main.0123456789ab.js", b"...")``."""
    main: str
    worker: str
    wasm: str
    css: str
    esbuild_version: str


def editor_source_dir() -> Path:
    """The ``editor_src`` folder: inside the package when installed, else at the repository root.

    The wheel force-includes the repo's ``editor_src/`` as ``mkdocs_hybrid/editor_src`` (``pyproject.toml``),
    as it does ``site_template/``.
    """
    package = Path(__file__).resolve().parent.parent
    packaged = package / "editor_src"
    if packaged.is_dir():
        return packaged
    return package.parent / "editor_src"


def build_editor_assets(toolchain: Toolchain, cache_dir: Path, source_dir: Path | None = None) -> EditorAssets:
    """Bundle the editor (or take it from ``cache_dir``) and name every file by its content hash."""
    source = source_dir or editor_source_dir()
    files = _source_files(source)
    key = _cache_key(files, source, toolchain)
    cached = _read_cache(cache_dir, key, toolchain.version)
    if cached is not None:
        return cached
    bundles = _bundle(source, files, toolchain)
    wasm = toolchain.node_modules / "esbuild-wasm" / "esbuild.wasm"
    try:
        wasm_bytes = wasm.read_bytes()
    except OSError as exc:
        raise EditorBuildError(f"cannot read {wasm} ({exc}); run `npm ci` in the mkdocs-hybrid checkout") from None
    outputs = {
        "main": _hashed("main", ".js", bundles["main"]),
        "worker": _hashed("worker", ".js", bundles["worker"]),
        "wasm": _hashed("esbuild", ".wasm", wasm_bytes),
        "css": _hashed("editor", ".css", _read(source / "editor.css")),
    }
    assets = EditorAssets(
        files=tuple(sorted(outputs.values())),
        main=outputs["main"][0],
        worker=outputs["worker"][0],
        wasm=outputs["wasm"][0],
        css=outputs["css"][0],
        esbuild_version=toolchain.version,
    )
    _write_cache(cache_dir, key, assets)
    return assets


def write_editor(site_dir: Path, assets: EditorAssets, recipe: bytes, artifacts: str = "../") -> None:
    """Write ``editor/``: the hashed assets, ``recipe.{hash}.json`` and ``index.html`` (relative URLs only,
    except ``artifacts``: where published sources and vendor files are, the site's root or the artifact origin).

    Files of an earlier build that this one does not make (old hashes) are removed from ``editor/assets/``
    and ``editor/``, so the folder is what a clean build makes.
    """
    editor = site_dir / EDITOR
    recipe_name, _ = _hashed("recipe", ".json", recipe)
    wanted = dict(assets.files)
    wanted[recipe_name] = recipe
    page = environment().get_template("editor.html").render(
        main_url=assets.main,
        css_url=assets.css,
        config_json=json.dumps(
            {
                "worker": assets.worker,
                "wasm": assets.wasm,
                "recipe": recipe_name,
                "esbuild": assets.esbuild_version,
                "artifacts": artifacts,
            },
            sort_keys=True,
        ).replace("<", "\\u003c"),
    )
    wanted["index.html"] = page.encode("utf-8")
    for name, data in wanted.items():
        write_if_changed(editor / name, data)
    _prune(editor, set(wanted))


# ---- bundling ----------------------------------------------------------------------------------


def _bundle(source: Path, files: list[Path], toolchain: Toolchain) -> dict[str, bytes]:
    """Run esbuild once over both entries, in a temporary folder that holds a copy of ``editor_src``."""
    with scratch_dir("mkdocs-hybrid-editor-") as root:
        # An empty package.json stops esbuild's lookup of package.json/tsconfig files above the folder.
        write_scratch(root / "package.json", "{}\n")
        copy = root / "editor_src"
        for path in files:
            target = copy / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_scratch(target, path.read_bytes())
        for name in ENTRIES:
            if not (copy / f"{name}.js").is_file():
                raise EditorBuildError(f"{source / (name + '.js')} is missing: the editor cannot be built")
        command = [str(toolchain.esbuild), *[f"editor_src/{name}.js" for name in ENTRIES], "--outdir=out",
                   *ESBUILD_FLAGS]
        env = {"PATH": os.environ.get("PATH", ""), "NODE_PATH": str(toolchain.node_modules)}
        try:
            result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                                    timeout=ESBUILD_TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise EditorBuildError(f"cannot run {toolchain.esbuild} for the editor ({exc})") from None
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            raise EditorBuildError(f"bundling the editor ({source}) failed:\n{detail}")
        return {name: _read(root / "out" / f"{name}.js") for name in ENTRIES}


def _hashed(stem: str, suffix: str, data: bytes) -> tuple[str, bytes]:
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    folder = "" if stem == "recipe" else f"{ASSETS}/"  # editor/assets/: content-hashed files only (immutable)
    return f"{folder}{stem}.{digest}{suffix}", data


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise EditorBuildError(f"cannot read {path} ({exc})") from None


# ---- the cache ------------------------------------------------------------------------------------


def _source_files(source: Path) -> list[Path]:
    """Every file under ``editor_src`` (hidden ones skipped), sorted by relative POSIX path."""
    if not source.is_dir():
        raise EditorBuildError(f"{source} is missing: the editor's sources ship with mkdocs-hybrid")
    files = [path for path in source.rglob("*")
             if path.is_file() and not any(part.startswith(".") for part in path.relative_to(source).parts)]
    return sorted(files, key=lambda path: path.relative_to(source).as_posix())


def _cache_key(files: list[Path], source: Path, toolchain: Toolchain) -> str:
    """sha256 over the format, the esbuild version, the flags, the installed packages and every source file."""
    digest = hashlib.sha256()

    def add(part: bytes) -> None:
        # Length prefixes keep the boundaries between parts unambiguous.
        digest.update(len(part).to_bytes(8, "big") + part)

    add(ASSETS_FORMAT.encode())
    add(toolchain.version.encode())
    add("\0".join(ESBUILD_FLAGS).encode())
    # npm's own record of what is installed: a new CodeMirror version changes the bundle, so it changes the key.
    installed = toolchain.node_modules / ".package-lock.json"
    add(installed.read_bytes() if installed.is_file() else b"")
    for path in files:
        add(path.relative_to(source).as_posix().encode())
        add(_read(path))
    return digest.hexdigest()


def _read_cache(cache_dir: Path, key: str, version: str) -> EditorAssets | None:
    """The cached assets for ``key``, or ``None`` when absent or damaged (then they are built again)."""
    folder = cache_dir / CACHE_FOLDER / key
    try:
        index = json.loads((folder / CACHE_INDEX).read_text(encoding="utf-8"))
        files = tuple((str(name), (folder / "files" / str(name)).read_bytes()) for name in index["files"])
        roles = {role: str(index[role]) for role in ("main", "worker", "wasm", "css")}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for name, data in files:
        if _hashed(Path(name).name.split(".", 1)[0], Path(name).suffix, data)[0] != name:
            return None  # a damaged file: its name no longer matches its bytes
    return EditorAssets(files=files, esbuild_version=version, **roles)


def _write_cache(cache_dir: Path, key: str, assets: EditorAssets) -> None:
    """Store the assets under ``key``: written into a temporary folder, then renamed into place."""
    root = cache_dir / CACHE_FOLDER
    root.mkdir(parents=True, exist_ok=True)
    sweep(root, ".tmp-")  # what a killed build left (never a running build's)
    staging = make_temp_dir(root, ".tmp-")
    try:
        for name, data in assets.files:
            target = staging / "files" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            write_scratch(target, data)
        index = {"files": [name for name, _ in assets.files], "main": assets.main, "worker": assets.worker,
                 "wasm": assets.wasm, "css": assets.css}
        write_scratch(staging / CACHE_INDEX, json.dumps(index, indent=1))
        final = root / key
        if final.exists():
            shutil.rmtree(final, ignore_errors=True)
        try:
            staging.rename(final)
        except OSError:
            pass  # another build stored the same key first: its bytes are the same
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    # Older keys are never read again: keep only this one.
    for stale in root.iterdir():
        if stale.name != key and not stale.name.startswith(".tmp-"):
            shutil.rmtree(stale, ignore_errors=True)


# ---- writing ----------------------------------------------------------------------------------------


def _prune(editor: Path, wanted: set[str]) -> None:
    """Remove the hashed files of earlier builds: ``assets/*`` and ``recipe.*.json`` not written now."""
    candidates = list((editor / ASSETS).glob("*")) + list(editor.glob("recipe.*.json"))
    for path in candidates:
        if path.is_file() and path.relative_to(editor).as_posix() not in wanted:
            path.unlink()
