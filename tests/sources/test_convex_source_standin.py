"""The ``convex`` source against the shipped ``convex/`` functions (the stand-in, tests/convex_standin): what
``versions:save`` stores is what the build reads, 10,000 versions are read in pages once and then only what is
new, and a binary file uploaded through Convex storage reaches the snapshot byte for byte."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from mkdocs_hybrid.config.manifest import Manifest, load_manifest
from mkdocs_hybrid.sources import _convex_docs
from mkdocs_hybrid.sources.convex import CONVEX
from mkdocs_hybrid.sources.scan import scan_sources
from tests.convex_standin.fixture import SHIPPED_FUNCTIONS, ConvexStandin, run_standin
from tests.factory import cli_env, run_cli, write_tree

SEEDING = Path(__file__).resolve().parent / "convex_seeding" / "seeding.ts"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3


class Counting(httpx.BaseTransport):
    """The real network, with every request counted."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)

    def queries(self) -> int:
        count = sum(1 for r in self.requests if r.url.path == "/api/query")
        self.requests.clear()
        return count


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch, convex_standin: ConvexStandin) -> Iterator[Counting]:
    transport = Counting()
    monkeypatch.setattr(CONVEX, "transport", transport)
    monkeypatch.setenv("CONVEX_DEPLOY_KEY", convex_standin.deploy_key)
    yield transport


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The versions the scan read and validated (not rebuilt from the source index)."""
    found: list[str] = []
    real = _convex_docs.read_mirrored
    monkeypatch.setattr(_convex_docs, "read_mirrored", lambda *args: found.append(f"{args[2]}/{args[3]}") or
                        real(*args))
    return found


def project(tmp_path: Path, standin: ConvexStandin, **convex: object) -> Manifest:
    data = {"sources": [{"type": "convex", "url": standin.url, **convex}], "build": {"cache_dir": ".cache"}}
    (tmp_path / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_manifest(tmp_path / "hybrid.yml")


def test_a_saved_version_is_built_with_its_thread_and_the_sha256_the_function_gave_it(
        tmp_path: Path, convex_standin: ConvexStandin, counting: Counting) -> None:
    token = convex_standin.token("alice", name="Alice")
    saved = convex_standin.mutation("versions:save", {
        "thread": "greeting", "title": "Hello", "threadTitle": "Greetings", "description": "a first demo",
        "tags": ["intro"], "dependencies": {"react": "18.3.1"},
        "files": [{"path": "src/index.jsx", "text": "import React from 'react';\nexport default 1;\n"},
                  {"path": "notes/é ü.txt", "text": "tab\there \"quoted\" \u2028 \x01 \U0001f600"}]}, token=token)
    scan = scan_sources(project(tmp_path, convex_standin))
    assert [str(e) for e in scan.errors] == []
    (snapshot,) = [s for s in scan.snapshots if s.thread == "greeting"]
    assert (snapshot.version, snapshot.title, snapshot.author, snapshot.entry, dict(snapshot.dependencies)) == (
        saved["version"], "Hello", "Alice", "src/index.jsx", {"react": "18.3.1"})
    assert snapshot.files["notes/é ü.txt"] == "tab\there \"quoted\" \u2028 \x01 \U0001f600".encode()
    thread = scan.threads["greeting"]
    assert (thread.title, thread.description, thread.tags) == ("Greetings", "a first demo", ("intro",))
    assert counting.queries() == 1  # and Python's canonical sha256 agreed with the function's (else: refused)


def test_an_image_uploaded_to_convex_storage_is_built_byte_for_byte(tmp_path: Path, convex_standin: ConvexStandin,
                                                                   counting: Counting) -> None:
    token = convex_standin.token("bob", name="Bob")
    upload_url = convex_standin.mutation("files:generateUploadUrl", {}, token=token)
    storage_id = httpx.post(upload_url, content=PNG, headers={"Content-Type": "image/png"}).json()["storageId"]
    convex_standin.mutation("versions:save", {"thread": "pictures", "files": [
        {"path": "index.html", "text": '<img src="cat.png">'}, {"path": "cat.png", "storageId": storage_id}]},
        token=token)
    scan = scan_sources(project(tmp_path, convex_standin))
    assert [str(e) for e in scan.errors] == []
    (snapshot,) = [s for s in scan.snapshots if s.thread == "pictures"]
    assert snapshot.files["cat.png"] == PNG


@pytest.fixture
def seedable(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConvexStandin]:
    """A stand-in of its own running the shipped functions plus the test-only seeding module."""
    functions = tmp_path_factory.mktemp("functions") / "convex"
    shutil.copytree(SHIPPED_FUNCTIONS, functions, ignore=shutil.ignore_patterns("node_modules", "*.test.ts"))
    shutil.copy(SEEDING, functions / "seeding.ts")
    with run_standin(functions) as standin:
        monkeypatch.setenv("CONVEX_DEPLOY_KEY", standin.deploy_key)
        yield standin


def seed(standin: ConvexStandin, first: int, count: int) -> None:
    for start in range(first, first + count, 1000):
        standin.mutation("seeding:insertVersions", {"thread": "many", "first": start,
                                                    "count": min(1000, first + count - start)}, admin=True)


def test_ten_thousand_versions_are_read_in_pages_then_none_then_only_the_ten_added(
        tmp_path: Path, seedable: ConvexStandin, monkeypatch: pytest.MonkeyPatch, parsed: list[str]) -> None:
    counting = Counting()
    monkeypatch.setattr(CONVEX, "transport", counting)
    seed(seedable, 1, 10_000)
    manifest = project(tmp_path, seedable)
    started = time.monotonic()
    first = scan_sources(manifest)
    first_seconds = time.monotonic() - started
    assert len(first.snapshots) == 10_000 and [str(e) for e in first.errors] == []
    assert counting.queries() == 20  # 500 a page
    assert len(parsed) == 10_000
    parsed.clear()
    started = time.monotonic()
    again = scan_sources(manifest)
    again_seconds = time.monotonic() - started
    assert (counting.queries(), parsed, len(again.snapshots)) == (1, [], 10_000)
    seed(seedable, 10_001, 10)
    more = scan_sources(manifest)
    assert counting.queries() == 2  # the last page seen (its 500 kept, skipped) and the one after it
    assert parsed == [f"many/v{n}" for n in range(10_001, 10_011)]
    assert len(more.snapshots) == 10_010
    print(f"10,000 versions: first read {first_seconds:.1f} s, next read {again_seconds:.2f} s")


def test_check_prints_a_refused_key_as_one_line_and_still_checks_the_other_sources(
        tmp_path: Path, convex_standin: ConvexStandin) -> None:
    write_tree(tmp_path / "demos" / "local" / "v1", {"index.html": "<h1>local</h1>"})
    data = {"sources": [{"type": "directory", "path": "demos"}, {"type": "convex", "url": convex_standin.url,
                                                                 "key_env": "NIGHTLY_KEY"}]}
    (tmp_path / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    refused = run_cli("check", cwd=tmp_path, env=cli_env(NIGHTLY_KEY="dev:standin|not-the-key"))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert [line for line in refused.stderr.splitlines() if not line.startswith("bundling: ")] == [
        f"error ?: {convex_standin.url}: the deploy key in NIGHTLY_KEY was refused (HTTP 401 BadAdminKey: "
        "The provided admin key was invalid for this instance); set NIGHTLY_KEY to a deploy key of this "
        "deployment (Convex dashboard, Settings)"]
    assert refused.stdout.startswith("1 snapshot in 1 thread, 1 error")
    accepted = run_cli("check", cwd=tmp_path, env=cli_env(NIGHTLY_KEY=convex_standin.deploy_key))
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.startswith("3 snapshots in 3 threads")  # local, greeting and pictures (saved above)
