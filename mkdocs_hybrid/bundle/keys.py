"""Cache keys of the build: everything that changes esbuild's output, and nothing else.

A bundle is reused while its key is the same (``bundles.sqlite``), so a key must cover every input that
changes the bytes: the snapshot's files and entry, its resolved packages, its vendor file, esbuild's
version and flags. ``KEY_FORMAT`` changes when the way snapshots are laid out for esbuild changes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from mkdocs_hybrid.bundle.bundler import BundleJob
from mkdocs_hybrid.bundle.dependencies import InstalledSet
from mkdocs_hybrid.bundle.flags import esbuild_flags
from mkdocs_hybrid.bundle.toolchain import Toolchain
from mkdocs_hybrid.config.manifest import Manifest
from mkdocs_hybrid.model.snapshot import Snapshot

__all__ = ["KEY_FORMAT", "bundle_key", "imports_key", "toolchain_inputs"]

KEY_FORMAT = 3
"""2: snapshots are laid out with a tsconfig mapping a leading "/" to their root; package CSS is bundled.
3: vendor shims are copied into the build root (``bundler.SHIMS_FOLDER``), so unminified bundles name them by
the same path on every machine and in the editor (minified bytes are unchanged)."""


def toolchain_inputs(toolchain: Toolchain, manifest: Manifest) -> dict[str, Any]:
    """The part of every bundle key that is the same for all snapshots of a build: esbuild and its flags."""
    return {"format": KEY_FORMAT, "esbuild": toolchain.version, "flags": esbuild_flags(manifest.build)}


def imports_key(snapshot: Snapshot, deps: InstalledSet, toolchain_inputs: dict[str, Any]) -> str:
    """Everything that changes which bare imports esbuild finds in a snapshot."""
    inputs = {**toolchain_inputs, "scan": "bare-imports", "entry": snapshot.entry,
              "files": dict(sorted(snapshot.digests.items())), "packages": dict(deps.packages) or dict(deps.direct)}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def bundle_key(job: BundleJob, toolchain_inputs: dict[str, Any]) -> str:
    """Everything that changes esbuild's output: files, entry, dependencies, esbuild and its flags."""
    snapshot = job.snapshot
    inputs = {
        **toolchain_inputs,
        "entry": snapshot.entry,
        "files": dict(sorted(snapshot.digests.items())),
        "packages": dict(job.deps.packages) or dict(job.deps.direct),
        "vendor": job.vendor.name if job.vendor else None,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
