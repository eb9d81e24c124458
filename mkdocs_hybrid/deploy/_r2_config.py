"""R2 settings: the bucket, its public URL, the S3 endpoint, the credentials and the transfer sizes.

:func:`r2_client` makes the boto3 client. R2 rejects the streaming checksum
trailers newer botocore sends by default, so the client turns them off
(``when_required``), which the tests assert.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from mkdocs_hybrid.deploy._r2_errors import R2Error, missing_credentials

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client  # boto3-stubs[s3], a type-checking-only dependency

MiB = 1024 * 1024
DEFAULT_PREFIX = "media/"
DEFAULT_MULTIPART_THRESHOLD = 64 * MiB
DEFAULT_PART_SIZE = 16 * MiB
MIN_PART_SIZE = 5 * MiB
"""R2 (like S3) refuses parts under 5 MiB, except the last."""
MAX_PART_SIZE = 5 * 1024 * MiB
DEFAULT_PART_JOBS = 2
"""Parts of one upload sent at once; R2 throttles many concurrent parts of the same upload."""
MAX_CONNECTIONS = 32
"""The client's connection pool: the artifact store keeps 16 small requests in flight (botocore's default is 10)."""

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class R2Config:
    """Where media go and how they are uploaded.

    ``endpoint_url`` defaults to ``https://{account_id}.r2.cloudflarestorage.com``;
    give it explicitly for a local S3 server. ``prefix`` is normalised to end
    with ``/`` (or be empty).
    """

    bucket: str
    public_url: str
    """Public bucket URL or custom domain, e.g. ``https://media.example.com``."""
    account_id: str | None = None
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    prefix: str = DEFAULT_PREFIX
    multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD
    """Files of this many bytes or more go up as multipart uploads."""
    part_size: int = DEFAULT_PART_SIZE
    """Every part but the last has exactly this size (raised when 10,000 parts would not hold the file)."""
    part_jobs: int = DEFAULT_PART_JOBS
    max_retries: int = 5
    """Retries per request after the first try (botocore's standard mode ``retries.max_attempts``):
    throttling, 5xx and dropped connections included."""

    def __post_init__(self) -> None:
        if not _BUCKET_NAME.match(self.bucket or ""):
            raise R2Error(f"invalid R2 bucket name {self.bucket!r}: use 3-63 lowercase letters, digits and "
                             "hyphens (deploy.r2_bucket)", bucket=self.bucket)
        object.__setattr__(self, "public_url", _http_url(self.public_url, "public_url", self.bucket))
        _check_endpoint(self)
        object.__setattr__(self, "prefix", _normalise_prefix(self.prefix))
        _check_transfer_settings(self)

    @classmethod
    def from_env(cls, bucket: str, public_url: str, *, account_id: str | None = None,
                 endpoint_url: str | None = None, prefix: str = DEFAULT_PREFIX,
                 environ: Mapping[str, str] | None = None, **options: int) -> R2Config:
        """A config with credentials from the environment.

        Keys: ``R2_ACCESS_KEY_ID`` / ``R2_SECRET_ACCESS_KEY``, else
        ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``. The account id
        defaults to ``CLOUDFLARE_ACCOUNT_ID`` (or ``R2_ACCOUNT_ID``), the
        endpoint to ``R2_ENDPOINT_URL``. ``options`` are the transfer settings
        (``multipart_threshold``, ``part_size``, ``part_jobs``, ``max_retries``).
        """
        env = os.environ if environ is None else environ
        key_id, secret = _credentials_from_env(env, bucket)
        return cls(bucket=bucket, public_url=public_url,
                   account_id=account_id or env.get("CLOUDFLARE_ACCOUNT_ID") or env.get("R2_ACCOUNT_ID") or None,
                   endpoint_url=endpoint_url or env.get("R2_ENDPOINT_URL") or None,
                   access_key_id=key_id, secret_access_key=secret, prefix=prefix, **options)

    @property
    def endpoint(self) -> str:
        """The S3 API endpoint the client talks to."""
        return self.endpoint_url or f"https://{self.account_id}.r2.cloudflarestorage.com"

    def url_for(self, key: str) -> str:
        """The public URL the site uses for ``key``."""
        return f"{self.public_url}/{quote(key, safe='/')}"


def r2_client(config: R2Config) -> S3Client:
    """A boto3 S3 client for R2: region ``auto``, SigV4, standard retries, no checksum trailers."""
    if not (config.access_key_id and config.secret_access_key):
        raise missing_credentials(config.bucket)
    client_config = Config(
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": config.max_retries, "mode": "standard"},
        signature_version="s3v4",
        max_pool_connections=MAX_CONNECTIONS,
    )
    try:
        return boto3.session.Session().client(
            "s3", endpoint_url=config.endpoint, region_name="auto",
            aws_access_key_id=config.access_key_id, aws_secret_access_key=config.secret_access_key,
            config=client_config)
    except BotoCoreError as error:
        raise R2Error(f"cannot create the R2 client for bucket {config.bucket!r}: {error}; check the AWS_* "
                         "environment (AWS_PROFILE, AWS_CONFIG_FILE)", bucket=config.bucket) from None


def _http_url(url: str, what: str, bucket: str) -> str:
    if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url):
        raise R2Error(f"R2 bucket {bucket!r}: {what} {url!r} is not an http(s) URL; give e.g. "
                         "https://media.example.com", bucket=bucket)
    return url.rstrip("/")


def _check_endpoint(config: R2Config) -> None:
    """An explicit endpoint URL is normalised; without one, the account id makes it."""
    if config.endpoint_url is not None:
        object.__setattr__(config, "endpoint_url", _http_url(config.endpoint_url, "endpoint_url", config.bucket))
    elif not config.account_id:
        raise R2Error(f"R2 bucket {config.bucket!r}: no account id or endpoint URL; set CLOUDFLARE_ACCOUNT_ID "
                         "(or R2_ENDPOINT_URL)", bucket=config.bucket)


def _normalise_prefix(prefix: str) -> str:
    prefix = prefix.strip("/")
    return f"{prefix}/" if prefix else ""


def _check_transfer_settings(config: R2Config) -> None:
    if not MIN_PART_SIZE <= config.part_size <= MAX_PART_SIZE:
        raise R2Error(f"R2 part_size {config.part_size} is out of range: use 5 MiB to 5 GiB "
                         f"({MIN_PART_SIZE} to {MAX_PART_SIZE} bytes)", bucket=config.bucket)
    for name, least in (("multipart_threshold", 1), ("part_jobs", 1), ("max_retries", 0)):
        if getattr(config, name) < least:
            raise R2Error(f"R2 {name} must be at least {least}, not {getattr(config, name)}",
                             bucket=config.bucket)


def _credentials_from_env(env: Mapping[str, str], bucket: str) -> tuple[str, str]:
    """The R2 key pair, else the AWS one; a half-set pair names what is missing."""
    for key_name, secret_name in (("R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY"),
                                  ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")):
        key_id, secret = env.get(key_name), env.get(secret_name)
        if key_id and secret:
            return key_id, secret
        if key_id or secret:
            missing = secret_name if key_id else key_name
            raise R2Error(f"{missing} is not set (R2 bucket {bucket!r}): export both {key_name} and "
                             f"{secret_name}", bucket=bucket)
    raise missing_credentials(bucket)
