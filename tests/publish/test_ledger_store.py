"""The durable publish ledger (``deploy.ledger_bucket``): records merged by pure rules, kept in a bucket on a real
local S3 server (moto, which enforces If-Match / If-None-Match on PutObject), restored by a fresh runner."""

from __future__ import annotations

import json
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
import yaml
from click.testing import CliRunner

from mkdocs_hybrid.cli import main
from mkdocs_hybrid.deploy._ledger_object import LEDGER_KEY, BucketRecords
from mkdocs_hybrid.deploy._r2_config import R2Config
from mkdocs_hybrid.publish.ledger import Ledger
from mkdocs_hybrid.publish.ledger_store import (
    LedgerObjectError,
    LostRace,
    Records,
    VersionRecord,
    decode,
    encode,
    merge,
    read_records,
    restore,
    save,
)
from tests.deploy.test_r2 import bucket, dummy_credentials, s3_endpoint  # noqa: F401 (fixtures)
from tests.factory import ledger_rows, write_tree

EPOCH = "1767225600"


def record(version: str, *, at: str = "2026-01-01T00:00:00Z", key: str = "k1", thread: str = "t",
           again: str | None = None) -> VersionRecord:
    return VersionRecord(thread, version, at, again, key, "b1", "{}", (("page.html", f"sha-{key}", 10),))


def records(*items: VersionRecord, history: tuple[tuple[str, str, str, str], ...] = ()) -> Records:
    return Records({(r.thread, r.version): r for r in items}, history, {})


# -- pure rules ------------------------------------------------------------------------------------------


def test_a_merge_keeps_every_record_of_both_sides_once() -> None:
    merged = merge(records(record("v1"), record("v2")), records(record("v1"), record("v3")))
    assert sorted(merged.records.versions) == [("t", "v1"), ("t", "v2"), ("t", "v3")]
    assert merged.conflicts == ()


def test_the_same_version_with_other_files_keeps_the_one_published_first_and_names_the_loser() -> None:
    first, later = record("v1", at="2026-01-01T00:00:00Z", key="old"), record("v1", at="2026-02-01T00:00:00Z",
                                                                              key="new")
    for ours, theirs in ((later, first), (first, later)):
        merged = merge(records(ours), records(theirs))
        assert merged.records.versions[("t", "v1")] == first
        assert [(c.kept, c.lost) for c in merged.conflicts] == [(first, later)]
    assert "t/v1: another publisher published this version first" in merged.conflicts[0].line("bucket")


def test_on_a_tie_the_durable_copy_wins() -> None:
    merged = merge(records(record("v1", key="mine")), records(record("v1", key="theirs")))
    assert merged.records.versions[("t", "v1")].snapshot_key == "theirs"
    assert merged.conflicts[0].lost.snapshot_key == "mine"


def test_a_deliberate_republish_of_the_same_snapshot_replaces_the_record_without_a_conflict() -> None:
    again = VersionRecord("t", "v1", "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z", "k1", "b2", "{}",
                          (("page.html", "sha-new", 11),))
    for ours, theirs in ((again, record("v1")), (record("v1"), again)):
        merged = merge(records(ours), records(theirs))
        assert merged.records.versions[("t", "v1")] == again and merged.conflicts == ()


def test_latest_histories_merge_row_by_row_in_time_order() -> None:
    a = ("t", "v1", "2026-01-01T00:00:00Z", "build")
    b = ("t", "v2", "2026-01-02T00:00:00Z", "build")
    c = ("t", "v1", "2026-01-03T00:00:00Z", "pin")
    merged = merge(records(history=(a, c)), records(history=(a, b)))
    assert merged.records.history == (a, b, c)


def test_the_document_round_trips_and_the_same_records_give_the_same_bytes() -> None:
    data = records(record("v2"), record("v1"), history=(("t", "v2", "2026-01-01T00:00:00Z", "build"),))
    assert decode(encode(data), "here") == data
    assert encode(data) == encode(decode(encode(data), "here"))


@pytest.mark.parametrize(("data", "why"), [
    (b"\x00\xffnot json", "it is not JSON"),
    (b'{"Version": "2012-10-17", "Statement": []}', "is not a mkdocs-hybrid-ledger-records document"),
    (b'{"format": "mkdocs-hybrid-ledger-records", "version": 1, "versions": [{"thread": "t"}]}',
     "incomplete or of the wrong shape"),
])
def test_a_foreign_or_damaged_object_is_refused_with_one_line(data: bytes, why: str) -> None:
    with pytest.raises(LedgerObjectError) as caught:
        decode(data, "R2 bucket 'b', object k")
    message = str(caught.value)
    assert message.startswith("R2 bucket 'b', object k: the durable publish ledger cannot be read")
    assert why in message and "\n" not in message and "nothing was built or published" in message


