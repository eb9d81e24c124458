"""Our deployer against the local Cloudflare API: dedup, limits, faults, resumption, media on R2, serving."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from mkdocs_hybrid.deploy import Credentials, DeployError, RetryPolicy, collect_site_files, deploy_site
from tests.cloudflare_api import FakeCloudflare
from tests.factory import CLI, cli_env, run_cli, write_tree

FAST = RetryPolicy(base_delay=0.01, gateway_delay=0.01)


def creds(fake: FakeCloudflare) -> Credentials:
    return Credentials(api_token=fake.token, account_id=fake.account_id, api_base=fake.base_url)


def fake_env(fake: FakeCloudflare) -> dict[str, str]:
    """What the CLI needs to deploy to the local API."""
    return cli_env(CLOUDFLARE_API_TOKEN=fake.token, CLOUDFLARE_ACCOUNT_ID=fake.account_id,
                   CLOUDFLARE_API_BASE_URL=fake.base_url)


def deploy(fake: FakeCloudflare, site: Path, **options: object):
    return deploy_site(site, project="demos", branch="main", credentials=creds(fake), retry=FAST,
                       commit_hash="a" * 40, commit_message="test", commit_dirty=False, **options)


@pytest.fixture
def site(sample_site_mkdocs: Path, tmp_path: Path) -> Path:
    """A private copy of the built sample site (tests change it)."""
    return Path(shutil.copytree(sample_site_mkdocs, tmp_path / "site", symlinks=True))


def test_first_deploy_uploads_everything_then_nothing(site: Path) -> None:
    files = collect_site_files(site)
    with FakeCloudflare() as fake:
        first = deploy(fake, site)
        assert first.uploaded_files == len({f.hash for f in files}) and first.skipped_files == 0
        assert fake.live().id == first.deployment_id and first.url
        again = deploy(fake, site)
        assert (again.uploaded_files, again.uploaded_bytes, again.skipped_files) == (0, 0, len(files))
        assert fake.live().id == again.deployment_id
        assert fake.live().manifest == {f"/{f.name}": f.hash for f in files}


def test_changing_one_snapshot_uploads_only_its_changed_files(site: Path) -> None:
    with FakeCloudflare() as fake:
        deploy(fake, site)
        page = site / "artifacts/svg-chart/v1/page.html"
        page.write_text(page.read_text().replace("</body>", "<p>changed</p></body>"))
        before = len(fake.uploaded_hashes())
        result = deploy(fake, site)
        assert result.uploaded_files == 1
        assert fake.uploaded_hashes()[before:] == [fake.live().manifest["/artifacts/svg-chart/v1/page.html"]]


def test_deployment_form_carries_routing_files_and_commit(site: Path) -> None:
    with FakeCloudflare() as fake:
        deploy(fake, site)
        live = fake.live()
        assert live.files["_headers"] == (site / "_headers").read_bytes()
        assert live.files["_redirects"] == (site / "_redirects").read_bytes()
        assert (live.commit_hash, live.commit_message, live.commit_dirty) == ("a" * 40, "test", "false")


@pytest.mark.parametrize("fault", [
    {"path_pattern": "check-missing", "status": 500, "times": 2},
    {"path_pattern": "assets/upload", "status": 500},
    {"path_pattern": "assets/upload", "status": 524},
    {"path_pattern": "assets/upload", "status": 429, "retry_after": 0},
    {"path_pattern": "assets/upload", "drop": True},
    {"path_pattern": "check-missing", "delay": 3.0},
    {"path_pattern": "assets/upload", "expire_jwt": True},
    {"path_pattern": "upsert-hashes", "status": 500},
    {"path_pattern": "/deployments$", "status": 500, "code": 8000000, "method": "POST"},
], ids=lambda fault: "-".join(str(v) for v in fault.values()))
def test_transient_faults_are_retried_and_the_deploy_finishes(tmp_path: Path, fault: dict) -> None:
    site = write_tree(tmp_path / "site", {f"f{i}.html": f"<p>{i}</p>" for i in range(30)})
    with FakeCloudflare() as fake:
        injected = fake.fail(**fault)
        result = deploy(fake, site, timeout=1.0)
        assert injected.hits >= 1
        assert fake.live().id == result.deployment_id
        assert set(fake.live().manifest.values()) <= set(fake.assets)


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    site = write_tree(tmp_path / "site", {"index.html": "x"})
    waits: list[float] = []
    with FakeCloudflare() as fake:
        fake.fail("check-missing", status=429, retry_after=7)
        deploy_site(site, project="demos", branch="main", credentials=creds(fake),
                    retry=RetryPolicy(base_delay=0.0, sleep=waits.append))
    assert waits[0] == 7


def test_a_token_about_to_expire_is_replaced_before_use(tmp_path: Path) -> None:
    site = write_tree(tmp_path / "site", {"index.html": "x"})
    with FakeCloudflare(jwt_lifetime=5) as fake:  # inside the client's 10 s safety margin
        deploy(fake, site)
        assert fake.endpoints().count("upload-token") >= 3  # one per asset call
        assert [r.status for r in fake.requests_to("check-missing")] == [200]
        assert fake.live() is not None


def test_a_revoked_token_mid_deploy_is_replaced(tmp_path: Path) -> None:
    site = write_tree(tmp_path / "site", {"index.html": "x"})
    with FakeCloudflare() as fake:
        fake.fail("check-missing", expire_jwt=True)
        deploy(fake, site)
        assert [r.status for r in fake.requests_to("check-missing")] == [401, 200]
        assert fake.endpoints().count("upload-token") == 2
        assert fake.live().manifest["/index.html"] in fake.assets


def test_a_persistent_failure_stops_with_a_clear_error_and_keeps_the_live_site(tmp_path: Path) -> None:
    site = write_tree(tmp_path / "site", {"index.html": "v1"})
    with FakeCloudflare() as fake:
        first = deploy(fake, site)
        (site / "index.html").write_text("v2")
        fake.fail("assets/upload", status=500, times=99)
        with pytest.raises(DeployError, match=r"upload failed after 5 attempts: .*HTTP 500.*rerun the deploy"):
            deploy(fake, site)
        assert fake.live().id == first.deployment_id
        assert len(fake.deployments) == 1, "no deployment may be created after a failed upload"


def test_a_failed_deployment_is_reported_and_not_made_live(tmp_path: Path) -> None:
    site = write_tree(tmp_path / "site", {"index.html": "v1"})
    with FakeCloudflare() as fake:
        first = deploy(fake, site)
        fake.deploy_outcome = "failure"
        (site / "index.html").write_text("v2")
        with pytest.raises(DeployError, match="failed on Cloudflare's side"):
            deploy(fake, site)
        assert fake.live().id == first.deployment_id


def test_too_many_files_for_the_plan_is_refused_before_any_upload(tmp_path: Path) -> None:
    site = write_tree(tmp_path / "site", {f"f{i}.txt": str(i) for i in range(12)})
    with FakeCloudflare(max_file_count=10) as fake:
        with pytest.raises(DeployError, match=r"12 files but this Pages plan allows 10 per deployment"):
            deploy(fake, site)
        assert "upload" not in fake.endpoints() and "check-missing" not in fake.endpoints()


def test_too_many_files_for_the_plan_are_refused_before_a_file_is_read(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A 35,000-file site over the free plan's 20,000 used to be read and hashed whole before the refusal."""
    site = write_tree(tmp_path / "site", {f"f{i}.txt": str(i) for i in range(12)})
    hashed = _hashed_names(monkeypatch)
    with FakeCloudflare(max_file_count=10) as fake, \
            pytest.raises(DeployError, match=r"12 files but this Pages plan allows 10 per deployment"):
        deploy(fake, site)
    assert hashed == []
    with FakeCloudflare(max_file_count=12) as fake:
        deploy(fake, site)
    assert sorted(hashed) == sorted(f"f{i}.txt" for i in range(12))


