"""Save -> live, end to end: a version saved into the editor's store while ``mkdocs-hybrid worker --follow`` runs
is served by ``wrangler pages dev`` from its local R2, with no build or deploy of the site.

A real r2-mode project whose source is the SQLite store, built with ``mkdocs-hybrid build`` and split as the deploy
splits it (:func:`~mkdocs_hybrid.deploy._pages.split_site_files`): the Pages part is the folder ``pages dev``
serves (the site's own ``_worker.js``, composed with the S3 stand-in of :mod:`tests.r2_s3`), the store part goes
up with the real :class:`~mkdocs_hybrid.deploy._r2_artifacts.ArtifactStore`. The worker is the command a user
runs, in its own process, publishing through the same stand-in. ``benchmarks/save_to_live.py`` times the same
path on a large site with these helpers.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mkdocs_hybrid.config.manifest import load_manifest
from mkdocs_hybrid.deploy import collect_site_files
from mkdocs_hybrid.deploy._files import SiteFile
from mkdocs_hybrid.deploy._pages import split_site_files
from mkdocs_hybrid.deploy.cloudflare_pages import artifact_store
from mkdocs_hybrid.sources.snapshot_json import SNAPSHOT_FORMAT
from mkdocs_hybrid.sources.store import SnapshotStore
from tests.factory import CLI, cli_env, run_cli
from tests.r2_s3 import CREDENTIALS_ENV, serve_site_with_r2_s3

pytestmark = pytest.mark.wrangler

SITE_URL = "https://gallery.example.com/"
ARTIFACTS_URL = "https://demos.example.com"
BUCKET = "demos"
BUCKETS = {BUCKET: "ARTIFACTS"}
STORE_FILE = "editor.sqlite"
ROUTING_FILES = ("_headers", "_redirects", "_routes.json", "_worker.js")
"""Written by the build, not in the deploy's file list: what the Pages project is configured with."""
POLL_SECONDS = 0.05
LIVE_TIMEOUT = 120.0
"""Only a bound for a stuck worker: the time itself is printed, never asserted."""


# -- the site, as a production team runs it: store source, r2 mode, Pages part + store part -----------------


def snapshot(thread: str, version: str, words: str = "", created: str = "2026-12-01T00:00:00Z") -> dict[str, object]:
    """A small vanilla demo as the editor saves it (snapshot JSON)."""
    text = words or f"{thread} {version}"
    return {"format": SNAPSHOT_FORMAT, "thread": thread, "version": version, "title": f"{thread} at {version}",
            "created": created,
            "files": {"index.js": f"import './style.css';\ndocument.body.textContent = {text!r};\n",
                      "style.css": "body { font: 16px system-ui; margin: 2rem }\n"}}


def store_project(root: Path, versions: Iterable[tuple[str, str]]) -> SnapshotStore:
    """An r2-mode project reading the editor's store, with ``versions`` saved in it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "hybrid.yml").write_text(
        f"sources: [{{type: store, path: {STORE_FILE}}}]\nbuild: {{cache_dir: .cache}}\n"
        f"deploy: {{artifacts: r2, artifacts_url: '{ARTIFACTS_URL}', r2_bucket: {BUCKET}}}\n", encoding="utf-8")
    store = SnapshotStore(root / STORE_FILE)
    for thread, version in versions:
        store.save(thread, version, snapshot(thread, version))
    return store


def build_site(root: Path, *extra: str) -> Path:
    """``mkdocs-hybrid build`` as the nightly job runs it (no media: posters are not what is measured)."""
    built = run_cli("build", "--site-url", SITE_URL, "--no-media", "-q", *extra, cwd=root, timeout=3600)
    assert built.returncode == 0, built.stdout + built.stderr
    return root / "site"


def split_into_pages(site: Path, pages: Path) -> tuple[list[SiteFile], list[SiteFile]]:
    """Copy the Pages part of ``site`` into ``pages`` (what a deploy sends to Pages); return both parts."""
    to_pages, to_store = split_site_files(collect_site_files(site), in_store=True)
    for item in to_pages:
        (pages / item.name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.path, pages / item.name)
    for name in ROUTING_FILES:
        shutil.copyfile(site / name, pages / name)
    return to_pages, to_store


def live_env(endpoint: str) -> dict[str, str]:
    """What the publisher reads: the stand-in's credentials and endpoint (``R2_ENDPOINT_URL``)."""
    return {**CREDENTIALS_ENV, "R2_ENDPOINT_URL": endpoint}


