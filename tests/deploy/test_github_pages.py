"""The ``github-pages`` deploy target: a real build of a small site, the artifact written by ``mkdocs-hybrid
deploy``, unpacked by Python's tarfile and the system's ``tar``, and served by a plain static server (GitHub Pages
has no edge rules either); every refusal before anything is written."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
import yaml

from mkdocs_hybrid.config.manifest import load_manifest
from mkdocs_hybrid.deploy.github_pages import TAR_NAME, ArtifactError, GitHubPages, GitHubPagesOptions
from mkdocs_hybrid.deploy.targets import DeployRequest, deploy_target, run_deploy
from mkdocs_hybrid.model.errors import ManifestError
from tests.browser import serve_static
from tests.factory import REPO, build_standalone, extract_tar, read_tree, run_cli, write_tree

DEMOS = {
    "alpha/v1/index.html": "<p>alpha one</p>",
    "alpha/v2/index.html": "<p>alpha two</p>",
    "beta/v1/index.html": "<p>beta one</p>",
}
LATEST = {"alpha": "v2", "beta": "v1"}
REFRESH = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)">')
WORKFLOW = REPO / ".github" / "workflows" / "github-pages.yml"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project built once for the target; tests copy its site before changing it."""
    root = tmp_path_factory.mktemp("github-pages")
    write_tree(root / "demos", DEMOS)
    build_standalone(root, deploy={"target": "github-pages", "github-pages": {"artifact": "out/pages.tar.gz"}})
    return root


@pytest.fixture
def site(project: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(project / "site", tmp_path / "site"))


def deploy(site: Path, artifact: Path, target: GitHubPages | None = None, dry_run: bool = False) -> object:
    return run_deploy(target or GitHubPages(), GitHubPagesOptions(artifact=str(artifact)),
                      DeployRequest(site, dry_run=dry_run))


def gzip_name(data: bytes) -> str:
    """The original file name a gzip header stores (FNAME, RFC 1952)."""
    assert data[:2] == b"\x1f\x8b" and data[3] & 0x08, "a gzip with a stored name"
    return data[10:data.index(b"\0", 10)].decode("latin-1")


# --- the artifact, served ----------------------------------------------------------


def test_deploy_writes_one_gzipped_tar_of_the_site_that_a_static_server_answers_every_share_link_from(
        project: Path, tmp_path: Path) -> None:
    run = run_cli("deploy", "site", cwd=project)
    assert run.returncode == 0, run.stderr
    artifact = project / "out" / "pages.tar.gz"
    assert re.fullmatch(r"mkdocs-hybrid: github-pages: wrote out/pages\.tar\.gz \(\d+ files, [\d.]+ MB of "
                        r"1,000\.0 MB, [\d.]+ MB gzipped\); upload its artifact\.tar as the Actions artifact "
                        r"github-pages and run actions/deploy-pages \(\.github/workflows/github-pages\.yml does "
                        r"both\)\n", run.stdout), run.stdout
    data = artifact.read_bytes()
    assert gzip_name(data) == TAR_NAME and data[4:8] == b"\0\0\0\0"  # no time in the gzip header either
    with tarfile.open(artifact, "r:gz") as tar:
        members = tar.getmembers()
        extract_tar(tar, tmp_path / "unpacked")
    assert all(m.isfile() or m.isdir() for m in members)
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {(0, 0, "", "", 0)}
    names = [m.name for m in members]
    assert names[0] == "." and names == sorted(names, key=lambda n: n.split("/"))
    listed = subprocess.run(["tar", "-tzf", str(artifact)], capture_output=True, text=True, check=True).stdout
    assert listed.splitlines()[0] == "./" and "./p/alpha/v2/index.html" in listed.splitlines()
    assert read_tree(tmp_path / "unpacked") == read_tree(project / "site")
    assert not {"_headers", "_redirects", "_worker.js", "_routes.json"} & set(os.listdir(project / "site"))

    with serve_static(tmp_path / "unpacked") as base:
        for demo in DEMOS:
            thread, version = demo.split("/")[:2]
            assert httpx.get(f"{base}/p/{thread}/{version}/").status_code == 200, demo
        for thread, version in LATEST.items():
            page = f"{base}/p/{thread}/latest/"
            answer = httpx.get(page)
            assert answer.status_code == 200
            refresh = REFRESH.search(answer.text)
            assert refresh is not None, answer.text
            target = urljoin(page, refresh.group(1))
            assert target == f"{base}/p/{thread}/{version}/"
            assert httpx.get(target).status_code == 200
        assert httpx.get(f"{base}/gallery/").status_code == 200


def test_the_plans_size_is_the_tars_exact_length(site: Path, tmp_path: Path) -> None:
    target = GitHubPages()
    plan = target.plan(GitHubPagesOptions(artifact=str(tmp_path / "a.tar.gz")), DeployRequest(site))
    target.upload(plan)
    assert len(gzip.decompress((tmp_path / "a.tar.gz").read_bytes())) == plan.tar_bytes


