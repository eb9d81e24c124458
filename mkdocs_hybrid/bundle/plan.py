"""The bundling plan: each snapshot with the npm set it is built against and the vendor file it loads.

Every dependency set is resolved and installed once per build, a failure too (npm is slow to say no). With
vendor files on, the bare imports a snapshot really makes decide its vendor file, and the bundle cache keeps
them by the snapshot's inputs. esbuild finds them: first by building the snapshot for real against the vendor
file a plain text scan of its sources points to (:func:`_guess`), which is right for nearly every snapshot,
and then its bundle is kept too, so it is not built a second time; else, and for the few whose build shows
other imports or fails, by a scan (user code only, packages external, as :func:`bundler.scan_bare_imports`).
Both run in batches on the build's workers. A snapshot that cannot be planned fails alone, with its error
located; the others are still planned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs_hybrid.bundle.bundle_cache import CACHE_FILE, BundleCache
from mkdocs_hybrid.bundle.bundler import Bundle, BundleJob, bundle_jobs, scan_bare_imports
from mkdocs_hybrid.bundle.dependencies import DependencyError, DependencyResolver, InstalledSet
from mkdocs_hybrid.bundle.keys import bundle_key, imports_key, toolchain_inputs
from mkdocs_hybrid.bundle.toolchain import Toolchain
from mkdocs_hybrid.bundle.vendor import VendorBuilder, VendorFile, imported_packages
from mkdocs_hybrid.config.manifest import Manifest
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.snapshot import Snapshot

__all__ = ["DependencyFacts", "JobPlan", "Workers", "plan_jobs"]

Refusal = Callable[[Snapshot], SnapshotError | None]
"""The caller's reason not to build a snapshot at all (``None``: build it)."""


@dataclass(frozen=True)
class Workers:
    """Where batches of esbuild work run: the caller's ``executor`` (a process pool, dask's) when there is
    one, else ``jobs`` threads once there is more than one batch of ``batch_size`` (esbuild runs as a
    subprocess, so threads suffice)."""

    jobs: int
    batch_size: int
    executor: Executor | None = None

    @contextmanager
    def for_work(self, work: int) -> Iterator[Executor | None]:
        """The executor for ``work`` items (``None``: run them here, one batch after another)."""
        if self.executor is not None or self.jobs <= 1 or work <= self.batch_size:
            yield self.executor
            return
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            yield pool


@dataclass(frozen=True)
class DependencyFacts:
    """What planning learned about npm sets, for the editor's recipe."""

    locked: dict[str, str]
    sets: list[InstalledSet]
    vendors: VendorBuilder


@dataclass(frozen=True)
class JobPlan:
    """The snapshots to bundle, in scan order, and the located errors of those that cannot be."""

    jobs: list[BundleJob]
    failed: list[SnapshotError]
    """In the order the snapshots were met (refused or not installable first, then vendor failures)."""
    facts: DependencyFacts


def plan_jobs(snapshots: Sequence[Snapshot], manifest: Manifest, toolchain: Toolchain, workers: Workers, *,
              lock: Path, refuse: Refusal = lambda snapshot: None) -> JobPlan:
    """Install every snapshot's dependencies (pins kept in ``lock``) and choose its vendor file."""
    resolver = DependencyResolver(manifest.cache_dir, lock, toolchain.npm)
    failed: list[SnapshotError] = []
    ready = []
    installed: dict[str, InstalledSet | DependencyError] = {}
    for snapshot in snapshots:
        if (refusal := refuse(snapshot)) is not None:
            failed.append(refusal)
            continue
        try:
            ready.append((snapshot, _install(resolver, snapshot.dependencies, installed)))
        except DependencyError as exc:
            failed.append(SnapshotError(str(exc), thread=snapshot.thread, version=snapshot.version,
                                        path=_declared_in(snapshot)))
    resolver.save_lock()
    vendors = VendorBuilder(manifest.cache_dir, toolchain, manifest.build)
    imports, prebuilt = _find_imports(ready, manifest, toolchain, workers, vendors) if manifest.build.vendor \
        else ({}, set())
    facts = DependencyFacts(resolver.locked, [deps for _, deps in ready], vendors)
    jobs = []
    for snapshot, deps in ready:
        try:
            vendor = _vendor(snapshot, deps, manifest, vendors, imports.get(snapshot.ref))
            jobs.append(BundleJob(snapshot, deps, vendor, prebuilt=snapshot.ref in prebuilt))
        except SnapshotError as exc:
            failed.append(exc.located(snapshot.thread, snapshot.version, snapshot.origin))
    return JobPlan(jobs, failed, facts)


def _declared_in(snapshot: Snapshot) -> str:
    """Where a snapshot's dependencies are declared, as its source kind recorded it (a folder's package.json, a
    JSON file, a store row); a snapshot made in memory declares them itself."""
    return snapshot.dependencies_origin or snapshot.origin


