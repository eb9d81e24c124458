"""Plain HTML demos: find what an ``index.html`` entry loads, so it can be bundled.

Module scripts (``<script type="module" src>`` and inline module scripts) and
local stylesheets are removed from the page and bundled by esbuild, in document
order; the page gets the bundle back as one inline module script and one
``style.css`` link. Classic local scripts are inlined where they stood, and
local images become data URLs, so the artifact needs nothing but its own files.
Anything that would load from another site at view time is refused.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import posixpath
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from mkdocs_hybrid.model.errors import SnapshotError
from mkdocs_hybrid.model.snapshot import Snapshot

STYLE_MARK = "<!--hybrid:style-->"
SCRIPT_MARK = "<!--hybrid:script-->"
INLINED_ATTRIBUTES = {("img", "src"), ("source", "src"), ("input", "src"), ("image", "href"),
                      ("link", "href"), ("video", "poster")}


@dataclass
class HtmlEntry:
    """An HTML page split into what esbuild bundles and the page around it."""

    imports: list[str] = field(default_factory=list)
    """Snapshot-relative paths of module scripts and stylesheets, in document order."""
    inline_modules: dict[str, str] = field(default_factory=dict)
    """Generated snapshot-relative path -> source of each inline module script."""
    template: str = ""
    """The page with ``STYLE_MARK`` and ``SCRIPT_MARK`` where the bundle goes."""


def split_html_entry(snapshot: Snapshot) -> HtmlEntry:
    """Parse ``snapshot.entry`` (an HTML file) into imports and a page template."""
    try:
        source = snapshot.files[snapshot.entry].decode("utf-8")
    except UnicodeDecodeError:
        raise _error(snapshot, "is not UTF-8 text") from None
    scanner = _TagScanner(source)
    scanner.feed(source)
    scanner.close()
    return _Rewriter(snapshot, source).rewrite(scanner.tags)


@dataclass
class _Tag:
    name: str
    attrs: dict[str, str]
    start: int
    end: int
    """End of the start tag, or of the element for scripts."""
    body: str = ""


class _TagScanner(HTMLParser):
    """Collects start tags with their source offsets (script bodies included)."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self._line_starts = [0, *(match.end() for match in re.finditer("\n", source))]
        self._source = source
        self.tags: list[_Tag] = []
        self._open_script: _Tag | None = None

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        text = self.get_starttag_text() or ""
        item = _Tag(tag, {k: (v or "") for k, v in attrs}, start, start + len(text))
        self.tags.append(item)
        if tag == "script":
            self._open_script = item

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._open_script = None

    def handle_data(self, data: str) -> None:
        if self._open_script is not None:
            self._open_script.body += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open_script is not None:
            close = self._source.find(">", self._offset())
            self._open_script.end = close + 1 if close >= 0 else len(self._source)
            self._open_script = None


class _Rewriter:
    def __init__(self, snapshot: Snapshot, source: str) -> None:
        self.snapshot = snapshot
        self.source = source
        self.base = posixpath.dirname(snapshot.entry)
        self.entry = HtmlEntry()
        self.edits: list[tuple[int, int, str]] = []

    def rewrite(self, tags: list[_Tag]) -> HtmlEntry:
        for tag in tags:
            if tag.name == "script":
                self._script(tag)
            elif tag.name == "link" and "stylesheet" in tag.attrs.get("rel", "").lower().split():
                self._stylesheet(tag)
            else:
                self._inline_assets(tag)
        self.entry.template = self._apply()
        return self.entry

    def _script(self, tag: _Tag) -> None:
        src = tag.attrs.get("src")
        is_module = tag.attrs.get("type", "").strip().lower() == "module"
        if src is None:
            if is_module:
                name = posixpath.join(self.base, f".hybrid-inline-{len(self.entry.inline_modules)}.js")
                self.entry.inline_modules[name] = tag.body
                self.entry.imports.append(name)
                self._replace(tag, SCRIPT_MARK)
            return
        path = self._local(src, tag)
        if is_module:
            self.entry.imports.append(path)
            self._replace(tag, SCRIPT_MARK)
        else:
            code = self.snapshot.files[path].decode("utf-8", errors="replace").replace("</script", "<\\/script")
            self._replace(tag, f"<script>{code}</script>")

    def _stylesheet(self, tag: _Tag) -> None:
        self.entry.imports.append(self._local(tag.attrs.get("href", ""), tag))
        self._replace(tag, STYLE_MARK)

    def _inline_assets(self, tag: _Tag) -> None:
        changed = False
        attrs = dict(tag.attrs)
        for name, value in tag.attrs.items():
            if (tag.name, name) in INLINED_ATTRIBUTES and _is_local(value) and value.strip():
                path = self._local(value, tag)
                mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
                attrs[name] = f"data:{mime};base64," + base64.b64encode(self.snapshot.files[path]).decode()
                changed = True
        if changed:
            rendered = "".join(f' {k}="{html.escape(v, quote=True)}"' if v else f" {k}" for k, v in attrs.items())
            self.edits.append((tag.start, tag.end, f"<{tag.name}{rendered}>"))

    def _local(self, url: str, tag: _Tag) -> str:
        """The snapshot file a URL points to, or a clear error."""
        if not _is_local(url):
            raise _error(self.snapshot, f"<{tag.name}> loads {url!r} from another site; a share link must "
                                        "work offline: add the code as a file or an npm dependency")
        path = unquote(urlsplit(url).path)
        joined = posixpath.normpath(path.lstrip("/") if path.startswith("/") else posixpath.join(self.base, path))
        if joined.startswith("..") or joined not in self.snapshot.files:
            raise _error(self.snapshot, f"<{tag.name}> refers to {url!r}, which is not a file of this snapshot")
        return joined

    def _replace(self, tag: _Tag, text: str) -> None:
        # Only the first bundle tag of each kind becomes the mark: the bundle goes there once.
        if text in (STYLE_MARK, SCRIPT_MARK) and any(edit[2] == text for edit in self.edits):
            text = ""
        self.edits.append((tag.start, tag.end, text))

    def _apply(self) -> str:
        out, position = [], 0
        for start, end, text in sorted(self.edits):
            out.append(self.source[position:start])
            out.append(text)
            position = end
        out.append(self.source[position:])
        page = "".join(out)
        if STYLE_MARK not in page:
            page = _insert_before(page, "</head>", STYLE_MARK)
        if SCRIPT_MARK not in page:
            page = _insert_before(page, "</body>", SCRIPT_MARK)
        return page


def _is_local(url: str) -> bool:
    parts = urlsplit(url.strip())
    return not parts.scheme and not parts.netloc and not url.strip().startswith("//")


def _insert_before(page: str, closing_tag: str, text: str) -> str:
    index = page.lower().rfind(closing_tag)
    return page[:index] + text + page[index:] if index >= 0 else page + text


def _error(snapshot: Snapshot, message: str) -> SnapshotError:
    return SnapshotError(message, thread=snapshot.thread, version=snapshot.version,
                         path=f"{snapshot.origin}/{snapshot.entry}")
