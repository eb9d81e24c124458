"""The deploy's stat index of Pages hashes: a redeploy reads only the files whose stat changed, and still
notices every change a stat shortcut could miss (same size, mtime put back, a file swapped in, a rename)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from blake3 import blake3

from mkdocs_hybrid.deploy import Credentials, RetryPolicy, _files, deploy_site
from mkdocs_hybrid.deploy._result import DeployResult
from tests.cloudflare_api import FakeCloudflare
from tests.factory import cli_env, run_cli, write_tree

FAST = RetryPolicy(base_delay=0.01, gateway_delay=0.01)
FILES: dict[str, str | bytes] = {
    "index.html": "<h1>home</h1>", "a/page.html": "<p>version one</p>", "a/style.css": "p{color:red}",
    "b/data.json": '{"n": 1}', "b/poster.webp": b"RIFF\x00\x01webp", "_headers": "/*\n  X-Test: 1\n"}


def expected_hash(content: bytes, name: str) -> str:
    """Pages' hash, computed here on its own: blake3(base64(content) + extension), 32 hex digits."""
    extension = os.path.splitext(name.rsplit("/", 1)[-1])[1][1:]
    return blake3(base64.b64encode(content) + extension.encode()).hexdigest()[:32]


def site_manifest(site: Path) -> dict[str, str]:
    """What the live manifest must say for ``site``, read from the files themselves."""
    return {f"/{path.relative_to(site).as_posix()}": expected_hash(path.read_bytes(), path.name)
            for path in sorted(site.rglob("*")) if path.is_file() and path.name != "_headers"}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "site", FILES)


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the deploy reads and hashes (the real hash still runs)."""
    names: list[str] = []
    real = _files.pages_hash

    def counting(content: bytes, name: str) -> str:
        names.append(name)
        return real(content, name)

    monkeypatch.setattr(_files, "pages_hash", counting)
    return names


def deploy(fake: FakeCloudflare, site: Path, cache: Path) -> DeployResult:
    credentials = Credentials(api_token=fake.token, account_id=fake.account_id, api_base=fake.base_url)
    return deploy_site(site, project="demos", branch="main", credentials=credentials, retry=FAST,
                       commit_hash="a" * 40, commit_message="test", commit_dirty=False, cache_dir=cache)


@pytest.mark.usefixtures("trusting")
def test_an_unchanged_redeploy_reads_no_file_and_uploads_nothing(site: Path, tmp_path: Path,
                                                                  hashed: list[str]) -> None:
    with FakeCloudflare() as fake:
        first = deploy(fake, site, tmp_path / "cache")
        assert sorted(hashed) == sorted(name for name in FILES if name != "_headers")
        hashed.clear()
        start = len(fake.requests)
        again = deploy(fake, site, tmp_path / "cache")
        live = fake.live()
    assert hashed == []
    assert (again.uploaded_files, again.skipped_files) == (0, first.files)
    assert "upload" not in fake.endpoints()[start:]
    assert live is not None and live.manifest == site_manifest(site)


@pytest.mark.usefixtures("trusting")
def test_a_file_changed_with_its_size_and_mtime_put_back_is_uploaded(site: Path, tmp_path: Path,
                                                                    hashed: list[str]) -> None:
    page = site / "a/page.html"
    with FakeCloudflare() as fake:
        deploy(fake, site, tmp_path / "cache")
        before = page.stat()
        page.write_text("<p>version two</p>", encoding="utf-8")  # same length
        os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = page.stat()
        assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        hashed.clear()
        result = deploy(fake, site, tmp_path / "cache")
        live = fake.live()
    assert hashed == ["a/page.html"]
    assert result.uploaded_files == 1
    assert live is not None and live.manifest == site_manifest(site)
    assert fake.assets[live.manifest["/a/page.html"]].content == b"<p>version two</p>"


@pytest.mark.usefixtures("trusting")
def test_a_file_swapped_for_another_of_the_same_size_and_mtime_is_uploaded(site: Path, tmp_path: Path,
                                                                         hashed: list[str]) -> None:
    style = site / "a/style.css"
    with FakeCloudflare() as fake:
        deploy(fake, site, tmp_path / "cache")
        before = style.stat()
        swapped = site / "a/.style.css.new"
        swapped.write_text("p{color:tan}", encoding="utf-8")
        os.utime(swapped, ns=(before.st_atime_ns, before.st_mtime_ns))
        os.replace(swapped, style)  # a new inode under the old name, as an atomic writer leaves it
        hashed.clear()
        result = deploy(fake, site, tmp_path / "cache")
        live = fake.live()
    assert hashed == ["a/style.css"]
    assert result.uploaded_files == 1
    assert live is not None and live.manifest == site_manifest(site)
    assert fake.assets[live.manifest["/a/style.css"]].content == b"p{color:tan}"


@pytest.mark.usefixtures("trusting")
def test_a_renamed_file_is_hashed_again_for_its_new_extension(site: Path, tmp_path: Path,
                                                              hashed: list[str]) -> None:
    with FakeCloudflare() as fake:
        first = deploy(fake, site, tmp_path / "cache")
        os.rename(site / "b/data.json", site / "b/data.txt")  # same inode, size and mtime; the hash differs
        hashed.clear()
        result = deploy(fake, site, tmp_path / "cache")
        live = fake.live()
    assert hashed == ["b/data.txt"]
    assert (result.files, result.uploaded_files) == (first.files, 1)
    assert live is not None and live.manifest == site_manifest(site)
    assert "/b/data.json" not in live.manifest


def test_files_written_a_moment_ago_are_read_again(site: Path, tmp_path: Path, hashed: list[str]) -> None:
    """Inside the index's racy window a same-size edit could keep its mtime: such files are never trusted."""
    with FakeCloudflare() as fake:
        deploy(fake, site, tmp_path / "cache")
        hashed.clear()
        result = deploy(fake, site, tmp_path / "cache")
    assert sorted(hashed) == sorted(name for name in FILES if name != "_headers")
    assert result.uploaded_files == 0


