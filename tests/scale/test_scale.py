"""Parallel, sharded and distributed builds give the same bytes as one plain build."""

from __future__ import annotations

import filecmp
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.scale.shards import Shard
from tests.factory import ledger_rows, manifest_for, read_tree, run_cli, write_tree

REACT = '{"dependencies": {"react": "18.3.1", "react-dom": "18.3.1"}}'
REACT_APP = "import { createRoot } from 'react-dom/client'\ncreateRoot(document.body).render(<b>hi</b>)\n"


def demo_project(root: Path, threads: int = 12) -> Path:
    files: dict[str, str] = {}
    for t in range(threads):
        for v in (1, 2):
            files[f"demos/t{t:02d}/v{v}/index.js"] = f"document.body.textContent = 'thread {t} version {v}'\n"
            files[f"demos/t{t:02d}/v{v}/snapshot.yml"] = f"created: 2026-01-{v:02d}T00:00:00Z\n"
    files["demos/t03/v3/index.js"] = "const = broken\n"
    write_tree(root, files)
    return root



def test_parallel_batches_give_the_same_site_as_sequential(tmp_path: Path) -> None:
    project = demo_project(tmp_path / "project")
    manifest = manifest_for(project, batch_size=3)
    sequential = Export(manifest, jobs=1)
    sequential.run(tmp_path / "one")
    (project / ".cache" / "bundles.sqlite").unlink()  # build everything again, in parallel this time
    parallel = Export(manifest, jobs=4)
    parallel.run(tmp_path / "four")
    assert len(parallel.report.built) == 24 and [e.ref for e in parallel.report.failed] == ["t03/v3"]
    assert read_tree(tmp_path / "one") == read_tree(tmp_path / "four")


def test_process_pool_executor_builds_the_same_bytes(tmp_path: Path) -> None:
    project = demo_project(tmp_path / "project", threads=4)
    manifest = manifest_for(project, batch_size=2)
    with ProcessPoolExecutor(max_workers=2) as pool:
        remote = Export(manifest, executor=pool)
        remote.run(tmp_path / "pool")
    assert [e.ref for e in remote.report.failed] == ["t03/v3"]
    assert str(remote.report.failed[0]) == 't03/v3: index.js:1:7: Expected identifier but found "="'
    local = Export(manifest, jobs=1)
    local.run(tmp_path / "local")
    assert read_tree(tmp_path / "pool") == read_tree(tmp_path / "local")


def test_two_shards_merged_equal_one_full_build(tmp_path: Path) -> None:
    project = demo_project(tmp_path / "project")
    manifest_for(project)
    assert run_cli("build", "-d", str(tmp_path / "full"), cwd=project).returncode == 0
    for index in (1, 2):
        result = run_cli("build", "-d", str(tmp_path / f"shard{index}"), "--shard", f"{index}/2", cwd=project)
        assert result.returncode == 0, result.stderr
    shard_threads = [{p.name for p in (tmp_path / f"shard{i}/artifacts").iterdir()} for i in (1, 2)]
    assert shard_threads[0] and shard_threads[1] and not shard_threads[0] & shard_threads[1]
    merged = run_cli("merge", str(tmp_path / "shard1"), str(tmp_path / "shard2"), "-d", str(tmp_path / "merged"),
                 cwd=project)
    assert merged.returncode == 0, merged.stderr
    comparison = filecmp.dircmp(tmp_path / "full", tmp_path / "merged")
    assert read_tree(tmp_path / "full") == read_tree(tmp_path / "merged"), comparison.diff_files


def test_merge_refuses_overlapping_or_unsharded_inputs(tmp_path: Path) -> None:
    project = demo_project(tmp_path / "project", threads=2)
    manifest_for(project)
    run_cli("build", "-d", str(tmp_path / "a"), "--shard", "1/1", cwd=project)
    overlapping = run_cli("merge", str(tmp_path / "a"), str(tmp_path / "a"), "-d", str(tmp_path / "m"), cwd=project)
    assert overlapping.returncode == 2 and "are both shard 1/1" in overlapping.stderr
    run_cli("build", "-d", str(tmp_path / "plain"), cwd=project)
    plain = run_cli("merge", str(tmp_path / "plain"), "-d", str(tmp_path / "m2"), cwd=project)
    assert plain.returncode == 2 and "build it with `mkdocs-hybrid build --shard I/N`" in plain.stderr


