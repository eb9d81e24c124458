"""A local, recording Cloudflare API for Pages Direct Upload, faithful to what the real ``wrangler`` sees.

No Cloudflare backend runs here, so this fake is the one allowed stand-in. It
speaks the protocol captured from wrangler 4.86.0 (see
``../shared/notes/cloudflare.md`` and ``node_modules/wrangler/wrangler-dist/cli.js``)
and the real wrangler deploys through it (``tests/deploy/test_deploy_conformance.py``)::

    with FakeCloudflare() as fake:          # project "demos", production branch "main"
        env = {"CLOUDFLARE_API_BASE_URL": fake.base_url, "CLOUDFLARE_API_TOKEN": fake.token,
               "CLOUDFLARE_ACCOUNT_ID": fake.account_id}
        ...deploy...
        fake.deployments[-1].manifest       # {"/index.html": "<32 hex>", ...}
        fake.assets[hash].content           # what was uploaded for that hash
        fake.endpoints()                    # ["get-project", "upload-token", "check-missing", ...]

Endpoints (below ``/client/v4``; API token = ``Authorization: Bearer <token>``,
upload JWT = the ``jwt`` from upload-token)::

    GET  /accounts/{acct}/pages/projects                          list-projects       API token
    POST /accounts/{acct}/pages/projects                          create-project      API token
    GET  /accounts/{acct}/pages/projects/{name}                   get-project         API token
    GET  /accounts/{acct}/pages/projects/{name}/upload-token      upload-token        API token
    POST /pages/assets/check-missing      {"hashes": [...]}       check-missing       JWT
    POST /pages/assets/upload             [{key, value, ...}]     upload              JWT
    POST /pages/assets/upsert-hashes      {"hashes": [...]}       upsert-hashes       JWT
    GET  /accounts/{acct}/pages/projects/{name}/deployments       list-deployments    API token
    POST /accounts/{acct}/pages/projects/{name}/deployments       create-deployment   API token (multipart)
    GET  .../deployments/{id}                                     get-deployment      API token
    GET  .../deployments/{id}/history/logs                        deployment-logs     API token

Every answer is the envelope ``{"success", "errors": [{"code", "message"}],
"messages", "result"}``, except injected gateway errors (502-504, 520-527),
which are HTML pages as Cloudflare's edge sends them.

Error codes: 10000 authentication (missing/wrong API token, 401; other
account, 403), 8000007 project not found (404), 8000013 JWT missing,
invalid, revoked or expired (401), 971 rate limited (429), 7003 no such route
(404). Failures whose real code was not captured answer the generic Pages
code 8000000: 400 for bad JSON, a manifest naming an asset never uploaded,
more files than the JWT allows or a file over 25 MiB; 409 for an existing
project name; 404 for an unknown deployment id. (wrangler retries
create-deployment on 8000000, so such a refusal costs it three attempts.)

A deployment's outcome is decided when it is created (``deploy_outcome``);
a successful production deployment becomes :meth:`FakeCloudflare.live` at
once, a failed one never does. Reads of it report ``queued``/``active`` for
the first ``polls_before_done`` polls, then ``deploy``/``success|failure``. The
create call's answer is the same deployment object, ``queued``/``active`` as
Cloudflare's usually is, or already ``deploy``/``success|failure`` when
``done_when_created`` is set (the API answers with the deployment's state at
that moment: a client must read it, not assume it).

:meth:`FakeCloudflare.transport` serves the same API to an ``httpx`` client in
process (no socket, no server thread), for tests that inject a transport.

Asset storage is one store per fake (one account), keyed by hash; the server
cannot know a file's extension, so it does not recompute hashes: tests do,
from the manifest's paths.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlsplit

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Self

API_PREFIX = "/client/v4"

AUTHENTICATION_ERROR = 10000
UNKNOWN_ERROR = 8000000
PROJECT_NOT_FOUND = 8000007
UNAUTHORIZED = 8000013
RATE_LIMITED = 971
NO_ROUTE = 7003
DEFAULT_CODES = {401: UNAUTHORIZED, 403: AUTHENTICATION_ERROR, 404: NO_ROUTE, 429: RATE_LIMITED}
"""The error code an injected status answers with when ``fail(code=None)``; anything else: 8000000."""
GATEWAY_STATUSES = frozenset({502, 503, 504, 520, 521, 522, 523, 524, 525, 526, 527})
"""Answered by Cloudflare's edge with an HTML page, not the API envelope."""

