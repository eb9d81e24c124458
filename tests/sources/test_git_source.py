"""The ``git`` source: the directory layout read from a real git tree at a ref, without a checkout; blob ids as
signatures (an unchanged tree reads no blob); a URL mirrored once and fetched; a force push refused by the ledger."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from mkdocs_hybrid.config.manifest import Manifest, parse_manifest
from mkdocs_hybrid.model.errors import ManifestError
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.sources.git import GIT
from mkdocs_hybrid.sources.scan import Scan, scan_sources
from tests.factory import write_tree

ENV = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_NAME": "Ada",
       "GIT_COMMITTER_EMAIL": "ada@example.com", "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
       "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z", "GIT_CONFIG_NOSYSTEM": "1"}

LAYOUT = {
    "demos/hello/thread.yml": "title: Hello\ntags: [intro]\n",
    "demos/hello/v1/index.html": "<h1>one</h1>\n",
    "demos/hello/v1/snapshot.yml": "title: First\ncreated: 2026-03-01T10:00:00+02:00\nauthor: Grace\n",
    "demos/hello/v2/src/index.tsx": "import confetti from 'canvas-confetti';\nconfetti();\n",
    "demos/hello/v2/src/style.css": "body { color: red }\n",
    "demos/hello/v2/package.json": '{"dependencies": {"canvas-confetti": "1.9.3"}}\n',
    "demos/hello/v2/.hidden": "not a file of the version\n",
    "demos/hello/v2/node_modules/x/index.js": "skipped\n",
    "demos/maze/a/index.js": "document.body.textContent = 'maze';\n",
    "demos/README.md": "beside the threads: not a thread\n",
    "elsewhere/x/v1/index.html": "outside the source folder\n",
}


def git(repo: Path, *args: str) -> str:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env={**env, **ENV}, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def repository(root: Path, files: Mapping[str, str | bytes]) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "--quiet", "--initial-branch=main")
    return commit(root, files)


def commit(repo: Path, files: Mapping[str, str | bytes], message: str = "snapshots") -> Path:
    write_tree(repo, files)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message)
    return repo


def manifest(project: Path, **source: object) -> Manifest:
    data = {"sources": [{"type": "git", "ref": "main", "path": "demos/", **source}],
            "build": {"cache_dir": ".cache"}}
    project.mkdir(parents=True, exist_ok=True)
    (project / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return parse_manifest(data, base_dir=project, origin=str(project / "hybrid.yml"))


def lines(scan: Scan) -> list[str]:
    return [str(error) for error in scan.errors]


def described(scan: Scan) -> dict[str, dict[str, object]]:
    """Every field of every snapshot but where it came from, with its files' bytes."""
    where = {"origin", "dependencies_origin", "files"}
    return {s.ref: {**{f.name: getattr(s, f.name) for f in fields(s) if f.name not in where},
                    "files": dict(s.files.items())} for s in scan.snapshots}


