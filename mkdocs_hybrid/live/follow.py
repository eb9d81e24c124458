"""``mkdocs-hybrid worker --follow``: watch the sources and publish each new version as it appears.

Each poll lists the sources the way a build does (:meth:`~mkdocs_hybrid.sources.kind.SourceKind.listing`: stat
signatures for folders and files, content hashes for the stores), reading no snapshot it already knows, and
compares them with the publish ledger. A thread is published (:class:`~mkdocs_hybrid.live.publisher.LivePublisher`,
one build for every thread due in the same poll) when:

- it has a version the ledger has not published, whose files have **settled**: a folder version whose newest file
  is younger than ``settle`` seconds is left for a later poll, since an author or a tool may still be writing it
  (a store writes a version in one transaction, so its versions are due at once);
- its source now names another ``latest`` (``thread.yml``, the store's thread) than the one published, and no
  ``pin`` overrides it (``mkdocs-hybrid pin`` publishes its own change);
- an earlier publication of it was cut short (the publisher's journal of pending threads): after a crash or a
  ``kill -9`` the next worker finishes it first.

A version that fails to build is reported once and tried again only when its source changes. One worker
publishes one build at a time (like a playground's one build in flight); two workers, or a worker beside a
nightly deploy, are safe as the publisher says (the durable ledger and conditional writes), just redundant.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs_hybrid.config.manifest import Manifest
from mkdocs_hybrid.live.publisher import LivePublisher, LiveResult
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.publish.freshness import LedgerFacts, read_ledger_facts
from mkdocs_hybrid.publish.ledger import Ledger, ledger_path
from mkdocs_hybrid.sources.kind import Listed, Reading
from mkdocs_hybrid.sources.reading import open_source_index, read_listed
from mkdocs_hybrid.sources.registry import kind_of

__all__ = ["DEFAULT_INTERVAL", "DEFAULT_SETTLE", "Follower"]

DEFAULT_INTERVAL = 0.5
"""Seconds between polls: a poll of an unchanged source costs its listing (stats or one query)."""
DEFAULT_SETTLE = 1.0
"""Seconds a folder version's newest file must be old before it is published."""
FULL_POLL_SECONDS = 30.0
"""A store whose files kept their stat is listed anyway this often (a write within one mtime tick that kept the
size would otherwise wait for the next change)."""
_NS = 1_000_000_000


@dataclass
class Follower:
    """Polls the sources of ``publisher.manifest`` and publishes what is due (see the module docstring)."""

    publisher: LivePublisher
    settle: float = DEFAULT_SETTLE
    clock: Callable[[], float] = time.time
    report: Callable[[str], None] = field(default=lambda line: None)
    """Gets one line per publication and per new problem."""
    _failed: dict[str, str] = field(default_factory=dict)
    """origin -> signature of versions that failed: not tried again until their source changes."""
    _origins: dict[str, tuple[str, str]] = field(default_factory=dict)
    _said: set[str] = field(default_factory=set)
    _unfinished: frozenset[str] = frozenset()
    _quiet: tuple[tuple[object, ...], float] | None = None
    """The sources' and ledger's fingerprint when a poll last found nothing to publish, and when."""

    def prepare(self) -> None:
        """Merge the durable ledger's records in first (``deploy.ledger_bucket``): a worker on a fresh runner
        would otherwise take every published version for a new one."""
        manifest = self.publisher.manifest
        path = ledger_path(manifest)
        if path is None or not getattr(manifest.deploy, "ledger_bucket", None):
            return
        from mkdocs_hybrid.deploy import restore_durable_ledger  # loads boto3: only with a durable ledger

        ledger = Ledger(path)
        try:
            restore_durable_ledger(manifest, ledger)
        finally:
            ledger.close()
        self._unfinished = self.publisher.durable_pending()  # publications another runner started, first

    def due(self) -> set[str]:
        """The threads to publish now (nothing read when no source and not the ledger changed since the last
        poll that found nothing, for sources that can tell: stores, which write one file)."""
        manifest = self.publisher.manifest
        fingerprint = _fingerprint(manifest)
        if fingerprint is not None and self._quiet is not None and fingerprint == self._quiet[0] \
                and self.clock() - self._quiet[1] < FULL_POLL_SECONDS:
            return set()
        reading = Reading(manifest.build, open_source_index(manifest), lambda thread: True)
        facts = read_ledger_facts(ledger_path(manifest))
        young_after = int((self.clock() - self.settle) * _NS)
        threads: set[str] = set()
        for source in manifest.sources:
            for item in kind_of(source).listing(source, reading):
                due = self._new_thread(item, reading, facts, young_after)
                if due is not None:
                    threads.add(due)
        reading.index.save(prune=False)
        self._say(reading.errors)
        for entry in reading.threads.values():
            moved = entry.latest is not None and entry.latest != facts.latest.get(entry.id)
            if moved and entry.id not in facts.pins and f"{entry.id}/{entry.latest}" in facts.published:
                threads.add(entry.id)
        self._quiet = (fingerprint, self.clock()) if fingerprint is not None and not threads else None
        return threads

    def poll(self) -> LiveResult | None:
        """Publish what is due, with what an earlier publication left pending; ``None`` when nothing was."""
        threads = self.due() | self.publisher.abandoned() | self._unfinished
        self._unfinished = frozenset()
        if not threads:
            return None
        result = self.publisher.publish(threads)
        for error in result.failed:
            ref = f"{error.thread}/{error.version}"
            if ref in self._origins:
                origin, signature = self._origins[ref]
                self._failed[origin] = signature
        self._say(result.failed)
        self.report(result.summary())
        return result

    def run(self, stop: threading.Event, interval: float = DEFAULT_INTERVAL) -> None:
        """Poll until ``stop`` is set; a publication under way when it is set is finished first."""
        while not stop.is_set():
            self.poll()
            stop.wait(interval)

    def _new_thread(self, item: Listed, reading: Reading, facts: LedgerFacts, young_after: int) -> str | None:
        """The thread of a listed version that is due, or ``None``."""
        if self._failed.get(item.origin) == item.signature:
            return None
        if item.thread is not None and item.version is not None:
            thread, version = item.thread, item.version
        else:  # a snapshot JSON file names its ids inside: read it (through the index: once per change)
            snapshot = read_listed(item, reading)
            if snapshot is None:
                self._failed[item.origin] = item.signature
                return None
            thread, version = snapshot.thread, snapshot.version
        ref = f"{thread}/{version}"
        if ref in facts.published or item.newest > young_after:
            return None
        self._origins[ref] = (item.origin, item.signature)
        return thread

    def _say(self, errors: list[SnapshotError]) -> None:
        for error in errors:
            line = str(error)
            if line not in self._said:
                self._said.add(line)
                self.report(f"error {line}")


def _fingerprint(manifest: Manifest) -> tuple[object, ...] | None:
    """The stat of every file the sources and the ledger live in (with SQLite's ``-wal``), or ``None`` when a
    source cannot be told unchanged that way (a folder, whose listing is its check; a remote store)."""
    paths: list[Path] = []
    for source in manifest.sources:
        watches = kind_of(source).watch(source)
        if not watches or any(watch.recursive or watch.path.is_dir() for watch in watches):
            return None
        paths += [watch.path for watch in watches]
    ledger = ledger_path(manifest)
    paths += [ledger] if ledger is not None else []
    return tuple(_stat(path) for base in paths for path in (base, base.with_name(base.name + "-wal")))


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size

