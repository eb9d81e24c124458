"""The stand-in holds the issue's 10,000 versions: seeded through the real ``versions:save`` in seconds, paged.

convex-test scans a whole table for every index range; the stand-in narrows ranges that start with an equality on a
string field (lib/fastindex.mjs). These tests show it answers exactly what convex-test answers alone, and that
seeding no longer grows with the store (a save into 10,000 versions took ~40 ms, seeding them 7 minutes).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.convex_standin.fixture import REPO, SHIPPED_FUNCTIONS, node_binary, run_standin

REPLAY = Path(__file__).resolve().parent / "replay_saves.mjs"
SEED_SECONDS_LIMIT = 120.0
"""10,000 saves took 12 s here (2 busy cores); without the speed-up 415 s."""


def replay(mode: str, count: int) -> list[object]:
    done = subprocess.run([node_binary(), str(REPLAY), mode, str(count), str(SHIPPED_FUNCTIONS)], cwd=REPO,
                          capture_output=True, text=True, timeout=300, check=True)
    result: list[object] = json.loads(done.stdout)
    return result


def test_the_index_speed_up_answers_exactly_what_convex_test_answers_alone() -> None:
    plain, fast = replay("plain", 600), replay("fast", 600)
    saves = plain[:600]
    assert any(isinstance(outcome, list) for outcome in saves), "some saves went through"
    assert {"exists", "forbidden"} <= {outcome for outcome in saves if isinstance(outcome, str)}, \
        "the replay also meets taken ids and another author's threads"
    assert fast == plain


@pytest.mark.slow
def test_ten_thousand_versions_seed_through_the_real_save_in_seconds_and_list_in_pages() -> None:
    with run_standin() as standin:
        started = time.monotonic()
        saved = standin.seed("versions:save", [
            {"thread": f"t{i % 100:02d}", "files": [{"path": "index.html", "text": f"<p>{i}</p>"}]}
            for i in range(10_000)], subject="alice")
        elapsed = time.monotonic() - started
        assert len(saved) == 10_000
        assert elapsed < SEED_SECONDS_LIMIT, f"seeding took {elapsed:.0f} s"
        listed: list[tuple[str, str]] = []
        cursor = None
        while True:
            page = standin.query("versions:listForBuild", {"paginationOpts": {"numItems": 500, "cursor": cursor}},
                                 admin=True)
            listed += [(item["thread"], item["version"]) for item in page["page"]]
            if page["isDone"]:
                break
            cursor = page["continueCursor"]
        assert listed == [(item["thread"], item["version"]) for item in saved]
        assert len(set(listed)) == 10_000
