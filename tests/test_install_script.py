"""scripts/install.sh on a fresh cloud machine, where unattended upgrades hold apt's locks at boot: its apt-get
waits for them (scripts/lib/apt.sh) instead of failing at once.

The locks are real (fcntl locks on dpkg's lock file and on a package lists folder's, as apt and dpkg take them),
held by this test for a few seconds. ``update`` runs with no package sources and its own lists folder, so it needs
no network and leaves the machine's package lists alone.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
APT_SH = REPO / "scripts" / "lib" / "apt.sh"
DPKG_LOCK = Path("/var/lib/dpkg/lock-frontend")
NO_SOURCES = ("-o", "Dir::Etc::sourcelist=/dev/null", "-o", "Dir::Etc::sourceparts=/nonexistent")

pytestmark = pytest.mark.skipif(shutil.which("apt-get") is None or os.geteuid() != 0 or not DPKG_LOCK.exists(),
                                reason="needs Debian's apt-get and root (to take its locks)")


@contextmanager
def held(lock: Path, seconds: float) -> Iterator[None]:
    """Hold ``lock`` as another package manager would, and let it go after ``seconds``."""
    handle = lock.open("a")
    fcntl.lockf(handle, fcntl.LOCK_EX)
    release = threading.Timer(seconds, lambda: (fcntl.lockf(handle, fcntl.LOCK_UN), handle.close()))
    release.start()
    try:
        yield
    finally:
        release.join()


def apt_get(*args: str, wait: int = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "APT_LOCK_WAIT": str(wait), "APT_LOCK_POLL": "1", "sudo_cmd": ""}
    return subprocess.run(["bash", "-c", f'source "{APT_SH}"; apt_get "$@"', "apt_get", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


@pytest.fixture
def lists(tmp_path: Path) -> tuple[Path, tuple[str, ...]]:
    """A package lists folder of this test's own: its lock, and the options that make ``update`` use it."""
    folder = tmp_path / "lists"
    (folder / "partial").mkdir(parents=True)
    return folder / "lock", (*NO_SOURCES, "-o", f"Dir::State::Lists={folder}/")


def test_update_waits_for_the_package_lists_lock_and_says_why_once(lists: tuple[Path, tuple[str, ...]]) -> None:
    lock, options = lists
    started = time.monotonic()
    with held(lock, 3):
        result = apt_get("update", "-qq", *options)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started >= 3
    assert result.stderr.count("another package manager holds apt's lock") == 1
    assert "waiting up to 60 s" in result.stderr


def test_dpkg_commands_wait_for_dpkgs_lock() -> None:
    with held(DPKG_LOCK, 2):
        result = apt_get("check")
    assert result.returncode == 0, result.stderr


def test_a_lock_held_too_long_fails_with_apts_own_message(lists: tuple[Path, tuple[str, ...]]) -> None:
    lock, options = lists
    with held(lock, 4):
        result = apt_get("update", "-qq", *options, wait=1)
    assert result.returncode != 0
    assert f"Could not get lock {lock}" in result.stderr


def test_other_failures_are_not_retried() -> None:
    result = apt_get("install", "-y", "-qq", "--simulate", "no-such-package-mkdocs-hybrid")
    assert result.returncode != 0
    assert "Unable to locate package no-such-package-mkdocs-hybrid" in result.stderr
    assert "another package manager" not in result.stderr, "a missing package is reported at once"
