"""Progress without a terminal: a few plain lines per stage (CI, a pipe, ``mkdocs build``/``serve``)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from mkdocs.commands.build import build
from mkdocs.config import load_config

from mkdocs_hybrid.cli import main
from mkdocs_hybrid.progress import ProgressLines
from tests.cloudflare_api import FakeCloudflare
from tests.deploy.test_r2 import bucket, dummy_credentials, s3_endpoint  # noqa: F401 (fixtures)
from tests.deploy.test_r2_artifacts import SITE_URL, _cli_project
from tests.factory import cli_env, manifest_for, run_cli, write_tree

RATE = r"(, [\d.]+/s)?"


class FakeClock:
    """The time a test says it is: the lines are decided by it, and no test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def run_stage(total: int, seconds_each: float, name: str = "bundling") -> list[str]:
    """The lines of one stage whose items finish ``seconds_each`` apart (on a fake clock)."""
    clock, lines = FakeClock(), []
    report = ProgressLines(lines.append, clock).stage(name)
    for done in range(1, total + 1):
        clock.now = done * seconds_each
        report(done, total)
    return lines


def test_a_steady_stage_prints_a_line_at_each_tenth_with_its_rate_and_time_left_then_one_at_100() -> None:
    lines = run_stage(80, 0.25)
    assert lines == [
        "bundling: 8/80 versions (10%), 4.0/s, about 18 s left",
        "bundling: 16/80 versions (20%), 4.0/s, about 16 s left",
        "bundling: 24/80 versions (30%), 4.0/s, about 14 s left",
        "bundling: 32/80 versions (40%), 4.0/s, about 12 s left",
        "bundling: 40/80 versions (50%), 4.0/s, about 10 s left",
        "bundling: 48/80 versions (60%), 4.0/s, about 8 s left",
        "bundling: 56/80 versions (70%), 4.0/s, about 6 s left",
        "bundling: 64/80 versions (80%), 4.0/s, about 4 s left",
        "bundling: 72/80 versions (90%), 4.0/s, about 2 s left",
        "bundling: 80/80 versions (100%), 4.0/s",
    ]