MAX_ASSET_BYTES = 25 * 1024 * 1024
HASH_PATTERN = re.compile(r"^[0-9a-f]{32}$")
PROJECT_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,56}[a-z0-9]$|^[a-z0-9]$")
COMPATIBILITY_DATE = "2025-01-01"
DeployOutcome = Literal["success", "failure"]


class _Server(ThreadingHTTPServer):
    """Cloudflare's edge never refuses a connection for being the 6th at once; http.server's listen backlog of 5
    did, on a loaded machine (a connection reset under 24 concurrent uploads)."""

    request_queue_size = 128


@dataclass(frozen=True)
class StoredAsset:
    """One uploaded file, as the asset store holds it."""

    content: bytes
    content_type: str


@dataclass(frozen=True)
class FormPart:
    """One part of a multipart/form-data body."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


@dataclass
class RecordedRequest:
    """One request as the server received it, and how it was answered."""

    method: str
    path: str
    """The API path below ``/client/v4``, without the query string."""
    query: dict[str, str]
    headers: dict[str, str]
    """Header names in lower case."""
    body: bytes
    json: Any = None
    """The parsed JSON body, when the body was JSON."""
    form: list[FormPart] | None = None
    """The parts, when the body was multipart/form-data."""
    endpoint: str = "unknown"
    status: int | None = None
    """The HTTP status answered; ``None`` for a dropped connection."""
    fault: str | None = None
    """Which injected fault answered this request, if one did."""
    response: Any = None
    """The JSON answered (``None`` for an HTML page or a dropped connection)."""
    received_at: float = 0.0
    """``time.monotonic()`` when the request was read."""

    @property
    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[len("Bearer "):] if value.startswith("Bearer ") else None


@dataclass
class Deployment:
    """A deployment the fake created (and what the client sent for it)."""

    id: str
    project: str
    environment: Literal["production", "preview"]
    branch: str
    manifest: dict[str, str]
    fields: dict[str, str]
    """The text parts: ``manifest``, ``branch``, ``commit_hash``, ``commit_message``, ``commit_dirty`` ..."""
    files: dict[str, bytes]
    """The file parts: ``_headers``, ``_redirects``, ``_routes.json``, ``_worker.bundle`` ..."""
    outcome: DeployOutcome
    created_on: str
    polls: int = 0
    """How many times the deployment was read (GET .../deployments/{id})."""
    logs: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"https://{self.id[:8]}.{self.project}.pages.dev"

    @property
    def commit_hash(self) -> str | None:
        return self.fields.get("commit_hash")

    @property
    def commit_message(self) -> str | None:
        return self.fields.get("commit_message")

    @property
    def commit_dirty(self) -> str | None:
        """As sent: the text ``"true"`` or ``"false"``."""
        return self.fields.get("commit_dirty")


@dataclass
class Project:
    """A Pages project of the fake account."""

    name: str
    production_branch: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_on: str = field(default_factory=lambda: _timestamp())
    live_deployment_id: str | None = None
    latest_deployment_id: str | None = None


@dataclass
class Fault:
    """A queued fault: answers the next ``times`` requests whose path matches ``pattern``."""

    pattern: str
    method: str | None
    status: int | None
    code: int | None
    retry_after: float | None
    delay: float | None
    drop: bool
    expire_jwt: bool
    remaining: int
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (self.remaining > 0 and (self.method is None or self.method == method)
                and re.search(self.pattern, path) is not None)

    def describe(self) -> str:
        parts = [f"delay={self.delay}"] if self.delay else []
        if self.drop:
            parts.append("drop")
        elif self.expire_jwt:
            parts.append("expire_jwt")
        elif self.status is not None:
            parts.append(f"status={self.status}")
        return f"{self.pattern}: {', '.join(parts)}"


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


class _Drop(Exception):
    """Close the connection without answering."""


class APIError(Exception):
    """An error answer, raised by an endpoint handler."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    endpoint: str
    auth: Literal["token", "jwt"]


_PROJECTS = r"/accounts/(?P<account>[^/]+)/pages/projects"
_PROJECT = _PROJECTS + r"/(?P<project>[^/]+)"
_DEPLOYMENT = _PROJECT + r"/deployments/(?P<deployment>[^/]+)"
ROUTES = tuple(_Route(method, re.compile(f"^{pattern}$"), endpoint, auth) for method, pattern, endpoint, auth in (
    ("GET", _PROJECTS, "list-projects", "token"),
    ("POST", _PROJECTS, "create-project", "token"),
    ("GET", _PROJECT, "get-project", "token"),
    ("GET", _PROJECT + "/upload-token", "upload-token", "token"),
    ("GET", _PROJECT + "/deployments", "list-deployments", "token"),
    ("POST", _PROJECT + "/deployments", "create-deployment", "token"),
    ("GET", _DEPLOYMENT, "get-deployment", "token"),
    ("GET", _DEPLOYMENT + "/history/logs", "deployment-logs", "token"),
    ("POST", "/pages/assets/check-missing", "check-missing", "jwt"),
    ("POST", "/pages/assets/upload", "upload", "jwt"),
    ("POST", "/pages/assets/upsert-hashes", "upsert-hashes", "jwt"),
))


