"""Deploy a built site to Cloudflare Pages in one pass (Direct Upload), like ``wrangler pages deploy``.

In the artifact store mode (``artifacts``, an :class:`ArtifactStore`), ``artifacts/`` and ``vendor/`` go to R2
instead of Pages, and so do the share and thread pages (:mod:`~mkdocs_hybrid.deploy._r2_pages`): they are
checked against the bucket before anything is written anywhere, uploaded (R2 first) before any Pages upload, and
left out of the Pages manifest.

Only files whose content hash the account does not hold yet are uploaded, so a
redeploy of an unchanged site uploads nothing, and a rerun after a crash
uploads only what is still missing. Every limit is checked before any upload,
and the deployment itself is created last: a failure on the way never touches
the live deployment. Retries follow wrangler's (see :class:`RetryPolicy`).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import httpx

from mkdocs_hybrid.deploy._api import (
    PROJECT_NOT_FOUND,
    UNAUTHORIZED,
    UNKNOWN_ERROR,
    CloudflareAPIError,
    Credentials,
    DeployError,
    PagesAPI,
    UploadToken,
)
from mkdocs_hybrid.deploy._buckets import UPLOAD_CONCURRENCY, Bucket, pack_buckets
from mkdocs_hybrid.deploy._files import (
    DEFAULT_MAX_FILES,
    MAX_FILE_BYTES,
    ROUTING_FILES,
    SiteEntry,
    SiteFile,
    hash_site_files,
    list_site_files,
)
from mkdocs_hybrid.deploy._result import DeployResult, mib
from mkdocs_hybrid.deploy._status import wait_until_live
from mkdocs_hybrid.edge.cloudflare import MAX_STATIC_REDIRECT_RULES, count_redirect_rules
from mkdocs_hybrid.edge.unlisted import UnlistedKey
from mkdocs_hybrid.model.layout import ARTIFACTS, DERIVED_FILES, is_hls_file
from mkdocs_hybrid.model.words import counted
from mkdocs_hybrid.progress import Tally
from mkdocs_hybrid.publish.artifacts import media_links
from mkdocs_hybrid.publish.withdrawn import withdrawn_keys

if TYPE_CHECKING:  # the artifact store (boto3) loads only when a deploy uses it
    from mkdocs_hybrid.deploy._r2_artifacts import ArtifactPlan, ArtifactStore
    from mkdocs_hybrid.deploy._r2_store import UploadedMedia

MAX_COMMIT_MESSAGE_BYTES = 384
MEDIA_EXTENSIONS = (".mp4", ".webm", ".mov", ".m4v")
"""Served from R2 when a media store is configured: Pages answers range requests with 200, not 206."""
ProgressCallback = Callable[[int, int], None]
_Result = TypeVar("_Result")
_Listed = TypeVar("_Listed", SiteEntry, SiteFile)


class MediaUploader(Protocol):
    """What the deploy needs from the R2 media store (``mkdocs_hybrid.deploy.MediaStore``)."""

    def check_bucket(self) -> None: ...

    def upload_many(self, paths: Iterable[Path], *, content_types: Mapping[Path, str] | None = None,
                    each: Callable[[], None] | None = None) -> Sequence[UploadedMedia]:
        """Results in the order of ``paths``, with ``url`` and ``uploaded``; several files at a time; ``each()``
        after each distinct file."""


@dataclass(frozen=True)
class RetryPolicy:
    """wrangler's retry rules; tests shrink ``base_delay`` to run fast."""

    attempts: int = 5
    """Tries of check-missing and of each upload request (waits 2^n x base_delay)."""
    base_delay: float = 1.0
    gateway_delay: float = 5.0
    """Extra wait after a gateway error (502-524), which also drops upload concurrency to 1."""
    deployment_attempts: int = 3
    status_polls: int = 5
    """The status wait's patience, as wrangler's polls at 2^n x base_delay; polled sooner and more often
    (:func:`~mkdocs_hybrid.deploy._status.status_waits`)."""
    sleep: Callable[[float], None] = time.sleep


