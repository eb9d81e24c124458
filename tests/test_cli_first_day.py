"""What a new user meets first on the command line (issue 20): ``share`` prints the link that works or one
line saying why not, wrong names fail instead of printing nothing, ``-h`` is ``--help`` and counts read right.

One real project is built once (the real CLI, real esbuild, a real ledger): a listed thread with an unlisted
version, an unlisted thread, and a thread whose only version does not build.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from mkdocs_hybrid.cli import main
from mkdocs_hybrid.edge.signed import KEYS_ENV
from mkdocs_hybrid.edge.unlisted import KEY_ENV, UnlistedKey
from mkdocs_hybrid.model.words import counted
from mkdocs_hybrid.report import BuildReport
from tests.factory import manifest_for, write_tree

SITE_URL = "https://demos.example.org"
SHARE_KEY = "tests-only-share-key-0123456789abcdefgh"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("first-day")
    write_tree(root, {
        "demos/alpha/v1/index.js": "document.body.textContent = 'one';\n",
        "demos/alpha/v2/index.js": "document.body.textContent = 'two';\n",
        "demos/alpha/v3/index.js": "document.body.textContent = 'quiet';\n",
        "demos/alpha/v3/snapshot.yml": "unlisted: true\n",
        "demos/hushed/thread.yml": "unlisted: true\n",
        "demos/hushed/v1/index.js": "document.body.textContent = 'hushed';\n",
        "demos/broken/v1/index.js": "const broken = ;\n",
    })
    manifest_for(root)
    built = cli(root, "build", "-q", "-d", str(root / "site"), "--report", str(root / "report.json"))
    assert built.exit_code == 0 and "broken/v1" in built.stderr, built.output
    return root


def cli(project: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """``mkdocs-hybrid ARGS`` with ``project``'s manifest, in this process."""
    manifest = ("-m", str(project / "hybrid.yml")) if args[0] not in ("-h", "--help") else ()
    return CliRunner().invoke(main, [*args, *manifest], env=env, catch_exceptions=False)


def share(project: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return cli(project, "share", *args, "--site-url", SITE_URL + "/", env=env)


def site_file(project: Path, link: str) -> Path:
    """The file the static site answers ``link`` with."""
    assert link.startswith(SITE_URL + "/") and link.endswith("/"), link
    return project / "site" / link.removeprefix(SITE_URL + "/") / "index.html"


def token(thread: str, version: str) -> str:
    key = UnlistedKey.from_env()
    assert key is not None
    return key.token(thread, version)


def test_share_prints_the_listed_link_of_a_listed_version_and_the_site_has_it(project: Path) -> None:
    result = share(project, "alpha", "v2")
    assert (result.exit_code, result.stdout, result.stderr) == (0, f"{SITE_URL}/p/alpha/v2/\n", "")
    assert site_file(project, result.stdout.strip()).is_file()


def test_a_listed_link_needs_no_unlisted_key(project: Path) -> None:
    result = share(project, "alpha", "v1", env={KEY_ENV: ""})
    assert (result.exit_code, result.stdout) == (0, f"{SITE_URL}/p/alpha/v1/\n"), result.stderr


@pytest.mark.parametrize(("thread", "version"), [("alpha", "v3"), ("hushed", "v1")],
                         ids=["unlisted version", "version of an unlisted thread"])
def test_share_prints_the_token_path_of_an_unlisted_version_and_the_site_has_it(
        project: Path, thread: str, version: str) -> None:
    result = share(project, thread, version)
    assert (result.exit_code, result.stdout) == (0, f"{SITE_URL}/p/_u/{token(thread, version)}/\n"), result.stderr
    assert site_file(project, result.stdout.strip()).is_file()
    assert not (project / "site/p" / thread / version).exists()


@pytest.mark.parametrize(("args", "line"), [
    (("nope", "v1"), "error share: no thread 'nope' in the sources or the publish ledger; threads: alpha, hushed"),
    (("alpah", "v1"), "error share: no thread 'alpah' in the sources or the publish ledger; did you mean 'alpha'?"),
    (("alpha", "v9"), "error share: no version 'v9' of alpha; published: v1, v2, v3"),
    (("broken", "v1"), "error share: broken/v1 is not published: it has not built yet (run mkdocs-hybrid build, fix "
                       "any error it reports for it, then share it)"),
    (("broken", "v2"), "error share: no version 'v2' of broken, and broken has no published version yet (run "
                       "mkdocs-hybrid build first)"),
], ids=["unknown thread", "misspelt thread", "unknown version", "unpublished version", "thread never published"])
def test_share_refuses_what_is_not_published_with_one_line(project: Path, args: tuple[str, str], line: str) -> None:
    result = share(project, *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", line + "\n")


def test_an_unlisted_version_without_the_key_is_one_line_saying_the_key_is_needed(project: Path) -> None:
    result = share(project, "alpha", "v3", env={KEY_ENV: ""})
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"error alpha/v3 is unlisted, and unlisted versions need {KEY_ENV} (at least 32 random "
                             "characters) so that their links cannot be guessed\n")


def test_expires_needs_the_r2_mode_and_an_unlisted_version(project: Path) -> None:
    result = share(project, "alpha", "v3", "--expires", "7d", env={KEYS_ENV: SHARE_KEY})
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"error share --expires: {project / 'hybrid.yml'} has deploy.artifacts: pages; signed "
                             "links need deploy.artifacts: r2 (the site's edge worker checks them)\n")


