"""The publish ledger: published versions are immutable, survive failures and kills, and `latest` is pinned."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from mkdocs_hybrid import pipeline
from mkdocs_hybrid.bundle import bundler
from mkdocs_hybrid.cli import main
from mkdocs_hybrid.edge.static import RoutesError
from mkdocs_hybrid.model.errors import HybridError, SnapshotError, ToolchainError
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.publish import site as publish_site
from mkdocs_hybrid.publish.ledger import BuildLedger
from mkdocs_hybrid.publish.policy import suggest_version
from tests.factory import REPO, ledger_rows, manifest_for, read_tree, write_tree

EPOCH = "1767225600"
ARTIFACT = ("page.html", "style.css", "meta.json")


def demo(thread: str, version: str, text: str, day: int = 1) -> dict[str, str]:
    return {f"demos/{thread}/{version}/index.js": f"document.body.textContent = {text!r}\n",
            f"demos/{thread}/{version}/snapshot.yml": f"created: 2026-01-{day:02d}T00:00:00Z\n"}


def project(root: Path, **files: dict[str, str]) -> Path:
    merged: dict[str, str] = {}
    for part in files.values():
        merged.update(part)
    write_tree(root, merged)
    return root


def artifact(site: Path, ref: str) -> dict[str, bytes]:
    return {name: (site / "artifacts" / ref / name).read_bytes() for name in ARTIFACT}



def build(root: Path, site: Path, **options: object) -> Export:
    export = Export(manifest_for(root), jobs=1, **options)  # type: ignore[arg-type]
    export.catalog = export.run(site)  # type: ignore[attr-defined]
    return export


def errors(export: Export) -> dict[str, str]:
    return {e.ref: e.detail for e in export.report.failed}


def versions(export: Export) -> dict[str, list[str]]:
    return {t.id: [v.version for v in t.versions] for t in export.catalog.threads}  # type: ignore[attr-defined]


def cli(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--manifest", str(root / "hybrid.yml")])
    return result.exit_code, result.output


def test_a_changed_snapshot_under_a_published_version_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path / "p", a=demo("t", "v1", "one"), b=demo("t", "v2", "two", 2), c=demo("u", "v1", "u"))
    site = tmp_path / "site"
    first = build(root, site)
    assert first.report.ok and sorted(first.report.built) == ["t/v1", "t/v2", "u/v1"]
    published = artifact(site, "t/v1")
    share = (site / "p/t/v1/index.html").read_bytes()

    write_tree(root, {"demos/t/v1/index.js": "document.body.textContent = 'edited in place'\n"})
    second = build(root, site)
    assert errors(second) == {"t/v1": "this version was published with different files; versions are immutable: "
                                      "save your change as a new version (e.g. v3)"}
    assert str(second.report.failed[0]).startswith("t/v1: this version was published with different files")
    assert artifact(site, "t/v1") == published and (site / "p/t/v1/index.html").read_bytes() == share
    assert second.report.kept == ["t/v1"] and "t/v1" not in second.report.built + second.report.cached
    assert versions(second) == {"t": ["v2", "v1"], "u": ["v1"]}
    assert second.report.to_dict()["counts"]["kept"] == 1  # type: ignore[index]

    # Saved as a new version instead, it builds and publishes; the old one is unaffected.
    write_tree(root, {"demos/t/v3/index.js": "document.body.textContent = 'edited in place'\n"})
    shutil.rmtree(root / "demos/t/v1")
    write_tree(root, demo("t", "v1", "one"))
    third = build(root, site)
    assert third.report.ok and third.report.kept == [] and "t/v3" in third.report.cached  # bundled by the 2nd build
    assert ("t", "v3") in ledger_rows(root, "SELECT thread, version FROM versions")
    assert artifact(site, "t/v1") == published


def test_new_bytes_for_the_same_inputs_keep_the_published_ones_unless_republished(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "p", a=demo("t", "v1", "one"), b=demo("t", "v2", "two", 2))
    site = tmp_path / "site"
    build(root, site)
    published = {ref: artifact(site, ref) for ref in ("t/v1", "t/v2")}

    # A new page template (or esbuild) changes every rebuilt artifact's bytes.
    monkeypatch.setattr(pipeline, "template_digest", lambda: "a-new-template")
    kept = build(root, tmp_path / "site2")
    assert kept.report.ok and sorted(kept.report.kept) == ["t/v1", "t/v2"]
    assert {ref: artifact(tmp_path / "site2", ref) for ref in published} == published

    republished = build(root, tmp_path / "site3", republish={"t/v2"})
    assert republished.report.kept == ["t/v1"]
    assert artifact(tmp_path / "site3", "t/v1") == published["t/v1"]
    fresh = artifact(tmp_path / "site3", "t/v2")
    assert fresh["meta.json"] != published["t/v2"]["meta.json"]
    # From now on the republished bytes are the published ones.
    again = build(root, tmp_path / "site4")
    assert again.report.kept == ["t/v1"] and artifact(tmp_path / "site4", "t/v2") == fresh
    everything = build(root, tmp_path / "site5", republish=True)
    assert everything.report.kept == []


def test_a_failing_rebuild_keeps_the_published_artifact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "p", a=demo("t", "v1", "one"), b=demo("t", "v2", "two", 2))
    site = tmp_path / "site"
    build(root, site)
    published = artifact(site, "t/v2")

    # Same snapshot, but the bundler now fails on it (say, a new esbuild) and nothing is cached.
    def broken_bundler(jobs, toolchain, options, finish, executor=None):  # type: ignore[no-untyped-def]
        for job in jobs:
            finish(job, SnapshotError("esbuild crashed", thread=job.snapshot.thread, version=job.snapshot.version))

    monkeypatch.setattr(bundler, "bundle_jobs", broken_bundler)  # the export imports it when it bundles
    (root / ".cache" / "bundles.sqlite").unlink()
    shutil.rmtree(site)
    failed = build(root, site)
    assert errors(failed) == {"t/v1": "esbuild crashed", "t/v2": "esbuild crashed"}
    assert sorted(failed.report.kept) == ["t/v1", "t/v2"]
    assert artifact(site, "t/v2") == published
    assert versions(failed) == {"t": ["v2", "v1"]}
    assert (site / "p/t/v2/index.html").is_file()
    assert "/p/t/latest /p/t/v2/ 302" in (site / "_redirects").read_text()


def test_a_published_version_whose_snapshot_disappeared_stays_in_the_site(tmp_path: Path) -> None:
    root = project(tmp_path / "p", a=demo("t", "v1", "one"), b=demo("t", "v2", "two", 2), c=demo("gone", "v1", "x"))
    site = tmp_path / "site"
    build(root, site)
    published = {ref: artifact(site, ref) for ref in ("t/v1", "gone/v1")}
    first_tree = read_tree(site)
    shutil.rmtree(root / "demos/t/v1")
    shutil.rmtree(root / "demos/gone")
    shutil.rmtree(site)
    later = build(root, site)
    assert later.report.ok and sorted(later.report.kept) == ["gone/v1", "t/v1"]
    assert {ref: artifact(site, ref) for ref in published} == published
    assert versions(later) == {"gone": ["v1"], "t": ["v2", "v1"]}
    assert read_tree(site) == first_tree  # share pages and routes too


def test_pin_moves_latest_and_history_shows_it(tmp_path: Path) -> None:
    root = project(tmp_path / "p", a=demo("t", "v1", "one"), b=demo("t", "v2", "two", 2))
    site = tmp_path / "site"
    manifest_for(root)
    code, output = cli(root, "pin", "t", "v1")
    assert code == 2 and "no publish ledger yet" in output
    assert build(root, site).catalog.thread("t").latest == "v2"  # type: ignore[attr-defined]

    code, output = cli(root, "pin", "t", "v9")
    assert code == 2 and "t/v9 is not published" in output and "published versions: v1, v2" in output
    code, output = cli(root, "pin", "t", "v1")
    assert code == 0 and "latest pinned to v1" in output, output
    pinned = build(root, site)
    assert pinned.catalog.thread("t").latest == "v1"  # type: ignore[attr-defined]
    assert "/p/t/latest /p/t/v1/ 302" in (site / "_redirects").read_text()
    assert 'content="v1"' in (site / "p/t/latest/index.html").read_text()

    code, output = cli(root, "history", "t")
    assert code == 0, output
    lines = output.splitlines()
    assert [line.split()[1:] for line in lines if line.startswith("  2")][:2] == [["v2", "build"], ["v1", "pin"]]
    assert "pinned latest: v1" in output
    sha = ledger_rows(root, "SELECT sha256 FROM files WHERE thread='t' AND version='v1' AND name='page.html'")[0][0]
    assert f"page.html  sha256 {sha}" in output

    code, output = cli(root, "pin", "t", "--clear")
    assert code == 0, output
    unpinned = build(root, site)
    assert unpinned.catalog.thread("t").latest == "v2"  # type: ignore[attr-defined]
    assert "/p/t/latest /p/t/v2/ 302" in (site / "_redirects").read_text()
    assert [r[1:] for r in ledger_rows(root, "SELECT thread, version, reason FROM latest_history ORDER BY id")] == [
        ("v2", "build"), ("v1", "pin"), ("v2", "build")]


def test_while_a_build_holds_the_ledger_reading_works_and_writers_are_told_it_is_busy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build holds the write lock from bundling until its media and pages are written (minutes, on a cold media
    cache). Meanwhile history reads the ledger at once, and a pin or a second build waits, then says the ledger
    is busy, not that it is damaged (an old message advised restoring it from a backup)."""
    monkeypatch.setattr("mkdocs_hybrid.publish.ledger.BUSY_TIMEOUT", 1)
    root = project(tmp_path / "p", a=demo("t", "v1", "one"))
    build(root, tmp_path / "site")
    holder = sqlite3.connect(root / ".mkdocs-hybrid" / "ledger.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # as a running build does
    try:
        started = time.monotonic()
        code, output = cli(root, "history", "t")
        assert code == 0 and "v1" in output and time.monotonic() - started < 1, output
        code, output = cli(root, "pin", "t", "v1")
        assert code == 2 and "the publish ledger is busy" in output and "run this again" in output, output
        assert "backup" not in output
        with pytest.raises(HybridError, match="the publish ledger is busy"):
            build(root, tmp_path / "site")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert cli(root, "pin", "t", "v1")[0] == 0


_KILLED_BUILD = """
import sys
from pathlib import Path
from mkdocs_hybrid.pipeline import Export
from tests.factory import manifest_for
root = Path(sys.argv[1])
Export(manifest_for(root, batch_size=4), jobs=1).run(root / "site")
"""


def test_the_ledger_survives_a_build_killed_midway(tmp_path: Path) -> None:
    root = project(tmp_path / "p", a=demo("first", "v1", "first"))
    build(root, root / "site")
    more: dict[str, str] = {}
    for t in range(60):
        for v in (1, 2, 3):
            more.update(demo(f"t{t:02d}", f"v{v}", f"thread {t} version {v} " + "x" * 200, v))
    write_tree(root, more)

    process = subprocess.Popen([sys.executable, "-c", _KILLED_BUILD, str(root)], cwd=REPO,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    artifacts = root / "site" / "artifacts"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if sum(1 for _ in artifacts.glob("t*/v*/meta.json")) >= 20:
            break
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the build finished before it could be killed"

    assert ledger_rows(root, "PRAGMA integrity_check") == [("ok",)]
    assert ledger_rows(root, "SELECT thread, version FROM versions") == [("first", "v1")]
    incomplete = ledger_rows(root, "SELECT v.thread, v.version FROM versions v LEFT JOIN files f "
                            "ON f.thread = v.thread AND f.version = v.version "
                            "GROUP BY v.thread, v.version HAVING count(f.name) < 3")
    assert incomplete == []

    rerun = build(root, root / "site")
    assert rerun.report.ok and rerun.report.kept == []
    assert ledger_rows(root, "SELECT count(*) FROM versions") == [(181,)]
    assert ledger_rows(root, "SELECT count(*) FROM files") == [(181 * 4,)]  # page, style, meta, source
    assert ledger_rows(root, "PRAGMA integrity_check") == [("ok",)]
    assert ledger_rows(root, "SELECT count(*) FROM files WHERE sha256 NOT IN (SELECT sha256 FROM blobs)") == [(0,)]


def test_builds_with_source_date_epoch_are_byte_identical_with_ledger_served_versions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    results = []
    for name in ("one", "two"):  # the same history, played in two separate projects
        root = project(tmp_path / name, a=demo("t", "v1", "one"), b=demo("t", "v2", "two", 2),
                       c=demo("gone", "v1", "x"))
        with monkeypatch.context() as patch:
            patch.setattr(pipeline, "template_digest", lambda: "last-year's-template")
            build(root, tmp_path / f"{name}-first")
        shutil.rmtree(root / "demos/gone")
        later = build(root, tmp_path / f"{name}-site")
        assert sorted(later.report.kept) == ["gone/v1", "t/v1", "t/v2"]
        results.append((read_tree(tmp_path / f"{name}-site"), ledger_rows(root, "SELECT * FROM blobs ORDER BY 1"),
                        ledger_rows(root, "SELECT * FROM versions ORDER BY 1, 2"),
                        ledger_rows(root,
                                    "SELECT thread, version, changed_at, reason FROM latest_history ORDER BY id")))
    assert results[0] == results[1]
    site, _, versions_rows, _ = results[0]
    assert {row[2] for row in versions_rows} == {"2026-01-01T00:00:00Z"}
    assert site["artifacts/gone/v1/page.html"] and "p/gone/v1/index.html" in site


def test_ledger_false_disables_it_and_suggestions(tmp_path: Path) -> None:
    root = project(tmp_path / "p", a=demo("t", "v1", "one"))
    Export(manifest_for(root, ledger=False), jobs=1).run(tmp_path / "site")
    write_tree(root, {"demos/t/v1/index.js": "document.title = 'changed'\n"})
    export = Export(manifest_for(root, ledger=False), jobs=1)
    export.run(tmp_path / "site")
    assert export.report.ok and not (root / ".mkdocs-hybrid").exists()
    assert suggest_version("v1", {"v1", "v2", "v4"}) == "v5"
    assert suggest_version("draft", {"draft"}) == "draft-2"
    assert suggest_version("1.9", {"1.9", "1.10"}) == "1.11"


def assert_released(root: Path) -> None:
    """The build closed the ledger: no connection left (so no WAL file) and another writer gets the lock at once."""
    path = root / ".mkdocs-hybrid" / "ledger.sqlite"
    assert not Path(f"{path}-wal").exists(), "the failed build left the ledger open"
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # raises "database is locked" while the failed build holds it
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_build_stopped_by_a_missing_toolchain_releases_the_ledger(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "p", a=demo("t", "v1", "one"))
    build(root, tmp_path / "site")
    monkeypatch.setenv("MKDOCS_HYBRID_NODE_MODULES", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ToolchainError, match=r"MKDOCS_HYBRID_NODE_MODULES=.* has no esbuild-wasm"):
        Export(manifest_for(root), jobs=1).run(tmp_path / "site")
    assert_released(root)
    assert ledger_rows(root, "SELECT thread, version FROM versions") == [("t", "v1")]


def test_an_error_inside_reconcile_rolls_back_and_releases_the_ledger(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "p", a=demo("t", "v1", "one"), b=demo("t", "v2", "two", 2))

    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(BuildLedger, "store", disk_full)  # keeping an artifact in the ledger fails
    with pytest.raises(OSError, match="No space left"):
        Export(manifest_for(root), jobs=1).run(tmp_path / "site")
    assert_released(root)
    assert ledger_rows(root, "SELECT count(*) FROM versions") == [(0,)]
    monkeypatch.undo()
    assert build(root, tmp_path / "site").report.ok
    assert ledger_rows(root, "SELECT count(*) FROM versions") == [(2,)]


def test_a_routes_error_leaves_the_ledger_and_the_site_as_they_were(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "p", a=demo("t", "v1", "one"), b=demo("t", "v2", "two", 2))
    site = tmp_path / "site"
    build(root, site)
    tables = ("versions", "files", "latest_history")
    before = [ledger_rows(root, f"SELECT * FROM {table} ORDER BY 1, 2, 3") for table in tables]
    write_tree(root, demo("t", "v3", "three", 3))  # v3 would become the thread's latest

    def over_the_limits(*_: object, **__: object) -> None:
        raise RoutesError("_redirects would have 2001 static / 1 dynamic rules, over Cloudflare's limits")

    monkeypatch.setattr(publish_site, "edge_writer", lambda _target: over_the_limits)
    with pytest.raises(RoutesError, match="over Cloudflare's limits"):
        build(root, site)
    assert [ledger_rows(root, f"SELECT * FROM {table} ORDER BY 1, 2, 3") for table in tables] == before
    assert "/p/t/latest /p/t/v2/ 302" in (site / "_redirects").read_text()
    assert_released(root)
    monkeypatch.undo()
    later = build(root, site)
    assert later.report.ok and ("t", "v3") in ledger_rows(root, "SELECT thread, version FROM latest_history")
    assert "/p/t/latest /p/t/v3/ 302" in (site / "_redirects").read_text()
