"""The sample site built through real MkDocs (default theme and mkdocs-material).

Expected threads and versions are read from the sample sources named in the
copied ``hybrid.yml`` (directory trees and snapshot JSON files), never
hard-coded: the bundled demos grow over time.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from conftest import (
    REPO,
    SOURCE_DATE_EPOCH,
    build_site,
    copy_project,
    output_of,
    read_yaml,
    site_dir,
    write_yaml,
)
from markupsafe import escape
from mkdocs.commands.build import build
from mkdocs.config import load_config

from mkdocs_hybrid.plugin import HybridPlugin
from tests.factory import read_tree

ARTIFACT_FILES = ("page.html", "style.css", "meta.json")
HASHED_FILES = ("page.html", "style.css")
EXACT_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
SNAPSHOT_FORMAT = "mkdocs-hybrid/snapshot@1"
LATEST_META = re.compile(r'<meta name="mkdocs-hybrid-latest" content="([^"]+)">')


# --- what the sample sources contain -----------------------------------------------------------


@dataclass(frozen=True)
class SampleVersion:
    thread: str
    version: str
    dependencies: dict[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.thread}/{self.version}"


@dataclass(frozen=True)
class SampleThread:
    id: str
    title: str | None
    """``thread.yml: title`` (``None``: the gallery shows the latest version's title)."""
    latest: str | None
    unlisted: bool


def _sources(project: Path) -> list[tuple[str, Path]]:
    manifest = read_yaml(project / "hybrid.yml")
    return [(source["type"], project / source["path"]) for source in manifest["sources"]]


def _visible_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _snapshot_files(folder: Path) -> list[dict[str, Any]]:
    found = []
    for path in sorted(folder.rglob("*.json")):
        if any(part.startswith(".") or part == "node_modules" for part in path.relative_to(folder).parts):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("format") == SNAPSHOT_FORMAT:
            found.append(data)
    return found


def sample_versions(project: Path) -> list[SampleVersion]:
    """Every (thread, version) in the project's sources, with its declared dependencies."""
    versions = []
    for kind, root in _sources(project):
        if kind == "directory":
            for thread_dir in _visible_dirs(root):
                for version_dir in _visible_dirs(thread_dir):
                    package = version_dir / "package.json"
                    data = json.loads(package.read_text(encoding="utf-8")) if package.is_file() else {}
                    versions.append(SampleVersion(thread_dir.name, version_dir.name,
                                                  dict(data.get("dependencies") or {})))
        else:
            for data in _snapshot_files(root):
                versions.append(SampleVersion(str(data["thread"]), str(data["version"]),
                                              dict(data.get("dependencies") or {})))
    assert versions, f"no sample versions found in {project}"
    return sorted(versions, key=lambda v: (v.thread, v.version))


def sample_threads(project: Path) -> dict[str, SampleThread]:
    threads: dict[str, SampleThread] = {}
    for kind, root in _sources(project):
        if kind != "directory":
            continue
        for thread_dir in _visible_dirs(root):
            path = thread_dir / "thread.yml"
            data = (read_yaml(path) or {}) if path.is_file() else {}
            threads[thread_dir.name] = SampleThread(thread_dir.name, data.get("title"), data.get("latest"),
                                                    bool(data.get("unlisted", False)))
    for version in sample_versions(project):
        threads.setdefault(version.thread, SampleThread(version.thread, None, None, False))
    return threads


def listed_threads(project: Path) -> list[SampleThread]:
    return [thread for thread in sample_threads(project).values() if not thread.unlisted]


# --- reading the built site --------------------------------------------------------------------



def tree_differences(left: dict[str, bytes], right: dict[str, bytes]) -> list[str]:
    return sorted(name for name in left.keys() | right.keys() if left.get(name) != right.get(name))


def latest_version(site: Path, thread_id: str) -> str:
    page = (site / "p" / thread_id / "latest" / "index.html").read_text(encoding="utf-8")
    match = LATEST_META.search(page)
    assert match, f"p/{thread_id}/latest/index.html does not say which version is the latest"
    return match[1]


def thread_title(site: Path, thread: SampleThread) -> str:
    """What the gallery should call the thread: its own title, else its latest version's."""
    if thread.title:
        return thread.title.strip()
    meta = json.loads((site / "artifacts" / thread.id / latest_version(site, thread.id) / "meta.json").read_bytes())
    return str(meta["title"])


@dataclass
class _OpenNav:
    tag: str
    depth: int = 1
    """How many elements named ``tag`` are open from this container inwards."""


class NavLinks(HTMLParser):
    """The ``href`` of every link inside the theme's navigation (``<nav>``, ``.navbar``, ``.md-nav``, ``.md-tabs``)."""

    NAV_CLASSES = frozenset({"navbar", "md-nav", "md-tabs"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self._open: list[_OpenNav] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        for container in self._open:
            container.depth += container.tag == tag
        if tag == "a" and self._open and attributes.get("href"):
            self.links.append(attributes["href"])
        if tag == "nav" or self.NAV_CLASSES & set(attributes.get("class", "").split()):
            self._open.append(_OpenNav(tag))

    def handle_endtag(self, tag: str) -> None:
        for container in self._open:
            container.depth -= container.tag == tag
        self._open = [container for container in self._open if container.depth > 0]


def nav_targets(site: Path, page: str) -> list[str]:
    """Site paths (``/...``) the navigation of ``page`` (e.g. ``gallery/index.html``) links to."""
    parser = NavLinks()
    parser.feed((site / page).read_text(encoding="utf-8"))
    page_url = "https://site.test/" + page.removesuffix("index.html")
    return [urlsplit(urljoin(page_url, href)).path for href in parser.links if not href.startswith("#")]


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["mkdocs", "material"])
def site(request: pytest.FixtureRequest) -> Path:
    """The built sample site, once per theme."""
    return request.getfixturevalue(f"sample_site_{request.param}")


@pytest.fixture(scope="module")
def versions(sample_project: Path) -> list[SampleVersion]:
    return sample_versions(sample_project)


# --- the built sample site ---------------------------------------------------------------------


def test_every_version_has_its_artifact_and_share_links(site: Path, versions: list[SampleVersion]) -> None:
    missing = [f"{prefix}/{v.ref}/{name}"
               for v in versions
               for prefix, names in (("artifacts", ARTIFACT_FILES), ("p", ("index.html",)))
               for name in names
               if not (site / prefix / v.thread / v.version / name).is_file()]
    missing += [f"p/{thread}/latest/index.html" for thread in sorted({v.thread for v in versions})
                if not (site / "p" / thread / "latest" / "index.html").is_file()]
    assert not missing, f"missing from {site}: {missing}"


def test_meta_json_describes_the_artifact_files(site: Path, versions: list[SampleVersion]) -> None:
    for v in versions:
        folder = site / "artifacts" / v.thread / v.version
        meta = json.loads((folder / "meta.json").read_bytes())
        assert (meta["thread"], meta["version"]) == (v.thread, v.version)
        for name in HASHED_FILES:
            data = (folder / name).read_bytes()
            assert meta["files"][name] == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}, \
                f"{v.ref}: meta.json does not match {name}"


def test_meta_json_records_the_toolchain_and_resolved_dependencies(site: Path, versions: list[SampleVersion]) -> None:
    wasm = json.loads((REPO / "node_modules" / "esbuild-wasm" / "package.json").read_bytes())["version"]
    lock_path = site.parent / "hybrid-lock.json"
    pins = json.loads(lock_path.read_bytes())["resolved"] if lock_path.is_file() else {}
    with_dependencies = [v for v in versions if v.dependencies]
    assert any("react" in v.dependencies for v in with_dependencies), "the samples should include React demos"
    for v in versions:
        meta = json.loads((site / "artifacts" / v.thread / v.version / "meta.json").read_bytes())
        assert meta["esbuild"] == wasm, f"{v.ref} was built with esbuild {meta['esbuild']}, the editor runs {wasm}"
        assert sorted(meta["dependencies"]) == sorted(v.dependencies), v.ref
        for name, spec in v.dependencies.items():
            resolved = meta["dependencies"][name]
            assert EXACT_VERSION.fullmatch(resolved), f"{v.ref}: {name} resolved to {resolved!r}, not an exact version"
            if EXACT_VERSION.fullmatch(spec.lstrip("=v")):
                assert resolved == spec.lstrip("=v"), f"{v.ref}: {name} {spec} built as {resolved}"
            else:
                assert pins.get(f"{name}@{spec}") == resolved, f"{v.ref}: {name}@{spec} is not pinned in {lock_path}"
            assert meta["packages"][name] == resolved, f"{v.ref}: installed {name} differs from the resolved one"


def test_pinned_latest_versions_are_what_latest_links_show(site: Path, sample_project: Path) -> None:
    pinned = {t.id: t.latest for t in sample_threads(sample_project).values() if t.latest}
    assert {thread: latest_version(site, thread) for thread in pinned} == pinned
    for thread, version in pinned.items():
        assert f'href="../{version}/"' in (site / "p" / thread / "latest" / "index.html").read_text(encoding="utf-8")


def test_gallery_has_an_index_and_one_page_per_listed_thread(site: Path, sample_project: Path) -> None:
    threads = sample_threads(sample_project)
    assert (site / "gallery" / "index.html").is_file()
    for thread in threads.values():
        page = site / "gallery" / thread.id / "index.html"
        assert page.is_file() != thread.unlisted, f"gallery/{thread.id}/index.html: listed={not thread.unlisted}"


def test_gallery_index_shows_every_listed_thread_title(site: Path, sample_project: Path) -> None:
    index = (site / "gallery" / "index.html").read_text(encoding="utf-8")
    titles = {thread.id: str(escape(thread_title(site, thread))) for thread in listed_threads(sample_project)}
    missing = {thread: title for thread, title in titles.items() if title not in index}
    assert not missing, f"gallery/index.html does not show: {missing}"


@pytest.mark.parametrize("page", ["index.html", "gallery/index.html", "gallery/canvas-particles/index.html"])
def test_the_nav_links_the_gallery_index_and_no_generated_thread_page(site: Path, page: str) -> None:
    # The sample's mkdocs.yml names gallery/index.md in its nav; thread pages stay out (nav pages cost O(n^2)).
    targets = nav_targets(site, page)
    assert targets, f"found no navigation in {page}: the theme's markup changed, update NavLinks"
    in_nav = sorted({target for target in targets if target.startswith("/gallery/")})
    assert in_nav == ["/gallery/"], f"{page}'s navigation links {in_nav} of the gallery"


def test_report_is_written_beside_mkdocs_yml_with_counts(site: Path, versions: list[SampleVersion]) -> None:
    project = site.parent
    assert not (site / "hybrid-report.json").exists(), "the build report must not be published"
    report = json.loads((project / "hybrid-report.json").read_bytes())
    assert report["counts"] == {"built": len(versions), "cached": 0, "failed": 0, "kept": 0,
                                "threads": len({v.thread for v in versions}), "unchanged": 0}
    assert report["built"] == sorted(v.ref for v in versions)


# --- builds of fresh copies --------------------------------------------------------------------


def test_two_builds_in_different_folders_are_byte_identical(sample_site_mkdocs: Path, sample_project: Path,
                                                            tmp_path: Path) -> None:
    other = copy_project(sample_project, tmp_path / "elsewhere" / "project")
    result = build_site(other)
    assert result.returncode == 0, output_of(result)
    first, second = read_tree(sample_site_mkdocs), read_tree(site_dir(other))
    differing = tree_differences(first, second)
    assert not differing, f"{len(differing)} of {len(first)} files differ between two builds: {differing}"


def test_second_build_reuses_every_bundle_and_writes_the_same_site(seeded_project: Path) -> None:
    expected = sample_versions(seeded_project)
    first = build_site(seeded_project)
    assert first.returncode == 0, output_of(first)
    fresh = read_tree(site_dir(seeded_project))

    second = build_site(seeded_project)
    assert second.returncode == 0, output_of(second)
    report = json.loads((seeded_project / "hybrid-report.json").read_bytes())
    assert report["counts"]["built"] == 0, f"rebuilt without a change: {report['built']}"
    assert report["counts"]["cached"] == len(expected)
    assert report["counts"]["failed"] == 0
    assert f"0 built, {len(expected)} cached, 0 failed" in output_of(second)
    differing = tree_differences(fresh, read_tree(site_dir(seeded_project)))
    assert not differing, f"a cached build wrote different bytes: {differing}"


def test_rebuild_keeps_unchanged_artifacts_over_mkdocs_clean(seeded_project: Path) -> None:
    """MkDocs empties the site folder on every build; unchanged artifacts come through it untouched."""
    first = build_site(seeded_project)
    assert first.returncode == 0, output_of(first)
    site = site_dir(seeded_project)
    before = {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in site.glob("artifacts/*/*/page.html")}
    assert before
    real_thread = next(iter(before)).parent.parent.name
    ghost = [site / "artifacts/ghost-thread/v1/page.html", site / "p/ghost-thread/v1/index.html",
             site / "p" / real_thread / "v-gone" / "index.html", site / "gallery/ghost-thread/index.html"]
    for path in ghost:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("left over from an older build", encoding="utf-8")
    fresh = read_tree(site)

    second = build_site(seeded_project)
    assert second.returncode == 0, output_of(second)
    after = {path: (path.stat().st_ino, path.stat().st_mtime_ns) for path in site.glob("artifacts/*/*/page.html")}
    assert after == before, "a no-op rebuild wrote artifacts again"
    assert not [path for path in ghost if path.parent.exists()], "what a clean build would not have is gone"
    assert not (site / ".mkdocs-hybrid-kept").exists()
    differing = tree_differences({k: v for k, v in fresh.items() if "ghost" not in k and "v-gone" not in k},
                                 read_tree(site))
    assert not differing, f"the rebuilt site differs from the first build: {differing}"


def test_a_gallery_page_another_plugin_drops_is_not_kept_from_the_last_build(seeded_project: Path) -> None:
    first = build_site(seeded_project)
    assert first.returncode == 0, output_of(first)
    site = site_dir(seeded_project)
    dropped = sorted(site.glob("gallery/*/index.html"))[0].parent.name
    (seeded_project / "hooks.py").write_text(
        "def on_files(files, config):\n"
        f"    files.remove(files.get_file_from_path('gallery/{dropped}/index.md'))\n"
        "    return files\n", encoding="utf-8")
    config = read_yaml(seeded_project / "mkdocs.yml")
    config["hooks"] = ["hooks.py"]
    write_yaml(seeded_project / "mkdocs.yml", config)

    second = build_site(seeded_project)
    assert second.returncode == 0, output_of(second)
    assert not (site / "gallery" / dropped / "index.html").exists()
    assert (site / "gallery" / "index.html").is_file()


def test_leftover_of_an_interrupted_build_is_cleared(seeded_project: Path) -> None:
    stash = site_dir(seeded_project) / ".mkdocs-hybrid-kept" / "artifacts" / "stale" / "v1"
    stash.mkdir(parents=True)
    (stash / "page.html").write_text("stale", encoding="utf-8")

    result = build_site(seeded_project)
    assert result.returncode == 0, output_of(result)
    site = site_dir(seeded_project)
    assert not (site / ".mkdocs-hybrid-kept").exists()
    assert not (site / "artifacts" / "stale").exists()
    assert all((site / "artifacts" / v.thread / v.version / "page.html").is_file()
               for v in sample_versions(seeded_project))


def test_strict_build_fails_on_a_broken_snapshot_but_builds_the_others(seeded_project: Path) -> None:
    expected = sample_versions(seeded_project)
    directory = next(root for kind, root in _sources(seeded_project) if kind == "directory")
    thread = _visible_dirs(directory)[0].name
    broken = directory / thread / "v999-broken" / "src" / "index.js"
    broken.parent.mkdir(parents=True)
    broken.write_text("export const fine = 1;\nconst broken = ;\n", encoding="utf-8")

    result = build_site(seeded_project, strict=True)
    output = output_of(result)
    assert result.returncode != 0, f"--strict passed with a broken snapshot:\n{output}"
    assert f"{thread}/v999-broken" in output, output
    assert "src/index.js:2:16: Unexpected \";\"" in output, f"the error does not point at file:line:col:\n{output}"
    site = site_dir(seeded_project)
    missing = [v.ref for v in expected
               if not all((site / "artifacts" / v.thread / v.version / name).is_file() for name in ARTIFACT_FILES)]
    assert not missing, f"a broken snapshot stopped others from building: {missing}"
    assert not (site / "artifacts" / thread / "v999-broken").exists()
    assert not (site / "p" / thread / "v999-broken").exists()


def test_quiet_strict_build_still_fails_and_names_the_broken_snapshot(seeded_project: Path) -> None:
    """``-q`` hides the WARNING records MkDocs counts for ``--strict``: the plugin must fail the build itself."""
    expected = sample_versions(seeded_project)
    directory = next(root for kind, root in _sources(seeded_project) if kind == "directory")
    thread = _visible_dirs(directory)[0].name
    broken = directory / thread / "v999-broken" / "index.js"
    broken.parent.mkdir(parents=True)
    broken.write_text("const broken = ;\n", encoding="utf-8")

    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "--strict"], cwd=seeded_project,
                            env={**os.environ, "PYTHONPATH": str(REPO), "NO_MKDOCS_2_WARNING": "1"},
                            capture_output=True, text=True, timeout=600)
    output = output_of(result)
    assert result.returncode != 0, f"-q --strict passed with a broken snapshot:\n{output}"
    assert f"{thread}/v999-broken" in output, output
    assert "Traceback" not in output, output
    site = site_dir(seeded_project)
    missing = [v.ref for v in expected if not (site / "artifacts" / v.thread / v.version / "page.html").is_file()]
    assert not missing, f"a broken snapshot stopped others from building: {missing}"
    assert (site / "search" / "search_index.json").is_file(), "the failure came before the rest of the build"
    assert (site / "gallery" / "index.html").is_file()


