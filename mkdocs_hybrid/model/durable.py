"""Writing files so that each is whole or absent, and cleaning up after a process that died mid-write.

Every file mkdocs-hybrid writes (site, cache, ledger side files) goes through :func:`write_atomic` (or
:func:`copy_atomic`): the bytes go to a temporary file in the same folder, then one ``rename`` puts it in
place, so a full disk or a ``kill -9`` leaves the old file or none, never an empty or truncated one.
Temporary files and folders carry their owner in their name (host, boot, pid and the process's start
time: see :func:`owner`), so a later run removes those of a dead process (:func:`sweep`) and never those of
a build still running. A run that keeps a journal (:func:`keep_journal`) lists each folder it made a
temporary entry in; the next run sweeps the folders of dead runs' journals, so no tree is ever walked.

No ``fsync``: the promise is "whole after the process dies", which the rename gives (the kernel keeps
what was written); a power cut is the file system's (ext4 and xfs flush a file before a rename over it).
"""

from __future__ import annotations

import atexit
import errno
import hashlib
import itertools
import os
import re
import secrets
import shutil
import socket
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from mkdocs_hybrid.model.errors import HybridError

__all__ = ["StorageError", "copy_atomic", "is_stale", "is_storage_error", "is_temporary", "keep_journal",
           "make_temp_dir", "owner", "scratch_dir", "storage_error", "sweep", "write_atomic", "write_scratch"]

MARK = "mkh."
"""In the name of every temporary entry we make: ``...mkh.{host}{boot}-{pid}-{start}.{random}``."""
_OWNED = re.compile(r"mkh\.([0-9a-f]{6})([0-9a-f]{6})-(\d+)-(\d+)\.")
_STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}
_JOURNALS = "runs"


class StorageError(HybridError, OSError):
    """The disk is full (or over quota, or read-only): one line naming the folder and what to do. Still an
    ``OSError``, so code that treats a cache write as optional goes on treating it so."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "storage error"


def storage_error(exc: BaseException, where: str | os.PathLike[str] | None = None) -> StorageError | None:
    """``exc`` as one clear line when it says the disk is full, over quota or read-only (``None`` otherwise);
    ``where`` is the file being written when ``exc`` does not name it."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS:
        path = where if where is not None else exc.filename
        folder = os.path.dirname(os.fspath(path)) if path is not None else None
        return _storage(exc.errno, folder)
    if isinstance(exc, sqlite3.Error) and _sqlite_is_storage(exc):
        folder = os.path.dirname(os.fspath(where)) if where is not None else None
        return _storage(errno.ENOSPC if "FULL" in getattr(exc, "sqlite_errorname", "") else errno.EIO, folder)
    return None


def is_storage_error(exc: BaseException) -> bool:
    return storage_error(exc) is not None


def _sqlite_is_storage(exc: sqlite3.Error) -> bool:
    name = str(getattr(exc, "sqlite_errorname", ""))
    return name == "SQLITE_FULL" or name.startswith("SQLITE_IOERR")


def _storage(code: int | None, folder: str | None) -> StorageError:
    where = folder or "the output folder"
    if code == errno.EROFS:
        what = "is on a read-only file system; write the site and cache somewhere writable"
    elif code == errno.EDQUOT:
        what = "is over its disk quota; free space there (or raise the quota) and run again"
    elif code == errno.EIO:
        what = "cannot be written (I/O error: the disk may be full or failing); free space or check the disk " \
               "and run again"
    else:
        what = "is on a full disk; free space there (or point the site or cache elsewhere) and run again"
    error = StorageError(f"{where}: {what}; files already written are whole")
    error.errno = code
    return error


# ---- owners ----------------------------------------------------------------------------------------


_owner: tuple[int, str, str] | None = None
_serial = itertools.count()


def owner() -> str:
    """This process's owner tag: host and boot hashes, pid and start time (a reused pid has another)."""
    return _owned()[1]


