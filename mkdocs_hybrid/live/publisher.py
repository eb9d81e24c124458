"""Publish threads now: build them alone with the warm caches and put them online in the artifact store.

Why no Pages deploy is needed: in the artifact store mode (``deploy.artifacts: r2``) everything a new version
changes lives in R2 (:mod:`mkdocs_hybrid.deploy._r2_pages`): its artifacts, its share page, its thread's page,
the thread's ``latest`` page and, with ``MKDOCS_HYBRID_HISTORY_KEY``, the thread's signed history and the site's
history index, all served by the site's constant ``_worker.js``. The default mode keeps
every file on Pages, where only a whole deployment changes anything, so it is refused with what to do.

The steps, each leaving the live site whole if the next one fails:

1. **Build** the threads into the work folder (an :class:`~mkdocs_hybrid.pipeline.Export` of a
   :class:`~mkdocs_hybrid.scale.shards.ThreadSet`, with the project's caches): the durable ledger is restored
   first, the publish policy refuses a changed published version, the local ledger records the new ones and,
   with a key, signs them into the threads' histories over the index the site serves
   (:class:`~mkdocs_hybrid.history.online.LiveHistory`).
2. **Claim** the new versions in the durable ledger (``deploy.ledger_bucket``, a compare-and-swap) before
   anything is uploaded: a version another publisher published first with other bytes stops here (a history
   another publisher signed into meanwhile is taken into the local ledger, and the threads are built again).
3. **Upload** in rank order: artifacts (never overwritten), then share pages, then thread and latest pages
   (replaced only if unchanged since read), then the histories and last the index (replaced only if unchanged
   since the signing read them). A share link answers the whole version or 404, never a part.
4. A page another publisher replaced meanwhile (:class:`~mkdocs_hybrid.deploy.PageRace`) means the thread (or the
   index) changed: build again, now seeing what that one published, and retry (:data:`RACE_ATTEMPTS` times).

What stays as the last deploy left it: the gallery's index pages on Pages (a new thread is reachable by its
links and thread page, and listed in the gallery index from the next deploy). A thread page MkDocs made keeps
its theme: the new versions are spliced into it (:func:`~mkdocs_hybrid.gallery.pages.splice_thread`), and its
head (title, social card) stays as that build wrote it until the next one.
"""

from __future__ import annotations

import fcntl
import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs_hybrid.config.manifest import Manifest
from mkdocs_hybrid.gallery.pages import render_thread, splice_thread, standalone_thread_page, thread_page_path
from mkdocs_hybrid.history.online import LiveHistory
from mkdocs_hybrid.model.catalog import Catalog, ThreadEntry
from mkdocs_hybrid.model.durable import write_atomic
from mkdocs_hybrid.model.errors import HybridError, SnapshotError
from mkdocs_hybrid.model.layout import ARTIFACTS, GALLERY, LATEST, SHARE
from mkdocs_hybrid.model.snapshot import ID_PATTERN
from mkdocs_hybrid.model.words import counted
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.publish.freshness import read_ledger_facts, stale_threads
from mkdocs_hybrid.publish.ledger import ledger_path
from mkdocs_hybrid.publish.site import SitePages
from mkdocs_hybrid.publish.withdrawn import withdrawn_keys
from mkdocs_hybrid.report import BuildReport
from mkdocs_hybrid.scale.shards import ThreadSet

if TYPE_CHECKING:
    from mkdocs_hybrid.deploy import ArtifactStore, PendingMarks
    from mkdocs_hybrid.deploy._r2_artifacts import ArtifactPlan

__all__ = ["RACE_ATTEMPTS", "LivePublisher", "LiveResult", "check_live_mode", "live_work_dir"]

RACE_ATTEMPTS = 3
"""Builds of one publication at most when other publishers keep replacing its thread's pages meanwhile."""
LOCK_FILE = ".publishing.lock"
PENDING_FILE = ".pending.json"
"""The journal of threads a publication has started and not finished (in the work folder)."""


class ChangedMeanwhile(HybridError):
    """Another publisher published into a thread of this publication after it was built: build it again."""


@dataclass
class LiveResult:
    """What one publication did."""

    threads: tuple[ThreadEntry, ...]
    report: BuildReport
    uploaded: int = 0
    present: int = 0
    seconds: float = 0.0
    attempts: int = 1

    @property
    def failed(self) -> list[SnapshotError]:
        return self.report.failed

    def latest(self, thread: str) -> str | None:
        return next((entry.latest for entry in self.threads if entry.id == thread), None)

    def summary(self) -> str:
        """One line for people."""
        names = ", ".join(f"{entry.id} (latest {entry.latest})" for entry in self.threads) or "nothing"
        failed = f", {counted(len(self.failed), 'version')} failed" if self.failed else ""
        notices = "".join(f"; {notice}" for notice in self.report.notices)  # as a build's summary line has them
        return (f"published {names}: {counted(self.uploaded, 'object')} uploaded, {self.present} already there"
                f"{failed}, in {self.seconds:.1f} s{notices}")