# -- compare-and-swap on a real local S3 server ----------------------------------------------------------


def bucket_records(name: str, endpoint: str) -> BucketRecords:
    return BucketRecords(R2Config.from_env(name, "https://ledger.invalid", endpoint_url=endpoint, prefix=""))


def local_ledger(path: Path, *items: VersionRecord) -> Ledger:
    from mkdocs_hybrid.publish.ledger_store import write_records

    ledger = Ledger(path)
    write_records(ledger, records(*items))
    return ledger


def stored(name: str, endpoint: str) -> Records:
    body = boto3.client("s3", endpoint_url=endpoint, region_name="auto").get_object(Bucket=name, Key=LEDGER_KEY)
    return decode(body["Body"].read(), "test")


def test_a_conditional_write_from_a_stale_read_loses_the_race(bucket: str, s3_endpoint: str) -> None:  # noqa: F811
    store = bucket_records(bucket, s3_endpoint)
    store.write(b"first", None)
    with pytest.raises(LostRace):
        store.write(b"second", None)  # If-None-Match: * on an object that exists
    _, etag = store.read() or (b"", "")
    store.write(b"third", etag)
    with pytest.raises(LostRace):
        store.write(b"fourth", etag)  # If-Match with the ETag before "third"
    assert store.read()[0] == b"third"  # type: ignore[index]


def test_two_publishers_at_once_lose_no_record_and_keep_each_version_once(bucket: str, s3_endpoint: str,  # noqa: F811
                                                                          tmp_path: Path) -> None:
    publishers = 8
    paths = [tmp_path / f"runner{i}" / "ledger.sqlite" for i in range(publishers)]
    for i, path in enumerate(paths):  # each runner published its own version, and all of them t/shared
        local_ledger(path, record(f"v{i}", thread=f"t{i % 3}"), record("shared")).close()
    workers = 4
    start = threading.Barrier(workers)  # one per pool thread: 4 publishers start together, then the next 4

    def publish(path: Path) -> int:
        ledger = Ledger(path)  # a runner's own ledger, opened in its own thread
        try:
            start.wait(timeout=60)  # they read the same object (missing, then stale), then race to write it
            return len(save(ledger, bucket_records(bucket, s3_endpoint), attempts=publishers * 2).conflicts)
        finally:
            ledger.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:  # bounded: 8 publishers, 4 at a time
        conflicts = list(pool.map(publish, paths))
    final = stored(bucket, s3_endpoint)
    assert sorted(final.versions) == sorted([(f"t{i % 3}", f"v{i}") for i in range(publishers)] + [("t", "shared")])
    assert conflicts == [0] * publishers
    for path in paths:  # each runner's ledger holds its own records and those saved before its save
        ledger = Ledger(path)
        assert set(read_records(ledger).versions) <= set(final.versions)
        ledger.close()


def test_the_later_publisher_of_a_version_with_other_files_is_refused_and_the_first_kept(
        bucket: str, s3_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    first = local_ledger(tmp_path / "a.sqlite", record("v1", key="first", at="2026-01-01T00:00:00Z"))
    later = local_ledger(tmp_path / "b.sqlite", record("v1", key="later", at="2026-01-02T00:00:00Z"))
    store = bucket_records(bucket, s3_endpoint)
    assert save(first, store).conflicts == ()
    lost = save(later, store).conflicts
    assert [c.lost.snapshot_key for c in lost] == ["later"]
    assert stored(bucket, s3_endpoint).versions[("t", "v1")].snapshot_key == "first"
    assert read_records(later).versions[("t", "v1")].snapshot_key == "first"
    first.close()
    later.close()


def test_an_old_local_ledger_is_read_merged_and_saved_as_it_was(bucket: str, s3_endpoint: str,  # noqa: F811
                                                                tmp_path: Path) -> None:
    ledger = local_ledger(tmp_path / "old.sqlite", record("v1"), record("v2"))
    before = read_records(ledger)
    store = bucket_records(bucket, s3_endpoint)
    assert restore(ledger, store).conflicts == ()  # no object yet: nothing changes
    save(ledger, store)
    assert stored(bucket, s3_endpoint) == before == read_records(ledger)
    ledger.close()


class AlwaysRaced:
    """A store another publisher writes between every read and write of ours."""

    where = "R2 bucket 'b', object k"

    def __init__(self) -> None:
        self.writes = 0

    def read(self) -> tuple[bytes, str] | None:
        return encode(records(record("theirs", thread="u"))), f'"etag-{self.writes}"'

    def write(self, data: bytes, etag: str | None) -> None:
        self.writes += 1
        raise LostRace("412")


def test_a_save_that_keeps_losing_races_stops_after_its_bound_with_one_line(tmp_path: Path) -> None:
    ledger = local_ledger(tmp_path / "l.sqlite", record("v1"))
    store = AlwaysRaced()
    with pytest.raises(LedgerObjectError, match=r"^R2 bucket 'b', object k: the durable publish ledger changed 3 "
                                                r"times while this run saved it .*run the deploy again"):
        save(ledger, store, attempts=3)
    assert store.writes == 3
    assert sorted(read_records(ledger).versions) == [("t", "v1")]  # the local ledger is left as it was
    ledger.close()


def test_a_foreign_object_is_never_overwritten_by_a_save(bucket: str, s3_endpoint: str,  # noqa: F811
                                                         tmp_path: Path) -> None:
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="auto")
    client.put_object(Bucket=bucket, Key=LEDGER_KEY, Body=b"not ours")
    ledger = local_ledger(tmp_path / "l.sqlite", record("v1"))
    with pytest.raises(LedgerObjectError, match="it is not JSON"):
        save(ledger, bucket_records(bucket, s3_endpoint))
    assert client.get_object(Bucket=bucket, Key=LEDGER_KEY)["Body"].read() == b"not ours"
    ledger.close()


