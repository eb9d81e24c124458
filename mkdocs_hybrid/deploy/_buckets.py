"""Pack missing files into upload requests the way wrangler does.

Largest files first, spread round-robin over three starting buckets; a bucket
holds at most 40 MiB and 2,000 files; a file that fits nowhere opens a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mkdocs_hybrid.deploy._files import SiteFile

MAX_BUCKET_BYTES = 40 * 1024 * 1024
MAX_BUCKET_FILES = 2_000
UPLOAD_CONCURRENCY = 3


@dataclass
class Bucket:
    files: list[SiteFile] = field(default_factory=list)
    remaining: int = MAX_BUCKET_BYTES

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def pack_buckets(missing: Sequence[SiteFile]) -> list[Bucket]:
    """Buckets for one deployment's missing files (empty buckets dropped)."""
    buckets = [Bucket() for _ in range(UPLOAD_CONCURRENCY)]
    ordered = sorted(missing, key=lambda f: f.size, reverse=True)
    for offset, item in enumerate(ordered):
        for index in range(len(buckets)):
            bucket = buckets[(index + offset) % len(buckets)]
            if bucket.remaining >= item.size and len(bucket.files) < MAX_BUCKET_FILES:
                bucket.files.append(item)
                bucket.remaining -= item.size
                break
        else:
            buckets.append(Bucket(files=[item], remaining=MAX_BUCKET_BYTES - item.size))
    return [bucket for bucket in buckets if bucket.files]