def test_shards_built_on_other_machines_merge_into_one_site_and_the_project_ledger(tmp_path: Path) -> None:
    project = demo_project(tmp_path / "project", threads=6)
    write_tree(project, {"demos/react/v1/src/index.jsx": REACT_APP, "demos/react/v1/package.json": REACT})
    manifest_for(project)
    assert run_cli("build", "-d", str(tmp_path / "yesterday"), cwd=project).returncode == 0
    # Tonight: new versions, built by two machines that each got a copy of the project and its ledger.
    write_tree(project, {"demos/t00/v3/index.js": "document.title = 'new'\n", "demos/t00/v3/snapshot.yml":
                         "created: 2026-01-03T00:00:00Z\n", "demos/react/v2/src/index.jsx": REACT_APP + "// v2\n",
                         "demos/react/v2/package.json": REACT})
    for index in (1, 2):
        machine = shutil.copytree(project, tmp_path / f"machine{index}", symlinks=True)
        result = run_cli("build", "-d", str(machine / "site"), "--shard", f"{index}/2", cwd=machine)
        assert result.returncode == 0, result.stderr
    merged = run_cli("merge", str(tmp_path / "machine1/site"), str(tmp_path / "machine2/site"),
                     "-d", str(tmp_path / "merged"), cwd=project)
    assert merged.returncode == 0, merged.stderr
    assert "took 2 newly published versions" in merged.stdout

    published = {f"{t}/{v}" for t, v in ledger_rows(project, "SELECT thread, version FROM versions")}
    assert {"t00/v3", "react/v2"} <= published
    assert ("t00", "v3") in ledger_rows(project, "SELECT thread, version FROM latest_history")
    assert list((tmp_path / "merged/vendor").glob("*.js")), "the shared vendor file came along"
    assert run_cli("build", "-d", str(tmp_path / "full"), cwd=project).returncode == 0
    assert read_tree(tmp_path / "merged") == read_tree(tmp_path / "full")
    # The project ledger now guards what the shards published.
    (project / "demos/t00/v3/index.js").write_text("document.title = 'edited after publishing'\n")
    refused = run_cli("build", "-d", str(tmp_path / "again"), cwd=project)
    assert "t00/v3" in refused.stderr and "save your change as a new version (e.g. v4)" in refused.stderr


def test_merge_refuses_a_shard_built_without_the_project_ledger(tmp_path: Path) -> None:
    project = demo_project(tmp_path / "project", threads=2)
    manifest_for(project)
    assert run_cli("build", "-d", str(tmp_path / "site"), cwd=project).returncode == 0
    before = ledger_rows(project, "SELECT * FROM versions ORDER BY 1, 2")
    machine = shutil.copytree(project, tmp_path / "machine", symlinks=True)
    shutil.rmtree(machine / ".mkdocs-hybrid")
    (machine / "demos/t00/v1/index.js").write_text("document.title = 'changed under a published id'\n")
    assert run_cli("build", "-d", str(machine / "site"), "--shard", "1/1", cwd=machine).returncode == 0
    refused = run_cli("merge", str(machine / "site"), "-d", str(tmp_path / "merged"), cwd=project)
    assert refused.returncode == 2
    assert "t00/v1 has other files" in refused.stderr and "copy of the project's ledger" in refused.stderr
    assert ledger_rows(project, "SELECT * FROM versions ORDER BY 1, 2") == before
    assert not (tmp_path / "merged").exists(), "nothing is merged when a ledger does not fit"


