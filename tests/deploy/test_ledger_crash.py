"""A deploy killed with ``kill -9`` after it saved the durable ledger (``deploy.ledger_bucket``) and before its
uploads finished: the next deploy completes, nothing is lost, and no record is duplicated or re-timed.

The local S3 server (moto's S3 application under werkzeug, in this process) holds every PUT of a page object for a
moment (:class:`tests.live.test_crash.SlowPages`), so the kill lands after the ledger object and the new version's
artifacts are stored and before its share page is.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mkdocs_hybrid.cli import main
from tests.cloudflare_api import FakeCloudflare
from tests.deploy.durable_records import durable_records
from tests.deploy.test_r2 import dummy_credentials, fresh_bucket  # noqa: F401 (fixtures)
from tests.factory import write_tree
from tests.live.test_crash import CLI, V2, SlowPages, kill_while_a_page_is_held, slow_s3  # noqa: F401 (fixture)
from tests.live.test_publish_version import SITE_URL, objects, project

durable = durable_records


def build(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(root)
    result = CliRunner().invoke(main, ["build", "-m", "hybrid.yml", "-d", "site", "--no-media", "-j", "1", "--quiet"])
    assert result.exit_code == 0, result.output


def deploy_command(fake: FakeCloudflare) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": fake.token, "CLOUDFLARE_ACCOUNT_ID": fake.account_id,
           "CLOUDFLARE_API_BASE_URL": fake.base_url}
    return [*CLI, "deploy", "site", "--site-url", SITE_URL, "--commit-hash", "a" * 40, "--commit-message", "m",
            "--commit-clean"], env


def test_a_deploy_killed_after_saving_the_ledger_is_finished_by_the_next_one_with_every_record_once(
        slow_s3: tuple[str, SlowPages], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    endpoint, app = slow_s3
    public, private = fresh_bucket(endpoint), fresh_bucket(endpoint)
    root = project(tmp_path, endpoint, public, r2_private_bucket=private, ledger_bucket=private,
                   pages_project="demos")
    build(root, monkeypatch)
    with FakeCloudflare() as fake:
        command, env = deploy_command(fake)
        first = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300)
        assert first.returncode == 0, first.stdout + first.stderr
        live = fake.live()
        write_tree(root, V2)
        build(root, monkeypatch)

        kill_while_a_page_is_held(command, root, app, lambda: "artifacts/t/v2/page.html" in objects(endpoint, public),
                                  env)
        saved = durable(endpoint, private)
        cut = objects(endpoint, public)
        assert saved is not None and ("t", "v2") in saved.versions  # saved before any upload
        assert "p/t/v2/index.html" not in cut and fake.live() == live  # killed mid-upload: Pages untouched

        again = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stdout + again.stderr
        assert fake.live() != live  # the next run finished the deploy

    final = durable(endpoint, private)
    assert final is not None
    assert sorted(final.versions) == [("t", "v1"), ("t", "v2")]
    assert final.versions == saved.versions  # nothing re-timed or replaced: the records the killed run saved
    assert len(set(final.history)) == len(final.history) and final.history == saved.history
    after = objects(endpoint, public)
    assert "p/t/v2/index.html" in after
    assert all(after[key] == etag for key, etag in cut.items() if key.startswith("artifacts/t/v2/"))
