"""Social cards and oEmbed (``publish/social.py``): the tags a posted link previews with, and the oEmbed file.

Tags are read back with ``html.parser`` (what a crawler sees), never matched as text.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from markupsafe import Markup

from mkdocs_hybrid.edge.sandbox import DEMO_SANDBOX, SAME_SITE, ArtifactOrigin
from mkdocs_hybrid.gallery import social
from mkdocs_hybrid.model.catalog import Catalog, MediaFile, ThreadEntry, VersionEntry
from mkdocs_hybrid.model.snapshot import Snapshot
from mkdocs_hybrid.plugin import HybridPlugin
from mkdocs_hybrid.publish.artifacts import _share_html, share_html
from mkdocs_hybrid.templates import environment

SITE = "https://gallery.example.com/demos/"
DEMOS = ArtifactOrigin("https://demos.example.com")
POSTER = MediaFile(role="poster", name="poster.webp", sha256="a" * 64, size=40_000, width=1280, height=720)
CARD = MediaFile(role="card", name="card.webp", sha256="b" * 64, size=9_000, width=480, height=270)
VIDEO = MediaFile(role="video", name="video.mp4", sha256="c" * 64, size=900_000, width=1280, height=720,
                  duration=4.0, fps=30.0)
ABSOLUTE_ONLY = ("og:url", "og:image", "og:video", "twitter:image")
EVIL = '"><script>alert(1)</script>'


def version(name: str = "v2", *, media: tuple[MediaFile, ...] = (POSTER, CARD, VIDEO), unlisted: bool = False,
            title: str = "Clock with alarms", author: str | None = "Ada") -> VersionEntry:
    return VersionEntry(version=name, title=title, created="2026-03-14T10:30:00Z", author=author, tags=(),
                        entry="index.html", unlisted=unlisted, build_key=f"key-{name}", media=media)


def thread(*versions: VersionEntry, unlisted: bool = False, description: str | None = "An analog clock.",
           title: str = "Alpha Clock") -> ThreadEntry:
    return ThreadEntry(id="alpha", title=title, description=description, tags=(), versions=versions,
                       latest=versions[0].version, unlisted=unlisted)


class HeadTags(HTMLParser):
    """Every ``<meta>`` and ``<link>`` of a document, as attribute dicts."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.metas: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.iframes: list[dict[str, str]] = []
        self.scripts = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        {"meta": self.metas, "link": self.links, "iframe": self.iframes}.get(tag, []).append(found)
        self.scripts += tag == "script"

    def values(self, key: str) -> list[str]:
        """Contents of the meta tags named ``key`` (``property`` for og:, ``name`` otherwise), in order."""
        attribute = "property" if key.startswith("og:") else "name"
        return [meta["content"] for meta in self.metas if meta.get(attribute) == key]

    def value(self, key: str) -> str | None:
        found = self.values(key)
        assert len(found) <= 1, f"{key} appears {len(found)} times"
        return found[0] if found else None

    def oembed_links(self) -> list[dict[str, str]]:
        return [link for link in self.links if link.get("type") == "application/json+oembed"]


def is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.netloc)


# --- share pages ------------------------------------------------------------------------------


def test_a_share_page_card_names_the_poster_video_and_page_by_absolute_urls() -> None:
    v = version()
    tags = HeadTags(social.share_head(thread(v), v, site_url=SITE, site_name="Demos"))
    assert tags.value("og:type") == "website"
    assert tags.value("og:site_name") == "Demos"
    assert tags.value("og:title") == tags.value("twitter:title") == "Clock with alarms"
    assert tags.value("og:description") == tags.value("twitter:description") == "An analog clock."
    assert tags.value("og:url") == "https://gallery.example.com/demos/p/alpha/v2/"
    image = tags.value("og:image")
    assert image is not None and image.startswith("https://gallery.example.com/demos/artifacts/alpha/v2/poster.webp")
    assert tags.value("twitter:image") == image
    assert (tags.value("og:image:width"), tags.value("og:image:height")) == ("1280", "720")
    assert tags.value("og:image:type") == "image/webp"
    assert tags.value("og:image:alt")
    video = tags.value("og:video")
    assert video is not None and video.startswith("https://gallery.example.com/demos/artifacts/alpha/v2/video.mp4")
    assert (tags.value("og:video:type"), tags.value("og:video:width"), tags.value("og:video:height")) == \
        ("video/mp4", "1280", "720")
    assert tags.value("twitter:card") == "summary_large_image"
    assert tags.value("robots") is None
    assert all(is_absolute(value) for key in ABSOLUTE_ONLY for value in tags.values(key))