def test_a_slow_stage_prints_every_10_seconds_at_first_and_never_more_than_12_lines() -> None:
    """One poster every 5 s for 1,000 versions (83 minutes): the clock gives two lines before the first tenth,
    then the tenths' lines are kept for the tenths, so the log still says how far it is at 50%."""
    lines = run_stage(1000, 5.0, "posters and videos")
    assert len(lines) == 12, lines
    assert lines[:2] == ["posters and videos: 3/1000 versions (0%), 0.2/s, about 83 min left",
                         "posters and videos: 5/1000 versions (0%), 0.2/s, about 83 min left"]
    assert "posters and videos: 500/1000 versions (50%), 0.2/s, about 42 min left" in lines
    assert [int(re.search(r"\((\d+)%\)", line).group(1)) for line in lines[2:]] == [  # type: ignore[union-attr]
        10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert lines[-1] == "posters and videos: 1000/1000 versions (100%), 0.2/s"


def test_a_stage_over_within_a_second_prints_its_final_line_only() -> None:
    assert run_stage(1000, 0.0005, "pages") == ["pages: 1000/1000 versions (100%), 2000/s"]


def test_the_command_lines_add_task_and_update_calls_print_the_same_lines() -> None:
    """The CLI drives bars and lines with rich's calls: a task added hidden, then updated with counts."""
    clock, lines = FakeClock(), []
    with ProgressLines(lines.append, clock) as progress:
        task = progress.add_task("uploading", total=None, visible=False)
        progress.update(task, completed=900, total=1000)  # 900 files were uploaded by an earlier deploy
        for done in range(901, 1001):
            clock.now += 0.5
            progress.update(task, completed=done, total=1000, visible=True)
    assert lines == ["uploading: 920/1000 files (92%), 2.0/s, about 40 s left",  # the rate counts this deploy's
                     "uploading: 940/1000 files (94%), 2.0/s, about 30 s left",
                     "uploading: 960/1000 files (96%), 2.0/s, about 20 s left",
                     "uploading: 980/1000 files (98%), 2.0/s, about 10 s left",
                     "uploading: 1000/1000 files (100%), 2.0/s"]


def small_project(root: Path, versions: int = 3) -> Path:
    write_tree(root, {f"demos/counter/v{i}/index.js": f"document.body.textContent = 'v{i}';\n"
                      for i in range(1, versions + 1)})
    manifest_for(root)
    return root


def test_a_cli_build_in_a_pipe_prints_its_stages_progress_on_stderr(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(small_project(tmp_path / "project"))
    result = CliRunner().invoke(main, ["build", "--no-media", "-d", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert re.fullmatch(r"bundling: 3/3 versions \(100%\)(, [\d.]+/s)?", lines[-2]), result.stderr
    assert re.fullmatch(r"pages: 3/3 versions \(100%\)(, [\d.]+/s)?", lines[-1]), result.stderr
    assert result.stdout.startswith("mkdocs-hybrid: ")
    quiet = CliRunner().invoke(main, ["build", "-q", "--no-media", "-d", str(tmp_path / "site")])
    assert quiet.exit_code == 0 and quiet.stderr == "", quiet.stderr


def test_mkdocs_build_logs_the_stages_progress_through_mkdocs_logger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    project = small_project(tmp_path / "project", versions=2)
    write_tree(project, {"docs/index.md": "# Demos\n"})
    config = {"site_name": "Demos", "plugins": [{"hybrid": {"manifest": "hybrid.yml"}}]}
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    monkeypatch.setenv("MKDOCS_HYBRID_MEDIA", "off")
    caplog.set_level(logging.INFO, logger="mkdocs")
    build(load_config(config_file=str(project / "mkdocs.yml")))
    ours = [(record.levelname, record.getMessage()) for record in caplog.records
            if record.name.startswith("mkdocs.plugins.mkdocs_hybrid")]
    assert ("INFO", "mkdocs_hybrid: bundling: 2/2 versions (100%)") in [
        (level, re.sub(r", [\d.]+/s$", "", message)) for level, message in ours], ours
    assert any(message.startswith("mkdocs_hybrid: pages: 2/2 versions (100%)") for _, message in ours), ours


def test_a_cli_build_in_a_terminal_keeps_the_bars_and_prints_no_lines(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from mkdocs_hybrid import cli

    monkeypatch.setattr(cli, "err", Console(stderr=True, highlight=False, force_terminal=True, width=100))
    monkeypatch.chdir(small_project(tmp_path / "project"))
    result = CliRunner().invoke(main, ["build", "--no-media", "-d", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert "bundling" in result.stderr and "\x1b[" in result.stderr, "rich draws the bars"
    assert "bundling: " not in result.stderr and "pages: " not in result.stderr, result.stderr


def test_a_cli_build_in_a_terminal_draws_the_bars_on_its_own_error_console(tmp_path: Path) -> None:
    """As a user's terminal runs it: the command's own stderr console, made when the bars start (FORCE_COLOR makes
    rich treat the pipe as a terminal)."""
    project = small_project(tmp_path / "project")
    result = run_cli("build", "--no-media", "-d", str(tmp_path / "site"), cwd=project, env=cli_env(FORCE_COLOR="1"))
    assert result.returncode == 0, result.stderr
    assert "bundling" in result.stderr and "\x1b[" in result.stderr, "rich draws the bars"
    assert "Error" not in result.stderr and "bundling: " not in result.stderr, result.stderr


def test_a_deploy_in_a_pipe_prints_the_progress_of_the_r2_upload_then_of_the_pages_upload(
        bucket: str, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.chdir(_cli_project(tmp_path / "project", bucket, s3_endpoint))
    with FakeCloudflare() as fake:
        env = {"CLOUDFLARE_API_TOKEN": fake.token, "CLOUDFLARE_ACCOUNT_ID": fake.account_id,
               "CLOUDFLARE_API_BASE_URL": fake.base_url}
        result = CliRunner().invoke(main, ["deploy", "site", "--site-url", SITE_URL, "--commit-hash", "b" * 40,
                                           "--commit-message", "m", "--commit-clean"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    # In this mode the two share pages are R2 objects too (issue 22, item 2): 9 artifact objects + 2 pages on R2,
    # 4 files left on Pages.
    assert re.fullmatch(r"uploading to R2: 11/11 files \(100%\)" + RATE, lines[0]), lines
    assert re.fullmatch(r"uploading: 4/4 files \(100%\)" + RATE, lines[1]), lines
