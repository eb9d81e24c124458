"""The editor saves to Convex (issue 21, item 3): ``editor: {store: {type: convex, url, auth}}``.

The manifest's section is checked like the rest of the manifest and reaches the page through the recipe. In
Chromium, against the stand-in (``tests/convex_standin``: the shipped ``convex/`` functions run by
``convex-test`` behind Convex's HTTP API), an author signs in, edits and saves; the version is in the store (read
back with the deploy key); a second author cannot overwrite the thread; the nightly build with the Convex source
publishes the bytes the editor previewed; an image goes editor -> Convex -> published artifact.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from playwright.sync_api import Browser, Page, expect

from mkdocs_hybrid.config.manifest import parse_manifest
from mkdocs_hybrid.model.errors import ManifestError
from mkdocs_hybrid.model.snapshot import SNAPSHOT_FORMAT
from tests.browser import serve_static
from tests.convex_standin.fixture import ConvexStandin, run_standin
from tests.editor_harness import edit, files, preview, wait_for_build
from tests.factory import cli_env, run_cli

CONVEX_URL = "https://happy-animal-123.convex.cloud"
REPO = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 30_000
TOKEN_FILE = "auth/token.json"
"""Where the test site's sign-in endpoint is (a static file holding the signed-in author's stand-in token)."""
DOT_PNG = bytes.fromhex(  # a 1x1 PNG: the image of the round trip
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201"
    "a0c2e2b60000000049454e44ae426082")


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


# ---- in Chromium, against the stand-in ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def standin() -> Iterator[ConvexStandin]:
    """The shipped convex/ functions behind Convex's HTTP API: one fresh backend for this module."""
    with run_standin() as running:
        yield running


def write_manifest(project: Path, standin: ConvexStandin, *, convex_source: bool, auth: dict[str, str]) -> None:
    sources: list[dict[str, Any]] = [{"type": "directory", "path": "demos"}]
    if convex_source:
        sources.append({"type": "convex", "url": standin.url, "key_env": "CONVEX_DEPLOY_KEY"})
    manifest = {"sources": sources, "build": {"cache_dir": ".cache", "ledger": False}, "video": {"posters": False},
                "editor": {"store": {"type": "convex", "url": standin.url, "auth": auth}}}
    (project / "hybrid.yml").write_text(yaml.safe_dump(manifest), encoding="utf-8")


