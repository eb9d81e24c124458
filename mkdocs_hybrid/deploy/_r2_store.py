"""Media in one R2 bucket through its S3 API (boto3): check the bucket, skip what is stored, put what is missing.

Objects are named by :func:`~mkdocs_hybrid.deploy._r2_plan.media_key`
(``{prefix}{sha256}{ext}``), so an object, once written, never changes: a key
that already holds an object of the file's size is skipped, and every object
carries ``Cache-Control: public, max-age=31536000, immutable``. The site
references an object by its public URL (``{public_url}/{key}``, the bucket's
r2.dev URL or a custom domain).

An object appears at its key only when complete: a single PutObject, or a
multipart upload (:mod:`~mkdocs_hybrid.deploy._r2_multipart`) for files of
``multipart_threshold`` bytes or more.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from mkdocs_hybrid.deploy._r2_config import R2Config, r2_client
from mkdocs_hybrid.deploy._r2_errors import MISSING_CODES, R2Error, describe, error_code, unreadable
from mkdocs_hybrid.deploy._r2_multipart import MultipartUpload, ObjectHeaders
from mkdocs_hybrid.deploy._r2_plan import Plan, media_key, plan_upload, sha256_file, single_body

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
UPLOAD_JOBS = 4
"""Files :meth:`MediaStore.upload_many` sends at once (a multipart file also sends ``part_jobs`` parts at once)."""

PathLike = str | os.PathLike[str]
BytesLike = bytes | bytearray | memoryview
_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


@dataclass(frozen=True)
class UploadedMedia:
    """One file as stored on R2."""

    key: str
    url: str
    """Public URL (``{public_url}/{key}``)."""
    size: int
    sha256: str
    uploaded: bool
    """False when the object was already there (nothing was sent)."""
    content_type: str = "application/octet-stream"


class MediaStore:
    """Content-addressed media in one R2 bucket.

    ``client`` is for tests or custom transports; by default one is made with
    :func:`r2_client`. Safe to use from several threads.
    """

    def __init__(self, config: R2Config, *, client: S3Client | None = None) -> None:
        self.config = config
        self.client = client if client is not None else r2_client(config)

    def __repr__(self) -> str:
        return f"MediaStore(bucket={self.config.bucket!r}, endpoint={self.config.endpoint!r})"

    def media_key(self, source: PathLike | BytesLike, name: str | None = None) -> str:
        """The key an upload of a file or of bytes gets; ``name`` gives the extension (lowercased)."""
        if isinstance(source, (bytes, bytearray, memoryview)):
            return media_key(self.config.prefix, hashlib.sha256(source).hexdigest(), name or "")
        path = Path(source)
        return media_key(self.config.prefix, sha256_file(path, self.config.bucket), name or path.name)

    def url_for(self, key: str) -> str:
        """The public URL of ``key``."""
        return self.config.url_for(key)

    def exists(self, key: str) -> bool:
        """Whether an object is stored at ``key`` (one HEAD request)."""
        return self._head_size(key) is not None

    def check_bucket(self) -> None:
        """Fail early (one HEAD request) when the bucket is missing or the keys cannot reach it."""
        try:
            self.client.head_bucket(Bucket=self.config.bucket)
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "checking the bucket", None) from None

    def upload(self, path: PathLike, *, content_type: str | None = None) -> UploadedMedia:
        """Store one file unless an object with its key is already there."""
        return self._send(plan_upload(Path(path), self.config, content_type))

    def upload_many(self, paths: Iterable[PathLike], *, content_types: Mapping[Path, str] | None = None,
                    jobs: int = UPLOAD_JOBS, each: Callable[[], None] | None = None) -> list[UploadedMedia]:
        """Store several files, ``jobs`` at a time; results in input order, identical files sent once.

        ``content_types`` gives the Content-Type of some paths (as :meth:`upload`'s ``content_type``). The
        first failure is raised; files not started by then are not sent. ``each()`` is called after each
        distinct file is stored or found stored (for progress; from the upload threads).
        """
        items = [Path(p) for p in paths]
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        types = content_types or {}
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="r2-upload") as pool:
            plans = _run_all(pool, lambda p: plan_upload(p, self.config, types.get(p)), items)
            first: dict[str, Plan] = {}
            for plan in plans:
                first.setdefault(plan.key, plan)
            send = self._send if each is None else lambda plan: _then(self._send(plan), each)
            sent = dict(zip(first, _run_all(pool, send, list(first.values()))))
        return [sent[plan.key] if plan is first[plan.key] else replace(sent[plan.key], uploaded=False)
                for plan in plans]

    def _send(self, plan: Plan) -> UploadedMedia:
        stored = self._head_size(plan.key)
        if stored != plan.size:  # missing, or a foreign object of another size: (re)write it
            if plan.multipart:
                MultipartUpload(self.client, self.config, plan, object_headers=self._object_headers(plan),
                                stored_size=self._head_size).run()
            else:
                self._put_single(plan)
        return UploadedMedia(key=plan.key, url=self.url_for(plan.key), size=plan.size, sha256=plan.sha256,
                             uploaded=stored != plan.size, content_type=plan.content_type)

    def _head_size(self, key: str) -> int | None:
        """The stored object's size, or None when there is none (404)."""
        try:
            answer = self.client.head_object(Bucket=self.config.bucket, Key=key)
        except ClientError as error:
            if error_code(error) in MISSING_CODES:
                return None
            raise self._error(error, "checking", key) from None
        except BotoCoreError as error:
            raise self._error(error, "checking", key) from None
        return int(answer.get("ContentLength", -1))

    def _object_headers(self, plan: Plan) -> ObjectHeaders:
        return {"Bucket": self.config.bucket, "Key": plan.key, "ContentType": plan.content_type,
                "CacheControl": IMMUTABLE_CACHE_CONTROL}

    def _put_single(self, plan: Plan) -> None:
        try:
            with single_body(plan, self.config.bucket) as body:
                self.client.put_object(Body=body, ContentLength=plan.size, ContentMD5=plan.content_md5(),
                                       **self._object_headers(plan))
        except OSError as error:
            raise unreadable(plan.path, error, self.config.bucket, plan.key) from None
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "uploading", plan.key, plan.path) from None

    def _error(self, error: Exception, doing: str, key: str | None, path: Path | None = None) -> R2Error:
        return describe(error, doing=doing, bucket=self.config.bucket, key=key, path=path,
                        endpoint=self.config.endpoint)


def _then(result: _Result, each: Callable[[], None]) -> _Result:
    each()
    return result


def _run_all(pool: ThreadPoolExecutor, call: Callable[[_Item], _Result], items: Sequence[_Item]) -> list[_Result]:
    """``call`` on every item through ``pool``, results in order; the first failure is raised, and the calls not
    started by then are cancelled."""
    futures = [pool.submit(call, item) for item in items]
    try:
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failure = next((f.exception() for f in futures if f in done and f.exception() is not None), None)
        if failure is not None:
            raise failure
        return [future.result() for future in futures]
    finally:
        for future in futures:
            future.cancel()
