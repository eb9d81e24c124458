"""The durable ledger's cost per publication: one object for every record against one shard per group of threads.

Generates N published versions (4 per thread, 3 files each, as a real site's records look), then times, in one
run, what a publication of one thread costs in JSON work for each layout: the single object of earlier releases
(decode it on restore, decode + merge + encode on save, all N records each time) and the shard of that thread
(:mod:`mkdocs_hybrid.publish.ledger_shards`). Transfer is left out (it scales with the same bytes, also printed).

    python benchmarks/ledger_object.py [--versions 10000 100000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time

from mkdocs_hybrid.publish.ledger_shards import partition, shard_of
from mkdocs_hybrid.publish.ledger_store import Records, VersionRecord, decode, encode, merge


def synthetic(count: int) -> Records:
    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    versions = {}
    for n in range(count):
        thread, version = f"thread-{n // 4:05d}", f"v{n % 4 + 1}"
        entry = json.dumps({"build_key": sha(f"b{n}"), "created": "2026-01-01T00:00:00Z", "entry": "index.html",
                            "tags": [], "title": f"Demo {n}", "unlisted": False, "version": version}, sort_keys=True)
        files = tuple(sorted((name, sha(f"{name}{n}"), 1000 + n) for name in ("page.html", "style.css", "meta.json")))
        versions[(thread, version)] = VersionRecord(thread, version, "2026-12-06T00:00:00Z", None, sha(f"s{n}"),
                                                    sha(f"b{n}"), entry, files)
    history = tuple((f"thread-{n:05d}", "v4", "2026-12-06T00:00:00Z", "build") for n in range(count // 4))
    return Records(versions, history, {})


def publication_cost(records: Records) -> tuple[int, float]:
    """Bytes of the object and seconds of JSON work of one publication: restore (decode), save (decode, merge,
    encode)."""
    data = encode(records)
    start = time.perf_counter()
    decode(data, "restore")
    merge(records, decode(data, "save"))
    encode(records)
    return len(data), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    for count in args.versions:
        records = synthetic(count)
        whole_bytes, whole_seconds = publication_cost(records)
        shard = partition(records)[shard_of("thread-00000")]
        shard_bytes, shard_seconds = publication_cost(shard)
        print(f"{count:>7,} versions: one object {whole_bytes / 1e6:6.1f} MB, {whole_seconds:6.2f} s per publication; "
              f"its shard {shard_bytes / 1e3:6.1f} KB, {shard_seconds * 1000:6.1f} ms "
              f"({whole_seconds / shard_seconds:,.0f}x less work)")


if __name__ == "__main__":
    main()
