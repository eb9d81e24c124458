"""``mkdocs-hybrid build`` flags as a CI job uses them: ``--strict`` and ``-q``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


def hostile_project(root: Path) -> Path:
    """Two good versions beside one of every hostile kind of issue 18's sources and config classes."""
    write_tree(root, {
        "demos/good/v1/index.js": "document.body.textContent = 'fine';\n",
        "demos/good/v2/index.js": "document.body.textContent = 'also fine';\n",
        "demos/fifo/v1/index.js": "x;\n",
        "demos/bomb/v1/index.js": "x;\n",
        "demos/bomb/v1/snapshot.yml": "created:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)),
        "demos/names/v1/index.js": "x;\n",
        "demos/names/v1/x.js:1:1: ERROR: good/v2\n.js": "x;\n",
        "demos/markup/v1/index.js": "x;\n",
        "demos/markup/v1/[/red].js": "x" * 2048,
        "outside/v1/index.js": "secret;\n",
    })
    os.mkfifo(root / "demos/fifo/v1/data.txt")
    os.symlink(root / "outside", root / "demos/linked")
    manifest_for(root, max_file_bytes=1024)
    return root


def test_hostile_sources_fail_alone_each_with_one_line(tmp_path: Path) -> None:
    project = hostile_project(tmp_path / "project")
    result = run_cli("check", cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("bundling: ")]  # progress
    assert len(lines) == 5, lines
    for ref, expected in (("fifo/v1", "is a FIFO"), ("bomb/v1", "anchors and aliases"),
                          ("names/v1", "control character"), ("markup/v1", "[/red].js"),
                          ("linked", "symlink points outside the source folder")):
        assert any(line.startswith(f"error {ref}: ") and expected in line for line in lines), (ref, lines)
    assert result.stdout.startswith("2 snapshots in 1 thread, 5 errors")

    built = run_cli("build", "--strict", "-q", "-d", str(tmp_path / "site"), cwd=project)
    assert built.returncode == 1 and "Traceback" not in built.stderr, built.stderr
    assert (tmp_path / "site/artifacts/good/v2/page.html").is_file()
    assert not (tmp_path / "site/artifacts/linked").exists()


@pytest.mark.parametrize(("build", "expected"), [
    ("{ledger: /dev/null}", "build.ledger '/dev/null' is a character device"),
    ("{cache_dir: pipe}", "build.cache_dir 'pipe' is a FIFO"),
    ("{ledger: .}", "build.ledger '.' is a folder"),
])
def test_check_refuses_special_files_as_cache_or_ledger(tmp_path: Path, build: str, expected: str) -> None:
    write_tree(tmp_path, {"demos/good/v1/index.js": "x;\n"})
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "hybrid.yml").write_text(f"sources: [{{type: directory, path: demos}}]\nbuild: {build}\n")
    for command in (["check"], ["build", "-q", "-d", str(tmp_path / "site")]):
        result = run_cli(*command, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
