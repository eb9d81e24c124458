"""A small Cloudflare API client for Pages Direct Upload (httpx).

Every response is the Cloudflare envelope ``{"success", "errors", "messages",
"result"}``; a failure becomes :class:`CloudflareAPIError` with the HTTP status
and Cloudflare's error code, which the deploy step uses to decide on retries.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from mkdocs_hybrid.model.errors import HybridError

DEFAULT_API_BASE = "https://api.cloudflare.com/client/v4"
PROJECT_NOT_FOUND = 8000007
UNAUTHORIZED = 8000013
UNKNOWN_ERROR = 8000000
GATEWAY_STATUSES = frozenset({502, 503, 504, 520, 521, 522, 523, 524})

_Parts = list[tuple[str, tuple[str | None, bytes] | tuple[str, bytes, str]]]
"""A multipart/form-data body: (field name, (file name or None, bytes[, content type]))."""


class DeployError(HybridError):
    """A deployment could not be made; the previous live deployment is untouched."""


class CloudflareAPIError(DeployError):
    """The API answered with an error (or not at all, when ``status`` is 0)."""

    def __init__(self, message: str, *, status: int = 0, code: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @property
    def is_gateway(self) -> bool:
        return self.status in GATEWAY_STATUSES


@dataclass(frozen=True)
class Credentials:
    """Who deploys where: an API token, an account, and the API's base URL."""

    api_token: str
    account_id: str
    api_base: str = DEFAULT_API_BASE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """``CLOUDFLARE_API_TOKEN``, ``CLOUDFLARE_ACCOUNT_ID`` and ``CLOUDFLARE_API_BASE_URL`` (optional)."""
        env = os.environ if environ is None else environ
        missing = [name for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_ACCOUNT_ID") if not env.get(name)]
        if missing:
            raise DeployError(f"{' and '.join(missing)} not set: export an API token with Pages:Edit and the "
                              "account id (or use --dry-run)")
        return cls(api_token=env["CLOUDFLARE_API_TOKEN"], account_id=env["CLOUDFLARE_ACCOUNT_ID"],
                   api_base=env.get("CLOUDFLARE_API_BASE_URL") or DEFAULT_API_BASE)


@dataclass(frozen=True)
class UploadToken:
    """The short-lived JWT the asset endpoints take."""

    jwt: str
    expires_at: float | None
    max_files: int | None

    @classmethod
    def parse(cls, jwt: str) -> UploadToken:
        try:
            payload = jwt.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError):
            raise DeployError("the API returned an upload token that is not a JWT") from None
        max_files = claims.get("max_file_count_allowed")
        return cls(jwt=jwt, expires_at=claims.get("exp"),
                   max_files=max_files if isinstance(max_files, int) else None)

    def expired(self, margin: float = 10.0) -> bool:
        return self.expires_at is not None and self.expires_at <= time.time() + margin


class PagesAPI:
    """The Pages endpoints a deployment uses, one method each."""

    def __init__(self, credentials: Credentials, *, transport: httpx.BaseTransport | None = None,
                 timeout: float = 60.0) -> None:
        self.credentials = credentials
        self._client = httpx.Client(base_url=credentials.api_base.rstrip("/"), transport=transport,
                                    timeout=timeout, headers={"User-Agent": "mkdocs-hybrid"})

    def close(self) -> None:
        self._client.close()

    def _project_path(self, project: str) -> str:
        return f"/accounts/{self.credentials.account_id}/pages/projects/{project}"

    def get_project(self, project: str) -> dict[str, Any]:
        found: dict[str, Any] = self._call("GET", self._project_path(project))
        return found

    def create_project(self, project: str, production_branch: str) -> dict[str, Any]:
        created: dict[str, Any] = self._call("POST", f"/accounts/{self.credentials.account_id}/pages/projects",
                                             json={"name": project, "production_branch": production_branch})
        return created

    def upload_token(self, project: str) -> UploadToken:
        return UploadToken.parse(self._call("GET", f"{self._project_path(project)}/upload-token")["jwt"])

    def check_missing(self, token: UploadToken, hashes: Sequence[str]) -> list[str]:
        return list(self._call("POST", "/pages/assets/check-missing", json={"hashes": list(hashes)}, jwt=token))

    def upload(self, token: UploadToken, payload: list[dict[str, Any]]) -> None:
        self._call("POST", "/pages/assets/upload", json=payload, jwt=token)

    def upsert_hashes(self, token: UploadToken, hashes: Sequence[str]) -> None:
        self._call("POST", "/pages/assets/upsert-hashes", json={"hashes": list(hashes)}, jwt=token)

    def create_deployment(self, project: str, fields: Mapping[str, str], files: Mapping[str, bytes]
                          ) -> dict[str, Any]:
        # Text fields as filename-less parts, so the body is multipart even with no file parts.
        parts: _Parts = [(name, (None, value.encode("utf-8"))) for name, value in fields.items()]
        parts += [(name, (name, data, "application/octet-stream")) for name, data in files.items()]
        deployment: dict[str, Any] = self._call("POST", f"{self._project_path(project)}/deployments", files=parts)
        return deployment

    def get_deployment(self, project: str, deployment_id: str) -> dict[str, Any]:
        deployment: dict[str, Any] = self._call("GET", f"{self._project_path(project)}/deployments/{deployment_id}")
        return deployment

    def _call(self, method: str, path: str, *, jwt: UploadToken | None = None, json: object = None,
              files: _Parts | None = None) -> Any:
        """The ``result`` of the API's JSON envelope (parsed JSON, as the API sent it)."""
        bearer = jwt.jwt if jwt else self.credentials.api_token
        try:
            response = self._client.request(method, path, headers={"Authorization": f"Bearer {bearer}"}, json=json,
                                            files=files)
        except httpx.TimeoutException:
            raise CloudflareAPIError(f"{method} {path}: timed out") from None
        except httpx.TransportError as exc:
            raise CloudflareAPIError(f"{method} {path}: connection failed ({type(exc).__name__})") from None
        return _result(response, f"{method} {path}")


def _result(response: httpx.Response, what: str) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("success") and response.is_success:
        return body.get("result")
    errors = body.get("errors") if isinstance(body, dict) else None
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    message = first.get("message") or response.reason_phrase or "no error message"
    raise CloudflareAPIError(f"{what}: HTTP {response.status_code}: {message}", status=response.status_code,
                             code=first.get("code"), retry_after=_retry_after(response))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
