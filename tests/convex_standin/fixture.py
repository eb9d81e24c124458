"""A local Convex deployment for tests: ``tests/convex_standin/server.mjs`` running the shipped ``convex/`` functions.

Any test can ask for the ``convex_standin`` fixture (module scope: one in-memory backend per test file)::

    def test_a_saved_version_is_read_back(convex_standin: ConvexStandin) -> None:
        token = convex_standin.token("alice", name="Alice")
        saved = convex_standin.mutation("versions:save", {...}, token=token)
        ...

or start one of its own with :func:`run_standin` (another functions folder, a fresh backend per test).
The server answers Convex's HTTP API (``/api/query``, ``/api/mutation``, ``/api/action``, storage URLs) as a real
deployment does; ``url`` is what a source's ``url:`` or the editor's ``store.url`` takes, ``deploy_key`` what
``CONVEX_DEPLOY_KEY`` holds, and :meth:`ConvexStandin.token` signs a user's JWT (``Authorization: Bearer``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SERVER = Path(__file__).resolve().parent / "server.mjs"
SAMPLE_FUNCTIONS = Path(__file__).resolve().parent / "sample_convex"
"""The stand-in's own small functions folder (every value type and failure shape), for its contract tests."""
SHIPPED_FUNCTIONS = REPO / "convex"
ISSUER = "https://auth.standin.test"
"""The issuer of the fixture's test tokens: a user's tokenIdentifier is ``f"{ISSUER}|{subject}"``."""
AUDIENCE = "convex"
START_TIMEOUT_SECONDS = 60.0
"""Ready in about a second here (esbuild + Node start); generous for a loaded machine."""
STOP_TIMEOUT_SECONDS = 10.0
LOG_TAIL_LINES = 30


class StandinStartError(RuntimeError):
    """The stand-in exited or did not print its address in time."""


class StandinCallError(RuntimeError):
    """A call through the HTTP API did not answer ``status: success`` (the answer is attached)."""

    def __init__(self, path: str, answer: Mapping[str, Any]) -> None:
        super().__init__(f"{path}: {answer.get('errorMessage') or answer}")
        self.answer = answer
        self.data = answer.get("errorData")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_token(claims: Mapping[str, Any], secret: str) -> str:
    """An HS256 JWT over ``claims``, as the stand-in's test auth provider verifies it."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = f"{header}.{_b64url(json.dumps(dict(claims)).encode())}"
    signature = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64url(signature)}"


@dataclass(frozen=True)
class ConvexStandin:
    """A running stand-in: its base URL, the deploy key it accepts and the secret its test tokens are signed with."""

    url: str
    deploy_key: str
    jwt_secret: str
    log_path: Path

    def token(self, subject: str, name: str | None = None, *, expires_in: float = 3600.0,
              **claims: Any) -> str:
        """A signed user token (``expires_in`` seconds from now; negative for an expired one)."""
        now = int(time.time())
        payload: dict[str, Any] = {"iss": ISSUER, "sub": subject, "aud": AUDIENCE, "iat": now,
                                   "exp": now + int(expires_in), **claims}
        if name is not None:
            payload["name"] = name
        return sign_token(payload, self.jwt_secret)

    @staticmethod
    def token_identifier(subject: str) -> str:
        """What ``ctx.auth.getUserIdentity().tokenIdentifier`` is for :meth:`token`'s ``subject``."""
        return f"{ISSUER}|{subject}"

    def headers(self, *, token: str | None = None, admin: bool = False) -> dict[str, str]:
        if admin:
            return {"Authorization": f"Convex {self.deploy_key}"}
        return {"Authorization": f"Bearer {token}"} if token is not None else {}

    def post(self, endpoint: str, path: str, args: Mapping[str, Any], *, token: str | None = None,
             admin: bool = False, format: str = "json") -> httpx.Response:
        """POST ``{path, args, format}`` to ``/api/{endpoint}`` and return the raw answer."""
        body = {"path": path, "args": dict(args), "format": format}
        return httpx.post(f"{self.url}/api/{endpoint}", json=body, headers=self.headers(token=token, admin=admin),
                          timeout=60.0)

    def _value(self, endpoint: str, path: str, args: Mapping[str, Any], **auth: Any) -> Any:
        answer = self.post(endpoint, path, args, **auth)
        answer.raise_for_status()
        body = answer.json()
        if body.get("status") != "success":
            raise StandinCallError(path, body)
        return body["value"]

    def query(self, path: str, args: Mapping[str, Any] | None = None, **auth: Any) -> Any:
        """The value of a query (``token=`` for a user, ``admin=True`` for the deploy key); raises on an error."""
        return self._value("query", path, args or {}, **auth)

    def mutation(self, path: str, args: Mapping[str, Any] | None = None, **auth: Any) -> Any:
        return self._value("mutation", path, args or {}, **auth)

    def action(self, path: str, args: Mapping[str, Any] | None = None, **auth: Any) -> Any:
        return self._value("action", path, args or {}, **auth)

    def seed(self, path: str, args_list: Sequence[Mapping[str, Any]], *, subject: str | None = "seed",
             name: str | None = None, batch: int = 500) -> list[Any]:
        """Run ``path`` (usually ``versions:save``) once per args, as user ``subject``, through the real function.

        In batches inside the server (no HTTP round trip per call), so 10,000 versions take seconds; raises
        :class:`StandinCallError` on the first call that fails.
        """
        identity = None if subject is None else {"subject": subject, "issuer": ISSUER,
                                                 "tokenIdentifier": self.token_identifier(subject),
                                                 **({"name": name} if name is not None else {})}
        values: list[Any] = []
        for start in range(0, len(args_list), batch):
            calls = [{"path": path, "args": dict(args), "identity": identity}
                     for args in args_list[start:start + batch]]
            answer = httpx.post(f"{self.url}/_standin/run_many", json={"calls": calls},
                                headers=self.headers(admin=True), timeout=600.0)
            answer.raise_for_status()
            for result in answer.json()["results"]:
                if result["status"] != "success":
                    raise StandinCallError(path, result)
                values.append(result["value"])
        return values


