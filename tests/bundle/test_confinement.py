"""A snapshot cannot read the build machine: only its own files and its pinned packages are bundled.

Every escape route is tried against a marker file outside the snapshot, with esbuild in its sandbox and
without it (where bubblewrap is missing, the metafile check alone must hold). Each offending version fails
with an error naming the import; the marker appears nowhere in the site, the cache, the report or the
errors; and the other versions are built.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mkdocs_hybrid.bundle.bundler import BundleJob, bundle_jobs
from mkdocs_hybrid.bundle.confinement import SANDBOX_ENV, confined, sandbox_in_use
from mkdocs_hybrid.bundle.dependencies import InstalledSet
from mkdocs_hybrid.bundle.toolchain import find_toolchain
from mkdocs_hybrid.bundle.vendor import VendorBuilder
from mkdocs_hybrid.config.manifest import BuildOptions
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.snapshot import Snapshot
from mkdocs_hybrid.pipeline import Export
from tests.factory import REPO, manifest_for, read_tree, write_tree

MARKER = "MARKER-7f3c91-outside-the-snapshot"
SVG = f'<svg xmlns="http://www.w3.org/2000/svg"><desc>{MARKER}</desc></svg>'


def outside_files(folder: Path) -> Path:
    return write_tree(folder, {
        "secret.json": json.dumps({"token": MARKER}),
        "secret.txt": MARKER,
        "secret.js": f"export default {json.dumps(MARKER)}\n",
        "secret.css": f'.leak::after {{ content: "{MARKER}" }}\n',
        "secret.svg": SVG,
        "broken.js": f"export default {{{{ {MARKER} ((\n",
    })


def escape_routes(outside: Path) -> dict[str, dict[str, str]]:
    """thread -> the files of one version that tries to read ``outside``."""
    o = outside.as_posix()
    js = "src/index.js"
    return {
        "abs-json": {js: f'import s from "{o}/secret.json"\nconsole.log(s)\n'},
        "abs-text": {js: f'import s from "{o}/secret.txt"\nconsole.log(s)\n'},
        "abs-js": {js: f'import s from "{o}/secret.js"\nconsole.log(s)\n'},
        "abs-css": {js: f'import "{o}/secret.css"\n'},
        "abs-image": {js: f'import s from "{o}/secret.svg"\nconsole.log(s)\n'},
        "require": {js: f'const s = require("{o}/secret.json")\nconsole.log(s)\n'},
        "dynamic": {js: f'import("{o}/secret.json").then(console.log)\n'},
        "css-url": {js: 'import "./style.css"\n', "src/style.css": f".a {{ background: url({o}/secret.svg) }}\n"},
        "css-import": {js: 'import "./style.css"\n',
                       "src/style.css": f'@import "{o}/secret.css";\n.a {{ color: red }}\n'},
        "broken": {js: f'import s from "{o}/broken.js"\nconsole.log(s)\n'},
        "html-module": {"index.html": '<script type="module" src="./main.js"></script>',
                        "main.js": f'import s from "{o}/secret.json"\ndocument.body.textContent = s.token\n'},
    }


@pytest.fixture(scope="module", params=["sandbox", "metafile-only"])
def escaped(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Export]]:
    if request.param == "sandbox" and not sandbox_in_use():
        pytest.fail("bubblewrap cannot make a sandbox here: run scripts/install.sh (or set MKDOCS_HYBRID_SANDBOX=off "
                    "and deselect these tests)")
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "metafile-only":
            patch.setenv(SANDBOX_ENV, "off")
        yield build_escapes(tmp_path_factory.mktemp("confinement"))


def build_escapes(project: Path) -> tuple[Path, Export]:
    outside = outside_files(project.parent / f"{project.name}-outside")
    files: dict[str, str] = {}
    for thread, version_files in escape_routes(outside).items():
        files.update({f"demos/{thread}/v1/{name}": text for name, text in version_files.items()})
    files.update({
        "demos/good/v1/src/index.js": 'import n from "/src/answer.js"\nimport "/src/style.css"\n'
                                      "document.body.textContent = `answer ${n}`\n",
        "demos/good/v1/src/answer.js": "export default 42\n",
        "demos/good/v1/src/style.css": "body { background: url(/img/dot.svg) }\n",
        "demos/good/v1/img/dot.svg": '<svg xmlns="http://www.w3.org/2000/svg"><desc>own-dot</desc></svg>',
        # a dependency whose folder an import tries to climb out of
        "demos/via-package/v1/package.json": '{"dependencies": {"is-number": "7.0.0"}}',
    })
    write_tree(project, files)
    node_modules = "../" * 16  # far enough up from any cache folder, to the file system root
    write_tree(project, {"demos/via-package/v1/src/index.js":
                         f'import s from "is-number/{node_modules}{outside.as_posix().lstrip("/")}/secret.json"\n'
                         "console.log(s)\n"})
    (project / "demos/symlink/v1/src").mkdir(parents=True)
    (project / "demos/symlink/v1/src/index.js").write_text('import s from "./data.json"\nconsole.log(s)\n')
    os.symlink(outside / "secret.json", project / "demos/symlink/v1/src/data.json")
    export = Export(manifest_for(project), ledger=False)
    export.run(project / "site")
    export.report.write(project / "report.json")
    return project, export


def failures(export: Export) -> dict[str, str]:
    return {error.ref: str(error) for error in export.report.failed}


@pytest.mark.parametrize("thread", sorted(escape_routes(Path("/x"))))
def test_an_import_outside_the_snapshot_fails_its_version_naming_the_import(
        escaped: tuple[Path, Export], thread: str) -> None:
    _, export = escaped
    error = failures(export).get(f"{thread}/v1")
    assert error is not None, f"{thread} was built although it reads a file outside the snapshot"
    assert "outside the snapshot" in error, error
    if thread != "broken":  # esbuild failed inside that file: nothing of it is quoted, its name included
        assert '/secret.' in error, "the error names the import"
    assert MARKER not in error


def test_symlinks_and_package_folders_are_no_way_out(escaped: tuple[Path, Export]) -> None:
    _, export = escaped
    errors = failures(export)
    assert "symlink/v1" in errors and "outside the snapshot" in errors["symlink/v1"]
    climbing = errors.get("via-package/v1", "")
    assert 'import "is-number/../' in climbing, climbing
    assert "outside the snapshot" in climbing or "package folder" in climbing, climbing


def test_the_marker_appears_nowhere_and_the_other_versions_are_built(escaped: tuple[Path, Export]) -> None:
    project, export = escaped
    assert export.report.built == ["good/v1"]
    for folder in (project / "site", project / ".cache"):
        leaked = [name for name, data in read_tree(folder).items() if MARKER.encode() in data]
        assert leaked == [], f"the marker leaked into {leaked}"
    assert MARKER not in (project / "report.json").read_text()


def test_a_leading_slash_means_the_snapshot_root(escaped: tuple[Path, Export]) -> None:
    project, _ = escaped
    page = (project / "site/artifacts/good/v1/page.html").read_text()
    css = (project / "site/artifacts/good/v1/style.css").read_text()
    assert "answer" in page and "42" in page
    assert "data:image/svg+xml" in css, "url(/img/dot.svg) is the snapshot's own image, inlined"


@pytest.mark.parametrize("sandbox", ["on", "off"])
@pytest.mark.parametrize("target", ["secret.json", "broken.js"])
def test_a_vendor_build_cannot_read_outside_its_packages(tmp_path: Path, target: str, sandbox: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared vendor file is held to the same rule: a package that imports a machine file is refused,
    and the error quotes nothing of that file."""
    monkeypatch.setenv(SANDBOX_ENV, sandbox)
    outside = outside_files(tmp_path / "outside")
    node_modules = write_tree(tmp_path / "deps/node_modules", {
        "evil/package.json": '{"name": "evil", "version": "1.0.0", "main": "index.js"}',
        "evil/index.js": f"module.exports = require({json.dumps(str(outside / target))})\n",
    })
    deps = InstalledSet(direct={"evil": "1.0.0"}, packages={"evil": "1.0.0"}, node_modules=node_modules)
    builder = VendorBuilder(tmp_path / "cache", find_toolchain(REPO), BuildOptions())
    with pytest.raises(SnapshotError) as raised:
        builder.vendor_for(("evil",), deps)
    assert "outside the snapshot" in str(raised.value) and MARKER not in str(raised.value)
    leaked = [name for name, data in read_tree(tmp_path / "cache").items() if MARKER.encode() in data] \
        if (tmp_path / "cache").exists() else []
    assert leaked == []