def test_the_image_is_the_poster_not_the_card_and_a_medium_url_wins() -> None:
    on_r2 = MediaFile(role="poster", name="poster.webp", sha256="d" * 64, size=1, width=1280, height=720,
                      url="https://media.example.com/d" + "d" * 63 + ".webp")
    v = version(media=(CARD, on_r2))
    card = social.version_card(thread(v), v, site_url=SITE)
    assert card.image is not None and card.image.url == on_r2.url
    assert card.video is None


def test_without_a_video_there_is_no_og_video() -> None:
    v = version(media=(POSTER,))
    tags = HeadTags(social.share_head(thread(v), v, site_url=SITE))
    assert tags.value("og:image") is not None
    assert not [meta for meta in tags.metas if meta.get("property", "").startswith("og:video")]
    assert tags.value("twitter:card") == "summary_large_image"


def test_without_a_poster_the_twitter_card_is_a_summary() -> None:
    v = version(media=())
    tags = HeadTags(social.share_head(thread(v), v, site_url=SITE))
    assert tags.value("og:image") is None and tags.value("twitter:image") is None
    assert tags.value("twitter:card") == "summary"
    assert tags.value("og:title") == "Clock with alarms"


def test_a_description_is_always_given() -> None:
    v = version()
    tags = HeadTags(social.share_head(thread(v, description=None), v, site_url=SITE))
    assert "Clock with alarms" in (tags.value("og:description") or "")


def test_without_a_site_url_tags_that_must_be_absolute_are_left_out() -> None:
    v = version()
    html = social.share_head(thread(v), v, site_url=None)
    tags = HeadTags(html)
    assert all(tags.value(key) is None for key in ABSOLUTE_ONLY)
    assert tags.value("og:title") == "Clock with alarms"
    assert tags.value("twitter:card") == "summary"
    assert not tags.oembed_links(), "an oEmbed document needs an absolute frame URL"
    assert social.oembed_json(thread(v), v, site_url=None) is None
    assert "artifacts/" not in html


def test_on_the_artifact_origin_media_are_absolute_without_a_site_url() -> None:
    v = version()
    tags = HeadTags(social.share_head(thread(v), v, site_url=None, origin=DEMOS))
    assert (tags.value("og:image") or "").startswith("https://demos.example.com/artifacts/alpha/v2/poster.webp")
    assert (tags.value("og:video") or "").startswith("https://demos.example.com/artifacts/alpha/v2/video.mp4")
    assert tags.value("og:url") is None  # the share page is on the site, whose URL is not known
    [link] = tags.oembed_links()
    assert link["href"] == "https://demos.example.com/artifacts/alpha/v2/oembed.json"


def test_titles_are_escaped() -> None:
    v = version(title=EVIL)
    html = social.share_head(thread(v, title=EVIL, description=EVIL), v, site_url=SITE, site_name=EVIL)
    tags = HeadTags(html)
    assert tags.scripts == 0
    assert tags.value("og:title") == tags.value("og:description") == tags.value("og:site_name") == EVIL
    assert tags.oembed_links()[0]["title"] == EVIL


# --- unlisted versions ------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [SAME_SITE, DEMOS], ids=["same-site", "artifact-origin"])
@pytest.mark.parametrize("where", ["version", "thread"])
def test_unlisted_versions_get_noindex_and_no_oembed(origin: ArtifactOrigin, where: str) -> None:
    v = version(unlisted=where == "version")
    t = thread(v, unlisted=where == "thread")
    html = social.share_head(t, v, site_url=SITE, origin=origin, parts=("_u", "f" * 32))
    tags = HeadTags(html)
    assert tags.value("robots") == "noindex"
    assert not tags.oembed_links()
    assert social.oembed_json(t, v, site_url=SITE, origin=origin) is None
    assert social.oembed_url(t, v, site_url=SITE, origin=origin) is None
    assert "/alpha/" not in html, "no URL may lead from the ids to the unlisted version"
    assert tags.value("og:url") == f"https://gallery.example.com/demos/p/_u/{'f' * 32}/"


def test_unlisted_media_are_not_named_in_the_artifact_store_mode() -> None:
    v = version(unlisted=True)
    tags = HeadTags(social.share_head(thread(v), v, site_url=SITE, origin=DEMOS, parts=("_u", "f" * 32)))
    assert tags.value("og:image") is None and tags.value("og:video") is None  # the private bucket
    assert tags.value("twitter:card") == "summary"


def test_unlisted_media_on_the_site_are_named_at_their_unguessable_path() -> None:
    v = version(unlisted=True)
    tags = HeadTags(social.share_head(thread(v), v, site_url=SITE, parts=("_u", "f" * 32)))
    assert (tags.value("og:image") or "").startswith(f"https://gallery.example.com/demos/artifacts/_u/{'f' * 32}/")


