"""A version made unlisted after it was published leaves nothing at the paths anyone can guess, in the artifact
store mode too: a publication or a deploy deletes its objects at ``p/{thread}/{version}/`` and ``artifacts/
{thread}/{version}/`` once its unguessable copy is stored, and a thread unlisted whole loses its thread and
latest pages. A version merely missing from a build (published by someone else meanwhile) is never touched."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mkdocs_hybrid.cli import main
from mkdocs_hybrid.edge.unlisted import UnlistedKey
from mkdocs_hybrid.history.keys import KEY_ENV
from mkdocs_hybrid.publish.withdrawn import withdrawn_keys
from tests.cloudflare_api import FakeCloudflare
from tests.deploy.test_r2 import dummy_credentials, fresh_bucket, s3_endpoint  # noqa: F401 (fixtures)
from tests.factory import write_tree
from tests.live.test_publish_version import SITE_URL, objects, project, text
from tests.live.test_worker import V2

KEY = "k" * 40


def token(thread: str, version: str) -> str:
    return f"tok-{thread}-{version}"


def test_only_versions_this_build_holds_at_their_unguessable_path_are_withdrawn() -> None:
    held = ["artifacts/t/v1/page.html", "p/t/v1/index.html", "artifacts/t/v2/page.html", "artifacts/t/v2/meta.json",
            "p/t/v2/index.html", "p/t/v3/index.html", "gallery/t/index.html", "p/t/latest/index.html",
            "artifacts/_u/abc/page.html"]
    sent = {"p/t/v1/index.html", "p/_u/tok-t-v2/index.html", "gallery/t/index.html", "p/t/latest/index.html"}
    assert withdrawn_keys(held, sent, token) == ["artifacts/t/v2/meta.json", "artifacts/t/v2/page.html",
                                                 "p/t/v2/index.html"]  # v3: not in this build, not touched
    whole = {"p/_u/tok-t-v1/index.html", "p/_u/tok-t-v2/index.html"}
    assert set(withdrawn_keys(held, whole, token)) >= {"gallery/t/index.html", "p/t/latest/index.html",
                                                       "p/t/v1/index.html"}
    assert withdrawn_keys(held, sent, lambda thread, version: None) == []  # no key: nothing is unlisted here


@pytest.fixture
def unlisting(monkeypatch: pytest.MonkeyPatch) -> UnlistedKey:
    monkeypatch.setenv("MKDOCS_HYBRID_UNLISTED_KEY", KEY)
    key = UnlistedKey.from_env()
    assert key is not None
    return key


def test_a_publication_withdraws_a_version_made_unlisted_from_its_public_paths(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unlisting: UnlistedKey) -> None:  # noqa: F811
    bucket, private = fresh_bucket(s3_endpoint), fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket, r2_private_bucket=private)
    write_tree(root, V2)
    monkeypatch.chdir(root)
    publish = ["publish-version", "t", "--site-url", SITE_URL, "--no-media"]
    assert CliRunner().invoke(main, publish).exit_code == 0
    assert "p/t/v2/index.html" in objects(s3_endpoint, bucket)
    write_tree(root, {"demos/t/v2/snapshot.yml": "title: Second\ncreated: '2026-01-02T00:00:00Z'\nunlisted: true\n"})
    result = CliRunner().invoke(main, publish)
    assert result.exit_code == 0, result.output
    public = objects(s3_endpoint, bucket)
    assert not [key for key in public if "/t/v2/" in key] and "p/t/v1/index.html" in public
    assert f"p/_u/{unlisting.token('t', 'v2')}/index.html" in objects(s3_endpoint, private)

    write_tree(root, {"demos/t/thread.yml": "unlisted: true\n"})
    result = CliRunner().invoke(main, publish)
    assert result.exit_code == 0, result.output
    assert not [key for key in objects(s3_endpoint, bucket) if key.startswith(("p/t/", "gallery/t/", "artifacts/t/"))]


def test_a_thread_unlisted_whole_loses_its_signed_history_object_and_its_entry_in_the_index(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unlisting: UnlistedKey) -> None:  # noqa: F811
    bucket, private = fresh_bucket(s3_endpoint), fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket, r2_private_bucket=private)
    write_tree(root, {"demos/u/v1/index.js": "document.body.textContent = 'u';\n"})
    monkeypatch.setenv(KEY_ENV, base64.b64encode(bytes(range(32))).decode())
    monkeypatch.chdir(root)
    publish = ["publish-version", "t", "--site-url", SITE_URL, "--no-media"]
    assert CliRunner().invoke(main, [*publish[:1], "u", *publish[2:]]).exit_code == 0
    assert CliRunner().invoke(main, publish).exit_code == 0
    assert {"gallery/t/history.json", "gallery/u/history.json"} <= set(objects(s3_endpoint, bucket))

    write_tree(root, {"demos/t/thread.yml": "unlisted: true\n"})
    result = CliRunner().invoke(main, publish)

    assert result.exit_code == 0, result.output
    assert not [key for key in objects(s3_endpoint, bucket) if key.startswith("gallery/t/")]
    assert set(json.loads(text(s3_endpoint, bucket, ".well-known/mkdocs-hybrid-history.json"))["threads"]) == {"u"}


def test_a_deploy_withdraws_a_version_made_unlisted_and_its_dry_run_says_so(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unlisting: UnlistedKey) -> None:  # noqa: F811
    bucket, private = fresh_bucket(s3_endpoint), fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket, r2_private_bucket=private, pages_project="demos")
    write_tree(root, V2)
    monkeypatch.chdir(root)
    build = ["build", "--site-url", SITE_URL, "--no-media", "-q"]
    with FakeCloudflare() as fake:
        env = {"CLOUDFLARE_API_TOKEN": fake.token, "CLOUDFLARE_ACCOUNT_ID": fake.account_id,
               "CLOUDFLARE_API_BASE_URL": fake.base_url}
        deploy = ["deploy", "site", "--site-url", SITE_URL, "--commit-hash", "a" * 40, "--commit-message", "m",
                  "--commit-clean"]
        assert CliRunner().invoke(main, build).exit_code == 0
        assert CliRunner().invoke(main, deploy, env=env).exit_code == 0
        public_v2 = [key for key in objects(s3_endpoint, bucket) if "/t/v2/" in key]
        assert "p/t/v2/index.html" in public_v2 and "artifacts/t/v2/page.html" in public_v2
        write_tree(root, {"demos/t/v2/snapshot.yml": "created: '2026-01-02T00:00:00Z'\nunlisted: true\n"})
        assert CliRunner().invoke(main, build).exit_code == 0
        dry = CliRunner().invoke(main, [*deploy, "--dry-run"], env=env)
        assert dry.exit_code == 0, dry.output
        assert f"would delete {len(public_v2)} at the public paths of versions now unlisted" in \
            dry.output.replace("\n", " ")
        assert "p/t/v2/index.html" in objects(s3_endpoint, bucket)
        done = CliRunner().invoke(main, deploy, env=env)
        assert done.exit_code == 0, done.output
    assert not [key for key in objects(s3_endpoint, bucket) if "/t/v2/" in key]
    assert f"artifacts/_u/{unlisting.token('t', 'v2')}/page.html" in objects(s3_endpoint, private)
