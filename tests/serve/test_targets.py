"""Where ``serve`` saves: the manifest must name a store, or ``--store DIR`` one of its directory sources;
and dependency sets the editor asks for are installed and vendored as the build does (npm: ``slow``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.factory import run_cli, write_tree
from tests.serve.serving import serving, snapshot


def standalone_project(root: Path, *, store: bool) -> Path:
    """A project without mkdocs.yml (the standalone site) with one plain demo."""
    write_tree(root / "demos", {"hello/v1/index.html": "<!doctype html><p>hello</p>\n"})
    sources = [{"type": "directory", "path": "demos"}] + ([{"type": "store", "path": "editor.sqlite"}] if store else [])
    (root / "hybrid.yml").write_text(yaml.safe_dump({"sources": sources, "build": {"cache_dir": ".cache"}}),
                                     encoding="utf-8")
    return root


def test_a_manifest_without_a_store_is_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("serve", "--port", "0", cwd=standalone_project(tmp_path, store=False), timeout=60)
    assert result.returncode == 2
    assert "add {type: store, path: editor.sqlite} to its sources" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_store_dir_must_be_a_directory_source(tmp_path: Path) -> None:
    result = run_cli("serve", "--port", "0", "--store", "elsewhere", cwd=standalone_project(tmp_path, store=True),
                     timeout=60)
    assert result.returncode == 2 and "not one of the directory sources" in result.stderr


def test_store_dir_saves_versions_as_files(tmp_path: Path) -> None:
    project = standalone_project(tmp_path, store=False)
    files = {"index.html": "<!doctype html><h1>saved</h1>\n", "src/app.js": "console.log(1)\n"}
    with serving(project, "--store", "demos") as served:
        response = served.post("/api/versions", snapshot("hello", "v2", files, title="Saved", tags=["demo"]))
        assert response.status_code == 201, response.text
        with served.client() as client:
            assert "saved" in client.get("/artifacts/hello/v2/page.html").text
            assert client.get("/gallery/hello/").status_code == 200
            reserved = served.post("/api/versions", snapshot("hello", "v3", {"index.html": "x", "package.json": "{}"}))
            assert reserved.status_code == 400 and reserved.json()["field"] == "files"
            again = served.post("/api/versions", snapshot("hello", "v2", files))
            assert again.status_code == 409
            assert client.get("/api/versions/hello/v2").json()["files"] == files

    folder = project / "demos" / "hello" / "v2"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "index.html", "snapshot.yml", "src/app.js"]
    assert yaml.safe_load((folder / "snapshot.yml").read_text()) == {"title": "Saved", "tags": ["demo"]}
    assert not (project / "demos" / "hello" / "v3").exists()
    assert not [p for p in (project / "demos" / "hello").iterdir() if p.name.startswith(".")]
    check = run_cli("check", cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.slow
def test_a_new_dependency_set_is_installed_and_vendored(tmp_path: Path) -> None:
    with serving(standalone_project(tmp_path, store=True)) as served:
        response = served.post("/api/dependencies", {"dependencies": {"nanoid": "5.1.6"}, "imports": ["nanoid"]})
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["set"]["direct"] == {"nanoid": "5.1.6"}
        vendor = answer["set"]["vendors"][0]
        assert vendor["requested"] == ["nanoid"] and vendor["modules"] == ["nanoid"]
        with served.client() as client:
            assert client.get("/" + vendor["path"]).status_code == 200
            listing = client.get(answer["files_url"]).json()
            assert "nanoid/package.json" in listing and listing == sorted(listing)
            assert client.get(answer["files_url"] + "nanoid/package.json").json()["version"] == "5.1.6"
            assert client.get(answer["files_url"] + "..%2F..%2Fhybrid-peers.json").status_code == 400
            assert client.get(answer["files_url"] + "nanoid/missing.js").status_code == 404
            assert client.get("/api/packages/0123456789abcdef0123/").status_code == 404
            bad = served.post("/api/dependencies", {"dependencies": {"nanoid": "git+https://x"}})
            assert bad.status_code == 400 and bad.json()["field"] == "dependencies"
