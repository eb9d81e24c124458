"""The fuzz tests' harness: example budgets, a bounded run of each example, and a before/after tree check.

Budgets are hypothesis settings profiles: ``fuzz`` (the default: a few dozen examples per test, derandomized so CI
always runs the same examples) and ``long`` (``HYPOTHESIS_PROFILE=long``: thousands, random, for a night's run).
Hypothesis' own deadline is off (a first example pays for imports and caches); instead every example runs in a
forked child under a wall-clock bound and a memory cap (:func:`bounded`), so a hang or a memory blow-up (a YAML
alias bomb, a FIFO read, a device read by esbuild) fails the example instead of the test session.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

from mkdocs_hybrid.model.errors import HybridError

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "fuzz")
_COMMON: dict[str, Any] = {
    "deadline": None,
    "database": None,  # nothing written into the checkout; a failure prints its reproducer instead
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    "print_blob": True,
}
settings.register_profile("fuzz", max_examples=40, derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=3000, derandomize=False, **_COMMON)
settings.load_profile(PROFILE if PROFILE in ("fuzz", "long") else "fuzz")

WALL_SECONDS = float(os.environ.get("FUZZ_WALL_SECONDS", "15"))
"""The bound on one example that reads sources: far above what one needs (a scan of a small project takes
milliseconds, a few hundred when the machine is busy), small enough that a hang found (and shrunk, so run many
times) costs minutes, not hours."""
BUILD_SECONDS = float(os.environ.get("FUZZ_BUILD_SECONDS", "120"))
"""The bound on one example that runs a real build (esbuild, a site)."""
MEMORY_HEADROOM = 768 * 1024 * 1024
"""What an example may allocate beyond what the test process already holds."""
MAX_MESSAGE = 2000
"""An error is one line for a person: longer means an unchecked value was formatted into it."""

EXAMPLES: Counter[str] = Counter()
"""Examples run per fuzz test in this session (printed by tests/conftest.py's terminal summary)."""


def budget(share: float = 1.0, floor: int = 5) -> settings:
    """This profile's settings with ``share`` of its example budget (for the tests whose examples cost a build)."""
    return settings(max_examples=max(floor, int(settings.default.max_examples * share)))


def count(name: str) -> None:
    EXAMPLES[name] += 1


def summary_lines() -> list[str]:
    if not EXAMPLES:
        return []
    total = sum(EXAMPLES.values())
    lines = [f"fuzz ({PROFILE} profile): {total} examples in {len(EXAMPLES)} tests"]
    lines += [f"  {n:6d}  {name}" for name, n in sorted(EXAMPLES.items())]
    return lines


# -- one example, bounded ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """How an example ended: ``ok`` (with the child's value), ``raised`` (an exception), ``hang`` or ``died``."""

    kind: str
    value: Any = None
    error: str = ""
    project_error: bool = False
    trace: str = ""
    message: str = ""
    """A project error's whole message (capped at a MiB), for the one-line check."""

    def describe(self) -> str:
        if self.kind == "raised":
            return f"raised {self.error}\n{self.trace}"
        if self.kind == "hang":
            return "still running at the bound (killed)"
        return self.kind if self.kind != "died" else f"the process died: {self.error}"


def bounded(run: Callable[[], Any], *, seconds: float = WALL_SECONDS) -> Outcome:
    """``run()`` in a forked child (its own process group, memory capped), killed after ``seconds``."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(reader)
        _child(run, writer)
    os.close(writer)
    try:
        data = _read_within(reader, seconds)
    finally:
        os.close(reader)
    if data is None:
        _kill_group(pid)
        return Outcome("hang")
    _, status = os.waitpid(pid, 0)
    _kill_group(pid)  # esbuild or npm started by the example, if any outlived it
    if not data:
        signal_number = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        return Outcome("died", error=f"wait status {status} (signal {signal_number})")
    outcome: Outcome = pickle.loads(data)
    return outcome


def _child(run: Callable[[], Any], writer: int) -> None:
    code = 0
    try:
        os.setpgid(0, 0)
        _cap_memory()
        try:
            outcome = Outcome("ok", value=run())
        except BaseException as exc:  # noqa: BLE001 (the harness reports every exception, whatever its class)
            outcome = Outcome("raised", error=f"{type(exc).__module__}.{type(exc).__qualname__}: {_short(exc)}",
                              project_error=isinstance(exc, HybridError), trace=traceback.format_exc()[-4000:],
                              message=str(exc)[:1 << 20] if isinstance(exc, HybridError) else "")
        try:
            payload = pickle.dumps(outcome)
        except Exception as exc:  # noqa: BLE001
            payload = pickle.dumps(Outcome("raised", error=f"unpicklable outcome: {exc!r}"))
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(payload)
    except BaseException:  # noqa: BLE001 (a child must never unwind into the test session)
        code = 70
    finally:
        os._exit(code)


def _short(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001
        text = "(str() failed)"
    return text[:600] + (f"... ({len(text):,} characters)" if len(text) > 600 else "")


def _cap_memory() -> None:
    with open("/proc/self/status", encoding="ascii") as status:
        size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    limit = size + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _read_within(fd: int, seconds: float) -> bytes | None:
    """Everything written to ``fd`` until EOF, or ``None`` when ``seconds`` pass first."""
    import time

    chunks = []
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def assert_no_traceback(outcome: Outcome, *, project_errors: bool = True) -> None:
    """The example ended, and when it raised, it raised one of the project's errors (if they are allowed)."""
    assert outcome.kind in ("ok", "raised"), outcome.describe()
    if outcome.kind == "raised":
        assert project_errors and outcome.project_error, f"not a project error: {outcome.describe()}"


def assert_one_line(messages: Iterable[str]) -> None:
    for message in messages:
        assert "\n" not in message and "\r" not in message, f"error message is not one line: {message!r}"
        assert len(message) <= MAX_MESSAGE, f"error message of {len(message):,} characters: {message[:300]!r}..."


# -- what an example wrote ---------------------------------------------------------------------

TreeState = dict[str, tuple[int, int, int, int]]


def tree_state(root: Path) -> TreeState:
    """Every entry under ``root`` (symlinks not followed): relative path -> (mode, inode, size, mtime) for files;
    folders only by their mode (creating an allowed file changes its parent folder's mtime)."""
    found: TreeState = {}
    for folder, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(folder, name)
            try:
                stat = os.lstat(path)
            except OSError:
                continue
            key = os.path.relpath(path, root)
            if name in dirnames and not os.path.islink(path):
                found[key] = (stat.st_mode, 0, 0, 0)
            else:
                found[key] = (stat.st_mode, stat.st_ino, stat.st_size, stat.st_mtime_ns)
    return found


def assert_writes_within(root: Path, before: TreeState, after: TreeState, allowed: Iterable[Path]) -> None:
    """Nothing under ``root`` was created, changed or removed except under the ``allowed`` folders."""
    roots = [os.path.abspath(path) for path in allowed]
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    # The folders that lead to an allowed one may be made too (the cache's ``.cache/`` before ``mkdocs-hybrid/``).
    outside = sorted(key for key in changed if not _under(path := os.path.join(os.path.abspath(root), key), roots)
                     and not any(top.startswith(path.rstrip("/") + "/") for top in roots))
    assert not outside, f"written outside {roots}: {outside[:10]}"


def _under(path: str, roots: list[str]) -> bool:
    return any(path == top or path.startswith(top.rstrip("/") + "/") for top in roots)
