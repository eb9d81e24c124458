"""The artifact store mode (``deploy.artifacts: r2``): demos and vendor files in R2, at their site paths.

Why a second store: Pages allows 20,000 files per site (free plan), and a version costs about four artifact
files; the share and thread pages are objects here too (:mod:`~mkdocs_hybrid.deploy._r2_pages`), so Pages keeps
a number of files that does not grow with versions. The bucket's own origin
(``artifacts_url``) also isolates demos from the gallery, which is why the bucket's CORS rules let the site's
origin (the editor) read ``source.json`` and vendor files, and no other.

A published version never changes, so an object here is written once and never overwritten (except the files a
build makes from a version's published bytes, :data:`~mkdocs_hybrid.model.layout.DERIVED_FILES`, and the
``meta.json`` that lists them: a poster made again by a newer Chromium replaces the old one; pages link media by
their content hash, and the two JSON files are cached briefly):

- :meth:`ArtifactStore.stage` reads before anything is written: every object the site would store is
  compared by the MD5 its listing shows (a single-part object's ETag), else by the sha256 kept in its metadata
  (a HEAD), so a refusal (same key, other bytes) leaves the bucket, the
  Pages project and the live site exactly as they were;
- :meth:`ArtifactStore.publish` then sets the CORS rules and uploads only the missing objects, each with a
  conditional write (``If-None-Match: *``), so even a concurrent deploy cannot overwrite one.

Unlisted versions (``artifacts/_u/``) go to a second, private store (``deploy.r2_private_bucket``) under the
same rules: the public bucket is readable by anyone at ``artifacts_url``, so they are never written there; the
site's ``_worker.js`` streams them through signed links (:mod:`mkdocs_hybrid.edge.signed`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from mkdocs_hybrid.deploy._files import NamedFile
from mkdocs_hybrid.deploy._r2_config import R2Config, r2_client
from mkdocs_hybrid.deploy._r2_errors import MISSING_CODES, R2Error, describe, error_code, unreadable
from mkdocs_hybrid.deploy._r2_multipart import MultipartUpload, ObjectHeaders
from mkdocs_hybrid.deploy._r2_pages import PAGE_FOLDERS, is_site_page, page_cache_control, upload_rank
from mkdocs_hybrid.deploy._r2_plan import Plan, plan_upload, single_body
from mkdocs_hybrid.deploy._r2_refusal import ArtifactConflict as ArtifactConflict  # re-exported: its old home
from mkdocs_hybrid.deploy._r2_refusal import refusal as refusal
from mkdocs_hybrid.deploy._r2_store import IMMUTABLE_CACHE_CONTROL, MediaStore, _run_all
from mkdocs_hybrid.edge.headers import REFRESHED
from mkdocs_hybrid.model.layout import (
    ARTIFACTS,
    DERIVED_FILES,
    DERIVED_KINDS,
    PREVIEW,
    SHARE,
    UNLISTED,
    VENDOR,
    is_hls_file,
    is_hls_ladder_file,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CORSRuleTypeDef

ARTIFACT_FOLDERS = (f"{ARTIFACTS}/", f"{VENDOR}/", f"{PREVIEW}/")
"""Site folders that live in the bucket, not on Pages, in this mode."""
SHA256_METADATA = "sha256"
"""User metadata key (``x-amz-meta-sha256``) holding each object's content hash."""
UNLISTED_PREFIX = f"{ARTIFACTS}/{UNLISTED}/"
"""Unlisted versions' artifacts: only in the private store (their share pages too, ``p/_u/``)."""
CHECK_JOBS = 16
"""Requests in flight at once: small objects, so latency (not bandwidth) bounds the deploy."""
CORS_METHODS = ("GET", "HEAD")
CORS_MAX_AGE = 86_400
_CONDITION_FAILED = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})
_CONDITION_UNSUPPORTED = frozenset({"NotImplemented", "501"})
_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


