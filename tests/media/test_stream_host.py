"""``video.host: stream``: long attached videos go to Cloudflare Stream through its documented API, here a local
stand-in server that follows it (basic upload ``POST /accounts/{account}/stream`` as ``multipart/form-data``
with the file as ``file``, then ``GET /accounts/{account}/stream/{uid}`` until ``readyToStream``, every answer in
the API's ``{"success", "errors", "messages", "result"}`` envelope), as ``tests/cloudflare_api.py`` does for Pages."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mkdocs_hybrid.config.manifest import VideoOptions
from mkdocs_hybrid.gallery.pages import standalone_thread_page
from mkdocs_hybrid.media import MediaRequest, MediaStage, MediaTools
from mkdocs_hybrid.model.catalog import ThreadEntry, VersionEntry
from tests.media.test_attached import FFMPEG, FFPROBE
from tests.media.test_hls import long_source, pytestmark  # noqa: F401  (skipped without ffmpeg, as those)
from tests.media.test_stage import artifact

ACCOUNT, TOKEN = "0123456789abcdef0123456789abcdef", "stream-token"


@dataclass
class FakeStream:
    """Cloudflare Stream's video API for one account: uploads kept in memory, ready after ``polls`` GETs."""

    polls: int = 1
    uploads: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    base_url: str = ""

    def video(self, uid: str) -> dict[str, Any]:
        ready = self.seen.get(uid, 0) >= self.polls
        host = "https://customer-f33zs165nr7gyfy4.cloudflarestream.com"
        return {"uid": uid, "readyToStream": ready, "status": {"state": "ready" if ready else "inprogress"},
                "preview": f"{host}/{uid}/watch", "size": len(self.uploads[uid]),
                "playback": {"hls": f"{host}/{uid}/manifest/video.m3u8",
                             "dash": f"{host}/{uid}/manifest/video.mpd"} if ready else {}}


def envelope(result: Any = None, errors: list[dict[str, Any]] | None = None) -> bytes:
    return json.dumps({"success": not errors, "errors": errors or [], "messages": [], "result": result}).encode()


def multipart_file(body: bytes, content_type: str) -> bytes | None:
    """The bytes of the part named ``file`` of a ``multipart/form-data`` body."""
    boundary = content_type.split("boundary=")[-1].encode()
    for part in body.split(b"--" + boundary):
        head, _, data = part.partition(b"\r\n\r\n")
        if re.search(rb'name="file"', head):
            return data.removesuffix(b"\r\n")
    return None


def handler(stream: FakeStream) -> type[BaseHTTPRequestHandler]:
    videos = f"/client/v4/accounts/{ACCOUNT}/stream"

    class Handler(BaseHTTPRequestHandler):
        def answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def authorized(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {TOKEN}":
                return True
            self.answer(403, envelope(errors=[{"code": 10000, "message": "Authentication error"}]))
            return False

        def do_POST(self) -> None:  # noqa: N802
            stream.requests.append(("POST", self.path))
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not self.authorized():
                return
            data = multipart_file(body, self.headers.get("Content-Type", ""))
            if self.path != videos or data is None:
                self.answer(400, envelope(errors=[{"code": 10005, "message": "bad request"}]))
                return
            uid = f"{len(stream.uploads):032x}"
            stream.uploads[uid] = data
            self.answer(200, envelope(stream.video(uid)))

        def do_GET(self) -> None:  # noqa: N802
            stream.requests.append(("GET", self.path))
            uid = self.path.removeprefix(videos + "/")
            if not self.authorized():
                return
            if uid not in stream.uploads:
                self.answer(404, envelope(errors=[{"code": 10003, "message": "Not Found"}]))
                return
            stream.seen[uid] = stream.seen.get(uid, 0) + 1
            self.answer(200, envelope(stream.video(uid)))

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeStream]:
    fake = FakeStream()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(fake))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/client/v4"
    monkeypatch.setenv("CLOUDFLARE_API_BASE_URL", fake.base_url)
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def media_stage(tmp_path: Path) -> MediaStage:
    assert FFMPEG is not None and FFPROBE is not None
    tools = MediaTools(chromium=None, ffmpeg=Path(FFMPEG), ffprobe=Path(FFPROBE), versions="ffmpeg test")
    return MediaStage(VideoOptions(hls_after_seconds=3, host="stream"), tmp_path / "cache", tools, workers=1)


