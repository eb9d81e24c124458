"""The PDF export of a demo (``exports.pdf``): the capture's tab printed at the poster's time, made deterministic.

The poster's tab is printed where it stands (same document, same virtual time), through Chromium's own print to
PDF (``Page.printToPDF``), on one page the size of the viewport with the screen's styles: the PDF shows what the
poster shows, as vectors and text. Skia, Chromium's PDF writer, stamps every file with the time of printing
(``/CreationDate``, ``/ModDate`` in the document info and again in its XMP metadata, which also carries a fresh
document UUID) and a trailer ``/ID``. pikepdf (qpdf) rewrites the file without them: the dates become
``SOURCE_DATE_EPOCH`` when it is set (reproducible-builds' convention) and are removed otherwise, the XMP packet
is dropped, and qpdf's ``deterministic_id`` makes the ``/ID`` a digest of the content. Same demo, same bytes.
"""

from __future__ import annotations

import asyncio
import base64
import io
import os
import time
from functools import cache
from importlib.metadata import version
from typing import TYPE_CHECKING

from mkdocs_hybrid.media._frames import CaptureError, PartFiles
from mkdocs_hybrid.media._settings import CaptureSettings

if TYPE_CHECKING:
    from playwright.async_api import CDPSession

__all__ = ["EPOCH_ENV", "pdf_key", "print_pdf", "reproducible_pdf", "write_pdf"]

EPOCH_ENV = "SOURCE_DATE_EPOCH"
PDF_FORMAT = 1
"""Part of the media key of a version with a PDF: bump it when what the PDF holds changes."""
CSS_PIXELS_PER_INCH = 96


def print_options(settings: CaptureSettings) -> dict[str, object]:
    """``Page.printToPDF``'s parameters: one page of the viewport's size, no margins, backgrounds printed."""
    return {"paperWidth": settings.width / CSS_PIXELS_PER_INCH, "paperHeight": settings.height / CSS_PIXELS_PER_INCH,
            "marginTop": 0, "marginBottom": 0, "marginLeft": 0, "marginRight": 0, "scale": 1,
            "printBackground": True, "landscape": False, "pageRanges": "1", "preferCSSPageSize": False,
            "displayHeaderFooter": False, "generateTaggedPDF": True, "generateDocumentOutline": False,
            "transferMode": "ReturnAsBase64"}


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as whole seconds, or ``None`` when it is unset or not a non-negative integer."""
    raw = os.environ.get(EPOCH_ENV, "").strip()
    return int(raw) if raw.isdigit() else None


@cache
def _pikepdf_version() -> str:
    return version("pikepdf")


def pdf_key(settings: CaptureSettings) -> dict[str, object]:
    """What changes a PDF's bytes besides the demo and the capture's own key: added to a version's media key."""
    return {"format": PDF_FORMAT, "print": print_options(settings), "epoch": source_date_epoch(),
            "pikepdf": _pikepdf_version()}


async def print_pdf(cdp: CDPSession, settings: CaptureSettings) -> bytes:
    """The tab as it is now, printed with the screen's styles (what the poster shows), as Chromium writes it."""
    await cdp.send("Emulation.setEmulatedMedia", {"media": "screen"})
    try:
        reply = await cdp.send("Page.printToPDF", print_options(settings))
    finally:
        # a reused tab shows its next demo as before (an empty media type ends the emulation)
        await cdp.send("Emulation.setEmulatedMedia", {"media": ""})
    return base64.b64decode(reply["data"])


def reproducible_pdf(data: bytes, epoch: int | None) -> bytes:
    """Chromium's PDF without the time of printing or a random id: same page, same bytes. One page or an error."""
    import pikepdf  # here: only a build with PDFs loads qpdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) != 1:
                raise CaptureError(f"the PDF has {len(pdf.pages)} pages, not 1")
            if "/Metadata" in pdf.Root:
                del pdf.Root["/Metadata"]  # XMP: the dates again, and a document UUID made per print
            if "/ID" in pdf.trailer:
                del pdf.trailer["/ID"]  # qpdf keeps an input's first id; without one it derives both (below)
            info = pdf.docinfo
            for key in ("/CreationDate", "/ModDate"):
                if epoch is None:
                    if key in info:
                        del info[key]
                else:
                    info[key] = pikepdf.String(_pdf_date(epoch))
            out = io.BytesIO()
            pdf.save(out, deterministic_id=True, compress_streams=True, linearize=False,
                     object_stream_mode=pikepdf.ObjectStreamMode.preserve)
            return out.getvalue()
    except pikepdf.PdfError as error:
        raise CaptureError(f"Chromium's PDF cannot be read: {error}") from None


def _pdf_date(epoch: int) -> str:
    """A PDF date string in UTC (``D:YYYYMMDDHHmmSSZ``)."""
    return time.strftime("D:%Y%m%d%H%M%SZ", time.gmtime(epoch))


async def write_pdf(cdp: CDPSession, settings: CaptureSettings, files: PartFiles) -> None:
    """Print the tab at the poster's time into the version's ``demo.pdf`` part file (qpdf's rewrite in a thread)."""
    data = await asyncio.to_thread(reproducible_pdf, await print_pdf(cdp, settings), source_date_epoch())
    files.write("pdf", data)
