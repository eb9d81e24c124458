"""R2 media store against a real local S3 server (moto server) through boto3.

moto does not reproduce R2's refusal of checksum trailers, so besides the
round trips these tests assert the client Config and the headers that go on the
wire. Every test gets a fresh bucket on one module-wide server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ConnectionClosedError

from mkdocs_hybrid.deploy._r2_config import R2Config, r2_client
from mkdocs_hybrid.deploy._r2_errors import R2Error
from mkdocs_hybrid.deploy._r2_plan import media_content_type
from mkdocs_hybrid.deploy._r2_store import IMMUTABLE_CACHE_CONTROL, MediaStore, UploadedMedia
from mkdocs_hybrid.model.errors import HybridError
from tests.factory import free_port

moto_server = pytest.importorskip("moto.server")

MiB = 1024 * 1024
PUBLIC_URL = "https://media.example.com"


# -- fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free loopback port, for the whole module."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


S3_APP_SERVER = ("import sys; from werkzeug.serving import run_simple; "
                 "from moto.moto_server.werkzeug_app import create_backend_app; "
                 "run_simple('127.0.0.1', int(sys.argv[1]), create_backend_app('s3'), threaded=True)")
"""moto's S3 application served on its own: the same S3 backend ``python -m moto.server`` dispatches to, without
the dispatcher that first works out which of moto's 200 services a request is for (it lists moto's package folder
on every request: a third of the server's time per PutObject)."""


@pytest.fixture(scope="module")
def s3_process_endpoint() -> Iterator[str]:
    """moto's S3 server in a process of its own, for the tests that send thousands of requests: in process, the
    server's threads and the client's share one interpreter lock and the requests queue behind each other.
    Settings patched in this process do not reach it."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", S3_APP_SERVER, str(port)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(endpoint):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto's S3 server did not answer on {endpoint} (exit code {server.poll()})")
            time.sleep(0.1)
        yield endpoint
    finally:
        server.kill()
        server.wait(timeout=10)


def _answers(endpoint: str) -> bool:
    """Whether the server lists its buckets (an unsigned ListBuckets: moto answers it)."""
    try:
        return httpx.get(f"{endpoint}/", timeout=1.0).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(autouse=True)
def dummy_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Test keys only; no profile, config file or instance metadata can leak in."""
    for name in ("R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "R2_ENDPOINT_URL", "R2_ACCOUNT_ID",
                 "CLOUDFLARE_ACCOUNT_ID", "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                 "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    return fresh_bucket(s3_endpoint)


def fresh_bucket(endpoint: str) -> str:
    """A fresh bucket in region ``auto``, created like an R2 bucket."""
    name = f"media-{uuid.uuid4().hex[:12]}"
    admin = boto3.client("s3", endpoint_url=endpoint, region_name="auto")
    admin.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "auto"})
    return name


@pytest.fixture
def config(bucket: str, s3_endpoint: str) -> R2Config:
    return R2Config.from_env(bucket, PUBLIC_URL, endpoint_url=s3_endpoint)


@pytest.fixture
def store(config: R2Config) -> MediaStore:
    return MediaStore(config)


@dataclass
class Wire:
    """Every request a client sends: operation, method, URL and headers."""

    requests: list[tuple[str, str, str, dict[str, str]]] = field(default_factory=list)

    def hook(self, request: Any, event_name: str, **_: Any) -> None:
        headers = {k.lower(): v.decode() if isinstance(v, bytes) else str(v) for k, v in request.headers.items()}
        self.requests.append((event_name.rsplit(".", 1)[-1], request.method, request.url, headers))

    def operations(self) -> list[str]:
        return [operation for operation, *_ in self.requests]

    def clear(self) -> None:
        self.requests.clear()


def listen(client: BaseClient) -> Wire:
    wire = Wire()
    client.meta.events.register("before-send.s3", wire.hook)
    return wire


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def admin_client(endpoint: str) -> BaseClient:
    return boto3.client("s3", endpoint_url=endpoint, region_name="auto")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- put, headers, skip -----------------------------------------------------------------