@pytest.mark.usefixtures("trusting")
def test_a_damaged_or_foreign_index_is_not_trusted(site: Path, tmp_path: Path, hashed: list[str]) -> None:
    with FakeCloudflare() as fake:
        deploy(fake, site, tmp_path / "cache")
        [index] = (tmp_path / "cache" / "deploy").iterdir()
        index.write_text("{not json", encoding="utf-8")
        hashed.clear()
        deploy(fake, site, tmp_path / "cache")
        assert len(hashed) == len(FILES) - 1
        other = Path(write_tree(tmp_path / "other", FILES))  # same names, another folder: its own index
        hashed.clear()
        result = deploy(fake, other, tmp_path / "cache")
        live = fake.live()
    assert len(hashed) == len(FILES) - 1
    assert len(list((tmp_path / "cache" / "deploy").iterdir())) == 2
    assert result.uploaded_files == 0 and live is not None and live.manifest == site_manifest(other)


def test_the_cli_keeps_the_index_in_the_build_cache(site: Path, tmp_path: Path) -> None:
    """Without a manifest, where a manifest in the working folder would put its build cache."""
    work = tmp_path / "work"
    work.mkdir()
    with FakeCloudflare() as fake:
        env = {"CLOUDFLARE_API_TOKEN": fake.token, "CLOUDFLARE_ACCOUNT_ID": fake.account_id,
               "CLOUDFLARE_API_BASE_URL": fake.base_url}
        command = ["deploy", str(site), "--project", "demos", "--branch", "main", "--json"]
        first = run_cli(*command, cwd=work, env=cli_env(**env))
        second = run_cli(*command, cwd=work, env=cli_env(**env))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert json.loads(second.stdout)["uploaded_files"] == 0
    [index] = (work / ".cache" / "mkdocs-hybrid" / "deploy").iterdir()
    assert json.loads(index.read_text(encoding="utf-8"))["settings"]
