"""``mkdocs-hybrid worker``: every new version of the sources goes online without a site deploy, as it is saved.

The same real r2-mode project and local S3 server (moto) as ``test_publish_version.py``; the follower's clock is
injected where a test needs a folder version to be "still being written".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mkdocs_hybrid.cli import main
from mkdocs_hybrid.config.manifest import load_manifest
from mkdocs_hybrid.live.follow import Follower
from mkdocs_hybrid.live.publisher import LivePublisher, live_work_dir
from tests.deploy.test_r2 import dummy_credentials, fresh_bucket, s3_endpoint  # noqa: F401 (fixtures)
from tests.factory import write_tree
from tests.live.test_publish_version import SITE_URL, objects, project, text

V2 = {"demos/t/v2/index.js": "document.body.textContent = 'second';\n",
      "demos/t/v2/snapshot.yml": "title: Second\ncreated: '2026-01-02T00:00:00Z'\n"}


def follower(root: Path, *, clock: float | None = None, settle: float = 1.0) -> tuple[Follower, list[str]]:
    lines: list[str] = []
    manifest = load_manifest(root / "hybrid.yml")
    publisher = LivePublisher(manifest, site_url=SITE_URL, work_dir=live_work_dir(manifest), media=False)
    now = (lambda: clock) if clock is not None else time.time
    return Follower(publisher, settle=settle, clock=now, report=lines.append), lines


def test_one_poll_publishes_every_new_thread_and_the_next_finds_nothing(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket)
    write_tree(root, {"demos/u/v1/index.js": "document.body.textContent = 'other';\n"})
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["worker", "--site-url", SITE_URL, "--no-media", "--settle", "0"])
    assert result.exit_code == 0, result.output
    assert {"p/t/v1/index.html", "p/u/v1/index.html"} <= set(objects(s3_endpoint, bucket))
    result = CliRunner().invoke(main, ["worker", "--site-url", SITE_URL, "--no-media", "--settle", "0"])
    assert result.exit_code == 0 and "nothing new to publish" in result.output


def test_a_folder_version_still_being_written_waits_until_it_settles(
        s3_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket)
    write_tree(root, V2)
    writing, _ = follower(root, clock=time.time(), settle=30.0)
    assert writing.due() == set()  # its files are a moment old: an author or a tool may still be writing it
    later, _ = follower(root, clock=time.time() + 60, settle=30.0)
    assert later.due() == {"t"}
    assert later.poll() is not None and "p/t/v2/index.html" in objects(s3_endpoint, bucket)


def test_a_failing_version_is_reported_once_and_tried_again_only_when_it_changes(
        s3_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket)
    write_tree(root, {**V2, "demos/t/v2/index.js": "import './missing.js';\n"})
    worker, lines = follower(root, clock=time.time() + 60)
    first = worker.poll()
    assert first is not None and [e.ref for e in first.failed] == ["t/v2"]
    assert worker.poll() is None  # nothing new: the broken version is not built again and again
    assert sum("missing.js" in line for line in lines) == 1
    write_tree(root, {"demos/t/v2/index.js": "document.body.textContent = 'fixed';\n"})
    os.utime(root / "demos/t/v2/index.js", (time.time() - 5, time.time() - 5))
    fixed = worker.poll()
    assert fixed is not None and not fixed.failed and fixed.latest("t") == "v2"
    assert "fixed" in text(s3_endpoint, bucket, "artifacts/t/v2/page.html")


def test_a_thread_whose_source_moves_latest_is_published_again(
        s3_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket)
    write_tree(root, V2)
    worker, _ = follower(root, clock=time.time() + 60)
    assert worker.poll() is not None
    assert worker.due() == set()
    write_tree(root, {"demos/t/thread.yml": "latest: v1\n"})
    assert worker.due() == {"t"}
    result = worker.poll()
    assert result is not None and result.latest("t") == "v1"


def test_the_following_worker_publishes_a_saved_version_and_stops_cleanly_on_sigterm(
        s3_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket)
    command = [sys.executable, "-c", "from mkdocs_hybrid.cli import main; main()", "worker", "--follow",
               "--site-url", SITE_URL, "--no-media", "--interval", "0.2", "--settle", "0.3"]
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for(lambda: "p/t/v1/index.html" in objects(s3_endpoint, bucket), process)
        write_tree(root, V2)
        assert wait_for(lambda: "p/t/v2/index.html" in objects(s3_endpoint, bucket), process)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "published t (latest v2)" in output and output.rstrip().endswith("stopped")


def wait_for(condition: object, process: subprocess.Popen[str], timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def test_a_store_that_did_not_change_is_not_listed_again_and_a_save_into_it_is_seen_at_once(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from mkdocs_hybrid.live import follow
    from mkdocs_hybrid.sources.store import SnapshotStore
    from tests.live.test_live_edge import snapshot

    bucket = fresh_bucket(s3_endpoint)
    write_tree(tmp_path, {"hybrid.yml": "sources: [{type: store, path: editor.sqlite}]\nbuild: {cache_dir: .cache}\n"
                                        f"deploy: {{artifacts: r2, artifacts_url: 'https://demos.example.com', "
                                        f"r2_bucket: {bucket}, r2_endpoint_url: '{s3_endpoint}'}}\n"})
    store = SnapshotStore(tmp_path / "editor.sqlite")
    store.save("t", "v1", snapshot("t", "v1"))
    worker, _ = follower(tmp_path)
    listings: list[str] = []
    real_kind_of = follow.kind_of

    class Counting:
        def __init__(self, source: Any) -> None:
            self.kind = real_kind_of(source)

        def watch(self, source: Any) -> Any:
            return self.kind.watch(source)

        def listing(self, source: Any, reading: Any) -> Any:
            listings.append(source.type)
            return self.kind.listing(source, reading)

    monkeypatch.setattr(follow, "kind_of", Counting)
    assert worker.poll() is not None
    for _ in range(3):  # the publication changed the ledger (and closing it checkpoints its WAL): listed again
        assert worker.due() == set()
    before = len(listings)
    assert worker.due() == set() and worker.due() == set()
    assert len(listings) == before  # nothing changed: the store is not listed again
    store.save("t", "v2", snapshot("t", "v2", created="2026-12-02T00:00:00Z"))
    assert worker.due() == {"t"} and len(listings) == before + 1


def test_a_journal_another_publication_is_working_through_is_not_taken_for_a_crashed_one(
        s3_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    import fcntl

    from mkdocs_hybrid.live.publisher import LOCK_FILE, PENDING_FILE

    root = project(tmp_path, s3_endpoint, fresh_bucket(s3_endpoint))
    worker, _ = follower(root)
    work = worker.publisher.work_dir
    work.mkdir(parents=True)
    (work / PENDING_FILE).write_text('["t"]\n')
    with (work / LOCK_FILE).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a pin or publish-version of t under way in another process
        assert worker.publisher.abandoned() == frozenset()
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert worker.publisher.abandoned() == {"t"}  # no one holds it: a publication was cut short
