"""Media on Cloudflare R2 through its S3 API (boto3): videos and files too large for Pages.

Objects are content-addressed (``{prefix}{sha256}{ext}``), so the same bytes are
stored once and an object, once written, never changes: a key that already
exists is skipped, and every object carries
``Cache-Control: public, max-age=31536000, immutable``. The site references an
object by its public URL (``{public_url}/{key}``, the bucket's r2.dev URL or a
custom domain); unlisted media get presigned GET URLs instead (1 s to 7 days).

An object appears at its key only when complete: a single PutObject, or a
multipart upload (all parts the same size but the last) that is completed last
and aborted on any failure. Every request carries the Content-MD5 of bytes
hashed beforehand, so a file that changes while it is uploaded is refused rather
than stored under the wrong hash.

R2 rejects the streaming checksum trailers newer botocore sends by default:
:func:`r2_client` turns them off (``when_required``), which the tests assert.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import os
import re
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from mkdocs_hybrid.errors import HybridError

MiB = 1024 * 1024
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
DEFAULT_PREFIX = "media/"
DEFAULT_MULTIPART_THRESHOLD = 64 * MiB
DEFAULT_PART_SIZE = 16 * MiB
MIN_PART_SIZE = 5 * MiB
"""R2 (like S3) refuses parts under 5 MiB, except the last."""
MAX_PART_SIZE = 5 * 1024 * MiB
MAX_PARTS = 10_000
DEFAULT_PART_JOBS = 2
"""Parts of one upload sent at once; R2 throttles many concurrent parts of the same upload."""
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
"""R2 presigned URLs last at most 7 days (604,800 s)."""
READ_CHUNK = 1 * MiB

MEDIA_CONTENT_TYPES: Mapping[str, str] = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".mov": "video/quicktime",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
"""Explicit types for the media a site stores; anything else falls back to :mod:`mimetypes`."""

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_KEY_EXTENSION = re.compile(r"^\.[a-z0-9]{1,16}$")
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_DENIED = frozenset({"403", "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                     "Unauthorized", "InvalidToken", "ExpiredToken"})
_CHANGED = frozenset({"BadDigest", "InvalidDigest"})

PathLike = str | os.PathLike[str]
BytesLike = bytes | bytearray | memoryview


class MediaError(HybridError):
    """Media could not be stored on (or signed for) R2; the message says what to do."""

    def __init__(self, message: str, *, bucket: str | None = None, key: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.bucket = bucket
        self.key = key
        self.code = code
        """The S3 error code (``NoSuchBucket``, ``AccessDenied``, ...) when R2 answered with one."""


@dataclass(frozen=True)
class R2Config:
    """Where media go and how they are uploaded.

    ``endpoint_url`` defaults to ``https://{account_id}.r2.cloudflarestorage.com``;
    give it explicitly for a local S3 server. ``prefix`` is normalised to end
    with ``/`` (or be empty).
    """

    bucket: str
    public_url: str
    """Public bucket URL or custom domain, e.g. ``https://media.example.com``."""
    account_id: str | None = None
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    prefix: str = DEFAULT_PREFIX
    multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD
    """Files of this many bytes or more go up as multipart uploads."""
    part_size: int = DEFAULT_PART_SIZE
    """Every part but the last has exactly this size (raised when 10,000 parts would not hold the file)."""
    part_jobs: int = DEFAULT_PART_JOBS
    max_retries: int = 5
    """Retries per request after the first try (botocore's standard mode ``retries.max_attempts``):
    throttling, 5xx and dropped connections included."""

    def __post_init__(self) -> None:
        if not _BUCKET_NAME.match(self.bucket or ""):
            raise MediaError(f"invalid R2 bucket name {self.bucket!r}: use 3-63 lowercase letters, digits and "
                             "hyphens (deploy.r2_bucket)", bucket=self.bucket)
        object.__setattr__(self, "public_url", _http_url(self.public_url, "public_url", self.bucket))
        if self.endpoint_url is not None:
            object.__setattr__(self, "endpoint_url", _http_url(self.endpoint_url, "endpoint_url", self.bucket))
        elif not self.account_id:
            raise MediaError(f"R2 bucket {self.bucket!r}: no account id or endpoint URL; set CLOUDFLARE_ACCOUNT_ID "
                             "(or R2_ENDPOINT_URL)", bucket=self.bucket)
        object.__setattr__(self, "prefix", _normalise_prefix(self.prefix))
        _check_transfer_settings(self)

    @classmethod
    def from_env(cls, bucket: str, public_url: str, *, account_id: str | None = None,
                 endpoint_url: str | None = None, prefix: str = DEFAULT_PREFIX,
                 environ: Mapping[str, str] | None = None, **options: int) -> R2Config:
        """A config with credentials from the environment.

        Keys: ``R2_ACCESS_KEY_ID`` / ``R2_SECRET_ACCESS_KEY``, else
        ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``. The account id
        defaults to ``CLOUDFLARE_ACCOUNT_ID`` (or ``R2_ACCOUNT_ID``), the
        endpoint to ``R2_ENDPOINT_URL``. ``options`` are the transfer settings
        (``multipart_threshold``, ``part_size``, ``part_jobs``, ``max_retries``).
        """
        env = os.environ if environ is None else environ
        key_id, secret = _credentials_from_env(env, bucket)
        return cls(bucket=bucket, public_url=public_url,
                   account_id=account_id or env.get("CLOUDFLARE_ACCOUNT_ID") or env.get("R2_ACCOUNT_ID") or None,
                   endpoint_url=endpoint_url or env.get("R2_ENDPOINT_URL") or None,
                   access_key_id=key_id, secret_access_key=secret, prefix=prefix, **options)

    @property
    def endpoint(self) -> str:
        """The S3 API endpoint the client talks to."""
        return self.endpoint_url or f"https://{self.account_id}.r2.cloudflarestorage.com"

    def url_for(self, key: str) -> str:
        """The public URL the site uses for ``key``."""
        return f"{self.public_url}/{quote(key, safe='/')}"


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


