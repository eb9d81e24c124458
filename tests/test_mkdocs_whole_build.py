"""The whole-build short cut through real MkDocs (the plugin): a ``mkdocs build`` with nothing changed gets the last
build's catalog (the gallery pages are the same) and the export's files back over MkDocs' clean; a change after it
builds what a full build builds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jinja2
import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

from mkdocs_hybrid import whole_build
from mkdocs_hybrid.publish.unchanged import Decision
from mkdocs_hybrid.templates import environment
from tests.factory import manifest_for, read_tree, write_tree

EPOCH = "1767225600"
MKDOCS_YML = ("site_name: demos\nsite_url: https://demos.example/\ntheme: {name: mkdocs}\n"
              "plugins: [search, {hybrid: {manifest: hybrid.yml}}]\n")


@pytest.fixture(autouse=True)
def steady(monkeypatch: pytest.MonkeyPatch, trusting: None) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv("MKDOCS_HYBRID_MEDIA", "off")


def project(root: Path) -> Path:
    write_tree(root, {**{f"demos/t/v{i}/index.js": f"document.title = 'v{i}'\n" for i in (1, 2)},
                      "demos/u/v1/index.js": "document.title = 'u'\n", "demos/t/thread.yml": "title: First title\n",
                      "mkdocs.yml": MKDOCS_YML, "docs/index.md": "# Demos\n"})
    manifest_for(root)
    return root


def mkdocs_build(root: Path) -> dict[str, Any]:
    """Build the project with real MkDocs, in this process; the hybrid report it wrote."""
    build(load_config(str(root / "mkdocs.yml")))
    report: dict[str, Any] = json.loads((root / "hybrid-report.json").read_bytes())
    return report


def test_a_mkdocs_build_with_nothing_changed_makes_the_same_site_from_the_recorded_catalog(tmp_path: Path) -> None:
    first = mkdocs_build(project(tmp_path))
    assert first["counts"]["built"] == 3 and first["counts"]["unchanged"] == 0
    site = read_tree(tmp_path / "site")
    assert "gallery/t/index.html" in site and "First title" in site["gallery/t/index.html"].decode()
    for _ in range(2):
        again = mkdocs_build(tmp_path)
        assert again["counts"] == {"built": 0, "cached": 0, "failed": 0, "kept": 0, "threads": 2, "unchanged": 3}
        assert read_tree(tmp_path / "site") == site, "the gallery or the export's files differ after a no-op"


def test_a_change_after_a_mkdocs_no_op_builds_what_a_full_build_builds(tmp_path: Path) -> None:
    mkdocs_build(project(tmp_path / "project"))
    assert mkdocs_build(tmp_path / "project")["counts"]["unchanged"] == 3
    write_tree(tmp_path / "project", {"demos/t/v3/index.js": "document.title = 'v3'\n",
                                      "demos/t/thread.yml": "title: Second title\n"})
    reference = shutil.copytree(tmp_path / "project", tmp_path / "reference", symlinks=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(whole_build, "decide", lambda *args: Decision(False, "the reference build"))
        mkdocs_build(reference)
    report = mkdocs_build(tmp_path / "project")
    assert report["counts"]["unchanged"] == 0 and report["counts"]["built"] == 1
    site = read_tree(tmp_path / "project/site")
    assert site == read_tree(reference / "site")
    assert "Second title" in site["gallery/t/index.html"].decode() and "p/t/v3/index.html" in site


def test_a_mkdocs_no_op_in_a_new_process_compiles_none_of_the_templates_again(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    environment.cache_clear()  # each build as in a new process: no template of the gallery's in memory yet
    mkdocs_build(project(tmp_path))
    environment.cache_clear()
    compiled: list[str | None] = []
    compile_template = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: str, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        compiled.append(name)
        return compile_template(self, source, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    assert mkdocs_build(tmp_path)["counts"]["unchanged"] == 3
    assert compiled == [], "a no-op compiled templates the last build had compiled already"
