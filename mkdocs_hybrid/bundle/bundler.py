"""Bundle snapshots with native esbuild, many entry points per call.

Snapshots are grouped by their installed dependency set (one ``NODE_PATH`` per
call) and built in batches in an isolated temporary root. esbuild writes nothing
when any entry of a batch fails, so a failed batch is retried without the
snapshots its errors name, and bisected when an error names none of them: every
good snapshot is still built, every bad one gets its own error. A snapshot is only
ever failed by a call that built it alone: esbuild's log is text that quotes the
authors' file names and code, so what it says about a batch only decides how to
split it, never who failed. Every call runs under a time and memory budget sized
to its work; a batch stopped by it is split into single versions at once.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeGuard

from mkdocs_hybrid.bundle.confinement import (
    IGNORED_CONFIG_FILES,
    LOG_LOCATION,
    OUTSIDE,
    SNAPSHOT_TSCONFIG,
    Budget,
    LimitedRun,
    OutsideRead,
    confined,
    describe,
    is_inside,
    outside_reads,
    reachable_imports,
    run_limited,
)
from mkdocs_hybrid.bundle.dependencies import InstalledSet
from mkdocs_hybrid.bundle.flags import esbuild_flags
from mkdocs_hybrid.bundle.html_entry import HtmlEntry, split_html_entry
from mkdocs_hybrid.bundle.toolchain import Toolchain
from mkdocs_hybrid.bundle.vendor import VendorFile
from mkdocs_hybrid.config.manifest import BuildOptions
from mkdocs_hybrid.model.durable import scratch_dir, write_scratch
from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.snapshot import Snapshot

ENTRY_NAME = ".hybrid-entry.js"
SHIMS_FOLDER = ".shims/node_modules"
"""Where a batch's vendor shims are copied inside its build root (never a snapshot's folder: ids cannot start
with a dot). Inside the root, esbuild names them by the same relative path on every machine (and in the
editor, which lays them out there too), so even an unminified bundle never holds the cache's location."""
MAX_BATCHES_IN_FLIGHT = 32
_ERROR_HEAD = re.compile(r"^✘ \[ERROR\] (?P<message>.*)$")
_UNRESOLVED = re.compile(r'^(?:(?P<importer>.*?):\d+:\d+: )?Could not resolve "(?P<specifier>(?:[^"\\]|\\.)*)"')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
"""A URL's scheme (``file:``, ``https:``, ``node:``): never a package name, which cannot hold a colon."""


@dataclass(frozen=True)
class BundleJob:
    """One snapshot to bundle, with its installed dependencies."""

    snapshot: Snapshot
    deps: InstalledSet
    vendor: VendorFile | None = None
    """Shared vendor script its dependencies come from (bundled against shims, see ``vendor.py``)."""
    prebuilt: bool = False
    """Bundled while planning, which found its imports that way (``plan.py``): the bundle cache holds its
    bundle under its key, and a build counts it as built, not cached."""

    @property
    def node_paths(self) -> tuple[Path, ...]:
        """Where bare imports resolve: the vendor shims first (its JS modules), then the pinned packages
        (CSS, JSON and assets imported from packages are bundled into the version itself)."""
        installed = (self.deps.node_modules,) if self.deps.node_modules else ()
        return ((self.vendor.shims,) if self.vendor else ()) + installed


@dataclass(frozen=True)
class Bundle:
    """esbuild's output for one snapshot."""

    js: bytes
    css: bytes
    html: HtmlEntry | None
    """The page around the bundle, for ``index.html`` entries."""
    imports: tuple[str, ...] | None = None
    """The bare specifiers its own files import, as the import scan lists them (see :func:`own_bare_imports`)."""


Outcome = tuple[str, Bundle | SnapshotError]
"""A snapshot's ref and its bundle or error (never the job: a job sent back could carry contents)."""


def bundle_jobs(jobs: Sequence[BundleJob], toolchain: Toolchain, options: BuildOptions,
                on_done: Callable[[BundleJob, Bundle | SnapshotError], None], *,
                executor: Executor | None = None) -> None:
    """Bundle every job, calling ``on_done`` once per job (in this thread) with its bundle or its error.

    Batches are independent, so with an ``executor`` (threads, processes, or dask's) they run in
    parallel; ``on_done`` still runs here, so the caller stays the only writer. At most
    ``MAX_BATCHES_IN_FLIGHT`` batches are submitted ahead: a batch sent to another process carries its
    snapshots' contents, and memory must not grow with the number of snapshots.
    """
    callers = {job.snapshot.ref: job for job in jobs}

    def deliver(outcomes: list[Outcome]) -> None:
        for ref, outcome in outcomes:
            on_done(callers[ref], outcome)

    batches = _batches(jobs, options.batch_size)
    if executor is None:
        for batch in batches:
            deliver(bundle_batch(batch, toolchain, options))
        return
    running: set[Future[list[Outcome]]] = set()
    for batch in batches:
        if len(running) >= MAX_BATCHES_IN_FLIGHT:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                deliver(future.result())
        running.add(executor.submit(bundle_batch, batch, toolchain, options))
    while running:
        finished, running = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            deliver(future.result())