@dataclass(frozen=True)
class _Plan:
    """A file hashed and ready to send: the key, the parts and their MD5s."""

    path: Path
    key: str
    size: int
    sha256: str
    content_type: str
    part_size: int
    """Equal to ``size`` (at least 1) for a single PutObject."""
    md5s: tuple[bytes, ...]
    multipart: bool


def r2_client(config: R2Config) -> BaseClient:
    """A boto3 S3 client for R2: region ``auto``, SigV4, standard retries, no checksum trailers."""
    if not (config.access_key_id and config.secret_access_key):
        raise _missing_credentials(config.bucket)
    client_config = Config(
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": config.max_retries, "mode": "standard"},
        signature_version="s3v4",
    )
    try:
        return boto3.session.Session().client(
            "s3", endpoint_url=config.endpoint, region_name="auto",
            aws_access_key_id=config.access_key_id, aws_secret_access_key=config.secret_access_key,
            config=client_config)
    except BotoCoreError as error:
        raise MediaError(f"cannot create the R2 client for bucket {config.bucket!r}: {error}; check the AWS_* "
                         "environment (AWS_PROFILE, AWS_CONFIG_FILE)", bucket=config.bucket) from None


def media_content_type(name: str) -> str:
    """The Content-Type stored with ``name``: the media table, then :mod:`mimetypes`, then octet-stream."""
    suffix = Path(name).suffix.lower()
    if suffix in MEDIA_CONTENT_TYPES:
        return MEDIA_CONTENT_TYPES[suffix]
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    return guessed if guessed and not encoding else "application/octet-stream"


