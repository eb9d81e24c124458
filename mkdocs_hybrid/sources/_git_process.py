"""Running git for the ``git`` source kind (:mod:`mkdocs_hybrid.sources.git`): a clean environment, never a
shell, one line of error; and the one ``git cat-file --batch-command`` process a scan reads blobs through."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, ClassVar

from mkdocs_hybrid.model.errors import HybridError, SnapshotError, clipped

__all__ = ["Blobs", "run"]

_KEPT_ENV = ("GIT_SSH_COMMAND", "GIT_SSH")
"""The only GIT_* variables passed on: how the user gives an SSH deploy key. Any other (GIT_DIR, GIT_WORK_TREE,
GIT_INDEX_FILE, GIT_OBJECT_DIRECTORY...) would point git at another repository than the manifest's."""
_CHUNK = 512
"""Requests written to cat-file before its answers are read: their lines stay far below a pipe's buffer."""
_HUNG = 600
"""Seconds a git command (a clone, a fetch) may take."""


def _environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_") or key in _KEPT_ENV}
    # Never wait on a password prompt; grafts/replace refs would show other contents than the commit's.
    return {**env, "GIT_TERMINAL_PROMPT": "0", "GIT_NO_REPLACE_OBJECTS": "1", "LC_ALL": "C"}


def _git() -> str:
    found = shutil.which("git")
    if found is None:
        raise HybridError("git is not installed (a git source runs git); install git or use a directory source")
    return found


def _command(git_dir: Path | None, *args: str) -> list[str]:
    where = [f"--git-dir={git_dir}"] if git_dir is not None else []
    return [_git(), "-c", "core.quotePath=false", "--literal-pathspecs", *where, *args]


def run(git_dir: Path | None, *args: str, problem: str, cwd: Path | None = None, quote: bool = True) -> bytes:
    """git's output, or a :class:`HybridError` of ``problem`` (with git's last line of complaint, if ``quote``).
    Run in ``cwd``, git looks for the repository there and no higher."""
    env = _environment()
    if cwd is not None:  # the ceiling keeps git from taking a parent folder's repository for this one
        env["GIT_CEILING_DIRECTORIES"] = str(cwd.parent)
    try:
        done = subprocess.run(_command(git_dir, *args), capture_output=True, env=env, cwd=cwd, timeout=_HUNG,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HybridError(f"{problem} ({clipped(str(exc))})") from None
    if done.returncode != 0:
        said = [line for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]
        raise HybridError(f"{problem}{f' (git: {clipped(said[-1])})' if said and quote else ''}")
    return done.stdout


class Blobs:
    """One ``git cat-file --batch-command`` process: sizes (``info``) and contents, many requests per write."""

    read_total: ClassVar[int] = 0
    """Blobs whose contents were asked of git in this process (the tests' proof that a rerun reads none)."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()

    def sizes(self, oids: Iterable[str], origin: str) -> dict[str, int]:
        return {oid: size for oid, size, _ in self._ask("info", list(dict.fromkeys(oids)), origin)}

    def read(self, oids: Iterable[str], origin: str) -> dict[str, bytes]:
        wanted = list(dict.fromkeys(oids))
        Blobs.read_total += len(wanted)
        return {oid: data for oid, _, data in self._ask("contents", wanted, origin)}

    def _ask(self, command: str, oids: list[str], origin: str) -> Iterator[tuple[str, int, bytes]]:
        with self.lock:
            process = self._process()
            assert process.stdin is not None and process.stdout is not None
            answers = []
            for start in range(0, len(oids), _CHUNK):
                chunk = oids[start:start + _CHUNK]
                try:
                    process.stdin.write(b"".join(f"{command} {oid}\n".encode() for oid in chunk) + b"flush\n")
                    process.stdin.flush()
                    answers += [_answer(process.stdout, oid, command == "contents", origin) for oid in chunk]
                except OSError as exc:
                    self.close()
                    raise SnapshotError(f"git cat-file stopped ({exc.strerror}); build again",
                                        path=origin) from None
            return iter(answers)

    def _process(self) -> subprocess.Popen[bytes]:
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(_command(self.git_dir, "cat-file", "--batch-command", "--buffer"),
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, env=_environment())
        return self.process

    def close(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()
            process.wait()


def _answer(out: IO[bytes], oid: str, contents: bool, origin: str) -> tuple[str, int, bytes]:
    header = out.readline().split()
    if len(header) != 3 or header[1] != b"blob":
        raise SnapshotError(f"git has no blob {oid} ({b' '.join(header).decode(errors='replace')}); "
                            "the repository changed during the build: build again", path=origin)
    size = int(header[2])
    if not contents:
        return oid, size, b""
    data = out.read(size + 1)  # the contents and a newline
    if len(data) != size + 1:
        raise OSError(0, "git cat-file ended early")
    return oid, size, data[:-1]
