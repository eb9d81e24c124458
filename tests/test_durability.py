"""A full disk or a ``kill -9`` never leaves an empty or truncated file, and a later build cleans up.

Real disks are filled: each build runs in a private mount namespace (``unshare -rm``, which works for root and,
where user namespaces are allowed, for anyone) on a small tmpfs, filled up to a few points of the build. The
site (and, in another case, the cache and the ledger) lives on it; after the failed build every file in it must
be the old whole file or the good build's, or absent. Kills are real ``SIGKILL``s of the real CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from mkdocs_hybrid.model import durable
from mkdocs_hybrid.model.errors import HybridError
from mkdocs_hybrid.publish.ledger import Ledger
from tests.factory import CLI, cli_env, manifest_for, read_tree, run_cli, write_tree

pytestmark = pytest.mark.slow

# Runs inside the namespace: mount the tmpfs, copy the seed in, leave FREE bytes, run the CLI, copy the result out.
DRIVER = r"""
import json, os, shutil, subprocess, sys
disk, seed, out, free, cwd = sys.argv[1:6]
command = json.loads(sys.argv[6])
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", disk], check=True)
shutil.copytree(seed, disk, symlinks=True, dirs_exist_ok=True)
stat = os.statvfs(disk)
filler = stat.f_bavail * stat.f_frsize - int(free)
if filler > 0:
    fd = os.open(os.path.join(disk, ".filler"), os.O_CREAT | os.O_WRONLY)
    os.posix_fallocate(fd, 0, filler)
    os.close(fd)
run = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
os.unlink(os.path.join(disk, ".filler")) if filler > 0 else None
shutil.copytree(disk, out, symlinks=True, dirs_exist_ok=True)
print(json.dumps({"returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr}))
"""


def _can_mount() -> str | None:
    """Why a tmpfs cannot be mounted in a private namespace here (``None``: it can)."""
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot mount a tmpfs in a user+mount namespace ({probe.stderr.strip()}); run as root or allow " \
               "unprivileged user namespaces (CI runs as root)"
    return None


NO_MOUNT = _can_mount() if sys.platform.startswith("linux") else "needs Linux mount namespaces"
needs_tmpfs = pytest.mark.skipif(NO_MOUNT is not None, reason=str(NO_MOUNT))


def project(root: Path, *, versions: int, title: str = "Counter", **build: str) -> Path:
    """A project of two threads with ``versions`` versions each, the editor on (its hashed files and each
    version's ``source.json`` are written too)."""
    files = {}
    for thread in ("alpha", "beta"):
        files[f"demos/{thread}/thread.yml"] = yaml.safe_dump({"title": f"{title} {thread}"})
        for n in range(1, versions + 1):
            files[f"demos/{thread}/v{n}/index.js"] = (
                f"const n = {n};\n" + "// padding so files span pages\n" * 200
                + f"document.body.textContent = '{thread} ' + n;\n")
            files[f"demos/{thread}/v{n}/style.css"] = f"body {{ color: #{n:03d}; }}\n"
    write_tree(root, files)
    manifest_for(root, **build)
    data = yaml.safe_load((root / "hybrid.yml").read_text(encoding="utf-8"))
    (root / "hybrid.yml").write_text(yaml.safe_dump({**data, "editor": {"enabled": True}}), encoding="utf-8")
    return root


def build_args(site: Path, report: Path) -> list[str]:
    return [*CLI, "build", "-q", "--no-media", "-d", str(site), "--report", str(report)]


def run_on_small_disk(tmp_path: Path, seed: Path, free: int, cwd: Path, command: list[str]
                      ) -> tuple[Path, dict[str, object]]:
    """Run ``command`` with ``seed``'s files on a tmpfs at ``tmp_path/disk`` that has ``free`` bytes left;
    returns the disk's files after the run (copied out) and the run's outcome."""
    disk, out = tmp_path / "disk", tmp_path / "out"
    shutil.rmtree(out, ignore_errors=True)
    disk.mkdir(exist_ok=True)
    env = {**cli_env(), "PYTHONDONTWRITEBYTECODE": "1"}
    driver = subprocess.run(["unshare", "-rm", sys.executable, "-c", DRIVER, str(disk), str(seed), str(out),
                             str(free), str(cwd), json.dumps(command)],
                            capture_output=True, text=True, timeout=900, env=env)
    assert driver.returncode == 0, driver.stderr
    return out, json.loads(driver.stdout.strip().splitlines()[-1])


def assert_whole(site: Path, before: dict[str, bytes], good: dict[str, bytes], where: str, *,
                 temporaries: bool = False) -> None:
    """Every file of ``site`` is byte for byte the one from before the build or the good build's (a killed
    build may leave ``temporaries``: the next build removes them)."""
    for name, data in read_tree(site).items():
        if durable.is_temporary(name) and temporaries:
            continue
        assert not durable.is_temporary(name), f"{where}: a temporary file was left: {name}"
        if name.startswith("p/") and name.endswith("/index.html") and data.endswith(b"</html>\n"):
            continue  # a share page is written whole twice: plain with its artifact, then with its social card
        assert data in (before.get(name), good.get(name)), \
            f"{where}: {name} is neither the old file nor the good build's ({len(data)} bytes)"


def assert_one_line(outcome: dict[str, object], folder: str) -> None:
    stderr = str(outcome["stderr"])
    assert outcome["returncode"] != 0, outcome
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error ") and "full disk" in lines[0] and folder in lines[0], stderr


@needs_tmpfs
def test_a_full_disk_under_the_site_leaves_every_file_whole_and_says_so_in_one_line(tmp_path: Path) -> None:
    """Cold and warm builds into a site on a disk that fills up at several points."""
    good_project = project(tmp_path / "good", versions=4, title="Counter")
    assert run_cli("build", "-q", "--no-media", "-d", str(tmp_path / "good-site"), cwd=good_project).returncode == 0
    good = read_tree(tmp_path / "good-site")
    pages = {name: -(-len(data) // 4096) * 4096 for name, data in good.items()}  # tmpfs gives whole pages
    demos = sum(size for name, size in pages.items() if not name.startswith("editor/"))  # the editor's wasm is most
    points = (0.1 * demos, 0.5 * demos, 0.9 * demos, 0.9 * sum(pages.values()))
    old_project = project(tmp_path / "old", versions=2, title="Older")
    assert run_cli("build", "-q", "--no-media", "-d", str(tmp_path / "old-site"), cwd=old_project).returncode == 0
    old = read_tree(tmp_path / "old-site")

    seeds = {"cold": tmp_path / "seed-cold", "warm": tmp_path / "seed-warm"}
    seeds["cold"].mkdir()
    shutil.copytree(tmp_path / "old-site", seeds["warm"] / "site")
    failures = 0
    for case, seed in seeds.items():
        for free in points:
            work = tmp_path / f"p-{case}-{free}"
            shutil.copytree(good_project, work, ignore=shutil.ignore_patterns(".cache", ".mkdocs-hybrid", "site"))
            disk = tmp_path / "disk"
            out, outcome = run_on_small_disk(tmp_path, seed, int(free), work,
                                             build_args(disk / "site", disk / "report.json"))
            where = f"{case} build, {free:.0f} bytes free: {outcome}"
            assert_whole(out / "site", old if case == "warm" else {}, good, where)
            if outcome["returncode"] != 0:
                failures += 1
                assert_one_line(outcome, str(disk))
    assert failures >= 6, "most of these builds must have run out of space"


@needs_tmpfs
def test_a_full_disk_under_the_cache_and_ledger_is_one_line_and_the_site_stays_whole(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    good_project = project(tmp_path / "good", versions=4)
    assert run_cli("build", "-q", "--no-media", "-d", str(tmp_path / "good-site"), cwd=good_project).returncode == 0
    good = read_tree(tmp_path / "good-site")
    seed = tmp_path / "seed"
    seed.mkdir()
    failures = 0
    for free in (4096, 64 * 1024, 256 * 1024, 1024 * 1024):
        work = tmp_path / f"p-{free}"
        project(work, versions=4, cache_dir=str(disk / "cache"), ledger=str(disk / "ledger.sqlite"))
        site = tmp_path / f"site-{free}"
        _, outcome = run_on_small_disk(tmp_path, seed, free, work, build_args(site, tmp_path / "report.json"))
        if site.exists():
            assert_whole(site, {}, good, f"cache with {free} bytes free")
        if outcome["returncode"] != 0:
            failures += 1
            assert_one_line(outcome, str(disk))
            assert "backup" not in str(outcome["stderr"]), "a full disk is not a damaged ledger"
    assert failures >= 2, "the smaller disks must have run out of space"


def test_only_a_damaged_ledger_is_to_be_restored_from_a_backup(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"this is not a database, it is damaged" * 200)
    with pytest.raises(HybridError, match=r"damaged .*restore it from a backup"):
        Ledger(damaged)
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorname = "SQLITE_FULL"  # type: ignore[attr-defined]
    error = durable.storage_error(full, tmp_path / "ledger.sqlite")
    assert error is not None and "full disk" in str(error) and "backup" not in str(error)


# ---- kill -9 ---------------------------------------------------------------------------------------------


def _stale_temporaries(*folders: Path) -> list[str]:
    """Temporary entries of dead processes (other builds, of other tests, may be running meanwhile)."""
    found = []
    for folder in folders:
        if folder.is_dir():
            found += [str(p) for p in folder.rglob("*") if durable.is_stale(p.name)]
    return found


def _kill_when(process: subprocess.Popen[str], ready: object) -> bool:
    """SIGKILL the build once ``ready()`` is true (polled); whether it was still running then."""
    while process.poll() is None:
        if ready():  # type: ignore[operator]
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.005)
    return False


def test_a_killed_warm_build_leaves_no_partial_file_and_the_next_build_cleans_up(tmp_path: Path) -> None:
    """Kill a warm build (new versions added) at a few points; the next build removes what it left and
    makes the same bytes as a clean build."""
    # the same two builds, not killed (a warm build keeps the gallery data files older pages may load)
    reference = project(tmp_path / "clean", versions=8)
    for versions in (8, 12):
        project(reference, versions=versions)
        assert run_cli("build", "-q", "--no-media", "-d", str(reference / "site"), cwd=reference).returncode == 0
    clean = read_tree(reference / "site")

    def first_artifact(site: Path) -> bool:
        return any(site.glob("artifacts/*/v1*/page.html"))

    def new_versions_started(site: Path) -> bool:
        return any(site.glob("artifacts/*/v9/*"))

    def editor_started(site: Path) -> bool:
        return (site / "editor").is_dir()

    killed = 0
    for point in (first_artifact, new_versions_started, editor_started):
        work = tmp_path / f"p-{point.__name__}"
        project(work, versions=8)
        site = work / "site"
        assert run_cli("build", "-q", "--no-media", "-d", str(site), cwd=work).returncode == 0
        project(work, versions=12)  # four new versions per thread: a warm build with new work
        if point is not first_artifact:
            shutil.rmtree(site / "editor")
        else:
            shutil.rmtree(site / "artifacts")
        before = read_tree(site)
        process = subprocess.Popen([*CLI, "build", "-q", "--no-media", "-d", str(site)], cwd=work, env=cli_env(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        if _kill_when(process, lambda site=site, point=point: point(site)):
            killed += 1
        # what the kill left: old files, or new ones as the clean build makes them (none empty or cut short)
        assert_whole(site, before, clean, f"killed at {point.__name__}", temporaries=True)
        result = run_cli("build", "-q", "--no-media", "-d", str(site), cwd=work)
        assert result.returncode == 0, result.stderr
        assert _stale_temporaries(site, work / ".cache") == [], point.__name__
        shm = Path("/dev/shm")
        assert [p for p in (shm.iterdir() if shm.is_dir() else ()) if durable.is_stale(p.name)] == []
        rebuilt = read_tree(site)
        assert rebuilt.keys() == clean.keys(), point.__name__
        assert rebuilt == clean, f"killed at {point.__name__}: the next build differs from a clean build"
    assert killed >= 2, "the builds must have been killed while running"


def test_temporary_folders_of_a_dead_process_are_swept_and_a_live_ones_kept(tmp_path: Path) -> None:
    child = subprocess.run([sys.executable, "-c", "import os, sys\nfrom mkdocs_hybrid.model import durable\n"
                            "print(durable.make_temp_dir(sys.argv[1], '.install-'), flush=True)\n"
                            "os._exit(0)", str(tmp_path)],
                           capture_output=True, text=True, check=True, env=cli_env())
    dead = Path(child.stdout.strip())
    assert dead.name.startswith(".install-"), child.stdout
    live = durable.make_temp_dir(tmp_path, ".install-")
    assert dead.is_dir() and live.is_dir()
    assert durable.sweep(tmp_path, ".install-") == 1
    assert not dead.exists() and live.is_dir(), "only the dead process's folder goes"


def test_a_write_that_fails_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    target.write_bytes(b"old and whole")

    class Boom(Exception):
        pass

    def fail(handle: object) -> None:
        handle.write(b"half")  # type: ignore[attr-defined]
        raise Boom

    with pytest.raises(Boom):
        durable._write_via_temp(str(target), fail)
    assert target.read_bytes() == b"old and whole"
    assert os.listdir(tmp_path) == ["page.html"]


def test_temporary_names_are_unique_ours_and_not_shared_with_another_process(tmp_path: Path) -> None:
    mine = {durable.make_temp_dir(tmp_path, ".x-").name for _ in range(50)}
    child = subprocess.run([sys.executable, "-c", "import sys\nfrom mkdocs_hybrid.model import durable\n"
                            "print(durable.make_temp_dir(sys.argv[1], '.x-').name)", str(tmp_path)],
                           capture_output=True, text=True, check=True, env=cli_env())
    assert len(mine) == 50 and all(durable.is_temporary(name) for name in mine)
    assert child.stdout.strip() not in mine and durable.is_temporary(child.stdout.strip())
    # The part after the owner tag is salted per process: a name another user could guess would fail the write.
    assert len({name.rsplit(".", 1)[1][:8] for name in mine}) == 1
    assert child.stdout.strip().rsplit(".", 1)[1][:8] not in {name.rsplit(".", 1)[1][:8] for name in mine}
