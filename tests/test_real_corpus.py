"""The real build on real demos nobody on this team wrote: the Paper.js examples published on npm.

``scripts/real_corpus.py`` fetches the pinned ``paper`` package with ``npm pack`` (kept in the pytest
cache, checked against its sha512) and converts its 115 browser examples into ``<thread>/v1/``
snapshots. This test builds them twice:

- with ``mkdocs-hybrid build`` (the CLI, as a user runs it), and
- with plain native esbuild, the baseline: the same esbuild binary and flags, ``NODE_PATH`` at an npm
  install of the same package, given what each page bundles (its module scripts and local stylesheets,
  as entry points of one call per example).

mkdocs-hybrid must build every example the baseline builds, except the ones it refuses by design, and
every failure must be one listed in ``KNOWN_FAILURES`` with its error: a new failure, or a listed one
that now builds, fails the test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import posixpath
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from mkdocs_hybrid.bundle.flags import esbuild_flags
from mkdocs_hybrid.bundle.toolchain import find_toolchain
from mkdocs_hybrid.config.manifest import BuildOptions
from tests.factory import REPO, manifest_for, read_tree, run_cli

pytestmark = pytest.mark.slow


def _load_converter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("real_corpus", REPO / "scripts" / "real_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


real_corpus = _load_converter()

REFUSED = "refused by design: a share link must work offline, so a page may not load a script from another site"
KNOWN_FAILURES: dict[str, tuple[str, str]] = {
    # ref: (what the error says, why it is the example's problem, not mkdocs-hybrid's)
    "paperjs.org-nyanrainbow/v1": (
        "<script> loads 'http://paperjs.org/assets/mediaelement/mediaelement.js' from another site",
        f"{REFUSED} (mediaelement.js, for the Nyan Cat soundtrack from dl.dropbox.com)"),
    "paperjs.org-voronoi/v1": (
        "<script> loads 'http://paperjs.org/assets/js/rhill-voronoi-core.js' from another site",
        f"{REFUSED} (the Voronoi library the demo uses is only on paperjs.org)"),
}
REFUSED_BY_DESIGN = {ref for ref, (_, why) in KNOWN_FAILURES.items() if why.startswith(REFUSED)}
"""Failures the plain-esbuild baseline cannot see: esbuild never looks at a page's classic scripts."""
KNOWN_BASELINE_FAILURES: dict[str, str] = {}
"""ref -> why plain esbuild cannot bundle that example (none in this corpus)."""

EXPECTED_EXAMPLES = 115
"""Browser examples in paper@0.12.20 (examples/**/*.html outside examples/Node.js)."""