class FakeCloudflare:
    """The Cloudflare API on ``127.0.0.1`` (a free port), recording every request; use it as a context manager.

    ``projects`` exist from the start, each with production branch
    ``production_branch``. Upload JWTs live ``jwt_lifetime`` seconds and allow
    ``max_file_count`` files. Attributes tests may change at any time:
    ``jwt_lifetime`` (0 makes every new JWT expire at once), ``deploy_outcome``
    (``"success"``/``"failure"``), ``polls_before_done`` (how many reads of a
    deployment still say ``queued``/``active``), ``done_when_created`` (the create call's answer already
    reports the outcome) and ``failure_log``.
    """

    def __init__(self, account_id: str = "acct", token: str = "test-token", *, max_file_count: int = 20_000,
                 jwt_lifetime: float = 300.0, projects: Iterable[str] = ("demos",),
                 production_branch: str = "main") -> None:
        self.account_id = account_id
        self.token = token
        self.max_file_count = max_file_count
        self.jwt_lifetime = jwt_lifetime
        self.deploy_outcome: DeployOutcome = "success"
        self.polls_before_done = 0
        self.done_when_created = False
        self.failure_log = "Error: Failed to publish your Function. Got error: Uncaught TypeError: injected failure"
        self.assets: dict[str, StoredAsset] = {}
        self.upserted: set[str] = set()
        self.projects: dict[str, Project] = {}
        self.deployments: list[Deployment] = []
        self.server_errors: list[str] = []
        """Exceptions raised inside the fake itself (a test should expect none)."""
        self._requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._issued_serials: dict[str, int] = {}
        self._revoked_through = 0
        self._revoked_jwts: set[str] = set()
        self._secret = secrets.token_bytes(32)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        for name in projects:
            self.add_project(name, production_branch=production_branch)

    # -- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Listen on a free port of 127.0.0.1 and serve in a background thread."""
        server = _Server(("127.0.0.1", 0), _handler_class(self))
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-cloudflare", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None, "FakeCloudflare is not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """What goes in ``CLOUDFLARE_API_BASE_URL``."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    # -- state for tests -------------------------------------------------------------------------------

    def add_project(self, name: str, *, production_branch: str = "main") -> Project:
        with self._lock:
            project = Project(name=name, production_branch=production_branch)
            self.projects[name] = project
            return project

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, in the order they arrived (a copy)."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget the request log (not the assets, projects or deployments)."""
        with self._lock:
            self._requests.clear()

    def forget_assets(self) -> None:
        """Empty the asset store, as if nothing had ever been uploaded."""
        with self._lock:
            self.assets.clear()
            self.upserted.clear()

    def endpoints(self) -> list[str]:
        """The endpoint name of every request so far, in order (see the module docstring)."""
        return [request.endpoint for request in self.requests]

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.endpoint == endpoint]

    def uploaded_hashes(self, *, include_failed: bool = False) -> list[str]:
        """The keys sent to /pages/assets/upload, in order, duplicates kept; by default only accepted uploads."""
        return [item["key"] for request in self.requests_to("upload")
                if include_failed or request.status == 200
                for item in (request.json if isinstance(request.json, list) else [])
                if isinstance(item, dict) and "key" in item]

    def live(self, project: str = "demos") -> Deployment | None:
        """The project's live production deployment: its last successful one; failed ones never replace it."""
        with self._lock:
            live_id = self.projects[project].live_deployment_id if project in self.projects else None
            return self._deployment(live_id) if live_id else None

    def transport(self) -> httpx.MockTransport:
        """This API for an ``httpx`` client in this process (base URL ``http://cloudflare.test/client/v4``):
        the same routes, checks, faults and request log as over HTTP, without a socket (needs no :meth:`start`;
        an injected ``delay`` sleeps in the caller's thread, ``drop`` raises a connection error)."""
        import httpx

        def handle(outgoing: httpx.Request) -> httpx.Response:
            headers = {name.lower(): value for name, value in outgoing.headers.items()}
            body = outgoing.read()
            json_body, form = _parsed_body(headers, body)
            request = RecordedRequest(method=outgoing.method, path=outgoing.url.path,
                                      query=dict(outgoing.url.params), headers=headers, body=body, json=json_body,
                                      form=form, received_at=time.monotonic())
            if not request.path.startswith(API_PREFIX + "/"):
                return httpx.Response(404, json=_envelope(None, [{"code": NO_ROUTE, "message": "No route"}]))
            request.path = request.path[len(API_PREFIX):]
            self._record(request)
            try:
                reply = self._answer(request)
            except _Drop:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.",
                                                request=outgoing) from None
            request.status = reply.status
            if reply.content_type == "application/json":
                request.response = json.loads(reply.body)
            return httpx.Response(reply.status, content=reply.body,
                                  headers=[("Content-Type", reply.content_type), *reply.headers])

        return httpx.MockTransport(handle)

    IN_PROCESS_BASE_URL = "http://cloudflare.test" + API_PREFIX
    """The base URL to give a client that uses :meth:`transport`."""

    # -- faults --------------------------------------------------------------------------------------------

    def fail(self, path_pattern: str, *, status: int | None = None, times: int = 1, code: int | None = None,
             retry_after: float | None = None, delay: float | None = None, drop: bool = False,
             expire_jwt: bool = False, method: str | None = None) -> Fault:
        """Answer the next ``times`` requests whose API path matches the regex ``path_pattern`` with a fault.

        Applied in this order: wait ``delay`` seconds (to trip client
        timeouts); then ``drop`` closes the connection without an answer,
        ``expire_jwt`` revokes the request's JWT and answers 401 / 8000013,
        and ``status`` answers that error (default 500 / 8000000; a gateway
        status gets Cloudflare's HTML page; 429 sends ``Retry-After``). With
        only ``delay``, the request is then served normally. Faults queue
        first in, first out; the returned :class:`Fault` counts its ``hits``.
        """
        if status is None and not (delay or drop or expire_jwt):
            status = 500
        fault = Fault(pattern=path_pattern, method=method, status=status, code=code, retry_after=retry_after,
                      delay=delay, drop=drop, expire_jwt=expire_jwt, remaining=times)
        with self._lock:
            self._faults.append(fault)
        return fault

    def unused_faults(self) -> list[Fault]:
        with self._lock:
            return [fault for fault in self._faults if fault.remaining > 0]

    def expire_all_tokens(self) -> None:
        """Every upload JWT issued so far is refused from now on (401 / 8000013); new ones work."""
        with self._lock:
            self._revoked_through = len(self._issued_serials)

    # -- request handling (server threads) ------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    fault.hits += 1
                    return fault
        return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _answer(self, request: RecordedRequest) -> _Reply:
        """Apply a fault or serve the request; raises :class:`_Drop` to close without answering."""
        route, params = _route(request.method, request.path)
        if route is not None:
            request.endpoint = route.endpoint
        fault = self._take_fault(request.method, request.path)
        if fault is not None:
            request.fault = fault.describe()
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                raise _Drop()
            if fault.expire_jwt:
                self._revoke(request.bearer)
                return _error_reply(401, UNAUTHORIZED, "Expired JWT")
            if fault.status is not None:
                return _fault_reply(fault)
        try:
            if route is None:
                raise APIError(404, NO_ROUTE, f"Could not route to {request.path}, perhaps your object "
                                              "identifier is invalid?")
            return _json_reply(200, _envelope(self._serve(route, params, request)))
        except APIError as error:
            return _error_reply(error.status, error.code, error.message)

    def _serve(self, route: _Route, params: dict[str, str], request: RecordedRequest) -> Any:
        if route.auth == "token":
            self._check_api_token(request, params.get("account"))
        else:
            self._check_jwt(request)
        handler: Callable[[RecordedRequest, dict[str, str]], Any] = getattr(
            self, "_" + route.endpoint.replace("-", "_"))
        with self._lock:
            return handler(request, params)

    def _check_api_token(self, request: RecordedRequest, account: str | None) -> None:
        if request.bearer != self.token:
            raise APIError(401, AUTHENTICATION_ERROR, "Authentication error")
        if account != self.account_id:
            raise APIError(403, AUTHENTICATION_ERROR, "Authentication error")

    # -- upload JWTs -------------------------------------------------------------------------------------

    def _issue_jwt(self, project: Project) -> str:
        now = time.time()
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {"iss": "fake-cloudflare-pages", "sub": project.id, "account_id": self.account_id,
                  "project_id": project.id, "project_name": project.name, "iat": int(now),
                  "exp": int(now + self.jwt_lifetime), "max_file_count_allowed": self.max_file_count,
                  "jti": uuid.uuid4().hex}
        signing_input = f"{_b64url_json(header)}.{_b64url_json(claims)}"
        with self._lock:
            self._issued_serials[claims["jti"]] = len(self._issued_serials) + 1
        return f"{signing_input}.{_b64url(self._sign(signing_input))}"

    def _sign(self, signing_input: str) -> bytes:
        return hmac.new(self._secret, signing_input.encode("ascii"), hashlib.sha256).digest()

    def _jwt_claims(self, jwt: str | None) -> dict[str, Any] | None:
        """The claims of a JWT this fake issued and still accepts, else ``None``."""
        if not jwt or jwt.count(".") != 2:
            return None
        header, payload, signature = jwt.split(".")
        try:
            valid = hmac.compare_digest(_b64url_decode(signature), self._sign(f"{header}.{payload}"))
            claims = json.loads(_b64url_decode(payload))
        except (ValueError, binascii.Error):
            return None
        if not valid or not isinstance(claims, dict):
            return None
        with self._lock:
            serial = self._issued_serials.get(str(claims.get("jti")), 0)
            revoked = jwt in self._revoked_jwts or serial <= self._revoked_through
        if revoked or claims.get("exp", 0) <= time.time():
            return None
        return claims

    def _check_jwt(self, request: RecordedRequest) -> None:
        if self._jwt_claims(request.bearer) is None:
            raise APIError(401, UNAUTHORIZED, "Authorization failed: the upload JWT is missing, invalid or expired")

    def _revoke(self, jwt: str | None) -> None:
        if jwt:
            with self._lock:
                self._revoked_jwts.add(jwt)

    # -- endpoints (called with the lock held) -----------------------------------------------------------

    def _project(self, name: str) -> Project:
        project = self.projects.get(name)
        if project is None:
            raise APIError(404, PROJECT_NOT_FOUND, "Project not found. The specified project name does not "
                                                   "match any of your existing projects.")
        return project

    def _deployment(self, deployment_id: str | None) -> Deployment | None:
        return next((d for d in self.deployments if d.id == deployment_id), None)

    def _project_result(self, project: Project) -> dict[str, Any]:
        config = {"compatibility_date": COMPATIBILITY_DATE, "compatibility_flags": [], "env_vars": {},
                  "fail_open": True, "always_use_latest_compatibility_date": False, "usage_model": "standard",
                  "build_image_major_version": 2}
        latest = self._deployment(project.latest_deployment_id)
        live = self._deployment(project.live_deployment_id)
        return {
            "id": project.id, "name": project.name, "subdomain": f"{project.name}.pages.dev",
            "domains": [f"{project.name}.pages.dev"], "production_branch": project.production_branch,
            "created_on": project.created_on, "source": None,
            "build_config": {"build_caching": False, "build_command": "", "destination_dir": "", "root_dir": "",
                             "web_analytics_tag": None, "web_analytics_token": None},
            "deployment_configs": {"production": dict(config), "preview": dict(config)},
            "latest_deployment": self._deployment_result(latest) if latest else None,
            "canonical_deployment": self._deployment_result(live) if live else None,
            "uses_functions": False,
        }

    def _list_projects(self, request: RecordedRequest, params: dict[str, str]) -> Any:
        return [self._project_result(project) for project in self.projects.values()]

    def _create_project(self, request: RecordedRequest, params: dict[str, str]) -> Any:
        body = request.json if isinstance(request.json, dict) else {}
        name = body.get("name")
        if not isinstance(name, str) or not PROJECT_NAME_PATTERN.match(name):
            raise APIError(400, UNKNOWN_ERROR, "A project name must be 1-58 lowercase letters, digits or dashes")
        if name in self.projects:
            raise APIError(409, UNKNOWN_ERROR, f"A project with the name {name!r} already exists")
        branch = body.get("production_branch") or "production"
        return self._project_result(self.add_project(name, production_branch=str(branch)))

    def _get_project(self, request: RecordedRequest, params: dict[str, str]) -> Any:
        return self._project_result(self._project(params["project"]))

    def _upload_token(self, request: RecordedRequest, params: dict[str, str]) -> Any:
        return {"jwt": self._issue_jwt(self._project(params["project"]))}

    def _check_missing(self, request: RecordedRequest, params: dict[str, str]) -> Any:
        hashes = _hash_list(request.json)
        return [h for h in dict.fromkeys(hashes) if h not in self.assets]

    def _upload(self, request: RecordedRequest, params: dict[str, str]) -> Any:
        items = _upload_items(request.json)
        for key, content, content_type in items:
            self.assets[key] = StoredAsset(content=content, content_type=content_type)
        return None

    def _upsert_hashes(self, request: RecordedRequest, params: dict[str, str]) -> Any:
        self.upserted.update(_hash_list(request.json))
        return True

    def _list_deployments(self, request: RecordedRequest, params: dict[str, str]) -> Any:
        project = self._project(params["project"])
        return [self._deployment_result(d) for d in reversed(self.deployments) if d.project == project.name]

    def _create_deployment(self, request: RecordedRequest, params: dict[str, str]) -> Any:
        project = self._project(params["project"])
        if request.form is None:
            raise APIError(400, UNKNOWN_ERROR, "Expected a multipart/form-data body")
        fields = {part.name: part.text for part in request.form if part.filename is None}
        files = {part.name: part.data for part in request.form if part.filename is not None}
        manifest = self._checked_manifest(fields.get("manifest", files.get("manifest", b"").decode()))
        branch = fields.get("branch") or project.production_branch
        environment: Literal["production", "preview"] = (
            "production" if branch == project.production_branch else "preview")
        deployment = Deployment(id=str(uuid.uuid4()), project=project.name, environment=environment, branch=branch,
                                manifest=manifest, fields=fields, files=files, outcome=self.deploy_outcome,
                                created_on=_timestamp())
        deployment.logs = self._log_lines(deployment)
        self.deployments.append(deployment)
        project.latest_deployment_id = deployment.id
        if deployment.outcome == "success" and environment == "production":
            project.live_deployment_id = deployment.id
        return self._deployment_result(deployment, stage=None if self.done_when_created else ("queued", "active"))

    def _checked_manifest(self, text: str) -> dict[str, str]:
        try:
            manifest = json.loads(text)
        except ValueError:
            raise APIError(400, UNKNOWN_ERROR, "The manifest is not valid JSON") from None
        if not isinstance(manifest, dict) or not all(
                isinstance(path, str) and path.startswith("/") and isinstance(h, str) and HASH_PATTERN.match(h)
                for path, h in manifest.items()):
            raise APIError(400, UNKNOWN_ERROR, 'The manifest must map "/path" to a 32-hex asset hash')
        if len(manifest) > self.max_file_count:
            raise APIError(400, UNKNOWN_ERROR, f"A deployment may hold at most {self.max_file_count} files")
        missing = sorted({h for h in manifest.values() if h not in self.assets})
        if missing:
            raise APIError(400, UNKNOWN_ERROR, f"The manifest names {len(missing)} assets that were never "
                                               f"uploaded: {', '.join(missing[:5])}")
        return manifest

    def _log_lines(self, deployment: Deployment) -> list[str]:
        lines = ["Initializing build environment...", "Success: Finished initializing build environment",
                 f"Uploading {len(deployment.manifest)} files"]
        return lines + (["Success: Assets published!", "Success: Your site was deployed!"]
                        if deployment.outcome == "success" else [self.failure_log])

    def _get_deployment(self, request: RecordedRequest, params: dict[str, str]) -> Any:
        deployment = self._owned_deployment(params)
        deployment.polls += 1
        pending = deployment.polls <= self.polls_before_done
        return self._deployment_result(deployment, stage=("queued", "active") if pending else None)

    def _deployment_logs(self, request: RecordedRequest, params: dict[str, str]) -> Any:
        deployment = self._owned_deployment(params)
        data = [{"ts": deployment.created_on, "line": line} for line in deployment.logs]
        return {"total": len(data), "includes_container_logs": False, "data": data}

    def _owned_deployment(self, params: dict[str, str]) -> Deployment:
        project = self._project(params["project"])
        deployment = self._deployment(params["deployment"])
        if deployment is None or deployment.project != project.name:
            raise APIError(404, UNKNOWN_ERROR, "The deployment ID you have specified does not exist")
        return deployment

    def _deployment_result(self, deployment: Deployment, *, stage: tuple[str, str] | None = None) -> dict[str, Any]:
        name, status = stage or ("deploy", deployment.outcome)
        alias = None if deployment.environment == "production" else [
            f"https://{_branch_slug(deployment.branch)}.{deployment.project}.pages.dev"]
        project = self.projects[deployment.project]
        return {
            "id": deployment.id, "short_id": deployment.id[:8], "project_id": project.id,
            "project_name": deployment.project, "environment": deployment.environment, "url": deployment.url,
            "created_on": deployment.created_on, "modified_on": deployment.created_on,
            "latest_stage": {"name": name, "status": status, "started_on": deployment.created_on,
                             "ended_on": None if status == "active" else deployment.created_on},
            "deployment_trigger": {"type": "ad_hoc", "metadata": {
                "branch": deployment.branch, "commit_hash": deployment.commit_hash or "",
                "commit_message": deployment.commit_message or "",
                "commit_dirty": deployment.commit_dirty == "true"}},
            "stages": _stages(name, status, deployment.created_on),
            "build_config": {"build_caching": False, "build_command": "", "destination_dir": "", "root_dir": ""},
            "source": None, "env_vars": {}, "compatibility_date": COMPATIBILITY_DATE, "compatibility_flags": [],
            "aliases": alias, "is_skipped_build": False, "production_branch": project.production_branch,
            "uses_functions": "_worker.bundle" in deployment.files,
        }


