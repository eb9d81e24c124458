"""Signed histories of versions published without a deploy, verified over HTTP through the site's ``_worker.js``
under ``wrangler pages dev``: the history files are R2 objects the worker serves where Pages holds none.

A real r2-mode project reading the editor's store, built with a history key and split as the deploy splits it
(the helpers and the S3 stand-in of ``tests/live/test_live_edge.py``); ``publish-version`` and ``pin`` run as a
user runs them, and ``mkdocs-hybrid verify`` reads the served site over HTTP (its artifacts from the bucket's
public URL, as ``--artifacts-url`` names it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
import pytest

from mkdocs_hybrid.history.keys import KEY_ENV
from tests.factory import cli_env, run_cli
from tests.history.test_durable_history import KEY
from tests.live.test_live_edge import (
    BUCKET,
    BUCKETS,
    SITE_URL,
    live_env,
    snapshot,
    split_into_pages,
    store_project,
    upload,
)
from tests.r2_s3 import CREDENTIALS_ENV, serve_site_with_r2_s3

pytestmark = pytest.mark.wrangler

INDEX = "/.well-known/mkdocs-hybrid-history.json"


@dataclass
class Edge:
    root: Path
    http: httpx.Client
    base_url: str
    endpoint: str

    def cli(self, *args: str) -> str:
        """``mkdocs-hybrid ARGS`` in the project, with the store's credentials and the history key."""
        done = run_cli(*args, cwd=self.root, env=cli_env(**live_env(self.endpoint), **{KEY_ENV: KEY}))
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def verify(self) -> tuple[int, str]:
        done = run_cli("verify", self.base_url, "--artifacts-url", f"{self.endpoint}/{BUCKET}", "--every-signature",
                       cwd=self.root)
        return done.returncode, done.stdout + done.stderr

    def records(self, thread: str = "t") -> list[dict[str, object]]:
        answer = self.http.get(f"/gallery/{thread}/history.json")
        assert answer.status_code == 200, answer.text
        found: list[dict[str, object]] = answer.json()["records"]
        return found


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    root = tmp_path_factory.mktemp("live-history-edge")
    store = store_project(root / "project", [("t", "v1"), ("other", "v1")])
    built = run_cli("build", "--site-url", SITE_URL, "--no-media", "-q", cwd=root / "project",
                    env=cli_env(**{KEY_ENV: KEY}))
    assert built.returncode == 0, built.stdout + built.stderr
    _, to_store = split_into_pages(root / "project" / "site", root / "pages")
    assert not (root / "pages" / ".well-known").exists(), "the history's files are R2 objects in this mode"
    with serve_site_with_r2_s3(root / "pages", BUCKETS) as served, \
            httpx.Client(base_url=served.base_url, follow_redirects=False, timeout=10.0) as http:
        assert all(upload(root / "project", served.s3_endpoint, to_store))
        store.save("t", "v2", snapshot("t", "v2", "the second take", "2026-12-02T00:00:00Z"))
        yield Edge(root / "project", http, served.base_url, served.s3_endpoint)


def test_the_deployed_site_verifies_over_http_with_its_history_served_from_r2(edge: Edge) -> None:
    index = edge.http.get(INDEX)

    assert index.status_code == 200
    assert index.headers["content-type"].startswith("application/json")
    assert index.headers["cache-control"] == "no-cache"
    code, output = edge.verify()
    assert code == 0, output
    assert "in 2 threads" in output and "clean" in output


def test_a_version_published_without_a_deploy_is_signed_and_the_site_still_verifies(edge: Edge) -> None:
    before = edge.records()

    edge.cli("publish-version", "t", "v2", "--site-url", SITE_URL, "--no-media")

    after = edge.records()
    assert after[:len(before)] == before
    assert [(r["kind"], r["version"]) for r in after[len(before):]] == [("version", "v2"), ("latest", "v2")]
    assert edge.http.get(INDEX).json()["threads"]["t"]["records"] == len(after)
    code, output = edge.verify()
    assert code == 0, output
    assert "clean" in output


def test_a_pin_is_a_signed_record_online_at_once(edge: Edge) -> None:
    edge.cli("pin", "t", "v1", "--site-url", SITE_URL, "--no-media")

    last = edge.records()[-1]
    assert (last["kind"], last["version"]) == ("pin", "v1")
    code, output = edge.verify()
    assert code == 0, output


def test_a_tampered_history_object_in_r2_is_reported(edge: Edge) -> None:
    history = edge.http.get("/gallery/other/history.json").json()
    history["records"][0]["author"] = "mallory"
    client = boto3.client("s3", endpoint_url=edge.endpoint, region_name="auto",
                          aws_access_key_id=CREDENTIALS_ENV["R2_ACCESS_KEY_ID"],
                          aws_secret_access_key=CREDENTIALS_ENV["R2_SECRET_ACCESS_KEY"])
    client.put_object(Bucket=BUCKET, Key="gallery/other/history.json", Body=json.dumps(history).encode())

    code, output = edge.verify()

    assert code == 1
    assert "error gallery/other/history.json record #0: forged" in output
