"""npm dependencies of snapshots: resolve once, pin, install once per distinct set.

Ranges and tags (``^5``, ``latest``) are resolved with the real npm client the
first time they are seen and pinned in a lock file beside the manifest
(``hybrid-lock.json``), so later builds use the same versions. Each distinct
set of exact versions is installed once (``--ignore-scripts``: nothing from a
snapshot runs at build time) into the cache and shared by every snapshot that
uses it, through ``NODE_PATH``.

A set whose peer dependencies npm cannot satisfy (``ERESOLVE``: say a library
wanting ``immer >=2`` next to ``immer 1.7.3``) is installed again with
``--legacy-peer-deps``, exact pins kept, because the browser editors the
snapshots come from (Sandpack, CodeSandbox, esbuild-wasm) never enforce peer
ranges. Every install asks ``npm ls`` once which peers are unmet and keeps the
answer in the install folder (``hybrid-peers.json``), so a cached set never runs
npm again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs_hybrid.bundle.npm_errors import NpmMissing, failure_words, find_missing, missing_words
from mkdocs_hybrid.bundle.npm_spec import NpmSpecError, check_dependency
from mkdocs_hybrid.model.durable import make_temp_dir, sweep, write_atomic, write_scratch
from mkdocs_hybrid.model.errors import HybridError

LOCK_FORMAT = "mkdocs-hybrid/lock@1"
EXACT_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
NPM_TIMEOUT = 300
PEERS_FILE = "hybrid-peers.json"
PEERS_FORMAT = "mkdocs-hybrid/peers@1"
_INVALID_EDGE = re.compile(r'"(?:[^"\\]|\\.)*" from (.+?)(?=, "|$)')
"""One incoming edge of ``npm ls``'s ``invalid``: ``"<range>" from <location>``, joined by ``, ``."""


class DependencyError(HybridError):
    """npm could not resolve or install a dependency set."""


class PeerConflict(DependencyError):
    """npm refused a set because of its peer dependencies (``ERESOLVE``)."""


@dataclass(frozen=True)
class UnmetPeer:
    """A peer dependency an installed package declares but the set does not satisfy."""

    required_by: str
    """The package declaring the peer, as ``name@version``."""
    package: str
    """The peer package."""
    wanted: str
    """The peer range ``required_by`` declares."""
    installed: str | None
    """The version installed instead, or ``None`` when the peer is missing."""

    def to_dict(self) -> dict[str, str | None]:
        return {"package": self.package, "wanted": self.wanted, "installed": self.installed,
                "required_by": self.required_by}

    def describe(self) -> str:
        found = f"{self.installed} is installed" if self.installed else "it is missing"
        return f"{self.required_by} wants {self.package}@{self.wanted} but {found}"


