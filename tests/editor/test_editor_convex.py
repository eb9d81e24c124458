"""The editor saves to Convex (issue 21, item 3): ``editor: {store: {type: convex, url, auth}}``.

The manifest's section is checked like the rest of the manifest and reaches the page through the recipe. In
Chromium, against the stand-in (``tests/convex_standin``: the shipped ``convex/`` functions run by
``convex-test`` behind Convex's HTTP API), an author signs in, edits and saves; the version is in the store (read
back with the deploy key); a second author cannot overwrite the thread; the nightly build with the Convex source
publishes the bytes the editor previewed; an image goes editor -> Convex -> published artifact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mkdocs_hybrid.config.manifest import parse_manifest
from mkdocs_hybrid.model.errors import ManifestError

CONVEX_URL = "https://happy-animal-123.convex.cloud"


def manifest_with_store(tmp_path: Path, store: object) -> Any:
    (tmp_path / "demos").mkdir(exist_ok=True)
    data = {"sources": [{"type": "directory", "path": "demos"}], "editor": {"store": store}}
    return parse_manifest(data, base_dir=tmp_path, origin="hybrid.yml")


def refusal(tmp_path: Path, store: object) -> str:
    with pytest.raises(ManifestError) as caught:
        manifest_with_store(tmp_path, store)
    return str(caught.value)


# ---- the manifest and the recipe -----------------------------------------------------------------------------


def test_a_convex_store_is_read_with_its_sign_in_settings(tmp_path: Path) -> None:
    store = manifest_with_store(tmp_path, {"type": "convex", "url": CONVEX_URL + "/",
                                           "auth": {"token_url": "/auth/convex-token", "login_url": "/login"}})
    assert store.editor.store.recipe() == {"type": "convex", "url": CONVEX_URL,
                                           "auth": {"login_url": "/login", "token_url": "/auth/convex-token"}}
    assert manifest_with_store(tmp_path, {"type": "browser"}).editor.store is None
    assert manifest_with_store(tmp_path, None).editor.store is None


def test_every_problem_of_the_store_section_is_named_in_one_line(tmp_path: Path) -> None:
    message = refusal(tmp_path, {"type": "convex", "url": "http://example.com", "auth": {}, "colour": 1})
    assert message == (
        "hybrid.yml: editor.store: unknown key(s) colour; allowed: auth, type, url; "
        "editor.store.url 'http://example.com' must start with https:// (plain http only for localhost), "
        "e.g. https://happy-animal-123.convex.cloud; editor.store.auth: give token_url (fetched with the site's "
        "cookies) or token_function (a global function's name); exactly one of them, not 0")


@pytest.mark.parametrize(("store", "expected"), [
    ("convex", "hybrid.yml: editor.store must be a mapping, not str, e.g. {type: convex, "
               "url: https://happy-animal-123.convex.cloud, auth: {token_url: ...}}"),
    ({"type": "sqlite"}, "hybrid.yml: editor.store.type must be one of browser, convex, not 'sqlite'"),
    ({"type": "browser", "url": CONVEX_URL}, "hybrid.yml: editor.store.url is only for type: convex; remove it"),
    ({"type": "convex", "url": CONVEX_URL},
     "hybrid.yml: editor.store.auth is required for type: convex (saving needs a signed-in author): give "
     "token_url (fetched with the site's cookies) or token_function (a global function's name)"),
    ({"type": "convex", "url": "https://x.convex.site", "auth": {"token_function": "getToken"}},
     "hybrid.yml: editor.store.url 'https://x.convex.site' is the deployment's HTTP-actions origin; the client "
     "needs its .convex.cloud URL"),
    ({"type": "convex", "url": CONVEX_URL + "/api", "auth": {"token_function": "getToken"}},
     "hybrid.yml: editor.store.url 'https://happy-animal-123.convex.cloud/api' must be the deployment's origin "
     "only (no path, query or user), e.g. https://happy-animal-123.convex.cloud"),
    ({"type": "convex", "url": CONVEX_URL, "auth": {"token_function": "alert(1)", "login_url": "javascript:x"}},
     "hybrid.yml: editor.store.auth.token_function must be a JavaScript identifier (a global function's name), "
     "not 'alert(1)'; editor.store.auth.login_url must be an http(s) URL or a path, not 'javascript:x'"),
    ({"type": "convex", "url": CONVEX_URL, "auth": {"token_function": "f", "token_url": "/t"}},
     "hybrid.yml: editor.store.auth: give token_url (fetched with the site's cookies) or token_function (a global "
     "function's name); exactly one of them, not 2"),
])
def test_a_bad_store_section_is_refused_with_what_to_write(tmp_path: Path, store: object, expected: str) -> None:
    assert refusal(tmp_path, store) == expected


def test_plain_http_is_taken_for_a_local_deployment_only(tmp_path: Path) -> None:
    local = manifest_with_store(tmp_path, {"type": "convex", "url": "http://127.0.0.1:3210",
                                           "auth": {"token_function": "getToken"}})
    assert local.editor.store.url == "http://127.0.0.1:3210"


def test_the_recipe_carries_the_store_only_when_the_manifest_names_one() -> None:
    from mkdocs_hybrid.config.manifest import BuildOptions
    from mkdocs_hybrid.editor.recipe import editor_recipe

    plain = json.loads(editor_recipe("0.0.0", BuildOptions(), locked={}, sets=[], threads={}))
    store = {"type": "convex", "url": CONVEX_URL, "auth": {"token_function": "getToken"}}
    with_store = json.loads(editor_recipe("0.0.0", BuildOptions(), locked={}, sets=[], threads={}, store=store))
    assert "store" not in plain
    assert with_store["store"] == store
    assert {key: value for key, value in with_store.items() if key != "store"} == plain
