"""Waiting for a created deployment: read its stage, poll soon and then less often, fail clearly.

Network-free: the deploy talks to :class:`FakeCloudflare` through its in-process transport, and every wait goes
to an injected ``sleep`` that records it instead of sleeping.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from mkdocs_hybrid.deploy import Credentials, DeployError, DeployResult, RetryPolicy, deploy_site
from mkdocs_hybrid.deploy._status import status_waits, wait_until_live
from tests.cloudflare_api import FakeCloudflare
from tests.factory import write_tree

WRANGLER_PATIENCE = 1 + 2 + 4 + 8 + 16
"""Seconds wrangler gives a deployment: polls after 1, 2, 4, 8 and 16 s (2^n x 1 s, five polls)."""


def deploy_in_process(fake: FakeCloudflare, site: Path, waits: list[float]) -> DeployResult:
    credentials = Credentials(api_token=fake.token, account_id=fake.account_id, api_base=fake.IN_PROCESS_BASE_URL)
    return deploy_site(site, project="demos", branch="main", credentials=credentials, transport=fake.transport(),
                       retry=RetryPolicy(sleep=waits.append), commit_hash="a" * 40, commit_message="test",
                       commit_dirty=False)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "site", {"index.html": "<h1>v1</h1>", "a.css": "p{}"})


def test_a_deployment_the_create_call_reports_live_needs_no_wait_and_no_poll(site: Path) -> None:
    fake = FakeCloudflare()
    fake.done_when_created = True
    waits: list[float] = []
    result = deploy_in_process(fake, site, waits)
    assert waits == []
    assert "get-deployment" not in fake.endpoints()
    live = fake.live()
    assert live is not None and live.id == result.deployment_id


def test_a_deployment_still_in_progress_is_polled_soon_then_with_growing_waits(site: Path) -> None:
    fake = FakeCloudflare()
    fake.polls_before_done = 3
    waits: list[float] = []
    result = deploy_in_process(fake, site, waits)
    assert fake.endpoints().count("get-deployment") == 4
    assert waits == [0.125, 0.25, 0.5, 1.0], "the first poll comes well before wrangler's 1 s, then each wait doubles"
    live = fake.live()
    assert live is not None and live.id == result.deployment_id


def test_an_unchanged_redeploy_is_live_after_one_short_wait(site: Path) -> None:
    fake = FakeCloudflare()
    deploy_in_process(fake, site, [])
    waits: list[float] = []
    again = deploy_in_process(fake, site, waits)
    assert (again.uploaded_files, waits) == (0, [0.125])


def test_a_deployment_that_never_finishes_gets_wranglers_whole_patience(site: Path) -> None:
    fake = FakeCloudflare()
    fake.polls_before_done = 10_000
    waits: list[float] = []
    with pytest.raises(DeployError, match=r"deployment \S+ was created but did not report success in time; "
                                          r"check the Pages dashboard"):
        deploy_in_process(fake, site, waits)
    assert sum(waits) == WRANGLER_PATIENCE
    assert waits[:-1] == sorted(waits[:-1]) and fake.endpoints().count("get-deployment") == len(waits)


@pytest.mark.parametrize("known_at_creation", [False, True], ids=["seen-by-a-poll", "said-by-the-create-call"])
def test_a_failed_deploy_stage_is_a_clear_error_and_the_live_site_stays(site: Path, known_at_creation: bool) -> None:
    fake = FakeCloudflare()
    first = deploy_in_process(fake, site, [])
    (site / "index.html").write_text("<h1>v2</h1>", encoding="utf-8")
    fake.deploy_outcome = "failure"
    fake.done_when_created = known_at_creation
    waits: list[float] = []
    with pytest.raises(DeployError, match=r"^deployment \S+ failed on Cloudflare's side; see the Pages dashboard$"):
        deploy_in_process(fake, site, waits)
    assert waits == ([] if known_at_creation else [0.125])
    live = fake.live()
    assert live is not None and live.id == first.deployment_id


@pytest.mark.parametrize(("stage", "message"), [
    ({"name": "build", "status": "failure"}, r"deployment d1 failed on Cloudflare's side \(at its build stage\)"),
    ({"name": "queued", "status": "canceled"},
     r"deployment d1 was canceled on Cloudflare's side \(at its queued stage\)"),
])
def test_a_stage_that_fails_or_is_canceled_before_deploying_ends_the_wait(stage: dict[str, str], message: str) -> None:
    polled = iter([{"latest_stage": {"name": "initialize", "status": "active"}}, {"latest_stage": stage}])
    waits: list[float] = []
    with pytest.raises(DeployError, match=message):
        wait_until_live({"id": "d1", "latest_stage": {"name": "queued", "status": "active"}}, lambda: next(polled),
                        base_delay=1.0, polls=5, sleep=waits.append)
    assert waits == [0.125, 0.25]


def test_a_poll_that_fails_counts_as_still_in_progress() -> None:
    from mkdocs_hybrid.deploy._api import CloudflareAPIError

    answers: list[Any] = [CloudflareAPIError("HTTP 502", status=502), {"latest_stage": {"name": "deploy",
                                                                                          "status": "success"}}]

    def read() -> dict[str, Any]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)

    waits: list[float] = []
    wait_until_live({"id": "d1", "latest_stage": {"name": "queued", "status": "active"}}, read, base_delay=1.0,
                    polls=5, sleep=waits.append)
    assert waits == [0.125, 0.25] and answers == []


@pytest.mark.parametrize(("base_delay", "polls"), [(1.0, 5), (0.01, 5), (2.0, 3), (1.0, 1)])
def test_the_poll_schedule_starts_short_grows_and_keeps_the_total_patience(base_delay: float, polls: int) -> None:
    waits = status_waits(base_delay, polls)
    assert waits[0] <= base_delay / 8
    assert all(later == 2 * earlier for earlier, later in itertools.pairwise(waits[:-1]))
    assert sum(waits) == pytest.approx((2 ** polls - 1) * base_delay)
