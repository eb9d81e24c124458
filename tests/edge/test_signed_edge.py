"""Signed links at the edge: the site's ``_worker.js`` under ``wrangler pages dev`` 4.86, with local R2.

A real r2-mode build (``deploy.artifacts: r2``) with one listed and one unlisted version. As in production,
Pages gets the site without ``artifacts/`` and ``vendor/``; the unlisted version's artifact is seeded into a
local bucket bound as ``UNLISTED`` and a vendor file into one bound as ``ARTIFACTS`` (measured: ``wrangler r2
object put bucket/key --local --persist-to DIR``, then ``pages dev --persist-to DIR --r2 BINDING=bucket``),
and the share keys are the worker's ``SHARE_KEYS`` (``--binding``, as ``wrangler pages secret put`` gives it).
"""

from __future__ import annotations

import mimetypes
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mkdocs_hybrid.edge.signed import MAX_SECONDS, ShareKeys, signed_path
from mkdocs_hybrid.edge.unlisted import UnlistedKey
from tests.edge.test_signed import other_spellings
from tests.factory import build_standalone, read_tree, write_tree
from tests.wrangler_dev import put_local_r2_object, serve_with_wrangler

pytestmark = pytest.mark.wrangler

NEW_KEY = "new-share-key-" + "n" * 30
OLD_KEY = "old-share-key-" + "o" * 30
UNLISTED_BUCKET = "unlisted-local"
ARTIFACTS_BUCKET = "artifacts-local"
VENDOR_KEY = "vendor/test-vendor.js"
DEMOS = {
    "demos/open/v1/index.js": "document.body.textContent = 'a listed demo';\n",
    "demos/open/v1/style.css": "body { color: teal; }\n",
    "demos/open/v2/index.js": "document.body.textContent = 'quiet-version-xyzzy';\n",
    "demos/open/v2/style.css": "body { color: plum; }\n",
    "demos/open/v2/snapshot.yml": "title: Quiet draft\nunlisted: true\n",
}


@dataclass(frozen=True)
class Edge:
    client: httpx.Client
    artifact: Path
    """The unlisted version's artifact folder, as built."""
    utoken: str
    pages_site: Path


def build_r2_site(root: Path) -> Path:
    write_tree(root, DEMOS)
    return build_standalone(root, deploy={"artifacts": "r2", "artifacts_url": "https://demos.example.com",
                                          "r2_bucket": "demos", "r2_private_bucket": "demos-private"})


def seed(persist: Path, bucket: str, key: str, source: Path) -> None:
    content_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
    put_local_r2_object(persist, bucket, key, source, content_type)


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    root = tmp_path_factory.mktemp("signed-edge")
    site = build_r2_site(root)
    key = UnlistedKey.from_env()
    assert key is not None
    utoken = key.token("open", "v2")
    artifact = root / "artifact"
    shutil.copytree(site / "artifacts" / "_u" / utoken, artifact)
    (artifact / "poster.webp").write_bytes(b"RIFF\x1a\x00\x00\x00WEBPVP8L a stand-in poster")
    (root / "vendor.js").write_text("export const vendored = 1;\n")
    pages_site = root / "pages"  # what the deploy sends to Pages in this mode
    shutil.copytree(site, pages_site, ignore=shutil.ignore_patterns())
    for folder in ("artifacts", "vendor"):
        shutil.rmtree(pages_site / folder, ignore_errors=True)
    persist = root / "state"
    for item in sorted(artifact.iterdir()):
        seed(persist, UNLISTED_BUCKET, f"artifacts/_u/{utoken}/{item.name}", item)
    seed(persist, ARTIFACTS_BUCKET, VENDOR_KEY, root / "vendor.js")
    seed(persist, ARTIFACTS_BUCKET, "p/open/latest/index.html", site / "p/open/latest/index.html")  # latest reads it
    args = ["--r2", f"UNLISTED={UNLISTED_BUCKET}", "--r2", f"ARTIFACTS={ARTIFACTS_BUCKET}",
            "--binding", f"SHARE_KEYS={NEW_KEY},{OLD_KEY}"]
    with serve_with_wrangler(pages_site, extra_args=args, persist_dir=persist) as base_url, \
            httpx.Client(base_url=base_url, follow_redirects=False, timeout=10.0) as client:
        yield Edge(client, artifact, utoken, pages_site)


def link(utoken: str, *, key: str = NEW_KEY, seconds: int = 3600, file: str = "page.html") -> str:
    return "/" + signed_path(ShareKeys.parse(key), utoken, int(time.time()) + seconds, file)


def test_a_valid_link_streams_the_unlisted_artifact_privately(edge: Edge) -> None:
    response = edge.client.get(link(edge.utoken))

    assert response.status_code == 200
    assert response.content == (edge.artifact / "page.html").read_bytes()
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers.get_list("cache-control") == ["private, no-store"]
    assert response.headers["content-security-policy"].startswith("sandbox ")
    assert response.headers["referrer-policy"] == "no-referrer"


