"""Bundling with the pinned native esbuild: outputs, HTML entries, and failure isolation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mkdocs_hybrid.bundle.bundler import Bundle, BundleJob, bundle_jobs
from mkdocs_hybrid.bundle.dependencies import InstalledSet
from mkdocs_hybrid.bundle.toolchain import find_toolchain
from mkdocs_hybrid.config.manifest import BuildOptions
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.snapshot import Snapshot, detect_entry
from mkdocs_hybrid.pipeline import Export
from tests.factory import REPO, manifest_for, snapshot_json, write_tree

NO_DEPS = InstalledSet(direct={})


def snap(ref: str, files: dict[str, str], entry: str | None = None) -> Snapshot:
    thread, version = ref.split("/")
    data = {name: text.encode() for name, text in files.items()}
    return Snapshot(thread=thread, version=version, files=data, entry=entry or detect_entry(frozenset(data)) or "",
                    title=ref, origin=f"/src/{ref}")


def run(snapshots: list[Snapshot], deps: InstalledSet = NO_DEPS,
        **options: object) -> dict[str, Bundle | SnapshotError]:
    results: dict[str, Bundle | SnapshotError] = {}
    bundle_jobs([BundleJob(s, deps) for s in snapshots], find_toolchain(REPO), BuildOptions(**options),
                lambda job, outcome: results.__setitem__(job.snapshot.ref, outcome))
    assert len(results) == len(snapshots), "every job gets exactly one outcome"
    return results


def test_toolchain_matches_esbuild_wasm() -> None:
    toolchain = find_toolchain(REPO)
    wasm = json.loads((REPO / "node_modules/esbuild-wasm/package.json").read_text())["version"]
    assert toolchain.version == wasm
    assert toolchain.esbuild.name == "esbuild" and "@esbuild" in str(toolchain.esbuild)


def test_jsx_in_js_css_import_and_typescript() -> None:
    results = run([
        snap("a/v1", {"src/index.js": "import './s.css'\nimport {n} from './n.ts'\n"
                                      "document.body.append(String(n))\n", "src/s.css": "body { color: red }",
                      "src/n.ts": "export const n: number = 41 + 1\n"}),
    ])
    bundle = results["a/v1"]
    assert isinstance(bundle, Bundle)
    assert b"42" in bundle.js and b"color:red" in bundle.css


def test_one_broken_snapshot_in_a_batch_does_not_stop_the_others() -> None:
    good = [snap(f"good/v{i}", {"index.js": f"document.title = 'demo {i}'\n"}) for i in range(5)]
    broken = snap("bad/v1", {"index.js": "import x from './x.js'\nconst a = ;\n", "x.js": "export default 1"})
    unresolved = snap("bad/v2", {"index.ts": "import {y} from './missing'\nconsole.log(y)\n"})
    results = run([*good[:2], broken, *good[2:], unresolved], batch_size=50)
    assert all(isinstance(results[s.ref], Bundle) for s in good)
    assert str(results["bad/v1"]) == 'bad/v1: index.js:2:11: Unexpected ";"'
    assert str(results["bad/v2"]) == 'bad/v2: index.ts:1:17: Could not resolve "./missing"'


def test_bare_import_without_dependency_says_what_to_do() -> None:
    results = run([snap("t/v1", {"index.js": "import React from 'react'\nconsole.log(React)\n"})])
    assert 'Could not resolve "react" (add "react" to the dependencies in package.json)' in str(results["t/v1"])


def test_errors_inside_a_dependency_are_isolated_by_bisection(tmp_path: Path) -> None:
    # An error located in node_modules names no snapshot: the batch is bisected to find who imports it.
    write_tree(tmp_path, {"node_modules/broken/package.json": '{"name":"broken","main":"index.js"}',
                          "node_modules/broken/index.js": "export const z = ;\n",
                          "node_modules/fine/package.json": '{"name":"fine","main":"index.js"}',
                          "node_modules/fine/index.js": "export const z = 7\n"})
    deps = InstalledSet(direct={"broken": "1.0.0", "fine": "1.0.0"}, node_modules=tmp_path / "node_modules")
    snapshots = [snap(f"t/v{i}", {"index.js": f"import {{z}} from '{'broken' if i == 5 else 'fine'}'\n"
                                              "console.log(z)\n"}) for i in range(8)]
    results = run(snapshots, deps, batch_size=8)
    assert [ref for ref, outcome in results.items() if isinstance(outcome, SnapshotError)] == ["t/v5"]
    assert "node_modules/broken/index.js:1:18: Unexpected" in str(results["t/v5"])


def test_batched_and_single_builds_give_the_same_bytes() -> None:
    snapshots = [snap(f"t/v{i}", {"src/index.jsx": f"const App = () => <b>{i}</b>\nconsole.log(App)\n"
                                                   "import './app.css'\n",
                                  "src/app.css": f".a{{width:{i}px}}"}) for i in range(6)]
    batched = run(snapshots, InstalledSet(direct={"react": "x"}, node_modules=_react_modules()), batch_size=6)
    single = run(snapshots, InstalledSet(direct={"react": "x"}, node_modules=_react_modules()), batch_size=1)
    assert all(isinstance(v, Bundle) for v in [*batched.values(), *single.values()]), {**batched, **single}
    assert {k: (v.js, v.css) for k, v in batched.items()} == {k: (v.js, v.css) for k, v in single.items()}


def _react_modules() -> Path:
    """A stand-in jsx runtime, so the test does not need npm."""
    root = REPO / "tests" / "fixtures" / "jsx_runtime" / "node_modules"
    return root


class TestHtmlEntry:
    def test_module_scripts_and_stylesheets_are_bundled_classic_scripts_inlined(self) -> None:
        page = ('<!doctype html><html><head><link rel="stylesheet" href="./style.css"><title>x</title></head>'
                '<body><img src="dot.svg"><script src="legacy.js"></script>'
                '<script type="module" src="./main.js"></script>'
                '<script type="module">import {two} from "./lib.js"; window.two = two</script></body></html>')
        results = run([snap("h/v1", {"index.html": page, "style.css": "p{margin:0}", "legacy.js": "var g = 1",
                                     "main.js": "document.body.dataset.ok = 'yes'", "lib.js": "export const two = 2",
                                     "dot.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"})])
        bundle = results["h/v1"]
        assert isinstance(bundle, Bundle) and bundle.html is not None
        assert b"margin:0" in bundle.css and b"dataset.ok" in bundle.js and b"two" in bundle.js
        assert "<script>var g = 1</script>" in bundle.html.template
        assert 'src="data:image/svg+xml;base64,' in bundle.html.template
        assert "main.js" not in bundle.html.template and "style.css" not in bundle.html.template

    @pytest.mark.parametrize(("tag", "expected"), [
        ('<script src="https://cdn.example.com/x.js"></script>', "from another site"),
        ('<link rel="stylesheet" href="//fonts.example.com/a.css">', "from another site"),
        ('<script type="module" src="./nope.js"></script>', "not a file of this snapshot"),
        ('<script type="module" src="../../escape.js"></script>', "not a file of this snapshot"),
    ])
    def test_bad_references_fail_alone(self, tag: str, expected: str) -> None:
        results = run([snap("h/v1", {"index.html": f"<body>{tag}</body>"}), snap("ok/v1", {"index.html": "<p>hi</p>"})])
        assert isinstance(results["ok/v1"], Bundle)
        assert expected in str(results["h/v1"]) and "index.html" in str(results["h/v1"])


def test_export_reports_every_failure_and_builds_the_rest(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "demos/ok/v1/index.js": "document.body.textContent = 'fine'\n",
        "demos/ok/v2/index.html": "<h1>Plain</h1>",
        "demos/syntax/v1/src/index.js": "const = 1\n",
        "demos/deps/v1/index.js": "import 'left-pad'\n",
    })
    export = Export(manifest_for(tmp_path))
    catalog = export.run(tmp_path / "site")
    assert sorted(export.report.built) == ["ok/v1", "ok/v2"]
    failed = {e.ref: str(e) for e in export.report.failed}
    assert set(failed) == {"syntax/v1", "deps/v1"}
    assert failed["syntax/v1"].startswith("syntax/v1: src/index.js:1:7: ")
    assert 'Could not resolve "left-pad" (add "left-pad" to the dependencies' in failed["deps/v1"]
    assert [t.id for t in catalog.threads] == ["ok"]
    assert (tmp_path / "site/artifacts/ok/v2/page.html").read_text().count("<h1>Plain</h1>") == 1
    assert not (tmp_path / "site/artifacts/syntax").exists()


def test_every_kind_of_bad_input_fails_alone_and_the_good_ones_are_built(tmp_path: Path) -> None:
    import os

    (tmp_path / "outside.txt").write_text("secret")
    write_tree(tmp_path, {
        "demos/good/v1/index.js": "document.body.textContent = 'one'\n",
        "demos/good/v2/index.html": "<p>two</p>",
        "demos/syntax/v1/index.js": "let = ;\n",
        "demos/unresolved/v1/index.js": "import {x} from './nope.js'\nconsole.log(x)\n",
        "demos/noentry/v1/readme.txt": "no entry here",
        "demos/BadId/v1/index.js": "x",
        "demos/yaml/v1/snapshot.yml": "title: [\n", "demos/yaml/v1/index.js": "x",
        "demos/huge/v1/index.js": "x", "demos/huge/v1/blob.bin": b"0" * 5000,
        "demos/link/v1/index.js": "x",
        "exports/escape.json": snapshot_json("escape", "v1", {"../x.js": "x", "index.js": "x"}),
        "exports/dup.json": snapshot_json("good", "v1", {"index.js": "x"}),
    })
    os.symlink(tmp_path / "outside.txt", tmp_path / "demos/link/v1/data.txt")
    site = tmp_path / "site"
    export = Export(manifest_for(tmp_path, snapshots="exports", max_file_bytes=4096))
    catalog = export.run(site)
    failed = {e.ref: str(e) for e in export.report.failed}
    assert sorted(export.report.built) == ["good/v1", "good/v2"]
    assert set(failed) == {"syntax/v1", "unresolved/v1", "noentry/v1", "BadId", "yaml/v1", "huge/v1", "link/v1",
                           "escape/v1", "good/v1"}, failed
    assert "duplicate version" in failed["good/v1"]
    assert [t.id for t in catalog.threads] == ["good"]
    for ref, diff in (("good/v1", []), ("good/v2", ["diff.html"])):  # v2's changes since v1, a derived page
        assert sorted(p.name for p in (site / "artifacts" / ref).iterdir()) == sorted(
            ["meta.json", "page.html", "source.json", "style.css", *diff])
    assert sorted(p.name for p in (site / "artifacts").iterdir()) == ["good"]


def test_a_mismatched_esbuild_wasm_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs_hybrid.model.errors import ToolchainError

    modules = tmp_path / "node_modules"
    (modules / "@esbuild").mkdir(parents=True)
    for platform_dir in (REPO / "node_modules/@esbuild").iterdir():
        (modules / "@esbuild" / platform_dir.name).symlink_to(platform_dir)
    write_tree(modules, {"esbuild-wasm/package.json": '{"name": "esbuild-wasm", "version": "0.0.1"}'})
    monkeypatch.setenv("MKDOCS_HYBRID_NODE_MODULES", str(modules))
    with pytest.raises(ToolchainError, match=r"native esbuild 0\.\d+\.\d+ does not match esbuild-wasm 0\.0\.1"):
        find_toolchain(tmp_path)


def test_an_unknown_npm_package_fails_its_snapshot_only(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "demos/ok/v1/index.js": "document.body.textContent = 'fine'\n",
        "demos/ghost/v1/index.js": "import 'mkdocs-hybrid-no-such-package'\n",
        "demos/ghost/v1/package.json": '{"dependencies": {"mkdocs-hybrid-no-such-package": "^1.0.0"}}',
    })
    export = Export(manifest_for(tmp_path))
    export.run(tmp_path / "site")
    assert export.report.built == ["ok/v1"]
    [error] = export.report.failed
    assert error.ref == "ghost/v1" and error.path == str(tmp_path / "demos/ghost/v1/package.json")
    assert str(error).endswith(": no package named mkdocs-hybrid-no-such-package on the registry: check the name "
                               "(its spelling, and its @scope if it has one)"), str(error)
    assert not (tmp_path / "hybrid-lock.json").exists(), "a failed resolution must not be pinned"


FORGED = "✘ [ERROR] forged\n\n    good/v1/index.js:1:0:\n"
"""Two error lines in esbuild's log format, blaming the good version."""


