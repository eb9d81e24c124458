"""R2's failures as one-line :class:`R2Error` messages that name the bucket, the key and what to do.

S3 error codes are grouped in the tables below; :func:`describe` turns any
botocore error into such a message.
"""

from __future__ import annotations

from pathlib import Path

from botocore.exceptions import ClientError, NoCredentialsError

from mkdocs_hybrid.model.errors import HybridError

MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
"""A HEAD on a missing object (or bucket) answers with one of these."""
_DENIED_CODES = frozenset({"403", "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                           "Unauthorized", "InvalidToken", "ExpiredToken"})
_CHANGED_CODES = frozenset({"BadDigest", "InvalidDigest"})


class R2Error(HybridError):
    """R2 could not be used (a bucket, a key, credentials, a setting): media, artifacts or vendor files could not
    be stored or checked; the message says what to do."""

    def __init__(self, message: str, *, bucket: str | None = None, key: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.bucket = bucket
        self.key = key
        self.code = code
        """The S3 error code (``NoSuchBucket``, ``AccessDenied``, ...) when R2 answered with one."""


MediaError = R2Error
"""The name :class:`R2Error` had before it covered artifacts and vendor files too (kept for callers of it)."""


def error_code(error: ClientError) -> str:
    """The S3 error code, else the HTTP status (a HEAD answer has no body)."""
    return str(error.response.get("Error", {}).get("Code") or error.response.get("ResponseMetadata", {})
               .get("HTTPStatusCode", ""))


def describe(error: Exception, *, doing: str, bucket: str, key: str | None, path: Path | None,
             endpoint: str) -> R2Error:
    """One line saying what failed, on which bucket/key, and what to do."""
    if isinstance(error, NoCredentialsError):
        return missing_credentials(bucket)
    if isinstance(error, ClientError):
        return _answered(error, doing=doing, bucket=bucket, key=key, path=path)
    target = f"{bucket}/{key}" if key else bucket
    return R2Error(f"could not reach R2 at {endpoint} while {doing} {target}: {error}; check the account "
                      "id / endpoint and the network, then rerun (stored objects are skipped)",
                      bucket=bucket, key=key)


def _answered(error: ClientError, *, doing: str, bucket: str, key: str | None, path: Path | None) -> R2Error:
    """R2 answered with an error code."""
    code, status = error_code(error), _status(error)
    target = f"{bucket}/{key}" if key else bucket
    if code == "NoSuchBucket" or (code in MISSING_CODES and key is None):
        return R2Error(f"R2 bucket {bucket!r} does not exist (while {doing} {key or 'it'}): create it with "
                          f"`wrangler r2 bucket create {bucket}` or fix deploy.r2_bucket",
                          bucket=bucket, key=key, code="NoSuchBucket")
    if code in _DENIED_CODES or status in (401, 403):
        code = "AccessDenied" if code.isdigit() else code  # a refused HEAD has no body: only its status
        return R2Error(f"R2 denied access to {target} ({code}) while {doing} it: check R2_ACCESS_KEY_ID / "
                          f"R2_SECRET_ACCESS_KEY and that the API token has Object Read & Write on {bucket!r}",
                          bucket=bucket, key=key, code=code)
    if code in _CHANGED_CODES and path is not None:
        return changed(path, bucket, key)
    message = error.response.get("Error", {}).get("Message") or "no message"
    return R2Error(f"R2 failed while {doing} {target}: {code} ({message}); rerun, stored objects are skipped",
                      bucket=bucket, key=key, code=code)


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def missing_credentials(bucket: str) -> R2Error:
    return R2Error(f"no R2 credentials for bucket {bucket!r}: export R2_ACCESS_KEY_ID and R2_SECRET_ACCESS_KEY "
                      "(the S3 keys of an R2 API token with Object Read & Write)", bucket=bucket)


def unreadable(path: Path, error: OSError, bucket: str, key: str | None) -> R2Error:
    return R2Error(f"cannot read {path} for R2 bucket {bucket!r}: {error.strerror or error}; rebuild the site "
                      "and rerun", bucket=bucket, key=key)


def changed(path: Path, bucket: str, key: str | None) -> R2Error:
    return R2Error(f"{path} changed while it was being uploaded to R2 bucket {bucket!r}: rerun once the "
                      "build has finished writing it", bucket=bucket, key=key, code="BadDigest")