class MediaStore:
    """Content-addressed media in one R2 bucket.

    ``client`` is for tests or custom transports; by default one is made with
    :func:`r2_client`. Safe to use from several threads.
    """

    def __init__(self, config: R2Config, *, client: BaseClient | None = None) -> None:
        self.config = config
        self.client = client if client is not None else r2_client(config)

    def __repr__(self) -> str:
        return f"MediaStore(bucket={self.config.bucket!r}, endpoint={self.config.endpoint!r})"

    def media_key(self, source: PathLike | BytesLike, name: str | None = None) -> str:
        """``{prefix}{sha256}{ext}`` for a file or for bytes; ``name`` gives the extension (lowercased)."""
        if isinstance(source, (bytes, bytearray, memoryview)):
            return _key(self.config.prefix, hashlib.sha256(source).hexdigest(), name or "")
        path = Path(source)
        return _key(self.config.prefix, _sha256_file(path, self.config.bucket), name or path.name)

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
        return self._send(self._plan(Path(path), content_type))

    def upload_many(self, paths: Iterable[PathLike], *, jobs: int = 4) -> list[UploadedMedia]:
        """Store several files, ``jobs`` at a time; results in input order, identical files sent once."""
        items = [Path(p) for p in paths]
        if jobs < 1:
            raise ValueError("jobs must be at least 1")
        with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="r2-upload") as pool:
            plans = list(pool.map(lambda p: self._plan(p, None), items))
            first: dict[str, _Plan] = {}
            for plan in plans:
                first.setdefault(plan.key, plan)
            sent = dict(zip(first, pool.map(self._send, first.values())))
        results = []
        for plan in plans:
            result = sent[plan.key]
            results.append(result if plan is first[plan.key] else replace(result, uploaded=False))
        return results

    def presigned_get(self, key: str, *, expires_in: int | timedelta = 3600) -> str:
        """A GET URL for ``key`` on the S3 endpoint, valid ``expires_in`` (1 s to 7 days): for unlisted media."""
        if not key:
            raise MediaError("cannot sign an empty key: pass the key returned by upload()", bucket=self.config.bucket)
        seconds = _expiry_seconds(expires_in, key)
        try:
            return str(self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.config.bucket, "Key": key}, ExpiresIn=seconds))
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "signing", key) from None

    # -- planning -------------------------------------------------------------

    def _plan(self, path: Path, content_type: str | None) -> _Plan:
        try:
            size = path.stat().st_size
        except OSError as error:
            raise _unreadable(path, error, self.config.bucket, None) from None
        multipart = size >= self.config.multipart_threshold
        part_size = _part_size_for(size, self.config.part_size) if multipart else max(size, 1)
        digest, md5s, read = _digest_file(path, part_size, self.config.bucket)
        if read != size:
            raise _changed(path, self.config.bucket, None)
        return _Plan(path=path, key=_key(self.config.prefix, digest, path.name), size=size, sha256=digest,
                     content_type=content_type or media_content_type(path.name), part_size=part_size,
                     md5s=md5s, multipart=multipart)

    # -- sending --------------------------------------------------------------

    def _send(self, plan: _Plan) -> UploadedMedia:
        stored = self._head_size(plan.key)
        if stored != plan.size:  # missing, or a foreign object of another size: (re)write it
            if plan.multipart:
                self._put_multipart(plan)
            else:
                self._put_single(plan)
        return UploadedMedia(key=plan.key, url=self.url_for(plan.key), size=plan.size, sha256=plan.sha256,
                             uploaded=stored != plan.size, content_type=plan.content_type)

    def _head_size(self, key: str) -> int | None:
        """The stored object's size, or None when there is none (404)."""
        try:
            answer = self.client.head_object(Bucket=self.config.bucket, Key=key)
        except ClientError as error:
            if _code(error) in _MISSING:
                return None
            raise self._error(error, "checking", key) from None
        except BotoCoreError as error:
            raise self._error(error, "checking", key) from None
        return int(answer.get("ContentLength", -1))

    def _object_headers(self, plan: _Plan) -> dict[str, Any]:
        return {"Bucket": self.config.bucket, "Key": plan.key, "ContentType": plan.content_type,
                "CacheControl": IMMUTABLE_CACHE_CONTROL}

    def _put_single(self, plan: _Plan) -> None:
        try:
            with plan.path.open("rb") as body:
                self.client.put_object(Body=body, ContentLength=plan.size, ContentMD5=_b64(plan.md5s[0]),
                                       **self._object_headers(plan))
        except OSError as error:
            raise _unreadable(plan.path, error, self.config.bucket, plan.key) from None
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "uploading", plan.key, plan.path) from None

    def _put_multipart(self, plan: _Plan) -> None:
        try:
            upload_id = self.client.create_multipart_upload(**self._object_headers(plan))["UploadId"]
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "starting the multipart upload of", plan.key, plan.path) from None
        try:
            parts = self._send_parts(plan, upload_id)
            self._complete(plan, upload_id, parts)
        except BaseException as failure:
            self._abort(plan.key, upload_id)
            if isinstance(failure, (ClientError, BotoCoreError)):
                raise self._error(failure, "uploading", plan.key, plan.path) from None
            raise

    def _send_parts(self, plan: _Plan, upload_id: str) -> list[dict[str, Any]]:
        """Upload every part (``part_jobs`` at a time); the first failure cancels the rest and is raised."""
        numbers = range(1, len(plan.md5s) + 1)
        if self.config.part_jobs == 1 or len(plan.md5s) == 1:
            return [self._send_part(plan, upload_id, n) for n in numbers]
        pool = ThreadPoolExecutor(max_workers=self.config.part_jobs, thread_name_prefix="r2-part")
        failed = threading.Event()
        try:
            futures: list[Future[dict[str, Any]]] = [
                pool.submit(self._send_part, plan, upload_id, n, failed) for n in numbers]
            wait(futures, return_when=FIRST_EXCEPTION)
            return [future.result() for future in futures]
        except BaseException:
            failed.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _send_part(self, plan: _Plan, upload_id: str, number: int,
                   failed: threading.Event | None = None) -> dict[str, Any]:
        if failed is not None and failed.is_set():
            raise MediaError("upload cancelled after another part failed", bucket=self.config.bucket, key=plan.key)
        data = _read_part(plan, number, self.config.bucket)
        answer = self.client.upload_part(Bucket=self.config.bucket, Key=plan.key, UploadId=upload_id,
                                         PartNumber=number, Body=data, ContentLength=len(data),
                                         ContentMD5=_b64(plan.md5s[number - 1]))
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def _complete(self, plan: _Plan, upload_id: str, parts: list[dict[str, Any]]) -> None:
        try:
            self.client.complete_multipart_upload(Bucket=self.config.bucket, Key=plan.key, UploadId=upload_id,
                                                  MultipartUpload={"Parts": parts})
        except (ClientError, BotoCoreError):
            # A retried Complete can fail after the first one succeeded: the object is then whole.
            if self._head_size(plan.key) != plan.size:
                raise

    def _abort(self, key: str, upload_id: str) -> None:
        """Best effort: R2 also drops unfinished multipart uploads after 7 days."""
        try:
            self.client.abort_multipart_upload(Bucket=self.config.bucket, Key=key, UploadId=upload_id)
        except (ClientError, BotoCoreError):
            pass

    # -- errors ---------------------------------------------------------------

    def _error(self, error: Exception, doing: str, key: str | None, path: Path | None = None) -> MediaError:
        return _describe(error, doing=doing, bucket=self.config.bucket, key=key, path=path,
                         endpoint=self.config.endpoint)