def build(project: Path, standin: ConvexStandin, site: str, *, convex_source: bool = False,
          auth: dict[str, str] | None = None) -> Path:
    write_manifest(project, standin, convex_source=convex_source, auth=auth or {"token_url": f"../{TOKEN_FILE}"})
    run = run_cli("build", "--site-dir", site, cwd=project, env=cli_env(CONVEX_DEPLOY_KEY=standin.deploy_key),
                  timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    return project / site


@pytest.fixture(scope="module")
def editor_site(standin: ConvexStandin, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site of one demo (the sample confetti button: CSS and an npm package, so a vendor file) whose editor saves
    to the stand-in; its project is ``.parent``."""
    project = tmp_path_factory.mktemp("convex-editor")
    shutil.copytree(REPO / "sample_projects" / "confetti-button" / "v1", project / "demos" / "confetti" / "v1")
    return build(project, standin, "site")


def sign_in_as(site: Path, standin: ConvexStandin, subject: str, name: str) -> None:
    """The site's sign-in endpoint answers for this author from now on (as the site's own OIDC session would)."""
    (site / TOKEN_FILE).parent.mkdir(exist_ok=True)
    (site / TOKEN_FILE).write_text(json.dumps({"token": standin.token(subject, name=name)}), encoding="utf-8")


def open_editor(browser: Browser, base_url: str, query: str, name: str) -> Page:
    """A fresh browser profile on the editor, signed in as ``name`` (the status bar's Sign in button shows it)."""
    page = browser.new_context().new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base_url}/editor/{query}")
    wait_for_build(page)
    expect(page.locator("#sign-in")).to_have_text(name)
    return page


def fork(page: Page) -> str:
    page.click("#fork")
    expect(page.locator("#notice")).to_contain_text("Forked into a new thread")
    thread: str = page.evaluate("window.hybridEditor.state.thread")
    return thread


def save(page: Page) -> str:
    """Click Save version; the notice it ends with (the bar is emptied first: an earlier notice is not it)."""
    page.evaluate("document.getElementById('notice').replaceChildren()")
    page.click("#save")
    expect(page.locator("#notice")).to_contain_text(re.compile(r"^(Saved|Not saved)"))
    return page.locator("#notice span").first.inner_text()


def stored(standin: ConvexStandin, thread: str) -> dict[str, dict[str, Any]]:
    """The thread's versions as the build reads them: the deploy key through the HTTP API (internal query)."""
    found: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        page = standin.query("versions:listForBuild", {"paginationOpts": {"numItems": 100, "cursor": cursor}},
                             admin=True)
        found.update({item["version"]: item for item in page["page"] if item["thread"] == thread})
        if page["isDone"]:
            return found
        cursor = page["continueCursor"]


@pytest.mark.browser
def test_a_signed_in_author_saves_to_convex_and_another_author_cannot_overwrite_the_thread(
        chromium: Browser, standin: ConvexStandin, editor_site: Path) -> None:
    with serve_static(editor_site) as base_url:
        sign_in_as(editor_site, standin, "alice", "Alice")
        page = open_editor(chromium, base_url, "?thread=confetti&version=v1", "Alice")
        thread = fork(page)
        edit(page, "src/index.js", "The release is live!", "Saved in Convex!")
        assert save(page) == f"Saved {thread}/v1 to Convex: the site's next build publishes it."
        expect(page.locator("#version")).to_have_value("v1")
        listed = page.locator("#versions optgroup[label='Saved in Convex'] option")
        expect(listed).to_have_text([re.compile(r"^v1 · \d{4}-\d\d-\d\dT[\d:]+Z$")])
        expect(listed).to_have_attribute("title", "saved by Alice")

        (version,) = stored(standin, thread).values()
        sent = {path: text for path, text in files(page).items() if path != "package.json"}
        assert {f["path"]: f["text"] for f in version["files"]} == sent
        assert "Saved in Convex!" in sent["src/index.js"]
        assert version["author"] == standin.token_identifier("alice")
        assert version["dependencies"] == [{"name": "canvas-confetti", "spec": "1.9.4"}]

        # The next save is the thread's v2; the list opens either.
        edit(page, "src/index.js", "Saved in Convex!", "Saved again!")
        assert save(page) == f"Saved {thread}/v2 to Convex: the site's next build publishes it."
        page.select_option("#versions", "convex:v1")
        expect(page.locator("#version")).to_have_value("v1")
        assert "Saved in Convex!" in files(page)["src/index.js"]
        assert sorted(stored(standin, thread)) == ["v1", "v2"]

        sign_in_as(editor_site, standin, "bob", "Bob")
        other = open_editor(chromium, base_url, f"?thread={thread}&version=v1", "Bob")
        assert "Saved in Convex!" in files(other)["src/index.js"]  # opened from Convex
        edit(other, "src/index.js", "Saved in Convex!", "Bob was here")
        assert save(other) == (f"Not saved: thread {thread} belongs to another author: fork it under a new "
                               "thread id")
        expect(other.locator("#notice button", has_text="Fork")).to_be_visible()
        assert sorted(stored(standin, thread)) == ["v1", "v2"]
        assert "Bob was here" not in json.dumps(stored(standin, thread))


@pytest.mark.browser
def test_a_snapshot_the_rules_refuse_is_not_saved_and_its_problems_are_listed(
        chromium: Browser, standin: ConvexStandin, editor_site: Path) -> None:
    with serve_static(editor_site) as base_url:
        sign_in_as(editor_site, standin, "carol", "Carol")
        page = open_editor(chromium, base_url, "?thread=confetti&version=v1", "Carol")
        thread = fork(page)
        page.evaluate("window.hybridEditor.state.files['../up.js'] = '1'")  # the Python validator refuses it too
        notice = save(page)
        (row,) = page.locator("#problems li.problem[data-kind='save']").all_inner_texts()
        problem = row.removeprefix("not saved").strip()
        assert notice == f"Not saved: Convex refused the version: 1 problem ({problem})"
        assert "../up.js" in problem
        assert stored(standin, thread) == {}


@pytest.mark.browser
def test_the_nightly_build_publishes_what_the_editor_previewed_image_included(
        chromium: Browser, standin: ConvexStandin, editor_site: Path) -> None:
    """The editor's preview bytes (page.html, style.css, the vendor file) are the published artifact's, for a
    version saved to Convex with an image that goes editor -> Convex file storage -> build -> artifact."""
    with serve_static(editor_site) as base_url:
        sign_in_as(editor_site, standin, "dora", "Dora")
        page = open_editor(chromium, base_url, "?thread=confetti&version=v1", "Dora")
        thread = fork(page)
        page.set_input_files("#add-binary-file", files=[{"name": "dot.png", "mimeType": "image/png",
                                                         "buffer": DOT_PNG}])
        edit(page, "src/index.js", 'import "./style.css";',
             'import "./style.css";\nimport dot from "../dot.png";\n'
             'document.body.append(Object.assign(document.createElement("img"), {id: "dot", src: dot}));')
        wait_for_build(page)
        expect(preview(page).locator("#dot")).to_have_attribute("src", re.compile("^data:image/png;base64,"))
        assert save(page) == f"Saved {thread}/v1 to Convex: the site's next build publishes it."
        previewed = page.evaluate("window.hybridEditor.lastResult")
        assert previewed["ok"] and previewed["vendor"]
        vendor = (editor_site / previewed["vendor"]).read_bytes()

        # The image is in the store by storage id, with the sha256 Convex computed from the uploaded bytes.
        (version,) = stored(standin, thread).values()
        (image,) = [f for f in version["files"] if f["path"] == "dot.png"]
        assert image["size"] == len(DOT_PNG) and image["contentType"] == "image/png"
        assert image["sha256"] == hashlib.sha256(DOT_PNG).hexdigest()

        # Reopened from Convex in a new browser profile: the image is bytes again, listed and built.
        again = open_editor(chromium, base_url, f"?thread={thread}&version=v1", "Dora")
        assert again.evaluate("Array.from(window.hybridEditor.state.files['dot.png'])") == list(DOT_PNG)
        again.locator('#file-tree li[data-path="dot.png"] .tree-name').click()
        expect(again.locator("#notice")).to_contain_text("dot.png is a binary file (70 bytes, image/png)")
        assert again.evaluate("window.hybridEditor.lastResult.page") == previewed["page"]

    nightly = build(editor_site.parent, standin, "nightly", convex_source=True)
    artifact = nightly / "artifacts" / thread / "v1"
    assert (artifact / "page.html").read_text(encoding="utf-8") == previewed["page"]
    assert (artifact / "style.css").read_text(encoding="utf-8") == previewed["css"]
    meta = json.loads((artifact / "meta.json").read_text(encoding="utf-8"))
    assert meta["vendor"]["path"] == previewed["vendor"]
    assert (nightly / previewed["vendor"]).read_bytes() == vendor
    assert "data:image/png;base64," in previewed["page"]

    # The gallery's "open in the editor" link of the published version: the site has no source.json for it (an
    # image is not text), so the editor opens it from Convex.
    assert not (artifact / "source.json").exists()
    with serve_static(nightly) as base_url:
        sign_in_as(nightly, standin, "dora", "Dora")
        published = open_editor(chromium, base_url, f"?thread={thread}&version=v1", "Dora")
        assert published.evaluate("window.hybridEditor.lastResult.page") == previewed["page"]
        expect(published.locator("#notice")).to_be_hidden()


# The site's own sign-in function (auth: {token_function: siteConvexToken}): it records how it was asked, and gives
# the token the test put in window.testToken, or a stale one until it is asked with forceRefreshToken.
SITE_FUNCTION = """
window.tokenCalls = [];
window.siteConvexToken = async ({forceRefreshToken}) => {
  window.tokenCalls.push(forceRefreshToken);
  if (window.staleToken && !forceRefreshToken) return window.staleToken;
  return window.testToken ?? null;
};
"""


@pytest.mark.browser
def test_a_site_function_gives_the_token_and_convex_refusing_it_asks_for_a_fresh_one(
        chromium: Browser, standin: ConvexStandin, editor_site: Path) -> None:
    site = build(editor_site.parent, standin, "site-function", auth={"token_function": "siteConvexToken"})
    with serve_static(site) as base_url:
        page = chromium.new_context().new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.add_init_script(SITE_FUNCTION)
        page.goto(f"{base_url}/editor/?thread=confetti&version=v1")
        wait_for_build(page)
        expect(page.locator("#status-store")).to_have_text("Convex: not signed in")
        thread = fork(page)
        assert save(page) == "Not saved: sign in first: the Convex store saves only for a signed-in author"

        # A token signed with another secret is refused (401); the editor asks once more, forcing a refresh.
        forged = ConvexStandin(url=standin.url, deploy_key="", jwt_secret="not-the-secret", log_path=standin.log_path)
        page.evaluate("([stale, fresh]) => { window.staleToken = stale; window.testToken = fresh; }",
                      [forged.token("erin", name="Erin"), standin.token("erin", name="Erin")])
        page.click("#sign-in")
        expect(page.locator("#sign-in")).to_have_text("Erin")
        page.evaluate("window.tokenCalls.length = 0")
        assert save(page) == f"Saved {thread}/v1 to Convex: the site's next build publishes it."
        assert page.evaluate("window.tokenCalls") == [True]  # the stale token was kept from Sign in
        assert stored(standin, thread)["v1"]["author"] == standin.token_identifier("erin")

        # Refused even when fresh (a new page: nothing kept): said in plain words, nothing written.
        page.reload()
        wait_for_build(page)
        page.evaluate("(token) => { window.staleToken = token; window.testToken = token; }", forged.token("erin"))
        page.click("#sign-in")
        expect(page.locator("#sign-in")).to_have_text("erin")  # the token's own claims, before Convex checks it
        edit(page, "src/index.js", "The release is live!", "Forged")
        assert save(page) == ("Not saved: Convex did not accept the sign-in (Could not decode token. The signature "
                              "does not match the provider's key.)")
        assert list(stored(standin, thread)) == ["v1"]


@pytest.mark.browser
def test_text_over_a_convex_document_goes_through_file_storage_and_opens_as_text(
        chromium: Browser, standin: ConvexStandin, editor_site: Path, tmp_path: Path) -> None:
    """Convex keeps a document under 1 MiB and a snapshot may hold 10: the largest text files go to storage."""
    big = "export const big = `" + "0123456789abcdef" * 75_000 + "`;\n"  # 1.2 MB
    index = 'import { big } from "./big.js";\ndocument.getElementById("root").textContent = `${big.length} bytes`;\n'
    snapshot = {"format": SNAPSHOT_FORMAT, "thread": "big-text", "version": "v1", "files": {
        "index.js": index, "big.js": big}}
    (tmp_path / "big.json").write_text(json.dumps(snapshot), encoding="utf-8")
    with serve_static(editor_site) as base_url:
        sign_in_as(editor_site, standin, "fred", "Fred")
        page = open_editor(chromium, base_url, "?thread=confetti&version=v1", "Fred")
        page.set_input_files("#import-file", str(tmp_path / "big.json"))
        expect(preview(page).locator("#root")).to_have_text("1200000 bytes")
        assert save(page) == "Saved big-text/v1 to Convex: the site's next build publishes it."
        previewed = page.evaluate("window.hybridEditor.lastResult.page")

        version = stored(standin, "big-text")["v1"]
        kept = {f["path"]: f for f in version["files"]}
        assert kept["index.js"]["text"] == index
        assert "text" not in kept["big.js"] and kept["big.js"]["size"] == len(big)
        assert kept["big.js"]["contentType"] == "text/plain; charset=utf-8"

        again = open_editor(chromium, base_url, "?thread=big-text&version=v1", "Fred")
        assert again.evaluate("window.hybridEditor.state.files['big.js']") == big  # text again, editable
        assert again.evaluate("window.hybridEditor.lastResult.page") == previewed