def test_a_long_path_is_kept_whole(site: Path, tmp_path: Path) -> None:
    long = "/".join(["deep" * 20] * 3) + "/page.html"
    write_tree(site, {long: "deep"})
    deploy(site, tmp_path / "a.tar.gz")
    with tarfile.open(tmp_path / "a.tar.gz", "r:gz") as tar:
        assert tar.extractfile(f"./{long}").read() == b"deep"  # type: ignore[union-attr]


def test_the_same_site_gives_the_same_bytes_and_source_date_epoch_sets_the_times(
        site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy(site, tmp_path / "first.tar.gz")
    for path in site.rglob("*"):
        os.utime(path, (1_700_000_000, 1_700_000_000))  # a fresh build: new mtimes, the same bytes
    deploy(site, tmp_path / "second.tar.gz")
    assert (tmp_path / "first.tar.gz").read_bytes() == (tmp_path / "second.tar.gz").read_bytes()

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    deploy(site, tmp_path / "dated.tar.gz")
    with tarfile.open(tmp_path / "dated.tar.gz", "r:gz") as tar:
        assert {m.mtime for m in tar.getmembers()} == {1234567890}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ArtifactError, match=r"^SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, "
                                             r"not 'yesterday'$"):
        deploy(site, tmp_path / "never.tar.gz")


def test_hidden_names_and_build_temporaries_stay_out_as_the_upload_action_leaves_them(site: Path,
                                                                                      tmp_path: Path) -> None:
    write_tree(site, {".git/config": "x", ".github/x.yml": "x", "p/.hidden": "x",
                      ".mkdocs-hybrid-kept/old.html": "x"})
    deploy(site, tmp_path / "a.tar.gz")
    with tarfile.open(tmp_path / "a.tar.gz", "r:gz") as tar:
        assert not [name for name in tar.getnames() if "/." in name]


