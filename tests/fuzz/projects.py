"""A small project on disk for the fuzz tests: good snapshots beside the one under attack, and its scan."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mkdocs_hybrid.config.manifest import load_manifest
from mkdocs_hybrid.sources.scan import scan_sources
from tests.factory import snapshot_json, write_tree

GOOD_JS = "document.body.textContent = 'good';\n"
GOOD = {
    "demos/good/v1/index.js": GOOD_JS,
    "demos/fuzz/v0/index.js": GOOD_JS,
    "exports/a-good.json": snapshot_json("good-json", "v1", {"index.js": GOOD_JS}),
    "outside/secret.txt": "not a snapshot's\n",
    "outside/t/v1/index.js": GOOD_JS,
}
GOOD_REFS = {"good/v1", "fuzz/v0", "good-json/v1"}
MANIFEST = {"sources": [{"type": "directory", "path": "demos"}, {"type": "snapshots", "path": "exports"}],
            "build": {"cache_dir": ".cache"}}


@contextmanager
def project() -> Iterator[Path]:
    """A fresh project folder (examples cannot share pytest's function-scoped ``tmp_path``)."""
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        root = Path(folder) / "project"
        write_tree(root, GOOD)
        (root / "hybrid.yml").write_text(yaml.safe_dump(MANIFEST), encoding="utf-8")
        yield root


@dataclass(frozen=True)
class ScanResult:
    refs: frozenset[str]
    origins: tuple[str, ...]
    errors: tuple[str, ...]
    error_refs: tuple[str, ...]
    cache_dir: str


def scan_project(manifest_path: Path) -> ScanResult:
    """What ``mkdocs-hybrid check`` does (the manifest, then every source), as plain data for the parent."""
    manifest = load_manifest(manifest_path)
    scan = scan_sources(manifest)
    return ScanResult(frozenset(s.ref for s in scan.snapshots), tuple(s.origin for s in scan.snapshots),
                      tuple(str(e) for e in scan.errors), tuple(e.ref for e in scan.errors), str(manifest.cache_dir))


def make_entry(path: Path, kind: str) -> None:
    """A special entry in a snapshot: a FIFO, or a symlink to a file/folder outside, a device, itself, nowhere."""
    targets: dict[str, Any] = {
        "link-outside-file": "../../../outside/secret.txt", "link-outside-dir": "../../../outside",
        "link-device": "/dev/zero", "link-loop": path.name, "link-dangling": "nowhere/at/all",
        "link-proc": "/proc/self/environ", "link-inside": "index.js",
    }
    if kind == "fifo":
        os.mkfifo(path)
    else:
        os.symlink(targets[kind], path)


SPECIAL_KINDS = ("fifo", "link-outside-file", "link-outside-dir", "link-device", "link-loop", "link-dangling",
                 "link-proc", "link-inside")
