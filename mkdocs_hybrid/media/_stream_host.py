"""Cloudflare Stream as the host of long videos (``video.host: stream``), through its documented API.

Instead of an HLS ladder in the artifact folder (``_hls``), a long attached video is uploaded to Stream with the
basic upload (``POST /accounts/{account}/stream``, ``multipart/form-data`` with the file as ``file``, files under
200 MB), then polled (``GET /accounts/{account}/stream/{uid}``) until ``readyToStream``; the video's
``playback.hls`` manifest is what the thread page plays (the same player as a local ladder). The answer is kept
as ``hls/stream.json`` in the artifact folder and in the media cache, whose key (the attached file's digest) makes
a rebuild upload nothing. Credentials: ``CLOUDFLARE_ACCOUNT_ID`` and ``CLOUDFLARE_API_TOKEN``;
``CLOUDFLARE_API_BASE_URL`` (as wrangler reads it) points the client at a stand-in.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs_hybrid.media._probe import MB, AttachedVideoError
from mkdocs_hybrid.model.catalog import MediaFile
from mkdocs_hybrid.model.durable import write_atomic
from mkdocs_hybrid.model.layout import HLS
from mkdocs_hybrid.model.snapshot import sha256_hex

API = "https://api.cloudflare.com/client/v4"
BASIC_UPLOAD_LIMIT = 200 * MB
"""Stream's basic (form) upload takes files under 200 MB; larger ones need tus, not done here."""
RECORD = f"{HLS}/stream.json"
"""The Stream video's record in the artifact folder (``uid``, ``hls``, ``preview``)."""
POLL_SECONDS = (1, 2, 4, 8, 15, 30, 30, 30, 30, 30, 30, 30)
"""Waits between polls until ``readyToStream`` (about five minutes in all)."""


class StreamUploadError(AttachedVideoError):
    """Stream refused the video, or did not make it ready in time: the version is published without it."""


@dataclass(frozen=True)
class StreamHost:
    """One Stream account."""

    account: str
    token: str
    base_url: str = API
    sleep: Any = time.sleep

    @classmethod
    def from_env(cls) -> StreamHost:
        account, token = os.environ.get("CLOUDFLARE_ACCOUNT_ID"), os.environ.get("CLOUDFLARE_API_TOKEN")
        if not account or not token:
            raise StreamUploadError("video.host: stream needs CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN (a "
                                    "token with Stream Write) in the environment")
        return cls(account, token, os.environ.get("CLOUDFLARE_API_BASE_URL", API).rstrip("/"))

    def upload(self, path: Path, name: str) -> dict[str, Any]:
        """Upload ``path`` and wait until Stream can play it; its video object (``uid``, ``playback.hls``, ...)."""
        import httpx  # here: a plain import of the package loads no httpx

        if path.stat().st_size >= BASIC_UPLOAD_LIMIT:
            raise StreamUploadError(f"{name} is over Stream's 200 MB basic upload limit: use video.host: site")
        videos = f"{self.base_url}/accounts/{self.account}/stream"
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(timeout=120.0, headers=headers) as client:
            with path.open("rb") as handle:
                video = _result(client.post(videos, files={"file": (name, handle, "video/mp4")}), name)
            uid = str(video.get("uid", ""))
            for wait in (0, *POLL_SECONDS):
                self.sleep(wait)
                if video.get("readyToStream") and video.get("playback", {}).get("hls"):
                    return video
                if video.get("status", {}).get("state") == "error":
                    reason = video.get("status", {}).get("errorReasonText") or "no reason given"
                    raise StreamUploadError(f"{name}: Cloudflare Stream could not encode it ({reason})")
                video = _result(client.get(f"{videos}/{uid}"), name)
        raise StreamUploadError(f"{name}: Cloudflare Stream did not make it ready in {sum(POLL_SECONDS)} s: build "
                                "again later (the upload is kept under its uid)")


def _result(response: Any, name: str) -> dict[str, Any]:
    """The ``result`` of a Cloudflare API answer, or the error it names."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400 or not body.get("success"):
        errors = "; ".join(str(e.get("message", e)) for e in body.get("errors", [])) or f"HTTP {response.status_code}"
        raise StreamUploadError(f"{name}: Cloudflare Stream refused the upload ({errors})")
    result: dict[str, Any] = body["result"]
    return result


def stream_video(src: Path, out_dir: Path, video: MediaFile, host: StreamHost) -> MediaFile:
    """Upload a long attached video and write its record; the catalog entry pages play (role ``hls``, its
    ``url`` Stream's HLS manifest)."""
    answer = host.upload(src, src.name)
    record = {"uid": answer["uid"], "hls": answer["playback"]["hls"], "preview": answer.get("preview")}
    data = (json.dumps(record, indent=1, sort_keys=True) + "\n").encode()
    (out_dir / HLS).mkdir(parents=True, exist_ok=True)
    write_atomic(out_dir / RECORD, data)
    return MediaFile(role="hls", name=RECORD, sha256=sha256_hex(data), size=len(data), width=video.width,
                     height=video.height, duration=video.duration, fps=video.fps, url=str(record["hls"]))
