"""Bulk export benchmark: our export against plain esbuild on the same snapshots, in one run.

    python benchmarks/bulk.py [--count 1000] [--react-share 0.3] [--keep DIR] [--mkdocs-only]
    python benchmarks/bulk.py --bundle-phase [--count 500] [--runs 3]

Generates N realistic snapshots (vanilla JS/TS demos with CSS, and React + TSX demos),
then measures, in this order and on the same inputs:

- floor: plain native esbuild, same flags, batches of 50 entry points (what bundling alone costs);
- naive: one esbuild process per snapshot (the obvious script);
- cold export: ``Export.run`` with an empty bundle cache (npm install already cached, as in CI),
  sequential (``--jobs 1``) and with one esbuild batch per CPU;
- cold ``mkdocs build`` with the gallery and MkDocs' search (a real MkDocs project over the same snapshots);
- no-op ``mkdocs build``, and one after 1% of the versions were added as new versions (MkDocs cleans its
  site folder on every build, so these write the whole site again, from the cache and the ledger);
- MkDocs alone: the same number of plain out-of-nav pages with search and no plugin (the least a no-op
  ``mkdocs build`` of the gallery can cost);
- no-op ``Export.run``, and one with 1% of the versions changed (into the same folder, which it keeps).

Every rebuild is the median of 3 runs: they are short, so the noisiest. ``--mkdocs-only`` skips the
naive and export measurements (the floor stays: it is the table's unit).

Figures are reported as ratios against the floor measured in the same run, because the
machines this runs on are shared and noisy.

``--bundle-phase`` times only the cold build's bundle phase (the report's ``dependencies`` and ``bundle``
timings of a cold ``Export.run``: import scan, vendor files, esbuild batches, artifacts written), npm installs
and vendor files kept, against its floor: plain esbuild over the same entries, packages external, in one
process. The two alternate ``--runs`` times; it prints wall and CPU seconds (esbuild's sandboxed processes
included) of each, the medians' ratio and issue 24's target, then how ours' CPU splits: esbuild, writing the
files it wrote alone (the same bytes and paths, through a temporary file and a rename, in a plain loop), and the
rest. Each run's output is set aside, not deleted, until the end (see :class:`SetAside`).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPEATS = 3
sys.path.insert(0, str(REPO))

from benchmarks.process_cpu import become_subreaper, reap_orphans  # noqa: E402
from mkdocs_hybrid.bundle.flags import esbuild_flags  # noqa: E402
from mkdocs_hybrid.bundle.toolchain import find_toolchain  # noqa: E402
from mkdocs_hybrid.config.manifest import load_manifest  # noqa: E402
from mkdocs_hybrid.pipeline import Export  # noqa: E402

REACT_APP = """import {{ useState, useMemo }} from "react";
import {{ createRoot }} from "react-dom/client";
import "./app.css";

type Item = {{ id: number; label: string; done: boolean }};

