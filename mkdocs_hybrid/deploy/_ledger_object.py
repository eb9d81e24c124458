"""The durable ledger's objects in a private bucket: reads with their ETags, and compare-and-swap writes.

Thin I/O for :mod:`mkdocs_hybrid.publish.ledger_shards` (which decides what to write): the records live in
``mkdocs-hybrid/ledger/{00..ff}.json``, one shard per group of threads (the single ``mkdocs-hybrid/ledger.json``
of earlier releases is still read, never written). ``If-None-Match: *`` for a shard's first write, ``If-Match:
<etag>`` for an update; a 412 (or the object gone under an ``If-Match``) is
:class:`~mkdocs_hybrid.publish.ledger_store.LostRace`. R2 and S3 both honour these headers on PutObject.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from mkdocs_hybrid.deploy._r2_config import R2Config, r2_client
from mkdocs_hybrid.deploy._r2_errors import MISSING_CODES, R2Error, describe, error_code
from mkdocs_hybrid.history.durable import ChainFork
from mkdocs_hybrid.publish.ledger import Ledger, open_existing_ledger
from mkdocs_hybrid.publish.ledger_shards import SHARDS, restore_shards, save_shards, shard_of
from mkdocs_hybrid.publish.ledger_store import Conflict, LostRace, Merge

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from mkdocs_hybrid.config.manifest import Manifest

LEDGER_KEY = "mkdocs-hybrid/ledger.json"
"""The single object of earlier releases: read and merged in, never written."""
SHARD_PREFIX = "mkdocs-hybrid/ledger/"
_LOST = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409", *MISSING_CODES})
_UNSUPPORTED = frozenset({"NotImplemented", "501"})
_NEVER_READ = "https://ledger.invalid"
"""R2Config wants a public URL; the ledger object is only ever read through the S3 API."""


class BucketRecords:
    """The records object at ``key`` in ``config.bucket`` (a :class:`~.ledger_store.RecordStore`)."""

    def __init__(self, config: R2Config, *, key: str = LEDGER_KEY, client: S3Client | None = None) -> None:
        self.config = config
        self.key = key
        self.client = client if client is not None else r2_client(config)

    @property
    def where(self) -> str:
        return f"R2 bucket {self.config.bucket!r}, object {self.key}"

    def read(self) -> tuple[bytes, str] | None:
        try:
            answer = self.client.get_object(Bucket=self.config.bucket, Key=self.key)
            return answer["Body"].read(), answer["ETag"]
        except ClientError as error:
            if error_code(error) in ("NoSuchKey", "404"):
                return None
            raise self._error(error, "reading") from None
        except BotoCoreError as error:
            raise self._error(error, "reading") from None

    def write(self, data: bytes, etag: str | None) -> None:
        condition = {"IfNoneMatch": "*"} if etag is None else {"IfMatch": etag}
        try:
            self.client.put_object(Bucket=self.config.bucket, Key=self.key, Body=data, ContentLength=len(data),
                                   ContentType="application/json", CacheControl="no-store",
                                   **condition)  # type: ignore[arg-type]
        except ClientError as error:
            code = error_code(error)
            if code in _LOST and code != "NoSuchBucket":
                raise LostRace(code) from None
            if code in _UNSUPPORTED:
                raise R2Error(f"the S3 endpoint {self.config.endpoint} refused a conditional write of {self.key}; "
                              "the durable ledger needs If-Match/If-None-Match so two publishers never lose each "
                              "other's records (R2 supports them): check deploy.r2_endpoint_url",
                              bucket=self.config.bucket, key=self.key, code=code) from None
            raise self._error(error, "saving") from None
        except BotoCoreError as error:
            raise self._error(error, "saving") from None

    def _error(self, error: Exception, doing: str) -> R2Error:
        return describe(error, doing=f"{doing} the durable publish ledger in", bucket=self.config.bucket,
                        key=self.key, path=None, endpoint=self.config.endpoint)


def shard_key(index: int) -> str:
    """``mkdocs-hybrid/ledger/{index:02x}.json``."""
    return f"{SHARD_PREFIX}{index:02x}.json"


class DurableLedger:
    """The shards of ``deploy.ledger_bucket`` and the single object of earlier releases."""

    def __init__(self, config: R2Config, *, client: S3Client | None = None) -> None:
        self.config = config
        self.client = client if client is not None else r2_client(config)
        self.legacy = BucketRecords(config, key=LEDGER_KEY, client=self.client)
        self.shards = [BucketRecords(config, key=shard_key(index), client=self.client) for index in range(SHARDS)]

    @property
    def where(self) -> str:
        return f"R2 bucket {self.config.bucket!r}, objects {SHARD_PREFIX}"

    def held(self) -> list[BucketRecords]:
        """The shards the bucket holds (one listing): a whole build reads only those."""
        keys: set[str] = set()
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.config.bucket,
                                                                             Prefix=SHARD_PREFIX):
                keys.update(item["Key"] for item in page.get("Contents", []) if "Key" in item)
        except (ClientError, BotoCoreError) as error:
            raise self.legacy._error(error, "listing") from None
        return [shard for shard in self.shards if shard.key in keys]

    def of(self, threads: Iterable[str]) -> list[BucketRecords]:
        return [self.shards[index] for index in sorted({shard_of(thread) for thread in threads})]


def ledger_records(manifest: Manifest) -> DurableLedger | None:
    """The durable ledger of ``deploy.ledger_bucket``, or ``None`` when it is not set (the default)."""
    deploy = manifest.deploy
    bucket = getattr(deploy, "ledger_bucket", None)
    if not bucket:
        return None
    if bucket == deploy.r2_bucket and bucket != deploy.r2_private_bucket:
        raise R2Error(f"{manifest.origin}: deploy.ledger_bucket {bucket!r} is the public bucket (deploy.r2_bucket): "
                      "the ledger names unlisted versions, so keep it in a private bucket (e.g. "
                      "deploy.r2_private_bucket); nothing was built or deployed", bucket=bucket)
    config = R2Config.from_env(bucket, _NEVER_READ, endpoint_url=deploy.r2_endpoint_url, prefix="")
    return DurableLedger(config)


def restore_durable_ledger(manifest: Manifest, ledger: Ledger, threads: Collection[str] | None = None
                           ) -> Merge | None:
    """Merge the durable records into ``ledger`` before a build (``None``: no durable ledger configured); with
    ``threads``, only their shards (a publication of those threads)."""
    durable = ledger_records(manifest)
    if durable is None:
        return None
    shards = durable.of(threads) if threads is not None else durable.held()
    return restore_shards(ledger, shards, durable.legacy)


def claim_versions(manifest: Manifest, threads: Collection[str] | None = None) -> None:
    """Before a deploy or a publication: save the project ledger's records to their durable shards (only those of
    ``threads`` when given), each a compare-and-swap; a version another publisher published first with other
    files, or a thread whose signed history another publisher extended since this run restored it, raises, one
    line naming each, before anything is sent."""
    durable = ledger_records(manifest)
    if durable is None:
        return
    ledger = open_existing_ledger(manifest)
    try:
        merged = save_shards(ledger, durable.shards, threads, durable.legacy)
    finally:
        ledger.close()
    # a version published first with other files; a signed history another publisher extended meanwhile
    refusals: list[Conflict | ChainFork] = [*merged.conflicts, *merged.forks]
    if refusals:
        lines = "; ".join(refusal.line(durable.where) for refusal in refusals[:5])
        more = f" (and {len(refusals) - 5} more)" if len(refusals) > 5 else ""
        raise LedgerConflict(f"{lines}{more}; nothing was deployed",
                             forks=() if merged.conflicts else tuple(fork.thread for fork in merged.forks))


class LedgerConflict(R2Error):
    """Versions this run would deploy were published first, with other files, by another publisher (or their
    signed histories were extended by another publisher meanwhile)."""

    def __init__(self, message: str, *, forks: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.forks = forks
        """The threads whose history forked, when that is the whole refusal: the local ledger holds the durable
        chains now, so a live publication builds again and appends after them (a version conflict never)."""
