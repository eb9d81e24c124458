"""What a build may read: the snapshot's own files and its pinned packages, nothing else.

esbuild resolves absolute paths (``import "/etc/app.json"``, ``url(/x.svg)``) and
package subpaths on the real file system, so without a check a snapshot could
bundle any readable file of the build machine into its published page. Two
measures keep builds inside their folders:

- a leading ``/`` means the snapshot's root, as in the browser and in Vite: each
  snapshot is laid out with a ``tsconfig.json`` whose ``paths`` map ``/*`` onto its
  own folder (:data:`SNAPSHOT_TSCONFIG`), which esbuild applies to JS and CSS alike;
- esbuild runs where it sees only the build folder (writable) and the pinned packages
  (read-only): a bubblewrap sandbox (:func:`confined`) with no network and no device
  (``import "/dev/zero"`` would be read forever), when ``bwrap`` works on the machine
  (``scripts/install.sh`` installs it; set ``MKDOCS_HYBRID_SANDBOX=off`` to do without);
- with or without the sandbox, esbuild runs under a memory cap and a time limit sized to its
  work (:func:`run_limited`): a call that hits either is stopped and says so;
- every build is checked afterwards from esbuild's own record of what it read (the
  metafile's ``inputs``), per entry point: a version that read anything outside its
  allowed folders (another version's files in its batch, or any file when there is
  no sandbox) fails, and nothing of its build is kept. The error names the import,
  never the file's contents.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

SNAPSHOT_TSCONFIG = json.dumps({"compilerOptions": {"baseUrl": ".", "paths": {"/*": ["./*"]}}}) + "\n"
"""Written at the root of every snapshot laid out for esbuild (the snapshot's own tsconfig/jsconfig
files are not used: the editor resolves modules without them too). ``baseUrl`` also lets
``import "utils/x"`` find the snapshot's own ``utils/x.js`` before any package, as in Create React App's
``jsconfig.json``. The demo flags carry no ``--tsconfig-raw``, which would override this file."""
IGNORED_CONFIG_FILES = frozenset({"tsconfig.json", "jsconfig.json"})
DISABLED = "(disabled):"
"""esbuild's prefix for modules a package's ``browser`` field turns off: never read."""
OUTSIDE = ("is not a file of the snapshot or of its declared packages, and files outside the snapshot cannot be "
           "bundled (a leading \"/\" means the snapshot's root)")
"""Said alike of an import that read a file of the build machine and of one that found none, so a message
never tells which files exist there."""


SANDBOX_ENV = "MKDOCS_HYBRID_SANDBOX"
_UNRESOLVED_ABSOLUTE = re.compile(r'Could not resolve "/[^"]*"')
LOG_LOCATION = re.compile(r"^\s+(?P<file>[^\s].*?):(?P<line>\d+):(?P<column>\d+):\s*$", re.MULTILINE)
"""A location line of esbuild's text log (``    path/to/file.js:3:14:``)."""


@dataclass(frozen=True)
class OutsideRead:
    """One import that resolved to a file outside the allowed folders."""

    importer: str
    """The importing file, relative to the snapshot (or ``package <path>`` inside a package)."""
    specifier: str


def reachable_inputs(metafile: Mapping[str, Any], entry: str) -> Iterator[str]:
    """Every input esbuild read for ``entry``: the entry and what its imports reach, transitively."""
    inputs = metafile.get("inputs") or {}
    seen = {entry}
    stack = [entry]
    while stack:
        path = stack.pop()
        yield path
        for edge in (inputs.get(path) or {}).get("imports") or ():
            target = edge.get("path")
            if edge.get("external") or not isinstance(target, str) or target in seen:
                continue
            seen.add(target)
            stack.append(target)