function App() {{
  const [items, setItems] = useState<Item[]>(
    Array.from({{ length: {n} }}, (_, i) => ({{ id: i, label: "Task " + i, done: i % 3 === 0 }})));
  const left = useMemo(() => items.filter((i) => !i.done).length, [items]);
  return (
    <main className="app-{seed}">
      <h1>Demo {seed}</h1>
      <p>{{left}} left</p>
      <ul>{{items.map((i) => (
        <li key={{i.id}} onClick={{() => setItems(items.map((x) => x.id === i.id ? {{ ...x, done: !x.done }} : x))}}>
          {{i.done ? "✓ " : ""}}{{i.label}}
        </li>))}}</ul>
    </main>
  );
}}
createRoot(document.getElementById("root")!).render(<App />);
"""

VANILLA = """import {{ palette }} from "./palette.js";
import "./style.css";
const canvas = document.createElement("canvas");
document.body.append(canvas);
const ctx = canvas.getContext("2d");
let t = {seed};
function frame() {{
  canvas.width = innerWidth; canvas.height = innerHeight;
  for (let i = 0; i < {n}; i++) {{
    ctx.fillStyle = palette[i % palette.length];
    ctx.beginPath();
    ctx.arc((Math.sin(t + i) + 1) * innerWidth / 2, (Math.cos(t * 1.3 + i) + 1) * innerHeight / 2, 4 + i % 7, 0, 7);
    ctx.fill();
  }}
  t += 0.01;
  requestAnimationFrame(frame);
}}
frame();
"""


def generate(root: Path, count: int, react_share: float) -> None:
    rng = random.Random(42)
    for index in range(count):
        thread, version = f"t{index // 4:05d}", f"v{index % 4 + 1}"
        folder = root / "demos" / thread / version
        (folder / "src").mkdir(parents=True)
        n = rng.randint(5, 60)
        if rng.random() < react_share:
            (folder / "src/index.tsx").write_text(REACT_APP.format(n=n, seed=index))
            (folder / "src/app.css").write_text(f".app-{index} {{ font: 16px system-ui; color: #{index % 999:03d} }}\n"
                                                 * rng.randint(1, 20))
            (folder / "package.json").write_text(json.dumps({"dependencies": {"react": "18.3.1",
                                                                              "react-dom": "18.3.1"}}))
        else:
            (folder / "src/index.js").write_text(VANILLA.format(n=n, seed=index))
            colors = [f"#{rng.randrange(16**6):06x}" for _ in range(rng.randint(3, 40))]
            (folder / "src/palette.js").write_text(f"export const palette = {json.dumps(colors)};\n")
            (folder / "src/style.css").write_text("body { margin: 0; background: #111 }\n")
    (root / "hybrid.yml").write_text("sources: [{type: directory, path: demos}]\nbuild: {cache_dir: .cache}\n")


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def plain_esbuild(root: Path, batch: int) -> float:
    """The floor: the same entries and flags, grouped by dependency set, 50 per call."""
    toolchain = find_toolchain(REPO)
    manifest = load_manifest(root / "hybrid.yml")
    flags = esbuild_flags(manifest.build)
    react_modules = next((manifest.cache_dir / "deps").glob("*/node_modules"))
    groups: dict[str, list[str]] = {"react": [], "none": []}
    for entry in sorted((root / "demos").glob("*/*/src/index.*")):
        groups["react" if entry.suffix == ".tsx" else "none"].append(str(entry.relative_to(root / "demos")))
    out = Path(tempfile.mkdtemp())

    def run() -> None:
        for name, entries in groups.items():
            env = {"PATH": os.environ["PATH"], "NODE_PATH": str(react_modules) if name == "react" else ""}
            for start in range(0, len(entries), batch):
                subprocess.run([str(toolchain.esbuild), *entries[start:start + batch], *flags, f"--outdir={out}",
                                "--outbase=.", "--log-level=error"], cwd=root / "demos", env=env, check=True)

    try:
        return timed(run)
    finally:
        shutil.rmtree(out)


def naive(root: Path, limit: int) -> tuple[float, int]:
    """One esbuild process per snapshot (measured on the first ``limit`` and scaled)."""
    toolchain = find_toolchain(REPO)
    manifest = load_manifest(root / "hybrid.yml")
    react_modules = next((manifest.cache_dir / "deps").glob("*/node_modules"))
    entries = sorted((root / "demos").glob("*/*/src/index.*"))[:limit]
    out = Path(tempfile.mkdtemp())

    def run() -> None:
        for entry in entries:
            env = {"PATH": os.environ["PATH"], "NODE_PATH": str(react_modules)}
            subprocess.run([str(toolchain.esbuild), str(entry), *esbuild_flags(manifest.build),
                            f"--outfile={out}/x.js", "--log-level=error"], env=env, check=True)

    try:
        return timed(run), len(entries)
    finally:
        shutil.rmtree(out)


def mkdocs_build(root: Path) -> None:
    """A real ``mkdocs build`` of the same snapshots with the hybrid plugin (gallery and search included)."""
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs/index.md").write_text("# Bench\n")
    (root / "mkdocs.yml").write_text("site_name: bench\ntheme: {name: mkdocs, highlightjs: false}\n"
                                     "plugins: [search, {hybrid: {manifest: hybrid.yml}}]\n")
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(root / "mkdocs-site")], cwd=root,
                   check=True, env={**os.environ, "PYTHONPATH": str(REPO)})


def plain_mkdocs_project(root: Path, pages: int) -> Path:
    """A MkDocs project without the plugin: as many small out-of-nav pages as the gallery makes, with search."""
    plain = root / "mkdocs-alone"
    shutil.rmtree(plain, ignore_errors=True)
    for n in range(pages):
        page = plain / "docs" / "gallery" / f"t{n}" / "index.md"
        page.parent.mkdir(parents=True)
        page.write_text(f"---\ntitle: Thread {n}\n---\nA demo thread.\n")
    (plain / "docs/index.md").write_text("# Bench\n")
    (plain / "mkdocs.yml").write_text("site_name: bench\ntheme: {name: mkdocs, highlightjs: false}\n"
                                      "plugins: [search]\nnot_in_nav: /gallery/\n")
    return plain


def mkdocs_alone(root: Path, pages: int) -> float:
    """The same ``mkdocs build`` without the plugin (:func:`plain_mkdocs_project`): what MkDocs costs by itself
    for those pages, the least a no-op build of the gallery can take."""
    plain = plain_mkdocs_project(root, pages)

    def build() -> None:
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=plain, check=True)

    build()
    return median_of(REPEATS, lambda _: timed(build))


def forget_builds(manifest, discard=lambda path: shutil.rmtree(path, ignore_errors=True)) -> None:
    """A cold build: no bundle cache and no publish ledger (npm installs stay, as a CI cache keeps them)."""
    for name in ("bundles.sqlite", "bundles.sqlite-wal", "bundles.sqlite-shm"):
        (manifest.cache_dir / name).unlink(missing_ok=True)
    discard(manifest.base_dir / ".mkdocs-hybrid")


class SetAside:
    """Moves a run's output out of the way (one rename) and deletes it all at the end.

    Deleting thousands of files just before a run writes thousands more is not a cold build: on this machine's
    ext4 (mounted without a journal) the inode allocator then skips every recently deleted inode, reading its
    table block, for each file created (``recently_deleted`` in ``find_inode_bit``: 40% of a bundle phase's
    samples under ``perf``, growing run by run). Both sides of the bundle-phase row set their output aside, so
    each run creates its files as a build on a fresh runner does."""

    def __init__(self, root: Path) -> None:
        self.folder = root / ".set-aside"

    def __call__(self, path: Path) -> None:
        if path.exists():
            self.folder.mkdir(exist_ok=True)
            path.rename(Path(tempfile.mkdtemp(dir=self.folder)) / path.name)

    def empty(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def change_one_percent(root: Path, round_: int) -> None:
    """Save a new version of one version in a hundred (published versions are immutable). A round a kept corpus
    already has is skipped for the next one it has not (its new versions exist)."""
    round_ = _next_round(root, round_)
    folders = sorted(p for p in (root / "demos").glob("*/*/") if "-r" not in p.name)
    for folder in folders[round_ % 100:: 100]:
        new = folder.parent / f"{folder.name}-r{round_}"
        shutil.copytree(folder, new)
        entry = next((new / "src").glob("index.*"))
        entry.write_text(entry.read_text() + f"\nconsole.debug('changed in round {round_}');\n")


def _next_round(root: Path, start: int) -> int:
    """The first round from ``start`` that :func:`change_one_percent` has not made yet."""
    made = {int(p.name.rsplit("-r", 1)[1]) for p in (root / "demos").glob("*/*-r*")}
    return next(round_ for round_ in itertools.count(start) if round_ not in made)


def median_of(runs: int, action) -> float:
    """Short measurements are the noisiest: take the median of a few."""
    return statistics.median(action(i) for i in range(runs))


def site_stats(site: Path) -> tuple[int, int]:
    files = [p for p in site.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def mkdocs_rows(root: Path, manifest) -> list[tuple[str, float]]:
    """Cold, no-op and 1%-added ``mkdocs build`` (its 1% rounds are rounds 50.. of :func:`change_one_percent`)."""
    forget_builds(manifest)
    cold = timed(lambda: mkdocs_build(root))
    noop = median_of(REPEATS, lambda _: timed(lambda: mkdocs_build(root)))

    def one_percent_round(round_: int) -> float:
        change_one_percent(root, 50 + round_)
        return timed(lambda: mkdocs_build(root))

    changed = median_of(REPEATS, one_percent_round)
    pages = sum(1 for _ in (root / "mkdocs-site" / "gallery").glob("*/index.html")) + 1
    return [
        ("our cold mkdocs build with the gallery", cold),
        (f"our no-op mkdocs build (median of {REPEATS})", noop),
        (f"our mkdocs build, 1% of versions added (median of {REPEATS})", changed),
        (f"MkDocs alone, {pages} plain pages (median of {REPEATS})", mkdocs_alone(root, pages)),
    ]


def export_cold_rows(root: Path, manifest) -> list[tuple[str, float]]:
    forget_builds(manifest)
    sequential = timed(lambda: Export(manifest, jobs=1).run(root / "site-sequential"))
    forget_builds(manifest)
    cold = timed(lambda: Export(manifest).run(root / "site"))
    return [("our cold export, --jobs 1", sequential), (f"our cold export, --jobs {os.cpu_count()}", cold)]


def export_rebuild_rows(root: Path, manifest) -> list[tuple[str, float]]:
    Export(manifest).run(root / "site")  # untimed: takes in the versions the mkdocs rounds added
    noop = median_of(REPEATS, lambda _: timed(lambda: Export(manifest).run(root / "site")))

    def one_percent_round(round_: int) -> float:
        change_one_percent(root, round_)
        return timed(lambda: Export(manifest).run(root / "site"))

    changed = median_of(REPEATS, one_percent_round)
    return [(f"our no-op rebuild (median of {REPEATS})", noop),
            (f"our rebuild, 1% of versions changed (median of {REPEATS})", changed)]


BUNDLE_PHASE = ("dependencies", "bundle")
"""The report's timings that make a cold build's bundle phase (npm sets found installed, imports scanned, vendor
files found, demos bundled and their artifacts written)."""
BUNDLE_PHASE_TARGET = 1.25


def cpu_seconds(who: tuple[int, ...] = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) -> float:
    """CPU of this process and of every child it reaped (esbuild in its sandbox is re-parented here)."""
    reap_orphans()
    return sum(getattr(resource.getrusage(one), field) for one in who for field in ("ru_utime", "ru_stime"))


def esbuild_one_process(root: Path, aside: SetAside) -> tuple[float, float, float]:
    """The bundle phase's floor: every entry in one esbuild call, packages external. (wall, CPU) seconds."""
    toolchain = find_toolchain(REPO)
    flags = [*esbuild_flags(load_manifest(root / "hybrid.yml").build), "--packages=external"]
    entries = [str(p.relative_to(root / "demos")) for p in sorted((root / "demos").glob("*/*/src/index.*"))]
    out = root / "floor-out"
    aside(out)
    cpu, start = cpu_seconds(), time.perf_counter()
    subprocess.run([str(toolchain.esbuild), *entries, *flags, f"--outdir={out}", "--outbase=.",
                    "--log-level=error"], cwd=root / "demos", env={"PATH": os.environ["PATH"]}, check=True)
    spent = cpu_seconds() - cpu
    return time.perf_counter() - start, spent, spent