def test_upload_stores_bytes_with_type_and_immutable_cache(store: MediaStore, tmp_path: Path) -> None:
    data = os.urandom(64 * 1024)
    clip = write(tmp_path / "Preview.MP4", data)

    result = store.upload(clip)

    key = f"media/{sha256(data)}.mp4"
    assert result == UploadedMedia(key=key, url=f"{PUBLIC_URL}/{key}", size=len(data), sha256=sha256(data),
                                   uploaded=True, content_type="video/mp4")
    head = store.client.head_object(Bucket=store.config.bucket, Key=key)
    assert head["ContentType"] == "video/mp4"
    assert head["CacheControl"] == IMMUTABLE_CACHE_CONTROL == "public, max-age=31536000, immutable"
    assert head["ContentLength"] == len(data)
    assert head["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'  # a single PutObject, not multipart
    body = store.client.get_object(Bucket=store.config.bucket, Key=key)["Body"].read()
    assert body == data


def test_explicit_content_type_wins(store: MediaStore, tmp_path: Path) -> None:
    result = store.upload(write(tmp_path / "blob.bin", b"\x00\x01"), content_type="video/webm")
    assert store.client.head_object(Bucket=store.config.bucket, Key=result.key)["ContentType"] == "video/webm"


@pytest.mark.parametrize(("name", "expected"), [
    ("a.mp4", "video/mp4"), ("a.webm", "video/webm"), ("a.webp", "image/webp"), ("a.png", "image/png"),
    ("a.JPG", "image/jpeg"), ("a.jpeg", "image/jpeg"), ("a.gif", "image/gif"), ("a.svg", "image/svg+xml"),
    ("a.json", "application/json"), ("a.mov", "video/quicktime"), ("a.txt", "text/plain"),
    ("a.tar.gz", "application/octet-stream"), ("a.unknownext", "application/octet-stream"),
    ("noextension", "application/octet-stream"),
])
def test_media_content_type(name: str, expected: str) -> None:
    assert media_content_type(name) == expected


def test_second_upload_skips_without_a_put(store: MediaStore, tmp_path: Path) -> None:
    clip = write(tmp_path / "clip.webm", os.urandom(4096))
    wire = listen(store.client)
    first = store.upload(clip)
    assert first.uploaded
    assert wire.operations() == ["HeadObject", "PutObject"]
    wire.clear()

    second = store.upload(clip)

    assert second == replace(first, uploaded=False)
    assert wire.operations() == ["HeadObject"]
    assert [method for _, method, _, _ in wire.requests] == ["HEAD"]


def test_foreign_object_of_another_size_is_replaced(store: MediaStore, tmp_path: Path) -> None:
    data = os.urandom(2048)
    key = store.media_key(data, "x.png")
    store.client.put_object(Bucket=store.config.bucket, Key=key, Body=b"truncated")

    result = store.upload(write(tmp_path / "x.png", data))

    assert result.uploaded
    assert store.client.get_object(Bucket=store.config.bucket, Key=key)["Body"].read() == data


def test_content_addressing_stores_same_bytes_once(store: MediaStore, tmp_path: Path) -> None:
    data = os.urandom(10_000)
    a = write(tmp_path / "one" / "intro.webp", data)
    b = write(tmp_path / "two" / "Renamed.WEBP", data)

    first, second = store.upload(a), store.upload(b)
    other = store.upload(write(tmp_path / "three" / "intro.webp", data + b"!"))

    assert first.key == second.key == store.media_key(data, "x.webp") == store.media_key(a)
    assert (first.uploaded, second.uploaded) == (True, False)
    assert other.key != first.key
    listed = store.client.list_objects_v2(Bucket=store.config.bucket)["Contents"]
    assert sorted(item["Key"] for item in listed) == sorted([first.key, other.key])


def test_key_layout(config: R2Config) -> None:
    store = MediaStore(replace(config, prefix="/videos"))
    digest = sha256(b"abc")
    assert store.config.prefix == "videos/"
    assert store.media_key(b"abc", "clip.MP4") == f"videos/{digest}.mp4"
    assert store.media_key(b"abc") == f"videos/{digest}"
    assert store.media_key(b"abc", "odd.m p4") == f"videos/{digest}"  # no unsafe extension in a key
    assert MediaStore(replace(config, prefix="")).media_key(b"abc", "a.gif") == f"{digest}.gif"
    assert store.url_for("videos/x.mp4") == f"{PUBLIC_URL}/videos/x.mp4"


def test_empty_file(store: MediaStore, tmp_path: Path) -> None:
    result = store.upload(write(tmp_path / "empty.json", b""))
    assert result.size == 0 and result.uploaded
    assert store.client.get_object(Bucket=store.config.bucket, Key=result.key)["Body"].read() == b""


# -- multipart --------------------------------------------------------------------------


@pytest.fixture
def multipart_store(config: R2Config) -> MediaStore:
    return MediaStore(replace(config, multipart_threshold=5 * MiB + 1, part_size=5 * MiB))


def test_multipart_upload_for_large_file(multipart_store: MediaStore, tmp_path: Path) -> None:
    data = os.urandom(12 * MiB + 123)
    video = write(tmp_path / "long.mp4", data)
    wire = listen(multipart_store.client)

    result = multipart_store.upload(video)

    bucket = multipart_store.config.bucket
    head = multipart_store.client.head_object(Bucket=bucket, Key=result.key)
    assert head["ETag"].strip('"').endswith("-3")
    assert head["ContentType"] == "video/mp4"
    assert head["CacheControl"] == IMMUTABLE_CACHE_CONTROL
    assert multipart_store.client.get_object(Bucket=bucket, Key=result.key)["Body"].read() == data
    assert result.key == f"media/{sha256(data)}.mp4" and result.size == len(data)

    parts = [headers for operation, _, _, headers in wire.requests if operation == "UploadPart"]
    assert sorted(int(h["content-length"]) for h in parts) == [2 * MiB + 123, 5 * MiB, 5 * MiB]
    chunks = [data[:5 * MiB], data[5 * MiB:10 * MiB], data[10 * MiB:]]
    expected_md5s = {base64.b64encode(hashlib.md5(chunk).digest()).decode() for chunk in chunks}
    assert {h["content-md5"] for h in parts} == expected_md5s
    assert "Uploads" not in multipart_store.client.list_multipart_uploads(Bucket=bucket)

    wire.clear()
    assert multipart_store.upload(video).uploaded is False
    assert wire.operations() == ["HeadObject"]


def test_file_at_threshold_minus_one_is_a_single_put(multipart_store: MediaStore, tmp_path: Path) -> None:
    wire = listen(multipart_store.client)
    multipart_store.upload(write(tmp_path / "edge.mp4", os.urandom(5 * MiB)))
    assert wire.operations() == ["HeadObject", "PutObject"]


def _failing_part(number: int) -> Any:
    def hook(request: Any, **_: Any) -> None:
        if f"partNumber={number}&" in request.url or request.url.endswith(f"partNumber={number}"):
            raise ConnectionClosedError(endpoint_url=request.url)
    return hook


def _one_try_client(config: R2Config) -> BaseClient:
    return r2_client(replace(config, max_retries=0))


def test_failed_multipart_upload_is_aborted_and_leaves_no_object(multipart_store: MediaStore,
                                                                 tmp_path: Path) -> None:
    config = replace(multipart_store.config, part_jobs=1)
    store = MediaStore(config, client=_one_try_client(config))
    store.client.meta.events.register("before-send.s3.UploadPart", _failing_part(2))
    data = os.urandom(11 * MiB)

    with pytest.raises(R2Error, match=r"could not reach R2 .* while uploading .*/media/[0-9a-f]{64}\.mp4"):
        store.upload(write(tmp_path / "drop.mp4", data))

    key = store.media_key(data, "drop.mp4")
    assert not store.exists(key)
    assert "Uploads" not in store.client.list_multipart_uploads(Bucket=config.bucket)


def test_parallel_parts_failure_is_aborted(multipart_store: MediaStore, tmp_path: Path) -> None:
    config = replace(multipart_store.config, part_jobs=3)
    store = MediaStore(config, client=_one_try_client(config))
    store.client.meta.events.register("before-send.s3.UploadPart", _failing_part(3))
    data = os.urandom(16 * MiB)

    with pytest.raises(R2Error, match=r"could not reach R2 .* while uploading"):
        store.upload(write(tmp_path / "drop.webm", data))

    assert not store.exists(store.media_key(data, "drop.webm"))
    assert "Uploads" not in store.client.list_multipart_uploads(Bucket=config.bucket)


def test_file_changed_during_upload_is_refused(multipart_store: MediaStore, tmp_path: Path) -> None:
    data = os.urandom(11 * MiB)
    video = write(tmp_path / "growing.mp4", data)

    def rewrite(**_: Any) -> None:
        video.write_bytes(os.urandom(len(data)))

    multipart_store.client.meta.events.register("before-call.s3.CreateMultipartUpload", rewrite)
    with pytest.raises(R2Error, match=r"growing\.mp4 changed while it was being uploaded"):
        multipart_store.upload(video)

    bucket = multipart_store.config.bucket
    assert not multipart_store.exists(multipart_store.media_key(data, "growing.mp4"))
    assert "Uploads" not in multipart_store.client.list_multipart_uploads(Bucket=bucket)


def test_a_small_file_changed_after_it_was_hashed_is_refused_before_it_is_sent(store: MediaStore,
                                                                               tmp_path: Path) -> None:
    data = os.urandom(64 * 1024)
    poster = write(tmp_path / "poster.png", data)
    wire = listen(store.client)

    def rewrite(**_: Any) -> None:
        poster.write_bytes(os.urandom(len(data)))  # the same size: only the bytes tell

    store.client.meta.events.register("before-call.s3.HeadObject", rewrite)
    with pytest.raises(R2Error, match=r"poster\.png changed while it was being uploaded"):
        store.upload(poster)

    assert "PutObject" not in wire.operations(), "the file's bytes are checked before they are sent"
    assert not store.exists(store.media_key(data, "poster.png"))


# -- upload_many ------------------------------------------------------------------------


def test_upload_many_keeps_order_and_sends_duplicates_once(store: MediaStore, tmp_path: Path) -> None:
    same = os.urandom(3000)
    paths = [write(tmp_path / "a.mp4", same), write(tmp_path / "b.png", os.urandom(10)),
             write(tmp_path / "c.mp4", same), write(tmp_path / "d.gif", os.urandom(20))]
    wire = listen(store.client)

    results = store.upload_many(paths, jobs=3)

    assert [r.key for r in results] == [store.media_key(p) for p in paths]
    assert [r.uploaded for r in results] == [True, True, False, True]
    assert wire.operations().count("PutObject") == 3
    assert [r.content_type for r in results] == ["video/mp4", "image/png", "video/mp4", "image/gif"]


def test_upload_many_sends_nothing_when_a_file_cannot_be_read(store: MediaStore, tmp_path: Path) -> None:
    paths = [write(tmp_path / f"ok{i}.mp4", os.urandom(100)) for i in range(3)] + [tmp_path / "gone.mp4"]
    wire = listen(store.client)
    with pytest.raises(R2Error, match=r"cannot read .*gone\.mp4"):
        store.upload_many(paths, jobs=2)
    assert wire.operations() == []


# -- errors -----------------------------------------------------------------------------


def test_missing_bucket_is_a_clear_error(s3_endpoint: str, tmp_path: Path) -> None:
    config = R2Config.from_env("no-such-media", PUBLIC_URL, endpoint_url=s3_endpoint)
    store = MediaStore(config)
    clip = write(tmp_path / "clip.mp4", os.urandom(100))

    with pytest.raises(R2Error) as caught:
        store.upload(clip)
    message = str(caught.value)
    assert "'no-such-media' does not exist" in message
    assert "wrangler r2 bucket create no-such-media" in message
    assert "\n" not in message
    assert caught.value.code == "NoSuchBucket" and caught.value.key == store.media_key(clip)
    assert isinstance(caught.value, HybridError)

    big = MediaStore(replace(config, multipart_threshold=50))
    with pytest.raises(R2Error, match="'no-such-media' does not exist"):
        big.upload(clip)
    with pytest.raises(R2Error, match="'no-such-media' does not exist"):
        store.check_bucket()


def test_check_bucket_passes_for_existing_bucket(store: MediaStore) -> None:
    store.check_bucket()


def _enable_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto.settings
    from moto.core.authorization import ActionAuthenticatorMixin

    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
    monkeypatch.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)