def test_a_long_video_goes_up_to_stream_once_and_its_thread_page_plays_streams_manifest(
        stream: FakeStream, tmp_path: Path) -> None:
    site = tmp_path / "site"
    for parts in (("long", "v1"), ("short", "v1")):
        artifact(site, parts)
    talk = long_source(tmp_path / "talk.mp4", size="320x240", seconds=5)
    clip = long_source(tmp_path / "clip.mp4", size="320x240", seconds=2)
    requests = [MediaRequest("long/v1", ("long", "v1"), attached=talk, attached_name="talk.mp4"),
                MediaRequest("short/v1", ("short", "v1"), attached=clip, attached_name="clip.mp4")]
    outcome = media_stage(tmp_path).run(site, requests)

    assert outcome.errors == []
    assert list(stream.uploads.values()) == [talk.read_bytes()]  # the short one stays on the site
    [uid] = stream.uploads
    assert ("GET", f"/client/v4/accounts/{ACCOUNT}/stream/{uid}") in stream.requests  # polled until ready
    [entry] = [m for m in outcome.media["long/v1"] if m.role == "hls"]
    hls_url = f"https://customer-f33zs165nr7gyfy4.cloudflarestream.com/{uid}/manifest/video.m3u8"
    assert (entry.name, entry.url) == ("hls/stream.json", hls_url)
    folder = site / "artifacts" / "long" / "v1"
    assert json.loads((folder / "hls" / "stream.json").read_text())["uid"] == uid
    assert sorted(p.name for p in (folder / "hls").iterdir()) == ["stream.json"]  # no local ladder
    assert not any(m.role == "hls" for m in outcome.media["short/v1"])

    version = VersionEntry(version="v1", title="Talk", created=None, author=None, tags=(), entry="index.js",
                           unlisted=False, build_key="k", media=outcome.media["long/v1"])
    thread = ThreadEntry(id="long", title="Talk", description=None, tags=(), versions=(version,), latest="v1",
                         unlisted=False)
    assert f'data-hg-hls="{hls_url}"' in standalone_thread_page(thread).decode()

    before = len(stream.requests)
    again = media_stage(tmp_path).run(site, requests)
    assert again.cached == ["long/v1", "short/v1"] and len(stream.requests) == before  # nothing sent again


def test_a_refused_upload_is_an_error_of_its_version_that_names_the_reason(
        stream: FakeStream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "wrong")
    site = tmp_path / "site"
    artifact(site, ("long", "v1"))
    talk = long_source(tmp_path / "talk.mp4", size="320x240", seconds=5)
    outcome = media_stage(tmp_path).run(site, [MediaRequest("long/v1", ("long", "v1"), attached=talk,
                                                            attached_name="talk.mp4")])
    [error] = outcome.errors
    assert (error.thread, error.version) == ("long", "v1")
    assert "Cloudflare Stream refused the upload (Authentication error)" in str(error)
    assert stream.uploads == {}


def test_the_manifest_takes_site_or_stream_as_the_host_and_says_what_else_is_wrong(tmp_path: Path) -> None:
    from mkdocs_hybrid.config.manifest import ManifestError, parse_manifest

    sources = [{"type": "directory", "path": "."}]
    assert parse_manifest({"sources": sources, "video": {"host": "stream"}}, base_dir=tmp_path).video.host == "stream"
    assert parse_manifest({"sources": sources}, base_dir=tmp_path).video.host == "site"
    with pytest.raises(ManifestError, match=r"video\.host must be site or stream, not 'youtube'"):
        parse_manifest({"sources": sources, "video": {"host": "youtube"}}, base_dir=tmp_path)