@dataclass(frozen=True)
class InstalledSet:
    """One installed set of exact dependency versions."""

    direct: Mapping[str, str]
    """Package name -> exact version, as the snapshots asked (after resolution)."""
    packages: Mapping[str, str] = field(default_factory=dict)
    """Every installed package (transitive ones too) -> version, from npm's lock file."""
    node_modules: Path | None = None
    unmet_peers: tuple[UnmetPeer, ...] = ()
    """Peers npm reports unmet in this set (installed anyway, as browser bundlers do)."""

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

    @property
    def locked(self) -> dict[str, str]:
        """The pins so far, ``"name@spec" -> version`` (what the editor resolves ranges with)."""
        return dict(self._lock)

    def resolve(self, specs: Mapping[str, str]) -> dict[str, str]:
        """Exact versions for ``{"name": "spec"}``, asking the registry only for new specs."""
        resolved = {}
        for name, spec in sorted(_registry_specs(specs).items()):
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
        for name, version in direct.items():
            if not EXACT_VERSION.fullmatch(version) or _registry_specs({name: version}) != {name: version}:
                raise DependencyError(f"cannot install {name}@{version}: only exact registry versions are installed")
        target = self.cache_dir / set_key(direct)
        if not (target / "node_modules").is_dir() or not (target / "package-lock.json").is_file():
            self._install_into(target, direct)
        return InstalledSet(direct=dict(direct), packages=_installed_packages(target),
                            node_modules=target / "node_modules", unmet_peers=self._unmet_peers(target))

    def save_lock(self) -> None:
        """Write new pins (sorted, so the file diffs cleanly) when there are any."""
        if not self._lock_changed:
            return
        payload = {"format": LOCK_FORMAT, "resolved": dict(sorted(self._lock.items()))}
        write_atomic(self.lock_path, json.dumps(payload, indent=2) + "\n")
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
        pins = {str(k): str(v) for k, v in data["resolved"].items()}
        for key, version in pins.items():
            # npm installs what the lock says: a pin that is not an exact version (a URL, a path) never reaches it.
            if not EXACT_VERSION.fullmatch(version):
                raise DependencyError(f"{self.lock_path}: the pin of {key!r} is {version!r}, not an exact version "
                                      '(like "18.2.0"); fix that line or delete it to resolve it again')
        return pins

    def _npm(self) -> str:
        if not self.npm:
            raise DependencyError("npm is not installed but a snapshot has dependencies; install Node.js and npm")
        return self.npm

    def _ask_registry(self, name: str, spec: str) -> str:
        output = _run([self._npm(), "view", f"{name}@{spec}", "version", "--json"], cwd=None,
                      what=f"resolve {name}@{spec}", asked=(name, spec))
        try:
            found = json.loads(output) if output.strip() else None
        except ValueError:
            found = None
        versions = [found] if isinstance(found, str) else [v for v in (found or []) if isinstance(v, str)]
        if not versions:  # older npm: no output at all
            raise DependencyError(missing_words(NpmMissing("version", name, spec), _latest(self._npm(), name)))
        return max(versions, key=_semver_key)

    def _install_into(self, target: Path, direct: Mapping[str, str]) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        sweep(self.cache_dir, ".install-")  # what a killed build left (never a running build's)
        staging = make_temp_dir(self.cache_dir, ".install-")
        try:
            manifest = {"name": "mkdocs-hybrid-deps", "private": True, "dependencies": dict(sorted(direct.items()))}
            write_scratch(staging / "package.json", json.dumps(manifest, indent=2) + "\n")
            what = "install " + " ".join(f"{n}@{v}" for n, v in sorted(direct.items()))
            try:
                self._npm_install(staging, what)
            except PeerConflict:
                # Browser bundlers ignore peer ranges: install the exact pins anyway, and report the peers.
                shutil.rmtree(staging / "node_modules", ignore_errors=True)
                (staging / "package-lock.json").unlink(missing_ok=True)
                self._npm_install(staging, what, "--legacy-peer-deps")
            self._unmet_peers(staging)
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _npm_install(self, folder: Path, what: str, *extra: str) -> None:
        _run([self._npm(), "install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", *extra],
             cwd=folder, what=what)

    def _unmet_peers(self, folder: Path) -> tuple[UnmetPeer, ...]:
        """The set's unmet peers: asked of ``npm ls`` once, then read from the install folder."""
        stored = _read_peers(folder / PEERS_FILE)
        if stored is not None:
            return stored
        output = _run([self._npm(), "ls", "--json", "--all", "--long"], cwd=folder, what="list the installed tree",
                      check=False)
        try:
            tree = json.loads(output)
        except ValueError:
            raise DependencyError(f"npm ls printed no JSON in {folder}; delete that folder and build again") from None
        peers = tuple(sorted(set(_unmet_in_tree(tree, str(tree.get("path") or folder))),
                             key=lambda p: (p.required_by, p.package, p.wanted, p.installed or "")))
        payload = {"format": PEERS_FORMAT, "unmet_peers": [peer.to_dict() for peer in peers]}
        write_atomic(folder / PEERS_FILE, json.dumps(payload, indent=2) + "\n")
        return peers


