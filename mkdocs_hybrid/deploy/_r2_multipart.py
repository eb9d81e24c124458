"""One multipart upload: every part the same size but the last, ``part_jobs`` at a time.

The object appears at its key only when the upload is completed, which is
done last; any failure aborts the upload, so no partial object is ever seen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, TypedDict

from botocore.exceptions import BotoCoreError, ClientError

from mkdocs_hybrid.deploy._r2_config import R2Config
from mkdocs_hybrid.deploy._r2_errors import R2Error, describe
from mkdocs_hybrid.deploy._r2_plan import Plan, read_part

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef


class _RequiredHeaders(TypedDict):
    Bucket: str
    Key: str
    ContentType: str
    CacheControl: str


class ObjectHeaders(_RequiredHeaders, total=False):
    """What every object is written with, by PutObject or CreateMultipartUpload."""

    Metadata: dict[str, str]
    """User metadata (``x-amz-meta-*``): the artifact store records each object's sha256 there."""


class MultipartUpload:
    """Sends one planned file in parts; ``stored_size`` reads the size of the object at a key (None if none).

    With ``if_none_match`` the upload is completed only if no object exists at the key yet (a conditional
    write, ``If-None-Match: *``), so a concurrent writer can never be overwritten.
    """

    def __init__(self, client: S3Client, config: R2Config, plan: Plan, *,
                 object_headers: ObjectHeaders, stored_size: Callable[[str], int | None],
                 if_none_match: bool = False) -> None:
        self.client = client
        self.config = config
        self.plan = plan
        self.object_headers = object_headers
        self.stored_size = stored_size
        self.if_none_match = if_none_match

    def run(self) -> None:
        """Create, send every part, complete; abort on any failure."""
        try:
            upload_id = self.client.create_multipart_upload(**self.object_headers)["UploadId"]
        except (ClientError, BotoCoreError) as error:
            raise self._error(error, "starting the multipart upload of") from None
        try:
            self._complete(upload_id, self._send_parts(upload_id))
        except BaseException as failure:
            self._abort(upload_id)
            if isinstance(failure, (ClientError, BotoCoreError)):
                raise self._error(failure, "uploading") from None
            raise

    def _send_parts(self, upload_id: str) -> list[CompletedPartTypeDef]:
        """Upload every part (``part_jobs`` at a time); the first failure cancels the rest and is raised."""
        numbers = range(1, len(self.plan.md5s) + 1)
        if self.config.part_jobs == 1 or len(self.plan.md5s) == 1:
            return [self._send_part(upload_id, n) for n in numbers]
        pool = ThreadPoolExecutor(max_workers=self.config.part_jobs, thread_name_prefix="r2-part")
        failed = threading.Event()
        try:
            futures: list[Future[CompletedPartTypeDef]] = [
                pool.submit(self._send_part, upload_id, n, failed) for n in numbers]
            wait(futures, return_when=FIRST_EXCEPTION)
            return [future.result() for future in futures]
        except BaseException:
            failed.set()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _send_part(self, upload_id: str, number: int, failed: threading.Event | None = None) -> CompletedPartTypeDef:
        bucket, key = self.config.bucket, self.plan.key
        if failed is not None and failed.is_set():
            raise R2Error("upload cancelled after another part failed", bucket=bucket, key=key)
        data = read_part(self.plan, number, bucket)
        answer = self.client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data,
                                         ContentLength=len(data), ContentMD5=self.plan.content_md5(number))
        return {"PartNumber": number, "ETag": answer["ETag"]}

    def _complete(self, upload_id: str, parts: list[CompletedPartTypeDef]) -> None:
        try:
            if self.if_none_match:
                self.client.complete_multipart_upload(Bucket=self.config.bucket, Key=self.plan.key,
                                                      UploadId=upload_id, MultipartUpload={"Parts": parts},
                                                      IfNoneMatch="*")
            else:
                self.client.complete_multipart_upload(Bucket=self.config.bucket, Key=self.plan.key,
                                                      UploadId=upload_id, MultipartUpload={"Parts": parts})
        except (ClientError, BotoCoreError):
            # A retried Complete can fail after the first one succeeded: the object is then whole.
            if self.stored_size(self.plan.key) != self.plan.size:
                raise

    def _abort(self, upload_id: str) -> None:
        """Best effort: R2 also drops unfinished multipart uploads after 7 days."""
        try:
            self.client.abort_multipart_upload(Bucket=self.config.bucket, Key=self.plan.key, UploadId=upload_id)
        except (ClientError, BotoCoreError):
            pass

    def _error(self, error: Exception, doing: str) -> R2Error:
        return describe(error, doing=doing, bucket=self.config.bucket, key=self.plan.key, path=self.plan.path,
                        endpoint=self.config.endpoint)
