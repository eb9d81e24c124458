"""Shards on fresh runners with the durable ledger (``deploy.ledger_bucket``): each shard runner and the merge
runner start without a local ledger, restore the records (without bytes) and still build, merge and keep every
published version, on a real local S3 server (moto)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mkdocs_hybrid.cli import main
from mkdocs_hybrid.publish.ledger import Ledger
from mkdocs_hybrid.publish.ledger_store import read_records, save
from tests.deploy.test_r2 import bucket, dummy_credentials, s3_endpoint  # noqa: F401 (fixtures)
from tests.factory import write_tree
from tests.publish.test_ledger_store import EPOCH, bucket_records, stored

SOURCES = {f"demos/{thread}/v1/index.js": f"document.body.textContent = '{thread}';\n" for thread in ("a", "b")}


def checkout(root: Path, bucket_name: str, endpoint: str, *, new: bool = False) -> Path:
    """A fresh checkout; ``new``: with c/v1, a version saved since the last publication."""
    fresh = {"demos/c/v1/index.js": "document.body.textContent = 'c';\n"} if new else {}
    write_tree(root, {**SOURCES, **fresh, "hybrid.yml": "sources: [{type: directory, path: demos}]\n"
                                                "build: {cache_dir: .cache}\n"
                                                f"deploy: {{ledger_bucket: {bucket_name}, "
                                                f"r2_endpoint_url: '{endpoint}'}}\n"})
    return root


def cli(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_shards_and_their_merge_on_fresh_runners_keep_every_published_record(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first = checkout(tmp_path / "first", bucket, s3_endpoint)
    cli(first, monkeypatch, "build", "-m", "hybrid.yml", "-d", "site", "--no-media", "--quiet")
    ledger = Ledger(first / ".mkdocs-hybrid" / "ledger.sqlite")
    save(ledger, bucket_records(bucket, s3_endpoint))  # what a deploy does
    ledger.close()
    published = stored(bucket, s3_endpoint)

    shards = []
    for index in (1, 2):  # each shard on its own fresh runner
        runner = checkout(tmp_path / f"shard{index}", bucket, s3_endpoint, new=True)
        cli(runner, monkeypatch, "build", "-m", "hybrid.yml", "-d", "out", "--shard", f"{index}/2", "--no-media",
            "--quiet")
        shards.append(runner / "out")
    merger = checkout(tmp_path / "merge", bucket, s3_endpoint, new=True)
    for index, folder in enumerate(shards, 1):
        shutil.copytree(folder, merger / f"shard{index}")
    output = cli(merger, monkeypatch, "merge", "shard1", "shard2", "-d", "site")

    assert "the ledger took 1 newly published version" in output  # c/v1; a/v1 and b/v1 were published before
    merged = Ledger(merger / ".mkdocs-hybrid" / "ledger.sqlite")
    try:
        records = read_records(merged).versions
        assert sorted(records) == [("a", "v1"), ("b", "v1"), ("c", "v1")]
        assert {key: records[key] for key in published.versions} == published.versions  # as first published
        assert merged.published()[("c", "v1")].files and all(  # the new one came with its bytes
            merged.get_blob(sha) is not None for sha, _ in merged.published()[("c", "v1")].files.values())
    finally:
        merged.close()
    assert sorted(p.name for p in (merger / "site" / "artifacts").iterdir()) == ["a", "b", "c"]