def _registry_specs(specs: Mapping[str, str]) -> dict[str, str]:
    """The specs as npm is handed them, each a registry version, range or tag (``npm_spec``): checked here too,
    so no caller of the resolver can pass npm a git URL, a tarball URL, a path or an alias."""
    checked = {}
    for name, spec in specs.items():
        try:
            package, wanted = check_dependency(name, spec)
        except NpmSpecError as exc:
            raise DependencyError(str(exc)) from None
        checked[package] = wanted
    return checked


def _read_peers(path: Path) -> tuple[UnmetPeer, ...] | None:
    """The stored answer of ``npm ls``, or ``None`` when there is none (an install made before it was kept)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != PEERS_FORMAT:
            return None
        return tuple(UnmetPeer(required_by=str(p["required_by"]), package=str(p["package"]), wanted=str(p["wanted"]),
                               installed=None if p["installed"] is None else str(p["installed"]))
                     for p in data["unmet_peers"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _unmet_in_tree(tree: dict[str, object], root: str) -> list[UnmetPeer]:
    """Peer edges ``npm ls --json --all --long`` marks missing or invalid (optional peers are never missing)."""
    found = []
    stack: list[dict[str, object]] = [tree]
    while stack:
        node = stack.pop()
        peers = node.get("peerDependencies")
        children = node.get("dependencies")
        for name, child in (children.items() if isinstance(children, dict) else ()):
            if not isinstance(child, dict):
                continue
            stack.append(child)
            if not isinstance(peers, dict) or name not in peers:
                continue
            if child.get("missing") or _blames(child.get("invalid"), node, root):
                found.append(UnmetPeer(required_by=f"{node.get('name')}@{node.get('version')}", package=name,
                                       wanted=str(peers[name]),
                                       installed=None if child.get("missing") else str(child.get("version"))))
    return found


def _blames(invalid: object, node: dict[str, object], root: str) -> bool:
    """Whether npm's ``invalid`` text (every bad edge into a package so far) names ``node``'s own edge."""
    if not isinstance(invalid, str) or not invalid:
        return False
    locations = set(_INVALID_EDGE.findall(invalid))
    path = node.get("path")
    if not locations or not isinstance(path, str):
        return True
    return Path(os.path.relpath(path, root)).as_posix() in locations


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


def _semver_key(version: str) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
    """Semver precedence: a prerelease sorts before its release, its identifiers compare one by one
    (numbers numerically and before words), and build metadata is ignored."""
    match = re.match(r"(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?", version)
    if not match:
        return (-1, -1, -1, -1, ())
    major, minor, patch, pre = match.groups()
    identifiers = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in (pre or "").split("."))
    return (int(major), int(minor), int(patch), 0 if pre else 1, identifiers if pre else ())


def _run(command: list[str], *, cwd: Path | None, what: str, check: bool = True,
         asked: tuple[str, str] | None = None) -> str:
    """npm's stdout; a failure (when ``check``) is a :class:`DependencyError` in plain words (``npm_errors``)."""
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=NPM_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise DependencyError(f"npm timed out after {NPM_TIMEOUT} s trying to {what}") from None
    except OSError as exc:
        raise DependencyError(f"cannot run npm to {what}: {exc}") from None
    if result.returncode != 0 and check:
        output = f"{result.stderr or ''}\n{result.stdout or ''}"
        missing = find_missing(output, asked)
        if missing is not None:
            latest = _latest(command[0], missing.package) if missing.kind == "version" else None
            raise DependencyError(missing_words(missing, latest))
        error = PeerConflict if "ERESOLVE" in output else DependencyError
        raise error(failure_words(output, what))
    return result.stdout


def _latest(npm: str, name: str) -> str | None:
    """The registry's ``latest`` dist-tag of ``name`` (for an error message), or ``None`` when it cannot say."""
    try:
        result = subprocess.run([npm, "view", name, "dist-tags.latest", "--json"], capture_output=True, text=True,
                                timeout=NPM_TIMEOUT)
        found = json.loads(result.stdout) if result.returncode == 0 and result.stdout.strip() else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    return found if isinstance(found, str) and EXACT_VERSION.fullmatch(found) else None
