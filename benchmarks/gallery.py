"""Gallery index benchmark: first-load bytes and filter time in Chromium, paged index against the single page.

    python benchmarks/gallery.py [--threads 1000 10000] [--runs 15] [--no-mkdocs]

For each size, on one generated catalog (``tests/gallery/test_gallery_scale.py``: realistic titles,
descriptions and skewed tags, no bundling), in the same run:

- **paged** (this gallery): the standalone index page (``gallery/``, 48 cards, the pager, the filter);
- **single page** (the baseline): the gallery as it was before paging, every card in one page with its filter
  data in attributes, rendered by the previous commit's ``gallery.py`` and templates (``git show HEAD~N:...``,
  read only), or by ``--baseline-rev``.

Measured in Debian's Chromium (headless shell) on loopback:

- first load: every response the index page loads before any interaction (until the network is idle), raw and
  gzip-compressed (level 6) body bytes; card images are lazy and not counted;
- filter: one ``input`` event with a whole query, timed from the event to the cards drawn (script) and to the
  layout of the new cards (``offsetHeight`` read), median and max over ``--runs`` queries; for the paged
  gallery also the first filter, which fetches and parses the data file.

With MkDocs (default): the same catalog through ``mkdocs build`` and the plugin, for ``search_index.json``'s size
and the index page's first load inside MkDocs' theme (theme assets and the search index the theme fetches
listed apart).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import jinja2  # noqa: E402
import pytest  # noqa: E402
from playwright.sync_api import Browser, sync_playwright  # noqa: E402

from mkdocs_hybrid.edge.unlisted import KEY_ENV  # noqa: E402
from mkdocs_hybrid.gallery import pages as gallery  # noqa: E402
from mkdocs_hybrid.model.catalog import Catalog  # noqa: E402
from tests.browser import CHROMIUM, LAUNCH_ARGS, serve_static  # noqa: E402
from tests.gallery.test_gallery_scale import first_load as scale_test_first_load  # noqa: E402
from tests.gallery.test_gallery_scale import generated_catalog, mkdocs_site  # noqa: E402

QUERIES = ("particles", "clock study 4", "zzz-nothing", "orbit", "sprite tiles 9", "a", "maze kanban", "study 12",
           "webgl", "calendar")
BASELINE_FILES = ("mkdocs_hybrid/gallery/pages.py", "site_template/gallery_index.html",
                  "site_template/gallery_standalone.html", "site_template/assets/gallery.css",
                  "site_template/assets/gallery.js")

FILTER_JS = """
(query) => {
  const input = document.querySelector('[data-hg-query]');
  const grid = document.querySelector('[data-hg-cards]');
  const started = performance.now();
  input.value = query;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  const script = performance.now() - started;
  void grid.offsetHeight;
  return {script, layout: performance.now() - started, status: document.querySelector('[data-hg-status]').textContent};
}
"""


# --- the baseline: the single-page gallery of an earlier commit --------------------------------------


def baseline_rev() -> str:
    """The newest commit whose gallery had no pages: the parent of the one that added ``gallery_data.py``
    (``HEAD`` while that is not committed)."""
    added = subprocess.run(["git", "log", "--diff-filter=A", "--format=%H", "-1", "--",
                            "mkdocs_hybrid/gallery/data.py"], cwd=REPO, check=True, capture_output=True,
                           text=True).stdout.strip()
    return f"{added}^" if added else "HEAD"


def load_baseline(rev: str, folder: Path) -> ModuleType:
    """The ``gallery`` module of ``rev`` with its own templates and assets (read with ``git show``)."""
    for name in BASELINE_FILES:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(subprocess.run(["git", "show", f"{rev}:{name}"], cwd=REPO, check=True,
                                          capture_output=True).stdout)
    spec = importlib.util.spec_from_file_location("baseline_gallery", folder / BASELINE_FILES[0])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    templates = folder / "site_template"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    module.environment = lambda: env  # type: ignore[attr-defined]
    module.template_dir = lambda: templates  # type: ignore[attr-defined]
    module.reload_assets()
    return module


def write_baseline_index(module: ModuleType, catalog: Catalog, site: Path) -> None:
    """Only what the index page loads: the page and the assets."""
    page = module._standalone_page("Gallery", module.render_index(catalog, base="../"))
    (site / "gallery").mkdir(parents=True, exist_ok=True)
    (site / "gallery" / "index.html").write_bytes(page)
    for relative, content in module.asset_files().items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_bytes(content)


# --- measuring --------------------------------------------------------------------------------------------


@contextmanager
def served(site: Path) -> Iterator[str]:
    with serve_static(site) as base_url:
        yield base_url + "/"


def first_load(browser: Browser, url: str) -> dict[str, tuple[str, bytes]]:
    """URL -> (resource type, body) of every response before any interaction (the scale test's measure)."""
    return scale_test_first_load(browser, url).bodies


def sizes(bodies: dict[str, tuple[str, bytes]], keep: Any = lambda url, kind: True) -> tuple[int, int]:
    """(raw, gzip) bytes of the responses ``keep`` selects, images, media and fonts left out."""
    chosen = [body for url, (kind, body) in bodies.items()
              if kind not in ("image", "media", "font") and keep(url, kind)]
    return sum(map(len, chosen)), sum(len(gzip.compress(body, 6)) for body in chosen)


def filter_times(browser: Browser, url: str, runs: int) -> dict[str, float]:
    """Milliseconds per filter (the first one apart: for the paged gallery it fetches the data file)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(url, wait_until="networkidle")
        page.wait_for_selector("[data-hg-filters]:not([hidden])")
        started = time.perf_counter()
        page.fill("[data-hg-query]", "orbit")
        page.wait_for_function("() => / of /.test(document.querySelector('[data-hg-status]').textContent)")
        first = (time.perf_counter() - started) * 1000
        script, layout = [], []
        for run in range(runs):
            result = page.evaluate(FILTER_JS, QUERIES[run % len(QUERIES)])
            script.append(result["script"])
            layout.append(result["layout"])
        return {"first_ms": first, "script_median": statistics.median(script), "script_max": max(script),
                "layout_median": statistics.median(layout), "layout_max": max(layout)}
    finally:
        context.close()


def kb(count: int) -> str:
    return f"{count / 1024:,.1f} KB"


def measure(browser: Browser, site: Path, runs: int) -> dict[str, Any]:
    with served(site) as base_url:
        bodies = first_load(browser, base_url + "gallery/")
        raw, packed = sizes(bodies)
        html = len((site / "gallery" / "index.html").read_bytes())
        return {"html_raw": html, "first_raw": raw, "first_gzip": packed, "requests": len(bodies),
                **filter_times(browser, base_url + "gallery/", runs)}


def measure_mkdocs(browser: Browser, catalog: Catalog, folder: Path) -> dict[str, Any]:
    started = time.perf_counter()
    with pytest.MonkeyPatch.context() as monkeypatch:
        site = mkdocs_site(folder, catalog, monkeypatch)
    built = time.perf_counter() - started
    with served(site) as base_url:
        bodies = first_load(browser, base_url + "gallery/")

    def gallery_own(url: str, kind: str) -> bool:
        return urlsplit(url).path.startswith("/gallery/")

    def search(url: str, kind: str) -> bool:
        return "/search/" in urlsplit(url).path

    return {"build_s": built, "search_index": (site / "search" / "search_index.json").stat().st_size,
            "gallery": sizes(bodies, gallery_own), "search": sizes(bodies, search), "all": sizes(bodies),
            "data_file": sizes({p.name: ("fetch", p.read_bytes()) for p in (site / "gallery").glob("threads.*")})}


def main() -> None:
    # the generated catalog has unlisted versions: their site paths need the key (any key will do here)
    os.environ.setdefault(KEY_ENV, "benchmark-only-unlisted-key-0123456789abcdef")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline-rev", default=baseline_rev())
    parser.add_argument("--no-mkdocs", action="store_true")
    args = parser.parse_args()

    results: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        baseline = load_baseline(args.baseline_rev, Path(tmp) / "baseline")
        for count in args.threads:
            catalog = generated_catalog(count)
            paged_site, single_site = Path(tmp) / f"paged{count}", Path(tmp) / f"single{count}"
            gallery.write_standalone(paged_site, catalog)
            write_baseline_index(baseline, catalog, single_site)
            results[count] = {"listed": len(catalog.listed), "paged": measure(browser, paged_site, args.runs),
                              "single": measure(browser, single_site, args.runs)}
            if not args.no_mkdocs:
                results[count]["mkdocs"] = measure_mkdocs(browser, catalog, Path(tmp) / f"mkdocs{count}")
            print(json.dumps({count: results[count]}, indent=1), flush=True)
        browser.close()
    report(results)


def report(results: dict[int, dict[str, Any]]) -> None:
    print("\n| threads (listed) | what | paged | single page | ratio |\n|---|---|---|---|---|")
    for count, result in results.items():
        paged, single = result["paged"], result["single"]
        label = f"{count:,} ({result['listed']:,})"
        for name, key, fmt in (("index HTML, raw", "html_raw", kb), ("first load, raw", "first_raw", kb),
                               ("first load, gzip", "first_gzip", kb)):
            print(f"| {label} | {name} | {fmt(paged[key])} | {fmt(single[key])} | {single[key] / paged[key]:.0f}x |")
        for name, key in (("filter, script (median / max)", "script"), ("filter + layout (median / max)", "layout")):
            print(f"| {label} | {name} | {paged[key + '_median']:.1f} / {paged[key + '_max']:.1f} ms "
                  f"| {single[key + '_median']:.1f} / {single[key + '_max']:.1f} ms "
                  f"| {single[key + '_median'] / max(paged[key + '_median'], 0.01):.0f}x |")
        print(f"| {label} | first filter (fetches the data file) | {paged['first_ms']:.0f} ms "
              f"| {single['first_ms']:.0f} ms | |")
        if "mkdocs" in result:
            m = result["mkdocs"]
            print(f"| {label} | mkdocs build: search_index.json | {kb(m['search_index'])} | | |")
            print(f"| {label} | mkdocs: index first load, gallery's own / search / all (gzip) "
                  f"| {kb(m['gallery'][1])} / {kb(m['search'][1])} / {kb(m['all'][1])} | | |")
            print(f"| {label} | data file, raw / gzip | {kb(m['data_file'][0])} / {kb(m['data_file'][1])} | | |")


if __name__ == "__main__":
    main()
