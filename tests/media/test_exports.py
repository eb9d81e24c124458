"""The PDF and email exports (``exports: {pdf: true, email: true}``) in real builds: Chromium prints each demo at
its poster's time through the capture stage, and each version gets an email-safe card.

Two projects with the same demos are built apart (each its own cache and site), so every PDF is printed twice;
the first also holds a demo that hangs. One demo has an attached video (made once by ffmpeg, the same bytes in
every project): its poster comes from the video, its PDF from a capture that only prints. The PDFs are read
with pypdf, the cards parsed with html5lib in strict mode (a parse error is an exception): the parser of the
HTML standard, as a plain viewer reads them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import html5lib
import pikepdf
import pypdf
import pytest
import yaml

from mkdocs_hybrid.config.manifest import parse_manifest
from mkdocs_hybrid.media import _capture
from mkdocs_hybrid.media._pdf import reproducible_pdf
from mkdocs_hybrid.pipeline import Export
from mkdocs_hybrid.publish.site import SitePages
from tests.factory import ledger_rows, read_tree, write_tree

pytestmark = pytest.mark.browser

SITE_URL = "https://demos.example/gallery-site/"
DEMOS = {
    "demos/words/v1/index.html": ('<link rel="stylesheet" href="style.css"><h1>Quarterly totals</h1>'
                                  "<p>Revenue grew by 12 percent.</p><div class=\"bar\"></div>"),
    "demos/words/v1/style.css": ("body{margin:0;padding:16px;font-family:sans-serif;background:#fff}"
                                 ".bar{height:20px;background:#36c;animation:grow 2s linear forwards}"
                                 "@keyframes grow{from{width:0}to{width:280px}}"),
    "demos/words/v1/snapshot.yml": "title: Totals <&> \"friends\"\nauthor: Ada\n",
    "demos/canvas/v1/index.js": (
        "document.body.insertAdjacentHTML('beforeend', '<p id=\"label\">Canvas demo at work</p>');\n"
        "const c = document.createElement('canvas'); c.width = 200; c.height = 100; document.body.append(c);\n"
        "const g = c.getContext('2d');\n"
        "function frame(t) { g.fillStyle = '#fff'; g.fillRect(0, 0, 200, 100); g.fillStyle = '#c33';\n"
        "  g.fillRect((t / 10) % 180, 30, 20, 20); requestAnimationFrame(frame); }\n"
        "requestAnimationFrame(frame);\n"),
    "demos/moving/v1/index.html": "<h2>A recorded demo</h2>",
    "demos/moving/v1/snapshot.yml": "video: true\n",
    "demos/attached/v1/index.html": "<h2>A demo with its own video</h2>",
    "demos/attached/v1/snapshot.yml": "video: clip.mov\n",
}
HANGS = {"demos/hangs/v1/index.html": "<p>never drawn</p><script>while (true) {}</script>"}
VIDEO = {"seconds": 1, "fps": 10, "width": 320, "height": 180, "poster_at": 0.5}
EXPORTED = ("words/v1", "canvas/v1", "moving/v1", "attached/v1")
VIDEO_FILES = ("poster.webp", "card.webp", "video.mp4", "preview.mp4")
"""What an attached video is transcoded into."""


@cache
def clip() -> bytes:
    """A small MPEG-4 .mov from ffmpeg's test source, made once for every project of this module."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mov"
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                        "testsrc=size=640x360:rate=25:duration=2", "-c:v", "mpeg4", str(path)], check=True)
        return path.read_bytes()


