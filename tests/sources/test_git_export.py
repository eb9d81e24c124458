"""``mkdocs-hybrid export git``: the editor's store appended to a real git repository, one commit per version,
laid out as the directory source reads it back."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from mkdocs_hybrid.config.manifest import parse_manifest
from mkdocs_hybrid.sources.git_export import FALLBACK_AUTHOR, export_to_git, tree_id
from mkdocs_hybrid.sources.scan import scan_sources
from mkdocs_hybrid.sources.snapshot_json import snapshot_document
from mkdocs_hybrid.sources.store import SnapshotStore
from tests.factory import cli_env, extract_tar, run_cli


def doc(thread: str, version: str, text: str = "hi", **extra: object) -> dict[str, object]:
    return {"format": "mkdocs-hybrid/snapshot@1", "thread": thread, "version": version,
            "files": {"index.js": f"document.body.textContent = {text!r};\n", "src/util.js": "export {};\n"}, **extra}


def saved_store(tmp_path: Path) -> Path:
    """Three versions over two threads, saved out of their created order, one without metadata."""
    store = SnapshotStore(tmp_path / "editor.sqlite")
    store.save("hello", "v2", doc("hello", "v2", "two", title="Second", created="2026-03-02T09:00:00Z",
                                  author="Ada Lovelace <ada@example.com>", tags=["intro"],
                                  dependencies={"canvas-confetti": "1.9.3"}))
    store.save("hello", "v1", doc("hello", "v1", "one", title="First", created="2026-03-01T10:00:00+02:00",
                                  author="Grace"))
    store.save("maze", "a", doc("maze", "a", "maze"))
    return tmp_path / "editor.sqlite"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def commits(repo: Path, ref: str = "main") -> list[str]:
    """``hash|author|author date|committer|committer date|subject``, oldest first."""
    return git(repo, "log", "--reverse", "--format=%H|%an <%ae>|%aI|%cn <%ce>|%cI|%s", ref).splitlines()


def documents(manifest_dir: Path, source: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each snapshot of one source as the snapshot JSON the editor opens (its origin aside), by thread/version."""
    manifest = parse_manifest({"sources": [source], "build": {"cache_dir": ".cache"}}, base_dir=manifest_dir,
                              origin=str(manifest_dir / "hybrid.yml"))
    scan = scan_sources(manifest)
    assert [str(error) for error in scan.errors] == []
    return {s.ref: snapshot_document(s) for s in scan.snapshots}