def deploy_site(site_dir: Path, *, project: str, branch: str, credentials: Credentials | None = None,
                commit_hash: str | None = None, commit_message: str | None = None,
                commit_dirty: bool | None = None, create_project: bool = False, dry_run: bool = False,
                media: MediaUploader | None = None, retry: RetryPolicy | None = None,
                progress: ProgressCallback | None = None, timeout: float = 60.0,
                transport: httpx.BaseTransport | None = None, artifacts: ArtifactStore | None = None,
                cache_dir: Path | None = None) -> DeployResult:
    """Upload what is missing and create a deployment of ``site_dir`` on ``project``/``branch``: :func:`plan_site`,
    then (unless ``dry_run``) :meth:`PagesPlan.upload` and :meth:`PagesPlan.activate`.

    With ``artifacts``, a changed published object (:class:`ArtifactConflict`) stops the deploy before
    anything is written; a dry run reports it in ``result.artifact_store.refused`` instead. With ``cache_dir``
    (the build cache), the site's stat index of hashes lives there: see :func:`plan_site`.
    """
    plan = plan_site(site_dir, project=project, branch=branch, credentials=credentials, commit_hash=commit_hash,
                     commit_message=commit_message, commit_dirty=commit_dirty, create_project=create_project,
                     dry_run=dry_run, media=media, retry=retry, progress=progress, timeout=timeout,
                     transport=transport, artifacts=artifacts, cache_dir=cache_dir)
    try:
        if dry_run:
            return plan.result
        plan.upload()
        return plan.activate()
    finally:
        plan.close()


def plan_site(site_dir: Path, *, project: str, branch: str, credentials: Credentials | None = None,
              commit_hash: str | None = None, commit_message: str | None = None,
              commit_dirty: bool | None = None, create_project: bool = False, dry_run: bool = False,
              media: MediaUploader | None = None, retry: RetryPolicy | None = None,
              progress: ProgressCallback | None = None, timeout: float = 60.0,
              transport: httpx.BaseTransport | None = None, artifacts: ArtifactStore | None = None,
              r2_progress: ProgressCallback | None = None, left_pages: frozenset[str] = frozenset(),
              cache_dir: Path | None = None) -> PagesPlan:
    """Every check of a deployment, and what Pages (and R2) already hold; nothing written (except the project,
    with ``create_project``). A real deployment's refusals raise here; a dry run counts them in its result.
    ``left_pages``: store pages not sent (another publisher wrote newer ones). ``cache_dir``: where the site's
    stat index of hashes is kept, so that a redeploy reads only the files whose stat changed (without it, every
    file is read and hashed)."""
    started = time.monotonic()
    site_dir = Path(site_dir)
    if not site_dir.is_dir():
        raise DeployError(f"{site_dir} is not a folder: build the site first (mkdocs build)")
    listed = list_site_files(site_dir)  # read only for Pages' hashes, after its file limit is checked
    files, artifact_files = split_site_files(listed, in_store=artifacts is not None)
    artifact_files = [item for item in artifact_files if item.name not in left_pages]
    pages_files, media_files = _split_media(files, media)
    result = DeployResult(project=project, branch=branch, files=len(pages_files), media_files=len(media_files),
                          dry_run=dry_run)
    staged = _stage_artifacts(artifacts, artifact_files, result, dry_run=dry_run)
    if credentials is None:
        if not dry_run:
            raise DeployError("no Cloudflare credentials: set CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID")
        result.uploaded_files, result.uploaded_bytes = len(pages_files), sum(f.size for f in pages_files)
        result.seconds = time.monotonic() - started
        return PagesPlan(result, None)
    api = PagesAPI(credentials, transport=transport, timeout=timeout)
    try:
        run = _Deployment(api, project, retry or RetryPolicy(), progress or (lambda done, total: None))
        run.artifacts, run.staged, run.media = artifacts, staged, media
        run.r2_progress = r2_progress or run.r2_progress
        run.plan(pages_files, media_files, _routing_parts(site_dir), result, dry_run=dry_run, branch=branch,
                 commit=_commit_fields(commit_hash, commit_message, commit_dirty), create=create_project,
                 hashed=lambda listed: hash_site_files(site_dir, listed, cache_dir=cache_dir))
    except BaseException:
        api.close()
        raise
    result.seconds = time.monotonic() - started
    return PagesPlan(result, run, started)


