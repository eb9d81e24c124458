"""A publisher killed with ``kill -9`` mid-publication: no share link ever answers a part of a version, and the
next run finishes the job.

The local S3 server (moto's S3 application under werkzeug, in this process) holds every PUT of a page for a
moment, so the kill lands for certain after the version's artifacts are stored and before its share page is.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.moto_server.werkzeug_app import create_backend_app
from werkzeug.serving import make_server

from tests.deploy.test_r2 import dummy_credentials, fresh_bucket  # noqa: F401 (fixtures)
from tests.factory import write_tree
from tests.live.test_publish_version import SITE_URL, objects, project

PAGE_PUT_SECONDS = 3.0
V2 = {"demos/t/v2/index.js": "document.body.textContent = 'second';\n",
      "demos/t/v2/snapshot.yml": "title: Second\ncreated: '2026-01-02T00:00:00Z'\n"}
CLI = [sys.executable, "-c", "from mkdocs_hybrid.cli import main; main()"]


class SlowPages:
    """WSGI middleware: a PUT of a page object (``p/...``, ``gallery/...``) waits before moto stores it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.slow = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if self.slow.is_set() and environ["REQUEST_METHOD"] == "PUT" and ("/p/" in path or "/gallery/" in path):
            time.sleep(PAGE_PUT_SECONDS)
        result: Iterable[bytes] = self.app(environ, start_response)
        return result


def kill_while_a_page_is_held(command: list[str], cwd: Path, app: SlowPages, stored: Callable[[], bool],
                              env: Mapping[str, str] | None = None) -> None:
    """Run ``command`` with page PUTs held, wait until ``stored()`` (its artifacts are up), then ``kill -9`` it
    while a page's PUT is held."""
    app.slow.set()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not stored():
            assert process.poll() is None and time.monotonic() < deadline, "it never stored the version's files"
            time.sleep(0.05)
        time.sleep(0.5)  # its page's PUT is now held
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    app.slow.clear()


@pytest.fixture
def slow_s3() -> Iterator[tuple[str, SlowPages]]:
    app = SlowPages(create_backend_app("s3"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()


def test_a_publisher_killed_mid_publication_never_serves_part_of_a_version_and_the_next_run_finishes_it(
        slow_s3: tuple[str, SlowPages], tmp_path: Path) -> None:
    endpoint, app = slow_s3
    bucket = fresh_bucket(endpoint)
    root = project(tmp_path, endpoint, bucket)
    run = [*CLI, "publish-version", "t", "--site-url", SITE_URL, "--no-media"]
    assert subprocess.run(run, cwd=root, capture_output=True, timeout=300).returncode == 0
    write_tree(root, V2)
    kill_while_a_page_is_held(run, root, app, lambda: "artifacts/t/v2/page.html" in objects(endpoint, bucket))
    cut = objects(endpoint, bucket)
    assert "artifacts/t/v2/page.html" in cut and "p/t/v2/index.html" not in cut  # the share link answers 404
    assert latest_page_version(endpoint, bucket) == "v1"  # latest never leads to a version not whole online

    finished = subprocess.run([*CLI, "worker", "--site-url", SITE_URL, "--no-media", "--settle", "0"], cwd=root,
                              capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "published t (latest v2)" in finished.stderr
    after = objects(endpoint, bucket)
    assert "p/t/v2/index.html" in after and latest_page_version(endpoint, bucket) == "v2"
    assert all(after[key] == etag for key, etag in cut.items() if key.startswith("artifacts/t/v2/"))


def latest_page_version(endpoint: str, bucket: str) -> str:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="auto")
    page = client.get_object(Bucket=bucket, Key="p/t/latest/index.html")["Body"].read().decode()
    return page.split('name="mkdocs-hybrid-latest" content="', 1)[1].split('"', 1)[0]


def test_a_publication_killed_on_a_runner_that_is_then_gone_is_finished_by_a_fresh_runner(
        slow_s3: tuple[str, SlowPages], tmp_path: Path) -> None:
    endpoint, app = slow_s3
    bucket, ledger_bucket = fresh_bucket(endpoint), fresh_bucket(endpoint)
    first = project(tmp_path / "runner-1", endpoint, bucket, ledger_bucket=ledger_bucket)
    run = [*CLI, "publish-version", "t", "--site-url", SITE_URL, "--no-media"]
    assert subprocess.run(run, cwd=first, capture_output=True, timeout=300).returncode == 0
    write_tree(first, V2)
    kill_while_a_page_is_held(run, first, app, lambda: "artifacts/t/v2/page.html" in objects(endpoint, bucket))
    assert "p/t/v2/index.html" not in objects(endpoint, bucket)
    assert "mkdocs-hybrid/pending/t" in objects(endpoint, ledger_bucket)

    fresh = project(tmp_path / "runner-2", endpoint, bucket, ledger_bucket=ledger_bucket)  # no cache, no ledger
    write_tree(fresh, V2)
    finished = subprocess.run([*CLI, "worker", "--site-url", SITE_URL, "--no-media", "--settle", "0"], cwd=fresh,
                              capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "published t (latest v2)" in finished.stderr
    assert "p/t/v2/index.html" in objects(endpoint, bucket) and latest_page_version(endpoint, bucket) == "v2"
    assert "mkdocs-hybrid/pending/t" not in objects(endpoint, ledger_bucket)
