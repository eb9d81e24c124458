"""Other spellings of a site path, and what a user must still get for each (shared by serve and edge tests).

A browser, a link or an attacker may spell ``/artifacts/t/v/page.html`` many ways: percent escapes of letters
or of ``/``, ``//``, dot segments (plain or encoded), backslashes, double encoding, ``;``, NUL, other cases.
Whatever file a server picks for such a spelling, the answer must carry the headers of that file's canonical
path: a demo's page runs sandboxed (else it runs on the editor's origin and reads its token and storage), and
the editor and gallery refuse frames. Requests go over a raw socket, byte for byte as written here (an HTTP
client would normalise them first).
"""

from __future__ import annotations

import io
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

DEMO = "/artifacts/alpha/v1/page.html"
DEMO_SPELLINGS = [
    DEMO, "/artifacts/alpha/v1/page", "/%2Fartifacts/alpha/v1/page.html", "/%2fartifacts/alpha/v1/page",
    "/%2Fartifacts/alpha/v1/page", "//artifacts/alpha/v1/page.html", "//artifacts/alpha/v1/page",
    "///artifacts/alpha/v1/page", "/%2F%2Fartifacts/alpha/v1/page", "/artifacts%2Falpha/v1/page.html",
    "/artifacts%2Falpha/v1/page", "/artifacts%2Falpha%2Fv1%2Fpage", "/%61rtifacts/alpha/v1/page.html",
    "/%61rtifacts/alpha/v1/page", "/artifact%73/alpha/v1/page", "/artifacts/alpha/v1/%70age.html",
    "/artifacts/alpha/v1/p%61ge", "/artifacts/alpha/v1/page%2Ehtml", "/ARTIFACTS/alpha/v1/page.html",
    "/Artifacts/alpha/v1/page", "/artifacts/alpha/v1/page.HTML", "/artifacts//alpha/v1/page.html",
    "/./artifacts/alpha/v1/page.html", "/%2e/artifacts/alpha/v1/page", "/x/../artifacts/alpha/v1/page.html",
    "/x/%2e%2e/artifacts/alpha/v1/page", "/x/%2E%2E/artifacts/alpha/v1/page.html", "/x/.%2e/artifacts/alpha/v1/page",
    "/x/..%2Fartifacts/alpha/v1/page", "/x/..%2F/artifacts/alpha/v1/page", "/x/..%2F//artifacts/alpha/v1/page",
    "/p/alpha/v1/..%2F..%2F..%2Fartifacts/alpha/v1/page", "/p/..%2Fartifacts/alpha/v1/page.html",
    "/%5Cartifacts/alpha/v1/page.html", "/\\artifacts/alpha/v1/page", "/artifacts\\alpha\\v1\\page.html",
    "/artifacts%5Calpha%5Cv1%5Cpage", "/%252Fartifacts/alpha/v1/page", "/%25%32%46artifacts/alpha/v1/page.html",
    "/artifacts;x/alpha/v1/page.html", "/artifacts/alpha/v1/page.html;x", "/artifacts/alpha/v1/page;.html",
    "/artifacts/alpha/v1/page.html%00", "/artifacts/alpha/v1/page.html%20", "/artifacts/alpha/v1/page.html.",
    "/artifacts/alpha/v1/page/", "/artifacts/alpha/v1/page.html?x=1", "/artifacts/alpha/v1/page.html#x",
    "/%EF%BD%81rtifacts/alpha/v1/page.html", "/artifacts/alpha/x/../v1/page.html",
]
EDITOR_SPELLINGS = [
    "/editor/", "/%2Feditor/", "//editor/", "/%65ditor/", "/edit%6Fr/", "/editor%2F", "/editor%2f",
    "/EDITOR/", "/./editor/", "/x/../editor/", "/x/%2e%2e/editor/", "/x/..%2Feditor/", "/x/..%2F/editor/",
    "/x/..%2F//editor/", "/x/..%2F/editor//", "/x/..%2Fed%69tor/", "/\\editor/", "/%5Ceditor/", "/editor/%2e/",
    "/editor/.", "/editor/..%2Feditor/", "/editor;/", "/editor//", "/editor/index.html", "/editor%2Findex.html",
    "/%252Feditor/", "/editor/?x=1",
]
GALLERY_SPELLINGS = [
    "/gallery/", "/%2Fgallery/", "//gallery/", "/%67allery/", "/gallery%2F", "/x/..%2F/gallery/",
    "/gallery/alpha/", "//gallery/alpha/", "/gallery%2Falpha/", "/gallery/%61lpha/", "/%67allery/alpha/",
    "/x/../gallery/alpha/",
]
GALLERY_CLIMBS = ["/x/..%2Fgallery/alpha/", "/x/..%2F/gallery/alpha/"]
"""A ``..`` made by decoding ``%2F`` in a later segment, then a literal gallery page: ``wrangler pages dev``
resolves it (``path.resolve`` of the decoded path) and no ``_headers`` pattern can see it (one ``*`` per rule,
``:name`` is one segment). The gallery is public and static; ``serve`` refuses these; the edge frames them."""
SPELLINGS = DEMO_SPELLINGS + EDITOR_SPELLINGS + GALLERY_SPELLINGS


@dataclass(frozen=True)
class Answer:
    target: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name.lower()]

    @property
    def page(self) -> str | None:
        """Which page of the fake site the body is (``demo``, ``editor``, ``gallery``...), else ``None``."""
        if b'id=demo' in self.body:
            return "demo"
        title = re.search(rb"<title>(.*?)</title>", self.body)
        return title.group(1).decode() if title else None

    @property
    def sandboxed(self) -> bool:
        """Whether a browser runs this document in an opaque origin (some CSP carries ``sandbox``)."""
        return any(re.search(r"(^|[;,]\s*)sandbox\b", value) for value in self.values("content-security-policy"))

    @property
    def unframed(self) -> bool:
        """Whether a browser refuses to show this document in any frame."""
        return "DENY" in self.values("x-frame-options") or any(
            "frame-ancestors 'none'" in value for value in self.values("content-security-policy"))

    def problem(self) -> str | None:
        """What is wrong with this answer for a user, else ``None``."""
        page = self.page
        if self.status != 200 or page is None:
            return None
        if page == "demo" and not self.sandboxed:
            return f"{self.target} served the demo without the sandbox: it runs on the site's origin"
        if page.startswith(("editor", "gallery")) and not self.unframed:
            return f"{self.target} served the {page} page and lets any site frame it"
        return None


def raw_get(base_url: str, target: str, method: str = "GET") -> Answer:
    """``target`` sent as is (no client normalisation), the answer read by its length or chunks."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(f"{method} {target} HTTP/1.1\r\nHost: {address.netloc}\r\nConnection: close\r\n\r\n"
                     .encode("latin-1"))
        stream = sock.makefile("rb")
        status_line = stream.readline().decode("latin-1").split(" ")
        headers = []
        while (line := stream.readline().decode("latin-1").strip()):
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        answer = Answer(target, int(status_line[1]), headers, b"")
        return Answer(target, answer.status, headers, b"" if method == "HEAD" else _body(stream, answer))


def _body(stream: io.BufferedReader, answer: Answer) -> bytes:
    if "chunked" in ",".join(answer.values("transfer-encoding")):
        body = b""
        while (size := int(stream.readline().strip() or b"0", 16)):
            body += stream.read(size)
            stream.readline()
        return body
    lengths = answer.values("content-length")
    return stream.read(int(lengths[0])) if lengths else stream.read()
