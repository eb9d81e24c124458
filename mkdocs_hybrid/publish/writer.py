"""Turn each bundle into a written artifact, and count the versions as they finish.

A version's artifact is kept when the site already holds it for the same build key (no writes), written
from the bundle cache when its bundle is there, or written from what the bundler makes now. The writer is
the bundler's callback: it runs in the caller's thread whatever the executor, so it stays the only writer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs_hybrid.bundle.bundle_cache import BundleCache
from mkdocs_hybrid.bundle.bundler import Bundle, BundleJob
from mkdocs_hybrid.bundle.html_entry import HtmlEntry, split_html_entry
from mkdocs_hybrid.config.manifest import BuildOptions
from mkdocs_hybrid.edge.sandbox import ArtifactOrigin
from mkdocs_hybrid.model.catalog import BuiltVersion
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.files import StatIndex
from mkdocs_hybrid.model.layout import Parts
from mkdocs_hybrid.model.snapshot import Snapshot
from mkdocs_hybrid.publish.artifacts import artifact_is_current, render_artifact, write_artifact
from mkdocs_hybrid.report import BuildReport

__all__ = ["ArtifactInputs", "ArtifactWriter"]


@dataclass(frozen=True)
class ArtifactInputs:
    """What every artifact of one build is made with besides its bundle."""

    template: str
    """The digest of the page templates (see ``templates.template_digest``)."""
    esbuild: str
    options: BuildOptions
    editor: bool
    """The editor is on: listed versions ship their ``source.json``."""
    origin: ArtifactOrigin

    def meta_info(self, job: BundleJob, key: str, listed: bool) -> dict[str, Any]:
        """The build facts ``meta.json`` records, with the build key that says when the artifact is current."""
        snapshot = job.snapshot
        unmet = [peer.to_dict() for peer in job.deps.unmet_peers]
        # Everything the artifact and its share page show: a change here must change the key
        # (unmet peers only when there are some, so the keys of every other artifact stay as they were).
        described = json.dumps([key, self.template, snapshot.title, snapshot.created, snapshot.author,
                                list(snapshot.tags), snapshot.unlisted, listed] + ([unmet] if unmet else [])
                               + (["source.json"] if self.editor else [])
                               + ([self.origin.url] if self.origin.url else []))
        return {
            "build_key": hashlib.sha256(described.encode()).hexdigest(),
            "bundle_key": key,
            "esbuild": self.esbuild,
            "build": {"target": self.options.target, "minify": self.options.minify},
            "dependencies": dict(job.deps.direct),
            "packages": dict(job.deps.packages),
            **({"unmet_peers": unmet} if unmet else {}),
        }


class ArtifactWriter:
    """Writes the artifacts of one build into ``site_dir`` and records each version in ``report``.

    :meth:`plan` every job first (its bundle key; the progress total counts them); then each job is
    :meth:`kept`, written :meth:`from_cache`, or handed to the bundler, which calls :meth:`finish`.
    """

    def __init__(self, site_dir: Path, inputs: ArtifactInputs, cache: BundleCache, site_index: StatIndex, *,
                 listed: set[str], parts: Callable[[Snapshot], Parts], report: BuildReport,
                 progress: Callable[[int, int], None]) -> None:
        self.site_dir = site_dir
        self.inputs = inputs
        self.cache = cache
        self.site_index = site_index
        self.listed = listed
        """Threads the gallery lists."""
        self.parts = parts
        self.report = report
        self.progress = progress
        self.built: list[BuiltVersion] = []
        """The versions written or kept, in the order they finished."""
        self._keys: dict[str, str] = {}
        self._infos: dict[str, dict[str, Any]] = {}
        self._total = self._done = 0

    def plan(self, job: BundleJob, key: str) -> None:
        """Note ``job`` and its bundle key (a set with unmet peers is warned about, never failed)."""
        snapshot = job.snapshot
        if job.deps.unmet_peers:
            self.report.warn_unmet_peers(job.deps, snapshot.ref)  # logged once per set
        self._keys[snapshot.ref] = key
        self._infos[snapshot.ref] = self.inputs.meta_info(job, key, snapshot.thread in self.listed)
        self._total += 1

    def kept(self, job: BundleJob) -> bool:
        """Whether the site already holds the job's artifact for its build key: then it is counted as cached,
        with no writes."""
        build_key = self._infos[job.snapshot.ref]["build_key"]
        if not artifact_is_current(self.site_dir, job.snapshot, build_key, self.site_index, self.parts(job.snapshot)):
            return False
        self._record(job, build_key, cached=True)
        return True

    def from_cache(self, job: BundleJob) -> bool:
        """Write the job's artifact from its cached bundle, if the cache has it (an error doing so fails the
        version alone); ``False`` when it must be bundled."""
        snapshot = job.snapshot
        hit = self.cache.get(self._keys[snapshot.ref])
        if hit is None:
            return False
        try:
            self.finish(job, Bundle(js=hit[0], css=hit[1], html=self._cached_page(snapshot)), cached=True)
        except SnapshotError as exc:
            self.finish(job, exc.located(snapshot.thread, snapshot.version))
        return True

    def finish(self, job: BundleJob, outcome: Bundle | SnapshotError, cached: bool = False) -> None:
        """Write a bundle as its artifact (keeping a new one in the cache), or record the version's error."""
        snapshot = job.snapshot
        if isinstance(outcome, SnapshotError):
            self.report.failed.append(outcome)
            return self._record(job, None)
        key = self._keys[snapshot.ref]
        if not cached:
            self.cache.keep(key, outcome)
        info = self._infos[snapshot.ref]
        listed = snapshot.thread in self.listed
        artifact = render_artifact(snapshot, outcome, info, gallery_listed=listed, vendor=job.vendor,
                                   with_source=self.inputs.editor and listed, origin=self.inputs.origin,
                                   parts=self.parts(snapshot))
        write_artifact(self.site_dir, snapshot, artifact, self.parts(snapshot))
        self._record(job, info["build_key"], cached and not job.prebuilt)  # prebuilt: bundled by this build

    def _record(self, job: BundleJob, build_key: str | None, cached: bool = False) -> None:
        self._done += 1
        if build_key is not None:
            (self.report.cached if cached else self.report.built).append(job.snapshot.ref)
            self.built.append(BuiltVersion(job.snapshot, build_key))
        self.progress(self._done, self._total)

    def _cached_page(self, snapshot: Snapshot) -> HtmlEntry | None:
        """The page around an ``index.html`` entry's cached bundle, from the cache (parsed once per bundle key)."""
        if not snapshot.is_html:
            return None
        key = self._keys[snapshot.ref]
        template = self.cache.get_html(key)
        if template is not None:
            return HtmlEntry(template=template)
        page = split_html_entry(snapshot)
        self.cache.put_html(key, page.template)
        return page