def is_refreshed(name: str) -> bool:
    """Whether a build may replace this object: a version's derived files and the ``meta.json`` listing them,
    and the share and thread pages (:mod:`~mkdocs_hybrid.deploy._r2_pages`). Not an HLS ladder's files: their
    keys are content-addressed (``hls/{digest}/``), so a ladder made again is new objects under new keys, and
    other bytes under a ladder key are refused like a published file's."""
    if is_hls_ladder_file(name):
        return False
    if is_site_page(name) or is_hls_file(name):  # the Stream record (hls/stream.json) is derived media too
        return True
    folder, _, base = name.rpartition("/")
    return folder.startswith(f"{ARTIFACTS}/") and (base in DERIVED_FILES or base == "meta.json")


def is_cached_briefly(name: str) -> bool:
    """Whether an artifact object may change under one URL and so is cached briefly, as ``_headers`` says for
    Pages: ``meta.json`` and every derived kind (media and HLS objects keep their long cache)."""
    folder, _, base = name.rpartition("/")
    return folder.startswith(f"{ARTIFACTS}/") and (base == "meta.json" or base in DERIVED_KINDS)


def is_artifact(name: str) -> bool:
    """Whether the site file ``name`` (site-relative) belongs in the artifact store."""
    return name.startswith(ARTIFACT_FOLDERS)


def is_unlisted(name: str) -> bool:
    """Whether the site file ``name`` belongs to an unlisted version (the private store's)."""
    return name.startswith((UNLISTED_PREFIX, f"{SHARE}/{UNLISTED}/"))


def url_origin(url: str, what: str) -> str:
    """``scheme://host[:port]`` of an http(s) URL; ``what`` names the setting in the error."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise R2Error(f"{what} {url!r} is not an http(s) URL; give e.g. https://demos.example.com")
    return f"{parts.scheme}://{parts.netloc.lower()}"


@dataclass
class ArtifactPlan:
    """What a deploy will do in the bucket, decided before anything is written."""

    missing: list[Plan] = field(default_factory=list)
    present: list[Plan] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """Keys that hold other bytes than the site's: the deploy must stop."""
    replaced: list[Plan] = field(default_factory=list)
    """Derived objects (posters, videos, the JSON that lists them) made again with other bytes: overwritten."""
    cors_needed: bool = False
    etags: dict[str, str] = field(default_factory=dict)
    """The ETag each replaced page had when staged: it is replaced only if it still has it (``If-Match``)."""
    unlisted: ArtifactPlan | None = None
    """The private store's plan, for unlisted versions."""
    held: set[str] = field(default_factory=set)
    """The keys the store listed (none when staged without listing)."""
    withdrawn: list[str] = field(default_factory=list)
    """Keys to delete once the rest is published: versions now unlisted (set by the deploy)."""

    def all_missing(self) -> list[Plan]:
        """Objects to upload: the public store's, then the private one's (the order of :meth:`publish`)."""
        return self.missing + self.replaced + (self.unlisted.all_missing() if self.unlisted else [])

    def all_present(self) -> list[Plan]:
        return self.present + (self.unlisted.present if self.unlisted else [])

    def all_refused(self) -> list[str]:
        return self.refused + (self.unlisted.refused if self.unlisted else [])


@dataclass
class ArtifactCounts:
    """The artifact store's part of a deploy (``--json`` prints it under ``artifact_store``)."""

    bucket: str
    url: str
    files: int = 0
    uploaded: int = 0
    uploaded_bytes: int = 0
    skipped: int = 0
    refused: list[str] = field(default_factory=list)
    cors: str = "unchanged"
    """``unchanged``, ``set`` or, in a dry run, ``would set``."""
    withdrawn: int = 0
    """Objects deleted (or, in a dry run, to delete) at the public paths of versions now unlisted."""

    def conflict(self) -> ArtifactConflict | None:
        """The refusal of the changed artifacts this deploy found (a dry run lists them), or ``None``."""
        return refusal(self.bucket, self.refused) if self.refused else None


class PageRace(R2Error):
    """A share, thread or latest page was written by another deploy or publish between this one's read and
    write: it was left as that one wrote it. Building again (with what that one published) and retrying is safe."""