def reachable_imports(metafile: Mapping[str, Any], entry: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every import of every input esbuild read for ``entry``, as (importing input, metafile import record)."""
    inputs = metafile.get("inputs") or {}
    for path in reachable_inputs(metafile, entry):
        for edge in (inputs.get(path) or {}).get("imports") or ():
            yield path, edge


def outside_reads(metafile: Mapping[str, Any], entry: str, cwd: str, allowed: Iterable[str]) -> list[OutsideRead]:
    """The imports of ``entry``'s build that read files outside ``allowed`` (absolute folders)."""
    roots = [_real(folder) for folder in allowed]
    escapes = []
    for path, edge in reachable_imports(metafile, entry):
        target = edge.get("path")
        if edge.get("external") or not isinstance(target, str) or target.startswith(DISABLED):
            continue
        if not is_inside(os.path.join(cwd, target), roots):
            escapes.append(OutsideRead(_describe_importer(path, entry, cwd, roots),
                                       str(edge.get("original") or target)))
    if not is_inside(os.path.join(cwd, entry), roots):
        escapes.append(OutsideRead(entry, entry))
    return escapes


def describe(escapes: list[OutsideRead]) -> str:
    """One line naming each offending import."""
    named = ", ".join(dict.fromkeys(f'import "{e.specifier}" in {e.importer}' for e in escapes))
    return f"{named} {OUTSIDE}"


def quotes_outside(log: str, cwd: str, allowed: Iterable[str]) -> bool:
    """Whether esbuild's text ``log`` points into (and so may quote) a file outside ``allowed``."""
    roots = [_real(folder) for folder in allowed]
    return any(not is_inside(os.path.join(cwd, m["file"]), roots) for m in LOG_LOCATION.finditer(log))


def explain_unresolved(message: str) -> str:
    """esbuild's message for an absolute import it could not find, with what a leading ``/`` means here."""
    if not _UNRESOLVED_ABSOLUTE.search(message):
        return message
    return (f'{message} (a leading "/" means the snapshot\'s root, which has no such file; files outside the '
            "snapshot cannot be bundled)")


def confined(command: list[str], *, cwd: str, read_only: Iterable[str]) -> list[str]:
    """``command`` (``command[0]`` a static binary, as esbuild is) run where it sees only ``cwd``, writable,
    and the ``read_only`` folders, with no network: through bubblewrap when it works here, else as it is."""
    bwrap = _bubblewrap() if os.environ.get(SANDBOX_ENV, "").lower() not in ("0", "off", "false", "no") else None
    if bwrap is None:
        return command
    binds = ["--ro-bind", command[0], command[0]]
    for folder in dict.fromkeys(map(_real, read_only)):
        if os.path.isdir(folder):
            binds += ["--ro-bind", folder, folder]
    real_cwd = _real(cwd)
    # No --dev: esbuild opens no device (checked with strace), and any device it could see is an import that
    # never ends (/dev/zero, /dev/urandom) or blocks (a tty). Its standard streams are opened outside.
    return [bwrap, "--unshare-all", "--die-with-parent", "--new-session", *binds,
            "--bind", real_cwd, real_cwd, "--chdir", real_cwd, *command]


MIB = 1024 * 1024
BASE_SECONDS = 15.0
"""Wall seconds any esbuild call gets: a small demo takes ~10 ms, so this is headroom for a loaded machine."""
SECONDS_PER_VERSION = 1.0
"""A version that bundles a large package (vendor files off) took ~20 ms, 50 at once 0.9 s on 2 cores."""
SECONDS_PER_MIB = 4.0
"""Measured 0.1-0.3 s per MiB of a version's own code (worst: 180 MiB of exports in one call, 47 s)."""
BASE_MEMORY = 512 * MIB
"""Data memory (RLIMIT_DATA) of any esbuild call: it starts at ~80 MB; ``/dev/zero`` fills this in seconds."""
MEMORY_PER_VERSION = 32 * MIB
"""50 versions bundling CodeMirror each peaked at 252 MB."""
MEMORY_PER_INPUT_BYTE = 128
"""esbuild held 64-86 bytes per byte of a version's own code (3.6 MB alone: 380 MB; 18 MB: 1.2 GB)."""


@dataclass(frozen=True)
class Budget:
    """What one esbuild call may use: wall seconds, and bytes of data memory (``RLIMIT_DATA``, not
    ``RLIMIT_AS``: Go reserves over a gigabyte of address space it never touches)."""

    seconds: float
    memory: int

    @classmethod
    def for_work(cls, versions: int, input_bytes: int) -> Budget:
        """A budget sized to a call over ``versions`` entry points and ``input_bytes`` of their own files, the
        memory capped at half the machine's (a call over that would swap it, whatever it builds)."""
        seconds = BASE_SECONDS + SECONDS_PER_VERSION * versions + SECONDS_PER_MIB * input_bytes / MIB
        memory = BASE_MEMORY + MEMORY_PER_VERSION * versions + MEMORY_PER_INPUT_BYTE * input_bytes
        return cls(seconds=math.ceil(seconds), memory=max(BASE_MEMORY, min(memory, _physical_memory() // 2)))

    def describe(self, limit: str) -> str:
        """``limit`` ("time" or "memory") with its value, as a message says it."""
        return f"{self.seconds:g} s" if limit == "time" else f"{self.memory // MIB} MB"


@dataclass(frozen=True)
class LimitedRun:
    """How a command run by :func:`run_limited` ended."""

    returncode: int
    stderr: bytes
    limit: str | None
    """``"time"`` or ``"memory"`` when it was stopped by its budget, else ``None``."""


_OUT_OF_MEMORY = re.compile(rb"fatal error: .*(out of memory|cannot allocate memory)", re.IGNORECASE)
"""What the Go runtime (esbuild) prints, exiting with code 2, when an allocation fails under RLIMIT_DATA."""


def run_limited(command: list[str], *, cwd: str, env: Mapping[str, str], budget: Budget) -> LimitedRun:
    """Run ``command`` (already :func:`confined`) with no stdin, in its own session, under ``budget``: the
    memory cap through util-linux's ``prlimit`` (set by a program in the child, not by a ``preexec_fn``,
    which is unsafe in a process with threads), and the whole process group killed when time runs out."""
    prlimit = shutil.which("prlimit")
    limited = [prlimit, f"--data={budget.memory}", "--core=0", "--", *command] if prlimit else command
    # GOTRACEBACK=none: a Go fatal error prints one line, not every goroutine's stack.
    proc = subprocess.Popen(limited, cwd=cwd, env={**env, "GOTRACEBACK": "none"}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=budget.seconds)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return LimitedRun(returncode=-signal.SIGKILL, stderr=proc.communicate()[1], limit="time")
    finally:
        if proc.poll() is None:
            _kill_group(proc)
    # A SIGKILL we did not send is the kernel's OOM killer (bubblewrap reports its child's as 128 + 9).
    killed = proc.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL)
    out_of_memory = killed or (proc.returncode == 2 and _OUT_OF_MEMORY.search(stderr))
    return LimitedRun(returncode=proc.returncode, stderr=stderr, limit="memory" if out_of_memory else None)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child's process group (bubblewrap's ``--die-with-parent`` takes esbuild with it), then reap."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


@cache
def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 * 1024 * MIB


@cache
def _bubblewrap() -> str | None:
    """``bwrap``'s path if it can make a sandbox on this machine (user namespaces may be off)."""
    path = shutil.which("bwrap")
    if path is None:
        return None
    try:
        probe = subprocess.run([path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
                               capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if probe.returncode == 0 else None


def sandbox_in_use() -> bool:
    """Whether :func:`confined` runs commands in a sandbox (reported in the build report)."""
    return confined(["true"], cwd="/", read_only=()) != ["true"]


def is_inside(path: str, roots: Iterable[str]) -> bool:
    """Whether ``path`` (followed through symlinks) lies in one of the real folders ``roots``."""
    real = _real(path)
    return any(real == root or real.startswith(root + os.sep) for root in roots)


def _describe_importer(path: str, entry: str, cwd: str, roots: list[str]) -> str:
    snapshot_root = os.path.join(cwd, *entry.split("/")[:2])
    full = _real(os.path.join(cwd, path))
    if is_inside(full, [_real(snapshot_root)]):
        return os.path.relpath(full, _real(snapshot_root)).replace(os.sep, "/")
    marker = f"{os.sep}node_modules{os.sep}"
    return "package file " + (full.rsplit(marker, 1)[-1] if marker in full else os.path.basename(full))


def _real(path: str) -> str:
    return os.path.realpath(path)
