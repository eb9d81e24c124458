"""The artifact store mode's build side: share pages, the gallery and the editor load demos from their own
origin (``deploy.artifacts: r2``), which lets a demo keep its storage without ever reaching the gallery's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from mkdocs_hybrid.edge.sandbox import DEMO_SANDBOX
from tests.browser import serve_static
from tests.factory import build_standalone, free_port, read_tree, write_tree

COUNTER = """
const seen = Number(localStorage.getItem("visits") || 0) + 1;
localStorage.setItem("visits", String(seen));
let gallery;
try { gallery = parent.localStorage.getItem("secret"); } catch (error) { gallery = error.name; }
document.getElementById("root").textContent =
  `visits ${seen}; own secret ${localStorage.getItem("secret")}; gallery's ${gallery}`;
"""


def build(project: Path, artifacts_url: str | None) -> Path:
    deploy = {"artifacts": "r2", "artifacts_url": artifacts_url, "r2_bucket": "demos"}
    return build_standalone(project, **({"deploy": deploy} if artifacts_url else {}))


def frame_of(html: str) -> dict[str, str]:
    match = re.search(r'<iframe src="([^"]+)"[^>]*sandbox="([^"]+)"', html)
    assert match, html
    return {"src": match[1], "sandbox": match[2]}


def test_share_pages_gallery_and_editor_load_demos_from_the_artifact_origin(tmp_path: Path) -> None:
    write_tree(tmp_path / "a", {"demos/counter/v1/index.js": COUNTER})
    write_tree(tmp_path / "b", {"demos/counter/v1/index.js": COUNTER})
    plain = build(tmp_path / "a", None)
    stored = build(tmp_path / "b", "https://demos.example.com")

    share = frame_of((stored / "p/counter/v1/index.html").read_text(encoding="utf-8"))
    assert share == {"src": "https://demos.example.com/artifacts/counter/v1/page.html",
                     "sandbox": f"{DEMO_SANDBOX} allow-same-origin"}
    assert frame_of((plain / "p/counter/v1/index.html").read_text(encoding="utf-8")) == {
        "src": "../../../artifacts/counter/v1/page.html", "sandbox": DEMO_SANDBOX}
    thread_page = (stored / "gallery/counter/index.html").read_text(encoding="utf-8")
    assert 'src="https://demos.example.com/artifacts/counter/v1/page.html"' in thread_page
    assert "../../artifacts/" not in thread_page
    config: dict[str, Any] = json.loads(re.search(
        r'id="editor-config">(.*?)</script>', (stored / "editor/index.html").read_text(encoding="utf-8"))[1])
    assert config["artifacts"] == "https://demos.example.com/"
    # The demo's own files are the same bytes in both modes: only the pages that frame it change (and the oEmbed
    # JSON, which needs an absolute frame URL: the artifact origin's here, none without a site URL).
    plain_tree, stored_tree = read_tree(plain / "artifacts"), read_tree(stored / "artifacts")
    assert "counter/v1/oembed.json" in stored_tree and "counter/v1/oembed.json" not in plain_tree
    assert {name: data for name, data in plain_tree.items() if not name.endswith(("meta.json", "oembed.json"))} == \
        {name: data for name, data in stored_tree.items() if not name.endswith(("meta.json", "oembed.json"))}


@pytest.mark.browser
def test_a_demo_on_its_own_origin_keeps_its_storage_and_cannot_reach_the_gallerys(
        chromium: Browser, tmp_path: Path) -> None:
    """Two local origins stand in for the site and the artifact origin (127.0.0.1 and localhost)."""
    artifact_port = free_port()
    write_tree(tmp_path, {"demos/counter/v1/index.js": COUNTER})
    site = build(tmp_path, f"http://localhost:{artifact_port}")
    with serve_static(site) as gallery_url, serve_static(site, port=artifact_port) as artifact_url:
        assert artifact_url == f"http://127.0.0.1:{artifact_port}"
        page = chromium.new_page()
        page.goto(f"{gallery_url}/gallery/")
        page.evaluate("localStorage.setItem('secret', 'the gallery')")
        shown = []
        for _ in range(2):
            page.goto(f"{gallery_url}/p/counter/v1/")
            frame = page.frame_locator("iframe")
            text = frame.locator("#root").inner_text(timeout=15_000)
            shown.append(text)
        page.close()
    assert shown == ["visits 1; own secret null; gallery's SecurityError",
                     "visits 2; own secret null; gallery's SecurityError"]