def _owned() -> tuple[int, str, str]:
    """(pid, owner tag, a random salt for temporary names), made again in a forked child."""
    global _owner
    pid = os.getpid()
    if _owner is None or _owner[0] != pid:  # a forked child is another owner
        _owner = (pid, f"{_host()}{_boot()}-{pid}-{_start_time(pid)}", secrets.token_hex(4))
    return _owner


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


def _boot() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id", "rb") as handle:
            return hashlib.sha256(handle.read().strip()).hexdigest()[:6]
    except OSError:
        return "000000"


def _start_time(pid: int) -> int:
    """The process's start time in clock ticks since boot (``/proc/PID/stat``), 0 where there is no ``/proc``."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
        return int(stat[stat.rindex(b")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return 0


def _is_dead(host: str, boot: str, pid: int, start: int) -> bool:
    """Whether the owner is provably gone: on this host, and either from an earlier boot or no longer running
    (its pid free, or taken by a process that started at another time). Another host's owner is never."""
    if host != _host():
        return False
    if boot != _boot():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's
    return start != 0 and _start_time(pid) not in (start, 0)


def is_stale(name: str) -> bool:
    """Whether ``name`` is a temporary entry of ours whose process is provably dead."""
    found = _OWNED.search(name)
    return found is not None and _is_dead(found[1], found[2], int(found[3]), int(found[4]))


def is_temporary(name: str) -> bool:
    """Whether ``name`` is one of our temporary files or folders (a live or a dead process's)."""
    return _OWNED.search(name) is not None


def _temp_name(prefix: str) -> str:
    """Unique in this process by a counter and not guessable by another (a name squatted in a shared folder
    would fail the write) by a salt drawn once per process: one random draw per file cost a ``getrandom``
    call for each of a cold build's ~9,000 files (issue 19's profile of the cold export)."""
    _, tag, salt = _owned()
    return f"{prefix}{MARK}{tag}.{salt}{next(_serial):x}"