def _batches(jobs: Sequence[BundleJob], size: int) -> Iterator[list[BundleJob]]:
    """Jobs grouped by dependency set (one NODE_PATH per esbuild call), ``size`` at a time."""
    groups: dict[str, list[BundleJob]] = {}
    for job in jobs:
        groups.setdefault(os.pathsep.join(map(str, job.node_paths)), []).append(job)
    for group in groups.values():
        for start in range(0, len(group), size):
            yield group[start:start + size]


def bundle_batch(jobs: list[BundleJob], toolchain: Toolchain, options: BuildOptions) -> list[Outcome]:
    """Bundle one batch, isolating failures; a plain function so any executor can run it."""
    outcomes: list[Outcome] = []
    ready = []
    for job in jobs:  # read each snapshot once; an HTML page that loads from another site fails here, alone
        snapshot = job.snapshot
        try:
            loaded, page = _load(snapshot)
            ready.append((replace(job, snapshot=loaded), page))
        except SnapshotError as exc:
            outcomes.append((snapshot.ref, exc.located(snapshot.thread, snapshot.version)))
    _bundle_isolating(ready, toolchain, options, lambda job, outcome: outcomes.append((job.snapshot.ref, outcome)))
    return outcomes


def _load(snapshot: Snapshot) -> tuple[Snapshot, HtmlEntry | None]:
    """The snapshot with its contents read (checked against its digests), and its page split when it is an
    ``index.html`` entry; a :class:`SnapshotError` when either cannot be done."""
    loaded = snapshot.with_contents()
    return loaded, split_html_entry(loaded) if loaded.is_html else None


def _bundle_isolating(batch: list[tuple[BundleJob, HtmlEntry | None]], toolchain: Toolchain,
                      options: BuildOptions, on_done: Callable[[BundleJob, Bundle | SnapshotError], None]) -> None:
    """Build ``batch``, failing a snapshot only when a call over it alone failed: what esbuild's log says about
    a bigger batch (its text quotes the authors' file names and code, so it can be forged) only picks who is
    built alone next."""
    pending = list(batch)
    while pending:
        result = _run_batch(pending, toolchain, options)
        if isinstance(result, dict):
            for job, page in pending:
                output = result[job.snapshot.ref]
                if isinstance(output, str):  # it read outside its folders: nothing of its build is kept
                    on_done(job, SnapshotError(output, thread=job.snapshot.thread, version=job.snapshot.version))
                else:
                    on_done(job, Bundle(js=output[0], css=output[1], html=page, imports=output[2]))
            return
        if len(pending) == 1:
            on_done(pending[0][0], _failure(pending[0][0], result))
            return
        if result.limit is not None:
            # Out of time or memory: every version alone at once, each under its own smaller budget, so one
            # that never finishes costs one small budget more, not a bisection of big ones.
            alone, pending = pending, []
        else:
            # Only errors inside a pending snapshot's own files name it; others need bisection.
            named = {ref for ref, _ in result.errors}
            alone = [item for item in pending if item[0].snapshot.ref in named]
            if not alone:
                half = len(pending) // 2
                _bundle_isolating(pending[:half], toolchain, options, on_done)
                pending = pending[half:]
                continue
            pending = [item for item in pending if item[0].snapshot.ref not in named]
        for item in alone:
            _bundle_isolating([item], toolchain, options, on_done)


def _failure(job: BundleJob, failed: _Failed) -> SnapshotError:
    """The error of a snapshot whose build alone failed."""
    snapshot = job.snapshot
    if failed.limit is not None:
        return SnapshotError(_out_of_budget(failed.limit, failed.budget), thread=snapshot.thread,
                             version=snapshot.version)
    messages = [_with_hint(m, job) for _, m in failed.errors]
    unique = list(dict.fromkeys(messages)) or ["esbuild failed without a message"]
    return SnapshotError("; ".join(unique), thread=snapshot.thread, version=snapshot.version)


def _out_of_budget(limit: str, budget: Budget) -> str:
    return (f"esbuild ran out of {limit} ({budget.describe(limit)} for this version) and was stopped: something "
            "it imports never ends (a device or a pipe of the build machine) or its files are too big to bundle; "
            "import only the snapshot's own files and its declared packages, and split a very large demo")