# -- helpers ----------------------------------------------------------------------


def _http_url(url: str, what: str, bucket: str) -> str:
    if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url):
        raise MediaError(f"R2 bucket {bucket!r}: {what} {url!r} is not an http(s) URL; give e.g. "
                         "https://media.example.com", bucket=bucket)
    return url.rstrip("/")


def _normalise_prefix(prefix: str) -> str:
    prefix = prefix.strip("/")
    return f"{prefix}/" if prefix else ""


def _check_transfer_settings(config: R2Config) -> None:
    if not MIN_PART_SIZE <= config.part_size <= MAX_PART_SIZE:
        raise MediaError(f"R2 part_size {config.part_size} is out of range: use 5 MiB to 5 GiB "
                         f"({MIN_PART_SIZE} to {MAX_PART_SIZE} bytes)", bucket=config.bucket)
    for name, least in (("multipart_threshold", 1), ("part_jobs", 1), ("max_retries", 0)):
        if getattr(config, name) < least:
            raise MediaError(f"R2 {name} must be at least {least}, not {getattr(config, name)}",
                             bucket=config.bucket)


def _credentials_from_env(env: Mapping[str, str], bucket: str) -> tuple[str, str]:
    """The R2 key pair, else the AWS one; a half-set pair names what is missing."""
    for key_name, secret_name in (("R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY"),
                                  ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")):
        key_id, secret = env.get(key_name), env.get(secret_name)
        if key_id and secret:
            return key_id, secret
        if key_id or secret:
            missing = secret_name if key_id else key_name
            raise MediaError(f"{missing} is not set (R2 bucket {bucket!r}): export both {key_name} and "
                             f"{secret_name}", bucket=bucket)
    raise _missing_credentials(bucket)


def _missing_credentials(bucket: str) -> MediaError:
    return MediaError(f"no R2 credentials for bucket {bucket!r}: export R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY "
                      "(the S3 keys of an R2 API token with Object Read & Write)", bucket=bucket)


def _key(prefix: str, sha256: str, name: str) -> str:
    suffix = Path(name).suffix.lower() if name else ""
    return f"{prefix}{sha256}{suffix if _KEY_EXTENSION.match(suffix) else ''}"


def _part_size_for(size: int, part_size: int) -> int:
    """``part_size``, raised (in whole MiB) when the file would need more than 10,000 parts."""
    if -(-size // part_size) <= MAX_PARTS:
        return part_size
    needed = -(-size // MAX_PARTS)
    return -(-needed // MiB) * MiB


def _sha256_file(path: Path, bucket: str) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(READ_CHUNK), b""):
                digest.update(chunk)
    except OSError as error:
        raise _unreadable(path, error, bucket, None) from None
    return digest.hexdigest()


def _digest_file(path: Path, part_size: int, bucket: str) -> tuple[str, tuple[bytes, ...], int]:
    """One pass: the file's sha256, the MD5 of each ``part_size`` segment, and the bytes read."""
    whole = hashlib.sha256()
    md5s: list[bytes] = []
    total = 0
    try:
        with path.open("rb") as stream:
            while True:
                part, read = _digest_segment(stream, part_size, whole)
                if read:
                    md5s.append(part)
                    total += read
                if read < part_size:
                    break
    except OSError as error:
        raise _unreadable(path, error, bucket, None) from None
    return whole.hexdigest(), tuple(md5s) or (hashlib.md5(b"", usedforsecurity=False).digest(),), total


def _digest_segment(stream: BinaryIO, length: int, whole: Any) -> tuple[bytes, int]:
    part = hashlib.md5(usedforsecurity=False)
    read = 0
    while read < length:
        chunk = stream.read(min(READ_CHUNK, length - read))
        if not chunk:
            break
        whole.update(chunk)
        part.update(chunk)
        read += len(chunk)
    return part.digest(), read


def _read_part(plan: _Plan, number: int, bucket: str) -> bytes:
    """Part ``number`` (1-based) of the file, checked against the MD5 taken when it was hashed."""
    offset = (number - 1) * plan.part_size
    length = min(plan.part_size, plan.size - offset)
    try:
        with plan.path.open("rb") as stream:
            stream.seek(offset)
            data = stream.read(length)
    except OSError as error:
        raise _unreadable(plan.path, error, bucket, plan.key) from None
    if len(data) != length or hashlib.md5(data, usedforsecurity=False).digest() != plan.md5s[number - 1]:
        raise _changed(plan.path, bucket, plan.key)
    return data


def _unreadable(path: Path, error: OSError, bucket: str, key: str | None) -> MediaError:
    return MediaError(f"cannot read {path} for R2 bucket {bucket!r}: {error.strerror or error}; rebuild the site "
                      "and rerun", bucket=bucket, key=key)


def _changed(path: Path, bucket: str, key: str | None) -> MediaError:
    return MediaError(f"{path} changed while it was being uploaded to R2 bucket {bucket!r}: rerun once the "
                      "build has finished writing it", bucket=bucket, key=key, code="BadDigest")


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _expiry_seconds(expires_in: int | timedelta, key: str) -> int:
    if isinstance(expires_in, timedelta):
        seconds = expires_in.total_seconds()
    elif isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
        seconds = float(expires_in)
    else:
        raise TypeError(f"expires_in must be seconds or a timedelta, not {type(expires_in).__name__}")
    if not 1 <= seconds <= MAX_PRESIGN_SECONDS:
        raise MediaError(f"cannot sign {key} for {seconds:g} s: R2 presigned URLs last 1 s to 7 days "
                         f"({MAX_PRESIGN_SECONDS} s); pick an expiry in that range", key=key)
    return int(seconds)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code") or error.response.get("ResponseMetadata", {})
               .get("HTTPStatusCode", ""))


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _describe(error: Exception, *, doing: str, bucket: str, key: str | None, path: Path | None,
              endpoint: str) -> MediaError:
    """One line saying what failed, on which bucket/key, and what to do."""
    target = f"{bucket}/{key}" if key else bucket
    if isinstance(error, NoCredentialsError):
        return _missing_credentials(bucket)
    if not isinstance(error, ClientError):
        return MediaError(f"could not reach R2 at {endpoint} while {doing} {target}: {error}; check the account "
                          "id / endpoint and the network, then rerun (stored objects are skipped)",
                          bucket=bucket, key=key)
    code, status = _code(error), _status(error)
    if code == "NoSuchBucket" or (code in _MISSING and key is None):
        return MediaError(f"R2 bucket {bucket!r} does not exist (while {doing} {key or 'it'}): create it with "
                          f"`wrangler r2 bucket create {bucket}` or fix deploy.r2_bucket",
                          bucket=bucket, key=key, code="NoSuchBucket")
    if code in _DENIED or status in (401, 403):
        return MediaError(f"R2 denied access to {target} ({code}) while {doing} it: check R2_ACCESS_KEY_ID / "
                          f"R2_SECRET_ACCESS_KEY and that the API token has Object Read & Write on {bucket!r}",
                          bucket=bucket, key=key, code=code)
    if code in _CHANGED and path is not None:
        return _changed(path, bucket, key)
    message = error.response.get("Error", {}).get("Message") or "no message"
    return MediaError(f"R2 failed while {doing} {target}: {code} ({message}); rerun, stored objects are skipped",
                      bucket=bucket, key=key, code=code)
