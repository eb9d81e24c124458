"""A fresh runner (no cache, no local ledger, an empty site folder) against a site whose published ``v1`` differs
from what its snapshot now builds, in the artifact store mode (``deploy.artifacts: r2``) with the durable ledger
(``deploy.ledger_bucket``): real builds through the CLI, a real deploy to a local S3 server (moto) and the fake
Pages API. The published bytes come back from the bucket, nothing published changes, and the run says why."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import boto3
import pytest
import yaml
from click.testing import CliRunner

from mkdocs_hybrid.cli import main
from mkdocs_hybrid.config.manifest import Manifest, load_manifest
from mkdocs_hybrid.deploy._published_bytes import NOTES_SHOWN, PublishedBytes
from mkdocs_hybrid.edge.unlisted import KEY_ENV, UnlistedKey
from tests.cloudflare_api import FakeCloudflare
from tests.deploy.durable_records import LEDGER_PREFIX
from tests.deploy.test_r2 import bucket, dummy_credentials, fresh_bucket, s3_endpoint  # noqa: F401 (fixtures)
from tests.factory import ledger_rows, read_tree, write_tree

SITE_URL = "https://site.example.com"
EPOCH = "1767225600"
SOURCES = {
    "demos/t/v1/index.js": "document.body.textContent = 'the published one';\n",
    "demos/t/v1/style.css": "body { color: teal; }\n",
    "demos/t/v1/snapshot.yml": "title: First\ncreated: 2026-01-01T00:00:00Z\n",
    "demos/t/v2/index.js": "document.body.textContent = 'the second';\n",
    "demos/t/v2/snapshot.yml": "title: Second\ncreated: 2026-01-02T00:00:00Z\n",
}


def project(root: Path, public: str, private: str, endpoint: str, extra: dict[str, str] | None = None) -> Path:
    """A checkout of the project: its sources and manifest, nothing built (no .cache, no ledger, no site)."""
    write_tree(root, {**SOURCES, **(extra or {})})
    data = {"sources": [{"type": "directory", "path": "demos"}], "build": {"cache_dir": ".cache"},
            "deploy": {"pages_project": "demos", "artifacts": "r2", "artifacts_url": "https://demos.example.com",
                       "r2_bucket": public, "r2_private_bucket": private, "ledger_bucket": private,
                       "r2_endpoint_url": endpoint}}
    (root / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return root


def cli(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str, env: dict[str, str] | None = None
        ) -> tuple[int, str]:
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def build(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    return cli(root, monkeypatch, "build", "-m", "hybrid.yml", "-d", "site", "--no-media", "-j", "1")


def deploy(root: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeCloudflare) -> tuple[int, str]:
    env = {"CLOUDFLARE_API_TOKEN": fake.token, "CLOUDFLARE_ACCOUNT_ID": fake.account_id,
           "CLOUDFLARE_API_BASE_URL": fake.base_url}
    return cli(root, monkeypatch, "deploy", "site", "--site-url", SITE_URL, "--commit-hash", "a" * 40,
               "--commit-message", "m", "--commit-clean", env=env)


def objects(endpoint: str, name: str) -> dict[str, tuple[str, object]]:
    """key -> (ETag, LastModified) of every object in the bucket."""
    client = boto3.client("s3", endpoint_url=endpoint, region_name="auto")
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=name)
    return {item["Key"]: (item["ETag"], item["LastModified"]) for page in pages for item in page.get("Contents", [])}


def version_files(site: Path, thread: str, version: str) -> dict[str, bytes]:
    return {f"{tree}/{name}": data for tree in ("artifacts", "p")
            for name, data in read_tree(site / tree / thread / version).items()}


@pytest.fixture
def published(bucket: str, s3_endpoint: str, tmp_path: Path,  # noqa: F811
              monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, str]:
    """Runner 1 built and deployed v1 and v2 (artifacts in the public bucket, the ledger in the private one)."""
    return publish(tmp_path, bucket, s3_endpoint, monkeypatch)


def publish(tmp_path: Path, bucket: str, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
            extra: dict[str, str] | None = None) -> tuple[Path, str, str]:
    private = fresh_bucket(s3_endpoint)
    first = project(tmp_path / "runner1", bucket, private, s3_endpoint, extra)
    code, output = build(first, monkeypatch)
    assert code == 0, output
    with FakeCloudflare() as fake:
        code, output = deploy(first, monkeypatch, fake)
        assert code == 0, output
    return first, bucket, private


def fresh_clone(tmp_path: Path, runner1: Path, extra: dict[str, str] | None = None) -> Path:
    """A new checkout of runner 1's project (its manifest and sources only), v1's snapshot edited under its id."""
    root = tmp_path / "runner2"
    write_tree(root, {**SOURCES, **(extra or {})})
    shutil.copy(runner1 / "hybrid.yml", root / "hybrid.yml")
    write_tree(root, {"demos/t/v1/index.js": "document.body.textContent = 'changed under the same id';\n",
                      "demos/t/v1/snapshot.yml": "title: First\ncreated: 2026-06-01T00:00:00Z\n"})
    return root


def test_a_fresh_runner_serves_v1s_published_bytes_from_the_bucket_and_its_deploy_changes_nothing(
        published: tuple[Path, str, str], s3_endpoint: str, tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    runner1, public, private = published
    site1 = runner1 / "site"
    before = {name: objects(s3_endpoint, name) for name in (public, private)}
    ledger_before = {k: v for k, v in before[private].items() if k.startswith(LEDGER_PREFIX)}
    runner2 = fresh_clone(tmp_path, runner1)

    code, output = build(runner2, monkeypatch)

    site2 = runner2 / "site"
    assert code == 0, output
    flat = output.replace("\n", " ")
    assert "error t/v1: this version was published with different files; versions are immutable" in flat
    assert ("t/v1: this version was changed, so its published bytes were kept (4 of its files fetched from R2 "
            f"bucket {public!r}, artifacts/t/v1/, as this runner's ledger did not hold them)") in flat
    assert version_files(site2, "t", "v1") == version_files(site1, "t", "v1")  # every file, byte for byte
    assert "changed under the same id" not in json.dumps({k: v.decode(errors="replace")
                                                         for k, v in read_tree(site2).items()})
    thread_page = (site2 / "gallery" / "t" / "index.html").read_text()
    assert thread_page == (site1 / "gallery" / "t" / "index.html").read_text()  # v1 listed, its created time kept
    assert "2026-01-01" in thread_page and "2026-06-01" not in thread_page
    report = json.loads((runner2 / "hybrid-report.json").read_text())
    assert report["kept"] == ["t/v1"] and [e["ref"] for e in report["failed"]] == ["t/v1"]
    assert ledger_rows(runner2, "SELECT thread, version, published_at FROM versions ORDER BY version") == \
        ledger_rows(runner1, "SELECT thread, version, published_at FROM versions ORDER BY version")

    with FakeCloudflare() as fake:
        code, output = deploy(runner2, monkeypatch, fake)
        assert code == 0, output
    after = {name: objects(s3_endpoint, name) for name in (public, private)}
    for name in (public, private):  # nothing of v1 (nor anything else published) was written again
        assert {k: v for k, v in after[name].items() if not k.startswith(LEDGER_PREFIX)} == \
            {k: v for k, v in before[name].items() if not k.startswith(LEDGER_PREFIX)}
    assert ledger_before and {k: v[0] for k, v in after[private].items() if k.startswith(LEDGER_PREFIX)} == \
        {k: v[0] for k, v in ledger_before.items()}  # the durable records are unchanged too


def test_only_the_versions_the_build_keeps_are_fetched(published: tuple[Path, str, str], s3_endpoint: str,  # noqa: F811
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner1, public, _ = published
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="auto")
    for key in [k for k in objects(s3_endpoint, public) if k.startswith("artifacts/t/v2/")]:
        client.delete_object(Bucket=public, Key=key)  # v2 rebuilds as published: its objects are never asked for
    runner2 = fresh_clone(tmp_path, runner1)

    code, output = build(runner2, monkeypatch)

    assert code == 0, output
    assert version_files(runner2 / "site", "t", "v2") == version_files(runner1 / "site", "t", "v2")
    assert version_files(runner2 / "site", "t", "v1") == version_files(runner1 / "site", "t", "v1")


@pytest.mark.parametrize("damage", ["missing", "other bytes"])
def test_a_missing_or_changed_published_object_stops_the_build_with_one_line(
        damage: str, published: tuple[Path, str, str], s3_endpoint: str, tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    runner1, public, _ = published
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="auto")
    key = "artifacts/t/v1/page.html"
    if damage == "missing":
        client.delete_object(Bucket=public, Key=key)
    else:
        client.put_object(Bucket=public, Key=key, Body=b"<p>tampered</p>")
    runner2 = fresh_clone(tmp_path, runner1)

    code, output = build(runner2, monkeypatch)

    assert code == 2, output
    errors = [line for line in output.splitlines() if line.startswith("error")]
    flat = " ".join(output.split())
    assert len(errors) == 1 and errors[0].startswith("error t/v1: ") and "mkdocs-hybrid:" not in output, output
    expected = (f"is missing from R2 bucket {public!r}" if damage == "missing"
                else f"R2 bucket {public!r} holds other bytes at {key}")
    assert expected in flat and key in flat and "nothing was built" in flat
    assert "never replaced with new bytes" in flat
    assert not (runner2 / "site" / "artifacts" / "t" / "v1").exists()  # a deploy of it could not upload new bytes
    assert not (runner2 / "site" / "p" / "t" / "v1").exists()
    assert ledger_rows(runner2, "SELECT blobs.sha256 FROM blobs") == []  # the whole build was rolled back


class Row:
    thread, version, ref = "t", "v1", "t/v1"


def pages_mode(root: Path) -> Manifest:
    """A manifest with the durable ledger and the default artifacts mode (bytes only on Pages)."""
    write_tree(root, {"demos/.keep": "", "hybrid.yml": "sources: [{type: directory, path: demos}]\n"
                                                       "deploy: {ledger_bucket: ledger-bucket}\n"})
    return load_manifest(root / "hybrid.yml")


def test_without_the_artifact_store_a_changed_version_is_kept_out_with_one_report_note(tmp_path: Path) -> None:
    notes: list[str] = []
    source = PublishedBytes(pages_mode(tmp_path), tmp_path / "site", lambda t, v: (t, v), notes)
    assert source(Row(), {"index.js": ("0" * 64, 3)}, "this version was changed") is None  # type: ignore[arg-type]
    assert source(Row(), {"index.js": ("0" * 64, 3)}, "its rebuild failed") is None  # type: ignore[arg-type]
    assert notes == ["t/v1: its published bytes are not on this runner (its ledger record came from "
                     "deploy.ledger_bucket without bytes, and with deploy.artifacts: pages they live only on the "
                     "live site), so it is kept out of this build and a deploy of it would take it offline; build "
                     "where the ledger's bytes are, or use deploy.artifacts: r2 so a fresh runner fetches them"]


def test_many_kept_versions_are_named_up_to_a_few_then_counted_in_one_note(tmp_path: Path) -> None:
    notes = ["a media notice"]
    source = PublishedBytes(pages_mode(tmp_path), tmp_path / "site", lambda t, v: (t, v), notes)
    for i in range(NOTES_SHOWN + 3):
        source._note(f"t/v{i}: kept")
    assert notes == ["a media notice", *[f"t/v{i}: kept" for i in range(NOTES_SHOWN)],
                     "and 3 more versions' published bytes were kept, fetched from the artifact store"]


def test_an_unlisted_versions_published_bytes_come_from_the_private_bucket_and_its_token_is_never_printed(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv(KEY_ENV, "an-unlisted-key-" + "k" * 32)
    quiet = {"demos/t/v3/index.js": "document.body.textContent = 'a quiet one';\n",
             "demos/t/v3/snapshot.yml": "title: Quiet\nunlisted: true\n"}
    runner1, _, private = publish(tmp_path, bucket, s3_endpoint, monkeypatch, quiet)
    key = UnlistedKey.from_env()
    assert key is not None
    token = key.token("t", "v3")
    folder = f"artifacts/_u/{token}"
    assert any(name.startswith(folder) for name in objects(s3_endpoint, private))
    runner2 = fresh_clone(tmp_path, runner1, {**quiet, "demos/t/v3/index.js": "document.body.textContent = 'x';\n"})

    code, output = build(runner2, monkeypatch)

    assert code == 0, output
    assert read_tree(runner2 / "site" / folder) == read_tree(runner1 / "site" / folder)
    flat = " ".join(output.split())
    assert (f"t/v3: this version was changed, so its published bytes were kept (2 of its files fetched from R2 "
            f"bucket {private!r}, artifacts/_u/<token of t/v3>/,") in flat
    assert token not in output and token not in (runner2 / "hybrid-report.json").read_text()
