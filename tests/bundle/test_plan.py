"""The bundling plan: which snapshots bundle, and on which workers esbuild batches run."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

from mkdocs_hybrid.bundle.plan import Workers, plan_jobs
from mkdocs_hybrid.bundle.toolchain import find_toolchain
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.snapshot import Snapshot
from mkdocs_hybrid.sources.scan import scan_sources
from tests.factory import REPO, manifest_for, write_tree


def executor_for(workers: Workers, work: int) -> Executor | None:
    with workers.for_work(work) as executor:
        return executor


def test_batches_run_on_the_callers_executor_else_on_threads_once_there_is_more_than_one_batch() -> None:
    assert executor_for(Workers(jobs=4, batch_size=2), 2) is None
    assert isinstance(executor_for(Workers(jobs=4, batch_size=2), 3), ThreadPoolExecutor)
    assert executor_for(Workers(jobs=1, batch_size=2), 100) is None
    with ThreadPoolExecutor(max_workers=1) as callers:
        assert executor_for(Workers(jobs=4, batch_size=2, executor=callers), 1) is callers


def test_a_refused_snapshot_fails_alone_and_the_others_are_planned_in_scan_order(tmp_path: Path) -> None:
    write_tree(tmp_path, {f"demos/t/v{i}/index.js": f"document.title = '{i}'\n" for i in (1, 2, 3)})
    manifest = manifest_for(tmp_path)
    snapshots = scan_sources(manifest).snapshots

    def refuse(snapshot: Snapshot) -> SnapshotError | None:
        return SnapshotError("not this one", thread=snapshot.thread, version=snapshot.version) \
            if snapshot.version == "v2" else None

    plan = plan_jobs(snapshots, manifest, find_toolchain(REPO), Workers(jobs=1, batch_size=8),
                     lock=tmp_path / "hybrid-lock.json", refuse=refuse)
    assert [job.snapshot.ref for job in plan.jobs] == ["t/v1", "t/v3"]
    assert [(error.ref, error.detail) for error in plan.failed] == [("t/v2", "not this one")]
    assert plan.facts.locked == {} and not (tmp_path / "hybrid-lock.json").exists()
