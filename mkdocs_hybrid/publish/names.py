"""Whether the thread and version names a command was given exist, and where a published version's share page
is: decided from the publish ledger's rows and the sources' scan, the facts the build itself decides from (no I/O).

A name that does not exist is one :class:`HybridError` line naming it (with the closest known names), so a
typo fails instead of printing a link that 404s or an empty history.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mkdocs_hybrid.model.errors import HybridError, shown
from mkdocs_hybrid.model.snapshot import Snapshot, Thread

__all__ = ["Known", "is_unlisted", "published_version", "unknown_refs"]

SHOWN_NAMES = 5
"""How many known names an error lists."""


@dataclass(frozen=True)
class Known:
    """What exists of a project: the sources' threads and versions (read or not), and the ledger's published ones."""

    sources: Mapping[str, frozenset[str]]
    """thread -> its versions in the sources (with those that failed to read)."""
    published: Mapping[str, Mapping[str, bool]]
    """thread -> version -> whether it was unlisted when published (the ledger's recorded entry)."""
    threads: Mapping[str, Thread]
    """The sources' ``thread.yml`` facts."""
    snapshots: Mapping[tuple[str, str], Snapshot]
    ledger_threads: frozenset[str] = frozenset()
    """Every thread the ledger knows (when only one thread's rows were read): the names an error suggests."""

    @classmethod
    def of(cls, snapshots: Iterable[Snapshot], threads: Mapping[str, Thread],
           failed: Iterable[tuple[str | None, str | None]], published: Iterable[tuple[str, str, bool]],
           ledger_threads: Iterable[str] = ()) -> Known:
        sources: dict[str, set[str]] = {thread: set() for thread in threads}
        read = {(s.thread, s.version): s for s in snapshots}
        for thread, version in [*read, *failed]:
            if thread:
                sources.setdefault(thread, set()).update([version] if version else [])
        rows: dict[str, dict[str, bool]] = {}
        for thread, version, unlisted in published:
            rows.setdefault(thread, {})[version] = unlisted
        return cls({t: frozenset(v) for t, v in sources.items()}, rows, dict(threads), read, frozenset(ledger_threads))

    def has_thread(self, thread: str) -> bool:
        return thread in self.sources or thread in self.published

    def thread_error(self, thread: str, command: str) -> HybridError:
        names = sorted({*self.sources, *self.published, *self.ledger_threads})
        return HybridError(f"{command}: no thread {shown(thread)} in the sources or the publish ledger"
                           f"{_hint(thread, names, 'threads')}")


def published_version(known: Known, thread: str, version: str) -> None:
    """Nothing when ``thread/version`` (valid ids) is published; else the line saying which name is unknown or
    not published."""
    if not known.has_thread(thread):
        raise known.thread_error(thread, "share")
    published = known.published.get(thread, {})
    if version in published:
        return
    if version in known.sources.get(thread, ()):
        raise HybridError(f"share: {thread}/{version} is not published: it has not built yet (run mkdocs-hybrid "
                          "build, fix any error it reports for it, then share it)")
    if not published:
        raise HybridError(f"share: no version {version!r} of {thread}, and {thread} has no published version yet "
                          "(run mkdocs-hybrid build first)")
    raise HybridError(f"share: no version {version!r} of {thread}{_hint(version, sorted(published), 'published')}")


def is_unlisted(known: Known, thread: str, version: str) -> bool:
    """Whether the build puts the published ``thread/version`` at an unlisted path: as the build decides (its
    snapshot or its ``thread.yml`` says ``unlisted: true``); for a version gone from the sources, as it was
    published, or its thread says."""
    thread_unlisted = thread in known.threads and known.threads[thread].unlisted
    snapshot = known.snapshots.get((thread, version))
    recorded = snapshot.unlisted if snapshot else known.published.get(thread, {}).get(version, False)
    return recorded or thread_unlisted


def unknown_refs(known: Known, refs: Iterable[str]) -> list[str]:
    """Each ``THREAD/VERSION`` of ``refs`` that names no snapshot of the sources, with what is wrong with it."""
    problems = []
    for ref in refs:
        thread, slash, version = ref.partition("/")
        if not slash or not thread or not version:
            problems.append(f"{shown(ref)} (give THREAD/VERSION)")
        elif thread not in known.sources:
            problems.append(f"{shown(ref)} (no thread {shown(thread)}{_hint(thread, sorted(known.sources))})")
        elif version not in known.sources[thread]:
            problems.append(f"{shown(ref)} (no version {shown(version)} of {thread}"
                            f"{_hint(version, sorted(known.sources[thread]))})")
    return problems


def _hint(name: str, names: list[str], label: str = "known") -> str:
    """``; did you mean 'x'?`` for a close name, else ``; known: a, b, c`` (at most a few), or nothing."""
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    if not names:
        return ""
    return f"; {label}: " + ", ".join(names[:SHOWN_NAMES]) + (", …" if len(names) > SHOWN_NAMES else "")
