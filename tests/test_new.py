"""``mkdocs-hybrid new THREAD --template NAME``: a first version that builds at once, in the manifest's source.

Each starter is built for real (native esbuild; the React starter's packages from the session's sample build, as
a CI cache would hold them) and its share page checked; a name that exists, a bad name and an unknown template
are refused with one line and nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mkdocs_hybrid.sources.starters import STARTERS, load_starter
from tests.conftest import seed_dependencies
from tests.factory import manifest_for, run_cli, write_tree


@pytest.fixture
def project(tmp_path: Path, sample_site_mkdocs: Path) -> Path:
    root = tmp_path / "project"
    write_tree(root, {"demos/existing/v1/index.js": "document.body.textContent = 'here';\n"})
    manifest_for(root)
    seed_dependencies(sample_site_mkdocs.parent, root)
    return root


def test_every_starter_makes_a_thread_that_builds_at_once(project: Path) -> None:
    for name in STARTERS:
        result = run_cli("new", f"my-{name}", "--template", name, cwd=project)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"my-{name}/v1 ({name}) saved in {project / 'demos'}")
        saved = project / "demos" / f"my-{name}" / "v1"
        assert {p.relative_to(saved).as_posix() for p in saved.rglob("*") if p.is_file()} >= set(
            load_starter(name).files)
    built = run_cli("build", "--strict", "-q", "-d", str(project / "site"), cwd=project)
    assert built.returncode == 0, built.stderr
    for name in STARTERS:
        page = project / "site" / "artifacts" / f"my-{name}" / "v1" / "page.html"
        assert page.is_file(), f"{name}: {built.stderr}"
        assert (project / "site" / "p" / f"my-{name}" / "v1" / "index.html").is_file()
    assert "react" in (project / "site" / "artifacts" / "my-react" / "v1" / "meta.json").read_text()


def test_the_default_starter_is_plain_javascript(project: Path) -> None:
    assert run_cli("new", "plain", cwd=project).returncode == 0
    assert (project / "demos" / "plain" / "v1" / "main.js").is_file()
    assert not (project / "demos" / "plain" / "v1" / "package.json").exists(), "no dependencies to install"


@pytest.mark.parametrize(("args", "message"), [
    (("new", "existing"), "thread 'existing' exists already"),
    (("new", "unreadable"), "thread 'unreadable' exists already"),  # its only version does not read
    (("new", "Bad Name!"), "thread"),
    (("new", "fine", "--template", "vue"), "'vue' is not one of"),
    (("new", "fine", "--into", "elsewhere"), "--into elsewhere: not a source of"),
])
def test_a_name_that_exists_or_is_wrong_is_refused_and_nothing_is_written(project: Path, args: tuple[str, ...],
                                                                          message: str) -> None:
    write_tree(project, {"demos/unreadable/v2/index.js": "document.body.textContent = 'there';\n",
                         "demos/unreadable/v2/snapshot.yml": "title: [not closed\n"})
    before = sorted(p.relative_to(project).as_posix() for p in (project / "demos").rglob("*"))
    result = run_cli(*args, cwd=project)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.relative_to(project).as_posix() for p in (project / "demos").rglob("*")) == before
