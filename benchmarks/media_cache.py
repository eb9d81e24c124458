"""What posters and videos add to a build, made and cached: the sample projects, in one run.

    python benchmarks/media_cache.py [--runs 3] [--video all|samples]

Copies ``sample_projects`` and ``exports`` into a temporary project and times ``mkdocs-hybrid build`` there:

- baseline: a no-op rebuild without media (``--no-media``), everything else cached: the table's unit;
- cold media: the first build with media, the bundles already cached (so the difference is the media);
- cached rerun: the same build again, every poster and video from the media cache (no browser, no ffmpeg);

each as wall time and CPU time of the whole process tree (``benchmarks/process_cpu.py``: the CLI runs as a child,
and Chromium's orphaned processes are reaped here). ``--video all`` turns ``video.enabled`` on for every
version; ``samples`` (default) keeps the manifest's choice (posters for all, videos for the versions whose
``snapshot.yml`` says ``video: true``). Ratios are against the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.process_cpu import become_subreaper, tree_cpu  # noqa: E402


def timed_build(project: Path, *extra: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the build's whole process tree)."""
    cpu, wall = tree_cpu([sys.executable, "-c", "from mkdocs_hybrid.cli import main; main()", "build", "-m",
                          "hybrid.yml", "-d", "site", "-q", *extra], cwd=project,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    return wall, cpu


def project(root: Path, video_all: bool) -> Path:
    for name in ("sample_projects", "exports"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "hybrid-lock.json", root / "hybrid-lock.json")
    video = "video: {enabled: true}" if video_all else "video: {enabled: false}"
    (root / "hybrid.yml").write_text("sources:\n  - {type: directory, path: sample_projects}\n"
                                     "  - {type: snapshots, path: exports}\n"
                                     f"build: {{target: es2020, minify: true, ledger: false}}\n{video}\n")
    return root


def median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--video", choices=("all", "samples"), default="samples")
    args = parser.parse_args()
    become_subreaper()
    with tempfile.TemporaryDirectory(prefix="media-bench-") as folder:
        root = project(Path(folder), args.video == "all")
        timed_build(root, "--no-media")  # npm installs and bundles, into the caches
        baseline = median([timed_build(root, "--no-media") for _ in range(args.runs)])
        cold = []
        for _ in range(args.runs):
            shutil.rmtree(root / ".cache" / "mkdocs-hybrid" / "media", ignore_errors=True)
            cold.append(timed_build(root))
        cached = median([timed_build(root) for _ in range(args.runs)])
        versions = sum(1 for _ in (root / "site" / "artifacts").glob("*/*/meta.json"))
        videos = sum(1 for _ in (root / "site" / "artifacts").glob("*/*/video.mp4"))
    made = median(cold)
    print(f"sample site: {versions} versions, {videos} with a video (--video {args.video}), median of {args.runs}")
    print("| build | wall | CPU | CPU vs baseline |")
    print("|---|---|---|---|")
    for label, (wall, cpu) in (("no-op rebuild, --no-media (baseline)", baseline), ("media made (cold)", made),
                               ("media cached (rerun)", cached)):
        print(f"| {label} | {wall:.2f} s | {cpu:.2f} s | {cpu / baseline[1]:.2f}x |")
    print(f"media cost per version, cold: {(made[1] - baseline[1]) / versions * 1000:.0f} ms CPU; "
          f"cached rerun over the baseline: {(cached[1] - baseline[1]) * 1000:.0f} ms CPU in all")


if __name__ == "__main__":
    main()
