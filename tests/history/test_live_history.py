"""Versions published without a full build are signed too: ``publish-version``, ``pin`` and two live publishers at
once, in the artifact store mode (``deploy.artifacts: r2``) with the durable ledger.

Real components: the CLI's builds and deploy (the fake Pages API, a local S3 server from moto for R2), real
:class:`~mkdocs_hybrid.live.publisher.LivePublisher` publications. What a visitor gets is what the site's
``_worker.js`` serves: a Pages file first, else the R2 object at the same path; :func:`served` assembles that
folder (the Pages part of the last deploy over the bucket's objects) and ``verify`` checks it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest

from mkdocs_hybrid import deploy
from mkdocs_hybrid.config.manifest import Manifest, load_manifest
from mkdocs_hybrid.deploy import collect_site_files
from mkdocs_hybrid.deploy._pages import split_site_files
from mkdocs_hybrid.history.keys import KEY_ENV
from mkdocs_hybrid.history.readers import FolderSite
from mkdocs_hybrid.history.verify import Verification, verify_site
from mkdocs_hybrid.live.publisher import LivePublisher, live_work_dir
from tests.deploy.test_fresh_runner import SITE_URL, cli
from tests.deploy.test_r2 import bucket, dummy_credentials, fresh_bucket, s3_endpoint  # noqa: F401 (fixtures)
from tests.factory import write_tree
from tests.history.test_durable_history import KEY, deployed, described, published, runner, version

ROUTING_FILES = ("_headers", "_redirects", "_routes.json", "_worker.js")
INDEX = ".well-known/mkdocs-hybrid-history.json"


def served(root: Path, endpoint: str, name: str) -> Path:
    """The site as the worker answers it: the Pages part of ``root``'s last deploy over the bucket's objects."""
    folder = root.parent / f"{root.name}-served"
    shutil.rmtree(folder, ignore_errors=True)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="auto")
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            path = folder / item["Key"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(client.get_object(Bucket=name, Key=item["Key"])["Body"].read())
    to_pages, _ = split_site_files(collect_site_files(root / "site"), in_store=True)
    for item in [*to_pages, *(root / "site" / routing for routing in ROUTING_FILES)]:
        source = item if isinstance(item, Path) else item.path
        target = folder / source.relative_to(root / "site")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return folder


def check(root: Path, endpoint: str, name: str) -> Verification:
    return verify_site(FolderSite(served(root, endpoint, name)), every_signature=True)


def problems(result: Verification) -> list[str]:
    return [str(problem) for problem in result.problems]


def online(endpoint: str, name: str, key: str) -> dict[str, Any]:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="auto")
    answer = client.get_object(Bucket=name, Key=key)
    document: dict[str, Any] = json.loads(answer["Body"].read())
    document["headers"] = (answer["ContentType"], answer.get("CacheControl"))
    return document


def put(endpoint: str, name: str, key: str, data: bytes) -> None:
    boto3.client("s3", endpoint_url=endpoint, region_name="auto").put_object(Bucket=name, Key=key, Body=data)


def live(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    return cli(root, monkeypatch, *args, "--site-url", SITE_URL, "--no-media", env={KEY_ENV: KEY})


def test_a_version_published_without_a_deploy_is_signed_and_the_served_site_verifies(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first, _ = published(tmp_path, bucket, s3_endpoint, monkeypatch)
    assert check(first, s3_endpoint, bucket).ok, "the deployed site is clean to begin with"
    before = online(s3_endpoint, bucket, "gallery/t/history.json")
    assert before["headers"] == ("application/json", "no-cache"), "the history is an R2 object, never cached"
    write_tree(first, version(3, 3))

    code, output = live(first, monkeypatch, "publish-version", "t", "v3")

    assert code == 0, output
    result = check(first, s3_endpoint, bucket)
    assert result.ok, problems(result)
    after = online(s3_endpoint, bucket, "gallery/t/history.json")["records"]
    assert after[:len(before["records"])] == before["records"]
    assert described(after[len(before["records"]):]) == [("version", "v3"), ("latest", "v3")]
    index = online(s3_endpoint, bucket, INDEX)
    assert index["threads"]["t"]["records"] == len(after) and index["headers"][1] == "no-cache"


def test_a_version_published_without_the_key_after_signed_deploys_says_it_is_not_in_the_history(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first, _ = published(tmp_path, bucket, s3_endpoint, monkeypatch)
    before = online(s3_endpoint, bucket, "gallery/t/history.json")["records"]
    write_tree(first, version(3, 3))
    monkeypatch.delenv(KEY_ENV, raising=False)

    code, output = cli(first, monkeypatch, "publish-version", "t", "v3", "--site-url", SITE_URL, "--no-media")

    assert code == 0, output
    assert f"{KEY_ENV} is not set: this build's versions are not in the signed history" in output
    assert online(s3_endpoint, bucket, "gallery/t/history.json")["records"] == before, "nothing signed without it"


def test_a_full_build_deployed_after_a_live_publication_overtook_it_keeps_that_publications_history(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first, _ = published(tmp_path, bucket, s3_endpoint, monkeypatch)  # site/ holds the build of v1 and v2 ...
    write_tree(first, version(3, 3))
    code, output = live(first, monkeypatch, "publish-version", "t", "v3")  # ... which v3's publication overtakes
    assert code == 0, output
    monkeypatch.setenv(KEY_ENV, KEY)

    deployed(first, monkeypatch)  # t's thread and latest pages stay as the publication wrote them

    result = check(first, s3_endpoint, bucket)
    assert result.ok, problems(result)
    records = online(s3_endpoint, bucket, "gallery/t/history.json")["records"]
    assert described(records)[-2:] == [("version", "v3"), ("latest", "v3")]


def test_a_pin_through_pin_is_a_signed_pin_record_and_the_served_site_verifies(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first, _ = published(tmp_path, bucket, s3_endpoint, monkeypatch)

    code, output = live(first, monkeypatch, "pin", "t", "v1")

    assert code == 0, output
    assert "now leads to v1" in output
    result = check(first, s3_endpoint, bucket)
    assert result.ok, problems(result)
    last = online(s3_endpoint, bucket, "gallery/t/history.json")["records"][-1]
    assert (last["kind"], last["version"]) == ("pin", "v1")


def test_a_tampered_history_object_is_reported_and_no_publication_signs_over_it(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first, _ = published(tmp_path, bucket, s3_endpoint, monkeypatch)
    history = online(s3_endpoint, bucket, "gallery/t/history.json")
    history["records"][0]["author"] = "mallory"
    del history["headers"]
    put(s3_endpoint, bucket, "gallery/t/history.json", json.dumps(history).encode())

    result = check(first, s3_endpoint, bucket)
    assert any(line.startswith("gallery/t/history.json record #0: forged") for line in problems(result)), \
        problems(result)
    write_tree(first, version(3, 3))
    code, output = live(first, monkeypatch, "publish-version", "t")
    assert code == 2 and "gallery/t/history.json in the artifact store holds records" in output, output
    assert "record #0 differs" in output


def test_an_online_index_whose_signature_does_not_verify_is_never_signed_over(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first, _ = published(tmp_path, bucket, s3_endpoint, monkeypatch)
    index = online(s3_endpoint, bucket, INDEX)
    index["threads"]["gone"] = {"records": 1, "head": "0" * 64}
    del index["headers"]
    put(s3_endpoint, bucket, INDEX, json.dumps(index).encode())
    write_tree(first, version(3, 3))

    code, output = live(first, monkeypatch, "publish-version", "t")

    assert code == 2, output
    assert f"{INDEX} in the artifact store is not signed by a key" in output
    assert "gone" in online(s3_endpoint, bucket, INDEX)["threads"], "the index is left as it was"


def publisher(root: Path) -> LivePublisher:
    manifest = load_manifest(root / "hybrid.yml")
    return LivePublisher(manifest, site_url=SITE_URL, work_dir=live_work_dir(manifest), media=False)


def interleaved(monkeypatch: pytest.MonkeyPatch, late: LivePublisher, early: LivePublisher,
                threads: list[str]) -> list[str]:
    """Run ``early``'s publication of ``threads`` whole while ``late``'s first one has signed and not yet claimed
    its versions in the durable ledger or uploaded anything; the lines ``late`` reports."""
    real = deploy.claim_versions
    calls: list[int] = []

    def claim(manifest: Manifest, wanted: frozenset[str] | None = None) -> None:
        if manifest is late.manifest and not calls:
            calls.append(1)
            early.publish(threads)
        real(manifest, wanted)

    monkeypatch.setattr(deploy, "claim_versions", claim)
    lines: list[str] = []
    late.progress = lines.append
    return lines


def test_a_publication_racing_another_on_the_index_builds_again_instead_of_overwriting_it(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first, private = published(tmp_path, bucket, s3_endpoint, monkeypatch)
    other = runner(tmp_path, "b", bucket, private, s3_endpoint, version(3, 3))  # another machine, same buckets
    write_tree(first, {"demos/u/v1/index.js": "document.body.textContent = 'u';\n",
                       "demos/u/v1/snapshot.yml": "title: U\ncreated: 2026-01-05T00:00:00Z\n"})
    monkeypatch.setenv(KEY_ENV, KEY)
    late, early = publisher(first), publisher(other)
    lines = interleaved(monkeypatch, late, early, ["t"])

    result = late.publish(["u"])

    assert result.attempts == 2 and any("building again" in line for line in lines), lines
    index = online(s3_endpoint, bucket, INDEX)["threads"]
    assert set(index) == {"t", "u"}
    t_records = online(s3_endpoint, bucket, "gallery/t/history.json")["records"]
    assert index["t"]["records"] == len(t_records), "the other publication's entry for t is not lost"
    assert described(t_records)[-2:] == [("version", "v3"), ("latest", "v3")]
    checked = check(first, s3_endpoint, bucket)
    assert checked.ok, problems(checked)


def test_two_live_publishers_signing_one_thread_apart_the_second_builds_again_and_appends_after_the_first(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first, private = published(tmp_path, bucket, s3_endpoint, monkeypatch)
    other = runner(tmp_path, "b", bucket, private, s3_endpoint, version(3, 3))
    write_tree(first, version(4, 4))
    monkeypatch.setenv(KEY_ENV, KEY)
    late, early = publisher(first), publisher(other)
    lines = interleaved(monkeypatch, late, early, ["t"])

    result = late.publish(["t"])

    assert result.attempts == 2, lines
    assert any("t: another publisher signed into the history meanwhile: building again" in line for line in lines)
    records = online(s3_endpoint, bucket, "gallery/t/history.json")["records"]
    assert described(records)[-4:] == [("version", "v3"), ("latest", "v3"), ("version", "v4"), ("latest", "v4")]
    checked = check(first, s3_endpoint, bucket)
    assert checked.ok, problems(checked)
