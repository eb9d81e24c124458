"""What the whole-build short cut's check costs at scale, part by part, against the walk and stat of the sources.

    python benchmarks/shortcut_scale.py --count 50000 --keep DIR [--runs 3] [--code CHECKOUT] [--site-files N]

Generates ``bulk.py``'s corpus in ``--keep`` (or reuses it) and scans it once (untimed: the source index a real
no-op loads), without building it: a cold build of 50,000 versions takes about an hour on a shared 2-core
machine. Then, in this process and alternating run by run, it times (wall and CPU seconds, the load before each):

- the floor: ``os.walk`` and ``lstat`` of every entry of ``demos/`` (as ``noop_cli.py``'s, minus start-up);
- the signature: ``WholeBuild``'s digest of every input (the sources' listing through the source index, the
  package's and toolchain's stats), what a no-op computes before anything else;
- the record read back and the site checked against it: a JSON body as ``WholeBuild.record`` writes it (the
  catalog of ``--count`` versions and the stat of ``--site-files`` files: source files stand in for the site's),
  loaded, the catalog made (``catalog_from_json``) and every file ``lstat``-ed and compared
  (``whole_build._site_difference``), with the cycle collector paused where the checkout pauses it.

The parent holds no large structure between parts (the body is kept as bytes), so the collector runs as often as
in a real no-op's process; ``--code`` is imported after ``bulk.py``'s import, which loads this checkout (before,
``--code`` measured this checkout).

A no-op's cost is about their sum plus the start-up (``mkdocs-hybrid --version``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=50000, help="synthetic versions (4 per thread)")
    parser.add_argument("--runs", type=int, default=3, help="runs (the median is reported)")
    parser.add_argument("--keep", type=Path, required=True, help="the corpus folder (made when missing)")
    parser.add_argument("--code", type=Path, default=REPO, help="mkdocs-hybrid checkout to measure")
    parser.add_argument("--site-files", type=int, default=150000, help="files of the site check (at most the sources')")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bulk import generate  # it puts this checkout first on sys.path and imports from it: --code replaces it

    for name in [name for name in sys.modules if name.split(".")[0] == "mkdocs_hybrid"]:
        del sys.modules[name]
    sys.path.insert(0, str(args.code))
    from mkdocs_hybrid.config.manifest import load_manifest
    from mkdocs_hybrid.model.catalog import Catalog, ThreadEntry, VersionEntry, catalog_from_json, catalog_to_json
    from mkdocs_hybrid.sources import scan as scan_module
    from mkdocs_hybrid.sources.scan import scan_sources
    from mkdocs_hybrid.whole_build import WholeBuild, _site_difference

    paused = getattr(scan_module, "collector_paused", nullcontext)  # the code before it did not pause it
    print(f"code: {Path(scan_module.__file__).parents[2]}", flush=True)

    root: Path = args.keep
    if not (root / "demos").is_dir():
        generate(root, args.count, 0.3)
    if not (root / ".cache" / "sources.json").exists():
        scan_sources(load_manifest(root / "hybrid.yml"))

    def walk() -> None:
        for folder, folders, files in os.walk(root / "demos"):
            for name in folders + files:
                os.lstat(os.path.join(folder, name))

    def signature() -> None:
        manifest = load_manifest(root / "hybrid.yml")
        assert WholeBuild(manifest, root / "site", (), eligible=True, ledger=True)._signature() is not None

    versions = tuple(VersionEntry(version=f"v{v}", title=f"Demo {v}", created="2026-01-01T00:00:00Z", author=None,
                                  tags=("a",), entry="src/index.js", unlisted=False, build_key="k" * 64)
                     for v in (4, 3, 2, 1))
    text = catalog_to_json(Catalog(threads=tuple(
        ThreadEntry(id=f"t{t:05d}", title=f"Thread {t}", description=None, tags=(), latest="v4", unlisted=False,
                    versions=versions) for t in range(args.count // 4))))
    demos = root / "demos"
    names = [os.path.relpath(os.path.join(folder, name), demos) for folder, _, found in os.walk(demos)
             for name in found][:args.site_files]
    stats = [(name, os.lstat(demos / name)) for name in names]
    body = json.dumps({"format": 1, "signature": "s", "catalog": text, "report": {},
                       "files": {name: [s.st_size, s.st_mtime_ns, s.st_ino, s.st_ctime_ns] for name, s in stats}},
                      separators=(",", ":")).encode()
    del names, stats

    def record_and_site() -> None:
        with paused():
            record = json.loads(body)
            catalog_from_json(record["catalog"])
            assert _site_difference(demos, record["files"], moved=set()) is None

    parts: dict[str, Callable[[], object]] = {"walk and lstat (floor)": walk, "signature": signature,
                                              "record and site check": record_and_site}
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in parts}
    for run in range(args.runs):
        for name, part in parts.items():
            load = os.getloadavg()[0]
            started, cpu = time.perf_counter(), time.process_time()
            part()
            samples[name].append((time.perf_counter() - started, time.process_time() - cpu))
            print(f"run {run + 1} {name:24} {samples[name][-1][0]:7.2f} s wall {samples[name][-1][1]:6.2f} CPU s "
                  f"(load {load:.1f})", flush=True)
    floor = statistics.median(cpu for _, cpu in samples["walk and lstat (floor)"])
    for name, values in samples.items():
        cpu = statistics.median(cpu for _, cpu in values)
        print(f"median {name:24} {statistics.median(wall for wall, _ in values):7.2f} s wall {cpu:6.2f} CPU s "
              f"({cpu / floor:.2f}x the floor's CPU)")


if __name__ == "__main__":
    main()