def test_access_denied_is_a_clear_error(bucket: str, s3_endpoint: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    iam = boto3.client("iam", endpoint_url=s3_endpoint, region_name="us-east-1")
    user = f"reader-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="read-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"}]}))
    keys = iam.create_access_key(UserName=user)["AccessKey"]
    monkeypatch.setenv("R2_ACCESS_KEY_ID", keys["AccessKeyId"])
    monkeypatch.setenv("R2_SECRET_ACCESS_KEY", keys["SecretAccessKey"])
    store = MediaStore(R2Config.from_env(bucket, PUBLIC_URL, endpoint_url=s3_endpoint))
    _enable_auth(monkeypatch)

    with pytest.raises(R2Error) as caught:
        store.upload(write(tmp_path / "clip.mp4", b"frames"))

    message = str(caught.value)
    assert caught.value.code == "AccessDenied"
    assert f"R2 denied access to {bucket}/media/" in message
    assert "Object Read & Write" in message and "R2_ACCESS_KEY_ID" in message


def test_unknown_keys_are_denied(bucket: str, s3_endpoint: str, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store = MediaStore(R2Config.from_env(bucket, PUBLIC_URL, endpoint_url=s3_endpoint))
    _enable_auth(monkeypatch)
    with pytest.raises(R2Error, match=f"R2 denied access to {bucket}/media/"):
        store.upload(write(tmp_path / "clip.mp4", b"frames"))


def test_unreachable_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    config = R2Config.from_env("media", PUBLIC_URL, endpoint_url="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(R2Error, match=r"could not reach R2 at http://127\.0\.0\.1:9 while checking media/media/"):
        MediaStore(config).upload(write(tmp_path / "a.mp4", b"x"))


def test_unreadable_file_is_a_clear_error(store: MediaStore, tmp_path: Path) -> None:
    with pytest.raises(R2Error, match=r"cannot read .*missing\.mp4 .*rebuild the site"):
        store.upload(tmp_path / "missing.mp4")


# -- configuration ----------------------------------------------------------------------


def test_missing_credentials() -> None:
    with pytest.raises(R2Error, match=r"no R2 credentials for bucket 'media': export R2_ACCESS_KEY_ID and "
                                         r"R2_SECRET_ACCESS_KEY"):
        R2Config.from_env("media", PUBLIC_URL, account_id="abc", environ={})
    with pytest.raises(R2Error, match="R2_SECRET_ACCESS_KEY is not set"):
        R2Config.from_env("media", PUBLIC_URL, account_id="abc", environ={"R2_ACCESS_KEY_ID": "k"})
    with pytest.raises(R2Error, match="no R2 credentials"):
        r2_client(R2Config("media", PUBLIC_URL, account_id="abc"))


def test_credentials_and_endpoint_from_env() -> None:
    env = {"AWS_ACCESS_KEY_ID": "aws-k", "AWS_SECRET_ACCESS_KEY": "aws-s", "CLOUDFLARE_ACCOUNT_ID": "acct"}
    config = R2Config.from_env("media", PUBLIC_URL + "/", environ=env)
    assert (config.access_key_id, config.secret_access_key) == ("aws-k", "aws-s")
    assert config.endpoint == "https://acct.r2.cloudflarestorage.com"
    assert config.public_url == PUBLIC_URL
    assert "aws-s" not in repr(config)

    env |= {"R2_ACCESS_KEY_ID": "r2-k", "R2_SECRET_ACCESS_KEY": "r2-s", "R2_ENDPOINT_URL": "http://127.0.0.1:1"}
    config = R2Config.from_env("media", PUBLIC_URL, environ=env)
    assert (config.access_key_id, config.secret_access_key) == ("r2-k", "r2-s")
    assert config.endpoint == "http://127.0.0.1:1"


@pytest.mark.parametrize(("changes", "message"), [
    ({"bucket": "Media_Bucket"}, "invalid R2 bucket name"),
    ({"public_url": "media.example.com"}, "public_url 'media.example.com' is not an http"),
    ({"account_id": None}, "no account id or endpoint URL"),
    ({"part_size": 5 * MiB - 1}, "part_size .* out of range"),
    ({"part_size": 6 * 1024 * MiB}, "part_size .* out of range"),
    ({"multipart_threshold": 0}, "multipart_threshold must be at least 1"),
    ({"part_jobs": 0}, "part_jobs must be at least 1"),
    ({"max_retries": -1}, "max_retries must be at least 0"),
])
def test_invalid_config(changes: dict[str, Any], message: str) -> None:
    settings: dict[str, Any] = {"bucket": "media", "public_url": PUBLIC_URL, "account_id": "acct"} | changes
    with pytest.raises(R2Error, match=message):
        R2Config(**settings)


def test_r2_client_carries_r2_settings() -> None:
    config = R2Config("demo-media", PUBLIC_URL, account_id="0123abcd", access_key_id="k", secret_access_key="s")
    client = r2_client(config)
    assert client.meta.config.request_checksum_calculation == "when_required"
    assert client.meta.config.response_checksum_validation == "when_required"
    assert client.meta.config.signature_version == "s3v4"
    assert client.meta.config.retries == {"total_max_attempts": 6, "mode": "standard"}  # 5 retries
    assert client.meta.region_name == "auto"
    assert client.meta.endpoint_url == "https://0123abcd.r2.cloudflarestorage.com"
    assert MediaStore(config).client.meta.config.request_checksum_calculation == "when_required"


def _checksum_headers(headers: dict[str, str]) -> set[str]:
    found = {name for name in headers if name.startswith("x-amz-checksum-")
             or name in ("x-amz-trailer", "x-amz-sdk-checksum-algorithm", "x-amz-decoded-content-length")}
    if "aws-chunked" in headers.get("content-encoding", ""):
        found.add("content-encoding: aws-chunked")
    return found


def test_no_checksum_trailers_on_the_wire(multipart_store: MediaStore, tmp_path: Path) -> None:
    """What R2 rejects never leaves our client, while botocore's default would send it."""
    wire = listen(multipart_store.client)
    multipart_store.upload(write(tmp_path / "small.mp4", os.urandom(1000)))
    multipart_store.upload(write(tmp_path / "large.mp4", os.urandom(6 * MiB)))
    writes = [(op, headers) for op, _, _, headers in wire.requests if op in ("PutObject", "UploadPart")]
    assert {op for op, _ in writes} == {"PutObject", "UploadPart"}
    assert all(_checksum_headers(headers) == set() for _, headers in writes)
    assert all("content-md5" in headers for _, headers in writes)

    default = admin_client(multipart_store.config.endpoint)  # botocore's default: when_supported
    control = listen(default)
    default.put_object(Bucket=multipart_store.config.bucket, Key="control", Body=b"x")
    assert _checksum_headers(control.requests[-1][3]), "the control client should send checksum headers"


# -- deploy: media go to R2, the Pages deployment redirects to them -----------------------------


def _deploy_with_media(site: Path, store: MediaStore) -> tuple[Any, Any]:
    """Deploy ``site`` to a fake Pages API with ``store`` as the media bucket: the result and the live deployment."""
    from mkdocs_hybrid.deploy import Credentials, RetryPolicy, deploy_site
    from tests.cloudflare_api import FakeCloudflare

    with FakeCloudflare() as fake:
        result = deploy_site(site, project="demos", branch="main", media=store,
                             credentials=Credentials(fake.token, fake.account_id, fake.base_url),
                             retry=RetryPolicy(base_delay=0.01))
        return result, fake.live()


def test_deploy_sends_videos_to_r2_and_redirects_their_paths(store: MediaStore, tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "artifacts/t/v1").mkdir(parents=True)
    (site / "artifacts/t/v1/page.html").write_text("<p>demo</p>")
    (site / "artifacts/t/v1/preview.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 4000)
    (site / "_redirects").write_text("/p/t/latest /p/t/v1/ 302\n/artifacts/:t/:v/page.html /artifacts/:t/:v/page 200\n")
    result, live = _deploy_with_media(site, store)
    [media] = result.media
    assert media["path"] == "artifacts/t/v1/preview.mp4" and media["uploaded"] is True
    assert media["url"].startswith(PUBLIC_URL + "/media/") and media["url"].endswith(".mp4")
    key = media["url"][len(PUBLIC_URL) + 1:]
    head = store.client.head_object(Bucket=store.config.bucket, Key=key)
    assert head["ContentType"] == "video/mp4" and head["CacheControl"] == "public, max-age=31536000, immutable"
    assert "/artifacts/t/v1/preview.mp4" not in live.manifest and "/artifacts/t/v1/page.html" in live.manifest
    redirects = live.files["_redirects"].decode().splitlines()
    assert redirects[0] == f"/artifacts/t/v1/preview.mp4 {media['url']} 302", "static media rules come first"
    assert redirects[1:] == (site / "_redirects").read_text().splitlines()


def test_videos_linked_by_their_r2_url_need_no_redirect_rule(store: MediaStore, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A site with videos has two MP4s per version, and Pages allows 2,000 static redirect rules: past 1,000 video
    versions a rule per MP4 could not deploy. Pages and meta.json link generated videos by their R2 URL, so only
    media named by their path get a rule: a demo's own clip, or a video whose meta.json names another URL (built
    for another bucket). The limit is lowered to 4 here: a rule per MP4 would need 8."""
    from mkdocs_hybrid.deploy import media_url

    monkeypatch.setattr("mkdocs_hybrid.deploy._pages.MAX_STATIC_REDIRECT_RULES", 4)
    site = tmp_path / "site"
    for version, public_url in (("v1", PUBLIC_URL), ("v2", PUBLIC_URL), ("v3", "https://old.example.com")):
        folder = site / "artifacts/t" / version
        media = {}
        for name in ("video.mp4", "preview.mp4"):
            data = b"\x00\x00\x00\x18ftypmp42" + version.encode() + name.encode()
            write(folder / name, data)
            sha = hashlib.sha256(data).hexdigest()
            media[name] = {"role": name[:-4], "sha256": sha, "size": len(data), "url": media_url(public_url, sha, name)}
        write(folder / "page.html", b"<p>demo</p>")
        write(folder / "meta.json", json.dumps({"thread": "t", "version": version, "media": media}).encode())
    write(site / "artifacts/t/v1/clip.mp4", b"\x00\x00\x00\x18ftypmp42 the demo's own clip")
    (site / "_redirects").write_text("/p/t/latest /p/t/v3/ 302\n")
    result, live = _deploy_with_media(site, store)
    assert live is not None
    assert len(result.media) == 7, "every MP4 is on R2"
    sources = [line.split()[0] for line in live.files["_redirects"].decode().splitlines()]
    assert sources == ["/artifacts/t/v1/clip.mp4", "/artifacts/t/v3/preview.mp4", "/artifacts/t/v3/video.mp4",
                       "/p/t/latest"]


def _media_site(root: Path, clips: dict[str, bytes]) -> Path:
    write(root / "artifacts/t/v1/page.html", b"<p>demo</p>")
    for name, data in clips.items():
        write(root / name, data)
    return root


class Overlap:
    """Holds the first two PutObjects until both are in flight, so it passes only if uploads run concurrently."""

    def __init__(self) -> None:
        self.barrier = threading.Barrier(2, timeout=5)
        self.lock = threading.Lock()
        self.puts = 0
        self.met = False
        self.threads: set[str] = set()

    def hook(self, **_: Any) -> None:
        with self.lock:
            self.puts += 1
            first_two = self.puts <= 2
            self.threads.add(threading.current_thread().name)
        if first_two:
            try:
                self.barrier.wait()
                self.met = True
            except threading.BrokenBarrierError:
                pass


def test_deploy_uploads_media_concurrently_through_upload_many(store: MediaStore, tmp_path: Path) -> None:
    same = os.urandom(3000)
    clips = {f"artifacts/t/v1/clip{i}.mp4": os.urandom(2000 + i) for i in range(5)}
    clips |= {"artifacts/t/v1/a.webm": same, "artifacts/t/v2/copy.webm": same, "artifacts/t/v1/teaser.m4v": b"m4v"}
    site = _media_site(tmp_path / "site", clips)
    overlap = Overlap()
    store.client.meta.events.register("before-send.s3.PutObject", overlap.hook)
    wire = listen(store.client)
    result, live = _deploy_with_media(site, store)

    assert overlap.met, "the first two media uploads were never in flight together"
    assert overlap.threads and all(name.startswith("r2-upload") for name in overlap.threads)
    assert wire.operations()[0] == "HeadBucket", "the bucket is checked before anything is uploaded"
    assert wire.operations().count("PutObject") == len(clips) - 1, "identical files are sent once"
    assert [m["path"] for m in result.media] == sorted(clips)
    listed = store.client.list_objects_v2(Bucket=store.config.bucket)["Contents"]
    assert sorted(item["Key"] for item in listed) == sorted({store.media_key(site / name) for name in clips})
    by_path = {m["path"]: m for m in result.media}
    assert by_path["artifacts/t/v2/copy.webm"]["url"] == by_path["artifacts/t/v1/a.webm"]["url"]
    assert [by_path[p]["uploaded"] for p in ("artifacts/t/v1/a.webm", "artifacts/t/v2/copy.webm")] == [True, False]
    teaser = by_path["artifacts/t/v1/teaser.m4v"]["url"][len(PUBLIC_URL) + 1:]
    assert store.client.head_object(Bucket=store.config.bucket, Key=teaser)["ContentType"] == "video/x-m4v", \
        "media keep the Content-Type the Pages table gives them"
    assert live is not None
    assert live.files["_redirects"].decode().splitlines() == [
        f"/{m['path']} {m['url']} 302" for m in result.media]


def test_a_failed_bucket_check_stops_the_deploy_before_any_upload(s3_endpoint: str, tmp_path: Path) -> None:
    from mkdocs_hybrid.deploy import Credentials, RetryPolicy, deploy_site
    from tests.cloudflare_api import FakeCloudflare

    store = MediaStore(R2Config.from_env("no-such-media", PUBLIC_URL, endpoint_url=s3_endpoint))
    site = _media_site(tmp_path / "site", {f"artifacts/t/v1/clip{i}.mp4": os.urandom(100) for i in range(3)})
    wire = listen(store.client)
    with FakeCloudflare() as fake:
        options: dict[str, Any] = {"project": "demos", "branch": "main", "media": store,
                                   "credentials": Credentials(fake.token, fake.account_id, fake.base_url),
                                   "retry": RetryPolicy(base_delay=0.01)}
        with pytest.raises(R2Error, match="R2 bucket 'no-such-media' does not exist") as caught:
            deploy_site(site, **options)
        assert caught.value.code == "NoSuchBucket"
        assert wire.operations() == ["HeadBucket"], "nothing may be sent to R2 after a failed bucket check"
        assert fake.requests == [] and fake.live() is None, "nothing may be sent to Pages either"

        dry = deploy_site(site, dry_run=True, **options)  # a dry run sends nothing to R2, as before
        assert dry.media_files == 3 and wire.operations() == ["HeadBucket"]


def test_r2_errors_keep_their_old_public_name() -> None:
    """``MediaError`` was the name before the class covered artifacts and vendor files; callers that catch it
    still catch every R2 error."""
    from mkdocs_hybrid import deploy

    assert deploy.MediaError is deploy.R2Error and "R2Error" in deploy.__all__ and "MediaError" in deploy.__all__
