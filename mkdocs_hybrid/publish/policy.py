"""The publish policy: what each version serves once a build is done. It decides; it writes nothing.

A published (thread, version) is immutable (see :mod:`~mkdocs_hybrid.publish.ledger`):

- not published yet: the new artifact is published (:class:`StoreDecision`);
- published, same build key: builds are deterministic, so the artifact is the published one (kept as built);
- published, different build key but the same bytes: kept as built;
- published, different bytes: the published bytes are served (:class:`ServeDecision`), unless the operator
  republishes it (``--republish t/v`` or all), which stores the new bytes;
- published with other files under the same id: refused (``IMMUTABLE``) and the published bytes served;
- published, but not built this time (its rebuild failed, or its snapshot left the sources): served.

The pipeline applies a :class:`Reconciliation`: it reads and writes the artifact files, the ledger stores
rows and bytes, and the report shows what happened.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from mkdocs_hybrid.model.catalog import BuiltVersion, VersionEntry
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.snapshot import Snapshot

__all__ = ["CHANGED", "IMMUTABLE", "PublishedVersion", "Reconciliation", "ServeDecision", "StoreDecision", "reconcile",
           "snapshot_key", "suggest_version"]

SNAPSHOT_KEY_FORMAT = 1
CHANGED = "this version was changed"
"""Why a refused version's published bytes are served (its refusal already told the user)."""
IMMUTABLE = ("this version was published with different files; versions are immutable: "
             "save your change as a new version (e.g. {suggestion})")


class PublishedVersion(Protocol):
    """What the policy needs of a published version (the ledger's rows provide it)."""

    @property
    def thread(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def snapshot_key(self) -> str: ...

    @property
    def build_key(self) -> str: ...

    @property
    def ref(self) -> str: ...

    @property
    def entry(self) -> VersionEntry: ...

    @property
    def files(self) -> dict[str, tuple[str, int]]:
        """name -> (sha256, size) of each published file."""
        ...


@dataclass(frozen=True)
class StoreDecision:
    """Publish (or republish) the artifact this build wrote for ``built``."""

    built: BuiltVersion
    snapshot_key: str
    republish: bool = False


@dataclass(frozen=True)
class ServeDecision:
    """Put a version's published bytes in the site (instead of what this build wrote, if anything)."""

    published: PublishedVersion
    why: str

    @property
    def built(self) -> BuiltVersion:
        """The version as the catalog lists it: its published facts."""
        entry = self.published.entry
        snapshot = Snapshot(thread=self.published.thread, version=entry.version, files={}, entry=entry.entry,
                            title=entry.title, origin="ledger", created=entry.created, author=entry.author,
                            tags=tuple(entry.tags), unlisted=entry.unlisted)
        return BuiltVersion(snapshot, self.published.build_key)


@dataclass
class Reconciliation:
    """The decisions for one build."""

    kept: list[BuiltVersion] = field(default_factory=list)
    """Versions whose artifact, as this build wrote it, stays in the site (published now or before)."""
    store: list[StoreDecision] = field(default_factory=list)
    serve: list[ServeDecision] = field(default_factory=list)
    refused: list[SnapshotError] = field(default_factory=list)
    replaced: set[str] = field(default_factory=set)
    """Refs this build wrote whose artifact the published one replaces."""


def reconcile(built: Iterable[BuiltVersion], published: Mapping[tuple[str, str], PublishedVersion], *,
              scanned: Iterable[Snapshot], failed: set[str], owns: Callable[[str], bool],
              republish: Callable[[str], bool],
              same_bytes: Callable[[BuiltVersion, PublishedVersion], bool]) -> Reconciliation:
    """Decide what each built and each published version serves.

    ``same_bytes`` tells whether a rebuilt artifact equals its published files (asked only when the build
    keys differ); ``failed`` are the refs that failed this build; ``owns`` limits the published versions
    considered to this build's threads (a shard).
    """
    plan = Reconciliation()
    scanned = list(scanned)
    taken = _versions_by_thread(scanned, published)
    handled = set()
    for item in built:
        handled.add(item.snapshot.ref)
        _decide_built(plan, item, published.get((item.snapshot.thread, item.snapshot.version)), taken,
                      republish, same_bytes)
    current = {snapshot.ref: snapshot for snapshot in scanned}
    for (thread, version), row in sorted(published.items()):
        if row.ref in handled or not owns(thread):
            continue
        snapshot = current.get(row.ref)
        if snapshot is not None and snapshot_key(snapshot) != row.snapshot_key:
            plan.refused.append(_immutable(thread, version, taken))
        plan.serve.append(ServeDecision(row, "its rebuild failed" if row.ref in failed else "its snapshot is gone"))
    return plan


def _decide_built(plan: Reconciliation, item: BuiltVersion, row: PublishedVersion | None,
                  taken: dict[str, set[str]], republish: Callable[[str], bool],
                  same_bytes: Callable[[BuiltVersion, PublishedVersion], bool]) -> None:
    snapshot = item.snapshot
    key = snapshot_key(snapshot)
    if row is None:
        plan.store.append(StoreDecision(item, key))
        plan.kept.append(item)
    elif key != row.snapshot_key:
        plan.refused.append(_immutable(snapshot.thread, snapshot.version, taken))
        _replace(plan, item, row, CHANGED)
    elif item.build_key == row.build_key or same_bytes(item, row):
        plan.kept.append(item)  # builds are deterministic: the same key gives the published bytes
    elif republish(snapshot.ref):
        plan.store.append(StoreDecision(item, key, republish=True))
        plan.kept.append(item)
    else:
        _replace(plan, item, row, "the rebuild gave different bytes")


def _replace(plan: Reconciliation, item: BuiltVersion, row: PublishedVersion, why: str) -> None:
    plan.replaced.add(item.snapshot.ref)
    plan.serve.append(ServeDecision(row, why))


def _versions_by_thread(scanned: list[Snapshot], published: Mapping[tuple[str, str], PublishedVersion]
                        ) -> dict[str, set[str]]:
    taken: dict[str, set[str]] = {}
    for snapshot in scanned:
        taken.setdefault(snapshot.thread, set()).add(snapshot.version)
    for thread, version in published:
        taken.setdefault(thread, set()).add(version)
    return taken


def _immutable(thread: str, version: str, taken: dict[str, set[str]]) -> SnapshotError:
    return SnapshotError(IMMUTABLE.format(suggestion=suggest_version(version, taken.get(thread, set()))),
                         thread=thread, version=version)


def snapshot_key(snapshot: Snapshot) -> str:
    """What a version is made of, as its author saved it: entry, files and dependency specs."""
    inputs = {"format": SNAPSHOT_KEY_FORMAT, "entry": snapshot.entry, "files": dict(sorted(snapshot.digests.items())),
              "dependencies": dict(sorted(snapshot.dependencies.items()))}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def suggest_version(version: str, taken: set[str]) -> str:
    """The next free id in ``version``'s numbering (``v1`` with v1..v4 taken -> ``v5``)."""
    match = re.fullmatch(r"(.*?)(\d+)", version)
    if not match:
        prefix, number = f"{version}-", 1
    else:
        prefix = match.group(1)
        numbers = [int(m.group(1)) for v in taken if (m := re.fullmatch(re.escape(prefix) + r"(\d+)", v))]
        number = max(numbers, default=int(match.group(2)))
    candidate = f"{prefix}{number + 1}"
    while candidate in taken:
        number += 1
        candidate = f"{prefix}{number + 1}"
    return candidate
