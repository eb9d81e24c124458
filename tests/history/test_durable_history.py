"""Signed histories travel with the durable ledger (``deploy.ledger_bucket``): real builds and deploys through the
CLI on fresh runners (each its own checkout, no cache, no local ledger), a local S3 server (moto) and the fake
Pages API. A fresh runner appends to the chain the bucket carries; an object written before histories restores
none, and signing starts then; two runners that extended a thread's history apart: the second deploy refuses,
naming the thread, and its next build appends after the first's."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import boto3
import pytest

from mkdocs_hybrid.history.keys import KEY_ENV
from mkdocs_hybrid.history.readers import FolderSite
from mkdocs_hybrid.history.verify import verify_site
from tests.cloudflare_api import FakeCloudflare
from tests.deploy.durable_records import LEDGER_PREFIX, durable_records
from tests.deploy.test_fresh_runner import cli, deploy, project
from tests.deploy.test_r2 import bucket, dummy_credentials, fresh_bucket, s3_endpoint  # noqa: F401 (fixtures)
from tests.factory import write_tree

KEY = base64.b64encode(bytes(range(32))).decode()


def version(number: int, day: int) -> dict[str, str]:
    """A new version ``v{number}`` of thread t, created on 2026-01-{day}."""
    return {f"demos/t/v{number}/index.js": f"document.body.textContent = 'v{number}';\n",
            f"demos/t/v{number}/snapshot.yml": f"title: V{number}\ncreated: 2026-01-{day:02d}T00:00:00Z\n"}


def runner(tmp_path: Path, name: str, public: str, private: str, endpoint: str,
           extra: dict[str, str] | None = None) -> Path:
    """A fresh checkout of the project on runner ``name``: sources and manifest, nothing built."""
    return project(tmp_path / name, public, private, endpoint, extra)


def signed_build(root: Path, monkeypatch: pytest.MonkeyPatch, key: str | None = KEY) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    env = {KEY_ENV: key} if key else None
    code, output = cli(root, monkeypatch, "build", "-m", "hybrid.yml", "-d", "site", "--no-media", "-j", "1", env=env)
    assert code == 0, output


def deployed(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeCloudflare() as fake:
        code, output = deploy(root, monkeypatch, fake)
        assert code == 0, output


def published(tmp_path: Path, public: str, endpoint: str, monkeypatch: pytest.MonkeyPatch,
              key: str | None = KEY) -> tuple[Path, str]:
    """Runner a built (signed with ``key``) and deployed v1 and v2; its checkout and the ledger's bucket."""
    private = fresh_bucket(endpoint)
    first = runner(tmp_path, "a", public, private, endpoint)
    signed_build(first, monkeypatch, key)
    deployed(first, monkeypatch)
    return first, private


def records(root: Path, thread: str = "t") -> list[dict[str, object]]:
    """The records of the thread's ``history.json`` in the runner's built site."""
    found: list[dict[str, object]] = json.loads((root / "site" / "gallery" / thread / "history.json").read_bytes())[
        "records"]
    return found


def described(records: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(record["kind"], record["version"]) for record in records]


def verified(root: Path) -> None:
    result = verify_site(FolderSite(root / "site"), every_signature=True)
    assert result.ok, [str(problem) for problem in result.problems]


def ledger_documents(endpoint: str, name: str) -> list[dict[str, object]]:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="auto")
    listed = client.list_objects_v2(Bucket=name, Prefix=LEDGER_PREFIX).get("Contents", [])
    return [json.loads(client.get_object(Bucket=name, Key=item["Key"])["Body"].read()) for item in listed]