def test_the_same_snapshots_as_a_directory_source_on_the_same_layout_checked_out(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", LAYOUT)
    from_git = scan_sources(manifest(tmp_path / "p", repo=str(repo)))
    checked_out = tmp_path / "checkout"
    git(tmp_path, "clone", "--quiet", str(repo), str(checked_out))
    data = {"sources": [{"type": "directory", "path": str(checked_out / "demos")}], "build": {"cache_dir": ".c"}}
    from_folder = scan_sources(parse_manifest(data, base_dir=tmp_path, origin="hybrid.yml"))
    assert lines(from_git) == lines(from_folder) == []
    assert described(from_git) == described(from_folder)
    assert sorted(described(from_git)) == ["hello/v1", "hello/v2", "maze/a"]
    assert from_git.threads["hello"].title == "Hello" and from_git.threads["hello"].tags == ("intro",)
    v2 = next(s for s in from_git.snapshots if s.ref == "hello/v2")
    assert v2.origin == f"{repo}@main:demos/hello/v2" and v2.dependencies_origin == f"{v2.origin}/package.json"
    assert v2.title == "Hello" and dict(v2.dependencies) == {"canvas-confetti": "1.9.3"}


def test_an_unchanged_tree_rebuilds_every_snapshot_from_the_index_and_reads_no_blob(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", LAYOUT)
    project = manifest(tmp_path / "p", repo=str(repo))
    before = GIT.blobs_read
    first = scan_sources(project)
    assert GIT.blobs_read - before == 7  # every file of the three versions (6) and the thread.yml, once
    before = GIT.blobs_read
    again = scan_sources(project)
    assert GIT.blobs_read == before
    assert described(again) == described(first)  # the files still read, on demand, when the bundler asks
    commit(repo, {"demos/maze/a/index.js": "document.body.textContent = 'edited';\n"})
    before = GIT.blobs_read
    third = scan_sources(project)
    assert GIT.blobs_read - before == 1  # only the version whose tree changed
    assert described(third)["maze/a"]["files"] == {"index.js": b"document.body.textContent = 'edited';\n"}


def test_a_bare_remote_by_url_is_cloned_once_then_fetched_never_cloned_again(tmp_path: Path) -> None:
    work = repository(tmp_path / "work", LAYOUT)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(work, "push", "--quiet", str(remote), "main")
    project = manifest(tmp_path / "p", repo=remote.as_uri())
    assert [s.ref for s in scan_sources(project).snapshots] == ["hello/v1", "hello/v2", "maze/a"]
    mirrors = list((tmp_path / "p/.cache/git").iterdir())
    assert len(mirrors) == 1 and (mirrors[0] / "HEAD").is_file() and not (mirrors[0] / "index").exists()
    (mirrors[0] / "cloned-once").write_text("a clone would not keep this")
    commit(work, {"demos/maze/b/index.html": "<p>b</p>\n"})
    git(work, "push", "--quiet", str(remote), "main")
    scan = scan_sources(project)
    assert lines(scan) == [] and [s.ref for s in scan.snapshots] == ["hello/v1", "hello/v2", "maze/a", "maze/b"]
    assert (mirrors[0] / "cloned-once").exists() and list((tmp_path / "p/.cache/git").iterdir()) == mirrors


def test_an_unreachable_url_is_one_line_and_what_was_fetched_before_is_read(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(repository(tmp_path / "work", LAYOUT)), str(remote))
    project = manifest(tmp_path / "p", repo=remote.as_uri())
    assert lines(scan_sources(project)) == []
    shutil.rmtree(remote)
    scan = scan_sources(project)
    assert [line.split(" (git: ")[0] for line in lines(scan)] == [
        f"?: {remote.as_uri()}@main: cannot fetch; the copy fetched before is read (check the URL and your access, "
        "then build again)"]
    assert len(lines(scan)[0].splitlines()) == 1 and len(scan.snapshots) == 3
    never = manifest(tmp_path / "q", repo=(tmp_path / "nowhere.git").as_uri())
    assert [line.split(" (git: ")[0] for line in lines(scan_sources(never))] == [
        f"?: {(tmp_path / 'nowhere.git').as_uri()}@main: cannot clone; check the URL and your access (an SSH deploy "
        "key, or a credential helper: git never prompts here)"]


def test_every_problem_is_one_line_naming_the_source_and_what_to_do(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", {
        **LAYOUT, "demos/maze/big/index.html": "x" * 2000, "demos/Bad/v1/index.html": "<p>bad id</p>\n"})
    os.symlink("../../hello/v1/index.html", repo / "demos/maze/a/link.html")
    os.symlink("../hello/v1", repo / "demos/maze/v9")
    os.symlink("../hello/thread.yml", repo / "demos/maze/thread.yml")
    sub = repository(tmp_path / "sub", {"index.html": "<p>sub</p>\n"})
    git(repo, "-c", "protocol.file.allow=always", "submodule", "--quiet", "add", str(sub), "demos/hello/v3/vendor")
    commit(repo, {})
    scan = scan_sources(_limited(tmp_path, repo))
    at = f"{repo}@main:demos"
    assert lines(scan) == [
        f"Bad: {at}/Bad: invalid thread id 'Bad': use 1-64 characters of a-z 0-9 . _ - starting with a letter or digit",
        f"hello/v3: {at}/hello/v3/vendor: is a submodule (mode 160000): a git source reads no submodules; commit its "
        "files instead",
        f"maze: {at}/maze/thread.yml: is a symlink (mode 120000): a git source reads no symlinks; commit the file "
        "itself",
    ]
    assert [s.ref for s in scan.snapshots] == ["hello/v1", "hello/v2"]
    os.remove(repo / "demos/maze/thread.yml")
    commit(repo, {})
    assert lines(scan_sources(_limited(tmp_path, repo)))[2:] == [
        f"maze/a: {at}/maze/a/link.html: is a symlink (mode 120000): a git source reads no symlinks; commit the file "
        "itself",
        f"maze/big: {at}/maze/big/index.html: file is 2,000 bytes, over the 1,000-byte limit (build.max_file_bytes); "
        "shrink it or move it out of the snapshot",
        f"maze/v9: {at}/maze/v9: is a symlink (mode 120000): a git source reads no symlinks; commit the file itself",
    ]


def _limited(tmp_path: Path, repo: Path) -> Manifest:
    data = {"sources": [{"type": "git", "repo": str(repo), "ref": "main", "path": "demos"}],
            "build": {"cache_dir": ".cache", "max_file_bytes": 1000}}
    (tmp_path / "p").mkdir(exist_ok=True)
    return parse_manifest(data, base_dir=tmp_path / "p", origin="hybrid.yml")


def test_an_unknown_ref_a_missing_folder_and_a_folder_that_is_no_repository_are_one_line(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", LAYOUT)
    assert lines(scan_sources(manifest(tmp_path / "p", repo=str(repo), ref="nope"))) == [
        f"?: {repo}@nope: no commit 'nope' in this repository; fix ref (a branch, tag or commit)"]
    assert lines(scan_sources(manifest(tmp_path / "p", repo=str(repo), path="demo"))) == [
        f"?: {repo}@main: no folder 'demo/' in its tree; fix path (a folder of the repository, or leave it out for "
        "the whole tree)"]
    plain = repo / "demos"  # a folder inside a repository is not one: git must not climb to the parent's
    assert lines(scan_sources(manifest(tmp_path / "p", repo=str(plain)))) == [
        f"?: {plain}@main: not a git repository; point repo at a git working tree or a bare repository (git init), "
        "or a URL"]


def test_git_missing_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = repository(tmp_path / "repo", LAYOUT)
    project = manifest(tmp_path / "p", repo=str(repo))
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    assert lines(scan_sources(project)) == [
        f"?: {repo}@main: git is not installed (a git source runs git); install git or use a directory source"]


def test_a_bare_repository_and_a_tag_or_commit_are_read_as_well(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", LAYOUT)
    git(repo, "tag", "v-first")
    first = git(repo, "rev-parse", "HEAD").strip()
    commit(repo, {"demos/maze/b/index.html": "<p>b</p>\n"})
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(repo), str(bare))
    for ref, count in (("main", 4), ("v-first", 3), (first, 3)):
        scan = scan_sources(manifest(tmp_path / "p", repo=str(bare), ref=ref))
        assert lines(scan) == [] and len(scan.snapshots) == count


def test_the_environment_of_the_build_does_not_point_git_elsewhere(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    repo = repository(tmp_path / "repo", LAYOUT)
    other = repository(tmp_path / "other", {"demos/other/v1/index.html": "<p>other</p>\n"})
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    scan = scan_sources(manifest(tmp_path / "p", repo=str(repo)))
    assert [s.ref for s in scan.snapshots] == ["hello/v1", "hello/v2", "maze/a"]


@pytest.mark.parametrize(("source", "line"), [
    ({"repo": "missing"}, "sources[0].repo 'missing' is not a folder"),
    ({"repo": "--upload-pack=x"}, "sources[0].repo must be a git repository's path or URL"),
    ({"repo": ".", "ref": "--output=x"}, "sources[0].ref must be a branch, tag or commit"),
    ({"repo": ".", "path": "../up"}, "sources[0].path: file path '../up' escapes the snapshot"),
])
def test_a_bad_entry_is_refused_when_the_manifest_is_read(tmp_path: Path, source: dict[str, str], line: str) -> None:
    with pytest.raises(ManifestError) as caught:
        manifest(tmp_path, **source)
    assert str(caught.value).startswith(f"{tmp_path / 'hybrid.yml'}: {line}")


def test_a_local_repository_is_watched_by_its_refs_and_a_url_not_at_all(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", LAYOUT)
    local = manifest(tmp_path / "p", repo=str(repo)).sources[0]
    assert {(str(w.path.relative_to(repo)), w.recursive) for w in GIT.watch(local)} == {
        (".git/HEAD", False), (".git/refs/heads", False), (".git/refs/tags", False)}
    assert GIT.watch(manifest(tmp_path / "p", repo="https://example.com/r.git").sources[0]) == []
    assert GIT.target(local, manifest(tmp_path / "p", repo=str(repo))) is None


def test_a_force_pushed_change_to_a_published_version_is_refused_and_its_bytes_kept(tmp_path: Path) -> None:
    files = {"demos/t/v1/index.js": "document.body.textContent = 'one'\n",
             "demos/t/v1/snapshot.yml": "created: 2026-01-01T00:00:00Z\n"}
    work = repository(tmp_path / "work", files)
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(work), str(remote))
    project = tmp_path / "p"
    site = tmp_path / "site"
    first = Export(manifest(project, repo=remote.as_uri()), jobs=1)
    first.run(site)
    assert first.report.ok and sorted(first.report.built) == ["t/v1"]
    published = (site / "artifacts/t/v1/page.html").read_bytes()
    git(work, "commit", "--quiet", "--amend", "-m", "rewritten")
    write_tree(work, {"demos/t/v1/index.js": "document.body.textContent = 'rewritten'\n"})
    git(work, "commit", "--quiet", "--all", "--amend", "-m", "rewritten")
    git(work, "push", "--quiet", "--force", str(remote), "main")
    second = Export(manifest(project, repo=remote.as_uri()), jobs=1)
    second.run(site)
    assert [str(e) for e in second.report.failed] == [
        "t/v1: this version was published with different files; versions are immutable: save your change as a "
        "new version (e.g. v2)"]
    assert (site / "artifacts/t/v1/page.html").read_bytes() == published


def fast_imported(repo: Path, versions: int) -> Path:
    """A repository whose one commit holds ``versions`` versions (four a thread), written by ``git fast-import``."""
    repo.mkdir()
    git(repo, "init", "--quiet", "--bare")
    stream = ["commit refs/heads/main", "committer Ada <ada@example.com> 1767225600 +0000", "data 6", "10,000"]
    for index in range(versions):
        body = f"<p>{index}</p>\n"
        stream += [f"M 100644 inline demos/t{index // 4:05d}/v{index % 4 + 1}/index.html", f"data {len(body)}", body]
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input="\n".join(stream) + "\n", text=True,
                   check=True, env={**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")}, **ENV})
    return repo


@pytest.mark.slow  # 5 s of CPU (10 s on a loaded machine): benchmarks/git_source.py measures it too
def test_a_tree_of_10000_versions_is_read_once_and_rescanned_without_reading_a_blob(tmp_path: Path) -> None:
    repo = fast_imported(tmp_path / "big.git", 10_000)
    project = manifest(tmp_path / "p", repo=str(repo))
    before = GIT.blobs_read
    first = scan_sources(project)
    assert lines(first) == [] and len(first.snapshots) == 10_000 and GIT.blobs_read - before == 10_000
    before = GIT.blobs_read
    again = scan_sources(project)
    assert len(again.snapshots) == 10_000 and GIT.blobs_read == before
    assert dict(again.snapshots[-1].files.items()) == {"index.html": b"<p>9999</p>\n"}