PHASE_FILES = ("artifacts", ("page.html", "style.css", "source.json", "meta.json")), ("p", ("index.html",))
"""What a bundle phase writes per version: the artifact's files and the share page."""


def writing_alone(site: Path, aside: SetAside) -> tuple[float, float, int]:
    """What writing the bundle phase's files costs by itself: the same bytes to the same paths, each through a
    temporary file and a rename as the build writes them, folders made as needed. (wall, CPU) seconds, files."""
    files = [(path.relative_to(site), path.read_bytes()) for top, names in PHASE_FILES
             for path in sorted((site / top).glob("*/*/*")) if path.name in names]
    out = site.parent / "writes-alone"
    aside(out)
    cpu, start = cpu_seconds(), time.perf_counter()
    for relative, data in files:
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(target.name + ".tmp")
        with open(temp, "xb") as handle:
            handle.write(data)
        os.replace(temp, target)
    return time.perf_counter() - start, cpu_seconds() - cpu, len(files)


class PhaseExport(Export):
    """An export that also counts the CPU of each timed phase (its own and its children's)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cpu: dict[str, float] = {}
        self.children: dict[str, float] = {}
        """The part of ``cpu`` spent in child processes (esbuild, bubblewrap, prlimit)."""

    @contextlib.contextmanager
    def _timed(self, name: str):
        before, children = cpu_seconds(), cpu_seconds((resource.RUSAGE_CHILDREN,))
        with super()._timed(name):
            yield
        self.cpu[name] = self.cpu.get(name, 0.0) + cpu_seconds() - before
        self.children[name] = self.children.get(name, 0.0) + cpu_seconds((resource.RUSAGE_CHILDREN,)) - children


def bundle_phase(root: Path, manifest, aside: SetAside) -> tuple[float, float, float]:
    """A cold build's bundle phase (bundle cache and ledger forgotten, npm sets and vendor files kept)."""
    forget_builds(manifest, aside)
    site = root / "site-phase"
    aside(site)
    export = PhaseExport(manifest, media=False)
    export.run(site)
    if export.report.failed:
        raise SystemExit(f"{len(export.report.failed)} versions failed: {export.report.failed[0]}")
    return (sum(export.report.timings[name] for name in BUNDLE_PHASE),
            sum(export.cpu[name] for name in BUNDLE_PHASE), sum(export.children[name] for name in BUNDLE_PHASE))


