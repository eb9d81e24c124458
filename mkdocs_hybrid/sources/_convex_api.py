"""A small client of Convex's HTTP API for the ``convex`` source (httpx; loaded only when that source is read).

``POST {url}/api/query`` with ``{"path", "args", "format": "json"}`` and ``Authorization: Convex <deploy key>``
answers ``{"status": "success", "value"}`` (HTTP 200), a function's error (``{"status": "error", ...}``, HTTP 200
from today's backend, 560 from older ones), a bad request (400) or an auth failure (401/403). Rate limits (429)
and server errors (5xx but 560) are retried with backoff, honouring
``Retry-After``; everything else becomes one :class:`ConvexSourceError` line naming the deployment.
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from mkdocs_hybrid.model.errors import HybridError, clipped, shown

__all__ = ["ConvexApi", "ConvexSourceError", "Retry", "decode_value"]

FUNCTION_FAILED = 560
"""The status older Convex backends gave an error thrown by the function itself (the npm client's
``STATUS_CODE_UDF_FAILED``; today's answer it with 200 and ``status: error``): never retried."""
MAX_ANSWER_BYTES = 256 * 1024 * 1024
"""The largest answer read (a page of versions with their files); Convex caps a query's result far below."""


class ConvexSourceError(HybridError):
    """The deployment cannot be read (unreachable, key refused, malformed answer): fails the source, not the build.
    ``status``: the HTTP status of a refusal (0 when there was no answer or it was malformed)."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Retry:
    """How 429 and 5xx answers (and lost connections) are retried; tests pass their own ``sleep``."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, retry_after: float | None) -> float:
        wanted = retry_after if retry_after is not None else self.base_delay * 2 ** attempt
        return min(wanted, self.max_delay)


class ConvexApi:
    """One deployment, read with a deploy key."""

    def __init__(self, url: str, key: str, key_env: str, *, timeout: float = 30.0, retry: Retry | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.key_env = key_env
        self.retry = retry or Retry()
        self.timeout = timeout
        self._key = key
        self._client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False,
                                    headers={"User-Agent": "mkdocs-hybrid"})

    def close(self) -> None:
        self._client.close()

    def query(self, path: str, args: Mapping[str, object]) -> Any:
        """The decoded ``value`` of a query, or one :class:`ConvexSourceError` line."""
        body = {"path": path, "args": dict(args), "format": "json"}
        response = self._send(lambda: self._client.post(f"{self.url}/api/query", json=body,
                                                        headers={"Authorization": f"Convex {self._key}"}), path)
        answer = _json(response, f"{path}", self.url)
        if response.status_code == 200 and isinstance(answer, dict) and answer.get("status") == "success":
            try:
                return decode_value(answer.get("value"), f"{path}", self.url)
            except RecursionError:
                raise ConvexSourceError(f"{self.url}: malformed answer to {path}: nested too deeply") from None
        raise ConvexSourceError(self._refusal(response, answer, path), status=response.status_code)

    def download(self, url: str, limit: int) -> bytes:
        """A stored file's bytes (its ``url`` from the query), at most ``limit`` bytes. The deploy key is never
        sent with it: storage URLs need none, and one could point at another host."""
        what = f"GET {clipped(url, 120)}"
        with self._send_stream(url, what) as response:
            if response.status_code in (404, 410):  # gone for good: this version alone is refused
                raise ValueError(f"is not in the deployment's file storage any more (HTTP {response.status_code})")
            if response.status_code != 200:
                raise ConvexSourceError(f"{self.url}: {what}: HTTP {response.status_code}; a stored file could not "
                                        "be downloaded: rerun the build")
            data = bytearray()
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > limit:
                    raise ValueError(f"is over {limit:,} bytes (build.max_file_bytes)")
            return bytes(data)

    def _send(self, request: Callable[[], httpx.Response], what: str) -> httpx.Response:
        for attempt in range(self.retry.attempts):
            last = attempt == self.retry.attempts - 1
            try:
                response = request()
            except httpx.TimeoutException:
                if last:
                    raise ConvexSourceError(f"{self.url}: {what} timed out after {self.timeout:g} s "
                                            f"({self.retry.attempts} tries); check the deployment or raise "
                                            "the source's timeout") from None
                self.retry.sleep(self.retry.delay(attempt, None))
                continue
            except httpx.TransportError as exc:
                if last:
                    raise ConvexSourceError(f"{self.url}: cannot reach the deployment ({type(exc).__name__}: "
                                            f"{clipped(str(exc), 100)}); check the source's url and the "
                                            "network") from None
                self.retry.sleep(self.retry.delay(attempt, None))
                continue
            if not _retried(response.status_code) or last:
                return response
            response.close()  # a streamed download's connection goes back to the pool
            self.retry.sleep(self.retry.delay(attempt, _retry_after(response)))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send_stream(self, url: str, what: str) -> Any:
        response = self._send(lambda: self._client.send(self._client.build_request("GET", url), stream=True), what)
        return _Closing(response)

    def _refusal(self, response: httpx.Response, answer: object, path: str) -> str:
        status = response.status_code
        data = answer if isinstance(answer, dict) else {}
        message = clipped(str(data.get("errorMessage") or data.get("message") or response.reason_phrase), 200)
        code = f" {clipped(str(data['code']), 40)}" if isinstance(data.get("code"), str) else ""
        if status in (401, 403):
            return (f"{self.url}: the deploy key in {self.key_env} was refused (HTTP {status}{code}: {message}); "
                    f"set {self.key_env} to a deploy key of this deployment (Convex dashboard, Settings)")
        if status == FUNCTION_FAILED or data.get("status") == "error":  # 200 today, 560 from older backends
            return f"{self.url}: {path} failed: {message}"
        if status == 400:
            return (f"{self.url}: {path} was refused (HTTP 400{code}: {message}); deploy the project's convex/ "
                    "functions there (npx convex deploy)")
        if status == 200:
            return f"{self.url}: malformed answer to {path}: not a Convex success or error envelope"
        return f"{self.url}: {path}: HTTP {status}{code}: {message}"


class _Closing:
    """A streamed response as a context manager (closed however the read ends)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response

    def __enter__(self) -> httpx.Response:
        return self.response

    def __exit__(self, *exc: object) -> None:
        self.response.close()


def _retried(status: int) -> bool:
    return status == 429 or (status >= 500 and status != FUNCTION_FAILED)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare from Convex; the backoff applies
    return max(0.0, seconds) if seconds is not None and math.isfinite(seconds) else None


def _json(response: httpx.Response, what: str, url: str) -> object:
    data = response.read()
    if len(data) > MAX_ANSWER_BYTES:
        raise ConvexSourceError(f"{url}: malformed answer to {what}: over {MAX_ANSWER_BYTES:,} bytes")
    try:
        return response.json()
    except (ValueError, RecursionError):
        if response.status_code == 200:
            raise ConvexSourceError(f"{url}: malformed answer to {what}: not JSON "
                                    f"({shown(data[:40].decode('utf-8', 'replace'))})") from None
        return None


def decode_value(value: object, what: str, url: str) -> Any:
    """A Convex value in its ``format: "json"`` encoding as Python: ``{"$integer": base64 of 8 little-endian
    bytes}`` -> int, ``{"$bytes": base64}`` -> bytes, ``{"$float": ...}`` -> float; other JSON as it is."""
    if isinstance(value, list):
        return [decode_value(item, what, url) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, inner),) = value.items()
        if isinstance(key, str) and key.startswith("$"):
            return _special(key, inner, what, url)
    return {key: decode_value(item, what, url) for key, item in value.items()}


def _special(key: str, inner: object, what: str, url: str) -> object:
    try:
        raw = base64.b64decode(inner if isinstance(inner, str) else "", validate=True)
    except (binascii.Error, ValueError):
        raw = None
    if key == "$bytes" and raw is not None:
        return raw
    if key == "$integer" and raw is not None and len(raw) == 8:
        return int(struct.unpack("<q", raw)[0])
    if key == "$float" and raw is not None and len(raw) == 8:
        return float(struct.unpack("<d", raw)[0])
    raise ConvexSourceError(f"{url}: malformed answer to {what}: {shown(key)} value {shown(inner)} is not "
                            "a Convex value")
