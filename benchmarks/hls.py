"""HLS benchmark (issue 25): CPU seconds per second of video of a long attached video's ladder, against the MP4
transcode of the same input as the floor, in the same run.

    python benchmarks/hls.py [--seconds 30] [--size 1920x1080] [--runs 3]

A synthetic recording (ffmpeg's ``testsrc2`` pattern, always moving, with a sine tone; H.264 at ``--size``, 30 fps)
is made once. Each run transcodes it twice through ``mkdocs_hybrid.media._attached.transcode_attached``: without
HLS (the floor: ``video.mp4``, ``preview.mp4``, poster and card, as every attached video gets) and with HLS
(the same, and the ladder: 360p/720p/1080p at or below the source's height, AAC sound), in alternating order
(ABBA across runs). CPU is every ffmpeg/ffprobe child's (``getrusage(RUSAGE_CHILDREN)`` around each call); the
HLS cost is the difference, per second of video, and as a ratio to the floor. Wall seconds and the load average
are printed beside each row, since the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mkdocs_hybrid.media._attached import AttachedLimits, transcode_attached
from mkdocs_hybrid.media._streams import HlsPlan


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def make_source(path: Path, seconds: int, size: str) -> None:
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    pattern = f"testsrc2=size={size}:rate=30:duration={seconds}"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", pattern, "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)], check=True)


def measure(src: Path, out: Path, hls: HlsPlan | None, limits: AttachedLimits) -> tuple[float, float]:
    """(CPU s, wall s) of one transcode into a fresh folder."""
    shutil.rmtree(out, ignore_errors=True)
    ffmpeg, ffprobe = Path(shutil.which("ffmpeg") or "ffmpeg"), Path(shutil.which("ffprobe") or "ffprobe")
    cpu, wall = children_cpu(), time.perf_counter()
    transcode_attached(src, out, ffmpeg=ffmpeg, ffprobe=ffprobe, limits=limits, hls=hls)
    return children_cpu() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hls-bench-"))
    try:
        src = work / "talk.mp4"
        make_source(src, args.seconds, args.size)
        limits = AttachedLimits(max_seconds=float(args.seconds + 10), timeout=600.0)
        plan = HlsPlan(after_seconds=1)
        print(f"input: {args.seconds} s {args.size} 30 fps testsrc2 + AAC; ffmpeg threads=1; cores={os.cpu_count()}")
        print("| run | MP4 (floor) CPU s | MP4 + HLS CPU s | HLS CPU s | HLS CPU s per s of video | HLS / floor |"
              " wall floor / with | load (1 min) |")
        print("|---|---|---|---|---|---|---|---|")
        extra, ratios = [], []
        for run in range(args.runs):
            order = [None, plan] if run % 2 == 0 else [plan, None]
            results = {}
            for hls in order:
                results[hls is not None] = measure(src, work / "out", hls, limits)
            (floor_cpu, floor_wall), (with_cpu, with_wall) = results[False], results[True]
            hls_cpu = with_cpu - floor_cpu
            extra.append(hls_cpu / args.seconds)
            ratios.append(hls_cpu / floor_cpu)
            print(f"| {run + 1} | {floor_cpu:.1f} | {with_cpu:.1f} | {hls_cpu:.1f} | {hls_cpu / args.seconds:.2f} | "
                  f"{hls_cpu / floor_cpu:.2f}x | {floor_wall:.1f} / {with_wall:.1f} s | {os.getloadavg()[0]:.2f} |")
        print(f"median: HLS {statistics.median(extra):.2f} CPU s per s of video, "
              f"{statistics.median(ratios):.2f}x the MP4 transcode's CPU")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
