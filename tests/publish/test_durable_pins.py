"""Pins through the durable publish ledger (``deploy.ledger_bucket``): each thread's last pin change (a version, or
cleared) with its time, the later change winning, so a pin cleared on one fresh runner stays cleared on the next,
and of two runners pinning a thread at once the later wins. On a real local S3 server (moto)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mkdocs_hybrid.publish.ledger import Ledger
from mkdocs_hybrid.publish.ledger_store import Pin, Records, decode, encode, merge, read_records, restore, save
from tests.deploy.test_r2 import bucket, dummy_credentials, s3_endpoint  # noqa: F401 (fixtures)
from tests.publish.test_ledger_store import bucket_records, local_ledger, record, stored

T1, T2, T3 = "1767225600", "1767225660", "1767225720"
"""SOURCE_DATE_EPOCH of three moments a minute apart (2026-01-01T00:00:00Z, :01:00Z, :02:00Z)."""
AT1, AT2 = "2026-01-01T00:00:00Z", "2026-01-01T00:01:00Z"


def pins(**states: Pin) -> Records:
    return Records(pins=states)


# -- pure rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ours", "theirs", "kept"), [
    (Pin("v1", AT1), Pin(None, AT2), Pin(None, AT2)),  # cleared later elsewhere: stays cleared
    (Pin(None, AT2), Pin("v1", AT1), Pin(None, AT2)),  # cleared here later: stays cleared
    (Pin("v1", AT2), Pin("v2", AT1), Pin("v1", AT2)),
    (Pin("v1", AT1), Pin("v2", AT2), Pin("v2", AT2)),
    (Pin("v1", AT1), Pin("v2", AT1), Pin("v1", AT1)),  # the same second: the run saving now wins
    (Pin("v1"), Pin(None, AT1), Pin(None, AT1)),  # a pin from before pins had times is older than any timed one
])
def test_each_threads_later_pin_change_wins_whichever_side_holds_it(ours: Pin, theirs: Pin, kept: Pin) -> None:
    assert merge(pins(t=ours), pins(t=theirs)).records.pins == {"t": kept}


def test_a_version_1_object_is_read_with_untimed_pins_and_saved_as_version_2() -> None:
    old = {"format": "mkdocs-hybrid-ledger-records", "version": 1, "versions": [], "latest_history": [],
           "pins": {"t": "v1"}}
    records = decode(json.dumps(old).encode(), "here")
    assert records.pins == {"t": Pin("v1", "")} and records.pinned() == {"t": "v1"}
    document = json.loads(encode(records))
    assert document["version"] == 2 and document["pins"] == {"t": {"version": "v1", "at": ""}}
    assert decode(encode(records), "here") == records


def test_a_local_pin_set_by_an_older_mkdocs_hybrid_is_read_without_a_time(tmp_path: Path) -> None:
    ledger = local_ledger(tmp_path / "l.sqlite", record("v1"))
    ledger.db.execute("INSERT INTO pins VALUES ('t', 'v1')")  # what an older version's pin wrote, and only that
    assert read_records(ledger).pins == {"t": Pin("v1", "")}
    ledger.close()


# -- runners on a real local S3 server ---------------------------------------------------------------------


def runner(path: Path, store_name: str, endpoint: str) -> Ledger:
    """A fresh runner's ledger, restored from the durable object."""
    ledger = Ledger(path)
    restore(ledger, bucket_records(store_name, endpoint))
    return ledger


def pin_at(monkeypatch: pytest.MonkeyPatch, epoch: str, ledger: Ledger, version: str | None) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    ledger.pin("t", version)


def test_a_pin_cleared_on_a_fresh_runner_stays_cleared_on_the_next_one(bucket: str, s3_endpoint: str,  # noqa: F811
                                                                        tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    store = bucket_records(bucket, s3_endpoint)
    a = local_ledger(tmp_path / "a.sqlite", record("v1"), record("v2"))
    pin_at(monkeypatch, T1, a, "v1")
    save(a, store)

    b = runner(tmp_path / "b.sqlite", bucket, s3_endpoint)
    assert b.pins() == {"t": "v1"}
    pin_at(monkeypatch, T2, b, None)
    save(b, store)

    c = runner(tmp_path / "c.sqlite", bucket, s3_endpoint)
    assert c.pins() == {}
    assert stored(bucket, s3_endpoint).pins == {"t": Pin(None, AT2)}
    save(a, store)  # runner A, still holding its old pin, saves again: the later clear is kept
    assert a.pins() == {} and stored(bucket, s3_endpoint).pins == {"t": Pin(None, AT2)}
    pin_at(monkeypatch, T3, c, "v2")  # and a later pin is a pin again
    save(c, store)
    assert runner(tmp_path / "d.sqlite", bucket, s3_endpoint).pins() == {"t": "v2"}
    for ledger in (a, b, c):
        ledger.close()


@pytest.mark.parametrize("order", ["earlier saves first", "later saves first", "at once"])
def test_two_runners_pinning_a_thread_at_once_keep_the_later_pin_and_both_history_rows(
        order: str, bucket: str, s3_endpoint: str, tmp_path: Path,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = bucket_records(bucket, s3_endpoint)
    save(local_ledger(tmp_path / "first.sqlite", record("v1"), record("v2")), store)
    earlier = runner(tmp_path / "a.sqlite", bucket, s3_endpoint)
    later = runner(tmp_path / "b.sqlite", bucket, s3_endpoint)
    pin_at(monkeypatch, T1, earlier, "v1")
    pin_at(monkeypatch, T2, later, "v2")

    if order == "at once":
        start = threading.Barrier(2)

        def saver(path: Path) -> Callable[[], None]:
            def run() -> None:
                own = Ledger(path)  # its own connection, in its own thread
                try:
                    start.wait(timeout=60)
                    save(own, bucket_records(bucket, s3_endpoint))
                finally:
                    own.close()
            return run

        with ThreadPoolExecutor(max_workers=2) as pool:
            for done in [pool.submit(saver(tmp_path / name)) for name in ("a.sqlite", "b.sqlite")]:
                done.result()
    else:
        for ledger in ((earlier, later) if order == "earlier saves first" else (later, earlier)):
            save(ledger, store)

    final = stored(bucket, s3_endpoint)
    assert final.pins == {"t": Pin("v2", AT2)}
    assert [row for row in final.history if row[3] == "pin"] == [("t", "v1", AT1, "pin"), ("t", "v2", AT2, "pin")]
    fresh = runner(tmp_path / "c.sqlite", bucket, s3_endpoint)
    assert fresh.pins() == {"t": "v2"} and fresh.latest_versions() == {"t": "v2"}
    for ledger in (earlier, later, fresh):
        ledger.close()
