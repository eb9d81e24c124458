"""``mkdocs-hybrid serve``'s HTTP server on every spelling of a path (tests/edge/path_spellings.py).

Before: ``/%2Fartifacts/t/v/page.html`` served the demo without its sandbox (the header was chosen on the raw
path, the file after dropping empty parts), so the demo ran on the editor's origin; ``/%2Feditor/`` and
``/%2Fgallery/`` could be framed. Now one canonical path decides both; other spellings are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mkdocs_hybrid.edge.sandbox import DEMO_CSP
from mkdocs_hybrid.serve._server import site_path
from tests.edge.path_spellings import SPELLINGS, raw_get
from tests.edge.test_frames_edge import build_fake_site, serving_static


@pytest.fixture(scope="module")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    site = tmp_path_factory.mktemp("spellings")
    build_fake_site(site)
    with serving_static(site) as url:
        yield url


@pytest.mark.parametrize("target", SPELLINGS)
def test_every_spelling_gets_the_headers_of_the_file_it_serves(local_server: str, target: str) -> None:
    answer = raw_get(local_server, target)
    assert answer.problem() is None, answer.problem()


@pytest.mark.parametrize("target", ["/%2Fartifacts/alpha/v1/page.html", "/artifacts%2Falpha/v1/page.html",
                                    "/%2Feditor/", "/%2Fgallery/", "/editor%2F", "/x/..%2Feditor/",
                                    "/%5Cartifacts/alpha/v1/page.html", "/%252Fartifacts/alpha/v1/page.html",
                                    "/artifacts/alpha/v1/page.html%00", "/x/%2e%2e/editor/",
                                    "/artifacts/alpha/v1/page.html/"])
def test_other_spellings_are_refused(local_server: str, target: str) -> None:
    assert raw_get(local_server, target).status == 404


def test_escaped_letters_name_the_same_file_with_the_same_headers(local_server: str) -> None:
    for target in ("/%61rtifacts/alpha/v1/page.html", "/artifacts/alpha/v1/%70age.html"):
        answer = raw_get(local_server, target)
        assert (answer.status, answer.page, answer.values("content-security-policy")) == (200, "demo", [DEMO_CSP])
    answer = raw_get(local_server, "/%65ditor/")
    assert (answer.status, answer.page, answer.unframed) == (200, "editor", True)


def test_a_folder_redirect_names_the_canonical_path(local_server: str) -> None:
    answer = raw_get(local_server, "/%67allery?x=1")
    assert (answer.status, answer.values("location")) == (301, ["/gallery/?x=1"])


@pytest.mark.parametrize(("raw", "canonical"), [
    ("/", "/"), ("/a/b/", "/a/b/"), ("/a/b.html", "/a/b.html"), ("/%61/%62.html", "/a/b.html"),
    ("/caf%C3%A9/", "/café/"), ("//a", None), ("/a//b", None), ("/a/%2F/b", None), ("/a/%2e/b", None),
    ("/a/..", None), ("/.git/x", None), ("/a\\b", None), ("/a%5Cb", None), ("/a%00", None), ("/a%0a", None),
    ("/a%2541", None), ("/a%ff", None), ("/a./b", None), ("/a%20/b", None), ("a/b", None)])
def test_site_path(raw: str, canonical: str | None) -> None:
    assert site_path(raw) == canonical


def test_share_pages_and_demos_are_unchanged(local_server: str, tmp_path: Path) -> None:
    share = raw_get(local_server, "/p/alpha/v1/")
    assert (share.status, share.sandboxed, share.unframed) == (200, False, False)
    demo = raw_get(local_server, "/artifacts/alpha/v1/page.html")
    assert (demo.status, demo.values("content-security-policy"), demo.unframed) == (200, [DEMO_CSP], False)