def bundle_phase_rows(root: Path, manifest, runs: int) -> None:
    """Floor and ours alternating ``runs`` times (the floor first in odd runs), then the medians' ratio; and
    writing ours' files alone after each of ours, to show what is left beyond esbuild and the writes."""
    become_subreaper()
    aside = SetAside(root)
    ours, floor, writes = [], [], []
    try:
        for run in range(runs):
            pair = [("floor", lambda: esbuild_one_process(root, aside)),
                    ("ours", lambda: bundle_phase(root, manifest, aside))]
            for name, action in pair if run % 2 == 0 else reversed(pair):
                (floor if name == "floor" else ours).append(action())
            writes.append(writing_alone(root / "site-phase", aside))
            load = os.getloadavg()[0]
            print(f"run {run + 1}: ours {ours[-1][0]:.2f} s wall, {ours[-1][1]:.2f} s CPU ({ours[-1][2]:.2f} s of it "
                  f"in esbuild and its sandboxes); floor {floor[-1][0]:.2f} s wall, {floor[-1][1]:.2f} s CPU; x floor "
                  f"{ours[-1][0] / floor[-1][0]:.2f} wall, {ours[-1][1] / floor[-1][1]:.2f} CPU; writing ours' files "
                  f"alone {writes[-1][0]:.2f} s wall, {writes[-1][1]:.2f} s CPU; load {load:.2f}", flush=True)
    finally:
        aside.empty()
    wall = statistics.median(o[0] for o in ours), statistics.median(f[0] for f in floor)
    cpu = statistics.median(o[1] for o in ours), statistics.median(f[1] for f in floor)
    processes = statistics.median(o[2] for o in ours), cpu[1]
    print(f"{'cold bundle phase, median of ' + str(runs):34} {'ours':>8} {'floor':>8} {'x floor':>8} {'target':>8}")
    for label, (mine, base) in (("wall seconds", wall), ("CPU seconds", cpu), ("CPU seconds of esbuild processes",
                                                                                processes)):
        print(f"{label:34} {mine:8.2f} {base:8.2f} {mine / base:8.2f} {'<= ' + str(BUNDLE_PHASE_TARGET):>8}")
    written = statistics.median(w[1] for w in writes)
    rest = cpu[0] - processes[0] - written
    print(f"ours' CPU: esbuild {processes[0]:.2f} s, writing its {writes[-1][2]} files alone {written:.2f} s, "
          f"the rest (planning, rendering, hashing, caching) {rest:.2f} s; ours against the floor plus the writes: "
          f"{cpu[0] / (cpu[1] + written):.2f}x CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=None, help="versions (default 1000; 500 with --bundle-phase)")
    parser.add_argument("--react-share", type=float, default=0.3)
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temp folder)")
    parser.add_argument("--mkdocs-only", action="store_true", help="only the floor and the mkdocs build rows")
    parser.add_argument("--bundle-phase", action="store_true",
                        help="only the cold build's bundle phase against esbuild in one process (--count 500)")
    parser.add_argument("--runs", type=int, default=3, help="--bundle-phase: alternating runs (median)")
    args = parser.parse_args()
    args.count = args.count or (500 if args.bundle_phase else 1000)
    root = args.keep or Path(tempfile.mkdtemp(prefix="hybrid-bench-"))
    if not (root / "hybrid.yml").exists():  # a kept corpus is reused as it is
        generate(root, args.count, args.react_share)
    manifest = load_manifest(root / "hybrid.yml")

    warm = Export(manifest, media=False if args.bundle_phase else None)  # installs react once, as a CI cache would
    warm.run(root / "warm-site")
    if args.bundle_phase:
        bundle_phase_rows(root, manifest, args.runs)
        if not args.keep:
            shutil.rmtree(root)
        return

    floor = plain_esbuild(root, 50)
    rows = [("plain esbuild, 50 per call (floor)", floor)]
    if not args.mkdocs_only:
        naive_seconds, naive_count = naive(root, min(args.count, 200))
        rows.append((f"naive, 1 process per snapshot (scaled from {naive_count})",
                     naive_seconds * args.count / naive_count))
        rows += export_cold_rows(root, manifest)
    mkdocs = mkdocs_rows(root, manifest)
    rows += mkdocs
    if not args.mkdocs_only:
        rows += export_rebuild_rows(root, manifest)

    print(f"{args.count} snapshots ({args.react_share:.0%} React), {os.cpu_count()} CPUs")
    print(f"{'measurement':62} {'seconds':>8} {'x floor':>8}")
    for name, seconds in rows:
        print(f"{name:62} {seconds:8.2f} {seconds / floor:8.2f}")
    mkdocs_cold, mkdocs_noop, mkdocs_added, alone = (seconds for _, seconds in mkdocs)
    search_index = (root / "mkdocs-site" / "search" / "search_index.json").stat().st_size
    print(f"mkdocs build: no-op = {mkdocs_noop / mkdocs_cold:.0%} of cold; 1% added = {mkdocs_added / mkdocs_cold:.0%}"
          f" of cold; MkDocs alone = {alone / mkdocs_cold:.0%} of cold;"
          f" search_index.json = {search_index / 1e3:.0f} KB")
    if not args.mkdocs_only:
        naive_scaled, cold = rows[1][1], rows[3][1]
        noop, changed = rows[-2][1], rows[-1][1]
        print(f"cold export vs naive: {naive_scaled / cold:.1f}x faster; no-op rebuild = {noop / cold:.0%} of cold; "
              f"1% changed = {changed / cold:.0%} of cold")
    files, size = site_stats(root / ("mkdocs-site" if args.mkdocs_only else "site"))
    print(f"site: {files} files, {size / 1e6:.1f} MB, {size / args.count / 1e3:.1f} KB and "
          f"{files / args.count:.1f} files per version")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: {own:.0f} MB in this process, {children:.0f} MB in the largest child (esbuild or mkdocs)")
    if not args.keep:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
