"""The build report: what was built, reused from cache, or failed, and how long it took.

Written as JSON beside the site (never inside it: timings would break byte-identical
builds) and summarised in one console line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs_hybrid.errors import SnapshotError

REPORT_FORMAT = "mkdocs-hybrid/report@1"


@dataclass
class BuildReport:
    """Outcome of one export run."""

    esbuild_version: str = ""
    built: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Published versions served from the ledger's bytes (not from this build's output)."""
    failed: list[SnapshotError] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    threads: int = 0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        """One line for the console."""
        total = sum(self.timings.values())
        line = (f"{len(self.built)} built, {len(self.cached)} cached, {len(self.failed)} failed "
                f"({self.threads} threads) in {total:.1f} s")
        line += f"; {len(self.kept)} kept as published" if self.kept else ""
        return line if self.ok else line + "; failures: " + ", ".join(e.ref for e in self.failed)

    def to_dict(self) -> dict[str, object]:
        return {
            "format": REPORT_FORMAT,
            "esbuild": self.esbuild_version,
            "counts": {"built": len(self.built), "cached": len(self.cached), "failed": len(self.failed),
                       "kept": len(self.kept), "threads": self.threads},
            "built": sorted(self.built),
            "cached": sorted(self.cached),
            "kept": sorted(self.kept),
            "failed": [{"ref": e.ref, "thread": e.thread, "version": e.version, "path": e.path, "error": e.detail}
                       for e in sorted(self.failed, key=lambda e: (e.ref, str(e)))],
            "timings": {name: round(seconds, 3) for name, seconds in self.timings.items()},
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