def test_the_pages_relative_style_resolves_under_the_same_signed_prefix(edge: Edge) -> None:
    page = link(edge.utoken)
    style = httpx.URL(page).join("style.css").path

    response = edge.client.get(style)

    assert style.endswith("/style.css") and style.rsplit("/", 1)[0] == page.rsplit("/", 1)[0]
    assert response.status_code == 200
    assert response.content == (edge.artifact / "style.css").read_bytes()
    assert response.headers["content-type"].startswith("text/css")


def test_a_signed_link_reaches_the_versions_media_and_no_other_file(edge: Edge) -> None:
    response = edge.client.get(link(edge.utoken, file="poster.webp"))

    assert response.status_code == 200
    assert response.content == (edge.artifact / "poster.webp").read_bytes()
    assert response.headers["content-type"] == "image/webp"
    assert response.headers.get_list("cache-control") == ["private, no-store"]
    page = link(edge.utoken)
    for other in ("source.json", "oembed.json", "missing.webp"):
        assert edge.client.get(page.rsplit("/", 1)[0] + "/" + other).status_code == 403, other


def test_a_link_signed_with_the_old_key_still_works(edge: Edge) -> None:
    response = edge.client.get(link(edge.utoken, key=OLD_KEY))

    assert response.status_code == 200
    assert response.content == (edge.artifact / "page.html").read_bytes()


def test_an_expired_link_is_forbidden(edge: Edge) -> None:
    assert edge.client.get(link(edge.utoken, seconds=-5)).status_code == 403


def test_a_tampered_signature_is_forbidden(edge: Edge) -> None:
    path = link(edge.utoken)
    prefix, sig, file = path.rsplit("/", 2)
    tampered = ("B" if sig[0] == "A" else "A") + sig[1:]

    assert edge.client.get(f"{prefix}/{tampered}/{file}").status_code == 403


def test_a_longer_expiry_under_the_same_signature_is_forbidden(edge: Edge) -> None:
    path = link(edge.utoken)
    expiry = path.split("/")[2].split(".")[1]

    assert edge.client.get(path.replace(f".{expiry}/", f".{int(expiry) + 86_400}/")).status_code == 403


def test_another_versions_token_with_this_signature_is_forbidden(edge: Edge) -> None:
    key = UnlistedKey.from_env()
    assert key is not None
    other = key.token("open", "v1")
    path = link(edge.utoken)

    assert edge.client.get(path.replace(edge.utoken, other)).status_code == 403


@pytest.mark.parametrize("path", ["/s/", "/s/nothing", "/s/x/y/page.html", "/s/page.html"])
def test_anything_else_under_s_is_forbidden(edge: Edge, path: str) -> None:
    assert edge.client.get(path).status_code == 403


def test_the_unlisted_artifact_is_not_on_pages(edge: Edge) -> None:
    """``/s/../artifacts/_u/...`` is normalised by the client to this path: Pages holds no artifacts."""
    assert edge.client.get(f"/artifacts/_u/{edge.utoken}/page.html").status_code == 404


def test_a_post_is_forbidden(edge: Edge) -> None:
    assert edge.client.post(link(edge.utoken)).status_code == 403


def test_a_valid_link_to_a_file_that_is_not_an_artifact_file_is_forbidden(edge: Edge) -> None:
    path = link(edge.utoken).replace("/page.html", "/secret.txt")

    assert edge.client.get(path).status_code == 403


def test_vendor_files_stream_from_the_public_bucket(edge: Edge) -> None:
    response = edge.client.get(f"/{VENDOR_KEY}")

    assert response.status_code == 200
    assert response.text == "export const vendored = 1;\n"
    assert "javascript" in response.headers["content-type"]
    assert response.headers.get_list("cache-control") == ["public, max-age=31536000, immutable"]


def test_a_listed_version_still_works_through_its_normal_share_link(edge: Edge) -> None:
    response = edge.client.get("/p/open/v1/")

    assert response.status_code == 200
    assert "https://demos.example.com/artifacts/open/v1/page.html" in response.text


def test_latest_still_answers(edge: Edge) -> None:
    response = edge.client.get("/p/open/latest/")

    assert response.status_code == 302
    assert response.headers["location"].endswith("/p/open/v1/")


def test_the_share_keys_appear_nowhere_in_the_site(edge: Edge) -> None:
    for name, data in read_tree(edge.pages_site).items():
        for secret in (NEW_KEY, OLD_KEY):
            assert secret.encode() not in data, f"a share key is in {name}"
    assert "/s/*" in (edge.pages_site / "_routes.json").read_text()


def test_only_the_canonical_spelling_of_a_signature_is_accepted(edge: Edge) -> None:
    path = link(edge.utoken)
    prefix, sig, file = path.rsplit("/", 2)
    for other in other_spellings(sig):  # the same 32 bytes once decoded: before, all four answered 200
        assert edge.client.get(f"{prefix}/{other}/{file}").status_code == 403, other
    assert edge.client.get(path).status_code == 200


def test_a_link_expiring_more_than_a_year_ahead_is_forbidden_even_when_signed(edge: Edge) -> None:
    keys = ShareKeys.parse(NEW_KEY)
    beyond = int(time.time()) + MAX_SECONDS + 86_400
    assert edge.client.get("/" + signed_path(keys, edge.utoken, beyond)).status_code == 403
    assert edge.client.get(link(edge.utoken, seconds=MAX_SECONDS - 86_400)).status_code == 200
