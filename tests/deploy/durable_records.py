"""The durable ledger as a bucket holds it (its shards, and the single object of earlier releases), for tests."""

from __future__ import annotations

import boto3

from mkdocs_hybrid.deploy._ledger_object import LEDGER_KEY, SHARD_PREFIX
from mkdocs_hybrid.publish.ledger_shards import union
from mkdocs_hybrid.publish.ledger_store import Records, decode, merge

LEDGER_PREFIX = "mkdocs-hybrid/ledger"
"""Every durable ledger object's key starts so (the shards and the single object)."""


def durable_records(endpoint: str, bucket: str) -> Records | None:
    """Every record the bucket's durable ledger holds, or ``None`` when it holds none."""
    client = boto3.client("s3", endpoint_url=endpoint, region_name="auto")
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=LEDGER_PREFIX)
    keys = sorted(item["Key"] for page in pages for item in page.get("Contents", []))
    shards = [decode(client.get_object(Bucket=bucket, Key=key)["Body"].read(), key)
              for key in keys if key.startswith(SHARD_PREFIX)]
    if LEDGER_KEY in keys:
        legacy = decode(client.get_object(Bucket=bucket, Key=LEDGER_KEY)["Body"].read(), LEDGER_KEY)
        return merge(legacy, union(shards)).records
    return union(shards) if shards else None
