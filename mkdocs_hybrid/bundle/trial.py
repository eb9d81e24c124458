"""A trial build for ``mkdocs-hybrid check``: every version bundled as a build bundles it, nothing published.

The bundler's callback, as :class:`~mkdocs_hybrid.publish.writer.ArtifactWriter` is for a build, but without a
site: a version passes when its bundle key is in the bundle cache (the cache only ever holds bundles esbuild
made, so that version has built with these exact inputs) or when esbuild bundles it now; it fails with the
bundler's located error. New bundles go into the bundle cache (and nowhere else): the next check, and the
build that follows, reuse them instead of bundling again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mkdocs_hybrid.bundle.bundle_cache import BundleCache
from mkdocs_hybrid.bundle.bundler import Bundle, BundleJob
from mkdocs_hybrid.bundle.keys import bundle_key
from mkdocs_hybrid.model.errors import SnapshotError

__all__ = ["BundleTrial"]


class BundleTrial:
    """Sorts jobs into bundled now (``built``), found in the cache (``cached``) and ``failed``, in the order
    they finish; counts them for ``progress`` as a build does."""

    def __init__(self, jobs: list[BundleJob], cache: BundleCache, toolchain_inputs: dict[str, Any], *,
                 progress: Callable[[int, int], None]) -> None:
        self.cache = cache
        self.progress = progress
        self.built: list[str] = []
        self.cached: list[str] = []
        self.failed: list[SnapshotError] = []
        self._keys = {job.snapshot.ref: bundle_key(job, toolchain_inputs) for job in jobs}
        self._total = len(jobs)

    def from_cache(self, job: BundleJob) -> bool:
        """Whether the cache holds the job's bundle (then it passes, counted as cached); ``False``: bundle it."""
        if not self.cache.has(self._keys[job.snapshot.ref]):
            return False
        self._record(self.built if job.prebuilt else self.cached, job.snapshot.ref)  # prebuilt: bundled now
        return True

    def finish(self, job: BundleJob, outcome: Bundle | SnapshotError) -> None:
        """The bundler's callback: keep a new bundle in the cache, or note the version's located error."""
        ref = job.snapshot.ref
        if isinstance(outcome, SnapshotError):
            self.failed.append(outcome)
            return self._record(None, ref)
        self.cache.keep(self._keys[ref], outcome)
        self._record(self.built, ref)

    def _record(self, into: list[str] | None, ref: str) -> None:
        if into is not None:
            into.append(ref)
        self.progress(len(self.built) + len(self.cached) + len(self.failed), self._total)