_Outputs = dict[str, "tuple[bytes, bytes, tuple[str, ...]] | str"]
"""Per snapshot ref: its (js, css, bare imports), or why its build is refused."""
_Errors = list[tuple["str | None", str]]
"""esbuild's errors as (snapshot ref or None, message)."""


@dataclass(frozen=True)
class _Failed:
    """An esbuild call that built nothing: its errors, or the budget limit (time or memory) that stopped it."""

    errors: _Errors
    budget: Budget
    limit: str | None = None


def _run_batch(batch: list[tuple[BundleJob, HtmlEntry | None]], toolchain: Toolchain, options: BuildOptions
               ) -> _Outputs | _Failed:
    """One esbuild call: each snapshot's output (or refusal), or how the call failed."""
    first = batch[0][0]
    items = [(job.snapshot, page) for job, page in batch]
    budget = _budget(items)
    with _build_root(items) as (root, entries):
        node_paths = _lay_out_shims(root, first.vendor) + first.node_paths[1 if first.vendor else 0:]
        run = _esbuild(toolchain, root, entries, esbuild_flags(options), node_paths, budget)
        if isinstance(run, str):
            return _Failed([(None, run)], budget)
        if run.limit is not None:
            return _Failed([], budget, run.limit)
        if run.returncode != 0:
            stderr = run.stderr.decode("utf-8", errors="replace")
            return _Failed(_parse_errors(stderr, root, node_paths, _laid_out(items)), budget)
        return _read_outputs(root, _metafile(root), [job for job, _ in batch], entries, node_paths)


def _budget(items: Sequence[tuple[Snapshot, HtmlEntry | None]]) -> Budget:
    """The time and memory an esbuild call over ``items`` may use, from how many they are and their size."""
    return Budget.for_work(len(items), sum(len(data) for snapshot, _ in items for data in snapshot.files.values()))


def _lay_out_shims(root: str, vendor: VendorFile | None) -> tuple[Path, ...]:
    """Copy the vendor file's shims into the build root (a few tiny files); the NODE_PATH entry for them."""
    if vendor is None:
        return ()
    target = Path(root) / SHIMS_FOLDER
    shutil.copytree(vendor.shims, target)
    return (target,)