class PagesPlan:
    """A checked deployment (:func:`plan_site`): its result so far, and the conversation with the API that
    uploads and activates it."""

    def __init__(self, result: DeployResult, run: _Deployment | None, started: float = 0.0) -> None:
        self.result = result
        self._run = run
        self._started = started

    @property
    def outcome(self) -> DeployResult:
        return self.result

    def upload(self) -> None:
        """R2 first (a share page must never go live before the artifact it frames), then Pages' assets."""
        self._deployment().upload(self.result)

    def activate(self) -> DeployResult:
        """Create the deployment (the live site changes here, and only here) and wait until it is live."""
        self._deployment().activate(self.result)
        self.result.seconds = time.monotonic() - self._started
        return self.result

    def close(self) -> None:
        if self._run is not None:
            self._run.api.close()

    def _deployment(self) -> _Deployment:
        if self._run is None:
            raise DeployError("no Cloudflare credentials: set CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID")
        return self._run


class _Deployment:
    """One deployment's conversation with the API, with wrangler's retries."""

    def __init__(self, api: PagesAPI, project: str, retry: RetryPolicy, progress: ProgressCallback) -> None:
        self.api = api
        self.project = project
        self.retry = retry
        self.progress = progress
        self.token: UploadToken | None = None
        self.artifacts: ArtifactStore | None = None
        self.staged: ArtifactPlan | None = None
        self.media: MediaUploader | None = None
        self.r2_progress: ProgressCallback = lambda done, total: None
        self._token_lock = threading.Lock()
        self._serial = threading.Lock()
        self._gateway_trouble = threading.Event()
        self._files: list[SiteFile] = []
        self._media_files: list[SiteEntry] = []
        self._missing: list[SiteFile] = []
        self._routing: dict[str, bytes] = {}
        self._redirects: list[str] = []
        self._fields: dict[str, str] = {}

    def plan(self, listed: list[SiteEntry], media_files: list[SiteEntry], routing: dict[str, bytes],
             result: DeployResult, *, dry_run: bool, branch: str, commit: dict[str, str], create: bool,
             hashed: Callable[[list[SiteEntry]], list[SiteFile]]) -> None:
        """``hashed`` reads the Pages files for their hashes: only once their number is within the plan's limit."""
        if self.media is not None and media_files and not dry_run:
            self.media.check_bucket()  # a missing bucket or refused keys stop the deploy before anything is sent
        self._project(branch, create)
        self.token = self.api.upload_token(self.project)
        _check_file_count(listed, self.token.max_files or DEFAULT_MAX_FILES)
        files = hashed(listed)
        hashes = [f.hash for f in files]
        missing_hashes = set(self._with_retries("check-missing", lambda: self.api.check_missing(self._jwt(), hashes)))
        self._missing = _unique_by_hash(f for f in files if f.hash in missing_hashes)
        result.uploaded_files = len(self._missing)
        result.uploaded_bytes = sum(f.size for f in self._missing)
        result.skipped_files = sum(1 for f in files if f.hash not in missing_hashes)
        self._files, self._media_files, self._routing = files, media_files, routing
        self._fields = {"manifest": json.dumps({f"/{f.name}": f.hash for f in files}), "branch": branch, **commit}

    def upload(self, result: DeployResult) -> None:
        artifacts = len(self.staged.all_missing()) if self.artifacts is not None and self.staged is not None else 0
        r2 = Tally(self.r2_progress, artifacts + (len(self._media_files) if self.media is not None else 0))
        self._upload_artifacts(result, r2)
        self._redirects = self._upload_media(self._media_files, self.media, result, r2)
        self._upload(self._missing, total=len(self._files))
        self._upsert([f.hash for f in self._files])

    def activate(self, result: DeployResult) -> None:
        deployment = self._create_deployment(self._fields, _deployment_parts(self._routing, self._redirects))
        result.deployment_id, result.url = str(deployment.get("id")), deployment.get("url")
        wait_until_live(deployment, lambda: self.api.get_deployment(self.project, str(deployment.get("id"))),
                        base_delay=self.retry.base_delay, polls=self.retry.status_polls, sleep=self.retry.sleep)

    def _project(self, branch: str, create: bool) -> None:
        try:
            self.api.get_project(self.project)
        except CloudflareAPIError as exc:
            if exc.code != PROJECT_NOT_FOUND:
                raise
            if not create:
                raise DeployError(f"Pages project {self.project!r} does not exist: create it in the dashboard or "
                                  "pass --create-project") from None
            self.api.create_project(self.project, branch)

    def _jwt(self) -> UploadToken:
        with self._token_lock:
            if self.token is None or self.token.expired():
                self.token = self.api.upload_token(self.project)
            return self.token

    def _refresh_if_unauthorized(self, error: CloudflareAPIError) -> None:
        if error.code == UNAUTHORIZED or error.status == 401 or (self.token and self.token.expired()):
            with self._token_lock:
                self.token = self.api.upload_token(self.project)

    def _with_retries(self, what: str, call: Callable[[], _Result]) -> _Result:
        """check-missing and upload: up to ``attempts`` tries, 2^n waits (or Retry-After), a new token when
        the old one is refused or expired, and after a gateway error a longer wait and one request at a time."""
        for attempt in range(self.retry.attempts):
            try:
                return call()
            except CloudflareAPIError as error:
                if attempt == self.retry.attempts - 1:
                    raise DeployError(f"{what} failed after {attempt + 1} attempts: {error}; rerun the deploy "
                                      "(files already uploaded are not sent again)") from None
                wait = error.retry_after if error.retry_after is not None else 2 ** attempt * self.retry.base_delay
                if error.is_gateway:
                    self._gateway_trouble.set()
                    wait += 2 ** attempt * self.retry.gateway_delay
                self.retry.sleep(wait)
                self._refresh_if_unauthorized(error)
        raise AssertionError("unreachable")

    def _upload(self, missing: list[SiteFile], *, total: int) -> None:
        done = total - len(missing)
        self.progress(done, total)
        lock = threading.Lock()

        def send(bucket: Bucket) -> None:
            nonlocal done
            payload = [{"key": f.hash, "value": base64.b64encode(f.path.read_bytes()).decode("ascii"),
                        "metadata": {"contentType": f.content_type}, "base64": True} for f in bucket.files]
            self._with_retries("upload", lambda: self._send_bucket(payload))
            with lock:
                done += len(bucket.files)
                self.progress(done, total)

        with ThreadPoolExecutor(max_workers=UPLOAD_CONCURRENCY) as pool:
            for future in [pool.submit(send, bucket) for bucket in pack_buckets(missing)]:
                future.result()

    def _send_bucket(self, payload: list[dict[str, Any]]) -> None:
        if self._gateway_trouble.is_set():  # after a gateway error, one request at a time (as wrangler)
            with self._serial:
                return self.api.upload(self._jwt(), payload)
        return self.api.upload(self._jwt(), payload)

    def _upsert(self, hashes: list[str]) -> None:
        # As wrangler: one retry, and a failure only costs the next deploy some re-uploads.
        for attempt in range(2):
            try:
                return self.api.upsert_hashes(self._jwt(), hashes)
            except CloudflareAPIError as error:
                if attempt == 0:
                    self.retry.sleep(self.retry.base_delay)
                    self._refresh_if_unauthorized(error)

    def _upload_artifacts(self, result: DeployResult, r2: Tally) -> None:
        """R2 before Pages: a share page must never go live before the artifact it frames."""
        if self.artifacts is None or self.staged is None or result.artifact_store is None:
            return
        sent = self.artifacts.publish(self.staged, r2.tick)
        counts = result.artifact_store
        counts.uploaded = sum(sent)
        counts.uploaded_bytes = sum(plan.size for plan, was_sent in zip(self.staged.all_missing(), sent) if was_sent)
        counts.skipped = counts.files - counts.uploaded
        counts.cors = "set" if self.staged.cors_needed else "unchanged"

    def _upload_media(self, media_files: list[SiteEntry], media: MediaUploader | None,
                      result: DeployResult, r2: Tally) -> list[str]:
        """Every media file to R2, several at a time; the redirect rule of each, in site order."""
        if not media_files:
            return []
        assert media is not None
        before = r2.done
        stored = media.upload_many([f.path for f in media_files],
                                   content_types={f.path: f.content_type for f in media_files}, each=r2.tick)
        r2.reach(before + len(media_files))  # identical files were sent once
        for item, uploaded in zip(media_files, stored):
            result.media.append({"path": item.name, "url": uploaded.url, "uploaded": uploaded.uploaded})
        linked = _linked_by_url(media_files)
        return [f"/{item.name} {uploaded.url} 302" for item, uploaded in zip(media_files, stored)
                if linked.get(item.name) != uploaded.url]

    def _create_deployment(self, fields: dict[str, str], parts: dict[str, bytes]) -> dict[str, Any]:
        for attempt in range(self.retry.deployment_attempts):
            try:
                return dict(self.api.create_deployment(self.project, fields, parts))
            except CloudflareAPIError as error:
                retryable = error.code == UNKNOWN_ERROR or error.status >= 500 or error.status in (0, 429)
                if not retryable or attempt == self.retry.deployment_attempts - 1:
                    raise DeployError(f"creating the deployment failed: {error}; the live site is unchanged, "
                                      "rerun the deploy") from None
                self.retry.sleep(error.retry_after or 2 ** attempt * self.retry.base_delay)
        raise AssertionError("unreachable")


