"""Shared, content-hashed vendor files: one copy of React for every React demo.

For a snapshot with npm dependencies, the bare specifiers its code imports
(``react``, ``react-dom/client``, the JSX runtime, ...) are bundled once per
(dependency set, specifier set) into ``vendor/<hash>.js``, a classic script that
puts the modules on ``globalThis.__hybridVendor``. The snapshot itself is then
bundled against small shim packages that read from there, so each demo adds
only its own code. A classic ``<script src>`` loads without CORS, so this works
inside the sandboxed (opaque-origin) frames and on any static host.

The vendor file depends only on the pinned versions, the specifiers and the
esbuild flags, never on other snapshots, so it is stable and immutable.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs_hybrid.bundle.confinement import (
    OUTSIDE,
    Budget,
    confined,
    describe,
    explain_unresolved,
    outside_reads,
    quotes_outside,
    run_limited,
)
from mkdocs_hybrid.bundle.dependencies import InstalledSet
from mkdocs_hybrid.bundle.flags import esbuild_flags, vendor_flags
from mkdocs_hybrid.bundle.toolchain import Toolchain
from mkdocs_hybrid.config.manifest import BuildOptions
from mkdocs_hybrid.model.durable import make_temp_dir, scratch_dir, sweep, write_scratch
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.layout import VENDOR
from mkdocs_hybrid.model.snapshot import Snapshot

GLOBAL = "__hybridVendor"
VENDOR_BUDGET = Budget.for_work(versions=40, input_bytes=16 * 1024 * 1024)
"""A vendor file bundles packages (not a version's files): React's took 0.2 s and 40 MB; this allows two
minutes and 3.8 GB (at most half the machine's memory), for the largest package sets."""
JS_EXTENSIONS = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
"""Modules a vendor file shares; CSS, JSON and assets imported from packages are bundled into each version."""


@dataclass(frozen=True)
class VendorFile:
    """One built vendor script and the shim packages that point at it."""

    name: str
    """Site-relative path, ``vendor/<hash>.js``."""
    content: bytes
    shims: Path
    """A ``node_modules`` folder of shims, for ``NODE_PATH``."""
    specifiers: tuple[str, ...]


def imported_packages(snapshot: Snapshot, dependencies: InstalledSet,
                      imports: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The bare specifiers of declared dependencies that the snapshot's code imports (sorted): ``imports``
    as esbuild resolved them (see :func:`bundler.scan_bare_imports`), else a plain scan of the sources."""
    return requested_specifiers(snapshot.imports if imports is None else imports, dependencies.direct)


def requested_specifiers(imports: Iterable[str] | None, direct: Iterable[str]) -> tuple[str, ...]:
    """What a vendor file is asked for, from the bare ``imports`` of a version's code and the names of its
    ``direct`` dependencies: the ones that name a declared package, plus React's automatic JSX runtime.
    The editor computes the same list (``editor_src/recipe/vendor.js``); ``mkdocs-hybrid serve`` uses this."""
    names = set(direct)
    found = {specifier for specifier in imports or () if _package_name(specifier) in names}
    escaping = sorted(s for s in found if {".", ".."} & set(s.split("/")[1:]))
    if escaping:
        raise SnapshotError(f'import "{escaping[0]}" goes through a package folder to other files; '
                            "import the package's own modules by name")
    if "react" in names:
        found.add("react/jsx-runtime")  # the automatic JSX runtime imports it without a visible import
    return tuple(sorted(found))


def _package_name(specifier: str) -> str:
    parts = specifier.split("/")
    return "/".join(parts[:2]) if specifier.startswith("@") else parts[0]


class VendorBuilder:
    """Builds (and caches) vendor files and their shims under ``cache_dir/vendor``."""

    def __init__(self, cache_dir: Path, toolchain: Toolchain, options: BuildOptions) -> None:
        self.root = cache_dir / VENDOR
        self.toolchain = toolchain
        self.options = options
        self._built: dict[str, VendorFile | SnapshotError] = {}
        self.asked: dict[str, tuple[InstalledSet, tuple[str, ...]]] = {}
        """Every (set, specifiers) a vendor file was asked for, by key: what the editor's recipe lists."""

    def vendor_for(self, specifiers: tuple[str, ...], deps: InstalledSet, *, record: bool = True
                   ) -> VendorFile | None:
        """The vendor file of the JS modules among ``specifiers`` (``None`` when there are none); a failure
        is remembered, so every version needing it fails at once with the same error. ``record=False``: a
        guess (see ``plan.py``), left out of :meth:`made` until a version is planned with it."""
        key = hashlib.sha256(json.dumps([self.toolchain.version, esbuild_flags(self.options), dict(deps.packages),
                                         list(specifiers)]).encode()).hexdigest()[:24]
        if record:
            self.asked.setdefault(key, (deps, specifiers))
        if key not in self._built:
            try:
                self._built[key] = self._load(key) or self._build(key, specifiers, deps)
            except SnapshotError as exc:
                self._built[key] = exc
        outcome = self._built[key]
        if isinstance(outcome, SnapshotError):
            raise outcome
        return outcome if outcome.specifiers else None

    def made(self) -> list[tuple[InstalledSet, tuple[str, ...], VendorFile | None]]:
        """Each (set, requested specifiers, vendor file or ``None``) this builder made or loaded, sorted."""
        return [(deps, specifiers, outcome if outcome.specifiers else None)
                for key, (deps, specifiers) in sorted(self.asked.items())
                if isinstance(outcome := self._built.get(key), VendorFile)]

    def _load(self, key: str) -> VendorFile | None:
        folder = self.root / key
        try:
            name = (folder / "name").read_text(encoding="utf-8")
            modules = tuple(json.loads((folder / "modules.json").read_text(encoding="utf-8")))
            return VendorFile(name=name, content=(folder / "vendor.js").read_bytes(), shims=folder / "node_modules",
                              specifiers=modules)
        except (OSError, ValueError, TypeError):
            return None

    def _build(self, key: str, specifiers: tuple[str, ...], deps: InstalledSet) -> VendorFile:
        content, metafile = self._bundle(specifiers, deps)
        modules = _js_modules(specifiers, metafile)
        if modules != specifiers:
            content = self._bundle(modules, deps)[0] if modules else b""
        name = f"{VENDOR}/{hashlib.sha256(content).hexdigest()[:20]}.js"
        sweep(self._ensure_root(), ".vendor-")  # what a killed build left (never a running build's)
        staging = make_temp_dir(self.root, ".vendor-")
        try:
            write_shims(staging / "node_modules", modules)
            write_scratch(staging / "vendor.js", content)
            write_scratch(staging / "modules.json", json.dumps(list(modules)))
            write_scratch(staging / "name", name)
            shutil.rmtree(self.root / key, ignore_errors=True)
            staging.rename(self.root / key)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return VendorFile(name=name, content=content, shims=self.root / key / "node_modules", specifiers=modules)

    def _ensure_root(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root

    def _bundle(self, specifiers: tuple[str, ...], deps: InstalledSet) -> tuple[bytes, dict[str, Any]]:
        """The vendor script and esbuild's metafile, once the build is shown to have read only packages."""
        what = f"could not bundle the shared vendor file for {', '.join(specifiers)}"
        with scratch_dir("mkdocs-hybrid-vendor-") as scratch_path:
            scratch = str(scratch_path)
            write_scratch(scratch_path / "package.json", "{}\n")
            write_scratch(scratch_path / "entry.js", vendor_entry(specifiers))
            env = {"PATH": os.environ.get("PATH", ""), "NODE_PATH": str(deps.node_modules or "")}
            command = [str(self.toolchain.esbuild), "entry.js", *vendor_flags(self.options), "--log-level=error",
                       "--color=false", "--outfile=vendor.js", "--metafile=meta.json"]
            try:
                run = run_limited(confined(command, cwd=scratch, read_only=[str(deps.node_modules or scratch)]),
                                  cwd=scratch, env=env, budget=VENDOR_BUDGET)
            except OSError as exc:
                raise SnapshotError(f"{what}: cannot run esbuild ({exc})") from None
            if run.limit is not None:
                raise SnapshotError(f"{what}: esbuild ran out of {run.limit} ({VENDOR_BUDGET.describe(run.limit)}) "
                                    "and was stopped: a package imports something that never ends (a device or a "
                                    "pipe of the build machine) or is too big; drop or replace that package")
            allowed = [scratch, str(deps.node_modules or scratch)]
            if run.returncode != 0:
                log = run.stderr.decode("utf-8", errors="replace")
                message = log.strip().splitlines()
                if quotes_outside(log, scratch, allowed):  # never quote a file of the build machine
                    raise SnapshotError(f"{what}: a package's import {OUTSIDE}")
                raise SnapshotError(f"{what}: {explain_unresolved(message[0]) if message else 'esbuild failed'}")
            metafile = json.loads((Path(scratch) / "meta.json").read_text(encoding="utf-8"))
            escapes = outside_reads(metafile, "entry.js", scratch, allowed)
            if escapes:
                raise SnapshotError(f"{what}: {describe(escapes)}")
            return (Path(scratch) / "vendor.js").read_bytes(), metafile


def _js_modules(specifiers: tuple[str, ...], metafile: dict[str, Any]) -> tuple[str, ...]:
    """The specifiers esbuild resolved to JS modules (the others stay with each version's own bundle)."""
    resolved = {edge.get("original") or edge.get("path"): str(edge.get("path"))
                for edge in metafile["inputs"]["entry.js"].get("imports") or ()}
    return tuple(s for s in specifiers if resolved.get(s, "").endswith(JS_EXTENSIONS))


def vendor_entry(specifiers: tuple[str, ...]) -> str:
    """The vendor file's entry point (``entry.js`` beside an empty ``package.json``): part of the recipe the
    editor follows to make the same bytes with esbuild-wasm (with :func:`vendor_flags`, ``NODE_PATH`` at the
    pinned ``node_modules``)."""
    modules = ", ".join(f"{json.dumps(s)}: require({json.dumps(s)})" for s in specifiers)
    return f"globalThis.{GLOBAL} = Object.assign(globalThis.{GLOBAL} || {{}}, {{{modules}}});\n"


def write_shims(node_modules: Path, specifiers: tuple[str, ...]) -> None:
    """One tiny CommonJS module per specifier, returning the vendored module at run time."""
    for specifier in specifiers:
        package = _package_name(specifier)
        subpath = specifier[len(package):].lstrip("/")
        folder = node_modules / package
        folder.mkdir(parents=True, exist_ok=True)
        write_scratch(folder / "package.json", json.dumps({"name": package, "main": "index.js"}) + "\n")
        target = folder / (subpath if subpath.endswith((".js", ".cjs", ".mjs")) else f"{subpath or 'index'}.js")
        target.parent.mkdir(parents=True, exist_ok=True)
        write_scratch(target, f"module.exports = globalThis.{GLOBAL}[{json.dumps(specifier)}];\n")
