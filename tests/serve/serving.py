"""Start the real ``mkdocs-hybrid serve`` in a project and talk to it as the editor does (httpx)."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.factory import CLI, cli_env

START_TIMEOUT = 180.0
EDITOR_LINE = re.compile(r"Editor: (http://([0-9.]+):(\d+))/editor/#token=(\S+)")
LIMITS = {"max_file_bytes": 8192, "max_snapshot_bytes": 65536, "max_files": 20}
"""Small limits for test projects (the sample fits), so the oversize cases stay small and fast."""


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    project: Path
    base_url: str
    host: str
    token: str
    log_path: Path

    def client(self, *, token: str | None = None, headers: Mapping[str, str] | None = None) -> httpx.Client:
        sent = {"X-Hybrid-Token": self.token if token is None else token, **(headers or {})}
        if token == "":
            del sent["X-Hybrid-Token"]
        return httpx.Client(base_url=self.base_url, headers=sent, timeout=120)

    def post(self, path: str, payload: Any) -> httpx.Response:
        with self.client() as client:
            return client.post(path, json=payload)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start(project: Path, *args: str) -> Served:
    """Run ``mkdocs-hybrid serve --port 0 ARGS`` in ``project``; wait for its editor URL."""
    log_path = project.parent / f"serve-{project.name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([*CLI, "serve", "--port", "0", *args], cwd=project, env=cli_env(),
                                   stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        found = EDITOR_LINE.search(log_path.read_text(encoding="utf-8", errors="replace"))
        if found:
            return Served(process, project, found.group(1), found.group(2), found.group(4), log_path)
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"serve did not start:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.1)


def stop(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()


@contextmanager
def serving(project: Path, *args: str) -> Iterator[Served]:
    served = start(project, *args)
    try:
        yield served
    finally:
        stop(served)


def store_rows(project: Path, name: str = "editor.sqlite") -> list[tuple[str, str]]:
    """The (thread, version) rows of the project's store ([] when the file does not exist)."""
    path = project / name
    if not path.is_file():
        return []
    db = sqlite3.connect(path)
    try:
        return list(db.execute("SELECT thread, version FROM versions ORDER BY thread, version"))
    finally:
        db.close()


def snapshot(thread: str, version: str, files: Mapping[str, str], **extra: object) -> dict[str, Any]:
    return {"format": "mkdocs-hybrid/snapshot@1", "thread": thread, "version": version, "files": dict(files),
            **extra}
