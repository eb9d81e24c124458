"""The build report: what was built, reused from cache, or failed, and how long it took.

Written as JSON beside the site (never inside it: timings would break byte-identical
builds) and summarised in one console line. Warnings (a dependency set with unmet
peer dependencies) are logged once per set and never fail a build, not even with
``--strict``: they go to the ``mkdocs_hybrid`` logger, outside MkDocs' own.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs_hybrid.model.durable import write_atomic
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.words import counted

if TYPE_CHECKING:
    from mkdocs_hybrid.bundle.dependencies import InstalledSet, UnmetPeer
    from mkdocs_hybrid.media.stage import MediaOutcome

REPORT_FORMAT = "mkdocs-hybrid/report@1"
log = logging.getLogger(__name__)


@dataclass
class PeerWarning:
    """One dependency set installed with unmet peers (as browser bundlers do) and the versions using it."""

    dependencies: dict[str, str]
    unmet_peers: tuple[UnmetPeer, ...]
    versions: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return ("unmet peer dependencies, installed anyway as browser bundlers do: "
                + "; ".join(peer.describe() for peer in self.unmet_peers))

    @property
    def sort_key(self) -> list[tuple[str, str]]:
        return sorted(self.dependencies.items())

    def to_dict(self) -> dict[str, object]:
        return {"kind": "unmet-peers", "message": self.message, "dependencies": dict(sorted(self.dependencies.items())),
                "unmet_peers": [peer.to_dict() for peer in self.unmet_peers], "versions": sorted(self.versions)}


@dataclass
class BuildReport:
    """Outcome of one export run."""

    esbuild_version: str = ""
    sandbox: bool = False
    """Whether esbuild ran in its sandbox (see ``confinement.py``); the metafile check applies either way."""
    built: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Published versions served from the ledger's bytes (not from this build's output)."""
    failed: list[SnapshotError] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    threads: int = 0
    warnings: dict[str, PeerWarning] = field(default_factory=dict)
    """Dependency sets with unmet peers, by set key: one warning per set, however many versions use it."""
    media_made: list[str] = field(default_factory=list)
    media_cached: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    """One line each: media the machine cannot make (said once), captures that failed (the version is
    published without a poster)."""
    unchanged: int = 0
    """Versions of a build that changed nothing: its inputs and site were as the last build left them, so it
    returned that build's result (``whole_build.py``); nothing was built, cached or checked one by one."""

    def note_media(self, outcome: MediaOutcome, notices: list[str]) -> None:
        """Record the media stage: rejected attached videos fail their version (it is still published)."""
        self.media_made.extend(outcome.made)
        self.media_cached.extend(outcome.cached)
        self.failed.extend(outcome.errors)
        for line in [*notices, *outcome.warnings]:
            self.notices.append(line)
            log.warning("mkdocs-hybrid: warning: %s", line)

    @property
    def ok(self) -> bool:
        return not self.failed

    def warn_unmet_peers(self, deps: InstalledSet, ref: str) -> None:
        """Note that ``ref`` uses a set with unmet peers; the first version of a set logs the warning."""
        warning = self.warnings.get(deps.key)
        if warning is None:
            warning = self.warnings[deps.key] = PeerWarning(dict(deps.direct), deps.unmet_peers)
            log.warning("mkdocs-hybrid: warning: %s (first used by %s)", warning.message, ref)
        if ref not in warning.versions:
            warning.versions.append(ref)

    def summary(self) -> str:
        """One line for the console."""
        total = sum(self.timings.values())
        line = (f"{len(self.built)} built, {len(self.cached)} cached, {len(self.failed)} failed "
                f"({counted(self.threads, 'thread')}) in {total:.1f} s")
        if self.unchanged:
            line = (f"nothing changed since the last build: {counted(self.unchanged, 'version')} kept "
                    f"({counted(self.threads, 'thread')}) in {total:.1f} s")
        line += f"; {len(self.kept)} kept as published" if self.kept else ""
        if self.media_made or self.media_cached:
            line += f"; media: {len(self.media_made)} made, {len(self.media_cached)} cached"
        for notice in self.notices:
            line += f"; {notice}"
        for warning in sorted(self.warnings.values(), key=lambda w: w.sort_key):
            line += f"; warning: {warning.message} ({counted(len(warning.versions), 'version')})"
        return line if self.ok else line + "; failures: " + ", ".join(e.ref for e in self.failed)

    def to_dict(self) -> dict[str, object]:
        return {
            "format": REPORT_FORMAT,
            "esbuild": self.esbuild_version,
            "sandbox": self.sandbox,
            "counts": {"built": len(self.built), "cached": len(self.cached), "failed": len(self.failed),
                       "kept": len(self.kept), "threads": self.threads, "unchanged": self.unchanged},
            "built": sorted(self.built),
            "cached": sorted(self.cached),
            "kept": sorted(self.kept),
            "failed": [{"ref": e.ref, "thread": e.thread, "version": e.version, "path": e.path, "error": e.detail}
                       for e in sorted(self.failed, key=lambda e: (e.ref, str(e)))],
            "timings": {name: round(seconds, 3) for name, seconds in self.timings.items()},
            "warnings": [w.to_dict() for w in sorted(self.warnings.values(), key=lambda w: w.sort_key)],
            "media": {"made": sorted(self.media_made), "cached": sorted(self.media_cached), "notices": self.notices},
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(self.to_dict(), indent=2) + "\n")