def test_esbuild_runs_where_it_cannot_see_the_machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In the sandbox an outside file does not exist for esbuild: it is never read, not only never published."""
    monkeypatch.setenv(SANDBOX_ENV, "on")
    assert sandbox_in_use(), "bubblewrap cannot make a sandbox here: run scripts/install.sh"
    outside = outside_files(tmp_path / "outside")
    root = write_tree(tmp_path / "root", {"entry.js": f'import s from "{outside}/secret.json"\nconsole.log(s)\n'})
    esbuild = str(find_toolchain(REPO).esbuild)
    plain = subprocess.run([esbuild, "entry.js", "--bundle"], cwd=root, capture_output=True, text=True)
    assert MARKER in plain.stdout, "without the sandbox esbuild reads it"
    boxed = subprocess.run(confined([esbuild, "entry.js", "--bundle"], cwd=str(root), read_only=()), cwd=root,
                           capture_output=True, text=True)
    assert boxed.returncode != 0 and "Could not resolve" in boxed.stderr and MARKER not in boxed.stdout + boxed.stderr


def outside_imports(target: str) -> dict[str, dict[str, str]]:
    """thread -> the files of one version importing ``target`` (an absolute path) by every route."""
    up = "../" * 16 + target.lstrip("/")
    js = "index.js"
    return {
        "absolute": {js: f'import s from "{target}.json"\nconsole.log(s)\n'},
        "climbing": {js: f'import s from "{up}.json"\nconsole.log(s)\n'},
        "require": {js: f'console.log(require("{target}.json"))\n'},
        "dynamic": {js: f'import("{target}.js").then(console.log)\n'},
        "css-url": {js: 'import "./a.css"\n', "a.css": f".a {{ background: url({target}.svg) }}\n"},
        "css-import": {js: 'import "./a.css"\n', "a.css": f'@import "{target}.css";\n'},
        "package": {js: f'import s from "evil/{up}.json"\nconsole.log(s)\n'},
    }


def bundle_all(snapshots: list[Snapshot], deps: InstalledSet) -> dict[str, object]:
    results: dict[str, object] = {}
    bundle_jobs([BundleJob(s, deps) for s in snapshots], find_toolchain(REPO), BuildOptions(),
                lambda job, outcome: results.__setitem__(job.snapshot.ref, outcome))
    return results


@pytest.mark.parametrize("sandbox", ["on", "off"])
def test_an_outside_file_that_exists_reads_as_one_that_does_not(tmp_path: Path, sandbox: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """No message tells which files exist on the build machine: with or without the sandbox, importing an
    outside file that exists fails with the very words of importing one that does not."""
    monkeypatch.setenv(SANDBOX_ENV, sandbox)
    outside = outside_files(tmp_path / "outside")
    modules = write_tree(tmp_path / "node_modules", {"evil/package.json": '{"name": "evil", "main": "i.js"}',
                                                     "evil/i.js": "export default 1\n"})
    deps = InstalledSet(direct={"evil": "1.0.0"}, node_modules=modules)
    messages = {}
    for name in ("secret", "absent"):
        snapshots = [Snapshot(thread=thread, version="v1", files={k: v.encode() for k, v in files.items()},
                              entry="index.js", title=thread, origin=thread)
                     for thread, files in outside_imports(f"{outside}/{name}").items()]
        results = bundle_all(snapshots, deps)
        messages[name] = {ref: str(outcome).replace(name, "NAME") for ref, outcome in results.items()}
        assert all(isinstance(outcome, SnapshotError) for outcome in results.values()), results
    assert messages["secret"] == messages["absent"]
    assert all("outside the snapshot" in message and MARKER not in message for message in messages["secret"].values())