def project(root: Path, demos: dict[str, str], exports: dict[str, bool] | None) -> Path:
    write_tree(root, demos)
    if "demos/attached/v1/snapshot.yml" in demos:
        (root / "demos/attached/v1/clip.mov").write_bytes(clip())
    data: dict[str, object] = {"sources": [{"type": "directory", "path": "demos"}],
                               "build": {"cache_dir": ".cache"}, "video": VIDEO}
    if exports is not None:
        data["exports"] = exports
    (root / "hybrid.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return root


def export(root: Path, site_url: str | None = SITE_URL, jobs: list[_capture.CaptureJob] | None = None) -> Export:
    """Build ``root`` into its ``site``; every capture job the browser gets is added to ``jobs``."""
    manifest = parse_manifest(yaml.safe_load((root / "hybrid.yml").read_text()), base_dir=root)
    build = Export(manifest, media=True, pages=SitePages(standalone_gallery=True, site_url=site_url))
    real = _capture.capture

    def recorded(site_dir: Path, given: list[_capture.CaptureJob], *args: Any, **kwargs: Any) -> Any:
        (jobs if jobs is not None else []).extend(given)
        return real(site_dir, given, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_capture, "capture", recorded)
        build.run(root / "site")
    return build


FIRST_JOBS: list[_capture.CaptureJob] = []
PLAIN_JOBS: list[_capture.CaptureJob] = []


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Export]:
    root = project(tmp_path_factory.mktemp("first"), {**DEMOS, **HANGS}, {"pdf": True, "email": True})
    return root, export(root, jobs=FIRST_JOBS)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same demos without exports."""
    root = project(tmp_path_factory.mktemp("plain"), DEMOS, None)
    export(root, jobs=PLAIN_JOBS)
    return root


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Export]:
    root = project(tmp_path_factory.mktemp("second"), DEMOS, {"pdf": True, "email": True})
    return root, export(root)


def artifact(root: Path, ref: str, name: str) -> bytes:
    return (root / "site/artifacts" / ref / name).read_bytes()


def test_pdfs_and_email_cards_are_byte_identical_across_two_builds(
        first: tuple[Path, Export], second: tuple[Path, Export]) -> None:
    for ref in EXPORTED:
        for name in ("demo.pdf", "email.html"):
            assert artifact(first[0], ref, name) == artifact(second[0], ref, name), (ref, name)
    assert sorted(second[1].report.media_made) == sorted(EXPORTED)  # each build printed its own


def test_each_pdf_is_one_page_of_the_posters_size_with_the_demos_text(first: tuple[Path, Export]) -> None:
    root = first[0]
    texts = {}
    for ref in EXPORTED:
        data = artifact(root, ref, "demo.pdf")
        reader = pypdf.PdfReader(io.BytesIO(data))
        assert len(reader.pages) == 1, ref
        box = reader.pages[0].mediabox
        # 320x180 CSS px in points (Chromium rounds the paper size to its own units: 135.12)
        assert (float(box.width), float(box.height)) == pytest.approx((240.0, 135.0), abs=0.5), ref
        texts[ref] = " ".join(reader.pages[0].extract_text().split())
        for stamp in (b"/CreationDate", b"/ModDate", b"<x:xmpmeta", b"uuid:"):
            assert stamp not in data, (ref, stamp)
    assert "Quarterly totals" in texts["words/v1"] and "Revenue grew by 12 percent." in texts["words/v1"]
    assert "Canvas demo at work" in texts["canvas/v1"]
    assert "A recorded demo" in texts["moving/v1"]  # a version with a video is printed at its poster's time too
    assert "A demo with its own video" in texts["attached/v1"]  # and one whose video is attached


def test_an_attached_video_is_printed_by_the_browser_and_keeps_the_videos_poster(
        first: tuple[Path, Export], plain: Path) -> None:
    root = first[0]
    for name in VIDEO_FILES:  # the same bytes as without exports: the poster is still made from the video
        assert artifact(root, "attached/v1", name) == artifact(plain, "attached/v1", name), name
    [job] = [job for job in FIRST_JOBS if job.ref == "attached/v1"]
    assert (job.pdf, job.posters, job.video) == (True, False, False)  # the browser only printed it
    assert "attached/v1" not in {job.ref for job in PLAIN_JOBS}  # without exports.pdf, no browser work for it
    assert not (plain / "site/artifacts/attached/v1/demo.pdf").exists()


def test_meta_json_lists_the_pdf_and_the_card_with_their_digests(first: tuple[Path, Export]) -> None:
    root = first[0]
    for ref in EXPORTED:
        meta = json.loads(artifact(root, ref, "meta.json"))
        listed = {"demo.pdf": meta["media"]["demo.pdf"], "email.html": meta["exports"]["email.html"]}
        assert meta["media"]["demo.pdf"]["role"] == "pdf"
        for name, info in listed.items():
            data = artifact(root, ref, name)
            assert (info["sha256"], info["size"]) == (hashlib.sha256(data).hexdigest(), len(data)), (ref, name)


def test_the_email_card_is_strict_html5_with_no_script_no_stylesheet_and_only_absolute_urls(
        first: tuple[Path, Export]) -> None:
    root = first[0]
    meta = json.loads(artifact(root, "words/v1", "meta.json"))
    data = artifact(root, "words/v1", "email.html")
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    document = parser.parse(data, transport_encoding="utf-8")  # raises at the first parse error
    tags = {element.tag for element in document.iter()}
    assert {"script", "style", "link", "iframe", "object", "form"}.isdisjoint(tags)
    assert not any(key.lower().startswith("on") for element in document.iter() for key in element.attrib)
    urls = [element.attrib[key] for element in document.iter() for key in ("href", "src") if key in element.attrib]
    assert urls and all(urlsplit(url).scheme == "https" and urlsplit(url).netloc == "demos.example" for url in urls)
    share = f"{SITE_URL}p/words/v1/"
    poster = f"{SITE_URL}artifacts/words/v1/poster.webp?v={meta['media']['poster.webp']['sha256'][:8]}"
    assert share in urls and poster in urls
    assert all(element.tag != "table" or element.attrib.get("role") == "presentation" for element in document.iter())
    assert document.find(".//title").text == 'Totals <&> "friends"'  # escaped in the bytes, the title as given
    text = " ".join("".join(document.find("body").itertext()).split())
    assert 'Totals <&> "friends"' in text and "version v1 · by Ada" in text and share in text
    assert text.count("friends") == 1  # the thread's title is the version's: said once


def test_a_demo_that_fails_to_render_is_named_and_gets_no_pdf_while_the_others_get_theirs(
        first: tuple[Path, Export]) -> None:
    root, build = first
    [notice] = [line for line in build.report.notices if "hangs/v1" in line]
    assert notice.startswith("hangs/v1: no poster, video or PDF:") and "\n" not in notice
    folder = root / "site/artifacts/hangs/v1"
    assert (folder / "page.html").is_file() and not (folder / "demo.pdf").exists()
    assert "demo.pdf" not in json.loads((folder / "meta.json").read_text()).get("media", {})
    assert all((root / "site/artifacts" / ref / "demo.pdf").is_file() for ref in EXPORTED)


def test_a_rebuild_prints_no_pdf_again_and_leaves_the_site_as_it_was(second: tuple[Path, Export]) -> None:
    root, _ = second
    before = read_tree(root / "site")
    build = export(root)
    assert build.report.media_made == [] and sorted(build.report.media_cached) == sorted(EXPORTED)
    assert read_tree(root / "site") == before


def test_the_ledger_keeps_the_published_files_and_not_the_exports(second: tuple[Path, Export]) -> None:
    root, _ = second
    names = {name for (name,) in ledger_rows(root, "SELECT name FROM files WHERE thread = 'words'")}
    assert names == {"page.html", "style.css", "meta.json", "source.json"}


def test_exports_are_off_by_default_and_turning_them_off_removes_them(second: tuple[Path, Export],
                                                                      plain: Path) -> None:
    for ref in EXPORTED:
        meta = json.loads(artifact(plain, ref, "meta.json"))
        assert "exports" not in meta and "demo.pdf" not in meta["media"], ref
        assert not (plain / "site/artifacts" / ref / "demo.pdf").exists()
        assert not (plain / "site/artifacts" / ref / "email.html").exists()

    root, _ = second
    project(root, DEMOS, {"pdf": False, "email": False})
    try:
        export(root)
        for ref in EXPORTED:
            meta = json.loads(artifact(root, ref, "meta.json"))
            assert "exports" not in meta and "demo.pdf" not in meta["media"], ref
            assert {p.name for p in (root / "site/artifacts" / ref).iterdir()}.isdisjoint({"demo.pdf", "email.html"})
            assert artifact(root, ref, "meta.json") == artifact(plain, ref, "meta.json")
    finally:
        project(root, DEMOS, {"pdf": True, "email": True})


def test_without_a_site_url_no_email_card_is_made_and_the_build_says_why(tmp_path: Path) -> None:
    root = project(tmp_path, {k: v for k, v in DEMOS.items() if k.startswith("demos/words/")}, {"email": True})
    build = export(root, site_url=None)
    [notice] = [line for line in build.report.notices if "exports.email" in line]
    assert "site_url" in notice and "no email cards" in notice
    assert not (root / "site/artifacts/words/v1/email.html").exists()
    assert "exports" not in json.loads(artifact(root, "words/v1", "meta.json"))


def test_chromiums_print_time_and_document_id_are_taken_out_or_fixed_from_source_date_epoch() -> None:
    """qpdf's rewrite of a PDF stamped as Skia stamps it: dates in the info and XMP, a random trailer /ID."""
    def stamped(when: str) -> bytes:
        pdf = pikepdf.new()
        pdf.add_blank_page(page_size=(240, 135))
        pdf.docinfo["/CreationDate"] = pikepdf.String(when)
        pdf.docinfo["/ModDate"] = pikepdf.String(when)
        pdf.docinfo["/Producer"] = pikepdf.String("Skia/PDF")
        pdf.Root.Metadata = pdf.make_stream(f"<x:xmpmeta><xmp:CreateDate>{when}</xmp:CreateDate>"
                                            f"<xmpMM:DocumentID>uuid:{os.urandom(8).hex()}</xmpMM:DocumentID>"
                                            "</x:xmpmeta>".encode())
        out = io.BytesIO()
        pdf.save(out)  # qpdf gives a new random /ID to every new file
        return out.getvalue()

    one, two = stamped("D:20261206101010+00'00'"), stamped("D:20261207111111+00'00'")
    assert one != two
    assert reproducible_pdf(one, None) == reproducible_pdf(two, None)
    plain = pikepdf.open(io.BytesIO(reproducible_pdf(one, None)))
    assert "/CreationDate" not in plain.docinfo and "/Metadata" not in plain.Root
    assert str(plain.docinfo["/Producer"]) == "Skia/PDF"
    fixed = reproducible_pdf(one, 1767225600)
    assert fixed == reproducible_pdf(two, 1767225600)
    dated = pikepdf.open(io.BytesIO(fixed))
    assert str(dated.docinfo["/CreationDate"]) == str(dated.docinfo["/ModDate"]) == "D:20260101000000Z"
