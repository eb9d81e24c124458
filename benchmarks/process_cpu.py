"""The CPU of a child command's whole process tree, for the media benchmarks.

``getrusage(RUSAGE_CHILDREN)`` counts a child and the descendants it waited for. A browser killed at exit leaves
its zygote's children to be re-parented, normally to init, and their CPU would be missed: :func:`become_subreaper`
makes this process their new parent (``PR_SET_CHILD_SUBREAPER``), and :func:`tree_cpu` reaps them before it reads.
"""

from __future__ import annotations

import ctypes
import os
import resource
import subprocess
import time
from collections.abc import Sequence
from typing import Any

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Orphaned descendants are re-parented to this process (so their CPU counts); exits when Linux refuses."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit("prctl(PR_SET_CHILD_SUBREAPER) failed: descendants' CPU would be missed")


def tree_cpu(command: Sequence[str], **options: Any) -> tuple[float, float]:
    """Run ``command`` (``subprocess.run`` options, checked): (CPU seconds of its whole tree, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, **options)
    wall = time.perf_counter() - started
    reap_orphans()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall


def reap_orphans() -> None:
    """Wait for descendants re-parented to this subreaper, so their CPU counts in RUSAGE_CHILDREN."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)
