"""``mkdocs-hybrid check`` bundles every demo as ``build`` does (real esbuild), writing no site and no ledger:
what it passes, ``build`` builds."""

from __future__ import annotations

from pathlib import Path

from tests.factory import manifest_for, read_tree, run_cli, write_tree

GOOD = {"demos/good/v1/index.js": "document.body.textContent = 'fine';\n"}
BROKEN = {"demos/bad/v1/index.js": "const broken = ;\n"}
UNREADABLE = {"demos/odd/v1/index.js": "x;\n", "demos/odd/v1/snapshot.yml": "title: [unclosed\n"}
LEDGER = Path(".mkdocs-hybrid/ledger.sqlite")


def project(root: Path, *files: dict[str, str]) -> Path:
    for tree in files:
        write_tree(root, tree)
    manifest_for(root)
    return root


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error ")]


def test_a_demo_with_a_syntax_error_fails_the_check_with_its_located_error(tmp_path: Path) -> None:
    root = project(tmp_path / "project", GOOD, BROKEN, UNREADABLE)
    result = run_cli("check", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = error_lines(result.stderr)
    assert lines[0].startswith("error odd/v1: ") and "snapshot.yml: invalid YAML" in lines[0], lines
    assert lines[1] == 'error bad/v1: index.js:1:16: Unexpected ";"', lines
    assert len(lines) == 2 and "good" not in result.stderr, lines
    assert result.stdout == "2 snapshots in 2 threads, 2 errors; 1 bundled, 0 from the bundle cache\n"
    assert not (root / "site").exists() and not (root / LEDGER).exists()
    assert not (root / LEDGER.parent).exists(), "check makes no ledger folder either"

    built = run_cli("build", "--strict", "-q", "--no-media", cwd=root)
    assert built.returncode == 1 and error_lines(built.stderr) == lines, built.stderr
    assert (root / "site/artifacts/good/v1/page.html").is_file()


def test_check_leaves_a_built_site_and_its_ledger_as_they_were(tmp_path: Path) -> None:
    root = project(tmp_path / "project", GOOD)
    assert run_cli("build", "--strict", "-q", "--no-media", cwd=root).returncode == 0
    site, ledger = read_tree(root / "site"), read_tree(root / LEDGER.parent)
    assert LEDGER.name in ledger
    write_tree(root, BROKEN)
    write_tree(root, {"demos/good/v2/index.js": "document.body.textContent = 'new';\n"})

    result = run_cli("check", cwd=root)
    assert result.returncode == 1 and error_lines(result.stderr) == ['error bad/v1: index.js:1:16: Unexpected ";"']
    assert read_tree(root / "site") == site
    assert read_tree(root / LEDGER.parent) == ledger, "the ledger (and its vendor archive) as they were"


def test_a_project_whose_demos_all_build_passes(tmp_path: Path) -> None:
    root = project(tmp_path / "project", GOOD, {
        "demos/good/v2/src/index.js": "import { word } from './word.js';\ndocument.body.textContent = word;\n",
        "demos/good/v2/src/word.js": "export const word = 'imported';\n",
        "demos/page/v1/index.html": "<!doctype html><title>t</title><script type=module src=app.js></script>\n",
        "demos/page/v1/app.js": "document.title = 'page';\n",
    })
    result = run_cli("check", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "3 snapshots in 2 threads, 0 errors; 3 bundled, 0 from the bundle cache\n"
    assert error_lines(result.stderr) == []


def test_a_second_check_and_the_build_after_it_take_the_bundles_from_the_cache(tmp_path: Path) -> None:
    root = project(tmp_path / "project", GOOD, {"demos/good/v2/index.js": "document.body.textContent = 2;\n"})
    first = run_cli("check", cwd=root)
    assert first.stdout.endswith("; 2 bundled, 0 from the bundle cache\n"), first.stdout + first.stderr

    write_tree(root, {"demos/good/v3/index.js": "document.body.textContent = 3;\n"})
    second = run_cli("check", cwd=root)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "3 snapshots in 1 thread, 0 errors; 1 bundled, 2 from the bundle cache\n"

    built = run_cli("build", "--strict", "--no-media", cwd=root)
    assert built.returncode == 0, built.stderr
    assert "mkdocs-hybrid: 0 built, 3 cached, 0 failed" in built.stdout, built.stdout
