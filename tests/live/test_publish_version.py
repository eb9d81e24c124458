"""``mkdocs-hybrid publish-version``: one thread online in the artifact store without a site deploy.

A real r2-mode project (a folder source, real esbuild) publishing into a real local S3 server (moto): the
version's artifacts, its share page and its thread page are objects at their site paths; a published version's
objects never change; what is not the artifact store mode, or not a thread, is one clear line.
"""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner, Result

from mkdocs_hybrid.cli import main
from mkdocs_hybrid.gallery.pages import splice_thread
from tests.deploy.test_r2 import dummy_credentials, fresh_bucket, s3_endpoint  # noqa: F401 (fixtures)
from tests.factory import write_tree

SITE_URL = "https://site.example.com"


def project(root: Path, endpoint: str, bucket: str, **deploy: str) -> Path:
    settings = {"artifacts": "r2", "artifacts_url": "https://demos.example.com", "r2_bucket": bucket,
                "r2_endpoint_url": endpoint, **deploy}
    section = ", ".join(f"{key}: '{value}'" for key, value in settings.items())
    write_tree(root, {
        "hybrid.yml": f"sources: [{{type: directory, path: demos}}]\nbuild: {{cache_dir: .cache}}\n"
                      f"deploy: {{{section}}}\n",
        "demos/t/v1/index.js": "document.body.textContent = 'first';\n",
        "demos/t/v1/snapshot.yml": "title: First\ncreated: '2026-01-01T00:00:00Z'\n",
    })
    return root


def publish(root: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.chdir(root)
    return CliRunner().invoke(main, ["publish-version", *args, "--site-url", SITE_URL, "--no-media"])


def objects(endpoint: str, bucket: str) -> dict[str, str]:
    """Key -> ETag of every object in the bucket."""
    client = boto3.client("s3", endpoint_url=endpoint, region_name="auto")
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {item["Key"]: item["ETag"] for page in pages for item in page.get("Contents", [])}


def published_files(etags: dict[str, str], ref: str) -> dict[str, str]:
    """The ETags of a version's published files (its pages and derived files are made again as its thread
    changes: a share page names the thread's title)."""
    found = {key: etag for key, etag in etags.items()
             if key.startswith(f"artifacts/{ref}/") and key.rsplit("/", 1)[1] in ("page.html", "style.css")}
    assert found
    return found


def text(endpoint: str, bucket: str, key: str) -> str:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="auto")
    return client.get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def test_a_version_goes_online_as_objects_without_a_deploy_and_the_next_one_joins_it(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket)
    result = publish(root, monkeypatch, "t", "v1")
    assert result.exit_code == 0, result.output
    first = objects(s3_endpoint, bucket)
    assert {"artifacts/t/v1/page.html", "artifacts/t/v1/meta.json", "p/t/v1/index.html",
            "gallery/t/index.html"} <= set(first)
    assert "published t (latest v1)" in result.output

    write_tree(root, {"demos/t/v2/index.js": "document.body.textContent = 'second';\n",
                      "demos/t/v2/snapshot.yml": "title: Second\ncreated: '2026-01-02T00:00:00Z'\n"})
    result = publish(root, monkeypatch, "t")
    assert result.exit_code == 0, result.output
    second = objects(s3_endpoint, bucket)
    assert "p/t/v2/index.html" in second and "artifacts/t/v2/page.html" in second
    assert published_files(second, "t/v1") == published_files(first, "t/v1")  # never changed
    thread_page = text(s3_endpoint, bucket, "gallery/t/index.html")
    assert "Second" in thread_page and "First" in thread_page
    assert "Changes since v1: 1 changed" in thread_page and "artifacts/t/v2/diff.html" in second
    assert "published t (latest v2)" in result.output


def test_publishing_again_with_nothing_new_uploads_nothing(s3_endpoint: str, tmp_path: Path,  # noqa: F811
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket)
    assert publish(root, monkeypatch, "t").exit_code == 0
    before = objects(s3_endpoint, bucket)
    result = publish(root, monkeypatch, "t")
    assert result.exit_code == 0, result.output
    assert ": 0 objects uploaded" in result.output and objects(s3_endpoint, bucket) == before


def test_the_default_mode_is_refused_with_what_to_do_instead(s3_endpoint: str, tmp_path: Path,  # noqa: F811
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket, artifacts="pages")
    result = publish(root, monkeypatch, "t")
    assert result.exit_code == 2
    assert "needs deploy.artifacts: r2" in result.output and "mkdocs-hybrid publish" in result.output
    assert objects(s3_endpoint, bucket) == {}


