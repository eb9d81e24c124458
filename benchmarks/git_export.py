"""Export to git (issue 23): ``mkdocs-hybrid export git`` of N versions of the editor's store into a fresh repo.

    python benchmarks/git_export.py [--versions 10000] [--threads 2500] [--repeat 3] [--keep DIR]

- setup (timed, not the measure): N versions (v1, v2, ... of each thread, ``created`` a minute apart) saved into
  the SQLite store with :meth:`SnapshotStore.save`, as ``serve`` saves them; each is the editor's small demo of
  ``tests/live/test_live_edge.snapshot`` with an author and, one in four, a dependency (so a ``package.json``);
- **export**: :func:`export_to_git` into a fresh bare repository (N commits, one ``git fast-import``), best of
  ``--repeat`` fresh repositories; the commit ids of every repetition must be the same (determinism);
- **unchanged rerun**: the same export again into the exported repository (everything skipped, nothing written);
- **baselines** of the same run on the same trees:
  - *fast-import alone*: the same N commits streamed to ``git fast-import`` by a minimal script from files already
    in memory (no store read, no check of what the branch holds): what git itself costs;
  - *one commit by hand*: the same folders written to a working tree, then ``git add -A && git commit`` (one commit
    for all, not one per version), and its rerun with nothing changed (``git add -A`` + ``git status``).

Seconds; ratios are export / baseline.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mkdocs_hybrid.sources.git_export import _stream, export_to_git, planned_commits  # noqa: E402
from mkdocs_hybrid.sources.store import SnapshotStore  # noqa: E402
from tests.live.test_live_edge import snapshot  # noqa: E402

IDENT = ["-c", "user.name=Bench", "-c", "user.email=bench@example.com"]


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def save_versions(path: Path, versions: int, threads: int) -> SnapshotStore:
    store = SnapshotStore(path)
    for i in range(versions):
        thread, version = f"t{i % threads:05d}", f"v{i // threads + 1}"
        minute = i
        created = f"2026-{1 + minute // 43200 % 12:02d}-{1 + minute // 1440 % 28:02d}T{minute // 60 % 24:02d}:" \
                  f"{minute % 60:02d}:00Z"
        data = {**snapshot(thread, version, created=created), "author": f"Author {i % 7} <a{i % 7}@example.com>"}
        if i % 4 == 0:
            data["dependencies"] = {"canvas-confetti": "1.9.3"}
        store.save(thread, version, data)
    return store


def git(where: Path, *args: str, stdin: bytes | None = None) -> str:
    return subprocess.run(["git", *args], cwd=where, input=stdin, capture_output=True, check=True).stdout.decode()


def export_fresh(store: Path, repo: Path) -> tuple[float, str]:
    shutil.rmtree(repo, ignore_errors=True)
    seconds = timed(lambda: export_to_git([store], repo))
    return seconds, git(repo, "rev-parse", "main").strip()


def fast_import_alone(store: Path, repo: Path) -> float:
    """The same commits streamed by a minimal script (the stream built before the clock starts)."""
    shutil.rmtree(repo, ignore_errors=True)
    git(repo.parent, "init", "--quiet", "--bare", "-b", "main", str(repo))
    commits, _ = planned_commits(SnapshotStore(store))
    stream = _stream("refs/heads/main", None, commits, "")
    return timed(lambda: git(repo, "fast-import", "--quiet", "--done", stdin=stream))


def one_commit_by_hand(store: Path, work: Path) -> tuple[float, float]:
    """The same folders written to a working tree, then `git add -A && git commit` once; and its rerun."""
    shutil.rmtree(work, ignore_errors=True)
    git(work.parent, "init", "--quiet", "-b", "main", str(work))
    commits, _ = planned_commits(SnapshotStore(store))

    def write_and_commit() -> None:
        for commit in commits:
            for name, data in commit.files.items():
                path = work / commit.thread / commit.version / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        git(work, "add", "-A")
        git(work, *IDENT, "commit", "--quiet", "-m", "all versions")

    first = timed(write_and_commit)
    rerun = timed(lambda: (git(work, "add", "-A"), git(work, "status", "--porcelain")))
    return first, rerun


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=2_500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="Work in DIR and leave it (default: a temp folder).")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="git-export-"))
    root.mkdir(parents=True, exist_ok=True)
    store = root / "editor.sqlite"
    if not store.exists():
        saving = timed(lambda: save_versions(store, args.versions, args.threads))
        print(f"saving {args.versions:,} versions: {saving:.1f} s", flush=True)
    runs = [export_fresh(store, root / f"export-{i}.git") for i in range(args.repeat)]
    tips = {tip for _, tip in runs}
    repo = root / "export-0.git"
    count = int(git(repo, "rev-list", "--count", "main"))
    assert count == args.versions, f"{count} commits for {args.versions} versions"
    rerun = min(timed(lambda: export_to_git([store], repo)) for _ in range(args.repeat))
    assert int(git(repo, "rev-list", "--count", "main")) == count
    alone = min(fast_import_alone(store, root / "alone.git") for _ in range(args.repeat))
    by_hand, by_hand_rerun = one_commit_by_hand(store, root / "by-hand")
    export = min(seconds for seconds, _ in runs)
    result = {"versions": args.versions, "threads": args.threads, "commits": count,
              "same_commit_ids_every_run": len(tips) == 1, "export_s": round(export, 2), "rerun_s": round(rerun, 2),
              "fast_import_alone_s": round(alone, 2), "one_commit_by_hand_s": round(by_hand, 2),
              "one_commit_by_hand_rerun_s": round(by_hand_rerun, 2),
              "export_vs_fast_import_alone": round(export / alone, 2),
              "export_vs_one_commit_by_hand": round(export / by_hand, 2),
              "rerun_vs_by_hand_rerun": round(rerun / by_hand_rerun, 2),
              "repository_bytes": sum(p.stat().st_size for p in repo.rglob("*") if p.is_file())}
    print(json.dumps(result, indent=2))
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