def test_an_unlisted_version_without_its_parts_names_no_path() -> None:
    v = version(unlisted=True)
    tags = HeadTags(social.share_head(thread(v), v, site_url=SITE))
    assert all(tags.value(key) is None for key in ABSOLUTE_ONLY)


# --- oEmbed -----------------------------------------------------------------------------------


def oembed(v: VersionEntry, **options: Any) -> dict[str, Any]:
    data = social.oembed_json(thread(v), v, **options)
    assert data is not None
    assert data.endswith(b"\n") and data == social.oembed_json(thread(v), v, **options)
    parsed: dict[str, Any] = json.loads(data)
    assert list(parsed) == sorted(parsed), "keys are sorted: the bytes are deterministic"
    return parsed


def test_the_oembed_document_is_a_rich_one_with_a_sandboxed_frame() -> None:
    doc = oembed(version(), site_url=SITE, site_name="Demos")
    assert doc["version"] == "1.0" and doc["type"] == "rich"
    assert doc["title"] == "Clock with alarms" and doc["author_name"] == "Ada"
    assert doc["provider_name"] == "Demos" and doc["provider_url"] == SITE
    assert isinstance(doc["width"], int) and isinstance(doc["height"], int) and doc["width"] > 0 < doc["height"]
    assert isinstance(doc["cache_age"], int)
    frames = HeadTags(doc["html"])
    [frame] = frames.iframes
    assert frames.scripts == 0
    assert frame["src"] == "https://gallery.example.com/demos/artifacts/alpha/v2/page.html"
    assert frame["sandbox"] == SAME_SITE.sandbox == DEMO_SANDBOX
    assert "allow-same-origin" not in frame["sandbox"].split()
    assert (frame["width"], frame["height"]) == (str(doc["width"]), str(doc["height"]))
    assert doc["thumbnail_url"].startswith("https://gallery.example.com/demos/artifacts/alpha/v2/poster.webp")
    assert (doc["thumbnail_width"], doc["thumbnail_height"]) == (1280, 720)


def test_the_oembed_frame_on_the_artifact_origin_keeps_its_sandbox() -> None:
    doc = oembed(version(), site_url=SITE, origin=DEMOS)
    [frame] = HeadTags(doc["html"]).iframes
    assert frame["src"] == "https://demos.example.com/artifacts/alpha/v2/page.html"
    assert frame["sandbox"] == DEMOS.sandbox
    assert doc["thumbnail_url"].startswith("https://demos.example.com/")


def test_the_oembed_document_leaves_out_what_is_unknown() -> None:
    doc = oembed(version(media=(), author=None), site_url=SITE)
    assert not {"thumbnail_url", "thumbnail_width", "thumbnail_height", "author_name"} & set(doc)
    assert doc["provider_name"] == "gallery.example.com"


def test_the_discovery_link_names_the_document_in_the_artifact_folder() -> None:
    v = version()
    [link] = HeadTags(social.share_head(thread(v), v, site_url=SITE)).oembed_links()
    assert link["rel"] == "alternate"
    assert link["href"] == "https://gallery.example.com/demos/artifacts/alpha/v2/" + social.OEMBED_FILE
    assert link["title"] == "Clock with alarms"


# --- the share page template ------------------------------------------------------------------


def share_snapshot(title: str = "Clock with alarms") -> Snapshot:
    return Snapshot(thread="alpha", version="v2", files={"index.js": b"1"}, entry="index.js", title=title,
                    origin="test")


def test_the_share_page_carries_the_head_it_is_given_once() -> None:
    v = version()
    head = social.share_head(thread(v), v, site_url=SITE)
    tags = HeadTags(share_html("Clock with alarms", "alpha", "v2", gallery_listed=True, origin=SAME_SITE,
                               parts=("alpha", "v2"), social_head=head))
    assert tags.values("og:title") == ["Clock with alarms"], "the template's own og tags give way"
    assert tags.value("og:image") is not None and len(tags.oembed_links()) == 1


def test_the_share_page_works_without_a_head() -> None:
    tags = HeadTags(_share_html(share_snapshot(EVIL), True, SAME_SITE, ("alpha", "v2")))
    assert tags.values("og:title") == [EVIL] and tags.scripts == 0
    assert tags.value("og:image") is None and not tags.oembed_links()


# --- gallery thread pages ---------------------------------------------------------------------


