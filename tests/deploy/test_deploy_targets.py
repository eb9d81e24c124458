"""Deploy targets: the registry (``mkdocs_hybrid/deploy/targets.py``), the manifest's ``deploy.target`` and
sections, the plan -> upload -> activate order, and the edge files a target chooses.

``FAKE`` is a throwaway target that lives in this module: registering it is one line in a monkeypatched
``TARGETS``, which is all a new target needs besides its module.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mkdocs_hybrid.config.manifest import DeployOptions, load_manifest
from mkdocs_hybrid.deploy import targets
from mkdocs_hybrid.deploy.cloudflare_pages import TARGET as CLOUDFLARE
from mkdocs_hybrid.deploy.targets import DEFAULT_TARGET, TARGETS, DeployRequest, deploy_target, run_deploy
from mkdocs_hybrid.edge.cloudflare import write_routes
from mkdocs_hybrid.edge.static import EdgeWriter, RoutesError, write_static_edge
from mkdocs_hybrid.model.errors import ManifestError
from tests.edge.test_routes import make_catalog, make_thread
from tests.factory import build_standalone, write_tree

CLOUDFLARE_FILES = {"_headers", "_redirects", "_worker.js", "_routes.json"}


@dataclass(frozen=True)
class FakeOptions:
    """The fake target's section: ``deploy.fake``."""

    bucket: str | None = None
    region: str = "here"


@dataclass
class FakeOutcome:
    calls: list[str]
    dry_run: bool

    def summary(self) -> str:
        return f"fake: {', '.join(self.calls)}"

    def to_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "dry_run": self.dry_run}

    def refusal(self) -> str | None:
        return None


@dataclass
class FakePlan:
    outcome: FakeOutcome
    calls: list[str]

    def close(self) -> None:
        self.calls.append("close")


@dataclass
class FakeTarget:
    """Records what the deployment asked of it, in order."""

    name: str = "fake"
    options: type[Any] = FakeOptions
    calls: list[str] = field(default_factory=list)
    requests: list[DeployRequest] = field(default_factory=list)

    @property
    def edge(self) -> EdgeWriter:
        return write_static_edge

    def check(self, options: FakeOptions, origin: str, where: str) -> None:
        if options.bucket == "forbidden":
            raise ManifestError(f"{origin}: {where}.bucket may not be 'forbidden'")

    def plan(self, options: FakeOptions, request: DeployRequest) -> FakePlan:
        self.calls.append(f"plan {options.bucket}")
        self.requests.append(request)
        return FakePlan(FakeOutcome(self.calls, request.dry_run), self.calls)

    def upload(self, plan: FakePlan) -> None:
        self.calls.append("upload")

    def activate(self, plan: FakePlan) -> FakeOutcome:
        self.calls.append("activate")
        return plan.outcome


FAKE = FakeTarget()


@pytest.fixture
def fake_registered(monkeypatch: pytest.MonkeyPatch) -> FakeTarget:
    """The throwaway target, registered with its one line."""
    FAKE.calls.clear()
    FAKE.requests.clear()
    monkeypatch.setitem(TARGETS, "fake", f"{__name__}:FAKE")
    return FAKE


def manifest(tmp_path: Path, deploy: object) -> Path:
    (tmp_path / "demos").mkdir(exist_ok=True)
    path = tmp_path / "hybrid.yml"
    path.write_text(f"sources: [{{type: directory, path: demos}}]\ndeploy: {deploy}\n", encoding="utf-8")
    return path


# --- the registry and the manifest ---------------------------------------------------


def test_the_default_target_is_cloudflare_pages_and_a_manifest_without_target_deploys_there(tmp_path: Path) -> None:
    assert deploy_target(DEFAULT_TARGET) is CLOUDFLARE
    assert CLOUDFLARE.name == DEFAULT_TARGET == DeployOptions().target
    loaded = load_manifest(manifest(tmp_path, "{pages_project: demos, r2_bucket: media, r2_public_url: https://m.x}"))
    assert loaded.deploy.target == DEFAULT_TARGET and loaded.deploy.settings is loaded.deploy
    assert deploy_target(loaded.deploy.target).edge is write_routes


def test_an_unknown_target_is_one_line_naming_the_manifest_and_the_known_targets(tmp_path: Path) -> None:
    path = manifest(tmp_path, "{target: netlify}")
    known = ", ".join(sorted(TARGETS))
    assert known.startswith("cloudflare-pages, github-pages")
    with pytest.raises(ManifestError) as raised:
        load_manifest(path)
    assert str(raised.value) == f"{path}: deploy.target must be one of {known}, not 'netlify'"
    with pytest.raises(ManifestError, match=rf"^manifest: deploy.target must be one of {known}, not 3$"):
        deploy_target(3)


