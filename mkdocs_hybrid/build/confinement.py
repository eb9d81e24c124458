"""What a build may read: the snapshot's own files and its pinned packages, nothing else.

esbuild resolves absolute paths (``import "/etc/app.json"``, ``url(/x.svg)``) and
package subpaths on the real file system, so without a check a snapshot could
bundle any readable file of the build machine into its published page. Two
measures keep builds inside their folders:

- a leading ``/`` means the snapshot's root, as in the browser and in Vite: each
  snapshot is laid out with a ``tsconfig.json`` whose ``paths`` map ``/*`` onto its
  own folder (:data:`SNAPSHOT_TSCONFIG`), which esbuild applies to JS and CSS alike;
- esbuild runs where it sees only the build folder (writable) and the pinned packages
  (read-only): a bubblewrap sandbox (:func:`confined`) with no network, when ``bwrap``
  works on the machine (``scripts/install.sh`` installs it; set
  ``MKDOCS_HYBRID_SANDBOX=off`` to do without);
- every build is checked afterwards from esbuild's own record of what it read (the
  metafile's ``inputs``), per entry point: a version that read anything outside its
  allowed folders (another version's files in its batch, or any file when there is
  no sandbox) fails, and nothing of its build is kept. The error names the import,
  never the file's contents.
"""

from __future__ import annotations

import json
import os
import re
import shutil
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
OUTSIDE = ("reads a file outside the snapshot: only the snapshot's own files and its declared packages can be "
           "bundled (a leading \"/\" means the snapshot's root)")


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
    return [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--dev", "/dev", *binds,
            "--bind", real_cwd, real_cwd, "--chdir", real_cwd, *command]


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
