"""Two publishers at once on one site (two runners: each its own checkout, cache and local ledger; one artifact
bucket and one durable ledger, on a local S3 server): every version is published exactly once and no ledger
record is lost, whether they publish other threads or the same ones."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.durable_records import durable_records
from tests.deploy.test_r2 import dummy_credentials, fresh_bucket, s3_endpoint  # noqa: F401 (fixtures)
from tests.factory import write_tree
from tests.live.test_publish_version import SITE_URL, objects, project

CLI = [sys.executable, "-c", "from mkdocs_hybrid.cli import main; main()"]
THREADS = [f"t{n}" for n in range(4)]


def runner(root: Path, endpoint: str, bucket: str, ledger_bucket: str, threads: list[str]) -> Path:
    project(root, endpoint, bucket, ledger_bucket=ledger_bucket)
    shutil.rmtree(root / "demos" / "t")
    for thread in threads:
        for version in ("v1", "v2"):
            write_tree(root, {f"demos/{thread}/{version}/index.js": f"document.title = '{thread} {version}';\n",
                              f"demos/{thread}/{version}/snapshot.yml": f"created: '2026-01-0{version[1]}'\n"})
    return root


def at_once(*commands: tuple[list[str], Path]) -> list[subprocess.CompletedProcess[str]]:
    processes = [(subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), args)
                 for args, cwd in commands]
    done = []
    for process, args in processes:
        out, err = process.communicate(timeout=600)
        done.append(subprocess.CompletedProcess(args, process.returncode, out, err))
    return done


def durable_refs(endpoint: str, bucket: str) -> list[str]:
    records = durable_records(endpoint, bucket)
    assert records is not None
    return sorted(f"{thread}/{version}" for thread, version in records.versions)


@pytest.mark.slow
@pytest.mark.parametrize("split", [True, False], ids=["other-threads", "same-threads"])
def test_two_publishers_at_once_publish_every_version_once_and_lose_no_record(
        s3_endpoint: str, tmp_path: Path, split: bool) -> None:  # noqa: F811
    bucket, ledger_bucket = fresh_bucket(s3_endpoint), fresh_bucket(s3_endpoint)
    one = runner(tmp_path / "runner-1", s3_endpoint, bucket, ledger_bucket, THREADS[::2] if split else THREADS)
    two = runner(tmp_path / "runner-2", s3_endpoint, bucket, ledger_bucket, THREADS[1::2] if split else THREADS)
    worker = [*CLI, "worker", "--site-url", SITE_URL, "--no-media", "--settle", "0"]
    for run in at_once((worker, one), (worker, two)):
        assert run.returncode == 0, run.stdout + run.stderr
    expected = [f"{thread}/{version}" for thread in THREADS for version in ("v1", "v2")]
    assert durable_refs(s3_endpoint, ledger_bucket) == expected  # every record, each once
    held = objects(s3_endpoint, bucket)
    assert all(f"p/{ref}/index.html" in held and f"artifacts/{ref}/page.html" in held for ref in expected)
    assert not [key for key in objects(s3_endpoint, ledger_bucket) if key.startswith("mkdocs-hybrid/pending/")]
