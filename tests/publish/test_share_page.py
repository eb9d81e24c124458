"""The share page's structure (a main landmark around the demo's frame, the title as the page's h1) and what a
new share page template does to a site whose versions are already published."""

from __future__ import annotations

from pathlib import Path

import pytest

from mkdocs_hybrid import pipeline
from mkdocs_hybrid.edge.sandbox import SAME_SITE
from mkdocs_hybrid.publish.artifacts import share_html
from tests.factory import ledger_rows
from tests.publish.test_ledger import artifact, build, demo, project


def test_the_share_page_has_its_title_as_h1_and_the_demo_inside_main() -> None:
    page = share_html("Bouncing <ball>", "ball", "v3", gallery_listed=True, origin=SAME_SITE, parts=("ball", "v3"))
    assert "<h1>Bouncing &lt;ball&gt;</h1>" in page
    assert page.count("<main>") == 1 and page.count("<h1>") == 1
    main = page[page.index("<main>"):page.index("</main>")]
    assert '<iframe src="../../../artifacts/ball/v3/page.html"' in main
    assert page.index("</header>") < page.index("<main>"), "the bar (the banner) stays outside main"


def test_a_published_site_rebuilt_with_a_new_share_template_keeps_its_published_bytes_and_refreshes_its_pages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The ledger records a version's artifact files (page.html, style.css, meta.json, source.json), not its share
    page: the page around the frame is rendered again by every build, like its social card. A new template
    (any template is part of every build key) is neither refused nor allowed to touch a published file."""
    root = project(tmp_path / "p", a=demo("t", "v1", "one"), b=demo("t", "v2", "two", 2))
    site = tmp_path / "site"
    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "template_digest", lambda: "last-year's-template")
        build(root, site)
    published = {ref: artifact(site, ref) for ref in ("t/v1", "t/v2")}
    share = site / "p/t/v1/index.html"
    share.write_text("<!doctype html><strong>t v1</strong><iframe></iframe>\n", encoding="utf-8")  # last year's

    later = build(root, site)
    assert later.report.ok and later.report.failed == []
    assert sorted(later.report.kept) == ["t/v1", "t/v2"]
    assert {ref: artifact(site, ref) for ref in published} == published
    assert {name for (name,) in ledger_rows(root, "SELECT DISTINCT name FROM files")} == {
        "page.html", "style.css", "meta.json", "source.json"}
    assert "<main>" in share.read_text(encoding="utf-8") and "<h1>" in share.read_text(encoding="utf-8")
