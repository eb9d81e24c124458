"""A page on another origin talks to the stand-in from Chromium with Convex's own browser client, as the editor does.

The page loads the ``convex`` npm package's browser bundle (``ConvexHttpClient``), signs in with a test token, saves
a version with an image through the shipped functions' upload flow and reads the image back from its storage URL:
every request is cross-origin, with an Authorization header or a non-simple Content-Type, so Chromium preflights
them and refuses any answer without the CORS headers a deployment sends.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.browser import serve_static
from tests.convex_standin.fixture import REPO, ConvexStandin, run_standin

pytestmark = pytest.mark.browser

BROWSER_BUNDLE = REPO / "node_modules" / "convex" / "dist" / "browser.bundle.js"
PAGE = """<!doctype html><meta charset="utf-8"><title>store</title><script src="convex.js"></script>"""
SAVE_WITH_AN_IMAGE = """async ([url, token, bytes]) => {
  const client = new convex.ConvexHttpClient(url, { logger: false });
  client.setAuth(token);
  const uploadUrl = await client.mutation("files:generateUploadUrl", {});
  const uploaded = await fetch(uploadUrl, { method: "POST", headers: { "Content-Type": "image/png" },
                                            body: new Uint8Array(bytes) });
  const { storageId } = await uploaded.json();
  const saved = await client.mutation("versions:save", { thread: "from-chromium", files: [
    { path: "index.html", text: "<img src=cat.png>" }, { path: "cat.png", storageId }] });
  const version = await client.query("versions:get", { thread: "from-chromium", version: saved.version });
  const picture = version.files.find((file) => file.path === "cat.png");
  const downloaded = new Uint8Array(await (await fetch(picture.url)).arrayBuffer());
  let refused = null;
  try {
    await client.mutation("versions:save", { thread: "from-chromium", version: saved.version, files: [
      { path: "index.html", text: "again" }] });
  } catch (error) {
    refused = { name: error.name, code: error.data && error.data.code };
  }
  return { saved, sha256: picture.sha256, downloaded: Array.from(downloaded), refused };
}"""


@pytest.fixture(scope="module")
def standin() -> Iterator[ConvexStandin]:
    with run_standin() as running:
        yield running


@pytest.fixture(scope="module")
def page_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = tmp_path_factory.mktemp("page")
    (site / "index.html").write_text(PAGE, encoding="utf-8")
    shutil.copyfile(BROWSER_BUNDLE, site / "convex.js")
    with serve_static(site) as url:
        yield url


def test_a_page_on_another_origin_saves_and_reads_an_image_with_convexs_browser_client(
        chromium: Browser, standin: ConvexStandin, page_origin: str) -> None:
    image = b"\x89PNG\r\n\x1a\n" + hashlib.sha256(b"cat").digest() * 32
    page = chromium.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(f"{request.method} {request.url}"))
    try:
        page.goto(f"{page_origin}/index.html")
        result: dict[str, Any] = page.evaluate(SAVE_WITH_AN_IMAGE,
                                               [standin.url, standin.token("artist"), list(image)])
    finally:
        page.close()
    assert failed == []
    assert result["saved"]["thread"] == "from-chromium"
    assert result["sha256"] == hashlib.sha256(image).hexdigest()
    assert bytes(result["downloaded"]) == image
    assert result["refused"] == {"name": "ConvexError", "code": "exists"}, "a saved version is never overwritten"