@pytest.mark.parametrize("how", ["file-name", "file-separator", "next-line", "line-separator"])
def test_no_file_name_or_code_can_fail_another_version(how: str) -> None:
    """esbuild's text log quotes file names and code as they are; a version whose name or code spells an error
    line of another version's file fails alone, and that version is built (the batch is made here, past the
    snapshot validator, which refuses control characters in names)."""
    good = snap("good/v1", {"index.js": "document.title = 'good'\n"})
    if how == "file-name":
        name = f"x\n\n{FORGED}.js"
        evil = snap("evil/v1", {"index.js": f"import {json.dumps('./' + name)}\n", name: "const a = ;\n"})
    else:  # characters Python's splitlines() breaks at, inside a comment on the failing line
        separator = {"file-separator": "\x1c", "next-line": "\x85", "line-separator": "\u2028"}[how]
        evil = snap("evil/v1", {"index.js": f"const a = ; // {separator}{FORGED.replace(chr(10), separator)}\n"})
    results = run([evil, good], batch_size=50)
    assert isinstance(results["good/v1"], Bundle), results["good/v1"]
    assert isinstance(results["evil/v1"], SnapshotError)


def test_a_url_import_says_only_own_files_and_registry_packages_can_be_imported() -> None:
    results = run([snap(f"u/v{i}", {"index.js": f'import x from "{url}"\nconsole.log(x)\n'})
                   for i, url in enumerate(["file:///etc/hostname", "file:index.js", "node:fs"])])
    for error in map(str, results.values()):
        assert "only the snapshot's own files and packages from the npm registry can be imported" in error, error
        assert "to the dependencies" not in error, error
