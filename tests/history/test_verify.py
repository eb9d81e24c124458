"""Signed revision histories (issue 25): real builds with a key, then ``verify`` on the site folder or over HTTP.

Each tampering a user could fear is made on a real built site and must be reported with its location; a clean
site passes; a rotated key keeps the old records valid; a pin is a signed record."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mkdocs_hybrid.edge.unlisted import UnlistedKey
from mkdocs_hybrid.history.keys import KEY_ENV, SigningKey
from mkdocs_hybrid.history.readers import FolderSite, HttpSite
from mkdocs_hybrid.history.records import record_hash, signed_bytes
from mkdocs_hybrid.history.verify import Verification, verify_site
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.publish.ledger import Ledger
from mkdocs_hybrid.publish.site import SitePages
from tests.browser import serve_in_thread
from tests.factory import cli_env, manifest_for, run_cli, write_tree

KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(1, 33))).decode()
OTHER = base64.b64encode(bytes(range(2, 34))).decode()


def build(project: Path, key: str | None, monkeypatch: pytest.MonkeyPatch, site: str = "site") -> Export:
    if key is None:
        monkeypatch.delenv(KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(KEY_ENV, key)
    export = Export(manifest_for(project), pages=SitePages(standalone_gallery=True))
    export.run(project / site)
    assert export.report.ok, export.report.failed
    return export


def demos(project: Path, *versions: str, thread: str = "t") -> None:
    write_tree(project, {f"demos/{thread}/{v}/index.js": f"document.body.textContent = '{thread} {v}'\n"
                         for v in versions})


@pytest.fixture
def signed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A built site: thread t (v1, v2; v2 latest), thread u with a listed and an unlisted version."""
    demos(tmp_path, "v1", "v2")
    demos(tmp_path, "a1", "a2", thread="u")
    write_tree(tmp_path, {"demos/u/a2/snapshot.yml": "unlisted: true\n"})
    build(tmp_path, KEY_A, monkeypatch)
    return tmp_path / "site"


def check(site: Path) -> Verification:
    return verify_site(FolderSite(site))


def lines(result: Verification) -> list[str]:
    return [str(problem) for problem in result.problems]


def history(site: Path, thread: str = "t") -> dict[str, object]:
    data: dict[str, object] = json.loads((site / "gallery" / thread / "history.json").read_bytes())
    return data


def rewrite_history(site: Path, thread: str, records: list[dict[str, object]]) -> None:
    document = history(site, thread)
    document["records"] = records
    (site / "gallery" / thread / "history.json").write_text(json.dumps(document))


def test_a_clean_site_passes_and_the_command_says_so_with_status_0(signed: Path) -> None:
    result = check(signed)
    assert result.ok, lines(result)
    assert (result.threads, result.versions) == (2, 4)
    # page.html, style.css, meta.json and the editor's source.json of each listed version; no source.json unlisted
    assert result.files == 3 * 4 + 3
    run = run_cli("verify", str(signed), cwd=signed.parent)
    assert run.returncode == 0, run.stderr
    assert "4 versions in 2 threads" in run.stdout and "clean" in run.stdout


def test_each_version_and_the_latest_move_are_records_and_the_unlisted_version_is_not_named(signed: Path) -> None:
    records = history(signed, "u")["records"]
    assert isinstance(records, list)
    assert [r["kind"] for r in records] == ["version", "version", "latest"]
    hidden = next(r for r in records if "commitment" in r)
    assert "version" not in hidden and '"a2"' not in json.dumps(records)
    key = UnlistedKey.from_env()
    assert key is not None
    token = key.token("u", "a2")
    assert (signed / "artifacts/_u" / token / "page.html").is_file()
    assert token not in (signed / "gallery/u/history.json").read_text()