@pytest.fixture(scope="module")
def tarball(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pinned package, downloaded once into the pytest cache (or this run's tmp without one)."""
    cache = getattr(request.config, "cache", None)
    folder = Path(cache.mkdir("real-corpus")) if cache is not None else tmp_path_factory.mktemp("real-corpus")
    return real_corpus.fetch_tarball(folder)


@pytest.fixture(scope="module")
def corpus(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The converted corpus: ``<thread>/v1/`` snapshot folders."""
    out = tmp_path_factory.mktemp("real-corpus") / "demos"
    real_corpus.write_corpus(real_corpus.convert_examples(real_corpus.read_package(tarball)), out)
    return out


@pytest.fixture(scope="module", params=[True, False], ids=["vendor", "inline-deps"])
def hybrid_build(request: pytest.FixtureRequest, corpus: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """``mkdocs-hybrid build`` of the corpus, with paper in a shared vendor file or in every page:
    its JSON report, plus the project folder, the run's output and time."""
    project = tmp_path_factory.mktemp("real-corpus-project")
    shutil.copytree(corpus, project / "demos")
    manifest_for(project, vendor=request.param)
    started = time.monotonic()
    run = run_cli("build", "--manifest", "hybrid.yml", "--site-dir", "site", "--report", "report.json", cwd=project)
    seconds = time.monotonic() - started
    assert run.returncode == 0, f"mkdocs-hybrid build exited {run.returncode}:\n{run.stdout}\n{run.stderr}"
    report = json.loads((project / "report.json").read_text(encoding="utf-8"))
    mode = "paper in a vendor file" if request.param else "paper inlined in each page"
    return {**report, "project": project, "mode": mode, "seconds": seconds, "output": run.stdout + run.stderr}


@pytest.fixture(scope="module")
def baseline(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | None]:
    """Plain esbuild on each example: ref -> None when it built, else esbuild's error output."""
    toolchain = find_toolchain(REPO)
    install = tmp_path_factory.mktemp("real-corpus-npm")
    (install / "package.json").write_text(json.dumps(
        {"private": True, "dependencies": {real_corpus.PACKAGE: real_corpus.VERSION}}), encoding="utf-8")
    npm = subprocess.run([toolchain.npm or "npm", "install", "--ignore-scripts", "--no-audit", "--no-fund"],
                         cwd=install, capture_output=True, text=True, timeout=300)
    assert npm.returncode == 0, f"npm install {real_corpus.PACKAGE}@{real_corpus.VERSION} failed:\n{npm.stderr}"
    flags = esbuild_flags(BuildOptions())  # the hybrid builds' options too: manifest_for changes no esbuild flag
    env = {"PATH": os.environ.get("PATH", ""), "NODE_PATH": str(install / "node_modules")}
    scratch = tmp_path_factory.mktemp("real-corpus-esbuild")
    versions = sorted(path.parent for path in corpus.glob("*/*/snapshot.yml"))

    def bundle(version_dir: Path) -> tuple[str, str | None]:
        ref = f"{version_dir.parent.name}/{version_dir.name}"
        root = scratch / version_dir.parent.name
        shutil.copytree(version_dir, root)
        (root / "package.json").write_text("{}\n", encoding="utf-8")  # as the bundler: no parent lookups
        entries = _page_inputs(root, _entry_of(version_dir))
        if not entries:
            return ref, None
        run = subprocess.run([str(toolchain.esbuild), *entries, *flags, "--outdir=out", "--log-level=error",
                              "--color=false"], cwd=root, env=env, capture_output=True, text=True, timeout=300)
        return ref, None if run.returncode == 0 else run.stderr.strip() or f"esbuild exited {run.returncode}"

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(bundle, versions))


def _entry_of(version_dir: Path) -> str:
    meta = yaml.safe_load((version_dir / "snapshot.yml").read_text(encoding="utf-8")) or {}
    return str(meta.get("entry") or "index.html")


class _PageInputs(HTMLParser):
    """What a page has bundled: module scripts (inline or src) and stylesheets, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[tuple[str, str]] = []  # ("src", url) or ("inline", code)
        self._inline_module = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script" and values.get("type", "").strip().lower() == "module":
            if "src" in values:
                self.inputs.append(("src", values["src"]))
            else:
                self._inline_module = True
                self.inputs.append(("inline", ""))
        elif tag == "link" and "stylesheet" in values.get("rel", "").lower().split():
            self.inputs.append(("src", values.get("href", "")))

    def handle_data(self, data: str) -> None:
        if self._inline_module:
            kind, code = self.inputs[-1]
            self.inputs[-1] = (kind, code + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline_module = False


def _page_inputs(root: Path, entry: str) -> list[str]:
    """esbuild entry points for the page ``root/entry``: files it loads, inline modules written out."""
    parser = _PageInputs()
    parser.feed((root / entry).read_text(encoding="utf-8"))
    parser.close()
    base = posixpath.dirname(entry)
    entries = []
    for index, (kind, value) in enumerate(parser.inputs):
        if kind == "inline":
            name = posixpath.join(base, f"baseline-inline-{index}.js")
            (root / name).write_text(value, encoding="utf-8")
            entries.append(name)
        elif urlsplit(value).scheme or value.startswith("//"):
            entries.append(value)  # from another site: esbuild cannot take it as an input either
        else:
            path = unquote(urlsplit(value).path)
            entries.append(posixpath.normpath(path.lstrip("/") if path.startswith("/") else posixpath.join(base, path)))
    return entries


def _report_line(refs: set[str], failed: dict[str, str]) -> str:
    return "\n".join(f"  {ref}: {failed.get(ref, '')}" for ref in sorted(refs))


def test_converter_is_deterministic_and_honest(tarball: Path) -> None:
    package = real_corpus.read_package(tarball)
    first = real_corpus.convert_examples(package)
    second = real_corpus.convert_examples(real_corpus.read_package(tarball))
    assert [(e.thread, e.files) for e in first] == [(e.thread, e.files) for e in second]
    assert len(first) == EXPECTED_EXAMPLES
    for example in first:
        assert real_corpus.ID_PATTERN.fullmatch(example.thread), example.thread
        assert example.uses_package, f"{example.source}: the library tag was not found"
        page = example.files[example.entry].decode("utf-8")
        original = package[example.source].decode("utf-8")
        # The one rewrite: the library tag, to an import of the same package; the rest is the authors' page.
        assert page == original.replace(real_corpus.LIBRARY_TAG.search(original)[0], real_corpus.LIBRARY_IMPORT)
        assert "dist/paper-full.js" not in page
        for name, data in example.files.items():
            if name != example.entry:
                assert data == package[name], f"{example.source}: {name} differs from the package's"


def test_writing_twice_gives_identical_trees(tarball: Path, tmp_path: Path) -> None:
    examples = real_corpus.convert_examples(real_corpus.read_package(tarball), limit=10)
    real_corpus.write_corpus(examples, tmp_path / "a")
    real_corpus.write_corpus(examples, tmp_path / "b")
    assert read_tree(tmp_path / "a") == read_tree(tmp_path / "b")
    with pytest.raises(real_corpus.CorpusError, match="not empty"):
        real_corpus.write_corpus(examples, tmp_path / "a")


def test_real_examples_build_at_least_as_well_as_plain_esbuild(hybrid_build: dict[str, object],
                                                                 baseline: dict[str, str | None]) -> None:
    corpus = set(baseline)
    assert len(corpus) == EXPECTED_EXAMPLES
    built = set(hybrid_build["built"]) | set(hybrid_build["cached"])  # type: ignore[arg-type]
    failed = {item["ref"]: item["error"] for item in hybrid_build["failed"]}  # type: ignore[union-attr]
    assert built | set(failed) == corpus, "every converted example is either built or reported as failed"
    baseline_ok = {ref for ref, error in baseline.items() if error is None}
    baseline_failed = {ref: error for ref, error in baseline.items() if error is not None}
    print(f"\nreal corpus (paper@{real_corpus.VERSION}): {len(corpus)} examples; mkdocs-hybrid built {len(built)} "
          f"({hybrid_build['mode']}) in {hybrid_build['seconds']:.1f} s, plain esbuild built {len(baseline_ok)}")

    unexpected = set(failed) - set(KNOWN_FAILURES)
    assert not unexpected, ("new mkdocs-hybrid failures on real examples (a bug, or add them to KNOWN_FAILURES "
                            "with the reason):\n" + _report_line(unexpected, failed))
    now_building = set(KNOWN_FAILURES) - set(failed)
    assert not now_building, f"listed as failing but built now; remove from KNOWN_FAILURES: {sorted(now_building)}"
    for ref, (message, _why) in KNOWN_FAILURES.items():
        assert message in failed[ref], f"{ref} failed differently than listed:\n  {failed[ref]}"

    assert set(baseline_failed) == set(KNOWN_BASELINE_FAILURES), (
        "plain esbuild failed on:\n" + _report_line(set(baseline_failed), baseline_failed))
    lost = baseline_ok - built - REFUSED_BY_DESIGN
    assert not lost, "plain esbuild builds these, mkdocs-hybrid does not:\n" + _report_line(lost, failed)
    assert len(built) >= len(baseline_ok - REFUSED_BY_DESIGN)


def test_built_pages_keep_the_examples_scripts(hybrid_build: dict[str, object]) -> None:
    """The artifacts are the examples: every PaperScript block survives, and paper comes from the pinned package."""
    project = hybrid_build["project"]
    assert isinstance(project, Path)
    site = project / "site"
    for ref in hybrid_build["built"]:  # type: ignore[union-attr]
        thread, version = ref.split("/")
        meta = json.loads((site / "artifacts" / thread / version / "meta.json").read_text(encoding="utf-8"))
        source = (project / "demos" / thread / version / meta["entry"]).read_text(encoding="utf-8")
        page = (site / "artifacts" / thread / version / "page.html").read_text(encoding="utf-8")
        assert page.count('type="text/paperscript"') == source.count('type="text/paperscript"'), ref
        assert "dist/paper-full.js\"" not in page, ref  # the tag is gone (its licence comment may stay)
        assert meta["packages"].get(real_corpus.PACKAGE) == real_corpus.VERSION, ref
        assert (site / "p" / thread / version / "index.html").is_file(), ref


@pytest.mark.browser
def test_the_editor_makes_the_real_examples_byte_for_byte(hybrid_build: dict[str, object]) -> None:
    """Pages nobody here wrote (inline module scripts, images, classic scripts, odd markup) through the
    editor's worker: with paper in a vendor file, every built example is the share link's bytes; with paper
    inlined (``build.vendor: false``) a static site has no packages to read, and the editor says so."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, LAUNCH_ARGS, serve_static
    from tests.editor_harness import EditorFiles, build_in_worker, start_worker

    site = Path(str(hybrid_build["project"])) / "site"
    built = [str(ref) for ref in hybrid_build["built"]]  # type: ignore[attr-defined]
    vendored = hybrid_build["mode"] == "paper in a vendor file"
    with serve_static(site) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page()
        page.goto(f"{base_url}/404.html")
        assert start_worker(page, EditorFiles.of(site))["type"] == "ready"
        differing = []
        for ref in built:
            folder = site / "artifacts" / ref
            result = build_in_worker(page, json.loads((folder / "source.json").read_text(encoding="utf-8")))
            if not vendored:
                assert not result["ok"] and "mkdocs-hybrid serve" in result["errors"][0]["text"], ref
                continue
            if not result["ok"] or result["page"].encode() != (folder / "page.html").read_bytes() \
                    or result["css"].encode() != (folder / "style.css").read_bytes():
                differing.append(ref)
        browser.close()
    assert len(built) >= 113 and differing == []