def test_a_fresh_runner_appends_to_the_signed_history_the_bucket_carries(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first, private = published(tmp_path, bucket, s3_endpoint, monkeypatch)
    second = runner(tmp_path, "b", bucket, private, s3_endpoint, version(3, 3))  # a fresh cache, same bucket

    signed_build(second, monkeypatch)

    before, after = records(first), records(second)
    assert described(before) == [("version", "v1"), ("version", "v2"), ("latest", "v2")]
    assert after[:len(before)] == before, "runner b's history starts with runner a's records, byte for byte"
    assert described(after[len(before):]) == [("version", "v3"), ("latest", "v3")]
    verified(second)
    deployed(second, monkeypatch)
    saved = durable_records(s3_endpoint, private)
    assert saved is not None and [json.loads(text) for text in saved.chains["t"]] == after
    assert [kid for kid, _ in saved.keys] == [after[0]["key"]]


def test_an_object_written_before_histories_restores_none_and_the_first_signed_build_starts_the_chain(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first, private = published(tmp_path, bucket, s3_endpoint, monkeypatch, key=None)
    documents = ledger_documents(s3_endpoint, private)
    assert documents and all(set(document) == {"format", "version", "versions", "latest_history", "pins"}
                             and document["version"] == 2 for document in documents), \
        "without a key the ledger objects are the format of the releases before histories"
    assert not (first / "site" / "gallery" / "t" / "history.json").exists()
    second = runner(tmp_path, "b", bucket, private, s3_endpoint)

    signed_build(second, monkeypatch)

    assert described(records(second)) == [("version", "v1"), ("version", "v2"), ("latest", "v2")]
    assert records(second)[0]["seq"] == 0 and records(second)[0]["prev"] is None
    verified(second)
    deployed(second, monkeypatch)
    documents = ledger_documents(s3_endpoint, private)
    assert [document["version"] for document in documents] == [3]
    assert documents[0]["history_records"] == {"t": records(second)}


def test_of_two_runners_extending_a_history_apart_the_second_deploy_refuses_and_its_next_build_appends_after(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first, private = published(tmp_path, bucket, s3_endpoint, monkeypatch)
    second = runner(tmp_path, "b", bucket, private, s3_endpoint, version(4, 4))
    signed_build(second, monkeypatch)  # restores a's chain, appends v4 ...
    write_tree(first, version(3, 3))
    signed_build(first, monkeypatch)  # ... while a appends v3 after the same record
    deployed(first, monkeypatch)
    chain_a = records(first)
    saved_a = durable_records(s3_endpoint, private)

    with FakeCloudflare() as fake:
        code, output = deploy(second, monkeypatch, fake)
        assert fake.deployments == []

    flat = " ".join(output.split())
    assert code != 0
    assert ("t: another publisher signed records into this thread's history since this run restored it (record 3 "
            "differs") in flat
    assert "build again and the build appends after it" in flat and "nothing was deployed" in flat
    saved = durable_records(s3_endpoint, private)
    assert saved is not None and saved_a is not None and saved.chains["t"] == saved_a.chains["t"]
    write_tree(second, version(3, 3))  # b pulls a's v3 and builds again
    signed_build(second, monkeypatch)
    chain_b = records(second)
    assert chain_b[:len(chain_a)] == chain_a
    assert described(chain_b[len(chain_a):]) == [("version", "v4"), ("latest", "v4")]
    verified(second)
    deployed(second, monkeypatch)
    saved = durable_records(s3_endpoint, private)
    assert saved is not None and [json.loads(text) for text in saved.chains["t"]] == chain_b


def test_two_runners_signing_the_same_publication_agree_and_both_deploy(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    _, private = published(tmp_path, bucket, s3_endpoint, monkeypatch)
    nightly, action = (runner(tmp_path, name, bucket, private, s3_endpoint, version(3, 3)) for name in ("n", "c"))
    signed_build(nightly, monkeypatch)
    signed_build(action, monkeypatch)

    deployed(nightly, monkeypatch)
    deployed(action, monkeypatch)

    assert records(action) == records(nightly)
    saved = durable_records(s3_endpoint, private)
    assert saved is not None and [json.loads(text) for text in saved.chains["t"]] == records(action)


def test_a_damaged_history_in_a_ledger_object_stops_the_build_with_one_line(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    _, private = published(tmp_path, bucket, s3_endpoint, monkeypatch)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="auto")
    (key,) = [item["Key"] for item in client.list_objects_v2(Bucket=private, Prefix=LEDGER_PREFIX)["Contents"]]
    document = json.loads(client.get_object(Bucket=private, Key=key)["Body"].read())
    del document["history_records"]["t"][1]  # a record cut out of the chain
    client.put_object(Bucket=private, Key=key, Body=json.dumps(document).encode())
    second = runner(tmp_path, "b", bucket, private, s3_endpoint)

    code, output = cli(second, monkeypatch, "build", "-m", "hybrid.yml", "-d", "site", "--no-media", "-j", "1",
                       env={KEY_ENV: KEY})

    assert code != 0
    flat = " ".join(output.split())
    assert f"{key}: the durable publish ledger cannot be read: its records are incomplete or of the wrong shape" in flat
    assert not (second / "site" / "gallery").exists()
