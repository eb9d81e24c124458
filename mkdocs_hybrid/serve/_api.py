"""The JSON API under ``/api/``: what the editor calls to save versions and get packages.

Every answer is JSON; every refusal is ``{"error": "one clear line", "field": ...}`` with its status,
and nothing is written on any error. A new version is built alone first (into a scratch folder, with
the project's caches): a version that does not build is refused with 422 and never saved, so the
store holds only versions that have a share link. Only then is it saved, and the site rebuilt warm.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from mkdocs_hybrid.bundle.dependencies import DependencyError
from mkdocs_hybrid.bundle.toolchain import Toolchain
from mkdocs_hybrid.edge.unlisted import UnlistedKey, site_parts
from mkdocs_hybrid.model.errors import HybridError, SnapshotError
from mkdocs_hybrid.model.layout import ARTIFACTS, SHARE
from mkdocs_hybrid.model.snapshot import ID_PATTERN, Snapshot
from mkdocs_hybrid.model.words import counted
from mkdocs_hybrid.serve._guard import Headers
from mkdocs_hybrid.serve._packages import BadRequest, Packages
from mkdocs_hybrid.serve._site import Site
from mkdocs_hybrid.serve._targets import Target
from mkdocs_hybrid.sources.scan import scan_sources
from mkdocs_hybrid.sources.snapshot_json import SNAPSHOT_JSON_KEYS, max_snapshot_json_bytes, parse_snapshot_json
from mkdocs_hybrid.sources.store import VersionExists

JSON_TYPE = "application/json"
SMALL_BODY = 64 * 1024
"""The largest body of a request that is not a snapshot (``/api/dependencies``)."""
TOO_DEEP = "the body is nested too deeply (JSON arrays and objects inside each other, hundreds deep)"
_VERSION = re.compile(r"/api/versions/([^/]+)/([^/]+)")
_PACKAGES = re.compile(r"/api/packages/([^/]+)/(.*)")
_FIELD_WORDS = {"dependency": "dependencies", "snapshot": "files", "no": "entry", "not": "format"}


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = JSON_TYPE

    @classmethod
    def json(cls, status: int, payload: object) -> Reply:
        return cls(status, (json.dumps(payload, ensure_ascii=False) + "\n").encode("utf-8"))


class ApiError(HybridError):
    """A refused request: its status, its one line, and the field it is about."""

    def __init__(self, status: int, message: str, field: str | None = None, **extra: object) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.extra = extra

    def reply(self) -> Reply:
        return Reply.json(self.status, {"error": str(self), "field": self.field, **self.extra})


class Api:
    """Routes ``/api/`` requests; one save or install at a time (they share the caches and the site). ``say``
    gets one line per save and per install (what ``serve`` prints its other lines with)."""

    def __init__(self, site: Site, target: Target, packages: Packages, toolchain: Toolchain,
                 say: Callable[[str], None] = lambda line: None) -> None:
        self.site = site
        self.target = target
        self.packages = packages
        self.toolchain = toolchain
        self.say = say
        self.lock = threading.Lock()

    def body_limit(self, path: str) -> int:
        """The largest body ``path`` accepts, checked before anything is read."""
        return max_snapshot_json_bytes(self.site.manifest.build) if path == "/api/versions" else SMALL_BODY

    def handle(self, method: str, path: str, headers: Headers, body: bytes) -> Reply:
        try:
            return self._route(method, path, headers, body)
        except ApiError as exc:
            return exc.reply()
        except BadRequest as exc:
            return ApiError(400, str(exc), exc.field).reply()
        except HybridError as exc:
            return ApiError(500, str(exc)).reply()
        except RecursionError:  # a body that parsed but is too deep for a later step (validation, JSON out)
            return ApiError(400, TOO_DEEP, "body").reply()

    def _route(self, method: str, path: str, headers: Headers, body: bytes) -> Reply:
        if method == "GET" and path == "/api/status":
            return Reply.json(200, {"ok": True, "store": str(self.target.source.path),
                                    "esbuild": self.toolchain.version})
        if method == "GET" and path == "/api/threads":
            return Reply.json(200, {"store": str(self.target.source.path), "threads": self.target.threads()})
        if method == "POST" and path == "/api/versions":
            return self._save(_json_body(headers, body))
        if method == "POST" and path == "/api/dependencies":
            return self._dependencies(_json_body(headers, body))
        if method == "GET" and (match := _VERSION.fullmatch(path)):
            return self._document(match.group(1), match.group(2))
        if method == "GET" and (match := _PACKAGES.fullmatch(path)):
            return self._package(match.group(1), unquote(match.group(2)))
        raise ApiError(404 if method in ("GET", "POST") else 405, f"no {method} {path} in this API")

    def _document(self, thread: str, version: str) -> Reply:
        document = self.target.document(thread, version) if _ids(thread, version) else None
        if document is None:
            raise ApiError(404, f"{thread}/{version} is not saved in {self.target.source.path}")
        return Reply.json(200, document)

    def _save(self, data: object) -> Reply:
        start = time.perf_counter()
        snapshot = _validated(lambda: parse_snapshot_json(data, self.site.manifest.build, "POST /api/versions"))
        assert isinstance(data, dict)
        _validated(lambda: self.target.check(data))
        thread, version = snapshot.thread, snapshot.version
        with self.lock:
            self._refuse_existing(thread, version)
            failed = [error for error in self.site.check(data, thread) if error.ref in (snapshot.ref, "?")]
            if failed:
                self.say(f"not saved: {snapshot.ref} does not build ({counted(len(failed), 'error')}); "
                         f"{_seconds(start)}")
                raise ApiError(422, f"not saved: {snapshot.ref} does not build: {failed[0].detail}", "files",
                               errors=[str(error) for error in failed])
            try:
                self.target.save(thread, version, data)
            except VersionExists as exc:
                raise ApiError(409, str(exc), "version") from None
            build_seconds = self.site.build()
        self.say(f"saved {snapshot.ref}: {_size(snapshot)} into {self.target.source.path}; {_seconds(start)}, "
                 f"site rebuilt in {build_seconds:.2f} s")
        # An unlisted version lives at its keyed path (edge/unlisted.py); without the key it did not build.
        folder, name = site_parts(thread, version, snapshot.unlisted, UnlistedKey.from_env())
        return Reply.json(201, {"thread": thread, "version": version, "share_url": f"/{SHARE}/{folder}/{name}/",
                                "artifact_url": f"/{ARTIFACTS}/{folder}/{name}/page.html",
                                "seconds": round(time.perf_counter() - start, 3),
                                "build_seconds": round(build_seconds, 3)})

    def _refuse_existing(self, thread: str, version: str) -> None:
        """A version id is taken when any source of the manifest has it (broken versions too), not only
        the target: the build would refuse the duplicate."""
        scan = scan_sources(self.site.manifest, owns=lambda name: name == thread)
        refs = {s.ref for s in scan.snapshots} | {error.ref for error in scan.errors}
        if f"{thread}/{version}" in refs:
            raise ApiError(409, f"{thread}/{version} already exists and versions never change; save your change "
                                "as a new version", "version")

    def _dependencies(self, body: object) -> Reply:
        start = time.perf_counter()
        with self.lock:
            try:
                prepared = self.packages.prepare(body)
            except DependencyError as exc:
                self.say(f"install failed: {_specs(body)}: {exc}; {_seconds(start)}")
                raise ApiError(422, str(exc), "dependencies") from None
            except SnapshotError as exc:
                self.say(f"install failed: {_specs(body)}: {exc.detail}; {_seconds(start)}")
                raise ApiError(422, exc.detail, "imports") from None
        direct = prepared["set"]["direct"]
        self.say(f"installed {_specs(body)} as {' '.join(f'{n}@{v}' for n, v in direct.items()) or 'nothing'} "
                 f"(set {prepared['set']['key']}); {_seconds(start)}")
        return Reply.json(200, prepared)

    def _package(self, key: str, path: str) -> Reply:
        if not path:
            listing = self.packages.listing(key)
            if listing is None:
                raise ApiError(404, f"no installed dependency set {key!r}: POST /api/dependencies first")
            return Reply.json(200, listing)
        found: Path | None = self.packages.file(key, path)
        if found is None:
            raise ApiError(404, f"{path} is not a file of dependency set {key!r}")
        return Reply(200, found.read_bytes(), _content_type(found.name))


def _json_body(headers: Headers, body: bytes) -> object:
    kind = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if kind != JSON_TYPE:
        raise ApiError(415, f"Content-Type must be {JSON_TYPE}, not {kind or '(none)'}", "body")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, f"the body is not JSON: {exc}", "body") from None
    except RecursionError:
        raise ApiError(400, TOO_DEEP, "body") from None


def _validated(check: Callable[[], Any]) -> Any:
    """Run the shared validator; its error becomes a 400 naming the field."""
    try:
        return check()
    except SnapshotError as exc:
        raise ApiError(400, f"{exc.ref}: {exc.detail}" if exc.thread else exc.detail, field_of(exc.detail)) from None


def field_of(detail: str) -> str | None:
    """The snapshot JSON field a validation message is about (its first word, as the validator words it)."""
    if detail.startswith("unknown key(s) "):
        return detail.removeprefix("unknown key(s) ").split(",")[0].split(";")[0].strip()
    word = re.match(r'"?([a-z_]+)', detail)
    if word is None:
        return None
    name = _FIELD_WORDS.get(word.group(1), word.group(1))
    return name if name in SNAPSHOT_JSON_KEYS else None


def _size(snapshot: Snapshot) -> str:
    total = sum(len(data) for data in snapshot.files.values())
    return f"{counted(len(snapshot.files), 'file')}, {total:,} {'byte' if total == 1 else 'bytes'}"


def _specs(body: object) -> str:
    """The requested specs as ``name@spec``, for a log line (the body was checked before npm ran, or not)."""
    specs = body.get("dependencies") if isinstance(body, dict) else None
    if not isinstance(specs, dict) or not specs:
        return "no dependencies"
    return " ".join(f"{name}@{spec}" for name, spec in sorted(specs.items(), key=lambda item: str(item[0])))


def _seconds(start: float) -> str:
    return f"{time.perf_counter() - start:.2f} s"


def _ids(*ids: str) -> bool:
    return all(ID_PATTERN.fullmatch(value) for value in ids)


def _content_type(name: str) -> str:
    import mimetypes

    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") or guessed.endswith(("javascript", "json")) \
        else guessed
