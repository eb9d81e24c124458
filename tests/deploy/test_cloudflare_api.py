"""FakeCloudflare's own behaviour, driven with httpx (fast: no wrangler)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.cloudflare_api import FakeCloudflare, parse_multipart

PROJECT_PATH = "/accounts/acct/pages/projects/demos"


@pytest.fixture
def fake() -> Iterator[FakeCloudflare]:
    with FakeCloudflare() as server:
        yield server


@pytest.fixture
def api(fake: FakeCloudflare) -> Iterator[httpx.Client]:
    """A client authenticated with the API token."""
    with httpx.Client(base_url=fake.base_url, headers={"Authorization": f"Bearer {fake.token}"},
                      timeout=10) as client:
        yield client


def jwt_of(api: httpx.Client) -> str:
    return str(api.get(f"{PROJECT_PATH}/upload-token").json()["result"]["jwt"])


def claims_of(jwt: str) -> dict[str, Any]:
    payload = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def with_jwt(jwt: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt}"}


def upload_item(content: bytes, key: str, content_type: str = "text/plain") -> dict[str, Any]:
    return {"key": key, "value": base64.b64encode(content).decode(), "metadata": {"contentType": content_type},
            "base64": True}


def error_code(response: httpx.Response) -> int:
    body = response.json()
    assert body["success"] is False and body["result"] is None
    return int(body["errors"][0]["code"])


KEY_A, KEY_B = "a" * 32, "b" * 32


def upload(api: httpx.Client, jwt: str, *items: dict[str, Any]) -> httpx.Response:
    return api.post("/pages/assets/upload", json=list(items), headers=with_jwt(jwt))


def create_deployment(api: httpx.Client, manifest: dict[str, str], branch: str = "main",
                      **files: bytes) -> httpx.Response:
    fields = {"manifest": json.dumps(manifest), "branch": branch, "commit_hash": "f" * 40,
              "commit_message": "msg", "commit_dirty": "false"}
    parts: list[tuple[str, Any]] = [(name, (None, value.encode())) for name, value in fields.items()]
    parts += [(name, (name, data, "application/octet-stream")) for name, data in files.items()]
    return api.post(f"{PROJECT_PATH}/deployments", files=parts)


# -- envelope, auth, projects --------------------------------------------------------------------------------

def test_project_lookup_and_envelope(api: httpx.Client, fake: FakeCloudflare) -> None:
    body = api.get(PROJECT_PATH).json()
    assert body["success"] is True and body["errors"] == [] and body["messages"] == []
    project = body["result"]
    assert project["name"] == "demos" and project["production_branch"] == "main"
    assert project["subdomain"] == "demos.pages.dev"
    assert project["deployment_configs"]["production"]["compatibility_flags"] == []
    assert project["deployment_configs"]["preview"]["compatibility_date"]
    assert fake.base_url.startswith("http://127.0.0.1:") and fake.base_url.endswith("/client/v4")


def test_missing_project_is_8000007_and_can_be_created(api: httpx.Client) -> None:
    missing = api.get("/accounts/acct/pages/projects/other")
    assert missing.status_code == 404 and error_code(missing) == 8000007
    created = api.post("/accounts/acct/pages/projects", json={"name": "other", "production_branch": "prod"})
    assert created.status_code == 200 and created.json()["result"]["production_branch"] == "prod"
    assert api.get("/accounts/acct/pages/projects/other").status_code == 200
    assert api.post("/accounts/acct/pages/projects", json={"name": "other"}).status_code == 409
    assert api.post("/accounts/acct/pages/projects", json={"name": "Bad Name"}).status_code == 400


def test_account_calls_need_the_api_token(fake: FakeCloudflare, api: httpx.Client) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, with_jwt(jwt_of(api))):
        response = httpx.get(fake.base_url + PROJECT_PATH, headers=headers)
        assert response.status_code == 401 and error_code(response) == 10000
    other_account = api.get("/accounts/someone-else/pages/projects/demos")
    assert other_account.status_code == 403 and error_code(other_account) == 10000


def test_unknown_route(api: httpx.Client) -> None:
    response = api.get("/accounts/acct/workers/scripts")
    assert response.status_code == 404 and error_code(response) == 7003


# -- upload JWT ----------------------------------------------------------------------------------------------

def test_upload_token_is_a_jwt_with_exp_and_file_limit(fake: FakeCloudflare, api: httpx.Client) -> None:
    jwt = jwt_of(api)
    assert jwt.count(".") == 2
    claims = claims_of(jwt)
    assert claims["max_file_count_allowed"] == 20_000
    assert time.time() + 290 < claims["exp"] <= time.time() + 300


def test_asset_calls_need_a_valid_jwt(fake: FakeCloudflare, api: httpx.Client) -> None:
    body = {"hashes": [KEY_A]}
    for headers in ({}, with_jwt(fake.token), with_jwt(jwt_of(api)[:-2] + "xx")):
        response = api.post("/pages/assets/check-missing", json=body, headers=headers)
        assert response.status_code == 401 and error_code(response) == 8000013
    assert api.post("/pages/assets/check-missing", json=body, headers=with_jwt(jwt_of(api))).status_code == 200


def test_expired_jwts_are_refused() -> None:
    with FakeCloudflare(jwt_lifetime=0, max_file_count=100_000) as short_lived, httpx.Client(
            base_url=short_lived.base_url, headers={"Authorization": f"Bearer {short_lived.token}"}) as client:
        jwt = jwt_of(client)
        assert claims_of(jwt)["max_file_count_allowed"] == 100_000
        refused = client.post("/pages/assets/check-missing", json={"hashes": []}, headers=with_jwt(jwt))
        assert refused.status_code == 401 and error_code(refused) == 8000013


def test_expire_all_tokens(fake: FakeCloudflare, api: httpx.Client) -> None:
    old = jwt_of(api)
    fake.expire_all_tokens()
    assert api.post("/pages/assets/check-missing", json={"hashes": []}, headers=with_jwt(old)).status_code == 401
    fresh = jwt_of(api)
    assert api.post("/pages/assets/check-missing", json={"hashes": []}, headers=with_jwt(fresh)).status_code == 200


# -- assets --------------------------------------------------------------------------------------------------

def test_upload_check_missing_and_upsert(fake: FakeCloudflare, api: httpx.Client) -> None:
    jwt = jwt_of(api)
    missing = api.post("/pages/assets/check-missing", json={"hashes": [KEY_A, KEY_B, KEY_A]}, headers=with_jwt(jwt))
    assert missing.json()["result"] == [KEY_A, KEY_B]
    assert upload(api, jwt, upload_item(b"\x00bin\r\n", KEY_A, "image/png"),
                  upload_item(b"\x00bin\r\n", KEY_A, "image/png")).json()["result"] is None
    assert fake.assets[KEY_A].content == b"\x00bin\r\n" and fake.assets[KEY_A].content_type == "image/png"
    assert api.post("/pages/assets/check-missing", json={"hashes": [KEY_A, KEY_B]},
                    headers=with_jwt(jwt)).json()["result"] == [KEY_B]
    assert api.post("/pages/assets/upsert-hashes", json={"hashes": [KEY_A]},
                    headers=with_jwt(jwt)).json()["result"] is True
    assert fake.upserted == {KEY_A}
    assert fake.uploaded_hashes() == [KEY_A, KEY_A]


def test_invalid_uploads_are_refused_and_not_counted(fake: FakeCloudflare, api: httpx.Client) -> None:
    jwt = jwt_of(api)
    bad_base64 = {"key": KEY_A, "value": "not base64!", "metadata": {"contentType": "text/plain"}, "base64": True}
    for items in ([bad_base64], [{"key": "short", "value": "", "metadata": {"contentType": "x"}}], [{"key": KEY_A}]):
        assert upload(api, jwt, *items).status_code == 400
    assert api.post("/pages/assets/upload", json={"not": "a list"}, headers=with_jwt(jwt)).status_code == 400
    assert fake.assets == {} and fake.uploaded_hashes() == []
    assert fake.uploaded_hashes(include_failed=True) == [KEY_A, "short", KEY_A]


# -- deployments ---------------------------------------------------------------------------------------------

def test_deployment_records_the_form_and_becomes_live(fake: FakeCloudflare, api: httpx.Client) -> None:
    upload(api, jwt_of(api), upload_item(b"<h1>x</h1>", KEY_A, "text/html"))
    response = create_deployment(api, {"/index.html": KEY_A}, _headers=b"/*\n  X: 1\n", _redirects=b"/a /b 301\n")
    result = response.json()["result"]
    assert result["latest_stage"] == {**result["latest_stage"], "name": "queued", "status": "active"}
    assert result["url"] == f"https://{result['id'][:8]}.demos.pages.dev" and result["environment"] == "production"
    deployment = fake.deployments[-1]
    assert deployment.manifest == {"/index.html": KEY_A}
    assert deployment.files == {"_headers": b"/*\n  X: 1\n", "_redirects": b"/a /b 301\n"}
    assert (deployment.commit_hash, deployment.commit_message, deployment.commit_dirty) == ("f" * 40, "msg", "false")
    polled = api.get(f"{PROJECT_PATH}/deployments/{result['id']}").json()["result"]
    assert polled["latest_stage"]["name"] == "deploy" and polled["latest_stage"]["status"] == "success"
    assert fake.live() is deployment
    assert api.get(PROJECT_PATH).json()["result"]["canonical_deployment"]["id"] == deployment.id


def test_preview_branch_does_not_change_live(fake: FakeCloudflare, api: httpx.Client) -> None:
    upload(api, jwt_of(api), upload_item(b"x", KEY_A))
    result = create_deployment(api, {"/x.txt": KEY_A}, branch="feature/x").json()["result"]
    assert result["environment"] == "preview" and result["aliases"] == ["https://feature-x.demos.pages.dev"]
    assert fake.live() is None


def test_deployment_naming_missing_assets_is_refused(fake: FakeCloudflare, api: httpx.Client) -> None:
    response = create_deployment(api, {"/index.html": KEY_B})
    assert response.status_code == 400 and "never uploaded" in response.json()["errors"][0]["message"]
    assert fake.deployments == []


def test_failed_deployment_keeps_live_and_has_logs(fake: FakeCloudflare, api: httpx.Client) -> None:
    upload(api, jwt_of(api), upload_item(b"x", KEY_A))
    create_deployment(api, {"/x.txt": KEY_A})
    live = fake.live()
    fake.deploy_outcome = "failure"
    fake.polls_before_done = 1
    failed = create_deployment(api, {"/y.txt": KEY_A}).json()["result"]["id"]
    stages = [api.get(f"{PROJECT_PATH}/deployments/{failed}").json()["result"]["latest_stage"] for _ in range(2)]
    assert [(s["name"], s["status"]) for s in stages] == [("queued", "active"), ("deploy", "failure")]
    logs = api.get(f"{PROJECT_PATH}/deployments/{failed}/history/logs", params={"size": "10000000"}).json()["result"]
    assert logs["data"][logs["total"] - 1]["line"] == fake.failure_log
    assert fake.live() is live


# -- faults --------------------------------------------------------------------------------------------------

def test_fault_500_then_normal(fake: FakeCloudflare, api: httpx.Client) -> None:
    fault = fake.fail("upload-token", times=2)
    assert [api.get(f"{PROJECT_PATH}/upload-token").status_code for _ in range(3)] == [500, 500, 200]
    assert fault.hits == 2 and fake.unused_faults() == []
    failed = fake.requests_to("upload-token")[0]
    assert failed.status == 500 and failed.response["errors"][0]["code"] == 8000000 and failed.fault


def test_fault_gateway_page_and_rate_limit(fake: FakeCloudflare, api: httpx.Client) -> None:
    fake.fail(PROJECT_PATH + "$", status=524)
    fake.fail(PROJECT_PATH + "$", status=429, retry_after=7)
    gateway = api.get(PROJECT_PATH)
    assert gateway.status_code == 524 and gateway.headers["content-type"].startswith("text/html")
    assert "524: A timeout occurred" in gateway.text
    limited = api.get(PROJECT_PATH)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7" and error_code(limited) == 971


def test_fault_method_filter(fake: FakeCloudflare, api: httpx.Client) -> None:
    fake.fail("/deployments$", method="POST", status=503)
    assert api.get(f"{PROJECT_PATH}/deployments").status_code == 200
    assert create_deployment(api, {}).status_code == 503


def test_fault_drop_and_delay(fake: FakeCloudflare, api: httpx.Client) -> None:
    fake.fail(PROJECT_PATH + "$", drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(PROJECT_PATH)
    fake.fail(PROJECT_PATH + "$", delay=1.0)
    with pytest.raises(httpx.ReadTimeout):
        api.get(PROJECT_PATH, timeout=0.3)
    assert api.get(PROJECT_PATH).status_code == 200
    statuses = [r.status for r in fake.requests_to("get-project")]
    assert statuses[0] is None and statuses[-1] == 200


def test_fault_expire_jwt_revokes_that_token(fake: FakeCloudflare, api: httpx.Client) -> None:
    jwt = jwt_of(api)
    fake.fail("/pages/assets/upload$", expire_jwt=True)
    refused = upload(api, jwt, upload_item(b"x", KEY_A))
    assert refused.status_code == 401 and error_code(refused) == 8000013
    assert upload(api, jwt, upload_item(b"x", KEY_A)).status_code == 401, "the expired JWT stays refused"
    assert upload(api, jwt_of(api), upload_item(b"x", KEY_A)).status_code == 200


def test_concurrent_requests_are_all_recorded(fake: FakeCloudflare, api: httpx.Client) -> None:
    jwt = jwt_of(api)
    keys = [f"{index:032x}" for index in range(24)]

    def send(key: str) -> None:
        upload(api, jwt, upload_item(key.encode(), key))

    threads = [threading.Thread(target=send, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(fake.uploaded_hashes()) == keys
    assert all(fake.assets[key].content == key.encode() for key in keys)
    assert fake.server_errors == []


def test_parse_multipart_is_byte_exact() -> None:
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"manifest\"\r\n\r\n{\"/a\":\"b\"}\r\n"
            b"--XyZ\r\nContent-Disposition: form-data; name=\"_headers\"; filename=\"_headers\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n/*\r\n  X: \xc3\xa9\n\r\n--XyZ--\r\n")
    manifest, headers = parse_multipart(body, "multipart/form-data; boundary=XyZ")
    assert (manifest.name, manifest.filename, manifest.text) == ("manifest", None, '{"/a":"b"}')
    assert (headers.name, headers.filename, headers.data) == ("_headers", "_headers", b"/*\r\n  X: \xc3\xa9\n")