@dataclass
class LivePublisher:
    """Publishes threads of ``manifest`` into its artifact store, building in ``work_dir``.

    ``store`` is for tests and custom clients (by default the manifest's, as ``deploy`` makes it); ``media``
    and ``jobs`` as :class:`~mkdocs_hybrid.pipeline.Export` takes them.
    """

    manifest: Manifest
    site_url: str
    work_dir: Path
    site_name: str | None = None
    media: bool | None = None
    jobs: int | None = None
    store: ArtifactStore | None = None
    progress: Callable[[str], None] = field(default=lambda line: None)

    def __post_init__(self) -> None:
        check_live_mode(self.manifest)

    def publish(self, threads: Iterable[str]) -> LiveResult:
        """Build ``threads`` and put them online; a version that fails is reported in the result (the others
        are published); an unusable store, ledger or manifest raises."""
        from mkdocs_hybrid.deploy import PageRace

        started = time.perf_counter()
        threads = list(threads)
        for thread in threads:
            if not ID_PATTERN.fullmatch(thread) or thread == LATEST:
                raise HybridError(f"{thread!r} is not a thread id: 1-64 characters of a-z 0-9 . _ - starting with a "
                                  "letter or digit")
        with _locked(self.work_dir):
            marks = self._marks()
            wanted = frozenset(threads) | self.pending() | (marks.listed() if marks is not None else frozenset())
            self._journal(wanted)  # first: a publication cut short (kill -9) is finished by the next one
            if marks is not None:
                marks.mark(wanted)  # ... and on another runner too: before the claim says "published"
            for attempt in range(1, RACE_ATTEMPTS + 1):
                try:
                    result = self._publish_once(wanted)
                except (PageRace, ChangedMeanwhile) as race:
                    if attempt == RACE_ATTEMPTS:
                        raise HybridError(f"{race}; it kept changing over {RACE_ATTEMPTS} builds: "
                                          "publish again once the other publisher is done") from None
                    self.progress(f"{race}: building again")
                    continue
                result.attempts, result.seconds = attempt, time.perf_counter() - started
                if marks is not None:
                    marks.clear(wanted)
                self._journal(frozenset())
                return result
        raise AssertionError("unreachable")

    def pending(self) -> frozenset[str]:
        """Threads whose last publication did not finish (its process was killed, or a store failed)."""
        try:
            data = json.loads((self.work_dir / PENDING_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return frozenset()  # none, or a journal cut short itself: the sources' poll finds what is new
        if not isinstance(data, list):
            return frozenset()
        return frozenset(item for item in data if isinstance(item, str) and ID_PATTERN.fullmatch(item))

    def abandoned(self) -> frozenset[str]:
        """:meth:`pending` when no publication holds the work folder now: a journal another process is working
        through (a ``pin`` or ``publish-version`` beside the worker) is not a crashed one."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        with (self.work_dir / LOCK_FILE).open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return frozenset()
            try:
                return self.pending()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def durable_pending(self) -> frozenset[str]:
        """Threads any publisher marked in the durable ledger's bucket and did not finish (none without one)."""
        marks = self._marks()
        return marks.listed() if marks is not None else frozenset()

    def _marks(self) -> PendingMarks | None:
        if not getattr(self.manifest.deploy, "ledger_bucket", None):
            return None
        from mkdocs_hybrid.deploy import pending_marks  # loads boto3

        return pending_marks(self.manifest)

    def _journal(self, threads: frozenset[str]) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(self.work_dir / PENDING_FILE, json.dumps(sorted(threads)) + "\n")

    def _publish_once(self, wanted: frozenset[str]) -> LiveResult:
        from mkdocs_hybrid.deploy import collect_files_under

        export = Export(self.manifest, shard=ThreadSet.of(wanted), media=self.media, jobs=self.jobs,
                        pages=SitePages(site_url=self.site_url, site_name=self.site_name))
        history = export.live_history = LiveHistory(self._store().read_tagged)
        catalog = export.run(self.work_dir)
        entries = tuple(thread for thread in catalog.threads if thread.id in wanted)
        self._write_thread_pages(catalog, export)
        files = collect_files_under(self.work_dir, published_names(export, entries) + history.written)
        self._claim(wanted)  # before any upload: a version someone else published first stops
        key = export.unlisted_key
        stale = stale_threads(self.work_dir, [entry.id for entry in entries], read_ledger_facts(ledger_path(
            self.manifest)), key.token if key else None)  # the claim merged in every publisher's records
        if stale:
            raise ChangedMeanwhile(f"{', '.join(sorted(stale))} changed meanwhile (another publisher)")
        store = self._store()
        staged = store.stage(files, listing=False)  # a HEAD per key: no listing of the whole bucket
        replace_only_as_read(staged, history.etags)
        staged.withdrawn = self._withdrawn(store, export, entries, {item.name for item in files})
        sent = store.publish(staged)
        return LiveResult(entries, export.report, uploaded=sum(sent), present=len(files) - sum(sent))

    def _claim(self, wanted: frozenset[str]) -> None:
        """Save the threads' records in the durable ledger; a history another publisher signed into since this
        build restored it (a fork: the local ledger holds that one's chain now) means building again."""
        from mkdocs_hybrid.deploy import LedgerConflict, claim_versions

        try:
            claim_versions(self.manifest, wanted)
        except LedgerConflict as conflict:
            if not conflict.forks:
                raise
            raise ChangedMeanwhile(f"{', '.join(conflict.forks)}: another publisher signed into the history "
                                   "meanwhile") from None

    def _withdrawn(self, store: ArtifactStore, export: Export, entries: tuple[ThreadEntry, ...],
                   sent: set[str]) -> list[str]:
        """Objects at the public paths of these threads' versions that are unlisted now (a few listings)."""
        key = export.unlisted_key
        if key is None:
            return []  # without the key no version is unlisted in this build (it refuses them)
        held = store.keys([f"{folder}/{entry.id}/" for entry in entries for folder in (ARTIFACTS, SHARE, GALLERY)])
        return withdrawn_keys(held, sent, key.token)

    def _write_thread_pages(self, catalog: Catalog, export: Export) -> None:
        """The thread pages of the listed threads: the one online with its versions replaced when a site generator
        (MkDocs) made it, so it keeps the site's theme; else as the standalone gallery writes them."""
        editor = self.manifest.editor.enabled
        for thread in catalog.listed:
            name = thread_page_path(thread.id)
            online, page = self._store().read(name), None
            if online is not None:
                page = splice_thread(online, render_thread(thread, base="../../", site_url=self.site_url,
                                                           editor=editor, origin=export.origin,
                                                           site_dir=self.work_dir))
            if page is None:
                page = standalone_thread_page(thread, site_url=self.site_url, editor=editor, origin=export.origin,
                                              site_dir=self.work_dir)
            path = self.work_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, page)

    def _store(self) -> ArtifactStore:
        if self.store is None:
            from mkdocs_hybrid.deploy import artifact_store

            self.store = artifact_store(self.manifest.deploy, self.site_url)
        return self.store


def published_names(export: Export, threads: Iterable[ThreadEntry]) -> list[str]:
    """The site paths one publication sends: each thread's artifacts and pages (an unlisted version's under its
    unguessable token), and the vendor files its versions load."""
    names = list(export.vendor_names)
    for thread in threads:
        names += [f"{ARTIFACTS}/{thread.id}", f"{SHARE}/{thread.id}"]
        if not thread.unlisted:
            names.append(thread_page_path(thread.id))
        for version in thread.versions:
            parts = export.site_parts(thread.id, version.version)
            if parts != (thread.id, version.version):
                names += [f"{ARTIFACTS}/{'/'.join(parts)}", f"{SHARE}/{'/'.join(parts)}"]
    return names


def replace_only_as_read(staged: ArtifactPlan, etags: dict[str, str | None]) -> None:
    """Make each history file the signing read be replaced only if it still has the ETag it was read with (not
    the one staging saw a moment later: an index another publication wrote in between lacks this one's entries,
    and the publication's own lacks that one's); one that appeared since the read means building again."""
    for plan in staged.replaced:
        if plan.key not in etags:
            continue
        read = etags[plan.key]
        if read is None:
            raise ChangedMeanwhile(f"{plan.key} was written by another publisher while this one signed")
        staged.etags[plan.key] = read


def check_live_mode(manifest: Manifest) -> None:
    """Publishing one version without a deploy needs the artifact store mode; say what to do otherwise."""
    if manifest.deploy.artifacts != "r2":
        raise HybridError(f"{manifest.origin}: publishing one version without a deploy needs deploy.artifacts: r2 "
                          "(share, thread and latest pages in R2, served by the site's worker); in the default "
                          "mode every page is a Pages file, so run `mkdocs-hybrid publish` (build and deploy)")


def live_work_dir(manifest: Manifest) -> Path:
    """Where publications build by default: in the cache, so each one finds the last one's files and indexes."""
    return manifest.cache_dir / "live" / "site"


@contextmanager
def _locked(work_dir: Path) -> Iterator[None]:
    """One publication at a time per work folder (a second ``publish-version`` waits for the first)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    with (work_dir / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
