"""Find the pinned native esbuild and check it matches the editor's esbuild-wasm.

The share link must show exactly what the author previewed, so the worker's
esbuild and the editor's esbuild-wasm must be the same version: a mismatch is
refused before anything is built.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mkdocs_hybrid.model.errors import ToolchainError

NODE_MODULES_ENV = "MKDOCS_HYBRID_NODE_MODULES"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent
"""The checkout (or site-packages) folder that holds the package: its ``node_modules`` is the default."""
FIX = "run `npm ci` in the mkdocs-hybrid checkout (or point MKDOCS_HYBRID_NODE_MODULES at a node_modules folder)"


@dataclass(frozen=True)
class Toolchain:
    """The resolved build tools."""

    esbuild: Path
    """The native esbuild binary (called directly: the Node shim costs ~0.5 s a call)."""
    version: str
    node_modules: Path
    npm: str | None
    """The npm client, needed only for snapshots with dependencies."""


def find_toolchain(start: Path | None = None) -> Toolchain:
    """Locate ``node_modules`` with esbuild + esbuild-wasm and verify their versions agree."""
    return _find_toolchain(str((start or Path.cwd()).resolve()), os.environ.get(NODE_MODULES_ENV, ""))


def toolchain_files(start: Path | None = None) -> list[Path]:
    """The files whose stat changes when the toolchain :func:`find_toolchain` finds does (esbuild's binary, both
    packages' manifests, npm's record of the folder), found without starting esbuild."""
    node_modules = _node_modules(Path(str((start or Path.cwd()).resolve())), os.environ.get(NODE_MODULES_ENV, ""))
    return [_binary(node_modules), node_modules / "esbuild" / "package.json",
            node_modules / "esbuild-wasm" / "package.json", node_modules / ".package-lock.json"]


@lru_cache(maxsize=8)
def _find_toolchain(start: str, override: str) -> Toolchain:
    node_modules = _node_modules(Path(start), override)
    binary = _binary(node_modules)
    version = _run_version(binary)
    wasm_version = _package_version(node_modules / "esbuild-wasm")
    if wasm_version is None:
        raise ToolchainError(f"esbuild-wasm is not installed in {node_modules}; {FIX}")
    if wasm_version != version:
        raise ToolchainError(
            f"native esbuild {version} does not match esbuild-wasm {wasm_version} in {node_modules}: "
            "pin both to the same exact version in package.json and run `npm ci`")
    return Toolchain(esbuild=binary, version=version, node_modules=node_modules, npm=shutil.which("npm"))


def _node_modules(start: Path, override: str) -> Path:
    if override:
        path = Path(override).resolve()
        if not (path / "esbuild-wasm").is_dir():
            raise ToolchainError(f"{NODE_MODULES_ENV}={override} has no esbuild-wasm; {FIX}")
        return path
    for folder in (start, *start.parents, PACKAGE_ROOT):
        candidate = folder / "node_modules"
        if (candidate / "esbuild-wasm").is_dir() or (candidate / "esbuild").is_dir():
            return candidate
    raise ToolchainError(f"no node_modules with esbuild found above {start} or in {PACKAGE_ROOT}; {FIX}")


def _binary(node_modules: Path) -> Path:
    system = {"Linux": "linux", "Darwin": "darwin", "Windows": "win32"}.get(platform.system(),
                                                                            platform.system().lower())
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine().lower(),
                                                                                       platform.machine())
    name = "esbuild.exe" if system == "win32" else "bin/esbuild"
    binary = node_modules / "@esbuild" / f"{system}-{arch}" / name
    if not binary.is_file():
        raise ToolchainError(f"native esbuild binary for {system}-{arch} not found at {binary}; {FIX}")
    return binary


def _run_version(binary: Path) -> str:
    try:
        result = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ToolchainError(f"cannot run {binary} ({exc}); {FIX}") from None
    return result.stdout.strip()


def _package_version(package_dir: Path) -> str | None:
    try:
        return str(json.loads((package_dir / "package.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None