def test_version_pages_are_rendered_again_only_when_their_inputs_or_files_change(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild of thousands of unchanged versions renders none of their pages; a new poster, another site URL
    or a page rewritten on disk (a version bundled again writes its plain share page) renders that one again."""
    from mkdocs_hybrid.model.files import StatIndex
    from mkdocs_hybrid.publish import version_pages

    monkeypatch.setattr("mkdocs_hybrid.model.files.RACY_SECONDS", -60)  # trust files written just now
    rendered: list[str] = []

    def counted(title: str, *args: Any, **kwargs: Any) -> str:
        rendered.append(args[1])
        return share_html(title, *args, **kwargs)

    monkeypatch.setattr(version_pages, "share_html", counted)
    site = tmp_path / "site"
    for name in ("v1", "v2"):
        (site / "p/alpha" / name).mkdir(parents=True)
        (site / "artifacts/alpha" / name).mkdir(parents=True)

    def write(catalog: Catalog, site_url: str = SITE) -> dict[str, bytes]:
        index = StatIndex(tmp_path / "pages.json", 1)
        version_pages.write_version_pages(site, catalog, parts_of=lambda t, v: (t, v), origin=SAME_SITE,
                                          site_url=site_url, index=index)
        index.save()
        return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}

    first = write(Catalog(threads=(thread(version("v2"), version("v1")),)))
    assert rendered == ["v2", "v1"] and "p/alpha/v2/index.html" in first and "artifacts/alpha/v1/oembed.json" in first
    rendered.clear()
    assert write(Catalog(threads=(thread(version("v2"), version("v1")),))) == first and rendered == []
    changed = write(Catalog(threads=(thread(version("v2", media=(CARD,)), version("v1")),)))
    assert rendered == ["v2"] and changed["p/alpha/v2/index.html"] != first["p/alpha/v2/index.html"]
    rendered.clear()
    (site / "p/alpha/v1/index.html").write_text("<p>a plain share page</p>")
    assert write(Catalog(threads=(thread(version("v2", media=(CARD,)), version("v1")),))) == changed
    assert rendered == ["v1"]
    rendered.clear()
    write(Catalog(threads=(thread(version("v2", media=(CARD,)), version("v1")),)), site_url="https://other.example/")
    assert rendered == ["v2", "v1"]


def test_a_thread_card_shows_the_latest_version() -> None:
    old = version("v1", media=(MediaFile(role="poster", name="poster.webp", sha256="e" * 64, size=1, width=1280,
                                         height=720),))
    t = ThreadEntry(id="alpha", title="Alpha Clock", description=None, tags=(), versions=(version(), old),
                    latest="v2", unlisted=False)
    tags = HeadTags(social.thread_head(t, site_url=SITE))
    assert tags.value("og:title") == "Alpha Clock"
    assert tags.value("og:url") == "https://gallery.example.com/demos/gallery/alpha/"
    assert "/artifacts/alpha/v2/poster.webp" in (tags.value("og:image") or "")
    assert "/artifacts/alpha/v2/video.mp4" in (tags.value("og:video") or "")
    assert not tags.oembed_links()


def test_insert_head_puts_the_tags_before_the_end_of_the_head_only() -> None:
    page = "<html><HEAD><title>x</title></HEAD><body><p>&lt;/head&gt;</p></body></html>"
    assert social.insert_head(page, "<meta name=a>") == \
        "<html><HEAD><title>x</title><meta name=a></HEAD><body><p>&lt;/head&gt;</p></body></html>"
    assert social.insert_head("<p>no head</p>", "<meta name=a>") == "<p>no head</p>"
    assert social.insert_head(page, "") == page


def test_the_standalone_thread_page_takes_the_head_and_works_without_it() -> None:
    v = version()
    template = environment().get_template("gallery_standalone.html")
    head = social.thread_head(thread(v), site_url=SITE)
    tags = HeadTags(template.render(title="t", content="c", head=Markup(head)))
    assert tags.value("twitter:card") == "summary_large_image"
    plain = template.render(title="t", content="c")
    assert "og:" not in plain and "\n</head>" in plain


def test_the_plugin_adds_the_card_to_thread_pages_only() -> None:
    plugin = HybridPlugin()
    v = version()
    plugin.catalog = Catalog(threads=(thread(v),))
    plugin._pages = {"gallery/index.md": None, "gallery/alpha/index.md": "alpha"}
    config: Any = SimpleNamespace(site_url=SITE, site_name="Demos")
    page_html = "<html><head><title>x</title></head><body></body></html>"

    def page(src_uri: str, url: str) -> Any:
        return SimpleNamespace(file=SimpleNamespace(src_uri=src_uri), url=url)

    out = plugin.on_post_page(page_html, page=page("gallery/alpha/index.md", "gallery/alpha/"), config=config)
    tags = HeadTags(out or "")
    assert tags.value("og:url") == "https://gallery.example.com/demos/gallery/alpha/"
    assert tags.value("og:site_name") == "Demos" and tags.value("og:image") is not None
    for other in (page("gallery/index.md", "gallery/"), page("index.md", "")):
        assert plugin.on_post_page(page_html, page=other, config=config) == page_html
