"""``mkdocs-hybrid build`` flags as a CI job uses them: ``--strict`` and ``-q``."""

from __future__ import annotations

from pathlib import Path

from tests.factory import manifest_for, run_cli, write_tree


def broken_project(root: Path) -> Path:
    write_tree(root, {
        "demos/good/v1/index.js": "document.body.textContent = 'fine';\n",
        "demos/good/v2/index.js": "document.body.textContent = 'also fine';\n",
        "demos/bad/v1/index.js": "const broken = ;\n",
    })
    manifest_for(root)
    return root


def test_quiet_strict_build_exits_1_and_names_the_failure(tmp_path: Path) -> None:
    project = broken_project(tmp_path / "project")
    result = run_cli("build", "--strict", "-q", "-d", str(tmp_path / "site"), cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "bad/v1" in result.stderr and "index.js:1:16" in result.stderr, result.stderr
    assert result.stdout == "", "-q prints errors only"
    assert (tmp_path / "site" / "artifacts" / "good" / "v2" / "page.html").is_file()


def test_quiet_build_without_strict_exits_0_and_still_prints_the_error(tmp_path: Path) -> None:
    project = broken_project(tmp_path / "project")
    result = run_cli("build", "--quiet", "-d", str(tmp_path / "site"), cwd=project)
    assert result.returncode == 0, result.stderr
    assert "bad/v1" in result.stderr
    assert "built" not in result.stdout
