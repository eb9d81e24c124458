"""Publications started and not finished, marked in the durable ledger's bucket, so any publisher finishes them.

Why: a publication claims its versions in the durable ledger before it uploads them, so that two publishers
never publish one version twice. A publisher killed between the claim and the last upload (a ``kill -9``, a
runner taken away) leaves versions the ledger calls published whose share pages are not online yet; its local
journal (:data:`mkdocs_hybrid.live.publisher.PENDING_FILE`) dies with an ephemeral runner. So, with
``deploy.ledger_bucket``, the publisher also puts an empty object ``mkdocs-hybrid/pending/{thread}`` there before
it claims, and deletes it once every object of the thread is uploaded; every publication (and the worker) lists
``mkdocs-hybrid/pending/`` first (one request) and publishes those threads too. Publishing a thread again is
safe: its artifacts are skipped when present, its pages are replaced only if unchanged since read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from mkdocs_hybrid.deploy._ledger_object import ledger_records
from mkdocs_hybrid.deploy._r2_errors import R2Error, describe
from mkdocs_hybrid.model.snapshot import ID_PATTERN

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from mkdocs_hybrid.config.manifest import Manifest
    from mkdocs_hybrid.deploy._ledger_object import DurableLedger

__all__ = ["PENDING_PREFIX", "PendingMarks", "pending_marks"]

PENDING_PREFIX = "mkdocs-hybrid/pending/"


class PendingMarks:
    """The pending marks in the durable ledger's bucket (see the module docstring)."""

    def __init__(self, records: DurableLedger) -> None:
        self.config = records.config
        self.client = records.client

    def listed(self) -> frozenset[str]:
        """Threads some publisher started and did not finish."""
        found: set[str] = set()
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.config.bucket,
                                                                             Prefix=PENDING_PREFIX):
                found.update(item["Key"][len(PENDING_PREFIX):] for item in page.get("Contents", []) if "Key" in item)
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "listing the pending publications in", None) from None
        return frozenset(thread for thread in found if ID_PATTERN.fullmatch(thread))

    def mark(self, threads: Iterable[str]) -> None:
        for thread in sorted(threads):
            self._call("marking a publication in", thread, lambda key: self.client.put_object(
                Bucket=self.config.bucket, Key=key, Body=b"", ContentType="text/plain", CacheControl="no-store"))

    def clear(self, threads: Iterable[str]) -> None:
        for thread in sorted(threads):
            self._call("clearing a finished publication in", thread,
                       lambda key: self.client.delete_object(Bucket=self.config.bucket, Key=key))

    def _call(self, doing: str, thread: str, call: Callable[[str], object]) -> None:
        key = PENDING_PREFIX + thread
        try:
            call(key)
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, doing, key) from None

    def _error(self, error: Exception, doing: str, key: str | None) -> R2Error:
        return describe(error, doing=doing, bucket=self.config.bucket, key=key, path=None,
                        endpoint=self.config.endpoint)


def pending_marks(manifest: Manifest) -> PendingMarks | None:
    """The marks of ``deploy.ledger_bucket``, or ``None`` without a durable ledger (the local journal only)."""
    records = ledger_records(manifest)
    return PendingMarks(records) if records is not None else None