class ArtifactStore:
    """``artifacts/`` and ``vendor/`` in one R2 bucket, each object at its site path, never overwritten.

    ``site_origin`` is the only origin the bucket's CORS rules let read (the editor on the site).
    ``client`` is for tests or custom transports; by default one is made with :func:`r2_client`.
    ``unlisted``: the private store that takes ``artifacts/_u/`` (see :meth:`private`); without one, a site
    with unlisted versions is refused before anything is written.
    """

    def __init__(self, config: R2Config, *, site_origin: str, client: S3Client | None = None,
                 jobs: int = CHECK_JOBS, unlisted: ArtifactStore | None = None) -> None:
        if config.prefix:
            raise ValueError("the artifact store keeps site paths as keys: give an R2Config with prefix=''")
        self.config = config
        self.client = client if client is not None else r2_client(config)
        self.site_origin = url_origin(site_origin, "the site URL")
        if self.site_origin == url_origin(config.public_url, "deploy.artifacts_url"):
            raise R2Error(f"deploy.artifacts_url {config.public_url} has the site's own origin: demos must run "
                             "on another origin (e.g. https://demos.example.com, the bucket's custom domain)",
                             bucket=config.bucket)
        self.jobs = jobs
        self.unlisted = unlisted
        self.is_private = False
        """A private store: no CORS rules (nothing reads it but the worker), and it takes unlisted files only."""

    @classmethod
    def private(cls, config: R2Config, *, site_origin: str, client: S3Client | None = None,
                jobs: int = CHECK_JOBS) -> ArtifactStore:
        """The store for unlisted versions: a bucket with no public access, bound to the site as ``UNLISTED``."""
        store = cls(config, site_origin=site_origin, client=client, jobs=jobs)
        store.is_private = True
        return store

    def __repr__(self) -> str:
        return f"ArtifactStore(bucket={self.config.bucket!r}, url={self.config.public_url!r})"

    def counts(self) -> ArtifactCounts:
        return ArtifactCounts(bucket=self.config.bucket, url=self.config.public_url)

    def stage(self, files: Sequence[NamedFile], *, listing: bool = True) -> ArtifactPlan:
        """Hash every file and compare it with the bucket (listing, then a HEAD of each key both hold whose listed
        ETag is not the file's MD5).

        Reads only; safe in a dry run. Unlisted versions' files are staged in the private store. Without
        ``listing`` every key gets a HEAD and nothing is listed: one thread's few files (``publish-version``)
        cost a few requests, not a listing of every version in the bucket.
        """
        if self.is_private:
            return self._stage_own(files, listing=listing)
        unlisted = [item for item in files if is_unlisted(item.name)]
        staged = self._stage_own([item for item in files if not is_unlisted(item.name)], listing=listing)
        if unlisted:
            if self.unlisted is None:
                raise R2Error(f"the site has {len(unlisted)} files of unlisted versions ({UNLISTED_PREFIX}), "
                                 f"and R2 bucket {self.config.bucket!r} is public at {self.config.public_url}: set "
                                 "deploy.r2_private_bucket (a bucket with no public access, bound to the Pages "
                                 "project as UNLISTED); nothing was uploaded or deployed", bucket=self.config.bucket)
            staged.unlisted = self.unlisted.stage(unlisted, listing=listing)
        return staged

    def _stage_own(self, files: Sequence[NamedFile], *, listing: bool = True) -> ArtifactPlan:
        """:meth:`stage` for this store's own bucket."""
        MediaStore(self.config, client=self.client).check_bucket()
        plans = self._each(self._plan, list(files))
        listed = self._listed_objects() if listing else None
        known = {plan.key for plan in plans if listed is not None and _listed_same(plan, listed.get(plan.key))}
        held = plans if listed is None else [plan for plan in plans if plan.key in listed and plan.key not in known]
        seen: dict[str, str] = {}
        verdicts = dict.fromkeys(known, True) | dict(zip((plan.key for plan in held),
                                                         self._each(lambda plan: self._same_bytes(plan, seen), held)))
        staged = ArtifactPlan(cors_needed=not self.is_private and not self._cors_ok(), held=set(listed or ()))
        for plan in plans:
            verdict = verdicts.get(plan.key)
            if verdict is None:
                staged.missing.append(plan)
            elif verdict:
                staged.present.append(plan)
            elif is_refreshed(plan.key):
                staged.replaced.append(plan)  # made again from the same published bytes (or a page made again)
                if is_site_page(plan.key) and seen.get(plan.key):
                    staged.etags[plan.key] = seen[plan.key]
            else:
                staged.refused.append(plan.key)
        return staged

    def publish(self, staged: ArtifactPlan, each: Callable[[], None] | None = None) -> list[bool]:
        """Set the CORS rules if needed, then upload every missing object; per object of
        :meth:`ArtifactPlan.all_missing`, whether it was sent. Refused objects in either store stop it first.
        ``each()`` is called after each of those objects (for progress; from the upload threads)."""
        self.refuse(staged)
        if staged.cors_needed:
            self._put_cors()
        sent = self._in_rank_order([(self._put, plan) for plan in staged.missing]
                                   + [(lambda plan: self._replace(plan, staged.etags.get(plan.key)), plan)
                                      for plan in staged.replaced], each)
        if staged.unlisted is not None and self.unlisted is not None:
            sent += self.unlisted.publish(staged.unlisted, each)
        self.delete(staged.withdrawn)  # last: the unguessable copies are stored by now
        return sent

    def _in_rank_order(self, jobs: Sequence[tuple[Callable[[Plan], bool], Plan]],
                       each: Callable[[], None] | None) -> list[bool]:
        """Run ``jobs`` phase by phase (:func:`upload_rank`: artifacts, share pages, thread pages, histories), so no
        page is written before what it links; results in the order of ``jobs``."""
        sent = [False] * len(jobs)
        for rank in sorted({upload_rank(plan.key) for _, plan in jobs}):
            indexes = [i for i, (_, plan) in enumerate(jobs) if upload_rank(plan.key) == rank]
            done = self._each(lambda job: job[0](job[1]), [jobs[i] for i in indexes], each)
            for i, was_sent in zip(indexes, done):
                sent[i] = was_sent
        return sent

    def refuse(self, staged: ArtifactPlan) -> None:
        """Raise :class:`ArtifactConflict` when either store holds other bytes at a key the site would write."""
        if staged.refused:
            raise refusal(self.config.bucket, staged.refused)
        if staged.unlisted is not None and staged.unlisted.refused and self.unlisted is not None:
            raise refusal(self.unlisted.config.bucket, staged.unlisted.refused)

    def cors_rules(self) -> list[CORSRuleTypeDef]:
        """The rules the bucket must have: GET and HEAD from the site's origin, nothing else."""
        return [{"AllowedOrigins": [self.site_origin], "AllowedMethods": list(CORS_METHODS),
                 "AllowedHeaders": ["*"], "MaxAgeSeconds": CORS_MAX_AGE}]

    # -- reading ---------------------------------------------------------------------------------------------

    def read(self, key: str) -> bytes | None:
        """The bytes of the object at ``key``, or ``None`` when there is none (a publication reads the thread page
        a site generator made, to put its new versions into it)."""
        found = self.read_tagged(key)
        return found[0] if found is not None else None

    def read_tagged(self, key: str) -> tuple[bytes, str] | None:
        """:meth:`read` and the object's ETag (a publication signs over the history it read: only that is replaced)."""
        try:
            answer = self.client.get_object(Bucket=self.config.bucket, Key=key)
            return answer["Body"].read(), answer["ETag"]
        except ClientError as error:
            if error_code(error) in MISSING_CODES:
                return None
            raise self._error(error, "reading", key) from None
        except BotoCoreError as error:
            raise self._error(error, "reading", key) from None

    def _plan(self, item: NamedFile) -> Plan:
        return replace(plan_upload(item.path, self.config, item.content_type), key=item.name)

    def _listed_objects(self) -> dict[str, tuple[str, int]]:
        """Every key under the artifact folders: one request per 1,000 keys, so a first deploy sends no HEAD, and a
        redeploy none for an object whose listed ETag is its file's MD5 (:func:`_listed_same`)."""
        return self.objects(ARTIFACT_FOLDERS + PAGE_FOLDERS)

    def keys(self, prefixes: Sequence[str]) -> set[str]:
        """Every key under ``prefixes``."""
        return set(self.objects(prefixes))

    def objects(self, prefixes: Sequence[str]) -> dict[str, tuple[str, int]]:
        """Every key under ``prefixes``, with its ETag and size as listed."""
        found: dict[str, tuple[str, int]] = {}
        try:
            pages = self.client.get_paginator("list_objects_v2")
            for folder in prefixes:
                for page in pages.paginate(Bucket=self.config.bucket, Prefix=folder):
                    found.update((item["Key"], (item.get("ETag", ""), int(item.get("Size", -1))))
                                 for item in page.get("Contents", []) if "Key" in item)
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "listing", None) from None
        return found

    def delete(self, keys: Sequence[str]) -> None:
        """Delete ``keys`` (objects of versions now unlisted: :mod:`mkdocs_hybrid.publish.withdrawn`)."""
        def one(key: str) -> None:
            try:
                self.client.delete_object(Bucket=self.config.bucket, Key=key)
            except (ClientError, BotoCoreError) as error:
                raise self._error(error, "deleting", key) from None

        self._each(one, list(keys))

    def _same_bytes(self, plan: Plan, seen: dict[str, str] | None = None) -> bool | None:
        """Whether the object at the plan's key holds the file's bytes; None when there is no object. ``seen``
        gets the object's ETag."""
        try:
            head = self.client.head_object(Bucket=self.config.bucket, Key=plan.key)
        except ClientError as error:
            if error_code(error) in MISSING_CODES:
                return None
            raise self._error(error, "checking", plan.key) from None
        except BotoCoreError as error:
            raise self._error(error, "checking", plan.key) from None
        if seen is not None:
            seen[plan.key] = head.get("ETag", "")
        stored = head.get("Metadata", {}).get(SHA256_METADATA)
        if stored is not None:
            return stored == plan.sha256
        # Written by another tool: a single-part object's ETag is its MD5.
        return (int(head.get("ContentLength", -1)) == plan.size and not plan.multipart
                and head.get("ETag", "").strip('"') == plan.md5s[0].hex())

    def _cors_ok(self) -> bool:
        try:
            rules = self.client.get_bucket_cors(Bucket=self.config.bucket).get("CORSRules", [])
        except ClientError as error:
            if error_code(error) in ("NoSuchCORSConfiguration", *MISSING_CODES):
                return False
            raise self._error(error, "reading the CORS rules of", None) from None
        except BotoCoreError as error:
            raise self._error(error, "reading the CORS rules of", None) from None
        return [_rule_shape(rule) for rule in rules] == [_rule_shape(rule) for rule in self.cors_rules()]

    # -- writing ---------------------------------------------------------------------------------------------

    def _put_cors(self) -> None:
        try:
            self.client.put_bucket_cors(Bucket=self.config.bucket, CORSConfiguration={"CORSRules": self.cors_rules()})
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "setting the CORS rules of", None) from None

    def _put(self, plan: Plan) -> bool:
        """Write one object unless one exists (conditional write); False when the same bytes were already there."""
        try:
            if plan.multipart:
                MultipartUpload(self.client, self.config, plan, object_headers=self._headers(plan),
                                stored_size=lambda key: plan.size if self._same_bytes(plan) else None,
                                if_none_match=True).run()
            else:
                self._put_single(plan)
        except R2Error as error:
            if error.code not in _CONDITION_FAILED:
                raise
            if not self._same_bytes(plan):  # another writer got there first, with other bytes
                if is_site_page(plan.key):
                    raise self._page_race(plan, error.code) from None
                raise refusal(self.config.bucket, [plan.key], raced=True) from None
            return False
        return True

    def _replace(self, plan: Plan, etag: str | None = None) -> bool:
        """Overwrite a derived object (:func:`is_refreshed`) that holds other bytes."""
        if plan.multipart:
            MultipartUpload(self.client, self.config, plan, object_headers=self._headers(plan),
                            stored_size=lambda key: None).run()
        else:
            try:
                self._put_single(plan, conditional=False, if_match=etag)
            except R2Error as error:
                if etag is None or error.code not in _CONDITION_FAILED:
                    raise
                raise self._page_race(plan, error.code) from None
        return True

    def _page_race(self, plan: Plan, code: str | None) -> PageRace:
        return PageRace(f"R2 bucket {self.config.bucket!r}: {plan.key} was replaced by another deploy or publish "
                        "while this one ran, so it was left as that one wrote it and nothing was deployed to Pages; "
                        "deploy again", bucket=self.config.bucket, key=plan.key, code=code)

    def _put_single(self, plan: Plan, conditional: bool = True, if_match: str | None = None) -> None:
        try:
            with single_body(plan, self.config.bucket) as body:
                condition: dict[str, str] = {"IfNoneMatch": "*"} if conditional \
                    else {"IfMatch": if_match} if if_match else {}
                self.client.put_object(Body=body, ContentLength=plan.size, ContentMD5=plan.content_md5(),
                                       **condition, **self._headers(plan))  # type: ignore[arg-type]
        except OSError as error:
            raise unreadable(plan.path, error, self.config.bucket, plan.key) from None
        except ClientError as error:
            if error_code(error) in _CONDITION_UNSUPPORTED:
                raise R2Error(f"the S3 endpoint {self.config.endpoint} refused a conditional write "
                                 f"(If-None-Match: *) of {plan.key}; the artifact store needs it so a published "
                                 "object is never overwritten (R2 supports it): check deploy.r2_endpoint_url",
                                 bucket=self.config.bucket, key=plan.key, code=error_code(error)) from None
            raise self._error(error, "uploading", plan.key, plan) from None
        except BotoCoreError as error:
            raise self._error(error, "uploading", plan.key, plan) from None

    def _headers(self, plan: Plan) -> ObjectHeaders:
        cache = page_cache_control(plan.key) if is_site_page(plan.key) \
            else REFRESHED if is_cached_briefly(plan.key) else IMMUTABLE_CACHE_CONTROL
        return {"Bucket": self.config.bucket, "Key": plan.key, "ContentType": plan.content_type,
                "CacheControl": cache, "Metadata": {SHA256_METADATA: plan.sha256}}

    def _each(self, call: Callable[[_Item], _Result], items: Sequence[_Item],
              each: Callable[[], None] | None = None) -> list[_Result]:
        if not items:
            return []
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="r2-artifacts") as pool:
            return _run_all(pool, call if each is None else _counted(call, each), items)

    def _error(self, error: Exception, doing: str, key: str | None, plan: Plan | None = None) -> R2Error:
        return describe(error, doing=doing, bucket=self.config.bucket, key=key,
                        path=plan.path if plan else None, endpoint=self.config.endpoint)


def _listed_same(plan: Plan, listed: tuple[str, int] | None) -> bool:
    """Whether a listing already shows the file's bytes at its key: a single-part object's ETag is the MD5 of its
    bytes, which the plan holds (a multipart ETag never matches). Anything else is compared by a HEAD."""
    return listed is not None and not plan.multipart and listed[1] == plan.size \
        and listed[0].strip('"') == plan.md5s[0].hex()


def _counted(call: Callable[[_Item], _Result], each: Callable[[], None]) -> Callable[[_Item], _Result]:
    """``call``, then ``each()``: progress counted as each object is done."""
    def run(item: _Item) -> _Result:
        result = call(item)
        each()
        return result

    return run


def _rule_shape(rule: Mapping[str, Any]) -> tuple[Any, ...]:
    """A CORS rule without its order-insensitive lists' order (and without ``ID``)."""
    return (sorted(rule.get("AllowedOrigins", [])), sorted(rule.get("AllowedMethods", [])),
            sorted(rule.get("AllowedHeaders", [])), sorted(rule.get("ExposeHeaders", [])),
            rule.get("MaxAgeSeconds"))
