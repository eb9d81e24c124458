"""The media stage's cached path at scale: a rebuild of N versions whose posters (and videos) are all cached.

    python benchmarks/media_stage.py [--versions 10000] [--video-every 10] [--runs 3]

Writes N synthetic versions (a ``meta.json`` each) into a temporary site, fills the media cache with a poster
(40 KB) and a card (10 KB) per version, and every ``--video-every``-th version a video (600 KB) and a preview
(60 KB), as the stage stores them, installs them once, then times ``MediaStage.run`` again (no browser or ffmpeg
is called: the capture function refuses). Two ways in the same run, alternating:

- baseline: every media file in the site is hashed to check it (as before the stage kept a stat index);
- indexed: a file whose stat (size, mtime, ctime, inode) is what the stage recorded is not read again.

Files are aged past the stat index's racy window before the timed runs, as they are between nightly builds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mkdocs_hybrid.config.manifest import VideoOptions  # noqa: E402
from mkdocs_hybrid.media import MediaRequest, MediaStage, MediaTools  # noqa: E402
from mkdocs_hybrid.media import stage as stage_module  # noqa: E402
from mkdocs_hybrid.model import files as stat_index  # noqa: E402
from mkdocs_hybrid.model.catalog import MediaFile  # noqa: E402

SIZES = {"poster.webp": 40_000, "card.webp": 10_000, "video.mp4": 600_000, "preview.mp4": 60_000}
TOOLS = MediaTools(chromium=Path("/usr/bin/true"), ffmpeg=Path("/usr/bin/true"), ffprobe=Path("/usr/bin/true"),
                   versions="synthetic")


class Unindexed(stat_index.StatIndex):
    """The baseline: no record ever matches, so every file is hashed."""

    def lookup(self, origin: str, signature: str) -> dict[str, Any] | None:
        return None


def refuse(*_: object, **__: object) -> list[Any]:
    raise SystemExit("the capture was called: the cache was not used")


def populate(root: Path, versions: int, video_every: int) -> tuple[MediaStage, Path, list[MediaRequest]]:
    site = root / "site"
    requests = []
    blobs = {name: os.urandom(size) for name, size in SIZES.items()}
    for index in range(versions):
        video = video_every > 0 and index % video_every == 0
        folder = site / "artifacts" / f"t{index}" / "v1"
        folder.mkdir(parents=True)
        page = hashlib.sha256(f"page {index}".encode()).hexdigest()
        (folder / "meta.json").write_text(json.dumps({"files": {"page.html": {"sha256": page}}}))
        requests.append(MediaRequest(f"t{index}/v1", (f"t{index}", "v1"), video=video))
    stage = MediaStage(VideoOptions(), root / "cache", TOOLS, capture_fn=refuse)
    stage.folder.mkdir(parents=True)
    for index, request in enumerate(requests):
        key = stage.key(site, request)
        assert key is not None
        out = root / "made" / str(index)
        out.mkdir(parents=True)
        names = list(SIZES) if request.video else ["poster.webp", "card.webp"]
        files = []
        for name in names:
            data = blobs[name][:-8] + index.to_bytes(8, "big")  # one file per version, as real media are
            (out / name).write_bytes(data)
            files.append(MediaFile(name.split(".")[0], name, hashlib.sha256(data).hexdigest(), len(data), 32, 18))
        stage._store(key, tuple(files), out)
    shutil.rmtree(root / "made")
    return stage, site, requests


def timed(stage: MediaStage, site: Path, requests: list[MediaRequest]) -> float:
    started = time.process_time()
    outcome = stage.run(site, requests)
    assert not outcome.made and len(outcome.cached) == len(requests)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--video-every", type=int, default=10, help="every Nth version has a video (0: none)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mkdocs-hybrid-media-stage-"))
    try:
        stage, site, requests = populate(root, args.versions, args.video_every)
        stage.run(site, requests)  # the first install copies every file into the site
        stat_index.RACY_SECONDS = -60  # as if the files were older than the racy window (a nightly build)
        stage.run(site, requests)  # records every file's stat
        times: dict[str, list[float]] = {"baseline": [], "indexed": []}
        for _ in range(args.runs):
            stage_module.StatIndex = Unindexed  # type: ignore[misc]
            times["baseline"].append(timed(stage, site, requests))
            stage_module.StatIndex = stat_index.StatIndex  # type: ignore[misc]
            times["indexed"].append(timed(stage, site, requests))
        media_bytes = sum(f.stat().st_size for f in site.rglob("*") if f.name in SIZES)
        base, indexed = statistics.median(times["baseline"]), statistics.median(times["indexed"])
        print(f"{args.versions} versions, {media_bytes / 1e6:.0f} MB of media in the site, {args.runs} runs, CPU s "
              f"(median, min-max): baseline {base:.2f} ({min(times['baseline']):.2f}-{max(times['baseline']):.2f}), "
              f"indexed {indexed:.2f} ({min(times['indexed']):.2f}-{max(times['indexed']):.2f}), "
              f"ratio {indexed / base:.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
