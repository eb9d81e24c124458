"""``mkdocs-hybrid serve`` on the sample project: saving versions, refusing bad ones, and its guard.

One real server (a subprocess on 127.0.0.1) serves a copy of the sample project for the whole module;
requests go through httpx as the editor's ``fetch`` would send them.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import build_site, copy_project, output_of, read_yaml, seed_dependencies, write_yaml

from mkdocs_hybrid.edge.sandbox import DEMO_CSP
from tests.factory import read_tree, run_cli
from tests.serve.serving import LIMITS, Served, serving, snapshot, store_rows

NEW_FILES = {
    "src/index.js": "import './style.css';\ndocument.getElementById('root').textContent = 'saved from the editor';\n",
    "src/style.css": "#root { color: rebeccapurple; }\n",
}


def limited(project: Path) -> Path:
    manifest = read_yaml(project / "hybrid.yml")
    manifest["build"] = {**(manifest.get("build") or {}), **LIMITS}
    write_yaml(project / "hybrid.yml", manifest)
    return project


@pytest.fixture(scope="module")
def served(sample_project: Path, sample_site_mkdocs: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Served]:
    project = limited(copy_project(sample_project, tmp_path_factory.mktemp("serve") / "project"))
    seed_dependencies(sample_site_mkdocs.parent, project)
    with serving(project) as server:
        yield server


def site_digest(project: Path) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in read_tree(project / "site").items()}


# -- saving ------------------------------------------------------------------------------------


def test_a_save_is_stored_built_and_shared(served: Served, tmp_path: Path) -> None:
    response = served.post("/api/versions", snapshot("editor-demo", "v1", NEW_FILES, title="From the editor"))

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["share_url"] == "/p/editor-demo/v1/"
    assert answer["artifact_url"] == "/artifacts/editor-demo/v1/page.html"
    assert answer["seconds"] > 0
    assert ("editor-demo", "v1") in store_rows(served.project)
    with served.client() as client:
        assert client.get(answer["share_url"]).status_code == 200
        page = client.get(answer["artifact_url"])
        assert page.status_code == 200 and "saved from the editor" in page.text
        # Opened directly, the demo still runs sandboxed (an opaque origin), as the site's _headers say.
        assert page.headers["content-security-policy"] == DEMO_CSP
        assert "content-security-policy" not in client.get(answer["share_url"]).headers
        assert "#639" in client.get("/artifacts/editor-demo/v1/style.css").text
        threads = client.get("/api/threads").json()["threads"]
        assert {"thread": "editor-demo", "versions": [
            {"version": "v1", "title": "From the editor", "saved_at": threads[0]["versions"][0]["saved_at"]}]} \
            in threads
        saved = client.get("/api/versions/editor-demo/v1").json()
        assert saved["files"] == NEW_FILES and saved["title"] == "From the editor"
        assert client.get("/api/versions/editor-demo/v9").status_code == 404

    # A full `mkdocs build` of the project, reading the store as a source, makes the same artifact.
    rebuilt = copy_project(served.project, tmp_path / "rebuilt")
    shutil.copy2(served.project / "editor.sqlite", rebuilt / "editor.sqlite")
    seed_dependencies(served.project, rebuilt)
    result = build_site(rebuilt)
    assert result.returncode == 0, output_of(result)
    for name in ("page.html", "style.css"):
        built = (rebuilt / "site" / "artifacts" / "editor-demo" / "v1" / name).read_bytes()
        assert built == (served.project / "site" / "artifacts" / "editor-demo" / "v1" / name).read_bytes()


def test_an_existing_version_is_refused_with_409(served: Served) -> None:
    before = site_digest(served.project), store_rows(served.project)

    taken = served.post("/api/versions", snapshot("react-todo", "v1", {"index.js": "1"}))  # a directory source's

    assert taken.status_code == 409 and taken.json()["field"] == "version"
    assert "new version" in taken.json()["error"]
    assert (site_digest(served.project), store_rows(served.project)) == before


def test_a_version_that_does_not_build_is_not_saved(served: Served) -> None:
    before = site_digest(served.project), store_rows(served.project)

    response = served.post("/api/versions", snapshot("broken", "v1", {"index.js": "import './missing.js';\n"}))

    assert response.status_code == 422, response.text
    assert "missing.js" in response.json()["error"] and "not saved" in response.json()["error"]
    assert (site_digest(served.project), store_rows(served.project)) == before


BAD_SNAPSHOTS: dict[str, tuple[dict[str, Any], str, str]] = {
    "bad thread id": (snapshot("Bad Thread", "v1", {"index.js": "1"}), "thread", "invalid thread id"),
    "bad version id": (snapshot("ok", "../v1", {"index.js": "1"}), "version", "invalid version id"),
    "latest": (snapshot("ok", "latest", {"index.js": "1"}), "version", "reserved"),
    "dot-dot path": (snapshot("ok", "v1", {"../index.js": "1"}), "files", "escapes"),
    "absolute path": (snapshot("ok", "v1", {"/etc/index.js": "1"}), "files", "must be relative"),
    "oversize file": (snapshot("ok", "v1", {"index.js": "x" * (LIMITS["max_file_bytes"] + 1)}), "files",
                      "max_file_bytes"),
    "too many files": (snapshot("ok", "v1", {f"f{n}.js": "1" for n in range(LIMITS["max_files"] + 1)}), "files",
                       "over the limit"),
    "unknown field": (snapshot("ok", "v1", {"index.js": "1"}, colour="red"), "colour", "unknown key"),
    "wrong format": ({**snapshot("ok", "v1", {"index.js": "1"}), "format": "other@1"}, "format", "format"),
    "bad dependency": (snapshot("ok", "v1", {"index.js": "1"}, dependencies={"x": "file:../x"}), "dependencies",
                       "not a registry version"),
}


@pytest.mark.parametrize("case", sorted(BAD_SNAPSHOTS))
def test_a_bad_snapshot_gets_one_clear_error_and_writes_nothing(served: Served, case: str) -> None:
    payload, field, words = BAD_SNAPSHOTS[case]
    before = site_digest(served.project), store_rows(served.project)

    response = served.post("/api/versions", payload)

    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert words in response.json()["error"] and "\n" not in response.json()["error"]
    assert (site_digest(served.project), store_rows(served.project)) == before


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (b"{not json", "application/json", 400),
    (b'{"format": "mkdocs-hybrid/snapshot@1"}', "text/plain", 415),
    (b"[" + b'"x",' * 70_000 + b'"x"]', "application/json", 413),
])
def test_a_body_that_is_not_a_snapshot_is_refused(served: Served, body: bytes, content_type: str,
                                                  status: int) -> None:
    rows = store_rows(served.project)
    with served.client(headers={"Content-Type": content_type}) as client:
        response = client.post("/api/versions", content=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]
    assert store_rows(served.project) == rows


# -- the guard ---------------------------------------------------------------------------------


def test_it_listens_on_loopback_only(served: Served) -> None:
    assert served.host == "127.0.0.1"
    with served.client() as client:
        assert client.get("/api/status").json() == {"ok": True, "store": str(served.project / "editor.sqlite"),
                                                     "esbuild": client.get("/api/status").json()["esbuild"]}


@pytest.mark.parametrize(("token", "headers"), [
    ("", {}),
    ("wrong", {}),
    (None, {"Origin": "http://evil.example"}),
    (None, {"Host": "evil.example"}),
    (None, {"Host": "evil.example:80", "Origin": "http://evil.example"}),
])
def test_requests_from_elsewhere_are_refused(served: Served, token: str | None, headers: dict[str, str]) -> None:
    rows = store_rows(served.project)
    with served.client(token=token, headers=headers) as client:
        for response in (client.get("/api/status"), client.get("/api/threads"),
                         client.post("/api/versions", json=snapshot("sneaky", "v1", {"index.js": "1"}))):
            assert response.status_code == 403, response.text
            assert response.json()["error"]
            assert not any(name.lower().startswith("access-control-") for name in response.headers)
    assert store_rows(served.project) == rows


def test_the_same_origin_is_accepted(served: Served) -> None:
    with served.client(headers={"Origin": served.base_url}) as client:
        assert client.get("/api/status").status_code == 200


def test_a_cors_preflight_is_never_approved(served: Served) -> None:
    with served.client() as client:
        response = client.options("/api/versions", headers={
            "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-hybrid-token, content-type"})
    assert response.status_code == 403
    assert not any(name.lower().startswith("access-control-") for name in response.headers)


def test_static_files_come_from_the_site_only(served: Served) -> None:
    with served.client(token="") as client:
        assert client.get("/gallery/").status_code == 200
        assert client.get("/gallery").status_code == 301
        for escape in ("/%2e%2e/hybrid.yml", "/..%2fhybrid.yml", "/gallery/%2e%2e%2f%2e%2e%2fhybrid.yml"):
            assert client.get(escape).status_code == 404
        assert client.get("/", headers={"Host": "evil.example"}).status_code == 403
    (served.project / "site" / "leak").symlink_to(served.project / "hybrid.yml")
    with served.client(token="") as client:
        assert client.get("/leak").status_code == 404


def test_a_host_other_machines_reach_needs_allow_remote(sample_project: Path, tmp_path: Path) -> None:
    result = run_cli("serve", "--host", "0.0.0.0", "--port", "0", cwd=sample_project, timeout=60)
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr and len(result.stderr.strip().splitlines()) == 1
