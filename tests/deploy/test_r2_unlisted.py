"""Unlisted versions in the artifact store mode: their objects go to the private bucket, never the public one.

The same rules as the public store (skip by sha256, refuse other bytes before anything is written); a real
local S3 server (moto) holds both buckets.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from mkdocs_hybrid.deploy import ArtifactConflict, ArtifactStore, R2Config
from mkdocs_hybrid.deploy._r2_errors import R2Error
from tests.cloudflare_api import FakeCloudflare
from tests.deploy.test_r2 import bucket, dummy_credentials, listen, s3_endpoint  # noqa: F401 (fixtures)
from tests.deploy.test_r2_artifacts import ARTIFACTS_URL, SITE_URL, artifact_store, bucket_keys, deploy, small_site
from tests.factory import write_tree

TOKEN = "0123456789abcdef0123456789abcdef"
UNLISTED = {f"artifacts/_u/{TOKEN}/page.html": "<p>quiet</p>", f"artifacts/_u/{TOKEN}/style.css": "p{}",
            f"p/_u/{TOKEN}/index.html": "<iframe></iframe>"}


@pytest.fixture
def private_bucket(s3_endpoint: str) -> str:  # noqa: F811
    name = f"private-{uuid.uuid4().hex[:12]}"
    admin = boto3.client("s3", endpoint_url=s3_endpoint, region_name="auto")
    admin.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "auto"})
    return name


def stores(bucket: str, private_bucket: str, endpoint: str) -> ArtifactStore:  # noqa: F811
    private = ArtifactStore.private(R2Config.from_env(private_bucket, ARTIFACTS_URL, endpoint_url=endpoint,
                                                      prefix=""), site_origin=SITE_URL)
    public = artifact_store(bucket, endpoint)
    public.unlisted = private
    return public


def test_unlisted_objects_go_to_the_private_bucket_only(bucket: str, private_bucket: str,  # noqa: F811
                                                        s3_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    store = stores(bucket, private_bucket, s3_endpoint)
    site = write_tree(small_site(tmp_path / "site"), UNLISTED)
    with FakeCloudflare() as fake:
        result = deploy(fake, site, store)
        live = fake.live()
        assert live is not None

    assert store.unlisted is not None
    assert bucket_keys(store.unlisted) == [f"artifacts/_u/{TOKEN}/page.html", f"artifacts/_u/{TOKEN}/style.css",
                                           f"p/_u/{TOKEN}/index.html"]  # its share page too, off Pages
    assert not any("_u/" in key for key in bucket_keys(store))
    assert f"/p/_u/{TOKEN}/index.html" not in live.manifest
    with pytest.raises(ClientError, match="NoSuchCORSConfiguration"):  # the private bucket: no CORS rules
        store.unlisted.client.get_bucket_cors(Bucket=private_bucket)
    assert result.artifact_store is not None and result.artifact_store.uploaded == result.artifact_store.files


def test_a_second_deploy_skips_the_private_objects_too(bucket: str, private_bucket: str,  # noqa: F811
                                                       s3_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    store = stores(bucket, private_bucket, s3_endpoint)
    site = write_tree(small_site(tmp_path / "site"), UNLISTED)
    with FakeCloudflare() as fake:
        deploy(fake, site, store)
        assert store.unlisted is not None
        wire = listen(store.unlisted.client)
        again = deploy(fake, site, store)
    assert "PutObject" not in wire.operations()
    assert again.artifact_store is not None and again.artifact_store.uploaded == 0


def test_a_changed_private_object_is_refused_before_anything_is_written(
        bucket: str, private_bucket: str, s3_endpoint: str, tmp_path: Path) -> None:  # noqa: F811
    store = stores(bucket, private_bucket, s3_endpoint)
    site = write_tree(small_site(tmp_path / "site"), UNLISTED)
    with FakeCloudflare() as fake:
        deploy(fake, site, store)
        write_tree(site, {f"artifacts/_u/{TOKEN}/page.html": "<p>changed</p>", "artifacts/t/v9/page.html": "new"})
        fake.clear_requests()
        with pytest.raises(ArtifactConflict) as caught:
            deploy(fake, site, store)
        assert fake.requests == []
    assert private_bucket in str(caught.value)
    assert "artifacts/t/v9/page.html" not in bucket_keys(store)


def test_unlisted_objects_without_a_private_bucket_are_refused(bucket: str, s3_endpoint: str,  # noqa: F811
                                                               tmp_path: Path) -> None:
    store = artifact_store(bucket, s3_endpoint)
    site = write_tree(small_site(tmp_path / "site"), UNLISTED)
    with FakeCloudflare() as fake, pytest.raises(R2Error, match=r"deploy\.r2_private_bucket") as caught:
        deploy(fake, site, store)
    assert "\n" not in str(caught.value)
    assert bucket_keys(store) == []