def node_binary() -> str:
    node = shutil.which("node")
    if node is None:
        raise StandinStartError("node not found on PATH: the Convex stand-in runs on Node 20")
    return node


@contextmanager
def run_standin(functions: Path = SHIPPED_FUNCTIONS, *, deploy_key: str = "dev:standin|tests-only-deploy-key",
                jwt_secret: str = "tests-only-jwt-secret", timeout: float = START_TIMEOUT_SECONDS
                ) -> Iterator[ConvexStandin]:
    """Start ``server.mjs`` over ``functions`` on a free port; stop it (SIGTERM, then SIGKILL) on exit."""
    if not (REPO / "node_modules" / "convex-test").is_dir():
        raise StandinStartError(f"{REPO / 'node_modules' / 'convex-test'} is missing: run `npm ci` in {REPO}")
    with tempfile.TemporaryDirectory(prefix="convex-standin-") as scratch:
        log_path = Path(scratch) / "server.log"
        command = [node_binary(), str(SERVER), "--port", "0", "--deploy-key", deploy_key,
                   "--jwt-secret", jwt_secret, "--functions", str(functions)]
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, cwd=REPO, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, env={**os.environ, "NODE_NO_WARNINGS": "1"})
            try:
                url = _wait_for_address(process, log_path, timeout)
                yield ConvexStandin(url=url, deploy_key=deploy_key, jwt_secret=jwt_secret, log_path=log_path)
            finally:
                _stop(process)


def _log_tail(log_path: Path) -> str:
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _wait_for_address(process: subprocess.Popen[bytes], log_path: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("listening on "):
                return line.removeprefix("listening on ").strip()
        if process.poll() is not None:
            raise StandinStartError(f"the Convex stand-in exited ({process.returncode}):\n{_log_tail(log_path)}")
        time.sleep(0.05)
    raise StandinStartError(f"the Convex stand-in did not start in {timeout:.0f} s:\n{_log_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def convex_standin() -> Iterator[ConvexStandin]:
    """A stand-in running the shipped ``convex/`` functions, one fresh backend per test module."""
    with run_standin() as standin:
        yield standin