def _hashed_names(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the deploy reads for their Pages hash, as it reads them."""
    from mkdocs_hybrid.deploy import _files

    hashed: list[str] = []
    real = _files.pages_hash

    def recorded(content: bytes, name: str) -> str:
        hashed.append(name)
        return real(content, name)

    monkeypatch.setattr(_files, "pages_hash", recorded)
    return hashed


def test_a_missing_project_is_named_or_created(tmp_path: Path) -> None:
    site = write_tree(tmp_path / "site", {"index.html": "x"})
    with FakeCloudflare(projects=()) as fake:
        with pytest.raises(DeployError, match=r"Pages project 'demos' does not exist.*--create-project"):
            deploy(fake, site)
        deploy(fake, site, create_project=True)
        assert fake.live() is not None


def test_dry_run_changes_nothing(site: Path) -> None:
    with FakeCloudflare() as fake:
        result = deploy(fake, site, dry_run=True)
        assert result.uploaded_files > 0 and result.deployment_id is None
        assert "upload" not in fake.endpoints() and not fake.deployments


def test_a_killed_deploy_resumes_with_what_is_still_missing(site: Path, tmp_path: Path) -> None:
    with FakeCloudflare() as fake:
        fake.fail("assets/upload", delay=120, times=2)  # two of three buckets hang; the third completes
        process = subprocess.Popen(
            [*CLI, "deploy", str(site),
             "--project", "demos", "--branch", "main", "--commit-hash", "b" * 40],
            cwd=tmp_path, env=fake_env(fake), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 60
        while not fake.assets and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        stored_before = set(fake.assets)
        assert stored_before, "no upload completed before the kill"
        assert not fake.deployments
        everything = {f.hash for f in collect_site_files(site)}
        start = len(fake.uploaded_hashes())
        result = deploy(fake, site)
        assert set(fake.uploaded_hashes()[start:]) == everything - stored_before
        assert result.uploaded_files == len(everything - stored_before) > 0
        assert fake.live().id == result.deployment_id


@pytest.mark.wrangler
def test_the_deployed_site_serves_every_share_link(site: Path, tmp_path: Path) -> None:
    """Rebuild the deployment from what the API received, and serve it with Cloudflare's own asset server."""
    from tests.wrangler_dev import serve_with_wrangler

    with FakeCloudflare() as fake:
        deploy(fake, site)
        live = fake.live()
        served = tmp_path / "served"
        for path, key in live.manifest.items():
            write_tree(served, {path.lstrip("/"): fake.assets[key].content})
        for name in ("_headers", "_redirects"):
            (served / name).write_bytes(live.files[name])
    shares = sorted(p.parent.relative_to(site).as_posix() for p in site.glob("p/*/*/index.html"))
    assert len(shares) > 15
    with serve_with_wrangler(served) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        for share in shares:
            response = client.get(f"/{share}/", follow_redirects=True)
            assert response.status_code == 200, share
            assert b"<iframe" in response.content or b"http-equiv" in response.content, share
        artifact = client.get("/artifacts/react-todo/v4/page.html", follow_redirects=True)
        assert artifact.status_code == 200 and b'id="root"' in artifact.content


def test_worker_mode_sends_the_worker_bundle_and_routes(tmp_path: Path) -> None:
    site = write_tree(tmp_path / "site", {"index.html": "x", "_worker.js": "export default {fetch() {}}\n",
                                          "_routes.json": '{"version":1,"include":["/p/*/latest"],"exclude":[]}'})
    with FakeCloudflare() as fake:
        deploy(fake, site)
        live = fake.live()
    assert set(live.manifest) == {"/index.html"}
    assert live.files["_routes.json"] == (site / "_routes.json").read_bytes()
    bundle = live.files["_worker.bundle"]
    assert b'{"main_module": "_worker.js"}' in bundle and b"export default {fetch() {}}" in bundle


def test_cli_prints_a_summary_and_json(site: Path, tmp_path: Path) -> None:
    with FakeCloudflare() as fake:
        command = ["deploy", str(site), "--project", "demos", "--branch", "main"]
        first = run_cli(*command, cwd=tmp_path, env=fake_env(fake))
        second = run_cli(*command, "--json", cwd=tmp_path, env=fake_env(fake))
        live = fake.live()
    files = len(collect_site_files(site))
    assert first.returncode == 0, first.stderr
    assert f"mkdocs-hybrid: {files} files, uploaded" in first.stdout and "0 already present" in first.stdout
    assert f"deployment {fake.deployments[0].id} https://" in first.stdout
    report = json.loads(second.stdout)
    assert (report["uploaded_files"], report["skipped_files"]) == (0, files)
    assert report["deployment_id"] == live.id