def extracted(repo: Path, tmp_path: Path, ref: str = "main") -> Path:
    """The branch's tree as `git archive` gives it, unpacked into a fresh folder."""
    target = tmp_path / f"archive-{len(list(tmp_path.glob('archive-*')))}"
    archive = subprocess.run(["git", "archive", ref], cwd=repo, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        extract_tar(tar, target)
    return target


def test_each_version_is_one_commit_with_the_snapshots_author_date_and_title(tmp_path: Path) -> None:
    store = saved_store(tmp_path)
    repo = tmp_path / "canon"
    git(tmp_path, "init", "--quiet", "-b", "main", str(repo))
    done = run_cli("export", "git", "canon", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith("appended 3, skipped 0 already there, refused 0 (main at ")
    assert [line.split("|", 1)[1] for line in commits(repo)] == [
        f"{FALLBACK_AUTHOR}|1970-01-01T00:00:00+00:00|{FALLBACK_AUTHOR}|1970-01-01T00:00:00+00:00|maze/a",
        "Grace <>|2026-03-01T08:00:00+00:00|Grace <>|2026-03-01T08:00:00+00:00|hello/v1: First",
        "Ada Lovelace <ada@example.com>|2026-03-02T09:00:00+00:00|Ada Lovelace <ada@example.com>"
        "|2026-03-02T09:00:00+00:00|hello/v2: Second",
    ]
    # main is checked out there: its files are left alone, and the note says how to see the versions
    assert done.stderr.splitlines() == [
        f"note main is checked out in {repo}, whose files were left as they were; `git -C {repo} restore --staged "
        "--worktree -- .` shows the exported versions there"]
    assert list(repo.iterdir()) == [repo / ".git"]
    git(repo, "restore", "--staged", "--worktree", "--", ".")
    assert git(repo, "status", "--porcelain") == ""
    assert (repo / "hello/v2/package.json").is_file()
    assert sorted(git(repo, "ls-tree", "-r", "--name-only", "main").split()) == [
        "hello/v1/index.js", "hello/v1/snapshot.yml", "hello/v1/src/util.js",
        "hello/v2/index.js", "hello/v2/package.json", "hello/v2/snapshot.yml", "hello/v2/src/util.js",
        "maze/a/index.js", "maze/a/src/util.js"]


def test_the_directory_and_git_sources_read_back_what_the_store_holds(tmp_path: Path) -> None:
    store = saved_store(tmp_path)
    # Values YAML would read as something else if written plainly (a bool, null, a date, a comment, line breaks)
    SnapshotStore(store).save("odd", "v1", doc(
        "odd", "v1", title='He said "hi": # yes\nnull \u2028 \x85 \x7f \ufeff 😀 \\ ~', author="O'Brien <ob@x.org>",
        tags=["yes", "2026-01-01", "null", "- a", "{b}"], unlisted=True, entry="index.js",
        created="2026-01-01T02:00:00+02:00"))
    export_to_git([store], tmp_path / "canon.git", path="demos/")
    tree = extracted(tmp_path / "canon.git", tmp_path)
    from_git = documents(tmp_path, {"type": "directory", "path": str(tree / "demos")})
    from_store = documents(tmp_path, {"type": "store", "path": str(store)})
    assert sorted(from_git) == ["hello/v1", "hello/v2", "maze/a", "odd/v1"]
    assert documents(tmp_path, {"type": "git", "repo": str(tmp_path / "canon.git"), "path": "demos/"}) == from_store
    assert (from_git["odd/v1"]["tags"], from_git["odd/v1"]["unlisted"]) == (["yes", "2026-01-01", "null", "- a", "{b}"],
                                                                          True)
    assert from_git == from_store


def test_a_rerun_appends_nothing_and_a_new_version_appends_one_commit(tmp_path: Path) -> None:
    store = saved_store(tmp_path)
    repo = tmp_path / "canon.git"
    first = export_to_git([store], repo)
    tip = git(repo, "rev-parse", "main").strip()
    assert (first.commit, len(first.appended)) == (tip, 3)
    again = export_to_git([store], repo)
    assert (again.appended, again.skipped, again.refused, again.commit) == ([], ["maze/a", "hello/v1", "hello/v2"],
                                                                             [], None)
    assert git(repo, "rev-parse", "main").strip() == tip
    SnapshotStore(store).save("maze", "b", doc("maze", "b", "bigger", created="2026-04-01T00:00:00Z"))
    assert export_to_git([store], repo).appended == ["maze/b"]
    assert git(repo, "rev-list", "--parents", "-n", "1", "main").split()[1:] == [tip]
    assert commits(repo)[-1].endswith("|maze/b")


def test_a_version_changed_since_it_was_exported_is_refused_in_one_line_and_the_others_appended(
        tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    repo = tmp_path / "canon.git"
    SnapshotStore(first / "editor.sqlite").save("hello", "v1", doc("hello", "v1", "original"))
    export_to_git([first / "editor.sqlite"], repo)
    tip = git(repo, "rev-parse", "main").strip()
    store = saved_store(tmp_path)  # another store whose hello/v1 holds other files
    done = run_cli("export", "git", str(repo), "--store", str(store), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "refused hello/v1: hello/v1/ in main differs from the stored version (versions never change); save the "
        "change as a new version, or export into another --path or --branch"]
    assert done.stdout.startswith("appended 2, skipped 0 already there, refused 1 (main at ")
    assert [line.rsplit("|", 1)[1] for line in commits(repo)] == ["hello/v1", "maze/a", "hello/v2: Second"]
    assert git(repo, "show", "main:hello/v1/index.js") == "document.body.textContent = 'original';\n"
    assert git(repo, "merge-base", "--is-ancestor", tip, "main") == ""


def test_a_working_repository_keeps_its_checkout_and_its_other_files(tmp_path: Path) -> None:
    repo = tmp_path / "site-repo"
    git(tmp_path, "init", "--quiet", "-b", "main", str(repo))
    (repo / "README.md").write_text("mine\n", encoding="utf-8")
    git(repo, "add", "README.md")
    git(repo, "-c", "user.name=me", "-c", "user.email=me@example.com", "commit", "--quiet", "-m", "start")
    (repo / "notes.txt").write_text("uncommitted\n", encoding="utf-8")
    result = export_to_git([saved_store(tmp_path)], repo, branch="snapshots", path="demos")
    assert len(result.appended) == 3
    assert git(repo, "status", "--porcelain") == "?? notes.txt\n"
    assert git(repo, "ls-tree", "--name-only", "snapshots").split() == ["demos"]
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_two_exports_of_the_same_store_give_the_same_commit_ids(tmp_path: Path) -> None:
    store = saved_store(tmp_path)
    export_to_git([store], tmp_path / "one.git")
    git(tmp_path, "init", "--quiet", "--bare", str(tmp_path / "two.git"))
    export_to_git([store], tmp_path / "two.git")
    assert commits(tmp_path / "one.git") == commits(tmp_path / "two.git")


def test_the_tree_id_computed_without_git_is_the_one_git_writes(tmp_path: Path) -> None:
    files = {"index.js": b"a", "src/b.js": b"b", "src.js": b"c", "src-x/c.js": b"d", "z": b""}
    export_repo = tmp_path / "r.git"
    store = SnapshotStore(tmp_path / "editor.sqlite")
    store.save("t", "v", {"format": "mkdocs-hybrid/snapshot@1", "thread": "t", "version": "v",
                          "files": {name: data.decode() for name, data in files.items()}})
    export_to_git([tmp_path / "editor.sqlite"], export_repo)
    assert git(export_repo, "rev-parse", "main:t/v").strip() == tree_id(files)


@pytest.mark.parametrize("make", [Path.mkdir, lambda path: path.write_text("x")], ids=["a folder", "a file"])
def test_a_path_that_is_not_a_repository_is_one_error_line(tmp_path: Path, make: Any) -> None:
    store = saved_store(tmp_path)
    make(tmp_path / "plain")
    done = run_cli("export", "git", "plain", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error plain is not a git repository; name a repository's folder (working or bare), or a path that does "
        "not exist yet to create a bare one"]


def test_a_subfolder_of_a_repository_is_not_taken_for_it(tmp_path: Path) -> None:
    git(tmp_path, "init", "--quiet", str(tmp_path / "outer"))
    (tmp_path / "outer" / "inner").mkdir()
    done = run_cli("export", "git", "outer/inner", "--store", str(saved_store(tmp_path)), cwd=tmp_path)
    assert done.returncode == 2 and "outer/inner is not a git repository" in done.stderr


def test_the_manifests_store_source_is_exported_without_store(tmp_path: Path) -> None:
    saved_store(tmp_path)
    (tmp_path / "hybrid.yml").write_text(yaml.safe_dump({"sources": [{"type": "store", "path": "editor.sqlite"}]}),
                                         encoding="utf-8")
    done = run_cli("export", "git", "canon.git", "--path", "demos/", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert git(tmp_path / "canon.git", "ls-tree", "--name-only", "main:demos").split() == ["hello", "maze"]


def test_a_branch_moved_while_exporting_is_left_alone_and_the_run_asked_again(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs_hybrid.sources import git_export
    from mkdocs_hybrid.sources.git_export import GitExportError

    store = saved_store(tmp_path)
    repo = tmp_path / "canon.git"
    SnapshotStore(tmp_path / "other.sqlite").save("x", "v1", doc("x", "v1"))
    export_to_git([tmp_path / "other.sqlite"], repo)
    real_stream = git_export._stream

    def stream_then_push(*args: Any) -> bytes:  # another writer moves main between the read and the write
        tree = git(repo, "rev-parse", "main^{tree}").strip()
        pushed = git(repo, "-c", "user.name=o", "-c", "user.email=o@example.com", "commit-tree", tree, "-p", "main",
                     "-m", "pushed meanwhile").strip()
        git(repo, "update-ref", "refs/heads/main", pushed)
        return real_stream(*args)

    monkeypatch.setattr(git_export, "_stream", stream_then_push)
    with pytest.raises(GitExportError, match=r"refs/heads/main moved while the versions were written .*run it again$"):
        export_to_git([store], repo)
    assert commits(repo)[-1].endswith("|pushed meanwhile")
    assert git(repo, "for-each-ref", "refs/mkdocs-hybrid") == ""


def test_a_store_file_that_does_not_exist_is_one_error_line_and_no_repository(tmp_path: Path) -> None:
    done = run_cli("export", "git", "canon.git", "--store", "typo.sqlite", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "error typo.sqlite: no such store file; name the editor's store (where `mkdocs-hybrid serve` saves) with "
        "--store or in the manifest"]
    assert not (tmp_path / "canon.git").exists()


def test_a_sha256_repository_gets_the_versions_and_a_rerun_skips_them(tmp_path: Path) -> None:
    repo = tmp_path / "canon.git"
    git(tmp_path, "init", "--quiet", "--bare", "--object-format=sha256", str(repo))
    store = saved_store(tmp_path)
    assert len(export_to_git([store], repo).appended) == 3
    assert len(git(repo, "rev-parse", "main").strip()) == 64
    assert export_to_git([store], repo).skipped == ["maze/a", "hello/v1", "hello/v2"]


def test_without_git_on_the_path_the_command_says_to_install_it(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = run_cli("export", "git", "canon.git", "--store", str(saved_store(tmp_path)), cwd=tmp_path,
                   env=cli_env(PATH=str(tmp_path / "empty")))
    assert (done.returncode, done.stderr.splitlines()) == (
        2, ["error git is not installed (or not on PATH); install git and run it again"])


def test_a_version_whose_files_a_folder_cannot_hold_is_refused_and_the_others_appended(tmp_path: Path) -> None:
    store = saved_store(tmp_path)
    SnapshotStore(store).save("meta", "v1", {**doc("meta", "v1"), "files": {"index.js": "x", "package.json": "{}"}})
    result = export_to_git([store], tmp_path / "canon.git")
    assert [str(error) for error in result.refused] == [
        "meta/v1: files: 'package.json' cannot be written as a directory source's file (metadata files, hidden "
        "files and node_modules are not read back); save it renamed as a new version"]
    assert result.appended == ["maze/a", "hello/v1", "hello/v2"]