# ---- writing ---------------------------------------------------------------------------------------


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` (``str``: as UTF-8) to ``path`` through a temporary file in its folder and one rename:
    the file is whole or, when writing fails, left as it was. A full disk raises :class:`StorageError`."""
    target = os.fspath(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    _write_via_temp(target, lambda handle: handle.write(payload))


def copy_atomic(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Copy ``source``'s bytes to ``target`` the way :func:`write_atomic` writes (streamed: media are large)."""
    with open(source, "rb") as reader:
        _write_via_temp(os.fspath(target), lambda handle: shutil.copyfileobj(reader, handle, 1 << 20))


def _write_via_temp(target: str, fill: Callable[[BinaryIO], object]) -> None:
    folder, name = os.path.split(target)
    temp = os.path.join(folder, _temp_name(f".{name[:48]}."))
    _note(folder or ".")
    try:
        with open(temp, "xb") as handle:
            fill(handle)
        os.replace(temp, target)
    except BaseException as exc:
        try:
            os.unlink(temp)
        except OSError:
            pass
        error = storage_error(exc, target)
        if error is not None:
            raise error from None
        raise


def make_temp_dir(parent: str | os.PathLike[str], prefix: str) -> Path:
    """A new folder in ``parent`` named ``{prefix}`` and this process's tag, which :func:`sweep` removes once
    this process is dead (``parent`` is made when missing)."""
    folder = os.fspath(parent)
    os.makedirs(folder, exist_ok=True)
    _note(folder)
    path = os.path.join(folder, _temp_name(prefix))
    try:
        os.mkdir(path, 0o700)
    except OSError as exc:
        raise (storage_error(exc, path) or exc) from None
    return Path(path)


@contextmanager
def scratch_dir(prefix: str, parent: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    """A temporary folder (in ``parent``, else the system's temporary folder) removed when the block ends; the
    first one per process also removes the folders with the same ``prefix`` that dead processes left there."""
    where = os.fspath(parent) if parent is not None else tempfile.gettempdir()
    if (where, prefix) not in _swept:
        _swept.add((where, prefix))
        sweep(where, prefix)
    path = make_temp_dir(where, prefix)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


_swept: set[tuple[str, str]] = set()


def write_scratch(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write a file into a scratch folder of ours (see :func:`scratch_dir`): nothing reads it half-written and
    the folder goes as a whole, so no rename, but a full disk still raises :class:`StorageError`."""
    try:
        with open(path, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as exc:
        raise (storage_error(exc, path) or exc) from None


def sweep(parent: str | os.PathLike[str], prefix: str = "") -> int:
    """Remove the entries of ``parent`` (starting with ``prefix``) that a dead process left half-made: its
    temporary files and folders. Entries of a live process, and every other entry, are left alone. Returns
    how many were removed; never fails (a folder that cannot be listed is left for the next run)."""
    try:
        with os.scandir(parent) as entries:
            stale = [entry for entry in entries if entry.name.startswith(prefix) and MARK in entry.name
                     and is_stale(entry.name)]
    except OSError:
        return 0
    for entry in stale:
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        except OSError:
            pass
    return len(stale)


# ---- the journal of folders with temporary entries ---------------------------------------------------------


class _Journal:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.path: str | None = None
        self.handle: BinaryIO | None = None
        self.pid = 0
        self.noted: set[str] = set()

    def note(self, folder: str) -> None:
        if self.handle is None or self.pid != os.getpid():
            return
        folder = os.path.abspath(folder)
        with self.lock:
            if folder in self.noted or self.handle is None:
                return
            self.noted.add(folder)
            try:
                # Written before the entry is made, and unbuffered: a kill -9 right after still finds it.
                self.handle.write(os.fsencode(folder) + b"\0")
            except OSError:
                pass  # a full disk: the entry's own write fails next and reports it

    def close(self) -> None:
        with self.lock:
            if self.handle is not None and self.pid == os.getpid():
                self.handle.close()
                if self.path is not None:
                    try:
                        os.unlink(self.path)
                    except OSError:
                        pass
            self.handle, self.path = None, None


_journal = _Journal()


def _note(folder: str) -> None:
    if _journal.handle is not None:
        _journal.note(folder)


def keep_journal(cache_dir: str | os.PathLike[str]) -> int:
    """Clean up after dead runs that kept a journal in ``cache_dir`` (sweep the folders each listed, then drop
    the journal), and from now on list in this process's own journal there every folder a temporary entry is
    made in; the journal is removed when the process exits normally. Returns how many entries were removed."""
    folder = os.path.join(os.fspath(cache_dir), _JOURNALS)
    removed = sum(_recover(path) for path in _dead_journals(folder))
    if _journal.pid == os.getpid() and _journal.path is not None and os.path.dirname(_journal.path) == folder:
        return removed  # this process keeps its journal there already (another build in the same process)
    _journal.close()
    try:
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{MARK}{owner()}.{secrets.token_hex(4)}")
        handle = open(path, "xb", buffering=0)  # noqa: SIM115 - kept open for the process's lifetime
    except OSError:
        return removed  # no journal: temporary entries are still swept by their folders' owners
    with _journal.lock:
        _journal.path, _journal.handle, _journal.pid, _journal.noted = path, handle, os.getpid(), set()
    return removed


def _dead_journals(folder: str) -> Iterable[str]:
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [os.path.join(folder, name) for name in names if name.startswith(MARK) and is_stale(name)]


def _recover(journal: str) -> int:
    try:
        with open(journal, "rb") as handle:
            folders = {os.fsdecode(item) for item in handle.read().split(b"\0") if item}
    except OSError:
        return 0
    removed = sum(sweep(folder) for folder in sorted(folders))
    try:
        os.unlink(journal)
    except OSError:
        pass
    return removed


atexit.register(_journal.close)
