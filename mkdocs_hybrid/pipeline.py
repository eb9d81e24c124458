"""The export pipeline: sources -> snapshots -> bundles -> artifacts -> routes.

:class:`Export` is the library entry point used by the CLI and the MkDocs plugin.
One broken snapshot is reported and skipped; the others are still built.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mkdocs_hybrid.bundle.bundle_cache import CACHE_FILE, BundleCache
from mkdocs_hybrid.bundle.bundler import Bundle, BundleJob, bundle_jobs, scan_bare_imports
from mkdocs_hybrid.bundle.confinement import sandbox_in_use
from mkdocs_hybrid.bundle.dependencies import DependencyError, DependencyResolver, InstalledSet
from mkdocs_hybrid.bundle.html_entry import HtmlEntry, split_html_entry
from mkdocs_hybrid.bundle.keys import KEY_FORMAT, bundle_key, imports_key, toolchain_inputs
from mkdocs_hybrid.bundle.toolchain import Toolchain, find_toolchain
from mkdocs_hybrid.bundle.vendor import VendorBuilder, VendorFile, imported_packages
from mkdocs_hybrid.config.manifest import Manifest
from mkdocs_hybrid.edge.routes import write_routes
from mkdocs_hybrid.edge.sandbox import ArtifactOrigin
from mkdocs_hybrid.edge.unlisted import KEY_ENV, UNLISTED_FOLDER, UnlistedKey, site_parts
from mkdocs_hybrid.editor.recipe import UsedVendor, set_entries
from mkdocs_hybrid.editor.site import EditorInputs, publish_editor
from mkdocs_hybrid.media import MEDIA_ENV, MediaStage, MediaTools, clear_media, plan_media
from mkdocs_hybrid.model.catalog import BuiltVersion, Catalog, MediaFile, ThreadEntry, VersionEntry
from mkdocs_hybrid.model.durable import keep_journal
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.files import StatIndex
from mkdocs_hybrid.model.layout import Parts
from mkdocs_hybrid.model.snapshot import Snapshot, Thread, version_sort_key
from mkdocs_hybrid.publish.artifacts import (
    artifact_digests,
    artifact_is_current,
    keep_vendor_files,
    read_artifact,
    remove_version,
    render_artifact,
    write_artifact,
    write_media_meta,
    write_published,
    write_vendor_files,
)
from mkdocs_hybrid.publish.ledger import BuildLedger, open_build_ledger, vendor_archive
from mkdocs_hybrid.publish.policy import Serve, reconcile
from mkdocs_hybrid.publish.site import ROUTES_ONLY, SitePages, publish_catalog
from mkdocs_hybrid.publish.version_pages import write_version_pages
from mkdocs_hybrid.report import BuildReport
from mkdocs_hybrid.scale.shards import Shard
from mkdocs_hybrid.sources.scan import Scan, scan_sources
from mkdocs_hybrid.templates import compiled_template_cache, environment, template_digest

SITE_INDEXES_KEPT = 8
LOCK_FILE = "hybrid-lock.json"
ProgressCallback = Callable[[int, int], None]
"""Called with (done, total) as snapshots finish."""


class Export:
    """Build every snapshot of a manifest into a site folder."""

    def __init__(self, manifest: Manifest, *, progress: ProgressCallback | None = None, jobs: int | None = None,
                 executor: Executor | None = None, shard: Shard | None = None,
                 republish: Iterable[str] | bool = (), ledger: bool = True, pages: SitePages = ROUTES_ONLY,
                 media: bool | None = None, media_progress: ProgressCallback | None = None,
                 media_tools: MediaTools | None = None) -> None:
        """``jobs`` esbuild batches run at once (default: one per CPU) unless an ``executor`` (for example
        dask's ``Client.get_executor()``) is given; ``shard`` builds only the threads of one shard (and
        writes no site-wide pages: the merge does); ``pages`` says which site-wide pages to write;
        ``media=False`` (or ``MKDOCS_HYBRID_MEDIA=off``) makes no posters or videos."""
        self.manifest = manifest
        self.progress = progress or (lambda done, total: None)
        self.report = BuildReport()
        self.jobs = jobs or os.cpu_count() or 1
        self.executor = executor
        self.shard = shard
        self.republish = republish
        """``t/v`` refs (or ``True``: all) whose new bytes replace their published ones (see ``ledger.py``)."""
        self.use_ledger = ledger
        self._dependencies: _DependencyFacts | None = None
        self.origin = ArtifactOrigin.of(manifest.deploy)
        """Where share pages and the gallery load demos from (the site, or the artifact origin)."""
        self.unlisted_key = UnlistedKey.from_env()
        self._hidden: set[str] = set()
        """Refs of unlisted versions (or versions of unlisted threads): they live at unguessable paths."""
        self.pages = pages
        self.media = media if media is not None else os.environ.get(MEDIA_ENV, "").lower() not in ("off", "0", "no")
        self.media_progress = media_progress
        self.media_tools = media_tools

    def run(self, site_dir: Path) -> Catalog:
        """Write artifacts, share pages and edge routes into ``site_dir``; return what was built."""
        site_dir.mkdir(parents=True, exist_ok=True)
        keep_journal(self.manifest.cache_dir)  # first, remove what a killed build left half-written
        environment().bytecode_cache = compiled_template_cache(self.manifest.cache_dir)
        # Opened first so that an unusable ledger stops the build before bundling; the with block
        # closes it (rolling back anything uncommitted) on every path, so no error keeps its write lock.
        with open_build_ledger(self.manifest, enabled=self.use_ledger, republish=self.republish,
                               owns=self.shard.owns if self.shard else None) as ledger:
            with self._timed("scan"):
                scan = scan_sources(self.manifest, owns=self.shard.owns if self.shard else None)
                if self.shard:
                    scan = self.shard.select(scan)
                self.report.failed.extend(scan.errors)
                self._hidden = {s.ref for s in scan.snapshots
                                if s.unlisted or (s.thread in scan.threads and scan.threads[s.thread].unlisted)}
            with self._timed("toolchain"):
                toolchain = find_toolchain(self.manifest.base_dir)
                self.report.esbuild_version = toolchain.version
                self.report.sandbox = sandbox_in_use()
            with self._timed("dependencies"):
                jobs = self._jobs(scan.snapshots, toolchain)
            listed = {thread_id for thread_id, thread in scan.threads.items() if not thread.unlisted}
            listed |= {job.snapshot.thread for job in jobs if job.snapshot.thread not in scan.threads}
            with self._timed("bundle"):
                built = self._build(jobs, toolchain, site_dir, listed)
            with self._timed("routes"):
                built = self._reconcile(ledger, site_dir, scan, built, listed)
            with self._timed("media"):
                media = self._media(site_dir, scan, built)
            with self._timed("routes"):
                catalog = build_catalog(scan.threads, built, pins=ledger.pins(), media=media)
                ledger.record(catalog)
                pages_index = _site_index(self.manifest.cache_dir / "pages", site_dir)
                write_version_pages(site_dir, catalog, parts_of=self._site_parts, origin=self.origin,
                                    site_url=self.pages.site_url, site_name=self.pages.site_name, index=pages_index)
                pages_index.save()
                # Committed only once the routes are written: a routes error rolls the ledger back, so
                # its latest and the site's latest links never disagree.
                if self.shard is None:
                    publish_catalog(site_dir, catalog, replace(self.pages, editor=self.manifest.editor.enabled,
                                                               origin=self.origin))
                    if self.manifest.editor.enabled:
                        publish_editor(site_dir, toolchain, self.manifest, catalog, self.editor_inputs())
                else:
                    # a shard's own preview; the merge writes the site's
                    write_routes(site_dir, catalog, signed_links=self.origin.url is not None)
                ledger.commit()
        self.report.threads = len(catalog.threads)
        return catalog

    def _reconcile(self, ledger: BuildLedger, site_dir: Path, scan: Scan, built: list[BuiltVersion],
                   listed: set[str]) -> list[BuiltVersion]:
        """Apply the publish policy: store new publications, put published bytes back where the policy
        serves them, and report it; the versions the site holds."""
        if not ledger.enabled:
            return built
        plan = reconcile(built, ledger.begin(), scanned=scan.snapshots, failed={e.ref for e in self.report.failed},
                         owns=ledger.owns, republish=ledger.republishes,
                         same_bytes=lambda item, row: artifact_digests(site_dir, item.snapshot,
                                                                       self._parts(item.snapshot)) == row.files)
        for decision in plan.store:
            snapshot = decision.built.snapshot
            ledger.store(decision, read_artifact(site_dir, snapshot, self._parts(snapshot)))
        self.report.failed.extend(plan.refused)
        self.report.built[:] = [ref for ref in self.report.built if ref not in plan.replaced]
        self.report.cached[:] = [ref for ref in self.report.cached if ref not in plan.replaced]
        return plan.kept + [served for serve in plan.serve
                            if (served := self._serve(ledger, site_dir, serve, scan, listed)) is not None]

    def _media(self, site_dir: Path, scan: Scan, built: list[BuiltVersion]) -> dict[str, tuple[MediaFile, ...]]:
        """Posters and videos for every version the site serves (made from its served bytes), listed in its
        ``meta.json``; without media (``media=False``), any an earlier build made are removed."""
        current = {snapshot.ref: snapshot for snapshot in scan.snapshots}
        versions = [(current.get(item.snapshot.ref, item.snapshot), self._parts(item.snapshot)) for item in built]
        made: dict[str, tuple[MediaFile, ...]] = {}
        if self.media:
            tools = self.media_tools or MediaTools.find()
            requests, notices = plan_media(versions, self.manifest.video, tools)
            stage = MediaStage(self.manifest.video, self.manifest.cache_dir, tools, workers=self.jobs,
                               progress=self.media_progress)
            outcome = stage.run(site_dir, requests)
            self.report.note_media(outcome, notices)
            made = outcome.media
        hosted = {}
        for snapshot, parts in versions:
            if snapshot.ref not in made:
                clear_media(site_dir, parts)
            hosted[snapshot.ref] = tuple(self._hosted(media) for media in made.get(snapshot.ref, ()))
            write_media_meta(site_dir, parts, hosted[snapshot.ref])
        return hosted

    def _hosted(self, media: MediaFile) -> MediaFile:
        """A video's URL on R2 when the deploy puts it there (``deploy.r2_bucket`` with ``r2_public_url``, in the
        default mode): pages link it directly, since Pages answers range requests with 200, not 206."""
        deploy = self.manifest.deploy
        if media.name.endswith(".mp4") and deploy.artifacts == "pages" and deploy.r2_bucket and deploy.r2_public_url:
            from mkdocs_hybrid.deploy import media_url  # here: the deploy stage loads httpx and boto3

            return replace(media, url=media_url(deploy.r2_public_url, media.sha256, media.name))
        return media

    def _serve(self, ledger: BuildLedger, site_dir: Path, serve: Serve, scan: Scan, listed: set[str]
               ) -> BuiltVersion | None:
        published = serve.published
        if published.ref in self._hidden and self.unlisted_key is None:
            return None  # refused in _jobs: its published bytes must not stay at a path anyone can guess
        files = ledger.published_bytes(published)
        if files is None:
            self.report.failed.append(SnapshotError(
                f"{serve.why}, but its published bytes are missing from {ledger.path}; republish it with "
                f"--republish {published.ref}", thread=published.thread, version=published.version))
            return None
        gallery_listed = published.thread in listed or published.thread not in scan.threads
        write_published(site_dir, serve.built.snapshot, files, gallery_listed=gallery_listed, origin=self.origin,
                        parts=self._parts(serve.built.snapshot))
        self.report.kept.append(published.ref)
        return serve.built

    def _jobs(self, snapshots: list[Snapshot], toolchain: Toolchain) -> list[BundleJob]:
        cache = self.manifest.cache_dir
        resolver = DependencyResolver(cache, self.manifest.base_dir / LOCK_FILE, toolchain.npm)
        ready = []
        installed: dict[str, InstalledSet | DependencyError] = {}
        for snapshot in snapshots:
            if snapshot.ref in self._hidden and self.unlisted_key is None:
                self.report.failed.append(SnapshotError(
                    f"unlisted versions need {KEY_ENV} (at least 32 random characters) so that their links cannot "
                    "be guessed; set it in the build's environment, or list the version",
                    thread=snapshot.thread, version=snapshot.version))
                continue
            try:
                ready.append((snapshot, self._install(resolver, snapshot.dependencies, installed)))
            except DependencyError as exc:
                # A folder's dependencies are in its package.json; a JSON file's or a store row's in itself.
                where = snapshot.origin if snapshot.origin.endswith(".json") or "#" in snapshot.origin \
                    else f"{snapshot.origin}/package.json"
                self.report.failed.append(SnapshotError(str(exc), thread=snapshot.thread, version=snapshot.version,
                                                        path=where))
        resolver.save_lock()
        imports = self._scan_imports(ready, toolchain) if self.manifest.build.vendor else {}
        vendors = VendorBuilder(cache, toolchain, self.manifest.build)
        self._dependencies = _DependencyFacts(resolver.locked, [deps for _, deps in ready], vendors)
        jobs = []
        for snapshot, deps in ready:
            try:
                jobs.append(BundleJob(snapshot, deps, self._vendor(snapshot, deps, vendors, imports.get(snapshot.ref))))
            except SnapshotError as exc:
                self.report.failed.append(exc.located(snapshot.thread, snapshot.version, snapshot.origin))
        return jobs

    def _scan_imports(self, ready: list[tuple[Snapshot, InstalledSet]], toolchain: Toolchain
                      ) -> dict[str, tuple[str, ...] | None]:
        """The bare imports of every snapshot with dependencies, as esbuild resolves them: kept in the bundle
        cache by the snapshot's inputs, found for the others in batches (user code only, packages external)."""
        common = toolchain_inputs(toolchain, self.manifest)
        keys = {snapshot.ref: imports_key(snapshot, deps, common) for snapshot, deps in ready if deps.direct}
        found: dict[str, tuple[str, ...] | None] = {}
        missing: dict[Path, list[Snapshot]] = {}
        with BundleCache(self.manifest.cache_dir / CACHE_FILE) as cache:
            for snapshot, deps in ready:
                if snapshot.ref in keys:
                    found[snapshot.ref] = cache.get_imports(keys[snapshot.ref])
                    if found[snapshot.ref] is None and deps.node_modules:
                        missing.setdefault(deps.node_modules, []).append(snapshot)
            with self._executor(sum(map(len, missing.values()))) as executor:
                for ref, specifiers in self._scan_missing(missing, toolchain, executor):
                    found[ref] = specifiers
                    if specifiers is not None:
                        cache.put_imports(keys[ref], specifiers)
        return found

    def _scan_missing(self, missing: dict[Path, list[Snapshot]], toolchain: Toolchain, executor: Executor | None
                      ) -> Iterator[tuple[str, tuple[str, ...] | None]]:
        size = self.manifest.build.batch_size
        batches = []
        for node_modules, snapshots in missing.items():
            for start in range(0, len(snapshots), size):
                batches.append((snapshots[start:start + size], (node_modules,), toolchain, self.manifest.build))
        results = executor.map(scan_bare_imports, *zip(*batches)) if executor and batches else (
            scan_bare_imports(*batch) for batch in batches)
        for result in results:
            yield from result.items()

    @staticmethod
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

    def _vendor(self, snapshot: Snapshot, deps: InstalledSet, vendors: VendorBuilder,
                imports: tuple[str, ...] | None) -> VendorFile | None:
        if not self.manifest.build.vendor or not deps.direct:
            return None
        specifiers = imported_packages(snapshot, deps, imports)
        return vendors.vendor_for(specifiers, deps) if specifiers else None

    def _build(self, jobs: list[BundleJob], toolchain: Toolchain, site_dir: Path, listed: set[str]
               ) -> list[BuiltVersion]:
        site_index = _site_index(self.manifest.cache_dir / "sites", site_dir)
        with BundleCache(self.manifest.cache_dir / CACHE_FILE) as cache:
            built = self._render(jobs, toolchain, site_dir, listed, cache, site_index)
        site_index.save()
        self._remove_other_paths(site_dir, jobs)
        used = {job.vendor.name: job.vendor for job in jobs if job.vendor}
        write_vendor_files(site_dir, used.values())
        self._keep_vendor_files(site_dir, used)
        return built

    def _render(self, jobs: list[BundleJob], toolchain: Toolchain, site_dir: Path, listed: set[str],
                cache: BundleCache, site_index: StatIndex) -> list[BuiltVersion]:
        """Write each job's artifact: kept when the site has it, from the cache, or bundled now."""
        built: list[BuiltVersion] = []
        total, done = len(jobs), 0
        template = template_digest()

        def record(job: BundleJob, build_key: str | None, cached: bool = False) -> None:
            nonlocal done
            done += 1
            if build_key is not None:
                (self.report.cached if cached else self.report.built).append(job.snapshot.ref)
                built.append(BuiltVersion(job.snapshot, build_key))
            self.progress(done, total)

        def finish(job: BundleJob, outcome: Bundle | SnapshotError, cached: bool = False) -> None:
            snapshot = job.snapshot
            if isinstance(outcome, SnapshotError):
                self.report.failed.append(outcome)
                return record(job, None)
            if not cached:
                cache.put(keys[snapshot.ref], outcome.js, outcome.css)
                if outcome.html is not None:
                    cache.put_html(keys[snapshot.ref], outcome.html.template)
            info = infos[snapshot.ref]
            artifact = render_artifact(snapshot, outcome, info, gallery_listed=snapshot.thread in listed,
                                       vendor=job.vendor,
                                       with_source=self.manifest.editor.enabled and snapshot.thread in listed,
                                       origin=self.origin, parts=self._parts(snapshot))
            write_artifact(site_dir, snapshot, artifact, self._parts(snapshot))
            record(job, info["build_key"], cached)

        common = toolchain_inputs(toolchain, self.manifest)
        keys = {job.snapshot.ref: bundle_key(job, common) for job in jobs}
        infos = {job.snapshot.ref: self._meta_info(job, keys[job.snapshot.ref], template, toolchain,
                                                   job.snapshot.thread in listed) for job in jobs}
        fresh = []
        for job in jobs:
            if artifact_is_current(site_dir, job.snapshot, infos[job.snapshot.ref]["build_key"], site_index,
                                   self._parts(job.snapshot)):
                record(job, infos[job.snapshot.ref]["build_key"], cached=True)  # already in the site: no writes
                continue
            hit = cache.get(keys[job.snapshot.ref])
            if hit is None:
                fresh.append(job)
                continue
            try:
                finish(job, Bundle(js=hit[0], css=hit[1], html=_cached_page(job.snapshot, keys, cache)), cached=True)
            except SnapshotError as exc:
                finish(job, exc.located(job.snapshot.thread, job.snapshot.version))
        with self._executor(len(fresh)) as executor:
            bundle_jobs(fresh, toolchain, self.manifest.build, finish, executor=executor)
        return built

    def _remove_other_paths(self, site_dir: Path, jobs: list[BundleJob]) -> None:
        """An unlisted version leaves nothing at its ids' paths (an earlier build may have put it there), and
        a version listed again leaves nothing at its unguessable one. Run on every build, so a site without
        unlisted folders pays one stat per tree, not a key and a stat per version."""
        unlisted_folders = self.unlisted_key is not None and any(
            (site_dir / tree / UNLISTED_FOLDER).is_dir() for tree in ("artifacts", "p"))
        for job in jobs:
            snapshot = job.snapshot
            ids = (snapshot.thread, snapshot.version)
            if snapshot.ref in self._hidden:
                remove_version(site_dir, ids)
            elif unlisted_folders:
                remove_version(site_dir, site_parts(*ids, True, self.unlisted_key))

    def _parts(self, snapshot: Snapshot) -> Parts:
        """The version's path parts in the site: its ids, or ``_u`` and its token when it is unlisted."""
        return self._site_parts(snapshot.thread, snapshot.version)

    def _site_parts(self, thread: str, version: str) -> Parts:
        return site_parts(thread, version, f"{thread}/{version}" in self._hidden, self.unlisted_key)

    def editor_inputs(self) -> EditorInputs:
        """What this build learned about npm sets, as the editor's recipe lists it (after :meth:`run`)."""
        facts = self._dependencies
        if facts is None:
            return EditorInputs()
        used = [UsedVendor(deps, requested, vendor) for deps, requested, vendor in facts.vendors.made()]
        return EditorInputs(locked=dict(sorted(facts.locked.items())), sets=set_entries(facts.sets, used))

    def _keep_vendor_files(self, site_dir: Path, used: dict[str, VendorFile]) -> None:
        archive = vendor_archive(self.manifest) if self.use_ledger else None
        if archive is not None:
            keep_vendor_files(archive, site_dir, used)

    @contextmanager
    def _executor(self, work: int) -> Iterator[Executor | None]:
        """The caller's executor, else threads (esbuild runs as a subprocess, so threads suffice)."""
        if self.executor is not None or self.jobs <= 1 or work <= self.manifest.build.batch_size:
            yield self.executor
            return
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            yield pool

    def _meta_info(self, job: BundleJob, key: str, template: str, toolchain: Toolchain,
                   listed: bool) -> dict[str, Any]:
        snapshot = job.snapshot
        unmet = [peer.to_dict() for peer in job.deps.unmet_peers]
        if unmet:
            self.report.warn_unmet_peers(job.deps, snapshot.ref)  # logged once per set, never a failure
        # Everything the artifact and its share page show: a change here must change the key
        # (unmet peers only when there are some, so the keys of every other artifact stay as they were).
        described = json.dumps([key, template, snapshot.title, snapshot.created, snapshot.author,
                                list(snapshot.tags), snapshot.unlisted, listed] + ([unmet] if unmet else [])
                               + (["source.json"] if self.manifest.editor.enabled else [])
                               + ([self.origin.url] if self.origin.url else []))
        return {
            "build_key": hashlib.sha256(described.encode()).hexdigest(),
            "bundle_key": key,
            "esbuild": toolchain.version,
            "build": {"target": self.manifest.build.target, "minify": self.manifest.build.minify},
            "dependencies": dict(job.deps.direct),
            "packages": dict(job.deps.packages),
            **({"unmet_peers": unmet} if unmet else {}),
        }

    @contextmanager
    def _timed(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.report.timings[name] = self.report.timings.get(name, 0.0) + time.perf_counter() - start


@dataclass(frozen=True)
class _DependencyFacts:
    """What the build learned about npm sets, for the editor's recipe."""

    locked: dict[str, str]
    sets: list[InstalledSet]
    vendors: VendorBuilder


def _cached_page(snapshot: Snapshot, keys: Mapping[str, str], cache: BundleCache) -> HtmlEntry | None:
    """The page around an ``index.html`` entry's cached bundle, from the cache (parsed once per bundle key)."""
    if not snapshot.is_html:
        return None
    template = cache.get_html(keys[snapshot.ref])
    if template is not None:
        return HtmlEntry(template=template)
    page = split_html_entry(snapshot)
    cache.put_html(keys[snapshot.ref], page.template)
    return page


def _site_index(folder: Path, site_dir: Path, keep: int = SITE_INDEXES_KEPT) -> StatIndex:
    """The stat index of an output folder's artifacts; only the most recently used few are kept
    (``mkdocs serve`` builds into a new temporary folder each time)."""
    name = hashlib.sha256(str(site_dir.resolve()).encode()).hexdigest()[:16] + ".json"
    try:
        others = sorted((p for p in folder.glob("*.json") if p.name != name), key=lambda p: p.stat().st_mtime)
        for stale in others[:max(0, len(others) - keep + 1)]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass  # only a cache
    return StatIndex(folder / name, KEY_FORMAT)


def build_catalog(threads: dict[str, Thread], built: list[BuiltVersion],
                  pins: dict[str, str] | None = None,
                  media: Mapping[str, tuple[MediaFile, ...]] | None = None) -> Catalog:
    """Group built versions into threads, newest first, and choose each thread's latest
    (a ledger pin, from ``mkdocs-hybrid pin``, overrides ``thread.yml: latest``)."""
    by_thread: dict[str, list[BuiltVersion]] = {}
    for item in built:
        by_thread.setdefault(item.snapshot.thread, []).append(item)
    entries = []
    for thread_id, items in sorted(by_thread.items()):
        items.sort(key=lambda item: version_sort_key(item.snapshot), reverse=True)
        thread = threads.get(thread_id) or Thread(id=thread_id, origin="")
        if pins and thread_id in pins:
            thread = replace(thread, latest=pins[thread_id])
        entries.append(_thread_entry(thread, items, media or {}))
    return Catalog(threads=tuple(entries))


def _thread_entry(thread: Thread, items: list[BuiltVersion], media: Mapping[str, tuple[MediaFile, ...]]
                  ) -> ThreadEntry:
    versions = tuple(
        VersionEntry(version=i.snapshot.version, title=i.snapshot.title, created=i.snapshot.created,
                     author=i.snapshot.author, tags=i.snapshot.tags, entry=i.snapshot.entry,
                     unlisted=i.snapshot.unlisted, build_key=i.build_key, media=media.get(i.snapshot.ref, ()))
        for i in items)
    names = [v.version for v in versions]
    listed = [v.version for v in versions if not v.unlisted]
    # latest never leads to an unlisted version: a pin on one is refused when sources are read (scan), and a
    # thread whose versions are all unlisted is itself unlisted (nothing of it is listed anywhere).
    latest = thread.latest if thread.latest in listed else (listed or names)[0]
    return ThreadEntry(
        id=thread.id,
        title=thread.title or next(v.title for v in versions if v.version == latest),
        description=thread.description,
        tags=thread.tags,
        versions=versions,
        latest=latest,
        unlisted=thread.unlisted or not listed,
    )