def test_merge_refuses_an_incomplete_set_of_shards_and_writes_nothing(tmp_path: Path) -> None:
    project = demo_project(tmp_path / "project", threads=6)
    manifest_for(project)
    for index in (1, 2, 4):
        result = run_cli("build", "-d", str(tmp_path / f"shard{index}"), "--shard", f"{index}/4", cwd=project)
        assert result.returncode == 0, result.stderr
    ledger_before = [ledger_rows(project, f"SELECT * FROM {table} ORDER BY 1, 2, 3")
                     for table in ("versions", "files", "latest_history")]
    three = run_cli("merge", *(str(tmp_path / f"shard{i}") for i in (1, 2, 4)), "-d", str(tmp_path / "merged"),
                    cwd=project)
    assert three.returncode == 2
    assert "shard 3/4 is missing: pass every shard folder of the build (1..4)" in three.stderr
    one = run_cli("merge", str(tmp_path / "shard1"), "-d", str(tmp_path / "merged"), cwd=project)
    assert one.returncode == 2 and "shards 2/4, 3/4, 4/4 are missing" in one.stderr
    assert not (tmp_path / "merged").exists()
    assert [ledger_rows(project, f"SELECT * FROM {table} ORDER BY 1, 2, 3")
            for table in ("versions", "files", "latest_history")] == ledger_before


@pytest.mark.parametrize("text", ["0/2", "3/2", "x", "1/0"])
def test_bad_shard_spec(text: str) -> None:
    with pytest.raises(HybridError, match="--shard"):
        Shard.parse(text)


def test_dask_local_cluster_builds_the_samples(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    project = demo_project(tmp_path / "project", threads=4)
    manifest_for(project, batch_size=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  scheduler_port=0) as cluster:
        result = run_cli("build", "-d", str(tmp_path / "dask"), "--executor", cluster.scheduler_address, cwd=project)
    assert result.returncode == 0, result.stderr
    assert "8 built" in result.stdout and "1 failed" in result.stdout
    assert run_cli("build", "-d", str(tmp_path / "local"), "--jobs", "1", cwd=project).returncode == 0
    assert read_tree(tmp_path / "dask") == read_tree(tmp_path / "local")


def test_merge_needs_the_project_manifest_when_shards_carry_ledgers(tmp_path: Path) -> None:
    project = demo_project(tmp_path / "project", threads=2)
    manifest_for(project)
    assert run_cli("build", "-d", str(tmp_path / "shard"), "--shard", "1/1", cwd=project).returncode == 0
    elsewhere = run_cli("merge", str(tmp_path / "shard"), "-d", str(tmp_path / "merged"), cwd=tmp_path)
    assert elsewhere.returncode == 2 and "no manifest was found" in elsewhere.stderr
    assert not (tmp_path / "merged").exists()
    manifest_for(project, ledger=False)  # a project that keeps no ledger can merge anywhere
    assert run_cli("build", "-d", str(tmp_path / "plain-shard"), "--shard", "1/1", cwd=project).returncode == 0
    assert not (tmp_path / "plain-shard/.hybrid-shard/ledger.sqlite").exists()
    merged = run_cli("merge", str(tmp_path / "plain-shard"), "-d", str(tmp_path / "merged"), cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr


def test_merge_refuses_a_shard_without_a_partial_ledger_when_the_project_keeps_one(tmp_path: Path) -> None:
    project = demo_project(tmp_path / "project", threads=2)
    manifest_for(project, ledger=False)
    assert run_cli("build", "-d", str(tmp_path / "shard"), "--shard", "1/1", cwd=project).returncode == 0
    manifest_for(project)  # the ledger is on again where the merge runs
    refused = run_cli("merge", str(tmp_path / "shard"), "-d", str(tmp_path / "merged"), cwd=project)
    assert refused.returncode == 2, refused.stderr
    assert "has no partial ledger, but the project keeps one" in refused.stderr
    assert "ledger.sqlite" in refused.stderr and "copy of the project's ledger" in refused.stderr
    assert not (tmp_path / "merged").exists()
