"""Conformance with the real client: the pinned ``wrangler pages deploy`` against :class:`FakeCloudflare`.

What wrangler 4.86.0 really sends for ``wrangler pages deploy SITE --project-name demos
--branch main --commit-hash H --commit-message msg --commit-dirty=false``
(non-interactive, ``CLOUDFLARE_API_BASE_URL`` set), in order::

    GET  /accounts/acct/pages/projects/demos               existence check (8000007 is fatal without a TTY)
    GET  /accounts/acct/pages/projects/demos               again: production_branch, deployment_configs
    GET  /accounts/acct/pages/projects/demos/upload-token  JWT #1, only read for max_file_count_allowed
    GET  /accounts/acct/pages/projects/demos/upload-token  JWT #2, used by the three asset calls
    POST /pages/assets/check-missing    Bearer JWT  {"hashes": [one per file, duplicates kept]}
    POST /pages/assets/upload           Bearer JWT  one per non-empty bucket, 3 at a time; a hash
                                                    shared by several files is sent once per file
    POST /pages/assets/upsert-hashes    Bearer JWT  {"hashes": [same list]}, also when nothing was missing
    POST /accounts/acct/pages/projects/demos/deployments   multipart, parts in this order: manifest, branch,
                                        commit_message, commit_hash, commit_dirty ("false") as plain
                                        fields, then _headers and _redirects as file parts (filename set)
    GET  /accounts/acct/pages/projects/demos/deployments/{id}   first after 1 s, then 2, 4, 8 s while
                                        latest_stage is neither name "deploy" nor status success/failure

Account calls carry ``Authorization: Bearer <API token>``, asset calls the JWT;
every request has ``User-Agent: wrangler/4.86.0``. A redeploy of an unchanged
site sends the same sequence without any upload. Beyond the notes: wrangler
*follows* symlinks (files and folders: ``fs.stat``, so its symlink check never
fires), and its ``**/node_modules`` / ``**/.git`` ignore patterns do not reach
into dot-folders (``.hidden/node_modules/x.js`` is deployed).

Retries seen here: a 500 or a dropped connection on check-missing is retried
after 1 s; a 401/8000013 on upload fetches a new upload-token and retries; a
429 is retried after 2^n s whatever ``Retry-After`` says; a 524 (HTML page)
waits 1 s + 5 s; create-deployment is retried only on code 8000000.
"""

from __future__ import annotations

import base64
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from blake3 import blake3

from mkdocs_hybrid import deploy
from tests.cloudflare_api import Deployment, FakeCloudflare, FormPart, RecordedRequest
from tests.factory import write_tree

pytestmark = pytest.mark.wrangler

REPO = Path(__file__).resolve().parents[2]
WRANGLER = REPO / "node_modules" / ".bin" / "wrangler"
PROJECT = "demos"
BRANCH = "main"
COMMIT_HASH = "0123456789abcdef0123456789abcdef01234567"
COMMIT_MESSAGE = "msg"
COMMIT_FIELDS = ("branch", "commit_hash", "commit_message", "commit_dirty")
ROUTING_PARTS = ("_headers", "_redirects")
WRANGLER_TIMEOUT = 180


# -- running wrangler ----------------------------------------------------------------------------------------

def wrangler_environment(fake: FakeCloudflare, home: Path) -> dict[str, str]:
    """The caller's environment without any real Cloudflare credentials, pointed at ``fake``."""
    home.mkdir(parents=True, exist_ok=True)
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CLOUDFLARE_", "CF_"))}
    env.update(
        CLOUDFLARE_API_BASE_URL=fake.base_url,
        CLOUDFLARE_API_TOKEN=fake.token,
        CLOUDFLARE_ACCOUNT_ID=fake.account_id,
        WRANGLER_SEND_METRICS="false",
        WRANGLER_SEND_ERROR_REPORTS="false",
        WRANGLER_HIDE_BANNER="true",  # the banner asks the npm registry for a newer wrangler
        CI="true",
        NO_COLOR="1",
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
    )
    return env