def test_a_dry_run_says_what_it_would_write_and_writes_nothing(project: Path, tmp_path: Path) -> None:
    for name in ("site", "demos"):
        shutil.copytree(project / name, tmp_path / name)
    shutil.copy(project / "hybrid.yml", tmp_path / "hybrid.yml")
    run = run_cli("deploy", "site", "--dry-run", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert re.fullmatch(r"mkdocs-hybrid: dry run: github-pages: would write out/pages\.tar\.gz \(\d+ files, "
                        r"[\d.]+ MB of 1,000\.0 MB\)\n", run.stdout), run.stdout
    assert not (tmp_path / "out").exists()


# --- refusals: one line, nothing written ---------------------------------------------


def _symlink(site: Path) -> Path:
    (site / "p/alpha/v1/elsewhere.html").symlink_to("/etc/hostname")
    return site / "p/alpha/v1/elsewhere.html"


def _hard_link(site: Path) -> Path:
    os.link(site / "p/alpha/v1/index.html", site / "p/alpha/v1/twin.html")
    return site / "p/alpha/v1/index.html"  # the first of its names in the walk's order


def _unreadable(site: Path) -> Path:
    path = site / "p/beta/v1/index.html"
    path.chmod(0o000)
    return path


@pytest.mark.parametrize(("make", "says"), [
    (_symlink, "a symbolic link; a GitHub Pages artifact holds only files and folders: replace it with a copy of "
               "what it names, or remove it"),
    (_hard_link, "a hard link (2 names for one file); a GitHub Pages artifact holds no links: make it a copy of "
                 "its own"),
    (_unreadable, "not readable; GitHub Pages needs every file of the site readable: chmod u+r it, or remove it"),
])
def test_a_link_or_an_unreadable_file_is_refused_with_its_path_and_nothing_is_written(site: Path, tmp_path: Path,
                                                                                      make: object,
                                                                                      says: str) -> None:
    assert callable(make)
    path = make(site)
    with pytest.raises(ArtifactError) as raised:
        deploy(site, tmp_path / "a.tar.gz")
    assert str(raised.value) == f"{path}: {says}"
    assert not (tmp_path / "a.tar.gz").exists()


def test_a_refusal_is_one_error_line_from_the_command_and_exit_code_2(project: Path, tmp_path: Path) -> None:
    for name in ("site", "demos"):
        shutil.copytree(project / name, tmp_path / name)
    shutil.copy(project / "hybrid.yml", tmp_path / "hybrid.yml")
    _symlink(tmp_path / "site")
    run = run_cli("deploy", "site", cwd=tmp_path)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == ("error site/p/alpha/v1/elsewhere.html: a symbolic link; a GitHub Pages artifact holds "
                          "only files and folders: replace it with a copy of what it names, or remove it\n")
    assert not (tmp_path / "out").exists()


def test_a_site_over_the_limit_is_refused_naming_the_limit_and_the_size(site: Path, tmp_path: Path) -> None:
    plan = GitHubPages().plan(GitHubPagesOptions(artifact=str(tmp_path / "x.tar.gz")), DeployRequest(site))
    small = GitHubPages(max_bytes=plan.tar_bytes - 1)
    with pytest.raises(ArtifactError) as raised:
        deploy(site, tmp_path / "a.tar.gz", target=small)
    size = plan.tar_bytes
    assert str(raised.value) == (
        f"{site}: the GitHub Pages artifact would be {size / 1e6:,.1f} MB ({size:,} bytes), over GitHub Pages' "
        f"{(size - 1) / 1e6:,.1f} MB limit for a site: move videos and large files elsewhere, or deploy to "
        "cloudflare-pages")
    assert not (tmp_path / "a.tar.gz").exists()
    deploy(site, tmp_path / "a.tar.gz", target=GitHubPages(max_bytes=size))  # at the limit exactly: accepted
    assert (tmp_path / "a.tar.gz").is_file()


def test_an_artifact_inside_the_site_folder_is_refused(site: Path) -> None:
    with pytest.raises(ArtifactError, match=r"artifact: .*site/pages.tar.gz is inside the site folder"):
        deploy(site, site / "pages.tar.gz")
    assert not (site / "pages.tar.gz").exists()


def test_a_file_that_changes_while_it_is_packed_leaves_no_artifact(site: Path, tmp_path: Path) -> None:
    target = GitHubPages()
    plan = target.plan(GitHubPagesOptions(artifact=str(tmp_path / "a.tar.gz")), DeployRequest(site))
    (site / "p/alpha/v1/index.html").write_text("<p>alpha one, rebuilt longer</p>", encoding="utf-8")
    with pytest.raises(ArtifactError, match=r"p/alpha/v1/index.html: changed while the artifact was written"):
        target.upload(plan)
    assert os.listdir(tmp_path) == ["site"]  # neither the artifact nor its temporary file


# --- the manifest and the build --------------------------------------------------------


def manifest(tmp_path: Path, deploy_section: str) -> Path:
    (tmp_path / "demos").mkdir(exist_ok=True)
    path = tmp_path / "hybrid.yml"
    path.write_text(f"sources: [{{type: directory, path: demos}}]\ndeploy: {deploy_section}\n", encoding="utf-8")
    return path


def test_the_section_is_read_with_the_artifacts_default(tmp_path: Path) -> None:
    loaded = load_manifest(manifest(tmp_path, "{target: github-pages}"))
    assert loaded.deploy.target == "github-pages" and loaded.deploy.settings == GitHubPagesOptions()
    assert deploy_target("github-pages").name == "github-pages"
    loaded = load_manifest(manifest(tmp_path, "{target: github-pages, github-pages: {artifact: a/site.tgz}}"))
    assert loaded.deploy.settings.artifact == "a/site.tgz"


@pytest.mark.parametrize(("section", "message"), [
    ("{artifacts: r2}", "deploy.github-pages.artifacts: 'r2' is not available on GitHub Pages: the artifact store "
                        "mode's signed links need an edge worker, which GitHub Pages has none of; keep artifacts: "
                        "pages or deploy to cloudflare-pages"),
    ("{artifact: site.zip}", "deploy.github-pages.artifact must name a .tar.gz file (a gzip holding one tar), not "
                             "'site.zip'"),
])
def test_the_artifact_store_mode_and_another_archive_are_refused_in_one_line(tmp_path: Path, section: str,
                                                                             message: str) -> None:
    path = manifest(tmp_path, f"{{target: github-pages, github-pages: {section}}}")
    with pytest.raises(ManifestError) as raised:
        load_manifest(path)
    assert str(raised.value) == f"{path}: {message}"


def test_the_build_gets_the_static_edge_files_only(project: Path) -> None:
    site = project / "site"
    assert (site / "p/alpha/latest/index.html").is_file() and (site / "404.html").is_file()
    assert not {"_headers", "_redirects", "_worker.js", "_routes.json"} & set(os.listdir(site))


# --- the workflow ------------------------------------------------------------------------


def test_the_workflow_deploys_this_targets_artifact_with_the_official_actions(project: Path, tmp_path: Path) -> None:
    jobs = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    steps = jobs["build"]["steps"]
    commands = [step.get("run", "") for step in steps]
    assert any(command.startswith("mkdocs-hybrid deploy site") for command in commands)
    upload = next(step for step in steps if str(step.get("uses", "")).startswith("actions/upload-artifact@"))
    assert upload["with"]["name"] == "github-pages" and upload["with"]["path"] == TAR_NAME
    deploy_job = jobs["deploy"]
    assert deploy_job["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy_job["environment"]["name"] == "github-pages"
    assert [s["uses"].split("@")[0] for s in deploy_job["steps"]] == ["actions/deploy-pages"]

    # The unpack step, run as written, turns this target's artifact into the action's artifact.tar.
    unpack = next(step for step in steps if step.get("name") == "Unpack the tar for the upload")
    artifact = tmp_path / GitHubPagesOptions().artifact  # the default, which the workflow names
    deploy(project / "site", artifact)
    subprocess.run(["bash", "-eo", "pipefail", "-c", unpack["run"]], cwd=tmp_path, check=True)
    with tarfile.open(tmp_path / TAR_NAME, "r:") as tar:  # an uncompressed tar, as the action uploads it
        assert "./p/alpha/v2/index.html" in tar.getnames()
    assert (tmp_path / TAR_NAME).read_bytes() == gzip.decompress(artifact.read_bytes())
