"""A build older than another publisher's publication never puts back its older thread and latest pages.

Unit cases of :func:`~mkdocs_hybrid.publish.freshness.stale_threads`, and the production race end to end: a
site built, then a version published live (``publish-version``), then the older site deployed (the nightly
job's deploy through the Pages API stand-in, the artifact bucket on moto): the bucket's thread and latest
pages still show the live version, and the deploy says why in one line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mkdocs_hybrid.cli import main
from mkdocs_hybrid.publish.freshness import LedgerFacts, pages_left, stale_threads
from tests.cloudflare_api import FakeCloudflare
from tests.deploy.test_r2 import dummy_credentials, fresh_bucket, s3_endpoint  # noqa: F401 (fixtures)
from tests.factory import write_tree
from tests.live.test_publish_version import SITE_URL, objects, project, text
from tests.live.test_worker import V2


def site(root: Path, latest: str, *versions: str) -> Path:
    files = {f"p/t/{version}/index.html": "share" for version in versions}
    files["p/t/latest/index.html"] = f'<meta name="mkdocs-hybrid-latest" content="{latest}">'
    return write_tree(root, files)


def test_a_thread_is_stale_when_the_ledger_holds_a_listed_version_or_a_latest_the_site_does_not_show(
        tmp_path: Path) -> None:
    built = site(tmp_path, "v1", "v1")
    same = LedgerFacts(frozenset({"t/v1"}), frozenset({"t/v1"}), {"t": "v1"})
    assert stale_threads(built, ["t"], same) == set()
    newer = LedgerFacts(frozenset({"t/v1", "t/v2"}), frozenset({"t/v1", "t/v2"}), {"t": "v2"})
    assert stale_threads(built, ["t"], newer) == {"t"}
    pinned_back = site(tmp_path / "two", "v2", "v1", "v2")
    assert stale_threads(pinned_back, ["t"], LedgerFacts(newer.published, newer.listed, {"t": "v1"})) == {"t"}
    hidden = LedgerFacts(frozenset({"t/v1", "t/v2"}), frozenset({"t/v1"}), {"t": "v1"})
    assert stale_threads(built, ["t"], hidden) == set()  # an unlisted version has no share page at its ids
    assert stale_threads(built, ["other"], newer) == set()  # an unlisted thread has no pages to keep
    assert pages_left(built, newer) == ({"t"}, frozenset({"gallery/t/index.html", "p/t/latest/index.html"}))


def test_an_older_site_deployed_after_a_live_publication_leaves_its_newer_thread_and_latest_pages(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket, pages_project="demos")
    monkeypatch.chdir(root)
    built = CliRunner().invoke(main, ["build", "--site-url", SITE_URL, "--no-media", "-q"])
    assert built.exit_code == 0, built.output
    write_tree(root, V2)
    live = CliRunner().invoke(main, ["publish-version", "t", "v2", "--site-url", SITE_URL, "--no-media"])
    assert live.exit_code == 0, live.output
    thread_page = text(s3_endpoint, bucket, "gallery/t/index.html")
    with FakeCloudflare() as fake:
        env = {"CLOUDFLARE_API_TOKEN": fake.token, "CLOUDFLARE_ACCOUNT_ID": fake.account_id,
               "CLOUDFLARE_API_BASE_URL": fake.base_url}
        deployed = CliRunner().invoke(main, ["deploy", "site", "--site-url", SITE_URL, "--commit-hash", "a" * 40,
                                             "--commit-message", "nightly", "--commit-clean"], env=env)
        assert deployed.exit_code == 0, deployed.output
        assert fake.live() is not None
    assert "1 thread changed since this build (t): their thread and latest pages stay as the other publisher " \
        "wrote them" in deployed.output.replace("\n", " ")
    assert text(s3_endpoint, bucket, "gallery/t/index.html") == thread_page and "Second" in thread_page
    assert 'content="v2"' in text(s3_endpoint, bucket, "p/t/latest/index.html")
    assert "p/t/v1/index.html" in objects(s3_endpoint, bucket)
