"""A version's HLS ladder when the site deploys: in the artifact store mode its playlists, init segments and
media segments are R2 objects at their site paths with HLS content types; a ladder made again with other bytes (a
newer ffmpeg) is new objects under its new content-addressed folder, and no ladder object is overwritten; with R2
for videos only, the ladder stays whole on Pages (only the MP4s move to R2), so its relative URIs keep working."""

from __future__ import annotations

import shutil
from pathlib import Path

from mkdocs_hybrid.deploy import ArtifactStore, collect_site_files
from mkdocs_hybrid.deploy._pages import _split_media
from mkdocs_hybrid.deploy._r2_artifacts import is_artifact, is_refreshed
from tests.deploy.test_r2 import bucket, dummy_credentials, fresh_bucket, listen, s3_endpoint  # noqa: F401 (fixtures)
from tests.deploy.test_r2_artifacts import artifact_store, small_site
from tests.factory import write_tree


def ladder(folder: str, made_by: str = "") -> dict[str, str]:
    """A ladder's files in ``artifacts/t/v1/hls/{folder}/`` (its content-addressed folder) and the MP4."""
    root = f"artifacts/t/v1/hls/{folder}"
    return {f"{root}/master.m3u8": "#EXTM3U\n720p/index.m3u8\n",
            f"{root}/720p/index.m3u8": "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\nseg-00000.m4s\n",
            f"{root}/720p/init.mp4": f"init {made_by}", f"{root}/720p/seg-00000.m4s": f"segment 0 {made_by}",
            "artifacts/t/v1/video.mp4": "the mp4"}


LADDER = ladder("0123456789abcdef")
TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/iso.segment", ".mp4": "video/mp4"}


def test_the_ladder_goes_to_r2_with_hls_content_types_and_made_again_is_new_objects_never_an_overwrite(
        bucket: str, s3_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    store: ArtifactStore = artifact_store(bucket, s3_endpoint)
    site = small_site(tmp_path / "site", ("t", "v1"))
    write_tree(site, LADDER)
    files = [f for f in collect_site_files(site) if is_artifact(f.name)]
    store.publish(store.stage(files))
    for name in LADDER:
        head = store.client.head_object(Bucket=bucket, Key=name)
        assert head["ContentType"] == TYPES[Path(name).suffix], name

    shutil.rmtree(site / "artifacts/t/v1/hls")  # the media stage keeps one ladder in the site
    again = ladder("fedcba9876543210", made_by="a newer ffmpeg")
    write_tree(site, again)
    staged = store.stage([f for f in collect_site_files(site) if is_artifact(f.name)])
    assert (staged.refused, staged.replaced) == ([], [])
    assert sorted(p.key for p in staged.missing) == sorted(name for name in again if "/hls/" in name)
    store.publish(staged)
    for name in LADDER.keys() | again.keys():  # a page cached with the old ladder still plays it
        body = store.client.get_object(Bucket=bucket, Key=name)["Body"].read().decode()
        assert body == {**LADDER, **again}[name], name

    write_tree(site, {name: data + " other bytes" for name, data in again.items() if "/hls/" in name})
    staged = store.stage([f for f in collect_site_files(site) if is_artifact(f.name)])
    assert sorted(staged.refused) == sorted(name for name in again if "/hls/" in name)  # never overwritten


def test_the_stream_record_may_be_replaced_and_a_ladder_file_may_not() -> None:
    assert is_refreshed("artifacts/t/v1/hls/stream.json")
    assert not any(is_refreshed(name) for name in LADDER if "/hls/" in name)


def test_with_r2_for_videos_only_the_ladder_stays_on_pages_and_the_mp4_moves(tmp_path: Path) -> None:
    site = write_tree(tmp_path / "site", {**LADDER, "artifacts/t/v1/preview.mp4": "preview"})
    pages, to_r2 = _split_media(collect_site_files(site), media=object())  # type: ignore[arg-type]
    assert sorted(f.name for f in to_r2) == ["artifacts/t/v1/preview.mp4", "artifacts/t/v1/video.mp4"]
    assert sorted(f.name for f in pages) == sorted(name for name in LADDER if "/hls/" in name)
