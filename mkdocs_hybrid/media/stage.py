"""The media stage: posters and videos for the versions a build serves, made once per content.

A version's media are a function of the bytes its share link serves (``page.html``, ``style.css``, the vendor
file; or its attached video), the capture settings and the tools' versions. That is their key, as in
mkdocs-material's social plugin: ``{cache}/media/{key}/`` holds the files and a ``media.json`` manifest, and a
rebuild with the same key starts no browser and no ffmpeg; it copies what changed into the site.

:func:`plan_media` decides what each version needs (pure); :class:`MediaStage` makes what the cache lacks and
puts every version's files in its artifact folder. One version's failure never stops the others: a capture that
fails is a warning (the version is published without media), a rejected attached video an error of that version.
With ``exports.pdf``, a version with an attached video also gets a PDF-only capture: the browser prints its demo
(its poster stays the video's), cached under a key of its own, so neither is made again when only the other changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs_hybrid.config.manifest import VideoOptions
from mkdocs_hybrid.media._settings import CaptureSettings
from mkdocs_hybrid.media._streams import hls_key, hls_of, remove_stale_hls, with_stream
from mkdocs_hybrid.media._tools import MEDIA_ENV, MediaTools
from mkdocs_hybrid.model.catalog import MediaFile
from mkdocs_hybrid.model.durable import copy_atomic, make_temp_dir, sweep, write_atomic
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.files import StatIndex, safe_join, stat_signature
from mkdocs_hybrid.model.layout import ARTIFACTS, MEDIA_FILES, Parts
from mkdocs_hybrid.model.snapshot import Snapshot, file_sha256
from mkdocs_hybrid.progress import Tally

if TYPE_CHECKING:
    from mkdocs_hybrid.media._attached import AttachedLimits
    from mkdocs_hybrid.media._capture import CaptureOutcome

__all__ = ["MEDIA_ENV", "MediaOutcome", "MediaRequest", "MediaStage", "clear_media", "plan_media", "settings_of"]

MEDIA_FORMAT = 1
"""Part of every key: bump it when what a key's files hold changes."""
MEDIA_NAMES = frozenset(MEDIA_FILES.values())
INSTALLED_INDEX = "installed.json"
"""In the media cache: the stat of each media file put in a site, so a rebuild need not hash them again."""
Capture = Callable[..., list["CaptureOutcome"]]
Transcode = Callable[..., tuple[MediaFile, ...]]


@dataclass(frozen=True)
class MediaRequest:
    """What one version needs: a poster (always), a generated video, or its attached video transcoded."""

    ref: str
    parts: Parts
    """The version's site path parts (its ids, or ``_u`` and its token)."""
    video: bool = False
    attached: Path | None = None
    attached_name: str | None = None
    """The attached file's name in the snapshot, for messages."""
    attached_sha256: str | None = None
    """Its digest as the scan took it (read from the file when not given)."""
    pdf: bool = False
    """Also a PDF of the demo at the poster's time (``exports.pdf``); for an attached video, a capture of its own
    that prints the demo and makes no poster (see :class:`_Work`)."""


@dataclass(frozen=True)
class _Work:
    """One thing to make for a request under one cache key: its media, or (``pdf_only``) the PDF of an attached
    video's demo, which the capture browser prints while the transcoder makes the rest."""

    request: MediaRequest
    key: str
    pdf_only: bool = False


@dataclass
class MediaOutcome:
    """What the stage did: each version's media, and what it made, reused, or could not make."""

    media: dict[str, tuple[MediaFile, ...]] = field(default_factory=dict)
    made: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    errors: list[SnapshotError] = field(default_factory=list)
    """Rejected attached videos: the version is published, without a video."""
    warnings: list[str] = field(default_factory=list)
    """Captures that failed (one line each), and the tools' absence (once)."""


def settings_of(options: VideoOptions) -> CaptureSettings:
    return CaptureSettings(seconds=float(options.seconds), fps=options.fps, width=options.width,
                           height=options.height, poster_at=options.poster_at)


def limits_of(options: VideoOptions) -> AttachedLimits:
    from mkdocs_hybrid.media._attached import AttachedLimits  # here: a rebuild with every medium made loads no
    # prober or transcoder (nor asyncio and Playwright for the capture: see _make)

    return AttachedLimits(max_input_bytes=options.attached_max_mb * 1024 * 1024,
                          max_seconds=float(options.attached_max_seconds))


