"""Deploy building blocks that need no server: hashes, content types, buckets, limits."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mkdocs_hybrid.deploy import (
    Credentials,
    DeployError,
    SiteFile,
    collect_site_files,
    content_type,
    deploy_site,
    pack_buckets,
    pages_hash,
)
from tests.factory import REPO, write_tree

MIB = 1024 * 1024


def test_hash_matches_wrangler_test_vector() -> None:
    assert pages_hash(b"hello world\n", "hello.txt") == "64e86c1f4ec071b997f1a6af69931db3"


def test_content_type_table_is_the_one_the_pinned_wrangler_bundles() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen", REPO / "scripts/gen_content_types.py")
    assert spec and spec.loader
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    fresh = generator.extract((REPO / "node_modules/wrangler/wrangler-dist/cli.js").read_text(encoding="utf-8"))
    shipped = json.loads((REPO / "mkdocs_hybrid/deploy/content_types.json").read_text(encoding="utf-8"))
    assert shipped == fresh, "wrangler's mime table changed: run python scripts/gen_content_types.py"


@pytest.mark.parametrize(("name", "expected"), [
    ("index.html", "text/html"), ("a/b/page.html", "text/html"), ("style.css", "text/css"),
    ("app.js", "application/javascript"), ("meta.json", "application/json"), ("p.webp", "image/webp"),
    ("v.mp4", "video/mp4"), ("LICENSE", "application/octet-stream"), ("dir/README", "application/octet-stream"),
    ("sitemap.xml.gz", "application/gzip"), ("x.UNKNOWNEXT", "application/octet-stream"),
])
def test_content_types(name: str, expected: str) -> None:
    assert content_type(name) == expected


def test_collect_skips_what_wrangler_skips(tmp_path: Path) -> None:
    write_tree(tmp_path, {"index.html": "x", "_headers": "h", "_redirects": "r", "_routes.json": "{}",
                          "_worker.js": "w", "functions/a.js": "f", "a/.DS_Store": "d", "a/node_modules/m.js": "m",
                          ".git/HEAD": "g", "a/b.css": "c", "a/functions/ok.js": "ok", ".x/node_modules/y.js": "y",
                          ".mkdocs-hybrid-kept/artifacts/t/v1/page.html": "stash of a build that died"})
    (tmp_path / "link.html").symlink_to(tmp_path / "index.html")
    assert [f.name for f in collect_site_files(tmp_path)] == [
        ".x/node_modules/y.js", "a/b.css", "a/functions/ok.js", "index.html"]


def test_collect_skips_what_a_killed_build_left(tmp_path: Path) -> None:
    """A build killed mid-write leaves temporary files and folders (named by ``model.durable``) that the
    next build sweeps: a deploy of that site without a rebuild must not upload them."""
    from mkdocs_hybrid.model.durable import MARK, make_temp_dir, owner

    write_tree(tmp_path, {"artifacts/t/v1/page.html": "whole",
                          f"artifacts/t/v1/.meta.json.{MARK}{owner()}.0a1b2c3d": "{\"half"})
    (make_temp_dir(tmp_path / "gallery", "staging-") / "index.html").write_text("half", encoding="utf-8")
    assert [f.name for f in collect_site_files(tmp_path)] == ["artifacts/t/v1/page.html"]


def fake(name: str, size: int) -> SiteFile:
    return SiteFile(name=name, path=Path(name), size=size, hash=name, content_type="text/plain")


def test_buckets_respect_size_and_count_limits() -> None:
    files = [fake(f"big{i}", 30 * MIB) for i in range(4)] + [fake(f"s{i}", 10) for i in range(4500)]
    buckets = pack_buckets(files)
    assert sorted(f.name for b in buckets for f in b.files) == sorted(f.name for f in files)
    assert all(b.size <= 40 * MIB and len(b.files) <= 2000 for b in buckets)
    assert [f.name for f in buckets[0].files][:1] == ["big0"], "largest files are placed first"
    assert len(buckets) == 4  # a 4th 30 MiB file fits none of the 3 starting buckets
    assert len(pack_buckets([fake(f"t{i}", 1) for i in range(6001)])) == 4  # 3 x 2,000 files, then one more


def record_requests() -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500, json={"success": False, "errors": [{"code": 1, "message": "unexpected"}]})

    return seen, httpx.MockTransport(handler)


def test_a_file_over_25_mib_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    write_tree(tmp_path, {"index.html": "x", "big/movie.bin": b"\0" * (25 * MIB + 1)})
    seen, transport = record_requests()
    with pytest.raises(DeployError, match=r"1 file over Pages' 25 MiB limit: big/movie.bin \(25.0 MiB\); "
                                          r"configure deploy.r2_bucket"):
        deploy_site(tmp_path, project="p", branch="main", credentials=Credentials("t", "a", "http://x"),
                    transport=transport)
    assert seen == []


def test_a_missing_site_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="is not a folder: build the site first"):
        deploy_site(tmp_path / "nope", project="p", branch="main", dry_run=True)


def test_dry_run_without_credentials_counts_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {"index.html": "x", "a.css": "y", "_headers": "h"})
    result = deploy_site(tmp_path, project="p", branch="main", dry_run=True)
    assert (result.files, result.uploaded_files, result.deployment_id) == (2, 2, None)


def test_credentials_from_env() -> None:
    with pytest.raises(DeployError, match="CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID not set"):
        Credentials.from_env({})
    creds = Credentials.from_env({"CLOUDFLARE_API_TOKEN": "t", "CLOUDFLARE_ACCOUNT_ID": "a",
                                  "CLOUDFLARE_API_BASE_URL": "http://127.0.0.1:1/client/v4"})
    assert creds == Credentials("t", "a", "http://127.0.0.1:1/client/v4")
