"""Small helpers that lay out snapshot sources on disk for tests."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Mapping
from pathlib import Path

import yaml

from mkdocs_hybrid.config.manifest import Manifest, parse_manifest

REPO = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from mkdocs_hybrid.cli import main; main()"]
"""The ``mkdocs-hybrid`` command of this checkout, whatever copy pip installed."""


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for :data:`CLI`: this checkout first on the path, no Cloudflare credentials unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}
    return {**env, "PYTHONPATH": str(REPO), **extra}


def run_cli(*args: str, cwd: Path, env: Mapping[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``mkdocs-hybrid ARGS`` as a user would, capturing its output."""
    return subprocess.run([*CLI, *args], cwd=cwd, env=dict(env or cli_env()), capture_output=True, text=True,
                          timeout=timeout)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root``: relative path -> bytes (to compare whole sites)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def ledger_rows(project: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of the project's publish ledger (``build.ledger``'s default path)."""
    db = sqlite3.connect(project / ".mkdocs-hybrid" / "ledger.sqlite")
    try:
        return list(db.execute(sql))
    finally:
        db.close()


def free_port() -> int:
    """A port the OS just reported free on 127.0.0.1 (a small race with other processes is accepted)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


def build_standalone(project: Path, **sections: object) -> Path:
    """Build ``project/demos`` into ``project/site`` with the standalone gallery and no ledger, the manifest
    given extra ``sections`` (``editor=``, ``deploy=``, ``video=``); the build must not fail."""
    from mkdocs_hybrid.pipeline import Export
    from mkdocs_hybrid.publish.site import SitePages

    manifest_for(project)
    data = {**yaml.safe_load((project / "hybrid.yml").read_text(encoding="utf-8")), **sections}
    (project / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    export = Export(parse_manifest(data, base_dir=project, origin=str(project / "hybrid.yml")), ledger=False,
                    pages=SitePages(standalone_gallery=True))
    export.run(project / "site")
    assert export.report.ok, export.report.failed
    return project / "site"


def extract_tar(tar: tarfile.TarFile, target: Path) -> None:
    """Unpack ``tar`` into ``target``, refusing anything but files and folders inside it: ``filter="data"`` where
    Python has it (3.11.4 and later), the same check by hand on Debian 12's Python 3.11.2."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(target, filter="data")
        return
    for member in tar.getmembers():
        parts = Path(member.name).parts
        assert (member.isfile() or member.isdir()) and not Path(member.name).is_absolute() and ".." not in parts, \
            f"{member.name}: not a plain file or folder inside the archive"
    tar.extractall(target)  # every member checked above