def upload(root: Path, endpoint: str, files: list[SiteFile]) -> list[bool]:
    """The store part through the S3 stand-in with the real ``ArtifactStore``, made as ``deploy`` makes it."""
    manifest = load_manifest(root / "hybrid.yml")
    with pytest.MonkeyPatch.context() as env:
        for name, value in live_env(endpoint).items():
            env.setenv(name, value)
        store = artifact_store(manifest.deploy, SITE_URL)
    return store.publish(store.stage(files))


def start_worker(root: Path, endpoint: str, log: Path, interval: float = 0.2) -> subprocess.Popen[bytes]:
    """``mkdocs-hybrid worker --follow`` in its own process; returns once it is following."""
    command = [*CLI, "worker", "--follow", "--site-url", SITE_URL, "--no-media", "--interval", str(interval)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=root, env=cli_env(**live_env(endpoint)), stdout=out,
                                   stderr=subprocess.STDOUT)
    deadline = time.monotonic() + LIVE_TIMEOUT
    while b"following" not in log.read_bytes():
        assert process.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
        time.sleep(POLL_SECONDS)
    return process


def stop_worker(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = LIVE_TIMEOUT) -> float:
    """Poll ``condition`` every 50 ms; the seconds it took."""
    started = time.perf_counter()
    while not condition():
        assert time.perf_counter() - started < timeout, f"{what}: not within {timeout:.0f} s"
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - started


def latest_target(http: httpx.Client, thread: str) -> str | None:
    answer = http.get(f"/p/{thread}/latest")
    return answer.headers.get("location") if answer.status_code == 302 else None


def artifact_urls(page: bytes) -> list[str]:
    """The artifact files a share page names (on the artifact bucket's public URL)."""
    return sorted(set(re.findall(re.escape(ARTIFACTS_URL) + r"/artifacts/[^\"'?#\s)]+", page.decode())))


def public_bucket_get(http: httpx.Client, endpoint: str, url: str) -> httpx.Response:
    """What the bucket's public URL answers for ``url``: the object at its path, read through the stand-in."""
    return http.get(f"{endpoint}/{BUCKET}{url.removeprefix(ARTIFACTS_URL)}")


# -- the module's one site and server ---------------------------------------------------------------------


@dataclass
class Live:
    root: Path
    http: httpx.Client
    endpoint: str
    store: SnapshotStore
    worker: subprocess.Popen[bytes]
    log: Path

    @property
    def work_dir(self) -> Path:
        """Where the worker's publications build (the cache's ``live/site``)."""
        return self.root / ".cache" / "live" / "site"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, "--site-url", SITE_URL, cwd=self.root, env=cli_env(**live_env(self.endpoint)))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("live-edge")
    store = store_project(root / "project", [("t", "v1"), ("other", "v1")])
    site = build_site(root / "project")
    pages = root / "pages"
    _, to_store = split_into_pages(site, pages)
    with serve_site_with_r2_s3(pages, BUCKETS) as served, \
            httpx.Client(base_url=served.base_url, follow_redirects=False, timeout=10.0) as http:
        assert all(upload(root / "project", served.s3_endpoint, to_store))
        log = root / "worker.log"
        worker = start_worker(root / "project", served.s3_endpoint, log)
        try:
            yield Live(root / "project", http, served.s3_endpoint, store, worker, log)
        finally:
            stop_worker(worker)