def split_site_files(files: list[_Listed], *, in_store: bool) -> tuple[list[_Listed], list[_Listed]]:
    """Files for Pages (and media) and files for the artifact store (artifacts, vendor files, share and thread
    pages); all for Pages without one (``in_store`` False: the default mode, unchanged)."""
    if not in_store:
        return files, []
    from mkdocs_hybrid.deploy._r2_artifacts import is_artifact
    from mkdocs_hybrid.deploy._r2_pages import is_site_page

    stored = [f for f in files if is_artifact(f.name) or is_site_page(f.name)]
    return [f for f in files if not (is_artifact(f.name) or is_site_page(f.name))], stored


def _stage_artifacts(artifacts: ArtifactStore | None, files: list[SiteEntry], result: DeployResult, *,
                     dry_run: bool) -> ArtifactPlan | None:
    """Compare the artifacts with the bucket before anything is written; a changed one stops a real deploy."""
    if artifacts is None:
        return None
    staged = artifacts.stage(files)
    key = UnlistedKey.from_env()
    staged.withdrawn = withdrawn_keys(staged.held, {item.name for item in files},
                                      lambda thread, version: key.token(thread, version) if key else None)
    result.artifact_store = counts = artifacts.counts()
    counts.withdrawn = len(staged.withdrawn)
    counts.files = len(files)
    counts.uploaded, counts.skipped = len(staged.all_missing()), len(staged.all_present())
    counts.uploaded_bytes = sum(plan.size for plan in staged.all_missing())
    counts.refused = staged.all_refused()
    counts.cors = "would set" if staged.cors_needed else "unchanged"
    if not dry_run:
        artifacts.refuse(staged)
    return staged