def run_wrangler_deploy(fake: FakeCloudflare, site: Path, scratch: Path, *, commit_message: str = COMMIT_MESSAGE,
                        commit_dirty: bool = False) -> subprocess.CompletedProcess[str]:
    """``wrangler pages deploy site`` against ``fake``; its home and cwd are under ``scratch``."""
    if not WRANGLER.is_file():
        pytest.fail(f"{WRANGLER} not found: run `npm ci` in {REPO}")
    workdir = scratch / "cwd"
    workdir.mkdir(parents=True, exist_ok=True)
    command = [str(WRANGLER), "pages", "deploy", str(site), "--project-name", PROJECT, "--branch", BRANCH,
               "--commit-hash", COMMIT_HASH, "--commit-message", commit_message,
               f"--commit-dirty={'true' if commit_dirty else 'false'}"]
    return subprocess.run(command, check=False, cwd=workdir, env=wrangler_environment(fake, scratch / "home"),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=WRANGLER_TIMEOUT)


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit code {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


# -- what a client sent --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CapturedDeploy:
    """What one deploy sent to the fake (read from the request log, not from the fake's state)."""

    requests: list[RecordedRequest]
    manifest: dict[str, str]
    uploads: dict[str, tuple[str, bytes]]
    """hash -> (content type, content) of every accepted upload."""
    uploaded_count: int
    """Upload items sent and accepted, duplicates included."""
    parts: dict[str, FormPart]
    deployment: Deployment | None

    @property
    def endpoints(self) -> list[str]:
        return [request.endpoint for request in self.requests]

    @property
    def content_types(self) -> dict[str, str]:
        return {key: content_type for key, (content_type, _) in self.uploads.items()}

    @property
    def commit_fields(self) -> dict[str, str]:
        return {name: self.parts[name].text for name in COMMIT_FIELDS if name in self.parts}

    def part_bytes(self, name: str) -> bytes | None:
        return self.parts[name].data if name in self.parts else None


def capture(fake: FakeCloudflare, since: int) -> CapturedDeploy:
    """Everything sent from request number ``since`` on."""
    requests = fake.requests[since:]
    uploads: dict[str, tuple[str, bytes]] = {}
    count = 0
    for request in requests:
        if request.endpoint == "upload" and request.status == 200:
            for item in request.json:
                uploads[item["key"]] = (item["metadata"]["contentType"], base64.b64decode(item["value"]))
                count += 1
    created = [r for r in requests if r.endpoint == "create-deployment" and r.status == 200]
    parts = {part.name: part for part in created[-1].form or []} if created else {}
    deployment = next((d for d in fake.deployments if created and d.id == created[-1].response["result"]["id"]),
                      None)
    manifest = deployment.manifest if deployment else {}
    return CapturedDeploy(requests=requests, manifest=manifest, uploads=uploads, uploaded_count=count, parts=parts,
                          deployment=deployment)


def wrangler_hash(content: bytes, path: str) -> str:
    """The asset hash, computed here independently: blake3(base64(content) + extension)[:32].

    The extension is Node's ``path.extname`` without its dot (``os.path.splitext`` agrees for these names).
    """
    extension = os.path.splitext(path.rsplit("/", 1)[-1])[1][1:]
    return blake3(base64.b64encode(content) + extension.encode()).hexdigest()[:32]


def expected_sequence(uploads: int) -> list[str]:
    return (["get-project", "get-project", "upload-token", "upload-token", "check-missing"] + ["upload"] * uploads
            + ["upsert-hashes", "create-deployment", "get-deployment"])


def site_files(site: Path) -> dict[str, bytes]:
    """Every regular file under ``site`` by ``/relative/path`` (symlinks followed, as wrangler does)."""
    files = {}
    for folder, _, names in os.walk(site, followlinks=True):
        for name in names:
            path = Path(folder, name)
            files["/" + path.relative_to(site).as_posix()] = path.read_bytes()
    return files


# -- the sample site, deployed by wrangler twice ---------------------------------------------------------------

@dataclass
class WranglerRun:
    fake: FakeCloudflare
    site: Path
    scratch: Path
    first: CapturedDeploy
    second: CapturedDeploy
    seconds: tuple[float, float]


@pytest.fixture(scope="module")
def wrangler_run(sample_site_mkdocs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WranglerRun]:
    """One FakeCloudflare for the module; the real wrangler deploys the sample site to it twice."""
    scratch = tmp_path_factory.mktemp("wrangler-deploy")
    with FakeCloudflare() as fake:
        captured = []
        seconds = []
        for _ in range(2):
            start, began = len(fake.requests), time.monotonic()
            result = run_wrangler_deploy(fake, sample_site_mkdocs, scratch)
            seconds.append(time.monotonic() - began)
            assert result.returncode == 0, output_of(result)
            captured.append(capture(fake, start))
        yield WranglerRun(fake=fake, site=sample_site_mkdocs, scratch=scratch, first=captured[0],
                          second=captured[1], seconds=(seconds[0], seconds[1]))


def test_wrangler_protocol_sequence(wrangler_run: WranglerRun) -> None:
    first, fake = wrangler_run.first, wrangler_run.fake
    uploads = first.endpoints.count("upload")
    assert 1 <= uploads <= max(3, len(first.manifest) // 2000 + 3)
    assert first.endpoints == expected_sequence(uploads)
    assert all(r.status == 200 for r in first.requests), [(r.endpoint, r.status) for r in first.requests]
    assert all(r.headers.get("user-agent", "").startswith("wrangler/") for r in first.requests)
    assert fake.server_errors == []


def test_wrangler_authenticates_account_calls_with_the_token_and_asset_calls_with_the_jwt(
        wrangler_run: WranglerRun) -> None:
    first, fake = wrangler_run.first, wrangler_run.fake
    jwts = [r.response["result"]["jwt"] for r in first.requests if r.endpoint == "upload-token"]
    for request in first.requests:
        if request.path.startswith("/accounts/"):
            assert request.bearer == fake.token, request.path
        else:
            assert request.bearer == jwts[-1], f"{request.path} should use the latest upload JWT"


def test_wrangler_manifest_hashes_and_uploads(wrangler_run: WranglerRun) -> None:
    first, site = wrangler_run.first, wrangler_run.site
    files = site_files(site)
    expected_paths = {path for path in files if path not in {"/_headers", "/_redirects", "/_routes.json"}}
    assert set(first.manifest) == expected_paths
    for path, key in first.manifest.items():
        assert key == wrangler_hash(files[path], path), path
    assert set(first.uploads) == set(first.manifest.values()), "a first deploy uploads every distinct file"
    assert first.uploaded_count == len(first.manifest), "wrangler uploads a shared hash once per file"
    for path, key in first.manifest.items():
        assert first.uploads[key][1] == files[path], path
    check_missing = next(r for r in first.requests if r.endpoint == "check-missing")
    upsert = next(r for r in first.requests if r.endpoint == "upsert-hashes")
    assert sorted(check_missing.json["hashes"]) == sorted(first.manifest.values())
    assert upsert.json == check_missing.json
    types = first.content_types
    html = [key for path, key in first.manifest.items() if path.endswith(".html")]
    assert html and all(types[key] == "text/html" for key in html)


def test_wrangler_deployment_form(wrangler_run: WranglerRun) -> None:
    first, site = wrangler_run.first, wrangler_run.site
    create = next(r for r in first.requests if r.endpoint == "create-deployment")
    assert [part.name for part in create.form or []] == [
        "manifest", "branch", "commit_message", "commit_hash", "commit_dirty", "_headers", "_redirects"]
    assert first.commit_fields == {"branch": BRANCH, "commit_hash": COMMIT_HASH, "commit_message": COMMIT_MESSAGE,
                                   "commit_dirty": "false"}
    for name in ROUTING_PARTS:
        part = first.parts[name]
        assert part.filename == name
        assert part.data == (site / name).read_bytes()
    assert first.parts["manifest"].filename is None
    assert first.deployment is not None and first.deployment.environment == "production"


def test_wrangler_redeploy_of_an_unchanged_site_uploads_nothing(wrangler_run: WranglerRun) -> None:
    first, second, fake = wrangler_run.first, wrangler_run.second, wrangler_run.fake
    assert second.endpoints == expected_sequence(0)
    assert second.uploaded_count == 0
    assert second.manifest == first.manifest
    assert second.part_bytes("_headers") == first.part_bytes("_headers")
    live = fake.live(PROJECT)
    assert live is not None and second.deployment is not None and live.id == second.deployment.id


def test_our_deployer_sends_what_wrangler_sends(wrangler_run: WranglerRun) -> None:
    """Same server, same site: identical manifest, uploads, content types, routing parts and commit fields."""
    fake, theirs = wrangler_run.fake, wrangler_run.first
    fake.forget_assets()
    start = len(fake.requests)
    deploy.deploy_site(wrangler_run.site, project=PROJECT, branch=BRANCH, credentials=credentials_for(deploy, fake),
                       commit_hash=COMMIT_HASH, commit_message=COMMIT_MESSAGE, commit_dirty=False)
    ours = capture(fake, start)
    assert ours.manifest == theirs.manifest
    assert ours.content_types == theirs.content_types
    assert {key: content for key, (_, content) in ours.uploads.items()} == {
        key: content for key, (_, content) in theirs.uploads.items()}
    for name in ROUTING_PARTS:
        assert ours.part_bytes(name) == theirs.part_bytes(name), name
    assert ours.commit_fields == theirs.commit_fields
    assert set(ours.parts) == set(theirs.parts)
    assert fake.server_errors == []

    # Either tool finds the other's uploads: no file goes up twice.
    start = len(fake.requests)
    result = run_wrangler_deploy(fake, wrangler_run.site, wrangler_run.scratch)
    assert result.returncode == 0, output_of(result)
    assert capture(fake, start).uploaded_count == 0
    start = len(fake.requests)
    again = deploy.deploy_site(wrangler_run.site, project=PROJECT, branch=BRANCH,
                               credentials=credentials_for(deploy, fake), commit_hash=COMMIT_HASH,
                               commit_message=COMMIT_MESSAGE, commit_dirty=False)
    assert capture(fake, start).uploaded_count == 0
    assert again.uploaded_files == 0


def credentials_for(deploy: Any, fake: FakeCloudflare) -> Any:
    return deploy.Credentials(api_token=fake.token, account_id=fake.account_id, api_base=fake.base_url)


# -- corner cases of walking a site: wrangler against our collector --------------------------------------------

def write_corner_case_site(site: Path) -> Path:
    """Files whose handling differs easily between implementations."""
    write_tree(site, {
        "index.html": "<h1>home</h1>", "empty.txt": b"", "LICENSE": "MIT", "a/README": "no extension",
        ".well-known/security.txt": "Contact: x", ".hidden/node_modules/dep.js": "in a dot folder",
        "a/node_modules/dep.js": "ignored", "node_modules/top.js": "ignored", ".git/HEAD": "ignored",
        "a/.DS_Store": "ignored", ".DS_Store": "ignored", "functions/api.js": "ignored at the top only",
        "a/functions/ok.js": "kept", "a/_headers": "kept below the top", "ünïcode/fïle name.css": "body{}",
        "archive.tar.gz": b"\x1f\x8b\x08\x00", "data.JSON": "{}", "x.mjs": "export {}", "font.woff2": b"wOF2",
        "_headers": "/*\n  X-Frame-Options: DENY\n", "_redirects": "/old /new 301\n",
    })
    (site / "a" / "link.html").symlink_to(site / "index.html")
    (site / "linked-folder").symlink_to(site / "a", target_is_directory=True)
    return site


def test_wrangler_walk_corner_cases(tmp_path: Path) -> None:
    """What wrangler 4.86 deploys from the corner-case site (facts, independent of our code)."""
    site = write_corner_case_site(tmp_path / "site")
    with FakeCloudflare() as fake:
        result = run_wrangler_deploy(fake, site, tmp_path)
        assert result.returncode == 0, output_of(result)
        theirs = capture(fake, 0)
    paths = set(theirs.manifest)
    assert {"/a/link.html", "/linked-folder/README", "/linked-folder/link.html"} <= paths, "symlinks are followed"
    assert "/.hidden/node_modules/dep.js" in paths, "**/node_modules does not match inside dot-folders"
    assert "/.well-known/security.txt" in paths and "/a/_headers" in paths and "/a/functions/ok.js" in paths
    assert not paths & {"/a/node_modules/dep.js", "/node_modules/top.js", "/.git/HEAD", "/a/.DS_Store",
                        "/.DS_Store", "/functions/api.js", "/_headers", "/_redirects"}
    types = {path: theirs.content_types[key] for path, key in theirs.manifest.items()}
    assert types["/LICENSE"] == "application/octet-stream" and types["/a/README"] == "application/octet-stream"
    assert types["/data.JSON"] == "application/json" and types["/archive.tar.gz"] == "application/gzip"
    files = site_files(site)
    for path, key in theirs.manifest.items():
        assert key == wrangler_hash(files[path], path), path


# -- faults: how the real client reacts to what FakeCloudflare injects -----------------------------------------

@pytest.fixture
def small_site(tmp_path: Path) -> Path:
    """Four files (so three upload buckets) plus routing files."""
    return write_tree(tmp_path / "site", {
        "index.html": "<h1>small</h1>", "a.css": "a{}", "b.js": "export const b = 1;", "c/meta.json": "{}",
        "_headers": "/*\n  X-Test: 1\n", "_redirects": "/old /new 301\n"})


def deploy_small_site(fake: FakeCloudflare, site: Path, scratch: Path) -> tuple[subprocess.CompletedProcess[str],
                                                                                  CapturedDeploy]:
    start = len(fake.requests)
    result = run_wrangler_deploy(fake, site, scratch)
    return result, capture(fake, start)


def test_wrangler_retries_check_missing_after_a_500(small_site: Path, tmp_path: Path) -> None:
    with FakeCloudflare() as fake:
        fault = fake.fail(r"/pages/assets/check-missing$")
        result, sent = deploy_small_site(fake, small_site, tmp_path)
    assert result.returncode == 0, output_of(result)
    assert fault.hits == 1
    checks = [r for r in sent.requests if r.endpoint == "check-missing"]
    assert [r.status for r in checks] == [500, 200]
    assert checks[1].received_at - checks[0].received_at >= 0.9, "waits 2^0 s"
    assert "upload-token" not in sent.endpoints[sent.endpoints.index("check-missing"):], "a 500 keeps the JWT"
    assert set(sent.uploads) == set(sent.manifest.values())


def test_wrangler_retries_check_missing_after_a_dropped_connection(small_site: Path, tmp_path: Path) -> None:
    with FakeCloudflare() as fake:
        fake.fail(r"/pages/assets/check-missing$", drop=True)
        result, sent = deploy_small_site(fake, small_site, tmp_path)
    assert result.returncode == 0, output_of(result)
    assert [r.status for r in sent.requests if r.endpoint == "check-missing"] == [None, 200]


def test_wrangler_fetches_a_new_jwt_after_an_expired_one_on_upload(small_site: Path, tmp_path: Path) -> None:
    with FakeCloudflare() as fake:
        fake.fail(r"/pages/assets/upload$", expire_jwt=True)
        result, sent = deploy_small_site(fake, small_site, tmp_path)
        assert result.returncode == 0, output_of(result)
    refused = next(r for r in sent.requests if r.endpoint == "upload" and r.status == 401)
    assert refused.response["errors"][0]["code"] == 8000013
    after = sent.requests[sent.requests.index(refused) + 1:]
    new_tokens = {r.response["result"]["jwt"] for r in after if r.endpoint == "upload-token"}
    assert new_tokens, "a new upload-token after the 401"
    # Retries come 2^0 s after the 401; anything sooner raced the refusal with the old JWT.
    retried = [r for r in after if r.endpoint == "upload" and r.received_at >= refused.received_at + 0.9]
    assert retried and all(r.bearer in new_tokens and r.status == 200 for r in retried), "retries carry a new JWT"
    assert set(sent.uploads) == set(sent.manifest.values())


def test_wrangler_retries_an_upload_after_429_ignoring_retry_after(small_site: Path, tmp_path: Path) -> None:
    with FakeCloudflare() as fake:
        fake.fail(r"/pages/assets/upload$", status=429, retry_after=30)
        result, sent = deploy_small_site(fake, small_site, tmp_path)
    assert result.returncode == 0, output_of(result)
    uploads = [r for r in sent.requests if r.endpoint == "upload"]
    assert [r.status for r in uploads].count(429) == 1
    assert uploads[-1].received_at - uploads[0].received_at < 20, "wrangler does not wait Retry-After: 30"
    assert set(sent.uploads) == set(sent.manifest.values())


def test_wrangler_waits_longer_after_a_524_gateway_page(small_site: Path, tmp_path: Path) -> None:
    with FakeCloudflare() as fake:
        fake.fail(r"/pages/assets/upload$", status=524)
        result, sent = deploy_small_site(fake, small_site, tmp_path)
    assert result.returncode == 0, output_of(result)
    uploads = [r for r in sent.requests if r.endpoint == "upload"]
    failed = next(r for r in uploads if r.status == 524)
    assert failed.response is None, "a gateway error is an HTML page"
    retry = uploads[-1]
    assert retry.status == 200 and retry.received_at - failed.received_at >= 5.5, "2^0 s + 2^0 x 5 s"
    assert set(sent.uploads) == set(sent.manifest.values())


def test_wrangler_retries_create_deployment_only_on_8000000(small_site: Path, tmp_path: Path) -> None:
    with FakeCloudflare() as fake:
        fake.fail(r"/deployments$", method="POST")  # 500 / 8000000
        result, sent = deploy_small_site(fake, small_site, tmp_path)
        assert result.returncode == 0, output_of(result)
        assert [r.status for r in sent.requests if r.endpoint == "create-deployment"] == [500, 200]
        assert len(fake.deployments) == 1
        live = fake.live(PROJECT)

        fake.fail(r"/deployments$", method="POST", status=400, code=8000001)
        result, sent = deploy_small_site(fake, small_site, tmp_path)
    assert result.returncode != 0
    assert [r.status for r in sent.requests if r.endpoint == "create-deployment"] == [400]
    assert fake.live(PROJECT) is live


def test_a_failed_deployment_leaves_the_live_one(small_site: Path, tmp_path: Path) -> None:
    with FakeCloudflare() as fake:
        result, _ = deploy_small_site(fake, small_site, tmp_path)
        assert result.returncode == 0, output_of(result)
        live = fake.live(PROJECT)
        (small_site / "index.html").write_text("<h1>changed</h1>", encoding="utf-8")
        fake.deploy_outcome = "failure"
        result, sent = deploy_small_site(fake, small_site, tmp_path)
    assert result.returncode == 1, output_of(result)
    assert "Deployment failed!" in result.stdout + result.stderr
    assert "injected failure" in result.stdout + result.stderr
    assert sent.endpoints[-2:] == ["get-deployment", "deployment-logs"]
    assert sent.requests[-1].query == {"size": "10000000"}
    assert sent.uploaded_count == 1, "only the changed file went up"
    assert live is not None and fake.live(PROJECT) is live


def test_wrangler_stops_on_a_missing_project_without_a_terminal(small_site: Path, tmp_path: Path) -> None:
    with FakeCloudflare(projects=()) as fake:
        result, sent = deploy_small_site(fake, small_site, tmp_path)
    assert result.returncode != 0
    assert "Project not found" in result.stdout + result.stderr
    assert sent.endpoints == ["get-project", "get-project"]
    assert [r.response["errors"][0]["code"] for r in sent.requests] == [8000007, 8000007]


# -- the corner-case site: wrangler against our deployer (last: it names every difference) -----------

def test_our_collector_walks_a_site_as_wrangler_does(tmp_path: Path) -> None:
    site = write_corner_case_site(tmp_path / "site")
    long_message = "é" * 300  # 600 bytes: both must cut it to 384 bytes on a character boundary
    with FakeCloudflare() as fake:
        result = run_wrangler_deploy(fake, site, tmp_path, commit_message=long_message, commit_dirty=True)
        assert result.returncode == 0, output_of(result)
        theirs = capture(fake, 0)
        fake.forget_assets()
        start = len(fake.requests)
        deploy.deploy_site(site, project=PROJECT, branch=BRANCH, credentials=credentials_for(deploy, fake),
                           commit_hash=COMMIT_HASH, commit_message=long_message, commit_dirty=True)
        ours = capture(fake, start)
    assert theirs.commit_fields["commit_message"] == "é" * 192
    assert theirs.commit_fields["commit_dirty"] == "true"
    # Deliberate difference: wrangler follows symlinks; we skip them so nothing outside the site is published.
    linked = {path for path in theirs.manifest if path == "/a/link.html" or path.startswith("/linked-folder/")}
    assert linked and not linked & set(ours.manifest)
    expected = {path: key for path, key in theirs.manifest.items() if path not in linked}
    only_wrangler, only_ours = sorted(set(expected) - set(ours.manifest)), sorted(set(ours.manifest) - set(expected))
    assert not only_wrangler and not only_ours, f"deployed by wrangler only: {only_wrangler}; by us only: {only_ours}"
    assert ours.manifest == expected
    assert ours.content_types.items() <= theirs.content_types.items()
    assert ours.commit_fields == theirs.commit_fields
    for name in ROUTING_PARTS:
        assert ours.part_bytes(name) == theirs.part_bytes(name), name
