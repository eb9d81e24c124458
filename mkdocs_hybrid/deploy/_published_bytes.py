"""Published bytes for a fresh runner: a restored ledger record's files, fetched from the artifact store.

Why: the durable ledger (:mod:`~mkdocs_hybrid.publish.ledger_store`) restores records, not bytes. A build that
must serve a version's published bytes (its snapshot changed under the same id, its rebuild failed or gave other
bytes, or its snapshot left the sources) would otherwise have nothing to serve and leave the version out. In the
artifact store mode (``deploy.artifacts: r2``) every published version's files already live, write-once, at
their site paths: ``artifacts/{thread}/{version}/{file}`` in ``deploy.r2_bucket``, or ``artifacts/_u/{token}/{file}``
in ``deploy.r2_private_bucket`` for an unlisted one. :class:`PublishedBytes` is the build ledger's
:attr:`~mkdocs_hybrid.publish.ledger.BuildLedger.fetch`:

- **Lazy**: it is asked only for a version the build serves from the ledger, and only for the files the
  ledger's blob store lacks, so a fresh runner of a 100,000-version site fetches nothing for the versions it
  rebuilds as published (the common case), and only the few files of the ones it must keep.
- **Checked**: each file's sha256 and size must be the record's (``meta.json`` compared as rendered, without the
  media list a build adds), or the build stops with one line naming the version, the bucket and the key: nothing
  is built over a missing or damaged object, and a published version is never replaced with new bytes (the
  refused build's copy of the version is removed from the site folder first, so a deploy of that folder after
  the failed build cannot upload it into the missing object's place).
- **In parallel**: a version's missing files are fetched at once, :data:`FETCH_JOBS` at a time.

Without the artifact store (``deploy.artifacts: pages``, the default) the published bytes live only on the live
site: a changed version is kept out of the build, as before, and a report note says so in one line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from mkdocs_hybrid.deploy._r2_config import R2Config, r2_client
from mkdocs_hybrid.deploy._r2_errors import MISSING_CODES, R2Error, describe, error_code
from mkdocs_hybrid.model.layout import ARTIFACTS, UNLISTED, Parts
from mkdocs_hybrid.publish.artifacts import remove_version, rendered_meta
from mkdocs_hybrid.publish.policy import CHANGED, PublishedVersion

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from mkdocs_hybrid.config.manifest import Manifest

__all__ = ["FETCH_JOBS", "NOTES_SHOWN", "PublishedBytes", "published_bytes_source"]

FETCH_JOBS = 8
"""Objects fetched at once: a version has a handful of small files."""
NOTES_SHOWN = 5
"""Versions named one by one in the report; the rest are counted in one more note."""
_NEVER_READ = "https://published-bytes.invalid"
"""R2Config wants a public URL; published bytes are only ever read through the S3 API."""


class PublishedBytes:
    """Fetch a published version's missing files from the artifact store (``None`` without one)."""

    def __init__(self, manifest: Manifest, site_dir: Path, parts: Callable[[str, str], Parts], notes: list[str]
                 ) -> None:
        """``parts(thread, version)``: the version's site path parts (its ids, or ``_u`` and its token);
        ``notes``: the build report's notices, where each kept version gets its line."""
        deploy = manifest.deploy
        self.site_dir = site_dir
        self.in_store = deploy.artifacts == "r2" and bool(deploy.r2_bucket)
        self.buckets = {False: deploy.r2_bucket, True: deploy.r2_private_bucket}
        self.endpoint = deploy.r2_endpoint_url
        self.parts = parts
        self.notes = notes
        self.kept: list[str] = []
        self._more = ""
        self._clients: dict[str, S3Client] = {}

    def __call__(self, row: PublishedVersion, missing: Mapping[str, tuple[str, int]], why: str
                 ) -> dict[str, bytes] | None:
        if not self.in_store:
            if why == CHANGED:  # other reasons get their own line from the pipeline
                self.notes.append(f"{row.ref}: its published bytes are not on this runner (its ledger record came "
                                  "from deploy.ledger_bucket without bytes, and with deploy.artifacts: pages they "
                                  "live only on the live site), so it is kept out of this build and a deploy of it "
                                  "would take it offline; build where the ledger's bytes are, or use "
                                  "deploy.artifacts: r2 so a fresh runner fetches them")
            return None
        thread_parts = self.parts(row.thread, row.version)
        unlisted = thread_parts[0] == UNLISTED
        bucket = self.buckets[unlisted]
        if not bucket:
            raise R2Error(f"{row.ref}: it is unlisted and its published bytes are not on this runner, and "
                          "deploy.r2_private_bucket (where they live) is not set; nothing was built: set it")
        folder = "/".join((ARTIFACTS, *thread_parts))
        shown = f"{ARTIFACTS}/{UNLISTED}/<token of {row.ref}>" if unlisted else folder  # the token stays secret
        client = self._client(bucket)
        names = sorted(missing)

        def fetch(name: str) -> bytes:
            return self._fetch(client, bucket, f"{folder}/{name}", f"{shown}/{name}", row.ref, missing[name])

        try:
            with ThreadPoolExecutor(max_workers=min(FETCH_JOBS, len(names)), thread_name_prefix="published") as pool:
                files = dict(zip(names, pool.map(fetch, names)))
        except R2Error:
            remove_version(self.site_dir, thread_parts)  # this build's refused bytes never stand in for them
            raise
        self._note(f"{row.ref}: {why}, so its published bytes were kept ({len(files)} of its files fetched from R2 "
                   f"bucket {bucket!r}, {shown}/, as this runner's ledger did not hold them)")
        return files

    def _fetch(self, client: S3Client, bucket: str, key: str, shown: str, ref: str, facts: tuple[str, int]
               ) -> bytes:
        """One object's bytes, as the ledger recorded them; one line naming it when they are not there."""
        try:
            data = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error_code(error) in MISSING_CODES:
                raise R2Error(f"{ref}: its published file {shown} is missing from R2 bucket {bucket!r} and this "
                              "runner's ledger does not hold it, so nothing was built (a published version is "
                              "never replaced with new bytes): put the object back from a backup or the live "
                              "site, or build where the ledger holds its bytes", bucket=bucket, key=shown) from None
            raise describe(error, doing="fetching published bytes from", bucket=bucket, key=shown, path=None,
                           endpoint=client.meta.endpoint_url) from None
        except BotoCoreError as error:
            raise describe(error, doing="fetching published bytes from", bucket=bucket, key=shown, path=None,
                           endpoint=client.meta.endpoint_url) from None
        if key.endswith("/meta.json"):
            data = rendered_meta(data)  # the ledger records it as rendered, before a build lists its media
        sha, size = hashlib.sha256(data).hexdigest(), len(data)
        if (sha, size) != facts:
            raise R2Error(f"{ref}: R2 bucket {bucket!r} holds other bytes at {shown} (sha256 {sha[:12]}, {size} "
                          f"bytes) than the ledger published (sha256 {facts[0][:12]}, {facts[1]} bytes), so nothing "
                          "was built (a published version is never replaced with new bytes): put the published "
                          "object back from a backup or the live site", bucket=bucket, key=shown)
        return data

    def _note(self, line: str) -> None:
        """The first few kept versions by name, then one note counting the rest (updated in place)."""
        self.kept.append(line)
        if len(self.kept) <= NOTES_SHOWN:
            self.notes.append(line)
            return
        more = (f"and {len(self.kept) - NOTES_SHOWN} more versions' published bytes were kept, fetched from the "
                "artifact store")
        if len(self.kept) == NOTES_SHOWN + 1:
            self.notes.append(more)
        else:
            self.notes[self.notes.index(self._more)] = more
        self._more = more

    def _client(self, bucket: str) -> S3Client:
        if bucket not in self._clients:
            config = R2Config.from_env(bucket, _NEVER_READ, endpoint_url=self.endpoint, prefix="")
            self._clients[bucket] = r2_client(config)
        return self._clients[bucket]


def published_bytes_source(manifest: Manifest, site_dir: Path, parts: Callable[[str, str], Parts], notes: list[str]
                           ) -> PublishedBytes:
    """The build ledger's ``fetch`` for a build into ``site_dir`` that restored the durable ledger."""
    return PublishedBytes(manifest, site_dir, parts, notes)
