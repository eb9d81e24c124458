"""The export pipeline: sources -> snapshots -> bundles -> artifacts -> routes.

:class:`Export` is the library entry point used by the CLI and the MkDocs plugin.
One broken snapshot is reported and skipped; the others are still built.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs_hybrid.bundle.toolchain import Toolchain, find_toolchain
from mkdocs_hybrid.config.manifest import Manifest
from mkdocs_hybrid.edge.sandbox import ArtifactOrigin
from mkdocs_hybrid.edge.unlisted import KEY_ENV, UnlistedKey, site_parts
from mkdocs_hybrid.media import MEDIA_ENV, MediaTools
from mkdocs_hybrid.model.catalog import BuiltVersion, Catalog, MediaFile, build_catalog
from mkdocs_hybrid.model.durable import keep_journal
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.files import StatIndex
from mkdocs_hybrid.model.layout import ARTIFACTS, LOCK_FILE, SHARE, UNLISTED, Parts
from mkdocs_hybrid.model.snapshot import Snapshot
from mkdocs_hybrid.publish.site import ROUTES_ONLY, SitePages
from mkdocs_hybrid.report import BuildReport
from mkdocs_hybrid.sources.scan import Scan, scan_sources
from mkdocs_hybrid.templates import compiled_template_cache, environment, template_digest
from mkdocs_hybrid.whole_build import WholeBuild

if TYPE_CHECKING:  # what only a full build runs is imported where it runs (issue 24: a no-op loads none of it)
    from concurrent.futures import Executor

    from mkdocs_hybrid.bundle.bundle_cache import BundleCache
    from mkdocs_hybrid.bundle.bundler import Bundle, BundleJob
    from mkdocs_hybrid.bundle.plan import DependencyFacts, Workers
    from mkdocs_hybrid.bundle.vendor import VendorFile
    from mkdocs_hybrid.editor.site import EditorInputs
    from mkdocs_hybrid.history.online import LiveHistory
    from mkdocs_hybrid.media import MediaRequest
    from mkdocs_hybrid.media.settled import SettledMedia
    from mkdocs_hybrid.publish.ledger import BuildLedger
    from mkdocs_hybrid.publish.policy import ServeDecision
    from mkdocs_hybrid.scale.shards import Shard

SITE_INDEXES_KEPT = 8
ProgressCallback = Callable[[int, int], None]
"""Called with (done, total) as snapshots finish."""


class Export:
    """Build every snapshot of a manifest into a site folder."""

    def __init__(self, manifest: Manifest, *, progress: ProgressCallback | None = None, jobs: int | None = None,
                 executor: Executor | None = None, shard: Shard | None = None,
                 republish: Iterable[str] | bool = (), ledger: bool = True, pages: SitePages = ROUTES_ONLY,
                 media: bool | None = None, media_progress: ProgressCallback | None = None,
                 media_tools: MediaTools | None = None, pages_progress: ProgressCallback | None = None) -> None:
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
        self._dependencies: DependencyFacts | None = None
        self.origin = ArtifactOrigin.of(manifest.deploy)
        """Where share pages and the gallery load demos from (the site, or the artifact origin)."""
        self.unlisted_key = UnlistedKey.from_env()
        self._hidden: set[str] = set()
        """Refs of unlisted versions (or versions of unlisted threads): they live at unguessable paths."""
        self.pages = pages
        self.media = media if media is not None else os.environ.get(MEDIA_ENV, "").lower() not in ("off", "0", "no")
        self.media_progress = media_progress
        self.media_tools = media_tools
        self.pages_progress = pages_progress
        self.shortcut: WholeBuild | None = None
        """The whole-build short cut of the last :meth:`run` (``whole_build.py``)."""
        self.vendor_names: list[str] = []
        """The site paths of the vendor files this build's versions load (``vendor/<hash>.js``)."""
        self.live_history: LiveHistory | None = None
        """Set by a live publication (a :class:`ThreadSet`): its threads' records are signed over the online index."""

    def run(self, site_dir: Path) -> Catalog:
        """Write artifacts, share pages and edge routes into ``site_dir``; return what was built."""
        site_dir.mkdir(parents=True, exist_ok=True)
        keep_journal(self.manifest.cache_dir)  # first, remove what a killed build left half-written
        whole = self.shortcut = WholeBuild.of(self, site_dir)
        if (last := whole.last_result()) is not None:  # nothing changed since the last build
            return last.applied(self.report)
        whole.forget()
        from mkdocs_hybrid.publish.ledger import open_build_ledger
        from mkdocs_hybrid.scale.shards import ThreadSet

        environment().bytecode_cache = compiled_template_cache(self.manifest.cache_dir)
        # Opened first so that an unusable ledger stops the build before bundling; the with block
        # closes it (rolling back anything uncommitted) on every path, so no error keeps its write lock.
        with open_build_ledger(self.manifest, enabled=self.use_ledger, republish=self.republish,
                               owns=self.shard.owns if self.shard else None) as ledger:
            if ledger.ledger is not None and self.manifest.deploy.ledger_bucket:  # opt-in: loads boto3
                from mkdocs_hybrid.deploy import published_bytes_source, restore_durable_ledger

                threads = self.shard.threads if isinstance(self.shard, ThreadSet) else None  # their shards only
                restore_durable_ledger(self.manifest, ledger.ledger, threads)  # a fresh runner knows what is published
                # ... and serves a kept version's published bytes from the artifact store, fetched when needed
                ledger.fetch = published_bytes_source(self.manifest, site_dir, self.site_parts, self.report.notices)
            scan, toolchain, jobs = self._prepare()
            listed = _gallery_threads(scan, jobs)
            with self._timed("bundle"):
                built = self._build(jobs, toolchain, site_dir, listed)
            with self._timed("routes"):
                built = self._reconcile(ledger, site_dir, scan, built, listed)
            with self._timed("media"):
                media = self._media(site_dir, scan, built)
            with self._timed("routes"):
                catalog = self._publish(ledger, site_dir, scan, built, media, toolchain)
        self.report.threads = len(catalog.threads)
        whole.record(catalog, self.report)
        return catalog

    def check(self) -> Scan:
        """Scan, plan and bundle every snapshot as :meth:`run` does, writing no site, artifact or ledger; each
        version's outcome goes to the report (``built``: bundled now, ``cached``: its bundle was in the bundle
        cache, ``failed``: its located error). Only the caches are written (npm sets, vendor files, the bundle
        cache), so the build that follows reuses what the check made."""
        from mkdocs_hybrid.bundle.bundle_cache import CACHE_FILE, BundleCache
        from mkdocs_hybrid.bundle.keys import toolchain_inputs
        from mkdocs_hybrid.bundle.trial import BundleTrial

        keep_journal(self.manifest.cache_dir)  # as run does: it installs and bundles into the cache's folders
        scan, toolchain, jobs = self._prepare()
        with self._timed("bundle"), BundleCache(self.manifest.cache_dir / CACHE_FILE) as cache:
            trial = BundleTrial(jobs, cache, toolchain_inputs(toolchain, self.manifest), progress=self.progress)
            self._bundle([job for job in jobs if not trial.from_cache(job)], toolchain, trial.finish)
        self.report.built.extend(trial.built)
        self.report.cached.extend(trial.cached)
        self.report.failed.extend(trial.failed)
        self.report.threads = len({snapshot.thread for snapshot in scan.snapshots})
        return scan

    def _prepare(self) -> tuple[Scan, Toolchain, list[BundleJob]]:
        """What a build and a check both start from: the scan, the toolchain and the planned bundle jobs."""
        from concurrent.futures import ThreadPoolExecutor

        from mkdocs_hybrid.bundle.confinement import sandbox_in_use

        # The sandbox probe starts a process (0.1-0.3 s of waiting): it runs while the sources are scanned.
        probe = ThreadPoolExecutor(max_workers=1)
        sandbox = probe.submit(sandbox_in_use)
        probe.shutdown(wait=False)
        with self._timed("scan"):
            scan = self._scan()
        with self._timed("toolchain"):
            toolchain = self._toolchain()
            self.report.sandbox = sandbox.result()
        with self._timed("dependencies"):
            jobs = self._plan(scan.snapshots, toolchain)
        return scan, toolchain, jobs

    def _scan(self) -> Scan:
        """The sources' snapshots (this shard's only), their errors reported; notes which versions are hidden."""
        scan = scan_sources(self.manifest, owns=self.shard.owns if self.shard else None,
                            listing=self.shortcut.list_sources() if self.shortcut and not self.shard else None)
        if self.shard:
            scan = self.shard.select(scan)
        self.report.failed.extend(scan.errors)
        self._hidden = {s.ref for s in scan.snapshots
                        if s.unlisted or (s.thread in scan.threads and scan.threads[s.thread].unlisted)}
        return scan

    def _toolchain(self) -> Toolchain:
        """The pinned esbuild, recorded in the report (whether its sandbox is on: see ``_prepare``)."""
        toolchain = find_toolchain(self.manifest.base_dir)
        self.report.esbuild_version = toolchain.version
        return toolchain

    def _publish(self, ledger: BuildLedger, site_dir: Path, scan: Scan, built: list[BuiltVersion],
                 media: Mapping[str, tuple[MediaFile, ...]], toolchain: Toolchain) -> Catalog:
        """Record the catalog, write the version pages and the site-wide pages (a shard: its own preview's
        routes), then commit the ledger."""
        from mkdocs_hybrid.editor.site import publish_editor
        from mkdocs_hybrid.history.publish import publish_history
        from mkdocs_hybrid.publish.email_card import email_notice
        from mkdocs_hybrid.publish.site import edge_writer, publish_catalog
        from mkdocs_hybrid.publish.version_pages import write_version_pages

        catalog = build_catalog(scan.threads, built, pins=ledger.pins(), media=media)
        ledger.record(catalog)
        pages_index = _site_index(self.manifest.cache_dir / "pages", site_dir)
        write_version_pages(site_dir, catalog, parts_of=self.site_parts, origin=self.origin,
                            site_url=self.pages.site_url, site_name=self.pages.site_name, index=pages_index,
                            progress=self.pages_progress, editor=self.manifest.editor.enabled,
                            exports=frozenset({"email"} if self.manifest.exports.email else ()))
        self.report.notices.extend(email_notice(self.manifest.exports.email, self.pages.site_url))
        # Committed only once the routes are written: a routes error rolls the ledger back, so
        # its latest and the site's latest links never disagree.
        if self.shard is None:
            publish_catalog(site_dir, catalog, replace(self.pages, editor=self.manifest.editor.enabled,
                                                       origin=self.origin, target=self.manifest.deploy.target),
                            pages_index)
            if self.manifest.editor.enabled:
                publish_editor(site_dir, toolchain, self.manifest, catalog, self.editor_inputs(), self.pages.site_url)
            publish_history(ledger.ledger, site_dir, catalog, self.unlisted_key, self.report.notices)  # with a key
        else:
            # a shard's own preview; the merge writes the site's
            edge_writer(self.manifest.deploy.target)(site_dir, catalog, signed_links=self.origin.url is not None)
            if self.live_history is not None:  # a numbered shard signs nothing: the merge does
                self.live_history.sign(ledger.ledger, site_dir, catalog, self.unlisted_key, self.report.notices)
        pages_index.save()
        ledger.commit()
        return catalog

    def _reconcile(self, ledger: BuildLedger, site_dir: Path, scan: Scan, built: list[BuiltVersion],
                   listed: set[str]) -> list[BuiltVersion]:
        """Apply the publish policy: store new publications, put published bytes back where the policy
        serves them, and report it; the versions the site holds."""
        from mkdocs_hybrid.publish.artifacts import artifact_digests, read_artifact, remove_version
        from mkdocs_hybrid.publish.policy import reconcile

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
        served = [item for serve in plan.serve if (item := self._serve(ledger, site_dir, serve, scan, listed))]
        back = {item.snapshot.ref for item in served}
        for serve in plan.serve:  # refused bytes with no published ones to put back (a restored record): never shipped
            if serve.published.ref in plan.replaced - back:
                remove_version(site_dir, self._parts(serve.built.snapshot))
        return plan.kept + served

    def _media(self, site_dir: Path, scan: Scan, built: list[BuiltVersion]) -> dict[str, tuple[MediaFile, ...]]:
        """Posters and videos for every version the site serves (made from its served bytes), listed in its
        ``meta.json``; without media (``media=False``), any an earlier build made are removed. A version whose
        artifact folder is as the last build left it, for the same request, is not looked at (``settled``)."""
        from mkdocs_hybrid.media import MediaStage, clear_media, plan_media
        from mkdocs_hybrid.publish.artifacts import write_media_meta

        current = {snapshot.ref: snapshot for snapshot in scan.snapshots}
        versions = [(current.get(item.snapshot.ref, item.snapshot), self._parts(item.snapshot)) for item in built]
        made: dict[str, tuple[MediaFile, ...]] = {}
        asked: dict[str, str] = {}
        salt = "off"
        if self.media:
            tools = self.media_tools or MediaTools.find(self.manifest.cache_dir / "media")
            requests, notices = plan_media(versions, self.manifest.video, tools, pdf=self.manifest.exports.pdf)
            stage = MediaStage(self.manifest.video, self.manifest.cache_dir, tools, workers=self.jobs,
                               progress=self.media_progress)
            salt = stage.settings_key
            settled = self._settled_media(site_dir, salt)
            asked = {r.ref: _asked(r) for r in requests}
            made = {r.ref: files for r in requests if (files := settled.lookup(r.parts, asked[r.ref])) is not None}
            outcome = stage.run(site_dir, [r for r in requests if r.ref not in made])
            cached = set(outcome.cached)
            outcome.cached = [r.ref for r in requests if r.ref in made or r.ref in cached]  # in request order
            self.report.note_media(outcome, notices)
            settled_refs = set(made)
            made.update(outcome.media)
        else:
            settled, settled_refs = self._settled_media(site_dir, salt), set()
        hosted = {}
        for snapshot, parts in versions:
            ref = snapshot.ref
            request = asked.get(ref, "none")
            if ref not in settled_refs and (ref in asked or settled.lookup(parts, request) is None):
                if ref not in made:
                    clear_media(site_dir, parts)
                write_media_meta(site_dir, parts, tuple(self._hosted(media) for media in made.get(ref, ())))
                if ref in made or ref not in asked:  # a capture that failed is tried again next build
                    settled.store(parts, request, made.get(ref, ()))
            hosted[ref] = tuple(self._hosted(media) for media in made.get(ref, ()))
        settled.save()
        return hosted

    def _settled_media(self, site_dir: Path, salt: str) -> SettledMedia:
        from mkdocs_hybrid.media.settled import SettledMedia

        deploy = self.manifest.deploy  # where videos are hosted changes what meta.json lists
        hosting = repr((deploy.artifacts, deploy.r2_bucket, deploy.r2_public_url))
        return SettledMedia(site_dir, _site_index(self.manifest.cache_dir / "media_sites", site_dir),
                            f"{salt}\0{hosting}")

    def _hosted(self, media: MediaFile) -> MediaFile:
        """A video's URL on R2 when the deploy puts it there (``deploy.r2_bucket`` with ``r2_public_url``, in the
        default mode): pages link it directly, since Pages answers range requests with 200, not 206."""
        deploy = self.manifest.deploy
        if media.name.endswith(".mp4") and deploy.artifacts == "pages" and deploy.r2_bucket and deploy.r2_public_url:
            from mkdocs_hybrid.deploy import media_url  # here: the deploy stage loads httpx and boto3

            return replace(media, url=media_url(deploy.r2_public_url, media.sha256, media.name))
        return media

    def _serve(self, ledger: BuildLedger, site_dir: Path, serve: ServeDecision, scan: Scan, listed: set[str]
               ) -> BuiltVersion | None:
        from mkdocs_hybrid.publish.artifacts import write_published
        from mkdocs_hybrid.publish.policy import CHANGED

        published = serve.published
        thread = scan.threads.get(published.thread)
        if serve.built.snapshot.unlisted or (thread is not None and thread.unlisted):
            self._hidden.add(published.ref)  # gone from the sources, it stays unlisted: never at its ids' paths
        if published.ref in self._hidden and self.unlisted_key is None:
            return None  # refused in _jobs: its published bytes must not stay at a path anyone can guess
        files = ledger.published_bytes(published, serve.why)
        if files is None:
            if serve.why == CHANGED:
                return None  # its changed snapshot was refused this run: that line already says why
            self.report.failed.append(SnapshotError(
                f"{serve.why}, but its published bytes are missing from {ledger.path}; republish it with "
                f"--republish {published.ref}", thread=published.thread, version=published.version))
            return None
        gallery_listed = published.thread in listed or published.thread not in scan.threads
        write_published(site_dir, serve.built.snapshot, files, gallery_listed=gallery_listed, origin=self.origin,
                        parts=self._parts(serve.built.snapshot))
        self.report.kept.append(published.ref)
        return serve.built

    def _plan(self, snapshots: list[Snapshot], toolchain: Toolchain) -> list[BundleJob]:
        """Each snapshot's installed npm set and vendor file; the versions that cannot have them are reported."""
        from mkdocs_hybrid.bundle.plan import plan_jobs

        plan = plan_jobs(snapshots, self.manifest, toolchain, self._workers, lock=self.manifest.base_dir / LOCK_FILE,
                         refuse=self._refusal)
        self.report.failed.extend(plan.failed)
        self._dependencies = plan.facts
        return plan.jobs

    def _refusal(self, snapshot: Snapshot) -> SnapshotError | None:
        """An unlisted version is not built without the key that makes its paths unguessable."""
        if snapshot.ref in self._hidden and self.unlisted_key is None:
            return SnapshotError(
                f"unlisted versions need {KEY_ENV} (at least 32 random characters) so that their links cannot "
                "be guessed; set it in the build's environment, or list the version",
                thread=snapshot.thread, version=snapshot.version)
        return None

    def _build(self, jobs: list[BundleJob], toolchain: Toolchain, site_dir: Path, listed: set[str]
               ) -> list[BuiltVersion]:
        from mkdocs_hybrid.bundle.bundle_cache import CACHE_FILE, BundleCache
        from mkdocs_hybrid.publish.artifacts import write_vendor_files

        site_index = _site_index(self.manifest.cache_dir / "sites", site_dir)
        with BundleCache(self.manifest.cache_dir / CACHE_FILE) as cache:
            built = self._render(jobs, toolchain, site_dir, listed, cache, site_index)
        site_index.save()
        self._remove_other_paths(site_dir, jobs)
        used = {job.vendor.name: job.vendor for job in jobs if job.vendor}
        self.vendor_names = sorted(used)
        write_vendor_files(site_dir, used.values())
        self._keep_vendor_files(site_dir, used)
        return built

    def _render(self, jobs: list[BundleJob], toolchain: Toolchain, site_dir: Path, listed: set[str],
                cache: BundleCache, site_index: StatIndex) -> list[BuiltVersion]:
        """Write each job's artifact: kept when the site has it, from the cache, or bundled now."""
        from mkdocs_hybrid.bundle.keys import bundle_key, toolchain_inputs
        from mkdocs_hybrid.publish.writer import ArtifactInputs, ArtifactWriter

        inputs = ArtifactInputs(template_digest(), toolchain.version, self.manifest.build,
                                self.manifest.editor.enabled, self.origin)
        writer = ArtifactWriter(site_dir, inputs, cache, site_index, listed=listed, parts=self._parts,
                                report=self.report, progress=self.progress)
        common = toolchain_inputs(toolchain, self.manifest)
        for job in jobs:
            writer.plan(job, bundle_key(job, common))
        fresh = [job for job in jobs if not (writer.kept(job) or writer.from_cache(job))]
        self._bundle(fresh, toolchain, writer.finish)
        return writer.built

    def _bundle(self, jobs: list[BundleJob], toolchain: Toolchain,
                on_done: Callable[[BundleJob, Bundle | SnapshotError], None]) -> None:
        """Bundle ``jobs`` on the build's workers, handing each outcome to ``on_done`` (in this thread)."""
        from mkdocs_hybrid.bundle.bundler import bundle_jobs

        with self._workers.for_work(len(jobs)) as executor:
            bundle_jobs(jobs, toolchain, self.manifest.build, on_done, executor=executor)

    def _remove_other_paths(self, site_dir: Path, jobs: list[BundleJob]) -> None:
        """An unlisted version leaves nothing at its ids' paths (an earlier build may have put it there), and
        a version listed again leaves nothing at its unguessable one. Run on every build, so a site without
        unlisted folders pays one stat per tree, not a key and a stat per version."""
        from mkdocs_hybrid.publish.artifacts import remove_version

        unlisted_folders = self.unlisted_key is not None and any(
            (site_dir / tree / UNLISTED).is_dir() for tree in (ARTIFACTS, SHARE))
        for job in jobs:
            snapshot = job.snapshot
            ids = (snapshot.thread, snapshot.version)
            if snapshot.ref in self._hidden:
                remove_version(site_dir, ids)
            elif unlisted_folders:
                remove_version(site_dir, site_parts(*ids, True, self.unlisted_key))

    def _parts(self, snapshot: Snapshot) -> Parts:
        """The version's path parts in the site: its ids, or ``_u`` and its token when it is unlisted."""
        return self.site_parts(snapshot.thread, snapshot.version)

    def site_parts(self, thread: str, version: str) -> Parts:
        return site_parts(thread, version, f"{thread}/{version}" in self._hidden, self.unlisted_key)

    def editor_inputs(self) -> EditorInputs:
        """What this build learned about npm sets, as the editor's recipe lists it (after :meth:`run`)."""
        from mkdocs_hybrid.editor.recipe import UsedVendor, set_entries
        from mkdocs_hybrid.editor.site import EditorInputs

        facts = self._dependencies
        if facts is None:
            return EditorInputs()
        used = [UsedVendor(deps, requested, vendor) for deps, requested, vendor in facts.vendors.made()]
        return EditorInputs(locked=dict(sorted(facts.locked.items())), sets=set_entries(facts.sets, used))

    def _keep_vendor_files(self, site_dir: Path, used: dict[str, VendorFile]) -> None:
        from mkdocs_hybrid.publish.artifacts import keep_vendor_files
        from mkdocs_hybrid.publish.ledger import vendor_archive

        archive = vendor_archive(self.manifest) if self.use_ledger else None
        if archive is not None:
            keep_vendor_files(archive, site_dir, used)

    @property
    def _workers(self) -> Workers:
        """Where esbuild batches run: the caller's executor, else threads (see ``bundle/plan.py``)."""
        from mkdocs_hybrid.bundle.plan import Workers

        return Workers(self.jobs, self.manifest.build.batch_size, self.executor)

    @contextmanager
    def _timed(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.report.timings[name] = self.report.timings.get(name, 0.0) + time.perf_counter() - start


def _asked(request: MediaRequest) -> str:
    """What a version asked the media stage for, as a record's salt (its served bytes are in its meta.json)."""
    attached = (str(request.attached), request.attached_name, request.attached_sha256) if request.attached else None
    # an attached video without the scan's digest is never settled: the stage reads its digest from the file
    unknown = time.time_ns() if request.attached and request.attached_sha256 is None else None
    return repr((request.video, attached, unknown, *(["pdf"] if request.pdf else [])))


def _gallery_threads(scan: Scan, jobs: list[BundleJob]) -> set[str]:
    """The threads the gallery lists: every thread not unlisted, and those known only from their versions."""
    listed = {thread_id for thread_id, thread in scan.threads.items() if not thread.unlisted}
    return listed | {job.snapshot.thread for job in jobs if job.snapshot.thread not in scan.threads}


def _site_index(folder: Path, site_dir: Path, keep: int = SITE_INDEXES_KEPT) -> StatIndex:
    """The stat index of an output folder's artifacts; only the most recently used few are kept
    (``mkdocs serve`` builds into a new temporary folder each time)."""
    from mkdocs_hybrid.bundle.keys import KEY_FORMAT

    name = hashlib.sha256(str(site_dir.resolve()).encode()).hexdigest()[:16] + ".json"
    try:
        others = sorted((p for p in folder.glob("*.json") if p.name != name), key=lambda p: p.stat().st_mtime)
        for stale in others[:max(0, len(others) - keep + 1)]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass  # only a cache
    return StatIndex(folder / name, KEY_FORMAT)
