"""``mkdocs-hybrid serve``'s install and save APIs refuse every dependency that is not a registry package,
before npm runs: a local listener gets no request and npm (a logging wrapper on PATH) is never started."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bundle.test_hostile_dependency_specs import Listener, hostile_specs
from tests.factory import write_tree
from tests.serve.serving import Served, serving, snapshot, store_rows

MANIFEST = ("sources:\n  - {type: directory, path: demos}\n  - {type: store, path: editor.sqlite}\n"
            "build:\n  cache_dir: .cache\n")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, Listener, Path, Path]]:
    root = tmp_path_factory.mktemp("serve-specs")
    listener = Listener()
    log = root / "npm-calls.log"
    folder = root / "bin"
    folder.mkdir()
    wrapper = folder / "npm"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{shutil.which("npm") or "false"}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    outside = write_tree(root / "outside", {"package.json": '{"name": "outside", "version": "6.6.6"}'})
    project = write_tree(root / "project", {"hybrid.yml": MANIFEST, "demos/a/v1/index.js": "document.title = 1\n"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
        patch.setenv("npm_config_registry", listener.url + "/")
        patch.setenv("npm_config_cache", str(root / "npm-cache"))
        with serving(project) as served:
            yield served, listener, log, outside
    listener.close()


def test_the_install_api_refuses_every_spec_that_is_not_a_registry_package(
        world: tuple[Served, Listener, Path, Path]) -> None:
    served, listener, log, outside = world
    for spec in hostile_specs(listener, outside).values():
        response = served.post("/api/dependencies", {"dependencies": {"outside": spec}, "imports": ["outside"]})
        assert response.status_code == 400, (spec, response.text)
        error = response.json()
        assert error["field"] == "dependencies"
        assert "not a registry version, range or tag" in error["error"] and "\n" not in error["error"], spec
    for name in ["../outside", "http://x", "@s/../x", "Outside"]:
        response = served.post("/api/dependencies", {"dependencies": {name: "1.0.0"}})
        assert response.status_code == 400 and "not a valid npm package name" in response.json()["error"], name
    assert listener.requests == []
    assert not log.exists(), log.read_text()


def test_the_save_api_refuses_them_and_saves_nothing(world: tuple[Served, Listener, Path, Path]) -> None:
    served, listener, log, outside = world
    for spec in [f"GIT+http://{listener.host}/r.git", f"HTTP://{listener.host}/x.tgz", str(outside), "u/r#main"]:
        response = served.post("/api/versions", snapshot("bad", "v1", {"index.js": "1"},
                                                        dependencies={"outside": spec}))
        assert response.status_code == 400, response.text
        assert response.json()["field"] == "dependencies"
        assert "not a registry version, range or tag" in response.json()["error"]
    assert store_rows(served.project) == []
    assert listener.requests == []
    assert not log.exists()
    # A registry-only request still works (an empty set needs no npm at all).
    ok = served.post("/api/dependencies", {"dependencies": {}, "imports": []})
    assert ok.status_code == 200, ok.text