def _split_media(files: list[SiteEntry], media: MediaUploader | None) -> tuple[list[SiteEntry], list[SiteEntry]]:
    """Files for Pages and files for R2; files too large for Pages are an error without R2."""
    if media is None:
        too_large = [f for f in files if f.size > MAX_FILE_BYTES]
        if too_large:
            listed = ", ".join(f"{f.name} ({mib(f.size)})" for f in too_large[:10])
            raise DeployError(f"{counted(len(too_large), 'file')} over Pages' 25 MiB limit: {listed}; configure "
                              "deploy.r2_bucket so they go to R2, or remove them")
        return files, []
    to_r2 = [f for f in files if f.size > MAX_FILE_BYTES
             or (f.name.lower().endswith(MEDIA_EXTENSIONS) and not is_hls_file(f.name))]  # a ladder stays whole
    return [f for f in files if f not in to_r2], to_r2


def _linked_by_url(media_files: Sequence[SiteEntry]) -> dict[str, str]:
    """Site path -> URL of the generated videos that their version's pages and ``meta.json`` link by their R2
    URL: no page names their path, so they need no redirect rule (Pages allows 2,000 static rules, and a site
    with videos has two MP4s per version)."""
    links: dict[str, str] = {}
    metas: dict[Path, dict[str, str]] = {}
    for item in media_files:
        if not item.name.startswith(f"{ARTIFACTS}/") or item.path.name not in DERIVED_FILES:
            continue
        meta = item.path.with_name("meta.json")
        if meta not in metas:
            metas[meta] = media_links(meta.read_bytes()) if meta.is_file() else {}
        url = metas[meta].get(item.path.name)
        if url is not None:
            links[item.name] = url
    return links


