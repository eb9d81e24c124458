"""Pages file count against versions: the default mode and the R2 artifact-store mode, planned, nothing uploaded.

    python benchmarks/pages_files.py [--sizes 10000:2500 100000:25000] [--json]

For each size (versions:threads, the versions spread evenly over the threads), the file list a build writes
is generated from the site layout (:mod:`mkdocs_hybrid.model.layout`), the way ``tests/deploy/
test_r2_artifacts.py`` writes its 10,000-version site, without writing the files:

- per version: its artifact folder (``page.html``, ``style.css``, ``meta.json``, ``source.json``, the poster,
  the card and ``oembed.json``) and its share page ``p/{thread}/{version}/index.html``;
- per thread: its gallery page ``gallery/{thread}/index.html`` and its ``latest`` fallback page (in the artifact
  store mode an object in the store, which the worker reads; before issue 22 that mode wrote one
  ``p/_latest.json`` on Pages instead, as the ``r2, pages on Pages`` line still counts);
- the gallery index (``gallery/`` and ``gallery/page/{n}/``, 48 cards a page), its assets and data file,
  the editor, ``404.html``, ``index.html``, a few vendor files.

Then the deploy's own split (:func:`mkdocs_hybrid.deploy._pages.split_site_files`, what ``deploy_site`` uses)
decides what goes to Pages and what to the artifact store, and the result is checked against the free plan's
20,000 files (the check ``deploy_site`` makes before any upload). Prints one line per size and mode; the
``r2, pages on Pages`` line is the artifact store mode as it was before issue 22 (only ``artifacts/`` and
``vendor/`` in the store: :func:`~mkdocs_hybrid.deploy._r2_artifacts.is_artifact`), for comparison.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from mkdocs_hybrid.deploy._files import DEFAULT_MAX_FILES, SiteFile
from mkdocs_hybrid.deploy._pages import split_site_files
from mkdocs_hybrid.deploy._r2_artifacts import is_artifact
from mkdocs_hybrid.gallery.pages import PAGE_SIZE
from mkdocs_hybrid.model.layout import (
    ARTIFACTS,
    ASSETS,
    DERIVED_FILES,
    EDITOR,
    GALLERY,
    GALLERY_PAGES,
    LATEST,
    LATEST_MAP,
    PUBLISHED_FILES,
    SHARE,
    VENDOR,
)

VERSION_FILES = (*PUBLISHED_FILES, "source.json", *sorted(DERIVED_FILES - {"video.mp4", "preview.mp4"}))
"""A version's artifact folder without video (videos go to the media bucket whatever the mode)."""
SITE_FILES = ("index.html", "404.html", f"{GALLERY}/index.html", f"{GALLERY}/{ASSETS}/gallery.css",
              f"{GALLERY}/{ASSETS}/gallery.js", f"{GALLERY}/threads.0123456789ab.json", f"{EDITOR}/index.html",
              f"{EDITOR}/{ASSETS}/main.js", f"{EDITOR}/{ASSETS}/worker.js", f"{EDITOR}/{ASSETS}/esbuild.wasm",
              f"{EDITOR}/{ASSETS}/editor.css", f"{EDITOR}/recipe.json", *(f"{VENDOR}/v{k}.js" for k in range(20)))


def site_names(versions: int, threads: int, *, latest_map: bool = False) -> list[str]:
    """Every file name a build writes for this catalog; ``latest_map``: the artifact store mode before issue 22
    (one map of latest versions instead of a fallback page per thread)."""
    names = list(SITE_FILES)
    per_thread = [versions // threads + (1 if i < versions % threads else 0) for i in range(threads)]
    for i, count in enumerate(per_thread):
        thread = f"t{i:05d}"
        for j in range(count):
            names += [f"{ARTIFACTS}/{thread}/v{j}/{name}" for name in VERSION_FILES]
            names.append(f"{SHARE}/{thread}/v{j}/index.html")
        names.append(f"{GALLERY}/{thread}/index.html")
        if not latest_map:
            names.append(f"{SHARE}/{thread}/{LATEST}/index.html")
    names += [f"{GALLERY}/{GALLERY_PAGES}/{n}/index.html" for n in range(2, -(-threads // PAGE_SIZE) + 1)]
    if latest_map:
        names.append(f"{SHARE}/{LATEST_MAP}")
    return names


MODES = ("default", "r2, pages on Pages", "r2 artifact store")


def count(versions: int, threads: int, mode: str) -> dict[str, object]:
    started = time.perf_counter()
    store = mode != "default"
    files = [SiteFile(name=name, path=Path(name), size=0, hash="", content_type="")
             for name in site_names(versions, threads, latest_map=mode == "r2, pages on Pages")]
    if mode == "r2, pages on Pages":
        pages, stored = [f for f in files if not is_artifact(f.name)], [f for f in files if is_artifact(f.name)]
    else:
        pages, stored = split_site_files(files, in_store=store)
    return {"versions": versions, "threads": threads, "mode": mode,
            "pages_files": len(pages), "store_objects": len(stored), "fits_free_plan": len(pages) <= DEFAULT_MAX_FILES,
            "seconds": round(time.perf_counter() - started, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["10000:2500", "100000:25000"], help="versions:threads")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        versions, threads = (int(part) for part in size.split(":"))
        rows += [count(versions, threads, mode) for mode in MODES]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        print(f"{row['versions']:>7,} versions, {row['threads']:>6,} threads, {row['mode']:<18}: "
              f"{row['pages_files']:>7,} Pages files ({'fits' if row['fits_free_plan'] else 'over'} the free plan's "
              f"{DEFAULT_MAX_FILES:,}), {row['store_objects']:>7,} artifact store objects")


if __name__ == "__main__":
    main()
