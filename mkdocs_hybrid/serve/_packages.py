"""npm dependency sets for the editor: installed, vendored and served exactly as the build does them.

``POST /api/dependencies`` goes through the build's own pieces (the lock file and ``DependencyResolver``,
``requested_specifiers``, ``VendorBuilder`` with the build's cache), so the vendor file the editor
previews with is the file a saved version's share link loads, with the same hash. The editor's esbuild-wasm
reads the installed packages through ``GET /api/packages/{key}/...``, confined to that set's
``node_modules``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from mkdocs_hybrid.bundle.dependencies import DependencyResolver
from mkdocs_hybrid.bundle.toolchain import Toolchain
from mkdocs_hybrid.bundle.vendor import VendorBuilder, requested_specifiers
from mkdocs_hybrid.config.manifest import Manifest, unknown_keys
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.layout import LOCK_FILE
from mkdocs_hybrid.model.snapshot import check_relative_path
from mkdocs_hybrid.serve._site import Site
from mkdocs_hybrid.sources.scan import check_dependencies

SET_KEY = re.compile(r"[0-9a-f]{20}")
MAX_IMPORTS = 1000
MAX_SPECIFIER = 300


class BadRequest(ValueError):
    """The request names something wrong (400), with the field it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Packages:
    """Dependency sets: resolve, install and vendor them; list and read their files."""

    def __init__(self, manifest: Manifest, toolchain: Toolchain, site: Site) -> None:
        self.manifest = manifest
        self.toolchain = toolchain
        self.site = site
        self.vendors = VendorBuilder(manifest.cache_dir, toolchain, manifest.build)

    def prepare(self, body: object) -> dict[str, Any]:
        """Install a set and make its vendor file; what the editor needs to bundle against it."""
        specs, imports = _parse(body)
        resolver = DependencyResolver(self.manifest.cache_dir, self.manifest.base_dir / LOCK_FILE, self.toolchain.npm)
        deps = resolver.install(resolver.resolve(specs))
        resolver.save_lock()
        vendors = []
        if self.manifest.build.vendor and deps.direct:
            requested = requested_specifiers(imports, deps.direct)
            vendor = self.vendors.vendor_for(requested, deps) if requested else None
            if vendor is not None:
                self.site.keep([vendor])
                vendors.append({"path": vendor.name, "requested": list(requested), "modules": list(vendor.specifiers)})
        return {"set": {"key": deps.key, "direct": dict(deps.direct), "vendors": vendors},
                "files_url": f"/api/packages/{deps.key}/"}

    def listing(self, key: str) -> list[str] | None:
        """Every regular file of the set's ``node_modules`` (relative, sorted), or ``None`` for an unknown set."""
        root = self._node_modules(key)
        if root is None:
            return None
        found = []
        for folder, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in filenames:
                path = os.path.join(folder, name)
                if not os.path.islink(path):
                    found.append(Path(path).relative_to(root).as_posix())
        return sorted(found)

    def file(self, key: str, path: str) -> Path | None:
        """One file of the set, or ``None``: never a path that leaves its ``node_modules``."""
        root = self._node_modules(key)
        try:
            check_relative_path(path)
        except ValueError as exc:
            raise BadRequest(str(exc), "path") from None
        if root is None:
            return None
        target = (root / path).resolve()
        inside = target.is_relative_to(root.resolve())
        return target if inside and target.is_file() else None

    def _node_modules(self, key: str) -> Path | None:
        if not SET_KEY.fullmatch(key):
            return None
        folder = self.manifest.cache_dir / "deps" / key / "node_modules"
        return folder if folder.is_dir() else None


def _parse(body: object) -> tuple[dict[str, str], list[str]]:
    if not isinstance(body, dict):
        raise BadRequest('the body must be {"dependencies": {...}, "imports": [...]}')
    problem = unknown_keys(body, {"dependencies", "imports"})
    if problem:
        raise BadRequest(problem, next(iter(sorted(set(body) - {"dependencies", "imports"}))))
    try:
        specs = check_dependencies(body.get("dependencies") or {})
    except SnapshotError as exc:
        raise BadRequest(exc.detail, "dependencies") from None
    imports = body.get("imports") or []
    if not isinstance(imports, list) or len(imports) > MAX_IMPORTS or not all(
            isinstance(item, str) and 0 < len(item) <= MAX_SPECIFIER for item in imports):
        raise BadRequest(f'"imports" must be a list of at most {MAX_IMPORTS} module specifiers', "imports")
    return specs, imports