def test_history_of_a_thread_that_does_not_exist_fails_naming_it(project: Path) -> None:
    result = cli(project, "history", "alpah")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("error history: no thread 'alpah' in the sources or the publish ledger; "
                             "did you mean 'alpha'?\n")
    known = cli(project, "history", "alpha")
    assert known.exit_code == 0 and known.stdout.startswith("thread alpha\n"), known.output
    never_built = cli(project, "history", "broken")  # it exists: its history is empty, not an error
    assert never_built.exit_code == 0 and "  (none)" in never_built.stdout, never_built.output


def test_republish_of_unknown_versions_fails_before_building_anything(project: Path, tmp_path: Path) -> None:
    result = cli(project, "build", "-d", str(tmp_path / "site"), "--republish", "NO/SUCH",
                 "--republish", "alpha/v9", "--republish", "alpha/v1", "--republish", "alpha")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"error build --republish: not in the sources of {project / 'hybrid.yml'}: 'NO/SUCH' "
                             "(no thread 'NO'; known: alpha, broken, hushed); 'alpha/v9' (no version 'v9' of alpha; "
                             "known: v1, v2, v3); 'alpha' (give THREAD/VERSION); nothing was built\n")
    assert not (tmp_path / "site").exists()


def test_dash_h_is_help_on_the_group_and_every_command(project: Path) -> None:
    assert isinstance(main, click.Group)
    for args in [(), *((name,) for name in main.list_commands(click.Context(main)))]:  # the help lists them all
        short = CliRunner().invoke(main, [*args, "-h"])
        assert short.exit_code == 0 and short.stdout.startswith("Usage: "), (args, short.output)
        assert short.stdout == CliRunner().invoke(main, [*args, "--help"]).stdout


def test_counts_say_1_thread_not_1_threads() -> None:
    assert [counted(n, "thread") for n in (0, 1, 2)] == ["0 threads", "1 thread", "2 threads"]
    report = BuildReport()
    report.threads = 1
    assert "(1 thread) in" in report.summary()
    report.threads = 2
    assert "(2 threads) in" in report.summary()


@pytest.fixture(autouse=True)
def _clean_share_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """No share keys from the machine's environment (each test that wants them passes them)."""
    if os.environ.get(KEYS_ENV):
        monkeypatch.delenv(KEYS_ENV)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", {
        "demos/many/v1/index.js": "document.body.textContent = 'x';\n",
        "demos/many/v1/snapshot.yml": "colour: red\ntags: 3\nunlisted: maybe\n",
        "demos/pinned/thread.yml": "title: 7\nlatest: [v1]\n",
        "demos/pinned/v1/index.js": "document.body.textContent = 'x';\n",
        "demos/fine/v1/index.js": "document.body.textContent = 'fine';\n",
        "exports/bad.json": json.dumps({"format": "mkdocs-hybrid/snapshot@1", "thread": "json", "version": "v1",
                                        "files": {}, "tags": "x", "extra": 1}),
    })
    manifest_for(root, snapshots="exports")
    built = cli(root, "build", "-q", "-d", str(tmp_path / "site"), "--report", str(tmp_path / "report.json"))
    assert built.exit_code == 0, built.output
    lines = sorted(built.stderr.splitlines())
    demos, exports = root / "demos", root / "exports"
    assert lines == [
        f"error json/v1: {exports / 'bad.json'}: unknown key(s) extra; allowed: author, created, dependencies, entry, "
        'files, format, tags, thread, title, unlisted, version; "files" must be a non-empty object of '
        '{"path": "contents"}; tags must be a list of non-empty UTF-8 strings',
        f"error many/v1: {demos / 'many/v1/snapshot.yml'}: unknown key(s) colour; allowed: author, created, entry, "
        "tags, title, unlisted, video; tags must be a list of non-empty UTF-8 strings; unlisted must be true or false",
        f"error pinned: {demos / 'pinned/thread.yml'}: latest: invalid version id ['v1']: use 1-64 characters of "
        "a-z 0-9 . _ - starting with a letter or digit; title must be UTF-8 text, not int 7",
    ], lines


