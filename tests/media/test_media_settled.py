"""A rebuild leaves a version's media alone while its artifact folder is as the last build left it (posters made
in real Chromium), and notices a removed poster, a changed demo and changed capture settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mkdocs_hybrid.config.manifest import parse_manifest
from mkdocs_hybrid.media import stage
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.publish.site import SitePages
from tests.factory import write_tree

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("full_builds")]  # the media stage's own index

VIDEO = {"enabled": False, "seconds": 1, "fps": 10, "width": 320, "height": 180, "poster_at": 0.5}


def export(root: Path, **video: object) -> Export:
    data = {"sources": [{"type": "directory", "path": "demos"}], "build": {"cache_dir": ".cache"},
            "video": {**VIDEO, **video}}
    (root / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    build = Export(parse_manifest(data, base_dir=root), media=True, pages=SitePages(standalone_gallery=True))
    build.run(root / "site")
    assert build.report.ok, build.report.failed
    return build


def test_settled_media_are_left_alone_until_their_folder_or_settings_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trusting: None) -> None:
    write_tree(tmp_path, {"demos/box/v1/index.html": '<div style="width:90px;height:90px;background:#c33"></div>'})
    assert export(tmp_path).report.media_made == ["box/v1"]
    export(tmp_path)  # records the version's media as its folder holds them now
    asked: list[list[str]] = []
    run = stage.MediaStage.run

    def spy(self: stage.MediaStage, site_dir: Path, requests: list[stage.MediaRequest]) -> stage.MediaOutcome:
        asked.append([request.ref for request in requests])
        return run(self, site_dir, requests)

    monkeypatch.setattr(stage.MediaStage, "run", spy)
    steady = export(tmp_path)
    assert asked == [[]] and steady.report.media_cached == ["box/v1"]
    poster = tmp_path / "site/artifacts/box/v1/poster.webp"
    good = poster.read_bytes()
    poster.unlink()
    again = export(tmp_path)
    assert asked[-1] == ["box/v1"] and again.report.media_made == [], "put back from the media cache"
    assert poster.read_bytes() == good
    later = export(tmp_path, poster_at=0.25)
    assert later.report.media_made == ["box/v1"], "other settings make another poster"