def _check_file_count(files: Sequence[SiteEntry], limit: int) -> None:
    if len(files) > limit:
        raise DeployError(f"the site has {len(files):,} files but this Pages plan allows {limit:,} per deployment: "
                          "move media to R2 (deploy.r2_bucket), shard the gallery, or upgrade the plan")


def _routing_parts(site_dir: Path) -> dict[str, bytes]:
    return {name: (site_dir / name).read_bytes() for name in ROUTING_FILES if (site_dir / name).is_file()}


def _deployment_parts(routing: dict[str, bytes], media_redirects: list[str]) -> dict[str, bytes]:
    parts = {name: data for name, data in routing.items() if name in ("_headers", "_redirects")}
    if media_redirects:
        # Static rules must come before the first dynamic one: media rules go on top.
        existing = routing.get("_redirects", b"").decode("utf-8")
        parts["_redirects"] = ("\n".join(media_redirects) + "\n" + existing).encode("utf-8")
        _check_static_redirects(parts["_redirects"].decode("utf-8"))
    if "_worker.js" in routing:
        parts["_worker.bundle"] = _worker_bundle(routing["_worker.js"])
        if "_routes.json" in routing:
            parts["_routes.json"] = routing["_routes.json"]
    return parts


def _check_static_redirects(text: str) -> None:
    sources = [line.split()[0] for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    static, _ = count_redirect_rules(sources)
    if static > MAX_STATIC_REDIRECT_RULES:
        raise DeployError(f"_redirects would have {static} static rules with the media redirects, over Pages' "
                          f"{MAX_STATIC_REDIRECT_RULES}: reference media by their R2 URL instead")


def _worker_bundle(worker_js: bytes) -> bytes:
    """A one-module worker upload form (what ``wrangler pages deploy --no-bundle`` sends)."""
    boundary = "mkdocs-hybrid-worker-bundle"
    metadata = json.dumps({"main_module": "_worker.js"})
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{metadata}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"_worker.js\"; filename=\"_worker.js\"\r\n"
            f"Content-Type: application/javascript+module\r\n\r\n").encode() + worker_js + \
        f"\r\n--{boundary}--\r\n".encode()


def _commit_fields(commit_hash: str | None, message: str | None, dirty: bool | None) -> dict[str, str]:
    fields = {}
    if message:
        fields["commit_message"] = message.encode("utf-8")[:MAX_COMMIT_MESSAGE_BYTES].decode("utf-8", "ignore")
    if commit_hash:
        fields["commit_hash"] = commit_hash
    if dirty is not None:
        fields["commit_dirty"] = "true" if dirty else "false"
    return fields


def _unique_by_hash(files: Iterable[SiteFile]) -> list[SiteFile]:
    """Identical files share a hash: upload each content once."""
    return list({f.hash: f for f in files}.values())