def test_every_bad_key_of_the_manifest_is_reported_at_once(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"demos/a/v1/index.js": "x;\n", "hybrid.yml": (
        "sources: [{type: directory, path: demos}]\nbuild: {minify: 'yes', batch_size: 0, colour: red}\n"
        "video: {fps: 500, width: 161}\ncolor: blue\n")})
    result = cli(root, "build", "-q", "-d", str(tmp_path / "site"))
    assert (result.exit_code, result.stdout) == (2, "")
    origin = root / "hybrid.yml"
    assert result.stderr == (
        f"error {origin}: the manifest: unknown key(s) color; allowed: build, deploy, editor, exports, sources, video; "
        "video.fps must be between 1 and 60, not 500; video.width must be even (H.264 with yuv420p), not 161; "
        "build: unknown key(s) colour; allowed: batch_size, cache_dir, ledger, max_file_bytes, max_files, "
        "max_snapshot_bytes, minify, target, vendor; build.minify must be bool, not str ('yes')\n")


def test_every_bad_file_of_a_snapshot_folder_is_reported_at_once(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", {"demos/files/v1/index.js": "x;\n", "demos/files/v1/big.txt": "x" * 2048,
                                             "outside.txt": "secret\n"})
    folder = root / "demos/files/v1"
    os.mkfifo(folder / "pipe.txt")
    os.symlink("../../../outside.txt", folder / "link.txt")
    manifest_for(root, max_file_bytes=1024)
    built = cli(root, "build", "-q", "-d", str(tmp_path / "site"), "--report", str(tmp_path / "report.json"))
    assert built.exit_code == 0, built.output
    assert built.stderr == (
        f"error files/v1: {folder / 'big.txt'}: file is 2,048 bytes, over the 1,024-byte limit (build.max_file_bytes);"
        f" shrink it or move it out of the snapshot; {folder / 'link.txt'}: symlink points outside the snapshot (to "
        f"'../../../outside.txt'); copy it in instead; {folder / 'pipe.txt'}: is a FIFO, not a regular file: only "
        "regular files and folders are read; remove it\n")


def test_an_unlisted_version_gone_from_the_sources_stays_at_its_token_path(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", {"demos/open/v1/index.js": "x;\n", "demos/open/v2/index.js": "y;\n",
                                             "demos/open/v2/snapshot.yml": "unlisted: true\n"})
    manifest_for(root)
    for _ in range(2):  # the second build serves v2 from the ledger: its snapshot is gone
        built = cli(root, "build", "-q", "-d", str(tmp_path / "site"), "--report", str(tmp_path / "report.json"))
        assert (built.exit_code, built.stderr) == (0, ""), built.output
        shutil.rmtree(root / "demos/open/v2", ignore_errors=True)
    assert (tmp_path / "site/p/_u" / token("open", "v2") / "index.html").is_file()
    assert not (tmp_path / "site/p/open/v2").exists() and not (tmp_path / "site/artifacts/open/v2").exists()
    result = share(root, "open", "v2")
    assert (result.exit_code, result.stdout) == (0, f"{SITE_URL}/p/_u/{token('open', 'v2')}/\n"), result.stderr


def test_share_without_a_ledger_says_nothing_records_what_is_published(tmp_path: Path) -> None:
    write_tree(tmp_path, {"demos/open/v1/index.js": "x;\n"})
    manifest_for(tmp_path, ledger=False)
    result = share(tmp_path, "open", "v1")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"error share: {tmp_path / 'hybrid.yml'} has build.ledger: false, so nothing records "
                             "which versions are published; remove it and build, then share\n")