def _route(method: str, path: str) -> tuple[_Route | None, dict[str, str]]:
    for route in ROUTES:
        match = route.pattern.match(path)
        if match and route.method == method:
            return route, match.groupdict()
    return None, {}


def _stages(current: str, status: str, when: str) -> list[dict[str, Any]]:
    names = ["queued", "initialize", "clone_repo", "build", "deploy"]
    done = names.index(current)
    return [{"name": name, "started_on": when if index <= done else None,
             "ended_on": when if index < done or (index == done and status != "active") else None,
             "status": "success" if index < done else status if index == done else "idle"}
            for index, name in enumerate(names)]


def _hash_list(body: Any) -> list[str]:
    hashes = body.get("hashes") if isinstance(body, dict) else None
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        raise APIError(400, UNKNOWN_ERROR, 'Expected a JSON body {"hashes": [...]}')
    return hashes


def _upload_items(body: Any) -> list[tuple[str, bytes, str]]:
    """``(key, content, content_type)`` of an upload body, validated like the real endpoint would."""
    if not isinstance(body, list):
        raise APIError(400, UNKNOWN_ERROR, "Expected a JSON list of {key, value, metadata, base64}")
    items = []
    for item in body:
        key = item.get("key") if isinstance(item, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        metadata = item.get("metadata") if isinstance(item, dict) else None
        content_type = metadata.get("contentType") if isinstance(metadata, dict) else None
        if not (isinstance(key, str) and HASH_PATTERN.match(key) and isinstance(value, str)
                and isinstance(content_type, str)):
            raise APIError(400, UNKNOWN_ERROR, "Each upload needs a 32-hex key, a string value and "
                                               "metadata.contentType")
        content = _decoded_value(value, bool(item.get("base64")))
        if len(content) > MAX_ASSET_BYTES:
            raise APIError(400, UNKNOWN_ERROR, f"Asset {key} is larger than 25 MiB")
        items.append((key, content, content_type))
    return items


def _decoded_value(value: str, is_base64: bool) -> bytes:
    if not is_base64:
        return value.encode("utf-8")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise APIError(400, UNKNOWN_ERROR, "An upload value is not valid base64") from None


def _branch_slug(branch: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", branch.lower()).strip("-")[:28] or "branch"


def _timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_json(value: Any) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- replies --------------------------------------------------------------------------------------------

def _envelope(result: Any, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"success": not errors, "errors": errors or [], "messages": [], "result": None if errors else result}


def _json_reply(status: int, body: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()) -> _Reply:
    return _Reply(status=status, body=json.dumps(body).encode("utf-8"), headers=headers)


def _error_reply(status: int, code: int, message: str, headers: tuple[tuple[str, str], ...] = ()) -> _Reply:
    return _json_reply(status, _envelope(None, [{"code": code, "message": message}]), headers)


def _fault_reply(fault: Fault) -> _Reply:
    status = fault.status or 500
    if status in GATEWAY_STATUSES:
        return _Reply(status=status, body=_gateway_page(status).encode("utf-8"),
                      content_type="text/html; charset=UTF-8")
    headers: tuple[tuple[str, str], ...] = ()
    if status == 429 or fault.retry_after is not None:
        headers = (("Retry-After", _retry_after_text(fault.retry_after if fault.retry_after is not None else 1)),)
    code = fault.code if fault.code is not None else DEFAULT_CODES.get(status, UNKNOWN_ERROR)
    message = {429: "Please wait and consider throttling your request speed", 401: "Authorization failed",
               }.get(status, "An unknown error occurred. Please try again (injected fault).")
    return _error_reply(status, code, message, headers)


def _retry_after_text(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


_GATEWAY_TITLES = {502: "Bad gateway", 503: "Service unavailable", 504: "Gateway time-out",
                   520: "Web server is returning an unknown error", 521: "Web server is down",
                   522: "Connection timed out", 523: "Origin is unreachable", 524: "A timeout occurred",
                   525: "SSL handshake failed", 526: "Invalid SSL certificate", 527: "Railgun error"}


def _gateway_page(status: int) -> str:
    title = _GATEWAY_TITLES.get(status, "Error")
    return (f"<!DOCTYPE html>\n<html lang=\"en-US\">\n<head>\n<title>api.cloudflare.com | {status}: {title}</title>\n"
            f"<meta charset=\"UTF-8\" />\n</head>\n<body>\n<div id=\"cf-wrapper\">\n<h1>\n"
            f"<span class=\"cf-error-type\">Error</span> <span class=\"cf-error-code\">{status}</span>\n</h1>\n"
            f"<h2 class=\"cf-subheadline\">{title}</h2>\n<p>Cloudflare Ray ID: <strong>{secrets.token_hex(8)}"
            "</strong></p>\n</div>\n</body>\n</html>\n")


# -- HTTP plumbing ---------------------------------------------------------------------------------------

def parse_multipart(body: bytes, content_type: str) -> list[FormPart]:
    """The parts of a multipart/form-data body, byte-exact (no newline or charset conversion)."""
    match = re.search(r'boundary=(?:"([^"]+)"|([^;\s]+))', content_type)
    if not match:
        raise ValueError("multipart/form-data without a boundary")
    delimiter = b"\r\n--" + (match.group(1) or match.group(2)).encode("latin-1")
    sections = (b"\r\n" + body).split(delimiter)
    parts = []
    for section in sections[1:]:
        if section.startswith(b"--"):
            break
        head, separator, data = section.partition(b"\r\n\r\n")
        if not separator:
            raise ValueError("a multipart part without a header block")
        parts.append(_form_part(head.decode("utf-8").strip("\r\n \t"), data))
    return parts


def _form_part(head: str, data: bytes) -> FormPart:
    headers = {}
    for line in head.split("\r\n"):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    disposition = headers.get("content-disposition", "")
    params = dict(re.findall(r';\s*([\w*-]+)="((?:[^"\\]|\\.)*)"', disposition))
    if "name" not in params:
        raise ValueError(f"a multipart part without a name: {disposition!r}")
    return FormPart(name=params["name"], data=data, filename=params.get("filename"),
                    content_type=headers.get("content-type"))


def _parsed_body(headers: dict[str, str], body: bytes) -> tuple[Any, list[FormPart] | None]:
    content_type = headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        try:
            return None, parse_multipart(body, content_type)
        except ValueError:
            return None, None
    if body and (content_type.startswith("application/json") or body[:1] in (b"{", b"[")):
        try:
            return json.loads(body), None
        except ValueError:
            return None, None
    return None, None


def _handler_class(fake: FakeCloudflare) -> type[BaseHTTPRequestHandler]:
    class Handler(_CloudflareHandler):
        api = fake
    return Handler


class _CloudflareHandler(BaseHTTPRequestHandler):
    """Reads a request, lets the fake answer it, writes the reply (HTTP/1.1, keep-alive)."""

    api: FakeCloudflare
    protocol_version = "HTTP/1.1"
    server_version = "cloudflare"
    sys_version = ""
    timeout = 120

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the fake records requests instead of logging them."""

    def _handle(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        body = self._read_body(headers)
        url = urlsplit(self.path)
        json_body, form = _parsed_body(headers, body)
        request = RecordedRequest(method=self.command, path=url.path, query=dict(parse_qsl(url.query)),
                                  headers=headers, body=body, json=json_body, form=form,
                                  received_at=time.monotonic())
        if url.path.startswith(API_PREFIX + "/"):
            request.path = url.path[len(API_PREFIX):]
        self.api._record(request)
        try:
            reply = self._reply(request, url.path)
        except _Drop:
            self.close_connection = True
            return
        request.status = reply.status
        if reply.content_type == "application/json":
            request.response = json.loads(reply.body)
        self._write(reply)

    def _reply(self, request: RecordedRequest, raw_path: str) -> _Reply:
        if not raw_path.startswith(API_PREFIX + "/"):
            return _error_reply(404, NO_ROUTE, "No route for that URI")
        try:
            return self.api._answer(request)
        except _Drop:
            raise
        except Exception as error:  # noqa: BLE001 -- a bug in the fake: answer 500 and keep it for the test
            self.api.server_errors.append(f"{request.method} {request.path}: {type(error).__name__}: {error}")
            return _error_reply(500, UNKNOWN_ERROR, "Internal error in FakeCloudflare")

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return self._read_chunked()
        length = int(headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _write(self, reply: _Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("CF-RAY", f"{secrets.token_hex(8)}-LOCAL")
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (e.g. its timeout fired)
            self.close_connection = True