# -- a fresh runner, end to end through the CLI ------------------------------------------------------------


def project(root: Path, text: str, bucket_name: str, endpoint: str) -> Path:
    write_tree(root, {"demos/t/v1/index.js": f"document.body.textContent = {text!r}\n",
                      "demos/t/v1/snapshot.yml": "created: 2026-01-01T00:00:00Z\n"})
    data = {"sources": [{"type": "directory", "path": "demos"}], "build": {"cache_dir": ".cache"},
            "deploy": {"ledger_bucket": bucket_name, "r2_endpoint_url": endpoint}}
    (root / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return root


def run_build(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    result = CliRunner().invoke(main, ["build", "-m", "hybrid.yml", "-d", "site", "--no-media", "--quiet", "-j", "1"])
    return result.exit_code, result.output


def test_a_fresh_runner_never_republishes_a_published_version_that_its_snapshot_now_changes(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    first = project(tmp_path / "first", "published", bucket, s3_endpoint)
    code, _ = run_build(first, monkeypatch)
    assert code == 0
    ledger = Ledger(first / ".mkdocs-hybrid" / "ledger.sqlite")
    save(ledger, bucket_records(bucket, s3_endpoint))  # what a deploy does after the build
    ledger.close()
    durable = stored(bucket, s3_endpoint)

    fresh = project(tmp_path / "fresh", "changed under the same id", bucket, s3_endpoint)  # no cache, no ledger
    code, output = run_build(fresh, monkeypatch)
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "t/v1" in output and "this version was published with different files; versions " \
        "are immutable: save your change as a new version (e.g. v2)" in output.replace("\n", "")
    assert stored(bucket, s3_endpoint) == durable  # the durable record is untouched
    assert ledger_rows(fresh, "SELECT thread, version, published_at, snapshot_key FROM versions") == [
        ("t", "v1", durable.versions[("t", "v1")].published_at, durable.versions[("t", "v1")].snapshot_key)]
    assert "changed under the same id" not in "".join(
        p.read_text(errors="replace") for p in (fresh / "site" / "artifacts").rglob("*") if p.is_file())
    notes = json.loads((fresh / "hybrid-report.json").read_text())["media"]["notices"]  # the report says why
    assert len(notes) == 1 and notes[0].startswith("t/v1: its published bytes are not on this runner") and \
        "so it is kept out of this build and a deploy of it would take it offline" in notes[0]


def test_a_foreign_ledger_object_stops_the_build_with_one_line_and_builds_nothing(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="auto").put_object(
        Bucket=bucket, Key=LEDGER_KEY, Body=json.dumps({"someone": "else"}).encode())
    root = project(tmp_path / "p", "x", bucket, s3_endpoint)
    code, output = run_build(root, monkeypatch)
    assert code == 2
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and f"R2 bucket {bucket!r}, object {LEDGER_KEY}: the durable publish ledger cannot be " \
        "read: it is not a mkdocs-hybrid-ledger-records document" in output.replace("\n", "")
    assert not (root / "site" / "artifacts").exists()
    assert ledger_rows(root, "SELECT * FROM versions") == []


def test_without_a_ledger_bucket_nothing_is_restored_or_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "p", "x", "unused-bucket", "http://127.0.0.1:9")  # nothing answers there
    data = yaml.safe_load((root / "hybrid.yml").read_text())
    del data["deploy"]
    (root / "hybrid.yml").write_text(yaml.safe_dump(data))
    code, _ = run_build(root, monkeypatch)
    assert code == 0 and ledger_rows(root, "SELECT thread, version FROM versions") == [("t", "v1")]
    shutil.rmtree(root / "site")