def test_one_changed_byte_of_a_page_is_reported_at_its_file(signed: Path) -> None:
    page = signed / "artifacts/t/v1/page.html"
    data = bytearray(page.read_bytes())
    data[len(data) // 2] ^= 1
    page.write_bytes(bytes(data))
    result = check(signed)
    assert len(result.problems) == 1
    assert lines(result)[0].startswith("artifacts/t/v1/page.html: changed")
    run = run_cli("verify", str(signed), cwd=signed.parent)
    assert run.returncode == 1
    assert "error artifacts/t/v1/page.html: changed" in run.stderr


def test_a_changed_unlisted_page_is_reported_at_its_secret_folder(signed: Path) -> None:
    key = UnlistedKey.from_env()
    assert key is not None
    page = signed / "artifacts/_u" / key.token("u", "a2") / "page.html"
    page.write_bytes(page.read_bytes().replace(b"u a2", b"u a3"))
    assert lines(check(signed)) == [f"artifacts/_u/{key.token('u', 'a2')}/page.html: changed: record #1 of u's "
                                    "history publishes it"]


def test_a_deleted_version_is_reported_as_removed(signed: Path) -> None:
    shutil.rmtree(signed / "artifacts/t/v1")
    result = check(signed)
    assert [p.where for p in result.problems] == ["artifacts/t/v1/"]
    assert "removed: record #0" in lines(result)[0]


def test_a_version_removed_with_its_record_is_reported_by_the_signed_index(signed: Path) -> None:
    records = history(signed)["records"]
    assert isinstance(records, list)
    rewrite_history(signed, "t", records[:1])  # v2 and the latest move cut off the end
    shutil.rmtree(signed / "artifacts/t/v2")
    found = lines(check(signed))
    assert any(line.startswith("gallery/t/history.json: has 1 records, the signed index says 3") for line in found)


def test_two_swapped_records_are_reported_at_the_first_out_of_place(signed: Path) -> None:
    records = history(signed)["records"]
    assert isinstance(records, list)
    rewrite_history(signed, "t", [records[1], records[0], *records[2:]])
    found = lines(check(signed))
    assert found[0].startswith("gallery/t/history.json record #0: out of order")


def test_a_forged_record_and_one_signed_by_an_unknown_key_are_reported(signed: Path) -> None:
    records = history(signed)["records"]
    assert isinstance(records, list)
    forged = {**records[0], "author": "mallory"}
    rewrite_history(signed, "t", [forged, *records[1:]])
    assert lines(check(signed))[0].startswith("gallery/t/history.json record #0: forged")
    other = SigningKey.parse(OTHER)
    resigned = {**records[0], "key": other.public.id}
    resigned["signature"] = other.sign(signed_bytes(resigned))
    rest = [{**records[1], "prev": record_hash(resigned)}, *records[2:]]
    rewrite_history(signed, "t", [resigned, *rest])
    found = lines(check(signed))
    assert found[0] == (f"gallery/t/history.json record #0: signed by an unknown key '{other.public.id}' "
                        "(not in .well-known/mkdocs-hybrid-keys.json)")


def test_a_latest_naming_a_version_no_record_publishes_is_not_called_a_roll_back(signed: Path) -> None:
    page = signed / "p/t/latest/index.html"
    page.write_text(page.read_text().replace("v2", "v9"))
    assert lines(check(signed)) == ["p/t/latest/index.html: serves v9, which no record of the history publishes "
                                    "(record #2 made v2 the latest)"]


def test_a_rolled_back_latest_without_a_pin_record_is_reported(signed: Path) -> None:
    page = signed / "p/t/latest/index.html"
    page.write_text(page.read_text().replace("v2", "v1"))
    assert lines(check(signed)) == ["p/t/latest/index.html: rolled back: serves v1, older than v2, which record #2 "
                                    "made latest, and no pin record moved it back"]
    redirects = signed / "_redirects"
    redirects.write_text(redirects.read_text().replace("/p/t/v2/", "/p/t/v1/"))  # the edge's 302s too
    assert [p.where for p in check(signed).problems] == ["p/t/latest/index.html", "_redirects"]


def test_a_pin_is_a_signed_record_and_the_site_it_builds_verifies(signed: Path, monkeypatch: pytest.MonkeyPatch
                                                                   ) -> None:
    project = signed.parent
    run = run_cli("pin", "t", "v1", cwd=project, env=cli_env())
    assert run.returncode == 0, run.stderr
    build(project, KEY_A, monkeypatch)
    records = history(signed)["records"]
    assert isinstance(records, list)
    assert {k: records[-1][k] for k in ("kind", "version")} == {"kind": "pin", "version": "v1"}
    assert "v1" in (signed / "p/t/latest/index.html").read_text()
    assert check(signed).ok, lines(check(signed))


def test_a_rotated_key_keeps_the_old_records_valid(signed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = signed.parent
    demos(project, "v3")
    build(project, KEY_B, monkeypatch)
    keys = json.loads((signed / ".well-known/mkdocs-hybrid-keys.json").read_bytes())
    a, b = SigningKey.parse(KEY_A).public, SigningKey.parse(KEY_B).public
    assert [k["id"] for k in keys["keys"]] == [a.id, b.id] and keys["current"] == b.id
    records = history(signed)["records"]
    assert isinstance(records, list)
    assert [r["key"] for r in records] == [a.id, a.id, a.id, b.id, b.id]  # v3 and its latest move: the new key
    assert check(signed).ok, lines(check(signed))
    # a verifier that trusts only the new key finds the old records' signer unknown
    trusted_b = verify_site(FolderSite(signed), [b])
    assert any("signed by an unknown key" in line for line in lines(trusted_b))


def test_the_same_ledger_and_key_give_the_same_history_bytes_and_no_key_writes_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sites = []
    for name in ("one", "two"):
        demos(tmp_path / name, "v1", "v2")
        build(tmp_path / name, KEY_A, monkeypatch)
        sites.append(tmp_path / name / "site")
    for path in ("gallery/t/history.json", ".well-known/mkdocs-hybrid-keys.json",
                 ".well-known/mkdocs-hybrid-history.json"):
        assert (sites[0] / path).read_bytes() == (sites[1] / path).read_bytes(), path
    demos(tmp_path / "plain", "v1")
    build(tmp_path / "plain", None, monkeypatch)
    assert not (tmp_path / "plain/site/.well-known").exists()
    assert not (tmp_path / "plain/site/gallery/t/history.json").exists()
    ledger = Ledger(tmp_path / "plain/.mkdocs-hybrid/ledger.sqlite")
    tables = {name for (name,) in ledger.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    ledger.close()
    assert "history_records" not in tables


def test_a_key_configured_later_chains_every_served_version_from_then(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    demos(tmp_path, "v1")
    build(tmp_path, None, monkeypatch)
    demos(tmp_path, "v2")
    build(tmp_path, KEY_A, monkeypatch)
    records = history(tmp_path / "site")["records"]
    assert isinstance(records, list)
    assert [(r["kind"], r.get("version")) for r in records] == [("version", "v1"), ("version", "v2"),
                                                                 ("latest", "v2")]
    assert check(tmp_path / "site").ok


@pytest.fixture
def served(signed: Path) -> Iterator[str]:
    """The built site behind Python's http.server, on a free port, in a thread."""
    with serve_in_thread(signed) as base_url:
        yield base_url + "/"


def test_verify_over_http_passes_a_clean_site_and_finds_a_changed_byte(signed: Path, served: str) -> None:
    site = HttpSite(served)
    try:
        clean = verify_site(site)
        assert clean.ok, lines(clean)
        assert clean.unlisted_unchecked == 1 and clean.versions == 3
        page = signed / "artifacts/t/v2/style.css"
        page.write_bytes(page.read_bytes() + b" ")
        assert [p.where for p in verify_site(site).problems] == ["artifacts/t/v2/style.css"]
    finally:
        site.close()
    run = run_cli("verify", served, cwd=signed.parent)
    assert run.returncode == 1 and "error artifacts/t/v2/style.css: changed" in run.stderr


def test_a_record_changed_and_the_chain_rehashed_after_it_is_found_where_it_was_changed(signed: Path) -> None:
    """Only the last signature is checked on a clean chain: a rewrite that keeps every link whole still fails
    there, and the report names the first record whose own signature fails."""
    records = history(signed)["records"]
    assert isinstance(records, list)
    changed = [{**records[0], "author": "mallory"}]
    for record in records[1:]:
        changed.append({**record, "prev": record_hash(changed[-1])})
    rewrite_history(signed, "t", changed)
    for every in (False, True):
        found = [str(p) for p in verify_site(FolderSite(signed), every_signature=every).problems]
        assert found[0].startswith("gallery/t/history.json record #0: forged"), (every, found)


def test_a_version_listed_again_is_checked_where_it_lives_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demos(tmp_path, "v1", "v2")
    (tmp_path / "demos/t/thread.yml").write_text("unlisted: true\n")
    build(tmp_path, KEY_A, monkeypatch)
    assert not (tmp_path / "site/gallery/t/history.json").exists(), "an unlisted thread's history is not published"
    (tmp_path / "demos/t/thread.yml").unlink()
    build(tmp_path, KEY_A, monkeypatch)
    records = history(tmp_path / "site")["records"]
    assert isinstance(records, list)
    assert [("commitment" in r, r.get("version")) for r in records] == [
        (True, None), (True, None), (False, "v1"), (False, "v2"), (False, "v2")]
    result = check(tmp_path / "site")
    assert result.ok and result.versions == 2, lines(result)


def test_a_build_without_the_key_after_signed_ones_says_its_versions_go_unsigned(
        signed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demos(signed.parent, "v3")
    before = (signed / "gallery/t/history.json").read_bytes()
    export = build(signed.parent, None, monkeypatch)
    assert any(KEY_ENV in notice and "not in the signed history" in notice for notice in export.report.notices)
    assert (signed / "gallery/t/history.json").read_bytes() == before, "no key: nothing written"
    found = lines(check(signed))
    assert "artifacts/t/v3/: no record of the history publishes this version" in found


def test_a_history_nested_past_the_parsers_depth_is_reported_as_not_a_history_not_a_crash(signed: Path) -> None:
    (signed / "gallery/t/history.json").write_text('{"records": ' + "[" * 100_000 + "]" * 100_000 + "}")

    result = check(signed)

    assert not result.ok and any("gallery/t/history.json" in line for line in lines(result)), lines(result)
