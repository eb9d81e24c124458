"""Diffs between versions: each thread page says what changed in a version since the previous listed one, and
frames a precomputed diff page (``diff.html`` in the version's artifact folder) made from the published
``source.json`` files; no unlisted version's sources reach any published file."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from mkdocs_hybrid.config.manifest import parse_manifest
from mkdocs_hybrid.edge.sandbox import SAME_SITE
from mkdocs_hybrid.gallery import diffs
from mkdocs_hybrid.gallery import pages as gallery
from mkdocs_hybrid.model.catalog import Catalog, ThreadEntry, VersionEntry
from mkdocs_hybrid.model.files import StatIndex
from mkdocs_hybrid.model.layout import DERIVED_KINDS
from mkdocs_hybrid.model.snapshot import SNAPSHOT_FORMAT
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.publish.site import SitePages
from mkdocs_hybrid.publish.version_pages import write_version_pages
from tests.browser import serve_static
from tests.factory import write_tree
from tests.gallery.test_gallery import find, parse, thread, version
from tests.gallery.test_gallery_scale import FIRST_LOAD_BUDGET, generated_catalog
from tests.test_accessibility import Scheme, blocking_violations, open_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PAGE = '<!doctype html><html lang="en"><head><title>Steps</title></head><body><h1>Steps</h1></body></html>\n'
HOSTILE = '</script><script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">'
SECRET = "UNLISTED-SECRET-7f3a"
"""Only the unlisted version's files hold this: it must appear in no published file."""

VERSIONS = {
    "v1": {"index.html": PAGE, "keep.txt": "one\ntwo\nthree\n", "old.txt": "gone soon\n",
           "snapshot.yml": "title: First\ncreated: 2026-01-01T10:00:00Z\n"},
    "v2": {"index.html": PAGE, "keep.txt": f"one\n{SECRET}\nthree\n", "secret.txt": f"{SECRET}\n",
           "snapshot.yml": "title: Hidden\ncreated: 2026-01-02T10:00:00Z\nunlisted: true\n"},
    "v3": {"index.html": PAGE, "keep.txt": "one\n2\nthree\n", "new.txt": f"{HOSTILE}\n",
           "snapshot.yml": "title: Third\ncreated: 2026-01-03T10:00:00Z\n"},
    "v4": {"index.html": PAGE, "keep.txt": "one\n2\nthree\n", "new.txt": f"{HOSTILE}\n",
           "snapshot.yml": "title: Fourth\ncreated: 2026-01-04T10:00:00Z\n"},
}


