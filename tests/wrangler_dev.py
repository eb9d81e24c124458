"""Serve a folder with ``wrangler pages dev``: Cloudflare's own asset server, offline.

Tests that need real edge behaviour (``_headers``, ``_redirects``, ``_worker.js``,
404 handling) use :func:`serve_with_wrangler`::

    with serve_with_wrangler(site_dir) as base_url:
        httpx.get(f"{base_url}/p/t/latest", follow_redirects=False)

Everything wrangler writes (state, logs, ``.wrangler/tmp``) goes to a temporary
directory that is removed afterwards: nothing lands in the repo or in ``~``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.factory import free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
WRANGLER = REPO_ROOT / "node_modules" / ".bin" / "wrangler"
COMPATIBILITY_DATE = "2025-01-01"
"""Pinned: the workerd bundled with wrangler 4.86 refuses dates after 2026-05-03."""
START_TIMEOUT_SECONDS = 60.0
"""Ready in 5-11 s here; generous for loaded CI machines."""
LOG_TAIL_LINES = 30
START_ATTEMPTS = 3
ADDRESS_IN_USE = "Address already in use"
"""A port found free was taken before workerd bound it (by another test process): start again on new ports."""


class WranglerStartError(RuntimeError):
    """``wrangler pages dev`` is missing, exited, or did not answer in time."""


@contextmanager
def serve_with_wrangler(site_dir: Path, *, timeout: float = START_TIMEOUT_SECONDS, extra_args: Sequence[str] = (),
                        persist_dir: Path | None = None) -> Iterator[str]:
    """Run ``wrangler pages dev site_dir`` on a free local port and yield its base URL.

    ``extra_args`` go to ``pages dev`` (``--r2 BINDING=bucket``, ``--binding NAME=value``); ``persist_dir`` is
    the local state (R2 objects seeded with :func:`put_local_r2_object`), a throwaway folder by default.

    The process group is terminated on exit. Raises :class:`WranglerStartError`
    with the last lines of wrangler's output when it does not start.
    """
    if not WRANGLER.is_file():
        raise WranglerStartError(f"{WRANGLER} not found: run `npm ci` in {REPO_ROOT}")
    if not Path(site_dir).is_dir():
        raise WranglerStartError(f"{site_dir} is not a directory")
    with tempfile.TemporaryDirectory(prefix="wrangler-pages-dev-") as scratch:
        scratch_dir = Path(scratch)
        for attempt in range(1, START_ATTEMPTS + 1):
            port, inspector_port = _free_ports()
            base_url = f"http://127.0.0.1:{port}"
            log_path = scratch_dir / f"wrangler-{attempt}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [*_command(site_dir, port, inspector_port, persist_dir or scratch_dir / "state"), *extra_args],
                    cwd=scratch_dir,  # wrangler writes .wrangler/tmp into its working directory
                    env=_environment(scratch_dir / "home"),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group, so workerd children stop with it
                )
            try:
                _wait_until_ready(process, base_url, log_path, timeout)
                break
            except WranglerStartError as error:
                _stop(process)
                if ADDRESS_IN_USE not in str(error) or attempt == START_ATTEMPTS:
                    raise
        try:
            yield base_url
        finally:
            _stop(process)


def _free_ports() -> tuple[int, int]:
    """Two different free ports (the server's and the inspector's: the OS may report one port free twice)."""
    port = free_port()
    while (inspector_port := free_port()) == port:
        pass
    return port, inspector_port


def put_local_r2_object(persist_dir: Path, bucket: str, key: str, source: Path, content_type: str) -> None:
    """Seed wrangler's local R2 state, as ``pages dev --persist-to persist_dir --r2 BINDING=bucket`` reads it.

    Measured with wrangler 4.86: ``r2 object put bucket/key --file F --local --persist-to DIR`` writes what
    ``pages dev --persist-to DIR`` then serves; the bucket name must be a valid R2 name (lowercase).
    """
    with tempfile.TemporaryDirectory(prefix="wrangler-r2-put-") as scratch:
        result = subprocess.run(
            [str(WRANGLER), "r2", "object", "put", f"{bucket}/{key}", "--file", str(source), "--content-type",
             content_type, "--local", "--persist-to", str(persist_dir)],
            cwd=scratch, env=_environment(Path(scratch) / "home"), stdin=subprocess.DEVNULL, capture_output=True,
            text=True, timeout=START_TIMEOUT_SECONDS, check=False)
    if result.returncode != 0:
        raise WranglerStartError(f"wrangler r2 object put {bucket}/{key} failed:\n{result.stdout}{result.stderr}")


def _command(site_dir: Path, port: int, inspector_port: int, persist_dir: Path) -> list[str]:
    return [
        str(WRANGLER), "pages", "dev", str(Path(site_dir).resolve()),
        "--ip", "127.0.0.1",
        "--port", str(port),
        # The default inspector port (9229) would collide between parallel servers.
        "--inspector-port", str(inspector_port),
        "--compatibility-date", COMPATIBILITY_DATE,
        "--persist-to", str(persist_dir),
        "--show-interactive-dev-session=false",
    ]


def _environment(home: Path) -> dict[str, str]:
    """The caller's environment, offline and with a throwaway home (wrangler writes config/logs there)."""
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        CLOUDFLARE_CF_FETCH_ENABLED="false",
        WRANGLER_SEND_METRICS="false",
        WRANGLER_SEND_ERROR_REPORTS="false",
        NO_COLOR="1",
        CI="true",
    )
    return env


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log_path: Path, timeout: float) -> None:
    """Poll until any HTTP answer comes back (a 404 for ``/`` counts as ready)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise WranglerStartError(
                f"wrangler pages dev exited with code {process.returncode}:\n{_log_tail(log_path)}"
            )
        try:
            httpx.get(f"{base_url}/", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.25)
    raise WranglerStartError(f"wrangler pages dev did not answer on {base_url} within {timeout:.0f} s:\n"
                             f"{_log_tail(log_path)}")


def _log_tail(log_path: Path) -> str:
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:]) or "(no output)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left of it (workerd children)."""
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(process, signal.SIGKILL)
    process.wait(timeout=10)


def _signal_group(process: subprocess.Popen[bytes], signal_number: int) -> None:
    try:
        os.killpg(process.pid, signal_number)
    except ProcessLookupError:
        pass  # the whole group has already exited
