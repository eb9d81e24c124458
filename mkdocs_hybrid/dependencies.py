"""npm dependencies of snapshots: resolve once, pin, install once per distinct set.

Ranges and tags (``^5``, ``latest``) are resolved with the real npm client the
first time they are seen and pinned in a lock file beside the manifest
(``hybrid-lock.json``), so later builds use the same versions. Each distinct
set of exact versions is installed once (``--ignore-scripts``: nothing from a
snapshot runs at build time) into the cache and shared by every snapshot that
uses it, through ``NODE_PATH``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from mkdocs_hybrid.errors import HybridError

LOCK_FORMAT = "mkdocs-hybrid/lock@1"
EXACT_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
NPM_TIMEOUT = 300


class DependencyError(HybridError):
    """npm could not resolve or install a dependency set."""


@dataclass(frozen=True)
class InstalledSet:
    """One installed set of exact dependency versions."""

    direct: Mapping[str, str]
    """Package name -> exact version, as the snapshots asked (after resolution)."""
    packages: Mapping[str, str] = field(default_factory=dict)
    """Every installed package (transitive ones too) -> version, from npm's lock file."""
    node_modules: Path | None = None

    @property
    def key(self) -> str:
        return set_key(self.direct)


def set_key(direct: Mapping[str, str]) -> str:
    """A stable id for a set of exact versions."""
    return hashlib.sha256(json.dumps(dict(sorted(direct.items()))).encode()).hexdigest()[:20]


class DependencyResolver:
    """Resolves specs through a lock file and installs sets into ``cache_dir/deps``."""

    def __init__(self, cache_dir: Path, lock_path: Path, npm: str | None) -> None:
        self.cache_dir = cache_dir / "deps"
        self.lock_path = lock_path
        self.npm = npm
        self._lock: dict[str, str] = self._read_lock()
        self._lock_changed = False

    def resolve(self, specs: Mapping[str, str]) -> dict[str, str]:
        """Exact versions for ``{"name": "spec"}``, asking the registry only for new specs."""
        resolved = {}
        for name, spec in sorted(specs.items()):
            if EXACT_VERSION.fullmatch(spec.lstrip("=v")):
                resolved[name] = spec.lstrip("=v")
                continue
            key = f"{name}@{spec}"
            if key not in self._lock:
                self._lock[key] = self._ask_registry(name, spec)
                self._lock_changed = True
            resolved[name] = self._lock[key]
        return resolved

    def install(self, direct: Mapping[str, str]) -> InstalledSet:
        """Install a set of exact versions once; later calls reuse the cached folder."""
        if not direct:
            return InstalledSet(direct={})
        target = self.cache_dir / set_key(direct)
        if not (target / "node_modules").is_dir() or not (target / "package-lock.json").is_file():
            self._install_into(target, direct)
        return InstalledSet(direct=dict(direct), packages=_installed_packages(target),
                            node_modules=target / "node_modules")

    def save_lock(self) -> None:
        """Write new pins (sorted, so the file diffs cleanly) when there are any."""
        if not self._lock_changed:
            return
        payload = {"format": LOCK_FORMAT, "resolved": dict(sorted(self._lock.items()))}
        self.lock_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        self._lock_changed = False

    def _read_lock(self) -> dict[str, str]:
        if not self.lock_path.is_file():
            return {}
        try:
            data = json.loads(self.lock_path.read_text(encoding="utf-8"))
            if data.get("format") != LOCK_FORMAT or not isinstance(data.get("resolved"), dict):
                raise ValueError(f'"format" must be "{LOCK_FORMAT}" with a "resolved" object')
        except (OSError, ValueError) as exc:
            raise DependencyError(f"{self.lock_path}: unreadable lock file ({exc}); fix or delete it") from None
        return {str(k): str(v) for k, v in data["resolved"].items()}

    def _npm(self) -> str:
        if not self.npm:
            raise DependencyError("npm is not installed but a snapshot has dependencies; install Node.js and npm")
        return self.npm

    def _ask_registry(self, name: str, spec: str) -> str:
        output = _run([self._npm(), "view", f"{name}@{spec}", "version", "--json"], cwd=None,
                      what=f"resolve {name}@{spec}")
        try:
            found = json.loads(output) if output.strip() else None
        except ValueError:
            found = None
        versions = [found] if isinstance(found, str) else [v for v in (found or []) if isinstance(v, str)]
        if not versions:
            raise DependencyError(f"no published version of {name} matches {spec!r}; check the name and range")
        return max(versions, key=_semver_key)

    def _install_into(self, target: Path, direct: Mapping[str, str]) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".install-", dir=self.cache_dir))
        try:
            manifest = {"name": "mkdocs-hybrid-deps", "private": True, "dependencies": dict(sorted(direct.items()))}
            (staging / "package.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            _run([self._npm(), "install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                 cwd=staging, what="install " + " ".join(f"{n}@{v}" for n, v in sorted(direct.items())))
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _installed_packages(folder: Path) -> dict[str, str]:
    try:
        lock = json.loads((folder / "package-lock.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    packages = {}
    for path, info in (lock.get("packages") or {}).items():
        if path.startswith("node_modules/") and isinstance(info, dict) and "version" in info:
            packages[path.removeprefix("node_modules/")] = str(info["version"])
    return dict(sorted(packages.items()))


def _semver_key(version: str) -> tuple[int, int, int, int, str]:
    match = re.match(r"(\d+)\.(\d+)\.(\d+)(?:-(.+))?", version)
    if not match:
        return (-1, -1, -1, -1, version)
    major, minor, patch, pre = match.groups()
    return (int(major), int(minor), int(patch), 0 if pre else 1, pre or "")


def _run(command: list[str], *, cwd: Path | None, what: str) -> str:
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=NPM_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise DependencyError(f"npm timed out after {NPM_TIMEOUT} s trying to {what}") from None
    except OSError as exc:
        raise DependencyError(f"cannot run npm to {what}: {exc}") from None
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
        reason = next((line for line in lines if "E404" in line or "ETARGET" in line), lines[0] if lines else "")
        raise DependencyError(f"npm could not {what}: {reason.strip()}")
    return result.stdout
