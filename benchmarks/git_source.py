"""Git source (issue 23): a cold scan and an unchanged rerun of N versions read from git, against the directory
source on the same corpus, in one run.

    python benchmarks/git_source.py [--count 10000] [--repeat 3] [--loose] [--keep DIR]

- corpus: ``benchmarks/bulk.py``'s generator (N versions, ``thread/version/src/...``, 30% React with a
  ``package.json``), committed in one commit to a fresh repository; then packed (``git gc``), as a clone or the
  git source's own mirror of a URL is (``--loose`` keeps the loose objects ``git add`` wrote instead);
- **cold scan**: :func:`scan_sources` with an empty build cache (every version read and validated: the directory
  source reads its files, the git source its blobs through one ``cat-file`` process);
- **unchanged rerun**: the same scan again (median of ``--repeat``): the directory source stats every file, the
  git source lists the tree (``ls-tree``) and reads no blob;
- the same scans of a ``file://`` URL to the repository (a mirror cloned into the cache on the cold scan,
  fetched on every rerun).

Seconds; ratios are git / directory (the issue's target: the git source's unchanged rerun no slower).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bulk import generate  # noqa: E402
from mkdocs_hybrid.config.manifest import parse_manifest  # noqa: E402
from mkdocs_hybrid.sources.git import GIT  # noqa: E402
from mkdocs_hybrid.sources.scan import scan_sources  # noqa: E402

IDENT = ["-c", "user.name=Bench", "-c", "user.email=bench@example.com", "-c", "gc.auto=0"]


def git(repo: Path, *args: str) -> None:
    done = subprocess.run(["git", *IDENT, *args], cwd=repo, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"git {args[0]}: {done.stderr.strip()}")


def scanner(root: Path, source: dict[str, str], cache: str) -> Callable[[], int]:
    manifest = parse_manifest({"sources": [source], "build": {"cache_dir": cache}}, base_dir=root, origin="bench")

    def scan() -> int:
        result = scan_sources(manifest)
        assert not result.errors, result.errors[:3]
        return len(result.snapshots)

    return scan


def measure(name: str, scan: Callable[[], int], count: int, repeat: int) -> tuple[float, float]:
    start = time.perf_counter()
    assert scan() == count
    cold = time.perf_counter() - start
    read = GIT.blobs_read
    reruns = []
    for _ in range(repeat):
        start = time.perf_counter()
        assert scan() == count
        reruns.append(time.perf_counter() - start)
    blobs = GIT.blobs_read - read
    print(f"{name:<22} cold {cold:7.2f} s   unchanged rerun {statistics.median(reruns):6.3f} s "
          f"(blobs read on reruns: {blobs})", flush=True)
    return cold, statistics.median(reruns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--loose", action="store_true", help="leave the objects loose (no git gc)")
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temp folder)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="git-source-"))
    try:
        start = time.perf_counter()
        generate(work, args.count, 0.3)
        git(work, "init", "--quiet", "--initial-branch=main")
        git(work, "add", "--all", "demos")
        git(work, "commit", "--quiet", "-m", "corpus")
        if not args.loose:
            git(work, "gc", "--quiet")
        time.sleep(2.5)  # past the source index's racy window: the directory source's files are indexed
        print(f"corpus: {args.count:,} versions, {sum(1 for p in (work / 'demos').rglob('*') if p.is_file()):,} "
              f"files, {'loose' if args.loose else 'packed'} objects (setup {time.perf_counter() - start:.1f} s)")
        folder = measure("directory", scanner(work, {"type": "directory", "path": "demos"}, ".cache-dir"),
                         args.count, args.repeat)
        local = measure("git (local repo)", scanner(work, {"type": "git", "repo": ".", "ref": "main",
                                                           "path": "demos"}, ".cache-git"), args.count, args.repeat)
        url = measure("git (file:// URL)", scanner(work, {"type": "git", "repo": work.as_uri(), "ref": "main",
                                                          "path": "demos"}, ".cache-url"), args.count, args.repeat)
        for name, (cold, rerun) in (("git (local repo)", local), ("git (file:// URL)", url)):
            print(f"{name} / directory: cold {cold / folder[0]:.2f}, unchanged rerun {rerun / folder[1]:.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