def scan_bare_imports(snapshots: Sequence[Snapshot], node_paths: tuple[Path, ...], toolchain: Toolchain,
                      options: BuildOptions) -> dict[str, tuple[str, ...] | None]:
    """The bare specifiers each snapshot's code really imports, by ref, as esbuild resolves them (only the
    code its entry reaches, whatever the syntax). ``None`` for a snapshot that cannot be read or that esbuild
    cannot build: its real build reports why. All ``snapshots`` share one dependency set (``node_paths``);
    a plain function, so any executor can run it."""
    found: dict[str, tuple[str, ...] | None] = {}
    items = []
    for snapshot in snapshots:
        try:
            items.append(_load(snapshot))
        except SnapshotError:
            found[snapshot.ref] = None
    pending = [items] if items else []
    while pending:
        part = pending.pop()
        with _build_root(part) as (root, entries):
            run = _esbuild(toolchain, root, entries, [*esbuild_flags(options), "--packages=external"], node_paths,
                           _budget(part))
            if not isinstance(run, str) and run.returncode == 0:
                metafile = _metafile(root)
                for (snapshot, _), entry in zip(part, entries):
                    found[snapshot.ref] = _bare_imports(metafile, entry)
                continue
        if len(part) == 1:
            found[part[0][0].ref] = None
        elif not isinstance(run, str) and run.limit is not None:
            pending += [[item] for item in part]  # out of time or memory: alone at once, as in a build
        else:
            pending += [part[:len(part) // 2], part[len(part) // 2:]]
    return found


def _bare_imports(metafile: dict[str, Any], entry: str) -> tuple[str, ...]:
    found = set()
    for _, edge in reachable_imports(metafile, entry):
        specifier = edge.get("path")
        if edge.get("external") and _is_bare(specifier, edge):
            found.add(specifier)
    return tuple(sorted(found))


def own_bare_imports(metafile: dict[str, Any], entry: str, folder: str) -> tuple[str, ...]:
    """What :func:`scan_bare_imports` finds for ``entry``, read from a real build's metafile instead of a scan
    with packages external: the bare specifiers the files in the snapshot's ``folder`` (``thread/version``)
    import, unless they resolved into that folder (tsconfig's ``baseUrl``, applied in the scan too)."""
    found = set()
    prefix = folder + "/"
    for importer, edge in reachable_imports(metafile, entry):
        target, specifier = edge.get("path"), edge.get("original") or edge.get("path")
        if importer.startswith(prefix) and _is_bare(specifier, edge) and isinstance(target, str) \
                and (edge.get("external") or not target.startswith(prefix)):
            found.add(specifier)
    return tuple(sorted(found))


def _is_bare(specifier: object, edge: Mapping[str, Any]) -> TypeGuard[str]:
    """Whether an import names a package (not a file, an internal ``#`` import, a URL, or a CSS ``url()``)."""
    return isinstance(specifier, str) and edge.get("kind") != "url-token" \
        and not specifier.startswith((".", "/", "#")) and ":" not in specifier


@contextmanager
def _build_root(items: Sequence[tuple[Snapshot, HtmlEntry | None]]) -> Iterator[tuple[str, list[str]]]:
    """A fresh, isolated folder with each snapshot laid out as ``{thread}/{version}/...``, and the entries.
    Named for this process, so a later build removes the ones a killed build left (see ``durable``)."""
    with scratch_dir("mkdocs-hybrid-build-", _scratch_parent()) as folder:
        # An empty package.json stops esbuild looking at parent folders (a "type" there changes output).
        write_scratch(folder / "package.json", "{}\n")
        yield str(folder), [_write_snapshot(folder, snapshot, page) for snapshot, page in items]


def _esbuild(toolchain: Toolchain, root: str, entries: list[str], flags: list[str], node_paths: tuple[Path, ...],
             budget: Budget) -> LimitedRun | str:
    """Run esbuild over ``entries`` in ``root`` (outputs in ``out/``, metafile in ``meta.json``) within
    ``budget``, or say why it cannot run."""
    env = {"PATH": os.environ.get("PATH", ""), "NODE_PATH": os.pathsep.join(map(str, node_paths))}
    command = [str(toolchain.esbuild), *entries, *flags, "--outdir=out", "--outbase=.", "--metafile=meta.json",
               "--log-limit=0", "--log-level=error", "--color=false"]
    try:
        return run_limited(confined(command, cwd=root, read_only=map(str, node_paths)), cwd=root, env=env,
                           budget=budget)
    except OSError as exc:
        return f"cannot run esbuild ({exc})"


def _metafile(root: str) -> dict[str, Any]:
    """esbuild's record of a call in ``root``: what it read (``inputs``) and wrote (``outputs``)."""
    metafile: dict[str, Any] = json.loads((Path(root) / "meta.json").read_text(encoding="utf-8"))
    return metafile


def _scratch_parent() -> str | None:
    """A RAM-backed folder for build roots when there is one: a batch is written and deleted at once,
    and on a busy disk that file churn cost more than esbuild itself (measured in benchmarks/bulk.py)."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _write_snapshot(root: Path, snapshot: Snapshot, page: HtmlEntry | None) -> str:
    """Lay the snapshot out as ``{thread}/{version}/...`` and return its entry point."""
    folder = root / snapshot.thread / snapshot.version
    for name, data in snapshot.files.items():
        if name.rsplit("/", 1)[-1] in IGNORED_CONFIG_FILES:
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_scratch(target, data)
    folder.mkdir(parents=True, exist_ok=True)
    write_scratch(folder / "tsconfig.json", SNAPSHOT_TSCONFIG)
    if page is None:
        return f"{snapshot.thread}/{snapshot.version}/{snapshot.entry}"
    for name, code in page.inline_modules.items():
        write_scratch(folder / name, code)
    base = Path(snapshot.entry).parent
    lines = [f"import {json.dumps('./' + os.path.relpath(path, base).replace(os.sep, '/'))};" for path in page.imports]
    write_scratch(folder / base / ENTRY_NAME, "\n".join(lines) + "\n")
    return (Path(snapshot.thread) / snapshot.version / base / ENTRY_NAME).as_posix()


def _read_outputs(root: str, metafile: dict[str, Any], jobs: list[BundleJob], entries: list[str],
                  node_paths: tuple[Path, ...]) -> _Outputs:
    """Each job's (js, css), once its build is shown to have read only its own folder and packages."""
    by_entry = {info["entryPoint"]: (path, info.get("cssBundle")) for path, info in metafile["outputs"].items()
                if info.get("entryPoint")}
    result: _Outputs = {}
    for job, entry in zip(jobs, entries):
        snapshot_folder = os.path.join(root, job.snapshot.thread, job.snapshot.version)
        escapes = outside_reads(metafile, entry, root, [snapshot_folder, *map(str, node_paths)])
        if escapes:
            result[job.snapshot.ref] = describe(escapes)
            continue
        js_path, css_path = by_entry[entry]
        css = (Path(root) / css_path).read_bytes() if css_path else b""
        imports = own_bare_imports(metafile, entry, job.snapshot.ref)
        result[job.snapshot.ref] = ((Path(root) / js_path).read_bytes(), css, imports)
    return result


def _laid_out(items: Sequence[tuple[Snapshot, HtmlEntry | None]]) -> dict[str, tuple[str, str]]:
    """Every file :func:`_write_snapshot` lays out, by the exact path esbuild names it with (relative to the
    build root): (the snapshot's ref, the file's name in the snapshot)."""
    files: dict[str, tuple[str, str]] = {}
    for snapshot, page in items:
        names = [name for name in snapshot.files if name.rsplit("/", 1)[-1] not in IGNORED_CONFIG_FILES]
        names.append("tsconfig.json")
        if page is not None:
            names += [*page.inline_modules, posixpath.join(posixpath.dirname(snapshot.entry), ENTRY_NAME)]
        files.update({f"{snapshot.ref}/{name}": (snapshot.ref, name) for name in names})
    return files


def _parse_errors(stderr: str, root: str, node_paths: tuple[Path, ...], files: dict[str, tuple[str, str]]
                  ) -> _Errors:
    """esbuild's text errors as (snapshot ref or None, "file:line:col: message"); a ref only for a location
    that is exactly one of the batch's ``files`` (see :func:`_laid_out`)."""
    errors: _Errors = []
    message: str | None = None
    for line in stderr.split("\n"):  # esbuild's own line breaks only (splitlines also breaks at \x1c, \x85...)
        head = _ERROR_HEAD.match(line)
        if head:
            if message is not None:
                errors.append((None, message))
            message = head["message"]
            continue
        where = LOG_LOCATION.match(line)
        if where and message is not None:
            errors.append(_locate(where["file"], where["line"], where["column"], message, root, node_paths, files))
            message = None
    if message is not None:
        errors.append((None, message))
    if not errors:
        errors.append((None, stderr.strip().splitlines()[-1] if stderr.strip() else "esbuild failed"))
    return errors


def _locate(file: str, line: str, column: str, message: str, root: str, node_paths: tuple[Path, ...],
            files: dict[str, tuple[str, str]]) -> tuple[str | None, str]:
    column = str(int(column) + 1)  # esbuild's text log counts columns from 0; editors count from 1
    if file in files:
        ref, name = files[file]
        return ref, f"{name}:{line}:{column}: {message}"
    inside_root = is_inside(os.path.join(root, file), [os.path.realpath(root)])
    if not inside_root and not is_inside(os.path.join(root, file), [os.path.realpath(p) for p in node_paths]):
        # Never quote a file of the build machine: its name and contents stay out of logs and reports.
        return None, f"an import {OUTSIDE}"
    return None, f"{file}:{line}:{column}: {message}"


def _with_hint(message: str, job: BundleJob) -> str:
    """What to do about an import esbuild could not resolve, from what the snapshot declares."""
    match = _UNRESOLVED.match(message)
    importer = (match["importer"] or "") if match else ""
    if not match or "node_modules/" in importer:
        return message  # a dependency's own imports are not the author's to fix
    specifier = match["specifier"]
    if match["importer"] and _points_outside(importer, specifier):
        # Worded as when such a file exists and is read (see _read_outputs), so that without the sandbox the
        # message does not tell which files exist on the build machine.
        return describe([OutsideRead(importer, specifier)])
    if _SCHEME.match(specifier):
        return f"{message} (only the snapshot's own files and packages from the npm registry can be imported)"
    if specifier.startswith(("/", ".")):
        return message
    package = specifier.split("/")[0] if not specifier.startswith("@") else "/".join(specifier.split("/")[:2])
    if package not in job.deps.direct:
        return f'{message} (add "{package}" to the dependencies in package.json)'
    if job.vendor is not None and specifier not in job.vendor.specifiers:
        return (f'{message} ("{package}" is declared, but this import was not found when the shared vendor file '
                f'was made: write the name as a plain string, without escapes or expressions, as in '
                f'import x from "{specifier}")')
    return message


def _points_outside(importer: str, specifier: str) -> bool:
    """Whether ``specifier``, imported by the snapshot's file ``importer``, names a file outside the snapshot
    (absolute, or climbing out of its folder or out of a package's)."""
    if specifier.startswith("/"):
        return True
    if specifier.startswith("."):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier)).startswith("..")
    return ".." in specifier.split("/") and posixpath.normpath(specifier).startswith("..")
