"""Small helpers that lay out snapshot sources on disk for tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import yaml

from mkdocs_hybrid.manifest import Manifest, parse_manifest

REPO = Path(__file__).resolve().parent.parent


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``{"relative/path": contents}`` under ``root``."""
    for name, contents in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(contents, bytes):
            path.write_bytes(contents)
        else:
            path.write_text(contents, encoding="utf-8")
    return root


def snapshot_json(thread: str, version: str, files: Mapping[str, str], **extra: object) -> str:
    return json.dumps({"format": "mkdocs-hybrid/snapshot@1", "thread": thread, "version": version,
                       "files": dict(files), **extra})


def manifest_for(project: Path, *, directory: str | None = "demos", snapshots: str | None = None,
                 **build: object) -> Manifest:
    """A manifest reading ``project/demos`` (and ``project/exports``), caching under ``project``."""
    sources = []
    if directory:
        (project / directory).mkdir(parents=True, exist_ok=True)
        sources.append({"type": "directory", "path": directory})
    if snapshots:
        (project / snapshots).mkdir(parents=True, exist_ok=True)
        sources.append({"type": "snapshots", "path": snapshots})
    data = {"sources": sources, "build": {"cache_dir": ".cache", **build}}
    (project / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return parse_manifest(data, base_dir=project, origin=str(project / "hybrid.yml"))