@pytest.mark.parametrize("deploy", ["{section: whatever}", "{cloudflare-pages: {target: cloudflare-pages}}",
                                    "{cloudflare-pages: {section: whatever}}"])
def test_the_options_objects_own_fields_are_no_manifest_keys(tmp_path: Path, deploy: str) -> None:
    """``target`` and ``section`` are how the parsed options say which target they are for; written into the
    Cloudflare section they were accepted and dropped, and the error listed them as allowed keys."""
    with pytest.raises(ManifestError, match=r"unknown key\(s\) (section|target); allowed: artifacts, ") as raised:
        load_manifest(manifest(tmp_path, deploy))
    assert "section" not in str(raised.value).split("allowed:")[1]


def test_the_flat_keys_are_the_cloudflare_pages_section_and_the_nested_form_reads_the_same(tmp_path: Path) -> None:
    flat = load_manifest(manifest(tmp_path, "{pages_project: demos, branch: live, artifacts: r2, "
                                            "artifacts_url: 'https://a.example', r2_bucket: b}"))
    nested = load_manifest(manifest(tmp_path, "{target: cloudflare-pages, cloudflare-pages: {pages_project: demos, "
                                              "branch: live, artifacts: r2, artifacts_url: 'https://a.example', "
                                              "r2_bucket: b}}"))
    assert flat.deploy == nested.deploy
    assert flat.deploy.artifacts_url == "https://a.example" and flat.deploy.section is None


@pytest.mark.parametrize(("deploy", "message"), [
    ("{pages_project: a, cloudflare-pages: {branch: b}}",
     "deploy: pages_project and deploy.cloudflare-pages: give the cloudflare-pages keys flat under deploy or "
     "under deploy.cloudflare-pages, not both"),
    ("{cloudflare-pages: {artifacts: r2}}",
     "deploy.cloudflare-pages.artifacts: r2 needs deploy.cloudflare-pages.artifacts_url"),
    ("{artifacts: r2}", "deploy.artifacts: r2 needs deploy.artifacts_url"),
    ("{cloudflare-pages: {nope: 1}}", "deploy.cloudflare-pages: unknown key(s) nope"),
    ("{target: fake, pages_project: a}",
     "deploy: pages_project: keys written flat under deploy are the cloudflare-pages section; with "
     "deploy.target: fake, put fake's keys under deploy.fake"),
    ("{target: fake, cloudflare-pages: {pages_project: a}}",
     "deploy.cloudflare-pages configures another target than deploy.target (fake)"),
    ("{target: fake, fake: {bucket: forbidden}}", "deploy.fake.bucket may not be 'forbidden'"),
    ("{target: fake, fake: {bucket: 3}}", "deploy.fake.bucket must be str, not int"),
])
def test_a_section_that_does_not_fit_its_target_is_one_clear_line(tmp_path: Path, fake_registered: FakeTarget,
                                                                   deploy: str, message: str) -> None:
    path = manifest(tmp_path, deploy)
    with pytest.raises(ManifestError) as raised:
        load_manifest(path)
    assert str(raised.value).startswith(f"{path}: {message}")
    assert "\n" not in str(raised.value)


def test_a_registered_target_gets_its_own_section_parsed_by_its_options(tmp_path: Path,
                                                                        fake_registered: FakeTarget) -> None:
    loaded = load_manifest(manifest(tmp_path, "{target: fake, fake: {bucket: site}}"))
    assert loaded.deploy.target == "fake" and loaded.deploy.settings == FakeOptions(bucket="site")
    assert loaded.deploy.artifacts == "pages" and loaded.deploy.r2_bucket is None  # the build's Cloudflare facts


# --- plan -> upload -> activate ------------------------------------------------------


def test_a_deployment_plans_uploads_and_activates_in_that_order(tmp_path: Path, fake_registered: FakeTarget) -> None:
    target = deploy_target("fake")
    outcome = run_deploy(target, FakeOptions(bucket="b"), DeployRequest(tmp_path))
    assert fake_registered.calls == ["plan b", "upload", "activate", "close"]
    assert outcome.summary() == "fake: plan b, upload, activate, close"


def test_a_dry_run_plans_and_stops(tmp_path: Path, fake_registered: FakeTarget) -> None:
    outcome = run_deploy(deploy_target("fake"), FakeOptions(), DeployRequest(tmp_path, dry_run=True))
    assert fake_registered.calls == ["plan None", "close"]
    assert outcome.to_dict() == {"calls": ["plan None", "close"], "dry_run": True}