def test_build_without_strict_passes_with_a_broken_snapshot(seeded_project: Path) -> None:
    directory = next(root for kind, root in _sources(seeded_project) if kind == "directory")
    broken = _visible_dirs(directory)[0] / "v999-broken" / "index.js"
    broken.parent.mkdir(parents=True)
    broken.write_text("const broken = ;\n", encoding="utf-8")

    result = build_site(seeded_project)
    assert result.returncode == 0, output_of(result)
    assert "v999-broken" in output_of(result)


@pytest.mark.parametrize(("not_found_page", "expected"), [
    (None, '<p><a href="/demos/gallery/">Browse the gallery</a></p>'),
    ("theme", "Page not found</strong>"),
])
def test_404_page_is_ours_unless_the_theme_is_asked_for(seeded_project: Path, not_found_page: str | None,
                                                         expected: str) -> None:
    config = read_yaml(seeded_project / "mkdocs.yml")
    config["site_url"] = "https://example.org/demos/"
    if not_found_page:
        config["plugins"] = ["search", {"hybrid": {"manifest": "hybrid.yml", "not_found_page": not_found_page}}]
    write_yaml(seeded_project / "mkdocs.yml", config)

    result = build_site(seeded_project)
    assert result.returncode == 0, output_of(result)
    page = (site_dir(seeded_project) / "404.html").read_text(encoding="utf-8")
    assert expected in page
    assert ("<script" in page) == (not_found_page == "theme"), "our 404 page runs no script"