def plan_media(snapshots: Iterable[tuple[Snapshot, Parts]], options: VideoOptions, tools: MediaTools, *,
               pdf: bool = False) -> tuple[list[MediaRequest], list[str]]:
    """The requests of the versions a build serves, and a notice for each kind of media the machine cannot make
    (said once per build, not once per version). With ``pdf``, every version is printed to a PDF as well (one
    with an attached video by a PDF-only capture: attached videos are transcoded only where the browser is)."""
    notices: list[str] = []
    poster_problem = tools.missing_for_posters() if options.posters else None
    video_problem = tools.missing_for_video()
    requests = []
    wants_video = wants_attached = False
    for snapshot, parts in snapshots:
        generated = snapshot.video is True or (options.enabled and snapshot.video is None)
        attached = snapshot.video if isinstance(snapshot.video, str) else None
        wants_video |= generated
        wants_attached |= attached is not None
        if attached is not None and video_problem is None:
            path = Path(snapshot.origin) / attached
            requests.append(MediaRequest(snapshot.ref, parts, attached=path, attached_name=attached,
                                         attached_sha256=snapshot.digests.get(attached), pdf=pdf))
        elif generated and video_problem is None:
            requests.append(MediaRequest(snapshot.ref, parts, video=True, pdf=pdf))
        elif options.posters and poster_problem is None:
            requests.append(MediaRequest(snapshot.ref, parts, pdf=pdf))
    if options.posters and poster_problem:
        notices.append(f"{poster_problem}; the gallery shows monograms instead")
    if (wants_video or wants_attached) and video_problem:
        notices.append(f"{video_problem}; no video previews were made")
    return requests, notices