@dataclass(frozen=True)
class Saved:
    seconds: float
    """From the store's commit to the share link answering 200."""
    page: httpx.Response
    artifacts: Mapping[str, int]
    """Each artifact file the share page names -> its status, read the moment the page first answered."""


@pytest.fixture(scope="module")
def saved(live: Live) -> Saved:
    """``t/v2`` saved into the store while the worker runs, and the moment its share link answered."""
    assert live.http.get("/p/t/v2/").status_code == 404
    first: list[httpx.Response] = []

    def answered() -> bool:
        page = live.http.get("/p/t/v2/")
        if page.status_code == 200:
            first.append(page)
        return bool(first)

    live.store.save("t", "v2", snapshot("t", "v2", "the second take", "2026-12-02T00:00:00Z"))
    seconds = wait_until(answered, "the saved version's share link")
    artifacts = {url: public_bucket_get(live.http, live.endpoint, url).status_code
                 for url in artifact_urls(first[0].content)}
    print(f"\nsave -> GET /p/t/v2/ 200 through wrangler pages dev: {seconds:.2f} s")
    return Saved(seconds, first[0], artifacts)


# -- tests ----------------------------------------------------------------------------------------------------


def test_the_built_site_is_served_before_anything_is_saved(live: Live) -> None:
    share = live.http.get("/p/t/v1/")

    assert share.status_code == 200
    assert share.content == (live.root / "site/p/t/v1/index.html").read_bytes()
    assert latest_target(live.http, "t") == "/p/t/v1/"
    assert not (live.root.parent / "pages/p").exists(), "share pages are in R2 only"
    assert live.worker.poll() is None, live.log.read_text(errors="replace")


def test_a_version_saved_while_the_worker_runs_answers_with_the_bytes_the_publisher_built(
        live: Live, saved: Saved) -> None:
    assert saved.page.content == (live.work_dir / "p/t/v2/index.html").read_bytes()
    assert b"the second take" in (live.work_dir / "artifacts/t/v2/page.html").read_bytes()
    # the worker prints its line once its publication is over, a moment after the share page went up
    wait_until(lambda: "published t (latest v2)" in live.log.read_text(errors="replace"), "the worker's line")
    assert not (live.root / "site/p/t/v2").exists(), "no build of the site made it"


def test_its_share_link_never_answers_a_part_of_it(saved: Saved) -> None:
    assert saved.artifacts, "the share page names the version's artifact files"
    assert set(saved.artifacts.values()) == {200}, saved.artifacts


def test_its_thread_page_lists_it_and_latest_leads_to_it(live: Live, saved: Saved) -> None:
    thread = live.http.get("/gallery/t/")

    assert thread.status_code == 200
    assert "/p/t/v2/" in thread.text and "/p/t/v1/" in thread.text
    assert latest_target(live.http, "t") == "/p/t/v2/"
    assert latest_target(live.http, "other") == "/p/other/v1/", "another thread is left as it was"


def test_a_pinned_rollback_moves_latest_back_and_clearing_it_moves_it_forward(live: Live, saved: Saved) -> None:
    pinned = live.cli("pin", "t", "v1", "--no-media")
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    assert "t: latest pinned; /p/t/latest now leads to v1" in pinned.stdout
    assert latest_target(live.http, "t") == "/p/t/v1/"  # at once: the command returns after the upload

    cleared = live.cli("pin", "t", "--clear", "--no-media")
    assert cleared.returncode == 0, cleared.stdout + cleared.stderr
    assert "t: pin cleared; /p/t/latest now leads to v2" in cleared.stdout
    assert latest_target(live.http, "t") == "/p/t/v2/"
    time.sleep(1.0)  # several of the worker's polls: it leaves the pin's latest alone
    assert latest_target(live.http, "t") == "/p/t/v2/"
    assert live.worker.poll() is None, live.log.read_text(errors="replace")