def test_inline_plugin_config_works_without_hybrid_yml(seeded_project: Path) -> None:
    expected = sample_versions(seeded_project)
    manifest = read_yaml(seeded_project / "hybrid.yml")
    (seeded_project / "hybrid.yml").unlink()
    config = read_yaml(seeded_project / "mkdocs.yml")
    config["plugins"] = ["search", {"hybrid": manifest}]
    write_yaml(seeded_project / "mkdocs.yml", config)

    result = build_site(seeded_project, strict=True)
    assert result.returncode == 0, output_of(result)
    site = site_dir(seeded_project)
    missing = [v.ref for v in expected if not (site / "artifacts" / v.thread / v.version / "page.html").is_file()]
    assert not missing, missing
    assert (site / "gallery" / "index.html").is_file()
    assert (seeded_project / "hybrid-report.json").is_file()


def test_unknown_manifest_key_is_one_clear_line(project_copy: Path) -> None:
    manifest_path = project_copy / "hybrid.yml"
    manifest_path.write_text(manifest_path.read_text(encoding="utf-8") + "\ngallery_colour: teal\n",
                             encoding="utf-8")

    result = build_site(project_copy)
    output = output_of(result)
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if "gallery_colour" in line]
    assert len(errors) == 1, f"expected one line naming the key:\n{output}"
    assert "hybrid.yml" in errors[0], errors[0]
    assert not site_dir(project_copy).joinpath("artifacts").exists()


def test_in_process_build_exposes_the_catalog(seeded_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The way mkdocstrings tests itself: a real MkDocsConfig, a real build, then the plugin's state."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    expected: dict[str, set[str]] = {}
    for v in sample_versions(seeded_project):
        expected.setdefault(v.thread, set()).add(v.version)
    threads = sample_threads(seeded_project)

    config = load_config(config_file=str(seeded_project / "mkdocs.yml"))
    build(config)

    plugin = config.plugins["hybrid"]
    assert isinstance(plugin, HybridPlugin)
    catalog = plugin.catalog
    assert {t.id: {v.version for v in t.versions} for t in catalog.threads} == expected
    for entry in catalog.threads:
        thread = threads[entry.id]
        if thread.title:
            assert entry.title == thread.title.strip()
        if thread.latest:
            assert entry.latest == thread.latest
        assert entry.unlisted == thread.unlisted
    assert [t.id for t in catalog.listed] == sorted(t.id for t in threads.values() if not t.unlisted)
    site = Path(config.site_dir)
    assert site == site_dir(seeded_project).resolve()
    assert all((site / "gallery" / t.id / "index.html").is_file() for t in catalog.listed)
