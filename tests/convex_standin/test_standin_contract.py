"""The Convex stand-in answers Convex's HTTP API exactly as a real deployment does, so it cannot drift from it.

Shapes are those of the open-source backend (crates/local_backend/src/public_api.rs and the modules it calls; see
/work/notes/convex-contract.md, "Changes"), checked three ways: raw HTTP (httpx), the npm ``convex`` client's
``ConvexHttpClient`` (what the editor bundles) and PyPI ``convex``'s ``ConvexHttpClient``. Most tests run the
stand-in's own small functions folder (sample_convex/: every value type and failure shape); the last ones run the
project's shipped convex/ functions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.convex_standin.fixture import (
    ISSUER,
    REPO,
    SAMPLE_FUNCTIONS,
    SHIPPED_FUNCTIONS,
    ConvexStandin,
    StandinCallError,
    node_binary,
    run_standin,
    sign_token,
)

NPM_CLIENT = Path(__file__).resolve().parent / "npm_client.mjs"
INT_42 = {"$integer": base64.b64encode((42).to_bytes(8, "little", signed=True)).decode()}
BYTES_123 = {"$bytes": base64.b64encode(b"\x01\x02\x03").decode()}


@pytest.fixture(scope="module")
def standin() -> Iterator[ConvexStandin]:
    with run_standin(SAMPLE_FUNCTIONS) as running:
        yield running


def post(standin: ConvexStandin, endpoint: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(f"{standin.url}/api/{endpoint}", json=body, headers=headers or {}, timeout=30.0)


def answer(standin: ConvexStandin, endpoint: str, path: str, args: dict[str, Any], *,
           format: str | None = "json", headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The JSON of a call that must come back as HTTP 200 (success and function errors alike)."""
    body: dict[str, Any] = {"path": path, "args": args}
    if format is not None:
        body["format"] = format
    response = post(standin, endpoint, body, headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    result: dict[str, Any] = response.json()
    return result


# --- success and the value formats ---------------------------------------------------------------------------------

def test_a_query_answers_200_with_status_success_and_its_value(standin: ConvexStandin) -> None:
    assert answer(standin, "query", "demo:echo", {"value": {"text": "hi", "n": 1.5, "list": [True, None]}}) == {
        "status": "success", "value": {"text": "hi", "n": 1.5, "list": [True, None]}}


def test_format_json_writes_int64_as_a_decimal_string_and_bytes_as_plain_base64(standin: ConvexStandin) -> None:
    result = answer(standin, "query", "demo:echo", {"value": {"count": INT_42, "data": BYTES_123}})
    assert result["value"] == {"count": "42", "data": "AQID"}


def test_format_convex_encoded_json_round_trips_integer_and_bytes_wrappers(standin: ConvexStandin) -> None:
    result = answer(standin, "query", "demo:echo", {"value": {"count": INT_42, "data": BYTES_123}},
                    format="convex_encoded_json")
    assert result["value"] == {"count": INT_42, "data": BYTES_123}


def test_without_a_format_the_answer_is_clean_json(standin: ConvexStandin) -> None:
    assert answer(standin, "query", "demo:echo", {"value": INT_42}, format=None)["value"] == "42"


def test_the_clients_positional_args_array_is_accepted(standin: ConvexStandin) -> None:
    result = answer(standin, "query", "demo:echo", [{"value": "positional"}])  # type: ignore[arg-type]
    assert result == {"status": "success", "value": "positional"}


def test_log_lines_come_back_with_the_answer_and_are_left_out_when_there_are_none(standin: ConvexStandin) -> None:
    assert answer(standin, "query", "demo:chatty", {}) == {
        "status": "success", "value": None, "logLines": ["[LOG] 'hello' 42", "[WARN] 'careful'"]}
    assert "logLines" not in answer(standin, "query", "demo:echo", {"value": 1})


def test_the_run_endpoint_a_get_query_and_a_query_batch_answer_the_same_shapes(standin: ConvexStandin) -> None:
    got = httpx.get(f"{standin.url}/api/query", timeout=30.0,
                    params={"path": "demo:echo", "args": json.dumps({"value": INT_42}), "format": "json"})
    assert got.json() == {"status": "success", "value": "42"}
    run = httpx.post(f"{standin.url}/api/run/demo/echo", json={"args": {"value": INT_42}}, timeout=30.0)
    assert run.json() == {"status": "success", "value": "42"}
    batch = httpx.post(f"{standin.url}/api/query_batch", timeout=30.0, json={"queries": [
        {"path": "demo:echo", "args": {"value": 1}, "format": "json"},
        {"path": "demo:nope", "args": {}, "format": "json"}]})
    first, second = batch.json()["results"]
    assert first == {"status": "success", "value": 1}
    assert second["status"] == "error"


# --- function errors: HTTP 200, status "error" --------------------------------------------------------------------

def test_a_convex_error_answers_200_with_its_message_and_error_data_and_writes_nothing(
        standin: ConvexStandin) -> None:
    result = answer(standin, "mutation", "demo:refuse", {"text": "bad"})
    data = {"code": "invalid", "message": "text refused", "problems": ["bad"]}
    assert result["status"] == "error"
    assert result["errorData"] == data
    assert result["errorMessage"].startswith("[Request ID: ")
    message = json.dumps(data, separators=(",", ":"))
    assert result["errorMessage"].endswith(f"] Server Error\nUncaught ConvexError: {message}\n")
    page = standin.query("demo:list", {"paginationOpts": {"numItems": 10, "cursor": None}})
    assert [note["text"] for note in page["page"]] == [], "the refused mutation's insert was rolled back"


def test_an_uncaught_error_answers_status_error_without_error_data(standin: ConvexStandin) -> None:
    result = answer(standin, "query", "demo:crash", {})
    assert result["status"] == "error"
    assert result["errorMessage"].endswith("] Server Error\nUncaught Error: boom\n")
    assert "errorData" not in result


def test_an_unknown_function_is_a_function_error_naming_it(standin: ConvexStandin) -> None:
    for path in ("demo:nope", "nomodule:list"):
        result = answer(standin, "query", path, {})
        assert result["status"] == "error"
        assert f"\nCould not find public function for '{path}'.\n" in result["errorMessage"]


def test_an_internal_function_is_hidden_without_the_deploy_key_and_runs_with_it(standin: ConvexStandin) -> None:
    hidden = answer(standin, "query", "demo:secret", {}, headers=standin.headers(token=standin.token("alice")))
    assert "Could not find public function for 'demo:secret'." in hidden["errorMessage"]
    assert answer(standin, "query", "demo:secret", {})["status"] == "error"
    assert answer(standin, "query", "demo:secret", {}, headers=standin.headers(admin=True)) == {
        "status": "success", "value": "internal only"}
    # An action may call it (ctx.runQuery runs inside the deployment, as the backend lets it).
    assert answer(standin, "action", "demo:viaAction", {})["value"] == "internal only"


def test_a_function_called_through_another_endpoint_is_refused_as_the_backend_does(standin: ConvexStandin) -> None:
    result = answer(standin, "mutation", "demo:echo", {"value": 1})
    assert "\nTrying to execute demo.js:echo as Mutation, but it is defined as Query.\n" in result["errorMessage"]


def test_bad_arguments_are_an_argument_validation_error(standin: ConvexStandin) -> None:
    result = answer(standin, "query", "demo:echo", {})
    assert result["status"] == "error"
    assert "\nArgumentValidationError: " in result["errorMessage"]
    assert "`value`" in result["errorMessage"]


# --- malformed requests: HTTP 400 {code, message} -----------------------------------------------------------------

@pytest.mark.parametrize(("body", "code"), [
    ({"path": "not a path!", "args": {}}, "BadConvexFunctionIdentifier"),
    ({"args": {}}, "BadJsonBody"),
    ({"path": "demo:echo", "args": {"value": 1}, "format": "xml"}, "BadFormat"),
])
def test_a_malformed_request_is_400_with_the_backends_code(standin: ConvexStandin, body: dict[str, Any],
                                                          code: str) -> None:
    response = post(standin, "query", body)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["message"]


def test_a_body_that_is_not_json_is_400_bad_json_body(standin: ConvexStandin) -> None:
    response = httpx.post(f"{standin.url}/api/query", content=b"{nope", timeout=30.0)
    assert (response.status_code, response.json()["code"]) == (400, "BadJsonBody")


def test_an_authorization_header_of_another_kind_is_400_invalid_admin_key(standin: ConvexStandin) -> None:
    response = post(standin, "query", {"path": "demo:echo", "args": {"value": 1}}, {"Authorization": "Basic abcdef"})
    assert (response.status_code, response.json()["code"]) == (400, "InvalidAdminKey")


# --- authentication: HTTP 401 {code, message} ----------------------------------------------------------------------

def test_a_wrong_deploy_key_is_401_bad_admin_key(standin: ConvexStandin) -> None:
    response = post(standin, "query", {"path": "demo:secret", "args": {}}, {"Authorization": "Convex prod:wrong|key"})
    assert response.status_code == 401
    assert response.json() == {"code": "BadAdminKey",
                               "message": "The provided admin key was invalid for this instance"}


def test_the_deploy_key_is_accepted_with_or_without_the_dashboards_prefix(standin: ConvexStandin) -> None:
    bare = standin.deploy_key.split(":", 1)[1]
    for key in (standin.deploy_key, bare, f"prod:{bare}"):
        result = answer(standin, "query", "demo:secret", {}, headers={"Authorization": f"Convex {key}"})
        assert result["status"] == "success", key


@pytest.mark.parametrize("kind", ["bad signature", "expired", "not a jwt", "no issuer"])
def test_a_bad_user_token_is_401_invalid_auth_header_even_for_a_public_function(standin: ConvexStandin,
                                                                             kind: str) -> None:
    token = {
        "bad signature": sign_token({"iss": ISSUER, "sub": "mallory"}, "another-secret"),
        "expired": standin.token("alice", expires_in=-60),
        "not a jwt": "abc.def",
        "no issuer": sign_token({"sub": "alice"}, standin.jwt_secret),
    }[kind]
    response = post(standin, "query", {"path": "demo:echo", "args": {"value": 1}}, standin.headers(token=token))
    assert response.status_code == 401
    assert response.json()["code"] == "InvalidAuthHeader"


def test_a_valid_token_is_the_functions_user_identity_and_none_is_anonymous(standin: ConvexStandin) -> None:
    token = standin.token("alice", name="Alice", email="alice@example.test")
    identity = standin.query("demo:whoami", token=token)
    assert identity["subject"] == "alice"
    assert identity["issuer"] == ISSUER
    assert identity["tokenIdentifier"] == standin.token_identifier("alice")
    assert (identity["name"], identity["email"]) == ("Alice", "alice@example.test")
    assert standin.query("demo:whoami") is None
    assert standin.query("demo:whoami", admin=True) is None


# --- pagination, storage, CORS, stopping --------------------------------------------------------------------------

def test_the_pagination_cursor_round_trips_until_is_done(standin: ConvexStandin) -> None:
    token = standin.token("pager")
    texts = [f"note {i}" for i in range(5)]
    for text in texts:
        standin.mutation("demo:add", {"text": text, "count": INT_42}, token=token)
    seen, cursor, pages = [], None, 0
    while True:
        page = standin.query("demo:list", {"paginationOpts": {"numItems": 2, "cursor": cursor}})
        assert set(page) >= {"page", "isDone", "continueCursor"}
        assert isinstance(page["continueCursor"], str)
        seen += [note["text"] for note in page["page"]]
        pages += 1
        if page["isDone"]:
            break
        cursor = page["continueCursor"]
    assert seen[-5:] == texts
    assert pages >= 3
    assert page["page"] == [] or page["page"][-1]["count"] == "42"


def test_a_file_uploaded_to_a_generated_url_downloads_with_its_bytes_type_and_sha256(standin: ConvexStandin) -> None:
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    upload_url = standin.mutation("demo:generateUploadUrl")
    assert upload_url.startswith(f"{standin.url}/api/storage/upload?token=")
    uploaded = httpx.post(upload_url, content=image, headers={"Content-Type": "image/png"}, timeout=30.0)
    assert uploaded.status_code == 200
    storage_id = uploaded.json()["storageId"]
    meta = standin.query("demo:file", {"id": storage_id})
    assert meta["size"] == len(image)
    assert meta["sha256"] == base64.b64encode(hashlib.sha256(image).digest()).decode()
    download = httpx.get(meta["url"], timeout=30.0)
    assert download.status_code == 200
    assert download.content == image
    assert download.headers["content-type"] == "image/png"
    assert download.headers["digest"] == f"sha-256={meta['sha256']}"


def test_an_upload_without_a_token_it_handed_out_is_401_and_an_unknown_file_404(standin: ConvexStandin) -> None:
    refused = httpx.post(f"{standin.url}/api/storage/upload?token=forged", content=b"x", timeout=30.0)
    assert (refused.status_code, refused.json()["code"]) == (401, "StorageTokenInvalid")
    missing = httpx.get(f"{standin.url}/api/storage/00000000-0000-4000-8000-000000000000", timeout=30.0)
    assert (missing.status_code, missing.json()["code"]) == (404, "FileNotFound")


def test_cors_mirrors_the_pages_origin_as_a_deployment_does(standin: ConvexStandin) -> None:
    origin = "http://127.0.0.1:8123"
    preflight = httpx.options(f"{standin.url}/api/mutation", timeout=30.0, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,convex-client"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "authorization,content-type,convex-client"
    call = post(standin, "query", {"path": "demo:echo", "args": {"value": 1}}, {"Origin": origin})
    assert call.headers["access-control-allow-origin"] == origin


def test_the_stand_in_stops_when_its_context_ends() -> None:
    with run_standin(SAMPLE_FUNCTIONS) as running:
        assert httpx.post(f"{running.url}/api/query", timeout=30.0,
                          json={"path": "demo:echo", "args": {"value": 1}}).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{running.url}/api/query", json={"path": "demo:echo", "args": {"value": 1}}, timeout=5.0)


def test_a_functions_folder_that_does_not_compile_stops_the_start_with_esbuilds_message(tmp_path: Path) -> None:
    (tmp_path / "_generated").mkdir()
    (tmp_path / "_generated" / "server.js").write_text('export { queryGeneric as query } from "convex/server";\n')
    (tmp_path / "broken.ts").write_text("export const x = ;\n")
    with pytest.raises(RuntimeError, match=r"cannot compile the Convex functions in .*broken\.ts"), \
            run_standin(tmp_path):
        pass


# --- the real clients -----------------------------------------------------------------------------------------------

def npm_client(standin: ConvexStandin, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run ``calls`` through the npm ``convex`` package's ConvexHttpClient; one result per call."""
    done = subprocess.run([node_binary(), str(NPM_CLIENT)], input=json.dumps({"url": standin.url, "calls": calls}),
                          capture_output=True, text=True, cwd=REPO, timeout=60, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_npm_convex_client_reads_every_answer_of_the_stand_in(standin: ConvexStandin) -> None:
    token = standin.token("npm-user", name="Npm User")
    echo, added, refused, crashed, hidden, internal, acting, bad_token, page, consistent = npm_client(standin, [
        {"kind": "query", "path": "demo:echo", "args": {"value": {"count": INT_42, "data": BYTES_123}}},
        {"kind": "mutation", "path": "demo:add", "args": {"text": "from npm", "count": INT_42}, "token": token},
        {"kind": "mutation", "path": "demo:refuse", "args": {"text": "no"}, "token": token},
        {"kind": "query", "path": "demo:crash", "args": {}},
        {"kind": "query", "path": "demo:secret", "args": {}, "token": token},
        {"kind": "query", "path": "demo:secret", "args": {}, "adminKey": standin.deploy_key},
        {"kind": "query", "path": "demo:whoami", "args": {}, "adminKey": standin.deploy_key,
         "actingAs": {"subject": "acted", "issuer": ISSUER}},
        {"kind": "query", "path": "demo:echo", "args": {"value": 1}, "token": standin.token("x", expires_in=-60)},
        {"kind": "query", "path": "demo:list", "args": {"paginationOpts": {"numItems": 1, "cursor": None}}},
        {"kind": "consistentQuery", "path": "demo:echo", "args": {"value": "at a timestamp"}},
    ])
    assert echo == {"ok": True, "value": {"count": INT_42, "data": BYTES_123}}
    assert added["ok"] is True and isinstance(added["value"], str)
    assert refused["ok"] is False
    assert refused["name"] == "ConvexError"
    assert refused["data"] == {"code": "invalid", "message": "text refused", "problems": ["no"]}
    assert (crashed["ok"], crashed["name"]) == (False, "Error")
    assert "Uncaught Error: boom" in crashed["message"]
    assert "Could not find public function for 'demo:secret'." in hidden["message"]
    assert internal == {"ok": True, "value": "internal only"}
    assert acting["value"]["subject"] == "acted"
    assert bad_token["ok"] is False
    assert json.loads(bad_token["message"])["code"] == "InvalidAuthHeader", "the client throws the 401 body as is"
    assert set(page["value"]) >= {"page", "isDone", "continueCursor"}
    assert consistent == {"ok": True, "value": "at a timestamp"}, "query_ts then query_at_ts"


def test_the_python_convex_clients_http_client_reads_every_answer_of_the_stand_in(standin: ConvexStandin) -> None:
    from convex.http_client import ConvexExecutionError, ConvexHttpClient

    import convex  # a test dependency (pyproject's test extra); loads a Rust extension, so only here

    client = ConvexHttpClient(standin.url)
    value = client.query("demo:echo", {"value": {"count": convex.ConvexInt64(42), "data": b"\x01\x02\x03"}})
    assert value == {"count": convex.ConvexInt64(42), "data": b"\x01\x02\x03"}
    client.set_auth(standin.token("py-user"))
    with pytest.raises(convex.ConvexError) as refused:
        client.mutation("demo:refuse", {"text": "no"})
    assert refused.value.data == {"code": "invalid", "message": "text refused", "problems": ["no"]}
    with pytest.raises(ConvexExecutionError, match="Could not find public function for 'demo:secret'"):
        client.query("demo:secret")
    client.set_admin_auth(standin.deploy_key)
    assert client.query("demo:secret") == "internal only"
    client.set_auth(standin.token("py-user", expires_in=-60))
    with pytest.raises(Exception, match=r"^401 InvalidAuthHeader: "):
        client.query("demo:echo", {"value": 1})


# --- the shipped convex/ functions ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped() -> Iterator[ConvexStandin]:
    if not (SHIPPED_FUNCTIONS / "versions.ts").is_file():
        pytest.fail(f"{SHIPPED_FUNCTIONS / 'versions.ts'} is missing: the stand-in runs the shipped functions")
    with run_standin() as running:
        yield running


def test_the_shipped_build_listing_is_internal_hidden_from_users_and_pages_for_the_deploy_key(
        shipped: ConvexStandin) -> None:
    args = {"paginationOpts": {"numItems": 10, "cursor": None}}
    with pytest.raises(StandinCallError, match="Could not find public function for 'versions:listForBuild'"):
        shipped.query("versions:listForBuild", args, token=shipped.token("alice"))
    page = shipped.query("versions:listForBuild", args, admin=True)
    assert set(page) >= {"page", "isDone", "continueCursor"}


def test_a_binary_file_uploaded_through_the_shipped_flow_is_listed_for_the_build_with_its_sha256_and_url(
        shipped: ConvexStandin) -> None:
    token = shipped.token("painter", name="Painter")
    image = b"\x89PNG\r\n\x1a\n" + hashlib.sha256(b"pixels").digest() * 64
    upload_url = shipped.mutation("files:generateUploadUrl", token=token)
    storage_id = httpx.post(upload_url, content=image, headers={"Content-Type": "image/png"},
                            timeout=30.0).json()["storageId"]
    saved = shipped.mutation("versions:save", {"thread": "pictures", "files": [
        {"path": "index.html", "text": '<img src="cat.png">'}, {"path": "cat.png", "storageId": storage_id}]},
        token=token)
    page = shipped.query("versions:listForBuild", {"paginationOpts": {"numItems": 100, "cursor": None}}, admin=True)
    item = next(item for item in page["page"] if (item["thread"], item["version"]) == ("pictures", saved["version"]))
    picture = next(file for file in item["files"] if file["path"] == "cat.png")
    assert (picture["sha256"], picture["size"], picture["contentType"]) == (
        hashlib.sha256(image).hexdigest(), len(image), "image/png")
    assert httpx.get(picture["url"], timeout=30.0).content == image


def test_a_second_author_cannot_save_into_the_first_authors_thread_through_the_api(shipped: ConvexStandin) -> None:
    files = [{"path": "index.html", "text": "<p>mine</p>"}]
    shipped.mutation("versions:save", {"thread": "owned", "files": files}, token=shipped.token("owner"))
    with pytest.raises(StandinCallError) as refused:
        shipped.mutation("versions:save", {"thread": "owned", "files": files}, token=shipped.token("intruder"))
    assert refused.value.data["code"] == "forbidden"


def test_seeding_needs_the_deploy_key_and_stops_at_the_first_refused_call(standin: ConvexStandin) -> None:
    calls = {"calls": [{"path": "demo:echo", "args": {"value": 1}}]}
    anonymous = httpx.post(f"{standin.url}/_standin/run_many", json=calls, timeout=30.0)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "BadAdminKey")
    assert standin.seed("demo:add", [{"text": "seeded", "count": INT_42}], subject="seeder") != []
    with pytest.raises(StandinCallError, match="ArgumentValidationError"):
        standin.seed("demo:add", [{"text": "no count"}, {"text": "after the failure", "count": INT_42}])
    after = standin.query("demo:list", {"paginationOpts": {"numItems": 100, "cursor": None}})
    assert "after the failure" not in [note["text"] for note in after["page"]]


def test_a_malformed_body_is_400_before_a_bad_token_is_401_as_the_backend_checks_them(
        standin: ConvexStandin) -> None:
    expired = standin.headers(token=standin.token("late", expires_in=-60))
    response = httpx.post(f"{standin.url}/api/query", content=b"{nope", headers=expired, timeout=30.0)
    assert (response.status_code, response.json()["code"]) == (400, "BadJsonBody")
    response = post(standin, "query", {"path": "demo:echo", "args": {"value": 1}}, expired)
    assert (response.status_code, response.json()["code"]) == (401, "InvalidAuthHeader")
