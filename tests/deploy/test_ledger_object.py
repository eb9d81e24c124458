"""``deploy``/``publish`` with ``deploy.ledger_bucket``: the ledger's records are saved to the private bucket (a
compare-and-swap on a real local S3 server, moto) before anything is uploaded; a version another publisher
published first with other files stops the deploy; the public artifact bucket is never the ledger's home."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from mkdocs_hybrid.cli import main
from mkdocs_hybrid.deploy._ledger_object import LEDGER_KEY
from mkdocs_hybrid.publish.ledger import Ledger
from mkdocs_hybrid.publish.ledger_store import Records, VersionRecord, encode, write_records
from tests.cloudflare_api import FakeCloudflare
from tests.deploy.durable_records import durable_records
from tests.deploy.test_r2 import bucket, dummy_credentials, s3_endpoint  # noqa: F401 (fixtures)
from tests.factory import write_tree


def v1(snapshot_key: str, at: str) -> VersionRecord:
    return VersionRecord("t", "v1", at, None, snapshot_key, "b", "{}", (("page.html", snapshot_key, 3),))


def project(root: Path, ledger_bucket: str, endpoint: str, *, r2_bucket: str | None = None) -> Path:
    public = f"r2_bucket: {r2_bucket}, r2_public_url: 'https://media.example.com', " if r2_bucket else ""
    write_tree(root, {"site/index.html": "home", "site/p/t/v1/index.html": "share page", "demos/.keep": "",
                      "hybrid.yml": "sources: [{type: directory, path: demos}]\n"
                                    f"deploy: {{pages_project: demos, ledger_bucket: {ledger_bucket}, {public}"
                                    f"r2_endpoint_url: '{endpoint}'}}\n"})
    ledger = Ledger(root / ".mkdocs-hybrid" / "ledger.sqlite")
    write_records(ledger, Records({("t", "v1"): v1("mine", "2026-02-01T00:00:00Z")}))
    ledger.close()
    return root


def durable(bucket_name: str, endpoint: str) -> Records:
    records = durable_records(endpoint, bucket_name)
    assert records is not None, "the bucket holds no durable ledger"
    return records


def deploy(root: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeCloudflare, *extra: str) -> tuple[int, str]:
    monkeypatch.chdir(root)
    env = {"CLOUDFLARE_API_TOKEN": fake.token, "CLOUDFLARE_ACCOUNT_ID": fake.account_id,
           "CLOUDFLARE_API_BASE_URL": fake.base_url}
    result = CliRunner().invoke(main, ["deploy", "site", "--commit-hash", "a" * 40, "--commit-message", "m",
                                       "--commit-clean", *extra], env=env)
    return result.exit_code, result.output


def test_a_deploy_saves_the_ledger_records_to_the_private_bucket(bucket: str, s3_endpoint: str,  # noqa: F811
                                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    root = project(tmp_path, bucket, s3_endpoint)
    with FakeCloudflare() as fake:
        code, output = deploy(root, monkeypatch, fake, "--dry-run")
        assert code == 0, output
        assert durable_records(s3_endpoint, bucket) is None  # a dry run writes nothing
        code, output = deploy(root, monkeypatch, fake)
        assert code == 0, output and fake.live() is not None
    assert durable(bucket, s3_endpoint).versions[("t", "v1")].snapshot_key == "mine"


def test_a_version_another_publisher_published_first_stops_the_deploy_with_one_line(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first = Records({("t", "v1"): v1("theirs", "2026-01-01T00:00:00Z")})
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="auto").put_object(
        Bucket=bucket, Key=LEDGER_KEY, Body=encode(first))
    root = project(tmp_path, bucket, s3_endpoint)
    with FakeCloudflare() as fake:
        code, output = deploy(root, monkeypatch, fake)
        assert fake.live() is None and fake.deployments == []
    assert code == 2
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "t/v1: another publisher published this version first with other files (at " \
        "2026-01-01T00:00:00Z" in output and output.rstrip().endswith("nothing was deployed")
    assert durable(bucket, s3_endpoint) == first


def test_the_public_artifact_bucket_is_refused_as_the_ledger_home(bucket: str, s3_endpoint: str,  # noqa: F811
                                                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                  ) -> None:
    root = project(tmp_path, bucket, s3_endpoint, r2_bucket=bucket)
    with FakeCloudflare() as fake:
        code, output = deploy(root, monkeypatch, fake)
        assert fake.requests == []
    assert code == 2
    assert f"deploy.ledger_bucket {bucket!r} is the public bucket (deploy.r2_bucket)" in output.replace("\n", " ")