def test_the_plan_is_closed_when_an_upload_fails(tmp_path: Path, fake_registered: FakeTarget,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(plan: FakePlan) -> None:
        plan.calls.append("upload")
        raise ManifestError("the host refused")

    monkeypatch.setattr(fake_registered, "upload", broken)
    with pytest.raises(ManifestError, match="the host refused"):
        run_deploy(deploy_target("fake"), FakeOptions(), DeployRequest(tmp_path))
    assert fake_registered.calls == ["plan None", "upload", "close"]


def test_the_deploy_command_goes_through_the_manifests_target(tmp_path: Path, fake_registered: FakeTarget,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs_hybrid.cli import main

    manifest(tmp_path, "{target: fake, fake: {bucket: b}}")
    (tmp_path / "site").mkdir()
    monkeypatch.chdir(tmp_path)
    dry = CliRunner().invoke(main, ["deploy", "site", "--dry-run", "--site-url", "https://x.example"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[-1] == "mkdocs-hybrid: dry run: fake: plan b, close"
    assert fake_registered.requests[0].site_url == "https://x.example" and fake_registered.requests[0].dry_run
    fake_registered.calls.clear()
    real = CliRunner().invoke(main, ["deploy", "site", "--json"])
    assert real.exit_code == 0, real.output
    assert fake_registered.calls == ["plan b", "upload", "activate", "close"]


# --- edge files: what a target chooses -----------------------------------------------


def test_the_static_edge_writes_only_the_fallbacks_and_the_404_page(tmp_path: Path) -> None:
    catalog = make_catalog(make_thread("alpha"), make_thread("beta", ("v1",)), make_thread("quiet", unlisted=True))
    assert write_static_edge(tmp_path, catalog) == 2
    written = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file())
    assert written == ["404.html", "p/alpha/latest/index.html", "p/beta/latest/index.html"]
    with pytest.raises(RoutesError, match=r"signed links .* answered by an edge worker"):
        write_static_edge(tmp_path, catalog, signed_links=True)


@pytest.mark.parametrize("worker_threshold", [1_000, 0])
def test_cloudflare_writes_the_static_files_byte_for_byte_and_its_own_on_top(tmp_path: Path,
                                                                            worker_threshold: int) -> None:
    catalog = make_catalog(make_thread("alpha"), make_thread("beta", ("v1",)))
    write_static_edge(tmp_path / "static", catalog, gallery_url="/sub/gallery/")
    write_routes(tmp_path / "cloudflare", catalog, gallery_url="/sub/gallery/", worker_threshold=worker_threshold)
    static, cloudflare = _files(tmp_path / "static"), _files(tmp_path / "cloudflare")
    expected = {"_headers", "_redirects"} | ({"_worker.js", "_routes.json"} if worker_threshold == 0 else set())
    assert set(cloudflare) - set(static) == expected <= CLOUDFLARE_FILES
    assert {name: cloudflare[name] for name in static} == static


def test_a_build_for_a_static_target_gets_no_cloudflare_files(tmp_path: Path, fake_registered: FakeTarget) -> None:
    write_tree(tmp_path / "demos", {"t/v1/index.html": "<p>one</p>", "t/v2/index.html": "<p>two</p>"})
    site = build_standalone(tmp_path, deploy={"target": "fake", "fake": {"bucket": "b"}})
    assert not CLOUDFLARE_FILES & {path.name for path in site.iterdir()}
    assert (site / "p/t/latest/index.html").is_file() and (site / "404.html").is_file()
    assert (site / "gallery/index.html").is_file()


def test_no_target_loads_a_deploy_client_for_the_manifest_or_the_build(tmp_path: Path) -> None:
    """The manifest reads a target's section and the build its edge writer: neither may load httpx or boto3,
    which a target imports only when it deploys."""
    path = manifest(tmp_path, "{pages_project: demos}")
    probe = ("import sys\n"
             "from mkdocs_hybrid.config.manifest import load_manifest\n"
             "from mkdocs_hybrid.deploy.targets import TARGETS, deploy_target\n"
             "from mkdocs_hybrid.publish.site import edge_writer\n"
             f"load_manifest({str(path)!r})\n"
             "for name in TARGETS:\n"
             "    target = deploy_target(name)\n"
             "    target.options(), target.edge, edge_writer(name)\n"
             "print(sorted(name for name in ('httpx', 'boto3', 'botocore') if name in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_every_registered_target_names_a_module_attribute_that_is_a_target() -> None:
    for name, reference in targets.TARGETS.items():
        assert reference.count(":") == 1, reference
        target = deploy_target(name)
        assert target.name == name
        assert callable(target.plan) and callable(target.upload) and callable(target.activate)


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}