class MediaStage:
    """Make (or take from the cache) every requested version's media, and put them in the site."""

    def __init__(self, options: VideoOptions, cache_dir: Path, tools: MediaTools, *,
                 workers: int | None = None, progress: Callable[[int, int], None] | None = None,
                 capture_fn: Capture | None = None, transcode_fn: Transcode | None = None) -> None:
        """``capture_fn`` and ``transcode_fn`` default to the real capture and transcoder (loaded when needed)."""
        self.options = options
        self.settings = settings_of(options)
        self.folder = cache_dir / "media"
        self.tools = tools
        self.workers = workers or os.cpu_count() or 1
        self.progress = progress or (lambda done, total: None)
        self._capture = capture_fn
        self._transcode = transcode_fn
        # what every key shares (the settings, the capture's flags and encoders, the tools), hashed once; also
        # the salt of the records of media already in place (:mod:`.settled`)
        self.settings_key = hashlib.sha256(json.dumps([MEDIA_FORMAT, self.settings.cache_inputs(), tools.versions],
                                                       sort_keys=True, default=str).encode()).hexdigest()

    def run(self, site_dir: Path, requests: Sequence[MediaRequest]) -> MediaOutcome:
        outcome = MediaOutcome()
        works: dict[str, list[_Work]] = {}
        found: dict[tuple[str, bool], tuple[MediaFile, ...] | None] = {}
        """By ``(ref, pdf_only)``: what each piece of work has in the cache, or made."""
        missing = []
        for request in requests:
            served = self._served(site_dir, request)
            if served is None:
                continue  # no artifact in the site (it failed): nothing to show
            works[request.ref] = [_Work(request, self._key(request, served))]
            if request.attached is not None and request.pdf:
                works[request.ref].append(_Work(request, self._key(request, served, pdf_only=True), pdf_only=True))
            for work in works[request.ref]:
                found[request.ref, work.pdf_only] = self._cached(work.key)
                if found[request.ref, work.pdf_only] is None:
                    missing.append(work)
            if all(found[request.ref, work.pdf_only] is not None for work in works[request.ref]):
                outcome.cached.append(request.ref)
        self._make(site_dir, missing, found, outcome)
        installed = StatIndex(self.folder / INSTALLED_INDEX, MEDIA_FORMAT)
        for request in requests:
            if request.ref in works:
                sources = [(self._entry(work.key), found[request.ref, work.pdf_only] or ())
                           for work in works[request.ref]]
                outcome.media[request.ref] = install(site_dir, request.parts, sources, installed)
        installed.save()
        return outcome

    def key(self, site_dir: Path, request: MediaRequest) -> str | None:
        """The content key of a version's media: what its page loads (digests from its ``meta.json``), or its
        attached file's bytes, with the settings and the tools that make them."""
        served = self._served(site_dir, request)
        return None if served is None else self._key(request, served)

    def _served(self, site_dir: Path, request: MediaRequest) -> list[str | None] | None:
        """The digests of what the version's page loads, from its ``meta.json`` (``None``: no artifact)."""
        try:
            meta = json.loads((safe_join(site_dir, ARTIFACTS, *request.parts) / "meta.json").read_bytes())
            files = meta["files"]
            return [files["page.html"]["sha256"], files.get("style.css", {}).get("sha256"),
                    (meta.get("vendor") or {}).get("sha256")]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _key(self, request: MediaRequest, served: list[str | None], *, pdf_only: bool = False) -> str:
        """``pdf_only``: the key of an attached video's PDF, which depends on the demo, not on the video."""
        kind: list[object]
        if request.attached is not None and not pdf_only:
            digest = request.attached_sha256 or file_sha256(request.attached)
            kind = ["attached", digest, asdict(limits_of(self.options)), hls_key(self.options)]
        else:
            kind = ["pdf" if pdf_only else "video" if request.video else "poster", served]
            if request.pdf:
                from mkdocs_hybrid.media._pdf import pdf_key  # here: a build without PDFs loads none of it

                kind.append(pdf_key(self.settings))
        return hashlib.sha256(json.dumps([self.settings_key, kind], sort_keys=True).encode()).hexdigest()

    def _entry(self, key: str) -> Path:
        return self.folder / key[:2] / key

    def _cached(self, key: str) -> tuple[MediaFile, ...] | None:
        try:
            data = json.loads((self._entry(key) / "media.json").read_bytes())
            return tuple(MediaFile(**item) for item in data["files"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _make(self, site_dir: Path, missing: list[_Work], found: dict[tuple[str, bool], tuple[MediaFile, ...] | None],
              outcome: MediaOutcome) -> None:
        if not missing:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        # Progress is reported as each version is made (from the workers), not as the results are stored
        # afterwards: the capture and the transcodes hand back their results only once all are done.
        tally, done = Tally(self.progress, len(missing)), 0
        sweep(self.folder, "making-")  # what a killed build was making (never a running build's)
        work = make_temp_dir(self.folder, "making-")
        try:
            def finished(item: _Work, files: tuple[MediaFile, ...] | None, out_dir: Path) -> None:
                nonlocal done
                done += 1
                if files is not None:
                    self._store(item.key, files, out_dir)
                    found[item.request.ref, item.pdf_only] = files
                    if item.request.ref not in outcome.made:  # an attached video and its PDF: one version made
                        outcome.made.append(item.request.ref)
                tally.reach(done)  # already reported by the workers unless a capture made nothing

            attached = [w for w in missing if w.request.attached is not None and not w.pdf_only]
            captured = [w for w in missing if w.request.attached is None or w.pdf_only]
            self._transcode_all(attached, work, outcome, finished, tally)
            self._capture_all(site_dir, captured, work, outcome, finished, tally)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _capture_all(self, site_dir: Path, items: list[_Work], work: Path, outcome: MediaOutcome,
                     finished: Callable[[_Work, tuple[MediaFile, ...] | None, Path], None], tally: Tally) -> None:
        if not items:
            return
        by_ref = {w.request.ref: w for w in items}
        from mkdocs_hybrid.media._capture import CaptureJob, capture

        jobs = [CaptureJob(ref=w.request.ref, page="/".join((ARTIFACTS, *w.request.parts, "page.html")),
                           out_dir=work / f"{index}", video=w.request.video and not w.pdf_only, pdf=w.request.pdf,
                           posters=not w.pdf_only) for index, w in enumerate(items)]
        for job in jobs:
            job.out_dir.mkdir()
        before = tally.done  # the attached videos transcoded first

        def captured(done: int, total: int) -> None:
            tally.reach(before + done)

        for result in (self._capture or capture)(site_dir, jobs, self.settings, self.tools, workers=self.workers,
                                    progress=captured):
            item = by_ref[result.job.ref]
            if result.error is not None:
                made = "PDF" if item.pdf_only else "poster, video or PDF" if item.request.pdf else "poster or video"
                outcome.warnings.append(f"{item.request.ref}: no {made}: {result.error}")
                finished(item, None, result.job.out_dir)
            else:
                finished(item, result.files, result.job.out_dir)

    def _transcode_all(self, items: list[_Work], work: Path, outcome: MediaOutcome,
                       finished: Callable[[_Work, tuple[MediaFile, ...] | None, Path], None], tally: Tally) -> None:
        if not items:
            return
        requests = [w.request for w in items]
        assert self.tools.ffmpeg is not None and self.tools.ffprobe is not None
        from mkdocs_hybrid.media._attached import AttachedVideoError, transcode_attached

        transcode: Transcode = self._transcode or transcode_attached

        def one(index: int, request: MediaRequest) -> tuple[MediaFile, ...] | SnapshotError:
            try:
                return made(index, request)
            finally:
                tally.tick()  # from the worker thread, as each video is done

        def made(index: int, request: MediaRequest) -> tuple[MediaFile, ...] | SnapshotError:
            assert request.attached is not None
            out_dir = work / f"a{index}"
            out_dir.mkdir()
            try:
                files = transcode(request.attached, out_dir, ffmpeg=self.tools.ffmpeg,
                                  ffprobe=self.tools.ffprobe, width=self.settings.width,
                                  height=self.settings.height, fps=self.settings.fps,
                                  poster_at=self.settings.poster_at, card_width=self.settings.card_width,
                                  threads=self.settings.threads, limits=limits_of(self.options),
                                  **hls_of(self.options))
                return with_stream(files, request.attached, out_dir, self.options)
            except AttachedVideoError as exc:
                thread, _, version = request.ref.partition("/")
                return SnapshotError(f"video {request.attached_name!r}: {exc}", thread=thread, version=version,
                                     path=str(request.attached))

        # ffmpeg runs with one pinned thread per video (bytes depend on it): one video per core.
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            results = list(pool.map(one, range(len(requests)), requests))
        for index, (item, result) in enumerate(zip(items, results)):
            if isinstance(result, SnapshotError):
                outcome.errors.append(result)
                finished(item, None, work / f"a{index}")
            else:
                finished(item, result, work / f"a{index}")

    def _store(self, key: str, files: tuple[MediaFile, ...], out_dir: Path) -> None:
        """Move a version's new files into the cache under their key, all or nothing."""
        entry = self._entry(key)
        staging = out_dir / ".entry"
        staging.mkdir()
        for media in files:
            (staging / media.name).parent.mkdir(parents=True, exist_ok=True)  # hls/{rung}/
            os.replace(out_dir / media.name, staging / media.name)
        manifest = {"format": MEDIA_FORMAT, "files": [asdict(m) for m in files]}
        write_atomic(staging / "media.json", json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        entry.parent.mkdir(parents=True, exist_ok=True)
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(staging, entry)


def install(site_dir: Path, parts: Parts, sources: Iterable[tuple[Path, Iterable[MediaFile]]],
            installed: StatIndex | None = None) -> tuple[MediaFile, ...]:
    """Copy a version's media from their cache entries (``(entry, files)``: an attached video's PDF has an entry
    of its own) into its artifact folder where they differ, and remove media it no longer has (a video turned
    off). Returns the files in the site, sorted by name. ``installed`` holds the stat of files already checked:
    while it matches, a file is not hashed again."""
    folder = safe_join(site_dir, ARTIFACTS, *parts)
    entries = {media.name: (entry, media) for entry, files in sources for media in files}
    files = tuple(media for _, media in sorted(entries.values(), key=lambda pair: pair[1].name))
    _remove_media(folder, keep=set(entries))
    for entry, media in (entries[name] for name in sorted(entries)):
        target = folder / media.name
        if not _same_file(target, media, installed):
            target.parent.mkdir(parents=True, exist_ok=True)  # hls/{rung}/
            copy_atomic(entry / media.name, target)
            _remember(installed, target, media)
    return files


def _same_file(path: Path, media: MediaFile, installed: StatIndex | None) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    if stat.st_size != media.size:
        return False
    signature, _ = stat_signature([(media.sha256, stat)])
    if installed is not None and installed.lookup(os.path.abspath(path), signature) is not None:
        return True
    if file_sha256(path) != media.sha256:
        return False
    _remember(installed, path, media)
    return True


def _remember(installed: StatIndex | None, path: Path, media: MediaFile) -> None:
    """Note that ``path`` holds ``media`` as its stat is now (a file too fresh to trust is checked again)."""
    if installed is not None:
        signature, newest = stat_signature([(media.sha256, path.stat())])
        installed.store(os.path.abspath(path), signature, newest, {})


def clear_media(site_dir: Path, parts: Parts) -> None:
    """Remove a version's media from its artifact folder (media turned off, or its capture failed)."""
    _remove_media(safe_join(site_dir, ARTIFACTS, *parts), keep=set())


def _remove_media(folder: Path, *, keep: set[str]) -> None:
    for name in MEDIA_NAMES - keep:
        (folder / name).unlink(missing_ok=True)
    remove_stale_hls(folder, keep)
