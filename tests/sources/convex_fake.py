"""A Convex deployment in Python for the source's failure tests (httpx.MockTransport): version documents as
``convex/schema.ts`` stores them, ``versions:listForBuild`` paged with an opaque cursor, storage URLs, and a
queue of answers to give first (a 429, a 503, garbage). The real functions run in tests/convex_standin."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import yaml

from mkdocs_hybrid.config.manifest import Manifest, load_manifest
from mkdocs_hybrid.sources._convex_docs import canonical_sha256
from tests.factory import write_tree

if TYPE_CHECKING:
    from mkdocs_hybrid.sources.scan import Scan

URL = "https://happy-otter-123.convex.cloud"
KEY = "prod:happy-otter-123|secret"


def version_doc(thread: str, version: str, files: dict[str, str | bytes] | None = None, *,
                dependencies: dict[str, str] | None = None, seq: int = 1, **extra: object) -> dict[str, Any]:
    """A version document as listForBuild answers it (binary files get a storage URL on the fake)."""
    files = files if files is not None else {"index.html": f"<h1>{thread} {version}</h1>"}
    entries: list[dict[str, Any]] = []
    for path, contents in files.items():
        if isinstance(contents, bytes):
            digest = hashlib.sha256(contents).hexdigest()
            entries.append({"path": path, "storageId": f"kg{digest[:20]}", "sha256": digest, "size": len(contents),
                            "contentType": "image/png", "url": f"{URL}/api/storage/{digest}"})
        else:
            entries.append({"path": path, "text": contents})
    doc: dict[str, Any] = {
        "_id": f"j{thread}{version}", "_creationTime": 1_767_000_000_000.0 + seq, "thread": thread,
        "version": version, "seq": seq, "created": 1_767_000_000_000 + seq * 1000, "author": "issuer|alice",
        "authorName": "Alice", "title": f"{thread} {version}", "entry": "", "unlisted": False, "files": entries,
        "dependencies": [{"name": name, "spec": spec} for name, spec in (dependencies or {}).items()],
        "threadInfo": {"title": f"Thread {thread}", "description": None, "tags": ["demo"], "latest": None,
                       "unlisted": False},
        **extra}
    doc.setdefault("sha256", canonical_sha256(doc))  # what versions:save computes (checked against it in
    return doc                                        # test_convex_source_standin.py)


def integer(value: int) -> dict[str, str]:
    """An int64 as Convex's JSON format writes it."""
    return {"$integer": base64.b64encode(value.to_bytes(8, "little", signed=True)).decode()}


@dataclass
class FakeConvex:
    """The deployment: ``versions`` in creation order, ``blobs`` by sha256, ``ahead`` answers given first."""

    versions: list[dict[str, Any]] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    ahead: list[Callable[[httpx.Request], httpx.Response]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    served: int = 0
    """Version documents answered in pages (what the source had to look at)."""

    def add(self, thread: str, version: str, files: dict[str, str | bytes] | None = None,
            **extra: Any) -> dict[str, Any]:
        """Save a version (its binary files go to storage)."""
        doc = version_doc(thread, version, files, seq=len(self.versions) + 1, **extra)
        self.versions.append(doc)
        for contents in (files or {}).values():
            if isinstance(contents, bytes):
                self.blobs[hashlib.sha256(contents).hexdigest()] = contents
        return doc

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def queries(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/api/query"]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.ahead:
            return self.ahead.pop(0)(request)
        if request.url.path.startswith("/api/storage/"):
            return self.storage(request)
        if request.headers.get("Authorization") != f"Convex {KEY}":
            return httpx.Response(401, json={"code": "InvalidAuthHeader", "message": "bad admin key"})
        body = json.loads(request.content)
        assert body["path"] == "versions:listForBuild" and body["format"] == "json"
        options = body["args"]["paginationOpts"]
        if not str(options["cursor"] or 0).isdigit():
            return httpx.Response(560, json={"status": "error", "logLines": [], "errorMessage": (
                "InvalidCursor: Tried to run a query starting from a cursor, but it looks like this cursor is from "
                "a different query.")})
        start = int(options["cursor"] or 0)
        page = self.versions[start:start + options["numItems"]]
        self.served += len(page)
        end = start + len(page)
        return httpx.Response(200, json={"status": "success", "logLines": [], "value": {
            "page": page, "isDone": end >= len(self.versions), "continueCursor": str(end)}})

    def storage(self, request: httpx.Request) -> httpx.Response:
        assert "Authorization" not in request.headers  # the deploy key never goes with a download
        data = self.blobs.get(request.url.path.rsplit("/", 1)[1])
        return httpx.Response(404) if data is None else httpx.Response(200, content=data)


def project_beside(tmp_path: Path, source: dict[str, object]) -> Manifest:
    """A site reading a folder of demos (one good version, ``local/v1``) and ``source``."""
    write_tree(tmp_path / "demos" / "local" / "v1", {"index.html": "<h1>local</h1>"})
    data = {"sources": [{"type": "directory", "path": "demos"}, source], "build": {"cache_dir": ".cache"}}
    (tmp_path / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_manifest(tmp_path / "hybrid.yml")


def refs(scan: Scan) -> list[str]:
    return [snapshot.ref for snapshot in scan.snapshots]


def lines(scan: Scan) -> list[str]:
    return [str(error) for error in scan.errors]
