"""`mkdocs-hybrid publish`: build with MkDocs, then deploy only after a clean build."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.factory import run_cli


def publish(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("publish", "--config-file", str(project / "mkdocs.yml"), *args, cwd=project)


def break_one_snapshot(project: Path) -> str:
    broken = project / "sample_projects/svg-chart/v9/src/index.js"
    broken.parent.mkdir(parents=True)
    broken.write_text("const = 1\n")
    return "svg-chart/v9"


def test_publish_refuses_to_deploy_after_failed_snapshots(seeded_project: Path) -> None:
    ref = break_one_snapshot(seeded_project)
    result = publish(seeded_project, "--dry-run", "--json")
    assert result.returncode == 1, result.stderr
    assert f"1 snapshot failed, nothing was deployed: {ref}; fix them or pass --allow-failures" in result.stderr
    assert "would upload" not in result.stdout and not result.stdout.strip()


def test_publish_with_allow_failures_deploys_the_rest_and_names_what_was_left_out(seeded_project: Path) -> None:
    ref = break_one_snapshot(seeded_project)
    result = publish(seeded_project, "--dry-run", "--json", "--allow-failures")
    assert result.returncode == 0, result.stderr
    assert f"not published (build failed): {ref}" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["dry_run"] is True and summary["project"] == "demos" and summary["files"] > 100


def test_publish_without_credentials_says_what_to_set(seeded_project: Path) -> None:
    result = publish(seeded_project)
    assert result.returncode == 2
    assert "CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID not set" in result.stderr