def test_an_unknown_thread_or_version_is_one_line_and_nothing_is_uploaded_for_it(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket)
    result = publish(root, monkeypatch, "nope")
    assert result.exit_code == 2 and "nope" in result.output and objects(s3_endpoint, bucket) == {}
    result = publish(root, monkeypatch, "t", "v9")
    assert result.exit_code == 2
    assert "t/v9 is not online: the sources have no version 'v9' of t (online: v1)" in result.output
    for hostile in ("../t", "a/b", "latest", "T"):
        result = publish(root, monkeypatch, hostile)
        assert result.exit_code == 2 and f"{hostile!r} is not a thread id" in result.output
    assert (root / ".cache" / "live" / "site" / ".pending.json").read_text() == "[]\n"  # nothing left pending


def test_a_version_that_fails_exits_1_with_its_error_and_the_others_go_online(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket)
    write_tree(root, {"demos/t/v2/index.js": "import './missing.js';\n"})
    result = publish(root, monkeypatch, "t", "v2")
    assert result.exit_code == 1, result.output
    assert "t/v2" in result.output and "missing.js" in result.output
    assert "t/v2 is not online: it failed (above)" in result.output
    failure = next(line for line in result.output.splitlines() if "missing.js" in line)
    assert failure.startswith("error ") and "[red]" not in result.output, "a label, not rich's markup as text"
    keys = set(objects(s3_endpoint, bucket))
    assert "p/t/v1/index.html" in keys and not any("/v2/" in key for key in keys)


def test_pin_moves_latest_online_at_once_and_clearing_it_moves_it_back(
        s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket)
    write_tree(root, {"demos/t/v2/index.js": "document.body.textContent = 'second';\n",
                      "demos/t/v2/snapshot.yml": "title: Second\ncreated: '2026-01-02T00:00:00Z'\n"})
    assert publish(root, monkeypatch, "t").exit_code == 0
    assert latest_in_store(s3_endpoint, bucket, "t") == "v2"
    pinned = CliRunner().invoke(main, ["pin", "t", "v1", "--site-url", SITE_URL])
    assert pinned.exit_code == 0, pinned.output
    assert "t: latest pinned; /p/t/latest now leads to v1" in pinned.output
    assert latest_in_store(s3_endpoint, bucket, "t") == "v1"
    cleared = CliRunner().invoke(main, ["pin", "t", "--clear", "--site-url", SITE_URL])
    assert cleared.exit_code == 0, cleared.output
    assert "t: pin cleared; /p/t/latest now leads to v2" in cleared.output
    assert latest_in_store(s3_endpoint, bucket, "t") == "v2"


def test_pin_without_publishing_only_records_it(s3_endpoint: str, tmp_path: Path,  # noqa: F811
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket)
    assert publish(root, monkeypatch, "t").exit_code == 0
    before = objects(s3_endpoint, bucket)
    result = CliRunner().invoke(main, ["pin", "t", "v1", "--no-publish"])
    assert result.exit_code == 0 and "rebuild and deploy the site" in result.output
    assert objects(s3_endpoint, bucket) == before


def latest_in_store(endpoint: str, bucket: str, thread: str) -> str:
    """The version the thread's latest page in the store leads to (what the site's worker redirects to)."""
    page = text(endpoint, bucket, f"p/{thread}/latest/index.html")
    match = re.search(r'<meta name="mkdocs-hybrid-latest" content="([^"]+)">', page)
    assert match is not None, page
    return match.group(1)


def test_a_thread_page_mkdocs_made_keeps_its_theme_and_gets_the_new_versions(
        sample_site_mkdocs: Path, s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    themed = (sample_site_mkdocs / "gallery" / "canvas-particles" / "index.html").read_bytes()
    frame_start, _, rest = themed.partition(b"<!--mkdocs-hybrid:thread-->")
    frame_end = rest.partition(b"<!--/mkdocs-hybrid:thread-->")[2]
    assert frame_start and frame_end and b'class="hg-standalone"' not in themed
    bucket = fresh_bucket(s3_endpoint)
    root = project(tmp_path, s3_endpoint, bucket)
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="auto").put_object(
        Bucket=bucket, Key="gallery/t/index.html", Body=themed.replace(b"canvas-particles", b"t"))
    result = publish(root, monkeypatch, "t")
    assert result.exit_code == 0, result.output
    page = text(s3_endpoint, bucket, "gallery/t/index.html").encode()
    assert page.startswith(frame_start.replace(b"canvas-particles", b"t"))  # MkDocs' head, theme and navigation
    assert page.endswith(frame_end.replace(b"canvas-particles", b"t"))
    assert b"First" in page and b"/p/t/v1/" in page


def test_only_a_page_with_one_fragment_made_by_a_site_generator_is_spliced() -> None:
    fragment = "<p>new</p>"
    made = b"<html><body><nav>site</nav><!--mkdocs-hybrid:thread-->old<!--/mkdocs-hybrid:thread--></body></html>"
    assert splice_thread(made, fragment) == made.replace(b">old<", b"><p>new</p><")
    assert splice_thread(made.replace(b"<body>", b'<body class="hg-standalone">'), fragment) is None
    assert splice_thread(b"<html><body>no fragment</body></html>", fragment) is None
    assert splice_thread(made + made, fragment) is None