def diff_project(root: Path) -> Path:
    files = {f"demos/steps/{name}/{path}": text for name, tree in VERSIONS.items() for path, text in tree.items()}
    files["demos/steps/thread.yml"] = "title: Steps\n"
    write_tree(root, files)
    data = {"sources": [{"type": "directory", "path": "demos"}], "build": {"cache_dir": ".cache"}}
    (root / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return root


def build(root: Path, site: Path, *, media: bool = False) -> Path:
    manifest = parse_manifest(yaml.safe_load((root / "hybrid.yml").read_text()), base_dir=root)
    export = Export(manifest, media=media, ledger=False, pages=SitePages(standalone_gallery=True))
    export.run(site)
    assert export.report.ok, export.report.failed
    return site


@pytest.fixture(scope="module")
def diff_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = diff_project(tmp_path_factory.mktemp("diffs"))
    return build(root, root / "site")


def summary_of(html: str, version: str) -> str:
    """A version's entry on the thread page, up to the next version's."""
    chunk = html[html.index(f'id="v-{version}"'):]
    return chunk.split('<li class="hg-version', 1)[0]


def test_the_diff_kind_is_registered_under_the_name_the_thread_page_links_to() -> None:
    assert DERIVED_KINDS[diffs.DIFF_FILE] == "mkdocs_hybrid.publish.diff_file"


def test_a_version_shows_exactly_its_added_removed_and_changed_files(diff_site: Path) -> None:
    html = (diff_site / "gallery/steps/index.html").read_text(encoding="utf-8")
    v3 = summary_of(html, "v3")
    assert "Changes since v1: 1 added, 1 removed, 1 changed" in v3
    assert "Compared with v1, the previous listed version (unlisted versions are skipped)." in v3
    names = re.findall(r"<li>(Added|Removed|Changed): (.*?)</li>", v3)
    assert names == [("Added", '<code class="hg-code">new.txt</code>'),
                     ("Removed", '<code class="hg-code">old.txt</code>'),
                     ("Changed", '<code class="hg-code">keep.txt</code>')]
    (frame,) = [f for f in find(parse(v3), "iframe") if f.attrs.get("class") == "hg-diff-frame"]
    assert frame.attrs["src"] == "../../artifacts/steps/v3/diff.html"
    assert frame.attrs["sandbox"] == "" and frame.attrs["loading"] == "lazy"
    assert "Changes since v3: no file changed" in summary_of(html, "v4")
    assert "hg-changes" not in summary_of(html, "v1"), "the oldest version has nothing to compare with"

    page = (diff_site / "artifacts/steps/v3/diff.html").read_text(encoding="utf-8")
    assert "1 added, 1 removed, 1 changed" in page
    sections = re.findall(r"<h2>(\w+) <code>([^<]+)</code></h2>", page)
    assert sections == [("Added", "new.txt"), ("Removed", "old.txt"), ("Changed", "keep.txt")]
    changed = page[page.index("<h2>Changed"):]
    assert '<span class="d">-two</span><span class="a">+2</span>' in changed
    assert '<span class="d">-gone soon</span>' in page
    assert "<script" not in page.lower(), "the diff page has no script of its own"


def test_hostile_source_text_is_shown_as_text(diff_site: Path) -> None:
    page = (diff_site / "artifacts/steps/v3/diff.html").read_text(encoding="utf-8")
    assert "</script>" not in page and "<img src=x" not in page
    assert "+&lt;/script&gt;&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;&lt;img src=x" in page
    html = (diff_site / "gallery/steps/index.html").read_text(encoding="utf-8")
    assert HOSTILE not in html and "pwned" not in html, "source text never reaches the thread page"


def test_an_unlisted_versions_sources_appear_in_no_published_file(diff_site: Path) -> None:
    leaks = [str(path.relative_to(diff_site)) for path in sorted(diff_site.rglob("*"))
             if path.is_file() and SECRET.encode() in path.read_bytes()]
    assert leaks == []
    assert not list(diff_site.glob("artifacts/_u/*/diff.html")), "an unlisted version gets no diff"
    html = (diff_site / "gallery/steps/index.html").read_text(encoding="utf-8")
    assert "v2" not in re.sub(r"<!--.*?-->", "", html)


def test_two_builds_of_the_same_sources_give_the_same_bytes(diff_site: Path, tmp_path: Path) -> None:
    root = diff_project(tmp_path)
    again = build(root, tmp_path / "site")

    def digests(site: Path) -> dict[str, str]:
        return {str(path.relative_to(site)): hashlib.sha256(path.read_bytes()).hexdigest()
                for path in sorted(site.rglob("*")) if path.is_file() and "/_u/" not in f"/{path.relative_to(site)}"}

    first, second = digests(diff_site), digests(again)
    diff_files = [name for name in first if name.endswith(diffs.DIFF_FILE)]
    assert sorted(diff_files) == ["artifacts/steps/v3/diff.html", "artifacts/steps/v4/diff.html"]
    for name in [*diff_files, "gallery/steps/index.html"]:
        assert first[name] == second[name], name


def test_a_rebuild_diffs_a_version_again_when_the_one_before_it_is_unlisted(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The version pages skip a version whose inputs did not change; its diff's inputs include the previous
    listed version, so unlisting that one makes the next version's diff again, against the one before."""
    monkeypatch.setattr("mkdocs_hybrid.model.files.RACY_SECONDS", -60)  # trust files written just now
    site = tmp_path / "site"
    for name in ("v1", "v2", "v3"):
        folder = site / "artifacts/t" / name
        folder.mkdir(parents=True)
        source = {"format": SNAPSHOT_FORMAT, "files": {"a.txt": f"{name}\n"}}
        (folder / diffs.SOURCE_FILE).write_text(json.dumps(source))
    index = StatIndex(tmp_path / "index.json", "test")
    listed = (version("v3", day=3), version("v2", day=2), version("v1", day=1))

    def write(*versions: VersionEntry) -> str:
        write_version_pages(site, Catalog(threads=(thread("t", "T", versions),)), parts_of=lambda t, v: (t, v),
                            origin=SAME_SITE, site_url=None, index=index)
        return (site / "artifacts/t/v3" / diffs.DIFF_FILE).read_text()

    assert "Changes in <code>v3</code> since <code>v2</code>" in write(*listed)
    assert "Changes in <code>v3</code> since <code>v2</code>" in write(*listed)  # skipped: nothing changed
    unlisted = (listed[0], dataclasses.replace(listed[1], unlisted=True), listed[2])
    assert "Changes in <code>v3</code> since <code>v1</code>" in write(*unlisted)

# --- the thread page's size -------------------------------------------------------------------------------

BUSY_VERSIONS = 150
BUSY_FILES = 40
"""Files each version adds, removes and changes (a busy refactor each time): far more names than a summary shows."""


def busy_thread(catalog: Catalog, site: Path) -> ThreadEntry:
    """The generated catalog's thread with the most versions, given :data:`BUSY_VERSIONS` versions whose sources
    (written as published ``source.json`` files under ``site``) each add, remove and change many long names."""
    template = max(catalog.listed, key=lambda thread: len(thread.versions))
    entry = template.versions[-1]
    versions = tuple(dataclasses.replace(entry, version=f"v{n}", title=f"Step {n}", unlisted=False,
                                         build_key=f"busy-{n}") for n in range(BUSY_VERSIONS, 0, -1))
    for n in range(1, BUSY_VERSIONS + 1):
        files = {f"src/components/generated/module-{n}-{i:03d}-with-a-rather-long-file-name.tsx": f"export {n}\n"
                 for i in range(BUSY_FILES)}  # all added, the previous version's all removed
        files.update({f"src/shared/kept-{i:03d}.ts": f"export const step = {n};\n" for i in range(BUSY_FILES)})
        folder = site / "artifacts" / template.id / f"v{n}"
        folder.mkdir(parents=True)
        (folder / diffs.SOURCE_FILE).write_text(json.dumps({"format": SNAPSHOT_FORMAT, "files": files}))
    return dataclasses.replace(template, versions=versions, latest=versions[0].version)


def test_a_thread_page_with_many_versions_stays_within_the_gallerys_budget(tmp_path: Path) -> None:
    catalog = generated_catalog()  # 10,000 threads: a thread page is made from its own thread alone
    thread = busy_thread(catalog, tmp_path)
    plain = gallery.standalone_thread_page(thread)
    with_changes = gallery.standalone_thread_page(thread, site_dir=tmp_path)
    counts = f"{BUSY_FILES} added, {BUSY_FILES} removed, {BUSY_FILES} changed"
    assert with_changes.count(counts.encode()) == BUSY_VERSIONS - 1
    assert with_changes.count(f"and {BUSY_FILES - diffs.NAMES_SHOWN} more".encode()) == 3 * (BUSY_VERSIONS - 1)
    per_version = (len(with_changes) - len(plain)) / (BUSY_VERSIONS - 1)
    assert per_version < 2_500, f"a version's summary adds {per_version:.0f} bytes"
    zipped = len(gzip.compress(with_changes, 6))
    assert zipped <= FIRST_LOAD_BUDGET, f"a {BUSY_VERSIONS}-version thread page: {zipped} bytes gzipped"

# --- in Chromium, with posters ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def poster_diff_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same thread with posters (made by Chromium in a real build)."""
    root = diff_project(tmp_path_factory.mktemp("diff-posters"))
    return build(root, root / "site", media=True)


@pytest.mark.browser
def test_an_opened_diff_shows_the_changes_and_both_posters_and_runs_no_source(poster_diff_site: Path,
                                                                              chromium: Browser) -> None:
    shots = Path(os.environ.get("HYBRID_SCREENSHOTS") or "/tmp/shots25")
    shots.mkdir(parents=True, exist_ok=True)
    page = chromium.new_page(viewport={"width": 1280, "height": 2400})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        with serve_static(poster_diff_site) as base_url:
            page.goto(f"{base_url}/gallery/steps/", wait_until="networkidle")
            assert not [url for url in requested if url.endswith(diffs.DIFF_FILE)], "a closed diff loads nothing"
            summary = page.locator('#v-v3 [data-hg-changes="v3"] > summary')
            assert summary.inner_text() == "Changes since v1: 1 added, 1 removed, 1 changed"
            summary.click()
            frame = page.frame_locator("#v-v3 iframe.hg-diff-frame")
            frame.locator("h1").wait_for(timeout=10_000)
            assert [url for url in requested if url.endswith(diffs.DIFF_FILE)] == [
                f"{base_url}/artifacts/steps/v3/diff.html"]
            assert frame.locator("h2").all_inner_texts() == ["Added new.txt", "Removed old.txt", "Changed keep.txt"]
            assert HOSTILE in frame.locator("section", has_text="new.txt").locator("pre").inner_text()
            assert frame.locator(".posters img").count() == 2, "both versions' posters, side by side"
            document = page.locator("#v-v3 iframe.hg-diff-frame").element_handle().content_frame()
            assert document is not None
            document.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)",
                                       timeout=10_000)
            assert frame.locator(".posters figcaption").all_inner_texts() == ["v1: First", "v3: Third"]
            assert page.title() != "pwned" and frame.locator("img[src=x]").count() == 0
            page.locator("#v-v3 .hg-changes").scroll_into_view_if_needed()
            page.wait_for_timeout(500)  # the frame paints in its own process a moment after it loads
            page.locator("#v-v3").screenshot(path=str(shots / "thread-version-diff.png"))
    finally:
        page.close()


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_diff_page_has_no_serious_accessibility_violations(poster_diff_site: Path, chromium: Browser,
                                                              scheme: Scheme) -> None:
    with serve_static(poster_diff_site) as base_url:
        page = open_page(chromium, f"{base_url}/artifacts/steps/v3/diff.html", scheme=scheme)
        try:
            assert blocking_violations(page) == []
        finally:
            page.context.close()
