"""Signed histories (issue 25): signing and verifying N versions, against reading and hashing the same bytes.

    python benchmarks/history.py [--count 10000] [--per-thread 10] [--http] [--keep DIR]

Generates a synthetic site as a build leaves it (``artifacts/{thread}/{version}/`` with ``page.html``,
``style.css``, ``meta.json`` and ``source.json`` of realistic sizes, each thread's ``p/{thread}/latest/``
fallback page and its ``_redirects`` rules), then measures, in one run:

- sign: the build's history step for N new versions (records planned, chained and signed, appended to the
  ledger's tables in one transaction, ``history.json`` per thread, the keys and the signed index written), and
  the same step again with nothing new (what every later build pays: the chains read, the files compared);
- verify: ``verify_site`` on the folder (every published file read and hashed, every record's chain and
  history's last signature checked, which covers the records before it through their hashes, every ``latest``
  page and ``_redirects`` rule read); and again with ``--every-signature`` (each record's signature checked);
- a live publication's index step: what ``publish-version`` does to the site's signed index besides its own
  threads (parse it, check its signature, replace one entry, sign it again), which grows with the threads;
- floor: walking the site and reading and hashing every file in it with sha256, nothing else (what any check
  of every published byte costs; the site holds a little more than verify reads);
- with ``--http``: ``verify_site`` over HTTP against Python's ``http.server`` serving the folder (same process).

Wall and CPU seconds of each, the verify/floor ratios, and the issue's target (verify 10,000 versions in under
10 s). The machine is shared: the 1-minute load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.server
import json
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from mkdocs_hybrid.history.keys import SigningKey, verify_signature
from mkdocs_hybrid.history.publish import write_site_files
from mkdocs_hybrid.history.readers import FolderSite, HttpSite
from mkdocs_hybrid.history.records import (
    Chain,
    VersionFacts,
    entries_index_bytes,
    index_signed_bytes,
    plan_records,
)
from mkdocs_hybrid.history.store import add_key, append_records, ensure_tables, listed_keys, read_chains
from mkdocs_hybrid.history.verify import verify_site
from mkdocs_hybrid.model.layout import ARTIFACTS, HISTORY_INDEX, LATEST, SHARE, WELL_KNOWN
from tests.browser import serve_in_thread

T = TypeVar("T")
KEY = base64.b64encode(bytes(range(32))).decode()
TARGET_SECONDS = 10.0
"""Issue 25: verify a 10,000-version site in under 10 s on this machine."""


def generate(site: Path, count: int, per_thread: int) -> dict[str, list[VersionFacts]]:
    """The artifact folders and latest pages of ``count`` versions, ``per_thread`` to a thread; their facts."""
    rng = random.Random(25)
    threads: dict[str, list[VersionFacts]] = {}
    for n in range(count):
        thread, version = f"t{n // per_thread:05d}", f"v{n % per_thread + 1}"
        folder = site / ARTIFACTS / thread / version
        folder.mkdir(parents=True)
        words = " ".join(rng.choice(("alpha", "beta", "gamma", "delta", "canvas", "button")) for _ in range(200))
        files = {
            "page.html": f"<!doctype html><html><head><title>{thread} {version}</title></head><body>"
                         f"<script type=module>document.body.textContent = {words!r}</script></body></html>\n",
            "style.css": f"body {{ margin: 0; color: #{rng.randrange(1 << 24):06x}; }}\n" * 8,
            "source.json": json.dumps({"thread": thread, "version": version, "files": {"index.js": words}}),
        }
        meta = {"format": "mkdocs-hybrid/meta@1", "thread": thread, "version": version, "title": version,
                "created": None, "files": {name: {"sha256": hashlib.sha256(data.encode()).hexdigest(),
                                                  "size": len(data)} for name, data in files.items()}}
        files["meta.json"] = json.dumps(meta, indent=2) + "\n"
        for name, data in files.items():
            (folder / name).write_text(data)
        digests = {name: hashlib.sha256(data.encode()).hexdigest() for name, data in files.items()}
        threads.setdefault(thread, []).append(VersionFacts(version, None, None, digests, False))
    rules = []
    for thread, versions in threads.items():
        latest = site / SHARE / thread / LATEST / "index.html"
        latest.parent.mkdir(parents=True)
        latest.write_text(f'<meta name="mkdocs-hybrid-latest" content="{versions[-1].version}">\n')
        rules += [f"/{SHARE}/{thread}/{LATEST}{end} /{SHARE}/{thread}/{versions[-1].version}/ 302" for end in ("", "/")]
    (site / "_redirects").write_text("\n".join(rules) + "\n")  # Cloudflare's latest rules, as the build writes
    return threads


def sign(site: Path, ledger: Path, threads: dict[str, list[VersionFacts]]) -> int:
    """What a build's history step does for these versions (``publish_history`` without the catalog): the
    ledger's chains read, the records planned, signed and appended in one transaction, the site's files written
    (each only when its bytes change); the records made (none when the ledger already states every version)."""
    key = SigningKey.parse(KEY)
    db = sqlite3.connect(ledger, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    ensure_tables(db)
    add_key(db, key.public)
    chains, made = read_chains(db), []
    for thread, versions in threads.items():
        chain = chains.setdefault(thread, Chain(thread))
        for body in plan_records(chain, versions, versions[-1].version, None, None):
            made.append(chain.append(body, key.sign, key.public.id))
    append_records(db, made)
    write_site_files(site, list(chains.values()), listed_keys(db), key)
    db.execute("COMMIT")
    db.close()
    return len(made)


def live_index_step(site: Path) -> int:
    """What each live publication (``publish-version``) does to the site's signed index besides its own threads'
    records (``history/online.LiveHistory.sign``): parse the online index, check its signature under the listed
    key, replace one thread's entry, sign and render it again. The index's size in bytes."""
    key = SigningKey.parse(KEY)
    data = (site / WELL_KNOWN / HISTORY_INDEX).read_bytes()
    index = json.loads(data)
    assert verify_signature(key.public, index_signed_bytes(index), index["signature"])
    entries = dict(index["threads"])
    first = next(iter(entries))
    entries[first] = {"records": entries[first]["records"] + 1, "head": "0" * 64}
    entries_index_bytes(entries, key.sign, key.public.id)
    return len(data)


def floor(site: Path) -> int:
    """Walk the site and read and hash every file in it (what verify reads, and a little more); the bytes read."""
    total = 0
    for folder, _dirs, names in os.walk(site):
        for name in names:
            with open(os.path.join(folder, name), "rb") as handle:
                data = handle.read()
            hashlib.sha256(data).hexdigest()
            total += len(data)
    return total


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a CDN answers (HTTP/1.0 would open a connection per file)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


def timed(work: Callable[[], T]) -> tuple[float, float, T]:
    """(wall s, CPU s of this process, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--per-thread", type=int, default=10)
    parser.add_argument("--http", action="store_true", help="also verify over HTTP (http.server, same process)")
    parser.add_argument("--keep", type=Path, default=None, help="build the site here and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="history-bench-"))
    shutil.rmtree(work, ignore_errors=True)
    site = work / "site"
    site.mkdir(parents=True)
    threads = generate(site, args.count, args.per_thread)
    print(f"{args.count} versions in {len(threads)} threads; load {os.getloadavg()[0]:.2f}")
    sign_wall, sign_cpu, records = timed(lambda: sign(site, work / "ledger.sqlite", threads))
    print(f"sign:   {sign_wall:6.2f} s wall {sign_cpu:6.2f} s CPU  ({records} records)")
    again_wall, again_cpu, none = timed(lambda: sign(site, work / "ledger.sqlite", threads))
    assert none == 0
    print(f"sign, nothing new (a rebuild): {again_wall:6.2f} s wall {again_cpu:6.2f} s CPU")
    steps = [timed(lambda: live_index_step(site)) for _ in range(7)]
    index_size = steps[0][2]
    print(f"a live publication's index step ({len(threads)} threads, index {index_size / 1e6:.2f} MB): "
          f"{statistics.median(cpu for _wall, cpu, _size in steps) * 1000:.0f} ms CPU (median of 7)")
    floor_wall, floor_cpu, size = timed(lambda: floor(site))
    print(f"floor:  {floor_wall:6.2f} s wall {floor_cpu:6.2f} s CPU  (read + sha256 of {size / 1e6:.1f} MB)")
    verify_wall, verify_cpu, result = timed(lambda: verify_site(FolderSite(site)))
    assert result.ok, result.problems[:3]
    print(f"verify: {verify_wall:6.2f} s wall {verify_cpu:6.2f} s CPU  ({result.summary()})")
    print(f"verify / floor: {verify_wall / floor_wall:.2f}x wall, {verify_cpu / floor_cpu:.2f}x CPU; "
          f"target {TARGET_SECONDS:.0f} s for 10,000 versions: {'met' if verify_wall < TARGET_SECONDS else 'MISSED'}")
    every_wall, every_cpu, every = timed(lambda: verify_site(FolderSite(site), every_signature=True))
    assert every.ok, every.problems[:3]
    print(f"verify --every-signature: {every_wall:6.2f} s wall {every_cpu:6.2f} s CPU  "
          f"({every_cpu / floor_cpu:.2f}x the floor's CPU)")
    if args.http:
        with serve_in_thread(site, _QuietHandler) as url:
            reader = HttpSite(url)
            http_wall, http_cpu, over_http = timed(lambda: verify_site(reader))
            reader.close()
        assert over_http.ok, over_http.problems[:3]
        print(f"http:   {http_wall:6.2f} s wall {http_cpu:6.2f} s CPU  (server in the same process)")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    if args.keep is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