def _install(resolver: DependencyResolver, specs: Mapping[str, str],
             installed: dict[str, InstalledSet | DependencyError]) -> InstalledSet:
    """Resolve and install a dependency set once per build, failures included (npm is slow to say no)."""
    key = json.dumps(dict(specs), sort_keys=True)
    if key not in installed:
        try:
            installed[key] = resolver.install(resolver.resolve(specs))
        except DependencyError as exc:
            installed[key] = exc
    outcome = installed[key]
    if isinstance(outcome, DependencyError):
        raise outcome
    return outcome


def _find_imports(ready: list[tuple[Snapshot, InstalledSet]], manifest: Manifest, toolchain: Toolchain,
                  workers: Workers, vendors: VendorBuilder) -> tuple[dict[str, tuple[str, ...] | None], set[str]]:
    """The bare imports of every snapshot with dependencies, as esbuild resolves them: kept in the bundle
    cache by the snapshot's inputs, found for the others by :func:`_guess`, then by a scan in batches (user
    code only, packages external). Also the refs whose bundle :func:`_guess` kept in the bundle cache."""
    common = toolchain_inputs(toolchain, manifest)
    keys = {snapshot.ref: imports_key(snapshot, deps, common) for snapshot, deps in ready if deps.direct}
    found: dict[str, tuple[str, ...] | None] = {}
    unknown: list[tuple[Snapshot, InstalledSet]] = []
    with BundleCache(manifest.cache_dir / CACHE_FILE) as cache:
        for snapshot, deps in ready:
            if snapshot.ref in keys:
                found[snapshot.ref] = cache.get_imports(keys[snapshot.ref])
                if found[snapshot.ref] is None and deps.node_modules:
                    unknown.append((snapshot, deps))
        guessed = _guess(unknown, manifest, toolchain, workers, vendors, cache, common)
        missing: dict[Path, list[Snapshot]] = {}
        for snapshot, deps in unknown:
            if snapshot.ref in guessed:
                found[snapshot.ref] = guessed[snapshot.ref]
            elif deps.node_modules:
                missing.setdefault(deps.node_modules, []).append(snapshot)
        with workers.for_work(sum(map(len, missing.values()))) as executor:
            for ref, specifiers in _scan_missing(missing, manifest, toolchain, executor):
                found[ref] = specifiers
                if specifiers is not None:
                    cache.put_imports(keys[ref], specifiers)
    return found, set(guessed)


def _guess(unknown: list[tuple[Snapshot, InstalledSet]], manifest: Manifest, toolchain: Toolchain,
           workers: Workers, vendors: VendorBuilder, cache: BundleCache, common: dict[str, Any]
           ) -> dict[str, tuple[str, ...]]:
    """Build each snapshot against the vendor file its text scan (``Snapshot.imports``) points to, and read
    its imports from that build (:func:`bundler.own_bare_imports`, what the scan would find). When they ask
    for the same vendor file, the guess was right: the imports and the bundle (the very one the build would
    make, same inputs) go into the cache. Else the snapshot is left to the scan, as is one whose build failed
    (its real build reports why) or whose guessed vendor file cannot be made."""
    jobs = []
    for snapshot, deps in unknown:
        try:
            specifiers = imported_packages(snapshot, deps)
            vendor = vendors.vendor_for(specifiers, deps, record=False) if specifiers else None
        except SnapshotError:
            continue  # the scan decides; a vendor file the snapshot really needs fails it there
        jobs.append(BundleJob(snapshot, deps, vendor))
    guessed: dict[str, tuple[str, ...]] = {}

    def check(job: BundleJob, outcome: Bundle | SnapshotError) -> None:
        if isinstance(outcome, SnapshotError) or outcome.imports is None:
            return
        try:
            right = imported_packages(job.snapshot, job.deps, outcome.imports) \
                == imported_packages(job.snapshot, job.deps)
        except SnapshotError:
            right = False
        if right:
            cache.keep(bundle_key(job, common), outcome)
            cache.put_imports(imports_key(job.snapshot, job.deps, common), outcome.imports)
            guessed[job.snapshot.ref] = outcome.imports

    with workers.for_work(len(jobs)) as executor:
        bundle_jobs(jobs, toolchain, manifest.build, check, executor=executor)
    return guessed


def _scan_missing(missing: dict[Path, list[Snapshot]], manifest: Manifest, toolchain: Toolchain,
                  executor: Executor | None) -> Iterator[tuple[str, tuple[str, ...] | None]]:
    size = manifest.build.batch_size
    batches = []
    for node_modules, snapshots in missing.items():
        for start in range(0, len(snapshots), size):
            batches.append((snapshots[start:start + size], (node_modules,), toolchain, manifest.build))
    results = executor.map(scan_bare_imports, *zip(*batches)) if executor and batches else (
        scan_bare_imports(*batch) for batch in batches)
    for result in results:
        yield from result.items()


def _vendor(snapshot: Snapshot, deps: InstalledSet, manifest: Manifest, vendors: VendorBuilder,
            imports: tuple[str, ...] | None) -> VendorFile | None:
    if not manifest.build.vendor or not deps.direct:
        return None
    specifiers = imported_packages(snapshot, deps, imports)
    return vendors.vendor_for(specifiers, deps) if specifiers else None
